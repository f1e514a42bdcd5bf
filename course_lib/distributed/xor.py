"""Chapter 05's encrypted XOR readout with every party and the dealer in its own process (chapter 09).

The same model and loop as `course_lib.reservoir.train_encrypted`, piece for piece: the data owner (in the dealer
process) lifts the XOR inputs through the public reservoir and shares the features, the targets and a zero model;
the parties run `training_step` on their shares; the loss — computed on shares by `squared_error` — is the only
number revealed during training, to you; at the end the predictions are revealed to you.

Run with the same randomness (`seed`), it sends exactly what the in-process run sends and reveals exactly the same
values: `TrainingRun` from `xor_run(...)` equals `train_encrypted(...)` under `cl.reproducible(seed)`.
"""

from __future__ import annotations

import torch

from course_lib.distributed.launcher import RunResult, run
from course_lib.reservoir import (
    TrainingRun,
    reservoir_features,
    reservoir_weights,
    squared_error,
    training_step,
    xor_dataset,
)

__all__ = ["xor_inputs", "xor_party", "training_run", "xor_run"]


def xor_inputs(reservoir_size: int = 256, seed: int = 0) -> dict[str, torch.Tensor]:
    """The data owner's secrets: the reservoir features of the XOR inputs, the targets, and the zero model to train
    (the reservoir itself is public: `seed` picks it, like `run_experiment`)."""
    inputs, targets = xor_dataset()
    features = reservoir_features(inputs, reservoir_weights(reservoir_size, seed=seed))
    model = torch.zeros(features.shape[1], targets.shape[1], dtype=features.dtype)
    return {"features": features, "targets": targets, "model": model}


def xor_party(ctx, steps: int = 250, learning_rate: float = 1e-3, reveal_every: int = 1, phases: bool = True) -> dict:
    """Party code: train the readout on shares (what `train_encrypted` does, in one party's process).

    Each step runs in the phase "training step k" (unless `phases` is False: then in the caller's phase).
    Returns this party's share of the trained model (shape (1, size, 1): its own row only).
    """
    data, target, model = ctx.input("features"), ctx.input("targets"), ctx.input("model")
    prediction = None
    for step in range(steps):
        with ctx.phase(f"training step {step}" if phases else ctx.runtime.label):
            model, prediction, error = training_step(data, target, model, learning_rate)
            if step % reveal_every == 0 or step == steps - 1:
                ctx.reveal(squared_error(error), label=("loss", step))
    ctx.reveal(prediction, label=("predictions", steps))
    return {"model share": model.shares}


def training_run(result: RunResult, steps: int) -> TrainingRun:
    """The run as chapter 05 reports it: losses by step (None where none was revealed), predictions, cost."""
    losses: list[float | None] = [None] * steps
    predictions = None
    for revealed in result.revealed:
        if not (isinstance(revealed.label, tuple) and len(revealed.label) == 2):
            continue
        kind, step = revealed.label
        if kind == "loss":
            losses[step] = float(revealed.value)
        elif kind == "predictions":
            predictions = revealed.value
    return TrainingRun(losses=losses, predictions=predictions, steps=steps, cost=result.cost)


def xor_run(
    n_parties: int = 2,
    steps: int = 250,
    learning_rate: float = 1e-3,
    reservoir_size: int = 256,
    seed: int = 0,
    reveal_every: int = 1,
    **options,
) -> tuple[TrainingRun, RunResult]:
    """Train on `n_parties` processes + the dealer process; `options` go to `distributed.run` (timeout, seed of the
    randomness as `randomness_seed`, log_messages, …)."""
    randomness = options.pop("randomness_seed", None)
    result = run(
        xor_party,
        n_parties,
        kwargs={"steps": steps, "learning_rate": learning_rate, "reveal_every": reveal_every},
        inputs=xor_inputs(reservoir_size, seed),
        seed=randomness,
        **options,
    )
    return training_run(result, steps), result
