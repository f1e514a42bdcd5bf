"""The precision explorer's logic, without a browser, and its view's widget values."""

import math

import pytest
import torch

from course_lib.encoding import FixedPointEncoder
from course_lib.widgets.precision_explorer import PrecisionExplorerModel, precision_explorer, summary_html


@pytest.mark.parametrize("bits", [0, 1, 8, 16, 24, 30])
def test_resolution_and_range_match_the_encoder(bits):
    model = PrecisionExplorerModel(bits=bits, value=1.0)
    encoder = FixedPointEncoder(bits)
    assert model.resolution == encoder.resolution == 2.0**-bits
    assert model.max_value == encoder.max_value == 2.0 ** (63 - bits)
    assert model.max_product == 2.0 ** (63 - 2 * bits)


def test_the_sample_value_is_encoded_like_the_encoder_does():
    model = PrecisionExplorerModel(bits=16, value=0.1)
    assert model.encoded == 6554 == FixedPointEncoder(16).encode_number(0.1)
    assert model.decoded == 6554 / 2**16
    assert model.error == pytest.approx(6554 / 2**16 - 0.1)
    assert abs(model.error) <= model.resolution / 2


@pytest.mark.parametrize("value", [math.pi, -math.e, 0.1, -1234.5678, 1e6 + 0.3])
@pytest.mark.parametrize("bits", [0, 8, 16, 24, 30])
def test_the_error_is_never_more_than_half_a_step(value, bits):
    model = PrecisionExplorerModel(bits=bits, value=value)
    assert abs(model.error) <= model.resolution / 2


def test_more_bits_never_make_the_error_of_pi_larger_than_half_a_step_and_shrink_it_overall():
    errors = [abs(PrecisionExplorerModel(bits=f, value=math.pi).error) for f in range(31)]
    assert errors[30] < 1e-9 < errors[0]


def test_a_value_out_of_range_is_reported_not_raised():
    model = PrecisionExplorerModel(bits=16, value=1e20)
    assert model.problem.startswith("OverflowError") and "outside the range" in model.problem
    assert model.encoded is None and model.decoded is None and model.error is None
    assert model.product_failure_probability is None
    offsets, errors = model.error_curve()
    assert len(offsets) == len(errors) == 0
    assert "cl-error" in summary_html(model)
    model.set_bits(0)  # 1e20 is still too big for 2^63 …
    assert model.problem is not None
    model.set_value(1e18)  # … but 1e18 fits with no fraction bits
    assert model.problem is None and model.encoded == 10**18


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_nan_and_inf_are_reported(value):
    model = PrecisionExplorerModel(bits=16, value=value)
    assert model.problem.startswith("ValueError")


def test_bad_bits_change_nothing():
    model = PrecisionExplorerModel(bits=12, value=1.0)
    for bad in (-1, 31, 2.5, True):
        with pytest.raises(ValueError):
            model.set_bits(bad)
    assert model.bits == 12


def test_the_error_curve_is_a_sawtooth_within_half_a_step():
    model = PrecisionExplorerModel(bits=16, value=0.1)
    offsets, errors = model.error_curve(steps=3, points=601)
    assert offsets.shape == errors.shape == (601,)
    assert errors.abs().max().item() <= 0.5 + 1e-9
    assert errors.abs().max().item() > 0.49  # it does reach half a step
    assert errors.abs().min().item() < 0.01  # and zero, at the encodable values
    # at the sample itself (offset 0) the curve is the model's own error, in steps
    middle = int((offsets == 0).nonzero()[0, 0])
    assert errors[middle].item() == pytest.approx(model.error / model.resolution)


def test_product_failure_probability_follows_the_headroom_rule():
    small = PrecisionExplorerModel(bits=16, value=1.0)
    assert small.product_failure_probability == pytest.approx(2.0**32 / 2.0**64)
    near = PrecisionExplorerModel(bits=16, value=4e4)  # 1.6e9 < 2^31: fits, but truncation often fails
    assert 0.3 < near.product_failure_probability < 0.4
    over = PrecisionExplorerModel(bits=16, value=1e5)  # 1e10 > 2^31: the product wraps
    assert over.product_failure_probability == 1.0


def test_the_view_updates_from_the_slider_and_the_value_box():
    box = precision_explorer(bits=16, value=0.1)
    model, parts = box.model_logic, box.parts
    assert "cl-precision-explorer" in box._dom_classes
    slider, sample, summary, plot = parts["slider"], parts["sample"], parts["summary"], parts["plot"]
    for name, css in [("slider", "cl-bits-slider"), ("sample", "cl-sample-value"), ("summary", "cl-precision-summary")]:
        assert _find(box, css) is parts[name]  # one widget per class, for the browser
    assert (slider.min, slider.max, slider.value) == (0, 30, 16)
    assert "<code class='cl-resolution'>1.526e-05</code>" in summary.value
    assert "<code class='cl-encoded'>6554</code>" in summary.value
    plot_before = plot.value
    slider.value = 8
    assert model.bits == 8
    assert "<code class='cl-resolution'>0.003906</code>" in summary.value
    assert "<code class='cl-encoded'>26</code>" in summary.value  # round(0.1 · 256)
    assert plot.value != plot_before
    sample.value = -1234.5678
    assert model.value == -1234.5678
    assert f"<code class='cl-encoded'>{round(-1234.5678 * 256)}</code>" in summary.value
    sample.value = 1e30
    assert "OverflowError" in summary.value


def test_the_encoded_value_reconstructs_through_the_ring():
    """What the explorer says is stored is what course_lib's encoder stores, as a tensor too."""
    model = PrecisionExplorerModel(bits=24, value=-1234.5678)
    tensor = FixedPointEncoder(24).encode(torch.tensor([-1234.5678], dtype=torch.float64))
    assert tensor.item() == model.encoded


def _find(widget, css_class):
    found = [w for w in _walk(widget) if css_class in getattr(w, "_dom_classes", ())]
    assert len(found) == 1, f"expected one widget with class {css_class}, found {len(found)}"
    return found[0]


def _walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _walk(child)
