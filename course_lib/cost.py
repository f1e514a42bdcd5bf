"""What a computation costs in communication: rounds, messages and bytes (chapter 02).

The runtime (`course_lib.runtime`) records every message a party would send; a `Cost` adds them up. Open a meter with
`with measure_cost() as cost:` and print `cost` afterwards. Meters are context-local: a meter opened in one thread (or
notebook, or asyncio task) counts that code's messages only.
"""

from __future__ import annotations

import contextlib
import contextvars
from dataclasses import dataclass, field

__all__ = ["BYTES_PER_ELEMENT", "Cost", "measure_cost", "open_meters"]

BYTES_PER_ELEMENT = 8  # a ring element is one int64


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
        text = f"{rounds}, {self.messages} messages, {human_bytes(self.bytes)} between parties"
        if self.dealer_messages:
            text += f"; {self.dealer_messages} messages, {human_bytes(self.dealer_bytes)} from the dealer"
        return text


def human_bytes(nbytes: float) -> str:
    """1536 -> '1.5 KiB': the unit a person reads at a glance."""
    for unit in ("B", "KiB", "MiB"):
        if nbytes < 1024 or unit == "MiB":
            return f"{nbytes} {unit}" if unit == "B" else f"{nbytes:.1f} {unit}"
        nbytes /= 1024
    raise AssertionError("unreachable")


_meters: contextvars.ContextVar[tuple[Cost, ...]] = contextvars.ContextVar("course_lib_meters", default=())


def open_meters() -> tuple[Cost, ...]:
    """The meters open in this context (the runtime adds every message to each of them)."""
    return _meters.get()


@contextlib.contextmanager
def measure_cost():
    """`with measure_cost() as cost:` counts every message sent inside the block, in this context."""
    cost = Cost()
    token = _meters.set((*_meters.get(), cost))
    try:
        yield cost
    finally:
        _meters.reset(token)
