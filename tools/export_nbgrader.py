"""Export the checked exercises in nbgrader's source format, for teachers who already run nbgrader.

Usage: python tools/export_nbgrader.py [NOTEBOOKS] OUT     (NOTEBOOKS defaults to notebooks/; OUT is replaced)

Writes ``OUT/source/NN_name/NN_name.ipynb`` for every course notebook that has a check module
(``course_lib.exercises.chNN``): copy those folders into your nbgrader course's ``source/`` and run
``nbgrader generate_assignment NN_name`` as usual. In each notebook, with nbgrader cell metadata (schema version 3):
  * the stub of every checked exercise becomes an autograded answer cell (``solution: true``): the stub's own ``def``
    line, then our solution from ``notebooks/solutions/NN_name.py`` between ``### BEGIN SOLUTION`` and
    ``### END SOLUTION`` (the imports and constants it uses go inside the function); nbgrader replaces that region
    with ``# YOUR CODE HERE`` / ``raise NotImplementedError()``, which the course's check reports as "not
    implemented yet", as in the course;
  * its check cell ``check_x(x)`` becomes a locked autograder test cell worth 1 point:
    ``verdict = check_x(x)``, ``print(verdict)``, ``assert verdict.passed, verdict``;
  * the setup cell that imports the checks is locked (read-only; nbgrader restores it when it autogrades), so a
    learner cannot swap the course's checks for their own;
  * the "Stuck? ... load our solution" cells are dropped (the solutions are not handed out), and every output is
    cleared.
Everything else is the course notebook as it is. The learners need ``course_lib`` installed where nbgrader runs
their notebooks (``pip install -e .`` from this repository, or the course's Docker image).
"""

from __future__ import annotations

import argparse
import ast
import copy
import importlib
import re
import shutil
import sys
import textwrap
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SCHEMA_VERSION = 3  # nbgrader's cell metadata schema (nbgrader.nbgraderformat.SCHEMA_VERSION)
LOAD_SOLUTION = re.compile(r"#?\s*%load\s+(?:-[a-z]\s+(?:\S+\s+)?)*(?:\./)?solutions/")
STUB_BODY = re.compile(r"^\s*(# your code here|raise NotImplementedError)", re.IGNORECASE)


def metadata(grade_id: str, *, solution: bool = False, grade: bool = False, locked: bool = False) -> dict:
    """nbgrader cell metadata; `points` only on graded cells, as nbgrader expects."""
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": SCHEMA_VERSION,
            "solution": solution, "task": False}
    if grade:
        meta["points"] = 1
    return meta


def solution_parts(solution_file: Path, name: str) -> tuple[str, ast.FunctionDef, list[str]]:
    """Our solution file's source, the function `name` in it, and the module-level imports and constants it uses (as
    source lines): what a learner would paste to solve the exercise."""
    source = solution_file.read_text()
    tree = ast.parse(source)
    function = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name), None)
    if function is None:
        raise SystemExit(f"export_nbgrader: {solution_file.name} has no function {name}")
    used = {node.id for node in ast.walk(function) if isinstance(node, ast.Name)}
    prelude = []
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            defined = {(alias.asname or alias.name).split(".")[0] for alias in node.names}
        elif isinstance(node, ast.Assign):
            defined = {target.id for target in node.targets if isinstance(target, ast.Name)}
        else:
            continue
        if defined & used:
            prelude.append(ast.get_source_segment(source, node))
    return source, function, prelude


def solution_region(solution_file: Path, name: str, header: str) -> str:
    """`header` (the stub's def line), then our solution's body, with the module-level imports and constants it uses,
    inside one BEGIN/END SOLUTION region."""
    source, function, prelude = solution_parts(solution_file, name)
    lines = source.splitlines()

    def segment(first: ast.stmt, last: ast.stmt) -> str:
        return textwrap.dedent("\n".join(lines[first.lineno - 1 : last.end_lineno]))

    statements = function.body
    docstring = []  # the docstring stays first, so that it is still the function's docstring
    if ast.get_docstring(function) is not None:
        docstring, statements = [segment(statements[0], statements[0])], statements[1:]
    body = [segment(statements[0], statements[-1])] if statements else ["pass"]
    inside = textwrap.indent("\n".join([*docstring, *prelude, *body]), "    ")
    return f"{header}\n    ### BEGIN SOLUTION\n{inside}\n    ### END SOLUTION\n"


def _stub_name(cell, exercises) -> str | None:
    if cell.cell_type != "code" or "NotImplementedError" not in cell.source:
        return None
    match = re.search(r"^def (\w+)\(", cell.source, re.MULTILINE)
    return match.group(1) if match and match.group(1) in exercises else None


def export_notebook(path: Path, dest: Path) -> list[str]:
    """Write the nbgrader source version of the course notebook `path` to `dest`; return its exercise names."""
    chapter = path.name[:2]
    exercises = importlib.import_module(f"course_lib.exercises.ch{chapter}").EXERCISES
    solution_file = next(iter(sorted((path.parent / "solutions").glob(f"{chapter}_*.py"))), None)
    if solution_file is None:
        raise SystemExit(f"export_nbgrader: no solutions/{chapter}_*.py for {path.name}")
    nb = nbformat.read(path, as_version=4)
    checks = {f"{getattr(check, '__name__', f'check_{name}')}({name})": name for name, check in exercises.items()}
    cells, solved, tested = [], set(), set()
    for cell in nb.cells:
        cell = copy.deepcopy(cell)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            cell.metadata.pop("execution", None)
        if cell.cell_type == "code" and LOAD_SOLUTION.match(cell.source.strip()):
            if cells and cells[-1].cell_type == "markdown" and cells[-1].source.lstrip().startswith("Stuck?"):
                cells.pop()  # "Stuck? Uncomment and run the next cell to load our solution ..."
            continue
        name = _stub_name(cell, exercises)
        if name:
            header = "\n".join(_header(cell.source))
            cell.source = solution_region(solution_file, name, header)
            cell.metadata["nbgrader"] = metadata(name, solution=True)
            solved.add(name)
        elif cell.cell_type == "code" and cell.source.strip() in checks:
            name = checks[cell.source.strip()]
            check = cell.source.strip().split("(")[0]
            cell.source = f"verdict = {check}({name})\nprint(verdict)\nassert verdict.passed, verdict"
            cell.metadata["nbgrader"] = metadata(f"check_{name}", grade=True, locked=True)
            tested.add(name)
        elif cell.cell_type == "code" and f"course_lib.exercises.ch{chapter}" in cell.source:
            cell.metadata["nbgrader"] = metadata("setup", locked=True)
        cells.append(cell)
    missing = sorted(set(exercises) - (solved & tested))
    if missing:
        raise SystemExit(f"export_nbgrader: {path.name}: no stub or no check cell for {', '.join(missing)}")
    nb.cells = cells
    dest.parent.mkdir(parents=True, exist_ok=True)
    nbformat.validate(nb)
    nbformat.write(nb, dest)
    return list(exercises)


def _header(source: str) -> list[str]:
    """The stub's lines before its body (`# your code here`, `raise NotImplementedError`): its def line(s)."""
    lines = []
    for line in source.splitlines():
        if STUB_BODY.match(line):
            break
        lines.append(line)
    return lines


def export(src: Path, out: Path) -> list[tuple[Path, list[str]]]:
    if out.resolve() == src.resolve() or src.resolve() in out.resolve().parents:
        raise SystemExit("export_nbgrader: OUT must not be the notebooks folder or inside it")
    if out.exists():
        shutil.rmtree(out)
    written = []
    for path in sorted(src.glob("[0-9][0-9]_*.ipynb")):
        try:
            importlib.import_module(f"course_lib.exercises.ch{path.name[:2]}")
        except ModuleNotFoundError:
            continue  # a chapter without checked exercises
        dest = out / "source" / path.stem / path.name
        written.append((dest, export_notebook(path, dest)))
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path, metavar="[NOTEBOOKS] OUT")
    args = parser.parse_args(argv)
    if len(args.paths) > 2:
        parser.error("give at most two paths: [NOTEBOOKS] OUT")
    src, out = (ROOT / "notebooks", args.paths[0]) if len(args.paths) == 1 else args.paths
    written = export(src, out)
    for dest, names in written:
        print(f"export_nbgrader: {dest} ({len(names)} autograded exercises: {', '.join(names)})")
    print(f"export_nbgrader: copy {out / 'source'}/* into your nbgrader course's source/ folder")
    return 0


if __name__ == "__main__":
    sys.exit(main())
