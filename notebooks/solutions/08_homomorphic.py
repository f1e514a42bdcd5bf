"""Our solutions to chapter 08's exercises. Load one with `%load -s NAME solutions/08_homomorphic.py`."""

import math


def paillier_decrypt(c, p, q):
    """Textbook decryption with g = n + 1: m = L(c^λ mod n²) · μ mod n, where L(u) = (u − 1) / n and μ = λ^-1 mod n."""
    n = p * q
    lam = math.lcm(p - 1, q - 1)
    u = pow(c, lam, n * n)  # = (1 + m·n)^λ · r^(nλ) = 1 + m·λ·n  (mod n²): the mask r^n is gone
    L = (u - 1) // n  # an exact division: u = 1 (mod n); this is m·λ mod n
    mu = pow(lam, -1, n)  # with g = n + 1, L(g^λ mod n²) = λ, so μ is λ's inverse mod n
    return L * mu % n


def encrypted_dot(weights, ciphertexts):
    """Σ w_i · E(x_i) = E(Σ w_i · x_i): a product by a public int, then additions, all on ciphertexts."""
    return sum(w * c for w, c in zip(weights, ciphertexts, strict=True))


def headroom_bits(n_clients):
    """The fewest extra bits h with n_clients <= 2^h: a sum of n_clients values then fits in value_bits + h bits."""
    return (n_clients - 1).bit_length()
