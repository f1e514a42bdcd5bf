"""The share explorer, driven in a real Chromium through JupyterLab (`make browser`).

Runs the whole notebook the way a learner does (Run All in Lab, a live kernel), then checks the widget against its DOM
contract: root `.cl-share-explorer`; an IntSlider `.cl-secret-slider` (noUiSlider handle `.noUi-handle`, readout
`.widget-readout`); an HTML `.cl-shares` with one `<code class="cl-share">` per share and `<code class="cl-decrypted">`.
The shares must add up (mod Q) to the decrypted value and to the slider's value, before and after moving the slider.

Every wait is a condition with a deadline (wait_for_function), never a fixed sleep: this must hold on a loaded 2-core CI
machine. A cell that teaches an error needs the `raises-exception` cell tag: Lab's Run All stops at any other error
(nbval honours the tag too). This test accepts errors in cells tagged so or marked `# NBVAL_RAISES_EXCEPTION`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.browser.lab_driver import run_all_in_lab, wait, wait_kernel_idle

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
Q = 501337
NOTEBOOKS_DIR = ROOT / "notebooks"
NOTEBOOK = "01_secret_sharing.ipynb"  # path inside NOTEBOOKS_DIR of the notebook that shows the share explorer
# Development override: LWE_BROWSER_NOTEBOOK=/abs/path/to/stand_in.ipynb serves that notebook's folder instead.
NOTEBOOK_OVERRIDE = os.environ.get("LWE_BROWSER_NOTEBOOK")

WIDGET_TIMEOUT_MS = 60_000

READ_EXPLORER_JS = """(root) => {
  const handle = root.querySelector('.cl-secret-slider .noUi-handle');
  const text = (sel) => { const e = root.querySelector(sel); return e ? e.textContent.trim() : null; };
  return {
    shares: [...root.querySelectorAll('.cl-shares code.cl-share')].map(e => e.textContent.trim()),
    decrypted: text('.cl-shares code.cl-decrypted'),
    readout: text('.cl-secret-slider .widget-readout'),
    valueNow: handle ? handle.getAttribute('aria-valuenow') : null,
    valueMax: handle ? handle.getAttribute('aria-valuemax') : null,
  };
}"""

# the widget has caught up with a slider move: readout changed, and the shares shown now decrypt to the new readout
SLIDER_MOVED_JS = """([root, old]) => {
  const text = (sel) => { const e = root.querySelector(sel); return e ? e.textContent.trim() : null; };
  const readout = text('.cl-secret-slider .widget-readout');
  const shares = [...root.querySelectorAll('.cl-shares code.cl-share')].map(e => e.textContent.trim()).join(',');
  const num = (t) => t === null ? NaN : Number(t.replace(/[,\\s]/g, ''));
  return readout !== old.readout && shares !== old.shares.join(',')
    && num(text('.cl-shares code.cl-decrypted')) === num(readout);
}"""


def to_int(text: str | None, what: str) -> int:
    assert text is not None, f"{what} not found in the share explorer"
    cleaned = re.sub(r"[,\s]", "", text)
    assert re.fullmatch(r"-?\d+", cleaned), f"{what} is not an integer: {text!r}"
    return int(cleaned)


def check_consistent(state: dict, when: str) -> tuple[list[int], int]:
    shares = [to_int(s, "a share") for s in state["shares"]]
    assert len(shares) >= 2, f"{when}: expected one <code class='cl-share'> per share, got {state['shares']!r}"
    decrypted = to_int(state["decrypted"], "the decrypted value (code.cl-decrypted)")
    readout = to_int(state["readout"], "the slider readout (.widget-readout)")
    assert all(0 <= s < Q for s in shares), f"{when}: shares must lie in [0, Q): {shares}"
    assert sum(shares) % Q == decrypted, f"{when}: sum({shares}) % {Q} = {sum(shares) % Q}, shown {decrypted}"
    assert decrypted == readout, f"{when}: decrypted {decrypted} != slider readout {readout}"
    return shares, readout


def serve_target() -> tuple[Path, str]:
    if NOTEBOOK_OVERRIDE:
        nb = Path(NOTEBOOK_OVERRIDE).resolve()
        return nb.parent, nb.name
    return NOTEBOOKS_DIR, NOTEBOOK


def test_share_explorer_in_jupyterlab(lab_factory, browser_page, tmp_path):
    notebooks_dir, notebook = serve_target()
    assert (notebooks_dir / notebook).is_file(), f"{notebooks_dir / notebook} does not exist"
    server = lab_factory(notebooks_dir)
    page = browser_page
    run_all_in_lab(page, server, notebook)

    # 3. the widget rendered, and its shares decrypt to the slider's value
    explorer = page.locator(".cl-share-explorer").first
    explorer.wait_for(state="visible", timeout=WIDGET_TIMEOUT_MS)
    explorer.scroll_into_view_if_needed()
    root = explorer.element_handle()
    wait(
        page,
        "(root) => root.querySelectorAll('.cl-shares code.cl-share').length > 0",
        root,
        WIDGET_TIMEOUT_MS,
        "the share explorer shows its shares",
    )
    before = explorer.evaluate(READ_EXPLORER_JS)
    shares_before, value_before = check_consistent(before, "before moving the slider")

    # 4. move the slider from the keyboard: focus the noUiSlider handle, press arrow keys (one step each)
    handle = explorer.locator(".cl-secret-slider .noUi-handle")
    handle.wait_for(state="visible", timeout=WIDGET_TIMEOUT_MS)
    at_max = before["valueNow"] is not None and before["valueMax"] is not None
    at_max = at_max and float(before["valueNow"]) >= float(before["valueMax"])
    key = "ArrowLeft" if at_max else "ArrowRight"
    handle.focus()
    for _ in range(5):
        handle.press(key)
    wait(
        page,
        SLIDER_MOVED_JS,
        [root, before],
        WIDGET_TIMEOUT_MS,
        f"the slider readout changed from {before['readout']} after pressing {key} and the shares followed",
        lambda: f"explorer now: {explorer.evaluate(READ_EXPLORER_JS)}",
    )
    after = explorer.evaluate(READ_EXPLORER_JS)
    shares_after, value_after = check_consistent(after, "after moving the slider")
    assert value_after != value_before
    assert (value_after > value_before) == (key == "ArrowRight"), f"{key} moved {value_before} -> {value_after}"
    assert shares_after != shares_before, "the shares did not change with the secret"

    # 5. screenshots for a human to look at, once the kernel has finished redrawing the rest of the widget
    wait_kernel_idle(page, notebook, WIDGET_TIMEOUT_MS)
    full, widget = tmp_path / "lab_full_page.png", tmp_path / "share_explorer.png"
    page.screenshot(path=str(full), full_page=True)
    explorer.screenshot(path=str(widget))
    print(f"secret {value_before} -> {value_after}; shares {shares_before} -> {shares_after} (mod {Q})")
    print(f"screenshots: {full} {widget}")
