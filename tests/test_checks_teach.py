"""Checks that teach: the stub gets a nudge (never the code), each classic mistake its own reason, a failed attempt
the fuller hint, and whatever the learner's function does — raise, return nonsense — a verdict, never a traceback."""

import importlib
import importlib.util
import itertools
import pkgutil
import secrets
from pathlib import Path

import pytest
import torch

import course_lib as cl
from course_lib.exercises import CheckResult, hint
from course_lib.sharing import Q

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = [
    importlib.import_module(f"course_lib.exercises.{info.name}")
    for info in pkgutil.iter_modules(importlib.import_module("course_lib.exercises").__path__)
    if info.name.startswith("ch")
]
CHECKS = {name: check for chapter in CHAPTERS for name, check in chapter.EXERCISES.items()}


def _solutions() -> dict:
    functions = {}
    for path in sorted((ROOT / "notebooks" / "solutions").glob("[0-9][0-9]_*.py")):
        spec = importlib.util.spec_from_file_location(f"solution_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        functions.update({name: getattr(module, name) for name in CHECKS if hasattr(module, name)})
    return functions


SOLUTIONS = _solutions()

# What no nudge may say (a direction in words, never code), for every exercise, and per exercise the solution's own
# tokens. A new exercise must be added here, with its classic mistakes below.
CODE = ["(", ")", "**", "%", "[", " = ", "return", ">>", "torch", "cl.", "."]
NUDGE_MUST_NOT_SAY = {
    "add_mod": ["a + b", "remainder operator"],
    "reconstruct": ["sum", "mod Q"],
    "make_shares": ["randbelow", "mod Q", "minus"],
    "subtract": ["x_i - y_i", "mod Q"],
    "decode_message": ["chr", "join", "mod Q"],
    "to_signed": ["u - 2", "- 2^64", "subtract"],
    "reshare": ["ring_elements", "last row", "minus the sum"],
    "add_public": ["clone", "row 0", "party 0"],
    "encode": ["round", "2**", "int64)"],
    "decode": ["double", "/ 2", "float64"],
    "truncate_two_party": ["shift", "negate", "stack", "party 0 ", "party 1 "],
    "beaver_multiply_mod_q": ["e·b_i", "a_i·f", "c_i", "Σ", "party 0", "e·f"],
    "unmask": ["e + a", "f + b", "add"],
    "matmul_triple_cost": ["m·k", "k·n", "8 bytes", "n_parties − 1", "n_parties - 1"],
    "private_training_step": ["mm", "transpose(0", "prediction - target", "error * error", ".sum()"],
    "predict": ["share(", "mm", "get", "0.5", "crypto_provider"],
    "lr_after_encoding": ["round", "2**", "divide"],
}


def stub(*args):
    raise NotImplementedError


def test_every_exercise_has_a_solution_a_hint_and_is_covered_here():
    assert len(CHECKS) == sum(len(chapter.EXERCISES) for chapter in CHAPTERS), "two chapters share an exercise name"
    assert set(CHECKS) == set(NUDGE_MUST_NOT_SAY) == set(SOLUTIONS) == {case[0] for case in CLASSIC_MISTAKES}
    for name in CHECKS:
        assert hint(name).exercise == name and hint(name).more


# ----- (a) the stub gets a nudge, not the answer ------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(NUDGE_MUST_NOT_SAY))
def test_the_stub_gets_a_nudge_that_holds_no_code(name):
    result = CHECKS[name](stub)
    assert isinstance(result, CheckResult) and result.status == "not implemented"
    text = repr(result)
    assert text.startswith("not implemented yet — hint: ") and "\n" not in text
    nudge = text.removeprefix("not implemented yet — hint: ")
    assert nudge == hint(name).nudge
    for token in CODE + NUDGE_MUST_NOT_SAY[name]:
        assert token not in nudge, (name, token, nudge)
    assert hint(name).more != nudge  # the fuller hint says more


# ----- (b) the published solution passes ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(NUDGE_MUST_NOT_SAY))
def test_the_solution_passes(name):
    result = CHECKS[name](SOLUTIONS[name])
    assert result.passed and repr(result).startswith("✓ ") and " cases" in repr(result), repr(result)
    first, count = repr(result).removeprefix("✓ ").split(" ")[0].split("/")
    assert first == count and int(count) > 0


# ----- (c) classic mistakes get their own reason -------------------------------------------------------------------
def _make_shares_without_mod(secret, n_parties):
    shares = [secrets.randbelow(Q) for _ in range(n_parties - 1)]
    return (*shares, secret - sum(shares))


_SMALL = itertools.count(1)  # distinct small numbers: random ones below 100 would repeat now and then (birthdays)


def _make_shares_small(secret, n_parties):
    shares = [next(_SMALL) * 7 % (Q // 200) for _ in range(n_parties - 1)]
    return (*shares, (secret - sum(shares)) % Q)


def _make_shares_secret_first(secret, n_parties):
    r = secrets.randbelow(Q)
    return (secret, r, *[0] * (n_parties - 3), (-r) % Q)[:n_parties] if n_parties > 2 else (secret, 0)


def _zero_sharing(shape, generator=None):
    zero = (
        cl.rng.ring_elements(shape)
        if generator is None
        else torch.randint(-(2**63), 2**63 - 1, shape, generator=generator)
    )
    zero[-1] = -zero[:-1].sum(dim=0)
    return zero


def _reshare_reconstructing(shares):
    secret = shares.sum(dim=0)  # the mistake: everyone's shares added up
    new = cl.rng.ring_elements(shares.shape)
    new[-1] = secret - new[:-1].sum(dim=0)
    return new


def _reshare_reconstructing_in_a_loop(shares):
    secret = torch.zeros_like(shares[0])
    for share in shares:
        secret = secret + share
    new = cl.rng.ring_elements(shares.shape)
    new[-1] = secret - new[:-1].sum(dim=0)
    return new


def _reshare_two_parties_only(shares):
    mask = cl.rng.ring_elements(shares.shape[1:])
    out = shares.clone()
    out[0] += mask
    out[1] -= mask
    return out


def _reshare_not_cancelling(shares):
    return shares + cl.rng.ring_elements(shares.shape)


def _reshare_small_masks(shares):
    zero = torch.randint(1, 1000, shares.shape)  # small, nonzero: every share changes, by a little
    zero[-1] = -zero[:-1].sum(dim=0)
    return shares + zero


def _reshare_same_masks(shares):
    return shares + _zero_sharing(shares.shape, torch.Generator().manual_seed(0))


def _reshare_in_place(shares):
    shares += _zero_sharing(shares.shape)
    return shares


def _add_public_everyone(shares, public):
    return shares + public


def _add_public_in_place(shares, public):
    shares[0] += public
    return shares


def _truncate_both_down(shares, bits):
    return shares >> bits


def _truncate_reconstructing(shares, bits):
    x = (shares[0] + shares[1]) >> bits
    r = cl.rng.ring_elements(x.shape)
    return torch.stack([x - r, r])


def _truncate_looking_at_the_other(shares, bits):
    """Right within one unit, but each party rounds up or down depending on the OTHER party's share."""
    up = shares[1] > 0
    down0, up0 = shares[0] >> bits, -((-shares[0]) >> bits)
    down1, up1 = shares[1] >> bits, -((-shares[1]) >> bits)
    return torch.stack([torch.where(up, up0, down0), torch.where(up, down1, up1)])


def _decode_floor_split(encoded, bits):
    whole, fraction = encoded >> bits, encoded & (2**bits - 1)
    value = whole.double() + fraction.double() / 2**bits
    return value - ((encoded < 0) & (fraction != 0)).double()


def _beaver(x, y, triple, public_term_on=(0,)):
    a, b, c = triple
    e = sum(xi - ai for xi, ai in zip(x, a, strict=True)) % Q
    f = sum(yi - bi for yi, bi in zip(y, b, strict=True)) % Q
    return [
        (ci + e * bi + ai * f + (e * f if i in public_term_on else 0)) % Q
        for i, (ai, bi, ci) in enumerate(zip(a, b, c, strict=True))
    ]


def _step(data, target, model, lr, sign=-1, transpose=True, error_sign=1, loss=lambda e: (e * e).sum()):
    prediction = data.mm(model)
    error = (prediction - target) if error_sign == 1 else (target - prediction)
    update = (data.transpose(0, 1) if transpose else data).mm(error)
    return model + update * (sign * lr), loss(error)


def _step_revealing(data, target, model, lr):
    model.get()
    return _step(data, target, model, lr)


def _step_opening_the_error(data, target, model, lr):
    new_model, _ = _step(data, target, model, lr)
    error = data.mm(model) - target
    error.get()  # the article's line
    return new_model, (error * error).sum()


def _predict_scores(shared_model, features):
    dealer = shared_model.group.dealer.worker
    return cl.share(features, *shared_model.parties, crypto_provider=dealer).mm(shared_model).get()


def _predict_revealing(shared_model, features):
    return ((features @ shared_model.get()) > 0.5).long()


CLASSIC_MISTAKES = [
    ("add_mod", lambda a, b, q: a + b, "a + b must wrap around the clock"),
    ("add_mod", lambda a, b, q: (a + b) // q, "how many whole turns of q"),
    ("add_mod", lambda a, b, q: (a + b) / q, "returned float"),
    ("reconstruct", lambda shares: sum(shares), "the plain sum"),
    ("reconstruct", lambda shares: (shares[0] + shares[1]) % Q, "leaves out a share"),
    ("make_shares", _make_shares_without_mod, "negative: reduce every share mod Q"),
    ("make_shares", lambda s, n: (*[1] * (n - 1), (s - n + 1) % Q), "repeated shares"),
    ("make_shares", _make_shares_small, "lie within Q/100 of 0"),
    ("make_shares", _make_shares_secret_first, "equals the secret 42 itself"),
    ("make_shares", lambda s, n: [s] + [0] * (n - 1), "repeated shares"),
    ("make_shares", lambda s, n: (s,) * n, "add up to"),
    ("subtract", lambda x, y: [(a + b) % Q for a, b in zip(x, y, strict=True)], "the shares of x + y"),
    ("subtract", lambda x, y: [a - b for a, b in zip(x, y, strict=True)], "some shares are negative"),
    ("subtract", lambda x, y: [(b - a) % Q for a, b in zip(x, y, strict=True)], "shares of y - x"),
    ("subtract", lambda x, y: [(sum(x) - sum(y)) % Q] + [0] * (len(x) - 1), "not the share-by-share differences"),
    ("decode_message", lambda triples: [sum(t) % Q for t in triples], "returned the character codes"),
    ("decode_message", lambda triples: [chr(sum(t) % Q) for t in triples], "join them into one string"),
    ("to_signed", lambda u: u - 2**63 if u >= 2**63 else u, "not the same ring element"),
    ("to_signed", lambda u: u - 2**64 if u > 2**63 else u, "which an int64 cannot hold"),
    ("to_signed", lambda u: float(u), "expected a Python int"),
    ("reshare", _reshare_reconstructing, "reconstructs the secret: `sum`"),
    ("reshare", _reshare_reconstructing_in_a_loop, "reconstructs the secret"),
    ("reshare", _reshare_two_parties_only, "party 2's new share still equals its old share"),
    ("reshare", _reshare_not_cancelling, "must cancel out"),
    ("reshare", _reshare_small_masks, "far from uniform on 64 bits"),
    ("reshare", _reshare_same_masks, "identical results: draw new random masks"),
    ("reshare", _reshare_in_place, "changed its argument `shares` in place"),
    ("reshare", lambda shares: shares.float(), "expected int64"),
    ("add_public", _add_public_everyone, "added 2 times (once by every party)"),
    ("add_public", _add_public_in_place, "changed its argument `shares` in place"),
    ("encode", lambda v, bits: (v * 2**bits).to(torch.int64), "cut toward zero"),
    ("encode", lambda v, bits: torch.floor(v * 2**bits).to(torch.int64), "rounded down (floor)"),
    ("encode", lambda v, bits: torch.round(v).to(torch.int64), "not scaled"),
    ("encode", lambda v, bits: torch.round(v * 2**bits), "expected torch.int64"),
    ("decode", lambda e, bits: e // 2**bits, "integer division drops the fraction"),
    ("decode", lambda e, bits: e.float() / 2**bits, "float32 keeps only 24 significant bits"),
    ("decode", _decode_floor_split, "exactly 1.0 too low"),
    ("truncate_two_party", _truncate_both_down, "party 1 must round UP"),
    ("truncate_two_party", _truncate_reconstructing, "reconstructs the secret: `add`"),
    ("truncate_two_party", _truncate_looking_at_the_other, "party 0's result changed when only party 1's share"),
    ("truncate_two_party", lambda s, bits: [s[0] >> bits, -((-s[1]) >> bits)], "stack them (torch.stack)"),
    ("beaver_multiply_mod_q", lambda x, y, t: _beaver(x, y, t, ()), "party 0 must add the public term e·f"),
    ("beaver_multiply_mod_q", lambda x, y, t: _beaver(x, y, t, range(9)), "only party 0 adds e·f"),
    ("beaver_multiply_mod_q", lambda x, y, t: [sum(x) * sum(y) % Q] + [0] * (len(x) - 1), "not the protocol's"),
    ("unmask", lambda e, f, a, b: ((e - a) % Q, (f - b) % Q), "subtracted the masks again"),
    ("unmask", lambda e, f, a, b: (e + a, f + b), "reduce mod Q"),
    ("unmask", lambda e, f, a, b: ((f + b) % Q, (e + a) % Q), "return x first"),
    ("matmul_triple_cost", lambda m, k, n, p: (p - 1) * (m * k + k * n) * 8, "what ONE party sends"),
    ("matmul_triple_cost", lambda m, k, n, p: p * (p - 1) * (m * k + k * n), "counts ring elements"),
    ("matmul_triple_cost", lambda m, k, n, p: p * p * (m * k + k * n) * 8, "does not send to itself"),
    ("matmul_triple_cost", lambda m, k, n, p: p * (p - 1) * (m * k + k * n + m * n) * 8, "stays shared"),
    ("matmul_triple_cost", lambda m, k, n, p: p * (p - 1) * 2 * m * k * n * 8, "elementwise triples"),
    ("matmul_triple_cost", lambda m, k, n, p: 2.0 * p, "expected a whole number of bytes"),
    ("private_training_step", lambda d, t, m, lr: _step(d, t, m, lr, sign=1), "the model moved uphill"),
    ("private_training_step", lambda d, t, m, lr: _step(d, t, m, lr, transpose=False), "the transpose is missing"),
    ("private_training_step", _step_revealing, "revealed the model (.get())"),
    ("private_training_step", _step_opening_the_error, "the step revealed a tensor of shape (4, 1)"),
    ("private_training_step", lambda d, t, m, lr: (m, _step(d, t, m, lr)[1]), "the update was never applied"),
    ("private_training_step", lambda d, t, m, lr: _step(d, t, m, lr, loss=lambda e: e * e), "sum the squared errors"),
    ("private_training_step", lambda d, t, m, lr: _step(d, t, m, lr, loss=lambda e: e.sum()), "square each error"),
    ("private_training_step", lambda d, t, m, lr: (_step(d, t, m, lr)[0], 1.0), "loss is a plain float"),
    ("private_training_step", lambda d, t, m, lr: _step(d, t, m, lr)[:1], "expected a tuple (new_model, loss)"),
    ("predict", _predict_revealing, "the model was revealed"),
    ("predict", _predict_scores, "returned scores, not 0/1 predictions"),
    ("predict", lambda model, features: cl.share(features, *model.parties), "returned a SharedTensor"),
    ("lr_after_encoding", lambda lr, bits: lr, "the rate you asked for"),
    ("lr_after_encoding", lambda lr, bits: round(lr * 2**bits), "the encoded integer"),
]


# Later chapters keep their tables beside this file, one module per chapter (tests/teach_tables/chNN.py, each with
# NUDGE_MUST_NOT_SAY and CLASSIC_MISTAKES), so that chapters written in parallel never edit the same lines.
for _info in pkgutil.iter_modules([str(Path(__file__).parent / "teach_tables")]):
    _spec = importlib.util.spec_from_file_location(
        f"teach_tables_{_info.name}", Path(__file__).parent / "teach_tables" / f"{_info.name}.py"
    )
    _tables = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_tables)
    NUDGE_MUST_NOT_SAY.update(_tables.NUDGE_MUST_NOT_SAY)
    CLASSIC_MISTAKES.extend(_tables.CLASSIC_MISTAKES)


@pytest.mark.parametrize(
    "name, wrong, reason",
    CLASSIC_MISTAKES,
    ids=[f"{name}: {reason}" for name, _, reason in CLASSIC_MISTAKES],
)
def test_a_classic_mistake_gets_its_own_reason_and_the_fuller_hint(name, wrong, reason):
    result = CHECKS[name](wrong)
    text = repr(result)
    assert result.status == "failed" and text.startswith("✗ ") and "\n" not in text, text
    assert reason in text, text
    assert result.hint == hint(name).more


def test_make_shares_without_mod_q_says_why_not_its_arguments():
    text = repr(CHECKS["make_shares"](_make_shares_without_mod))
    assert "expected (0, 2)" not in text and "reduce every share mod Q" in text


# ----- (d) whatever the learner's function does, a verdict and never a traceback ----------------------------------
@pytest.mark.parametrize("name", sorted(NUDGE_MUST_NOT_SAY))
def test_a_learner_exception_comes_back_as_a_verdict_naming_it(name):
    def raises(*args):
        raise KeyError("a very long message " * 20)

    text = repr(CHECKS[name](raises))
    assert text.startswith("✗ fails for ") and ": raised KeyError: 'a very long message" in text, text
    assert "\n" not in text and text.endswith("…")


def _count_calls(name) -> int:
    calls = []

    def counting(*args):
        calls.append(1)
        return SOLUTIONS[name](*args)

    assert CHECKS[name](counting).passed
    return len(calls)


@pytest.mark.parametrize("name", sorted(NUDGE_MUST_NOT_SAY))
def test_every_call_of_the_learners_function_is_guarded(name):
    """The function works until call number k, then raises: every k gives a verdict naming the exception."""
    for k in range(_count_calls(name)):
        calls = []

        def breaks_later(*args, k=k, calls=calls):
            calls.append(1)
            if len(calls) > k:
                raise RuntimeError(f"call {k + 1} broke")
            return SOLUTIONS[name](*args)

        result = CHECKS[name](breaks_later)
        assert result.status == "failed" and f"raised RuntimeError: call {k + 1} broke" in repr(result), (k, result)


class Nonsense:
    """An answer that refuses everything a check might try on it."""

    def __getattr__(self, name):
        raise RuntimeError(f"no {name}")

    def __eq__(self, other):
        raise RuntimeError("no ==")

    __hash__ = object.__hash__

    def __len__(self):
        raise RuntimeError("no len")

    def __iter__(self):
        raise RuntimeError("no iteration")


@pytest.mark.parametrize("name", sorted(NUDGE_MUST_NOT_SAY))
@pytest.mark.parametrize(
    "answer",
    [None, "text", 12345, 0.5, [], Nonsense(), torch.zeros(2, 2), "shared"],
    ids=["None", "str", "int", "float", "empty list", "nonsense", "tensor", "SharedTensor"],
)
def test_an_answer_of_the_wrong_kind_gets_a_verdict(name, answer):
    if isinstance(answer, str) and answer == "shared":
        answer = cl.share(torch.ones(2), cl.VirtualWorker("alice"), cl.VirtualWorker("bob"))
    result = CHECKS[name](lambda *args: answer)
    assert result.status == "failed" and repr(result).startswith("✗ ") and "\n" not in repr(result), repr(result)


@pytest.mark.parametrize("name", sorted(NUDGE_MUST_NOT_SAY))
def test_something_that_is_not_a_function_gets_a_verdict(name):
    assert repr(CHECKS[name](42)).startswith("✗ expected a function, got int")
