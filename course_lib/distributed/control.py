"""The control plane: rendezvous, heartbeats, failure notices — and how a process notices that another one failed.

Two channels connect the processes (chapter 09):

* torch.distributed's gloo transport carries every tensor, point to point (`course_lib.distributed.wire`): the DATA
  messages the cost meters count (shares, opened values, the dealer's rows), and small CONTROL frames counted apart
  (rank 0's requests to the dealer process, the shapes that announce a delivery);
* a `TCPStore` — a small key-value server every process reaches at MASTER_ADDR:MASTER_PORT (the launcher hosts it;
  across machines rank 0 does) — carries what must work even when a party is gone: who has joined, "I am alive"
  (a heartbeat every half second), "party bob failed: …" (the first failure anyone saw), "bob's process died"
  (the launcher saw it), and everyone's ledger at the end.

How failures surface. A gloo wait has OUR timeout (gloo's default is 30 minutes) and fails at once when the peer's
process is gone (its connection closes). The process that sees it first records what it saw in the store; every
other process, whatever it was waiting for, then stops naming that party rather than its own neighbour. One wait has
no time limit: the dealer process waiting for rank 0's next request while the parties compute. A monitor thread
watches that wait: a failure notice, a death notice, or a peer silent for the timeout ends the process with the error.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from datetime import timedelta

import torch.distributed as dist

from course_lib.distributed.failures import PartyFailure, Roles

__all__ = ["ControlPlane", "Liveness", "Monitor", "connect_store"]

FAILURE_KEY = "failure"
HEARTBEAT_PERIOD = 0.5  # seconds between two heartbeats of a process


def connect_store(host: str, port: int, *, is_master: bool, timeout: float) -> dist.TCPStore:
    """A client of (or, for the host, the server and a client of) the rendezvous store at host:port."""
    return dist.TCPStore(
        host, port, None, is_master, timeout=timedelta(seconds=timeout), wait_for_workers=False, use_libuv=True
    )


class Monitor:
    """A thread of its own (with its own store connection) that

    * tells the others "I am alive" every half second (the heartbeat the others watch);
    * ends this process if the launcher that started it is gone (a backup to PR_SET_PDEATHSIG);
    * while `watching` (from the start of the work to the final gather), watches EVERY other process: a failure
      notice, a death notice from the launcher, or a process silent for the timeout. The main thread usually notices
      first — its own transfer with that peer fails — and reports it better; so the monitor gives it a second, then
      hands its own error to `on_fatal` and ends the process. This is what stops the parties when the dealer dies
      while they are busy opening values among themselves;
    * while ARMED — the main thread is in a wait that nothing can interrupt (the dealer process waiting, without a
      time limit, for rank 0's next request) — watches that one peer and acts at once.
    """

    def __init__(
        self,
        store_factory: Callable[[], dist.TCPStore],
        roles: Roles,
        rank: int,
        timeout: float,
        parent_pid: int | None,
        on_fatal: Callable[[str], None],
    ):
        self._factory, self._roles, self._rank, self._timeout = store_factory, roles, rank, timeout
        self._parent_pid, self._on_fatal = parent_pid, on_fatal
        self.where: Callable[[], str] = lambda: ""  # what the main thread is doing: " in step 17 (training step 3)"
        self.own: ControlPlane | None = None  # the main thread's control plane (a failure it recorded is not news)
        self.watching = False
        self._armed: tuple | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="course_lib-monitor", daemon=True)
        self._thread.start()

    def arm(self, peer: int, during: str) -> None:
        self._armed = (peer, during, Liveness())

    def disarm(self) -> None:
        self._armed = None

    def _run(self) -> None:
        control, next_beat, next_scan = None, 0.0, 0.0
        others = [r for r in range(self._roles.world_size) if r != self._rank]
        liveness = {r: Liveness() for r in others}
        trouble: tuple[PartyFailure, float] | None = None
        while not self._stop.is_set():
            if self._parent_pid is not None and os.getppid() != self._parent_pid:
                os._exit(70)  # our launcher died: never outlive it
            try:
                control = control or ControlPlane(self._factory(), self._roles, self._rank, self._timeout)
                now = time.monotonic()
                if now >= next_beat:
                    control.store.add(f"alive/{self._rank}", 1)
                    next_beat = now + HEARTBEAT_PERIOD
                armed = self._armed
                if armed is not None:
                    peer, during, peer_liveness = armed
                    error = control.check(peer, during, peer_liveness)
                    if error is not None and self._armed is armed:
                        self._fatal(error)
                elif self.watching:
                    scan = now >= next_scan
                    next_scan = now + HEARTBEAT_PERIOD if scan else next_scan
                    if trouble is None:
                        found = self._look(control, others, liveness, scan)
                        trouble = None if found is None else (found, now)
                    elif now - trouble[1] > _GRACE and self.watching:
                        self._fatal(trouble[0](control))  # the error, with where the main thread is NOW
            except Exception:  # the store is gone or busy; the main thread will notice if it matters
                control = None
            self._stop.wait(0.1)

    def _look(self, control: ControlPlane, others: list[int], liveness: dict, scan: bool):
        """Anything wrong anywhere? (The failure notice and death notices every time; heartbeats on `scan`.)
        Returns None, or a function that makes the error (and records it) when the grace period is over."""
        if control.failure() is not None and not (self.own is not None and self.own.recorded_failure):
            return lambda c: c.stopped(c.failure(), self.where().strip())
        for r in others:
            died = control.death_notice(r)
            if died is not None:
                return lambda c, r=r, died=died: c.fail(
                    f"{self._roles.describe(r)} died ({died}); {c.me} was{self.where()}",
                    rank=r,
                    doing=self.where().strip(),
                )
        if scan:
            now = time.monotonic()
            for r in others:
                count, seen = control._beats(r), liveness[r]
                if count != seen.beats:
                    seen.beats, seen.since = count, now
                elif now - seen.since > self._timeout:
                    return lambda c, r=r: c.fail(
                        f"{self._roles.describe(r)} stopped answering: no heartbeat for {self._timeout:g} s; "
                        f"{c.me} was{self.where()}",
                        rank=r,
                        doing=self.where().strip(),
                    )
        return None

    def _fatal(self, error: PartyFailure) -> None:
        try:
            self._on_fatal(str(error))
        finally:
            os._exit(1)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2.0)


_GRACE = 1.0  # seconds the monitor lets the main thread report a failure it saw itself


class Liveness:
    """What a waiter last saw of a peer's heartbeat counter, and when."""

    def __init__(self):
        self.beats: int | None = None
        self.since = time.monotonic()


class ControlPlane:
    """One process's end of the control plane: waits that notice failures, and the failure notice itself."""

    def __init__(self, store: dist.TCPStore, roles: Roles, rank: int, timeout: float):
        self.store = store
        self.roles = roles
        self.rank = rank
        self.timeout = float(timeout)
        self.messages = 0  # control messages this process sent (requests, headers, notices; not heartbeats)
        self.bytes = 0
        self.recorded_failure = False

    @property
    def me(self) -> str:
        return self.roles.short(self.rank)

    # ----- failure notices --------------------------------------------------------------------------------------
    def failure(self) -> str | None:
        """The first failure anyone reported (it names the party that failed), or None."""
        try:
            if self.store.check([FAILURE_KEY]):
                return self.store.get(FAILURE_KEY).decode()
        except Exception:  # the store itself is gone: the caller's own error says more
            return None
        return None

    def report_failure(self, message: str) -> str:
        """Record `message` as THE failure unless one is recorded already; returns the one that stands."""
        try:
            root = self.store.compare_set(FAILURE_KEY, "", message).decode()
        except Exception:
            root = message
        self.recorded_failure = True  # this process is failing: its monitor need not tell it
        return root

    def death_notice(self, rank: int) -> str | None:
        """How `rank`'s process ended, if the launcher saw it end ("killed by signal SIGKILL"), else None."""
        try:
            if self.store.check([f"died/{rank}"]):
                return self.store.get(f"died/{rank}").decode()
        except Exception:
            return None
        return None

    def fail(self, observation: str, *, rank: int | None, doing: str = "") -> PartyFailure:
        """This process saw a failure itself: record it (first one wins) and return the exception to raise. If
        another process recorded one first, that one names the culprit; `doing` says where we stopped."""
        mine = f"{observation} (seen by {self.me})"
        root = self.report_failure(mine)
        if root == mine:
            return PartyFailure(observation, rank=rank)
        return self.stopped(root, doing)

    def stopped(self, root: str, doing: str = "") -> PartyFailure:
        """Another process reported a failure first: stop, naming the party that failed (not our own peer)."""
        return PartyFailure(f"{root}; {self.me} stopped{' ' + doing if doing else ''}", rank=rank_named_in(root))

    # ----- keys ---------------------------------------------------------------------------------------------------
    def set(self, key: str, value: bytes) -> None:
        self.store.set(key, value)
        self.messages += 1
        self.bytes += len(value)

    def check(self, peer: int, during: str, liveness: Liveness) -> PartyFailure | None:
        """Is it still worth waiting for `peer`? None if so; else the failure to raise (recorded for the others)."""
        waiting = f"while waiting for {self.roles.short(peer)} during {during}"
        root = self.failure()
        if root is not None:
            return self.stopped(root, waiting)
        died = self.death_notice(peer)
        if died is not None:
            return self.fail(f"{self.roles.describe(peer)} died ({died}) during {during}", rank=peer, doing=waiting)
        now, count = time.monotonic(), self._beats(peer)
        if count != liveness.beats:
            liveness.beats, liveness.since = count, now
        elif now - liveness.since > self.timeout:
            return self.fail(
                f"{self.roles.describe(peer)} stopped answering during {during}: no heartbeat for {self.timeout:g} s",
                rank=peer,
                doing=waiting,
            )
        return None

    def wait_key(self, key: str, *, peer: int, during: str) -> bytes:
        """Wait — as long as `peer` is alive and nobody reported a failure — for `key`, which `peer` will set."""
        start = time.monotonic()
        pause, next_check, liveness = 5e-5, start + 0.05, Liveness()
        while True:
            try:
                if self.store.check([key]):
                    return self.store.get(key)
            except Exception as error:  # the store's host is gone
                raise self._store_lost(during, error) from None
            now = time.monotonic()
            if now >= next_check:
                next_check = now + 0.1
                error = self.check(peer, during, liveness)
                if error is not None:
                    raise error
            time.sleep(pause)
            pause = min(2 * pause, 0.002 if now - start < 1.0 else 0.02)

    def _beats(self, rank: int) -> int:
        try:
            return self.store.add(f"alive/{rank}", 0)
        except Exception:
            return -1

    def _store_lost(self, during: str, error: BaseException) -> PartyFailure:
        host = self.roles.short(0)
        return PartyFailure(
            f"{self.me} lost the rendezvous store during {during} (hosted by the launcher or by {host}): {error}"
        )

    # ----- everyone together ----------------------------------------------------------------------------------------
    def join(self) -> None:
        """Announce this process and wait until every rank has: who is missing after `timeout` never joined."""
        self.set(f"joined/{self.rank}", b"1")
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                missing = [r for r in range(self.roles.world_size) if not self.store.check([f"joined/{r}"])]
            except Exception as error:  # the store's host is gone
                raise self._store_lost("the wait for everyone to join", error) from None
            if not missing:
                return
            root = self.failure()
            if root is not None:
                raise self.stopped(root, "while waiting for everyone to join")
            if time.monotonic() > deadline:
                absent = ", ".join(self.roles.describe(r) for r in missing)
                raise self.fail(
                    f"{absent} never joined within {self.timeout:g} s", rank=missing[0], doing="waiting for everyone"
                )
            time.sleep(0.01)

    def gather(self, name: str, payload: bytes) -> list[bytes]:
        """Everyone posts `payload` under `name` and gets everyone's, by rank (no time limit while all are alive)."""
        self.set(f"{name}/{self.rank}", payload)
        return [
            self.wait_key(f"{name}/{r}", peer=r, during=f"`{name}` at the end") for r in range(self.roles.world_size)
        ]


def rank_named_in(message: str) -> int | None:
    """The rank named first in a failure message ('party bob (rank 1) ...' -> 1)."""
    marker = "(rank "
    at = message.find(marker)
    if at < 0:
        return None
    digits = message[at + len(marker) :].split(")", 1)[0]
    return int(digits) if digits.isdigit() else None
