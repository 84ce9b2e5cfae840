r"""Figures of the natural policy gradient chapter: the Fisher matrix, the soft-PI step as the step size
grows, and the surrogates of TRPO and PPO along a line of parameters."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import FixedFormatter, FixedLocator, NullLocator

from .. import _validate as validate
from ..envs import GridMDP
from .grid import plot_grid

# Okabe-Ito colours: distinguishable with every common form of colour blindness.
BLUE, ORANGE, GREEN, VERMILION, PURPLE, GREY = "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "0.45"


def plot_fisher(ax: Axes, F, A: int, title: str | None = None):
    r"""Draw a Fisher matrix of a tabular softmax policy, with a frame around each state's block.

    F: (S*A, S*A) from :func:`pgbook.fisher`; A: the number of actions. Colours are symmetric
    around 0 (blue negative, red positive). Returns the image (for a colour bar).
    """
    F = validate.array(F, "F", ndim=2)
    A = validate.positive_int(A, "A")
    if F.shape[0] != F.shape[1] or F.shape[0] % A:
        raise ValueError(f"F: expected a square (S*A, S*A) matrix for A = {A}, got shape {F.shape}")
    top = np.abs(F).max() or 1.0
    image = ax.imshow(F, cmap="RdBu_r", vmin=-top, vmax=top, interpolation="nearest")
    for k in range(0, F.shape[0], A):
        ax.add_patch(_block(k - 0.5, A))
    ax.set(xlabel="parameter (s, a)", ylabel="parameter (s, a)")
    if title:
        ax.set_title(title, fontsize=10)
    return image


def _block(corner: float, size: int) -> Rectangle:
    return Rectangle((corner, corner), size, size, fill=False, ec=GREY, lw=0.6)


def draw_greedy_limit(fig: Figure, mdp: GridMDP, etas, pis, V_rho, pi_greedy, V_greedy: float, eta: float) -> None:
    r"""The soft policy iteration step at step size ``eta``, beside its value as a function of the step size.

    The title gives :math:`\max_s D_{TV}(\pi_\eta(\cdot|s), \pi_{PI}(\cdot|s))` over the non-terminal states.
    Left: the gridworld with the next policy :math:`\pi_\eta` as arrows, each cell coloured by the
    probability :math:`\pi_\eta(a_{PI}(s)|s)` of the greedy (policy iteration) action. Right:
    :math:`V^{\pi_\eta}(\rho)` against :math:`\eta` (log scale) with the value of the policy iteration
    step as a dashed line, and the current :math:`\eta` marked.
    etas: (n,) increasing step sizes starting at 0 (the current policy); pis: (n, S, A) the policies
    :math:`\pi_\eta`; V_rho: (n,); pi_greedy: (S, A) one-hot; eta: one of ``etas`` (a slider may use
    a subset of them: the curve is drawn through all). Sized for a figure about 7.5 x 3.4 inches.
    """
    etas = validate.array(etas, "etas", ndim=1)
    if etas.size < 2 or etas[0] != 0.0 or (np.diff(etas) <= 0).any():
        raise ValueError("etas: expected increasing step sizes starting at 0 (the current policy)")
    pis = validate.array(pis, "pis", shape=(etas.size, mdp.S, mdp.A))
    V_rho = validate.array(V_rho, "V_rho", shape=(etas.size,))
    pi_greedy = validate.policy(mdp, pi_greedy, "pi_greedy")
    hits = np.flatnonzero(np.isclose(etas, eta, rtol=1e-12, atol=0.0))
    if hits.size == 0:
        raise ValueError(f"eta: {eta!r} is not one of the etas")
    k = int(hits[0])
    # Fixed margins instead of a layout engine: this figure is redrawn for every frame of a slider.
    fig.set_layout_engine("none")
    ax_grid, ax_v = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.2], "left": 0.01, "right": 0.98,
                                                    "bottom": 0.15, "top": 0.9, "wspace": 0.2})
    # Terminal cells have no decision: leave them dark and unlabelled.
    greedy_prob = np.where(mdp.terminal, 0.0, np.einsum("sa,sa->s", pis[k], pi_greedy))
    plot_grid(ax_grid, mdp, greedy_prob, pis[k], vmin=0.0, vmax=1.0, cmap="cividis", annotate=False,
              title="colour = P(greedy action)")
    for s, (i, j) in enumerate(mdp.cells):
        if not mdp.terminal[s]:
            ax_grid.text(j, i + 0.32, f"{greedy_prob[s]:.2f}", ha="center", va="center", fontsize=9,
                         color="black" if greedy_prob[s] > 0.6 else "white")
    x = etas.copy()
    x[0] = etas[1] / 3  # eta = 0 cannot sit on a log axis: draw it at the left edge
    # Plain-text labels and no minor ticks: mathtext and log-axis minor ticks dominated the frame time.
    ax_v.plot(x, V_rho, color=BLUE, lw=2, label="after the soft PI step")
    ax_v.axhline(V_greedy, color=VERMILION, ls="--", lw=1.5, label="after the policy iteration step")
    ax_v.axhline(V_rho[0], color=GREY, ls=":", lw=1.5, label="current policy")
    ax_v.plot([x[k]], [V_rho[k]], "o", color=ORANGE, ms=9, mec="black", zorder=3)
    ax_v.set_xscale("log")
    decades = 10.0 ** np.arange(np.ceil(np.log10(x[0])), np.floor(np.log10(x[-1])) + 1)
    ax_v.xaxis.set_major_locator(FixedLocator(decades))
    ax_v.xaxis.set_major_formatter(FixedFormatter([f"{v:g}" for v in decades]))
    ax_v.xaxis.set_minor_locator(NullLocator())
    ax_v.set(xlabel="step size η (log scale; η = 0 at the left edge)", ylabel="V(ρ)")
    tv = 0.5 * np.abs(pis[k] - pi_greedy).sum(axis=1)[~mdp.terminal].max()
    ax_v.set_title(f"η = {eta:.3g}: largest distance to the PI step {tv:.2f}", fontsize=10)
    ax_v.legend(loc="lower right", fontsize=8)
    ax_v.grid(alpha=0.3)


def plot_line_search(ax: Axes, t, curves: dict, *, xlabel: str = "step t along the direction",
                     title: str | None = None) -> None:
    r"""Plot several objectives along one line of parameters :math:`\theta_{\text{old}} + t\,\Delta`.

    t: (n,); curves: label -> (n,) values, drawn in order with the chapter's colour-blind-safe palette
    (the first solid and thick: the true value). A dotted vertical line marks t = 0.
    """
    t = validate.array(t, "t", ndim=1)
    if not curves:
        raise ValueError("curves: needs at least one curve")
    styles = [(BLUE, "-", 2.4), (ORANGE, "--", 1.8), (GREEN, "-.", 1.8), (VERMILION, ":", 2.2), (PURPLE, "-", 1.2)]
    if len(curves) > len(styles):
        raise ValueError(f"curves: at most {len(styles)} curves, got {len(curves)}")
    for (label, y), (colour, ls, lw) in zip(curves.items(), styles):
        ax.plot(t, validate.array(y, f"curves[{label!r}]", shape=t.shape), color=colour, ls=ls, lw=lw, label=label)
    ax.axvline(0.0, color=GREY, lw=0.8, ls=":")
    ax.set(xlabel=xlabel, ylabel=r"$V(\rho)$ and its models")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
