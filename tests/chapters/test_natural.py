"""Every visible check of book/npg/natural.md, recomputed against an independent computation:
explicit sums over states and actions, a linear solve written here, finite differences, and the
published bounds written out by hand."""

import numpy as np
import pytest
from conftest import central_difference

import pgbook
from pgbook import algorithms, envs, surrogates

GRID = envs.gridworld(("...G", ".#.X", "S..."))
S, A, GAMMA = GRID.S, GRID.A, GRID.gamma


def _solve(pi, rho=None):
    """V, Q, the advantage and the normalised visitation by one dense linear solve each (not pgbook.exact)."""
    rho = GRID.rho if rho is None else rho
    P_pi = np.einsum("sa,sat->st", pi, GRID.P)
    r_pi = np.einsum("sa,sa->s", pi, GRID.r)
    M = np.eye(S) - GAMMA * P_pi
    V = np.linalg.solve(M, r_pi)
    Q = GRID.r + GAMMA * GRID.P @ V
    d = (1 - GAMMA) * np.linalg.solve(M.T, rho)
    return V, Q, Q - V[:, None], d


def _V_rho(pi, rho=None):
    rho = GRID.rho if rho is None else rho
    return _solve(pi, rho)[0] @ rho


def _scores(pi):
    """grad log pi(a|s) for tabular softmax, flattened: [s, a, s'*A + a'] = 1[s = s'](1[a = a'] - pi(a'|s))."""
    score = np.zeros((S, A, S, A))
    for s in range(S):
        score[s, :, s, :] = np.eye(A) - pi[s]
    return score.reshape(S, A, S * A)


def _fisher_by_sums(pi, rho=None):
    d = _solve(pi, rho)[3]
    score = _scores(pi)
    return np.einsum("s,sa,sai,saj->ij", d, pi, score, score)


def _fd_gradient(theta, rho=None):
    return central_difference(lambda th: _V_rho(pgbook.softmax(th), rho), theta)


def test_fisher_rank_is_S_times_A_minus_1():
    pi = np.full((S, A), 1 / A)
    F = _fisher_by_sums(pi)
    assert np.allclose(pgbook.fisher(GRID, np.zeros((S, A))), F, rtol=0, atol=1e-15)
    singular = np.linalg.svd(F, compute_uv=False)
    assert (singular > 1e-10 * singular[0]).sum() == S * (A - 1) == 33


def test_compatible_weights_are_the_advantages():
    """Weighted least squares on the softmax scores, solved here; every row of w - A is one constant."""
    pi = np.full((S, A), 1 / A)
    _, _, adv, d = _solve(pi)
    root = np.sqrt(d[:, None] * pi).ravel()
    X = _scores(pi).reshape(S * A, S * A) * root[:, None]
    w = np.linalg.lstsq(X, adv.ravel() * root, rcond=None)[0].reshape(S, A)
    one_hot = np.eye(S * A).reshape(S, A, S * A)
    w_lib = pgbook.compatible_fit(GRID, np.zeros(S * A), one_hot).reshape(S, A)
    assert np.allclose(w_lib, w, atol=1e-10)
    diff = w - adv
    assert np.abs(diff.max(axis=1) - diff.min(axis=1)).max() < 1e-10
    # the exercise: the minimum-norm weights are the advantages centred per state
    assert np.allclose(w_lib, adv - adv.mean(axis=1, keepdims=True), atol=1e-10)


def _loglinear_case():
    rng = np.random.default_rng(0)
    phi = rng.standard_normal((S, A, 8))
    return phi, 0.5 * rng.standard_normal(8)


def test_gradient_from_a_poor_fit_is_exact():
    phi, theta = _loglinear_case()
    pi = pgbook.loglinear(theta, phi)
    _, _, adv, d = _solve(pi)
    score = phi - np.einsum("sa,sak->sk", pi, phi)[:, None, :]
    w = pgbook.compatible_fit(GRID, theta, phi)
    adv_hat = score @ w
    weights = d[:, None] * pi
    unexplained = np.sum(weights * (adv - adv_hat) ** 2) / np.sum(weights * adv**2)
    assert unexplained > 0.9  # the fit is poor
    grad_fit = np.einsum("sa,sak->k", weights * adv_hat, score) / (1 - GAMMA)
    grad_fd = central_difference(lambda th: _V_rho(pgbook.loglinear(th, phi)), theta)
    assert np.allclose(grad_fit, grad_fd, rtol=0, atol=1e-8)


def test_pinv_fisher_step_is_w_over_one_minus_gamma():
    phi, theta = _loglinear_case()
    pi = pgbook.loglinear(theta, phi)
    d = _solve(pi)[3]
    score = phi - np.einsum("sa,sak->sk", pi, phi)[:, None, :]
    F = np.einsum("s,sa,sai,saj->ij", d, pi, score, score)
    grad_fd = central_difference(lambda th: _V_rho(pgbook.loglinear(th, phi)), theta)
    w = pgbook.compatible_fit(GRID, theta, phi)
    assert np.allclose(np.linalg.pinv(F) @ grad_fd, w / (1 - GAMMA), rtol=0, atol=1e-6)


def test_pinv_npg_step_is_soft_policy_iteration():
    theta = np.zeros((S, A))
    F = _fisher_by_sums(pgbook.softmax(theta))
    step = (np.linalg.pinv(F, rcond=1e-10) @ _fd_gradient(theta).ravel()).reshape(S, A)
    offset = (theta + step) - pgbook.npg_step(GRID, theta, 1.0)
    assert np.abs(offset.max(axis=1) - offset.min(axis=1)).max() < 1e-7


def test_npg_does_not_depend_on_rho():
    """The pinv step with rho uniform over the cells gives pi exp(A/(1-gamma))/Z, written out here."""
    theta = np.zeros((S, A))
    pi = pgbook.softmax(theta)
    rho = np.full(S, 1 / S)
    F = _fisher_by_sums(pi, rho)
    step = (np.linalg.pinv(F, rcond=1e-10) @ _fd_gradient(theta, rho).ravel()).reshape(S, A)
    adv = _solve(pi)[2]
    unnormalised = pi * np.exp(adv / (1 - GAMMA))
    soft_pi = unnormalised / unnormalised.sum(axis=1, keepdims=True)
    assert np.allclose(pgbook.softmax(theta + step), soft_pi, rtol=0, atol=1e-7)


def test_a_huge_step_is_policy_iteration():
    pi = np.full((S, A), 1 / A)
    Q = _solve(pi)[1]
    greedy = np.eye(A)[Q.argmax(axis=1)]
    live = ~GRID.terminal
    gaps = np.sort(Q, axis=1)
    assert (gaps[live, -1] - gaps[live, -2]).min() > 1e-3  # the argmax is unique where it matters
    pi_big = pgbook.softmax(pgbook.npg_step(GRID, np.zeros((S, A)), 1e4))
    assert np.abs(pi_big - greedy)[live].max() < 1e-10
    # and the slider's claim: a step of 100 is policy iteration to two decimals
    pi_100 = pgbook.softmax(pgbook.npg_step(GRID, np.zeros((S, A)), 100.0))
    assert np.abs(pi_100 - greedy)[live].max() < 5e-3


def test_kl_hessians_are_the_fisher_matrix():
    """Finite-difference Hessians of both KL directions, weighted by d, written without pgbook.surrogates."""
    pi = np.full((S, A), 1 / A)
    d = _solve(pi)[3]

    def forward(x):
        q = pgbook.softmax(x.reshape(S, A))
        return d @ np.sum(pi * np.log(pi / q), axis=1)

    def reverse(x):
        q = pgbook.softmax(x.reshape(S, A))
        return d @ np.sum(q * np.log(q / pi), axis=1)

    F = _fisher_by_sums(pi)
    h, n = 1e-4, S * A
    E = h * np.eye(n)
    for f in (forward, reverse):
        # the diagonal by the three-point rule, the off-diagonal by the four-point rule
        H = np.empty((n, n))
        for i in range(n):
            H[i, i] = (f(E[i]) - 2 * f(np.zeros(n)) + f(-E[i])) / h**2
            for j in range(i):
                H[i, j] = H[j, i] = (f(E[i] + E[j]) - f(E[i] - E[j]) - f(E[j] - E[i]) + f(-E[i] - E[j])) / (4 * h * h)
        assert np.abs(H - F).max() < 1e-6


def test_trpo_bound_on_random_pairs():
    """V(pi_new) >= L(pi_new) - 4 eps gamma alpha^2 / (1-gamma)^2, with every term computed here."""
    rng = np.random.default_rng(1)
    for k in range(300):
        theta_old = rng.standard_normal((S, A))
        theta_new = theta_old + (0.01, 0.1, 1.0)[k % 3] * rng.standard_normal((S, A))
        pi_old, pi_new = pgbook.softmax(theta_old), pgbook.softmax(theta_new)
        V_old, _, adv, d = _solve(pi_old)
        L = V_old @ GRID.rho + d @ np.sum(pi_new * adv, axis=1) / (1 - GAMMA)
        alpha = 0.5 * np.abs(pi_new - pi_old).sum(axis=1).max()
        bound = L - 4 * np.abs(adv).max() * GAMMA * alpha**2 / (1 - GAMMA) ** 2
        assert bound == pytest.approx(surrogates.trpo_lower_bound(GRID, pi_old, pi_new), abs=1e-12)
        assert bound <= _V_rho(pi_new) + 1e-12


def test_ppo_gradient_at_theta_old_is_the_policy_gradient():
    theta_old = np.random.default_rng(2).standard_normal((S, A))
    fd_clip = central_difference(lambda th: surrogates.ppo_clip_objective(GRID, theta_old, th), theta_old)
    assert np.allclose(fd_clip, _fd_gradient(theta_old), rtol=0, atol=1e-8)


def test_clipped_objective_is_pessimistic():
    """L^CLIP by explicit loops with min and clip, against TRPO's surrogate, for 150 random theta."""
    theta_old = np.random.default_rng(2).standard_normal((S, A))
    pi_old = pgbook.softmax(theta_old)
    V_old, _, adv, d = _solve(pi_old)
    rng = np.random.default_rng(3)
    for scale in np.repeat([0.05, 0.3, 1.0], 50):
        pi = pgbook.softmax(theta_old + scale * rng.standard_normal((S, A)))
        clipped = sum(d[s] * pi_old[s, a] * min(pi[s, a] / pi_old[s, a] * adv[s, a],
                                                min(max(pi[s, a] / pi_old[s, a], 0.8), 1.2) * adv[s, a])
                      for s in range(S) for a in range(A))
        L = d @ np.sum(pi * adv, axis=1)
        assert clipped <= L + 1e-15
        lib = surrogates.ppo_clip_objective(GRID, theta_old, np.log(pi))
        assert lib == pytest.approx(V_old @ GRID.rho + clipped / (1 - GAMMA), abs=1e-12)


@pytest.mark.parametrize("alpha", [None, 0.02])
def test_cpi_gains_at_least_the_guarantee(alpha):
    """Each step of pgbook.algorithms.cpi against the mixture and the bound of AJKS Thm 14.2, written here."""
    run = algorithms.cpi(GRID, 40, alpha=alpha, record_every=1)
    pi = np.full((S, A), 1 / A)
    for t in range(40):
        _, _, adv, d = _solve(pi)
        gain = d @ adv.max(axis=1)
        a_t = alpha if alpha is not None else min(1.0, gain * (1 - GAMMA) ** 2 / (4 * GAMMA))
        pi_next = (1 - a_t) * pi + a_t * np.eye(A)[adv.argmax(axis=1)]
        assert np.allclose(run.pi[t + 1], pi_next, atol=1e-12)
        guarantee = a_t / (1 - GAMMA) * (gain - 2 * a_t * GAMMA / (1 - GAMMA) ** 2)
        assert guarantee <= _V_rho(pi_next) - _V_rho(pi) + 1e-12
        pi = pi_next


def test_exact_trpo_step_aligns_with_npg_as_delta_shrinks():
    """The printed cosines: the exact constrained step turns towards F^+ g (pinv of the Fisher matrix
    built here, gradient by finite differences), 1 - cosine shrinking with delta."""
    theta = np.zeros((S, A))
    F = _fisher_by_sums(pgbook.softmax(theta))
    natural = (np.linalg.pinv(F, rcond=1e-10) @ _fd_gradient(theta).ravel()).reshape(S, A)
    natural -= natural.mean(axis=1, keepdims=True)
    gaps = []
    for delta in (0.1, 0.01, 0.001):
        step = surrogates.trpo_step(GRID, theta, delta) - theta
        step -= step.mean(axis=1, keepdims=True)
        gaps.append(1 - np.sum(step * natural) / (np.linalg.norm(step) * np.linalg.norm(natural)))
    assert gaps[-1] < 0.005
    assert gaps[1] < 0.3 * gaps[0] and gaps[2] < 0.3 * gaps[1]
