"""Chapter 08's rows for tests/test_checks_teach.py: what each nudge must not say, and the classic mistakes."""

import math

NUDGE_MUST_NOT_SAY = {
    "paillier_decrypt": ["lcm", "pow", "//", "μ", "n*n", "math"],
    "encrypted_dot": ["sum", "zip", "*", "for ", "weights"],
    "headroom_bits": ["log2", "bit_length", "ceil", "n_clients - 1", "2^"],
}


def _decrypt(c, p, q, *, modulus=None, with_mu=True, reduce=True, float_division=False):
    n = p * q
    lam = math.lcm(p - 1, q - 1)
    u = pow(c, lam, modulus or n * n)
    L = (u - 1) / n if float_division else (u - 1) // n
    value = L * pow(lam, -1, n) if with_mu else L
    return value % n if reduce else value


def _dot_of_products(weights, ciphertexts):
    return [w * c for w, c in zip(weights, ciphertexts, strict=True)]


def _dot_ignoring_weights(weights, ciphertexts):
    return sum(ciphertexts)


def _dot_multiplying_ciphertexts(weights, ciphertexts):
    total = ciphertexts[0]
    for c in ciphertexts[1:]:
        total = total * c
    return total


def _dot_absolute_weights(weights, ciphertexts):
    return sum(abs(w) * c for w, c in zip(weights, ciphertexts, strict=True))


CLASSIC_MISTAKES = [
    ("paillier_decrypt", lambda c, p, q: _decrypt(c, p, q, with_mu=False), "multiply by μ = λ^-1 mod n"),
    ("paillier_decrypt", lambda c, p, q: _decrypt(c, p, q, modulus=p * q), "compute c^λ modulo n², not modulo n"),
    ("paillier_decrypt", lambda c, p, q: _decrypt(c, p, q, reduce=False), "reduce the result mod n"),
    ("paillier_decrypt", lambda c, p, q: _decrypt(c, p, q, float_division=True), "returned a float"),
    ("encrypted_dot", _dot_of_products, "add the products up into one ciphertext"),
    ("encrypted_dot", _dot_ignoring_weights, "plain sum of the x's: multiply each ciphertext by its weight"),
    ("encrypted_dot", _dot_multiplying_ciphertexts, "Paillier cannot multiply two ciphertexts"),
    ("encrypted_dot", _dot_absolute_weights, "negative weights lost their sign"),
    ("headroom_bits", lambda n: n.bit_length(), "one more than needed for 4 clients"),
    ("headroom_bits", lambda n: math.floor(math.log2(n)), "hold a sum of at most 2 values, not 3"),
    ("headroom_bits", lambda n: math.log2(n), "returned a float"),
    ("headroom_bits", lambda n: n, "more than needed"),
]
