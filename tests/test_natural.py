"""The Fisher matrix and the natural policy gradient (pgbook.natural) against AKLM Lemma 5.1 and Eq. (17), AJKS Claim 14.5."""

import numpy as np
import pytest
from conftest import mdps, seeds, theta_cases
from hypothesis import given, settings
from hypothesis import strategies as st

from pgbook import envs, exact, gradients, greedy, loglinear, natural, softmax

SETTINGS = settings(max_examples=50, deadline=None)


def _scores(pi):
    """grad_theta log pi(a|s) for tabular softmax, flattened: entry [s, a, s'*A + a'] = 1[s = s'](1[a = a'] - pi(a'|s))."""
    S, A = pi.shape
    score = np.zeros((S, A, S, A))
    for s in range(S):
        score[s, :, s, :] = np.eye(A) - pi[s]
    return score.reshape(S, A, S * A)


@SETTINGS
@given(case=theta_cases())
def test_fisher_is_the_expected_outer_product_of_scores(case):
    mdp, theta, rho = case
    pi = softmax(theta)
    d = exact.visitation(mdp, pi, rho)
    score = _scores(pi)
    expected = np.einsum("s,sa,sai,saj->ij", d, pi, score, score)
    F = natural.fisher(mdp, theta, rho)
    assert np.allclose(F, expected, rtol=0, atol=1e-14)


def _pinv(F):
    """The pseudo-inverse that drops singular values below 1e-10 of the largest: the tabular Fisher's
    null directions (per-state constants) come out of the SVD as ~1e-18, not 0, and inverting them
    would swamp the step with round-off."""
    return np.linalg.pinv(F, rcond=1e-10)


@SETTINGS
@given(case=theta_cases(scale=1.0, min_A=2, max_gamma=0.9, random_rho=(False,)), eta=st.floats(0.01, 10.0))
def test_npg_step_is_the_pseudo_inverse_fisher_step(case, eta):
    """B2: theta + eta pinv(F) grad V = npg_step up to a per-state constant; rank F = S(A - 1)."""
    mdp, theta, _ = case
    F = natural.fisher(mdp, theta)
    # Rows of each block sum to 0 only up to round-off, so count singular values above a relative 1e-10.
    assert np.linalg.matrix_rank(F, tol=1e-10 * np.abs(F).max()) == mdp.S * (mdp.A - 1)
    step = _pinv(F) @ gradients.softmax_gradient(mdp, theta).ravel()
    diff = natural.npg_step(mdp, theta, eta) - (theta + eta * step.reshape(theta.shape))
    spread = diff.max(axis=1) - diff.min(axis=1)
    assert spread.max() < 1e-10 * max(1.0, eta)


def test_npg_step_does_not_depend_on_rho():
    """The pinv(F) step computed with two different start distributions moves the policy alike."""
    mdp = envs.random_mdp(6, 4, seed=2)
    theta = np.random.default_rng(0).standard_normal((6, 4))
    policies = []
    for rho in (np.full(6, 1 / 6), np.random.default_rng(1).dirichlet(np.ones(6))):
        step = _pinv(natural.fisher(mdp, theta, rho)) @ gradients.softmax_gradient(mdp, theta, rho).ravel()
        policies.append(softmax(theta + 0.5 * step.reshape(6, 4)))
    assert np.allclose(policies[0], policies[1], rtol=0, atol=1e-12)
    assert np.allclose(policies[0], softmax(natural.npg_step(mdp, theta, 0.5)), rtol=0, atol=1e-12)


def test_large_steps_recover_policy_iteration():
    """B3: as eta grows, the NPG policy tends to the greedy policy of policy iteration."""
    mdp = envs.random_mdp(8, 4, seed=0)
    theta = np.random.default_rng(1).standard_normal((8, 4))
    A = exact.advantage(mdp, softmax(theta))
    top2 = np.sort(A, axis=1)[:, -2:]
    assert (top2[:, 1] - top2[:, 0] > 1e-6).all(), "the argmax must be unique for the limit to be a vertex"
    pi_PI = greedy(A)
    errors = [np.abs(softmax(natural.npg_step(mdp, theta, eta)) - pi_PI).max() for eta in (1, 10, 100, 1e4)]
    assert all(a > b for a, b in zip(errors, errors[1:]))
    assert errors[-1] < 1e-8


def test_kl_hessian_is_the_fisher_matrix():
    """B4: for one state, the finite-difference Hessian of KL(p || softmax(theta)) at theta = log p
    is diag(p) - p p^T."""
    p = np.array([0.1, 0.2, 0.3, 0.4])

    def kl(theta):
        q = softmax(theta)
        return np.sum(p * np.log(p / q))

    theta0, h = np.log(p), 1e-4
    H = np.zeros((4, 4))
    for i in range(4):
        for j in range(4):
            ei, ej = np.eye(4)[i] * h, np.eye(4)[j] * h
            H[i, j] = (kl(theta0 + ei + ej) - kl(theta0 + ei - ej) - kl(theta0 - ei + ej) + kl(theta0 - ei - ej)) / (4 * h * h)
    assert np.abs(H - (np.diag(p) - np.outer(p, p))).max() < 1e-6
    bandit = envs.bandit(np.zeros(4), gamma=0.5)
    assert np.allclose(natural.fisher(bandit, theta0[None, :]), np.diag(p) - np.outer(p, p), rtol=0, atol=1e-15)


@SETTINGS
@given(mdp=mdps(min_A=2, random_rho=(False,)), seed=seeds, data=st.data())
def test_compatible_function_approximation(mdp, seed, data):
    """B1: the fitted w gives the exact gradient; F w = (1 - gamma) grad V; w_Q = w_A; pinv(F) grad V = w / (1 - gamma).

    Well-conditioned draws: a uniform rho keeps every d(s) >= (1 - gamma)/S, and at most half of
    the S(A - 1) score dimensions as Gaussian features keep F of full rank and far from singular
    (the rank-deficient case is the one-hot test below).
    """
    rng = np.random.default_rng(seed)
    phi = rng.standard_normal((mdp.S, mdp.A, data.draw(st.integers(1, max(1, mdp.S * (mdp.A - 1) // 2)))))
    theta = rng.standard_normal(phi.shape[2])
    w = natural.compatible_fit(mdp, theta, phi)
    grad = gradients.loglinear_gradient(mdp, theta, phi)
    pi = loglinear(theta, phi)
    d = exact.visitation(mdp, pi)
    phi_bar = gradients.centred_features(phi, pi)
    A_hat = phi_bar @ w
    scale = max(1.0, np.abs(grad).max(), np.abs(w).max())
    assert np.allclose(np.einsum("s,sa,sak,sa->k", d, pi, phi_bar, A_hat) / (1 - mdp.gamma), grad, rtol=0, atol=1e-9 * scale)
    F = natural.loglinear_fisher(mdp, theta, phi)
    assert np.allclose(F @ w, (1 - mdp.gamma) * grad, rtol=0, atol=1e-9 * scale)
    w_Q = natural.compatible_fit(mdp, theta, phi, target="Q")
    assert np.allclose(w_Q, w, rtol=0, atol=1e-8 * scale)
    assert np.allclose(np.linalg.pinv(F) @ grad, w / (1 - mdp.gamma), rtol=0, atol=1e-7 * scale)


def test_compatible_fit_is_exact_for_the_gradient_but_not_for_the_advantages():
    """B1's point: A_hat = w . phi_bar differs from A, yet its gradient is exact."""
    mdp = envs.random_mdp(10, 4, seed=0)
    rng = np.random.default_rng(0)
    phi = rng.standard_normal((10, 4, 5))
    theta = rng.standard_normal(5)
    pi = loglinear(theta, phi)
    ev = exact.evaluate(mdp, pi)
    residual = np.sum(ev.d[:, None] * pi * (gradients.centred_features(phi, pi) @ natural.compatible_fit(mdp, theta, phi) - ev.adv) ** 2)
    assert residual > 1e-3


def test_loglinear_fisher_with_one_hot_features_is_the_tabular_fisher():
    mdp = envs.random_mdp(4, 3, seed=5, random_rho=True)
    theta = np.random.default_rng(0).standard_normal((4, 3))
    one_hot = np.eye(12).reshape(4, 3, 12)
    assert np.allclose(natural.loglinear_fisher(mdp, theta.ravel(), one_hot), natural.fisher(mdp, theta), rtol=0, atol=1e-15)
    # F has rank S(A - 1) = 8 < 12: the minimum-norm fit has no per-state constant, w = A - mean_a A,
    # and pinv(F) grad V = w / (1 - gamma) (AKLM: the NPG direction is A / (1 - gamma), centred).
    w = natural.compatible_fit(mdp, theta.ravel(), one_hot)
    A = exact.advantage(mdp, softmax(theta))
    assert np.allclose(w.reshape(4, 3), A - A.mean(axis=1, keepdims=True), rtol=0, atol=1e-12)
    grad = gradients.softmax_gradient(mdp, theta).ravel()
    assert np.allclose(_pinv(natural.fisher(mdp, theta)) @ grad, w / (1 - mdp.gamma), rtol=0, atol=1e-10)


def test_npg_step_needs_discounting():
    with pytest.raises(ValueError, match=r"mdp: gamma must be < 1 for npg_step"):
        natural.npg_step(envs.short_corridor(), np.zeros((4, 2)), 1.0)


def test_reparameterised_natural_step_is_invariant_and_the_plain_one_is_not():
    """Kakade 2001: the natural step's next policy does not depend on the coordinates theta = M phi."""
    mdp = envs.random_mdp(5, 3, seed=4)
    theta = np.random.default_rng(5).standard_normal((5, 3))
    M = np.eye(15) + 0.4 * np.random.default_rng(6).standard_normal((15, 15)) / np.sqrt(15)
    step = natural.reparameterised_step
    assert np.allclose(softmax(step(mdp, theta, M, 0.7)), softmax(natural.npg_step(mdp, theta, 0.7)), rtol=0, atol=1e-10)
    plain_I = step(mdp, theta, np.eye(15), 0.7, natural=False)
    assert np.allclose(plain_I, theta + 0.7 * gradients.softmax_gradient(mdp, theta), rtol=0, atol=1e-14)
    assert np.abs(softmax(step(mdp, theta, M, 0.7, natural=False)) - softmax(plain_I)).max() > 1e-4


def test_reparameterised_step_refuses_bad_input():
    mdp = envs.three_state()
    theta = np.zeros((3, 2))
    with pytest.raises(ValueError, match="M: expected shape"):
        natural.reparameterised_step(mdp, theta, np.eye(5), 1.0)
    with pytest.raises(ValueError, match="M: expected an invertible"):
        natural.reparameterised_step(mdp, theta, np.ones((6, 6)), 1.0)
    with pytest.raises(ValueError, match="eta"):
        natural.reparameterised_step(mdp, theta, np.eye(6), -1.0)
    with pytest.raises(TypeError, match="natural"):
        natural.reparameterised_step(mdp, theta, np.eye(6), 1.0, natural="yes")
