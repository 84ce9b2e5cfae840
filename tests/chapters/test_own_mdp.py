"""Chapter 13 (book/yours/own_mdp.md): every check on the page, and every number its prose states.

Each check of the page has a twin here (``tests/chapters/twins.py``) that recomputes the claim
without pgbook's code path -- FrozenLake, CliffWalking and the corridor written out by hand from
their descriptions (``tests/handbuilt.py``) instead of loaded, values by plain numpy solves and
value iteration, the gradient by complex-step differentiation, softmax PG written out in numpy,
episodes sampled by numpy instead of Gymnasium -- feeds it to the page's own check, and feeds the
same check the claim a careless reader would make, which it must reject. The last tests cover the
numbers the prose states.
"""

import functools

import gymnasium
import numpy as np
import pytest

import handbuilt as hb
import oracle
import pgbook
from chapters.twins import twin
from pgbook import loaders
from pgbook.theory import estimation

GAMMA = 0.99
CORRIDOR = ["S.........", "########..", "G........."]


def softmax(theta):
    z = np.exp(theta - theta.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def frozen(gamma=GAMMA):
    P, r, terminal, rho = hb.frozen_lake()
    return P, r, gamma, terminal, rho


# --- the loaded table is the environment --------------------------------------------------------


def gym_frequencies(env_id, live, actions, n, seed):
    """How often Gymnasium's env.step moves each (s, a) to each s' in n tries, s in ``live``."""
    env = gymnasium.make(env_id).unwrapped
    env.reset(seed=seed)
    counts = np.zeros((len(live), 4, env.observation_space.n))
    for k, s in enumerate(live):
        for a, gym_action in enumerate(actions):
            for _ in range(n):
                env.s = s
                counts[k, a, env.step(gym_action)[0]] += 1
    return counts / n


@twin("own_mdp/gym-table-is-the-environment",
      wrong={"ice-is-not-slippery": dict(slippery=False), "cliff-in-gymnasiums-order": dict(order="gymnasium")})
def gym_table_is_the_environment(page, slippery=True, order="pgbook"):
    """env.step's frequencies (another seed) against FrozenLake and CliffWalking written out by hand;
    the careless reader expects the ice to obey, or CliffWalking's actions in Gymnasium's numbering."""
    freq, expected, tries = [], [], []
    for (P, _, terminal, _), env_id, actions, n in (
            (hb.frozen_lake(slippery), "FrozenLake-v1", range(4), 2000),
            (hb.cliff_walking(order), "CliffWalking-v1", loaders.CLIFF_WALKING_ACTIONS, 20)):
        live = np.flatnonzero(~terminal)
        f = gym_frequencies(env_id, live, actions, n, seed=7)
        possible = (f > 0) | (P[live] > 0)
        freq.append(f[possible])
        expected.append(P[live][possible])
        tries.append(np.full(possible.sum(), n))
    freq, expected, tries = (np.concatenate(x) for x in (freq, expected, tries))
    page.zscore(freq, np.sqrt(expected * (1 - expected) / tries), expected)


# --- where the gap lies, and why PG is slow there -----------------------------------------------


@functools.cache
def frozen_parts():
    """FrozenLake at gamma = 0.99 by hand: pi* (value iteration), the uniform policy's values and
    advantages, both visitations from the start (plain solves)."""
    P, r, gamma, terminal, rho = frozen()
    _, a_star = hb.value_iteration(P, r, gamma)
    pi_star = np.eye(4)[a_star]
    pi_0 = np.full((16, 4), 0.25)
    V_star, V_0 = oracle.value(P, r, gamma, pi_star), oracle.value(P, r, gamma, pi_0)
    adv_0 = r + gamma * P @ V_0 - V_0[:, None]
    occupancy_star, nu_0 = oracle.occupancy(P, gamma, pi_star, rho), oracle.occupancy(P, gamma, pi_0, rho)
    return dict(P=P, r=r, gamma=gamma, rho=rho, pi_star=pi_star, V_star=V_star, V_0=V_0, adv_0=adv_0,
                d_star=(1 - gamma) * occupancy_star, d_0=(1 - gamma) * nu_0)


@twin("own_mdp/gap-splits-over-states",
      wrong={"normalised-visitation": dict(weights="normalised"), "uniform-policys-visitation": dict(weights="uniform")})
def gap_splits_over_states(page, weights="occupancy"):
    """The performance difference lemma's terms by plain solves against the gap from the values; the
    careless reader weighs by d* itself (dropping 1/(1 - gamma)), or by the uniform policy's visitation."""
    f = frozen_parts()
    d = {"occupancy": f["d_star"] / (1 - f["gamma"]), "normalised": f["d_star"],
         "uniform": f["d_0"] / (1 - f["gamma"])}[weights]
    terms = d * np.sum(f["pi_star"] * f["adv_0"], axis=1)
    page.close(terms.sum(), f["rho"] @ (f["V_star"] - f["V_0"]))


def complex_step_gradient(P, r, gamma, rho, theta, h=1e-30):
    """dV(rho)/dtheta by complex-step differentiation: Im V(theta + i h e_k) / h, exact to round-off."""
    grad = np.zeros_like(theta)
    for index in np.ndindex(theta.shape):
        t = theta.astype(complex)
        t[index] += 1j * h
        z = np.exp(t - t.real.max(axis=1, keepdims=True))
        pi = z / z.sum(axis=1, keepdims=True)
        P_pi = np.einsum("sa,sat->st", pi, P)
        V = np.linalg.solve(np.eye(len(P)) - gamma * P_pi, np.sum(pi * r, axis=1))
        grad[index] = (rho @ V).imag / h
    return grad


@twin("own_mdp/pg-step-is-npg-step-times-visitation",
      wrong={"without-one-over-the-actions": dict(per_action=False), "optimal-visitation": dict(visitation="optimal")})
def pg_step_is_npg_step_times_visitation(page, per_action=True, visitation="uniform"):
    """PG's first step by complex-step differentiation, NPG's as eta A/(1 - gamma) by a plain solve; the
    careless reader forgets pi_0(a|s) = 1/|A|, or weighs by where pi* goes."""
    f = frozen_parts()
    pg = complex_step_gradient(f["P"], f["r"], f["gamma"], f["rho"], np.zeros((16, 4)))
    npg = f["adv_0"] / (1 - f["gamma"])
    d = f["d_0"] if visitation == "uniform" else f["d_star"]
    page.close(pg, npg * d[:, None] / (4 if per_action else 1))


# --- the corridor's plateau ---------------------------------------------------------------------


@functools.cache
def corridor_speedup(gamma, eta=1.0, T=5000):
    """8 t10/(t90 - t10) of softmax PG written out in numpy on the corridor built by hand, from the uniform
    policy, with the gap at the start: t10 and t90 the first iterations with 10% and 90% of it closed."""
    P, r, _, rho = hb.grid(CORRIDOR, slip=0.1)
    V_star = oracle.value(P, r, gamma, np.eye(4)[hb.value_iteration(P, r, gamma)[1]])
    theta = np.zeros((len(P), 4))
    gaps = []
    for _ in range(T):
        pi = softmax(theta)
        V = oracle.value(P, r, gamma, pi)
        gaps.append(rho @ (V_star - V))
        if gaps[-1] <= 0.1 * gaps[0]:
            break
        d = (1 - gamma) * oracle.occupancy(P, gamma, pi, rho)
        adv = r + gamma * P @ V - V[:, None]
        theta = theta + eta * d[:, None] * pi * adv / (1 - gamma)
    gaps = np.array(gaps)
    t10, t90 = np.argmax(gaps <= 0.9 * gaps[0]), len(gaps) - 1
    return 8 * t10 / (t90 - t10)


def corridor_rows(width):
    """The page's corridor, ``width`` cells to a row."""
    return ["S" + "." * (width - 1), "#" * (width - 2) + "..", "G" + "." * (width - 1)]


def corridor_plateau(width):
    """t10, the first iteration at which softmax PG written out in numpy (eta = 1, from the uniform policy and
    the start cell) has closed 10% of its gap on the corridor built by hand, ``width`` cells to a row."""
    return corridor_plateau_end(width)[0]


@functools.cache
def corridor_plateau_end(width, gamma=0.95, T=20_000):
    """``(t10, pi)``: the iteration of :func:`corridor_plateau` and PG's policy then."""
    P, r, _, rho = hb.grid(corridor_rows(width), slip=0.1)
    V_star = oracle.value(P, r, gamma, np.eye(4)[hb.value_iteration(P, r, gamma)[1]])
    theta = np.zeros((len(P), 4))
    for t in range(T):
        pi = softmax(theta)
        V = oracle.value(P, r, gamma, pi)
        gap = rho @ (V_star - V)
        if t == 0:
            first = gap
        elif gap <= 0.9 * first:
            return t, pi
        d = (1 - gamma) * oracle.occupancy(P, gamma, pi, rho)
        theta = theta + d[:, None] * pi * (r + gamma * P @ V - V[:, None]) / (1 - gamma)
    raise AssertionError(f"width {width}: PG closed less than 10% of its gap in {T} iterations")


@twin("own_mdp/corridor-plateau-grows-with-width",
      wrong={"the-plateau-grows-like-the-width": dict(law="linear"),
             "the-plateau-doubles-with-two-more-cells": dict(law="doubles"),
             "the-plateau-grows-like-the-visitation-falls": dict(law="six")})
def corridor_plateau_grows_with_width(page, law="measured"):
    """The growth t10(w + 2)/t10(w), w = 6..12, of PG's plateau from numpy runs on the corridors built by hand;
    the careless reader expects the plateau to grow like the corridor's length, (w + 2)/w, to double, or to
    grow six times, as the uniform policy's visitation of the last two cells falls."""
    widths = np.arange(6, 13)
    if law == "linear":
        growth = (widths + 2) / widths
    elif law == "doubles":
        growth = np.full(widths.size, 2.0)
    elif law == "six":  # the factor by which the uniform policy's visitation of the last two cells falls
        growth = np.full(widths.size, 6.0)
    else:
        growth = np.array([corridor_plateau(w + 2) / corridor_plateau(w) for w in widths])
    page.close(growth, 4.5)


def test_what_ends_the_corridors_plateau():
    """The page: the uniform policy's visitation (pgbook's) of the two cells before the goal falls six times
    per two more cells, 6 to 14 cells wide; on the ten-cell corridor, when PG (numpy) has closed a tenth of
    the gap, it reaches them 59 times as often as the uniform policy and plays pi*'s action there less than
    half the time: the plateau ends when PG walks the corridor, not when it learns the last two cells."""
    def before_goal(width):
        grid = pgbook.from_grid(corridor_rows(width), gamma=0.95, slip=0.1)
        cells = [grid.cells.index((2, 1)), grid.cells.index((2, 2))]
        return pgbook.visitation(grid, pgbook.uniform(grid))[cells].sum()
    d = np.array([before_goal(w) for w in range(6, 15)])
    assert np.all(np.abs(d[:-2] / d[2:] - 6) < 0.5)
    t10, pi = corridor_plateau_end(10)
    P, r, _, rho = hb.grid(corridor_rows(10), slip=0.1)
    cells = [13, 14]  # the two cells right of the goal, the hand-built grid numbering its cells row by row
    assert hb.grid(corridor_rows(10), slip=0.1)[2][12]  # the goal, left of them
    uniform = np.full_like(pi, 0.25)
    ratio = oracle.visitation(P, 0.95, pi, rho)[cells].sum() / oracle.visitation(P, 0.95, uniform, rho)[cells].sum()
    assert round(ratio) == 59
    a_star = hb.value_iteration(P, r, 0.95)[1][cells]
    assert np.all(pi[cells, a_star] < 0.5)


def test_corridor_plateau_by_the_reports_heuristic():
    """The page: on the corridor PG waits on a plateau by the report's heuristic, a speed-up of at least 2
    after its first tenth (from a numpy PG run), and with gamma = 0.99 there is none: the random walk
    finds the goal within the horizon."""
    assert corridor_speedup(0.95) >= 2.0 > corridor_speedup(0.99)


# --- gamma = 1: the value is the probability of success -----------------------------------------


def sample_successes(P, terminal, goal, actions, n, seed, limit=None):
    """Episodes from state 0 under the deterministic ``actions``, sampled by numpy from P (not by
    Gymnasium): the share that reaches ``goal`` (within ``limit`` steps, if given)."""
    rng = np.random.default_rng(seed)
    cumulative = np.cumsum(P, axis=2)
    reached = 0
    for _ in range(n):
        s, steps = 0, 0
        while not terminal[s] and (limit is None or steps < limit):
            s = int(np.searchsorted(cumulative[s, actions[s]], rng.random(), side="right"))
            s = min(s, len(P) - 1)
            steps += 1
        reached += s == goal
    return reached / n


@twin("own_mdp/episodic-value-is-success-probability",
      wrong={"the-discounted-value": dict(claim_gamma=GAMMA), "within-the-time-limit": dict(limit=100)})
def episodic_value_is_success_probability(page, claim_gamma=1.0, limit=None):
    """Successes of pi* (value iteration at gamma = 1) sampled by numpy, against V*(s0) by value iteration;
    the careless reader takes the discounted V* for the probability, or forgets Gymnasium's time limit."""
    P, r, terminal, _ = hb.frozen_lake()
    V_1, actions = hb.value_iteration(P, r, 1.0, terminal)
    success = sample_successes(P, terminal, 15, actions, 2000, seed=11, limit=limit)
    claimed = V_1[0] if claim_gamma == 1.0 else hb.value_iteration(P, r, claim_gamma)[0][0]
    page.zscore(success, np.sqrt(success * (1 - success) / 2000), claimed)


@twin("own_mdp/up-never-terminates", wrong={"every-policy-terminates": dict(claim_all=True)})
def up_never_terminates(page, claim_all=False):
    """The probability that 'up' everywhere ends an episode within 1,000 steps, by numpy's matrix powers
    on the hand-built lake, times the page's 200 episodes; the careless reader assumes every FrozenLake
    policy terminates, as gamma = 1 would need."""
    P, _, terminal, rho = hb.frozen_lake()
    reach = rho @ np.linalg.matrix_power(P[:, 3, :], 1000)
    page.equal(int(round(200 * reach[terminal].sum())), 200 if claim_all else 0)


# --- rescaling rewards --------------------------------------------------------------------------


@twin("own_mdp/rescaling-keeps-the-optimal-policy", wrong={"terminal-kept-at-zero": dict(careless=True)})
def rescaling_keeps_the_optimal_policy(page, careless=False):
    """pi* of CliffWalking and of its rescaled rewards by value iteration, on the states pi* visits; the
    careless rescaling leaves the goal terminal with reward 0, and then never arriving pays more."""
    P, r, terminal, rho = hb.cliff_walking()
    _, a_star = hb.value_iteration(P, r, GAMMA, terminal)
    lo, hi = r.min(), r.max()
    if careless:
        r_new = np.where(terminal[:, None], 0.0, (r - lo) / (hi - lo))
        _, a_new = hb.value_iteration(P, r_new, GAMMA, terminal)
    else:
        _, a_new = hb.value_iteration(P, (r - lo) / (hi - lo), GAMMA)
    visited = oracle.occupancy(P, GAMMA, np.eye(4)[a_star], rho) > 0
    page.equal(a_new[visited], a_star[visited])


@functools.cache
def rescaled_cliff_pg(eta=1.0, T=2000):
    """Softmax PG written out in numpy on CliffWalking built by hand, its rewards rescaled to [0, 1]
    (every state's, the goal's included), from the uniform policy for T iterations (the report's
    runs stop earlier only once 99% of the gap is closed, which PG never does here): its last value
    from the start, and V'*(start) by value iteration."""
    P, r, _, rho = hb.cliff_walking()
    r = (r - r.min()) / (r.max() - r.min())
    theta = np.zeros((len(P), 4))
    for _ in range(T):
        pi = softmax(theta)
        V = oracle.value(P, r, GAMMA, pi)
        d = (1 - GAMMA) * oracle.occupancy(P, GAMMA, pi, rho)
        adv = r + GAMMA * P @ V - V[:, None]
        theta = theta + eta * d[:, None] * pi * adv / (1 - GAMMA)
    return rho @ oracle.value(P, r, GAMMA, softmax(theta)), rho @ hb.value_iteration(P, r, GAMMA)[0]


@twin("own_mdp/rescaled-pg-stalls-at-never-arriving",
      wrong={"never-arriving-pays-one-a-step": dict(claim="one a step"),
             "rescaling-removes-the-stall": dict(claim="optimum")})
def rescaled_pg_stalls_at_never_arriving(page, claim="never arriving"):
    """PG's last value on the rescaled CliffWalking, from a numpy run, against the value of never
    arriving, 0.99/(1 - gamma) (a step pays (-1 + 100)/100); the careless reader takes a rescaled
    step to pay 1, or expects rescaling to cure the stall and PG to reach V'*(start)."""
    V_T, V_star = rescaled_cliff_pg()
    claimed = {"never arriving": 0.99 / (1 - GAMMA), "one a step": 1 / (1 - GAMMA), "optimum": V_star}[claim]
    page.close(V_T, claimed)


ETA_T = np.array([1, 3, 10, 30, 100, 300])


@functools.cache
def rescaled_cliff_gaps(eta, eta_t_end=300):
    """Softmax PG written out in numpy on CliffWalking built by hand, rewards rescaled to [0, 1], from the
    uniform policy at step eta until eta t = eta_t_end: its gap V'*(start) - V(start) at eta t in ETA_T, and
    the smallest probability of pi*'s action on the states pi* visits at the end."""
    P, r, _, rho = hb.cliff_walking()
    r = (r - r.min()) / (r.max() - r.min())
    V_star, a_star = hb.value_iteration(P, r, GAMMA)
    visited = oracle.occupancy(P, GAMMA, np.eye(4)[a_star], rho) > 0
    marks = set(np.rint(ETA_T / eta).astype(int))
    theta, gaps = np.zeros((len(P), 4)), []
    for t in range(int(round(eta_t_end / eta)) + 1):
        pi = softmax(theta)
        V = oracle.value(P, r, GAMMA, pi)
        if t in marks:
            gaps.append(rho @ (V_star - V))
        d = (1 - GAMMA) * oracle.occupancy(P, GAMMA, pi, rho)
        adv = r + GAMMA * P @ V - V[:, None]
        theta = theta + eta * d[:, None] * pi * adv / (1 - GAMMA)
    return np.array(gaps), pi[visited, a_star[visited]].min()


@twin("own_mdp/cliff-stall-not-the-step",
      wrong={"equal-iterations": dict(compare="iterations"), "a-hundredth-of-the-step-closes-it": dict(compare="closed")})
def cliff_stall_not_the_step(page, compare="eta t"):
    """PG's gaps on the rescaled CliffWalking at equal eta t, from numpy runs at eta = 1, 0.1 and 0.01; the
    careless reader compares the steps at equal iterations (the gap after 300 iterations at each step), or
    expects a hundredth of the step to close the gap (within 0.01 of 0)."""
    gap = {eta: rescaled_cliff_gaps(eta)[0] for eta in (1.0, 0.1, 0.01)}
    if compare == "iterations":  # at t = 300 iterations: eta t = 300, 30 and 3
        gap = {1.0: gap[1.0], 0.1: np.full(6, gap[0.1][3]), 0.01: np.full(6, gap[0.01][1])}
    elif compare == "closed":
        gap[0.01] = np.zeros(6)
    page.close(np.concatenate([gap[0.1][2:], gap[1.0][4:]]), np.concatenate([gap[0.01][2:], gap[0.01][4:]]))


@twin("own_mdp/cliff-large-step-ahead", wrong={"the-large-step-falls-behind": dict(claim="behind")})
def cliff_large_step_ahead(page, claim="ahead"):
    """PG's gaps at eta t = 1, 3 and 10 from numpy runs at eta = 1 and 0.01; the careless reader expects the
    large step to overshoot and fall behind the small one early on."""
    large, small = rescaled_cliff_gaps(1.0)[0][:3], rescaled_cliff_gaps(0.01)[0][:3]
    if claim == "ahead":
        page.bound(large, small)
    else:
        page.bound(small, large)


def test_the_numbers_of_the_step_sweep():
    """The page: the gaps at eta t = 1 (1.73, 2.50, 2.57), the common stall 0.88 at eta t = 300 and the
    smallest probabilities of pi*'s action in the last row, from numpy runs; the runs agree as the prose says."""
    runs = {eta: rescaled_cliff_gaps(eta) for eta in (1.0, 0.1, 0.01)}
    gap = {eta: g for eta, (g, _) in runs.items()}
    assert [round(gap[eta][0], 2) for eta in (1.0, 0.1, 0.01)] == [1.73, 2.50, 2.57]
    assert {round(g[-1], 2) for g in gap.values()} == {0.88}
    assert np.abs(gap[0.1][2:] - gap[0.01][2:]).max() <= 0.01 < np.abs(gap[0.1][:2] - gap[0.01][:2]).max()
    assert np.abs(gap[1.0][4:] - gap[0.01][4:]).max() <= 0.01 < np.abs(gap[1.0][3] - gap[0.01][3])
    assert [round(p, 3) for _, p in runs.values()] == [0.021, 0.019, 0.018]


def test_the_proven_step_is_eight_million_times_smaller():
    """The page: the step (1-gamma)^3/8 of AKLM Thm 5.1 is about 1e-7 at gamma = 0.99, eight million times
    smaller than eta = 1."""
    step = (1 - GAMMA) ** 3 / 8
    assert round(np.log10(step)) == -7 and round(1 / step) == 8_000_000


@twin("own_mdp/rescaled-stall-is-visitation", wrong={"small-optimal-action-probability": dict(quantity="policy")})
def rescaled_stall_is_visitation(page, quantity="visitation"):
    """At PG's last policy on the rescaled CliffWalking (the report's run), the cells holding most of its gap
    by the performance difference lemma, and its visitation there against pi*'s, by plain solves on the
    hand-built cliff; the careless reader blames the stall on a small pi(a*|s) there (Mei et al.'s c)."""
    P, r, _, rho = hb.cliff_walking()
    r = (r - r.min()) / (r.max() - r.min())
    _, a_star = hb.value_iteration(P, r, GAMMA)
    pi_star, pi_T = np.eye(4)[a_star], reports()["rescaled"].pg.pi[-1]
    V_T = oracle.value(P, r, GAMMA, pi_T)
    terms = oracle.occupancy(P, GAMMA, pi_star, rho) * np.sum(pi_star * (r + GAMMA * P @ V_T - V_T[:, None]), axis=1)
    cells = np.argsort(-terms)[:2]
    if quantity == "visitation":
        x = oracle.visitation(P, GAMMA, pi_T, rho)[cells] / oracle.visitation(P, GAMMA, pi_star, rho)[cells]
    else:
        x = pi_T[cells, a_star[cells]]
    page.bound(x, 1e-3)


# --- the numbers the prose states ----------------------------------------------------------------


@functools.cache
def reports():
    frozen_lake = pgbook.from_gymnasium("FrozenLake-v1", gamma=GAMMA)
    cliff = pgbook.from_gymnasium("CliffWalking-v1", gamma=GAMMA)
    corridor = pgbook.from_grid(CORRIDOR, gamma=0.95)
    return dict(frozen=pgbook.explain(frozen_lake), corridor=pgbook.explain(corridor), cliff=pgbook.explain(cliff),
                rescaled=pgbook.explain(cliff, rescale=True),
                everywhere=pgbook.explain(frozen_lake, mu=np.full(16, 1 / 16)))


@pytest.mark.slow
def test_the_numbers_of_frozen_lake():
    f, report = frozen_parts(), reports()["frozen"]
    assert round(f["rho"] @ f["V_star"], 3) == 0.542 and round(f["rho"] @ f["V_0"], 3) == 0.012
    assert (report.first_tenth["PG"], report.nine_tenths["PG"] - report.first_tenth["PG"]) == (402, 323)
    assert report.nine_tenths["NPG"] == 3 and report.verdict == "plateau"
    terms = f["d_star"] / (1 - GAMMA) * np.sum(f["pi_star"] * f["adv_0"], axis=1)
    gap = f["rho"] @ (f["V_star"] - f["V_0"])
    assert list(np.argsort(-terms)[:2]) == [14, 13] and round(gap, 2) == 0.53
    assert (round(terms[14], 2), round(terms[13], 2)) == (0.16, 0.13) and terms[[13, 14]].sum() > gap / 2
    ratio = f["d_star"][[13, 14]].sum() / f["d_0"][[13, 14]].sum()
    assert round(ratio) == 34  # "about 34 times less often"
    smaller = 4 / f["d_0"][[13, 14]]
    assert 6000 < smaller.min() and smaller.max() < 8500  # "six to eight thousand times smaller"
    assert report.mismatch == np.inf
    assert np.argmax(report.d_star / report.d_uniform) == 15  # "on FrozenLake the goal sets it"
    assert (report.r6_promised, report.r6_needed) == (377_594, 11_565)  # NPG's guarantee in the notes
    assert round(report.r6_promised / report.r6_needed) == 33  # "33 times the iterations its run needed"


def test_the_numbers_of_the_forest_against_pymdptoolbox_and_quantecon():
    import mdptoolbox.example
    import mdptoolbox.mdp
    import quantecon

    P, R = mdptoolbox.example.forest()
    solver = mdptoolbox.mdp.PolicyIteration(P, R, 0.9)
    solver.run()
    assert np.allclose(solver.V, [26.244, 29.484, 33.484], atol=5e-4)
    ddp = quantecon.markov.DiscreteDP(R, P.transpose(1, 0, 2), 0.9)
    assert np.allclose(ddp.solve(method="policy_iteration").v, solver.V, atol=1e-9)
    assert solver.policy[1] == 0  # wait at age 1


@pytest.mark.slow
def test_the_numbers_of_the_corridor_and_its_exercise():
    report = reports()["corridor"]
    P, r, _, rho = hb.grid(CORRIDOR, slip=0.1)
    assert round(rho @ oracle.value(P, r, 0.95, np.full((len(P), 4), 0.25)), 4) == 0.0003
    assert (report.first_tenth["PG"], report.nine_tenths["PG"] - report.first_tenth["PG"]) == (692, 471)
    assert report.nine_tenths["NPG"] == 6
    keys = report.key_states
    assert list(keys) == [13, 14] and keys.tolist() == [13, 14]
    assert 150 < report.d_star[keys].sum() / report.d_uniform[keys].sum() < 250  # "about 200 times less"
    widths = range(6, 15)  # the slider's
    sweep = [pgbook.explain(pgbook.from_grid(corridor_rows(w), gamma=0.95), T=20000) for w in widths]
    counts = np.array([r.first_tenth["PG"] for r in sweep])
    assert np.all((4 <= counts[2:] / counts[:-2]) & (counts[2:] / counts[:-2] <= 5))  # "four to five"
    assert counts[4] == 692 and [corridor_plateau(w) for w in (6, 10)] == [counts[0], counts[4]]
    npg_90 = np.array([r.nine_tenths["NPG"] for r in sweep])
    assert set(npg_90[2:] - npg_90[:-2]) <= {1, 2}  # NPG's count "grows by one or two"
    assert pgbook.explain(pgbook.from_grid(CORRIDOR, gamma=0.99)).verdict == "no plateau"


def test_the_corridors_plateau_goes_with_the_horizon_not_the_step():
    """Exercise 14.1: at gamma = 0.99 and eta = 0.2 (the step eta/(1 - gamma) = 20 of gamma = 0.95, eta = 1) PG
    has no plateau, by the numpy run's speed-up below 2; at gamma = 0.95 and eta = 5 (the step of gamma = 0.99,
    eta = 1) it keeps one; the report's counts and the uniform policy's values are the ones the prose states."""
    assert corridor_speedup(0.99, eta=0.2) < 2.0 <= corridor_speedup(0.95, eta=5.0)
    grid = pgbook.from_grid(CORRIDOR, gamma=0.95)
    counts = {(g, eta): pgbook.explain(grid.replace(gamma=g), eta=eta) for g, eta in ((0.95, 1.0), (0.95, 5.0),
                                                                                      (0.99, 0.2))}
    assert [r.first_tenth["PG"] for r in counts.values()] == [692, 140, 28]
    assert [r.verdict for r in counts.values()] == ["plateau", "plateau", "no plateau"]
    assert round(692 / 140) == 5
    P, r, _, rho = hb.grid(CORRIDOR, slip=0.1)
    V_0 = {g: rho @ oracle.value(P, r, g, np.full((len(P), 4), 0.25)) for g in (0.95, 0.99)}
    assert round(V_0[0.99], 3) == 0.041 and 100 < V_0[0.99] / V_0[0.95] < 200


@pytest.mark.slow
def test_the_numbers_of_cliff_walking():
    report, rescaled = reports()["cliff"], reports()["rescaled"]
    assert report.rewards == (-100.0, 0.0) and report.stalled
    assert round(float(report.gap_pg[-1]), 1) == 87.8
    last = pgbook.value(report.mdp, report.pg.pi[-1])[36]
    assert last == pytest.approx(-1 / (1 - GAMMA), abs=0.05)  # "worth -100, the value of never arriving"
    s = int(np.argmax(report.final_gap_share))
    p = report.pg.pi[-1][s, report.pi_star[s].argmax()]
    assert 1e-22 < p < 3e-22  # "probability 2e-22"
    assert report.nine_tenths["NPG"] == 1
    # "like NPG, PG closes 10% and 90% of the initial gap of 1060 in its first iteration. Compared at equal T,
    # after NPG's 4 iterations, PG has 87.8 of the gap (8.3%) left and NPG 3.5 (0.3%); PG still has the same
    # 87.8 after 2000 iterations"
    assert round(float(report.gap_pg[4]), 1) == 87.8 and round(float(report.gap_pg[4]) / report.gap, 3) == 0.083
    rows = {what: value for what, value, _ in report.summary()}
    assert rows["gap left by PG / NPG after the same T = 4 iterations (one exact evaluation per iteration each, "
                "so equal compute)"] == f"{float(report.gap_pg[4]):.3g} / {float(report.gap_npg[4]):.3g}"
    assert (report.first_tenth["PG"], report.nine_tenths["PG"], report.first_tenth["NPG"]) == (1, 1, 1)
    assert round(report.gap) == 1060 and report.pg.iterations == 2000
    assert round(float(report.gap_pg[-1]) / report.gap, 3) == 0.083
    assert report.npg.iterations == 4 and round(float(report.gap_npg[-1]), 1) == 3.5
    assert round(float(report.gap_npg[-1]) / report.gap, 3) == 0.003
    assert rescaled.stalled and round(float(rescaled.gap_pg[-1]), 3) == 0.878
    assert round(float(report.gap_pg[-1]) / 100, 3) == 0.878  # "that run's 87.8 in the new units"
    V_T = pgbook.value(rescaled.mdp, rescaled.pg.pi[-1])[36]
    assert V_T == pytest.approx(0.99 / (1 - GAMMA), abs=1e-3)  # "worth ... 99"
    assert np.abs(rescaled.pg.pi[-1] - report.pg.pi[-1]).max() > 0.5  # two different stalled policies


@pytest.mark.slow
def test_where_the_cliff_stalls():
    """The page: unscaled, the cell with most of PG's last gap gets pi*'s action with probability 2e-22 and is
    reached 1e-42 times as often as by pi*; rescaled, the two cells just before the goal (row 2, columns 11 and
    10) hold most of it, pi_T(a*|s) is 0.30 and 0.29 there (uniform: 0.25), they are reached about 40,000
    times less often than by pi*, and the gap creeps from 0.87808 at iteration 1000 to 0.87780 at 2000."""
    report, rescaled = reports()["cliff"], reports()["rescaled"]
    s = int(np.argmax(report.final_gap_share))
    reach = pgbook.visitation(report.mdp, report.pg.pi[-1])[s] / report.d_star[s]
    assert round(float(np.log10(reach))) == -42
    cells = np.argsort(-rescaled.final_gap_share)[:2]
    assert list(cells) == [35, 34] and [tuple(rescaled.mdp.cells[c]) for c in cells] == [(2, 11), (2, 10)]
    assert rescaled.final_gap_share[cells].sum() > 1 and rescaled.final_gap_share.min() < 0  # "more than all of it"
    pi_T = rescaled.pg.pi[-1]
    assert [round(float(p), 2) for p in pi_T[cells, rescaled.pi_star[cells].argmax(axis=1)]] == [0.30, 0.29]
    times = rescaled.d_star[cells] / pgbook.visitation(rescaled.mdp, pi_T)[cells]
    assert np.all((35_000 < times) & (times < 45_000))  # "about 40,000 times less often"
    assert (round(float(rescaled.gap_pg[1000]), 5), round(float(rescaled.gap_pg[2000]), 5)) == (0.87808, 0.8778)
    # "on the way there PG plays pi*'s action with probability as low as 0.01 (row 2, column 0, the cell above
    # the start, where pi* turns right)"
    path = np.flatnonzero(rescaled.d_star > 0)
    p_path = pi_T[path, rescaled.pi_star[path].argmax(axis=1)]
    upstream = path[np.argmin(p_path)]
    assert tuple(rescaled.mdp.cells[upstream]) == (2, 0) and round(float(p_path.min()), 2) == 0.01
    assert rescaled.pi_star[upstream].argmax() == loaders.CLIFF_WALKING_ACTIONS.index(1)  # Gymnasium's 1 is right


def test_the_numbers_of_the_episodic_section():
    P, r, terminal, _ = hb.frozen_lake()
    V_1, actions = hb.value_iteration(P, r, 1.0, terminal)
    assert round(V_1[0], 2) == 0.82
    episodic = pgbook.from_gymnasium("FrozenLake-v1", gamma=1.0)
    pi_star, _ = pgbook.policy_iteration(episodic)
    assert round(float(estimation.truncated_value(episodic, pi_star, 100)[0]), 2) == 0.74
    steps = pgbook.evaluate(episodic, pi_star).occupancy.sum()
    assert round(steps) == 49


@pytest.mark.slow
def test_the_numbers_of_the_start_everywhere_exercise():
    everywhere = reports()["everywhere"]
    assert round(everywhere.mismatch, 1) == 8.6 and everywhere.verdict == "plateau"
    mu, d_star = everywhere.mu, everywhere.d_star
    assert np.argmax(d_star / mu) == 15 and d_star[15] > 0.5  # "the goal sets it ... more than half"
    live = np.flatnonzero(~everywhere.mdp.terminal)
    assert live[np.argmax(d_star[live] / mu[live])] == 0  # "set by the start cell"
    assert round(everywhere.mismatch_live, 1) == 1.8
