"""Checks for chapter 07 (federated learning and secure aggregation). Solutions: notebooks/solutions/07_federated.py.

Each check builds its cases from fixed seeds (`case_rng`, or a seeded `torch.Generator` for the public data), so it
gives the same verdict on every run and never consumes the notebook's seeded stream. The oracles are `course_lib`'s
own functions: `logistic.gradients` and the breast-cancer records for the leak, `secagg.evaluate_polynomial` for
Shamir, `secagg.prg_mask` and `secagg.pairwise_mask_sum` for the masks. Failure messages name the mistake (a scaler
not undone, a division upside down, additive instead of Shamir shares, masks with the wrong signs) without printing
what the learner should have returned, except where the number itself teaches nothing.
"""

from __future__ import annotations

import torch

from course_lib import logistic
from course_lib.datasets import breast_cancer
from course_lib.exercises import Case, CheckResult, Hint, case_rng, clip, run_check, same_int
from course_lib.secagg import PRIME, evaluate_polynomial, pairwise_mask_sum, prg_mask
from course_lib.secagg.quantisation import RING_MASK, RING_MODULUS

__all__ = ["check_patient_from_gradient", "check_shamir_reconstruct", "check_mask_update", "EXERCISES"]

PATIENT_FROM_GRADIENT = Hint(
    "patient_from_gradient",
    nudge="both gradients carry the same factor, the patient's error; cancel it out, then bring the features back to "
    "the units of the file with the public scaler",
    more="x_scaled = grad_weights.flatten() / grad_bias gives the standardised record; the raw one is "
    "x_scaled * scaler.std + scaler.mean (course_lib.federated.unscale does this step)",
)
SHAMIR_RECONSTRUCT = Hint(
    "shamir_reconstruct",
    nudge="the shares are points on a polynomial whose value at zero is the secret: rebuild that value from the "
    "points, and do every division in the field, never with floats",
    more="f(0) = Σ_j y_j·λ_j with λ_j = Π_{m≠j} x_m / (x_m - x_j); divide by multiplying with pow(d, -1, prime) and "
    "reduce mod prime as you go",
)
MASK_UPDATE = Hint(
    "mask_update",
    nudge="start from the update, add the client's own mask, then one mask per peer, added or subtracted depending "
    "on which of the pair has the lower index, and keep everything on the 32-bit clock",
    more="y = q + prg_mask(self_seed, L) + Σ_v ±prg_mask(pair_seeds[v], L) with + when own < v and - when own > v; "
    "finally % 2**32 so every value lies in [0, 2^32)",
)


# ----- patient_from_gradient ---------------------------------------------------------------------------------------
_LEAK_ROWS = (0, 7, 19, 62, 100, 250, 333, 404, 511, 568)  # patients of both kinds, all over the file


def _leak_cases() -> list[Case]:
    data = breast_cancer()
    scaler = logistic.Scaler.fit(data.features)
    scaled = scaler(data.features)
    generator = torch.Generator().manual_seed(7)
    models = [
        ("the zero model", logistic.Model.zeros(30)),
        ("a random model", logistic.Model(0.3 * torch.randn(30, 1, generator=generator, dtype=torch.float64),
                                          torch.tensor([0.2], dtype=torch.float64))),
    ]  # fmt: skip
    cases = []
    for k, row in enumerate(_LEAK_ROWS):
        name, model = models[k % len(models)]
        grad_w, grad_b, _ = logistic.gradients(
            scaled[row : row + 1], data.malignant[row : row + 1].reshape(1, 1), model
        )
        label = f"patient {row} ({'malignant' if data.malignant[row] else 'benign'}), gradient at {name}"
        cases.append(Case((grad_w, grad_b, scaler), label, (data.features[row], scaled[row])))
    return cases


def _as_vector(got) -> torch.Tensor | str:
    if isinstance(got, (list, tuple)):
        try:
            got = torch.tensor(got, dtype=torch.float64)
        except (TypeError, ValueError, RuntimeError):
            return "returned a list that is not a list of numbers"
    if not isinstance(got, torch.Tensor):
        return f"returned {type(got).__name__}, expected a tensor of the patient's 30 features"
    if not got.is_floating_point():
        return f"returned a tensor of dtype {got.dtype}, expected real numbers (the features are measurements)"
    return got.detach().reshape(-1).double()


def _patient_problem(got, case: Case) -> str | None:
    raw, scaled = case.expected
    grad_w, grad_b, scaler = case.args
    vector = _as_vector(got)
    if isinstance(vector, str):
        return vector
    if vector.numel() != raw.numel():
        return f"returned {vector.numel()} numbers, expected the patient's {raw.numel()} features"

    def near(a: torch.Tensor, b: torch.Tensor) -> bool:
        return bool(torch.allclose(a, b, rtol=1e-9, atol=1e-9))

    if near(vector, raw):
        return None
    if near(vector, scaled):
        return "these are the standardised features: undo the public scaler to get the record in the file's units"
    if near(vector, scaled * scaler.std):
        return "nearly: you multiplied by the standard deviations but did not add the means back"
    if near(vector, grad_w.reshape(-1)) or near(vector, grad_w.reshape(-1) * scaler.std + scaler.mean):
        return "the weights' gradient still holds the factor (p - y): divide it by the bias gradient, which is p - y"
    if bool((vector != 0).all()) and near(1 / vector, scaled):
        return "upside down: divide the weights' gradient by the bias gradient, not the other way round"
    worst = int((vector - raw).abs().argmax())
    return f"feature {worst} is {vector[worst].item():.6g}, but the patient's record holds {raw[worst].item():.6g}"


def check_patient_from_gradient(patient_from_gradient) -> CheckResult:
    """`patient_from_gradient(grad_weights, grad_bias, scaler)` must return the patient's raw record (30 features in
    the file's units) from the gradient of logistic regression on that one patient, and the public scaler."""
    return run_check(
        patient_from_gradient,
        _leak_cases(),
        PATIENT_FROM_GRADIENT,
        problem=_patient_problem,
        note=" — every patient's record came back from one gradient",
    )


# ----- shamir_reconstruct ------------------------------------------------------------------------------------------
_PRIMES = (PRIME, 2**31 - 1, 7919, 101, 11)  # large first: a wrong answer fails where chance agreement is nil


def _shamir_cases() -> list[Case]:
    rng = case_rng("shamir_reconstruct")
    cases = []
    for prime in _PRIMES:
        for threshold in (1, 2, 3, 4, 5):
            secret = rng.randrange(prime)
            coefficients = [secret] + [rng.randrange(prime) for _ in range(threshold - 1)]
            n = min(prime - 1, threshold + 3)
            xs = rng.sample(range(1, n + 1), min(n, threshold + rng.randint(0, 1)))  # t or t + 1 holders, any order
            points = [(x, evaluate_polynomial(coefficients, x, prime)) for x in xs]
            label = f"{len(points)} points of a {threshold}-of-{n} sharing mod {_prime_name(prime)}"
            cases.append(Case((points, prime), label, secret))
    return cases


def _prime_name(prime: int) -> str:
    return "2^256 + 297" if prime == PRIME else "2^31 - 1" if prime == 2**31 - 1 else str(prime)


def _shamir_problem(got, case: Case) -> str | None:
    points, prime = case.args
    if isinstance(got, float):
        return "returned a float: division in the field is multiplication by an inverse mod prime, never /"
    if not same_int(got, got):
        return f"returned {type(got).__name__} {clip(repr(got), 30)}, expected the secret as an int"
    if got == case.expected:
        return None
    if not 0 <= got < prime:
        return f"got {clip(str(got), 30)}, outside [0, prime): reduce the result mod prime"
    if got == sum(y for _, y in points) % prime and len(points) > 1:
        return "that is the sum of the shares: Shamir shares are points on a polynomial, not additive shares"
    if got == (-case.expected) % prime:
        return "got minus the secret: in each weight divide by (x_m - x_j), the other point minus this one"
    return f"got {clip(str(got), 40)}, but the points come from a polynomial whose value at 0 is not that"


def check_shamir_reconstruct(shamir_reconstruct) -> CheckResult:
    """`shamir_reconstruct(points, prime)` must return f(0) mod prime from at least t points (x, f(x)) of a
    polynomial f of degree t - 1 over the integers mod `prime`, for small primes and for 2^256 + 297."""
    return run_check(shamir_reconstruct, _shamir_cases(), SHAMIR_RECONSTRUCT, problem=_shamir_problem)


# ----- mask_update -------------------------------------------------------------------------------------------------
_MASK_CASES = [(3, 1, 10), (2, 0, 6), (2, 1, 6), (4, 0, 1), (4, 3, 32), (5, 2, 17), (6, 5, 8), (6, 2, 50)]


def _mask_cases() -> list[Case]:
    rng = case_rng("mask_update")
    cases = []
    for n, own, length in _MASK_CASES:
        pair_seeds = {v: rng.randbytes(32) for v in range(n) if v != own}
        self_seed = rng.randbytes(32)
        q = torch.tensor([rng.randrange(RING_MODULUS) for _ in range(length)], dtype=torch.int64)
        label = f"client {own} of {n}, {length} values"
        cases.append(Case((q, own, pair_seeds, self_seed), label))
    return cases


def _mask_problem(got, case: Case) -> str | None:
    q, own, pair_seeds, self_seed = case.args
    length = q.numel()
    if not isinstance(got, torch.Tensor):
        return f"returned {type(got).__name__}, expected a tensor of {length} ring elements"
    if got.dtype != torch.int64:
        return f"returned dtype {got.dtype}, expected torch.int64 ring elements (as prg_mask gives)"
    if got.numel() != length:
        return f"returned {got.numel()} values for an update of {length}"
    got = got.reshape(-1)
    self_mask = prg_mask(self_seed, length)
    pairwise = pairwise_mask_sum(own, pair_seeds, length)
    expected = (q + self_mask + pairwise) & RING_MASK
    if torch.equal(got, expected):
        return None
    if torch.equal(got & RING_MASK, expected):
        return "the right value, but not in [0, 2^32): reduce every element mod 2^32"
    all_plus = (q + self_mask + sum(prg_mask(s, length) for s in pair_seeds.values())) & RING_MASK
    flipped = (q + self_mask - pairwise) & RING_MASK
    if torch.equal(got & RING_MASK, all_plus) and len(pair_seeds) > 1:
        return (
            "every peer's mask was added: then nothing cancels in the sum; in each pair the client with the lower "
            "index adds the mask and the other subtracts it"
        )
    if torch.equal(got & RING_MASK, flipped):
        return (
            "the pairwise signs are the wrong way round: your peers add when they have the lower index, so your "
            "masks would not cancel theirs"
        )
    if torch.equal(got & RING_MASK, (q + pairwise) & RING_MASK):
        return "the self-mask is missing: add the client's own mask PRG(self_seed) too"
    if torch.equal(got & RING_MASK, (q + self_mask) & RING_MASK):
        return "only the self-mask is there: add (or subtract) one pairwise mask per peer"
    if torch.equal(got, q):
        return "returned the update itself, unmasked: the server would read it"
    return f"{int((got & RING_MASK != expected).sum())} of {length} values differ from q + self-mask ± pairwise masks"


def check_mask_update(mask_update) -> CheckResult:
    """`mask_update(q, own, pair_seeds, self_seed)` must return client `own`'s masked input
    y = q + PRG(self_seed) + Σ_v ±PRG(pair_seeds[v]) mod 2^32 (+ when own < v), as int64 in [0, 2^32)."""
    return run_check(
        mask_update,
        _mask_cases(),
        MASK_UPDATE,
        problem=_mask_problem,
        note=" — your masks cancel against your peers' in the sum",
    )


EXERCISES = {
    "patient_from_gradient": check_patient_from_gradient,
    "shamir_reconstruct": check_shamir_reconstruct,
    "mask_update": check_mask_update,
}
