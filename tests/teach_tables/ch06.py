"""Chapter 06's rows for tests/test_checks_teach.py: what no nudge may say, and each classic mistake's own reason."""

import torch

import course_lib as cl

NUDGE_MUST_NOT_SAY = {
    "and_gate": ["^", "&", "e & f", "c_i", "party 0"],
    "newton_step": ["2 -", "y *", "x * y", "two minus", "2·"],
    "logistic_step": ["sigmoid()", "t()", "@", "/ n", "- labels", "mean"],
}


# ----- and_gate ------------------------------------------------------------------------------------------------------
def _and(x, y, triple, public_term_on=(0,)):
    a, b, c = triple
    e, f = (x ^ a)[0].clone(), (y ^ b)[0].clone()
    for i in range(1, x.shape[0]):
        e ^= x[i] ^ a[i]
        f ^= y[i] ^ b[i]
    rows = [c[i] ^ (e & b[i]) ^ (a[i] & f) ^ ((e & f) if i in public_term_on else 0) for i in range(x.shape[0])]
    return torch.stack(rows)


def _and_reconstructing_x(x, y, triple):
    secret = x[0].clone()
    for row in x[1:]:
        secret ^= row  # the mistake: everyone's shares of x XORed together
    return _and(x, y, triple)


def _and_reconstructing_y(x, y, triple):
    secret = y[0].clone()
    for row in y[1:]:
        secret ^= row
    return _and(x, y, triple)


def _and_with_plus(x, y, triple):
    a, b, c = triple
    e, f = (x ^ a)[0].clone(), (y ^ b)[0].clone()
    for i in range(1, x.shape[0]):
        e ^= x[i] ^ a[i]
        f ^= y[i] ^ b[i]
    return torch.stack([c[i] + (e & b[i]) + (a[i] & f) + ((e & f) if i == 0 else 0) for i in range(x.shape[0])])


def _and_using_the_others_shares(x, y, triple):
    """Right in total, but parties 0 and 1 both fold party 1's share of x into theirs (it cancels out)."""
    out = _and(x, y, triple)
    out[0] = out[0] ^ x[1]
    out[1] = out[1] ^ x[1]
    return out


# ----- newton_step ---------------------------------------------------------------------------------------------------
def _newton_revealing(x, y):
    if isinstance(x, cl.SharedTensor):
        (x * y).get()  # looking at x·y to see how good the guess is
    return y * (2 - x * y)


def _newton_plain_result(x, y):
    result = y * (2 - x * y)
    return result.get() if isinstance(result, cl.SharedTensor) else result


# ----- logistic_step -------------------------------------------------------------------------------------------------
def _logistic(features, labels, weights, bias, lr, sign=-1, mean=True, sigmoid=True, transpose=True, move_bias=True):
    score = features @ weights + bias
    error = (score.sigmoid() if sigmoid else score) - labels
    n = features.shape[0] if mean else 1
    grad_w = (features.t() if transpose else features) @ error / n
    grad_b = error.sum(0) / n
    return weights + grad_w * (sign * lr), (bias + grad_b * (sign * lr)) if move_bias else bias


def _logistic_revealing_loss(features, labels, weights, bias, lr):
    p = (features @ weights + bias).sigmoid()
    cl.SharedTensor.get(((p - labels) * (p - labels)).sum())  # printing the loss inside the step
    return _logistic(features, labels, weights, bias, lr)


def _logistic_revealing_model(features, labels, weights, bias, lr):
    weights.get()
    return _logistic(features, labels, weights, bias, lr)


CLASSIC_MISTAKES = [
    ("and_gate", lambda x, y, t: _and(x, y, t, ()), "the public term e AND f is missing"),
    ("and_gate", lambda x, y, t: _and(x, y, t, range(9)), "even number of parties"),
    ("and_gate", lambda x, y, t: x & y, "AND does not work share by share"),
    ("and_gate", _and_with_plus, "XOR shares: combine them with ^"),
    ("and_gate", _and_reconstructing_x, "reconstructs the secret"),
    ("and_gate", _and_reconstructing_y, "reconstructs the secret"),
    ("and_gate", _and_using_the_others_shares, "party 0's result changed"),
    ("and_gate", lambda x, y, t: list(_and(x, y, t)), "stack the rows"),
    ("and_gate", lambda x, y, t: _and(x, y, t)[0], "one row of words per party"),
    ("newton_step", lambda x, y: y * (1 - x * y), "the factor must be (2 - x·y)"),
    ("newton_step", lambda x, y: 2 - x * y, "multiply the guess y by it"),
    ("newton_step", lambda x, y: y * (2 - y), "x is missing"),
    ("newton_step", lambda x, y: y, "the guess y unchanged"),
    ("newton_step", _newton_revealing, "the step revealed a value"),
    ("newton_step", _newton_plain_result, "the step revealed a value"),
    ("logistic_step", lambda *a: _logistic(*a, sign=1), "the model moved uphill"),
    ("logistic_step", lambda *a: _logistic(*a, mean=False), "divide by the number of rows"),
    ("logistic_step", lambda *a: _logistic(*a, sigmoid=False), "skipped the sigmoid"),
    ("logistic_step", lambda *a: _logistic(*a, transpose=False), "the transpose is missing"),
    ("logistic_step", lambda *a: _logistic(*a, move_bias=False), "the bias did not move"),
    ("logistic_step", lambda f, y, w, b, lr: (w, b), "the update was never applied"),
    ("logistic_step", _logistic_revealing_loss, "the step revealed a number"),
    ("logistic_step", _logistic_revealing_model, "revealed the weights (.get())"),
    ("logistic_step", lambda *a: _logistic(*a)[0], "expected a tuple (new_weights, new_bias)"),
]
