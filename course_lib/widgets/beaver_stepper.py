"""The Beaver stepper (chapter 04): multiply two secrets mod Q with a dealer's triple, one step at a time.

Alice and Bob hold shares of x and y; Carol, the dealer, hands them shares of a random triple a, b, c = a·b. The four
steps of the protocol — deal, mask, open, combine — are shown one at a time: what each of the three holds, computes,
sends and receives.

`BeaverStepperModel` holds the logic and has unit tests; `beaver_stepper()` builds the ipywidgets view around it and
returns it (the notebook displays it). The model computes every step with `course_lib.sharing`'s own operations on
shares mod Q (`encrypt`, `add`, `product`, `decrypt`), and its randomness comes from `course_lib.rng`; the only thing it
does by hand is the protocol's one extra rule: party 0 adds the public term e·f.
"""

from __future__ import annotations

import html

import ipywidgets as widgets

from course_lib import rng, sharing
from course_lib.sharing import Q
from course_lib.widgets.render import party_color, widget_root

__all__ = ["BeaverStepperModel", "beaver_stepper", "STEPS", "PARTIES", "DEALER"]

PARTIES = ("alice", "bob")  # the two computing parties: party 0 and party 1
DEALER = "carol"  # the crypto provider
STEPS = (
    "Carol deals a triple",
    "each party masks its shares",
    "Alice and Bob open e and f",
    "each party combines",
)
_MINUS_ONE = Q - 1  # multiplying shares by Q - 1 negates them mod Q


class BeaverStepperModel:
    """Two secrets x, y shared between Alice and Bob, a fresh triple from Carol, and every intermediate value.

    Attributes after construction (all shares are tuples, index 0 = Alice, 1 = Bob):
      x_shares, y_shares            the inputs' shares
      a, b, c, a_shares, b_shares, c_shares   Carol's triple (c = a·b mod Q) and its shares
      e_shares, f_shares            each party's masked shares: e_i = x_i - a_i, f_i = y_i - b_i
      e, f                          the opened values e = x - a, f = y - b (mod Q)
      z_shares                      z_i = c_i + e·b_i + a_i·f, and party 0 adds e·f
    `step` (1 to 4) is the step on show.
    """

    n_steps = len(STEPS)

    def __init__(self, x: int = 6, y: int = 7):
        self.step = 1
        self.set_inputs(x, y)

    # ----- the protocol --------------------------------------------------------------------------------------------
    def set_inputs(self, x: int, y: int) -> None:
        """Share new secrets, with a fresh triple: a triple is never used for two multiplications."""
        x_shares, y_shares = sharing.encrypt(x, 2), sharing.encrypt(y, 2)  # validates both before anything changes
        self.x, self.y = x, y
        self.x_shares, self.y_shares = x_shares, y_shares
        self.new_triple()

    @classmethod
    def from_shares(cls, x_shares, y_shares, a_shares, b_shares, c_shares) -> BeaverStepperModel:
        """A model that runs steps 2–4 on given shares (two parties) and a given triple, e.g. a notebook's own."""
        model = cls.__new__(cls)
        model.step = 1
        model.x_shares, model.y_shares = tuple(x_shares), tuple(y_shares)
        model.a_shares, model.b_shares, model.c_shares = tuple(a_shares), tuple(b_shares), tuple(c_shares)
        if not all(len(s) == 2 for s in (model.x_shares, model.y_shares, model.a_shares, model.b_shares)):
            raise ValueError("the Beaver stepper shows two parties: pass two shares of each value")
        model.x, model.y = sharing.decrypt(*model.x_shares), sharing.decrypt(*model.y_shares)
        model.a, model.b, model.c = (sharing.decrypt(*s) for s in (model.a_shares, model.b_shares, model.c_shares))
        model._run()
        return model

    def new_triple(self) -> None:
        """Step 1: Carol draws a and b uniformly mod Q, computes c = a·b and shares all three; then run the rest."""
        self.a, self.b = rng.randbelow(Q), rng.randbelow(Q)
        self.c = (self.a * self.b) % Q
        self.a_shares = sharing.encrypt(self.a, 2)
        self.b_shares = sharing.encrypt(self.b, 2)
        self.c_shares = sharing.encrypt(self.c, 2)
        self._run()

    def _run(self) -> None:
        # Step 2: masking is local subtraction of shares (adding the shares of -a and -b).
        self.e_shares = tuple(sharing.add(self.x_shares, sharing.product(self.a_shares, _MINUS_ONE)))
        self.f_shares = tuple(sharing.add(self.y_shares, sharing.product(self.b_shares, _MINUS_ONE)))
        # Step 3: opening = every party sends its share to the other, both add them up.
        self.e = sharing.decrypt(*self.e_shares)
        self.f = sharing.decrypt(*self.f_shares)
        # Step 4: c + e·b + a·f is local work (public e, f times shares); party 0 adds the public e·f.
        z = sharing.add(
            sharing.add(self.c_shares, sharing.product(self.b_shares, self.e)), sharing.product(self.a_shares, self.f)
        )
        z[0] = (z[0] + self.e * self.f) % Q
        self.z_shares = tuple(z)

    @property
    def product(self) -> int:
        """What the parties' final shares add up to (mod Q): x·y if the protocol is right."""
        return sharing.decrypt(*self.z_shares)

    @property
    def expected(self) -> int:
        return (self.x * self.y) % Q

    # ----- stepping ------------------------------------------------------------------------------------------------
    def next(self) -> None:
        self.step = min(self.step + 1, self.n_steps)

    def previous(self) -> None:
        self.step = max(self.step - 1, 1)

    @property
    def at_start(self) -> bool:
        return self.step == 1

    @property
    def at_end(self) -> bool:
        return self.step == self.n_steps

    # ----- what each party holds, computes, sends and receives at this step -----------------------------------------
    def party_view(self, step: int | None = None) -> dict[str, dict[str, list[str]]]:
        """For each of alice, bob, carol: the lines to show under 'holds', 'computes', 'sends', 'receives'."""
        step = self.step if step is None else step
        view = {name: {"holds": [], "computes": [], "sends": [], "receives": []} for name in (*PARTIES, DEALER)}
        other = {0: 1, 1: 0}
        for i, name in enumerate(PARTIES):
            own = view[name]
            own["holds"] = [f"x{_sub(i)} = {self.x_shares[i]}, y{_sub(i)} = {self.y_shares[i]}"]
            if step >= 2:
                own["holds"] += [
                    f"a{_sub(i)} = {self.a_shares[i]}, b{_sub(i)} = {self.b_shares[i]}",
                    f"c{_sub(i)} = {self.c_shares[i]}",
                ]
            if step == 1:
                own["receives"] = [f"{v}{_sub(i)} = {s[i]} from carol" for v, s in self._triple_shares()]
            elif step == 2:
                own["computes"] = [
                    f"e{_sub(i)} = x{_sub(i)} − a{_sub(i)} = {self.e_shares[i]}",
                    f"f{_sub(i)} = y{_sub(i)} − b{_sub(i)} = {self.f_shares[i]}",
                ]
            elif step == 3:
                j, peer = other[i], PARTIES[other[i]]
                own["holds"] += [f"e{_sub(i)} = {self.e_shares[i]}, f{_sub(i)} = {self.f_shares[i]}"]
                own["sends"] = [f"e{_sub(i)}, f{_sub(i)} to {peer}"]
                own["receives"] = [
                    f"e{_sub(j)} = {self.e_shares[j]} from {peer}",
                    f"f{_sub(j)} = {self.f_shares[j]} from {peer}",
                ]
                own["computes"] = [f"e = e₀ + e₁ = {self.e}", f"f = f₀ + f₁ = {self.f}"]
            else:
                own["holds"] += [f"e = {self.e}, f = {self.f}"]
                term = " + e·f" if i == 0 else ""
                own["computes"] = [f"z{_sub(i)} = c{_sub(i)} + e·b{_sub(i)} + a{_sub(i)}·f{term} = {self.z_shares[i]}"]
        dealer = view[DEALER]
        if step == 1:
            dealer["computes"] = [f"a = {self.a}", f"b = {self.b}", f"c = a·b = {self.c}", "and shares each"]
            dealer["sends"] = ["a₀, b₀, c₀ to alice", "a₁, b₁, c₁ to bob"]
            dealer["holds"] = ["no share of x or y"]
        else:
            dealer["holds"] = ["a, b, c", "(her part is over)"]
        return view

    def party_view_text(self, step: int | None = None) -> str:
        """The party view of one step as plain text, one line per (party, what) that is not empty."""
        step = self.step if step is None else step
        view = self.party_view(step)
        lines = [f"step {step} · {STEPS[step - 1]}"]
        for name in (*PARTIES, DEALER):
            first = True
            for what in ("holds", "computes", "sends", "receives"):
                if view[name][what]:
                    lines.append(f"  {name if first else '':<6} {what:<9} {'; '.join(view[name][what])}")
                    first = False
        return "\n".join(lines)

    def _triple_shares(self):
        return (("a", self.a_shares), ("b", self.b_shares), ("c", self.c_shares))

    def note(self, step: int | None = None) -> str:
        """One sentence on why this step is safe (plain text)."""
        step = self.step if step is None else step
        return (
            "Carol never sees x or y; Alice's and Bob's triple shares are uniform noise to them.",
            "Local work: nothing is sent. Each e_i, f_i is a share minus a share: noise on its own.",
            "One round. e = x − a and f = y − b are public now, yet uniform: a and b are fresh masks only Carol knows.",
            "Local work again: c + e·b + a·f + e·f = (a + e)(b + f) = x·y. Only Alice adds e·f, once.",
        )[step - 1]

    def table_html(self, step: int | None = None) -> str:
        view = self.party_view(step)
        names = (*PARTIES, DEALER)
        head = "".join(
            f"<th style='background:{party_color(i)};color:white;padding:3px 8px;text-align:left;width:{width}px'>"
            f"{html.escape(name)}{' (dealer)' if name == DEALER else ''}</th>"
            for i, (name, width) in enumerate(zip(names, _COLUMN_WIDTHS, strict=True))
        )
        rows = []
        for what in ("holds", "computes", "sends", "receives"):
            cells = []
            for i, name in enumerate(names):
                lines = view[name][what]
                body = "<br>".join(f"<code>{_wrap(line)}</code>" for line in lines) if lines else "—"
                cells.append(
                    f"<td class='cl-{name}-{what}' style='border-left:3px solid {party_color(i)};"
                    f"padding:2px 8px;vertical-align:top'>{body}</td>"
                )
            rows.append(f"<tr><th style='text-align:right;padding-right:8px'>{what}</th>{''.join(cells)}</tr>")
        return (
            "<table class='cl-beaver-table' style='border-collapse:collapse;table-layout:fixed;"
            f"width:{80 + sum(_COLUMN_WIDTHS)}px;font-size:12px;line-height:1.45'>"
            f"<tr><th style='width:80px'></th>{head}</tr>{''.join(rows)}</table>"
        )

    def indicator_html(self) -> str:
        dots = " → ".join(
            f"<span style='font-weight:{'bold' if k == self.step else 'normal'};"
            f"color:{'black' if k == self.step else '#999'}'>{k}. {html.escape(name)}</span>"
            for k, name in enumerate(STEPS, start=1)
        )
        return (
            f"<div class='cl-step-indicator'><b>step <span class='cl-step'>{self.step}</span> of {self.n_steps}</b>"
            f" — {html.escape(STEPS[self.step - 1])}</div><div style='font-size:12px'>{dots}</div>"
        )

    def result_html(self) -> str:
        if not self.at_end:
            return f"<div class='cl-note'>{html.escape(self.note())}</div>"
        ok = self.product == self.expected
        mark = "✓ equal" if ok else "✗ different"
        return (
            f"<div class='cl-note'>{html.escape(self.note())}</div>"
            "<div class='cl-result'>opened at the end: z₀ + z₁ mod Q = "
            f"<code class='cl-product'>{self.product}</code>; x·y mod Q = {self.x}·{self.y} mod Q = "
            f"<code class='cl-expected'>{self.expected}</code> <b class='cl-check'>{mark}</b></div>"
        )


_COLUMN_WIDTHS = (240, 240, 180)  # alice, bob, carol: fixed, so the table does not jump from step to step
_WRAP_AT = 30  # characters of monospace that fit in a party's column


def _wrap(line: str) -> str:
    """HTML for one line of a cell: a long formula is broken before its final '= value'."""
    text = html.escape(line)
    if len(line) > _WRAP_AT and " = " in line:
        head, _, value = text.rpartition(" = ")
        return f"{head}<br>&nbsp;&nbsp;= {value}"
    return text


def _sub(i: int) -> str:
    return "₀₁₂₃₄₅₆₇₈₉"[i]


def beaver_stepper(x: int = 6, y: int = 7, max_secret: int = 1000) -> widgets.VBox:
    """Build the Beaver stepper: sliders for x and y, previous / next buttons, and a party-view table per step."""
    model = BeaverStepperModel(x, y)
    layout = widgets.Layout(width="300px")
    x_slider = widgets.IntSlider(
        value=x, min=0, max=max_secret, description="x", continuous_update=False, layout=layout
    )
    y_slider = widgets.IntSlider(
        value=y, min=0, max=max_secret, description="y", continuous_update=False, layout=layout
    )
    x_slider.add_class("cl-x-slider")
    y_slider.add_class("cl-y-slider")
    previous = widgets.Button(description="◀ previous step", layout=widgets.Layout(width="140px"))
    following = widgets.Button(description="next step ▶", layout=widgets.Layout(width="140px"))
    fresh = widgets.Button(description="new triple", tooltip="same x and y, a fresh triple from Carol")
    previous.add_class("cl-previous")
    following.add_class("cl-next")
    fresh.add_class("cl-new-triple")
    indicator = widgets.HTML()
    table = widgets.HTML()
    result = widgets.HTML()
    indicator.add_class("cl-indicator")
    table.add_class("cl-table")
    result.add_class("cl-outcome")

    def redraw() -> None:
        indicator.value = model.indicator_html()
        table.value = model.table_html()
        result.value = model.result_html()
        previous.disabled = model.at_start
        following.disabled = model.at_end

    def on_inputs(_change) -> None:
        model.set_inputs(x_slider.value, y_slider.value)
        redraw()

    def on_previous(_button) -> None:
        model.previous()
        redraw()

    def on_next(_button) -> None:
        model.next()
        redraw()

    def on_fresh(_button) -> None:
        model.new_triple()
        redraw()

    x_slider.observe(on_inputs, names="value")
    y_slider.observe(on_inputs, names="value")
    previous.on_click(on_previous)
    following.on_click(on_next)
    fresh.on_click(on_fresh)
    redraw()
    return widget_root(
        [
            widgets.HTML(
                f"<b>Beaver stepper</b> — Alice and Bob multiply x·y with Carol's triple (all numbers mod Q = {Q})"
            ),
            widgets.HBox([x_slider, y_slider]),
            widgets.HBox([previous, following, fresh]),
            indicator,
            table,
            result,
        ],
        "cl-beaver-stepper",
        model,
        layout=widgets.Layout(width="820px"),
    )
