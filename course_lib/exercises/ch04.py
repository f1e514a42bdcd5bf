"""Checks for chapter 04 (Beaver triples). Solutions: notebooks/solutions/04_beaver.py.

Each check knows the usual wrong turns (forgetting party 0's e·f, adding it on every party, subtracting a mask instead
of adding it back, counting one party's bytes instead of all of them) and names them in its message.
"""

from __future__ import annotations

from collections.abc import Callable

from course_lib.cost import BYTES_PER_ELEMENT
from course_lib.exercises import Case, CheckResult, case_rng, clip, run_check, same_int
from course_lib.sharing import Q

__all__ = ["check_beaver_multiply_mod_q", "check_unmask", "check_matmul_triple_cost", "EXERCISES"]


def _check_cases(fn, cases: list[tuple[tuple, str, object]], hint: str, problem: Callable) -> CheckResult:
    """Call fn(*args) for each (args, label, expected); `problem(got, args, expected)` says what is wrong, or None."""

    def named(got, case: Case) -> str | None:
        message = problem(got, case.args, case.expected)
        return f"{case.label}: {message}" if message else None

    return run_check(fn, [Case(args, label, expected) for args, label, expected in cases], hint, problem=named)


def _shares_of(rng, secret: int, n: int) -> tuple[int, ...]:
    others = [rng.randrange(Q) for _ in range(n - 1)]
    return (*others, (secret - sum(others)) % Q)


# ----- beaver_multiply_mod_q --------------------------------------------------------------------------------------
def _protocol_shares(x_shares, y_shares, triple) -> list[int]:
    a, b, c = triple
    e = sum(xi - ai for xi, ai in zip(x_shares, a, strict=True)) % Q
    f = sum(yi - bi for yi, bi in zip(y_shares, b, strict=True)) % Q
    z = [(ci + e * bi + ai * f) % Q for ai, bi, ci in zip(a, b, c, strict=True)]
    z[0] = (z[0] + e * f) % Q
    return z


def check_beaver_multiply_mod_q(beaver_multiply_mod_q) -> CheckResult:
    """`beaver_multiply_mod_q(x_shares, y_shares, triple)` must return the protocol's shares of x·y mod Q."""
    rng = case_rng("beaver_multiply_mod_q")
    inputs = [(6, 7), (0, 5), (Q - 1, Q - 1), (1, Q - 1)] + [(rng.randrange(Q), rng.randrange(Q)) for _ in range(26)]
    cases = []
    for k, (x, y) in enumerate(inputs):
        n = 2 if k % 3 else 3
        a, b = rng.randrange(Q), rng.randrange(Q)
        triple = (_shares_of(rng, a, n), _shares_of(rng, b, n), _shares_of(rng, a * b % Q, n))
        args = (_shares_of(rng, x, n), _shares_of(rng, y, n), triple)
        ef = (x - a) * (y - b) % Q
        cases.append((args, f"x={x}, y={y} ({n} parties)", ((x * y) % Q, ef, _protocol_shares(*args))))

    def problem(got, args, expected) -> str | None:
        product, ef, protocol = expected
        n = len(args[0])
        if not isinstance(got, (list, tuple)) or len(got) != n or not all(same_int(z, z) for z in got):
            return f"returned {clip(repr(got), 40)}, expected a list of {n} integer shares"
        if not all(0 <= z < Q for z in got):
            return f"returned {clip(repr(list(got)), 50)}: reduce every share mod Q"
        total = sum(got) % Q
        if total != product:
            if ef and total == (product - ef) % Q:
                return f"your shares add up to x·y − e·f = {total}: party 0 must add the public term e·f to its share"
            if ef and total == (product + (n - 1) * ef) % Q:
                return f"your shares add up to x·y + {n - 1}·e·f = {total}: only party 0 adds e·f, the others must not"
            return f"your shares add up to {total}, expected x·y mod Q = {product}"
        if list(got) != protocol:
            return (
                "your shares add up to x·y, but they are not the protocol's: party i computes c_i + e·b_i + a_i·f "
                "from its own shares and the opened e, f; party 0 also adds e·f"
            )
        return None

    hint = (
        "open e = Σ(x_i − a_i) and f = Σ(y_i − b_i) mod Q; then z_i = c_i + e·b_i + a_i·f mod Q, and party 0 adds e·f"
    )
    return _check_cases(beaver_multiply_mod_q, cases, hint, problem)


# ----- unmask ------------------------------------------------------------------------------------------------------
def check_unmask(unmask) -> CheckResult:
    """`unmask(e, f, a, b)` must return (x, y): the secrets behind the opened e = x − a and f = y − b, mod Q."""
    rng = case_rng("unmask")
    pairs = [(6, 7), (0, 0), (Q - 1, 1)] + [(rng.randrange(Q), rng.randrange(Q)) for _ in range(17)]
    cases = []
    for x, y in pairs:
        a, b = rng.randrange(Q), rng.randrange(Q)
        e, f = (x - a) % Q, (y - b) % Q
        cases.append(((e, f, a, b), f"e={e}, f={f}, a={a}, b={b}", (x, y)))

    def problem(got, args, expected) -> str | None:
        e, f, a, b = args
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

    return _check_cases(unmask, cases, "x = e + a and y = f + b, each reduced mod Q", problem)


# ----- matmul_triple_cost -------------------------------------------------------------------------------------------
def matmul_open_bytes(m: int, k: int, n: int, n_parties: int) -> int:
    """Bytes the parties send each other to open e (m×k) and f (k×n): every party sends both to every other."""
    return n_parties * (n_parties - 1) * (m * k + k * n) * BYTES_PER_ELEMENT


def check_matmul_triple_cost(matmul_triple_cost) -> CheckResult:
    """`matmul_triple_cost(m, k, n, n_parties)` must return the bytes opened by one Beaver matrix product."""
    rng = case_rng("matmul_triple_cost")
    shapes = [(2, 3, 4, 3), (10, 20, 30, 2), (10, 20, 30, 3), (1, 1, 1, 2), (64, 128, 1, 4), (5, 7, 5, 3)]
    shapes += [(rng.randint(1, 300), rng.randint(1, 300), rng.randint(1, 300), rng.randint(2, 6)) for _ in range(14)]
    cases = [(s, f"m={s[0]}, k={s[1]}, n={s[2]}, n_parties={s[3]}", matmul_open_bytes(*s)) for s in shapes]

    def problem(got, args, expected) -> str | None:
        m, k, n, p = args
        if not same_int(got, got):
            return f"returned {clip(repr(got), 40)}, expected a whole number of bytes (an int)"
        if got == expected:
            return None
        elements = m * k + k * n
        if got == (p - 1) * elements * BYTES_PER_ELEMENT:
            return f"got {got}: that is what ONE party sends; all {p} parties send their shares"
        if got == elements * BYTES_PER_ELEMENT:
            return f"got {got}: that is one party's message to one other party; each of {p} parties sends to {p - 1}"
        if got in (p * p * elements * BYTES_PER_ELEMENT, p * elements * BYTES_PER_ELEMENT):
            return f"got {got}: a party does not send to itself — each sends to the {p - 1} others"
        if got == p * (p - 1) * elements:
            return f"got {got}: that counts ring elements; each one is an int64, {BYTES_PER_ELEMENT} bytes"
        if got in (p * (p - 1) * 2 * m * k * n * BYTES_PER_ELEMENT, p * (p - 1) * m * k * n * BYTES_PER_ELEMENT):
            return (
                f"got {got}: that is the cost with elementwise triples; a matrix triple opens only e (m×k) and f (k×n)"
            )
        if got == p * (p - 1) * (elements + m * n) * BYTES_PER_ELEMENT:
            return f"got {got}: the result z (m×n) stays shared — only e and f are opened"
        return f"got {got}, expected {expected}"

    hint = "every party sends its shares of e (m·k elements) and f (k·n) to every other party; 8 bytes per element"
    return _check_cases(matmul_triple_cost, cases, hint, problem)


EXERCISES = {
    "beaver_multiply_mod_q": check_beaver_multiply_mod_q,
    "unmask": check_unmask,
    "matmul_triple_cost": check_matmul_triple_cost,
}
