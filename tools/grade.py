"""Grade a class: ``make grade SUBMISSIONS=path/`` -> ``build/grades/grades.csv`` and ``grades.html``.

Usage: python tools/grade.py SUBMISSIONS [--out build/grades] [--timeout 300] [--check-timeout 60] [--jobs 1]

What it grades. Every ``*.ipynb`` under SUBMISSIONS (``.ipynb_checkpoints`` and hidden files skipped), one learner per
notebook file directly in SUBMISSIONS (learner = the file name without ``.ipynb``), or one learner per folder
(``SUBMISSIONS/alice/01_secret_sharing.ipynb``: learner = ``alice``, any number of chapters each).

Which chapter. The first ``course_lib.exercises.chNN`` a code cell imports (the setup cell does), else ``NN_`` or
``chNN`` in the file name, else a ``# NN · Title`` heading. The exercises are ``course_lib.exercises.chNN.EXERCISES``:
their names are the names of the learner's functions. A chapter whose check module appears later (06, 07, ...) is
graded without changing this tool.

How it runs a notebook. In a fresh ``python3`` kernel (nbclient), with the kernel's working directory an empty
temporary folder: no ``solutions/`` next to it, so an uncommented ``%load solutions/...`` fails there as it would for a
learner without the solutions (``course_lib.datasets`` finds the course's ``data/`` through its own path). Every code
cell runs in order with ``allow_errors``: a cell that raises is reported ("error in cell K: ...") and the cells after
it still run, so what the learner did define is still graded. The learner's cells share one time limit, ``--timeout``
seconds per notebook (kernel start not counted): when it runs out the kernel is interrupted, the remaining cells are
skipped and the notebook is reported as "timed out after N s in cell K"; a kernel that ignores the interrupt is killed
and nothing of it is graded ("not graded"). A kernel that dies (``os._exit``, a crash) is reported the same way.

How it grades. After the learner's cells, in the SAME kernel (the learner's functions live there), the grader runs
one cell of its own per exercise (``--check-timeout`` seconds each; a function that loops forever is stopped and
reported as an error). That cell
  * first notes what the notebook's code replaced: any function or lambda defined in the notebook that now sits in
    ``builtins``, a ``course_lib`` module, ``torch`` or ``torch.Tensor`` ("tampering: ..."), and whether the
    notebook's ``check_x`` is still the course's function ("check_x redefined in the notebook");
  * drops ``course_lib.exercises`` and its chapter modules from ``sys.modules`` and imports them afresh from disk,
    so monkeypatches of the checks are gone, and verifies that they came from this course's folder;
  * calls the fresh check on the learner's function, looked up by name in the notebook's globals (missing: "not
    defined"), and prints one JSON line that starts with a random nonce the grader chose for this notebook at run
    time, so no line can be forged in advance; the grader reads that cell's output only, and more than one such
    line is an error, never a pass.
The printed output of the learner's own check cells is never read: editing a check cell, replacing it with
``print("✓ 20/20 cases")`` or deleting it changes nothing in the grade. Those edits are still reported: every check
cell of the course's notebook (``check_x(x)``, found by its text and its cell id) must be there unchanged, else
"check cell missing" or "check cell edited". A cell that starts with ``# %load ... solutions/...`` followed by code
(what Jupyter leaves after loading our solution) is noted as "loaded the course's solution with %load".

Per exercise: passed / failed / not implemented (the stub) / not defined / error (the check could not run, timed
out, or its result did not come back) / not graded (the kernel was gone: why), and the verdict's first line.

The course's own files: before grading and after every notebook, the grader hashes ``course_lib/**/*.py``; a notebook
that changed them (the checks are re-imported from disk) stops the grading, with the notebook named and exit code 3.

Outputs in --out: ``grades.csv`` (one row per learner, notebook and exercise: learner, notebook, chapter, exercise,
status, verdict, notes, notebook_problems) and ``grades.html`` (a table learner × exercise with ✓ ✗ … — ⚠ ⊘, the
verdict as a tooltip, totals per learner and per exercise, then the notebooks that crashed, timed out or had missing
or edited check cells, and every failure's first line). Exit code 0 when the class was graded, whatever the grades.

Honest limits. Grading RUNS THE LEARNERS' CODE, with the permissions of whoever runs the grader: it can read and
write your files and use the network. Run it inside the course's Docker image without network (README, "I teach a
class"). The checks run in the learner's own process, so a determined learner can still subvert them (patch torch or
builtins with code that does not look like notebook code, read the nonce from the stack, write over the course on
disk in a way the hash check does not cover): this grader catches honest mistakes and casual tampering, not a
determined attacker. Run it on submissions you would also read.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import hashlib
import html
import importlib
import json
import logging
import math
import pkgutil
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import nbformat
from jupyter_core.utils import ensure_event_loop, run_sync
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
COURSE_LIB = ROOT / "course_lib"
if str(ROOT) not in sys.path:  # this course's course_lib for the grader (the kernels import the installed one,
    # and the grading cell verifies that it is this course's)
    sys.path.insert(0, str(ROOT))

STATUSES = ("passed", "failed", "not implemented", "not defined", "error", "not graded")
SYMBOL = {
    "passed": "✓",
    "failed": "✗",
    "not implemented": "…",
    "not defined": "—",
    "error": "⚠",
    "not graded": "⊘",
}
RANK = {status: rank for rank, status in enumerate(STATUSES)}  # lower is better (for duplicate notebooks)
RECOVER_S = 10  # after a time limit: how long an interrupted kernel may take to answer again before it is killed
CSV_FIELDS = ["learner", "notebook", "chapter", "exercise", "status", "verdict", "notes", "notebook_problems"]

IMPORT_CHAPTER = re.compile(r"course_lib\.exercises\.ch(\d\d)\b")
NAME_CHAPTER = re.compile(r"(?:^|[^0-9])(?:ch)?(\d\d)(?:_|$)")
TITLE_CHAPTER = re.compile(r"^#\s*(\d\d)\s*·", re.MULTILINE)
LOAD_SOLUTION = re.compile(r"#?\s*%load\s+((?:-[a-z]\s+(?:\S+\s+)?)*)(?:\./)?solutions/")
TEACHES_AN_ERROR = "NBVAL_RAISES_EXCEPTION"


# ----- the course: chapters, exercises, check cells ----------------------------------------------------------------
@dataclass
class Chapter:
    number: str  # "01"
    exercises: dict[str, str] = field(default_factory=dict)  # exercise name -> its check function's name
    error: str = ""  # the check module cannot be imported
    check_cells: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # name -> (source, cell id)


def course_chapters() -> dict[str, Chapter]:
    """Every chapter with a check module (course_lib.exercises.chNN), its exercises and their check cells."""
    import course_lib.exercises as exercises

    chapters = {}
    for module in sorted(pkgutil.iter_modules(exercises.__path__), key=lambda m: m.name):
        match = re.fullmatch(r"ch(\d\d)", module.name)
        if not match:
            continue
        chapter = chapters[match.group(1)] = Chapter(match.group(1))
        try:
            checks = importlib.import_module(f"course_lib.exercises.{module.name}").EXERCISES
            chapter.exercises = {name: getattr(check, "__name__", f"check_{name}") for name, check in checks.items()}
        except Exception as error:  # a chapter being written: its notebooks are reported, the others graded
            chapter.error = f"{type(error).__name__}: {error}"
            continue
        original = next(iter(sorted(NOTEBOOKS.glob(f"{chapter.number}_*.ipynb"))), None)
        cells = _read(original).cells if original else []
        for name, check_name in chapter.exercises.items():
            source = f"{check_name}({name})"
            cell_id = next((c.get("id") for c in cells if c.cell_type == "code" and c.source.strip() == source), None)
            chapter.check_cells[name] = (source, cell_id)
    return chapters


def course_digest() -> dict[str, str]:
    """SHA-256 of every course_lib/**/*.py: the checks are re-imported from disk, so they must not change."""
    return {
        str(path.relative_to(ROOT)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(COURSE_LIB.rglob("*.py"))
    }


def changed_files(before: dict[str, str], now: dict[str, str]) -> list[str]:
    """The files of `before` that changed or went away (a new file cannot shadow a check unnoticed: the grading cell
    verifies where the checks were imported from)."""
    return sorted(name for name, digest in before.items() if now.get(name) != digest)


def _read(path: Path):
    with warnings.catch_warnings():  # old or hand-edited notebooks: missing cell ids etc. are not the grader's business
        warnings.simplefilter("ignore")
        return nbformat.read(path, as_version=4)


# ----- the submissions -----------------------------------------------------------------------------------------------
def find_submissions(folder: Path) -> list[tuple[str, Path]]:
    """(learner, notebook) for every notebook under `folder`: a file directly in it is one learner (its stem), a
    folder is one learner (its name)."""
    found = []
    for path in sorted(folder.rglob("*.ipynb")):
        rel = path.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts) or not path.is_file():
            continue  # .ipynb_checkpoints, hidden files
        found.append((rel.stem if len(rel.parts) == 1 else rel.parts[0], path))
    return found


def detect_chapter(nb, path: Path, known: Iterable[str]) -> str | None:
    known = set(known)
    for cell in nb.cells:
        if cell.cell_type == "code":
            for number in IMPORT_CHAPTER.findall(cell.source):
                if number in known:
                    return number
    for match in NAME_CHAPTER.finditer(path.stem):
        if match.group(1) in known:
            return match.group(1)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = TITLE_CHAPTER.search(cell.source)
            if match and match.group(1) in known:
                return match.group(1)
    return None


def check_cell_notes(nb, chapter: Chapter) -> dict[str, str]:
    """exercise -> "check cell missing" / "check cell edited", for the course's check cells the notebook lacks."""
    sources = {cell.source.strip() for cell in nb.cells if cell.cell_type == "code"}
    ids = {cell.get("id") for cell in nb.cells}
    notes = {}
    for name, (source, cell_id) in chapter.check_cells.items():
        if source not in sources:
            notes[name] = "check cell edited" if cell_id and cell_id in ids else "check cell missing"
    return notes


def loaded_solutions(nb, exercises: Iterable[str]) -> set[str]:
    """The exercises whose solution the notebook loaded with `%load ... solutions/...` (Jupyter leaves the `# %load`
    line at the top of the cell, followed by the loaded code)."""
    exercises = list(exercises)
    loaded = set()
    for cell in nb.cells:
        lines = cell.source.strip().splitlines() if cell.cell_type == "code" else []
        match = LOAD_SOLUTION.match(lines[0].strip()) if lines else None
        if match and any(line.strip() for line in lines[1:]):
            names = re.search(r"-s\s+(\S+)", match.group(1))
            loaded.update(names.group(1).split(",") if names else exercises)
    return loaded & set(exercises)


# ----- the grading cell ----------------------------------------------------------------------------------------------
GRADING_CELL = '''\
def _lwe_grade_{token}():
    import builtins, importlib, json, os, sys, types

    nonce, chapter, name, check_name = {nonce!r}, {chapter!r}, {name!r}, {check_name!r}
    here = os.path.dirname(sys._getframe(0).f_code.co_filename)  # where IPython compiles this notebook's cells
    user_ns = sys._getframe(0).f_globals
    record = {{"exercise": name, "status": "error", "verdict": "", "notes": [], "tampered": []}}

    def from_notebook(value):
        try:
            code = getattr(value, "__code__", None) or getattr(getattr(value, "__func__", None), "__code__", None)
            if not isinstance(code, types.CodeType):
                return False
            return os.path.dirname(code.co_filename) == here or code.co_filename.startswith("<ipython-input")
        except Exception:
            return False

    def scan():
        spaces = [("builtins", builtins)]
        spaces += [(key, mod) for key, mod in list(sys.modules.items()) if key.split(".")[0] == "course_lib"]
        if "torch" in sys.modules:
            spaces += [("torch", sys.modules["torch"]), ("torch.Tensor", getattr(sys.modules["torch"], "Tensor", None))]
        found = []
        for label, space in spaces:
            try:
                items = list(vars(space).items())
            except Exception:
                continue
            found += [f"{{label}}.{{attr}}" for attr, value in items if from_notebook(value)]
        return found

    def clip(text, limit=200):
        text = " ".join(str(text).split())
        return text if len(text) <= limit else text[: limit - 1] + "\\u2026"

    try:
        record["tampered"] = scan()
        for key in [k for k in sys.modules if k == "course_lib.exercises" or k.startswith("course_lib.exercises.")]:
            del sys.modules[key]
        package = importlib.import_module("course_lib.exercises")
        module = importlib.import_module("course_lib.exercises." + chapter)
        record["files"] = [package.__file__, module.__file__]
        check = module.EXERCISES[name]
        if check_name not in user_ns:
            record["notes"].append(f"{{check_name}} is not defined in the notebook (its setup cell was changed?)")
        elif getattr(getattr(user_ns[check_name], "__code__", None), "co_filename", None) != module.__file__:
            record["notes"].append(f"{{check_name}} redefined in the notebook")
        if name not in user_ns:
            record.update(status="not defined", verdict=f"no function named {{name}} in the notebook")
        else:
            result = check(user_ns[name])
            if isinstance(result, package.CheckResult) and result.status in ("passed", "failed", "not implemented"):
                record.update(status=result.status, verdict=clip((str(result.message).splitlines() or [""])[0]))
            else:
                record.update(verdict="the check did not return a verdict")
    except BaseException as error:  # the learner's function raised SystemExit, KeyboardInterrupt, ...
        record.update(status="error", verdict=clip(f"the check could not run: {{type(error).__name__}}: {{error}}"))
    record["tampered"] = sorted(set(record["tampered"]) | set(scan()))
    sys.stdout.write(nonce + json.dumps(record) + "\\n")
    sys.stdout.flush()


_lwe_grade_{token}()
del _lwe_grade_{token}
'''


def grading_cell(token: str, chapter: str, name: str, check_name: str) -> str:
    """The grader's cell for one exercise; its result line starts with nonce(token)."""
    return GRADING_CELL.format(
        token=token, nonce=nonce(token), chapter=f"ch{chapter}", name=name, check_name=check_name
    )


def nonce(token: str) -> str:
    return f"LWE-GRADE-{token} "


def read_record(cell, nonce: str) -> dict | str:
    """The grader's JSON line from a grading cell's own output, or why there is none."""
    text = "".join(out.get("text", "") for out in cell.get("outputs", []) if out.get("output_type") == "stream")
    lines = [line[len(nonce) :] for line in text.splitlines() if line.startswith(nonce)]
    if len(lines) > 1:
        return f"{len(lines)} result lines instead of one: the output was forged"
    if not lines:
        errors = [f"{out.get('ename')}: {out.get('evalue')}" for out in cell.get("outputs", []) if out.get("ename")]
        return "no result came back" + (f" ({clip(errors[0])})" if errors else " (was sys.stdout replaced?)")
    try:
        record = json.loads(lines[0])
    except ValueError:
        return "the result line was unreadable"
    if not isinstance(record, dict) or record.get("status") not in STATUSES:
        return "the result line was unreadable"
    return record


# ----- one notebook ------------------------------------------------------------------------------------------------
@dataclass
class ExerciseGrade:
    exercise: str
    status: str
    verdict: str
    notes: list[str] = field(default_factory=list)


@dataclass
class NotebookReport:
    learner: str
    notebook: str  # path relative to SUBMISSIONS
    chapter: str = ""
    grades: list[ExerciseGrade] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0


def clip(text: str, limit: int = 160) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _cell_label(index: int, cell) -> str:
    first = next((line.strip() for line in cell.source.splitlines() if line.strip()), "")
    return f"cell {index + 1} ({clip(first, 50)!r})"


def _teaches_an_error(cell) -> bool:
    return TEACHES_AN_ERROR in cell.source or "raises-exception" in cell.metadata.get("tags", [])


KERNEL_START_ATTEMPTS = 3
_QUIET = logging.getLogger("lwe.grade.nbclient")  # nbclient logs timeouts and dead kernels; the report says them
_QUIET.disabled = True


class _Kernel:
    """The nbclient client of one notebook, with the few moves the grader needs around time limits."""

    def __init__(self, nb, workdir: str):
        self.nb = nb
        self.client = NotebookClient(
            nb,
            log=_QUIET,
            kernel_name="python3",  # never the notebook's kernelspec: the grader's Python, with the course installed
            allow_errors=True,
            record_timing=False,
            resources={"metadata": {"path": workdir}},
        )

    def run(self, cell, index: int, timeout: float, store_history: bool = True) -> None:
        self.client.timeout = max(1, math.ceil(timeout))
        self.client.execute_cell(cell, index, store_history=store_history)

    def append(self, source: str):
        cell = nbformat.v4.new_code_cell(source)
        self.nb.cells.append(cell)
        return cell, len(self.nb.cells) - 1

    def recover(self) -> bool:
        """After a time limit: interrupt; True when the kernel answers again, else it is killed."""
        try:
            self.drop_leftover_tasks()  # the timed-out cell's output poller would swallow the next cells' output
            run_sync(self.client.km.interrupt_kernel)()
            probe, index = self.append("pass")
            self.run(probe, index, RECOVER_S, store_history=False)
            return True
        except Exception:
            try:
                run_sync(self.client.km.shutdown_kernel)(now=True)
            except Exception:
                pass
            return False

    @staticmethod
    def drop_leftover_tasks() -> None:
        """nbclient leaves the output poller of a timed-out cell pending in this thread's loop: cancel it."""
        loop = ensure_event_loop()
        tasks = [task for task in asyncio.all_tasks(loop) if not task.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))


def grade_notebook(learner: str, path: Path, rel: str, chapters: dict[str, Chapter], timeout: float,
                   check_timeout: float) -> NotebookReport:
    report = NotebookReport(learner, rel)
    start = time.monotonic()
    try:
        nb = _read(path)
    except Exception as error:
        report.problems.append(f"cannot read the notebook: {clip(error)}")
        report.grades.append(ExerciseGrade("", "error", "the notebook cannot be read"))
        return report
    number = detect_chapter(nb, path, chapters)
    if number is None:
        report.problems.append("cannot tell which chapter this is (no course_lib.exercises.chNN import, no NN_ name)")
        report.grades.append(ExerciseGrade("", "error", "unknown chapter"))
        return report
    chapter = chapters[number]
    report.chapter = number
    if chapter.error:
        report.problems.append(f"the course's checks for chapter {number} cannot be imported: {clip(chapter.error)}")
        report.grades = [ExerciseGrade("", "error", "the chapter's checks cannot be imported")]
        return report

    cell_notes = check_cell_notes(nb, chapter)
    loaded = loaded_solutions(nb, chapter.exercises)
    token = secrets.token_hex(16)  # chosen now: the learner's code cannot know it before the grading cells run
    records: dict[str, dict | tuple[str, str]] = {}  # the grading cell's record, or (status, why)
    stopped_at = ""  # the cell where the learner's cells stopped (time limit, dead kernel)
    alive, gone = True, ""  # gone: why the kernel is gone
    with tempfile.TemporaryDirectory(prefix="lwe-grade-", ignore_cleanup_errors=True) as workdir:
        with contextlib.ExitStack() as stack:
            for attempt in range(KERNEL_START_ATTEMPTS):
                kernel = _Kernel(nb, workdir)
                try:  # the kernel's own stdout/stderr (its start-up warnings) are not the notebook's output
                    stack.enter_context(
                        kernel.client.setup_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    )
                    break
                except Exception as error:
                    # a kernel can die at start for reasons of the machine, not the notebook (two kernels racing
                    # for the same free port): try again before reporting it
                    if attempt + 1 < KERNEL_START_ATTEMPTS:
                        continue
                    report.problems.append(f"the kernel did not start: {clip(error)}")
                    report.grades = [
                        ExerciseGrade(n, "not graded", "the kernel did not start") for n in chapter.exercises
                    ]
                    return report
            deadline = time.monotonic() + timeout
            errors = []
            for index, cell in enumerate(list(nb.cells)):
                if cell.cell_type != "code" or not cell.source.strip():
                    continue
                if time.monotonic() >= deadline:
                    report.problems.append(f"timed out after {timeout:g} s before {_cell_label(index, cell)}")
                    stopped_at = _cell_label(index, cell)
                    break
                try:
                    kernel.run(cell, index, deadline - time.monotonic())
                except CellTimeoutError:
                    stopped_at = _cell_label(index, cell)
                    alive = kernel.recover()
                    gone = "" if alive else f"the kernel ignored the interrupt after the time limit in {stopped_at}"
                    report.problems.append(
                        f"timed out after {timeout:g} s in {stopped_at}"
                        + ("" if alive else "; the kernel ignored the interrupt and was killed")
                    )
                    break
                except DeadKernelError:
                    stopped_at, alive = _cell_label(index, cell), False
                    gone = f"the kernel died in {stopped_at}"
                    report.problems.append(gone)
                    break
                if not _teaches_an_error(cell):
                    errors += [
                        f"error in {_cell_label(index, cell)}: {clip(f'{out.ename}: {out.evalue}', 100)}"
                        for out in cell.outputs
                        if out.get("output_type") == "error"
                    ]
            if errors:
                more = f" (and {len(errors) - 1} more cells with errors)" if len(errors) > 1 else ""
                report.problems.append(errors[0] + more)

            for name, check_name in chapter.exercises.items():
                if not alive:
                    records[name] = ("not graded", f"not graded: {gone}")
                    continue
                cell, index = kernel.append(grading_cell(token, number, name, check_name))
                try:
                    kernel.run(cell, index, check_timeout, store_history=False)
                    record = read_record(cell, nonce(token))
                    records[name] = record if isinstance(record, dict) else ("error", record)
                except CellTimeoutError:
                    why = f"the check timed out after {check_timeout:g} s (does the function ever return?)"
                    records[name] = ("error", why)
                    alive = kernel.recover()
                    gone = "" if alive else f"the kernel ignored the interrupt after the check of {name} timed out"
                except DeadKernelError:
                    records[name] = ("error", "the kernel died during the check")
                    alive, gone = False, f"the kernel died during the check of {name}"
        kernel.drop_leftover_tasks()

    expected_files = {str(COURSE_LIB / "exercises" / "__init__.py"), str(COURSE_LIB / "exercises" / f"ch{number}.py")}
    tampered = set()
    for name in chapter.exercises:
        record = records.get(name, ("not graded", "not graded"))
        notes = [cell_notes[name]] if name in cell_notes else []
        if name in loaded:
            notes.append("loaded the course's solution with %load")
        if isinstance(record, tuple):
            report.grades.append(ExerciseGrade(name, record[0], record[1], notes))
            continue
        files = {str(Path(f).resolve()) for f in record.get("files", []) if isinstance(f, str)}
        status, verdict = record["status"], clip(record.get("verdict", ""), 200)
        if record.get("files") is not None and files != expected_files:
            status, verdict = "error", f"the check was not imported from this course: {clip(sorted(files), 120)}"
        notes += [clip(note, 120) for note in record.get("notes", []) if isinstance(note, str)]
        if status == "not defined" and stopped_at:
            notes.append(f"the notebook stopped at {stopped_at} before its later cells ran")
        tampered.update(str(t) for t in record.get("tampered", []))
        report.grades.append(ExerciseGrade(name, status, verdict, notes))
    if tampered:
        report.problems.append("tampering: the notebook's code replaced " + ", ".join(sorted(tampered)[:6]))
    for kind in ("check cell missing", "check cell edited"):
        names = [name for name, note in cell_notes.items() if note == kind]
        if names:
            report.problems.append(f"{kind}: {', '.join(names)} (graded with the course's own check)")
    report.seconds = time.monotonic() - start
    return report


# ----- the class -----------------------------------------------------------------------------------------------------
def grade_class(folder: Path, timeout: float, check_timeout: float, jobs: int = 1, log=print):
    """Grade every notebook under `folder`: (reports, chapters, whether the course's files stayed unchanged)."""
    chapters = course_chapters()
    before = course_digest()
    lock = threading.Lock()
    state = {"intact": True}

    def one(item: tuple[str, Path]) -> NotebookReport:
        learner, path = item
        rel = path.relative_to(folder).as_posix()
        if not state["intact"]:
            report = NotebookReport(learner, rel)
            report.problems.append("not graded: grading stopped because the course's files changed on disk")
            report.grades = [ExerciseGrade("", "not graded", "grading stopped")]
            return report
        report = grade_notebook(learner, path, rel, chapters, timeout, check_timeout)
        with lock:
            changed = changed_files(before, course_digest())
            if changed:
                others = " (or one graded at the same time)" if jobs > 1 else ""
                report.problems.append(f"this notebook{others} changed the course's own files: {', '.join(changed)}")
                for grade in report.grades:
                    grade.status, grade.verdict = "error", "the course's files changed while grading: do not trust it"
                state["intact"] = False
        return report

    reports = []
    pool = ThreadPoolExecutor(max_workers=max(1, jobs))
    try:
        for report in pool.map(one, find_submissions(folder)):
            reports.append(report)
            passed = sum(g.status == "passed" for g in report.grades)
            where = f"ch{report.chapter}" if report.chapter else "ch??"
            log(
                f"grade: {report.learner}: {report.notebook} ({where}): {passed}/{len(report.grades)} passed"
                f" in {report.seconds:.1f} s" + "".join(f"\n    ! {problem}" for problem in report.problems)
            )
    except KeyboardInterrupt:  # Ctrl-C: no new notebooks; those running finish (their kernels are shut down)
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return reports, chapters, state["intact"]


# ----- the outputs ---------------------------------------------------------------------------------------------------
def _cell_text(text: str) -> str:
    """A CSV field a spreadsheet shows as text, never runs as a formula."""
    text = " ".join(str(text).split())
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def write_csv(reports: list[NotebookReport], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_FIELDS)
        for report in reports:
            grades = report.grades or [ExerciseGrade("", "error", "nothing graded")]
            for grade in grades:
                row = [report.learner, report.notebook, report.chapter, grade.exercise, grade.status, grade.verdict,
                       "; ".join(grade.notes), "; ".join(report.problems)]
                writer.writerow([_cell_text(value) for value in row])


HTML_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: center; }
th.learner, td.learner, td.text { text-align: left; }
td.passed { background: #e3f6e3; } td.failed { background: #fde2e2; } td.not-implemented { background: #f4f4f4; }
td.not-defined { background: #fafafa; color: #888; } td.error, td.not-graded { background: #fff1c9; }
td.flag { color: #a15c00; font-weight: bold; } tfoot td, td.total { font-weight: bold; }
caption { text-align: left; color: #555; }
"""


def write_html(reports: list[NotebookReport], path: Path, chapters: dict[str, Chapter], folder: str, timeout: float,
               intact: bool = True) -> None:
    graded_chapters = sorted({r.chapter for r in reports if r.chapter in chapters})
    columns = [(number, name) for number in graded_chapters for name in chapters[number].exercises]
    learners = sorted({r.learner for r in reports})
    best: dict[tuple[str, str, str], ExerciseGrade] = {}
    submitted: dict[str, set[str]] = {learner: set() for learner in learners}
    flagged = {r.learner for r in reports if r.problems}
    for report in reports:
        if report.chapter not in chapters:
            continue
        submitted[report.learner].add(report.chapter)
        for grade in report.grades:
            key = (report.learner, report.chapter, grade.exercise)
            if key not in best or RANK[grade.status] < RANK[best[key].status]:
                best[key] = grade
    esc = html.escape
    out = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Grades</title>",
        f"<style>{HTML_STYLE}</style></head><body>",
        "<h1>Grades</h1>",
        f"<p>{len(reports)} notebooks from <code>{esc(folder)}</code>, graded {datetime.now():%Y-%m-%d %H:%M} with the "
        f"course's own checks (time limit {timeout:g} s per notebook). Hover over a cell for the check's verdict.</p>",
    ]
    if not intact:
        out.append("<p class='flag'><b>⚠ Grading stopped: a notebook changed the course's own files. See below; "
                   "restore the course (git checkout) before grading again.</b></p>")
    legend = ", ".join(f"{SYMBOL[s]} {s}" for s in STATUSES)
    out.append(f"<table><caption>{esc(legend)}; empty: no notebook for that chapter; ⚠ after a name: see "
               "“Notebooks that need a look”</caption><thead><tr><th class='learner'>learner</th>")
    out += [f"<th>{esc(number)}<br>{esc(name)}</th>" for number, name in columns]
    out.append("<th>total</th></tr></thead><tbody>")
    column_passed = dict.fromkeys(columns, 0)
    column_graded = dict.fromkeys(columns, 0)
    for learner in learners:
        flag = " <span class='flag' title='see Notebooks that need a look'>⚠</span>" if learner in flagged else ""
        out.append(f"<tr><td class='learner'>{esc(learner)}{flag}</td>")
        passed = possible = 0
        for column in columns:
            number, name = column
            grade = best.get((learner, number, name))
            if number not in submitted[learner] or grade is None:
                out.append("<td></td>")
                continue
            possible += 1
            column_graded[column] += 1
            if grade.status == "passed":
                passed += 1
                column_passed[column] += 1
            tip = grade.verdict + "".join(f" [{note}]" for note in grade.notes)
            mark = SYMBOL[grade.status] + ("*" if grade.notes else "")
            css = grade.status.replace(" ", "-")
            out.append(f"<td class='{css}' title='{esc(tip)}'>{esc(mark)}</td>")
        out.append(f"<td class='total'>{passed}/{possible}</td></tr>")
    out.append("</tbody><tfoot><tr><td class='learner'>passed</td>")
    out += [f"<td>{column_passed[c]}/{column_graded[c]}</td>" for c in columns]
    out.append("<td></td></tr></tfoot></table>")
    out.append("<p>* the exercise has a note (check cell edited or missing, check redefined, solution loaded): "
               "see its tooltip and the lists below.</p>")

    problems = [(r.learner, r.notebook, p) for r in reports for p in r.problems]
    duplicates = {}
    for report in reports:
        duplicates.setdefault((report.learner, report.chapter), []).append(report.notebook)
    problems += [
        (learner, ", ".join(names), f"{len(names)} notebooks for chapter {chapter}: the table shows the best result")
        for (learner, chapter), names in sorted(duplicates.items())
        if chapter and len(names) > 1
    ]
    out.append("<h2>Notebooks that need a look</h2>")
    if problems:
        out.append("<table><thead><tr><th>learner</th><th>notebook</th><th>what happened</th></tr></thead><tbody>")
        out += [
            f"<tr><td class='learner'>{esc(a)}</td><td class='text'>{esc(b)}</td><td class='text'>{esc(c)}</td></tr>"
            for a, b, c in problems
        ]
        out.append("</tbody></table>")
    else:
        out.append("<p>None: every notebook ran to the end, with every check cell in place.</p>")

    out.append("<h2>Failures and errors</h2>")
    rows = [(r, g) for r in reports for g in r.grades if g.status not in ("passed", "not implemented")]
    if rows:
        out.append("<table><thead><tr><th>learner</th><th>notebook</th><th>exercise</th><th>status</th>"
                   "<th>first line of the verdict</th><th>notes</th></tr></thead><tbody>")
        out += [
            f"<tr><td class='learner'>{esc(r.learner)}</td><td class='text'>{esc(r.notebook)}</td>"
            f"<td class='text'>{esc(g.exercise)}</td><td class='{g.status.replace(' ', '-')}'>{esc(g.status)}</td>"
            f"<td class='text'>{esc(g.verdict)}</td><td class='text'>{esc('; '.join(g.notes))}</td></tr>"
            for r, g in rows
        ]
        out.append("</tbody></table>")
    else:
        out.append("<p>None.</p>")
    out.append("</body></html>\n")
    path.write_text("\n".join(out), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog="See the docstring of tools/grade.py.")
    parser.add_argument("submissions", type=Path, help="folder of learners' notebooks (or of one folder per learner)")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "grades", help="where grades.csv/.html go")
    parser.add_argument("--timeout", type=float, default=300, help="seconds for a notebook's own cells (default 300)")
    parser.add_argument("--check-timeout", type=float, default=60, help="seconds for each check (default 60)")
    parser.add_argument("--jobs", type=int, default=1, help="notebooks graded at the same time (default 1)")
    args = parser.parse_args(argv)
    if not args.submissions.is_dir():
        parser.error(f"{args.submissions} is not a folder")
    if not find_submissions(args.submissions):
        parser.error(f"no notebooks (*.ipynb) under {args.submissions}")
    reports, chapters, intact = grade_class(args.submissions, args.timeout, args.check_timeout, args.jobs)
    args.out.mkdir(parents=True, exist_ok=True)
    write_csv(reports, args.out / "grades.csv")
    write_html(reports, args.out / "grades.html", chapters, str(args.submissions), args.timeout, intact)
    print(f"grade: {len(reports)} notebooks -> {args.out / 'grades.csv'} and {args.out / 'grades.html'}")
    if not intact:
        print("grade: STOPPED: a notebook changed the course's own files (see grades.html); restore them first",
              file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
