r"""Sphinx extension: what the front page (``book/index.md``) shows is computed, though no kernel runs it.

The front page is a plain page, not a notebook: a notebook page would get launch buttons, an
``.ipynb`` twin and a place among the chapters (Binder opens the first one). Yet, like every number
of the book, what it shows is computed by pgbook, here while Sphinx reads the page:

- ``{pgbook-front-figure}``: the book in one picture. On the gridworld of the first chapters,
  softmax policy gradient and the natural policy gradient climb from the uniform policy to
  :math:`V^\star(\rho)` with the same step size; the caption's numbers are read from the two runs.
- ``{pgbook-front-checks}``: one claim checked twice by :func:`pgbook.checks.close`, as it is
  (✔) and with the factor :math:`1/(1-\gamma)` dropped (✘): the line a careless claim gets, which
  the book's tests require of every check's wrong twin.

The figure's two panels are 2x PNGs shown side by side, one above the other on a phone (each scaled
to its column there, ``static/pgbook.css``); the runs' panel marks where each run first reaches 90%
and 99% of V*, the caption's numbers. A check is its ``div.pgbook-check``, styled as in the chapters.
"""

from __future__ import annotations

import base64
import contextlib
import html
import io
from dataclasses import dataclass

import numpy as np
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

#: The step size of both runs of the figure, and how many steps they take.
ETA, T = 1.0, 5000
#: The shares of V*(rho) whose first passage the caption reports.
SHARES = (0.9, 0.99)
#: The parameters of the checked gradient: pgbook's doctest policy on envs.three_state().
THETA = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.0]])


@dataclass(frozen=True)
class Climb:
    """The two runs of the figure: V(rho) / V*(rho) at t = 0..T, and the first t reaching each share."""

    pg: np.ndarray
    npg: np.ndarray
    first_pg: tuple[int, ...]
    first_npg: tuple[int, ...]


def _first(share: np.ndarray, level: float) -> int:
    reached = np.flatnonzero(share >= level)
    if not reached.size:
        raise ValueError(f"the run never reaches {level:.0%} of V* in {T} steps: raise T")
    return int(reached[0])


def climb() -> Climb:
    """Softmax PG and NPG on the gridworld, from the uniform policy, step size :data:`ETA`."""
    from pgbook import algorithms, envs, policy_iteration

    grid = envs.gridworld()
    V_opt = grid.rho @ policy_iteration(grid)[1]
    pg = algorithms.softmax_pg(grid, ETA, T).V_rho / V_opt
    npg = algorithms.npg(grid, ETA, T).V_rho / V_opt
    return Climb(pg, npg, tuple(_first(pg, s) for s in SHARES), tuple(_first(npg, s) for s in SHARES))


def _png(fig) -> tuple[bytes, tuple[int, int]]:
    """A figure as a PNG at twice its displayed size, and that size in pixels; the figure is closed."""
    import matplotlib.pyplot as plt

    from pgbook.viz.style import INLINE_SCALE

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=INLINE_SCALE * fig.dpi)
    shown = tuple(int(round(x * fig.dpi)) for x in fig.get_size_inches())
    plt.close(fig)
    return buffer.getvalue(), shown


def figure_pngs(c: Climb) -> list[tuple[bytes, tuple[int, int]]]:
    """The figure's two panels, the gridworld and the two runs, each a PNG at twice its displayed size
    with that size: side by side on a desktop, one above the other on a phone."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from pgbook import envs, policy_iteration, viz
    from pgbook.viz.style import PALETTE

    grid = envs.gridworld()
    pi_star, V_star = policy_iteration(grid)
    fig_grid, ax_grid = plt.subplots(figsize=(2.45, 2.9))
    viz.plot_grid(ax_grid, grid, V_star, pi=pi_star, vmin=0, vmax=1, annotate=False,
                  title="the gridworld: V*, π*")
    fig_run, ax_run = plt.subplots(figsize=(4.2, 2.9))
    t = np.arange(1, T + 1)
    ax_run.plot(t, c.npg[1:], color=PALETTE["vermillion"])
    ax_run.plot(t, c.pg[1:], color=PALETTE["blue"])
    # Labels beside the curves, in the empty middle of the plot (NPG has risen, PG not yet).
    ax_run.text(1.3, 0.55, "natural PG", color=PALETTE["vermillion"])
    ax_run.text(260, 0.45, "softmax PG", color=PALETTE["blue"])
    for share in SHARES:
        ax_run.axhline(share, color="0.45", ls=":", lw=1.0)
        ax_run.text(22, share, f"{share:.0%} of V*", color="0.35", va="top", fontsize="small")
    # Where each run first reaches each share: the caption's numbers, marked on the curves.
    for firsts, curve, colour in ((c.first_npg, c.npg, PALETTE["vermillion"]), (c.first_pg, c.pg, PALETTE["blue"])):
        for k, first in enumerate(firsts):
            ax_run.plot(first, curve[first], "o", ms=4, color=colour)
            right = first < T / 4  # the last label of PG goes above its point, inside the axes
            ax_run.annotate(f"{first:,}", (first, curve[first]), xytext=(5, -13 - 6 * k) if right else (-5, 4),
                            textcoords="offset points", ha="left" if right else "right", color=colour,
                            fontsize="small")
    plateau = int(np.flatnonzero(c.pg >= 0.05)[0])  # PG's long flat start, near the uniform policy's value
    ax_run.annotate("", (1, 0.1), xytext=(plateau, 0.1), arrowprops=dict(arrowstyle="<->", color=PALETTE["blue"]))
    ax_run.text(np.sqrt(plateau), 0.13, "plateau", ha="center", color=PALETTE["blue"], fontsize="small")
    ax_run.set(xscale="log", xlim=(1, T), ylim=(0, 1.08), xlabel=f"iteration t (η = {ETA:g})",
               ylabel="V(ρ) / V*(ρ)", title="exact gradient ascent")
    return [_png(fig_grid), _png(fig_run)]


def check_lines() -> list[tuple[bool, str]]:
    r"""The softmax policy gradient :math:`\frac{1}{1-\gamma} d^\pi_\rho(s)\, \pi(a|s)\, A^\pi(s, a)`
    (AKLM Lemma C.1) against central differences of :math:`V^{\pi_\theta}(\rho)`, with the factor and
    without it: each check's line, and whether it passed."""
    import pgbook
    from pgbook import checks, envs

    mdp = envs.three_state()
    pi = pgbook.softmax(THETA)
    by_formula = pgbook.visitation(mdp, pi)[:, None] * pi * pgbook.advantage(mdp, pi)  # (S, A)
    h = 1e-6

    def V(theta):
        return mdp.rho @ pgbook.value(mdp, pgbook.softmax(theta))

    by_differences = np.array([(V(THETA + h * e) - V(THETA - h * e)) / (2 * h)
                               for e in np.eye(THETA.size).reshape(-1, *THETA.shape)]).reshape(THETA.shape)
    claims = [("the softmax policy gradient is d(s) π(a|s) A(s, a) / (1 − γ), as finite differences of V find",
               1 / (1 - mdp.gamma)),
              ("the same gradient is d(s) π(a|s) A(s, a), without the 1/(1 − γ)", 1.0)]
    lines = []
    for claim, factor in claims:
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):  # outside a kernel a check prints its line
            try:
                checks.close(claim, factor * by_formula, by_differences, tol=1e-7, id="index/softmax-gradient")
                passed = True
            except checks.CheckFailed:
                passed = False
        lines.append((passed, printed.getvalue().strip()))
    return lines


class FrontFigure(SphinxDirective):
    """``{pgbook-front-figure}``: the figure of :func:`climb` with its computed caption."""

    def run(self) -> list[nodes.Node]:
        c = climb()
        (pg90, pg99), (npg90, npg99) = c.first_pg, c.first_npg
        caption = (f"On the gridworld at the left, with exact gradients from the uniform policy and the same "
                   f"step size η = {ETA:g} for both (far above the (1 − γ)³/8 of the convergence theorem), "
                   "softmax policy gradient "
                   f"needs {pg90:,} steps to reach 90% of the optimal value and {pg99:,} to reach 99%; "
                   f"the natural policy gradient needs {npg90} and {npg99}. Why the first waits so long "
                   "on its plateau, and why preconditioning removes the wait, is what the book explains.")
        alts = ("The gridworld, coloured by its optimal values, with the optimal policy's arrows",
                "The value of softmax policy gradient and of the natural policy gradient over the iterations")
        images = "".join(f'<img src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}" '
                         f'width="{width}" height="{height}" alt="{alt}">'
                         for (png, (width, height)), alt in zip(figure_pngs(c), alts))
        markup = (f'<div class="pgbook-front-figure">{images}</div>'
                  f'<p class="pgbook-front-caption">{html.escape(caption)}</p>')
        return [nodes.raw("", markup, format="html")]


class FrontChecks(SphinxDirective):
    """``{pgbook-front-checks}``: the lines of :func:`check_lines`, ✔ then ✘."""

    def run(self) -> list[nodes.Node]:
        lines = check_lines()
        if [passed for passed, _ in lines] != [True, False]:
            raise self.error(f"the front page's checks should pass, then fail: {lines}")
        markup = "".join(f'<div class="pgbook-check" data-id="index/softmax-gradient" '
                         f'data-passed="{str(passed).lower()}">{html.escape(line)}</div>'
                         for passed, line in lines)
        return [nodes.raw("", markup, format="html")]


def setup(app: Sphinx) -> dict:
    app.add_directive("pgbook-front-figure", FrontFigure)
    app.add_directive("pgbook-front-checks", FrontChecks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
