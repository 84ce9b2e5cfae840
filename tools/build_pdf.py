"""Print the whole book as one PDF, ``_build/pdf/pgbook.pdf`` (what ``make pdf`` runs, after the HTML build).

1. Sphinx's ``singlehtml`` builder, corrected by ``book/_ext/pgbook_pdf.py``, writes the book as one
   page, ``_build/singlehtml/index.html``. It works from the HTML build's doctrees, so from the very
   outputs that build executed: nothing is executed or read again (checked below).
2. Debian's chromium (Playwright) opens that page, served from 127.0.0.1 with every outside request
   blocked and every failed one an error (a page whose style sheets or MathJax did not load would
   print unstyled, with raw TeX); ``pdf/print.css`` and ``pdf/print.js`` lay it out as a book: title
   page, contents, chapters on new pages, solutions at the end of each chapter, interactive figures
   as panels of frames; chromium prints it, with an outline of the headings.
3. The contents get their page numbers, read from the printed PDF's own links to the headings
   (PyMuPDF), and the PDF is copied next to the HTML book, whose download menu links to it.

Why this route and not Jupyter Book's own (README, "The PDF"): ``--builder pdfhtml`` writes the page
where its links do not resolve and prints it unstyled with raw TeX, exiting 0; ``--builder
pdflatex`` needs about 530 MB of TeX, numbers the boxes differently from the HTML and prints the
interactive figures as text.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pymupdf
from playwright.sync_api import Error as BrowserError
from playwright.sync_api import sync_playwright

import bookfiles
import build_book
import chromium

sys.path.insert(0, str(bookfiles.ROOT / "book" / "_ext"))
import pgbook_pdf  # noqa: E402  (the book's Sphinx extension: where the single page and the HTML's PDF are)

#: The single page: the singlehtml build's folder and its page.
SINGLE = build_book.BUILD / "singlehtml"
PDF = build_book.BUILD / "pdf" / "pgbook.pdf"
#: Where the HTML book's download menu links to the PDF.
HTML_PDF = bookfiles.HTML / pgbook_pdf.PDF
ENVIRONMENT = build_book.BUILD / ".doctrees" / "environment.pickle"
HERE = Path(__file__).resolve().parent
PRINT_CSS = HERE / "pdf" / "print.css"
PRINT_JS = HERE / "pdf" / "print.js"
#: The prefix of the ids print.js gives the headings the contents link to (a number follows).
TOC_TARGET = "pgbook-toc-"
#: The sheet: A4, its margins (print.css adds the page number in the bottom one) and so the text
#: column, in CSS pixels; the page is laid out at that width before print.js runs, as it is printed.
SIDE_MARGIN_MM = 18
SHEET_CSS = f"@page {{ size: A4; margin: 20mm {SIDE_MARGIN_MM}mm; }}"
COLUMN_PX = round((210 - 2 * SIDE_MARGIN_MM) / 25.4 * 96)
#: Generous limit for one browser step; the machine may be shared and the page is the whole book.
STEP_MS = 600_000

#: Fonts, MathJax (all formulas typeset) and the simplex figures (drawn once their data is unpacked).
READY = """async () => {
  await document.fonts.ready;
  if (window.MathJax) await MathJax.startup.promise;
  return true;
}"""
SIMPLEX_DRAWN = "() => [...document.querySelectorAll('.pgbook-simplex')].every(f => f.hasAttribute('data-drawn'))"


class PdfError(Exception):
    """A step of the PDF build failed; the message says which and why."""


def single_page() -> None:
    """Build ``_build/singlehtml`` from the HTML build's doctrees."""
    before = ENVIRONMENT.stat().st_mtime_ns
    command = [str(Path(sys.executable).with_name("jupyter-book")), "build", str(bookfiles.ROOT),
               "--builder", "singlehtml", "--config", str(build_book.CONFIG), "--warningiserror", "--keep-going"]
    if subprocess.run(command).returncode != 0:
        raise PdfError("the single page did not build (see the messages above)")
    if ENVIRONMENT.stat().st_mtime_ns != before:
        raise PdfError("the single page read sources again (so it may have executed chapters), though the "
                       "HTML build was current: its configuration must differ from the HTML build's")


def book() -> dict:
    """What print.js needs to know of the book (``_config.yml``, ``_toc.yml``)."""
    config = bookfiles.config()
    return {"title": config["title"], "author": config["author"], "year": str(config["copyright"]),
            "root": bookfiles.pages()[0], "toc_target": TOC_TARGET,
            "parts": [{"caption": p.caption, "pages": p.pages} for p in bookfiles.parts()]}


def print_page() -> bytes:
    """The single page, laid out by print.css and print.js, printed by chromium."""
    try:
        return _print_page()
    except BrowserError as e:  # a timeout, or an error that print.js threw: say which step failed
        raise PdfError(f"chromium could not print the single page: {e}") from None


def _print_page() -> bytes:
    problems: list[str] = []
    with chromium.serve(SINGLE) as base, sync_playwright() as p:
        browser = chromium.launch(p)
        context = browser.new_context(color_scheme="light", viewport={"width": COLUMN_PX, "height": 1200})
        chromium.block_outside(context, base, problems)
        # The theme asks every page for the search index, which only the HTML build writes.
        context.route(f"{base}/searchindex.js", lambda r: r.fulfill(body="", content_type="text/javascript"))
        page = context.new_page()
        page.set_default_timeout(STEP_MS)
        chromium.record_errors(page, problems)
        page.emulate_media(media="print")
        page.goto(f"{base}/{pgbook_pdf.PAGE}", wait_until="load")
        page.evaluate(READY)
        page.wait_for_function(SIMPLEX_DRAWN)
        page.add_style_tag(content=SHEET_CSS + PRINT_CSS.read_text(encoding="utf-8"))
        page.evaluate(PRINT_JS.read_text(encoding="utf-8"), book())
        page.evaluate(READY)
        if problems:
            raise PdfError("the single page did not load cleanly:\n  " + "\n  ".join(problems))
        pdf = page.pdf(prefer_css_page_size=True, print_background=True, outline=True, tagged=True)
        browser.close()
    return pdf


def number_the_contents(doc: pymupdf.Document) -> int:
    """Write each contents line's page number at its right end, in the size of its text; returns the
    number of lines numbered. A line is a link to a heading that print.js gave a :data:`TOC_TARGET`
    id, and the PDF's link knows the page of its target."""
    numbered = 0
    for page in doc:
        lines = [link for link in page.get_links() if link.get("nameddest", "").startswith(TOC_TARGET)]
        if not lines:
            continue
        spans = [s for block in page.get_text("dict")["blocks"] for line in block.get("lines", [])
                 for s in line["spans"] if s["text"].strip()]
        for link in lines:
            box = link["from"]
            inside = [s for s in spans if pymupdf.Rect(s["bbox"]).intersects(box)]
            if not inside:
                raise PdfError(f"page {page.number + 1}: a contents line without text at {box}")
            last = max(inside, key=lambda s: s["origin"][1])  # the number goes on the entry's last line
            bold = "bold" in last["font"].lower() or last["flags"] & pymupdf.TEXT_FONT_BOLD
            font = "hebo" if bold else "helv"
            text = str(link["page"] + 1)
            width = pymupdf.get_text_length(text, fontname=font, fontsize=last["size"])
            page.insert_text((box.x1 - width, last["origin"][1]), text, fontname=font, fontsize=last["size"])
            numbered += 1
    return numbered


def build(optional: bool) -> None:
    if not build_book.KEY.exists() or build_book.KEY.read_text() != build_book.execution_key():
        raise PdfError("the HTML book is not built, or is out of date: run `make book` first (`make pdf` does)")
    if not Path(chromium.CHROMIUM).exists():
        missing = (f"{chromium.CHROMIUM} not found: install Debian's chromium (apt-get install chromium), "
                   "or point PGBOOK_CHROMIUM at a chromium")
        if optional and os.environ.get("CI") != "true":
            print(f"make pdf: no PDF, and its tests will be skipped: {missing}")
            return
        raise PdfError(missing)
    start = time.monotonic()
    single_page()
    doc = pymupdf.open(stream=print_page(), filetype="pdf")
    if number_the_contents(doc) == 0:
        raise PdfError("the printed PDF has no contents lines (print.js did not lay the book out)")
    config = bookfiles.config()
    doc.set_metadata({**doc.metadata, "title": config["title"], "author": config["author"],
                      "subject": "Printed from the HTML book by `make pdf`"})
    PDF.parent.mkdir(parents=True, exist_ok=True)
    doc.save(PDF, garbage=1, deflate=True, use_objstms=1)  # object streams: the tagged structure packs small
    shutil.copyfile(PDF, HTML_PDF)
    print(f"\nThe PDF: {PDF} ({doc.page_count} pages, {PDF.stat().st_size / 1e6:.1f} MB, "
          f"{time.monotonic() - start:.0f} s); the HTML book links to its copy {HTML_PDF}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--unless-no-browser", action="store_true",
                        help="without chromium, outside CI, build nothing and say so (make test: the PDF's "
                             "tests then skip, as the browser tests do)")
    try:
        build(parser.parse_args().unless_no_browser)
    except PdfError as e:
        print(f"make pdf: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
