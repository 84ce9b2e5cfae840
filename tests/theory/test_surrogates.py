"""The surrogates of TRPO, PPO and CPI (pgbook.theory.surrogates) against independent computations:
finite differences, direct sums, the performance difference lemma and the published bounds."""

import numpy as np
import pytest
from scipy.special import logsumexp
from conftest import central_difference, policies, theta_cases
from hypothesis import given, settings
from hypothesis import strategies as st

from pgbook import algorithms, envs, exact, greedy, natural, softmax, softmax_gradient, value
from pgbook.theory import surrogates
import oracle

SETTINGS = settings(max_examples=40, deadline=None)


def _kl_loop(p, q):
    """KL(p(.|s) || q(.|s)) by an explicit double loop, 0 log 0 = 0."""
    out = np.zeros(p.shape[0])
    for s in range(p.shape[0]):
        for a in range(p.shape[1]):
            if p[s, a] > 0:
                out[s] += p[s, a] * np.log(p[s, a] / q[s, a])
    return out


def test_kl_and_total_variation_by_hand():
    p = np.array([[0.5, 0.5, 0.0], [1.0, 0.0, 0.0]])
    q = np.array([[0.25, 0.25, 0.5], [0.5, 0.25, 0.25]])
    assert np.allclose(surrogates.kl(p, q), [np.log(2), np.log(2)], rtol=0, atol=1e-15)
    assert np.allclose(surrogates.total_variation(p, q), [0.5, 0.5], rtol=0, atol=1e-15)
    assert surrogates.kl(q, p)[0] == np.inf


def test_total_variation_to_the_greedy_policy_keeps_the_off_greedy_mass():
    """Near a point mass, D_TV(pi, greedy) is the mass off a*, not 1 - pi(a*) (which rounds to 0)."""
    pi = softmax(np.array([[40.0, 0.0, 0.0], [0.0, 30.0, 1.0], [0.0, 0.0, 0.0]]))
    greedy_pi = np.eye(3)[[0, 1, 0]]
    off = np.array([pi[0, 1] + pi[0, 2], pi[1, 0] + pi[1, 2], pi[2, 1] + pi[2, 2]])
    for tv in (surrogates.total_variation(pi, greedy_pi), surrogates.total_variation(greedy_pi, pi)):
        assert np.allclose(tv, off, rtol=1e-14, atol=0)
    # Rows far from a point mass: the half l1 distance.
    rng = np.random.default_rng(3)
    p, q = softmax(rng.standard_normal((5, 4))), softmax(rng.standard_normal((5, 4)))
    assert np.allclose(surrogates.total_variation(p, q), 0.5 * np.abs(p - q).sum(axis=1), rtol=1e-13)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1))
def test_kl_matches_a_loop_and_pinsker(seed):
    rng = np.random.default_rng(seed)
    p, q = softmax(2 * rng.standard_normal((4, 3))), softmax(2 * rng.standard_normal((4, 3)))
    kl = surrogates.kl(p, q)
    assert np.allclose(kl, _kl_loop(p, q), rtol=1e-12, atol=1e-14)
    # Pinsker: TV^2 <= KL / 2 (the bound TRPO's KL form relies on, TV^2 <= KL, is weaker).
    assert (surrogates.total_variation(p, q) ** 2 <= kl / 2 + 1e-15).all()
    assert np.allclose(surrogates.kl(p, p), 0.0, atol=1e-15)


@SETTINGS
@given(case=theta_cases(min_A=2, max_S=4, max_A=3, random_rho=(False,)))
def test_kl_hessians_are_the_fisher_matrix(case):
    """AJKS Claim 14.5: both KL directions, weighted by d of the old policy, have Hessian F at theta_old."""
    mdp, theta, _ = case
    theta = 0.5 * theta
    pi_old = softmax(theta)
    F = natural.fisher(mdp, theta)
    h = 1e-4
    n = theta.size
    for reverse in (False, True):
        def f(x):
            return surrogates.mean_kl(mdp, pi_old, softmax(x.reshape(theta.shape)), reverse=reverse)

        grad = central_difference(f, theta.ravel(), h=1e-6)
        assert np.abs(grad).max() < 1e-8
        E = h * np.eye(n)
        H = np.array([[(f(theta.ravel() + E[i] + E[j]) - f(theta.ravel() + E[i] - E[j])
                        - f(theta.ravel() - E[i] + E[j]) + f(theta.ravel() - E[i] - E[j])) / (4 * h * h)
                       for j in range(n)] for i in range(n)])
        assert np.abs(H - F).max() < 1e-6


@SETTINGS
@given(case=theta_cases(max_S=5, max_A=3))
def test_surrogate_matches_the_value_to_first_order(case):
    """L(pi_old) = V(pi_old), and the gradient of L(softmax(theta)) at theta_old is the policy gradient."""
    mdp, theta, rho = case
    pi_old = softmax(theta)
    V_old = value(mdp, pi_old) @ rho
    assert abs(surrogates.surrogate(mdp, pi_old, pi_old, rho) - V_old) < 1e-10
    grad = central_difference(lambda x: surrogates.surrogate(mdp, pi_old, softmax(x), rho), theta)
    assert np.allclose(grad, softmax_gradient(mdp, theta, rho), rtol=0, atol=1e-7)


@SETTINGS
@given(case=theta_cases(max_S=6, max_A=4, max_gamma=0.95), scale=st.sampled_from([0.01, 0.1, 1.0, 3.0]),
       seed=st.integers(0, 2**32 - 1))
def test_trpo_lower_bound_holds(case, scale, seed):
    """Schulman et al. 2015, Thm 1 (TV form) and its KL form, on random pairs of policies."""
    mdp, theta, rho = case
    theta_new = theta + scale * np.random.default_rng(seed).standard_normal(theta.shape)
    pi_old, pi_new = softmax(theta), softmax(theta_new)
    V_new = value(mdp, pi_new) @ rho
    tv_bound = surrogates.trpo_lower_bound(mdp, pi_old, pi_new, rho)
    kl_bound = surrogates.trpo_lower_bound(mdp, pi_old, pi_new, rho, divergence="kl")
    assert tv_bound <= V_new + 1e-10
    assert kl_bound <= tv_bound + 1e-12


def test_trpo_bound_by_hand_on_a_bandit():
    """gamma = 0: the bound's penalty vanishes and L = V exactly (a one-step problem)."""
    mdp = envs.bandit([0.2, 0.9, 0.5])
    pi_old, pi_new = np.array([[0.5, 0.25, 0.25]]), np.array([[0.1, 0.8, 0.1]])
    assert surrogates.surrogate(mdp, pi_old, pi_new) == pytest.approx(0.1 * 0.2 + 0.8 * 0.9 + 0.1 * 0.5, abs=1e-15)
    assert surrogates.trpo_lower_bound(mdp, pi_old, pi_new) == pytest.approx(0.79, abs=1e-15)


def _clip_loop(mdp, theta_old, theta, eps, rho):
    """L^CLIP by explicit loops over states and actions (no vectorised min/clip)."""
    pi_old, pi = softmax(theta_old), softmax(theta)
    d = exact.visitation(mdp, pi_old, rho)
    adv = exact.advantage(mdp, pi_old)
    total = 0.0
    for s in range(mdp.S):
        for a in range(mdp.A):
            r = pi[s, a] / pi_old[s, a]
            clipped = min(max(r, 1 - eps), 1 + eps)
            total += d[s] * pi_old[s, a] * min(r * adv[s, a], clipped * adv[s, a])
    return value(mdp, pi_old) @ rho + total / (1 - mdp.gamma)


@SETTINGS
@given(case=theta_cases(max_S=5, max_A=3), scale=st.sampled_from([0.01, 0.3, 2.0]), eps=st.sampled_from([0.1, 0.2, 0.5]),
       seed=st.integers(0, 2**32 - 1))
def test_ppo_clip_objective_and_its_gradient(case, scale, eps, seed):
    mdp, theta_old, rho = case
    theta = theta_old + scale * np.random.default_rng(seed).standard_normal(theta_old.shape)
    L_clip = surrogates.ppo_clip_objective(mdp, theta_old, theta, eps, rho)
    assert L_clip == pytest.approx(_clip_loop(mdp, theta_old, theta, eps, rho), abs=1e-10)
    # Pessimistic: never above TRPO's surrogate.
    assert L_clip <= surrogates.surrogate(mdp, softmax(theta_old), softmax(theta), rho)
    # The analytic gradient against finite differences (away from the kinks of min and clip).
    ratio = softmax(theta) / softmax(theta_old)
    if np.min(np.abs(np.abs(ratio - 1) - eps)) > 1e-3:
        fd = central_difference(lambda x: surrogates.ppo_clip_objective(mdp, theta_old, x, eps, rho), theta)
        assert np.allclose(surrogates.ppo_clip_gradient(mdp, theta_old, theta, eps, rho), fd, rtol=0, atol=1e-6)


@SETTINGS
@given(case=theta_cases(max_S=5, max_A=4))
def test_ppo_gradient_at_theta_old_is_the_policy_gradient(case):
    mdp, theta, rho = case
    assert np.allclose(surrogates.ppo_clip_gradient(mdp, theta, theta, 0.2, rho),
                       softmax_gradient(mdp, theta, rho), rtol=0, atol=1e-12)


@SETTINGS
@given(case=theta_cases(max_S=6, max_A=4, max_gamma=0.95, random_rho=(False,)),
       alpha=st.sampled_from([0.001, 0.01, 0.05, 0.2, 1.0, None]))
def test_cpi_improvement_bound_holds(case, alpha):
    """AJKS Thm 14.2 against the exact value of the mixture (1 - alpha) pi + alpha greedy(A)."""
    mdp, theta, _ = case
    if mdp.gamma == 0.0:
        return
    pi = softmax(theta)
    adv = exact.advantage(mdp, pi)
    d = exact.visitation(mdp, pi)
    # max_a A >= 0 in every state; round-off may leave -1e-19, which gamma near 0 would blow up in alpha*
    gain = max(0.0, float(d @ adv.max(axis=1)))
    assert surrogates.greedy_advantage(mdp, pi) == pytest.approx(gain, abs=1e-12)
    if alpha is None:
        alpha = surrogates.cpi_alpha(mdp, pi)
        assert alpha == pytest.approx(min(1.0, gain * (1 - mdp.gamma) ** 2 / (4 * mdp.gamma)), rel=1e-12)
        if alpha == 0.0:
            return
    mixture = (1 - alpha) * pi + alpha * greedy(adv)
    improvement = (value(mdp, mixture) - value(mdp, pi)) @ mdp.rho
    assert surrogates.cpi_improvement_bound(mdp, pi, alpha) <= improvement + 1e-10


def test_cpi_bound_holds_along_a_run():
    """The bound against pgbook.algorithms.cpi's own iterates (a second implementation of the step)."""
    mdp = envs.random_mdp(7, 3, seed=4)
    run = algorithms.cpi(mdp, 30, alpha=0.05, record_every=1)
    for t in range(30):
        bound = surrogates.cpi_improvement_bound(mdp, run.pi[t], 0.05)
        assert bound <= run.V_rho[t + 1] - run.V_rho[t] + 1e-12


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda m, p: surrogates.kl(p, p[:1]), "q: expected shape"),
        (lambda m, p: surrogates.kl(p * 2, p), "p: each row must sum to 1"),
        (lambda m, p: surrogates.total_variation("x", p), "p: expected an array"),
        (lambda m, p: surrogates.mean_kl(m, p, p[:2]), "pi: expected shape"),
        (lambda m, p: surrogates.surrogate(m, -p, p), "pi_old: negative probability"),
        (lambda m, p: surrogates.trpo_lower_bound(m, p, p, divergence="js"), "divergence"),
        (lambda m, p: surrogates.ppo_clip_objective(m, np.zeros((3, 2)), np.zeros((3, 2)), epsilon=1.5), "epsilon"),
        (lambda m, p: surrogates.ppo_clip_gradient(m, np.zeros((3, 2)), np.zeros((2, 2))), "theta: expected shape"),
        (lambda m, p: surrogates.cpi_improvement_bound(m, p, alpha=0.0), "alpha"),
        (lambda m, p: surrogates.cpi_improvement_bound(m, p, alpha=2.0), "alpha"),
        (lambda m, p: surrogates.greedy_advantage("mdp", p), "mdp"),
        (lambda m, p: surrogates.surrogate(envs.short_corridor(), np.full((4, 2), 0.5), np.full((4, 2), 0.5)), "mdp: gamma must be < 1 for the surrogates"),
        (lambda m, p: surrogates.kl_step_size(m, np.zeros((3, 2)), np.ones((3, 2)), 0.01), "direction: no step"),
        (lambda m, p: surrogates.kl_step_size(m, np.zeros((3, 2)), np.ones((2, 2)), 0.01), "direction: expected shape"),
        (lambda m, p: surrogates.kl_step_size(m, np.zeros((3, 2)), np.eye(3, 2), 0.0), "delta"),
        (lambda m, p: surrogates.trpo_run(m, 0.0, 3), "delta"),
        (lambda m, p: surrogates.trpo_run(m, 0.01, 0), "T"),
        (lambda m, p: surrogates.trpo_run(m, 0.01, 2, linearised="yes"), "linearised"),
        (lambda m, p: surrogates.trpo_run(m, 0.01, 2, theta0=np.zeros((2, 2))), "theta0: expected shape"),
        (lambda m, p: surrogates.ppo_run(m, 2, lr=-1.0), "lr"),
        (lambda m, p: surrogates.ppo_run(m, 2, lr=0.1, epochs=0), "epochs"),
        (lambda m, p: surrogates.ppo_run(m, 2, lr=0.1, epsilon=1.0), "epsilon"),
    ],
)
def test_bad_input_names_the_argument(call, message):
    mdp = envs.random_mdp(3, 2, seed=0)
    pi = np.full((3, 2), 0.5)
    with pytest.raises((ValueError, TypeError), match=message):
        call(mdp, pi)


@SETTINGS
@given(data=st.data())
def test_kl_with_zeros_in_p(data):
    """Zeros in p contribute nothing (0 log 0 = 0); against a full-support q the KL is finite."""
    mdp = envs.random_mdp(3, 3, seed=1)
    p = data.draw(policies(mdp))
    q = softmax(np.random.default_rng(0).standard_normal((3, 3)))
    kl = surrogates.kl(p, q)
    assert np.isfinite(kl).all()
    assert np.allclose(kl, _kl_loop(p, q), rtol=1e-12, atol=1e-14)


@settings(max_examples=15, deadline=None)
@given(case=theta_cases(min_A=2, max_S=4, max_A=3, max_gamma=0.9, random_rho=(False,)),
       delta=st.sampled_from([0.001, 0.01, 0.1]), seed=st.integers(0, 2**32 - 1))
def test_trpo_step_is_the_constrained_maximiser(case, delta, seed):
    """The constraint is active, and no feasible random point (nor its scaling onto the ball) does better."""
    mdp, theta_old, _ = case
    if mdp.gamma == 0.0 or np.abs(exact.advantage(mdp, softmax(theta_old))).max() < 1e-6:
        return
    pi_old = softmax(theta_old)
    theta = surrogates.trpo_step(mdp, theta_old, delta)
    best = surrogates.surrogate(mdp, pi_old, softmax(theta))
    assert surrogates.mean_kl(mdp, pi_old, softmax(theta)) == pytest.approx(delta, rel=1e-6)
    rng = np.random.default_rng(seed)
    for _ in range(20):
        direction = rng.standard_normal(theta_old.shape)
        lo, hi = 0.0, 1.0
        while surrogates.mean_kl(mdp, pi_old, softmax(theta_old + hi * direction)) < delta and hi < 1e6:
            hi *= 2
        for _ in range(50):  # bisect onto the boundary of the trust region
            mid = (lo + hi) / 2
            inside = surrogates.mean_kl(mdp, pi_old, softmax(theta_old + mid * direction)) <= delta
            lo, hi = (mid, hi) if inside else (lo, mid)
        assert surrogates.surrogate(mdp, pi_old, softmax(theta_old + lo * direction)) <= best + 1e-9


def test_trpo_step_refuses_bad_input():
    mdp = envs.random_mdp(3, 2, seed=0)
    with pytest.raises(ValueError, match="delta"):
        surrogates.trpo_step(mdp, np.zeros((3, 2)), 0.0)
    with pytest.raises(ValueError, match="theta_old: expected shape"):
        surrogates.trpo_step(mdp, np.zeros((2, 2)), 0.01)


@SETTINGS
@given(case=theta_cases(max_S=4, min_A=2), delta=st.sampled_from([1e-4, 1e-2, 0.5]), seed=st.integers(0, 2**32 - 1))
def test_kl_step_size_reaches_the_mean_kl(case, delta, seed):
    """The mean KL at the returned step, summed by hand with the visitation of a dense solve, is delta."""
    mdp, theta, rho = case
    direction = np.random.default_rng(seed).standard_normal(theta.shape)
    pi = softmax(theta)
    d = oracle.visitation(mdp.P, mdp.gamma, pi, rho)
    if np.all(np.ptp(direction, axis=1)[d > 0] == 0):
        return
    eta = surrogates.kl_step_size(mdp, theta, direction, delta, rho)
    # In log space: a long step can push a probability of the new policy below the smallest float.
    logits = theta + eta * direction
    log_q = logits - logsumexp(logits, axis=1, keepdims=True)
    log_pi = theta - logsumexp(theta, axis=1, keepdims=True)
    assert d @ np.sum(pi * (log_pi - log_q), axis=1) == pytest.approx(delta, rel=1e-9)


def test_trpo_run_takes_trpo_steps_and_its_linearisation_takes_npg_steps():
    """Each iterate of trpo_run is trpo_step of the last; linearised, NPG (pgbook.natural) with eta
    sqrt(2 delta / g^T F^+ g), the pseudo-inverse of the Fisher matrix computed densely."""
    mdp = envs.random_mdp(4, 3, seed=2, gamma=0.9)
    theta0 = np.random.default_rng(0).standard_normal((4, 3))
    run = surrogates.trpo_run(mdp, 0.02, 3, theta0=theta0)
    for t in range(3):
        assert np.allclose(run.theta[t + 1], surrogates.trpo_step(mdp, run.theta[t], 0.02), atol=1e-12)
        assert np.isclose(run.V_rho[t], value(mdp, softmax(run.theta[t])) @ mdp.rho, rtol=1e-12)
    lin = surrogates.trpo_run(mdp, 0.02, 3, theta0=theta0, linearised=True)
    for t in range(3):
        g = softmax_gradient(mdp, lin.theta[t]).ravel()
        gFg = g @ np.linalg.pinv(natural.fisher(mdp, lin.theta[t]), rcond=1e-10) @ g
        eta = np.sqrt(2 * 0.02 / gFg)
        assert np.allclose(softmax(lin.theta[t + 1]), softmax(natural.npg_step(mdp, lin.theta[t], eta)), atol=1e-12)


def test_ppo_run_ascends_the_clipped_objective_by_finite_differences():
    """One iteration of ppo_run with two epochs, redone with central-difference gradients of L^CLIP."""
    mdp = envs.random_mdp(3, 2, seed=5, gamma=0.8)
    theta0 = np.array([[0.3, -0.2], [0.0, 0.5], [-0.4, 0.1]])
    run = surrogates.ppo_run(mdp, 1, lr=0.5, epochs=2, theta0=theta0)
    theta = theta0.copy()
    for _ in range(2):
        grad = central_difference(lambda th: surrogates.ppo_clip_objective(mdp, theta0, th), theta)
        theta = theta + 0.5 * grad
    assert np.allclose(run.theta[1], theta, atol=1e-7)
