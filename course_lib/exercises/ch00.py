"""Checks for chapter 00 (the warm-up exercise). Solutions: notebooks/solutions/00_welcome.py."""

from __future__ import annotations

from course_lib.exercises import Case, CheckResult, Hint, case_rng, clip, run_check, same_int

__all__ = ["check_add_mod", "EXERCISES"]

ADD_MOD = Hint(
    "add_mod",
    nudge="wrap the sum around a clock with q hours: keep what is left over after taking away whole turns of q",
    more="Python's remainder operator % gives what is left over: (9 + 5) % 12 == 2",
)


def check_add_mod(add_mod) -> CheckResult:
    """`add_mod(a, b, q)` must return (a + b) mod q for a, b in [0, q): clock arithmetic, the course's basic move."""
    rng = case_rng("add_mod")
    fixed = [(3, 5, 7), (6, 6, 7), (0, 0, 2), (9, 3, 12), (501336, 1, 501337), (250000, 300000, 501337)]
    for _ in range(14):
        q = rng.randint(2, 10**6)
        fixed.append((rng.randrange(q), rng.randrange(q), q))
    cases = [Case((a, b, q), f"a={a}, b={b}, q={q}", (a + b) % q) for a, b, q in fixed]

    def problem(got, case: Case) -> str | None:
        a, b, q = case.args
        if not same_int(got, got):
            return f"returned {type(got).__name__} {clip(repr(got), 30)}, expected a whole number (an int)"
        if got == case.expected:
            return None
        if got == a + b:
            why = "a + b must wrap around the clock: keep the remainder of the division by q"
        elif got == (a + b) // q:
            why = "that is how many whole turns of q fit in a + b; you want what is left over"
        else:
            why = "the answer is the remainder of a + b divided by q"
        return f"got {got}, expected {case.expected} — {why}"

    return run_check(add_mod, cases, ADD_MOD, problem=problem)


EXERCISES = {
    "add_mod": check_add_mod,
}
