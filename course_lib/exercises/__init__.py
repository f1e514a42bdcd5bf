"""Checked exercises (introduced in chapter 00).

An exercise is a function the learner writes; a *check* calls it on fixed cases and compares every answer with
course_lib's own result. The check returns a `CheckResult` whose one-line repr is stable, so a notebook passes its
output test whether the exercise is solved or not:

    not implemented yet — hint: add the shares, then reduce mod Q
    ✗ fails for shares=(3, 5, 501331): got 501339, expected 2
    ✓ 20/20 cases

Checks call the learner's function; they never `eval` text. Cases are drawn from a fixed seed so that a failure names
the same case on every run. Each chapter's checks live in `course_lib.exercises.chNN`, listed in its `EXERCISES`
dict (exercise name -> check) so that the tests can run every published solution through its check.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["CheckResult", "Case", "run_check", "call_learner", "clip", "case_rng", "same_int", "close_tensors"]


@dataclass(frozen=True)
class CheckResult:
    """The verdict of one check. Truthy only when every case passed."""

    status: str  # "passed" | "failed" | "not implemented"
    message: str

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Case:
    """One call of the learner's function: its arguments and how to name them in a message."""

    args: tuple
    label: str
    expected: Any


def case_rng(name: str) -> random.Random:
    """A generator for a check's cases, seeded by the check's name: the same cases on every run and machine.

    Test cases are not secrets, so a fixed seed is right here (unlike shares; see course_lib.rng).
    """
    return random.Random(f"course_lib.exercises:{name}")


def same_int(got: Any, expected: Any) -> bool:
    return not isinstance(got, bool) and isinstance(got, int) and got == expected


def close_tensors(atol: float) -> Callable[[Any, Any], bool]:
    """A comparison for checks whose answers are tensors: same shape, values within `atol`."""
    import torch

    def compare(got: Any, expected: Any) -> bool:
        if not isinstance(got, torch.Tensor) or got.shape != expected.shape:
            return False
        return bool(torch.allclose(got.double(), expected.double(), atol=atol, rtol=0))

    return compare


def clip(text: str, limit: int = 80) -> str:
    """One line of at most `limit` characters, for a verdict that must stay a one-liner."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def call_learner(learner_fn: Any, args: tuple, label: str, hint: str) -> tuple[Any, CheckResult | None]:
    """Call the learner's function once: (its answer, None), or (None, the verdict to report at once) when it is
    not a function, is still the stub (NotImplementedError), or raises — a bug reported, never raised."""
    if not callable(learner_fn):
        return None, CheckResult(
            "failed", f"✗ expected a function, got {type(learner_fn).__name__} — pass the function itself, without ()"
        )
    try:
        return learner_fn(*args), None
    except NotImplementedError:
        return None, CheckResult("not implemented", f"not implemented yet — hint: {hint}")
    except Exception as error:  # the learner's bug: reported as a failed case, never raised into the notebook
        return None, CheckResult("failed", f"✗ raised {type(error).__name__}: {clip(str(error), 60)} for {label}")


def run_check(
    learner_fn: Any,
    cases: Iterable[Case],
    hint: str,
    compare: Callable[[Any, Any], bool] = lambda got, expected: got == expected,
    prepare: Callable[[tuple], tuple] | None = None,
    problem: Callable[[Any, Case], str | None] | None = None,
) -> CheckResult:
    """Call `learner_fn(*case.args)` for every case and compare with `case.expected`.

    Stops at the first failing case and names it. A `NotImplementedError` (the stub's) means "not implemented yet".
    `prepare` turns a case's stored arguments into fresh ones for each call, so that a learner's function that
    changes its arguments in place cannot spoil the expected answers. `problem(got, case)`, when given, replaces
    `compare`: it returns None for a right answer, or the words (after "✗ ") that name the mistake.
    """
    if not callable(learner_fn):
        return call_learner(learner_fn, (), "", hint)[1]
    cases: Sequence[Case] = list(cases)
    for case in cases:
        args = prepare(case.args) if prepare else case.args
        got, verdict = call_learner(learner_fn, args, case.label, hint)
        if verdict is not None:
            return verdict
        if problem is not None:
            mistake = problem(got, case)
            if mistake is not None:
                return CheckResult("failed", f"✗ {mistake}")
        elif not compare(got, case.expected):
            return CheckResult(
                "failed", f"✗ fails for {case.label}: got {clip(repr(got))}, expected {clip(repr(case.expected))}"
            )
    return CheckResult("passed", f"✓ {len(cases)}/{len(cases)} cases")
