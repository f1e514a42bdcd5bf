"""Secure matrix product vs plaintext torch, measured in the same run.

    python benchmarks/secure_matmul.py [--repeats 5] [--parties 2]

For each size it times
  * plaintext float32 `x @ y` (the baseline),
  * the exact ring product alone (`ring_matmul` of two int64 matrices),
  * the full secure product of two shared matrices: the dealer's triple (offline) + Beaver's opening and local
    products (online) + truncation,
and prints the ratio of each to plaintext. Reference numbers for CrypTen 0.4.1 were measured on the course's
2-core CI machine (they are quoted, not re-run: CrypTen no longer installs).
"""

from __future__ import annotations

import argparse
from functools import partial

import torch

import course_lib as cl
from course_lib.ring import ring_matmul
from course_lib.timing import median_time

SIZES = [(4, 256, 1), (64, 256, 256), (256, 1024, 1024)]
CRYPTEN_SECONDS = {(4, 256, 1): 5.6e-3, (64, 256, 256): 110e-3, (256, 1024, 1024): 10.65}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--parties", type=int, default=2)
    args = parser.parse_args()

    workers = [cl.VirtualWorker(f"party{i}") for i in range(args.parties)]
    dealer = cl.VirtualWorker("dealer")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.parties} parties + dealer, ")
    print(f"median of {args.repeats} runs; CSPRNG randomness (os.urandom)\n")
    columns = (
        ("size", 20),
        ("plaintext", 11),
        ("ring matmul", 14),
        ("secure @", 19),
        ("CrypTen 0.4.1", 15),
        ("speed-up", 9),
    )
    header = " ".join(f"{name:>{width}}" for name, width in columns)
    print(header)
    print("-" * len(header))
    for m, k, n in SIZES:
        g = torch.Generator().manual_seed(0)
        x, y = torch.randn(m, k, generator=g), torch.randn(k, n, generator=g)
        plain = median_time(partial(torch.matmul, x, y), max(args.repeats, 20))
        xi = torch.randint(-(2**63), 2**63 - 1, (m, k), generator=g)
        yi = torch.randint(-(2**63), 2**63 - 1, (k, n), generator=g)
        ring = median_time(partial(ring_matmul, xi, yi), args.repeats)
        sx = cl.share(x, *workers, crypto_provider=dealer)
        sy = cl.share(y, *workers, crypto_provider=dealer)
        secure = median_time(partial(cl.SharedTensor.matmul, sx, sy), args.repeats)
        crypten = CRYPTEN_SECONDS[(m, k, n)]
        print(
            f"{f'{m}x{k} @ {k}x{n}':>20} {plain * 1e3:9.3f}ms {ring * 1e3:9.2f}ms {ring / plain:3.0f}x "
            f"{secure * 1e3:9.2f}ms {secure / plain:6.0f}x {crypten * 1e3:12.1f}ms {crypten / secure:8.1f}x"
        )
    print("\nratios are to plaintext float32 in this run; speed-up = CrypTen's time / ours")


if __name__ == "__main__":
    main()
