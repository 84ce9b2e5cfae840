"""The natural-gradient chapter's figures show what they are given, and refuse bad input by name."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import pgbook  # noqa: E402
from pgbook import envs  # noqa: E402
from pgbook.viz import natural as npgviz  # noqa: E402

GRID = envs.gridworld(("...G", ".#.X", "S..."))


def _path(n=5):
    theta = np.zeros((GRID.S, GRID.A))
    adv = pgbook.advantage(GRID, pgbook.softmax(theta))
    etas = np.r_[0.0, np.geomspace(0.1, 100, n - 1)]
    pis = np.array([pgbook.softmax(eta / (1 - GRID.gamma) * adv) for eta in etas])
    V = np.array([pgbook.value(GRID, p) @ GRID.rho for p in pis])
    pi_greedy = pgbook.greedy(adv)
    return etas, pis, V, pi_greedy, float(pgbook.value(GRID, pi_greedy) @ GRID.rho)


def test_fisher_picture_shows_the_matrix(ax):
    F = pgbook.fisher(GRID, np.zeros((GRID.S, GRID.A)))
    image = npgviz.plot_fisher(ax, F, GRID.A)
    assert np.array_equal(image.get_array(), F)
    lo, hi = image.get_clim()
    assert lo == -hi == -np.abs(F).max()
    assert len(ax.patches) == GRID.S  # one frame per state's block


def test_greedy_limit_marks_the_chosen_step_and_its_distance():
    etas, pis, V, pi_greedy, V_greedy = _path()
    fig = Figure()
    npgviz.draw_greedy_limit(fig, GRID, etas, pis, V, pi_greedy, V_greedy, etas[2])
    ax_grid, ax_bar, ax_v = fig.axes
    marker = [line for line in ax_v.lines if line.get_marker() == "o"][0]
    assert marker.get_ydata()[0] == V[2]
    tv = 0.5 * np.abs(pis[2] - pi_greedy).sum(axis=1)[~GRID.terminal].max()
    assert f"{tv:.2f}" in ax_grid.get_title() and f"{etas[2]:g}" in ax_grid.get_title()
    assert "policy iteration" in ax_bar.get_xlabel()  # the colour bar (under the grid) says what the colours are
    from matplotlib.colors import to_hex

    from pgbook.viz.grid import FREE_COLOUR

    grey = [p for p in ax_grid.patches if to_hex(p.get_facecolor()) == FREE_COLOUR]
    assert len(grey) == GRID.terminal.sum()  # G and X: grey, not coloured as a probability 0
    shown = {t.get_text() for t in ax_grid.texts}
    probs = np.einsum("sa,sa->s", pis[2], pi_greedy)
    assert {f"{probs[s]:.2f}" for s in range(GRID.S) if not GRID.terminal[s]} <= shown


def test_line_search_draws_the_whole_line_and_a_close_up():
    t, t_near = np.linspace(-1, 1, 5), np.linspace(-0.1, 0.1, 3)
    fig = Figure()
    npgviz.plot_line_search(fig, t, {"V": t**2, "L": t}, t_near, {"V": t_near**2, "L": t_near, "bound": -t_near**2})
    whole, close = fig.axes
    assert [line.get_label() for line in whole.lines[:2]] == ["V", "L"]
    assert np.array_equal(whole.lines[0].get_ydata(), t**2)
    assert [line.get_label() for line in close.lines[:3]] == ["V", "L", "bound"]


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda ax, p: npgviz.plot_fisher(ax, np.zeros((6, 5)), 2), "F: expected a square"),
        (lambda ax, p: npgviz.plot_fisher(ax, np.zeros((6, 6)), 4), "F: expected a square"),
        (lambda ax, p: npgviz.plot_fisher(ax, np.zeros((6, 6)), 0), "A: must be a positive"),
        (lambda ax, p: npgviz.draw_greedy_limit(Figure(), GRID, p[0][::-1], *p[1:], p[0][1]), "etas: expected increasing"),
        (lambda ax, p: npgviz.draw_greedy_limit(Figure(), GRID, *p, 0.123), "eta: 0.123 is not one of"),
        (lambda ax, p: npgviz.draw_greedy_limit(Figure(), GRID, p[0], p[1][:2], *p[2:], 0.0), "pis: expected shape"),
        (lambda ax, p: npgviz.plot_line_search(Figure(), np.arange(3.0), {}, np.arange(2.0), {}),
         "curves: needs at least one"),
        (lambda ax, p: npgviz.plot_line_search(Figure(), np.arange(3.0), {"V": np.arange(4.0)}, np.arange(2.0),
                                               {"V": np.arange(2.0)}), "curves\\['V'\\]"),
        (lambda ax, p: npgviz.plot_line_search(Figure(), np.arange(3.0), {"V": np.arange(3.0)}, np.arange(2.0), {}),
         "near: lacks"),
    ],
)
def test_bad_input_names_the_argument(ax, call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call(ax, _path())
