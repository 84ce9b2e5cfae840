"""Exact policy gradients (pgbook.gradients) against central finite differences (AKLM Eqs. (5)-(7), (10), Lemma D.4;
Mei et al. 2020 Lemma 10)."""

import numpy as np
import pytest
from conftest import central_difference, mdps, policy_cases, seeds, theta_cases
from hypothesis import given, settings
from hypothesis import strategies as st

from pgbook import envs, exact, features, gradients, log_softmax, loglinear, softmax
import oracle

SETTINGS = settings(max_examples=50, deadline=None)


def assert_matches_fd(g, fd, rel=1e-7):
    """Central differences (h = 1e-6) carry round-off ~1e-10 times the size of the values, so compare
    relative to the gradient's size (values and gradients reach 1/(1 - gamma)^2 ~ 400 here)."""
    assert np.abs(g - fd).max() <= rel * max(1.0, np.abs(g).max())


def _V(mdp, rho):
    """theta -> V^{pi_theta}(rho) for the softmax policy, through exact.evaluate."""
    return lambda theta: exact.evaluate(mdp, softmax(theta), rho).V_rho


@SETTINGS
@given(case=theta_cases())
def test_softmax_gradient(case):
    """A4/A5: dV/dtheta = d pi A / (1 - gamma), and each row sums to 0."""
    mdp, theta, rho = case
    g = gradients.softmax_gradient(mdp, theta, rho)
    assert_matches_fd(g, central_difference(_V(mdp, rho), theta))
    assert np.abs(g.sum(axis=1)).max() < 1e-10


@SETTINGS
@given(mdp=mdps(), seed=seeds, d=st.integers(1, 5))
def test_loglinear_gradient(mdp, seed, d):
    """A6: the policy gradient theorem with centred features."""
    rng = np.random.default_rng(seed)
    phi = rng.standard_normal((mdp.S, mdp.A, d))
    theta = rng.standard_normal(phi.shape[2])
    f = lambda w: exact.evaluate(mdp, loglinear(w, phi)).V_rho  # noqa: E731
    assert_matches_fd(gradients.loglinear_gradient(mdp, theta, phi), central_difference(f, theta))


def _value_of_any_matrix(mdp, pi, rho):
    """V(rho) = rho^T (I - gamma P_pi)^{-1} r_pi for any matrix pi, not only policies: the
    direct parameterisation differentiates along coordinates that leave the simplex."""
    return rho @ oracle.value(mdp.P, mdp.r, mdp.gamma, pi)


@SETTINGS
@given(case=policy_cases())
def test_direct_gradient(case):
    """AKLM Eq. (7): dV/dpi(a|s) = d(s) Q(s, a) / (1 - gamma); the advantage form misses d V / (1 - gamma)."""
    mdp, pi, rho = case
    g = gradients.direct_gradient(mdp, pi, rho)
    fd = central_difference(lambda p: _value_of_any_matrix(mdp, p, rho), pi)
    assert_matches_fd(g, fd)
    ev = exact.evaluate(mdp, pi, rho)
    advantage_form = ev.d[:, None] * ev.adv / (1 - mdp.gamma)
    assert np.allclose(g - advantage_form, (ev.d * ev.V)[:, None] / (1 - mdp.gamma), rtol=0, atol=1e-10)
    # Along directions that stay in the simplex (rows summing to 0) the two forms agree.
    u = np.random.default_rng(0).standard_normal(pi.shape)
    u -= u.mean(axis=1, keepdims=True)
    assert np.sum(g * u) == pytest.approx(np.sum(advantage_form * u), abs=1e-10)


@SETTINGS
@given(case=policy_cases(), tau=st.floats(0.0, 2.0))
def test_soft_value_against_its_series(case, tau):
    r"""V_tilde = sum_t gamma^t P_pi^t (r_pi + tau H_pi), summed term by term; tau = 0 gives V."""
    mdp, pi, _ = case
    entropy = -np.sum(np.where(pi > 0, pi * np.log(np.where(pi > 0, pi, 1.0)), 0.0), axis=1)
    P_pi = np.einsum("sa,sat->st", pi, mdp.P)
    term, series = (pi * mdp.r).sum(axis=1) + tau * entropy, 0.0
    for _ in range(2000):
        series = series + term
        term = mdp.gamma * P_pi @ term
    assert np.allclose(gradients.soft_value(mdp, pi, tau), series, rtol=0, atol=1e-9)
    assert np.allclose(gradients.soft_value(mdp, pi, 0.0), exact.value(mdp, pi), rtol=0, atol=1e-12)


@SETTINGS
@given(case=theta_cases(), tau=st.floats(0.0, 1.0))
def test_entropy_regularized_gradient(case, tau):
    """D5: d V_tilde / d theta = d pi A_tilde / (1 - gamma), A_tilde = Q_tilde - tau log pi - V_tilde."""
    mdp, theta, rho = case
    f = lambda t: rho @ gradients.soft_value(mdp, softmax(t), tau)  # noqa: E731
    g = gradients.entropy_regularized_gradient(mdp, theta, tau, rho)
    assert_matches_fd(g, central_difference(f, theta))


@SETTINGS
@given(case=theta_cases(), lam=st.floats(0.0, 1.0))
def test_log_barrier(case, lam):
    """D3: L = V - lam E_{s ~ Unif} KL(Unif_A, pi_s), and its gradient."""
    mdp, theta, rho = case
    log_pi = log_softmax(theta)
    kl = np.sum((1 / mdp.A) * (np.log(1 / mdp.A) - log_pi), axis=1)
    L = gradients.log_barrier_objective(mdp, theta, lam, rho)
    assert L == pytest.approx(_V(mdp, rho)(theta) - lam * kl.mean(), abs=1e-12)
    f = lambda t: gradients.log_barrier_objective(mdp, t, lam, rho)  # noqa: E731
    assert_matches_fd(gradients.log_barrier_gradient(mdp, theta, lam, rho), central_difference(f, theta))


def test_log_barrier_equals_the_value_at_the_uniform_policy():
    mdp = envs.random_mdp(4, 3, seed=0)
    assert gradients.log_barrier_objective(mdp, np.zeros((4, 3)), 0.7) == pytest.approx(
        exact.value(mdp, np.full((4, 3), 1 / 3)) @ mdp.rho, abs=1e-14
    )


@pytest.mark.parametrize("seed", [0, 1])
def test_episodic_gradients(seed):
    """gamma = 1: the weight is the expected number of visits; check every softmax-based gradient."""
    mdp = envs.gridworld(gamma=1.0)
    theta = np.random.default_rng(seed).standard_normal((mdp.S, mdp.A))
    assert_matches_fd(gradients.softmax_gradient(mdp, theta), central_difference(_V(mdp, None), theta), rel=1e-8)
    f = lambda t: mdp.rho @ gradients.soft_value(mdp, softmax(t), 0.3)  # noqa: E731
    g = gradients.entropy_regularized_gradient(mdp, theta, 0.3)
    # Soft values reach ~1e2 here (long episodes earn entropy), so differences lose more digits.
    assert_matches_fd(g, central_difference(f, theta, h=1e-4), rel=1e-8)
    assert np.abs(g[mdp.terminal]).max() == 0.0


def test_corridor_gradient():
    """The corridor (gamma = 1, log-linear features shared by all states) against finite differences."""
    mdp, phi = envs.short_corridor(), features.short_corridor_features()
    for theta in ([0.3, 0.0], [-1.0, 0.5], [2.0, 1.0]):
        f = lambda w: exact.evaluate(mdp, loglinear(w, phi)).V_rho  # noqa: E731
        g = gradients.loglinear_gradient(mdp, np.array(theta), phi)
        assert_matches_fd(g, central_difference(f, np.array(theta)), rel=1e-8)
        assert g.sum() == pytest.approx(0.0, abs=1e-12)


def test_centred_features_have_zero_mean_under_the_policy():
    rng = np.random.default_rng(3)
    phi = rng.standard_normal((4, 3, 2))
    pi = softmax(rng.standard_normal((4, 3)))
    phi_bar = gradients.centred_features(phi, pi)
    assert np.allclose(np.einsum("sa,sak->sk", pi, phi_bar), 0.0, atol=1e-15)
    # It is the gradient of log pi_theta(a|s) for the log-linear policy.
    theta = rng.standard_normal(2)
    pi = loglinear(theta, phi)
    for s, a in [(0, 0), (3, 2)]:
        fd = central_difference(lambda w: np.log(loglinear(w, phi)[s, a]), theta)
        assert np.allclose(gradients.centred_features(phi, pi)[s, a], fd, atol=1e-8)
