"""Checks for chapter 03 (fixed point and truncation). Solutions: notebooks/solutions/03_fixed_point.py.

Every check compares with course_lib's own answer and, when the learner's answer is wrong, names the first wrong case
and, where it recognises a classic mistake (truncating instead of rounding, decoding in float32, the floor-split
decoder, both parties rounding down), says which one.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from course_lib.encoding import FixedPointEncoder
from course_lib.exercises import Case, CheckResult, case_rng, run_check

__all__ = ["check_encode", "check_decode", "check_truncate_two_party", "EXERCISES"]

RING = 2**64
HALF_RING = 2**63


def _show(t: torch.Tensor, limit: int = 4) -> str:
    """A short text for a 1-d tensor: its first values."""
    values = t.reshape(-1).tolist()
    text = ", ".join(f"{v:.10g}" if isinstance(v, float) else str(v) for v in values[:limit])
    return f"[{text}{', …' if len(values) > limit else ''}]"


def _checked(fn, cases: list[Case], hint: str, problem: Callable, prepare=None) -> CheckResult:
    """`run_check`, but a wrong answer gets the specific message `problem(got, case.expected)` returns."""
    return run_check(fn, cases, hint, prepare=prepare, problem=lambda got, case: problem(got, case.expected))


def _tensor_problem(got, label: str, shape, dtype: torch.dtype, advice: str) -> str | None:
    if isinstance(got, (list, tuple)) and got and all(isinstance(g, torch.Tensor) for g in got):
        return f"{label}: returned a {type(got).__name__} of tensors, expected one {dtype} tensor: use torch.stack"
    if not isinstance(got, torch.Tensor):
        return f"{label}: returned {type(got).__name__}, expected a {dtype} tensor"
    if got.dtype != dtype:
        return f"{label}: returned a {got.dtype} tensor, expected {dtype} — {advice}"
    if tuple(got.shape) != tuple(shape):
        return f"{label}: returned shape {tuple(got.shape)}, expected {tuple(shape)}"
    return None


def _clone_tensors(args: tuple) -> tuple:
    return tuple(a.clone() if isinstance(a, torch.Tensor) else a for a in args)


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
        label = f"values={_show(tensor)}, precision_bits={bits}"
        cases.append(Case((tensor, bits), label, (label, tensor, bits, expected)))
    return cases


def _encode_problem(got, expected) -> str | None:
    label, values, bits, want = expected
    problem = _tensor_problem(got, label, want.shape, torch.int64, "round, then convert with .to(torch.int64)")
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
    return f"{label}: {value!r} encoded as {mine}, expected {right} — {how}"


def check_encode(encode) -> CheckResult:
    """`encode(values, precision_bits)` must return round(values · 2^precision_bits) as an int64 tensor."""
    return _checked(
        encode,
        _encode_cases(),
        hint="multiply by 2**precision_bits, round with torch.round, convert with .to(torch.int64)",
        problem=_encode_problem,
        prepare=_clone_tensors,
    )


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
        label = f"encoded={_show(tensor)}, precision_bits={bits}"
        cases.append(Case((tensor, bits), label, (label, tensor, bits, expected)))
    return cases


def _decode_problem(got, expected) -> str | None:
    label, encoded, bits, want = expected
    if isinstance(got, torch.Tensor) and not got.is_floating_point() and got.dtype != torch.bool:
        return f"{label}: returned an integer tensor ({got.dtype}) — integer division drops the fraction"
    advice = "divide in float64: encoded.double() / 2**precision_bits (float32 keeps only 24 significant bits)"
    problem = _tensor_problem(got, label, want.shape, torch.float64, advice)
    if problem or torch.equal(got, want):
        return problem
    off = got - want
    negative_fraction = (encoded < 0) & (encoded % 2**bits != 0)
    if bool(negative_fraction.any()) and torch.equal(off, torch.where(negative_fraction, -1.0, 0.0).double()):
        value = want[negative_fraction][0].item()
        return (
            f"{label}: negative non-integers come back exactly 1.0 too low ({value!r} as {value - 1.0!r}) — "
            "floor division already rounds down; don't subtract 1 again (or simply divide in float64)"
        )
    i = int((got != want).nonzero()[0, 0])
    return (
        f"{label}: {encoded[i].item()} decoded as {got[i].item()!r}, expected {want[i].item()!r} — "
        f"the answer is encoded / 2**{bits}, in float64"
    )


def check_decode(decode) -> CheckResult:
    """`decode(encoded, precision_bits)` must return encoded / 2^precision_bits as float64, exact for negatives."""
    return _checked(
        decode,
        _decode_cases(),
        hint="convert to float64 with .double(), then divide by 2**precision_bits",
        problem=_decode_problem,
        prepare=_clone_tensors,
    )


# ----- truncate_two_party ------------------------------------------------------------------------------------------
def _two_shares(rng, secret: int) -> tuple[int, int]:
    """Two shares of `secret` whose integer sum is the secret itself (no wrap-around), so that local truncation is
    guaranteed to be within one unit: the check then never blames a correct answer for a (rare) wrap."""
    while True:
        first = rng.randrange(-HALF_RING, HALF_RING)
        second = secret - first
        if -HALF_RING <= second < HALF_RING:
            return first, second


def _truncation_cases() -> list[Case]:
    rng = case_rng("truncate_two_party")
    cases = []
    for index in range(20):
        bits = [16, 8, 20, 1][index] if index < 4 else rng.choice([4, 8, 12, 16, 20, 24, 30])
        secrets = [0, 1, -1, 2**bits, -(2**bits), 3 * 2**bits + 1, -(3 * 2**bits) - 1]
        secrets += [rng.randint(-(2**50), 2**50) for _ in range(193)]
        pairs = [_two_shares(rng, s) for s in secrets]
        shares = torch.tensor(list(zip(*pairs, strict=True)), dtype=torch.int64)  # shape (2, 200)
        secret = torch.tensor(secrets, dtype=torch.int64)
        label = f"200 shared values, bits={bits}"
        cases.append(Case((shares, bits), label, (label, shares, secret, bits)))
    return cases


def _truncation_problem(got, expected) -> str | None:
    label, shares, secret, bits = expected
    problem = _tensor_problem(got, label, shares.shape, torch.int64, "shift the int64 shares, don't convert them")
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
    detail = f"{label}: x={x} shared as ({x0}, {x1}) truncates to {r}, but x / 2^{bits} = {x / 2**bits!r}"
    if bool(((off == 0) | (off == -1)).all()):
        return f"{detail} — too low by more than one unit: party 1 must round UP, -((-x1) >> bits), not down"
    if bool(((off >= 0) & (off <= 2)).all()):
        return f"{detail} — too high: only party 1 rounds up; party 0 shifts its share down with >>"
    return f"{detail} — far off: every party must shift its own share right by bits (did one party skip it?)"


def _locality_problem(fn) -> str | None:
    """Each party's result may depend on its own share only: change one party's share, the other's must not move."""
    rng = case_rng("truncate_two_party/locality")
    bits = 16
    pairs = [_two_shares(rng, rng.randint(-(2**40), 2**40)) for _ in range(50)]
    shares = torch.tensor(list(zip(*pairs, strict=True)), dtype=torch.int64)
    before = fn(shares.clone(), bits)
    for party in (0, 1):
        changed = shares.clone()
        changed[1 - party] += 12345 * 2**bits + 777  # the OTHER party's share changes
        try:
            after = fn(changed, bits)
        except Exception as error:  # the learner's bug, reported, never raised into the notebook
            return f"raised {type(error).__name__} when only party {1 - party}'s share changed: {error}"
        if not isinstance(after, torch.Tensor) or not torch.equal(after[party], before[party]):
            return (
                f"party {party}'s result changed when only party {1 - party}'s share changed: each party must work "
                "on its own share alone (no adding the shares together — that would reveal the secret)"
            )
    return None


def check_truncate_two_party(truncate_two_party) -> CheckResult:
    """`truncate_two_party(shares, bits)` must return shares (2, ...) of x / 2^bits within one unit, each party
    using only its own share."""
    hint = "party 0 takes shares[0] >> bits; party 1 rounds up: -((-shares[1]) >> bits); stack them"
    result = _checked(truncate_two_party, _truncation_cases(), hint, _truncation_problem, prepare=_clone_tensors)
    if not result.passed:
        return result
    problem = _locality_problem(truncate_two_party)
    if problem:
        return CheckResult("failed", "✗ " + problem)
    return CheckResult("passed", "✓ 20/20 cases (4000 values), and each party uses only its own share")


EXERCISES = {
    "encode": check_encode,
    "decode": check_decode,
    "truncate_two_party": check_truncate_two_party,
}
