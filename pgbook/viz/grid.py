"""Pictures of gridworld MDPs: values as colours, policies as arrows, episodes as paths."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap

from .. import _validate as check
from ..envs import GRID_ACTIONS, GridMDP

# Unit displacement (dx, dy) on the plot for each action; rows grow downwards on the picture.
_ARROWS = {"left": (-1, 0), "down": (0, -1), "right": (1, 0), "up": (0, 1)}
_MARKS = {"S": "start", "G": "goal", "X": "pit"}


def plot_grid(ax: Axes, mdp: GridMDP, values=None, pi=None, *, vmin=None, vmax=None,
              cmap="viridis", annotate: bool = True, episode=None, title: str | None = None):
    r"""Draw a gridworld on ``ax``.

    values: (S,) optional, shown as cell colours (e.g. :math:`V^\pi`), annotated with their numbers;
    pi: (S, A) optional, drawn as arrows whose lengths are :math:`\pi(a|s)`; episode: optional
    sequence of visited states, drawn as a path. Walls are dark grey; S, G and X cells are labelled.
    Returns the colour image (for a colour bar) or ``None`` when no values are given.
    """
    if not isinstance(mdp, GridMDP):
        raise TypeError(f"mdp: expected a gridworld (pgbook.envs.gridworld), got {type(mdp).__name__}")
    rows, cols = mdp.shape
    walls = np.array([[c == "#" for c in row] for row in mdp.layout], dtype=float)
    ax.imshow(np.ma.masked_where(walls == 0, walls), cmap=ListedColormap(["#404040"]), vmin=0, vmax=1)
    image = None
    if values is not None:
        grid = mdp.grid(check.array(values, "values", shape=(mdp.S,)))
        image = ax.imshow(np.ma.masked_invalid(grid), cmap=cmap, vmin=vmin, vmax=vmax)
        if annotate:
            lo, hi = image.get_clim()
            for i, j in mdp.cells:
                shade = (grid[i, j] - lo) / (hi - lo) if hi > lo else 0.0
                ax.text(j, i + 0.3, f"{grid[i, j]:.2f}", ha="center", va="center", fontsize=7,
                        color="black" if shade > 0.6 else "white")
    for i, j in mdp.cells:
        kind = mdp.layout[i][j]
        if kind in _MARKS:
            ax.text(j, i - 0.3, kind, ha="center", va="center", fontsize=9, fontweight="bold",
                    color="white" if values is not None else "black",
                    bbox=dict(boxstyle="round,pad=0.15", fc="#d62728" if kind != "S" else "#1f77b4",
                              ec="none", alpha=0.85))
    if pi is not None:
        pi = check.policy(mdp, pi)
        for s, (i, j) in enumerate(mdp.cells):
            if mdp.terminal[s]:
                continue
            for a, name in enumerate(GRID_ACTIONS):
                dx, dy = _ARROWS[name]
                length = 0.38 * pi[s, a]
                if length > 0.02:
                    ax.arrow(j, i, dx * length, -dy * length, width=0.035, head_width=0.12,
                             head_length=0.08, length_includes_head=True, color="white", ec="black", lw=0.4)
    if episode is not None:
        states = np.asarray(episode, dtype=int)
        path = np.array([mdp.cells[s] for s in states], dtype=float)
        # A small fixed offset per step keeps revisits of a cell visible as separate points.
        jitter = np.random.default_rng(0).uniform(-0.12, 0.12, size=path.shape)
        ax.plot(path[:, 1] + jitter[:, 1], path[:, 0] + jitter[:, 0], "-o", color="#ff7f0e",
                ms=3, lw=1.2, alpha=0.9)
    ax.set_xticks(np.arange(-0.5, cols, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, rows, 1), minor=True)
    ax.grid(which="minor", color="white", lw=1.5)
    ax.tick_params(which="both", bottom=False, left=False, labelbottom=False, labelleft=False)
    ax.set_xlim(-0.5, cols - 0.5)
    ax.set_ylim(rows - 0.5, -0.5)
    if title:
        ax.set_title(title, fontsize=10)
    return image
