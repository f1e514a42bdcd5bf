"""Sphinx configuration of the course's static site. Build it with `make site` (tools/build_site.py), not by hand:
that script prepares the sources this file expects (index.md from README's chapter table, copies of the committed
notebooks with their widgets drawn from saved state) and passes `-c site/`.

Nothing is executed: myst-nb renders the outputs saved in the notebooks (nb_execution_mode = "off").
"""

from __future__ import annotations

import os

project = "Learning While Encrypted"
author = "the Learning While Encrypted authors"
copyright = "the Learning While Encrypted authors"  # noqa: A001 (Sphinx's name)

extensions = [
    "myst_nb",  # notebooks (and index.md) with their saved outputs
    "sphinx.ext.githubpages",  # writes .nojekyll, so GitHub Pages serves _static/ and _images/ as they are
]

# --- notebooks: render what is saved, never run anything -------------------------------------------------------------
nb_execution_mode = "off"
nb_ipywidgets_js = {}  # widgets are drawn from their saved state by tools/build_site.py: no widget JavaScript (no CDN)
nb_output_stderr = "show"
myst_enable_extensions = ["dollarmath"]  # $...$ and $$...$$ as in Jupyter
myst_heading_anchors = 3  # `[see](#a-heading)` links inside a chapter work as in Jupyter

exclude_patterns = ["**/.ipynb_checkpoints", ".lwe-site-src"]
suppress_warnings = ["myst.header"]  # a notebook may go from # to ### (Jupyter does not mind either)

# --- HTML -----------------------------------------------------------------------------------------------------------
html_theme = "sphinx_book_theme"
html_title = project
html_static_path = ["_static"]
html_css_files = ["lwe-site.css"]
html_copy_source = False  # the sources are prepared copies of the notebooks, not the course's files
html_show_sourcelink = False
html_show_sphinx = False
html_last_updated_fmt = None
html_context = {"default_mode": "light"}  # the widgets' saved HTML is drawn for a light page

_repository = os.environ.get("LWE_SITE_REPOSITORY_URL", "")
html_theme_options = {
    "home_page_in_toc": True,  # "Learning While Encrypted" (the contents page) heads the sidebar
    "show_navbar_depth": 1,
    "show_toc_level": 2,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "use_repository_button": bool(_repository),
    "repository_url": _repository,
    "repository_branch": "HEAD",
    "path_to_docs": "notebooks",
    "navigation_with_keys": False,
}
