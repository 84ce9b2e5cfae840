r"""The discount's weights :math:`\gamma^t` and the effective horizon :math:`1/(1-\gamma)`."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from .. import _validate as validate
from .style import PALETTE


def plot_discount_weights(ax: Axes, gamma: float, steps: int = 100) -> None:
    r"""Bars of the weights :math:`\gamma^t`, :math:`t = 0, \dots,` ``steps``, with the effective horizon.

    The bars of the first :math:`H = 1/(1-\gamma)` steps are coloured, the rest grey; a vertical
    line marks :math:`H`, the sum of all the weights (Kakade 2020, the tutorial's "effective
    horizon"). A legend above the axes, left-aligned and off the bars, names the three and gives
    :math:`H`; the axes keep their limits for every gamma, so that frames of a slider over gamma
    line up. gamma: in [0, 1); steps: the last step shown.
    """
    gamma = validate.gamma(gamma)
    steps = validate.positive_int(steps, "steps")
    H = 1 / (1 - gamma)
    t = np.arange(steps + 1)
    first = int(np.sum(t < H * (1 - 1e-12)))  # 1/(1 - 0.9) is 10.000000000000002 in floats
    edges = np.arange(steps + 2) - 0.5  # one bar of width one per step, drawn as two areas
    ax.stairs(gamma ** t[:first], edges[: first + 1], fill=True, color=PALETTE["blue"], lw=0,
              label="weights of the first 1/(1−γ) steps")
    ax.stairs(gamma ** t[first:], edges[first:], fill=True, color="#b0b0b0", lw=0, label="weights of later steps")
    ax.axvline(H, color=PALETTE["vermillion"], lw=2, label=f"effective horizon 1/(1−γ) = {H:.1f} steps")
    ax.set(xlim=(-1, steps + 1), ylim=(0, 1.05), xlabel="step t", ylabel="weight γᵗ")
    ax.legend(loc="lower left", bbox_to_anchor=(-0.02, 1.0), frameon=False, borderaxespad=0.2, handlelength=1.5)
