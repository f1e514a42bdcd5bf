"""`make lab` (tools/lab_args.py): as root it adds --allow-root and says so, a taken port is swapped for a free one and
said, and token authentication is never switched off. Nothing here starts JupyterLab."""

from __future__ import annotations

import importlib.util
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HELPER = ROOT / "tools" / "lab_args.py"


def load_helper():
    spec = importlib.util.spec_from_file_location("lab_args", HELPER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


la = load_helper()


@pytest.fixture
def taken_port():
    """A port something is listening on, on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        yield s.getsockname()[1]


def port_of(args: list[str]) -> int:
    (port,) = [int(a.split("=", 1)[1]) for a in args if a.startswith("--port=")]
    return port


def test_a_free_port_is_kept_and_jupyter_may_not_drift_from_it():
    port = la.free_port()
    args, notes = la.lab_args(port, root=False)
    assert port_of(args) == port and "--ServerApp.port_retries=0" in args
    assert "--allow-root" not in args
    assert not any("taken" in n for n in notes)
    assert any(f"http://127.0.0.1:{port}/lab?token=" in n for n in notes)


def test_a_taken_port_is_swapped_for_a_free_one_and_said(taken_port):
    assert not la.port_is_free(taken_port)
    args, notes = la.lab_args(taken_port, root=False)
    port = port_of(args)
    assert port != taken_port and la.port_is_free(port)
    assert any(f"port {taken_port} is taken" in n and f"free port {port}" in n for n in notes)
    assert any(f"http://127.0.0.1:{port}/" in n for n in notes), "the announced URL must name the port in use"


def test_root_gets_allow_root_with_a_one_line_note():
    args, notes = la.lab_args(la.free_port(), root=True)
    assert "--allow-root" in args
    assert la.ROOT_NOTE in notes
    assert la.ROOT_NOTE == "running as root: adding --allow-root (JupyterLab refuses root otherwise)"


@pytest.mark.parametrize("root", [True, False])
def test_token_authentication_stays_on(root, taken_port):
    for port in (taken_port, la.free_port()):
        args, _ = la.lab_args(port, root=root)
        joined = " ".join(args)
        assert "token" not in joined.lower() and "password" not in joined.lower(), joined
        assert "--ip" not in joined and "0.0.0.0" not in joined


def test_the_script_prints_options_on_stdout_and_notes_on_stderr(taken_port):
    out = subprocess.run(
        [sys.executable, str(HELPER), "--port", str(taken_port)], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    options = out.stdout.split()
    assert len(out.stdout.strip().splitlines()) == 1
    assert all(o.startswith("--") for o in options)
    assert port_of(options) != taken_port
    assert all(line.startswith("lab: ") for line in out.stderr.strip().splitlines())
    assert f"port {taken_port} is taken" in out.stderr
    assert ("--allow-root" in options) == la.is_root()
    assert (la.ROOT_NOTE in out.stderr) == la.is_root()


def test_make_lab_uses_the_helper_and_never_empties_the_token():
    out = subprocess.run(["make", "-n", "lab"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "tools/lab_args.py --port 8888" in out.stdout
    assert re.search(r"jupyter lab --ServerApp\.root_dir=notebooks --ip=127\.0\.0\.1 \$args", out.stdout)
    assert not re.search(r"(token|password)\s*=", out.stdout, re.I), out.stdout
    other = subprocess.run(["make", "-n", "lab", "PORT=8890"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert "tools/lab_args.py --port 8890" in other.stdout
