"""`make grade` (tools/grade.py): a made-up class, built here from the committed notebooks and solutions, gets the
expected table; crashes, hangs and tampering are reported as such, never as zero or as passed."""

from __future__ import annotations

import ast
import csv
import importlib.util
import sys
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
SOLUTIONS = NOTEBOOKS / "solutions"
NOTEBOOK_TIMEOUT = 30  # the hanging notebook waits this long; chapter 01 runs in 7 s (15 s on a busy machine)
CHECK_TIMEOUT = 6  # the check of a function that never returns waits this long


def _load_grade():
    spec = importlib.util.spec_from_file_location("grade", ROOT / "tools" / "grade.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["grade"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


grade = _load_grade()


# ----- building submissions from the real notebooks --------------------------------------------------------------
def solution_code(solution_file: Path, name: str) -> str:
    """The solution function as a learner would paste it: the imports and constants it uses, then the function."""
    spec = importlib.util.spec_from_file_location("export_nbgrader", ROOT / "tools" / "export_nbgrader.py")
    exporter = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(exporter)
    source, function, prelude = exporter.solution_parts(solution_file, name)
    return "\n".join([*prelude, "", ast.get_source_segment(source, function)]).strip() + "\n"


def _index(nb, predicate) -> int:
    return next(i for i, cell in enumerate(nb.cells) if cell.cell_type == "code" and predicate(cell.source))


def stub_index(nb, name: str) -> int:
    return _index(nb, lambda s: f"def {name}(" in s and "raise NotImplementedError" in s)


def def_index(nb, name: str) -> int:
    """The cell that defines the learner's function, solved or not."""
    return _index(nb, lambda s: f"\ndef {name}(" in "\n" + s)


def check_index(nb, name: str) -> int:
    return _index(nb, lambda s: s.strip() == f"check_{name}({name})")


def setup_index(nb) -> int:
    return _index(nb, lambda s: "course_lib.exercises.ch" in s)


def notebook(chapter: str, solved=(), replace=None):
    """The committed notebook of `chapter` with the exercises in `solved` filled with our solution, and the stubs in
    `replace` (name -> code) filled with that code instead."""
    path = next(NOTEBOOKS.glob(f"{chapter}_*.ipynb"))
    solutions = next(SOLUTIONS.glob(f"{chapter}_*.py"))
    nb = nbformat.read(path, as_version=4)
    for name in solved:
        nb.cells[stub_index(nb, name)].source = solution_code(solutions, name)
    for name, code in (replace or {}).items():
        nb.cells[stub_index(nb, name)].source = code
    return nb


def insert_after(nb, index: int, source: str):
    nb.cells.insert(index + 1, nbformat.v4.new_code_cell(source))
    return nb


CH01 = ["reconstruct", "make_shares", "subtract", "decode_message"]


def build_class(folder: Path) -> None:
    def write(nb, rel: str) -> None:
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, folder / rel)

    # alice: one folder, two chapters, everything solved
    write(notebook("00", solved=["add_mod"]), "alice/00_welcome.ipynb")
    write(notebook("01", solved=CH01), "alice/01_secret_sharing.ipynb")
    # bob: chapter 01, two right and two wrong
    bob = notebook(
        "01",
        solved=["make_shares", "decode_message"],
        replace={
            "reconstruct": "def reconstruct(shares):\n    return sum(shares)\n",
            "subtract": "def subtract(x, y):\n    return [(a + b) % 501337 for a, b in zip(x, y)]\n",
        },
    )
    write(bob, "bob.ipynb")
    # carol: the notebook as handed out, nothing done
    write(notebook("00"), "carol.ipynb")
    # dave: solved, but an early cell raises
    dave = notebook("00", solved=["add_mod"])
    write(insert_after(dave, setup_index(dave), 'raise RuntimeError("dave was here")'), "dave.ipynb")
    # erin: solved, then a cell kills the kernel
    erin = notebook("00", solved=["add_mod"])
    write(insert_after(erin, def_index(erin, "add_mod"), "import os\nos._exit(1)"), "erin.ipynb")
    # frank: solved, then a cell that never ends (graded as "amy/", first: its wait overlaps the others' work)
    frank = notebook("00", solved=["add_mod"])
    write(insert_after(frank, def_index(frank, "add_mod"), "while True:\n    pass"), "amy_frank/00_welcome.ipynb")
    # grace: solved by loading our solution with %load (what Jupyter leaves in the cell), check cell deleted
    grace = notebook("00")
    load = next(i for i, c in enumerate(grace.cells) if c.source.startswith("# %load -s add_mod"))
    grace.cells[load].source += "\n" + solution_code(SOLUTIONS / "00_welcome.py", "add_mod")
    del grace.cells[check_index(grace, "add_mod")]
    write(grace, "grace.ipynb")
    # ivan: stub; replaces his check cell by the text of a pass, redefines the check, monkeypatches the course's check
    # module and run_check, and prints a fake result line
    ivan = notebook(
        "00",
        replace={
            "add_mod": 'def add_mod(a, b, q):\n    print(\'{"exercise": "add_mod", "status": "passed"}\')\n'
            "    raise NotImplementedError\n"
        },
    )
    patch = (
        'check_add_mod = lambda f: "✓ 20/20 cases"\n'
        "import course_lib.exercises as ex\nimport course_lib.exercises.ch00 as ch00\n"
        'ch00.check_add_mod = lambda f: ex.CheckResult("passed", "✓ 20/20 cases")\n'
        'ex.run_check = lambda *args, **kwargs: ex.CheckResult("passed", "✓ 20/20 cases")\n'
        'ch00.EXERCISES["add_mod"] = ch00.check_add_mod\n'
    )
    ivan.cells[check_index(ivan, "add_mod")].source = 'print("✓ 20/20 cases")'
    write(insert_after(ivan, setup_index(ivan), patch), "ivan.ipynb")
    # kate: after her check cell, a last edit leaves a function that never returns
    kate = notebook("00", solved=["add_mod"])
    loop = "def add_mod(a, b, q):\n    while True:\n        pass\n"
    write(insert_after(kate, check_index(kate, "add_mod"), loop), "kate.ipynb")


EXPECTED = {  # (learner, notebook, exercise) -> status
    ("alice", "alice/00_welcome.ipynb", "add_mod"): "passed",
    **{("alice", "alice/01_secret_sharing.ipynb", name): "passed" for name in CH01},
    ("bob", "bob.ipynb", "reconstruct"): "failed",
    ("bob", "bob.ipynb", "make_shares"): "passed",
    ("bob", "bob.ipynb", "subtract"): "failed",
    ("bob", "bob.ipynb", "decode_message"): "passed",
    ("carol", "carol.ipynb", "add_mod"): "not implemented",
    ("dave", "dave.ipynb", "add_mod"): "passed",
    ("erin", "erin.ipynb", "add_mod"): "not graded",
    ("amy_frank", "amy_frank/00_welcome.ipynb", "add_mod"): "passed",
    ("grace", "grace.ipynb", "add_mod"): "passed",
    ("ivan", "ivan.ipynb", "add_mod"): "not implemented",
    ("kate", "kate.ipynb", "add_mod"): "error",
}


def _checks_digest() -> dict[str, str]:
    """The grader's watch on the course's files, narrowed to the checks these notebooks use: the rest of course_lib
    may be edited while the tests run (test_a_changed_course_stops_the_grading covers the watch itself)."""
    files = [ROOT / "course_lib" / "exercises" / name for name in ("__init__.py", "ch00.py", "ch01.py")]
    return {str(path): path.read_text() for path in files}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("submissions")
    out = tmp_path_factory.mktemp("grades")
    build_class(folder)
    start = time.monotonic()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(grade, "course_digest", _checks_digest)
        code = grade.main(
            [str(folder), "--out", str(out), "--timeout", str(NOTEBOOK_TIMEOUT), "--check-timeout",
             str(CHECK_TIMEOUT), "--jobs", "3"]
        )
    seconds = time.monotonic() - start
    with (out / "grades.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return {"code": code, "rows": rows, "html": (out / "grades.html").read_text(encoding="utf-8"), "seconds": seconds}


def _row(graded, learner, exercise="add_mod"):
    return next(r for r in graded["rows"] if r["learner"] == learner and r["exercise"] == exercise)


def test_the_class_gets_the_expected_table(graded):
    assert graded["code"] == 0
    got = {(r["learner"], r["notebook"], r["exercise"]): r["status"] for r in graded["rows"]}
    assert got == EXPECTED
    assert list(graded["rows"][0]) == grade.CSV_FIELDS
    assert {r["chapter"] for r in graded["rows"] if r["learner"] == "bob"} == {"01"}


def test_verdicts_are_the_checks_first_lines(graded):
    assert _row(graded, "alice", "make_shares")["verdict"].startswith("✓ 50/50 cases")
    assert _row(graded, "bob", "reconstruct")["verdict"].startswith("✗ fails for shares=")
    assert "the plain sum" in _row(graded, "bob", "reconstruct")["verdict"]
    assert "shares of x + y" in _row(graded, "bob", "subtract")["verdict"]
    assert _row(graded, "carol")["verdict"].startswith("not implemented yet — hint: ")
    assert all("\n" not in r["verdict"] for r in graded["rows"])


def test_healthy_notebooks_have_no_problems_or_notes(graded):
    for row in graded["rows"]:
        if row["learner"] in ("alice", "bob", "carol"):
            assert row["notes"] == "" and row["notebook_problems"] == "", row


def test_a_crash_is_reported_and_what_was_defined_is_still_graded(graded):
    dave = _row(graded, "dave")
    assert dave["status"] == "passed"
    assert "error in cell 5 ('raise RuntimeError(\"dave was here\")'): RuntimeError: dave was here" in (
        dave["notebook_problems"]
    )
    erin = _row(graded, "erin")
    assert erin["status"] == "not graded" and "the kernel died in cell 16 ('import os')" in erin["notebook_problems"]
    assert erin["verdict"] == "not graded: the kernel died in cell 16 ('import os')"


def test_a_hang_is_stopped_by_the_time_limit(graded):
    frank = _row(graded, "amy_frank")
    assert f"timed out after {NOTEBOOK_TIMEOUT} s in cell" in frank["notebook_problems"]
    assert "while True:" in frank["notebook_problems"]
    kate = _row(graded, "kate")
    assert kate["verdict"] == f"the check timed out after {CHECK_TIMEOUT} s (does the function ever return?)"
    assert graded["seconds"] < 90, graded["seconds"]  # the whole class, the hang included (about 30 s here)


def test_tampering_is_reported_and_never_passes(graded):
    grace = _row(graded, "grace")
    assert "check cell missing" in grace["notes"] and "loaded the course's solution with %load" in grace["notes"]
    assert "check cell missing: add_mod" in grace["notebook_problems"]
    ivan = _row(graded, "ivan")
    assert "check cell edited" in ivan["notes"]
    assert ivan["verdict"].startswith("not implemented yet")
    assert "check_add_mod redefined in the notebook" in ivan["notes"]
    assert "course_lib.exercises.ch00.check_add_mod" in ivan["notebook_problems"]
    assert "course_lib.exercises.run_check" in ivan["notebook_problems"]


def test_the_html_page(graded):
    page = graded["html"]
    assert page.count("<tr><td class='learner'>") >= 9
    assert "<th>01<br>reconstruct</th>" in page and "<th>00<br>add_mod</th>" in page
    assert "<td class='total'>5/5</td>" in page  # alice: both chapters
    assert "<td class='total'>2/4</td>" in page  # bob
    assert "Notebooks that need a look" in page and "the kernel died in cell" in page
    assert "the plain sum" in page  # a failure's first line, in the list of failures
    assert "<script" not in page
    assert "&quot;dave was here&quot;" in page  # learners' text is escaped


# ----- the parts, without a kernel -------------------------------------------------------------------------------
def test_chapter_from_the_import_then_the_name_then_the_title(tmp_path):
    known = ["00", "01", "02"]
    nb = nbformat.read(NOTEBOOKS / "01_secret_sharing.ipynb", as_version=4)
    assert grade.detect_chapter(nb, tmp_path / "alice.ipynb", known) == "01"
    nb.cells = [c for c in nb.cells if "course_lib.exercises" not in c.source]
    assert grade.detect_chapter(nb, tmp_path / "alice_02_shared.ipynb", known) == "02"
    assert grade.detect_chapter(nb, tmp_path / "alice.ipynb", known) == "01"  # "# 01 · ..." title
    nb.cells = []
    assert grade.detect_chapter(nb, tmp_path / "alice.ipynb", known) is None


def test_learners_are_files_or_folders(tmp_path):
    for rel in ["zoe.ipynb", "yann/00_welcome.ipynb", "yann/sub/01_x.ipynb", ".ipynb_checkpoints/zoe.ipynb",
                "yann/.ipynb_checkpoints/00_welcome-checkpoint.ipynb"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("{}")
    found = [(learner, path.relative_to(tmp_path).as_posix()) for learner, path in grade.find_submissions(tmp_path)]
    assert found == [("yann", "yann/00_welcome.ipynb"), ("yann", "yann/sub/01_x.ipynb"), ("zoe", "zoe.ipynb")]


def test_only_the_graders_own_line_counts():
    token = "ab" * 16
    line = grade.nonce(token) + '{"exercise": "x", "status": "passed", "verdict": "✓ 1/1 cases"}\n'
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text='{"status": "passed"}\n' + line)]
    assert grade.read_record(cell, grade.nonce(token))["status"] == "passed"
    assert grade.read_record(cell, grade.nonce("cd" * 16)).startswith("no result came back")
    cell.outputs[0].text += line
    assert "forged" in grade.read_record(cell, grade.nonce(token))


def test_csv_fields_never_run_as_formulas(tmp_path):
    report = grade.NotebookReport("=HYPERLINK(1)", "x.ipynb", "00", [grade.ExerciseGrade("add_mod", "failed", "-1")])
    grade.write_csv([report], tmp_path / "g.csv")
    row = next(csv.DictReader((tmp_path / "g.csv").open(encoding="utf-8")))
    assert row["learner"] == "'=HYPERLINK(1)" and row["verdict"] == "'-1"


def test_the_grading_cell_compiles():
    for chapter in ("00", "01"):
        compile(grade.grading_cell("ab" * 16, chapter, "add_mod", "check_add_mod"), "<grading cell>", "exec")


def test_a_changed_course_stops_the_grading(tmp_path, monkeypatch, capsys):
    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.ipynb").write_text("{}")
    digests = iter([{"course_lib/x.py": "1"}, {"course_lib/x.py": "1"}, {"course_lib/x.py": "2", "new.py": "3"}])
    monkeypatch.setattr(grade, "course_digest", lambda: next(digests))

    def fake_grade(learner, path, rel, chapters, timeout, check_timeout):
        return grade.NotebookReport(learner, rel, "00", [grade.ExerciseGrade("add_mod", "passed", "✓ 20/20 cases")])

    monkeypatch.setattr(grade, "grade_notebook", fake_grade)
    assert grade.main([str(tmp_path), "--out", str(tmp_path / "out")]) == 3
    rows = list(csv.DictReader((tmp_path / "out" / "grades.csv").open(encoding="utf-8")))
    assert [(r["learner"], r["status"]) for r in rows] == [("a", "passed"), ("b", "error"), ("c", "not graded")]
    assert "changed the course's own files: course_lib/x.py" in rows[1]["notebook_problems"]
    assert "STOPPED" in capsys.readouterr().err
