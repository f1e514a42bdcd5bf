"""Checks for chapter 04 (Beaver triples). Solutions: notebooks/solutions/04_beaver.py.

Each check compares with what course_lib itself does — `course_lib.sharing.beaver_product` for the product mod Q,
and the bytes the runtime counts when `course_lib.protocols.beaver_matmul` runs — and names the usual wrong turns
(forgetting party 0's e·f, adding it on every party, subtracting a mask instead of adding it back, counting one
party's bytes instead of all of them).
"""

from __future__ import annotations

import contextvars

import torch

from course_lib import protocols
from course_lib.cost import BYTES_PER_ELEMENT, Cost, measure_cost
from course_lib.dealer import TrustedDealer
from course_lib.exercises import Case, CheckResult, Hint, case_rng, clip, run_check, same_int
from course_lib.parties import PartyGroup, VirtualWorker
from course_lib.sharing import Q, beaver_product

__all__ = ["check_beaver_multiply_mod_q", "check_unmask", "check_matmul_triple_cost", "EXERCISES"]

BEAVER_MULTIPLY_MOD_Q = Hint(
    "beaver_multiply_mod_q",
    nudge="hide x and y behind the triple's masks a and b, open only the masked values, then let each party combine "
    "what was opened with its own shares of the triple; the one public term is added by a single party",
    more="open e = Σ(x_i − a_i) and f = Σ(y_i − b_i) mod Q; party i computes z_i = c_i + e·b_i + a_i·f mod Q, "
    "and party 0 also adds e·f",
)
UNMASK = Hint(
    "unmask",
    nudge="the masks were subtracted to hide x and y: undo that, staying on the clock of Q hours",
    more="x = e + a and y = f + b, each reduced mod Q",
)
MATMUL_TRIPLE_COST = Hint(
    "matmul_triple_cost",
    nudge="count the ring elements in the two masked matrices, how many parties send them, to how many others each, "
    "and the bytes in one ring element",
    more="E has m·k elements and F has k·n; each of the n_parties sends its shares of both to each of the other "
    "n_parties − 1; a ring element is an int64, 8 bytes",
)


def _shares_of(rng, secret: int, n: int) -> tuple[int, ...]:
    others = [rng.randrange(Q) for _ in range(n - 1)]
    return (*others, (secret - sum(others)) % Q)


# ----- beaver_multiply_mod_q --------------------------------------------------------------------------------------
def _beaver_problem(got, case: Case) -> str | None:
    run, n = case.expected, len(case.args[0])  # course_lib.sharing.beaver_product's run: the oracle
    if not isinstance(got, (list, tuple)) or len(got) != n or not all(same_int(z, z) for z in got):
        return f"returned {clip(repr(got), 40)}, expected a list of {n} integer shares"
    if not all(0 <= z < Q for z in got):
        return f"returned {clip(repr(list(got)), 50)}: reduce every share mod Q"
    product, ef, total = sum(run.z_shares) % Q, run.e * run.f % Q, sum(got) % Q
    if total != product:
        if ef and total == (product - ef) % Q:
            return f"your shares add up to x·y − e·f = {total}: party 0 must add the public term e·f to its share"
        if ef and total == (product + (n - 1) * ef) % Q:
            return f"your shares add up to x·y + {n - 1}·e·f = {total}: only party 0 adds e·f, the others must not"
        return f"your shares add up to {total}, expected x·y mod Q = {product}"
    if list(got) != list(run.z_shares):
        return (
            "your shares add up to x·y, but they are not the protocol's: party i computes c_i + e·b_i + a_i·f "
            "from its own shares and the opened e, f (adding up x's or y's shares would reveal them)"
        )
    return None


def check_beaver_multiply_mod_q(beaver_multiply_mod_q) -> CheckResult:
    """`beaver_multiply_mod_q(x_shares, y_shares, triple)` must return the protocol's shares of x·y mod Q: the same
    as `course_lib.sharing.beaver_product(x_shares, y_shares, triple).z_shares`."""
    rng = case_rng("beaver_multiply_mod_q")
    inputs = [(6, 7), (0, 5), (Q - 1, Q - 1), (1, Q - 1)] + [(rng.randrange(Q), rng.randrange(Q)) for _ in range(26)]
    cases = []
    for k, (x, y) in enumerate(inputs):
        n = 2 if k % 3 else 3
        a, b = rng.randrange(Q), rng.randrange(Q)
        triple = (_shares_of(rng, a, n), _shares_of(rng, b, n), _shares_of(rng, a * b % Q, n))
        args = (_shares_of(rng, x, n), _shares_of(rng, y, n), triple)
        cases.append(Case(args, f"x={x}, y={y} ({n} parties)", beaver_product(*args)))
    return run_check(beaver_multiply_mod_q, cases, BEAVER_MULTIPLY_MOD_Q, problem=_beaver_problem)


# ----- unmask ------------------------------------------------------------------------------------------------------
def check_unmask(unmask) -> CheckResult:
    """`unmask(e, f, a, b)` must return (x, y): the secrets behind the opened e = x − a and f = y − b, mod Q."""
    rng = case_rng("unmask")
    pairs = [(6, 7), (0, 0), (Q - 1, 1)] + [(rng.randrange(Q), rng.randrange(Q)) for _ in range(17)]
    cases = []
    for x, y in pairs:
        a, b = rng.randrange(Q), rng.randrange(Q)
        e, f = (x - a) % Q, (y - b) % Q
        cases.append(Case((e, f, a, b), f"e={e}, f={f}, a={a}, b={b}", (x, y)))

    def problem(got, case: Case) -> str | None:
        (e, f, a, b), expected = case.args, case.expected
        if not isinstance(got, (tuple, list)) or len(got) != 2 or not all(same_int(v, v) for v in got):
            return f"returned {clip(repr(got), 40)}, expected a pair (x, y) of integers"
        got = tuple(got)
        if got == expected:
            return None
        if got == ((e - a) % Q, (f - b) % Q):
            return "you subtracted the masks again: e = x − a, so x = e + a (mod Q)"
        if got == (e + a, f + b):
            return f"got {got}: reduce mod Q (x and y lie in [0, Q))"
        if got == expected[::-1]:
            return f"got {got}: return x first, then y"
        return f"got {got}, expected {expected}"

    return run_check(unmask, cases, UNMASK, problem=problem)


# ----- matmul_triple_cost -------------------------------------------------------------------------------------------
def _measured(m: int, k: int, n: int, n_parties: int) -> Cost:
    """What course_lib's runtime counts when `protocols.beaver_matmul` multiplies an m×k by a k×n shared matrix
    among `n_parties`: run it, on zeros, in a fresh context (the notebook's randomness and cost meters untouched)."""

    def run() -> Cost:
        parties = tuple(VirtualWorker(f"party {i}") for i in range(n_parties))
        group = PartyGroup(parties, TrustedDealer(VirtualWorker("dealer"), batch_elements=1))
        x = torch.zeros(n_parties, m, k, dtype=torch.int64)
        y = torch.zeros(n_parties, k, n, dtype=torch.int64)
        with measure_cost() as cost:
            protocols.beaver_matmul(x, y, group)
        return cost

    return contextvars.Context().run(run)


def _cost_problem(got, case: Case) -> str | None:
    (m, k, n, p), cost = case.args, case.expected
    if not same_int(got, got):
        return f"returned {clip(repr(got), 40)}, expected a whole number of bytes (an int)"
    expected = cost.bytes  # what the runtime counted between the parties (the dealer's bytes are apart)
    if got == expected:
        return None
    one_party = cost.bytes_sent_by["party 0"]
    opened, elementwise, with_z = m * k + k * n, m * k * n, m * k + k * n + m * n  # elements: to name the mistake
    if got == one_party:
        return f"got {got}: that is what ONE party sends; all {p} parties send their shares"
    if got == one_party // (p - 1):
        return f"got {got}: that is one party's message to one other party; each of {p} parties sends to {p - 1}"
    if got * (p - 1) in (expected * p, expected):
        return f"got {got}: a party does not send to itself — each sends to the {p - 1} others"
    if got * BYTES_PER_ELEMENT == expected:
        return f"got {got}: that counts ring elements; each one is an int64, {BYTES_PER_ELEMENT} bytes"
    if got * opened in (expected * elementwise, 2 * expected * elementwise):
        return f"got {got}: that is the cost with elementwise triples; a matrix triple opens only E (m×k) and F (k×n)"
    if got * opened == expected * with_z:
        return f"got {got}: the result Z (m×n) stays shared — only E and F are opened"
    return f"got {got}, but course_lib's runtime counts {expected} bytes for this product"


def check_matmul_triple_cost(matmul_triple_cost) -> CheckResult:
    """`matmul_triple_cost(m, k, n, n_parties)` must return the bytes the parties send each other in one Beaver
    matrix product: what course_lib's runtime counts when it runs `protocols.beaver_matmul` on those shapes."""
    rng = case_rng("matmul_triple_cost")
    shapes = [(2, 3, 4, 3), (10, 20, 30, 2), (10, 20, 30, 3), (1, 1, 1, 2), (64, 128, 1, 4), (5, 7, 5, 3)]
    shapes += [(rng.randint(1, 12), rng.randint(1, 12), rng.randint(1, 12), rng.randint(2, 6)) for _ in range(14)]
    cases = [Case(s, f"m={s[0]}, k={s[1]}, n={s[2]}, n_parties={s[3]}", _measured(*s)) for s in shapes]
    return run_check(matmul_triple_cost, cases, MATMUL_TRIPLE_COST, problem=_cost_problem)


EXERCISES = {
    "beaver_multiply_mod_q": check_beaver_multiply_mod_q,
    "unmask": check_unmask,
    "matmul_triple_cost": check_matmul_triple_cost,
}
