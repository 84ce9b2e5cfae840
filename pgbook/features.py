r"""State-action features :math:`\phi(s, a) \in \mathbb R^{\mathrm{dim}}` for log-linear and neural policies.

A policy class :math:`\pi_\theta(a|s) \propto \exp(f_\theta(s, a))` sees the MDP only through its
features: ``phi: (S, A, dim)``. Two kinds are here:

- :func:`one_hot`: :math:`\phi(s, a) = e_{(s, a)}`, with which the log-linear class *is* the softmax
  (tabular) class, ``dim = S * A``;
- :func:`position_move`: the cell's position and the action's direction on a gridworld, ``dim = 4``
  whatever the size of the grid.
"""

from __future__ import annotations

import numpy as np

from .mdp import require_mdp
from .envs import GRID_ACTIONS, GridMDP

#: The intended move (rows down, columns right) of each gridworld action, in ``GRID_ACTIONS`` order.
MOVES = {"left": (0, -1), "down": (1, 0), "right": (0, 1), "up": (-1, 0)}


def one_hot(mdp) -> np.ndarray:
    r"""Tabular features :math:`\phi(s, a) = e_{(s, a)} \in \mathbb R^{SA}` (index ``s * A + a``).

    With them :math:`\theta^\top \phi(s, a) = \theta_{s, a}`: the log-linear policy is the softmax
    policy (AKLM section 6.1.1).

    Parameters
    ----------
    mdp : MDP

    Returns
    -------
    phi : ndarray, shape (S, A, S * A)

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> from pgbook import features
    >>> mdp = pgbook.envs.three_state()  # 3 states in a row, gamma = 0.9, rho = (0.5, 0.3, 0.2)
    >>> phi = features.one_hot(mdp)
    >>> phi.shape, phi[1, 0].tolist()  # e_(s, a) at index s * A + a = 2
    ((3, 2, 6), [0.0, 0.0, 1.0, 0.0, 0.0, 0.0])
    >>> theta = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.0]])
    >>> bool(np.allclose(pgbook.loglinear(theta.ravel(), phi), pgbook.softmax(theta)))  # log-linear = softmax
    True
    """
    require_mdp(mdp)
    return np.eye(mdp.S * mdp.A).reshape(mdp.S, mdp.A, mdp.S * mdp.A)


def position_move(grid: GridMDP) -> np.ndarray:
    r"""Gridworld features: where the agent is and where the action points.

    .. math:: \phi(s, a) = \big(y(s),\ x(s),\ \Delta y(a),\ \Delta x(a)\big),

    with the cell's row :math:`y` and column :math:`x` scaled to :math:`[-1, 1]` and the action's
    intended unit move (``MOVES``). A log-linear policy over these features cannot use the position
    (it adds the same amount to every action's score, which the softmax cancels), so it plays the same
    action distribution everywhere; a neural network can mix position and direction.

    Parameters
    ----------
    grid : GridMDP
        A gridworld (:func:`pgbook.envs.gridworld`).

    Returns
    -------
    phi : ndarray, shape (S, A, 4)
        ``phi[s, a] = (y, x, dy, dx)``.

    Examples
    --------
    >>> import pgbook
    >>> from pgbook import features
    >>> grid = pgbook.envs.gridworld()  # 5 x 5, state 0 in the top left corner, the last bottom right
    >>> phi = features.position_move(grid)
    >>> print(phi[0])  # (y, x) = (-1, -1); the moves left, down, right, up
    [[-1. -1.  0. -1.]
     [-1. -1.  1.  0.]
     [-1. -1.  0.  1.]
     [-1. -1. -1.  0.]]
    >>> print(phi[-1, 0], grid.cells[-1])  # the bottom right cell, (1, 1)
    [ 1.  1.  0. -1.] (4, 4)
    """
    if not isinstance(grid, GridMDP):
        raise TypeError(f"grid: expected a gridworld (pgbook.envs.gridworld), got {type(grid).__name__}")
    rows, cols = grid.shape
    cells = np.array(grid.cells, dtype=float)
    position = 2.0 * cells / np.maximum([rows - 1, cols - 1], 1) - 1.0
    move = np.array([MOVES[name] for name in GRID_ACTIONS], dtype=float)
    phi = np.empty((grid.S, grid.A, 4))
    phi[:, :, :2] = position[:, None, :]
    phi[:, :, 2:] = move[None, :, :]
    return phi
