"""Chapter 09: every sentence that says what a party's process holds, sees or learns, what a killed party leaves
behind, and what the workshop notes say about the network, has a test here (tests/test_distributed_more.py backs the
network model and the three-laptop commands).

Two process launches in all: the chapter's first party program (the notebook's, copied below), run once and compared
with the same computation in one process; and a run in which bob is killed.
"""

from __future__ import annotations

import os
import re
import signal
import sys
import time

import pytest
import torch

import course_lib as cl
from course_lib import distributed
from course_lib.distributed import demos
from course_lib.distributed.xor import training_run, xor_inputs, xor_party
from course_lib.reservoir import train_encrypted

XOR_STEPS = 30
alice, bob, carol = (cl.VirtualWorker(n) for n in ("alice", "bob", "carol"))


def party_program(ctx, xor_steps):
    """The notebook's party program (section 1), as it is there."""
    with ctx.phase("x * y"):
        x, y = ctx.input("x"), ctx.input("y")
        ctx.print(f"my share of x has shape {tuple(x.shares.shape)}; its first row: {x.shares[0, 0].tolist()}")
        z = x * y
        mine = ctx.reveal(z, label="x * y")
        ctx.print(f"after revealing x * y to you, I hold: {mine}")
    with ctx.phase("x.relu()"):
        ctx.reveal(x.relu(), label="x.relu()")
    with ctx.phase("XOR training"):
        model = xor_party(ctx, steps=xor_steps, phases=False)["model share"]
    return {"x": x.shares, "x * y": z.shares, "model": model}


def chapter_inputs() -> dict[str, torch.Tensor]:
    """The notebook's inputs: x and y (2 × 3) and chapter 05's XOR data."""
    x = torch.tensor([[1.5, -2.0, 0.25], [3.0, -0.5, 4.0]])
    y = torch.tensor([[2.0, 0.5, -4.0], [-1.0, 6.0, 0.75]])
    return {"x": x, "y": y, **xor_inputs()}


@pytest.fixture(scope="module")
def runs():
    """The program once over processes, and the same computation in one process under the same seed."""
    inputs = chapter_inputs()
    result = distributed.run(
        party_program,
        2,
        inputs=inputs,
        kwargs={"xor_steps": XOR_STEPS},
        seed=0,
        log_messages=True,
        timeout=30,
        echo=False,
    )
    costs, values = {}, {}
    with cl.reproducible(0, quiet=True):
        with cl.measure_cost() as costs["x * y"]:
            x = cl.share(inputs["x"], alice, bob, crypto_provider=carol)
            y = cl.share(inputs["y"], alice, bob, crypto_provider=carol)
            z = x * y
            values["x * y"] = z.get()
        with cl.measure_cost() as costs["x.relu()"]:
            values["x.relu()"] = x.relu().get()
        with cl.measure_cost() as costs["XOR training"]:
            here = train_encrypted(inputs["features"], inputs["targets"], (alice, bob), carol, steps=XOR_STEPS)
    stacked = {"x": x.shares, "x * y": z.shares, "model": here.model.shares}
    return result, {"costs": costs, "values": values, "run": here, "shares": stacked}


# ----- §1 "each process holds its own share, and nothing else" --------------------------------------------------------
def test_each_process_holds_only_its_own_share(runs):
    """'Each process holds one share: shape (1, …), its own row of what one process would hold for all, and not the
    other party's.'"""
    result, here = runs
    for rank, returned in enumerate(result.returns):
        for name, stacked in here["shares"].items():
            own = returned[name]
            assert own.shape == (1, *stacked.shape[1:]), name
            assert torch.equal(own[0], stacked[rank]), name
            assert not torch.equal(own[0], stacked[1 - rank]), name
            assert not torch.equal(own[0], result.returns[1 - rank][name][0]), name  # the other process's


def test_what_a_party_prints_is_its_own_share_and_none_for_a_reveal_to_you(runs):
    """'alice prints her share (noise), bob his; a reveal to you gives the parties None.'"""
    result, here = runs
    by_party = {}
    for party, line in result.printed:
        by_party.setdefault(party, []).append(line)
    assert sorted(by_party) == ["alice", "bob"]  # carol's process runs no party code: it prints nothing
    for rank, party in enumerate(("alice", "bob")):
        first, second = by_party[party]
        row = here["shares"]["x"][rank, 0].tolist()
        assert first == f"my share of x has shape (1, 2, 3); its first row: {row}"
        assert str(here["shares"]["x"][1 - rank, 0].tolist()) not in first
        assert second == "after revealing x * y to you, I hold: None"


def test_you_get_the_in_process_values_bit_for_bit(runs):
    """'What is revealed to you is bit for bit what one process computes under the same seed.'"""
    result, here = runs
    for label in ("x * y", "x.relu()"):
        (value,) = result.revealed_as(label)
        assert torch.equal(value, here["values"][label]), label
    inputs = chapter_inputs()
    product = result.revealed_as("x * y")[0].double()
    assert torch.allclose(product, (inputs["x"] * inputs["y"]).double(), atol=1e-3)
    assert result.revealed_as("x.relu()")[0].tolist() == inputs["x"].relu().tolist()
    run = training_run(result, XOR_STEPS)
    assert run.losses == here["run"].losses
    assert torch.equal(run.predictions, here["run"].predictions)


def test_the_wire_counts_equal_the_in_process_counts(runs):
    """'Rounds, messages and bytes measured on the wire equal what chapters 02–06 counted in one process.'"""
    result, here = runs
    phases = result.cost_by_phase()
    assert set(phases) == set(here["costs"])
    for phase, expected in here["costs"].items():
        assert phases[phase] == expected, phase
    assert phases["x.relu()"].rounds in (7, 8, 9)  # chapter 06: 7–8 rounds of comparison, then one product


# ----- §4 "kill a party" ------------------------------------------------------------------------------------------
def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def _listening_ports(pid: int) -> set[int]:
    """The TCP ports process `pid` listens on (Linux: its socket inodes matched in /proc/net/tcp and tcp6)."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as rows:
            for row in list(rows)[1:]:
                fields = row.split()
                if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                    ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


@pytest.fixture(scope="module")
def killed():
    """x is revealed to you, then bob is killed while the parties open again and again: what comes back."""
    session = distributed.start(
        demos.reveal_then_keep_opening,
        2,
        inputs={"x": torch.tensor([3.25, -1.5, 7.0])},
        kwargs={"seconds": 120},
        timeout=10,
        echo=False,
    )
    try:
        assert session.wait_printed("opening", timeout=120), "the parties never started"
        listening = (
            {rank: _listening_ports(pid) for rank, pid in session.pids.items()} if sys.platform == "linux" else None
        )
        store_port = session._store.port
        pids = session.pids
        os.kill(pids[1], signal.SIGKILL)
        killed_at = time.monotonic()
        with pytest.raises(distributed.PartyFailure) as failure:
            session.result()
        seconds = time.monotonic() - killed_at
    finally:
        session.stop()
    return failure.value, seconds, pids, session, listening, store_port


def test_a_killed_party_is_named_by_every_process_within_a_second(killed):
    """'Bob's death surfaces in every other process as an error that names him, well within a second.'"""
    failure, seconds, _, _, _, _ = killed
    assert seconds < 1.0, seconds
    assert failure.rank == 1
    first = str(failure).splitlines()[0]
    assert first.startswith("party bob (rank 1)"), first
    assert sorted(failure.reports) == ["alice (rank 0)", "bob (rank 1)", "carol (rank 2)"]
    for who, seen in failure.reports.items():
        assert "bob (rank 1)" in seen or who.startswith("bob"), (who, seen)
    assert failure.reports["bob (rank 1)"] == "died (killed by signal SIGKILL)"


def test_a_killed_party_leaves_you_no_result_and_no_partial_one(killed):
    """'You get an error, not a result: not even x, revealed to you before bob died, comes back, and the error is
    words only — no share, no value.'"""
    failure, _, pids, session, _, _ = killed
    assert session._result is None  # result() raised: there is no RunResult to read anything from
    assert all(isinstance(v, str) for v in (failure.message, *failure.reports.values(), *failure.reports))
    assert all(isinstance(arg, str) for arg in failure.args)
    text = str(failure)
    for secret in ("3.25", "7.0", "-1.5", "212992"):  # 212992 = 3.25 · 2^16, the encoded secret
        assert secret not in text
    assert sorted(session.printed) == [("alice", "opening"), ("bob", "opening")]  # all that came back: the prints
    assert not any(_alive(pid) for pid in pids.values())


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_gloo_listens_on_ports_of_its_own_besides_the_rendezvous(killed):
    """README, three laptops: 'besides the master port, every process listens on TCP ports the system picks for
    gloo's connections, so a firewall must let the laptops reach each other on any port'."""
    _, _, _, _, listening, store_port = killed
    for rank, ports in listening.items():
        assert ports, f"rank {rank} listens on no port"
        assert store_port not in ports  # the launcher hosts the rendezvous here; these are gloo's own
        assert all(port >= 1024 for port in ports)


def test_the_error_the_notebook_prints_is_the_same_on_every_run(killed):
    """The notebook prints the first line with the step numbers masked: the same text whatever the step."""
    failure, _, _, _, _, _ = killed
    first = str(failure).splitlines()[0]
    masked = re.sub(r"(step|iteration) \d+", r"\1 …", first.split(": its connection closed")[0])
    assert masked == "party bob (rank 1) did not answer during `open` in step … (iteration …)", first
