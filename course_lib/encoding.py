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
from numpy import bool_ as numpy_bool

from course_lib.ring import RING_BITS

__all__ = ["FixedPointEncoder", "as_real_tensor", "integer_range"]


def as_real_tensor(values, what: str = "encode") -> torch.Tensor:
    """A dense CPU tensor of real numbers from a number, list, array or tensor.

    Python floats become float64: they carry 53 bits, and float32 (torch's default) would round 0.1 or 1e6 + 0.3
    before we ever encode them. Sparse, meta, complex and boolean data are refused with a way out.
    """
    if isinstance(values, (bool, str, bytes)) or values is None:
        raise TypeError(f"can only {what} real numbers or tensors of them, got {type(values).__name__} {values!r}")
    if isinstance(values, complex):
        raise TypeError(f"can only {what} real numbers, got the complex number {values!r}: use its .real part")
    if isinstance(values, torch.Tensor):
        tensor = values
    else:
        try:
            tensor = torch.as_tensor(values)
        except (TypeError, ValueError, RuntimeError) as error:
            raise TypeError(
                f"can only {what} real numbers or tensors of them, got {type(values).__name__}: {error}"
            ) from None
        if tensor.is_floating_point() and not hasattr(values, "dtype"):  # from Python floats, not a typed array
            tensor = torch.as_tensor(values, dtype=torch.float64)
    if tensor.layout != torch.strided:
        raise TypeError(f"can only {what} dense tensors, got a {tensor.layout} tensor: call .to_dense() first")
    if tensor.is_meta:
        raise TypeError(f"cannot {what} a meta tensor: it has a shape but no values; make a real tensor first")
    if tensor.is_complex():
        raise TypeError(f"can only {what} real numbers, got a {tensor.dtype} tensor: use .real (or .abs()) first")
    if tensor.dtype == torch.bool:
        raise TypeError(f"can only {what} numbers, got a bool tensor: convert it with .float() (or .long()) first")
    if tensor.device.type != "cpu":
        raise TypeError(f"shares live on the CPU, got a tensor on {tensor.device}: call .cpu() first")
    return tensor.detach()


_UNSIGNED = {torch.uint8, torch.uint16, torch.uint32, torch.uint64}


def integer_range(tensor: torch.Tensor) -> tuple[int, int]:
    """(smallest, largest) value of an integer tensor as exact Python ints (uint64 too, which int64 cannot hold)."""
    if tensor.numel() == 0:
        return 0, 0
    if tensor.dtype in _UNSIGNED and tensor.dtype != torch.uint8:
        # torch has no min/max for uint16..uint64: read the values (small tensors in this course) as Python ints
        values = tensor.reshape(-1).tolist()
        return min(values), max(values)
    return int(tensor.min()), int(tensor.max())


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
        if isinstance(values, numbers.Real) and not isinstance(values, (bool, numpy_bool)):
            return torch.tensor(self.encode_number(values), dtype=torch.int64)
        tensor = as_real_tensor(values)
        if not tensor.is_floating_point():
            self.check_integers(tensor)
            return tensor.to(torch.int64) * self.scale
        tensor = tensor.double()  # float64 first: v · 2^f must not lose bits to float32 rounding
        finite = torch.isfinite(tensor)
        if not bool(finite.all()):
            bad = tensor[~finite][0].item()
            raise ValueError(f"cannot encode {bad}: NaN and ±inf have no fixed-point encoding; clean the data first")
        self._check_range(tensor.abs().max().item() if tensor.numel() else 0.0)
        return torch.round(tensor * self.scale).to(torch.int64)

    def encode_number(self, value) -> int:
        """The same rules for one Python (or numpy) number, in Python arithmetic (a training loop's learning rate)."""
        if isinstance(value, (bool, numpy_bool)) or not isinstance(value, numbers.Real):
            raise TypeError(f"encode_number needs a real number, got {type(value).__name__}")
        if isinstance(value, numbers.Integral):
            value = int(value)
            self._check_range(abs(value))
            return value * self.scale
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(f"cannot encode {value}: NaN and ±inf have no fixed-point encoding; clean the data first")
        self._check_range(abs(value))
        return round(value * self.scale)  # round half to even, like torch.round

    def check_integers(self, tensor: torch.Tensor) -> None:
        """Refuse integers this encoding cannot represent, compared exactly (no float rounding, uint64 included)."""
        smallest, largest = integer_range(tensor)
        self._check_range(max(abs(smallest), abs(largest)))

    def _check_range(self, largest: float) -> None:
        if largest >= self.max_value:
            raise OverflowError(
                f"{largest:g} is outside the range of {self.precision_bits}-bit fixed point "
                f"(|v| < 2^{RING_BITS - 1 - self.precision_bits} = {self.max_value:.4g}): "
                "rescale the data or use fewer precision_bits"
            )

    def decode(self, encoded: torch.Tensor, dtype: torch.dtype = torch.float64) -> torch.Tensor:
        """encoded / 2^f as float64 (the nearest float64 to the exact value; exact for |encoded| < 2^53)."""
        if not isinstance(encoded, torch.Tensor) or encoded.dtype != torch.int64:
            raise TypeError(
                f"decode needs an int64 tensor of encodings, got {getattr(encoded, 'dtype', type(encoded).__name__)}"
            )
        # int64 -> float64 is correctly rounded and dividing by 2^f is exact; only then the requested dtype (a float16
        # secret decoded in float16 directly would overflow on the encoding, not on the value)
        return (encoded.double() / self.scale).to(dtype)

    def __eq__(self, other) -> bool:
        return isinstance(other, FixedPointEncoder) and other.precision_bits == self.precision_bits

    def __hash__(self) -> int:
        return hash(self.precision_bits)

    def __repr__(self) -> str:
        return f"FixedPointEncoder(precision_bits={self.precision_bits})"
