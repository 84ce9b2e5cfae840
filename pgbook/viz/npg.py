r"""Figures of the NPG convergence chapter: sub-optimality gaps of runs against the published bounds,
on a logarithmic scale, and a rate's scaling on log-log axes."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import NullLocator

from .. import _validate as validate
from ..checks import loglog_slope
from .style import PALETTE

#: Gaps below this are drawn at it: round-off, not convergence, decides the last digits.
FLOOR = 1e-13


def _floor(gap) -> np.ndarray:
    return np.maximum(np.asarray(gap, dtype=float), FLOOR)


def _bound_handle(ax: Axes, label: str = "its bound (dashed)") -> None:
    """A legend entry for the dashed bounds, each drawn in the colour of its curve."""
    ax.plot([], [], color="0.35", ls="--", lw=1.2, label=label)


def plot_gap_bands(fig: Figure, T, gaps: dict, bounds: dict, *,
                   ylabel: str = r"$V^\star(\rho) - V^{(T)}(\rho)$", ncols: int = 2):
    r"""Gaps of many runs against one bound per setting: one panel per setting, on shared log-log axes.

    fig: an empty figure (the panels are added, ``ncols`` to a row); T: (n,) the iteration numbers;
    gaps: {label: (m, n)} the gaps of m runs (e.g. m random MDPs) at those iterations; bounds:
    {label: (n,)} the bound for the same label. In each panel the band spans the m runs, the solid
    line is their median and the dashed line the bound, in the panel's colour; the label is the
    panel's title. Separate panels keep bands and bounds that coincide across settings apart.
    Returns the axes.
    """
    T = validate.array(T, "T", ndim=1)
    if gaps.keys() != bounds.keys():
        raise ValueError("gaps, bounds: expected the same labels")
    if not gaps:
        raise ValueError("gaps: expected at least one setting")
    ncols = validate.positive_int(ncols, "ncols")
    rows = -(-len(gaps) // ncols)
    axes = fig.subplots(rows, min(ncols, len(gaps)), sharex=True, sharey=True, squeeze=False).ravel()
    for ax, (label, gap), colour in zip(axes, gaps.items(), PALETTE.values()):
        gap = validate.array(gap, f"gaps[{label!r}]", shape=(None, T.size))
        bound = validate.array(bounds[label], f"bounds[{label!r}]", shape=(T.size,))
        ax.fill_between(T, _floor(gap.min(axis=0)), _floor(gap.max(axis=0)), color=colour, alpha=0.3, lw=0,
                        label="all runs")
        ax.plot(T, _floor(np.median(gap, axis=0)), color=colour, label="median")
        ax.plot(T, bound, color=colour, ls="--", lw=1.4, label="bound")
        ax.set(xscale="log", yscale="log", title=label)
    for ax in axes[len(gaps):]:
        ax.set_axis_off()
    for ax in axes[-min(ncols, len(gaps)):]:
        ax.set_xlabel("iteration $T$")
    for ax in axes[::ncols]:
        ax.set_ylabel(ylabel)
    axes[0].legend(loc="lower left")
    return axes[:len(gaps)]


def plot_gap_lines(ax: Axes, t, gaps: dict, bounds: dict, *, ylabel: str, title: str | None = None,
                   xlabel: str = "iteration $t$", legend_loc: str | tuple[float, float] = "lower left",
                   outside: str | None = None, bound_label: str = "its bound (dashed)"):
    r"""Gap curves against their bounds on a logarithmic y axis (linear t).

    t: (n,) iterations; gaps: {label: (n,)}; bounds: {label: (n,)} with labels a subset of
    gaps' (a bound is drawn dashed in the colour of its gap, and the legend says so). Gaps below
    ``FLOOR`` are drawn at it. legend_loc: where the legend goes (a matplotlib ``loc``: a name, or
    the axes coordinates of its lower-left corner). bound_label: the legend's entry for the dashed
    lines (say which gap a bound is for when some gaps have none).
    """
    t = validate.array(t, "t", ndim=1)
    colours = dict(zip(gaps, PALETTE.values()))
    for label, gap in gaps.items():
        gap = validate.array(gap, f"gaps[{label!r}]", shape=(t.size,))
        ax.plot(t, _floor(gap), color=colours[label], label=label)
    for label, bound in bounds.items():
        if label not in colours:
            raise ValueError(f"bounds: {label!r} is not a label of gaps")
        bound = validate.array(bound, f"bounds[{label!r}]", shape=(t.size,))
        ax.plot(t, bound, color=colours[label], ls="--", lw=1.2)
    ax.set(yscale="log", xlabel=xlabel, ylabel=ylabel, ylim=(FLOOR / 3, None))
    if title:
        ax.set_title(title)
    if bounds:
        _bound_handle(ax, bound_label)
    if outside == "right":
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
    elif outside == "below":
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.25), frameon=False, ncols=2)
    elif outside is None:
        ax.legend(loc=legend_loc)
    else:
        raise ValueError(f"outside: expected 'right', 'below' or None, got {outside!r}")


def plot_scaling(ax: Axes, x, y, *, xlabel: str, ylabel: str, bound=None, bound_label: str = "bound",
                 label: str = "measured"):
    r"""A rate's scaling: measured ``y`` against ``x`` on log-log axes, with the least-squares line.

    x, y: (n,) positive numbers (e.g. :math:`1/(1-\gamma)` and the iterations to reach a gap). The
    fitted line :math:`y \approx a x^b` is drawn through the points and its slope ``b``
    (:func:`pgbook.checks.loglog_slope`) is written in the legend. bound: optional (n,), drawn dashed
    with ``bound_label`` (e.g. a theorem's iteration count at the same x).
    """
    x = validate.array(x, "x", ndim=1)
    y = validate.array(y, "y", shape=(x.size,))
    slope = loglog_slope(x, y)
    intercept = np.mean(np.log(y) - slope * np.log(x))
    ax.plot(x, y, "o", color=PALETTE["blue"], ms=7, label=label, zorder=3)
    ax.plot(x, np.exp(intercept) * x**slope, color=PALETTE["blue"], lw=1.2, label=f"fitted slope {slope:.2f}")
    if bound is not None:
        bound = validate.array(bound, "bound", shape=(x.size,))
        ax.plot(x, bound, color=PALETTE["vermillion"], ls="--", lw=1.4, label=bound_label)
    ax.set(xscale="log", yscale="log", xlabel=xlabel, ylabel=ylabel)
    ax.legend(loc="upper left")


def draw_eta_tau(fig: Figure, t, npg_gap, npg_bound, soft_gap, soft_bound, gap_reg, bias, *, eta: float,
                 eta_used: float, tau: float, spi: bool):
    r"""The interactive figure: NPG at step eta (top) and entropy-regularised NPG at (eta, tau) (bottom).

    t: (n,); npg_gap, npg_bound: (n,) :math:`V^\star(\rho)-V^{(t)}(\rho)` and AKLM's bound;
    soft_gap, soft_bound: (n,) :math:`\|Q^\star_\tau - Q^{(t)}_\tau\|_\infty` and Cen et al.'s bound;
    gap_reg: (n,) the *unregularised* gap of the regularised run; bias: the sandwich level
    :math:`\tau\log|\mathcal A|/(1-\gamma)`. eta_used is the step of the regularised run (eta
    capped at :math:`(1-\gamma)/\tau`); spi: whether eta_used is that cap (soft policy iteration, Cen et al.).
    The panels are stacked, each with its legend below it, so that the curves keep the full
    width on a phone. The y axis reaches 300 so that AKLM's bound is drawn from t = 1 (about
    :math:`1/(1-\gamma)^2` there, 100 at :math:`\gamma = 0.9`).
    """
    # Fixed margins instead of a layout engine: this figure is redrawn for every frame of a slider.
    fig.set_layout_engine("none")
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"left": 0.15, "right": 0.95, "bottom": 0.2,
                                                                "top": 0.93, "hspace": 0.7})
    plot_gap_lines(top, t, {"NPG gap": npg_gap}, {"NPG gap": npg_bound}, ylabel="gap", xlabel="",
                   title=f"NPG, η = {eta:g}", outside="below")
    top.get_legend().set_bbox_to_anchor((0.5, -0.06), transform=top.transAxes)  # no tick labels to clear
    step = rf"step $\eta_C$ = {eta_used:.3g}" + (" (soft PI)" if spi else "")
    bottom.axhline(bias, color="0.3", ls=":", lw=1.2, label=r"$\tau\log|\mathcal{A}|/(1-\gamma)$")
    plot_gap_lines(bottom, t, {"soft-Q gap": soft_gap, "unregularised gap": gap_reg}, {"soft-Q gap": soft_bound},
                   ylabel="gap", title=f"with entropy, τ = {tau:g}\n{step}", outside="below",
                   bound_label="soft-Q bound")
    for ax in (top, bottom):
        ax.set_yticks(10.0 ** np.arange(-12, 2, 4))
        ax.yaxis.set_minor_locator(NullLocator())
        ax.set_ylim(FLOOR / 3, 300)  # AKLM's bound at t = 1 is about 1/(1-γ)², 100 at γ = 0.9
