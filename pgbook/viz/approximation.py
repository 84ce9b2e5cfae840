r"""Figures for the approximation chapter: Q-NPG runs as the exploratory distribution moves."""

from __future__ import annotations

import numpy as np

from .style import PALETTE


def draw_coverage(fig, lams, curves, V_star, kappas, biases, lam, labels):
    r"""Q-NPG learning curves for several feature maps, at one exploratory mixture ``lam``.

    Parameters
    ----------
    fig : matplotlib Figure
    lams : array_like, shape (L,)
        The mixtures :math:`\lambda` precomputed (``lam`` must be one of them).
    curves : array_like, shape (F, L, T+1)
        :math:`V^{(t)}(\rho)` for each feature map and mixture.
    V_star : float
        The optimal value :math:`V^\star(\rho)`.
    kappas, biases : array_like, shape (F, L)
        The relative condition number and the transfer error of each run.
    lam : float
        The mixture to draw, one of ``lams``.
    labels : sequence of str, length F
        The feature maps' names.
    """
    lams = np.asarray(lams, dtype=float)
    curves = [np.asarray(c, dtype=float) for c in curves]
    if not len(labels) == len(curves) == len(kappas) == len(biases):
        raise ValueError("labels: need one label, curve set, kappa row and bias row per feature map")
    if any(len(c) != lams.size for c in curves):
        raise ValueError(f"curves: need one curve per mixture in lams ({lams.size})")
    matches = np.flatnonzero(np.isclose(lams, lam, rtol=0, atol=1e-12))
    if matches.size == 0:
        raise ValueError(f"lam: must be one of lams, got {lam!r}")
    i = int(matches[0])
    ax = fig.add_subplot(1, 1, 1)
    for f, label in enumerate(labels):
        kappa = kappas[f][i]
        k = "∞" if not np.isfinite(kappa) else f"{kappa:.2g}"
        ax.plot(curves[f][i], color=list(PALETTE.values())[f], lw=2,
                label=f"{label}: κ = {k}, ε_bias = {biases[f][i]:.2f}")
    ax.axhline(V_star, color="0.3", ls="--", lw=1.2, label="V*(ρ)")
    ax.set(xlabel="iteration t", ylabel="V(ρ) of Q-NPG iterate", ylim=(0, 1.05 * V_star),
           title=f"ν puts mass λ = {lams[i]:.3g} on the cells π* visits")
    ax.legend(loc="lower right", fontsize=10)
