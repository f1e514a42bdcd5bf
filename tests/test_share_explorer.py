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
    model, shares, slider = box.model_logic, box.parts["shares"], box.parts["slider"]
    assert "cl-share-explorer" in box._dom_classes
    # the browser test finds these two by their CSS classes
    assert "cl-shares" in shares._dom_classes and "cl-secret-slider" in slider._dom_classes
    for share in model.shares:
        assert f"<code class='cl-share'>{share}</code>" in shares.value
    slider.value = 9
    assert model.decrypted == 9
    assert "<code class='cl-decrypted'>9</code>" in shares.value


def test_resharing_redraws_the_shares_but_not_the_histograms():
    with cl.reproducible(1):
        box = share_explorer(secret=5, draws=20)
    parts, model = box.parts, box.model_logic
    shares, plot, verdict = parts["shares"].value, parts["plot"].value, parts["verdict"].value
    parts["reshare"].click()
    assert parts["shares"].value != shares and model.decrypted == 5
    assert (parts["plot"].value, parts["verdict"].value) == (plot, verdict)
    parts["party"].value = 1
    assert model.party == 1 and parts["plot"].value != plot
    parts["other"].value = 1234
    assert model.other_secret == 1234
