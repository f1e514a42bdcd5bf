"""What checks of exercises on SharedTensors have in common (chapters 05 and 06).

A check hands the learner shared inputs that refuse to be revealed where revealing is the mistake (`unrevealable`),
looks at the learner's shared answers itself (`reveal`), and watches what the learner's function opens
(`watching`: the runtime's record of every deliberate reveal).
"""

from __future__ import annotations

import numbers

import torch

from course_lib.exercises import Mistake
from course_lib.parties import VirtualWorker
from course_lib.runtime import record_openings
from course_lib.tensor import SharedTensor

__all__ = ["parties", "unrevealable", "reveal", "watching", "shared_answer_problem"]


def parties(n: int) -> tuple[tuple[VirtualWorker, ...], VirtualWorker]:
    """n computing parties (alice, bob, dave) and carol, the dealer."""
    return tuple(VirtualWorker(name) for name in ("alice", "bob", "dave")[:n]), VirtualWorker("carol")


class _Unrevealable(SharedTensor):
    """A SharedTensor the learner must not reveal (`why` says so); what is computed from it is an ordinary
    SharedTensor, which may be revealed."""

    why = "revealed a tensor that must stay shared"

    def get(self):
        raise Mistake(self.why)

    def reconstruct(self):
        raise Mistake(self.why)


def unrevealable(shared: SharedTensor, why: str) -> SharedTensor:
    """The same shares, refusing `.get()` with the words `why` (the learner's mistake, named)."""
    kind = type("SharedTensor", (_Unrevealable,), {"why": why})
    return kind(shared.shares, shared.group, shared.encoder, shared.dtype)


def reveal(value: SharedTensor) -> torch.Tensor:
    """The check itself may look, even at an input handed back unchanged: as an ordinary SharedTensor."""
    return SharedTensor(value.shares, value.group, value.encoder, value.dtype).get()


def watching(fn):
    """The learner's function, called under `record_openings`: (its answer, the shapes of what it revealed)."""

    def watched(*args):
        with record_openings() as log:
            out = fn(*args)
        return out, [o.shape for o in log if o.kind == "revealed"]

    watched.__name__ = getattr(fn, "__name__", "function")
    return watched


def shared_answer_problem(out, revealed: list, names: tuple[str, ...], advice: str, where: str) -> str | None:
    """What is wrong with the form of a step's answer on shares: something revealed inside it (`advice` says what to do
    instead), not a tuple of len(names), or a part that is not a SharedTensor. None when the form is right."""
    if revealed:
        what = "a number" if revealed[0] == () else f"a tensor of shape {revealed[0]}"
        return f"the step revealed {what} (.get() inside): {advice}"
    if not isinstance(out, tuple) or len(out) != len(names):
        what = f"a tuple of {len(out)}" if isinstance(out, tuple) else type(out).__name__
        return f"returned {what}, expected a tuple ({', '.join(names)})"
    for name, value in zip(names, out, strict=True):
        if isinstance(value, (torch.Tensor, numbers.Number)):
            return f"{name} is a plain {type(value).__name__}: keep it shared (no .get() inside {where})"
        if not isinstance(value, SharedTensor):
            return f"{name} is {type(value).__name__}, expected a SharedTensor"
    return None
