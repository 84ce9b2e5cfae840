r"""Figures of the natural policy gradient chapter: the Fisher matrix, the soft-PI step as the step size
grows, and the surrogates of TRPO and PPO along a line of parameters.

Multi-panel figures stack their panels, so that they stay readable on a phone
(:mod:`pgbook.viz.style`)."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import FixedFormatter, FixedLocator, MaxNLocator, NullLocator

from .. import _validate as validate
from ..envs import GridMDP
from ..theory.surrogates import total_variation
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
        ax.set_title(title)
    return image


def _block(corner: float, size: int) -> Rectangle:
    return Rectangle((corner, corner), size, size, fill=False, ec=GREY, lw=0.6)


def draw_greedy_limit(fig: Figure, mdp: GridMDP, etas, pis, V_rho, pi_greedy, V_greedy: float, eta: float) -> None:
    r"""The NPG (multiplicative-weights) step at step size ``eta`` (top), and its value as a function of the step size
    (bottom).

    Top: the gridworld with the next policy :math:`\pi_\eta` as arrows, each cell coloured (and
    labelled) by the probability :math:`\pi_\eta(a_{PI}(s)|s)` of the policy iteration action, with a
    colour bar; its title gives :math:`\max_s D_{TV}(\pi_\eta(\cdot|s), \pi_{PI}(\cdot|s))` over the
    non-terminal states. Bottom: :math:`V^{\pi_\eta}(\rho)` against :math:`\eta` (linear from 0 to the
    smallest positive step size, marked by a dotted line, logarithmic above it) with the
    value of the policy iteration step as a dashed line, and the current :math:`\eta` marked.
    etas: (n,) increasing step sizes starting at 0 (the current policy); pis: (n, S, A) the policies
    :math:`\pi_\eta`; V_rho: (n,); pi_greedy: (S, A) one-hot; eta: one of ``etas`` (a slider may use
    a subset of them: the curve is drawn through all). Terminal cells, where there is no decision,
    are grey like free cells with no value. Sized for a figure about 4.6 x 6.8 inches: the colour bar
    sits under the grid, so that the figure stays narrow.
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
    ax_grid = fig.add_axes((0.03, 0.5, 0.94, 0.44))
    ax_bar = fig.add_axes((0.2, 0.455, 0.6, 0.016))
    ax_v = fig.add_axes((0.16, 0.07, 0.8, 0.27))
    # Terminal cells have no decision: plot_grid draws them grey, unlabelled (a 0 would read as a wrong step).
    greedy_prob = np.einsum("sa,sa->s", pis[k], pi_greedy)
    image = plot_grid(ax_grid, mdp, greedy_prob, pis[k], vmin=0.0, vmax=1.0, cmap="cividis", annotate=False)
    for s, (i, j) in enumerate(mdp.cells):
        if not mdp.terminal[s]:
            ax_grid.text(j, i + 0.3, f"{greedy_prob[s]:.2f}", ha="center", va="center",
                         color="black" if greedy_prob[s] > 0.6 else "white")
    fig.colorbar(image, cax=ax_bar, orientation="horizontal", label="P(policy iteration's action)")
    tv = total_variation(pis[k], pi_greedy)[~mdp.terminal].max()
    ax_grid.set_title(f"η = {eta:g}: at most {tv:.2f} from the PI step")
    # Plain-text labels and no minor ticks: mathtext and log-axis minor ticks dominated the frame time.
    ax_v.plot(etas, V_rho, color=BLUE, lw=2, label="after the NPG step")
    ax_v.axhline(V_greedy, color=VERMILION, ls="--", lw=1.5, label="after the PI step")
    ax_v.axhline(V_rho[0], color=GREY, ls=":", lw=1.5, label="now")
    ax_v.plot([etas[k]], [V_rho[k]], "o", color=ORANGE, ms=9, mec="black", zorder=3, clip_on=False)
    # eta = 0 has no place on a log axis: the axis is linear from 0 to the smallest positive step size,
    # logarithmic above it, and says so.
    linear_to = etas[1]
    ax_v.set_xscale("symlog", linthresh=linear_to, linscale=0.5)
    decades = 10.0 ** np.arange(np.ceil(np.log10(linear_to)), np.floor(np.log10(etas[-1])) + 1, 2)
    ticks = np.r_[0.0, decades]
    ax_v.xaxis.set_major_locator(FixedLocator(ticks))
    ax_v.xaxis.set_major_formatter(FixedFormatter([f"{v:g}" for v in ticks]))
    ax_v.xaxis.set_minor_locator(NullLocator())
    ax_v.set_xlim(0.0, etas[-1])
    ax_v.axvline(linear_to, color=GREY, lw=0.8, ls=(0, (1, 2)))
    ax_v.set(xlabel=f"step size η (linear from 0 to {linear_to:g}, log above)", ylabel="V(ρ)")
    ax_v.legend(loc="lower left", bbox_to_anchor=(0.45, 0.1), frameon=False)  # where the curve is not
    ax_v.grid(alpha=0.3)


def plot_line_search(fig: Figure, t, curves: dict, t_near, near: dict, *,
                     xlabel: str = "step t along the direction", ylabel: str = "V(ρ) and its models",
                     near_ylim=None) -> None:
    r"""Several objectives along one line of parameters :math:`\theta_{\text{old}} + t\,\Delta`, in two
    stacked panels: the whole line (top), and a close-up around :math:`t = 0` (bottom).

    t: (n,); curves: label -> (n,) values along the whole line; t_near: (m,) the close-up's points;
    near: label -> (m,) values there, with at least the labels of ``curves`` (a curve too steep for
    the whole line, such as TRPO's lower bound, is given only here). Curves are drawn in the order
    of ``near`` with the chapter's colour-blind-safe palette (the first solid and thick: the true
    value); a dotted vertical line marks t = 0. The legend, on the top panel, names every curve of
    ``near``. near_ylim: (low, high) of the close-up, to keep a steep curve from flattening the others.
    """
    t = validate.array(t, "t", ndim=1)
    t_near = validate.array(t_near, "t_near", ndim=1)
    if not curves:
        raise ValueError("curves: needs at least one curve")
    missing = set(curves) - set(near)
    if missing:
        raise ValueError(f"near: lacks the curves {sorted(missing)} of curves")
    styles = [(BLUE, "-", 2.4), (ORANGE, "--", 1.8), (GREEN, "-.", 1.8), (VERMILION, ":", 2.2), (PURPLE, "-", 1.2)]
    if len(near) > len(styles):
        raise ValueError(f"near: at most {len(styles)} curves, got {len(near)}")
    style = dict(zip(near, styles))
    whole, close = fig.subplots(2, 1)
    for ax, x, ys in ((whole, t, curves), (close, t_near, near)):
        for label, y in ys.items():
            colour, ls, lw = style[label]
            ax.plot(x, validate.array(y, f"{'curves' if ax is whole else 'near'}[{label!r}]", shape=x.shape),
                    color=colour, ls=ls, lw=lw, label=label)
        ax.axvline(0.0, color=GREY, lw=0.8, ls=":")
        ax.grid(alpha=0.3)
        ax.set(xlabel=xlabel, ylabel=ylabel)
    if near_ylim is not None:
        close.set_ylim(*validate.array(near_ylim, "near_ylim", shape=(2,)))
    close.xaxis.set_major_locator(MaxNLocator(5))  # its short steps have long tick labels
    whole.set_title("along the whole line")
    close.set_title("close to u = 0")
    whole.legend(handles=close.lines[:len(near)], loc="upper left", frameon=False, fontsize="small")
