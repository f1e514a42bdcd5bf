"""Fixtures for the real-browser tests (`make browser`): a throwaway JupyterLab server and a headless Chromium.

The server serves a temporary copy of the course (Lab autosaves; committed notebooks are never touched), runs with its
own Jupyter/IPython directories under tmp_path, a random port and a random token, and is stopped by its PID. Chromium is
a system one, the one tools/browser_setup.py finds: $LWE_CHROMIUM (`make browser` sets it to the helper's answer), else
the helper's own search, never an install from here (`playwright install` is never needed). It may only talk to
127.0.0.1.
"""

from __future__ import annotations

import functools
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
BROWSER_HELPER = ROOT / "tools" / "browser_setup.py"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SERVER_START_TIMEOUT_S = 180
ALLOWED_HOSTS = {"127.0.0.1"}
LAB_SETTINGS = {
    "notebook-extension/tracker": {"windowingMode": "none"},
    "apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
}


@functools.cache
def find_chromium() -> tuple[str | None, str]:
    """(path, "") of the browser tools/browser_setup.py finds (it honours $LWE_CHROMIUM), or (None, what it said)."""
    out = subprocess.run(
        [sys.executable, str(BROWSER_HELPER), "--no-install"], capture_output=True, text=True, timeout=120
    )
    path = out.stdout.strip()
    if out.returncode == 0 and path:
        return path, ""
    return None, out.stderr.strip() or f"{BROWSER_HELPER.name} exited with {out.returncode}"


@dataclass
class LabServer:
    url: str  # http://127.0.0.1:PORT
    token: str
    root_dir: Path  # the temporary copy of notebooks/ that the server serves
    log_path: Path
    proc: subprocess.Popen

    def lab_url(self, notebook: str) -> str:
        return f"{self.url}/lab/tree/{notebook}?token={self.token}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else "(no server log)"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Remember each phase's report on the item, so fixtures can print diagnostics only when a test failed."""
    rep = yield
    setattr(item, f"rep_{rep.when}", rep)
    return rep


def _failed(request) -> bool:
    return any(getattr(getattr(request.node, f"rep_{w}", None), "failed", False) for w in ("setup", "call"))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def copy_course(notebooks_dir: Path, dest: Path) -> Path:
    """Copy notebooks_dir (and the course's data/ beside it, for relative paths) to dest; return the notebooks copy."""
    ignore = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")
    served = dest / "notebooks"
    shutil.copytree(notebooks_dir, served, ignore=ignore)
    if (ROOT / "data").is_dir():
        shutil.copytree(ROOT / "data", dest / "data", ignore=ignore)
    return served


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)  # jupyter_server shuts its kernels down on SIGTERM
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=30)


@pytest.fixture
def lab_factory(tmp_path, request):
    """Start JupyterLab serving a temporary copy of a notebooks folder: ``lab_factory(notebooks_dir) -> LabServer``."""
    servers: list[LabServer] = []

    def start(notebooks_dir: Path) -> LabServer:
        base = tmp_path / f"lab{len(servers)}"
        served = copy_course(notebooks_dir, base / "course")
        dirs = {name: base / name for name in ("config", "data", "runtime", "ipython")}
        for d in dirs.values():
            d.mkdir(parents=True)
        # test-only Lab settings: attach every cell to the DOM (a widget far down the notebook can be found), and no
        # "get notified about Jupyter news?" toast over the notebook
        user_settings = dirs["config"] / "lab" / "user-settings" / "@jupyterlab"
        for plugin, values in LAB_SETTINGS.items():
            path = user_settings / f"{plugin}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))

        port, token = _free_port(), secrets.token_hex(24)
        env = dict(
            os.environ,
            JUPYTER_TOKEN=token,
            JUPYTER_CONFIG_DIR=str(dirs["config"]),
            JUPYTER_DATA_DIR=str(dirs["data"]),
            JUPYTER_RUNTIME_DIR=str(dirs["runtime"]),
            IPYTHONDIR=str(dirs["ipython"]),
            JUPYTER_PLATFORM_DIRS="1",
            PYTHONUNBUFFERED="1",
        )
        cmd = [
            sys.executable, "-m", "jupyter", "lab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            "--ServerApp.port_retries=0",
            f"--ServerApp.root_dir={served}",
            f"--LabApp.user_settings_dir={dirs['config'] / 'lab' / 'user-settings'}",
            f"--LabApp.workspaces_dir={dirs['config'] / 'lab' / 'workspaces'}",
            "--LabApp.expose_app_in_browser=True",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly",
        ]  # fmt: skip
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")  # test-only: CI containers often run as root; the Dockerfile never does
        log_path = base / "jupyter-server.log"
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(cmd, cwd=served, env=env, stdout=log, stderr=subprocess.STDOUT)
        server = LabServer(f"http://127.0.0.1:{port}", token, served, log_path, proc)
        servers.append(server)
        _wait_for_status(server)
        return server

    yield start

    for server in servers:
        _stop(server.proc)
        if _failed(request):
            print(f"\n----- JupyterLab server log ({server.log_path}) -----\n{server.log()}")


def _wait_for_status(server: LabServer) -> None:
    """Poll /api/status with the token until the server answers, with a deadline (no fixed sleeps)."""
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    last = ""
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with {server.proc.returncode}:\n{server.log()}")
        req = urllib.request.Request(f"{server.url}/api/status", headers={"Authorization": f"token {server.token}"})
        try:
            with urllib.request.urlopen(req, timeout=5) as resp:
                if resp.status == 200:
                    json.load(resp)
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError) as exc:
            last = repr(exc)
        try:  # poll interval: returns at once if the server process dies
            server.proc.wait(timeout=0.25)
        except subprocess.TimeoutExpired:
            pass
    raise RuntimeError(
        f"JupyterLab did not answer /api/status within {SERVER_START_TIMEOUT_S}s ({last}):\n{server.log()}"
    )


@pytest.fixture
def browser_page(request):
    """A headless system-Chromium page that may only reach 127.0.0.1; console errors are printed on failure."""
    chromium, said = find_chromium()
    if chromium is None:
        pytest.fail(
            f"no Chromium for the browser tests. tools/browser_setup.py said:\n{said}\n"
            "Run `python tools/browser_setup.py` (it installs Chromium on Debian/Ubuntu as root or with passwordless "
            "sudo) or `make browser`, or set LWE_CHROMIUM=/path/to/chromium. Never `playwright install`."
        )
    from playwright.sync_api import sync_playwright

    blocked: list[str] = []
    console: list[str] = []

    def guard(route):
        host = urlparse(route.request.url).hostname
        if host in ALLOWED_HOSTS:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.route("**/*", guard)
            page = context.new_page()
            page.on("console", lambda msg: console.append(f"[{msg.type}] {msg.text}") if msg.type == "error" else None)
            page.on("pageerror", lambda exc: console.append(f"[pageerror] {exc}"))
            yield page
        finally:
            if _failed(request):
                print("\n----- browser console errors -----\n" + ("\n".join(console[-50:]) or "(none)"))
            if blocked:
                print(f"\nblocked {len(blocked)} request(s) to other hosts, e.g. {blocked[:5]}")
            browser.close()
