"""Chapter 07: every sentence that says what the server (or a hospital, or a coalition) sees, holds or learns has a
test here.

Each test names the section and quotes the claim it backs. The evidence is what the protocol's objects recorded:
the `Server` keeps everything it received (public keys, the ciphertexts it forwarded, the masked vectors, the shares
it asked for), and each `Client` keeps the shares it holds for others (recorded here by subclassing `Client` and
`Server` for the length of one test). Where a claim is statistical ("noise", "uniform"), a seeded chi-square test
measures it, so that it cannot flake. The data are the chapter's: the four hospitals, split by mean radius.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import course_lib as cl
from course_lib import federated, logistic, secagg, stats
from course_lib.datasets import breast_cancer
from course_lib.secagg import keys, protocol

DATA = breast_cancer()
TRAIN, TEST = DATA.train_test_split()
RADIUS = DATA.features[:, DATA.feature_names.index("mean radius")]
SCALER = logistic.Scaler.fit(DATA.features[TRAIN])
SCALED = SCALER(DATA.features)
ROWS = federated.split_by_feature(RADIUS, TRAIN, [170, 120, 85, 52])
HOSPITALS = [(SCALED[r], DATA.malignant[r]) for r in ROWS]
CLIP = 1000.0
CRITICAL = stats.chi_square_critical(255)


@pytest.fixture(scope="module")
def sent() -> list[torch.Tensor]:
    """The four vectors [n_k, n_k·Δ_k] of the hospitals' first round (sections 3.1 to 3.9)."""
    return federated.fedavg_round(logistic.Model.zeros(30), HOSPITALS).sent


@pytest.fixture
def seeded():
    with cl.reproducible(7, quiet=True):
        yield


class _Recorded:
    clients: list[protocol.Client] = []
    servers: list[protocol.Server] = []


@pytest.fixture
def recorded(monkeypatch):
    """Every Client and Server object the protocol creates during the test, in order."""
    _Recorded.clients, _Recorded.servers = [], []

    class Client(protocol.Client):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            _Recorded.clients.append(self)

    class Server(protocol.Server):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            _Recorded.servers.append(self)

    monkeypatch.setattr(protocol, "Client", Client)
    monkeypatch.setattr(protocol, "Server", Server)
    return _Recorded


def _untemper(value: int) -> int:
    """The inverse of the Mersenne Twister's output tempering (the notebook's `untemper`)."""
    value ^= value >> 18
    value ^= (value << 15) & 0xEFC60000
    result = value
    for _ in range(5):
        result = value ^ ((result << 7) & 0x9D2C5680)
    value = result = result & 0xFFFFFFFF
    for _ in range(3):
        result = value ^ (result >> 11)
    return result & 0xFFFFFFFF


def _twister_from(words) -> np.random.RandomState:
    """A Mersenne Twister whose next outputs follow `words` (624 of them), if they were the Twister's own."""
    clone = np.random.RandomState()
    clone.set_state(("MT19937", np.array([_untemper(int(v)) for v in words], dtype=np.uint32), 624))
    return clone


def _top_byte_counts(vectors) -> list[int]:
    top = torch.cat([y.reshape(-1) >> 24 for y in vectors])
    return torch.bincount(top, minlength=256).tolist()


# ===== §1 federated averaging ======================================================================================
def test_s1_the_server_only_ever_needs_the_sum():
    """§1: "Sending n_k along ... means the server only ever needs the **sum** of what the hospitals send." Changing
    the individual vectors while keeping their sum changes nothing in the model."""
    g = torch.Generator().manual_seed(3)

    def scrambled_sum(vectors):  # the same sum, from vectors nobody sent
        noise = [torch.randn(vectors[0].shape, generator=g, dtype=torch.float64) for _ in vectors]
        mean_noise = torch.stack(noise).mean(dim=0)
        fake = [v + e - mean_noise for v, e in zip(vectors, noise, strict=True)]
        assert not any(torch.allclose(f, v) for f, v in zip(fake, vectors, strict=True))
        return federated.plain_sum(fake)

    plain = federated.federated_averaging(HOSPITALS, 5)
    scrambled = federated.federated_averaging(HOSPITALS, 5, scrambled_sum)
    assert torch.allclose(federated.model_vector(plain), federated.model_vector(scrambled), atol=1e-10)


# ===== §2 what one update gives away ===============================================================================
@pytest.mark.parametrize("row", [int(ROWS[1][0]), int(ROWS[0][5]), int(ROWS[3][0]), 7, 500])
def test_s2_one_patients_gradient_is_the_record_and_its_sign_the_diagnosis(row):
    """§2: "the weights' gradient divided by the bias gradient is x itself, every one of the 30 features, exactly";
    "The diagnosis comes along: the bias gradient p − y is negative exactly when y = 1"; "the ratio cancels lr"."""
    model = federated.federated_averaging(HOSPITALS, 20)
    x, y = SCALED[row : row + 1], DATA.malignant[row : row + 1].reshape(1, 1)
    grad_w, grad_b, p = logistic.gradients(x, y, model)
    record = federated.unscale(SCALER, federated.record_from_gradient(grad_w, grad_b))
    assert torch.allclose(record, DATA.features[row], rtol=1e-12, atol=0)
    assert (grad_b.item() < 0) == (y.item() == 1) and 0 < p.item() < 1
    for lr in (1e-3, 0.1, 5.0):
        delta = -lr * torch.cat([grad_w.flatten(), grad_b])
        again = federated.unscale(SCALER, federated.record_from_gradient(delta[:-1], delta[-1:]))
        assert torch.allclose(again, DATA.features[row], rtol=1e-9)


def test_s2_a_batch_blurs_but_does_not_erase():
    """§2: "Two: ... it points at the right patient four times out of five. Eight: still nearly one batch in three.
    Only at 32 does this one-line attack fall to 1.5 %, about twice the rate of a blind guess." (the printed table)"""
    model = federated.federated_averaging(HOSPITALS, 20)
    x, y = HOSPITALS[1]
    found = {b: federated.leak_measurement(x, y, model, b, batches=200, seed=0) for b in (1, 2, 8, 32)}
    assert found[1].distance < 1e-12 and found[1].identified == 1.0
    assert found[2].identified == 0.82 and found[8].identified == 0.30 and found[32].identified == 0.015
    assert found[32].identified > 1 / len(x)  # still above chance, though barely


# ===== §3.2 – 3.3 masks ============================================================================================
def test_s3_2_a_masked_message_is_uniform_whatever_it_hides(seeded):
    """§3.2: "Each message alone is uniform noise whatever q is": q + r mod 2^32 for a uniform r."""
    length = 1 << 14
    views = []
    for q in (torch.zeros(length, dtype=torch.int64), torch.full((length,), 2**32 - 1, dtype=torch.int64)):
        r = cl.rng.ring_elements((length,)) % 2**32
        views.append(_top_byte_counts([(q + r) % 2**32]))
    assert all(stats.chi_square_uniform(v) < CRITICAL for v in views)
    assert stats.chi_square_same(*views) < CRITICAL


@pytest.mark.parametrize("seed", [b"\x00" * 32, bytes(range(32)), b"\xfe" * 32])
def test_s3_3_624_outputs_of_np_random_predict_the_rest(seed):
    """§3.3: "Without knowing the seed, 624 values predict all the rest" (the Mersenne Twister behind np.random)."""

    mask = np.random.RandomState(np.frombuffer(seed, dtype="<u4")).randint(0, 2**32, size=3000, dtype=np.uint32)
    predicted = _twister_from(mask[:624]).randint(0, 2**32, size=3000 - 624, dtype=np.uint32)
    assert (predicted == mask[624:]).all()


def test_s3_3_the_aes_ctr_mask_does_not_give_itself_away(seeded):
    """§3.3: the mask from `secagg.prg_mask` is "an AES-CTR stream": the Twister's attack fails on it (its 624 first
    words, untempered as if they were Twister outputs, predict nothing of the rest)."""
    mask = secagg.prg_mask(secagg.random_bytes(32), 2000).numpy().astype(np.uint32)
    predicted = _twister_from(mask[:624]).randint(0, 2**32, size=1376, dtype=np.uint32)
    assert (predicted == mask[624:]).sum() <= 1  # chance agreement: 1376 / 2^32 expected


# ===== §3.4 – 3.8 the protocol: what the server holds ==============================================================
def test_s3_4_the_server_sees_public_keys_and_ciphertexts_only(sent, recorded, seeded):
    """§3.4 and §3.8: the server "passes the list [of public keys] to everyone" and "forwards ciphertexts it cannot
    read": no private key, no seed and no share value appears in anything the server received."""
    secagg.secure_sum(sent, threshold=3, clip=CLIP)
    (server,) = recorded.servers
    received = b"".join(server.roster.values())
    received += b"".join(c for box in server.mailbox.values() for c in box.values())
    received += b"".join(y.numpy().astype("<u4").tobytes() for y in server.masked.values())
    for client in recorded.clients:
        for secret in (client._c.private_bytes, client._s.private_bytes, client._b):
            assert secret not in received
        for share_of_s, share_of_b in client._held.values():
            for share in (share_of_s, share_of_b):
                assert share.y.to_bytes(33, "big") not in received
        assert server.roster[client.index] == client._c.public_bytes + client._s.public_bytes  # public keys only
    with pytest.raises(ValueError, match="fail authentication"):  # ... and it cannot open them with its own keys
        own = secagg.generate_key_pair()
        guess = secagg.agree(own, server.roster[1][:32], keys.CHANNEL_PURPOSE)
        secagg.decrypt_from_peer(guess, 0, 1, server.mailbox[0][1])


def test_s3_5_pairwise_masks_cancel_and_the_sum_is_the_sum(sent, seeded):
    """§3.5: "the masks cancel"; §3.8: the decoded sum differs from the plaintext sum by less than the bound."""
    result = secagg.secure_sum(sent, threshold=3, clip=CLIP)
    exact = torch.stack(sent).sum(dim=0)
    assert (result.total - exact).abs().max() < result.max_error == 4 * result.quantiser.step
    assert round(result.total[0].item()) == 427


def test_s3_1_rounding_errs_by_less_than_a_step_and_is_unbiased(sent, seeded):
    """§3.1: the rounding error is "always below one step, and zero on average" (128 000 values)."""
    quantiser = secagg.Quantiser.for_clients(4, CLIP)
    values = torch.cat(sent).repeat(1000)
    errors = (quantiser.dequantise(quantiser.quantise(values)) - values) / quantiser.step
    assert errors.abs().max() < 1
    assert abs(errors.mean().item()) < 5 * errors.std().item() / len(values) ** 0.5


@pytest.mark.parametrize(("before", "after", "t"), [((), (), 3), ((3,), (), 3), ((), (1,), 3), ((0,), (2,), 2)])
def test_s3_6_the_server_never_holds_both_secrets_of_one_client(sent, before, after, t, seeded):
    """§3.6: survivors hand the server shares of the mask key of every client that dropped before sending and of
    the self-mask seed of every client whose vector arrived, "and never both for the same client"; "the server never
    learns b for a client it declared dropped"."""
    result = secagg.secure_sum(sent, threshold=t, clip=CLIP, drop_before_masking=before, drop_after_masking=after)
    kinds = result.server.share_kinds()
    assert all(len(k) == 1 for k in kinds.values())
    assert {u for u, k in kinds.items() if k == {"mask key"}} == set(before)
    assert {u for u, k in kinds.items() if k == {"self-mask"}} == set(result.included)
    assert not set(before) & set(result.server.self_mask_shares)


def test_s3_6_an_honest_client_refuses_a_request_naming_a_client_twice(sent, monkeypatch, seeded):
    """§3.6: "an honest client refuses a request that names one client in both lists"."""
    monkeypatch.setattr(protocol.Server, "unmasking_request", lambda self: ([3], sorted(self.masked)))
    with pytest.raises(ValueError, match=r"refuses to unmask.*both the mask key and the self-mask seed.*\[3\]"):
        secagg.secure_sum(sent, threshold=3, clip=CLIP)


def test_s3_6_with_pairwise_masks_only_a_late_vector_would_be_readable(sent, seeded):
    """§3.6: once the server has rebuilt D's mask key, D's late vector masked with pairwise masks alone "can [have]
    every mask [stripped]" — and with the self-mask added (the protocol's y), the same stripping leaves noise."""
    quantiser = secagg.Quantiser.for_clients(4, CLIP)
    pairs = [secagg.generate_key_pair() for _ in range(4)]
    q = quantiser.quantise(sent[3])
    seeds = {v: secagg.agree(pairs[3], pairs[v].public_bytes, keys.MASK_PURPOSE) for v in range(3)}
    pairwise_only = (q + secagg.pairwise_mask_sum(3, seeds, len(q))) % 2**32
    with_self_mask = (pairwise_only + secagg.prg_mask(secagg.random_bytes(32), len(q))) % 2**32
    strip = secagg.pairwise_mask_sum(3, seeds, len(q))  # what the server computes from D's rebuilt key
    assert torch.equal((pairwise_only - strip) % 2**32, q)
    assert not torch.equal((with_self_mask - strip) % 2**32, q)


def test_s3_7_t_minus_1_shares_fit_every_secret_and_t_rebuild_it(seeded):
    """§3.7: "For each of the 101 candidate secrets s, exactly one polynomial of degree 2 passes through (0, s) and
    the two points"; and with the protocol's field, three shares of D's key rebuild it, two raise."""
    p = 101
    grid = torch.arange(p)
    s_all, a1, a2 = torch.meshgrid(grid, grid, grid, indexing="ij")  # every polynomial s + a1·x + a2·x² mod p
    for secret in (0, 42, 100):
        shares = secagg.shamir_split(secret, 3, 5, prime=p)
        for first, second in ((0, 3), (1, 2), (3, 4)):  # any two holders
            (x1, y1), (x2, y2) = (shares[first].x, shares[first].y), (shares[second].x, shares[second].y)
            fits = ((s_all + a1 * x1 + a2 * x1**2) % p == y1) & ((s_all + a1 * x2 + a2 * x2**2) % p == y2)
            assert fits.sum(dim=(1, 2)).tolist() == [1] * p
    key = secagg.generate_key_pair().private_bytes
    shares = secagg.shamir_split(key, 3, 4)
    assert secagg.shamir_combine(shares[1:]).to_bytes(32, "big") == key
    with pytest.raises(ValueError, match="2 shares cannot rebuild a secret shared with threshold 3"):
        secagg.shamir_combine(shares[:2])


@pytest.mark.parametrize(
    ("before", "after", "words"),
    [((2, 3), (), "only 2 client\\(s\\) sent a masked input"), ((3,), (1, 2), "only 1 client\\(s\\) answered")],
)
def test_s3_9_below_t_the_round_refuses_and_reveals_nothing(sent, recorded, before, after, words, seeded):
    """§3.9: "Below the threshold the protocol refuses, and refusing reveals nothing: with fewer than t masked
    vectors, or fewer than t answers in the unmasking round, the server never gets t shares of any secret"."""
    with pytest.raises(ValueError, match=words):
        secagg.secure_sum(sent, threshold=3, clip=CLIP, drop_before_masking=before, drop_after_masking=after)
    (server,) = recorded.servers
    for store in (server.mask_key_shares, server.self_mask_shares):
        assert all(len(shares) < 3 for shares in store.values())
    # and every vector it holds is still fully masked: noise, not the quantised update
    quantiser = secagg.Quantiser.for_clients(4, CLIP)
    for u, y in server.masked.items():
        assert (quantiser.dequantise(y) - sent[u]).abs().max() > 1.0


def test_s3_8_secure_federated_averaging_gives_the_plain_model(seeded):
    """§3.8: "The same model, up to quantisation error in the eighth decimal place, and the same predictions"."""
    plain = federated.federated_averaging(HOSPITALS, 20)
    secure = federated.federated_averaging(
        HOSPITALS, 20, lambda vectors: secagg.secure_sum(vectors, threshold=3, clip=CLIP).total
    )
    assert (federated.model_vector(secure) - federated.model_vector(plain)).abs().max() < 1e-7
    assert torch.equal(logistic.predict(SCALED[TEST], secure), logistic.predict(SCALED[TEST], plain))


def test_s3_8_the_masked_vector_costs_one_float32_upload(sent, seeded):
    """§3.8: "The masked vector is exactly as large as a float32 upload ... the overhead ... is the keys and the
    encrypted shares"; 1144 bytes per hospital, 8.94 times plain federated averaging."""
    result = secagg.secure_sum(sent, threshold=3, clip=CLIP)
    assert result.bytes_per_round["masked_input"]["to_server"] == 4 * result.plain_bytes_per_client == 4 * 4 * 32
    assert set(result.bytes_per_client.values()) == {1144} and f"{result.expansion:.2f}" == "8.94"


# ===== §4 what the server sees and learns; the threat model ========================================================
def test_s4_the_servers_view_is_uniform_and_the_same_for_any_updates():
    """§4: "Both flat, and alike: from one masked vector the server cannot tell which update is behind it."
    (seeded chi-square on the top 8 bits, as in the notebook)"""
    lowest = [torch.full((4096,), -CLIP, dtype=torch.float64) for _ in range(4)]
    extremes = [torch.full((4096,), CLIP if k % 2 else 0.0, dtype=torch.float64) for k in range(4)]
    views = []
    for updates in (lowest, extremes):
        with cl.reproducible(0, quiet=True):
            view = secagg.secure_sum(updates, threshold=3, clip=CLIP).server_view
        assert all(0 <= y.min() and y.max() < 2**32 for y in view.values())
        views.append(_top_byte_counts(view.values()))
        for y in view.values():  # each hospital's vector on its own, too
            assert stats.chi_square_uniform(_top_byte_counts([y])) < CRITICAL
    assert all(stats.chi_square_uniform(v) < CRITICAL for v in views)
    assert stats.chi_square_same(*views) < CRITICAL


def test_s4_with_two_in_the_sum_each_learns_the_other(sent, seeded):
    """§4: "With only two hospitals in the sum, either of them learns the other's update by subtraction"."""
    pair = secagg.secure_sum(sent[:2], threshold=2, clip=CLIP)
    assert (pair.total - sent[0] - sent[1]).abs().max() < pair.max_error


@pytest.mark.parametrize("colluders", [(1, 2), (0, 1, 2)], ids=["t - 1 colluders: D stays hidden", "t colluders"])
def test_s4_collusion_below_t_learns_nothing_and_t_unmask(sent, recorded, colluders, seeded):
    """§4 (threat model): "Any group of fewer than t parties ... or the server together with up to t − 1 hospitals,
    holds fewer than t shares of any honest hospital's secrets, so it cannot unmask that hospital's vector ... A
    group of t or more can." The server pools everything it received with the colluding hospitals' shares of D's
    mask key: with t − 1 = 2 colluders that is 2 shares (rebuilding fails); with t = 3 it strips D's masks."""
    result = secagg.secure_sum(sent, threshold=3, clip=CLIP)
    (server,), clients = recorded.servers, recorded.clients
    target = 3
    mask_key_shares = [clients[c]._held[target][0] for c in colluders]
    assert target not in server.mask_key_shares  # D sent its vector: the server asked nobody for its mask key
    b_d = secagg.shamir_combine(server.self_mask_shares[target]).to_bytes(32, "big")  # legitimately rebuilt
    y = result.server_view[target]
    if len(colluders) < 3:
        with pytest.raises(ValueError, match="cannot rebuild"):
            secagg.shamir_combine(mask_key_shares)
        return
    d_key = secagg.KeyPair.from_private_bytes(secagg.shamir_combine(mask_key_shares).to_bytes(32, "big"))
    seeds = {v: secagg.agree(d_key, server.roster[v][32:], keys.MASK_PURPOSE) for v in range(3)}
    q = (y - secagg.prg_mask(b_d, len(y)) - secagg.pairwise_mask_sum(target, seeds, len(y))) % 2**32
    assert (result.quantiser.dequantise(q) - sent[target]).abs().max() < result.quantiser.step
