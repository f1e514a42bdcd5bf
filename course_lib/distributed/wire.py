"""The data plane: tensors sent party to party over torch.distributed (gloo), and what each message costs (chapter 09).

Every share, opened value and dealer row is ONE point-to-point message (`dist.isend` / `dist.irecv`): one tensor,
from one rank to one other. So counting is literal — a message is a tensor we hand to gloo, its size is
`numel × element_size` bytes — and it matches the in-process runtime's model message for message:

    step                    in-process (`InProcessRuntime.send`)              on the wire (this module)
    open of k values        each party -> every other party, k messages       k isends per ordered pair of parties
    input by the data owner owner -> each party, one message                  the dealer process sends row i to rank i
    reveal to you           each party -> you, one message                    each party sends its share to rank n
    a dealer request        dealer -> each party, one message per value       one isend per party and stacked tensor

A ROUND is a communication step — the parties wait for each other once. Each process counts the steps it takes part
in (sending or receiving); a run's rounds are the distinct steps all processes together took part in. The dealer's
deliveries are offline (they do not depend on the data): no round, counted apart, exactly like in-process.

What is NOT counted in the Cost: control frames — rank 0's requests to the dealer process and the shapes that
announce a delivery, sent the same way but counted apart — the control plane's store (`course_lib.distributed.control`:
rendezvous, heartbeats, failure notices), and whatever TCP and gloo add around a message (headers, acknowledgements).
"""

from __future__ import annotations

import pickle
import time
from dataclasses import dataclass, field
from datetime import timedelta

import torch
import torch.distributed as dist

from course_lib.cost import Cost, open_meters
from course_lib.distributed.control import ControlPlane
from course_lib.distributed.failures import PartyFailure, Roles, classify

__all__ = ["Message", "Ledger", "Wire"]


@dataclass(frozen=True)
class Message:
    """One data message as its sender recorded it (the chapter's live view: who sent what, when)."""

    time: float  # seconds since the run started (one clock on one machine; machines' clocks may differ)
    sender: str
    receiver: str
    kind: str  # "open", "input", "reveal" or "dealer"
    step: int  # the communication step (every party numbers them alike)
    label: str | None  # what the party code was doing (`ctx.phase(...)`), e.g. "training step 12"
    shape: tuple[int, ...]
    nbytes: int


@dataclass
class LedgerReport:
    """What one process sent, for the launcher to add up: its Cost, the steps it took part in, its messages."""

    rank: int
    cost: Cost
    steps: set[int] = field(default_factory=set)
    messages: list[Message] | None = None
    control_messages: int = 0
    control_bytes: int = 0


class Ledger:
    """This process's count of what it put on the wire, into its own total and into every open `measure_cost`."""

    def __init__(self, rank: int, log_messages: bool = False, epoch: float | None = None):
        self.rank = rank
        self.total = Cost()
        self.steps: set[int] = set()  # online steps this process took part in
        self.messages: list[Message] | None = [] if log_messages else None
        self.epoch = time.time() if epoch is None else epoch

    def _meters(self) -> tuple[Cost, ...]:
        return (self.total, *open_meters())

    def took_part(self, step: int) -> None:
        """This process took part in an online step: one round (once per step, however many messages)."""
        if step not in self.steps:
            self.steps.add(step)
            for cost in self._meters():
                cost.add(1, 0, 0, {}, dealer=False)

    def sent(
        self,
        sender: str,
        messages: list[tuple[str, torch.Tensor]],
        *,
        kind: str,
        step: int,
        label: str | None,
        offline: bool = False,
    ) -> None:
        """`sender` (a role this process plays) sent each tensor to its receiver, one message each."""
        nbytes = sum(t.numel() * t.element_size() for _, t in messages)
        for cost in self._meters():
            cost.add(0, len(messages), nbytes, {sender: nbytes}, dealer=offline)
        if self.messages is not None:
            now = time.time() - self.epoch
            self.messages.extend(
                Message(now, sender, receiver, kind, step, label, tuple(t.shape), t.numel() * t.element_size())
                for receiver, t in messages
            )

    def report(self, control: ControlPlane | None = None, wire: Wire | None = None) -> LedgerReport:
        messages = (control.messages if control else 0) + (wire.control_messages if wire else 0)
        nbytes = (control.bytes if control else 0) + (wire.control_bytes if wire else 0)
        return LedgerReport(self.rank, self.total, set(self.steps), self.messages, messages, nbytes)


def add_up(reports: list[LedgerReport]) -> Cost:
    """A run's cost from every process's report: messages and bytes add up; rounds are the distinct online steps."""
    total = Cost()
    for report in reports:
        c = report.cost
        total.add(0, c.messages, c.bytes, c.bytes_sent_by, dealer=False)
        total.dealer_messages += c.dealer_messages
        total.dealer_bytes += c.dealer_bytes
    total.rounds = len(set().union(*(r.steps for r in reports))) if reports else 0
    return total


FRAME_BYTES = 256  # a control frame: 8 bytes of length, then a pickle; longer pickles continue in a second message


class Wire:
    """Point-to-point transfers among the ranks, with gloo's errors translated into who failed and when.

    Data messages (`exchange`) carry shares and are what the cost meters count. Control frames (`send_frame` /
    `recv_frame`: a request to the dealer process, the shapes of what comes next) travel the same way but are
    counted apart (`control_messages`, `control_bytes`).
    """

    def __init__(self, roles: Roles, rank: int, control: ControlPlane, timeout: float):
        self.roles = roles
        self.rank = rank
        self.control = control
        self.timeout = timedelta(seconds=timeout)
        self.control_messages = 0
        self.control_bytes = 0
        self.requests_group = None  # rank 0 <-> the dealer process: requests (set when the data plane connects)

    def exchange(
        self,
        sends: list[tuple[int, torch.Tensor]],
        receives: list[tuple[int, torch.Tensor]],
        during: str,
        delay: float = 0.0,
    ) -> None:
        """Post every send and receive at once (no order can deadlock), then wait for all of them.

        A transfer that does not complete within the timeout, or whose peer's connection closes, raises a
        PartyFailure naming that peer and `during` (e.g. "`open` in step 17"). `delay` (seconds, for the chapter's
        network model): once everything is posted, wait that long before reading what arrived — as if each message
        took `delay` to travel (only when something is received).
        """
        works = []
        peer = None
        try:
            for peer, tensor in sends:
                works.append((peer, dist.isend(tensor, peer)))
            for peer, buffer in receives:
                works.append((peer, dist.irecv(buffer, peer)))
            if delay > 0 and receives:
                time.sleep(delay)
            for peer, work in works:  # noqa: B007 - `peer` names the one that failed, in the except below
                work.wait(self.timeout)
        except RuntimeError as error:
            raise self.translate(peer, error, during) from None

    # ----- control frames -------------------------------------------------------------------------------------------
    def frame(self, message, copies: int = 1) -> list[torch.Tensor]:
        """A small picklable `message` as a control frame (one tensor, two if it is long), counted as sent `copies`
        times. Send it with `exchange` (before what it announces) or `send_frame`."""
        payload = pickle.dumps(message)
        frame = torch.zeros(FRAME_BYTES, dtype=torch.uint8)
        head = len(payload).to_bytes(8, "little") + payload[: FRAME_BYTES - 8]
        frame[: len(head)] = torch.frombuffer(bytearray(head), dtype=torch.uint8)
        tensors = [frame]
        if len(payload) > FRAME_BYTES - 8:
            tensors.append(torch.frombuffer(bytearray(payload[FRAME_BYTES - 8 :]), dtype=torch.uint8))
        self.control_messages += copies * len(tensors)
        self.control_bytes += copies * sum(t.numel() for t in tensors)
        return tensors

    def send_frame(self, peer: int, message, during: str, group=None) -> None:
        """Send a control frame to `peer` and wait until it is taken."""
        try:
            for tensor in self.frame(message):
                dist.isend(tensor, peer, group=group).wait(self.timeout)
        except RuntimeError as error:
            raise self.translate(peer, error, during) from None

    def recv_frame(self, peer: int, during: str, group=None, wait: bool = True):
        """Receive a control frame from `peer` and return its message. `wait=False` waits without our timeout (the
        group's own, and the caller's watchdog): for the dealer process waiting for rank 0's next request."""
        frame = torch.empty(FRAME_BYTES, dtype=torch.uint8)
        try:
            work = dist.irecv(frame, peer, group=group)
            work.wait(self.timeout) if wait else work.wait()
            size = int.from_bytes(frame[:8].numpy().tobytes(), "little")
            payload = frame[8 : 8 + min(size, FRAME_BYTES - 8)].numpy().tobytes()
            if size > FRAME_BYTES - 8:
                rest = torch.empty(size - (FRAME_BYTES - 8), dtype=torch.uint8)
                dist.irecv(rest, peer, group=group).wait(self.timeout)
                payload += rest.numpy().tobytes()
        except RuntimeError as error:
            raise self.translate(peer, error, during) from None
        return pickle.loads(payload)

    def translate(self, peer: int | None, error: BaseException, during: str) -> PartyFailure:
        """A gloo error while talking to `peer`, in words: who failed first (maybe not `peer`), during what."""
        if isinstance(error, PartyFailure):
            return error
        root = self.control.failure()
        if root is not None:  # someone saw the failure first (a process that stops writes this before leaving)
            return self.control.stopped(root, f"during {during}")
        who = self.roles.describe(peer) if peer is not None else "a peer"
        how = classify(error)
        died = self.control.death_notice(peer) if peer is not None else None
        if how == "timeout":
            observation = f"{who} did not answer during {during} within {self.timeout.total_seconds():g} s"
        elif how == "gone":
            gone = f"its process is gone: {died}" if died else "its process is gone"
            observation = f"{who} did not answer during {during}: its connection closed ({gone})"
        else:
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            observation = f"{who}: the transfer during {during} failed: {first_line}"
        return self.control.fail(observation, rank=peer, doing=f"during {during}")
