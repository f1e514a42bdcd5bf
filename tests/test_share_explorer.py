"""The share explorer's logic, without a browser (the browser test drives its view)."""

import pytest

import course_lib as cl
from course_lib.sharing import Q, decrypt
from course_lib.widgets import ShareExplorerModel, share_explorer


def test_shares_follow_the_secret():
    model = ShareExplorerModel(secret=42, draws=50)
    assert decrypt(*model.shares) == 42 == model.decrypted
    model.set_secret(1000)
    assert model.decrypted == 1000 and model.secret == 1000


def test_resharing_changes_shares_not_the_secret():
    model = ShareExplorerModel(secret=7, draws=50)
    before = model.shares
    model.reshare()
    assert model.shares != before and model.decrypted == 7


def test_a_bad_secret_changes_nothing():
    model = ShareExplorerModel(secret=7, draws=50)
    before = model.shares
    with pytest.raises(ValueError):
        model.set_secret(Q)
    assert model.shares == before and model.secret == 7


def test_one_party_cannot_tell_two_secrets_apart():
    from course_lib import stats

    with cl.reproducible(0):
        model = ShareExplorerModel(secret=1, other_secret=250000, draws=4000, bins=20)
        counts = model.histograms()
    assert sum(counts[0]) == sum(counts[1]) == 4000
    assert stats.chi_square_same(*counts) < stats.chi_square_critical(19)


def test_the_view_shows_the_shares_in_html():
    box = share_explorer(secret=5, draws=20)
    model = box.model_logic
    assert "cl-share-explorer" in box._dom_classes
    html = [w for w in _walk(box) if "cl-shares" in getattr(w, "_dom_classes", ())][0].value
    for share in model.shares:
        assert f"<code class='cl-share'>{share}</code>" in html
    slider = [w for w in _walk(box) if "cl-secret-slider" in getattr(w, "_dom_classes", ())][0]
    slider.value = 9
    assert model.decrypted == 9
    html = [w for w in _walk(box) if "cl-shares" in getattr(w, "_dom_classes", ())][0].value
    assert "<code class='cl-decrypted'>9</code>" in html


def _walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _walk(child)
