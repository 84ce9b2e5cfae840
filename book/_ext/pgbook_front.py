r"""Sphinx extension: what the front page (``book/index.md``) shows is computed, though no kernel runs it.

The front page is a plain page, not a notebook: a notebook page would get launch buttons, an
``.ipynb`` twin and a place among the chapters (Binder opens the first one). Yet, like every number
of the book, what it shows is computed by pgbook, here while Sphinx reads the page:

- ``{pgbook-front-figure}``: the book in one picture. On the gridworld of the first chapters, from a
  poor, nearly deterministic policy (:data:`START`), softmax policy gradient at the step sizes
  :data:`PG_ETAS` and the natural policy gradient at :data:`NPG_ETA` climb towards
  :math:`V^\star(\rho)` with exact gradients, and so does PG at the step size it needs to climb; the
  caption's numbers are read from the runs, and its headline, that NPG reaches :data:`SHARES`\[0] of
  V* by step :data:`NPG_STEP` while PG stays below :data:`PLATEAU` of it at every step size of
  :data:`PG_ETAS` for all T steps, and that PG at the step size it needs is at SHARES[0] of V* from
  its first passage on, is checked under it by :func:`headline_lines` (three ✔ lines,
  :func:`pgbook.checks.bound` and :func:`pgbook.checks.equal`).
- ``{pgbook-front-checks}``: one claim checked twice by :func:`pgbook.checks.close`, as it is
  (✔) and with the factor :math:`1/(1-\gamma)` dropped (✘): the line a careless claim gets, which
  the book's tests require of every check's wrong twin.

The figure's two panels are 2x PNGs shown side by side, one above the other on a phone, where the
runs' panel is a narrower drawing with text of the same size (``static/pgbook.css``); it marks the
step at which NPG first reaches 90% of V* (the caption's). A check is its ``div.pgbook-check``,
styled as in the chapters.
"""

from __future__ import annotations

import base64
import contextlib
import html
import io
from dataclasses import dataclass

import numpy as np
from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

from pgbook import envs, softmax

#: The step sizes of softmax PG, the step size of NPG, and how many steps every run takes.
PG_ETAS, NPG_ETA, T = (1.0, 10.0, 100.0, 1000.0), 1.0, 20_000
#: The poor start: logits START on *down* (the gridworld's action 1) and 0 elsewhere, in every state,
#: so pi(down | s) = e^4 / (e^4 + 3) = 0.95. From S, down walks into the border and stays there.
START, DOWN = 4.0, 1
#: The share of V*(rho) whose first passage the caption reports (a tuple, so that more could be drawn).
SHARES = (0.9,)
#: The caption's claim about PG: below this share of V*(rho) at every step, at every step size.
PLATEAU = 0.01
#: The caption's claim about NPG: at or above SHARES[0] of V*(rho) from this step on.
NPG_STEP = 10
#: The chapter the caption sends the reader to, and the words of its link.
SIMPLEX, SIMPLEX_LINK = "/book/npg/simplex", "chapter 6"
#: The parameters of the checked gradient: pgbook's doctest policy on envs.three_state().
THETA = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.0]])


@dataclass(frozen=True)
class Climb:
    """The runs of the figure, V(rho) / V*(rho) at t = 0..T: softmax PG, one row per step size of
    :data:`PG_ETAS`, (len(PG_ETAS), T + 1); NPG, (T + 1,); and the first t at which NPG reaches each
    share of :data:`SHARES`."""

    pg: np.ndarray
    npg: np.ndarray
    first_npg: tuple[int, ...]
    #: The smallest step size 10^k above PG_ETAS at which PG does reach 90% of V* within T, when, and
    #: that run, (T + 1,).
    eta_needed: float
    first_needed: int
    needed: np.ndarray
    #: V*(rho), the unit of the shares.
    V_opt: float


def theta0(S: int, A: int, start: float = START) -> np.ndarray:
    """The poor start's logits, (S, A): ``start`` on *down* in every state, 0 elsewhere."""
    theta = np.zeros((S, A))
    theta[:, DOWN] = start
    return theta


def _sci(x: float) -> str:
    """A number as the caption prints it: 5.58e-10 -> 5.6·10⁻¹⁰, 1e5 -> 10⁵."""
    mantissa, exponent = f"{x:.1e}".split("e")
    power = "10" + str(int(exponent)).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))
    return power if mantissa == "1.0" else f"{mantissa}·{power}"


def _first(share: np.ndarray, level: float) -> int:
    reached = np.flatnonzero(share >= level)
    if not reached.size:
        raise ValueError(f"the run never reaches {level:.0%} of V* in {T} steps: raise T")
    return int(reached[0])


def climb(start: float = START) -> Climb:
    """Softmax PG (step sizes :data:`PG_ETAS`) and NPG (:data:`NPG_ETA`) on the gridworld, from
    :func:`theta0`; ``start = 0`` is the uniform policy."""
    from pgbook import algorithms, envs, policy_iteration

    grid = envs.gridworld()
    V_opt = grid.rho @ policy_iteration(grid)[1]
    theta = theta0(grid.S, grid.A, start)
    pg = np.array([algorithms.softmax_pg(grid, eta, T, theta0=theta).V_rho / V_opt for eta in PG_ETAS])
    npg = algorithms.npg(grid, NPG_ETA, T, theta0=theta).V_rho / V_opt
    for eta in 10.0 ** np.arange(np.log10(PG_ETAS[-1]) + 1, 13):
        needed = algorithms.softmax_pg(grid, eta, T, theta0=theta).V_rho / V_opt
        if needed.max() >= SHARES[0]:
            break
    return Climb(pg, npg, tuple(_first(npg, s) for s in SHARES), float(eta), _first(needed, SHARES[0]),
                 needed, float(V_opt))


def headline_lines(c: Climb, step: int = NPG_STEP, pg: np.ndarray | None = None,
                   etas: tuple[float, ...] = PG_ETAS, needed_step: int | None = None) -> list[tuple[bool, str]]:
    r"""The caption's headline, checked on the runs: NPG's :math:`V(\rho)/V^\star(\rho)` is at least
    :data:`SHARES`\[0] from iteration ``step`` on; softmax PG's, at the step sizes ``etas`` (runs
    ``pg``, (len(etas), T + 1); by default the figure's), is below :data:`PLATEAU` at every iteration
    (the number of iterations at which it is not is 0); and softmax PG's at the step size it needs,
    ``c.eta_needed``, is at least :data:`SHARES`\[0] from iteration ``needed_step`` on (by default its
    first passage, ``c.first_needed``): each check's line, and whether it passed."""
    from pgbook import checks

    pg = c.pg if pg is None else pg
    needed_step = c.first_needed if needed_step is None else needed_step
    shown = ", ".join(f"{eta:g}" for eta in etas)
    line = f"the {SHARES[0]:.0%} line"  # as the figure labels it: that share of the best value V*(ρ)
    runs = "the four runs" if len(etas) == 4 else "its run" if len(etas) == 1 else f"its {len(etas)} runs"
    claims = [(checks.bound, f"natural PG (η = {NPG_ETA:g}) stays above {SHARES[0]:.0%} of the best value V*(ρ) "
               f"from step {step} on", dict(lhs=SHARES[0], rhs=c.npg[step:].min(), floor=0.0,
                                                    id="index/npg-fast",
                                                    names=(line, f"its lowest V(ρ)/V*(ρ) from step {step} on"))),
              (checks.equal, f"softmax PG (η = {shown}) stays below {PLATEAU:.0%} of V*(ρ) for all {T:,} steps",
               dict(computed=int(np.count_nonzero(pg >= PLATEAU)), expected=0, id="index/pg-flat",
                    names=(f"the number of steps, over {runs}, at which V(ρ) reaches {PLATEAU:.0%} of V*(ρ)",
                           "0"))),
              (checks.bound, f"softmax PG at η = {_sci(c.eta_needed)} does climb: it stays above {SHARES[0]:.0%} of "
               f"V*(ρ) from step {needed_step:,} on", dict(lhs=SHARES[0], rhs=c.needed[needed_step:].min(), floor=0.0,
                                          id="index/pg-needs",
                                          names=(line, f"its lowest V(ρ)/V*(ρ) from step {needed_step:,} on")))]
    lines = []
    for check, claim, args in claims:
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):  # outside a kernel a check prints its line
            try:
                check(claim, **args)
                passed = True
            except checks.CheckFailed:
                passed = False
        lines.append((passed, printed.getvalue().strip()))
    return lines


def _png(fig) -> tuple[bytes, tuple[int, int]]:
    """A figure as a PNG at twice its displayed size, and that size in pixels; the figure is closed."""
    import matplotlib.pyplot as plt

    from pgbook.viz.style import INLINE_SCALE

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=INLINE_SCALE * fig.dpi)
    shown = tuple(int(round(x * fig.dpi)) for x in fig.get_size_inches())
    plt.close(fig)
    return buffer.getvalue(), shown


#: The width of the runs' panel, in inches (1 inch is 100 px on the page): beside the gridworld in the
#: desktop column, and alone, as wide as a 390 px phone's column, in the phone's version.
RUN_WIDTH, PHONE_RUN_WIDTH = 4.2, 3.5


def figure_pngs(c: Climb, run_width: float = RUN_WIDTH) -> list[tuple[bytes, tuple[int, int]]]:
    """The figure's two panels, the gridworld and the runs (``run_width`` inches wide), each a PNG at
    twice its displayed size with that size: side by side on a desktop, one above the other on a phone,
    where the runs' panel is drawn narrower (:data:`PHONE_RUN_WIDTH`) with text of the same size."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from pgbook import envs, policy_iteration, viz
    from pgbook.viz.style import PALETTE

    grid = envs.gridworld()
    pi_star, V_star = policy_iteration(grid)
    fig_grid, ax_grid = plt.subplots(figsize=(2.45, 2.9), layout="constrained")
    image = viz.plot_grid(ax_grid, grid, V_star, pi=pi_star, vmin=0, vmax=1, annotate=False,
                          title="the gridworld: V*, π*")
    fig_grid.colorbar(image, ax=ax_grid, orientation="horizontal", shrink=0.8, aspect=20, label="V*(s)")
    fig_run, ax_run = plt.subplots(figsize=(run_width, 2.9))
    t = np.arange(1, T + 1)
    ax_run.plot(t, c.npg[1:], color=PALETTE["vermillion"])
    # The PG runs lie on top of one another at the floor: dashes of different lengths keep each visible.
    for pg, dashes in zip(c.pg, ("-", "--", "-.", ":")):
        ax_run.plot(t, pg[1:], color=PALETTE["blue"], ls=dashes, lw=1.6)
    ax_run.plot(t, c.needed[1:], color=PALETTE["sky"], lw=1.6)
    etas = ", ".join(f"{eta:g}" for eta in PG_ETAS)
    ax_run.text(16, 0.62, f"natural PG, η = {NPG_ETA:g}", color=PALETTE["vermillion"])
    ax_run.text(25, 0.05, f"softmax PG,\nη = {etas}:\nall four lie on 0", color=PALETTE["blue"], fontsize="small")
    ax_run.text(c.first_needed * 0.8, 0.3, f"softmax PG,\nη = {_sci(c.eta_needed)}", color=PALETTE["sky"],
                ha="right", fontsize="small")
    for share in SHARES:
        ax_run.axhline(share, color="0.45", ls=":", lw=1.0)
        ax_run.text(T ** 0.5, share, f" {share:.0%} of V*", color="0.35", va="top", fontsize="small")
    # Where NPG first reaches the share (the caption's step), marked on its curve and labelled left of it.
    for first in c.first_npg:
        ax_run.plot(first, c.npg[first], "o", ms=4, color=PALETTE["vermillion"])
        ax_run.annotate(f"step {first:,}", (first, c.npg[first]), xytext=(-5, -4), textcoords="offset points",
                        ha="right", color=PALETTE["vermillion"], fontsize="small")
    ax_run.set(xscale="log", xlim=(1, T), ylim=(-0.02, 1.08), xlabel="iteration t",
               ylabel="V(ρ) / V*(ρ)", title="exact gradients, from a poor start")
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
    where = f"on a {mdp.S}-state, {mdp.A}-action MDP with γ = {mdp.gamma:g}"
    claims = [(f"{where}, the softmax policy gradient is d(s) π(a|s) A(s, a) / (1 − γ), as finite differences of V "
               "find", 1 / (1 - mdp.gamma)),
              (f"the same gradient is d(s) π(a|s) A(s, a), without the 1/(1 − γ) = {1 / (1 - mdp.gamma):g}", 1.0)]
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


def _data(png: bytes) -> str:
    return f"data:image/png;base64,{base64.b64encode(png).decode('ascii')}"


def _picture(panel, phone, alt: str) -> str:
    """A panel as an ``<img>`` at its drawn size; with a phone's version, in a ``<picture>`` that shows
    that version on a screen of at most 576 px (the theme's phone layout)."""
    (png, (width, height)) = panel
    img = f'<img src="{_data(png)}" width="{width}" height="{height}" alt="{alt}">'
    if phone is None:
        return img
    small, (w, h) = phone
    return (f'<picture><source media="(max-width: 576px)" srcset="{_data(small)}" width="{w}" height="{h}">'
            f"{img}</picture>")


class FrontFigure(SphinxDirective):
    """``{pgbook-front-figure}``: the figure of :func:`climb`, its computed caption and its ✔ line."""

    def run(self) -> list[nodes.Node]:
        c = climb()
        grid = envs.gridworld()
        pi_down = softmax(theta0(grid.S, grid.A))[0, DOWN]
        caption = ("The first figure is the book's gridworld: S start, G goal (entering it pays 1), X pit (pays 0), "
                   "hatched walls; a cell's colour is its optimal value V*, its arrow the optimal policy's move "
                   "(G and X end the episode, so their own value is 0). "
                   f"The second is exact gradient ascent from a poor start, a policy that moves down with "
                   f"probability {pi_down:.2f} in every cell: softmax policy gradient stays flat at every step size "
                   f"from {PG_ETAS[0]:g} to {PG_ETAS[-1]:g} (its four curves lie on top of one another, below "
                   f"{_sci(10 ** np.ceil(np.log10(c.pg.max())))} of V*); at η = {_sci(c.eta_needed)} it reaches 90% "
                   f"of V* at step {c.first_needed:,} ({_sci(c.eta_needed / 10)} is not enough), while the natural "
                   f"policy gradient, at η = {NPG_ETA:g}, reaches it at step {c.first_npg[0]} (the marker). "
                   f"Why, and what it costs, is what the book explains; "
                   f"{SIMPLEX_LINK} shows it on the policies of a single state.")
        alts = ("The gridworld, coloured by its optimal values, with the optimal policy's arrows",
                "The value of softmax policy gradient over the iterations, flat at 0 at four step sizes and "
                "climbing at a fifth, much larger one, and of the natural policy gradient, which climbs fast")
        # On a phone the runs' panel is its narrower drawing (same text size), not the desktop's shrunk.
        phone = [None, figure_pngs(c, PHONE_RUN_WIDTH)[1]]
        images = "".join(_picture(panel, small, alt) for panel, small, alt in zip(figure_pngs(c), phone, alts))
        lines = headline_lines(c)
        if not all(passed for passed, _ in lines):
            raise self.error(f"the front page's figure claims what its runs do not show: {lines}")
        # The caption is a paragraph with a cross-reference, so that its link also works where the
        # doctree is written again (the single page the PDF is printed from).
        before, after = caption.split(SIMPLEX_LINK)
        link = addnodes.pending_xref("", nodes.inline("", SIMPLEX_LINK), refdomain="std", reftype="doc",
                                     reftarget=SIMPLEX, refexplicit=True, refdoc=self.env.docname)
        figure = f'<div class="pgbook-front-figure">{images}</div>'
        check = "".join(f'<div class="pgbook-check" data-id="{slug}" data-passed="true">{html.escape(line)}</div>'
                        for slug, (_, line) in zip(("index/npg-fast", "index/pg-flat", "index/pg-needs"), lines))
        return [nodes.raw("", figure, format="html"),
                nodes.paragraph("", "", nodes.Text(before), link, nodes.Text(after), classes=["pgbook-front-caption"]),
                nodes.raw("", check, format="html")]


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
