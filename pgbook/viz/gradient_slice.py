r"""A two-parameter slice of :math:`V(\theta)` with its gradient at a point, and the gradient split in parts.

The policy gradient chapter draws :math:`V^{\pi_\theta}(s_0)` over two coordinates of
:math:`\theta` and, at the reader's :math:`\theta`, the gradient split as in the tutorial's
recursion,

.. math:: \nabla V(s_0) = \mathbb E[\nabla\log\pi(a_0|s_0)\,Q(s_0, a_0)] + \gamma\,\mathbb E[\nabla V(s_1)].

The figure has two panels stacked, sized for a phone as well as the book's desktop column:
the contour lines of the slice with the point and the direction of the gradient (top, the larger),
and, beside a legend of their names, for each of the two coordinates a bar for the total and one for
each part, labelled with their values (bottom). Bars show a part
however small it is next to the other, where arrows drawn head to tail hide it.

The contour lines, axes, labels and legend are the same in every frame of a slider, and laying
out their text is most of matplotlib's work; :class:`GradientSlice` renders them once and each
frame only pastes that image and draws the arrow and the bars, so a frame costs milliseconds.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Patch
from PIL import Image

from .. import _validate as validate
from .interactive import PIXEL_RATIO
from .style import MIN_FONT_SIZE

#: Okabe-Ito colours (colour-blind safe): the total (black), then the parts (orange, blue, green, vermillion).
COLOURS = ("#000000", "#E69F00", "#0072B2", "#009E73", "#D55E00")

#: Where the slice and the bars sit in the figure, (left, bottom, width, height) in figure fractions
#: of the default figsize (4.6, 7.0): a 3.6 in square slice on top, the bars under it, their legend
#: at their left (stacked, so that on a phone the bars sit with the sliders, under the slice).
SLICE_RECT = (0.17, 0.45, 0.78, 0.514)
BARS_RECT = (0.40, 0.02, 0.58, 0.33)
#: The legend's top left corner, in figure fractions: beside the bars, under the slice's x label.
LEGEND_ANCHOR = (0.01, 0.35)
#: The centre of each coordinate's row of bars, in the bar axes' units (its name sits above it).
ROWS = (1.25, 0.0)
#: The longest bar, in the bar axes' units (its half-width is 1.9): room is left for the value beside it.
BAR_LENGTH = 0.6


class GradientSlice:
    r"""Contour lines of ``V`` over a grid and the frame of a bar panel, drawn once; each frame adds the
    gradient's direction at a point and its parts.

    Parameters
    ----------
    x : array (n,)
        Increasing values of the first coordinate.
    y : array (m,)
        Increasing values of the second coordinate.
    V : array (m, n)
        ``V[i, j]`` is the value at ``(x[j], y[i])``.
    labels : sequence of str
        Short names of the total, then of its parts (at most four), in the order of :data:`COLOURS`;
        named in a legend above the bars.
    coordinates : sequence of two str
        The two coordinates' names, e.g. ``("∂V/∂θ₀,₀", "∂V/∂θ₁,₀")``, one row of bars each, named above it.
    figsize : (float, float)
        Figure size in inches; use the same as the interactive figure's.
    dpi : int
        Pixels per inch; use the same as the interactive figure's.
    levels : int
        Number of contour lines.
    xlabel, ylabel, title : str
    sign_change : array (m, n), optional
        A quantity on the same grid, such as one part of the gradient, whose sign changes across the
        slice: where it is 0 is drawn as a dashed line in the first part's colour, so that the reader
        sees where the sign changes without stepping a slider onto it.
    sign_change_label : str
        The dashed line's name, in the legend (beside the line it would sit on contour labels).
    """

    def __init__(self, x, y, V, labels, *, coordinates=("x", "y"), figsize=(4.6, 7.0), dpi: int = 100,
                 levels: int = 8, xlabel: str = "", ylabel: str = "", title: str = "", sign_change=None,
                 sign_change_label: str = ""):
        self.x = validate.array(x, "x", ndim=1)
        self.y = validate.array(y, "y", ndim=1)
        V = validate.array(V, "V", shape=(self.y.size, self.x.size))
        for name, axis in (("x", self.x), ("y", self.y)):
            if axis.size < 2 or not (np.diff(axis) > 0).all():
                raise ValueError(f"{name}: expected at least 2 increasing values")
        if isinstance(labels, str) or not all(isinstance(label, str) for label in labels):
            raise TypeError("labels: expected a sequence of strings: the total, then its parts")
        self.labels = tuple(labels)
        if not 2 <= len(self.labels) <= len(COLOURS):
            raise ValueError(f"labels: expected the total and 1 to {len(COLOURS) - 1} parts, got {len(self.labels)}")
        if isinstance(coordinates, str) or len(coordinates) != 2:
            raise TypeError("coordinates: expected two names, one per coordinate")
        self.coordinates = tuple(str(c) for c in coordinates)
        size = validate.array(figsize, "figsize", shape=(2,))
        if (size <= 0).any():
            raise ValueError(f"figsize: width and height must be positive, got {tuple(size)}")
        self.figsize = (float(size[0]), float(size[1]))
        self.dpi = validate.positive_int(dpi, "dpi")
        levels = validate.positive_int(levels, "levels")

        fig = Figure(figsize=self.figsize, dpi=self.dpi, facecolor="white", layout="none")
        ax = fig.add_axes(SLICE_RECT)
        lines = ax.contour(self.x, self.y, V, levels=levels, colors="0.55", linewidths=0.8)
        ax.clabel(lines, fmt="%.1f")
        handles = [Patch(color=c, label=label) for label, c in zip(self.labels, COLOURS)]
        if sign_change is not None:
            sign_change = validate.array(sign_change, "sign_change", shape=(self.y.size, self.x.size))
            if not (sign_change.min() < 0 < sign_change.max()):
                raise ValueError("sign_change: its sign does not change on the grid, so there is no line to draw")
            ax.contour(self.x, self.y, sign_change, levels=[0.0], colors=COLOURS[1], linewidths=1.8,
                       linestyles="--")
            if sign_change_label:
                handles.append(Line2D([], [], color=COLOURS[1], lw=1.8, ls="--", label=sign_change_label))
        self._limits(ax)
        ax.set(xlabel=xlabel, ylabel=ylabel)
        if title:
            ax.set_title(title)
        bars = fig.add_axes(BARS_RECT)
        self._bar_axes(bars)
        for centre, name in zip(ROWS, self.coordinates):
            bars.text(0.0, centre + 0.55, name, ha="center", va="bottom")
        # The bars' names, once, above them: beside each bar they would crowd the values.
        bars.legend(handles=handles, loc="upper left", bbox_to_anchor=LEGEND_ANCHOR, bbox_transform=fig.transFigure,
                    ncols=1, frameon=False, handlelength=1.6, handletextpad=0.5, borderaxespad=0.0)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=PIXEL_RATIO * self.dpi, facecolor="white")
        self.background = np.asarray(Image.open(buf).convert("RGB"))

    def _limits(self, ax) -> None:
        ax.set(xlim=(self.x[0], self.x[-1]), ylim=(self.y[0], self.y[-1]))
        ax.set_aspect("equal")

    def _bar_axes(self, ax) -> None:
        ax.set(ylim=(-0.5, ROWS[0] + 0.75), yticks=[], xlim=(-1.9, 1.9), xticks=[])
        ax.spines[:].set_visible(False)

    def draw(self, fig, point, total, parts: dict, *, arrow_length: float = 1.4) -> None:
        r"""Draw the slice into ``fig`` (a fresh figure of the same size) with ``point`` marked, the
        gradient's direction from it, and the bars of the total and its parts.

        total: (2,) the gradient at ``point``; parts: ``{label: (2,)}`` for the part labels given at
        construction, which should add up to ``total``. The arrow on the slice has length
        ``arrow_length`` in the slice's coordinates (its direction is what the contour lines show);
        in each coordinate's row of bars, the total comes first and then each part, scaled by the
        largest absolute number among them all, each labelled with its value (the legend above the
        bars, drawn once, names them).
        """
        point = validate.array(point, "point", shape=(2,))
        total = validate.array(total, "total", shape=(2,))
        if not isinstance(parts, dict):
            raise TypeError(f"parts: expected a dict {{label: (2,) array}}, got {type(parts).__name__}")
        unknown = set(parts) - set(self.labels[1:])
        if unknown:
            raise ValueError(f"parts: unknown labels {sorted(unknown)}; expected some of {list(self.labels[1:])}")
        parts = {label: validate.array(v, f"parts[{label!r}]", shape=(2,)) for label, v in parts.items()}
        size = tuple(float(v) for v in fig.get_size_inches())
        if not np.allclose(size, self.figsize):
            raise ValueError(f"fig: expected figsize {self.figsize}, got {size}")
        fig.set_layout_engine("none")
        # An axes over the whole figure, not figimage: figimage pastes pixels unscaled, which breaks
        # when the frame is saved at a higher dpi than the figure's (the 2x frames of viz.interactive).
        underlay = fig.add_axes((0, 0, 1, 1), zorder=0)
        underlay.imshow(self.background, aspect="auto", interpolation="none")
        underlay.set_axis_off()
        ax = fig.add_axes(SLICE_RECT, zorder=1)  # above the pasted image
        ax.set_axis_off()
        self._limits(ax)
        norm = np.linalg.norm(total)
        if norm > 0:
            ax.add_patch(FancyArrowPatch(tuple(point), tuple(point + arrow_length * total / norm), arrowstyle="-|>",
                                         color=COLOURS[0], lw=2.4, mutation_scale=16, shrinkA=0, shrinkB=0))
        ax.plot(*point, "o", color="black", ms=6, zorder=3)
        bars = fig.add_axes(BARS_RECT, zorder=1, facecolor="none")
        bars.set_axis_off()
        self._bar_axes(bars)
        for centre in ROWS:
            bars.plot([0.0, 0.0], [centre - 0.47, centre + 0.47], color="0.6", lw=0.8)
        rows = [total, *(parts.get(label) for label in self.labels[1:])]
        scale = max(np.abs(v).max() for v in rows if v is not None) or 1.0
        step = 0.9 / len(rows)
        for k, (v, label, colour) in enumerate(zip(rows, self.labels, COLOURS)):
            if v is None:
                continue
            for coordinate in (0, 1):
                y = ROWS[coordinate] + 0.45 - step * (k + 0.5)
                width = BAR_LENGTH * v[coordinate] / scale
                bars.barh(y, width, height=0.85 * step, color=colour)
                text = f"{v[coordinate]:+.3f}"
                bars.text(width + (0.05 if width >= 0 else -0.05), y, text,
                          ha="left" if width >= 0 else "right", va="center", color=colour,
                          fontsize=MIN_FONT_SIZE)  # the values are the point: legible on a phone
