"""The ring Z_2^64 on int64 tensors (chapter 02).

Chapter 01 shares integers mod Q with Python ints. Real tensors want a modulus the hardware already computes in: an
int64 holds exactly the integers mod 2^64 when every overflow wraps around, and torch's int64 `+`, `-`, `*` and `sum`
do wrap. So the modulus costs nothing: wrap-around *is* the reduction mod 2^64, and a negative int64 is simply the
representative of x mod 2^64 in [-2^63, 2^63).

The matrix product needs a thought. On the CPU, torch's int64 `@` wraps too, so it is exact mod 2^64, and on the
pinned torch (2.13) it is fast for large products: `ring_matmul` uses it (and, for small ones, where that kernel has a
fixed cost of tens of microseconds, one broadcast product and a sum, which wrap just the same). GPUs have no int64
matrix product at all (CrypTen's problem), and older torch versions had only a slow generic kernel; `digit_matmul` is
the way around both, kept for devices without int64 matmul and for chapter 02's lesson: it writes each entry as three
signed 22-bit digits, multiplies digit matrices in float64 — exact, because every dot product stays below 2^53 — and
recombines the six products that matter mod 2^64. On this project's 2-core machine it is 3–7 times slower than the
int64 kernel (measured in chapter 02).
"""

from __future__ import annotations

import torch

from course_lib import rng

__all__ = ["RING_BITS", "share", "reconstruct", "ring_matmul", "digit_matmul", "to_unsigned"]

RING_BITS = 64

_DIGIT_BITS = 22  # x = d0 + d1·2^22 + d2·2^44 (mod 2^64), every |d| <= 2^21
_MAX_INNER = 2048  # 2048 products of size <= 2^42 sum to <= 2^53: still exact in float64's 53-bit mantissa


def share(secret: torch.Tensor, n_parties: int) -> torch.Tensor:
    """Split an int64 tensor into `n_parties` additive shares, stacked as shape (n_parties, *secret.shape).

    1. Shares 0 … n-2 are uniform ring elements from the CSPRNG (`course_lib.rng`).
    2. The last share is the secret minus all of them; int64 wrap-around makes that exact mod 2^64.
    """
    if secret.dtype != torch.int64:
        raise TypeError(f"ring.share needs an int64 tensor, got {secret.dtype}: encode reals first (FixedPointEncoder)")
    if n_parties < 2:
        raise ValueError(f"secret sharing needs at least 2 parties, got {n_parties}")
    shares = rng.ring_elements((n_parties, *secret.shape))
    shares[-1] = secret - shares[:-1].sum(dim=0)
    return shares


def reconstruct(shares: torch.Tensor) -> torch.Tensor:
    """Add the shares of every party (dimension 0); the int64 sum wraps, which is exactly reduction mod 2^64."""
    return shares.sum(dim=0)


def to_unsigned(x: torch.Tensor) -> list[int]:
    """The ring elements as Python integers in [0, 2^64) — how a mathematician would write them."""
    return [v % 2**RING_BITS for v in x.reshape(-1).tolist()]


def _digits(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Three float64 tensors d0, d1, d2 with x ≡ d0 + d1·2^22 + d2·2^44 (mod 2^64) and |d| <= 2^21."""
    spare = 64 - _DIGIT_BITS
    d0 = (x << spare) >> spare  # the low 22 bits, sign-extended: a digit in [-2^21, 2^21)
    rest = (x - d0) >> _DIGIT_BITS  # exact: x - d0 is a multiple of 2^22 (mod 2^64)
    d1 = (rest << spare) >> spare
    d2 = (rest - d1) >> _DIGIT_BITS  # what is left: at most 20 bits
    return d0.double(), d1.double(), d2.double()


# Digit pairs (i, j) whose product lands below 2^64, grouped by the shift 22·(i + j) they need.
_PAIRS_BY_SHIFT = ((0, ((0, 0),)), (22, ((0, 1), (1, 0))), (44, ((0, 2), (1, 1), (2, 0))))


def _digit_matmul(x_digits, y_digits) -> torch.Tensor:
    out = None
    for shift, pairs in _PAIRS_BY_SHIFT:
        term = None
        for i, j in pairs:
            product = torch.matmul(x_digits[i], y_digits[j]).long()  # an exact integer below 2^53
            term = product if term is None else term + product
        term = term << shift if shift else term  # int64 shifts wrap: exactly what mod 2^64 needs
        out = term if out is None else out + term
    return out


def ring_matmul(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """`torch.matmul(x, y)` for int64 tensors, exact mod 2^64.

    On the CPU torch's own int64 kernel wraps around (exact) and is the fastest exact product on the pinned torch;
    on a device without an int64 matrix product (CUDA) the float64 digits of `digit_matmul` take over.
    """
    if x.dtype != torch.int64 or y.dtype != torch.int64:
        raise TypeError(f"ring_matmul needs int64 tensors, got {x.dtype} and {y.dtype}")
    if x.device.type != "cpu":
        return digit_matmul(x, y)
    rows = x.shape[-2] if x.dim() > 1 else 1
    columns = y.shape[-1] if y.dim() > 1 else 1
    if max(x.numel() * columns, y.numel() * rows) <= _SMALL_PRODUCT:
        return _multiply_and_add(x, y)
    return torch.matmul(x, y)


_SMALL_PRODUCT = 1 << 16  # multiply-adds: below this, torch's int64 matmul costs ~40 µs of set-up, the broadcast 5 µs


def _multiply_and_add(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """torch.matmul's result as one broadcast product and a sum (exact: int64 products and sums wrap)."""
    if y.dim() == 1:
        return (x * y).sum(-1)
    if x.dim() == 1:
        return (x.unsqueeze(-1) * y).sum(-2)
    return (x.unsqueeze(-1) * y.unsqueeze(-3)).sum(-2)


def digit_matmul(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """`torch.matmul(x, y)` for int64 tensors, exact mod 2^64, computed with float64 matrix products only.

    Every entry is split into three 22-bit digits; six float64 digit products (the other three vanish mod 2^64) are
    recombined in int64; inner dimensions above 2048 are cut into chunks so that no float64 sum can exceed 2^53.
    """
    if x.dtype != torch.int64 or y.dtype != torch.int64:
        raise TypeError(f"digit_matmul needs int64 tensors, got {x.dtype} and {y.dtype}")
    if y.dim() == 1:  # matrix @ vector: treat the vector as a one-column matrix
        return digit_matmul(x, y.unsqueeze(-1)).squeeze(-1)
    if x.dim() == 1:
        return digit_matmul(x.unsqueeze(0), y).squeeze(-2)
    inner = x.shape[-1]
    out = None
    for start in range(0, inner, _MAX_INNER):
        stop = start + _MAX_INNER
        part = _digit_matmul(_digits(x[..., start:stop]), _digits(y[..., start:stop, :]))
        out = part if out is None else out + part
    return out
