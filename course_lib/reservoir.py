"""The article's demo: a random ReLU reservoir and a linear readout that learns XOR on encrypted data (chapter 05).

XOR is not linearly separable, so no linear model of the two inputs can learn it. A *reservoir* fixes that without
training anything non-linear: a fixed random matrix lifts the inputs to many features and a ReLU bends them; in
that space XOR is linear, and a linear readout trained by gradient descent is enough. Training the readout needs
only additions and multiplications — exactly what secret-shared tensors do — so data, targets and model can all stay
encrypted while it learns.

`training_step` is the article's loop body, written once: it runs unchanged on torch tensors (the plaintext twin)
and on SharedTensors (the encrypted run), because both speak `mm`, `transpose`, `-` and `*`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from course_lib.parties import VirtualWorker
from course_lib.tensor import SharedTensor, share

__all__ = [
    "xor_dataset",
    "reservoir_weights",
    "reservoir_features",
    "training_step",
    "TrainingRun",
    "train_plaintext",
    "train_encrypted",
    "Experiment",
    "run_experiment",
]


def xor_dataset(dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """The XOR truth table: inputs (4, 2) and targets (4, 1)."""
    inputs = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], dtype=dtype)
    targets = torch.tensor([[0.0], [1.0], [1.0], [0.0]], dtype=dtype)
    return inputs, targets


def reservoir_weights(size: int = 256, seed: int = 0, n_inputs: int = 2) -> torch.Tensor:
    """A fixed random projection (n_inputs, size) with standard normal entries, reproducible from `seed`.

    The reservoir is public (it is part of the model's architecture, not of anyone's data), so a seeded
    generator is the right tool here, not the CSPRNG.
    """
    if size < 1:
        raise ValueError(f"the reservoir needs at least one feature, got size={size}")
    return torch.randn(n_inputs, size, generator=torch.Generator().manual_seed(seed))


def reservoir_features(inputs: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """ReLU(inputs @ weights): the non-linear lift, computed by the data owner before encrypting."""
    return torch.relu(inputs @ weights)


def training_step(data, target, model, learning_rate: float):
    """One step of gradient descent on the squared error of a linear readout (the article's loop body).

    Works on torch tensors and on SharedTensors alike. Returns (new model, predictions, gradient of the error).
    """
    prediction = data.mm(model)
    error = prediction - target
    update = data.transpose(0, 1).mm(error)
    return model - update * learning_rate, prediction, error


@dataclass
class TrainingRun:
    """What a training run leaves: the losses it revealed (None where it kept them secret), the last predictions."""

    losses: list[float | None] = field(default_factory=list)
    predictions: torch.Tensor | None = None
    model: torch.Tensor | SharedTensor | None = None
    steps: int = 0

    def revealed_losses(self) -> list[tuple[int, float]]:
        return [(step, loss) for step, loss in enumerate(self.losses) if loss is not None]

    def report(self, every: int = 50) -> str:
        """The article's printout: the loss every `every` steps."""
        return "\n".join(f"loss at step {s}: {loss:.3e}" for s, loss in self.revealed_losses() if s % every == 0)


StepCallback = Callable[[int, "float | None", object], None]


def _train(data, target, model, steps: int, learning_rate: float, reveal, every: int, callback) -> TrainingRun:
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    if every < 1:
        raise ValueError(f"reveal_loss_every must be at least 1, got {every}")
    run = TrainingRun()
    for step in range(steps):
        model, prediction, error = training_step(data, target, model, learning_rate)
        loss = float(reveal(error).abs().sum()) if step % every == 0 or step == steps - 1 else None
        run.losses.append(loss)
        if callback is not None:
            callback(step, loss, model)
    run.predictions, run.model, run.steps = reveal(prediction), model, steps
    return run


def train_plaintext(
    features: torch.Tensor,
    targets: torch.Tensor,
    steps: int = 250,
    learning_rate: float = 1e-3,
    reveal_loss_every: int = 1,
    callback: StepCallback | None = None,
) -> TrainingRun:
    """The plaintext twin: the same loop on ordinary torch tensors (the oracle, and the speed baseline)."""
    model = torch.zeros(features.shape[1], targets.shape[1], dtype=features.dtype)
    return _train(features, targets, model, steps, learning_rate, lambda t: t, reveal_loss_every, callback)


def train_encrypted(
    features: torch.Tensor,
    targets: torch.Tensor,
    parties: tuple[VirtualWorker, ...],
    crypto_provider: VirtualWorker,
    steps: int = 250,
    learning_rate: float = 1e-3,
    precision_bits: int = 16,
    reveal_loss_every: int = 1,
    callback: StepCallback | None = None,
) -> TrainingRun:
    """Train the readout with data, targets and model all secret-shared among `parties`.

    The loss is revealed (to whoever runs the loop) every `reveal_loss_every` steps and at the last step; the
    final predictions are revealed at the end. Everything else stays shared. Trust: semi-honest parties and a
    dealer that colludes with none of them (see course_lib.dealer).
    """

    def shared(t: torch.Tensor) -> SharedTensor:
        return share(t, *parties, crypto_provider=crypto_provider, precision_bits=precision_bits)

    data, target = shared(features), shared(targets)
    model = shared(torch.zeros(features.shape[1], targets.shape[1], dtype=features.dtype))
    return _train(data, target, model, steps, learning_rate, SharedTensor.get, reveal_loss_every, callback)


@dataclass
class Experiment:
    """One setting of the chapter's experiments, run in plaintext and encrypted, and what came out."""

    reservoir_size: int
    learning_rate: float
    precision_bits: int
    n_parties: int
    plaintext: TrainingRun
    encrypted: TrainingRun
    cost_per_step: object  # a course_lib.parties.Cost for one encrypted step

    def verdict(self, which: str) -> str:
        """'learned XOR', 'did not learn XOR' or 'diverged', for the "plaintext" or the "encrypted" run."""
        if which not in ("plaintext", "encrypted"):
            raise ValueError(f"which must be 'plaintext' or 'encrypted', got {which!r}")
        run: TrainingRun = getattr(self, which)
        _, targets = xor_dataset()
        final = run.losses[-1]
        if final is None or not final == final or final > 1e3:  # NaN or exploded
            return "diverged"
        return "learned XOR" if bool(((run.predictions > 0.5).float() == targets).all()) else "did not learn XOR"

    def summary(self) -> str:
        return (
            f"size {self.reservoir_size:4d}, lr {self.learning_rate:.0e}, {self.precision_bits:2d} bits, "
            f"{self.n_parties} parties | plaintext: {self.verdict('plaintext')} "
            f"(loss {self.plaintext.losses[-1]:.3g}) | encrypted: {self.verdict('encrypted')} "
            f"(loss {self.encrypted.losses[-1]:.3g})"
        )


def run_experiment(
    reservoir_size: int = 256,
    learning_rate: float = 1e-3,
    precision_bits: int = 16,
    n_parties: int = 2,
    steps: int = 250,
    seed: int = 0,
) -> Experiment:
    """Train the readout on XOR with one setting, in plaintext and encrypted, revealing the loss every step."""
    from course_lib.parties import measure_cost

    if n_parties < 2:
        raise ValueError(f"n_parties must be at least 2, got {n_parties}")
    inputs, targets = xor_dataset()
    features = reservoir_features(inputs, reservoir_weights(reservoir_size, seed=seed))
    parties = tuple(VirtualWorker(name) for name in ("alice", "bob", "dave", "erin", "frank")[:n_parties])
    plain = train_plaintext(features, targets, steps, learning_rate)
    encrypted = train_encrypted(
        features, targets, parties, VirtualWorker("carol"), steps, learning_rate, precision_bits=precision_bits
    )
    data = share(features, *parties, crypto_provider=VirtualWorker("carol"), precision_bits=precision_bits)
    target = share(targets, *parties, crypto_provider=VirtualWorker("carol"), precision_bits=precision_bits)
    model = share(
        torch.zeros(reservoir_size, 1), *parties, crypto_provider=VirtualWorker("carol"), precision_bits=precision_bits
    )
    with measure_cost() as cost:
        _, _, error = training_step(data, target, model, learning_rate)
        error.get()
    return Experiment(reservoir_size, learning_rate, precision_bits, n_parties, plain, encrypted, cost)
