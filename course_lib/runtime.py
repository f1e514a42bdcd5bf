"""The runtime: how shares travel between parties, and the record of every message (chapter 02).

Protocols are written SPMD-style — "every party does this to its own share" — so the same protocol code can run with
all parties in this process or with one process per party. What differs is the runtime:

* `InProcessRuntime` (the default) keeps the shares of all parties stacked in one int64 tensor of shape
  (n_parties, *shape): one torch operation serves every party, and `x.shares[1]` is Bob's view.
* Every message goes through ONE primitive, `send`: it counts rounds, messages and bytes into the open meters
  (`course_lib.cost`). `input`, `open`, `reveal` and the dealer's deliveries are all built on it.
* What is *opened* is logged too: `with record_openings() as log:` lists every value that left the shares — a masked
  value inside a protocol ("masked": uniform noise to whoever sees it) or a deliberate reveal ("revealed"). A sentence
  in the course that says what a party learns is checked against this log in the tests.

In-process simulation means all shares live in one memory: it teaches and tests the protocols; it protects nothing.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

from course_lib import ring
from course_lib.cost import BYTES_PER_ELEMENT, Cost, open_meters

if TYPE_CHECKING:
    from course_lib.parties import PartyGroup

__all__ = ["Opening", "InProcessRuntime", "RUNTIME", "record_openings", "log_openings", "broadcast_shares", "CALLER"]

CALLER = "you"  # who receives a deliberate reveal: the person running the computation (the analyst at the keyboard)


@dataclass(frozen=True)
class Opening:
    """One value that left the shares: `kind` is "masked" (a protocol's masked operand) or "revealed" (a result)."""

    kind: str
    receivers: tuple[str, ...]
    value: torch.Tensor  # the ring elements everyone who received it now knows

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.value.shape)


_openings: contextvars.ContextVar[tuple[list[Opening], ...]] = contextvars.ContextVar("course_lib_openings", default=())


@contextlib.contextmanager
def record_openings():
    """`with record_openings() as log:` — every value opened or revealed inside the block, in order (this context)."""
    log: list[Opening] = []
    token = _openings.set((*_openings.get(), log))
    try:
        yield log
    finally:
        _openings.reset(token)


def log_openings(kind: str, receivers: tuple[str, ...], values: Iterable[torch.Tensor]) -> None:
    """Add opened values to every `record_openings` log open in this context.

    Hook for other runtimes (chapter 09's `course_lib.distributed` logs, in each party's process, what that party
    received); the in-process runtime logs through it too.
    """
    for log in _openings.get():
        log.extend(Opening(kind, receivers, v.clone()) for v in values)


def broadcast_shares(shares: torch.Tensor, shape: torch.Size | tuple[int, ...]) -> torch.Tensor:
    """View stacked shares (n, *s) as (n, *shape) by torch's broadcasting rules, without mixing up the party axis."""
    n, own = shares.shape[0], shares.shape[1:]
    if own == tuple(shape):
        return shares
    aligned = shares.reshape(n, *([1] * (len(shape) - len(own))), *own)  # leading 1s go AFTER the party axis
    return aligned.expand(n, *shape)


class InProcessRuntime:
    """All parties in one process; shares stacked on dimension 0. Counts every message a party would send."""

    def __init__(self):
        self.total = Cost()
        self._lock = threading.Lock()  # threads may compute at once; the process-wide total must not lose counts

    # ----- the one primitive: a message ------------------------------------------------------------------------------
    def send(self, senders: Iterable[str], receivers: Iterable[str], *sizes: int, offline: bool = False) -> None:
        """Every sender sends one message per value (of `sizes[i]` ring elements) to every receiver but itself, all
        in one round.

        `offline` marks the dealer's deliveries: they do not depend on the data, so they are counted apart and take no
        round of the online computation.
        """
        messages_per_value, per_sender_messages = _fan_out(tuple(senders), tuple(receivers))
        element_bytes = sum(sizes) * BYTES_PER_ELEMENT
        per_sender = {s: count * element_bytes for s, count in per_sender_messages}
        messages = messages_per_value * len(sizes)
        rounds = 0 if offline or not messages else 1
        with self._lock:
            for cost in (self.total, *open_meters()):
                cost.add(rounds, messages, messages_per_value * element_bytes, per_sender, dealer=offline)

    def _log(self, kind: str, receivers: tuple[str, ...], values: Iterable[torch.Tensor]) -> None:
        log_openings(kind, receivers, values)

    # ----- what protocols and tensors do with it -----------------------------------------------------------------
    def input(self, group: PartyGroup, encoded: torch.Tensor, owner: str = "data owner") -> torch.Tensor:
        """The data owner splits an encoded secret into shares and sends each party its own (one round); returns the
        shares this process holds (in-process: all of them, stacked)."""
        shares = ring.share(encoded, group.n_parties)
        self.send((owner,), group.names_tuple(), encoded.numel())
        return shares

    def rows(self, n_parties: int) -> int:
        """How many parties' shares this process holds (in-process: all of them)."""
        return n_parties

    def open(self, group: PartyGroup, *shared: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Open MASKED values to every party: each sends its share of each value to all others, in ONE round.

        Only a protocol calls this, and only on values hidden by a fresh uniform mask (see `course_lib.protocols`).
        """
        names = group.names_tuple()
        self.send(names, names, *(s[0].numel() for s in shared))
        opened = tuple(s.sum(dim=0) for s in shared)
        self._log("masked", names, opened)
        return opened

    def reveal(self, group: PartyGroup, shares: torch.Tensor, to: str = CALLER) -> torch.Tensor:
        """Reveal a result on purpose: every party sends its share to `to` (one round); returns the ring value."""
        self.send(group.names_tuple(), (to,), shares[0].numel())
        value = shares.sum(dim=0)
        self._log("revealed", (to,), (value,))
        return value

    def party_indices(self, n_parties: int) -> torch.Tensor:
        """Which party each row of a stacked share tensor belongs to (all of them, in-process)."""
        return _arange(n_parties)

    def add_public(self, shares: torch.Tensor, public: torch.Tensor) -> torch.Tensor:
        """Add a public value to a shared one: party 0 adds it to its share, the others keep theirs."""
        own = shares.shape[1:]
        if public.dim() == 0 or public.shape == own:
            out = shares.clone()
        else:
            out = broadcast_shares(shares, torch.broadcast_shapes(own, public.shape)).clone()
        out[0] += public
        return out

    # One runtime per process: copies and unpickled tensors must use it (and its dealers), never a clone of it.
    def __copy__(self) -> InProcessRuntime:
        return self

    def __deepcopy__(self, memo) -> InProcessRuntime:
        return self

    def __reduce__(self):
        if self is not RUNTIME:
            raise TypeError("only the process's default runtime can be pickled (as a reference to it)")
        return (_default_runtime, ())

    def __repr__(self) -> str:
        return "InProcessRuntime(all parties in this process)"


@functools.lru_cache(maxsize=256)
def _fan_out(senders: tuple[str, ...], receivers: tuple[str, ...]) -> tuple[int, tuple[tuple[str, int], ...]]:
    """(messages per value, (sender, receivers it sends to) pairs): nobody sends to itself. Cached: the same few
    sender/receiver sets come back at every step of a training loop."""
    counts = tuple((s, sum(r != s for r in receivers)) for s in senders)
    return sum(c for _, c in counts), counts


@functools.lru_cache(maxsize=16)
def _arange(n: int) -> torch.Tensor:
    return torch.arange(n)


RUNTIME = InProcessRuntime()


def _default_runtime() -> InProcessRuntime:
    return RUNTIME
