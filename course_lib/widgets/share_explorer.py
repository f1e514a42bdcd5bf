"""The share explorer (chapter 01): move a secret, watch its shares, and see that one share says nothing."""

from __future__ import annotations

import ipywidgets as widgets

from course_lib import sharing, stats
from course_lib.sharing import Q
from course_lib.widgets.render import Markup, figure_png, html, new_figure, party_class, party_color, table
from course_lib.widgets.view import View, slider

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

    def verdict(self, counts: tuple[list[int], list[int]]) -> tuple[float, float, bool]:
        """(chi-square between the two histograms, the level chance stays below in 999 of 1000 runs, tell apart?)"""
        same, critical = stats.chi_square_same(*counts), stats.chi_square_critical(self.bins - 1)
        return same, critical, same >= critical


def shares_html(model: ShareExplorerModel) -> Markup:
    rows = [
        [(html("<b>{}</b> holds", name), party_class(i)), html("<code class='cl-share'>{}</code>", share)]
        for i, (name, share) in enumerate(zip(model.parties, model.shares, strict=True))
    ]
    return table(rows) + html(
        "<div>all {n} shares add up (mod Q) to <code class='cl-decrypted'>{total}</code></div>"
        "<div>without {last}'s share: <code class='cl-partial'>{partial}</code> (noise)</div>",
        n=model.n_parties,
        total=model.decrypted,
        last=model.parties[-1],
        partial=model.missing_one,
    )


def verdict_html(model: ShareExplorerModel, counts: tuple[list[int], list[int]]) -> Markup:
    same, critical, differ = model.verdict(counts)
    verdict = "the histograms differ more than chance would" if differ else "cannot tell the secrets apart"
    return html(
        "<div class='cl-verdict'>chi-square between the two histograms: {:.1f} (chance alone stays below {:.1f} in "
        "999 of 1000 runs) → <b>{}</b></div>",
        same,
        critical,
        verdict,
    )


def histogram_png(model: ShareExplorerModel, counts: tuple[list[int], list[int]]) -> bytes:
    figure = new_figure()
    axes = figure.subplots()
    edges = [i * Q / model.bins for i in range(model.bins + 1)]
    # outlines, not filled bars: two overlapping flat histograms stay readable
    axes.stairs(counts[0], edges, lw=2, color=party_color(model.party), label=f"secret {model.secret}")
    axes.stairs(counts[1], edges, lw=2, color="#7f7f7f", label=f"secret {model.other_secret}")
    axes.axhline(model.draws / model.bins, color="black", lw=1, ls="--", label="perfectly flat")
    axes.set_xlabel(f"{model.parties[model.party]}'s share (0 … Q-1)")
    axes.set_ylabel(f"count in {model.draws} sharings")
    axes.set_ylim(0, 2 * model.draws / model.bins)
    axes.legend(loc="upper center", fontsize=8, ncols=3)
    return figure_png(figure)


def share_explorer(secret: int = 42, n_parties: int = 3, other_secret: int = 0, draws: int = 2000) -> widgets.VBox:
    """Build the share explorer: a secret slider, its shares, and one party's share histogram for two secrets."""
    model = ShareExplorerModel(secret, n_parties, other_secret, draws)
    view = View(model)
    secret_slider = view.add("slider", slider(secret, 0, Q - 1, "secret", "480px"), "cl-secret-slider")
    reshare = view.add("reshare", widgets.Button(description="new shares", tooltip="share the same secret again"))
    options = [(name, i) for i, name in enumerate(model.parties)]
    party = view.add("party", widgets.Dropdown(options=options, value=0, description="party"))
    other = view.add("other", slider(other_secret, 0, Q - 1, "2nd secret", "480px"))
    shares = view.html("shares", shares_html, "cl-shares")
    plot = view.add("plot", widgets.Image(format="png", layout={"width": "600px"}))
    verdict = view.add("verdict", widgets.HTML())

    @view.draws
    def histograms() -> None:  # fresh samples each time: drawn only when the secrets or the party change
        counts = model.histograms()
        plot.value, verdict.value = histogram_png(model, counts), verdict_html(model, counts)

    view.bind(secret_slider, model.set_secret)
    view.bind(reshare, model.reshare, redraw=("shares",))
    view.bind(party, "party", redraw=("histograms",))
    view.bind(other, "other_secret", redraw=("histograms",))
    return view.root(
        "cl-share-explorer",
        f"<b>Share explorer</b> — the secret is split into shares mod Q = {Q}",
        [
            [secret_slider, reshare],
            shares,
            "<b>Does one share leak the secret?</b> One party's share over many sharings of two secrets:",
            [party, other],
            plot,
            verdict,
        ],
    )
