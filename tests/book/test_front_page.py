"""The front page's computed pieces (book/_ext/pgbook_front.py), recomputed by hand, and as the built page shows them.

The front page is no notebook, so its check lines have no twin in tests/chapters; this file is their
twin: the gradient of the ✔ line recomputed with numpy solves against finite differences, the
careless claim (the 1/(1 - gamma) dropped) rejected by the same check; the figure's runs, softmax PG
and NPG, written out by hand, and its ✔ lines (NPG above 90% of V* from step 10 on, PG below 1% at
every step at every step size up to 1000 (no step at or above it), PG at 10^5 above 90% of V* from
step 6,672 on) recomputed by hand and rejecting the careless claims: NPG there a step earlier, PG flat
at the step size it needs, PG at 10^5 there a step earlier.
"""

import sys
from pathlib import Path

import numpy as np
import pytest
from bs4 import BeautifulSoup

import oracle
from bookconf import built_html
from pgbook import checks, envs

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "book" / "_ext"))
import pgbook_front  # noqa: E402


def softmax_rows(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def value_rho(mdp, pi):
    return mdp.rho @ oracle.value(mdp.P, mdp.r, mdp.gamma, pi)


def gradient_by_hand(mdp, theta, horizon):
    """horizon * d(s) pi(a|s) A(s, a), with numpy solves (AKLM Lemma C.1 when horizon = 1/(1 - gamma))."""
    pi = softmax_rows(theta)
    V = oracle.value(mdp.P, mdp.r, mdp.gamma, pi)
    A = mdp.r + mdp.gamma * mdp.P @ V - V[:, None]
    d = oracle.visitation(mdp.P, mdp.gamma, pi, mdp.rho)
    return horizon * d[:, None] * pi * A


@pytest.mark.parametrize("horizon, passes", [("1/(1-gamma)", True), ("1", False)])
def test_the_check_lines_pass_with_the_factor_and_fail_without(horizon, passes):
    mdp = envs.three_state()
    theta = pgbook_front.THETA
    factor = 1 / (1 - mdp.gamma) if horizon != "1" else 1.0
    h = 1e-5
    fd = np.array([(value_rho(mdp, softmax_rows(theta + h * e)) - value_rho(mdp, softmax_rows(theta - h * e))) / (2 * h)
                   for e in np.eye(theta.size).reshape(-1, *theta.shape)]).reshape(theta.shape)
    claim = "the softmax policy gradient"
    if passes:
        checks.close(claim, gradient_by_hand(mdp, theta, factor), fd, tol=1e-7, id="index/softmax-gradient")
    else:
        with pytest.raises(checks.CheckFailed):
            checks.close(claim, gradient_by_hand(mdp, theta, factor), fd, tol=1e-7, id="index/softmax-gradient")


def test_the_page_shows_a_pass_then_a_fail():
    lines = pgbook_front.check_lines()
    assert [passed for passed, _ in lines] == [True, False]
    assert lines[0][1].startswith("✔ ") and lines[1][1].startswith("✘ ")
    assert "1/(1 − γ)" in lines[1][1]


def test_the_figures_panels_are_drawn_at_twice_their_shown_size():
    import io

    from PIL import Image

    panels = pgbook_front.figure_pngs(pgbook_front.climb())
    assert len(panels) == 2
    for png, (width, height) in panels:
        assert Image.open(io.BytesIO(png)).size == (2 * width, 2 * height)
    (grid_width, _), (run_width, _) = (shown for _, shown in panels)
    # Side by side in the 688 px desktop column (a phone scales each to its width), the runs at least
    # 60% of the column, as the style guide asks of a figure.
    assert grid_width + run_width + 8 <= 688 and run_width >= 0.6 * 688


def npg_by_hand(mdp, eta, T, theta):
    """pi <- pi exp(eta A / (1 - gamma)), normalised (AKLM Lemma 5.1), from softmax(theta): V(rho) at t = 0..T."""
    logits, values = theta.copy(), []
    for _ in range(T + 1):
        pi = softmax_rows(logits)
        V = oracle.value(mdp.P, mdp.r, mdp.gamma, pi)
        values.append(mdp.rho @ V)
        logits = logits + eta * (mdp.r + mdp.gamma * mdp.P @ V - V[:, None]) / (1 - mdp.gamma)
    return np.array(values)


def pg_by_hand(mdp, eta, T, theta):
    values = []
    for _ in range(T + 1):
        values.append(value_rho(mdp, softmax_rows(theta)))
        theta = theta + eta * gradient_by_hand(mdp, theta, 1 / (1 - mdp.gamma))
    return np.array(values)


@pytest.fixture(scope="module")
def climb():
    return pgbook_front.climb()


def V_opt_by_hand(grid):
    V = np.zeros(grid.S)
    for _ in range(3000):  # value iteration, not pgbook's policy iteration
        V = (grid.r + grid.gamma * grid.P @ V).max(axis=1)
    return grid.rho @ V


def test_the_poor_start_moves_down_in_every_cell():
    grid = envs.gridworld()
    theta = pgbook_front.theta0(grid.S, grid.A)
    assert pgbook_front.envs.GRID_ACTIONS[pgbook_front.DOWN] == "down"
    assert np.allclose(softmax_rows(theta)[:, pgbook_front.DOWN], np.exp(4) / (np.exp(4) + 3))


def test_the_captions_numbers_by_hand(climb):
    """NPG's first passages, and softmax PG's runs at the smallest and the largest step size, with numpy
    solves from the same start: PG never leaves the floor, at any step size."""
    grid = envs.gridworld()
    theta = pgbook_front.theta0(grid.S, grid.A)
    V_opt = V_opt_by_hand(grid)
    npg = npg_by_hand(grid, pgbook_front.NPG_ETA, 30, theta) / V_opt
    assert climb.first_npg == tuple(int(np.argmax(npg >= s)) for s in pgbook_front.SHARES)
    for k in (0, len(pgbook_front.PG_ETAS) - 1):
        pg = pg_by_hand(grid, pgbook_front.PG_ETAS[k], pgbook_front.T, theta) / V_opt
        assert np.allclose(climb.pg[k], pg, atol=1e-12)
        assert pg.max() < pgbook_front.PLATEAU


def test_the_step_size_pg_would_need_by_hand(climb):
    """The caption's answer to "why not raise eta?": the step size that does lift PG (a tenth of it does
    not), and its drawn run, recomputed with numpy solves: at 90% of V* or above from its first passage
    on, the third ✔ line."""
    grid = envs.gridworld()
    theta = pgbook_front.theta0(grid.S, grid.A)
    V_opt = V_opt_by_hand(grid)
    needed = pg_by_hand(grid, climb.eta_needed, pgbook_front.T, theta) / V_opt
    assert np.allclose(climb.needed, needed, atol=1e-9)
    first = climb.first_needed
    assert needed[first:].min() >= 0.9 > needed[:first].max()
    assert (pg_by_hand(grid, climb.eta_needed / 10, pgbook_front.T, theta) / V_opt).max() < 0.9


def test_the_headline_lines_pass_on_the_page(climb):
    lines = pgbook_front.headline_lines(climb)
    assert [passed for passed, _ in lines] == [True, True, True]
    assert all(line.startswith("✔ ") for _, line in lines)


def test_the_headline_by_hand_and_its_careless_claims(climb):
    """The headline recomputed with numpy solves, then the page's checks given careless claims: NPG at
    90% one step earlier than it is, PG "flat" at the step size it needs (the drawn 10^5 run), and PG
    at 10^5 at 90% one step earlier than it is."""
    grid = envs.gridworld()
    theta = pgbook_front.theta0(grid.S, grid.A)
    V_opt = V_opt_by_hand(grid)
    npg = npg_by_hand(grid, pgbook_front.NPG_ETA, 30, theta) / V_opt
    step = pgbook_front.NPG_STEP
    assert npg[step:].min() >= pgbook_front.SHARES[0] > npg[step - 1]
    npg_early, *_ = pgbook_front.headline_lines(climb, step=step - 1)
    assert not npg_early[0] and npg_early[1].startswith("✘ ")
    _, pg_big, _ = pgbook_front.headline_lines(climb, pg=climb.needed[None], etas=(climb.eta_needed,))
    assert not pg_big[0] and pg_big[1].startswith("✘ ")
    *_, needed_early = pgbook_front.headline_lines(climb, needed_step=climb.first_needed - 1)
    assert not needed_early[0] and needed_early[1].startswith("✘ ")


@pytest.mark.book
def test_the_built_front_page_shows_the_figure_and_its_lines(climb):
    doc = BeautifulSoup((built_html() / "book" / "index.html").read_text(encoding="utf-8"), "html.parser")
    lines = doc.select("div.pgbook-check")
    assert [div["data-id"] for div in lines] == ["index/npg-fast", "index/pg-flat", "index/pg-needs",
                                                 "index/softmax-gradient", "index/softmax-gradient"]
    assert [div["data-passed"] for div in lines] == ["true", "true", "true", "true", "false"]
    assert [div.get_text()[0] for div in lines] == ["✔", "✔", "✔", "✔", "✘"]
    images = doc.select("div.pgbook-front-figure img")
    assert len(images) == 2 and all(img["src"].startswith("data:image/png;base64,") for img in images)
    caption = doc.select_one("p.pgbook-front-caption")
    text = caption.get_text()
    for n in (climb.first_npg[0], climb.first_needed):
        assert f"{n:,}" in text
    assert "first figure" in text and "at the left" not in text
    link = caption.select_one("a")
    assert (built_html() / "book" / link["href"]).exists() and "simplex" in link["href"]
