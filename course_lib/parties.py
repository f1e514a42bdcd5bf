"""Parties, and the runtime that carries their messages and counts them (chapter 02).

A `VirtualWorker` is a named party simulated inside this Python process, like PySyft's. A `PartyGroup` is the set of
parties that hold the shares of a tensor, plus the dealer (crypto provider) that serves them, if any.

Protocols are written SPMD-style — "every party does this to its own share" — so the same protocol code can later
run with one process per party. What differs is the runtime:

* `InProcessRuntime` (the default) keeps the shares of all parties stacked in one int64 tensor of shape
  (n_parties, *shape): one torch operation serves every party, and `x.shares[1]` is Bob's view.
* Opening a value (every party sends its share to every other) is the only communication a protocol needs;
  the runtime counts each such message, so chapters can show what an operation costs in rounds and bytes.

Nothing here is hidden from the learner: in-process simulation means all shares live in one memory. It teaches and
tests the protocols; it does not protect anything.
"""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass, field

import torch

__all__ = ["broadcast_shares", "VirtualWorker", "PartyGroup", "Cost", "InProcessRuntime", "RUNTIME", "measure_cost"]

BYTES_PER_ELEMENT = 8  # a ring element is one int64


def broadcast_shares(shares: torch.Tensor, shape: torch.Size | tuple[int, ...]) -> torch.Tensor:
    """View stacked shares (n, *s) as (n, *shape) by torch's broadcasting rules, without mixing up the party axis."""
    n, own = shares.shape[0], shares.shape[1:]
    if own == tuple(shape):
        return shares
    aligned = shares.reshape(n, *([1] * (len(shape) - len(own))), *own)  # leading 1s go AFTER the party axis
    return aligned.expand(n, *shape)


class VirtualWorker:
    """A party simulated in this process, known by its name. Two workers with the same name are the same party."""

    def __init__(self, id: str):  # noqa: A002 - the article's and PySyft's keyword
        if not isinstance(id, str) or not id.strip():
            raise TypeError(f"a VirtualWorker needs a non-empty name, got {id!r}: try VirtualWorker('alice')")
        self.id = id

    def __eq__(self, other) -> bool:
        return isinstance(other, VirtualWorker) and other.id == self.id

    def __hash__(self) -> int:
        return hash(("VirtualWorker", self.id))

    def __repr__(self) -> str:
        return f"VirtualWorker({self.id!r})"


@dataclass
class Cost:
    """What the parties sent each other (and what the dealer sent them), counted message by message."""

    rounds: int = 0
    messages: int = 0
    bytes: int = 0
    dealer_messages: int = 0
    dealer_bytes: int = 0
    bytes_sent_by: dict[str, int] = field(default_factory=dict)

    def add(self, rounds: int, messages: int, nbytes: int, sender_bytes: dict[str, int], dealer: bool) -> None:
        if dealer:
            self.dealer_messages += messages
            self.dealer_bytes += nbytes
        else:
            self.rounds += rounds
            self.messages += messages
            self.bytes += nbytes
        for name, sent in sender_bytes.items():
            self.bytes_sent_by[name] = self.bytes_sent_by.get(name, 0) + sent

    def __repr__(self) -> str:
        rounds = f"{self.rounds} round{'s' * (self.rounds != 1)}"
        text = f"{rounds}, {self.messages} messages, {_human(self.bytes)} between parties"
        if self.dealer_messages:
            text += f"; {self.dealer_messages} messages, {_human(self.dealer_bytes)} from the dealer"
        return text


def _human(nbytes: int) -> str:
    for unit in ("B", "KiB", "MiB"):
        if nbytes < 1024 or unit == "MiB":
            return f"{nbytes} {unit}" if unit == "B" else f"{nbytes:.1f} {unit}"
        nbytes /= 1024
    raise AssertionError("unreachable")


class InProcessRuntime:
    """All parties in one process; shares stacked on dimension 0. Counts every message a party would send."""

    def __init__(self):
        self.total = Cost()
        self._meters: list[Cost] = []

    def party_indices(self, n_parties: int) -> torch.Tensor:
        """Which party each row of a stacked share tensor belongs to (all of them, in-process)."""
        return torch.arange(n_parties)

    @functools.lru_cache(maxsize=64)  # noqa: B019 - a handful of keys on a process-wide runtime
    def round_up_offsets(self, n_parties: int, rank: int, bits: int) -> torch.Tensor:
        """0 for party 0's row, 2^bits - 1 for the others (so that a right shift rounds them up), shaped to
        broadcast over stacked shares of rank `rank`."""
        offsets = torch.where(self.party_indices(n_parties) == 0, 0, 2**bits - 1)
        return offsets.view(-1, *([1] * (rank - 1)))

    def record(
        self, rounds: int, messages: int, nbytes: int, sender_bytes: dict[str, int], dealer: bool = False
    ) -> None:
        for cost in (self.total, *self._meters):
            cost.add(rounds, messages, nbytes, sender_bytes, dealer)

    def open(self, group: PartyGroup, *shared: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Reveal masked values to every party: each sends its share of each value to all others, in ONE round."""
        n = group.n_parties
        elements = sum(s[0].numel() for s in shared)
        per_party = (n - 1) * elements * BYTES_PER_ELEMENT
        self.record(1, n * (n - 1) * len(shared), n * per_party, {p.id: per_party for p in group.parties})
        return tuple(s.sum(dim=0) for s in shared)

    def add_public(self, shares: torch.Tensor, public: torch.Tensor) -> torch.Tensor:
        """Add a public value to a shared one: party 0 adds it to its share, the others keep theirs."""
        own = shares.shape[1:]
        if public.dim() == 0 or public.shape == own:
            out = shares.clone()
        else:
            out = broadcast_shares(shares, torch.broadcast_shapes(own, public.shape)).clone()
        out[0] += public
        return out

    @contextlib.contextmanager
    def meter(self):
        cost = Cost()
        self._meters.append(cost)
        try:
            yield cost
        finally:
            self._meters.remove(cost)


RUNTIME = InProcessRuntime()


def measure_cost():
    """`with measure_cost() as cost:` counts every message sent inside the block; print `cost` afterwards."""
    return RUNTIME.meter()


class PartyGroup:
    """The parties holding a tensor's shares, the dealer serving them (or None), and the runtime between them."""

    def __init__(self, parties: tuple[VirtualWorker, ...], dealer=None, runtime: InProcessRuntime = RUNTIME):
        self.parties = parties
        self.dealer = dealer
        self.runtime = runtime

    @property
    def n_parties(self) -> int:
        return len(self.parties)

    def names(self) -> str:
        return ", ".join(p.id for p in self.parties)

    def require_dealer(self, operation: str):
        if self.dealer is None:
            raise ValueError(
                f"{operation} needs correlated randomness from a crypto provider, but these shares have none: "
                "share with crypto_provider=cl.VirtualWorker('carol')"
            )
        return self.dealer

    def __eq__(self, other) -> bool:
        return (
            isinstance(other, PartyGroup)
            and other.parties == self.parties
            and getattr(other.dealer, "worker", None) == getattr(self.dealer, "worker", None)
        )

    def __hash__(self) -> int:
        return hash((self.parties, getattr(self.dealer, "worker", None)))

    def __repr__(self) -> str:
        dealer = f"; dealer {self.dealer.worker.id}" if self.dealer is not None else ""
        return f"PartyGroup({self.names()}{dealer})"
