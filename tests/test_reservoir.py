"""The article's demo on course_lib: the encrypted run learns XOR and tracks its plaintext twin step by step."""

import pytest
import torch

import course_lib as cl
from course_lib.reservoir import (
    reservoir_features,
    reservoir_weights,
    run_experiment,
    train_encrypted,
    train_plaintext,
    training_step,
    xor_dataset,
)

alice, bob, carol, dave = (cl.VirtualWorker(n) for n in ("alice", "bob", "carol", "dave"))


@pytest.fixture(scope="module")
def features():
    inputs, _ = xor_dataset()
    return reservoir_features(inputs, reservoir_weights(256, seed=0))


def test_the_article_loop_written_as_the_article_writes_it(features):
    """pred = data.mm(model); grad = pred - target; update = data.transpose(0, 1).mm(grad); model = model - update*lr"""
    _, targets = xor_dataset()
    data = cl.share(features, alice, bob, crypto_provider=carol)
    target = cl.share(targets, alice, bob, crypto_provider=carol)
    model = cl.share(torch.zeros(256, 1), alice, bob, crypto_provider=carol)
    plain_model = torch.zeros(256, 1)
    for _ in range(20):
        pred = data.mm(model)
        grad = pred - target
        update = data.transpose(0, 1).mm(grad)
        model = model - update * 1e-3
        plain_model, _, _ = training_step(features, targets, plain_model, 1e-3)
    assert torch.allclose(model.get(), plain_model, atol=1e-3)


@pytest.mark.parametrize("parties", [(alice, bob), (alice, bob, dave)], ids=["2 parties", "3 parties"])
def test_encrypted_training_learns_xor_like_its_plaintext_twin(features, parties):
    _, targets = xor_dataset()
    encrypted = train_encrypted(features, targets, parties, carol)
    plain = train_plaintext(features, targets)
    assert encrypted.losses[0] == pytest.approx(2.0, abs=1e-4)  # zero model: every error is the target itself
    assert torch.equal((encrypted.predictions > 0.5).float(), targets)
    # fixed point and truncation cost a little accuracy, step by step: the curves stay within a few percent
    for step in (50, 100, 150, 200, 249):
        assert encrypted.losses[step] == pytest.approx(plain.losses[step], rel=0.05, abs=2e-3)
    assert encrypted.losses[-1] < 0.1


def test_the_loss_can_stay_secret_between_reveals(features):
    _, targets = xor_dataset()
    seen = []
    run = train_encrypted(
        features,
        targets,
        (alice, bob),
        carol,
        steps=60,
        reveal_loss_every=25,
        callback=lambda step, loss, model: seen.append((step, loss, type(model).__name__)),
    )
    assert [s for s, loss in run.revealed_losses()] == [0, 25, 50, 59]
    assert len(seen) == 60 and all(kind == "SharedTensor" for _, _, kind in seen)
    assert run.report(every=25).splitlines()[0] == "loss at step 0: 2.000e+00"


def test_what_breaks_and_why():
    _, targets = xor_dataset()
    too_few = run_experiment(reservoir_size=4, steps=250)
    assert too_few.verdict("plaintext") == "did not learn XOR"
    too_fast = run_experiment(learning_rate=1e-2, steps=250)
    assert too_fast.verdict("encrypted") == "diverged"
    too_coarse = run_experiment(precision_bits=8, steps=100)  # 1e-3 * 2^8 rounds to 0: the model never moves
    assert too_coarse.encrypted.losses[-1] == pytest.approx(2.0, abs=1e-2)
    assert too_coarse.verdict("plaintext") != "diverged"


def test_bad_settings_get_clear_errors(features):
    _, targets = xor_dataset()
    with pytest.raises(ValueError, match="at least one feature"):
        reservoir_weights(0)
    with pytest.raises(ValueError, match="steps must be a whole number of at least 1"):
        train_plaintext(features, targets, steps=0)
    with pytest.raises(ValueError, match="reveal_loss_every"):
        train_encrypted(features, targets, (alice, bob), carol, steps=5, reveal_loss_every=0)
