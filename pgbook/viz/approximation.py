r"""Figures for the approximation chapter: Q-NPG runs as the exploratory distribution moves."""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import NullFormatter

from .style import PALETTE


def draw_coverage(fig, omegas, curves, V_star, kappas, biases, omega, labels, *, stat_terms=None, dashed=()):
    r"""Q-NPG learning curves for several feature maps, at one exploratory mixture ``omega``.

    Parameters
    ----------
    fig : matplotlib Figure
    omegas : array_like, shape (L,)
        The mixtures :math:`\omega` precomputed (``omega`` must be one of them).
    curves : array_like, shape (F, L, T+1)
        :math:`V^{(t)}(\rho)` for each feature map and mixture.
    V_star : float
        The optimal value :math:`V^\star(\rho)`.
    kappas, biases : array_like, shape (F, L)
        The relative condition number and the transfer error of each run.
    omega : float
        The mixture to draw, one of ``omegas``.
    labels : sequence of str, length F
        The feature maps' names.
    stat_terms : sequence of length F, optional
        For each feature map ``None``, or the products :math:`\kappa\,\epsilon_{\mathrm{stat}}` of its
        runs, shape (L,): the legend then names that product instead of the transfer error.
    dashed : collection of int, optional
        The feature maps (indices) drawn dashed.
    """
    omegas = np.asarray(omegas, dtype=float)
    curves = [np.asarray(c, dtype=float) for c in curves]
    stat_terms = [None] * len(curves) if stat_terms is None else list(stat_terms)
    if not len(labels) == len(curves) == len(kappas) == len(biases) == len(stat_terms):
        raise ValueError("labels: need one label, curve set, kappa row, bias row and stat_terms entry per feature map")
    if any(len(c) != omegas.size for c in curves):
        raise ValueError(f"curves: need one curve per mixture in omegas ({omegas.size})")
    matches = np.flatnonzero(np.isclose(omegas, omega, rtol=0, atol=1e-12))
    if matches.size == 0:
        raise ValueError(f"omega: must be one of omegas, got {omega!r}")
    i = int(matches[0])
    ax = fig.add_subplot(1, 1, 1)
    for f, label in enumerate(labels):
        kappa = kappas[f][i]
        k = r"$\infty$" if not np.isfinite(kappa) else f"{kappa:.2g}"
        if stat_terms[f] is None:
            extra = rf"$\epsilon_{{\mathrm{{bias}}}}$ = {biases[f][i]:.2f}"
        else:
            product = stat_terms[f][i]
            extra = r"$\kappa\,\epsilon_{\mathrm{stat}}$ = " + (r"$\infty$" if not np.isfinite(product) else f"{product:.2g}")
        ax.plot(curves[f][i], color=list(PALETTE.values())[f], lw=1.5 if f in dashed else 2,
                ls="--" if f in dashed else "-", label=rf"{label}: $\kappa$ = {k}, {extra}")
    ax.axhline(V_star, color="0.3", ls="--", lw=1.2, label=r"$V^\star(\rho)$")
    ax.set(xlabel="iteration $t$", ylabel=r"$V^{(t)}(\rho)$ of Q-NPG", ylim=(0, 1.05 * V_star),
           title=rf"$\nu$ puts mass $\omega$ = {omegas[i]:.3g} on the cells $\pi^\star$ visits")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), frameon=False)


def plot_rate(ax, x, measured, reference, *, slope, label, reference_label, xlabel, ylabel, title=None):
    r"""A rate on log-log axes: measured points, the fitted slope in their label, and a reference line.

    Parameters
    ----------
    ax : matplotlib Axes
    x, measured, reference : array_like, shape (n,)
        Positive; ``reference`` is the theorem's term or the predicted curve at the same ``x``.
    slope : float
        The fitted log-log slope of ``measured`` (:func:`pgbook.checks.loglog_slope`), shown in the legend.
    label, reference_label : str
        Legend entries; ``label`` gets ", fitted slope <slope>" appended.
    xlabel, ylabel : str
    title : str, optional
    """
    x, measured, reference = (np.asarray(v, dtype=float) for v in (x, measured, reference))
    if not x.shape == measured.shape == reference.shape or x.ndim != 1:
        raise ValueError(f"x, measured, reference: need one value per x, got shapes {x.shape}, "
                         f"{measured.shape} and {reference.shape}")
    if (x <= 0).any() or (measured <= 0).any() or (reference <= 0).any():
        raise ValueError("x, measured, reference: a log-log plot needs positive numbers")
    ax.loglog(x, reference, color=PALETTE["blue"], lw=2, label=reference_label)
    ax.loglog(x, measured, "o", color=PALETTE["vermillion"], ms=7, label=f"{label}, fitted slope {slope:.2f}")
    # the measured x values as the ticks, written out (log axes would label only the powers of ten);
    # in thousands once they reach five digits, which side by side would run into each other
    ax.set_xticks(x, [f"{v / 1000:g}k" if x.max() >= 10_000 else f"{v:,.0f}" for v in x])
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set(xlabel=xlabel, ylabel=ylabel)
    if title:
        ax.set_title(title)
    # Headroom above the data (two fifths of the axis, in decades) keeps the legend off the points.
    low, high = min(measured.min(), reference.min()), max(measured.max(), reference.max())
    ax.set_ylim(low / 1.5, high * (high / low) ** 0.7)
    ax.legend(loc="upper right")
