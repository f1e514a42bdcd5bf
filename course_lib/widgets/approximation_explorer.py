"""The approximation explorer (chapter 06): pick a function, a method and its degree or number of iterations, and see
what the method costs on shares and how far off it is over the whole domain.

Shares can only be added, multiplied (a Beaver product) and compared. Every other function is approximated, and the
chapter compares four ways for each of exp, 1/x and the sigmoid:

    taylor      the Taylor series around one point (0, or 1 for 1/x): exact there, worse and worse away from it
    chebyshev   ONE polynomial of the same degree fitted on the whole domain (`approximations.chebyshev_fit`)
    reduction   course_lib's method: bring x into a small range first (squarings for exp, comparisons for 1/x and
                the sigmoid), approximate there, then Newton steps for 1/x
    crypten     CrypTen's method: exp as (1 + x/2^n)^(2^n), 1/x by Newton from an exp-based guess, the sigmoid from
                both

`measure(function, method, parameter)` does the work, the same for the widget and for the chapter's table:
  * the error curve: the method on plaintext float64 torch tensors at 801 points of the domain (the method's own
    error, fast, and the same on every run);
  * the cost: ONE run on 256 shared values (2 parties and a dealer) under `count_operations` (Beaver products,
    comparison circuits) and `measure_cost` (rounds, bytes) — the counts do not depend on the values or on the
    randomness, so they are the same on every run — and the error of that run on shares (16 fractional bits; the
    shares come from a seeded source of their own, so the explorer never draws from the notebook's randomness);
  * the time, only when asked (`measure_time`, the "time it" button): 1,000 shared values with the secure default
    randomness, against plaintext torch. Times vary from machine to machine and run to run, so nothing shows one
    until you ask: the widget's committed state stays the same on every run.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import ipywidgets as widgets
import torch

from course_lib import approximations as ap
from course_lib import rng
from course_lib.cost import measure_cost
from course_lib.parties import VirtualWorker
from course_lib.tensor import share
from course_lib.timing import median_time
from course_lib.widgets.render import Markup, figure_png, html, new_figure, party_color, table
from course_lib.widgets.view import View, slider

__all__ = [
    "METHOD_NAMES",
    "TARGETS",
    "Method",
    "Target",
    "Measurement",
    "measure",
    "ApproximationExplorerModel",
    "approximation_explorer",
]

CURVE_POINTS = 801  # plaintext points for the error curve
SHARED_POINTS = 256  # shared values for the cost and the error on shares (4 words of 64 comparison bits)
TIMED_VALUES = 1000  # shared values for the time, on request
SHARES_SEED = 6  # the explorer's own seeded source for its shares (public grid points: nothing secret in them)
METHOD_NAMES = {
    "taylor": "Taylor series",
    "chebyshev": "one fitted polynomial",
    "reduction": "range reduction (course_lib)",
    "crypten": "CrypTen's method",
}


@dataclass(frozen=True)
class Method:
    """One way to approximate a function: `run(x, parameter)` on torch tensors and SharedTensors alike."""

    note: str  # what it does, in one line
    parameter: str  # "degree" or "iterations"
    low: int
    high: int
    default: int
    run: Callable


@dataclass(frozen=True)
class Target:
    """A function to approximate on its domain, with its four methods."""

    name: str
    formula: str
    exact: Callable[[torch.Tensor], torch.Tensor]
    domain: tuple[float, float]
    relative: bool  # judge the relative error (where |f| >= RELATIVE_FLOOR) or the absolute one
    log_x: bool
    methods: dict[str, Method]

    def grid(self, points: int) -> torch.Tensor:
        low, high = self.domain
        if self.log_x:  # half evenly spaced, half geometric, like approximations.max_error
            return ap._positive_grid(low, high, points)
        return torch.linspace(low, high, points, dtype=torch.float64)


RELATIVE_FLOOR = 0.01  # below it, fixed point's 2^-16 steps are a large relative error whatever the method


@functools.lru_cache(maxsize=64)
def _fit(name: str, degree: int) -> ap.Polynomial:
    target = TARGETS[name]
    return ap.chebyshev_fit(target.exact, target.domain, degree)


def _fitted(name: str) -> Callable:
    return lambda x, degree: _fit(name, degree)(x)


TARGETS: dict[str, Target] = {
    "exp": Target(
        "exp",
        "e^x",
        torch.exp,
        (-10.0, 10.0),
        relative=True,
        log_x=False,
        methods={
            "taylor": Method(
                "1 + x + x²/2 + … + x^d/d!, around 0", "degree", 1, 24, 8, lambda x, d: ap.taylor_exp(x, d + 1)
            ),
            "chebyshev": Method("one polynomial of degree d fitted on [-10, 10]", "degree", 1, 24, 8, _fitted("exp")),
            "reduction": Method(
                "e^x = p(x)^8, p fitted to e^(x/8) (degree d), then 3 squarings",
                "degree",
                1,
                10,
                6,
                lambda x, d: ap.exp(x, degree=d),
            ),
            "crypten": Method(
                "(1 + x/2^n)^(2^n): n squarings", "iterations", 1, 14, 8, lambda x, n: ap.exp_limit(x, n)
            ),
        },
    ),
    "reciprocal": Target(
        "reciprocal",
        "1/x",
        torch.reciprocal,
        (0.1, 10.0),
        relative=True,
        log_x=True,
        methods={
            "taylor": Method(
                "1 + (1 - x) + (1 - x)² + … + (1 - x)^d, around 1",
                "degree",
                1,
                24,
                8,
                lambda x, d: ap.taylor_reciprocal(x, d),
            ),
            "chebyshev": Method(
                "one polynomial of degree d fitted on [0.1, 10]", "degree", 1, 24, 8, _fitted("reciprocal")
            ),
            "reduction": Method(
                "comparisons bring x near 1, a line guesses, n Newton steps y·(2 - x·y)",
                "iterations",
                0,
                6,
                4,
                lambda x, n: ap.reciprocal(x, iterations=n),
            ),
            "crypten": Method(
                "guess 3·e^(0.5 - x) + 0.003, then n Newton steps",
                "iterations",
                0,
                14,
                10,
                lambda x, n: ap.crypten_reciprocal(x, n),
            ),
        },
    ),
    "sigmoid": Target(
        "sigmoid",
        "1 / (1 + e^-x)",
        torch.sigmoid,
        (-10.0, 10.0),
        relative=False,
        log_x=False,
        methods={
            "taylor": Method(
                "1/2 + x/4 - x³/48 + …, up to x^d, around 0", "degree", 1, 25, 9, lambda x, d: ap.taylor_sigmoid(x, d)
            ),
            "chebyshev": Method(
                "one polynomial of degree d fitted on [-10, 10]", "degree", 1, 24, 8, _fitted("sigmoid")
            ),
            "reduction": Method(
                "comparisons give |x| and the pieces, a fit of degree d on [0, 10]",
                "degree",
                2,
                12,
                8,
                lambda x, d: ap.sigmoid(x, degree=d),
            ),
            "crypten": Method(
                "|x|, 1 + e^-|x| by 9 squarings, 1/(…) by n Newton steps from 0.75",
                "iterations",
                0,
                6,
                3,
                lambda x, n: ap.crypten_sigmoid(x, iterations=n),
            ),
        },
    ),
}


# ----- measuring one setting -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Measurement:
    """Everything the explorer shows about one setting (the time only when measured)."""

    function: str
    method: str
    parameter: int
    x: torch.Tensor  # the curve's points
    exact: torch.Tensor
    approximation: torch.Tensor  # plaintext float64
    error: torch.Tensor  # |approximation - exact|, relative where the target says so (NaN where not measured)
    max_error: float  # plaintext, the method's own
    worst_x: float
    shared_max_error: float  # on 256 shared values: the method's error plus fixed point's
    products: int  # Beaver products (a call on a whole tensor counts once)
    comparisons: int  # comparison circuits per value
    rounds: int  # 2 parties
    bytes_per_value: float  # between the 2 parties, both directions
    dealer_bytes_per_value: float

    @property
    def kind(self) -> str:
        return "relative" if TARGETS[self.function].relative else "absolute"


def _errors(target: Target, got: torch.Tensor, exact: torch.Tensor) -> torch.Tensor:
    difference = (got - exact).abs()
    if not target.relative:
        return difference
    relative = difference / exact.abs()
    return torch.where(exact.abs() >= RELATIVE_FLOOR, relative, torch.full_like(relative, math.nan))


def _largest(errors: torch.Tensor) -> float:
    """The largest error, NaN-aware; a non-finite approximation (an overflow) counts as infinitely wrong."""
    measured = errors[~torch.isnan(errors)]
    return float(measured.max()) if measured.numel() else math.nan


def _check(function: str, method: str, parameter: int) -> tuple[Target, Method]:
    if function not in TARGETS:
        raise ValueError(f"unknown function {function!r}: choose from {', '.join(TARGETS)}")
    target = TARGETS[function]
    if method not in target.methods:
        raise ValueError(f"unknown method {method!r}: choose from {', '.join(target.methods)}")
    chosen = target.methods[method]
    if isinstance(parameter, bool) or not isinstance(parameter, int) or not chosen.low <= parameter <= chosen.high:
        raise ValueError(
            f"the {chosen.parameter} must be an integer from {chosen.low} to {chosen.high}, got {parameter!r}"
        )
    return target, chosen


@functools.lru_cache(maxsize=128)
def measure(function: str, method: str, parameter: int) -> Measurement:
    """The error curve (plaintext), the cost and the error of one run on shares, for one setting. Deterministic."""
    target, chosen = _check(function, method, parameter)
    x = target.grid(CURVE_POINTS)
    exact = target.exact(x)
    with torch.no_grad():
        approximation = chosen.run(x, parameter).double()
    error = _errors(target, approximation, exact)
    error = torch.where(torch.isfinite(approximation), error, torch.full_like(error, math.inf))
    worst = int(torch.nan_to_num(error, nan=-1.0).argmax())

    points = target.grid(SHARED_POINTS)
    with rng.reproducible(SHARES_SEED, quiet=True):
        shared = share(points, *_PARTIES, crypto_provider=_DEALER)
        with ap.count_operations() as tally, measure_cost() as cost:
            result = chosen.run(shared, parameter)
        on_shares = result.get()
    return Measurement(
        function=function,
        method=method,
        parameter=parameter,
        x=x,
        exact=exact,
        approximation=approximation,
        error=error,
        max_error=_largest(error),
        worst_x=float(x[worst]),
        shared_max_error=_largest(_errors(target, on_shares, target.exact(points))),
        products=tally.products,
        comparisons=tally.comparisons,
        rounds=cost.rounds,
        bytes_per_value=cost.bytes / SHARED_POINTS,
        dealer_bytes_per_value=cost.dealer_bytes / SHARED_POINTS,
    )


_PARTIES = (VirtualWorker("alice"), VirtualWorker("bob"))
_DEALER = VirtualWorker("carol")


# ----- the model ------------------------------------------------------------------------------------------------------
class ApproximationExplorerModel:
    """The chosen function, method and parameter; the measurement of that setting; a time, once asked for."""

    def __init__(self, function: str = "exp", method: str = "taylor", parameter: int | None = None):
        target = TARGETS.get(function)
        default = target.methods[method].default if target is not None and method in target.methods else 0
        _check(function, method, default if parameter is None else parameter)
        self.function, self.method = function, method
        self.parameter = default if parameter is None else parameter
        self.timing: tuple[float, float] | None = None  # (seconds on shares, seconds in plaintext torch)

    @property
    def target(self) -> Target:
        return TARGETS[self.function]

    @property
    def chosen(self) -> Method:
        return self.target.methods[self.method]

    def set_function(self, function: str) -> None:
        """Another function, with the same kind of method at its default parameter."""
        _check(function, self.method, TARGETS[function].methods[self.method].default if function in TARGETS else 0)
        self.function = function
        self.parameter = self.chosen.default
        self.timing = None

    def set_method(self, method: str) -> None:
        """Another method, at its default degree or number of iterations."""
        _check(self.function, method, self.target.methods[method].default if method in self.target.methods else 0)
        self.method = method
        self.parameter = self.chosen.default
        self.timing = None

    def set_parameter(self, parameter: int) -> None:
        _check(self.function, self.method, parameter)
        if parameter != self.parameter:
            self.parameter = parameter
            self.timing = None

    @property
    def measurement(self) -> Measurement:
        return measure(self.function, self.method, self.parameter)

    def measure_time(self, values: int = TIMED_VALUES, repeats: int = 3) -> tuple[float, float]:
        """Seconds for `values` shared values (2 parties, a dealer, the secure default randomness: what real use pays)
        and for plaintext torch's own function on the same values; medians of `repeats` runs after a warm-up."""
        points = self.target.grid(values)
        run, parameter = self.chosen.run, self.parameter
        with rng.secure():
            shared = share(points, *_PARTIES, crypto_provider=_DEALER)
            on_shares = median_time(lambda: run(shared, parameter), repeats=repeats)
        plaintext = median_time(lambda: self.target.exact(points), repeats=max(repeats, 5))
        self.timing = (on_shares, plaintext)
        return self.timing


# ----- drawing --------------------------------------------------------------------------------------------------------
def _number(value: float) -> str:
    if math.isnan(value):
        return "—"
    if math.isinf(value):
        return "overflow"
    return f"{value:.2g}"


def summary_html(model: ApproximationExplorerModel) -> Markup:
    """The setting in words, its errors, and its cost per call."""
    target, chosen, m = model.target, model.chosen, model.measurement
    low, high = target.domain
    kind = "relative error" if target.relative else "absolute error"
    where = f" (where |f| ≥ {RELATIVE_FLOOR:g})" if target.relative and target.name == "exp" else ""
    head = html(
        "<div><b>{}(x) = {}</b> on [{:g}, {:g}]</div><div><b>{}</b>: {} — {} = {}</div>",
        target.name,
        target.formula,
        low,
        high,
        METHOD_NAMES[model.method],
        chosen.note,
        chosen.parameter,
        model.parameter,
    )
    errors = html(
        "<div>largest {}{}: <code class='cl-max-error'>{}</code> in plaintext (at x = {:.3g}), "
        "<code class='cl-shared-error'>{}</code> on {} shared values</div>",
        kind,
        where,
        _number(m.max_error),
        m.worst_x,
        _number(m.shared_max_error),
        SHARED_POINTS,
    )
    cells = [
        html("<code class='cl-products'>{}</code>", m.products),
        html("<code class='cl-comparisons'>{}</code>", m.comparisons),
        html("<code class='cl-rounds'>{}</code>", m.rounds),
        html("<code class='cl-bytes'>{:.0f}</code>", m.bytes_per_value),
        html("<code>{:.0f}</code>", m.dealer_bytes_per_value),
    ]
    header = ["Beaver products", "comparisons", "rounds", "bytes/value", "dealer bytes/value"]
    return head + errors + table([cells], header, css="cl-numbers") + timing_html(model)


def timing_html(model: ApproximationExplorerModel) -> Markup:
    if model.timing is None:
        return html(
            "<div class='cl-gray cl-timing'>time: press <b>time it</b> to run {:,} shared values "
            "(it varies from machine to machine, so it is measured only when you ask)</div>",
            TIMED_VALUES,
        )
    on_shares, plaintext = model.timing
    return html(
        "<div class='cl-timing'>time for {:,} values: <b>{:.1f} ms</b> on shares (2 parties and a dealer, secure "
        "randomness), {:.3f} ms in plaintext torch — {:,.0f}× "
        "<span class='cl-gray'>(this machine, now; it varies)</span></div>",
        TIMED_VALUES,
        on_shares * 1e3,
        plaintext * 1e3,
        on_shares / plaintext if plaintext > 0 else math.inf,
    )


def curve_png(model: ApproximationExplorerModel) -> bytes:
    """Left: the function and the approximation (clipped to the function's range); right: the error over the domain."""
    target, m = model.target, model.measurement
    figure = new_figure(7.4, 2.7)
    left, right = figure.subplots(1, 2, sharex=True)  # the same domain on both, even where an error is not taken
    x, exact, approximation = m.x.tolist(), m.exact.tolist(), m.approximation
    low, high = float(m.exact.min()), float(m.exact.max())
    if target.log_x or target.name == "exp":
        left.set_yscale("log")
        bottom, top = low / 3, high * 3
    else:
        margin = 0.15 * (high - low)
        bottom, top = low - margin, high + margin
    shown = approximation.clamp(bottom, top).where(torch.isfinite(approximation), torch.tensor(top))
    left.plot(x, exact, color="#7f7f7f", lw=2.5, label=target.formula)
    left.plot(x, shown.tolist(), color=party_color(0), lw=1.3, label=f"{METHOD_NAMES[model.method]}")
    left.set_ylim(bottom, top)
    left.set_title("the function and the approximation", fontsize=9)
    left.legend(fontsize=7, loc="best")
    error = m.error.clamp_min(1e-17)  # exact zeros (at the Taylor point) drawn at the bottom
    right.semilogy(x, error.tolist(), color=party_color(1), lw=1.3)
    if math.isfinite(m.max_error):
        right.axhline(m.max_error, color="black", lw=0.8, ls="--")
    right.set_title(f"{m.kind} error (dashed: the largest, {_number(m.max_error)})", fontsize=9)
    for axes in (left, right):
        axes.set_xlabel("x")
        axes.tick_params(labelsize=7)
        if target.log_x:
            axes.set_xscale("log")
    return figure_png(figure)


# ----- the widget -----------------------------------------------------------------------------------------------------
def approximation_explorer(function: str = "exp", method: str = "taylor", parameter: int | None = None) -> widgets.VBox:
    """Build the explorer: function, method, degree or iterations; the curves, the errors, the cost; time on request."""
    model = ApproximationExplorerModel(function, method, parameter)
    view = View(model)
    wide = {"description_width": "initial"}
    functions = widgets.Dropdown(
        options=[(name, name) for name in TARGETS],
        value=model.function,
        description="function",
        layout={"width": "220px"},
    )
    methods = widgets.Dropdown(
        options=[(label, key) for key, label in METHOD_NAMES.items()],
        value=model.method,
        description="method",
        layout={"width": "300px"},
    )
    knob = slider(model.parameter, model.chosen.low, model.chosen.high, model.chosen.parameter, "300px", style=wide)
    timer = widgets.Button(description="time it", icon="clock-o", tooltip=f"run {TIMED_VALUES:,} shared values")
    view.add("function", functions, "cl-function")
    view.add("method", methods, "cl-method")
    view.add("parameter", knob, "cl-parameter")
    view.add("time", timer, "cl-time-button")

    @view.draws
    def controls() -> None:  # the slider follows the method: its range, its name, its value
        chosen = model.chosen
        with knob.hold_trait_notifications():
            knob.description = chosen.parameter
            knob.min, knob.max = min(knob.min, chosen.low), max(knob.max, chosen.high)
            knob.value = model.parameter
            knob.min, knob.max = chosen.low, chosen.high

    view.bind(functions, model.set_function)
    view.bind(methods, model.set_method)
    view.bind(knob, model.set_parameter)
    view.bind(timer, model.measure_time, redraw=("summary",), busy=f"timing {TIMED_VALUES:,} shared values…")
    return view.root(
        "cl-approximation-explorer",
        "<b>Approximation explorer</b> — a non-linear function from + and × on shares: how far off, at what cost",
        [
            [functions, methods],
            [knob, timer],
            view.html("summary", summary_html, "cl-approximation-summary"),
            view.image("plot", curve_png, width="740px"),
        ],
    )
