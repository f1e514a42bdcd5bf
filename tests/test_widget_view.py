"""The plumbing every widget shares, without a browser: the HTML helpers and their one CSS block (render), and the
one way a control is bound to a redraw (view)."""

import re

import ipywidgets as widgets
import pytest

import course_lib as cl
from course_lib.widgets import beaver_stepper, party_view, precision_explorer, share_explorer, xor_lab
from course_lib.widgets.render import STYLE, Markup, html, join, party_class, table
from course_lib.widgets.training_monitor import training_monitor
from course_lib.widgets.view import View


# ----- render ---------------------------------------------------------------------------------------------------------
def test_html_escapes_the_values_not_the_template():
    assert html("<code class='x'>{}</code>", "<b>&'") == "<code class='x'>&lt;b&gt;&amp;&#x27;</code>"
    assert html("<i>{v:.2f} {r!r}</i>", v=3.14159, r="a") == "<i>3.14 &#x27;a&#x27;</i>"
    inner = html("<b>{}</b>", "x")
    assert isinstance(inner, Markup) and html("<i>{}</i>", inner) == "<i><b>x</b></i>"  # Markup goes in as it is
    assert html("<u>{}</u>", [0, 1]) == "<u>[0, 1]</u>"


def test_join_and_plus_keep_markup_and_escape_text():
    joined = join([html("<b>{}</b>", 1), "<2>", 3], sep="<br>")
    assert joined == "<b>1</b><br>&lt;2&gt;<br>3" and isinstance(joined, Markup)
    assert html("<b>{}</b>", 1) + "<i>" == "<b>1</b>&lt;i&gt;"
    assert join([]) == "" and not join([])


def test_table_builds_header_rows_and_classed_cells():
    rows = [["holds", ("x<1", party_class(0, "bar")), html("<code>{}</code>", 7)], ("sends", "—", ("y", None))]
    out = table(rows, ["", ("alice", party_class(0, "head")), "bob"], css="cl-beaver-table", row_heads=True)
    assert out == (
        "<table class='cl-beaver-table'><tr><th></th><th class='cl-head0'>alice</th><th>bob</th></tr>"
        "<tr><th>holds</th><td class='cl-bar0'>x&lt;1</td><td><code>7</code></td></tr>"
        "<tr><th>sends</th><td>—</td><td>y</td></tr></table>"
    )
    assert table([[1, 2]]) == "<table><tr><td>1</td><td>2</td></tr></table>"


def test_party_classes_cycle_through_the_colours_and_are_styled():
    assert [party_class(i) for i in (0, 1, 5)] == ["cl-party0", "cl-party1", "cl-party0"]
    for kind in ("party", "head", "bar"):
        for i in range(5):
            assert f".{party_class(i, kind)} " in STYLE


def _all_widgets():
    with cl.reproducible(0):
        monitor = training_monitor(steps=3)
        return [
            share_explorer(draws=20),
            party_view(),
            precision_explorer(),
            beaver_stepper(),
            monitor.widget,
            xor_lab(),
        ]


def _walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _walk(child)


def test_every_widget_ships_the_css_once_and_styles_only_through_classes():
    for box in _all_widgets():
        values = [w.value for w in _walk(box) if isinstance(w, widgets.HTML)]
        assert sum("<style>" in v for v in values) == 1, box._dom_classes
        assert "cl-root" in box._dom_classes
        for value in values:
            assert "style=" not in value and "style='" not in value  # no inline CSS: classes only
        # every class that carries a look is defined in the one CSS block
        used = {c for v in values for attr in re.findall(r"class='([^']*)'", v) for c in attr.split()}
        looks = {"cl-numbers", "cl-gray", "cl-small", "cl-good", "cl-bad", "cl-meh", "cl-dim", "cl-now", "cl-warn"}
        for css in used & looks | {c for c in used if re.fullmatch(r"cl-(party|head|bar)\d", c)}:
            assert f".{css} " in STYLE


def test_every_widget_names_its_parts():
    for box in _all_widgets():
        parts = box.parts
        assert {"title", "message"} <= set(parts) and box.view.parts is parts
        inside = list(_walk(box))
        assert all(any(part is w for w in inside) for part in parts.values())  # every named part is on show


# ----- view: one way to bind a control to a redraw -----------------------------------------------------------------
class Counter:
    def __init__(self):
        self.value = 0

    def set(self, value: int) -> None:
        if value < 0:
            raise ValueError(f"no negative counts, got {value}")
        self.value = value


def _counter_view():
    model = Counter()
    view = View(model)
    draws = []
    slider = view.add("slider", widgets.IntSlider(0, -5, 10))
    button = view.add("button", widgets.Button(description="+1"))
    shown = view.html("shown", lambda m: (draws.append("shown"), html("<b>{}</b>", m.value))[1])

    @view.draws
    def other() -> None:
        draws.append("other")

    box = view.root("cl-counter", "<b>Counter</b>", [[slider, button], shown])
    return model, view, box, draws


def test_a_change_runs_the_action_then_each_draw_exactly_once():
    model, view, box, draws = _counter_view()
    assert draws == ["shown", "other"]  # root draws everything once
    view.bind(box.parts["slider"], model.set)
    draws.clear()
    box.parts["slider"].value = 7
    assert model.value == 7 and draws == ["shown", "other"] and box.parts["shown"].value == "<b>7</b>"
    box.parts["slider"].value = 7  # no change, no redraw
    assert draws == ["shown", "other"]


def test_a_button_and_a_named_redraw():
    model, view, box, draws = _counter_view()
    view.bind(box.parts["button"], lambda: model.set(model.value + 1), redraw=("shown",))
    draws.clear()
    box.parts["button"].click()
    assert model.value == 1 and draws == ["shown"]


def test_an_attribute_name_as_the_action():
    model, view, box, _ = _counter_view()
    view.bind(box.parts["slider"], "value")
    box.parts["slider"].value = -3  # setattr does not validate: the control's bounds do
    assert model.value == -3 and box.parts["shown"].value == "<b>-3</b>"


def test_an_error_is_shown_and_the_last_good_state_kept():
    model, view, box, draws = _counter_view()
    view.bind(box.parts["slider"], model.set)
    message = box.parts["message"]
    assert message.value == "" and message.layout.display == "none"
    box.parts["slider"].value = 4
    draws.clear()
    box.parts["slider"].value = -2
    assert model.value == 4 and draws == [] and box.parts["shown"].value == "<b>4</b>"
    assert "ValueError: no negative counts, got -2" in message.value and "cl-warn" in message.value
    assert message.layout.display is None
    box.parts["slider"].value = 5  # the next good change clears the message
    assert message.value == "" and message.layout.display == "none" and model.value == 5


def test_an_error_text_is_escaped():
    model, view, box, _ = _counter_view()

    def fail(_value):
        raise RuntimeError("<script>")

    view.bind(box.parts["slider"], fail)
    box.parts["slider"].value = 1
    assert "&lt;script&gt;" in box.parts["message"].value and "<script>" not in box.parts["message"].value


def test_a_busy_action_disables_its_control_and_says_so():
    model, view, box, _ = _counter_view()
    button, message = box.parts["button"], box.parts["message"]
    seen = []

    def slow() -> None:
        seen.append((button.disabled, message.value))

    view.bind(button, slow, busy="counting…")
    button.click()
    assert seen == [(True, "<i>counting…</i>")]
    assert not button.disabled and message.value == ""


def test_part_and_draw_names_are_unique():
    view = View(Counter())
    view.add("a", widgets.HTML())
    with pytest.raises(ValueError, match="part named 'a'"):
        view.add("a", widgets.HTML())
    view.draws(lambda: None, "a")
    with pytest.raises(ValueError, match="draw named 'a'"):
        view.draws(lambda: None, "a")
