"""Pictures of gridworld MDPs: values as colours, policies as arrows, episodes as directed paths.

Walls are hatched grey, so that they cannot be mistaken for cells of value zero (the dark end of
``viridis``); terminal cells (goal and pit) are plain light grey with their label, since a value
function is 0 there by definition and its colour would rank the goal with the worst cells; each
value is printed in its cell in black or white, whichever contrasts more with the cell's colour, at
a size that follows the size of the cells on the page. Figures are drawn on white and shown as drawn
in the book's dark mode too.
"""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.colors import Normalize, to_rgb
from matplotlib.patches import FancyArrow, FancyArrowPatch, Rectangle

from .. import _validate as validate
from ..envs import GRID_ACTIONS, GridMDP
from .style import MIN_FONT_SIZE, PALETTE, VALUE_CMAP

# Unit displacement (dx, dy) on the plot for each action; rows grow downwards on the picture.
_ARROWS = {"left": (-1, 0), "down": (0, -1), "right": (1, 0), "up": (0, 1)}
#: Colours of the marked cells: start, goal and pit.
MARK_COLOURS = {"S": PALETTE["blue"], "G": PALETTE["green"], "X": PALETTE["vermillion"]}
#: Free cells when no values are shown, and terminal cells when they are (see ``plot_grid``).
FREE_COLOUR = "#eceff3"
#: Walls: light grey with dark hatching.
WALL_COLOUR, WALL_HATCH_COLOUR = "#c8c8c8", "#555555"
#: The arrows of a cell reach at most this far from where they start, and this far to either side of
#: their line (the half-width of the largest head), in cells (see the arrows in ``plot_grid``).
_ARROW_REACH, _ARROW_HALF_WIDTH = 0.22, 0.085
#: A badge (S, G, X) beside arrows: its padding (in font sizes) and its gap to the cell's corner (in
#: cells); its box is about _BADGE_BOX font sizes wide and high (one bold letter, measured).
_BADGE_PAD, _BADGE_MARGIN, _BADGE_BOX = 0.12, 0.04, (1.05, 1.25)
#: Colour of an episode's path.
PATH_COLOUR = PALETTE["orange"]


def relative_luminance(colour) -> float:
    """WCAG 2 relative luminance of a matplotlib colour, in [0, 1]."""
    c = np.asarray(to_rgb(colour))
    c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return float(c @ [0.2126, 0.7152, 0.0722])


def contrast_ratio(a, b) -> float:
    """WCAG 2 contrast ratio of two colours, in [1, 21]."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_colour(background) -> str:
    """Black or white, whichever contrasts more with ``background``."""
    return "black" if contrast_ratio("black", background) >= contrast_ratio("white", background) else "white"


def _cell_points(ax: Axes, cols: int, rows: int) -> float:
    """The side of one cell on the page, in points (from the axes' place in its figure)."""
    fig_w, fig_h = ax.figure.get_size_inches()
    box = ax.get_position()
    return 72 * min(box.width * fig_w / cols, box.height * fig_h / rows)


def plot_grid(ax: Axes, mdp: GridMDP, values=None, pi=None, *, vmin=None, vmax=None,
              cmap=VALUE_CMAP, annotate: bool = True, episode=None, highlight=None,
              title: str | None = None, fmt: str = "{:.2f}", colour_terminal: bool = False):
    r"""Draw a gridworld on ``ax``: values as cell colours, a policy as arrows, an episode as a path.

    Walls are hatched grey; the start, goal and pit cells carry an S, G or X label. Terminal cells
    (G and X) are drawn neutral, plain light grey with their label and no number, unless
    ``colour_terminal``: a value function is 0 there by definition (:math:`V^\pi(s) = 0` for an
    absorbing state of reward 0), so a colour would rank the goal with the worst cells. A quantity
    that means something at a terminal cell, such as the visitation :math:`d^\pi_\rho(s)`, passes
    ``colour_terminal=True``.

    Parameters
    ----------
    ax : matplotlib Axes
    mdp : GridMDP
        A gridworld (``pgbook.envs.gridworld``).
    values : array (S,), optional
        Shown as cell colours (e.g. :math:`V^\pi`) on ``cmap`` from ``vmin`` to ``vmax`` (by default
        the range of the coloured cells), and printed with ``fmt`` if ``annotate``.
    pi : array (S, A), optional
        A policy, drawn in each non-terminal cell as one arrow per action whose length grows with
        :math:`\pi(a \mid s)`.
    episode : sequence of int, optional
        Visited states, drawn as a path with arrows for its direction, a circle at its start and a
        square at its end: the first terminal state it enters, where the episode ends (the steps
        after it stay there). The S, G and X badges then sit in their cells' corners, clear of the
        path.
    highlight : array (S,) of bool, optional
        Cells to outline (e.g. the states whose action just changed).
    title : str, optional
    fmt : str
        Format of the printed values.
    colour_terminal : bool
        Colour (and print) the terminal cells' values too.

    Returns
    -------
    matplotlib.image.AxesImage or None
        The colour image (for a colour bar), or ``None`` when no values are given.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import pgbook
    >>> from pgbook import envs
    >>> grid = envs.gridworld()
    >>> fig, ax = plt.subplots()
    >>> image = plot_grid(ax, grid, pgbook.value(grid, pgbook.uniform(grid)))
    >>> shown = image.get_array()
    >>> [bool(shown.mask[grid.cells[s]]) for s in (0, 4, 7)]  # a free cell, the goal, the pit
    [False, True, True]
    >>> plot_grid(ax, grid, fmt=2)
    Traceback (most recent call last):
    ...
    TypeError: fmt: expected a format string such as '{:.2f}', got int
    >>> plt.close(fig)
    """
    if not isinstance(mdp, GridMDP):
        raise TypeError(f"mdp: expected a gridworld (pgbook.envs.gridworld), got {type(mdp).__name__}")
    if not isinstance(fmt, str):
        raise TypeError(f"fmt: expected a format string such as '{{:.2f}}', got {type(fmt).__name__}")
    rows, cols = mdp.shape
    cell = _cell_points(ax, cols, rows)
    number_size = float(np.clip(0.26 * cell, MIN_FONT_SIZE, 14.0))
    mark_size = float(np.clip(0.24 * cell, MIN_FONT_SIZE, 13.0))
    for i, row in enumerate(mdp.layout):
        for j, c in enumerate(row):
            if c == "#":
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, facecolor=WALL_COLOUR,
                                       edgecolor=WALL_HATCH_COLOUR, hatch="///", lw=0, zorder=0.5))
    image = None
    # The cells with no colour of their own (free cells in a light grey, so that the white grid lines show).
    neutral = np.ones(mdp.S, dtype=bool) if values is None else mdp.terminal & (not colour_terminal)
    for s in np.flatnonzero(neutral):
        i, j = mdp.cells[s]
        ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, facecolor=FREE_COLOUR, lw=0, zorder=0.5))
    if values is not None:
        values = validate.array(values, "values", shape=(mdp.S,))
        grid = mdp.grid(values)
        for s in np.flatnonzero(neutral):
            grid[mdp.cells[s]] = np.nan
        image = ax.imshow(np.ma.masked_invalid(grid), cmap=cmap, vmin=vmin, vmax=vmax, zorder=0)
        if annotate:
            norm, colours = Normalize(*image.get_clim()), colormaps[cmap] if isinstance(cmap, str) else cmap
            for s in np.flatnonzero(~neutral):
                i, j = mdp.cells[s]
                ax.text(j, i + 0.27, fmt.format(grid[i, j]), ha="center", va="center", fontsize=number_size,
                        color=text_colour(colours(norm(grid[i, j]))), zorder=3)
    # Where each cell's arrows start: its centre, above the printed value. A marked cell with arrows
    # has its badge in the top-left corner and its arrows moved just clear of it (see _clear_of_badge).
    centres = {s: (j, i - (0.1 if values is not None and annotate else 0.0)) for s, (i, j) in enumerate(mdp.cells)}
    for s, (i, j) in enumerate(mdp.cells):
        kind = mdp.layout[i][j]
        if kind not in MARK_COLOURS:
            continue
        badge = dict(fontsize=mark_size, fontweight="bold", color="white", zorder=4,
                     bbox=dict(boxstyle=f"round,pad={_BADGE_PAD}", fc=MARK_COLOURS[kind], ec="white", lw=0.8))
        if (pi is not None and not mdp.terminal[s]) or (episode is not None and pi is None):
            # In the corner: clear of the arrows, or of an episode's path and its start and end marks.
            ax.text(j - 0.5 + _BADGE_MARGIN + _BADGE_PAD * mark_size / cell, i - 0.5 + _BADGE_MARGIN
                    + _BADGE_PAD * mark_size / cell, kind, ha="left", va="top", **badge)
            if pi is not None:
                centres[s] = _clear_of_badge(centres[s], (j - 0.5, i - 0.5), mark_size / cell,
                                             down=values is None or not annotate)
        else:  # alone in its cell, or above its printed value
            ax.text(j, i - 0.27 if values is not None and annotate and not neutral[s] else i, kind,
                    ha="center", va="center", **badge)
    if highlight is not None:
        marked = validate.array(highlight, "highlight", shape=(mdp.S,)).astype(bool)
        for s in np.flatnonzero(marked):
            i, j = mdp.cells[s]
            ax.add_patch(Rectangle((j - 0.45, i - 0.45), 0.9, 0.9, fill=False, ec=PALETTE["orange"],
                                   lw=3, zorder=2.5))
    if pi is not None:
        pi = validate.policy(mdp, pi)
        for s, (i, j) in enumerate(mdp.cells):
            if mdp.terminal[s]:
                continue
            # An arrow's length grows with its action's probability: a sure move is centred on its
            # cell, less likely ones start just off the centre, so that the uniform policy reads as a
            # small four-pointed star rather than a blot.
            x0, y0 = centres[s]
            for a, name in enumerate(GRID_ACTIONS):
                p = pi[s, a]
                if p < 0.02:
                    continue
                dx, dy = _ARROWS[name]
                length = 0.08 + 0.32 * p
                start = 0.07 * (1 - p) - 0.5 * length * p  # along the move, from the centre
                head = min(0.12, 0.45 * length)
                ax.add_patch(FancyArrow(x0 + dx * start, y0 - dy * start, dx * length, -dy * length,
                                        width=0.05, head_width=min(2 * _ARROW_HALF_WIDTH, 2.2 * head), head_length=head,
                                        length_includes_head=True, color="white", ec="black", lw=0.6,
                                        zorder=5))
    if episode is not None:
        _draw_episode(ax, mdp, episode)
    # Cell borders as two line collections (cheaper to draw than an axis grid); no axis.
    ax.hlines(np.arange(-0.5, rows), -0.5, cols - 0.5, color="white", lw=2, zorder=2)
    ax.vlines(np.arange(-0.5, cols), -0.5, rows - 0.5, color="white", lw=2, zorder=2)
    ax.set_axis_off()
    ax.set_xlim(-0.5, cols - 0.5)
    ax.set_ylim(rows - 0.5, -0.5)
    ax.set_aspect("equal")
    if title:
        ax.set_title(title)
    return image


def _clear_of_badge(centre, corner, size, down=True, gap=0.02):
    """Where a marked cell's arrows start so that none of them touches the badge in its top-left corner.

    ``centre`` is where they would start, ``corner`` the cell's top-left corner and ``size`` the
    badge's font size, all in cells (y grows downwards). The arrows move right until the whole cross
    passes the badge, or, when ``down``, down until its horizontal arms pass under the badge and its
    vertical ones beside it, whichever is the shorter move; never further than keeps them in the cell.
    """
    x0, y0 = centre
    right = corner[0] + _BADGE_MARGIN + _BADGE_BOX[0] * size + gap  # the badge's right edge, and a gap
    bottom = corner[1] + _BADGE_MARGIN + _BADGE_BOX[1] * size + gap
    limit = corner[0] + 1 - _ARROW_REACH, corner[1] + 1 - _ARROW_REACH
    moves = [(max(x0, right + _ARROW_REACH), y0)]
    if down:
        moves.append((max(x0, right + _ARROW_HALF_WIDTH), max(y0, bottom + _ARROW_HALF_WIDTH)))
    x, y = min(moves, key=lambda m: np.hypot(m[0] - x0, m[1] - y0))
    return min(x, limit[0]), min(y, limit[1])


def _draw_episode(ax: Axes, mdp: GridMDP, episode) -> None:
    states = validate.array(episode, "episode", ndim=1)
    if states.size == 0 or (states != np.round(states)).any() or states.min() < 0 or states.max() >= mdp.S:
        raise ValueError(f"episode: expected a non-empty sequence of states in 0..{mdp.S - 1}")
    ended = np.flatnonzero(mdp.terminal[states.astype(int)])
    if ended.size:  # the episode ends on entering a terminal state; the absorbed steps add nothing
        states = states[: ended[0] + 1]
    cells = np.array([mdp.cells[int(s)] for s in states], dtype=float)
    # A small fixed offset per step keeps revisits of a cell visible as separate points.
    path = cells + np.random.default_rng(0).uniform(-0.13, 0.13, size=cells.shape)
    x, y = path[:, 1], path[:, 0]
    ax.plot(x, y, "-", color=PATH_COLOUR, lw=2, alpha=0.9, zorder=6, solid_capstyle="round")
    for t in range(len(x) - 1):
        if (cells[t + 1] != cells[t]).any():  # a move: show which way it went
            mid = (x[t] + 0.6 * (x[t + 1] - x[t]), y[t] + 0.6 * (y[t + 1] - y[t]))
            start = (x[t] + 0.45 * (x[t + 1] - x[t]), y[t] + 0.45 * (y[t + 1] - y[t]))
            ax.add_patch(FancyArrowPatch(start, mid, arrowstyle="-|>", mutation_scale=14, color=PATH_COLOUR,
                                         lw=0, zorder=7))
    ax.scatter([x[0]], [y[0]], s=90, marker="o", facecolor="white", edgecolor=PATH_COLOUR, lw=2.5,
               zorder=8, label="start")
    ax.scatter([x[-1]], [y[-1]], s=110, marker="s", facecolor=PATH_COLOUR, edgecolor="black", lw=1.2,
               zorder=8, label="end")
