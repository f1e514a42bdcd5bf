"""Randomness: secure by default, reproducible only when asked, and always labelled."""

import torch

import course_lib as cl
from course_lib import rng


def test_default_is_the_operating_systems_csprng():
    assert rng.is_secure()
    assert isinstance(rng.current_source(), rng.SecureSource)


def test_reproducible_is_labelled_insecure_and_repeats():
    switch = cl.reproducible(7)
    assert not rng.is_secure()
    assert "NOT secure" in repr(switch) and "seed=7" in repr(switch)
    a = rng.ring_elements((4, 5))
    cl.reproducible(7)
    assert torch.equal(a, rng.ring_elements((4, 5)))


def test_secure_mode_says_so():
    cl.reproducible(0)
    assert "secure randomness (os.urandom)" in repr(cl.secure())
    assert rng.is_secure()


def test_with_block_restores_the_previous_source():
    with cl.reproducible(1):
        assert not rng.is_secure()
    assert rng.is_secure()


def test_ring_elements_cover_all_64_bits():
    for source in (rng.SecureSource(), rng.SeededSource(0)):
        x = source.ring_elements((4096,))
        assert x.dtype == torch.int64
        assert (x < 0).any() and (x > 0).any()
        # every bit position is set in roughly half of the draws
        bits = torch.stack([(x >> b) & 1 for b in range(64)]).double().mean(dim=1)
        assert bits.min() > 0.44 and bits.max() < 0.56


def test_a_seed_must_be_an_integer():
    import pytest

    with pytest.raises(TypeError, match="integer seed"):
        cl.reproducible("zero")
