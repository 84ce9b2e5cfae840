"""The simplex figure of book/npg/simplex in a real browser, from the built HTML (``make book`` first).

Clicking on the triangle moves the start, the η and γ sliders and the preset buttons change the
paths, and what is drawn is the computation: the ends of the drawn paths are recomputed here
independently (exponential weights for NPG on the bandit, pgbook.algorithms for PG and the fork).
Both themes colour the two methods differently from each other and legibly.
"""

import re

import numpy as np
import pytest

from bookconf import built_html
from test_browser import browser, server, visit  # noqa: F401  (fixtures)

from pgbook import algorithms, envs, simplex

pytestmark = pytest.mark.book

PAGE = "book/npg/simplex"
REWARDS = np.array([1.0, 0.9, 0.1])

STATE = """(fig) => {
  const paths = {};
  for (const p of fig.querySelectorAll("path.pgs-path")) paths[p.dataset.method] = p.getAttribute("d");
  const curves = {};
  for (const p of fig.querySelectorAll("path.pgs-curve")) curves[p.dataset.method] = p.getAttribute("d");
  return {
    drawn: +fig.getAttribute("data-drawn"), start: +fig.getAttribute("data-start"), paths, curves,
    readout: fig.querySelector(".pgs-readout").textContent,
    inputs: [...fig.querySelectorAll("input.pgs-input")].map(i => +i.value),
    labels: [...fig.querySelectorAll("output")].map(o => o.textContent),
    data: JSON.parse(fig.querySelector("script.pgbook-simplex-data").textContent),
  };
}"""

# Screen position of a point of the SVG's own coordinates.
TO_SCREEN = """([fig, x, y]) => {
  const svg = fig.querySelector("svg"), pt = svg.createSVGPoint();
  pt.x = x; pt.y = y;
  const s = pt.matrixTransform(svg.getScreenCTM());
  return [s.x, s.y];
}"""


def points(d):
    return np.array([[float(a), float(b)] for a, b in re.findall(r"(-?[\d.]+),(-?[\d.]+)", d)])


def to_svg(geo, pi):
    p0, p2 = pi[..., 0], pi[..., 2]
    return np.stack([geo["ox"] + geo["side"] * (p2 + p0 / 2), geo["oy"] - geo["side"] * np.sqrt(3) / 2 * p0], -1)


def figures(page):
    figs = page.query_selector_all(".pgbook-simplex")
    assert len(figs) == 2, "expected the bandit and the fork figures"
    for f in figs:
        page.wait_for_function("(f) => +f.getAttribute('data-drawn') >= 1", arg=f, timeout=20_000)
    return figs


def state(fig):
    return fig.evaluate(STATE)


def click_at(page, fig, pi):
    geo = state(fig)["data"]["geometry"]
    x, y = to_svg(geo, np.asarray(pi, dtype=float))
    sx, sy = page.evaluate(TO_SCREEN, [fig, x, y])
    page.mouse.click(sx, sy)


def test_bandit_figure_draws_the_computation_and_follows_clicks_and_eta(visit):
    built_html()
    open_page, problems = visit
    page = open_page(PAGE)
    bandit_fig, _ = figures(page)
    bandit_fig.scroll_into_view_if_needed()
    s0 = state(bandit_fig)
    data, geo = s0["data"], s0["data"]["geometry"]
    T = data["steps"][-1]

    def check_ends(s):
        start = np.array(data["starts"][s["start"]])
        eta = data["etas"][s["inputs"][0]]
        npg_end = start * np.exp(eta * T * (REWARDS - 1.0))
        npg_end /= npg_end.sum()
        pg = algorithms.softmax_pg(envs.bandit(REWARDS), eta, T, theta0=np.log(start)[None])
        for method, end in (("NPG", npg_end), ("PG", pg.pi[-1, 0])):
            drawn = points(s["paths"][method])
            assert np.abs(drawn[0] - to_svg(geo, start)).max() < 0.05, f"{method} does not start at the start"
            assert np.abs(drawn[-1] - to_svg(geo, end)).max() < 0.05, f"{method}'s end is not the computed one"

    check_ends(s0)
    # The readout: the gaps after T iterations, to the 2 digits the data hold.
    pg_gap = float(re.search(r"PG ([\d.e+-]+)", s0["readout"]).group(1))
    pg = algorithms.softmax_pg(envs.bandit(REWARDS), data["etas"][s0["inputs"][0]], T,
                               theta0=np.log(data["starts"][s0["start"]])[None])
    assert abs(pg_gap / (1.0 - pg.V_rho[-1]) - 1) < 0.05, s0["readout"]
    assert "NPG < 1e-12" in s0["readout"], s0["readout"]

    # Click on the centre of the triangle: the start moves to the grid's centre and both paths change.
    click_at(page, bandit_fig, [1 / 3, 1 / 3, 1 / 3])
    s1 = state(bandit_fig)
    centre = int(np.argmin(((np.array(data["starts"]) - 1 / 3) ** 2).sum(axis=1)))
    assert s1["start"] == centre and s1["drawn"] > s0["drawn"]
    assert s1["paths"]["PG"] != s0["paths"]["PG"] and s1["paths"]["NPG"] != s0["paths"]["NPG"]
    assert s1["curves"]["PG"] != s0["curves"]["PG"] and s1["readout"] != s0["readout"]
    check_ends(s1)

    # Move η to its largest value with the keyboard: the label, the paths and the curves follow.
    slider = bandit_fig.query_selector("input.pgs-input")
    slider.focus()
    slider.press("End")
    s2 = state(bandit_fig)
    assert s2["inputs"][0] == len(data["etas"]) - 1 and s2["labels"][0] == data["eta_labels"][-1]
    assert s2["paths"]["NPG"] != s1["paths"]["NPG"] and s2["curves"]["PG"] != s1["curves"]["PG"]
    check_ends(s2)

    # The arrow keys move the start on the grid: up is towards a₁, the top corner.
    bandit_fig.query_selector("svg").focus()
    page.keyboard.press("ArrowUp")
    s_up = state(bandit_fig)
    starts = np.array(data["starts"])
    assert s_up["start"] != s2["start"] and starts[s_up["start"], 0] > starts[s2["start"], 0]
    check_ends(s_up)
    s2 = s_up

    # A preset button moves the start too.
    bandit_fig.query_selector_all("button.pgs-preset")[1].click()
    s3 = state(bandit_fig)
    assert s3["start"] != s2["start"]
    check_ends(s3)
    assert not problems, "\n".join(problems)


def test_fork_figure_follows_gamma(visit):
    open_page, problems = visit
    page = open_page(PAGE)
    _, fork_fig = figures(page)
    s0 = state(fork_fig)
    data = s0["data"]
    gamma_slider = fork_fig.query_selector_all("input.pgs-input")[1]
    gamma_slider.focus()
    gamma_slider.press("Home")
    s1 = state(fork_fig)
    assert s1["labels"][1] == data["gamma_labels"][0] and s1["paths"]["PG"] != s0["paths"]["PG"]
    gamma, eta = data["gammas"][0], data["etas"][s1["inputs"][0]]
    start = np.array(data["starts"][s1["start"]])
    T = data["steps"][-1]
    fork = simplex.fork(gamma)
    run = algorithms.npg(fork, eta, T, theta0=simplex.start_logits(fork, 0, start[None])[0])
    drawn = points(s1["paths"]["NPG"])[-1]
    assert np.abs(drawn - to_svg(data["geometry"], run.pi[-1, 0])).max() < 0.05
    # The star marks the optimal action: safe when gamma < 1/2.
    labels = [t.text_content() for t in fork_fig.query_selector_all("svg text")]
    assert any(t.startswith("safe") and t.endswith("★") for t in labels), labels
    assert not problems, "\n".join(problems)


COLOURS = """(f) => {
  let bg = "rgb(255, 255, 255)";
  for (let e = f; e; e = e.parentElement) {
    const c = getComputedStyle(e).backgroundColor, m = c.match(/[\\d.]+/g);
    if (m && (m.length < 4 || +m[3] > 0.5)) { bg = c; break; }
  }
  return {bg, strokes: [...f.querySelectorAll("path.pgs-path")].map(p => getComputedStyle(p).stroke),
          text: getComputedStyle(f.querySelector("svg text")).fill};
}"""


def rgb(css):
    return np.array([float(v) for v in re.findall(r"[\d.]+", css)[:3]]) / 255


def contrast(a, b):
    """WCAG contrast ratio of two sRGB colours."""
    def lum(c):
        c = np.where(c <= 0.03928, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
        return c @ [0.2126, 0.7152, 0.0722]
    hi, lo = sorted([lum(a), lum(b)], reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_methods_are_distinct_and_legible_in_both_themes(visit, theme):
    open_page, problems = visit
    page = open_page(PAGE)
    page.evaluate(f"() => document.documentElement.setAttribute('data-theme', '{theme}')")
    fig = figures(page)[0]
    c = fig.evaluate(COLOURS)
    assert len(set(c["strokes"])) == 2, c
    for colour in [*c["strokes"], c["text"]]:
        assert contrast(rgb(colour), rgb(c["bg"])) >= 3.0, c
    assert not problems, "\n".join(problems)


def test_a_dark_host_gets_the_dark_palette(visit):
    """As in JupyterLab's or Colab's dark theme: light text on a dark background around the output."""
    open_page, problems = visit
    page = open_page(PAGE)
    fig = figures(page)[0]
    fig.evaluate("(f) => { f.parentElement.style.color = '#e6e6e6'; f.parentElement.style.background = '#111'; }")
    page.evaluate("() => document.body.setAttribute('data-jp-theme-light', 'false')")
    page.wait_for_function("(f) => f.classList.contains('pgs-dark')", arg=fig)
    c = fig.evaluate(COLOURS)
    assert sorted(c["strokes"]) == ["rgb(240, 160, 75)", "rgb(86, 180, 233)"], c
    for colour in [*c["strokes"], c["text"]]:
        assert contrast(rgb(colour), rgb(c["bg"])) >= 3.0, c
    assert not problems, "\n".join(problems)
