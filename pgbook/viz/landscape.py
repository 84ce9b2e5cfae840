r"""Pictures of the optimisation landscape: a two-parameter slice of :math:`V^{\pi_\theta}(\rho)`.

:func:`plot_slice` draws the slice as filled contours, with the slice's diagonal marked, and below
it the values along that diagonal against the chord between its ends: wherever the curve runs
below the chord, the function is not concave (AKLM Lemma 3.1).
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from .. import _validate as validate

#: Okabe--Ito colours (colour-blind safe), used by the landscape figures.
COLORS = {"blue": "#0072B2", "orange": "#E69F00", "vermillion": "#D55E00", "green": "#009E73", "grey": "0.45"}


def plot_slice(fig: Figure, x, y, values, *, xlabel: str, ylabel: str, title: str = "",
               log_floor: float | None = None) -> None:
    r"""Draw a slice ``values[j, i] = f(x[i], y[j])`` (top) and the function along its diagonal (bottom).

    fig: an empty matplotlib figure (two stacked panels are added, so that the figure stays readable
    on a phone); x, y: (n,) increasing grid coordinates of the same length, so that the diagonal runs
    from ``(x[0], y[0])`` to ``(x[-1], y[-1])``; values: (n, n) the function on the grid, expected in
    [0, 1] (e.g. :math:`V/V^\star`). Top: filled contours (viridis, colour-blind safe) and the
    diagonal; with ``log_floor`` (a negative power of ten, such as -12) the colours are
    :math:`\log_{10}` of the values, one band per decade, values below ``10**log_floor``
    in the lowest band, so that the depth of a flat region shows. Bottom: the function along the
    diagonal (linear scale), the chord between its end points, and the region where the function
    lies below the chord (shaded): a concave function never does.
    """
    x = validate.array(x, "x", ndim=1)
    y = validate.array(y, "y", ndim=1)
    if x.size < 2 or y.size != x.size:
        raise ValueError(f"y: expected the same length as x (>= 2), got {y.size} and {x.size}")
    values = validate.array(values, "values", shape=(x.size, x.size))
    if log_floor is not None and not (isinstance(log_floor, (int, float)) and log_floor < 0):
        raise ValueError(f"log_floor: expected a negative number (a power of ten), got {log_floor!r}")
    ax_c, ax_d = fig.subplots(2, 1, height_ratios=[1.45, 1])
    if log_floor is None:
        shown, levels, label = values, np.linspace(0, 1, 11), "V / V*"
        ax_c.contour(x, y, values, levels=np.linspace(0.1, 0.9, 9), colors="white", linewidths=0.5, alpha=0.6)
    else:
        shown = np.log10(np.clip(values, 10.0**log_floor, 1.0))
        levels, label = np.arange(np.floor(log_floor), 0.5, 1.0), "log₁₀ V / V*"
    filled = ax_c.contourf(x, y, shown, levels=levels, cmap="viridis")
    ax_c.plot([x[0], x[-1]], [y[0], y[-1]], "--", color="white", lw=1.5)
    ax_c.set(xlabel=xlabel, ylabel=ylabel, title=title, aspect="equal")
    bar = fig.colorbar(filled, ax=ax_c, shrink=0.9, label=label)
    if log_floor is not None:
        bar.set_ticks(levels[::2] if levels.size > 8 else levels)
    s = np.linspace(0, 1, x.size)
    along = np.diag(values)
    chord = along[0] + s * (along[-1] - along[0])
    ax_d.fill_between(s, along, chord, where=along < chord, color=COLORS["orange"], alpha=0.35,
                      label="below the chord")
    ax_d.plot(s, chord, color=COLORS["grey"], lw=1.2, label="chord")
    ax_d.plot(s, along, color=COLORS["blue"], lw=2, label="V / V* on the diagonal")
    ax_d.set(xlim=(0, 1), ylim=(-0.02, 1.02), xlabel="position along the dashed line", ylabel="V / V*",
             title="V / V* and its chord")
