"""Driving JupyterLab like a learner: open a notebook, wait for a connected idle kernel, Run All, check every cell ran.

Every wait is a condition with a deadline (wait_for_function), never a fixed sleep: this must hold on a loaded 2-core CI
machine. A cell that teaches an error needs the `raises-exception` cell tag (or `# NBVAL_RAISES_EXCEPTION`): Lab's
Run All stops at any other error.
"""

from __future__ import annotations

import re

import pytest

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


def wait_kernel_idle(page, notebook: str, timeout_ms: int = KERNEL_READY_TIMEOUT_MS) -> None:
    wait(page, KERNEL_READY_JS, notebook, timeout_ms, "the kernel is connected and idle")


def run_all_in_lab(page, server, notebook: str) -> dict:
    """Open `notebook` on `server`, Run All, and fail with the traceback if a cell raised; return the notebook state."""
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
    return nb_state
