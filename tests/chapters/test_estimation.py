"""Every check on the page book/gradients/estimation.md, recomputed against independent computations.

The chapter's quantities come from pgbook's exact solves and numba sampler; here values come from a
direct linear solve, gradients from central finite differences, truncated values from explicit matrix
powers, and single-episode estimates from a plain Python loop over the steps of each episode.
Statistical checks use fixed seeds and |z| <= 4, as on the page.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import central_difference

import pgbook
from pgbook import envs, estimators

Z_MAX = 4.0


@pytest.fixture(scope="module")
def chapter():
    """The chapter's running example: a random 4 x 3 MDP, gamma = 0.8, random softmax parameters."""
    mdp = envs.random_mdp(4, 3, seed=1, gamma=0.8)
    theta = np.random.default_rng(101).normal(size=(mdp.S, mdp.A))
    return mdp, theta, pgbook.truncation_horizon(mdp.gamma)


def solved_value(mdp, pi):
    """V^pi by numpy's dense solve of (I - gamma P_pi) V = r_pi (not pgbook's LU path)."""
    P_pi = np.einsum("sa,sat->st", pi, mdp.P)
    r_pi = (pi * mdp.r).sum(axis=1)
    return np.linalg.solve(np.eye(mdp.S) - mdp.gamma * P_pi, r_pi)


def powered_value(mdp, pi, H):
    """The truncated value sum_{t<H} gamma^t P_pi^t r_pi by explicit matrix powers."""
    P_pi = np.einsum("sa,sat->st", pi, mdp.P)
    r_pi = (pi * mdp.r).sum(axis=1)
    return sum(mdp.gamma**t * np.linalg.matrix_power(P_pi, t) @ r_pi for t in range(H))


def fd_gradient(mdp, theta, H=None):
    """Central differences of V(rho) (or of V_H(rho)) in theta."""
    def V(th):
        pi = pgbook.softmax(th)
        return mdp.rho @ (solved_value(mdp, pi) if H is None else powered_value(mdp, pi, H))
    return central_difference(V, theta, h=1e-6)


def loop_estimates(mdp, theta, episodes, baseline=None, reward_to_go=True):
    """Single-episode REINFORCE estimates by a plain loop over steps: (n, S, A)."""
    states, actions, rewards = episodes
    pi = pgbook.softmax(theta)
    b = np.zeros(mdp.S) if baseline is None else baseline
    n, H = rewards.shape
    out = np.zeros((n, mdp.S, mdp.A))
    for i in range(n):
        later = [0.0] * (H + 1)  # later[t] = sum_{k >= t} gamma^k r_k, accumulated backwards
        for t in reversed(range(H)):
            later[t] = later[t + 1] + mdp.gamma**t * rewards[i, t]
        for t in range(H):
            s, a = states[i, t], actions[i, t]
            to_go = later[t] if reward_to_go else later[0]
            score = -pi[s].copy()
            score[a] += 1.0
            out[i, s] += (to_go - mdp.gamma**t * b[s]) * score
    return out


def assert_z(mean, stderr, expected, z_max=Z_MAX):
    z = np.abs(np.asarray(mean) - expected) / stderr
    assert z.max() <= z_max, f"max |z| = {z.max():.2f}"
    return z


@pytest.mark.slow
def test_average_return_estimates_V(chapter):
    mdp, theta, H = chapter
    pi = pgbook.softmax(theta)
    _, _, rewards = pgbook.sample_episodes(mdp, pi, n=20_000, horizon=H, seed=1)
    returns = rewards @ mdp.gamma ** np.arange(H)
    assert_z(returns.mean(), returns.std(ddof=1) / np.sqrt(returns.size), mdp.rho @ solved_value(mdp, pi))


def test_numpy_estimator_is_the_numba_sampler(chapter):
    mdp, theta, H = chapter
    n = 300
    episodes = pgbook.sample_episodes(mdp, pgbook.softmax(theta), n=n, horizon=H, seed=1)
    np.testing.assert_allclose(loop_estimates(mdp, theta, episodes).mean(axis=0),
                               pgbook.reinforce_gradient(mdp, theta, n=n, horizon=H, seed=1), atol=1e-12)


@pytest.mark.slow
def test_reinforce_mean_is_the_gradient(chapter):
    mdp, theta, H = chapter
    mean, se = pgbook.reinforce_gradient(mdp, theta, 200_000, H, seed=2, return_stderr=True)
    assert_z(mean, se, fd_gradient(mdp, theta))


@pytest.mark.slow
def test_error_falls_like_one_over_root_n(chapter):
    """The page cuts one run into batches; here each mean is a separate run of the numba sampler."""
    mdp, theta, H = chapter
    grad = fd_gradient(mdp, theta)
    ns = np.array([10, 30, 100, 300, 1000])
    rms = np.array([np.sqrt(np.mean([np.sum((pgbook.reinforce_gradient(mdp, theta, m, H, seed=1000 + k) - grad) ** 2)
                                     for k in range(100)])) for m in ns])
    slope = np.polyfit(np.log(ns), np.log(rms), 1)[0]
    assert abs(slope + 0.5) <= 0.1
    # and the level is the central limit theorem's sqrt(tr Sigma / n), Sigma from independent episodes
    episodes = pgbook.sample_episodes(mdp, pgbook.softmax(theta), n=2_000, horizon=H, seed=9)
    sigma = np.sqrt(loop_estimates(mdp, theta, episodes).var(axis=0, ddof=1).sum())
    assert np.all(np.abs(np.log(rms * np.sqrt(ns) / sigma)) <= np.log(1.3))


@pytest.mark.slow
def test_baseline_keeps_the_mean(chapter):
    mdp, theta, H = chapter
    V = solved_value(mdp, pgbook.softmax(theta))
    mean, se = pgbook.reinforce_gradient(mdp, theta, 200_000, H, seed=2, baseline=V, return_stderr=True)
    assert_z(mean, se, fd_gradient(mdp, theta))


def test_baseline_cuts_the_variance_tenfold(chapter):
    mdp, theta, H = chapter
    pi = pgbook.softmax(theta)
    episodes = pgbook.sample_episodes(mdp, pi, n=1_000, horizon=H, seed=3)
    plain = loop_estimates(mdp, theta, episodes).var(axis=0, ddof=1).sum()
    based = loop_estimates(mdp, theta, episodes, baseline=solved_value(mdp, pi)).var(axis=0, ddof=1).sum()
    assert 10 * based <= plain


def test_truncation_bias_within_the_bound(chapter):
    mdp, theta, _ = chapter
    grad = fd_gradient(mdp, theta)
    for H in (1, 2, 5, 10, 20, 40, 60):
        bias = np.abs(grad - fd_gradient(mdp, theta, H)).max()
        assert bias <= estimators.truncation_bias_bound(mdp.gamma, H) + 1e-8
    # the bound is of order gamma^H: the bias at H = 20 is real, and at H = 60 negligible
    assert np.abs(grad - fd_gradient(mdp, theta, 20)).max() > 1e-4


@pytest.mark.slow
def test_short_episodes_estimate_the_truncated_gradient(chapter):
    mdp, theta, _ = chapter
    V = solved_value(mdp, pgbook.softmax(theta))
    mean, se = pgbook.reinforce_gradient(mdp, theta, 200_000, horizon=5, seed=4, baseline=V, return_stderr=True)
    assert_z(mean, se, fd_gradient(mdp, theta, 5))
    assert (np.abs(mean - fd_gradient(mdp, theta)) / se).max() > 10 * Z_MAX


def small_pi_theta(mdp, theta, logit):
    pi = pgbook.softmax(theta)
    V = solved_value(mdp, pi)
    adv = mdp.r + mdp.gamma * mdp.P @ V - V[:, None]
    s, a = np.unravel_index(adv.argmax(), adv.shape)
    th = theta.copy()
    th[s, a] = logit
    return th, s, a


def test_small_pi_large_advantage_tiny_gradient(chapter):
    mdp, theta, _ = chapter
    th, s, a = small_pi_theta(mdp, theta, -6.0)
    pi = pgbook.softmax(th)
    V = solved_value(mdp, pi)
    adv = mdp.r + mdp.gamma * mdp.P @ V - V[:, None]
    assert adv[s, a] > 0.5
    assert 0 < fd_gradient(mdp, th)[s, a] < 1e-3


@pytest.mark.slow
def test_relative_error_grows_like_inverse_sqrt_pi(chapter):
    mdp, theta, H = chapter
    pis, rel = [], []
    for logit in np.arange(-6.0, -0.99, 1.0):
        th, s, a = small_pi_theta(mdp, theta, logit)
        pi = pgbook.softmax(th)
        _, se = pgbook.reinforce_gradient(mdp, th, 20_000, H, seed=5, baseline=solved_value(mdp, pi),
                                          return_stderr=True)
        pis.append(pi[s, a])
        rel.append(se[s, a] / abs(fd_gradient(mdp, th)[s, a]))
    assert abs(np.polyfit(np.log(pis), np.log(rel), 1)[0] + 0.5) <= 0.1


@pytest.mark.slow
def test_geometric_sampler_is_unbiased(chapter):
    mdp, theta, _ = chapter
    V = solved_value(mdp, pgbook.softmax(theta))
    mean, se = pgbook.reinforce_gradient_geometric(mdp, theta, 200_000, seed=6, baseline=V, return_stderr=True)
    assert_z(mean, se, fd_gradient(mdp, theta))


@pytest.mark.slow
def test_whole_return_weighting_is_unbiased_and_noisier(chapter):
    mdp, theta, H = chapter
    episodes = pgbook.sample_episodes(mdp, pgbook.softmax(theta), n=5_000, horizon=H, seed=1)
    whole = loop_estimates(mdp, theta, episodes, reward_to_go=False)
    to_go = loop_estimates(mdp, theta, episodes)
    assert_z(whole.mean(axis=0), whole.std(axis=0, ddof=1) / np.sqrt(len(whole)), fd_gradient(mdp, theta))
    assert whole.var(axis=0, ddof=1).sum() > 5 * to_go.var(axis=0, ddof=1).sum()
