"""The secure aggregation protocol, clients and server as separate parties: steps 5–6 (chapter 07).

Bonawitz et al. (CCS 2017), the semi-honest version with its dropout recovery, in four rounds. Every party keeps its
state in its own object, and everything between them passes through `Wire`, which counts the bytes; the server's
attributes therefore hold exactly what was sent to it.

0. advertise_keys — client u sends its two public keys (c_u, s_u); the server broadcasts the list to everyone.
1. share_keys — u draws a fresh self-mask seed b_u, Shamir-shares b_u and its mask private key s_u^SK t-of-n, and
   sends peer v its two shares encrypted under their channel key (AES-GCM). The server only forwards ciphertexts.
2. masked_input — u quantises its update to q_u and sends y_u = q_u + PRG(b_u) + Σ_v ±PRG(s_uv) (mod 2^32).
   Clients in `drop_before_masking` vanish here; if fewer than t inputs arrive, the round aborts.
3. (consistency_check — only in the paper's actively secure version, with signatures; not simulated.)
4. unmasking — the server announces who dropped (D) and who is in the sum (S). Each answering survivor v checks that
   no client is in both lists, then sends its shares of s_u^SK for u ∈ D and of b_u for u ∈ S; clients in
   `drop_after_masking` do not answer. With at least t answers the server rebuilds those secrets, adds back the
   pairwise masks each dropped u left in the survivors' inputs, removes every self-mask, and dequantises:
   Σ_{u∈S} y_u - Σ_{u∈S} PRG(b_u) + Σ_{u∈D} Σ_{v∈S} sign(u, v)·PRG(s_uv) = Σ_{u∈S} q_u (mod 2^32).

The invariant that keeps inputs private: the server never holds both secrets of one client. s_u^SK and b_u together
would strip every mask from y_u. Honest clients refuse a request that names a client in both lists, and the server
records which kind of share it got for whom (`Server.share_kinds`).
"""

from __future__ import annotations

import math
import statistics
import time
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import torch

from course_lib.secagg.keys import (
    CHANNEL_PURPOSE,
    KEY_BYTES,
    MASK_PURPOSE,
    KeyPair,
    agree,
    decrypt_from_peer,
    encrypt_for_peer,
    generate_key_pair,
    random_bytes,
)
from course_lib.secagg.masks import pairwise_mask_sum, prg_mask, prg_mask_sum
from course_lib.secagg.quantisation import RING_MASK, Quantiser
from course_lib.secagg.shamir import PRIME, SHARE_BYTES, Share, lagrange_at_zero, shamir_split

__all__ = [
    "ROUNDS",
    "DEFAULT_CLIP",
    "Wire",
    "Client",
    "Server",
    "SecureSumResult",
    "secure_sum",
    "validate",
]

ROUNDS = ("advertise_keys", "share_keys", "masked_input", "unmasking")
DEFAULT_CLIP = 100.0  # generous for model updates; a tighter public range gives finer steps (step = 2·clip / L)
INDEX_BYTES = 4  # every message names the client it is about or meant for


@dataclass
class Wire:
    """The only path between clients and the server: counts bytes sent and received per client and per round."""

    n_clients: int
    sent: list[dict[str, int]] = field(init=False)
    received: list[dict[str, int]] = field(init=False)

    def __post_init__(self) -> None:
        self.sent = [dict.fromkeys(ROUNDS, 0) for _ in range(self.n_clients)]
        self.received = [dict.fromkeys(ROUNDS, 0) for _ in range(self.n_clients)]

    def up(self, client: int, round_name: str, nbytes: int) -> None:
        self.sent[client][round_name] += nbytes

    def down(self, client: int, round_name: str, nbytes: int) -> None:
        self.received[client][round_name] += nbytes

    def per_client(self) -> dict[int, int]:
        """Bytes each client sent plus received over the whole protocol (what the paper counts)."""
        return {u: sum(self.sent[u].values()) + sum(self.received[u].values()) for u in range(self.n_clients)}

    def per_round(self) -> dict[str, dict[str, int]]:
        """For each round: bytes all clients sent to the server ("to_server") and the server sent them."""
        return {
            r: {"to_server": sum(s[r] for s in self.sent), "from_server": sum(d[r] for d in self.received)}
            for r in ROUNDS
        }


def _size(message: dict[int, bytes]) -> int:
    return sum(INDEX_BYTES + len(payload) for payload in message.values())


class Client:
    """One client: its update, its keys and the shares it holds for others never leave this object unencrypted."""

    def __init__(self, index: int, n_clients: int, threshold: int, update: torch.Tensor, quantiser: Quantiser):
        self.index = index
        self.n_clients = n_clients
        self.threshold = threshold
        self.quantiser = quantiser
        self._update = update
        self._channel_keys: dict[int, bytes] = {}
        self._mask_publics: dict[int, bytes] = {}
        self._held: dict[int, tuple[Share, Share]] = {}  # peer → (share of s_peer^SK, share of b_peer) held here

    # round 0
    def advertise_keys(self) -> bytes:
        """Round 0: two fresh key pairs; send the public halves (c_u ‖ s_u, 64 bytes)."""
        self._c = generate_key_pair()
        self._s = generate_key_pair()
        return self._c.public_bytes + self._s.public_bytes

    # round 1
    def share_keys(self, roster: dict[int, bytes]) -> dict[int, bytes]:
        """Round 1: share s_u^SK and a fresh b_u t-of-n; encrypt peer v's two shares under the channel key c_uv."""
        if len(roster) < self.threshold:
            raise ValueError(f"client {self.index}: only {len(roster)} clients advertised keys, t = {self.threshold}")
        for v, keys in roster.items():
            if v != self.index:
                self._channel_keys[v] = agree(self._c, keys[:KEY_BYTES], CHANNEL_PURPOSE)
                self._mask_publics[v] = keys[KEY_BYTES:]
        self._b = random_bytes(KEY_BYTES)
        mask_key_shares = shamir_split(self._s.private_bytes, self.threshold, self.n_clients)
        self_mask_shares = shamir_split(self._b, self.threshold, self.n_clients)
        self._held[self.index] = (mask_key_shares[self.index], self_mask_shares[self.index])  # our own point
        return {
            v: encrypt_for_peer(
                key,
                self.index,
                v,
                mask_key_shares[v].y.to_bytes(SHARE_BYTES, "big") + self_mask_shares[v].y.to_bytes(SHARE_BYTES, "big"),
            )
            for v, key in self._channel_keys.items()
        }

    def receive_shares(self, ciphertexts: dict[int, bytes]) -> None:
        """Round 1, delivery: open each peer's shares (authenticated: a forged or swapped ciphertext raises)."""
        x = self.index + 1  # Shamir points are 1 … n: point 0 is the secret
        for u, ciphertext in ciphertexts.items():
            plain = decrypt_from_peer(self._channel_keys[u], u, self.index, ciphertext)
            s_y, b_y = int.from_bytes(plain[:SHARE_BYTES], "big"), int.from_bytes(plain[SHARE_BYTES:], "big")
            self._held[u] = (Share(x, s_y, self.threshold), Share(x, b_y, self.threshold))

    # round 2
    def masked_input(self) -> bytes:
        """Round 2: y_u = q_u + PRG(b_u) + Σ_v sign(u, v)·PRG(s_uv) mod 2^32, as little-endian uint32."""
        q = self.quantiser.quantise(self._update).reshape(-1)
        seeds = {v: agree(self._s, public, MASK_PURPOSE) for v, public in self._mask_publics.items()}
        y = (q + prg_mask(self._b, q.numel()) + pairwise_mask_sum(self.index, seeds, q.numel())) & RING_MASK
        return y.numpy().astype("<u4").tobytes()

    # round 4
    def unmask(self, dropped: list[int], included: list[int]) -> tuple[dict[int, bytes], dict[int, bytes]]:
        """Round 4: shares of s_u^SK for u in `dropped`, of b_u for u in `included` — refusing to give both."""
        both = sorted(set(dropped) & set(included))
        if both:
            raise ValueError(
                f"client {self.index} refuses to unmask: the server asks for both the mask key and the self-mask "
                f"seed of client(s) {both}, which would reveal their inputs"
            )
        if len(included) < self.threshold:
            raise ValueError(
                f"client {self.index} refuses to unmask: only {len(included)} inputs, threshold {self.threshold}"
            )
        unknown = sorted((set(dropped) | set(included)) - set(self._held))
        if unknown:
            raise ValueError(f"client {self.index} holds no shares of client(s) {unknown}")

        def encode(share: Share) -> bytes:
            return share.y.to_bytes(SHARE_BYTES, "big")

        return (
            {u: encode(self._held[u][0]) for u in dropped},
            {u: encode(self._held[u][1]) for u in included},
        )


class Server:
    """The honest-but-curious server: it follows the protocol, and everything it knows is in these attributes."""

    def __init__(self, n_clients: int, threshold: int, quantiser: Quantiser, length: int):
        self.n_clients = n_clients
        self.threshold = threshold
        self.quantiser = quantiser
        self.length = length
        self.roster: dict[int, bytes] = {}  # round 0: public keys
        self.mailbox: dict[int, dict[int, bytes]] = {}  # round 1: sender → {receiver: ciphertext}, unreadable here
        self.masked: dict[int, torch.Tensor] = {}  # round 2: y_u as received — the server's view of each input
        self.mask_key_shares: dict[int, list[Share]] = {}  # round 4: shares of s_u^SK, u dropped
        self.self_mask_shares: dict[int, list[Share]] = {}  # round 4: shares of b_u, u included
        self.answered: list[int] = []

    def receive_keys(self, u: int, message: bytes) -> None:
        self.roster[u] = message

    def receive_shares(self, u: int, ciphertexts: dict[int, bytes]) -> None:
        self.mailbox[u] = ciphertexts

    def forward_shares(self, v: int) -> dict[int, bytes]:
        return {u: box[v] for u, box in self.mailbox.items() if v in box}

    def receive_masked_input(self, u: int, message: bytes) -> None:
        self.masked[u] = torch.from_numpy(np.frombuffer(message, dtype="<u4").astype(np.int64))

    def unmasking_request(self) -> tuple[list[int], list[int]]:
        """Round 4's announcement: (dropped, included). Aborts when fewer than t masked inputs arrived."""
        included = sorted(self.masked)
        if len(included) < self.threshold:
            raise ValueError(
                f"only {len(included)} client(s) sent a masked input but the threshold is {self.threshold}: the round "
                "aborts, no secret is rebuilt and no total is revealed"
            )
        return sorted(set(self.roster) - set(included)), included

    def receive_unmasking(self, v: int, mask_key_answers: dict[int, bytes], self_mask_answers: dict[int, bytes]):
        x = v + 1
        for store, answers in ((self.mask_key_shares, mask_key_answers), (self.self_mask_shares, self_mask_answers)):
            for u, y in answers.items():
                store.setdefault(u, []).append(Share(x, int.from_bytes(y, "big"), self.threshold))
        self.answered.append(v)
        both = set(self.mask_key_shares) & set(self.self_mask_shares)
        if both:  # cannot happen with honest clients; checked anyway, since it would unmask these inputs
            raise RuntimeError(f"protocol bug: the server holds both kinds of share for client(s) {sorted(both)}")

    def share_kinds(self) -> dict[int, set[str]]:
        """Which secrets of each client the server has shares of: never both "mask key" and "self-mask"."""
        kinds: dict[int, set[str]] = {}
        for u in self.mask_key_shares:
            kinds.setdefault(u, set()).add("mask key")
        for u in self.self_mask_shares:
            kinds.setdefault(u, set()).add("self-mask")
        return kinds

    def _rebuild(self, shares: list[Share], weights: dict[int, int]) -> bytes:
        secret = sum(weights[s.x] * s.y for s in shares if s.x in weights) % PRIME
        if secret >> (8 * KEY_BYTES):
            raise ValueError("the rebuilt secret is not 32 bytes: some answering client sent a corrupted share")
        return secret.to_bytes(KEY_BYTES, "big")

    def aggregate(self) -> torch.Tensor:
        """Round 4's result: rebuild the secrets, remove every mask, dequantise Σ q_u. Needs t answers, else raises."""
        included = sorted(self.masked)
        dropped = sorted(set(self.roster) - set(included))
        if len(self.answered) < self.threshold:
            raise ValueError(
                f"only {len(self.answered)} client(s) answered the unmasking round but the threshold is "
                f"{self.threshold}: no secret can be rebuilt, so no total is revealed"
            )
        points = sorted(v + 1 for v in self.answered)[: self.threshold]  # one x-set for every secret: weights once
        weights = dict(zip(points, lagrange_at_zero(points), strict=True))
        total = torch.stack([self.masked[u] for u in included]).sum(dim=0)
        self_seeds = [self._rebuild(self.self_mask_shares[u], weights) for u in included]
        total -= prg_mask_sum(self_seeds, self.length)
        for u in dropped:
            mask_key = KeyPair.from_private_bytes(self._rebuild(self.mask_key_shares[u], weights))
            seeds = {v: agree(mask_key, self.roster[v][KEY_BYTES:], MASK_PURPOSE) for v in included}
            # v added sign(v, u)·PRG(s_uv) = -sign(u, v)·PRG(s_uv) for the absent u: add u's side back
            total += pairwise_mask_sum(u, seeds, self.length)
        return self.quantiser.dequantise(total & RING_MASK, count=len(included))


@dataclass(frozen=True)
class SecureSumResult:
    """What `secure_sum` returns: the total, who is in it, the server's view, and the cost in bytes and seconds."""

    total: torch.Tensor  # Σ of the included clients' (clipped) updates, within `max_error`
    included: tuple[int, ...]  # clients whose updates are in the total (sent a masked input)
    dropped: tuple[int, ...]  # clients that dropped before masking: not in the total
    server_view: dict[int, torch.Tensor]  # client → the masked ring vector the server received (int64 in [0, 2^32))
    quantiser: Quantiser
    traffic: Wire
    server: Server = field(repr=False)
    length: int  # elements per update
    client_seconds: dict[str, float]  # per round: the median over the clients that took part
    server_seconds: dict[str, float]  # per round

    @property
    def max_error(self) -> float:
        """|total - exact sum of clipped updates| < len(included)·step, per element (stochastic rounding)."""
        return len(self.included) * self.quantiser.step

    @property
    def bytes_per_client(self) -> dict[int, int]:
        """Bytes each client sent and received over all rounds."""
        return self.traffic.per_client()

    @property
    def bytes_per_round(self) -> dict[str, dict[str, int]]:
        return self.traffic.per_round()

    @property
    def plain_bytes_per_client(self) -> int:
        """Plain federated averaging: one float32 vector upload."""
        return 4 * self.length

    @property
    def expansion(self) -> float:
        """The busiest client's bytes as a multiple of plain federated averaging's (the paper's 1.73× measure)."""
        plain = self.plain_bytes_per_client
        return max(self.bytes_per_client.values()) / plain if plain else math.inf

    def __repr__(self) -> str:
        return (
            f"SecureSumResult(total of shape {tuple(self.total.shape)} from clients {list(self.included)}, "
            f"dropped before masking {list(self.dropped)}, max error {self.max_error:.2e}, "
            f"{self.expansion:.2f}x the bytes of plain federated averaging)"
        )


def _indices(name: str, indices: Iterable[int], n: int) -> set[int]:
    if isinstance(indices, (str, bytes, torch.Tensor)) or not isinstance(indices, Iterable):
        raise TypeError(f"{name} must be a collection of client indices (e.g. (1, 3)), got {indices!r}")
    out = set()
    for u in indices:
        if isinstance(u, bool) or not isinstance(u, int):
            raise TypeError(f"{name} holds {u!r}; client indices are integers 0 … {n - 1}")
        if not 0 <= u < n:
            raise ValueError(f"{name} names client {u}, but there are only {n} clients (0 … {n - 1})")
        out.add(u)
    return out


def validate(updates, threshold, drop_before_masking, drop_after_masking) -> tuple[set[int], set[int]]:
    """Every input check of `secure_sum`, with a message that says what is wrong and how to fix it."""
    if isinstance(updates, torch.Tensor) or not isinstance(updates, (list, tuple)):
        raise TypeError(
            f"updates must be a list of tensors, one per client, got {type(updates).__name__} "
            "(a stacked tensor splits with list(stacked))"
        )
    if not updates:
        raise ValueError("updates is empty: secure_sum needs one update tensor per client")
    for i, update in enumerate(updates):
        if not isinstance(update, torch.Tensor):
            raise TypeError(f"update {i} is a {type(update).__name__}, not a torch tensor")
        if not update.is_floating_point():
            raise TypeError(f"update {i} has dtype {update.dtype}; secure_sum adds float updates (use .float())")
        if update.shape != updates[0].shape:
            raise ValueError(
                f"update {i} has shape {tuple(update.shape)} but update 0 has {tuple(updates[0].shape)}: "
                "every client must send an update of the same shape"
            )
        bad = int((~torch.isfinite(update.detach())).sum())
        if bad:
            raise ValueError(f"update {i} holds {bad} NaN or infinite value(s): fix the client's training first")
    n = len(updates)
    if n < 2:
        raise ValueError("secure aggregation needs at least 2 clients: the 'sum' of one client is its update")
    if isinstance(threshold, bool) or not isinstance(threshold, int):
        raise TypeError(f"threshold must be an integer t with 2 <= t <= {n}, got {threshold!r}")
    if not 2 <= threshold <= n:
        raise ValueError(
            f"threshold must lie in [2, {n}] for {n} clients, got {threshold}: t = 1 would let any single client "
            f"rebuild every secret, and t > n could never be met (n // 2 + 1 = {n // 2 + 1} is a common choice)"
        )
    before = _indices("drop_before_masking", drop_before_masking, n)
    after = _indices("drop_after_masking", drop_after_masking, n)
    if before & after:
        raise ValueError(
            f"client(s) {sorted(before & after)} are in both drop_before_masking and drop_after_masking: a client "
            "either sent its masked input or did not"
        )
    return before, after


def secure_sum(
    updates: list[torch.Tensor],
    *,
    threshold: int,
    drop_before_masking: Iterable[int] = (),
    drop_after_masking: Iterable[int] = (),
    clip: float = DEFAULT_CLIP,
    value_bits: int | None = None,
) -> SecureSumResult:
    """Run the whole protocol on `updates` (client i holds updates[i]) and return the server's total.

    Clients in `drop_before_masking` take part in rounds 0–1 and vanish before sending a masked input: they are not
    in the total. Clients in `drop_after_masking` send their masked input and vanish before unmasking: they are in
    it. Fewer than `threshold` clients left at either point: ValueError, and no total exists anywhere.
    `clip` is the public range [-clip, clip]; `value_bits` defaults to 32 - ceil(log2 n), the finest that cannot wrap.
    """
    before, after = validate(updates, threshold, drop_before_masking, drop_after_masking)
    n = len(updates)
    quantiser = Quantiser.for_clients(n, clip) if value_bits is None else Quantiser(float(clip), value_bits)
    quantiser.check_clients(n)
    clipped = {i: quantiser.clipped(u) for i, u in enumerate(updates)}
    if any(clipped.values()):
        where = ", ".join(f"client {i}: {k}" for i, k in clipped.items() if k)
        warnings.warn(
            f"values outside [-{quantiser.clip:g}, {quantiser.clip:g}] were clipped ({where}), so the total is the "
            "sum of the clipped updates; pass a larger clip if that is not intended",
            stacklevel=2,
        )
    shape, length = updates[0].shape, math.prod(updates[0].shape)
    dtype = updates[0].dtype
    for u in updates:
        dtype = torch.promote_types(dtype, u.dtype)

    wire = Wire(n)
    clients = [Client(i, n, threshold, updates[i], quantiser) for i in range(n)]
    server = Server(n, threshold, quantiser, length)
    client_seconds = [dict.fromkeys(ROUNDS, 0.0) for _ in range(n)]
    server_seconds = dict.fromkeys(ROUNDS, 0.0)

    def client_does(round_name: str, u: int, fn, *args):
        start = time.perf_counter()
        out = fn(*args)
        client_seconds[u][round_name] += time.perf_counter() - start
        return out

    def server_does(round_name: str, fn, *args):
        start = time.perf_counter()
        out = fn(*args)
        server_seconds[round_name] += time.perf_counter() - start
        return out

    r = "advertise_keys"
    for c in clients:
        message = client_does(r, c.index, c.advertise_keys)
        wire.up(c.index, r, len(message))
        server_does(r, server.receive_keys, c.index, message)
    roster = dict(server.roster)  # broadcast: every client gets every public key
    for c in clients:
        wire.down(c.index, r, INDEX_BYTES * len(roster) + sum(map(len, roster.values())))

    r = "share_keys"
    for c in clients:
        ciphertexts = client_does(r, c.index, c.share_keys, roster)
        wire.up(c.index, r, _size(ciphertexts))
        server_does(r, server.receive_shares, c.index, ciphertexts)
    for c in clients:
        delivery = server_does(r, server.forward_shares, c.index)
        wire.down(c.index, r, _size(delivery))
        client_does(r, c.index, c.receive_shares, delivery)

    r = "masked_input"
    for c in clients:
        if c.index in before:
            continue  # dropped out: its keys and shares went out, its masked input never does
        message = client_does(r, c.index, c.masked_input)
        wire.up(c.index, r, len(message))
        server_does(r, server.receive_masked_input, c.index, message)

    r = "unmasking"
    dropped, included = server_does(r, server.unmasking_request)
    for v in included:
        if v in after:
            continue  # sent its input, then dropped out: it never answers
        wire.down(v, r, INDEX_BYTES * (len(dropped) + len(included)))
        mask_key_answers, self_mask_answers = client_does(r, v, clients[v].unmask, dropped, included)
        wire.up(v, r, _size(mask_key_answers) + _size(self_mask_answers))
        server_does(r, server.receive_unmasking, v, mask_key_answers, self_mask_answers)
    total = server_does(r, server.aggregate)

    # a client's time per round: the median over the clients that took part in that round
    took_part = {
        "advertise_keys": range(n),
        "share_keys": range(n),
        "masked_input": included,
        "unmasking": [v for v in included if v not in after],
    }
    return SecureSumResult(
        total=total.to(dtype).reshape(shape).to(updates[0].device),
        included=tuple(included),
        dropped=tuple(dropped),
        server_view={u: y.reshape(shape) for u, y in server.masked.items()},
        quantiser=quantiser,
        traffic=wire,
        server=server,
        length=length,
        client_seconds={r: statistics.median(client_seconds[u][r] for u in took_part[r]) for r in ROUNDS},
        server_seconds=server_seconds,
    )
