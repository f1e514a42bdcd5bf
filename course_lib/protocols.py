"""Protocols on stacked shares: Beaver multiplication and truncation (chapters 03 and 04).

Every function here is written SPMD-style: it takes share tensors whose dimension 0 is "the parties this process
plays" and uses only three kinds of step:
  * local work on one's own share (torch ops that broadcast over dimension 0),
  * `group.runtime.open(...)` — every party sends its share of a *masked* value to every other party,
  * `group.runtime.add_public(...)` — party 0 adds a public term.
So the in-process runtime (all parties at once) and a one-process-per-party runtime can run the same code.

Semi-honest security: every opened value is a secret plus a fresh uniform mask from the dealer, hence uniform itself.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from course_lib.parties import PartyGroup
from course_lib.ring import ring_matmul

__all__ = ["beaver_multiply", "beaver_matmul", "truncate", "truncate_local", "truncate_with_pair"]


def _beaver(op: Callable, x: torch.Tensor, y: torch.Tensor, group: PartyGroup, name: str) -> torch.Tensor:
    """Shares of op(x, y) from shares of x and y, for a bilinear op (elementwise product or matrix product).

    1. The dealer hands out shares of a triple: random a, b and c = op(a, b).
    2. Each party masks its shares: e_i = x_i - a_i and f_i = y_i - b_i.
    3. The parties open e = x - a and f = y - b (one round). They are uniform: a and b are fresh masks.
    4. Each party computes z_i = c_i + op(e, b_i) + op(a_i, f), and party 0 adds op(e, f).
       Then sum z_i = op(a, b) + op(x - a, b) + op(a, y - b) + op(x - a, y - b) = op(x, y), by bilinearity.
       (Party 0's extra term is folded in as op(e, b_0 + f): one product fewer, same result.)
    """
    dealer = group.require_dealer(name)
    a, b, c = dealer.beaver_triple(op, x.shape[1:], y.shape[1:], group.n_parties)
    e, f = group.runtime.open(group, x - a, y - b)
    return c + op(e, group.runtime.add_public(b, f)) + op(a, f)


def beaver_multiply(x: torch.Tensor, y: torch.Tensor, group: PartyGroup) -> torch.Tensor:
    """Elementwise x * y on shares of equal shape (the result is at scale 2^2f: truncate it)."""
    return _beaver(torch.mul, x, y, group, "multiplying two shared tensors")


def beaver_matmul(x: torch.Tensor, y: torch.Tensor, group: PartyGroup) -> torch.Tensor:
    """Matrix product x @ y on shares (n, ..., M, K) and (n, ..., K, N), exact mod 2^64 (result at scale 2^2f)."""
    return _beaver(ring_matmul, x, y, group, "a matrix product of two shared tensors")


def truncate_local(x: torch.Tensor, bits: int, group: PartyGroup) -> torch.Tensor:
    """Divide by 2^bits with no communication — correct for TWO parties only (SecureML's trick).

    1. Party 0 shifts its share right: floor(x_0 / 2^bits).
    2. Party 1 rounds the other way: ceil(x_1 / 2^bits) = floor((x_1 + 2^bits - 1) / 2^bits), which is the same
       as -floor(-x_1 / 2^bits): it shifts the share as if it were negated.
    With x_0 + x_1 = x and no wrap-around, the two results add up to x / 2^bits within one unit. The shares wrap
    (and the result is off by about 2^(64-bits)) only with probability about |x| / 2^64.
    With three parties the shares' sum wraps around 2^64 for about a quarter of all values (more with more parties),
    and each wrap leaves the result off by 2^(64-bits): this breaks.
    """
    round_up = group.runtime.round_up_offsets(group.n_parties, x.dim(), bits)  # 0 for party 0, 2^bits - 1 after
    return (x + round_up) >> bits


def truncate_with_pair(x: torch.Tensor, bits: int, group: PartyGroup) -> torch.Tensor:
    """Divide by 2^bits for any number of parties, with a truncation pair from the dealer (one round).

    1. The dealer hands out shares of a uniform r and of r' = r >> bits.
    2. The parties open z = x + r. It is uniform: r masks x completely.
    3. Each party takes r' away from its share, and party 0 adds the public z >> bits:
       (z >> bits) - (r >> bits) = x / 2^bits, within one unit,
       unless x + r wraps around 2^64 — which happens with probability about |x| / 2^64.
    """
    dealer = group.require_dealer("truncation with three or more parties")
    r, r_shifted = dealer.truncation_pair(x.shape[1:], bits, group.n_parties)
    (z,) = group.runtime.open(group, x + r)
    return group.runtime.add_public(-r_shifted, z >> bits)


def truncate(x: torch.Tensor, bits: int, group: PartyGroup) -> torch.Tensor:
    """Divide shares by 2^bits: locally for two parties, with a dealer's pair for three or more."""
    if bits == 0:
        return x
    if group.n_parties == 2:
        return truncate_local(x, bits, group)
    return truncate_with_pair(x, bits, group)
