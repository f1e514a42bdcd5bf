"""Chapter 09's rows for tests/test_checks_teach.py: what each nudge must not say, and the classic mistakes."""

import math

NUDGE_MUST_NOT_SAY = {
    "rounds_and_bytes": ["len", "set", "step for", "nbytes", "kind", "!="],
    "network_seconds": ["* rtt", "8 *", "/ bandwidth", "rounds *", "nbytes"],
}


def _online(messages):
    return [m for m in messages if m.kind != "dealer"]


CLASSIC_MISTAKES = [
    (
        "rounds_and_bytes",
        lambda ms: (len(_online(ms)), sum(m.nbytes for m in _online(ms))),
        "that counts messages — a round is one step",
    ),
    (
        "rounds_and_bytes",
        lambda ms: (len({m.step for m in ms}), sum(m.nbytes for m in _online(ms))),
        "the dealer's steps (kind 'dealer') are offline",
    ),
    (
        "rounds_and_bytes",
        lambda ms: (max(m.step for m in ms), sum(m.nbytes for m in _online(ms))),
        "that is the last step's number",
    ),
    (
        "rounds_and_bytes",
        lambda ms: (len({m.step for m in _online(ms)}), sum(m.nbytes for m in ms)),
        "the bytes include the dealer's rows",
    ),
    (
        "rounds_and_bytes",
        lambda ms: (len({m.step for m in _online(ms)}), sum(math.prod(m.shape) for m in _online(ms))),
        "that counts values, not bytes",
    ),
    (
        "rounds_and_bytes",
        lambda ms: (sum(m.nbytes for m in _online(ms)), len({m.step for m in _online(ms)})),
        "returned (bytes, rounds)",
    ),
    (
        "rounds_and_bytes",
        lambda ms: {"rounds": len({m.step for m in _online(ms)})},
        "expected a pair (rounds, bytes)",
    ),
    ("network_seconds", lambda r, b, rtt, bw: r * rtt + b / bw, "a byte is 8 bits"),
    ("network_seconds", lambda r, b, rtt, bw: r * rtt + b / (8 * bw), "not dividing"),
    ("network_seconds", lambda r, b, rtt, bw: r * rtt / 2 + 8 * b / bw, "a round costs a whole round trip"),
    ("network_seconds", lambda r, b, rtt, bw: r * rtt, "left out the time the bytes need"),
    ("network_seconds", lambda r, b, rtt, bw: 8 * b / bw, "left out the rounds"),
    ("network_seconds", lambda r, b, rtt, bw: 1000 * (r * rtt + 8 * b / bw), "milliseconds"),
    ("network_seconds", lambda r, b, rtt, bw: "fast", "expected a number of seconds"),
]
