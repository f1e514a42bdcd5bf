"""Fixed-point encoding: exact to its resolution over the whole range, negatives included."""

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from course_lib import FixedPointEncoder

enc = FixedPointEncoder(16)
grid_points = st.integers(min_value=-(2**62), max_value=2**62)  # encodings, i.e. reals k / 2^16


@given(grid_points)
def test_values_on_the_grid_round_trip_exactly(k):
    value = torch.tensor([k / 2**16], dtype=torch.float64)
    assert enc.decode(enc.encode(value)).item() == k / 2**16


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False))
def test_error_is_at_most_half_the_resolution(v):
    decoded = enc.decode(enc.encode(torch.tensor([v], dtype=torch.float64))).item()
    assert abs(decoded - v) <= 2**-17


@given(st.floats(min_value=-(2.0**46), max_value=2.0**46, allow_nan=False), st.integers(0, 30))
def test_every_precision_round_trips_within_its_resolution(v, bits):
    e = FixedPointEncoder(bits)
    if abs(v) >= e.max_value:
        return
    decoded = e.decode(e.encode(torch.tensor([v], dtype=torch.float64))).item()
    assert abs(decoded - v) <= max(2.0 ** -(bits + 1), abs(v) * 2**-52)


def _floor_split_decode(x: torch.Tensor, scale: int) -> torch.Tensor:
    """A decoder that splits x into an integer part (floor division) and a fraction, with a sign 'correction' —
    the pattern of CrypTen 0.4.1's decoder. Kept here only to show the bug our decoder avoids."""
    negative = (x < 0).long()
    whole = torch.div(x, scale, rounding_mode="floor") - negative
    fraction = x % scale
    fraction += (fraction == 0).long() * scale * negative
    return whole.double() + fraction.double() / scale


def test_negative_values_decode_correctly_where_a_floor_split_decoder_is_1_too_low():
    values = torch.tensor([-0.5, -1.25, -3.75, -1e-4, -1.0, -2.0, 0.5])
    encoded = enc.encode(values)
    ours = enc.decode(encoded)
    floor_split = _floor_split_decode(encoded, enc.scale)
    assert torch.allclose(ours, values.double(), atol=2**-17)
    # the floor-split decoder is exactly 1.0 low on negative non-integers, right elsewhere
    off = (values.double() - floor_split).tolist()
    assert off[:4] == pytest.approx([1.0, 1.0, 1.0, 1.0], abs=2**-16)
    assert off[4:] == pytest.approx([0.0, 0.0, 0.0], abs=2**-16)


def test_integers_encode_exactly_even_when_large():
    big = torch.tensor([2**46 - 1, -(2**46)], dtype=torch.int64)
    assert torch.equal(enc.encode(big), big * 2**16)


def test_range_and_resolution():
    assert enc.resolution == 2**-16
    assert enc.max_value == 2.0**47
    assert FixedPointEncoder(0).resolution == 1.0


@pytest.mark.parametrize(
    "values, error, words",
    [
        (torch.tensor([1.0, math.nan]), ValueError, "NaN"),
        (torch.tensor([math.inf]), ValueError, "inf"),
        (torch.tensor([-math.inf]), ValueError, "inf"),
        (torch.tensor([2.0**47]), OverflowError, "outside the range"),
        (torch.tensor([-(2**47)], dtype=torch.int64), OverflowError, "outside the range"),
        (torch.tensor([True]), TypeError, "bool tensor"),
        ("3.0", TypeError, "real numbers"),
        (torch.tensor([1 + 2j]), TypeError, "real numbers"),
    ],
)
def test_bad_values_get_clear_errors(values, error, words):
    with pytest.raises(error, match=words):
        enc.encode(values)


@pytest.mark.parametrize("bits, error", [(31, ValueError), (-1, ValueError), (16.0, TypeError), (True, TypeError)])
def test_bad_precision_gets_a_clear_error(bits, error):
    with pytest.raises(error, match="precision_bits"):
        FixedPointEncoder(bits)


def test_decode_needs_int64():
    with pytest.raises(TypeError, match="int64"):
        enc.decode(torch.tensor([1.0]))
