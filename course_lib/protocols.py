"""Protocols on stacked shares: Beaver multiplication and division by a public number (chapters 03 and 04).

Every function here is written SPMD-style: it takes share tensors whose dimension 0 is "the parties this process
plays" and uses only three kinds of step:
  * local work on one's own share (torch ops that broadcast over dimension 0),
  * `group.runtime.open(...)` — every party sends its share of a *masked* value to every other party,
  * `group.runtime.add_public(...)` — party 0 adds a public term.
So the in-process runtime (all parties at once) and a one-process-per-party runtime can run the same code.

Semi-honest security: every opened value is a secret plus a fresh uniform mask from the dealer, hence uniform itself.

Division by a public integer d generalises truncation (d = 2^f, after a fixed-point product): the mean divides by a
count, and `x / 7` by 7. The result is floor-rounded within one unit, like truncation, and fails (off by about
2^64 / d) only with probability about |x| / 2^64.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import torch

from course_lib.parties import PartyGroup
from course_lib.ring import ring_matmul

__all__ = [
    "beaver_multiply",
    "beaver_matmul",
    "divide",
    "divide_local",
    "divide_with_pair",
    "truncate",
    "truncate_local",
    "truncate_with_pair",
]

Divisor = int | torch.Tensor  # a public positive integer, or an int64 tensor of them


def _beaver(op: Callable, x: torch.Tensor, y: torch.Tensor, group: PartyGroup, name: str) -> torch.Tensor:
    """Shares of op(x, y) from shares of x and y, for a bilinear op (elementwise product or matrix product).

    1. The dealer hands out shares of a triple: random a, b and c = op(a, b).
    2. Each party masks its shares: e_i = x_i - a_i and f_i = y_i - b_i.
    3. The parties open e = x - a and f = y - b (one round). They are uniform: a and b are fresh masks.
    4. Each party computes z_i = c_i + op(e, b_i) + op(a_i, f), and party 0 adds op(e, f).
       Then sum z_i = op(a, b) + op(x - a, b) + op(a, y - b) + op(x - a, y - b) = op(x, y), by bilinearity.
       (Party 0's extra term is folded in as op(e, b_0 + f): one product fewer, same result.)
    x and y must have the same rank (`SharedTensor` aligns them first).
    """
    dealer = group.require_dealer(name)
    a, b, c = dealer.beaver_triple(op, x.shape[1:], y.shape[1:], group.n_parties)
    e, f = group.runtime.open(group, x - a, y - b)
    return c + op(e, group.runtime.add_public(b, f)) + op(a, f)


def beaver_multiply(x: torch.Tensor, y: torch.Tensor, group: PartyGroup) -> torch.Tensor:
    """Elementwise x * y on shares of equal rank (the result is at scale 2^2f: truncate it)."""
    return _beaver(torch.mul, x, y, group, "multiplying two shared tensors")


def beaver_matmul(x: torch.Tensor, y: torch.Tensor, group: PartyGroup) -> torch.Tensor:
    """Matrix product x @ y on shares (n, *B, M, K) and (n, *B, K, N) with the same batch shape B, exact mod 2^64
    (result at scale 2^2f)."""
    return _beaver(ring_matmul, x, y, group, "a matrix product of two shared tensors")


# ----- division by a public integer ---------------------------------------------------------------------------------
def _round_up_offsets(divisor: Divisor, rank: int, group: PartyGroup) -> torch.Tensor:
    """0 on party 0's row, d - 1 on the others' (so that a floor division rounds them up), shaped to broadcast over
    stacked shares of rank `rank`. Cached: the hot path asks for the same few offsets again and again."""
    if isinstance(divisor, int):
        return _cached_offsets(group.runtime, group.n_parties, rank, divisor)
    first = (group.runtime.party_indices(group.n_parties) == 0).view(-1, *([1] * (rank - 1)))
    return torch.where(first, 0, divisor - 1)


@functools.lru_cache(maxsize=64)
def _cached_offsets(runtime, n_parties: int, rank: int, divisor: int) -> torch.Tensor:
    first = runtime.party_indices(n_parties) == 0
    return torch.where(first, 0, divisor - 1).view(-1, *([1] * (rank - 1)))


def _power_of_two(divisor: Divisor) -> int | None:
    if isinstance(divisor, int) and divisor & (divisor - 1) == 0:
        return divisor.bit_length() - 1
    return None


def _floor_divide(x: torch.Tensor, divisor: Divisor) -> torch.Tensor:
    bits = _power_of_two(divisor)
    return x >> bits if bits is not None else torch.div(x, divisor, rounding_mode="floor")


def divide_local(x: torch.Tensor, divisor: Divisor, group: PartyGroup) -> torch.Tensor:
    """Divide shares by a public positive integer with no communication — correct for TWO parties only (SecureML).

    1. Party 0 rounds its share down: floor(x_0 / d).
    2. Party 1 rounds up: ceil(x_1 / d) = floor((x_1 + d - 1) / d) — it divides its share as if it were negated.
    With x_0 + x_1 = x and no wrap-around, the two results add up to x / d within one unit. The shares wrap (and the
    result is off by about 2^64 / d) only with probability about |x| / 2^64.
    With three parties the shares' sum wraps around 2^64 for about a quarter of all values (more with more parties),
    and each wrap leaves the result off by 2^64 / d: this breaks.
    """
    return _floor_divide(x + _round_up_offsets(divisor, x.dim(), group), divisor)


def divide_with_pair(x: torch.Tensor, divisor: Divisor, group: PartyGroup) -> torch.Tensor:
    """Divide shares by a public positive integer d for any number of parties, with the dealer's pair (one round).

    1. The dealer hands out shares of a uniform r and of r' = floor(r / d).
    2. The parties open z = x + r. It is uniform: r masks x completely.
    3. Each party takes r' away from its share, and party 0 adds the public floor(z / d):
       floor(z / d) - floor(r / d) = x / d, within one unit,
       unless x + r wraps around 2^64 — which happens with probability about |x| / 2^64.
    """
    dealer = group.require_dealer("dividing shares among three or more parties")
    r, r_divided = dealer.division_pair(x.shape[1:], divisor, group.n_parties)
    (z,) = group.runtime.open(group, x + r)
    return group.runtime.add_public(-r_divided, _floor_divide(z, divisor))


def divide(x: torch.Tensor, divisor: Divisor, group: PartyGroup) -> torch.Tensor:
    """Divide shares by a public positive integer: locally for two parties, with a dealer's pair for three or more."""
    if isinstance(divisor, int) and divisor == 1:
        return x
    if group.n_parties == 2:
        return divide_local(x, divisor, group)
    return divide_with_pair(x, divisor, group)


def truncate_local(x: torch.Tensor, bits: int, group: PartyGroup) -> torch.Tensor:
    """Divide by 2^bits with no communication (two parties only): `divide_local` by a power of two."""
    return divide_local(x, 1 << bits, group)


def truncate_with_pair(x: torch.Tensor, bits: int, group: PartyGroup) -> torch.Tensor:
    """Divide by 2^bits for any number of parties, with the dealer's pair: `divide_with_pair` by a power of two."""
    return divide_with_pair(x, 1 << bits, group)


def truncate(x: torch.Tensor, bits: int, group: PartyGroup) -> torch.Tensor:
    """Divide shares by 2^bits (after a fixed-point product): locally for two parties, with a pair for three or more."""
    return divide(x, 1 << bits, group)
