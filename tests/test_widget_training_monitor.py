"""The live training monitor's logic and view, without a browser."""

import pytest
import torch

import course_lib as cl
from course_lib.reservoir import reservoir_features, reservoir_weights, train_encrypted, xor_dataset
from course_lib.widgets.training_monitor import TrainingMonitorModel, party_html, training_monitor


def test_records_losses_progress_and_one_partys_view():
    inputs, targets = xor_dataset()
    features = reservoir_features(inputs, reservoir_weights(16, seed=0))
    monitor = training_monitor(steps=30, redraw_every=10)
    alice, bob, carol = (cl.VirtualWorker(n) for n in ("alice", "bob", "carol"))
    run = train_encrypted(
        features, targets, (alice, bob), carol, steps=30, reveal_loss_every=5, callback=monitor.update
    )
    model = monitor.model
    assert model.progress == 1.0 and model.step == 29
    assert model.losses == run.revealed_losses()
    assert model.party_name == "alice"
    assert model.party_share == run.model.shares[0].reshape(-1)[:6].tolist()
    progress, status, party = (monitor.widget.parts[name] for name in ("progress", "status", "party"))
    assert progress.value == 30
    assert "step 30/30" in status.value
    assert "What alice holds of the model at step 29" in party.value
    assert "cl-training-monitor" in monitor.widget._dom_classes


def test_alices_share_read_alone_is_noise():
    """Her share, decoded as if it were the weights, is nowhere near them (the weights are tiny)."""
    cl.reproducible(0)
    weights = torch.full((64, 1), 0.01)
    shared = cl.share(weights, cl.VirtualWorker("alice"), cl.VirtualWorker("bob"))
    model = TrainingMonitorModel(steps=1, watch_weights=64)
    model.record(0, 1.0, shared)
    assert min(abs(v) for v in model.share_read_alone) > 1.0  # 64 draws: none lands within 1 of 0.01 by chance
    assert "step 0" in party_html(model)


def test_plaintext_runs_feed_the_curve_without_a_party_view():
    model = TrainingMonitorModel(steps=3)
    for step in range(3):
        model.record(step, 2.0 - step, torch.zeros(4, 1))
    assert model.losses == [(0, 2.0), (1, 1.0), (2, 0.0)] and model.party_share == []
    with pytest.raises(ValueError, match="outside this run"):
        model.record(3, 0.0, None)


def test_the_monitor_redraws_every_few_steps_and_at_the_end():
    monitor = training_monitor(steps=12, redraw_every=5)
    plot, progress = monitor.widget.parts["plot"], monitor.widget.parts["progress"]
    images, shown = [plot.value], []
    for step in range(12):
        monitor.update(step, 2.0 - step / 10, None)
        shown.append(progress.value)
        if plot.value != images[-1]:
            images.append(plot.value)
    assert shown == [1, 1, 1, 1, 1, 6, 6, 6, 6, 6, 11, 12]  # redrawn at steps 0, 5, 10 and the last one
    assert len(images) == 5  # the empty plot, then those four
