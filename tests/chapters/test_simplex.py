"""Every check shown in book/npg/simplex.md ("PG against NPG on the simplex"), recomputed independently.

The chapter computes with pgbook.simplex.sweep and pgbook.algorithms (numba kernels); these tests
use closed forms, finite differences, a generic optimiser, or explicit per-step updates
(pgbook.softmax_gradient, pgbook.npg_step) instead.
"""

import numpy as np
import pytest
from scipy.optimize import minimize

import pgbook
from pgbook import algorithms, envs, simplex

REWARDS = np.array([1.0, 0.9, 0.1])
ETAS = [0.1, 0.3, 1.0, 3.0]
GAMMAS = [0.45, 0.7, 0.9]
NEAR_SAFE = [0.998, 0.001, 0.001]


def bandit_value(theta):
    return pgbook.softmax(theta) @ REWARDS


def first_passage(values, target):
    """The first index t with values[t] >= target."""
    hits = np.flatnonzero(values >= target)
    return int(hits[0])


def test_pg_logit_step_is_npg_step_times_visitation_and_probability():
    theta = np.log([0.001, 0.998, 0.001])
    h = 1e-6
    fd = np.array([(bandit_value(theta + h * e) - bandit_value(theta - h * e)) / (2 * h) for e in np.eye(3)])
    pi = pgbook.softmax(theta)
    npg_direction = REWARDS - pi @ REWARDS  # gamma = 0: the advantage, by hand
    np.testing.assert_allclose(fd, 1.0 * pi * npg_direction, atol=1e-9)
    bandit = envs.bandit(REWARDS)
    np.testing.assert_allclose(pgbook.npg_step(bandit, theta[None], 0.3) - theta, 0.3 * npg_direction[None], atol=1e-15)


@pytest.mark.parametrize("eta", ETAS)
def test_from_near_a2_pg_is_stuck_and_npg_converged_after_3000_iterations(eta):
    theta = np.log([0.001, 0.998, 0.001])
    start = pgbook.softmax(theta)
    for _ in range(3000):
        pi = pgbook.softmax(theta)
        theta = theta + eta * pi * (REWARDS - pi @ REWARDS)
    assert 1.0 - bandit_value(theta) >= 0.099
    w = start * np.exp(eta * 3000 * (REWARDS - 1.0))
    assert 1.0 - (w / w.sum()) @ REWARDS <= 1e-9


def test_npg_paths_are_exponential_weights():
    bandit = envs.bandit(REWARDS)
    starts = simplex.simplex_grid(5)
    sw = simplex.sweep([bandit], ETAS, starts, 2000, records=40)
    for e, eta in enumerate(ETAS):
        for k, t in enumerate(sw.steps):
            w = starts * np.exp(eta * t * (REWARDS - REWARDS.max()))
            np.testing.assert_allclose(sw.pi[0, e, 1, :, k], w / w.sum(axis=1, keepdims=True), atol=1e-9)


@pytest.mark.parametrize("seed", range(5))
def test_a_generic_optimiser_finds_the_multiplicative_update(seed):
    rng = np.random.default_rng(seed)
    pi_s, g, eta = rng.dirichlet(np.ones(3)) * 0.9 + 0.1 / 3, rng.normal(size=3), 0.8
    res = minimize(lambda p: -(eta * g @ p - np.sum(p * np.log(p / pi_s))), np.full(3, 1 / 3), method="SLSQP",
                   bounds=[(1e-9, 1)] * 3, constraints={"type": "eq", "fun": lambda p: p.sum() - 1},
                   options={"ftol": 1e-15, "maxiter": 500})
    np.testing.assert_allclose(simplex.kl_mirror_step(pi_s, g, eta), res.x, atol=1e-6)


def waiting_times(p0s, eta, target=0.95):
    """Iterations until V >= target, from (p, 1 - p - 1e-3, 1e-3): explicit PG steps and the NPG closed form."""
    pg, npg = [], []
    for p in p0s:
        theta = np.log([p, 1 - p - 1e-3, 1e-3])
        t = 0
        while bandit_value(theta) < target:
            pi = pgbook.softmax(theta)
            theta = theta + eta * pi * (REWARDS - pi @ REWARDS)
            t += 1
        pg.append(t)
        ts = np.arange(5000)[:, None]
        w = np.array([p, 1 - p - 1e-3, 1e-3]) * np.exp(eta * ts * (REWARDS - 1.0))
        npg.append(first_passage((w / w.sum(axis=1, keepdims=True)) @ REWARDS, target))
    return pg, npg


@pytest.mark.slow
def test_pg_plateau_grows_at_least_ninefold_per_decade():
    pg, _ = waiting_times([1e-1, 1e-2, 1e-3], 0.3)
    assert (np.array(pg[1:]) / pg[:-1] >= 9).all(), pg


def test_npg_waiting_times_match_exponential_weights():
    for p in [1e-1, 1e-2, 1e-3]:
        run = algorithms.npg(envs.bandit(REWARDS), 0.3, 10_000, theta0=np.log([[p, 1 - p - 1e-3, 1e-3]]), until=0.95)
        ts = np.arange(5000)[:, None]
        w = np.array([p, 1 - p - 1e-3, 1e-3]) * np.exp(0.3 * ts * (REWARDS - 1.0))
        assert run.iterations == first_passage((w / w.sum(axis=1, keepdims=True)) @ REWARDS, 0.95)
    # and each decade costs about ln(10)/(eta * Delta) iterations
    _, npg = waiting_times([1e-2, 1e-3], 0.3)
    assert abs(np.diff(npg)[0] - np.log(10) / 0.03) < 1.0


def test_pg_constant_c_is_over_1e5_times_worse_squared_near_a2():
    def c(pi0, T=3000, eta=0.3):
        theta, lowest = np.log(pi0), 1.0
        for _ in range(T):
            pi = pgbook.softmax(theta)
            theta = theta + eta * pi * (REWARDS - pi @ REWARDS)
            lowest = min(lowest, pgbook.softmax(theta)[0])
        return lowest

    near, centre = c([0.001, 0.998, 0.001]), c([1 / 3, 1 / 3, 1 / 3])
    assert near < 1e-3 and 1 / 3 <= centre < 0.35
    assert (centre / near) ** 2 >= 1e5


def test_pg_tail_is_one_over_two_eta_t():
    # Explicit steps of PG on two arms, compared with the limit 1/(2 eta) of the gradient flow.
    r, eta, theta = np.array([1.0, 0.9]), 0.4, np.zeros(2)
    for _ in range(100_000):
        pi = pgbook.softmax(theta)
        theta = theta + eta * pi * (r - pi @ r)
    assert abs(100_000 * (1.0 - pgbook.softmax(theta) @ r) - 1 / (2 * eta)) < 5e-3


@pytest.mark.parametrize("gamma", GAMMAS)
def test_fork_optimal_value_is_max_of_half_and_gamma(gamma):
    _, V = pgbook.value_iteration(simplex.fork(gamma), tol=1e-13)
    assert abs(V[0] - max(0.5, gamma)) < 1e-10


def explicit_run(mdp, theta, eta, T, method):
    for _ in range(T):
        if method == "pg":
            theta = theta + eta * pgbook.softmax_gradient(mdp, theta)
        else:
            theta = pgbook.npg_step(mdp, theta, eta)
    return theta


@pytest.mark.slow
@pytest.mark.parametrize("eta", ETAS)
def test_pg_stalls_near_safe_and_npg_does_not(eta):
    fork = simplex.fork(0.9)
    theta0 = simplex.start_logits(fork, 0, [NEAR_SAFE])[0]
    pg = explicit_run(fork, theta0, eta, 1000, "pg")
    assert 0.9 - pgbook.value(fork, pgbook.softmax(pg))[0] >= 0.39
    npg = explicit_run(fork, theta0, eta, 1000, "npg")
    assert 0.9 - pgbook.value(fork, pgbook.softmax(npg))[0] <= 1e-9


@pytest.mark.parametrize("gamma", GAMMAS)
def test_npg_from_uniform_stays_below_the_aklm_bound(gamma):
    fork = simplex.fork(gamma)
    for eta in ETAS:
        theta = np.zeros((3, 3))
        for T in range(1, 301):
            theta = pgbook.npg_step(fork, theta, eta)
            gap = max(0.5, gamma) - pgbook.value(fork, pgbook.softmax(theta))[0]
            assert gap <= np.log(3) / (eta * T) + 1 / ((1 - gamma) ** 2 * T)


@pytest.mark.slow
def test_npg_improves_every_state_at_every_step_from_every_start():
    # AKLM Lemma 5.2 is pointwise in s: check V(s) for all three states, every iteration.
    starts = simplex.simplex_grid(9)
    for gamma in GAMMAS:
        fork = simplex.fork(gamma)
        for eta in ETAS:
            for theta0 in simplex.start_logits(fork, 0, starts):
                run = algorithms.npg(fork, eta, 200, theta0=theta0, record_every=1)
                assert np.diff(run.V, axis=0).min() >= -1e-12


@pytest.mark.parametrize("start", [[1 / 3, 1 / 3, 1 / 3], [0.001, 0.998, 0.001]])
def test_mei_theorem_4_holds_on_the_bandit(start):
    # The chapter states Mei et al.'s Theorem 4 without a visible check; on the bandit (S = 1,
    # gamma = 0, mu = rho) it reads gap_t <= 16 / (c^2 t) with eta = 1/8.
    run = algorithms.softmax_pg(envs.bandit(REWARDS), 1 / 8, 20_000, theta0=np.log([start]), record_every=1)
    c = run.pi[1:, 0, 0].min()
    t = np.arange(1, run.iterations + 1)
    assert (1.0 - run.V_rho[1:] <= 16 / (c**2 * t)).all()


def test_npg_with_eta_3_reaches_the_optimum_of_the_fork_in_a_few_iterations_from_every_start():
    # The text's "try eta = 3" claim (not a visible check): 10 explicit npg_step iterations suffice.
    fork = simplex.fork(0.9)
    for theta in simplex.start_logits(fork, 0, simplex.simplex_grid(9)):
        theta = explicit_run(fork, theta, 3.0, 10, "npg")
        assert 0.9 - pgbook.value(fork, pgbook.softmax(theta))[0] <= 1e-9
