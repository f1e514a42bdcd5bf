"""The precision explorer (chapter 03): choose the number of fraction bits f, and see what fixed point can hold.

For f fraction bits a real v is stored as the integer round(v · 2^f) in the ring Z_2^64. The explorer shows, for the
chosen f: the resolution 2^-f, the range |v| < 2^(63-f), the ceiling 2^(63-2f) on the size of a product (a product
sits at scale 2^2f until it is truncated), how a sample value the learner types is stored and how far off it comes
back, and a plot of the encoding error for values near it (a sawtooth between ±resolution/2).
"""

from __future__ import annotations

import math

import ipywidgets as widgets
import torch

from course_lib.encoding import FixedPointEncoder
from course_lib.ring import RING_BITS
from course_lib.widgets.render import Markup, figure_png, html, new_figure, party_color, table
from course_lib.widgets.view import View, slider

__all__ = ["PrecisionExplorerModel", "precision_explorer"]

MIN_BITS, MAX_BITS = 0, 30  # what FixedPointEncoder accepts


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


def summary_html(model: PrecisionExplorerModel) -> Markup:
    """What f buys (resolution, range, product ceiling), then the sample value."""
    f = model.bits
    rows = [
        ("resolution", f"2^-{f}", model.resolution, "cl-resolution"),
        ("range", f"|v| < 2^{63 - f}", model.max_value, "cl-max-value"),
        ("product ceiling", f"|x·y| < 2^{63 - 2 * f}", model.max_product, "cl-max-product"),
    ]
    cells = [
        [name, formula, html("= <code class='{}'>{:.4g}</code>", css, number)] for name, formula, number, css in rows
    ]
    return table(cells, css="cl-precision-table") + sample_html(model)


def sample_html(model: PrecisionExplorerModel) -> Markup:
    v = model.value
    if model.problem:
        return html(
            "<div class='cl-sample'>v = <code>{v:.10g}</code> cannot be encoded with f = {f}: "
            "<code class='cl-error'>{problem}</code></div>",
            v=v,
            f=model.bits,
            problem=model.problem,
        )
    probability = model.product_failure_probability
    return html(
        "<div class='cl-sample'>v = <code>{v:.10g}</code> is stored as <code class='cl-encoded'>{encoded}</code> "
        "and comes back as <code class='cl-decoded'>{decoded:.12g}</code>: error "
        "<code class='cl-encoding-error'>{error:.3e}</code> ({steps:.2f} of a step; never more than 0.5)</div>"
        "<div class='cl-product{danger}'>the product v·v = {square:.4g} comes back as garbage with probability ≈ "
        "<code class='cl-product-failure'>{probability:.2g}</code></div>",
        v=v,
        encoded=model.encoded,
        decoded=model.decoded,
        error=model.error,
        steps=abs(model.error) / model.resolution,
        danger=Markup(" cl-bad" if probability > 1e-3 else ""),
        square=v * v,
        probability=probability,
    )


def error_png(model: PrecisionExplorerModel) -> bytes:
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
    view = View(model)
    wide = {"description_width": "initial"}
    bits_slider = slider(bits, MIN_BITS, MAX_BITS, "fraction bits f", "360px", style=wide)
    view.bind(view.add("slider", bits_slider, "cl-bits-slider"), model.set_bits)
    sample = widgets.FloatText(value=value, description="sample value v", style=wide, layout={"width": "240px"})
    view.bind(view.add("sample", sample, "cl-sample-value"), model.set_value)
    return view.root(
        "cl-precision-explorer",
        "<b>Precision explorer</b> — a real v is stored as the integer round(v · 2^f) in 64 bits",
        [
            [bits_slider, sample],
            view.html("summary", summary_html, "cl-precision-summary"),
            view.image("plot", error_png, width="560px"),
        ],
    )
