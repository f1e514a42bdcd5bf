"""Where every random share, triple and mask comes from (introduced in chapter 00).

Secret sharing is only as good as its randomness: a share must be *unpredictable* to everyone but the party holding it.
So by default every draw comes from the operating system's cryptographically secure generator (`os.urandom`, the
same source `secrets` uses).

Teaching material wants the opposite: the same printed shares on every run, so a learner can compare their screen with
the book and the notebook tests can compare outputs. `reproducible(seed)` switches to a seeded generator and says,
every time, that this mode is NOT secure. `secure()` switches back. Nothing is seeded at import time.

Used as a context manager, `reproducible` restores the previous source when the block ends:

    with reproducible(0):
        shares = encrypt(5)      # the same shares on every run
"""

from __future__ import annotations

import os
import random
import secrets
from dataclasses import dataclass

import torch

__all__ = ["randbelow", "ring_elements", "reproducible", "secure", "current_source", "is_secure", "generation"]


class SecureSource:
    """Draws from the operating system's CSPRNG. Unpredictable, not repeatable."""

    secure = True
    description = "secure randomness (os.urandom)"

    def randbelow(self, n: int) -> int:
        return secrets.randbelow(n)

    def ring_elements(self, shape: tuple[int, ...]) -> torch.Tensor:
        count = 1
        for size in shape:
            count *= size
        # 8 random bytes per element, read as int64: every value of the ring Z_2^64 equally likely.
        raw = bytearray(os.urandom(8 * count))
        return (
            torch.frombuffer(raw, dtype=torch.int64).reshape(shape) if count else torch.zeros(shape, dtype=torch.int64)
        )


class SeededSource:
    """Draws from seeded generators. Repeatable, therefore predictable: for teaching output only."""

    secure = False

    def __init__(self, seed: int):
        self.seed = seed
        self.description = f"reproducible randomness (seed={seed}) — predictable, NOT secure; for teaching output only"
        self._python = random.Random(seed)
        self._torch = torch.Generator().manual_seed(seed)

    def randbelow(self, n: int) -> int:
        return self._python.randrange(n)

    def ring_elements(self, shape: tuple[int, ...]) -> torch.Tensor:
        # torch.randint cannot span all 2^64 values at once; two uniform 32-bit halves can.
        high = torch.randint(0, 2**32, shape, generator=self._torch, dtype=torch.int64)
        low = torch.randint(0, 2**32, shape, generator=self._torch, dtype=torch.int64)
        return (high << 32) | low


_source: SecureSource | SeededSource = SecureSource()
_generation = 0  # counts switches, so that randomness made in advance under an old source can be thrown away


@dataclass
class SourceSwitch:
    """What `reproducible()` / `secure()` return: shows the new mode, and restores the old one after a `with` block."""

    source: SecureSource | SeededSource
    previous: SecureSource | SeededSource

    def __enter__(self) -> SourceSwitch:
        return self

    def __exit__(self, *exc_info) -> None:
        _switch(self.previous)

    def __repr__(self) -> str:
        mark = "🔒" if self.source.secure else "⚠"
        return f"{mark} course_lib now uses {self.source.description}"


def _switch(source: SecureSource | SeededSource) -> SourceSwitch:
    global _source, _generation
    previous, _source = _source, source
    _generation += 1
    return SourceSwitch(source, previous)


def generation() -> int:
    """How many times the source has been switched: stock made under an older generation must not be used."""
    return _generation


def reproducible(seed: int) -> SourceSwitch:
    """Use a seeded, repeatable and therefore INSECURE generator from now on (or for a `with` block)."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"reproducible(seed) needs an integer seed, got {type(seed).__name__}: try reproducible(0)")
    return _switch(SeededSource(seed))


def secure() -> SourceSwitch:
    """Go back to the operating system's CSPRNG (the default)."""
    return _switch(SecureSource())


def current_source() -> SecureSource | SeededSource:
    return _source


def is_secure() -> bool:
    return _source.secure


def randbelow(n: int) -> int:
    """A uniform integer in [0, n) from the current source."""
    return _source.randbelow(n)


def ring_elements(shape: tuple[int, ...] | torch.Size) -> torch.Tensor:
    """Uniform elements of Z_2^64, stored as int64 (every bit pattern equally likely), from the current source."""
    return _source.ring_elements(tuple(shape))
