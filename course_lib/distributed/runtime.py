"""DistributedRuntime: one party's end of a computation in which every party is its own process (chapter 09).

The protocols of `course_lib.protocols` are SPMD: "every party does this to its own share", on tensors whose
dimension 0 is "the parties this process plays". In-process that dimension holds every party. Here it holds ONE:
this process's own share, shape (1, *shape) — the stacked "all parties" view does not exist anywhere. The runtime
interface is the same, so the protocols and `SharedTensor` run unchanged:

    rows(n)             1: this process holds its own share only
    party_indices(n)    [rank]: which party that row is
    add_public(s, p)    party 0 (rank 0) adds the public value; the others keep their share
    open(group, *v)     each party sends its share of each masked value to every other party and adds up what it
                        receives — an all-gather + sum, one gloo message per value and peer
    input(group, e, o)  party `o` splits its own secret and sends each other party its share
    reveal(group, s, to)
                        every party sends its share to `to`: a party (it alone learns the value) or "you" — the
                        person running the computation, whose seat is the dealer process; the others get None
    the dealer          `group.dealer` is a `DealerProxy`: every request goes to the dealer process, which sends each
                        party only its own row of the stacked result

Who learns what: a party sees its own shares, the masked values every protocol opens (uniform noise), and what is
revealed to it by name. "You" (in the dealer process) see what `get()` reveals. Nobody sees another party's share.

A slower network, simulated (`latency`, seconds; `run(..., latency=...)` or `with ctx.delay(...)` in party code):
in every online step in which a party receives (open, input, a reveal to it), it waits that long after posting its
messages and before reading what arrived — as if every message took `latency` to travel. The dealer's deliveries
(offline: a real deployment prepares them ahead) and reveals to you are not delayed. Chapter 09 checks the model
"time ≈ rounds × round trip + bytes ÷ bandwidth" against it.
"""

from __future__ import annotations

import contextlib
import hashlib
import pickle

import torch

from course_lib import ring
from course_lib.distributed.control import ControlPlane
from course_lib.distributed.failures import Roles
from course_lib.distributed.wire import Ledger, Wire
from course_lib.runtime import CALLER, broadcast_shares, log_openings

__all__ = ["DistributedRuntime", "describe_request", "YOU"]

YOU = CALLER  # "you": whoever runs the computation; in a distributed run you sit in the dealer process (rank n)


class DistributedRuntime:
    """One party's runtime: its own share only (dimension 0 of size 1), messages over torch.distributed."""

    def __init__(
        self, roles: Roles, rank: int, wire: Wire, control: ControlPlane, ledger: Ledger, latency: float = 0.0
    ):
        if not 0 <= rank < roles.n_parties:
            raise ValueError(
                f"a party's rank is 0 … {roles.n_parties - 1}, got {rank} (rank {roles.dealer_rank} deals)"
            )
        self.roles = roles
        self.rank = rank
        self.wire = wire
        self.control = control
        self.ledger = ledger
        self.step = 0  # communication steps so far: every party numbers them alike (SPMD)
        self.requests = 0  # requests to the dealer process so far (rank 0 sends them, everyone counts them)
        self.label: str | None = None  # what the party code is doing, for messages and errors (`PartyContext.phase`)
        self.reveal_note: tuple | None = None  # (label, precision bits, dtype) for the next reveal to you
        self.latency = float(latency)  # seconds each online step waits before reading what arrived (a slower network)
        self._index = torch.tensor([rank])
        self._peers = tuple(p for p in range(roles.n_parties) if p != rank)

    @property
    def name(self) -> str:
        return self.roles.names[self.rank]

    # ----- bookkeeping -------------------------------------------------------------------------------------------
    def _check(self, n_parties: int) -> None:
        if n_parties != self.roles.n_parties:
            raise ValueError(
                f"this distributed run has {self.roles.n_parties} parties ({', '.join(self.roles.names)}), "
                f"but the shares belong to {n_parties}"
            )

    def _check_group(self, group) -> None:
        if group.runtime is not self or group.names_tuple() != self.roles.names:
            raise ValueError(
                f"these shares belong to {group!r}, not to this distributed run's parties "
                f"({', '.join(self.roles.names)})"
            )

    def _next(self, what: str) -> tuple[int, str]:
        """A new communication step: its number, and how an error message names it."""
        self.step += 1
        where = f" ({self.label})" if self.label else ""
        return self.step, f"`{what}` in step {self.step}{where}"

    # ----- what the protocols call: the in-process runtime's interface -----------------------------------------------
    def rows(self, n_parties: int) -> int:
        """How many parties' shares this process holds: one, its own."""
        self._check(n_parties)
        return 1

    def party_indices(self, n_parties: int) -> torch.Tensor:
        """Which party this process's row belongs to: [rank]."""
        self._check(n_parties)
        return self._index

    def add_public(self, shares: torch.Tensor, public: torch.Tensor) -> torch.Tensor:
        """Add a public value to a shared one: party 0 adds it to its share, the others keep theirs (broadcast to
        the same shape, so every party's share keeps the result's shape)."""
        own = shares.shape[1:]
        if public.dim() == 0 or public.shape == own:
            out = shares.clone()
        else:
            out = broadcast_shares(shares, torch.broadcast_shapes(own, public.shape)).clone()
        if self.rank == 0:
            out[0] += public
        return out

    def open(self, group, *shared: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Open masked values: send my share of each to every other party, receive theirs, add up (one round)."""
        self._check_group(group)
        step, during = self._next("open")
        own = [s[0].contiguous() for s in shared]
        received = {p: [torch.empty_like(v) for v in own] for p in self._peers}
        self.wire.exchange(
            [(p, v) for p in self._peers for v in own],
            [(p, buffer) for p in self._peers for buffer in received[p]],
            during,
            delay=self.latency,
        )
        self.ledger.took_part(step)
        names = self.roles.names
        self.ledger.sent(
            self.name, [(names[p], v) for p in self._peers for v in own], kind="open", step=step, label=self.label
        )
        opened = []
        for i, value in enumerate(own):
            total = value.clone()
            for p in self._peers:
                total += received[p][i]  # int64 wraps: the sum mod 2^64, in any order
            opened.append(total)
        log_openings("masked", names, opened)
        return tuple(opened)

    def input(self, group, encoded: torch.Tensor | None, owner: str = "data owner") -> torch.Tensor:
        """Party `owner` splits its encoded secret and sends each other party its share (one round); returns this
        process's share, shape (1, *shape). The other parties pass None (they learn the shape, not the values).

        The data owner of the in-process runtime ("data owner", no party) sits in the dealer process here; its
        inputs are named: `PartyContext.input("features")`.
        """
        self._check_group(group)
        if owner not in self.roles.names:
            raise ValueError(
                f"in a distributed run the data owner's inputs are named — ctx.input('features') — and a party "
                f"shares its own tensor with ctx.share(tensor, owner=...); got owner {owner!r}, not one of the parties "
                f"{', '.join(self.roles.names)}"
            )
        shares, _ = self.input_from_party(encoded, self.roles.names.index(owner), note=None)
        return shares

    def input_from_party(self, encoded: torch.Tensor | None, owner: int, note) -> tuple[torch.Tensor, object]:
        """`input` by rank, with a public note (the secret's dtype) that travels with the shape."""
        step, during = self._next("input")
        names = self.roles.names
        if self.rank == owner:
            if not isinstance(encoded, torch.Tensor) or encoded.dtype != torch.int64:
                raise TypeError(f"the owner of an input must pass its encoded secret (int64), got {type(encoded)}")
            shares = ring.share(encoded, self.roles.n_parties)
            header = self.wire.frame((tuple(encoded.shape), note), copies=len(self._peers))  # the public shape first
            sends = [(p, shares[p].contiguous()) for p in self._peers]
            self.wire.exchange([(p, f) for p in self._peers for f in header] + sends, [], during)
            self.ledger.took_part(step)
            self.ledger.sent(self.name, [(names[p], t) for p, t in sends], kind="input", step=step, label=self.label)
            return shares[owner : owner + 1].clone(), note
        shape, note = self.wire.recv_frame(owner, during)
        buffer = torch.empty(shape, dtype=torch.int64)
        self.wire.exchange([], [(owner, buffer)], during, delay=self.latency)
        self.ledger.took_part(step)
        return buffer.unsqueeze(0), note

    def input_from_owner(self, name: str, precision_bits: int) -> tuple[torch.Tensor, torch.dtype]:
        """The data owner (in the dealer process) shares its input `name`: each party receives its own share (one
        round). Returns this party's share (1, *shape) and the secret's dtype."""
        step, during = self._next(f"input {name!r}")
        self._request("input", step, (name, precision_bits), during)
        shape, dtype = self._response(during)
        buffer = torch.empty(shape, dtype=torch.int64)
        self.wire.exchange([], [(self.roles.dealer_rank, buffer)], during, delay=self.latency)
        self.ledger.took_part(step)
        return buffer.unsqueeze(0), dtype

    def reveal(self, group, shares: torch.Tensor, to: str = CALLER) -> torch.Tensor | None:
        """Reveal on purpose: every party sends its share to `to` (one round). `to` is a party's name (it alone gets
        the value; the others get None) or "you" (in the dealer process: every party gets None)."""
        self._check_group(group)
        names = self.roles.names
        if to in names:
            target = names.index(to)
        elif to == CALLER:
            target = self.roles.dealer_rank
        else:
            raise ValueError(f"reveal to a party ({', '.join(names)}) or to {CALLER!r}, got {to!r}")
        step, during = self._next("reveal")
        note, self.reveal_note = self.reveal_note or (self.label, None, None), None
        own = shares[0].contiguous()
        if target == self.roles.dealer_rank:
            self._request("reveal", step, (tuple(own.shape), note), during)
        if self.rank == target:
            received = {p: torch.empty_like(own) for p in self._peers}
            self.wire.exchange([], list(received.items()), during, delay=self.latency)
            self.ledger.took_part(step)
            # to itself: nothing on the wire, but (like in-process) it counts as a sender of 0 bytes
            self.ledger.sent(self.name, [], kind="reveal", step=step, label=self.label)
            value = own.clone()
            for p in self._peers:
                value += received[p]
            log_openings("revealed", (to,), (value,))
            return value
        self.wire.exchange([(target, own)], [], during)
        self.ledger.took_part(step)
        receiver = names[target] if target < len(names) else CALLER
        self.ledger.sent(self.name, [(receiver, own)], kind="reveal", step=step, label=self.label)
        return None

    def send(self, senders, receivers, *sizes, offline: bool = False) -> None:
        """Not available here: in-process `send` only COUNTS a message; in a distributed run a message must carry its
        payload. Protocols communicate through open, input and reveal (and the dealer), which send and count."""
        raise NotImplementedError(
            "DistributedRuntime.send: a message here must carry its payload; use open/input/reveal, which send it "
            "over the wire and count it"
        )

    # ----- the dealer process ----------------------------------------------------------------------------------------
    def _request(self, kind: str, step: int, payload, during: str) -> None:
        """Ask the dealer process for something: rank 0 sends the request (a control frame, on the request channel);
        the other parties make the same call at the same point (SPMD) and only receive."""
        self.requests += 1
        if self.rank == 0:
            message = (kind, step, self.label, payload)
            self.wire.send_frame(self.roles.dealer_rank, message, during, group=self.wire.requests_group)

    def _response(self, during: str):
        """The dealer process's answer to the current request: its header ("ok", ...) — or the error it raised."""
        status, *answer = self.wire.recv_frame(self.roles.dealer_rank, during)
        if status == "error":
            error_type, message = answer
            try:
                error = error_type(message)
            except Exception:
                error = RuntimeError(message)
            raise error
        return answer[0]

    def call_dealer(self, method: str, args: tuple, kwargs: dict):
        """Run `TrustedDealer.<method>(*args, **kwargs)` in the dealer process; receive this party's rows.

        Every tensor of the result is stacked shares (n_parties, ...): this party receives row `rank` of each, as
        (1, ...). Anything else in the result (numbers, strings) comes back as it is.
        """
        step, during = self._next(f"dealer.{method}")
        description = describe_request(method, args, kwargs)
        digest = hashlib.sha1(description.encode()).hexdigest()[:12]
        try:
            payload = (method, args, kwargs, digest) if self.rank == 0 else None
            if payload is not None:
                pickle.dumps(payload)
        except Exception as error:
            raise TypeError(
                f"a dealer request travels to the dealer process, so its arguments must pickle (functions by "
                f"reference, e.g. torch.mul or course_lib.ring.ring_matmul): dealer.{method}: {error}"
            ) from None
        self._request("dealer", step, payload, during)
        spec, shapes, dealt_for = self._response(during)
        if dealt_for != digest:
            raise RuntimeError(
                f"party {self.name} asked the dealer for {description} in step {step}, but rank 0 asked for something "
                "else: the parties' programs went different ways (party code must make the same calls in the same "
                "order)"
            )
        buffers = [torch.empty(shape, dtype=dtype) for shape, dtype in shapes]
        self.wire.exchange([], [(self.roles.dealer_rank, b) for b in buffers], during)
        return unflatten(spec, [b.unsqueeze(0) for b in buffers])

    def stop_dealer(self) -> None:
        """Tell the dealer process that the party code is done (rank 0 sends it; everyone counts it)."""
        self._request("stop", self.step, None, "`stop`")

    @contextlib.contextmanager
    def phase(self, label: str | None):
        previous, self.label = self.label, label
        try:
            yield
        finally:
            self.label = previous

    @contextlib.contextmanager
    def delay(self, latency: float):
        """`with runtime.delay(0.02):` every online step inside waits 20 ms more (see `latency` above)."""
        if not latency >= 0:
            raise ValueError(f"latency must be >= 0 seconds, got {latency!r}")
        previous, self.latency = self.latency, float(latency)
        try:
            yield
        finally:
            self.latency = previous

    # One runtime per process: copies use it; it never travels to another process.
    def __copy__(self) -> DistributedRuntime:
        return self

    def __deepcopy__(self, memo) -> DistributedRuntime:
        return self

    def __reduce__(self):
        raise TypeError("a DistributedRuntime belongs to one party's process; it (and its shares) cannot be pickled")

    def __repr__(self) -> str:
        return f"DistributedRuntime(party {self.name}, rank {self.rank} of {self.roles.world_size})"


# ----- generic results: any structure of tensors and plain values ----------------------------------------------------
def flatten(value, leaves: list) -> object:
    """A picklable description of `value` with every tensor replaced by its index in `leaves` (appended)."""
    if isinstance(value, torch.Tensor):
        leaves.append(value)
        return ("tensor", len(leaves) - 1)
    if isinstance(value, (tuple, list)):
        return (type(value).__name__, [flatten(v, leaves) for v in value])
    if isinstance(value, dict):
        return ("dict", [(k, flatten(v, leaves)) for k, v in value.items()])
    return ("value", value)


def unflatten(spec, leaves: list):
    kind, content = spec
    if kind == "tensor":
        return leaves[content]
    if kind == "tuple":
        return tuple(unflatten(s, leaves) for s in content)
    if kind == "list":
        return [unflatten(s, leaves) for s in content]
    if kind == "dict":
        return {k: unflatten(s, leaves) for k, s in content}
    return content


def describe_request(method: str, args: tuple, kwargs: dict) -> str:
    """A short, deterministic description of a dealer request (every party computes it; they must agree)."""

    def show(value) -> str:
        if isinstance(value, torch.Tensor):
            digest = hashlib.sha1(value.detach().contiguous().numpy().tobytes()).hexdigest()[:8]
            return f"tensor{tuple(value.shape)}:{digest}"
        if callable(value):
            return f"{getattr(value, '__module__', '?')}.{getattr(value, '__qualname__', repr(value))}"
        if isinstance(value, (tuple, list)):
            return "(" + ", ".join(show(v) for v in value) + ")"
        return repr(value)

    parts = [show(a) for a in args] + [f"{k}={show(v)}" for k, v in sorted(kwargs.items())]
    return f"{method}({', '.join(parts)})"
