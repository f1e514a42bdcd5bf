"""The party log's logic, without a browser and without processes: a message log as a distributed run returns it,
replayed in step order (never by time), one column per process, rounds ticking only on online steps."""

import random
import re

import pytest

from course_lib.distributed.wire import Message
from course_lib.widgets.party_log import PartyLogModel, cell_html, log_html, party_log, phases_html, status_html


def _product_log(n_parties: int = 2, start: int = 1, label: str = "x * y") -> list[Message]:
    """What `distributed.run(demos.product, n, log_messages=True)` logs: two inputs, the dealer's triple, one opening
    of two values, a reveal to you. Listed the way a real log is (by time): the triple after the opening."""
    parties = ("alice", "bob", "dave")[:n_parties]
    shape, size = (2, 3), 48
    s = start
    messages = []
    for step in (s, s + 1):
        messages += [Message(step, "data owner", p, "input", step, label, shape, size) for p in parties]
    messages += [Message(s + 3.0, p, q, "open", s + 3, label, shape, size) for p in parties for q in parties if p != q]
    messages += [Message(s + 3.0, p, q, "open", s + 3, label, shape, size) for p in parties for q in parties if p != q]
    messages += [Message(s + 3.5, "carol", p, "dealer", s + 2, label, shape, size) for p in parties for _ in range(3)]
    messages += [Message(s + 4.0, p, "you", "reveal", s + 4, label, shape, size) for p in parties]
    return messages


def test_a_shuffled_log_gives_the_same_model_and_the_same_pictures():
    log = _product_log() + _product_log(start=6, label="again")
    shuffled = log[:]
    random.Random(3).shuffle(shuffled)
    a, b = PartyLogModel(log), PartyLogModel(shuffled)
    assert a.entries == b.entries and a.steps == b.steps == list(range(1, 11))
    for position in (1, 4, 10):
        a.set_position(position)
        b.set_position(position)
        assert log_html(a) == log_html(b) and status_html(a) == status_html(b) and phases_html(a) == phases_html(b)
    assert "time" not in log_html(a)  # no timestamps: they differ from run to run


def test_processes_are_the_parties_in_course_order_then_the_dealer_process():
    model = PartyLogModel(_product_log(3))
    assert model.parties == ("alice", "bob", "dave") and model.processes == ("alice", "bob", "dave", "carol")
    with pytest.raises(ValueError, match="not among"):
        PartyLogModel(_product_log(3), parties=("alice", "bob"))


def test_rounds_tick_on_online_steps_only():
    model = PartyLogModel(_product_log(2))
    seen = []
    for position in range(1, model.n_steps + 1):
        model.set_position(position)
        seen.append(model.rounds_so_far)
    assert seen == [1, 2, 2, 3, 4]  # step 3 is the dealer's triple: offline, no round
    # 2 inputs to 2 parties, 2 values opened each way, 2 shares revealed to you: as the runtime counts a product
    assert model.totals() == {"rounds": 4, "messages": 4 + 4 + 2, "bytes": 10 * 48, "dealer_messages": 6,
                              "dealer_bytes": 6 * 48}  # fmt: skip
    assert not model.online(3) and model.online(4)


def test_the_log_says_who_sent_what_to_whom():
    model = PartyLogModel(_product_log(2))
    model.set_position(4)  # the opening
    alice = cell_html(model, "alice", 4)
    assert "→ <b>bob</b> 2×(2, 3)" in alice and "96 B" in alice and "← bob 96 B" in alice
    carol = cell_html(model, "carol", 1)
    assert "as data owner → <b>alice</b> (2, 3)" in carol and "as data owner → <b>bob</b>" in carol
    assert "→ <b>alice</b> 3×(2, 3)" in cell_html(model, "carol", 3)  # the dealer's rows, as the dealer
    model.set_position(5)
    assert "← alice 48 B" in cell_html(model, "carol", 5) and "→ <b>you</b>" in cell_html(model, "bob", 5)
    assert "·" in cell_html(model, "carol", 4)  # the dealer process takes no part in the opening


def test_the_window_shows_the_current_step_last_and_counts_what_is_above():
    log = _product_log() + _product_log(start=6, label="again")
    model = PartyLogModel(log, window=3)
    model.set_position(7)
    assert model.shown_steps() == [5, 6, 7]
    shown = log_html(model)
    assert "4 earlier steps above" in shown
    assert re.findall(r"<tr><td( class='cl-now')?>(\d+)</td>", shown) == [
        ("", "5"),
        ("", "6"),
        (" class='cl-now'", "7"),
    ]
    phases = phases_html(model)
    assert "<td class='cl-now'>again</td>" in phases and "<td class='cl-now'>2 / 4</td>" in phases
    assert "<td>4 / 4</td>" in phases  # the first phase is done


def test_phases_and_jumps():
    model = PartyLogModel(_product_log() + _product_log(start=6, label="again"))
    assert model.phases == ["x * y", "again"]
    assert model.first_position("again") == 6
    with pytest.raises(ValueError, match="phases: x \\* y, again"):
        model.first_position("nowhere")


def test_bad_input_is_refused_with_a_way_out():
    with pytest.raises(ValueError, match="log_messages=True"):
        PartyLogModel(None)
    with pytest.raises(ValueError, match="empty"):
        PartyLogModel([])
    with pytest.raises(TypeError, match="RunResult.messages"):
        PartyLogModel([("alice", "bob")])
    model = PartyLogModel(_product_log())
    for bad in (0, 6, 2.5, True):
        with pytest.raises(ValueError, match="from 1 to 5"):
            model.set_position(bad)
    assert model.position == 1


def test_a_run_result_without_a_log_is_explained():
    class Result:  # what distributed.run returns without log_messages=True
        messages = None

    with pytest.raises(ValueError, match="log_messages=True"):
        party_log(Result())


def test_the_view_follows_its_slider_and_its_jumps():
    box = party_log(_product_log() + _product_log(start=6, label="again"))
    model, parts = box.model_logic, box.parts
    assert "cl-party-log" in box._dom_classes
    assert model.position == 1 and "step <b>1</b> of 10" in parts["status"].value
    parts["step"].value = 4
    assert model.position == 4 and "<b class='cl-rounds'>3</b> of 8 rounds" in parts["status"].value
    assert "<td class='cl-now'>4</td>" in parts["log"].value
    parts["jump"].value = 6  # "again" starts at position 6
    assert model.position == 6 and parts["step"].value == 6 and "phase <b>again</b>" in parts["status"].value
    assert parts["play"].max == 10 and parts["step"].max == 10
