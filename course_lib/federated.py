"""Federated learning on the breast-cancer data (chapter 07): hospitals, federated averaging, what one update reveals.

Several hospitals want one model, and none may hand its patients' records to anyone. In federated averaging
(McMahan et al., 2017) the records never move: every round the server sends the current model to each hospital, each
hospital trains it on its own patients for a while and sends back only the change, and the server averages the
changes, weighting each hospital by its number of patients. `course_lib.logistic` trains the model.

1. Split: `split_by_feature` gives each hospital a band of one feature's values — a non-IID split, the usual case
   (a screening clinic sees small lumps, a cancer centre large ones), so the hospitals' label mixes differ widely.
2. A round: hospital k trains from the global model and sends the vector [n_k, n_k·Δ_k] (its patient count, then its
   weighted change, `model_vector` order: weights, then bias). The server only needs the *sum* of these vectors:
   Σ n_k·Δ_k / Σ n_k is the weighted average, and a hospital that drops out simply leaves both sums. `aggregate`
   is that sum: `plain_sum` here; chapter 07 plugs in `secagg.secure_sum` so the server sees the sum and nothing else.
3. Why bother: for logistic regression the gradient of one patient (x, y) is (p - y)·x for the weights and (p - y)
   for the bias, so `record_from_gradient` (weights / bias) gives x back exactly; `leak_measurement` measures how much
   of that survives averaging over a batch.

Every random choice here (the order of mini-batches, which patients form a batch) is public and comes from a seeded
`torch.Generator`: it is not a secret, so it does not come from `course_lib.rng`.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from course_lib import logistic

__all__ = [
    "split_by_feature",
    "model_vector",
    "vector_model",
    "local_update",
    "plain_sum",
    "RoundReport",
    "fedavg_round",
    "federated_averaging",
    "record_from_gradient",
    "unscale",
    "LeakMeasurement",
    "leak_measurement",
]

Aggregate = Callable[[list[torch.Tensor]], torch.Tensor]


def split_by_feature(values: torch.Tensor, rows: torch.Tensor, sizes: Sequence[int]) -> list[torch.Tensor]:
    """Step 1: sort `rows` by `values[rows]` (smallest first; ties by row number) and cut them into consecutive
    groups of `sizes`: group k gets the k-th band of the feature. Returns one row-index tensor per group."""
    if any(isinstance(s, bool) or not isinstance(s, int) or s < 1 for s in sizes):
        raise ValueError(f"every hospital needs a positive whole number of patients, got sizes {list(sizes)}")
    if sum(sizes) != len(rows):
        raise ValueError(f"the sizes add up to {sum(sizes)} but there are {len(rows)} rows to split")
    order = rows[torch.argsort(values[rows], stable=True)]
    return [part.clone() for part in torch.split(order, list(sizes))]


def model_vector(model: logistic.Model) -> torch.Tensor:
    """The model as one flat vector: the weights, then the bias (31 numbers for 30 features)."""
    return torch.cat([model.weights.reshape(-1), model.bias.reshape(-1)])


def vector_model(vector: torch.Tensor) -> logistic.Model:
    """The inverse of `model_vector`."""
    return logistic.Model(vector[:-1].reshape(-1, 1).clone(), vector[-1:].clone())


def local_update(
    features: torch.Tensor,
    labels: torch.Tensor,
    model: logistic.Model,
    *,
    epochs: int = 1,
    learning_rate: float = 0.1,
    batch_size: int = 16,
    seed: int = 0,
) -> torch.Tensor:
    """One hospital's work in a round: mini-batch gradient descent from `model` on its own data; returns the change
    Δ = trained - received as a flat vector (`model_vector` order). Nothing else leaves the hospital."""
    batches = logistic.batches(len(features), batch_size, epochs, seed)
    trained, _ = logistic.train(features, labels.reshape(-1, 1), model, learning_rate, batches)
    return model_vector(trained) - model_vector(model)


def plain_sum(vectors: list[torch.Tensor]) -> torch.Tensor:
    """The aggregation of plain federated averaging: the server receives every vector and adds them up."""
    return torch.stack(vectors).sum(dim=0)


@dataclass(frozen=True)
class RoundReport:
    """One round: what each hospital sent ([n_k, n_k·Δ_k]), the sum the server used, and the new global model."""

    sent: list[torch.Tensor]
    total: torch.Tensor
    model: logistic.Model

    @property
    def patients(self) -> float:
        """Σ n_k over the hospitals in the sum, as the server decoded it."""
        return float(self.total[0])


def fedavg_round(
    model: logistic.Model,
    hospitals: Sequence[tuple[torch.Tensor, torch.Tensor]],
    aggregate: Aggregate = plain_sum,
    *,
    round_index: int = 0,
    **training,
) -> RoundReport:
    """Step 2: every hospital (features, labels) computes its change from `model` and sends [n_k, n_k·Δ_k];
    `aggregate` turns the list into its sum; the new model is model + Σ n_k·Δ_k / Σ n_k.

    `training` goes to `local_update` (epochs, learning_rate, batch_size); hospital k of round r shuffles its
    batches with seed 1000·r + k, so every run is the same."""
    sent = []
    for k, (features, labels) in enumerate(hospitals):
        delta = local_update(features, labels, model, seed=1000 * round_index + k, **training)
        n = float(len(features))
        sent.append(torch.cat([torch.tensor([n], dtype=delta.dtype), n * delta]))
    total = aggregate(sent)
    if not float(total[0]) > 0:
        raise ValueError(f"the aggregate counts {float(total[0])} patients: no hospital's update is in it")
    average = total[1:] / total[0]
    return RoundReport(sent, total, vector_model(model_vector(model) + average))


def federated_averaging(
    hospitals: Sequence[tuple[torch.Tensor, torch.Tensor]],
    rounds: int,
    aggregate: Aggregate = plain_sum,
    *,
    model: logistic.Model | None = None,
    callback: Callable[[int, RoundReport], None] | None = None,
    **training,
) -> logistic.Model:
    """`rounds` rounds of `fedavg_round` from `model` (zeros by default); `callback(round, report)` after each."""
    if model is None:
        model = logistic.Model.zeros(hospitals[0][0].shape[1], dtype=hospitals[0][0].dtype)
    for r in range(rounds):
        report = fedavg_round(model, hospitals, aggregate, round_index=r, **training)
        model = report.model
        if callback is not None:
            callback(r, report)
    return model


def record_from_gradient(grad_weights: torch.Tensor, grad_bias: torch.Tensor) -> torch.Tensor:
    """Step 3: grad_w / grad_b. For one patient it is that patient's (scaled) features exactly, since
    grad_w = (p - y)·x and grad_b = p - y; for a batch, Σ e_i·x_i / Σ e_i with e_i = p_i - y_i. The same holds for
    an update Δ = -learning_rate·gradient: the learning rate cancels."""
    return grad_weights.reshape(-1) / grad_bias.reshape(-1)


def unscale(scaler: logistic.Scaler, scaled: torch.Tensor) -> torch.Tensor:
    """The inverse of `scaler`: scaled features back to the file's units (x·std + mean). The scaler is public."""
    return scaled * scaler.std + scaler.mean


@dataclass(frozen=True)
class LeakMeasurement:
    """What `record_from_gradient` gives back from the gradient of random batches of `batch_size` patients.

    distance     median over the batches of the RMS distance (per feature, in standard deviations) from the
                 recovered vector to the nearest patient of the batch; 0 means a record came back exactly
    identified   the fraction of batches whose recovered vector lies nearer to the batch's most-weighted patient
                 (largest |p - y|) than to any other patient of the whole pool: the attacker picks that patient out
    """

    batch_size: int
    batches: int
    distance: float
    identified: float


def leak_measurement(
    features: torch.Tensor, labels: torch.Tensor, model: logistic.Model, batch_size: int, batches: int, seed: int = 0
) -> LeakMeasurement:
    """Step 3, measured: draw `batches` random batches (seeded) from the pool `features`, compute each batch's
    gradient at `model`, recover grad_w / grad_b, and compare it with the records."""
    if not 1 <= batch_size <= len(features):
        raise ValueError(f"batch_size must lie in [1, {len(features)}] for a pool of {len(features)}, got {batch_size}")
    generator = torch.Generator().manual_seed(seed)
    labels = labels.reshape(-1, 1)
    scale = features.shape[1] ** 0.5
    distances, identified = [], 0
    for _ in range(batches):
        rows = torch.randperm(len(features), generator=generator)[:batch_size]
        grad_w, grad_b, p = logistic.gradients(features[rows], labels[rows], model)
        recovered = record_from_gradient(grad_w, grad_b)
        distances.append(float((features[rows] - recovered).norm(dim=1).min()) / scale)
        heaviest = rows[(p - labels[rows]).abs().reshape(-1).argmax()]
        nearest = (features - recovered).norm(dim=1).argmin()
        identified += int(nearest == heaviest)
    return LeakMeasurement(batch_size, batches, statistics.median(distances), identified / batches)
