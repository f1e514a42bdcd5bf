"""Measuring that shares look like noise (chapters 01 and 02, and the tests).

"One share says nothing about the secret" is a claim we can test: draw many shares of two different secrets and
ask whether their histograms are flat and alike. Pearson's chi-square statistic measures how far counts are from what
we expect; below the critical value (at significance 0.001) the difference is what chance alone produces.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["histogram", "chi_square_uniform", "chi_square_same", "chi_square_critical"]


def histogram(values: Sequence[int], low: int, high: int, bins: int) -> list[int]:
    """Counts of `values` in `bins` equal-width bins over [low, high)."""
    counts = [0] * bins
    width = (high - low) / bins
    for v in values:
        if not low <= v < high:
            raise ValueError(f"value {v} lies outside [{low}, {high})")
        counts[min(int((v - low) / width), bins - 1)] += 1
    return counts


def chi_square_uniform(counts: Sequence[int]) -> float:
    """Pearson's statistic for 'these counts come from a flat distribution' (degrees of freedom: len(counts) - 1)."""
    expected = sum(counts) / len(counts)
    return sum((c - expected) ** 2 / expected for c in counts)


def chi_square_same(counts_a: Sequence[int], counts_b: Sequence[int]) -> float:
    """Pearson's statistic for 'both histograms come from the same distribution' (dof: bins - 1)."""
    total_a, total_b = sum(counts_a), sum(counts_b)
    statistic = 0.0
    for a, b in zip(counts_a, counts_b, strict=True):
        pooled = (a + b) / (total_a + total_b)
        for count, total in ((a, total_a), (b, total_b)):
            if pooled:
                statistic += (count - pooled * total) ** 2 / (pooled * total)
    return statistic


def chi_square_critical(dof: int, z: float = 3.0902) -> float:
    """Critical value of chi-square with `dof` degrees of freedom; z = 3.0902 gives significance 0.001.

    Wilson–Hilferty's approximation (accurate to about 1% for dof >= 5), so no scipy is needed.
    """
    k = 2 / (9 * dof)
    return dof * (1 - k + z * math.sqrt(k)) ** 3
