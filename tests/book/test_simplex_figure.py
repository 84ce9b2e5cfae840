"""The simplex figure of book/npg/simplex in a real browser, from the built HTML (``make book`` first).

Clicking on the triangle moves the start, the η and γ sliders and the preset buttons change the
paths, and what is drawn is the computation: the ends of the drawn paths are recomputed here
independently (exponential weights for NPG on the bandit, pgbook.algorithms for PG and the fork).
Both themes colour the two methods differently from each other and legibly.

The controls of issue 18 as a reader uses them: play runs time through both runs and stops at the end,
the scrubber and its arrow keys go to any record, PG's step modes (NPG's KL per step, a step size of
its own up to 1000) and the logit view draw their own runs, a shared link restores the whole state and
opens at the figure, a phone gets stacked panels and touch-sized controls, and the book's theme
switches the figure's palette. At every stop the iterates drawn on both panels are recomputed with
pgbook.algorithms at the shown t.
"""

import re

import numpy as np
import pytest

from bookconf import built_html
from test_browser import browser, server, visit  # noqa: F401  (fixtures)

from pgbook import algorithms, envs
from pgbook.theory import simplex

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
    labels: [...fig.querySelectorAll(".pgs-controls output")].map(o => o.textContent),
    data: JSON.parse(fig.querySelector("script.pgbook-simplex-data").textContent),
  };
}"""

# Screen position of a point of the SVG's own coordinates.
TO_SCREEN = """([fig, x, y]) => {
  const svg = fig.querySelector("svg.pgs-left"), pt = svg.createSVGPoint();
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
    bandit_fig.query_selector("svg.pgs-left").focus()
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
    fork = envs.fork(gamma)
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
          text: getComputedStyle(f.querySelector("svg.pgs-left text")).fill};
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
    fig.evaluate("(f) => { f.parentElement.style.setProperty('color', '#e6e6e6', 'important');"
                 "         f.parentElement.style.setProperty('background', '#111', 'important'); }")
    page.evaluate("() => document.documentElement.removeAttribute('data-theme')")  # no book theme to follow
    page.wait_for_function("(f) => f.classList.contains('pgs-dark')", arg=fig)
    c = fig.evaluate(COLOURS)
    assert sorted(c["strokes"]) == ["rgb(240, 160, 75)", "rgb(86, 180, 233)"], c
    for colour in [*c["strokes"], c["text"]]:
        assert contrast(rgb(colour), rgb(c["bg"])) >= 3.0, c
    assert not problems, "\n".join(problems)


# --- time, PG's step, the logit view, the shared link, the phone, the dark theme (issue 18) -------------

NOW = """(fig) => {
  const at = (svg, m) => {
    const e = fig.querySelector(`svg.${svg} .pgs-now[data-method="${m}"]`);
    if (!e || e.style.display === "none") return null;
    return e.tagName === "rect" ? [+e.getAttribute("x") + +e.getAttribute("width") / 2, +e.getAttribute("y") + +e.getAttribute("height") / 2]
                                : [+e.getAttribute("cx"), +e.getAttribute("cy")];
  };
  return {k: +fig.getAttribute("data-k"), frames: +fig.getAttribute("data-frames"), playing: fig.getAttribute("data-playing"),
          t: fig.querySelector("output.pgs-t").textContent, play: fig.querySelector("button.pgs-play").textContent,
          left: {PG: at("pgs-left", "PG"), NPG: at("pgs-left", "NPG")}, right: {PG: at("pgs-right", "PG"), NPG: at("pgs-right", "NPG")},
          legend: fig.querySelector(".pgs-legend-pg").textContent, shared: fig.getAttribute("data-shared"),
          mode: fig.querySelector("input.pgs-radio[name$='-mode']:checked").value,
          view: fig.querySelector("input.pgs-radio[name$='-view']:checked").value,
          own_hidden: fig.querySelector(".pgs-own").hidden, hash: location.hash};
}"""


def now(fig):
    return fig.evaluate(NOW)


def bandit_runs(start, eta, t, mode="same", pg_eta=None):
    """pgbook's iterates after t steps from start on the bandit: PG (in the figure's mode) and NPG, with their
    gaps and centred logits."""
    bandit, theta0 = envs.bandit(REWARDS), np.log(np.asarray(start, dtype=float))[None]
    if t == 0:
        theta = theta0[0] - theta0[0].mean()
        return {m: {"pi": np.asarray(start, dtype=float), "gap": None, "logits": simplex.to_plane(theta)} for m in ("PG", "NPG")}
    pg = {"same": lambda: algorithms.softmax_pg(bandit, eta, t, theta0=theta0),
          "kl": lambda: algorithms.softmax_pg_kl(bandit, eta, t, theta0=theta0),
          "own": lambda: algorithms.softmax_pg(bandit, pg_eta, t, theta0=theta0)}[mode]()
    npg = algorithms.npg(bandit, eta, t, theta0=theta0)
    out = {}
    for name, run in (("PG", pg), ("NPG", npg)):
        theta = run.theta[-1, 0] - run.theta[-1, 0].mean()
        out[name] = {"pi": run.pi[-1, 0], "gap": 1.0 - run.V_rho[-1], "logits": simplex.to_plane(theta)}
    return out


def curve_xy(geo, data, t, gap):
    lo, hi = data["log_gap"]
    lg = min(hi, max(lo, np.log10(max(gap, 1e-300))))
    return np.array([geo["cx"] + geo["cw"] * np.log10(t) / np.log10(data["steps"][-1]),
                     geo["cy"] + geo["ch"] * (hi - lg) / (hi - lo)])


def check_now(fig, mode="same", pg_eta=None, view="simplex"):
    """The iterates drawn at the figure's time t, on the left and on the curves, are pgbook's after t steps."""
    s, n = state(fig), now(fig)
    data, geo = s["data"], s["data"]["geometry"]
    k = round(n["k"])
    assert k == n["k"], "not paused on a record"
    t = data["steps"][k]
    eta = data["etas"][s["inputs"][0]]
    runs = bandit_runs(data["starts"][s["start"]], eta, t, mode, pg_eta)
    for m in ("PG", "NPG"):
        if view == "simplex":
            expected = to_svg(geo, runs[m]["pi"])
        else:
            xy = np.clip(runs[m]["logits"], -data["logit_box"], data["logit_box"])
            expected = np.array([geo["lx"] + geo["lscale"] * xy[0], geo["ly"] - geo["lscale"] * xy[1]])
        assert np.abs(np.array(n["left"][m]) - expected).max() < 0.2, (m, t, n["left"][m], expected)
        if t >= 1:
            drawn = np.array(n["right"][m])
            assert np.abs(drawn - curve_xy(geo, data, t, runs[m]["gap"])).max() < 0.5, (m, t, drawn)
    return n, t


def test_play_moves_both_iterates_together_and_scrub_goes_back(visit):
    open_page, problems = visit
    page = open_page(PAGE)
    fig = figures(page)[0]
    fig.scroll_into_view_if_needed()
    data = state(fig)["data"]
    K, geo = len(data["steps"]), data["geometry"]
    n0 = now(fig)
    assert n0["k"] == K - 1 and n0["play"].endswith("play")
    check_now(fig)
    # Play from the start: time runs, both iterates leave the start, the first frames show t < 3000.
    fig.query_selector("button.pgs-play").click()
    page.wait_for_function("(f) => +f.getAttribute('data-k') > 3", arg=fig)
    mid = now(fig)
    assert mid["playing"] == "1" and "pause" in mid["play"] and 0 < mid["k"] < K - 1
    page.wait_for_function("(f) => f.getAttribute('data-playing') === '0'", arg=fig, timeout=20_000)
    end = now(fig)
    assert end["k"] == K - 1 and end["frames"] - mid["frames"] > 10, (mid, end)  # many frames, not a jump
    check_now(fig)
    # The scrubber: Home is t = 0, where both iterates sit on the start; the arrow keys step through the records.
    scrub = fig.query_selector("input.pgs-scrub")
    scrub.focus()
    scrub.press("Home")
    n, t = check_now(fig)
    assert t == 0 and n["t"] == "0" and n["right"]["PG"] is None
    scrub.press("End")
    for _ in range(K // 3):
        scrub.press("ArrowLeft")
    n, t = check_now(fig)
    assert 1 <= t < data["steps"][-1] and n["t"] == f"{t:,}"
    # NPG's disc climbs the edge between t = 100 and t = 300 (the chapter's reading guide): it is its own run.
    for t_shown in (100, 309):
        scrub_to(page, fig, data["steps"].index(t_shown))
        n, _ = check_now(fig)
        pi_top = (geo["oy"] - n["left"]["NPG"][1]) / (geo["side"] * np.sqrt(3) / 2)
        assert pi_top < 0.05 if t_shown == 100 else pi_top > 0.85
    assert not problems, "\n".join(problems)


def scrub_to(page, fig, k):
    """Drag the scrubber to record k (as a pointer would: the value, then an input event)."""
    page.evaluate("([f, k]) => { const s = f.querySelector('input.pgs-scrub'); s.value = k; s.dispatchEvent(new Event('input')); }",
                  [fig, k])


def choose(fig, key, value):
    fig.query_selector(f"input.pgs-radio[name$='-{key}'][value='{value}']").evaluate("(r) => r.closest('label').click()")


def test_pg_step_modes_draw_their_own_runs(visit):
    open_page, problems = visit
    page = open_page(PAGE)
    fig = figures(page)[0]
    fig.scroll_into_view_if_needed()
    before = state(fig)
    assert now(fig)["own_hidden"]
    choose(fig, "mode", "kl")
    n = now(fig)
    s = state(fig)
    assert n["mode"] == "kl" and "KL" in n["legend"] and s["paths"]["PG"] != before["paths"]["PG"]
    assert s["paths"]["NPG"] == before["paths"]["NPG"]  # NPG's run is the same; only PG's step changed
    check_now(fig, mode="kl")
    # From the first view, PG with NPG's KL per step ends at the optimum, like NPG.
    assert re.search(r"PG < 1e-12", s["readout"]), s["readout"]
    choose(fig, "mode", "own")
    n = now(fig)
    assert n["mode"] == "own" and not n["own_hidden"]
    own = fig.query_selector(".pgs-own input.pgs-input")
    own.focus()
    own.press("End")
    s = state(fig)
    pg_eta = s["data"]["pg_etas"][-1]
    assert pg_eta == 1000 and now(fig)["legend"] == "PG, η = 1000"
    check_now(fig, mode="own", pg_eta=pg_eta)
    page.wait_for_function("(f) => (f.getAttribute('data-shared') || '').includes('mode=own')", arg=fig)
    assert "pg_eta=1000" in now(fig)["hash"]
    assert not problems, "\n".join(problems)


def test_logit_view_draws_the_centred_logits(visit):
    open_page, problems = visit
    page = open_page(PAGE)
    fig = figures(page)[0]
    fig.scroll_into_view_if_needed()
    choose(fig, "view", "logits")
    assert now(fig)["view"] == "logits"
    data = state(fig)["data"]
    for t in (10, 100, 1000):
        scrub_to(page, fig, data["steps"].index(t))
        check_now(fig, view="logits")
    # NPG's iterates lie on one straight line in this view: its markers at t = 1, 10, 100 are collinear.
    marks = np.array([[float(c.get_attribute("cx")), float(c.get_attribute("cy"))]
                      for c in fig.query_selector_all("svg.pgs-left g circle.pgs-mark-npg")])
    assert len(marks) >= 3
    u, v = marks[1] - marks[0], marks[2] - marks[0]
    assert abs(u[0] * v[1] - u[1] * v[0]) / (np.hypot(*u) * np.hypot(*v)) < 0.01
    assert not problems, "\n".join(problems)


SHARED = "#bandit?start=0.001,0.500,0.499&eta=1&mode=own&pg_eta=300&t=100&view=logits"


def test_a_shared_link_restores_the_figure(visit, server):
    open_page, problems = visit
    page = open_page(PAGE)
    page.goto("about:blank")
    page.goto(f"{server}/{PAGE}.html{SHARED}", wait_until="load")
    fig = figures(page)[0]
    page.wait_for_function("() => document.readyState === 'complete'")
    page.wait_for_timeout(300)
    s, n = state(fig), now(fig)
    data = s["data"]
    starts = np.array(data["starts"])
    assert np.abs(starts[s["start"]] - [0.001, 0.5, 0.499]).max() < 0.01
    assert data["etas"][s["inputs"][0]] == 1.0 and n["mode"] == "own" and n["view"] == "logits"
    assert data["pg_etas"][s["inputs"][1]] == 300 and data["steps"][round(n["k"])] == 100
    check_now(fig, mode="own", pg_eta=300, view="logits")
    # The page opens at the figure.
    top = fig.evaluate("(f) => f.getBoundingClientRect().top")
    assert -5 < top < 100, top  # below the theme's scroll padding
    # Changing the state rewrites the address, which restores the same state.
    scrub = fig.query_selector("input.pgs-scrub")
    scrub.focus()
    scrub.press("End")
    page.wait_for_function("(f) => (f.getAttribute('data-shared') || '').includes('t=3000')", arg=fig)
    assert page.evaluate("() => location.hash") == fig.get_attribute("data-shared")
    assert not problems, "\n".join(problems)


def test_on_a_phone_the_panels_stack_and_the_controls_are_large(visit):
    open_page, problems = visit
    page = open_page(PAGE)
    page.set_viewport_size({"width": 390, "height": 844})
    fig = figures(page)[0]
    fig.scroll_into_view_if_needed()
    box = fig.evaluate("""(f) => {
      const r = (e) => { const b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; };
      return {fig: r(f), left: r(f.querySelector('svg.pgs-left')), right: r(f.querySelector('svg.pgs-right')),
              play: r(f.querySelector('button.pgs-play')), scroll: f.scrollWidth - f.clientWidth,
              presets: [...f.querySelectorAll('button.pgs-preset, .pgs-seg label')].map(r)};
    }""")
    left, right = box["left"], box["right"]
    assert right[1] >= left[3] - 1, box  # the curves below the triangle
    assert left[3] - left[1] > 250 and left[2] <= 390 and box["scroll"] <= 0, box
    for b in [box["play"], *box["presets"]]:
        assert b[3] - b[1] >= 40, b  # large enough to touch
    # Tapping the triangle still picks the start.
    click_at(page, fig, [1 / 3, 1 / 3, 1 / 3])
    data = state(fig)["data"]
    assert state(fig)["start"] == int(np.argmin(((np.array(data["starts"]) - 1 / 3) ** 2).sum(axis=1)))
    check_now(fig)
    assert not problems, "\n".join(problems)


def test_the_books_dark_theme_switches_the_figures_palette(visit):
    open_page, problems = visit
    page = open_page(PAGE)
    fig = figures(page)[0]
    for theme, dark in (("dark", True), ("light", False), ("dark", True)):
        page.evaluate(f"() => document.documentElement.setAttribute('data-theme', '{theme}')")
        page.wait_for_function(f"(f) => f.classList.contains('pgs-dark') === {str(dark).lower()}", arg=fig)
        c = fig.evaluate(COLOURS)
        palette = ["rgb(240, 160, 75)", "rgb(86, 180, 233)"] if dark else ["rgb(0, 114, 178)", "rgb(184, 74, 0)"]
        assert sorted(c["strokes"]) == palette, c
        for colour in [*c["strokes"], c["text"]]:
            assert contrast(rgb(colour), rgb(c["bg"])) >= 3.0, c
    assert not problems, "\n".join(problems)
