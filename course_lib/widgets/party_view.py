"""The party view (chapter 02): type a few integers, pick the number of parties, and see what each party holds.

Every party's int64 shares sit side by side in its own colour, next to the secret and to what all the shares add up
to (mod 2^64). Below: what all parties but the last see together (noise), and the messages that sharing and then
revealing the tensor cost, as counted by course_lib's runtime.

The values are integers shared with `precision_bits=0`, so the shares add up to the integers themselves; chapter 03
adds fixed point (a scale of 2^16) for real numbers.
"""

from __future__ import annotations

import re

import ipywidgets as widgets
import torch

import course_lib as cl
from course_lib import ring
from course_lib.cost import Cost
from course_lib.widgets.render import Markup, html, party_class, table
from course_lib.widgets.view import View, slider

__all__ = ["PartyViewModel", "party_view", "parse_values", "PARTY_NAMES", "MAX_VALUES"]

PARTY_NAMES = ("alice", "bob", "carol", "dave")
MAX_VALUES = 8
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


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
    """A small integer tensor shared among 2 to 4 parties, and what it cost to share and reveal it."""

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

    def number(self, value: int) -> str:
        """How a ring element is shown: signed int64, or unsigned in [0, 2^64)."""
        return str(value % 2**64 if self.unsigned else value)


def table_html(model: PartyViewModel) -> Markup:
    """One column per party (in its colour), plus the secret and the sum of all shares."""
    names = [(html("<span class='cl-party-name'>{}</span>", n), party_class(i)) for i, n in enumerate(model.parties)]
    rows = [
        [
            html("x[{}] = <code class='cl-secret-value'>{}</code>", index, value),
            *(
                (html("<code class='cl-party-share' data-party='{}'>{}</code>", i, model.number(s)), party_class(i))
                for i, s in enumerate(held)
            ),
            html("→ <code class='cl-revealed'>{}</code>", model.number(total)),
        ]  # one row per value, one column per party
        for index, (value, held, total) in enumerate(
            zip(model.values, model.shares.t().tolist(), model.revealed.tolist(), strict=True)
        )
    ]
    shown = "unsigned, in [0, 2^64)" if model.unsigned else "int64, in [-2^63, 2^63)"
    return table(rows, ["secret", *names, "sum mod 2^64"], css="cl-numbers") + html(
        "<div class='cl-gray'>shares shown as {}</div>", shown
    )


def noise_html(model: PartyViewModel) -> Markup:
    return html(
        "<div>{others} pool their shares, without {last}'s: "
        "<code class='cl-without-last'>[{pooled}]</code> — noise</div>",
        others=" + ".join(model.parties[:-1]),
        last=model.parties[-1],
        pooled=", ".join(model.number(v) for v in model.without_last.tolist()),
    )


def cost_html(model: PartyViewModel) -> Markup:
    share, reveal = model.share_cost, model.reveal_cost
    return html(
        "<div class='cl-cost'><b>share</b>: <span class='cl-share-cost'>{share!r}</span> (the data owner sends each "
        "party its share)<br><b>reveal</b>: <span class='cl-reveal-cost'>{reveal!r}</span> (each party sends its share "
        "to whoever learns the result)<br>together: {rounds} rounds, <span class='cl-total-bytes'>{bytes}</span> bytes "
        "= 2 × {n} parties × {values} values × 8 bytes</div>",
        share=share,
        reveal=reveal,
        rounds=share.rounds + reveal.rounds,
        bytes=share.bytes + reveal.bytes,
        n=model.n_parties,
        values=len(model.values),
    )


def party_view(values: str = "3, -1, 7, 250", n_parties: int = 3) -> widgets.VBox:
    """Build the party view: a text box for the secret, a party count, each party's shares and the message cost."""
    model = PartyViewModel(values, n_parties)
    view = View(model)
    text = widgets.Text(
        value=", ".join(str(v) for v in model.values),
        description="secret",
        placeholder="whole numbers, e.g. 3, -1, 7 (then Enter)",
        tooltip="type whole numbers separated by commas, then press Enter",
        continuous_update=False,
        layout=widgets.Layout(width="360px"),
    )
    view.bind(view.add("text", text, "cl-secret-text"), model.set_text)
    parties = view.add("parties", slider(n_parties, 2, len(PARTY_NAMES), "parties", "240px"), "cl-parties-slider")
    view.bind(parties, model.set_n_parties)
    reshare = widgets.Button(description="new shares", tooltip="share the same values again")
    view.bind(view.add("reshare", reshare, "cl-reshare"), model.reshare)
    unsigned = widgets.Checkbox(value=False, description="show unsigned [0, 2^64)", indent=False)
    view.bind(view.add("unsigned", unsigned, "cl-unsigned"), "unsigned")
    return view.root(
        "cl-party-view",
        "<b>Party view</b> — whole numbers shared in the ring Z_2^64, and what each party holds",
        [
            [text, parties, reshare, unsigned],
            view.html("table", table_html, "cl-party-table", width="900px"),
            view.html("noise", noise_html, "cl-noise"),
            view.html("cost", cost_html, "cl-cost-box"),
        ],
    )
