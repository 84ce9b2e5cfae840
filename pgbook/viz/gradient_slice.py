r"""A two-parameter slice of :math:`V(\theta)`: contour lines, a point, and gradient arrows from it.

The policy gradient chapter draws :math:`V^{\pi_\theta}(s_0)` over two coordinates of
:math:`\theta` and, at the reader's :math:`\theta`, the gradient split as in the tutorial's
recursion, :math:`\nabla V(s_0) = \mathbb E[\nabla\log\pi(a_0|s_0)\,Q(s_0, a_0)] + \gamma\,\mathbb E[\nabla V(s_1)]`.
"""

from __future__ import annotations

import numpy as np

from .. import _validate as check

#: Okabe-Ito colours (colour-blind safe): black, orange, blue, bluish green, vermillion.
COLOURS = ("#000000", "#E69F00", "#0072B2", "#009E73", "#D55E00")


def plot_gradient_slice(ax, x, y, V, point, arrows: dict, *, scale: float = 1.0, levels: int = 12,
                        xlabel: str = "", ylabel: str = "", title: str = ""):
    r"""Contour lines of ``V`` over the grid ``(x, y)``, ``point`` marked, and ``arrows`` drawn from it.

    Parameters
    ----------
    ax : matplotlib Axes
    x : array (n,)
        Increasing values of the first coordinate.
    y : array (m,)
        Increasing values of the second coordinate.
    V : array (m, n)
        ``V[i, j]`` is the value at ``(x[j], y[i])``.
    point : array (2,)
        Where the arrows start.
    arrows : dict
        ``{label: (2,) vector}`` in the slice's coordinates, drawn in this order in :data:`COLOURS`
        and listed in the legend.
    scale : float
        Arrow length per unit of gradient (keep it fixed across the frames of a slider).
    levels : int
        Number of contour lines.

    Returns
    -------
    The contour set (for a colour bar or labels).
    """
    x = check.array(x, "x", ndim=1)
    y = check.array(y, "y", ndim=1)
    V = check.array(V, "V", shape=(y.size, x.size))
    point = check.array(point, "point", shape=(2,))
    scale = check.positive_real(scale, "scale")
    levels = check.positive_int(levels, "levels")
    if not isinstance(arrows, dict):
        raise TypeError(f"arrows: expected a dict {{label: (2,) vector}}, got {type(arrows).__name__}")
    if len(arrows) > len(COLOURS):
        raise ValueError(f"arrows: at most {len(COLOURS)} arrows, got {len(arrows)}")
    vectors = {label: check.array(v, f"arrows[{label!r}]", shape=(2,)) for label, v in arrows.items()}
    lines = ax.contour(x, y, V, levels=levels, colors="0.55", linewidths=0.8)
    ax.clabel(lines, fontsize=8, fmt="%.2f")
    for (label, v), colour in zip(vectors.items(), COLOURS):
        ax.annotate("", xy=tuple(point + scale * v), xytext=tuple(point),
                    arrowprops=dict(arrowstyle="-|>", color=colour, lw=2.2, mutation_scale=14,
                                    shrinkA=0, shrinkB=0))
        ax.plot([], [], color=colour, lw=2.2, label=label)
    ax.plot(*point, "o", color="black", ms=5, zorder=3)
    ax.set(xlim=(x[0], x[-1]), ylim=(y[0], y[-1]), xlabel=xlabel, ylabel=ylabel)
    if title:
        ax.set_title(title, fontsize=10)
    ax.set_aspect("equal")
    if vectors:
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=9, frameon=False)
    return lines
