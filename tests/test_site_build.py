"""`make site` (tools/build_site.py): the static site is built from the committed outputs, and nothing is executed.

Fast checks without a browser (tests/browser/test_site.py opens the site in Chromium): the contents page follows the
README's chapter table, every chapter page shows what its committed notebook printed, widgets are drawn from their saved
state without any widget JavaScript, taught errors show only their last line, and a notebook whose code would fail if it
ran still builds with its saved output (proof that the build runs nothing).
"""

from __future__ import annotations

import html
import importlib.util
import json
import re
import sys
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.slow  # two Sphinx builds, about 10 s together

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
TRACEBACK = "Traceback (most recent call last)"


def load_builder():
    spec = importlib.util.spec_from_file_location("build_site", ROOT / "tools" / "build_site.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


bs = load_builder()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return bs.build(tmp_path_factory.mktemp("site") / "html")


def page(site, stem: str) -> str:
    return (site.out / f"{stem}.html").read_text(encoding="utf-8")


def text_of(markup: str) -> str:
    """The visible text of an HTML page, roughly: tags dropped, entities decoded."""
    markup = re.sub(r"(?s)<!--.*?-->", " ", markup)
    markup = re.sub(r"(?is)<(script|style)\b.*?</\1\s*>", " ", markup)
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


# --- the contents page ------------------------------------------------------------------------------------------------


def test_the_chapter_table_is_read_from_the_readme():
    chapters = bs.read_chapter_table((ROOT / "README.md").read_text())
    stems = [ch.stem for ch in chapters]
    assert stems[:6] == ["00_welcome", "01_secret_sharing", "02_shared_tensors", "03_fixed_point", "04_beaver",
                         "05_encrypted_xor"]  # fmt: skip
    assert all(re.fullmatch(r"\d\d_\w+", s) for s in stems) and len(stems) == len(set(stems))
    for ch in chapters:
        assert ch.what, f"{ch.stem}: no description"
        if not ch.planned:  # a chapter the README offers has its notebook
            assert (ROOT / "notebooks" / f"{ch.stem}.ipynb").exists(), f"README lists {ch.stem}, no notebook"


def test_the_table_parser_takes_chapter_rows_only():
    readme = "\n".join(
        [
            "# Course",
            "| Notebook | You leave knowing |",
            "|---|---|",
            "| `00_intro` | the start, with `code` |",
            "| `07_later` (planned) | later things |",
            "| `make lint` | not a chapter |",
        ]
    )
    chapters = bs.read_chapter_table(readme)
    assert [(c.stem, c.planned, c.what) for c in chapters] == [
        ("00_intro", False, "the start, with `code`"),
        ("07_later", True, "later things"),
    ]


def test_contents_page_links_every_chapter_with_a_notebook(site):
    index = (site.out / "index.html").read_text(encoding="utf-8")
    links = set(re.findall(r'href="(\d\d_\w+)\.html"', index))
    assert links == set(CHAPTERS)
    for ch in site.chapters:
        if not ch.has_notebook:  # planned: listed by name, without a link
            assert ch.stem in text_of(index) and f'href="{ch.stem}.html"' not in index
    assert "respond only in a running Jupyter" in text_of(index)


# --- chapter pages: committed outputs, nothing executed ---------------------------------------------------------------


def test_the_build_executes_nothing(site):
    assert "Executing notebook" not in site.log and "Executed notebook" not in site.log, site.log
    conf = (ROOT / "site" / "conf.py").read_text()
    assert re.search(r'^nb_execution_mode = "off"$', conf, re.M)


def first_printed_line(nb) -> str:
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.output_type == "stream" and out.name == "stdout":
                for line in out.text.splitlines():
                    if len(line.strip()) > 8:
                        return line.strip()
    return ""


@pytest.mark.parametrize("stem", CHAPTERS)
def test_chapter_page_shows_its_committed_outputs(site, stem):
    nb = nbformat.read(ROOT / "notebooks" / f"{stem}.ipynb", as_version=4)
    markup = page(site, stem)
    text = text_of(markup)
    printed = first_printed_line(nb)
    assert printed, f"{stem}: no printed line to look for"
    assert " ".join(printed.split()) in " ".join(text.split()), f"{stem}: the committed output {printed!r} is missing"
    assert TRACEBACK not in text
    assert "respond only in a running Jupyter" in text, "the note about widgets is missing"
    assert re.search(r"<h1\b", markup)


@pytest.mark.parametrize("stem", CHAPTERS)
def test_widgets_are_drawn_from_saved_state_without_javascript(site, stem):
    nb = json.loads((ROOT / "notebooks" / f"{stem}.ipynb").read_text())
    views = [
        out["data"][bs.WIDGET_VIEW]["model_id"]
        for cell in nb["cells"]
        for out in cell.get("outputs", [])
        if bs.WIDGET_VIEW in out.get("data", {})
    ]
    markup = page(site, stem)
    assert markup.count('class="lwe-widget-snapshot"') == len(views)
    # no widget manager from a CDN, no widget-state script: the snapshot is plain HTML
    for absent in ("embed-amd", "html-manager", "require.min.js", bs.WIDGET_STATE, bs.WIDGET_VIEW):
        assert absent not in markup, absent
    state = nb["metadata"]["widgets"][bs.WIDGET_STATE]["state"]
    shown: list[dict] = []  # the models a reader sees: displayed, or inside one displayed, and not hidden

    def walk(ref: str) -> None:
        model = state.get(ref.removeprefix("IPY_MODEL_"))
        layout = state.get(str(model and model["state"].get("layout")).removeprefix("IPY_MODEL_"), {}).get("state", {})
        if model and layout.get("display") != "none" and layout.get("visibility") != "hidden":
            shown.append(model)
            for child in model["state"].get("children", []):
                walk(child)

    for view in views:
        walk(view)
    for model in shown:  # what the HTML widgets said, and the classes they carried, are on the page
        s = model["state"]
        if model["model_name"] == "HTMLModel" and len(s.get("value", "")) > 20 and "<" not in s["value"]:
            assert s["value"] in markup
        for cls in s.get("_dom_classes", []):
            assert cls in markup


def test_widget_snapshot_controls():
    state = {
        "state": {
            "root": {"model_name": "VBoxModel", "state": {"children": ["IPY_MODEL_s", "IPY_MODEL_d", "IPY_MODEL_i",
                                                                        "IPY_MODEL_x", "IPY_MODEL_gone"],
                                                          "_dom_classes": ["cl-demo"], "layout": "IPY_MODEL_l"}},
            "l": {"model_name": "LayoutModel", "state": {"width": "500px"}},
            "s": {"model_name": "IntSliderModel", "state": {"description": "bits <f>", "value": 16, "min": 0,
                                                              "max": 30}},
            "d": {"model_name": "DropdownModel", "state": {"_options_labels": ["a", "b"], "index": 1}},
            "i": {"model_name": "ImageModel", "state": {"format": "png"},
                  "buffers": [{"path": ["value"], "encoding": "base64", "data": "iVBORw0KGgo="}]},
            "x": {"model_name": "FancyThirdPartyModel", "state": {}},
        }
    }  # fmt: skip
    snap = bs.WidgetSnapshot(state).render("root")
    assert 'class="lwe-w lwe-w-vbox cl-demo" style="width: 500px"' in snap
    assert "bits &lt;f&gt;" in snap and 'value="16"' in snap and ">16<" in snap  # escaped description, position
    assert "<option selected>b</option>" in snap and "<option>a</option>" in snap
    assert '<img src="data:image/png;base64,iVBORw0KGgo="' in snap
    assert "FancyThirdPartyModel" in snap and "drawn only in a running Jupyter" in snap
    assert "responds only in a running Jupyter" in snap
    assert bs.WidgetSnapshot(state).render("not-saved") is None


# --- taught errors, and a notebook that must not run ------------------------------------------------------------------

ANSI_TRACEBACK = [
    "\x1b[0;31m---------------------------------------------------------------------------\x1b[0m",
    "\x1b[0;31mValueError\x1b[0m                                Traceback (most recent call last)",
    "Cell \x1b[0;32mIn[3], line 1\x1b[0m\n\x1b[0;32m----> 1\x1b[0m reconstruct([1, 2])",
    "\x1b[0;31mValueError\x1b[0m: need at least 3 shares, got 2",
]


def error_cell(source: str):
    cell = nbformat.v4.new_code_cell(source)
    cell.outputs = [
        nbformat.v4.new_output(
            "error", ename="ValueError", evalue="need at least 3 shares, got 2", traceback=ANSI_TRACEBACK
        )
    ]
    return cell


def test_a_taught_error_shows_only_its_last_line():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 01 · Title\nOne sentence."),
        error_cell("# NBVAL_RAISES_EXCEPTION\nreconstruct([1, 2])"),
        error_cell("reconstruct([1, 2])"),  # no marker: an accident, shown in full (and the site test fails on it)
    ]
    notes = bs.prepare_notebook(nb, "01_title", None)
    assert nb.cells[1].cell_type == "markdown" and "respond only in a running Jupyter" in nb.cells[1].source
    assert nb.cells[2].outputs[0].traceback == ["ValueError: need at least 3 shares, got 2"]
    assert nb.cells[3].outputs[0].traceback == ANSI_TRACEBACK
    assert any("no # NBVAL_RAISES_EXCEPTION" in n for n in notes)


def test_a_small_course_builds_without_running_anything(tmp_path):
    """README rows -> contents page; a taught error -> one line; code that would crash if run -> its saved output."""
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "README.md").write_text(
        "# Tiny course\n\nA course of two chapters.\n\n## What is in it?\n\n| Notebook | You leave knowing |\n"
        "|---|---|\n| `00_start` | how it starts |\n| `01_errors` | what an error says |\n"
        "| `02_later` (planned) | later things |\n"
    )
    start = nbformat.v4.new_notebook()
    run_me = nbformat.v4.new_code_cell("raise SystemExit('this notebook was executed')")
    run_me.outputs = [nbformat.v4.new_output("stream", name="stdout", text="the committed output, 4242\n")]
    start.cells = [nbformat.v4.new_markdown_cell("# 00 · Start\nHow it starts."), run_me]
    errors = nbformat.v4.new_notebook()
    errors.cells = [
        nbformat.v4.new_markdown_cell("# 01 · Errors\nWhat an error says.\n\n## A section"),
        error_cell("# NBVAL_RAISES_EXCEPTION\nreconstruct([1, 2])"),
    ]
    extra = nbformat.v4.new_notebook()
    extra.cells = [nbformat.v4.new_markdown_cell("# 03 · Not in the table yet")]
    for name, nb in (("00_start", start), ("01_errors", errors), ("03_extra", extra)):
        nbformat.write(nb, tmp_path / "notebooks" / f"{name}.ipynb")

    result = bs.build(tmp_path / "site", tmp_path / "README.md", tmp_path / "notebooks")
    index = (result.out / "index.html").read_text()
    assert set(re.findall(r'href="(\d\d_\w+)\.html"', index)) == {"00_start", "01_errors", "03_extra"}
    assert "02_later" in text_of(index) and 'href="02_later.html"' not in index
    assert any("03_extra: not in the README" in n for n in result.notes)
    assert "the committed output, 4242" in (result.out / "00_start.html").read_text()
    assert "Executing notebook" not in result.log
    err_text = text_of((result.out / "01_errors.html").read_text())
    assert "ValueError: need at least 3 shares, got 2" in err_text
    assert TRACEBACK not in err_text and "Cell In[3]" not in err_text
    # the committed notebooks are never written to
    assert nbformat.read(tmp_path / "notebooks" / "01_errors.ipynb", as_version=4).cells[1].outputs[0].traceback == (
        ANSI_TRACEBACK
    )


def test_the_build_refuses_to_empty_a_folder_it_did_not_make(tmp_path):
    (tmp_path / "precious").mkdir()
    (tmp_path / "precious" / "notes.txt").write_text("keep me")
    with pytest.raises(SystemExit, match="not a site build"):
        bs.build(tmp_path / "precious")
    assert (tmp_path / "precious" / "notes.txt").read_text() == "keep me"


@pytest.mark.parametrize(
    ("url", "slug"),
    [
        ("https://github.com/alice/lwe.git", "alice/lwe"),
        ("git@github.com:alice/lwe.git", "alice/lwe"),
        ("https://github.com/alice/lwe", "alice/lwe"),
        ("https://gitlab.com/alice/lwe.git", None),
        ("", None),
    ],
)
def test_binder_links_come_from_a_github_remote(url, slug):
    assert bs.github_slug(url) == slug
    if slug:
        link = bs.binder_link(f"https://github.com/{slug}", "03_fixed_point")
        assert link == (
            f"https://mybinder.org/v2/gh/{slug}/HEAD?urlpath=lab%2Ftree%2Fcourse%2Fnotebooks%2F03_fixed_point.ipynb"
        )


def test_readme_and_ci_say_how_to_build_and_publish_the_site():
    readme = (ROOT / "README.md").read_text()
    assert "make site" in readme and "build/site/" in readme
    assert re.search(r"https://mybinder\.org/v2/gh/OWNER/REPO/HEAD\?urlpath=lab%2Ftree%2Fcourse%2Fnotebooks%2F", readme)
    workflow = (ROOT / ".github" / "workflows" / "pages.yml").read_text()
    assert "make site" in workflow and "path: build/site" in workflow and "actions/deploy-pages" in workflow
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^site: venv\n\t\$\(BIN\)/python tools/build_site\.py --out build/site$", makefile, re.M)
