"""Chapter 01's scheme: the article's functions, their algebra, n parties, and clear errors; and chapter 04's Beaver
product mod Q (`beaver_product`), checked against plain integer arithmetic."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

import course_lib as cl
from course_lib.datasets import article_message_shares
from course_lib.sharing import Q, add, beaver_product, decrypt, encrypt, product

secrets_mod_q = st.integers(min_value=0, max_value=Q - 1)
n_parties = st.integers(min_value=2, max_value=5)


@st.composite
def shares_of(draw, secret: int, n: int) -> tuple[int, ...]:
    """n shares of `secret` mod Q, the random ones drawn by hypothesis (so any sharing can come up, 0 and Q-1 too)."""
    others = draw(st.lists(secrets_mod_q, min_size=n - 1, max_size=n - 1))
    return (*others, (secret - sum(others)) % Q)


@st.composite
def beaver_inputs(draw):
    """(x, y, a, b, x shares, y shares, triple) for a random number of parties; c = a·b mod Q."""
    n = draw(n_parties)
    x, y, a, b = (draw(secrets_mod_q) for _ in range(4))
    triple = (draw(shares_of(a, n)), draw(shares_of(b, n)), draw(shares_of(a * b % Q, n)))
    return x, y, a, b, draw(shares_of(x, n)), draw(shares_of(y, n)), triple


@given(secrets_mod_q, st.integers(min_value=2, max_value=7))
def test_encrypt_then_decrypt_gives_the_secret(x, n):
    shares = encrypt(x, n)
    assert isinstance(shares, tuple) and len(shares) == n
    assert all(0 <= s < Q for s in shares)
    assert decrypt(*shares) == x


@given(secrets_mod_q, secrets_mod_q)
def test_add_is_addition_mod_q(x, y):
    assert decrypt(*add(encrypt(x), encrypt(y))) == (x + y) % Q


@given(secrets_mod_q, st.integers(min_value=-(10**9), max_value=10**9))
def test_product_with_a_public_integer(x, w):
    assert decrypt(*product(encrypt(x), w)) == (x * w) % Q


def test_the_articles_demo():
    my_sum = add(encrypt(2), encrypt(5))
    assert isinstance(my_sum, list) and len(my_sum) == 3
    assert decrypt(*my_sum) == 7


def test_two_of_three_shares_do_not_give_the_secret():
    # with 200 sharings of 7, the partial sum is 7 only by chance (probability 1/Q each)
    partial = [decrypt(*add(encrypt(2), encrypt(5))[:2]) for _ in range(200)]
    assert sum(p == 7 for p in partial) <= 1
    assert len(set(partial)) > 190


def test_reproducible_mode_repeats_and_secure_mode_does_not():
    with cl.reproducible(3):
        first = [encrypt(5) for _ in range(3)]
    with cl.reproducible(3):
        again = [encrypt(5) for _ in range(3)]
    assert first == again
    assert encrypt(5) != encrypt(5)


def test_the_hidden_message_in_the_article():
    triples = article_message_shares()
    assert len(triples) == 16
    assert "".join(chr(decrypt(*t)) for t in triples) == "happy encrypting"


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: encrypt(2.5), TypeError, "must be an integer"),
        (lambda: encrypt("7"), TypeError, "must be an integer"),
        (lambda: encrypt(True), TypeError, "must be an integer"),
        (lambda: encrypt(Q), ValueError, "[0, Q)"),
        (lambda: encrypt(-1), ValueError, "Q - |x|"),
        (lambda: encrypt(5, n_parties=1), ValueError, "at least 2 parties"),
        (lambda: add([1, 2, 3], [1, 2]), ValueError, "same number of shares"),
        (lambda: add([1, 2, Q], [1, 2, 3]), ValueError, "[0, Q)"),
        (lambda: product([1, 2, 3], 0.5), TypeError, "must be an integer"),
        (lambda: decrypt(), ValueError, "no shares"),
        (lambda: add(5, [1, 2]), TypeError, "tuple or list"),
    ],
)
def test_bad_input_gets_a_clear_error(call, error, words):
    with pytest.raises(error) as raised:
        call()
    assert words in str(raised.value)


def test_q_is_not_prime_and_nothing_here_needs_it():
    """Q = 43 · 89 · 131: numbers sharing a factor with Q (43, 89·131, ...) have no inverse mod Q, and two of them
    can multiply to 0 — sharing, adding and Beaver multiplication work all the same."""
    assert Q == 43 * 89 * 131 and all(math.gcd(p, Q) == p for p in (43, 89, 131))
    with pytest.raises(ValueError):
        pow(43, -1, Q)  # no inverse
    x, y = 43, 89 * 131
    triple = (encrypt(5), encrypt(7), encrypt(35))
    assert decrypt(*add(encrypt(x), encrypt(y))) == x + y
    assert decrypt(*beaver_product(encrypt(x), encrypt(y), triple).z_shares) == 0  # x·y = Q ≡ 0


@given(beaver_inputs())
def test_beaver_product_is_multiplication_mod_q(inputs):
    x, y, a, b, x_shares, y_shares, triple = inputs
    run = beaver_product(x_shares, y_shares, triple)
    n = len(x_shares)
    assert decrypt(*run.z_shares) == x * y % Q
    assert run.e == (x - a) % Q and run.f == (y - b) % Q  # what is opened: the masked values, nothing else
    assert decrypt(*run.e_shares) == run.e and decrypt(*run.f_shares) == run.f
    for shares in (run.e_shares, run.f_shares, run.z_shares):
        assert isinstance(shares, tuple) and len(shares) == n and all(0 <= s < Q for s in shares)


@given(beaver_inputs(), secrets_mod_q)
def test_each_party_computes_its_product_share_from_its_own_shares(inputs, shift):
    """Party i's z_i depends on its own shares and the opened e, f only: moving `shift` from party 0's shares of x
    to party 1's (same x, same e) changes no other party's z_i."""
    x, y, a, b, x_shares, y_shares, triple = inputs
    moved = ((x_shares[0] + shift) % Q, (x_shares[1] - shift) % Q, *x_shares[2:])
    before, after = beaver_product(x_shares, y_shares, triple), beaver_product(moved, y_shares, triple)
    assert after.e == before.e and after.z_shares == before.z_shares  # z_i = c_i + e·b_i + a_i·f (+ e·f for party 0)
    assert after.e_shares[2:] == before.e_shares[2:]


@pytest.mark.parametrize(
    "x, y, triple, error, words",
    [
        ((1, 2), (1, 2, 3), ((1, 2), (1, 2), (1, 2)), ValueError, "same parties"),
        ((1, 2), (1, 2), ((1, 2), (1, 2), (1, 2, 3)), ValueError, "same parties"),
        ((1, Q), (1, 2), ((1, 2), (1, 2), (1, 2)), ValueError, "[0, Q)"),
        ((1, 2), (1, -1), ((1, 2), (1, 2), (1, 2)), ValueError, "Q - |x|"),
        ((1, 2), (1, 2), ((1, 2.5), (1, 2), (1, 2)), TypeError, "must be an integer"),
        ((1, True), (1, 2), ((1, 2), (1, 2), (1, 2)), TypeError, "must be an integer"),
        (5, (1, 2), ((1, 2), (1, 2), (1, 2)), TypeError, "tuple or list"),
        ((1, 2), "12", ((1, 2), (1, 2), (1, 2)), TypeError, "tuple or list"),
        ((), (), ((), (), ()), ValueError, "no shares"),
    ],
    ids=[
        "y has more parties",
        "c has more parties",
        "share = Q",
        "negative share",
        "float share",
        "bool share",
        "x not shares",
        "y a string",
        "no shares",
    ],
)
def test_beaver_product_bad_input_gets_a_clear_error(x, y, triple, error, words):
    with pytest.raises(error) as raised:
        beaver_product(x, y, triple)
    assert words in str(raised.value), str(raised.value)
