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
