"""The party log (chapter 09): a finished distributed run, replayed step by step — who sent what to whom, and the
rounds ticking by.

Built from a run's message log (`distributed.run(..., log_messages=True)` → `RunResult.messages`), so what it shows is
fixed once the run is over: the same run gives the same view, whatever order the processes' messages happened to be
logged in (they are ordered by step, then by role, never by time). A slider (and a play button) moves through the
communication steps; one column per process shows what that process sent in each step (→) and received (←):

    alice, bob, dave, …   the parties, each in its own process
    carol                 the dealer process: carol the dealer (offline rows, no round), the data owner (inputs)
                          and "you" (reveals)

Under the log: the rounds, messages and bytes so far, and per phase of the party code (`ctx.phase`). A round is a
step in which the parties exchange data (an `open`, an input, a reveal); the dealer's deliveries are offline.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import ipywidgets as widgets

from course_lib.cost import human_bytes
from course_lib.widgets.render import Markup, html, join, party_class, table
from course_lib.widgets.view import View, slider

__all__ = ["PartyLogModel", "party_log", "LogEntry", "DEALER_ROLES", "WINDOW"]

DEALER_ROLES = {"data owner": "data owner", "you": "you"}  # names the dealer process also plays (besides the dealer)
WINDOW = 8  # steps shown at once: the current one and the ones just before it
_KINDS = ("input", "dealer", "open", "reveal")  # the order of a step's messages in the log
_KNOWN_PARTIES = ("alice", "bob", "dave")


@dataclass(frozen=True)
class LogEntry:
    """One data message, as the log shows it (the timestamp left out: it differs from run to run)."""

    step: int
    kind: str
    sender: str
    receiver: str
    label: str
    shape: tuple[int, ...]
    nbytes: int


def _entries(messages) -> list[LogEntry]:
    if messages is not None and hasattr(messages, "messages") and not isinstance(messages, (list, tuple)):
        messages = messages.messages  # a RunResult
    if messages is None:
        raise ValueError("this run kept no message log: run it with distributed.run(..., log_messages=True)")
    entries = []
    for m in messages:
        try:
            label = "—" if m.label is None else str(m.label)
            entries.append(
                LogEntry(int(m.step), str(m.kind), str(m.sender), str(m.receiver), label, tuple(m.shape), int(m.nbytes))
            )
        except (AttributeError, TypeError, ValueError) as error:
            raise TypeError(f"expected the messages of a run (RunResult.messages), got {type(m).__name__}") from error
    if not entries:
        raise ValueError("the message log is empty: nothing was sent")
    return entries


class PartyLogModel:
    """A run's message log, ordered by step, and a position in it (`position`: 1 … number of steps)."""

    def __init__(self, messages, dealer: str = "carol", parties: tuple[str, ...] | None = None, window: int = WINDOW):
        entries = _entries(messages)
        self.dealer = dealer
        roles = {dealer, *DEALER_ROLES}
        names = {e.sender for e in entries} | {e.receiver for e in entries}
        found = sorted(names - roles, key=lambda n: (_KNOWN_PARTIES.index(n) if n in _KNOWN_PARTIES else 99, n))
        self.parties = tuple(parties) if parties is not None else tuple(found)
        unknown = set(found) - set(self.parties)
        if unknown:
            raise ValueError(f"the log names parties {sorted(unknown)} that are not among {self.parties}")
        self.processes = (*self.parties, dealer)
        order = {name: i for i, name in enumerate(self.processes)}
        order.update({role: len(self.parties) for role in DEALER_ROLES})

        def key(e: LogEntry):
            kind = _KINDS.index(e.kind) if e.kind in _KINDS else len(_KINDS)
            return (e.step, kind, order.get(e.sender, 99), e.sender, order.get(e.receiver, 99), e.receiver, e.shape)

        self.entries = sorted(entries, key=key)
        self.by_step: dict[int, list[LogEntry]] = defaultdict(list)
        for e in self.entries:
            self.by_step[e.step].append(e)
        self.steps = sorted(self.by_step)
        self.window = window
        self.position = 1

    # ----- moving through the run ----------------------------------------------------------------------------------
    @property
    def n_steps(self) -> int:
        return len(self.steps)

    def set_position(self, position: int) -> None:
        """Show the run up to its `position`-th step (1 … n_steps)."""
        if isinstance(position, bool) or not isinstance(position, int) or not 1 <= position <= self.n_steps:
            raise ValueError(f"position must be a step number from 1 to {self.n_steps}, got {position!r}")
        self.position = position

    @property
    def step(self) -> int:
        """The step number (as the runtime numbered it) at the current position."""
        return self.steps[self.position - 1]

    def online(self, step: int) -> bool:
        """A round: the step moved data among the parties (or to or from the dealer process's data owner and you)."""
        return any(e.kind != "dealer" for e in self.by_step[step])

    def phase(self, step: int) -> str:
        return self.by_step[step][0].label

    @property
    def phases(self) -> list[str]:
        """The phases of the party code, in the order they first appear."""
        return list(dict.fromkeys(self.phase(s) for s in self.steps))

    def first_position(self, phase: str) -> int:
        """The position of the first step of `phase`."""
        for position, step in enumerate(self.steps, start=1):
            if self.phase(step) == phase:
                return position
        raise ValueError(f"no step of this run is in the phase {phase!r}; phases: {', '.join(self.phases)}")

    # ----- counts --------------------------------------------------------------------------------------------------
    def totals(self, upto: int | None = None, phase: str | None = None) -> dict[str, int]:
        """Rounds, messages and bytes between the parties, and the dealer's messages and bytes, over the first `upto`
        positions (all by default), in `phase` only if given."""
        steps = self.steps[: self.n_steps if upto is None else upto]
        if phase is not None:
            steps = [s for s in steps if self.phase(s) == phase]
        online = [e for s in steps for e in self.by_step[s] if e.kind != "dealer"]
        dealt = [e for s in steps for e in self.by_step[s] if e.kind == "dealer"]
        return {
            "rounds": sum(1 for s in steps if self.online(s)),
            "messages": len(online),
            "bytes": sum(e.nbytes for e in online),
            "dealer_messages": len(dealt),
            "dealer_bytes": sum(e.nbytes for e in dealt),
        }

    @property
    def rounds_so_far(self) -> int:
        return self.totals(self.position)["rounds"]

    # ----- what one process did in one step ------------------------------------------------------------------------
    def _process_of(self, name: str) -> str:
        return self.dealer if name in DEALER_ROLES or name == self.dealer else name

    def sent(self, process: str, step: int) -> list[tuple[str, str, list[LogEntry]]]:
        """What `process` sent in `step`: (the role it sent as, the receiver, the messages), in log order."""
        groups: dict[tuple[str, str], list[LogEntry]] = {}
        for e in self.by_step[step]:
            if self._process_of(e.sender) == process:
                groups.setdefault((e.sender, e.receiver), []).append(e)
        return [(sender, receiver, group) for (sender, receiver), group in groups.items()]

    def received(self, process: str, step: int) -> list[tuple[str, int]]:
        """Who sent `process` what in `step`: (sender, bytes), in log order."""
        totals: dict[str, int] = {}
        for e in self.by_step[step]:
            if self._process_of(e.receiver) == process:
                totals[e.sender] = totals.get(e.sender, 0) + e.nbytes
        return list(totals.items())

    def shown_steps(self) -> list[int]:
        """The steps in the log window: the current one and up to `window - 1` before it."""
        return self.steps[max(0, self.position - self.window) : self.position]


# ----- drawing -------------------------------------------------------------------------------------------------------
def _shapes(group: list[LogEntry]) -> str:
    counts: dict[tuple[int, ...], int] = {}
    for e in group:
        counts[e.shape] = counts.get(e.shape, 0) + 1
    return " + ".join(f"{n}×{shape}" if n > 1 else f"{shape}" for shape, n in counts.items())


def cell_html(model: PartyLogModel, process: str, step: int) -> Markup:
    """What one process did in one step: → what it sent (to whom, the tensors' shapes, bytes), ← what it received."""
    lines = []
    for sender, receiver, group in model.sent(process, step):
        role = f"as {sender} " if sender != process else ""
        lines.append(
            html(
                "<div>{}→ <b>{}</b> {} <span class='cl-gray'>{}</span></div>",
                role,
                receiver,
                _shapes(group),
                human_bytes(sum(e.nbytes for e in group)),
            )
        )
    for sender, nbytes in model.received(process, step):
        lines.append(html("<div class='cl-gray'>← {} {}</div>", sender, human_bytes(nbytes)))
    return join(lines) if lines else html("<span class='cl-dim'>·</span>")


def log_html(model: PartyLogModel) -> Markup:
    """The log window: one row per step (the current one last, in bold), one column per process."""
    roles = {model.dealer: " (dealer · data owner · you)"}  # the dealer process plays three roles
    heads = [
        (html("{}{}", name, roles.get(name, "")), party_class(i, "head")) for i, name in enumerate(model.processes)
    ]
    rows = []
    for step in model.shown_steps():
        what = "round" if model.online(step) else "offline"
        kinds = "/".join(dict.fromkeys(e.kind for e in model.by_step[step]))
        css = "cl-now" if step == model.step else None
        rows.append(
            [
                (html("{}", step), css),
                (html("{} <span class='cl-gray'>({})</span>", kinds, what), css),
                (html("{}", model.phase(step)), css),
                *((cell_html(model, p, step), party_class(i)) for i, p in enumerate(model.processes)),
            ]
        )
    earlier = model.position - len(rows)
    note = html("<div class='cl-gray'>… {} earlier steps above</div>", earlier) if earlier else html("")
    return note + table(rows, ["step", "kind", "phase", *heads], css="cl-numbers cl-party-log-table")


def status_html(model: PartyLogModel) -> Markup:
    so_far, total = model.totals(model.position), model.totals()
    step = model.step
    what = "a round" if model.online(step) else "offline (the dealer's rows: no round)"
    return html(
        "<div>step <b>{}</b> of {} · phase <b>{}</b> · {}</div>"
        "<div>so far: <b class='cl-rounds'>{}</b> of {} rounds · {} messages, {} between parties · "
        "{} from the dealer</div>",
        model.position,
        model.n_steps,
        model.phase(step),
        what,
        so_far["rounds"],
        total["rounds"],
        so_far["messages"],
        human_bytes(so_far["bytes"]),
        human_bytes(so_far["dealer_bytes"]),
    )


def phases_html(model: PartyLogModel) -> Markup:
    """Per phase: rounds so far / in all, and the bytes between parties and from the dealer (in all)."""
    current = model.phase(model.step)
    rows = []
    for phase in model.phases:
        done, total = model.totals(model.position, phase), model.totals(phase=phase)
        css = "cl-now" if phase == current else ("cl-dim" if done["rounds"] == 0 and done["messages"] == 0 else None)
        rows.append(
            [
                (phase, css),
                (f"{done['rounds']} / {total['rounds']}", css),
                (human_bytes(total["bytes"]), css),
                (human_bytes(total["dealer_bytes"]), css),
            ]
        )
    return table(rows, ["phase", "rounds so far / in all", "between parties", "from the dealer"], css="cl-numbers")


def party_log(messages, dealer: str = "carol", window: int = WINDOW, position: int = 1) -> widgets.VBox:
    """Build the party log from a finished run (a RunResult from `run(..., log_messages=True)`, or its `.messages`):
    a play button and a slider over the steps, the log of the last `window` steps, the counts so far, per phase."""
    model = PartyLogModel(messages, dealer=dealer, window=window)
    model.set_position(position)
    view = View(model)
    step = view.add("step", slider(model.position, 1, model.n_steps, "step", "520px"), "cl-party-log-step")
    play = view.add("play", widgets.Play(value=model.position, min=1, max=model.n_steps, step=1, interval=350))
    widgets.jslink((play, "value"), (step, "value"))
    view.bind(step, model.set_position)
    jump = widgets.Dropdown(
        options=[(phase, model.first_position(phase)) for phase in model.phases],
        value=None,
        description="jump to",
        layout=widgets.Layout(width="260px"),
    )
    view.add("jump", jump, "cl-party-log-jump")

    def jump_to(position) -> None:
        if position is not None:
            step.value = position  # moves the model through the slider's own binding

    jump.observe(lambda change: jump_to(change["new"]), names="value")
    return view.root(
        "cl-party-log",
        "<b>Party log</b> — a finished run replayed step by step: who sent what to whom, and the rounds so far",
        [
            [play, step, jump],
            view.html("status", status_html, "cl-party-log-status"),
            view.html("log", log_html, "cl-party-log-window", width="980px"),
            view.html("phases", phases_html, "cl-party-log-phases"),
        ],
    )
