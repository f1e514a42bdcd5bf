"""median_time counts only the timed runs and ignores one slow outlier."""

import time

import pytest

from course_lib.timing import median_time


def test_warmup_is_not_timed_and_the_median_ignores_an_outlier():
    calls = []

    def fn():
        calls.append(1)
        time.sleep(0.05 if len(calls) in (1, 3) else 0.001)  # the warm-up and one timed run are slow

    assert median_time(fn, repeats=5) < 0.02
    assert len(calls) == 6


def test_repeats_must_be_positive():
    with pytest.raises(ValueError, match="repeats"):
        median_time(lambda: None, repeats=0)
