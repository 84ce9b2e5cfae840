r"""Figures of sampled policy gradients: estimates against the exact gradient, the :math:`1/\sqrt n`
error rate, the spread of single-episode estimates, the truncation bias, and the small-:math:`\pi`
problem. Colours are the Okabe--Ito palette (colour-blind safe) on the book's white background.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

from .. import _validate as validate

#: Okabe--Ito colours, in the order the figures use them.
BLUE, ORANGE, GREEN, VERMILLION, SKY, PURPLE = "#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7"


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _power_of_ten(value, _position) -> str:
    """A log-axis tick label such as 10⁻³ in plain text: mathtext costs a third of a frame."""
    return "10" + str(round(np.log10(value))).translate(_SUPERSCRIPT) if value > 0 else ""


def _same_length(name: str, a: np.ndarray, n: int) -> None:
    if a.shape != (n,):
        raise ValueError(f"{name}: expected shape ({n},) like the first argument, got {a.shape}")


def plot_estimates(ax: Axes, exact, mean, stderr, *, labels=None, title: str | None = None) -> None:
    r"""Each coordinate's sampled mean with a :math:`\pm 2` standard-error bar, beside its exact value.

    exact, mean, stderr: arrays of one shape (e.g. (S, A)), flattened in C order; labels: optional
    sequence of one tick label per coordinate (default ``"s,a"`` for an (S, A) array, else indices).
    """
    exact_a = validate.array(exact, "exact")
    mean_a = validate.array(mean, "mean", shape=exact_a.shape)
    se = validate.array(stderr, "stderr", shape=exact_a.shape)
    if (se < 0).any():
        raise ValueError("stderr: standard errors must be >= 0")
    k = np.arange(exact_a.size)
    if labels is None:
        labels = ([f"{s},{a}" for s, a in np.ndindex(exact_a.shape)] if exact_a.ndim == 2
                  else [str(i) for i in k])
    if len(labels) != exact_a.size:
        raise ValueError(f"labels: expected {exact_a.size} labels, one per coordinate, got {len(labels)}")
    ax.axhline(0.0, color="0.75", lw=0.8)
    ax.scatter(k, exact_a.ravel(), marker="_", s=260, lw=2.5, color="black", label="exact", zorder=3)
    ax.errorbar(k, mean_a.ravel(), yerr=2 * se.ravel(), fmt="o", ms=4, color=VERMILLION, capsize=3,
                label="sampled mean ± 2 s.e.", zorder=4)
    ax.set_xticks(k, labels)
    ax.set(xlabel="coordinate (s, a)", ylabel=r"$\partial V / \partial \theta_{s,a}$")
    ax.legend(loc="best")
    if title:
        ax.set_title(title)


def plot_error_rate(ax: Axes, n, rms, sigma: float, *, title: str | None = None) -> None:
    r"""The root-mean-square error of a Monte Carlo mean against the number of samples, on log-log
    axes, with the line :math:`\sqrt{\operatorname{tr}\Sigma / n}` that the central limit theorem predicts.

    n: (k,) positive sample sizes; rms: (k,) measured errors; sigma: the predicted scale
    :math:`\sqrt{\operatorname{tr}\Sigma}`, for a gradient estimate of one sample with covariance :math:`\Sigma`.
    """
    n_a = validate.array(n, "n", ndim=1)
    rms_a = validate.array(rms, "rms", ndim=1)
    _same_length("rms", rms_a, n_a.size)
    sigma = validate.positive_real(sigma, "sigma")
    if (n_a <= 0).any() or (rms_a <= 0).any():
        raise ValueError("n, rms: must be positive for a log-log plot")
    grid = np.geomspace(n_a.min(), n_a.max(), 50)
    ax.loglog(grid, sigma / np.sqrt(grid), color=BLUE, lw=1.5, label=r"$\sqrt{\mathrm{tr}\,\Sigma\,/\,n}$ (predicted)")
    ax.loglog(n_a, rms_a, "o", color=VERMILLION, ms=5, label="measured")
    ax.set(xlabel="episodes n", ylabel=r"RMS of $\|\widehat{\nabla V} - \nabla V\|$")
    ax.legend()
    if title:
        ax.set_title(title)


def plot_sample_histograms(ax: Axes, samples: dict, exact: float, *, bins: int = 80,
                           xlabel: str = "single-episode estimate", title: str | None = None) -> None:
    r"""Overlaid histograms (densities) of several samples of one quantity, with its exact mean.

    samples: ``{label: (n,) array}``, at most six; exact: the common mean, drawn as a vertical line.
    The bins are shared, spanning the 0.5% to 99.5% quantiles of all samples together.
    """
    if not isinstance(samples, dict) or not samples or len(samples) > 6:
        raise ValueError("samples: expected a dict of one to six {label: array}")
    arrays = {label: validate.array(x, f"samples[{label!r}]", ndim=1) for label, x in samples.items()}
    bins = validate.positive_int(bins, "bins")
    pooled = np.concatenate(list(arrays.values()))
    edges = np.linspace(*np.quantile(pooled, [0.005, 0.995]), bins + 1)
    for (label, x), colour in zip(arrays.items(), (SKY, VERMILLION, GREEN, PURPLE, ORANGE, BLUE)):
        ax.hist(x, bins=edges, density=True, histtype="stepfilled", alpha=0.45, color=colour,
                ec=colour, label=f"{label}: s.d. {x.std(ddof=1):.2f}")
    ax.axvline(float(exact), color="black", lw=1.5, label=f"exact mean {float(exact):.3f}")
    ax.set(xlabel=xlabel, ylabel="density")
    ax.legend()
    if title:
        ax.set_title(title)


def plot_truncation_bias(ax: Axes, L, bias, bound, gamma: float, *, title: str | None = None) -> None:
    r"""The truncation bias :math:`\max_{s,a}|\partial V - \partial V_L|` and its bound against the
    episode length L, on a log scale, with a line of slope :math:`\gamma^L` through the first bias.

    L: (k,) episode lengths; bias, bound: (k,); gamma: the discount.
    """
    L_a = validate.array(L, "L", ndim=1)
    bias_a = validate.array(bias, "bias", ndim=1)
    bound_a = validate.array(bound, "bound", ndim=1)
    _same_length("bias", bias_a, L_a.size)
    _same_length("bound", bound_a, L_a.size)
    gamma = validate.gamma(gamma)
    ax.semilogy(L_a, bound_a, color=BLUE, lw=2, label="bound")
    ax.semilogy(L_a, bias_a, "o", color=VERMILLION, ms=3.5, label="exact bias")
    ax.semilogy(L_a, bias_a[0] * gamma ** (L_a - L_a[0]), "--", color="0.4", lw=1,
                label=r"$\propto \gamma^L$")
    ax.set(xlabel="episode length L", ylabel=r"$\max_{s,a} |\partial V - \partial V_L|$")
    ax.legend()
    if title:
        ax.set_title(title)


def plot_small_pi(fig: Figure, logits, pi, adv, grad, rel_stderr, current: float) -> None:
    r"""The small-:math:`\pi` problem in two stacked panels, for a sweep over the logit of one good action.

    Top: :math:`\pi(a|s)`, :math:`A(s, a)` and :math:`\partial V/\partial\theta_{s,a}` against the logit
    (log scale), the current logit marked. Bottom: the relative standard error of the sampled
    coordinate against :math:`\pi(a|s)`, with a :math:`\pi^{-1/2}` reference line.

    logits, pi, adv, grad, rel_stderr: (k,) over the sweep (adv and grad positive); current: one of
    ``logits``. The axes are placed with fixed margins and no layout engine: every frame of an
    interactive figure then has the same geometry, and renders three times faster.
    """
    x = validate.array(logits, "logits", ndim=1)
    arrays = {}
    for name, a in (("pi", pi), ("adv", adv), ("grad", grad), ("rel_stderr", rel_stderr)):
        arrays[name] = validate.array(a, name, ndim=1)
        _same_length(name, arrays[name], x.size)
        if (arrays[name] <= 0).any():
            raise ValueError(f"{name}: must be positive (it is drawn on a log scale)")
    hits = np.flatnonzero(np.isclose(x, current))
    if hits.size == 0:
        raise ValueError(f"current: {current!r} is not one of the logits")
    i = int(hits[0])
    p, A_, g, rel = arrays["pi"], arrays["adv"], arrays["grad"], arrays["rel_stderr"]
    fig.set_layout_engine("none")
    gs = fig.add_gridspec(2, 1, height_ratios=[1.25, 1], left=0.19, right=0.95, bottom=0.14, top=0.95,
                          hspace=0.95)
    top, bottom = fig.add_subplot(gs[0]), fig.add_subplot(gs[1])
    for y, colour, label in ((A_, ORANGE, "advantage A(s, a*)"), (p, BLUE, "probability π(a*|s)"),
                             (g, GREEN, "gradient ∂V/∂θ(s, a*)")):
        top.semilogy(x, y, color=colour, lw=2, label=label)
        top.semilogy(x[i], y[i], "o", color=colour, ms=7, mec="black")
    top.axvline(x[i], color="0.5", lw=1, ls=":")
    top.set(xlabel="logit θ(s, a*)", ylim=(min(p.min(), g.min()) / 2, 2.0))
    # Legends under the axes, so that no curve hides behind them.
    top.legend(loc="upper center", bbox_to_anchor=(0.45, -0.2), ncols=1, frameon=False)
    top.set_title(f"π = {p[i]:.4f}, A = {A_[i]:.2f}, ∂V/∂θ = {g[i]:.4f}")
    bottom.loglog(p, rel, "o", color=PURPLE, ms=4, label="sampled, fixed n")
    bottom.loglog(p, rel[0] * np.sqrt(p[0] / p), "--", color="0.4", lw=1,
                  label="∝ 1/√π (small π)")
    bottom.loglog(p[i], rel[i], "o", color=PURPLE, ms=9, mec="black")
    bottom.set(xlabel="π(a*|s)", ylabel="relative standard error")
    bottom.legend(loc="upper center", bbox_to_anchor=(0.45, -0.24), ncols=2, frameon=False,
                  columnspacing=1.0, handlelength=1.6)
    bottom.set_title(f"relative standard error = {rel[i]:.3f}")
    # Plain-text labels and no minor ticks: mathtext and minor ticks cost most of a frame, and a
    # live slider redraws the whole figure on every move.
    for ax in (top, bottom):
        for axis in ((ax.xaxis, ax.yaxis) if ax is bottom else (ax.yaxis,)):
            axis.set_major_locator(LogLocator(base=10.0, numticks=6))
            axis.set_major_formatter(FuncFormatter(_power_of_ten))
            axis.set_minor_locator(NullLocator())
