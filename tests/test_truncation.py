"""Truncation after a fixed-point product: local truncation works for 2 parties and fails for 3; the dealer's pair
works for any number of parties. Plaintext oracle: x / 2^16 rounded down, within one unit."""

import torch

import course_lib as cl
from course_lib import protocols, ring
from course_lib.parties import PartyGroup

BITS = 16


def _group(n):
    parties = tuple(cl.VirtualWorker(f"p{i}") for i in range(n))
    return PartyGroup(parties, cl.TrustedDealer(cl.VirtualWorker("dealer")))


def _products(count=2000, seed=0):
    """Values at scale 2^32, as a fixed-point product has before truncation (reals up to ±1000)."""
    g = torch.Generator().manual_seed(seed)
    return torch.randint(-(1000 * 2**32), 1000 * 2**32, (count,), generator=g)


def _error_units(truncated_shares, x):
    return (ring.reconstruct(truncated_shares) - (x >> BITS)).abs()


def test_local_truncation_is_within_one_unit_for_two_parties():
    x = _products()
    assert _error_units(protocols.truncate_local(ring.share(x, 2), BITS, _group(2)), x).max() <= 1


def test_local_truncation_fails_for_three_parties():
    x = _products()
    errors = _error_units(protocols.truncate_local(ring.share(x, 3), BITS, _group(3)), x)
    # the sum of three uniform shares wraps around 2^64 a quarter of the time (the tails of a triangle), and each
    # wrap leaves the result off by 2^48 units: a real value off by 2^32 ≈ 4.3e9
    catastrophic = (errors >= 2**47).double().mean().item()
    assert 0.2 < catastrophic < 0.3, f"{catastrophic:.0%} catastrophic"
    assert errors[errors < 2**47].max() <= 2  # the others are off by up to n - 1 units


def test_truncation_with_a_pair_is_within_one_unit_for_any_number_of_parties():
    x = _products()
    for n in (2, 3, 4, 5):
        truncated = protocols.truncate_with_pair(ring.share(x, n), BITS, _group(n))
        assert _error_units(truncated, x).max() <= 1, n


def test_truncate_picks_the_right_protocol():
    x = _products(200)
    with cl.measure_cost() as two:
        protocols.truncate(ring.share(x, 2), BITS, _group(2))
    with cl.measure_cost() as three:
        protocols.truncate(ring.share(x, 3), BITS, _group(3))
    assert two.rounds == 0 and two.dealer_messages == 0  # local: no message at all
    assert three.rounds == 1 and three.dealer_messages == 2 * 3  # r and r >> 16 for each of 3 parties


def test_the_rounding_error_of_local_truncation_is_at_most_one_unit_and_unbiased():
    x = _products(20000, seed=1)
    signed_error = ring.reconstruct(protocols.truncate_local(ring.share(x, 2), BITS, _group(2))) - (x >> BITS)
    assert set(signed_error.unique().tolist()) <= {0, 1}
    assert 0.3 < signed_error.double().mean().item() < 0.7
