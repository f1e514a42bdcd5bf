"""The live training monitor (chapter 05): a loss curve that grows while the encrypted model learns, a progress bar,
and the party view — what Alice holds of the model at the current step (noise).

`TrainingMonitorModel` records what the training loop reports; `training_monitor()` builds the view and returns a
`TrainingMonitor` whose `.widget` is displayed in one cell and whose `.update` is passed as the training loop's
callback in the next (`course_lib.reservoir.train_encrypted(..., callback=monitor.update)`). Widget values change
while the cell runs, so JupyterLab redraws live; nothing is printed, so the notebook's outputs stay deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import ipywidgets as widgets

from course_lib.widgets.render import Markup, figure_png, html, loss_figure, party_class, table
from course_lib.widgets.view import View

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
    title: str = "Learning XOR while encrypted"  # the plot's title, y-axis label and top (chapter 06: Brier loss)
    loss_name: str = "sum of squared errors"
    loss_max: float = 2.1

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


def party_html(model: TrainingMonitorModel) -> Markup:
    if not model.party_share:
        return html("<i>the party view appears once training runs on shared tensors</i>")
    name, step = model.party_name, model.step
    rows = [
        [f"w[{i}]", html("<code>{}</code>", share), html("<code>{:.3e}</code>", alone)]
        for i, (share, alone) in enumerate(zip(model.party_share, model.share_read_alone, strict=True))
    ]
    return (
        html(
            "<div class='{}'><b>What {} holds of the model at step {}</b></div>",
            party_class(model.watch_party),
            name,
            step,
        )
        + table(rows, ["", f"{name}'s int64 share", "read as fixed point"])
        + html("<div>Noise: the weights are small numbers near 0; these are not.</div>")
    )


def loss_png(model: TrainingMonitorModel) -> bytes:
    runs = {"plaintext": list(enumerate(model.reference or [])), "encrypted": model.losses}
    figure, axes = loss_figure(model.steps, model.title, runs)
    axes.set_ylim(0, model.loss_max)
    axes.set_ylabel(f"loss ({model.loss_name})")
    if model.reference or model.losses:
        axes.legend(loc="upper right", fontsize=8)
    return figure_png(figure)


@dataclass
class TrainingMonitor:
    """The displayed widget and the callback that feeds it."""

    widget: widgets.Widget
    model: TrainingMonitorModel
    redraw_every: int

    def update(self, step: int, loss: float | None, shared_model) -> None:
        self.model.record(step, loss, shared_model)
        if step % self.redraw_every == 0 or step == self.model.steps - 1:  # a PNG per step would cost more than a step
            self.widget.view.refresh()


def training_monitor(
    steps: int = 250,
    reference: list[float] | None = None,
    redraw_every: int = 10,
    **plot: str | float,
) -> TrainingMonitor:
    """Build the monitor for a run of `steps` steps; pass `.update` as the training callback, display `.widget`.
    `plot` may set the curve's `title`, `loss_name` (y-axis) and `loss_max` (its top); chapter 05's by default."""
    unknown = set(plot) - {"title", "loss_name", "loss_max"}
    if unknown:
        raise TypeError(f"training_monitor() got unexpected options {sorted(unknown)}: use title, loss_name, loss_max")
    model = TrainingMonitorModel(steps=steps, reference=list(reference) if reference is not None else None, **plot)
    view = View(model)
    progress = widgets.IntProgress(value=0, min=0, max=steps, description="steps", layout={"width": "560px"})
    view.add("progress", progress)

    @view.draws
    def progress_bar() -> None:
        progress.value = model.step + 1

    box = view.root(
        "cl-training-monitor",
        "<b>Training monitor</b> — the loss opened as one number per step, the model kept secret-shared",
        [
            progress,
            view.html("status", lambda model: html("{}", model.status())),
            view.html("party", party_html),
            view.image("plot", loss_png, width="560px"),
        ],
    )
    return TrainingMonitor(box, model, redraw_every)
