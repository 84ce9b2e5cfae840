"""Figures of the visitation chapter (pgbook.viz.visitation): what they draw, and bad input."""

import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure

import pgbook
from pgbook import envs
from pgbook.viz import visitation as vis

matplotlib.use("Agg")


def test_plot_visitation_draws_both_measures_on_the_grid():
    grid = envs.gridworld()
    pi = pgbook.uniform(grid)
    d_left = pgbook.visitation(grid, pi)
    d_right = np.full(grid.S, 1.0 / grid.S)
    fig = Figure()
    axes = vis.plot_visitation(fig, grid, d_left, d_right, pi=pi, titles=("a", "b"), suptitle="t")
    for ax, d in zip(axes, (d_left, d_right)):
        shown = ax.get_images()[0].get_array()
        for s, (i, j) in enumerate(grid.cells):
            assert shown[i, j] == d[s]
        assert np.ma.is_masked(shown[1, 1])  # a wall
    assert [ax.get_title() for ax in axes] == ["a", "b"]
    # One value label per cell, plus the S and G letters; the pit X is a mark, named in the legend.
    assert len(axes[0].texts) == grid.S + 2
    assert len(fig.axes) == 3  # two panels and the colour bar
    assert len(vis.plot_visitation(Figure(), grid, d_left, d_right, annotate=False)[0].texts) == 2
    (drop,) = [line for line in axes[0].lines if line.get_marker() == vis.DROP["marker"]]
    i, j = next(c for c in grid.cells if grid.layout[c[0]][c[1]] == "X")
    assert np.allclose([drop.get_xdata()[0], drop.get_ydata()[0]], [j - 0.28, i - 0.28])
    (legend,) = fig.legends
    assert "pit, hole or cliff" in legend.get_texts()[0].get_text()
    assert all(t.get_text() != "X" for ax in axes for t in ax.texts), "no letter X, which reads as 'wrong'"


def test_the_colour_bar_says_what_d_is_and_has_round_ticks():
    """gamma < 1: a probability; gamma = 1 (an episodic MDP): the share of expected visits. The
    square-root scale's three ticks are round numbers (one significant digit), the log scale's the decades."""
    grid = envs.gridworld()
    d = pgbook.visitation(grid, pgbook.uniform(grid))
    fig = Figure(figsize=(4.4, 7.2))
    vis.plot_visitation(fig, grid, d, d, vmax=0.31, stacked=True)
    bar = fig.axes[-1]
    assert bar.get_xlabel() == "visitation probability"
    assert [t.get_text() for t in bar.get_xticklabels()] == ["0", "0.08", "0.3"]
    episodic = grid.replace(gamma=1.0)
    fig = Figure()
    vis.plot_visitation(fig, episodic, d, d, vmax=1.0, vmin=1e-3)
    assert fig.axes[-1].get_ylabel() == "share of expected visits (log scale)"
    assert not fig.axes[-1].yaxis.get_minorticklocs().size


def test_a_log_scale_keeps_small_visits_apart_and_never_visited_cells_white():
    """With vmin the colours are logarithmic: a visit a thousand times smaller than the largest is
    drawn far from the bottom colour (on the square-root scale it would be at 3%), and a cell never
    visited is white (under the scale), not the colour of the smallest visit."""
    grid = envs.gridworld()
    d = np.zeros(grid.S)
    d[:3] = [0.999, 1e-3 * (1 - 1e-6), 1e-6]
    d /= d.sum()
    fig = Figure()
    axes = vis.plot_visitation(fig, grid, d, d, vmax=1.0, vmin=1e-6)
    image = axes[0].get_images()[0]
    i, j = grid.cells[1]
    assert image.norm(image.get_array()[i, j]) == pytest.approx(0.5, abs=1e-3)
    k, m = grid.cells[5]  # never visited
    assert tuple(image.to_rgba(image.get_array()[k, m])[:3]) == (1.0, 1.0, 1.0)
    assert "log scale" in fig.axes[-1].get_ylabel()
    with pytest.raises(ValueError, match="vmin: must be below vmax"):
        vis.plot_visitation(Figure(), grid, d, d, vmax=0.5, vmin=0.5)


@pytest.mark.parametrize("action", envs.GRID_ACTIONS)
def test_arrows_point_where_the_action_moves_on_screen(action):
    grid = envs.gridworld()
    pi = np.zeros((grid.S, grid.A))
    pi[:, envs.GRID_ACTIONS.index(action)] = 1.0
    d = pgbook.visitation(grid, pgbook.uniform(grid))
    fig = Figure()
    ax = vis.plot_visitation(fig, grid, d, d, pi=pi)[0]
    fig.canvas.draw()
    quiver = ax.collections[-1]
    start = np.column_stack([quiver.X, quiver.Y])
    end = start + np.column_stack([quiver.U, quiver.V])
    # Screen coordinates: x grows to the right, y grows upwards.
    shift = ax.transData.transform(end) - ax.transData.transform(start)
    expected = {"left": (-1, 0), "right": (1, 0), "up": (0, 1), "down": (0, -1)}[action]
    assert np.all(np.sign(np.round(shift, 6)) == expected)
    # No arrows on the terminal cells.
    assert len(start) == (~grid.terminal).sum()


def test_plot_visitation_rejects_bad_input():
    grid = envs.gridworld()
    d = pgbook.visitation(grid, pgbook.uniform(grid))
    with pytest.raises(ValueError, match="d_right"):
        vis.plot_visitation(Figure(), grid, d, 2 * d)
    with pytest.raises(TypeError, match="fig"):
        vis.plot_visitation(None, grid, d, d)
    with pytest.raises(TypeError, match="grid"):
        vis.plot_visitation(Figure(), envs.random_mdp(3, 2, seed=0), d, d)
    with pytest.raises(ValueError, match="vmax"):
        vis.plot_visitation(Figure(), grid, d, d, vmax=0.0)


def test_learning_curves_and_gap():
    fig = Figure()
    ax = fig.subplots()
    vis.plot_learning_curves(ax, {"a": np.linspace(0, 1, 5), "b": np.zeros(3)}, 1.0)
    assert [line.get_label() for line in ax.get_lines()][:2] == ["a", "b"]
    assert np.array_equal(ax.get_lines()[0].get_ydata(), np.linspace(0, 1, 5))
    with pytest.raises(ValueError, match="curves"):
        vis.plot_learning_curves(ax, {}, 1.0)
    ax = Figure().subplots()
    c = np.arange(3.0)
    vis.plot_gap(ax, c, np.exp(-c), 2 * np.exp(-c), 3 * np.exp(-c))
    assert len(ax.get_lines()) == 3
    with pytest.raises(ValueError, match="bound"):
        vis.plot_gap(ax, c, np.exp(-c), np.ones(2))
