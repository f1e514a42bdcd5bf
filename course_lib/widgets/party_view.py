"""The party view (chapter 02): type a few integers, pick the number of parties, and see what each party holds.

Every party's int64 shares sit side by side in its own colour, next to the secret and to what all the shares add up
to (mod 2^64). Below: what all parties but the last see together (noise), and the messages that sharing and then
revealing the tensor cost, as counted by course_lib's runtime.

`PartyViewModel` holds the logic and has unit tests; `party_view()` builds the ipywidgets view around it and returns
it (the notebook displays it). The values are integers shared with `precision_bits=0`, so the shares add up to the
integers themselves; chapter 03 adds fixed point (a scale of 2^16) for real numbers.
"""

from __future__ import annotations

import html
import re

import ipywidgets as widgets
import torch

import course_lib as cl
from course_lib import ring
from course_lib.cost import Cost
from course_lib.widgets.render import party_color, widget_root

__all__ = ["PartyViewModel", "party_view", "PARTY_NAMES", "MAX_VALUES"]

PARTY_NAMES = ("alice", "bob", "carol", "dave")
MAX_VALUES = 8
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# inherited by every cell: numbers right-aligned in monospace, one line each, a little space between the columns
TABLE_STYLE = (
    "font-family:monospace;font-size:12px;white-space:nowrap;text-align:right;"
    "border-collapse:separate;border-spacing:14px 2px;margin-left:-14px"
)


def parse_values(text: str) -> list[int]:
    """Whole numbers separated by commas or spaces, e.g. "3, -1, 7, 250". Never eval()s the text."""
    tokens = [t for t in re.split(r"[,\s;]+", str(text).strip()) if t]
    if not tokens:
        raise ValueError(f"type 1 to {MAX_VALUES} whole numbers separated by commas, e.g. 3, -1, 7, 250")
    if len(tokens) > MAX_VALUES:
        raise ValueError(f"{len(tokens)} numbers is too many for this view: type at most {MAX_VALUES}")
    values = []
    for token in tokens:
        if not re.fullmatch(r"[+-]?\d+", token):
            raise ValueError(
                f"{token[:20]!r} is not a whole number: this view shares integers (real numbers come in chapter 03)"
            )
        value = int(token)
        if not INT64_MIN <= value <= INT64_MAX:
            raise ValueError(f"{token[:24]} does not fit in an int64: use numbers in [-2^63, 2^63)")
        values.append(value)
    return values


class PartyViewModel:
    """A small integer tensor shared among 2 to 4 parties, what it cost to share and reveal it, and its HTML."""

    def __init__(self, values=(3, -1, 7, 250), n_parties: int = 3, unsigned: bool = False):
        self.unsigned = unsigned
        self.values = [int(v) for v in (parse_values(values) if isinstance(values, str) else values)]
        self._check_n(n_parties)
        self.n_parties = n_parties
        self.reshare()

    @staticmethod
    def _check_n(n_parties: int) -> None:
        if isinstance(n_parties, bool) or not isinstance(n_parties, int) or not 2 <= n_parties <= len(PARTY_NAMES):
            raise ValueError(f"n_parties must be between 2 and {len(PARTY_NAMES)}, got {n_parties!r}")

    @property
    def parties(self) -> tuple[str, ...]:
        return PARTY_NAMES[: self.n_parties]

    @property
    def secret(self) -> torch.Tensor:
        return torch.tensor(self.values, dtype=torch.int64)

    def set_text(self, text: str) -> None:
        """New secret values from the text box; a bad text raises ValueError and changes nothing."""
        values = parse_values(text)
        self.values = values
        self.reshare()

    def set_n_parties(self, n_parties: int) -> None:
        self._check_n(n_parties)
        self.n_parties = n_parties
        self.reshare()

    def reshare(self) -> None:
        """Share the values afresh among the parties and reveal them, counting the messages of each step."""
        group = cl.PartyGroup(tuple(cl.VirtualWorker(name) for name in self.parties))
        # ring elements as they are (chapter 02 comes before fixed point): every int64, -2^63 included, is one
        with cl.measure_cost() as share_cost:
            self._shares = group.runtime.input(group, self.secret)
        with cl.measure_cost() as reveal_cost:
            self.revealed = group.runtime.reveal(group, self._shares)
        self.share_cost: Cost = share_cost
        self.reveal_cost: Cost = reveal_cost

    @property
    def shares(self) -> torch.Tensor:
        """The stacked int64 shares, shape (n_parties, len(values)): row i is what party i holds."""
        return self._shares

    @property
    def without_last(self) -> torch.Tensor:
        """What all parties but the last get by pooling their shares: uniform noise, whatever the secret."""
        return ring.reconstruct(self.shares[:-1])

    def _number(self, value: int) -> str:
        return str(value % 2**64 if self.unsigned else value)

    def table_html(self) -> str:
        """One column per party (in its colour), plus the secret and the sum of all shares."""
        head = "".join(
            f"<th style='color:{party_color(i)}' class='cl-party-name'>{html.escape(name)}</th>"
            for i, name in enumerate(self.parties)
        )
        rows = []
        columns = self.shares.t().tolist()  # one row per value, one entry per party
        for index, (value, party_shares, total) in enumerate(
            zip(self.values, columns, self.revealed.tolist(), strict=True)
        ):
            held = "".join(
                f"<td style='color:{party_color(i)}'><code class='cl-party-share' data-party='{i}'>"
                f"{self._number(s)}</code></td>"
                for i, s in enumerate(party_shares)
            )
            rows.append(
                f"<tr><td>x[{index}] = <code class='cl-secret-value'>{value}</code></td>{held}"
                f"<td>→ <code class='cl-revealed'>{self._number(total)}</code></td></tr>"
            )
        view = "unsigned, in [0, 2^64)" if self.unsigned else "int64, in [-2^63, 2^63)"
        return (
            f"<table style='{TABLE_STYLE}'><tr><th>secret</th>{head}<th>sum mod 2^64</th></tr>"
            f"{''.join(rows)}</table>"
            f"<div style='font-size:12px;color:#555'>shares shown as {view}</div>"
        )

    def noise_html(self) -> str:
        pooled = ", ".join(self._number(v) for v in self.without_last.tolist())
        others = " + ".join(self.parties[:-1])
        return (
            f"<div>{html.escape(others)} pool their shares, without {html.escape(self.parties[-1])}'s: "
            f"<code class='cl-without-last'>[{pooled}]</code> — noise</div>"
        )

    def cost_html(self) -> str:
        total = self.share_cost.bytes + self.reveal_cost.bytes
        return (
            "<div class='cl-cost'>"
            f"<b>share</b>: <span class='cl-share-cost'>{self.share_cost!r}</span> "
            "(the data owner sends each party its share)<br>"
            f"<b>reveal</b>: <span class='cl-reveal-cost'>{self.reveal_cost!r}</span> "
            "(each party sends its share to whoever learns the result)<br>"
            f"together: {self.share_cost.rounds + self.reveal_cost.rounds} rounds, "
            f"<span class='cl-total-bytes'>{total}</span> bytes = "
            f"2 × {self.n_parties} parties × {len(self.values)} values × 8 bytes</div>"
        )


def party_view(values: str = "3, -1, 7, 250", n_parties: int = 3) -> widgets.VBox:
    """Build the party view: a text box for the secret, a party count, each party's shares and the message cost."""
    model = PartyViewModel(values, n_parties)
    text = widgets.Text(
        value=", ".join(str(v) for v in model.values),
        description="secret",
        placeholder="whole numbers, e.g. 3, -1, 7 (then Enter)",
        tooltip="type whole numbers separated by commas, then press Enter",
        continuous_update=False,
        layout=widgets.Layout(width="360px"),
    )
    text.add_class("cl-secret-text")
    parties = widgets.IntSlider(
        value=n_parties,
        min=2,
        max=len(PARTY_NAMES),
        description="parties",
        continuous_update=False,
        layout=widgets.Layout(width="240px"),
    )
    parties.add_class("cl-parties-slider")
    reshare = widgets.Button(description="new shares", tooltip="share the same values again")
    reshare.add_class("cl-reshare")
    unsigned = widgets.Checkbox(value=False, description="show unsigned [0, 2^64)", indent=False)
    unsigned.add_class("cl-unsigned")
    message = widgets.HTML("")
    message.add_class("cl-message")
    table = widgets.HTML(model.table_html(), layout=widgets.Layout(width="900px"))
    table.add_class("cl-party-table")
    noise = widgets.HTML(model.noise_html())
    noise.add_class("cl-noise")
    cost = widgets.HTML(model.cost_html())
    cost.add_class("cl-cost-box")

    def redraw() -> None:
        table.value = model.table_html()
        noise.value = model.noise_html()
        cost.value = model.cost_html()

    def on_text(change) -> None:
        try:
            model.set_text(change["new"])
        except ValueError as error:
            message.value = (
                f"<span style='color:#b00'>⚠ {html.escape(str(error))}; still showing the last good values</span>"
            )
            return
        message.value = ""
        redraw()

    def on_parties(change) -> None:
        model.set_n_parties(change["new"])
        redraw()

    def on_reshare(_button) -> None:
        model.reshare()
        redraw()

    def on_unsigned(change) -> None:
        model.unsigned = change["new"]
        redraw()

    text.observe(on_text, names="value")
    parties.observe(on_parties, names="value")
    reshare.on_click(on_reshare)
    unsigned.observe(on_unsigned, names="value")
    return widget_root(
        [
            widgets.HTML("<b>Party view</b> — whole numbers shared in the ring Z_2^64, and what each party holds"),
            widgets.HBox([text, parties, reshare, unsigned]),
            message,
            table,
            noise,
            cost,
        ],
        "cl-party-view",
        model,
    )
