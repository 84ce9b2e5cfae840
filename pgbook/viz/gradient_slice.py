r"""A two-parameter slice of :math:`V(\theta)`: contour lines, a point, and gradient arrows from it.

The policy gradient chapter draws :math:`V^{\pi_\theta}(s_0)` over two coordinates of
:math:`\theta` and, at the reader's :math:`\theta`, the gradient split as in the tutorial's
recursion, :math:`\nabla V(s_0) = \mathbb E[\nabla\log\pi(a_0|s_0)\,Q(s_0, a_0)] + \gamma\,\mathbb E[\nabla V(s_1)]`.

The contour lines, axes, labels and legend are the same in every frame of a slider, and laying
out their text is most of matplotlib's work; :class:`GradientSlice` renders them once and each
frame only pastes that image and draws the arrows, so a frame costs milliseconds.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch
from PIL import Image

from .. import _validate as validate
from .interactive import PIXEL_RATIO

#: Okabe-Ito colours (colour-blind safe): black, orange, blue, bluish green, vermillion.
COLOURS = ("#000000", "#E69F00", "#0072B2", "#009E73", "#D55E00")

#: Where the axes sit in the figure, (left, bottom, width, height) in figure fractions; the legend
#: goes to the right of them.
RECT = (0.1, 0.12, 0.5, 0.8)


class GradientSlice:
    r"""Contour lines of ``V`` over a grid, drawn once, onto which each frame draws gradient arrows.

    Parameters
    ----------
    x : array (n,)
        Increasing values of the first coordinate.
    y : array (m,)
        Increasing values of the second coordinate.
    V : array (m, n)
        ``V[i, j]`` is the value at ``(x[j], y[i])``.
    labels : sequence of str
        The arrows' names, in the order of :data:`COLOURS` (at most five), listed in the legend.
    figsize : (float, float)
        Figure size in inches; use the same as the interactive figure's.
    dpi : int
        Pixels per inch; use the same as the interactive figure's.
    levels : int
        Number of contour lines.
    xlabel, ylabel, title : str
    """

    def __init__(self, x, y, V, labels, *, figsize=(7.0, 4.2), dpi: int = 100, levels: int = 8,
                 xlabel: str = "", ylabel: str = "", title: str = ""):
        self.x = validate.array(x, "x", ndim=1)
        self.y = validate.array(y, "y", ndim=1)
        V = validate.array(V, "V", shape=(self.y.size, self.x.size))
        for name, axis in (("x", self.x), ("y", self.y)):
            if axis.size < 2 or not (np.diff(axis) > 0).all():
                raise ValueError(f"{name}: expected at least 2 increasing values")
        if isinstance(labels, str) or not all(isinstance(label, str) for label in labels):
            raise TypeError("labels: expected a sequence of strings, one per arrow")
        self.labels = tuple(labels)
        if len(self.labels) > len(COLOURS):
            raise ValueError(f"labels: at most {len(COLOURS)} arrows, got {len(self.labels)}")
        size = validate.array(figsize, "figsize", shape=(2,))
        if (size <= 0).any():
            raise ValueError(f"figsize: width and height must be positive, got {tuple(size)}")
        self.figsize = (float(size[0]), float(size[1]))
        self.dpi = validate.positive_int(dpi, "dpi")
        levels = validate.positive_int(levels, "levels")

        fig = Figure(figsize=self.figsize, dpi=self.dpi, facecolor="white", layout="none")
        ax = fig.add_axes(RECT)
        lines = ax.contour(self.x, self.y, V, levels=levels, colors="0.55", linewidths=0.8)
        ax.clabel(lines, fontsize=8, fmt="%.2f")
        for label, colour in zip(self.labels, COLOURS):
            ax.plot([], [], color=colour, lw=2.2, label=label)
        self._limits(ax)
        ax.set(xlabel=xlabel, ylabel=ylabel)
        if title:
            ax.set_title(title, fontsize=10)
        if self.labels:
            ax.legend(loc="upper left", bbox_to_anchor=(1.03, 1.0), fontsize=9, frameon=False)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=PIXEL_RATIO * self.dpi, facecolor="white")
        self.background = np.asarray(Image.open(buf).convert("RGB"))

    def _limits(self, ax) -> None:
        ax.set(xlim=(self.x[0], self.x[-1]), ylim=(self.y[0], self.y[-1]))
        ax.set_aspect("equal")

    def draw(self, fig, point, arrows: dict, *, note: str = "") -> None:
        r"""Draw the slice into ``fig`` (a fresh figure of the same size) with ``point`` marked.

        arrows: ``{label: (2, 2) array}`` for labels given at construction; row 0 is where the
        arrow starts and row 1 its displacement, in the slice's coordinates (so that arrows can be
        chained head to tail, as the parts of a sum); arrows are clipped to the axes. note: printed
        under the legend, e.g. the arrows' sizes.
        """
        point = validate.array(point, "point", shape=(2,))
        if not isinstance(arrows, dict):
            raise TypeError(f"arrows: expected a dict {{label: (2, 2) array}}, got {type(arrows).__name__}")
        if not isinstance(note, str):
            raise TypeError(f"note: expected a string, got {type(note).__name__}")
        unknown = set(arrows) - set(self.labels)
        if unknown:
            raise ValueError(f"arrows: unknown labels {sorted(unknown)}; expected some of {list(self.labels)}")
        size = tuple(float(v) for v in fig.get_size_inches())
        if not np.allclose(size, self.figsize):
            raise ValueError(f"fig: expected figsize {self.figsize}, got {size}")
        fig.set_layout_engine("none")
        # An axes over the whole figure, not figimage: figimage pastes pixels unscaled, which breaks
        # when the frame is saved at a higher dpi than the figure's (the 2x frames of viz.interactive).
        underlay = fig.add_axes((0, 0, 1, 1), zorder=0)
        underlay.imshow(self.background, aspect="auto", interpolation="none")
        underlay.set_axis_off()
        ax = fig.add_axes(RECT, zorder=1)  # above the pasted image
        ax.set_axis_off()
        self._limits(ax)
        for label, colour in zip(self.labels, COLOURS):
            if label in arrows:
                start, step = validate.array(arrows[label], f"arrows[{label!r}]", shape=(2, 2))
                ax.add_patch(FancyArrowPatch(tuple(start), tuple(start + step), arrowstyle="-|>",
                                             color=colour, lw=2.2, mutation_scale=14, shrinkA=0, shrinkB=0))
        ax.plot(*point, "o", color="black", ms=5, zorder=3)
        if note:
            ax.text(1.05, 0.45, note, transform=ax.transAxes, va="top", fontsize=9, clip_on=False)
