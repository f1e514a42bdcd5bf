"""One process of a distributed run — a party or the dealer — from start to finish (chapter 09).

Rank layout: ranks 0 … n-1 are the parties (alice, bob, dave, … as in `course_lib.reservoir.party_workers`), rank n is
the dealer process (carol: the dealer, the data owner and "you"). World size = n + 1.

Every process goes through the same stages, whoever started it (the launcher on one machine, or a person per
machine with the command line):
  1. connect to the rendezvous store at host:port (the launcher hosts it; across machines rank 0 does);
  2. start a heartbeat, announce itself, and wait for everyone — a rank missing after the timeout "never joined";
  3. connect the data plane: torch.distributed with the gloo backend, with OUR timeout (gloo's default is 30 min);
  4. play its role: a party runs the party code `fn(ctx)`; the dealer process serves requests until rank 0 says stop;
  5. everyone posts what it sent (its ledger); the dealer process adds them up into the run's cost.
"""

from __future__ import annotations

import os
import pickle
import socket
import sys
import time
from dataclasses import dataclass, field
from datetime import timedelta

import torch
import torch.distributed as dist

from course_lib import rng
from course_lib.cost import Cost
from course_lib.distributed.context import PartyContext
from course_lib.distributed.control import ControlPlane, Monitor, connect_store
from course_lib.distributed.dealer import DealerService
from course_lib.distributed.failures import PartyFailure, Roles
from course_lib.distributed.runtime import DistributedRuntime
from course_lib.distributed.shipping import unpack
from course_lib.distributed.wire import Ledger, LedgerReport, Wire, add_up

__all__ = ["NodeSpec", "NodeResult", "run_node"]


@dataclass
class NodeSpec:
    """Everything one process needs to start (it travels to a spawned process as a pickle)."""

    names: tuple[str, ...]
    dealer_name: str
    host: str
    port: int
    timeout: float = 30.0
    precision_bits: int = 16
    seed: int | None = None  # None: secure randomness; a seed: reproducible shares and triples (teaching only)
    log_messages: bool = False
    threads: int | None = None  # torch threads in this process
    epoch: float = 0.0  # the run's start (time.time()), for message timestamps
    launcher_pid: int | None = None  # a launcher started this process: die with it
    store_rank: int | None = None  # the rank that hosts the rendezvous store (None: the launcher hosts it)
    loopback: bool = False  # everything on this machine: gloo listens on the loopback interface
    party_code: tuple | None = None  # `shipping.pack(fn)`; the parties only
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    inputs: dict | None = None  # the data owner's secrets; the dealer process only
    latency: float = 0.0  # seconds each party's online step waits before reading (a simulated slower network)

    @property
    def roles(self) -> Roles:
        return Roles(tuple(self.names), self.dealer_name)


@dataclass
class NodeResult:
    """What one process hands back: its value (a party: fn's return; the dealer process: what you received), its
    ledger, and — from the dealer process, which gathers every ledger — the run's cost on the wire."""

    rank: int
    value: object
    report: LedgerReport
    reports: list[LedgerReport] | None = None
    cost: Cost | None = None
    logical_dealer: Cost | None = None  # the dealer's own (in-process style) count of what it dealt


def run_node(spec: NodeSpec, rank: int, printer=None, on_fatal=None) -> NodeResult:
    """Run process `rank` of the run described by `spec`; raises PartyFailure if any process fails.

    `printer(text)` shows a party's `ctx.print` lines (default: print here, prefixed); `on_fatal(message)` reports a
    failure the monitor thread found while the main thread could not be interrupted, just before the process ends
    (default: print it to stderr)."""
    roles = spec.roles
    if not 0 <= rank < roles.world_size:
        raise ValueError(f"rank must be 0 … {roles.world_size - 1} for {roles.n_parties} parties + dealer, got {rank}")
    if spec.threads:
        torch.set_num_threads(spec.threads)
    if spec.loopback:
        os.environ.setdefault("GLOO_SOCKET_IFNAME", _loopback_interface())
    hosts_store = spec.store_rank == rank
    store = _connect(spec, roles, rank, hosts_store)
    control = ControlPlane(store, roles, rank, spec.timeout)
    monitor = Monitor(
        lambda: connect_store(spec.host, spec.port, is_master=False, timeout=spec.timeout),
        roles,
        rank,
        spec.timeout,
        spec.launcher_pid,
        on_fatal or (lambda message: print(f"{roles.short(rank)}: {message}", file=sys.stderr, flush=True)),
    )
    ledger = Ledger(rank, spec.log_messages, spec.epoch or None)
    try:
        control.join()
        wire = Wire(roles, rank, control, spec.timeout)
        wire.requests_group = _connect_data_plane(store, roles, rank, spec.timeout, control)
        monitor.own = control
        monitor.watching = True
        if rank == roles.dealer_rank:
            result = _serve(spec, roles, wire, control, ledger, monitor)
        else:
            result = _play(spec, roles, rank, wire, control, ledger, printer, monitor)
        monitor.watching = False  # from here on, the final gather watches the others itself
        reports = [pickle.loads(r) for r in control.gather("ledger", pickle.dumps(ledger.report(control, wire)))]
        if rank == roles.dealer_rank:
            result.reports, result.cost = reports, add_up(reports)
        result.report = reports[rank]
        _leave(control, roles, rank, hosts_store, linger=control.timeout)
        return result
    except BaseException:
        # leaving after a failure: the store's host lingers a little, so the others can still read what failed
        _leave(control, roles, rank, hosts_store, linger=min(2.0, control.timeout))
        raise
    finally:
        monitor.stop()


def _play(spec: NodeSpec, roles: Roles, rank: int, wire, control, ledger, printer, monitor) -> NodeResult:
    if spec.seed is not None:
        rng.reproducible(spec.seed + 1 + rank, quiet=True)  # a party's own inputs (ctx.share); teaching only
    runtime = DistributedRuntime(roles, rank, wire, control, ledger, latency=spec.latency)
    monitor.where = lambda: f" in step {runtime.step}" + (f" ({runtime.label})" if runtime.label else "")
    ctx = PartyContext(roles, rank, runtime, spec.precision_bits, printer)
    fn = unpack(spec.party_code)
    try:
        value = fn(ctx, *spec.args, **spec.kwargs)
    except PartyFailure:
        raise
    except BaseException as error:
        where = f" ({runtime.label})" if runtime.label else ""
        control.report_failure(
            f"{roles.describe(rank)} failed after step {runtime.step}{where}: {type(error).__name__}: {error}"
        )
        raise
    if rank == 0:
        runtime.stop_dealer()
    return NodeResult(rank, value, None)


def _serve(spec: NodeSpec, roles: Roles, wire, control, ledger, monitor) -> NodeResult:
    if spec.seed is not None:
        rng.reproducible(spec.seed, quiet=True)  # the same draws, in the same order, as an in-process run seeded alike
    service = DealerService(roles, wire, control, ledger, spec.inputs, spec.precision_bits)
    monitor.where = lambda: f" after step {service.step}"
    try:
        revealed = service.serve(monitor)
    except PartyFailure:
        raise
    except BaseException as error:
        control.report_failure(
            f"{roles.describe(roles.dealer_rank)} failed after step {service.step}: {type(error).__name__}: {error}"
        )
        raise
    return NodeResult(roles.dealer_rank, revealed, None, logical_dealer=service.logical.total)


def _connect(spec: NodeSpec, roles: Roles, rank: int, hosts_store: bool) -> dist.TCPStore:
    try:
        return connect_store(spec.host, spec.port, is_master=hosts_store, timeout=spec.timeout)
    except Exception as error:
        host = "the launcher" if spec.store_rank is None else roles.describe(spec.store_rank)
        raise PartyFailure(
            f"{roles.short(rank)} could not reach the rendezvous at {spec.host}:{spec.port} (hosted by {host}) "
            f"within {spec.timeout:g} s: {str(error).strip().splitlines()[0] if str(error).strip() else error!r}",
            rank=spec.store_rank,
        ) from None


def _connect_data_plane(store, roles: Roles, rank: int, timeout: float, control: ControlPlane):
    """gloo among all ranks, with our timeout; and the request channel between rank 0 and the dealer process, whose
    wait for the next request has no time limit of its own (the monitor thread watches it). Returns that channel."""
    try:
        dist.init_process_group(
            "gloo",
            store=dist.PrefixStore("gloo", store),
            rank=rank,
            world_size=roles.world_size,
            timeout=timedelta(seconds=timeout),
        )
        return dist.new_group([0, roles.dealer_rank], timeout=timedelta(days=7))
    except Exception as error:
        root = control.failure()
        if root is not None:
            raise control.stopped(root, "while connecting") from None
        raise control.fail(f"{roles.short(rank)} could not connect to the others (gloo): {error}", rank=None) from None


def _leave(control: ControlPlane, roles: Roles, rank: int, hosts_store: bool, linger: float) -> None:
    """Say goodbye; the store's host leaves last (at most `linger` seconds later): the others may still read from it."""
    try:
        if dist.is_initialized() and not control.recorded_failure and control.failure() is None:
            dist.destroy_process_group()  # after a failure, gloo's teardown could wait on the dead: skip it
        control.store.set(f"left/{rank}", b"1")
        if hosts_store:
            deadline = time.monotonic() + linger
            others = [
                f"left/{r}" for r in range(roles.world_size) if r != rank and control.store.check([f"joined/{r}"])
            ]
            while others and time.monotonic() < deadline and not control.store.check(others):
                time.sleep(0.01)
    except Exception:  # the store is gone already: nothing left to say goodbye to
        pass


def _loopback_interface() -> str:
    """The loopback interface's name ('lo' on Linux, 'lo0' on macOS), for GLOO_SOCKET_IFNAME."""
    try:
        names = [name for _, name in socket.if_nameindex()]
    except OSError:
        return "lo"
    return next((n for n in names if n.startswith("lo")), "lo")
