"""Chapter 08's Paillier: round trips, the homomorphic algebra against Python integers, textbook interoperability,
Miller–Rabin, key checks, seeded keys, signed fixed point with overflow detection, packing limits, clear errors."""

import math
import random
from fractions import Fraction
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

import course_lib as cl
from course_lib import paillier
from course_lib.paillier import Ciphertext, Encoder, Packing

# --------------------------------------------------------------------------------------------------------------------
# Keys made once per module: a 2048-bit one for the real size, seeded small ones for the many property examples
# --------------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def key2048():
    return paillier.keypair(2048)


@pytest.fixture(scope="module")
def key512():
    return paillier.keypair(512, insecure_small=True, rng=random.Random(512))


@pytest.fixture(scope="module")
def other512():
    return paillier.keypair(512, insecure_small=True, rng=random.Random(1024))


big = st.integers(min_value=-(2**600), max_value=2**600)  # reduced mod n inside the tests: covers [0, n) and beyond
small = st.integers(min_value=-1000, max_value=1000)


def naive_is_prime(n: int) -> bool:
    return n >= 2 and all(n % d for d in range(2, math.isqrt(n) + 1))


# --------------------------------------------------------------------------------------------------------------------
# Round trips
# --------------------------------------------------------------------------------------------------------------------


def test_2048_bit_key_round_trip(key2048):
    public, private = key2048
    n = public.n
    assert n.bit_length() == 2048 and public.g == n + 1 and public.nsquare == n * n
    for m in (0, 1, 42, n // 2, n - 1, random.Random(0).randrange(n)):
        c = public.encrypt(m)
        assert isinstance(c, Ciphertext) and isinstance(c.value, int) and 0 <= c.value < n * n
        assert private.decrypt(c) == m
        assert private.decrypt_textbook(c) == m
    assert public.ciphertext_bytes == 512


@pytest.mark.parametrize("bits", [16, 32, 64, 256])
def test_small_key_round_trip(bits):
    public, private = paillier.keypair(bits, insecure_small=True, rng=random.Random(bits))
    generator = random.Random(bits + 1)
    for m in [0, 1, public.n - 1] + [generator.randrange(public.n) for _ in range(20)]:
        assert private.decrypt(public.encrypt(m)) == m


def test_by_hand_example_with_p_11_q_13():
    public, private = paillier.keypair_from_primes(11, 13, insecure_small=True)
    assert public.n == 143
    c = public.encrypt(7, r=2)
    assert c.value == (1 + 7 * 143) * pow(2, 143, 143**2) % 143**2
    assert private.decrypt(c) == 7
    assert private.decrypt(c + public.encrypt(140)) == (7 + 140) % 143


# --------------------------------------------------------------------------------------------------------------------
# The homomorphic algebra, with Python integers mod n as the oracle
# --------------------------------------------------------------------------------------------------------------------


@given(big, big)
def test_ciphertext_plus_ciphertext_adds_mod_n(key512, a, b):
    public, private = key512
    n = public.n
    assert private.decrypt(public.encrypt(a % n) + public.encrypt(b % n)) == (a + b) % n


@given(big, big)
def test_ciphertext_plus_public_int_adds_mod_n(key512, a, k):
    public, private = key512
    n = public.n
    c = public.encrypt(a % n)
    assert private.decrypt(c + k) == (a + k) % n
    assert private.decrypt(k + c) == (a + k) % n


@given(big, st.one_of(big, small))
def test_ciphertext_times_public_int_multiplies_mod_n(key512, a, k):
    public, private = key512
    n = public.n
    c = public.encrypt(a % n)
    assert private.decrypt(c * k) == (a * k) % n
    assert private.decrypt(k * c) == (a * k) % n


@given(big, big, small)
def test_subtraction_and_negation(key512, a, b, k):
    public, private = key512
    n = public.n
    ca, cb = public.encrypt(a % n), public.encrypt(b % n)
    assert private.decrypt(-ca) == (-a) % n
    assert private.decrypt(ca - cb) == (a - b) % n
    assert private.decrypt(ca - k) == (a - k) % n
    assert private.decrypt(k - ca) == (k - a) % n


@given(st.lists(st.tuples(big, small), min_size=1, max_size=6), big)
def test_a_weighted_sum_of_ciphertexts(key512, terms, offset):
    public, private = key512
    n = public.n
    encrypted = sum((public.encrypt(x % n) * w for x, w in terms), public.encrypt(0)) + offset
    assert private.decrypt(encrypted) == (sum(x * w for x, w in terms) + offset) % n
    assert private.decrypt(sum(public.encrypt(x % n) for x, _ in terms)) == sum(x for x, _ in terms) % n


@given(big)
def test_crt_decryption_equals_textbook_decryption(key512, a):
    public, private = key512
    c = public.encrypt(a % public.n) * 7 + 3
    assert private.decrypt(c) == private.decrypt_textbook(c) == (7 * a + 3) % public.n


def test_homomorphic_ops_at_2048_bits(key2048):
    public, private = key2048
    n = public.n
    a, b = n - 5, 12345678901234567890
    ca, cb = public.encrypt(a), public.encrypt(b)
    assert private.decrypt(ca + cb) == (a + b) % n
    assert private.decrypt(ca * -3 + 17 - cb) == (-3 * a + 17 - b) % n
    enc = Encoder(public, precision_bits=16)
    assert enc.max_abs == 2.0**1023  # n/3 is far beyond any float: the float range is the bound
    assert enc.decrypt(private, enc.encrypt(-1.25) + enc.encrypt(0.5) * 3) == 0.25


def test_rerandomize_keeps_the_plaintext_and_changes_the_ciphertext(key512):
    public, private = key512
    c = public.encrypt(9) * 0  # the constant 1: anyone can see the factor was 0
    assert c.value == 1
    fresh = c.rerandomize()
    assert fresh.value != 1 and private.decrypt(fresh) == 0


# --------------------------------------------------------------------------------------------------------------------
# The random r: fresh every time, and what goes wrong when it is reused
# --------------------------------------------------------------------------------------------------------------------


def test_every_encryption_draws_a_fresh_r(key2048):
    public, private = key2048
    c1, c2 = public.encrypt(7), public.encrypt(7)
    assert c1 != c2 and c1.value != c2.value
    assert private.decrypt(c1) == private.decrypt(c2) == 7


def test_reusing_r_gives_equal_ciphertexts_and_leaks_the_difference(key512):
    public, private = key512
    n, nsquare = public.n, public.nsquare
    r = public.random_r()
    assert public.encrypt(41, r=r) == public.encrypt(41, r=r)
    # with the same r, the masks cancel: E(a) / E(b) = 1 + (a − b)·n, so anyone can read a − b without the key
    ca, cb = public.encrypt(1000, r=r), public.encrypt(958, r=r)
    ratio = ca.value * pow(cb.value, -1, nsquare) % nsquare
    assert (ratio - 1) // n == 42
    assert public.encrypt(1000) != public.encrypt(1000)


def test_the_key_holder_encrypts_the_same_ciphertext_faster(key2048):
    public, private = key2048
    r = public.random_r()
    m = 2**2000 + 3
    assert private.encrypt(m, r=r) == public.encrypt(m, r=r)
    assert private.decrypt(private.encrypt(m)) == m
    assert private.encrypt(m) != private.encrypt(m)


def test_r_is_in_range_and_coprime(key512):
    public, _ = key512
    for _ in range(50):
        r = public.random_r()
        assert 1 <= r < public.n and math.gcd(r, public.n) == 1


# --------------------------------------------------------------------------------------------------------------------
# Interoperability with the textbook scheme, written out by hand
# --------------------------------------------------------------------------------------------------------------------


def textbook_encrypt(n: int, m: int, r: int) -> int:
    """Paillier's paper with g = n + 1, written as a general power g^m (no shortcut)."""
    nsquare = n * n
    return pow(n + 1, m, nsquare) * pow(r, n, nsquare) % nsquare


def textbook_decrypt(p: int, q: int, c: int) -> int:
    n = p * q
    nsquare = n * n
    lam = math.lcm(p - 1, q - 1)

    def L(u):
        return (u - 1) // n

    mu = pow(L(pow(n + 1, lam, nsquare)), -1, n)
    return L(pow(c, lam, nsquare)) * mu % n


@pytest.mark.parametrize("which", ["2048", "512"])
def test_textbook_encryption_decrypts_with_course_lib(which, key2048, key512):
    public, private = key2048 if which == "2048" else key512
    generator = random.Random(8)
    for _ in range(3):
        m, r = generator.randrange(public.n), public.random_r()
        value = textbook_encrypt(public.n, m, r)
        assert private.decrypt(Ciphertext(public, value)) == m
        assert public.encrypt(m, r=r).value == value


@pytest.mark.parametrize("which", ["2048", "512"])
def test_course_lib_encryption_decrypts_with_the_textbook(which, key2048, key512):
    public, private = key2048 if which == "2048" else key512
    generator = random.Random(9)
    for _ in range(3):
        a, b = generator.randrange(public.n), generator.randrange(public.n)
        assert textbook_decrypt(private.p, private.q, public.encrypt(a).value) == a
        total = public.encrypt(a) + public.encrypt(b)
        assert textbook_decrypt(private.p, private.q, total.value) == (a + b) % public.n


def test_the_textbook_constants(key512):
    public, private = key512
    p, q, n = private.p, private.q, public.n
    assert private.lam == math.lcm(p - 1, q - 1)
    assert private.mu == pow(private.L(pow(n + 1, private.lam, n * n)), -1, n)
    assert private.L(1 + 5 * n) == 5


# --------------------------------------------------------------------------------------------------------------------
# Miller–Rabin
# --------------------------------------------------------------------------------------------------------------------

KNOWN_PRIMES = [2, 3, 5, 7, 1009, 7919, 104729, 2**31 - 1, 2**61 - 1, 2**89 - 1, 2**127 - 1, 2**521 - 1]
KNOWN_COMPOSITES = [0, 1, 4, 9, 1001, 7917, 2**32 + 1, (2**31 - 1) * (2**61 - 1), 2**127 + 1, (2**89 - 1) ** 2]
CARMICHAEL = [561, 1105, 1729, 2465, 2821, 6601, 8911, 41041, 62745, 825265, 321197185, 5394826801]


def chernick_carmichael(count: int, smallest_factor: int) -> list[int]:
    """(6k+1)(12k+1)(18k+1) is a Carmichael number whenever all three factors are prime; with factors above 2000
    trial division cannot catch it, only Miller–Rabin can."""
    found, k = [], smallest_factor // 6
    while len(found) < count:
        k += 1
        factors = (6 * k + 1, 12 * k + 1, 18 * k + 1)
        if all(naive_is_prime(f) for f in factors):
            found.append(math.prod(factors))
    return found


@pytest.mark.parametrize("n", KNOWN_PRIMES)
def test_known_primes_pass(n):
    assert paillier.is_probable_prime(n)
    assert n < 4 or paillier.miller_rabin(n)


@pytest.mark.parametrize("n", KNOWN_COMPOSITES)
def test_known_composites_fail(n):
    assert not paillier.is_probable_prime(n)
    assert not paillier.miller_rabin(n)


@pytest.mark.parametrize("n", CARMICHAEL + chernick_carmichael(3, 2000))
def test_carmichael_numbers_fool_fermat_but_not_miller_rabin(n):
    assert pow(2, n - 1, n) == 1 or math.gcd(2, n) != 1 or n % 3 == 0  # Fermat's test is fooled (for coprime bases)
    assert all(pow(a, n - 1, n) == 1 for a in (2, 5, 7, 11) if math.gcd(a, n) == 1)
    assert not paillier.miller_rabin(n)  # without the trial division: Miller–Rabin alone catches them
    assert not paillier.is_probable_prime(n)


def test_miller_rabin_agrees_with_trial_division_below_5000():
    assert [n for n in range(5000) if paillier.is_probable_prime(n)] == [n for n in range(5000) if naive_is_prime(n)]
    assert [n for n in range(3, 5000, 2) if paillier.miller_rabin(n)] == [
        n for n in range(3, 5000, 2) if naive_is_prime(n)
    ]


# --------------------------------------------------------------------------------------------------------------------
# Keys: sizes, shapes, seeded mode, reprs
# --------------------------------------------------------------------------------------------------------------------


def check_key(public, private, bits):
    p, q, n = private.p, private.q, public.n
    assert p != q
    assert p.bit_length() == q.bit_length() == bits // 2
    assert n == p * q and n.bit_length() == bits
    assert math.gcd(n, (p - 1) * (q - 1)) == 1
    assert paillier.is_probable_prime(p) and paillier.is_probable_prime(q)


def test_the_2048_bit_key_has_the_right_shape(key2048):
    check_key(*key2048, 2048)
    assert key2048[0].secure


@pytest.mark.parametrize("bits", [16, 18, 20, 64, 100, 256, 512])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_small_keys_have_the_right_shape(bits, seed):
    check_key(*paillier.keypair(bits, insecure_small=True, rng=random.Random(seed)), bits)


def test_an_explicit_seeded_rng_repeats_and_is_labelled_insecure():
    a, _ = paillier.keypair(64, insecure_small=True, rng=random.Random(7))
    b, _ = paillier.keypair(64, insecure_small=True, rng=random.Random(7))
    assert a == b and not a.secure
    assert "NOT secure" in repr(a) and "seeded" in repr(a)


def test_a_seeded_2048_bit_key_is_labelled_insecure():
    public, private = paillier.keypair(2048, rng=random.Random(0))
    check_key(public, private, 2048)
    assert "NOT secure" in repr(public) and "seeded" in repr(public) and "NOT secure" in repr(private)


def test_course_lib_reproducible_mode_repeats_keys_and_labels_them(recwarn):
    with cl.reproducible(0):
        a, _ = paillier.keypair(64, insecure_small=True)
    with cl.reproducible(0):
        b, _ = paillier.keypair(64, insecure_small=True)
    assert a == b and "reproducible(0)" in repr(a) and "NOT secure" in repr(a)


def test_reproducible_mode_repeats_ciphertexts_too(recwarn):
    """For notebook output that is the same on every run: the r of each encryption comes from the seeded source."""
    runs = []
    for _ in range(2):
        with cl.reproducible(3):
            public, private = paillier.keypair(128, insecure_small=True)
            runs.append((public.n, public.encrypt(5).value, (public.encrypt(6) + 1).value))
    assert runs[0] == runs[1]


def test_secure_mode_gives_a_new_key_every_time_and_no_label(key2048):
    a, _ = paillier.keypair(256, insecure_small=True)
    b, _ = paillier.keypair(256, insecure_small=True)
    assert a != b
    assert "seeded" not in repr(a) and "256-bit n" in repr(a)
    assert "NOT secure" not in repr(key2048[0]) and "NOT secure" not in repr(key2048[1])
    system = paillier.keypair(64, insecure_small=True, rng=random.SystemRandom())[0]
    assert "seeded" not in repr(system)


def test_reprs_never_show_p_q_or_the_ciphertext(key2048, key512):
    for public, private in (key2048, key512):
        text = repr(private) + str(private) + repr(public)
        for secret in (private.p, private.q):
            assert str(secret) not in text and format(secret, "x") not in text
        c = public.encrypt(5)
        assert str(c.value) not in repr(c) and len(repr(c)) < 60
        assert "hidden" in repr(private)


# --------------------------------------------------------------------------------------------------------------------
# Bad input: a clear error that says what is wrong
# --------------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def k(key512, other512):
    """The names the bad-input cases use: a key, another key, and a ciphertext under the first."""
    (public, private), (other_public, other_private) = key512, other512
    return SimpleNamespace(
        public=public, private=private, other_public=other_public, other_private=other_private, c=public.encrypt(5)
    )


BAD_INPUTS = {
    "m negative": (lambda k: k.public.encrypt(-1), ValueError, r"\[0, n\).*n - \|m\|"),
    "m too big": (lambda k: k.public.encrypt(k.public.n), ValueError, r"must be in \[0, n\)"),
    "m is a bool": (lambda k: k.public.encrypt(True), TypeError, r"must be an integer, got bool"),
    "m is a float": (lambda k: k.public.encrypt(1.5), TypeError, r"got float.*Encoder"),
    "m is a string": (lambda k: k.public.encrypt("3"), TypeError, r"must be an integer, got str"),
    "r is zero": (lambda k: k.public.encrypt(1, r=0), ValueError, r"r must be in \[1, n\)"),
    "r shares a factor": (lambda k: k.public.encrypt(1, r=k.private.p), ValueError, r"gcd\(r, n\) == 1"),
    "mixing keys (add)": (lambda k: k.c + k.other_public.encrypt(1), ValueError, r"different keys"),
    "mixing keys (sub)": (lambda k: k.c - k.other_public.encrypt(1), ValueError, r"different keys"),
    "decrypt with the other key": (lambda k: k.other_private.decrypt(k.c), ValueError, r"another key"),
    "times a float": (lambda k: k.c * 1.5, TypeError, r"multiply a Ciphertext and an int, not float.*Encoder"),
    "times a Fraction": (lambda k: k.c * Fraction(1, 2), TypeError, r"not Fraction"),
    "float times": (lambda k: 0.5 * k.c, TypeError, r"not float"),
    "times a bool": (lambda k: k.c * True, TypeError, r"not bool"),
    "plus a float": (lambda k: k.c + 0.5, TypeError, r"add a Ciphertext and an int, not float"),
    "ciphertext times ciphertext": (lambda k: k.c * k.c, TypeError, r"only additively homomorphic"),
    "wrap n²": (lambda k: Ciphertext(k.public, k.public.nsquare), ValueError, r"\[0, n²\).*another key"),
    "wrap a negative": (lambda k: Ciphertext(k.public, -1), ValueError, r"\[0, n²\)"),
    "wrap a multiple of p": (lambda k: Ciphertext(k.public, k.private.p * 3), ValueError, r"coprime to n"),
    "wrap zero": (lambda k: Ciphertext(k.public, 0), ValueError, r"coprime to n"),
    "wrap a float": (lambda k: Ciphertext(k.public, 2.0), TypeError, r"must be an integer"),
    "wrap without a key": (lambda k: Ciphertext(k.public.n, 5), TypeError, r"needs a paillier.PublicKey"),
    "decrypt an int": (lambda k: k.private.decrypt(k.c.value), TypeError, r"wrap an integer ciphertext"),
    "key too small": (lambda k: paillier.keypair(1024), ValueError, r"minimum is 2048.*insecure_small=True"),
    "odd bits": (lambda k: paillier.keypair(63, insecure_small=True), ValueError, r"even number"),
    "bits far too small": (lambda k: paillier.keypair(8, insecure_small=True), ValueError, r"at least 16"),
    "bits a float": (lambda k: paillier.keypair(2048.0), TypeError, r"bits must be an integer.*2048"),
    "flag not a bool": (lambda k: paillier.keypair(64, insecure_small="yes"), TypeError, r"True or False"),
    "rng an int": (lambda k: paillier.keypair(64, insecure_small=True, rng=42), TypeError, r"random.Random"),
    "p not prime": (lambda k: paillier.keypair_from_primes(15, 13, insecure_small=True), ValueError, r"not prime"),
    "p equals q": (lambda k: paillier.keypair_from_primes(13, 13, insecure_small=True), ValueError, r"must differ"),
    "p, q of unequal lengths": (
        lambda k: paillier.keypair_from_primes(11, 131, insecure_small=True),
        ValueError,
        r"same bit length",
    ),
    "small primes without the flag": (lambda k: paillier.keypair_from_primes(11, 13), ValueError, r"insecure_small"),
}


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_bad_input_gets_a_clear_error(name, k):
    action, error, message = BAD_INPUTS[name]
    with pytest.raises(error, match=message):
        action(k)


# --------------------------------------------------------------------------------------------------------------------
# Signed fixed point, and overflow that is caught instead of silently wrong
# --------------------------------------------------------------------------------------------------------------------


@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False))
def test_encoder_round_trip_within_half_a_step(key512, x):
    public, private = key512
    enc = Encoder(public, precision_bits=16)
    assert abs(enc.decode(enc.encode(x)) - x) <= 2**-17 + abs(x) * 2**-52
    assert enc.decrypt(private, enc.encrypt(x)) == enc.decode(enc.encode(x))


@given(st.lists(st.integers(min_value=-(2**40), max_value=2**40), min_size=1, max_size=8), small)
def test_signed_sums_and_products_are_exact(key512, grid, k):
    public, private = key512
    enc = Encoder(public, precision_bits=12)
    values = [g / 2**12 for g in grid]  # on the fixed-point grid: the sums are exact
    total = sum((enc.encrypt(v) for v in values), public.encrypt(0))
    assert enc.decrypt(private, total) == sum(grid) / 2**12
    assert enc.decrypt(private, total * k) == sum(grid) * k / 2**12


def test_negatives_are_written_as_n_minus_x(key512):
    public, private = key512
    n = public.n
    assert paillier.encode_signed(-5, n) == n - 5
    assert paillier.decode_signed(n - 5, n) == -5
    assert paillier.decode_signed(5, n) == 5
    enc = Encoder(public, precision_bits=8)
    assert enc.encode(-1.5) == n - 384
    assert enc.decrypt(private, enc.encrypt(2.5) * -3) == -7.5


def test_a_sum_past_the_bound_lands_in_the_forbidden_band(key512):
    public, private = key512
    n = public.n
    enc = Encoder(public, precision_bits=0)
    top = enc.encrypt(n // 3)
    assert paillier.decode_signed(private.decrypt(top), n) == n // 3  # exact; Encoder.decode gives the float
    assert paillier.decode_signed(private.decrypt(-top), n) == -(n // 3)
    with pytest.raises(OverflowError, match="forbidden band"):
        enc.decrypt(private, top + top)
    with pytest.raises(OverflowError, match="forbidden band"):
        enc.decrypt(private, -top - top)
    with pytest.raises(OverflowError, match="max_abs"):
        enc.encode(n // 3 + 1)


def test_a_configured_bound_catches_overflow_early(key512):
    public, private = key512
    enc = Encoder(public, precision_bits=16, max_abs=1000)
    c = enc.encrypt(900.0)
    assert enc.decrypt(private, c) == 900.0
    with pytest.raises(OverflowError, match="overflowed"):
        enc.decrypt(private, c + c + c)
    assert enc.decrypt(private, c + c + c - enc.encrypt(900) - enc.encrypt(900)) == 900.0
    with pytest.raises(OverflowError, match="max_abs"):
        enc.encode(-1000.5)


@pytest.mark.parametrize(
    ("action", "error", "message"),
    [
        (lambda enc: enc.encode(float("nan")), ValueError, "finite"),
        (lambda enc: enc.encode(float("inf")), ValueError, "finite"),
        (lambda enc: enc.encode(True), TypeError, "real number"),
        (lambda enc: enc.encode("1.5"), TypeError, "real number"),
        (lambda enc: Encoder(enc.public, precision_bits=1.5), TypeError, "precision_bits must be an integer"),
        (lambda enc: Encoder(enc.public, precision_bits=-1), ValueError, "between 0 and"),
        (lambda enc: Encoder(enc.public, max_abs=2**600), ValueError, "at most n // 3"),
        (lambda enc: Encoder(enc.public, max_abs=float("nan")), TypeError, "finite"),
        (lambda enc: paillier.decode_signed(-1, enc.public.n), ValueError, r"\[0, n\)"),
        (lambda enc: paillier.encode_signed(1.0, enc.public.n), TypeError, "Encoder"),
        (lambda enc: paillier.decode_signed(1, enc.public.n, bound=enc.public.n), ValueError, "n // 3"),
    ],
)
def test_encoder_bad_input(key512, action, error, message):
    with pytest.raises(error, match=message):
        action(Encoder(key512[0]))


# --------------------------------------------------------------------------------------------------------------------
# Packing
# --------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("summands", "headroom"), [(1, 0), (2, 1), (3, 2), (4, 2), (5, 3), (8, 3), (9, 4)])
def test_headroom_is_ceil_log2_of_the_summands(key512, summands, headroom):
    packing = Packing(key512[0], value_bits=16, max_summands=summands)
    assert packing.headroom_bits == headroom == math.ceil(math.log2(summands))
    assert packing.slot_bits == 16 + headroom


def test_the_slot_limits_at_2048_bits(key2048):
    public, _ = key2048
    packing = Packing(public, value_bits=16, max_summands=3)
    assert packing.slot_bits == 18 and packing.slots_per_ciphertext == 2047 // 18 == 113
    assert packing.slots_per_ciphertext * packing.slot_bits <= public.bits - 1 < (113 + 1) * 18
    assert packing.ciphertexts_for(256) == 3 and packing.ciphertexts_for(226) == 2
    assert "113 slots" in repr(packing)


@given(
    st.integers(min_value=1, max_value=5),
    st.lists(st.integers(min_value=-(2**15), max_value=2**15 - 1), min_size=1, max_size=60),
    st.randoms(use_true_random=False),
)
def test_packed_plaintext_sums_are_exact(key512, summands, first, generator):
    public, _ = key512
    packing = Packing(public, value_bits=16, max_summands=5)
    vectors = [first] + [[generator.randrange(-(2**15), 2**15) for _ in first] for _ in range(summands - 1)]
    packed_sum = [sum(column) for column in zip(*(packing.encode(v) for v in vectors), strict=True)]
    assert all(p < public.n for p in packed_sum)  # no wrap mod n: the sum is an ordinary integer sum
    assert packing.decode(packed_sum, summands, length=len(first)) == [sum(c) for c in zip(*vectors, strict=True)]


@pytest.mark.parametrize("extreme", ["min", "max", "mixed"])
def test_encrypted_packed_sum_at_the_limit_is_exact(key512, extreme):
    public, private = key512
    packing = Packing(public, value_bits=8, max_summands=4)
    length = packing.slots_per_ciphertext * 2 + 5  # three ciphertexts, the last one padded
    generator = random.Random(extreme)
    if extreme == "min":
        vectors = [[-128] * length for _ in range(4)]
    elif extreme == "max":
        vectors = [[127] * length for _ in range(4)]
    else:
        vectors = [[generator.choice([-128, 127, 0, -1, generator.randrange(-128, 128)]) for _ in range(length)]]
        vectors += [[generator.randrange(-128, 128) for _ in range(length)] for _ in range(3)]
    packed = [packing.pack(v) for v in vectors]
    assert all(len(p) == 3 for p in packed)
    total = packing.add(*packed)
    assert packing.unpack(private, total, n_summands=4, length=length) == [sum(c) for c in zip(*vectors, strict=True)]
    assert packing.unpack(private, packed[0], length=length) == vectors[0]


def test_beyond_the_limit_is_refused(key512):
    public, private = key512
    packing = Packing(public, value_bits=8, max_summands=3)
    packed = [packing.pack([127] * 10) for _ in range(5)]
    with pytest.raises(ValueError, match="at most 3 summands"):
        packing.add(*packed[:4])
    with pytest.raises(ValueError, match="at most 3 summands"):
        packing.decode([0], n_summands=4)
    # summing by hand, past add()'s check: 5 maxima (5 · 255 = 1275) do not fit in a 10-bit slot and carry over
    overflowing = [sum(column, public.encrypt(0)) for column in zip(*packed, strict=True)]
    assert 5 * (127 + packing.bias) >= 2**packing.slot_bits
    with pytest.raises(ValueError, match="at most 3 summands"):
        packing.unpack(private, overflowing, n_summands=5)
    # and claiming a smaller count does not make it right: the carries have already corrupted the slots
    assert packing.unpack(private, overflowing, n_summands=3, length=10) != [5 * 127] * 10


def test_decode_notices_a_wrong_summand_count(key512):
    packing = Packing(key512[0], value_bits=8, max_summands=3)
    two = [a + b for a, b in zip(packing.encode([127] * 4), packing.encode([127] * 4), strict=True)]
    assert packing.decode(two, n_summands=2, length=4) == [254] * 4
    with pytest.raises(ValueError, match="more than a sum of n_summands=1 packings can: is n_summands right"):
        packing.decode(two, n_summands=1)


@pytest.mark.parametrize(
    ("action", "error", "message"),
    [
        (lambda pk: Packing(pk, value_bits=8).encode([128]), ValueError, r"not fit in 8 signed bits \[-128, 127\]"),
        (lambda pk: Packing(pk, value_bits=8).encode([-129]), ValueError, "does not fit"),
        (lambda pk: Packing(pk).encode([0.5]), TypeError, r"values\[0\] must be an integer.*Quantise"),
        (lambda pk: Packing(pk).encode("12"), TypeError, "list of ints"),
        (lambda pk: Packing(pk, value_bits=1), ValueError, "at least 2"),
        (lambda pk: Packing(pk, max_summands=0), ValueError, "at least 1"),
        (lambda pk: Packing(pk, value_bits=600), ValueError, "does not fit in a 512-bit n"),
        (lambda pk: Packing(pk, max_summands=2.5), TypeError, "max_summands must be an integer"),
        (lambda pk: Packing(pk).decode([pk.n - 1], 1), ValueError, "not a sum of packings"),
        (lambda pk: Packing(pk).decode([0], 1, length=10**6), ValueError, "length must be between"),
        (lambda pk: Packing(pk).add([pk.encrypt(1)], [pk.encrypt(1), pk.encrypt(2)]), ValueError, "same number"),
        (lambda pk: Packing(pk.n), TypeError, "needs a paillier.PublicKey"),
    ],
)
def test_packing_bad_input(key512, action, error, message):
    with pytest.raises(error, match=message):
        action(key512[0])
