"""t-of-n Shamir secret sharing over a prime field: step 4 of secure aggregation (chapter 07).

The additive shares of chapters 01–04 need every share back to open a secret, but phones drop out of a federated
round all the time. Shamir's scheme tolerates that: any t of the n shares rebuild the secret, and t-1 shares say
nothing at all about it.

1. Draw a random polynomial of degree t-1 over the field Z_p whose constant term is the secret:
   f(x) = secret + a_1·x + … + a_{t-1}·x^{t-1} (mod p), every a_i uniform in Z_p.
2. Holder i (i = 1 … n) gets the share (i, f(i)). Never x = 0: f(0) is the secret itself.
3. Any t shares fix f (t points determine a polynomial of degree t-1), so Lagrange interpolation at 0 gives
   the secret: f(0) = Σ_j y_j·λ_j with λ_j = Π_{m≠j} x_m / (x_m - x_j) (mod p). The λ_j depend only on *which*
   holders answered, so one set of them serves every secret those holders rebuild.
4. t-1 shares fix nothing: for every candidate secret s exactly one polynomial of degree t-1 passes through
   the t-1 points and (0, s), so every secret is equally consistent with what those holders know.

The field: p = 2^256 + 297, the smallest prime above 2^256, so every 32-byte secret (a private key, a mask seed) is a
field element as it is. A share's y then takes 33 bytes on the wire.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from course_lib import rng

__all__ = [
    "PRIME",
    "SHARE_BYTES",
    "Share",
    "evaluate_polynomial",
    "shamir_split",
    "lagrange_at_zero",
    "check_shares",
    "shamir_combine",
]

PRIME = 2**256 + 297
SHARE_BYTES = (PRIME.bit_length() + 7) // 8  # 33


class Share(NamedTuple):
    """One holder's share: the point (x, f(x)), and the public threshold t needed to rebuild the secret."""

    x: int
    y: int
    threshold: int


def evaluate_polynomial(coefficients: Sequence[int], x: int, prime: int = PRIME) -> int:
    """f(x) mod prime for f = coefficients[0] + coefficients[1]·x + …, by Horner's rule."""
    value = 0
    for coefficient in reversed(coefficients):
        value = (value * x + coefficient) % prime
    return value


def shamir_split(secret: int | bytes, threshold: int, n: int, prime: int = PRIME) -> list[Share]:
    """Steps 1–2: n shares of `secret` (an int in [0, prime), or up to 32 bytes read big-endian), any t rebuild it."""
    if isinstance(secret, bytes):
        if len(secret) > 32:
            raise ValueError(f"a byte secret must have at most 32 bytes to fit the field, got {len(secret)}")
        secret = int.from_bytes(secret, "big")
    if isinstance(secret, bool) or not isinstance(secret, int):
        raise TypeError(f"the secret must be an int or bytes, got {type(secret).__name__}")
    if not 0 <= secret < prime:
        raise ValueError(f"the secret must lie in [0, {prime}) to be a field element, got {secret}")
    for name, value in (("threshold", threshold), ("n", n)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if not 1 <= threshold <= n:
        raise ValueError(f"the threshold must lie in [1, n={n}] (any t of the n shares rebuild), got {threshold}")
    if n >= prime:
        raise ValueError(f"n = {n} holders need n distinct nonzero points, but the field has only {prime - 1}")
    coefficients = [secret] + [rng.randbelow(prime) for _ in range(threshold - 1)]
    return [Share(x, evaluate_polynomial(coefficients, x, prime), threshold) for x in range(1, n + 1)]


def lagrange_at_zero(xs: Sequence[int], prime: int = PRIME) -> list[int]:
    """Step 3's weights: λ_j = Π_{m≠j} x_m / (x_m - x_j) mod prime, so f(0) = Σ_j λ_j·f(x_j) for deg f < len(xs)."""
    weights = []
    for j, xj in enumerate(xs):
        numerator, denominator = 1, 1
        for m, xm in enumerate(xs):
            if m != j:
                numerator = numerator * xm % prime
                denominator = denominator * (xm - xj) % prime
        weights.append(numerator * pow(denominator, -1, prime) % prime)
    return weights


def check_shares(shares: Sequence[Share], prime: int = PRIME) -> int:
    """The common threshold of `shares`, after checking they can be combined; raises with what is wrong."""
    if isinstance(shares, (str, bytes)) or not isinstance(shares, Sequence) or not shares:
        raise ValueError("shamir_combine needs a non-empty list of Share(x, y, threshold)")
    for share in shares:
        if not isinstance(share, Share):
            raise TypeError(f"shamir_combine needs Share(x, y, threshold) items, got {type(share).__name__}")
        if not 1 <= share.x < prime:
            raise ValueError(f"a share's x must lie in [1, prime); x = {share.x} is not a holder's point")
        if not 0 <= share.y < prime:
            raise ValueError(f"a share's y must be a field element in [0, prime), got y = {share.y} at x = {share.x}")
    thresholds = sorted({share.threshold for share in shares})
    if len(thresholds) > 1:
        raise ValueError(f"these shares come from different sharings (thresholds {thresholds}); combine one secret's")
    xs = [share.x for share in shares]
    if len(set(xs)) != len(xs):
        repeated = sorted({x for x in xs if xs.count(x) > 1})
        raise ValueError(f"two shares have the same x {repeated}: each holder's share may be used once")
    threshold = thresholds[0]
    if len(shares) < threshold:
        raise ValueError(
            f"{len(shares)} shares cannot rebuild a secret shared with threshold {threshold}: "
            f"{threshold - len(shares)} more needed (fewer than t shares reveal nothing, by design)"
        )
    return threshold


def shamir_combine(shares: Sequence[Share], prime: int = PRIME) -> int:
    """Step 3: the secret from at least t shares (the first t are used), by Lagrange interpolation at 0."""
    threshold = check_shares(shares, prime)
    used = shares[:threshold]
    weights = lagrange_at_zero([share.x for share in used], prime)
    return sum(w * share.y for w, share in zip(weights, used, strict=True)) % prime
