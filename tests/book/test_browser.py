"""The built book in a real browser, with no network: Debian's chromium driven by Playwright.

The book is served from 127.0.0.1; every other request is blocked and recorded. For every page of
``_toc.yml``: no console error and no failed or blocked request; MathJax has typeset every formula
and no TeX source is left in the visible text; every kernel-free interactive figure changes both
its image and its "name = value" label when its slider moves. A full-page screenshot of each page
is saved under ``_build/screenshots/``.

The browser is ``/usr/bin/chromium`` (``PGBOOK_CHROMIUM`` overrides it). Outside CI a missing
browser skips these tests with the reason; with ``CI=true`` it fails them.
"""

import os
import re
from pathlib import Path

import pytest

from bookconf import bookfiles, built_html, chromium, page_ids

pytestmark = pytest.mark.book

PAGES = bookfiles.pages()
CHAPTERS = bookfiles.chapters()
CHROMIUM = chromium.CHROMIUM
SCREENSHOTS = bookfiles.ROOT / "_build" / "screenshots"
RAW_TEX = re.compile(r"\\\(|\\\)|\\\[|\\\]|\$\$|\\begin\{|\$[^$\n]*[\\^_{][^$\n]*\$")

# Visible text outside code (API signatures included) and outside typeset math; text left inside typeset math with a
# backslash is an undefined macro that MathJax printed as source.
PAGE_STATE = """() => {
  const skip = "script, style, pre, code, .highlight, textarea, mjx-container, dt.sig";
  const walker = document.createTreeWalker(document.querySelector("article") || document.body,
                                           NodeFilter.SHOW_TEXT);
  let text = "";
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.parentElement.closest(skip) && node.parentElement.offsetParent !== null) text += node.data;
  }
  const inMath = [...document.querySelectorAll("mjx-assistive-mml mtext")]
    .map(e => e.textContent).filter(t => t.includes("\\\\"));
  return {
    text,
    sources: document.querySelectorAll("article .math").length,
    typeset: document.querySelectorAll("article mjx-container").length,
    errors: document.querySelectorAll("mjx-merror, [data-mjx-error]").length,
    undefined: inMath,
  };
}"""

FIGURE_STATE = """(figure) => ({
  src: figure.querySelector("img.pgbook-interactive-frame").src,
  labels: [...figure.querySelectorAll(".pgbook-interactive-label")].map(e => e.textContent.trim()),
  values: [...figure.querySelectorAll("input.pgbook-interactive-input")].map(e => +e.value),
  data: JSON.parse(figure.querySelector("script.pgbook-interactive-data").textContent),
})"""


#: How long a page may take to load and typeset (ms).
WAIT_MS = 120_000


@pytest.fixture(scope="module")
def server():
    with chromium.serve(built_html()) as base:
        yield base


def unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"the browser test cannot run in CI: {reason}")
    pytest.skip(f"no usable browser ({reason}); CI installs Debian's chromium (.ci/run)")


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as e:
        unavailable(f"the playwright package is missing: {e}")
    if not Path(CHROMIUM).exists():
        unavailable(f"{CHROMIUM} not found (apt-get install chromium)")
    with sync_playwright() as p:
        try:
            browser = chromium.launch(p)
        except Exception as e:  # noqa: BLE001  (any launch failure means: no browser)
            unavailable(f"{CHROMIUM} did not start: {e}")
        yield browser
        browser.close()


@pytest.fixture
def visit(browser, server):
    """Open a page of the book with every non-local request blocked; report what went wrong."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    # A wait, not a speed test: MathJax typesetting the longest pages on a busy 2-core machine can
    # take longer than Playwright's default 30 s.
    context.set_default_timeout(WAIT_MS)
    problems = []
    chromium.block_outside(context, server, problems)

    def open_page(page_name):
        page = context.new_page()
        chromium.record_errors(page, problems)
        # Not "networkidle": on a busy machine a page can fail to be idle for 500 ms within any wait.
        # MathJax's startup promise settles once the first typesetting is done, on-demand extensions
        # included.
        page.goto(f"{server}/{page_name}.html", wait_until="load")
        page.evaluate("() => document.fonts.ready.then(() => true)")
        if page.evaluate("() => document.querySelectorAll('article .math').length"):
            page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
            page.evaluate("() => MathJax.startup.promise.then(() => true)")
        return page

    yield open_page, problems
    context.close()


def shot(page, page_name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("() => { document.activeElement?.blur(); window.scrollTo(0, 0); }")
    page.screenshot(path=SCREENSHOTS / f"{page_name.replace('/', '__')}.png", full_page=True)


def figures_respond(page, page_name) -> int:
    """Move each slider of each kernel-free figure on the page; return how many moved as they should."""
    moved = 0
    for figure in page.query_selector_all(".pgbook-interactive"):
        for k, slider in enumerate(figure.query_selector_all("input.pgbook-interactive-input")):
            before = figure.evaluate(FIGURE_STATE)
            slider.focus()
            slider.press("End" if before["values"][k] < len(before["data"]["labels"][k]) - 1 else "Home")
            after = figure.evaluate(FIGURE_STATE)
            assert after["values"][k] != before["values"][k], "the slider did not move"
            assert after["src"] != before["src"], f"{page_name}: the image did not change"
            assert after["labels"][k] != before["labels"][k], f"{page_name}: the label did not change"
            index, labels = 0, after["data"]["labels"]
            for j, i in enumerate(after["values"]):
                index = index * len(labels[j]) + i
                assert re.fullmatch(rf".+ = {re.escape(labels[j][i])}", after["labels"][j]), after["labels"][j]
            assert after["src"] == "data:image/png;base64," + after["data"]["frames"][index]
            moved += 1
    return moved


# One test per page, not one for reading and one for the figures: loading and typesetting a page is
# most of the cost, and both read the same page at the same width.
@pytest.mark.parametrize("page_name", PAGES, ids=page_ids(PAGES))
def test_page_reads_offline_and_its_figures_move(visit, page_name):
    """The page reads offline (see the module docstring); each slider of each kernel-free figure
    moves, and the figure shows that frame and its label; a chapter that makes interactive figures
    (``viz.interactive(``) shows at least one."""
    open_page, problems = visit
    page = open_page(page_name)
    state = page.evaluate(PAGE_STATE)
    shot(page, page_name)
    assert state["text"].strip(), f"{page_name}: empty page"
    assert state["typeset"] >= state["sources"], f"{page_name}: {state['sources']} formulas, {state['typeset']} typeset"
    assert state["errors"] == 0, f"{page_name}: MathJax reported {state['errors']} errors"
    assert not state["undefined"], f"{page_name}: TeX left inside typeset math: {state['undefined'][:3]}"
    found = RAW_TEX.search(state["text"])
    assert not found, f"{page_name}: raw TeX in the text: {state['text'][max(0, found.start() - 60):found.end() + 60]!r}"
    moved = figures_respond(page, page_name)
    if page_name in CHAPTERS and "viz.interactive(" in bookfiles.source(page_name).read_text(encoding="utf-8"):
        assert moved, f"{page_name}: no interactive figure found"
    assert not problems, f"{page_name}:\n" + "\n".join(problems)


def test_outside_requests_are_blocked_and_mathjax_is_the_books_own(visit):
    """The blocking itself works, and the front page's formulas come from the book's MathJax."""
    open_page, problems = visit
    page = open_page(PAGES[0])
    assert page.evaluate("() => document.querySelectorAll('article mjx-container').length") > 0
    loaded = page.evaluate("() => performance.getEntriesByType('resource').map(e => e.name)")
    assert any("/_static/mathjax/tex-chtml.js" in url for url in loaded), loaded
    page.evaluate("() => fetch('https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js').catch(() => null)")
    assert any(p.startswith("blocked request to https://cdn.jsdelivr.net") for p in problems), problems
