"""tools/export_nbgrader.py: the checked exercises in nbgrader's source format — cell metadata of the documented
shape (schema version 3), solutions in BEGIN/END SOLUTION regions, checks as locked autograded test cells."""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import io
import json
import re
import sys
from pathlib import Path

import jsonschema
import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"

# nbgrader's cell metadata, schema version 3, as its documentation describes it
NBGRADER_CELL = {
    "type": "object",
    "properties": {
        "schema_version": {"type": "integer", "enum": [3]},
        "grade": {"type": "boolean"},
        "locked": {"type": "boolean"},
        "solution": {"type": "boolean"},
        "task": {"type": "boolean"},
        "grade_id": {"type": "string", "pattern": "^[a-zA-Z0-9_\\-]+$"},
        "points": {"type": "number", "minimum": 0},
    },
    "required": ["schema_version", "grade", "locked", "solution", "grade_id"],
    "additionalProperties": False,
}


def _load_export():
    spec = importlib.util.spec_from_file_location("export_nbgrader", ROOT / "tools" / "export_nbgrader.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["export_nbgrader"] = module
    spec.loader.exec_module(module)
    return module


export_nbgrader = _load_export()


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("nbgrader") / "course"
    written = export_nbgrader.export(NOTEBOOKS, out)
    return {dest.parent.name: (nbformat.read(dest, as_version=4), names) for dest, names in written}


def _graded_cells(nb):
    return [cell for cell in nb.cells if "nbgrader" in cell.metadata]


def clear_solutions(source: str) -> str:
    """What `nbgrader generate_assignment` does to a solution region: the code stub, indented like BEGIN SOLUTION."""
    out, inside = [], False
    for line in source.split("\n"):
        if "BEGIN SOLUTION" in line:
            indent = re.match(r"\s*", line).group(0)
            out += [indent + "# YOUR CODE HERE", indent + "raise NotImplementedError()"]
            inside = True
        elif "END SOLUTION" in line:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


def test_every_chapter_with_checks_is_exported(exported):
    chapters = sorted(path.stem for path in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    with_checks = [c for c in chapters if importlib.util.find_spec(f"course_lib.exercises.ch{c[:2]}")]
    assert sorted(exported) == with_checks


def test_the_metadata_has_nbgraders_documented_shape(exported):
    for chapter, (nb, names) in exported.items():
        nbformat.validate(nb)
        ids = []
        for cell in _graded_cells(nb):
            meta = json.loads(json.dumps(cell.metadata["nbgrader"]))  # plain JSON
            jsonschema.validate(meta, NBGRADER_CELL)
            assert ("points" in meta) == meta["grade"], (chapter, meta)
            ids.append(meta["grade_id"])
        assert len(ids) == len(set(ids)), f"{chapter}: duplicate grade_id"
        solutions = [c for c in _graded_cells(nb) if c.metadata["nbgrader"]["solution"]]
        tests = [c for c in _graded_cells(nb) if c.metadata["nbgrader"]["grade"]]
        assert sorted(c.metadata["nbgrader"]["grade_id"] for c in solutions) == sorted(names)
        assert sorted(c.metadata["nbgrader"]["grade_id"] for c in tests) == sorted(f"check_{n}" for n in names)
        for cell in solutions:
            assert cell.cell_type == "code" and not cell.metadata["nbgrader"]["locked"]
            assert cell.source.count("### BEGIN SOLUTION") == 1 and cell.source.count("### END SOLUTION") == 1
        for cell in tests:
            assert cell.metadata["nbgrader"]["locked"] and cell.metadata["nbgrader"]["points"] == 1
            assert "assert verdict.passed" in cell.source


def test_no_solution_is_handed_out_otherwise(exported):
    for chapter, (nb, _) in exported.items():
        for cell in nb.cells:
            assert "%load" not in cell.source or cell.cell_type == "markdown", (chapter, cell.source)
            assert not cell.source.lstrip().startswith("Stuck?"), chapter
            assert not cell.get("outputs"), chapter
        setup = [c for c in _graded_cells(nb) if c.metadata["nbgrader"]["grade_id"] == "setup"]
        assert len(setup) == 1 and setup[0].metadata["nbgrader"]["locked"], chapter


@pytest.mark.parametrize("chapter", ["00_welcome", "01_secret_sharing"])
def test_the_solution_passes_and_the_student_version_is_a_stub(exported, chapter):
    nb, names = exported[chapter]
    checks = importlib.import_module(f"course_lib.exercises.ch{chapter[:2]}")
    by_id = {cell.metadata["nbgrader"]["grade_id"]: cell for cell in _graded_cells(nb)}
    for name in names:
        solution, test = by_id[name].source, by_id[f"check_{name}"].source
        for version, passes in ((solution, True), (clear_solutions(solution), False)):
            namespace = {f"check_{name}": getattr(checks, f"check_{name}")}
            exec(compile(version, f"<{name}>", "exec"), namespace)
            with contextlib.redirect_stdout(io.StringIO()) as printed:
                if passes:
                    exec(compile(test, f"<check_{name}>", "exec"), namespace)
                else:
                    with pytest.raises(AssertionError, match="not implemented yet"):
                        exec(compile(test, f"<check_{name}>", "exec"), namespace)
            assert printed.getvalue().startswith("✓" if passes else "not implemented yet"), (name, printed.getvalue())


def test_cli_writes_the_source_folder(tmp_path, capsys):
    assert export_nbgrader.main([str(NOTEBOOKS), str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "source" / "00_welcome" / "00_welcome.ipynb").is_file()
    assert "copy" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        export_nbgrader.main([str(NOTEBOOKS), str(NOTEBOOKS / "inside")])
