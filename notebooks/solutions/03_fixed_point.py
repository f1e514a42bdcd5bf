"""Our solutions to chapter 03's exercises. Load one with `%load -s NAME solutions/03_fixed_point.py`."""

import torch


def encode(values, precision_bits):
    """round(v · 2^f) in float64, stored as int64."""
    scaled = torch.as_tensor(values, dtype=torch.float64) * 2**precision_bits
    return torch.round(scaled).to(torch.int64)


def decode(encoded, precision_bits):
    """One division in float64: exact for every encoding below 2^53, negative or not."""
    return encoded.double() / 2**precision_bits


def truncate_two_party(shares, bits):
    """Each party shifts its own share: party 0 rounds down, party 1 rounds up."""
    party0 = shares[0] >> bits
    party1 = -((-shares[1]) >> bits)
    return torch.stack([party0, party1])
