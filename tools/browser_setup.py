"""Find (or install) the Chromium that the browser tests drive: the one helper behind `make test`, `make browser`
and `.ci/run` (tests/browser/conftest.py asks it too when LWE_CHROMIUM is not set).

Usage: python tools/browser_setup.py [--no-install] [--may-skip]     (standard library only: runs without the venv)

Where it looks, in order:
  1. $LWE_CHROMIUM, a path or a command name. When it is set, it must work: nothing else is tried.
  2. /usr/bin/chromium; chromium, chromium-browser, google-chrome, google-chrome-stable on PATH; the macOS app bundles
     of Google Chrome and Chromium. $LWE_CHROMIUM_CANDIDATES (separated by os.pathsep) replaces this list (tests).
A candidate counts only if `CANDIDATE --version` succeeds: Ubuntu's /usr/bin/chromium-browser is a shim that only says
"install the snap".

None found: on Debian/Ubuntu, as root or with passwordless sudo, it installs the `chromium` package with apt-get, says
so, and looks again. --no-install or LWE_BROWSER_INSTALL=0 turn that off. Otherwise it prints a loud block that names
the install command: a failure, or with --may-skip (what `make test` passes) a skipped stage -- unless CI is set.

Exit status and stdout (one line, for the Makefile):
  0  found: stdout is the browser's absolute path
  3  none found, --may-skip and CI unset: stdout is a one-line reason for the summary of `make test`
  1  none found (without --may-skip, or with CI set: CI runs every stage), or $LWE_CHROMIUM is set but does not work
Messages go to stderr and start with "browser: ". $LWE_OS_RELEASE (default /etc/os-release) is read to recognise
Debian/Ubuntu; tests point it elsewhere.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ENV_VAR = "LWE_CHROMIUM"
DEFAULT_CANDIDATES = [
    "/usr/bin/chromium",
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
]
APT_INSTALL = ["apt-get", "install", "-y", "--no-install-recommends", "chromium"]
VERSION_TIMEOUT_S = 30
EXIT_FOUND, EXIT_FAILED, EXIT_SKIP = 0, 1, 3
RULE = "*" * 100


def say(*lines: str) -> None:
    for line in lines:
        print(f"browser: {line}", file=sys.stderr, flush=True)


def truthy(value: str | None) -> bool:
    return (value or "").strip().lower() not in ("", "0", "false", "no", "off")


def candidates() -> list[str]:
    override = os.environ.get("LWE_CHROMIUM_CANDIDATES")
    if override is not None:
        return [c for c in override.split(os.pathsep) if c]
    return list(DEFAULT_CANDIDATES)


def resolve(candidate: str) -> str | None:
    """An absolute path for a path or a command name on PATH, if it is an executable file."""
    if os.sep in candidate or (os.altsep and os.altsep in candidate):
        path = Path(candidate).expanduser()
        return str(path.absolute()) if path.is_file() and os.access(path, os.X_OK) else None
    found = shutil.which(candidate)
    return str(Path(found).absolute()) if found else None


def version(path: str) -> tuple[str | None, str]:
    """(`PATH --version` output, why not): a browser that cannot even say its version cannot run the tests."""
    try:
        out = subprocess.run(
            [path, "--version"], capture_output=True, text=True, timeout=VERSION_TIMEOUT_S, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"'--version' failed ({exc.__class__.__name__}: {exc})"
    text = " ".join(out.stdout.split())
    if out.returncode != 0 or not text:
        detail = " ".join((out.stderr or out.stdout).split())[:160]
        return None, f"'--version' failed (exit {out.returncode}{': ' + detail if detail else ''})"
    return text, ""


def find() -> tuple[str | None, str | None]:
    """(path, version) of the first working candidate, or (None, None). Says which candidates it had to pass over."""
    seen: set[str] = set()
    for candidate in candidates():
        path = resolve(candidate)
        if path is None or path in seen:
            continue
        seen.add(path)
        ver, why = version(path)
        if ver:
            return path, ver
        hint = " (Ubuntu's snap shim?)" if "chromium-browser" in path else ""
        say(f"ignoring {path}: {why}{hint}")
    return None, None


def os_release() -> dict[str, str]:
    path = Path(os.environ.get("LWE_OS_RELEASE", "/etc/os-release"))
    try:
        text = path.read_text()
    except OSError:
        return {}
    info = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() and not key.lstrip().startswith("#"):
            info[key.strip()] = value.strip().strip("\"'")
    return info


def distro() -> str | None:
    """'debian' or 'ubuntu' (or a derivative of one of them), else None."""
    info = os_release()
    ids = [info.get("ID", "").lower(), *info.get("ID_LIKE", "").lower().split()]
    if "ubuntu" in ids:
        return "ubuntu"
    if "debian" in ids:
        return "debian"
    return None


def install_hint(dist: str | None) -> str:
    """The command to suggest when we cannot (or may not) install the browser ourselves."""
    if sys.platform == "darwin":
        return "brew install --cask google-chrome"
    if dist == "ubuntu":
        return "install Google Chrome (the google-chrome-stable .deb from https://www.google.com/chrome/)"
    if dist == "debian":
        return "sudo apt-get install chromium"
    return "install Chromium or Google Chrome with your package manager"


def privilege() -> tuple[list[str] | None, str]:
    """(command prefix, how) to run apt-get as root: [] as root, sudo -n with passwordless sudo, else None."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return [], "root"
    if shutil.which("sudo"):
        try:
            ok = subprocess.run(["sudo", "-n", "true"], capture_output=True, timeout=30).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            ok = False
        if ok:
            return ["sudo", "-n", "env", "DEBIAN_FRONTEND=noninteractive"], "passwordless sudo"
    return None, "not root and no passwordless sudo"


def can_install(allowed: bool) -> tuple[list[str] | None, str]:
    """(prefix, how) when this machine can install Chromium with apt-get; (None, why not) otherwise."""
    if not allowed:
        return None, "installing is turned off (--no-install or LWE_BROWSER_INSTALL=0)"
    if distro() is None:
        return None, "not Debian/Ubuntu" if sys.platform != "darwin" else "macOS: no apt-get"
    if not shutil.which("apt-get"):
        return None, "no apt-get on PATH"
    return privilege()


def run(cmd: list[str]) -> int:
    say("$ " + shlex.join(cmd))
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    try:  # apt's output goes to stderr: stdout carries only our one-line answer
        return subprocess.run(cmd, stdout=sys.stderr, stdin=subprocess.DEVNULL, env=env).returncode
    except OSError as exc:
        say(f"could not run {cmd[0]}: {exc}")
        return 127


def install(prefix: list[str], how: str, looked_for: str) -> bool:
    say(f"no Chromium found ({looked_for}); installing chromium with apt-get ({how}) ...")
    rc = run([*prefix, "apt-get", "update"])
    if rc == 0:
        rc = run([*prefix, *APT_INSTALL])
    if rc != 0:
        say(f"apt-get could not install chromium (exit {rc}).")
        if distro() == "ubuntu":
            say("on Ubuntu, Chromium comes as a snap (chromium-browser is only a shim), often unusable here: see below")
    return rc == 0


def describe_search() -> str:
    names = ", ".join(candidates()) or "(no candidates)"
    return f"looked for {names}; {ENV_VAR} is not set"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-install", action="store_true", help="never install a browser, only look for one")
    parser.add_argument(
        "--may-skip", action="store_true", help="none found: exit 3 (skip the stage) instead of 1, unless CI is set"
    )
    args = parser.parse_args(argv)
    ci = truthy(os.environ.get("CI"))

    explicit = os.environ.get(ENV_VAR, "").strip()
    if explicit:
        path = resolve(explicit)
        ver, why = version(path) if path else (None, "not an executable file (nor a command on PATH)")
        if not ver:
            say(f"{ENV_VAR}={explicit} does not work: {why}", f"point {ENV_VAR} at a Chromium or Chrome, or unset it")
            return EXIT_FAILED
        say(f"using {path} from {ENV_VAR} ({ver})")
        print(path)
        return EXIT_FOUND

    path, ver = find()
    if path:
        say(f"using {path} ({ver})")
        print(path)
        return EXIT_FOUND

    looked_for = describe_search()
    install_allowed = not args.no_install and truthy(os.environ.get("LWE_BROWSER_INSTALL", "1"))
    prefix, why = can_install(install_allowed)
    if prefix is not None:
        if install(prefix, why, looked_for):
            path, ver = find()
            if path:
                say(f"installed: using {path} ({ver})")
                print(path)
                return EXIT_FOUND
            why = "apt-get installed chromium, but no working Chromium turned up in the places above"
        else:
            why = "apt-get could not install it"

    hint = install_hint(distro())
    fix = f"{hint}, or set {ENV_VAR}=/path/to/chromium"
    if ci or not args.may_skip:
        ci_line = f"CI={os.environ.get('CI')}: CI must run the browser stage, so a missing browser fails."
        say(
            RULE,
            f"FAILED: no Chromium found, and this machine cannot install one ({why}).",
            *([ci_line] if ci else []),
            looked_for,
            f"fix: {fix}",
            RULE,
        )
        return EXIT_FAILED
    say(
        RULE,
        f"SKIPPING the browser stage: no Chromium found, and this machine cannot install one ({why}).",
        looked_for,
        f"to run it: {fix}; then: make browser",
        RULE,
    )
    print(f"no Chromium: {fix}")
    return EXIT_SKIP


if __name__ == "__main__":
    sys.exit(main())
