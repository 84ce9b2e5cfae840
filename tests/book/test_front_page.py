"""The front page's computed pieces (book/_ext/pgbook_front.py), recomputed by hand, and as the built page shows them.

The front page is no notebook, so its check lines have no twin in tests/chapters; this file is their
twin: the gradient of the ✔ line recomputed with numpy solves against finite differences, the
careless claim (the 1/(1 - gamma) dropped) rejected by the same check; the figure's runs, softmax PG
and NPG, written out by hand, and its ✔ line (on its plateau PG gains eta T |grad V(theta_0)|^2 at
every step size) recomputed by hand and rejecting the careless claims: a gain of eta T |grad V|, with
the norm not squared, or one that grows like eta^2, as if a bigger step were all PG needs.
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


def test_the_step_size_pg_would_need_and_its_gradients_by_hand(climb):
    """The caption's answer to "why not raise eta?": the gradient's norms at the two starts, and the step
    size that does lift PG (a tenth of it does not), recomputed with numpy solves."""
    grid = envs.gridworld()
    theta = pgbook_front.theta0(grid.S, grid.A)
    horizon = 1 / (1 - grid.gamma)
    assert np.isclose(np.linalg.norm(gradient_by_hand(grid, theta, horizon)), climb.grad_norm, rtol=1e-6)
    assert np.isclose(np.linalg.norm(gradient_by_hand(grid, 0 * theta, horizon)), climb.grad_norm_uniform, rtol=1e-9)
    V_opt = V_opt_by_hand(grid)
    needed = pg_by_hand(grid, climb.eta_needed, climb.first_needed, theta) / V_opt
    assert needed[-1] >= 0.9 > needed[:-1].max()
    assert (pg_by_hand(grid, climb.eta_needed / 10, pgbook_front.T, theta) / V_opt).max() < 0.9


def test_the_plateau_line_passes_on_the_page(climb):
    passed, line = pgbook_front.plateau_line(climb)
    assert passed and line.startswith("✔ ")


def plateau_gain_ratio(eta_power=1, norm_power=2):
    """PG's gain over T steps at each step size, by numpy solves, divided by the claim
    eta^eta_power T |grad V(theta_0)|^norm_power, the gradient by hand."""
    grid = envs.gridworld()
    theta = pgbook_front.theta0(grid.S, grid.A)
    g = np.linalg.norm(gradient_by_hand(grid, theta, 1 / (1 - grid.gamma)))
    etas = np.array(pgbook_front.PG_ETAS)
    gains = np.array([np.ptp(pg_by_hand(grid, eta, pgbook_front.T, theta)[[0, -1]]) for eta in etas])
    return gains / (etas ** eta_power * pgbook_front.T * g ** norm_power)


@pytest.mark.parametrize("claim, passes", [(dict(), True), (dict(norm_power=1), False),
                                           (dict(eta_power=2), False)], ids=["right", "norm-not-squared", "eta-squared"])
def test_the_plateau_check_by_hand_and_its_careless_claims(claim, passes):
    """The page's check, at its tolerance, on the gains recomputed by hand: the first-order rate passes;
    the norm not squared (a gain of eta |grad V| per step) and a gain growing like eta^2 (a bigger step
    is all PG needs) fail."""
    ratio = plateau_gain_ratio(**claim)
    if passes:
        checks.close("PG's gain is eta T |grad V|^2", ratio, 1.0, tol=pgbook_front.PLATEAU_TOL, id="index/pg-plateau")
    else:
        with pytest.raises(checks.CheckFailed):
            checks.close("PG's gain", ratio, 1.0, tol=pgbook_front.PLATEAU_TOL, id="index/pg-plateau")


def test_the_plateau_tolerance_is_tight(climb):
    """The check is met, not swamped: the largest step size uses more than half of the tolerance."""
    gain = (climb.pg[:, -1] - climb.pg[:, 0]) * climb.V_opt
    ratio = gain / (np.array(pgbook_front.PG_ETAS) * pgbook_front.T * climb.grad_norm ** 2)
    assert 0.5 * pgbook_front.PLATEAU_TOL < np.abs(ratio - 1).max() < pgbook_front.PLATEAU_TOL


def test_the_plateau_check_fails_from_the_uniform_policy():
    """From the uniform policy a bigger step does help (eta = 100 reaches 90% of V* in a few steps):
    there the page's claim is false, and its check must say so."""
    uniform = pgbook_front.climb(start=0.0)
    assert uniform.pg[pgbook_front.PG_ETAS.index(100.0)].max() >= 0.9
    passed, line = pgbook_front.plateau_line(uniform)
    assert not passed and line.startswith("✘ ")


@pytest.mark.book
def test_the_built_front_page_shows_the_figure_and_its_lines(climb):
    doc = BeautifulSoup((built_html() / "book" / "index.html").read_text(encoding="utf-8"), "html.parser")
    lines = doc.select("div.pgbook-check")
    assert [div["data-id"] for div in lines] == ["index/pg-plateau", "index/softmax-gradient", "index/softmax-gradient"]
    assert [div["data-passed"] for div in lines] == ["true", "true", "false"]
    assert [div.get_text()[0] for div in lines] == ["✔", "✔", "✘"]
    images = doc.select("div.pgbook-front-figure img")
    assert len(images) == 2 and all(img["src"].startswith("data:image/png;base64,") for img in images)
    caption = doc.select_one("p.pgbook-front-caption")
    text = caption.get_text()
    for n in (*climb.first_npg, pgbook_front.T):
        assert f"{n:,}" in text
    assert "first figure" in text and "at the left" not in text
    link = caption.select_one("a")
    assert (built_html() / "book" / link["href"]).exists() and "simplex" in link["href"]
