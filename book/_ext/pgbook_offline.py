r"""Sphinx extension: the built book reads offline and loads cleanly in a browser.

MathJax is served from the book itself, not from a CDN, so that every formula renders offline.

MathJax 3.2.2 comes from the ``django-static-mathjax`` wheel (package ``mathjax``, files under
``mathjax/static/mathjax/es5``). Only what the pages load is copied: the combined TeX -> CommonHTML
file and its web fonts (all that the chapters request, seen with the network blocked), plus the TeX
extensions MathJax fetches on demand when a page uses a macro such as ``\boldsymbol`` or ``\cancel``
(0.5 MB on disk, loaded only by the pages that need them). The copy is staged next to the doctrees
and added to ``html_static_path``, so it lands in ``_build/html/_static/mathjax/``. It is not a root
``_static/`` folder on purpose: Jupyter Book adds every ``.js`` file found there to every page.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config

#: Paths under MathJax's ``es5`` folder that are copied into the book.
MATHJAX_FILES = (
    "tex-chtml.js",
    "output/chtml/fonts/woff-v2",
    "input/tex/extensions",
)


def mathjax_source() -> Path:
    import mathjax  # the django-static-mathjax wheel

    return Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"


def _stage(app: Sphinx, config: Config) -> None:
    source = mathjax_source()
    staged = Path(app.doctreedir) / "pgbook_offline_static"
    target = staged / "mathjax"
    for name in MATHJAX_FILES:
        src, dst = source / name, target / name
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    config.html_static_path = [*config.html_static_path, str(staged)]
    config.mathjax_path = "mathjax/tex-chtml.js"


WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def _clean_scripts(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Drop duplicated inline scripts and the unused ipywidgets state from the page."""
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    unique = {}
    for js in scripts:
        # sphinx-thebe and sphinx-togglebutton register their inline scripts twice under Jupyter
        # Book, once with the file name None and once with "": a second `const THEBE_JS_URL` is a
        # JavaScript error on every notebook page.
        key = (js.filename or "", js.priority, tuple(sorted(js.attributes.items())))
        # The widgets' saved state (with a copy of a figure) has no reader: the book loads no
        # ipywidgets JavaScript, and interactive figures bring their own static rendering.
        if js.attributes.get("type") != WIDGET_STATE:
            unique.setdefault(key, js)
    scripts[:] = unique.values()


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", _stage)
    app.connect("html-page-context", _clean_scripts, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
