"""When a party fails: one exception, and the sentences that name who failed, where, and how (chapter 09).

A computation split over processes can fail in ways one process cannot: a party crashes, is killed, or never joins.
torch.distributed reports that as "Connection closed by peer [127.0.0.1]:50060" or "Timed out waiting 30000ms for
recv operation to complete" — true, but it names neither the party nor the step. Every such error is translated here
into a sentence a person can act on: "party bob (rank 1) did not answer during `open` in step 17 within 10 s".
"""

from __future__ import annotations

__all__ = ["PartyFailure", "Roles", "classify"]


class PartyFailure(RuntimeError):
    """A party (or the dealer) crashed, was killed, stopped answering or never joined.

    `message` names the party that failed first (the root cause) and the step; `reports` maps each process that saw
    the failure (by its role, e.g. "alice (rank 0)") to what it saw.
    """

    def __init__(self, message: str, *, rank: int | None = None, reports: dict[str, str] | None = None):
        self.rank = rank  # the rank that failed first, when known
        self.reports = dict(reports or {})
        text = message
        if self.reports:
            text += "\n" + "\n".join(f"  {who}: {seen}" for who, seen in self.reports.items())
        super().__init__(text)
        self.message = message

    def __reduce__(self):  # travels from a party's process to the launcher intact
        return (_rebuild, (self.message, self.rank, self.reports))


def _rebuild(message: str, rank: int | None, reports: dict[str, str]) -> PartyFailure:
    return PartyFailure(message, rank=rank, reports=reports)


class Roles:
    """Who plays which rank: parties are ranks 0 … n-1, the dealer process is rank n (the last one)."""

    def __init__(self, names: tuple[str, ...], dealer_name: str):
        self.names = tuple(names)
        self.dealer_name = dealer_name

    @property
    def n_parties(self) -> int:
        return len(self.names)

    @property
    def dealer_rank(self) -> int:
        return len(self.names)

    @property
    def world_size(self) -> int:
        return len(self.names) + 1

    def name(self, rank: int) -> str:
        return self.dealer_name if rank == self.dealer_rank else self.names[rank]

    def describe(self, rank: int) -> str:
        """'party bob (rank 1)' or 'the dealer carol (rank 2)': how an error message names a process."""
        if rank == self.dealer_rank:
            return f"the dealer {self.dealer_name} (rank {rank})"
        return f"party {self.names[rank]} (rank {rank})"

    def short(self, rank: int) -> str:
        return f"{self.name(rank)} (rank {rank})"


def classify(error: BaseException) -> str:
    """What a torch.distributed / gloo error means, in words: 'timeout', 'gone' (the peer's process closed its
    connection: it died or exited) or 'error' (anything else)."""
    text = str(error)
    if "Timed out" in text or "timeout" in text.lower():
        return "timeout"
    if any(s in text for s in ("Connection closed", "Connection reset", "Read error", "Broken pipe", "Write error")):
        return "gone"
    return "error"
