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

__all__ = ["CheckResult", "Case", "run_check", "case_rng", "same_int", "close_tensors"]


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


def _clip(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def run_check(
    learner_fn: Any,
    cases: Iterable[Case],
    hint: str,
    compare: Callable[[Any, Any], bool] = lambda got, expected: got == expected,
    prepare: Callable[[tuple], tuple] | None = None,
) -> CheckResult:
    """Call `learner_fn(*case.args)` for every case and compare with `case.expected`.

    Stops at the first failing case and names it. A `NotImplementedError` (the stub's) means "not implemented yet".
    `prepare` turns a case's stored arguments into fresh ones for each call, so that a learner's function that
    changes its arguments in place cannot spoil the expected answers.
    """
    if not callable(learner_fn):
        return CheckResult(
            "failed", f"✗ expected a function, got {type(learner_fn).__name__} — pass the function itself, without ()"
        )
    cases: Sequence[Case] = list(cases)
    for case in cases:
        args = prepare(case.args) if prepare else case.args
        try:
            got = learner_fn(*args)
        except NotImplementedError:
            return CheckResult("not implemented", f"not implemented yet — hint: {hint}")
        except Exception as error:  # the learner's bug, reported as a failed case, never raised into the notebook
            return CheckResult("failed", f"✗ raised {type(error).__name__}: {_clip(str(error), 60)} for {case.label}")
        if not compare(got, case.expected):
            return CheckResult(
                "failed", f"✗ fails for {case.label}: got {_clip(repr(got))}, expected {_clip(repr(case.expected))}"
            )
    return CheckResult("passed", f"✓ {len(cases)}/{len(cases)} cases")
