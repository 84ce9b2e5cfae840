r"""State-action features :math:`\phi(s, a) \in \mathbb R^{\mathrm{dim}}` for log-linear and neural policies.

A policy class :math:`\pi_\theta(a|s) \propto \exp(f_\theta(s, a))` sees the MDP only through its
features: ``phi: (S, A, dim)``. Every feature builder of the book is here:

- :func:`one_hot`: :math:`\phi(s, a) = e_{(s, a)}`, with which the log-linear class *is* the softmax
  (tabular) class, ``dim = S * A``;
- :func:`position_move`: the cell's position and the action's direction on a gridworld, ``dim = 4``
  whatever the size of the grid;
- :func:`action_position`: each action's own affine score in the cell's row and column on a
  gridworld, ``dim = 3 A``;
- :func:`walk_features`: tabular, position or blind features for :func:`pgbook.envs.walk`;
- :func:`short_corridor_features`: the shared features of :func:`pgbook.envs.short_corridor`.
"""

from __future__ import annotations

import numpy as np

from .mdp import MDP, require_mdp
from .envs import GRID_ACTIONS, GRID_MOVES, GridMDP


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

    Source: the book's gridworld features (Visitation chapter); the log-linear class over them is AKLM section 6.1.1's.

    .. math:: \phi(s, a) = \big(y(s),\ x(s),\ \Delta y(a),\ \Delta x(a)\big),

    with the cell's row :math:`y` and column :math:`x` scaled to :math:`[-1, 1]` and the action's
    intended unit move (:data:`pgbook.envs.GRID_MOVES`). A log-linear policy over these features cannot use the position
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
    move = np.array([GRID_MOVES[name] for name in GRID_ACTIONS], dtype=float)
    phi = np.empty((grid.S, grid.A, 4))
    phi[:, :, :2] = position[:, None, :]
    phi[:, :, 2:] = move[None, :, :]
    return phi


def action_position(grid: GridMDP) -> np.ndarray:
    r"""Gridworld features that give each action its own affine score in the cell's position.

    Source: the book's gridworld features (Visitation chapter); the log-linear class over them is AKLM section 6.1.1's.

    .. math:: \phi(s, a) = e_a \otimes \big(1,\ y(s),\ x(s)\big) \in \mathbb R^{3|\mathcal A|},

    with the cell's row :math:`y` and column :math:`x` scaled to :math:`[-1, 1]` as in
    :func:`position_move`. A log-linear policy over them has

    .. math:: \log \pi_\theta(a|s) - \log \pi_\theta(b|s) = (\theta_a - \theta_b)^\top (1, y, x):

    the log-odds of two actions are affine in the position, so the policy differs from cell to cell, and
    the cells where one action is the most likely are those whose centres lie in one convex polygon.

    Parameters
    ----------
    grid : GridMDP
        A gridworld (:func:`pgbook.envs.gridworld`).

    Returns
    -------
    phi : ndarray, shape (S, A, 3 A)
        ``phi[s, a, 3 a: 3 a + 3] = (1, y, x)``, zero elsewhere.

    Examples
    --------
    >>> import pgbook
    >>> from pgbook import features
    >>> grid = pgbook.envs.gridworld()  # 5 x 5, state 0 in the top left corner, (y, x) = (-1, -1)
    >>> phi = features.action_position(grid)
    >>> phi.shape
    (21, 4, 12)
    >>> print(phi[0, 2])  # the action right (index 2): its block holds (1, y, x)
    [ 0.  0.  0.  0.  0.  0.  1. -1. -1.  0.  0.  0.]
    """
    position = position_move(grid)[:, 0, :2]  # position_move checks that grid is a gridworld
    state = np.column_stack([np.ones(grid.S), position])  # (S, 3): (1, y, x)
    return np.einsum("ab,sk->sabk", np.eye(grid.A), state).reshape(grid.S, grid.A, 3 * grid.A)


#: The kinds of features :func:`walk_features` builds.
WALK_FEATURES = ("tabular", "position", "blind")


def walk_features(mdp: MDP, kind: str) -> np.ndarray:
    r"""Features for :func:`pgbook.envs.walk`: ``phi: (S, 2, dim)``, zero at the terminal goal.

    - ``"tabular"``: :math:`\phi(s, a) = e_{(s, a)}` over the non-terminal pairs,
      ``dim = 2 (S - 1)`` (the softmax class);
    - ``"position"``: :math:`\phi(s, a) = e_a \otimes (1, x(s))`, with :math:`x(s)` the cell scaled to
      [-1, 1], ``dim = 4``: :math:`\pi(\text{right}|s) = \sigma(\alpha + \beta x(s))`;
    - ``"blind"``: :math:`\phi(s, a) = e_a`, ``dim = 2``: one action distribution in every cell.

    At a terminal state no decision is made (every action's advantage is 0 there, for every policy),
    so its features are 0: the policy there stays uniform, the fits of Q-NPG see its zero action
    values exactly, and the feature covariances of AKLM section 6 (:func:`pgbook.theory.approximation.relative_condition_number`)
    measure only the cells where the agent decides. Features at the goal would let its share of
    the comparator's visitation, about 0.69 on the book's walk, dominate :math:`\kappa` and
    :math:`\epsilon_{\mathrm{bias}}`.

    Parameters
    ----------
    mdp : MDP
        With ``A = 2``.
    kind : {"tabular", "position", "blind"}

    Returns
    -------
    phi : ndarray, shape (S, 2, dim)

    Examples
    --------
    >>> from pgbook import envs, features
    >>> phi = features.walk_features(envs.walk(), "position")
    >>> phi.shape, phi[0, 1].tolist(), phi[3].tolist()
    ((7, 2, 4), [0.0, 0.0, 1.0, -1.0], [[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
    """
    require_mdp(mdp)
    if mdp.A != 2:
        raise ValueError(f"mdp: walk features need A = 2 actions, got {mdp.A}")
    if kind not in WALK_FEATURES:
        raise ValueError(f"kind: expected one of {WALK_FEATURES}, got {kind!r}")
    S, live = mdp.S, ~mdp.terminal
    if kind == "tabular":
        phi = np.eye(2 * S).reshape(S, 2, 2 * S)[:, :, np.repeat(live, 2)]
    elif kind == "blind":
        phi = np.broadcast_to(np.eye(2), (S, 2, 2)).copy()
    else:
        x = np.linspace(-1.0, 1.0, S)
        state = np.stack([np.ones(S), x], axis=1)
        phi = np.einsum("ab,si->sabi", np.eye(2), state).reshape(S, 2, 4)
    phi[~live] = 0.0
    return phi


def short_corridor_features() -> np.ndarray:
    r"""The corridor's features: :math:`x(s, \text{right}) = (1, 0)`, :math:`x(s, \text{left}) = (0, 1)` in every state.

    The states look alike, so the log-linear policy
    :math:`\pi_\theta(\text{right}|s) = \sigma(\theta_1 - \theta_2) = p` is the same in every state
    (Sutton and Barto 2018, Example 13.1).

    Returns
    -------
    phi : array (4, 2, 2)

    Examples
    --------
    >>> import pgbook
    >>> from pgbook import features
    >>> phi = features.short_corridor_features()
    >>> print(phi[0], phi.shape)
    [[1. 0.]
     [0. 1.]] (4, 2, 2)
    >>> print(pgbook.loglinear([1.0, 0.0], phi)[:, 0].round(4))  # the same Pr(right) = sigma(1) in every state
    [0.7311 0.7311 0.7311 0.7311]
    """
    return np.broadcast_to(np.eye(2), (4, 2, 2)).copy()
