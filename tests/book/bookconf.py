"""Shared by the book-level tests: chapter/notebook pairs, chapter execution, the built HTML, the browser.

Markers (see pyproject.toml): ``book`` needs ``_build/`` (``make book``), ``notebook`` runs the
chapters' ``.ipynb`` in a reader's client (JupyterLab, Colab's versions); the pair and conversion
checks have neither and run with the unit tests. (Not a conftest.py:
tests/conftest.py is imported by name by the unit tests, and a second one would shadow it.)
"""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))

import bookfiles  # noqa: E402,F401  (the tools' view of the book, re-exported for the tests)
import chromium  # noqa: E402,F401  (the browser and the local server, shared with build_pdf.py)
import sync_notebooks  # noqa: E402,F401

#: Each chapter must show at least this many checked claims (``div.pgbook-check``) ...
MIN_CHECKS = 5
#: ... except the closing summary, which holds its table's rows by the other chapters' checks (named by
#: id in its table, tests/chapters/test_summary.py) and shows only its gridworld's own.
MIN_CHECKS_SUMMARY = 2


def built_html() -> Path:
    """The built book's folder; fails (never skips) when the book has not been built."""
    if not (bookfiles.HTML / "index.html").exists():
        pytest.fail(f"no built book in {bookfiles.HTML}: run `make book` first")
    return bookfiles.HTML


def page_ids(pages):
    return [p.replace("/", "-") for p in pages]
