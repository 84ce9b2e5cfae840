"""Policy classes (pgbook.policies): stability of softmax, the simplex projection, log-linear policies."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.special import logsumexp

from pgbook import envs, greedy, log_softmax, loglinear, project_simplex, softmax, uniform

SETTINGS = settings(max_examples=60, deadline=None)
logits = hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=5),
                    elements=st.floats(-1e3, 1e3, allow_nan=False))


@SETTINGS
@given(theta=logits)
def test_softmax_is_stable_and_matches_log_space(theta):
    pi = softmax(theta)
    assert np.isfinite(pi).all() and (pi >= 0).all()
    assert np.allclose(pi.sum(axis=-1), 1.0, rtol=0, atol=1e-12)
    log_pi = log_softmax(theta)
    assert np.isfinite(log_pi).all()
    # An independent log-sum-exp (scipy) for the normaliser.
    assert np.allclose(log_pi, theta - logsumexp(theta, axis=-1, keepdims=True), rtol=0, atol=1e-9)
    assert np.allclose(np.exp(log_pi), pi, rtol=0, atol=1e-15)
    # Shifting every logit of a row changes nothing.
    assert np.allclose(softmax(theta + 500.0), pi, rtol=0, atol=1e-12)


def test_softmax_at_huge_logits():
    theta = np.array([[1000.0, 999.0, -1000.0], [1e3, 1e3, 1e3]])
    pi = softmax(theta)
    e = np.exp(-1.0)
    assert np.allclose(pi[0], [1 / (1 + e), e / (1 + e), 0.0], rtol=1e-14, atol=0)
    assert np.allclose(pi[1], 1 / 3, rtol=1e-15)
    assert log_softmax(theta)[0, 2] == pytest.approx(-2000.0 - np.log1p(e), rel=1e-15)


def _project_by_enumeration(x):
    """Brute force: for every support K the KKT point is p_K = x_K - (sum x_K - 1)/|K|; keep the
    feasible candidates (p_K > 0) and return the nearest to x."""
    best, best_dist = None, np.inf
    n = len(x)
    for k in range(1, n + 1):
        for K in itertools.combinations(range(n), k):
            p = np.zeros(n)
            p[list(K)] = x[list(K)] - (x[list(K)].sum() - 1.0) / k
            if (p[list(K)] > 0).all() and np.sum((p - x) ** 2) < best_dist:
                best, best_dist = p, np.sum((p - x) ** 2)
    return best


@SETTINGS
@given(x=hnp.arrays(np.float64, st.integers(1, 6), elements=st.floats(-5, 5)))
def test_project_simplex_against_brute_force_and_kkt(x):
    p = project_simplex(x)
    assert (p >= 0).all() and p.sum() == pytest.approx(1.0, abs=1e-12)
    assert np.allclose(p, _project_by_enumeration(x), rtol=0, atol=1e-12)
    # KKT: x - p equals a constant tau on the support and x <= tau off it.
    tau = (x - p)[p > 0]
    assert np.ptp(tau) < 1e-12
    assert (x[p == 0] <= tau[0] + 1e-12).all()


def test_project_simplex_works_row_by_row():
    x = np.random.default_rng(0).standard_normal((3, 4, 5))
    p = project_simplex(x)
    for i, j in itertools.product(range(3), range(4)):
        assert np.allclose(p[i, j], _project_by_enumeration(x[i, j]), rtol=0, atol=1e-12)
    inside = softmax(x)
    assert np.allclose(project_simplex(inside), inside, rtol=0, atol=1e-15)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), S=st.integers(1, 5), A=st.integers(1, 5))
def test_loglinear_with_one_hot_features_is_softmax(seed, S, A):
    theta = 3.0 * np.random.default_rng(seed).standard_normal((S, A))
    one_hot = np.eye(S * A).reshape(S, A, S * A)
    assert np.allclose(loglinear(theta.ravel(), one_hot), softmax(theta), rtol=0, atol=1e-15)


def test_loglinear_by_hand():
    phi = np.array([[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]])
    pi = loglinear([np.log(2.0), np.log(3.0)], phi)
    assert np.allclose(pi, [[2 / 11, 3 / 11, 6 / 11]], rtol=1e-15)


def test_uniform_and_greedy():
    mdp = envs.random_mdp(3, 4, seed=0)
    assert np.array_equal(uniform(mdp), np.full((3, 4), 0.25))
    Q = np.array([[0.0, 2.0, 2.0, 1.0], [5.0, -1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
    assert np.array_equal(greedy(Q), [[0, 1, 0, 0], [1, 0, 0, 0], [1, 0, 0, 0]])
