"""pgbook.theory.simplex: PG and NPG from many starts, against per-step library updates and closed forms."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize

import pgbook
from pgbook import envs
from pgbook.theory import simplex, surrogates


def stepped(mdp, theta0, eta, T, method):
    """Reference iterates: T explicit steps with pgbook.softmax_gradient, pgbook.npg_step, or the gradient
    scaled by surrogates.kl_step_size to the mean KL of the NPG step."""
    theta, pis = np.array(theta0, dtype=float), []
    for _ in range(T + 1):
        pis.append(pgbook.softmax(theta))
        if method == "pg":
            theta = theta + eta * pgbook.softmax_gradient(mdp, theta)
        elif method == "npg":
            theta = pgbook.npg_step(mdp, theta, eta)
        else:
            grad = pgbook.softmax_gradient(mdp, theta)
            target = surrogates.mean_kl(mdp, pgbook.softmax(theta), pgbook.softmax(pgbook.npg_step(mdp, theta, eta)))
            theta = theta + surrogates.kl_step_size(mdp, theta, grad, target) * grad
    return np.array(pis)


@pytest.mark.parametrize("method", simplex.METHODS)
def test_runs_equal_explicit_steps_of_the_library(method):
    mdp = envs.random_mdp(4, 3, seed=3, gamma=0.8)
    rng = np.random.default_rng(0)
    theta0 = rng.normal(0, 2, size=(3, 4, 3))
    T = 15 if method == "pg_kl" else 60  # after that, its steps exceed the largest kl_step_size finds
    tr = simplex.runs(mdp, 0.7, T, theta0=theta0, method=method, records=12)
    assert tr.pi.shape == (3, tr.steps.size, 4, 3) and tr.V_rho.shape == (3, tr.steps.size)
    # the centred logits are log pi up to the shift that makes each state's sum 0
    log_pi = np.log(tr.pi)
    np.testing.assert_allclose(tr.theta, log_pi - log_pi.mean(axis=-1, keepdims=True), atol=1e-9)
    for n in range(3):
        ref = stepped(mdp, theta0[n], 0.7, T, method)
        np.testing.assert_allclose(tr.pi[n], ref[tr.steps], atol=1e-10 if method == "pg_kl" else 1e-12)
        V = [pgbook.value(mdp, p) @ mdp.rho for p in ref[tr.steps]]
        np.testing.assert_allclose(tr.V_rho[n], V, atol=1e-12)


def test_runs_use_rho_for_pg_only():
    mdp = envs.random_mdp(3, 3, seed=1, gamma=0.9)
    theta0 = np.zeros((1, 3, 3))
    a = simplex.runs(mdp, 1.0, 20, theta0=theta0, method="npg", rho=0)
    b = simplex.runs(mdp, 1.0, 20, theta0=theta0, method="npg", rho=2)
    np.testing.assert_allclose(a.pi, b.pi, atol=1e-14)
    c = simplex.runs(mdp, 1.0, 20, theta0=theta0, method="pg", rho=0)
    d = simplex.runs(mdp, 1.0, 20, theta0=theta0, method="pg", rho=2)
    assert np.abs(c.pi - d.pi).max() > 1e-3


def test_runs_reject_bad_input():
    b = envs.bandit([1.0, 0.5, 0.0])
    theta0 = np.zeros((2, 1, 3))
    with pytest.raises(ValueError, match="method"):
        simplex.runs(b, 0.1, 10, theta0=theta0, method="sgd")
    with pytest.raises(ValueError, match="theta0"):
        simplex.runs(b, 0.1, 10, theta0=np.zeros((2, 3)), method="pg")
    with pytest.raises(ValueError, match="theta0"):
        simplex.runs(b, 0.1, 10, theta0=np.zeros((0, 1, 3)), method="pg")
    with pytest.raises(ValueError, match="eta"):
        simplex.runs(b, 0.0, 10, theta0=theta0, method="pg")
    with pytest.raises(ValueError, match="T"):
        simplex.runs(b, 0.1, 0, theta0=theta0, method="pg")
    with pytest.raises(ValueError, match="records"):
        simplex.runs(b, 0.1, 10, theta0=theta0, method="pg", records=1)


@settings(max_examples=60, deadline=None)
@given(T=st.integers(1, 100_000), records=st.integers(2, 200))
def test_record_steps_are_increasing_from_0_to_T(T, records):
    s = simplex.record_steps(T, records)
    assert s[0] == 0 and s[-1] == T and (np.diff(s) > 0).all()
    assert s.size == min(T + 1, records)
    if records >= 3 * np.log10(T) + 3:  # a grid that fine holds every power of ten up to T
        assert set(10 ** np.arange(int(np.log10(T)) + 1)) <= set(s.tolist())


def test_record_steps_keep_every_early_iteration():
    s = simplex.record_steps(10_000, 64)
    np.testing.assert_array_equal(s[:11], np.arange(11))


def test_start_logits_put_the_policy_in_one_state():
    mdp = envs.fork(0.9)
    pi_s = np.array([[0.2, 0.5, 0.3], [0.001, 0.001, 0.998]])
    theta0 = simplex.start_logits(mdp, 0, pi_s)
    pi = pgbook.softmax(theta0)
    np.testing.assert_allclose(pi[:, 0], pi_s, atol=1e-15)
    np.testing.assert_allclose(pi[:, 1:], 1 / 3, atol=1e-15)
    with pytest.raises(ValueError, match="state"):
        simplex.start_logits(mdp, 3, pi_s)
    with pytest.raises(ValueError, match="pi_s"):
        simplex.start_logits(mdp, 0, [[0.5, 0.5, 0.0]])
    with pytest.raises(ValueError, match="pi_s"):
        simplex.start_logits(mdp, 0, [[0.5, 0.6, 0.1]])


def test_simplex_grid():
    g = simplex.simplex_grid(12, margin=1e-3)
    assert g.shape == (91, 3)
    np.testing.assert_allclose(g.sum(axis=1), 1.0, atol=1e-15)
    assert abs(g.min() - 1e-3) < 1e-15 and abs(g.max() - 0.998) < 1e-15
    assert np.isclose(g, 1 / 3).all(axis=1).any(), "n divisible by 3 contains the centre"
    assert np.unique(g.round(12), axis=0).shape[0] == 91
    with pytest.raises(ValueError, match="margin"):
        simplex.simplex_grid(4, margin=0.4)
    with pytest.raises(ValueError, match="n"):
        simplex.simplex_grid(0)


def test_to_plane_is_an_equilateral_triangle_of_side_one():
    xy = simplex.to_plane(np.eye(3))
    np.testing.assert_allclose(xy, [[0.5, np.sqrt(3) / 2], [0, 0], [1, 0]], atol=1e-15)
    d = np.linalg.norm(xy[:, None] - xy[None], axis=-1)
    np.testing.assert_allclose(d[np.triu_indices(3, 1)], 1.0, atol=1e-15)
    np.testing.assert_allclose(simplex.to_plane(np.full(3, 1 / 3)), xy.mean(axis=0), atol=1e-15)
    with pytest.raises(ValueError, match="pi"):
        simplex.to_plane(np.ones(4) / 4)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), eta=st.floats(0.05, 3.0))
def test_kl_mirror_step_maximises_the_proximal_objective(seed, eta):
    rng = np.random.default_rng(seed)
    pi = rng.dirichlet(np.ones(3)) * 0.97 + 0.01
    g = rng.normal(size=3)
    p = simplex.kl_mirror_step(pi, g, eta)

    def value(q):
        return eta * g @ q - np.sum(q * np.log(q / pi))

    others = rng.dirichlet(np.ones(3), size=200)
    assert (value(p) >= np.array([value(q) for q in others]) - 1e-12).all()
    res = minimize(lambda q: -value(q), np.full(3, 1 / 3), method="SLSQP", bounds=[(1e-12, 1)] * 3,
                   constraints={"type": "eq", "fun": lambda q: q.sum() - 1}, options={"ftol": 1e-15})
    np.testing.assert_allclose(p, res.x, atol=1e-5)


def test_kl_mirror_step_is_npg_in_each_state():
    mdp = envs.random_mdp(4, 3, seed=7, gamma=0.9)
    theta = np.random.default_rng(1).normal(size=(4, 3))
    pi = pgbook.softmax(theta)
    adv = pgbook.advantage(mdp, pi)
    np.testing.assert_allclose(simplex.kl_mirror_step(pi, adv, 0.5 / (1 - mdp.gamma)),
                               pgbook.softmax(pgbook.npg_step(mdp, theta, 0.5)), atol=1e-14)


def test_kl_mirror_step_rejects_bad_input():
    with pytest.raises(ValueError, match="pi"):
        simplex.kl_mirror_step([0.5, 0.5, 0.0], [1, 2, 3], 1.0)
    with pytest.raises(ValueError, match="g"):
        simplex.kl_mirror_step([0.5, 0.5], [1, 2, 3], 1.0)
    with pytest.raises(ValueError, match="eta"):
        simplex.kl_mirror_step([0.5, 0.5], [1, 2], -1.0)


@pytest.mark.parametrize("gamma", [0.0, 0.3, 0.5, 0.7, 0.95])
def test_fork_optimum_and_room_visitation(gamma):
    mdp = envs.fork(gamma)
    _, V_vi = pgbook.value_iteration(mdp, tol=1e-12)
    assert abs(V_vi[0] - max(0.5, gamma)) < 1e-9
    pi = np.full((3, 3), 1 / 3)
    pi[0] = [0.7, 0.2, 0.1]
    d = pgbook.visitation(mdp, pi)
    assert abs(d[1] - (1 - gamma) * gamma * 0.2) < 1e-14


def test_sweep_gap_and_best_action():
    forks = [envs.fork(0.4), envs.fork(0.8)]
    starts = simplex.simplex_grid(3)
    sw = simplex.sweep(forks, [0.5, 2.0], starts, 30, records=8)
    assert sw.pi.shape == (2, 2, 2, 10, 8, 3) and sw.gap.shape == (2, 2, 2, 10, 8)
    np.testing.assert_array_equal(sw.best, [0, 1])
    g, e, m, n, k = 1, 0, 0, 4, 5
    theta = simplex.start_logits(forks[g], 0, starts[n:n + 1])[0]
    ref = stepped(forks[g], theta, 0.5, 30, "pg")[sw.steps[k]]
    np.testing.assert_allclose(sw.pi[g, e, m, n, k], ref[0], atol=1e-12)
    assert abs(sw.gap[g, e, m, n, k] - (0.8 - pgbook.value(forks[g], ref)[0])) < 1e-12
    fair = simplex.sweep(forks, [0.5], starts, 12, records=8, methods=("pg_kl",))
    assert fair.methods == ("pg_kl",) and fair.pi.shape == fair.theta.shape == (2, 1, 1, 10, 8, 3)
    ref = stepped(forks[g], theta, 0.5, 12, "pg_kl")[fair.steps[k]]
    np.testing.assert_allclose(fair.pi[g, 0, 0, n, k], ref[0], atol=1e-10)


def test_sweep_rejects_bad_input():
    starts = simplex.simplex_grid(2)
    with pytest.raises(ValueError, match="mdps"):
        simplex.sweep([], [1.0], starts, 5)
    with pytest.raises(ValueError, match="3 actions"):
        simplex.sweep([envs.bandit([1.0, 0.0])], [1.0], starts, 5)
    with pytest.raises(ValueError, match="distinct"):
        simplex.sweep([envs.fork(0.9), envs.fork(0.9)], [1.0], starts, 5)
    with pytest.raises(ValueError, match="etas"):
        simplex.sweep([envs.fork(0.9)], [1.0, -1.0], starts, 5)
    with pytest.raises(ValueError, match="starts"):
        simplex.sweep([envs.fork(0.9)], [1.0], np.ones((2, 2)) / 2, 5)
    for methods in (("pg", "pg"), ("sgd",), (), "pg"):
        with pytest.raises(ValueError, match="methods"):
            simplex.sweep([envs.fork(0.9)], [1.0], starts, 5, methods=methods)
