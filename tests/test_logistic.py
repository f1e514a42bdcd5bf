"""Logistic regression written once: the same step on torch tensors and on shares agrees, and it learns the data."""

import pytest
import torch

import course_lib as cl
from course_lib import logistic as lg
from course_lib.datasets import breast_cancer

alice, bob, carol, dave = (cl.VirtualWorker(n) for n in ("alice", "bob", "carol", "dave"))


@pytest.fixture(scope="module")
def data():
    cancer = breast_cancer()
    train_rows, test_rows = cancer.train_test_split()
    scaler = lg.Scaler.fit(cancer.features[train_rows])
    labels = cancer.malignant.reshape(-1, 1)
    return (
        scaler(cancer.features[train_rows]),
        labels[train_rows],
        scaler(cancer.features[test_rows]),
        labels[test_rows],
    )


def test_plaintext_training_learns_the_data(data):
    x, y, x_test, y_test = data
    model, log = lg.train(x, y, lg.Model.zeros(30), 0.5, lg.batches(len(x), 32, 5), reveal_loss_every=7)
    assert lg.accuracy(lg.predict(x_test, model), y_test) > 0.93
    revealed = [loss for loss in log.losses if loss is not None]
    assert revealed[-1] < revealed[0]
    assert lg.confusion_matrix(lg.predict(x_test, model), y_test).sum() == len(y_test)


@pytest.mark.parametrize("parties", [(alice, bob), (alice, bob, dave)])
def test_a_step_on_shares_matches_the_plaintext_step(data, parties):
    x, y, _, _ = data
    rows = lg.batches(len(x), 16, 1)[0]
    plain_model = lg.Model(
        0.1 * torch.randn(30, 1, dtype=torch.float64, generator=torch.Generator().manual_seed(1)),
        torch.tensor([0.2], dtype=torch.float64),
    )
    expected, _ = lg.training_step(x[rows], y[rows], plain_model, 0.5)
    with cl.reproducible(3, quiet=True):
        shared = [cl.share(t, *parties, crypto_provider=carol) for t in (x, y, plain_model.weights, plain_model.bias)]
        got, _ = lg.training_step(shared[0][rows], shared[1][rows], lg.Model(shared[2], shared[3]), 0.5)
    assert torch.allclose(got.weights.get(), expected.weights, atol=2e-3)
    assert torch.allclose(got.bias.get(), expected.bias, atol=2e-3)


def test_training_on_shares_reveals_only_the_losses_it_is_asked_for(data):
    x, y, _, _ = data
    x, y = x[:64], y[:64]
    with cl.reproducible(4, quiet=True):
        sx, sy = cl.share(x, alice, bob, crypto_provider=carol), cl.share(y, alice, bob, crypto_provider=carol)
        model = lg.Model(
            cl.share(torch.zeros(30, 1), alice, bob, crypto_provider=carol),
            cl.share(torch.zeros(1), alice, bob, crypto_provider=carol),
        )
        with cl.record_openings() as log:
            _, losses = lg.train(sx, sy, model, 0.5, lg.batches(64, 16, 1), cl.SharedTensor.get, reveal_loss_every=2)
    assert [o.shape for o in log if o.kind == "revealed"] == [()] * 3  # steps 0, 2 and the last one (3)
    assert [s for s, loss in enumerate(losses.losses) if loss is not None] == [0, 2, 3]


def test_bad_batches_are_refused():
    with pytest.raises(ValueError, match="at least 1"):
        lg.batches(10, 0, 1)
