"""Parties: who holds the shares, and who deals the correlated randomness (chapter 02).

A `VirtualWorker` is a named party simulated inside this Python process, like PySyft's. A `PartyGroup` is the set of
parties that hold the shares of a tensor, plus the dealer (crypto provider) that serves them, if any, and the runtime
that carries their messages (`course_lib.runtime`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from course_lib.runtime import RUNTIME, InProcessRuntime

if TYPE_CHECKING:
    from course_lib.dealer import TrustedDealer

__all__ = ["VirtualWorker", "PartyGroup"]


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


class PartyGroup:
    """The parties holding a tensor's shares, the dealer serving them (or None), and the runtime between them."""

    def __init__(
        self,
        parties: tuple[VirtualWorker, ...],
        dealer: TrustedDealer | None = None,
        runtime: InProcessRuntime = RUNTIME,
    ):
        parties = tuple(parties)
        if len(parties) < 2:
            raise ValueError(f"secret sharing needs at least 2 parties, got {len(parties)}: share(x, alice, bob, ...)")
        for party in parties:
            if not isinstance(party, VirtualWorker):
                raise TypeError(
                    f"parties must be VirtualWorkers, got {type(party).__name__}: use cl.VirtualWorker('alice')"
                )
        if len(set(parties)) != len(parties):
            raise ValueError(f"each party may hold only one share, but {[p.id for p in parties]} names a party twice")
        if dealer is not None and dealer.worker in parties:
            raise ValueError(
                f"{dealer.worker.id} cannot be both a party and the crypto provider: the dealer knows every triple, "
                "so a party that is also the dealer can unmask everything. Pick a third worker."
            )
        self.parties = parties
        self.dealer = dealer
        self.runtime = runtime

    @property
    def n_parties(self) -> int:
        return len(self.parties)

    @property
    def crypto_provider(self) -> VirtualWorker | None:
        """The worker who deals the triples and pairs (None: these shares cannot be multiplied together)."""
        return None if self.dealer is None else self.dealer.worker

    def names(self) -> str:
        return ", ".join(p.id for p in self.parties)

    def names_tuple(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.parties)

    def require_dealer(self, operation: str) -> TrustedDealer:
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
            and other.crypto_provider == self.crypto_provider
            and other.runtime is self.runtime
        )

    def __hash__(self) -> int:
        return hash((self.parties, self.crypto_provider))

    def __repr__(self) -> str:
        dealer = f"; dealer {self.crypto_provider.id}" if self.dealer is not None else ""
        return f"PartyGroup({self.names()}{dealer})"
