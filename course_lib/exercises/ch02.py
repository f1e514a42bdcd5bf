"""Checks for chapter 02 (shared tensors in the ring Z_2^64). Solutions: notebooks/solutions/02_shared_tensors.py.

The cases are built from `case_rng` (Python's `random`, seeded by the check's name), never from `course_lib.rng`: a
check must not consume the notebook's seeded randomness, or running it would change every share printed below it.
Failure messages say *what* is wrong with an answer (wrong shape, wrong sum, a share that did not change …) without
printing the expected tensor, so a check never hands out the solution.
"""

from __future__ import annotations

import random

import torch

from course_lib.exercises import CheckResult, call_learner, case_rng

__all__ = ["check_to_signed", "check_reshare", "check_add_public", "EXERCISES"]

RING = 2**64
HALF = 2**63


def _signed(u: int) -> int:
    return u - RING if u >= HALF else u


def _ring_tensor(rng: random.Random, shape: tuple[int, ...]) -> torch.Tensor:
    """Uniform ring elements (int64) drawn from a check's own generator."""
    count = 1
    for size in shape:
        count *= size
    return torch.tensor([_signed(rng.getrandbits(64)) for _ in range(count)], dtype=torch.int64).reshape(shape)


def _share_with(rng: random.Random, secret: torch.Tensor, n_parties: int) -> torch.Tensor:
    shares = _ring_tensor(rng, (n_parties, *secret.shape))
    shares[-1] = secret - shares[:-1].sum(dim=0)
    return shares


def _tensor_problem(got, shape: tuple[int, ...], what: str) -> str | None:
    if not isinstance(got, torch.Tensor):
        return f"returned {type(got).__name__}, expected {what}: an int64 tensor of shape {shape}"
    if got.dtype != torch.int64:
        return f"returned a {got.dtype} tensor, expected int64 (ring elements are int64)"
    if tuple(got.shape) != shape:
        return f"returned shape {tuple(got.shape)}, expected {shape} (n_parties first, then the tensor's own shape)"
    return None


# ----- to_signed ---------------------------------------------------------------------------------------------------
def _describe(u: int) -> str:
    for name, value in (("2^64 - 1", RING - 1), ("2^63", HALF), ("2^63 - 1", HALF - 1)):
        if u == value:
            return f"u = {name} = {u}"
    return f"u = {u}"


def check_to_signed(to_signed) -> CheckResult:
    """`to_signed(u)` must map an unsigned representative u in [0, 2^64) (a Python int) to the int64 value that
    stores it: the number in [-2^63, 2^63) congruent to u mod 2^64."""
    hint = "numbers below 2^63 stay as they are; from 2^63 on, int64 stores u - 2^64"
    rng = case_rng("to_signed")
    values = [0, 1, 5, HALF - 1, HALF, HALF + 1, RING - 1, RING - 2, 2**32, RING - 2**32]
    values += [rng.getrandbits(64) for _ in range(10)]
    for u in values:
        label = _describe(u)
        got, error = call_learner(to_signed, (u,), label, hint)
        if error is not None:
            return error
        if isinstance(got, torch.Tensor) and got.numel() == 1 and not got.is_floating_point():
            got = got.item()
        if isinstance(got, bool) or not isinstance(got, int):
            return CheckResult("failed", f"✗ for {label}: returned {type(got).__name__}, expected a Python int")
        if not -HALF <= got < HALF:
            return CheckResult(
                "failed", f"✗ for {label}: got {got}, which an int64 cannot hold (it must lie in [-2^63, 2^63))"
            )
        if (got - u) % RING != 0:
            return CheckResult(
                "failed", f"✗ for {label}: got {got}, which is not the same ring element: (got - u) % 2^64 != 0"
            )
    return CheckResult("passed", f"✓ {len(values)}/{len(values)} cases")


# ----- reshare -----------------------------------------------------------------------------------------------------
_RESHARE_CASES = [(2, (4,)), (3, (2, 3)), (4, (5,)), (3, (1,)), (2, (3, 2)), (5, (2,))]


def check_reshare(reshare) -> CheckResult:
    """`reshare(shares)` must return fresh shares of the same secret: same shape, int64, the same sum mod 2^64,
    every party's share changed, and new random masks on every call."""
    hint = "make fresh shares of zero (random ring elements, the last one minus their sum) and add them to the shares"
    rng = case_rng("reshare")
    cases = []
    for n, shape in _RESHARE_CASES:
        secret = _ring_tensor(rng, shape)
        cases.append((_share_with(rng, secret, n), secret))
    big_secret = _ring_tensor(rng, (2000,))
    cases.append((_share_with(rng, big_secret, 3), big_secret))
    for shares, secret in cases:
        n, shape = shares.shape[0], tuple(shares.shape[1:])
        label = f"{n} parties, shape {shape}"
        got, error = call_learner(reshare, (shares.clone(),), label, hint)
        if error is not None:
            return error
        problem = _tensor_problem(got, tuple(shares.shape), "the new shares")
        if problem is None and not torch.equal(got.sum(dim=0), secret):
            problem = "the new shares do not add up (mod 2^64) to the same secret as the old ones"
        if problem is None:
            for party in range(n):
                same = int((got[party] == shares[party]).sum())
                if same:
                    problem = (
                        f"party {party}'s new share still equals its old share in {same} of {shares[party].numel()} "
                        "entries: every party must get a changed share"
                    )
                    break
        if problem is None and shape == (2000,):
            for party in range(n):
                change = got[party] - shares[party]
                if int(change.abs().max()) < 2**62 or not 600 < int((change < 0).sum()) < 1400:
                    problem = (
                        f"party {party}'s share changes by amounts that are far from uniform on 64 bits "
                        "(e.g. small numbers): draw full ring elements, e.g. course_lib.rng.ring_elements"
                    )
                    break
        if problem is not None:
            return CheckResult("failed", f"✗ for {label}: {problem}")
    shares, _ = cases[1]
    first, second = reshare(shares.clone()), reshare(shares.clone())
    if torch.equal(first, second):
        return CheckResult(
            "failed", "✗ resharing the same shares twice gave identical results: draw new random masks on each call"
        )
    return CheckResult("passed", f"✓ {len(cases) + 1}/{len(cases) + 1} cases")


# ----- add_public --------------------------------------------------------------------------------------------------
def check_add_public(add_public) -> CheckResult:
    """`add_public(shares, public)` must return shares of secret + public, computed without messages: party 0
    adds the public tensor to its share, every other party keeps its share as it is."""
    hint = "only party 0 adds the public tensor to its share; copy the shares first, then change row 0"
    rng = case_rng("add_public")
    cases = []
    for n, shape in [(2, (3,)), (3, (2, 2)), (4, (5,)), (3, (4,)), (5, (1,)), (2, (2, 3))]:
        secret = _ring_tensor(rng, shape)
        public = torch.tensor([rng.randint(-1000, 1000) for _ in range(secret.numel())], dtype=torch.int64)
        cases.append((_share_with(rng, secret, n), public.reshape(shape), secret))
    # wrap-around: the largest int64 plus a positive public value must wrap, exactly as the ring says
    edge = torch.tensor([HALF - 1, -HALF, -1], dtype=torch.int64)
    cases.append((_share_with(rng, edge, 3), torch.tensor([1, -1, 1], dtype=torch.int64), edge))
    for shares, public, secret in cases:
        n, shape = shares.shape[0], tuple(shares.shape[1:])
        label = f"{n} parties, public={public.tolist()}"
        got, error = call_learner(add_public, (shares.clone(), public.clone()), label, hint)
        if error is not None:
            return error
        problem = _tensor_problem(got, tuple(shares.shape), "the shares of secret + public")
        if problem is None:
            total = got.sum(dim=0)
            if torch.equal(total, secret + n * public) and n > 1:
                problem = f"the public value was added {n} times (once by every party); only party 0 adds it"
            elif not torch.equal(total, secret + public):
                problem = "the new shares do not add up (mod 2^64) to secret + public"
            elif not torch.equal(got[1:], shares[1:]):
                problem = "every party but party 0 must keep its share unchanged (no messages needed)"
        if problem is not None:
            return CheckResult("failed", f"✗ for {label}: {problem}")
    return CheckResult("passed", f"✓ {len(cases)}/{len(cases)} cases")


EXERCISES = {
    "to_signed": check_to_signed,
    "reshare": check_reshare,
    "add_public": check_add_public,
}
