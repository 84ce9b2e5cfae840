"""Every visible check of book/gradients/pg_theorem.md, recomputed against an independent computation.

The symbolic identities are checked twice: exactly (sympy, marked slow) and at numbers, against
central finite differences of pgbook's values, which know nothing of the theorem.
"""

import numpy as np
import pytest
import sympy as sp
from conftest import central_difference

import pgbook
from pgbook import envs, symbolic

# The chapter's random MDP and parameters.
MDP = envs.random_mdp(5, 3, seed=0, gamma=0.9)
THETA = np.random.default_rng(1).normal(size=(5, 3))
TOL = 1e-7


def V_rho(theta, mdp=MDP):
    return mdp.rho @ pgbook.value(mdp, pgbook.softmax(theta))


@pytest.fixture(scope="module")
def fd():
    return central_difference(V_rho, THETA)


@pytest.fixture(scope="module")
def softmax_2x2():
    M = symbolic.tabular_mdp(2, 2)
    theta = symbolic.parameters(2, 2)
    pi = symbolic.softmax(theta)
    return M, theta, pi, symbolic.value(M, pi)


def instances(M, theta, n=3):
    """n random numeric 2x2 MDPs and parameters, as substitutions, with the MDPs themselves."""
    for seed in range(n):
        mdp = envs.random_mdp(2, 2, seed=100 + seed, gamma=0.5 + 0.2 * seed)
        th = np.random.default_rng(200 + seed).normal(size=(2, 2))
        subs = M.numbers(mdp)
        subs.update({t: float(x) for t, x in zip(theta, th.ravel())})
        yield mdp, th, subs


def score_by_differences(theta):
    """The softmax score d log pi(a|s) / d theta, by central differences of pgbook.log_softmax."""
    S, A = theta.shape
    return np.stack([central_difference(lambda th: pgbook.log_softmax(th)[s, a], theta)
                     for s in range(S) for a in range(A)]).reshape(S, A, S, A)


# --- 1. the closed form (1/(1-gamma)) sum d pi grad log pi Q equals sympy's derivative of V(theta)

def assert_softmax_gradient_at_numbers(form, M, theta):
    """At random numbers for the symbols, ``form`` is the finite-difference gradient of V(s_0)."""
    for mdp, th, subs in instances(M, theta):
        fd = central_difference(lambda x: pgbook.value(mdp, pgbook.softmax(x))[0], th)
        np.testing.assert_allclose(symbolic.evaluate(form, subs), fd, atol=TOL)


def test_closed_form_at_numbers_matches_finite_differences(softmax_2x2):
    M, theta, pi, _ = softmax_2x2
    assert_softmax_gradient_at_numbers(symbolic.gradient(M, pi, theta, s0=0), M, theta)


@pytest.mark.slow
def test_closed_form_equals_sympys_derivative_exactly(softmax_2x2):
    M, theta, pi, V = softmax_2x2
    difference = symbolic.gradient(M, pi, theta, s0=0) - symbolic.derivative(V[0], theta)
    assert sp.simplify(difference[1, 0]) == 0  # sympy's general simplifier agrees on one entry
    np.testing.assert_array_equal(symbolic.residual(difference), 0.0)


# --- 2. the hint

def test_hint_sum_p_grad_log_p_is_zero():
    w = sp.Matrix(sp.symbols("w_0:3", real=True))
    p = symbolic.softmax(w.T)
    hint = sp.Matrix([[sum(p[x] * sp.diff(sp.log(p[x]), wj) for x in range(3)) for wj in w]])
    assert all(sp.simplify(h) == 0 for h in hint)
    logits = np.array([[0.3, -1.2, 2.0]])
    probs = pgbook.softmax(logits)[0]
    score = np.stack([central_difference(lambda z: pgbook.log_softmax(z)[0, x], logits)[0] for x in range(3)])
    np.testing.assert_allclose(probs @ score, 0.0, atol=1e-9)


# --- 3. the softmax form (1/(1-gamma)) d pi A equals sympy's derivative

def softmax_form(M, pi):
    d = symbolic.visitation(M, pi, s0=0)
    adv = symbolic.advantage(M, pi)
    return sp.Matrix(2, 2, lambda s, a: d[s] * pi[s, a] * adv[s, a]) / (1 - M.gamma)


def test_softmax_form_at_numbers_matches_finite_differences(softmax_2x2):
    M, theta, pi, _ = softmax_2x2
    assert_softmax_gradient_at_numbers(softmax_form(M, pi), M, theta)


@pytest.mark.slow
def test_softmax_form_equals_sympys_derivative_exactly(softmax_2x2):
    M, theta, pi, V = softmax_2x2
    np.testing.assert_array_equal(symbolic.residual(softmax_form(M, pi) - symbolic.derivative(V[0], theta)), 0.0)


# --- 4. direct parameterisation: the Q-form, and the A-form's gap d V / (1 - gamma)

def V_direct(mdp, pi, s0=None):
    """The Bellman solve with the rows of pi free (off the simplex)."""
    P_pi = np.einsum("sa,sat->st", pi, mdp.P)
    V = np.linalg.solve(np.eye(mdp.S) - mdp.gamma * P_pi, (pi * mdp.r).sum(axis=1))
    return mdp.rho @ V if s0 is None else V[s0]


def test_direct_forms_at_numbers_match_finite_differences():
    M = symbolic.tabular_mdp(2, 2)
    theta = symbolic.parameters(2, 2)
    V = symbolic.value(M, theta)
    d = symbolic.visitation(M, theta, s0=0)
    Q = symbolic.q_value(M, theta, V)
    q_form = sp.Matrix(2, 2, lambda s, a: d[s] * Q[s, a]) / (1 - M.gamma)
    gap = sp.Matrix(2, 2, lambda s, a: d[s] * V[s]) / (1 - M.gamma)
    for seed in range(3):
        mdp = envs.random_mdp(2, 2, seed=300 + seed, gamma=0.8)
        pi = pgbook.softmax(np.random.default_rng(seed).normal(size=(2, 2)))
        subs = M.numbers(mdp)
        subs.update({t: float(x) for t, x in zip(theta, pi.ravel())})
        fd = central_difference(lambda x: V_direct(mdp, x, s0=0), pi)
        np.testing.assert_allclose(symbolic.evaluate(q_form, subs), fd, atol=TOL)
        adv = pgbook.advantage(mdp, pi)
        d_num = pgbook.visitation(mdp, pi, rho=0)
        np.testing.assert_allclose(d_num[:, None] * adv / (1 - mdp.gamma) + symbolic.evaluate(gap, subs), fd, atol=TOL)
        assert np.abs(symbolic.evaluate(gap, subs)).min() > 0.01  # the gap is real


@pytest.mark.slow
def test_direct_forms_exactly():
    M = symbolic.tabular_mdp(2, 2)
    theta = symbolic.parameters(2, 2)
    V = symbolic.value(M, theta)
    d = symbolic.visitation(M, theta, s0=0)
    Q = symbolic.q_value(M, theta, V)
    by_sympy = symbolic.derivative(V[0], theta)
    q_form = sp.Matrix(2, 2, lambda s, a: d[s] * Q[s, a]) / (1 - M.gamma)
    a_form = sp.Matrix(2, 2, lambda s, a: d[s] * (Q[s, a] - V[s])) / (1 - M.gamma)
    gap = sp.Matrix(2, 2, lambda s, a: d[s] * V[s]) / (1 - M.gamma)
    np.testing.assert_array_equal(symbolic.residual(by_sympy - q_form), 0.0)
    np.testing.assert_array_equal(symbolic.residual(by_sympy - a_form - gap), 0.0)
    assert symbolic.residual(by_sympy - a_form).min() == 1.0  # without the gap, no entry matches


# --- 5. after k unrolled steps the trajectory form misses exactly gamma^k E[grad V(s_k)]

def test_unrolling_remainder(fd):
    pi = pgbook.softmax(THETA)
    P_pi, _ = pgbook.policy_matrices(MDP, pi)
    Q = pgbook.q_value(MDP, pi)
    score = score_by_differences(THETA)
    b = np.einsum("sa,sa,satb->stb", pi, Q, score)  # immediate term b(s), per state
    grad_s = np.stack([central_difference(lambda th: pgbook.value(MDP, pgbook.softmax(th))[s], THETA)
                       for s in range(MDP.S)])  # grad V(s) for every s, by differences
    for k in (0, 1, 5, 20):
        weights = [MDP.gamma**t * MDP.rho @ np.linalg.matrix_power(P_pi, t) for t in range(k)]
        partial = sum((w @ b.reshape(MDP.S, -1) for w in weights), np.zeros(b[0].size)).reshape(THETA.shape)
        mu_k = MDP.rho @ np.linalg.matrix_power(P_pi, k)
        remainder = MDP.gamma**k * np.einsum("s,stb->tb", mu_k, grad_s)
        np.testing.assert_allclose(partial + remainder, fd, atol=TOL)


# --- 6-9. trajectory form, Q-form, A-form and the softmax form against finite differences

def test_trajectory_form(fd):
    pi = pgbook.softmax(THETA)
    P_pi, _ = pgbook.policy_matrices(MDP, pi)
    Q = pgbook.q_value(MDP, pi)
    score = score_by_differences(THETA)
    mu, total = MDP.rho.copy(), np.zeros_like(THETA)
    for t in range(300):
        total += MDP.gamma**t * np.einsum("s,sa,sa,satb->tb", mu, pi, Q, score)
        mu = mu @ P_pi
    np.testing.assert_allclose(total, fd, atol=TOL)


@pytest.mark.parametrize("weights", ["Q", "A"])
def test_q_and_a_forms(fd, weights):
    pi = pgbook.softmax(THETA)
    W = pgbook.q_value(MDP, pi) if weights == "Q" else pgbook.advantage(MDP, pi)
    d = pgbook.visitation(MDP, pi)
    form = np.einsum("s,sa,sa,satb->tb", d, pi, W, score_by_differences(THETA)) / (1 - MDP.gamma)
    np.testing.assert_allclose(form, fd, atol=TOL)


def test_softmax_gradient(fd):
    np.testing.assert_allclose(pgbook.softmax_gradient(MDP, THETA), fd, atol=TOL)


# --- 10. direct parameterisation on the random MDP

def test_direct_on_the_random_mdp():
    pi = pgbook.softmax(THETA)
    fd = central_difference(lambda x: V_direct(MDP, x), pi)
    np.testing.assert_allclose(pgbook.direct_gradient(MDP, pi), fd, atol=TOL)
    gap = (pgbook.visitation(MDP, pi) * pgbook.value(MDP, pi))[:, None] / (1 - MDP.gamma)
    a_form = pgbook.visitation(MDP, pi)[:, None] * pgbook.advantage(MDP, pi) / (1 - MDP.gamma)
    np.testing.assert_allclose(a_form + gap, fd, atol=TOL)
    assert np.abs(a_form - fd).max() > 0.1


# --- 11. log-linear

def test_loglinear():
    phi = np.random.default_rng(2).normal(size=(5, 3, 4))
    w = np.random.default_rng(3).normal(size=4)
    fd = central_difference(lambda x: MDP.rho @ pgbook.value(MDP, pgbook.loglinear(x, phi)), w)
    np.testing.assert_allclose(pgbook.loglinear_gradient(MDP, w, phi), fd, atol=TOL)
    pi = pgbook.loglinear(w, phi)
    score = np.stack([central_difference(lambda x: np.log(pgbook.loglinear(x, phi))[s, a], w)
                      for s in range(5) for a in range(3)]).reshape(5, 3, 4)
    np.testing.assert_allclose(score, pgbook.centred_features(phi, pi), atol=1e-8)
    a_form = np.einsum("s,sa,sa,sak->k", pgbook.visitation(MDP, pi), pi, pgbook.advantage(MDP, pi), score)
    np.testing.assert_allclose(a_form / (1 - MDP.gamma), fd, atol=TOL)


# --- 12. the recursion grad V(s0) = immediate + future at the figure's points

def test_recursion_at_the_figure_points():
    P = np.array([[[0.9, 0.1], [0.2, 0.8]], [[0.1, 0.9], [0.7, 0.3]]])
    two = pgbook.MDP(P, r=[[0.4, 0.0], [1.0, 0.1]], gamma=0.8)
    for x in np.linspace(-3, 3, 4):
        for y in np.linspace(-3, 3, 4):
            th = np.array([[x, 0.0], [y, 0.0]])
            pi = pgbook.softmax(th)
            grad = [central_difference(lambda z: pgbook.value(two, pgbook.softmax(z))[s], th) for s in range(2)]
            Q = pgbook.q_value(two, pi)
            immediate = np.einsum("a,a,atb->tb", pi[0], Q[0], score_by_differences(th)[0])
            future = two.gamma * sum(pi[0, a] * two.P[0, a, s1] * grad[s1] for a in range(2) for s1 in range(2))
            np.testing.assert_allclose(immediate + future, grad[0], atol=TOL)
            assert np.abs(immediate[1]).max() < 1e-9  # the immediate part leaves state 1's parameters alone
