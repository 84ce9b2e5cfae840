"""The plateau figure of book/convergence/vanishing in a real browser, from the built HTML (``make book`` first).

The H slider shows V(t)(s₀)/V*(s₀) against t + 1 on a logarithmic axis for H = 4..12 with no kernel, and what each
frame draws is the computation: the column where PG's curve (orange) reaches the optimum is where
pgbook's run from s₀ does, read back from the PNG the page shows. On a phone the frame fits the screen.
"""

import base64
import io

import numpy as np
import pytest
from PIL import Image

from bookconf import built_html
from test_browser import FIGURE_STATE, browser, server, visit  # noqa: F401  (fixtures)

from pgbook import algorithms, envs

pytestmark = pytest.mark.book

PAGE = "book/convergence/vanishing"
ORANGE = np.array([0xE6, 0x9F, 0x00])
T_RUN = 25_000  # the runs' iterations
X_AXIS = (1, 1.3 * T_RUN)  # the figure's x limits, on t + 1, logarithmic
V_AXIS = (-0.02, 1.05)  # and its y limits


def plateau_figure(page):
    for f in page.query_selector_all(".pgbook-interactive"):
        state = f.evaluate(FIGURE_STATE)
        if state["data"]["labels"] == [[str(h) for h in range(4, 13)]]:
            return f
    pytest.fail("no interactive figure with an H slider over 4..12 on the page")


def axes_box(rgb):
    """The axes in pixels, from its two spines: the left one spans the y limits, the bottom one the x limits."""
    dark = rgb.sum(axis=2) < 150
    left, bottom = int(np.argmax(dark.sum(axis=0))), int(np.argmax(dark.sum(axis=1)))
    # (The bottom row also crosses the y axis's lowest label, left of the spine: the spine's column is x0.)
    return left, np.flatnonzero(dark[bottom])[-1], np.flatnonzero(dark[:, left])[0], bottom


def first_column_near_the_optimum(png):
    """The first t at which the frame has orange pixels at V/V* within [0.97, 1.01]; log10(t + 1) and V/V* per pixel."""
    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    x0, x1, y0, y1 = axes_box(rgb)
    to_row = lambda v: round(y1 - (v - V_AXIS[0]) / (V_AXIS[1] - V_AXIS[0]) * (y1 - y0))
    band = rgb[to_row(1.01):to_row(0.97) + 1, x0 + 2:x1 - 1]
    orange = (np.abs(band - ORANGE).sum(axis=2) < 60).any(axis=0)
    column = x0 + 2 + int(np.argmax(orange))
    assert orange.any(), "no orange near V* in the frame"
    decades = np.log10(X_AXIS[1] / X_AXIS[0])
    return (X_AXIS[0] * 10 ** ((column - x0) / (x1 - x0) * decades) - 1, decades / (x1 - x0),
            (V_AXIS[1] - V_AXIS[0]) / (y1 - y0))


def test_the_plateau_grows_with_h_and_is_pgbooks_run(visit):
    built_html()
    open_page, problems = visit
    page = open_page(PAGE)
    fig = plateau_figure(page)
    fig.scroll_into_view_if_needed()
    slider = fig.query_selector("input.pgbook-interactive-input")
    assert fig.evaluate(FIGURE_STATE)["labels"] == ["H = 8"]
    slider.focus()
    slider.press("Home")
    reached = {}
    for H in range(4, 13):
        state = fig.evaluate(FIGURE_STATE)
        assert state["labels"] == [f"H = {H}"]
        png = base64.b64decode(state["src"].split(",", 1)[1])
        drawn, per_pixel, v_per_pixel = first_column_near_the_optimum(png)
        m = envs.chain(H)
        V_star = (H + 1) * (H / (H + 1)) ** (H + 1)
        run = algorithms.softmax_pg(m, 1.0, T_RUN)
        expected = int(np.argmax(run.V_rho >= 0.97 * V_star))
        # The drawn line is about 7 px thick: it enters the band up to 4 px of V below 0.97.
        earliest = int(np.argmax(run.V_rho >= (0.97 - 4 * v_per_pixel) * V_star))
        assert (np.log10((earliest + 1) / (drawn + 1)) <= 5 * per_pixel
                and np.log10((drawn + 1) / (expected + 1)) <= 5 * per_pixel), (H, drawn, earliest, expected)
        reached[H] = drawn
        slider.press("ArrowRight")
    assert all(reached[h + 1] > reached[h] for h in range(7, 12)), reached
    assert not problems, "\n".join(problems)


def test_on_a_phone_the_plateau_frame_keeps_its_size_and_scrolls_in_its_box(visit):
    """The book's rule for figures on a phone (book/_ext/static/pgbook.css): shown at the size drawn,
    so that its text stays legible, inside a box that scrolls sideways; the page itself does not. A
    figure whose cell is tagged fit-width may instead shrink to the column (how far, so that its text
    stays legible, is test_layout.py's rule for every figure of the book)."""
    open_page, problems = visit
    page = open_page(PAGE)
    page.set_viewport_size({"width": 390, "height": 844})
    fig = plateau_figure(page)
    fig.scroll_into_view_if_needed()
    left, shown, drawn, fit = fig.evaluate(
        "(f) => { const i = f.querySelector('img'); const b = i.getBoundingClientRect();"
        " return [b.left, b.width, parseFloat(i.style.width) || +i.getAttribute('width'),"
        " f.closest('div.cell.tag_fit-width') !== null]; }")
    assert left >= 0, left
    if fit:
        assert shown <= drawn + 1, (shown, drawn)
    else:
        assert shown == pytest.approx(drawn, abs=1), (shown, drawn)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    assert not problems, "\n".join(problems)
