"""How the widgets are wired: one `View` per built widget, the same plumbing for every builder.

A builder makes a `View` around its plain logic object (the model), adds each part under a name, saying how it is drawn
from the model (`view.html("shares", shares_html)`), binds each control to an action on the model
(`view.bind(slider, model.set_secret)`), and returns `view.root(...)`: a VBox with `.parts` (the named parts),
`.model_logic` (the model) and `.view` (this object; `.view.refresh()` draws every part from the model again).

One mechanism for errors: when an action (or a redraw) raises, the message part says what, nothing more is drawn, and
the view keeps showing the last good state (the models validate before they change anything).
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets

from course_lib.widgets.render import Markup, html, widget_root

__all__ = ["View", "slider"]


def slider(value: int, low: int, high: int, description: str, width: str = "300px", **options) -> widgets.IntSlider:
    """An IntSlider that reports on release (one redraw per move, not one per pixel)."""
    layout = widgets.Layout(width=width)
    return widgets.IntSlider(
        value, low, high, description=description, continuous_update=False, layout=layout, **options
    )


class View:
    """The named parts of one widget, the functions that draw the model into them, and the controls bound to them."""

    def __init__(self, model: object):
        self.model = model
        self.parts: dict[str, widgets.Widget] = {}
        self._draws: dict[str, Callable[[], None]] = {}
        self.message = self.add("message", widgets.HTML(layout={"display": "none"}), "cl-message")

    def add(self, name: str, widget: widgets.Widget, css_class: str | None = None) -> widgets.Widget:
        if name in self.parts:
            raise ValueError(f"this view already has a part named {name!r}")
        if css_class:
            widget.add_class(css_class)
        self.parts[name] = widget
        return widget

    def html(self, name: str, render: Callable[[object], str], css_class: str | None = None, **layout) -> widgets.HTML:
        """An HTML part whose value is `render(model)`: a draw named `name`."""
        return self._drawn(name, widgets.HTML(layout=layout), render, css_class)

    def image(self, name: str, render: Callable[[object], bytes], css_class: str | None = None, **layout):
        """A PNG part whose value is `render(model)`: a draw named `name`."""
        return self._drawn(name, widgets.Image(format="png", layout=layout), render, css_class)

    def _drawn(self, name: str, part: widgets.Widget, render: Callable, css_class: str | None) -> widgets.Widget:
        self.draws(lambda: setattr(part, "value", render(self.model)), name)
        return self.add(name, part, css_class)

    def draws(self, function: Callable[[], None], name: str = "") -> Callable[[], None]:
        """Add a draw: `function()` draws (part of) the model, under `name` (or the function's name); a decorator.
        `refresh()` runs every draw, in the order they were added."""
        name = name or function.__name__
        if name in self._draws:
            raise ValueError(f"this view already has a draw named {name!r}")
        self._draws[name] = function
        return function

    def refresh(self, *names: str) -> None:
        """Run the draws named (all of them, if none is named)."""
        for draw in [self._draws[name] for name in names] if names else self._draws.values():
            draw()

    def say(self, message: Markup | str = "") -> None:
        """Show a line in the message part (hidden while empty)."""
        self.message.value = html("{}", message)
        self.message.layout.display = None if message else "none"

    def bind(self, control: widgets.Widget, action: Callable | str, *, redraw: tuple[str, ...] = (), busy: str = ""):
        """On every change of `control`'s value (every click, for a Button): `action(new value)` (`action()` for a
        Button; a str names a model attribute to set), then the draws named in `redraw` (all, if none), once.
        With `busy`, the control is disabled and the message part says `busy` while the action runs. If anything
        raises, the message part says what, and the parts keep showing the last good state."""
        if isinstance(action, str):
            name, action = action, lambda value: setattr(self.model, name, value)

        def run(*value) -> None:
            if busy:
                control.disabled = True
                self.say(html("<i>{}</i>", busy))
            try:
                action(*value)
                self.refresh(*redraw)
            except Exception as error:  # shown in the widget, never raised into the notebook or the log
                warning = f"⚠ {type(error).__name__}: {error}; still showing the last good values"
                self.say(html("<span class='cl-warn'>{}</span>", warning))
            else:
                self.say()
            finally:
                if busy:
                    control.disabled = False

        if isinstance(control, widgets.Button):
            control.on_click(lambda _button: run())
        else:
            control.observe(lambda change: run(change["new"]), names="value")

    def root(self, css_class: str, title: str, rows: list, **box_options) -> widgets.VBox:
        """Draw every part once and stack the rows under the title (in `render.widget_root`): a row is a widget, a
        list of widgets (side by side) or a str of HTML. The message part goes right under the leading rows of
        controls. The box has `.parts`, `.view` (this View) and `.model_logic` (the model)."""
        boxes = [widgets.HBox(r) if isinstance(r, list) else widgets.HTML(r) if isinstance(r, str) else r for r in rows]
        boxes.insert(next((k for k, r in enumerate(rows) if not isinstance(r, list)), len(rows)), self.message)
        self.refresh()
        box = widget_root([self.add("title", widgets.HTML(title)), *boxes], css_class, self.model, **box_options)
        box.parts, box.view = self.parts, self
        return box
