"""Build the classroom copy of the course: ``make student`` -> ``build/student/``.

Copies ``notebooks/`` without ``notebooks/solutions/`` and removes every code cell whose source starts with a
``%load`` of a file in ``solutions/`` (the commented "load the solution" cell under each exercise:
``# %load solutions/01_secret_sharing.py`` or ``# %load -s reconstruct solutions/01_secret_sharing.py``). Nothing is
executed; the committed outputs of the remaining cells are kept, so the stubs still show "not implemented yet".

Usage: python tools/make_student.py SRC DEST   (DEST is replaced)
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

import nbformat

# first line of a solution cell: optional "#", %load, optional flags (-s NAME, -r LINES, -y, -n NS), then solutions/...
SOLUTION_CELL = re.compile(r"#?\s*%load\s+(?:-[a-z]\s+(?:\S+\s+)?)*(?:\./)?solutions/")
SKIP_DIRS = {"solutions", ".ipynb_checkpoints", "__pycache__"}


def is_solution_cell(cell) -> bool:
    return cell.get("cell_type") == "code" and SOLUTION_CELL.match(cell.get("source", "").lstrip()) is not None


def strip_notebook(src: Path, dest: Path) -> int:
    """Write ``src`` to ``dest`` without its solution cells; return how many cells were removed."""
    nb = nbformat.read(src, as_version=nbformat.NO_CONVERT)
    kept = [cell for cell in nb.cells if not is_solution_cell(cell)]
    removed = len(nb.cells) - len(kept)
    nb.cells = kept
    nbformat.write(nb, dest)
    return removed


def build(src: Path, dest: Path) -> tuple[int, int]:
    if not src.is_dir():
        raise SystemExit(f"make_student: {src} is not a directory")
    if dest.resolve() == src.resolve() or src.resolve() in dest.resolve().parents:
        raise SystemExit("make_student: DEST must not be SRC or inside it")
    if dest.exists():
        shutil.rmtree(dest)
    n_notebooks = n_removed = 0
    for path in sorted(src.rglob("*")):
        rel = path.relative_to(src)
        if any(part in SKIP_DIRS for part in rel.parts) or path.is_dir():
            continue
        out = dest / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".ipynb":
            n_removed += strip_notebook(path, out)
            n_notebooks += 1
        else:
            shutil.copy2(path, out)
    return n_notebooks, n_removed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src", type=Path, help="the course notebooks, e.g. notebooks")
    parser.add_argument("dest", type=Path, help="output folder, e.g. build/student (replaced)")
    args = parser.parse_args(argv)
    n_notebooks, n_removed = build(args.src, args.dest)
    print(f"make_student: {n_notebooks} notebooks -> {args.dest}/ ({n_removed} solution cells removed, no solutions/)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
