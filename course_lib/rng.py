"""Where every random share, triple and mask comes from (introduced in chapter 00).

Secret sharing is only as good as its randomness: a share must be *unpredictable* to everyone but the party holding it.
So by default every draw comes from the operating system's cryptographically secure generator (`os.urandom`, the
same source `secrets` uses): a CSPRNG, a generator whose next output nobody can predict from the previous ones.

Teaching material wants the opposite: the same printed shares on every run, so a learner can compare their screen with
the book and the notebook tests can compare outputs. `reproducible(seed)` switches to a seeded generator and warns,
every time, that this mode is NOT secure (an `InsecureRandomnessWarning`). `secure()` switches back. Nothing is seeded
at import time.

The mode is *context-local* (a `contextvars.ContextVar`): it applies to the code that set it — this thread, this
notebook, this asyncio task — and never to another thread's shares. A new thread starts in the secure default.
Used as a context manager, `reproducible` restores the previous mode when the block ends:

    with reproducible(0):
        shares = encrypt(5)      # the same shares on every run
"""

from __future__ import annotations

import contextvars
import math
import os
import random
import secrets
import warnings

import torch
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

__all__ = [
    "InsecureRandomnessWarning",
    "randbelow",
    "random_bytes",
    "ring_elements",
    "reproducible",
    "secure",
    "current_source",
    "is_secure",
]

_MAX_SEED = 2**64  # torch.Generator.manual_seed takes 64 bits


class InsecureRandomnessWarning(UserWarning):
    """Shares, triples and masks now come from a seeded, predictable generator."""


class SecureSource:
    """Draws from the operating system's CSPRNG. Unpredictable, not repeatable.

    Bulk ring elements come from AES-256 in counter mode under a fresh key and nonce taken from `os.urandom` on every
    call — the standard way to stretch a short truly random seed into many pseudorandom bytes (NIST's CTR_DRBG is
    built the same way). It is about four times faster than reading every byte from the operating system, and it
    keeps no state between calls: nothing to copy, pickle or share between threads.
    """

    secure = True
    description = "secure randomness (os.urandom)"

    def randbelow(self, n: int) -> int:
        return secrets.randbelow(n)

    def random_bytes(self, count: int) -> bytes:
        return os.urandom(count)

    def ring_elements(self, shape: tuple[int, ...]) -> torch.Tensor:
        count = math.prod(shape)
        if not count:
            return torch.zeros(shape, dtype=torch.int64)
        # 8 random bytes per element, read as int64: every value of the ring Z_2^64 equally likely.
        raw = bytearray(_aes_ctr_stream(8 * count) if count >= _STREAM_FROM else os.urandom(8 * count))
        return torch.frombuffer(raw, dtype=torch.int64).reshape(shape)


_STREAM_FROM = 64  # elements: below this, one os.urandom call is as cheap as setting up a cipher


def _aes_ctr_stream(nbytes: int) -> bytes:
    """`nbytes` of AES-256-CTR keystream under a key and nonce from os.urandom (encrypting zeros yields the stream)."""
    seed = os.urandom(48)
    encryptor = Cipher(algorithms.AES(seed[:32]), modes.CTR(seed[32:])).encryptor()
    return encryptor.update(bytes(nbytes))


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

    def random_bytes(self, count: int) -> bytes:
        return self._python.randbytes(count)

    def ring_elements(self, shape: tuple[int, ...]) -> torch.Tensor:
        # torch.randint cannot span all 2^64 values at once; two uniform 32-bit halves can.
        high = torch.randint(0, 2**32, shape, generator=self._torch, dtype=torch.int64)
        low = torch.randint(0, 2**32, shape, generator=self._torch, dtype=torch.int64)
        return (high << 32) | low

    # A copy of a seeded generator would replay its draws: the same shares, triples and masks twice. Copies are the
    # generator itself, and it does not travel in a pickle.
    def __copy__(self) -> SeededSource:
        return self

    def __deepcopy__(self, memo) -> SeededSource:
        return self

    def __reduce__(self):
        raise TypeError("a seeded random source cannot be pickled: a restored copy would repeat its draws")


_DEFAULT = SecureSource()
_source: contextvars.ContextVar[SecureSource | SeededSource] = contextvars.ContextVar(
    "course_lib_rng", default=_DEFAULT
)


class SourceSwitch:
    """What `reproducible()` / `secure()` return: shows the new mode, and restores the old one after a `with` block."""

    def __init__(self, source: SecureSource | SeededSource, previous: SecureSource | SeededSource):
        self.source, self.previous = source, previous

    def __enter__(self) -> SourceSwitch:
        return self

    def __exit__(self, *exc_info) -> None:
        _source.set(self.previous)

    def __repr__(self) -> str:
        mark = "🔒" if self.source.secure else "⚠"
        return f"{mark} course_lib now uses {self.source.description}"


def _switch(source: SecureSource | SeededSource) -> SourceSwitch:
    previous = _source.get()
    _source.set(source)
    return SourceSwitch(source, previous)


def reproducible(seed: int, *, quiet: bool = False) -> SourceSwitch:
    """Use a seeded, repeatable and therefore INSECURE generator from now on (or for a `with` block), in this context.

    Warns every time (`InsecureRandomnessWarning`). `quiet=True` is for library code that draws its own *test cases*
    (a check's example shares, which are not anyone's secret), so that a check does not warn in the learner's face.
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"reproducible(seed) needs an integer seed, got {type(seed).__name__}: try reproducible(0)")
    if not 0 <= seed < _MAX_SEED:
        raise ValueError(f"reproducible(seed) needs 0 <= seed < 2^64, got {seed}: try a smaller seed such as 0")
    switch = _switch(SeededSource(seed))
    if not quiet:
        # warn_explicit with a fixed "file name": the same text on every machine (no temporary paths), and no
        # once-per-location filter, so the warning really shows every time
        warnings.warn_explicit(
            f"reproducible({seed}): shares, triples and masks now come from a seeded generator — predictable, "
            "NOT secure; for teaching output only (cl.secure() switches back)",
            InsecureRandomnessWarning,
            filename="course_lib",
            lineno=0,
            module="course_lib.rng",
        )
    return switch


def secure() -> SourceSwitch:
    """Go back to the operating system's CSPRNG (the default), in this context."""
    return _switch(_DEFAULT)


def current_source() -> SecureSource | SeededSource:
    return _source.get()


def is_secure() -> bool:
    return _source.get().secure


def randbelow(n: int) -> int:
    """A uniform integer in [0, n) from the current source."""
    return _source.get().randbelow(n)


def random_bytes(count: int) -> bytes:
    """`count` uniform bytes from the current source (seeds and keys for later chapters)."""
    return _source.get().random_bytes(count)


def ring_elements(shape: tuple[int, ...] | torch.Size) -> torch.Tensor:
    """Uniform elements of Z_2^64, stored as int64 (every bit pattern equally likely), from the current source."""
    return _source.get().ring_elements(tuple(shape))
