"""One process per party (course_lib.distributed, gloo over loopback) vs all parties in one process, in the same run.

    python benchmarks/distributed.py [--repeats 3] [--opens 300] [--steps 250] [--timeout 30]

Measures, each as a ratio distributed / in-process:
  * the latency of one `open` (one masked element), 2 and 3 parties;
  * the secure matrix product 256x1024 @ 1024x1024 (2 parties): dealer request and rows, the opening, local
    products, truncation (the in-process time is `benchmarks/secure_matmul.py`'s);
  * chapter 05's 250-step encrypted XOR training (2 parties), timed inside the parties (the work) and from your
    session (adding the start and stop of the processes);
and how long after a party is killed (SIGKILL) every other process has stopped with an error naming it.
The distributed times are the slowest party's (a step ends when the last party has its result).
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import time

import torch

import course_lib as cl
from course_lib import distributed
from course_lib.distributed import demos
from course_lib.distributed.xor import xor_inputs, xor_party
from course_lib.reservoir import party_workers, train_encrypted
from course_lib.runtime import RUNTIME
from course_lib.timing import median_time

MATMUL = (256, 1024, 1024)


def party_benchmark(ctx, opens: int, repeats: int, steps: int) -> dict:
    """Party code: open latency, then (2 parties) the big product and the XOR training. Seconds, as this party saw."""
    out = {"open": demos.opens(ctx, opens)}
    if steps:
        with ctx.phase("matmul"):
            out["matmul"] = demos.secure_matmul(ctx, repeats)
        start = time.perf_counter()
        with ctx.phase("xor"):
            xor_party(ctx, steps, phases=False)
        out["xor"] = time.perf_counter() - start
    return out


def in_process_open(n: int, opens: int) -> float:
    group = cl.PartyGroup(party_workers(n), None)
    shares = torch.zeros(n, 1, dtype=torch.int64)
    return median_time(lambda: RUNTIME.open(group, shares), max(opens, 50))


def in_process_rows(x, y, inputs: dict, steps: int, repeats: int, slowest: dict) -> list[tuple]:
    """The secure product and the XOR training in-process (2 parties), next to the distributed times."""
    workers, carol = party_workers(2), cl.VirtualWorker("carol")
    sx, sy = cl.share(x, *workers, crypto_provider=carol), cl.share(y, *workers, crypto_provider=carol)
    product = median_time(lambda: sx @ sy, repeats)

    def xor():
        return train_encrypted(inputs["features"], inputs["targets"], workers, carol, steps=steps)

    m, k, n = MATMUL
    return [
        (f"secure matmul {m}x{k} @ {k}x{n}", product, slowest["matmul"]),
        (f"XOR training, {steps} steps", median_time(xor, repeats), slowest["xor"]),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--opens", type=int, default=300)
    parser.add_argument("--steps", type=int, default=250)
    parser.add_argument("--timeout", type=float, default=30.0)
    args = parser.parse_args()

    g = torch.Generator().manual_seed(0)
    m, k, n = MATMUL
    x, y = torch.randn(m, k, generator=g), torch.randn(k, n, generator=g)
    inputs = {"x": x, "y": y, **xor_inputs()}

    rows = []  # (what, in-process seconds, distributed seconds)
    for parties in (2, 3):
        steps = args.steps if parties == 2 else 0
        started = time.perf_counter()
        result = distributed.run(
            party_benchmark,
            parties,
            kwargs={"opens": args.opens, "repeats": args.repeats, "steps": steps},
            inputs=inputs if steps else {},
            timeout=args.timeout,
            echo=False,
            log_messages=bool(steps),
        )
        wall = time.perf_counter() - started
        slowest = {key: max(r[key] for r in result.returns) for key in result.returns[0]}
        rows.append((f"open, 1 element, {parties} parties", in_process_open(parties, args.opens), slowest["open"]))
        if steps:
            rows += in_process_rows(x, y, inputs, steps, args.repeats, slowest)
            rows.append(("  + start and stop 3 processes", None, wall - sum(slowest.values())))
            xor_cost = result.cost_by_phase()["xor"]
            with cl.measure_cost() as expected:
                train_encrypted(
                    inputs["features"], inputs["targets"], party_workers(2), cl.VirtualWorker("carol"), steps=steps
                )

    # a party dies: how long until every process has stopped with an error naming it
    deaths = []
    for _ in range(args.repeats):
        session = distributed.start(
            demos.keep_opening, 2, inputs={"x": torch.ones(3)}, kwargs={"seconds": 120}, timeout=10, echo=False
        )
        session.wait_printed("opening", timeout=120)
        os.kill(session.pids[1], signal.SIGKILL)
        killed = time.perf_counter()
        try:
            session.result()
        except distributed.PartyFailure as failure:
            deaths.append(time.perf_counter() - killed)
            message = failure.message
    print(
        f"torch {torch.__version__}, {os.cpu_count()} cores; gloo over 127.0.0.1; CSPRNG randomness; "
        f"distributed times: the slowest party's; median of {args.repeats}\n"
    )
    header = f"{'':38} {'in-process':>12} {'distributed':>12} {'ratio':>8}"
    print(header)
    print("-" * len(header))
    for what, local, remote in rows:
        if local is None:
            print(f"{what:38} {'':>12} {_time(remote):>12}")
        else:
            print(f"{what:38} {_time(local):>12} {_time(remote):>12} {remote / local:7.1f}x")
    print(
        f"{'a party killed -> every process stopped':38} {'':>12} {_time(statistics.median(deaths)):>12}"
        f"   (step timeout 10 s)"
    )
    print(f"\nXOR, {args.steps} steps, on the wire: {xor_cost}")
    print(f"XOR, counted in-process:  {expected}  (equal: {xor_cost == expected})")
    print(f"the error: {message}")


def _time(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


if __name__ == "__main__":
    main()
