"""The live training monitor (chapter 05): a loss curve that grows while the encrypted model learns, a progress bar,
and the party view — what Alice holds of the model at the current step (noise).

`TrainingMonitorModel` records what the training loop reports; `training_monitor()` builds the view and returns a
`TrainingMonitor` whose `.widget` is displayed in one cell and whose `.update` is passed as the training loop's
callback in the next (`course_lib.reservoir.train_encrypted(..., callback=monitor.update)`). Widget values change
while the cell runs, so JupyterLab redraws live; nothing is printed, so the notebook's outputs stay deterministic.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import ipywidgets as widgets

from course_lib.widgets.render import figure_png, new_figure, party_color, widget_root

__all__ = ["TrainingMonitorModel", "TrainingMonitor", "training_monitor"]


@dataclass
class TrainingMonitorModel:
    """The revealed losses so far, the step reached, and one party's view of the model."""

    steps: int
    reference: list[float] | None = None  # a plaintext run's losses, drawn beside the encrypted ones
    watch_party: int = 0
    watch_weights: int = 6
    losses: list[tuple[int, float]] = field(default_factory=list)
    step: int = -1
    party_name: str = ""
    party_share: list[int] = field(default_factory=list)
    share_read_alone: list[float] = field(default_factory=list)

    def record(self, step: int, loss: float | None, model) -> None:
        """What the training loop's callback passes: the step, the revealed loss (or None), the (shared) model."""
        if not 0 <= step < self.steps:
            raise ValueError(f"step {step} is outside this run's 0 … {self.steps - 1}")
        self.step = step
        if loss is not None:
            self.losses.append((step, float(loss)))
        shares = getattr(model, "shares", None)
        if shares is not None:  # a SharedTensor: look at one party's share only, as that party would
            own = shares[self.watch_party].reshape(-1)[: self.watch_weights]
            self.party_name = model.parties[self.watch_party].id
            self.party_share = own.tolist()
            self.share_read_alone = model.encoder.decode(own).tolist()

    @property
    def progress(self) -> float:
        return (self.step + 1) / self.steps

    def status(self) -> str:
        if not self.losses:
            return "waiting for the first step…"
        step, loss = self.losses[-1]
        return f"step {self.step + 1}/{self.steps} · last revealed loss {loss:.3e} (step {step})"

    def party_html(self) -> str:
        if not self.party_share:
            return "<i>the party view appears once training runs on shared tensors</i>"
        name = html.escape(self.party_name)
        rows = "".join(
            f"<tr><td>w[{i}]</td><td><code>{share}</code></td><td><code>{alone:.3e}</code></td></tr>"
            for i, (share, alone) in enumerate(zip(self.party_share, self.share_read_alone, strict=True))
        )
        return (
            f"<div style='color:{party_color(self.watch_party)}'><b>What {name} holds of the model at step "
            f"{self.step}</b></div><table><tr><th></th><th>{name}'s int64 share</th><th>read as fixed point</th></tr>"
            f"{rows}</table><div>Noise: the weights are small numbers near 0; these are not.</div>"
        )


def _loss_png(model: TrainingMonitorModel) -> bytes:
    figure = new_figure(5.6, 2.6)
    axes = figure.subplots()
    if model.reference:
        axes.plot(range(len(model.reference)), model.reference, color="#7f7f7f", lw=1.5, ls="--", label="plaintext")
    if model.losses:
        steps, losses = zip(*model.losses, strict=True)
        axes.plot(steps, losses, color=party_color(0), lw=2, label="encrypted")
    axes.set_xlim(0, model.steps)
    axes.set_ylim(0, 2.1)
    axes.set_xlabel("step")
    axes.set_ylabel("loss (sum of |error|)")
    if model.reference or model.losses:
        axes.legend(loc="upper right", fontsize=8)
    axes.set_title("Learning XOR while encrypted", fontsize=10)
    return figure_png(figure)


@dataclass
class TrainingMonitor:
    """The displayed widget and the callback that feeds it."""

    widget: widgets.Widget
    model: TrainingMonitorModel
    redraw_every: int

    def update(self, step: int, loss: float | None, shared_model) -> None:
        self.model.record(step, loss, shared_model)
        last = step == self.model.steps - 1
        if step % self.redraw_every == 0 or last:  # a PNG per step would cost more than the training
            progress, status, party, plot = self.widget.children[1:5]
            progress.value = step + 1
            status.value = self.model.status()
            party.value = self.model.party_html()
            plot.value = _loss_png(self.model)


def training_monitor(steps: int = 250, reference: list[float] | None = None, redraw_every: int = 10) -> TrainingMonitor:
    """Build the monitor for a run of `steps` steps; pass `.update` as the training callback, display `.widget`."""
    model = TrainingMonitorModel(steps=steps, reference=list(reference) if reference is not None else None)
    box = widget_root(
        [
            widgets.HTML("<b>Training monitor</b> — loss revealed by the parties, model kept secret-shared"),
            widgets.IntProgress(value=0, min=0, max=steps, description="steps", layout=widgets.Layout(width="560px")),
            widgets.HTML(model.status()),
            widgets.HTML(model.party_html()),
            widgets.Image(value=_loss_png(model), format="png", layout=widgets.Layout(width="560px")),
        ],
        "cl-training-monitor",
        model,
    )
    return TrainingMonitor(box, model, redraw_every)
