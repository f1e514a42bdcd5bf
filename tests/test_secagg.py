"""Secure aggregation (chapter 07): every step on its own, then the protocol with dropouts, privacy and bad inputs."""

from __future__ import annotations

import itertools
import math
import random
from collections import Counter

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import course_lib as cl
from course_lib import secagg
from course_lib.secagg import keys, protocol, quantisation, shamir
from course_lib.stats import chi_square_critical, chi_square_same, chi_square_uniform


def _updates(n: int, shape=(5,), seed: int = 0, scale: float = 1.0) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return [scale * torch.randn(shape, generator=g, dtype=torch.float64) for _ in range(n)]


def _close(result: secagg.SecureSumResult, updates: list[torch.Tensor]) -> None:
    expected = torch.stack([updates[i].double() for i in result.included]).sum(dim=0)
    error = (result.total.double() - expected).abs().max().item()
    # stochastic rounding: < one step per client; plus float32 rounding of the total when inputs are float32
    assert error < result.max_error + 1e-6 * (1 + expected.abs().max().item()), (error, result.max_error)


# --- step 1: quantisation ------------------------------------------------------------------------------------------


@given(
    st.lists(st.floats(-10, 10, allow_nan=False), min_size=1, max_size=30),
    st.sampled_from([0.5, 1.0, 10.0]),
    st.integers(1, 1000),
)
def test_quantisation_errs_by_less_than_one_step(values, clip, n_clients):
    q = secagg.Quantiser.for_clients(n_clients, clip)
    x = torch.tensor(values, dtype=torch.float64)
    ring = secagg.quantise(x, q)
    assert ring.dtype == torch.int64 and ring.min() >= 0 and ring.max() <= q.levels
    error = (secagg.dequantise(ring, q) - x.clamp(-clip, clip)).abs().max().item()
    assert error < q.step


def test_stochastic_rounding_is_unbiased_and_measured():
    q = secagg.Quantiser(clip=1.0, value_bits=8)
    x = torch.full((40_000,), -1.0 + 0.3 * q.step)  # 30% of the way from one level to the next
    with cl.reproducible(0):
        errors = q.dequantise(q.quantise(x)) - x.double()
    assert errors.abs().max().item() < q.step
    rounded_up = (errors > 0).double().mean().item()
    sigma = math.sqrt(0.3 * 0.7 / x.numel())
    assert abs(rounded_up - 0.3) < 5 * sigma  # rounds up with probability frac(z)
    assert abs(errors.mean().item()) < 5 * sigma * q.step  # so the mean error is zero: unbiased


def test_rounding_coins_come_from_course_lib_rng():
    q = secagg.Quantiser(clip=1.0, value_bits=8)
    x = torch.full((256,), -1.0 + 0.5 * q.step)  # halfway between the two lowest levels
    with cl.reproducible(3):
        first = q.quantise(x)
    with cl.reproducible(3):
        again = q.quantise(x)
    assert torch.equal(first, again)
    assert not torch.equal(q.quantise(x), q.quantise(x))  # the secure default: fresh coins every time


@pytest.mark.parametrize("n", [1, 2, 3, 100, 1000, 2**20, 2**24])
def test_headroom_keeps_the_sum_of_n_clients_below_2_32(n):
    q = secagg.Quantiser.for_clients(n, 1.0)
    assert q.value_bits == 32 - math.ceil(math.log2(n))
    assert n * q.levels < secagg.RING_MODULUS <= (q.max_clients + 1) * q.levels
    q.check_clients(n)
    with pytest.raises(ValueError, match="would wrap around 2"):
        q.check_clients(q.max_clients + 1)


def test_too_many_clients_for_32_bits_are_refused():
    with pytest.raises(ValueError, match="too many for a 32-bit ring.*at most 16777216 clients"):
        secagg.Quantiser.for_clients(2**24 + 1, 1.0)


def test_the_largest_sum_does_not_wrap():
    updates = [torch.full((8,), 2.0) for _ in range(5)]  # every client at +clip: the largest possible ring sum
    result = secagg.secure_sum(updates, threshold=3, clip=2.0)
    assert torch.allclose(result.total, torch.full((8,), 10.0), atol=result.max_error)


def test_clipping_is_announced_and_applied():
    updates = [torch.tensor([5.0, 0.5]), torch.tensor([-5.0, 0.25]), torch.tensor([0.0, 0.0])]
    with pytest.warns(UserWarning, match=r"clipped \(client 0: 1, client 1: 1\)"):
        result = secagg.secure_sum(updates, threshold=2, clip=1.0)
    assert torch.allclose(result.total, torch.tensor([0.0, 0.75]), atol=result.max_error)


# --- step 2: key agreement and channels ----------------------------------------------------------------------------


def test_key_agreement_is_symmetric_and_purpose_bound():
    alice, bob, carol = (secagg.generate_key_pair() for _ in range(3))
    shared = secagg.agree(alice, bob.public_bytes, keys.MASK_PURPOSE)
    assert shared == secagg.agree(bob, alice.public_bytes, keys.MASK_PURPOSE) and len(shared) == 32
    assert shared != secagg.agree(alice, bob.public_bytes, keys.CHANNEL_PURPOSE)
    assert shared != secagg.agree(alice, carol.public_bytes, keys.MASK_PURPOSE)
    assert alice.private_bytes != alice.public_bytes


def test_keys_are_reproducible_only_in_teaching_mode():
    with cl.reproducible(7):
        first = secagg.generate_key_pair().private_bytes
    with cl.reproducible(7):
        assert secagg.generate_key_pair().private_bytes == first
    assert secagg.generate_key_pair().private_bytes != secagg.generate_key_pair().private_bytes


def test_channels_reject_altered_or_redirected_shares():
    key = secagg.agree(secagg.generate_key_pair(), secagg.generate_key_pair().public_bytes, keys.CHANNEL_PURPOSE)
    sealed = secagg.encrypt_for_peer(key, 1, 2, b"two shares")
    assert secagg.decrypt_from_peer(key, 1, 2, sealed) == b"two shares"
    assert len(sealed) == len(b"two shares") + keys.TAG_BYTES
    tampered = bytes([sealed[0] ^ 1]) + sealed[1:]
    with pytest.raises(ValueError, match="from client 1 to client 2 fail authentication"):
        secagg.decrypt_from_peer(key, 1, 2, tampered)
    with pytest.raises(ValueError, match="from client 2 to client 1 fail authentication"):
        secagg.decrypt_from_peer(key, 2, 1, sealed)  # the server redirected it


# --- step 3: PRG masks -------------------------------------------------------------------------------------------


def test_the_prg_is_deterministic_per_seed_and_different_per_seed():
    seed, other = bytes(range(32)), bytes(range(1, 33))
    mask = secagg.prg_mask(seed, 1000)
    assert mask.dtype == torch.int64 and mask.shape == (1000,)
    assert mask.min() >= 0 and mask.max() < secagg.RING_MODULUS
    assert torch.equal(mask, secagg.prg_mask(seed, 1000))
    assert torch.equal(mask[:10], secagg.prg_mask(seed, 10))  # a stream: shorter is a prefix
    assert (mask != secagg.prg_mask(other, 1000)).float().mean() > 0.99
    assert torch.equal(secagg.prg_masks([seed, other], 1000)[1], secagg.prg_mask(other, 1000))
    with pytest.raises(ValueError, match="a mask seed is 32 bytes"):
        secagg.prg_mask(b"short", 10)


def test_pairwise_masks_cancel_in_the_sum():
    pairs = [secagg.generate_key_pair() for _ in range(6)]
    total = torch.zeros(500, dtype=torch.int64)
    for u, own in enumerate(pairs):
        seeds = {v: secagg.agree(own, p.public_bytes, keys.MASK_PURPOSE) for v, p in enumerate(pairs) if v != u}
        mask = secagg.pairwise_mask_sum(u, seeds, 500)
        assert mask.any()  # each one alone is far from zero
        total += mask
    assert not (total % secagg.RING_MODULUS).any()
    with pytest.raises(ValueError, match="no pairwise mask with itself"):
        secagg.mask_sign(3, 3)


# --- step 4: Shamir sharing ----------------------------------------------------------------------------------------


def _is_probable_prime(n: int) -> bool:
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for a in random.Random(0).sample(range(2, 10_000), 40):
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def test_the_field_is_prime_and_holds_every_32_byte_secret():
    assert _is_probable_prime(secagg.PRIME) and secagg.PRIME > 2**256
    assert not any(_is_probable_prime(2**256 + k) for k in range(1, 297, 2))  # the smallest such prime
    assert shamir.SHARE_BYTES == 33


@given(st.integers(0, secagg.PRIME - 1), st.data())
def test_any_t_shares_rebuild_the_secret(secret, data):
    n = data.draw(st.integers(1, 6))
    t = data.draw(st.integers(1, n))
    shares = secagg.shamir_split(secret, t, n)
    assert [s.x for s in shares] == list(range(1, n + 1))
    for subset in itertools.combinations(shares, t):
        assert secagg.shamir_combine(list(subset)) == secret
    assert secagg.shamir_combine(shares[::-1]) == secret  # more than t, any order


def test_byte_secrets_rebuild_to_their_integer():
    secret = bytes([255] * 32)
    assert secagg.shamir_combine(secagg.shamir_split(secret, 3, 5)[1:4]) == int.from_bytes(secret, "big")


def test_t_minus_1_shares_are_consistent_with_every_secret():
    # a small field, so that we can enumerate every polynomial of degree t-1 = 2: f(x) = s + a·x + b·x²
    p, xs = 11, (3, 7)
    completions: dict[tuple[int, int], Counter] = {}
    for s, a, b in itertools.product(range(p), repeat=3):
        seen = tuple(secagg.evaluate_polynomial([s, a, b], x, p) for x in xs)
        completions.setdefault(seen, Counter())[s] += 1
    assert len(completions) == p * p  # every pair of share values occurs
    for counter in completions.values():
        assert counter == Counter(dict.fromkeys(range(p), 1))  # ...with exactly one polynomial per secret


def test_t_minus_1_shares_of_two_secrets_look_alike():
    p, draws = 11, 6000
    with cl.reproducible(0):
        seen = {
            secret: Counter(tuple(s.y for s in secagg.shamir_split(secret, 3, 5, prime=p)[:2]) for _ in range(draws))
            for secret in (0, 9)
        }
    cells = list(itertools.product(range(p), repeat=2))
    for secret in (0, 9):
        counts = [seen[secret][cell] for cell in cells]
        assert chi_square_uniform(counts) < chi_square_critical(len(cells) - 1)
    same = chi_square_same([seen[0][c] for c in cells], [seen[9][c] for c in cells])
    assert same < chi_square_critical(len(cells) - 1)


def _three_of_five():
    return secagg.shamir_split(42, 3, 5)


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda s: [], ValueError, "non-empty list"),
        (lambda s: s[:2], ValueError, "2 shares cannot rebuild a secret shared with threshold 3: 1 more needed"),
        (lambda s: [s[0], s[0], s[1]], ValueError, r"same x \[1\]"),
        (lambda s: s[:2] + [secagg.shamir_split(42, 2, 5)[2]], ValueError, "different sharings"),
        (lambda s: [secagg.Share(0, 42, 3)] + s[1:3], ValueError, "x = 0 is not a holder's point"),
        (lambda s: s[:2] + [secagg.Share(3, secagg.PRIME, 3)], ValueError, "y must be a field element"),
        (lambda s: s[:2] + [(3, 5, 3)], TypeError, "needs Share"),
    ],
    ids=["empty", "too few", "duplicate x", "mixed sharings", "x = 0", "y too big", "not a Share"],
)
def test_bad_share_sets_are_refused(make, error, message):
    with pytest.raises(error, match=message):
        secagg.shamir_combine(make(_three_of_five()))


@pytest.mark.parametrize(
    ("args", "message"),
    [((5, 0, 3), r"threshold must lie in \[1, n=3\]"), ((5, 4, 3), "threshold"), ((-1, 2, 3), "must lie in")],
)
def test_bad_sharings_are_refused(args, message):
    with pytest.raises(ValueError, match=message):
        secagg.shamir_split(*args)


# --- steps 5–6: the protocol ---------------------------------------------------------------------------------------


@settings(max_examples=25)
@given(st.data())
def test_the_secure_sum_is_the_sum_of_the_included_updates(data):
    n = data.draw(st.integers(2, 7), label="n")
    t = data.draw(st.integers(2, n), label="t")
    shape = data.draw(st.sampled_from([(1,), (7,), (2, 3), (3, 1, 2)]), label="shape")
    before = data.draw(st.sets(st.integers(0, n - 1), max_size=n - t), label="drop before")
    after = data.draw(st.sets(st.sampled_from(sorted(set(range(n)) - before)), max_size=n - t - len(before)))
    updates = _updates(n, shape, seed=data.draw(st.integers(0, 1000)), scale=data.draw(st.sampled_from([0.01, 3.0])))
    result = secagg.secure_sum(updates, threshold=t, drop_before_masking=before, drop_after_masking=after)
    assert result.included == tuple(sorted(set(range(n)) - before))
    assert result.total.shape == shape and result.total.dtype == torch.float64
    _close(result, updates)


@pytest.mark.parametrize("n", [2, 5, 12])
def test_float32_updates_of_several_sizes(n):
    updates = [u.float() for u in _updates(n, (64,), seed=n)]
    result = secagg.secure_sum(updates, threshold=n // 2 + 1)
    assert result.total.dtype == torch.float32 and result.included == tuple(range(n))
    _close(result, updates)
    assert torch.allclose(result.total, torch.stack(updates).sum(dim=0), atol=1e-4)


def test_a_client_dropping_before_masking_is_left_out():
    updates = _updates(5)
    result = secagg.secure_sum(updates, threshold=3, drop_before_masking=(1, 3))
    assert result.included == (0, 2, 4) and result.dropped == (1, 3)
    assert set(result.server_view) == {0, 2, 4}
    _close(result, updates)


def test_a_client_dropping_after_masking_is_counted():
    updates = _updates(5)
    result = secagg.secure_sum(updates, threshold=3, drop_after_masking=(0, 4))
    assert result.included == (0, 1, 2, 3, 4) and result.dropped == ()
    _close(result, updates)


def test_both_kinds_of_dropout_at_once_with_exactly_t_survivors():
    updates = _updates(7, (3, 2))
    result = secagg.secure_sum(updates, threshold=3, drop_before_masking=(0, 5), drop_after_masking=(2, 6))
    assert result.included == (1, 2, 3, 4, 6) and result.dropped == (0, 5)
    assert sorted(result.server.answered) == [1, 3, 4]  # exactly t = 3 clients answered the unmasking round
    _close(result, updates)


class _RecordingServer(protocol.Server):
    last: protocol.Server | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _RecordingServer.last = self


@pytest.mark.parametrize(
    ("before", "after", "message"),
    [
        ((0, 1, 2), (), "only 2 client\\(s\\) sent a masked input but the threshold is 3: the round aborts"),
        ((0,), (1, 2), "only 2 client\\(s\\) answered the unmasking round but the threshold is 3"),
    ],
    ids=["too few inputs", "too few answers"],
)
def test_below_t_survivors_the_round_aborts_and_reveals_nothing(monkeypatch, before, after, message):
    monkeypatch.setattr(protocol, "Server", _RecordingServer)
    with pytest.raises(ValueError, match=message):
        secagg.secure_sum(_updates(5), threshold=3, drop_before_masking=before, drop_after_masking=after)
    server = _RecordingServer.last
    # the server never got t shares of any secret, so it could not rebuild one, let alone the total
    for store in (server.mask_key_shares, server.self_mask_shares):
        assert all(len(shares) < 3 for shares in store.values())


@pytest.mark.parametrize(("before", "after"), [((), ()), ((1,), ()), ((), (2,)), ((0, 4), (3,))])
def test_the_server_never_holds_both_kinds_of_share_for_one_client(before, after):
    result = secagg.secure_sum(_updates(6), threshold=3, drop_before_masking=before, drop_after_masking=after)
    kinds = result.server.share_kinds()
    assert all(len(k) == 1 for k in kinds.values())
    assert {u for u, k in kinds.items() if k == {"mask key"}} == set(before)
    assert {u for u, k in kinds.items() if k == {"self-mask"}} == set(result.included)


def test_honest_clients_refuse_to_reveal_both_secrets_of_one_client(monkeypatch):
    def greedy_request(self):  # a server lying that client 0 both dropped and is in the sum
        return [0], sorted(self.masked)

    monkeypatch.setattr(protocol.Server, "unmasking_request", greedy_request)
    with pytest.raises(ValueError, match=r"refuses to unmask: .*both the mask key and the self-mask seed of .*\[0\]"):
        secagg.secure_sum(_updates(4), threshold=2)


def test_clients_reject_shares_the_server_altered(monkeypatch):
    honest_forward = protocol.Server.forward_shares

    def tamper(self, v):
        return {u: bytes([c[0] ^ 1]) + c[1:] for u, c in honest_forward(self, v).items()}

    monkeypatch.setattr(protocol.Server, "forward_shares", tamper)
    with pytest.raises(ValueError, match="fail authentication"):
        secagg.secure_sum(_updates(3), threshold=2)


def _top_bytes(view: dict[int, torch.Tensor]) -> list[int]:
    return torch.cat([y.reshape(-1) >> 24 for y in view.values()]).tolist()


def test_the_server_view_is_uniform_and_independent_of_the_inputs():
    lowest = [torch.full((4096,), -1.0) for _ in range(4)]  # one extreme: every value at -clip
    extremes = [torch.full((4096,), 1.0) if i % 2 else torch.zeros(4096) for i in range(4)]
    views = []
    for updates in (lowest, extremes):
        with cl.reproducible(11):  # fixed draws: the test cannot flake
            result = secagg.secure_sum(updates, threshold=3, clip=1.0)
        assert all(y.min() >= 0 and y.max() < secagg.RING_MODULUS for y in result.server_view.values())
        counts = [0] * 256
        for top in _top_bytes(result.server_view):
            counts[top] += 1
        assert chi_square_uniform(counts) < chi_square_critical(255)
        views.append(counts)
    assert chi_square_same(*views) < chi_square_critical(255)


def test_seeded_mode_reproduces_the_server_view_and_secure_mode_does_not():
    updates = _updates(4)
    with cl.reproducible(0):
        first = secagg.secure_sum(updates, threshold=2)
    with cl.reproducible(0):
        again = secagg.secure_sum(updates, threshold=2)
    assert all(torch.equal(first.server_view[u], again.server_view[u]) for u in range(4))
    fresh = secagg.secure_sum(updates, threshold=2)
    assert not torch.equal(first.server_view[0], fresh.server_view[0])


def test_bytes_are_counted_per_client_and_per_round():
    n, m, t = 5, 100, 3
    result = secagg.secure_sum(_updates(n, (m,)), threshold=t, drop_before_masking=(4,), drop_after_masking=(3,))
    share_message = protocol.INDEX_BYTES + 2 * shamir.SHARE_BYTES + keys.TAG_BYTES  # 86 per peer, each way
    keys_and_shares = 64 + n * (protocol.INDEX_BYTES + 64) + 2 * (n - 1) * share_message
    unmasking = protocol.INDEX_BYTES * n + n * (protocol.INDEX_BYTES + shamir.SHARE_BYTES)
    assert result.bytes_per_client == {
        0: keys_and_shares + 4 * m + unmasking,
        1: keys_and_shares + 4 * m + unmasking,
        2: keys_and_shares + 4 * m + unmasking,
        3: keys_and_shares + 4 * m,  # dropped after masking: no unmasking round
        4: keys_and_shares,  # dropped before masking: no masked input either
    }
    rounds = result.bytes_per_round
    assert rounds["masked_input"] == {"to_server": 4 * 4 * m, "from_server": 0}
    assert sum(r["to_server"] + r["from_server"] for r in rounds.values()) == sum(result.bytes_per_client.values())
    assert result.plain_bytes_per_client == 4 * m
    assert result.expansion == max(result.bytes_per_client.values()) / (4 * m)
    assert set(result.client_seconds) == set(result.server_seconds) == set(secagg.ROUNDS)


def test_each_step_is_reachable_from_the_package():
    assert secagg.keys is keys and secagg.quantisation is quantisation and secagg.shamir is shamir
    assert secagg.RING_BITS == 32


# --- bad inputs ------------------------------------------------------------------------------------------------------


def _call(updates=None, threshold=2, **kwargs):
    return lambda: secagg.secure_sum(_updates(3) if updates is None else updates, threshold=threshold, **kwargs)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (_call(updates=[]), ValueError, "updates is empty: secure_sum needs one update tensor per client"),
        (_call(updates=torch.zeros(3, 4)), TypeError, r"must be a list of tensors.*list\(stacked\)"),
        (_call(updates=[torch.zeros(2), [0.0, 1.0]]), TypeError, "update 1 is a list, not a torch tensor"),
        (_call(updates=[torch.zeros(2), torch.zeros(2, dtype=torch.int64)]), TypeError, r"int64.*\.float\(\)"),
        (_call(updates=[torch.zeros(2), torch.zeros(3)]), ValueError, r"update 1 has shape \(3,\) but update 0 has"),
        (_call(updates=[torch.zeros(2), torch.tensor([1.0, math.nan])]), ValueError, "update 1 holds 1 NaN or inf"),
        (_call(updates=[torch.tensor([math.inf, -math.inf]), torch.zeros(2)]), ValueError, "update 0 holds 2 NaN"),
        (_call(updates=[torch.zeros(2)], threshold=1), ValueError, "at least 2 clients"),
        (_call(threshold=1), ValueError, r"threshold must lie in \[2, 3\].*t = 1 would let any single client"),
        (_call(threshold=4), ValueError, r"threshold must lie in \[2, 3\] for 3 clients, got 4"),
        (_call(threshold=2.0), TypeError, "threshold must be an integer"),
        (_call(drop_before_masking=(3,)), ValueError, r"drop_before_masking names client 3, .*3 clients \(0 … 2\)"),
        (_call(drop_after_masking=(-1,)), ValueError, "drop_after_masking names client -1"),
        (_call(drop_after_masking=("1",)), TypeError, "drop_after_masking holds '1'"),
        (_call(drop_before_masking=5), TypeError, "drop_before_masking must be a collection of client indices"),
        (
            _call(drop_before_masking=(0, 1), drop_after_masking=(1,)),
            ValueError,
            r"client\(s\) \[1\] are in both drop_before_masking and drop_after_masking",
        ),
        (_call(clip=0.0), ValueError, "clip must be positive"),
        (_call(clip=math.inf), ValueError, "clip must be a finite positive number"),
        (_call(updates=_updates(20), value_bits=31), ValueError, "the sum of 20 clients would wrap around 2\\^32"),
    ],
    ids=lambda v: "" if callable(v) or isinstance(v, type) else v[:40],
)
def test_bad_inputs_say_what_is_wrong(call, error, message):
    with pytest.raises(error, match=message):
        call()
