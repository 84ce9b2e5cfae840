"""pgbook.theory.estimation against independent computations: the truncated value against sampled returns and
against matrix powers, its gradient against finite differences and against the REINFORCE sampler, and
the truncation bias bound against the exact bias on random MDPs."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import central_difference, theta_cases
from hypothesis import given, settings
from hypothesis import strategies as st

import pgbook
from pgbook import envs
from pgbook.theory import estimation


def matrix_power_value(mdp, pi, H):
    """V_H = sum_{t<H} gamma^t P_pi^t r_pi by explicit matrix powers (independent of the recursion)."""
    P_pi, r_pi = pgbook.policy_matrices(mdp, pi)
    return sum(mdp.gamma**t * np.linalg.matrix_power(P_pi, t) @ r_pi for t in range(H))


@settings(max_examples=30, deadline=None)
@given(case=theta_cases(max_S=4, max_A=3), H=st.integers(1, 12))
def test_truncated_value_is_the_sum_of_matrix_powers(case, H):
    mdp, theta, _ = case
    pi = pgbook.softmax(theta)
    np.testing.assert_allclose(estimation.truncated_value(mdp, pi, H), matrix_power_value(mdp, pi, H),
                               rtol=1e-12, atol=1e-12)


def test_truncated_value_tends_to_the_value():
    mdp = envs.random_mdp(5, 3, 7, gamma=0.8)
    pi = pgbook.softmax(np.random.default_rng(8).normal(size=(5, 3)))
    H = pgbook.truncation_horizon(0.8, 1e-14)
    np.testing.assert_allclose(estimation.truncated_value(mdp, pi, H), pgbook.value(mdp, pi), atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(case=theta_cases(max_S=4, max_A=3), H=st.integers(1, 10))
def test_truncated_gradient_matches_finite_differences(case, H):
    mdp, theta, rho = case

    def V_H(th):
        return rho @ matrix_power_value(mdp, pgbook.softmax(th), H)

    np.testing.assert_allclose(estimation.truncated_softmax_gradient(mdp, theta, H, rho=rho),
                               central_difference(V_H, theta), atol=1e-7)


def test_truncated_gradient_tends_to_the_softmax_gradient():
    mdp = envs.random_mdp(4, 3, 1, gamma=0.8)
    theta = np.random.default_rng(101).normal(size=(4, 3))
    H = pgbook.truncation_horizon(0.8, 1e-14)
    np.testing.assert_allclose(estimation.truncated_softmax_gradient(mdp, theta, H),
                               pgbook.softmax_gradient(mdp, theta), atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(case=theta_cases(max_S=5, max_A=4, max_gamma=0.95, scale=3.0), H=st.integers(1, 60))
def test_truncation_bias_is_within_the_bound(case, H):
    mdp, theta, rho = case
    bias = np.abs(pgbook.softmax_gradient(mdp, theta, rho=rho)
                  - estimation.truncated_softmax_gradient(mdp, theta, H, rho=rho))
    assert bias.max() <= estimation.truncation_bias_bound(mdp.gamma, H) * (1 + 1e-9) + 1e-13


def test_truncation_bias_bound_closed_form():
    # gamma = 1/2, H = 2: (1/4) (1 + 2 * 1/2) / (4 * 1/4) = 1/2
    assert estimation.truncation_bias_bound(0.5, 2) == pytest.approx(0.5, rel=1e-15)
    assert estimation.truncation_bias_bound(0.0, 3) == 0.0


@pytest.mark.parametrize("gamma, n", [pytest.param(0.5, 20_000, id="fast"),
                                      pytest.param(0.8, 200_000, id="large", marks=pytest.mark.slow)])
def test_truncated_gradient_is_the_mean_of_truncated_reinforce(gamma, n):
    mdp = envs.random_mdp(4, 3, 3, gamma=gamma)
    theta = np.random.default_rng(4).normal(size=(4, 3))
    H = 4
    mean, se = pgbook.reinforce_gradient(mdp, theta, n, H, seed=5, return_stderr=True)
    z = np.abs(mean - estimation.truncated_softmax_gradient(mdp, theta, H)) / se
    assert z.max() <= 4.5


@pytest.mark.parametrize("call, match", [
    (lambda m, th: estimation.truncated_value(m, pgbook.softmax(th), 0), "horizon"),
    (lambda m, th: estimation.truncated_value(m, np.ones((2, 2)), 3), "pi"),
    (lambda m, th: estimation.truncated_softmax_gradient(m, th[:1], 3), "theta"),
    (lambda m, th: estimation.truncated_softmax_gradient(m, th, 3, rho=np.ones(3)), "rho"),
    (lambda m, th: estimation.truncated_softmax_gradient(m, th, -1), "horizon"),
    (lambda m, th: estimation.truncation_bias_bound(1.0, 3), "gamma"),
    (lambda m, th: estimation.truncation_bias_bound(0.9, 0), "horizon"),
])
def test_bad_input_names_the_argument(call, match):
    mdp = envs.random_mdp(3, 2, 0)
    with pytest.raises(ValueError, match=match):
        call(mdp, np.zeros((3, 2)))


def test_wrong_types_are_refused():
    mdp = envs.random_mdp(3, 2, 0)
    with pytest.raises(TypeError, match="horizon"):
        estimation.truncated_softmax_gradient(mdp, np.zeros((3, 2)), 2.5)
    with pytest.raises(TypeError, match="mdp"):
        estimation.truncated_value("mdp", np.full((3, 2), 0.5), 2)
