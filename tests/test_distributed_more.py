"""Chapter 09's additions to course_lib.distributed: the network model, the injected latency it is checked against,
and "three laptops, one secret" — the README's workshop recipe, run here as three command-line processes over
loopback with the one-process-per-machine options. Three process launches in all (each costs seconds of CPU)."""

import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import course_lib as cl
from course_lib import distributed
from course_lib.distributed import demos
from course_lib.distributed.network import GBIT, MBIT, MS, busiest_party_bytes, network_seconds
from course_lib.distributed.xor import xor_inputs
from course_lib.reservoir import party_workers, train_encrypted

ROOT = Path(__file__).resolve().parents[1]


# ----- the model -----------------------------------------------------------------------------------------------------
def test_network_seconds_is_rounds_times_rtt_plus_bits_over_bandwidth():
    assert network_seconds(8, 1_000, 50 * MS, 100 * MBIT) == pytest.approx(8 * 0.05 + 8_000 / 100e6)
    assert network_seconds(1, 10_485_760, 1 * MS, 1 * GBIT) == pytest.approx(0.001 + 83_886_080 / 1e9)
    assert network_seconds(0, 0, 1.0, 1.0) == 0.0
    for bad, error in [({"rounds": -1}, ValueError), ({"bandwidth": 0}, ValueError), ({"rtt": "1 ms"}, TypeError)]:
        args = {"rounds": 1, "nbytes": 1, "rtt": 0.001, "bandwidth": 1e9} | bad
        with pytest.raises(error):
            network_seconds(**args)


def test_busiest_party_bytes_is_one_partys_link_not_the_total():
    parties, carol = party_workers(2), cl.VirtualWorker("carol")
    with cl.reproducible(0, quiet=True), cl.measure_cost() as cost:
        x = cl.share(torch.ones(3, 4), *parties, crypto_provider=carol)
        y = cl.share(torch.ones(4, 5), *parties, crypto_provider=carol)
        with cl.measure_cost() as product:
            x @ y
    opened = (3 * 4 + 4 * 5) * 8  # each party sends its masked x and y to the other: one link's load
    assert busiest_party_bytes(product, ("alice", "bob")) == opened == product.bytes // 2
    assert busiest_party_bytes(cost, ("alice", "bob")) == opened  # the data owner's inputs are not a party's
    with pytest.raises(ValueError):
        busiest_party_bytes(cost, ())


def test_a_negative_latency_is_refused_before_anything_starts():
    with pytest.raises(ValueError, match="latency must be >= 0"):
        distributed.start(demos.product, 2, latency=-0.01)


# ----- the latency, injected and measured: one run -------------------------------------------------------------------
RUN_LATENCY = 0.01  # the run's own, for every round (distributed.run(..., latency=...))
DELAY = 0.04  # a block's, in the party code (ctx.delay)


@pytest.fixture(scope="module")
def delayed():
    x = torch.randn(16, generator=torch.Generator().manual_seed(0))
    return distributed.run(
        demos.under_latency,
        2,
        inputs={"x": x},
        kwargs={"latencies": (0.0, DELAY), "opens": 10},
        latency=RUN_LATENCY,
        seed=0,
        log_messages=True,
        timeout=30,
        echo=False,
    )


def test_every_round_waits_the_runs_latency(delayed):
    for seconds in delayed.returns:
        assert RUN_LATENCY <= seconds["open"] < RUN_LATENCY + 0.25  # an open: one round


def test_a_comparison_takes_its_rounds_times_the_delay_more(delayed):
    phases = delayed.cost_by_phase()
    rounds = phases[f"relu, latency {DELAY * 1e3:g} ms"].rounds
    assert rounds == phases["relu, latency 0 ms"].rounds == 8  # a delay changes the time, never the count
    assert phases["relu, latency 0 ms"] == phases[f"relu, latency {DELAY * 1e3:g} ms"]
    for seconds in delayed.returns:
        extra = seconds[DELAY] - seconds[0.0]
        # the model: rounds × delay. The sleep overlaps the real loopback time of a round, hence a little less
        assert 0.8 * rounds * DELAY <= extra <= rounds * DELAY + 0.3, (extra, rounds * DELAY)


def test_latency_does_not_change_what_is_computed(delayed):
    with cl.reproducible(0, quiet=True):
        parties, carol = party_workers(2), cl.VirtualWorker("carol")
        x = cl.share(torch.randn(16, generator=torch.Generator().manual_seed(0)), *parties, crypto_provider=carol)
        with cl.measure_cost() as one_relu:
            x.relu()
    assert delayed.cost_by_phase()["warm-up"] == one_relu


# ----- three laptops, one secret: the README's commands over loopback -----------------------------------------------
STEPS = 60


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def laptops():
    """alice, bob and carol each start the README's command with their own --rank (one Python each)."""
    common = ["--world-size", "3", "--master-addr", "127.0.0.1", "--master-port", str(_free_port())]
    command = [sys.executable, "-m", "course_lib.distributed", "xor", *common, "--steps", str(STEPS)]
    processes = [
        subprocess.Popen(
            [*command, "--reproducible", "0", "--timeout", "60", "--rank", str(rank)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for rank in range(3)
    ]
    try:
        outputs = [p.communicate(timeout=180) for p in processes]
    finally:
        for p in processes:
            p.kill()
    return [(p.returncode, out, err) for p, (out, err) in zip(processes, outputs, strict=True)]


def test_every_laptop_finishes(laptops):
    for rank, (code, out, err) in enumerate(laptops):
        assert code == 0, (rank, out, err)


def test_alice_and_bob_see_their_own_share_only_and_agree_on_the_rounds(laptops):
    lines = {}
    for name, (_, out, _) in zip(("alice", "bob"), laptops[:2], strict=True):
        assert f"party {name} (rank {('alice', 'bob').index(name)}) of 2 parties + dealer" in out
        (line,) = [x for x in out.splitlines() if x.startswith("done:")]
        assert "my share of the model has shape (1, 256, 1) (my own row only)" in line
        assert "loss" not in out and "predictions" not in out  # the parties see no result
        lines[name] = line.split("I sent: ")[1]
    assert lines["alice"] == lines["bob"]  # the same rounds, messages, bytes: the protocol is symmetric


def test_carol_sees_the_result_and_it_is_the_in_process_one(laptops):
    out = laptops[2][1]
    features, targets = (xor_inputs()[k] for k in ("features", "targets"))
    with cl.reproducible(0, quiet=True), cl.measure_cost() as cost:
        expected = train_encrypted(features, targets, party_workers(2), cl.VirtualWorker("carol"), steps=STEPS)
    assert out.startswith("the dealer carol (rank 2) of 2 parties + dealer")
    assert expected.report(every=50) in out  # the same losses, bit for bit
    assert "predictions: [0 1 1 0]" in out
    assert f"measured on the wire: {cost}" in out  # rounds, messages, bytes: the in-process count
    assert re.search(r"rendezvous 127\.0\.0\.1:\d+", out)
