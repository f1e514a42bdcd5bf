"""What party code gets: `fn(ctx)` runs in every party's process, and `ctx` is its view of the run (chapter 09).

    def product(ctx):
        x = ctx.input("x")                    # the data owner's secret, shared: this party gets its own share
        y = ctx.input("y")
        z = x * y                             # Beaver: a request to the dealer process, one `open` among the parties
        ctx.print("my share of z:", z.shares) # shows up in your session as "[alice] my share of z: ..."
        z.get()                               # reveal to you: the parties send their shares; here it returns None
        return z.shares                       # each party's return value comes back to you, by rank

Party code is SPMD: every party runs the same function and makes the same calls in the same order (branching on
`ctx.rank` is fine for local work — printing, what to return — but not around anything that communicates).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from course_lib.cost import Cost
from course_lib.distributed.dealer import DealerProxy
from course_lib.distributed.failures import Roles
from course_lib.distributed.runtime import YOU, DistributedRuntime
from course_lib.encoding import FixedPointEncoder
from course_lib.parties import PartyGroup, VirtualWorker
from course_lib.tensor import SharedTensor

__all__ = ["PartyContext"]


class PartyContext:
    """One party's handle on a distributed run: who it is, its PartyGroup, and how to get shares in and values out."""

    def __init__(
        self,
        roles: Roles,
        rank: int,
        runtime: DistributedRuntime,
        precision_bits: int = 16,
        printer: Callable[[str], None] | None = None,
    ):
        self.roles = roles
        self.rank = rank
        self.runtime = runtime
        self.precision_bits = precision_bits
        parties = tuple(VirtualWorker(name) for name in roles.names)
        self.dealer = DealerProxy(runtime, VirtualWorker(roles.dealer_name))
        self.group = PartyGroup(parties, self.dealer, runtime)
        self._printer = printer or (lambda text: print(f"[{self.name}] {text}", flush=True))

    @property
    def name(self) -> str:
        return self.roles.names[self.rank]

    @property
    def names(self) -> tuple[str, ...]:
        return self.roles.names

    @property
    def n_parties(self) -> int:
        return self.roles.n_parties

    @property
    def parties(self) -> tuple[VirtualWorker, ...]:
        return self.group.parties

    @property
    def cost(self) -> Cost:
        """What this party has put on the wire so far (and the rounds it took part in)."""
        return self.runtime.ledger.total

    # ----- shares in -----------------------------------------------------------------------------------------------
    def input(self, name: str, precision_bits: int | None = None) -> SharedTensor:
        """The data owner's input `name` (it sits in the dealer process: `run(..., inputs={name: tensor})`),
        secret-shared: this party receives its own share only. Costs what `course_lib.share` costs in-process."""
        bits = self.precision_bits if precision_bits is None else precision_bits
        shares, dtype = self.runtime.input_from_owner(name, bits)
        return SharedTensor(shares, self.group, FixedPointEncoder(bits), dtype)

    def share(self, secret=None, owner: int | str = 0, precision_bits: int | None = None) -> SharedTensor:
        """A party's OWN secret, shared among all: the owner (a rank or a name) passes its tensor, the others pass
        None (or anything: only the owner's value is used). The others learn its shape and dtype, not its values."""
        rank = owner if isinstance(owner, int) else self.roles.names.index(owner)
        encoder = FixedPointEncoder(self.precision_bits if precision_bits is None else precision_bits)
        encoded, dtype = None, None
        if self.rank == rank:
            encoded = encoder.encode(secret)
            is_float = isinstance(secret, torch.Tensor) and secret.is_floating_point()
            dtype = secret.dtype if is_float else torch.float64
        shares, dtype = self.runtime.input_from_party(encoded, rank, note=dtype)
        return SharedTensor(shares, self.group, encoder, dtype)

    # ----- values out ------------------------------------------------------------------------------------------------
    def reveal(self, x: SharedTensor, to: int | str = YOU, label=None) -> torch.Tensor | None:
        """Reveal `x` on purpose to `to`: "you" (the default, like `x.get()`: you get it, labelled; the parties get
        None) or a party (a rank or a name: it alone gets the decoded value; the others get None)."""
        if isinstance(to, int):
            to = self.roles.names[to]
        if to == YOU:
            self.runtime.reveal_note = (
                label if label is not None else self.runtime.label,
                x.encoder.precision_bits,
                x.dtype,
            )
        value = self.runtime.reveal(self.group, x.shares, to)
        return None if value is None else x.encoder.decode(value, x.dtype)

    # ----- for people watching ---------------------------------------------------------------------------------------
    def print(self, *values, sep: str = " ") -> None:
        """Print from this party: the line appears in YOUR session (the launcher's), prefixed with the party's name."""
        self._printer(sep.join(str(v) for v in values))

    print_from_party = print

    def phase(self, label: str | None):
        """`with ctx.phase("training step 3"):` names what the party is doing, in the message log and in errors."""
        return self.runtime.phase(label)

    def delay(self, latency: float):
        """`with ctx.delay(0.02):` simulates a slower network: every round inside, this party waits 20 ms before
        reading what arrived (every party must do the same: SPMD). For chapter 09's network model."""
        return self.runtime.delay(latency)

    def __repr__(self) -> str:
        dealer = f"dealer {self.roles.dealer_name}, rank {self.roles.dealer_rank}"
        return f"PartyContext(party {self.name}, rank {self.rank}; {dealer})"
