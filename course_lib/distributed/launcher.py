"""Start every party and the dealer in its own process on this machine, and always clean up (chapter 09).

    result = distributed.run(fn, n_parties=2, inputs={"x": x}, timeout=10)

spawns n + 1 processes with the "spawn" start method — a fresh Python each, never `fork` (forking a process that runs
PyTorch's threads can deadlock the child) — runs `fn(ctx)` in every party, the dealer service in the last rank, and
returns a `RunResult`. The launcher hosts the rendezvous store on 127.0.0.1 (a free port) and watches its children:

* a child that dies (killed, crashed) is noticed at once and announced to the others ("died/<rank>");
* every process reports its own view of a failure; `result()` waits for them (at most the timeout and a few seconds),
  then raises ONE PartyFailure naming the party that failed first, and each process's report;
* whatever happens — success, failure, an exception or Ctrl-C in your session — every child is terminated (then
  killed) and joined before `result()` returns; and a child dies with its launcher (PR_SET_PDEATHSIG on Linux, and a
  heartbeat thread that watches the parent's pid).
"""

from __future__ import annotations

import ctypes
import multiprocessing as mp
import multiprocessing.connection
import os
import pickle
import signal
import sys
import threading
import time
import weakref
from dataclasses import dataclass, field, replace

from course_lib.cost import Cost
from course_lib.distributed.control import ControlPlane, connect_store, rank_named_in
from course_lib.distributed.dealer import Revealed
from course_lib.distributed.failures import PartyFailure, Roles
from course_lib.distributed.node import NodeSpec, run_node
from course_lib.distributed.shipping import pack
from course_lib.distributed.wire import Message
from course_lib.reservoir import party_workers

__all__ = ["run", "start", "Session", "RunResult", "DEFAULT_TIMEOUT"]

DEFAULT_TIMEOUT = 30.0  # seconds a party may take to answer one step (gloo's own default would be 30 minutes)
_GRACE = 5.0  # after a failure, how long beyond the timeout we wait for the other processes' reports


@dataclass
class RunResult:
    """What a distributed run gives back to you."""

    returns: list  # what fn returned in each party, by rank
    revealed: list[Revealed]  # what was revealed to you (in the dealer process), in order
    cost: Cost  # everything the processes put on the wire together (rounds: distinct steps)
    costs: dict[str, Cost]  # per process: "alice (rank 0)" -> what it sent (and the rounds it took part in)
    logical_dealer: Cost  # what the dealer handed out, counted the in-process way (must equal the wire's dealer part)
    control_messages: int  # the control plane (requests, headers, notices), counted apart from `cost`
    control_bytes: int
    messages: list[Message] | None  # every data message, by time (run(..., log_messages=True))
    printed: list[tuple[str, str]] = field(default_factory=list)  # (party, line) for every ctx.print, in arrival order
    seconds: float = 0.0  # wall-clock time from the start of the processes to the last result

    @property
    def values(self) -> list:
        """The decoded values revealed to you, in order."""
        return [r.value for r in self.revealed]

    def revealed_as(self, label) -> list:
        """The values revealed to you under `label` (`ctx.reveal(x, label=...)`, or the phase), in order."""
        return [r.value for r in self.revealed if r.label == label]

    def cost_by_phase(self) -> dict:
        """The run's cost split by the phase the party code was in (`ctx.phase`): {label: Cost}, from the message log
        (run(..., log_messages=True)). Rounds: the distinct online steps of the phase."""
        if self.messages is None:
            raise ValueError("cost_by_phase needs the message log: run(..., log_messages=True)")
        costs: dict = {}
        steps: dict = {}
        for m in self.messages:
            cost = costs.setdefault(m.label, Cost())
            offline = m.kind == "dealer"
            cost.add(0, 1, m.nbytes, {m.sender: m.nbytes}, dealer=offline)
            if not offline:
                steps.setdefault(m.label, set()).add(m.step)
        for label, cost in costs.items():
            cost.rounds = len(steps.get(label, ()))
        return costs


def run(fn, n_parties: int = 2, **options) -> RunResult:
    """Run `fn(ctx, *args, **kwargs)` in every party's process, each with the dealer in its own process; see `start`."""
    return start(fn, n_parties, **options).result()


def start(
    fn,
    n_parties: int = 2,
    *,
    args: tuple = (),
    kwargs: dict | None = None,
    inputs: dict | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    seed: int | None = None,
    precision_bits: int = 16,
    names: tuple[str, ...] | None = None,
    dealer_name: str = "carol",
    log_messages: bool = False,
    echo: bool = True,
    threads: int | None = None,
    latency: float = 0.0,
) -> Session:
    """Start the run and return at once: a `Session` with the children's `pids`; `.result()` waits for the end.

    fn            party code, `fn(ctx, *args, **kwargs)`, run in every party (SPMD; see PartyContext)
    inputs        the data owner's secrets by name, for `ctx.input(name)`: they go to the dealer process only
    timeout       seconds a party may take to answer one step, and to join (default 30)
    seed          None: secure randomness. A seed: the dealer process draws shares and triples like an in-process run
                  under `cl.reproducible(seed)` — the same shares, the same results (teaching only)
    names         the parties' names (default alice, bob, dave, …); the dealer is `dealer_name`
    log_messages  record every data message (who sent what, when): `RunResult.messages`
    echo          print the parties' `ctx.print` lines here as they arrive
    threads       torch threads per process (default: this machine's cores shared among the parties)
    latency       seconds each party waits in every round before reading what arrived: a slower network, simulated
                  (default 0; party code can change it for a block: `with ctx.delay(0.02):`)
    """
    names = tuple(names) if names is not None else tuple(w.id for w in party_workers(n_parties))
    if len(names) != n_parties:
        raise ValueError(f"{n_parties} parties need {n_parties} names, got {names}")
    if dealer_name in names:
        raise ValueError(f"the dealer {dealer_name!r} cannot also be a party: pick another dealer_name")
    if not timeout > 0:
        raise ValueError(f"timeout must be positive (seconds), got {timeout!r}")
    if not latency >= 0:
        raise ValueError(f"latency must be >= 0 seconds, got {latency!r}")
    return Session(
        pack(fn),
        Roles(names, dealer_name),
        args=tuple(args),
        kwargs=dict(kwargs or {}),
        inputs=dict(inputs or {}),
        timeout=float(timeout),
        seed=seed,
        precision_bits=precision_bits,
        log_messages=log_messages,
        echo=echo,
        threads=threads or max(1, (os.cpu_count() or 1) // n_parties),
        latency=float(latency),
    )


class Session:
    """A running distributed computation on this machine: its processes, and the way to its result."""

    def __init__(
        self,
        party_code: tuple,
        roles: Roles,
        *,
        args,
        kwargs,
        inputs,
        timeout,
        seed,
        precision_bits,
        log_messages,
        echo,
        threads,
        latency=0.0,
    ):
        self.roles = roles
        self.timeout = timeout
        self.echo = echo
        self.printed: list[tuple[str, str]] = []
        self._result: RunResult | None = None
        self._failure: PartyFailure | None = None
        self._store = connect_store("127.0.0.1", 0, is_master=True, timeout=timeout)  # port 0: a free one
        self._control = ControlPlane(self._store, roles, -1, timeout)
        base = NodeSpec(
            names=roles.names,
            dealer_name=roles.dealer_name,
            host="127.0.0.1",
            port=self._store.port,
            timeout=timeout,
            precision_bits=precision_bits,
            seed=seed,
            log_messages=log_messages,
            threads=threads,
            epoch=time.time(),
            launcher_pid=os.getpid(),
            store_rank=None,
            loopback=True,
            latency=latency,
        )
        context = mp.get_context("spawn")  # never fork: PyTorch's threads would deadlock a forked child
        self._processes: dict[int, mp.process.BaseProcess] = {}
        self._readers: dict[int, mp.connection.Connection] = {}
        self._started = time.monotonic()
        self._finals: dict[int, tuple] = {}  # rank -> ("ok", NodeResult) | ("error", message)
        self._deaths: dict[int, str] = {}  # rank -> how a process ended without a final word
        self._trouble_since: float | None = None
        try:
            for rank in range(roles.world_size):
                if rank == roles.dealer_rank:
                    spec = replace(base, inputs=inputs)  # the data owner's secrets go to its process only
                else:
                    spec = replace(base, party_code=party_code, args=args, kwargs=kwargs)
                reader, writer = context.Pipe(duplex=False)
                process = context.Process(
                    target=_child_main, args=(spec, rank, writer), name=f"course_lib {roles.short(rank)}", daemon=True
                )
                process.start()
                writer.close()
                self._processes[rank], self._readers[rank] = process, reader
            self._open = {reader: rank for rank, reader in self._readers.items()}  # readers not at their end yet
        except BaseException:
            self.stop()
            raise
        # a Session dropped without result() or stop() (a notebook cell interrupted) still ends its processes
        weakref.finalize(self, _end_processes, list(self._processes.values()))

    @property
    def pids(self) -> dict[int, int]:
        """Each rank's process id (for watching them, or for killing one in a test)."""
        return {rank: p.pid for rank, p in self._processes.items()}

    def result(self) -> RunResult:
        """Wait for the end; every child is gone when this returns or raises. Raises PartyFailure if any failed."""
        if self._failure is not None:  # asked again after a failure: the same answer, not a crash on a closed store
            raise self._failure
        if self._result is None:
            try:
                while self._pump():
                    pass
            finally:
                self.stop()
            try:
                self._result = self._assemble()
            except PartyFailure as failure:
                self._failure = failure
                raise
            finally:
                self._store = self._control = None  # the rendezvous closes with its last reference
        return self._result

    def wait_printed(self, text: str, timeout: float | None = None) -> bool:
        """Wait until a party has printed a line containing `text` (True), the run ended or `timeout` passed (False)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not any(text in line for _, line in self.printed):
            left = None if deadline is None else deadline - time.monotonic()
            if (left is not None and left <= 0) or not self._pump(min(0.5, left) if left is not None else 0.5):
                return any(text in line for _, line in self.printed)
        return True

    def stop(self) -> None:
        """Terminate (then kill) and join every child still running; close the rendezvous."""
        _end_processes(self._processes.values())
        for reader in self._readers.values():
            reader.close()
        self._readers, self._open = {}, {}

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # ----- watching the children ----------------------------------------------------------------------------------
    def _pump(self, wait: float = 0.5) -> bool:
        """Read what the children sent (prints, results, errors) for up to `wait` seconds, and notice the ones that
        died. False once there is nothing more to wait for: all have ended, or a failure's grace period is over."""
        if not self._open:
            return False
        if self._trouble_since is not None:
            wait = min(wait, self._trouble_since + self.timeout + _GRACE - time.monotonic())
            if wait <= 0:
                return False
        for reader in mp.connection.wait(list(self._open), timeout=wait):
            rank = self._open[reader]
            try:
                message = pickle.loads(reader.recv_bytes())
            except (EOFError, OSError):  # the process is gone: its end of the pipe closed
                del self._open[reader]
                if rank not in self._finals:
                    self._deaths[rank] = self._how_it_ended(rank)
                    self._store.set(f"died/{rank}", self._deaths[rank].encode())  # the others learn at once
                continue
            if message[0] == "print":
                self.printed.append((self.roles.name(rank), message[1]))
                if self.echo:
                    print(f"[{self.roles.name(rank)}] {message[1]}", flush=True)
            else:
                self._finals[rank] = message
        failed = self._deaths or any(f[0] == "error" for f in self._finals.values())
        if self._trouble_since is None and failed:
            self._trouble_since = time.monotonic()
        return bool(self._open)

    def _how_it_ended(self, rank: int) -> str:
        process = self._processes[rank]
        process.join(1.0)
        code = process.exitcode
        if code is None:
            return "stopped answering (its result channel closed)"
        if code < 0:
            try:
                return f"killed by signal {signal.Signals(-code).name}"
            except ValueError:
                return f"killed by signal {-code}"
        return f"exited with code {code} before reporting a result"

    def _assemble(self) -> RunResult:
        roles, finals, deaths = self.roles, self._finals, self._deaths
        failed = deaths or any(f[0] == "error" for f in finals.values())
        if failed or len(finals) < roles.world_size:
            reports = {}
            for rank in range(roles.world_size):
                who = roles.short(rank)
                if rank in deaths:
                    reports[who] = f"died ({deaths[rank]})"
                elif rank in finals and finals[rank][0] == "error":
                    reports[who] = finals[rank][1]
                elif rank not in finals:
                    reports[who] = "gave no answer in time (stopped by the launcher)"
            root = self._control.failure()
            if root is None:  # nobody recorded one: the launcher's own observation
                rank = min(deaths) if deaths else min(r for r, f in finals.items() if f[0] == "error")
                root = f"{roles.describe(rank)} {reports[roles.short(rank)]}"
            raise PartyFailure(root, rank=_culprit(root, deaths), reports=reports)
        results = {rank: message[1] for rank, message in finals.items()}
        dealer = results[roles.dealer_rank]
        costs = {roles.short(r.rank): r.cost for r in dealer.reports}
        messages = None
        if any(r.messages is not None for r in dealer.reports):
            messages = sorted((m for r in dealer.reports for m in (r.messages or ())), key=lambda m: m.time)
        return RunResult(
            returns=[results[rank].value for rank in range(roles.n_parties)],
            revealed=dealer.value,
            cost=dealer.cost,
            costs=costs,
            logical_dealer=dealer.logical_dealer,
            control_messages=sum(r.control_messages for r in dealer.reports),
            control_bytes=sum(r.control_bytes for r in dealer.reports),
            messages=messages,
            printed=list(self.printed),
            seconds=time.monotonic() - self._started,
        )


def _end_processes(processes) -> None:
    """SIGTERM every live process, give them 2 s together, then SIGKILL; join all (no zombies left behind)."""
    processes = list(processes)
    for process in processes:
        if process.is_alive():
            process.terminate()
    deadline = time.monotonic() + 2.0
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join()


def _culprit(root: str, deaths: dict[int, str]) -> int | None:
    rank = rank_named_in(root)
    return rank if rank is not None else (min(deaths) if deaths else None)


# ----- in the child --------------------------------------------------------------------------------------------------
def _child_main(spec: NodeSpec, rank: int, writer) -> None:
    """A spawned process's entry: die with the launcher, run the node, send the result (or the error) back."""
    _die_with_parent(spec.launcher_pid)

    lock = threading.Lock()  # the main thread (prints, the result) and the monitor thread (a fatal error) share it

    def send(message: tuple) -> None:
        # plain pickle bytes: Connection.send would hand tensors over as shared memory that dies with this process
        data = pickle.dumps(message)
        with lock:
            writer.send_bytes(data)

    code = 0
    try:
        result = run_node(
            spec, rank, printer=lambda text: send(("print", text)), on_fatal=lambda message: send(("error", message))
        )
        try:
            send(("ok", result))
        except Exception as error:  # fn returned something that cannot travel back
            send(("error", f"{spec.roles.short(rank)}: its return value cannot be sent back ({error})"))
            code = 1
    except BaseException as error:
        code = 1
        text = str(error) if isinstance(error, PartyFailure) else f"{type(error).__name__}: {error}"
        try:
            send(("error", text))
        except Exception:
            pass
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        writer.close()
        os._exit(code)  # no interpreter teardown: nothing may hang in gloo's destructors after a failure


def _die_with_parent(parent_pid: int | None) -> None:
    """Linux: ask the kernel to SIGKILL us when our parent dies (PR_SET_PDEATHSIG); the heartbeat thread also checks
    the parent's pid, on every platform."""
    if parent_pid is None:
        return
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent_pid:  # the parent died before we asked
        os._exit(70)
