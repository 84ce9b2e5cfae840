"""The gridworld picture shows what it is given: values in the right cells, one arrow per action."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgb  # noqa: E402
from matplotlib.patches import FancyArrow, Rectangle  # noqa: E402

import pgbook  # noqa: E402
from pgbook import envs  # noqa: E402
from pgbook.viz.grid import FREE_COLOUR, plot_grid  # noqa: E402


def test_values_land_in_their_cells(ax):
    grid = envs.gridworld()
    values = np.arange(grid.S, dtype=float)
    image = plot_grid(ax, grid, values)
    shown = image.get_array()
    for s, (i, j) in enumerate(grid.cells):
        assert np.ma.is_masked(shown[i, j]) if grid.terminal[s] else shown[i, j] == s
    walls = [(i, j) for i, row in enumerate(grid.layout) for j, c in enumerate(row) if c == "#"]
    assert walls and all(np.ma.is_masked(shown[i, j]) for i, j in walls)
    labels = {t.get_text() for t in ax.texts}
    assert {f"{v:.2f}" for v in values[~grid.terminal]} <= labels
    assert not {f"{v:.2f}" for v in values[grid.terminal]} & labels


def test_terminal_cells_are_neutral_unless_asked(ax):
    """G and X: grey with their label, no value colour or number, and outside the colour scale; a
    quantity that means something there (a visitation) colours them when asked."""
    grid = envs.gridworld()
    values = np.linspace(0.2, 0.8, grid.S)
    values[grid.terminal] = [-5.0, 5.0]
    image = plot_grid(ax, grid, values)
    assert image.get_clim() == (values[~grid.terminal].min(), values[~grid.terminal].max())
    grey = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_facecolor()[:3] == to_rgb(FREE_COLOUR)]
    assert sorted((p.get_x() + 0.5, p.get_y() + 0.5) for p in grey) == sorted(
        (j, i) for s, (i, j) in enumerate(grid.cells) if grid.terminal[s])
    assert {"G", "X"} <= {t.get_text() for t in ax.texts}
    ax.clear()
    image = plot_grid(ax, grid, values, colour_terminal=True)
    assert image.get_clim() == (-5.0, 5.0)
    assert {"-5.00", "5.00"} <= {t.get_text() for t in ax.texts}


def test_one_arrow_per_action_with_probability(ax):
    grid = envs.gridworld()
    pi = pgbook.greedy(pgbook.q_value(grid, pgbook.uniform(grid)))
    plot_grid(ax, grid, pi=pi)
    arrows = [p for p in ax.patches if isinstance(p, FancyArrow)]
    assert len(arrows) == int((~grid.terminal).sum())
    plot_grid(ax, grid, pi=pgbook.uniform(grid))
    arrows = [p for p in ax.patches if isinstance(p, FancyArrow)]
    assert len(arrows) == int((~grid.terminal).sum()) * (1 + grid.A)


def test_episode_path_follows_the_states(ax):
    grid = envs.gridworld()
    episode = [grid.cells.index((4, 0)), grid.cells.index((4, 1)), grid.cells.index((3, 0))]
    plot_grid(ax, grid, episode=episode)
    (line,) = ax.lines
    assert np.allclose(line.get_xdata(), [0, 1, 0], atol=0.13)
    assert np.allclose(line.get_ydata(), [4, 4, 3], atol=0.13)


def test_bad_input(ax):
    with pytest.raises(TypeError, match="mdp: expected a gridworld"):
        plot_grid(ax, envs.bandit([1.0, 0.0]))
    grid = envs.gridworld()
    with pytest.raises(ValueError, match=r"values: expected shape \(21,\)"):
        plot_grid(ax, grid, np.zeros(3))
    with pytest.raises(ValueError, match="pi: each row must sum to 1"):
        plot_grid(ax, grid, pi=np.ones((grid.S, grid.A)))


@pytest.mark.parametrize("size, annotate", [((2.45, 2.9), False), ((2.45, 2.9), True), ((4.8, 5.4), True)])
def test_start_badge_leaves_the_arrows_visible(size, annotate):
    """The S badge sits in its cell's corner, clear of every arrow of the cell (as drawn on the page),
    at the book's smallest grid and a large one, with and without printed values."""
    import matplotlib.pyplot as plt

    grid = envs.gridworld()
    fig, ax = plt.subplots(figsize=size, layout="constrained")
    for pi in (pgbook.uniform(grid), pgbook.policy_iteration(grid)[0]):
        ax.clear()
        plot_grid(ax, grid, pgbook.value(grid, pi), pi=pi, annotate=annotate)
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        (badge,) = [t.get_bbox_patch().get_window_extent(renderer) for t in ax.texts if t.get_text() == "S"]
        i, j = next((i, j) for i, row in enumerate(grid.layout) for j, c in enumerate(row) if c == "S")
        cell = ax.transData.transform([(j - 0.5, i - 0.5), (j + 0.5, i + 0.5)])
        extents = [p.get_window_extent(renderer) for p in ax.patches if isinstance(p, FancyArrow)]
        arrows = [a for a in extents if cell[0, 0] < a.x0 < cell[1, 0] and min(cell[:, 1]) < a.y0 < max(cell[:, 1])]
        assert arrows
        assert not any(badge.overlaps(a) for a in arrows)
        assert cell[0, 0] <= badge.x0 and badge.y1 <= max(cell[:, 1])  # inside the cell, in its top-left
    plt.close(fig)
