"""The last chapter (book/approximation/summary.md): its own checks, and the integrity of its table.

The chapter's checks run pgbook.algorithms' compiled loops and pgbook.theory.npg; their twins below
iterate the same updates by hand in numpy (NPG, mirror descent with growing steps, projected
gradient ascent), with V* from value iteration instead of policy iteration and the visitation from
its series instead of the linear solve, and feed them to the page's own checks together with the
claims a careless reader would make.

The table tests parse the page: every row R0, R1, ... of its three-column tables must link to a chapter
of _toc.yml and cite the labelled display that states it, its entry in the dropdown under its table
must define that display, and the one table of checks must say what holds each row -- a check of its
constant, of its rate's scaling, of a step of its proof, of a convention, and what is only an
illustration -- with the wrong claim each check rejects. The ids of those checks live here
(ROW_CHECKS), not on the page: every id must be a check of a chapter its row links, and the kinds the
page names for a row must be the kinds of its checks. Rows linking to a chapter that has not been merged yet carry the
form ``Chapter: title (book/x/y)<!-- link: ../x/y -->``; such a chapter must then be absent from
_toc.yml, so that merging it without switching the link on to ``{doc}`` fails here.
"""

import functools
import re
from pathlib import Path

import numpy as np
import pytest
import yaml

import pgbook
from chapters.twins import source_checks, twin
from pgbook import envs
from pgbook.theory import guarantees
import oracle

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "book" / "approximation" / "summary.md"
EPS = 0.05

GRID = envs.gridworld()
S, A, GAMMA = GRID.S, GRID.A, GRID.gamma
RHO = np.full(S, 1 / S)


# --- independent computations ------------------------------------------------------------------


def optimal():
    """V* by value iteration (the chapter uses policy iteration) and a greedy optimal policy."""
    V = np.zeros(S)
    for _ in range(3000):
        V = (GRID.r + GAMMA * GRID.P @ V).max(axis=1)
    Q = GRID.r + GAMMA * GRID.P @ V
    pi = np.eye(A)[Q.argmax(axis=1)]
    return V, pi


def value(pi):
    return oracle.value(GRID.P, GRID.r, GAMMA, pi)


def q_value(pi):
    return GRID.r + GAMMA * GRID.P @ value(pi)


def visitation_series(pi, terms=600):
    """d_rho = (1 - gamma) sum_t gamma^t rho P_pi^t, summed term by term."""
    P_pi = np.einsum("sa,sat->st", pi, GRID.P)
    d, x = np.zeros(S), RHO.copy()
    for t in range(terms):
        d += (1 - GAMMA) * GAMMA**t * x
        x = x @ P_pi
    return d


V_STAR, PI_STAR = optimal()
V_STAR_RHO = RHO @ V_STAR
D = np.max(visitation_series(PI_STAR) / RHO)
THETA_RHO = D / (1 - GAMMA)
ETA_NPG = (1 - GAMMA) ** 2 * np.log(A)
ETA0_PMD = (1 - GAMMA) / GAMMA * np.log(A)



# --- the chapter's checks and their wrong twins -------------------------------------------------


def mirror_logs(step_size, T, until=None):
    """log pi_k, k = 0..n, for pi_k+1 = pi_k exp(eta_k Q^pi_k) / Z from the uniform policy, stopping after
    the first iterate whose gap is at most ``until`` (when given)."""
    log_pi = np.full((S, A), -np.log(A))
    logs = [log_pi]
    for k in range(T):
        pi = np.exp(log_pi)
        if until is not None and V_STAR_RHO - value(pi) @ RHO <= until:
            break
        log_pi = log_pi + step_size(k) * q_value(pi)
        log_pi -= log_pi.max(axis=1, keepdims=True)
        log_pi -= np.log(np.exp(log_pi).sum(axis=1, keepdims=True))
        logs.append(log_pi)
    return np.array(logs)


@functools.cache
def npg_logs():
    # AKLM's NPG with step eta is mirror descent with step eta / (1 - gamma) on Q.
    return mirror_logs(lambda k: ETA_NPG / (1 - GAMMA), 10**4, until=EPS)


@functools.cache
def pmd_logs():
    return mirror_logs(lambda k: ETA0_PMD / GAMMA**k, 10**3, until=EPS)


#: The cells the page's improvement check counts: not the goal or the pit, which absorb (both sides 0).
MOVING = ~GRID.terminal


def npg_improvement(factor):
    """factor/eta log Z_t(s) and V^(t+1)(s) - V^(t)(s), s in MOVING, along NPG by hand on the gridworld."""
    logs = npg_logs()
    values = np.array([value(np.exp(lp)) for lp in logs])
    promised = []
    for lp, V in zip(logs[:-1], values[:-1]):
        pi = np.exp(lp)
        adv = GRID.r + GAMMA * GRID.P @ V - V[:, None]
        promised.append(factor / ETA_NPG * np.log(np.sum(pi * np.exp(ETA_NPG * adv / (1 - GAMMA)), axis=1)))
    return np.array(promised)[:, MOVING], np.diff(values, axis=0)[:, MOVING]


@twin("summary/npg-improvement-every-state", wrong={"one-over-eta-log-z": dict(factor=1.0)})
def npg_improvement_every_state(page, factor=1 - GAMMA):
    """V^(t+1)(s) - V^(t)(s) >= (1-gamma)/eta log Z_t(s) (AKLM Lemma 5.2) in the cells that do not absorb;
    the careless reader writes (1/eta) log Z_t(s), forgetting that the visitation from s puts only
    1 - gamma on s itself."""
    page.bound(*npg_improvement(factor))


def test_the_careless_improvement_bound_fails_in_the_cells_the_page_counts():
    """The page: in the tightest cell the gain is about two and a half times the lemma's bound, and
    (1/eta) log Z_t(s) exceeds the gain in 14 of the 19 cells; no absorbing cell is counted (both sides
    are 0 there)."""
    assert MOVING.sum() == 19 and not MOVING[GRID.terminal].any()
    promised, gained = npg_improvement(1 - GAMMA)
    assert np.all(gained > 0)  # a counted cell where nothing moves would decide nothing
    assert round(np.min(gained / promised), 1) == 2.4  # "about two and a half times"
    careless, _ = npg_improvement(1.0)
    assert (careless > gained).any(axis=0).sum() == 14


@twin("summary/pmd-proposition-9", wrong={"without-one-minus-gamma": dict(factor=1.0),
                                          "next-step-size": dict(shift=1)})
def pmd_proposition_9(page, factor=1 - GAMMA, shift=0):
    """D*_k - D*_k+1 >= (1-gamma) eta_k (delta_k - vartheta_k+1 (delta_k - delta_k+1)) along mirror
    descent with growing steps by hand; the careless reader drops the (1 - gamma), or uses eta_k+1."""
    logs = pmd_logs()
    d_star = visitation_series(PI_STAR)
    a_star = PI_STAR.argmax(axis=1)
    D = np.array([-(d_star @ lp[np.arange(S), a_star]) for lp in logs])
    delta = np.array([V_STAR_RHO - value(np.exp(lp)) @ RHO for lp in logs])
    with np.errstate(divide="ignore", invalid="ignore"):
        vartheta = np.array([np.max(np.where(d_star > 0, d_star / visitation_series(np.exp(lp)), 0.0))
                             for lp in logs[1:]])
    eta = ETA0_PMD / GAMMA ** (np.arange(len(logs) - 1) + shift)
    page.bound(factor * eta * (delta[:-1] - vartheta * (delta[:-1] - delta[1:])), D[:-1] - D[1:])


PGA_GUARANTEE = 64 * GAMMA * S * A * D**2 / ((1 - GAMMA) ** 6 * EPS**2)


GAMMAS = (0.5, 0.6, 0.7, 0.8, 0.9)


@functools.cache
def pga_run(gamma):
    """Projected gradient ascent on the direct parameters (AKLM Eq. (7)) by hand on the gridworld at discount
    gamma, with V* by value iteration and the visitation by its linear system: its gaps until the first
    at most EPS, and D_mu."""
    grid = envs.gridworld(gamma=gamma)
    V = np.zeros(S)
    for _ in range(3000):
        V = (grid.r + gamma * grid.P @ V).max(axis=1)
    v_star = RHO @ V
    pi_star = np.eye(A)[(grid.r + gamma * grid.P @ V).argmax(axis=1)]
    D_mu = np.max(oracle.visitation(grid.P, gamma, pi_star, RHO) / RHO)
    eta = (1 - gamma) ** 3 / (2 * gamma * A)
    pi, gaps = np.full((S, A), 1 / A), []
    for _ in range(400_000):
        V_pi = oracle.value(grid.P, grid.r, gamma, pi)
        gaps.append(v_star - RHO @ V_pi)
        if gaps[-1] <= EPS:
            return np.array(gaps), D_mu
        d = oracle.visitation(grid.P, gamma, pi, RHO)
        pi = pgbook.project_simplex(pi + eta * d[:, None] * (grid.r + gamma * grid.P @ V_pi) / (1 - gamma))
    raise AssertionError(f"projected gradient ascent did not reach the target in 400 000 iterations at gamma = {gamma}")


def pga_gaps():
    return pga_run(GAMMA)[0]


def pga_needed(gamma):
    """The iterations projected gradient ascent needs at gamma, and D_mu."""
    gaps, D_mu = pga_run(gamma)
    return gaps.size - 1, D_mu


def fitted_power(counts):
    """The least-squares slope of log counts against log 1/(1-gamma) over GAMMAS, by the normal equations."""
    x, y = np.log(1 / (1 - np.array(GAMMAS))), np.log(np.asarray(counts, dtype=float))
    x = x - x.mean()
    return float(x @ (y - y.mean()) / (x @ x))


def test_the_fitted_powers_the_page_prints():
    """The page: on the gridworld R1's guarantee grows like the horizon to the power 8.3 (D_mu grows from 2.1 to
    9.7), the runs like the power 4.0."""
    D_mu = np.array([pga_needed(g)[1] for g in GAMMAS])
    gammas = np.array(GAMMAS)
    promised = 64 * gammas * S * A * D_mu**2 / ((1 - gammas) ** 6 * EPS**2)
    needed = [pga_needed(g)[0] for g in GAMMAS]
    assert round(fitted_power(promised), 1) == 8.3
    assert round(fitted_power(needed), 1) == 4.0


def test_a_wrong_r1_passes_the_sweep_too():
    """The page: the power 4.0 tests nothing, since a wrong R1 with (1-gamma)^-3 in place of (1-gamma)^-6
    would lie above every count too and grow faster than they do (so no check on the sweep's power)."""
    D_mu = np.array([pga_needed(g)[1] for g in GAMMAS])
    gammas = np.array(GAMMAS)
    needed = np.array([pga_needed(g)[0] for g in GAMMAS])
    wrong = 64 * gammas * S * A * D_mu**2 / ((1 - gammas) ** 3 * EPS**2)
    assert (wrong > needed).all() and fitted_power(wrong) > fitted_power(needed)


@pytest.mark.slow
def test_the_numbers_of_the_horizon_figure():
    """The page: from γ = 0.5 to 0.9 (horizon 2 to 10) the guarantees of R1 and R4 rise by about six decades,
    most of them from (1-γ)^-6 (the rest from D_mu^2 and R1's factor γ); what projected gradient ascent needs
    rises by under three decades."""
    D_mu = {g: pga_needed(g)[1] for g in GAMMAS}
    assert round(D_mu[0.5], 1) == 2.1 and round(D_mu[0.9], 1) == 9.7
    power, mismatch = np.log10((0.5 / 0.1) ** 6), np.log10(D_mu[0.9] ** 2 / D_mu[0.5] ** 2)
    assert round(power, 1) == 4.2 and round(mismatch, 1) == 1.3
    r1 = np.log10(64 * 0.9 * D_mu[0.9] ** 2 / 0.1**6 / (64 * 0.5 * D_mu[0.5] ** 2 / 0.5**6))
    r4 = np.log10(D_mu[0.9] ** 2 / 0.1**6 / (D_mu[0.5] ** 2 / 0.5**6))
    assert 5.5 <= r4 < r1 < 6 and np.isclose(r1, power + mismatch + np.log10(0.9 / 0.5))
    assert power > r1 / 2  # "most of them"
    assert 2 <= np.log10(pga_needed(0.9)[0] / pga_needed(0.5)[0]) < 3


def test_the_npg_counts_of_the_horizon_figure():
    """The page: what NPG needs at R6's step grows at the fitted power 2.5 against its guarantee's 2, which is 32
    times the need at horizon 2 and 16 times at horizon 10 (runs by pgbook; the powers by the normal equations)."""
    needed = []
    for g in GAMMAS:
        grid = pgbook.envs.gridworld(gamma=g)
        V_g = pgbook.policy_iteration(grid)[1]
        run = pgbook.algorithms.npg(grid, (1 - g) ** 2 * np.log(A), 10**4, rho=RHO, until=RHO @ V_g - EPS)
        needed.append(run.iterations)
    promised = 2 / ((1 - np.array(GAMMAS)) ** 2 * EPS)
    assert round(fitted_power(needed), 1) == 2.5 and round(fitted_power(promised), 1) == 2.0
    assert (round(promised[0] / needed[0]), round(promised[-1] / needed[-1])) == (32, 16)


def test_the_growing_steps_counts_of_the_horizon_figure():
    """The page: R8's guarantee is 9 times what NPG with growing steps needs at horizon 2 and 19 times at
    horizon 10 (looser with the horizon, while NPG's goes from 32 to 16 times)."""
    ratios = []
    for g in (GAMMAS[0], GAMMAS[-1]):
        grid = pgbook.envs.gridworld(gamma=g)
        V_g = pgbook.policy_iteration(grid)[1]
        run = pgbook.algorithms.pmd_geometric(grid, (1 - g) / g * np.log(A), 10**3, rho=RHO, until=RHO @ V_g - EPS)
        ratios.append(round(guarantees.iterations(grid, EPS, RHO)["R8"] / run.iterations))
    assert ratios == [9, 19]


# --- Table 1's column "iterations to reach ε": each count solves its row's display ---------------


def test_each_count_of_table_1_solves_its_rows_display():
    """The page's column, written here as the page writes it: each count makes its row's bound at most eps on the
    gridworld (its bound from pgbook.theory, or the display itself), exactly for R1, R3, R4 and R6, and with less
    than a tenth to spare for the linear rates (R0, R7, R8, R9), whose counts use 1 - x <= exp(-x); R1, R4, R6 and
    R8 are what pgbook.theory.guarantees.iterations computes. The counts a careless reader would write (R1 with
    (1-gamma)^-3, R6 without log|A|/eta, R8 with the horizon in place of vartheta_rho, R0 with log(1/gamma)
    dropped to gamma's exponent alone) leave the bound above eps."""
    from pgbook.theory import landscape, npg, softmax_pg

    counts = guarantees.iterations(GRID, EPS, RHO)
    r1 = 64 * GAMMA * S * A * D**2 / ((1 - GAMMA) ** 6 * EPS**2)
    assert np.isclose(counts["R1"], r1, rtol=1e-9) and np.isclose(landscape.pga_bound(GRID, r1, D), EPS)
    wrong = 64 * GAMMA * S * A * D**2 / ((1 - GAMMA) ** 3 * EPS**2)
    assert landscape.pga_bound(GRID, wrong, D) > 10 * EPS
    assert np.isclose(counts["R4"], 320 * S**2 * A**2 * D**2 / ((1 - GAMMA) ** 6 * EPS**2), rtol=1e-9)
    c = 0.25  # the c the page measures on its run at R3's step
    r3 = 16 * S * D**2 / (c**2 * (1 - GAMMA) ** 6 * RHO.min() * EPS)  # D~_mu = D_mu when mu = rho
    assert np.isclose(softmax_pg.mei_rate_bound(GRID, r3, c, mu=RHO), EPS)
    for eta in (0.01, ETA_NPG, 1.0):
        r6 = (np.log(A) / eta + 1 / (1 - GAMMA) ** 2) / EPS
        assert np.isclose(npg.npg_bound(r6, eta, A, GAMMA), EPS)
        assert npg.npg_bound(1 / ((1 - GAMMA) ** 2 * EPS), eta, A, GAMMA) > EPS  # log|A|/eta dropped
    assert np.isclose(counts["R6"], (np.log(A) / ETA_NPG + 1 / (1 - GAMMA) ** 2) / EPS)

    def linear(count, bound):
        """bound(count) <= eps, but bound(0.9 count) > eps: the count suffices, and not by much."""
        return bound(np.ceil(count)) <= EPS < bound(np.floor(0.9 * count))

    r8 = THETA_RHO * np.log(2 / ((1 - GAMMA) * EPS))
    xiao = lambda t, vartheta=THETA_RHO: (1 - 1 / vartheta) ** t * 2 / (1 - GAMMA)  # noqa: E731
    assert np.isclose(counts["R8"], r8) and linear(r8, xiao)
    assert xiao(np.ceil(np.log(2 / ((1 - GAMMA) * EPS)) / (1 - GAMMA))) > EPS  # the horizon for vartheta_rho
    error0 = 1 / (1 - GAMMA)  # value iteration from V_0 = 0: the error is at most the largest value
    assert np.max(np.abs(V_STAR)) <= error0
    r0 = np.log(error0 / EPS) / (1 - GAMMA)
    assert linear(r0, lambda t: GAMMA**t * error0)
    V = np.zeros(S)
    for _ in range(int(np.ceil(r0))):
        V = (GRID.r + GAMMA * GRID.P @ V).max(axis=1)
    assert np.max(np.abs(V - V_STAR)) <= EPS  # value iteration itself, after R0's count
    assert GAMMA ** np.ceil(np.log(error0 / EPS)) * error0 > EPS  # the count without its 1/(1-gamma)
    for phi0 in (0.5, 20.0):
        assert linear(np.log(phi0 / EPS) / (1 - GAMMA), lambda t: GAMMA**t * phi0)  # R9
    tau = 0.01
    for eta in ((1 - GAMMA) / tau, 0.3 * (1 - GAMMA) / tau):
        q_bound = lambda t: npg.cen_bounds(GRID, eta, tau, [t], np.full((S, A), 1 / A))[0][0]  # noqa: E731
        # the bound on Q^(t+1) is C_1 gamma (1 - eta tau)^t: iterate 1 + log(C_1 gamma / eps) / (eta tau)
        assert linear(np.log(q_bound(0) / EPS) / (eta * tau), q_bound)


def npg_gaps():
    return np.array([V_STAR_RHO - value(np.exp(lp)) @ RHO for lp in npg_logs()])


def pmd_gaps():
    return np.array([V_STAR_RHO - value(np.exp(lp)) @ RHO for lp in pmd_logs()])


def first_within(gaps):
    return int(np.flatnonzero(gaps <= EPS)[0])


@pytest.mark.slow
def test_each_method_reaches_the_target_within_its_guarantee_and_the_bounds_hold():
    """The illustration of the section (no check on the page: the bounds are loose there)."""
    assert first_within(npg_gaps()) <= 2 / ((1 - GAMMA) ** 2 * EPS)
    assert first_within(pmd_gaps()) <= THETA_RHO * np.log(2 / ((1 - GAMMA) * EPS))
    assert pga_gaps().size - 1 <= PGA_GUARANTEE
    best = np.minimum.accumulate(pga_gaps())
    assert np.all(best[1:] <= np.sqrt(PGA_GUARANTEE * EPS**2 / np.arange(1, best.size)))


@pytest.mark.slow
def test_the_numbers_the_prose_states():
    assert round(D, 1) == 9.7
    assert round(THETA_RHO, 1) == 97.3
    assert round(V_STAR_RHO, 3) == 0.462
    npg = npg_gaps()
    T = np.arange(1, npg.size)
    npg_ratio = np.max(npg[1:] / (np.log(A) / (ETA_NPG * T) + 1 / ((1 - GAMMA) ** 2 * T)))
    pmd = pmd_gaps()
    k = np.arange(pmd.size)
    pmd_ratio = np.max(pmd / ((1 - 1 / THETA_RHO) ** k * 2 / (1 - GAMMA)))
    best = np.minimum.accumulate(pga_gaps())[1:]
    ga_ratio = np.max(best / np.sqrt(PGA_GUARANTEE * EPS**2 / np.arange(1, best.size + 1)))
    assert max(npg_ratio, pmd_ratio, ga_ratio) < 0.1  # "no gap ever comes within a tenth of its bound"
    guarantees = np.array([
        PGA_GUARANTEE,
        320 * S**2 * A**2 * D**2 / ((1 - GAMMA) ** 6 * EPS**2),
        2 / ((1 - GAMMA) ** 2 * EPS),
        THETA_RHO * np.log(2 / ((1 - GAMMA) * EPS)),
    ])
    assert int(np.log10(guarantees.max() / guarantees.min())) == 14  # "fourteen orders"
    decades = np.log10(np.r_[guarantees[2:] / [first_within(npg), first_within(pmd)],
                             PGA_GUARANTEE / (pga_gaps().size - 1)])
    assert 1 <= decades.min() < 2 and 8.5 <= decades.max() < 9.5  # "one to nine decades"


def softmax_pg_gaps(eta, T):
    """Softmax PG by hand: theta += eta/(1-gamma) d(s) pi(a|s) A(s,a) from the uniform policy."""
    theta, gaps = np.zeros((S, A)), []
    for _ in range(T + 1):
        pi = np.exp(theta - theta.max(axis=1, keepdims=True))
        pi /= pi.sum(axis=1, keepdims=True)
        V = value(pi)
        gaps.append(V_STAR_RHO - RHO @ V)
        P_pi = np.einsum("sa,sat->st", pi, GRID.P)
        d = (1 - GAMMA) * np.linalg.solve((np.eye(S) - GAMMA * P_pi).T, RHO)
        theta = theta + eta / (1 - GAMMA) * d[:, None] * pi * (GRID.r + GAMMA * GRID.P @ V - V[:, None])
    return np.array(gaps)


def soft_optimal_gap(tau):
    """V*(rho) - V^{pi*_tau}(rho), with pi*_tau from soft value iteration (terminal cells earn no entropy:
    the episode has ended there)."""
    V = np.zeros(S)
    for _ in range(3000):
        Q = GRID.r + GAMMA * GRID.P @ V
        V = Q.max(axis=1) + tau * np.log(np.exp((Q - Q.max(axis=1, keepdims=True)) / tau).sum(axis=1))
        V[GRID.terminal] = 0.0
    Q = GRID.r + GAMMA * GRID.P @ V
    pi = np.exp((Q - Q.max(axis=1, keepdims=True)) / tau)
    return V_STAR_RHO - RHO @ value(pi / pi.sum(axis=1, keepdims=True))


def slope(gaps, a=1000, b=10_000):
    return np.log(gaps[b] / gaps[a]) / np.log(b / a)


@pytest.mark.slow
def test_the_numbers_of_the_methods_side_by_side():
    """The closing figure's sentences: PG at R3's step does not move, at step 1 (8000 times larger) it falls
    like 1/t, NPG faster than 1/t, entropy NPG's optimum inside the sandwich, growing steps at least linearly; R6's
    bound at least ten times NPG's gap, R8's nineteen times V*(rho) after 80 iterations, R6's falling line above
    PG's flat curve at R3's step until t = 488 and below it from t = 489 on."""
    stuck = softmax_pg_gaps((1 - GAMMA) ** 3 / 8, 10_000)
    assert stuck[-1] > 0.99 * stuck[0]
    assert round(8 / (1 - GAMMA) ** 3) == 8000
    assert abs(slope(softmax_pg_gaps(1.0, 10_000)) + 1) < 0.15
    npg = np.array([V_STAR_RHO - value(np.exp(lp)) @ RHO for lp in mirror_logs(lambda k: ETA_NPG / (1 - GAMMA), 10_000)])
    assert slope(npg) < -1.2
    assert 0 < soft_optimal_gap(0.01) <= 0.01 * np.log(A) / (1 - GAMMA)
    pmd = np.array([V_STAR_RHO - value(np.exp(lp)) @ RHO for lp in mirror_logs(lambda k: ETA0_PMD / GAMMA**k, 80)])
    assert pmd[-1] < 1e-12 and np.all(np.diff(np.log(pmd)) < 0)  # down by 11 decades in 80 steps
    assert np.log(pmd[-1] / pmd[0]) / 80 < np.log(1 - 1 / THETA_RHO)  # "at least linearly": faster than R8's rate
    T = np.arange(1, 10_001)
    npg_bound = np.log(A) / (ETA_NPG * T) + 1 / ((1 - GAMMA) ** 2 * T)
    assert np.all(npg_bound >= 10 * npg[1:])
    assert np.all(np.diff(npg_bound) < 0)  # "R6's line, which falls like 1/t, passes below the flat curve"
    above = stuck[1:] > npg_bound  # "... of softmax PG at R3's step from t = 489 on"
    assert np.flatnonzero(above)[0] + 1 == 489 and above[488:].all()
    pmd_bound = (1 - 1 / THETA_RHO) ** 80 * 2 / (1 - GAMMA)
    assert round(pmd_bound / V_STAR_RHO) == 19 and GRID.r.min() >= 0


# --- the table: every row points at a chapter, and the checks that hold it --------------------

#: The checks that hold each row of the page's tables, by what they hold. The page says this in words
#: (its reader sees no check ids); this table names the ids, and the tests below keep the two in step:
#: the kinds each row's line names, the chapters it links, and the counts the prose states.
ROW_CHECKS = {
    "R0": {"constant": ["mdps/value-iteration-rate"]},
    "R1": {"proof step": ["landscape/gradient-domination", "landscape/smoothness-constant"],
           "scaling": ["landscape/rare-state-iterations-exact"]},
    "R2": {"proof step": ["softmax_pg/step-gains-eta-gradient-squared"]},
    "R3": {"proof step": ["softmax_pg/nl-inequality-along-run"],
           "scaling": ["softmax_pg/bandit-gap-falls-like-one-over-t",
                       "softmax_pg/bandit-t-gap-limit", "softmax_pg/plateau-grows-like-one-over-p0"]},
    "R4": {"proof step": ["softmax_pg/barrier-gap-exact-at-stationarity"],
           "scaling": ["softmax_pg/barrier-bias-linear-in-lambda"]},
    "R5": {"proof step": ["softmax_pg/entropy-lojasiewicz-exponent", "softmax_pg/plain-lojasiewicz-exponent"],
           "scaling": ["softmax_pg/soft-gap-slope-from-hessian"]},
    "R6": {"scaling": ["npg/fixed-step-count"],
           "proof step": ["npg/regret-identity", "npg/improvement-every-state",
                          "summary/npg-improvement-every-state"]},
    "R7": {"constant": ["npg/cen-soft-q-bound", "npg/cen-log-policy-bound", "npg/sandwich-bias"]},
    "R8": {"proof step": ["npg/xiao-proposition-9", "summary/pmd-proposition-9"]},
    "R9": {"proof step": ["npg/lan-stationary-identity"], "convention": ["npg/lan-step"]},
    "R10": {"proof step": ["vanishing/uniform-value-bound"],
            "scaling": ["vanishing/gradient-decay-law", "vanishing/pg-plateau-law"]},
    "R11": {"constant": ["estimation/reinforce-mean-is-gradient", "estimation/baseline-keeps-mean"]},
    "R12": {"scaling": ["estimation/truncation-bias-rate"]},
    "R13": {"proof step": ["approximation/mirror-descent-identity"],
            "scaling": ["approximation/average-gap-exponent", "approximation/excess-risk-exponent"]},
    "R13b": {"proof step": ["approximation/curvature-step", "approximation/neural-beta-outgrows-start"]},
    "R13c": {"constant": ["approximation/corridor-optimum"]},
    "R14": {"constant": ["trust_regions/cpi-visitation-shift-tight", "trust_regions/cpi-improvement-tight-instance"]},
    "R15": {"constant": ["trust_regions/trpo-bound-tight-instance"]},
}

#: A row of a table: its label, its method (in Table 1 with its display), its guarantee (in Table 1 its rate),
#: the columns that tell the rows apart (iterations, step, how sharp on the book's examples) and its chapter
#: cell, last.
ROW = re.compile(r"^\| \*\*(R\d+[a-z]?)\*\* ([^|]+) \| ([^|]+) \|(?: [^|]+ \|)* ([^|]+) \|$")
#: The header of a table: method, guarantee, the columns that tell the rows apart, the chapter last.
HEADER = re.compile(r"^\| [^|]+ \| [^|]+ \|(?: [^|]+ \|)* Chapter \|$")
#: The column every table of guarantees has: how close its bounds came on the book's own examples.
SHARP = "how sharp on the book's examples"
#: A row's entry in the dropdown under its table, which states it as a labelled display.
DETAIL = re.compile(r"^- \*\*(R\d+[a-z]?)\.\*\* ")
DROPDOWN = re.compile(r"^````\{admonition\} Table (\d) in full")
#: The table of checks: one line per row and kind of check, its chapter and the wrong claim it rejects.
CHECK_HEADER = "| Row | Check | Chapter | Wrong claim it rejects |"
CHECK_ROW = re.compile(r"^\| (R\d+[a-z]?) \| (constant|scaling|proof step|convention|illustration): [^|]+"
                       r"\| ([^|]+) \| ([^|]+) \|$")
EQ = re.compile(r"\{eq\}`(eq-sum-[\w-]+)`")
LABEL = re.compile(r"^\s*\$\$ \((eq-sum-[\w-]+)\)$")
DOC = re.compile(r"\{doc\}`(?:[^`<]*<([^>`]+)>|([^`<>]+))`")
PENDING = re.compile(r"Chapter: [^(|]+ \((book/[\w/]+)\)<!-- link: ([\w./]+) -->")
HERE = re.compile(r"\{ref\}`[^`]*<sec-sum-[\w-]+>`")


def resolve(target):
    """A {doc} target relative to book/approximation/ as a repository path without suffix."""
    return (PAGE.parent / target).resolve().relative_to(ROOT).as_posix()


def toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return {chapter["file"] for part in toc["parts"] for chapter in part["chapters"]}


def page_lines():
    return PAGE.read_text().splitlines()


def table_lines():
    """The page's table rows, by label, with the number of the table (1, 2, 3) each belongs to."""
    rows, table = {}, 0
    for line in page_lines():
        if HEADER.match(line):
            table += 1
        elif m := ROW.match(line):
            rows[m.group(1)] = (table, m.group(4))
    return rows


def details():
    """The dropdown entries, by label: (the number of the table whose dropdown holds it, its text, joined
    over its lines)."""
    found, table, label = {}, None, None
    for line in page_lines():
        if m := DROPDOWN.match(line):
            table, label = int(m.group(1)), None
        elif line.startswith("````"):
            table, label = None, None
        elif table and (m := DETAIL.match(line)):
            label = m.group(1)
            found[label] = (table, line)
        elif label and (line.startswith("  ") or not line.strip()):
            found[label] = (table, found[label][1] + " " + line.strip())
        else:
            label = None
    return found


def check_lines():
    """The table of checks, in order: (row label, kind, chapter cell, wrong claim)."""
    return [CHECK_ROW.match(line).groups() for line in page_lines() if CHECK_ROW.match(line)]


def table_rows():
    """For each row: the chapters it links (in its chapter cell, its dropdown entry or its lines of the table
    of checks; "below" for this page's own section), and the chapters not merged yet that it names."""
    rows, said = {}, details()
    checked = {}
    for label, _, chapter, _ in check_lines():
        checked[label] = checked.get(label, "") + " " + chapter
    for label, (_, cell) in table_lines().items():
        text = cell + " " + said.get(label, (None, ""))[1] + checked.get(label, "")
        live = {resolve(a or b) for a, b in DOC.findall(text)}
        if HERE.search(text):
            live.add("book/approximation/summary")
        pending = {path for path, _ in PENDING.findall(text)}
        for path, target in PENDING.findall(text):
            assert resolve(target) == path, f"{label}: link target {target} is not {path}"
        rows[label] = (live, pending)
    return rows


def holds():
    """For each row of the tables: the kinds of check the table of checks names for it ("illustration", a
    bound only drawn, is not a check). A check names the wrong claim it rejects; an illustration none."""
    found = {}
    for label, kind, _, wrong in check_lines():
        if kind == "illustration":
            assert wrong.strip() == "—", f"{label}: an illustration rejects no claim, the table says {wrong!r}"
        else:
            assert wrong.strip() not in ("", "—"), f"{label}: its {kind} check names no wrong claim"
        found.setdefault(label, set())
        if kind != "illustration":
            found[label].add(kind)
    return found


def test_the_tables_map_the_theory_and_their_dropdowns_every_row_in_order():
    """Each table of guarantees has the method, the guarantee and the chapter, and a column saying how sharp
    its bounds are on the book's examples; Table 1 also the rate and step its rows differ in, and the iterations
    each needs, where the third thing they differ in, the mismatch coefficient, appears. The dropdown under each table has one entry per row of that table, in order; the
    only other table is the table of checks, an appendix after the exercises, whose lines follow the rows'
    order."""
    lines = [line for line in page_lines() if line.startswith("| ") and line.endswith(" |")]
    headers = [line for line in lines if not ROW.match(line) and not CHECK_ROW.match(line)]
    assert headers.count(CHECK_HEADER) == 1, headers
    assert len(headers) == 4 and all(HEADER.match(h) for h in headers if h != CHECK_HEADER), headers
    guarantees = [h for h in headers if h != CHECK_HEADER]
    assert all(f"| {SHARP} |" in h for h in guarantees), guarantees
    assert all(column in guarantees[0] for column in ("rate", "iterations", "step")), guarantees[0]
    for line in page_lines():  # every row fills every column of its table
        if ROW.match(line):
            assert line.count(" | ") in {h.count(" | ") for h in guarantees}, line
    text = PAGE.read_text()
    assert text.index(CHECK_HEADER) > text.index("## Exercises"), "the table of checks is the appendix"
    rows = table_lines()
    said = details()
    assert list(said) == list(rows)
    for label, (table, _) in rows.items():
        assert said[label][0] == table, f"{label} is in Table {table} but detailed under Table {said[label][0]}"
    order = list(dict.fromkeys(label for label, *_ in check_lines()))
    assert order == list(rows), order


def test_every_row_cites_the_display_its_entry_labels():
    """A row's guarantee is a labelled display in its dropdown entry (or, for R13, after its table), and its
    table cites it by number, in its method cell (Table 1) or its guarantee cell (Tables 2 and 3); every label
    cited is defined once."""
    text = page_lines()
    defined = [m.group(1) for line in text if (m := LABEL.match(line))]
    assert len(defined) == len(set(defined)), defined
    said = details()
    for label, cell in ((m.group(1), m.group(2) + " | " + m.group(3)) for line in text if (m := ROW.match(line))):
        cited = EQ.findall(cell)
        assert cited, f"{label}: neither its method nor its guarantee cell cites a display"
        for eq in cited:
            assert eq in defined, f"{label}: {eq} is not a labelled display of the page"
        assert label == "R13" or any(f"$$ ({eq})" in said[label][1] for eq in cited), (
            f"{label}: its dropdown entry does not hold the display its cell cites")


@functools.cache
def book_check_ids():
    """The ids of every check call in the chapters of _toc.yml."""
    return {i for calls in source_checks(sorted(toc_files())).values() for i, _ in calls if i}


def test_every_row_links_a_chapter_and_says_what_holds_it():
    rows = table_rows()
    for label, (_, cell) in table_lines().items():
        assert DOC.search(cell) or PENDING.search(cell), f"{label}: its chapter cell links no chapter"
    # R0, R1, ... in order; R13b, R13c (further results of R13's chapter) follow R13
    numbers = [int(label[1:].rstrip("bcdefgh")) for label in rows]
    first = [i for i, n in enumerate(numbers) if n not in numbers[:i]]
    assert [numbers[i] for i in first] == list(range(len(first))) and len(rows) >= 18, list(rows)
    expected = [f"R{n}" + ("" if k == 0 else "bcdefgh"[k - 1])
                for n in range(len(first)) for k in range(numbers.count(n))]
    assert list(rows) == expected, list(rows)
    said = holds()
    assert list(said) == list(rows)
    assert list(ROW_CHECKS) == list(rows), "ROW_CHECKS must name the page's rows, in order"
    for label, (live, pending) in rows.items():
        assert live or pending, f"{label} links no chapter"
        assert said[label] == set(ROW_CHECKS[label]), (
            f"{label}: the page says {sorted(said[label])}, the checks hold {sorted(ROW_CHECKS[label])}")


def test_page_shows_no_check_ids():
    """Check ids are for the HTML's data-id and the tests, not for the reader."""
    shown = sorted({i for i in book_check_ids() if i in PAGE.read_text()} - {
        i for i in book_check_ids() if i.startswith("summary/")})
    assert not shown, f"check ids written in the page's text: {shown}"


def test_every_check_id_named_is_a_check_of_the_book():
    named = {i for kinds in ROW_CHECKS.values() for ids in kinds.values() for i in ids}
    missing = sorted(named - book_check_ids())
    assert not missing, f"check ids in ROW_CHECKS that no chapter has: {missing}"


def test_the_ids_of_a_row_belong_to_the_chapters_it_links():
    rows = table_rows()
    for label, kinds in ROW_CHECKS.items():
        live, pending = rows[label]
        stems = {Path(c).name for c in live | pending}
        for i in (i for ids in kinds.values() for i in ids):
            assert i.split("/")[0] in stems, f"{label}: {i} is not a check of a chapter the row links"


def test_every_row_is_held_by_a_check_that_can_fail():
    assert all(ROW_CHECKS.values()), f"rows held by no check: {[k for k, v in ROW_CHECKS.items() if not v]}"
    assert all(holds()[label] for label in ROW_CHECKS)


def test_pending_links_are_not_yet_in_the_toc():
    toc = toc_files()
    pending = set().union(*(p for _, p in table_rows().values()))
    pending |= {path for line in page_lines() for path, _ in PENDING.findall(line)}
    merged = sorted(pending & toc)
    assert not merged, f"switch these links on to {{doc}} (they are in _toc.yml now): {merged}"


def test_every_doc_link_on_the_page_is_in_the_toc():
    toc = toc_files()
    targets = {resolve(a or b) for line in page_lines() for a, b in DOC.findall(line)}
    assert targets and targets <= toc, sorted(targets - toc)
