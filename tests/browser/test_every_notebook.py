"""Every chapter, as a learner opens it: Run All in JupyterLab in a real Chromium, no error, every widget drawn.

nbval checks what each cell prints; this checks what Lab shows: that Run All goes through (Lab stops at the first
error, nbval does not run widgets' front-end), that every widget the chapter promises renders with a non-empty view,
and it leaves a screenshot of each widget and of the page for a person to look at (printed paths; with
LWE_SCREENSHOTS=folder they are also copied there).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.browser.lab_driver import run_all_in_lab, wait_kernel_idle

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
# the widgets each chapter must show (their root CSS classes), at least one per chapter
WIDGETS = {
    "00_welcome.ipynb": [".jp-OutputArea-output .widget-vbox"],  # the clock, built in the notebook itself
    "01_secret_sharing.ipynb": [".cl-share-explorer"],
    "02_shared_tensors.ipynb": [".cl-party-view"],
    "03_fixed_point.ipynb": [".cl-precision-explorer"],
    "04_beaver.ipynb": [".cl-beaver-stepper"],
    "05_encrypted_xor.ipynb": [".cl-training-monitor", ".cl-xor-lab"],
    "06_nonlinear.ipynb": [".cl-approximation-explorer", ".cl-training-monitor"],
    "07_federated.ipynb": [".cl-secagg-round"],
    "08_homomorphic.ipynb": [".cl-paillier-explorer"],
    "09_real_parties.ipynb": [".cl-party-log"],
}


def test_every_chapter_is_listed():
    chapters = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert chapters == sorted(WIDGETS), "add the new chapter and its widgets to WIDGETS (and remove what is gone)"


@pytest.mark.parametrize("notebook", sorted(WIDGETS))
def test_run_all_in_jupyterlab_and_see_the_widgets(notebook, lab_factory, browser_page, tmp_path):
    server = lab_factory(ROOT / "notebooks")
    page = browser_page
    run_all_in_lab(page, server, notebook)
    wait_kernel_idle(page, notebook)
    shots = []
    for selector in WIDGETS[notebook]:
        widget = page.locator(selector).first
        widget.wait_for(state="visible", timeout=60_000)
        widget.scroll_into_view_if_needed()
        box = widget.bounding_box()
        assert box and box["width"] > 200 and box["height"] > 60, f"{selector} is drawn too small: {box}"
        shot = tmp_path / f"{Path(notebook).stem}_{selector.split('.')[-1]}.png"
        widget.screenshot(path=str(shot))
        shots.append(shot)
    page_shot = tmp_path / f"{Path(notebook).stem}_page.png"
    page.screenshot(path=str(page_shot), full_page=True)
    shots.append(page_shot)
    keep = os.environ.get("LWE_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        for shot in shots:
            shutil.copy(shot, Path(keep) / shot.name)
    print(f"{notebook}: screenshots {' '.join(str(s) for s in shots)}")
