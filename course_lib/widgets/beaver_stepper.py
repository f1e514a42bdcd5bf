"""The Beaver stepper (chapter 04): multiply two secrets mod Q with a dealer's triple, one step at a time.

Alice and Bob hold shares of x and y; Carol, the dealer, hands them shares of a random triple a, b, c = a·b. The four
steps of the protocol — deal, mask, open, combine — are shown one at a time: what each of the three holds, computes,
sends and receives.

The model deals with `course_lib.rng` and `course_lib.sharing.encrypt`, and runs steps 2–4 with
`course_lib.sharing.beaver_product`: the same mod-Q protocol that chapter 04's check compares against.
"""

from __future__ import annotations

from dataclasses import astuple

import ipywidgets as widgets

from course_lib import rng, sharing
from course_lib.sharing import Q
from course_lib.widgets.render import Markup, html, join, party_class, table
from course_lib.widgets.view import View, slider

__all__ = ["BeaverStepperModel", "beaver_stepper", "STEPS", "PARTIES", "DEALER"]

PARTIES = ("alice", "bob")  # the two computing parties: party 0 and party 1
DEALER = "carol"  # the crypto provider
STEPS = (
    "Carol deals a triple",
    "each party masks its shares",
    "Alice and Bob open e and f",
    "each party combines",
)
WHAT = ("holds", "computes", "sends", "receives")  # the rows of the party view


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
        """Steps 2–4, by `course_lib.sharing.beaver_product`: mask, open e and f, combine (party 0 adds e·f)."""
        run = sharing.beaver_product(self.x_shares, self.y_shares, (self.a_shares, self.b_shares, self.c_shares))
        self.e_shares, self.f_shares, self.e, self.f, self.z_shares = astuple(run)

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
        view = {name: {what: [] for what in WHAT} for name in (*PARTIES, DEALER)}
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
            for what in WHAT:
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


_WRAP_AT = 30  # characters of monospace that fit in a party's column


def _sub(i: int) -> str:
    return "₀₁₂₃₄₅₆₇₈₉"[i]


def _line(line: str) -> Markup:
    """One line of a cell, in monospace: a long formula is broken before its final '= value'."""
    if len(line) > _WRAP_AT and " = " in line:
        head, _, value = line.rpartition(" = ")
        return html("<code>{}<br>&nbsp;&nbsp;= {}</code>", head, value)
    return html("<code>{}</code>", line)


def table_html(model: BeaverStepperModel, step: int | None = None) -> Markup:
    """What alice, bob and carol hold, compute, send and receive at this step: one column each, in their colours."""
    view, names = model.party_view(step), (*PARTIES, DEALER)
    header = [""] + [
        (f"{name} (dealer)" if name == DEALER else name, party_class(i, "head")) for i, name in enumerate(names)
    ]
    cells = {(name, what): join(map(_line, view[name][what]), sep="<br>") or "—" for name in names for what in WHAT}
    rows = [
        [what] + [(cells[name, what], f"cl-{name}-{what} {party_class(i, 'bar')}") for i, name in enumerate(names)]
        for what in WHAT
    ]
    return table(rows, header, css="cl-beaver-table", row_heads=True)


def indicator_html(model: BeaverStepperModel) -> Markup:
    steps = [
        html("<span class='{}'>{}. {}</span>", "cl-now" if k == model.step else "cl-dim", k, name)
        for k, name in enumerate(STEPS, 1)
    ]
    return html(
        "<div class='cl-step-indicator'><b>step <span class='cl-step'>{}</span> of {}</b> — {}</div>"
        "<div class='cl-small'>{}</div>",
        model.step,
        model.n_steps,
        STEPS[model.step - 1],
        join(steps, sep=" → "),
    )


def result_html(model: BeaverStepperModel) -> Markup:
    note = html("<div class='cl-note'>{}</div>", model.note())
    if not model.at_end:
        return note
    return note + html(
        "<div class='cl-result'>opened at the end: z₀ + z₁ mod Q = <code class='cl-product'>{product}</code>; "
        "x·y mod Q = {x}·{y} mod Q = <code class='cl-expected'>{expected}</code> <b class='cl-check'>{check}</b></div>",
        product=model.product,
        x=model.x,
        y=model.y,
        expected=model.expected,
        check="✓ equal" if model.product == model.expected else "✗ different",
    )


def beaver_stepper(x: int = 6, y: int = 7, max_secret: int = 1000) -> widgets.VBox:
    """Build the Beaver stepper: sliders for x and y, previous / next buttons, and a party-view table per step."""
    model = BeaverStepperModel(x, y)
    view = View(model)
    x_slider = view.add("x", slider(x, 0, max_secret, "x"), "cl-x-slider")
    y_slider = view.add("y", slider(y, 0, max_secret, "y"), "cl-y-slider")
    view.bind(x_slider, lambda value: model.set_inputs(value, model.y))
    view.bind(y_slider, lambda value: model.set_inputs(model.x, value))
    narrow = {"width": "140px"}
    previous = view.add("previous", widgets.Button(description="◀ previous step", layout=narrow), "cl-previous")
    following = view.add("next", widgets.Button(description="next step ▶", layout=narrow), "cl-next")
    fresh = widgets.Button(description="new triple", tooltip="same x and y, a fresh triple from Carol")
    view.add("new_triple", fresh, "cl-new-triple")
    view.bind(previous, model.previous)
    view.bind(following, model.next)
    view.bind(fresh, model.new_triple)

    @view.draws
    def buttons_state() -> None:
        previous.disabled, following.disabled = model.at_start, model.at_end

    return view.root(
        "cl-beaver-stepper",
        f"<b>Beaver stepper</b> — Alice and Bob multiply x·y with Carol's triple (all numbers mod Q = {Q})",
        [
            [x_slider, y_slider],
            [previous, following, fresh],
            view.html("indicator", indicator_html, "cl-indicator"),
            view.html("table", table_html, "cl-table"),
            view.html("result", result_html, "cl-outcome"),
        ],
        layout=widgets.Layout(width="820px"),
    )
