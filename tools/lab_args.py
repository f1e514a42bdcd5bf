"""The port and options `make lab` gives JupyterLab, and the lines it says about them. Standard library only.

Usage: python tools/lab_args.py [--port 8888] [--host 127.0.0.1]
stdout: one line of options for `jupyter lab`, e.g. `--port=8888 --ServerApp.port_retries=0` (plus `--allow-root` as
root); stderr: what the learner should know, each line starting with "lab: ".

* As root (in a container, say) JupyterLab refuses to start unless it gets --allow-root: it is added, and said.
* If the port asked for (8888 unless PORT=...) is taken on the host, a free port is picked and said. JupyterLab then
  gets that port with port_retries=0, so the URL it prints is the one announced here.
* Token authentication stays on: nothing here touches the token, so JupyterLab makes a random one and prints the
  http://127.0.0.1:PORT/lab?token=... URL to open.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys

DEFAULT_PORT = 8888
ROOT_NOTE = "running as root: adding --allow-root (JupyterLab refuses root otherwise)"


def say(line: str) -> None:
    print(f"lab: {line}", file=sys.stderr, flush=True)


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether JupyterLab could listen on host:port now (it binds with SO_REUSEADDR too: TIME_WAIT does not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def lab_args(port: int, host: str = "127.0.0.1", root: bool | None = None) -> tuple[list[str], list[str]]:
    """(options for `jupyter lab`, lines to say): the port to use, and --allow-root as root."""
    root = is_root() if root is None else root
    notes = []
    if not port_is_free(port, host):
        wanted, port = port, free_port(host)
        notes.append(f"port {wanted} is taken on {host}: using the free port {port} instead")
    args = [f"--port={port}", "--ServerApp.port_retries=0"]  # exactly this port: the URL below stays right
    if root:
        args.append("--allow-root")
        notes.append(ROOT_NOTE)
    notes.append(f"starting JupyterLab on notebooks/ at http://{host}:{port}/ (token authentication is on)")
    notes.append(f"open the http://{host}:{port}/lab?token=... URL that Jupyter prints below; stop it with Ctrl-C")
    return args, notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="the port to try first (default 8888)")
    parser.add_argument("--host", default="127.0.0.1", help="the address JupyterLab listens on")
    args = parser.parse_args(argv)
    if not 0 < args.port < 65536:
        parser.error(f"--port {args.port}: not a TCP port")
    options, notes = lab_args(args.port, args.host)
    for note in notes:
        say(note)
    print(" ".join(options))
    return 0


if __name__ == "__main__":
    sys.exit(main())
