"""The check framework: stable one-line verdicts, graded hints, guarded calls, and the hooks every chapter uses."""

import pytest
import torch
from IPython.lib.pretty import pretty

import course_lib as cl
from course_lib.exercises import Case, Hint, Mistake, hint, plain, run_check, watch_secret

CASES = [Case((a, b), f"a={a}, b={b}", a + b) for a, b in [(1, 2), (3, 4), (10, -5)]]
PLUS = Hint("", nudge="think of combining the two", more="use +")


def stub(*args):
    raise NotImplementedError


def test_a_stub_is_not_implemented_yet_with_the_nudge_only():
    result = run_check(stub, CASES, PLUS)
    assert not result and result.status == "not implemented"
    assert repr(result) == "not implemented yet — hint: think of combining the two"
    assert pretty(result) == repr(result)  # a notebook shows the nudge only


def test_a_plain_string_is_a_nudge():
    assert repr(run_check(stub, CASES, "use +")) == "not implemented yet — hint: use +"


def test_a_wrong_answer_names_the_first_failing_case_and_carries_the_fuller_hint():
    result = run_check(lambda a, b: a * b if a == 3 else a + b, CASES, PLUS)
    assert repr(result) == "✗ fails for a=3, b=4: got 12, expected 7"
    assert result.hint == "use +"
    assert pretty(result) == "✗ fails for a=3, b=4: got 12, expected 7\n  more help: use +"


def test_an_exception_is_reported_with_the_tracebacks_last_line_not_raised():
    result = run_check(lambda a, b: 1 / 0, CASES, PLUS)
    assert repr(result) == "✗ fails for a=1, b=2: raised ZeroDivisionError: division by zero"
    long = run_check(lambda a, b: [][0] if a else None, CASES, PLUS)
    assert repr(long) == "✗ fails for a=1, b=2: raised IndexError: list index out of range"
    huge = repr(run_check(lambda a, b: int("x" * 500), CASES, PLUS))
    assert huge.startswith("✗ fails for a=1, b=2: raised ValueError: invalid literal") and len(huge) < 120
    assert "\n" not in huge


def test_a_right_answer_passes_every_case():
    result = run_check(lambda a, b: a + b, CASES, PLUS)
    assert result and repr(result) == "✓ 3/3 cases"
    assert repr(run_check(lambda a, b: a + b, CASES, PLUS, note=" — and more")) == "✓ 3/3 cases — and more"


@pytest.mark.parametrize("thing", [42, None, "add", 3.5])
def test_something_that_is_not_a_function(thing):
    result = run_check(thing, CASES, PLUS)
    assert repr(result).startswith(f"✗ expected a function, got {type(thing).__name__}")


def test_each_call_gets_fresh_copies_of_the_arguments():
    cases = [Case(([1, 2],), "xs=[1, 2]", 3)] * 2

    def destructive(xs):
        total = sum(xs)
        xs.append(100)
        return total

    assert repr(run_check(destructive, cases, PLUS)).endswith(
        "changed its argument `xs` in place: leave the caller's values as they were, work on a copy"
    )
    assert cases[0].args == ([1, 2],)  # the check's own cases are untouched

    def polite(xs):
        return sum(list(xs))

    assert run_check(polite, cases, PLUS).passed


def test_prepare_builds_the_arguments_of_each_call():
    seen = []
    cases = [Case((1, 2), "one", 3), Case((3, 4), "two", 7)]

    def prepare(case):
        seen.append(case.label)
        return tuple(-a for a in case.args)

    result = run_check(lambda a, b: -(a + b), cases, PLUS, prepare=prepare)
    assert result.passed and seen == ["one", "two"]


def test_a_problem_function_names_the_mistake_with_the_case_label():
    def problem(got, case):
        return None if got == case.expected else f"you multiplied {case.args} instead of adding"

    assert repr(run_check(lambda a, b: a * b, CASES, PLUS, problem=problem)) == (
        "✗ fails for a=1, b=2: you multiplied (1, 2) instead of adding"
    )
    assert run_check(lambda a, b: a + b, CASES, PLUS, problem=problem).passed


def test_an_answer_the_check_cannot_examine_is_a_wrong_answer_not_a_crash():
    class Weird:
        def __eq__(self, other):
            raise RuntimeError("no comparing me")

    result = run_check(lambda a, b: Weird(), CASES, PLUS)
    assert repr(result).startswith("✗ fails for a=1, b=2: returned Weird, which the check cannot read (RuntimeError")


def test_after_judges_all_answers_once_every_case_passed():
    calls = []

    def after(answers):
        calls.append([(case.label, got) for case, got in answers])
        return "the answers are all odd" if all(got % 2 for _, got in answers) else None

    assert run_check(lambda a, b: a * b, CASES, PLUS, after=after).status == "failed"
    assert calls == []  # not reached: a case failed first
    result = run_check(lambda a, b: a + b, CASES, PLUS, after=after)
    assert repr(result) == "✗ the answers are all odd"
    assert calls == [[("a=1, b=2", 3), ("a=3, b=4", 7), ("a=10, b=-5", 5)]]


def test_a_mistake_raised_by_an_object_the_check_hands_over_is_reported_by_its_words():
    class Guarded:
        def open(self):
            raise Mistake("opened the box: keep it closed")

    cases = [Case((Guarded(),), "a closed box", None)]
    result = run_check(lambda box: box.open(), cases, PLUS)
    assert repr(result) == "✗ fails for a closed box: opened the box: keep it closed"


def test_hints_on_request_by_name_or_by_function():
    def reshare(shares):
        raise NotImplementedError

    assert hint("reshare") is hint(reshare)
    assert repr(hint("reshare")).startswith("hint for reshare: make fresh shares of zero")
    with pytest.raises(ValueError, match="no exercise is called 'nope'"):
        hint("nope")


def test_a_check_never_consumes_the_notebooks_seeded_randomness():
    from course_lib.exercises.ch02 import check_reshare

    def reshare(shares):  # draws from course_lib's random source, like the published solution
        zero = cl.rng.ring_elements(shares.shape)
        zero[-1] = -zero[:-1].sum(dim=0)
        return shares + zero

    with cl.reproducible(0, quiet=True):
        expected = cl.rng.ring_elements((4,))
    with cl.reproducible(0, quiet=True):
        assert check_reshare(reshare).passed
        assert cl.is_secure() is False
        assert torch.equal(cl.rng.ring_elements((4,)), expected)
    assert cl.is_secure()


def test_a_check_leaves_the_global_generators_as_they_were():
    import random

    import numpy as np

    from course_lib.exercises.ch02 import check_reshare

    def reshare(shares):  # draws from every global generator a learner might reach for
        random.random(), np.random.rand(), torch.rand(1)
        zero = torch.randint(-(2**62), 2**62, shares.shape)
        zero[-1] = -zero[:-1].sum(dim=0)
        return shares + zero

    def draws():
        return random.random(), float(np.random.rand()), float(torch.rand(1))

    random.seed(7), np.random.seed(7), torch.manual_seed(7)
    expected = draws()
    random.seed(7), np.random.seed(7), torch.manual_seed(7)
    check_reshare(reshare)
    assert draws() == expected


def test_the_same_verdict_on_every_run():
    from course_lib.exercises.ch02 import check_reshare

    def small_masks(shares):
        zero = torch.randint(-5, 5, shares.shape)
        zero[-1] = -zero[:-1].sum(dim=0)
        return shares + zero

    assert len({repr(check_reshare(small_masks)) for _ in range(3)}) == 1


# ----- shares that notice being added up --------------------------------------------------------------------------
SHARES = torch.tensor([[5, -7, 9], [11, 13, -2], [-1, 4, 8]], dtype=torch.int64)
SECRET = SHARES.sum(dim=0)


@pytest.mark.parametrize(
    "reconstruct",
    [
        lambda s: s.sum(dim=0),
        lambda s: s.sum(0, keepdim=True),
        lambda s: torch.sum(s, dim=0),
        lambda s: s[0] + s[1] + s[2],
        lambda s: sum(s),
        lambda s: sum(s.unbind(0)),
        lambda s: torch.stack([s[0] + s[1] + s[2], s[0]]),
        lambda s: s.T @ torch.ones(3, dtype=torch.int64),
    ],
    ids=["sum(dim=0)", "keepdim", "torch.sum", "rows added", "builtin sum", "unbind", "stacked", "matmul"],
)
def test_watched_shares_catch_every_way_of_adding_them_up(reconstruct):
    with pytest.raises(Mistake, match="reconstructs the secret"):
        reconstruct(watch_secret(SHARES, SECRET))


def test_watched_shares_allow_work_on_each_share():
    watched = watch_secret(SHARES, SECRET)
    zero = torch.tensor([[1, 2, 3], [4, 5, 6], [-5, -7, -9]])
    new = watched + zero
    assert torch.equal(plain(new), SHARES + zero) and type(plain(new)) is torch.Tensor
    assert torch.equal(plain(watched * 2 >> 1), SHARES)
    assert torch.equal(plain(new).sum(dim=0), SECRET)  # the check itself may add them up, once they are plain
