"""tools/browser_setup.py, the one helper that finds (or installs) the Chromium behind `make test`, `make browser` and
.ci/run; the summary `make test` prints of which stages ran; and the course's JupyterLab defaults (no news pop-up).

Nothing here installs anything or looks at the machine's own browser: the helper runs in a subprocess with a PATH of
temporary folders, LWE_CHROMIUM_CANDIDATES pointing into tmp_path and LWE_OS_RELEASE at a fake /etc/os-release; the
"browsers", apt-get and sudo it finds there are small scripts that log what they were asked to do.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HELPER = ROOT / "tools" / "browser_setup.py"
SKIP_REASON = "no Chromium: {hint}, or set LWE_CHROMIUM=/path/to/chromium"
MAC = sys.platform == "darwin"
HINT = "brew install --cask google-chrome" if MAC else "sudo apt-get install chromium"  # on Debian (clean_env's)
# what the environment of the test run may carry and must not leak into the helper or the inner make
LEAKY = ("CI", "LWE_CHROMIUM", "LWE_CHROMIUM_CANDIDATES", "LWE_BROWSER_INSTALL", "LWE_OS_RELEASE", "LWE_SKIP_NOTE")
MAKE_VARS = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "MAKE_TERMOUT", "MAKE_TERMERR")

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the helper's fakes are POSIX shell scripts")


def load_helper():
    spec = importlib.util.spec_from_file_location("browser_setup", HELPER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_exe(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)
    return path


def fake_browser(path: Path, version: str = "Chromium 999.0.1 fake", rc: int = 0) -> Path:
    """A 'browser' that only answers --version (shell builtins only: it runs with a PATH of empty folders)."""
    return write_exe(path, f'#!/bin/sh\necho "{version}"\nexit {rc}\n')


def fake_tools(bin_dir: Path, log: Path, install_fails: bool = False) -> None:
    """apt-get and sudo that log their calls; `apt-get install` puts a fake browser at $FAKE_INSTALL_TARGET."""
    py = f"#!{sys.executable}\nimport os, sys\n"
    log_line = f"open({str(log)!r}, 'a').write(' '.join([os.path.basename(sys.argv[0]), *sys.argv[1:]]) + "
    write_exe(
        bin_dir / "apt-get",
        py + log_line + "' DEBIAN_FRONTEND=' + os.environ.get('DEBIAN_FRONTEND', '') + '\\n')\n"
        "if sys.argv[1] == 'install':\n"
        + (
            "    print('E: Unable to locate package chromium', file=sys.stderr)\n    sys.exit(100)\n"
            if install_fails
            else "    target = os.environ['FAKE_INSTALL_TARGET']\n"
            "    os.makedirs(os.path.dirname(target), exist_ok=True)\n"
            "    open(target, 'w').write('#!/bin/sh\\necho \"Chromium 1.2.3 installed-fake\"\\n')\n"
            "    os.chmod(target, 0o755)\n"
        ),
    )
    write_exe(  # sudo -n [env VAR=value ...] CMD...: run CMD (found on PATH) with those variables
        bin_dir / "sudo",
        py + log_line + "'\\n')\n"
        "args = sys.argv[1:]\n"
        "args = args[1:] if args[:1] == ['-n'] else args\n"
        "if args == ['true']:\n    sys.exit(0)\n"
        "args = args[1:] if args[:1] == ['env'] else args\n"
        "env = dict(os.environ)\n"
        "while args and '=' in args[0]:\n    key, _, value = args.pop(0).partition('=')\n    env[key] = value\n"
        "os.execvpe(args[0], args, env)\n",
    )


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """Debian, but nothing on PATH (so no apt-get: nothing can be installed), and no browser among the candidates."""
    env = {k: v for k, v in os.environ.items() if k not in LEAKY and k not in MAKE_VARS}
    (tmp_path / "debian-os-release").write_text('PRETTY_NAME="fake Debian"\nID=debian\n')
    env.update(
        PATH=str(tmp_path / "empty-bin"),
        LWE_OS_RELEASE=str(tmp_path / "debian-os-release"),
        LWE_CHROMIUM_CANDIDATES=str(tmp_path / "nowhere" / "chromium"),
    )
    env.update(extra)
    return env


def helper(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(HELPER), *args], env=env, capture_output=True, text=True, timeout=120)


def lines(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if ln.strip()]


# --- finding a browser ------------------------------------------------------------------------------------------------


def test_the_default_candidates_are_the_usual_places():
    candidates = load_helper().DEFAULT_CANDIDATES
    assert candidates[0] == "/usr/bin/chromium"
    for name in ("chromium", "chromium-browser", "google-chrome"):
        assert name in candidates


def test_finds_a_browser_on_path(tmp_path):
    chrome = fake_browser(tmp_path / "bin" / "google-chrome", "Google Chrome 999.0 fake")
    env = clean_env(
        tmp_path, PATH=str(tmp_path / "bin"), LWE_CHROMIUM_CANDIDATES="chromium:chromium-browser:google-chrome"
    )
    out = helper(env)
    assert out.returncode == 0, out.stderr
    assert out.stdout == f"{chrome}\n"
    assert lines(out.stderr) == [f"browser: using {chrome} (Google Chrome 999.0 fake)"]


def test_passes_over_a_browser_that_cannot_say_its_version(tmp_path):
    """Ubuntu's /usr/bin/chromium-browser is a shim that only asks for the snap: it must not count as a browser."""
    shim = fake_browser(tmp_path / "bin" / "chromium-browser", "Command requires the chromium snap to be installed", 1)
    chrome = fake_browser(tmp_path / "bin" / "google-chrome")
    env = clean_env(tmp_path, PATH=str(tmp_path / "bin"), LWE_CHROMIUM_CANDIDATES="chromium-browser:google-chrome")
    out = helper(env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(chrome)
    assert f"browser: ignoring {shim}: '--version' failed (exit 1" in out.stderr
    assert "snap" in out.stderr


def test_honours_the_environment_variable_before_any_candidate(tmp_path):
    fake_browser(tmp_path / "bin" / "chromium")
    mine = fake_browser(tmp_path / "elsewhere" / "my-chrome", "Google Chrome 1.0 mine")
    env = clean_env(tmp_path, PATH=str(tmp_path / "bin"), LWE_CHROMIUM_CANDIDATES="chromium", LWE_CHROMIUM=str(mine))
    out = helper(env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(mine)
    assert lines(out.stderr) == [f"browser: using {mine} from LWE_CHROMIUM (Google Chrome 1.0 mine)"]


def test_a_broken_environment_variable_fails_without_falling_back(tmp_path):
    fake_browser(tmp_path / "bin" / "chromium")
    env = clean_env(
        tmp_path, PATH=str(tmp_path / "bin"), LWE_CHROMIUM_CANDIDATES="chromium", LWE_CHROMIUM="/no/such/chromium"
    )
    for args in ((), ("--may-skip",)):
        out = helper(env, *args)
        assert out.returncode == 1
        assert out.stdout == ""
        assert "browser: LWE_CHROMIUM=/no/such/chromium does not work: not an executable file" in out.stderr


# --- none found -------------------------------------------------------------------------------------------------------


def test_none_found_fails_and_names_the_install_command(tmp_path):
    out = helper(clean_env(tmp_path))
    assert out.returncode == 1
    assert out.stdout == ""
    why = "macOS: no apt-get" if MAC else "no apt-get on PATH"
    assert f"browser: FAILED: no Chromium found, and this machine cannot install one ({why})." in out.stderr
    assert f"browser: fix: {HINT}, or set LWE_CHROMIUM=/path/to/chromium" in out.stderr
    assert "LWE_CHROMIUM is not set" in out.stderr


def test_none_found_may_skip_the_stage_loudly(tmp_path):
    out = helper(clean_env(tmp_path), "--may-skip")
    assert out.returncode == 3, out.stderr
    assert out.stdout == SKIP_REASON.format(hint=HINT) + "\n"  # one line: the reason in make test's summary
    err = lines(out.stderr)
    assert all(ln.startswith("browser: ") for ln in err)
    assert err[0] == err[-1] == "browser: " + "*" * 100
    assert "browser: SKIPPING the browser stage: no Chromium found, and this machine cannot install one" in out.stderr
    assert f"browser: to run it: {HINT}, or set LWE_CHROMIUM=/path/to/chromium; then: make browser" in out.stderr


@pytest.mark.parametrize("ci", ["true", "1", "yes"])
def test_none_found_under_ci_is_a_failure_even_with_may_skip(tmp_path, ci):
    out = helper(clean_env(tmp_path, CI=ci), "--may-skip")
    assert out.returncode == 1
    assert out.stdout == ""
    assert f"browser: CI={ci}: CI must run the browser stage, so a missing browser fails." in out.stderr
    assert "browser: FAILED: no Chromium found" in out.stderr


@pytest.mark.parametrize("ci", ["", "false", "0"])
def test_ci_unset_or_false_may_skip(tmp_path, ci):
    assert helper(clean_env(tmp_path, CI=ci), "--may-skip").returncode == 3


# --- installing -------------------------------------------------------------------------------------------------------


def install_env(tmp_path: Path, distro: str, **extra: str) -> dict[str, str]:
    """Debian or Ubuntu with the fake apt-get and sudo on PATH; `apt-get install` creates the first candidate."""
    (tmp_path / "os-release").write_text(f'PRETTY_NAME="fake"\nID={distro}\n')
    target = tmp_path / "usr" / "bin" / "chromium"
    env = dict(
        PATH=str(tmp_path / "bin"),
        LWE_OS_RELEASE=str(tmp_path / "os-release"),
        LWE_CHROMIUM_CANDIDATES=f"{target}:chromium",
        FAKE_INSTALL_TARGET=str(target),
    )
    return clean_env(tmp_path, **{**env, **extra})


def test_installs_chromium_with_apt_get_on_debian_and_says_so(tmp_path):
    log = tmp_path / "calls.log"
    fake_tools(tmp_path / "bin", log)
    target = tmp_path / "usr" / "bin" / "chromium"
    out = helper(install_env(tmp_path, "debian"), "--may-skip")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(target)
    root = os.geteuid() == 0
    how = "root" if root else "passwordless sudo"
    sudo = [] if root else ["sudo", "-n", "env", "DEBIAN_FRONTEND=noninteractive"]
    err = lines(out.stderr)
    assert err[0] == (
        f"browser: no Chromium found (looked for {target}, chromium; LWE_CHROMIUM is not set); "
        f"installing chromium with apt-get ({how}) ..."
    )
    assert "browser: $ " + " ".join([*sudo, "apt-get", "update"]) in err
    install = " ".join([*sudo, "apt-get", "install", "-y", "--no-install-recommends", "chromium"])
    assert "browser: $ " + install in err
    assert err[-1] == f"browser: installed: using {target} (Chromium 1.2.3 installed-fake)"
    calls = [c for c in log.read_text().splitlines() if c.startswith("apt-get")]
    assert calls == [
        "apt-get update DEBIAN_FRONTEND=noninteractive",
        "apt-get install -y --no-install-recommends chromium DEBIAN_FRONTEND=noninteractive",
    ]


def test_a_failed_install_on_ubuntu_says_what_to_do_then_skips(tmp_path):
    log = tmp_path / "calls.log"
    fake_tools(tmp_path / "bin", log, install_fails=True)
    out = helper(install_env(tmp_path, "ubuntu"), "--may-skip")
    assert out.returncode == 3, out.stderr
    assert "browser: apt-get could not install chromium (exit 100)." in out.stderr
    assert "on Ubuntu, Chromium comes as a snap" in out.stderr
    assert "google-chrome-stable" in out.stderr and "LWE_CHROMIUM=/path/to/chromium" in out.stderr
    assert "cannot install one (apt-get could not install it)" in out.stderr
    hint = "brew install --cask google-chrome" if sys.platform == "darwin" else "install Google Chrome"
    assert out.stdout.startswith(f"no Chromium: {hint}")


def test_a_failed_install_under_ci_fails(tmp_path):
    fake_tools(tmp_path / "bin", tmp_path / "calls.log", install_fails=True)
    out = helper(install_env(tmp_path, "debian", CI="true"), "--may-skip")
    assert out.returncode == 1
    assert (
        "browser: FAILED: no Chromium found, and this machine cannot install one (apt-get could not install it)."
        in out.stderr
    )
    assert "CI=true: CI must run the browser stage" in out.stderr


@pytest.mark.parametrize("how", [("--no-install",), ("LWE_BROWSER_INSTALL", "0")])
def test_installing_can_be_turned_off(tmp_path, how):
    log = tmp_path / "calls.log"
    fake_tools(tmp_path / "bin", log)
    env = install_env(tmp_path, "debian", **({how[0]: how[1]} if len(how) == 2 else {}))
    out = helper(env, "--may-skip", *(how if len(how) == 1 else ()))
    assert out.returncode == 3, out.stderr
    assert not log.exists(), "apt-get or sudo ran although installing was turned off"
    assert "installing is turned off (--no-install or LWE_BROWSER_INSTALL=0)" in out.stderr


def test_other_systems_cannot_install_and_get_a_fitting_hint(tmp_path):
    mod = load_helper()
    assert mod.install_hint("debian") == "sudo apt-get install chromium"
    assert "google-chrome-stable" in mod.install_hint("ubuntu")
    fake_tools(tmp_path / "bin", tmp_path / "calls.log")
    env = install_env(tmp_path, "debian", LWE_OS_RELEASE=str(tmp_path / "no-os-release"))  # apt-get, but not Debian
    out = helper(env, "--may-skip")
    assert out.returncode == 3
    assert not (tmp_path / "calls.log").exists()
    why = "macOS: no apt-get" if MAC else "not Debian/Ubuntu"
    assert f"cannot install one ({why})" in out.stderr
    hint = mod.install_hint(None)
    assert hint == (
        "brew install --cask google-chrome" if MAC else "install Chromium or Google Chrome with your package manager"
    )
    assert out.stdout == SKIP_REASON.format(hint=hint) + "\n"


def test_recognises_debian_and_ubuntu_and_their_derivatives(tmp_path, monkeypatch):
    mod = load_helper()
    release = tmp_path / "os-release"
    monkeypatch.setenv("LWE_OS_RELEASE", str(release))
    for text, expected in [
        ("ID=debian\n", "debian"),
        ('ID="ubuntu"\nID_LIKE=debian\n', "ubuntu"),
        ("ID=linuxmint\nID_LIKE=ubuntu\n", "ubuntu"),
        ("ID=raspbian\nID_LIKE=debian\n", "debian"),
        ('ID=fedora\nID_LIKE="rhel centos"\n', None),
    ]:
        release.write_text(text)
        assert mod.distro() == expected, text
    release.unlink()
    assert mod.distro() is None


def test_not_root_needs_passwordless_sudo(tmp_path, monkeypatch):
    """Simulated non-root user (the test may run as root): sudo -n decides."""
    mod = load_helper()
    monkeypatch.setattr(mod.os, "geteuid", lambda: 1000)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    assert mod.privilege() == (None, "not root and no passwordless sudo")  # no sudo at all
    write_exe(tmp_path / "bin" / "sudo", "#!/bin/sh\necho 'sudo: a password is required' >&2\nexit 1\n")
    assert mod.privilege() == (None, "not root and no passwordless sudo")
    write_exe(tmp_path / "bin" / "sudo", "#!/bin/sh\nexit 0\n")
    assert mod.privilege() == (["sudo", "-n", "env", "DEBIAN_FRONTEND=noninteractive"], "passwordless sudo")


# --- make test: which stages ran --------------------------------------------------------------------------------------


@pytest.fixture
def fake_venv(tmp_path):
    """A stand-in for .venv (make VENV=...): an up-to-date stamp, the real python, a pytest and hadolint that log."""
    venv = tmp_path / "venv"
    log = tmp_path / "tools.log"
    write_exe(venv / "bin" / "python", f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    for tool in ("pytest", "hadolint"):
        write_exe(venv / "bin" / tool, f'#!/bin/sh\necho "{tool} $* LWE_CHROMIUM=$LWE_CHROMIUM" >> "{log}"\n')
    (venv / ".installed").touch()  # newer than requirements.txt: make does not reinstall anything
    return venv, log


def make(tmp_path: Path, venv: Path, target: str, *, browser: Path | None, ci: str = "") -> subprocess.CompletedProcess:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    env = clean_env(  # the real PATH has apt-get: installing is off twice (the flag, and not Debian/Ubuntu)
        tmp_path,
        CI=ci,
        LWE_BROWSER_INSTALL="0",
        LWE_OS_RELEASE=str(tmp_path / "no-os-release"),
        LWE_CHROMIUM_CANDIDATES=str(tmp_path / "browsers" / "x"),
    )
    env["PATH"] = os.environ["PATH"]  # the recipes need date, mktemp, cat...; the browser search uses the candidates
    if browser is not None:
        env["LWE_CHROMIUM_CANDIDATES"] = str(browser)
    cmd = ["make", "--no-print-directory", "-C", str(ROOT), target, f"VENV={venv}", "STAGES=dockerlint browser"]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)


def test_make_test_runs_the_browser_stage_with_the_browser_the_helper_found(tmp_path, fake_venv):
    venv, log = fake_venv
    browser = fake_browser(tmp_path / "browsers" / "chromium")
    out = make(tmp_path, venv, "test", browser=browser)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "=== stages run: dockerlint browser; skipped: none" in out.stdout
    assert re.search(r"^=== all stages passed in \d+s$", out.stdout, re.M)
    assert f"browser: using {browser} (Chromium 999.0.1 fake)" in out.stderr
    assert log.read_text().splitlines() == [
        "hadolint Dockerfile LWE_CHROMIUM=",
        f"pytest -m browser -rP tests/browser LWE_CHROMIUM={browser}",
    ]


def test_make_test_skips_the_browser_stage_loudly_and_says_so_at_the_end(tmp_path, fake_venv):
    venv, log = fake_venv
    out = make(tmp_path, venv, "test", browser=None)
    assert out.returncode == 0, out.stdout + out.stderr
    reason = SKIP_REASON.format(hint=load_helper().install_hint(None))
    assert f"=== browser SKIPPED: {reason}" in out.stdout
    assert f"=== stages run: dockerlint; skipped: browser ({reason})" in out.stdout
    assert re.search(r"^=== passed in \d+s, but NOT every stage ran \(see above\)$", out.stdout, re.M)
    assert "all stages passed" not in out.stdout
    assert "browser: SKIPPING the browser stage" in out.stderr
    assert log.read_text().splitlines() == ["hadolint Dockerfile LWE_CHROMIUM="], "pytest ran without a browser"


def test_make_test_fails_without_a_browser_under_ci(tmp_path, fake_venv):
    venv, log = fake_venv
    out = make(tmp_path, venv, "test", browser=None, ci="true")
    assert out.returncode != 0
    assert re.search(r"^=== browser FAILED after \d+s$", out.stdout, re.M)
    assert "=== stages run: dockerlint; failed: browser (later stages not run)" in out.stdout
    assert "browser: CI=true: CI must run the browser stage" in out.stderr
    assert "SKIPPED" not in out.stdout


def test_make_browser_alone_fails_without_a_browser(tmp_path, fake_venv):
    venv, log = fake_venv
    out = make(tmp_path, venv, "browser", browser=None)
    assert out.returncode != 0
    assert "browser: FAILED: no Chromium found" in out.stderr
    assert not log.exists(), "pytest ran without a browser"


# --- the callers use this helper --------------------------------------------------------------------------------------


def test_ci_and_the_browser_tests_ask_the_helper():
    ci = (ROOT / ".ci" / "run").read_text()
    code = "\n".join(ln.split("#")[0] for ln in ci.splitlines())
    assert "tools/browser_setup.py" in code
    assert "/usr/bin/chromium" not in code, ".ci/run must not look for the browser itself"
    assert code.index("tools/browser_setup.py") < code.index("make test")
    conftest = (ROOT / "tests" / "browser" / "conftest.py").read_text()
    assert "browser_setup.py" in conftest and "LWE_CHROMIUM" in conftest
    assert 'Path("/usr/bin/chromium")' not in conftest


# --- JupyterLab: no "get notified about official Jupyter news?" pop-up on first start --------------------------------

OVERRIDES = ROOT / "jupyter" / "lab" / "settings" / "overrides.json"
NOTIFICATION = "@jupyterlab/apputils-extension:notification"


def test_lab_overrides_turn_the_news_question_off():
    overrides = json.loads(OVERRIDES.read_text())
    assert overrides[NOTIFICATION]["fetchNews"] == "false"  # "none" (the default) is what makes Lab ask
    assert overrides[NOTIFICATION]["checkForUpdates"] is False
    schema_path = Path(sys.prefix) / "share/jupyter/lab/schemas/@jupyterlab/apputils-extension/notification.json"
    if schema_path.exists():  # the values must be ones this JupyterLab accepts
        props = json.loads(schema_path.read_text())["properties"]
        assert "false" in [c["const"] for c in props["fetchNews"]["oneOf"]]
        assert props["checkForUpdates"]["type"] == "boolean"
        assert set(overrides[NOTIFICATION]) <= set(props)


def test_make_venv_and_the_dockerfile_put_the_overrides_where_lab_reads_them():
    """JupyterLab reads {app_dir}/settings/overrides.json, app_dir = {sys.prefix}/share/jupyter/lab."""
    out = subprocess.run(["make", "-n", "-B", "venv"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "cp jupyter/lab/settings/overrides.json .venv/share/jupyter/lab/settings/overrides.json" in out.stdout
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11[^\s]*$", dockerfile, re.M), "python images: sys.prefix is /usr/local"
    assert re.search(
        r"^COPY jupyter/lab/settings/overrides\.json /usr/local/share/jupyter/lab/settings/overrides\.json$",
        dockerfile,
        re.M,
    )
    from jupyterlab.commands import get_app_dir

    if not os.environ.get("JUPYTERLAB_DIR"):
        assert Path(get_app_dir()) == Path(sys.prefix) / "share" / "jupyter" / "lab"
