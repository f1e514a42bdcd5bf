"""Every sentence of chapters 00-02 that says what a party sees, learns or holds, checked against the code.

Each test names the chapter and quotes (or paraphrases) the sentence it backs. What is opened comes from the runtime's
own log (`cl.record_openings()`), what is sent from its meters (`cl.measure_cost()`), and what a share is from
chi-square tests (`course_lib.stats`) at significance 0.001. Everything random runs under a fixed seed, so every test
gives the same verdict on every run (and none can fail by the luck of the draw).
"""

import math
import random
import threading
import warnings

import numpy as np
import pytest
import torch

import course_lib as cl
from course_lib import ring, sharing, stats
from course_lib.runtime import CALLER, RUNTIME
from course_lib.sharing import Q, decrypt, encrypt
from course_lib.widgets.party_view import PartyViewModel
from course_lib.widgets.share_explorer import ShareExplorerModel

alice, bob, carol, dave = (cl.VirtualWorker(name) for name in ("alice", "bob", "carol", "dave"))

BINS = 20
CRITICAL = stats.chi_square_critical(BINS - 1)  # 43.9: chance exceeds it once in 1000 experiments


def seeded(seed: int):
    return cl.reproducible(seed, quiet=True)


def assert_noise(counts_a, counts_b):
    """Both histograms flat, and alike: what a party sees does not depend on which secret it was."""
    critical = stats.chi_square_critical(len(counts_a) - 1)
    assert stats.chi_square_uniform(counts_a) < critical
    assert stats.chi_square_uniform(counts_b) < critical
    assert stats.chi_square_same(counts_a, counts_b) < critical


def bins_mod_q(values) -> list[int]:
    return stats.histogram(values, 0, Q, BINS)


def top_bits(ring_values: torch.Tensor, bits: int = 5) -> list[int]:
    """Histogram of the top `bits` bits of int64 ring elements (which slice of the ring each one falls in)."""
    top = (ring_values.reshape(-1) >> (64 - bits)) & (2**bits - 1)
    return torch.bincount(top, minlength=2**bits).tolist()


def low_bits(ring_values: torch.Tensor, bits: int = 5) -> list[int]:
    return torch.bincount(ring_values.reshape(-1) & (2**bits - 1), minlength=2**bits).tolist()


# ===== chapter 00 ====================================================================================================
def test_ch00_reproducible_warns_every_time_and_secure_does_not():
    """00: "Every call of cl.reproducible issues an InsecureRandomnessWarning ... every time, not once per session";
    "Switching to the secure source gives no warning"."""
    with pytest.warns(cl.InsecureRandomnessWarning) as record:
        with cl.reproducible(0):
            pass
        with cl.reproducible(0):
            pass
    assert len([w for w in record if w.category is cl.InsecureRandomnessWarning]) == 2
    assert all("NOT secure" in str(w.message) for w in record)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with cl.secure():
            pass


def test_ch00_the_same_seed_repeats_its_draws_and_the_secure_source_does_not():
    """00: "The same seed gives the same draws on every run"; the secure source: "nobody ... can repeat it"."""
    with seeded(0):
        first = [cl.rng.randbelow(100) for _ in range(5)]
    with seeded(0):
        second = [cl.rng.randbelow(100) for _ in range(5)]
    assert first == second == [49, 97, 53, 5, 33]  # the numbers chapter 00 prints
    with cl.secure():
        assert [cl.rng.randbelow(2**64) for _ in range(5)] != [cl.rng.randbelow(2**64) for _ in range(5)]


def test_ch00_a_new_thread_starts_in_the_secure_default():
    """00: "A thread started from here does not inherit it: it begins with the secure default"."""
    seen = []
    with seeded(0):
        thread = threading.Thread(target=lambda: seen.append(cl.is_secure()))
        thread.start()
        thread.join()
        assert not cl.is_secure()
    assert seen == [True]


def test_ch00_apart_from_what_is_opened_on_purpose_a_party_receives_only_noise():
    """00: "apart from the results we open on purpose, each of those numbers looks like random noise" -- a product of
    two shared tensors opens only masked values to the parties, and they do not depend on the data; the one
    deliberate reveal goes to the caller."""

    def opened(scale: float):
        with seeded(5), cl.record_openings() as log:
            x = cl.share(torch.full((4096,), scale), alice, bob, crypto_provider=carol)
            (x * x).get()
        return log

    small, large = opened(0.001), opened(1000.0)
    for log in (small, large):
        assert [o.kind for o in log] == ["masked", "masked", "revealed"]  # e = x - a, f = x - b, then the result
        assert [o.receivers for o in log] == [("alice", "bob"), ("alice", "bob"), (CALLER,)]
    for i in (0, 1):
        assert_noise(top_bits(small[i].value), top_bits(large[i].value))


def test_ch00_a_cheating_party_silently_changes_the_result():
    """00: "They do not protect against a party that cheats, for instance by sending a wrong number: the result is
    then silently wrong." Bob adds 1 to his share before the reveal: no error, a wrong answer."""
    with seeded(1):
        x = cl.share(torch.tensor([3.0, 4.0]), alice, bob)
        x.shares[1] += 1  # one unit in the last place: 2^-16
        assert torch.equal(x.get(), torch.tensor([3.0, 4.0]) + 2**-16)
        shares = list(encrypt(42))
        shares[1] = (shares[1] + 1) % Q
        assert decrypt(*shares) == 43


def test_ch00_the_dealer_holds_no_share_and_a_party_cannot_be_its_own_dealer():
    """00: "A dealer holds no share of the data ... course_lib refuses to let a party be its own dealer"."""
    x = cl.share(torch.ones(3), alice, bob, crypto_provider=carol)
    assert carol not in x.parties and x.shares.shape[0] == 2
    with pytest.raises(ValueError, match="holds no share"):
        x.share_of(carol)
    with pytest.raises(ValueError, match="both a party and the crypto provider"):
        cl.share(torch.ones(3), alice, carol, crypto_provider=carol)


def test_ch00_the_dealer_never_receives_anything(monkeypatch):
    """00: "Carol never receives any data, but she creates the randomness that masks it" -- every message of a
    product, a matrix product and a three-party truncation: Carol only ever sends, and only before the data matters
    (offline)."""
    sent = []
    original = RUNTIME.send

    def recording(senders, receivers, *sizes, offline=False):
        sent.append((tuple(senders), tuple(receivers), offline))
        return original(senders, receivers, *sizes, offline=offline)

    monkeypatch.setattr(RUNTIME, "send", recording)
    with seeded(2):
        x = cl.share(torch.ones(2, 3), alice, bob, crypto_provider=carol)
        y = cl.share(torch.ones(3, 2), alice, bob, crypto_provider=carol)
        (x * x).get(), (x @ y).get()
        z = cl.share(torch.ones(4), alice, bob, dave, crypto_provider=carol)
        (z * 0.5).get()  # three parties: truncation with a pair from the dealer
    assert sent and all("carol" not in receivers for _, receivers, _ in sent)
    from_carol = [(receivers, offline) for senders, receivers, offline in sent if "carol" in senders]
    assert from_carol and all(offline for _, offline in from_carol)


def test_ch00_what_is_revealed_beyond_results_is_sizes_and_the_sequence_of_operations():
    """00: "What is revealed on purpose: the results we choose to open, plus the sizes of the data and the sequence
    of operations" -- the traffic depends on the shapes and the operations, never on the values."""

    def traffic(values: torch.Tensor):
        with seeded(3), cl.measure_cost() as cost, cl.record_openings() as log:
            x = cl.share(values, alice, bob, crypto_provider=carol)
            (x * x + 1).get()
        return (cost.rounds, cost.messages, cost.bytes, cost.dealer_bytes), [(o.kind, o.shape) for o in log]

    assert traffic(torch.zeros(5)) == traffic(torch.full((5,), 12345.678))
    assert traffic(torch.zeros(5)) != traffic(torch.zeros(6))


# ===== chapter 01 ====================================================================================================
def test_ch01_q_is_not_a_prime_and_the_inverses_are_the_numbers_coprime_to_q():
    """01: "It is not a prime: 501337 = 43 · 89 · 131"; "such a v exists exactly when w and Q share no factor";
    "numbers in [1, Q) without an inverse: 20856"."""
    assert Q == sharing.Q == 43 * 89 * 131
    for w in (2, 3, 1000, 43 * 89 + 1):
        assert w * pow(w, -1, Q) % Q == 1
    for w in (43, 89, 131, 86, 43 * 131):
        with pytest.raises(ValueError):
            pow(w, -1, Q)
    assert sum(math.gcd(w, Q) != 1 for w in range(1, Q)) == Q - 1 - 42 * 88 * 130 == 20856


def test_ch01_each_share_alone_is_uniform_and_all_three_rebuild_the_secret():
    """01: "Each piece alone is a random number; all three together add up to x"."""
    with seeded(10):
        small = [encrypt(7) for _ in range(4000)]
        large = [encrypt(250_000) for _ in range(4000)]
    assert {decrypt(*s) for s in small} == {7} and {decrypt(*s) for s in large} == {250_000}
    for party in range(3):
        assert_noise(bins_mod_q([s[party] for s in small]), bins_mod_q([s[party] for s in large]))


def test_ch01_the_random_shares_never_depend_on_the_secret():
    """01: "Alice's share a and Bob's share b are drawn before anyone looks at x, so they cannot depend on it" --
    from the same randomness, two very different secrets get the same first n - 1 shares; only the last differs."""
    for n in (2, 3, 5):
        with seeded(11):
            one = encrypt(7, n_parties=n)
        with seeded(11):
            other = encrypt(250_000, n_parties=n)
        assert one[:-1] == other[:-1] and one[-1] != other[-1]


def test_ch01_bob_and_carol_pooled_see_the_secret_under_alices_share_and_that_is_noise():
    """01: "Bob and Carol together hold b and c, whose sum is x − a mod Q ... a one-time pad again"."""

    def pooled(secret):
        seen = []
        for _ in range(4000):
            a, b, c = encrypt(secret)
            assert decrypt(b, c) == (secret - a) % Q
            seen.append(decrypt(b, c))
        return bins_mod_q(seen)

    with seeded(12):
        assert_noise(pooled(7), pooled(250_000))


@pytest.mark.parametrize("pair", [(0, 1), (0, 2), (1, 2)], ids=["alice+bob", "alice+carol", "bob+carol"])
def test_ch01_any_two_shares_together_are_uniform(pair):
    """01: "any n − 1 shares taken together are uniform ... whichever two shares you hold, every one of the Q²
    possible pairs is equally likely" -- what a one-number histogram cannot show: a 5 × 5 grid over the PAIR."""

    def grid(secret):
        cells = []
        for _ in range(5000):
            shares = encrypt(secret)
            cells.append(5 * (shares[pair[0]] * 5 // Q) + shares[pair[1]] * 5 // Q)
        return stats.histogram(cells, 0, 25, 25)

    with seeded(13):
        assert_noise(grid(7), grid(250_000))


def test_ch01_the_copycat_scheme_passes_every_histogram_yet_alice_and_carol_read_the_secret():
    """01: "Every single share is still uniform, and so is every sum of two ..., yet Alice and Carol together compute
    2a + c = x" -- the histograms are evidence, not proof."""

    def copycat(secret):
        a = cl.rng.randbelow(Q)
        return a, a, (secret - 2 * a) % Q

    with seeded(14):
        small = [copycat(7) for _ in range(4000)]
        large = [copycat(250_000) for _ in range(4000)]
    for seen in (lambda s: s[2], lambda s: (s[0] + s[2]) % Q, lambda s: (s[1] + s[2]) % Q, lambda s: (s[0] + s[1]) % Q):
        assert_noise(bins_mod_q([seen(s) for s in small]), bins_mod_q([seen(s) for s in large]))
    assert {(2 * a + c) % Q for a, _, c in small} == {7}


def test_ch01_adding_and_scaling_shares_is_local():
    """01: "each party adds the two shares it holds ... Nobody sends anybody anything" -- party i's new share depends
    on party i's shares only: changing everybody else's leaves it as it was."""
    rnd = random.Random(15)
    for _ in range(50):
        x = [rnd.randrange(Q) for _ in range(3)]
        y = [rnd.randrange(Q) for _ in range(3)]
        w = rnd.randrange(Q)
        for i in range(3):
            x2, y2 = (
                [rnd.randrange(Q) if j != i else x[j] for j in range(3)],
                [rnd.randrange(Q) if j != i else y[j] for j in range(3)],
            )
            assert sharing.add(x, y)[i] == sharing.add(x2, y2)[i] == (x[i] + y[i]) % Q
            assert sharing.product(x, w)[i] == sharing.product(x2, w)[i] == x[i] * w % Q


def test_ch01_a_seeded_numpy_generator_lets_carol_read_the_message_alone():
    """01: "Carol read the whole message from her shares alone" (np.random seeded with the clock) -- and "There is no
    seed to guess, and no replay reproduces the shares" from the secure source. A 200-second window keeps it fast."""
    message, clock = "happy encrypting", 1_714_521_600 + 34_217

    def carol_attack(carol_shares, first_seed, n_seeds):
        replay, readable = np.random.RandomState(), []
        for seed in range(first_seed, first_seed + n_seeds):
            replay.seed(seed)
            codes = [(replay.randint(0, Q) + replay.randint(0, Q) + c) % Q for c in carol_shares]
            if all(32 <= code < 127 for code in codes):
                readable.append((seed, "".join(map(chr, codes))))
        return readable

    rs = np.random.RandomState(clock)  # the article's np.random.seed(clock), without touching the global generator
    careless = []
    for ch in message:
        a, b = rs.randint(0, Q), rs.randint(0, Q)
        careless.append((ord(ch) - a - b) % Q)
    assert carol_attack(careless, clock - 100, 200) == [(clock, message)]
    with cl.secure():
        safe = [encrypt(ord(ch))[2] for ch in message]
    assert carol_attack(safe, clock - 100, 200) == []


def test_ch01_course_libs_reproducible_mode_is_replayed_from_its_seed():
    """01: "It is a seeded Mersenne Twister too (Python's random), so anyone who knows the seed can replay it"."""
    with seeded(1234):
        shares = encrypt(31337)
    replay = random.Random(1234)
    assert (replay.randrange(Q) + replay.randrange(Q) + shares[2]) % Q == 31337


def test_ch01_opening_to_everyone_takes_n_times_n_minus_1_messages():
    """01: "opening a result to everyone takes n(n − 1) messages, since each party sends its share to each other
    party"."""
    for n in range(2, 8):
        group = cl.PartyGroup(tuple(cl.VirtualWorker(f"p{i}") for i in range(n)))
        shares = ring.share(torch.zeros(1, dtype=torch.int64), n)
        with cl.measure_cost() as cost:
            RUNTIME.open(group, shares)
        assert (cost.rounds, cost.messages) == (1, n * (n - 1))
        assert cost.bytes_sent_by == {f"p{i}": 8 * (n - 1) for i in range(n)}


@pytest.mark.parametrize("left_out", range(5))
def test_ch01_any_four_of_five_parties_pooled_see_noise_and_all_five_rebuild(left_out):
    """01: "whichever four of them pool their shares, they see noise"; "only all n together rebuild it"."""

    def pooled(secret):
        seen = []
        for _ in range(3000):
            shares = encrypt(secret, n_parties=5)
            assert decrypt(*shares) == secret
            seen.append(decrypt(*(s for i, s in enumerate(shares) if i != left_out)))
        return bins_mod_q(seen)

    with seeded(16):
        assert_noise(pooled(7), pooled(250_000))


def test_ch01_the_share_explorers_sum_without_carol_is_noise_that_never_saw_the_secret():
    """01, the share explorer: "The sum without Carol's share is noise too ... Alice's and Bob's shares are the two
    drawn at random" -- from the same randomness it is the same for any secret; all shares rebuild the secret."""
    with seeded(17):
        one = ShareExplorerModel(secret=5, draws=10)
    with seeded(17):
        other = ShareExplorerModel(secret=400_000, draws=10)
    assert one.missing_one == other.missing_one
    assert (one.decrypted, other.decrypted) == (5, 400_000)


# ===== chapter 02 ====================================================================================================
def test_ch02_exactly_the_odd_ring_elements_have_an_inverse():
    """02: "Mod 2^64 the rule is simpler: exactly the odd numbers have one" (and an int64 product checks it)."""
    rnd = random.Random(20)
    for _ in range(200):
        w = rnd.getrandbits(64)
        if w % 2:
            v = pow(w, -1, 2**64)
            signed = [u - 2**64 if u >= 2**63 else u for u in (w, v)]
            assert (torch.tensor([signed[0]]) * torch.tensor([signed[1]])).item() == 1
        else:
            with pytest.raises(ValueError):
                pow(w, -1, 2**64)


def test_ch02_each_row_is_noise_the_rows_rebuild_the_secret_and_only_the_last_row_sees_it():
    """02: "Each party's row is noise; the three rows together give back the secret"; row i is party i's share."""
    small, large = torch.full((8000,), 5), torch.full((8000,), -(2**62))
    with seeded(21):
        shares_small = ring.share(small, 3)
    with seeded(21):
        shares_large = ring.share(large, 3)
    assert torch.equal(ring.reconstruct(shares_small), small) and torch.equal(ring.reconstruct(shares_large), large)
    assert torch.equal(shares_small[:2], shares_large[:2])  # the random rows: drawn without looking at the secret
    for party in range(3):
        assert_noise(top_bits(shares_small[party]), top_bits(shares_large[party]))
        assert_noise(low_bits(shares_small[party]), low_bits(shares_large[party]))


def test_ch02_a_shared_tensor_shows_no_values_and_refuses_to_become_one():
    """02: "The repr names the shape and the parties, never the values"; "if x:, float(x) or x == 3 ... raise"."""
    with seeded(22):
        x = cl.share(torch.tensor([123456789.0, 3.0]), alice, bob)
    text = repr(x)
    assert "alice" in text and "bob" in text and "(2,)" in text
    assert "123456789" not in text and not any(str(v) in text for v in x.shares.reshape(-1).tolist())
    for reveal in (lambda: bool(x), lambda: float(x), lambda: x == 3):
        with pytest.raises(TypeError):
            reveal()


def test_ch02_two_party_shares_are_near_negatives_yet_each_alone_is_uniform():
    """02: "each of Alice's numbers is almost exactly Bob's with the sign flipped ... the two add up to the secret
    times 2^16 ... seeing that takes both shares ... Each share alone is uniform"."""
    with seeded(23):
        x = cl.share(torch.tensor([3, -1, 7, 250]), alice, bob)
    assert torch.equal(x.share_of(alice) + x.share_of(bob), torch.tensor([3, -1, 7, 250]) * 2**16)
    with seeded(24):
        small = cl.share(torch.full((8000,), 3), alice, bob)
        large = cl.share(torch.full((8000,), -(2.0**40)), alice, bob)
    for party in (alice, bob):
        assert_noise(top_bits(small.share_of(party)), top_bits(large.share_of(party)))


@pytest.mark.parametrize("pair", [(0, 1), (0, 2), (1, 2)], ids=["alice+bob", "alice+carol", "bob+carol"])
def test_ch02_any_two_of_three_pooled_see_noise_and_all_three_get_the_values(pair):
    """02: "Any two of the three pool their shares and still see noise; only all three together get the values"."""
    with seeded(25):
        small = cl.share(torch.full((8000,), 3.0), alice, bob, carol)
        large = cl.share(torch.full((8000,), -1e9), alice, bob, carol)
    pooled = [t.shares[pair[0]] + t.shares[pair[1]] for t in (small, large)]
    assert_noise(top_bits(pooled[0]), top_bits(pooled[1]))
    assert torch.equal(small.get(), torch.full((8000,), 3.0, dtype=torch.float64))


def test_ch02_get_returns_float64_unless_a_float_tensor_was_shared():
    """02: "get() keeps the dtype of a float tensor that was shared, and gives float64 for anything else"."""
    assert cl.share(torch.tensor([3, -1]), alice, bob).get().dtype == torch.float64
    assert cl.share([1, 2], alice, bob).get().dtype == torch.float64
    assert cl.share(2, alice, bob).get().dtype == torch.float64
    assert cl.share(torch.tensor([0.5], dtype=torch.float32), alice, bob).get().dtype == torch.float32


def test_ch02_local_operations_send_nothing_and_open_nothing():
    """02: shared + shared, shared + public ("one party, party 0, adds the public value"), shared × public whole
    number, public matrix @ shared ("each party multiplies W by its own share ... with no message")."""
    w = torch.tensor([[1, 0, -2], [3, 1, 0]])
    with seeded(26):
        x = cl.share(torch.tensor([3, -1, 7]), alice, bob, carol)
        y = cl.share(torch.tensor([1, 2, 3]), alice, bob, carol)
        m = cl.share(torch.tensor([[3, -1], [7, 250], [0, -42]]), alice, bob, carol)
        with cl.measure_cost() as cost, cl.record_openings() as log:
            total, plus_ten, times_three, product = x + y, x + 10, x * 3, w @ m
    assert (cost.rounds, cost.messages, cost.bytes, cost.dealer_bytes) == (0, 0, 0, 0) and log == []
    assert torch.equal(total.shares, x.shares + y.shares)
    assert not torch.equal(plus_ten.shares[0], x.shares[0]) and torch.equal(plus_ten.shares[1:], x.shares[1:])
    assert torch.equal(times_three.shares, x.shares * 3)
    assert torch.equal(product.shares, torch.stack([ring.ring_matmul(w, s) for s in m.shares]))
    assert product.get().tolist() == [[3.0, 83.0], [16.0, 247.0]]


def test_ch02_sharing_and_revealing_cost_one_round_each_and_the_reveal_goes_to_the_caller():
    """02: "each sharing sends Alice and Bob one 4 × 8 = 32-byte share each"; "Revealing is one round: each party
    sends its 32-byte share to whoever learns the result"."""
    with seeded(27), cl.measure_cost() as share_cost:
        x = cl.share(torch.tensor([1, 2, 3, 4]), alice, bob)
    with cl.measure_cost() as reveal_cost, cl.record_openings() as log:
        x.get()
    assert (share_cost.rounds, share_cost.messages, share_cost.bytes) == (1, 2, 64)
    assert share_cost.bytes_sent_by == {"data owner": 64}
    assert (reveal_cost.rounds, reveal_cost.messages, reveal_cost.bytes) == (1, 2, 64)
    assert reveal_cost.bytes_sent_by == {"alice": 32, "bob": 32}
    assert [(o.kind, o.receivers) for o in log] == [("revealed", (CALLER,))]


@pytest.mark.parametrize("n", [2, 3, 5])
def test_ch02_share_reveal_and_open_to_all_each_take_one_round(n):
    """02: "Sharing and revealing grow with n ... opening to everybody grows with n(n − 1) ... Every one of these is a
    single round" (784 values, 8 bytes each)."""
    workers = [cl.VirtualWorker(f"party{i}") for i in range(n)]
    image = torch.zeros(28, 28, dtype=torch.int64)
    with seeded(28):
        with cl.measure_cost() as c_share:
            img = cl.share(image, *workers)
        with cl.measure_cost() as c_reveal:
            img.get()
        with cl.measure_cost() as c_open, cl.record_openings() as log:
            img.group.runtime.open(img.group, img.shares)
    assert (c_share.rounds, c_share.messages, c_share.bytes) == (1, n, n * 6272)
    assert (c_reveal.rounds, c_reveal.messages, c_reveal.bytes) == (1, n, n * 6272)
    assert (c_open.rounds, c_open.messages, c_open.bytes) == (1, n * (n - 1), n * (n - 1) * 6272)
    assert [(o.kind, o.receivers) for o in log] == [("masked", tuple(w.id for w in workers))]


def test_ch02_shares_from_too_small_a_range_give_the_secrets_top_bits_away():
    """02: "Carol's share is then the secret minus a number below 2^33, so its top bits are the secret's top bits"."""
    gen = torch.Generator().manual_seed(29)
    for secret, top in ((5, 31), (-(2**62), 23)):
        small = torch.randint(0, 2**32, (2, 4000), generator=gen)
        carol_share = torch.full((4000,), secret) - small.sum(dim=0)
        counts = top_bits(carol_share)
        assert counts[top] == 4000  # every share in one slice of the ring: the slice of the secret


def test_ch02_ring_matmul_is_the_exact_product_mod_2_64():
    """02: "ring_matmul == int64 @" on a large product, with an inner dimension cut into chunks of 2048, and on
    batches; each entry is three digits of at most 2^21, so 2048 digit products stay within 2^53."""
    gen = torch.Generator().manual_seed(30)

    def ring_elements(*shape):
        return torch.randint(-(2**63), 2**63 - 1, shape, generator=gen)

    for left, right in [
        (ring_elements(64, 256), ring_elements(256, 64)),
        (ring_elements(8, 5000), ring_elements(5000, 8)),
        (ring_elements(3, 16, 128), ring_elements(3, 128, 32)),
        (ring_elements(300, 2048), ring_elements(2048)),
    ]:
        assert torch.equal(ring.ring_matmul(left, right), torch.matmul(left, right))
    values = ring_elements(10_000)
    d0, d1, d2 = ring._digits(values)
    assert max(float(d.abs().max()) for d in (d0, d1, d2)) <= 2**21
    assert torch.equal(d0.long() + (d1.long() << 22) + (d2.long() << 44), values)
    assert 2048 * 2**21 * 2**21 == 2**53


def test_ch02_a_virtual_worker_is_a_name_and_all_shares_live_in_this_process():
    """02: "A VirtualWorker is a name, not a separate computer: all the shares live in the memory of this one Python
    process, where we can print them"."""
    x = cl.share(torch.tensor([3, -1, 7, 250]), alice, bob, carol)
    assert x.shares.shape == (3, 4)
    for i, party in enumerate((alice, bob, carol)):
        assert torch.equal(x.share_of(party), x.shares[i])
    assert cl.VirtualWorker("alice") == alice


def test_ch02_the_party_view_shares_raw_ring_elements_and_its_pool_never_saw_the_secret():
    """02, the party view: "the shares add up exactly to your numbers" (no 2^16 scale), and "what all parties but the
    last see when they pool their shares (noise, though ... that pool holds only the randomly drawn shares)"."""
    with seeded(31):
        one = PartyViewModel("3, -1, 7, 250", n_parties=3)
    with seeded(31):
        other = PartyViewModel("-9000000000, 0, 1, 2", n_parties=3)
    assert one.revealed.tolist() == [3, -1, 7, 250] and torch.equal(ring.reconstruct(one.shares), one.revealed)
    assert torch.equal(one.without_last, other.without_last)
    assert (one.share_cost.messages, one.share_cost.bytes) == (3, 3 * 4 * 8)
    assert (one.reveal_cost.messages, one.reveal_cost.bytes) == (3, 3 * 4 * 8)
