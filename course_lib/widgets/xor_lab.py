"""The XOR lab (chapter 05): pick a reservoir size, a learning rate, the fixed-point precision and the number of
parties, press "train", and see whether XOR is learned in plaintext and encrypted, and why not when it isn't.

`XorLabModel` holds the settings, runs `course_lib.reservoir.run_experiment` and explains the outcome from public
facts alone (the reservoir, the learning rate and its encoding); it has unit tests. `xor_lab()` builds the view and
returns it. Results are shown through widget values (HTML, Image), never printed.
"""

from __future__ import annotations

import html
import math

import ipywidgets as widgets

from course_lib.encoding import FixedPointEncoder
from course_lib.reservoir import Diagnosis, Experiment, diagnose, run_experiment
from course_lib.widgets.render import figure_png, new_figure, party_color, widget_root

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

    def result_html(self) -> str:
        if self.experiment is None:
            return "<i>Pick the settings and press <b>train</b> (a run takes about a second).</i>"
        rows = ""
        for which in ("plaintext", "encrypted"):
            verdict = self.verdict(which)
            color = {"learned XOR": "#2ca02c", "diverged": "#d62728"}.get(verdict, "#ff7f0e")
            run = getattr(self.experiment, which)
            if not _finite(run.losses[-1]):
                predictions = "(not finite)"
            elif verdict == "diverged":
                predictions = "(meaningless: wrapped values)" if which == "encrypted" else "(meaningless: exploded)"
            else:
                predictions = (run.predictions > 0.5).int().flatten().tolist()
            rows += (
                f"<tr><td><b>{which}</b></td><td style='color:{color}'><b class='cl-verdict'>{verdict}</b></td>"
                f"<td>final loss <code>{_loss_text(run.losses[-1])}</code></td>"
                f"<td>predictions <code>{html.escape(str(predictions))}</code></td></tr>"
            )
        reasons = "".join(f"<li>{html.escape(r)}</li>" for r in self.reasons())
        return (
            f"<div><b>{html.escape(self.settings_text())}</b>, {self.steps} steps (targets [0, 1, 1, 0])</div>"
            f"<table>{rows}</table><div><b>Why:</b></div><ul style='margin:0'>{reasons}</ul>"
        )

    def history_html(self) -> str:
        if not self.history:
            return ""
        head = "<tr><th>setting</th><th>plaintext</th><th>loss</th><th>encrypted</th><th>loss</th></tr>"
        rows = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in self.history)
        return f"<details open><summary>last runs (newest first)</summary><table>{head}{rows}</table></details>"

    def plot_png(self) -> bytes:
        figure = new_figure(5.6, 2.6)
        axes = figure.subplots()
        axes.set_yscale("log")
        axes.set_xlim(0, self.steps)
        axes.set_xlabel("step")
        axes.set_ylabel("loss (sum of |error|)")
        if self.experiment is not None:
            for which, style in (
                ("plaintext", dict(color="#7f7f7f", ls="--")),
                ("encrypted", dict(color=party_color(0))),
            ):
                points = [(s, v) for s, v in enumerate(getattr(self.experiment, which).losses) if _finite(v) and v > 0]
                if points:
                    steps, losses = zip(*points, strict=True)
                    axes.plot(steps, losses, lw=2 if which == "encrypted" else 1.5, label=which, **style)
            axes.axhline(2.0, color="black", lw=0.8, ls=":", label="loss at the start")
            axes.legend(loc="best", fontsize=8)
            axes.set_title(self.settings_text(), fontsize=10)
        else:
            axes.set_ylim(1e-3, 10)
            axes.set_title("press train", fontsize=10)
        return figure_png(figure)


def _dropdown(description: str, options, value, css: str) -> widgets.Dropdown:
    dropdown = widgets.Dropdown(
        options=options,
        value=value,
        description=description,
        style={"description_width": "110px"},
        layout=widgets.Layout(width="240px"),
    )
    dropdown.add_class(css)
    return dropdown


def xor_lab(
    reservoir_size: int = 256, learning_rate: float = 1e-3, precision_bits: int = 16, n_parties: int = 2
) -> widgets.VBox:
    """Build the XOR lab: four settings, a train button, the verdicts with their reasons, the loss curves."""
    model = XorLabModel(reservoir_size, learning_rate, precision_bits, n_parties)
    size = _dropdown("reservoir size", [(str(s), s) for s in SIZES], reservoir_size, "cl-xor-lab-size")
    lr = _dropdown("learning rate", [(f"{r:.0e}", r) for r in LEARNING_RATES], learning_rate, "cl-xor-lab-lr")
    bits = _dropdown("precision bits", [(f"{b} bits", b) for b in PRECISION_BITS], precision_bits, "cl-xor-lab-bits")
    parties = _dropdown("parties", [(f"{n} + dealer", n) for n in PARTIES], n_parties, "cl-xor-lab-parties")
    button = widgets.Button(description="train", button_style="primary", icon="play", tooltip="train 250 steps twice")
    button.add_class("cl-xor-lab-train")
    result = widgets.HTML(model.result_html(), layout=widgets.Layout(width="640px"))
    result.add_class("cl-xor-lab-result")
    plot = widgets.Image(value=model.plot_png(), format="png", layout=widgets.Layout(width="560px"))
    plot.add_class("cl-xor-lab-plot")
    history = widgets.HTML(model.history_html())
    history.add_class("cl-xor-lab-history")

    def on_train(_button) -> None:
        button.disabled = True
        result.value = "<i>training 250 steps in plaintext and encrypted…</i>"
        try:
            model.set(size.value, lr.value, bits.value, parties.value)
            model.train()
            result.value = model.result_html()
        except Exception as error:  # shown in the panel, never raised into the notebook
            result.value = f"<b>could not train:</b> {html.escape(type(error).__name__)}: {html.escape(str(error))}"
        finally:
            plot.value = model.plot_png()
            history.value = model.history_html()
            button.disabled = False

    button.on_click(on_train)
    return widget_root(
        [
            widgets.HTML(
                "<b>XOR lab</b> — change a setting, press <b>train</b>: plaintext and encrypted, side by side"
            ),
            widgets.HBox([size, lr]),
            widgets.HBox([bits, parties, button]),
            result,
            plot,
            history,
        ],
        "cl-xor-lab",
        model,
    )
