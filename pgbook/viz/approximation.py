r"""Figures for the approximation chapter: Q-NPG runs as the exploratory distribution moves."""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import NullFormatter

from .style import PALETTE


def draw_coverage(fig, omegas, curves, V_star, kappas, biases, omega, labels):
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
    """
    omegas = np.asarray(omegas, dtype=float)
    curves = [np.asarray(c, dtype=float) for c in curves]
    if not len(labels) == len(curves) == len(kappas) == len(biases):
        raise ValueError("labels: need one label, curve set, kappa row and bias row per feature map")
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
        ax.plot(curves[f][i], color=list(PALETTE.values())[f], lw=2,
                label=rf"{label}: $\kappa$ = {k}, $\epsilon_{{\mathrm{{bias}}}}$ = {biases[f][i]:.2f}")
    ax.axhline(V_star, color="0.3", ls="--", lw=1.2, label=r"$V^\star(\rho)$")
    ax.set(xlabel="iteration $t$", ylabel=r"$V^{(t)}(\rho)$ of Q-NPG", ylim=(0, 1.05 * V_star),
           title=rf"$\nu$ puts mass $\omega$ = {omegas[i]:.3g} on the cells left of the goal")
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


def plot_stat_grid(ax, Ns, omegas, gaps, kappa_eps, *, ceiling):
    r"""Sampled Q-NPG's final gap against :math:`\kappa\,\epsilon_{\mathrm{stat}}`, one line per coverage.

    Each line joins the sample sizes of one :math:`\omega`; if the gap were a function of
    :math:`\kappa\,\epsilon_{\mathrm{stat}}` alone (as the statistical term of AKLM Theorem 6.1 is),
    the lines would lie on one curve.

    Parameters
    ----------
    ax : matplotlib Axes
    Ns : array_like, shape (n,)
        The pairs per fit :math:`N`, named in the title in the order the points run (smaller
        :math:`\kappa\,\epsilon_{\mathrm{stat}}`, i.e. larger N, to the left).
    omegas : array_like, shape (m,)
        The coverages :math:`\omega`, one line each.
    gaps, kappa_eps : array_like, shape (m, n)
        The mean final gap :math:`V^\star(\rho) - V^{(T)}(\rho)` and the mean :math:`\kappa\,\epsilon_{\mathrm{stat}}`.
    ceiling : float
        The uniform policy's gap, where every run starts (drawn dashed).
    """
    Ns, omegas = np.asarray(Ns), np.asarray(omegas, dtype=float)
    gaps, kappa_eps = np.asarray(gaps, dtype=float), np.asarray(kappa_eps, dtype=float)
    if gaps.shape != (omegas.size, Ns.size) or kappa_eps.shape != gaps.shape:
        raise ValueError(f"gaps, kappa_eps: need shape ({omegas.size}, {Ns.size}), one row per omega, "
                         f"got {gaps.shape} and {kappa_eps.shape}")
    if (kappa_eps <= 0).any():
        raise ValueError("kappa_eps: a log axis needs positive numbers")
    colours, markers = list(PALETTE.values()), "osD^v<>"
    for i, omega in enumerate(omegas):
        ax.plot(kappa_eps[i], gaps[i], marker=markers[i % len(markers)], color=colours[i % len(colours)],
                label=rf"$\omega$ = {omega:.3g}")
    ax.axhline(ceiling, color="0.3", ls="--", lw=1.2, label="uniform policy's gap")
    ax.set_xscale("log")
    # on every line the points run from the largest N (left) to the smallest (right)
    order = ", ".join(str(N) for N in sorted(Ns, reverse=True))
    ax.set(xlabel=r"$\kappa\,\epsilon_{\mathrm{stat}}$ (mean over seeds)",
           ylabel=r"final gap $V^\star(\rho) - V^{(T)}(\rho)$", ylim=(gaps.min() - 0.03, ceiling + 0.02),
           title=f"each line, left to right: N = {order}")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, frameon=False)


def plot_curvature(axes, t, curvature, theta_norm, beta_start):
    r"""A network's curvature and parameter norm along an NPG run, with the :math:`\beta` read off its start.

    Parameters
    ----------
    axes : pair of matplotlib Axes
        Top: the largest Hessian norm of :math:`\log\pi_\theta` over the pairs; bottom: :math:`\|\theta^{(t)}\|`.
    t : array_like, shape (n,)
        The iterations measured.
    curvature, theta_norm : array_like, shape (n,)
        :math:`\max_{s,a}\|\nabla^2_\theta\log\pi_{\theta^{(t)}}(a \mid s)\|` and :math:`\|\theta^{(t)}\|` there.
    beta_start : float
        The curvature at the start, drawn as the constant a :math:`\beta` read off it would assume.
    """
    t, curvature, theta_norm = (np.asarray(v, dtype=float) for v in (t, curvature, theta_norm))
    if not t.shape == curvature.shape == theta_norm.shape or t.ndim != 1:
        raise ValueError(f"t, curvature, theta_norm: need one value per t, got shapes {t.shape}, "
                         f"{curvature.shape} and {theta_norm.shape}")
    top, bottom = axes
    top.plot(t, curvature, "o-", color=PALETTE["vermillion"], label=r"largest $\|\nabla^2_\theta\log\pi_\theta\|$")
    top.axhline(beta_start, color=PALETTE["blue"], ls="--", lw=1.5, label=rf"$\beta$ read off the start, {beta_start:.1f}")
    top.set(ylabel="curvature", ylim=(0, 1.15 * curvature.max()))
    top.legend(loc="upper left")
    bottom.plot(t, theta_norm, "s-", color=PALETTE["green"])
    bottom.set(xlabel="NPG iteration $t$", ylabel=r"$\|\theta^{(t)}\|$", ylim=(0, 1.15 * theta_norm.max()))


def plot_corridor(ax, ps, values, *, p_star, tabular, marked=()):
    r"""The short corridor's value :math:`v_p(S_1)` of the policy family that plays *right* with probability p.

    Parameters
    ----------
    ax : matplotlib Axes
    ps, values : array_like, shape (n,)
        Probabilities in (0, 1) and :math:`v_p(S_1)` there (Sutton and Barto, Example 13.1).
    p_star : float
        The best p, marked with its value (interpolated from ``ps``, ``values`` is not assumed).
    tabular : float
        The optimum a tabular policy reaches, drawn as a line.
    marked : sequence of (p, v, label), optional
        Further policies to mark, e.g. the ε-greedy ones.
    """
    ps, values = np.asarray(ps, dtype=float), np.asarray(values, dtype=float)
    if ps.shape != values.shape or ps.ndim != 1:
        raise ValueError(f"ps, values: need one value per p, got shapes {ps.shape} and {values.shape}")
    if ((ps <= 0) | (ps >= 1)).any():
        raise ValueError("ps: need probabilities strictly between 0 and 1 (at 0 and 1 the value is -inf)")
    ax.plot(ps, values, color=PALETTE["blue"], label=r"$v_p(S_1)$")
    ax.axhline(tabular, color="0.3", ls="--", lw=1.2, label=f"tabular optimum, {tabular:g}")
    v_best = float(np.interp(p_star, ps, values))
    ax.plot([p_star], [v_best], "o", color=PALETTE["vermillion"], ms=8,
            label=rf"best $p^\star$ = {p_star:.3f}: {v_best:.2f}")
    for (p, v, label), marker in zip(marked, "sD^v"):
        ax.plot([p], [v], marker, color=PALETTE["green"], ms=7)
        ax.annotate(label, (p, v), textcoords="offset points", xytext=(-10, 0) if p > 0.5 else (10, 0),
                    ha="right" if p > 0.5 else "left", va="center", fontsize=11)
    ax.set(xlabel=r"probability $p$ of playing right", ylabel=r"$v_p(S_1)$ (steps, negated)",
           xlim=(0, 1), ylim=(values.min() * 1.05, 0))
    # below the axes, like the chapter's other figures: inside, it covers a marked policy's label
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), frameon=False)
