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

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
Q = 501337
NOTEBOOKS_DIR = ROOT / "notebooks"
NOTEBOOK = "01_secret_sharing.ipynb"  # path inside NOTEBOOKS_DIR of the notebook that shows the share explorer
# Development override: LWE_BROWSER_NOTEBOOK=/abs/path/to/stand_in.ipynb serves that notebook's folder instead.
NOTEBOOK_OVERRIDE = os.environ.get("LWE_BROWSER_NOTEBOOK")

PAGE_LOAD_TIMEOUT_MS = 120_000
KERNEL_READY_TIMEOUT_MS = 180_000
RUN_ALL_TIMEOUT_MS = 300_000
WIDGET_TIMEOUT_MS = 60_000

# Installed before Lab's own scripts: a summary of the open notebook, read by the wait conditions and the assertions.
STATE_JS = r"""
window.__lweState = (path) => {
  const app = window.jupyterapp;
  if (!app) return { why: 'window.jupyterapp is missing (expose_app_in_browser?)' };
  const panel = app.shell.currentWidget;
  if (!panel || !panel.context || !panel.content) return { why: 'no notebook panel is current' };
  if (panel.context.path !== path) return { why: 'current document is ' + panel.context.path };
  const kernel = panel.sessionContext && panel.sessionContext.session && panel.sessionContext.session.kernel;
  const cells = panel.content.widgets.map((cell, index) => {
    const json = cell.model.toJSON();
    const source = Array.isArray(json.source) ? json.source.join('') : (json.source || '');
    const tags = (json.metadata && json.metadata.tags) || [];
    const errors = (json.outputs || []).filter(o => o.output_type === 'error')
      .map(o => ({ ename: o.ename, evalue: o.evalue, traceback: (o.traceback || []).join('\n') }));
    return {
      index, type: json.cell_type, source: source.slice(0, 300), blank: source.trim() === '',
      count: json.cell_type === 'code' ? json.execution_count : null, errors,
      expectsError: source.includes('NBVAL_RAISES_EXCEPTION') || tags.includes('raises-exception'),
    };
  }).filter(c => c.type === 'code');
  return {
    path: panel.context.path,
    loaded: panel.context.isReady && panel.content.widgets.length > 0,
    kernel: kernel ? { connectionStatus: kernel.connectionStatus, status: kernel.status } : null,
    runAll: window.__lweRunAll || null,
    cells,
  };
};
window.__lweKernelIdle = (s) =>
  !!(s && s.kernel && s.kernel.connectionStatus === 'connected' && s.kernel.status === 'idle');
"""

KERNEL_READY_JS = "(path) => { const s = window.__lweState(path); return !!s.loaded && window.__lweKernelIdle(s); }"

RUN_ALL_JS = """async () => {
  const app = window.jupyterapp;
  await app.commands.execute('notebook:clear-all-cell-outputs');  // also clears execution counts: fresh [ ] prompts
  window.__lweRunAll = 'running';
  app.commands.execute('notebook:run-all-cells').then(
    (ok) => { window.__lweRunAll = 'done:' + ok; },
    (err) => { window.__lweRunAll = 'failed:' + err; });
}"""

RUN_ALL_DONE_JS = """(path) => {
  const s = window.__lweState(path);
  if (!window.__lweKernelIdle(s)) return false;
  if (s.cells.some(c => c.errors.length && !c.expectsError)) return true;  // Lab stops there: report it, don't wait
  return s.runAll !== 'running' && s.cells.every(c => c.blank || c.count !== null);
}"""

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


def wait(page, js: str, arg, timeout_ms: int, what: str, diagnose=None) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(js, arg=arg, timeout=timeout_ms, polling=250)
    except PlaywrightTimeout:
        detail = diagnose() if diagnose else ""
        pytest.fail(f"timed out after {timeout_ms / 1000:.0f}s waiting until {what}\n{detail}")


def format_errors(cells: list[dict]) -> str:
    ansi = re.compile(r"\x1b\[[0-9;]*m")
    lines = []
    for c in cells:
        for err in c["errors"]:
            lines.append(
                f"--- cell {c['index'] + 1} of the notebook raised {err['ename']}: {err['evalue']}\n{c['source']}\n"
            )
            lines.append(ansi.sub("", err["traceback"])[-3000:])
    return "\n".join(lines)


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
    page.add_init_script(STATE_JS)

    def state() -> str:
        try:
            return f"notebook state: {page.evaluate('(p) => window.__lweState(p)', notebook)}"
        except Exception as exc:  # the page itself may be what broke
            return f"(could not read the notebook state: {exc})"

    # 1. open the notebook, wait for a connected, idle kernel (the toolbar's idle dot is not enough on a fresh server)
    page.goto(server.lab_url(notebook), timeout=PAGE_LOAD_TIMEOUT_MS, wait_until="domcontentloaded")
    wait(page, KERNEL_READY_JS, notebook, KERNEL_READY_TIMEOUT_MS, "the kernel is connected and idle", state)

    # 2. Run All through Lab's command registry, then wait: kernel idle and every code cell has an execution count
    page.evaluate(RUN_ALL_JS)
    wait(page, RUN_ALL_DONE_JS, notebook, RUN_ALL_TIMEOUT_MS, "Run All finished (kernel idle, no [*] prompts)", state)
    nb_state = page.evaluate("(p) => window.__lweState(p)", notebook)
    unexpected = [c for c in nb_state["cells"] if c["errors"] and not c["expectsError"]]
    assert not unexpected, "a cell raised an error (tag it raises-exception if it teaches one):\n" + format_errors(
        unexpected
    )
    not_run = [c["index"] + 1 for c in nb_state["cells"] if not c["blank"] and c["count"] is None]
    assert not not_run, f"cells (1-based) without an execution count after Run All: {not_run}"
    assert nb_state["runAll"] == "done:true" or any(c["expectsError"] for c in nb_state["cells"]), nb_state["runAll"]

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
    wait(page, KERNEL_READY_JS, notebook, WIDGET_TIMEOUT_MS, "the kernel is idle after the slider moved", state)
    full, widget = tmp_path / "lab_full_page.png", tmp_path / "share_explorer.png"
    page.screenshot(path=str(full), full_page=True)
    explorer.screenshot(path=str(widget))
    print(f"secret {value_before} -> {value_after}; shares {shares_before} -> {shares_after} (mod {Q})")
    print(f"screenshots: {full} {widget}")
