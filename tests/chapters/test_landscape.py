"""The checks of book/convergence/landscape.md ("The optimisation landscape"), one test per visible
check, each recomputed against an independent computation (closed forms, finite differences,
Hessians, plain numpy linear solves and loops)."""

import numpy as np
import pytest

import pgbook
from conftest import central_difference
from pgbook import algorithms, envs, landscape


def solve_value(P, r, gamma, pi):
    """V^pi by a plain dense solve of (I - gamma P_pi) V = r_pi, independent of pgbook.exact."""
    P_pi = np.einsum("sa,sat->st", pi, P)
    return np.linalg.solve(np.eye(len(P)) - gamma * P_pi, np.sum(pi * r, axis=1))


def softmax(theta):
    z = np.exp(theta - theta.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def logistic_problem():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 5))
    y = np.sign(X @ rng.normal(size=5) + rng.normal(size=200))
    return X, y


def test_logistic_loss_passes_the_convexity_test():
    X, y = logistic_problem()
    rng = np.random.default_rng(1)
    w1, w2 = rng.normal(0, 3, size=(2, 2000, 5))
    gaps = landscape.midpoint_gaps(lambda w: -np.mean(np.logaddexp(0, -y * (X @ w))), w1, w2)
    assert (gaps <= 1e-12).all()
    # independent: the Hessian (1/n) sum sigma(1 - sigma) x x^T is positive definite at the midpoints
    for w in (w1[:20] + w2[:20]) / 2:
        s = 1 / (1 + np.exp(-y * (X @ w)))
        assert np.linalg.eigvalsh((X.T * (s * (1 - s))) @ X / len(y)).min() > 0


def chain2_value(p1, p2):
    """V(s0) on the H = 2 chain, closed form 8 p1 p2 / (4 p1 p2 + 5) (eq-chain-value)."""
    return 8 * p1 * p2 / (4 * p1 * p2 + 5)


def test_midpoint_policy_matches_the_closed_form():
    chain = envs.chain(2)
    rng = np.random.default_rng(2)
    for p1, p2 in [(0.5, 0.5), *rng.random((5, 2))]:
        theta = np.array([[p1, 0.1 * (1 - p1), 0], [p2, 0, 0.3 * (1 - p2)]])
        V = pgbook.value(chain, envs.chain_policy(theta))[0]
        assert V == pytest.approx(chain2_value(p1, p2), abs=1e-12)
    assert chain2_value(0.5, 0.5) == pytest.approx(1 / 3)


def test_midpoint_lies_below_the_chord_in_the_direct_parameters():
    chain = envs.chain(2)
    pi_right = envs.chain_policy(np.array([[1.0, 0, 0]] * 2))
    pi_left = envs.chain_policy(np.zeros((2, 3)))
    V = [solve_value(chain.P, chain.r, chain.gamma, pi)[0] for pi in (pi_right, pi_left, (pi_right + pi_left) / 2)]
    assert V[0] == pytest.approx(8 / 9) and V[1] == pytest.approx(0)
    assert V[2] < (V[0] + V[1]) / 2 - 0.1


def test_a_quarter_of_random_softmax_pairs_violate_concavity():
    chain = envs.chain(3)
    rng = np.random.default_rng(3)
    theta1, theta2 = rng.normal(0, 3, size=(2, 500, chain.S, chain.A))
    gaps = landscape.midpoint_gaps(lambda th: pgbook.value(chain, pgbook.softmax(th))[0], theta1, theta2)
    V = lambda th: solve_value(chain.P, chain.r, chain.gamma, softmax(th))[0]
    independent = np.array([(V(a) + V(b)) / 2 - V((a + b) / 2) for a, b in zip(theta1, theta2)])
    np.testing.assert_allclose(gaps, independent, atol=1e-12)
    assert (independent > 1e-12).mean() > 0.25


def chain_start(logit):
    chain = envs.chain(3)
    theta0 = np.zeros((chain.S, chain.A))
    theta0[:, 0] = logit
    return chain, theta0


def test_bad_start_has_a_tiny_gradient():
    norms = {}
    for name, logit in (("uniform", 0.0), ("bad", -2.0)):
        chain, theta0 = chain_start(logit)
        fd = central_difference(lambda th: solve_value(chain.P, chain.r, chain.gamma, softmax(th))[0], theta0, h=1e-5)
        np.testing.assert_allclose(pgbook.softmax_gradient(chain, theta0), fd, atol=1e-9)
        norms[name] = np.linalg.norm(fd)
    assert norms["bad"] < norms["uniform"] / 500


def numpy_softmax_pg_iterations(chain, theta, eta, target, T):
    """Plain numpy softmax PG (AKLM Eq. (10)) counting iterations until V(s0) >= target."""
    gamma, S = chain.gamma, chain.S
    for t in range(T + 1):
        pi = softmax(theta)
        V = solve_value(chain.P, chain.r, gamma, pi)
        if V[0] >= target:
            return t
        Q = chain.r + gamma * chain.P @ V
        P_pi = np.einsum("sa,sat->st", pi, chain.P)
        d = (1 - gamma) * np.linalg.solve((np.eye(S) - gamma * P_pi).T, chain.rho)
        theta = theta + eta * d[:, None] * pi * (Q - V[:, None]) / (1 - gamma)
    return T


@pytest.mark.slow
def test_bad_start_needs_over_100_times_as_many_iterations():
    counts = {}
    for name, logit in (("uniform", 0.0), ("bad", -2.0)):
        chain, theta0 = chain_start(logit)
        _, V_star = pgbook.policy_iteration(chain)
        target = 0.9 * V_star[0]
        run = algorithms.softmax_pg(chain, 2.0, 30_000, theta0=theta0, until=target)
        counts[name] = numpy_softmax_pg_iterations(chain, theta0, 2.0, target, 30_000)
        assert abs(run.iterations - counts[name]) <= 1
    assert counts["bad"] > 100 * counts["uniform"]


def random_setting():
    mdp = envs.random_mdp(6, 3, seed=0, gamma=0.8, rho="random")
    # independent optimum: value iteration to 1e-12
    _, V_star = pgbook.value_iteration(mdp, tol=1e-12)
    Q = mdp.r + mdp.gamma * mdp.P @ V_star
    pi_star = np.eye(mdp.A)[Q.argmax(axis=1)]
    return mdp, np.full(mdp.S, 1 / mdp.S), pi_star, V_star


def visitation(mdp, pi, start):
    P_pi = np.einsum("sa,sat->st", pi, mdp.P)
    return (1 - mdp.gamma) * np.linalg.solve((np.eye(mdp.S) - mdp.gamma * P_pi).T, start)


def domination_terms(n=300, seed=4):
    mdp, mu, pi_star, V_star = random_setting()
    rho, gamma = mdp.rho, mdp.gamma
    d_star = visitation(mdp, pi_star, rho)
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n):
        w = rng.random()
        pi = w * rng.dirichlet(np.ones(mdp.A), size=mdp.S) + (1 - w) * pi_star
        V = solve_value(mdp.P, mdp.r, gamma, pi)
        adv = mdp.r + gamma * mdp.P @ V - V[:, None]
        d = visitation(mdp, pi, mu)
        step = d @ adv.max(axis=1) / (1 - gamma)  # the stationarity gap in its advantage form
        assert landscape.stationarity(mdp, pi, mu) == pytest.approx(step, rel=1e-9, abs=1e-12)
        middle = np.max(d_star / d) * step
        right = np.max(d_star / mu) / (1 - gamma) * step
        rows.append(((V_star - V) @ rho, middle, right))
    return np.array(rows).T


def test_gradient_domination_middle_bound():
    gap, middle, _ = domination_terms()
    assert (gap <= middle + 1e-12).all()


def test_gradient_domination_right_bound_is_larger():
    _, middle, right = domination_terms()
    assert (middle <= right + 1e-12).all()


def numpy_pga(mdp, eta, T, mu):
    """Plain numpy projected gradient ascent; the simplex projection by bisection on the shift."""
    pi = np.full((mdp.S, mdp.A), 1 / mdp.A)
    values = []
    for _ in range(T + 1):
        V = solve_value(mdp.P, mdp.r, mdp.gamma, pi)
        values.append(V)
        grad = visitation(mdp, pi, mu)[:, None] * (mdp.r + mdp.gamma * mdp.P @ V) / (1 - mdp.gamma)
        x = pi + eta * grad
        lo, hi = x.min(axis=1) - 1, x.max(axis=1)
        for _ in range(100):
            tau = (lo + hi) / 2
            big = np.maximum(x - tau[:, None], 0).sum(axis=1) > 1
            lo, hi = np.where(big, tau, lo), np.where(big, hi, tau)
        pi = np.maximum(x - hi[:, None], 0)
        pi /= pi.sum(axis=1, keepdims=True)
    return np.array(values)


@pytest.mark.slow
def test_pga_best_gap_below_the_bound():
    mdp, mu, pi_star, V_star = random_setting()
    gamma, S, A, rho = mdp.gamma, mdp.S, mdp.A, mdp.rho
    eta = (1 - gamma) ** 3 / (2 * gamma * A)
    T = 3000
    run = algorithms.projected_ga(mdp, eta, T, rho=mu, record_every=1)
    V_np = numpy_pga(mdp, eta, T, mu)
    np.testing.assert_allclose(run.V, V_np, atol=1e-9)
    best = np.minimum.accumulate((V_star - V_np) @ rho)[1:]
    D = np.max(visitation(mdp, pi_star, rho) / mu)
    epsilon = np.sqrt(64 * gamma * S * A * D**2 / ((1 - gamma) ** 6 * np.arange(1, T + 1)))
    assert (best <= epsilon).all()


@pytest.mark.slow
def test_pga_reaches_the_optimum():
    mdp, mu, _, V_star = random_setting()
    run = algorithms.projected_ga(mdp, landscape.pga_step_size(mdp), 20_000, rho=mu)
    assert abs((V_star - run.V[-1]) @ mdp.rho) < 1e-9


def slice_grid(gamma, n=31):
    """V/V* on the chapter's slice, by plain numpy solves (V* from value iteration)."""
    chain = envs.chain(3)
    xs = np.linspace(-6, 6, n)
    _, V_star = pgbook.value_iteration(pgbook.MDP(chain.P, chain.r, gamma, chain.rho), tol=1e-12)
    V = np.empty((n, n))
    for i, x in enumerate(xs):
        for j, y in enumerate(xs):
            theta = np.zeros((chain.S, chain.A))
            theta[1, 0], theta[2:, 0] = x, y
            V[j, i] = solve_value(chain.P, chain.r, gamma, softmax(theta))[0]
    return V / V_star[0]


GAMMAS = [0.5, 0.6, 0.7, 0.75, 0.85, 0.95]


@pytest.mark.slow
def test_every_slice_dips_below_its_chord():
    for gamma in GAMMAS:
        V = slice_grid(gamma)
        dip = np.max(np.linspace(V[0, 0], V[-1, -1], len(V)) - np.diag(V))
        assert dip > 1 / 3
        # and the midpoint test on the diagonal's end points agrees
        chain = envs.chain(3)
        mdp = pgbook.MDP(chain.P, chain.r, gamma, chain.rho)
        ends = np.zeros((2, 1, chain.S, chain.A))
        ends[0, 0, 1:, 0], ends[1, 0, 1:, 0] = -6, 6
        gap = landscape.midpoint_gaps(lambda th: pgbook.value(mdp, pgbook.softmax(th))[0], ends[0], ends[1])
        assert gap[0] > 0


@pytest.mark.slow
def test_high_region_grows_and_plateau_shrinks_with_gamma():
    grids = [slice_grid(gamma) for gamma in GAMMAS]
    high = np.array([(V > 0.5).mean() for V in grids])
    flat = np.array([(V < 0.01).mean() for V in grids])
    assert (np.diff(high) >= 0).all() and (np.diff(flat) <= 0).all()
    assert high[-1] > high[0] and flat[-1] < flat[0]
