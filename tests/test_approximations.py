"""Non-linear functions on shares (chapter 06) against plaintext torch: each within its stated error on its domain.

The error bounds below are what `max_error` measures (the module docstring's table) with some room; the accuracy
requirement of the chapter is checked at every grid point (relative error <= 5% or absolute <= 0.01), and the
CrypTen 0.4.1 figures (sigmoid 2.6e-3, ReLU 1.4e-5, reciprocal 1.6e-3 on 10,000 values) are upper bounds.
"""

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import course_lib as cl
from course_lib import approximations as ap

PARTY_COUNTS = pytest.mark.parametrize("n", [2, 3], ids=["2 parties", "3 parties"])
alice, bob, carol, dave = (cl.VirtualWorker(n) for n in ("alice", "bob", "carol", "dave"))


# Seeded shares: a product's truncation fails with probability about |x·y|·2^-64 (chapter 03); the squarings in exp
# reach e^10·2^32, so with CSPRNG shares these thousands of values would fail about once in a hundred runs.
@pytest.fixture(autouse=True)
def _seeded_shares(_secure_by_default):
    cl.reproducible(20261130)


def share(x, n):
    return cl.share(x, *(alice, bob, dave)[:n], crypto_provider=carol)


# name: (largest absolute error, largest relative error where |f| >= 0.01), on shares with 2 or 3 parties
BOUNDS = {
    "relu": (2.0**-17, 1e-3),  # exact: only the encoding of x rounds, by at most half a unit (2^-17 / 0.01)
    "exp": (8.0, 3e-3),  # at x = 10, e^10 = 22026: the relative error counts (2^-16 / 0.01 below)
    "reciprocal": (1.6e-3, 3e-4),
    "inv_sqrt": (5e-3, 1e-3),
    "sqrt": (5e-3, 1e-3),
    "sigmoid": (1e-3, 0.1),
    "tanh": (2e-3, 0.1),
    "log": (2e-3, 0.05),
}
PLAINTEXT = {  # the methods' own error (float64, no fixed point)
    "relu": 0.0,
    "exp": 4.0,  # relative 1.6e-4 at e^10
    "reciprocal": 2e-4,  # relative 1.7e-5 after 4 Newton steps
    "inv_sqrt": 1e-6,
    "sqrt": 1e-5,
    "sigmoid": 3e-4,
    "tanh": 6e-4,
    "log": 3e-5,
}


@pytest.mark.parametrize("name", sorted(PLAINTEXT))
def test_each_method_on_plaintext_is_within_its_error(name):
    report = ap.max_error(name)
    assert report.max_abs <= PLAINTEXT[name], str(report)
    assert report.within_tolerance
    assert not report.shared and report.points >= 20_000


@PARTY_COUNTS
@pytest.mark.parametrize("name", sorted(BOUNDS))
def test_each_function_on_shares_is_within_its_error_at_every_grid_point(n, name):
    report = ap.max_error(name, points=10_001 if n == 2 else 2_001, shared=True, parties=n)
    largest_abs, largest_rel = BOUNDS[name]
    assert report.within_tolerance, str(report)  # rel <= 5% or abs <= 0.01 at every point of the domain
    assert report.max_abs <= largest_abs, str(report)
    assert report.max_rel <= largest_rel, str(report)


def test_no_worse_than_crypten_on_10000_values():
    g = torch.Generator().manual_seed(0)
    cases = {
        "sigmoid": (torch.rand(10_000, generator=g, dtype=torch.float64) * 20 - 10, 2.6e-3),
        "relu": (torch.randn(10_000, generator=g, dtype=torch.float64) * 5, 1.4e-5),
        "reciprocal": (
            (torch.rand(10_000, generator=g, dtype=torch.float64) * 9.9 + 0.1)
            * torch.where(torch.rand(10_000, generator=g) < 0.5, -1.0, 1.0).double(),
            1.6e-3,
        ),
    }
    for name, (x, crypten) in cases.items():
        report = ap.max_error(name, shared=True, x=x)
        assert report.max_abs <= crypten, str(report)


# ----- the pieces: polynomials, Taylor, the limit, Newton ------------------------------------------------------------
@PARTY_COUNTS
@pytest.mark.parametrize("method", ["horner", "powers", "paterson-stockmeyer"])
@pytest.mark.parametrize("degree", [1, 2, 3, 5, 8, 9])
def test_polynomial_evaluators_agree_and_count_their_products(n, method, degree):
    p = ap.chebyshev_fit(torch.sin, (-2.0, 3.0), degree)
    x = torch.linspace(-2, 3, 41, dtype=torch.float64)
    with ap.count_operations() as plain:
        expected = p(x, method)
    with ap.count_operations() as shared:
        got = p(share(x, n), method).get()
    assert plain.products == shared.products == p.products(method)
    assert (got - expected).abs().max() <= 2e-4  # a few units of 2^-16 per product
    if method == "paterson-stockmeyer" and degree >= 5:
        assert p.products(method) < p.products("horner")


def test_chebyshev_fit_beats_taylor_on_the_whole_domain():
    x = torch.linspace(-10, 10, 2001, dtype=torch.float64)
    fitted = ap.chebyshev_fit(torch.exp, (-10.0, 10.0), 12)
    taylor_error = (ap.taylor_exp(x, terms=13) - x.exp()).abs().max()
    fitted_error = (fitted(x) - x.exp()).abs().max()
    assert fitted_error < taylor_error / 10
    near = torch.linspace(-1, 1, 101, dtype=torch.float64)
    assert (ap.taylor_exp(near, terms=8) - near.exp()).abs().max() < 3e-5  # Taylor is fine near 0


def test_exp_limit_has_crypten_error_and_ours_does_not():
    report = ap.max_error("exp_limit")  # (1 + x/256)^256
    assert 0.15 < report.max_rel < 0.2  # about x^2 / 2^(n+1) = 100 / 512 at x = 10
    assert ap.max_error("exp").max_rel < 2e-4
    assert ap.max_error("exp_limit", iterations=12).max_rel < 0.02


def test_newton_reciprocal_and_crypten_guess():
    x = torch.linspace(0.1, 10, 1001, dtype=torch.float64)
    with ap.count_operations() as crypten:
        y = ap.crypten_reciprocal(x)
    assert (y * x - 1).abs().max() < 1e-9
    with ap.count_operations() as ours:
        y = ap.reciprocal(x)
    assert (y * x - 1).abs().max() < 2e-5
    assert ours.products < crypten.products / 2  # 10 (with the sign) against 28, and 3 comparisons
    # too few Newton steps from a poor guess: CrypTen's needs its 10
    assert (ap.crypten_reciprocal(x, iterations=4) * x - 1).abs().max() > 0.1


@pytest.mark.parametrize("iterations, bound", [(2, 0.07), (3, 5e-3), (4, 2e-5), (5, 1e-9)])
def test_newton_converges_quadratically(iterations, bound):
    report = ap.max_error("reciprocal", iterations=iterations, points=2001)
    assert report.max_rel <= bound


@PARTY_COUNTS
def test_counts_are_the_same_on_plaintext_and_on_shares(n):
    x = torch.linspace(0.2, 9, 50, dtype=torch.float64)
    for name in ("sigmoid", "reciprocal", "exp", "log", "sqrt"):
        fn = ap.FUNCTIONS[name][0]
        with ap.count_operations() as plain:
            fn(x)
        sx = share(x, n)
        with ap.count_operations() as shared, cl.measure_cost() as cost:
            fn(sx)
        assert (plain.products, plain.comparisons) == (shared.products, shared.comparisons)
        assert cost.rounds > 0 and cost.dealer_bytes > 0


def test_the_docstring_costs():
    x = torch.linspace(-3, 3, 11, dtype=torch.float64)
    for name, (products, comparisons) in {
        "relu": (1, 1),
        "exp": (7, 1),
        "reciprocal": (10, 3),
        "inv_sqrt": (11, 6),
        "sqrt": (12, 6),
        "sigmoid": (6, 3),
        "tanh": (6, 3),
        "log": (5, 6),
    }.items():
        with ap.count_operations() as tally:
            ap.FUNCTIONS[name][0](x.abs() + 0.5)
        assert (tally.products, tally.comparisons) == (products, comparisons), name


# ----- through SharedTensor's methods, extremes, shapes --------------------------------------------------------------
@PARTY_COUNTS
def test_methods_on_shared_tensor(n):
    x = torch.tensor([[0.5, 2.0], [4.0, 9.0]], dtype=torch.float64)
    sx = share(x, n)
    for method, exact in [
        ("exp", torch.exp),
        ("reciprocal", torch.reciprocal),
        ("sqrt", torch.sqrt),
        ("inv_sqrt", torch.rsqrt),
        ("rsqrt", torch.rsqrt),
        ("sigmoid", torch.sigmoid),
        ("tanh", torch.tanh),
        ("log", torch.log),
    ]:
        got = getattr(sx, method)()
        assert isinstance(got, cl.SharedTensor) and got.shape == (2, 2)
        assert ((got.get() - exact(x)).abs() <= 2e-3 + 1e-3 * exact(x).abs()).all(), method
    assert (sx * share(x, n).reciprocal() - 1).get().abs().max() < 1e-3  # x / y for a shared y
    assert (sx.reciprocal(domain=(0.5, 1000.0)).get() - 1 / x).abs().max() < 1e-3  # a wider domain: one more comparison


@PARTY_COUNTS
def test_extreme_inputs_saturate(n):
    top = 2.0**47 - 1
    x = torch.tensor([-top, -1e6, -50.0, -10.0, 0.0, 10.0, 50.0, 1e6, top], dtype=torch.float64)
    sx = share(x, n)
    assert (sx.sigmoid().get() - torch.sigmoid(x)).abs().max() <= 2.5e-4  # the fit's error at the ends
    assert (sx.tanh().get() - torch.tanh(x)).abs().max() <= 5e-4
    assert torch.equal(sx.relu().get(), torch.relu(x))
    low = sx[:4].exp().get()  # x <= -10 counts as -10: e^-10 = 4.5e-5
    assert (low - torch.exp(x[:4])).abs().max() <= 1e-4


@PARTY_COUNTS
def test_sqrt_of_zero_is_zero(n):
    assert share(torch.zeros(3), n).sqrt().get().abs().max() <= 2.0**-15


@given(
    x=arrays(
        np.float64, st.lists(st.integers(1, 5), min_size=0, max_size=3).map(tuple), elements=st.floats(-30, 30)
    ).map(torch.from_numpy)
)
def test_sigmoid_and_tanh_on_any_shape(x):
    sx = share(x, 2)
    s = sx.sigmoid()
    assert s.shape == x.shape
    assert (s.get() - torch.sigmoid(x)).abs().max() <= 1e-3 if x.numel() else True
    assert (sx.tanh().get() - torch.tanh(x)).abs().max() <= 2e-3 if x.numel() else True


@given(x=st.floats(0.1, 10) | st.floats(-10, -0.1))
def test_reciprocal_of_any_value_in_its_domain(x):
    got = share(torch.tensor([x], dtype=torch.float64), 2).reciprocal().get().item()
    assert abs(got - 1 / x) <= max(1.6e-3, 3e-4 * abs(1 / x))


def test_plaintext_keeps_the_dtype():
    x = torch.linspace(-3, 3, 7)
    for name in ("exp", "sigmoid", "tanh", "relu"):
        assert ap.FUNCTIONS[name][0](x).dtype == torch.float32
    assert share(x, 2).sigmoid().dtype == torch.float32


def test_bad_parameters_get_clear_errors():
    with pytest.raises(ValueError, match="unknown function"):
        ap.max_error("cosine")
    with pytest.raises(ValueError, match="unknown method"):
        ap.chebyshev_fit(torch.exp, (0.0, 1.0), 3)(torch.ones(2), method="magic")
    with pytest.raises(ValueError, match="low < high"):
        ap.chebyshev_fit(torch.exp, (1.0, 1.0), 3)
    with pytest.raises(ValueError, match="0 < low < high"):
        ap.reciprocal(torch.ones(2), domain=(0.0, 10.0))
    with pytest.raises(ValueError, match="unknown method"):
        ap.sigmoid(torch.ones(2), method="magic")
    with pytest.raises(ValueError, match="crypto_provider="):
        cl.share(torch.ones(2), alice, bob).exp()


def test_error_report_reads_well():
    report = ap.max_error("sigmoid", points=101)
    assert "sigmoid" in str(report) and "max abs error" in str(report)
    assert math.isfinite(report.worst_x)
