"""Checks on the built HTML book (``make book`` first): pages, outputs, math, launch links, checks,
interactive figures, and that nothing is loaded from outside the book."""

import base64
import io
import json
import math
import re
from urllib.parse import parse_qs, urlparse

import pytest
from bs4 import BeautifulSoup
from PIL import Image

from bookconf import MIN_CHECKS, MIN_CHECKS_SUMMARY, bookfiles, built_html, page_ids

pytestmark = pytest.mark.book

PAGES = bookfiles.pages()
CHAPTERS = bookfiles.chapters()
#: Largest HTML (with its inline frames) of one interactive figure, in bytes.
MAX_FIGURE_BYTES = 1_500_000
EXTERNAL = re.compile(r"^(https?:)?//", re.I)
#: TeX that MathJax never sees: it would stay on the page as source.
RAW_TEX = [re.compile(p) for p in (r"\$\$", r"\\begin\{", r"\\end\{", r"\\\[", r"\\\]",
                                   r"\$[^$\n]*[\\^_{][^$\n]*\$")]
INLINE_TEX = re.compile(r"\\\(|\\\)")


@pytest.fixture(scope="module")
def html_dir():
    return built_html()


def soup(html_dir, page) -> BeautifulSoup:
    return BeautifulSoup((html_dir / f"{page}.html").read_text(encoding="utf-8"), "html.parser")


def article(doc: BeautifulSoup):
    return doc.select_one("article.bd-article") or doc.body


@pytest.mark.parametrize("page", PAGES, ids=page_ids(PAGES))
def test_page_is_built_with_its_title(html_dir, page):
    doc = soup(html_dir, page)
    heading = article(doc).find("h1")
    assert heading is not None and heading.get_text(strip=True), f"{page}: no title"


@pytest.mark.parametrize("page", PAGES, ids=page_ids(PAGES))
def test_no_error_output_or_traceback(html_dir, page):
    body = article(soup(html_dir, page))
    bad = body.select(".output.error, .output.traceback, .output.stderr, .cell_output .traceback")
    assert not bad, f"{page}: error output {bad[0].get_text()[:300]!r}"
    for example in body.select("div.doctest"):  # a docstring's example may show the error it documents
        example.decompose()
    assert "Traceback (most recent call last)" not in body.get_text()


@pytest.mark.parametrize("page", PAGES, ids=page_ids(PAGES))
def test_no_unrendered_math_source(html_dir, page):
    """Math reaches the reader only inside the elements MathJax typesets (``.math``; in cell
    outputs MathJax also typesets ``\\( ... \\)``); code is not prose and is left out, and so is an API
    signature (``dt.sig``: a default value may be a TeX string, e.g. a figure's axis label)."""
    body = article(soup(html_dir, page))
    for tag in body.select("script, style, pre, code, .highlight, .math, dt.sig"):
        tag.decompose()
    for output in body.select(".cell_output"):
        text = output.get_text(" ")
        for pattern in RAW_TEX:
            assert not pattern.search(text), f"{page}: raw TeX in an output: {text[:200]!r}"
        output.decompose()
    text = body.get_text(" ")
    for pattern in [*RAW_TEX, INLINE_TEX]:
        found = pattern.search(text)
        assert not found, f"{page}: unrendered math {text[max(0, found.start() - 60):found.end() + 60]!r}"


def test_pages_with_math_have_math_elements(html_dir):
    """The raw-TeX check above could pass on a page where no math was parsed at all."""
    for page in ["book/notation", *CHAPTERS]:
        assert len(article(soup(html_dir, page)).select(".math")) >= 5, f"{page}: math was not parsed"


@pytest.mark.parametrize("page", CHAPTERS, ids=page_ids(CHAPTERS))
def test_launch_links_open_a_notebook_of_the_repository(html_dir, page):
    """The launch buttons follow the book's repository (the checkout's GitHub origin, or _config.yml);
    with none, there are no launch or repository buttons that would point nowhere."""
    config, repo = bookfiles.config(), bookfiles.repository()
    links = [a["href"] for a in soup(html_dir, page).select(".bd-header-article a[href]")]  # the page's buttons
    binder = [h for h in links if h.startswith(config["launch_buttons"]["binderhub_url"])]
    colab = [h for h in links if h.startswith(config["launch_buttons"]["colab_url"])]
    if repo is None:
        dead = [h for h in links if h.startswith("http")]
        assert not dead, f"{page}: launch or repository buttons with no repository: {dead}"
        return
    owner_repo, branch = urlparse(repo.url).path.strip("/"), repo.branch
    assert binder and colab, f"{page}: missing launch buttons"
    assert repo.url in links, f"{page}: no repository button"
    for href in binder:
        parsed = urlparse(href)
        assert parsed.path == f"/v2/gh/{owner_repo}/{branch}"
        (urlpath,) = parse_qs(parsed.query)["urlpath"]
        assert urlpath == f"lab/tree/{page}.ipynb"
    for href in colab:
        assert href.endswith(f"/github/{owner_repo}/blob/{branch}/{page}.ipynb")
    assert bookfiles.notebook(page).exists()


@pytest.mark.parametrize("page", CHAPTERS, ids=page_ids(CHAPTERS))
def test_every_check_on_the_page_passed(html_dir, page):
    checks = article(soup(html_dir, page)).select("div.pgbook-check")
    least = MIN_CHECKS_SUMMARY if page == "book/approximation/summary" else MIN_CHECKS
    assert len(checks) >= least, f"{page}: only {len(checks)} checked claims (need {least})"
    for c in checks:
        error, tol = float(c["data-error"]), float(c["data-tol"])
        assert c["data-passed"] == "true" and math.isfinite(error) and error <= tol, c.get_text()
        assert c.get_text().startswith("✔")
        assert c.get("data-id", "").startswith(page.rsplit("/", 1)[1] + "/"), f"{page}: {c.get_text()[:80]!r} has no id"


def frames_of(figure):
    data = json.loads(figure.select_one("script.pgbook-interactive-data").string)
    return data, [base64.b64decode(f) for f in data["frames"]]


def test_interactive_figures_are_kernel_free_labelled_and_light(html_dir):
    figures = [(page, f) for page in CHAPTERS for f in article(soup(html_dir, page)).select(".pgbook-interactive")]
    assert figures, "no interactive figure in the book"
    assert any(len(frames_of(f)[0]["labels"][0]) >= 15 for _, f in figures), "no slider with 15+ values"
    for page, figure in figures:
        assert len(str(figure).encode()) <= MAX_FIGURE_BYTES, f"{page}: figure heavier than 1.5 MB"
        data, frames = frames_of(figure)
        inputs = figure.select("input[type=range]")
        assert len(inputs) == len(data["labels"]) and len(frames) == math.prod(map(len, data["labels"]))
        assert len(set(frames)) == len(frames), f"{page}: identical frames"
        for given, labels, name, value in zip(inputs, data["labels"], figure.select(".pgbook-interactive-name"),
                                              figure.select("output.pgbook-interactive-value")):
            assert int(given["max"]) == len(labels) - 1 and value.get_text() == labels[int(given["value"])]
            assert name.get_text().strip(), f"{page}: unlabelled slider"
        sizes = set()
        for png in frames:
            image = Image.open(io.BytesIO(png))
            sizes.add(image.size)
            assert image.convert("RGBA").getpixel((0, 0)) == (255, 255, 255, 255), "frame not opaque white"
        assert len(sizes) == 1, f"{page}: frames of different sizes"
        img = figure.select_one("img.pgbook-interactive-frame")
        shown = (int(img["width"]), int(img["height"]))
        assert sizes == {(2 * shown[0], 2 * shown[1])}, f"{page}: frames {sizes} are not 2x the shown {shown}"
        assert not figure.select("script[src]")


#: An alt text that is only a file's name or path (myst-nb's default for a cell's image is its file name).
FILE_NAME = re.compile(r"^\S*\.(png|jpe?g|gif|svg|webp|pdf)$", re.I)


@pytest.mark.parametrize("page", PAGES, ids=page_ids(PAGES))
def test_every_image_has_an_alt_text_in_words(html_dir, page):
    """A reader who cannot see an image (a screen reader, an image that did not load) gets its alt
    text: never empty, never the image's file name, never a data URL; an interactive figure's frames
    each carry their own, swapped with the frame."""
    images = soup(html_dir, page).find_all("img")
    for img in images:
        alt = (img.get("alt") or "").strip()
        src = img.get("src", "")
        where = f"{page}: <img src={src[:60]!r}>"
        assert alt, f"{where} has no alt text"
        assert not FILE_NAME.match(alt) and not alt.startswith("data:"), f"{where} has the alt text {alt!r}"
        assert alt != src and alt != src.rsplit("/", 1)[-1], f"{where}: its alt text is its file name"
        assert len(alt.split()) >= 2, f"{where}: alt text {alt!r} says nothing"
    for figure in article(soup(html_dir, page)).select(".pgbook-interactive"):
        data, frames = frames_of(figure)
        assert len(data["alts"]) == len(frames) and all(len(a.split()) >= 2 for a in data["alts"]), page


def test_nothing_is_loaded_from_outside_the_book(html_dir):
    loads = {"script": "src", "img": "src", "iframe": "src", "source": "src", "video": "src",
             "audio": "src", "embed": "src", "object": "data"}
    navigation = {"index", "search", "next", "prev", "canonical", "author", "license", "help", "alternate"}
    pages = sorted(html_dir.rglob("*.html"))
    assert len(pages) >= len(PAGES)
    for path in pages:
        doc = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        for tag, attr in loads.items():
            for el in doc.find_all(tag):
                assert not EXTERNAL.match(el.get(attr, "")), f"{path.name}: <{tag} {attr}={el.get(attr)}>"
        for link in doc.find_all("link", href=True):
            if not set(link.get("rel", [])) <= navigation:
                assert not EXTERNAL.match(link["href"]), f"{path.name}: <link href={link['href']}>"
    for css in html_dir.rglob("*.css"):
        text = css.read_text(encoding="utf-8", errors="replace")
        assert not re.search(r"(url\(\s*['\"]?|@import\s+['\"])(https?:)?//", text), f"{css}: loads a URL"


def test_mathjax_is_served_by_the_book(html_dir):
    scripts = [s["src"] for s in soup(html_dir, CHAPTERS[0]).select("script[src]")]
    mathjax = [s for s in scripts if "mathjax" in s.lower()]
    assert mathjax and all(s.split("?")[0].endswith("_static/mathjax/tex-chtml.js") for s in mathjax)
    assert (html_dir / "_static" / "mathjax" / "tex-chtml.js").stat().st_size > 500_000
    assert list((html_dir / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))
