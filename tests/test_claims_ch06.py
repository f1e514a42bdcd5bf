"""Chapter 06: every sentence that says what a party sees, learns or holds, or what is opened or revealed, has a test.

Each test names the section and quotes the claim it backs. The evidence is the runtime's own record
(`cl.record_openings()`: every value that left the shares, "masked" inside a protocol or "revealed" on purpose, with
its receivers), a recording dealer (what Carol knows), and measurements of what is opened (seeded chi-square tests
on the bits of every opened ring element, so they cannot flake). Everything runs under seeded sources.
"""

from __future__ import annotations

import pytest
import torch

import course_lib as cl
from course_lib import logistic, ring, stats
from course_lib.datasets import breast_cancer

alice, bob, carol = (cl.VirtualWorker(n) for n in ("alice", "bob", "carol"))
PARTIES = ("alice", "bob")
CRITICAL = stats.chi_square_critical(63, z=4.7534)  # 63 degrees of freedom, significance 1e-6


@pytest.fixture
def seeded():
    with cl.reproducible(6, quiet=True):
        yield


def _bit_counts(values: list[torch.Tensor]) -> list[int]:
    """How many of the opened ring elements have each of the 64 bits set (+1, so no count is zero)."""
    flat = torch.cat([v.reshape(-1) for v in values])
    return [int(c) + 1 for c in ((flat.reshape(-1, 1) >> torch.arange(64)) & 1).sum(dim=0).tolist()]


def _alike(a: list[torch.Tensor], b: list[torch.Tensor]) -> bool:
    return stats.chi_square_same(_bit_counts(a), _bit_counts(b)) < CRITICAL


# ===== section 1 ====================================================================================================
def test_s1_a_share_alone_says_nothing_about_the_sign(seeded):
    """§1: "a share is uniform on the whole ring, whatever the secret. Alice's top bit says nothing" — it matches the
    sign of +2.5 and of -3.0 about half the time."""
    for secret in (2.5, -3.0):
        shared = cl.share(torch.full((4000,), secret), alice, bob)
        agree = int(((shared.share_of(alice) < 0).long() == int(secret < 0)).sum())
        assert 1800 < agree < 2200  # 4000 fair coins: 5 standard deviations either side


def test_s1_no_truth_value_without_revealing():
    """§1: "a SharedTensor refuses to give one [a bool]" — `if x > 0` raises instead of revealing."""
    x = cl.share(torch.tensor([-3.0, 2.5]), alice, bob, crypto_provider=carol)
    with pytest.raises(TypeError, match="no truth value"):
        bool(x > 0)


# ===== section 2 ====================================================================================================
def test_s2_a_comparison_opens_seven_masked_values_and_reveals_nothing(seeded):
    """§2.5: "Seven masked openings, one per round ... Nothing is revealed: the result stays shared" — to both
    parties, never to anybody else."""
    u = cl.share(torch.randn(1000, generator=torch.Generator().manual_seed(1)), alice, bob, crypto_provider=carol)
    with cl.record_openings() as log, cl.measure_cost() as cost:
        bits = u < 0
    assert [o.kind for o in log] == ["masked"] * 7 and cost.rounds == 7
    assert all(o.receivers == PARTIES for o in log)
    assert log[0].shape == (1000,)  # c = u + r, one ring element per value
    assert isinstance(bits, cl.SharedTensor)


def test_s2_what_a_comparison_opens_does_not_depend_on_the_secret():
    """§2.3-2.5: "c tells nobody anything: r is uniform and fresh, so c is uniform whatever x is"; the e and f of
    the AND gates and the daBit's e are masked too. Every value opened during x < 0 has the same bit statistics for
    x all +5 and x all -100."""
    opened = {}
    for seed, value in ((21, 5.0), (22, -100.0)):
        with cl.reproducible(seed, quiet=True):
            x = cl.share(torch.full((4096,), value), alice, bob, crypto_provider=carol)
            with cl.record_openings() as log:
                _ = x < 0
        opened[value] = [o.value for o in log]
    for a, b in zip(opened[5.0], opened[-100.0], strict=True):
        assert _alike([a], [b])
    c = opened[-100.0][0]
    top = int((c < 0).sum())
    assert abs(top - 2048) < 5 * 32  # c's top bit: set in about half the values, for a negative x too


def test_s2_carol_could_unmask_c_she_must_not_collude():
    """§5.5 (trust): Carol "knows every mask r ... so together with one party she could unmask everything that party
    saw": x = c - r, exactly."""

    class RecordingDealer(cl.TrustedDealer):
        masks: list[torch.Tensor] = []

        def edabits(self, shape, n_parties, neighbours=False):
            out = super().edabits(shape, n_parties, neighbours)
            self.masks.append(ring.reconstruct(out[0]))
            return out

    dealer = RecordingDealer(carol)
    secret = torch.tensor([-2.5, 0.0, 7.25], dtype=torch.float64)
    with cl.reproducible(23, quiet=True):
        plain_shares = cl.share(secret, alice, bob)
        x = cl.SharedTensor(plain_shares.shares, cl.PartyGroup((alice, bob), dealer), plain_shares.encoder)
        with cl.record_openings() as log:
            _ = x < 0
    c = log[0].value
    assert torch.equal(c - dealer.masks[0].reshape(c.shape), x.encoder.encode(secret))


def test_s3_relu_and_the_approximations_open_only_masked_values(seeded):
    """§3-4: ReLU and the approximations on shares reveal nothing; their comparisons and products open masked
    values only, to the two parties."""
    x = cl.share(torch.linspace(0.2, 9.0, 64), alice, bob, crypto_provider=carol)
    for operation in (cl.SharedTensor.relu, cl.SharedTensor.sigmoid, cl.SharedTensor.exp, cl.SharedTensor.reciprocal):
        with cl.record_openings() as log:
            result = operation(x)
        assert log and {o.kind for o in log} == {"masked"} and all(o.receivers == PARTIES for o in log)
        assert isinstance(result, cl.SharedTensor)


# ===== section 5 ====================================================================================================
@pytest.fixture(scope="module")
def cancer_data():
    cancer = breast_cancer()
    train_rows, test_rows = cancer.train_test_split()
    scaler = logistic.Scaler.fit(cancer.features[train_rows])
    labels = cancer.malignant.reshape(-1, 1)
    return cancer, train_rows, test_rows, scaler, labels


def test_s5_2_the_published_statistics_are_60_numbers_of_the_training_rows_only(cancer_data):
    """§5.2: "the hospital computes the 30 means and 30 standard deviations [of the training rows] ... and publishes
    the 60 numbers": nothing about a test row goes into them."""
    cancer, train_rows, test_rows, scaler, _ = cancer_data
    assert scaler.mean.shape == scaler.std.shape == (30,)
    changed = cancer.features.clone()
    changed[test_rows] = changed[test_rows] * 3 + 1  # any test rows at all
    again = logistic.Scaler.fit(changed[train_rows])
    assert torch.equal(again.mean, scaler.mean) and torch.equal(again.std, scaler.std)


def _encrypted_run(cancer_data, train_size=96, batch_size=32, epochs=1, test_size=40):
    cancer, train_rows, test_rows, scaler, labels = cancer_data
    x, y = scaler(cancer.features[train_rows[:train_size]]), labels[train_rows[:train_size]]
    x_test = scaler(cancer.features[test_rows[:test_size]])
    share = lambda t: cl.share(t, alice, bob, crypto_provider=carol)  # noqa: E731
    data, target = share(x), share(y)
    model = logistic.Model(share(torch.zeros(30, 1)), share(torch.zeros(1)))
    batches = logistic.batches(train_size, batch_size, epochs)
    with cl.record_openings() as training:
        trained, history = logistic.train(
            data, target, model, 0.5, batches, reveal=cl.SharedTensor.get, reveal_loss_every=1
        )
    test_data = share(x_test)
    with cl.record_openings() as testing:
        predictions = logistic.classify(test_data, trained).get()
    return training, testing, history, trained, predictions, len(batches)


def test_s5_5_training_reveals_one_number_per_step_and_testing_the_predictions_only(cancer_data):
    """§5.5: "Revealed during training: 140 single numbers, the Brier loss of each batch, to whoever runs the
    training" (here a shorter run: one per step); "Revealed at the end: the ... test predictions, 0 or 1 ... Not the
    scores, not the model"; "Never revealed: the features, the labels, the probabilities, the gradients, the model"."""
    with cl.reproducible(24, quiet=True):
        training, testing, history, trained, predictions, steps = _encrypted_run(cancer_data)
    revealed = [o for o in training if o.kind == "revealed"]
    assert [o.shape for o in revealed] == [()] * steps  # one number per step, nothing else
    assert all(o.receivers == ("you",) for o in revealed)
    assert [loss is not None for loss in history.losses] == [True] * steps
    assert [(o.kind, o.shape) for o in testing if o.kind == "revealed"] == [("revealed", (40, 1))]
    assert bool(((predictions == 0) | (predictions == 1)).all())
    model_values = {tuple(v.tolist()) for v in (trained.weights.shares.sum(0).flatten(), trained.bias.shares.sum(0))}
    for opening in training + testing:  # no opened value is the model (nor its scores: only bits are revealed)
        assert tuple(opening.value.flatten().tolist()) not in model_values
    assert all(o.receivers == PARTIES for o in training + testing if o.kind == "masked")


def test_s5_5_what_training_opens_inside_the_protocols_does_not_depend_on_the_data(cancer_data):
    """§5.5: "Opened inside the protocols: masked values only ... uniform to Alice and Bob whatever the data" — one
    training step on the real rows and on the same rows with other labels and features opens values with the same
    bit statistics."""
    cancer, train_rows, _, scaler, labels = cancer_data
    rows = train_rows[:64]
    x, y = scaler(cancer.features[rows]), labels[rows]
    other_x, other_y = -2 * x + 1, 1 - y
    opened = []
    for seed, (features, target) in ((25, (x, y)), (26, (other_x, other_y))):
        with cl.reproducible(seed, quiet=True):
            share = lambda t: cl.share(t, alice, bob, crypto_provider=carol)  # noqa: E731
            model = logistic.Model(share(0.1 * torch.ones(30, 1)), share(torch.zeros(1)))
            with cl.record_openings() as log:
                logistic.training_step(share(features), share(target), model, 0.5)
        assert {o.kind for o in log} == {"masked"}
        opened.append([o.value for o in log])
    assert len(opened[0]) == len(opened[1])
    for a, b in zip(*opened, strict=True):
        if a.numel() >= 64:
            assert _alike([a], [b])
    assert _alike(opened[0], opened[1])


def test_the_bit_statistics_would_catch_an_unmasked_opening():
    """Sanity check of the tests above: opening x itself (no mask) for x = +5 and x = -100 is caught at once."""
    encoder = cl.FixedPointEncoder(16)
    plus, minus = (encoder.encode(torch.full((4096,), v, dtype=torch.float64)) for v in (5.0, -100.0))
    assert not _alike([plus], [minus])
