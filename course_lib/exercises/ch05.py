"""Checks for chapter 05 (learning XOR while encrypted). Solutions: notebooks/solutions/05_encrypted_xor.py.

The shares a check builds come from the check's own seeded randomness (`own_randomness`), never from the notebook's
seeded stream: running a check must not change the shares printed below it. Plaintext `course_lib.reservoir` is the
oracle: an encrypted step must match `training_step` on torch tensors within fixed-point error. The learner gets
shared tensors that refuse to be revealed where revealing is the mistake (every input of a training step; the model
of a prediction service). Failure messages say what is wrong (a sign, a missing transpose, a revealed model) without
printing the expected tensors.
"""

from __future__ import annotations

import math
import numbers

import torch

from course_lib.encoding import FixedPointEncoder
from course_lib.exercises import Case, CheckResult, Hint, own_randomness, run_check
from course_lib.exercises.shared_inputs import parties as check_parties
from course_lib.exercises.shared_inputs import reveal, shared_answer_problem, unrevealable, watching
from course_lib.reservoir import (
    reservoir_features,
    reservoir_weights,
    squared_error,
    train_plaintext,
    training_step,
    xor_dataset,
)
from course_lib.tensor import SharedTensor, share

__all__ = ["check_private_training_step", "check_predict", "check_lr_after_encoding", "EXERCISES"]

PRIVATE_TRAINING_STEP = Hint(
    "private_training_step",
    nudge="do the article's step on the shared tensors, then compute the loss the way you would in plaintext — a "
    "SharedTensor multiplies and sums too — and hand it back still shared: nothing in the step needs revealing",
    more="prediction = data.mm(model); error = prediction - target; the loss is (error * error).sum(), a shared "
    "number; the new model is model - data.transpose(0, 1).mm(error) * learning_rate; return (new_model, loss)",
)
PREDICT = Hint(
    "predict",
    nudge="bring the new features to where the model is: share them among the model's parties, with its dealer, "
    "compute the scores on shares, and reveal the scores only",
    more="cl.share(features, *shared_model.parties, crypto_provider=shared_model.group.crypto_provider), then "
    ".mm(shared_model), .get() the scores, compare with 0.5",
)
LR_AFTER_ENCODING = Hint(
    "lr_after_encoding",
    nudge="the encoder can keep only whole multiples of 2^-precision_bits: which one does it keep for lr?",
    more="the encoder stores round(lr * 2**precision_bits) (Python's round); divide that integer by 2**precision_bits",
)



def _features(size: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    inputs, targets = xor_dataset()
    return reservoir_features(inputs, reservoir_weights(size, seed=seed)), targets


def _max_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a.double() - b.double()).abs().max())


# ----- private_training_step ---------------------------------------------------------------------------------------
# (reservoir size, reservoir seed, parties, learning rate, start from a random model?, steps). Size 4 makes the data
# square (4 examples x 4 features), so a missing transpose gives a wrong answer instead of a shape error. Each step is
# one case: the model of step s is plaintext training's model after s steps, shared afresh.
_STEP_CASES = [(4, 2, 2, 5e-2, False, 4), (32, 1, 2, 1e-2, True, 3), (16, 3, 3, 1e-2, True, 3)]
_STEP_TOLERANCE = 2e-3  # a few fixed-point units of 2^-16 after a handful of truncated products
_KEEP_SHARED = "revealed {} (.get()): a private training step keeps everything shared, so nothing is revealed"


def _step_cases() -> list[Case]:
    cases = []
    with own_randomness("private_training_step/cases"):
        for index, (size, seed, n_parties, lr, random_model, steps) in enumerate(_STEP_CASES):
            features, targets = _features(size, seed)
            if random_model:
                model_plain = 0.05 * torch.randn(size, 1, generator=torch.Generator().manual_seed(100 + index))
            else:
                model_plain = torch.zeros(size, 1)
            parties, dealer = check_parties(n_parties)
            for step in range(steps):
                shared = [
                    unrevealable(share(t, *parties, crypto_provider=dealer), _KEEP_SHARED.format(name))
                    for t, name in ((features, "the data"), (targets, "the target"), (model_plain, "the model"))
                ]
                label = f"reservoir size {size}, {n_parties} parties, lr {lr:g}, step {step}"
                cases.append(Case((*shared, lr), label, (features, targets, model_plain, lr)))
                model_plain = training_step(features, targets, model_plain, lr)[0]
    return cases


def _step_problem(answer, case: Case) -> str | None:
    """What is wrong with one step's (new_model, loss), compared with plaintext training_step and squared_error."""
    out, revealed = answer
    data_plain, target_plain, model_plain, lr = case.expected
    form = shared_answer_problem(
        out,
        revealed,
        ("new_model", "loss"),
        "keep the loss shared and hand it back; whoever prints it reveals it",
        "a private step",
    )
    if form is not None:
        return form
    new_model, loss = (reveal(value) for value in out)
    expected_model, _, error = training_step(data_plain, target_plain, model_plain, lr)
    expected_loss = squared_error(error)
    close = lambda got, want: got.shape == want.shape and _max_diff(got, want) < _STEP_TOLERANCE  # noqa: E731
    if loss.shape != ():
        if loss.numel() == error.numel():
            return f"the loss has shape {tuple(loss.shape)}: sum the squared errors into one number"
        return f"the loss has shape {tuple(loss.shape)}, expected one number (a 0-d tensor)"
    if not close(loss, expected_loss):
        if close(loss, error.sum()):
            return "the loss is the sum of the errors: square each error first (error * error)"
        if close(loss, squared_error(training_step(data_plain, target_plain, expected_model, lr)[2])):
            return "the loss belongs to the NEW model: compute it from this step's error, before the update"
        return f"the loss differs from Σ (prediction - target)² by {_max_diff(loss, expected_loss):.3g}"
    if tuple(new_model.shape) != tuple(expected_model.shape):
        return f"new_model has shape {tuple(new_model.shape)}, expected {tuple(expected_model.shape)} like the model"
    if close(new_model, expected_model):
        return None
    update = data_plain.transpose(0, 1).mm(error)
    if close(new_model, model_plain + update * lr):
        return "the model moved uphill (the loss grows): subtract update * learning_rate, don't add it"
    if data_plain.shape[0] == data_plain.shape[1] and close(new_model, model_plain - data_plain.mm(error) * lr):
        return "the update must be data.transpose(0, 1).mm(error): the transpose is missing"
    if close(new_model, model_plain):
        return "new_model equals the old model: the update was never applied"
    return f"new_model differs from the plaintext step by {_max_diff(new_model, expected_model):.3g}"


def check_private_training_step(private_training_step) -> CheckResult:
    """`private_training_step(data, target, model, learning_rate)` must return (new_model, loss), both SharedTensors
    (loss 0-d: Σ (prediction - target)²), matching plaintext training at several steps, revealing nothing."""
    learner = watching(private_training_step) if callable(private_training_step) else private_training_step
    return run_check(
        learner,
        _step_cases(),
        PRIVATE_TRAINING_STEP,
        problem=_step_problem,
        note=" — every step matches plaintext training, and nothing was revealed",
    )


# ----- predict -----------------------------------------------------------------------------------------------------
# (reservoir size, reservoir seed, learning rate for the plaintext readout, parties, noisy inputs, noise seed)
_PREDICT_CASES = [(256, 7, 1e-3, 2, 12, 11), (64, 3, 1e-2, 3, 10, 12), (128, 5, 3e-3, 2, 8, 13)]
_MODEL_REVEALED = "the model was revealed (.get() on it): a prediction service reveals the predictions only"


def _predict_case(size, seed, lr, n_parties, n_inputs, noise_seed):
    inputs, targets = xor_dataset()
    weights = reservoir_weights(size, seed=seed)
    readout = train_plaintext(reservoir_features(inputs, weights), targets, 250, lr, reveal_loss_every=250).model
    generator = torch.Generator().manual_seed(noise_seed)
    corners = torch.randint(0, 2, (4 * n_inputs, 2), generator=generator).float()
    noisy = corners + 0.1 * torch.randn(corners.shape, generator=generator)
    features = reservoir_features(noisy, weights)
    scores = features @ readout
    keep = ((scores - 0.5).abs() > 0.05).flatten().nonzero().flatten()[:n_inputs]  # none too close to the threshold
    features, scores = features[keep], scores[keep]
    return readout, features, (scores > 0.5).long()


def _predictions_problem(got, case: Case) -> str | None:
    expected = case.expected
    if isinstance(got, SharedTensor):
        return "returned a SharedTensor: reveal the predictions (only them) with .get() and compare with 0.5"
    if isinstance(got, (list, tuple)):
        try:
            got = torch.as_tensor(got)
        except (TypeError, ValueError, RuntimeError):
            return "returned a list that is not a list of numbers"
    if not isinstance(got, torch.Tensor):
        return f"returned {type(got).__name__}, expected a tensor of 0/1 predictions"
    if got.numel() != expected.numel():
        return f"returned {got.numel()} predictions for {expected.numel()} inputs"
    values = got.reshape(-1).double()
    if not bool(((values == 0) | (values == 1)).all()):
        return "returned scores, not 0/1 predictions: compare the revealed scores with 0.5"
    wrong = int((values.long() != expected.reshape(-1)).sum())
    if wrong:
        return f"{wrong} of {expected.numel()} predictions differ from features @ model > 0.5"
    return None


def check_predict(predict) -> CheckResult:
    """`predict(shared_model, features)` must return 0/1 predictions for the plaintext `features` (n, size) from a
    secret-shared readout (size, 1), revealing the predictions only, never the model."""
    cases = []
    with own_randomness("predict/cases"):
        for size, seed, lr, n_parties, n_inputs, noise_seed in _PREDICT_CASES:
            readout, features, expected = _predict_case(size, seed, lr, n_parties, n_inputs, noise_seed)
            parties, dealer = check_parties(n_parties)
            model = unrevealable(share(readout, *parties, crypto_provider=dealer), _MODEL_REVEALED)
            label = f"reservoir size {size}, {n_parties} parties, {len(expected)} noisy inputs"
            cases.append(Case((model, features), label, expected))
    return run_check(predict, cases, PREDICT, problem=_predictions_problem)


# ----- lr_after_encoding -------------------------------------------------------------------------------------------
_LR_CASES = [
    (1e-3, 16), (1e-3, 8), (1e-3, 9), (1e-3, 10), (1e-3, 12), (1e-3, 20), (1e-2, 16), (3e-3, 16),
    (0.1, 4), (0.3, 3), (2e-4, 12), (5e-4, 10), (0.05, 16), (1e-3, 0),
]  # fmt: skip


def _lr_problem(got, case: Case) -> str | None:
    (lr, bits), expected = case.args, case.expected
    if isinstance(got, torch.Tensor) and got.numel() == 1:
        got = got.item()
    if isinstance(got, bool) or not isinstance(got, numbers.Real):
        return f"returned {type(got).__name__}, expected a number"
    got = float(got)
    if math.isclose(got, expected, rel_tol=1e-12, abs_tol=1e-15):
        return None
    if math.isclose(got, lr, rel_tol=1e-12):
        why = "that is the rate you asked for; the encrypted run uses its fixed-point encoding"
    elif math.isclose(got, expected * 2**bits, rel_tol=1e-12):
        why = "that is the encoded integer; divide it by 2^precision_bits to read it as a rate"
    else:
        why = f"expected {expected:.6g}"
    return f"got {got:.6g} — {why}"


def check_lr_after_encoding(lr_after_encoding) -> CheckResult:
    """`lr_after_encoding(lr, precision_bits)` must return the learning rate an encrypted run really multiplies by:
    lr encoded in fixed point (round(lr · 2^bits)) and read back (divided by 2^bits)."""
    cases = [
        Case((lr, bits), f"lr={lr:g}, precision_bits={bits}", FixedPointEncoder(bits).encode_number(lr) / 2**bits)
        for lr, bits in _LR_CASES
    ]
    return run_check(lr_after_encoding, cases, LR_AFTER_ENCODING, problem=_lr_problem)


EXERCISES = {
    "private_training_step": check_private_training_step,
    "predict": check_predict,
    "lr_after_encoding": check_lr_after_encoding,
}
