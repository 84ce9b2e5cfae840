"""Every page of the built book fits the screen at 1280 px and on a 390 px phone: nothing is cut off.

For each page and viewport, ``OVERFLOWS`` (run in chromium, after MathJax has typeset the page) lists
what does not fit:

- ``page``: the page itself scrolls sideways;
- ``display``: a display formula wider than the column. On the desktop it must fit (long ones are
  split with ``aligned``); on a phone it may scroll inside its own box, but its number must stay
  beside it, never over it;
- ``inline``: inline math running past the right edge of the text column, or (phone) scrolling
  inside its line by more than a sliver: a reader does not swipe inside a sentence;
- ``code``: a code cell or printed output whose lines run past its box (cut, or hidden behind a
  scroll bar): code wraps instead;
- ``table``: a table wider than the column. On a phone it may scroll inside its own box;
- ``figure`` (phone): a figure shown smaller than drawn, its text below the size it was drawn for
  (a wide figure scrolls inside its own box instead, with a hint under it: phones hide scroll bars),
  unless its cell is tagged ``fit-width``: drawn at most 5.4 in wide with text of 11 pt or more, it
  may shrink to the column down to 10/15.3 of its width, its text still 10 px or more;
- ``element``: anything else in the article past the column's edge (an unbreakable word, a figure).

Run as a script to print every overflowing element of every page, e.g. before and after a change:
``.venv/bin/python tests/book/test_layout.py [page ...]``.

The browser is ``/usr/bin/chromium`` (``PGBOOK_CHROMIUM`` overrides it), as in test_browser.py. One
browser context per viewport, and each page is closed after use. Pages are ready when the ``load``
event, the web fonts and MathJax's typesetting are done (no ``networkidle``: it can hang on CI).
"""

import contextlib
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bookconf import bookfiles, built_html, chromium, page_ids  # noqa: E402

pytestmark = pytest.mark.book

PAGES = bookfiles.pages()
CHROMIUM = chromium.CHROMIUM
#: name -> (width, height): a desktop window and a phone (iPhone 12-15 size).
VIEWPORTS = {"desktop": (1280, 800), "phone": (390, 844)}
#: How long a page may take to load and typeset (ms): a wait, not a speed test.
WAIT_MS = 120_000

READY = """async () => {
  await document.fonts.ready;
  if (document.querySelector("article .math") && window.MathJax) {
    const deadline = Date.now() + 60000;
    while (!(MathJax.startup && MathJax.startup.promise)) {
      if (Date.now() > deadline) throw new Error("MathJax did not start within 60 s");
      await new Promise(r => setTimeout(r, 50));
    }
    await MathJax.startup.promise;
  }
  await document.fonts.ready;  // fonts MathJax asked for
  return true;
}"""

# One entry per overflowing element: {kind, where (a short description), by (px past the edge)}.
# "allowed" (phone only): a display or table that scrolls inside its own box within the column.
OVERFLOWS = """(phone) => {
  const article = document.querySelector("article.bd-article") || document.querySelector("main");
  const column = article.getBoundingClientRect();
  const right = Math.min(column.right, document.documentElement.clientWidth);
  const slack = 1;
  const minFitScale = 10 / (11 * 100 / 72);  // fit-width: 11 pt text at 100 px per inch shown at 10 px
  const sliver = 12;  // pgbook.js's SLIVER: up to this, a figure is fitted; past it, it scrolls under a hint
  const out = [];
  const text = (el) => (el.textContent || el.getAttribute("alt") || "")
    .replace(/\\s+/g, " ").trim().slice(0, 70);
  const where = (el) => {
    const section = el.closest("section[id]");
    return `${section ? "#" + section.id : ""} ${el.tagName.toLowerCase()}: ${text(el)}`;
  };
  const scrolls = (el) => ["auto", "scroll"].includes(getComputedStyle(el).overflowX);
  const clips = (el) => getComputedStyle(el).overflowX !== "visible";
  // The nearest ancestor (or the element) that clips or scrolls horizontally, inside the article.
  const clipper = (el) => {
    for (let e = el; e && e !== article; e = e.parentElement) if (clips(e)) return e;
    return null;
  };
  const seen = new Set();
  const add = (kind, el, by, extra = {}) => {
    if (by <= slack || seen.has(el)) return;
    seen.add(el);
    out.push({kind, where: where(el), by: Math.round(by), ...extra});
  };

  const page = document.documentElement.scrollWidth - document.documentElement.clientWidth;
  if (page > slack) out.push({kind: "page", where: "the page scrolls sideways", by: page});

  // Display formulas: the formula (mjx-math) against its own box and the column.
  for (const box of article.querySelectorAll("div.math")) {
    const container = box.querySelector("mjx-container");
    if (!container) continue;
    const math = container.querySelector("mjx-math") || container;
    const inner = math.getBoundingClientRect();
    const boxRect = box.getBoundingClientRect();
    const scroller = [container, box].find(scrolls);
    const wide = Math.max(inner.right - right, column.left - inner.left, 0);
    if (!scroller) { add("display", box, wide); continue; }
    const view = scroller.getBoundingClientRect();
    const hidden = scroller.scrollWidth - scroller.clientWidth;
    const outside = Math.max(view.right - right, column.left - view.left, 0);
    if (outside > slack) { add("display", box, outside); continue; }
    if (hidden <= slack) continue;
    const number = box.querySelector(".eqno");
    let overlap = 0;
    if (number) {
      const n = number.getBoundingClientRect();
      const visible = {left: Math.max(inner.left, view.left), right: Math.min(inner.right, view.right)};
      const vertical = n.bottom > view.top && n.top < view.bottom;
      if (vertical) overlap = Math.min(n.right, visible.right) - Math.max(n.left, visible.left);
    }
    if (overlap > slack) add("display", box, overlap, {note: "its number covers the formula"});
    else add("display", box, hidden, {allowed: phone, note: "scrolls inside its box"});
  }

  // Inline formulas past the column's edge (unless inside a box that scrolls).
  for (const el of article.querySelectorAll("mjx-container:not([display='true'])")) {
    if (el.closest("div.math, table")) continue;  // (a table is measured as a whole)
    const c = clipper(el.parentElement);
    const r = el.getBoundingClientRect();
    if (c && scrolls(c) && c.getBoundingClientRect().right <= right + slack) {
      // (a few pixels only: readers do not swipe inside a line of text, so a longer one is cut off)
      const hidden = c.scrollWidth - c.clientWidth;
      add("inline", el, hidden, {allowed: phone && hidden <= sliver, note: "scrolls inside its box"});
      continue;
    }
    add("inline", el, r.right - right);
  }

  // Code cells and printed output: nothing hidden behind a scroll bar or past the edge.
  for (const pre of article.querySelectorAll("pre")) {
    if (!pre.offsetParent) continue;
    const hidden = pre.scrollWidth - pre.clientWidth;
    add("code", pre, Math.max(hidden, pre.getBoundingClientRect().right - right));
  }

  // Tables: fit the column, or (phone only) scroll inside their own box within it.
  for (const table of article.querySelectorAll("table")) {
    const r = table.getBoundingClientRect();
    const c = clipper(table);
    if (c && scrolls(c)) {
      const outside = c.getBoundingClientRect().right - right;
      if (outside > slack) add("table", table, outside);
      else add("table", table, c.scrollWidth - c.clientWidth,
               {allowed: phone, note: "scrolls inside its box"});
    } else {
      add("table", table, r.right - right);
    }
  }

  // Figures (phone): never shown smaller than drawn, so that their text stays legible.
  if (phone) for (const img of article.querySelectorAll("div.cell_output img")) {
    if (!img.getClientRects().length) continue;  // not shown (e.g. a gallery's other examples)
    const drawn = parseFloat(img.style.width) || +img.getAttribute("width") || 0;
    const shrunk = drawn - img.getBoundingClientRect().width;
    // (A figure wider than its box by a sliver only is fitted to it, a few pixels narrower: pgbook.js.)
    // A figure in a cell tagged fit-width (pgbook.css) is drawn for shrinking: at most 5.4 in wide, its
    // text 11 pt (15.3 px) or more, so down to 10/15.3 of its drawn width its text stays 10 px or more.
    const fitWidth = img.closest("div.cell.tag_fit-width") !== null
      && img.getBoundingClientRect().width >= minFitScale * drawn;
    add("figure", img, shrunk, {note: fitWidth ? "shrunk to the column (fit-width)" : "shown smaller than drawn",
                                allowed: fitWidth || (shrunk <= sliver && img.closest(".pgbook-fits") !== null)});
  }
  // ... and a figure or table wider than the screen says so under it (phones hide the scroll bar), or,
  // for a table of the text, above it (pgbook.js). A table cannot be fitted to its box as a figure is,
  // so one that hides any of its width is hinted.
  const hinted = (box) => {
    const hint = box.classList.contains("pst-scrollable-table-container")
      ? box.previousElementSibling : box.nextElementSibling;
    return hint !== null && hint.classList.contains("pgbook-scroll-hint");
  };
  if (phone) for (const box of article.querySelectorAll("div.cell_output, .pgbook-interactive-view, "
                                                        + ".pgbook-report-figure, .pst-scrollable-table-container")) {
    const hidden = box.scrollWidth - box.clientWidth;
    const table = box.querySelector("table") !== null;
    const limit = table ? slack : sliver;
    if (hinted(box) && hidden <= limit) add("figure", box, 2, {note: `a swipe hint under a box that hides ${hidden} px`});
    if (hidden <= slack || !box.querySelector("img, svg, canvas, table")) continue;
    if (hidden <= sliver && !table)
      add("figure", box, hidden, {note: "a figure scrolls by a sliver: it should be fitted to its box"});
    else if (!hinted(box))
      add("figure", box, hidden, {note: "scrolls sideways with no hint under it"});
  }
  // ... whichever box scrolls the table (the theme's own boxes too).
  if (phone) for (const table of article.querySelectorAll("table")) {
    const c = clipper(table);
    if (!c || !scrolls(c)) continue;
    const hidden = c.scrollWidth - c.clientWidth;
    if (hidden > slack && !hinted(c))
      add("table", c, hidden, {note: "a table scrolls sideways in its box with no hint under it"});
  }
  // ... and every box that scrolls opens at its left edge, where a figure's y axis and labels are
  // (readers found frames opened mid-way with their axes hidden).
  if (phone) for (const box of article.querySelectorAll("div.cell_output, .pgbook-interactive-view, "
                                                        + ".pgbook-report-figure")) {
    if (box.scrollLeft > 0) add("figure", box, box.scrollLeft, {note: "a box opens scrolled away from its left edge"});
  }
  // ... and an interactive figure's sliders stay on the screen while its frame scrolls.
  if (phone) for (const control of article.querySelectorAll(".pgbook-interactive-control")) {
    const r = control.getBoundingClientRect();
    add("element", control, r.right - right, {note: "a slider past the screen's edge"});
  }

  // Anything else whose box runs past the column (and is not inside a box that scrolls or clips).
  for (const el of article.querySelectorAll("*")) {
    if (el.closest("div.math, pre, table, mjx-container, .pgbook-interactive-controls")) continue;
    const r = el.getBoundingClientRect();
    if (!r.width || r.right <= right + slack) continue;
    const c = clipper(el.parentElement);  // (an element's own overflow clips its content, not itself)
    if (c && c.getBoundingClientRect().right <= right + slack) continue;
    // Report the outermost such element only.
    if (el.parentElement && el.parentElement.getBoundingClientRect().right > right + slack
        && el.parentElement !== article) continue;
    add("element", el, r.right - right);
  }
  return out;
}"""


@contextlib.contextmanager
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = chromium.launch(p)
        try:
            yield launched
        finally:
            launched.close()


def measure(context, url: str, page_name: str, phone: bool, color_scheme: str | None = None,
            screenshot: Path | None = None) -> list[dict]:
    """Every overflowing element of one page (see OVERFLOWS); optionally save a full-page screenshot."""
    page = context.new_page()
    try:
        if color_scheme:
            page.emulate_media(color_scheme=color_scheme)
        page.goto(f"{url}/{page_name}.html", wait_until="load")
        page.evaluate(READY)
        found = page.evaluate(OVERFLOWS, phone)
        if screenshot:
            page.screenshot(path=screenshot, full_page=True)
        return found
    finally:
        page.close()


def problems(found: list[dict]) -> list[dict]:
    return [f for f in found if not f.get("allowed")]


def describe(f: dict) -> str:
    note = f" ({f['note']})" if f.get("note") else ""
    return f"{f['kind']} {f['by']} px{note}: {f['where']}"


@pytest.fixture(scope="module")
def contexts():
    """One browser context per viewport, on the built book served from 127.0.0.1."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as e:
        reason = f"the playwright package is missing: {e}"
    else:
        reason = None if Path(CHROMIUM).exists() else f"{CHROMIUM} not found (apt-get install chromium)"
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the layout test cannot run in CI: {reason}")
        pytest.skip(f"no usable browser ({reason}); CI installs Debian's chromium (.ci/run)")
    with chromium.serve(built_html()) as url, browser() as launched:
        made = {}
        for name, (width, height) in VIEWPORTS.items():
            made[name] = launched.new_context(viewport={"width": width, "height": height},
                                             is_mobile=name == "phone", has_touch=name == "phone")
            made[name].set_default_timeout(WAIT_MS)
        yield url, made
        for context in made.values():
            context.close()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("page_name", PAGES, ids=page_ids(PAGES))
def test_nothing_is_cut_off(contexts, page_name, viewport):
    url, made = contexts
    found = problems(measure(made[viewport], url, page_name, viewport == "phone"))
    assert not found, (f"{page_name} at {VIEWPORTS[viewport][0]} px: {len(found)} elements do not fit:\n"
                       + "\n".join(describe(f) for f in found))


def report(pages: list[str], shots: Path | None = None) -> int:
    """Print every overflowing element of every page and viewport; return the number of problems."""
    total = 0
    with chromium.serve(built_html()) as url, browser() as launched:
        for name, (width, height) in VIEWPORTS.items():
            context = launched.new_context(viewport={"width": width, "height": height},
                                          is_mobile=name == "phone", has_touch=name == "phone")
            context.set_default_timeout(WAIT_MS)
            for page_name in pages:
                for scheme in (["light", "dark"] if shots else [None]):
                    shot = shots / f"{page_name.replace('/', '__')}-{name}-{scheme}.png" if shots else None
                    found = measure(context, url, page_name, name == "phone", scheme, shot)
                bad = problems(found)
                total += len(bad)
                print(f"== {page_name} at {width} px: {len(bad)} cut, "
                      f"{len(found) - len(bad)} scroll in their box")
                for f in found:
                    print("   ", "ok " if f.get("allowed") else "CUT", describe(f))
            context.close()
    print(f"total: {total} elements cut off")
    return total


if __name__ == "__main__":
    args = sys.argv[1:]
    shots = None
    if args[:1] == ["--shots"]:
        shots = Path(args[1])
        shots.mkdir(parents=True, exist_ok=True)
        args = args[2:]
    report(args or PAGES, shots)
