"""What a network adds to a computation, as a model: time ≈ rounds × round trip + bytes ÷ bandwidth (chapter 09).

Two numbers describe a network link for our purposes:

* the ROUND-TRIP TIME (rtt, seconds): how long a message takes to go and an answer to come back. A protocol round
  costs about one round trip with gloo, not a one-way trip: gloo's TCP transport sends a message's data only after
  the receiver has announced a buffer for it (a "ready to receive" notice), so when both parties post their sends and
  receives at the same moment, the notices cross the link once and the data once more. (When the receiver was ready
  well before the sender, the data goes at once: half a round trip.)
* the BANDWIDTH (bits per second): how fast a party can push bytes through its own link, once they flow.

A computation with `rounds` rounds in which the busiest party sends `nbytes` bytes then spends about

    rounds × rtt + 8 × nbytes ÷ bandwidth

seconds on the network, on top of its local work. The parties send at the same time, each through its own link, so
the bytes term counts what ONE party sends (the busiest one), not the total. It is an estimate: it leaves out what TCP
adds (headers, acknowledgements, slow start) and any overlap of one party's work with another's messages.

    network_seconds(rounds=8, nbytes=2_048, rtt=0.05, bandwidth=100e6)     # a comparison: ~0.4 s, all rounds
    network_seconds(rounds=1, nbytes=10_485_760, rtt=0.05, bandwidth=100e6)  # a big matmul: ~0.89 s, mostly bytes

`course_lib.distributed.run(..., latency=...)` (or `with ctx.delay(...)` in party code) makes every round wait, so
the rounds term can be checked against a measurement on one machine.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable

from course_lib.cost import Cost

__all__ = ["network_seconds", "busiest_party_bytes", "MS", "MBIT", "GBIT"]

MS = 1e-3  # a millisecond, in seconds
MBIT = 1e6  # a megabit per second, in bits per second
GBIT = 1e9  # a gigabit per second, in bits per second


def _number(value, name: str, positive: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise TypeError(f"{name} must be a finite number, got {value!r}")
    if value < 0 or (positive and value == 0):
        raise ValueError(f"{name} must be {'positive' if positive else '>= 0'}, got {value!r}")
    return float(value)


def network_seconds(rounds: int, nbytes: int, rtt: float, bandwidth: float) -> float:
    """Seconds on the network: `rounds` round trips of `rtt` seconds, plus `nbytes` bytes (what the busiest party
    sends) at `bandwidth` bits per second: rounds × rtt + 8 × nbytes / bandwidth."""
    rounds = _number(rounds, "rounds", positive=False)
    nbytes = _number(nbytes, "nbytes", positive=False)
    rtt = _number(rtt, "rtt", positive=False)
    bandwidth = _number(bandwidth, "bandwidth", positive=True)
    return rounds * rtt + 8 * nbytes / bandwidth


def busiest_party_bytes(cost: Cost, parties: Iterable[str]) -> int:
    """The most bytes any one of `parties` sent (by name, from `cost.bytes_sent_by`): what crosses the busiest link.
    The dealer's deliveries are not counted (offline: prepared ahead)."""
    names = list(parties)
    if not names:
        raise ValueError("name at least one party")
    return max(cost.bytes_sent_by.get(name, 0) for name in names)
