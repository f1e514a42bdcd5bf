"""`@` follows torch.matmul exactly: shapes and values, ranks 1–4, broadcasting, shared or public on either side.

The party axis of the stacked shares must never pair up with a batch axis: before this was fixed, shared (2, 40, 64) @
shared (64, 10) was off by about 4e9, public (2, 40, 64) @ shared (64, 10) came back as (40, 10), and a leading batch
dimension of 1 was dropped. Plaintext torch.matmul is the oracle.
"""

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import course_lib as cl

RES = 2.0**-16


@pytest.fixture(autouse=True)
def _seeded_shares(_secure_by_default):
    cl.reproducible(314, quiet=True)  # truncation's rare wrap (|x|/2^64) must not make CI flaky


def _share(t, n):
    parties = [cl.VirtualWorker(name) for name in ("alice", "bob", "dave")[:n]]
    return cl.share(t, *parties, crypto_provider=cl.VirtualWorker("carol"))


@st.composite
def matmul_shapes(draw):
    """Two shapes torch.matmul accepts: ranks 1–4, batch dimensions that broadcast (1s, missing ones, equal ones)."""
    m, k, n = (draw(st.integers(1, 4)) for _ in range(3))
    batch = draw(st.lists(st.integers(1, 3), max_size=2))
    left_rank, right_rank = draw(st.integers(1, 4)), draw(st.integers(1, 4))

    def batch_for(rank: int) -> list[int]:
        dims = batch[len(batch) - max(rank - 2, 0) :] if rank > 2 else []
        dims = dims + [1] * (max(rank - 2, 0) - len(dims))  # pad with 1s: they broadcast too
        return [d if draw(st.booleans()) else 1 for d in dims]

    left = [k] if left_rank == 1 else [*batch_for(left_rank), m, k]
    right = [k] if right_rank == 1 else [*batch_for(right_rank), k, n]
    return tuple(left), tuple(right)


def _values(shape, seed):
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64) * 3


@pytest.mark.parametrize("n", [2, 3])
@given(shapes=matmul_shapes(), seed=st.integers(0, 1000))
def test_matmul_matches_torch_for_every_rank_and_broadcast(n, shapes, seed):
    left_shape, right_shape = shapes
    x, y = _values(left_shape, seed), _values(right_shape, seed + 1)
    expected = torch.matmul(x, y)
    k = x.shape[-1]
    # each product of two encodings is off by ≤ RES/2·(|x|+|y|) + RES²/4, summed over k terms, plus one truncation unit
    tolerance = k * RES * (x.abs().max() + y.abs().max() + 1) + 2 * RES
    for name, got in [
        ("shared @ shared", _share(x, n) @ _share(y, n)),
        ("public @ shared", x @ _share(y, n)),
        ("shared @ public", _share(x, n) @ y),
    ]:
        result = got.get()
        assert result.shape == expected.shape, f"{name}: {tuple(result.shape)} != torch's {tuple(expected.shape)}"
        assert torch.all((result - expected).abs() <= tolerance), f"{name}: off by {(result - expected).abs().max()}"


@pytest.mark.parametrize(
    "left, right",
    [((2, 40, 64), (64, 10)), ((1, 3, 4), (4, 5)), ((3, 4), (2, 4, 5)), ((7, 3, 4), (4, 5)), ((2, 1, 3, 4), (5, 4, 2))],
)
@pytest.mark.parametrize("n", [2, 3])
def test_the_cases_the_review_found(n, left, right):
    x, y = _values(left, 1), _values(right, 2)
    for got in (_share(x, n) @ _share(y, n), x @ _share(y, n), _share(x, n) @ y):
        result = got.get()
        assert result.shape == torch.matmul(x, y).shape
        assert (result - torch.matmul(x, y)).abs().max() < 1e-2


def test_integer_public_operands_are_exact_and_need_no_truncation():
    x = _values((2, 3, 4), 5)
    w = torch.randint(-5, 5, (4, 2), generator=torch.Generator().manual_seed(6))
    shared = _share(x, 3)
    with cl.measure_cost() as cost:
        result = (shared @ w).get()
        left = (w.T @ shared.transpose(1, 2)).get()
    assert cost.rounds == 2  # the two reveals only: an integer factor needs no truncation
    assert torch.allclose(result, x @ w.double(), atol=8 * RES)
    assert torch.allclose(left, w.T.double() @ x.transpose(1, 2), atol=8 * RES)


@pytest.mark.parametrize(
    "left, right, words",
    [
        ((3, 4), (5, 2), "the left's columns (4) must equal the right's rows (5)"),
        ((2, 3, 4), (3, 4, 2), "batch dimensions (2,) and (3,) do not broadcast"),
        ((), (3,), "at least one dimension"),
        ((4,), (), "at least one dimension"),
    ],
)
def test_shapes_torch_refuses_are_refused_clearly(left, right, words):
    x, y = torch.ones(left), torch.ones(right)
    for call in (lambda: _share(x, 2) @ _share(y, 2), lambda: x @ _share(y, 2), lambda: _share(x, 2) @ y):
        with pytest.raises(ValueError) as error:
            call()
        assert words in str(error.value)
