"""The approximation explorer's logic (the catalogue, `measure`, the model) without a browser, and its view."""

import math

import pytest
import torch

import course_lib as cl
from course_lib import approximations as ap
from course_lib import rng
from course_lib.widgets.approximation_explorer import (
    CURVE_POINTS,
    METHOD_NAMES,
    SHARED_POINTS,
    TARGETS,
    ApproximationExplorerModel,
    approximation_explorer,
    curve_png,
    measure,
    summary_html,
)

SETTINGS = [(f, m) for f, target in TARGETS.items() for m in target.methods]


def test_every_function_has_the_four_methods_with_sane_parameters():
    assert list(TARGETS) == ["exp", "reciprocal", "sigmoid"]
    for target in TARGETS.values():
        assert list(target.methods) == list(METHOD_NAMES) == ["taylor", "chebyshev", "reduction", "crypten"]
        for method in target.methods.values():
            assert method.parameter in ("degree", "iterations")
            assert method.low <= method.default <= method.high


@pytest.mark.parametrize("function, method", SETTINGS)
def test_the_curve_is_the_method_on_plaintext_and_its_maximum(function, method):
    target = TARGETS[function]
    default = target.methods[method].default
    m = measure(function, method, default)
    assert (
        m.x.shape == (CURVE_POINTS,) and m.x.min() == target.domain[0] and m.x.max() == pytest.approx(target.domain[1])
    )
    assert torch.equal(m.approximation, target.methods[method].run(m.x, default).double())
    assert torch.equal(m.exact, target.exact(m.x))
    measured = m.error[~torch.isnan(m.error)]
    assert m.max_error == float(measured.max())
    difference = (m.approximation - m.exact).abs()
    if target.relative:
        difference = difference / m.exact.abs()
        difference = difference[m.exact.abs() >= 0.01]
    assert float(difference.max()) == pytest.approx(m.max_error)


@pytest.mark.parametrize("function, method", SETTINGS)
def test_the_counts_are_those_of_the_method_and_do_not_depend_on_the_number_of_values(function, method):
    target, chosen = TARGETS[function], TARGETS[function].methods[method]
    m = measure(function, method, chosen.default)
    with ap.count_operations() as tally:
        chosen.run(target.grid(17), chosen.default)  # plaintext: the same counts as on shares
    assert (m.products, m.comparisons) == (tally.products, tally.comparisons)
    with rng.reproducible(1, quiet=True):
        x = cl.share(
            target.grid(1000), cl.VirtualWorker("a"), cl.VirtualWorker("b"), crypto_provider=cl.VirtualWorker("c")
        )
        with cl.measure_cost() as cost:
            chosen.run(x, chosen.default)
    assert cost.rounds == m.rounds
    assert cost.bytes / 1000 == pytest.approx(m.bytes_per_value, rel=0.05)  # about the same per value


def test_the_chapters_claims_about_the_methods():
    taylor, fitted = measure("sigmoid", "taylor", 9), measure("sigmoid", "chebyshev", 9)
    assert fitted.max_error < 0.03 < 1e4 < taylor.max_error  # the fit spreads its error, Taylor piles it up
    middle = int((taylor.x.abs() < 1e-9).nonzero()[0, 0])
    assert float(taylor.error[middle]) < 1e-15  # exact at its point
    assert measure("sigmoid", "reduction", 8).shared_max_error < 5e-4
    assert measure("reciprocal", "reduction", 4).shared_max_error < 5e-4
    assert measure("exp", "reduction", 6).shared_max_error < 3e-3
    assert measure("exp", "chebyshev", 8).max_error > 100  # one polynomial cannot follow e^x over [-10, 10]
    assert 0.15 < measure("exp", "crypten", 8).max_error < 0.2  # (1 + x/256)^256 at x = 10: 17% short
    # a single polynomial: 4 rounds; range reduction: comparisons and more rounds; CrypTen's 1/x: 28 rounds
    assert measure("sigmoid", "chebyshev", 8).rounds == 4 and measure("sigmoid", "reduction", 8).rounds == 14
    assert measure("reciprocal", "crypten", 10).rounds == 28 and measure("reciprocal", "crypten", 10).comparisons == 0
    # Newton: each step squares the error (plaintext, the method's own)
    errors = [measure("reciprocal", "reduction", k).max_error for k in range(4)]
    assert errors[0] == pytest.approx(0.5, rel=0.01) and errors[1] < 0.3 and errors[2] < 0.07 and errors[3] < 5e-3


def test_on_shares_taylor_stops_improving_once_its_coefficients_round_to_zero():
    """1/k! < 2^-17 from k = 9 on: those coefficients are stored as 0, so more terms change nothing on shares."""
    plaintext = [measure("exp", "taylor", d).max_error for d in (8, 12, 16)]
    on_shares = [measure("exp", "taylor", d).shared_max_error for d in (8, 12, 16)]
    assert plaintext[0] > 10 * plaintext[1] > 100 * plaintext[2]
    assert on_shares[1] == pytest.approx(on_shares[2], rel=0.01)  # only the rounding of the products differs


def test_measure_is_deterministic_and_leaves_the_notebooks_randomness_alone():
    measure.cache_clear()
    with rng.reproducible(5, quiet=True):
        first = measure("sigmoid", "crypten", 2)
        after = rng.ring_elements((4,))
    measure.cache_clear()
    with rng.reproducible(5, quiet=True):
        again = measure("sigmoid", "crypten", 2)
        unmoved = rng.ring_elements((4,))
    assert torch.equal(after, unmoved)  # the explorer drew its shares from its own source
    assert first.shared_max_error == again.shared_max_error and first.bytes_per_value == again.bytes_per_value


def test_the_model_resets_the_parameter_with_the_method_and_validates():
    model = ApproximationExplorerModel("exp", "taylor")
    assert model.parameter == 8
    model.set_method("crypten")
    assert (model.method, model.parameter) == ("crypten", 8)
    model.set_function("reciprocal")
    assert (model.function, model.method, model.parameter) == ("reciprocal", "crypten", 10)
    for bad in (-1, 15, 2.5, True, "3"):
        with pytest.raises(ValueError, match="iterations must be an integer from 0 to 14"):
            model.set_parameter(bad)
    with pytest.raises(ValueError, match="unknown method"):
        model.set_method("magic")
    with pytest.raises(ValueError, match="unknown function"):
        model.set_function("cosine")
    assert (model.function, model.method, model.parameter) == ("reciprocal", "crypten", 10)  # nothing changed
    with pytest.raises(ValueError):
        ApproximationExplorerModel("exp", "taylor", 99)


def test_time_only_when_asked_and_forgotten_when_the_setting_changes():
    model = ApproximationExplorerModel("sigmoid", "reduction")
    assert model.timing is None and "press <b>time it</b>" in summary_html(model)
    on_shares, plaintext = model.measure_time(values=200, repeats=1)
    assert on_shares > 0 and plaintext > 0 and model.timing == (on_shares, plaintext)
    assert "on shares (2 parties" in summary_html(model)
    model.set_parameter(model.parameter)  # the same value: still the same setting
    assert model.timing is not None
    model.set_parameter(6)
    assert model.timing is None


def _find(widget, css_class):
    if css_class in getattr(widget, "_dom_classes", ()):
        return widget
    for child in getattr(widget, "children", ()):
        found = _find(child, css_class)
        if found is not None:
            return found
    return None


def test_the_view_follows_its_controls():
    box = approximation_explorer("exp", "taylor")
    assert "cl-approximation-explorer" in box._dom_classes
    parts, model = box.parts, box.model_logic
    for name, css in [("function", "cl-function"), ("method", "cl-method"), ("parameter", "cl-parameter"),
                      ("summary", "cl-approximation-summary")]:  # fmt: skip
        assert _find(box, css) is parts[name]
    knob, summary, plot = parts["parameter"], parts["summary"], parts["plot"]
    assert (knob.description, knob.min, knob.max, knob.value) == ("degree", 1, 24, 8)
    assert "<code class='cl-rounds'>4</code>" in summary.value and "Taylor series" in summary.value
    picture = plot.value
    parts["method"].value = "reduction"
    assert (model.method, model.parameter) == ("reduction", 6)
    assert (knob.description, knob.min, knob.max, knob.value) == ("degree", 1, 10, 6)
    assert (
        "<code class='cl-rounds'>14</code>" in summary.value
        and "<code class='cl-comparisons'>1</code>" in summary.value
    )
    assert plot.value != picture
    parts["method"].value = "crypten"
    assert (knob.description, knob.min, knob.max, knob.value) == ("iterations", 1, 14, 8)
    knob.value = 3
    assert model.parameter == 3 and "<code class='cl-rounds'>3</code>" in summary.value
    parts["function"].value = "sigmoid"
    assert (model.function, model.parameter, knob.value, knob.max) == ("sigmoid", 3, 3, 6)
    assert "sigmoid(x) = 1 / (1 + e^-x)" in summary.value
    parts["time"].click()
    assert model.timing is not None and "on shares (2 parties" in summary.value
    assert parts["message"].value == ""  # no error was shown


def test_the_committed_state_is_the_same_on_every_build():
    first, second = approximation_explorer("sigmoid", "taylor"), approximation_explorer("sigmoid", "taylor")
    assert first.parts["summary"].value == second.parts["summary"].value
    assert curve_png(first.model_logic) == curve_png(second.model_logic)


def test_an_overflowing_approximation_is_shown_not_raised():
    model = ApproximationExplorerModel("reciprocal", "taylor", 24)
    m = model.measurement
    assert m.max_error > 1e20 and math.isfinite(m.worst_x)
    assert "cl-max-error" in summary_html(model) and curve_png(model)[:4] == b"\x89PNG"
    assert SHARED_POINTS == 256
