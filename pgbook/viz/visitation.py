r"""Figures of the visitation chapter: visitation measures on the gridworld, learning curves of
policy classes, and the optimality gap of the softmax class along a ray.

Colours come from the Okabe-Ito palette (colour-blind safe); figures have the book's white
background (:data:`pgbook.viz.STYLE`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm, PowerNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import NullLocator

from .. import _validate as validate
from ..envs import GRID_ACTIONS, GRID_MOVES, GridMDP
from matplotlib.patches import Rectangle

from .grid import MARK_COLOURS, WALL_COLOUR, WALL_HATCH_COLOUR, text_colour
from .style import MIN_FONT_SIZE

#: Okabe-Ito colours, in the order the curves of a figure use them.
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9")
#: The mark of an ``X`` cell (a pit, or a Gymnasium grid's hole or cliff): a falling triangle, not a
#: letter X, which reads as "wrong"; the figure's legend names it.
DROP = dict(marker="v", ms=10, mfc=MARK_COLOURS["X"], mec="white", mew=1.0, ls="none")


def mark_legend_height(grid: GridMDP) -> float:
    """Inches :func:`plot_visitation` keeps under its grids for the legend of the ``X`` mark (0 without
    an ``X`` cell); a caller sizing the figure adds them."""
    return 0.3 if "X" in "".join(grid.layout) else 0.0


def colour_bar_label(gamma: float, log: bool = False) -> str:
    r"""What a visitation colour bar shows: for :math:`\gamma < 1`, :math:`d^\pi` is a probability
    distribution, the discounted share of time in each state; for :math:`\gamma = 1` (an episodic MDP,
    :func:`pgbook.visitation`) it is the expected number of visits, normalised to sum to one.

    >>> colour_bar_label(0.9), colour_bar_label(1.0, log=True)
    ('visitation probability', 'share of expected visits (log scale)')
    """
    return ("visitation probability" if gamma < 1 else "share of expected visits") + (" (log scale)" if log else "")


def round_ticks(vmax: float) -> list[float]:
    """Three colour-bar ticks on a square-root scale from 0 to ``vmax``: 0, a round number near
    ``vmax / 4`` (the scale's middle) and the largest round number at most ``vmax``, each with one
    significant digit, so that they read at a glance (0, 0.08, 0.3 rather than 0, 0.076, 0.31).

    >>> round_ticks(0.31), round_ticks(1.0), round_ticks(0.0046)
    ([0.0, 0.08, 0.3], [0.0, 0.2, 1.0], [0.0, 0.001, 0.004])
    """
    def one_digit(x, down):
        scale = 10.0 ** np.floor(np.log10(x))
        return float(np.round((np.floor if down else np.round)(x / scale) * scale, 12))
    return [0.0, one_digit(vmax / 4, False), one_digit(vmax, True)]


def plot_visitation(fig: Figure, grid: GridMDP, d_left, d_right, pi=None, *, titles=("", ""),
                    vmax: float = 1.0, annotate: bool = True, suptitle: str | None = None, arrows: str = "both",
                    stacked: bool = False, vmin: float | None = None):
    r"""Two visitation measures side by side (or, ``stacked``, one above the other) on the gridworld, one
    colour scale.

    fig: an empty Figure (its layout engine is switched off: the axes are placed by hand, which
    keeps a redraw of an interactive figure near 0.1 s); d_left, d_right: (S,) probability vectors
    (e.g. :math:`d^\pi_{s_0}` and :math:`d^\pi_\rho`), each cell annotated with its value unless
    ``annotate`` is false (text is most of a frame's drawing time); pi: (S, A)
    optional, drawn as one arrow per cell, the policy's mean move :math:`\sum_a \pi(a|s)\, m(a)`, on
    both panels or, with ``arrows="left"``, on the left one only;
    titles: the two panel titles; vmax: top of the colour scale, which is a square-root scale so
    that small probabilities stay visible next to the absorbing states' large ones; stacked: the
    left panel on top, the right one below it (for grids much wider than tall), with the colour bar
    under both, where both use it (beside them otherwise); vmin: with it, the
    colour scale is logarithmic from vmin to vmax instead (a probability below vmin is drawn at vmin,
    one of 0, a state never visited, in white with its cell outlined), for measures that span orders of
    magnitude. The colour bar says what d is (:func:`colour_bar_label`: a probability for gamma < 1, a
    share of expected visits for gamma = 1); an ``X`` cell (pit or cliff) carries the mark :data:`DROP`,
    named in a legend under the figure.
    Returns the two axes.
    """
    if not isinstance(fig, Figure):
        raise TypeError(f"fig: expected a matplotlib Figure, got {type(fig).__name__}")
    if not isinstance(grid, GridMDP):
        raise TypeError(f"grid: expected a gridworld (pgbook.envs.gridworld), got {type(grid).__name__}")
    vmax = validate.positive_real(vmax, "vmax")
    if vmin is not None:
        vmin = validate.positive_real(vmin, "vmin")
        if vmin >= vmax:
            raise ValueError(f"vmin: must be below vmax = {vmax:g}, got {vmin:g}")
    d_left = validate.distribution(d_left, "d_left", grid.S)
    d_right = validate.distribution(d_right, "d_right", grid.S)
    if pi is not None:
        pi = validate.policy(grid, pi)
    if arrows not in ("both", "left"):
        raise ValueError(f"arrows: expected 'both' or 'left', got {arrows!r}")
    fig.set_layout_engine("none")
    width, height = fig.get_size_inches()
    top = 1 - (0.95 if suptitle else 0.35) / height  # room for the titles, in figure fractions
    legend = mark_legend_height(grid)
    if stacked:  # the colour bar goes under both panels: 0.85 in for it, its ticks and its label
        bottom, gap = (0.85 + legend) / height, 0.5 / height  # the gap holds the lower panel's title
        panel = (top - bottom - gap) / 2
        axes = [fig.add_axes((0.01, bottom + gap + panel, 0.98, panel)), fig.add_axes((0.01, bottom, 0.98, panel))]
    else:
        low = 0.03 + legend / height
        axes = [fig.add_axes((0.01, low, 0.38, top - low)), fig.add_axes((0.42, low, 0.38, top - low))]
    for ax in axes:
        ax.set_anchor("N")  # the grids right under their titles
    cmap = colormaps["viridis"].with_extremes(under="white")
    norm = PowerNorm(0.5, vmin=0.0, vmax=vmax) if vmin is None else LogNorm(vmin=vmin, vmax=vmax)
    for k, (ax, d, title) in enumerate(zip(axes, (d_left, d_right), titles)):
        shown = d if vmin is None else np.where(d > 0, np.maximum(d, vmin), 0.5 * vmin)  # 0: under the scale
        image = ax.imshow(grid.grid(shown), cmap=cmap, norm=norm)
        for i, row in enumerate(grid.layout):  # walls hatched, as in pgbook.viz.plot_grid
            for j in (j for j, kind in enumerate(row) if kind == "#"):
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, facecolor=WALL_COLOUR,
                                       edgecolor=WALL_HATCH_COLOUR, hatch="///", lw=0, zorder=1.5))
        if vmin is not None:  # outline the cells, so that a white (never visited) one still reads as a cell
            rows, cols = grid.shape
            ax.set_xticks(np.arange(cols + 1) - 0.5, minor=True)
            ax.set_yticks(np.arange(rows + 1) - 0.5, minor=True)
            ax.grid(which="minor", color="0.7", lw=0.5)
            ax.tick_params(which="minor", length=0)
        else:  # thin white borders, so that neighbouring cells of one colour still read as two
            rows, cols = grid.shape
            ax.hlines(np.arange(rows + 1) - 0.5, -0.5, cols - 0.5, color="white", lw=1)
            ax.vlines(np.arange(cols + 1) - 0.5, -0.5, rows - 0.5, color="white", lw=1)
        for s, (i, j) in enumerate(grid.cells):
            ink = text_colour(cmap(norm(shown[s])) if d[s] > 0 or vmin is None else "white")
            if annotate:
                value = f"{d[s]:.2f}" if d[s] >= 0.01 or d[s] == 0 or vmin is None else f"{d[s]:.0e}".replace("e-0", "e-")
                ax.text(j, i + 0.25, value, ha="center", va="center", fontsize=MIN_FONT_SIZE, color=ink)
            kind = grid.layout[i][j]
            if kind in "SG":
                ax.text(j - 0.28, i - 0.28, kind, ha="center", va="center", fontsize=MIN_FONT_SIZE,
                        fontweight="bold", color=ink)
            elif kind == "X":
                ax.plot(j - 0.28, i - 0.28, **DROP)
        if pi is not None and (k == 0 or arrows == "both"):
            move = np.array([GRID_MOVES[name] for name in GRID_ACTIONS], dtype=float)
            mean = pi @ move  # (S, 2): rows down, columns right
            # No arrow where the policy has no net direction (e.g. uniform) or the episode is over.
            shown = ~grid.terminal & (np.hypot(*mean.T) > 0.05)
            mean = mean[shown]
            cells = np.array(grid.cells, dtype=float)[shown]
            # Data coordinates are (column, row) with rows growing downwards on the picture, as
            # imshow draws them, so the move (drow, dcol) is the vector (dcol, drow).
            # With numbers in the cells' lower halves, shorter arrows centred in the upper halves,
            # so that a downward arrow does not cover the number.
            y, scale, pivot = (cells[:, 0] - 0.14, 3.6, "middle") if annotate else (cells[:, 0] - 0.08, 2.4, "tail")
            ax.quiver(cells[:, 1], y, mean[:, 1], mean[:, 0], color="white", edgecolor="black", linewidth=0.4,
                      angles="xy", scale_units="xy", scale=scale, pivot=pivot, width=0.015, headwidth=3.5)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.spines[:].set_visible(False)
        ax.set_title(title)
    label = colour_bar_label(grid.gamma, log=vmin is not None)
    if stacked:  # as wide as the grids, centred under them
        rows, cols = grid.shape
        # In figure fractions; at most 0.9, so that the end ticks' labels stay inside the figure.
        grid_width = min(0.9 * width, panel * height * cols / rows) / width
        bar = fig.colorbar(image, cax=fig.add_axes((0.5 - grid_width / 2, (0.5 + legend) / height, grid_width,
                                                    0.14 / height)),
                           orientation="horizontal", label=label)
    else:
        side = min(0.38 * width, (top - low) * height) / height  # the grids' height, in figure fractions
        bar = fig.colorbar(image, cax=fig.add_axes((0.83, top - side, 0.025, side)), label=label)
    if vmin is None:  # on the square-root scale the default ticks crowd at the top: three round ones
        ticks = round_ticks(vmax)
        bar.set_ticks(ticks, labels=[f"{t:g}" for t in ticks])
    else:  # the decades only: minor ticks at 2, 3, ..., 9 of each would crowd the bar
        bar.ax.xaxis.set_minor_locator(NullLocator())
        bar.ax.yaxis.set_minor_locator(NullLocator())
    if legend:  # name the mark, under the figure's left edge
        fig.legend(handles=[Line2D([], [], **DROP)], labels=["a pit, hole or cliff (X on the map)"], loc="lower left",
                   bbox_to_anchor=(0.0, 0.0), frameon=False, handletextpad=0.3, borderaxespad=0.1)
    if suptitle:
        fig.suptitle(suptitle, x=0.01, y=0.99, ha="left")  # on a phone the left part is on screen
    return axes


def plot_learning_curves(ax: Axes, curves: Mapping[str, np.ndarray], V_star: float, *,
                         ylabel: str = r"$V^{\pi_\theta}(\rho)$"):
    r"""Values along optimisation runs, one line per run, with the optimum as a dashed line.

    ax: matplotlib Axes; curves: label -> values (T+1,) at iterations 0..T; V_star: the optimal value.
    """
    if not curves:
        raise ValueError("curves: give at least one run")
    for (label, values), colour in zip(curves.items(), COLOURS):
        values = validate.array(values, f"curves[{label!r}]", ndim=1)
        ax.plot(np.arange(values.size), values, color=colour, lw=2, label=label)
    ax.axhline(V_star, color="0.3", ls="--", lw=1.2, label=r"optimum $V^*(\rho)$")
    ax.set(xlabel="iteration of exact gradient ascent", ylabel=ylabel)
    ax.legend(frameon=False)


def plot_gap(ax: Axes, c, gap, bound, crude=None):
    r"""The optimality gap :math:`V^\star - V^{\pi_c}` along a ray :math:`\theta = c\,\mathbb 1_{\pi^\star}`,
    on a log scale, with its upper bound(s).

    c: (k,) ray lengths; gap, bound: (k,); crude: (k,) optional, a looser bound.
    """
    c = validate.array(c, "c", ndim=1)
    for name, y in (("gap", gap), ("bound", bound)):
        validate.array(y, name, shape=c.shape)
    ax.semilogy(c, bound, color=COLOURS[1], lw=2, label=r"bound $\epsilon_c\, \|A^*\|_\infty/(1-\gamma)$")
    if crude is not None:
        ax.semilogy(c, validate.array(crude, "crude", shape=c.shape), color=COLOURS[1], lw=1.2, ls=":",
                    label=r"bound $(|\mathcal{A}|-1)e^{-c}/(1-\gamma)^2$")
    ax.semilogy(c, gap, "o", color=COLOURS[0], ms=5, label=r"gap $V^*(s_0) - V^{\pi_c}(s_0)$")
    ax.set(xlabel=r"$c$, in $\pi_c = \mathrm{softmax}(c\, \mathbb{1}_{\pi^*})$", ylabel="gap")
    ax.legend(frameon=False)
