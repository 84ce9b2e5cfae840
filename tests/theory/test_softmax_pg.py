"""pgbook.theory.softmax_pg: each constant and bound against an independent computation (plain numpy solves,
value iteration, finite differences of the value itself, an ODE integration), and its validation."""

import numpy as np
import pytest
from conftest import theta_cases
from hypothesis import given, settings
from scipy.integrate import solve_ivp

import pgbook
from pgbook import envs
from pgbook.theory import softmax_pg
import oracle

MDP6 = envs.random_mdp(6, 3, seed=0, gamma=0.8)


# --- independent computations ------------------------------------------------------------------


def value_np(mdp, pi):
    """V^pi by a plain numpy solve of (I - gamma P_pi) V = r_pi."""
    return oracle.value(mdp.P, mdp.r, mdp.gamma, pi)


def visitation_np(mdp, pi, rho):
    """d^pi_rho by summing the discounted state distribution for 3000 steps."""
    P_pi = np.einsum("sa,sat->st", pi, mdp.P)
    d, x = np.zeros(mdp.S), rho.copy()
    for t in range(3000):
        d += mdp.gamma**t * x
        x = x @ P_pi
    return (1 - mdp.gamma) * d


def optimal_np(mdp, sweeps=3000):
    """V* and a greedy optimal policy by value iteration."""
    V = np.zeros(mdp.S)
    for _ in range(sweeps):
        V = (mdp.r + mdp.gamma * mdp.P @ V).max(axis=1)
    Q = mdp.r + mdp.gamma * mdp.P @ V
    return V, np.eye(mdp.A)[Q.argmax(axis=1)]


def V_rho_np(mdp, theta, rho):
    p = np.exp(theta - theta.max(axis=1, keepdims=True))
    return value_np(mdp, p / p.sum(axis=1, keepdims=True)) @ rho


# --- smoothness --------------------------------------------------------------------------------


def test_smoothness_formula():
    assert softmax_pg.smoothness(0.8) == pytest.approx(1000.0)
    assert softmax_pg.smoothness(0.5, lam=0.3, S=6) == pytest.approx(64.0 + 0.1)
    assert softmax_pg.smoothness(0.0) == 8.0


@pytest.mark.parametrize("kwargs, match", [
    (dict(gamma=1.0), "gamma"), (dict(gamma=0.5, lam=0.1), "S"), (dict(gamma=0.5, lam=-1.0, S=2), "lam"),
    (dict(gamma=0.5, lam=0.1, S=0), "S"),
])
def test_smoothness_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        softmax_pg.smoothness(**kwargs)


@settings(max_examples=15, deadline=None)
@given(case=theta_cases(max_S=3, max_A=3, max_gamma=0.9))
def test_hessian_matches_second_differences_of_the_value(case):
    mdp, theta, rho = case
    H = softmax_pg.hessian(mdp, theta, rho)
    u = np.random.default_rng(0).standard_normal(theta.shape)
    u /= np.linalg.norm(u)
    h = 1e-3
    second = (V_rho_np(mdp, theta + h * u, rho) - 2 * V_rho_np(mdp, theta, rho) + V_rho_np(mdp, theta - h * u, rho)) / h**2
    assert u.ravel() @ H @ u.ravel() == pytest.approx(second, abs=1e-5 / (1 - mdp.gamma) ** 2)


@settings(max_examples=15, deadline=None)
@given(case=theta_cases(max_S=3, max_A=3, max_gamma=0.9))
def test_hessian_is_symmetric_flat_along_state_shifts_and_below_beta(case):
    mdp, theta, rho = case
    H = softmax_pg.hessian(mdp, theta, rho)
    assert np.allclose(H, H.T)
    # Adding a constant to one state's logits leaves the policy unchanged: a null direction.
    for s in range(mdp.S):
        shift = np.zeros((mdp.S, mdp.A))
        shift[s] = 1.0
        assert np.abs(H @ shift.ravel()).max() < 1e-4 / (1 - mdp.gamma) ** 3
    assert np.abs(np.linalg.eigvalsh(H)).max() <= softmax_pg.smoothness(mdp.gamma)


def test_hessian_validation():
    with pytest.raises(ValueError, match="h"):
        softmax_pg.hessian(MDP6, np.zeros((6, 3)), h=0.0)
    with pytest.raises(ValueError, match="theta"):
        softmax_pg.hessian(MDP6, np.zeros((6, 2)))


# --- optimal actions, mismatch, NŁ -------------------------------------------------------------


def test_optimal_actions_and_mismatch_against_value_iteration():
    _, pi_star = optimal_np(MDP6)
    assert np.array_equal(softmax_pg.optimal_actions(MDP6), pi_star.argmax(axis=1))
    mu = np.random.default_rng(2).random(6) + 0.1
    mu /= mu.sum()
    expected = (visitation_np(MDP6, pi_star, MDP6.rho) / mu).max()
    assert softmax_pg.optimal_mismatch(MDP6, mu) == pytest.approx(expected, rel=1e-10)
    assert softmax_pg.optimal_mismatch(MDP6) >= 1.0


def test_mismatch_needs_positive_mu():
    with pytest.raises(ValueError, match="mu"):
        softmax_pg.optimal_mismatch(MDP6, mu=0)


def test_nl_coefficient_against_numpy():
    theta = np.random.default_rng(3).normal(0, 2, (6, 3))
    _, pi_star = optimal_np(MDP6)
    pi = pgbook.softmax(theta)
    ratio = (visitation_np(MDP6, pi_star, MDP6.rho) / visitation_np(MDP6, pi, MDP6.rho)).max()
    expected = pi[np.arange(6), pi_star.argmax(axis=1)].min() / (np.sqrt(6) * ratio)
    assert softmax_pg.nl_coefficient(MDP6, theta) == pytest.approx(expected, rel=1e-9)


@settings(max_examples=30, deadline=None)
@given(case=theta_cases(max_S=5, max_A=3, max_gamma=0.9, random_rho=(False,)))
def test_nl_inequality_holds(case):
    """Mei et al. Lemma 8 on random MDPs, the gradient taken by finite differences of the value."""
    mdp, theta, _ = case
    rho = mdp.rho
    h = 1e-6
    grad = np.zeros(theta.shape)
    for idx in np.ndindex(theta.shape):
        e = np.zeros(theta.shape)
        e[idx] = h
        grad[idx] = (V_rho_np(mdp, theta + e, rho) - V_rho_np(mdp, theta - e, rho)) / (2 * h)
    gap = optimal_np(mdp)[0] @ rho - V_rho_np(mdp, theta, rho)
    assert np.linalg.norm(grad) >= softmax_pg.nl_coefficient(mdp, theta) * gap - 1e-7


# --- rates -------------------------------------------------------------------------------------


def test_mei_rate_bound_formula():
    mu = MDP6.rho
    _, pi_star = optimal_np(MDP6)
    D = (visitation_np(MDP6, pi_star, mu) / mu).max()
    t = np.array([1.0, 10.0, 100.0])
    expected = 16 * 6 * D**2 * 6 / (0.5**2 * 0.2**6 * t)  # ||1/mu||_inf = 6
    assert np.allclose(softmax_pg.mei_rate_bound(MDP6, t, 0.5), expected, rtol=1e-9)


@pytest.mark.parametrize("t, c, match", [(0.5, 0.5, "t"), (1, 1.5, "c"), (1, 0.0, "c")])
def test_mei_rate_bound_validation(t, c, match):
    with pytest.raises(ValueError, match=match):
        softmax_pg.mei_rate_bound(MDP6, t, c)


def test_bounds_need_unit_rewards():
    m = pgbook.MDP(MDP6.P, 2 * MDP6.r, MDP6.gamma)
    with pytest.raises(ValueError, match="rewards"):
        softmax_pg.mei_rate_bound(m, 1, 0.5)
    with pytest.raises(ValueError, match="rewards"):
        softmax_pg.log_barrier_bound(m, 0.1)


@pytest.mark.parametrize("rewards, eta", [((1.0, 0.5), 0.4), ((1.0, 0.9, 0.1), 0.4), ((0.8, 0.2, 0.5, 0.1), 0.2)])
def test_bandit_tgap_limit_against_the_gradient_flow(rewards, eta):
    """The gradient flow dtheta/ds = pi (r - pi.r) at time s = eta t: t * gap -> limit."""
    r = np.array(rewards)

    def flow(s, theta):
        p = np.exp(theta - theta.max())
        p /= p.sum()
        return p * (r - p @ r)

    s_end = 1e6 * eta
    sol = solve_ivp(flow, (0, s_end), np.zeros(r.size), method="LSODA", rtol=1e-10, atol=1e-12)
    p = np.exp(sol.y[:, -1] - sol.y[:, -1].max())
    p /= p.sum()
    t_gap = 1e6 * (r.max() - p @ r)
    assert softmax_pg.bandit_tgap_limit(r.size, eta) == pytest.approx(t_gap, rel=5e-3)


def test_bandit_tgap_limit_validation():
    with pytest.raises(ValueError, match="A"):
        softmax_pg.bandit_tgap_limit(1, 0.1)
    with pytest.raises(ValueError, match="eta"):
        softmax_pg.bandit_tgap_limit(3, 0.0)


# --- log barrier -------------------------------------------------------------------------------


def test_log_barrier_formulas():
    _, pi_star = optimal_np(MDP6)
    D = (visitation_np(MDP6, pi_star, MDP6.rho) / MDP6.rho).max()
    assert softmax_pg.log_barrier_tolerance(MDP6, 0.1) == pytest.approx(0.1 / 36)
    assert softmax_pg.log_barrier_bound(MDP6, 0.1) == pytest.approx(2 * 0.1 / 0.2 * D, rel=1e-9)
    eps = 0.5
    assert softmax_pg.log_barrier_iterations(MDP6, eps) == pytest.approx(320 * 36 * 9 * D**2 / (0.2**6 * eps**2), rel=1e-9)
    # The 320 of Cor 5.1 is 8 beta S^2 A^2 / ((1 - gamma) lambda^2) at lambda = eps (1 - gamma)/(2D), beta <= 10/(1-gamma)^3.
    lam = eps * 0.2 / (2 * D)
    assert softmax_pg.smoothness(0.8, lam, 6) <= 10 / 0.2**3


def test_log_barrier_theorem_at_a_stationary_point():
    """AKLM Thm 5.2 at an exact stationary point of L_lambda, found by scipy's optimiser."""
    from scipy.optimize import minimize

    m = envs.random_mdp(3, 2, seed=4, gamma=0.6)
    lam = 0.2

    def neg(x):
        th = x.reshape(3, 2)
        return -pgbook.log_barrier_objective(m, th, lam), -pgbook.log_barrier_gradient(m, th, lam).ravel()

    res = minimize(neg, np.zeros(6), jac=True, method="BFGS", options={"gtol": 1e-10})
    th = res.x.reshape(3, 2)
    assert np.linalg.norm(pgbook.log_barrier_gradient(m, th, lam)) <= softmax_pg.log_barrier_tolerance(m, lam)
    gap = optimal_np(m)[0] @ m.rho - V_rho_np(m, th, m.rho)
    assert 0 <= gap <= softmax_pg.log_barrier_bound(m, lam)


def test_log_barrier_maximiser_is_stationary_and_its_gap_is_the_exact_formula():
    """The maximiser's gradient (by finite differences of a numpy L_lambda) vanishes, and the gap there is
    (lam/|S|) sum_s (d*_rho/d^pi_mu)(1 - 1/(|A| pi(a*|s))), here recomputed with numpy visitations."""
    m = envs.random_mdp(4, 3, seed=2, gamma=0.7)
    lam = 0.05
    th = softmax_pg.log_barrier_maximiser(m, lam)

    def L(t):
        p = np.exp(t - t.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        return value_np(m, p) @ m.rho + lam / p.size * np.log(p).sum() + lam * np.log(m.A)

    h = 1e-6
    g = np.array([(L(th + h * e.reshape(th.shape)) - L(th - h * e.reshape(th.shape))) / (2 * h)
                  for e in np.eye(th.size)])
    assert np.abs(g).max() < 1e-7
    V_star, pi_star = optimal_np(m)
    pi = pgbook.softmax(th)
    a_star = pi_star.argmax(axis=1)
    ratio = visitation_np(m, pi_star, m.rho) / visitation_np(m, pi, m.rho)
    expected = lam / m.S * (ratio * (1 - 1 / (m.A * pi[np.arange(m.S), a_star]))).sum()
    gap = V_star @ m.rho - value_np(m, pi) @ m.rho
    assert softmax_pg.log_barrier_stationary_gap(m, th, lam) == pytest.approx(expected, rel=1e-8)
    assert gap == pytest.approx(expected, abs=1e-8)
    assert 0 < gap <= softmax_pg.log_barrier_bound(m, lam)


def test_log_barrier_gap_tends_to_lambda_times_one_minus_one_over_A():
    m = envs.random_mdp(3, 4, seed=5, gamma=0.6)
    lam = 1e-4
    gap = softmax_pg.log_barrier_stationary_gap(m, softmax_pg.log_barrier_maximiser(m, lam), lam)
    assert gap / lam == pytest.approx(1 - 1 / m.A, rel=1e-2)


def test_log_barrier_stationary_validation():
    m = envs.random_mdp(2, 2, seed=0, gamma=0.5)
    with pytest.raises(ValueError, match="lam"):
        softmax_pg.log_barrier_maximiser(m, 0.0)
    with pytest.raises(ValueError, match="mu"):
        softmax_pg.log_barrier_stationary_gap(m, np.zeros((2, 2)), 0.1, mu=[1.0, 0.0])


def test_mei_entropy_bound_formula():
    """The linear bound with its constant (the book's derivation of Theorem 6) written out by hand (soft
    optimum by soft value iteration)."""
    m, tau, c = MDP6, 0.3, 0.05
    V = np.zeros(m.S)
    for _ in range(3000):
        V = tau * np.log(np.exp((m.r + m.gamma * m.P @ V) / tau).sum(axis=1))
    q = np.exp((m.r + m.gamma * m.P @ V) / tau)
    pi_tau = q / q.sum(axis=1, keepdims=True)
    D = (visitation_np(m, pi_tau, m.rho) / m.rho).max()
    kappa = 0.2**4 * tau * m.rho.min() * c**2 / ((8 + tau * (4 + 8 * np.log(3))) * 6 * D)
    t = np.array([1.0, 10.0, 1e6])
    expected = 6 * (1 + tau * np.log(3)) / 0.2 * np.exp(-(t - 1) * kappa)
    np.testing.assert_allclose(softmax_pg.mei_entropy_bound(m, t, c, tau), expected, rtol=1e-9)
    assert softmax_pg.mei_entropy_contraction(m, c, tau) == pytest.approx(kappa, rel=1e-9)


@pytest.mark.parametrize("c, tau, mu, match", [(0.0, 0.3, None, "c"), (2.0, 0.3, None, "c"), (0.1, 0.0, None, "tau"),
                                               (0.1, 0.3, [1, 0, 0, 0, 0, 0], "mu")])
def test_mei_entropy_contraction_validation(c, tau, mu, match):
    with pytest.raises(ValueError, match=match):
        softmax_pg.mei_entropy_contraction(MDP6, c, tau, mu)


@pytest.mark.parametrize("t, c, tau, match", [(0, 0.1, 0.3, "t"), (1, 0.0, 0.3, "c"), (1, 2.0, 0.3, "c"),
                                              (1, 0.1, 0.0, "tau")])
def test_mei_entropy_bound_validation(t, c, tau, match):
    with pytest.raises(ValueError, match=match):
        softmax_pg.mei_entropy_bound(MDP6, t, c, tau)


def test_entropy_pg_rate_matches_a_run():
    """The predicted per-step factor of the soft gap against the slope of a long run's log soft gap."""
    from pgbook import algorithms
    from pgbook.theory import npg

    m = envs.random_mdp(3, 2, seed=1, gamma=0.6)
    tau, eta = 0.5, 0.05
    q = softmax_pg.entropy_pg_rate(m, tau, eta)
    run = algorithms.entropy_pg(m, eta, 4000, tau=tau)
    V_tau = npg.soft_optimal(m, tau).V
    gap = np.array([V_tau @ m.rho - pgbook.soft_value(m, p, tau) @ m.rho for p in run.pi])
    late = (run.steps >= 1000) & (gap > 1e-11)
    slope = np.polyfit(run.steps[late], np.log(gap[late]), 1)[0]
    assert slope == pytest.approx(np.log(q), rel=2e-2)


def test_entropy_pg_rate_validation():
    m = envs.random_mdp(2, 2, seed=0, gamma=0.5)
    with pytest.raises(ValueError, match="eta"):
        softmax_pg.entropy_pg_rate(m, 1.0, 1e6)
    with pytest.raises(ValueError, match="tau"):
        softmax_pg.entropy_pg_rate(m, 0.0, 0.1)


def test_hessian_with_entropy_matches_second_differences_of_the_soft_value():
    m = envs.random_mdp(3, 2, seed=6, gamma=0.7)
    tau, th = 0.4, np.random.default_rng(0).normal(size=(3, 2))

    def f(t):
        p = np.exp(t - t.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        soft_reward = (p * (m.r - tau * np.log(p))).sum(axis=1)
        return np.linalg.solve(np.eye(3) - 0.7 * np.einsum("sa,sat->st", p, m.P), soft_reward) @ m.rho

    h, n = 1e-3, th.size
    E = np.eye(n).reshape(n, 3, 2) * h
    H = np.array([[(f(th + E[i] + E[j]) - f(th + E[i] - E[j]) - f(th - E[i] + E[j]) + f(th - E[i] - E[j]))
                   / (4 * h * h) for j in range(n)] for i in range(n)])
    np.testing.assert_allclose(softmax_pg.hessian(m, th, tau=tau), H, atol=1e-5)
