"""Execute notebooks in place and keep only the metadata that matters: ``make execute NB="notebooks/05_*.ipynb"``.

Runs each notebook top to bottom with nbclient (kernel cwd = the notebook's folder, as in Lab and nbval), then trims the
notebook metadata to the kernelspec, ``language_info.name`` and the saved widget state, so that re-running a notebook
on another machine changes only what the cells print, not a Python patch version in its header.

Usage: python tools/execute_notebooks.py NOTEBOOK [NOTEBOOK ...]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

KEEP = ("kernelspec", "widgets")


def trim_metadata(nb) -> None:
    nb.metadata = {key: nb.metadata[key] for key in KEEP if key in nb.metadata}
    nb.metadata["language_info"] = {"name": "python"}


def execute(path: Path, timeout: int) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    trim_metadata(nb)
    nbformat.write(nb, path)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--timeout", type=int, default=600, help="seconds a single cell may take")
    args = parser.parse_args()
    for path in args.notebooks:
        print(f"{path}: executed in {execute(path, args.timeout):.1f} s")


if __name__ == "__main__":
    main()
