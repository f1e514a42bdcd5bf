"""Checks for chapter 06 (comparisons and non-linear functions). Solutions: notebooks/solutions/06_nonlinear.py.

Three exercises, one per part of the chapter:

  and_gate        one layer of the comparison circuit: AND of XOR-shared words with a dealer's triple, any number of
                  parties (the oracle: the XOR of the returned shares must be x AND y; a function that XORs the
                  shares of x or y together is stopped on the spot, `watch_secret`)
  newton_step     one Newton-Raphson step for 1/x, on torch tensors and on shares alike (the oracle: y·(2 - x·y) in
                  float64; on shares nothing may be revealed)
  logistic_step   one mini-batch gradient step of logistic regression on shares, with the secure sigmoid (the oracle:
                  `course_lib.logistic.training_step` on the same plaintext)

Every share a check builds comes from the check's own seeded randomness (`own_randomness`), never from the notebook's.
Failure messages name the usual wrong turns without printing the expected tensors.
"""

from __future__ import annotations

import torch

from course_lib import logistic
from course_lib.datasets import breast_cancer
from course_lib.exercises import (
    Case,
    CheckResult,
    Hint,
    case_rng,
    own_randomness,
    plain,
    run_check,
    watch_secret,
)
from course_lib.exercises.shared_inputs import parties as check_parties
from course_lib.exercises.shared_inputs import reveal, shared_answer_problem, unrevealable, watching
from course_lib.tensor import SharedTensor, share

__all__ = ["check_and_gate", "check_newton_step", "check_logistic_step", "EXERCISES"]

AND_GATE = Hint(
    "and_gate",
    nudge="hide x and y behind the triple's masks with XOR, open only the masked words, then let every party combine "
    "what was opened with its own shares of the triple; the one public term goes to a single party",
    more="e is the XOR over the parties of x_i ^ a_i, f likewise from y and b; party i returns "
    "c_i ^ (e & b_i) ^ (a_i & f), and party 0 also XORs in e & f; torch.stack the rows",
)
NEWTON_STEP = Hint(
    "newton_step",
    nudge="Newton's step for 1/x multiplies the current guess by a correction factor that is exactly one when x "
    "times the guess is one, and overshoots by as much as that product falls short",
    more="return y * (2 - x * y): two products, and the same line works on torch tensors and on SharedTensors",
)
LOGISTIC_STEP = Hint(
    "logistic_step",
    nudge="score the rows, squash the scores into probabilities with the secure sigmoid, take the error against the "
    "labels, and move weights and bias against the average gradient — all on shares, nothing opened",
    more="p = (features @ weights + bias).sigmoid(); error = p - labels; n = features.shape[0]; new weights = "
    "weights - features.t() @ error / n * learning_rate; new bias = bias - error.sum(0) / n * learning_rate",
)


# ----- and_gate ----------------------------------------------------------------------------------------------------
_AND_CASES = [(2, 1), (3, 4), (2, 16), (4, 8), (5, 3), (3, 8)]  # (parties, words); the last one is the locality base


def _words(generator: torch.Generator, shape) -> torch.Tensor:
    return torch.randint(-(2**63), 2**63 - 1, shape, generator=generator, dtype=torch.int64)


def _xor_rows(shares: torch.Tensor) -> torch.Tensor:
    """The secret of XOR shares (n, ...): the XOR of the rows."""
    out = shares[0].clone()
    for row in shares[1:]:
        out ^= row
    return out


def _xor_shares(generator: torch.Generator, secret: torch.Tensor, n: int) -> torch.Tensor:
    shares = _words(generator, (n, *secret.shape))
    shares[-1] = secret ^ _xor_rows(shares[:-1]) if n > 1 else secret
    return shares


def _and_cases() -> list[Case]:
    generator = torch.Generator().manual_seed(606)
    cases = []
    for n, m in _AND_CASES:
        x, y, a, b = (_words(generator, (m,)) for _ in range(4))
        if m >= 4:  # the four combinations of bits all appear, and words with every bit 0 or 1
            x[0], y[0], x[1], y[1] = 0, -1, -1, -1
        shared = [_xor_shares(generator, value, n) for value in (x, y, a, b, a & b)]
        cases.append(Case((shared[0], shared[1], tuple(shared[2:])), f"{n} parties, {m} words", (x, y, a, b)))
    # locality: the same secrets and triple, but parties 1 and 2 hold other shares of x, y and a (party 0's own
    # shares stay, so the opened e and f and party 0's share of the result must stay as they were)
    (sx, sy, (sa, sb, sc)), secrets = cases[-1].args, cases[-1].expected
    masks = [_words(generator, sx.shape[1:]) for _ in range(3)]
    moved = [t.clone() for t in (sx, sy, sa)]
    for t, mask in zip(moved, masks, strict=True):
        t[1] ^= mask
        t[2] ^= mask
    label = "3 parties, 8 words, parties 1 and 2 holding other shares of the same x, y and triple"
    cases.append(Case((moved[0], moved[1], (moved[2], sb, sc)), label, secrets))
    return cases


def _and_problem(got, case: Case) -> str | None:
    x_shares, y_shares, _ = case.args
    x, y, a, b = case.expected
    got = plain(got)
    if isinstance(got, (list, tuple)) and got and all(isinstance(g, torch.Tensor) for g in got):
        return f"returned a {type(got).__name__} of tensors, expected one int64 tensor: stack the rows (torch.stack)"
    if not isinstance(got, torch.Tensor):
        return f"returned {type(got).__name__}, expected an int64 tensor of shares"
    if got.dtype != torch.int64:
        return f"returned a {got.dtype} tensor, expected torch.int64 words (bitwise operations keep int64)"
    if tuple(got.shape) != tuple(x_shares.shape):
        return f"returned shape {tuple(got.shape)}, expected {tuple(x_shares.shape)}: one row of words per party"
    expected = x & y
    total = _xor_rows(got)
    if torch.equal(total, expected):
        return None
    if torch.equal(total ^ ((x ^ a) & (y ^ b)), expected):
        return (
            "the XOR of your shares is (x AND y) XOR (e AND f): the public term e AND f is missing, or was XORed in "
            "by an even number of parties (they cancel) — party 0 alone adds it"
        )
    if torch.equal(got, x_shares & y_shares):
        return (
            "each party ANDed its own shares of x and y: AND does not work share by share (the cross terms such as "
            "x_0 AND y_1 are missing) — that is what the triple is for"
        )
    a_shares, b_shares, c_shares = (plain(t) for t in case.args[2])
    e, f = x ^ a, y ^ b
    added = c_shares + (e & b_shares) + (a_shares & f)
    added[0] += e & f
    if torch.equal(got, added) or torch.equal(got.sum(dim=0), expected):
        return "your shares ADD up to x AND y, but these are XOR shares: combine them with ^ (XOR), not +"
    wrong = int((total != expected).sum())
    return f"the XOR of your shares differs from x AND y in {wrong} of {expected.numel()} words"


def _and_locality(answers) -> str | None:
    (_, before), (_, after) = answers[-2], answers[-1]
    if not torch.equal(plain(before)[0], plain(after)[0]):
        return (
            "party 0's result changed when only parties 1 and 2 held other shares of the same x, y and triple: each "
            "party must combine its OWN shares with the opened e and f, nothing else"
        )
    return None


def check_and_gate(and_gate) -> CheckResult:
    """`and_gate(x, y, triple)`: x, y and the triple's a, b, c are XOR shares, int64 tensors (n_parties, words), with
    c = a AND b; return XOR shares (n_parties, words) of x AND y, every party using its own shares and the opened
    e = x XOR a, f = y XOR b only."""

    def prepare(case: Case) -> tuple:
        # one watched input per call (torch cannot mix two watched kinds in one operation): x with an even number of
        # parties, y with an odd one — a function that XORs up the shares of either is caught in some case
        x_shares, y_shares = case.args[0].clone(), case.args[1].clone()
        triple = tuple(t.clone() for t in case.args[2])
        x, y, _, _ = case.expected
        if x_shares.shape[0] % 2:
            return x_shares, watch_secret(y_shares, y), triple
        return watch_secret(x_shares, x), y_shares, triple

    return run_check(
        and_gate,
        _and_cases(),
        AND_GATE,
        prepare=prepare,
        problem=_and_problem,
        after=_and_locality,
        note=" — 2 to 5 parties, and each party uses only its own shares",
    )


# ----- shared inputs that must not be revealed, and watching what a function reveals --------------------------------
def _close(got: torch.Tensor, want: torch.Tensor, tolerance: float) -> bool:
    return got.shape == want.shape and bool(((got.double() - want.double()).abs() <= tolerance).all())


# ----- newton_step -------------------------------------------------------------------------------------------------
_NEWTON_TOLERANCE = {False: 1e-9, True: 2e-3}  # plaintext float64; on shares, a few units of 2^-16 after 2 products


def _newton_cases() -> list[Case]:
    rng = case_rng("newton_step")
    cases = []
    fixed = [
        ([0.5, 1.0, 2.0, 1.5, 0.8], [1.2, 0.9, 0.3, 0.5, 1.0]),
        ([3.0, 0.25, 7.5], [0.2, 3.0, 0.1]),
    ]
    for x, y in fixed:
        cases.append((x, y, 0))
    for n in (2, 3, 2):
        x = [round(rng.uniform(0.5, 2.0), 3) for _ in range(6)]
        y = [round(2.1 - 0.7 * v, 3) for v in x]  # a line guess near 1/x on [0.5, 2]
        cases.append((x, y, n))
    out = []
    for x, y, n in cases:
        x, y = torch.tensor(x, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)
        where = "in plaintext" if n == 0 else f"shared among {n} parties"
        out.append(Case((x, y, n), f"{x.numel()} values {where}", y * (2 - x * y)))
    return out


def _newton_prepare(case: Case) -> tuple:
    x, y, n = case.args
    if n == 0:
        return x.clone(), y.clone()
    parties, dealer = check_parties(n)
    why = "revealed {} (.get()): a Newton step on shares opens nothing; it hands back shares"
    return tuple(
        unrevealable(share(t, *parties, crypto_provider=dealer), why.format(name)) for t, name in ((x, "x"), (y, "y"))
    )


def _newton_problem(answer, case: Case) -> str | None:
    got, revealed = answer
    x, y, n = case.args
    shared = n > 0
    if revealed:
        return "the step revealed a value (.get() inside): on shares, hand back the shared result and reveal nothing"
    if shared and isinstance(got, torch.Tensor):
        return "returned a plain tensor for shared inputs: keep the result shared (no .get())"
    if shared:
        if not isinstance(got, SharedTensor):
            return f"returned {type(got).__name__}, expected a SharedTensor"
        got = reveal(got)
    elif not isinstance(got, torch.Tensor):
        return f"returned {type(got).__name__}, expected a tensor like x and y"
    if tuple(got.shape) != tuple(x.shape):
        return f"returned shape {tuple(got.shape)}, expected {tuple(x.shape)} like x"
    tolerance = _NEWTON_TOLERANCE[shared]
    if _close(got, case.expected, tolerance):
        return None
    others = [
        (y * (1 - x * y), "that is y·(1 - x·y): the factor must be (2 - x·y), so that a right guess (x·y = 1) stays"),
        (2 - x * y, "that is the factor (2 - x·y) alone: multiply the guess y by it"),
        (y * (2 - y), "x is missing: the correction depends on how far x·y is from 1"),
        (1 / x, "that is 1/x itself: one Newton STEP only moves the guess y toward it"),
        (y, "that is the guess y unchanged: apply the step"),
    ]
    for value, words in others:
        if _close(got, value, tolerance):
            return words
    return f"differs from the Newton step by up to {float((got - case.expected).abs().max()):.3g}"


def check_newton_step(newton_step) -> CheckResult:
    """`newton_step(x, y)` must return the next Newton-Raphson guess of 1/x from the guess y, elementwise:
    torch tensors in, a torch tensor out; SharedTensors in, a SharedTensor out, nothing revealed."""
    learner = watching(newton_step) if callable(newton_step) else newton_step
    return run_check(
        learner,
        _newton_cases(),
        NEWTON_STEP,
        prepare=_newton_prepare,
        problem=_newton_problem,
        note=" — in plaintext and on shares (2 and 3 parties), nothing revealed",
    )


# ----- logistic_step -----------------------------------------------------------------------------------------------
# (rows, parties, learning rate, random model?) — 30 rows of 30 features make the batch square, so a missing
# transpose gives wrong numbers instead of a shape error
_LOGISTIC_CASES = [(30, 2, 0.5, False), (16, 2, 0.5, True), (8, 3, 0.1, True)]
_LOGISTIC_TOLERANCE = 2e-3  # the secure sigmoid's 2e-4, through a product, a mean and the learning rate
_KEEP_SHARED = "revealed {} (.get()): a training step on shares keeps everything shared"


def _logistic_cases() -> list[Case]:
    cancer = breast_cancer()
    train_rows, _ = cancer.train_test_split()
    scaler = logistic.Scaler.fit(cancer.features[train_rows])
    features, labels = scaler(cancer.features[train_rows]), cancer.malignant[train_rows].reshape(-1, 1)
    generator = torch.Generator().manual_seed(66)
    cases = []
    for index, (rows, n, lr, random_model) in enumerate(_LOGISTIC_CASES):
        chosen = torch.randperm(len(features), generator=generator)[:rows]
        if random_model:
            weights = 0.2 * torch.randn(30, 1, generator=generator, dtype=torch.float64)
            bias = torch.tensor([0.3 - 0.2 * index], dtype=torch.float64)
        else:
            weights, bias = torch.zeros(30, 1, dtype=torch.float64), torch.zeros(1, dtype=torch.float64)
        plaintext = (features[chosen], labels[chosen], weights, bias, lr)
        label = f"{rows} patients × 30 features, {n} parties, lr {lr:g}" + (", random model" * random_model)
        cases.append(Case((*plaintext, n), label, plaintext))
    return cases


def _logistic_prepare(case: Case) -> tuple:
    *plaintext, lr, n = case.args
    parties, dealer = check_parties(n)
    names = ("the features", "the labels", "the weights", "the bias")
    shared = [
        unrevealable(share(t, *parties, crypto_provider=dealer), _KEEP_SHARED.format(name))
        for t, name in zip(plaintext, names, strict=True)
    ]
    return (*shared, lr)


def _step(features, labels, weights, bias, lr, *, sign=-1, mean=True, sigmoid=True, transpose=True, move_bias=True):
    """Plaintext variants of the step (the right one with the defaults), for naming a mistake."""
    score = features @ weights + bias
    error = (score.sigmoid() if sigmoid else score) - labels
    n = features.shape[0] if mean else 1
    grad_w = (features.t() if transpose else features) @ error / n
    grad_b = error.sum(0) / n
    return weights + sign * grad_w * lr, (bias + sign * grad_b * lr) if move_bias else bias


def _logistic_problem(answer, case: Case) -> str | None:
    out, revealed = answer
    features, labels, weights, bias, lr = case.expected
    form = shared_answer_problem(
        out,
        revealed,
        ("new_weights", "new_bias"),
        "keep everything shared and hand back the new model",
        "a step on shares",
    )
    if form is not None:
        return form
    new_weights, new_bias = (reveal(value) for value in out)
    if tuple(new_weights.shape) != tuple(weights.shape):
        return f"new_weights has shape {tuple(new_weights.shape)}, expected {tuple(weights.shape)} like the weights"
    if tuple(new_bias.shape) != tuple(bias.shape):
        return f"new_bias has shape {tuple(new_bias.shape)}, expected {tuple(bias.shape)} like the bias"
    expected_weights, expected_bias = _step(features, labels, weights, bias, lr)

    def matches(**variant) -> bool:
        w, b = _step(features, labels, weights, bias, lr, **variant)
        return _close(new_weights, w, _LOGISTIC_TOLERANCE) and _close(new_bias, b, _LOGISTIC_TOLERANCE)

    if _close(new_weights, expected_weights, _LOGISTIC_TOLERANCE):
        if _close(new_bias, expected_bias, _LOGISTIC_TOLERANCE):
            return None
        if _close(new_bias, bias, _LOGISTIC_TOLERANCE):
            return "the weights are right but the bias did not move: update it with the mean error too"
        return f"the weights are right, but the bias is off by {float((new_bias - expected_bias).abs().max()):.3g}"
    if matches(sign=1):
        return "the model moved uphill (the loss grows): subtract the gradient times the learning rate (error = p - y)"
    if matches(mean=False):
        return "the step is n times too large: the gradient is the MEAN over the batch, divide by the number of rows"
    if matches(sigmoid=False):
        return "the probabilities skipped the sigmoid: p = sigmoid(features @ weights + bias), then error = p - labels"
    if features.shape[0] == features.shape[1] and matches(transpose=False):
        return "the weights' gradient is featuresᵀ @ error: the transpose is missing"
    if _close(new_weights, weights, _LOGISTIC_TOLERANCE):
        return "new_weights equals the old weights: the update was never applied"
    return f"new_weights differs from the plaintext step by {float((new_weights - expected_weights).abs().max()):.3g}"


def check_logistic_step(logistic_step) -> CheckResult:
    """`logistic_step(features, labels, weights, bias, learning_rate)` on SharedTensors must return (new_weights,
    new_bias), both shared, matching `course_lib.logistic.training_step` on the plaintext, revealing nothing."""
    learner = watching(logistic_step) if callable(logistic_step) else logistic_step
    with own_randomness("logistic_step/cases"):
        cases = _logistic_cases()
    return run_check(
        learner,
        cases,
        LOGISTIC_STEP,
        prepare=_logistic_prepare,
        problem=_logistic_problem,
        note=" — every step matches plaintext training, and nothing was revealed",
    )


EXERCISES = {
    "and_gate": check_and_gate,
    "newton_step": check_newton_step,
    "logistic_step": check_logistic_step,
}
