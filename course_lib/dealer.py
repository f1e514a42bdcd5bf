"""The trusted dealer: a crypto provider that hands out correlated randomness (chapter 04).

Multiplying two shared secrets needs randomness with a hidden relation — a Beaver triple: shares of random a and b,
and of c = a·b. Truncating a fixed-point product with three or more parties needs a pair: shares of a random r and of
r shifted right. Neither depends on the data, so a third party can make them in advance (the "offline phase").

Trust assumption, stated plainly: the dealer knows every a, b, c and r it makes. It must
  * not be one of the computing parties and not collude with any of them — a party that learns a triple's a and b
    can unmask x and y from the opened e = x - a and f = y - b;
  * follow the protocol: fresh, uniform randomness for every operation, and a correct c (semi-honest).
In exchange it never sees any data. Real systems replace the dealer with a protocol between the parties
(oblivious transfer or homomorphic encryption), at a much higher cost; this course names the trust instead.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from course_lib import ring, rng
from course_lib.parties import BYTES_PER_ELEMENT, RUNTIME, InProcessRuntime, VirtualWorker

__all__ = ["TrustedDealer"]


class TrustedDealer:
    """Makes Beaver triples and truncation pairs, secret-shared among the parties it serves."""

    def __init__(self, worker: VirtualWorker, runtime: InProcessRuntime = RUNTIME):
        if not isinstance(worker, VirtualWorker):
            raise TypeError(f"the crypto provider must be a VirtualWorker, got {type(worker).__name__}")
        self.worker = worker
        self.runtime = runtime

    def _deal(self, n_parties: int, *values: torch.Tensor) -> list[torch.Tensor]:
        """Share each value among the parties and count what the dealer sends (one message per party per value)."""
        shared = [ring.share(v, n_parties) for v in values]
        nbytes = n_parties * sum(v.numel() for v in values) * BYTES_PER_ELEMENT
        self.runtime.record(0, n_parties * len(values), nbytes, {self.worker.id: nbytes}, dealer=True)
        return shared

    def beaver_triple(
        self, op: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], x_shape, y_shape, n_parties: int
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Shares of uniform a (shaped like x) and b (like y), and of c = op(a, b) in the ring.

        `op` is the ring operation the triple serves: torch.mul (elementwise) or ring.ring_matmul.
        """
        a, b = rng.ring_elements(x_shape), rng.ring_elements(y_shape)
        return tuple(self._deal(n_parties, a, b, op(a, b)))

    def truncation_pair(self, shape, bits: int, n_parties: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Shares of a uniform r and of r >> bits (arithmetic shift: floor(r / 2^bits))."""
        r = rng.ring_elements(shape)
        return tuple(self._deal(n_parties, r, r >> bits))

    def __repr__(self) -> str:
        return f"TrustedDealer({self.worker.id!r})"
