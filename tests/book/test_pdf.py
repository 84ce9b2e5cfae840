"""The whole-book PDF (``make pdf``; ``make test`` builds it after the HTML), read with PyMuPDF.

Like the browser tests, these skip outside CI when there is no chromium (``make test`` then builds no
PDF), and fail in CI.

- It is the PDF the HTML book offers (the copy in the HTML folder, linked from every page's download
  menu), and it is not older than the HTML pages.
- A title page; contents whose every line carries the page its link leads to; an outline with every
  page of ``_toc.yml``; every page of the book (chapter, reference page) starts on a new sheet.
- No raw TeX, no unresolved reference ("??", or a link to nowhere), none of the theme's navigation.
- Per chapter: its equation numbers and numbered boxes (definitions, theorems, exercises ...) are
  the HTML page's, in the same order (the solutions, with what they number, come at the chapter's end).
- Per chapter: every figure is printed, as an image: the HTML page's images, plus the frames each
  interactive figure's caption says were printed; each simplex figure is drawn as vector paths,
  one view per start its caption counts.
- No text runs off a page: every character lies inside the sheet's side margins.
"""

import json
import re
from functools import cached_property
from pathlib import Path

import pymupdf
import pytest
from bs4 import BeautifulSoup

from bookconf import bookfiles, built_html, chromium, page_ids
from test_browser import unavailable
import build_pdf

pytestmark = pytest.mark.book

PAGES = bookfiles.pages()
CHAPTERS = bookfiles.chapters()
#: TeX that MathJax did not typeset, and unresolved references; looked for outside code (monospace).
RAW_TEX = re.compile(r"\\frac|\\begin\{|\\end\{|\$\$|\\\(|\\\)|\\\[|\\\]|\?\?")
#: Text of the theme's navigation and buttons, which print.css removes.
CHROME = ("Skip to main content", "Back to top", "Ctrl+K", "Show code cell source", "Click to show")
#: An equation's number (Sphinx's, in the text font; MathJax's own glyphs are in Type3 fonts).
EQUATION = re.compile(r"\(\d+(?:\.\d+)+\)")
MM = 72 / 25.4
#: Leeway for glyph boxes, in points.
SLACK = 2.0
#: Font size, in points, above which MuPDF's size for a glyph is that of a MathJax-stretched piece.
STRETCHED = 100


def words(text: str) -> str:
    """Text without its spacing: a title broken over lines still matches."""
    return re.sub(r"\s+", "", text).lower()


class Printed:
    """The PDF as a reader sees it: text, spans with their fonts, links, outline, page ranges."""

    def __init__(self, doc: pymupdf.Document):
        self.doc = doc

    @cached_property
    def text(self) -> list[str]:
        return [page.get_text(sort=True) for page in self.doc]

    @cached_property
    def spans(self) -> list[list[dict]]:
        """Each page's text spans, off-page ones included, in reading order."""
        flags = pymupdf.TEXTFLAGS_DICT & ~pymupdf.TEXT_MEDIABOX_CLIP
        found = []
        for page in self.doc:
            spans = [s for block in page.get_text("dict", flags=flags)["blocks"] for line in block.get("lines", [])
                     for s in line["spans"] if s["text"].strip()]
            found.append(sorted(spans, key=lambda s: (round(s["origin"][1]), s["origin"][0])))
        return found

    @cached_property
    def links(self) -> list[list[dict]]:
        return [page.get_links() for page in self.doc]

    @cached_property
    def starts(self) -> dict[str, int]:
        """The sheet (0-based) each page of the book after the front page starts on, from the outline."""
        entries = [(words(title), page - 1) for level, title, page in self.doc.get_toc() if level <= 2]
        numbers = bookfiles.chapter_numbers()
        found = {}
        for name in PAGES[1:]:
            title = words((f"{numbers[name]}. " if name in numbers else "") + bookfiles.title(name))
            hits = [sheet for entry, sheet in entries if entry == title]
            if hits:
                found[name] = hits[0]
        return found

    def sheets(self, name: str) -> range:
        """The sheets of a page of the book: from its start to the next page's."""
        first = self.starts[name]
        later = [s for s in self.starts.values() if s > first]
        return range(first, min(later, default=self.doc.page_count))

    def unlinked(self, sheet: int) -> list[dict]:
        """The spans of a sheet outside its links: what the page states, not what it refers to."""
        boxes = [pymupdf.Rect(link["from"]) for link in self.links[sheet]]
        centres = [(pymupdf.Rect(s["bbox"]).tl + pymupdf.Rect(s["bbox"]).br) / 2 for s in self.spans[sheet]]
        return [s for s, c in zip(self.spans[sheet], centres) if not any(c in box for box in boxes)]


@pytest.fixture(scope="module")
def pdf() -> Printed:
    if not Path(chromium.CHROMIUM).exists():
        unavailable(f"{chromium.CHROMIUM} not found (apt-get install chromium), so no PDF was built")
    if not build_pdf.PDF.exists():
        pytest.fail(f"no PDF at {build_pdf.PDF}: run `make pdf` first")
    doc = pymupdf.open(build_pdf.PDF)
    yield Printed(doc)
    doc.close()


def article(page: str):
    doc = BeautifulSoup((built_html() / f"{page}.html").read_text(encoding="utf-8"), "html.parser")
    return doc.select_one("article.bd-article")


def test_the_html_offers_this_pdf(pdf):
    html = built_html()
    assert build_pdf.HTML_PDF.read_bytes() == build_pdf.PDF.read_bytes(), "the HTML's copy differs: run `make pdf`"
    newest = max(p.stat().st_mtime for p in html.rglob("*.html"))
    assert build_pdf.PDF.stat().st_mtime >= newest, "the PDF is older than the HTML book: run `make pdf`"
    for page in PAGES:
        path = html / f"{page}.html"
        doc = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        links = [a["href"] for a in doc.select(".dropdown-download-buttons a[href]") if a["href"].endswith(".pdf")]
        assert links, f"{page}: the download menu offers no PDF"
        assert all((path.parent / href).resolve() == build_pdf.HTML_PDF.resolve() for href in links), links


def test_title_page_contents_and_outline(pdf):
    config = bookfiles.config()
    title = pdf.text[0]
    assert words(config["title"]) in words(title) and config["author"] in title, title[:300]
    missing = [name for name in PAGES[1:] if name not in pdf.starts]
    assert not missing, f"not in the PDF's outline: {missing}"
    numbered = 0
    for sheet, links in enumerate(pdf.links):
        for link in links:
            if link.get("nameddest", "").startswith(build_pdf.TOC_TARGET):
                box = pymupdf.Rect(link["from"])
                right = pymupdf.Rect(box.x1 - 30, box.y0, box.x1 + SLACK, box.y1)
                tail = pdf.doc[sheet].get_text("words", clip=right)
                assert tail and tail[-1][4] == str(link["page"] + 1), f"sheet {sheet + 1}: line at {box} ends {tail}"
                numbered += 1
    assert numbered >= len(PAGES), f"only {numbered} contents lines"


@pytest.mark.parametrize("page", PAGES[1:], ids=page_ids(PAGES[1:]))
def test_page_starts_on_a_new_sheet(pdf, page):
    """Only the page's part caption, if the part begins here, stands above the page's title."""
    number = bookfiles.chapter_numbers().get(page)
    title = words((f"{number}. " if number else "") + bookfiles.title(page))
    sheet = pdf.starts[page]
    spans = pdf.spans[sheet]
    at = next((i for i, s in enumerate(spans) if len(words(s["text"])) >= 4 and title.startswith(words(s["text"]))),
              None)
    assert at is not None, f"{page}: its title is not on sheet {sheet + 1}, where the outline says it starts"
    above = words("".join(s["text"] for s in spans[:at]))
    captions = [words(p.caption) for p in bookfiles.parts() if p.caption and p.pages[0] == page]
    assert above in ["", *captions], f"{page}: sheet {sheet + 1} starts with {above!r}, not with the page's title"


def test_no_raw_tex_unresolved_reference_or_navigation(pdf):
    """Also: every link inside the book (cross-reference, citation, contents) lands on a page."""
    for sheet, spans in enumerate(pdf.spans):
        lost = [link.get("nameddest") for link in pdf.links[sheet]
                if link["kind"] == pymupdf.LINK_NAMED and "page" not in link]
        assert not lost, f"sheet {sheet + 1}: links to nowhere: {lost}"
        for s in spans:
            found = RAW_TEX.search(s["text"])
            assert "mono" in s["font"].lower() or not found, f"sheet {sheet + 1}: {s['text']!r}"
        for chrome in CHROME:
            assert chrome not in pdf.text[sheet], f"sheet {sheet + 1}: {chrome!r} printed"


@pytest.mark.parametrize("page", CHAPTERS, ids=page_ids(CHAPTERS))
def test_numbers_are_the_htmls(pdf, page):
    body = article(page)
    for link in body.select("a.headerlink"):
        link.decompose()
    main, solutions = [], []
    for e in body.select(".caption-number, span.eqno"):
        (solutions if e.find_parent(class_="solution") else main).append(e.get_text(" ", strip=True))
    expected = main + solutions
    kinds = "|".join(sorted({re.escape(x.split()[0]) for x in expected if not EQUATION.fullmatch(x)}))
    box = re.compile(rf"(?:{kinds}) \d+(?:\.\d+)*(?= \(|$)")  # a box's title, not its second line
    printed = []
    for sheet in pdf.sheets(page):
        for s in pdf.unlinked(sheet):
            text = s["text"].strip()
            bold = s["flags"] & pymupdf.TEXT_FONT_BOLD or "bold" in s["font"].lower()
            if EQUATION.fullmatch(text) and not s["font"].startswith("Type3"):
                printed.append(text)
            elif bold and (m := box.match(text)):
                printed.append(m.group())
    assert len(expected) >= 5, f"{page}: only {len(expected)} numbers in the HTML"
    assert printed == expected, f"{page}: the PDF numbers {printed}, the HTML {expected}"


@pytest.mark.parametrize("page", CHAPTERS, ids=page_ids(CHAPTERS))
def test_every_figure_is_printed(pdf, page):
    body = article(page)
    interactive = [len(json.loads(f.select_one("script.pgbook-interactive-data").string)["frames"])
                   for f in body.select(".pgbook-interactive")]
    static = len(body.select("img")) - len(body.select(".pgbook-interactive img"))
    sheets = pdf.sheets(page)
    text = " ".join(" ".join(pdf.text[s].split()) for s in sheets)
    images = sum(len(pdf.doc[s].get_image_info()) for s in sheets)
    panels = [(int(k), int(n)) for k, n in re.findall(r"printed at (\d+) of its (\d+) settings", text)]
    assert [n for _, n in panels] == interactive, f"{page}: figures of {interactive} frames, printed {panels}"
    assert all(k >= 2 for k, _ in panels), f"{page}: a panel of one frame: {panels}"
    assert images == static + sum(k for k, _ in panels), (
        f"{page}: {images} images printed for {static} figures and {sum(k for k, _ in panels)} frames")
    simplex = len(body.select(".pgbook-simplex"))
    views = [int(v) for v in re.findall(r"printed at .{0,80}? from (\d+) starts", text)]
    assert len(views) == simplex, f"{page}: {simplex} simplex figures, {len(views)} printed"
    assert text.count("start π = (") == sum(views), f"{page}: a simplex view without its read-out"
    for s in sheets:
        drawn = pdf.text[s].count("start π = (")
        assert len(pdf.doc[s].get_drawings()) >= 50 * drawn, f"sheet {s + 1}: a simplex view is not drawn"
    assert "loading the trajectories" not in text and "cannot draw the figure" not in text


def test_no_text_runs_off_the_page(pdf):
    """Every character within the side margins and on the sheet. (MuPDF cannot place the pieces that
    MathJax stretches with a CSS transform, the extenders of tall bars and wide braces: it reports
    them at a size of hundreds of points, in a box far beyond the sheet. They are left out.)"""
    margin = build_pdf.SIDE_MARGIN_MM * MM
    for sheet, spans in enumerate(pdf.spans):
        width, height = pdf.doc[sheet].rect.width, pdf.doc[sheet].rect.height
        for s in spans:
            if s["size"] > STRETCHED:
                continue
            x0, y0, x1, y1 = s["bbox"]
            assert margin - SLACK <= x0 and x1 <= width - margin + SLACK and 0 <= y0 and y1 <= height, (
                f"sheet {sheet + 1}: {s['text'][:60]!r} at {[round(v) for v in s['bbox']]} runs off the "
                f"text column ({margin:.0f} to {width - margin:.0f} pt)")
