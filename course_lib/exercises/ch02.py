"""Checks for chapter 02 (shared tensors in the ring Z_2^64). Solutions: notebooks/solutions/02_shared_tensors.py.

The cases are built from `case_rng` (Python's `random`, seeded by the check's name), never from `course_lib.rng`: a
check must not consume the notebook's seeded randomness, or running it would change every share printed below it.
`reshare` gets watched shares (`watch_secret`): adding them up over the parties, in any way, is reported as
"reconstructs the secret". Failure messages say *what* is wrong with an answer (wrong shape, wrong sum, a share that
did not change …) without printing the expected tensor, so a check never hands out the solution."""

from __future__ import annotations

import random

import torch

from course_lib.exercises import Case, CheckResult, Hint, case_rng, plain, run_check, watch_secret

__all__ = ["check_to_signed", "check_reshare", "check_add_public", "EXERCISES"]

TO_SIGNED = Hint(
    "to_signed",
    nudge="int64 reads the top bit as a sign: from 2^63 on, u is stored as the negative number that sits on the same "
    "point of the 2^64-hour clock",
    more="below 2^63, u is its own int64; from 2^63 on, int64 stores u - 2^64 (plain Python arithmetic, no torch)",
)
RESHARE = Hint(
    "reshare",
    nudge="change every party's share by a random amount, choosing the amounts so that they cancel out: "
    "together they add up to 0 mod 2^64",
    more="make fresh shares of zero — random ring elements (cl.rng.ring_elements) in every row, then the last row "
    "set to minus the sum of the others — and add them to the shares; never add up the old shares",
)
ADD_PUBLIC = Hint(
    "add_public",
    nudge="adding a public number needs no messages: exactly one party changes its share, the others keep theirs",
    more="copy the shares (.clone()), add the public tensor to party 0's row of the copy only, and return the copy",
)

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
    rng = case_rng("to_signed")
    values = [0, 1, 5, HALF - 1, HALF, HALF + 1, RING - 1, RING - 2, 2**32, RING - 2**32]
    values += [rng.getrandbits(64) for _ in range(10)]
    cases = [Case((u,), _describe(u), _signed(u)) for u in values]

    def problem(got, case: Case) -> str | None:
        (u,) = case.args
        if isinstance(got, torch.Tensor) and got.numel() == 1 and not got.is_floating_point():
            got = got.item()
        if isinstance(got, bool) or not isinstance(got, int):
            return f"returned {type(got).__name__}, expected a Python int"
        if got == case.expected:
            return None
        if not -HALF <= got < HALF:
            return f"got {got}, which an int64 cannot hold (it must lie in [-2^63, 2^63)): from 2^63 on, go negative"
        if (got - u) % RING != 0:
            return f"got {got}, which is not the same ring element: (got - u) must be a multiple of 2^64"
        return f"got {got}, expected {case.expected}"

    return run_check(to_signed, cases, TO_SIGNED, problem=problem)


# ----- reshare -----------------------------------------------------------------------------------------------------
_RESHARE_CASES = [(2, (4,)), (3, (2, 3)), (4, (5,)), (3, (1,)), (2, (3, 2)), (5, (2,)), (3, (2000,))]


def _reshare_problem(got, case: Case) -> str | None:
    (shares,), secret = case.args, case.expected
    got = plain(got)
    n, shape = shares.shape[0], tuple(shares.shape[1:])
    wrong = _tensor_problem(got, tuple(shares.shape), "the new shares")
    if wrong:
        return wrong
    if not torch.equal(got.sum(dim=0), secret):
        return "the new shares add up to another secret: the amounts you add must cancel out (sum to 0 mod 2^64)"
    for party in range(n):
        same = int((got[party] == shares[party]).sum())
        if same:
            return (
                f"party {party}'s new share still equals its old share in {same} of {shares[party].numel()} "
                "entries: every party must get a changed share"
            )
    if shape == (2000,):
        for party in range(n):
            change = got[party] - shares[party]
            if int(change.abs().max()) < 2**62 or not 600 < int((change < 0).sum()) < 1400:
                return (
                    f"party {party}'s share changes by amounts far from uniform on 64 bits (e.g. small numbers): "
                    "draw full ring elements, e.g. with cl.rng.ring_elements"
                )
    return None


def check_reshare(reshare) -> CheckResult:
    """`reshare(shares)` must return fresh shares of the same secret: same shape, int64, the same sum mod 2^64,
    every party's share changed, new random masks on every call — and it must never add up the old shares."""
    rng = case_rng("reshare")
    cases = []
    for n, shape in _RESHARE_CASES:
        secret = _ring_tensor(rng, shape)
        cases.append(Case((_share_with(rng, secret, n),), f"{n} parties, shape {shape}", secret))
    again = cases[1]
    cases.append(Case(again.args, f"{again.label}, resharing the same shares again", again.expected))

    def after(answers) -> str | None:
        first, second = (plain(got) for case, got in answers if case.args is again.args)
        if torch.equal(first, second):
            return "resharing the same shares twice gave identical results: draw new random masks on each call"
        return None

    return run_check(
        reshare,
        cases,
        RESHARE,
        prepare=lambda case: (watch_secret(case.args[0], case.expected),),
        problem=_reshare_problem,
        after=after,
        note=" — fresh masks on every call, and the secret never reconstructed",
    )


# ----- add_public --------------------------------------------------------------------------------------------------
def _add_public_problem(got, case: Case) -> str | None:
    shares, public = case.args
    secret, n = case.expected, shares.shape[0]
    wrong = _tensor_problem(got, tuple(shares.shape), "the shares of secret + public")
    if wrong:
        return wrong
    total = got.sum(dim=0)
    if torch.equal(total, secret + n * public):
        return f"the public value was added {n} times (once by every party); only party 0 adds it"
    if not torch.equal(total, secret + public):
        return "the new shares do not add up (mod 2^64) to secret + public"
    if not torch.equal(got[1:], shares[1:]):
        return "every party but party 0 must keep its share unchanged (no messages needed)"
    return None


def check_add_public(add_public) -> CheckResult:
    """`add_public(shares, public)` must return shares of secret + public, computed without messages: party 0
    adds the public tensor to its share, every other party keeps its share as it is; the caller's shares stay."""
    rng = case_rng("add_public")
    inputs = []
    for n, shape in [(2, (3,)), (3, (2, 2)), (4, (5,)), (3, (4,)), (5, (1,)), (2, (2, 3))]:
        secret = _ring_tensor(rng, shape)
        public = torch.tensor([rng.randint(-1000, 1000) for _ in range(secret.numel())], dtype=torch.int64)
        inputs.append((_share_with(rng, secret, n), public.reshape(shape), secret))
    # wrap-around: the largest int64 plus a positive public value must wrap, exactly as the ring says
    edge = torch.tensor([HALF - 1, -HALF, -1], dtype=torch.int64)
    inputs.append((_share_with(rng, edge, 3), torch.tensor([1, -1, 1], dtype=torch.int64), edge))
    cases = [Case((sh, pub), f"{sh.shape[0]} parties, public={pub.tolist()}", sec) for sh, pub, sec in inputs]
    return run_check(add_public, cases, ADD_PUBLIC, problem=_add_public_problem)


EXERCISES = {
    "to_signed": check_to_signed,
    "reshare": check_reshare,
    "add_public": check_add_public,
}
