"""The dealer as its own process: a service around the real TrustedDealer, and the proxy the parties call (chapter 09).

In-process, `TrustedDealer.beaver_triple(...)` returns stacked shares (n_parties, ...) — every party's row at once.
In a distributed run no process may hold them all but the dealer itself. So:

* the dealer process (rank n) runs the real `TrustedDealer` in a loop: it takes a request, calls the method BY NAME
  with the request's arguments, and sends party i only row i of every tensor in the result (one gloo message per
  tensor and party, counted as the dealer's offline bytes, like in-process);
* in a party's process, `group.dealer` is a `DealerProxy`: any public method call becomes such a request. The proxy
  knows no method names, so dealer methods added later (comparison's) work without changes, as long as their
  arguments pickle (numbers, shapes, tensors; functions such as torch.mul by reference) and every tensor they return
  is stacked shares with the party axis first.

SPMD makes it cheap: every party makes the same requests in the same order, so only rank 0 sends the request; the
others just receive their rows (each checks that rank 0 asked for what it would have asked for).

The dealer process plays two more roles that the in-process runtime also keeps outside the parties: the DATA OWNER
(who secret-shares the named inputs — `ctx.input("features")`) and YOU (who receive what `get()` reveals). A data
owner that deals the randomness for the servers computing on its data is a known setting ("client-aided" MPC). It
changes no trust assumption: the dealer never receives an opened value, and must not collude with any party anyway.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from course_lib import ring
from course_lib.dealer import TrustedDealer
from course_lib.distributed.control import ControlPlane
from course_lib.distributed.failures import Roles
from course_lib.distributed.runtime import YOU, flatten
from course_lib.distributed.wire import Ledger, Wire
from course_lib.encoding import FixedPointEncoder
from course_lib.parties import VirtualWorker
from course_lib.runtime import InProcessRuntime, log_openings

__all__ = ["DealerProxy", "DealerService", "Revealed", "DATA_OWNER"]

# the sender name the in-process runtime gives the data owner; ours sits in the dealer process
DATA_OWNER = "data owner"


class DealerProxy:
    """The dealer as a party sees it: every public method call is a request to the dealer process, answered with
    this party's rows, shape (1, ...)."""

    def __init__(self, runtime, worker: VirtualWorker):
        self.runtime = runtime
        self.worker = worker

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)

        def request(*args, **kwargs):
            return self.runtime.call_dealer(name, args, kwargs)

        request.__name__ = request.__qualname__ = name
        return request

    # never duplicated (like TrustedDealer), and it never leaves its process
    def __copy__(self) -> DealerProxy:
        return self

    def __deepcopy__(self, memo) -> DealerProxy:
        return self

    def __reduce__(self):
        raise TypeError("a DealerProxy belongs to one party's process and cannot be pickled")

    def __repr__(self) -> str:
        return f"DealerProxy({self.worker.id!r}, in rank {self.runtime.roles.dealer_rank}'s process)"


@dataclass
class Revealed:
    """One value revealed to you: its label (the party code's `ctx.reveal(..., label=...)` or phase), the decoded
    value, the raw ring value, and the communication step."""

    label: object
    value: torch.Tensor
    ring: torch.Tensor
    step: int


class DealerService:
    """The dealer process's loop: requests from rank 0, answered in order until rank 0 says stop."""

    def __init__(
        self,
        roles: Roles,
        wire: Wire,
        control: ControlPlane,
        ledger: Ledger,
        inputs: dict | None = None,
        precision_bits: int = 16,
    ):
        self.roles, self.wire, self.control, self.ledger = roles, wire, control, ledger
        self.inputs = dict(inputs or {})
        self.precision_bits = precision_bits
        # The real dealer. Its own runtime counts what it hands out the in-process way (the "logical" count); the
        # wire count is made where the rows are sent. `logical` lets a test compare the two.
        self.logical = InProcessRuntime()
        self.dealer = TrustedDealer(VirtualWorker(roles.dealer_name), self.logical)
        self.revealed: list[Revealed] = []
        self.step = 0

    def serve(self, monitor=None) -> list[Revealed]:
        """Answer rank 0's requests in order until it says stop; returns what was revealed to you.

        The wait for the next request has no time limit (the parties may compute as long as they like); `monitor`
        (a `control.Monitor`) ends this process if, meanwhile, rank 0 dies or anyone reports a failure."""
        while True:
            during = f"the wait for rank 0's next request (after step {self.step})"
            if monitor is not None:
                monitor.arm(0, during)
            try:
                kind, step, label, payload = self.wire.recv_frame(0, during, group=self.wire.requests_group, wait=False)
            finally:
                if monitor is not None:
                    monitor.disarm()
            if kind == "stop":
                return self.revealed
            self.step = step
            where = f" ({label})" if label else ""
            getattr(self, f"_{kind}")(step, label, payload, f"`{kind}` in step {step}{where}")

    def _answer(self, answer: tuple, during: str) -> None:
        """The answer's header, to every party (a control frame each)."""
        for p in range(self.roles.n_parties):
            self.wire.send_frame(p, answer, during)

    def _refuse(self, error: BaseException, during: str) -> None:
        self._answer(("error", type(error), str(error)), during)

    # ----- the three kinds of request -------------------------------------------------------------------------------
    def _dealer(self, step: int, label, payload, during: str) -> None:
        method, args, kwargs, digest = payload
        during = during.replace("`dealer`", f"`dealer.{method}`")
        n = self.roles.n_parties
        try:
            if method.startswith("_") or not callable(getattr(self.dealer, method, None)):
                raise AttributeError(f"the dealer has no method {method!r}")
            result = getattr(self.dealer, method)(*args, **kwargs)
            leaves: list[torch.Tensor] = []
            spec = flatten(result, leaves)
            for t in leaves:
                if t.dim() < 1 or t.shape[0] != n:
                    raise ValueError(
                        f"dealer.{method} returned a tensor of shape {tuple(t.shape)}: the dealer process sends each "
                        f"party its row, so every tensor must be stacked shares ({n} parties, ...)"
                    )
        except Exception as error:
            self._refuse(error, during)
            return
        header = self.wire.frame(("ok", (spec, [(tuple(t.shape[1:]), t.dtype) for t in leaves], digest)), copies=n)
        sends = [(p, t[p].contiguous()) for p in range(n) for t in leaves]
        self.wire.exchange([(p, f) for p in range(n) for f in header] + sends, [], during)
        names = self.roles.names
        self.ledger.sent(
            self.roles.dealer_name,
            [(names[p], t) for p, t in sends],
            kind="dealer",
            step=step,
            label=label,
            offline=True,
        )

    def _input(self, step: int, label, payload, during: str) -> None:
        name, precision_bits = payload
        n = self.roles.n_parties
        try:
            if name not in self.inputs:
                known = ", ".join(repr(key) for key in self.inputs) or "none"
                raise KeyError(f"the data owner has no input {name!r} (it has: {known}); pass inputs={{...}} to run()")
            secret = self.inputs[name]
            encoded = FixedPointEncoder(precision_bits).encode(secret)
        except Exception as error:
            self._refuse(error, during)
            return
        dtype = secret.dtype if isinstance(secret, torch.Tensor) and secret.is_floating_point() else torch.float64
        shares = ring.share(encoded, n)  # the same draw as the in-process runtime's `input`
        header = self.wire.frame(("ok", (tuple(encoded.shape), dtype)), copies=n)
        sends = [(p, shares[p].contiguous()) for p in range(n)]
        self.wire.exchange([(p, f) for p in range(n) for f in header] + sends, [], during)
        self.ledger.took_part(step)
        names = self.roles.names
        self.ledger.sent(DATA_OWNER, [(names[p], t) for p, t in sends], kind="input", step=step, label=label)

    def _reveal(self, step: int, label, payload, during: str) -> None:
        shape, (note, bits, dtype) = payload
        received = [(p, torch.empty(shape, dtype=torch.int64)) for p in range(self.roles.n_parties)]
        self.wire.exchange([], received, during)
        self.ledger.took_part(step)
        value = received[0][1].clone()
        for _, share in received[1:]:
            value += share
        log_openings("revealed", (YOU,), (value,))
        decoded = FixedPointEncoder(bits if bits is not None else self.precision_bits).decode(
            value, dtype if dtype is not None else torch.float64
        )
        self.revealed.append(Revealed(note if note is not None else label, decoded, value, step))
