"""Our solutions to chapter 01's exercises. Load one with `%load -s NAME solutions/01_secret_sharing.py`."""

import secrets

Q = 501337


def reconstruct(shares):
    """Add every share, then reduce mod Q."""
    return sum(shares) % Q


def make_shares(secret, n_parties):
    """n_parties - 1 shares from the CSPRNG; the last one makes the sum come out to the secret."""
    shares = [secrets.randbelow(Q) for _ in range(n_parties - 1)]
    return (*shares, (secret - sum(shares)) % Q)


def subtract(x, y):
    """Each party subtracts its own two shares; nobody sees a secret."""
    return [(xi - yi) % Q for xi, yi in zip(x, y, strict=True)]


def decode_message(triples):
    """Decrypt each triple to a character code and join the characters."""
    return "".join(chr(sum(triple) % Q) for triple in triples)
