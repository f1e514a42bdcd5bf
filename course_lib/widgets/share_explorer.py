"""The share explorer (chapter 01): move a secret, watch its shares, and see that one share says nothing.

`ShareExplorerModel` holds the logic and has unit tests; `share_explorer()` builds the ipywidgets view around it and
returns it (the notebook displays it).
"""

from __future__ import annotations

import html

import ipywidgets as widgets

from course_lib import sharing, stats
from course_lib.sharing import Q
from course_lib.widgets.render import figure_png, new_figure, party_color, widget_root

__all__ = ["ShareExplorerModel", "share_explorer", "PARTY_NAMES"]

PARTY_NAMES = ("alice", "bob", "carol", "dave", "erin")


class ShareExplorerModel:
    """A secret, its current shares, and samples of one party's share for two different secrets."""

    def __init__(self, secret: int = 42, n_parties: int = 3, other_secret: int = 0, draws: int = 2000, bins: int = 20):
        if not 2 <= n_parties <= len(PARTY_NAMES):
            raise ValueError(f"n_parties must be between 2 and {len(PARTY_NAMES)}, got {n_parties}")
        self.n_parties = n_parties
        self.draws = draws
        self.bins = bins
        self.other_secret = other_secret
        self.party = 0
        self.set_secret(secret)

    @property
    def parties(self) -> tuple[str, ...]:
        return PARTY_NAMES[: self.n_parties]

    def set_secret(self, secret: int) -> None:
        self.shares = sharing.encrypt(secret, self.n_parties)  # validates the secret before anything changes
        self.secret = secret

    def reshare(self) -> None:
        """Fresh shares of the same secret: they change completely, the secret does not."""
        self.shares = sharing.encrypt(self.secret, self.n_parties)

    @property
    def decrypted(self) -> int:
        return sharing.decrypt(*self.shares)

    @property
    def missing_one(self) -> int:
        """What all shares but the last add up to: a uniformly random number, whatever the secret."""
        return sharing.decrypt(*self.shares[:-1])

    def party_samples(self, secret: int) -> list[int]:
        """The chosen party's share over `draws` fresh sharings of `secret`."""
        return [sharing.encrypt(secret, self.n_parties)[self.party] for _ in range(self.draws)]

    def histograms(self) -> tuple[list[int], list[int]]:
        """Histograms (over [0, Q)) of the party's share for this secret and for `other_secret`."""
        return (
            stats.histogram(self.party_samples(self.secret), 0, Q, self.bins),
            stats.histogram(self.party_samples(self.other_secret), 0, Q, self.bins),
        )

    def shares_html(self) -> str:
        rows = "".join(
            f"<tr><td style='color:{party_color(i)}'><b>{html.escape(name)}</b> holds</td>"
            f"<td><code class='cl-share'>{share}</code></td></tr>"
            for i, (name, share) in enumerate(zip(self.parties, self.shares, strict=True))
        )
        return (
            f"<table>{rows}</table>"
            f"<div>all {self.n_parties} shares add up (mod Q) to "
            f"<code class='cl-decrypted'>{self.decrypted}</code></div>"
            f"<div>without {html.escape(self.parties[-1])}'s share: <code class='cl-partial'>{self.missing_one}</code>"
            " (noise)</div>"
        )


def _histogram_png(model: ShareExplorerModel, counts: tuple[list[int], list[int]]) -> bytes:
    figure = new_figure()
    axes = figure.subplots()
    edges = [i * Q / model.bins for i in range(model.bins + 1)]
    name = model.parties[model.party]
    # outlines, not filled bars: two overlapping flat histograms stay readable
    axes.stairs(counts[0], edges, lw=2, color=party_color(model.party), label=f"secret {model.secret}")
    axes.stairs(counts[1], edges, lw=2, color="#7f7f7f", label=f"secret {model.other_secret}")
    axes.axhline(model.draws / model.bins, color="black", lw=1, ls="--", label="perfectly flat")
    axes.set_xlabel(f"{name}'s share (0 … Q-1)")
    axes.set_ylabel(f"count in {model.draws} sharings")
    axes.set_ylim(0, 2 * model.draws / model.bins)
    axes.legend(loc="upper center", fontsize=8, ncols=3)
    return figure_png(figure)


def _verdict_html(model: ShareExplorerModel, counts: tuple[list[int], list[int]]) -> str:
    critical = stats.chi_square_critical(model.bins - 1)
    same = stats.chi_square_same(*counts)
    verdict = "cannot tell the secrets apart" if same < critical else "the histograms differ more than chance would"
    return (
        f"<div class='cl-verdict'>chi-square between the two histograms: {same:.1f} "
        f"(chance alone stays below {critical:.1f} in 999 of 1000 runs) → <b>{verdict}</b></div>"
    )


def share_explorer(secret: int = 42, n_parties: int = 3, other_secret: int = 0, draws: int = 2000) -> widgets.VBox:
    """Build the share explorer: a secret slider, its shares, and one party's share histogram for two secrets."""
    model = ShareExplorerModel(secret, n_parties, other_secret, draws)
    slider = widgets.IntSlider(
        value=secret,
        min=0,
        max=Q - 1,
        description="secret",
        continuous_update=False,
        layout=widgets.Layout(width="480px"),
    )
    slider.add_class("cl-secret-slider")
    reshare = widgets.Button(description="new shares", tooltip="share the same secret again")
    shares = widgets.HTML(model.shares_html())
    shares.add_class("cl-shares")
    party = widgets.Dropdown(options=[(name, i) for i, name in enumerate(model.parties)], value=0, description="party")
    other = widgets.IntSlider(
        value=other_secret,
        min=0,
        max=Q - 1,
        description="2nd secret",
        continuous_update=False,
        layout=widgets.Layout(width="480px"),
    )
    counts = model.histograms()
    plot = widgets.Image(value=_histogram_png(model, counts), format="png", layout=widgets.Layout(width="600px"))
    verdict = widgets.HTML(_verdict_html(model, counts))

    def redraw_histograms() -> None:
        counts = model.histograms()
        plot.value = _histogram_png(model, counts)
        verdict.value = _verdict_html(model, counts)

    def on_secret(change) -> None:
        model.set_secret(change["new"])
        shares.value = model.shares_html()
        redraw_histograms()

    def on_reshare(_button) -> None:
        model.reshare()
        shares.value = model.shares_html()

    def on_party(change) -> None:
        model.party = change["new"]
        redraw_histograms()

    def on_other(change) -> None:
        model.other_secret = change["new"]
        redraw_histograms()

    slider.observe(on_secret, names="value")
    reshare.on_click(on_reshare)
    party.observe(on_party, names="value")
    other.observe(on_other, names="value")
    return widget_root(
        [
            widgets.HTML("<b>Share explorer</b> — the secret is split into shares mod Q = 501337"),
            widgets.HBox([slider, reshare]),
            shares,
            widgets.HTML("<b>Does one share leak the secret?</b> One party's share over many sharings of two secrets:"),
            widgets.HBox([party, other]),
            plot,
            verdict,
        ],
        "cl-share-explorer",
        model,
    )
