"""Our solutions to chapter 04's exercises. Load one with `%load -s NAME solutions/04_beaver.py`."""

Q = 501337


def beaver_multiply_mod_q(x_shares, y_shares, triple):
    """Mask, open e and f, then combine: z_i = c_i + e·b_i + a_i·f, and party 0 adds e·f."""
    a, b, c = triple
    parties = range(len(x_shares))
    e = sum(x_shares[i] - a[i] for i in parties) % Q  # every party sends x_i - a_i; all add them up
    f = sum(y_shares[i] - b[i] for i in parties) % Q
    z = [(c[i] + e * b[i] + a[i] * f) % Q for i in parties]
    z[0] = (z[0] + e * f) % Q  # the public term, added once
    return z


def unmask(e, f, a, b):
    """Whoever knows the masks a and b takes them off the opened values: x = e + a, y = f + b."""
    return ((e + a) % Q, (f + b) % Q)


def matmul_triple_cost(m, k, n, n_parties):
    """Every party sends its shares of e (m×k) and f (k×n) to each of the n_parties - 1 others; 8 bytes each."""
    return n_parties * (n_parties - 1) * (m * k + k * n) * 8
