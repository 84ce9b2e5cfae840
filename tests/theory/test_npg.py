"""pgbook.theory.npg: the published bounds written out by hand, the soft optimum against soft value
iteration and its Bellman equation, the mismatch coefficient against its closed cases, and bad input
refused by name."""

import numpy as np
import pytest

import pgbook
from pgbook import envs
from pgbook.theory import npg
import oracle

MDP = envs.random_mdp(5, 3, seed=4, gamma=0.8, random_rho=True)


def test_npg_bound_formula():
    T = np.array([1, 10, 100])
    expected = np.log(3) / (0.5 * T) + 1 / (0.2**2 * T)
    np.testing.assert_allclose(npg.npg_bound(T, 0.5, 3, 0.8), expected, rtol=1e-15)
    assert npg.npg_bound(4, 1.0, 1, 0.5) == pytest.approx(1 / (0.25 * 4))


def test_soft_optimal_solves_soft_bellman_and_matches_value_iteration():
    tau = 0.3
    star = npg.soft_optimal(MDP, tau)
    V = np.zeros(MDP.S)
    for _ in range(500):
        Q = MDP.r + MDP.gamma * MDP.P @ V
        V = tau * np.log(np.sum(np.exp(Q / tau), axis=1))
    np.testing.assert_allclose(star.V, V, atol=1e-12)
    np.testing.assert_allclose(star.Q, MDP.r + MDP.gamma * MDP.P @ star.V, atol=1e-12)
    np.testing.assert_allclose(star.pi, np.exp((star.Q - star.V[:, None]) / tau), atol=1e-12)
    # pi*_tau's own soft value is V*_tau.
    np.testing.assert_allclose(pgbook.soft_value(MDP, star.pi, tau), star.V, atol=1e-11)


def test_soft_optimal_is_the_best_soft_value_and_stationary():
    tau = 0.3
    star = npg.soft_optimal(MDP, tau)
    rng = np.random.default_rng(5)
    for _ in range(20):
        pi = pgbook.softmax(rng.normal(0, 2, (MDP.S, MDP.A)))
        assert (pgbook.soft_value(MDP, pi, tau) <= star.V + 1e-9).all()
    # Stationary for the entropy-regularised gradient.
    assert np.abs(pgbook.entropy_regularized_gradient(MDP, np.log(star.pi), tau)).max() < 1e-8


def test_soft_optimal_small_tau_approaches_optimal_policy():
    star = npg.soft_optimal(MDP, 1e-3)
    pi_star, V_star = pgbook.policy_iteration(MDP)
    np.testing.assert_allclose(star.pi, pi_star, atol=1e-6)
    assert np.all(star.V >= V_star - 1e-12)
    assert np.all(star.V <= V_star + 1e-3 * np.log(3) / 0.2 + 1e-12)


def test_soft_q_matches_linear_solve():
    pi = pgbook.softmax(np.random.default_rng(0).standard_normal((MDP.S, MDP.A)))
    tau = 0.5
    V = oracle.value(MDP.P, MDP.r - tau * np.log(pi), MDP.gamma, pi)
    np.testing.assert_allclose(npg.soft_q(MDP, pi, tau), MDP.r + MDP.gamma * MDP.P @ V, atol=1e-12)


def test_cen_bounds_by_hand():
    tau, eta = 0.5, 0.2
    pi0 = np.full((MDP.S, MDP.A), 1 / 3)
    star = npg.soft_optimal(MDP, tau)
    C1 = (np.abs(star.Q - npg.soft_q(MDP, pi0, tau)).max()
          + 2 * tau * (1 - eta * tau / 0.2) * np.abs(np.log(star.pi) - np.log(pi0)).max())
    t = np.arange(5)
    Q_bound, log_bound = npg.cen_bounds(MDP, eta, tau, t, pi0)
    np.testing.assert_allclose(Q_bound, C1 * 0.8 * 0.9**t, rtol=1e-12)
    np.testing.assert_allclose(log_bound, 2 * C1 / tau * 0.9**t, rtol=1e-12)


def test_xiao_mismatch_closed_cases():
    vartheta = npg.xiao_mismatch(MDP)
    assert vartheta >= 1 / 0.2 - 1e-12
    pi_star, _ = pgbook.policy_iteration(MDP)
    P_star = np.einsum("sa,sat->st", pi_star, MDP.P)
    w, vecs = np.linalg.eig(P_star.T)
    stationary = np.real(vecs[:, np.argmax(np.real(w))])
    stationary /= stationary.sum()
    assert npg.xiao_mismatch(MDP, stationary) == pytest.approx(1 / 0.2, rel=1e-9)


def test_geometric_bound_formula():
    k = np.arange(4)
    expected = (1 - 1 / 8) ** k * (2.0 + np.log(3) / (0.9 * 0.1))
    np.testing.assert_allclose(npg.geometric_bound(k, 8.0, 2.0, np.log(3), 0.1, 0.9), expected, rtol=1e-15)


def test_log_partition_by_hand_and_jensen():
    rng = np.random.default_rng(3)
    pi = pgbook.softmax(rng.standard_normal((MDP.S, MDP.A)))
    A = pgbook.advantage(MDP, pi)
    for eta in (1e-3, 0.5, 50.0):
        by_hand = np.log(np.sum(pi * np.exp(eta * A / 0.2), axis=1))
        np.testing.assert_allclose(npg.log_partition(MDP, pi, eta), by_hand, rtol=1e-8, atol=1e-15)
        assert (npg.log_partition(MDP, pi, eta) >= 0).all()
    # A zero probability takes no part; a huge step does not overflow.
    pi[:, 0] = 0.0
    pi /= pi.sum(axis=1, keepdims=True)
    assert np.isfinite(npg.log_partition(MDP, pi, 1e6)).all()


def test_pmd_recursion_by_hand():
    """Both sides written out for two steps of the KL step with hand-picked step sizes."""
    pi_star, V_star = pgbook.policy_iteration(MDP)
    d_star = pgbook.visitation(MDP, pi_star)
    pis, etas = [np.full((MDP.S, MDP.A), 1 / 3)], [0.3, 2.0]
    for eta in etas:
        pis.append(pgbook.softmax(np.log(pis[-1]) + eta * pgbook.q_value(MDP, pis[-1])))
    progress, guaranteed = npg.pmd_recursion(MDP, pis, etas)
    D = [d_star @ -np.log(np.sum(pi_star * p, axis=1)) for p in pis]
    delta = [(V_star - pgbook.value(MDP, p)) @ MDP.rho for p in pis]
    for k in range(2):
        theta = np.max(d_star / pgbook.visitation(MDP, pis[k + 1]))
        assert progress[k] == pytest.approx(D[k] - D[k + 1], rel=1e-12)
        assert guaranteed[k] == pytest.approx(0.2 * etas[k] * (delta[k] - theta * (delta[k] - delta[k + 1])),
                                              rel=1e-12)
    assert (guaranteed <= progress).all()


def test_stationary_distribution():
    pi = pgbook.softmax(np.random.default_rng(4).standard_normal((MDP.S, MDP.A)))
    P_pi = np.einsum("sa,sat->st", pi, MDP.P)
    nu = npg.stationary(MDP, pi)
    np.testing.assert_allclose(nu @ P_pi, nu, atol=1e-14)
    assert nu.sum() == pytest.approx(1.0) and (nu >= 0).all()
    # Started from nu, the visitation is nu itself.
    np.testing.assert_allclose(pgbook.visitation(MDP, pi, nu), nu, atol=1e-12)
    # Two absorbing states: no unique stationary distribution.
    two = pgbook.MDP(np.eye(2)[:, None, :], np.zeros((2, 1)), gamma=0.9)
    with pytest.raises(ValueError, match="^pi"):
        npg.stationary(two, np.ones((2, 1)))


@pytest.mark.parametrize("call, name", [
    (lambda: npg.log_partition(MDP, np.full((5, 3), 1 / 3), 0.0), "eta"),
    (lambda: npg.log_partition(MDP, np.full((5, 2), 1 / 2), 1.0), "pi"),
    (lambda: npg.pmd_recursion(MDP, np.full((1, 5, 3), 1 / 3), []), "pis"),
    (lambda: npg.pmd_recursion(MDP, np.full((3, 5, 3), 1 / 3), [1.0]), "etas"),
    (lambda: npg.pmd_recursion(MDP, np.full((2, 5, 3), 1 / 3), [-1.0]), "etas"),
    (lambda: npg.pmd_recursion(MDP, np.full((2, 5, 3), 2.0), [1.0]), "pis"),
    (lambda: npg.stationary(MDP, np.ones((5, 2))), "pi"),
    (lambda: npg.npg_bound(0, 1.0, 3, 0.9), "T"),
    (lambda: npg.npg_bound(5, -1.0, 3, 0.9), "eta"),
    (lambda: npg.npg_bound(5, 1.0, 0, 0.9), "A"),
    (lambda: npg.npg_bound(5, 1.0, 3, 1.0), "gamma"),
    (lambda: npg.soft_optimal(MDP, 0.0), "tau"),
    (lambda: npg.cen_bounds(MDP, 1.0, 0.5, 1, np.full((5, 3), 1 / 3)), "eta"),
    (lambda: npg.cen_bounds(MDP, 0.1, 0.5, -1, np.full((5, 3), 1 / 3)), "t"),
    (lambda: npg.cen_bounds(MDP, 0.1, 0.5, 1, np.eye(3)[[0, 1, 2, 0, 1]]), "pi0"),
    (lambda: npg.xiao_mismatch(MDP, 0), "rho"),
    (lambda: npg.geometric_bound(1, 0.5, 1.0, 1.0, 0.1, 0.9), "vartheta"),
    (lambda: npg.geometric_bound(1.5, 2.0, 1.0, 1.0, 0.1, 0.9), "k"),
    (lambda: npg.geometric_bound(1, 2.0, 1.0, 1.0, 0.1, 0.0), "gamma"),
])
def test_bad_input_is_refused_by_name(call, name):
    with pytest.raises((ValueError, TypeError), match=f"^{name}"):
        call()


def test_episodic_mdp_refused():
    with pytest.raises(ValueError, match="^mdp: gamma must be < 1 for the NPG bounds"):
        npg.soft_optimal(envs.short_corridor(), 0.1)
