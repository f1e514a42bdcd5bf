"""Secure comparison: the sign of a shared ring element, exactly, for any number of parties (chapter 06).

Additive shares hide a value perfectly, and that is the trouble with `x < 0`: the sign is the top bit of x, and no
party's share says anything about x's bits. So we switch, for a moment, to a second kind of sharing: XOR shares of
bits (each party holds 64 bits per word, and the secret word is the XOR of them). On XOR shares, XOR with anything
is local and AND needs one Beaver-like triple from the dealer — a bitwise circuit is then as easy as a product.

The protocol (edaBits-style, Escudero et al. 2020; with the dealer of chapter 04):

    1. The dealer hands out a uniform ring element r shared twice: additively (r_0 + ... + r_n-1 = r mod 2^64) and
       bit by bit with XOR — plus XOR shares of r AND (r << 1), the products of neighbouring bits
       (`TrustedDealer.edabits`).
    2. The parties open c = x + r (one round). It is uniform: r masks x completely.
    3. Then x = c - r mod 2^64, and its top bit is  msb(x) = c_63 XOR r_63 XOR borrow,  where borrow = [c' < r'] is
       the borrow out of subtracting the low 63 bits r' of r from those c' of c. The parties know c in the clear
       and r's bits in XOR shares, so for every bit i they get, locally, "generate" g_i = NOT c_i AND r_i (this bit
       borrows) and "propagate" p_i = NOT (c_i XOR r_i) (a borrow from below passes through this bit). Bit 63 gets
       (g, p) = (c_63 XOR r_63, 1), so the circuit's answer is the sign bit itself.
    4. A carry circuit combines neighbouring groups, (G, P) = (G_hi XOR P_hi AND G_lo, P_hi AND P_lo), in a binary
       tree: 6 levels for 64 bits (log2 64). Level 0 (pairs of bits) needs only the products r_i AND r_i-1 of
       neighbouring bits of r, which the dealer hands out with r: it is local. Levels 1-5 take ONE round of AND
       gates each (`and_words`; the dealer's `and_triples`, XOR shares of a, b and c = a AND b; the parties open
       e = x XOR a, f = y XOR b). Vectorised: one value's 64 bits are one int64 word; after every level half of the
       bits are done, so two values' remaining halves are merged into one word (interleaved lanes) — every AND gate
       we pay for is used, and after 6 levels one word holds the sign bits of 64 values.
    5. The sign bits, XOR-shared, become additive 0/1 shares with a daBit s (a random bit shared both ways;
       `TrustedDealer.dabits`): open e = msb XOR s (one round, 64 values per word), then msb = e + s - 2es, which
       is linear in s's additive shares.

    Rounds: 1 + 5 + 1 = 7 (`less_than_zero`). Bytes per value, two parties, both directions: 16 for c, about 46
    for the circuit, 0.5 for the daBit — about 63 bytes (`benchmarks/nonlinear.py` prints the measured figure;
    a Beaver product is 32). The dealer sends about 103 bytes per value.

Exact for every int64 ring element: the circuit computes the top bit of c - r bit for bit, with every wrap-around
mod 2^64 accounted for — no "small enough" assumption, no probability of error (chapter 03's truncation fails with
probability about |x|/2^64; this never does).

Built on it:
    less_than(x, y)          x - y can wrap around 2^64 (x = 2^62, y = -2^62), so msb(x - y) alone is not enough:
                             msb(x), msb(y) and msb(x - y) in one run, and one AND round corrects the wrap. 8 rounds.
    less_than_public(x, c)   the same with c public: one masked opening serves msb(x) and msb(x - c). 8 rounds.
    less_than_each(x, ts)    [x < t] for several public t from one opening; exact when 0 is among them. 7-8 rounds.
    equal_zero(x)            x = 0 exactly when all bits of NOT (c XOR r) are 1: the tree with AND alone. 7 rounds.

Trust and security (semi-honest parties, a dealer who colludes with nobody): every opened value is masked by fresh
randomness from the dealer — c by the uniform r, each e and f by the uniform words of an AND triple, the final e by
the random daBit — so what is opened has the same distribution whatever x is (`tests/test_comparison.py` checks
it). The dealer knows r, the triples and the daBits, hence could unmask everything: it must not collude.

SPMD: every function takes stacked shares whose dimension 0 is "the parties this process plays" and uses only local
torch ops, `runtime.open` and `runtime.add_public`; party 0's part of a public XOR is applied with a mask built
from `runtime.party_indices`. The runtime opens by ADDING shares, which is not XOR; `open_xor` therefore spreads
each word's bits into fields wide enough to hold a count of n ones (2 bits for 2 or 3 parties) and reads each sum's
parity: the same information (every party's share), counted at the width this runtime really sends (2 words per
XOR word for 2-3 parties; an `open_xor` primitive in the runtime would halve the circuit's bytes).
"""

from __future__ import annotations

import functools

import torch

from course_lib.parties import PartyGroup

__all__ = [
    "LEVELS",
    "less_than_zero",
    "less_than",
    "less_than_public",
    "less_than_each",
    "equal_zero",
    "sign_words",
    "shifted_sign_words",
    "zero_words",
    "bits_to_arithmetic",
    "and_words",
    "open_xor",
    "xor_public",
    "pack_bits",
    "unpack_bits",
]

LEVELS = 6  # log2(64): the levels of the carry tree (level 0 local, one round for each of the others)


def _int64(value: int) -> int:
    """A 64-bit pattern (0 <= value < 2^64) as the int64 holding it."""
    return value - (1 << 64) if value >= 1 << 63 else value


_BIT63 = _int64(1 << 63)  # only the top bit
_LOW63 = (1 << 63) - 1  # every bit but the top one
# _HIGH[k]: the bit positions whose bit k is set (0xAAAA..., 0xCCCC..., 0xF0F0..., ...): where level k's results sit
_HIGH = tuple(_int64(sum(1 << p for p in range(64) if p >> k & 1)) for k in range(LEVELS))
_BIT_POSITIONS = 63 - torch.arange(64)  # packed words: value v at bit 63 - v % 64 of word v // 64


# ----- XOR shares: local steps, opening, AND ----------------------------------------------------------------------
def _first_party(group: PartyGroup, rank: int) -> torch.Tensor:
    """All ones (-1) on party 0's row, 0 on the others', shaped (rows, 1, ...) to broadcast over rank-`rank` shares."""
    return _cached_first_party(group.runtime, group.n_parties, rank)


@functools.lru_cache(maxsize=64)
def _cached_first_party(runtime, n_parties: int, rank: int) -> torch.Tensor:
    first = runtime.party_indices(n_parties) == 0
    return -first.to(torch.int64).view(-1, *([1] * (rank - 1)))


def xor_public(words: torch.Tensor, public: torch.Tensor | int, group: PartyGroup) -> torch.Tensor:
    """XOR a public word into XOR-shared words: party 0 XORs it into its share, the others keep theirs."""
    return words ^ (public & _first_party(group, words.dim()))


@functools.lru_cache(maxsize=8)
def _field_masks(spacing: int) -> tuple[int, ...]:
    """For each offset t < spacing: the bits at positions 0, spacing, 2·spacing, ... that still have a bit t above."""
    return tuple(_int64(sum(1 << p for p in range(0, 64 - t, spacing))) for t in range(spacing))


def open_xor(group: PartyGroup, *words: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Open XOR-shared words (masked ones only!) in ONE round through the runtime's additive `open`.

    1. Each party spreads its share of a word into `spacing` words, bit i going to field i // spacing of word
       i % spacing, where a field is `spacing` = bit_length(n) bits wide: room for the count of n ones.
    2. The runtime opens them (adds every party's spread share): each field now holds how many shares had a 1 there.
    3. Its parity — the field's low bit — is the XOR of the shares: gather those bits back into words.
    """
    spacing = group.n_parties.bit_length()
    masks = _field_masks(spacing)
    spread = []
    for w in words:
        fields = torch.empty((w.shape[0], spacing, *w.shape[1:]), dtype=torch.int64)
        torch.bitwise_and(w, masks[0], out=fields[:, 0])
        for t in range(1, spacing):
            torch.bitwise_and(w >> t, masks[t], out=fields[:, t])
        spread.append(fields.view(w.shape[0], -1))  # flat: torch sums some 5-d int64 shapes over dim 0 very slowly
    opened = group.runtime.open(group, *spread)
    out = []
    for w, flat in zip(words, opened, strict=True):
        sums = flat.view(spacing, *w.shape[1:])
        word = sums[0] & masks[0]
        for t in range(1, spacing):
            word |= (sums[t] & masks[t]) << t
        out.append(word)
    return tuple(out)


def and_words(x: torch.Tensor, ys: torch.Tensor, group: PartyGroup, triple=None) -> torch.Tensor:
    """x AND ys[:, i] for every i, bit by bit, on XOR-shared words x (n, *S) and ys (n, pairs, *S): one round.

    1. The dealer hands out XOR shares of uniform a, b_i and c_i = a AND b_i (`TrustedDealer.and_triples`).
    2. The parties open e = x XOR a and f_i = y_i XOR b_i: uniform, a and b_i are fresh masks. (x meets every y_i
       with the same mask a, so it is opened once.)
    3. Each party computes c_i XOR (e AND b_i) XOR (a AND f_i), and party 0 also XORs e AND f_i:
       their XOR is (a XOR e) AND (b_i XOR f_i) = x AND y_i — Beaver's identity with XOR for + and AND for ×.
    """
    if triple is None:
        triple = group.require_dealer("comparing shared values").and_triples(x.shape[1:], group.n_parties, ys.shape[1])
    a, b, c = triple
    masked = torch.empty((x.shape[0], 1 + ys.shape[1], *x.shape[1:]), dtype=torch.int64)  # one message per pair
    torch.bitwise_xor(x, a, out=masked[:, 0])
    torch.bitwise_xor(ys, b, out=masked[:, 1:])
    (opened,) = open_xor(group, masked)
    e, f = opened[0], opened[1:]
    z = f & _first_party(group, b.dim())  # party 0's e AND f, folded in: e AND (b XOR f)
    z ^= b
    z &= e
    z ^= c
    z ^= a.unsqueeze(1) & f
    return z


def pack_bits(bits: torch.Tensor) -> torch.Tensor:
    """Public bits 0/1 (..., m) packed 64 to an int64 word (..., ceil(m / 64)): value v at bit 63 - v % 64 of word
    v // 64 (the layout of `sign_words` and of the dealer's daBits)."""
    m = bits.shape[-1]
    words = -(-m // 64)
    padded = torch.nn.functional.pad(bits.to(torch.int64), (0, 64 * words - m))
    return (padded.view(*bits.shape[:-1], words, 64) << _BIT_POSITIONS).sum(-1)  # distinct bits: the sum is an OR


def unpack_bits(words: torch.Tensor, length: int) -> torch.Tensor:
    """The first `length` bits (int64 0/1) of packed words (..., W), in `pack_bits`' order."""
    bits = (words.unsqueeze(-1) >> _BIT_POSITIONS) & 1
    return bits.reshape(*words.shape[:-1], -1)[..., :length]


# ----- the tree ---------------------------------------------------------------------------------------------------
def _padded_length(m: int) -> int:
    """How many values the circuit runs on: a power of two below 64, a multiple of 64 from there (so that the words
    can be merged pairwise at every level, and 64 values' results end in one word)."""
    if m >= 64:
        return 64 * -(-m // 64)
    return 1 << (m - 1).bit_length()


def _plan(length: int) -> list[tuple[bool, int]]:
    """(merge two words into one before this level?, words after merging) for levels 1 ... 5, from `length` words
    after level 0."""
    plan, words = [], length
    for _ in range(1, LEVELS):
        merge = words >= 2
        words = words // 2 if merge else words
        plan.append((merge, words))
    return plan


def _merge(words: torch.Tensor, level: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Merge word pairs (along the last dimension) before level `level`: the "hi" groups of both words (the even
    word's where bit `level` of the position is set, the odd word's moved down by 2^level into the clear positions),
    and their "lo" neighbours lined up under them. Linear in the bits: every party does it to its own XOR share."""
    shift, hi = 1 << level, _HIGH[level]
    even, odd = words[..., 0::2], words[..., 1::2]
    upper = even & hi
    upper ^= (odd >> shift) & ~hi
    lower = odd & ~hi
    lower ^= (even << shift) & hi
    return upper, lower


def _level_zero(c, r, q, group: PartyGroup, carry: bool) -> torch.Tensor:
    """Level 0 of the tree, with no round: the groups of bits (2i+1, 2i) from public c, XOR-shared r and the dealer's
    q = r AND (r << 1) (bit j: r_j AND r_j-1, the only product level 0 needs). With g_j = NOT c_j AND r_j and
    p_j = NOT c_j XOR r_j, write u = NOT c, v = NOT (c << 1) (bit j: NOT c_j-1):
        G = g_j XOR p_j·g_j-1 = u·r_j XOR v·u·r_j-1 XOR v·q_j
        P = p_j·p_j-1         = u·v XOR u·r_j-1 XOR v·r_j XOR q_j      (u·v: party 0 only)
    all linear in r and q. Bit 63's pair has (g, p) = (c_63 XOR r_63, 1) on top: G = c_63 XOR r_63 XOR v·r_62 and
    P = v XOR r_62 there — the same formulas with u's bit 63 set, and v's and q's cleared where they multiply r or q.
    Results sit at the odd bit positions; returns (n, 2 or 1, K, length) words, zero (dummy values) past m."""
    first = _first_party(group, 3)
    n, m = r.shape[0], c.shape[-1]
    out = torch.zeros((n, 1 + carry, c.shape[0], _padded_length(m)), dtype=torch.int64)
    u, v, below = ~c, ~(c << 1), r << 1
    if not carry:
        torch.bitwise_xor((u & v & first) ^ (u & below) ^ (v & r), q, out=out[:, 0, :, :m])
        return out
    u_top, v_low = u | _BIT63, v & _LOW63
    u_below = u_top & below
    g = (u_top & r) ^ (v & u_below) ^ (v_low & q)
    torch.bitwise_xor(g, c & _BIT63 & first, out=out[:, 0, :, :m])
    p = (u_top & v & first) ^ u_below ^ (v_low & r)
    torch.bitwise_xor(p, q & _LOW63, out=out[:, 1, :, :m])
    return out


def _tree(c: torch.Tensor, r: torch.Tensor, q: torch.Tensor, group: PartyGroup, carry: bool) -> torch.Tensor:
    """The carry tree for public c (K, m) and XOR-shared r, q (n, K or 1, m): with `carry`, the group "generate" of
    all 64 bits of c - r (does a borrow leave the top? bit 63 set up so that this is msb(c - r)); without, the AND
    of all 64 bits of NOT (c XOR r) ([c == r]). Returns packed XOR shares (n, K, words)."""
    dealer = group.require_dealer("comparing shared values")
    gp = _level_zero(c, r, q, group, carry)
    if gp.shape[-1] >= 2:  # merge: two values' level-0 results (odd positions) share one word
        gp, _ = _merge(gp, 0)
    n, lead = group.n_parties, gp.shape[2:-1]
    plan = _plan(gp.shape[-1])
    pairs = [2 if carry and level < LEVELS - 1 else 1 for level in range(1, LEVELS)]
    # two dealer calls (one draw each) for the whole tree: the levels with two AND gates per word, those with one
    triples, offsets = {}, {1: 0, 2: 0}
    for count in (2, 1):
        total = sum(words for (_, words), p in zip(plan, pairs, strict=True) if p == count)
        if total:
            triples[count] = dealer.and_triples((*lead, total), n, count)
    for level, (merge, words), count in zip(range(1, LEVELS), plan, pairs, strict=True):
        if merge:
            hi, lo = _merge(gp, level)
        else:
            hi, lo = gp, gp << (1 << level)
        start = offsets[count]
        offsets[count] += words
        triple = tuple(t[..., start : start + words] for t in triples[count])
        # P_hi AND G_lo (and P_hi AND P_lo while the next level needs P): one round
        z = and_words(hi[:, -1], lo[:, :count], group, triple)
        if carry:
            z[:, 0] ^= hi[:, 0]  # G = G_hi XOR (P_hi AND G_lo)
        gp = z
    return gp[:, 0]


def _open_masked(x: torch.Tensor, group: PartyGroup) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Steps 1-2: the dealer's r (additive and XOR shares, and XOR shares of r AND (r << 1)), c = x + r opened.
    x is (n, K, m); returns c (K, m) and the XOR shares (n, K, m)."""
    dealer = group.require_dealer("comparing shared values")
    r_additive, r_xor, neighbours = dealer.edabits(x.shape[1:], group.n_parties, neighbours=True)
    (c,) = group.runtime.open(group, (x + r_additive).view(x.shape[0], -1))
    return c.view(x.shape[1:]), r_xor, neighbours


def sign_words(x: torch.Tensor, group: PartyGroup) -> torch.Tensor:
    """XOR shares of the sign bits msb(x) of shared ring elements x (n, K, m), packed as `pack_bits` does:
    (n, K, ceil(m / 64)). Steps 1-4 of the module docstring, every part with its own mask; 6 rounds (1 + 5)."""
    c, r, q = _open_masked(x, group)
    return _tree(c, r, q, group, carry=True)


def shifted_sign_words(x: torch.Tensor, offsets: torch.Tensor, group: PartyGroup) -> torch.Tensor:
    """XOR shares of msb(x - offsets[k]) for shared x (n, m) and public int64 offsets (K, m), packed (n, K, W).
    ONE mask r for all K: c = x + r is opened once, and c - offsets[k] = (x - offsets[k]) + r for every k."""
    c, r, q = _open_masked(x.unsqueeze(1), group)
    return _tree(c - offsets, r, q, group, carry=True)


def zero_words(x: torch.Tensor, group: PartyGroup) -> torch.Tensor:
    """XOR shares of [x == 0] for shared ring elements x (n, K, m), packed (n, K, ceil(m / 64)); 6 rounds (1 + 5).

    x = 0 exactly when c = x + r equals r, i.e. when all 64 bits of NOT (c XOR r) are 1: the same tree with AND
    alone (one AND gate per word and level instead of two).
    """
    c, r, q = _open_masked(x, group)
    return _tree(c, r, q, group, carry=False)


def bits_to_arithmetic(words: torch.Tensor, length: int, group: PartyGroup) -> torch.Tensor:
    """XOR-shared packed bits (n, *lead, W) -> additive shares of the same bits as integers 0/1 (n, *lead, length);
    one round.

    1. The dealer hands out daBits: random bits s, XOR-shared and packed like `words`, and additively shared.
    2. The parties open e = bits XOR s (uniform: s masks every bit, the unused ones too).
    3. bit = e XOR s = e + s - 2·e·s: each party takes (1 - 2e)·s_i, and party 0 adds e.
    """
    dealer = group.require_dealer("comparing shared values")
    s_xor, s_additive = dealer.dabits((*words.shape[1:-1], length), group.n_parties)
    (e,) = open_xor(group, words ^ s_xor)
    e_bits = unpack_bits(e, length)
    return group.runtime.add_public(s_additive * (1 - 2 * e_bits), e_bits)


# ----- what SharedTensor uses -------------------------------------------------------------------------------------
def _parts(*tensors: torch.Tensor) -> torch.Tensor:
    """Stacked shares of equal shape -> (n, K, m): K values per element, each part a row the circuit runs on."""
    return torch.stack([t.reshape(t.shape[0], -1) for t in tensors], dim=1)


def less_than_zero(x: torch.Tensor, group: PartyGroup) -> torch.Tensor:
    """Additive shares of [x < 0] (integers 0/1, shaped like x) for shared int64 ring elements x read as signed:
    exactly the top bit, for EVERY ring element. 7 rounds (1 open + 5 tree levels + 1 daBit)."""
    if x[0].numel() == 0:
        return torch.zeros_like(x)
    words = sign_words(_parts(x), group)
    return bits_to_arithmetic(words, x[0].numel(), group).view(x.shape)


def equal_zero(x: torch.Tensor, group: PartyGroup) -> torch.Tensor:
    """Additive shares of [x == 0] (integers 0/1, shaped like x), exact for every ring element; 7 rounds."""
    if x[0].numel() == 0:
        return torch.zeros_like(x)
    words = zero_words(_parts(x), group)
    return bits_to_arithmetic(words, x[0].numel(), group).view(x.shape)


def _finish_less_than(a_sign, b_sign, difference_sign, group: PartyGroup, shape) -> torch.Tensor:
    """[a < b] = d XOR ((a_s XOR b_s) AND (a_s XOR d)) from packed sign words (each shared (n, W) or public (W,)).

    d = msb(a - b) is the answer unless a - b wrapped around 2^64, which happens only when a and b have different
    signs and d differs from a's sign; then the answer is a's sign. One AND (one round), then the daBit (one round).
    """

    def xor(u, v):
        if u.dim() == v.dim():
            return u ^ v
        return xor_public(u, v, group) if u.dim() > v.dim() else xor_public(v, u, group)

    wrapped = and_words(xor(a_sign, b_sign), xor(a_sign, difference_sign).unsqueeze(1), group)[:, 0]
    length = 1
    for size in shape:
        length *= size
    return bits_to_arithmetic(difference_sign ^ wrapped, length, group).view(-1, *shape)


def less_than(x: torch.Tensor, y: torch.Tensor, group: PartyGroup) -> torch.Tensor:
    """Additive shares of [x < y] (0/1) for shared int64 x and y of the same shape, as signed integers — exact for
    every pair, even when x - y wraps around 2^64 (e.g. x = 2^62, y = -2^62).

    1. One circuit run (the module's steps 1-4, all parts side by side) gives XOR shares of msb(x), msb(y) and
       msb(x - y).
    2. `_finish_less_than`: msb(x - y), corrected where the subtraction wrapped (1 AND round), then the daBit.
    8 rounds; three circuits' worth of bytes.
    """
    if x[0].numel() == 0:
        return torch.zeros_like(x)
    words = sign_words(_parts(x, y, x - y), group)
    return _finish_less_than(words[:, 0], words[:, 1], words[:, 2], group, x.shape[1:])


def less_than_each(x: torch.Tensor, thresholds: torch.Tensor, group: PartyGroup) -> torch.Tensor:
    """Additive shares of [x < t] (0/1) for shared x (n, *shape) and each public int64 threshold t in
    `thresholds` (K,): shaped (n, K, *shape), from ONE masked opening (c = x + r serves every t) and K circuits
    side by side: 7 rounds.

    Each circuit gives msb(x - t), which is [x < t] unless x - t wraps around 2^64 (x within |t| of the ring's end).
    With 0 among the thresholds the result is exact for every x: msb(x) tells the wrap apart — for t > 0,
    [x < t] = msb(x - t) OR msb(x); for t < 0, msb(x - t) AND msb(x) — at one more round of AND gates (8 rounds).
    """
    n, shape = x.shape[0], x.shape[1:]
    count = len(thresholds)
    if x[0].numel() == 0:
        return torch.zeros((n, count, *shape), dtype=torch.int64)
    flat = x.reshape(n, -1)
    words = shifted_sign_words(flat, thresholds.view(-1, 1).to(torch.int64), group)
    zeros = (thresholds == 0).nonzero().flatten().tolist()
    if zeros and count > 1:
        others = [j for j in range(count) if j != zeros[0]]
        sign = words[:, zeros[0]]
        both = and_words(sign, words[:, others], group)  # msb(x) AND msb(x - t), for every t at once
        for k, j in enumerate(others):
            words[:, j] = both[:, k] if thresholds[j] < 0 else words[:, j] ^ sign ^ both[:, k]
    return bits_to_arithmetic(words, flat.shape[1], group).view(n, count, *shape)


def less_than_public(x: torch.Tensor, c: torch.Tensor, group: PartyGroup, reverse: bool = False) -> torch.Tensor:
    """Additive shares of [x < c] (or [c < x] with `reverse`) for shared int64 x and a public int64 c of x's shape,
    exact for every pair.

    c = 0 without `reverse` is `less_than_zero` (7 rounds). Otherwise msb(x) and msb(x - c) from ONE masked opening
    (c = x + r serves both), then the wrap-around correction: 8 rounds, two circuits' bytes. [c < x] is
    1 - [x < c + 1] (integers), and 0 where c is the largest int64.
    """
    if x[0].numel() == 0:
        return torch.zeros_like(x)
    c = c.expand(x.shape[1:])
    if reverse:
        largest = c == _LOW63
        below = less_than_public(x, torch.where(largest, c, c + 1), group)
        one = torch.ones((), dtype=torch.int64)
        return group.runtime.add_public(-below, one) * (~largest).to(torch.int64)
    if not bool(c.any()):
        return less_than_zero(x, group)
    flat = x.reshape(x.shape[0], -1)
    offsets = torch.stack([torch.zeros_like(c.reshape(-1)), c.reshape(-1)])
    words = shifted_sign_words(flat, offsets, group)
    c_sign = pack_bits((c < 0).reshape(-1))
    return _finish_less_than(words[:, 0], c_sign, words[:, 1], group, x.shape[1:])
