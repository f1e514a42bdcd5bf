"""Chapter 08: every sentence saying what a party sees, holds or learns, or what a scheme guarantees, has a test here.

Each test names the notebook section and quotes the claim it backs. The evidence is the library doing what the
notebook does, on smaller jobs (16 values per hospital instead of 256, so the file runs in a few seconds), with seeded
keys: a spy on `PrivateKey.decrypt` records what the key holder decrypts; the server's whole object graph is searched
for anything that could decrypt; attacks are written as functions that receive only public values.
"""

from __future__ import annotations

import math
import random

import pytest
import torch

import course_lib as cl
from course_lib import paillier, secagg
from course_lib.paillier import AggregationServer, Ciphertext, Packing, PrivateKey, PublicKey

HOSPITALS, VALUES, PRECISION = 3, 16, 12


@pytest.fixture(scope="module")
def alice():
    """A 2048-bit key, as in the notebook (seeded: the test is deterministic)."""
    return paillier.keypair(2048, rng=random.Random(8))


@pytest.fixture(scope="module")
def small():
    return paillier.keypair(512, insecure_small=True, rng=random.Random(512))


@pytest.fixture(scope="module")
def quantised():
    """Gradient-like values, quantised as in the notebook: round(x · 2^12), |x| < 0.6."""
    generator = random.Random(0)
    return [[round(generator.uniform(-0.6, 0.6) * 2**PRECISION) for _ in range(VALUES)] for _ in range(HOSPITALS)]


def _round(public, private, quantised):
    """Section 3's round: each hospital encrypts and uploads; the server adds; Alice decrypts the totals.
    Returns (server, totals, what Alice decrypted)."""
    server = AggregationServer(public)
    for k, values in enumerate(quantised, start=1):
        server.receive(f"hospital {k}", [public.encrypt(paillier.encode_signed(v, public.n)) for v in values])
    decrypted = []
    original = PrivateKey.decrypt

    def spy(self, c):
        decrypted.append(c)
        return original(self, c)

    PrivateKey.decrypt = spy
    try:
        encrypted_totals = server.total()
        totals = [paillier.decode_signed(private.decrypt(c), public.n) for c in encrypted_totals]
    finally:
        PrivateKey.decrypt = original
    return server, encrypted_totals, totals, decrypted


def _everything_in(obj, seen=None):
    """Every object reachable from `obj` through attributes, dicts, lists and tuples."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return
    seen.add(id(obj))
    yield obj
    children = []
    if isinstance(obj, dict):
        children = [*obj.keys(), *obj.values()]
    elif isinstance(obj, (list, tuple, set, frozenset)):
        children = list(obj)
    elif hasattr(obj, "__dict__"):
        children = list(vars(obj).values())
    if hasattr(type(obj), "__slots__"):
        children += [getattr(obj, name) for name in type(obj).__slots__ if hasattr(obj, name)]
    for child in children:
        yield from _everything_in(child, seen)


# ----- section 1: the algebra --------------------------------------------------------------------------------------
@pytest.mark.parametrize("p, q", [(11, 13), (1009, 1013), (65521, 65519)])
def test_powers_of_one_plus_n_are_one_plus_m_n(p, q):
    """§1: "(1 + n)^m = 1 + m·n (mod n²) … only m mod n survives"; "multiplying two such numbers adds their
    exponents"."""
    n = p * q
    generator = random.Random(n)
    for m in [0, 1, 2, 5, n - 1, n, n + 57, *(generator.randrange(10 * n) for _ in range(20))]:
        assert pow(1 + n, m, n * n) == 1 + (m % n) * n
    a, b = generator.randrange(n), generator.randrange(n)
    product = pow(1 + n, a, n * n) * pow(1 + n, b, n * n) % (n * n)
    assert (product - 1) // n == (a + b) % n


@pytest.mark.parametrize("p, q", [(11, 13), (1009, 1013)])
def test_lambda_turns_every_mask_into_one(p, q):
    """§1: "raising to the power λ = lcm(p − 1, q − 1) … turns every mask into 1 modulo n²" (every r coprime to n)."""
    n, lam = p * q, math.lcm(p - 1, q - 1)
    candidates = range(1, n) if n < 200 else random.Random(n).sample(range(1, n), 500)
    for r in candidates:
        if math.gcd(r, n) == 1:
            assert pow(pow(r, n, n * n), lam, n * n) == 1


def test_lambda_kills_masks_at_512_bits_too(small):
    public, private = small
    lam = math.lcm(private.p - 1, private.q - 1)
    for _ in range(5):
        assert pow(pow(public.random_r(), public.n, public.nsquare), lam, public.nsquare) == 1


# ----- section 2: encryption is randomised, keys do not print their secrets ----------------------------------------
def test_equal_plaintexts_give_unrelated_ciphertexts(alice):
    """§2: "Three encryptions of the same 42, three unrelated-looking numbers: a fresh r each time"."""
    public, private = alice
    ciphertexts = [public.encrypt(42) for _ in range(5)]
    assert len({c.value for c in ciphertexts}) == 5
    assert all(private.decrypt(c) == 42 for c in ciphertexts)


def test_printouts_never_show_p_q_or_n(alice):
    """§2: "Neither printout shows p, q or n in full"."""
    public, private = alice
    c = public.encrypt(7)
    for text in (repr(public), repr(private), repr(c)):
        for secret in (private.p, private.q, public.n, c.value):
            assert str(secret)[:20] not in text and hex(secret)[2:22] not in text


# ----- section 3: the server holds no key; Alice decrypts only the totals --------------------------------------------
def test_the_server_refuses_the_private_key(alice):
    """§3: "it is built from the public key and refuses the private one"."""
    with pytest.raises(TypeError, match="public key only"):
        AggregationServer(alice[1])


def test_the_server_holds_only_the_public_key_and_ciphertexts(alice, quantised):
    """§3: "nothing it ever holds can decrypt"; "The server sees the public key and ciphertexts"."""
    public, private = alice
    server, _, _, _ = _round(public, private, quantised)
    secrets_ = {private.p, private.q, private.lam, private.mu, private.hp, private.hq}
    kinds = set()
    for thing in _everything_in(server):
        assert not isinstance(thing, PrivateKey)
        if isinstance(thing, int) and not isinstance(thing, bool):
            assert thing not in secrets_
            public_multiples = (public.n, public.nsquare)  # n and n² are public; nothing else may share p or q
            assert thing in public_multiples or math.gcd(thing, public.n) == 1, "an int sharing a factor with n"
        kinds.add(type(thing).__name__)
    assert kinds <= {"AggregationServer", "PublicKey", "Ciphertext", "dict", "tuple", "str", "int"}, kinds
    assert {"PublicKey", "Ciphertext"} <= kinds


def test_alice_decrypts_the_totals_and_nothing_else(alice, quantised):
    """§3: "Alice sees the 256 totals and nothing else"; "Alice's totals equal the sums of the quantised gradients
    exactly"."""
    public, private = alice
    server, encrypted_totals, totals, decrypted = _round(public, private, quantised)
    assert decrypted == encrypted_totals and len(decrypted) == VALUES
    uploaded = {c.value for sender in server.senders for c in server.upload_of(sender)}
    assert not uploaded & {c.value for c in decrypted}  # no single hospital's ciphertext reached her
    assert totals == [sum(column) for column in zip(*quantised, strict=True)]


def test_encryptions_of_the_padding_zeros_all_differ(alice):
    """§3: "Twenty-four encryptions of the same 0 are 24 different numbers: the server cannot even tell which values
    are padding"."""
    public, _ = alice
    assert len({public.encrypt(0).value for _ in range(24)}) == 24


def test_collusion_alice_reads_any_upload_the_server_hands_her(alice, quantised):
    """§3: "if the server passed her one hospital's upload, she would read it as easily as the totals"."""
    public, private = alice
    server, _, _, _ = _round(public, private, quantised)
    upload = server.upload_of("hospital 2")
    assert [paillier.decode_signed(private.decrypt(c), public.n) for c in upload] == quantised[1]


def test_the_quantisation_error_is_at_most_half_a_step_per_hospital():
    """§3: "the only error is the quantisation, at most half a step per hospital" (3 × 2^-13 for 3 hospitals)."""
    generator = torch.Generator().manual_seed(3)
    grads = (torch.rand(HOSPITALS, 256, generator=generator, dtype=torch.float64) - 0.5).tolist()
    quantised = [[round(x * 2**PRECISION) for x in g] for g in grads]
    totals = [sum(column) for column in zip(*quantised, strict=True)]
    floats = [sum(column) for column in zip(*grads, strict=True)]
    assert max(abs(t / 2**PRECISION - f) for t, f in zip(totals, floats, strict=True)) <= HOSPITALS * 2**-13


# ----- section 4: packing ------------------------------------------------------------------------------------------
def _pack(values, value_bits, headroom):  # the notebook's from-scratch pack()
    slot_bits, bias = value_bits + headroom, 2 ** (value_bits - 1)
    return sum((v + bias) << (i * slot_bits) for i, v in enumerate(values))


def _unpack(packed, count, value_bits, headroom, summands=1):
    slot_bits, bias = value_bits + headroom, 2 ** (value_bits - 1)
    return [((packed >> (i * slot_bits)) % 2**slot_bits) - summands * bias for i in range(count)]


def test_without_headroom_a_packed_sum_is_silently_wrong():
    """§4: "With 2 bits of headroom, the packed sum unpacks to the column sums. Without headroom … the values come
    out wrong, without any error"."""
    small = [[127, -128, 5, 100], [120, -100, -5, 27], [127, -128, 0, 99]]
    sums = [sum(column) for column in zip(*small, strict=True)]
    assert _unpack(sum(_pack(v, 8, 2) for v in small), 4, 8, 2, summands=3) == sums
    wrong = _unpack(sum(_pack(v, 8, 0) for v in small), 4, 8, 0, summands=3)
    assert wrong != sums  # and nothing raised


def test_our_pack_is_packings_plaintext(alice, quantised):
    """§4: "Our pack gives the very same plaintext" as paillier.Packing."""
    public, _ = alice
    packing = Packing(public, value_bits=16, max_summands=3)
    values = [v for row in quantised for v in row] * 3  # 144 values: more than one ciphertext's 113 slots
    assert _pack(values[:113], 16, 2) == packing.encode(values)[0]
    assert _pack(values[113:], 16, 2) == packing.encode(values)[1] - sum(
        packing.bias << (i * 18) for i in range(len(values) - 113, 113)
    )  # the last plaintext is padded with zeros (stored as the bias)


def test_packing_sums_are_exact_at_the_limit_and_refused_beyond(alice):
    """§4: "Three hospitals sending the extreme values −32768 and 32767 still sum exactly"; "A fourth summand could
    overflow a slot, so Packing refuses it"."""
    public, private = alice
    packing = Packing(public, value_bits=16, max_summands=3)
    edges = [[packing.min_value, packing.max_value] * 60 for _ in range(3)]  # 120 values: two ciphertexts each
    uploads = [packing.pack(values) for values in edges]
    total = packing.unpack(private, packing.add(*uploads), n_summands=3, length=120)
    assert total == [-98304, 98301] * 60
    with pytest.raises(ValueError, match="at most 3 summands"):
        packing.add(*uploads, uploads[0])
    with pytest.raises(ValueError, match="at most 3 summands"):
        packing.unpack(private, packing.add(*uploads), n_summands=4)
    with pytest.raises(ValueError, match="does not fit in 16 signed bits"):
        packing.pack([32768])


def test_packing_counts_for_the_job(alice):
    """§4: 768 encryptions and 393,216 bytes unpacked, 9 and 4,608 packed: "85 times fewer encryptions and bytes"."""
    public, _ = alice
    packing = Packing(public, value_bits=16, max_summands=3)
    assert public.ciphertext_bytes == 512 and packing.slots_per_ciphertext == 113
    unpacked, packed = 3 * 256, 3 * packing.ciphertexts_for(256)
    assert (unpacked, packed) == (768, 9)
    assert (unpacked * 512, packed * 512) == (393_216, 4_608)
    assert unpacked // packed == 85


# ----- section 5: the cost table -----------------------------------------------------------------------------------
def test_secret_sharing_gives_the_same_totals_and_its_bytes():
    """§5: "Secret sharing encodes with the same 12 fractional bits, so its total must be the same numbers"; each
    hospital sends a share of its 256 values to each of 3 servers (18,432 bytes), the servers 6,144 to Alice."""
    generator = torch.Generator().manual_seed(5)
    vectors = [(torch.rand(256, generator=generator, dtype=torch.float64) - 0.5) for _ in range(3)]
    servers = [cl.VirtualWorker(f"server {k}") for k in (1, 2, 3)]
    with cl.reproducible(8, quiet=True):
        with cl.measure_cost() as upload:
            shared = [cl.share(v, *servers, precision_bits=PRECISION) for v in vectors]
        with cl.measure_cost() as adding:
            total = shared[0] + shared[1] + shared[2]
        with cl.measure_cost() as reveal:
            revealed = total.get()
    assert (upload.bytes, adding.bytes, adding.messages, reveal.bytes) == (18_432, 0, 0, 6_144)
    expected = [
        sum(round(x * 2**PRECISION) for x in column) for column in zip(*(v.tolist() for v in vectors), strict=True)
    ]
    assert (revealed * 2**PRECISION).round().long().tolist() == expected


def test_a_masked_value_is_as_large_as_a_plain_one():
    """§5: "a masked value is as large as a plain one (4 bytes), and the key exchange and Shamir shares come on
    top"."""
    generator = torch.Generator().manual_seed(6)
    vectors = [torch.rand(256, generator=generator) - 0.5 for _ in range(3)]
    with cl.reproducible(9, quiet=True):
        result = secagg.secure_sum(vectors, threshold=2, clip=8.0)
    rounds = result.bytes_per_round
    assert rounds["masked_input"]["to_server"] == 3 * 256 * 4
    assert result.bytes_per_client[0] > result.plain_bytes_per_client == 256 * 4


# ----- section 6: what Paillier cannot do ------------------------------------------------------------------------
def test_no_product_of_two_ciphertexts(alice):
    """§6: "there is no operation on E(a) and E(b) that gives E(a · b). course_lib refuses the operator"; "Multiplying
    two ciphertexts, as we saw, adds their plaintexts"."""
    public, private = alice
    c6, c7 = public.encrypt(6), public.encrypt(7)
    with pytest.raises(TypeError, match="cannot multiply two ciphertexts"):
        c6 * c7
    assert private.decrypt(Ciphertext(public, c6.value * c7.value % public.nsquare)) == 13


def _difference_from_ciphertexts(public: PublicKey, c1: int, c2: int) -> int | None:
    """What anyone with the public key and two ciphertext values computes: a − b if the quotient is 1 + k·n."""
    n, n2 = public.n, public.nsquare
    quotient = c1 * pow(c2, -1, n2) % n2
    if quotient % n != 1:
        return None
    k = (quotient - 1) // n
    return k - n if k > n // 2 else k


def test_reusing_r_reveals_a_minus_b_to_anyone(alice, quantised):
    """§6: "anyone holding the two ciphertexts and the public key can divide them … L gives a − b exactly, without
    the key"; "equal plaintexts give equal ciphertexts"."""
    public, _ = alice
    r = public.random_r()
    for a, b in [(quantised[0][0], quantised[1][0]), (-1261, -1384), (5, 5), (0, 2**40)]:
        c1 = public.encrypt(paillier.encode_signed(a, public.n), r=r).value
        c2 = public.encrypt(paillier.encode_signed(b, public.n), r=r).value
        assert _difference_from_ciphertexts(public, c1, c2) == a - b
        assert (c1 == c2) == (a == b)


def test_with_fresh_r_the_quotient_gives_nothing(alice, quantised):
    """§6: "With fresh randomness the same quotient is a random-looking number, not of the form 1 + k·n"."""
    public, _ = alice
    for a, b in [(quantised[0][0], quantised[1][0]), (5, 5), (0, 0)]:
        c1 = public.encrypt(paillier.encode_signed(a, public.n)).value
        c2 = public.encrypt(paillier.encode_signed(b, public.n)).value
        assert _difference_from_ciphertexts(public, c1, c2) is None


def test_anyone_can_change_what_a_ciphertext_hides(alice):
    """§6: "A man in the middle … can turn E(m) into E(m + 1000) or E(3·m)" with the public key alone, and "a
    tampered upload decrypts without complaint"."""
    public, private = alice
    upload = public.encrypt(paillier.encode_signed(-1261, public.n))
    intercepted = Ciphertext(PublicKey(public.n), upload.value)  # all an attacker has: n and the ciphertext
    shifted, tripled = intercepted + 1000, intercepted * 3
    assert shifted.value == upload.value * (1 + 1000 * public.n) % public.nsquare
    assert tripled.value == pow(upload.value, 3, public.nsquare)
    read = [paillier.decode_signed(private.decrypt(Ciphertext(public, c.value)), public.n) for c in (shifted, tripled)]
    assert read == [-261, -3783]
