"""The trusted dealer: a crypto provider that hands out correlated randomness (chapter 04).

Multiplying two shared secrets needs randomness with a hidden relation — a Beaver triple: shares of random a and b,
and of c = a·b. Dividing a fixed-point value with three or more parties (truncation) needs a pair: shares of a random
r and of r divided by the public divisor. Neither depends on the data, so a third party can make them in advance (the
"offline phase").

Trust assumption, stated plainly: the dealer knows every a, b, c and r it makes. It must
  * not be one of the computing parties and not collude with any of them — a party that learns a triple's a and b
    can unmask x and y from the opened e = x - a and f = y - b;
  * follow the protocol: fresh, uniform randomness for every operation, and a correct c (semi-honest).
In exchange it never sees any data. Real systems replace the dealer with a protocol between the parties
(oblivious transfer or homomorphic encryption), at a much higher cost; this course names the trust instead.

Used once, whatever happens to the tensors: a triple opened twice lets the parties subtract the two openings and learn
x1 - x2 exactly. So a dealer is never duplicated — `copy.deepcopy` of a shared tensor (or of the dealer) keeps the SAME
dealer, and a pickled dealer comes back as this process's dealer for that crypto provider (`dealer_for`), never with
the stock it had. Its unused stock cannot be copied out of it.

Offline in batches: for small shapes the dealer makes up to 64 triples (or pairs) at once with one vectorised draw and
hands out one per request — as a real offline phase would. Every item is still used once; only the Python overhead per
multiplication drops (chapter 05's training loop is 2× faster). Stock is kept per randomness source
(`course_lib.rng`): what was made under a seeded source is never handed out under another one (or another thread's).

Chapter 06 adds what comparisons need (see `course_lib.comparison`): edaBits (a uniform r shared twice, additively
and bit by bit with XOR), AND triples for the bitwise circuit (XOR-shared words, 64 AND gates per word), and daBits
(random bits shared both ways, packed 64 to a word on the XOR side) to turn a XOR-shared bit back into an additive one.
The dealer knows all of them, with the same trust as for the triples above.
"""

from __future__ import annotations

import functools
import math
import threading
import weakref
from collections.abc import Callable, Iterator

import torch

from course_lib import ring, rng
from course_lib.parties import VirtualWorker
from course_lib.runtime import RUNTIME, InProcessRuntime

__all__ = ["TrustedDealer", "dealer_for"]

_MAX_BATCH = 64  # items per offline batch, at most


class TrustedDealer:
    """Makes Beaver triples and division (truncation) pairs, secret-shared among the parties it serves."""

    def __init__(self, worker: VirtualWorker, runtime: InProcessRuntime = RUNTIME, batch_elements: int = 1 << 16):
        if not isinstance(worker, VirtualWorker):
            raise TypeError(f"the crypto provider must be a VirtualWorker, got {type(worker).__name__}")
        self.worker = worker
        self.runtime = runtime
        self.batch_elements = batch_elements  # how many ring elements one offline batch may hold
        # randomness source -> {item kind: iterator over the unused items}; a source that is gone takes its stock along
        self._stock: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()  # two threads must never take the same item

    # ----- never duplicated -----------------------------------------------------------------------------------------
    def __copy__(self) -> TrustedDealer:
        return self

    def __deepcopy__(self, memo) -> TrustedDealer:
        return self

    def __reduce__(self):
        return (dealer_for, (self.worker,))

    # ----- delivery and stock ---------------------------------------------------------------------------------------
    def _deliver(self, n_parties: int, *shares: torch.Tensor) -> None:
        """Count what the dealer sends: each party gets its share of each value (offline: no online round)."""
        self.runtime.send((self.worker.id,), _receivers(n_parties), *(s[0].numel() for s in shares), offline=True)

    @staticmethod
    def _random_shared(shape, n_parties: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Shares of a uniform random value, and the value. Drawing the n shares directly is the same as drawing
        the value and splitting it (both give n independent uniform shares), and saves a draw.
        `shape` starts with the batch dimension: the party axis comes second."""
        shares = rng.ring_elements((shape[0], n_parties, *shape[1:]))
        return shares, ring.reconstruct(shares.transpose(0, 1))

    def _take(self, key: tuple, elements_per_item: int, make: Callable[[int], tuple[torch.Tensor, ...]]):
        """One item from the stock for `key` under the current randomness source; a new batch when it runs out."""
        source = rng.current_source()
        with self._lock:
            stocks: dict[tuple, Iterator] = self._stock.setdefault(source, {})
            item = next(stocks.get(key, iter(())), None)
            if item is None:
                count = max(1, min(_MAX_BATCH, self.batch_elements // max(elements_per_item, 1)))
                stock = zip(*(t.unbind(0) for t in make(count)), strict=True)  # batch dim first: one item per index
                stocks[key] = stock
                item = next(stock)
        return item

    # ----- what the protocols ask for -------------------------------------------------------------------------------
    def beaver_triple(
        self, op: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], x_shape, y_shape, n_parties: int
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Shares of uniform a (shaped like x) and b (like y), and of c = op(a, b) in the ring.

        `op` is the ring operation the triple serves: torch.mul (elementwise) or ring.ring_matmul. x and y must have
        the same rank (the batch axes of a and b pair up item by item).
        """
        x_shape, y_shape = tuple(x_shape), tuple(y_shape)
        if len(x_shape) != len(y_shape):
            raise ValueError(f"a triple needs operands of the same rank, got shapes {x_shape} and {y_shape}")

        def make(count: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
            a_shares, a = self._random_shared((count, *x_shape), n_parties)
            b_shares, b = self._random_shared((count, *y_shape), n_parties)
            c_shares = ring.share(op(a, b), n_parties).transpose(0, 1)
            return a_shares, b_shares, c_shares

        elements = n_parties * (2 * math.prod(x_shape) + 2 * math.prod(y_shape))  # a, b and (about) c
        triple = self._take(("triple", op, x_shape, y_shape, n_parties), elements, make)
        self._deliver(n_parties, *triple)
        return triple

    def division_pair(self, shape, divisor: int | torch.Tensor, n_parties: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Shares of a uniform r and of floor(r / divisor) (a public positive integer, or an int64 tensor of them
        that broadcasts to `shape`)."""
        shape = tuple(shape)
        if isinstance(divisor, torch.Tensor):
            divisor_key = ("tensor", tuple(divisor.shape), divisor.numpy().tobytes())
        else:
            divisor_key = int(divisor)

        def make(count: int) -> tuple[torch.Tensor, torch.Tensor]:
            r_shares, r = self._random_shared((count, *shape), n_parties)
            quotient = torch.div(r, divisor, rounding_mode="floor")
            return r_shares, ring.share(quotient.expand(count, *shape).contiguous(), n_parties).transpose(0, 1)

        pair = self._take(("pair", shape, divisor_key, n_parties), 2 * n_parties * math.prod(shape), make)
        self._deliver(n_parties, *pair)
        return pair

    def truncation_pair(self, shape, bits: int, n_parties: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Shares of a uniform r and of r >> bits (arithmetic shift: floor(r / 2^bits))."""
        if not 0 <= bits <= 62:
            raise ValueError(f"a truncation pair shifts by 0 to 62 bits, got {bits}")
        return self.division_pair(shape, 1 << bits, n_parties)

    # ----- comparisons (chapter 06): bits shared with XOR -------------------------------------------------------------
    @staticmethod
    def _pool(count: int, *shapes: tuple[int, ...]) -> list[torch.Tensor]:
        """ONE draw of uniform ring elements, cut into tensors of shapes (count, *shape): a whole batch of
        correlated randomness costs one call to the randomness source."""
        sizes = [count * math.prod(shape) for shape in shapes]
        pool = rng.ring_elements((sum(sizes),))
        return [part.view(count, *shape) for part, shape in zip(pool.split(sizes), shapes, strict=True)]

    def edabits(self, shape, n_parties: int, neighbours: bool = False) -> tuple[torch.Tensor, ...]:
        """Shares of a uniform ring element r, twice: additive shares (they add up to r mod 2^64) and XOR shares of
        the same r (they XOR to r's 64 bits). Shaped (n_parties, *shape) each. With `neighbours`, also XOR shares of
        r AND (r << 1) — bit j is r_j AND r_j-1, the products of neighbouring bits.

        A comparison masks x with the additive r, opens x + r, and works on r's bits with a bitwise circuit; the
        neighbours' products let it do the circuit's first level without a round of AND gates.
        """
        shape = tuple(shape)
        parts = 3 if neighbours else 2

        def make(count: int) -> tuple[torch.Tensor, ...]:
            additive, *xors = self._pool(count, *[(n_parties, *shape)] * parts)
            r = additive.sum(dim=1)
            shared = [_xor_share(r, xors[0])]
            if neighbours:
                shared.append(_xor_share(r & (r << 1), xors[1]))
            return (additive, *shared)

        item = self._take(("edabits", shape, n_parties, neighbours), parts * n_parties * math.prod(shape), make)
        self._deliver(n_parties, *item)
        return item

    def and_triples(self, shape, n_parties: int, pairs: int = 1) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """XOR shares of uniform words a (n_parties, *shape) and b (n_parties, pairs, *shape), and of
        c[:, i] = a AND b[:, i] bit by bit: 64 AND gates per word (Beaver's trick with XOR for + and AND for ×).

        `pairs` > 1 serves one operand that meets several others (the circuit's P AND G and P AND P): the parties
        open that operand's mask once instead of once per gate.
        """
        shape = tuple(shape)

        def make(count: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
            a, b, c = self._pool(count, (n_parties, *shape), (n_parties, pairs, *shape), (n_parties, pairs, *shape))
            return a, b, _xor_share(_xor_reduce(a, 1).unsqueeze(1) & _xor_reduce(b, 1), c)

        elements = n_parties * (1 + 2 * pairs) * math.prod(shape)
        item = self._take(("and_triples", shape, n_parties, pairs), elements, make)
        self._deliver(n_parties, *item)
        return item

    def dabits(self, shape, n_parties: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Random bits s, one per element of `shape` = (*lead, count): XOR shares of s packed 64 to a word, shaped
        (n_parties, *lead, ceil(count / 64)) — element v at bit 63 - v % 64 of word v // 64, the unused bits of the
        last word random too — and additive shares of the same bits as integers 0/1, shaped (n_parties, *shape).
        """
        shape = tuple(shape)
        *lead, length = shape
        words = (*lead, -(-length // 64))

        def make(count: int) -> tuple[torch.Tensor, torch.Tensor]:
            packed, additive = self._pool(count, (n_parties, *words), (n_parties, *shape))
            bits = _unpack_bits(_xor_reduce(packed, 1), length)
            torch.sub(bits, additive[:, :-1].sum(dim=1), out=additive[:, -1])  # the last share completes the sum
            return packed, additive

        item = self._take(("dabits", shape, n_parties), n_parties * (math.prod(words) + math.prod(shape)), make)
        self._deliver(n_parties, *item)
        return item

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.worker.id!r})"


_DEALERS: dict[tuple[int, VirtualWorker], TrustedDealer] = {}
_DEALERS_LOCK = threading.Lock()


def dealer_for(worker: VirtualWorker, runtime: InProcessRuntime = RUNTIME) -> TrustedDealer:
    """This process's dealer for the crypto provider `worker`: one per provider, so its offline stock is pooled."""
    with _DEALERS_LOCK:
        key = (id(runtime), worker)
        if key not in _DEALERS:
            _DEALERS[key] = TrustedDealer(worker, runtime)
        return _DEALERS[key]


@functools.lru_cache(maxsize=16)
def _receivers(n_parties: int) -> tuple[str, ...]:
    return tuple(f"party {i}" for i in range(n_parties))


def _xor_reduce(shares: torch.Tensor, dim: int) -> torch.Tensor:
    """XOR of the tensors along `dim` (what XOR shares stand for)."""
    parts = shares.unbind(dim)
    out = parts[0]
    for part in parts[1:]:
        out = out ^ part
    return out


def _xor_share(value: torch.Tensor, shares: torch.Tensor) -> torch.Tensor:
    """XOR shares of `value` (count, *shape) in `shares` (count, n, *shape), uniform: the last share is overwritten
    with the value XOR all the others (in place). Returns `shares`."""
    if shares.shape[1] > 1:
        torch.bitwise_xor(value, _xor_reduce(shares[:, :-1], 1), out=shares[:, -1])
    else:
        shares[:, -1] = value
    return shares


_BIT_POSITIONS = 63 - torch.arange(64)  # element v of a packed word sits at bit 63 - v


def _unpack_bits(words: torch.Tensor, length: int) -> torch.Tensor:
    """Bits 0/1 (int64) of packed words (..., W): element v at bit 63 - v % 64 of word v // 64; the first `length`."""
    bits = (words.unsqueeze(-1) >> _BIT_POSITIONS) & 1
    return bits.reshape(*words.shape[:-1], -1)[..., :length]
