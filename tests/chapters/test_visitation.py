"""Every visible check of book/gradients/visitation.md, recomputed with pgbook and compared with an
independent computation: sums and series instead of linear solves, value iteration instead of
policy iteration, finite differences instead of the policy gradient theorem, absorption
probabilities of the episodic chain."""

import numpy as np
import pytest
from conftest import central_difference, mdps, seeds
from hypothesis import given, settings

import pgbook
from pgbook import envs, features, neural

GRID = envs.gridworld()
S0 = int(np.flatnonzero(GRID.rho)[0])
RHO_FREE = (~GRID.terminal) / (~GRID.terminal).sum()
PHI = features.position_move(GRID)
ETA, T = 5.0, 500


def series_visitation(mdp, pi, rho, steps=2000):
    """(1 - gamma) sum_t gamma^t rho^T P_pi^t, summed term by term (no linear solve)."""
    P_pi = np.einsum("sa,sat->st", pi, mdp.P)
    p, d = np.asarray(rho, dtype=float), np.zeros(mdp.S)
    for t in range(steps):
        d += (1 - mdp.gamma) * mdp.gamma**t * p
        p = p @ P_pi
    return d


def iterated_value(mdp, pi, sweeps=3000):
    """V^pi by repeated Bellman backups V <- r_pi + gamma P_pi V (no linear solve)."""
    P_pi = np.einsum("sa,sat->st", pi, mdp.P)
    r_pi = (pi * mdp.r).sum(axis=1)
    V = np.zeros(mdp.S)
    for _ in range(sweeps):
        V = r_pi + mdp.gamma * P_pi @ V
    return V


def star(mdp):
    """pi* and V* from value iteration (the chapter uses policy iteration)."""
    return pgbook.value_iteration(mdp, tol=1e-13)


# -- where a policy spends its time ---------------------------------------------------------------

def test_linear_solve_equals_the_series_definition():
    pi = pgbook.uniform(GRID)
    assert np.allclose(pgbook.visitation(GRID, pi, rho=S0), series_visitation(GRID, pi, np.eye(GRID.S)[S0]),
                       rtol=0, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(mdp=mdps(max_gamma=0.9), seed=seeds)
def test_linear_solve_equals_the_series_on_random_mdps(mdp, seed):
    rng = np.random.default_rng(seed)
    pi = rng.dirichlet(np.ones(mdp.A), size=mdp.S)
    rho = rng.dirichlet(np.ones(mdp.S))
    assert np.allclose(pgbook.visitation(mdp, pi, rho=rho), series_visitation(mdp, pi, rho, steps=400),
                       rtol=0, atol=1e-12)


@pytest.mark.slow
def test_randomly_stopped_walks_end_according_to_d():
    pi = pgbook.uniform(GRID)
    n = 100_000
    sample = pgbook.sample_state_action(GRID, pi, n=n, seed=1, rho=S0)
    freq = np.bincount(sample.states, minlength=GRID.S) / n
    d = series_visitation(GRID, pi, np.eye(GRID.S)[S0])
    se = np.maximum(np.sqrt(d * (1 - d) / n), 1 / n)
    assert np.max(np.abs(freq - d) / se) <= 4.0


def test_both_visitation_measures_sum_to_one():
    pi = pgbook.uniform(GRID)
    # The weights (1 - gamma) gamma^t sum to 1 and each Pr(s_t = .) sums to 1: the total is exactly 1.
    for rho in (S0, RHO_FREE):
        assert pgbook.visitation(GRID, pi, rho=rho).sum() == pytest.approx(1.0, abs=1e-12)


def test_visitation_keeps_a_share_of_the_start_distribution():
    rng = np.random.default_rng(2)
    for _ in range(200):
        pi = rng.dirichlet(np.ones(GRID.A), size=GRID.S)
        d = pgbook.visitation(GRID, pi, rho=RHO_FREE)
        assert np.all(d >= (1 - GRID.gamma) * RHO_FREE - 1e-15)


@settings(max_examples=40, deadline=None)
@given(mdp=mdps(), seed=seeds)
def test_visitation_lower_bound_on_random_mdps(mdp, seed):
    rng = np.random.default_rng(seed)
    pi = rng.dirichlet(np.ones(mdp.A), size=mdp.S)
    mu = rng.dirichlet(np.ones(mdp.S))
    assert np.all(pgbook.visitation(mdp, pi, rho=mu) >= (1 - mdp.gamma) * mu - 1e-14)


# -- values are averages over the visitation ------------------------------------------------------

def test_value_is_the_average_reward_over_d():
    pi_star, _ = star(GRID)
    for c in (0.0, 2.0, 8.0):
        pi_c = pgbook.softmax(c * pi_star)
        r_pi = (pi_c * GRID.r).sum(axis=1)
        V = iterated_value(GRID, pi_c)
        for rho in (np.eye(GRID.S)[S0], RHO_FREE):
            d = pgbook.visitation(GRID, pi_c, rho=rho)
            assert d @ r_pi / (1 - GRID.gamma) == pytest.approx(rho @ V, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(mdp=mdps(max_gamma=0.9), seed=seeds)
def test_value_is_the_average_reward_over_d_on_random_mdps(mdp, seed):
    """AKLM section 3 on random MDPs with random softmax policies and start distributions."""
    rng = np.random.default_rng(seed)
    pi = pgbook.softmax(2.0 * rng.standard_normal((mdp.S, mdp.A)))
    rho = rng.dirichlet(np.ones(mdp.S))
    d = pgbook.visitation(mdp, pi, rho=rho)
    expected = rho @ iterated_value(mdp, pi, sweeps=400)  # gamma^400 < 1e-18
    assert d @ (pi * mdp.r).sum(axis=1) / (1 - mdp.gamma) == pytest.approx(expected, abs=1e-12)


# -- the neural policy ----------------------------------------------------------------------------

def test_backpropagated_score_matches_finite_differences():
    theta = neural.init(dim=4, hidden=8, seed=0)
    scores = neural.grad_log_pi(theta, PHI)
    for s in range(GRID.S):
        for a in range(GRID.A):
            fd = central_difference(lambda th: np.log(neural.pi(th, PHI)[s, a]), theta)
            assert np.allclose(scores[s, a], fd, rtol=0, atol=1e-8)


def test_network_policy_gradient_matches_finite_differences():
    theta = neural.init(dim=4, hidden=8, seed=0)
    fd = central_difference(lambda th: GRID.rho @ iterated_value(GRID, neural.pi(th, PHI), sweeps=600), theta)
    assert np.allclose(neural.gradient(GRID, theta, PHI), fd, rtol=0, atol=1e-8)


# -- the softmax class is complete ----------------------------------------------------------------

def test_gap_along_the_ray_is_below_the_bound():
    pi_star, V_star = star(GRID)
    adv_star = pgbook.q_value(GRID, pi_star) - V_star[:, None]
    for c in np.arange(0.0, 21.0):
        eps_c = (GRID.A - 1) / (np.exp(c) + GRID.A - 1)
        # The optimal action's probability, computed directly.
        assert 1 - pgbook.softmax(c * pi_star)[~GRID.terminal].max(axis=1) == pytest.approx(eps_c, rel=1e-9)
        gap = V_star[S0] - iterated_value(GRID, pgbook.softmax(c * pi_star))[S0]
        bound = eps_c * np.abs(adv_star).max() / (1 - GRID.gamma)
        assert -1e-12 <= gap <= bound
        assert bound <= (GRID.A - 1) * np.exp(-c) / (1 - GRID.gamma) ** 2


# -- why we like policy gradients ------------------------------------------------------------------

BIG = envs.gridworld(["." * 9 + "G", *["." * 10] * 2, "..####....", *["." * 10] * 2,
                      "....X.....", *["." * 10] * 2, "S" + "." * 9])


def test_network_reaches_95_percent_of_the_optimum_on_the_large_grid():
    phi = features.position_move(BIG)
    theta = neural.init(dim=4, hidden=8, seed=0)
    for _ in range(T):
        theta = theta + ETA * neural.gradient(BIG, theta, phi)
    _, V_star = star(BIG)
    assert theta.size == 48 and BIG.S * BIG.A == 384
    assert BIG.rho @ iterated_value(BIG, neural.pi(theta, phi)) >= 0.95 * (BIG.rho @ V_star)


@pytest.mark.slow
def test_gradient_from_simulation_matches_finite_differences():
    theta = neural.init(dim=4, hidden=8, seed=0)
    pi = neural.pi(theta, PHI)
    n = 100_000
    sample = pgbook.sample_state_action(GRID, pi, n=n, seed=3)
    terms = sample.Q_hat[:, None] * neural.grad_log_pi(theta, PHI)[sample.states, sample.actions]
    terms /= 1 - GRID.gamma
    fd = central_difference(lambda th: GRID.rho @ pgbook.value(GRID, neural.pi(th, PHI)), theta)
    z = (terms.mean(axis=0) - fd) / (terms.std(axis=0, ddof=1) / np.sqrt(n))
    assert np.max(np.abs(z)) <= 4.0


def test_policy_gradient_beats_greedy_on_a_fit_of_q_star():
    pi_star, V_star = star(GRID)
    Q_star = GRID.r + GRID.gamma * GRID.P @ V_star
    live = (~GRID.terminal)[:, None]
    theta_pg = theta_fit = neural.init(dim=4, hidden=8, seed=0)
    for _ in range(T):
        theta_pg = theta_pg + ETA * neural.gradient(GRID, theta_pg, PHI)
    for _ in range(5000):
        theta_fit = theta_fit - 0.01 * neural.backward(theta_fit, PHI, (neural.logits(theta_fit, PHI) - Q_star) * live)
    residual = (neural.logits(theta_fit, PHI) - Q_star)[~GRID.terminal]
    assert np.sqrt(np.mean(residual**2)) < 0.1  # a good fit ...
    V_greedy = GRID.rho @ iterated_value(GRID, pgbook.greedy(neural.logits(theta_fit, PHI)))
    V_pg = GRID.rho @ iterated_value(GRID, neural.pi(theta_pg, PHI))
    assert V_greedy < V_pg  # ... and still a worse policy


# -- exercises -------------------------------------------------------------------------------------

def test_visitation_of_the_goal_tends_to_the_probability_of_reaching_it():
    episodic = envs.gridworld(gamma=1.0)
    pi = pgbook.uniform(episodic)
    # Absorption probabilities of the chain: B = (I - P_transient)^(-1) P_(transient -> goal).
    P_pi = np.einsum("sa,sat->st", pi, episodic.P)
    live = ~episodic.terminal
    goal = [episodic.layout[i][j] for i, j in episodic.cells].index("G")
    absorb = np.linalg.solve(np.eye(live.sum()) - P_pi[np.ix_(live, live)], P_pi[live, goal])
    reach = absorb[np.flatnonzero(live).tolist().index(S0)]
    d = pgbook.visitation(envs.gridworld(gamma=0.99999), pi, rho=S0)
    assert d[goal] == pytest.approx(reach, abs=1e-3)
    assert pgbook.visitation(envs.gridworld(gamma=0.0), pi, rho=S0)[S0] == 1.0
