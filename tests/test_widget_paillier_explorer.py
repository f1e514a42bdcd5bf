"""Chapter 08's widgets: the Paillier explorer's and the packing explorer's logic (course_lib.paillier is the oracle),
and their views' widget values."""

import pytest

from course_lib import paillier
from course_lib.widgets.paillier_explorer import (
    PackingExplorerModel,
    PaillierExplorerModel,
    packing_explorer,
    paillier_explorer,
    short_int,
)


def _find(widget, css_class):
    found = [w for w in _walk(widget) if css_class in getattr(w, "_dom_classes", ())]
    assert len(found) == 1, f"expected one widget with class {css_class}, found {len(found)}"
    return found[0]


def _walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _walk(child)


# ----- PaillierExplorerModel -----------------------------------------------------------------------------------------
def test_the_product_of_the_ciphertexts_decrypts_to_a_plus_b():
    model = PaillierExplorerModel(a=20, b=22)
    public = model.public
    assert public.bits == 64 and not public.secure
    assert model.c_sum.value == model.c_a.value * model.c_b.value % public.nsquare
    assert model.decrypted_sum == 42
    for a, b in [(-5, 3), (0, 0), (10**15, -(10**15) - 1), (-7, -8)]:
        model.set_a(a)
        model.set_b(b)
        assert model.decrypted_sum == a + b


def test_the_ciphertexts_are_what_course_lib_encrypts_with_the_same_r():
    model = PaillierExplorerModel(a=-3, b=9)
    public = model.public
    assert model.c_a == public.encrypt(public.n - 3, r=model.r_a)
    assert model.c_b == public.encrypt(9, r=model.r_b)
    assert model.private.decrypt(model.c_a) == public.n - 3


def test_fresh_r_changes_every_ciphertext_and_never_the_decryption():
    model = PaillierExplorerModel(a=20, b=22)
    seen = set()
    for _ in range(5):
        seen.update((model.c_a.value, model.c_b.value, model.c_sum.value))
        assert model.decrypted_sum == 42
        model.fresh_r()
    assert len(seen) == 15


def test_equal_plaintexts_give_different_ciphertexts_unless_r_is_reused():
    model = PaillierExplorerModel(a=7, b=7)
    assert not model.equal_ciphertexts and model.leaked_difference is None
    model.set_reuse_r(True)
    assert model.r_b == model.r_a and model.equal_ciphertexts
    assert model.leaked_difference == 0
    model.set_b(1007)
    assert not model.equal_ciphertexts and model.leaked_difference == -1000


@pytest.mark.parametrize("a, b", [(20, 22), (-500, 499), (123456789, 5)])
def test_reusing_r_leaks_a_minus_b_from_public_numbers_alone(a, b):
    model = PaillierExplorerModel(a=a, b=b, reuse_r=True)
    n = model.public.n
    quotient = model.c_a.value * pow(model.c_b.value, -1, n * n) % (n * n)
    assert quotient == (1 + (a - b) * n) % (n * n) == model.quotient
    assert model.leaked_difference == a - b
    model.set_reuse_r(False)
    assert model.leaked_difference is None  # fresh r: the quotient has no 1 + k·n form


def test_the_2048_bit_key_is_real_size_and_seeded():
    model = PaillierExplorerModel(a=1, b=2)
    model.set_bits(2048)
    assert model.public.bits == 2048 and model.public.ciphertext_bytes == 512
    assert not model.public.secure and "seeded" in repr(model.public)
    assert model.decrypted_sum == 3
    again = PaillierExplorerModel(a=1, b=2, bits=2048)
    assert again.public == model.public  # the same seed, the same key: the committed notebook repeats


def test_bad_settings_change_nothing():
    model = PaillierExplorerModel(a=20, b=22)
    for bad in (2.5, "3", True):
        with pytest.raises(TypeError):
            model.set_a(bad)
    with pytest.raises(OverflowError):
        model.set_b(model.public.n)  # beyond n/3: not a signed plaintext of this key
    with pytest.raises(ValueError):
        model.set_bits(1024)
    with pytest.raises(TypeError):
        model.set_reuse_r(1)
    assert (model.a, model.b, model.bits, model.reuse_r) == (20, 22, 64, False)
    model.set_bits(2048)
    model.set_a(10**30)  # fits 2048 bits, not 64
    with pytest.raises(OverflowError):
        model.set_bits(64)
    assert model.bits == 2048


def test_short_int():
    assert short_int(12345) == "12345"
    assert short_int(10**39) == str(10**39)  # 40 digits: whole
    assert short_int(10**40 + 7) == "10000000…00000007 (41 digits)"


# ----- the explorer's view -------------------------------------------------------------------------------------------
def test_the_explorer_view_follows_its_controls():
    box = paillier_explorer(a=20, b=22)
    model, parts = box.model_logic, box.parts
    assert "cl-paillier-explorer" in box._dom_classes and "cl-root" in box._dom_classes
    for name, css in [("a", "cl-a"), ("b", "cl-b"), ("key", "cl-key-size"), ("reuse", "cl-reuse-r")]:
        assert _find(box, css) is parts[name]
    ciphertexts = parts["ciphertexts"].value
    assert f"<code class='cl-c-a'>{model.c_a.value}</code>" in ciphertexts
    assert "<b class='cl-decrypted'>42</b>" in ciphertexts
    assert "NOT secure" in parts["key_info"].value and "64 bits" in parts["key_info"].value
    before = model.c_a.value
    parts["fresh"].click()
    assert model.c_a.value != before and "<b class='cl-decrypted'>42</b>" in parts["ciphertexts"].value
    parts["b"].value = -30
    assert "<b class='cl-decrypted'>-10</b>" in parts["ciphertexts"].value
    parts["reuse"].value = True
    assert "<span class='cl-leak'>50</span>" in parts["reuse_info"].value
    parts["b"].value = 20
    assert "the two ciphertexts are equal" in parts["reuse_info"].value
    parts["key"].value = 2048
    assert "2048 bits" in parts["key_info"].value and " digits)" in parts["ciphertexts"].value
    parts["a"].value = 10**30
    assert parts["message"].value == ""  # fits a 2048-bit key
    parts["key"].value = 64  # 10^30 does not fit 64 bits: refused, the last good state stays
    assert "OverflowError" in parts["message"].value and model.bits == 2048


# ----- the packing explorer ------------------------------------------------------------------------------------------
def test_the_packing_explorer_agrees_with_packing_on_a_real_key():
    public, _ = paillier.keypair(1024, insecure_small=True, rng=__import__("random").Random(1))
    for value_bits, clients in [(16, 3), (8, 4), (12, 100), (32, 2)]:
        model = PackingExplorerModel(1024, value_bits, clients)
        packing = paillier.Packing(public, value_bits, clients)
        assert model.layout.slots == packing.slots_per_ciphertext
        assert model.ciphertexts_per_client == packing.ciphertexts_for(256)
        assert model.ciphertext_bytes == public.ciphertext_bytes
        assert model.worst_slot < 2**model.layout.slot_bits


def test_the_chapters_numbers():
    model = PackingExplorerModel()
    assert (model.layout.headroom_bits, model.layout.slots, model.ciphertexts_per_client) == (2, 113, 3)
    assert (model.bytes_per_client, model.unpacked_bytes_per_client) == (1536, 131072)
    model.set(clients=5)
    assert model.layout.headroom_bits == 3 and model.layout.slots == 107
    with pytest.raises(ValueError):
        model.set(value_bits=1)
    assert model.layout.value_bits == 16


def test_the_packing_view_follows_its_controls():
    box = packing_explorer()
    parts = box.parts
    assert "cl-packing-explorer" in box._dom_classes
    summary = parts["summary"].value
    assert "<code class='cl-slots'>113</code>" in summary and "<code class='cl-headroom'>2</code>" in summary
    image = parts["layout"].value
    assert image[:4] == b"\x89PNG"
    parts["clients"].value = 1000
    assert "<code class='cl-headroom'>10</code>" in parts["summary"].value
    parts["key"].value = 4096
    assert "<code class='cl-slots'>157</code>" in parts["summary"].value  # 4095 // 26
    assert parts["layout"].value != image
