"""Every visible check of book/approximation/approximation.md, recomputed independently: Q-NPG and
log-linear NPG written out here with dense linear solves on the state-action chain, finite-difference
gradients and scores, the corridor's Bellman equations solved by sympy, and a scalar optimiser."""

import numpy as np
import pytest
import sympy as sp
from conftest import central_difference
from scipy.optimize import minimize_scalar

import pgbook
from pgbook import algorithms, envs
from pgbook import approximation as apx

WALK = apx.walk()
S, A, GAMMA = WALK.S, WALK.A, WALK.gamma
RHO = WALK.rho


def _policy(theta, phi):
    logits = phi @ theta
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _evaluate(pi, rho=RHO):
    """V, Q and the normalised state visitation by dense solves (not pgbook.exact)."""
    P_pi = np.einsum("sa,sat->st", pi, WALK.P)
    M = np.eye(S) - GAMMA * P_pi
    V = np.linalg.solve(M, np.einsum("sa,sa->s", pi, WALK.r))
    d = (1 - GAMMA) * np.linalg.solve(M.T, rho)
    return V, WALK.r + GAMMA * WALK.P @ V, d


def _pair_visitation(pi, nu):
    """d(s, a) = (1-gamma) nu^T (I - gamma P_sa)^{-1} on the chain of state-action pairs."""
    P_sa = np.einsum("sat,tb->satb", WALK.P, pi).reshape(S * A, S * A)
    return (1 - GAMMA) * np.linalg.solve((np.eye(S * A) - GAMMA * P_sa).T, nu.ravel()).reshape(S, A)


def _fit(Q, phi, weights):
    X = phi.reshape(S * A, -1)
    G = X.T @ (weights.ravel()[:, None] * X)
    return np.linalg.pinv(G, rcond=1e-12) @ (X.T @ (weights * Q).ravel())


def _loss(w, Q, phi, weights):
    return float(np.sum(weights * (Q - phi @ w) ** 2))


def _own_qnpg(phi, eta, T, nu):
    """Q-NPG written out: V(rho) of every iterate and the fitted steps w(t)."""
    theta = np.zeros(phi.shape[2])
    V_rho, ws, pis = [], [], []
    for _ in range(T):
        pi = _policy(theta, phi)
        V, Q, _ = _evaluate(pi)
        w = _fit(Q, phi, _pair_visitation(pi, nu))
        V_rho.append(V @ RHO), ws.append(w), pis.append(pi)
        theta = theta + eta * w
    return np.array(V_rho), np.array(ws), pis


def _own_bound(phi, eta, T, nu, W):
    """Every term of AKLM Thm 6.1, from the own Q-NPG loop; kappa by brute force over directions."""
    pi_star, _ = pgbook.policy_iteration(WALK)
    V_star = _evaluate(pi_star)[0] @ RHO
    d_star = _evaluate(pi_star)[2][:, None] * np.full(A, 1 / A)
    V_rho, ws, pis = _own_qnpg(phi, eta, T, nu)
    assert np.linalg.norm(ws, axis=1).max() <= W
    eps_bias = max(_loss(_fit(_evaluate(p)[1], phi, _pair_visitation(p, nu)), _evaluate(p)[1], phi, d_star)
                   for p in pis)
    B = np.linalg.norm(phi, axis=2).max()
    transfer = np.sqrt(4 * A * eps_bias) / (1 - GAMMA)
    optimisation = B * W / (1 - GAMMA) * np.sqrt(2 * np.log(A) / T)
    return V_star - V_rho.max(), optimisation + transfer, V_rho


def test_compatible_fit_is_the_natural_gradient():
    phi = apx.walk_features(WALK, "position")
    theta = np.array([0.3, -0.2, -0.1, 0.4])
    pi = _policy(theta, phi)
    _, _, d = _evaluate(pi)
    score = phi - np.einsum("sa,sak->sk", pi, phi)[:, None, :]
    F = np.einsum("s,sa,sai,saj->ij", d, pi, score, score)
    grad = central_difference(lambda th: _evaluate(_policy(th, phi))[0] @ RHO, theta)
    w = pgbook.compatible_fit(WALK, theta, phi)
    assert np.allclose(w, (1 - GAMMA) * np.linalg.pinv(F) @ grad, rtol=0, atol=1e-8)


def test_qnpg_bound_holds_with_position_features():
    phi = apx.walk_features(WALK, "position")
    T, W = 300, 1.0
    eta = np.sqrt(2 * np.log(A) / (2 * W**2 * T))  # B^2 = 2
    gap, bound, V_rho = _own_bound(phi, eta, T, np.full((S, A), 1 / (S * A)), W)
    run = algorithms.q_npg(WALK, phi, eta, T, record_every=1)
    assert np.allclose(run.V_rho[:T], V_rho, atol=1e-10)
    assert 0 <= gap <= bound
    terms = apx.q_npg_terms(WALK, run, W)
    assert terms.gap == pytest.approx(gap, abs=1e-10)
    assert terms.bound == pytest.approx(bound, rel=1e-6)


def test_qnpg_steps_are_the_exact_fits():
    phi = apx.walk_features(WALK, "position")
    T, eta = 50, 0.3
    nu = np.full((S, A), 1 / (S * A))
    _, ws, _ = _own_qnpg(phi, eta, T, nu)
    run = algorithms.q_npg(WALK, phi, eta, T, record_every=1)
    assert np.allclose(np.diff(run.theta, axis=0) / eta, ws, atol=1e-9)


def test_qnpg_bound_holds_with_sampled_fits():
    """eps_stat recomputed here: the excess risk of the run's steps over the exact fits, under d_nu."""
    phi = apx.walk_features(WALK, "position")
    T, W = 300, 3.0
    eta = np.sqrt(2 * np.log(A) / (2 * W**2 * T))
    nu = np.full((S, A), 1 / (S * A))
    run = apx.q_npg_sampled(WALK, phi, eta, T, N=50, seed=0)
    pi_star, _ = pgbook.policy_iteration(WALK)
    d_star = _evaluate(pi_star)[2][:, None] * np.full(A, 1 / A)
    eps_stat = eps_bias = 0.0
    for t in range(T):
        pi = _policy(run.theta[t], phi)
        Q, d_t = _evaluate(pi)[1], _pair_visitation(pi, nu)
        w_best, w_run = _fit(Q, phi, d_t), (run.theta[t + 1] - run.theta[t]) / eta
        assert np.linalg.norm(w_run) <= W
        eps_stat = max(eps_stat, _loss(w_run, Q, phi, d_t) - _loss(w_best, Q, phi, d_t))
        eps_bias = max(eps_bias, _loss(w_best, Q, phi, d_star))
    Sd = np.einsum("sa,sai,saj->ij", d_star, phi, phi)
    Sn = np.einsum("sa,sai,saj->ij", nu, phi, phi)
    kappa = np.linalg.eigvals(np.linalg.solve(Sn, Sd)).real.max()
    gap = _evaluate(pi_star)[0] @ RHO - max(_evaluate(_policy(th, phi))[0] @ RHO for th in run.theta[:T])
    bound = (np.sqrt(2) * W / (1 - GAMMA) * np.sqrt(2 * np.log(A) / T)
             + np.sqrt(4 * A * kappa * eps_stat / (1 - GAMMA) ** 3) + np.sqrt(4 * A * eps_bias) / (1 - GAMMA))
    assert eps_stat > 0.01 and gap <= bound
    assert apx.q_npg_terms(WALK, run, W).bound == pytest.approx(bound, rel=1e-8)


def _coverage_nu(lam):
    cells = np.arange(S)[:, None] * np.ones(A)
    return lam * (cells < 3) / 6 + (1 - lam) * (cells >= 3) / 8


def test_blind_exploration_never_weighs_the_cells_pi_star_visits():
    """Power iteration of the state-action chain started from nu: no mass ever reaches cells 0..2."""
    nu = _coverage_nu(0.0)
    for pi in (np.full((S, A), 0.5), pgbook.policy_iteration(WALK)[0]):
        x = nu.copy()
        for _ in range(200):
            x = np.einsum("sa,sat,tb->tb", x, WALK.P, pi)
            assert x[:3].sum() == 0.0
        assert _pair_visitation(pi, nu)[:3].sum() == 0.0


def test_tabular_qnpg_stalls_without_coverage():
    phi = apx.walk_features(WALK, "tabular")
    T, W = 150, 3.0
    eta = np.sqrt(2 * np.log(A) / (W**2 * T))
    V_rho, _, _ = _own_qnpg(phi, eta, T, _coverage_nu(0.0))
    uniform_value = _evaluate(np.full((S, A), 0.5))[0] @ RHO
    assert np.allclose(V_rho, uniform_value, atol=1e-12)
    run = algorithms.q_npg(WALK, phi, eta, T, nu=_coverage_nu(0.0), record_every=1)
    assert run.V_rho.max() == pytest.approx(uniform_value, abs=1e-12)


@pytest.mark.slow
@pytest.mark.parametrize("kind,W", [("tabular", 3.0), ("blind", 1.0)])
@pytest.mark.parametrize("lam", [0.0, 0.001, 0.01, 0.03, 0.1, 0.2, 0.35, 0.5, 0.75, 0.9])
def test_qnpg_bound_holds_in_every_coverage_run(kind, W, lam):
    phi = apx.walk_features(WALK, kind)
    T = 150
    B = np.linalg.norm(phi, axis=2).max()
    eta = np.sqrt(2 * np.log(A) / (B**2 * W**2 * T))
    gap, bound, _ = _own_bound(phi, eta, T, _coverage_nu(lam), W)
    assert gap <= bound


def test_regret_lemma_holds_for_loglinear_npg():
    """err_t with finite-difference scores and the compatible fit solved here."""
    phi = apx.walk_features(WALK, "position")
    T, eta = 300, 0.5
    pi_star, _ = pgbook.policy_iteration(WALK)
    _, _, d_star = _evaluate(pi_star)
    theta, V_rho, errs, W = np.zeros(4), [], [], 0.0
    for _ in range(T):
        pi = _policy(theta, phi)
        V, Q, d = _evaluate(pi)
        score = np.stack([central_difference(lambda th: np.log(_policy(th, phi))[s, a], theta)
                          for s in range(S) for a in range(A)]).reshape(S, A, 4)
        weights = d[:, None] * pi
        X = (np.sqrt(weights)[..., None] * score).reshape(S * A, 4)
        w = np.linalg.lstsq(X, (np.sqrt(weights) * (Q - V[:, None])).ravel(), rcond=1e-6)[0]
        errs.append(np.sum(d_star[:, None] * pi_star * (Q - V[:, None] - score @ w)))
        V_rho.append(V @ RHO)
        W = max(W, np.linalg.norm(w))
        theta = theta + eta * w
    beta = np.linalg.norm(phi, axis=2).max() ** 2
    gap = _evaluate(pi_star)[0] @ RHO - max(V_rho)
    bound = (np.log(A) / (eta * T) + eta * beta * W**2 / 2 + np.mean(errs)) / (1 - GAMMA)
    assert gap <= bound
    reg = apx.npg_regret_terms(WALK, algorithms.loglinear_npg(WALK, phi, eta, T, record_every=1))
    assert reg.bound == pytest.approx(bound, rel=1e-5)


def test_corridor_closed_form_matches_bellman_equations():
    p, v1, v2, v3 = sp.symbols("p v1 v2 v3")
    sol = sp.solve([sp.Eq(v1, -1 + p * v2 + (1 - p) * v1), sp.Eq(v2, -1 + p * v1 + (1 - p) * v3),
                    sp.Eq(v3, -1 + (1 - p) * v2)], [v1, v2, v3])
    ps = np.linspace(0.05, 0.95, 19)
    sympy_values = [float(sol[v1].subs(p, q)) for q in ps]
    assert np.allclose(apx.corridor_value(ps), sympy_values, atol=1e-12)
    corridor = envs.short_corridor()
    exact = [pgbook.value(corridor, np.tile([q, 1 - q], (4, 1)))[0] for q in ps]
    assert np.allclose(exact, sympy_values, atol=1e-10)


def test_corridor_gradient_ascent_reaches_p_star():
    """The maximiser of v_p(S1) by a scalar optimiser, and gradient ascent with finite differences."""
    best = minimize_scalar(lambda q: -(2 * q - 4) / (q * (1 - q)), bounds=(0.01, 0.99), method="bounded",
                           options={"xatol": 1e-10})
    assert best.x == pytest.approx(2 - np.sqrt(2), abs=1e-7)
    corridor, x = envs.short_corridor(), envs.short_corridor_features()
    theta = np.zeros(2)
    for _ in range(300):
        theta += 0.02 * central_difference(lambda th: pgbook.value(corridor, pgbook.loglinear(th, x))[0], theta)
    assert pgbook.loglinear(theta, x)[0, 0] == pytest.approx(best.x, abs=1e-6)
