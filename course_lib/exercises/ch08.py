"""Checks for chapter 08 (homomorphic encryption with Paillier). Solutions: notebooks/solutions/08_homomorphic.py.

`course_lib.paillier` is the oracle: its keys (small, seeded, labelled insecure: the cases must be the same on every
run, and small numbers keep every check fast), its encryption, its decryption. The randomness r of every ciphertext
a check builds comes from the check's own seeded generator and is passed explicitly, so a check never draws from the
notebook's seeded stream. Failure messages name the usual wrong turns: a forgotten μ, c^λ taken mod n instead of
n², a float division, a weight left out, a ciphertext decrypted where only the key holder may, headroom off by one.
"""

from __future__ import annotations

import math
import numbers

from course_lib import paillier
from course_lib.exercises import Case, CheckResult, Hint, case_rng, clip, run_check, same_int

__all__ = ["check_paillier_decrypt", "check_encrypted_dot", "check_headroom_bits", "EXERCISES"]

PAILLIER_DECRYPT = Hint(
    "paillier_decrypt",
    nudge="raise c to the power λ, the least common multiple of p − 1 and q − 1, working modulo n squared; read the "
    "result with L, which takes one away and divides by n exactly; then undo the factor λ that the power brought in, "
    "with its inverse modulo n",
    more="n = p·q, λ = lcm(p − 1, q − 1), u = pow(c, λ, n*n), L(u) = (u − 1) // n, μ = pow(λ, -1, n) (with g = n + 1, "
    "μ is simply λ's inverse mod n); m = L(u) · μ % n",
)
ENCRYPTED_DOT = Hint(
    "encrypted_dot",
    nudge="a ciphertext times a public whole number encrypts that multiple of its plaintext, and adding ciphertexts "
    "adds what they hide: combine the two, and hand back one ciphertext, still encrypted",
    more="weights[i] * ciphertexts[i] is E(w_i · x_i); add them all with +, e.g. sum(w * c for w, c in "
    "zip(weights, ciphertexts)) (0 + c is c, so sum may start at 0)",
)
HEADROOM_BITS = Hint(
    "headroom_bits",
    nudge="a sum of N values can be up to N times the largest one: how many extra bits does a factor N need, rounded "
    "up, and how many when N is exactly a power of two",
    more="the smallest h with n_clients <= 2^h: math.ceil(math.log2(n_clients)), or with integers only "
    "(n_clients - 1).bit_length(); 0 for a single client",
)


def _r(rng, n: int) -> int:
    """A randomness r in [1, n) coprime to n, from the check's own generator (passed to encrypt explicitly)."""
    while True:
        r = 1 + rng.randrange(n - 1)
        if math.gcd(r, n) == 1:
            return r


def _keys(name: str, sizes: tuple[int, ...]):
    rng = case_rng(f"{name}/keys")
    return [paillier.keypair(bits, insecure_small=True, rng=rng) for bits in sizes]


def _not_an_int(got) -> str | None:
    if isinstance(got, float):
        return "returned a float: use whole numbers only (integer division //), a float keeps just 53 bits of them"
    if not same_int(got, got):
        return f"returned {clip(repr(got), 30)} ({type(got).__name__}), expected an int"
    return None


# ----- paillier_decrypt ----------------------------------------------------------------------------------------------
def _decrypt_cases() -> list[Case]:
    rng = case_rng("paillier_decrypt")
    keys = [paillier.keypair_from_primes(11, 13, insecure_small=True), *_keys("paillier_decrypt", (16, 32, 64, 256))]
    cases = []
    for public, private in keys:
        n = public.n
        lam = math.lcm(private.p - 1, private.q - 1)
        for m in (7, 1, n - 1, rng.randrange(n), 0):
            c = public.encrypt(m, r=_r(rng, n)).value
            key = f"n = {n}" if n < 10**6 else f"a {public.bits}-bit n"
            cases.append(Case((c, private.p, private.q), f"m={m if m < 10**6 else '…'}, {key}", (m, n, lam)))
    return cases


def _decrypt_problem(got, case: Case) -> str | None:
    m, n, lam = case.expected
    words = _not_an_int(got)
    if words:
        return words
    if got == m:
        return None
    if not 0 <= got < n:
        if got % n == m:
            return "got a number outside [0, n) that is right mod n: reduce the result mod n"
        return f"got {clip(str(got), 30)}, outside [0, n): the plaintext lies in [0, n)"
    if got == 0:
        return "got 0: compute c^λ modulo n², not modulo n — mod n the part 1 + m·n is just 1, and L gives 0"
    if got == m * lam % n:
        return "got m·λ mod n: the power λ multiplied the plaintext by λ; multiply by μ = λ^-1 mod n to undo it"
    return f"got {clip(str(got), 30)}, expected {clip(str(m), 30)}"


def check_paillier_decrypt(paillier_decrypt) -> CheckResult:
    """`paillier_decrypt(c, p, q)` must return the plaintext m in [0, n) of the ciphertext c (an int mod n²) under
    the key n = p·q, g = n + 1: m = L(c^λ mod n²) · μ mod n."""
    return run_check(paillier_decrypt, _decrypt_cases(), PAILLIER_DECRYPT, problem=_decrypt_problem)


# ----- encrypted_dot -------------------------------------------------------------------------------------------------
def _dot_cases() -> list[Case]:
    rng = case_rng("encrypted_dot")
    shapes = [(3, False), (4, True), (1, False), (6, True), (5, True), (2, True)]
    keys = _keys("encrypted_dot", (64, 128, 256))
    cases = []
    for k, (length, negative) in enumerate(shapes):
        public, private = keys[k % len(keys)]
        n = public.n
        low = -5 if negative else 1
        weights = [rng.randint(low, 5) for _ in range(length)]
        if negative and all(w >= 0 for w in weights):
            weights[0] = -3
        xs = [rng.randint(-1000, 1000) for _ in range(length)]
        ciphertexts = [public.encrypt(paillier.encode_signed(x, n), r=_r(rng, n)) for x in xs]
        label = f"weights={weights}, {length} ciphertext{'s' * (length != 1)} under a {public.bits}-bit key"
        cases.append(Case((weights, ciphertexts), label, (public, private, weights, xs)))
    return cases


def _dot_problem(got, case: Case) -> str | None:
    public, private, weights, xs = case.expected
    n = public.n
    if isinstance(got, (list, tuple)):
        return f"returned a {type(got).__name__} of {len(got)} items: add the products up into one ciphertext"
    if isinstance(got, numbers.Number):
        return (
            f"returned a {type(got).__name__}: hand back the encrypted result, a paillier.Ciphertext — only the key "
            "holder can decrypt it"
        )
    if not isinstance(got, paillier.Ciphertext):
        return f"returned {clip(repr(got), 30)} ({type(got).__name__}), expected a paillier.Ciphertext"
    if got.public != public:
        return "the result is a ciphertext under another key: work with the ciphertexts you were given"
    value = private.decrypt(got)
    value = value - n if value > n // 2 else value  # signed: the plaintexts of the cases are small
    expected = sum(w * x for w, x in zip(weights, xs, strict=True))
    if value == expected:
        return None
    if value == sum(xs) and any(w != 1 for w in weights):
        return "that decrypts to the plain sum of the x's: multiply each ciphertext by its weight first"
    if value == sum(abs(w) * x for w, x in zip(weights, xs, strict=True)):
        return "negative weights lost their sign: multiply by the weight itself, c * w works for w < 0 too"
    return f"the result decrypts to {clip(str(value), 20)}, expected Σ w_i·x_i = {expected}"


def check_encrypted_dot(encrypted_dot) -> CheckResult:
    """`encrypted_dot(weights, ciphertexts)` must return ONE paillier.Ciphertext of Σ weights[i] · x_i, where
    ciphertexts[i] encrypts x_i (signed) and the weights are public ints; no private key is given, none is needed."""
    return run_check(encrypted_dot, _dot_cases(), ENCRYPTED_DOT, problem=_dot_problem)


# ----- headroom_bits -------------------------------------------------------------------------------------------------
_CLIENTS = (3, 4, 2, 5, 8, 9, 1, 7, 16, 17, 100, 1000, 1024, 1025)


def _headroom_problem(got, case: Case) -> str | None:
    clients, expected = case.args[0], case.expected
    words = _not_an_int(got)
    if words:
        return "returned a float: a number of bits is a whole number, rounded up" if isinstance(got, float) else words
    if got == expected:
        return None
    if got < expected:
        return (
            f"{got} bits of headroom hold a sum of at most {2**got} values, not {clients}: a slot would carry "
            "into its neighbour"
        )
    if got == clients.bit_length():
        return (
            f"{got} bits is one more than needed for {clients} clients: sums of up to {2**expected} values "
            f"already fit in {expected} extra bits"
        )
    return f"{got} bits is more than needed: every extra bit is wasted in every slot, so fewer slots fit"


def check_headroom_bits(headroom_bits) -> CheckResult:
    """`headroom_bits(n_clients)` must return the fewest extra bits h per slot such that a sum of n_clients packed
    values never carries into the next slot: the smallest h with n_clients <= 2^h."""
    cases = [Case((n,), f"n_clients={n}", (n - 1).bit_length()) for n in _CLIENTS]
    return run_check(headroom_bits, cases, HEADROOM_BITS, problem=_headroom_problem)


EXERCISES = {
    "paillier_decrypt": check_paillier_decrypt,
    "encrypted_dot": check_encrypted_dot,
    "headroom_bits": check_headroom_bits,
}
