"""Every published solution passes its check strictly, and every check says "not implemented yet" for the stub."""

import ast
import importlib
import importlib.util
from pathlib import Path

import pytest

SOLUTIONS = sorted((Path(__file__).resolve().parent.parent / "notebooks" / "solutions").glob("[0-9][0-9]_*.py"))


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(f"solution_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _exercises(path: Path) -> dict:
    return importlib.import_module(f"course_lib.exercises.ch{path.name[:2]}").EXERCISES


def test_there_are_solutions():
    assert SOLUTIONS, "no solution files found in notebooks/solutions/"


@pytest.mark.parametrize("path", SOLUTIONS, ids=[p.stem for p in SOLUTIONS])
def test_one_top_level_function_per_exercise_named_after_it(path):
    tree = ast.parse(path.read_text())
    functions = [node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)]
    assert sorted(functions) == sorted(_exercises(path)), f"{path.name} defines {functions}"
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            assert ast.get_docstring(node), f"{path.name}:{node.name} has no docstring"


@pytest.mark.parametrize("path", SOLUTIONS, ids=[p.stem for p in SOLUTIONS])
def test_every_solution_passes_its_check(path):
    solutions, exercises = _load(path), _exercises(path)
    assert exercises, f"course_lib.exercises.ch{path.name[:2]} lists no exercises"
    for name, check in exercises.items():
        assert hasattr(solutions, name), f"{path.name} has no solution for exercise {name!r}"
        result = check(getattr(solutions, name))
        assert result.passed, f"{path.name}:{name}: {result!r}"
        assert repr(result).startswith("✓")


@pytest.mark.parametrize("path", SOLUTIONS, ids=[p.stem for p in SOLUTIONS])
def test_every_check_reports_an_unsolved_stub(path):
    def stub(*args):
        raise NotImplementedError

    for name, check in _exercises(path).items():
        result = check(stub)
        assert not result.passed
        assert repr(result).startswith("not implemented yet — hint: "), (name, repr(result))


@pytest.mark.parametrize("path", SOLUTIONS, ids=[p.stem for p in SOLUTIONS])
def test_every_check_rejects_a_wrong_answer(path):
    def wrong(*args):
        return 12345

    for name, check in _exercises(path).items():
        result = check(wrong)
        assert not result.passed and repr(result).startswith("✗"), (name, repr(result))
