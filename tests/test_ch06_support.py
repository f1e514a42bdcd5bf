"""What chapter 06 added to the library: Taylor series for 1/x and the sigmoid, CrypTen's sigmoid, `logistic.classify`,
and the training monitor's plot options (for a loss other than chapter 05's)."""

import math
from fractions import Fraction

import pytest
import torch

import course_lib as cl
from course_lib import approximations as ap
from course_lib import logistic
from course_lib.datasets import breast_cancer
from course_lib.widgets.training_monitor import training_monitor

alice, bob, dave, carol = (cl.VirtualWorker(n) for n in ("alice", "bob", "dave", "carol"))


@pytest.fixture(autouse=True)
def _seeded(_secure_by_default):
    cl.reproducible(606, quiet=True)


def test_taylor_reciprocal_is_the_geometric_series_around_1():
    x = torch.tensor([0.5, 0.9, 1.0, 1.2, 1.5, 3.0], dtype=torch.float64)
    expected = sum((1 - x) ** k for k in range(9))
    assert torch.allclose(ap.taylor_reciprocal(x, 8), expected)
    errors = [(ap.taylor_reciprocal(x, d) * x - 1).abs() for d in (4, 8, 16)]
    assert float(errors[2][1]) < float(errors[1][1]) < float(errors[0][1]) < 1e-4  # x = 0.9: converges
    assert float(errors[2][-1]) > float(errors[1][-1]) > float(errors[0][-1]) > 1  # x = 3: diverges
    with pytest.raises(ValueError, match="at least 0"):
        ap.taylor_reciprocal(x, -1)


def test_taylor_sigmoid_has_the_known_coefficients_and_radius_pi():
    coefficients = ap._taylor_sigmoid_core(7).coefficients
    assert coefficients[0::2] == (0.5, 0.0, 0.0, 0.0)
    assert coefficients[1::2] == pytest.approx([1 / 4, -1 / 48, 1 / 480, -17 / 80640])
    assert ap._bernoulli(6)[:7] == [1, Fraction(-1, 2), Fraction(1, 6), 0, Fraction(-1, 30), 0, Fraction(1, 42)]
    inside = torch.tensor([-2.0, -0.5, 1.0, 2.5], dtype=torch.float64)
    outside = torch.tensor([-5.0, 4.0], dtype=torch.float64)
    inner = [(ap.taylor_sigmoid(inside, d) - inside.sigmoid()).abs().max() for d in (3, 9, 21)]
    outer = [(ap.taylor_sigmoid(outside, d) - outside.sigmoid()).abs().max() for d in (3, 9, 21)]
    assert inner[0] > inner[1] > inner[2]  # |x| < pi: more terms help
    assert outer[0] < outer[1] < outer[2]  # |x| > pi: more terms make it worse
    with pytest.raises(ValueError, match="at least 1"):
        ap.taylor_sigmoid(inside, 0)


def test_crypten_sigmoid_in_plaintext_and_on_shares():
    x = torch.linspace(-10, 10, 401, dtype=torch.float64)
    with ap.count_operations() as tally:
        plain = ap.crypten_sigmoid(x)
    assert (tally.products, tally.comparisons) == (15, 1)  # 2 sign products, 9 squarings, 2 Newton steps of 2
    assert 1e-3 < float((plain - x.sigmoid()).abs().max()) < 2.5e-3  # 3 Newton steps from 0.75
    errors = [float((ap.crypten_sigmoid(x, iterations=k) - x.sigmoid()).abs().max()) for k in range(4)]
    assert errors == sorted(errors, reverse=True) and errors[0] == pytest.approx(0.25, abs=0.01)
    for parties in ((alice, bob), (alice, bob, dave)):
        shared = cl.share(x, *parties, crypto_provider=carol)
        assert float((ap.crypten_sigmoid(shared).get() - x.sigmoid()).abs().max()) < 4e-3


@pytest.fixture(scope="module")
def data():
    cancer = breast_cancer()
    train_rows, test_rows = cancer.train_test_split()
    scaler = logistic.Scaler.fit(cancer.features[train_rows])
    labels = cancer.malignant.reshape(-1, 1)
    x, y = scaler(cancer.features[train_rows]), labels[train_rows]
    model, _ = logistic.train(x, y, logistic.Model.zeros(30), 0.5, logistic.batches(len(x), 32, 3))
    return scaler(cancer.features[test_rows]), labels[test_rows], model


def test_classify_in_plaintext_is_predict(data):
    x_test, _, model = data
    got = logistic.classify(x_test, model)
    assert got.dtype == torch.float64 and got.shape == (len(x_test), 1)
    assert torch.equal(got.long().flatten(), logistic.predict(x_test, model))


def test_classify_on_shares_gives_shared_bits_that_match_plaintext_and_reveals_nothing(data):
    x_test, y_test, model = data
    shared_model = logistic.Model(
        cl.share(model.weights, alice, bob, crypto_provider=carol),
        cl.share(model.bias, alice, bob, crypto_provider=carol),
    )
    features = cl.share(x_test, alice, bob, crypto_provider=carol)
    with cl.record_openings() as log, cl.measure_cost() as cost:
        bits = logistic.classify(features, shared_model)
    assert isinstance(bits, cl.SharedTensor)
    assert {o.kind for o in log} == {"masked"}
    assert cost.rounds == 1 + 7  # the scores (one Beaver matrix product), then one comparison with 0
    revealed = bits.get()
    assert torch.equal(revealed, logistic.classify(x_test, model))
    assert 0.9 < logistic.accuracy(revealed, y_test)


def test_the_monitor_takes_a_title_a_loss_name_and_a_top():
    default = training_monitor(steps=3).model
    assert (default.title, default.loss_name, default.loss_max) == (
        "Learning XOR while encrypted",
        "sum of squared errors",
        2.1,
    )  # chapter 05's, unchanged
    monitor = training_monitor(steps=3, title="Logistic", loss_name="Brier", loss_max=0.3)
    assert (monitor.model.title, monitor.model.loss_name, monitor.model.loss_max) == ("Logistic", "Brier", 0.3)
    before = monitor.widget.parts["plot"].value
    for step in range(3):
        monitor.update(step, 0.25 - step / 10, None)
    assert monitor.widget.parts["plot"].value != before
    with pytest.raises(TypeError, match="unexpected options"):
        training_monitor(steps=3, colour="red")
    assert math.isclose(monitor.model.progress, 1.0)
