"""Chapters 03 and 04: every sentence that says what a party sees, learns or holds, or what is opened, has a test here.

Each test names the cell (section heading) and quotes the claim it backs. Two kinds of evidence:
  * the runtime's own record: `cl.record_openings()` lists every value that left the shares ("masked" inside a protocol,
    "revealed" on purpose) with its receivers, and a spy on `runtime.send` lists who sent what to whom;
  * a measurement: the opened e, f and z are uniform and look the same whatever the secret (seeded chi-square tests on
    the top byte of every opened ring element, as in tests/test_openings.py, so they cannot flake).
Everything runs under a seeded source: deterministic, and well under a second or two in all.
"""

from __future__ import annotations

import pytest
import torch

import course_lib as cl
from course_lib import protocols, ring, stats
from course_lib.runtime import RUNTIME
from course_lib.sharing import Q, beaver_product, decrypt, encrypt

alice, bob, carol, dave = (cl.VirtualWorker(n) for n in ("alice", "bob", "carol", "dave"))
TWO, THREE = (alice, bob), (alice, bob, dave)
F = 16
UNIT = 2.0**-F
CRITICAL = stats.chi_square_critical(255)  # 255 degrees of freedom, significance 0.001


# ----- helpers ------------------------------------------------------------------------------------------------------
class RecordingDealer(cl.TrustedDealer):
    """A dealer that also keeps what it dealt (the values, not just the shares): what Carol knows."""

    def __init__(self, worker):
        super().__init__(worker)
        self.triples: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = []
        self.pairs: list[tuple[torch.Tensor, torch.Tensor]] = []

    def beaver_triple(self, op, x_shape, y_shape, n_parties):
        a, b, c = super().beaver_triple(op, x_shape, y_shape, n_parties)
        self.triples.append((ring.reconstruct(a), ring.reconstruct(b), ring.reconstruct(c)))
        return a, b, c

    def division_pair(self, shape, divisor, n_parties):
        r, r_divided = super().division_pair(shape, divisor, n_parties)
        self.pairs.append((ring.reconstruct(r), ring.reconstruct(r_divided)))
        return r, r_divided


def _shared(values, parties, dealer):
    """`values` shared among `parties`, served by `dealer` (the notebook's way to plug in a dealer of our own)."""
    group = cl.PartyGroup(parties, dealer)
    tensor = torch.as_tensor(values, dtype=torch.float64)
    return cl.SharedTensor(cl.share(tensor, *parties).shares, group, cl.FixedPointEncoder(F))


@pytest.fixture
def seeded():
    with cl.reproducible(2024, quiet=True):
        yield


@pytest.fixture
def messages(monkeypatch):
    """Every message the runtime sends, as (senders, receivers, offline)."""
    sent: list[tuple[tuple[str, ...], tuple[str, ...], bool]] = []
    original = RUNTIME.send

    def spy(senders, receivers, *sizes, offline=False):
        senders, receivers = tuple(senders), tuple(receivers)
        sent.append((senders, receivers, offline))
        return original(senders, receivers, *sizes, offline=offline)

    monkeypatch.setattr(RUNTIME, "send", spy)
    return sent


def _top_bytes(values: torch.Tensor) -> torch.Tensor:
    """How often each top byte occurs among the ring elements: 256 counts (flat for uniform elements)."""
    return torch.bincount((values.reshape(-1) >> 56) + 128, minlength=256).double()


def _flat(counts: torch.Tensor) -> float:
    expected = counts.sum() / len(counts)
    return float(((counts - expected) ** 2 / expected).sum())


def _alike(a: torch.Tensor, b: torch.Tensor) -> float:
    return stats.chi_square_same([int(v) for v in a.tolist()], [int(v) for v in b.tolist()])


def _assert_uniform_and_independent(small: torch.Tensor, large: torch.Tensor) -> None:
    counts_small, counts_large = _top_bytes(small), _top_bytes(large)
    assert _flat(counts_small) < CRITICAL
    assert _flat(counts_large) < CRITICAL
    assert _alike(counts_small, counts_large) < CRITICAL


def _masked(log):
    return [o for o in log if o.kind == "masked"]


# ===== chapter 03 ===================================================================================================
def test_ch03_crypto_provider_holds_no_share_and_receives_nothing(seeded, messages):
    """03 §4 (the crypto provider, defined where `crypto_provider=carol` first appears): Carol "never holds a share
    of the data" and never sees it; she only hands out correlated randomness (offline)."""
    x = cl.share(torch.tensor([1e5]), alice, bob, crypto_provider=carol)
    assert carol not in x.parties and x.group.crypto_provider == carol
    with pytest.raises(ValueError):
        x.share_of(carol)
    _ = (x * x) / 7, (cl.share(torch.ones(3), *THREE, crypto_provider=carol) * 0.5)
    assert all("carol" not in receivers for _, receivers, _ in messages)
    assert {offline for senders, _, offline in messages if "carol" in senders} == {True}  # only offline deliveries


def test_ch03_a_wrapped_product_is_seen_by_nobody(seeded):
    """03 §4 (silent overflow): "No error, no warning: nobody *can* notice, because nobody sees the values." The
    product of 1e5 and 1e5 opens only masked values; the (wrong) result leaves the shares only at get()."""
    x = cl.share(torch.tensor([1e5], dtype=torch.float64), *TWO, crypto_provider=carol)
    with cl.record_openings() as log:
        product = x * x
    assert [o.kind for o in log] == ["masked", "masked"]  # e and f of the Beaver product, nothing else
    encoded = x.encoder.encode(torch.tensor([1e5], dtype=torch.float64))
    assert not any(torch.equal(o.value, encoded) for o in log)
    with cl.record_openings() as log:
        assert product.get().item() == pytest.approx(1e10 - 3 * 2**32)
    assert [(o.kind, o.receivers) for o in log] == [("revealed", ("you",))]


def test_ch03_times_a_public_real_is_local_for_two_parties(seeded):
    """03 §5: multiplication by a public real "each party does alone" (its truncation too, with two parties)."""
    x = cl.share(torch.tensor([1.5, -2.25, 3.0]), *TWO, crypto_provider=carol)
    with cl.measure_cost() as cost, cl.record_openings() as log:
        y = x * 2.5
    assert log == [] and (cost.rounds, cost.messages, cost.dealer_messages) == (0, 0, 0)
    assert y.get().tolist() == [3.75, -5.625, 7.5]


def test_ch03_two_party_truncation_needs_no_message_and_no_dealer(seeded):
    """03 §6 and the deep-dive box: "two parties truncate locally ... No messages and no dealer: nothing new to
    trust", within one unit."""
    group = cl.PartyGroup(TWO)  # no dealer at all
    x = torch.randint(-(2**40), 2**40, (1000,), generator=torch.Generator().manual_seed(1))
    shares = ring.share(x, 2)
    with cl.measure_cost() as cost, cl.record_openings() as log:
        out = protocols.truncate_local(shares, F, group)
    assert log == [] and (cost.rounds, cost.messages, cost.dealer_messages) == (0, 0, 0)
    assert int((ring.reconstruct(out) - (x >> F)).abs().max()) <= 1


def test_ch03_two_party_truncation_fails_with_probability_about_x_over_2_64(seeded):
    """03 §6 (the rare failure), and the one result of the deep dive: it fails "with probability about |x|/2^64"."""
    x = torch.full((100_000,), 2**62, dtype=torch.int64)  # |x| / 2^64 = 1/4
    error = ring.reconstruct(protocols.truncate_local(ring.share(x, 2), F, cl.PartyGroup(TWO))) - (x >> F)
    assert 0.24 < float((error.abs() > 1).double().mean()) < 0.26


@pytest.mark.parametrize("parties", [THREE, (alice, bob, dave, cl.VirtualWorker("erin"))])
def test_ch03_pair_truncation_opens_one_masked_value_z(seeded, parties):
    """03 §8: the parties "open z = x + r (one round)"; "each party sends one int64 per value to each other party
    (n(n−1) messages), and Carol sends each party two shares per value ahead of time"."""
    n = len(parties)
    dealer = RecordingDealer(carol)
    x = torch.randint(-(2**40), 2**40, (500,), generator=torch.Generator().manual_seed(2))
    with cl.measure_cost() as cost, cl.record_openings() as log:
        out = protocols.truncate_with_pair(ring.share(x, n), F, cl.PartyGroup(parties, dealer))
    assert [(o.kind, o.shape, o.receivers) for o in log] == [("masked", (500,), tuple(p.id for p in parties))]
    ((r, r_shifted),) = dealer.pairs
    assert torch.equal(log[0].value, x + r)  # z = x + r, nothing else
    assert torch.equal(r_shifted, r >> F)
    assert (cost.rounds, cost.messages, cost.bytes) == (1, n * (n - 1), n * (n - 1) * 500 * 8)
    assert (cost.dealer_messages, cost.dealer_bytes) == (2 * n, n * 2 * 500 * 8)
    assert int((ring.reconstruct(out) - (x >> F)).abs().max()) <= 1


def test_ch03_opened_z_is_uniform_whatever_x(seeded):
    """03 §8: "r is uniform, so z is uniform too: a one-time pad that says nothing about x" (measured)."""

    def opened_z(value: int) -> torch.Tensor:
        shares = ring.share(torch.full((8192,), value, dtype=torch.int64), 3)
        with cl.record_openings() as log:
            protocols.truncate_with_pair(shares, F, cl.PartyGroup(THREE, cl.dealer_for(carol)))
        return log[0].value

    _assert_uniform_and_independent(opened_z(3), opened_z(2**61 + 12345))


def test_ch03_the_dealer_and_one_party_together_learn_x(seeded):
    """03 §8 (what this trusts): "Carol knows r, and every party sees z = x + r: if Carol and any one party pool what
    they know, they learn x = z − r"."""
    dealer = RecordingDealer(carol)
    x = _shared([1.5, -2.25], THREE, dealer)
    with cl.record_openings() as log:
        x * 0.5
    (z,), ((r, _),) = [o.value for o in log], dealer.pairs
    assert torch.equal(z - r, x.shares.sum(dim=0) * x.encoder.encode_number(0.5))  # x · 0.5 at scale 2^32


def test_ch03_three_party_product_opens_e_f_then_z_in_two_rounds(seeded):
    """03 §8 (three parties in course_lib): "Two rounds: one to open the Beaver-masked values of the multiplication,
    one to open z for the truncation"."""
    x = cl.share(torch.ones(4), *THREE, crypto_provider=carol)
    with cl.measure_cost() as cost, cl.record_openings() as log:
        x * x
    assert [(o.kind, o.shape) for o in log] == [("masked", (4,))] * 3
    assert all(o.receivers == ("alice", "bob", "dave") for o in log)
    assert (cost.rounds, cost.messages) == (2, 3 * 2 * 2 + 3 * 2)  # e and f: two messages per ordered pair; then z


@pytest.mark.parametrize(
    "operation, divide",
    [("x / 7", lambda t: t / 7), ("x.mean()", lambda t: t.mean()), ("x / 2.5", lambda t: t / 2.5)],
)
def test_ch03_division_by_a_public_number_is_truncation_again(seeded, operation, divide):
    """03 §8 (dividing by any public number): "local with two parties: nothing opened, no message; among three, one
    round that opens one masked value, z = x + r"; within about one unit of the exact quotient."""
    values = torch.tensor([100.0, -3.5, 1234.5678, 0.75, -42.0, 7.0], dtype=torch.float64)
    exact = divide(values)
    for parties, opened in ((TWO, []), (THREE, ["masked"])):
        x = cl.share(values, *parties, crypto_provider=carol)
        with cl.measure_cost() as cost, cl.record_openings() as log:
            out = divide(x)
        assert [o.kind for o in log] == opened
        assert cost.rounds == len(opened)
        error = (out.get() - exact).abs().max().item()
        assert error < (2 if operation != "x / 2.5" else 40) * UNIT  # 2.5's reciprocal: 17 significant bits


# ===== chapter 04 ===================================================================================================
def test_ch04_mod_q_product_opens_exactly_x_minus_a_and_y_minus_b(seeded):
    """04 §3: "Both now know e and f, and nothing else new"; e = x − a, f = y − b; the z_i add up to x·y."""
    x_sh, y_sh = encrypt(6, 2), encrypt(7, 2)
    a, b = 397386, 466744
    triple = (encrypt(a, 2), encrypt(b, 2), encrypt(a * b % Q, 2))
    run = beaver_product(x_sh, y_sh, triple)
    assert (run.e, run.f) == ((6 - a) % Q, (7 - b) % Q)
    assert decrypt(*run.z_shares) == 42


def test_ch04_the_opened_e_mod_q_is_uniform_whatever_x(seeded):
    """04 §4: "whether x is 6 or 400000, the opened e is spread evenly over the whole clock" (here on 20 bins)."""

    def opened_e(secret):
        return [
            decrypt(
                *((xi - ai) % Q for xi, ai in zip(encrypt(secret, 2), encrypt(cl.rng.randbelow(Q), 2), strict=True))
            )
            for _ in range(4000)
        ]

    small, large = stats.histogram(opened_e(6), 0, Q, 20), stats.histogram(opened_e(400_000), 0, Q, 20)
    critical = stats.chi_square_critical(19)
    assert stats.chi_square_uniform(small) < critical and stats.chi_square_uniform(large) < critical
    assert stats.chi_square_same(small, large) < critical


def test_ch04_a_product_opens_e_and_f_to_both_parties_and_reveals_nothing(seeded):
    """04 §2 step 3 and §8: Alice and Bob "open e = x − a and f = y − b", one round; "what does get revealed is the
    product, and only when the parties decide to open z" (get())."""
    dealer = RecordingDealer(carol)
    x, y = _shared([1.5, -2.25, 3.0], TWO, dealer), _shared([2.0, 0.5, -1.25], TWO, dealer)
    with cl.measure_cost() as cost, cl.record_openings() as log:
        z = x * y
    ((a, b, c),) = dealer.triples
    assert [(o.kind, o.receivers) for o in log] == [("masked", ("alice", "bob"))] * 2
    e, f = (o.value for o in log)
    assert torch.equal(e, x.shares.sum(dim=0) - a) and torch.equal(f, y.shares.sum(dim=0) - b)
    assert (cost.rounds, cost.messages) == (1, 4)  # e and f are two messages, each way
    assert not any(torch.equal(o.value, c) for o in log)  # 04 §10(c): "The parties never see c"
    with cl.record_openings() as log:
        z.get()
    assert [(o.kind, o.receivers) for o in log] == [("revealed", ("you",))]


def test_ch04_opened_e_and_f_on_the_ring_are_uniform_whatever_the_secrets(seeded):
    """04 §4 and §8: e and f are uniform "whatever x is" — Alice "could have drawn every one of these numbers herself"
    (measured on the ring, elementwise and matrix products)."""

    def opened(value: float, matrix: bool) -> torch.Tensor:
        shape = (64, 64) if matrix else (8192,)
        x = cl.share(torch.full(shape, value, dtype=torch.float64), *TWO, crypto_provider=carol)
        with cl.record_openings() as log:
            x @ x if matrix else x * x
        return torch.cat([o.value.reshape(-1) for o in log])

    for matrix in (False, True):
        _assert_uniform_and_independent(opened(0.001, matrix), opened(1000.0, matrix))


def test_ch04_a_matrix_product_opens_e_and_f_once_each(seeded):
    """04 §7: a matrix triple opens E (M×K) and F (K×N); "every entry is opened only once, masked by its own entry
    of A or B"; Carol sends shares of A, B and C, "the size of the inputs and the output"."""
    dealer = RecordingDealer(carol)
    x, y = _shared(torch.ones(10, 20), TWO, dealer), _shared(torch.ones(20, 30), TWO, dealer)
    with cl.measure_cost() as cost, cl.record_openings() as log:
        x @ y
    ((a, b, _),) = dealer.triples
    assert [(o.kind, o.shape) for o in log] == [("masked", (10, 20)), ("masked", (20, 30))]
    assert torch.equal(log[0].value, x.shares.sum(dim=0) - a) and torch.equal(log[1].value, y.shares.sum(dim=0) - b)
    assert cost.bytes == 2 * (10 * 20 + 20 * 30) * 8
    assert cost.dealer_bytes == 2 * (10 * 20 + 20 * 30 + 10 * 30) * 8


def test_ch04_carol_sends_and_never_receives(seeded, messages):
    """04 §8: "Carol sends and never receives"; §1: "Carol no longer holds a share of the data"."""
    x = cl.share(torch.ones(3), *TWO, crypto_provider=carol)
    (x * x).get()
    (x.reshape(3, 1) @ x.reshape(1, 3)).get()
    assert all("carol" not in receivers for _, receivers, _ in messages)
    assert any("carol" in senders for senders, _, _ in messages)


@pytest.mark.parametrize(
    "parties, shapes, row",
    [
        (TWO, ((100,), (100,)), (1, 4, 3_200, 4_800)),
        (TWO, ((10, 20), (20, 30)), (1, 4, 12_800, 17_600)),
        (THREE, ((100,), (100,)), (2, 18, 14_400, 12_000)),
        (THREE, ((10, 20), (20, 30)), (2, 18, 52_800, 40_800)),
    ],
)
def test_ch04_the_cost_table(seeded, parties, shapes, row):
    """04 §9: rounds, messages (one per opened value per receiver), bytes, dealer bytes, as the table prints them."""
    x = cl.share(torch.ones(shapes[0]), *parties, crypto_provider=carol)
    y = cl.share(torch.ones(shapes[1]), *parties, crypto_provider=carol)
    with cl.measure_cost() as cost:
        _ = x @ y if len(shapes[0]) == 2 else x * y
    assert (cost.rounds, cost.messages, cost.bytes, cost.dealer_bytes) == row


def test_ch04_a_colluding_dealer_unmasks_the_inputs(seeded):
    """04 §10(a): "whoever learns a and b reads every input of that product": x = e + a, y = f + b."""
    dealer = RecordingDealer(carol)
    x, y = _shared([6.0, -1.5], TWO, dealer), _shared([7.0, 0.25], TWO, dealer)
    with cl.record_openings() as log:
        x * y
    ((a, b, _),) = dealer.triples
    e, f = (o.value for o in log)
    assert x.encoder.decode(e + a).tolist() == [6.0, -1.5] and x.encoder.decode(f + b).tolist() == [7.0, 0.25]


def test_ch04_share_refuses_a_crypto_provider_among_the_parties():
    """04 §10(a): "`cl.share` refuses a crypto provider that is also one of the parties"."""
    with pytest.raises(ValueError, match="both a party and the crypto provider"):
        cl.share(torch.ones(2), alice, carol, crypto_provider=carol)


def test_ch04_a_reused_triple_gives_away_the_difference(seeded):
    """04 §10(b): with the same a twice, "anyone who saw both computes e1 − e2 = x1 − x2: the mask cancels"."""

    class LazyDealer(cl.TrustedDealer):
        def beaver_triple(self, op, x_shape, y_shape, n_parties):
            if not hasattr(self, "kept"):
                self.kept = super().beaver_triple(op, x_shape, y_shape, n_parties)
            return self.kept

    lazy = LazyDealer(carol)
    x1, x2, w = _shared([123.5], TWO, lazy), _shared([7.25], TWO, lazy), _shared([1.0], TWO, lazy)
    with cl.record_openings() as log:
        x1 * w
        x2 * w
    e1, e2 = log[0].value, log[2].value
    assert x1.encoder.decode(e1 - e2).item() == 123.5 - 7.25


def test_ch04_the_dealer_hands_out_each_triple_once_and_charges_it_when_handed_out(seeded):
    """04 §9 (a note on Carol's side): triples are made in batches (up to 64 for small shapes) but "each triple is
    still used exactly once", and "the counter charges each triple when it is handed out"."""
    dealer = cl.TrustedDealer(carol)
    masks = [ring.reconstruct(dealer.beaver_triple(torch.mul, (4,), (4,), 2)[0]) for _ in range(130)]
    assert len({tuple(m.tolist()) for m in masks}) == 130  # 130 triples, three batches, none handed out twice
    x = _shared(torch.ones(4), TWO, dealer)
    with cl.measure_cost() as cost:
        x * x
    assert cost.dealer_bytes == 2 * 3 * 4 * 8  # one triple's shares (a, b, c) to each of 2 parties, not a batch


def test_ch04_a_careless_dealer_shifts_every_product_by_its_error(seeded):
    """04 §10(c): the notebook's `CarelessDealer(cl.TrustedDealer)` (c one unit too large at scale 2^32) makes every
    product exactly 1.0 too large; "Nothing fails, nothing warns"."""

    class CarelessDealer(cl.TrustedDealer):
        def beaver_triple(self, op, x_shape, y_shape, n_parties):
            a, b, c = super().beaver_triple(op, x_shape, y_shape, n_parties)
            c = c.clone()
            c[0] += 2**32
            return a, b, c

    careless = CarelessDealer(carol)
    x, y = _shared([2.0, 3.0, -1.5], TWO, careless), _shared([4.0, 0.5, 2.0], TWO, careless)
    assert (x * y).get().tolist() == [9.0, 2.5, -2.0]


def test_ch04_batches_hold_up_to_64_triples_fewer_for_large_shapes(seeded, monkeypatch):
    """04 §9 (a note on Carol's side): "makes triples ahead of time in batches (up to 64 at once, fewer for large
    shapes ...)"."""
    dealer = cl.TrustedDealer(carol)
    batches: list[int] = []
    original = cl.TrustedDealer._random_shared

    def spy(shape, n_parties):
        batches.append(shape[0])
        return original(shape, n_parties)

    monkeypatch.setattr(dealer, "_random_shared", spy)
    for _ in range(130):
        dealer.beaver_triple(torch.mul, (4,), (4,), 2)
    assert batches[::2] == [64, 64, 64]  # a and b are drawn per batch: 130 triples come from three batches
    batches.clear()
    dealer.beaver_triple(ring.ring_matmul, (100, 100), (100, 100), 2)
    assert batches[::2] == [1]


def test_ch04_a_triple_made_in_seeded_mode_is_never_used_after_secure():
    """04 §9 (a note on Carol's side): "the stock is kept apart for each source of randomness, so a triple made in
    seeded mode is never used after `cl.secure()`"."""

    def mask(dealer):
        return tuple(ring.reconstruct(dealer.beaver_triple(torch.mul, (4,), (4,), 2)[0]).tolist())

    reference = cl.TrustedDealer(carol)
    with cl.reproducible(5, quiet=True):
        seeded_batch = {mask(reference) for _ in range(64)}  # the whole batch a seeded source makes
    dealer = cl.TrustedDealer(carol)
    with cl.reproducible(5, quiet=True):
        assert mask(dealer) in seeded_batch  # the same batch, first item taken; 63 left in stock
    cl.secure()
    assert all(mask(dealer) not in seeded_batch for _ in range(64))


def test_dealer_for_is_the_dealer_cl_share_uses():
    """03 §8 and 04 §6: `cl.dealer_for(carol)` is "this process's one `TrustedDealer` for Carol, the same one that
    `cl.share(..., crypto_provider=carol)` uses"; `CarelessDealer(carol)` (a `cl.TrustedDealer(carol)`) is another."""
    x = cl.share(torch.ones(2), *TWO, crypto_provider=carol)
    assert x.group.dealer is cl.dealer_for(carol) is cl.dealer_for(cl.VirtualWorker("carol"))
    assert cl.TrustedDealer(carol) is not cl.dealer_for(carol)
