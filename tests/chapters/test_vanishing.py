"""Chapter "Vanishing gradients and exploration" (book/convergence/vanishing.md): every check on the page.

One test per visible check, in the page's order, each recomputing the claim with pgbook and comparing
it with an independent computation: a geometric series, a dense mpmath solve instead of the
tridiagonal one, mpmath finite differences, a linear scan and the Lambert W function, a plain numpy
random walk instead of pgbook's sampler, and the published bounds along whole runs.
"""

import itertools
import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest
from scipy.special import lambertw

import pgbook
from pgbook import algorithms, envs, exploration, highprec

MAX_Z = 4.0
UNIFORM = 0.25


def v_star_series(H):
    """V*(s_0) = sum_{t >= H+1} gamma^t, summed term by term in mpmath."""
    with mpmath.workdps(40):
        gamma = mpmath.mpf(H) / (H + 1)
        return float(mpmath.nsum(lambda t: gamma**t, [H + 1, mpmath.inf]))


def dense_mpmath_values(H, p=UNIFORM, dps=60):
    """V^pi for the chain policy with forward probability p: a dense mpmath LU solve of (I - gamma P_pi) V = r_pi."""
    with mpmath.workdps(dps):
        gamma = mpmath.mpf(H) / (H + 1)
        p = mpmath.mpf(p)
        n = H + 2
        M = mpmath.eye(n)
        M[0, 1] -= gamma
        for i in range(1, H + 1):
            M[i, i + 1] -= gamma * p
            M[i, i - 1] -= gamma * (1 - p)
        M[H + 1, H + 1] -= gamma
        r = mpmath.matrix([0] * (H + 1) + [1])
        return mpmath.lu_solve(M, r)


def chain_theta_gradient(H, theta):
    """dV(s_0)/dtheta: (H, 3) in float64 from pgbook's direct gradient and the chain rule."""
    mdp = envs.chain(H)
    g = pgbook.direct_gradient(mdp, envs.chain_policy(theta))
    return g[1:-1, :3] - g[1:-1, 3:]


def random_walk_hitting_times(H, n, seed):
    """Hitting times of s_{H+1} from s_0 for n walks with forward probability 1/4, in plain numpy."""
    rng = np.random.default_rng(seed)
    s = np.zeros(n, dtype=np.int64)
    T = np.zeros(n, dtype=np.int64)
    active = np.ones(n, dtype=bool)
    while active.any():
        forward = (s == 0) | (rng.random(n) < 0.25)
        s = np.where(active, np.where(forward, s + 1, s - 1), s)
        T += active
        active &= s != H + 1
    return T


# --- the page's checks, in order -----------------------------------------------------------------


def test_policy_iterations_optimal_value_matches_the_closed_form():
    for H in range(1, envs.CHAIN_MAX_H + 1):
        V = pgbook.policy_iteration(envs.chain(H))[1][0]
        closed = (H + 1) * (H / (H + 1)) ** (H + 1)
        assert V == pytest.approx(v_star_series(H), rel=1e-12)
        assert closed == pytest.approx(v_star_series(H), rel=1e-12)


def test_gradient_norm_below_one_third_to_the_H_over_4():
    # At the uniform policy: the 60-digit path, checked against mpmath finite differences of the
    # value in the common forward probability p (the sum of the H non-zero coordinates).
    for H in range(2, 81, 2):
        exact = highprec.chain_exact(H)
        assert exact.grad_norm <= (mpmath.mpf(1) / 3) ** (mpmath.mpf(H) / 4)
        if H not in (2, 10, 30, 80):
            continue
        with mpmath.workdps(90):
            h = mpmath.mpf(10) ** -30
            p = mpmath.mpf(UNIFORM)
            fd = (dense_mpmath_values(H, p + h, dps=90)[0] - dense_mpmath_values(H, p - h, dps=90)[0]) / (2 * h)
            assert abs(fd / mpmath.fsum(exact.grad) - 1) < mpmath.mpf(10) ** -20
    # Strictly inside the proposition's region (the uniform policy is on its edge), in mpmath ...
    for H in (40, 80, 200):
        inside = highprec.chain_exact(H, theta_a1=0.2499)
        assert inside.grad_norm <= (mpmath.mpf(1) / 3) ** (mpmath.mpf(H) / 4)
        assert inside.V_pi <= mpmath.mpf(H + 1) ** 2 / mpmath.mpf(3) ** H
    # ... and at random policies of the region (theta_{s,a1} < 1/4), in float64.
    rng = np.random.default_rng(0)
    for H in range(2, envs.CHAIN_MAX_H + 1, 4):
        for _ in range(20):
            theta = rng.dirichlet(np.ones(4), size=H)[:, :3]
            theta[:, 0] = rng.uniform(0.0, 0.25, size=H)
            theta[:, 1:] *= (1 - theta[:, :1]) / theta.sum(axis=1, keepdims=True).clip(1e-12) * 0.99
            assert np.linalg.norm(chain_theta_gradient(H, theta)) <= (1 / 3) ** (H / 4)


@pytest.mark.parametrize("H", [2, 10, 20, 40, 60, 80])
def test_uniform_value_below_the_published_bound(H):
    V0 = dense_mpmath_values(H)[0]
    assert abs(V0 / highprec.chain_exact(H).V_pi - 1) < mpmath.mpf(10) ** -40
    assert V0 <= mpmath.mpf(H + 1) ** 2 / mpmath.mpf(3) ** H


@pytest.mark.parametrize("H", [2, 10, 20, 40, 60, 80])
def test_value_gap_at_least_the_published_lower_bound(H):
    gap = v_star_series(H) - float(dense_mpmath_values(H)[0])
    assert gap >= (H + 1) / 8 - (H + 1) ** 2 / 3**H


def test_float64_at_H_30_matches_sixty_digits():
    H = 30
    V_dense = dense_mpmath_values(H)
    mdp, pi = envs.chain(H), envs.chain_policy(np.full((H, 3), UNIFORM))
    V = pgbook.value(mdp, pi)
    assert np.allclose(V / np.array([float(v) for v in V_dense]), 1.0, rtol=0, atol=1e-8)
    g = chain_theta_gradient(H, np.full((H, 3), UNIFORM))
    assert np.linalg.norm(g) == pytest.approx(float(highprec.chain_exact(H).grad_norm), rel=1e-8)
    assert np.abs(g[:, 1:]).max() == 0.0  # only the forward action has a derivative


def test_first_admissible_horizons_match_the_lambert_w_closed_form():
    for k in (0, 1):
        scan = next(H for H in itertools.count(1) if H / (40 * math.log(2 * H)) - 1 >= k)
        closed = math.ceil(-40 * (k + 1) * lambertw(-1 / (80 * (k + 1)), -1).real)
        assert exploration.first_admissible_horizon(k) == scan == closed
    assert exploration.first_admissible_horizon(0) == 249
    assert exploration.first_admissible_horizon(1) == 562


def test_exact_hitting_time_is_the_closed_form():
    for H in range(1, 21):
        # A float64 dense solve of T = 1 + P_transient T, independent of the rational one.
        n = H + 1
        P = np.zeros((n, n))
        P[0, 1] = 1.0
        for i in range(1, H + 1):
            P[i, i - 1] = 0.75
            if i + 1 <= H:
                P[i, i + 1] = 0.25
        T = np.linalg.solve(np.eye(n) - P, np.ones(n))[0]
        assert highprec.chain_hitting_time(H) == Fraction(9 * 3**H - 4 * H - 7, 2)
        # (I - P) has a condition number of order 3^H: float64 keeps only a few digits by H = 20.
        assert T == pytest.approx((9 * 3**H - 4 * H - 7) / 2, rel=1e-15 * 3.0**H)


@pytest.mark.slow
@pytest.mark.parametrize("H", [1, 2, 3])
def test_simulated_hitting_times_average_to_the_exact_expectation(H):
    expected = (9 * 3**H - 4 * H - 7) / 2
    T = random_walk_hitting_times(H, 4000, seed=H)
    assert abs(T.mean() - expected) / (T.std() / math.sqrt(T.size)) <= MAX_Z
    mdp = envs.chain(H)
    episodes = pgbook.sample_episodes(mdp, envs.chain_policy(np.full((H, 3), UNIFORM)), n=1000,
                                      horizon=40 * int(expected), seed=100 + H)
    T_pg = exploration.first_visits(episodes.states, target=H + 1)
    assert (T_pg >= 0).all()
    assert abs(T_pg.mean() - expected) / (T_pg.std() / math.sqrt(T_pg.size)) <= MAX_Z


@pytest.mark.slow
@pytest.mark.parametrize("H", [6, 8])
def test_share_of_batches_seeing_a_reward_matches_the_exact_probability(H):
    # Plain numpy: a uniform softmax walk on the chain; a reward is seen when a1 is played at s_{H+1}.
    L, batches, n = 10 * (H + 1), 300, 100
    rng = np.random.default_rng(H)
    s = np.zeros(batches * n, dtype=np.int64)
    seen = np.zeros(batches * n, dtype=bool)
    for _ in range(L):
        a = rng.integers(0, 4, size=s.size)
        seen |= (s == H + 1) & (a == 0)
        s = np.where(s == H + 1, s, np.where((s == 0) | (a == 0), s + 1, s - 1))
    share = seen.reshape(batches, n).any(axis=1)
    mdp = envs.chain(H)
    q = exploration.reward_free_probability(mdp, pgbook.uniform(mdp), L)[-1]
    expected = 1 - q**n
    assert abs(share.mean() - expected) / math.sqrt(expected * (1 - expected) / batches) <= MAX_Z


def npg_guarantee(H, eta=1.0):
    """The smallest T with log|A|/(eta T) + (H+1)^2/T <= 0.1 V*(s_0) (AKLM Thm 5.3)."""
    return (math.log(4) / eta + (H + 1) ** 2) / (0.1 * v_star_series(H))


@pytest.mark.parametrize("H", range(2, 13))
def test_npg_within_its_guarantee(H):
    mdp = envs.chain(H)
    T = math.floor(npg_guarantee(H))
    run = algorithms.npg(mdp, 1.0, T, record_every=1)
    assert run.V_rho[-1] >= 0.9 * v_star_series(H)
    # Theorem 5.3 at every iteration of the run, not only at the target.
    t = np.arange(1, T + 1)
    assert (v_star_series(H) - run.V_rho[1:] <= math.log(4) / t + (H + 1) ** 2 / t + 1e-12).all()


@pytest.mark.parametrize("H", range(8, 13))
def test_softmax_pg_slower_than_npg_guarantee(H):
    run = algorithms.softmax_pg(envs.chain(H), 1.0, math.ceil(npg_guarantee(H)))
    assert run.V_rho.max() < 0.9 * v_star_series(H)
