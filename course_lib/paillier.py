"""Textbook Paillier encryption, built from scratch (chapter 08).

Secret sharing (chapters 01–07) needs several parties online who do not collude. Paillier needs only one key pair:
Alice publishes a public key, any number of clients encrypt their numbers with it, a server *adds the ciphertexts
without decrypting them*, and only Alice can decrypt the total. That is all we need for federated averaging of
gradients, so chapter 08 builds the scheme here, one formula at a time, with no HE library underneath.

The scheme, with the common choice g = n + 1:

    keys        n = p·q for two random primes p, q of equal length;  public: n;  private: p, q
    encrypt     c = (1 + m·n) · r^n  mod n²        for m in [0, n) and a fresh random r in [1, n), gcd(r, n) = 1
    decrypt     m = L(c^λ mod n²) · μ  mod n       with L(u) = (u − 1) / n,  λ = lcm(p−1, q−1),  μ = L(g^λ mod n²)^-1
    add         E(a) · E(b)  = E(a + b)            (mod n², mod n)
    scale       E(a)^k       = E(k · a)
    add public  E(a) · (1 + k·n) = E(a + k)

Why it works, in one line: (1 + n)^m = 1 + m·n (mod n²) by the binomial theorem, and r^n vanishes under the
exponent λ, because r^(n·λ) = 1 (mod n²). So the plaintext sits in the "1 + m·n" part, and r^n is the mask that makes
two encryptions of the same m look unrelated. That is also why r must be fresh: `encrypt(m, r=...)` exists only so the
chapter can show what goes wrong when it is not.

What sits in this module, in the order the chapter meets it:

    is_probable_prime, miller_rabin   primality testing, fed by a CSPRNG
    keypair(bits)                     PublicKey, PrivateKey (decryption by the Chinese remainder theorem)
    Ciphertext                        +, -, * with Python operators, checked so that keys cannot be mixed
    Encoder, encode_signed, ...       negative numbers and reals (fixed point), overflow detected on decryption
    Packing                           many small values in one plaintext: fewer encryptions, fewer bytes
    packing_layout                    the same layout as arithmetic on bit counts alone (no key needed)
    AggregationServer                 adds the clients' ciphertexts, holding the public key only

Trust: Alice (the key holder) is trusted not to decrypt anything but the final total; the server that adds is
semi-honest (it follows the protocol) and sees only ciphertexts. Paillier hides the values, not the computation: the
server could add the wrong things, and nothing here would notice.

This is a teaching implementation: big-integer arithmetic (gmpy2, a binding to the GMP library) is not constant time,
and there is no padding or proof of well-formedness. Real systems use a reviewed library.
"""

from __future__ import annotations

import hashlib
import math
import numbers
import random
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import gmpy2

from course_lib import rng as course_rng

__all__ = [
    "MIN_SECURE_BITS",
    "AggregationServer",
    "Ciphertext",
    "Encoder",
    "Packing",
    "PackingLayout",
    "PrivateKey",
    "PublicKey",
    "decode_signed",
    "encode_signed",
    "is_probable_prime",
    "keypair",
    "keypair_from_primes",
    "miller_rabin",
    "packing_layout",
]

MIN_SECURE_BITS = 2048  # NIST SP 800-57: a 2048-bit modulus gives ~112-bit security, acceptable until 2030
SMALLEST_BITS = 16  # below this there are not two distinct equal-length primes with the right product length


# --------------------------------------------------------------------------------------------------------------------
# Input checks shared by everything below
# --------------------------------------------------------------------------------------------------------------------


def _require_int(value, what: str, hint: str = "") -> int:
    """An int (numpy integers too), never a bool or a float: 2.0 and True are not what anyone means by a plaintext."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        extra = f" {hint}" if hint else ""
        raise TypeError(f"{what} must be an integer, got {type(value).__name__} {value!r}.{extra}")
    return int(value)


def _fingerprint(number: int) -> str:
    """8 hex digits of SHA-256: enough to tell two big numbers apart on screen, and says nothing else about them."""
    raw = number.to_bytes((number.bit_length() + 7) // 8 or 1, "big")
    return hashlib.sha256(raw).hexdigest()[:8]


# --------------------------------------------------------------------------------------------------------------------
# Randomness: a CSPRNG by default, a seeded generator only when asked for by name
# --------------------------------------------------------------------------------------------------------------------


class _RandomSource:
    """Wraps a `random.Random` given by the caller: seeded (insecure) unless it is `random.SystemRandom`."""

    def __init__(self, generator: random.Random):
        self._generator = generator
        self.secure = isinstance(generator, random.SystemRandom)
        self.description = "the caller's random.SystemRandom" if self.secure else "a seeded random.Random"

    def randbelow(self, n: int) -> int:
        return self._generator.randrange(n)


def _source(generator):
    """Where key generation draws from: the caller's `rng=` if given, else course_lib.rng's current source (the
    operating system's CSPRNG, unless the notebook switched on `course_lib.reproducible(seed)`)."""
    if generator is None:
        return course_rng.current_source()
    if isinstance(generator, random.Random):
        return _RandomSource(generator)
    if hasattr(generator, "randbelow") and hasattr(generator, "secure"):  # a course_lib.rng source
        return generator
    raise TypeError(
        f"rng must be None (the secure default) or a random.Random, got {type(generator).__name__}: "
        "pass rng=random.Random(0) for a repeatable teaching key"
    )


# --------------------------------------------------------------------------------------------------------------------
# Primes
# --------------------------------------------------------------------------------------------------------------------


def _small_primes(limit: int) -> list[int]:
    sieve = bytearray([1]) * limit
    sieve[0:2] = b"\x00\x00"
    for i in range(2, math.isqrt(limit - 1) + 1):
        if sieve[i]:
            sieve[i * i :: i] = bytearray(len(sieve[i * i :: i]))
    return [i for i in range(limit) if sieve[i]]


SMALL_PRIMES = _small_primes(2000)
_SMALL_PRIME_SET = frozenset(SMALL_PRIMES)
_SMALL_PRIMORIAL = math.prod(SMALL_PRIMES)  # one gcd with this product does all the trial divisions at once


def miller_rabin(n: int, rounds: int = 40, rng=None) -> bool:
    """The Miller–Rabin test: False means n is certainly composite, True means prime with error below 4^-rounds.

    1. Write n − 1 = 2^s · d with d odd.
    2. Draw a random base a in [2, n − 2] (from the CSPRNG: an attacker who knows the bases can build composites
       that pass them).
    3. Look at a^d, a^2d, a^4d, ..., a^(n−1) mod n. If n is prime, this sequence either starts at 1 or reaches
       n − 1 (= −1) before it reaches 1, because the only square roots of 1 modulo a prime are ±1.
    4. A base for which neither happens is a *witness*: n is composite. At least 3/4 of all bases are witnesses
       for any odd composite, Carmichael numbers included (those fool Fermat's test a^(n−1) = 1, not this one).
    5. Repeat `rounds` times with fresh bases.
    """
    n = _require_int(n, "n")
    rounds = _require_int(rounds, "rounds")
    if rounds < 1:
        raise ValueError(f"rounds must be at least 1, got {rounds}")
    if n < 2:
        return False
    if n in (2, 3):
        return True
    if n % 2 == 0:
        return False
    source = _source(rng)
    s, d = 0, n - 1
    while d % 2 == 0:  # step 1
        s, d = s + 1, d // 2
    for _ in range(rounds):
        a = 2 + source.randbelow(n - 3)  # step 2: a in [2, n - 2]
        x = gmpy2.powmod(a, d, n)
        if x == 1 or x == n - 1:  # step 3: starts at 1, or at -1
            continue
        for _ in range(s - 1):
            x = gmpy2.powmod(x, 2, n)
            if x == n - 1:
                break
        else:
            return False  # step 4: a is a witness
    return True


def is_probable_prime(n: int, rounds: int = 40, rng=None) -> bool:
    """Trial division by the primes below 2000 (cheap, and it rejects most candidates), then Miller–Rabin."""
    n = _require_int(n, "n")
    if n < 2:
        return False
    if n < 2000:
        return n in _SMALL_PRIME_SET
    if math.gcd(n, _SMALL_PRIMORIAL) != 1:
        return False
    return miller_rabin(n, rounds=rounds, rng=rng)


def _random_prime(bits: int, source) -> int:
    """A random prime of exactly `bits` bits whose two top bits are set (so that a product of two has 2·bits bits)."""
    top_two = 0b11 << (bits - 2)
    while True:
        candidate = source.randbelow(1 << bits) | top_two | 1
        if is_probable_prime(candidate, rng=source):
            return candidate


# --------------------------------------------------------------------------------------------------------------------
# Keys
# --------------------------------------------------------------------------------------------------------------------


def _check_bits(bits, insecure_small: bool) -> int:
    bits = _require_int(bits, "bits", "Try bits=2048.")
    if bits < SMALLEST_BITS or bits % 2:
        raise ValueError(
            f"bits must be an even number of at least {SMALLEST_BITS} (n = p·q with p and q of bits/2 bits each), "
            f"got {bits}: try bits=2048, or bits=64 with insecure_small=True for a demo"
        )
    if bits < MIN_SECURE_BITS and not insecure_small:
        raise ValueError(
            f"a {bits}-bit key can be factored: the minimum is {MIN_SECURE_BITS} bits (~112-bit security, NIST SP "
            f"800-57). For a small demo key that shows the algebra, pass insecure_small=True; for real use, "
            "keep the default bits=2048 (or 3072 for ~128-bit security)"
        )
    return bits


def keypair(bits: int = 2048, *, insecure_small: bool = False, rng=None) -> tuple[PublicKey, PrivateKey]:
    """A fresh Paillier key pair with an n of exactly `bits` bits.

    The default 2048-bit n gives about 112-bit security (NIST SP 800-57, acceptable until 2030); 3072 bits would
    give about 128-bit security, at about 3–4× the cost of each encryption. Smaller keys are refused unless you
    pass `insecure_small=True` (the chapter uses 64-bit keys to print the algebra); such keys say so in their repr.

    1. Draw a random prime p of bits/2 bits (two top bits set, Miller–Rabin fed by the CSPRNG).
    2. Draw q the same way, until q != p.
    3. Check gcd(n, (p−1)(q−1)) = 1 for n = p·q (always true for equal-length primes; we check anyway, because
       decryption needs it).
    4. The public key is n (with g = n + 1); the private key keeps p and q.

    Randomness comes from the operating system's CSPRNG. Two exceptions, both for repeatable teaching output and
    both labelled NOT secure in the keys' repr: an explicit seeded `rng=random.Random(seed)`, or no `rng` while
    `course_lib.reproducible(seed)` is switched on.
    """
    if not isinstance(insecure_small, bool):
        raise TypeError(f"insecure_small must be True or False, got {type(insecure_small).__name__}")
    bits = _check_bits(bits, insecure_small)
    source = _source(rng)
    half = bits // 2
    while True:
        p = _random_prime(half, source)  # step 1
        q = _random_prime(half, source)  # step 2
        if p != q and math.gcd(p * q, (p - 1) * (q - 1)) == 1:  # step 3
            break
    reasons = [] if source.secure else [_seeded_reason(source)]
    return _make_keys(p, q, reasons)  # step 4


def keypair_from_primes(p: int, q: int, *, insecure_small: bool = False) -> tuple[PublicKey, PrivateKey]:
    """The key pair for primes you chose yourself, e.g. p = 11, q = 13 to follow the algebra by hand.

    The same checks as `keypair`: both prime, distinct, of equal bit length, gcd(n, (p−1)(q−1)) = 1, and n of at
    least 2048 bits unless `insecure_small=True`.
    """
    p = _require_int(p, "p")
    q = _require_int(q, "q")
    for name, prime in (("p", p), ("q", q)):
        if not is_probable_prime(prime):
            raise ValueError(f"{name} = {prime} is not prime: Paillier needs n = p·q for two primes")
    if p == q:
        raise ValueError("p and q must differ: with n = p², anyone can factor n by taking a square root")
    if p.bit_length() != q.bit_length():
        raise ValueError(
            f"p and q must have the same bit length (got {p.bit_length()} and {q.bit_length()} bits): "
            "an unbalanced n is easier to factor"
        )
    n = p * q
    if math.gcd(n, (p - 1) * (q - 1)) != 1:
        raise ValueError(f"gcd(n, (p-1)(q-1)) must be 1 for p = {p}, q = {q}: decryption needs it; pick other primes")
    if n.bit_length() < MIN_SECURE_BITS and not insecure_small:
        raise ValueError(
            f"n = p·q has only {n.bit_length()} bits, below the {MIN_SECURE_BITS}-bit minimum: pass "
            "insecure_small=True for a demo key"
        )
    return _make_keys(p, q, [])


def _seeded_reason(source) -> str:
    seed = getattr(source, "seed", None)
    return f"keys from course_lib.reproducible({seed})" if seed is not None else "keys from a seeded random.Random"


def _make_keys(p: int, q: int, reasons: list[str]) -> tuple[PublicKey, PrivateKey]:
    n = p * q
    if n.bit_length() < MIN_SECURE_BITS:
        reasons = [f"{n.bit_length()}-bit n < {MIN_SECURE_BITS}", *reasons]
    public = PublicKey(n, insecure_because=tuple(reasons))
    return public, PrivateKey(public, p, q)


def _insecure_label(reasons: tuple[str, ...]) -> str:
    return f" ⚠ NOT secure: {', '.join(reasons)}; for teaching output only" if reasons else ""


class PublicKey:
    """Everything a client needs to encrypt: n (and g = n + 1, implied). Share it freely."""

    def __init__(self, n: int, *, insecure_because: tuple[str, ...] = ()):
        n = _require_int(n, "n")
        if n < 15 or n % 2 == 0:
            raise ValueError(f"n must be an odd product of two distinct primes, got {n}: make keys with keypair()")
        self.n = n
        self.nsquare = n * n
        self.bits = n.bit_length()
        self.insecure_because = tuple(insecure_because)

    @property
    def g(self) -> int:
        """The generator g = n + 1: then g^m = 1 + m·n (mod n²), a multiplication instead of an exponentiation."""
        return self.n + 1

    @property
    def secure(self) -> bool:
        return not self.insecure_because

    @property
    def ciphertext_bytes(self) -> int:
        """How many bytes one ciphertext (an element of Z_n²) takes on the wire."""
        return (self.nsquare.bit_length() + 7) // 8

    def random_r(self) -> int:
        """A fresh r in [1, n) with gcd(r, n) = 1, from the current course_lib.rng source (the CSPRNG by default)."""
        while True:
            r = 1 + course_rng.randbelow(self.n - 1)
            if math.gcd(r, self.n) == 1:  # fails only if r is a multiple of p or q: then we could factor n
                return r

    def _check_plaintext(self, m) -> int:
        m = _require_int(m, "the plaintext m", "Real numbers need a fixed-point encoding: use paillier.Encoder.")
        if not 0 <= m < self.n:
            hint = (
                "negative numbers are written as n - |m|: use paillier.Encoder (or encode_signed)"
                if m < 0
                else "reduce it mod n first, or split it (paillier.Packing)"
            )
            raise ValueError(f"the plaintext m must be in [0, n) for this {self.bits}-bit n, got {m}: {hint}")
        return m

    def _check_r(self, r) -> int:
        r = _require_int(r, "r")
        if not 1 <= r < self.n or math.gcd(r, self.n) != 1:
            raise ValueError("r must be in [1, n) with gcd(r, n) == 1: draw it with public.random_r()")
        return r

    def encrypt(self, m: int, *, r: int | None = None) -> Ciphertext:
        """E(m) = (1 + m·n) · r^n mod n² with a fresh random r.

        1. Check 0 <= m < n.
        2. Draw r in [1, n) with gcd(r, n) = 1 (or take the one given).
        3. Compute r^n mod n², the expensive step (a 2048-bit exponent modulo a 4096-bit number).
        4. Multiply by 1 + m·n, which is g^m for g = n + 1.

        Passing `r=` is FOR TEACHING ONLY: encrypting twice with the same r gives equal ciphertexts for equal
        plaintexts, and E(a)/E(b) = (1 + (a−b)·n) reveals a − b to anyone. Real code never passes r.
        """
        m = self._check_plaintext(m)  # step 1
        r = self.random_r() if r is None else self._check_r(r)  # step 2
        mask = gmpy2.powmod(r, self.n, self.nsquare)  # step 3
        return Ciphertext._trusted(self, (1 + m * self.n) * mask % self.nsquare)  # step 4

    def __eq__(self, other) -> bool:
        return isinstance(other, PublicKey) and other.n == self.n

    def __hash__(self) -> int:
        return hash(("paillier.PublicKey", self.n))

    def __repr__(self) -> str:
        return f"PublicKey(n: {self.bits} bits, key {_fingerprint(self.n)}){_insecure_label(self.insecure_because)}"


class PrivateKey:
    """p and q, and what decryption precomputes from them. Its repr never shows p or q."""

    def __init__(self, public: PublicKey, p: int, q: int):
        if not isinstance(public, PublicKey):
            raise TypeError(f"public must be a PublicKey, got {type(public).__name__}")
        p, q = _require_int(p, "p"), _require_int(q, "q")
        if p * q != public.n:
            raise ValueError("p·q must equal the public key's n: these primes belong to another key")
        if p == q:
            raise ValueError("p and q must differ")
        self.public = public
        self.p, self.q = p, q
        # Decryption by CRT: work mod p² and mod q² (half-size numbers, half-size exponents), then combine.
        self.psquare, self.qsquare = p * p, q * q
        self.hp = self._h(p, self.psquare)
        self.hq = self._h(q, self.qsquare)
        self.q_inverse_mod_p = int(gmpy2.invert(q, p))
        # Encryption by the key holder (see `encrypt`): r^n mod p² and mod q², combined.
        self._n_mod_phi_p2 = public.n % (p * (p - 1))
        self._n_mod_phi_q2 = public.n % (q * (q - 1))
        self._qsquare_inverse_mod_psquare = int(gmpy2.invert(self.qsquare, self.psquare))
        # The textbook constants: λ = lcm(p−1, q−1) and μ = L(g^λ mod n²)^-1 mod n.
        self.lam = math.lcm(p - 1, q - 1)
        self.mu = int(gmpy2.invert(self.L(int(gmpy2.powmod(public.g, self.lam, public.nsquare))), public.n))

    def L(self, u: int) -> int:
        """L(u) = (u − 1) / n, an exact division for every u = 1 (mod n), e.g. u = (1 + n)^m = 1 + m·n mod n²."""
        return (u - 1) // self.public.n

    def _h(self, prime: int, prime_square: int) -> int:
        # h_p = L_p(g^(p−1) mod p²)^-1 mod p with L_p(u) = (u − 1) / p: undoes the factor that the exponent p−1 adds
        u = int(gmpy2.powmod(self.public.g, prime - 1, prime_square))
        return int(gmpy2.invert((u - 1) // prime, prime))

    def _check_ciphertext(self, c) -> int:
        if not isinstance(c, Ciphertext):
            raise TypeError(
                f"can only decrypt a paillier.Ciphertext, got {type(c).__name__}: "
                "wrap an integer ciphertext with paillier.Ciphertext(public, value)"
            )
        if c.public.n != self.public.n:
            raise ValueError(
                f"this ciphertext was made with another key (key {_fingerprint(c.public.n)}, "
                f"not {_fingerprint(self.public.n)}): decrypt it with that key's private key"
            )
        return c.value

    def decrypt(self, c: Ciphertext) -> int:
        """m in [0, n), by the Chinese remainder theorem (about 3× faster than `decrypt_textbook`, same answer).

        1. m_p = L_p(c^(p−1) mod p²) · h_p mod p     (the plaintext mod p, with half-size numbers)
        2. m_q = L_q(c^(q−1) mod q²) · h_q mod q     (the plaintext mod q)
        3. m = m_q + q · ((m_p − m_q) · q^-1 mod p)   (the one m in [0, n) with those two remainders)
        """
        value = self._check_ciphertext(c)
        p, q = self.p, self.q
        m_p = (int(gmpy2.powmod(value % self.psquare, p - 1, self.psquare)) - 1) // p * self.hp % p  # step 1
        m_q = (int(gmpy2.powmod(value % self.qsquare, q - 1, self.qsquare)) - 1) // q * self.hq % q  # step 2
        return m_q + q * ((m_p - m_q) * self.q_inverse_mod_p % p)  # step 3

    def decrypt_textbook(self, c: Ciphertext) -> int:
        """m = L(c^λ mod n²) · μ mod n, exactly as in Paillier's paper: slower, kept to compare with `decrypt`."""
        value = self._check_ciphertext(c)
        return self.L(int(gmpy2.powmod(value, self.lam, self.public.nsquare))) * self.mu % self.public.n

    def encrypt(self, m: int, *, r: int | None = None) -> Ciphertext:
        """The same ciphertext as `public.encrypt(m, r=r)`, computed faster by the key holder.

        r^n is computed mod p² and mod q² (exponents reduced mod φ(p²) = p(p−1) and φ(q²)) and combined by the CRT:
        half-size moduli, though the exponents stay about n's size, so it is about 1.8× faster at 2048 bits. Only the
        key holder can do this, since it needs p and q; a client with the public key alone pays the full price.
        `r=` is for teaching only, as in `PublicKey.encrypt`.
        """
        public = self.public
        m = public._check_plaintext(m)
        r = public.random_r() if r is None else public._check_r(r)
        mask_p = int(gmpy2.powmod(r % self.psquare, self._n_mod_phi_p2, self.psquare))
        mask_q = int(gmpy2.powmod(r % self.qsquare, self._n_mod_phi_q2, self.qsquare))
        mask = mask_q + self.qsquare * ((mask_p - mask_q) * self._qsquare_inverse_mod_psquare % self.psquare)
        return Ciphertext._trusted(public, (1 + m * public.n) * mask % public.nsquare)

    def __repr__(self) -> str:
        label = _insecure_label(self.public.insecure_because)
        return f"PrivateKey(for key {_fingerprint(self.public.n)}, p and q hidden){label}"


# --------------------------------------------------------------------------------------------------------------------
# Ciphertexts and their arithmetic
# --------------------------------------------------------------------------------------------------------------------


class Ciphertext:
    """E(m) as an int mod n², with the homomorphic operations as Python operators.

        c1 + c2    E(a + b)     the product of the two ciphertexts mod n²
        c + k      E(a + k)     times (1 + k·n), for a public integer k (k + c too)
        c * k      E(k · a)     c^k mod n², for a public integer k (k * c too; k < 0 means n − |k|)
        -c, c1 - c2, c - k, k - c    the same, with the modular inverse for the minus sign

    All plaintext arithmetic is mod n: E(a) + E(b) decrypts to (a + b) mod n. Two ciphertexts multiplied together
    have no meaning in Paillier (it is only additively homomorphic), so `c1 * c2` is an error.
    """

    __slots__ = ("public", "value")

    def __init__(self, public: PublicKey, value: int):
        if not isinstance(public, PublicKey):
            raise TypeError(f"Ciphertext(public, value) needs a paillier.PublicKey first, got {type(public).__name__}")
        value = _require_int(value, "a ciphertext value")
        if not 0 <= value < public.nsquare:
            raise ValueError(
                f"a ciphertext value must be in [0, n²) for this key, got a {value.bit_length()}-bit number "
                f"(n² has {public.nsquare.bit_length()} bits): was it made with another key?"
            )
        if math.gcd(value, public.n) != 1:
            raise ValueError(
                "a ciphertext value must be coprime to n (every real encryption is): this one shares a factor "
                "with n, so it cannot have come from encrypt() with this key"
            )
        self.public = public
        self.value = value

    @classmethod
    def _trusted(cls, public: PublicKey, value) -> Ciphertext:
        """For results of our own arithmetic, which are valid by construction: skips the checks of __init__."""
        c = object.__new__(cls)
        c.public, c.value = public, int(value)
        return c

    # ---- helpers ------------------------------------------------------------------------------------------------

    def _same_key(self, other: Ciphertext, op: str) -> None:
        if other.public.n != self.public.n:
            raise ValueError(
                f"cannot {op} ciphertexts under different keys (key {_fingerprint(self.public.n)} and key "
                f"{_fingerprint(other.public.n)}): the result would decrypt to garbage under both; "
                "encrypt everything with one public key"
            )

    def _scalar(self, k, op: str) -> int:
        if isinstance(k, bool) or not isinstance(k, numbers.Integral):
            hint = (
                " Encode reals as integers first (paillier.Encoder); a product by a real would change the scale."
                if isinstance(k, numbers.Real)
                else ""
            )
            raise TypeError(f"can only {op} a Ciphertext and an int, not {type(k).__name__} {k!r}.{hint}")
        return int(k)

    # ---- addition -----------------------------------------------------------------------------------------------

    def __add__(self, other) -> Ciphertext:
        n, nsquare = self.public.n, self.public.nsquare
        if isinstance(other, Ciphertext):
            self._same_key(other, "add")
            return Ciphertext._trusted(self.public, self.value * other.value % nsquare)
        k = self._scalar(other, "add") % n
        if k == 0:  # sum() starts from 0: adding 0 costs nothing
            return self
        return Ciphertext._trusted(self.public, self.value * (1 + k * n) % nsquare)

    __radd__ = __add__

    def __neg__(self) -> Ciphertext:
        """E(−a) = E(a)^-1 mod n²: an inverse, much cheaper than the power c^(n−1)."""
        return Ciphertext._trusted(self.public, gmpy2.invert(self.value, self.public.nsquare))

    def __sub__(self, other) -> Ciphertext:
        if isinstance(other, Ciphertext):
            self._same_key(other, "subtract")
            return self + (-other)
        return self + (-self._scalar(other, "subtract"))

    def __rsub__(self, other) -> Ciphertext:
        return (-self) + self._scalar(other, "subtract")

    # ---- multiplication by a public integer ---------------------------------------------------------------------

    def __mul__(self, other) -> Ciphertext:
        if isinstance(other, Ciphertext):
            raise TypeError(
                "Paillier cannot multiply two ciphertexts: it is only additively homomorphic. Multiply by a "
                "public int (c * 3), or decrypt first; an encrypted product needs another protocol (chapter 04)"
            )
        n = self.public.n
        k = self._scalar(other, "multiply") % n
        # The plaintext is only defined mod n, so k and k − n give the same plaintext; the smaller |k| is faster,
        # and a negative exponent is computed by gmpy2 as a power of the inverse.
        if k > n // 2:
            k -= n
        return Ciphertext._trusted(self.public, gmpy2.powmod(self.value, k, self.public.nsquare))

    __rmul__ = __mul__

    # ---- the rest -----------------------------------------------------------------------------------------------

    def rerandomize(self) -> Ciphertext:
        """The same plaintext under a fresh mask: c · r^n mod n². Use it before handing on a result such as c * 0,
        which is the constant 1 and so would show that the factor was 0."""
        mask = gmpy2.powmod(self.public.random_r(), self.public.n, self.public.nsquare)
        return Ciphertext._trusted(self.public, self.value * mask % self.public.nsquare)

    def __eq__(self, other) -> bool:
        return isinstance(other, Ciphertext) and other.public.n == self.public.n and other.value == self.value

    def __hash__(self) -> int:
        return hash(("paillier.Ciphertext", self.public.n, self.value))

    def __repr__(self) -> str:
        # a short fingerprint of the value: a ciphertext reveals nothing, and 1,200 digits help nobody
        return f"Ciphertext(key {_fingerprint(self.public.n)}, value {_fingerprint(self.value)}…)"


# --------------------------------------------------------------------------------------------------------------------
# Negative numbers and reals: signed fixed point, with overflow detection
# --------------------------------------------------------------------------------------------------------------------


def _band(n: int, bound: int | None) -> int:
    if bound is None:
        return n // 3
    bound = _require_int(bound, "bound")
    if not 0 <= bound <= n // 3:
        raise ValueError(
            "bound must be between 0 and n // 3: the values above it and below n - bound form the forbidden band "
            "that catches overflow, and it must stay at least n/3 wide"
        )
    return bound


def encode_signed(x: int, n: int, bound: int | None = None) -> int:
    """x as a plaintext in [0, n): x itself if x >= 0, n − |x| if x < 0. Refuses |x| > bound (default n // 3)."""
    x = _require_int(x, "x", "Scale reals to integers first: paillier.Encoder does it.")
    limit = _band(n, bound)
    if abs(x) > limit:
        raise OverflowError(
            f"|x| must be at most the bound ({'n // 3' if bound is None else bound}) to be encoded safely, got a "
            f"{abs(x).bit_length()}-bit number: use a larger key, or smaller values"
        )
    return x % n


def decode_signed(m: int, n: int, bound: int | None = None) -> int:
    """The signed integer behind a plaintext m in [0, n): m if m <= bound, m − n if m >= n − bound.

    Anything in between lies in the forbidden band (bound, n − bound): no valid result lands there, so a value that
    does is a sum or product that overflowed and wrapped around mod n. We raise OverflowError instead of returning a
    silently wrong number. With the default bound n // 3 the band is the middle third of [0, n), so an overflow is
    caught whenever the true result lies within ±2n/3 (it is past ±n/3 but cannot have wrapped all the way round).
    """
    m = _require_int(m, "m")
    if not 0 <= m < n:
        what = "a negative number" if m < 0 else f"a {m.bit_length()}-bit number"
        raise ValueError(f"m must be a decrypted plaintext in [0, n), got {what}")
    limit = _band(n, bound)
    if m <= limit:
        return m
    if m >= n - limit:
        return m - n
    raise OverflowError(
        f"the decrypted value lies in the forbidden band, at {m / n:.3f}·n (valid results are within "
        f"{limit / n:.3f}·n of 0 or of n): the true result overflowed the encoding and wrapped around mod n. "
        "Add fewer or smaller values, or use a larger key"
    )


class Encoder:
    """Reals as signed fixed-point plaintexts: x ↦ round(x · 2^precision_bits), negatives as n − |x|.

    The scale 2^precision_bits is public. Sums of encodings are encodings of sums (same scale); a product by a public
    *integer* keeps the scale too. `max_abs` is the largest |x| any encoded value, or any decrypted result, may have
    (default: whatever lies below n/3, and below 2^1023 to stay a float); a decryption beyond it raises OverflowError,
    see `decode_signed`.
    """

    def __init__(self, public: PublicKey, precision_bits: int = 16, max_abs: float | None = None):
        if not isinstance(public, PublicKey):
            raise TypeError(f"Encoder needs a paillier.PublicKey, got {type(public).__name__}")
        precision_bits = _require_int(precision_bits, "precision_bits", "Try 16.")
        if not 0 <= precision_bits <= public.bits // 2:
            raise ValueError(
                f"precision_bits must be between 0 and {public.bits // 2} for this {public.bits}-bit key, "
                f"got {precision_bits}"
            )
        self.public = public
        self.precision_bits = precision_bits
        self.scale = 2**precision_bits
        if max_abs is None:
            # below n/3 (the overflow band), and below 2^1023 so that every decoded value is a float
            self.bound = min(public.n // 3, 2**1023 * self.scale)
        else:
            if isinstance(max_abs, bool) or not isinstance(max_abs, numbers.Real) or not math.isfinite(max_abs):
                raise TypeError(f"max_abs must be a finite positive number, got {max_abs!r}")
            self.bound = math.floor(Fraction(max_abs) * self.scale)
            if not 0 < self.bound <= public.n // 3:
                raise ValueError(
                    f"max_abs · 2^{precision_bits} must be positive and at most n // 3 (a forbidden band of at least "
                    f"n/3 catches overflow), got max_abs={max_abs}: lower it or use a larger key"
                )
        self.max_abs = self.bound / self.scale

    def encode(self, x) -> int:
        """round(x · 2^precision_bits) mod n, for a finite real x with |x| <= max_abs."""
        if isinstance(x, bool) or not isinstance(x, numbers.Real):
            raise TypeError(f"can only encode a real number (int, float, Fraction), got {type(x).__name__} {x!r}")
        if isinstance(x, float) and not math.isfinite(x):
            raise ValueError(f"cannot encode {x}: only finite numbers have a fixed-point encoding")
        scaled = round(Fraction(x) * self.scale)  # exact: no float rounding before the one we mean
        if abs(scaled) > self.bound:
            raise OverflowError(
                f"|{x}| is more than max_abs = {self.max_abs:.6g}: it would not be told apart from an overflow"
            )
        return scaled % self.public.n

    def decode(self, m: int) -> float:
        """The real behind a decrypted plaintext; OverflowError if it lies in the forbidden band."""
        return decode_signed(m, self.public.n, self.bound) / self.scale

    def encrypt(self, x) -> Ciphertext:
        return self.public.encrypt(self.encode(x))

    def decrypt(self, private: PrivateKey, c: Ciphertext) -> float:
        return self.decode(private.decrypt(c))

    def __repr__(self) -> str:
        key = _fingerprint(self.public.n)
        return f"Encoder(precision_bits={self.precision_bits}, max_abs={self.max_abs:.6g}, key {key})"


# --------------------------------------------------------------------------------------------------------------------
# Packing: many small values in one plaintext
# --------------------------------------------------------------------------------------------------------------------


class Packing:
    """Many signed `value_bits`-bit integers in one plaintext, so that one encryption carries dozens of values.

    A 2048-bit plaintext that holds one 16-bit gradient wastes 99% of every (expensive) encryption. Instead we cut the
    plaintext into slots and put one value in each:

        plaintext = s_0 + s_1 · 2^slot_bits + s_2 · 2^(2·slot_bits) + ...

    Adding two such plaintexts adds slot by slot, *as long as no slot carries into the next one*. So:

    1. Sign: each value v in [−2^(value_bits−1), 2^(value_bits−1)) is stored as s = v + bias with
       bias = 2^(value_bits−1), a number in [0, 2^value_bits). No negative numbers inside a slot, so no borrows.
    2. Headroom: a sum of N slots is below N · 2^value_bits, so each slot gets headroom = ceil(log2(max_summands))
       extra bits: slot_bits = value_bits + headroom. (The bias makes a separate sign bit unnecessary.)
    3. Slots per ciphertext: the largest S with S · slot_bits <= bits(n) − 1, so the packed number is below
       2^(bits(n)−1) <= n and the sum never wraps mod n.
    4. Unpacking a sum of N packings: read each slot, subtract N · bias.

    Summing more than `max_summands` packings could overflow a slot, so `add` and `decode` refuse it.
    """

    def __init__(self, public: PublicKey, value_bits: int = 16, max_summands: int = 3):
        if not isinstance(public, PublicKey):
            raise TypeError(f"Packing needs a paillier.PublicKey, got {type(public).__name__}")
        value_bits = _require_int(value_bits, "value_bits", "Try 16.")
        max_summands = _require_int(max_summands, "max_summands", "Give the number of clients, e.g. 3.")
        if value_bits < 2:
            raise ValueError(f"value_bits must be at least 2 (a sign and one bit of value), got {value_bits}")
        if max_summands < 1:
            raise ValueError(f"max_summands must be at least 1 (how many packings you will add), got {max_summands}")
        self.public = public
        self.value_bits = value_bits
        self.max_summands = max_summands
        self.bias = 2 ** (value_bits - 1)  # step 1
        self.headroom_bits = (max_summands - 1).bit_length()  # step 2: ceil(log2(max_summands)), 0 for one summand
        self.slot_bits = value_bits + self.headroom_bits
        self.slots_per_ciphertext = (public.bits - 1) // self.slot_bits  # step 3
        if self.slots_per_ciphertext < 1:
            raise ValueError(
                f"a slot of {self.slot_bits} bits (value_bits {value_bits} + headroom {self.headroom_bits}) does not "
                f"fit in a {public.bits}-bit n: use fewer bits or a larger key"
            )
        self.min_value = -self.bias
        self.max_value = self.bias - 1

    def ciphertexts_for(self, count: int) -> int:
        """How many ciphertexts `count` values need: ceil(count / slots_per_ciphertext)."""
        return -(-count // self.slots_per_ciphertext)

    def encode(self, values: Sequence[int]) -> list[int]:
        """Plaintexts (ints in [0, n)) holding `values`, slots_per_ciphertext in each; the last one padded with 0s."""
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
            raise TypeError(f"values must be a list of ints, got {type(values).__name__}")
        stored = []
        for i, v in enumerate(values):
            v = _require_int(v, f"values[{i}]", "Quantise reals first, e.g. round(x * 2**12).")
            if not self.min_value <= v <= self.max_value:
                raise ValueError(
                    f"values[{i}] = {v} does not fit in {self.value_bits} signed bits "
                    f"[{self.min_value}, {self.max_value}]: quantise more coarsely, or use a larger value_bits"
                )
            stored.append(v + self.bias)  # step 1
        plaintexts = []
        for start in range(0, len(stored), self.slots_per_ciphertext):
            chunk = stored[start : start + self.slots_per_ciphertext]
            chunk += [self.bias] * (self.slots_per_ciphertext - len(chunk))  # padding: the value 0
            packed = 0
            for s in reversed(chunk):  # slot 0 in the lowest bits
                packed = (packed << self.slot_bits) | s
            plaintexts.append(packed)
        return plaintexts

    def _check_summands(self, n_summands) -> int:
        n_summands = _require_int(n_summands, "n_summands")
        if not 1 <= n_summands <= self.max_summands:
            raise ValueError(
                f"this Packing has headroom for at most {self.max_summands} summands, got {n_summands}: a slot could "
                f"overflow into its neighbour. Make a Packing with max_summands={n_summands} (fewer slots per "
                "ciphertext), or sum in smaller groups"
            )
        return n_summands

    def decode(self, plaintexts: Sequence[int], n_summands: int = 1, length: int | None = None) -> list[int]:
        """The signed values behind `plaintexts`, a sum of `n_summands` packings (step 4); `length` drops padding."""
        n_summands = self._check_summands(n_summands)
        limit = 1 << (self.slots_per_ciphertext * self.slot_bits)
        slot_mask = (1 << self.slot_bits) - 1
        largest_slot = n_summands * (2**self.value_bits - 1)
        values = []
        for packed in plaintexts:
            packed = _require_int(packed, "a packed plaintext")
            if not 0 <= packed < limit:
                raise ValueError(
                    "this plaintext is not a sum of packings: it has bits above the last slot "
                    "(decrypted with the right key? more summands than max_summands?)"
                )
            for _ in range(self.slots_per_ciphertext):
                slot = packed & slot_mask
                if slot > largest_slot:
                    raise ValueError(
                        f"a slot holds {slot}, more than a sum of n_summands={n_summands} packings can: "
                        "is n_summands right?"
                    )
                values.append(slot - n_summands * self.bias)
                packed >>= self.slot_bits
        if length is not None:
            length = _require_int(length, "length")
            if not 0 <= length <= len(values):
                raise ValueError(f"length must be between 0 and {len(values)} (the slots decoded), got {length}")
            values = values[:length]
        return values

    def pack(self, values: Sequence[int]) -> list[Ciphertext]:
        """Encrypt `values` packed: ciphertexts_for(len(values)) encryptions instead of len(values)."""
        return [self.public.encrypt(m) for m in self.encode(values)]

    def add(self, *packed: Sequence[Ciphertext]) -> list[Ciphertext]:
        """Add packed vectors ciphertext by ciphertext (slot by slot); refuses more than max_summands of them."""
        self._check_summands(len(packed))
        lengths = {len(p) for p in packed}
        if len(lengths) != 1:
            raise ValueError(f"packed vectors must have the same number of ciphertexts, got {sorted(lengths)}")
        return [sum(column[1:], column[0]) for column in zip(*packed, strict=True)]

    def unpack(
        self, private: PrivateKey, ciphertexts: Sequence[Ciphertext], n_summands: int = 1, length: int | None = None
    ) -> list[int]:
        """Decrypt and decode a (sum of `n_summands`) packed vector(s)."""
        return self.decode([private.decrypt(c) for c in ciphertexts], n_summands, length)

    def __repr__(self) -> str:
        return (
            f"Packing(value_bits={self.value_bits}, max_summands={self.max_summands}: slot_bits={self.slot_bits}, "
            f"{self.slots_per_ciphertext} slots per ciphertext)"
        )


@dataclass(frozen=True)
class PackingLayout:
    """How `Packing` cuts a plaintext of a `key_bits`-bit n into slots, from the bit counts alone.

    key_bits       bits of n                      value_bits     bits of one signed value (stored with a bias)
    max_summands   packings that may be added     headroom_bits  ceil(log2(max_summands)): room for the carries
    slot_bits      value_bits + headroom_bits     slots          how many slots fit below 2^(key_bits − 1)
    used_bits      slots · slot_bits              spare_bits     key_bits − used_bits (the top bit among them)
    bias           2^(value_bits − 1), added to every value so that no slot holds a negative number
    """

    key_bits: int
    value_bits: int
    max_summands: int
    headroom_bits: int
    slot_bits: int
    slots: int
    used_bits: int
    spare_bits: int
    bias: int


def packing_layout(key_bits: int, value_bits: int = 16, max_summands: int = 3) -> PackingLayout:
    """The layout `Packing(public, value_bits, max_summands)` uses for a key whose n has `key_bits` bits, computed
    without a key (the chapter's packing explorer draws it for any size): the same steps 1–3 as `Packing`."""
    key_bits = _require_int(key_bits, "key_bits", "Try 2048.")
    value_bits = _require_int(value_bits, "value_bits", "Try 16.")
    max_summands = _require_int(max_summands, "max_summands", "Give the number of clients, e.g. 3.")
    if key_bits < SMALLEST_BITS:
        raise ValueError(f"key_bits must be at least {SMALLEST_BITS}, got {key_bits}")
    if value_bits < 2:
        raise ValueError(f"value_bits must be at least 2 (a sign and one bit of value), got {value_bits}")
    if max_summands < 1:
        raise ValueError(f"max_summands must be at least 1 (how many packings you will add), got {max_summands}")
    headroom_bits = (max_summands - 1).bit_length()
    slot_bits = value_bits + headroom_bits
    slots = (key_bits - 1) // slot_bits
    if slots < 1:
        raise ValueError(
            f"a slot of {slot_bits} bits (value_bits {value_bits} + headroom {headroom_bits}) does not fit in a "
            f"{key_bits}-bit n: use fewer bits or a larger key"
        )
    return PackingLayout(
        key_bits=key_bits,
        value_bits=value_bits,
        max_summands=max_summands,
        headroom_bits=headroom_bits,
        slot_bits=slot_bits,
        slots=slots,
        used_bits=slots * slot_bits,
        spare_bits=key_bits - slots * slot_bits,
        bias=2 ** (value_bits - 1),
    )


# --------------------------------------------------------------------------------------------------------------------
# Aggregation: a server that adds what it cannot read
# --------------------------------------------------------------------------------------------------------------------


class AggregationServer:
    """The server of encrypted federated aggregation (chapter 08): it receives each client's ciphertexts, adds them
    position by position, and hands the encrypted totals to the key holder.

    It is made from a `PublicKey` and refuses a `PrivateKey`: everything it ever holds is the public key and
    ciphertexts, so it can add but never read. What it must be trusted with is the computation (it is semi-honest:
    it adds what it was sent, once each; Paillier itself would not notice a server that left a client out, added
    one twice or scaled an upload), and not to hand a single client's upload to the key holder, who could decrypt it.

        server = AggregationServer(public)
        server.receive("hospital 1", ciphertexts_1)   # one upload per client, all of the same length
        ...
        totals = server.total()                        # E(Σ x) position by position, for the key holder
    """

    def __init__(self, public: PublicKey):
        if isinstance(public, PrivateKey):
            raise TypeError(
                "an AggregationServer takes the public key only: a server holding the private key could decrypt "
                "every client's upload. Pass private.public, or the PublicKey itself"
            )
        if not isinstance(public, PublicKey):
            raise TypeError(f"an AggregationServer needs a paillier.PublicKey, got {type(public).__name__}")
        self.public = public
        self._uploads: dict[str, tuple[Ciphertext, ...]] = {}

    def receive(self, sender: str, ciphertexts: Sequence[Ciphertext]) -> None:
        """Keep one client's upload: a list of ciphertexts under this server's public key."""
        if not isinstance(sender, str) or not sender:
            raise TypeError(f"sender must be a non-empty name (str), got {sender!r}")
        if sender in self._uploads:
            raise ValueError(f"{sender} has already sent its upload: one upload per client and round")
        if isinstance(ciphertexts, (str, bytes)) or not isinstance(ciphertexts, Sequence) or not ciphertexts:
            raise TypeError(f"ciphertexts must be a non-empty list of paillier.Ciphertext, got {ciphertexts!r:.60}")
        for i, c in enumerate(ciphertexts):
            if not isinstance(c, Ciphertext):
                raise TypeError(
                    f"ciphertexts[{i}] is a {type(c).__name__}, not a paillier.Ciphertext: clients send encrypted "
                    "values only"
                )
            if c.public != self.public:
                raise ValueError(f"ciphertexts[{i}] was encrypted under another key: clients must use this key")
        lengths = {len(upload) for upload in self._uploads.values()}
        if lengths and len(ciphertexts) not in lengths:
            raise ValueError(
                f"{sender} sent {len(ciphertexts)} ciphertexts, the others {lengths.pop()}: uploads must line up"
            )
        self._uploads[sender] = tuple(ciphertexts)

    @property
    def senders(self) -> tuple[str, ...]:
        """Who has sent an upload, in the order they arrived."""
        return tuple(self._uploads)

    def upload_of(self, sender: str) -> tuple[Ciphertext, ...]:
        """What `sender` sent: ciphertexts, unreadable to the server."""
        if sender not in self._uploads:
            raise KeyError(f"no upload from {sender!r}; uploads from {', '.join(self._uploads) or 'nobody yet'}")
        return self._uploads[sender]

    def total(self) -> list[Ciphertext]:
        """E(x_1 + x_2 + ...) for every position: the product of the uploads' ciphertexts mod n²."""
        if not self._uploads:
            raise ValueError("no uploads yet: nothing to add")
        uploads = list(self._uploads.values())
        return [sum(column[1:], column[0]) for column in zip(*uploads, strict=True)]

    @property
    def bytes_received(self) -> int:
        """The ciphertexts received, in bytes on the wire."""
        return sum(len(upload) for upload in self._uploads.values()) * self.public.ciphertext_bytes

    def __repr__(self) -> str:
        count = len(self._uploads)
        size = len(next(iter(self._uploads.values()))) if count else 0
        return (
            f"AggregationServer(key {_fingerprint(self.public.n)}: {count} upload{'s' * (count != 1)} of {size} "
            "ciphertexts; holds no private key)"
        )
