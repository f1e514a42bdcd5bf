"""Checks for chapter 01 (secret sharing mod Q). Solutions: notebooks/solutions/01_secret_sharing.py.

Nothing here needs Q to be prime (it is not: 501337 = 43 · 89 · 131): additive sharing only adds and subtracts.
"""

from __future__ import annotations

from course_lib import sharing
from course_lib.exercises import Case, CheckResult, Hint, case_rng, clip, run_check, same_int
from course_lib.sharing import Q

__all__ = ["check_reconstruct", "check_make_shares", "check_subtract", "check_decode_message", "EXERCISES"]

RECONSTRUCT = Hint(
    "reconstruct",
    nudge="the shares were made so that together they give back the secret — on a clock with Q hours",
    more="add all the shares with sum(), then reduce mod Q (Python's %), so the answer lies in [0, Q)",
)
MAKE_SHARES = Hint(
    "make_shares",
    nudge="all shares but one are pure chance; the last one is whatever makes the total come out to the secret",
    more="draw n_parties - 1 shares with secrets.randbelow(Q); the last is the secret minus their sum, reduced mod Q",
)
SUBTRACT = Hint(
    "subtract",
    nudge="like add: every party works on the two shares it holds, and nobody decrypts anything",
    more="party i's new share is x_i - y_i, reduced mod Q so that it lies in [0, Q); return them as a list",
)
DECODE_MESSAGE = Hint(
    "decode_message",
    nudge="each triple hides one character's code: decrypt it, then turn the number into a character",
    more="decrypt a triple = add its three shares mod Q; chr() turns the code into a character; ''.join(...) glues",
)


def _random_shares(rng, secret: int, n_parties: int) -> tuple[int, ...]:
    others = [rng.randrange(Q) for _ in range(n_parties - 1)]
    return (*others, (secret - sum(others)) % Q)


def _shares_problem(got, n_parties: int, what: str = "a tuple") -> str | None:
    """What is wrong with `got` as n shares mod Q, whatever they stand for, or None."""
    if not isinstance(got, (tuple, list)):
        return f"returned {type(got).__name__} {clip(repr(got), 30)}, expected {what} of {n_parties} shares"
    if len(got) != n_parties:
        return f"returned {len(got)} shares, expected {n_parties}: one for each party"
    for index, share in enumerate(got):
        if not same_int(share, share):
            return f"share {index} is {type(share).__name__} {clip(repr(share), 30)}: every share is an int"
        if not 0 <= share < Q:
            side = "negative" if share < 0 else "Q or more"
            return f"share {index} is {share}, {side}: reduce every share mod Q so that it lies in [0, Q)"
    return None


# ----- reconstruct -------------------------------------------------------------------------------------------------
def check_reconstruct(reconstruct) -> CheckResult:
    """`reconstruct(shares)` must return the secret that a tuple of 2 to 5 shares adds up to, mod Q."""
    rng = case_rng("reconstruct")
    cases = []
    for secret in [0, 1, Q - 1, *[rng.randrange(Q) for _ in range(17)]]:
        shares = _random_shares(rng, secret, rng.randint(2, 5))
        cases.append(Case((shares,), f"shares={shares}", secret))

    def problem(got, case: Case) -> str | None:
        (shares,) = case.args
        if not same_int(got, got):
            return f"returned {type(got).__name__} {clip(repr(got), 30)}, expected a whole number (an int)"
        if got == case.expected:
            return None
        if got == sum(shares):
            return f"got {got}, the plain sum: the shares add up to the secret only mod Q — reduce it"
        if len(shares) > 2 and got in (sum(shares[:2]) % Q, sum(shares[:-1]) % Q):
            return f"got {got}: that leaves out a share — the secret needs all {len(shares)} of them"
        return f"got {got}, expected the secret {case.expected}"

    return run_check(reconstruct, cases, RECONSTRUCT, problem=problem)


# ----- make_shares -------------------------------------------------------------------------------------------------
_FRESHNESS_DRAWS = 30  # sharings of 42 among 3 parties, compared once every other case has passed


def check_make_shares(make_shares) -> CheckResult:
    """`make_shares(secret, n_parties)` must return fresh, uniformly random shares that rebuild the secret."""
    rng = case_rng("make_shares")
    inputs = [(0, 2), (Q - 1, 3), (42, 3), (7, 5)] + [(rng.randrange(Q), rng.randint(2, 5)) for _ in range(16)]
    cases = [Case((s, n), f"secret={s}, n_parties={n}") for s, n in inputs]
    cases += [Case((42, 3), f"secret=42, n_parties=3 (sharing {k + 2} of 42)", "draw") for k in range(_FRESHNESS_DRAWS)]

    def problem(got, case: Case) -> str | None:
        secret, n_parties = case.args
        wrong = _shares_problem(got, n_parties)
        if wrong:
            return wrong
        if sum(got) % Q != secret:
            return f"the shares {clip(repr(tuple(got)), 40)} add up to {sum(got) % Q} mod Q, not to the secret {secret}"
        return None

    def after(answers) -> str | None:
        draws = [tuple(got) for case, got in answers if case.expected == "draw"]
        if len(set(draws)) < len(draws):
            return f"sharing 42 {len(draws)} times gave repeated shares: draw them at random, afresh on each call"
        for party in range(3):
            if sum(d[party] == 42 for d in draws) > 2:
                return f"share {party} often equals the secret 42 itself: every share but one must be random"
        near_zero = sum(min(share, Q - share) < Q // 100 for d in draws for share in d)  # uniform: 2% of them
        if near_zero > len(draws) * 3 // 2:
            return (
                f"in {len(draws)} sharings of 42, {near_zero} of the {3 * len(draws)} shares lie within Q/100 of 0: "
                "draw the random shares from the whole range [0, Q)"
            )
        return None

    note = " — fresh random shares on every call"
    return run_check(make_shares, cases, MAKE_SHARES, problem=problem, after=after, note=note)


# ----- subtract ----------------------------------------------------------------------------------------------------
def check_subtract(subtract) -> CheckResult:
    """`subtract(x, y)` must return shares of x - y mod Q, computed share by share (no reconstruction)."""
    rng = case_rng("subtract")
    cases = []
    for _ in range(20):
        n = rng.randint(2, 4)
        a, b = rng.randrange(Q), rng.randrange(Q)
        x, y = _random_shares(rng, a, n), _random_shares(rng, b, n)
        cases.append(Case((x, y), f"x={x} (secret {a}), y={y} (secret {b})", (a - b) % Q))

    def problem(got, case: Case) -> str | None:
        x, y = case.args
        share_by_share = [(xi - yi) % Q for xi, yi in zip(x, y, strict=True)]
        if isinstance(got, (tuple, list)) and list(got) == share_by_share:
            return None
        if isinstance(got, (tuple, list)) and list(got) == [xi - yi for xi, yi in zip(x, y, strict=True)]:
            return "some shares are negative: reduce every x_i - y_i mod Q so that it lies in [0, Q)"
        wrong = _shares_problem(got, len(x), what="a list")
        if wrong:
            return wrong
        if list(got) == [(xi + yi) % Q for xi, yi in zip(x, y, strict=True)]:
            return "those are the shares of x + y: subtract y's share from x's"
        if list(got) == [(yi - xi) % Q for xi, yi in zip(x, y, strict=True)]:
            return "those are the shares of y - x: each party computes x_i - y_i, in that order"
        if sum(got) % Q == case.expected:
            return (
                "the shares add up to x - y, but they are not the share-by-share differences: party i may use only "
                "its own two shares x_i and y_i (nobody decrypts x or y)"
            )
        return f"the shares add up to {sum(got) % Q}, not to x - y = {case.expected} mod Q"

    return run_check(subtract, cases, SUBTRACT, problem=problem)


# ----- decode_message ----------------------------------------------------------------------------------------------
def check_decode_message(decode_message) -> CheckResult:
    """`decode_message(triples)` must decrypt each triple to a character code and join the characters."""
    rng = case_rng("decode_message")
    from course_lib.datasets import article_message_shares

    article = article_message_shares()
    texts = ["hi", "secret sharing", "Q = 501337", "".join(chr(rng.randint(32, 126)) for _ in range(12))]
    cases = [Case((article,), "the article's 16 triples", "".join(chr(sharing.decrypt(*t)) for t in article))]
    for text in texts:
        triples = [_random_shares(rng, ord(ch), 3) for ch in text]
        cases.append(Case((triples,), f"the triples of {text!r}", text))

    def problem(got, case: Case) -> str | None:
        (triples,) = case.args
        if got == case.expected:
            return None
        codes = [sum(t) % Q for t in triples]
        if isinstance(got, (list, tuple)) and list(got) == codes:
            return "returned the character codes: turn each number into a character with chr(), then join them"
        if isinstance(got, (list, tuple)) and list(got) == list(case.expected):
            return "returned a list of characters: join them into one string"
        if not isinstance(got, str):
            return f"returned {type(got).__name__} {clip(repr(got), 30)}, expected a str"
        if all(sum(t) < 0x110000 for t in triples) and got == "".join(chr(sum(t)) for t in triples):
            return "the characters are wrong: decrypting adds the shares mod Q, not just adds them"
        return f"got {clip(repr(got), 30)}, expected {case.expected!r}"

    return run_check(decode_message, cases, DECODE_MESSAGE, problem=problem)


EXERCISES = {
    "reconstruct": check_reconstruct,
    "make_shares": check_make_shares,
    "subtract": check_subtract,
    "decode_message": check_decode_message,
}
