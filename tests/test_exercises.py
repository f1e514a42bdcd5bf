"""The check framework: stable one-line verdicts for unsolved, wrong and right answers; no eval."""

from course_lib.exercises import Case, run_check

CASES = [Case((a, b), f"a={a}, b={b}", a + b) for a, b in [(1, 2), (3, 4), (10, -5)]]


def test_a_stub_is_not_implemented_yet_with_a_hint():
    def stub(a, b):
        raise NotImplementedError

    result = run_check(stub, CASES, hint="use +")
    assert not result and result.status == "not implemented"
    assert repr(result) == "not implemented yet — hint: use +"


def test_a_wrong_answer_names_the_first_failing_case():
    result = run_check(lambda a, b: a * b if a == 3 else a + b, CASES, hint="")
    assert repr(result) == "✗ fails for a=3, b=4: got 12, expected 7"


def test_an_exception_is_reported_not_raised():
    result = run_check(lambda a, b: 1 / 0, CASES, hint="")
    assert repr(result) == "✗ raised ZeroDivisionError: division by zero for a=1, b=2"


def test_a_right_answer_passes_every_case():
    result = run_check(lambda a, b: a + b, CASES, hint="")
    assert result and repr(result) == "✓ 3/3 cases"


def test_something_that_is_not_a_function():
    assert repr(run_check(42, CASES, hint="")).startswith("✗ expected a function, got int")


def test_prepare_gives_each_call_fresh_arguments():
    cases = [Case(([1, 2],), "xs=[1, 2]", 3)]

    def destructive(xs):
        total = sum(xs)
        xs.clear()
        return total

    assert run_check(destructive, cases * 2, hint="", prepare=lambda args: (list(args[0]),)).passed


def test_a_problem_function_names_the_mistake():
    def problem(got, case):
        return None if got == case.expected else f"{case.label}: you multiplied instead of adding"

    assert repr(run_check(lambda a, b: a * b, CASES, hint="", problem=problem)) == (
        "✗ a=1, b=2: you multiplied instead of adding"
    )
    assert run_check(lambda a, b: a + b, CASES, hint="", problem=problem).passed


def test_call_learner_returns_the_answer_or_the_verdict():
    from course_lib.exercises import call_learner

    assert call_learner(lambda x: x + 1, (1,), "x=1", "h") == (2, None)
    _, verdict = call_learner(lambda x: [][x], (3,), "x=3", "h")
    assert repr(verdict) == "✗ raised IndexError: list index out of range for x=3"

    def stub(x):
        raise NotImplementedError

    assert repr(call_learner(stub, (1,), "x=1", "add one")[1]) == "not implemented yet — hint: add one"
    assert repr(call_learner(None, (1,), "x=1", "h")[1]).startswith("✗ expected a function, got NoneType")
