"""Policy iteration and value iteration against brute force, closed forms and the Bellman equation."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from conftest import mdps
from hypothesis import given, settings
from hypothesis import strategies as st

import pgbook
from pgbook import MDP, envs
from pgbook.control import _value_iteration


def brute_force(mdp):
    """V* as the pointwise maximum of V^pi over all A^S deterministic policies."""
    best = np.full(mdp.S, -np.inf)
    for actions in itertools.product(range(mdp.A), repeat=mdp.S):
        best = np.maximum(best, pgbook.value(mdp, np.eye(mdp.A)[list(actions)]))
    return best


def bellman_residual(mdp, V):
    """max_s |max_a (r + gamma P V)(s, a) - V(s)|."""
    return np.abs((mdp.r + mdp.gamma * mdp.P @ V).max(axis=1) - V).max()


@settings(max_examples=40, deadline=None)
@given(mdp=mdps(max_S=4, max_A=3))
def test_pi_and_vi_match_brute_force(mdp):
    V_star = brute_force(mdp)
    pi_pi, V_pi = pgbook.policy_iteration(mdp)
    pi_vi, V_vi = pgbook.value_iteration(mdp, tol=1e-10)
    assert np.abs(V_pi - V_star).max() <= 1e-9
    assert np.abs(V_vi - V_star).max() <= 1e-10 + 1e-12
    # PI's policy is one-hot and optimal; VI's greedy policy is 2 tol-optimal.
    assert set(np.unique(pi_pi)) <= {0.0, 1.0} and (pi_pi.sum(axis=1) == 1.0).all()
    assert np.abs(pgbook.value(mdp, pi_pi) - V_star).max() <= 1e-9
    assert (V_star - pgbook.value(mdp, pi_vi)).max() <= 2e-10 + 1e-12


@pytest.mark.parametrize("S", [50, 200])
def test_value_iteration_span_stop_is_sup_norm_accurate_at_gamma_099(S):
    mdp = envs.random_mdp(S, 4, seed=S, gamma=0.99)
    _, V_star = pgbook.policy_iteration(mdp)
    tol = 1e-8
    pi, V, backups = _value_iteration(mdp, tol, None)
    assert np.abs(V - V_star).max() <= tol
    assert (V_star - pgbook.value(mdp, pi)).max() <= 2 * tol
    # The sup-norm rule ||V_{k+1} - V_k|| <= tol (1 - gamma)/(2 gamma) needs ~ log(...)/log(gamma) backups.
    assert backups < 100


def test_value_iteration_correction_is_exact_on_a_shifted_start():
    """From V0 = V* + c the first backup gives V* + gamma c: Delta = (gamma - 1) c is constant, the span
    is 0, and the MacQueen-Porteus midpoint returns V* itself, where the uncorrected V_1 is gamma c off."""
    mdp = envs.random_mdp(20, 4, seed=5, gamma=0.99)
    _, V_star = pgbook.policy_iteration(mdp)
    _, V, backups = _value_iteration(mdp, 1e-8, V_star + 5.0)
    assert backups == 1
    assert np.abs(V - V_star).max() <= 1e-9


def test_value_iteration_backups_on_a_bandit_against_the_sup_norm_rule():
    """One state, reward 1: V_k = (1 - gamma^k)/(1 - gamma) and Delta_k = gamma^k, so the sup-norm rule
    ||Delta_k|| <= tol (1 - gamma)/(2 gamma) needs k >= log(tol (1 - gamma)/(2 gamma))/log(gamma) backups
    (2748 at gamma = 0.99, tol = 1e-8), while the span rule stops after the first with V* exact."""
    bandit = envs.bandit([1.0], gamma=0.99)
    tol = 1e-8
    _, V, backups = _value_iteration(bandit, tol, None)
    assert backups == 1 and V[0] == pytest.approx(1 / (1 - 0.99), rel=1e-14)


def test_a1_value_iteration_equals_policy_iteration():
    """Puterman 1994, sections 6.3-6.4: random 5 x 3 MDP, gamma = 0.9, VI (tol 1e-13) vs PI within 1e-10."""
    mdp = envs.random_mdp(5, 3, seed=0, gamma=0.9)
    _, V_vi = pgbook.value_iteration(mdp, tol=1e-13)
    _, V_pi = pgbook.policy_iteration(mdp)
    assert np.abs(V_vi - V_pi).max() <= 1e-10
    assert bellman_residual(mdp, V_pi) <= 1e-12


def test_value_iteration_from_a_start_guess_and_gamma_zero():
    mdp = envs.random_mdp(6, 3, seed=4, gamma=0.9)
    _, V_star = pgbook.policy_iteration(mdp)
    _, V = pgbook.value_iteration(mdp, tol=1e-9, V0=V_star + 3.0)
    assert np.abs(V - V_star).max() <= 1e-9
    bandit = envs.bandit([0.2, 0.7, 0.1])
    pi, V = pgbook.value_iteration(bandit)
    assert V.tolist() == [0.7] and pi.tolist() == [[0.0, 1.0, 0.0]]


@pytest.mark.parametrize("gamma", [0.9, 0.99])
def test_policy_iteration_on_the_gridworld(gamma):
    grid = envs.gridworld(gamma=gamma)
    pi, V = pgbook.policy_iteration(grid)
    assert bellman_residual(grid, V) <= 1e-12
    assert np.abs(pgbook.value(grid, pi) - V).max() <= 1e-12
    _, V_vi = pgbook.value_iteration(grid, tol=1e-10)
    assert np.abs(V_vi - V).max() <= 1e-10
    # Terminal states are worth nothing; moving right, the cell left of the goal enters it with
    # probability 1 - slip = 0.9 at once, so its value lies in [0.9, 1].
    assert np.abs(V[grid.terminal]).max() <= 1e-15
    left_of_goal = grid.cells.index((0, 3))
    assert 0.9 <= V[left_of_goal] <= 1.0


def test_policy_iteration_episodic_gridworld_with_ties():
    """gamma = 1, no slip: every action that eventually reaches the goal ties at value 1, and so does
    bumping into a wall; the tie-break on steps to termination keeps every iterate terminating."""
    grid = envs.gridworld(gamma=1.0, slip=0.0)
    run = pgbook.algorithms.policy_iteration_run(grid)
    pi, V = pgbook.policy_iteration(grid)
    goal = [s for s, (i, j) in enumerate(grid.cells) if grid.layout[i][j] == "G"][0]
    assert V[goal] == 0.0
    assert np.allclose(V[~grid.terminal], 1.0, atol=1e-12, rtol=0)
    assert np.abs(pgbook.value(grid, pi) - V).max() <= 1e-12
    assert run.iterations >= 1 and np.all(np.diff(run.V, axis=0) >= -1e-12)


def test_policy_iteration_short_corridor_closed_form():
    """Sutton and Barto's corridor (gamma = 1, reward -1): right, left (reversed), right: V = (-3, -2, -1)."""
    corridor = envs.short_corridor()
    pi, V = pgbook.policy_iteration(corridor)
    assert np.allclose(V, [-3.0, -2.0, -1.0, 0.0], atol=1e-12, rtol=0)
    assert pi[:3].argmax(axis=1).tolist() == [0, 1, 0]


def test_policy_iteration_keeps_the_current_action_on_round_off_ties():
    base = envs.random_mdp(4, 2, seed=9, gamma=0.9)
    # Action 2 copies action 1 with a reward 1e-14 higher: a tie at round-off level.
    P = np.concatenate([base.P, base.P[:, 1:2]], axis=1)
    r = np.concatenate([base.r, base.r[:, 1:2] + 1e-14], axis=1)
    mdp = MDP(P, r, 0.9)
    pi_star, V_star = pgbook.policy_iteration(mdp)
    start = pi_star.copy()
    moved = start[:, 2] == 1.0
    start[moved, 2], start[moved, 1] = 0.0, 1.0
    run = pgbook.algorithms.policy_iteration_run(mdp, pi0=start)
    pi, V = pgbook.policy_iteration(mdp, pi0=start)
    assert np.abs(V - V_star).max() <= 1e-12
    ties = np.isclose(pi_star[:, 1] + pi_star[:, 2], 1.0)
    assert (pi[ties] == start[ties]).all() and run.iterations == 0


def test_policy_iteration_run_counts_iterations_and_values_increase():
    mdp = envs.random_mdp(30, 5, seed=2, gamma=0.95, branching=2)
    run = pgbook.algorithms.policy_iteration_run(mdp, rho=0)
    pi, V = pgbook.policy_iteration(mdp)
    assert np.array_equal(run.pi[-1], pi) and np.allclose(run.V[-1], V, atol=1e-12, rtol=0)
    assert run.iterations >= 2 and run.steps.tolist() == list(range(run.iterations + 1))
    assert np.all(np.diff(run.V, axis=0) >= -1e-12)
    assert np.allclose(run.V_rho, run.V[:, 0], atol=0, rtol=0)
    for k in range(1, run.iterations + 1):
        assert np.allclose(pgbook.value(mdp, run.pi[k]), run.V[k], atol=1e-12, rtol=0)
        Q_prev = pgbook.q_value(mdp, run.pi[k - 1])
        assert (Q_prev[run.pi[k] == 1.0] >= Q_prev.max(axis=1) - 1e-9).all()


def test_episodic_errors():
    # State 0: action 0 loops forever with reward 1, action 1 ends the episode.
    P = np.zeros((2, 2, 2))
    P[0, 0, 0] = P[0, 1, 1] = P[1, :, 1] = 1.0
    r = np.array([[1.0, 0.0], [0.0, 0.0]])
    loop = MDP(P, r, 1.0, terminal=[1])
    with pytest.raises(ValueError, match="mdp: policy iteration reached a policy that never terminates"):
        pgbook.policy_iteration(loop, pi0=np.array([[0.0, 1.0], [1.0, 0.0]]))
    with pytest.raises(ValueError, match="pi0: with gamma = 1 the policy must reach a terminal state"):
        pgbook.policy_iteration(loop, pi0=np.array([[1.0, 0.0], [1.0, 0.0]]))
    with pytest.raises(ValueError, match="mdp: gamma must be < 1 for value_iteration"):
        pgbook.value_iteration(loop)


@pytest.mark.parametrize(
    "fn, kwargs, exc, match",
    [
        (pgbook.value_iteration, {"mdp": "grid"}, TypeError, "mdp: expected a pgbook.MDP"),
        (pgbook.value_iteration, {"tol": 0.0}, ValueError, "tol: must be a finite number > 0"),
        (pgbook.value_iteration, {"tol": float("nan")}, ValueError, "tol: must be a finite number > 0"),
        (pgbook.value_iteration, {"tol": "1e-8"}, TypeError, "tol: expected a real number"),
        (pgbook.value_iteration, {"V0": np.zeros(3)}, ValueError, r"V0: expected shape \(4,?\)"),
        (pgbook.value_iteration, {"V0": [np.inf] * 4}, ValueError, "V0: contains NaN or infinite"),
        (pgbook.value_iteration, {"tol": 1e-300}, ValueError, "tol: 1e-300 is below the float64 round-off"),
        (pgbook.policy_iteration, {"mdp": None}, TypeError, "mdp: expected a pgbook.MDP"),
        (pgbook.policy_iteration, {"pi0": np.ones((4, 3))}, ValueError, r"pi0: expected shape \(4, 2\)"),
        (pgbook.policy_iteration, {"pi0": np.full((4, 2), 0.6)}, ValueError, "pi0: each row must sum to 1"),
        (pgbook.policy_iteration, {"pi0": [[1.5, -0.5]] * 4}, ValueError, "pi0: negative probability"),
    ],
)
def test_bad_inputs(fn, kwargs, exc, match):
    kwargs = {"mdp": envs.random_mdp(4, 2, seed=0), **kwargs}
    with pytest.raises(exc, match=match):
        fn(**kwargs)


@settings(max_examples=15, deadline=None)
@given(mdp=mdps(max_S=5, max_A=3), data=st.data())
def test_policy_iteration_from_any_start_reaches_the_same_values(mdp, data):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    pi0 = rng.dirichlet(np.ones(mdp.A), size=mdp.S)
    _, V1 = pgbook.policy_iteration(mdp)
    _, V2 = pgbook.policy_iteration(mdp, pi0=pi0)
    assert np.abs(V1 - V2).max() <= 1e-9
