"""The XOR lab's logic and view, without a browser (short runs: 40 steps)."""

import math

import pytest

import course_lib as cl
from course_lib.reservoir import diagnose
from course_lib.widgets.xor_lab import XorLabModel, result_html, xor_lab


@pytest.fixture(autouse=True)
def _seeded():
    with cl.reproducible(0):
        yield


def test_a_good_setting_learns_in_plaintext_and_encrypted():
    lab = XorLabModel(reservoir_size=256, learning_rate=3e-3, steps=40)
    lab.train()
    assert lab.verdict("plaintext") == lab.verdict("encrypted") == "learned XOR"
    assert "converges" in " ".join(lab.reasons())
    assert lab.history[0][0] == "size 256, lr 3e-03, 16 bits, 2 parties"
    assert "learned XOR" in result_html(lab)


def test_eight_bits_encode_the_learning_rate_to_zero():
    lab = XorLabModel(precision_bits=8, steps=40)
    lab.train()
    assert lab.verdict("plaintext") == "learned XOR"
    assert lab.verdict("encrypted") == "did not learn XOR"
    assert lab.experiment.encrypted.losses[-1] == 2.0  # the model never moved
    assert any("encodes to round(0.001 · 2^8) = 0" in r for r in lab.reasons())


def test_too_large_a_learning_rate_diverges_and_is_explained():
    lab = XorLabModel(learning_rate=1e-2, steps=40)
    lab.train()
    assert lab.verdict("plaintext") == lab.verdict("encrypted") == "diverged"
    assert any("stability limit" in r and "wrap around" in r for r in lab.reasons())
    html = result_html(lab)
    assert "(not finite)" in html and "(meaningless: wrapped values)" in html  # squared losses overflow float32


def test_diagnosis_of_small_reservoirs_and_the_encoded_rate():
    tiny = diagnose(2, 1e-3, 16, 250)
    assert tiny.rank == 2 and tiny.lr_encoded == 66 and math.isclose(tiny.lr_used, 66 / 2**16)
    big = diagnose(256, 1e-3, 16, 250)
    assert big.rank == 3 and big.progress(big.lr_used) > 3 and 1e-2 > big.stability_limit > 3e-3
    slow = XorLabModel(reservoir_size=8)
    assert any(r.startswith("Slow:") for r in slow.reasons())
    assert any("2 dimensions" in r for r in XorLabModel(reservoir_size=2).reasons())


def test_three_parties_cost_more_rounds():
    lab = XorLabModel(reservoir_size=16, learning_rate=1e-2, n_parties=3, steps=40)
    lab.train()
    assert lab.experiment.cost_per_step.rounds == 5  # 2 products + 3 truncations (the loss is not part of a step)
    with pytest.raises(ValueError, match="at least 2 parties"):
        lab.set(16, 1e-2, 16, 1)


def test_view_trains_on_click_and_keeps_a_history():
    box = xor_lab()
    assert "cl-xor-lab" in box._dom_classes
    lab = box.model_logic
    lab.steps = 40
    parts = box.parts
    size, lr, bits, button = parts["size"], parts["lr"], parts["bits"], parts["train"]
    result, plot, history = parts["result"], parts["plot"], parts["history"]
    assert "press <b>train</b>" in result.value and history.value == ""
    size.value, lr.value = 64, 1e-2
    before = plot.value
    button.click()
    assert "size 64, lr 1e-02, 16 bits, 2 parties" in result.value
    assert "cl-verdict" in result.value and plot.value != before
    bits.value = 8
    button.click()
    assert history.value.count("<tr>") == 3  # header + two runs
    assert not button.disabled
