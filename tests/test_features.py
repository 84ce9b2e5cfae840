"""State-action features (pgbook.features): the tabular one-hot features and the gridworld's
position-and-direction and per-action position features."""

import numpy as np
import pytest

import pgbook
from pgbook import envs, features


def test_one_hot_makes_log_linear_the_softmax_class():
    mdp = envs.random_mdp(5, 3, seed=2)
    phi = features.one_hot(mdp)
    assert phi.shape == (5, 3, 15)
    theta = np.random.default_rng(0).standard_normal((5, 3))
    assert np.allclose(pgbook.loglinear(theta.ravel(), phi), pgbook.softmax(theta), rtol=0, atol=1e-15)
    assert np.allclose(pgbook.loglinear_gradient(mdp, theta.ravel(), phi),
                       pgbook.softmax_gradient(mdp, theta).ravel(), rtol=0, atol=1e-14)


def test_position_move_on_the_gridworld():
    grid = envs.gridworld()
    phi = features.position_move(grid)
    assert phi.shape == (grid.S, grid.A, 4)
    assert phi[..., :2].min() == -1.0 and phi[..., :2].max() == 1.0
    # The intended move is where the action goes with probability 1 - slip from an open cell.
    centre = grid.cells.index((4, 2))  # bottom row, middle: left, right and up are open
    for a, name in enumerate(envs.GRID_ACTIONS):
        dy, dx = phi[centre, a, 2:].astype(int)
        target = (4 + dy, 2 + dx)
        if target in grid.cells:
            assert grid.P[centre, a, grid.cells.index(target)] == pytest.approx(0.9)
    # The position does not depend on the action.
    assert np.all(phi[:, :1, :2] == phi[:, :, :2])


def test_position_features_cancel_in_a_log_linear_policy():
    grid = envs.gridworld()
    phi = features.position_move(grid)
    theta = np.array([3.0, -2.0, 0.5, 1.5])
    assert np.allclose(pgbook.loglinear(theta, phi), pgbook.loglinear(theta * [0, 0, 1, 1], phi),
                       rtol=0, atol=1e-15)


def test_action_position_gives_each_action_its_affine_score():
    """phi(s, a) = e_a (x) (1, y, x): theta . phi(s, a) = theta_a . (1, y, x), so log-odds are affine
    in the position and the policy differs across cells (unlike over position_move)."""
    grid = envs.gridworld()
    phi = features.action_position(grid)
    assert phi.shape == (grid.S, grid.A, 3 * grid.A)
    position = features.position_move(grid)[:, 0, :2]
    theta = np.random.default_rng(1).standard_normal((grid.A, 3))
    scores = np.column_stack([np.ones(grid.S), position]) @ theta.T  # (S, A)
    assert np.allclose(phi @ theta.ravel(), scores, rtol=0, atol=1e-14)
    pi = pgbook.loglinear(theta.ravel(), phi)
    assert np.abs(pi - pi[0]).max() > 0.1


def test_bad_input():
    with pytest.raises(TypeError, match="grid"):
        features.position_move(envs.random_mdp(3, 2, seed=0))
    with pytest.raises(TypeError, match="grid"):
        features.action_position(envs.random_mdp(3, 2, seed=0))
    with pytest.raises(TypeError, match="mdp"):
        features.one_hot(np.zeros((2, 2, 2)))
