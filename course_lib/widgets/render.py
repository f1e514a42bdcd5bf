"""How the widgets draw: HTML from templates that escape their values, one CSS block, matplotlib figures as PNG.

HTML: `html(template, values...)` fills an HTML template with values escaped unless they are `Markup` (what these
helpers return), so no text a learner types can inject markup; `table` builds a table, `join` joins pieces. The look
comes from CSS classes defined once, in `STYLE`, which every widget root ships in one `<style>` element (JupyterLab
applies a <style> inside an HTML widget's value; `widget_root` adds it): no inline `style=` anywhere.

Figures: a PNG in an `ipywidgets.Image` rather than `plt.show()` inside an Output widget: output captured while a cell
runs is seen by nbval as the cell's output, and the pyplot state machine leaks figures between cells. A figure drawn
off-screen (Agg canvas, no pyplot) and stored as a widget value does neither.
"""

from __future__ import annotations

import html as _html
import io
import string

import ipywidgets as widgets
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = [
    "STYLE",
    "Markup",
    "html",
    "join",
    "table",
    "party_class",
    "party_color",
    "new_figure",
    "figure_png",
    "loss_figure",
    "widget_root",
]

PARTY_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e")

STYLE = """
.cl-root table.cl-numbers {font-family: monospace; font-size: 12px; white-space: nowrap; text-align: right;
  border-collapse: separate; border-spacing: 14px 2px; margin-left: -14px}
.cl-root .cl-small {font-size: 12px}
.cl-root .cl-gray {font-size: 12px; color: #555}
.cl-root .cl-warn {color: #b00}
.cl-root .cl-good {color: #2ca02c}
.cl-root .cl-bad {color: #d62728}
.cl-root .cl-meh {color: #ff7f0e}
.cl-root .cl-dim {color: #999}
.cl-root .cl-now {font-weight: bold; color: black}
.cl-root ul {margin: 0}
.cl-root table.cl-beaver-table {border-collapse: collapse; table-layout: fixed; width: 740px; font-size: 12px;
  line-height: 1.45}
.cl-beaver-table th {width: 80px; text-align: right; padding-right: 8px}
.cl-beaver-table td {padding: 2px 8px; vertical-align: top}
.cl-beaver-table tr:first-child th:nth-child(n+2) {width: 240px; text-align: left; padding: 3px 8px}
.cl-beaver-table tr:first-child th:nth-child(4) {width: 180px}
""" + "".join(
    f".cl-root .cl-party{i} {{color: {c}}}\n.cl-root .cl-head{i} {{background: {c}; color: white}}\n"
    f".cl-root .cl-bar{i} {{border-left: 3px solid {c}}}\n"
    for i, c in enumerate(PARTY_COLORS)
)


def party_color(index: int) -> str:
    return PARTY_COLORS[index % len(PARTY_COLORS)]


def party_class(index: int, kind: str = "party") -> str:
    """The CSS class of party `index`'s colour: "party" (text), "head" (white on the colour), "bar" (a left rule)."""
    return f"cl-{kind}{index % len(PARTY_COLORS)}"


class Markup(str):
    """Text that is HTML already: `html`, `join` and `table` insert it as it is (every other value is escaped)."""

    def __add__(self, other: object) -> Markup:
        return join([self, other])


class _Escaping(string.Formatter):
    def format_field(self, value: object, format_spec: str) -> str:
        text = format(value, format_spec)
        return text if isinstance(value, Markup) else _html.escape(text)


def html(template: str, *args: object, **kwargs: object) -> Markup:
    """`template.format(...)` with every value escaped unless it is Markup: the template is HTML, the values are text.
    E.g. html("<code class='cl-share'>{}</code>", share)."""
    return Markup(_Escaping().format(template, *args, **kwargs))


def join(parts, sep: str = "") -> Markup:
    """The parts as one piece of HTML, each escaped unless it is Markup, with `sep` (HTML) between them."""
    return Markup(sep.join(p if isinstance(p, Markup) else _html.escape(str(p)) for p in parts))


def table(rows, header=None, *, css: str | None = None, row_heads: bool = False) -> Markup:
    """An HTML table: the `header` cells in <th>, then one <tr> per row (its first cell a <th> if `row_heads`).
    A cell is text (escaped), Markup (as it is), or a pair (cell, CSS class)."""

    def cell(tag: str, value) -> Markup:
        content, cls = value if isinstance(value, tuple) else (value, None)
        return html(f"<{tag}{_class(cls)}>{{}}</{tag}>", content)

    lines = [join(cell("th", c) for c in header)] if header else []
    lines += [join(cell("th" if row_heads and j == 0 else "td", c) for j, c in enumerate(row)) for row in rows]
    return html(f"<table{_class(css)}><tr>{{}}</tr></table>", join(lines, sep="</tr><tr>"))


def _class(css: str | None) -> str:
    return f" class='{css}'" if css else ""


_LOSS_STYLE = {"plaintext": dict(color="#7f7f7f", lw=1.5, ls="--"), "encrypted": dict(color=PARTY_COLORS[0], lw=2)}


def loss_figure(steps: int, title: str, runs: dict[str, list[tuple[int, float]]], log: bool = False):
    """A figure of losses per step, and its axes: each run's (step, loss) points, labelled with the run's name,
    "plaintext" dashed grey and "encrypted" in party 0's colour (chapter 05's monitor and lab)."""
    figure = new_figure(5.6, 2.6)
    axes = figure.subplots()
    axes.set(xlim=(0, steps), xlabel="step", ylabel="loss (sum of squared errors)", yscale="log" if log else "linear")
    axes.set_title(title, fontsize=10)
    for which, points in runs.items():
        if points:
            axes.plot(*zip(*points, strict=True), label=which, **_LOSS_STYLE[which])
    return figure, axes


def widget_root(children: list[widgets.Widget], css_class: str, model: object = None, **box_options) -> widgets.VBox:
    """The box a widget builder returns: its parts stacked, then a hidden part that ships `STYLE` (a <style> applies
    wherever it sits); the CSS classes `cl-root` (which scopes `STYLE`) and `css_class` (for browser tests); and the
    plain logic object behind the view as `.model_logic` (for tests and curious learners)."""
    style = widgets.HTML(f"<style>{STYLE}</style>", layout={"display": "none"})
    style.add_class("cl-style")
    box = widgets.VBox([*children, style], **box_options)
    box.add_class("cl-root")
    box.add_class(css_class)
    box.model_logic = model
    return box


def new_figure(width: float = 6.0, height: float = 2.6) -> Figure:
    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def figure_png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
