"""Secure comparison (chapter 06): exact against plaintext torch everywhere, ring extremes included; what it opens.

The protocol is checked on raw ring shares (every int64, read as signed) and through SharedTensor's operators
(<, <=, >, >=, eq, relu, abs, sign, where) with shared and public operands on either side and broadcasting, for 2 and
3 parties. Comparisons are exact, so every check is `torch.equal`. Values are multiples of 2^-16 so that the plaintext
oracle compares the same numbers the shares encode.
"""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import course_lib as cl
from course_lib import comparison, ring, stats
from course_lib.dealer import TrustedDealer, dealer_for
from course_lib.parties import PartyGroup

PARTY_COUNTS = pytest.mark.parametrize("n", [2, 3], ids=["2 parties", "3 parties"])
RES = 2.0**-16
TOP = 2.0**47 - 1  # encoded 2^63 - 2^16: near the end of the ring (2^47 - 2^-6 is the largest float64 below 2^47)
RING_EXTREMES = [-(2**63), -(2**63) + 1, -(2**62), -1, 0, 1, 2**62, 2**63 - 1]
alice, bob, carol, dave, eve = (cl.VirtualWorker(n) for n in ("alice", "bob", "carol", "dave", "eve"))


def _workers(n):
    return (alice, bob, dave, eve)[:n]


def _group(n):
    return PartyGroup(_workers(n), dealer_for(carol))


def share(x, n):
    return cl.share(x, *_workers(n), crypto_provider=carol)


def _ring_values(count, generator):
    """`count` int64 values: the ring's extremes first, then uniform ones."""
    values = torch.randint(-(2**63), 2**63 - 1, (count,), generator=generator)
    edge = torch.tensor(RING_EXTREMES)[:count]
    values[: len(edge)] = edge
    return values


# ----- the protocol on raw ring shares -------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [2, 3, 4])
@pytest.mark.parametrize("count", [1, 2, 7, 63, 64, 65, 300])
def test_less_than_zero_is_the_sign_of_every_ring_element(n, count):
    x = _ring_values(count, torch.Generator().manual_seed(count))
    bits = comparison.less_than_zero(ring.share(x, n), _group(n))
    assert bits.shape == (n, count)
    assert torch.equal(ring.reconstruct(bits), (x < 0).long())


@pytest.mark.parametrize("n", [2, 3])
def test_less_than_zero_keeps_the_shape(n):
    x = torch.randint(-(2**63), 2**63 - 1, (3, 1, 5), generator=torch.Generator().manual_seed(1))
    bits = comparison.less_than_zero(ring.share(x, n), _group(n))
    assert torch.equal(ring.reconstruct(bits), (x < 0).long())


@pytest.mark.parametrize("n", [2, 3])
def test_less_than_is_exact_even_where_the_difference_wraps(n):
    g = torch.Generator().manual_seed(2)
    extremes = torch.tensor(RING_EXTREMES)
    x, y = torch.cartesian_prod(extremes, extremes).unbind(1)  # every pair of extremes: 2^62 - (-2^62) wraps
    x = torch.cat([x, torch.randint(-(2**63), 2**63 - 1, (200,), generator=g)])
    y = torch.cat([y, torch.randint(-(2**63), 2**63 - 1, (200,), generator=g)])
    group = _group(n)
    assert torch.equal(
        ring.reconstruct(comparison.less_than(ring.share(x, n), ring.share(y, n), group)), (x < y).long()
    )
    for reverse, expected in [(False, x < y), (True, y < x)]:
        got = comparison.less_than_public(ring.share(x, n), y, group, reverse=reverse)
        assert torch.equal(ring.reconstruct(got), expected.long())


@pytest.mark.parametrize("n", [2, 3])
def test_equal_zero_and_less_than_each(n):
    g = torch.Generator().manual_seed(3)
    x = torch.cat([torch.tensor(RING_EXTREMES), torch.randint(-3, 4, (50,), generator=g)])
    group = _group(n)
    assert torch.equal(ring.reconstruct(comparison.equal_zero(ring.share(x, n), group)), (x == 0).long())
    small = torch.randint(-(2**40), 2**40, (4, 20), generator=g)
    thresholds = torch.tensor([-5, 0, 7, 2**39])
    got = ring.reconstruct(comparison.less_than_each(ring.share(small, n), thresholds, group))
    assert torch.equal(got, (small.unsqueeze(0) < thresholds.view(-1, 1, 1)).long())


@pytest.mark.parametrize("n", [2, 3])
def test_less_than_each_is_exact_at_the_extremes_when_zero_is_a_threshold(n):
    x = _ring_values(80, torch.Generator().manual_seed(7)).view(8, 10)
    thresholds = torch.tensor([-(2**62), -5, 0, 7, 2**62])
    got = ring.reconstruct(comparison.less_than_each(ring.share(x, n), thresholds, _group(n)))
    assert torch.equal(got, (x.unsqueeze(0) < thresholds.view(-1, 1, 1)).long())
    # without 0 it is msb(x - t): wrong only where x - t wraps, as documented
    alone = ring.reconstruct(comparison.less_than_each(ring.share(x, n), torch.tensor([7]), _group(n)))[0]
    assert torch.equal(alone, ((x - 7) < 0).long())


def test_packing_round_trips():
    bits = torch.randint(0, 2, (3, 130), generator=torch.Generator().manual_seed(4))
    words = comparison.pack_bits(bits)
    assert words.shape == (3, 3)
    assert torch.equal(comparison.unpack_bits(words, 130), bits)


@pytest.mark.parametrize("n", [2, 3, 4])
def test_xor_opening_and_and_gates(n):
    """open_xor reads the XOR of the shares through the runtime's additive opening; and_words is bitwise AND."""
    g = torch.Generator().manual_seed(5)
    group = _group(n)
    x, y = (torch.randint(-(2**63), 2**63 - 1, (2, 70), generator=g) for _ in range(2))
    xs, ys = (_xor_shares(v, n, g) for v in (x, y))
    (opened,) = comparison.open_xor(group, xs)
    assert torch.equal(opened, x)
    z = comparison.and_words(xs, ys.unsqueeze(1), group)[:, 0]
    assert torch.equal(_xor_reduce(z), x & y)


def _xor_shares(value, n, g):
    shares = torch.randint(-(2**63), 2**63 - 1, (n - 1, *value.shape), generator=g)
    return torch.cat([shares, (value ^ _xor_reduce(shares)).unsqueeze(0)])


def _xor_reduce(shares):
    out = torch.zeros_like(shares[0])
    for s in shares:
        out = out ^ s
    return out


# ----- the dealer's new randomness -----------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [2, 3])
def test_dealer_comparison_randomness_is_correct(n):
    dealer = TrustedDealer(carol)
    additive, xor = dealer.edabits((3, 70), n)
    assert additive.shape == xor.shape == (n, 3, 70)
    assert torch.equal(ring.reconstruct(additive), _xor_reduce(xor))
    a, b, c = dealer.and_triples((4,), n, pairs=2)
    assert a.shape == (n, 4) and b.shape == c.shape == (n, 2, 4)
    assert torch.equal(_xor_reduce(c), _xor_reduce(a).unsqueeze(0) & _xor_reduce(b))
    packed, bits = dealer.dabits((2, 70), n)
    assert packed.shape == (n, 2, 2) and bits.shape == (n, 2, 70)
    assert torch.equal(comparison.unpack_bits(_xor_reduce(packed), 70), ring.reconstruct(bits))
    assert set(ring.reconstruct(bits).unique().tolist()) <= {0, 1}


def test_dealer_comparison_randomness_is_fresh_and_counted():
    dealer = TrustedDealer(carol)
    masks = [ring.reconstruct(dealer.edabits((4,), 2)[0]) for _ in range(100)]  # batched: 64 per draw
    assert len({tuple(m.tolist()) for m in masks}) == 100
    with cl.measure_cost() as cost:
        dealer.and_triples((10,), 3, pairs=2)
    assert (cost.rounds, cost.bytes) == (0, 0)
    assert cost.dealer_bytes == 3 * (10 + 2 * 10 + 2 * 10) * 8  # a, b, c to each of 3 parties


# ----- SharedTensor operators against torch --------------------------------------------------------------------------
def grid_values(limit: float):
    """Multiples of 2^-16 in [-limit, limit], with zero, ±2^-16 and the encoding's extremes well represented."""
    special = st.sampled_from([0.0, RES, -RES, TOP, -TOP, 1.0, -1.0])
    scaled = st.integers(-int(limit / RES), int(limit / RES)).map(lambda k: k * RES)
    return st.one_of(special, scaled, st.integers(-8, 8).map(lambda k: k * RES))


def tensors(shape, limit=TOP):
    return arrays(np.float64, shape, elements=grid_values(limit)).map(torch.from_numpy)


shapes = st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple)


def broadcastable(shape):
    """A shape that broadcasts with `shape`: some dimensions set to 1, some leading ones dropped."""
    return st.tuples(st.integers(0, len(shape)), st.lists(st.booleans(), min_size=len(shape), max_size=len(shape))).map(
        lambda drop_ones: tuple(1 if one else size for size, one in zip(shape, drop_ones[1], strict=True))[
            drop_ones[0] :
        ]
    )


OPS = {"<": torch.lt, "<=": torch.le, ">": torch.gt, ">=": torch.ge}


def _apply(op, a, b):
    return {"<": lambda: a < b, "<=": lambda: a <= b, ">": lambda: a > b, ">=": lambda: a >= b}[op]()


@PARTY_COUNTS
@given(data=st.data())
def test_comparisons_match_torch_exactly(n, data):
    shape = data.draw(shapes)
    x = data.draw(tensors(shape))
    y = data.draw(tensors(data.draw(broadcastable(shape))))
    op = data.draw(st.sampled_from(sorted(OPS)))
    sx, sy = share(x, n), share(y, n)
    expected = OPS[op](x, y).double()
    for left, right in [(sx, sy), (sx, y), (x, sy)]:
        got = _apply(op, left, right)
        assert isinstance(got, cl.SharedTensor)
        assert torch.equal(got.get(), expected), (op, left, right)


@PARTY_COUNTS
@given(data=st.data())
def test_comparisons_with_numbers_and_zero(n, data):
    x = data.draw(tensors(data.draw(shapes)))
    c = data.draw(st.sampled_from([0, 0.0, RES, -RES, 3, -2.5, TOP]))
    sx = share(x, n)
    for op in OPS:
        assert torch.equal(_apply(op, sx, c).get(), OPS[op](x, torch.tensor(c, dtype=torch.float64)).double())
        assert torch.equal(_apply(op, c, sx).get(), OPS[op](torch.tensor(c, dtype=torch.float64), x).double())


@PARTY_COUNTS
def test_extremes_of_the_encoding_against_each_other(n):
    """±(2^47 - 1) and 2^47 - 2^-6: their differences wrap around the ring, and the comparisons are still exact."""
    values = torch.tensor(
        [-TOP, -TOP + 1, -1.0, -RES, 0.0, RES, 1.0, TOP - 1, TOP, 2.0**47 - 2**-6], dtype=torch.float64
    )
    x, y = torch.cartesian_prod(values, values).unbind(1)
    sx, sy = share(x, n), share(y, n)
    for op, fn in OPS.items():
        assert torch.equal(_apply(op, sx, sy).get(), fn(x, y).double())
    assert torch.equal(sx.eq(sy).get(), (x == y).double())
    assert torch.equal(sx.ne(y).get(), (x != y).double())


@PARTY_COUNTS
@given(data=st.data())
def test_relu_abs_sign_where_match_torch(n, data):
    shape = data.draw(shapes)
    x = data.draw(tensors(shape))
    y = data.draw(tensors(data.draw(broadcastable(shape)), limit=1e6))
    sx, sy = share(x, n), share(y, n)
    assert torch.equal(sx.relu().get(), torch.relu(x))  # exact: the result is x or 0, nothing rounded
    assert torch.equal(sx.abs().get(), x.abs())
    assert torch.equal(abs(sx).get(), x.abs())
    assert torch.equal(sx.sign().get(), torch.where(x < 0, -1.0, 1.0).double())  # sign(0) = +1, as in CrypTen
    assert torch.equal(sx.where(sx > 0, sy).get(), x.where(x > 0, y))
    assert torch.equal(sx.where(sx > 0, y).get(), x.where(x > 0, y))
    assert torch.equal(sx.where(x > 0, -2.0).get(), x.where(x > 0, torch.tensor(-2.0, dtype=torch.float64)))


@PARTY_COUNTS
def test_a_comparison_is_a_shared_zero_or_one_that_multiplies(n):
    x = torch.tensor([-3.0, 0.0, 2.5], dtype=torch.float64)
    sx = share(x, n)
    below = sx < 1
    assert isinstance(below, cl.SharedTensor) and below.shape == (3,) and below.dtype == torch.float64
    assert torch.equal(below.reconstruct(), torch.tensor([1, 1, 0]) * 2**16)  # 1.0 encoded as 2^16
    assert torch.equal((below * sx).get(), torch.tensor([-3.0, 0.0, 0.0], dtype=torch.float64))
    assert torch.equal((below * 4.0 + 1).get(), torch.tensor([5.0, 5.0, 1.0], dtype=torch.float64))
    assert (share(x.float(), n) < 0).dtype == torch.float32
    assert torch.equal(sx.eq(0).get(), torch.tensor([0.0, 1.0, 0.0], dtype=torch.float64))
    with pytest.raises(TypeError, match="truth value"):
        bool(sx < 0)
    with pytest.raises(TypeError, match="reveal"):
        if sx > 0:  # noqa: SIM102 - the point is that `if` refuses
            pass
    with pytest.raises(TypeError, match="reveal"):
        sx == sx  # noqa: B015 - `==` still refuses: Python needs a bool from it
    assert len({sx, sx}) == 1  # still hashable


@PARTY_COUNTS
def test_empty_tensors(n):
    sx = share(torch.zeros(0, 3), n)
    assert (sx < 0).shape == (0, 3) and sx.relu().shape == (0, 3) and (sx < sx).shape == (0, 3)


def test_cost_of_a_comparison():
    sx = share(torch.randn(1000, generator=torch.Generator().manual_seed(6)), 2)
    with cl.measure_cost() as cost:
        _ = sx < 0
    assert cost.rounds == 7  # open x + r, levels 1-5 of the tree (level 0 is local), the daBit
    assert 40 * 1000 < cost.bytes < 80 * 1000  # about 63 bytes per value (module docstring)
    assert cost.dealer_bytes > 0
    with cl.measure_cost() as cost:
        _ = sx < sx
    assert cost.rounds == 8  # the wrap-around correction takes one more AND round
    with cl.measure_cost() as cost:
        sx.relu()
    assert cost.rounds == 8  # the comparison, then one Beaver product (nothing to truncate)
    s3 = share(torch.randn(1000), 3)
    with cl.measure_cost() as cost:
        _ = s3 < 0
    assert cost.rounds == 7


# ----- what the parties see ----------------------------------------------------------------------------------------
OPERATIONS = {
    "x < 0": lambda sx, sy: sx < 0,
    "x > 1.5": lambda sx, sy: sx > 1.5,
    "x < y": lambda sx, sy: sx < sy,
    "x.eq(y)": lambda sx, sy: sx.eq(sy),
    "relu": lambda sx, sy: sx.relu(),
    "where": lambda sx, sy: sx.where(sx < sy, sy),
    "sigmoid": lambda sx, sy: sx.sigmoid(),
    "reciprocal": lambda sx, sy: sx.reciprocal(),
}


@PARTY_COUNTS
@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_every_opening_is_masked_and_nothing_is_revealed(n, name):
    sx, sy = share(torch.randn(100), n), share(torch.randn(100), n)
    with cl.record_openings() as log:
        OPERATIONS[name](sx, sy)
    assert log, "a comparison must open masked values"
    assert {o.kind for o in log} == {"masked"}
    assert all(o.receivers == tuple(p.id for p in _workers(n)) for o in log)


def _opened_bits(x: torch.Tensor, seed: int) -> list[list[int]]:
    """For each value the comparison x < 0 opens: the histogram of its bits over (bit position, value)."""
    with cl.reproducible(seed):
        sx = share(x, 2)
        with cl.record_openings() as log:
            _ = sx < 0
    histograms = []
    for opening in log:
        bits = (opening.value.reshape(-1, 1) >> torch.arange(64)) & 1
        histograms.append(bits.sum(dim=0).tolist())
    return histograms


def test_opened_values_do_not_depend_on_the_secret():
    """Every value opened during x < 0 has the same distribution for x all zeros and x all large (chi-square on
    the count of ones at each bit position), and the masked x + r itself is uniform in every bit. Seeded: the test
    is deterministic."""
    count = 4096
    zeros = _opened_bits(torch.zeros(count, dtype=torch.float64), seed=11)
    large = _opened_bits(torch.full((count,), -(2.0**46), dtype=torch.float64), seed=12)
    assert len(zeros) == len(large) == 7  # one opening per round
    critical = stats.chi_square_critical(63, z=4.7534)  # significance 1e-6
    for a, b in zip(zeros, large, strict=True):
        total_a, total_b = sum(a), sum(b)
        if total_a and total_b:
            assert stats.chi_square_same(a, b) < critical
    # the first opening is c = x + r: every bit is 1 in about half of the values, for x = 0 and x = -2^46 alike
    for histogram in (zeros[0], large[0]):
        assert all(abs(ones - count / 2) < 5 * (count / 4) ** 0.5 for ones in histogram)


def test_the_uniformity_test_would_catch_an_unmasked_opening():
    """Sanity check of the test above: opening x itself (no mask) is caught at once."""
    a = ((torch.zeros(4096, dtype=torch.int64).reshape(-1, 1) >> torch.arange(64)) & 1).sum(0).tolist()
    b = ((torch.full((4096,), -(2**62)).reshape(-1, 1) >> torch.arange(64)) & 1).sum(0).tolist()
    assert stats.chi_square_same([v + 1 for v in a], [v + 1 for v in b]) > stats.chi_square_critical(63, z=4.7534)


# ----- bad input ---------------------------------------------------------------------------------------------------
@pytest.fixture
def x():
    return cl.share(torch.tensor([[1.5, -2.0], [3.0, 4.0]]), alice, bob, crypto_provider=carol)


BAD_INPUTS = [
    (
        "shapes that do not broadcast",
        lambda x: x < cl.share(torch.ones(3), alice, bob, crypto_provider=carol),
        ValueError,
        "do not broadcast",
    ),
    ("public shape that does not broadcast", lambda x: x >= torch.ones(3, 3), ValueError, "do not broadcast"),
    (
        "different parties",
        lambda x: x < cl.share(torch.ones(2, 2), alice, dave, crypto_provider=carol),
        ValueError,
        "different parties",
    ),
    (
        "different dealer",
        lambda x: x.eq(cl.share(torch.ones(2, 2), alice, bob, crypto_provider=dave)),
        ValueError,
        "different parties",
    ),
    ("no dealer", lambda x: cl.share(torch.ones(2), alice, bob) < 0, ValueError, "crypto_provider="),
    ("no dealer for relu", lambda x: cl.share(torch.ones(2), alice, bob).relu(), ValueError, "crypto_provider="),
    ("NaN public operand", lambda x: x < float("nan"), ValueError, "NaN"),
    ("infinite public operand", lambda x: x > torch.tensor([float("inf"), 0.0]), ValueError, "inf"),
    ("a bool operand", lambda x: x < True, TypeError, "real numbers"),
    ("a string operand", lambda x: x <= "1", TypeError, "real numbers"),
    ("public operand out of range", lambda x: x < 1e20, OverflowError, "outside the range"),
    ("where with a non-0/1 public condition", lambda x: x.where(torch.tensor([2.0, 0.0]), 0.0), ValueError, "0/1"),
    ("dividing by a shared value", lambda x: x / x, TypeError, "reciprocal()"),
]


@pytest.mark.parametrize("call, error, words", [b[1:] for b in BAD_INPUTS], ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_gets_a_clear_error(x, call, error, words):
    before = x.shares.clone()
    with pytest.raises(error) as raised:
        call(x)
    assert words in str(raised.value), str(raised.value)
    assert torch.equal(x.shares, before)
