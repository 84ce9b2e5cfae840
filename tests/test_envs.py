"""The book's MDPs (pgbook.envs): their structure, and properties checked by an independent route."""

import numpy as np
import pytest
from conftest import central_difference

from pgbook import envs, exact, features, gradients, loglinear, softmax


@pytest.mark.parametrize("H", [1, 2, 5, 30])
def test_chain_structure(H):
    mdp = envs.chain(H)
    assert (mdp.S, mdp.A) == (H + 2, 4)
    assert mdp.gamma == H / (H + 1)
    assert mdp.rho[0] == 1.0 and mdp.rho.sum() == 1.0
    nxt = mdp.P.argmax(axis=2)
    assert (mdp.P.max(axis=2) == 1.0).all(), "deterministic"
    assert (nxt[0] == 1).all()
    for i in range(1, H + 1):
        assert nxt[i, 0] == i + 1 and (nxt[i, 1:] == i - 1).all()
    assert (nxt[H + 1] == H + 1).all()
    expected_r = np.zeros((H + 2, 4))
    expected_r[H + 1, 0] = 1.0
    assert np.array_equal(mdp.r, expected_r)


def test_chain_refuses_long_horizons():
    with pytest.raises(ValueError, match=r"H: chain\(31\) .*pgbook\.highprec\.chain_exact"):
        envs.chain(31)


def test_chain_policy():
    theta = np.array([[0.1, 0.2, 0.3], [0.25, 0.25, 0.25]])
    pi = envs.chain_policy(theta)
    assert np.allclose(pi, [[1, 0, 0, 0], [0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.25, 0.25], [1, 0, 0, 0]])


def test_chain_direct_gradient_by_the_chain_rule():
    """dV/dtheta_{s,a_j} = g(s, a_j) - g(s, a_4) with g the direct gradient (the a_4 entry is 1 - sum)."""
    H = 3
    mdp = envs.chain(H)
    theta = np.random.default_rng(0).dirichlet(np.ones(4), size=H)[:, :3]
    g = gradients.direct_gradient(mdp, envs.chain_policy(theta))
    by_chain_rule = g[1:-1, :3] - g[1:-1, 3:]
    fd = central_difference(lambda t: exact.value(mdp, envs.chain_policy(t))[0], theta)
    assert np.abs(by_chain_rule - fd).max() < 1e-9
    # Only a_1 moves forward, so only theta_{s, a_1} matters (AKLM Proposition 4.1).
    assert np.abs(by_chain_rule[:, 1:]).max() < 1e-15


def test_short_corridor_structure():
    mdp = envs.short_corridor()
    right, left = envs.CORRIDOR_ACTIONS.index("right"), envs.CORRIDOR_ACTIONS.index("left")
    moves = {(0, right): 1, (0, left): 0, (1, right): 0, (1, left): 2, (2, right): 3, (2, left): 1}
    for (s, a), t in moves.items():
        assert mdp.P[s, a, t] == 1.0
    assert mdp.gamma == 1.0 and mdp.terminal.tolist() == [False, False, False, True]
    assert np.array_equal(mdp.r[:3], -np.ones((3, 2))) and np.array_equal(mdp.r[3], [0.0, 0.0])
    assert np.array_equal(mdp.rho, [1.0, 0.0, 0.0, 0.0])


def test_corridor_features_give_one_probability_for_all_states():
    phi = features.short_corridor_features()
    assert phi.shape == (4, 2, 2)
    pi = loglinear([0.7, -0.2], phi)
    p = 1 / (1 + np.exp(-0.9))
    assert np.allclose(pi, [[p, 1 - p]] * 4, rtol=1e-15)


def test_two_state_line_theorem():
    """Dadashi et al.'s line theorem: mixing two policies that differ in one state moves the value
    along the segment between their values (an independent check that the values are sane)."""
    mdp = envs.two_state()
    assert (mdp.S, mdp.A, mdp.gamma) == (2, 2, 0.9)
    pi1 = np.array([[0.2, 0.8], [0.6, 0.4]])
    pi2 = np.array([[0.9, 0.1], [0.6, 0.4]])
    V1, V2 = exact.value(mdp, pi1), exact.value(mdp, pi2)
    for alpha in np.linspace(0, 1, 11):
        V = exact.value(mdp, alpha * pi1 + (1 - alpha) * pi2)
        cross = (V - V2)[0] * (V1 - V2)[1] - (V - V2)[1] * (V1 - V2)[0]
        assert abs(cross) < 1e-12
        assert np.all((V - np.minimum(V1, V2) >= -1e-12) & (np.maximum(V1, V2) - V >= -1e-12))


def test_two_state_values_by_hand():
    """Always a_2: both states move to s_1 w.p. 0.99; V = (I - gamma P)^{-1} r solved by hand for 2x2."""
    mdp = envs.two_state(gamma=0.5)
    pi = np.array([[0.0, 1.0], [0.0, 1.0]])
    P = np.array([[0.99, 0.01], [0.99, 0.01]])
    r = np.array([-0.1, 0.5])
    M = np.eye(2) - 0.5 * P
    det = M[0, 0] * M[1, 1] - M[0, 1] * M[1, 0]
    V = np.array([M[1, 1] * r[0] - M[0, 1] * r[1], -M[1, 0] * r[0] + M[0, 0] * r[1]]) / det
    assert np.allclose(exact.value(mdp, pi), V, rtol=1e-14)


def test_three_state_values_by_hand():
    """Right everywhere: V(2) = 1 / (1 - gamma), then V(1) = gamma (0.2 V(1) + 0.8 V(2)) and
    V(0) = gamma (0.2 V(0) + 0.8 V(1)), solved for each by hand; left everywhere earns 0.1 in 0 only."""
    mdp = envs.three_state(gamma=0.9)
    V2 = 1 / 0.1
    V1 = 0.9 * 0.8 * V2 / (1 - 0.9 * 0.2)
    V0 = 0.9 * 0.8 * V1 / (1 - 0.9 * 0.2)
    assert np.allclose(exact.value(mdp, [[0.0, 1.0]] * 3), [V0, V1, V2], rtol=1e-14)
    assert np.allclose(exact.value(mdp, [[1.0, 0.0]] * 3), [1.0, 0.9, 0.81], rtol=1e-14)
    assert np.array_equal(mdp.rho, [0.5, 0.3, 0.2]) and mdp.gamma == 0.9


def test_random_mdp_is_reproducible_and_sparse_when_asked():
    a, b = envs.random_mdp(5, 3, seed=7, branching=2), envs.random_mdp(5, 3, seed=7, branching=2)
    assert np.array_equal(a.P, b.P) and np.array_equal(a.r, b.r)
    assert ((a.P > 0).sum(axis=2) == 2).all()
    assert not np.array_equal(a.P, envs.random_mdp(5, 3, seed=8, branching=2).P)
    assert (0 <= a.r).all() and (a.r <= 1).all()


def test_bandit_values():
    mdp = envs.bandit([1.0, 0.9, 0.1])
    pi = softmax(np.array([[0.3, -0.2, 1.0]]))
    assert exact.value(mdp, pi)[0] == pytest.approx(pi[0] @ [1.0, 0.9, 0.1], abs=1e-15)
    discounted = envs.bandit([1.0, 0.9, 0.1], gamma=0.75)
    assert exact.value(discounted, pi)[0] == pytest.approx(pi[0] @ [1.0, 0.9, 0.1] / 0.25, abs=1e-14)


def test_gridworld_layout():
    mdp = envs.gridworld()
    layout = envs.DEFAULT_LAYOUT
    assert mdp.S == sum(c != "#" for row in layout for c in row)
    goal = [s for s, (i, j) in enumerate(mdp.cells) if layout[i][j] == "G"]
    assert mdp.terminal[goal].all()
    # Next to the goal (left of it), moving right without slip earns reward 1 - slip.
    left_of_goal = mdp.cells.index((0, 3))
    assert mdp.r[left_of_goal, envs.GRID_ACTIONS.index("right")] == pytest.approx(0.9)


@pytest.mark.parametrize("alpha", [0.01, 0.2, 0.5])
def test_trpo_tight_instance_structure(alpha):
    mdp, old, new = envs.trpo_tight_instance(alpha, gamma=0.8, epsilon=0.3)
    assert (mdp.S, mdp.A, mdp.gamma) == (3, 3, 0.8) and mdp.rho.tolist() == [1.0, 0.0, 0.0]
    assert (mdp.r >= 0).all() and (mdp.r <= 1).all()
    assert np.allclose(old.sum(axis=1), 1) and np.allclose(new.sum(axis=1), 1) and (new >= 0).all()
    assert np.allclose(0.5 * np.abs(new - old).sum(axis=1), alpha)
    adv = exact.advantage(mdp, old)
    assert np.abs(adv).max() == pytest.approx(0.3) and np.allclose(adv[0], 0)


def test_cpi_tight_instance_values_by_hand():
    mdp, pi0 = envs.cpi_tight_instance(0.75)
    assert np.allclose(exact.value(mdp, pi0), [0.0, 4.0])
    assert np.allclose(exact.advantage(mdp, pi0)[0], [0.0, 4.0])  # 1 + gamma * 4 - 0


@pytest.mark.parametrize("call, message", [
    (lambda: envs.trpo_tight_instance(0.6), "alpha"),
    (lambda: envs.trpo_tight_instance(0.0), "alpha"),
    (lambda: envs.trpo_tight_instance(0.1, gamma=0.0), "gamma"),
    (lambda: envs.trpo_tight_instance(0.1, epsilon=0.6), "epsilon"),
    (lambda: envs.cpi_tight_instance(0.0), "gamma"),
    (lambda: envs.cpi_tight_instance(1.0), "gamma"),
])
def test_tight_instances_refuse_bad_input(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()
