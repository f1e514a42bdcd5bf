"""The party view's logic, without a browser: parsing, sharing among 2–4 parties, the HTML it shows, its cost."""

import re

import pytest
import torch

import course_lib as cl
from course_lib.widgets.party_view import PARTY_NAMES, PartyViewModel, cost_html, parse_values, party_view, table_html


def test_parse_values_reads_whole_numbers_and_never_evals():
    assert parse_values("3, -1, 7, 250") == [3, -1, 7, 250]
    assert parse_values(" 1 2;3 ,+4 ") == [1, 2, 3, 4]
    assert parse_values(str(2**63 - 1)) == [2**63 - 1]
    for bad, words in [
        ("", "whole numbers"),
        ("2.5", "not a whole number"),
        ("__import__('os')", "not a whole number"),
        (str(2**63), "does not fit in an int64"),
        (", ".join("1" * 9), "at most 8"),
    ]:
        with pytest.raises(ValueError, match=words):
            parse_values(bad)


@pytest.mark.parametrize("n_parties", [2, 3, 4])
def test_each_party_holds_one_row_and_all_rows_add_up_to_the_secret(n_parties):
    model = PartyViewModel([3, -1, 7, 250, 2**63 - 1, -(2**63)], n_parties)
    assert model.parties == PARTY_NAMES[:n_parties]
    assert model.shares.shape == (n_parties, 6) and model.shares.dtype == torch.int64
    assert torch.equal(model.shares.sum(dim=0), model.secret)  # int64 wrap-around is the reduction mod 2^64
    assert model.revealed.tolist() == [3, -1, 7, 250, 2**63 - 1, -(2**63)]
    assert torch.equal(model.without_last, model.secret - model.shares[-1])


def test_resharing_changes_every_share_but_not_the_secret():
    model = PartyViewModel("5, 6", 3)
    before = model.shares.clone()
    model.reshare()
    assert not bool((model.shares == before).any())
    assert model.revealed.tolist() == [5, 6]


def test_reproducible_mode_gives_the_same_shares():
    with cl.reproducible(3):
        first = PartyViewModel("1, 2, 3", 2).shares
    with cl.reproducible(3):
        second = PartyViewModel("1, 2, 3", 2).shares
    assert torch.equal(first, second)


def test_bad_input_changes_nothing():
    model = PartyViewModel("1, 2", 2)
    shares = model.shares.clone()
    with pytest.raises(ValueError):
        model.set_text("1, two")
    with pytest.raises(ValueError):
        model.set_n_parties(5)
    assert model.values == [1, 2] and model.n_parties == 2 and torch.equal(model.shares, shares)


@pytest.mark.parametrize("n_parties, n_values", [(2, 1), (3, 4), (4, 8)])
def test_the_message_counter_counts_share_then_reveal(n_parties, n_values):
    model = PartyViewModel(list(range(n_values)), n_parties)
    for cost in (model.share_cost, model.reveal_cost):
        assert (cost.rounds, cost.messages, cost.bytes) == (1, n_parties, n_parties * n_values * 8)
    assert f"<span class='cl-total-bytes'>{2 * n_parties * n_values * 8}</span>" in cost_html(model)


def test_the_table_shows_every_share_in_its_party_column():
    model = PartyViewModel("3, -1", 3)
    table = table_html(model)
    for party in range(3):
        shown = re.findall(rf"<code class='cl-party-share' data-party='{party}'>(-?\d+)</code>", table)
        assert [int(s) for s in shown] == model.shares[party].tolist()
    assert re.findall(r"<code class='cl-revealed'>(-?\d+)</code>", table) == ["3", "-1"]
    model.unsigned = True
    table = table_html(model)
    assert re.findall(r"<code class='cl-revealed'>(\d+)</code>", table) == ["3", str(2**64 - 1)]
    shown = re.findall(r"<code class='cl-party-share' data-party='0'>(\d+)</code>", table)
    assert [int(s) for s in shown] == [v % 2**64 for v in model.shares[0].tolist()]


def test_the_view_follows_its_controls():
    box = party_view("3, -1, 7", n_parties=2)
    model, parts = box.model_logic, box.parts
    assert "cl-party-view" in box._dom_classes
    text, slider, table, message = (parts[name] for name in ("text", "parties", "table", "message"))
    for name, css in [("text", "cl-secret-text"), ("parties", "cl-parties-slider"), ("table", "cl-party-table")]:
        assert css in parts[name]._dom_classes
    slider.value = 4
    assert model.n_parties == 4 and table.value.count("class='cl-party-name'") == 4
    text.value = "10, 20"
    assert model.values == [10, 20] and "<code class='cl-revealed'>20</code>" in table.value
    shown = table.value
    text.value = "10, oops"
    assert model.values == [10, 20] and "not a whole number" in message.value and message.layout.display is None
    assert table.value == shown  # the last good values stay on show
    text.value = "1"
    assert message.value == "" and model.revealed.tolist() == [1] and message.layout.display == "none"
    before = table.value
    parts["reshare"].click()
    assert table.value != before and model.revealed.tolist() == [1]
    parts["unsigned"].value = True
    assert model.unsigned and "unsigned" in table.value
