"""Secure aggregation for federated learning (chapter 07): the server learns the sum of the updates, not one of them.

In federated learning every client trains on its own data and sends only a model update; the server averages them.
But an update can leak a lot about the data behind it. Secure aggregation (Bonawitz et al., "Practical Secure
Aggregation for Privacy-Preserving Machine Learning", CCS 2017) lets the server compute the sum while every single
update it receives looks like uniform noise, and it keeps working when clients drop out mid-round — phones do.

One module per step, each usable on its own in the chapter:

    quantisation (1)  floats → ring Z_2^32: clip, scale, stochastic rounding; no wrap-around for N clients
    keys (2)          X25519 key agreement, HKDF-SHA256, AES-GCM channels through the server
    masks (3)         AES-256-CTR PRG masks: pairwise ones that cancel, a self-mask that the server removes
    shamir (4)        t-of-n Shamir sharing over the prime 2^256 + 297, so any t survivors can stand in
    protocol (5, 6)   Client and Server objects, four rounds, dropout recovery, bytes and seconds counted

    from course_lib import secagg
    result = secagg.secure_sum(updates, threshold=3, drop_before_masking=(4,), drop_after_masking=(1,))
    result.total, result.included, result.server_view, result.bytes_per_client, result.expansion

Randomness. Every key, seed, polynomial coefficient and rounding coin comes from `course_lib.rng`: the operating
system's CSPRNG by default, the seeded, insecure generator inside `course_lib.reproducible(seed)` so a notebook
prints the same masked vectors on every run. The masks themselves come from AES-CTR, never from numpy/torch/random.

Threat model — what this protects, and what it does not:

* The server is honest-but-curious: it runs the protocol as written and then studies everything it received. It sees
  public keys, ciphertexts it cannot open, one masked vector per client (uniform in Z_2^32 on its own), who dropped
  out, and in the last round either the mask key (of a dropped client) or the self-mask seed (of an included one) —
  never both for one client. From all that it learns the sum of the included updates and nothing else.
* Collusion below the threshold: any group of fewer than t parties — clients alone, or the server together with up
  to t-1 clients — learns nothing about an honest client's update beyond what the sum (minus their own updates)
  gives away: they hold fewer than t shares of the secrets that would unmask it. A group of t or more can rebuild
  any client's secrets and unmask it, so choose t above the number of colluders you fear (n // 2 + 1 is common).
  Liveness is the other side: at least t clients must survive to the end, else the round aborts and reveals nothing.
* Not protected against a malicious server: one that tells some clients "u dropped" and others "u is in the sum"
  could collect t shares of both of u's secrets, or one that invents fake clients. The paper's actively secure
  version adds a consistency round with signatures, a PKI and t > 2n/3; this simulation does not.
* The sum itself is revealed, by design: with two included clients one of them learns the other's update by
  subtraction, and sums over sets differing in one client reveal that client. Add differential privacy for that.
* Poisoning: the server cannot look at inputs, so a malicious client can push any update; clipping to [-clip, clip]
  only bounds how far one client can move each coordinate.
* Who took part, who dropped out, the update size and the timing are all visible; and this is a teaching simulation
  in one process, not hardened code (not constant-time, no real network).
"""

from course_lib.secagg import keys, masks, protocol, quantisation, shamir
from course_lib.secagg.keys import KeyPair, agree, decrypt_from_peer, encrypt_for_peer, generate_key_pair, random_bytes
from course_lib.secagg.masks import mask_sign, pairwise_mask_sum, prg_mask, prg_mask_sum, prg_masks
from course_lib.secagg.protocol import (
    DEFAULT_CLIP,
    ROUNDS,
    Client,
    SecureSumResult,
    Server,
    Wire,
    secure_sum,
)
from course_lib.secagg.quantisation import RING_BITS, RING_MODULUS, Quantiser, dequantise, quantise
from course_lib.secagg.shamir import (
    PRIME,
    Share,
    evaluate_polynomial,
    lagrange_at_zero,
    shamir_combine,
    shamir_split,
)

__all__ = [
    "DEFAULT_CLIP",
    "PRIME",
    "RING_BITS",
    "RING_MODULUS",
    "ROUNDS",
    "Client",
    "KeyPair",
    "Quantiser",
    "SecureSumResult",
    "Server",
    "Share",
    "Wire",
    "agree",
    "decrypt_from_peer",
    "dequantise",
    "encrypt_for_peer",
    "evaluate_polynomial",
    "generate_key_pair",
    "keys",
    "lagrange_at_zero",
    "mask_sign",
    "masks",
    "pairwise_mask_sum",
    "prg_mask",
    "prg_mask_sum",
    "prg_masks",
    "protocol",
    "quantisation",
    "quantise",
    "random_bytes",
    "secure_sum",
    "shamir",
    "shamir_combine",
    "shamir_split",
]
