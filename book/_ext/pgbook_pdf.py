r"""Sphinx extension: what the whole-book PDF (``make pdf``, ``tools/build_pdf.py``) needs from the build.

The PDF is printed from Sphinx's ``singlehtml`` build of the book, which reuses the HTML build's
doctrees (and so its executed notebooks). This extension is loaded by both builds, so that the two
have one configuration and the ``singlehtml`` build finds nothing to read again.

:class:`SingleHTMLBuilder` replaces Sphinx's ``singlehtml`` builder with three corrections:

- **Every node renders.** Sphinx looks up an extension's node visitors under the builder's name and
  falls back to its format (``html``) only when no extension registered a visitor under that name.
  sphinx-exercise registers ``singlehtml`` visitors, so the fallback is off for every other node,
  and sphinx-proof's theorem boxes, which have only ``html`` visitors, stop the build (sphinx#9160,
  jupyter-book#1315). Each node with an ``html`` visitor and no ``singlehtml`` one gets the ``html``
  one, as the fallback would have given it.
- **The page lives where its links point from.** Sphinx writes the page under the root document's
  name (``book/index.html``) but writes its links relative to the output folder (``_static/...``):
  in ``book/`` the style sheets and MathJax do not load, and the page prints unstyled with raw TeX.
  The page is written to the folder itself, as ``index.html`` (:data:`PAGE`).
- **Every link lands on its own target.** Each chapter brings its own ``id1``, ``summary``,
  ``exercises`` ..., and Sphinx's single page keeps them (its source says so), so a citation or a
  reference to another chapter's "Exercises" jumped to the first element of the book with that id.
  Such an element gets a second, book-wide id, ``<document>/<id>`` (HTML writes it as an empty
  anchor just before the element, and the first id, on which the numbering of equations and boxes
  relies, stays), and the links to it use that id.

It also makes **the HTML offer the PDF**: the download menu of every page of the HTML book gets a
link to the whole book's PDF, which ``make pdf`` copies to :data:`PDF` in the HTML folder.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.builders.singlehtml import SingleFileHTMLBuilder

#: Where the whole book's PDF lives, relative to the HTML folder (``make pdf`` copies it there).
PDF = "pgbook.pdf"
#: The single page, in the singlehtml output folder.
PAGE = "index.html"


def _placed(tree: nodes.Node, docname: str) -> Iterator[tuple[str, nodes.Element]]:
    """(document, element) for each element of the assembled book (a chapter is a ``start_of_file``)."""
    stack = [(tree, docname)]
    while stack:
        node, doc = stack.pop()
        if isinstance(node, nodes.Element):
            doc = node["docname"] if isinstance(node, addnodes.start_of_file) else doc
            yield doc, node
            stack.extend((child, doc) for child in node.children)


class SingleHTMLBuilder(SingleFileHTMLBuilder):
    """Sphinx's ``singlehtml`` builder, with the corrections of the module's docstring."""

    def init(self) -> None:
        super().init()
        handlers = self.app.registry.translation_handlers
        single = handlers.setdefault(self.name, {})
        for name, visitors in handlers.get("html", {}).items():
            single.setdefault(name, visitors)

    def get_outfilename(self, pagename: str) -> str:
        if pagename == self.config.root_doc:
            return str(Path(self.outdir) / PAGE)
        return super().get_outfilename(pagename)

    def fix_refuris(self, tree: nodes.Node) -> None:
        """Make every link an anchor of the page, on a book-wide unique id (Sphinx's own version
        turns ``#document-<name>#<id>`` into ``<root>.html#<id>``, whichever chapter has the id)."""
        placed = list(_placed(tree, self.config.root_doc))
        count = Counter(i for _, node in placed for i in node["ids"])

        def unique(doc: str, anchor: str) -> str:
            return anchor if count[anchor] <= 1 else f"{doc}/{anchor}"

        for doc, node in placed:
            node["ids"] += [unique(doc, i) for i in node["ids"] if count[i] > 1]
            if node.get("refid"):
                node["refid"] = unique(doc, node["refid"])
            if node.get("backrefs"):
                node["backrefs"] = [unique(doc, b) for b in node["backrefs"]]
            refuri = node.get("refuri", "") if isinstance(node, nodes.reference) else ""
            if refuri.startswith("#"):
                target, _, anchor = refuri[1:].partition("#")
                if not target.startswith("document-"):  # "#<id>": an anchor of the same document
                    target, anchor = f"document-{doc}", target
                node["refuri"] = "#" + (unique(target.removeprefix("document-"), anchor) if anchor else target)


def _offer_the_pdf(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    if app.builder.name != "html":
        return
    for group in context.get("header_buttons", []):
        if group.get("label") == "download-buttons":
            group["buttons"].append({
                "type": "link",
                "url": context["pathto"](PDF, 1),
                "text": "book .pdf",
                "tooltip": "Download the whole book as a PDF",
                "icon": "fas fa-book",
                "label": "download-book-pdf-button",
            })


def setup(app: Sphinx) -> dict:
    app.add_builder(SingleHTMLBuilder, override=True)
    # After sphinx-book-theme fills the header buttons (priority 501).
    app.connect("html-page-context", _offer_the_pdf, priority=600)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
