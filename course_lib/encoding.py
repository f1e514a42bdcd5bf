"""Fixed-point encoding: real numbers as scaled integers of the ring (chapter 03).

Secret sharing works on integers mod 2^64, but machine learning wants reals. We agree on a public scale 2^f
(f = `precision_bits`) and store the real v as the integer round(v · 2^f). Adding two encodings adds the reals;
multiplying them gives the real product at scale 2^2f, which must be divided by 2^f again ("truncation", see
`course_lib.protocols`).

The trade-off: f fractional bits give a resolution of 2^-f, and leave 63 - f bits for the integer part, so the
representable range is |v| < 2^(63-f). A product needs room for 2f fractional bits *before* truncation, so values
that get multiplied must stay well below 2^(63-2f) (2^31 ≈ 2.1e9 at f = 16).

Decoding divides by 2^f in float64. It never splits an encoding into an integer part and a fraction with floor
division — the trap that makes some decoders return negative values exactly 1.0 too low.
"""

from __future__ import annotations

import math
import numbers

import torch

from course_lib.ring import RING_BITS

__all__ = ["FixedPointEncoder", "as_real_tensor"]


def as_real_tensor(values, what: str = "encode") -> torch.Tensor:
    """A tensor from a number, list, array or tensor. Python floats become float64: they carry 53 bits, and
    float32 (torch's default) would round 0.1 or 1e6 + 0.3 before we ever encode them."""
    if isinstance(values, torch.Tensor):
        return values
    if isinstance(values, (bool, str, bytes)) or values is None:
        raise TypeError(f"can only {what} real numbers or tensors of them, got {type(values).__name__} {values!r}")
    try:
        tensor = torch.as_tensor(values)
    except (TypeError, ValueError, RuntimeError) as error:
        raise TypeError(
            f"can only {what} real numbers or tensors of them, got {type(values).__name__}: {error}"
        ) from None
    if tensor.is_floating_point() and not hasattr(values, "dtype"):  # from Python floats, not from a typed array
        tensor = torch.as_tensor(values, dtype=torch.float64)
    return tensor


class FixedPointEncoder:
    """Encode reals as round(v · 2^precision_bits) in int64; decode back to float64."""

    def __init__(self, precision_bits: int = 16):
        if isinstance(precision_bits, bool) or not isinstance(precision_bits, numbers.Integral):
            raise TypeError(f"precision_bits must be an integer, got {type(precision_bits).__name__}: try 16")
        if not 0 <= precision_bits <= 30:
            raise ValueError(
                f"precision_bits must be between 0 and 30, got {precision_bits}: a product needs 2·precision_bits "
                "fractional bits inside 63 bits, so more than 30 leaves no room for the integer part"
            )
        self.precision_bits = int(precision_bits)
        self.scale = 2**self.precision_bits

    @property
    def resolution(self) -> float:
        """The smallest step between two encodable reals: 2^-precision_bits."""
        return 1.0 / self.scale

    @property
    def max_value(self) -> float:
        """Encodable reals satisfy |v| < max_value = 2^(63 - precision_bits)."""
        return float(2 ** (RING_BITS - 1 - self.precision_bits))

    def encode(self, values) -> torch.Tensor:
        """round(v · 2^f) as int64. NaN, ±inf and values outside ±max_value are errors, not silent garbage."""
        if isinstance(values, (int, float)) and not isinstance(values, bool):
            return self._encode_scalar(values)
        tensor = as_real_tensor(values)
        if tensor.dtype == torch.bool or tensor.is_complex():
            raise TypeError(
                f"can only encode real numbers, got a {tensor.dtype} tensor: convert it with .float() first"
            )
        if not tensor.is_floating_point():
            return self._encode_integers(tensor.to(torch.int64))
        tensor = tensor.double()  # float64 first: v · 2^f must not lose bits to float32 rounding
        finite = torch.isfinite(tensor)
        if not bool(finite.all()):
            bad = tensor[~finite][0].item()
            raise ValueError(f"cannot encode {bad}: NaN and ±inf have no fixed-point encoding; clean the data first")
        self._check_range(tensor.abs().max().item() if tensor.numel() else 0.0)
        return torch.round(tensor * self.scale).to(torch.int64)

    def encode_number(self, value: int | float) -> int:
        """The same rules for one Python number, in Python arithmetic (a training loop's learning rate, say)."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"encode_number needs an int or a float, got {type(value).__name__}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"cannot encode {value}: NaN and ±inf have no fixed-point encoding; clean the data first")
        self._check_range(abs(value))
        return value * self.scale if isinstance(value, int) else round(value * self.scale)  # round half to even

    def _encode_scalar(self, value: int | float) -> torch.Tensor:
        return torch.tensor(self.encode_number(value), dtype=torch.int64)

    def _encode_integers(self, tensor: torch.Tensor) -> torch.Tensor:
        largest = tensor.abs().max().item() if tensor.numel() else 0
        self._check_range(largest)  # integers compared exactly, no float rounding
        return tensor * self.scale

    def _check_range(self, largest: float) -> None:
        if largest >= self.max_value:
            raise OverflowError(
                f"{largest:g} is outside the range of {self.precision_bits}-bit fixed point "
                f"(|v| < 2^{RING_BITS - 1 - self.precision_bits} = {self.max_value:.4g}): "
                "rescale the data or use fewer "
                "precision_bits"
            )

    def decode(self, encoded: torch.Tensor, dtype: torch.dtype = torch.float64) -> torch.Tensor:
        """encoded / 2^f as float64 (the nearest float64 to the exact value; exact for |encoded| < 2^53)."""
        if not isinstance(encoded, torch.Tensor) or encoded.dtype != torch.int64:
            raise TypeError(
                f"decode needs an int64 tensor of encodings, got {getattr(encoded, 'dtype', type(encoded).__name__)}"
            )
        # One rounding either way: int64 -> float is correctly rounded, and dividing by 2^f is exact.
        return encoded.to(dtype) / self.scale

    def __eq__(self, other) -> bool:
        return isinstance(other, FixedPointEncoder) and other.precision_bits == self.precision_bits

    def __hash__(self) -> int:
        return hash(self.precision_bits)

    def __repr__(self) -> str:
        return f"FixedPointEncoder(precision_bits={self.precision_bits})"
