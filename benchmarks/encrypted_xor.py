"""250 steps of the article's encrypted XOR training vs the same loop in plaintext torch, in the same run.

    python benchmarks/encrypted_xor.py [--repeats 5] [--parties 2] [--reveal-every 1] [--profile]

Both runs use `course_lib.reservoir`: the very same `training_step` on torch tensors and on SharedTensors (2 parties
+ dealer, in-process, CSPRNG randomness). The loss is revealed every step, as the article does. CrypTen 0.4.1's time
for the same 250 steps was measured on the course's 2-core CI machine (quoted, not re-run: CrypTen no longer installs).
`--profile` prints where the encrypted run spends its time.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats

import torch

import course_lib as cl
from course_lib.reservoir import reservoir_features, reservoir_weights, train_encrypted, train_plaintext, xor_dataset
from course_lib.timing import median_time

CRYPTEN_SECONDS = 3.86


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--parties", type=int, default=2)
    parser.add_argument("--reveal-every", type=int, default=1)
    parser.add_argument("--steps", type=int, default=250)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    inputs, targets = xor_dataset()
    features = reservoir_features(inputs, reservoir_weights(256, seed=0))
    parties = tuple(cl.VirtualWorker(f"party{i}") for i in range(args.parties))
    dealer = cl.VirtualWorker("dealer")

    def encrypted():
        steps, every = args.steps, args.reveal_every
        return train_encrypted(features, targets, parties, dealer, steps=steps, reveal_loss_every=every)

    def plaintext():
        return train_plaintext(features, targets, steps=args.steps, reveal_loss_every=args.reveal_every)

    plain = median_time(plaintext, max(args.repeats, 10))
    secure = median_time(encrypted, args.repeats)
    run = encrypted()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; {args.parties} parties + dealer, in-process;")
    print(f"{args.steps} steps, loss revealed every {args.reveal_every}; median of {args.repeats} runs\n")
    print(f"plaintext torch : {plain * 1e3:8.1f} ms")
    print(f"encrypted       : {secure * 1e3:8.1f} ms   = {secure / plain:5.1f}x plaintext")
    if args.steps == 250 and args.parties == 2:
        slower = CRYPTEN_SECONDS / secure
        print(f"CrypTen 0.4.1   : {CRYPTEN_SECONDS * 1e3:8.1f} ms   = {slower:5.1f}x slower than ours")
    predictions = (run.predictions > 0.5).int().flatten().tolist()
    print(f"\nfinal loss {run.losses[-1]:.3e}, predictions {predictions}")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(encrypted)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    main()
