"""Our solutions to chapter 06's exercises. Load one with `%load -s NAME solutions/06_nonlinear.py`."""

import torch


def and_gate(x, y, triple):
    """Beaver's trick with XOR for + and AND for ×: open the masked e = x ^ a and f = y ^ b (uniform words), then
    every party combines them with its own shares of the triple; party 0 alone adds the public e & f."""
    a, b, c = triple
    masked_x, masked_y = x ^ a, y ^ b  # each party masks its own shares
    e, f = masked_x[0].clone(), masked_y[0].clone()
    for i in range(1, x.shape[0]):  # opening: every party sends its masked shares, everyone XORs them up
        e ^= masked_x[i]
        f ^= masked_y[i]
    rows = [c[i] ^ (e & b[i]) ^ (a[i] & f) for i in range(x.shape[0])]
    rows[0] = rows[0] ^ (e & f)
    return torch.stack(rows)


def newton_step(x, y):
    """One Newton-Raphson step for 1/x: the error 1 - x·y is squared. Two products; the same line on shares."""
    return y * (2 - x * y)


def logistic_step(features, labels, weights, bias, learning_rate):
    """One gradient step of logistic regression, every operation on shares: the secure sigmoid, two matrix
    products, means by a public division, and nothing revealed."""
    probabilities = (features @ weights + bias).sigmoid()
    error = probabilities - labels
    n = features.shape[0]
    new_weights = weights - features.t() @ error / n * learning_rate
    new_bias = bias - error.sum(0) / n * learning_rate
    return new_weights, new_bias
