"""Chapter 09: every party and the dealer in its own process (course_lib.distributed), over loopback.

The same computations as in-process, under the same seed, give the SAME values bit for bit, the same shares per party
(each process holding only its own), and the same rounds, messages and bytes — measured on the wire. A killed party,
a dead dealer and a party that never joins end every other process with an error naming it, within the timeout, and
leave no process behind.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

import course_lib as cl
from course_lib import distributed
from course_lib.distributed import demos
from course_lib.distributed.failures import Roles
from course_lib.distributed.xor import training_run
from course_lib.reservoir import party_workers, squared_error, training_step

ROOT = Path(__file__).resolve().parents[1]
XOR_STEPS = 30


METHODS = ("relu",)  # chapter 06's comparison, through the generic dealer proxy


def _alive(pid: int) -> bool:
    """Is `pid` a live (not zombie) process? (/proc: psutil is not among the pins.)"""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def _in_process(n_parties: int) -> dict:
    """demos.tour, in one process with stacked shares, under cl.reproducible(0): values, costs and shares."""
    parties, carol = party_workers(n_parties), cl.VirtualWorker("carol")
    inputs = demos.tour_inputs()

    def shared(name):
        return cl.share(inputs[name], *parties, crypto_provider=carol)

    values, costs = {}, {}
    with cl.reproducible(0, quiet=True):
        with cl.measure_cost() as costs["product"]:
            x, y = shared("x"), shared("y")
            z = x * y
            values["x * y"] = z.get()
        with cl.measure_cost() as costs["matmul"]:
            values["a @ b"] = (shared("a") @ shared("b")).get()
        with cl.measure_cost() as costs["truncation"]:
            values["x * 0.5"] = (x * 0.5).get()
        for name in METHODS:
            with cl.measure_cost() as costs[f"x.{name}()"]:
                values[f"x.{name}()"] = getattr(x, name)().get()
        with cl.measure_cost() as costs["xor"]:
            data, target, model = shared("features"), shared("targets"), shared("model")
            losses = []
            for _ in range(XOR_STEPS):
                model, prediction, error = training_step(data, target, model, 1e-3)
                losses.append(float(squared_error(error).get()))
            values["predictions"] = prediction.get()
        with cl.measure_cost() as costs["alice's own input"]:  # alice, not the data owner, shares; bob learns it
            group, encoder = x.group, x.encoder
            w = cl.SharedTensor(
                group.runtime.input(group, encoder.encode(torch.arange(3.0) * 1.5), "alice"),
                group,
                encoder,
                torch.float32,
            )
            values["w + w"] = (w + w).get()
            values["bob sees"] = encoder.decode(group.runtime.reveal(group, w.shares, to="bob"), torch.float32)
    total = cl.Cost()
    for cost in costs.values():
        total.add(cost.rounds, cost.messages, cost.bytes, cost.bytes_sent_by, dealer=False)
        total.dealer_messages += cost.dealer_messages
        total.dealer_bytes += cost.dealer_bytes
    shares = {"x": x.shares, "x * y": z.shares, "model": model.shares}
    return {"values": values, "costs": costs, "total": total, "losses": losses, "shares": shares}


@pytest.fixture(scope="module", params=[2, 3], ids=["2 parties", "3 parties"])
def tour(request):
    """The tour run once per party count: distributed (and how long it took), and in-process."""
    n = request.param
    start = time.perf_counter()
    result = distributed.run(
        demos.tour,
        n,
        kwargs={"xor_steps": XOR_STEPS, "methods": METHODS},
        inputs=demos.tour_inputs(),
        seed=0,
        log_messages=True,
        timeout=30,
        echo=False,
    )
    return n, result, _in_process(n), time.perf_counter() - start


def test_same_values_as_in_process_bit_for_bit(tour):
    n, result, reference, _ = tour
    for label in ("x * y", "a @ b", "x * 0.5", *(f"x.{m}()" for m in METHODS)):
        (value,) = result.revealed_as(label)
        assert torch.equal(value, reference["values"][label]), label
    run = training_run(result, XOR_STEPS)
    assert run.losses == reference["losses"]
    assert torch.equal(run.predictions, reference["values"]["predictions"])
    assert ((run.predictions > 0.5).int().flatten().tolist()) == [0, 1, 1, 0]
    assert torch.equal(result.revealed_as("w + w")[0], reference["values"]["w + w"])
    sees = [returned["bob sees"] for returned in result.returns]  # revealed to bob: only his process has it
    assert torch.equal(sees[1], reference["values"]["bob sees"]) and sees[1].tolist() == [0.0, 1.5, 3.0]
    assert all(seen is None for rank, seen in enumerate(sees) if rank != 1)
    # and close to the plaintext: the product within fixed-point resolution
    inputs = demos.tour_inputs()
    assert torch.allclose(result.revealed_as("x * y")[0], inputs["x"] * inputs["y"], atol=1e-3)


def test_comparison_runs_unchanged_through_the_generic_dealer_proxy(tour):
    n, result, reference, _ = tour
    assert result.revealed_as("x.relu()")[0].tolist() == reference["values"]["x.relu()"].tolist()
    assert result.cost_by_phase()["x.relu()"] == reference["costs"]["x.relu()"]


def test_each_process_holds_only_its_own_share(tour):
    n, result, reference, _ = tour
    for rank, returned in enumerate(result.returns):
        for name, stacked in reference["shares"].items():  # x, x * y and the model
            own = returned[name]
            assert own.shape == (1, *stacked.shape[1:]), name  # no "all parties" view in a party's process
            assert torch.equal(own[0], stacked[rank]), name  # exactly its row of the in-process stack ...
            for other in range(n):
                if other != rank:
                    assert not torch.equal(own[0], stacked[other]), name  # ... and nobody else's


def test_wire_counts_equal_in_process_counts(tour):
    n, result, reference, _ = tour
    by_phase = result.cost_by_phase()
    for phase, expected in reference["costs"].items():
        assert by_phase[phase] == expected, phase  # rounds, messages, bytes, dealer's, and who sent how much
    assert result.cost == reference["total"]
    # the dealer's own (in-process style) count of what it dealt = the rows it put on the wire
    assert result.logical_dealer.dealer_messages == result.cost.dealer_messages
    assert result.logical_dealer.dealer_bytes == result.cost.dealer_bytes
    # every party took part in every online round
    roles = Roles(tuple(w.id for w in party_workers(n)), "carol")
    assert all(result.costs[roles.short(rank)].rounds == result.cost.rounds for rank in range(n))
    assert result.control_messages > 0  # requests and headers travel too, counted apart


def test_a_run_is_quick_enough_for_ci(tour):
    _, _, _, seconds = tour
    assert seconds < 60


TIMEOUT = 10.0  # per step, in the failure tests: generous on a loaded 2-core machine, and still bounded


def _fail(fn, victim: int | None, **options):
    """Start `fn` with 2 parties; kill rank `victim` once they compute (None: let it fail by itself).
    Returns the PartyFailure, the seconds from the kill to the error, and the run's pids."""
    session = distributed.start(fn, 2, timeout=TIMEOUT, echo=False, **options)
    pids = session.pids
    if victim is not None:
        assert session.wait_printed("opening", timeout=120), "the parties never started computing"
        os.kill(pids[victim], signal.SIGKILL)  # in the middle of opening values
    killed = time.monotonic()
    with pytest.raises(distributed.PartyFailure) as failure:
        session.result()
    elapsed = time.monotonic() - killed
    with pytest.raises(distributed.PartyFailure) as again:  # asking twice gives the same answer, not a crash
        session.result()
    assert again.value is failure.value
    return failure.value, elapsed, pids


KEEP_OPENING = {"inputs": {"x": torch.ones(3)}, "kwargs": {"seconds": 120}}


def test_killed_party_names_it_within_the_timeout_and_leaves_no_process():
    failure, elapsed, pids = _fail(demos.keep_opening, 1, **KEEP_OPENING)  # bob is killed
    assert elapsed < TIMEOUT + 5, f"{elapsed:.1f} s"
    message = str(failure)
    assert message.startswith("party bob (rank 1)"), message
    assert failure.rank == 1
    assert re.search(r"`open` in step \d+ \(iteration \d+\)", message), message
    for who, seen in failure.reports.items():  # every process names bob
        assert "bob (rank 1)" in seen or who.startswith("bob"), (who, seen)
    assert not any(_alive(pid) for pid in pids.values()), pids


def test_dead_dealer_stops_the_parties_that_never_talk_to_it():
    failure, elapsed, pids = _fail(demos.keep_opening, 2, **KEEP_OPENING)  # the dealer is killed
    assert elapsed < TIMEOUT + 5, f"{elapsed:.1f} s"
    assert str(failure).startswith("the dealer carol (rank 2) died (killed by signal SIGKILL)"), failure
    assert "alice (rank 0)" in failure.reports and "bob (rank 1)" in failure.reports
    assert not any(_alive(pid) for pid in pids.values())


def test_a_party_that_raises_is_named_with_its_error():
    failure, _, pids = _fail(demos.crash, None, inputs={"x": torch.ones(2)}, kwargs={"rank": 1})
    assert str(failure).startswith("party bob (rank 1) failed after step"), failure
    assert "ValueError: bob gives up" in str(failure)
    assert not any(_alive(pid) for pid in pids.values())


# ----- the command line ---------------------------------------------------------------------------------------------
def _cli(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "course_lib.distributed", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_cli_trains_xor_with_two_parties(capsys):
    from course_lib.distributed.__main__ import main  # `python -m course_lib.distributed`, without a 4th Python

    assert main(["xor", "--parties", "2", "--steps", "50", "--timeout", "30"]) == 0
    out = capsys.readouterr().out
    assert "2 parties (alice, bob) + the dealer carol, each in its own process" in out
    assert "loss at step 0: 2.000e+00" in out
    assert "predictions: [0 1 1 0]" in out
    assert re.search(r"measured on the wire: 204 rounds, \d+ messages", out), out


def test_party_that_never_joins_is_named_by_everyone_who_did():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    common = ("xor", "--world-size", "3", "--master-addr", "127.0.0.1", "--master-port", port, "--timeout", "3")
    alice = _cli(*common, "--rank", "0")  # hosts the rendezvous
    time.sleep(0.5)
    carol = _cli(*common, "--rank", "2")  # bob (rank 1) never comes
    outputs = [p.communicate(timeout=120) for p in (alice, carol)]
    for process, (out, err) in zip((alice, carol), outputs, strict=True):
        assert process.returncode == 1, (out, err)
        assert "party bob (rank 1) never joined within 3 s" in err, err
    waited = float(re.search(r"error after ([\d.]+) s", outputs[0][1]).group(1))
    assert 3.0 <= waited < 3.0 + 5.0


# ----- pieces, without processes ------------------------------------------------------------------------------------
def test_a_party_runtime_holds_one_row_and_only_party_0_adds_public_values():
    roles = Roles(("alice", "bob"), "carol")
    for rank in (0, 1):
        runtime = distributed.DistributedRuntime(roles, rank, wire=None, control=None, ledger=None)
        assert runtime.rows(2) == 1 and runtime.party_indices(2).tolist() == [rank]
        shares = torch.tensor([[5, 6]])
        out = runtime.add_public(shares, torch.tensor([[1, 1], [2, 2]]))  # broadcasts on every party
        assert out.shape == (1, 2, 2)
        assert out.tolist() == ([[[6, 7], [7, 8]]] if rank == 0 else [[[5, 6], [5, 6]]])
        with pytest.raises(NotImplementedError, match="payload"):
            runtime.send(("alice",), ("bob",), 3)
        with pytest.raises(ValueError, match="2 parties"):
            runtime.rows(3)


def test_share_of_refuses_a_share_this_process_does_not_hold():
    roles = Roles(("alice", "bob"), "carol")
    runtime = distributed.DistributedRuntime(roles, 1, wire=None, control=None, ledger=None)
    group = cl.PartyGroup((cl.VirtualWorker("alice"), cl.VirtualWorker("bob")), None, runtime)
    x = cl.SharedTensor(torch.tensor([[7, 8]]), group, cl.FixedPointEncoder())
    assert x.share_of(cl.VirtualWorker("bob")).tolist() == [7, 8]
    with pytest.raises(ValueError, match="alice's share is not in this process"):
        x.share_of(cl.VirtualWorker("alice"))
    with pytest.raises(TypeError, match="cannot be pickled"):
        import pickle

        pickle.dumps(runtime)


def test_generic_dealer_results_travel_as_rows():
    from course_lib.distributed.runtime import flatten, unflatten

    value = {"pair": (torch.zeros(2, 3), torch.ones(2, 1)), "count": 4, "bits": [torch.arange(4).view(2, 2)]}
    leaves: list = []
    spec = flatten(value, leaves)
    assert len(leaves) == 3
    rebuilt = unflatten(spec, [t[1:2] for t in leaves])  # party 1's rows
    assert rebuilt["count"] == 4 and rebuilt["pair"][1].shape == (1, 1) and rebuilt["bits"][0].tolist() == [[2, 3]]


def test_notebook_functions_travel_as_source(monkeypatch):
    import linecache
    import types

    from course_lib.distributed import shipping

    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))  # like a notebook: no file behind it
    source = "def party_code(ctx):\n    return math.sqrt(ctx) + helper(ctx) + OFFSET\n"
    helper_source = "def helper(v):\n    return 2 * v\n"
    namespace = {"__name__": "__main__", "math": __import__("math"), "OFFSET": 0.5}
    for name, text in (("<cell 1>", source), ("<cell 2>", helper_source)):
        linecache.cache[name] = (len(text), None, text.splitlines(True), name)
        exec(compile(text, name, "exec"), namespace)  # noqa: S102 - a stand-in for a notebook cell
    assert isinstance(namespace["party_code"], types.FunctionType)
    name, text, names = shipping._source_package(namespace["party_code"], set())
    rebuilt = shipping._rebuild(name, text, names)
    assert rebuilt(4.0) == 2.0 + 8.0 + 0.5
    assert shipping.pack(namespace["party_code"])[0] == "source"
    assert shipping.unpack(shipping.pack(demos.product)) is demos.product  # a module's function: by reference
