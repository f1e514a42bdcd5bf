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

Offline in batches: for small shapes the dealer makes `batch` triples (or pairs) at once with one vectorised draw
and hands out one per request — as a real offline phase would. Every item is still used once, so nothing about
security changes; only the Python overhead per multiplication drops (chapter 05's training loop is 2× faster). A
stock made under one randomness mode is thrown away when `course_lib.rng` switches mode.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import torch

from course_lib import ring, rng
from course_lib.parties import BYTES_PER_ELEMENT, RUNTIME, InProcessRuntime, VirtualWorker

__all__ = ["TrustedDealer"]


class TrustedDealer:
    """Makes Beaver triples and truncation pairs, secret-shared among the parties it serves."""

    def __init__(self, worker: VirtualWorker, runtime: InProcessRuntime = RUNTIME, batch_elements: int = 1 << 16):
        if not isinstance(worker, VirtualWorker):
            raise TypeError(f"the crypto provider must be a VirtualWorker, got {type(worker).__name__}")
        self.worker = worker
        self.runtime = runtime
        self.batch_elements = batch_elements  # how many ring elements one offline batch may hold
        self._stock: dict[tuple, tuple[int, Iterator]] = {}

    def _send(self, n_parties: int, *shares: torch.Tensor) -> None:
        """Count what the dealer sends: one message per party per shared value."""
        nbytes = sum(s.numel() for s in shares) * BYTES_PER_ELEMENT
        self.runtime.record(0, n_parties * len(shares), nbytes, {self.worker.id: nbytes}, dealer=True)

    @staticmethod
    def _random_shared(shape, n_parties: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Shares of a uniform random value, and the value. Drawing the n shares directly is the same as drawing
        the value and splitting it (both give n independent uniform shares), and saves a draw.
        `shape` may start with a batch dimension: the party axis then comes second."""
        shares = rng.ring_elements((shape[0], n_parties, *shape[1:]))
        return shares, ring.reconstruct(shares.transpose(0, 1))

    def _take(self, key: tuple, elements_per_item: int, make: Callable[[int], tuple[torch.Tensor, ...]]):
        """One item from the stock for `key`, making a new batch with `make(count)` when it runs out."""
        generation, stock = self._stock.get(key, (None, None))
        if generation == rng.generation() and stock is not None:
            item = next(stock, None)
            if item is not None:
                return item
        count = max(1, min(64, self.batch_elements // max(elements_per_item, 1)))
        stock = zip(*(t.unbind(0) for t in make(count)), strict=True)  # batch dim first: one item per index
        self._stock[key] = (rng.generation(), stock)
        return next(stock)

    def beaver_triple(
        self, op: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], x_shape, y_shape, n_parties: int
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Shares of uniform a (shaped like x) and b (like y), and of c = op(a, b) in the ring.

        `op` is the ring operation the triple serves: torch.mul (elementwise) or ring.ring_matmul.
        """
        x_shape, y_shape = tuple(x_shape), tuple(y_shape)

        def make(count: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
            a_shares, a = self._random_shared((count, *x_shape), n_parties)
            b_shares, b = self._random_shared((count, *y_shape), n_parties)
            c = op(a, b)  # x and y have the same rank here, so the batch axes pair up item by item
            c_shares = ring.share(c, n_parties).transpose(0, 1)
            return a_shares, b_shares, c_shares

        elements = n_parties * (2 * _numel(x_shape) + 2 * _numel(y_shape))  # a, b and (about) c
        triple = self._take(("triple", op, x_shape, y_shape, n_parties), elements, make)
        self._send(n_parties, *triple)
        return triple

    def truncation_pair(self, shape, bits: int, n_parties: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Shares of a uniform r and of r >> bits (arithmetic shift: floor(r / 2^bits))."""
        shape = tuple(shape)

        def make(count: int) -> tuple[torch.Tensor, torch.Tensor]:
            r_shares, r = self._random_shared((count, *shape), n_parties)
            return r_shares, ring.share(r >> bits, n_parties).transpose(0, 1)

        pair = self._take(("pair", shape, bits, n_parties), 2 * n_parties * _numel(shape), make)
        self._send(n_parties, *pair)
        return pair

    def __repr__(self) -> str:
        return f"TrustedDealer({self.worker.id!r})"


def _numel(shape: tuple[int, ...]) -> int:
    count = 1
    for size in shape:
        count *= size
    return count
