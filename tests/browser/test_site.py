"""The static site (`make site`) as a reader opens it: headless Chromium, served from 127.0.0.1, nothing else reached.

Builds the site once (tools/build_site.py, into a temporary folder), serves it with Python's http.server on a free
port, then: the contents page links to every chapter; each chapter page has its title, its sections, every plot its
notebook saved (loaded, not a broken image), its widgets drawn from saved state and the note that they respond only
in a running Jupyter, previous/next links, and no Python traceback; every local link on every page answers 200 and
every #anchor exists; no page asks another host for anything but MathJax (the one formula falls back to its TeX text
offline). Screenshots of the contents page and of a chapter are printed and, with LWE_SCREENSHOTS=folder, copied there.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import re
import shutil
import sys
import threading
import urllib.error
import urllib.request
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urldefrag, urlparse

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SCREENSHOT_CHAPTER = "03_fixed_point" if "03_fixed_point" in CHAPTERS else CHAPTERS[-1]
TRACEBACK = "Traceback (most recent call last)"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# the only other host a page may ask: MathJax for formulas (Sphinx's default); offline a formula shows its TeX
ALLOWED_ELSEWHERE = re.compile(r"^https://cdn\.jsdelivr\.net/npm/mathjax@")


def load_builder():
    spec = importlib.util.spec_from_file_location("build_site", ROOT / "tools" / "build_site.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """(base URL, build result): the site built once and served from 127.0.0.1 on a free port."""
    result = load_builder().build(tmp_path_factory.mktemp("site") / "html")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(result.out)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", result
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def saved_plots(stem: str) -> int:
    """How many pictures the committed notebook holds: PNG outputs, and PNGs inside its saved widget state."""
    nb = json.loads((ROOT / "notebooks" / f"{stem}.ipynb").read_text())
    outputs = sum("image/png" in o.get("data", {}) for c in nb["cells"] for o in c.get("outputs", []))
    models = nb["metadata"].get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {}).get("state", {})

    def images_in(model_id: str) -> int:  # the PNG images of a displayed widget and of its children
        m = models.get(model_id.removeprefix("IPY_MODEL_"), {})
        own = m.get("model_name") == "ImageModel" and bool(m.get("buffers"))
        return own + sum(images_in(c) for c in m.get("state", {}).get("children", []))

    views = [o["data"][WIDGET_VIEW]["model_id"] for c in nb["cells"] for o in c.get("outputs", [])
             if WIDGET_VIEW in o.get("data", {})]  # fmt: skip
    return outputs + sum(images_in(v) for v in views)


def keep(shot: Path) -> None:
    folder = os.environ.get("LWE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(folder) / shot.name)
    print(f"screenshot: {shot}")


def other_hosts(page) -> list[str]:
    """Collects every request the page makes to a host other than 127.0.0.1 (the fixture's guard aborts them)."""
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if urlparse(r.url).hostname not in (None, "127.0.0.1") else None)
    return asked


def test_contents_page_links_every_chapter(site, browser_page, tmp_path):
    base, result = site
    page = browser_page
    asked = other_hosts(page)
    page.goto(f"{base}/index.html")
    assert page.locator("main article h1").inner_text().strip() == "Learning While Encrypted"
    table = page.locator("table").first
    hrefs = table.locator("a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert sorted(h.removesuffix(".html") for h in hrefs) == CHAPTERS, hrefs
    rows = table.locator("tbody tr")
    planned = [ch.stem for ch in result.chapters if not ch.has_notebook]
    assert rows.count() == len(result.chapters)
    for stem in planned:  # listed, not linked
        row = rows.filter(has_text=stem)
        assert row.count() == 1 and row.locator("a").count() == 0, stem
    # the sidebar lists every chapter too, in order
    sidebar = page.locator(".bd-sidebar-primary a.reference.internal")
    side = [h.removesuffix(".html") for h in sidebar.evaluate_all("els => els.map(e => e.getAttribute('href'))")]
    assert [s for s in side if s in CHAPTERS] == CHAPTERS
    assert "respond only in a running Jupyter" in page.locator("main article").inner_text()
    shot = tmp_path / "site_contents.png"
    page.screenshot(path=str(shot))
    keep(shot)
    assert not asked, f"the contents page asked other hosts: {asked}"


@pytest.mark.parametrize("stem", CHAPTERS)
def test_chapter_page(site, browser_page, stem, tmp_path):
    base, _ = site
    page = browser_page
    asked = other_hosts(page)
    page.goto(f"{base}/index.html")
    page.locator(f"table a[href='{stem}.html']").click()  # the reader's way in: from the contents page
    page.wait_for_url(f"**/{stem}.html")
    page.wait_for_load_state("load")
    main = page.locator("main article")  # the chapter itself (the theme repeats the title in a print-only header)
    text = main.inner_text()

    h1 = main.locator("h1")
    assert h1.count() == 1 and h1.inner_text().startswith(stem[:2] + " · "), h1.all_inner_texts()
    assert main.locator("h2").count() >= 2, "a chapter has sections"
    assert TRACEBACK not in page.locator("body").inner_text(), "a page shows a Python traceback"
    for shown in main.locator(".output.traceback").all_inner_texts():  # taught errors: their last line only
        assert len(shown.strip().splitlines()) == 1 and TRACEBACK not in shown, shown

    note = main.locator(".admonition.note").first
    assert note.is_visible() and "respond only in a running Jupyter" in note.inner_text()

    widgets = main.locator(".lwe-widget-snapshot")
    assert widgets.count() >= 1, "every chapter has at least one widget"
    for i in range(widgets.count()):
        box = widgets.nth(i).bounding_box()
        assert box and box["width"] > 200 and box["height"] > 60, f"widget {i} is drawn too small: {box}"

    plots = saved_plots(stem)
    images = main.locator("img")
    loaded = images.evaluate_all("els => els.filter(e => e.complete && e.naturalWidth > 0).length")
    assert images.count() >= plots and loaded == images.count(), f"{loaded}/{images.count()} loaded, {plots} saved"
    if plots:
        assert loaded >= 1, "a chapter with plots shows at least one"

    footer = page.locator("footer.prev-next-footer")
    assert footer.locator("a.left-prev").count() == 1, "no link to the previous page"
    assert footer.locator("a.right-next").count() == (0 if stem == CHAPTERS[-1] else 1)

    if stem == SCREENSHOT_CHAPTER:
        shot = tmp_path / f"site_{stem}.png"
        page.screenshot(path=str(shot))
        keep(shot)
        widget = widgets.first
        widget.scroll_into_view_if_needed()
        shot = tmp_path / f"site_{stem}_widget.png"
        widget.screenshot(path=str(shot))
        keep(shot)
    unexpected = [u for u in asked if not ALLOWED_ELSEWHERE.match(u)]
    assert not unexpected, f"{stem} asked other hosts: {unexpected}"
    assert text.strip()


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, ""


def test_no_link_is_broken(site, browser_page):
    """From the contents page, every local page reachable by links: each <a href> answers 200, each #anchor exists."""
    base, _ = site
    page = browser_page
    todo, seen, bodies, broken = [f"{base}/index.html"], set(), {}, []
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        seen.add(url)
        page.goto(url)
        hrefs = page.locator("a[href]").evaluate_all("els => els.map(e => e.href)")  # resolved, absolute
        for href in hrefs:
            if not href.startswith(base + "/"):
                continue  # another host (none on the committed pages; Binder/GitHub when a repository is known)
            target, anchor = urldefrag(href)
            if target not in bodies:
                bodies[target] = fetch(target)
            status, body = bodies[target]
            if status != 200:
                broken.append(f"{url} -> {href}: HTTP {status}")
            elif anchor and not re.search(rf"""\bid=["']{re.escape(anchor)}["']""", body):
                broken.append(f"{url} -> {href}: no #{anchor} there")
            if status == 200 and target.endswith(".html") and target not in seen:
                todo.append(target)
    assert not broken, "\n".join(broken)
    pages = {urlparse(u).path.rsplit("/", 1)[-1] for u in seen}
    assert {f"{stem}.html" for stem in CHAPTERS} | {"index.html"} <= pages, pages
