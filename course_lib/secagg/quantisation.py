"""From float updates to ring elements and back: step 1 of secure aggregation (chapter 07).

Masks only cancel exactly in a ring, so every client first turns its float update into integers mod 2^32:

1. Clip every value to the public range [-clip, clip]. Clipping bounds what one client can add to the sum, which
   is what makes a fixed number of bits enough; it also changes the sum whenever a value lies outside the range, so
   the range must be wide enough for honest updates (we warn when it cuts anything).
2. Shift and scale: z = (x + clip) / step, a real number in [0, L] with L = 2^b - 1 levels and step = 2·clip / L.
3. Round stochastically: up with probability frac(z), down otherwise. The expected value is z itself, so the
   rounding adds no bias, and its error is below one step. The coin flips are the client's own randomness:
   `course_lib.rng`, the operating system's CSPRNG by default.

Why a 32-bit ring and how many value bits. The masked vector is the largest message a client sends; 32-bit
elements cost exactly what a float32 upload costs, so secure aggregation's overhead over plain federated averaging
is only the keys and shares (a 2^64 ring like `course_lib.ring` would double it). The server adds N values of at most
L each, and the sum must not wrap around 2^32, so `Quantiser.for_clients(n, clip)` spends ceil(log2 n) bits on
headroom and the remaining b = 32 - ceil(log2 n) on precision: 25 bits of precision for 100 clients, finer than a
float32 mantissa. Dequantising a sum of n values undoes the shift n times: total = S·step - n·clip.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from course_lib import rng

__all__ = ["RING_BITS", "RING_MODULUS", "MIN_VALUE_BITS", "Quantiser", "quantise", "dequantise", "uniform_floats"]

RING_BITS = 32
RING_MODULUS = 1 << RING_BITS
RING_MASK = RING_MODULUS - 1
MIN_VALUE_BITS = 8  # fewer than 256 levels across [-clip, clip] would drown an update in rounding noise
BYTES_PER_ELEMENT = RING_BITS // 8


def uniform_floats(shape: tuple[int, ...] | torch.Size) -> torch.Tensor:
    """Uniform float64 numbers in [0, 1) from `course_lib.rng` (53 random bits each): the client's coin flips."""
    raw = rng.ring_elements(tuple(shape))
    return ((raw >> 11) & ((1 << 53) - 1)).double() / float(1 << 53)  # & undoes the sign bits of the arithmetic shift


@dataclass(frozen=True)
class Quantiser:
    """The public quantisation rule every client and the server agree on before the round starts."""

    clip: float
    value_bits: int

    def __post_init__(self) -> None:
        if isinstance(self.clip, bool) or not isinstance(self.clip, (int, float)) or not math.isfinite(self.clip):
            raise ValueError(f"clip must be a finite positive number, got {self.clip!r}")
        if self.clip <= 0:
            raise ValueError(f"clip must be positive (updates are clipped to [-clip, clip]), got {self.clip}")
        if isinstance(self.value_bits, bool) or not isinstance(self.value_bits, int):
            raise TypeError(f"value_bits must be an integer, got {type(self.value_bits).__name__}")
        if not MIN_VALUE_BITS <= self.value_bits <= RING_BITS:
            raise ValueError(
                f"value_bits must lie in [{MIN_VALUE_BITS}, {RING_BITS}] for a {RING_BITS}-bit ring, "
                f"got {self.value_bits}"
            )

    @classmethod
    def for_clients(cls, n_clients: int, clip: float) -> Quantiser:
        """The finest quantiser whose sum over `n_clients` cannot wrap around 2^32: b = 32 - ceil(log2 n) bits."""
        if isinstance(n_clients, bool) or not isinstance(n_clients, int) or n_clients < 1:
            raise ValueError(f"n_clients must be a positive integer, got {n_clients!r}")
        headroom = (n_clients - 1).bit_length()  # ceil(log2 n): n values of at most 2^b - 1 stay below 2^32
        value_bits = RING_BITS - headroom
        if value_bits < MIN_VALUE_BITS:
            limit = 1 << (RING_BITS - MIN_VALUE_BITS)
            raise ValueError(
                f"{n_clients} clients are too many for a {RING_BITS}-bit ring: the sum needs {headroom} bits of "
                f"headroom, leaving {value_bits} < {MIN_VALUE_BITS} bits per value; use at most {limit} clients"
            )
        return cls(clip=float(clip), value_bits=value_bits)

    @property
    def levels(self) -> int:
        """L = 2^b - 1: the largest quantised value (the value +clip)."""
        return (1 << self.value_bits) - 1

    @property
    def step(self) -> float:
        """The distance between neighbouring quantised values: 2·clip / L. Rounding errs by less than this."""
        return 2 * self.clip / self.levels

    @property
    def max_clients(self) -> int:
        """The most clients whose quantised values can be added without wrapping around 2^32."""
        return RING_MASK // self.levels

    def check_clients(self, n_clients: int) -> None:
        if n_clients > self.max_clients:
            raise ValueError(
                f"the sum of {n_clients} clients would wrap around 2^{RING_BITS} with {self.value_bits} value bits "
                f"(at most {self.max_clients} clients fit); use fewer value bits or fewer clients"
            )

    def quantise(self, update: torch.Tensor) -> torch.Tensor:
        """Steps 1–3: clip, scale, round stochastically. Returns int64 ring elements in [0, L], same shape."""
        x = update.detach().to(device="cpu", dtype=torch.float64)
        z = (x.clamp(-self.clip, self.clip) + self.clip) / self.step
        low = z.long()  # z >= 0, so truncation is the floor
        up = uniform_floats(z.shape) < (z - low)  # P(round up) = frac(z): unbiased
        return (low + up.long()).clamp(0, self.levels)  # clamp: z may exceed L by a float rounding

    def dequantise(self, q: torch.Tensor, count: int = 1) -> torch.Tensor:
        """The float64 value of a quantised vector, or of the sum of `count` quantised vectors: q·step - count·clip."""
        return q.double() * self.step - count * self.clip

    def clipped(self, update: torch.Tensor) -> int:
        """How many values of `update` clipping changes (a client's own, local knowledge)."""
        return int((update.detach().abs() > self.clip).sum())


def quantise(update: torch.Tensor, quantiser: Quantiser) -> torch.Tensor:
    """`quantiser.quantise(update)`: a float tensor to ring elements in [0, 2^b), stochastically rounded."""
    return quantiser.quantise(update)


def dequantise(q: torch.Tensor, quantiser: Quantiser, count: int = 1) -> torch.Tensor:
    """`quantiser.dequantise(q, count)`: ring elements (a sum of `count` quantised vectors) back to float64."""
    return quantiser.dequantise(q, count)
