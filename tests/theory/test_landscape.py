"""pgbook.theory.landscape: midpoint gaps, the mismatch coefficient, the stationarity gap, and the
constants of AKLM Theorem 4.1, each against an independent computation."""

import math

import numpy as np
import pytest
from hypothesis import given, settings

from conftest import policy_cases
from pgbook import MDP, advantage, algorithms, direct_gradient, envs, policy_iteration, value, visitation
from pgbook.theory import landscape


def test_midpoint_gaps_sign_on_concave_and_convex_functions():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, 50, 3))
    concave = landscape.midpoint_gaps(lambda x: -np.sum(x**2), a, b)
    convex = landscape.midpoint_gaps(lambda x: np.sum(np.exp(x)), a, b)
    # for -|x|^2 the gap is exactly -|a - b|^2 / 4
    np.testing.assert_allclose(concave, -np.sum((a - b) ** 2, axis=1) / 4, rtol=1e-12)
    assert (convex >= 0).all()


def test_midpoint_gaps_validation():
    a = np.zeros((3, 2))
    with pytest.raises(TypeError, match="f:"):
        landscape.midpoint_gaps(1.0, a, a)
    with pytest.raises(ValueError, match="theta2"):
        landscape.midpoint_gaps(np.sum, a, np.zeros((3, 3)))
    with pytest.raises(ValueError, match="theta1"):
        landscape.midpoint_gaps(np.sum, np.zeros((0, 2)), np.zeros((0, 2)))
    with pytest.raises(ValueError, match="f: returned a non-finite"):
        landscape.midpoint_gaps(lambda x: np.inf, a, a)


def test_mismatch_values():
    d = np.array([0.5, 0.5, 0.0])
    assert landscape.mismatch(d, np.array([0.25, 0.25, 0.5])) == pytest.approx(2.0)
    assert landscape.mismatch(d, d) == pytest.approx(1.0)
    assert landscape.mismatch(d, np.array([1.0, 0.0, 0.0])) == math.inf
    with pytest.raises(ValueError, match="mu: shape"):
        landscape.mismatch(d, np.ones(2) / 2)
    with pytest.raises(ValueError, match="d: expected a probability"):
        landscape.mismatch(np.array([0.5, 0.6, 0.0]), d)


@settings(max_examples=30, deadline=None)
@given(case=policy_cases(max_S=5, max_A=3, max_gamma=0.95))
def test_stationarity_equals_advantage_form(case):
    mdp, pi, mu = case
    # independent: (1/(1-gamma)) sum_s d(s) max_a A(s, a) (AKLM Lemma 4.1's proof)
    expected = visitation(mdp, pi, mu) @ advantage(mdp, pi).max(axis=1) / (1 - mdp.gamma)
    got = landscape.stationarity(mdp, pi, mu)
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-9)
    assert got >= -1e-12


def test_stationarity_zero_at_optimum_and_brute_force_maximum():
    mdp = envs.random_mdp(4, 3, seed=2, gamma=0.7)
    _, V = policy_iteration(mdp)
    pi_star = np.zeros((4, 3))
    Q = mdp.r + mdp.gamma * mdp.P @ V
    pi_star[np.arange(4), Q.argmax(axis=1)] = 1
    assert abs(landscape.stationarity(mdp, pi_star)) < 1e-10
    # brute force over the deterministic pi-bar (the maximum of a linear function is at a vertex)
    pi = np.full((4, 3), 1 / 3)
    g = direct_gradient(mdp, pi)
    best = max(sum(g[s, a[s]] for s in range(4)) for a in np.ndindex(3, 3, 3, 3)) - np.sum(pi * g)
    assert landscape.stationarity(mdp, pi) == pytest.approx(best, rel=1e-12)


def test_pga_constants():
    mdp = envs.random_mdp(6, 3, seed=0, gamma=0.8)
    assert landscape.pga_step_size(mdp) == pytest.approx(0.2**3 / (2 * 0.8 * 3))
    eps = landscape.pga_bound(mdp, [100.0, 400.0], 1.5)
    # T = 64 gamma S A D^2 / ((1 - gamma)^6 eps^2) inverts the bound
    T_back = 64 * 0.8 * 6 * 3 * 1.5**2 / (0.2**6 * eps**2)
    np.testing.assert_allclose(T_back, [100.0, 400.0], rtol=1e-12)
    assert eps[0] == pytest.approx(2 * eps[1])


def test_pga_validation():
    mdp = envs.random_mdp(2, 2, seed=0, gamma=0.8)
    with pytest.raises(ValueError, match="T:"):
        landscape.pga_bound(mdp, 0, 1.0)
    with pytest.raises(ValueError, match="D:"):
        landscape.pga_bound(mdp, 10, 0.5)
    with pytest.raises(ValueError, match="mdp: AKLM Theorem 4.1 needs"):
        landscape.pga_step_size(MDP(mdp.P, mdp.r, 0.0))
    with pytest.raises(TypeError, match="mdp:"):
        landscape.pga_step_size("mdp")


def test_direct_smoothness_and_iterations_bound():
    mdp = envs.random_mdp(6, 3, seed=0, gamma=0.8)
    assert landscape.direct_smoothness(mdp) == pytest.approx(2 * 0.8 * 3 / 0.2**3)
    assert landscape.pga_step_size(mdp) == pytest.approx(1 / landscape.direct_smoothness(mdp))
    T = landscape.pga_iterations_bound(mdp, [0.5, 1.0], 2.0)
    np.testing.assert_allclose(landscape.pga_bound(mdp, T, 2.0), [0.5, 1.0], rtol=1e-12)
    with pytest.raises(ValueError, match="eps:"):
        landscape.pga_iterations_bound(mdp, 0.0, 2.0)
    with pytest.raises(ValueError, match="D:"):
        landscape.pga_iterations_bound(mdp, 0.1, 0.5)
    with pytest.raises(ValueError, match="mdp: AKLM Theorem 4.1 needs"):
        landscape.direct_smoothness(MDP(mdp.P, mdp.r, 0.0))


def test_detour_value_formula_and_local_maximum():
    """V(s0) = (b(1 - x) + x gamma y / (1 - gamma)) / (1 - gamma + gamma x), at most b / (1 - gamma) iff
    x = 0 or y <= b / gamma."""
    gamma, b = 0.8, 0.3
    mdp = envs.detour(gamma, b)
    rng = np.random.default_rng(0)
    for x, y in rng.random((50, 2)):
        V = value(mdp, np.array([[1 - x, x], [y, 1 - y]]))[0]
        assert V == pytest.approx((b * (1 - x) + x * gamma * y / (1 - gamma)) / (1 - gamma + gamma * x), abs=1e-12)
        assert (V <= b / (1 - gamma) + 1e-12) == (y <= b / gamma)
    _, V_star = policy_iteration(mdp)
    assert V_star[0] == pytest.approx(gamma / (1 - gamma))
    with pytest.raises(ValueError, match="safe:"):
        envs.detour(0.5, 0.6)
    with pytest.raises(ValueError, match="gamma:"):
        envs.detour(0.0)


def test_stay_or_leave_gradient_rate():
    gamma = 0.7
    mdp = envs.stay_or_leave(gamma)
    for p in (0.2, 0.9, 1.0):
        pi = np.array([[p, 1 - p], [1.0, 0.0]])
        assert value(mdp, pi)[0] == pytest.approx(p / (1 - gamma * p))
        assert direct_gradient(mdp, pi, 0)[0, 0] == pytest.approx(1 / (1 - gamma * p) ** 2)


def test_rare_state_iterations_match_projected_gradient_ascent():
    gamma, eps = 0.8, 0.2
    mdp = envs.rare_state(gamma)
    for D in (1.5, 3.0, 7.0):
        mu = np.array([1 / D, 1 - 1 / D])
        assert np.allclose(visitation(mdp, np.full((2, 2), 0.5), mu), mu)
        run = algorithms.projected_ga(mdp, landscape.pga_step_size(mdp), 5000, rho=mu, record_every=1)
        first = int(np.argmax(1 / (1 - gamma) - run.V[:, 0] <= eps))
        assert first == landscape.rare_state_iterations(D, gamma, eps)
    with pytest.raises(ValueError, match="eps:"):
        landscape.rare_state_iterations(2.0, 0.9, 6.0)
    with pytest.raises(ValueError, match="D:"):
        landscape.rare_state_iterations(0.5, 0.9, 0.1)
    with pytest.raises(ValueError, match="gamma:"):
        landscape.rare_state_iterations(2.0, 0.0, 0.1)
