"""The secure aggregation round viewer's logic, without a browser: statuses, the decoded sum, refusals, the view."""

import re

import pytest
import torch

import course_lib as cl
from course_lib import secagg
from course_lib.widgets.secagg_round import (
    AFTER,
    BEFORE,
    SENDS,
    SecAggRoundModel,
    plot_png,
    secagg_round,
    summary_html,
    table_html,
)


def _updates(n=5, length=8, seed=3):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(length, generator=g, dtype=torch.float64) for _ in range(n)]


def test_with_everyone_sending_the_server_decodes_the_sum_and_sees_noise():
    updates = _updates()
    model = SecAggRoundModel(updates, threshold=3)
    assert model.result is not None and model.result.included == (0, 1, 2, 3, 4)
    assert torch.allclose(model.result.total, torch.stack(updates).sum(dim=0), atol=model.result.max_error)
    assert model.error < model.result.max_error
    for i, update in enumerate(updates):
        masked = model.masked(i)
        assert masked.dtype == torch.int64 and 0 <= masked.min() and masked.max() < secagg.RING_MODULUS
        assert not torch.allclose(masked.double(), update)
    assert {model.held(i) for i in range(5)} == {"self-mask seed"}


def test_dropping_before_masking_leaves_a_client_out_and_after_masking_keeps_it_in():
    updates = _updates()
    model = SecAggRoundModel(updates, threshold=3)
    model.set_status(1, BEFORE)
    assert model.result.included == (0, 2, 3, 4) and model.masked(1) is None
    assert model.held(1) == "mask key" and model.held(0) == "self-mask seed"
    expected = torch.stack([updates[i] for i in (0, 2, 3, 4)]).sum(dim=0)
    assert torch.allclose(model.result.total, expected, atol=model.result.max_error)
    model.set_status(1, SENDS)
    model.set_status(4, AFTER)
    assert model.result.included == (0, 1, 2, 3, 4)  # its masked input arrived: it counts
    assert torch.allclose(model.result.total, torch.stack(updates).sum(dim=0), atol=model.result.max_error)
    assert "client 4" in model.summary() and "differs from plaintext by" in model.summary()


@pytest.mark.parametrize(
    ("before", "after", "words"),
    [((0, 1, 2), (), "sent a masked input but the threshold is 3"), ((0,), (1, 2), "answered the unmasking round")],
)
def test_below_t_the_round_is_refused_and_nothing_is_shown_as_learned(before, after, words):
    model = SecAggRoundModel(_updates(), threshold=3)
    for i in before:
        model.set_status(i, BEFORE)
    for i in after:
        model.set_status(i, AFTER)
    assert model.result is None and words in model.refusal
    assert model.summary().startswith("Round aborted: only 2 client(s)")
    assert all(model.masked(i) is None and model.held(i) == "nothing rebuilt" for i in range(5))
    assert "cl-bad" in summary_html(model)
    assert table_html(model).count("never unmasked") == len(model.senders)
    model.set_threshold(2)  # lowering t makes the same dropouts survivable
    assert model.result is not None and model.refusal == ""


def test_counted_updates_show_the_weighted_average():
    counts = [10.0, 30.0, 60.0]
    deltas = _updates(3, 4)
    updates = [torch.cat([torch.tensor([n]), n * d]) for n, d in zip(counts, deltas, strict=True)]
    model = SecAggRoundModel(updates, names=["A", "B", "C"], threshold=2, clip=1000.0, counted=True)
    average = sum(n * d for n, d in zip(counts, deltas, strict=True)) / sum(counts)
    assert torch.allclose(model.meaning(model.result.total), average, atol=1e-6)
    model.set_status(2, BEFORE)
    assert torch.allclose(model.meaning(model.result.total), (10 * deltas[0] + 30 * deltas[1]) / 40, atol=1e-6)
    assert "(40 in the count)" in model.summary() and "weighted average of A, B" in model.summary()


def test_fresh_masks_every_round_and_reproducible_ones_when_seeded():
    with cl.reproducible(5, quiet=True):
        first = SecAggRoundModel(_updates(), threshold=3)
    with cl.reproducible(5, quiet=True):
        again = SecAggRoundModel(_updates(), threshold=3)
    assert torch.equal(first.masked(0), again.masked(0))
    before = first.masked(0).clone()
    first.run()
    assert not torch.equal(first.masked(0), before) and first.rounds == 2


def test_the_table_shows_what_the_server_received():
    model = SecAggRoundModel(_updates(), threshold=3)
    model.set_status(2, BEFORE)
    text = table_html(model)
    for i in (0, 1, 3, 4):
        shown = re.search(rf"<code class='cl-secagg-masked' data-client='{i}'>([^<]*)</code>", text).group(1)
        assert [int(v) for v in shown.rstrip(", …").split(",")] == model.masked(i)[:3].tolist()
    assert "data-client='2'" not in text and text.count("drops before masking") == 1


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda m: m.set_status(0, "vanishes"), "a client's status is one of"),
        (lambda m: m.set_status(9, BEFORE), "there is no client 9"),
        (lambda m: m.set_threshold(1), r"threshold must be a whole number in \[2, 5\]"),
        (lambda m: m.set_threshold(6), r"in \[2, 5\]"),
    ],
)
def test_bad_settings_change_nothing(call, words):
    model = SecAggRoundModel(_updates(), threshold=3)
    status, threshold = list(model.status), model.threshold
    with pytest.raises(ValueError, match=words):
        call(model)
    assert model.status == status and model.threshold == threshold


def test_bad_construction_is_refused():
    with pytest.raises(ValueError, match="at least 2 clients"):
        SecAggRoundModel(_updates(1))
    with pytest.raises(ValueError, match="same number of elements"):
        SecAggRoundModel([torch.zeros(2), torch.zeros(3)])
    with pytest.raises(ValueError, match="2 names for 3 updates"):
        SecAggRoundModel(_updates(3), names=["A", "B"])


def test_the_view_follows_its_controls():
    box = secagg_round(_updates(4), names=["A", "B", "C", "D"], threshold=3)
    model, parts = box.model_logic, box.parts
    assert "cl-secagg-round" in box._dom_classes and "cl-root" in box._dom_classes
    assert parts["plot"].value[:8] == b"\x89PNG\r\n\x1a\n"
    parts["status3"].value = BEFORE
    assert model.status[3] == BEFORE and "drops before masking" in parts["table"].value
    assert "weighted" not in parts["summary"].value and "sum of A, B, C" in parts["summary"].value
    parts["status2"].value = BEFORE
    assert "Round aborted" in parts["summary"].value and "cl-bad" in parts["summary"].value
    parts["threshold"].value = 2
    assert model.threshold == 2 and "sum of A, B" in parts["summary"].value
    shown = parts["table"].value
    parts["again"].click()
    assert parts["table"].value != shown and model.rounds >= 4
    assert parts["message"].value == ""


def test_the_default_example_and_both_figures_draw():
    box = secagg_round()
    model = box.model_logic
    assert model.n == 5 and model.threshold == 3 and model.result is not None
    for i in range(3):
        model.set_status(i, BEFORE)
    assert model.result is None
    assert plot_png(model)[:4] == b"\x89PNG"
