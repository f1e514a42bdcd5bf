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

from course_lib.cost import Cost, measure_cost
from course_lib.encoding import FixedPointEncoder
from course_lib.parties import VirtualWorker
from course_lib.tensor import SharedTensor, share

__all__ = [
    "xor_dataset",
    "reservoir_weights",
    "reservoir_features",
    "training_step",
    "squared_error",
    "TrainingRun",
    "train_plaintext",
    "train_encrypted",
    "Experiment",
    "run_experiment",
    "party_workers",
    "Diagnosis",
    "diagnose",
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

    Works on torch tensors and on SharedTensors alike. Returns (new model, predictions, error = predictions - target).
    """
    prediction = data.mm(model)
    error = prediction - target
    update = data.transpose(0, 1).mm(error)
    return model - update * learning_rate, prediction, error


def squared_error(error):
    """The loss: the sum of squared errors. On shares it is one more Beaver product and a sum, so it can be opened
    as ONE number without opening the error vector (which, at step 0, is exactly minus the targets)."""
    return (error * error).sum()


@dataclass
class TrainingRun:
    """What a training run leaves: the losses it revealed (None where it kept them secret), the last predictions,
    and what it cost in messages (the whole run, and one training step without its loss)."""

    losses: list[float | None] = field(default_factory=list)
    predictions: torch.Tensor | None = None
    model: torch.Tensor | SharedTensor | None = None
    steps: int = 0
    cost: Cost | None = None
    step_cost: Cost | None = None

    def revealed_losses(self) -> list[tuple[int, float]]:
        return [(step, loss) for step, loss in enumerate(self.losses) if loss is not None]

    def report(self, every: int = 50) -> str:
        """The article's printout: the loss every `every` steps."""
        return "\n".join(f"loss at step {s}: {loss:.3e}" for s, loss in self.revealed_losses() if s % every == 0)


StepCallback = Callable[[int, "float | None", object], None]


def _train(data, target, model, steps: int, learning_rate: float, reveal, every: int, callback) -> TrainingRun:
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a whole number of at least 1, got {steps!r}")
    if isinstance(every, bool) or not isinstance(every, int) or every < 1:
        raise ValueError(f"reveal_loss_every must be a whole number of at least 1, got {every!r}")
    run = TrainingRun()
    with measure_cost() as run.cost:
        for step in range(steps):
            if step == 0:  # every step sends the same: count one (a meter per step would slow the loop down)
                with measure_cost() as run.step_cost:
                    model, prediction, error = training_step(data, target, model, learning_rate)
            else:
                model, prediction, error = training_step(data, target, model, learning_rate)
            # the loss is computed on shares and only that one number is opened; the error vector never is
            loss = float(reveal(squared_error(error))) if step % every == 0 or step == steps - 1 else None
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

    What is revealed, and to whom (the runtime logs it: `course_lib.record_openings`):
      * every `reveal_loss_every` steps and at the last step, the loss — ONE number, the sum of squared errors,
        computed on shares — to whoever runs the loop (the model's owner at the keyboard);
      * at the end, the final predictions, to the same person: the model's output is what training is for.
    Everything else stays shared: inside each product the parties open only values masked by the dealer's fresh
    randomness. Trust: semi-honest parties and a dealer that colludes with none of them (see course_lib.dealer).
    """

    def shared(t: torch.Tensor) -> SharedTensor:
        return share(t, *parties, crypto_provider=crypto_provider, precision_bits=precision_bits)

    data, target = shared(features), shared(targets)
    model = shared(torch.zeros(features.shape[1], targets.shape[1], dtype=features.dtype))
    return _train(data, target, model, steps, learning_rate, SharedTensor.get, reveal_loss_every, callback)


@dataclass(frozen=True)
class Diagnosis:
    """Public facts about a setting, computed before (and independently of) training."""

    lr_used: float  # the learning rate after fixed-point encoding: what the encrypted run multiplies by
    lr_encoded: int  # round(lr · 2^bits)
    rank: int  # rank of the 4 × size feature matrix (at most 3: the input (0, 0) maps to all zeros)
    curvature_max: float  # largest eigenvalue of features @ features.T
    curvature_min: float  # smallest non-zero one
    steps: int

    @property
    def stability_limit(self) -> float:
        """Gradient descent on this readout diverges for learning rates above 2 / curvature_max."""
        return 2.0 / self.curvature_max

    def progress(self, lr: float) -> float:
        """How far the slowest direction gets in `steps` steps: lr · curvature_min · steps (≥ 3 or so: converged)."""
        return lr * self.curvature_min * self.steps


def diagnose(reservoir_size: int, learning_rate: float, precision_bits: int, steps: int, seed: int = 0) -> Diagnosis:
    """Why a setting learns or not, from public quantities only: the features' curvature (eigenvalues of
    features @ features.T) bounds the stable learning rate, and the encoding rounds the learning rate."""
    inputs, _ = xor_dataset(torch.float64)
    features = reservoir_features(inputs, reservoir_weights(reservoir_size, seed=seed).double())
    eigenvalues = torch.linalg.eigvalsh(features @ features.T)
    nonzero = eigenvalues[eigenvalues > 1e-9 * max(float(eigenvalues[-1]), 1.0)]
    encoded = FixedPointEncoder(precision_bits).encode_number(learning_rate)
    return Diagnosis(
        lr_used=encoded / 2**precision_bits,
        lr_encoded=encoded,
        rank=int(torch.linalg.matrix_rank(features)),
        curvature_max=float(eigenvalues[-1]),
        curvature_min=float(nonzero[0]) if len(nonzero) else 0.0,
        steps=steps,
    )


@dataclass
class Experiment:
    """One setting of the chapter's experiments, run in plaintext and encrypted, and what came out."""

    reservoir_size: int
    learning_rate: float
    precision_bits: int
    n_parties: int
    plaintext: TrainingRun
    encrypted: TrainingRun

    @property
    def cost_per_step(self) -> Cost:
        """What one encrypted training step sends (measured during the run itself)."""
        return self.encrypted.step_cost

    def verdict(self, which: str) -> str:
        """'learned XOR', 'did not learn XOR' or 'diverged', for the "plaintext" or the "encrypted" run."""
        if which not in ("plaintext", "encrypted"):
            raise ValueError(f"which must be 'plaintext' or 'encrypted', got {which!r}")
        run: TrainingRun = getattr(self, which)
        _, targets = xor_dataset()
        final = run.losses[-1]
        # NaN or exploded; or a NEGATIVE sum of squares: on shares that can only mean the ring wrapped (overflow)
        wrapped = any(loss < 0 for _, loss in run.revealed_losses())
        if final is None or not final == final or final > 1e3 or wrapped:
            return "diverged"
        return "learned XOR" if bool(((run.predictions > 0.5).float() == targets).all()) else "did not learn XOR"

    def summary(self) -> str:
        return (
            f"size {self.reservoir_size:4d}, lr {self.learning_rate:.0e}, {self.precision_bits:2d} bits, "
            f"{self.n_parties} parties | plaintext: {self.verdict('plaintext')} "
            f"(loss {self.plaintext.losses[-1]:.3g}) | encrypted: {self.verdict('encrypted')} "
            f"(loss {self.encrypted.losses[-1]:.3g})"
        )


PARTY_NAMES = ("alice", "bob", "dave", "erin", "frank")


def party_workers(n_parties: int) -> tuple[VirtualWorker, ...]:
    """n computing parties, named like the course's (carol is always the dealer, never a party)."""
    if isinstance(n_parties, bool) or not isinstance(n_parties, int) or n_parties < 2:
        raise ValueError(f"n_parties must be a whole number of at least 2, got {n_parties!r}")
    names = PARTY_NAMES + tuple(f"party{i}" for i in range(len(PARTY_NAMES) + 1, n_parties + 1))
    return tuple(VirtualWorker(name) for name in names[:n_parties])


def run_experiment(
    reservoir_size: int = 256,
    learning_rate: float = 1e-3,
    precision_bits: int = 16,
    n_parties: int = 2,
    steps: int = 250,
    seed: int = 0,
) -> Experiment:
    """Train the readout on XOR with one setting, in plaintext and encrypted, revealing the loss every step."""
    parties = party_workers(n_parties)
    inputs, targets = xor_dataset()
    features = reservoir_features(inputs, reservoir_weights(reservoir_size, seed=seed))
    plain = train_plaintext(features, targets, steps, learning_rate)
    encrypted = train_encrypted(
        features, targets, parties, VirtualWorker("carol"), steps, learning_rate, precision_bits=precision_bits
    )
    return Experiment(reservoir_size, learning_rate, precision_bits, n_parties, plain, encrypted)
