"""What each party sees, as the runtime records it: every sentence of the course about what is opened has a test here.

`cl.record_openings()` logs every value that leaves the shares: "masked" values inside a protocol (a secret plus a
fresh uniform mask from the dealer) and "revealed" results (a deliberate `get()`).
"""

import pytest
import torch

import course_lib as cl
from course_lib.reservoir import (
    reservoir_features,
    reservoir_weights,
    train_encrypted,
    training_step,
    xor_dataset,
)

alice, bob, carol, dave = (cl.VirtualWorker(n) for n in ("alice", "bob", "carol", "dave"))


def _share(t, *parties):
    return cl.share(t, *(parties or (alice, bob)), crypto_provider=carol)


def test_a_beaver_product_opens_two_masked_values_and_reveals_nothing():
    """Chapter 04: "Alice and Bob see their own shares and the opened e = x - a and f = y - b, nothing else"."""
    x, y = _share(torch.ones(3, 4)), _share(torch.ones(4, 2))
    with cl.record_openings() as log:
        x * _share(torch.ones(3, 4))
        x @ y
    assert [o.kind for o in log] == ["masked"] * 4
    assert [o.shape for o in log] == [(3, 4), (3, 4), (3, 4), (4, 2)]
    assert all(o.receivers == ("alice", "bob") for o in log)


def test_three_party_truncation_opens_one_masked_value_more():
    x = _share(torch.ones(5), alice, bob, dave)
    with cl.record_openings() as log:
        x * 0.5
    assert [(o.kind, o.shape) for o in log] == [("masked", (5,))]  # z = x + r, then nothing else


def test_two_party_truncation_and_division_open_nothing():
    x = _share(torch.ones(5))
    with cl.record_openings() as log:
        x * 0.5, x / 3, x.mean()
    assert log == []


def test_get_reveals_to_the_caller_only():
    x = _share(torch.ones(2))
    with cl.record_openings() as log:
        x.get()
    assert [(o.kind, o.receivers) for o in log] == [("revealed", ("you",))]


@pytest.fixture
def xor():
    inputs, targets = xor_dataset()
    return reservoir_features(inputs, reservoir_weights(64)), targets


def test_the_articles_loop_gives_the_targets_away_at_step_zero(xor):
    """Chapter 05's lesson: the article opens the error vector every step; the model starts at zero, so the first
    opened error IS minus the targets."""
    features, targets = xor
    data, target, model = _share(features), _share(targets), _share(torch.zeros(64, 1))
    _, _, error = training_step(data, target, model, 1e-3)
    assert torch.equal(error.get(), -targets)


@pytest.mark.parametrize("parties", [(alice, bob), (alice, bob, dave)])
def test_encrypted_training_reveals_the_loss_as_one_number_and_the_final_predictions(xor, parties):
    """train_encrypted: during training only the loss (one number per revealed step) is opened to the loop's
    owner; the error vector never; at the end the predictions. Everything else is masked."""
    features, targets = xor
    with cl.record_openings() as log:
        run = train_encrypted(features, targets, parties, carol, steps=12, reveal_loss_every=5)
    revealed = [o for o in log if o.kind == "revealed"]
    assert [o.shape for o in revealed] == [()] * 4 + [(4, 1)]  # losses at steps 0, 5, 10, 11; then the predictions
    assert all(o.receivers == ("you",) for o in revealed)
    assert [s for s, _ in run.revealed_losses()] == [0, 5, 10, 11]
    masked = [o for o in log if o.kind == "masked"]
    assert masked and all(o.receivers == tuple(p.id for p in parties) for o in masked)


def test_the_opened_masks_do_not_depend_on_the_data(xor):
    """The masked openings of a training step look the same whatever the data: compare the top byte of every
    opened ring element for two very different data sets (a chi-square test, seeded so it cannot flake)."""
    features, targets = xor

    def top_bytes(scale):
        with cl.reproducible(99, quiet=True), cl.record_openings() as log:
            train_encrypted(features * scale, targets, (alice, bob), carol, steps=3, reveal_loss_every=3)
        values = torch.cat([o.value.reshape(-1) for o in log if o.kind == "masked"])
        return torch.bincount((values >> 56) + 128, minlength=256).double()

    small, large = top_bytes(0.001), top_bytes(50.0)
    total = small + large
    expected_small = total * small.sum() / total.sum()
    chi2 = float(((small - expected_small) ** 2 / expected_small.clamp(min=1)).sum()) * 2
    assert chi2 < 340  # 255 degrees of freedom: the 0.1% critical value is about 330
