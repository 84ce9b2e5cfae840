"""pgbook.theory.approximation against independent computations: simulated visitations, brute-force
condition numbers, normal equations, the published bound written out, and input validation."""

import math

import numpy as np
import pytest
from scipy.linalg import eigh

import pgbook
from pgbook import algorithms, envs, features
from pgbook.theory import approximation as apx


def test_walk_moves_and_rewards():
    m = envs.walk(n=5, goal=2, gamma=0.8, slip=0.2)
    assert m.P[0, 1, 1] == pytest.approx(0.8) and m.P[0, 1, 0] == pytest.approx(0.2)
    assert m.P[4, 1, 4] == pytest.approx(0.8)  # moving off the line stays
    assert np.allclose(m.r, m.P[:, :, 2] * (np.arange(5) != 2)[:, None])
    pi_star, _ = pgbook.policy_iteration(m)
    assert pi_star[0, 1] == 1 and pi_star[1, 1] == 1 and pi_star[3, 0] == 1 and pi_star[4, 0] == 1


@pytest.mark.parametrize("kwargs,name", [({"n": 2}, "n"), ({"goal": 0}, "goal"), ({"goal": 6}, "goal"),
                                         ({"gamma": 1.0}, "gamma"), ({"slip": 1.0}, "slip")])
def test_walk_rejects_bad_input(kwargs, name):
    with pytest.raises(ValueError, match=name):
        envs.walk(**kwargs)


def test_walk_features():
    m = envs.walk()
    pos = features.walk_features(m, "position")
    assert pos.shape == (7, 2, 4)
    assert np.allclose(pos[0, 1], [0, 0, 1, -1]) and np.allclose(pos[6, 0], [1, 1, 0, 0])
    blind = features.walk_features(m, "blind")
    assert np.allclose(blind[2], np.eye(2)) and np.allclose(blind[4], np.eye(2))
    for kind in features.WALK_FEATURES:  # no features at the terminal goal
        assert not features.walk_features(m, kind)[3].any()
    tabular = features.walk_features(m, "tabular")
    assert tabular.shape == (7, 2, 12)
    assert np.allclose(tabular, np.delete(features.one_hot(m), [6, 7], axis=2) * (np.arange(7) != 3)[:, None, None])
    with pytest.raises(ValueError, match="kind"):
        features.walk_features(m, "deep")
    with pytest.raises(ValueError, match="mdp"):
        features.walk_features(envs.random_mdp(3, 3, seed=0), "blind")


def test_state_action_visitation_by_power_series():
    m = envs.random_mdp(4, 3, seed=1, gamma=0.7)
    pi = pgbook.softmax(np.random.default_rng(0).standard_normal((4, 3)))
    nu = np.random.default_rng(1).random((4, 3))
    nu /= nu.sum()
    x, total = nu.copy(), np.zeros((4, 3))
    for t in range(200):
        total += (1 - m.gamma) * m.gamma**t * x
        x = np.einsum("sa,sat,tb->tb", x, m.P, pi)
    assert np.allclose(apx.state_action_visitation(m, pi, nu), total, atol=1e-12)
    with pytest.raises(ValueError, match="nu"):
        apx.state_action_visitation(m, pi, np.ones((4, 3)))


def test_q_fit_solves_the_normal_equations():
    rng = np.random.default_rng(2)
    phi, Q, weights = rng.standard_normal((5, 3, 4)), rng.random((5, 3)), rng.random((5, 3))
    w = apx.q_fit(Q, phi, weights)
    X = phi.reshape(15, 4)
    w_normal = np.linalg.solve(X.T @ (weights.ravel()[:, None] * X), X.T @ (weights * Q).ravel())
    assert np.allclose(w, w_normal, atol=1e-10)
    loss = sum(weights[s, a] * (Q[s, a] - phi[s, a] @ w) ** 2 for s in range(5) for a in range(3))
    assert apx.q_loss(w, Q, phi, weights) == pytest.approx(loss, rel=1e-12)
    with pytest.raises(ValueError, match="weights"):
        apx.q_fit(Q, phi, -weights)
    with pytest.raises(ValueError, match="w"):
        apx.q_loss(np.zeros(3), Q, phi, weights)


def test_relative_condition_number_against_generalised_eigenvalues():
    rng = np.random.default_rng(3)
    phi = rng.standard_normal((6, 2, 3))
    d_star, nu = rng.random((6, 2)), rng.random((6, 2))
    d_star, nu = d_star / d_star.sum(), nu / nu.sum()
    Sd = np.einsum("sa,sai,saj->ij", d_star, phi, phi)
    Sn = np.einsum("sa,sai,saj->ij", nu, phi, phi)
    kappa = apx.relative_condition_number(phi, d_star, nu)
    assert kappa == pytest.approx(eigh(Sd, Sn, eigvals_only=True).max(), rel=1e-10)
    ws = rng.standard_normal((2000, 3))
    ratios = np.einsum("ki,ij,kj->k", ws, Sd, ws) / np.einsum("ki,ij,kj->k", ws, Sn, ws)
    assert ratios.max() <= kappa * (1 + 1e-12)


def test_relative_condition_number_is_infinite_off_support():
    phi = np.eye(4).reshape(2, 2, 4)
    nu = np.array([[0.5, 0.5], [0.0, 0.0]])
    assert math.isinf(apx.relative_condition_number(phi, np.full((2, 2), 0.25), nu))
    # a direction neither distribution uses does not count
    d_star = np.array([[0.2, 0.8], [0.0, 0.0]])
    assert apx.relative_condition_number(phi, d_star, nu) == pytest.approx(1.6)


def test_q_npg_bound_formula():
    opt, stat, tr = apx.q_npg_bound(B=2.0, W=3.0, T=50, A=4, gamma=0.9, kappa=2.0, eps_stat=0.01, eps_bias=0.04)
    assert opt == pytest.approx(2 * 3 / 0.1 * np.sqrt(2 * np.log(4) / 50))
    assert stat == pytest.approx(np.sqrt(4 * 4 * 2 * 0.01 / 0.001))
    assert tr == pytest.approx(np.sqrt(16 * 0.04) / 0.1)
    assert apx.q_npg_bound(B=1, W=1, T=1, A=2, gamma=0.5, kappa=math.inf, eps_stat=0.0, eps_bias=0.0)[1] == 0
    with pytest.raises(ValueError, match="kappa"):
        apx.q_npg_bound(B=1, W=1, T=1, A=2, gamma=0.5, kappa=-1, eps_stat=0, eps_bias=0)


def test_q_npg_terms_tabular_has_no_transfer_error():
    """One-hot features with uniform nu: the best fit is Q itself (AKLM Remark 6.2)."""
    m = envs.walk()
    phi = features.walk_features(m, "tabular")
    eta = apx.q_npg_eta(1.0, 3.0, 40, 2)
    terms = apx.q_npg_terms(m, algorithms.q_npg(m, phi, eta, 40, record_every=1), 3.0)
    assert terms.eps_bias < 1e-25 and terms.eps_stat < 1e-20
    d = pgbook.visitation(m, pgbook.policy_iteration(m)[0]) / 2
    assert terms.kappa == pytest.approx((np.delete(d, 3) / (1 / 14)).max())  # diagonal, the goal has no features
    assert terms.mismatch == pytest.approx((d / (1 / 14)).max())  # ||d*/nu|| counts the goal
    assert terms.eps_approx < 1e-25
    assert terms.gap <= terms.bound


def test_q_npg_terms_validation():
    m = envs.walk()
    phi = features.walk_features(m, "blind")
    with pytest.raises(ValueError, match="record_every"):
        apx.q_npg_terms(m, algorithms.q_npg(m, phi, 0.1, 10, record_every=2), 1.0)
    with pytest.raises(ValueError, match="eta"):
        apx.q_npg_terms(m, algorithms.q_npg(m, phi, 0.1, 10, record_every=1), 1.0)
    eta = apx.q_npg_eta(1.0, 1e-3, 10, 2)
    with pytest.raises(ValueError, match="W"):
        apx.q_npg_terms(m, algorithms.q_npg(m, phi, eta, 10, record_every=1), 1e-3)
    with pytest.raises(ValueError, match="run"):
        apx.q_npg_terms(m, algorithms.loglinear_npg(m, phi, 0.1, 10, record_every=1), 1.0)


def test_npg_regret_terms_tabular_errors_vanish():
    """With one-hot features the compatible fit is exact, so every err_t is 0 (AKLM Lemma 5.1)."""
    m = envs.walk()
    phi = features.walk_features(m, "tabular")
    reg = apx.npg_regret_terms(m, algorithms.loglinear_npg(m, phi, 0.5, 60, record_every=1))
    assert np.abs(reg.err).max() < 1e-12
    assert reg.beta == 1.0
    assert reg.gap <= reg.bound


def test_q_npg_terms_corollary_6_1():
    """Cor 6.1's factors: eps_bias <= ||d*/nu|| eps_approx / (1 - gamma), with both recomputed here."""
    m = envs.walk()
    phi = features.walk_features(m, "position")
    nu = np.random.default_rng(4).random((7, 2))
    nu /= nu.sum()
    eta = apx.q_npg_eta(np.sqrt(2), 2.0, 30, 2)
    run = algorithms.q_npg(m, phi, eta, 30, nu=nu, record_every=1)
    terms = apx.q_npg_terms(m, run, 2.0)
    d_star = pgbook.visitation(m, pgbook.policy_iteration(m)[0])[:, None] / 2 * np.ones(2)
    assert terms.mismatch == pytest.approx((d_star / nu).max())
    approx = max(apx.q_loss(apx.q_fit(pgbook.q_value(m, pi), phi, d), pgbook.q_value(m, pi), phi, d)
                 for pi in run.pi[:30] for d in [apx.state_action_visitation(m, pi, nu)])
    assert terms.eps_approx == pytest.approx(approx, rel=1e-10)
    assert terms.eps_bias <= terms.mismatch * terms.eps_approx / (1 - m.gamma)
    blind_nu = np.zeros((7, 2))
    blind_nu[4:] = 1 / 6
    run0 = algorithms.q_npg(m, phi, eta, 30, nu=blind_nu, record_every=1)
    assert math.isinf(apx.q_npg_terms(m, run0, 2.0).mismatch)


def test_npg_regret_terms_identity_for_any_steps():
    """The mirror-descent identity holds for any sequence w(t): here Q-NPG's steps fitted on sampled pairs;
    every term recomputed with plain numpy (log pi from logits, log-sum-exp)."""
    m = envs.walk()
    phi = features.walk_features(m, "position")
    run = apx.q_npg_sampled(m, phi, 0.3, 25, N=8, seed=3)
    reg = apx.npg_regret_terms(m, run)
    pi_star = pgbook.policy_iteration(m)[0]
    d = pgbook.visitation(m, pi_star)
    log_pis = [phi @ th - np.log(np.exp(phi @ th).sum(axis=1, keepdims=True)) for th in run.theta]
    potential = [np.sum(d[:, None] * pi_star * (np.log(np.where(pi_star > 0, pi_star, 1)) - lp)) for lp in log_pis]
    assert np.allclose(reg.potential, potential, atol=1e-12)
    for t in range(25):
        w = (run.theta[t + 1] - run.theta[t]) / 0.3
        x = 0.3 * phi @ w
        c = np.log(np.sum(np.exp(log_pis[t] + x), axis=1)) - np.sum(np.exp(log_pis[t]) * x, axis=1)
        assert np.allclose(reg.curvature[t], c, atol=1e-14)
        assert reg.w_norm[t] == pytest.approx(np.linalg.norm(w))
    lhs = (1 - m.gamma) * reg.gaps
    rhs = -np.diff(reg.potential) / 0.3 + reg.curvature @ reg.weights / 0.3 + reg.err
    assert np.allclose(lhs, rhs, atol=1e-12)
    assert (reg.curvature >= 0).all()
    assert reg.gaps == pytest.approx(pgbook.value(m, pi_star)[0] - run.V_rho[:25])


def test_sampled_fit_excess_risk_replays_the_draws():
    """Replay the generator: counts from a multinomial, the least-squares fit on the N rows, its excess risk."""
    rng = np.random.default_rng(5)
    phi, Q, weights = rng.standard_normal((4, 2, 3)), rng.random((4, 2)), rng.random((4, 2))
    excess = apx.sampled_fit_excess_risk(Q, phi, weights, 30, n_fits=5, seed=11)
    p = (weights / weights.sum()).ravel()
    X, y = phi.reshape(8, 3), Q.ravel()
    best = np.linalg.lstsq(np.sqrt(p)[:, None] * X, np.sqrt(p) * y, rcond=None)[0]
    replay = np.random.default_rng(11)
    for k, counts in enumerate(replay.multinomial(30, p, size=5)):
        rows = np.repeat(np.arange(8), counts)
        w = np.linalg.lstsq(X[rows], y[rows], rcond=None)[0]
        assert excess[k] == pytest.approx(p @ (y - X @ w) ** 2 - p @ (y - X @ best) ** 2, rel=1e-8, abs=1e-14)
        assert excess[k] >= -1e-15
    with pytest.raises(ValueError, match="N"):
        apx.sampled_fit_excess_risk(Q, phi, weights, 0, n_fits=5, seed=0)
    with pytest.raises(ValueError, match="weights"):
        apx.sampled_fit_excess_risk(Q, phi, np.zeros((4, 2)), 10, n_fits=5, seed=0)


def test_excess_risk_constant_against_monte_carlo():
    """N times the mean excess risk at large N, from many fits, against tr(Sigma^-1 Omega)."""
    rng = np.random.default_rng(6)
    phi, Q, weights = rng.standard_normal((5, 2, 2)), rng.random((5, 2)), rng.random((5, 2))
    constant = apx.excess_risk_constant(Q, phi, weights)
    x = 2000 * apx.sampled_fit_excess_risk(Q, phi, weights, 2000, n_fits=4000, seed=7)
    assert abs(x.mean() - constant) < 4 * x.std(ddof=1) / np.sqrt(x.size)
    assert apx.excess_risk_constant(phi @ np.array([1.0, -2.0]), phi, weights) == pytest.approx(0, abs=1e-20)


def test_corridor_value():
    corridor = envs.short_corridor()
    for p in (0.1, 0.5, 2 - np.sqrt(2)):
        assert apx.corridor_value(p) == pytest.approx(pgbook.value(corridor, np.tile([p, 1 - p], (4, 1)))[0])
    assert apx.corridor_value(0.5) == pytest.approx(-12.0)
    assert apx.corridor_value(2 - np.sqrt(2)) == pytest.approx(-(6 + 4 * np.sqrt(2)))
    with pytest.raises(ValueError, match="p"):
        apx.corridor_value([0.5, 1.0])


def test_q_npg_sampled_replays_least_squares_on_the_drawn_pairs():
    """Replay the generator: each step is the least-squares fit of exact Q on the pairs drawn from d_nu."""
    m = envs.walk()
    phi = features.walk_features(m, "position")
    run = apx.q_npg_sampled(m, phi, 0.2, 5, N=12, seed=7)
    rng = np.random.default_rng(7)
    theta = np.zeros(4)
    for t in range(5):
        pi = pgbook.loglinear(theta, phi)
        assert np.allclose(run.pi[t], pi) and run.V_rho[t] == pytest.approx(pgbook.value(m, pi) @ m.rho)
        d = apx.state_action_visitation(m, pi, np.full((7, 2), 1 / 14)).ravel()
        pairs = rng.choice(14, size=12, p=d / d.sum())
        X = phi.reshape(14, 4)[pairs]
        w = np.linalg.pinv(X) @ pgbook.q_value(m, pi).ravel()[pairs]
        theta = theta + 0.2 * w
        assert np.allclose(run.theta[t + 1], theta, atol=1e-10)


def test_q_npg_sampled_rejects_bad_input():
    m = envs.walk()
    phi = features.walk_features(m, "blind")
    with pytest.raises(ValueError, match="N"):
        apx.q_npg_sampled(m, phi, 0.1, 5, N=0, seed=0)
    with pytest.raises(ValueError, match="eta"):
        apx.q_npg_sampled(m, phi, -0.1, 5, N=3, seed=0)
    with pytest.raises(ValueError, match="phi"):
        apx.q_npg_sampled(m, phi[:3], 0.1, 5, N=3, seed=0)
