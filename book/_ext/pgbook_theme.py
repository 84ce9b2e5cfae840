r"""Sphinx extension: the book's look on top of sphinx-book-theme, in light and dark mode.

Adds ``static/pgbook.css`` (served from the book itself, so the book stays offline) to every page.
It styles the check lines of :mod:`pgbook.checks`, keeps figures undimmed in dark mode, removes
the theme's second header bar (which holds only a second search box), wraps wide tables and long
output lines. The folder is added to ``html_static_path`` here rather than as a root ``_static/``,
because Jupyter Book adds every ``.js`` file of a root ``_static/`` to every page.
"""

from __future__ import annotations

from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config

STATIC = Path(__file__).resolve().parent / "static"
CSS = "pgbook.css"


def _add_static(app: Sphinx, config: Config) -> None:
    config.html_static_path = [*config.html_static_path, str(STATIC)]


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", _add_static)
    app.add_css_file(CSS, priority=900)  # after the theme's own style sheets
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
