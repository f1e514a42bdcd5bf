"""Checks for chapter 09 (real parties, one process each). Solutions: notebooks/solutions/09_real_parties.py.

No check starts a process: the message logs a check hands out are built here, in the form `distributed.run(...,
log_messages=True)` returns them (`course_lib.distributed.Message`), from the check's own seeded generator, and in
the order a real log has — by time, not by step: the dealer's rows for a step are often logged after the next step's
opening. The oracles are the library's own: `RunResult.cost_by_phase`'s rule for rounds (the distinct online steps)
and `course_lib.distributed.network.network_seconds`. Failure messages name the usual wrong turns: counting messages
instead of steps, counting the dealer's offline rows, bytes taken for bits, half a round trip per round.
"""

from __future__ import annotations

import math
import numbers

from course_lib.distributed.network import network_seconds as _network_seconds
from course_lib.distributed.wire import Message
from course_lib.exercises import Case, CheckResult, Hint, case_rng, clip, run_check, same_int

__all__ = ["check_rounds_and_bytes", "check_network_seconds", "EXERCISES"]

ROUNDS_AND_BYTES = Hint(
    "rounds_and_bytes",
    nudge="a round is one step in which data moves between the processes, however many messages that step carries; "
    "the dealer's deliveries are prepared ahead and cost no round — count the distinct steps of everything else, "
    "and add up the sizes of those same messages",
    more="keep the messages whose m.kind is not 'dealer'; rounds = len({m.step for m in kept}); bytes = "
    "sum(m.nbytes for m in kept); return (rounds, bytes). The log is ordered by time, not by step, so do not rely on "
    "its order",
)
NETWORK_SECONDS = Hint(
    "network_seconds",
    nudge="every round costs one full round trip, and on top of that the bytes must squeeze through the link — whose "
    "speed is counted in bits per second, not in bytes: add the two times",
    more="rounds * rtt + 8 * nbytes / bandwidth (a byte is 8 bits; rtt is already in seconds)",
)

PARTIES = ("alice", "bob", "dave")


# ----- rounds_and_bytes ----------------------------------------------------------------------------------------------
def _log(rng, n_parties: int, plan: list[tuple[str, tuple[int, ...], int]], first: int = 1) -> list[Message]:
    """A message log like a real run's (or one phase of it: its steps numbered from `first`): `plan` is the steps in
    order, each (kind, shape, values per message), the messages as each kind sends them; then ordered by time, with
    each dealer step logged after the step that follows it (the dealer process logs its rows once sent; the parties
    have moved on)."""
    parties = PARTIES[:n_parties]
    messages = []
    clock = 0.0
    for step, (kind, shape, values) in enumerate(plan, start=first):
        numel = math.prod(shape)
        clock += 1.0
        sends: list[tuple[str, str]]
        if kind == "open":
            sends = [(p, q) for p in parties for q in parties if p != q for _ in range(values)]
        elif kind == "input":
            sends = [("data owner", p) for p in parties]
        elif kind == "reveal":
            sends = [(p, "you") for p in parties]
        else:  # the dealer's rows: `values` tensors to each party
            sends = [("carol", p) for p in parties for _ in range(values)]
        when = clock + (1.5 if kind == "dealer" else 0.0) + rng.random() * 0.1
        for sender, receiver in sends:
            messages.append(Message(when, sender, receiver, kind, step, "case", shape, numel * 8))
    return sorted(messages, key=lambda m: (m.time, m.sender, m.receiver))


def _plan(rng, steps: int) -> list[tuple[str, tuple[int, ...], int]]:
    plan = [("input", (rng.randint(1, 4), 3), 1), ("input", (3, rng.randint(1, 4)), 1)]
    for _ in range(steps):
        kind = rng.choice(("open", "open", "dealer", "reveal", "open", "dealer"))
        values = rng.randint(2, 3) if kind in ("open", "dealer") else 1
        plan.append((kind, (rng.randint(1, 5), rng.randint(1, 4)), values))
    return plan


def _rounds_cases() -> list[Case]:
    rng = case_rng("rounds_and_bytes")
    product = [
        ("input", (2, 3), 1),
        ("input", (2, 3), 1),
        ("dealer", (2, 3), 3),
        ("open", (2, 3), 2),
        ("reveal", (2, 3), 1),
    ]
    specs = [  # (label, parties, plan, number of the first step)
        ("one phase of a run, steps 6 to 16, 2 parties", 2, _plan(rng, 9), 6),
        ("a product, 2 parties", 2, product, 1),
        ("a product, 3 parties", 3, product, 1),
        ("one phase of a run, steps 31 to 46, 3 parties", 3, _plan(rng, 14), 31),
        ("a run of 22 steps, 2 parties", 2, _plan(rng, 20), 1),
    ]
    cases = []
    for label, n_parties, plan, first in specs:
        log = _log(rng, n_parties, plan, first)
        online = [m for m in log if m.kind != "dealer"]
        expected = (len({m.step for m in online}), sum(m.nbytes for m in online))
        cases.append(Case((log,), f"{label} ({len(log)} messages)", (expected, log)))
    return cases


def _rounds_problem(got, case: Case) -> str | None:
    (rounds, nbytes), log = case.expected
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        what = f"a {type(got).__name__} of {len(got)}" if isinstance(got, (tuple, list)) else type(got).__name__
        return f"returned {what}, expected a pair (rounds, bytes)"
    got_rounds, got_bytes = got
    if not (same_int(got_rounds, got_rounds) and same_int(got_bytes, got_bytes)):
        return f"returned ({clip(repr(got_rounds), 20)}, {clip(repr(got_bytes), 20)}), expected two whole numbers"
    if (got_rounds, got_bytes) == (nbytes, rounds) and rounds != nbytes:
        return "returned (bytes, rounds): the pair is (rounds, bytes)"
    online = [m for m in log if m.kind != "dealer"]
    if got_rounds != rounds:
        if got_rounds == len(online) or got_rounds == len(log):
            return f"got {got_rounds} rounds: that counts messages — a round is one step, however many messages it has"
        every_step = len({m.step for m in log})
        if got_rounds == max(m.step for m in log) and got_rounds != every_step:
            return f"got {got_rounds} rounds: that is the last step's number — count the steps the log holds"
        if got_rounds == every_step:
            return f"got {got_rounds} rounds: the dealer's steps (kind 'dealer') are offline, prepared ahead: no round"
        return f"got {got_rounds} rounds, expected {rounds}"
    if got_bytes != nbytes:
        if got_bytes == sum(m.nbytes for m in log):
            return "the bytes include the dealer's rows: count only what moves in the rounds (kind not 'dealer')"
        if got_bytes == sum(math.prod(m.shape) for m in online):
            return "that counts values, not bytes: each message's size in bytes is its nbytes (8 bytes a value)"
        return f"got {got_bytes} bytes, expected {nbytes}"
    return None


def check_rounds_and_bytes(rounds_and_bytes) -> CheckResult:
    """`rounds_and_bytes(messages)` must return (rounds, bytes) of a run's message log, as the runtime counts them:
    rounds = the distinct steps with data between the processes, bytes = their messages' sizes (no dealer rows)."""
    return run_check(
        rounds_and_bytes,
        _rounds_cases(),
        ROUNDS_AND_BYTES,
        problem=_rounds_problem,
        note=" — the same count as the runtime's, from the log alone",
    )


# ----- network_seconds -----------------------------------------------------------------------------------------------
_NETWORK_CASES = [
    # (rounds, nbytes, rtt in seconds, bandwidth in bits per second): chapter 09's settings and a few more
    (8, 1_920, 0.05, 100e6),  # a comparison over a slow network: rounds dominate
    (1, 10_485_760, 0.001, 1e9),  # chapter 05's big matmul over a LAN: bytes dominate
    (404, 3_774_880, 0.02, 50e6),
    (3, 0, 0.25, 1e6),  # nothing to send
    (0, 1_000_000, 0.05, 8e6),  # no round at all
    (17, 123_456, 0.0004, 2.5e9),
]


def _network_cases() -> list[Case]:
    cases = []
    for rounds, nbytes, rtt, bandwidth in _NETWORK_CASES:
        label = f"rounds={rounds}, nbytes={nbytes}, rtt={rtt:g} s, bandwidth={bandwidth:g} bit/s"
        cases.append(Case((rounds, nbytes, rtt, bandwidth), label, _network_seconds(rounds, nbytes, rtt, bandwidth)))
    return cases


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _network_problem(got, case: Case) -> str | None:
    if isinstance(got, bool) or not isinstance(got, numbers.Real):
        return f"returned {type(got).__name__}, expected a number of seconds"
    got = float(got)
    if _close(got, case.expected):
        return None
    rounds, nbytes, rtt, bandwidth = case.args
    latency, transfer = rounds * rtt, 8 * nbytes / bandwidth
    known = [
        (
            latency + nbytes / bandwidth,
            "the bandwidth counts bits per second and nbytes counts bytes: a byte is 8 bits",
        ),
        (latency + nbytes / (8 * bandwidth), "divided by 8: bytes become bits by multiplying by 8, not dividing"),
        (latency / 2 + transfer, "half a round trip per round: with gloo a round costs a whole round trip, rtt"),
        (latency, "left out the time the bytes need to go through the link"),
        (transfer, "left out the rounds: each one costs a round trip"),
        (1000 * case.expected, "that is in milliseconds: return seconds"),
        (latency * transfer, "multiplied the two parts: the network spends them one after the other, add them"),
    ]
    for value, words in known:
        if _close(got, value) and not _close(value, case.expected):
            return words
    return f"got {got:.6g} s, expected {case.expected:.6g} s"


def check_network_seconds(network_seconds) -> CheckResult:
    """`network_seconds(rounds, nbytes, rtt, bandwidth)` must return rounds × rtt + 8 × nbytes / bandwidth seconds."""
    return run_check(
        network_seconds,
        _network_cases(),
        NETWORK_SECONDS,
        problem=_network_problem,
        note=" — the same model as course_lib.distributed.network",
    )


EXERCISES = {"rounds_and_bytes": check_rounds_and_bytes, "network_seconds": check_network_seconds}
