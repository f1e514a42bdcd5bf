"""The XOR lab (chapter 05): pick a reservoir size, a learning rate, the fixed-point precision and the number of
parties, press "train", and see whether XOR is learned in plaintext and encrypted, and why not when it isn't.

`XorLabModel` holds the settings, runs `course_lib.reservoir.run_experiment` and explains the outcome from public
facts alone (the reservoir, the learning rate and its encoding).
"""

from __future__ import annotations

import math

import ipywidgets as widgets

from course_lib.encoding import FixedPointEncoder
from course_lib.reservoir import Diagnosis, Experiment, diagnose, run_experiment
from course_lib.widgets.render import Markup, figure_png, html, join, loss_figure, table
from course_lib.widgets.view import View

__all__ = ["SIZES", "LEARNING_RATES", "PRECISION_BITS", "PARTIES", "Diagnosis", "XorLabModel", "xor_lab"]

SIZES = (2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
LEARNING_RATES = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1)
PRECISION_BITS = (6, 8, 9, 10, 12, 16, 20, 24)
PARTIES = (2, 3)
HISTORY = 6  # runs kept in the comparison table


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def _loss_text(value: float | None) -> str:
    return f"{value:.3g}" if value is not None else "—"


class XorLabModel:
    """The four settings, the last experiment, its explanation and a short history of runs."""

    def __init__(
        self,
        reservoir_size: int = 256,
        learning_rate: float = 1e-3,
        precision_bits: int = 16,
        n_parties: int = 2,
        steps: int = 250,
        seed: int = 0,
    ):
        self.steps = steps
        self.seed = seed
        self.set(reservoir_size, learning_rate, precision_bits, n_parties)
        self.experiment: Experiment | None = None
        self.history: list[tuple[str, str, str, str, str]] = []

    def set(self, reservoir_size: int, learning_rate: float, precision_bits: int, n_parties: int) -> None:
        if reservoir_size < 1:
            raise ValueError(f"the reservoir needs at least one feature, got {reservoir_size}")
        if not learning_rate > 0:
            raise ValueError(f"the learning rate must be positive, got {learning_rate}")
        FixedPointEncoder(precision_bits)  # validates the precision
        if n_parties < 2:
            raise ValueError(f"secret sharing needs at least 2 parties, got {n_parties}")
        self.reservoir_size, self.learning_rate = int(reservoir_size), float(learning_rate)
        self.precision_bits, self.n_parties = int(precision_bits), int(n_parties)

    def settings_text(self) -> str:
        return (
            f"size {self.reservoir_size}, lr {self.learning_rate:.0e}, {self.precision_bits} bits, "
            f"{self.n_parties} parties"
        )

    def train(self) -> Experiment:
        """Train with the current settings, in plaintext and encrypted; remember the result."""
        self.experiment = run_experiment(
            self.reservoir_size, self.learning_rate, self.precision_bits, self.n_parties, self.steps, self.seed
        )
        plain, secret = self.verdict("plaintext"), self.verdict("encrypted")
        row = (
            self.settings_text(),
            plain,
            _loss_text(self.experiment.plaintext.losses[-1]),
            secret,
            _loss_text(self.experiment.encrypted.losses[-1]),
        )
        self.history = [row, *self.history][:HISTORY]
        return self.experiment

    def verdict(self, which: str) -> str:
        """ "learned XOR", "did not learn XOR" or "diverged", for the "plaintext" or the "encrypted" run."""
        if self.experiment is None:
            raise ValueError("nothing trained yet: call train() first")
        return self.experiment.verdict(which)

    def diagnosis(self) -> Diagnosis:
        return diagnose(self.reservoir_size, self.learning_rate, self.precision_bits, self.steps, self.seed)

    def reasons(self) -> list[str]:
        """Why the runs went as they did, from public facts only (plain text, one sentence each)."""
        d = self.diagnosis()
        lr, bits = self.learning_rate, self.precision_bits
        reasons = []
        if d.lr_encoded == 0:
            reasons.append(
                f"At {bits} bits the learning rate encodes to round({lr:g} · 2^{bits}) = 0: every encrypted update "
                "is multiplied by 0, so the encrypted model never moves."
            )
        elif not math.isclose(d.lr_used, lr, rel_tol=1e-3):
            reasons.append(
                f"At {bits} bits the learning rate encodes to {d.lr_encoded}/2^{bits}, so the encrypted run really "
                f"uses lr ≈ {d.lr_used:.4g} ({d.lr_used / lr:.2f}× the rate asked for)."
            )
        if lr > d.stability_limit:
            reasons.append(
                f"lr {lr:g} is above this reservoir's stability limit 2/λ_max = {d.stability_limit:.3g}: every step "
                "overshoots and the error grows. Plaintext runs off to inf/nan; encrypted values outgrow the "
                "fixed-point range, wrap around 2^64 and turn into garbage."
            )
        elif d.lr_encoded and d.progress(d.lr_used) < 3:
            reasons.append(
                f"Slow: with {self.reservoir_size} features the slowest direction has curvature "
                f"λ_min = {d.curvature_min:.3g}, and {self.steps} steps of lr {d.lr_used:.3g} only get it "
                f"{d.progress(d.lr_used):.2g} of the way (3 or more converges), so the loss stays high. More "
                "features or a larger learning rate (below the stability limit) help."
            )
        if d.lr_encoded and lr <= d.stability_limit and d.progress(d.lr_used) >= 3:
            reasons.append(
                f"lr {d.lr_used:.3g} is below the stability limit 2/λ_max = {d.stability_limit:.3g}, and "
                f"lr · λ_min · steps = {d.progress(d.lr_used):.3g} ≥ 3: even the slowest direction converges."
            )
        if d.rank < 3:
            reasons.append(
                f"Only {self.reservoir_size} features: the three non-zero inputs span {d.rank} dimensions, so no "
                "readout fits all four targets exactly (the 0.5 threshold may still get them right)."
            )
        if bits <= 10 and d.lr_encoded:
            reasons.append(
                f"At {bits} bits data and model are rounded to steps of 2^-{bits} ≈ {2.0**-bits:.1g}, and every "
                "product loses up to one such step: the encrypted losses wobble around the plaintext ones."
            )
        if self.experiment is not None:
            cost = self.experiment.cost_per_step
            reasons.append(
                f"One encrypted step with {self.n_parties} parties: {cost.rounds} rounds, "
                f"{cost.bytes / 1024:.1f} KiB between the parties, {cost.dealer_bytes / 1024:.1f} KiB from the dealer."
            )
        return reasons


_VERDICT_CLASS = {"learned XOR": "cl-good", "diverged": "cl-bad", "did not learn XOR": "cl-meh"}


def result_html(model: XorLabModel) -> Markup:
    if model.experiment is None:
        return html("<i>Pick the settings and press <b>train</b> (a run takes about a second).</i>")
    rows = []
    for which in ("plaintext", "encrypted"):
        verdict, run = model.verdict(which), getattr(model.experiment, which)
        if not _finite(run.losses[-1]):
            predictions = "(not finite)"
        elif verdict == "diverged":
            predictions = "(meaningless: wrapped values)" if which == "encrypted" else "(meaningless: exploded)"
        else:
            predictions = (run.predictions > 0.5).int().flatten().tolist()
        rows.append(
            [
                html("<b>{}</b>", which),
                (html("<b class='cl-verdict'>{}</b>", verdict), _VERDICT_CLASS[verdict]),
                html("final loss <code>{}</code>", _loss_text(run.losses[-1])),
                html("predictions <code>{}</code>", predictions),
            ]
        )
    return html(
        "<div><b>{}</b>, {} steps (targets [0, 1, 1, 0])</div>{}<div><b>Why:</b></div><ul>{}</ul>",
        model.settings_text(),
        model.steps,
        table(rows),
        join(html("<li>{}</li>", reason) for reason in model.reasons()),
    )


def history_html(model: XorLabModel) -> Markup:
    if not model.history:
        return Markup()
    header = ["setting", "plaintext", "loss", "encrypted", "loss"]
    return html("<details open><summary>last runs (newest first)</summary>{}</details>", table(model.history, header))


def plot_png(model: XorLabModel) -> bytes:
    if model.experiment is None:
        figure, axes = loss_figure(model.steps, "press train", {}, log=True)
        axes.set_ylim(1e-3, 10)
        return figure_png(figure)
    runs = {
        which: [(s, v) for s, v in enumerate(getattr(model.experiment, which).losses) if _finite(v) and v > 0]
        for which in ("plaintext", "encrypted")
    }
    figure, axes = loss_figure(model.steps, model.settings_text(), runs, log=True)
    axes.axhline(2.0, color="black", lw=0.8, ls=":", label="loss at the start")
    axes.legend(loc="best", fontsize=8)
    return figure_png(figure)


def xor_lab(
    reservoir_size: int = 256, learning_rate: float = 1e-3, precision_bits: int = 16, n_parties: int = 2
) -> widgets.VBox:
    """Build the XOR lab: four settings, a train button, the verdicts with their reasons, the loss curves."""
    model = XorLabModel(reservoir_size, learning_rate, precision_bits, n_parties)
    view = View(model)

    def dropdown(name: str, description: str, options: list, value) -> widgets.Dropdown:
        style, layout = {"description_width": "110px"}, {"width": "240px"}
        control = widgets.Dropdown(options=options, value=value, description=description, style=style, layout=layout)
        return view.add(name, control, f"cl-xor-lab-{name}")

    size = dropdown("size", "reservoir size", [(str(s), s) for s in SIZES], reservoir_size)
    lr = dropdown("lr", "learning rate", [(f"{r:.0e}", r) for r in LEARNING_RATES], learning_rate)
    bits = dropdown("bits", "precision bits", [(f"{b} bits", b) for b in PRECISION_BITS], precision_bits)
    parties = dropdown("parties", "parties", [(f"{n} + dealer", n) for n in PARTIES], n_parties)
    button = widgets.Button(description="train", button_style="primary", icon="play", tooltip="train 250 steps twice")
    view.add("train", button, "cl-xor-lab-train")

    def train() -> None:
        model.set(size.value, lr.value, bits.value, parties.value)
        model.train()

    view.bind(button, train, busy="training in plaintext and encrypted…")
    return view.root(
        "cl-xor-lab",
        "<b>XOR lab</b> — change a setting, press <b>train</b>: plaintext and encrypted, side by side",
        [
            [size, lr],
            [bits, parties, button],
            view.html("result", result_html, "cl-xor-lab-result", width="640px"),
            view.image("plot", plot_png, "cl-xor-lab-plot", width="560px"),
            view.html("history", history_html, "cl-xor-lab-history"),
        ],
    )
