"""Shared fixtures: parties for 2- and 3-party tests, and seeded randomness so failures reproduce."""

import pytest
from hypothesis import settings

import course_lib as cl

# The same examples on every run: a CI failure reproduces locally, and no run fails by the luck of the draw.
settings.register_profile("course", max_examples=40, deadline=None, derandomize=True)
settings.load_profile("course")


@pytest.fixture(autouse=True)
def _secure_by_default():
    """Every test starts (and ends) in the library's default, secure mode: no test leaks a seeded mode into another."""
    cl.secure()
    yield
    cl.secure()


@pytest.fixture
def workers():
    return {name: cl.VirtualWorker(name) for name in ("alice", "bob", "carol", "dave")}


@pytest.fixture(params=[2, 3], ids=["2 parties", "3 parties"])
def parties(request, workers):
    """(parties, dealer) for a 2-party and a 3-party setting; carol is always the dealer."""
    chosen = (workers["alice"], workers["bob"], workers["dave"])[: request.param]
    return chosen, workers["carol"]
