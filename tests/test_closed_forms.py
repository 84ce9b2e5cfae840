"""Closed forms and published numbers (AKLM Proposition 4.1 and Lemma 3.1, the chain's
hitting time, Sutton and Barto Example 13.1, bandits) against pgbook's exact computations."""

from decimal import Decimal
from fractions import Fraction

import mpmath
import numpy as np
import pytest
from conftest import central_difference

from pgbook import algorithms, envs, exact, features, gradients, highprec, softmax

SQRT2 = np.sqrt(2.0)


# --- Sutton & Barto's short corridor (F1) -------------------------------------------------------

def _corridor_values(p):
    """v_p(S1), v_p(S2), v_p(S3) from pgbook for the policy Pr(right) = p in every state."""
    return exact.value(envs.short_corridor(), np.tile([p, 1.0 - p], (4, 1)))[:3]


def _v1_closed_form(p):
    return (2 * p - 4) / (p * (1 - p))


def test_corridor_fair_coin():
    assert np.allclose(_corridor_values(0.5), [-12.0, -10.0, -6.0], rtol=0, atol=1e-12)


def test_corridor_value_matches_the_closed_form():
    for p in (0.05, 0.3, 0.5, 0.9, 0.95):
        assert _corridor_values(p)[0] == pytest.approx(_v1_closed_form(p), rel=1e-13)


def test_corridor_optimum_by_grid_search():
    """p* = 2 - sqrt 2 and v* = -(6 + 4 sqrt 2): a coarse grid, then a 1e-5 grid around its best point."""
    coarse = np.arange(1, 1000) / 1000
    best = coarse[np.argmax([_corridor_values(p)[0] for p in coarse])]
    fine = best + np.arange(-200, 201) * 1e-5
    values = [_corridor_values(p)[0] for p in fine]
    assert fine[np.argmax(values)] == pytest.approx(2 - SQRT2, abs=1e-5)
    assert max(values) == pytest.approx(-(6 + 4 * SQRT2), abs=1e-6)


def test_corridor_gradient_vanishes_at_the_optimum():
    p = 2 - SQRT2
    theta = np.array([np.log(p / (1 - p)), 0.0])
    g = gradients.loglinear_gradient(envs.short_corridor(), theta, features.short_corridor_features())
    assert np.abs(g).max() < 1e-10
    assert _corridor_values(p)[0] == pytest.approx(-(6 + 4 * SQRT2), rel=1e-13)


def test_corridor_epsilon_greedy_values():
    """epsilon = 0.1: the book's 'less than -44 and -82'."""
    assert _corridor_values(0.95)[0] == pytest.approx(-44.2105, abs=1e-4)
    assert _corridor_values(0.05)[0] == pytest.approx(-82.1053, abs=1e-4)


def test_corridor_policy_gradient_at_theta_0_3():
    """dJ/dtheta = 0.2635553 at theta = 0.3 with p = sigma(theta): pgbook's PG theorem (visit counts,
    gamma = 1) against central differences of the closed form v(sigma(theta))."""
    g = gradients.loglinear_gradient(envs.short_corridor(), np.array([0.3, 0.0]), features.short_corridor_features())
    assert g[0] == pytest.approx(0.2635553, abs=1e-7)
    fd = central_difference(lambda t: _v1_closed_form(1 / (1 + np.exp(-t[0]))), np.array([0.3]))[0]
    assert g[0] == pytest.approx(fd, abs=1e-9)


# --- The AKLM chain (C3, C4) ----------------------------------------------------------------------

def _value_iteration(mdp, tol=1e-13):
    V = np.zeros(mdp.S)
    while True:
        V_next = (mdp.r + mdp.gamma * mdp.P @ V).max(axis=1)
        if np.abs(V_next - V).max() < tol:
            return V_next
        V = V_next


@pytest.mark.parametrize("H", [1, 3, 5, 10, 20])
def test_chain_optimal_value(H):
    """V*(s0) = gamma^{H+1}/(1 - gamma); AKLM App. B.2's gamma^{H+2}/(1 - gamma) is a typo."""
    gamma = H / (H + 1)
    V_star = _value_iteration(envs.chain(H))[0]
    assert V_star == pytest.approx(gamma ** (H + 1) / (1 - gamma), rel=1e-11)
    assert abs(V_star - gamma ** (H + 2) / (1 - gamma)) > 0.01


def test_chain_optimal_value_in_high_precision():
    for H in (5, 40, 200):
        with mpmath.workdps(60):
            gamma = mpmath.mpf(H) / (H + 1)
            closed = gamma ** (H + 1) / (1 - gamma)
            assert abs(highprec.chain_exact(H).V_star / closed - 1) < mpmath.mpf(10) ** -50


# A high-precision (mpmath) table for AKLM Proposition 4.1's chain: H, V*(s0), V^pi(s0), ||grad V||_2 at theta = 1/4 ('' where not printed).
C3_TABLE = [
    (5, "2.0094", "9.628e-3", "9.04e-2"),
    (10, "3.8554", "1.0106e-4", "1.454e-3"),
    (20, "7.5378", "5.0789e-9", "1.101e-7"),
    (30, "", "1.7222e-13", "4.701e-12"),
    (40, "14.8972", "4.8709e-18", "1.559e-16"),
    (80, "29.6133", "1.4506e-36", "6.729e-35"),
]


def _agrees_to_printed_digits(x, printed: str) -> bool:
    """|x - printed| <= one unit in the last printed digit. (Half a unit holds for every entry but
    V^pi at H = 30: the exact 1.722145e-13 is printed as 1.7222e-13.)"""
    d = Decimal(printed)
    unit = Decimal(1).scaleb(d.as_tuple().exponent)
    return abs(Decimal(mpmath.nstr(x, 30)) - d) <= unit


@pytest.mark.parametrize("H, V_star, V_pi, grad_norm", C3_TABLE)
def test_chain_table(H, V_star, V_pi, grad_norm):
    c = highprec.chain_exact(H)
    if V_star:
        assert _agrees_to_printed_digits(c.V_star, V_star)
    assert _agrees_to_printed_digits(c.V_pi, V_pi)
    assert _agrees_to_printed_digits(c.grad_norm, grad_norm)


@pytest.mark.parametrize("H", [3, 12, 30])
def test_chain_exact_against_a_dense_high_precision_solve(H):
    """The tridiagonal path of pgbook.highprec against mpmath's dense LU on the same chain MDP."""
    mdp = envs.chain(H)
    pi = envs.chain_policy(np.full((H, 3), 0.25))  # exact in binary
    with mpmath.workdps(60):
        gamma = mpmath.mpf(H) / (H + 1)
        P_pi = np.einsum("sa,sat->st", pi, mdp.P)
        M = mpmath.eye(H + 2) - gamma * mpmath.matrix(P_pi.tolist())
        V = mpmath.lu_solve(M, mpmath.matrix((pi * mdp.r).sum(axis=1).tolist()))
        nu = mpmath.lu_solve(M.T, mpmath.matrix(mdp.rho.tolist()))
        Q = [[mdp.r[s, a] + gamma * V[int(mdp.P[s, a].argmax())] for a in range(4)] for s in range(H + 2)]
        grad = [nu[s] * (Q[s][0] - Q[s][3]) for s in range(1, H + 1)]
        c = highprec.chain_exact(H)
        assert abs(c.V_pi / V[0] - 1) < mpmath.mpf(10) ** -45
        assert max(abs(x / y - 1) for x, y in zip(c.grad, grad)) < mpmath.mpf(10) ** -45


@pytest.mark.parametrize("H", [5, 10, 20, 30, 40, 80, 200])
def test_chain_vanishing_gradient_bounds(H):
    """AKLM Prop. 4.1 and App. B.2 at theta = 1/4: ||grad V|| <= (1/3)^{H/4}, V^pi <= (H+1)^2/3^H,
    so V* - V^pi >= (H+1)/8 - (H+1)^2/3^H."""
    c = highprec.chain_exact(H)
    assert c.grad_norm <= mpmath.mpf(3) ** (-mpmath.mpf(H) / 4)
    assert c.V_pi <= mpmath.mpf(H + 1) ** 2 / mpmath.mpf(3) ** H
    assert c.V_star - c.V_pi >= mpmath.mpf(H + 1) / 8 - mpmath.mpf(H + 1) ** 2 / mpmath.mpf(3) ** H


@pytest.mark.parametrize("H", range(1, 31))
@pytest.mark.parametrize("theta_a1", [0.25, 0.2499])
def test_chain_float64_against_high_precision(H, theta_a1):
    """pgbook's float64 path keeps relative accuracy at every H up to the cap H = 30, where V^pi ~ 1e-13
    and a solve that pivots (np.linalg.solve(I - gamma P_pi, r_pi)) is 7% off; the optimisation runs,
    which evaluate with the same kernels, see the same value."""
    theta = np.full((H, 3), (1 - theta_a1) / 3)
    theta[:, 0] = theta_a1
    mdp, pi = envs.chain(H), envs.chain_policy(theta)
    g = gradients.direct_gradient(mdp, pi)
    grad = g[1:-1, :3] - g[1:-1, 3:]
    c = highprec.chain_exact(H, theta_a1=theta_a1)
    assert exact.value(mdp, pi)[0] == pytest.approx(float(c.V_pi), rel=1e-12)
    assert algorithms.projected_ga(mdp, 1e-3, 1, pi0=pi).V_rho[0] == pytest.approx(float(c.V_pi), rel=1e-12)
    assert np.linalg.norm(grad) == pytest.approx(float(c.grad_norm), rel=1e-9)
    assert np.allclose(grad[:, 0], [float(x) for x in c.grad], rtol=1e-9, atol=0)


@pytest.mark.parametrize("H", range(2, 21))
def test_chain_hitting_time(H):
    """C4: E[T_hit] = (9 * 3^H - 4H - 7)/2 from s0 under the uniform policy, by an exact rational solve."""
    T = highprec.chain_hitting_time(H)
    assert T == Fraction(9 * 3**H - 4 * H - 7, 2)
    assert T.denominator == 1


def test_chain_reaching_the_end_in_h_plus_one_steps():
    """C4: under the uniform policy, Pr(s_{H+1} reached within H + 1 steps) = 4^{-H}."""
    for H in (2, 6, 12):
        P_pi = np.einsum("sa,sat->st", np.full((H + 2, 4), 0.25), envs.chain(H).P)
        assert np.linalg.matrix_power(P_pi, H + 1)[0, H + 1] == pytest.approx(4.0**-H, rel=1e-12)


def test_chain_non_concavity():
    """A8: V^{pi_theta}(s0) on the H = 3 chain (softmax) violates midpoint concavity for many pairs."""
    mdp = envs.chain(3)
    rng = np.random.default_rng(0)

    def V(theta):
        return exact.value(mdp, softmax(theta))[0]

    pairs = 3.0 * rng.standard_normal((500, 2, mdp.S, mdp.A))
    violated = [V((a + b) / 2) < (V(a) + V(b)) / 2 for a, b in pairs]
    assert np.mean(violated) > 0.25


# --- Bandits (F3) ---------------------------------------------------------------------------------

def test_bandit_softmax_gradient():
    """gamma = 0, one state: dV/dtheta_a = pi_a (r_a - pi . r)."""
    r = np.array([1.0, 0.9, 0.1])
    theta = np.array([[0.2, -0.4, 1.1]])
    pi = softmax(theta)[0]
    assert np.allclose(gradients.softmax_gradient(envs.bandit(r), theta)[0], pi * (r - pi @ r), rtol=0, atol=1e-15)


@pytest.mark.parametrize("tau", [0.1, 1.0])
def test_bandit_entropy_regularized_optimum(tau):
    """Cen et al. Fig. 1 bandit: pi*_tau ∝ exp(r / tau), V_tilde* = tau log sum exp(r / tau), zero gradient there."""
    r = np.array([1.0, 0.9, 0.1])
    mdp = envs.bandit(r)
    theta = (r / tau)[None, :]
    assert np.abs(gradients.entropy_regularized_gradient(mdp, theta, tau)).max() < 1e-14
    V_soft = gradients.soft_value(mdp, softmax(theta), tau)[0]
    assert V_soft == pytest.approx(tau * np.log(np.sum(np.exp(r / tau))), rel=1e-14)
    assert gradients.soft_value(mdp, softmax(theta + [[0.1, 0.0, -0.1]]), tau)[0] < V_soft
