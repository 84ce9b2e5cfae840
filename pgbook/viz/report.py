r"""The figures of :func:`pgbook.explain`'s report: PG against NPG, and where the two policies spend their time.

Each figure is drawn on its own matplotlib ``Figure`` (no pyplot, so nothing is shown twice in a
notebook) with the book's style, white background and Okabe–Ito colours, and returned as a PNG at
twice its displayed size.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import NullLocator
from PIL import Image

from ..envs import GridMDP
from .style import FIGURE_WIDTH, PALETTE
from .visitation import mark_legend_height, plot_visitation

#: PNG pixels per displayed pixel.
PIXEL_RATIO = 2
PG_COLOUR, NPG_COLOUR = PALETTE["orange"], PALETTE["blue"]
#: Width in inches of the runs' figure and of a squarish grid's visitation figure. The report's figures
#: have text of 11 pt or more and are at most 5.4 in wide (:data:`.style.FIGURE_WIDTH` at most), so
#: that in a cell tagged ``fit-width`` they shrink to a phone's column with their text still legible.
RUNS_WIDTH = 4.4
#: Height in inches of one visitation panel at most: two of them, stacked, stay less than a screen tall.
PANEL_HEIGHT = 2.4


def report_figures(report) -> list[tuple[bytes, tuple[int, int], str, str]]:
    """The report's figures: ``(png, (width, height) shown, alt text, caption)`` for each."""
    out = []
    if report.pg is not None:
        # Narrow enough to show whole on a phone, the legend in one column below. Axes placed by hand:
        # constrained layout would measure every log tick label twice.
        fig = Figure(figsize=(RUNS_WIDTH, 4.6), dpi=100, facecolor="white", layout="none")
        plot_runs(fig.add_axes((0.15, 0.36, 0.82, 0.61)), report)
        plateau = (" Shaded: PG's plateau, until it has closed a tenth of the gap."
                   if report.verdict == "plateau" else "")
        out.append((*_png(fig), "PG and NPG: the gap $V^*(ρ) - V(ρ)$ against the iteration",
                    "The gap $V^*(ρ) - V^{(t)}(ρ)$ of exact softmax PG and NPG from the uniform policy, same step "
                    f"$η$, both axes logarithmic.{plateau}"))
    fig = visitation_figure(report)
    discounted = report.mdp.gamma < 1.0
    what = "discounted visitation" if discounted else "share of the expected visits"
    where = ("on a logarithmic colour scale, so that the cells each policy rarely reaches stay apart; white: "
             "never visited" if isinstance(report.mdp, GridMDP) else "on a logarithmic axis")
    out.append((*_png(fig), f"The {what} of the optimal policy and of the uniform policy",
                f"Where each policy spends its time ({what}, {where}): the optimal policy from $ρ$, the uniform "
                "policy from $μ$. "
                + ("Terminal cells count: an absorbing state keeps collecting its share of the discounted time "
                   "once it is reached, so the goal holds most of a policy's visitation that finds it. "
                   if discounted else "Terminal cells are not counted: an episode ends there. ")
                + "Outlined: the states that hold most of the gap."))
    return out


def plot_runs(ax, report, t_max=None) -> None:
    """The gaps of PG and NPG against the iteration (log-log), PG's plateau shaded; ``t_max``: the
    right end of the iteration axis (default: the longer run's), to keep it fixed across frames."""
    first = float(report.gap_pg[0])
    floor, top = 1e-4 * first, 3.0 * first
    for name, gap, colour in (("PG", report.gap_pg, PG_COLOUR), ("NPG", report.gap_npg, NPG_COLOUR)):
        t = np.arange(1, gap.size + 1)
        ax.loglog(t, np.maximum(gap, floor / 10), color=colour, lw=2, label=f"{name}, η = {report.eta:g}")
    for when, marker, label in ((report.first_tenth["PG"], "o", "PG has closed 10% of the gap"),
                                (report.nine_tenths["PG"], "s", "... and 90%")):
        if when is not None:
            ax.plot(when + 1, max(report.gap_pg[when], floor), marker, color=PG_COLOUR, ms=8, mec="black",
                    mew=0.8, label=label)
    if report.verdict == "plateau":
        end = report.first_tenth["PG"] + 1
        ax.axvspan(1, end, color=PG_COLOUR, alpha=0.15, lw=0)
        ax.text(1.0, floor * 2, f"PG's plateau:\n{end - 1} iterations", fontsize=11, ha="left", va="bottom")
    ax.set_ylim(floor, top)
    ax.set_xlim(0.8, t_max)
    ax.xaxis.set_minor_locator(NullLocator())  # minor log ticks: clutter, and most of the drawing time
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set(xlabel="iteration t + 1", ylabel="gap V*(ρ) − V⁽ᵗ⁾(ρ)")
    ax.legend(loc="upper left", bbox_to_anchor=(-0.15, -0.15), ncol=1, fontsize=11, frameon=False)


def plot_sweep(fig: Figure, reports, value, name: str) -> None:
    """Reports of one MDP family along a parameter, at ``value``: the runs above, the counts below.

    fig: a figure 3.5 inches wide (whole on a 390 px phone) and about 7.9 tall (its layout engine is
    switched off: the axes are placed by hand, in inches from its top and bottom);
    reports: ``{parameter value: Report}`` from :func:`pgbook.explain`, every one with PG and NPG runs;
    value: the key shown; name: the parameter's name as the reader sees it ("the corridor's width").
    Top, :func:`plot_runs` at ``value`` on an iteration axis that is the same for every value; bottom, the
    iterations PG needs for 10% and 90% of its gap, and NPG for 90%, against the parameter (logarithmic),
    with its legend under the axes, off the markers.
    """
    if value not in reports:
        raise ValueError(f"value: {value!r} is not one of the reports' keys {list(reports)}")
    fig.set_layout_engine("none")
    height = fig.get_size_inches()[1]
    keys = sorted(reports)
    t_max = 1.5 * max(max(r.pg.iterations, r.npg.iterations) for r in reports.values())
    # Inches: the title above the top axes; under them their tick labels, axis label and legend (four rows);
    # under the bottom axes theirs, and its legend in two columns.
    top = fig.add_axes((0.21, 1 - 3.0 / height, 0.75, 2.6 / height))
    plot_runs(top, reports[value], t_max=t_max)
    top.set_title(f"{name} = {value}", fontsize=12)
    bottom = fig.add_axes((0.21, 1.15 / height, 0.75, 2.0 / height))
    for label, counts, colour, marker, style in (
            ("PG, 10% of the gap", [r.first_tenth["PG"] for r in reports.values()], PG_COLOUR, "o", "-"),
            ("PG, 90%", [r.nine_tenths["PG"] for r in reports.values()], PG_COLOUR, "s", "--"),
            ("NPG, 90%", [r.nine_tenths["NPG"] for r in reports.values()], NPG_COLOUR, "D", ":")):
        by_key = dict(zip(reports, counts))
        shown = [k for k in keys if by_key[k] is not None]
        bottom.semilogy(shown, [by_key[k] for k in shown], marker=marker, ls=style, color=colour, lw=2, ms=6,
                        mec="black", mew=0.6, label=label)
    bottom.axvline(value, color=PALETTE["black"], lw=1, alpha=0.5, zorder=0)
    bottom.yaxis.set_minor_locator(NullLocator())
    bottom.set_xticks(keys)
    bottom.set(xlabel=name, ylabel="iterations")
    bottom.legend(loc="lower left", bbox_to_anchor=(0.0, 0.0), bbox_transform=fig.transFigure, ncol=2,
                  fontsize=11, frameon=False, handlelength=1.6, columnspacing=0.8)


def visitation_figure(report) -> Figure:
    """The visitation of the optimal policy from rho above the uniform policy's from mu."""
    m = report.mdp
    keys = report.key_states
    if isinstance(m, GridMDP):
        rows, cols = m.shape
        legend = mark_legend_height(m)  # plot_visitation names the X mark under the figure
        # One panel above the other, so that the figure fits a phone's column: a wide grid across the
        # figure's width, a squarer one narrower, so that the two panels stay less than a screen tall.
        width = FIGURE_WIDTH if cols > 2 * rows else RUNS_WIDTH
        panel = min(0.85 * width * rows / cols, PANEL_HEIGHT)  # each grid's height
        # Plus 1.7 in for the titles, the gap and the colour bar under both.
        fig = Figure(figsize=(width, 2 * panel + 1.7 + legend), dpi=100, facecolor="white")
        both = np.r_[report.d_star, report.d_uniform]
        vmax = float(both.max())
        # Logarithmic: the absorbing cells hold most of the time, and a linear scale would paint every
        # other cell alike; the smallest visit shown is a millionth of the largest.
        vmin = min(max(float(both[both > 0].min()), 1e-6 * vmax), 0.1 * vmax)
        # Arrows only where the optimal policy goes: a uniform row has no net move, so no arrow.
        where = np.where((report.d_star > 0)[:, None], report.pi_star, 1.0 / m.A)
        axes = plot_visitation(fig, m, report.d_star, report.d_uniform, pi=where, arrows="left",
                               titles=("optimal policy π*, from ρ", "uniform policy, from μ"), vmax=vmax,
                               vmin=vmin, annotate=panel / rows >= 0.45, stacked=True)  # 11 pt numbers fit a cell
        for ax in axes:
            for s in keys:
                i, j = m.cells[int(s)]
                ax.add_patch(Rectangle((j - 0.47, i - 0.47), 0.94, 0.94, fill=False, ec=PALETTE["orange"], lw=2.5))
        return fig
    fig = Figure(figsize=(RUNS_WIDTH, 3.2), dpi=100, facecolor="white", layout="constrained")
    ax = fig.add_subplot()
    order = np.argsort(-report.d_star, kind="stable")
    rank = np.arange(1, m.S + 1)
    tiny = 1e-12
    ax.semilogy(rank, np.maximum(report.d_star[order], tiny), "o-", ms=3, color=PALETTE["green"],
                label="optimal policy, from ρ")
    ax.semilogy(rank, np.maximum(report.d_uniform[order], tiny), "o-", ms=3, color=PG_COLOUR,
                label="uniform policy, from μ")
    position = {int(s): k for k, s in enumerate(order)}
    for s in keys:
        k = position[int(s)]
        ax.annotate(f"state {int(s)}", (rank[k], max(report.d_star[s], tiny)), xytext=(6, 6),
                    textcoords="offset points", fontsize=11)
        ax.plot(rank[k], max(report.d_star[s], tiny), "o", ms=9, mfc="none", mec=PALETTE["vermillion"], mew=2)
    ax.set_ylim(max(tiny, 0.3 * float(np.min(np.r_[report.d_star, report.d_uniform][np.r_[report.d_star,
                report.d_uniform] > 0], initial=1.0))), 1.5)
    ax.set(xlabel="states, sorted by the optimal policy's visitation", ylabel="visitation")
    ax.legend(loc="upper right", fontsize=11, frameon=False)
    return fig


def _png(fig: Figure) -> tuple[bytes, tuple[int, int]]:
    """The figure as a palette PNG at ``PIXEL_RATIO`` times its size (a third of the bytes of a full-colour
    one, which keeps a page of several reports light), and its size as shown. The bounding box is
    tight, so that no axis label or title is cut at the figure's edge."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=PIXEL_RATIO * fig.dpi, facecolor="white", metadata={"Software": None},
                bbox_inches="tight", pad_inches=0.06)
    out = io.BytesIO()
    image = Image.open(buf)
    image.convert("RGB").quantize(colors=256, dither=Image.Dither.NONE).save(out, format="PNG")
    w, h = image.size
    return out.getvalue(), (round(w / PIXEL_RATIO), round(h / PIXEL_RATIO))
