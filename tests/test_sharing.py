"""Chapter 01's scheme: the article's functions, their algebra, n parties, and clear errors."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

import course_lib as cl
from course_lib.datasets import article_message_shares
from course_lib.sharing import Q, add, decrypt, encrypt, product

secrets_mod_q = st.integers(min_value=0, max_value=Q - 1)


def test_q_is_the_articles_modulus():
    assert Q == 501337


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
