"""Chapter 07's rows for tests/test_checks_teach.py: what each nudge must not say, and the classic mistakes."""

import torch

from course_lib import secagg


def _scaled(grad_w, grad_b, scaler):
    return grad_w.reshape(-1) / grad_b.reshape(-1)


def _only_times_std(grad_w, grad_b, scaler):
    return grad_w.reshape(-1) / grad_b.reshape(-1) * scaler.std


def _upside_down(grad_w, grad_b, scaler):
    return grad_b.reshape(-1) / grad_w.reshape(-1)


def _no_division(grad_w, grad_b, scaler):
    return grad_w.reshape(-1) * scaler.std + scaler.mean


def _lagrange(points, prime, flip=False, reduce=True):
    secret = 0
    for j, (xj, yj) in enumerate(points):
        numerator, denominator = 1, 1
        for m, (xm, _) in enumerate(points):
            if m != j:
                numerator *= xm
                denominator *= (xj - xm) if flip else (xm - xj)
        secret += yj * numerator * pow(denominator % prime, -1, prime)
    return secret % prime if reduce else secret


def _float_lagrange(points, prime):
    secret = 0.0
    for j, (xj, yj) in enumerate(points):
        weight = 1.0
        for m, (xm, _) in enumerate(points):
            if m != j:
                weight *= xm / (xm - xj)
        secret += yj * weight
    return secret


def _masked(q, own, seeds, self_seed, signs=lambda own, v: 1 if own < v else -1, self_mask=True, reduce=True):
    y = q + (secagg.prg_mask(self_seed, q.numel()) if self_mask else 0)
    for v, seed in seeds.items():
        y = y + signs(own, v) * secagg.prg_mask(seed, q.numel())
    return y % 2**32 if reduce else y


def _masked_in_place(q, own, seeds, self_seed):
    q += _masked(q, own, seeds, self_seed) - q  # the right values, written into the caller's tensor
    return q


NUDGE_MUST_NOT_SAY = {
    "patient_from_gradient": ["std", "mean", "divide", "unscale", "flatten", "grad_bias"],
    "shamir_reconstruct": ["pow", "inverse", "Lagrange", "Π", "λ", "x_m"],
    "mask_update": ["prg_mask", "own < v", "2**32", "2^32", "self_seed", "subtracts"],
}

CLASSIC_MISTAKES = [
    ("patient_from_gradient", _scaled, "these are the standardised features"),
    ("patient_from_gradient", _only_times_std, "did not add the means back"),
    ("patient_from_gradient", _upside_down, "upside down"),
    ("patient_from_gradient", _no_division, "still holds the factor (p - y)"),
    ("patient_from_gradient", lambda w, b, s: torch.zeros(29, dtype=torch.float64), "expected the patient's 30"),
    ("patient_from_gradient", lambda w, b, s: torch.zeros(30, dtype=torch.int64), "expected real numbers"),
    ("shamir_reconstruct", lambda points, prime: sum(y for _, y in points) % prime, "not additive shares"),
    ("shamir_reconstruct", lambda points, prime: _lagrange(points, prime, flip=True), "got minus the secret"),
    ("shamir_reconstruct", lambda points, prime: _lagrange(points, prime, reduce=False) + prime, "reduce the result"),
    ("shamir_reconstruct", _float_lagrange, "returned a float"),
    ("shamir_reconstruct", lambda points, prime: points[0][1], "whose value at 0 is not that"),
    ("mask_update", lambda q, own, seeds, b: _masked(q, own, seeds, b, signs=lambda u, v: 1), "nothing cancels"),
    (
        "mask_update",
        lambda q, own, seeds, b: _masked(q, own, seeds, b, signs=lambda u, v: 1 if u > v else -1),
        "wrong way round",
    ),
    ("mask_update", lambda q, own, seeds, b: _masked(q, own, seeds, b, self_mask=False), "self-mask is missing"),
    ("mask_update", lambda q, own, seeds, b: _masked(q, own, seeds, b, reduce=False), "reduce every element"),
    ("mask_update", lambda q, own, seeds, b: q.clone(), "returned the update itself, unmasked"),
    ("mask_update", lambda q, own, seeds, b: _masked(q, own, seeds, b).double(), "expected torch.int64"),
    ("mask_update", _masked_in_place, "changed its argument `q` in place"),
]
