"""Every visible check of book/convergence/npg.md, recomputed against independent computations: NPG,
entropy-regularised NPG and geometric-step PMD iterated by hand (with ``pgbook.npg_step`` or plain
numpy), values by a dense linear solve written here, the optimum by value iteration, the
regularised optimum by soft value iteration, and the published bounds written out by hand."""

import numpy as np
import pytest

import pgbook
from pgbook import algorithms, envs, npg_rates

GAMMA = 0.9
ETAS = (0.01, 0.1, 1.0, 10.0)


def _V(mdp, pi):
    """V^pi by one dense linear solve (not pgbook.exact)."""
    P_pi = np.einsum("sa,sat->st", pi, mdp.P)
    return np.linalg.solve(np.eye(mdp.S) - mdp.gamma * P_pi, np.sum(pi * mdp.r, axis=1))


def _V_star(mdp):
    """V* by value iteration to round-off (a second method: the chapter uses policy iteration)."""
    V = np.zeros(mdp.S)
    for _ in range(2000):
        V = np.max(mdp.r + mdp.gamma * mdp.P @ V, axis=1)
    return V


def _softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _soft_V(mdp, pi, tau):
    P_pi = np.einsum("sa,sat->st", pi, mdp.P)
    bonus = -tau * np.sum(pi * np.log(pi), axis=1)
    return np.linalg.solve(np.eye(mdp.S) - mdp.gamma * P_pi, np.sum(pi * mdp.r, axis=1) + bonus)


def _soft_Q(mdp, pi, tau):
    return mdp.r + mdp.gamma * mdp.P @ _soft_V(mdp, pi, tau)


def _soft_star(mdp, tau):
    """Q*_tau by soft value iteration (the library uses soft policy iteration)."""
    V = np.zeros(mdp.S)
    for _ in range(400):
        Q = mdp.r + mdp.gamma * mdp.P @ V
        top = Q.max(axis=1)
        V = top + tau * np.log(np.sum(np.exp((Q - top[:, None]) / tau), axis=1))
    return mdp.r + mdp.gamma * mdp.P @ V


def _npg_by_hand(mdp, eta, T):
    """NPG iterated with pgbook.npg_step (not pgbook.algorithms): the policies pi^(0..T)."""
    theta = np.zeros((mdp.S, mdp.A))
    pis = [pgbook.softmax(theta)]
    for _ in range(T):
        theta = pgbook.npg_step(mdp, theta, eta)
        pis.append(pgbook.softmax(theta))
    return pis


@pytest.mark.slow
def test_aklm_bound_holds_on_random_mdps():
    for seed in range(5):
        m = envs.random_mdp(8, 4, seed=seed, gamma=GAMMA, rho="random")
        V_opt = _V_star(m) @ m.rho
        for eta in ETAS:
            pis = _npg_by_hand(m, eta, 200)
            gaps = np.array([V_opt - _V(m, p) @ m.rho for p in pis[1:]])
            T = np.arange(1, 201)
            bound = np.log(4) / (eta * T) + 1 / ((1 - GAMMA) ** 2 * T)
            assert np.all(gaps <= bound)
            np.testing.assert_allclose(npg_rates.npg_bound(T, eta, 4, GAMMA), bound, rtol=1e-14)
            run = algorithms.npg(m, eta, 200, record_every=1)
            np.testing.assert_allclose(run.V_rho[1:], V_opt - gaps, atol=1e-9)


def test_npg_run_is_npg_step_iterated():
    """The chapter's runs (pgbook.algorithms.npg) are NPG iterated by hand with pgbook.npg_step."""
    m = envs.random_mdp(8, 4, seed=3, gamma=GAMMA, rho="random")
    for eta in ETAS:
        run = algorithms.npg(m, eta, 30, record_every=1)
        pis = _npg_by_hand(m, eta, 30)
        np.testing.assert_allclose(run.pi, np.array(pis), atol=1e-10)
        np.testing.assert_allclose(run.V, np.array([_V(m, p) for p in pis]), atol=1e-9)


def test_no_state_value_decreases():
    for seed in range(3):
        m = envs.random_mdp(8, 4, seed=seed, gamma=GAMMA, rho="random")
        for eta in ETAS:
            Vs = np.array([_V(m, p) for p in _npg_by_hand(m, eta, 100)])
            assert np.diff(Vs, axis=0).min() >= -1e-12


def test_improvement_lemma():
    for seed in range(2):
        m = envs.random_mdp(8, 4, seed=seed, gamma=GAMMA, rho="random")
        for eta in (0.01, 0.1, 1.0):
            pis = _npg_by_hand(m, eta, 100)
            for pi, pi_next in zip(pis[:-1], pis[1:]):
                V = _V(m, pi)
                adv = m.r + GAMMA * m.P @ V - V[:, None]
                log_Z = np.log(np.sum(pi * np.exp(eta * adv / (1 - GAMMA)), axis=1))
                assert log_Z.min() >= -1e-12
                gain = (_V(m, pi_next) - V) @ m.rho
                assert gain >= (1 - GAMMA) / eta * (m.rho @ log_Z) - 1e-12


def _entropy_runs():
    """Entropy-regularised NPG by hand in log space, on the chapter's MDP and random initial policy."""
    mdp = envs.random_mdp(8, 4, seed=0, gamma=GAMMA)
    theta0 = np.random.default_rng(1).standard_normal((mdp.S, mdp.A))
    for tau in (0.05, 0.2, 1.0):
        Q_star = _soft_star(mdp, tau)
        log_pi_star = np.log(_softmax(Q_star / tau))
        for fraction in (0.1, 0.5, 1.0):
            eta = fraction * (1 - GAMMA) / tau
            log_pi = theta0 - np.log(np.sum(np.exp(theta0), axis=1, keepdims=True))
            pi0 = np.exp(log_pi)
            C1 = (np.abs(Q_star - _soft_Q(mdp, pi0, tau)).max()
                  + 2 * tau * (1 - eta * tau / (1 - GAMMA)) * np.abs(log_pi_star - log_pi).max())
            for t in range(120):
                Q = _soft_Q(mdp, np.exp(log_pi), tau)
                x = (1 - eta * tau / (1 - GAMMA)) * log_pi + eta * Q / (1 - GAMMA)
                log_pi = x - x.max(axis=1, keepdims=True)
                log_pi -= np.log(np.sum(np.exp(log_pi), axis=1, keepdims=True))
                yield mdp, tau, eta, t, pi0, C1, Q_star, log_pi_star, log_pi


def test_cen_soft_q_bound():
    for mdp, tau, eta, t, pi0, C1, Q_star, _, log_pi in _entropy_runs():
        gap = np.abs(Q_star - _soft_Q(mdp, np.exp(log_pi), tau)).max()
        bound = C1 * GAMMA * (1 - eta * tau) ** t
        assert gap <= bound + 1e-10
        if t in (0, 50):
            np.testing.assert_allclose(npg_rates.cen_bounds(mdp, eta, tau, t, pi0)[0], bound, rtol=1e-8)


def test_cen_log_policy_bound():
    for mdp, tau, eta, t, pi0, C1, _, log_pi_star, log_pi in _entropy_runs():
        bound = 2 * C1 / tau * (1 - eta * tau) ** t
        assert np.abs(log_pi_star - log_pi).max() <= bound + 1e-10
        if t in (0, 50):
            np.testing.assert_allclose(npg_rates.cen_bounds(mdp, eta, tau, t, pi0)[1], bound, rtol=1e-8)


def test_entropy_npg_run_matches_hand_iteration():
    mdp = envs.random_mdp(8, 4, seed=0, gamma=GAMMA)
    theta0 = np.random.default_rng(1).standard_normal((mdp.S, mdp.A))
    tau, eta = 0.2, 0.5 * (1 - GAMMA) / 0.2
    run = algorithms.entropy_npg(mdp, eta, 20, tau=tau, theta0=theta0, record_every=1)
    log_pi = theta0 - np.log(np.sum(np.exp(theta0), axis=1, keepdims=True))
    for t in range(20):
        x = (1 - eta * tau / (1 - GAMMA)) * log_pi + eta * _soft_Q(mdp, np.exp(log_pi), tau) / (1 - GAMMA)
        log_pi = x - np.log(np.sum(np.exp(x), axis=1, keepdims=True))
        np.testing.assert_allclose(run.pi[t + 1], np.exp(log_pi), atol=1e-12)


@pytest.mark.slow
def test_sandwich_bound():
    for seed in range(20):
        m = envs.random_mdp(8, 4, seed=seed, gamma=GAMMA, rho="random")
        V_opt = _V_star(m) @ m.rho
        for tau in (0.01, 0.05, 0.2, 1.0):
            pi_tau = _softmax(_soft_star(m, tau) / tau)
            V_tau = _V(m, pi_tau) @ m.rho
            assert V_opt - tau * np.log(4) / (1 - GAMMA) <= V_tau <= V_opt + 1e-12
            np.testing.assert_allclose(npg_rates.soft_optimal(m, tau).pi, pi_tau, atol=1e-10)


def test_xiao_first_step_is_npg_step():
    mdp = envs.random_mdp(8, 4, seed=0, gamma=GAMMA)
    eta0 = (1 - GAMMA) / GAMMA * np.log(4)
    pi0 = np.full((8, 4), 0.25)
    Q = mdp.r + GAMMA * mdp.P @ _V(mdp, pi0)
    pi1 = _softmax(np.log(pi0) + eta0 * Q)  # Xiao's update, in rewards
    by_npg = pgbook.softmax(pgbook.npg_step(mdp, np.zeros((8, 4)), (1 - GAMMA) * eta0))
    np.testing.assert_allclose(by_npg, pi1, atol=1e-13)
    np.testing.assert_allclose(algorithms.pmd_geometric(mdp, eta0, 1).pi[-1], pi1, atol=1e-13)


def test_xiao_geometric_bound():
    mdp = envs.random_mdp(8, 4, seed=0, gamma=GAMMA)
    V_star = _V_star(mdp)
    pi_star = pgbook.greedy(mdp.r + GAMMA * mdp.P @ V_star)
    P_star = np.einsum("sa,sat->st", pi_star, mdp.P)
    d_star = (1 - GAMMA) * np.linalg.solve((np.eye(8) - GAMMA * P_star).T, mdp.rho)
    vartheta = np.max(d_star / mdp.rho) / (1 - GAMMA)
    assert vartheta == pytest.approx(npg_rates.xiao_mismatch(mdp), rel=1e-10)
    eta0 = (1 - GAMMA) / GAMMA * np.log(4)
    log_pi = np.full((8, 4), -np.log(4))
    gaps = []
    for k in range(61):
        pi = np.exp(log_pi)
        V = _V(mdp, pi)
        gaps.append((V_star - V) @ mdp.rho)
        x = log_pi + eta0 / GAMMA**k * (mdp.r + GAMMA * mdp.P @ V)
        log_pi = x - x.max(axis=1, keepdims=True)
        log_pi -= np.log(np.sum(np.exp(log_pi), axis=1, keepdims=True))
    ks = np.arange(61)
    bound = (1 - 1 / vartheta) ** ks * (gaps[0] + np.log(4) / (GAMMA * eta0))
    assert np.all(np.array(gaps) <= bound)
    np.testing.assert_allclose(npg_rates.geometric_bound(ks, vartheta, gaps[0], np.log(4), eta0, GAMMA), bound,
                               rtol=1e-12)
    run = algorithms.pmd_geometric(mdp, eta0, 60, record_every=1)
    np.testing.assert_allclose(run.V_rho, V_star @ mdp.rho - np.array(gaps), atol=1e-9)


@pytest.mark.slow
def test_prose_numbers():
    """The numbers the chapter's prose quotes: the uniform policy's gap, the worst gap/bound ratio of
    the 80 runs, the constant-step gap after 60 steps and Xiao's contraction factor."""
    mdp = envs.random_mdp(8, 4, seed=0, gamma=GAMMA)
    V_star = _V_star(mdp)
    assert round((V_star - _V(mdp, np.full((8, 4), 0.25))) @ mdp.rho, 1) == 2.6
    ratio = 0.0
    for seed in range(20):
        m = envs.random_mdp(8, 4, seed=seed, gamma=GAMMA, rho="random")
        V_opt = _V_star(m) @ m.rho
        for eta in ETAS:
            gaps = V_opt - algorithms.npg(m, eta, 200).V_rho[1:]
            T = np.arange(1, 201)
            ratio = max(ratio, np.max(gaps / (np.log(4) / (eta * T) + 100 / T)))
    assert round(ratio, 1) == 0.2  # "a fifth"
    eta0 = (1 - GAMMA) / GAMMA * np.log(4)
    pis = _npg_by_hand(mdp, (1 - GAMMA) * eta0, 60)
    assert round((V_star - _V(mdp, pis[-1])) @ mdp.rho, 1) == 0.4
    assert round(1 - 1 / npg_rates.xiao_mismatch(mdp), 2) == 0.91
    # The exercise: a start that neglects states pi* visits makes vartheta over ten times larger.
    peaked = np.r_[0.93, np.full(7, 0.01)]
    assert npg_rates.xiao_mismatch(mdp, peaked) > 10 * npg_rates.xiao_mismatch(mdp)
