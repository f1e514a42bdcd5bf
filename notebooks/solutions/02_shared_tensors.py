"""Our solutions to chapter 02's exercises. Load one with `%load -s NAME solutions/02_shared_tensors.py`."""

import course_lib as cl


def to_signed(u):
    """Below 2^63 the number is its own int64; from 2^63 on, int64 stores the representative u - 2^64."""
    return u - 2**64 if u >= 2**63 else u


def reshare(shares):
    """Add a fresh sharing of zero: every party's share changes, their sum (the secret) does not."""
    zero = cl.rng.ring_elements(shares.shape)  # uniform ring elements from course_lib's random source
    zero[-1] = -zero[:-1].sum(dim=0)  # now the rows add up to 0 mod 2^64
    return shares + zero


def add_public(shares, public):
    """Party 0 adds the public tensor to its share; the other parties keep theirs. No messages needed."""
    out = shares.clone()
    out[0] = out[0] + public
    return out
