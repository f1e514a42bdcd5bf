"""Non-linear functions from + and ×: exp, reciprocal, square roots, sigmoid, tanh, log (chapter 06).

Shares can be added, multiplied (a Beaver product) and compared (`course_lib.comparison`); nothing else. So every
other function is approximated by those three operations — and an approximation has a DOMAIN where it is good, and
an error we can measure. This module exposes the pieces, so the chapter can compare the methods:

  * a polynomial: Taylor (`taylor_exp`, `taylor_reciprocal`, `taylor_sigmoid`) or fitted on the domain at Chebyshev
    points (`chebyshev_fit`), evaluated by Horner (d - 1 products, d - 1 rounds), by powers (d - 1 products, log2 d
    rounds) or by Paterson-Stockmeyer (about 2·sqrt(d) products: the default);
  * range reduction: squaring (e^x = (e^(x/8))^8), or comparisons that find a value's scale (its power of 4, or
    its decade) and bring it near 1, where a short polynomial or Newton's method is accurate;
  * Newton-Raphson iterations (reciprocal, inverse square root) from an initial guess (a line fitted to the scaled
    range; CrypTen's exp-based guess is kept for comparison, and its sigmoid, `crypten_sigmoid`);
  * comparisons: |x| and the sign for symmetry, and pieces that hold the value outside the fitted range.

Every function here runs on plaintext torch tensors AND on SharedTensors with the same code (it uses +, -, × and
a few helpers that dispatch on the type), so the chapter plots an approximation's error curve without shares, and
runs it on shares with the costs counted (`course_lib.measure_cost` for rounds and bytes, `count_operations` for
Beaver products and comparisons — the same counts on plaintext). On shares every product is rounded to 2^-16 (16
fractional bits): `max_error(name, shared=True)` measures that too.

Default parameters, what one call costs (whatever the number of elements: rounds with 2 parties, Beaver products,
comparison circuits per element) and the maximum error measured on shares (2 parties, 20,001 points of the domain,
`max_error(name, shared=True)`; "rel" is the relative error where |f(x)| >= 0.01):

    relu        any            x - x·[x < 0]: exact; the error is the input's own rounding to 2^-16
                               8 rounds, 1 product, 1 comparison                  max abs 7.6e-6
    exp         [-10, 10]      p(x)^8, p the Chebyshev fit (degree 6) of e^(x/8); x < -10 counts as -10
                               14 rounds, 7 products, 1 comparison                max rel 1.4e-3 (2e-4 at x = 10)
    reciprocal  0.1<=|x|<=10   x·s~ in [0.32, 3.2) (s~ from x < -1, x < 0, x < 1), line guess, 4 Newton steps
                               18 rounds, 10 products, 3 comparisons              max abs 1.2e-3 (at x = -0.1)
    inv_sqrt    [0.01, 100]    x·4^-k in [0.5, 2) (6 comparisons), line guess, 3 Newton steps, · 2^-k
                               18 rounds, 11 products, 6 comparisons              max rel 3.8e-4
    sqrt        [0.01, 100]    x · inv_sqrt(x); sqrt(0) = 0
                               19 rounds, 12 products, 6 comparisons              max abs 1.6e-3 (near x = 100)
    sigmoid     any            pieces at -10, 0, 10; Chebyshev fit (degree 8) of sigmoid on [0, 10] at |x|
                               14 rounds, 6 products, 3 comparisons               max abs 2.2e-4
    tanh        any            2·sigmoid(2x) - 1, pieces at -5, 0, 5
                               14 rounds, 6 products, 3 comparisons               max abs 4.3e-4
    log         [0.01, 100]    x·4^-k in [0.5, 2) (6 comparisons), Chebyshev fit (degree 8) + k·log 4
                               12 rounds, 5 products, 6 comparisons               max abs 7.6e-4 (at x = 0.01)

With 3 parties every truncation takes one more round; the errors are alike. `python -m course_lib.approximations`
prints these figures; the errors vary by a few percent from run to run (truncation rounds at random). Most of the
error on shares is fixed point's, not the method's: 0.1 is stored as 0.100006, so 1/x there is off by 6e-4 before
any protocol runs (`max_error(name)` without shares measures the method alone). CrypTen 0.4.1 measured 2.6e-3 for
sigmoid, 1.4e-5 for ReLU and 1.6e-3 for reciprocal.

Outside its domain a function is NOT accurate: reciprocal(1000) with the default domain is garbage (widen `domain`:
two more comparisons per factor 10), log and inv_sqrt of values <= 0 are undefined, and the results of inv_sqrt,
sqrt and log below their domain drift away (one more comparison per factor 4 extends it). Trust: the comparisons and
products these use reveal nothing (see `course_lib.comparison` and `course_lib.protocols`); the dealer must not
collude with a party.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import torch

__all__ = [
    "Tally",
    "count_operations",
    "Polynomial",
    "chebyshev_fit",
    "taylor_exp",
    "exp_limit",
    "exp",
    "newton_reciprocal",
    "crypten_reciprocal",
    "reciprocal",
    "inv_sqrt",
    "sqrt",
    "sigmoid",
    "tanh",
    "log",
    "taylor_reciprocal",
    "taylor_sigmoid",
    "crypten_sigmoid",
    "FUNCTIONS",
    "ErrorReport",
    "max_error",
]


# ----- counting what an approximation costs ------------------------------------------------------------------------
@dataclass
class Tally:
    """Operations an approximation used: Beaver products (a call on a whole tensor counts once) and comparison
    circuits per element (K thresholds compared in one run count K). The same on plaintext and on shares."""

    products: int = 0
    comparisons: int = 0


_tallies: contextvars.ContextVar[tuple[Tally, ...]] = contextvars.ContextVar("course_lib_tallies", default=())


@contextlib.contextmanager
def count_operations():
    """`with count_operations() as tally:` counts the products and comparisons of the approximations in the block."""
    tally = Tally()
    token = _tallies.set((*_tallies.get(), tally))
    try:
        yield tally
    finally:
        _tallies.reset(token)


def _count(products: int = 0, comparisons: int = 0) -> None:
    for tally in _tallies.get():
        tally.products += products
        tally.comparisons += comparisons


# ----- the few operations that differ between torch tensors and SharedTensors -----------------------------------------
def _plain(x) -> bool:
    return isinstance(x, torch.Tensor)


def _mul(a, b):
    """One Beaver product on shares (a plain product on torch tensors)."""
    _count(products=1)
    return a * b


def _multiply_all(pairs):
    """Independent products, in ONE round on shares."""
    _count(products=len(pairs))
    if _plain(pairs[0][0]):
        return [a * b for a, b in pairs]
    return type(pairs[0][0])._multiply_all(pairs)


def _linear(terms, coefficients, constant: float):
    """constant + sum of coefficients[i] · terms[i] (public reals): one truncation on shares."""
    if not terms:
        raise ValueError("a linear combination needs at least one term")
    if _plain(terms[0]):
        return constant + sum(c * t for c, t in zip(coefficients, terms, strict=True))
    return type(terms[0])._linear(list(terms), list(coefficients), constant)


def _negative(x):
    """[x < 0] as a bit (1.0 / 0.0): one comparison circuit on shares, exact."""
    _count(comparisons=1)
    return (x < 0).to(x.dtype) if _plain(x) else x._negative()


def _below(x, thresholds):
    """[x < t] for each public t, as bits: one comparison run (len(thresholds) circuits side by side) on shares."""
    _count(comparisons=len(thresholds))
    if _plain(x):
        return [(x < t).to(x.dtype) for t in thresholds]
    return x._below(thresholds)


def _times_bit(x, bit):
    """x · bit for a bit from a comparison: an exact Beaver product on shares (nothing to truncate)."""
    _count(products=1)
    return x * bit if _plain(x) else x._times_bits(bit)


def _combine_bits(bits, weights):
    """sum of weights[j] · bits[j] with integer weights: an integer, exact in products like a bit (on shares)."""
    if _plain(bits[0]):
        return sum(w * b for w, b in zip(weights, bits, strict=True))
    return type(bits[0])._combine_bits(list(bits), weights)


def _not(bit):
    """1 - bit, still a bit (exact in products) on shares."""
    return 1.0 - bit if _plain(bit) else bit._bit_not()


def _piecewise(bits, values):
    """values[s] where s is the number of thresholds at or below x, from bits[j] = [x < t_j] (t increasing):
    values[-1] + sum over j of bits[j] · (values[j] - values[j + 1]). Local and exact on shares."""
    weights = [values[j] - values[j + 1] for j in range(len(bits))]
    if not bits:
        raise ValueError("a piecewise constant needs at least one threshold")
    if _plain(bits[0]):
        return values[-1] + sum(w * b for w, b in zip(weights, bits, strict=True))
    return type(bits[0])._weighted_bits(list(bits), weights, values[-1])


# ----- polynomials ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Polynomial:
    """p(x) = sum of coefficients[k] · t^k with t = (x - center) / half_width: a polynomial in a variable that the
    fitted domain maps to [-1, 1], where its powers stay small (no overflow, little rounding on shares)."""

    coefficients: tuple[float, ...]
    center: float = 0.0
    half_width: float = 1.0

    @property
    def degree(self) -> int:
        return len(self.coefficients) - 1

    def _variable(self, x):
        if self.center == 0.0 and self.half_width == 1.0:
            return x
        centred = x if self.center == 0.0 else x - self.center
        # a division, not a product with 1/half_width: on shares x / d keeps the relative precision (chapter 03's
        # extra bits), where 0.1 encoded in 16 bits would be off by 6e-5 — 6e-4 at x = 10, then e^x inherits it
        return centred if self.half_width == 1.0 else centred / self.half_width

    def __call__(self, x, method: str = "paterson-stockmeyer"):
        """Evaluate on a torch tensor or a SharedTensor: "horner", "powers" or "paterson-stockmeyer"."""
        t = self._variable(x)
        c = self.coefficients
        d = self.degree
        if d == 0:
            return t * 0.0 + c[0]
        if d == 1:
            return t * c[1] + c[0]
        if method == "horner":  # (((c_d t + c_d-1) t + ...) t + c_0: d - 1 products, one after the other
            acc = t * c[d] + c[d - 1]
            for k in range(d - 2, -1, -1):
                acc = _mul(acc, t) + c[k]
            return acc
        if method == "powers":  # t^2 ... t^d in log2(d) rounds, then one linear combination
            powers = _powers(t, d)
            return _linear(powers[1:], c[1:], c[0])
        if method == "paterson-stockmeyer":
            return _paterson_stockmeyer(t, c)
        raise ValueError(f"unknown method {method!r}: use 'horner', 'powers' or 'paterson-stockmeyer'")

    def products(self, method: str = "paterson-stockmeyer") -> int:
        """How many Beaver products an evaluation on shares takes."""
        d = self.degree
        if d <= 1:
            return 0
        if method in ("horner", "powers"):
            return d - 1
        baby = _baby_steps(d)
        chunks = -(-(d + 1) // baby)
        return baby - 1 + chunks - 1 - (d % baby == 0)


def _powers(t, k: int) -> list:
    """[1 (unused), t, t^2, ..., t^k]: k - 1 products, all those of a round computed together."""
    powers = [None, t]
    while len(powers) <= k:
        have = len(powers) - 1
        pairs = [(powers[have], powers[i]) for i in range(1, min(have, k - have) + 1)]
        powers.extend(_multiply_all(pairs))
    return powers


def _baby_steps(d: int) -> int:
    return min(d, math.ceil(math.sqrt(d + 1)))


def _paterson_stockmeyer(t, c):
    """p = sum of q_j(t) · y^j with y = t^b and q_j of degree < b (linear combinations of t ... t^(b-1), no product),
    by Horner in y: b - 1 products for t^2 ... t^b, then one per chunk but the top one (none if that is a constant)."""
    d = len(c) - 1
    b = _baby_steps(d)
    powers = _powers(t, b)
    chunks = [c[j : j + b] for j in range(0, d + 1, b)]

    def q(chunk):
        return chunk[0] if len(chunk) == 1 else _linear(powers[1 : len(chunk)], chunk[1:], chunk[0])

    acc = q(chunks[-1])
    for chunk in reversed(chunks[:-1]):
        acc = (powers[b] * acc if isinstance(acc, float) else _mul(acc, powers[b])) + q(chunk)
    return acc


def chebyshev_fit(fn: Callable[[torch.Tensor], torch.Tensor], domain: tuple[float, float], degree: int) -> Polynomial:
    """The polynomial of `degree` closest to fn on `domain` in the least-squares sense at many Chebyshev points —
    within a small factor of the best possible (minimax) one, and unlike Taylor it spreads the error over the whole
    domain instead of piling it up at the ends. `fn` takes and returns float64 torch tensors."""
    low, high = float(domain[0]), float(domain[1])
    if not high > low:
        raise ValueError(f"a domain is (low, high) with low < high, got {domain}")
    nodes = np.cos(np.pi * (np.arange(8 * (degree + 1)) + 0.5) / (8 * (degree + 1)))
    x = torch.from_numpy(low + (nodes + 1) * (high - low) / 2)
    values = fn(x).double().numpy()
    chebyshev = np.polynomial.chebyshev.chebfit(nodes, values, degree)
    coefficients = np.polynomial.chebyshev.cheb2poly(chebyshev)
    return Polynomial(tuple(float(v) for v in coefficients), (low + high) / 2, (high - low) / 2)


# ----- exp --------------------------------------------------------------------------------------------------------
def taylor_exp(x, terms: int = 8, method: str = "paterson-stockmeyer"):
    """1 + x + x^2/2 + ... (`terms` terms): good near 0, useless at |x| = 10 (the chapter shows why)."""
    return Polynomial(tuple(1.0 / math.factorial(k) for k in range(terms)))(x, method)


def exp_limit(x, iterations: int = 8):
    """CrypTen's exp: (1 + x / 2^n)^(2^n) with n = `iterations` squarings. Its relative error is about
    x^2 / 2^(n+1) (20% at x = 10 with n = 8), and rounding x / 2^n to 16 bits costs more."""
    y = x * (1.0 / 2**iterations) + 1.0
    for _ in range(iterations):
        y = _mul(y, y)
    return y


@functools.lru_cache(maxsize=32)
def _exp_core(squarings: int, degree: int, domain: tuple[float, float]) -> Polynomial:
    return chebyshev_fit(lambda u: torch.exp(u / 2**squarings), domain, degree)


def exp(x, squarings: int = 3, degree: int = 6, domain: tuple[float, float] = (-10.0, 10.0), clamp: bool = True):
    """e^x for x in `domain` (default [-10, 10]): e^x = p(x)^(2^squarings) where p is the Chebyshev fit of
    e^(x / 2^squarings) on the domain (degree `degree`), then `squarings` squarings.

    The squarings multiply p's relative error by 2^squarings — the method's and fixed point's alike — so p must be
    good: degree 6 on e^(x/8) is within 2e-5 (relative), 1.6e-4 after 3 squarings; Paterson-Stockmeyer evaluates it
    with 3 products, so exp costs 6 (4 squarings of a degree-5 fit would cost 7 and amplify rounding twice as much).
    With `clamp` (one comparison), x below the domain counts as its low end (e^-10 = 4.5e-5 instead of garbage);
    above it the result grows until e^x · 2^32 leaves the ring (x ≈ 21) — and a product's truncation fails with
    probability about e^x · 2^-32 per element (5e-6 at x = 10 with two parties), as every product does.
    """
    low = float(domain[0])
    if clamp:
        (below,) = _below(x, [low])
        x = x + _times_bit(low - x, below)
    y = _exp_core(squarings, degree, (float(domain[0]), float(domain[1])))(x)
    for _ in range(squarings):
        y = _mul(y, y)
    return y


# ----- reciprocal -------------------------------------------------------------------------------------------------
def _powers_of_four(domain: tuple[float, float]) -> list[float]:
    """The low ends 0.5·4^k of the segments [0.5·4^k, 2·4^k) that cover `domain` (positive): on each, x·4^-k lies in
    [0.5, 2), and 4^-k and its square root 2^-k are exact in fixed point."""
    low, high = float(domain[0]), float(domain[1])
    if not 0 < low < high:
        raise ValueError(f"the domain must be (low, high) with 0 < low < high, got {domain}")
    first, last = math.floor(math.log(2 * low, 4)), math.floor(math.log(2 * high, 4))
    return [0.5 * 4.0**k for k in range(first, last + 1)]


def _normalise(x, domain):
    """Comparisons of x (> 0) with the segment boundaries (one run), and the segments' low ends: (bits, lows)."""
    lows = _powers_of_four(domain)
    bits = _below(x, lows[1:]) if len(lows) > 1 else []
    return bits, lows


def _piecewise_or_constant(bits, values, like):
    return _piecewise(bits, values) if bits else like * 0.0 + values[0]


def _line_guess(a: float, b: float) -> tuple[float, float]:
    """alpha, beta of the line alpha - beta·x closest to 1/x on [a, b] in relative terms (minimax of 1 - x·guess):
    beta = 8 / ((a + b)^2 + 4ab), alpha = (a + b)·beta; the worst relative error is (b - a)^2 / ((a + b)^2 + 4ab)."""
    beta = 8.0 / ((a + b) ** 2 + 4 * a * b)
    return (a + b) * beta, beta


def newton_reciprocal(x, initial, iterations: int):
    """Newton-Raphson for 1/x: y <- y · (2 - x·y), 2 products per step; the relative error e = 1 - x·y squares at
    every step (it converges if 0 < x·y_0 < 2)."""
    y = initial
    for _ in range(iterations):
        y = _mul(y, 2.0 - _mul(x, y))
    return y


def crypten_reciprocal(x, iterations: int = 10):
    """CrypTen 0.4.1's reciprocal for x > 0: initial guess 3·exp(0.5 - x) + 0.003 (its exp_limit, 8 squarings), then
    `iterations` Newton steps. Kept for comparison: slow to start where the guess is poor (x near 10)."""
    return newton_reciprocal(x, exp_limit(0.5 - x) * 3.0 + 0.003, iterations)


def reciprocal(
    x, domain: tuple[float, float] = (0.1, 10.0), segments: int | None = None, iterations: int | None = None
):
    """1/x for low <= |x| <= high (default 0.1 <= |x| <= 10, both signs).

    1. ONE comparison run (2·segments - 1 circuits side by side, one masked opening) places x among the boundaries
       -t_k < ... < -t_1 < 0 < t_1 < ... < t_k, where t_j = low·rho^j and rho = (high/low)^(1/segments) (10 for
       the defaults: t_1 = 1). On each piece the signed scale s~ = ±1 / (low·rho^j·sqrt(rho)) is a public number, so
       s~ is a linear function of the comparison bits: no product.
    2. x' = x·s~ = |x|·s lies in [1/sqrt(rho), sqrt(rho)) — positive whatever x's sign. A line fitted there is within
       E = 50% of 1/x' (rho = 10); `iterations` Newton steps square that error each time (50% -> 25% -> 6.4% ->
       0.4% -> 1.7e-5).
    3. 1/x = s~ · (1/x').
    By default `segments` makes rho <= 10 (one more pair of comparisons per factor 10 of the domain) and
    `iterations` brings E down to 2e-5; more segments: more comparisons, a better start, fewer steps. The defaults
    cost 3 circuits and 10 products.
    """
    low, high = float(domain[0]), float(domain[1])
    if not 0 < low < high:
        raise ValueError(f"the domain must be (low, high) with 0 < low < high, got {domain}")
    if segments is None:
        segments = max(1, math.ceil(math.log10(high / low) - 1e-9))
    rho = (high / low) ** (1.0 / segments)
    lows = [low * rho**j for j in range(segments)]
    scales = [1.0 / (bound * math.sqrt(rho)) for bound in lows]
    thresholds = [-t for t in reversed(lows[1:])] + [0.0] + lows[1:]
    signed_scale = _piecewise(_below(x, thresholds), [-s for s in reversed(scales)] + scales)
    scaled = _mul(x, signed_scale)
    alpha, beta = _line_guess(1.0 / math.sqrt(rho), math.sqrt(rho))
    if iterations is None:
        start = (math.sqrt(rho) - 1 / math.sqrt(rho)) ** 2 / ((math.sqrt(rho) + 1 / math.sqrt(rho)) ** 2 + 4)
        iterations = max(1, math.ceil(math.log2(math.log(2e-5) / math.log(start))))  # start^(2^k) <= 2e-5
    return _mul(newton_reciprocal(scaled, alpha - scaled * beta, iterations), signed_scale)


# ----- square roots -----------------------------------------------------------------------------------------------
_INV_SQRT_LINE = (1.50256, 0.42930)  # alpha - beta·x within 17% (in 1 - x·y^2) of 1/sqrt(x) on [0.5, 2]


def inv_sqrt(x, domain: tuple[float, float] = (0.01, 100.0), iterations: int = 3):
    """1/sqrt(x) for x in `domain` (default [0.01, 100]; x must be positive).

    1. Comparisons of x with the boundaries 2·4^j (one run): x·4^-k lies in [0.5, 2), and 4^-k and 2^-k are public
       per segment, exact in fixed point.
    2. Line guess 1.50 - 0.43·x', then Newton for 1/sqrt: y <- y·(3 - x'·y^2)/2, 3 products per step; the error
       e = 1 - x'·y^2 becomes about 0.75·e^2 (17% -> 2.2% -> 4e-4 -> 1e-7).
    3. 1/sqrt(x) = 2^-k · y.
    """
    bits, lows = _normalise(x, domain)
    scale = _piecewise_or_constant(bits, [0.5 / low for low in lows], x)  # 4^-k
    root_scale = _piecewise_or_constant(bits, [math.sqrt(0.5 / low) for low in lows], x)  # 2^-k
    scaled = _mul(x, scale)
    alpha, beta = _INV_SQRT_LINE
    y = alpha - scaled * beta
    for _ in range(iterations):
        y = _mul(y, 1.5 - _mul(scaled, _mul(y, y)) * 0.5)
    return _mul(y, root_scale)


def sqrt(x, domain: tuple[float, float] = (0.01, 100.0), iterations: int = 3):
    """sqrt(x) = x · inv_sqrt(x) for x in `domain`; sqrt(0) = 0 (x = 0 times a bounded value)."""
    return _mul(x, inv_sqrt(x, domain, iterations))


# ----- sigmoid, tanh ----------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=32)
def _sigmoid_core(end: float, degree: int, slope: float) -> Polynomial:
    return chebyshev_fit(lambda a: torch.sigmoid(a * slope), (0.0, end), degree)


def sigmoid(x, method: str = "polynomial", degree: int = 8, limit: float = 10.0, slope: float = 1.0):
    """1 / (1 + e^-x) for every x, accurate on [-limit, limit] (beyond it: 0 or 1, off by at most e^-limit).

    method="polynomial" (the default: fewer products, smaller error):
      1. ONE comparison run: b- = [x < -limit], b = [x < 0], b+ = [x < limit] (three circuits side by side, exact).
      2. a = |x| = x - 2·x·b (an exact bit product): sigmoid(-a) = 1 - sigmoid(a).
      3. s = p(a), the Chebyshev fit of degree `degree` on [0, limit] (Paterson-Stockmeyer: 4 products for 8).
      4. Put together by pieces: 0 below -limit, 1 - s up to 0, s up to limit, 1 beyond (a polynomial runs away
         outside its domain): sigmoid(x) = (1 - b+ + b - b-) + s · (b- - 2b + b+), one exact product with an
         integer in {-1, 0, 1}.
    method="exp": s = 1 / (1 + e^-a) with `exp` and two Newton steps for the reciprocal on [1, 2] instead of p(a).
    `slope` k gives sigmoid(k·x) without computing k·x (which could leave the ring): the fit is of sigmoid(k·a),
    the pieces end at limit / k.
    """
    end = float(limit) / slope
    below, negative, inside = _below(x, [-end, 0.0, end])
    a = x - _times_bit(x, negative) * 2
    if method == "polynomial":
        s = _sigmoid_core(end, degree, float(slope))(a)
    elif method == "exp":
        e = exp(-a if slope == 1 else a * -float(slope), domain=(-float(limit), float(limit)))
        alpha, beta = _line_guess(1.0, 2.0)
        denominator = e + 1.0
        s = newton_reciprocal(denominator, alpha - denominator * beta, 2)
    else:
        raise ValueError(f"unknown method {method!r}: use 'polynomial' or 'exp'")
    pieces = _piecewise([below, negative, inside], [0.0, 1.0, 0.0, 1.0])  # 1 - b+ + b - b-
    return pieces + _times_bit(s, _combine_bits([below, negative, inside], [1, -2, 1]))


def tanh(x, degree: int = 8, limit: float = 5.0):
    """tanh(x) = 2·sigmoid(2x) - 1, accurate on [-limit, limit] (±1 beyond, off by at most 2·e^-(2·limit))."""
    return sigmoid(x, degree=degree, limit=2 * limit, slope=2.0) * 2 - 1.0


# ----- log --------------------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=8)
def _log_core(degree: int) -> Polynomial:
    return chebyshev_fit(torch.log, (0.5, 2.0), degree)


def log(x, domain: tuple[float, float] = (0.01, 100.0), degree: int = 8):
    """Natural log for x in `domain` (default [0.01, 100]; x must be positive).

    1. Comparisons of x with the boundaries 2·4^j (one run): x = 4^k · x' with x' in [0.5, 2).
    2. log x = p(x') + k·log 4, p the Chebyshev fit of log on [0.5, 2] (degree 8: within 2e-5), k·log 4 a public
       value per segment (no product).
    """
    bits, lows = _normalise(x, domain)
    scale = _piecewise_or_constant(bits, [0.5 / low for low in lows], x)
    offset = _piecewise_or_constant(bits, [math.log(2 * low) for low in lows], x)
    return _log_core(degree)(_mul(x, scale)) + offset


# ----- the methods chapter 06 compares (Taylor for every function, CrypTen's sigmoid) ---------------------------------
def taylor_reciprocal(x, degree: int = 8):
    """1/x by its Taylor series around 1: 1 + (1 - x) + (1 - x)^2 + ... + (1 - x)^degree. Good near 1; it diverges
    for x > 2 (every term grows), so on [0.1, 10] it is garbage over most of the domain (chapter 06 shows it)."""
    if degree < 0:
        raise ValueError(f"degree must be at least 0, got {degree}")
    return Polynomial(tuple((-1.0) ** k for k in range(degree + 1)), center=1.0)(x)


def _bernoulli(count: int) -> list[Fraction]:
    """B_0 ... B_count (B_1 = -1/2), exactly: sum over k <= m of C(m + 1, k) B_k = 0 for m >= 1."""
    numbers = [Fraction(1)]
    for m in range(1, count + 1):
        numbers.append(-sum(math.comb(m + 1, k) * numbers[k] for k in range(m)) / (m + 1))
    return numbers


@functools.lru_cache(maxsize=32)
def _taylor_sigmoid_core(degree: int) -> Polynomial:
    """sigmoid(x) = 1/2 + tanh(x/2)/2, and tanh u = sum over n >= 1 of 2^2n (2^2n - 1) B_2n u^(2n-1) / (2n)!:
    the coefficient of x^(2n-1) is (2^2n - 1) B_2n / (2n)! (1/4, -1/48, 1/480, ...)."""
    bernoulli = _bernoulli(degree + 1)
    coefficients = [0.5] + [0.0] * degree
    for n in range(1, (degree + 1) // 2 + 1):
        coefficients[2 * n - 1] = float((4**n - 1) * bernoulli[2 * n] / math.factorial(2 * n))
    return Polynomial(tuple(coefficients))


def taylor_sigmoid(x, degree: int = 9):
    """sigmoid by its Taylor series around 0, up to x^degree: 1/2 + x/4 - x^3/48 + x^5/480 - ... It converges only
    for |x| < pi (sigmoid has poles at ±i·pi), so past |x| = pi more terms make it WORSE (chapter 06)."""
    if degree < 1:
        raise ValueError(f"degree must be at least 1, got {degree}")
    return _taylor_sigmoid_core(int(degree))(x)


def crypten_sigmoid(x, exp_iterations: int = 9, iterations: int = 3):
    """CrypTen's route to the sigmoid (its "reciprocal" method), for comparison:
      1. b = [x < 0] (one comparison) and a = |x| = x - 2·x·b;
      2. d = 1 + e^-a with its limit exp, (1 - a / 2^9)^(2^9): 9 squarings; d lies in [1, 2];
      3. s = 1/d by Newton from the constant guess 0.75 (`iterations` steps; the first is linear: no product);
      4. sigmoid(x) = s for x >= 0 and 1 - s for x < 0: s + b·(1 - 2s).
    Its error is the limit exp's (largest near |x| = 1-3, where e^-a is not small) plus 16-bit rounding of a / 2^9."""
    negative = _negative(x)
    a = x - _times_bit(x, negative) * 2
    d = exp_limit(-a, exp_iterations) + 1.0
    if iterations < 1:
        s = d * 0.0 + 0.75
    else:
        s = newton_reciprocal(d, 1.5 - d * 0.5625, iterations - 1)  # 0.75 · (2 - 0.75 · d): step 1, linear
    return s + _times_bit(1.0 - s * 2, negative)


# ----- measured error ---------------------------------------------------------------------------------------------
def _grid(low: float, high: float, points: int) -> torch.Tensor:
    return torch.linspace(low, high, points, dtype=torch.float64)


def _positive_grid(low: float, high: float, points: int) -> torch.Tensor:
    """Half evenly spaced, half geometrically (small values get their share of points)."""
    geometric = torch.logspace(math.log10(low), math.log10(high), points - points // 2, dtype=torch.float64)
    return torch.cat([_grid(low, high, points // 2), geometric]).sort().values


def _two_sided(low: float, high: float, points: int) -> torch.Tensor:
    half = _positive_grid(low, high, points // 2)
    return torch.cat([-half.flip(0), half])


def _with_zero(x: torch.Tensor) -> torch.Tensor:
    return torch.cat([torch.zeros(1, dtype=x.dtype), x])


def _relu(x):
    return x - _times_bit(x, _negative(x))


# name: (approximation, exact function, the grid of its stated domain)
FUNCTIONS: dict[str, tuple[Callable, Callable, Callable[[int], torch.Tensor]]] = {
    "relu": (_relu, torch.relu, lambda n: _grid(-10, 10, n)),
    "exp": (exp, torch.exp, lambda n: _grid(-10, 10, n)),
    "taylor_exp": (taylor_exp, torch.exp, lambda n: _grid(-10, 10, n)),
    "exp_limit": (exp_limit, torch.exp, lambda n: _grid(-10, 10, n)),
    "reciprocal": (reciprocal, torch.reciprocal, lambda n: _two_sided(0.1, 10, n)),
    "crypten_reciprocal": (crypten_reciprocal, torch.reciprocal, lambda n: _positive_grid(0.1, 10, n)),
    "inv_sqrt": (inv_sqrt, torch.rsqrt, lambda n: _positive_grid(0.01, 100, n)),
    "sqrt": (sqrt, torch.sqrt, lambda n: _with_zero(_positive_grid(0.01, 100, n - 1))),
    "sigmoid": (sigmoid, torch.sigmoid, lambda n: _grid(-10, 10, n)),
    "tanh": (tanh, torch.tanh, lambda n: _grid(-5, 5, n)),
    "log": (log, torch.log, lambda n: _positive_grid(0.01, 100, n)),
}


@dataclass(frozen=True)
class ErrorReport:
    """The worst error of an approximation on a grid of its domain, against torch in float64."""

    name: str
    points: int
    shared: bool
    max_abs: float
    max_rel: float  # where |f(x)| >= 0.01
    worst_x: float  # where the absolute error is largest
    within_tolerance: bool  # every point: relative error <= 5% or absolute error <= 0.01

    def __str__(self) -> str:
        where = "on shares" if self.shared else "plaintext"
        return (
            f"{self.name:<18} {where:<10} max abs error {self.max_abs:.2e} (at x = {self.worst_x:.4g}), "
            f"max rel error {self.max_rel:.2e} at {self.points} points"
        )


def max_error(
    name: str, points: int = 20_001, shared: bool = False, parties: int = 2, x: torch.Tensor | None = None, **params
) -> ErrorReport:
    """Measure `FUNCTIONS[name]` against torch on `points` points of its domain (or on `x`): in float64 plaintext
    (the method's own error) or, with `shared`, on shares among `parties` parties with a dealer (plus fixed point's).
    `params` go to the approximation (e.g. iterations=2)."""
    if name not in FUNCTIONS:
        raise ValueError(f"unknown function {name!r}: choose from {', '.join(FUNCTIONS)}")
    approximate, exact, grid = FUNCTIONS[name]
    x = grid(points) if x is None else x.double()
    if shared:
        from course_lib.parties import VirtualWorker
        from course_lib.tensor import share

        workers = [VirtualWorker(f"party {i}") for i in range(parties)]
        got = approximate(share(x, *workers, crypto_provider=VirtualWorker("dealer")), **params).get()
    else:
        got = approximate(x, **params)
    expected = exact(x)
    error = (got - expected).abs()
    relative = error / expected.abs().clamp_min(1e-300)
    meaningful = expected.abs() >= 0.01  # below, 2^-16 is already a large relative error: the absolute one tells
    worst = int(error.argmax())
    return ErrorReport(
        name=name,
        points=x.numel(),
        shared=shared,
        max_abs=float(error.max()),
        max_rel=float(relative[meaningful].max()) if bool(meaningful.any()) else 0.0,
        worst_x=float(x[worst]),
        within_tolerance=bool(((relative <= 0.05) | (error <= 0.01)).all()),
    )


def _table() -> None:  # pragma: no cover - prints the docstring's table
    import course_lib as cl

    for name in ("relu", "exp", "reciprocal", "inv_sqrt", "sqrt", "sigmoid", "tanh", "log"):
        approximate, _, grid = FUNCTIONS[name]
        with count_operations() as tally:
            approximate(grid(101))
        workers = [cl.VirtualWorker("alice"), cl.VirtualWorker("bob")]
        shared = cl.share(grid(101), *workers, crypto_provider=cl.VirtualWorker("carol"))
        with cl.measure_cost() as cost:
            approximate(shared)
        report = max_error(name, shared=True)
        counts = f"rounds {cost.rounds:3d} products {tally.products:3d} comparisons {tally.comparisons:2d}"
        print(f"{name:<11} {counts}  {report}")


if __name__ == "__main__":  # pragma: no cover
    _table()
