"""One party's share is uniform and independent of the secret — measured with chi-square tests.

Run on the seeded source (deterministic) and on the CSPRNG (threshold at significance 1e-6, so a false alarm is
a one-in-a-million event)."""

import pytest
import torch

import course_lib as cl
from course_lib import ring, stats

DRAWS, BINS = 20000, 32
Z_1E6 = 4.7534  # standard normal quantile for significance 1e-6


def _party_share_bins(secret: int, n_parties: int, party: int) -> list[int]:
    """Histogram of the top 5 bits of one party's share over DRAWS sharings of the same secret."""
    shares = ring.share(torch.full((DRAWS,), secret, dtype=torch.int64), n_parties)[party]
    top = ((shares >> 59) & (BINS - 1)).tolist()
    return stats.histogram(top, 0, BINS, BINS)


@pytest.mark.parametrize("mode", ["seeded", "secure"])
@pytest.mark.parametrize("n_parties, party", [(2, 0), (2, 1), (3, 0), (3, 2)])
def test_a_share_is_uniform_and_says_nothing_about_the_secret(mode, n_parties, party):
    if mode == "seeded":
        cl.reproducible(1234)
    critical = stats.chi_square_critical(BINS - 1, z=Z_1E6)
    small = _party_share_bins(5, n_parties, party)
    large = _party_share_bins(2**62 + 12345, n_parties, party)
    assert stats.chi_square_uniform(small) < critical
    assert stats.chi_square_uniform(large) < critical
    assert stats.chi_square_same(small, large) < critical


def test_the_test_can_fail_on_a_leaky_sharing():
    """A 'sharing' whose first share is the secret plus small noise is caught at once."""
    cl.reproducible(0)
    leaky = torch.full((DRAWS,), 2**62, dtype=torch.int64) + torch.randint(0, 2**40, (DRAWS,))
    counts = stats.histogram(((leaky >> 59) & (BINS - 1)).tolist(), 0, BINS, BINS)
    assert stats.chi_square_uniform(counts) > stats.chi_square_critical(BINS - 1, z=Z_1E6)


def test_opened_values_in_beaver_multiplication_are_uniform():
    """What the parties see in a multiplication (e = x - a) is as uniform as a share, whatever x is."""
    from course_lib.runtime import RUNTIME

    cl.reproducible(7)
    alice, bob, carol = (cl.VirtualWorker(n) for n in ("alice", "bob", "carol"))
    seen = []
    original_open = RUNTIME.open

    def spy(group, *values):
        opened = original_open(group, *values)
        seen.append(opened[0])
        return opened

    RUNTIME.open = spy
    try:
        x = cl.share(torch.full((DRAWS,), 3.0), alice, bob, crypto_provider=carol)
        _ = x * x
    finally:
        RUNTIME.open = original_open
    counts = stats.histogram(((seen[0] >> 59) & (BINS - 1)).tolist(), 0, BINS, BINS)
    assert stats.chi_square_uniform(counts) < stats.chi_square_critical(BINS - 1, z=Z_1E6)
