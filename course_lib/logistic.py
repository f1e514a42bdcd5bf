"""Logistic regression, in plaintext and on shares (chapter 06; chapters 07 and 08 reuse it).

The model scores a patient with `features @ weights + bias` and turns the score into a probability with the sigmoid.
Training minimises the cross-entropy; its gradient is simple — the error `probability - label`, times the features —
and that is all a training step needs: a matrix product, a sigmoid, a subtraction and a product with a public number.

As in chapter 05's `reservoir.training_step`, every function here is written once and runs on torch tensors (the
plaintext twin, and the oracle) and on SharedTensors alike: they share `@`, `.t()`, `.sum()`, `-`, `*`, `/` and
`.sigmoid()` (on shares: chapter 06's approximation, `course_lib.approximations`).

What a training run on shares reveals is decided by its caller; `train` opens only the loss (one number, on shares:
the mean squared error between probability and label, the Brier score — the cross-entropy would need a secure log
near 0) when asked, and the trained model only at the end if asked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch

__all__ = [
    "Scaler",
    "Model",
    "probabilities",
    "gradients",
    "training_step",
    "brier_loss",
    "batches",
    "TrainingLog",
    "train",
    "predict",
    "classify",
    "confusion_matrix",
    "accuracy",
]


@dataclass(frozen=True)
class Scaler:
    """Standardisation: (x - mean) / std per feature. The statistics are public once computed: whoever computes them
    from the training data learns 2 × 30 numbers about it (chapter 06 says who, and what that reveals)."""

    mean: torch.Tensor
    std: torch.Tensor

    @classmethod
    def fit(cls, features: torch.Tensor) -> Scaler:
        std = features.std(dim=0)
        return cls(features.mean(dim=0), torch.where(std > 0, std, torch.ones_like(std)))

    def __call__(self, features: torch.Tensor) -> torch.Tensor:
        return (features - self.mean) / self.std


@dataclass
class Model:
    """Weights (n_features, 1) and a bias (1,), torch tensors or SharedTensors."""

    weights: object
    bias: object

    @classmethod
    def zeros(cls, n_features: int, dtype: torch.dtype = torch.float64) -> Model:
        return cls(torch.zeros(n_features, 1, dtype=dtype), torch.zeros(1, dtype=dtype))


def probabilities(features, model: Model):
    """sigmoid(features @ weights + bias): one probability of "malignant" per row, shape (n, 1)."""
    return (features @ model.weights + model.bias).sigmoid()


def gradients(features, labels, model: Model):
    """The cross-entropy's gradient: error = p - y; d/dw = featuresᵀ · error / n, d/db = mean(error).
    Returns (grad_weights, grad_bias, probabilities)."""
    p = probabilities(features, model)
    error = p - labels
    n = features.shape[0]
    return features.t() @ error / n, error.sum(0) / n, p


def training_step(features, labels, model: Model, learning_rate: float) -> tuple[Model, object]:
    """One step of (mini-batch) gradient descent. Returns (new model, probabilities of this batch)."""
    grad_w, grad_b, p = gradients(features, labels, model)
    return Model(model.weights - grad_w * learning_rate, model.bias - grad_b * learning_rate), p


def brier_loss(p, labels):
    """mean((p - y)²): one number, computable on shares with one Beaver product and a sum."""
    error = p - labels
    return (error * error).sum() / error.shape[0]


def batches(n_rows: int, batch_size: int, epochs: int, seed: int = 0) -> list[torch.Tensor]:
    """Row indices of every mini-batch: a fresh public permutation per epoch from a seeded generator (the order is
    not a secret — it says nothing about the data), cut into batches of `batch_size` (the last one may be smaller)."""
    if batch_size < 1 or epochs < 1:
        raise ValueError(f"batch_size and epochs must be at least 1, got {batch_size} and {epochs}")
    generator = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(epochs):
        order = torch.randperm(n_rows, generator=generator)
        out.extend(order[start : start + batch_size] for start in range(0, n_rows, batch_size))
    return out


@dataclass
class TrainingLog:
    """What a run revealed: the loss after some steps (None where it kept it secret)."""

    losses: list[float | None] = field(default_factory=list)
    steps: int = 0


StepCallback = Callable[[int, "float | None", object], None]


def train(
    features,
    labels,
    model: Model,
    learning_rate: float,
    batch_indices: list[torch.Tensor],
    reveal: Callable | None = None,
    reveal_loss_every: int = 0,
    callback: StepCallback | None = None,
) -> tuple[Model, TrainingLog]:
    """Mini-batch gradient descent over `batch_indices` (see `batches`); works on torch tensors and SharedTensors.

    Every `reveal_loss_every` steps (0: never) the batch's Brier loss is computed — on shares, if the inputs are
    shared — and `reveal` (e.g. `SharedTensor.get`) opens that single number; `callback(step, loss, model)` follows
    each step. Indexing rows of a SharedTensor is local: every party takes the same rows of its own share.
    """
    log = TrainingLog()
    for step, rows in enumerate(batch_indices):
        model, p = training_step(features[rows], labels[rows], model, learning_rate)
        loss = None
        if reveal_loss_every and (step % reveal_loss_every == 0 or step == len(batch_indices) - 1):
            value = brier_loss(p, labels[rows])
            loss = float(reveal(value) if reveal is not None else value)
        log.losses.append(loss)
        log.steps = step + 1
        if callback is not None:
            callback(step, loss, model)
    return model, log


def predict(features, model: Model, threshold: float = 0.5) -> torch.Tensor:
    """0/1 predictions from plaintext features and a plaintext model."""
    return (probabilities(features, model) > threshold).long().flatten()


def classify(features, model: Model):
    """0/1 per row, shape (n, 1): 1 where sigmoid(score) > 0.5, that is where the score features @ weights + bias is
    above 0 — no sigmoid needed. On shares (chapter 06) the score stays shared and ONE secure comparison with 0 gives
    shares of the 0/1 answers (7 rounds): whoever receives them learns the predictions, not the scores or the model."""
    above = (features @ model.weights + model.bias) > 0
    return above.to(features.dtype) if isinstance(above, torch.Tensor) else above


def confusion_matrix(predicted: torch.Tensor, actual: torch.Tensor) -> torch.Tensor:
    """[[true negatives, false positives], [false negatives, true positives]] for 0/1 labels (1 = malignant)."""
    predicted, actual = predicted.long().flatten(), actual.long().flatten()
    return torch.bincount(actual * 2 + predicted, minlength=4).reshape(2, 2)


def accuracy(predicted: torch.Tensor, actual: torch.Tensor) -> float:
    return float((predicted.long().flatten() == actual.long().flatten()).double().mean())
