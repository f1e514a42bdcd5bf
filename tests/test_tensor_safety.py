"""SharedTensor never reveals by accident, and every bad input gets an error that says what to fix."""

import math

import numpy as np
import pytest
import torch

import course_lib as cl

alice, bob, carol, dave = (cl.VirtualWorker(n) for n in ("alice", "bob", "carol", "dave"))


@pytest.fixture
def x():
    return cl.share(torch.tensor([[1.5, -2.0], [3.0, 4.0]]), alice, bob, crypto_provider=carol)


def test_repr_shows_shape_and_parties_never_values(x):
    text = repr(x) + str(x) + f"{x}"
    assert "shape=(2, 2)" in text and "alice, bob" in text and "dealer carol" in text
    for secret in ("1.5", "2.0", "98304", "-131072"):  # the values and their encodings
        assert secret not in text


@pytest.mark.parametrize(
    "reveal",
    [
        bool,
        float,
        int,
        lambda t: np.asarray(t),
        lambda t: t.item(),
        lambda t: t.tolist(),
        lambda t: t.numpy(),
        lambda t: t == t,
        lambda t: bool(t < 0),  # `<` is a secure comparison now (chapter 06): its result still refuses bool()
        lambda t: 1 if t else 0,
        lambda t: [0, 1, 2, 3][t],
    ],
    ids=["bool", "float", "int", "numpy.asarray", "item", "tolist", "numpy", "==", "<", "if", "index"],
)
def test_nothing_turns_a_shared_tensor_into_plaintext_by_accident(x, reveal):
    with pytest.raises(TypeError, match=r"reveal|get\(\)"):
        reveal(x)


def test_shares_are_what_each_party_holds(x):
    assert x.shares.shape == (2, 2, 2) and x.shares.dtype == torch.int64
    assert torch.equal(x.share_of(bob), x.shares[1])
    with pytest.raises(ValueError, match="holds no share"):
        x.share_of(dave)


BAD_INPUTS = [
    # (description, call, error, words that must appear in the message)
    ("one party", lambda x: cl.share(torch.ones(2), alice), ValueError, "at least 2 parties"),
    ("a party named twice", lambda x: cl.share(torch.ones(2), alice, alice), ValueError, "names a party twice"),
    ("a party that is not a worker", lambda x: cl.share(torch.ones(2), alice, "bob"), TypeError, "VirtualWorker"),
    (
        "dealer is a party",
        lambda x: cl.share(torch.ones(2), alice, bob, crypto_provider=bob),
        ValueError,
        "both a party and the crypto provider",
    ),
    (
        "dealer not a worker",
        lambda x: cl.share(torch.ones(2), alice, bob, crypto_provider="carol"),
        TypeError,
        "crypto_provider",
    ),
    ("NaN", lambda x: cl.share(torch.tensor([math.nan]), alice, bob), ValueError, "NaN"),
    ("inf", lambda x: cl.share(torch.tensor([math.inf]), alice, bob), ValueError, "inf"),
    ("overflow", lambda x: cl.share(torch.tensor([1e15]), alice, bob), OverflowError, "outside the range"),
    ("a string secret", lambda x: cl.share("secret", alice, bob), TypeError, "real numbers"),
    ("bad precision", lambda x: cl.share(torch.ones(1), alice, bob, precision_bits=40), ValueError, "precision_bits"),
    (
        "different parties",
        lambda x: x + cl.share(torch.ones(2, 2), alice, dave, crypto_provider=carol),
        ValueError,
        "different parties",
    ),
    (
        "different dealer",
        lambda x: x * cl.share(torch.ones(2, 2), alice, bob, crypto_provider=dave),
        ValueError,
        "different parties",
    ),
    (
        "different precision",
        lambda x: x + cl.share(torch.ones(2, 2), alice, bob, crypto_provider=carol, precision_bits=8),
        ValueError,
        "different precision",
    ),
    (
        "shapes that do not broadcast",
        lambda x: x + cl.share(torch.ones(3), alice, bob, crypto_provider=carol),
        ValueError,
        "do not broadcast",
    ),
    ("public shape mismatch", lambda x: x * torch.ones(3, 3), ValueError, "do not broadcast"),
    (
        "matmul inner sizes",
        lambda x: x @ cl.share(torch.ones(3, 2), alice, bob, crypto_provider=carol),
        ValueError,
        "columns (2) must equal the right's rows (3)",
    ),
    ("public matmul inner sizes", lambda x: torch.ones(2, 3) @ x, ValueError, "must equal the right's rows"),
    ("mm on a vector", lambda x: x[0].mm(x), ValueError, "two matrices"),
    (
        "no dealer for a product",
        lambda x: cl.share(torch.ones(2), alice, bob) * cl.share(torch.ones(2), alice, bob),
        ValueError,
        "crypto_provider=",
    ),
    (
        "no dealer for 3-party truncation",
        lambda x: cl.share(torch.ones(2), alice, bob, dave) * 0.5,
        ValueError,
        "crypto provider",
    ),
    ("adding a string", lambda x: x + "1", TypeError, "real numbers"),
    ("multiplying by None", lambda x: x * None, TypeError, "real numbers"),
    ("NaN public operand", lambda x: x + math.nan, ValueError, "NaN"),
    ("public operand out of range", lambda x: x * 1e20, OverflowError, "outside the range"),
    ("dividing by a shared value", lambda x: x / x, TypeError, "public number"),
    ("dividing by zero", lambda x: x / 0, ZeroDivisionError, "zero"),
    ("a fractional power", lambda x: x**0.5, ValueError, "positive integer power"),
    ("indexing with a shared tensor", lambda x: x[x], TypeError, "reveal"),
    ("transpose a missing dimension", lambda x: x.transpose(0, 2), IndexError, "out of range"),
    ("t() of a 3-d tensor", lambda x: x.unsqueeze(0).t(), ValueError, "transpose(d0, d1)"),
]


@pytest.mark.parametrize("call, error, words", [b[1:] for b in BAD_INPUTS], ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_gets_a_clear_error_and_changes_nothing(x, call, error, words):
    before = x.shares.clone()
    with pytest.raises(error) as raised:
        call(x)
    assert words in str(raised.value), str(raised.value)
    assert torch.equal(x.shares, before)


def test_every_bad_input_case_has_its_own_name():
    names = [b[0] for b in BAD_INPUTS]
    assert len(set(names)) == len(names), sorted(n for n in names if names.count(n) > 1)
