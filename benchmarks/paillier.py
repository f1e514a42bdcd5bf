"""Paillier (course_lib.paillier, chapter 08) at 2048 bits: the primitives, then gradient aggregation, packed or not.

    python benchmarks/paillier.py [--repeats 5] [--job-repeats 3]

Part 1 times each primitive (median of `--repeats` runs after a warm-up): key generation, encryption by a client
(public key only), encryption by the key holder (CRT, needs p and q: a client cannot do this), the homomorphic
operations, and decryption with and without the CRT.

Part 2 times one round of federated aggregation: 3 clients each hold 256 float gradients, quantise them to fixed
point (12 fractional bits, 16-bit signed integers), encrypt them under Alice's public key; a server adds the three
encrypted vectors; Alice decrypts the sum. Once with one ciphertext per gradient (unpacked, as python-paillier does
it) and once with `Packing` (113 gradients per ciphertext). Both results are checked to equal the sum of the quantised
values exactly. The reference for python-paillier (`phe` 1.5) was measured on the course's 2-core machine and is
quoted, not re-run: phe is GPL-licensed, and the course does not install it.
"""

from __future__ import annotations

import argparse
import random

import gmpy2

from course_lib import paillier
from course_lib.timing import median_time

BITS = 2048
CLIENTS, GRADIENTS = 3, 256
PRECISION_BITS, VALUE_BITS = 12, 16  # gradients as round(x · 2^12), stored in 16 signed bits: |x| < 8
PHE_JOB_SECONDS, PHE_ENCRYPTION_SECONDS = 11.6, 13e-3  # python-paillier 1.5, unpacked job, quoted


def gradients() -> list[list[float]]:
    """Public, made-up gradients: small floats around 0, as after clipping in federated averaging."""
    generator = random.Random(0)
    return [[generator.gauss(0.0, 0.05) for _ in range(GRADIENTS)] for _ in range(CLIENTS)]


def unpacked_job(public, private, grads) -> list[int]:
    """One ciphertext per gradient: 768 encryptions, 512 additions, 256 decryptions."""
    encoder = paillier.Encoder(public, precision_bits=PRECISION_BITS)
    uploads = [[encoder.encrypt(x) for x in client] for client in grads]  # each client, on its own machine
    summed = [sum(column[1:], column[0]) for column in zip(*uploads, strict=True)]  # the server
    return [paillier.decode_signed(private.decrypt(c), public.n, encoder.bound) for c in summed]  # Alice


def packed_job(public, private, grads) -> list[int]:
    """113 gradients per ciphertext: 9 encryptions, 6 additions, 3 decryptions."""
    packing = paillier.Packing(public, value_bits=VALUE_BITS, max_summands=CLIENTS)
    uploads = [packing.pack([round(x * 2**PRECISION_BITS) for x in client]) for client in grads]  # clients
    summed = packing.add(*uploads)  # the server
    return packing.unpack(private, summed, n_summands=CLIENTS, length=GRADIENTS)  # Alice


def milliseconds(seconds: float) -> str:
    return f"{seconds * 1e3:10.3f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5, help="runs per primitive (median)")
    parser.add_argument("--job-repeats", type=int, default=3, help="runs of each aggregation job (median)")
    args = parser.parse_args()

    print(f"Paillier, {BITS}-bit n, gmpy2 {gmpy2.version()} ({gmpy2.mp_version()}), CSPRNG randomness (os.urandom)")
    print(f"median of {args.repeats} runs per primitive, {args.job_repeats} per aggregation job\n")

    public, private = paillier.keypair(BITS)
    r = random.Random(1)
    a, b = public.encrypt(r.randrange(public.n)), public.encrypt(r.randrange(public.n))
    rows = [
        (f"key generation ({BITS}-bit n)", median_time(lambda: paillier.keypair(BITS), args.repeats)),
        ("encryption, client (public key)", median_time(lambda: public.encrypt(123456), args.repeats)),
        ("encryption, key holder only (CRT)", median_time(lambda: private.encrypt(123456), args.repeats)),
        ("addition c1 + c2", median_time(lambda: a + b, max(args.repeats, 100))),
        ("plaintext addition c + k", median_time(lambda: a + 987654321, max(args.repeats, 100))),
        ("times a small int c * 3", median_time(lambda: a * 3, max(args.repeats, 100))),
        ("times a full-size int c * k", median_time(lambda: a * (public.n // 3), args.repeats)),
        ("decryption (CRT)", median_time(lambda: private.decrypt(a), args.repeats)),
        ("decryption (textbook, λ and μ)", median_time(lambda: private.decrypt_textbook(a), args.repeats)),
    ]
    header = f"{'operation':<36} {'time':>13}"
    print(header)
    print("-" * len(header))
    for name, seconds in rows:
        print(f"{name:<36} {milliseconds(seconds)}")
    print(f"{'encryption, phe 1.5 (quoted)':<36} {milliseconds(PHE_ENCRYPTION_SECONDS)}")

    grads = gradients()
    quantised = [[round(x * 2**PRECISION_BITS) for x in client] for client in grads]
    expected = [sum(column) for column in zip(*quantised, strict=True)]
    packing = paillier.Packing(public, value_bits=VALUE_BITS, max_summands=CLIENTS)
    per_client = packing.ciphertexts_for(GRADIENTS)
    jobs = [
        ("unpacked", unpacked_job, CLIENTS * GRADIENTS, (CLIENTS - 1) * GRADIENTS, GRADIENTS),
        (
            f"packed ({packing.slots_per_ciphertext}/ct)",
            packed_job,
            CLIENTS * per_client,
            (CLIENTS - 1) * per_client,
            per_client,
        ),
    ]
    print(
        f"\n{CLIENTS} clients × {GRADIENTS} gradients (floats → {VALUE_BITS}-bit fixed point, {PRECISION_BITS} "
        f"fractional bits): encrypted, summed, decrypted"
    )
    print(f"packing: {packing!r}")
    header = (
        f"{'':<18} {'encryptions':>11} {'additions':>9} {'decryptions':>11} {'bytes sent':>10} {'time':>9} "
        f"{'vs phe 1.5':>10} {'exact':>5}"
    )
    print(header)
    print("-" * len(header))
    for name, job, encryptions, additions, decryptions in jobs:
        result = []
        seconds = median_time(
            lambda job=job, result=result: result.append(job(public, private, grads)), args.job_repeats, warmup=0
        )
        exact = all(run == expected for run in result)
        sent = encryptions * public.ciphertext_bytes
        print(
            f"{name:<18} {encryptions:>11} {additions:>9} {decryptions:>11} {sent:>10,} {seconds:>7.3f} s "
            f"{PHE_JOB_SECONDS / seconds:>9.1f}× {'yes' if exact else 'NO':>5}"
        )
        if not exact:
            raise SystemExit(f"{name}: the decrypted sum differs from the sum of the quantised gradients")
    print(
        f"{'phe 1.5 (quoted)':<18} {CLIENTS * GRADIENTS:>11} {(CLIENTS - 1) * GRADIENTS:>9} {GRADIENTS:>11} "
        f"{CLIENTS * GRADIENTS * public.ciphertext_bytes:>10,} {PHE_JOB_SECONDS:>7.3f} s {1:>9.1f}×"
    )
    print(
        f"\nbytes sent = the clients' ciphertexts ({public.ciphertext_bytes} bytes each at {BITS} bits). "
        f"python-paillier (phe 1.5) took {PHE_JOB_SECONDS} s for the unpacked job on the course's machine "
        f"({PHE_ENCRYPTION_SECONDS * 1e3:.0f} ms per encryption); quoted, not re-run.\n"
        f"vs phe 1.5 = {PHE_JOB_SECONDS} s / our time."
    )


if __name__ == "__main__":
    main()
