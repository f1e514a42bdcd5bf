"""Build the course's static website: ``make site`` -> ``build/site/index.html``. Nothing is executed.

Every chapter page is made from its committed, executed notebook: prose, code, the saved outputs and plots. Sphinx with
myst-nb renders them (``nb_execution_mode = "off"`` in site/conf.py; the pins are in requirements.txt), with the
sphinx-book-theme layout: a chapter sidebar and previous/next links. Before Sphinx sees them, the notebooks are copied
to a work folder (the committed ones are never touched) and prepared there:

* contents page: ``index.md``, made from the chapter table in README.md (rows ``| `NN_name` | what you learn |``).
  A chapter is linked when ``notebooks/NN_name.ipynb`` exists; planned chapters are listed without a link. A notebook
  that the table does not list yet is still built and listed after it.
* widgets: JupyterLab draws a widget from its saved state with JavaScript loaded from a CDN, which a static, offline
  site cannot rely on. Each widget output is replaced by a static HTML snapshot of that saved state (the HTML, images,
  slider positions and choices it showed when the notebook was saved), and every chapter page says plainly that the
  widgets respond only in a running Jupyter (``make lab``, Docker or Binder).
* taught errors: a cell marked ``# NBVAL_RAISES_EXCEPTION`` shows an error on purpose; on the site it shows only the
  error's last line (``ValueError: ...``), not the whole traceback.

Usage: python tools/build_site.py [--out build/site] [--readme README.md] [--notebooks notebooks]
The repository URL for the Binder links comes from $LWE_REPOSITORY_URL, else from `git remote get-url origin`; with
neither, the pages carry no Binder link.
"""

from __future__ import annotations

import argparse
import base64
import html
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import nbformat

ROOT = Path(__file__).resolve().parents[1]
CONF_DIR = ROOT / "site"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
RAISES_MARKER = "NBVAL_RAISES_EXCEPTION"
# `| `00_welcome` | how the course works ... |` and `| `06_nonlinear` (planned) | ... |`
CHAPTER_ROW = re.compile(
    r"^\|\s*`(?P<stem>\d\d_[A-Za-z0-9_]+)`\s*(?P<planned>\(planned\))?\s*\|\s*(?P<what>.*?)\s*\|\s*$"
)
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
BINDER = "https://mybinder.org/v2/gh/{slug}/HEAD"
# where the Dockerfile puts the course: Binder starts Jupyter in the image's working directory, /home/${NB_USER}
BINDER_NOTEBOOKS = "course/notebooks"


@dataclass
class Chapter:
    stem: str  # 03_fixed_point
    what: str  # the README's "You leave knowing" cell (Markdown)
    planned: bool  # marked "(planned)" in the README
    has_notebook: bool = False
    title: str = ""  # the notebook's first heading, when it has one


@dataclass
class SiteBuild:
    out: Path  # the HTML site: out/index.html
    src: Path  # the prepared sources Sphinx read (contents page + notebook copies)
    chapters: list[Chapter]
    log: str  # everything sphinx-build printed
    seconds: float
    notes: list[str] = field(default_factory=list)  # what the preparation changed or noticed, one line each


# --- contents page ----------------------------------------------------------------------------------------------------


def read_chapter_table(readme: str) -> list[Chapter]:
    """The chapters of the README's table, in its order."""
    return [
        Chapter(m["stem"], m["what"], bool(m["planned"]))
        for m in map(CHAPTER_ROW.match, readme.splitlines())
        if m is not None
    ]


def readme_intro(readme: str) -> str:
    """The README's paragraphs between its title and its first `##` section."""
    lines = readme.splitlines()
    body = []
    for line in lines[1:] if lines and lines[0].startswith("# ") else lines:
        if line.startswith("## "):
            break
        body.append(line)
    return "\n".join(body).strip()


def notebook_title(nb) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return ""


def contents_page(title: str, intro: str, chapters: list[Chapter], binder: str | None) -> str:
    """index.md: the README's introduction, the chapter table with links, and the (hidden) toctree for the sidebar."""
    run_it = (
        "This site shows every chapter as it was last run: the text, the code and its saved outputs and plots. "
        "The interactive widgets are shown as they were saved and **respond only in a running Jupyter**: run "
        "`make lab` in a clone of the repository (see its README), use the Docker image"
        + (f", or [launch the course on Binder]({binder_link(binder, '00_welcome')})" if binder else "")
        + ". The exercises check your answers there too."
    )
    rows = []
    for ch in chapters:
        name = f"[{ch.title or ch.stem}]({ch.stem}.ipynb)" if ch.has_notebook else f"`{ch.stem}` (planned)"
        what = ch.what.replace("|", "\\|")
        rows.append(f"| {name} | {what} |")
    toctree = "\n".join(ch.stem for ch in chapters if ch.has_notebook)
    return "\n".join(
        [
            f"# {title}",
            "",
            intro,
            "",
            "```{note}",
            run_it,
            "```",
            "",
            "## Chapters",
            "",
            "| Chapter | You leave knowing |",
            "|---|---|",
            *rows,
            "",
            "```{toctree}",
            ":hidden:",
            ":maxdepth: 1",
            "",
            toctree,
            "```",
            "",
        ]
    )


# --- notebooks: widgets, taught errors, the note under the title ------------------------------------------------------


def _esc(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


class WidgetSnapshot:
    """Static HTML for a widget from the widget state a notebook saved (metadata.widgets): what it showed, frozen.

    Covers the ipywidgets controls the course uses (boxes, HTML, Label, Image, Button, sliders, text fields, dropdowns,
    checkboxes, progress bars, Output); any other widget shows its plain-text fallback. CSS classes the widget had
    (``_dom_classes``, e.g. cl-precision-explorer) are kept, so the course's own <style> in an HTML value still applies.
    """

    def __init__(self, state: dict):
        self.models = state.get("state", {}) if isinstance(state, dict) else {}

    def model(self, ref) -> dict | None:
        key = ref[len("IPY_MODEL_") :] if isinstance(ref, str) and ref.startswith("IPY_MODEL_") else ref
        return self.models.get(key)

    def render(self, model_id: str) -> str | None:
        """The snapshot of the widget with this id, or None when the notebook saved no state for it."""
        if self.model(model_id) is None:
            return None
        inner = self._render(model_id, depth=0)
        return (
            '<div class="lwe-widget-snapshot" title="Saved widget state: it responds only in a running Jupyter">'
            f"{inner}"
            '<div class="lwe-widget-caption">widget as saved &middot; it responds only in a running Jupyter</div>'
            "</div>"
        )

    def _style(self, m: dict) -> str:
        layout = (self.model(m["state"].get("layout")) or {}).get("state", {})
        css = []
        for key in ("width", "height", "max_width", "min_width", "margin", "padding"):
            value = layout.get(key)
            if value:
                css.append(f"{key.replace('_', '-')}: {value}")
        return f' style="{_esc("; ".join(css))}"' if css else ""

    def _hidden(self, m: dict) -> bool:
        layout = (self.model(m["state"].get("layout")) or {}).get("state", {})
        return layout.get("display") == "none" or layout.get("visibility") == "hidden"

    def _desc(self, s: dict) -> str:
        d = s.get("description")
        if not d:
            return ""
        text = d if s.get("description_allow_html") else _esc(d)
        return f'<span class="lwe-w-desc">{text}</span>'

    def _render(self, ref, depth: int) -> str:
        m = self.model(ref)
        if m is None or depth > 50 or self._hidden(m):
            return ""
        s = m.get("state", {})
        name = m.get("model_name", s.get("_model_name", ""))
        kind = name[: -len("Model")] if name.endswith("Model") else name
        leaf = "children" not in s and kind not in ("HTML", "HTMLMath", "Label", "Image", "Output")
        control = ["lwe-w-control"] if leaf else []
        classes = " ".join(["lwe-w", f"lwe-w-{kind.lower()}", *control, *map(str, s.get("_dom_classes", []))])
        attrs = f' class="{_esc(classes)}"{self._style(m)}'
        tip = f' title="{_esc(s["tooltip"])}"' if s.get("tooltip") else ""
        if "children" in s:  # VBox, HBox, Box, GridBox, Accordion, Tab, Stack
            titles = s.get("titles") or []
            parts = []
            for i, child in enumerate(s.get("children", [])):
                if kind in ("Accordion", "Tab") and i < len(titles) and titles[i]:
                    parts.append(f'<div class="lwe-w-title">{_esc(titles[i])}</div>')
                parts.append(self._render(child, depth + 1))
            return f"<div{attrs}>{''.join(parts)}</div>"
        if kind in ("HTML", "HTMLMath"):
            return f'<div{attrs}{tip}>{self._desc(s)}<div class="lwe-w-value">{s.get("value", "")}</div></div>'
        if kind == "Label":
            return f"<div{attrs}{tip}>{_esc(s.get('value'))}</div>"
        if kind == "Image":
            return f"<div{attrs}>{self._image(m)}</div>"
        if kind in ("Button", "ToggleButton"):
            pressed = " lwe-w-pressed" if s.get("value") is True else ""
            style = f" lwe-w-{s['button_style']}" if s.get("button_style") else ""
            return (
                f'<div{attrs}><button type="button" disabled class="lwe-w-button{style}{pressed}"{tip}>'
                f"{_esc(s.get('description'))}</button></div>"
            )
        if kind in ("Checkbox", "Valid"):
            checked = " checked" if s.get("value") else ""
            return f'<div{attrs}{tip}><input type="checkbox" disabled{checked}> {_esc(s.get("description"))}</div>'
        if "_options_labels" in s:  # Dropdown, Select, RadioButtons, ToggleButtons, SelectionSlider, ...
            labels = s.get("_options_labels") or []
            chosen = s.get("index")
            chosen = set(chosen) if isinstance(chosen, list) else {chosen}
            options = "".join(
                f"<option{' selected' if i in chosen else ''}>{_esc(label)}</option>" for i, label in enumerate(labels)
            )
            return f"<div{attrs}{tip}>{self._desc(s)}<select disabled>{options}</select></div>"
        if kind.endswith("Slider") or kind.endswith("Progress"):
            value = s.get("value")
            shown = "–".join(map(str, value)) if isinstance(value, list) else value
            if kind.endswith("Progress"):
                control = f'<progress max="{_esc(s.get("max"))}" value="{_esc(value)}"></progress>'
            else:
                first = value[0] if isinstance(value, list) else value
                control = (
                    f'<input type="range" disabled min="{_esc(s.get("min"))}" max="{_esc(s.get("max"))}" '
                    f'step="any" value="{_esc(first)}">'
                )
            return f'<div{attrs}{tip}>{self._desc(s)}{control}<span class="lwe-w-readout">{_esc(shown)}</span></div>'
        if kind in ("Text", "Textarea", "Password", "Combobox") or kind.endswith(("IntText", "FloatText")):
            value = "•" * len(str(s.get("value", ""))) if kind == "Password" else s.get("value")
            return f'<div{attrs}{tip}>{self._desc(s)}<input type="text" disabled value="{_esc(value)}"></div>'
        if kind == "Output":
            return f"<div{attrs}>{''.join(map(self._output, s.get('outputs', [])))}</div>"
        return (
            f'<div class="lwe-w lwe-w-unknown"><code>{_esc(name or "widget")}</code> '
            "(drawn only in a running Jupyter)</div>"
        )

    def _image(self, m: dict) -> str:
        s = m.get("state", {})
        data = s.get("value")
        for buf in m.get("buffers", []):
            if buf.get("path") == ["value"]:
                data = buf.get("data") if buf.get("encoding", "base64") == "base64" else None
        if not data:
            return ""
        if isinstance(data, bytes):
            data = base64.b64encode(data).decode()
        fmt = s.get("format", "png")
        mime = "image/svg+xml" if fmt == "svg" else f"image/{fmt}"
        size = "".join(f' {k}="{_esc(s[k])}"' for k in ("width", "height") if s.get(k))
        return f'<img src="data:{mime};base64,{data}" alt="plot drawn by the widget"{size}>'

    def _output(self, out: dict) -> str:
        if out.get("output_type") == "stream":
            return f"<pre>{_esc(out.get('text'))}</pre>"
        data = out.get("data", {})
        if "image/png" in data:
            return f'<img src="data:image/png;base64,{data["image/png"]}" alt="output">'
        if "text/html" in data:
            value = data["text/html"]
            return "".join(value) if isinstance(value, list) else value
        if "text/plain" in data:
            return f"<pre>{_esc(data['text/plain'])}</pre>"
        return ""


def trim_traceback(output) -> None:
    """A taught error shows only its last line, `ValueError: what went wrong`, as plain text (no ANSI colours)."""
    last = f"{output.get('ename', 'Error')}: {output.get('evalue', '')}".rstrip(": ")
    output["traceback"] = [ANSI.sub("", last)]


def chapter_note(stem: str, binder: str | None) -> str:
    where = "run `make lab` in a clone of the course" + (
        f", or [open this chapter on Binder]({binder_link(binder, stem)})" if binder else ""
    )
    return (
        "```{note}\n"
        "This page shows the chapter as it was last run, with its saved outputs. The interactive widgets are shown as "
        f"they were saved and **respond only in a running Jupyter**: {where}. The exercise checks run there too.\n"
        "```"
    )


def prepare_notebook(nb, stem: str, binder: str | None) -> list[str]:
    """Prepare a copy of a committed notebook for the site, in place. Returns one line per thing it changed."""
    notes = []
    saved = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {})
    snap = WidgetSnapshot(saved)
    widgets = errors = 0
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        taught = RAISES_MARKER in cell.source
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                if taught:
                    trim_traceback(output)
                    errors += 1
                else:
                    notes.append(f"{stem}: cell {index} has an error output but no # {RAISES_MARKER}: shown in full")
            data = output.get("data", {})
            if WIDGET_VIEW in data:
                view = data.pop(WIDGET_VIEW)
                fallback = data.get("text/plain", "")
                fallback = "".join(fallback) if isinstance(fallback, list) else fallback
                drawn = snap.render(view.get("model_id", ""))
                if drawn is None:  # no saved state (e.g. the widget was closed): Jupyter's own text fallback
                    drawn = (
                        '<div class="lwe-widget-snapshot lwe-w-unknown">'
                        f"<pre>{_esc(fallback)}</pre>"
                        '<div class="lwe-widget-caption">widget with no saved state &middot; '
                        "drawn only in a running Jupyter</div></div>"
                    )
                    notes.append(f"{stem}: cell {index}: no saved state for widget {view.get('model_id')}")
                data["text/html"] = drawn
                widgets += 1
    # the widget state has been drawn into the outputs: drop it, so myst-nb adds no widget JavaScript from a CDN
    nb.metadata.pop("widgets", None)
    nb.metadata.setdefault("language_info", {"name": "python"})  # the code's highlighting (every chapter is Python)
    for i, cell in enumerate(nb.cells):  # the note goes right under the title cell
        if cell.cell_type == "markdown" and any(line.startswith("# ") for line in cell.source.splitlines()):
            nb.cells.insert(i + 1, nbformat.v4.new_markdown_cell(chapter_note(stem, binder)))
            break
    else:
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(chapter_note(stem, binder)))
    notes.append(f"{stem}: {widgets} widget(s) drawn from saved state, {errors} taught error(s) trimmed")
    return notes


# --- repository / Binder --------------------------------------------------------------------------------------------


def github_slug(url: str | None) -> str | None:
    """OWNER/REPO of a GitHub URL (https or ssh form), else None."""
    m = re.match(r"^(?:https?://|ssh://git@|git@)github\.com[/:]([^/\s]+)/([^/\s]+?)(?:\.git)?/?$", (url or "").strip())
    return f"{m[1]}/{m[2]}" if m else None


def repository_url(root: Path = ROOT) -> str | None:
    url = os.environ.get("LWE_REPOSITORY_URL", "").strip()
    if not url:
        try:
            out = subprocess.run(
                ["git", "remote", "get-url", "origin"], cwd=root, capture_output=True, text=True, timeout=10
            )
            url = out.stdout.strip() if out.returncode == 0 else ""
        except (OSError, subprocess.TimeoutExpired):
            url = ""
    slug = github_slug(url)
    return f"https://github.com/{slug}" if slug else None


def binder_link(repo_url: str, stem: str) -> str:
    slug = github_slug(repo_url)
    return BINDER.format(slug=slug) + "?urlpath=" + quote(f"lab/tree/{BINDER_NOTEBOOKS}/{stem}.ipynb", safe="")


# --- the build ------------------------------------------------------------------------------------------------------


def _replace_dir(path: Path, marker: str) -> None:
    """Empty a folder this script made before (it holds `marker`); refuse to empty any other non-empty folder."""
    if path.exists() and any(path.iterdir()) and not (path / marker).exists():
        raise SystemExit(f"site: {path} exists and is not a site build (no {marker}); not deleting it")
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)


def prepare(readme_path: Path, notebooks: Path, src: Path, repo_url: str | None) -> tuple[list[Chapter], list[str]]:
    """Write the Sphinx sources into `src`: index.md and the prepared notebook copies."""
    readme = readme_path.read_text(encoding="utf-8")
    chapters = read_chapter_table(readme)
    if not chapters:
        raise SystemExit(f"site: no chapter rows (| `NN_name` | ... |) in {readme_path}")
    found = {p.stem: p for p in sorted(notebooks.glob("[0-9][0-9]_*.ipynb"))}
    listed = {ch.stem for ch in chapters}
    notes = []
    for stem in sorted(set(found) - listed):
        notes.append(f"{stem}: not in the README's chapter table yet; listed after it")
        chapters.append(Chapter(stem, "", planned=False))
    _replace_dir(src, ".lwe-site-src")
    (src / ".lwe-site-src").write_text("made by tools/build_site.py; emptied on every build\n")
    for ch in chapters:
        if ch.stem not in found:
            continue
        nb = nbformat.read(found[ch.stem], as_version=4)
        ch.has_notebook, ch.title = True, notebook_title(nb)
        if not ch.what:
            ch.what = ch.title
        notes += prepare_notebook(nb, ch.stem, repo_url)
        nbformat.write(nb, src / f"{ch.stem}.ipynb")
    title = readme.splitlines()[0][2:].strip() if readme.startswith("# ") else "Course"
    (src / "index.md").write_text(contents_page(title, readme_intro(readme), chapters, repo_url), encoding="utf-8")
    return chapters, notes


def build(
    out: Path = ROOT / "build" / "site",
    readme: Path = ROOT / "README.md",
    notebooks: Path = ROOT / "notebooks",
    repo_url: str | None = None,
) -> SiteBuild:
    """Prepare the sources next to `out` (in OUT-work/) and run sphinx-build into `out`. Raises on a failed build."""
    out, start = Path(out).resolve(), time.perf_counter()
    work = out.parent / f"{out.name}-work"
    src = work / "src"
    chapters, notes = prepare(Path(readme), Path(notebooks), src, repo_url)
    _replace_dir(out, ".buildinfo")
    cmd = [
        sys.executable, "-m", "sphinx",
        "-b", "html",
        "-c", str(CONF_DIR),  # site/conf.py
        "-d", str(work / "doctrees"),
        "-W", "--keep-going",  # a warning (a broken cross-reference, a missing image) fails the build
        "-n",  # nitpicky: report every reference that does not resolve
        str(src), str(out),
    ]  # fmt: skip
    env = dict(os.environ, LWE_SITE_REPOSITORY_URL=repo_url or "", PYTHONUNBUFFERED="1")
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=900)
    log = proc.stdout + proc.stderr
    if proc.returncode != 0:
        raise RuntimeError(f"sphinx-build failed (exit {proc.returncode}):\n{log}")
    return SiteBuild(out, src, chapters, log, time.perf_counter() - start, notes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "site", help="the site folder (emptied first)")
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md")
    parser.add_argument("--notebooks", type=Path, default=ROOT / "notebooks")
    args = parser.parse_args(argv)
    try:
        result = build(args.out, args.readme, args.notebooks, repository_url())
    except RuntimeError as exc:
        print(f"site: {exc}", file=sys.stderr)
        return 1
    for note in result.notes:
        print(f"site: {note}")
    linked = sum(ch.has_notebook for ch in result.chapters)
    print(
        f"site: {linked} chapter page(s), {len(result.chapters) - linked} planned chapter(s) listed, "
        f"built in {result.seconds:.1f}s -> {result.out / 'index.html'}"
    )
    print(f"site: to look at it: python3 -m http.server -d {result.out} -b 127.0.0.1 8000, then open http://127.0.0.1:8000/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
