"""Secure comparison and non-linear functions (chapter 06) on 10,000 values, against CrypTen 0.4.1's figures.

    python benchmarks/nonlinear.py [--repeats 9] [--parties 2] [--threads 1]

Times (median of `repeats` runs after a warm-up, `course_lib.timing.median_time`) x < 0, ReLU, sigmoid, exp and
reciprocal on 10,000 shared values, 2 parties and a dealer, with the default CSPRNG randomness — the dealer's work
(its triples, edaBits, daBits) is inside the time, as it is in CrypTen's figures. It also prints the median CPU
time: on a machine shared with other programs the wall time can double while the CPU time barely moves. In the
same run it measures each result's maximum error against plaintext torch (float64) and counts rounds and bytes.
The inputs: x < 0 and ReLU on 5·N(0, 1); sigmoid and exp on U(-10, 10); reciprocal on 0.1 <= |x| <= 10, both signs.

CrypTen 0.4.1's times and errors were measured on the course's 2-core machine with the same sizes; they are quoted,
not re-run (CrypTen no longer installs). One thread by default: 10,000 values are too few for intra-op threads to
pay, and on a shared 2-core machine OpenMP's parallel reductions can wait milliseconds for a busy core.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from functools import partial

import torch

import course_lib as cl
from course_lib.timing import median_time

COUNT = 10_000
# name: (CrypTen 0.4.1 seconds, CrypTen max error) — None where CrypTen was not measured
CRYPTEN = {"x < 0": (None, None), "relu": (59e-3, 1.4e-5), "sigmoid": (134e-3, 2.6e-3), "exp": (None, None),
           "reciprocal": (306e-3, 1.6e-3)}  # fmt: skip


def inputs() -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    normal = torch.randn(COUNT, generator=g, dtype=torch.float64) * 5
    uniform = torch.rand(COUNT, generator=g, dtype=torch.float64) * 20 - 10
    signs = torch.where(torch.rand(COUNT, generator=g) < 0.5, -1.0, 1.0).double()
    magnitude = torch.rand(COUNT, generator=g, dtype=torch.float64) * 9.9 + 0.1
    return {"x < 0": normal, "relu": normal, "sigmoid": uniform, "exp": uniform, "reciprocal": signs * magnitude}


def cpu_time(fn, repeats: int) -> float:
    """Median CPU seconds of this process over `repeats` runs (after the warm-up median_time did): unlike the wall
    time it does not count the waits while other programs hold the cores, so it shows what the work itself costs."""
    times = []
    for _ in range(repeats):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return statistics.median(times)


OPERATIONS = {
    "x < 0": (lambda s: s < 0, lambda x: (x < 0).double()),
    "relu": (cl.SharedTensor.relu, torch.relu),
    "sigmoid": (cl.SharedTensor.sigmoid, torch.sigmoid),
    "exp": (cl.SharedTensor.exp, torch.exp),
    "reciprocal": (cl.SharedTensor.reciprocal, torch.reciprocal),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--parties", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cl.secure()

    workers = [cl.VirtualWorker(f"party{i}") for i in range(args.parties)]
    dealer = cl.VirtualWorker("dealer")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), {args.parties} parties + dealer, ")
    print(f"{COUNT:,} values, median of {args.repeats} runs; CSPRNG randomness (os.urandom + AES-CTR)\n")
    header = (
        f"{'operation':<11} {'ours':>9} {'CPU':>9} {'CrypTen':>9} {'speed-up':>8}   {'max error':>11} {'CrypTen':>8}"
        f"   {'rounds':>6} {'bytes/value':>11}"
    )
    print(header)
    print("-" * len(header))
    data = inputs()
    for name, (secure, plain) in OPERATIONS.items():
        x = data[name]
        shared = cl.share(x, *workers, crypto_provider=dealer)
        seconds = median_time(partial(secure, shared), args.repeats)
        cpu = cpu_time(partial(secure, shared), args.repeats)
        with cl.measure_cost() as cost:
            result = secure(shared)
        difference = (result.get() - plain(x)).abs()
        if name == "exp":  # e^10 = 22026: the relative error means something (where e^x >= 0.01, as max_error)
            expected = plain(x)
            error, unit = float((difference / expected)[expected >= 0.01].max()), "rel"
        else:
            error, unit = float(difference.max()), "abs"
        crypten_time, crypten_error = CRYPTEN[name]
        if crypten_time is None:
            reference = f"{'-':>9} {'-':>8}"
        else:
            reference = f"{crypten_time * 1e3:7.0f}ms {crypten_time / seconds:7.1f}x"
        crypten_err = f"{crypten_error:8.1e}" if crypten_error is not None else f"{'-':>8}"
        print(
            f"{name:<11} {seconds * 1e3:7.1f}ms {cpu * 1e3:7.1f}ms {reference}   {error:7.1e} {unit} {crypten_err}"
            f"   {cost.rounds:6d} {cost.bytes / COUNT:11.1f}"
        )

    shared = cl.share(data["x < 0"], *workers, crypto_provider=dealer)
    with cl.measure_cost() as cost:
        _ = shared < 0
    print(
        f"\none comparison x < 0 ({args.parties} parties): {cost.rounds} rounds; between the parties "
        f"{cost.bytes / COUNT:.1f} bytes per value, {cost.bytes / 2**20:.2f} MiB for {COUNT:,}; "
        f"from the dealer {cost.dealer_bytes / COUNT:.1f} bytes per value, {cost.dealer_bytes / 2**20:.2f} MiB"
    )
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print("ours: median wall time; CPU: median CPU time of this process (the same work, without the waits for a busy")
    print("core); speed-up = CrypTen's time / our wall time (target: 5x); max error against plaintext torch in")
    print("float64, absolute (relative for exp, where e^x >= 0.01); bytes/value: what all parties sent each other")
    print(f"(load average while this ran: {load} on {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
