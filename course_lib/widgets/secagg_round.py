"""The server's view of a secure aggregation round (chapter 07): each client's masked update is noise, the sum has
meaning — and what happens when clients drop out before or after masking, or too many drop out.

`SecAggRoundModel` runs `course_lib.secagg.secure_sum` on a fixed list of updates whenever a client's status or the
threshold changes (or on "new masks"), and keeps the result: what the server received from each client, which kind
of share it holds for whom, and the total it decoded — or, below the threshold, the protocol's refusal. With
`counted=True` the first element of every update is the client's weight (a hospital's patient count, as in
`course_lib.federated`), and the view shows the weighted average Σ n_k·Δ_k / Σ n_k instead of the raw sum.
"""

from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as widgets
import torch

from course_lib import secagg
from course_lib.widgets.render import Markup, figure_png, html, new_figure, party_color, table
from course_lib.widgets.view import View, slider

__all__ = ["SENDS", "BEFORE", "AFTER", "STATUSES", "SecAggRoundModel", "secagg_round"]

SENDS, BEFORE, AFTER = "sends", "drops before masking", "drops after masking"
STATUSES = (SENDS, BEFORE, AFTER)
SHOWN_VALUES = 3  # masked ring elements shown per client in the table


class SecAggRoundModel:
    """A round of secure aggregation among `len(updates)` clients, re-run whenever the dropouts or t change."""

    def __init__(
        self,
        updates: Sequence[torch.Tensor],
        names: Sequence[str] | None = None,
        threshold: int | None = None,
        clip: float = secagg.DEFAULT_CLIP,
        counted: bool = False,
    ):
        if len(updates) < 2:
            raise ValueError(f"a round needs at least 2 clients, got {len(updates)}")
        self.updates = [u.detach().double().reshape(-1) for u in updates]
        if len({u.numel() for u in self.updates}) != 1:
            raise ValueError("every client's update must have the same number of elements")
        self.names = list(names) if names is not None else [f"client {i}" for i in range(len(updates))]
        if len(self.names) != len(self.updates):
            raise ValueError(f"{len(self.names)} names for {len(self.updates)} updates")
        self.clip = float(clip)
        self.counted = counted
        self.status = [SENDS] * len(self.updates)
        self.threshold = self._checked_threshold(len(self.updates) // 2 + 1 if threshold is None else threshold)
        self.rounds = 0
        self.run()

    @property
    def n(self) -> int:
        return len(self.updates)

    def _checked_threshold(self, threshold: int) -> int:
        if isinstance(threshold, bool) or not isinstance(threshold, int) or not 2 <= threshold <= self.n:
            raise ValueError(f"the threshold must be a whole number in [2, {self.n}], got {threshold!r}")
        return threshold

    # --- actions ---------------------------------------------------------------------------------------------------
    def set_status(self, client: int, status: str) -> None:
        """Client `client` sends, drops before masking, or drops after masking; then the round runs again."""
        if status not in STATUSES:
            raise ValueError(f"a client's status is one of {', '.join(STATUSES)}; got {status!r}")
        if not 0 <= client < self.n:
            raise ValueError(f"there is no client {client}: clients are 0 … {self.n - 1}")
        self.status[client] = status
        self.run()

    def set_threshold(self, threshold: int) -> None:
        self.threshold = self._checked_threshold(threshold)
        self.run()

    def run(self) -> None:
        """One fresh round (new keys, seeds and masks): the result, or the refusal when fewer than t survive."""
        self.rounds += 1
        try:
            self.result: secagg.SecureSumResult | None = secagg.secure_sum(
                self.updates,
                threshold=self.threshold,
                drop_before_masking=self.dropped_before,
                drop_after_masking=self.dropped_after,
                clip=self.clip,
            )
            self.refusal = ""
        except ValueError as error:  # fewer than t masked inputs, or fewer than t answers: the round aborts
            self.result, self.refusal = None, str(error)

    # --- what the round gave -----------------------------------------------------------------------------------------
    @property
    def dropped_before(self) -> list[int]:
        return [i for i, s in enumerate(self.status) if s == BEFORE]

    @property
    def dropped_after(self) -> list[int]:
        return [i for i, s in enumerate(self.status) if s == AFTER]

    @property
    def senders(self) -> list[int]:
        """The clients whose masked update reaches the server (those dropping after masking included)."""
        return [i for i, s in enumerate(self.status) if s != BEFORE]

    def masked(self, client: int) -> torch.Tensor | None:
        """What the server received from `client`: its masked update (int64 in [0, 2^32)), or None."""
        if self.result is None:
            return None
        return self.result.server_view.get(client)

    def held(self, client: int) -> str:
        """Which of `client`'s two secrets the server could rebuild from the shares it was sent."""
        if self.result is None:
            return "nothing rebuilt"
        kinds = self.result.server.share_kinds().get(client, set())
        words = {"mask key": "mask key", "self-mask": "self-mask seed"}
        return " and ".join(words[k] for k in sorted(kinds)) if kinds else "—"

    @property
    def plain_total(self) -> torch.Tensor:
        """The plaintext sum of the updates that the protocol includes (the check on the decoded total)."""
        return torch.stack([self.updates[i] for i in self.senders]).sum(dim=0)

    def meaning(self, total: torch.Tensor) -> torch.Tensor:
        """What the sum means: itself, or, for counted updates, the weighted average Σ n_k·Δ_k / Σ n_k."""
        return total[1:] / total[0] if self.counted else total

    @property
    def error(self) -> float:
        """The largest difference between the decoded result and the plaintext one (quantisation only)."""
        if self.result is None:
            return float("nan")
        return float((self.meaning(self.result.total.double()) - self.meaning(self.plain_total)).abs().max())

    def summary(self) -> str:
        """One line: what the server learned, or why it learned nothing."""
        if self.result is None:
            return f"Round aborted: {self.refusal}."
        names = ", ".join(self.names[i] for i in self.result.included)
        what = "the weighted average of" if self.counted else "the sum of"
        extra = f" ({self.result.total[0].item():.0f} in the count)" if self.counted else ""
        return f"The server learned {what} {names}{extra}; it differs from plaintext by {self.error:.1e}."


# --- drawing ---------------------------------------------------------------------------------------------------------
def _status_cell(model: SecAggRoundModel, client: int):
    status = model.status[client]
    css = {SENDS: "cl-good", AFTER: "cl-meh", BEFORE: "cl-bad"}[status]
    return (html("<span class='cl-secagg-status'>{}</span>", status), css)


def table_html(model: SecAggRoundModel) -> Markup:
    """One row per client: its status, what the server received (the first values), the shares the server holds."""
    rows = []
    for i, name in enumerate(model.names):
        masked = model.masked(i)
        if masked is None:  # dropped before masking, or the round aborted after the masked vectors arrived
            words = "nothing" if model.status[i] == BEFORE else "a masked vector, never unmasked (round aborted)"
            seen = html("<span class='cl-dim'>{}</span>", words)
        else:
            values = ", ".join(f"{v:>10d}" for v in masked[:SHOWN_VALUES].tolist())
            seen = html("<code class='cl-secagg-masked' data-client='{}'>{}, …</code>", i, values)
        rows.append([html("<b>{}</b>", name), _status_cell(model, i), seen, model.held(i)])
    header = ["client", "status", f"server received (first {SHOWN_VALUES} of {model.updates[0].numel()})",
              "what the server rebuilt"]  # fmt: skip
    return table(rows, header, css="cl-numbers")


def summary_html(model: SecAggRoundModel) -> Markup:
    css = "cl-good" if model.result is not None else "cl-bad"
    return html(
        "<div class='cl-secagg-summary {}'>{}</div><div class='cl-gray'>t = {} of {} clients; masks are fresh "
        "in every round (round {})</div>",
        css,
        model.summary(),
        model.threshold,
        model.n,
        model.rounds,
    )


def plot_png(model: SecAggRoundModel) -> bytes:
    """Left: every masked update as a row of colours (noise). Right: the decoded result against plaintext (meaning)."""
    figure = new_figure(8.4, 2.7)
    noise, meaning = figure.subplots(1, 2, width_ratios=[1, 1.25])
    length = model.updates[0].numel()
    grid = torch.full((model.n, length), float("nan"))
    for i in range(model.n):
        masked = model.masked(i)
        if masked is not None:
            grid[i] = masked.double() / secagg.RING_MODULUS
    noise.imshow(grid.numpy(), aspect="auto", cmap="viridis", vmin=0, vmax=1, interpolation="nearest")
    for i in model.senders if model.result is None else ():
        noise.text(length / 2 - 0.5, i, "masked vector received, never unmasked", ha="center", va="center", fontsize=7)
    labels = [f"{name} ({'sent' if i in model.senders else 'dropped'})" for i, name in enumerate(model.names)]
    noise.set_yticks(range(model.n), labels, fontsize=8)
    noise.set_xlabel("element of the update", fontsize=8)
    noise.set_title("what the server receives: noise in [0, 2^32)", fontsize=9)
    noise.tick_params(labelsize=7)
    truth = model.meaning(model.plain_total) if model.senders else None
    positions = list(range(length - 1 if model.counted else length))
    if model.result is not None:
        decoded = model.meaning(model.result.total.double()).tolist()
        meaning.bar(positions, decoded, color=party_color(0), label="decoded from the masked inputs")
        meaning.plot(positions, truth.tolist(), "k_", markersize=7, label="plaintext, same clients")
        meaning.legend(fontsize=7, loc="best")
        title = "what it learns: the average update" if model.counted else "what it learns: the sum"
    else:
        meaning.text(0.5, 0.5, "round aborted:\nno secret rebuilt, no sum", ha="center", va="center",
                     fontsize=10, color=party_color(1), transform=meaning.transAxes)  # fmt: skip
        meaning.set_xticks([])
        meaning.set_yticks([])
        title = "what it learns: nothing"
    meaning.axhline(0, color="#999999", lw=0.6)
    meaning.set_title(title, fontsize=9)
    meaning.set_xlabel("element", fontsize=8)
    meaning.tick_params(labelsize=7)
    return figure_png(figure)


def secagg_round(
    updates: Sequence[torch.Tensor] | None = None,
    names: Sequence[str] | None = None,
    threshold: int | None = None,
    clip: float = secagg.DEFAULT_CLIP,
    counted: bool = False,
) -> widgets.VBox:
    """Build the round viewer: a status per client (sends / drops before / drops after masking), the threshold t,
    a "new masks" button; the table of what the server received, the noise and the meaning side by side."""
    if updates is None:  # a small public example: five clients, eight numbers each
        generator = torch.Generator().manual_seed(7)
        updates = [torch.randn(8, generator=generator, dtype=torch.float64) for _ in range(5)]
    model = SecAggRoundModel(updates, names, threshold, clip, counted)
    view = View(model)
    controls = []
    for i, name in enumerate(model.names):
        control = widgets.Dropdown(
            options=STATUSES,
            value=SENDS,
            description=name,
            style={"description_width": "initial"},
            layout={"width": f"{230 if model.n <= 4 else 200}px"},
        )
        view.bind(view.add(f"status{i}", control, "cl-secagg-client"), lambda status, i=i: model.set_status(i, status))
        controls.append(control)
    t = view.add("threshold", slider(model.threshold, 2, model.n, "threshold t", "260px"), "cl-secagg-threshold")
    view.bind(t, model.set_threshold)
    again = widgets.Button(description="new masks", tooltip="run the same round again with fresh keys and masks")
    view.bind(view.add("again", again, "cl-secagg-again"), model.run)
    rows = [controls[i : i + 4] for i in range(0, len(controls), 4)]
    return view.root(
        "cl-secagg-round",
        "<b>A secure aggregation round</b> — drop clients before or after masking and see what the server learns",
        [
            *rows,
            [t, again],
            view.html("table", table_html, "cl-secagg-table"),
            view.html("summary", summary_html),
            view.image("plot", plot_png, "cl-secagg-plot", width="840px"),
        ],
    )
