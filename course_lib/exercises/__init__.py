"""Checked exercises (introduced in chapter 00): one way to write a check.

An exercise is a function the learner writes; its *check* calls it on fixed cases and says, in one stable line:

    not implemented yet — hint: wrap the sum around a clock with q hours: keep what is left over …
    ✗ fails for a=6, b=6, q=7: got 12, expected 5 — a + b must wrap around the clock: keep the remainder …
    ✓ 20/20 cases

Hints are graded. The stub gets the *nudge*: a direction in words, never the code. A failed attempt carries the
*fuller* hint too (`result.hint`; a notebook shows it on a second line, "  more help: …", under the verdict), and
`hint("add_mod")` (or `hint(add_mod)`) shows it on request. `repr(result)` is always the one verdict line, for nbval
and for a teacher's grader.

Every chapter writes its checks the same way (`course_lib.exercises.chNN`, listed in its `EXERCISES` dict,
exercise name -> check, which the tests and a grading tool import):

    ADD_MOD = Hint("add_mod", nudge="wrap the sum around a clock with q hours", more="Python's % gives a remainder")

    def check_add_mod(add_mod) -> CheckResult:
        rng = case_rng("add_mod")                  # the same cases on every run
        cases = [Case((a, b, q), f"a={a}, b={b}, q={q}", (a + b) % q) for a, b, q in ...]

        def problem(got, case):                    # None when right, else the words after "fails for <label>: "
            if not same_int(got, got):
                return f"returned {type(got).__name__}, expected an int"
            if got == sum(case.args[:2]):
                return "that is a + b itself: wrap it around the clock"
            return None if got == case.expected else f"got {got}, expected {case.expected}"

        return run_check(add_mod, cases, ADD_MOD, problem=problem)

`run_check` does the rest, the same for every check: it calls the learner's function once per case, each time on
fresh copies of `case.args` (or on what `prepare(case)` builds), and
  * turns the stub's NotImplementedError into "not implemented yet — hint: <nudge>";
  * turns any other exception into "✗ fails for <label>: raised <the traceback's last line>", never a traceback;
    an object a check hands the learner may raise `Mistake("words")` to name a mistake the moment it happens
    (`watch_secret` gives shares that raise "reconstructs the secret: …" when they are added up);
  * asks `problem(got, case)` (or `compare(got, case.expected)`) about every answer, and reports a function that
    changed its arguments in place;
  * once every case has passed, asks `after(answers)` (a list of (case, got)) about the answers together: fresh
    randomness on every call, each party's result depending on its own share only;
  * runs all of this under the check's own seeded randomness (`own_randomness`), so a check never consumes the
    notebook's seeded stream and gives the same verdict on every run.
Checks never `eval` text, and never print the expected answer for the stub.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import importlib
import inspect
import operator
import pkgutil
import random
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy
import torch

from course_lib import rng

__all__ = [
    "Case",
    "CheckResult",
    "Hint",
    "Mistake",
    "case_rng",
    "clip",
    "hint",
    "own_randomness",
    "plain",
    "run_check",
    "same_int",
    "watch_secret",
]

_HINTS: dict[str, Hint] = {}


@dataclass(frozen=True)
class Hint:
    """The graded hints of one exercise: `nudge` for the stub (a direction, no code), `more` after a failed attempt
    or on request (`hint(name)`)."""

    exercise: str
    nudge: str
    more: str = ""

    def __post_init__(self):
        if self.exercise:
            _HINTS[self.exercise] = self

    def __repr__(self) -> str:
        return f"hint for {self.exercise}: {self.more or self.nudge}"


def hint(exercise: str | Callable) -> Hint:
    """The fuller hint of an exercise, on request: `hint("reshare")` or `hint(reshare)`."""
    name = exercise if isinstance(exercise, str) else getattr(exercise, "__name__", repr(exercise))
    if name not in _HINTS:  # a chapter not imported yet: import them all
        for module in pkgutil.iter_modules(__path__):
            importlib.import_module(f"{__name__}.{module.name}")
    if name not in _HINTS:
        raise ValueError(f"no exercise is called {name!r}; exercises: {', '.join(sorted(_HINTS))}")
    return _HINTS[name]


@dataclass(frozen=True)
class CheckResult:
    """The verdict of one check. Truthy only when every case passed. `hint` is the fuller hint (after a failure)."""

    status: str  # "passed" | "failed" | "not implemented"
    message: str
    hint: str = ""

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return self.message

    def _repr_pretty_(self, printer, cycle) -> None:  # IPython: the verdict line, then the fuller hint after a failure
        printer.text(self.message)
        if self.status == "failed" and self.hint:
            printer.text(f"\n  more help: {self.hint}")


@dataclass(frozen=True)
class Case:
    """One call of the learner's function: its arguments, how to name them in a message, and what the check needs
    to judge the answer (the right answer, or anything else; only `problem` reads it)."""

    args: tuple
    label: str
    expected: Any = None


class Mistake(Exception):
    """Raised by an object a check hands to the learner, at the moment the learner's code makes a mistake with it
    (a model that must not be revealed, shares that must not be added up): the check reports these words."""


def case_rng(name: str) -> random.Random:
    """A generator for a check's cases, seeded by the check's name: the same cases on every run and machine.

    Test cases are not secrets, so a fixed seed is right here (unlike shares; see course_lib.rng).
    """
    return random.Random(f"course_lib.exercises:{name}")


@contextlib.contextmanager
def own_randomness(name: str):
    """`with own_randomness(name):` — inside the block, course_lib's randomness, torch's, numpy's and Python's global
    generators are seeded from the check's name (course_lib's quietly); after it, the notebook's own sources and
    generator states are back, untouched: a check neither consumes nor disturbs them, and a learner's function
    that draws from any of them gets the same draws, hence the same verdict, on every run."""
    seed = int.from_bytes(hashlib.sha256(f"course_lib.exercises:{name}".encode()).digest()[:8], "big")
    python_state, numpy_state = random.getstate(), numpy.random.get_state()
    try:
        with rng.reproducible(seed, quiet=True), torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            random.seed(seed)
            numpy.random.seed(seed % 2**32)
            yield
    finally:
        random.setstate(python_state)
        numpy.random.set_state(numpy_state)


def same_int(got: Any, expected: Any) -> bool:
    return not isinstance(got, bool) and isinstance(got, int) and got == expected


def clip(text: str, limit: int = 80) -> str:
    """One line of at most `limit` characters, for a verdict that must stay a one-liner."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ----- shares that notice being added up --------------------------------------------------------------------------
class _WatchedShares(torch.Tensor):
    """Stacked shares (n_parties, ...) that raise `Mistake` when a torch operation on them gives the secret."""

    _secret: torch.Tensor

    def __deepcopy__(self, memo) -> torch.Tensor:  # a snapshot of the values (see run_check): an ordinary tensor
        return plain(self).clone()

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        result = super().__torch_function__(func, types, args, kwargs or {})
        if isinstance(result, torch.Tensor) and result.dtype == torch.int64:
            with torch._C.DisableTorchFunctionSubclass():
                size = cls._secret.numel()
                if result.numel() and size and result.numel() % size == 0:
                    rows = result.reshape(-1, size)
                    if bool((rows == cls._secret.reshape(1, -1)).all(dim=1).any()):
                        name = getattr(func, "__name__", "an operation").strip("_")
                        raise Mistake(
                            f"reconstructs the secret: `{name}` on the shares gives the secret itself, which nobody "
                            "may see — each party must work on its own share, never adding the shares together"
                        )
        return result


def watch_secret(shares: torch.Tensor, secret: torch.Tensor) -> torch.Tensor:
    """A copy of `shares` for the learner: any torch operation on it (or on what comes from it) whose result holds
    `secret` — the shares added over the parties, in any way — raises `Mistake("reconstructs the secret: …")`."""
    watched = type("Shares", (_WatchedShares,), {"_secret": plain(secret).clone()})
    return plain(shares).clone().as_subclass(watched)


def plain(value: Any) -> Any:
    """A watched tensor as an ordinary one (anything else as it is): what a check computes with after the call."""
    if isinstance(value, torch.Tensor) and type(value) is not torch.Tensor:
        with torch._C.DisableTorchFunctionSubclass():
            return value.as_subclass(torch.Tensor)
    return value


# ----- running a check ---------------------------------------------------------------------------------------------
def _last_line(error: BaseException, limit: int = 70) -> str:
    """The traceback's last line, 'ZeroDivisionError: division by zero', clipped."""
    return clip(traceback.format_exception_only(type(error), error)[-1].strip(), limit)


def _same(a: Any, b: Any) -> bool:
    """Whether an argument still holds what it held before the call (tensors, shared tensors, lists, numbers)."""
    if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
        with torch._C.DisableTorchFunctionSubclass():
            return a.dtype == b.dtype and a.shape == b.shape and bool(torch.equal(a, b))
    if hasattr(a, "shares") and hasattr(b, "shares"):  # SharedTensor: its == would refuse
        return _same(a.shares, b.shares)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(map(_same, a, b))
    try:
        return bool(a == b)
    except Exception:  # something == cannot compare: assume it is unchanged
        return True


def _changed_argument(learner_fn: Callable, passed: tuple, original: tuple) -> str | None:
    for index, (now, before) in enumerate(zip(passed, original, strict=False)):
        try:
            unchanged = _same(now, before)
        except Exception:  # something the learner put into an argument that cannot even be compared
            unchanged = False
        if not unchanged:
            try:
                name = f"`{list(inspect.signature(learner_fn).parameters)[index]}`"
            except (TypeError, ValueError, IndexError):
                name = f"number {index + 1}"
            return f"changed its argument {name} in place: leave the caller's values as they were, work on a copy"
    return None


def _judge(judge: Callable[[], str | None], what: str) -> str | None:
    """Run the check's own judgement; an answer it cannot even examine is a wrong answer, not a crash."""
    try:
        return judge()
    except Exception as error:
        return f"returned {clip(what, 30)}, which the check cannot read ({_last_line(error, 50)})"


def run_check(
    learner_fn: Any,
    cases: Iterable[Case],
    hint: Hint | str,
    *,
    problem: Callable[[Any, Case], str | None] | None = None,
    compare: Callable[[Any, Any], bool] | None = None,
    prepare: Callable[[Case], tuple] | None = None,
    after: Callable[[list[tuple[Case, Any]]], str | None] | None = None,
    note: str = "",
) -> CheckResult:
    """Call `learner_fn(*args)` for every case and judge each answer; stop at the first wrong one and name it.

    `problem(got, case)` returns None for a right answer, or the words that name the mistake (reported as
    "✗ fails for <case.label>: <words>"); without it, `compare(got, case.expected)` (default ==) decides and the
    message shows what was expected. `prepare(case)` builds the arguments of each call (default: fresh deep copies of
    `case.args`, so a function that changes its arguments cannot spoil the cases). `after(answers)` judges all the
    (case, got) pairs together, once every case has passed. `note` follows "✓ N/N cases" on success.
    """
    if not isinstance(hint, Hint):
        hint = Hint("", hint)
    if not callable(learner_fn):
        return CheckResult(
            "failed", f"✗ expected a function, got {type(learner_fn).__name__} — pass the function itself, without ()"
        )

    def failed(words: str) -> CheckResult:
        return CheckResult("failed", "✗ " + " ".join(words.split()), hint.more)  # one line, whatever was shown

    def judge(got: Any, case: Case) -> str | None:
        if (compare or operator.eq)(got, case.expected):
            return None
        return f"got {clip(repr(got))}, expected {clip(repr(case.expected))}"

    answers: list[tuple[Case, Any]] = []
    with own_randomness(hint.exercise):
        for case in cases:
            args = prepare(case) if prepare else copy.deepcopy(case.args)
            before = copy.deepcopy(args)
            try:
                got = learner_fn(*args)
            except NotImplementedError:
                return CheckResult("not implemented", f"not implemented yet — hint: {hint.nudge}", hint.more)
            except Mistake as mistake:
                return failed(f"fails for {case.label}: {mistake}")
            except Exception as error:  # the learner's bug: reported as a failed case, never raised into the notebook
                return failed(f"fails for {case.label}: raised {_last_line(error)}")
            words = _judge(lambda: (problem or judge)(got, case), type(got).__name__)  # noqa: B023 - called now
            words = words or _changed_argument(learner_fn, args, before)
            if words:
                return failed(f"fails for {case.label}: {words}")
            answers.append((case, got))
        words = _judge(lambda: after(answers), "answers") if after else None
    if words:
        return failed(words)
    return CheckResult("passed", f"✓ {len(answers)}/{len(answers)} cases{note}")
