"""Masks that cancel in the sum: step 3 of secure aggregation (chapter 07).

A client hides its quantised update y_u behind masks that look uniformly random in Z_2^32, yet add up to zero (or
to something the server can remove) over all clients:

1. Expand a 32-byte seed into a vector of ring elements with a cryptographic PRG: AES-256 in counter mode, keyed by the
   seed, encrypting zeros. Without the seed its output cannot be told from uniform; with it, anyone gets the same
   vector, so two clients who share a seed get the same mask without ever sending it. (Never numpy/torch/Python
   random here: those generators are predictable from a little of their output.)
2. Pairwise masks: u and v share seed s_uv (from key agreement). u adds +PRG(s_uv) if u < v and -PRG(s_uv) if u > v,
   so the pair's two masks cancel when the server adds everything up.
3. Self-mask: u also adds PRG(b_u) for a fresh seed b_u of its own. This one does not cancel; the server removes it
   with b_u rebuilt from the survivors' shares — and only for clients whose masked input arrived (see protocol).

Why two kinds: when u drops out before sending, the server must strip u's pairwise masks from the others' inputs,
so the survivors help it rebuild u's mask key. Were y_u masked by pairwise masks alone, u's input arriving late (or a
server merely *claiming* u had dropped) would then be open to the server. The self-mask b_u stops that: survivors
reveal b_u only for clients in the sum, and never both secrets of one client.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from course_lib.secagg.quantisation import BYTES_PER_ELEMENT, RING_MASK

__all__ = ["prg_mask", "prg_masks", "prg_mask_sum", "mask_sign", "pairwise_mask_sum"]

_SEEDS_PER_BATCH = 64
_ZERO_IV = bytes(16)  # one stream per seed: every seed is fresh, so a fixed counter start never repeats a keystream


def _keystream(seed: bytes, length: int) -> bytes:
    if not isinstance(seed, bytes) or len(seed) != 32:
        raise ValueError(f"a mask seed is 32 bytes (an AES-256 key), got {seed!r:.40}")
    return Cipher(algorithms.AES(seed), modes.CTR(_ZERO_IV)).encryptor().update(bytes(BYTES_PER_ELEMENT * length))


def _uint32(stream: bytes, shape: tuple[int, ...]) -> np.ndarray:
    # '<u4': little-endian on every machine, so a seed gives the same mask everywhere
    return np.frombuffer(stream, dtype="<u4").reshape(shape)


def prg_mask(seed: bytes, length: int) -> torch.Tensor:
    """Step 1: `length` ring elements in [0, 2^32) (int64) from AES-256-CTR keyed by `seed`. Same seed, same mask."""
    if isinstance(length, bool) or not isinstance(length, int) or length < 0:
        raise ValueError(f"length must be a non-negative integer, got {length!r}")
    return torch.from_numpy(_uint32(_keystream(seed, length), (length,)).astype(np.int64))


def prg_masks(seeds: list[bytes], length: int) -> torch.Tensor:
    """`prg_mask` for many seeds at once, stacked as (len(seeds), length)."""
    stream = b"".join(_keystream(seed, length) for seed in seeds)
    return torch.from_numpy(_uint32(stream, (len(seeds), length)).astype(np.int64))


def prg_mask_sum(seeds: list[bytes], length: int) -> torch.Tensor:
    """Σ_seed PRG(seed) mod 2^32, as int64 in [0, 2^32): numpy's uint32 sum wraps, which is the reduction itself."""
    total = np.zeros(length, dtype=np.uint32)
    for start in range(0, len(seeds), _SEEDS_PER_BATCH):  # a batch at a time: one array operation each, bounded memory
        batch = seeds[start : start + _SEEDS_PER_BATCH]
        total += _uint32(b"".join(_keystream(seed, length) for seed in batch), (len(batch), length)).sum(
            axis=0, dtype=np.uint32
        )
    return torch.from_numpy(total.astype(np.int64))


def mask_sign(own: int, peer: int) -> int:
    """Step 2's sign: +1 when own < peer, -1 when own > peer, so the pair's masks cancel."""
    if own == peer:
        raise ValueError(f"a client shares no pairwise mask with itself (client {own})")
    return 1 if own < peer else -1


def pairwise_mask_sum(own: int, seeds: Mapping[int, bytes], length: int) -> torch.Tensor:
    """Step 2: Σ_v sign(own, v)·PRG(s_own,v) mod 2^32 over the peers in `seeds` (peer index → shared seed)."""
    plus = [seed for v, seed in sorted(seeds.items()) if mask_sign(own, v) > 0]
    minus = [seed for v, seed in sorted(seeds.items()) if mask_sign(own, v) < 0]
    return (prg_mask_sum(plus, length) - prg_mask_sum(minus, length)) & RING_MASK
