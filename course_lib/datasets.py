"""Small data files shipped in `data/`, each checked against the SHA-256 recorded in data/README.md.

Chapter 01 reads the sixteen share triples printed at the very end of the article.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

__all__ = ["DATA_DIR", "article_message_shares"]

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

# Pinned here and in data/README.md: a changed file is an error, not a silently different lesson.
_SHA256 = {
    "article_message.csv": "598b0e35a5c8696f003652b332fba652830820162fc4f53708206fc0f5447b82",
}


def _verified_path(name: str) -> Path:
    path = DATA_DIR / name
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run the notebooks from a full checkout of the course")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != _SHA256[name]:
        raise ValueError(
            f"{path} has SHA-256 {digest}, expected {_SHA256[name]}: restore it with `git checkout -- data/`"
        )
    return path


def article_message_shares() -> list[tuple[int, int, int]]:
    """The 16 triples (share_a, share_b, share_c) from the article's last lines, mod Q = 501337."""
    with _verified_path("article_message.csv").open(newline="") as file:
        return [(int(row["share_a"]), int(row["share_b"]), int(row["share_c"])) for row in csv.DictReader(file)]
