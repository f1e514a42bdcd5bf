"""Helpers the widget views share: the root box every widget returns, and matplotlib figures turned into PNG bytes
for an `ipywidgets.Image`.

Why PNG in an Image widget rather than `plt.show()` inside an Output widget: output captured while a cell runs is
seen by nbval as the cell's output, and the pyplot state machine leaks figures between cells. A figure drawn
off-screen (Agg canvas, no pyplot) and stored as a widget value does neither.
"""

from __future__ import annotations

import io

import ipywidgets as widgets
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["widget_root", "new_figure", "figure_png", "party_color", "PARTY_COLORS"]

PARTY_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e")


def party_color(index: int) -> str:
    return PARTY_COLORS[index % len(PARTY_COLORS)]


def new_figure(width: float = 6.0, height: float = 2.6) -> Figure:
    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def figure_png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def widget_root(children: list[widgets.Widget], css_class: str, model: object = None, **box_options) -> widgets.VBox:
    """The box a widget builder returns: its parts stacked, a CSS class for browser tests and styling, and the plain
    logic object behind the view as `.model_logic` (for tests and curious learners)."""
    box = widgets.VBox(children, **box_options)
    box.add_class(css_class)
    box.model_logic = model
    return box
