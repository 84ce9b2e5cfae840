"""pgbook.theory.symbolic: the symbolic results, evaluated at numbers, against pgbook's numerical functions
and finite differences; the exact zero test; bad input."""

import numpy as np
import pytest
import sympy as sp
from conftest import central_difference

import pgbook
from pgbook import envs
from pgbook.theory import symbolic


def numbers(M, mdp, theta_sym, theta):
    subs = M.numbers(mdp)
    subs.update({t: float(x) for t, x in zip(theta_sym, np.ravel(theta))})
    return subs


@pytest.fixture(scope="module")
def two_by_two():
    """The symbolic 2x2 MDP with the softmax policy, and a random numeric instance of it."""
    M = symbolic.tabular_mdp(2, 2)
    theta_sym = symbolic.parameters(2, 2)
    pi_sym = symbolic.softmax_formula(theta_sym)
    mdp = envs.random_mdp(2, 2, seed=11, gamma=0.85)
    theta = np.random.default_rng(12).normal(size=(2, 2))
    return M, theta_sym, pi_sym, mdp, theta, numbers(M, mdp, theta_sym, theta)


@pytest.mark.parametrize("S, A", [(2, 2), (2, 3), pytest.param(3, 2, marks=pytest.mark.slow)])
def test_value_q_advantage_visitation_match_pgbook(S, A):
    M = symbolic.tabular_mdp(S, A)
    theta_sym = symbolic.parameters(S, A)
    pi_sym = symbolic.softmax_formula(theta_sym)
    mdp = envs.random_mdp(S, A, seed=S * 10 + A, gamma=0.9)
    theta = np.random.default_rng(S + A).normal(size=(S, A))
    subs = numbers(M, mdp, theta_sym, theta)
    pi = pgbook.softmax(theta)
    np.testing.assert_allclose(symbolic.substitute(pi_sym, subs), pi, atol=1e-14)
    np.testing.assert_allclose(symbolic.substitute(symbolic.value_formula(M, pi_sym), subs)[:, 0], pgbook.value(mdp, pi), atol=1e-11)
    np.testing.assert_allclose(symbolic.substitute(symbolic.q_value_formula(M, pi_sym), subs), pgbook.q_value(mdp, pi), atol=1e-11)
    np.testing.assert_allclose(symbolic.substitute(symbolic.advantage_formula(M, pi_sym), subs), pgbook.advantage(mdp, pi), atol=1e-11)
    for s0 in range(S):
        d = symbolic.substitute(symbolic.visitation_formula(M, pi_sym, s0), subs)[:, 0]
        np.testing.assert_allclose(d, pgbook.visitation(mdp, pi, rho=s0), atol=1e-12)


def test_policy_matrices_match_pgbook(two_by_two):
    M, theta_sym, pi_sym, mdp, theta, subs = two_by_two
    P_pi, r_pi = symbolic.policy_matrices_formula(M, pi_sym)
    P_num, r_num = pgbook.policy_matrices(mdp, pgbook.softmax(theta))
    np.testing.assert_allclose(symbolic.substitute(P_pi, subs), P_num, atol=1e-14)
    np.testing.assert_allclose(symbolic.substitute(r_pi, subs)[:, 0], r_num, atol=1e-14)


def test_gradient_forms_match_pgbook_and_finite_differences(two_by_two):
    M, theta_sym, pi_sym, mdp, theta, subs = two_by_two
    V = symbolic.value_formula(M, pi_sym)
    for s0 in range(2):
        expected = pgbook.softmax_gradient(mdp, theta, rho=s0)
        fd = central_difference(lambda th: pgbook.value(mdp, pgbook.softmax(th))[s0], theta)
        q_form = symbolic.substitute(symbolic.gradient_formula(M, pi_sym, theta_sym, s0), subs)
        a_form = symbolic.substitute(
            symbolic.gradient_formula(M, pi_sym, theta_sym, s0, weights=symbolic.advantage_formula(M, pi_sym)), subs
        )
        by_sympy = symbolic.substitute(symbolic.derivative(V[s0], theta_sym), subs)
        for g in (q_form, a_form, by_sympy):
            np.testing.assert_allclose(g, expected, atol=1e-11)
            np.testing.assert_allclose(g, fd, atol=1e-8)


def test_direct_parameterisation_gradient_is_the_q_form(two_by_two):
    M, theta_sym, _, mdp, _, _ = two_by_two
    pi = pgbook.softmax(np.random.default_rng(3).normal(size=(2, 2)))
    subs = numbers(M, mdp, theta_sym, pi)
    V_direct = symbolic.value_formula(M, theta_sym)
    by_sympy = symbolic.substitute(symbolic.derivative(V_direct[0], theta_sym), subs)
    q_form = symbolic.substitute(symbolic.gradient_formula(M, theta_sym, theta_sym, 0), subs)
    np.testing.assert_allclose(by_sympy, pgbook.direct_gradient(mdp, pi, rho=0), atol=1e-11)
    np.testing.assert_allclose(q_form, pgbook.direct_gradient(mdp, pi, rho=0), atol=1e-11)


def test_score_of_softmax_is_indicator_minus_pi(two_by_two):
    _, theta_sym, pi_sym, _, theta, subs = two_by_two
    g = np.array(sp.Array(symbolic.score(pi_sym, theta_sym)).subs(subs).tolist(), dtype=float)
    pi = pgbook.softmax(theta)
    expected = np.einsum("st,sab->satb", np.eye(2), np.eye(2)[None] - pi[:, None, :])
    np.testing.assert_allclose(g, expected, atol=1e-14)
    fd = np.stack([central_difference(lambda th: pgbook.log_softmax(th)[s, a], theta)
                   for s in range(2) for a in range(2)]).reshape(2, 2, 2, 2)
    np.testing.assert_allclose(g, fd, atol=1e-8)


def test_the_derivation_steps_instantiate_to_the_gradient(two_by_two):
    """Every step of the general derivation, with the softmax policy put in, evaluates to pgbook's gradient."""
    M, theta_sym, pi_sym, mdp, theta, subs = two_by_two
    lhs = sp.Derivative(symbolic.Vf(0, symbolic.THETA), symbolic.THETA)
    step1 = sp.diff(symbolic.bellman_v(M, 0), symbolic.THETA)
    step2 = symbolic.log_trick(step1)
    step3 = symbolic.expand_q(step2, M)
    assert step3.has(sp.Derivative(symbolic.Vf(1, symbolic.THETA), symbolic.THETA))
    assert not step3.has(symbolic.Qf(0, 0, symbolic.THETA).diff(symbolic.THETA))
    expected = pgbook.softmax_gradient(mdp, theta, rho=0)
    for (i, j), coordinate in zip(np.ndindex(2, 2), theta_sym):
        for expr in (lhs, step1, step2, step3):
            got = symbolic.substitute(symbolic.instantiate(expr, M, pi_sym, coordinate), subs)
            assert abs(got - expected[i, j]) < 1e-11


def test_equation_prints_nabla_and_lines():
    M = symbolic.tabular_mdp(2, 2)
    step = symbolic.expand_q(symbolic.log_trick(sp.diff(symbolic.bellman_v(M, 0), symbolic.THETA)), M)
    text = symbolic.Equation(sp.Derivative(symbolic.Vf(0, symbolic.THETA), symbolic.THETA), step, per_line=2)._repr_latex_()
    assert text.startswith(r"$\displaystyle \begin{aligned} \nabla V^{\pi_\theta}(0) &=")
    assert r"\nabla \log \pi_\theta(0 \mid 0)" in text and r"\\ &\quad" in text
    # the score terms come before the next state's gradient
    assert text.index(r"\nabla \log") < text.index(r"\nabla V^{\pi_\theta}(1)")


def test_simplified_is_an_exact_zero_test():
    x, y = sp.symbols("x y", real=True)
    assert symbolic.simplified(sp.exp(2 * x) - sp.exp(x) ** 2) == 0
    assert symbolic.simplified(sp.exp(x + y) - sp.exp(x) * sp.exp(y)) == 0
    assert symbolic.simplified(1 / (1 + sp.exp(x)) + 1 / (1 + sp.exp(-x)) - 1) == 0
    assert symbolic.simplified(sp.exp(x) - x) != 0
    M = sp.Matrix([[sp.exp(x) * sp.exp(-x) - 1, x]])
    np.testing.assert_array_equal(symbolic.residual(M), [[0.0, 1.0]])
    assert symbolic.residual(x - x) == 0.0


def test_evaluate_names_missing_symbols():
    x, y = sp.symbols("x y")
    assert symbolic.substitute(x + 1, {x: 2}) == 3.0
    with pytest.raises(ValueError, match="subs: no number for \\['y'\\]"):
        symbolic.substitute(x + y, {x: 1})
    with pytest.raises(TypeError, match="subs"):
        symbolic.substitute(x, [1])


def test_bad_input():
    M = symbolic.tabular_mdp(2, 2)
    theta = symbolic.parameters(2, 2)
    with pytest.raises(ValueError, match="S: must be a positive integer"):
        symbolic.tabular_mdp(0, 2)
    with pytest.raises(ValueError, match="S: at most"):
        symbolic.tabular_mdp(symbolic.MAX_STATES + 1, 2)
    with pytest.raises(ValueError, match="A: at most"):
        symbolic.tabular_mdp(2, symbolic.MAX_ACTIONS + 1)
    with pytest.raises(TypeError, match="A: expected a positive integer"):
        symbolic.tabular_mdp(2, True)
    with pytest.raises(ValueError, match="name"):
        symbolic.parameters(2, 2, name="not a name")
    with pytest.raises(TypeError, match="theta: expected a sympy Matrix"):
        symbolic.softmax_formula("theta")
    with pytest.raises(ValueError, match="pi: expected shape \\(2, 2\\)"):
        symbolic.value_formula(M, sp.ones(2, 3))
    with pytest.raises(TypeError, match="mdp: expected a SymbolicMDP"):
        symbolic.value_formula(pgbook.envs.random_mdp(2, 2, seed=0), theta)
    with pytest.raises(ValueError, match="mdp: expected S = 2, A = 2"):
        M.numbers(envs.random_mdp(3, 2, seed=0))
    with pytest.raises(ValueError, match="a: action index"):
        M.P_a(2)
    with pytest.raises(ValueError, match="s: state index"):
        symbolic.bellman_v(M, s=2)
    with pytest.raises(ValueError, match="s0: state index"):
        symbolic.visitation_formula(M, theta, s0=-1)
    with pytest.raises(TypeError, match="coordinate"):
        symbolic.instantiate(symbolic.bellman_v(M), M, theta, 1.0)
    with pytest.raises(ValueError, match="theta: every entry must be a sympy Symbol"):
        symbolic.score(theta, sp.Matrix([[1, 2]]))
    with pytest.raises(ValueError, match="theta: contains repeated symbols"):
        symbolic.derivative(theta[0, 0], sp.Matrix([[theta[0, 0], theta[0, 0]]]))
    with pytest.raises(ValueError, match="weights: expected shape"):
        symbolic.gradient_formula(M, theta, theta, weights=sp.ones(3, 3))
    with pytest.raises(ValueError, match="per_line"):
        symbolic.Equation(theta[0, 0], theta[0, 1], per_line=0)


def test_symbolic_mdp_rows_sum_to_one_and_print():
    M = symbolic.tabular_mdp(3, 2)
    for s in range(3):
        for a in range(2):
            assert sp.simplify(sum(M.P[s, a, t] for t in range(3)) - 1) == 0
    assert len(M.symbols) == 3 * 2 * 2 + 3 * 2 + 1
    assert repr(M) == "SymbolicMDP(S=3, A=2)"
    assert M._repr_latex_().startswith(r"$\displaystyle P_{0} = ")
