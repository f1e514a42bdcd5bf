"""The article's additive secret sharing over the integers mod Q (chapter 01).

A secret x in [0, Q) is split into shares that look random one by one and add up to x mod Q. Each party holds one
share; only all of them together can rebuild x. Adding two shared secrets, or multiplying one by a *public* integer,
needs no communication at all: every party works on its own share.

These are the article's four functions with its signatures (`encrypt`, `decrypt`, `add`, `product`), with two
changes a careful reader would want: shares come from a CSPRNG (see `course_lib.rng`), not from `np.random`, and bad
input raises an error that says what to fix instead of silently computing garbage. As in the article, `encrypt`
returns a tuple and `add`/`product` return lists.

Trust: every party is trusted to hold its share and follow the steps (semi-honest); any n-1 of them learn nothing.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass

from course_lib import rng

__all__ = ["Q", "encrypt", "decrypt", "add", "product", "BeaverRun", "beaver_product"]

Q = 501337  # the article's modulus (= 43 · 89 · 131, not a prime: additive sharing does not need one); [0, Q)


def _require_int(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{what} must be an integer, got {type(value).__name__} {value!r}. "
            "This scheme shares whole numbers mod Q; real numbers need a fixed-point encoding (chapter 03)."
        )
    return int(value)


def _require_in_range(value, what: str) -> int:
    value = _require_int(value, what)
    if not 0 <= value < Q:
        hint = (
            f"negative numbers are written as Q - |x| (here {value % Q}); chapter 02 explains why"
            if value < 0
            else f"reduce it first: {value} % Q == {value % Q}"
        )
        raise ValueError(f"{what} must be in [0, Q) = [0, {Q}), got {value}: {hint}")
    return value


def _require_shares(shares: Sequence, what: str) -> list[int]:
    if isinstance(shares, (str, bytes)) or not isinstance(shares, Sequence):
        raise TypeError(f"{what} must be a tuple or list of shares, got {type(shares).__name__}")
    if len(shares) == 0:
        raise ValueError(f"{what} holds no shares: pass the shares returned by encrypt()")
    return [_require_in_range(s, f"share {i} of {what}") for i, s in enumerate(shares)]


def encrypt(x: int, n_parties: int = 3) -> tuple[int, ...]:
    """Split the secret x into `n_parties` shares that add up to x mod Q.

    1. Draw n-1 shares uniformly from [0, Q) with the CSPRNG.
    2. The last share is whatever is left: x minus the others, mod Q.
    Any n-1 shares are uniform and independent of x; all n rebuild it.
    """
    x = _require_in_range(x, "the secret")
    n_parties = _require_int(n_parties, "n_parties")
    if n_parties < 2:
        raise ValueError(
            f"secret sharing needs at least 2 parties, got n_parties={n_parties}: "
            "with one party the share IS the secret"
        )
    random_shares = [rng.randbelow(Q) for _ in range(n_parties - 1)]
    return (*random_shares, (x - sum(random_shares)) % Q)


def decrypt(*shares: int) -> int:
    """Add the shares mod Q. With all shares this is the secret; with fewer it is a uniformly random number."""
    return sum(_require_shares(shares, "decrypt()'s arguments")) % Q


def add(x: Sequence[int], y: Sequence[int]) -> list[int]:
    """Shares of x + y: each party adds its two shares, mod Q. No party talks to another."""
    x, y = _require_shares(x, "x"), _require_shares(y, "y")
    if len(x) != len(y):
        raise ValueError(
            f"each variable must consist of the same number of shares: x has {len(x)}, y has {len(y)}. "
            "Share both secrets among the same parties (same n_parties)."
        )
    return [(xi + yi) % Q for xi, yi in zip(x, y, strict=True)]


def product(x: Sequence[int], w: int) -> list[int]:
    """Shares of x * w for a PUBLIC integer w: each party multiplies its own share by w, mod Q.

    Multiplying two *shared* secrets is not this simple: see chapter 04 (Beaver triples).
    """
    x = _require_shares(x, "x")
    w = _require_int(w, "the public factor w")
    return [(xi * w) % Q for xi in x]


@dataclass(frozen=True)
class BeaverRun:
    """Every value of one Beaver multiplication mod Q: the masked shares, what is opened, the product's shares."""

    e_shares: tuple[int, ...]
    f_shares: tuple[int, ...]
    e: int  # x - a, opened: uniform because a is
    f: int  # y - b, opened: uniform because b is
    z_shares: tuple[int, ...]  # shares of x·y


def beaver_product(
    x: Sequence[int], y: Sequence[int], triple: tuple[Sequence[int], Sequence[int], Sequence[int]]
) -> BeaverRun:
    """Shares of x·y mod Q from shares of x and y and a dealer's triple (shares of a, b and c = a·b) — chapter 04.

    1. (The dealer has dealt the triple.)
    2. Each party masks its shares: e_i = x_i - a_i, f_i = y_i - b_i (mod Q).
    3. The parties open e = x - a and f = y - b: both are uniform mod Q, because a and b are.
    4. Each party computes z_i = c_i + e·b_i + a_i·f, and party 0 adds e·f: the z_i add up to x·y mod Q.
    The same protocol on the ring Z_2^64 and on tensors is `course_lib.protocols.beaver_multiply`.
    """
    x, y = _require_shares(x, "x"), _require_shares(y, "y")
    a, b, c = (_require_shares(t, name) for t, name in zip(triple, ("a", "b", "c"), strict=True))
    if not len(x) == len(y) == len(a) == len(b) == len(c):
        raise ValueError(
            f"x, y and the triple must be shared among the same parties: got {len(x)}, {len(y)} and "
            f"{len(a)}/{len(b)}/{len(c)} shares"
        )
    e_shares = tuple((xi - ai) % Q for xi, ai in zip(x, a, strict=True))
    f_shares = tuple((yi - bi) % Q for yi, bi in zip(y, b, strict=True))
    e, f = sum(e_shares) % Q, sum(f_shares) % Q
    z = [(ci + e * bi + ai * f) % Q for ai, bi, ci in zip(a, b, c, strict=True)]
    z[0] = (z[0] + e * f) % Q
    return BeaverRun(e_shares, f_shares, e, f, tuple(z))
