"""Exact evaluation (pgbook.exact) against the Bellman equations and independent computations (AKLM section 3 and Lemma 3.2)."""

import numpy as np
import pytest
from conftest import policies, policy_cases
from hypothesis import given, settings
from hypothesis import strategies as st

from pgbook import _evaluation, envs, exact, softmax

SETTINGS = settings(max_examples=60, deadline=None)


@SETTINGS
@given(case=policy_cases())
def test_bellman_equations(case):
    mdp, pi, _ = case
    V, Q, A = exact.value(mdp, pi), exact.q_value(mdp, pi), exact.advantage(mdp, pi)
    P_pi, r_pi = exact.policy_matrices(mdp, pi)
    assert np.allclose(V, r_pi + mdp.gamma * P_pi @ V, rtol=0, atol=1e-10)
    Q_bellman = mdp.r + mdp.gamma * np.einsum("sat,t->sa", mdp.P, V)
    assert np.allclose(Q, Q_bellman, rtol=0, atol=1e-10)
    assert np.allclose(V, (pi * Q).sum(axis=1), rtol=0, atol=1e-10)
    assert np.allclose((pi * A).sum(axis=1), 0.0, rtol=0, atol=1e-10)
    assert np.allclose(A, Q - V[:, None], rtol=0, atol=1e-12)


@SETTINGS
@given(case=policy_cases(), data=st.data())
def test_policy_matrices_of_deterministic_policies_and_mixtures(case, data):
    """Closed forms: a deterministic policy a(s) has P_pi[s] = P[s, a(s)] and r_pi(s) = r(s, a(s)), and
    the chain of a mixture of policies is the same mixture of their chains (P_pi is linear in pi)."""
    mdp, pi, _ = case
    actions = data.draw(st.lists(st.integers(0, mdp.A - 1), min_size=mdp.S, max_size=mdp.S))
    P_a, r_a = exact.policy_matrices(mdp, np.eye(mdp.A)[actions])
    assert np.array_equal(P_a, mdp.P[np.arange(mdp.S), actions])
    assert np.array_equal(r_a, mdp.r[np.arange(mdp.S), actions])
    w = data.draw(st.floats(0.0, 1.0))
    mixed = exact.policy_matrices(mdp, w * pi + (1 - w) * np.eye(mdp.A)[actions])
    P_pi, r_pi = exact.policy_matrices(mdp, pi)
    assert np.allclose(mixed[0], w * P_pi + (1 - w) * P_a, rtol=0, atol=1e-14)
    assert np.allclose(mixed[1], w * r_pi + (1 - w) * r_a, rtol=0, atol=1e-14)
    assert np.allclose(P_pi.sum(axis=1), 1.0, rtol=0, atol=1e-12)


@SETTINGS
@given(case=policy_cases(), data=st.data())
def test_evaluate_agrees_with_the_single_functions(case, data):
    mdp, pi, _ = case
    s0 = data.draw(st.integers(0, mdp.S - 1))
    ev = exact.evaluate(mdp, pi, s0)
    assert np.allclose(ev.V, exact.value(mdp, pi), rtol=0, atol=1e-12)
    assert np.allclose(ev.Q, exact.q_value(mdp, pi), rtol=0, atol=1e-12)
    assert np.allclose(ev.adv, exact.advantage(mdp, pi), rtol=0, atol=1e-12)
    assert np.allclose(ev.d, exact.visitation(mdp, pi, s0), rtol=0, atol=1e-12)
    assert np.allclose(ev.occupancy * (1 - mdp.gamma), ev.d, rtol=0, atol=1e-12)
    assert ev.V_rho == pytest.approx(ev.V[s0], abs=1e-12)


@SETTINGS
@given(case=policy_cases())
def test_visitation_is_a_distribution_and_gives_the_value(case):
    """A2: sum d = 1, d >= (1 - gamma) rho, V(rho) = E_{d, pi}[r] / (1 - gamma)."""
    mdp, pi, rho = case
    ev = exact.evaluate(mdp, pi, rho)
    assert ev.d.sum() == pytest.approx(1.0, abs=1e-12)
    assert (ev.d >= (1 - mdp.gamma) * rho - 1e-14).all()
    expected_reward = ev.d @ (pi * mdp.r).sum(axis=1)
    assert ev.V_rho == pytest.approx(expected_reward / (1 - mdp.gamma), abs=1e-10)


@SETTINGS
@given(case=policy_cases())
def test_visitation_against_the_power_series(case):
    r"""d^T = (1 - gamma) sum_t gamma^t rho^T P_pi^t, truncated where gamma^t < 1e-15."""
    mdp, pi, rho = case
    P_pi, _ = exact.policy_matrices(mdp, pi)
    term, series = rho.copy(), np.zeros(mdp.S)
    while term.sum() > 1e-15:
        series += term
        term = mdp.gamma * term @ P_pi
    assert np.allclose(exact.visitation(mdp, pi, rho), (1 - mdp.gamma) * series, rtol=0, atol=1e-12)


@SETTINGS
@given(case=policy_cases())
def test_value_against_iterative_evaluation(case):
    """Iterate Q <- r + gamma P (pi . Q) until it stops moving: a second method, no linear solve."""
    mdp, pi, _ = case
    Q = np.zeros((mdp.S, mdp.A))
    for _ in range(2000):
        Q_next = mdp.r + mdp.gamma * mdp.P @ (pi * Q).sum(axis=1)
        if np.abs(Q_next - Q).max() < 1e-13:
            break
        Q = Q_next
    assert np.allclose(exact.q_value(mdp, pi), Q_next, rtol=0, atol=1e-11)


@SETTINGS
@given(case=policy_cases(), data=st.data())
def test_performance_difference_lemma(case, data):
    """A3: V^pi(s0) - V^pi'(s0) = 1/(1-gamma) E_{s ~ d^pi_{s0}} E_{a ~ pi} A^{pi'}(s, a), for every s0."""
    mdp, pi, _ = case
    pi2 = data.draw(policies(mdp))
    A2 = exact.advantage(mdp, pi2)
    V, V2 = exact.value(mdp, pi), exact.value(mdp, pi2)
    for s0 in range(mdp.S):
        d = exact.visitation(mdp, pi, s0)
        rhs = d @ (pi * A2).sum(axis=1) / (1 - mdp.gamma)
        assert V[s0] - V2[s0] == pytest.approx(rhs, abs=1e-10)


def _absorbing_chain(mdp, pi):
    """Brute force for an episodic MDP: the fundamental matrix N = sum_t Q_T^t of the transient
    block, summed term by term; V = N r_T and the expected visits rho_T^T N."""
    transient = ~mdp.terminal
    P_pi = np.einsum("sa,sat->st", pi, mdp.P)[np.ix_(transient, transient)]
    term = np.eye(transient.sum())
    N = np.zeros_like(term)
    while np.abs(term).max() > 1e-17:
        N += term
        term = term @ P_pi
    r_T = (pi * mdp.r).sum(axis=1)[transient]
    return N @ r_T, mdp.rho[transient] @ N


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("slip", [0.0, 0.2])
def test_episodic_gridworld_against_the_absorbing_chain(seed, slip):
    mdp = envs.gridworld(gamma=1.0, slip=slip)
    pi = softmax(np.random.default_rng(seed).standard_normal((mdp.S, mdp.A)))
    V_brute, visits = _absorbing_chain(mdp, pi)
    transient = ~mdp.terminal
    V = exact.value(mdp, pi)
    assert np.allclose(V[transient], V_brute, rtol=0, atol=1e-10)
    assert (V[mdp.terminal] == 0).all()
    ev = exact.evaluate(mdp, pi)
    assert np.allclose(ev.occupancy[transient], visits, rtol=0, atol=1e-9)
    assert np.allclose(ev.d[transient], visits / visits.sum(), rtol=0, atol=1e-12)
    assert ev.d.sum() == pytest.approx(1.0)


def test_episodic_value_refuses_a_policy_that_never_terminates():
    mdp = envs.gridworld(gamma=1.0, slip=0.0)
    stay_left = np.zeros((mdp.S, mdp.A))
    stay_left[:, 0] = 1.0
    with pytest.raises(ValueError, match=r"pi: with gamma = 1 .* never terminate"):
        exact.value(mdp, stay_left)


def test_inputs_other_than_float64_arrays_give_the_same_values():
    mdp = envs.random_mdp(5, 3, seed=4)
    pi = softmax(np.random.default_rng(0).standard_normal((5, 3)))
    V = exact.value(mdp, pi)
    as_list = exact.value(mdp, pi.tolist())
    strided = exact.value(mdp, np.asfortranarray(pi))
    read_only = pi.copy()
    read_only.flags.writeable = False
    for other in (as_list, strided, exact.value(mdp, read_only)):
        assert np.array_equal(other, V)
    assert np.array_equal(pi, softmax(np.random.default_rng(0).standard_normal((5, 3))))


def test_values_of_a_two_state_mdp_by_hand():
    """A hand-solvable case: s0 -> s1 (reward 1), s1 absorbing (reward 0); V(s0) = 1, d_{s0} = (1-gamma, gamma)."""
    from pgbook import MDP

    P = np.array([[[0.0, 1.0]], [[0.0, 1.0]]])
    mdp = MDP(P, [[1.0], [0.0]], 0.5, [1.0, 0.0])
    ev = exact.evaluate(mdp, np.ones((2, 1)))
    assert np.allclose(ev.V, [1.0, 0.0])
    assert np.allclose(ev.d, [0.5, 0.5])
    assert np.allclose(ev.Q, [[1.0], [0.0]])


@pytest.mark.parametrize("S", [_evaluation.LAPACK_MIN - 1, _evaluation.LAPACK_MIN, 120])
def test_both_factorisations_against_numpy(S):
    """Below LAPACK_MIN states the LU, its solves and PV are pgbook's own loops, from there on LAPACK's
    dgetrf and dgetrs and BLAS: both give the values, the visitation and Q of numpy's dense solves (a
    second method) on a random MDP."""
    mdp = envs.random_mdp(S, 3, seed=S, gamma=0.95, random_rho=True, branching=min(S, 7))
    pi = softmax(np.random.default_rng(S).standard_normal((S, 3)))
    P_pi, r_pi = exact.policy_matrices(mdp, pi)
    M = np.eye(S) - mdp.gamma * P_pi
    ev = exact.evaluate(mdp, pi)
    assert np.allclose(ev.V, np.linalg.solve(M, r_pi), rtol=1e-12, atol=0)
    assert np.allclose(ev.d, (1 - mdp.gamma) * np.linalg.solve(M.T, mdp.rho), rtol=1e-11, atol=1e-15)
    assert np.allclose(ev.Q, mdp.r + mdp.gamma * np.einsum("sat,t->sa", mdp.P, ev.V), rtol=1e-13, atol=0)
