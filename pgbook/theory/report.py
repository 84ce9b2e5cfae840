r"""The book's analysis of any small MDP in one call: :func:`explain`.

``pgbook.explain(mdp)`` computes, with the chapters' own functions, what the book computes for its
examples: the optimal values and policy (policy iteration), the discounted visitation of the optimal
and of the uniform policy, the distribution-mismatch coefficient, exact softmax policy gradient (PG)
and natural policy gradient (NPG) runs from the uniform policy with the same step size, and a
diagnosis in numbers: does PG wait on a plateau, and where does the gap it has to close lie. The
:class:`Report` it returns prints as text in a terminal and displays as HTML with two figures in a
notebook (self-contained: no script, no network); :func:`gallery` shows several reports behind a
control that needs no kernel.

Conventions (AKLM): ``rho`` is the distribution values are measured at, ``mu`` the one the runs
ascend, :math:`V^{(t)}(\mu)`; :math:`d^\pi_\rho` the normalised discounted visitation,
:math:`\nu^\pi_\rho = d^\pi_\rho/(1-\gamma)` the unnormalised one (for ``gamma = 1``: the expected
number of visits).
"""

from __future__ import annotations

import base64
import hashlib
import html
import math
import os
import re
import textwrap
from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np

from .. import _validate as validate
from ..algorithms import Run, npg, softmax_pg
from ..control import policy_iteration
from ..envs import GRID_ACTIONS, GridMDP
from ..exact import evaluate
from .landscape import mismatch
from ..loaders import rescale_rewards
from ..mdp import MDP, require_mdp
from .npg import npg_bound
from ..policies import uniform

#: PG's runs stop once they have closed this share of the gap at mu (or after T iterations).
CLOSE = 0.99
#: A plateau: PG's first tenth of the gap takes at least this many times longer, per unit of gap,
#: than the next eight tenths (a run whose progress only slows down has a ratio of at most 1) ...
PLATEAU_SPEEDUP = 2.0
#: ... and at least this many iterations.
PLATEAU_MIN = 10
#: NPG's guarantee is reported as the iterations it promises for this share of the initial gap at rho ...
R6_CLOSE = 0.9
#: ... against what NPG at the guarantee's step needs, run for at most this many iterations.
R6_MAX = 10**6
#: Where each number is explained: each chapter's page (its path in the book) and title.
CHAPTERS = {
    "values": ("foundations/mdps", "Reinforcement learning and Markov decision processes"),
    "visitation": ("gradients/visitation", "Visitation measures and policy classes"),
    "simplex": ("npg/simplex", "PG against NPG on the simplex"),
    "landscape": ("convergence/landscape", "The optimisation landscape"),
    "vanishing": ("convergence/vanishing", "Vanishing gradients and exploration"),
    "softmax_pg": ("convergence/softmax_pg", "Convergence of softmax policy gradient"),
    "npg": ("convergence/npg", "Convergence of the natural policy gradient"),
}
#: Where the HTML book's chapter pages are, relative to a chapter's page: the report links to them
#: when it is rendered for the book (:data:`pgbook.viz.interactive.STATIC_ENV` set), and names them
#: in plain text anywhere else, where a relative link would lead nowhere (Colab, a downloaded notebook).
BOOK_LINKS = "../"
_ARROWS = {"left": "←", "down": "↓", "right": "→", "up": "↑"}


@dataclass(frozen=True, eq=False)
class Report:
    r"""What :func:`explain` found. Arrays are read-only; ``S`` states, ``A`` actions.

    Attributes
    ----------
    mdp : MDP
        The MDP analysed (rescaled if ``explain(..., rescale=True)``).
    rho : array (S,)
        Where values are measured.
    mu : array (S,)
        The start distribution the runs ascend, :math:`V^{(t)}(\mu)`.
    eta : float
        The step size of both runs.
    V_star : array (S,)
        :math:`V^\star`, by :func:`pgbook.policy_iteration`.
    pi_star : array (S, A)
        An optimal deterministic policy, one-hot.
    V_uniform : array (S,)
        :math:`V^{\pi_0}` of the uniform policy :math:`\pi_0`.
    d_star : array (S,)
        :math:`d^{\pi^\star}_\rho` (for ``gamma = 1``: the share of expected visits).
    d_uniform : array (S,)
        :math:`d^{\pi_0}_\mu`, likewise.
    occupancy_star : array (S,)
        The occupancy of :math:`\pi^\star` from :math:`\rho`, the expected discounted number of visits.
    gap_share : array (S,)
        Each state's share of the gap :math:`V^\star(\rho) - V^{\pi_0}(\rho)`, by the performance
        difference lemma (AKLM Lemma 3.2): :math:`\nu^{\pi^\star}_\rho(s)\sum_a\pi^\star(a|s)A^{\pi_0}(s,a)`
        divided by the gap; the shares sum to 1 (all zero when the gap is 0).
    mismatch : float or None
        :math:`\|d^{\pi^\star}_\rho/\mu\|_\infty` over every state, terminal ones included (AKLM
        Definition 3.1; ``inf`` when mu misses a state :math:`\pi^\star` visits); None for ``gamma = 1``.
        Kept for comparison: the report shows ``mismatch_live``.
    mismatch_live : float or None
        The same maximum over the non-terminal states only, the coefficient the report shows. At a
        terminal (absorbing) state every action does the same, so every advantage is 0 and the state's
        term in the performance difference lemma vanishes: the gradient-domination inequality (AKLM
        Lemma 4.1), and with it AKLM Thm 4.1 for projected gradient ascent, holds with this smaller
        constant (the book's remark, derived there, not in AKLM). None for ``gamma = 1``.
    start_mismatch : float or None
        :math:`\|d^{\pi^\star}_\rho/d^{\pi_0}_\mu\|_\infty` over the non-terminal states, the ratio in
        Mei et al.'s (2020) non-uniform Łojasiewicz inequality (their Lemma 8) at the uniform policy,
        from whose proof the absorbing states drop out alike (the book's remark); None for ``gamma = 1``.
    pg : Run or None
        The PG run (:func:`pgbook.algorithms.softmax_pg`); None for ``gamma = 1``.
    npg : Run or None
        The NPG run (:func:`pgbook.algorithms.npg`); None for ``gamma = 1``.
    gap_pg : array
        :math:`V^\star(\rho) - V^{(t)}(\rho)` at every iteration of the PG run (empty for ``gamma = 1``).
    gap_npg : array
        The same for the NPG run.
    first_tenth : dict
        ``{"PG": t, "NPG": t}``: the first iteration at which each run has closed 10% of its initial
        gap at rho, or None if it did not within the run.
    nine_tenths : dict
        The same for 90% of the gap.
    verdict : str
        ``"plateau"`` (PG waits, then escapes), ``"stuck"`` (PG closed less than 10% of its gap in
        the whole run), ``"no plateau"``, ``"undetermined"`` (the run ended too early to tell),
        ``"optimal"`` (the uniform policy is already optimal at rho), ``"not run"`` (``gamma = 1``).
    speedup : float or None
        :math:`8\,t_{10}/(t_{90} - t_{10})`: how many times faster, per unit of gap, PG closes the
        next eight tenths of its gap than the first tenth (at most 1 for a run that only slows down);
        None when PG did not close 90% within the run.
    r6_promised : int or None
        The iterations after which NPG's guarantee (AKLM Thm 5.3) at its step
        :math:`\eta = (1-\gamma)^2\log|A|`, :math:`2/((1-\gamma)^2 T)`, falls to a tenth of the initial gap
        at rho; None when the guarantee does not apply (``gamma = 1``, rewards outside [0, 1], one action,
        no gap).
    r6_needed : int or None
        The iterations NPG at that step needs to close 90% of the gap at rho (run for at most
        ``min(r6_promised, R6_MAX)``); None when it was not run or did not within them.
    stalled : bool
        PG ended its run more than 1% of its first gap below the optimum, having closed less than a
        tenth of what was left over the second half of the run.
    final_gap_share : array (S,) or None
        For a stalled PG, the shares of its last gap :math:`V^\star(\rho) - V^{\pi_T}(\rho)`, as
        ``gap_share`` at its last policy :math:`\pi_T`; None otherwise.
    rewards : tuple of float
        :math:`(\min r, \max r)` of the MDP analysed.
    rescaled_from : tuple of float or None
        The original :math:`(\min r, \max r)` when rescaled.
    """

    mdp: MDP
    rho: np.ndarray
    mu: np.ndarray
    eta: float
    V_star: np.ndarray
    pi_star: np.ndarray
    V_uniform: np.ndarray
    d_star: np.ndarray
    d_uniform: np.ndarray
    occupancy_star: np.ndarray
    gap_share: np.ndarray
    mismatch: float | None
    mismatch_live: float | None
    start_mismatch: float | None
    pg: Run | None
    npg: Run | None
    gap_pg: np.ndarray
    gap_npg: np.ndarray
    first_tenth: Mapping[str, int | None]
    nine_tenths: Mapping[str, int | None]
    verdict: str
    speedup: float | None
    r6_promised: int | None
    r6_needed: int | None
    stalled: bool
    final_gap_share: np.ndarray | None
    rewards: tuple[float, float]
    rescaled_from: tuple[float, float] | None

    @property
    def gap(self) -> float:
        r""":math:`V^\star(\rho) - V^{\pi_0}(\rho)`, the gap the runs start from."""
        return float(self.rho @ (self.V_star - self.V_uniform))

    @property
    def key_states(self) -> np.ndarray:
        """The states that hold the gap: the largest shares, in decreasing order, up to three, until half."""
        return _key_states(self.gap_share)

    def state_name(self, s: int) -> str:
        """``"state 14"``, with its row and column on a grid."""
        if isinstance(self.mdp, GridMDP):
            i, j = self.mdp.cells[s]
            return f"state {s} (row {i}, column {j})"
        return f"state {s}"

    # --- the words ------------------------------------------------------------------------------

    def _summary(self) -> list[tuple[str, str, str]]:
        """The key numbers, in the report's markup: (what, value, key of the chapter that explains it)."""
        m = self.mdp
        rows = [
            ("optimal value $V^*(ρ)$, by policy iteration", _num(float(self.rho @ self.V_star)), "values"),
            ("uniform policy's value $V^{π_0}(ρ)$", _num(float(self.rho @ self.V_uniform)), "values"),
        ]
        if m.gamma < 1.0:
            # Over the non-terminal states: an absorbing state's advantages are all 0, so it drops out of the
            # bounds these ratios enter (the book's remark); with none, that is every state.
            live = (" over the non-terminal states (in a terminal one every action does the same)"
                    if m.terminal.any() else "")
            rows += [
                (f"mismatch coefficient $‖d^{{π^*}}_ρ / μ‖_∞${live}", _num(self.mismatch_live), "landscape"),
            ]
            if self.mismatch_live == math.inf:  # mu misses a state pi* visits (mu = rho, a start state): the
                # coefficient a uniform mu would give, the one explain(mdp, mu=...) can make finite
                uniform = _mismatch_live(self.d_star, np.full(m.S, 1.0 / m.S), m.terminal)
                rows.append((f"the same for a uniform $μ$, $μ(s)$ = 1/{m.S} (∞ above: that $μ$ puts no weight on some "
                             "states $π^*$ visits)", _num(uniform), "landscape"))
            rows += [
                (f"visitation mismatch at the start $‖d^{{π^*}}_ρ / d^{{π_0}}_μ‖_∞${' over the same states' if live else ''}",
                 _num(self.start_mismatch), "softmax_pg"),
            ]
            for name in ("PG", "NPG"):
                rows.append((f"{name} ($η$ = {self.eta:g}): iterations to close 10% / 90% of the initial gap "
                             "$V^*(ρ) - V^{π_0}(ρ)$",
                             f"{_count(self.first_tenth[name])} / {_count(self.nine_tenths[name])}",
                             "vanishing" if name == "PG" else "npg"))
            for name, run, gaps in (("PG", self.pg, self.gap_pg), ("NPG", self.npg, self.gap_npg)):
                left = float(gaps[-1])
                rows.append((f"{name}: gap left after $T$ = {run.iterations} iterations (share of the initial gap)",
                             f"{_num(left)} ({_share(left / gaps[0]) if gaps[0] > 0 else '-'})",
                             "vanishing" if name == "PG" else "npg"))
            n = min(self.pg.iterations, self.npg.iterations)  # the shorter run stopped having closed 99%
            rows.append((f"gap left by PG / NPG after the same $T$ = {n} iterations (one exact evaluation per "
                         "iteration each, so equal compute)",
                         f"{_num(float(self.gap_pg[n]))} / {_num(float(self.gap_npg[n]))}", "npg"))
        return rows

    def summary(self) -> list[tuple[str, str, str]]:
        """The key numbers: (what, value, the title of the chapter that explains it), as plain text."""
        return [(_plain(what), value, CHAPTERS[key][1]) for what, value, key in self._summary()]

    def diagnosis(self) -> list[str]:
        """The diagnosis, in plain language and numbers: one paragraph per finding (plain text)."""
        return [_plain(p) for p in self._diagnosis()]

    def notes(self) -> list[str]:
        """What the numbers assume, where the MDP departs from the book's setting (plain text)."""
        return [_plain(n) for n in self._notes()]

    def _diagnosis(self) -> list[str]:
        m = self.mdp
        if m.gamma == 1.0:
            return [f"$γ$ = 1: the values are expected total rewards, and the visitation is the expected number "
                    f"of visits ($π^*$ takes {self.occupancy_star @ np.ones(m.S):.3g} steps from $ρ$ on average). "
                    "Policy gradient, its step sizes and its bounds need $γ$ < 1 (every step scales with "
                    "$1/(1 - γ)$), so no run is made: choose a discount, e.g. "
                    "explain(mdp.replace(gamma=0.99))."]
        if self.verdict == "optimal":
            return ["The uniform policy is already optimal from $ρ$: there is no gap to close."]
        t10, t90 = self.first_tenth, self.nine_tenths
        n_pg = self.pg.iterations
        npg_done = (f"NPG, with the same step, closes 90% of the gap in {_iterations(t90['NPG'])}"
                    if t90["NPG"] is not None else f"NPG did not close 90% of the gap in {_iterations(self.npg.iterations)} either")
        if self.verdict == "plateau":
            first = (f"PG waits on a plateau: it needs {_iterations(t10['PG'])} to close the first 10% of the gap "
                     f"and only {t90['PG'] - t10['PG']} more for the next 80%, {self.speedup:.0f} times faster per "
                     "unit of gap once it has escaped (a run whose progress only slows down is never faster "
                     f"later). {npg_done}.")
        elif self.verdict == "stuck":
            closed = 1.0 - self.gap_pg[-1] / self.gap_pg[0]
            first = (f"PG has not left the start: in {_iterations(n_pg)} it closed {closed:.1%} of the gap, a plateau "
                     f"it has not left or a step too small to tell (run longer, explain(mdp, T=...)). {npg_done}.")
        elif self.verdict == "no plateau":
            later = (f"and 90% in {t90['PG']}" if t90["PG"] is not None
                     else f"and is still closing the rest after {n_pg}")
            if self.stalled:
                later += f", then stalls with {_share(float(self.gap_pg[-1] / self.gap_pg[0]))} of it left (below)"
            first = f"PG has no plateau at the start: it closes 10% of the gap in {_iterations(t10['PG'])} {later}. {npg_done}."
        else:
            first = (f"PG closed 10% of the gap in {_iterations(t10['PG'])} but not 90% in {n_pg}: too early to "
                     f"tell whether it waits on a plateau (run longer, explain(mdp, T=...)). {npg_done}.")
        out = [first, self._where()]
        if self.stalled:
            out.append(self._where_pg_ends())
        return out

    def _where(self) -> str:
        keys = self.key_states
        if keys.size == 0:
            return "Where the gap lies: no state holds a positive part of it (the performance difference lemma)."
        share = float(self.gap_share[keys].sum())
        held = share * self.gap
        names = _join([self.state_name(int(s)) for s in keys])
        d_star, d0 = float(self.d_star[keys].sum()), float(self.d_uniform[keys].sum())
        A = self.mdp.A
        ratio = "infinitely many" if d0 == 0 else _sig(d_star / d0)
        if self.verdict in ("plateau", "stuck"):
            slow = "that is the plateau above, which lasts until PG's policy finds the way there"
        elif self.verdict == "no plateau":
            slow = "here that costs no plateau at the start (above)" + (
                ", but PG stalls before it has closed the gap (below)" if self.stalled else "")
        else:
            slow = "whether that makes a plateau here, the run is too short to tell (above)"
        return (f"Where the gap lies: {_num(held)} of the gap $V^*(ρ) - V^{{π_0}}(ρ)$ = {_num(self.gap)} ({share:.0%}) is "
                f"in {names} (the performance difference lemma, [[visitation]]). $π^*$ spends {_share(d_star)} of its "
                f"discounted time there, the uniform policy from $μ$ {_share(d0)}: {ratio} times less. At the uniform "
                f"policy PG's step in a state is NPG's times $d^{{π_0}}_μ(s)/|A|$ (here $|A|$ = {A}; [[simplex]]), "
                f"so PG's step is smallest exactly where the gap is ([[vanishing]]): {slow}.")

    def _where_pg_ends(self) -> str:
        s = int(np.argmax(self.final_gap_share))
        pi_T = self.pg.pi[-1]
        a = int(np.argmax(self.pi_star[s]))
        reach = float(evaluate(self.mdp, pi_T, self.mu).d[s] / self.d_star[s])
        middle = (self.gap_pg.size - 1) // 2
        last, half = float(self.gap_pg[-1]), float(self.gap_pg[middle])
        return (f"Where PG stalls: after {_iterations(self.pg.iterations)} PG is {_num(last)} below $V^*(ρ)$ "
                f"(it was {_num(half)} below at iteration {middle}, halfway through the run), and "
                f"{_num(self.final_gap_share[s] * last)} of that is in "
                f"{self.state_name(s)}, where its policy plays $π^*$'s action with probability {pi_T[s, a]:.2g} "
                f"and which it reaches {reach:.2g} times as often as $π^*$ does (the ratio $d^π_μ(s)/d^{{π^*}}_ρ(s)$ of their visitations). "
                "PG's gradient in a state carries both numbers, $d^π_μ(s) π(a|s) A(s, a)/(1 - γ)$ ([[simplex]]); "
                "NPG's step carries neither.")

    def _notes(self) -> list[str]:
        m, (lo, hi) = self.mdp, self.rewards
        out = []
        if self.rescaled_from is not None:
            a, b = self.rescaled_from
            shift = f"V - {a:g}/(1 - γ)" if a >= 0 else f"V + {-a:g}/(1 - γ)"
            out.append(f"Rewards rescaled from [{_num(a)}, {_num(b)}] to [0, 1] (pgbook.rescale_rewards): every value is "
                       f"$({shift})/{b - a:g}$ with $V$ the original one, the optimal policy is the same, and terminal "
                       "states became absorbing states with a constant reward.")
        elif lo < 0.0 or hi > 1.0:
            out.append(f"Rewards lie in [{_num(lo)}, {_num(hi)}], not in [0, 1]. Values, visitation and the runs are exact, but "
                       "the book's bounds and step sizes assume rewards in [0, 1] (PG's step scales with the rewards' "
                       "range, and NPG's guarantee is stated for [0, 1]); explain(mdp, rescale=True) moves them to "
                       "[0, 1] without changing the optimal policy.")
        if m.gamma < 1.0:
            if self.mismatch_live == math.inf:
                where = "non-terminal " if m.terminal.any() else ""
                out.append(f"$μ$ puts no weight on some of the {where}states $π^*$ visits, so the mismatch coefficient is "
                           "infinite and PG's rates (AKLM Thm 4.1 for the direct parameterisation, Mei et al. Thm 4 for "
                           "the softmax) promise nothing; NPG's guarantee with exact advantages (AKLM Thm 5.3) has "
                           "no mismatch coefficient. Try explain(mdp, mu=...) with a "
                           "$μ$ that is positive everywhere.")
            if self.r6_promised is not None:
                eta6 = (1.0 - m.gamma) ** 2 * math.log(m.A)
                needed = (f"NPG at that step needed {self.r6_needed:,}" if self.r6_needed is not None else
                          f"NPG at that step had not closed it after {min(self.r6_promised, R6_MAX):,} (the run stops there)")
                out.append(f"NPG's guarantee (AKLM Thm 5.3), $log|A|/(ηT) + 1/((1 - γ)^2 T)$, at its step "
                           f"$η = (1 - γ)^2 log|A|$ = {eta6:.2g} promises 90% of the gap $V^*(ρ) - V^{{π_0}}(ρ)$ after "
                           f"$T$ = {self.r6_promised:,} iterations; {needed}.")
            step = (1.0 - m.gamma) ** 3 / 8
            if self.eta > step:
                out.append(f"Both runs take $η$ = {self.eta:g}, as [[vanishing]] does. The step under which "
                           f"softmax PG is proven to converge when $μ$ weighs every state, $(1 - γ)^3/8$ = {step:.2g} "
                           f"(AKLM Thm 5.1), is {self.eta / step:.2g} times smaller: no theorem of the book covers "
                           "these runs, and at that step each step is that many times shorter.")
        if m.terminal.any():
            out.append("Terminal states are absorbing, with reward 0. A time limit on "
                       "episodes, such as Gymnasium's TimeLimit, is not part of the MDP.")
        return out

    def text(self) -> str:
        """The report as plain text (what ``print(report)`` shows)."""
        m = self.mdp
        lines = [f"pgbook.explain: {m!r}",
                 f"expected rewards r(s, a) in [{_num(self.rewards[0])}, {_num(self.rewards[1])}]; "
                 f"ρ: {_distribution(self.rho)}; μ (where the runs start): "
                 f"{'ρ' if np.array_equal(self.mu, self.rho) else _distribution(self.mu)}", ""]
        rows = self.summary()
        width = max(len(r[0]) for r in rows)
        lines += [f"  {what:<{width}}  {value:>12}   [{where}]" for what, value, where in rows]
        lines += ["", "Optimal policy π*:"] + ["  " + row for row in self._policy_text()]
        lines += [""] + [_wrap(p) for p in self.diagnosis()]
        notes = self.notes()
        if notes:
            lines += ["", "Notes:"] + [_wrap(n, "  - ", "    ") for n in notes]
        return "\n".join(lines)

    def _policy_text(self) -> list[str]:
        actions = self.pi_star.argmax(axis=1)
        m = self.mdp
        if isinstance(m, GridMDP):
            rows, cols = m.shape
            grid = [["#"] * cols for _ in range(rows)]
            for s, (i, j) in enumerate(m.cells):
                kind = m.layout[i][j]
                grid[i][j] = kind if m.terminal[s] else _ARROWS[GRID_ACTIONS[actions[s]]]
            return [" ".join(row) for row in grid]
        shown = ", ".join(f"{s}: {a}" for s, a in enumerate(actions[:40]))
        return [f"action per state (state: action) {shown}" + (", ..." if m.S > 40 else "")]

    def __str__(self) -> str:
        return self.text()

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return self.html()

    def html(self, links: str | None = None, shared_notes: Collection[str] = ()) -> str:
        """The report as self-contained HTML: the key numbers, the diagnosis, two figures, and the notes
        folded under a summary line.

        ``links``: the address of the book's chapter pages, e.g. ``"https://example.org/book/"``, to which
        each chapter's path (``"convergence/landscape.html"``) is appended. By default the chapters are
        links when the report is rendered for the HTML book (:data:`BOOK_LINKS`), and plain titles
        anywhere else, where a relative link would lead nowhere. ``shared_notes``: notes (as
        :meth:`_notes` words them) left out because they are shown elsewhere, once for several reports
        (:func:`gallery`).

        Examples
        --------
        Math is set with Unicode, ``<sup>`` and ``<sub>``, which every notebook client renders with no
        typesetter; each number names the chapter that explains it:

        >>> import pgbook, re
        >>> page = pgbook.explain(pgbook.envs.chain(3), T=40).html(links="https://example.org/book/")
        >>> print(re.search(r"<dt>mismatch.*?</dt>", page).group())  # doctest: +NORMALIZE_WHITESPACE
        <dt>mismatch coefficient <span class='pgbook-math'>‖<i>d</i><sup>π⋆</sup><sub>ρ</sub>
        / μ‖<sub>∞</sub></span><br><span class='pgbook-report-where'><a
        href='https://example.org/book/convergence/landscape.html'>The optimisation landscape</a></span></dt>
        >>> re.search(r"<summary>[^<]*</summary>", page).group()
        '<summary>Notes: what these numbers assume (3)</summary>'
        """
        from ..viz.report import report_figures

        links = _links(links)

        def markup(text: str) -> str:
            return _html(text, links)

        rows = "".join(f"<div><dt>{markup(what)}<br><span class='pgbook-report-where'>{markup(f'[[{key}]]')}</span></dt>"
                       f"<dd>{html.escape(value)}</dd></div>" for what, value, key in self._summary())
        # The image scrolls in its own box, so that a phone's swipe hint (book/_ext/static/pgbook.js)
        # sits right under it, above the caption.
        figures = "".join(f"<figure><div class='pgbook-report-figure'><img "
                          f"src='data:image/png;base64,{base64.b64encode(png).decode('ascii')}' "
                          f"width='{w}' height='{h}' alt='{html.escape(_plain(alt))}' style='max-width:100%;height:auto;"
                          f"background:#fff'></div><figcaption>{markup(caption)}</figcaption></figure>"
                          for png, (w, h), alt, caption in report_figures(self))
        paragraphs = "".join(f"<p>{markup(p)}</p>" for p in self._diagnosis())
        notes = [n for n in self._notes() if n not in shared_notes]
        m = self.mdp
        lo, hi = self.rewards
        head = (f"{m.S} states, {m.A} actions, $γ$ = {m.gamma:g}, expected rewards $r(s, a)$ in [{_num(lo)}, {_num(hi)}]"
                + (f", terminal states {_join([str(s) for s in np.flatnonzero(m.terminal)])}" if m.terminal.any() else ""))
        folded = ""
        if notes:
            items = "".join(f"<li>{markup(n)}</li>" for n in notes)
            folded = (f"<details class='pgbook-report-notes'><summary>Notes: what these numbers assume "
                      f"({len(notes)})</summary><ul>{items}</ul></details>")
        return (f"<div class='pgbook-report'>{_STYLE}<p class='pgbook-report-head'><strong>pgbook.explain</strong>: "
                f"{markup(head)}</p><dl class='pgbook-report-numbers'>{rows}</dl>{paragraphs}{figures}{folded}</div>")


def _links(links: str | None) -> str:
    """The address chapters link to (:meth:`Report.html`): by default the book's in its build, none elsewhere."""
    if links is None:
        from ..viz.interactive import STATIC_ENV

        return BOOK_LINKS if os.environ.get(STATIC_ENV) == "1" else ""
    if not isinstance(links, str):
        raise TypeError(f"links: expected the address of the book's chapter pages (a string), got {type(links).__name__}")
    return links


# The key numbers are a list of (what, value) rows, not a table: each row wraps within the page's
# width. A figure wider than a phone (the book keeps figures at their drawn size there) scrolls in its
# own box, and the rest of the report stays within the page.
_STYLE = """<style>
.pgbook-report{border:1px solid rgba(127,127,127,.35);border-radius:6px;padding:.6em 1em;margin:.5em 0;overflow-wrap:break-word}
.pgbook-report-numbers{margin:.4em 0;font-size:.95em}
.pgbook-report-numbers>div{display:flex;gap:.8em;align-items:baseline;padding:.2em 0;border-bottom:1px solid rgba(127,127,127,.25)}
.pgbook-report-numbers dt{flex:1 1 auto;min-width:0;font-weight:normal;margin:0}
.pgbook-report-numbers dd{flex:0 0 auto;margin:0;text-align:right;font-variant-numeric:tabular-nums}
.pgbook-report .pgbook-report-where{font-size:.85em}
.pgbook-report .pgbook-math i{font-family:inherit}
.pgbook-report sup,.pgbook-report sub{line-height:0;font-size:.75em}
.pgbook-report sup sup,.pgbook-report sup sub{font-size:.85em}
.pgbook-report figure{margin:.6em 0}
.pgbook-report-figure{overflow-x:auto}
.pgbook-report figcaption{font-size:.9em;text-align:left;color:inherit;opacity:.85}
.pgbook-report-notes{font-size:.92em;margin:.4em 0}
.pgbook-report-notes>summary{cursor:pointer;font-weight:600}
@media (max-width:600px){.pgbook-report{padding:.5em .35em}}
</style>"""


def explain(mdp: MDP, *, rho=None, mu=None, eta: float = 1.0, T: int = 2000, rescale: bool = False) -> Report:
    r"""The book's analysis of ``mdp``: values, visitation, mismatch, PG against NPG, and a diagnosis.

    With :math:`\pi_0` the uniform policy and :math:`\pi^\star` an optimal one (policy iteration):

    - :math:`V^\star`, :math:`\pi^\star`, :math:`V^{\pi_0}` (exact);
    - the visitation :math:`d^{\pi^\star}_\rho` and :math:`d^{\pi_0}_\mu`, the mismatch coefficient
      :math:`\|d^{\pi^\star}_\rho/\mu\|_\infty` (AKLM Definition 3.1) and, at the start of the runs,
      :math:`\|d^{\pi^\star}_\rho/d^{\pi_0}_\mu\|_\infty` (Mei et al. 2020, Lemma 8);
    - exact softmax PG and NPG from :math:`\pi_0` ascending :math:`V(\mu)` with the same step
      :math:`\eta` (:func:`pgbook.algorithms.softmax_pg`, :func:`pgbook.algorithms.npg`), each until it
      has closed 99% of its gap at mu or for ``T`` iterations, and their gaps at rho;
    - where the gap lies: by the performance difference lemma (AKLM Lemma 3.2)

      .. math:: V^\star(\rho) - V^{\pi_0}(\rho) = \sum_s \nu^{\pi^\star}_\rho(s) \sum_a \pi^\star(a|s) A^{\pi_0}(s, a),

      one term per state, while at :math:`\pi_0` PG's step in state s is NPG's times
      :math:`d^{\pi_0}_\mu(s)/|A|` (AKLM Eq. (10) and Lemma 5.1);
    - the verdict: PG waits on a plateau when it needs at least ``PLATEAU_SPEEDUP`` times longer,
      per unit of gap, for the first tenth of its gap than for the next eight tenths (and at least
      ``PLATEAU_MIN`` iterations): a run whose progress only slows down is never faster later.

    With ``gamma = 1`` (an episodic MDP) the values and the expected visits are shown, and no run is
    made: the gradient methods, their step sizes and bounds need ``gamma < 1``.

    Parameters
    ----------
    mdp : MDP
    rho : None, int or array (S,), optional
        Where values are measured: the MDP's start distribution by default, a state, or a distribution.
    mu : None, int or array (S,), optional
        The start distribution the runs ascend; rho by default.
    eta : float
        The step size of both runs, > 0; 1 by default, as in the chapter on vanishing gradients.
    T : int
        The most iterations of each run, >= 1.
    rescale : bool
        Analyse :func:`pgbook.rescale_rewards` (mdp), with rewards in [0, 1] (needs ``gamma < 1``).

    Returns
    -------
    Report

    Examples
    --------
    The vanishing-gradient chapter's chain: PG waits 196 iterations for the first tenth of its gap,
    then needs 27 for the next eight tenths, 8 * 196/27 = 58 times faster per unit of gap.

    >>> import pgbook
    >>> report = pgbook.explain(pgbook.envs.chain(6))
    >>> report.verdict, report.first_tenth, report.nine_tenths
    ('plateau', {'PG': 196, 'NPG': 2}, {'PG': 223, 'NPG': 3})
    >>> print(report.diagnosis()[0])  # doctest: +NORMALIZE_WHITESPACE
    PG waits on a plateau: it needs 196 iterations to close the first 10% of the gap and only 27 more
    for the next 80%, 58 times faster per unit of gap once it has escaped (a run whose progress only
    slows down is never faster later). NPG, with the same step, closes 90% of the gap in 3 iterations.
    >>> print(report.diagnosis()[1][:113])  # doctest: +NORMALIZE_WHITESPACE
    Where the gap lies: 1.78 of the gap V*(ρ) - V^π₀(ρ) = 2.38 (75%) is in state 7 (the performance
    difference lemma,
    >>> round(float(report.gap_share.sum()), 12)  # the performance difference lemma
    1.0

    A run cut short cannot tell a plateau from a slow start, and says so:

    >>> print(pgbook.explain(pgbook.envs.chain(6), T=200).diagnosis()[0][:97])
    PG closed 10% of the gap in 196 iterations but not 90% in 200: too early to tell whether it waits
    """
    require_mdp(mdp)
    if not isinstance(rescale, (bool, np.bool_)):
        raise TypeError(f"rescale: expected True or False, got {type(rescale).__name__}")
    eta = validate.positive_real(eta, "eta")
    T = validate.positive_int(T, "T")
    rho = validate.start(mdp, rho)
    mu = rho if mu is None else validate.start(mdp, mu)
    rescaled_from = None
    if rescale:
        rescaled_from = (float(mdp.r.min()), float(mdp.r.max()))
        mdp = rescale_rewards(mdp)
    pi_star, V_star = policy_iteration(mdp)
    pi0 = uniform(mdp)
    at_start = evaluate(mdp, pi0, mu)
    star = evaluate(mdp, pi_star, rho)
    gap = float(rho @ (V_star - at_start.V))
    gap_share = _shares(star.occupancy * np.sum(pi_star * at_start.adv, axis=1), gap)
    discounted = mdp.gamma < 1.0
    runs, gaps = {"PG": None, "NPG": None}, {"PG": np.empty(0), "NPG": np.empty(0)}
    if discounted:
        target = float(mu @ V_star) - (1.0 - CLOSE) * float(mu @ (V_star - at_start.V))
        until = target if target < float(mu @ V_star) else None
        same = np.array_equal(mu, rho)
        for name, method in (("PG", softmax_pg), ("NPG", npg)):
            run = method(mdp, eta, T, rho=mu, until=until, record_every=None if same else 1)
            runs[name] = run
            gaps[name] = float(rho @ V_star) - (run.V_rho if same else run.V @ rho)
    r6_promised, r6_needed = _r6(mdp, rho, float(rho @ V_star), gap) if discounted else (None, None)
    tenth = {k: _first(g, 0.9) for k, g in gaps.items()}
    ninety = {k: _first(g, 0.1) for k, g in gaps.items()}
    verdict, speedup = _verdict(mdp, gap, gaps["PG"], tenth["PG"], ninety["PG"])
    stalled = verdict not in ("optimal", "not run") and _stalled(gaps["PG"])
    final = None
    if stalled:
        last = evaluate(mdp, runs["PG"].pi[-1], rho)
        final = _shares(star.occupancy * np.sum(pi_star * last.adv, axis=1), float(gaps["PG"][-1]))
    arrays = dict(rho=rho, mu=mu, V_star=V_star, pi_star=pi_star, V_uniform=at_start.V, d_star=star.d,
                  d_uniform=at_start.d, occupancy_star=star.occupancy, gap_share=gap_share, gap_pg=gaps["PG"], gap_npg=gaps["NPG"],
                  final_gap_share=final)
    for a in arrays.values():
        if a is not None:
            a.flags.writeable = False
    return Report(
        mdp=mdp, eta=eta,
        mismatch=mismatch(star.d, mu) if discounted else None,
        mismatch_live=_mismatch_live(star.d, mu, mdp.terminal) if discounted else None,
        start_mismatch=_mismatch_live(star.d, at_start.d, mdp.terminal) if discounted else None,
        pg=runs["PG"], npg=runs["NPG"], first_tenth=tenth, nine_tenths=ninety, verdict=verdict,
        speedup=speedup, r6_promised=r6_promised, r6_needed=r6_needed, stalled=stalled, rewards=(float(mdp.r.min()), float(mdp.r.max())), rescaled_from=rescaled_from, **arrays,
    )


def _r6(mdp: MDP, rho: np.ndarray, V_star_rho: float, gap: float) -> tuple[int | None, int | None]:
    """NPG's guarantee at its step (1-gamma)^2 log|A|, 2/((1-gamma)^2 T): the first T at which it is at most
    (1 - R6_CLOSE) times the gap at rho, and the iterations NPG at that step needs to close R6_CLOSE of it."""
    lo, hi = float(mdp.r.min()), float(mdp.r.max())
    if lo < 0.0 or hi > 1.0 or mdp.A < 2 or gap <= 1e-12:
        return None, None
    promised = math.ceil(2.0 / ((1.0 - mdp.gamma) ** 2 * (1.0 - R6_CLOSE) * gap))
    # The tabular NPG step does not depend on the start distribution, so the run may ascend rho itself.
    run = npg(mdp, (1.0 - mdp.gamma) ** 2 * math.log(mdp.A), min(promised, R6_MAX), rho=rho,
              until=V_star_rho - (1.0 - R6_CLOSE) * gap)
    reached = V_star_rho - float(run.V_rho[-1]) <= (1.0 - R6_CLOSE) * gap
    return promised, (run.iterations if reached else None)


def _mismatch_live(d: np.ndarray, mu: np.ndarray, terminal: np.ndarray) -> float:
    """max d(s)/mu(s) over the non-terminal states d visits (inf where mu misses one; 0 if there is none)."""
    support = (d > 0) & ~terminal
    if (mu[support] == 0).any():
        return math.inf
    return float(np.max(d[support] / mu[support], initial=0.0))


def _shares(terms: np.ndarray, gap: float) -> np.ndarray:
    """Each state's term divided by the gap they sum to (zeros when there is no gap)."""
    if gap <= 1e-12 * max(1.0, float(np.abs(terms).max(initial=0.0))):
        return np.zeros_like(terms)
    return terms / gap


def _first(gap: np.ndarray, fraction: float) -> int | None:
    """The first iteration whose gap is at most ``fraction`` of the first one (None if none is)."""
    if gap.size == 0:
        return None
    hit = np.flatnonzero(gap <= fraction * gap[0])
    return int(hit[0]) if hit.size else None


def _verdict(mdp: MDP, gap: float, gap_pg: np.ndarray, t10, t90) -> tuple[str, float | None]:
    if mdp.gamma == 1.0:
        return "not run", None
    if gap <= 1e-12 * max(1.0, float(np.abs(gap_pg).max(initial=0.0))) or gap_pg[0] <= 0.0:
        return "optimal", None
    if t10 is None:
        return "stuck", None
    if t10 < PLATEAU_MIN:
        return "no plateau", None if t90 is None else 8.0 * t10 / max(t90 - t10, 1)
    if t90 is None:  # t90 > n, so the speed-up is below 8 t10 / (n - t10)
        n = gap_pg.size - 1
        return ("no plateau" if 8.0 * t10 / max(n - t10, 1) < PLATEAU_SPEEDUP else "undetermined"), None
    speedup = 8.0 * t10 / max(t90 - t10, 1)
    return ("plateau" if speedup >= PLATEAU_SPEEDUP else "no plateau"), speedup


def _stalled(gap_pg: np.ndarray) -> bool:
    """PG ends more than 1% of its first gap short, and closed less than a tenth of the rest in its second half."""
    last, half = gap_pg[-1], gap_pg[(gap_pg.size - 1) // 2]
    return bool(gap_pg.size > 2 and last > 0.01 * gap_pg[0] and last > 0.9 * half)


def _key_states(shares: np.ndarray) -> np.ndarray:
    order = np.argsort(-shares, kind="stable")
    keys = []
    for s in order[:3]:
        if shares[s] <= 0:
            break
        keys.append(int(s))
        if shares[keys].sum() >= 0.5:
            break
    return np.array(keys, dtype=int)


def gallery(reports: Mapping[str, Report]) -> "Gallery":
    """Several reports behind one control: a row of buttons, one per report, that needs no kernel.

    Source: the book's Part III chapter (Your own MDP), which shows one report per example.

    Parameters
    ----------
    reports : mapping of str to Report
        A label for each report (e.g. ``"FrozenLake 4×4"``), in the order the buttons show them; the
        first is shown first.

    Returns
    -------
    Gallery
        Displays as HTML (radio buttons and CSS only: it works in the static book, in JupyterLab and in
        Colab alike) and prints as the reports' texts.
    """
    if not isinstance(reports, Mapping) or not reports:
        raise TypeError("reports: expected a non-empty mapping of labels to reports from pgbook.explain")
    for label, r in reports.items():
        if not isinstance(label, str) or not label.strip():
            raise ValueError(f"reports: every label must be a non-empty string, got {label!r}")
        if not isinstance(r, Report):
            raise TypeError(f"reports[{label!r}]: expected a Report from pgbook.explain, got {type(r).__name__}")
    return Gallery(dict(reports))


class Gallery:
    """Reports behind a kernel-free control; build it with :func:`gallery`."""

    def __init__(self, reports: dict[str, Report]):
        self.reports = reports

    def __repr__(self) -> str:
        return "\n\n".join(f"=== {label} ===\n{r.text()}" for label, r in self.reports.items())

    def _repr_html_(self) -> str:
        # A note every report makes is said once, above the buttons; each report keeps the ones that differ.
        notes = [r._notes() for r in self.reports.values()]
        shared = [n for n in notes[0] if all(n in other for other in notes[1:])] if len(notes) > 1 else []
        panels = [r.html(shared_notes=shared) for r in self.reports.values()]
        common = ""
        if shared:
            links = _links(None)
            items = "".join(f"<li>{_html(n, links)}</li>" for n in shared)
            common = (f"<details class='pgbook-report-notes'><summary>Notes that hold for every example "
                      f"({len(shared)})</summary><ul>{items}</ul></details>")
        key = "pgbook-gallery-" + hashlib.sha1("".join(self.reports).encode() + "".join(panels).encode()).hexdigest()[:10]
        radios, labels, rules = [], [], []
        for k, label in enumerate(self.reports):
            checked = " checked" if k == 0 else ""
            radios.append(f"<input type='radio' class='pgbook-gallery-input' name='{key}' id='{key}-{k}' "
                          f"aria-label='{html.escape(label)}'{checked}>")
            labels.append(f"<label for='{key}-{k}' class='pgbook-gallery-button'>{html.escape(label)}</label>")
            rules.append(f"#{key}-{k}:checked ~ .pgbook-gallery-panels > .pgbook-gallery-panel:nth-child({k + 1})"
                         "{display:block}"
                         f"#{key}-{k}:checked ~ .pgbook-gallery-buttons > label:nth-child({k + 1})"
                         "{background:rgba(0,114,178,.9);color:#fff;border-color:rgba(0,114,178,1)}")
            rules.append(f"#{key}-{k}:focus-visible ~ .pgbook-gallery-buttons > label:nth-child({k + 1})"
                         "{outline:2px solid #E69F00}")
        style = (f"<style>#{key} .pgbook-gallery-panel{{display:none}}"
                 f"#{key} .pgbook-gallery-input{{position:absolute;opacity:0;width:1px;height:1px}}"
                 f"#{key} .pgbook-gallery-buttons{{display:flex;flex-wrap:wrap;gap:.4em;margin:.3em 0}}"
                 f"#{key} .pgbook-gallery-button{{cursor:pointer;padding:.25em .8em;border-radius:4px;"
                 "border:1px solid rgba(127,127,127,.6)}"
                 + "".join(f"#{key} {r}" for r in rules) + "</style>")
        panels_html = "".join(f"<div class='pgbook-gallery-panel'>{p}</div>" for p in panels)
        return (f"<div class='pgbook-gallery' id='{key}'>{style}{common}{''.join(radios)}"
                f"<div class='pgbook-gallery-buttons' role='radiogroup'>{''.join(labels)}</div>"
                f"<div class='pgbook-gallery-panels'>{panels_html}</div></div>")


def _num(x) -> str:
    if x is None:
        return "-"
    if x == math.inf:
        return "∞"
    return f"{x:.3g}"


def _count(t) -> str:
    return "not reached" if t is None else str(t)


def _iterations(n: int) -> str:
    return "1 iteration" if n == 1 else f"{n} iterations"


def _share(x: float) -> str:
    """A share as a percentage to 2 significant figures, every size in the same unit, so that a ratio of
    two shares can be checked against the printed ones (3.9% and 0.11%, not 3.9% and 0.1%).

    >>> _share(0.0387), _share(0.00113), _share(0.0000022), _share(1.0)
    ('3.9%', '0.11%', '0.00022%', '100%')
    """
    return f"{_sig(100.0 * x)}%"


def _sig(x: float, digits: int = 2) -> str:
    """``x`` to ``digits`` significant figures, positional (never 1e+02)."""
    return np.format_float_positional(x, precision=digits, unique=False, fractional=False, trim="-")


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _distribution(p: np.ndarray) -> str:
    support = np.flatnonzero(p)
    if support.size == 1:
        return f"state {int(support[0])}"
    if np.allclose(p, 1.0 / p.size):
        return "uniform over all states"
    return f"spread over {support.size} states"


def _wrap(text: str, first: str = "", rest: str = "", width: int = 100) -> str:
    return textwrap.fill(text, width=width, initial_indent=first, subsequent_indent=rest)


# --- the report's markup ---------------------------------------------------------------------------
# The report's words are written once, with math between dollar signs in a small subset of TeX
# (x^a, x_b, braces to group: "$d^{π_0}_μ(s)$") and a chapter as [[key]] (a key of CHAPTERS). They
# render as plain Unicode text for a terminal ("d^π₀_μ(s)", 'Visitation measures ...') and as HTML
# with <sup> and <sub> for a notebook or the book, which needs no typesetter: MathJax does not run
# on a notebook's outputs in JupyterLab or Colab.

_MARKUP = re.compile(r"\$([^$]*)\$|\[\[(\w+)\]\]")
_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_LETTER = re.compile(r"(?<![A-Za-z])[A-Za-z](?![A-Za-z])")


def _parse(tex: str) -> list:
    """Math as a list of pieces: a literal string, or ("^" | "_", pieces) for a script."""
    out, k = [], 0
    while k < len(tex):
        c = tex[k]
        if c in "^_" and k + 1 < len(tex):
            if tex[k + 1] == "{":
                depth, end = 0, k + 1
                for end in range(k + 1, len(tex)):
                    depth += {"{": 1, "}": -1}.get(tex[end], 0)
                    if depth == 0:
                        break
                out.append((c, _parse(tex[k + 2:end])))
                k = end + 1
            else:
                out.append((c, _parse(tex[k + 1])))
                k += 2
        else:
            if out and isinstance(out[-1], str):
                out[-1] += c
            else:
                out.append(c)
            k += 1
    return out


def _math_text(pieces: list) -> str:
    out = ""
    for piece in pieces:
        if isinstance(piece, str):
            out += piece
            continue
        kind, inner = piece
        body = _math_text(inner)
        if kind == "^":
            out += "*" if body == "*" else body.translate(_SUPERSCRIPTS) if body.isdigit() else "^" + body
        else:
            out += body.translate(_SUBSCRIPTS) if body.isdigit() or body == "∞" else "_" + body
    return out


def _math_html(pieces: list, inside: bool = False) -> str:
    out = ""
    for piece in pieces:
        if isinstance(piece, str):
            out += _LETTER.sub(lambda m: f"<i>{m.group()}</i>", html.escape(piece, quote=False)).replace("-", "−")
        elif piece[0] == "^" and inside and _math_text(piece[1]) == "*":  # π⋆ in a superscript: no third level
            out += "⋆"
        else:
            tag = "sup" if piece[0] == "^" else "sub"
            out += f"<{tag}>{_math_html(piece[1], inside=True)}</{tag}>"
    return out.replace("<sup>*</sup>", "<sup>⋆</sup>")


def _plain(text: str) -> str:
    """The report's markup as plain text."""
    return _MARKUP.sub(lambda m: _math_text(_parse(m[1])) if m[2] is None else f"'{CHAPTERS[m[2]][1]}'", text)


def _html(text: str, links: str = "") -> str:
    """The report's markup as HTML: math with <sup> and <sub>, each chapter a link to its page under
    ``links`` (its title alone when ``links`` is empty)."""
    out, k = "", 0
    for m in _MARKUP.finditer(text):
        out += html.escape(text[k:m.start()], quote=False)
        if m[2] is None:
            out += f"<span class='pgbook-math'>{_math_html(_parse(m[1]))}</span>"
        else:
            path, title = CHAPTERS[m[2]]
            out += (f"<a href='{html.escape(links + path)}.html'>{html.escape(title)}</a>" if links
                    else f"<em>{html.escape(title)}</em>")
        k = m.end()
    return out + html.escape(text[k:], quote=False)
