"""Checks for chapter 03 (fixed point and truncation). Solutions: notebooks/solutions/03_fixed_point.py.

Every check compares with course_lib's own answer and, when the learner's answer is wrong, names the first wrong case
and, where it recognises a classic mistake (truncating instead of rounding, decoding in float32, the floor-split
decoder, both parties rounding down, adding the two shares together), says which one.
"""

from __future__ import annotations

import math

import torch

from course_lib.encoding import FixedPointEncoder
from course_lib.exercises import Case, CheckResult, Hint, case_rng, plain, run_check, watch_secret

__all__ = ["check_encode", "check_decode", "check_truncate_two_party", "EXERCISES"]

ENCODE = Hint(
    "encode",
    nudge="scale the values up until precision_bits binary digits after the point become whole numbers, then take "
    "the nearest whole number, stored as int64",
    more="values * 2**precision_bits, then torch.round (to the nearest; a plain conversion cuts toward zero), then "
    ".to(torch.int64)",
)
DECODE = Hint(
    "decode",
    nudge="undo the scaling, in 64-bit floating point, so that no digit of a large or negative encoding is lost",
    more="encoded.double() / 2**precision_bits: float64 holds every encoding below 2^53 exactly, float32 does not, "
    "and integer division drops the fraction",
)
TRUNCATE_TWO_PARTY = Hint(
    "truncate_two_party",
    nudge="each party divides its own share by 2^bits on its own, never looking at the other's; to land within one "
    "unit, the two parties must round in opposite directions",
    more="party 0 shifts its share right (>> bits rounds down); party 1 rounds up: negate its share, shift it "
    "right, negate back; stack the two rows into one tensor",
)

HALF_RING = 2**63


def _show(t: torch.Tensor, limit: int = 4) -> str:
    """A short text for a 1-d tensor: its first values."""
    values = t.reshape(-1).tolist()
    text = ", ".join(f"{v:.10g}" if isinstance(v, float) else str(v) for v in values[:limit])
    return f"[{text}{', …' if len(values) > limit else ''}]"


def _tensor_problem(got, shape, dtype: torch.dtype, advice: str) -> str | None:
    if isinstance(got, (list, tuple)) and got and all(isinstance(g, torch.Tensor) for g in got):
        return f"returned a {type(got).__name__} of tensors, expected one {dtype} tensor: stack them (torch.stack)"
    if not isinstance(got, torch.Tensor):
        return f"returned {type(got).__name__}, expected a {dtype} tensor"
    if got.dtype != dtype:
        return f"returned a {got.dtype} tensor, expected {dtype} — {advice}"
    if tuple(got.shape) != tuple(shape):
        return f"returned shape {tuple(got.shape)}, expected {tuple(shape)}"
    return None


# ----- encode ------------------------------------------------------------------------------------------------------
def _encode_cases() -> list[Case]:
    rng = case_rng("encode")
    fixed = [
        ([3.25, -2.5, 0.1, 0.7, -0.7], 16),
        ([math.pi, math.e, 0.1, -1234.5678], 8),
        ([0.0, 1.0, -1.0, 0.7, -0.7, 123.6], 0),
        ([math.pi, -math.pi, 1e6 + 0.3], 24),
        ([1e14 + 0.25, -3e13 - 0.3], 16),  # large: float32 would lose these digits
    ]
    for _ in range(15):
        bits = rng.choice([4, 8, 12, 16, 20, 24, 28, 30])
        bound = min(1e4, 2.0 ** (50 - bits))
        fixed.append(([rng.uniform(-bound, bound) for _ in range(rng.randint(1, 6))], bits))
    cases = []
    for values, bits in fixed:
        tensor = torch.tensor(values, dtype=torch.float64)
        expected = FixedPointEncoder(bits).encode(tensor)
        cases.append(Case((tensor, bits), f"values={_show(tensor)}, precision_bits={bits}", expected))
    return cases


def _encode_problem(got, case: Case) -> str | None:
    (values, bits), want = case.args, case.expected
    problem = _tensor_problem(got, want.shape, torch.int64, "round first, then convert to int64")
    if problem or torch.equal(got, want):
        return problem
    scaled = values * 2.0**bits
    if torch.equal(got, torch.trunc(scaled).to(torch.int64)):
        how = "cut toward zero (int conversion) instead of rounded to the nearest integer: use torch.round first"
    elif torch.equal(got, torch.floor(scaled).to(torch.int64)):
        how = "rounded down (floor) instead of to the nearest integer: use torch.round"
    elif torch.equal(got, torch.round(values).to(torch.int64)):
        how = f"not scaled: multiply by 2**precision_bits = {2**bits} before rounding"
    else:
        how = "compute round(v · 2**precision_bits) in float64, then convert to int64"
    i = int((got != want).nonzero()[0, 0]) if got.dim() else 0
    value, mine, right = values.reshape(-1)[i].item(), got.reshape(-1)[i].item(), want.reshape(-1)[i].item()
    return f"{value!r} encoded as {mine}, expected {right} — {how}"


def check_encode(encode) -> CheckResult:
    """`encode(values, precision_bits)` must return round(values · 2^precision_bits) as an int64 tensor."""
    return run_check(encode, _encode_cases(), ENCODE, problem=_encode_problem)


# ----- decode ------------------------------------------------------------------------------------------------------
def _decode_cases() -> list[Case]:
    rng = case_rng("decode")
    fixed = [
        # -1.25, -3.75, -7/2^16, -1, -2, 0.5, 2.75: negative non-integers first, where the floor-split trap bites
        ([-81920, -245760, -7, -65536, -131072, 32768, 180224], 16),
        ([0, 1, -1, 255, -256, 1000], 8),
        ([12345, -12345, 0], 0),
        ([2**52 + 1, -(2**52) - 3, 5], 24),  # large encodings: float32 keeps only 24 significant bits
    ]
    for _ in range(16):
        bits = rng.choice([4, 8, 12, 16, 20, 24, 28, 30])
        fixed.append(([rng.randint(-(2**52), 2**52) for _ in range(rng.randint(1, 6))], bits))
    cases = []
    for encoded, bits in fixed:
        tensor = torch.tensor(encoded, dtype=torch.int64)
        expected = tensor.double() / 2**bits
        cases.append(Case((tensor, bits), f"encoded={_show(tensor)}, precision_bits={bits}", expected))
    return cases


def _decode_problem(got, case: Case) -> str | None:
    (encoded, bits), want = case.args, case.expected
    if isinstance(got, torch.Tensor) and not got.is_floating_point() and got.dtype != torch.bool:
        return f"returned an integer tensor ({got.dtype}) — integer division drops the fraction"
    advice = "divide in float64 (float32 keeps only 24 significant bits)"
    problem = _tensor_problem(got, want.shape, torch.float64, advice)
    if problem or torch.equal(got, want):
        return problem
    off = got - want
    negative_fraction = (encoded < 0) & (encoded % 2**bits != 0)
    if bool(negative_fraction.any()) and torch.equal(off, torch.where(negative_fraction, -1.0, 0.0).double()):
        value = want[negative_fraction][0].item()
        return (
            f"negative non-integers come back exactly 1.0 too low ({value!r} as {value - 1.0!r}) — "
            "floor division already rounds down; don't subtract 1 again (or simply divide in float64)"
        )
    i = int((got != want).nonzero()[0, 0])
    return (
        f"{encoded[i].item()} decoded as {got[i].item()!r}, expected {want[i].item()!r} — "
        f"the answer is encoded / 2**{bits}, in float64"
    )


def check_decode(decode) -> CheckResult:
    """`decode(encoded, precision_bits)` must return encoded / 2^precision_bits as float64, exact for negatives."""
    return run_check(decode, _decode_cases(), DECODE, problem=_decode_problem)


# ----- truncate_two_party ------------------------------------------------------------------------------------------
def _two_shares(rng, secret: int) -> tuple[int, int]:
    """Two shares of `secret` whose integer sum is the secret itself (no wrap-around), so that local truncation is
    guaranteed to be within one unit: the check then never blames a correct answer for a (rare) wrap."""
    while True:
        first = rng.randrange(-HALF_RING, HALF_RING)
        second = secret - first
        if -HALF_RING <= second < HALF_RING:
            return first, second


def _stacked(pairs: list[tuple[int, int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Shares (2, len(pairs)) and the secrets they add up to."""
    shares = torch.tensor(list(zip(*pairs, strict=True)), dtype=torch.int64)
    return shares, torch.tensor([a + b for a, b in pairs], dtype=torch.int64)


def _truncation_cases() -> list[Case]:
    """20 cases of 200 values, then three for locality: 50 values, then the same with only party 1's share changed,
    then with only party 0's share changed (still no wrap-around, so each is an ordinary case too)."""
    rng = case_rng("truncate_two_party")
    cases = []
    for index in range(20):
        bits = [16, 8, 20, 1][index] if index < 4 else rng.choice([4, 8, 12, 16, 20, 24, 30])
        secrets = [0, 1, -1, 2**bits, -(2**bits), 3 * 2**bits + 1, -(3 * 2**bits) - 1]
        secrets += [rng.randint(-(2**50), 2**50) for _ in range(193)]
        shares, secret = _stacked([_two_shares(rng, s) for s in secrets])
        cases.append(Case((shares, bits), f"200 shared values, bits={bits}", secret))
    base = [_two_shares(rng, rng.randint(-(2**40), 2**40)) for _ in range(50)]
    label = "50 shared values, bits=16"
    shares, secret = _stacked(base)
    cases.append(Case((shares, 16), label, secret))
    for party in (0, 1):  # `party` keeps its share; the other party's share changes
        changed = []
        for pair in base:
            while True:
                other = _two_shares(rng, rng.randint(-(2**40), 2**40))[1 - party]
                if -HALF_RING <= pair[party] + other < HALF_RING:
                    break
            changed.append((pair[0], other) if party == 0 else (other, pair[1]))
        shares, secret = _stacked(changed)
        cases.append(Case((shares, 16), f"{label}, only party {1 - party}'s share changed", secret))
    return cases


def _truncation_problem(got, case: Case) -> str | None:
    (shares, bits), secret = case.args, case.expected
    got = plain(got)
    problem = _tensor_problem(got, shares.shape, torch.int64, "shift the int64 shares, don't convert them")
    if problem:
        return problem
    result = got.sum(dim=0)  # the int64 sum wraps: reconstruction mod 2^64
    floor = secret >> bits
    exact = secret % 2**bits == 0
    off = result - floor  # 0 or 1 is within one unit (1 only when x / 2^bits is not a whole number)
    good = (off == 0) | ((off == 1) & ~exact)
    if bool(good.all()):
        return None
    i = int((~good).nonzero()[0, 0])
    x, x0, x1, r = secret[i].item(), shares[0, i].item(), shares[1, i].item(), result[i].item()
    detail = f"x={x} shared as ({x0}, {x1}) truncates to {r}, but x / 2^{bits} = {x / 2**bits!r}"
    if bool(((off == 0) | (off == -1)).all()):
        return f"{detail} — too low by more than one unit: party 1 must round UP, not down"
    if bool(((off >= 0) & (off <= 2)).all()):
        return f"{detail} — too high: only party 1 rounds up; party 0 rounds its share down"
    return f"{detail} — far off: every party must shift its own share right by bits (did one party skip it?)"


def _locality(answers) -> str | None:
    """Each party's result may depend on its own share only: when the other party's share changed, it must not move."""
    base, *changed = (plain(got) for case, got in answers[-3:])
    for party, after in enumerate(changed):
        if not torch.equal(after[party], base[party]):
            return (
                f"party {party}'s result changed when only party {1 - party}'s share changed: each party must work "
                "on its own share alone (adding the shares together would reveal the secret)"
            )
    return None


def check_truncate_two_party(truncate_two_party) -> CheckResult:
    """`truncate_two_party(shares, bits)` must return shares (2, ...) of x / 2^bits within one unit, each party
    using only its own share."""
    return run_check(
        truncate_two_party,
        _truncation_cases(),
        TRUNCATE_TWO_PARTY,
        prepare=lambda case: (watch_secret(case.args[0], case.expected), case.args[1]),
        problem=_truncation_problem,
        after=_locality,
        note=" (4150 values), and each party uses only its own share",
    )


EXERCISES = {
    "encode": check_encode,
    "decode": check_decode,
    "truncate_two_party": check_truncate_two_party,
}
