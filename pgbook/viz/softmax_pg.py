r"""Figures of the convergence of softmax policy gradient: suboptimality gaps against iterations.

:func:`plot_gaps` draws the gap figures of the chapter "Convergence of softmax policy gradient":
several runs' gaps :math:`V^\star(\rho) - V^{(t)}(\rho)` against t on log axes, with optional bounds
drawn dashed in the same colours. :func:`plot_scaling` draws its scaling experiments: a measured
quantity against the parameter it should scale with, on log-log axes, with the fitted power law.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from .. import _validate as validate
from ..checks import loglog_slope

#: Okabe-Ito colours (colour-blind safe), in the order the curves are drawn.
COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")


def plot_gaps(ax: Axes, curves, bounds=None, *, xlabel="iteration t", ylabel="gap  V*(ρ) − V(ρ)",
              logx=True, logy=True, title=None, legend_loc="upper right") -> list:
    r"""Draw gaps against iterations, one solid line per run, its bound (if any) dashed.

    ax: a matplotlib Axes; curves: mapping label -> ``(t: (n,), gap: (n,))``; bounds: mapping
    label -> ``(t: (m,), bound: (m,))``, drawn dashed in the colour of the curve of the same
    position; legend_loc: a matplotlib legend location (a fixed one: "best" is slow on long
    curves). Non-positive values are dropped on a log axis. Returns the solid lines.
    """
    if not isinstance(ax, Axes):
        raise TypeError(f"ax: expected a matplotlib Axes, got {type(ax).__name__}")
    if not hasattr(curves, "items") or not curves:
        raise ValueError("curves: expected a non-empty mapping label -> (t, gap)")
    bounds = {} if bounds is None else bounds
    if not hasattr(bounds, "items"):
        raise TypeError("bounds: expected a mapping label -> (t, bound)")
    if len(curves) + len(bounds) > 2 * len(COLORS):
        raise ValueError(f"curves: at most {len(COLORS)} curves and bounds each")
    lines = []
    for k, (label, (t, y)) in enumerate(curves.items()):
        lines.append(_line(ax, t, y, label, logx, logy, color=COLORS[k % len(COLORS)], lw=2))
    for k, (label, (t, y)) in enumerate(bounds.items()):
        _line(ax, t, y, label, logx, logy, color=COLORS[k % len(COLORS)], lw=1.5, ls="--")
    ax.set_xscale("log" if logx else "linear")
    ax.set_yscale("log" if logy else "linear")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(frameon=False, loc=legend_loc)
    return lines


def _line(ax, t, y, label, logx, logy, **style):
    t = validate.array(t, f"curves[{label!r}] t", ndim=1)
    y = validate.array(y, f"curves[{label!r}] values", shape=t.shape)
    keep = np.ones(t.size, dtype=bool)
    if logx:
        keep &= t > 0
    if logy:
        keep &= y > 0
    (line,) = ax.plot(t[keep], y[keep], label=label, **style)
    return line


def plot_scaling(ax: Axes, x, y, *, label: str, xlabel: str | None = None, ylabel: str | None = None, color=None,
                 marker: str = "o") -> float:
    r"""Draw y against x on log-log axes with the least-squares power law :math:`y \approx a x^b` through them.

    ax: a matplotlib Axes; x, y: positive, shape (n,); label: the data's legend entry (the fitted
    line's entry is "fitted slope b"); xlabel, ylabel: axis labels (``None``: left as they are);
    color: a matplotlib colour (``None``: the next Okabe-Ito colour of :data:`COLORS`); marker: a
    matplotlib marker. Several calls on one Axes draw several series. The markers are hollow and the
    fitted line is drawn over them in near-black (dotted, then dash-dotted for a second series), so
    that it stays visible where it runs through the points. Returns the fitted exponent b
    (:func:`pgbook.checks.loglog_slope`).
    """
    if not isinstance(ax, Axes):
        raise TypeError(f"ax: expected a matplotlib Axes, got {type(ax).__name__}")
    x = validate.array(x, "x", ndim=1)
    y = validate.array(y, "y", shape=x.shape)
    b = loglog_slope(x, y)
    series = len(ax.get_lines()) // 2
    if color is None:
        color = COLORS[series % len(COLORS)]
    a = np.exp(np.mean(np.log(y) - b * np.log(x)))
    ax.plot(x, y, marker, color=color, mfc="none", mew=1.5, ms=6, label=label)
    ends = np.array([x.min(), x.max()])
    ax.plot(ends, a * ends**b, (":", "-.")[series % 2], color="0.15", lw=1.8, zorder=3,
            label=f"fitted slope {b:.2f}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(frameon=False)
    return b
