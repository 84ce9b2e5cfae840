"""The MDPs the book uses. Each function returns a :class:`pgbook.MDP` (or a subclass carrying the
layout needed to draw it)."""

from __future__ import annotations

import numpy as np

from . import _validate as check
from .mdp import MDP

#: Gridworld actions, in Gymnasium FrozenLake's order.
GRID_ACTIONS = ("left", "down", "right", "up")
_MOVES = np.array([(0, -1), (1, 0), (0, 1), (-1, 0)])

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
    """An MDP on a grid; ``cells[s] = (row, col)`` of state ``s`` and ``layout`` the map it came from."""

    __slots__ = ("layout", "cells")

    def __init__(self, P, r, gamma, rho, *, terminal, layout, cells):
        super().__init__(P, r, gamma, rho, terminal=terminal)
        object.__setattr__(self, "layout", tuple(layout))
        object.__setattr__(self, "cells", tuple(cells))

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, cols) of the grid."""
        return len(self.layout), len(self.layout[0])

    def grid(self, x, fill=np.nan) -> np.ndarray:
        """Arrange a per-state array x: (S,) on the grid, ``fill`` on walls. Returns (rows, cols)."""
        x = check.array(x, "x", shape=(self.S,))
        out = np.full(self.shape, fill, dtype=float)
        for s, (i, j) in enumerate(self.cells):
            out[i, j] = x[s]
        return out


def gridworld(layout=DEFAULT_LAYOUT, gamma: float = 0.9, slip: float = 0.1) -> GridMDP:
    r"""A gridworld MDP built from a text map.

    layout: sequence of equal-length strings over ``. # S G X`` (free, wall, start, goal, pit).
    Each non-wall cell is a state, numbered row by row. Actions are ``GRID_ACTIONS``
    (left, down, right, up). The intended move happens with probability ``1 - slip``; otherwise the
    agent slips to one of the two perpendicular moves (``slip / 2`` each). Moving into a wall or off
    the grid leaves the agent in place. Entering ``G`` pays reward 1, so
    :math:`r(s, a) = \Pr(s' = G \mid s, a)` for :math:`s \ne G`; ``G`` and ``X`` are terminal
    (absorbing, reward 0). rho is uniform over the ``S`` cells (all free cells if there is none).
    """
    if isinstance(layout, str):
        raise TypeError("layout: expected a sequence of row strings, not one string")
    rows = [str(row) for row in layout]
    if not rows or len({len(row) for row in rows}) != 1 or not rows[0]:
        raise ValueError("layout: rows must be non-empty strings of equal length")
    bad = set("".join(rows)) - set(".#SGX")
    if bad:
        raise ValueError(f"layout: unknown cell characters {sorted(bad)}; use . # S G X")
    gamma = check.gamma(gamma, allow_one=True)
    slip = float(slip)
    if not 0.0 <= slip <= 1.0:
        raise ValueError(f"slip: must lie in [0, 1], got {slip}")
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
                di, dj = _MOVES[move]
                P[s, a, index.get((i + di, j + dj), s)] += p
    r = P[:, :, kind == "G"].sum(axis=2)
    r[terminal] = 0.0
    starts = kind == "S"
    rho = (starts if starts.any() else np.ones(S)) / max(starts.sum(), 1 if starts.any() else S)
    return GridMDP(P, r, gamma, rho, terminal=terminal, layout=rows, cells=cells)


def random_mdp(S: int, A: int, seed: int, gamma: float = 0.9, *, rho: str = "uniform",
               branching: int | None = None) -> MDP:
    r"""A random dense (or sparse) MDP with rewards in [0, 1].

    :math:`P(\cdot|s, a)` is a normalised vector of :math:`U(0, 1)` draws (on ``branching`` random
    next states if given, else on all S), :math:`r(s, a) \sim U[0, 1]`. rho is ``"uniform"`` or
    ``"random"`` (a normalised :math:`U(0, 1)` vector). The same seed gives the same MDP.
    """
    S = check.positive_int(S, "S")
    A = check.positive_int(A, "A")
    seed = check.seed(seed)
    if rho not in ("uniform", "random"):
        raise ValueError(f"rho: expected 'uniform' or 'random', got {rho!r}")
    rng = np.random.default_rng(seed)
    W = rng.random((S, A, S))
    if branching is not None:
        branching = check.positive_int(branching, "branching")
        if branching > S:
            raise ValueError(f"branching: must be at most S = {S}, got {branching}")
        keep = rng.random((S, A, S)).argsort(axis=2)[:, :, :branching]
        mask = np.zeros((S, A, S), dtype=bool)
        np.put_along_axis(mask, keep, True, axis=2)
        W = np.where(mask, W + 1e-3, 0.0)
    P = W / W.sum(axis=2, keepdims=True)
    r = rng.random((S, A))
    rho_v = None if rho == "uniform" else rng.random(S)
    return MDP(P, r, gamma, None if rho_v is None else rho_v / rho_v.sum())


def bandit(rewards, gamma: float = 0.0) -> MDP:
    r"""A multi-armed bandit as a one-state MDP: :math:`S = 1`, :math:`r(0, a) = ` ``rewards[a]``.

    rewards: (A,). With the default ``gamma = 0``, :math:`V^\pi = \pi^\top r`.
    """
    rewards = check.array(rewards, "rewards", ndim=1)
    if rewards.size == 0:
        raise ValueError("rewards: needs at least one arm")
    A = rewards.size
    return MDP(np.ones((1, A, 1)), rewards[None, :], gamma)
