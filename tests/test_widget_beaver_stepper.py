"""The Beaver stepper's logic (chapter 04), without a browser: its protocol is right, and its view follows it."""

import random
from dataclasses import astuple

import pytest

import course_lib as cl
from course_lib.sharing import Q, decrypt
from course_lib.widgets.beaver_stepper import DEALER, PARTIES, STEPS, BeaverStepperModel, beaver_stepper


def _inputs(seed: int, count: int):
    draw = random.Random(seed)
    edges = [(0, 0), (0, Q - 1), (Q - 1, Q - 1), (1, Q - 1), (6, 7)]
    return edges + [(draw.randrange(Q), draw.randrange(Q)) for _ in range(count)]


def test_the_final_shares_rebuild_x_times_y_mod_q():
    with cl.reproducible(4):
        model = BeaverStepperModel()
        for x, y in _inputs(1, 300):
            model.set_inputs(x, y)
            assert len(model.z_shares) == 2 and all(0 <= z < Q for z in model.z_shares)
            assert decrypt(*model.z_shares) == model.product == (x * y) % Q == model.expected


def test_the_opened_values_are_the_masked_secrets():
    with cl.reproducible(5):
        model = BeaverStepperModel()
        for x, y in _inputs(2, 300):
            model.set_inputs(x, y)
            assert model.e == (x - model.a) % Q and model.f == (y - model.b) % Q
            assert decrypt(*model.e_shares) == model.e and decrypt(*model.f_shares) == model.f
            # each party's masked share is its own share minus its own triple share
            for i in range(2):
                assert model.e_shares[i] == (model.x_shares[i] - model.a_shares[i]) % Q
                assert model.f_shares[i] == (model.y_shares[i] - model.b_shares[i]) % Q


def test_the_triple_is_a_triple_and_its_shares_rebuild_it():
    with cl.reproducible(6):
        model = BeaverStepperModel(123, 456)
        for _ in range(50):
            model.new_triple()
            assert model.c == (model.a * model.b) % Q
            assert decrypt(*model.a_shares) == model.a and decrypt(*model.b_shares) == model.b
            assert decrypt(*model.c_shares) == model.c
            assert model.product == (123 * 456) % Q


def test_the_step_by_step_algebra_of_each_share():
    """z_i = c_i + e·b_i + a_i·f, and party 0 alone adds e·f."""
    with cl.reproducible(7):
        model = BeaverStepperModel(31, 977)
    e, f = model.e, model.f
    for i in range(2):
        z = (model.c_shares[i] + e * model.b_shares[i] + model.a_shares[i] * f + (e * f if i == 0 else 0)) % Q
        assert model.z_shares[i] == z


def test_a_fresh_triple_for_new_inputs_and_on_request():
    with cl.reproducible(8):
        model = BeaverStepperModel(6, 7)
        first = (model.a, model.b, model.e, model.f)
        model.new_triple()
        second = (model.a, model.b, model.e, model.f)
        model.set_inputs(6, 8)
        third = (model.a, model.b)
    assert first != second and third != second[:2]
    assert model.product == 48


def test_masks_make_e_uniform_whatever_x():
    from course_lib import stats

    with cl.reproducible(9):
        model = BeaverStepperModel()
        samples = {}
        for x in (3, 400_000):
            samples[x] = []
            for _ in range(3000):
                model.set_inputs(x, 5)
                samples[x].append(model.e)
    counts = [stats.histogram(v, 0, Q, 20) for v in samples.values()]
    critical = stats.chi_square_critical(19)
    assert stats.chi_square_same(*counts) < critical
    assert all(stats.chi_square_uniform(c) < critical for c in counts)


def test_bad_inputs_change_nothing():
    with cl.reproducible(10):
        model = BeaverStepperModel(6, 7)
    before = (model.x_shares, model.z_shares)
    for bad in ((Q, 1), (1, -1), (2.5, 1)):
        with pytest.raises((ValueError, TypeError)):
            model.set_inputs(*bad)
    assert (model.x_shares, model.z_shares) == before and (model.x, model.y) == (6, 7)


def test_stepping_stays_between_1_and_4():
    model = BeaverStepperModel()
    assert model.step == 1 and model.at_start
    model.previous()
    assert model.step == 1
    for expected in (2, 3, 4, 4):
        model.next()
        assert model.step == expected
    assert model.at_end and len(STEPS) == 4


def test_the_party_view_names_who_sends_what():
    model = BeaverStepperModel(6, 7)
    one, two, three, four = (model.party_view(s) for s in range(1, 5))
    assert one[DEALER]["sends"] and not any(one[p]["sends"] for p in PARTIES)  # only carol sends in step 1
    assert all(f"from {DEALER}" in line for line in one["alice"]["receives"])
    assert not any(two[n]["sends"] for n in (*PARTIES, DEALER))  # masking is local
    assert three["alice"]["sends"] == ["e₀, f₀ to bob"] and three["bob"]["sends"] == ["e₁, f₁ to alice"]
    assert not three[DEALER]["sends"] and not four[DEALER]["sends"]  # carol is done after step 1
    assert "+ e·f" in four["alice"]["computes"][0] and "e·f" not in four["bob"]["computes"][0]
    assert str(model.z_shares[0]) in four["alice"]["computes"][0]


def test_the_view_steps_through_and_ends_with_the_check():
    box = beaver_stepper(x=6, y=7)
    model, parts = box.model_logic, box.parts
    assert "cl-beaver-stepper" in box._dom_classes
    classes = {"next": "cl-next", "previous": "cl-previous", "indicator": "cl-indicator", "table": "cl-table"}
    for name, css in {**classes, "result": "cl-outcome"}.items():
        assert css in parts[name]._dom_classes
    following, previous, indicator, table, outcome = (
        parts[name] for name in ("next", "previous", "indicator", "table", "result")
    )
    assert previous.disabled and not following.disabled
    assert "<span class='cl-step'>1</span>" in indicator.value
    assert "cl-beaver-table" in table.value and "cl-product" not in outcome.value
    for _ in range(3):
        following.click()
    assert model.step == 4 and following.disabled and not previous.disabled
    assert "<span class='cl-step'>4</span>" in indicator.value
    assert "<code class='cl-product'>42</code>" in outcome.value and "✓ equal" in outcome.value
    assert f"<code class='cl-expected'>{42}</code>" in outcome.value
    previous.click()
    assert model.step == 3 and "cl-product" not in outcome.value


def test_the_view_follows_the_sliders_and_new_triples():
    box = beaver_stepper(x=6, y=7)
    model, parts = box.model_logic, box.parts
    for _ in range(3):
        parts["next"].click()
    parts["x"].value = 250
    parts["y"].value = 999
    assert model.step == 4 and model.product == (250 * 999) % Q
    assert f"<code class='cl-product'>{(250 * 999) % Q}</code>" in parts["result"].value
    opened_before = (model.e, model.f)
    parts["new_triple"].click()
    assert model.product == (250 * 999) % Q and f"e = {model.e}, f = {model.f}" in parts["table"].value
    assert (model.e, model.f) != opened_before


def test_the_stepper_runs_the_one_mod_q_beaver_product(monkeypatch):
    """Steps 2–4 are course_lib.sharing.beaver_product, not a copy of it."""
    from course_lib import sharing

    runs = []

    def spy(x_shares, y_shares, triple):
        runs.append(triple)
        return real(x_shares, y_shares, triple)

    real = sharing.beaver_product
    monkeypatch.setattr(sharing, "beaver_product", spy)
    with cl.reproducible(11):
        model = BeaverStepperModel(31, 977)
    assert len(runs) == 1 and model.product == (31 * 977) % Q
    triple = (model.a_shares, model.b_shares, model.c_shares)
    assert (model.e_shares, model.f_shares, model.e, model.f, model.z_shares) == astuple(
        real(model.x_shares, model.y_shares, triple)
    )
    same = BeaverStepperModel.from_shares(model.x_shares, model.y_shares, *triple)
    assert len(runs) == 2 and same.z_shares == model.z_shares
    with pytest.raises(ValueError, match="two parties"):
        BeaverStepperModel.from_shares((1, 2, 3), (1, 2, 3), (1, 2, 3), (1, 2, 3), (1, 2, 3))
