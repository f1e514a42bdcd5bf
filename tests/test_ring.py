"""Z_2^64 on int64: sharing, reconstruction and the fast matmul, exact against Python's big integers."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib import ring

int64s = st.integers(min_value=-(2**63), max_value=2**63 - 1)


def _signed(v: int) -> int:
    v %= 2**64
    return v - 2**64 if v >= 2**63 else v


def _exact_matmul(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    rows, cols = a.tolist(), b.t().tolist()
    return torch.tensor(
        [[_signed(sum(x * y for x, y in zip(r, c, strict=True))) for c in cols] for r in rows], dtype=torch.int64
    )


@given(st.lists(int64s, min_size=1, max_size=6), st.integers(min_value=2, max_value=5))
def test_shares_reconstruct_exactly(values, n):
    secret = torch.tensor(values, dtype=torch.int64)
    shares = ring.share(secret, n)
    assert shares.shape == (n, len(values))
    assert torch.equal(ring.reconstruct(shares), secret)


@given(int64s, int64s)
def test_int64_arithmetic_is_arithmetic_mod_2_64(a, b):
    x, y = torch.tensor([a]), torch.tensor([b])
    assert (x + y).item() == _signed(a + b)
    assert (x - y).item() == _signed(a - b)
    assert (x * y).item() == _signed(a * b)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_the_float64_digit_path_is_exact(data):
    m, n = data.draw(st.integers(1, 6)), data.draw(st.integers(1, 6))
    k = data.draw(st.integers(1, 2048))
    g = torch.Generator().manual_seed(data.draw(st.integers(0, 2**31)))
    a = torch.randint(-(2**63), 2**63 - 1, (m, k), generator=g)
    b = torch.randint(-(2**63), 2**63 - 1, (k, n), generator=g)
    a[0, :] = -(2**63)  # the extreme values, where digit splitting is most delicate
    b[:, 0] = 2**63 - 1
    assert torch.equal(ring._digit_matmul(ring._digits(a), ring._digits(b)), _exact_matmul(a, b))


def test_digits_are_small_and_add_up():
    x = torch.tensor([-(2**63), 2**63 - 1, 0, -1, 2**21, -(2**21), 2**21 - 1, 123456789012345])
    d0, d1, d2 = ring._digits(x)
    assert max(d.abs().max().item() for d in (d0, d1, d2)) <= 2**21
    total = d0.long() + (d1.long() << 22) + (d2.long() << 44)
    assert torch.equal(total, x)


@pytest.mark.parametrize("matmul", [ring.ring_matmul, ring.digit_matmul], ids=["int64 kernel", "float64 digits"])
def test_large_products_stay_exact(matmul):
    g = torch.Generator().manual_seed(0)
    a = torch.randint(-(2**63), 2**63 - 1, (40, 300), generator=g)
    b = torch.randint(-(2**63), 2**63 - 1, (300, 30), generator=g)
    assert torch.equal(matmul(a, b), _exact_matmul(a, b))


@pytest.mark.parametrize("matmul", [ring.ring_matmul, ring.digit_matmul], ids=["int64 kernel", "float64 digits"])
def test_long_inner_dimensions_stay_exact(matmul):
    """The digit path cuts inner dimensions above 2048 into chunks, so no float64 sum passes 2^53."""
    g = torch.Generator().manual_seed(1)
    a = torch.randint(-(2**63), 2**63 - 1, (3, 5000), generator=g)
    b = torch.randint(-(2**63), 2**63 - 1, (5000, 4), generator=g)
    assert torch.equal(matmul(a, b), _exact_matmul(a, b))


def test_both_paths_follow_torch_for_batches_and_vectors():
    g = torch.Generator().manual_seed(2)
    a = torch.randint(-(2**63), 2**63 - 1, (2, 64, 300), generator=g)
    b = torch.randint(-(2**63), 2**63 - 1, (300, 70), generator=g)
    v = torch.randint(-(2**63), 2**63 - 1, (300,), generator=g)
    for matmul in (ring.ring_matmul, ring.digit_matmul):
        assert torch.equal(matmul(a, b), torch.matmul(a, b))
        assert torch.equal(matmul(a, v), torch.matmul(a, v))
        assert torch.equal(matmul(v, b), torch.matmul(v, b))
        assert torch.equal(matmul(b.t(), a[0].t()), torch.matmul(b.t(), a[0].t()))


def test_to_unsigned_shows_the_mathematicians_representative():
    assert ring.to_unsigned(torch.tensor([-1, 0, 5])) == [2**64 - 1, 0, 5]


def test_small_products_take_the_broadcast_path_and_stay_exact():
    """Below 2^16 multiply-adds ring_matmul multiplies and sums by broadcasting (torch's int64 matmul has a large
    fixed cost there): exact mod 2^64 too, extremes included, with torch.matmul's shapes."""
    g = torch.Generator().manual_seed(3)
    a = torch.randint(-(2**63), 2**63 - 1, (2, 4, 256), generator=g)
    b = torch.randint(-(2**63), 2**63 - 1, (256, 1), generator=g)
    a[0, 0, :] = -(2**63)
    assert a.numel() * b.shape[-1] <= ring._SMALL_PRODUCT
    assert torch.equal(ring.ring_matmul(a, b), torch.stack([_exact_matmul(a[i], b) for i in range(2)]))
    v = b.flatten()
    assert torch.equal(ring.ring_matmul(a, v), torch.matmul(a, v))
    assert torch.equal(ring.ring_matmul(v, b), torch.matmul(v, b))
