"""Checks for chapter 00 (the warm-up exercise). Solutions: notebooks/solutions/00_welcome.py."""

from __future__ import annotations

from course_lib.exercises import Case, CheckResult, case_rng, run_check, same_int

__all__ = ["check_add_mod", "EXERCISES"]


def check_add_mod(add_mod) -> CheckResult:
    """`add_mod(a, b, q)` must return (a + b) mod q for a, b in [0, q): clock arithmetic, the course's basic move."""
    rng = case_rng("add_mod")
    fixed = [(3, 5, 7), (6, 6, 7), (0, 0, 2), (9, 3, 12), (501336, 1, 501337), (250000, 300000, 501337)]
    random_cases = []
    for _ in range(14):
        q = rng.randint(2, 10**6)
        random_cases.append((rng.randrange(q), rng.randrange(q), q))
    cases = [Case((a, b, q), f"a={a}, b={b}, q={q}", (a + b) % q) for a, b, q in fixed + random_cases]
    return run_check(
        add_mod, cases, hint="add a and b, then keep the remainder of the division by q (Python: %)", compare=same_int
    )


EXERCISES = {
    "add_mod": check_add_mod,
}
