"""The shipped data files: checksums, shapes, counts, and the fixed train/test split of chapter 06."""

from __future__ import annotations

import hashlib
import math
import re
import shutil

import pytest
import torch

from course_lib import datasets
from course_lib.datasets import BreastCancer, article_message_shares, breast_cancer, train_test_split

SIZES = ("radius", "texture", "perimeter", "area", "smoothness", "compactness", "concavity", "concave points")
MEASURES = (*SIZES, "symmetry", "fractal dimension")
FEATURE_NAMES = (
    *(f"mean {m}" for m in MEASURES),
    *(f"{m} error" for m in MEASURES),
    *(f"worst {m}" for m in MEASURES),
)
# Rows whose concavity and concave points are exactly 0 (13 of them, in mean, error and worst alike).
MAY_BE_ZERO = {"concavity", "concave points"}


@pytest.fixture(scope="module")
def data() -> BreastCancer:
    return breast_cancer()


def test_every_shipped_file_matches_its_pinned_checksum_and_the_readme():
    readme = (datasets.DATA_DIR / "README.md").read_text()
    for name, expected in datasets._SHA256.items():
        assert hashlib.sha256((datasets.DATA_DIR / name).read_bytes()).hexdigest() == expected, name
        row = next(line for line in readme.splitlines() if line.startswith(f"| `{name}`"))
        assert f"`{expected}`" in row, f"data/README.md and course_lib.datasets disagree on {name}'s SHA-256"


def test_breast_cancer_file_is_plain_ascii_with_unix_line_endings():
    raw = (datasets.DATA_DIR / "breast_cancer_wisconsin.csv").read_bytes()
    assert raw.isascii() and b"\r" not in raw and raw.endswith(b"\n") and not raw.endswith(b"\n\n")
    lines = raw.decode().splitlines()
    assert len(lines) == 1 + 569
    assert all(re.fullmatch(r"(\d+(\.\d+)?,){30}[01]", line) for line in lines[1:])


def test_shape_dtypes_and_names(data):
    assert data.features.shape == (569, 30) and data.features.dtype == torch.float64
    assert data.malignant.shape == (569,) and data.malignant.dtype == torch.float64
    assert data.feature_names == FEATURE_NAMES
    assert data.feature_names[0] == "mean radius" and data.feature_names[-1] == "worst fractal dimension"


def test_class_counts_212_malignant_357_benign(data):
    assert set(data.malignant.tolist()) == {0.0, 1.0}
    assert int(data.malignant.sum()) == 212
    assert int((data.malignant == 0).sum()) == 357


def test_first_row_is_the_uci_first_record_and_malignant(data):
    # UCI's wdbc.data starts with ID 842302, diagnosis M, radius 17.99, texture 10.38, ..., worst fractal dim 0.1189
    assert data.malignant[0] == 1.0
    assert data.features[0, 0].item() == 17.99 and data.features[0, 1].item() == 10.38
    assert data.features[0, -1].item() == 0.1189


def test_values_finite_and_positive_where_they_must_be(data):
    assert torch.isfinite(data.features).all()
    assert (data.features >= 0).all()
    for column, name in enumerate(data.feature_names):
        values = data.features[:, column]
        if name.removeprefix("mean ").removeprefix("worst ").removesuffix(" error") in MAY_BE_ZERO:
            assert int((values == 0).sum()) == 13, name
        else:
            assert (values > 0).all(), name
    # the worst (largest) radius, perimeter and area are never below the mean ones
    for measure in ("radius", "perimeter", "area"):
        mean = data.features[:, FEATURE_NAMES.index(f"mean {measure}")]
        worst = data.features[:, FEATURE_NAMES.index(f"worst {measure}")]
        assert (worst >= mean).all(), measure


def test_range_matches_sklearn_descr_summary(data):
    # Min/max from sklearn/datasets/descr/breast_cancer.rst for a few columns
    assert data.features[:, 0].min().item() == 6.981 and data.features[:, 0].max().item() == 28.11
    assert data.features[:, 3].max().item() == 2501.0
    assert data.features[:, 23].min().item() == 185.2 and data.features[:, 23].max().item() == 4254.0


def test_the_dataclass_is_frozen(data):
    with pytest.raises(AttributeError):
        data.features = torch.zeros(1)


def _check_split(labels, train, test, n_train, n_test):
    assert train.dtype == torch.int64 and test.dtype == torch.int64
    assert (len(train), len(test)) == (n_train, n_test)
    assert not set(train.tolist()) & set(test.tolist())
    assert sorted(train.tolist() + test.tolist()) == list(range(len(labels)))


def test_default_split_sizes_and_stratification(data):
    train, test = data.train_test_split()
    _check_split(data.malignant, train, test, 427, 142)
    assert int(data.malignant[test].sum()) == 53  # round(0.25 * 212)
    assert int((data.malignant[test] == 0).sum()) == 89  # round(0.25 * 357)
    assert int(data.malignant[train].sum()) == 159


def test_split_is_deterministic_and_seeded(data):
    first, again = data.train_test_split(), data.train_test_split(test_fraction=0.25, seed=0)
    assert torch.equal(first[0], again[0]) and torch.equal(first[1], again[1])
    assert torch.equal(first[1], train_test_split(data.malignant)[1])
    other = data.train_test_split(seed=1)
    assert not torch.equal(first[1], other[1])
    _check_split(data.malignant, *other, 427, 142)


def test_split_is_pinned(data):
    # The chapter's printed numbers depend on this exact split. If a torch upgrade changes randperm's stream, this
    # fails: re-run the chapter, check its outputs, then update these indices.
    train, test = data.train_test_split()
    assert test[:8].tolist() == [15, 71, 469, 118, 80, 55, 527, 495]
    assert train[:8].tolist() == [156, 51, 87, 285, 501, 116, 185, 229]


def test_split_is_shuffled_not_sorted_by_class(data):
    train, _ = data.train_test_split()
    first_half = data.malignant[train[: len(train) // 2]]
    assert 0 < int(first_half.sum()) < len(first_half)


@pytest.mark.parametrize("fraction", [0.1, 0.2, 0.5, 0.9])
def test_split_sizes_follow_the_fraction_per_class(data, fraction):
    train, test = data.train_test_split(test_fraction=fraction, seed=3)
    n_test = math.floor(fraction * 212 + 0.5) + math.floor(fraction * 357 + 0.5)
    _check_split(data.malignant, train, test, 569 - n_test, n_test)
    assert int(data.malignant[test].sum()) == math.floor(fraction * 212 + 0.5)


def test_split_works_on_any_labels():
    labels = torch.tensor([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2])
    train, test = train_test_split(labels, test_fraction=0.5, seed=7)
    _check_split(labels, train, test, 6, 6)
    assert sorted(labels[test].tolist()) == [0, 0, 1, 1, 2, 2]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"test_fraction": 0}, ValueError, "strictly between 0 and 1"),
        ({"test_fraction": 1.0}, ValueError, "strictly between 0 and 1"),
        ({"test_fraction": True}, TypeError, "test_fraction"),
        ({"test_fraction": "0.25"}, TypeError, "test_fraction"),
        ({"seed": 1.5}, TypeError, "seed must be an integer"),
        ({"test_fraction": 0.001}, ValueError, "no test rows"),
        ({"test_fraction": 0.999}, ValueError, "no training rows"),
    ],
)
def test_split_rejects_bad_arguments(data, kwargs, error, message):
    with pytest.raises(error, match=message):
        train_test_split(data.malignant, **kwargs)


def test_split_rejects_non_1d_labels(data):
    with pytest.raises(TypeError, match="1-D tensor"):
        train_test_split(data.features)
    with pytest.raises(TypeError, match="1-D tensor"):
        train_test_split([0, 1, 0, 1])


def _copy_data_dir(tmp_path, monkeypatch):
    copy = tmp_path / "data"
    shutil.copytree(datasets.DATA_DIR, copy)
    monkeypatch.setattr(datasets, "DATA_DIR", copy)
    return copy


def test_a_corrupted_copy_fails_with_a_clear_checksum_error(tmp_path, monkeypatch):
    copy = _copy_data_dir(tmp_path, monkeypatch)
    path = copy / "breast_cancer_wisconsin.csv"
    raw = bytearray(path.read_bytes())
    position = raw.index(b"17.99")
    raw[position] = ord("2")  # 17.99 -> 27.99: one byte, still a perfectly parseable file
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match=r"breast_cancer_wisconsin\.csv has SHA-256 [0-9a-f]{64}, expected bb27ae0a"):
        breast_cancer()


def test_a_missing_file_says_so(tmp_path, monkeypatch):
    copy = _copy_data_dir(tmp_path, monkeypatch)
    (copy / "breast_cancer_wisconsin.csv").unlink()
    with pytest.raises(FileNotFoundError, match="full checkout"):
        breast_cancer()


def test_the_article_loader_still_works():
    shares = article_message_shares()
    assert len(shares) == 16
    assert all(len(triple) == 3 and all(0 <= s < 501337 for s in triple) for triple in shares)
