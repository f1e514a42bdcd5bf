"""Chapter 08's helpers in course_lib.paillier: `packing_layout` (the layout of `Packing` from bit counts alone) and
`AggregationServer` (adds the clients' ciphertexts, holds the public key only)."""

import random

import pytest

from course_lib import paillier
from course_lib.paillier import AggregationServer, Packing, packing_layout


@pytest.fixture(scope="module")
def key256():
    return paillier.keypair(256, insecure_small=True, rng=random.Random(256))


@pytest.fixture(scope="module")
def other256():
    return paillier.keypair(256, insecure_small=True, rng=random.Random(257))


# ----- packing_layout ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("bits", [64, 128, 256, 512])
@pytest.mark.parametrize("value_bits, max_summands", [(2, 1), (8, 3), (16, 3), (16, 4), (16, 5), (12, 100), (20, 2)])
def test_the_layout_is_the_one_packing_uses(bits, value_bits, max_summands):
    public, _ = paillier.keypair(bits, insecure_small=True, rng=random.Random(bits))
    try:
        packing = Packing(public, value_bits=value_bits, max_summands=max_summands)
    except ValueError:
        with pytest.raises(ValueError, match="does not fit"):
            packing_layout(bits, value_bits, max_summands)
        return
    layout = packing_layout(public.bits, value_bits, max_summands)
    assert layout.headroom_bits == packing.headroom_bits
    assert layout.slot_bits == packing.slot_bits
    assert layout.slots == packing.slots_per_ciphertext
    assert layout.bias == packing.bias
    assert layout.used_bits + layout.spare_bits == bits and layout.spare_bits >= 1
    assert layout.used_bits == layout.slots * layout.slot_bits


def test_the_chapters_2048_bit_layout():
    layout = packing_layout(2048, 16, 3)
    assert (layout.headroom_bits, layout.slot_bits, layout.slots, layout.spare_bits) == (2, 18, 113, 14)
    assert packing_layout(2048, 16, 4).headroom_bits == 2  # 4 sums of 16-bit values fit in 18 bits
    assert packing_layout(2048, 16, 5).headroom_bits == 3
    assert packing_layout(2048, 16, 1).headroom_bits == 0


def test_a_sum_at_the_layouts_limit_fits_its_slot():
    """max_summands values of the largest stored size, value + bias = 2^value_bits − 1, stay below 2^slot_bits."""
    for summands in range(1, 70):
        layout = packing_layout(2048, 8, summands)
        assert summands * (2**layout.value_bits - 1) < 2**layout.slot_bits
        if layout.headroom_bits:  # and one bit less would not do
            assert summands * (2**layout.value_bits - 1) >= 2 ** (layout.slot_bits - 1)


@pytest.mark.parametrize(
    "args, error",
    [((8, 16, 3), ValueError), ((2048, 1, 3), ValueError), ((2048, 16, 0), ValueError), ((64, 62, 3), ValueError)],
)
def test_bad_layouts_are_refused(args, error):
    with pytest.raises(error):
        packing_layout(*args)


@pytest.mark.parametrize("bad", [2048.0, "2048", True])
def test_key_bits_must_be_an_int(bad):
    with pytest.raises(TypeError):
        packing_layout(bad)


# ----- AggregationServer ---------------------------------------------------------------------------------------------
def test_the_server_adds_uploads_position_by_position(key256):
    public, private = key256
    values = [[3, 5, 7], [10, 20, 30], [100, 200, 300]]
    server = AggregationServer(public)
    for k, row in enumerate(values):
        server.receive(f"client {k}", [public.encrypt(v) for v in row])
    assert server.senders == ("client 0", "client 1", "client 2")
    assert [private.decrypt(c) for c in server.total()] == [113, 225, 337]
    assert server.bytes_received == 9 * public.ciphertext_bytes
    assert "3 uploads of 3 ciphertexts; holds no private key" in repr(server)


def test_the_server_refuses_a_private_key(key256):
    _, private = key256
    with pytest.raises(TypeError, match="public key only"):
        AggregationServer(private)
    with pytest.raises(TypeError):
        AggregationServer(private.public.n)


def test_the_server_refuses_what_is_not_a_ciphertext_under_its_key(key256, other256):
    public, _ = key256
    server = AggregationServer(public)
    with pytest.raises(TypeError, match="encrypted values only"):
        server.receive("client", [public.encrypt(1), 5])
    with pytest.raises(ValueError, match="another key"):
        server.receive("client", [other256[0].encrypt(1)])
    with pytest.raises(TypeError):
        server.receive("client", [])
    with pytest.raises(TypeError):
        server.receive("", [public.encrypt(1)])
    assert server.senders == ()  # nothing was kept from the refused uploads


def test_one_upload_per_client_and_uploads_must_line_up(key256):
    public, _ = key256
    server = AggregationServer(public)
    server.receive("a", [public.encrypt(1), public.encrypt(2)])
    with pytest.raises(ValueError, match="already sent"):
        server.receive("a", [public.encrypt(1), public.encrypt(2)])
    with pytest.raises(ValueError, match="line up"):
        server.receive("b", [public.encrypt(1)])
    assert server.senders == ("a",)
    assert len(server.upload_of("a")) == 2
    with pytest.raises(KeyError):
        server.upload_of("b")


def test_an_empty_server_has_no_total(key256):
    with pytest.raises(ValueError, match="nothing to add"):
        AggregationServer(key256[0]).total()
