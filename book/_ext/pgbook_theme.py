r"""Sphinx extension: the book's look on top of sphinx-book-theme, in light and dark mode.

Adds ``static/pgbook.css`` (served from the book itself, so the book stays offline) to every page.
It styles the check lines of :mod:`pgbook.checks`, keeps figures undimmed in dark mode, removes
the theme's second header bar (which holds only a second search box), and makes every page fit a
1280 px window and a 390 px phone (``tests/book/test_layout.py``): code and tables wrap, a formula
too wide for a phone scrolls inside its own box, figures keep their drawn size on a phone and
scroll sideways in their box, with a one-line hint under them (``static/pgbook.js``), since phones
hide scroll bars. The folder is added to ``html_static_path`` here rather than as a root
``_static/``, because Jupyter Book adds every ``.js`` file of a root ``_static/`` to every page.

It also corrects how myst-nb merges a cell's printed output (``nb_merge_streams``): myst-nb 1.4
strips the end of each chunk but not the start of the next, so a line that the kernel happened to
send in two chunks ("text" and "\ntext") gained a blank line. Here the chunks are joined as
they were written first.

And it gives every image a cell shows its text alternative: myst-nb keeps only the width and height
of an image's output metadata, so the image's ``alt`` fell back to its file name (a hash). The
``alt`` that :mod:`pgbook.viz.style` sends with each figure (``{"image/png": {"alt": ...}}``) is
put on the image here, unless the cell's own options already set one.
"""

from __future__ import annotations

from pathlib import Path

import myst_nb.core.render
from docutils import nodes
import myst_nb.core.utils
from nbformat import NotebookNode
from sphinx.application import Sphinx
from sphinx.config import Config

_MYST_COALESCE = myst_nb.core.utils.coalesce_streams
STATIC = Path(__file__).resolve().parent / "static"
CSS = "pgbook.css"
JS = "pgbook.js"


def coalesce_streams(outputs: list[NotebookNode]) -> list[NotebookNode]:
    """Join each stream's chunks as written, then let myst-nb tidy the (now single) chunk."""
    joined: list[NotebookNode] = []
    first: dict[str, NotebookNode] = {}
    for output in outputs or []:
        if output["output_type"] == "stream" and output["name"] in first:
            first[output["name"]]["text"] += output["text"]
            continue
        if output["output_type"] == "stream":
            first[output["name"]] = output
        joined.append(output)
    return _MYST_COALESCE(joined)


_MYST_RENDER_IMAGE = myst_nb.core.render.NbElementRenderer.render_image


def render_image(self, data) -> list[nodes.Element]:
    """myst-nb's image, with the alt text of the output's metadata (if the cell's options set none)."""
    rendered = _MYST_RENDER_IMAGE(self, data)
    alt = data.output_metadata.get(data.mime_type, {}).get("alt")
    if isinstance(alt, str) and alt.strip():
        for image in rendered:
            if isinstance(image, nodes.image) and "alt" not in image:
                image["alt"] = alt.strip()
    return rendered


def _add_static(app: Sphinx, config: Config) -> None:
    config.html_static_path = [*config.html_static_path, str(STATIC)]


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", _add_static)
    myst_nb.core.render.coalesce_streams = coalesce_streams
    myst_nb.core.render.NbElementRenderer.render_image = render_image
    app.add_css_file(CSS, priority=900)  # after the theme's own style sheets
    app.add_js_file(JS, loading_method="defer")
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
