"""Small data files shipped in `data/`, each checked against the SHA-256 recorded in data/README.md.

Chapter 01 reads the sixteen share triples printed at the very end of the article.

Chapter 06 trains on the Breast Cancer Wisconsin (Diagnostic) data (UCI, CC BY 4.0; provenance in data/README.md):
569 tumours, 30 real features each, `malignant` = 1 or 0. It needs the same train/test split on every run, so
`train_test_split` draws it from a seeded `torch.Generator`. That randomness is public and NOT secret: which row
is a test row hides nothing, unlike a share, so it deliberately does not come from `course_lib.rng`.
"""

from __future__ import annotations

import csv
import hashlib
import math
import numbers
from dataclasses import dataclass
from pathlib import Path

import torch

__all__ = ["DATA_DIR", "BreastCancer", "article_message_shares", "breast_cancer", "train_test_split"]

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

# Pinned here and in data/README.md: a changed file is an error, not a silently different lesson.
_SHA256 = {
    "article_message.csv": "598b0e35a5c8696f003652b332fba652830820162fc4f53708206fc0f5447b82",
    "breast_cancer_wisconsin.csv": "bb27ae0af4bf4751f079b541401f84a335c9a76cf33a4223dbf45a31b81ad38d",
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


def train_test_split(
    labels: torch.Tensor, test_fraction: float = 0.25, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """A fixed, stratified split of the rows: (train_indices, test_indices), two int64 tensors of row numbers.

    Every class keeps its share of the rows: for each label value, round(test_fraction · rows of that class)
    rows (halves round up) go to the test set, the rest to training. Both index tensors come back shuffled, so the
    training rows are not sorted by class. The same labels, test_fraction and seed give the same split on every
    run; the randomness is `torch.Generator().manual_seed(seed)`: public, reproducible, not secret.
    """
    if not isinstance(labels, torch.Tensor) or labels.dim() != 1:
        raise TypeError(f"labels must be a 1-D tensor (one label per row), got {getattr(labels, 'shape', labels)!r}")
    if isinstance(test_fraction, bool) or not isinstance(test_fraction, numbers.Real):
        raise TypeError(f"test_fraction must be a number between 0 and 1, got {type(test_fraction).__name__}")
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must lie strictly between 0 and 1, got {test_fraction}: try 0.25")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be an integer, got {type(seed).__name__}")
    generator = torch.Generator().manual_seed(int(seed))
    train_parts, test_parts = [], []
    for label in torch.unique(labels):  # sorted, so the draws happen in the same order every time
        rows = torch.nonzero(labels == label).flatten()
        rows = rows[torch.randperm(len(rows), generator=generator)]
        n_test = math.floor(test_fraction * len(rows) + 0.5)
        if not 0 < n_test < len(rows):
            raise ValueError(
                f"class {label.item()} has {len(rows)} rows: test_fraction {test_fraction} leaves it "
                f"{'no test' if n_test == 0 else 'no training'} rows"
            )
        test_parts.append(rows[:n_test])
        train_parts.append(rows[n_test:])
    train, test = torch.cat(train_parts), torch.cat(test_parts)
    train = train[torch.randperm(len(train), generator=generator)]
    test = test[torch.randperm(len(test), generator=generator)]
    return train, test


@dataclass(frozen=True)
class BreastCancer:
    """The Breast Cancer Wisconsin (Diagnostic) data, as plaintext tensors (chapter 06).

    features       float64 (569, 30): the 30 measurements of each tumour's cell nuclei, in the file's units
    malignant      float64 (569,): 1.0 malignant, 0.0 benign. float64 like the features, so `sigmoid(x @ w) - y`
                   and the fixed-point encoder take it without a cast; `.long()` gives class indices.
    feature_names  the 30 column names as scikit-learn spells them, "mean radius" … "worst fractal dimension"
    """

    features: torch.Tensor
    malignant: torch.Tensor
    feature_names: tuple[str, ...]

    def train_test_split(self, test_fraction: float = 0.25, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
        """(train_indices, test_indices), stratified by `malignant`: see `course_lib.datasets.train_test_split`.
        With the defaults: 427 training rows (159 malignant, 268 benign) and 142 test rows
        (53 malignant, 89 benign)."""
        return train_test_split(self.malignant, test_fraction=test_fraction, seed=seed)


def breast_cancer() -> BreastCancer:
    """Load data/breast_cancer_wisconsin.csv (checksum-verified): 569 rows, 212 malignant and 357 benign."""
    with _verified_path("breast_cancer_wisconsin.csv").open(newline="") as file:
        reader = csv.reader(file)
        header = next(reader)
        rows = list(reader)
    features = torch.tensor([[float(value) for value in row[:-1]] for row in rows], dtype=torch.float64)
    malignant = torch.tensor([float(row[-1]) for row in rows], dtype=torch.float64)
    return BreastCancer(features=features, malignant=malignant, feature_names=tuple(header[:-1]))
