"""The MDPs the book uses. Each function returns a :class:`pgbook.MDP` (or a subclass carrying the
layout needed to draw it), with its arguments checked (``TypeError``/``ValueError`` naming them)."""

from __future__ import annotations

from types import MappingProxyType

import numpy as np

from . import _validate as validate
from .mdp import MDP

#: Gridworld actions, in Gymnasium FrozenLake's order.
GRID_ACTIONS = ("left", "down", "right", "up")
#: The intended move (rows down, columns right) of each gridworld action: the grid's one table of moves.
GRID_MOVES = MappingProxyType({"left": (0, -1), "down": (1, 0), "right": (0, 1), "up": (-1, 0)})

#: A 5 x 5 gridworld: ``S`` start, ``G`` goal (reward 1 on arrival, then the episode ends),
#: ``X`` a pit (the episode ends with nothing), ``#`` a wall, ``.`` a free cell.
DEFAULT_LAYOUT = (
    "....G",
    ".##.X",
    "...#.",
    ".#...",
    "S....",
)


class GridMDP(MDP):
    """An MDP on a grid, as built by :func:`gridworld` (or loaded from a Gymnasium grid by
    :func:`pgbook.loaders.from_gymnasium`).

    Attributes
    ----------
    layout : tuple of str
        The map it came from, over ``. # S G X`` (a Gymnasium grid's holes and cliff drawn as ``X``).
    cells : tuple of (int, int)
        ``cells[s] = (row, col)`` of state ``s``.
    """

    __slots__ = ("layout", "cells")

    def __init__(self, P, r, gamma, rho, *, terminal, layout, cells):
        super().__init__(P, r, gamma, rho, terminal=terminal)
        object.__setattr__(self, "layout", tuple(layout))
        object.__setattr__(self, "cells", tuple(cells))

    @property
    def shape(self) -> tuple[int, int]:
        """``(rows, cols)`` of the grid."""
        return len(self.layout), len(self.layout[0])

    def grid(self, x, fill=np.nan) -> np.ndarray:
        """Arrange a per-state array on the grid.

        Parameters
        ----------
        x : array (S,)
        fill : float
            The value on walls.

        Returns
        -------
        array (rows, cols)
        """
        x = validate.array(x, "x", shape=(self.S,))
        out = np.full(self.shape, fill, dtype=float)
        for s, (i, j) in enumerate(self.cells):
            out[i, j] = x[s]
        return out


def gridworld(layout=DEFAULT_LAYOUT, gamma: float = 0.9, slip: float = 0.1, *, goal_reward: float = 1.0,
              pit_reward: float = 0.0, step_reward: float = 0.0) -> GridMDP:
    r"""A gridworld MDP built from a text map (Sutton and Barto 2018, Example 3.5; the action order of
    Gymnasium's FrozenLake).

    Each non-wall cell is a state, numbered row by row. Actions are ``GRID_ACTIONS``
    (left, down, right, up). The intended move happens with probability ``1 - slip``; otherwise the
    agent slips to one of the two perpendicular moves (``slip / 2`` each). Moving into a wall or off
    the grid leaves the agent in place. Entering ``G`` pays ``goal_reward``, entering ``X``
    ``pit_reward``, and every step from a non-terminal cell ``step_reward``:

    .. math:: r(s, a) = r_G \Pr(s' = G \mid s, a) + r_X \Pr(s' = X \mid s, a) + r_{\text{step}},

    which with the defaults is :math:`\Pr(s' = G \mid s, a)`; ``G`` and ``X`` are terminal (absorbing,
    reward 0). rho is uniform over the ``S`` cells (all free cells if there is none).

    Parameters
    ----------
    layout : sequence of str
        Equal-length rows over ``. # S G X`` (free, wall, start, goal, pit).
    gamma : float
        In [0, 1] (the goal and pit are terminal, so 1 is allowed).
    slip : float
        In [0, 1].
    goal_reward, pit_reward, step_reward : float
        The rewards for entering ``G``, for entering ``X``, and for every step (1, 0 and 0 by default:
        rewards in [0, 1], as the book's bounds assume).

    Returns
    -------
    GridMDP

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> from pgbook import envs
    >>> envs.gridworld()
    MDP(S=21, A=4, gamma=0.9, terminal=[4, 7])
    >>> grid = envs.gridworld(["S.G", "..X"], slip=0.2, pit_reward=-1.0, step_reward=-0.01)
    >>> print(grid.P[0, 1], grid.rho)  # down from S: on w.p. 0.8; the slips: left stays (a wall), right
    [0.1 0.1 0.  0.8 0.  0. ] [1. 0. 0. 0. 0. 0.]
    >>> print(grid.r[1])  # Pr(G) - Pr(X) - 0.01: right 0.8, down and up 0.1 (a slip), left none
    [-0.01  0.09  0.79  0.09]
    >>> print(np.round(grid.grid(pgbook.value(grid, pgbook.uniform(grid))), 4))  # V of the uniform policy, on the map
    [[ 0.0172  0.2245  0.    ]
     [-0.1381 -0.3104  0.    ]]
    """
    if isinstance(layout, str):
        raise TypeError("layout: expected a sequence of row strings, not one string")
    if not all(isinstance(row, str) for row in layout):
        raise TypeError("layout: expected a sequence of row strings")
    rows = list(layout)
    if not rows or len({len(row) for row in rows}) != 1 or not rows[0]:
        widths = [len(row) for row in rows]
        detail = f": row lengths {widths}" if rows else ": no rows"
        raise ValueError(f"layout: rows must be non-empty strings of equal length{detail}")
    bad = set("".join(rows)) - set(".#SGX")
    if bad:
        i, j = next((i, j) for i, row in enumerate(rows) for j, c in enumerate(row) if c in bad)
        raise ValueError(f"layout: unknown cell characters {sorted(bad)} (the first {rows[i][j]!r} in row {i}, "
                         f"column {j}); use . # S G X")
    gamma = validate.gamma(gamma, allow_one=True)
    slip = validate.probability(slip, "slip")
    rewards = {name: validate.real(x, name) for name, x in
               (("goal_reward", goal_reward), ("pit_reward", pit_reward), ("step_reward", step_reward))}
    cells = [(i, j) for i, row in enumerate(rows) for j, c in enumerate(row) if c != "#"]
    if not cells:
        raise ValueError("layout: has no free cells")
    index = {cell: s for s, cell in enumerate(cells)}
    S, A = len(cells), len(GRID_ACTIONS)
    kind = np.array([rows[i][j] for i, j in cells])
    terminal = np.isin(kind, ["G", "X"])
    P = np.zeros((S, A, S))
    for s, (i, j) in enumerate(cells):
        if terminal[s]:
            P[s, :, s] = 1.0
            continue
        for a in range(A):
            for move, p in ((a, 1.0 - slip), ((a + 1) % 4, slip / 2), ((a + 3) % 4, slip / 2)):
                di, dj = GRID_MOVES[GRID_ACTIONS[move]]
                P[s, a, index.get((i + di, j + dj), s)] += p
    r = (rewards["goal_reward"] * P[:, :, kind == "G"].sum(axis=2)
         + rewards["pit_reward"] * P[:, :, kind == "X"].sum(axis=2) + rewards["step_reward"])
    r[terminal] = 0.0
    starts = kind == "S"
    rho = (starts if starts.any() else np.ones(S)) / max(starts.sum(), 1 if starts.any() else S)
    return GridMDP(P, r, gamma, rho, terminal=terminal, layout=rows, cells=cells)


def random_mdp(S: int, A: int, seed: int, gamma: float = 0.9, *, random_rho: bool = False,
               branching: int | None = None) -> MDP:
    r"""A random dense (or sparse) MDP with rewards in [0, 1].

    Source: no paper; the generic random MDP of the tests and the chapters' examples (uniform
    weights, normalised).

    :math:`P(\cdot|s, a)` is a normalised vector of :math:`U(0, 1)` draws (on ``branching`` random
    next states if given, else on all S), :math:`r(s, a) \sim U[0, 1]`. The same seed gives the
    same MDP.

    Parameters
    ----------
    S, A : int
        The numbers of states and actions, >= 1.
    seed : int
    gamma : float
        In [0, 1).
    random_rho : bool
        The start distribution :math:`\rho`: uniform (False), or a normalised :math:`U(0, 1)` vector
        drawn from the seed (True).
    branching : int, optional
        The number of possible next states of each (s, a), 1..S; all S by default.

    Returns
    -------
    MDP

    Examples
    --------
    >>> import numpy as np
    >>> from pgbook import envs
    >>> envs.random_mdp(5, 3, seed=0)
    MDP(S=5, A=3, gamma=0.9)
    >>> mdp = envs.random_mdp(3, 2, seed=0, gamma=0.5, random_rho=True, branching=1)  # deterministic moves
    >>> print(np.round(mdp.rho, 4), (mdp.P > 0).sum(axis=2).ravel(), mdp.gamma)
    [0.4489 0.2553 0.2958] [1 1 1 1 1 1] 0.5
    >>> print(np.round(mdp.r, 4))  # U[0, 1]
    [[0.4858 0.8895]
     [0.934  0.3578]
     [0.5715 0.3219]]
    """
    S = validate.positive_int(S, "S")
    A = validate.positive_int(A, "A")
    seed = validate.seed(seed)
    if not isinstance(random_rho, (bool, np.bool_)):
        raise TypeError(f"random_rho: expected True or False, got {random_rho!r}")
    rng = np.random.default_rng(seed)
    W = rng.random((S, A, S))
    if branching is not None:
        branching = validate.positive_int(branching, "branching")
        if branching > S:
            raise ValueError(f"branching: must be at most S = {S}, got {branching}")
        keep = rng.random((S, A, S)).argsort(axis=2)[:, :, :branching]
        mask = np.zeros((S, A, S), dtype=bool)
        np.put_along_axis(mask, keep, True, axis=2)
        W = np.where(mask, W + 1e-3, 0.0)
    P = W / W.sum(axis=2, keepdims=True)
    r = rng.random((S, A))
    rho = rng.random(S) if random_rho else None
    return MDP(P, r, gamma, None if rho is None else rho / rho.sum())


def bandit(rewards, gamma: float = 0.0) -> MDP:
    r"""A multi-armed bandit as a one-state MDP: :math:`S = 1`, :math:`r(0, a) = ` ``rewards[a]``.

    With the default ``gamma = 0``, :math:`V^\pi = \pi^\top r` (the one-state case of Mei, Xiao,
    Szepesvari and Schuurmans 2020, section 2).

    Parameters
    ----------
    rewards : array (A,)
    gamma : float
        In [0, 1).

    Returns
    -------
    MDP

    Examples
    --------
    >>> import pgbook
    >>> bandit = pgbook.envs.bandit([1.0, 0.9, 0.1])
    >>> bandit, pgbook.value(bandit, pgbook.uniform(bandit))  # pi @ r
    (MDP(S=1, A=3, gamma=0), array([0.66666667]))
    >>> pgbook.value(pgbook.envs.bandit([1.0, 0.9, 0.1], gamma=0.5), [[0.5, 0.5, 0.0]])  # pi @ r / (1 - gamma)
    array([1.9])
    """
    rewards = validate.array(rewards, "rewards", ndim=1)
    if rewards.size == 0:
        raise ValueError("rewards: needs at least one arm")
    A = rewards.size
    return MDP(np.ones((1, A, 1)), rewards[None, :], gamma)


#: Beyond this H the chain's values fall below float64 round-off; :mod:`pgbook.highprec` takes over.
CHAIN_MAX_H = 30


def chain(H: int) -> MDP:
    r"""The chain MDP of Agarwal, Kakade, Lee and Mahajan (AKLM Fig. 2, Proposition 4.1; AJKS Prop. 12.1).

    States :math:`s_0, \dots, s_{H+1}` (indices 0..H+1), actions :math:`a_1, \dots, a_4` (indices
    0..3), deterministic: :math:`s_0` goes to :math:`s_1` under every action; from :math:`s_i`,
    :math:`1 \le i \le H`, :math:`a_1` moves to :math:`s_{i+1}` and :math:`a_2, a_3, a_4` back to
    :math:`s_{i-1}`; :math:`s_{H+1}` is absorbing. The only reward is :math:`r(s_{H+1}, a_1) = 1`;
    :math:`\gamma = H/(H+1)`, :math:`\rho = \delta_{s_0}`. Then
    :math:`V^\star(s_0) = \gamma^{H+1}/(1-\gamma)` (AKLM App. B.2 prints :math:`\gamma^{H+2}`, a typo).

    Parameters
    ----------
    H : int
        1..30.

    Returns
    -------
    MDP

    Notes
    -----
    Random policies reach :math:`s_{H+1}` with probability about :math:`3^{-H}`, so their
    values fall below :math:`10^{-13}` while :math:`V^\star \approx H` and a textbook float64 solve
    (``np.linalg.solve(I - gamma P_pi, r_pi)``) is already 7% off at H = 30 and noise beyond.
    pgbook's own solver keeps full relative accuracy there (it factors the column diagonally
    dominant :math:`(I - \gamma P_\pi)^\top`, which needs no pivoting), but anything else
    computed on the chain might not: for H > 30 use :func:`pgbook.highprec.chain_exact`.

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> from pgbook import envs
    >>> mdp = envs.chain(5)
    >>> mdp, mdp.rho.tolist()
    (MDP(S=7, A=4, gamma=0.833333), [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    >>> print(mdp.P.argmax(axis=2)[1], mdp.P.argmax(axis=2)[6], np.argwhere(mdp.r).tolist())  # s_1: a_1 on, others back
    [2 0 0 0] [6 6 6 6] [[6, 0]]
    >>> V_star = pgbook.policy_iteration(mdp)[1]
    >>> round(float(V_star[0]), 6), round(mdp.gamma ** 6 / (1 - mdp.gamma), 6)  # V*(s_0) = gamma^(H+1) / (1 - gamma)
    (2.009388, 2.009388)
    """
    H = validate.positive_int(H, "H")
    if H > CHAIN_MAX_H:
        raise ValueError(
            f"H: chain({H}) is beyond float64 (values below round-off for H > {CHAIN_MAX_H}); "
            f"use pgbook.highprec.chain_exact(H) for the exact high-precision path"
        )
    S = H + 2
    P = np.zeros((S, 4, S))
    P[0, :, 1] = 1.0
    for i in range(1, H + 1):
        P[i, 0, i + 1] = 1.0
        P[i, 1:, i - 1] = 1.0
    P[H + 1, :, H + 1] = 1.0
    r = np.zeros((S, 4))
    r[H + 1, 0] = 1.0
    rho = np.zeros(S)
    rho[0] = 1.0
    return MDP(P, r, H / (H + 1), rho)


def chain_policy(theta) -> np.ndarray:
    r"""The direct-parameterised policy of the chain MDP (AKLM Prop. 4.1).

    .. math:: \pi(a_j|s_i) = \theta_{s_i, a_j}\ (j = 1, 2, 3), \qquad
              \pi(a_4|s_i) = 1 - \textstyle\sum_{j \le 3} \theta_{s_i, a_j}, \qquad 1 \le i \le H,

    and :math:`s_0`, :math:`s_{H+1}` play :math:`a_1`. By the chain rule

    .. math:: \partial V/\partial\theta_{s,a_j} = \partial V/\partial\pi(a_j|s) - \partial V/\partial\pi(a_4|s),

    i.e. ``g[1:-1, :3] - g[1:-1, 3:]`` for ``g = pgbook.direct_gradient(...)``.

    Parameters
    ----------
    theta : array (H, 3)
        The 3H free parameters, each row non-negative with sum at most 1.

    Returns
    -------
    pi : array (H+2, 4)
        A policy for :func:`chain` (H).

    Examples
    --------
    >>> from pgbook import envs
    >>> envs.chain_policy([[0.25, 0.25, 0.25]])
    array([[1.  , 0.  , 0.  , 0.  ],
           [0.25, 0.25, 0.25, 0.25],
           [1.  , 0.  , 0.  , 0.  ]])
    """
    theta = validate.array(theta, "theta", shape=(None, 3))
    if theta.shape[0] == 0:
        raise ValueError("theta: needs one row per chain state s_1..s_H (H >= 1)")
    if (theta < -validate.PROB_TOL).any():
        raise ValueError(f"theta: probabilities must be >= 0, got min {theta.min():.3g}")
    if (theta.sum(axis=1) > 1.0 + validate.PROB_TOL).any():
        raise ValueError(f"theta: each row must sum to at most 1, got max {theta.sum(axis=1).max():.12g}")
    H = theta.shape[0]
    pi = np.zeros((H + 2, 4))
    pi[[0, H + 1], 0] = 1.0
    pi[1:H + 1, :3] = theta
    pi[1:H + 1, 3] = 1.0 - theta.sum(axis=1)
    return pi


def trpo_tight_instance(alpha: float, gamma: float = 0.9, epsilon: float = 0.5):
    r"""Two policies on which the TRPO bound is tight: :math:`L_{\pi_{\text{old}}}(\pi) - V^\pi` equals
    the last step of its proof and tends to :math:`\frac{4\epsilon\gamma}{(1-\gamma)^2}\alpha^2` as
    :math:`\alpha \to 0`.

    States: a start :math:`s_0` and two absorbing states, *good* and *bad*; actions 0, 1, 2. In
    :math:`s_0` action 0 stays, 1 moves to *good*, 2 to *bad*, all with reward 1/2. In *good* and
    *bad* every action stays, with rewards :math:`(\tfrac12 + \epsilon, \tfrac12 - \epsilon, \tfrac12)`.
    :math:`\rho = \delta_{s_0}`. The old policy plays :math:`(1-\alpha, \alpha, 0)` in :math:`s_0` and
    :math:`(\tfrac12, \tfrac12, 0)` elsewhere; the new one :math:`(1-\alpha, 0, \alpha)` in :math:`s_0`,
    :math:`(\tfrac12+\alpha, \tfrac12-\alpha, 0)` in *good* and :math:`(\tfrac12-\alpha, \tfrac12+\alpha, 0)`
    in *bad*. Every state is at total variation :math:`\alpha`, the old advantages are
    :math:`0` in :math:`s_0` and :math:`(\epsilon, -\epsilon, 0)` elsewhere, so
    :math:`\max_{s,a}|A^{\pi_{\text{old}}}| = \epsilon`. Where the two policies disagree, the old one
    goes where the new one would gain :math:`2\alpha\epsilon` a step and the new one where it loses
    as much, so that

    .. math:: L_{\pi_{\text{old}}}(\pi) - V^\pi(s_0)
              = \frac{4\epsilon\gamma\alpha^2}{(1-\gamma)(1-\gamma(1-\alpha))},

    the bound Schulman et al. (2015) prove before relaxing :math:`1-\gamma(1-\alpha)` to
    :math:`1-\gamma` (their Theorem 1, here in the AKLM normalisation).

    Parameters
    ----------
    alpha : float
        In (0, 1/2]: the total variation between the two policies in every state.
    gamma : float
        In (0, 1).
    epsilon : float
        In (0, 1/2], so that the rewards lie in [0, 1].

    Returns
    -------
    mdp : MDP
    pi_old, pi_new : array (3, 3)

    Examples
    --------
    >>> import pgbook
    >>> from pgbook import envs
    >>> from pgbook.theory import surrogates
    >>> mdp, old, new = envs.trpo_tight_instance(0.1, gamma=0.5)
    >>> gap = surrogates.surrogate(mdp, old, new) - float(pgbook.value(mdp, new) @ mdp.rho)
    >>> round(gap, 12), round(4 * 0.5 * 0.5 * 0.1**2 / (0.5 * (1 - 0.5 * 0.9)), 12)
    (0.036363636364, 0.036363636364)
    """
    alpha = validate.positive_real(alpha, "alpha")
    if alpha > 0.5:
        raise ValueError(f"alpha: must lie in (0, 1/2] (the policies' probabilities), got {alpha:g}")
    gamma = validate.gamma(gamma)
    if gamma == 0.0:
        raise ValueError("gamma: must lie in (0, 1); with gamma = 0 the two policies' futures never differ")
    epsilon = validate.positive_real(epsilon, "epsilon")
    if epsilon > 0.5:
        raise ValueError(f"epsilon: must lie in (0, 1/2] so that the rewards 1/2 +- epsilon lie in [0, 1], got {epsilon:g}")
    P = np.zeros((3, 3, 3))
    P[0, [0, 1, 2], [0, 1, 2]] = 1.0
    P[1, :, 1] = P[2, :, 2] = 1.0
    r = np.array([[0.5, 0.5, 0.5], [0.5 + epsilon, 0.5 - epsilon, 0.5], [0.5 + epsilon, 0.5 - epsilon, 0.5]])
    old = np.array([[1 - alpha, alpha, 0.0], [0.5, 0.5, 0.0], [0.5, 0.5, 0.0]])
    new = np.array([[1 - alpha, 0.0, alpha], [0.5 + alpha, 0.5 - alpha, 0.0], [0.5 - alpha, 0.5 + alpha, 0.0]])
    return MDP(P, r, gamma, np.array([1.0, 0.0, 0.0])), old, new


def cpi_tight_instance(gamma: float = 0.9):
    r"""A start state where conservative policy iteration loses half of its theorem's penalty.

    Two states: :math:`s_0`, where action 0 stays with reward 0 and action 1 moves to an absorbing
    state :math:`g` with reward 1; in :math:`g` both actions pay 1. :math:`\rho = \delta_{s_0}`; the
    initial policy stays in :math:`s_0` (and plays uniformly in :math:`g`). Its value is 0 and the
    advantage of moving is :math:`1/(1-\gamma)`, the largest any advantage can be with rewards in
    [0, 1], so :math:`\mathbb A = 1/(1-\gamma)`. The CPI step
    :math:`(1-\alpha)\pi + \alpha\,\mathrm{greedy}` leaves :math:`s_0` with probability :math:`\alpha`
    a step, and

    .. math:: \|d^{\pi_{\text{new}}}_\rho - d^{\pi}_\rho\|_1 = \frac{2\alpha\gamma}{1-\gamma(1-\alpha)},
              \qquad
              \frac{\alpha\mathbb A}{1-\gamma} - \big(V^{\pi_{\text{new}}}(\rho) - V^\pi(\rho)\big)
              = \frac{\gamma\alpha^2}{(1-\gamma)^2(1-\gamma(1-\alpha))}:

    the first tends to AJKS Lemma 14.1's :math:`2\alpha\gamma/(1-\gamma)`, the second to half of
    AJKS Theorem 14.2's penalty :math:`2\alpha^2\gamma/(1-\gamma)^3`, as :math:`\alpha \to 0`.

    Parameters
    ----------
    gamma : float
        In (0, 1).

    Returns
    -------
    mdp : MDP
    pi0 : array (2, 2)

    Examples
    --------
    >>> import pgbook
    >>> from pgbook import envs
    >>> mdp, pi0 = envs.cpi_tight_instance(0.5)
    >>> pgbook.value(mdp, pi0), pgbook.advantage(mdp, pi0)[0]
    (array([0., 2.]), array([0., 2.]))
    """
    gamma = validate.gamma(gamma)
    if gamma == 0.0:
        raise ValueError("gamma: must lie in (0, 1); with gamma = 0 the step changes no visitation")
    P = np.zeros((2, 2, 2))
    P[0, 0, 0] = P[0, 1, 1] = 1.0
    P[1, :, 1] = 1.0
    r = np.array([[0.0, 1.0], [1.0, 1.0]])
    pi0 = np.array([[1.0, 0.0], [0.5, 0.5]])
    return MDP(P, r, gamma, np.array([1.0, 0.0])), pi0


#: Actions of :func:`short_corridor`.
CORRIDOR_ACTIONS = ("right", "left")


def short_corridor() -> MDP:
    r"""Sutton and Barto's short corridor with switched actions (Sutton and Barto 2018, Example 13.1, p. 323).

    States :math:`S_1` (start), :math:`S_2`, :math:`S_3` (indices 0, 1, 2) and a terminal state (3);
    actions ``CORRIDOR_ACTIONS`` = (right, left). In :math:`S_1` right goes to :math:`S_2` and left
    stays; in :math:`S_2` the actions are **reversed** (right goes back to :math:`S_1`, left on to
    :math:`S_3`); in :math:`S_3` right ends the episode and left goes to :math:`S_2`. Reward
    :math:`-1` per step, :math:`\gamma = 1` (episodic), :math:`\rho = \delta_{S_1}`. With the shared
    features of :func:`pgbook.features.short_corridor_features` every policy is a single :math:`p = \Pr(\text{right})`,
    and the best one is :math:`p^\star = 2 - \sqrt 2` with :math:`v^\star(S_1) = -(6 + 4\sqrt 2)`.

    Returns
    -------
    MDP

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> corridor = pgbook.envs.short_corridor()
    >>> float(pgbook.value(corridor, pgbook.uniform(corridor))[0]), corridor.rho.tolist()  # -12 for a fair coin
    (-12.0, [1.0, 0.0, 0.0, 0.0])
    >>> p = 2 - np.sqrt(2)  # the best Pr(right) with the shared features
    >>> round(float(pgbook.value(corridor, [[p, 1 - p]] * 4)[0]), 6), round(-(6 + 4 * 2 ** 0.5), 6)  # v*(S_1)
    (-11.656854, -11.656854)
    """
    right, left = 0, 1
    moves = {0: (1, 0), 1: (0, 2), 2: (3, 1)}
    P = np.zeros((4, 2, 4))
    for s, (to_right, to_left) in moves.items():
        P[s, right, to_right] = 1.0
        P[s, left, to_left] = 1.0
    P[3, :, 3] = 1.0
    r = np.full((4, 2), -1.0)
    r[3] = 0.0
    return MDP(P, r, 1.0, np.eye(4)[0], terminal=[3])


def three_state(gamma: float = 0.9) -> MDP:
    r"""The small MDP of pgbook's doctests: three states in a row, a small reward near and a large one far.

    States 0, 1, 2 in a row; action 0 (*left*) moves one state left (0 stays), action 1 (*right*)
    moves one state right with probability 0.8 and stays with probability 0.2 (2 stays). Staying in
    0 by *left* pays :math:`r(0, \text{left}) = 0.1`, *right* in 2 pays :math:`r(2, \text{right}) = 1`,
    everything else 0; :math:`\rho = (0.5, 0.3, 0.2)`. Transitions, discounting and the start
    distribution all change its values, and the best policy (*right* everywhere) must walk past the
    nearby reward, so an example on it shows a formula's every ingredient at work.

    Source: pgbook's own example, built for its doctests (no paper uses it).

    Parameters
    ----------
    gamma : float
        In [0, 1).

    Returns
    -------
    MDP

    Examples
    --------
    >>> from pgbook import envs
    >>> mdp = envs.three_state()
    >>> mdp, mdp.rho
    (MDP(S=3, A=2, gamma=0.9), array([0.5, 0.3, 0.2]))
    >>> print(mdp.P[:, 1])  # right: on with probability 0.8
    [[0.2 0.8 0. ]
     [0.  0.2 0.8]
     [0.  0.  1. ]]
    >>> print(mdp.P[:, 0], mdp.r.tolist())  # left: one state back
    [[1. 0. 0.]
     [1. 0. 0.]
     [0. 1. 0.]] [[0.1, 0.0], [0.0, 0.0], [0.0, 1.0]]
    """
    P = np.zeros((3, 2, 3))
    P[[0, 1, 2], 0, [0, 0, 1]] = 1.0
    P[[0, 1], 1, [0, 1]] = 0.2
    P[[0, 1], 1, [1, 2]] = 0.8
    P[2, 1, 2] = 1.0
    r = np.zeros((3, 2))
    r[0, 0], r[2, 1] = 0.1, 1.0
    return MDP(P, r, gamma, np.array([0.5, 0.3, 0.2]))


def two_state(gamma: float = 0.9, rho=None) -> MDP:
    r"""A two-state, two-action MDP for value-polytope and policy-simplex pictures.

    The example of Dadashi et al. (2019, *The Value Function Polytope in Reinforcement Learning*,
    Fig. 2(d)) as transcribed in public reproductions (not checked against the paper):

    .. math:: P(\cdot|s_1, a_1) = (0.7, 0.3),\ P(\cdot|s_1, a_2) = (0.99, 0.01),\
              P(\cdot|s_2, a_1) = (0.2, 0.8),\ P(\cdot|s_2, a_2) = (0.99, 0.01),

    :math:`r(s_1, \cdot) = (-0.45, -0.1)`, :math:`r(s_2, \cdot) = (0.5, 0.5)`. Every policy is a point
    :math:`(\pi(a_1|s_1), \pi(a_1|s_2)) \in [0, 1]^2` and its value a point of the plane, so the whole
    value set can be drawn. The rewards are not in [0, 1]: use it for pictures, not for bound checks.

    Parameters
    ----------
    gamma : float
        In [0, 1).
    rho : array (2,), optional
        Uniform by default.

    Returns
    -------
    MDP

    Examples
    --------
    >>> import pgbook
    >>> from pgbook import envs
    >>> mdp = envs.two_state()
    >>> mdp, mdp.P[0, 0], mdp.r.tolist()
    (MDP(S=2, A=2, gamma=0.9), array([0.7, 0.3]), [[-0.45, -0.1], [0.5, 0.5]])
    >>> pgbook.value(mdp, [[1.0, 0.0], [0.0, 1.0]]).round(4)  # a_1 in s_1, a_2 in s_2: one point of the polytope
    array([-2.4659, -1.7125])
    """
    P = np.array([[[0.7, 0.3], [0.99, 0.01]], [[0.2, 0.8], [0.99, 0.01]]])
    r = np.array([[-0.45, -0.1], [0.5, 0.5]])
    return MDP(P, r, gamma, rho)


#: Actions of :func:`detour`'s two states: (start state, far state).
DETOUR_ACTIONS = (("safe", "risky"), ("good", "bad"))


def detour(gamma: float = 0.9, safe: float = 0.5) -> MDP:
    r"""Two states where a start distribution that misses a state makes a suboptimal local maximum.

    State 0 is the start (:math:`\rho = \delta_0`). Its actions (:data:`DETOUR_ACTIONS`): *safe* pays
    ``safe`` and stays; *risky* pays 0 and moves to state 1. In state 1, *good* pays 1 and *bad* pays
    0, and both stay. With :math:`x = \pi(\text{risky}|0)` and :math:`y = \pi(\text{good}|1)`,

    .. math:: V^\pi(0) = \frac{\text{safe}\,(1-x) + x\gamma y/(1-\gamma)}{1 - \gamma + \gamma x},

    so for ``safe`` below :math:`\gamma` the optimal policy is (risky, good), with
    :math:`V^\star(0) = \gamma/(1-\gamma)`. The policy (safe, bad) is worth only
    :math:`\text{safe}/(1-\gamma)`, yet no policy with :math:`y \le \text{safe}/\gamma` is worth more
    from state 0: moving mass to *risky* loses value until state 1's policy has improved, and state 1's
    policy does not change :math:`V^\pi(0)` while :math:`x = 0`. So (safe, bad) is a local maximum of
    :math:`V^\pi(0)` that is not global, and a stationary point of gradient ascent on it: AKLM's
    gradient domination (Lemma 4.1) needs a start distribution :math:`\mu` that covers the states
    :math:`\pi^\star` visits.

    Parameters
    ----------
    gamma : float
        In (0, 1).
    safe : float
        The safe reward, in [0, gamma).

    Returns
    -------
    MDP

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> from pgbook import envs
    >>> mdp = envs.detour()
    >>> trap = np.array([[1.0, 0.0], [0.0, 1.0]])  # (safe, bad)
    >>> pgbook.value(mdp, trap).round(12), pgbook.policy_iteration(mdp)[1].round(12)
    (array([5., 0.]), array([ 9., 10.]))
    """
    gamma = validate.gamma(gamma)
    if gamma == 0.0:
        raise ValueError("gamma: the detour needs gamma > 0 (the far state pays only later)")
    safe = validate.positive_real(safe, "safe", allow_zero=True)
    if safe >= gamma:
        raise ValueError(f"safe: must lie below gamma = {gamma:g} for the detour to be optimal, got {safe:g}")
    P = np.zeros((2, 2, 2))
    P[0, 0, 0] = P[0, 1, 1] = 1.0
    P[1, :, 1] = 1.0
    r = np.array([[safe, 0.0], [1.0, 0.0]])
    return MDP(P, r, gamma, np.array([1.0, 0.0]))


def stay_or_leave(gamma: float = 0.9) -> MDP:
    r"""One decision, repeated: stay and collect 1, or leave for good; the value's gradient is steepest here.

    State 0 is the start (:math:`\rho = \delta_0`): action 0 pays 1 and stays, action 1 pays 0 and
    moves to state 1, which is terminal (absorbing, reward 0). With :math:`p = \pi(0|0)`,
    :math:`V^\pi(0) = p/(1-\gamma p)` and :math:`\partial V^\pi(0)/\partial\pi(0|0) = 1/(1-\gamma p)^2`,
    so along the simplex the gradient changes at the rate :math:`\sqrt2\,\gamma/(1-\gamma p)^3`, up to
    :math:`\sqrt2\,\gamma/(1-\gamma)^3` at :math:`p = 1`: the :math:`(1-\gamma)^{-3}` of
    :func:`pgbook.theory.landscape.direct_smoothness` is attained, within the factor :math:`\sqrt2|\mathcal A| = 2\sqrt2`
    (AKLM Lemma D.3).

    Parameters
    ----------
    gamma : float
        In [0, 1).

    Returns
    -------
    MDP
        ``S = A = 2``.

    Examples
    --------
    >>> import pgbook
    >>> pgbook.value(pgbook.envs.stay_or_leave(0.9), [[1.0, 0.0], [1.0, 0.0]])
    array([10.,  0.])
    """
    gamma = validate.gamma(gamma)
    P = np.zeros((2, 2, 2))
    P[0, 0, 0] = P[0, 1, 1] = 1.0
    P[1, :, 1] = 1.0
    return MDP(P, np.array([[1.0, 0.0], [0.0, 0.0]]), gamma, np.array([1.0, 0.0]), terminal=[1])


def rare_state(gamma: float = 0.9) -> MDP:
    r"""A state that matters, and one that does not: the family of :func:`pgbook.theory.landscape.rare_state_iterations`.

    State 0 (:math:`\rho = \delta_0`): action 0 pays 1, action 1 pays 0, and both stay. State 1 is
    terminal (absorbing, reward 0): nothing there depends on the policy. Ascending :math:`V^\pi(\mu)`
    with :math:`\mu = (1/D, 1 - 1/D)`, the mismatch coefficient of AKLM Theorem 4.1 is
    :math:`\|d^{\pi^\star}_\rho/\mu\|_\infty = D`, and state 0's visitation is
    :math:`d^\pi_\mu(0) = 1/D` under every policy.

    Parameters
    ----------
    gamma : float
        In [0, 1).

    Returns
    -------
    MDP
        ``S = A = 2``.

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> mdp = pgbook.envs.rare_state(0.9)
    >>> pgbook.visitation(mdp, pgbook.uniform(mdp), np.array([0.1, 0.9])).round(12)
    array([0.1, 0.9])
    """
    gamma = validate.gamma(gamma)
    P = np.zeros((2, 2, 2))
    P[0, :, 0] = P[1, :, 1] = 1.0
    return MDP(P, np.array([[1.0, 0.0], [0.0, 0.0]]), gamma, np.array([1.0, 0.0]), terminal=[1])


#: Actions of :func:`fork`'s first state.
FORK_ACTIONS = ("safe", "explore", "quit")


def fork(gamma: float = 0.9) -> MDP:
    r"""A three-state MDP whose first state has a tempting action and a better, delayed one.

    State 0, the *fork* (the start, :math:`\rho = \delta_0`), has the actions ``FORK_ACTIONS``:
    *safe* pays 0.5 and ends the episode; *explore* pays nothing and leads to state 1, the *room*;
    *quit* pays nothing and ends. In the room, action 0 pays 1 and the two others nothing; every room
    action ends the episode. State 2 is the end (terminal: absorbing, reward 0). So
    :math:`Q(0, \text{explore}) = \gamma V(1)`: under the uniform room policy it is
    :math:`\gamma/3`, below *safe*'s 0.5, and the optimal policy explores iff :math:`\gamma > 1/2`
    (:math:`V^\star(0) = \max(0.5, \gamma)`). Source: the book's fork (the simplex chapter), a
    three-action cousin of the two-state examples of AKLM section 4.

    Parameters
    ----------
    gamma : float
        In [0, 1).

    Returns
    -------
    MDP
        ``S = A = 3``; actions ``FORK_ACTIONS``.

    Examples
    --------
    >>> import pgbook
    >>> pgbook.policy_iteration(pgbook.envs.fork(0.9))[1]  # explore: V*(0) = gamma * 1
    array([0.9, 1. , 0. ])
    >>> pgbook.policy_iteration(pgbook.envs.fork(0.4))[1]  # safe: V*(0) = 0.5
    array([0.5, 1. , 0. ])
    """
    gamma = validate.gamma(gamma)
    P = np.zeros((3, 3, 3))
    P[0, 0, 2] = P[0, 2, 2] = 1.0
    P[0, 1, 1] = 1.0
    P[1, :, 2] = 1.0
    P[2, :, 2] = 1.0
    r = np.zeros((3, 3))
    r[0, 0] = 0.5
    r[1, 0] = 1.0
    return MDP(P, r, gamma, np.eye(3)[0], terminal=[2])


#: Actions of :func:`walk`.
WALK_ACTIONS = ("left", "right")


def walk(n: int = 7, goal: int = 3, gamma: float = 0.9, slip: float = 0.1) -> MDP:
    r"""A walk on a line of ``n`` cells to a goal in the middle, with rewards in [0, 1].

    Source: the book's walk (the Approximation chapter), a line like the random walk of Sutton and
    Barto 2018, Example 6.2, with actions.

    Actions ``WALK_ACTIONS`` = (left, right): the intended move happens with probability ``1 - slip``,
    the opposite one with probability ``slip``; moving off the line stays. Entering the goal cell pays
    1, so :math:`r(s, a) = P(\text{goal} \mid s, a)`; the goal is absorbing with reward 0.
    :math:`\rho = \delta_0` (the left end): the optimal policy walks right and never sees the cells
    beyond the goal.

    Parameters
    ----------
    n : int
        Number of cells, >= 3.
    goal : int
        The goal cell, ``0 < goal < n - 1``.
    gamma : float
        Discount in [0, 1).
    slip : float
        In [0, 1).

    Returns
    -------
    MDP
        ``S = n``, ``A = 2``.

    Examples
    --------
    >>> import pgbook
    >>> walk = pgbook.envs.walk(n=5, goal=2, gamma=0.9, slip=0.1)
    >>> pgbook.policy_iteration(walk)[1].round(4)
    array([0.8709, 0.9784, 0.    , 0.9784, 0.8709])
    >>> pgbook.policy_iteration(pgbook.envs.walk(n=5, goal=2, gamma=0.9, slip=0.3))[1].round(4)
    array([0.7876, 0.9127, 0.    , 0.9127, 0.7876])
    """
    n = validate.positive_int(n, "n")
    if n < 3:
        raise ValueError(f"n: needs at least 3 cells, got {n}")
    goal = validate.nonnegative_int(goal, "goal")
    if not 0 < goal < n - 1:
        raise ValueError(f"goal: must lie strictly inside the line, 0 < goal < {n - 1}, got {goal}")
    gamma = validate.gamma(gamma)
    slip = float(slip)
    if not 0.0 <= slip < 1.0:
        raise ValueError(f"slip: must lie in [0, 1), got {slip}")
    P = np.zeros((n, 2, n))
    for s in range(n):
        if s == goal:
            P[s, :, s] = 1.0
            continue
        for a, step in enumerate((-1, 1)):
            for move, p in ((step, 1.0 - slip), (-step, slip)):
                P[s, a, min(max(s + move, 0), n - 1)] += p
    r = P[:, :, goal].copy()
    r[goal] = 0.0
    return MDP(P, r, gamma, np.eye(n)[0], terminal=np.arange(n) == goal)
