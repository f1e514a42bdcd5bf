"""The precision explorer (chapter 03): choose the number of fraction bits f, and see what fixed point can hold.

For f fraction bits a real v is stored as the integer round(v · 2^f) in the ring Z_2^64. The explorer shows, for the
chosen f: the resolution 2^-f, the range |v| < 2^(63-f), the ceiling 2^(63-2f) on the size of a product (a product
sits at scale 2^2f until it is truncated), how a sample value the learner types is stored and how far off it comes
back, and a plot of the encoding error for values near it (a sawtooth between ±resolution/2).

`PrecisionExplorerModel` holds the logic and has unit tests; `precision_explorer()` builds the ipywidgets view around
it and returns it (the notebook displays it).
"""

from __future__ import annotations

import math

import ipywidgets as widgets
import torch

from course_lib.encoding import FixedPointEncoder
from course_lib.ring import RING_BITS
from course_lib.widgets.render import figure_png, new_figure, party_color, widget_root

__all__ = ["PrecisionExplorerModel", "precision_explorer"]

MIN_BITS, MAX_BITS = 0, 30  # what FixedPointEncoder accepts


def _power(exponent: int) -> str:
    """2^e written out, with its value: '2^-16 = 1.526e-05'."""
    return f"2^{exponent} = {2.0**exponent:.4g}"


class PrecisionExplorerModel:
    """Fixed point with `bits` fraction bits, and one sample value encoded with it."""

    def __init__(self, bits: int = 16, value: float = math.pi):
        self.bits = 16
        self.value = 0.0
        self.set_bits(bits)
        self.set_value(value)

    # ----- state ---------------------------------------------------------------------------------------------------
    def set_bits(self, bits: int) -> None:
        if isinstance(bits, bool) or not isinstance(bits, int) or not MIN_BITS <= bits <= MAX_BITS:
            raise ValueError(f"bits must be an integer between {MIN_BITS} and {MAX_BITS}, got {bits!r}")
        self.bits = bits

    def set_value(self, value: float) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"the sample value must be a number, got {type(value).__name__}")
        self.value = float(value)

    @property
    def encoder(self) -> FixedPointEncoder:
        return FixedPointEncoder(self.bits)

    # ----- what f buys -------------------------------------------------------------------------------------------
    @property
    def resolution(self) -> float:
        """The gap between two neighbouring encodable reals: 2^-f."""
        return 2.0**-self.bits

    @property
    def max_value(self) -> float:
        """Encodable reals satisfy |v| < 2^(63 - f)."""
        return 2.0 ** (RING_BITS - 1 - self.bits)

    @property
    def max_product(self) -> float:
        """A product is held at scale 2^2f before truncation, so |x · y| must stay below 2^(63 - 2f)."""
        return 2.0 ** (RING_BITS - 1 - 2 * self.bits)

    # ----- the sample value ----------------------------------------------------------------------------------------
    @property
    def problem(self) -> str | None:
        """Why the sample value cannot be encoded (the encoder's own error message), or None."""
        try:
            self.encoder.encode_number(self.value)
        except (OverflowError, ValueError) as error:
            return f"{type(error).__name__}: {error}"
        return None

    @property
    def encoded(self) -> int | None:
        """round(v · 2^f), the integer the ring stores, or None when v is out of range."""
        return None if self.problem else self.encoder.encode_number(self.value)

    @property
    def decoded(self) -> float | None:
        encoded = self.encoded
        return None if encoded is None else encoded / self.encoder.scale

    @property
    def error(self) -> float | None:
        """decoded - value: at most resolution / 2 in size."""
        decoded = self.decoded
        return None if decoded is None else decoded - self.value

    @property
    def product_failure_probability(self) -> float | None:
        """Probability that the product v · v comes back as garbage: its encoding |v²| · 2^2f must fit in the ring
        (certain failure above 2^63), and truncation fails with probability about |v²| · 2^2f / 2^64 below that."""
        if self.problem:
            return None
        held = self.value * self.value * 2.0 ** (2 * self.bits)
        return 1.0 if held >= 2.0 ** (RING_BITS - 1) else held / 2.0**RING_BITS

    def error_curve(self, steps: int = 3, points: int = 601) -> tuple[torch.Tensor, torch.Tensor]:
        """Encoding errors (in units of the resolution) of `points` values from v - steps·2^-f to v + steps·2^-f.

        Returns (offsets, errors): offsets from v in units of the resolution, and decode(encode(u)) - u for each
        value u, also in units of the resolution. Empty tensors when v cannot be encoded.
        """
        middle = (points - 1) / 2  # an odd number of points puts one exactly at v
        offsets = (torch.arange(points, dtype=torch.float64) - middle) * (steps / middle)
        if self.problem:
            return offsets[:0], offsets[:0]
        values = self.value + offsets * self.resolution
        inside = values.abs() < self.max_value
        offsets, values = offsets[inside], values[inside]
        encoder = self.encoder
        errors = (encoder.decode(encoder.encode(values)) - values) / self.resolution
        return offsets, errors

    # ----- text ----------------------------------------------------------------------------------------------------
    def summary_html(self) -> str:
        f = self.bits
        rows = [
            ("resolution", f"2^-{f}", f"{self.resolution:.4g}", "cl-resolution"),
            ("range", f"|v| &lt; 2^{63 - f}", f"{self.max_value:.4g}", "cl-max-value"),
            ("product ceiling", f"|x·y| &lt; 2^{63 - 2 * f}", f"{self.max_product:.4g}", "cl-max-product"),
        ]
        table = "".join(
            f"<tr><td>{name}</td><td>{formula}</td><td>= <code class='{css}'>{number}</code></td></tr>"
            for name, formula, number, css in rows
        )
        return f"<table class='cl-precision-table'>{table}</table>{self.sample_html()}"

    def sample_html(self) -> str:
        v = self.value
        if self.problem:
            return (
                f"<div class='cl-sample'>v = <code>{v:.10g}</code> cannot be encoded with f = {self.bits}: "
                f"<code class='cl-error'>{_escape(self.problem)}</code></div>"
            )
        error = self.error
        share = abs(error) / self.resolution
        probability = self.product_failure_probability
        danger = " style='color:#d62728'" if probability > 1e-3 else ""
        return (
            f"<div class='cl-sample'>v = <code>{v:.10g}</code> is stored as <code class='cl-encoded'>{self.encoded}"
            f"</code> and comes back as <code class='cl-decoded'>{self.decoded:.12g}</code>: error "
            f"<code class='cl-encoding-error'>{error:.3e}</code> ({share:.2f} of a step; never more than 0.5)</div>"
            f"<div class='cl-product'{danger}>the product v·v = {v * v:.4g} comes back as garbage with probability "
            f"≈ <code class='cl-product-failure'>{probability:.2g}</code></div>"
        )


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _error_png(model: PrecisionExplorerModel) -> bytes:
    figure = new_figure(5.6, 2.2)
    axes = figure.subplots()
    offsets, errors = model.error_curve()
    if len(offsets):
        axes.plot(offsets.tolist(), errors.tolist(), color=party_color(0), lw=1.5)
        axes.axhline(0.5, color="black", lw=0.8, ls="--")
        axes.axhline(-0.5, color="black", lw=0.8, ls="--", label="±half a step")
        axes.plot([0.0], [model.error / model.resolution], "o", color=party_color(1), label=f"v = {model.value:.6g}")
        axes.set_ylim(-0.75, 1.15)  # room above the sawtooth for the legend
        axes.set_yticks([-0.5, 0.0, 0.5])
        axes.legend(loc="upper center", fontsize=8, ncols=2, frameon=False)
    else:
        axes.text(0.5, 0.5, "v is outside the range: nothing to plot", ha="center", va="center")
        axes.set_xticks([])
        axes.set_yticks([])
    axes.set_xlabel(f"u − v, in steps of 2^-{model.bits}")
    axes.set_ylabel("error, in steps")
    axes.set_title("encoding error of values u near v", fontsize=10)
    return figure_png(figure)


def precision_explorer(bits: int = 16, value: float = 0.1) -> widgets.VBox:
    """Build the precision explorer: a bits slider, a sample value, what f buys, and the encoding error near v."""
    model = PrecisionExplorerModel(bits, value)
    slider = widgets.IntSlider(
        value=bits,
        min=MIN_BITS,
        max=MAX_BITS,
        description="fraction bits f",
        continuous_update=False,
        style={"description_width": "initial"},
        layout=widgets.Layout(width="360px"),
    )
    slider.add_class("cl-bits-slider")
    sample = widgets.FloatText(
        value=value,
        description="sample value v",
        style={"description_width": "initial"},
        layout=widgets.Layout(width="240px"),
    )
    sample.add_class("cl-sample-value")
    summary = widgets.HTML(model.summary_html())
    summary.add_class("cl-precision-summary")
    plot = widgets.Image(value=_error_png(model), format="png", layout=widgets.Layout(width="560px"))

    def redraw() -> None:
        summary.value = model.summary_html()
        plot.value = _error_png(model)

    def on_bits(change) -> None:
        model.set_bits(change["new"])
        redraw()

    def on_value(change) -> None:
        model.set_value(change["new"])
        redraw()

    slider.observe(on_bits, names="value")
    sample.observe(on_value, names="value")
    return widget_root(
        [
            widgets.HTML("<b>Precision explorer</b> — a real v is stored as the integer round(v · 2^f) in 64 bits"),
            widgets.HBox([slider, sample]),
            summary,
            plot,
        ],
        "cl-precision-explorer",
        model,
    )
