"""Timing what we compare (chapters 02–05 and the benchmarks): the median of repeated runs after a warm-up.

The median, not the mean: on a laptop or a shared CI machine a single run can be slowed by anything else that runs,
and the median ignores those outliers. The warm-up run pays for torch's lazy initialisation so it is not counted.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

__all__ = ["median_time"]


def median_time(fn: Callable[[], object], repeats: int = 5, warmup: int = 1) -> float:
    """Seconds that `fn()` takes: the median of `repeats` runs after `warmup` untimed ones."""
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
