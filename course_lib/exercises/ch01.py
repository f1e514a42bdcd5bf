"""Checks for chapter 01 (secret sharing mod Q). Solutions: notebooks/solutions/01_secret_sharing.py."""

from __future__ import annotations

from course_lib import sharing
from course_lib.exercises import Case, CheckResult, case_rng, run_check, same_int
from course_lib.sharing import Q

__all__ = ["check_reconstruct", "check_make_shares", "check_subtract", "check_decode_message", "EXERCISES"]


def _random_shares(rng, secret: int, n_parties: int) -> tuple[int, ...]:
    others = [rng.randrange(Q) for _ in range(n_parties - 1)]
    return (*others, (secret - sum(others)) % Q)


def check_reconstruct(reconstruct) -> CheckResult:
    """`reconstruct(shares)` must return the secret that a tuple of 2 to 5 shares adds up to, mod Q."""
    rng = case_rng("reconstruct")
    cases = []
    for secret in [0, 1, Q - 1, *[rng.randrange(Q) for _ in range(17)]]:
        shares = _random_shares(rng, secret, rng.randint(2, 5))
        cases.append(Case((shares,), f"shares={shares}", secret))
    return run_check(reconstruct, cases, hint="add all the shares, then reduce the sum mod Q", compare=same_int)


def _share_problem(shares, secret: int, n_parties: int) -> str | None:
    """What is wrong with `shares` as a sharing of `secret` among `n_parties`, or None."""
    if not isinstance(shares, (tuple, list)):
        return f"returned {type(shares).__name__}, expected a tuple of {n_parties} shares"
    if len(shares) != n_parties:
        return f"returned {len(shares)} shares, expected {n_parties}"
    if not all(same_int(s, s) and 0 <= s < Q for s in shares):
        return f"shares {tuple(shares)} are not all integers in [0, Q)"
    if sum(shares) % Q != secret:
        return f"shares {tuple(shares)} add up to {sum(shares) % Q}, not {secret}"
    return None


def check_make_shares(make_shares) -> CheckResult:
    """`make_shares(secret, n_parties)` must return fresh random shares that rebuild the secret."""
    if not callable(make_shares):
        return run_check(make_shares, [], hint="")
    rng = case_rng("make_shares")
    cases = [(secret, n) for secret, n in [(0, 2), (Q - 1, 3), (42, 3), (7, 5)]]
    cases += [(rng.randrange(Q), rng.randint(2, 5)) for _ in range(16)]
    hint = "draw n_parties - 1 shares with secrets.randbelow(Q); the last one is (secret - their sum) % Q"

    def valid(shares, expected) -> bool:
        return _share_problem(shares, *expected) is None

    result = run_check(
        make_shares, [Case((s, n), f"secret={s}, n_parties={n}", (s, n)) for s, n in cases], hint=hint, compare=valid
    )
    if not result.passed:
        return result
    # Shares must be random: the same secret shared twice must give different shares, and no single share may
    # carry the secret itself (e.g. returning (secret, 0, 0) adds up correctly but hides nothing).
    draws = [tuple(make_shares(42, 3)) for _ in range(30)]
    if len(set(draws)) < 30:
        return CheckResult(
            "failed", "✗ sharing 42 thirty times gave repeated shares: draw them at random, afresh on each call"
        )
    for party in range(3):
        if sum(d[party] == 42 for d in draws) > 2:
            return CheckResult(
                "failed", f"✗ share {party} often equals the secret 42 itself: every share but one must be random"
            )
    return CheckResult("passed", f"✓ {len(cases) + 1}/{len(cases) + 1} cases")


def check_subtract(subtract) -> CheckResult:
    """`subtract(x, y)` must return shares of x - y mod Q, computed share by share (no reconstruction)."""
    rng = case_rng("subtract")
    cases = []
    for _ in range(20):
        n = rng.randint(2, 4)
        a, b = rng.randrange(Q), rng.randrange(Q)
        x, y = _random_shares(rng, a, n), _random_shares(rng, b, n)
        expected = [(xi - yi) % Q for xi, yi in zip(x, y, strict=True)]
        cases.append(Case((x, y), f"x={x} (secret {a}), y={y} (secret {b})", expected))

    def same_shares(got, expected) -> bool:
        return isinstance(got, (list, tuple)) and len(got) == len(expected) and all(map(same_int, got, expected))

    hint = "each party subtracts its own two shares, then reduces mod Q"
    return run_check(subtract, cases, hint=hint, compare=same_shares)


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
    hint = "decrypt every triple, then turn each number into a character with chr()"
    return run_check(decode_message, cases, hint=hint)


EXERCISES = {
    "reconstruct": check_reconstruct,
    "make_shares": check_make_shares,
    "subtract": check_subtract,
    "decode_message": check_decode_message,
}
