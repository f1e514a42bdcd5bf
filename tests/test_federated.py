"""course_lib.federated (chapter 07): the hospitals' split, federated averaging, and the gradient leak."""

import pytest
import torch

import course_lib as cl
from course_lib import federated as fl
from course_lib import logistic, secagg
from course_lib.datasets import breast_cancer

DATA = breast_cancer()
TRAIN, TEST = DATA.train_test_split()
SCALER = logistic.Scaler.fit(DATA.features[TRAIN])
SCALED = SCALER(DATA.features)
RADIUS = DATA.features[:, DATA.feature_names.index("mean radius")]
SIZES = [170, 120, 85, 52]


def _hospitals(sizes=SIZES):
    return [(SCALED[rows], DATA.malignant[rows]) for rows in fl.split_by_feature(RADIUS, TRAIN, sizes)]


def test_the_split_cuts_bands_of_the_feature_of_the_requested_sizes():
    parts = fl.split_by_feature(RADIUS, TRAIN, SIZES)
    assert [len(p) for p in parts] == SIZES
    assert sorted(torch.cat(parts).tolist()) == sorted(TRAIN.tolist())  # every training row, once
    for lower, upper in zip(parts, parts[1:], strict=False):
        assert RADIUS[lower].max() <= RADIUS[upper].min()  # bands, smallest tumours first
    shares = [DATA.malignant[p].mean().item() for p in parts]
    assert shares == sorted(shares) and shares[0] < 0.1 and shares[-1] == 1.0  # non-IID: very different mixes


@pytest.mark.parametrize(("sizes", "words"), [([100, 100], "add up to 200"), ([427, 0], "positive whole number")])
def test_bad_sizes_are_refused(sizes, words):
    with pytest.raises(ValueError, match=words):
        fl.split_by_feature(RADIUS, TRAIN, sizes)


def test_model_vector_round_trips():
    model = logistic.Model(torch.arange(30.0).reshape(30, 1), torch.tensor([-1.5]))
    vector = fl.model_vector(model)
    assert vector.shape == (31,) and vector[-1] == -1.5
    back = fl.vector_model(vector)
    assert torch.equal(back.weights, model.weights) and torch.equal(back.bias, model.bias)


def test_a_local_update_is_the_change_made_by_training_on_the_hospitals_own_data():
    features, labels = _hospitals()[1]
    start = logistic.Model.zeros(30)
    delta = fl.local_update(features, labels, start, epochs=2, seed=4)
    trained, _ = logistic.train(features, labels.reshape(-1, 1), start, 0.1, logistic.batches(len(features), 16, 2, 4))
    assert torch.allclose(delta, fl.model_vector(trained))
    assert torch.equal(start.weights, torch.zeros(30, 1))  # the received model is left as it was


def test_a_round_averages_the_changes_weighted_by_patients():
    hospitals = _hospitals()
    start = logistic.Model.zeros(30)
    report = fl.fedavg_round(start, hospitals, round_index=3)
    deltas = [fl.local_update(f, y, start, seed=3000 + k) for k, (f, y) in enumerate(hospitals)]
    weighted = sum(n * d for n, d in zip(SIZES, deltas, strict=True)) / sum(SIZES)
    assert torch.allclose(fl.model_vector(report.model), weighted)
    assert report.patients == 427.0 and [s[0].item() for s in report.sent] == SIZES
    assert all(torch.allclose(s[1:], n * d) for s, n, d in zip(report.sent, SIZES, deltas, strict=True))


def test_a_hospital_missing_from_the_aggregate_leaves_both_sums():
    hospitals = _hospitals()
    start = logistic.Model.zeros(30)

    def without_last(vectors):
        return fl.plain_sum(vectors[:-1])

    report = fl.fedavg_round(start, hospitals, without_last)
    alone = fl.fedavg_round(start, hospitals[:-1])
    assert report.patients == 375.0 and torch.allclose(fl.model_vector(report.model), fl.model_vector(alone.model))
    with pytest.raises(ValueError, match="no hospital's update is in it"):
        fl.fedavg_round(start, hospitals, lambda vectors: torch.zeros_like(vectors[0]))


def test_federated_averaging_learns_and_secure_aggregation_gives_the_same_model():
    hospitals = _hospitals()
    accuracies = []

    def test_accuracy(r, report):
        accuracies.append(logistic.accuracy(logistic.predict(SCALED[TEST], report.model), DATA.malignant[TEST]))

    plain = fl.federated_averaging(hospitals, 10, callback=test_accuracy)
    assert len(accuracies) == 10 and accuracies[-1] > 0.95
    with cl.reproducible(0, quiet=True):
        secure = fl.federated_averaging(
            hospitals, 10, lambda vectors: secagg.secure_sum(vectors, threshold=3, clip=1000.0).total
        )
    assert (fl.model_vector(secure) - fl.model_vector(plain)).abs().max() < 1e-6
    assert torch.equal(logistic.predict(SCALED[TEST], secure), logistic.predict(SCALED[TEST], plain))


def test_one_patients_gradient_gives_back_the_record_exactly():
    model = fl.federated_averaging(_hospitals(), 3)
    for row in (0, 5, 300):
        grad_w, grad_b, _ = logistic.gradients(
            SCALED[row : row + 1], DATA.malignant[row : row + 1].reshape(1, 1), model
        )
        recovered = fl.record_from_gradient(grad_w, grad_b)
        assert torch.allclose(recovered, SCALED[row], rtol=1e-12, atol=1e-12)
        assert torch.allclose(fl.unscale(SCALER, recovered), DATA.features[row], rtol=1e-12)
        step = fl.vector_model(fl.model_vector(model) - 0.37 * torch.cat([grad_w.flatten(), grad_b]))
        delta = fl.model_vector(step) - fl.model_vector(model)  # an update: -lr·gradient; lr cancels
        assert torch.allclose(fl.record_from_gradient(delta[:-1], delta[-1:]), SCALED[row], rtol=1e-9)


def test_unscale_inverts_the_scaler():
    assert torch.allclose(fl.unscale(SCALER, SCALER(DATA.features)), DATA.features)


def test_the_leak_blurs_with_the_batch_size_but_one_patient_is_exact():
    model = fl.federated_averaging(_hospitals(), 20)  # the chapter's model: confident, so one error stands out
    features, labels = _hospitals()[1]
    measured = {b: fl.leak_measurement(features, labels, model, b, 100, seed=1) for b in (1, 2, 8, 32)}
    assert measured[1].distance < 1e-12 and measured[1].identified == 1.0
    distances = [measured[b].distance for b in (1, 2, 8, 32)]
    identified = [measured[b].identified for b in (1, 2, 8, 32)]
    assert distances == sorted(distances) and identified == sorted(identified, reverse=True)
    assert measured[8].identified > 10 / len(features)  # far better than guessing one of the hospital's patients
    with pytest.raises(ValueError, match="batch_size must lie in"):
        fl.leak_measurement(features, labels, model, 0, 10)
