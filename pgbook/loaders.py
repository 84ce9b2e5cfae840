r"""Your own MDP in pgbook: from Gymnasium, from the array layouts of other libraries, from a typed grid.

Each loader returns a :class:`pgbook.MDP` (a :class:`pgbook.envs.GridMDP`, which the figures draw
as a grid, for a grid) whose every entry has been checked: a malformed input raises ``TypeError`` or
``ValueError`` naming the argument and the entry that is wrong. No loader guesses: the discount is
always the caller's (Gymnasium and most tables have none), and an array's layout is named by the
caller, never inferred from its shape.

- :func:`from_gymnasium` -- a Gymnasium toy-text environment (FrozenLake, CliffWalking, Taxi), by
  object or by id;
- :func:`from_arrays` -- arrays in the layout of pymdptoolbox / MDPtoolbox or of QuantEcon's
  ``DiscreteDP``;
- :func:`from_grid` -- a grid typed as text (:func:`pgbook.envs.gridworld` builds it);
- :func:`rescale_rewards` -- rewards moved into [0, 1], the range the book's bounds assume, without
  changing which policy is better than which.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np

from . import _validate as validate
from .envs import GridMDP, gridworld
from .mdp import MDP, require_mdp

#: The array layouts :func:`from_arrays` reads, and what each holds.
LAYOUTS = {
    "mdptoolbox": "pymdptoolbox / MDPtoolbox: P[a, s, s'] of shape (A, S, S); R of shape (S,), (S, A) or (A, S, S)",
    "quantecon": "QuantEcon DiscreteDP(R, Q, beta): Q[s, a, s'] of shape (S, A, S), passed as P; R of shape (S, A)",
}

#: FrozenLake's map letters, drawn as the gridworld's: start, frozen (free), hole (a pit), goal.
_FROZEN_LAKE_CELLS = {"S": "S", "F": ".", "H": "X", "G": "G"}
#: Gymnasium's CliffWalking action for each of pgbook's grid actions (left, down, right, up):
#: Gymnasium numbers them up 0, right 1, down 2, left 3 (FrozenLake already uses pgbook's order).
CLIFF_WALKING_ACTIONS = (3, 2, 1, 0)


def from_gymnasium(env, gamma, rho=None) -> MDP:
    r"""The MDP of a Gymnasium toy-text environment, read from its transition table.

    Gymnasium's toy-text environments (Towers et al. 2024, *Gymnasium*) keep their dynamics in a table
    ``env.unwrapped.P[s][a] = [(prob, next_state, reward, done), ...]``, which
    :meth:`pgbook.MDP.from_gym` turns into

    .. math:: P[s, a, s'] = \sum_{k:\ \text{next}_k = s'} \text{prob}_k, \qquad
              r(s, a) = \sum_k \text{prob}_k\, \text{reward}_k,

    with every state reached with ``done = True`` terminal (absorbing, reward 0). The start
    distribution is the environment's own (``initial_state_distrib``). The environment's time limit
    (``TimeLimit``: 100 steps for FrozenLake 4x4) is not part of the table: the MDP runs until a
    terminal state, discounted by ``gamma``.

    Parameters
    ----------
    env : gymnasium.Env or str
        An environment, wrapped or not, whose unwrapped environment has the table ``P`` and
        discrete observation and action spaces (FrozenLake, CliffWalking, Taxi); or its id, such as
        ``"FrozenLake-v1"``, made with ``gymnasium.make``.
    gamma : float
        The discount factor, which Gymnasium does not define: in [0, 1), or 1 when every policy
        reaches a terminal state (the values are then expected undiscounted returns).
    rho : array (S,), optional
        The start distribution; the environment's ``initial_state_distrib`` by default.

    Returns
    -------
    MDP
        A :class:`pgbook.envs.GridMDP` for FrozenLake and CliffWalking (holes and the cliff drawn as
        ``X``), so that the figures draw it as a grid, with actions in the grid order
        :data:`pgbook.envs.GRID_ACTIONS` (left, down, right, up): FrozenLake's own order; CliffWalking's
        are reordered, pgbook's action ``a`` being Gymnasium's ``CLIFF_WALKING_ACTIONS[a]``. States are
        numbered as Gymnasium numbers them.

    Raises
    ------
    TypeError, ValueError
        Naming ``env`` (no table, spaces that are not discrete or do not match the table), ``rho``
        (missing where the environment has no start distribution), or the entry ``table[s][a][k]``
        that is malformed (see :meth:`pgbook.MDP.from_gym`).

    Examples
    --------
    >>> import pgbook
    >>> pgbook.from_gymnasium("FrozenLake-v1", gamma=0.99)
    MDP(S=16, A=4, gamma=0.99, terminal=[5, 7, 11, 12, 15])
    """
    if isinstance(env, str):
        try:
            import gymnasium
        except ImportError:
            raise ImportError(f"env: {env!r} names a Gymnasium environment, but gymnasium is not installed "
                              "(pip install gymnasium)") from None
        env = gymnasium.make(env)
    core = getattr(env, "unwrapped", env)
    table = getattr(core, "P", None)
    if table is None:
        raise TypeError(f"env: {type(core).__name__} has no transition table P; only Gymnasium's toy-text "
                        "environments expose theirs (FrozenLake, CliffWalking, Taxi)")
    for space in ("observation_space", "action_space"):
        n = getattr(getattr(core, space, None), "n", None)
        if not isinstance(n, numbers.Integral):
            raise TypeError(f"env: its {space} is not discrete (gymnasium.spaces.Discrete); a table needs "
                            "finitely many states and actions")
    S, A = int(core.observation_space.n), int(core.action_space.n)
    if len(table) != S:
        raise ValueError(f"env: its table P has {len(table)} states, its observation space {S}")
    if rho is None:
        rho = getattr(core, "initial_state_distrib", None)
        if rho is None:
            raise ValueError(f"rho: {type(core).__name__} has no initial_state_distrib; give the start "
                             "distribution")
    mdp = MDP.from_gym(table, gamma, np.asarray(rho, dtype=float))
    if mdp.A != A:
        raise ValueError(f"env: its table P has {mdp.A} actions, its action space {A}")
    layout, actions = _gym_grid(core)
    if layout is None:
        return mdp
    cells = [(i, j) for i in range(len(layout)) for j in range(len(layout[0]))]
    return GridMDP(mdp.P[:, actions], mdp.r[:, actions], mdp.gamma, mdp.rho, terminal=mdp.terminal,
                   layout=layout, cells=cells)


def _gym_grid(core) -> tuple[list[str] | None, list[int] | None]:
    """The map of a Gymnasium grid (FrozenLake, CliffWalking) over ``. S G X`` and, for each of pgbook's
    grid actions, Gymnasium's; (None, None) for other tables."""
    from gymnasium.envs.toy_text import CliffWalkingEnv, FrozenLakeEnv

    if isinstance(core, FrozenLakeEnv):
        return ["".join(_FROZEN_LAKE_CELLS[c] for c in row) for row in np.asarray(core.desc).astype(str)], [0, 1, 2, 3]
    if isinstance(core, CliffWalkingEnv):
        rows, cols = core.shape
        cliff = getattr(core, "_cliff", np.zeros((rows, cols), dtype=bool))
        grid = [["X" if cliff[i, j] else "." for j in range(cols)] for i in range(rows)]
        i, j = np.unravel_index(core.start_state_index, (rows, cols))
        grid[i][j] = "S"
        grid[-1][-1] = "G"  # Gymnasium's goal: the bottom-right corner
        return ["".join(row) for row in grid], list(CLIFF_WALKING_ACTIONS)
    return None, None


def from_arrays(P, R, gamma, *, layout: str, rho=None, terminal=None) -> MDP:
    r"""An MDP from arrays in the layout of pymdptoolbox / MDPtoolbox or of QuantEcon's ``DiscreteDP``.

    Source: the array layouts of MDPtoolbox (Chadès, Chapron, Cros, Garcia and Sabbadin 2014) and
    of QuantEcon's ``DiscreteDP``.

    The caller names the layout; it is never guessed from the shapes (with as many actions as states
    the shapes could not tell). pgbook's own layout is ``P: (S, A, S)``, ``r: (S, A)``:

    - ``layout="mdptoolbox"`` (pymdptoolbox, MDPtoolbox for MATLAB and R; Chadès et al. 2014):
      ``P[a, s, s']`` of shape (A, S, S), or a sequence of A matrices (S, S), dense or scipy sparse;
      ``R`` of shape (S,) (a reward per state), (S, A), or (A, S, S) (per transition), read as
      :math:`r(s, a) = R[s]`, :math:`R[s, a]` or :math:`\sum_{s'} P[a, s, s'] R[a, s, s']`;
    - ``layout="quantecon"`` (QuantEcon's ``DiscreteDP(R, Q, beta)`` in product form; Sargent and
      Stachurski): its ``Q[s, a, s']`` of shape (S, A, S), passed as ``P``, and ``R`` of shape (S, A).
      For a ``DiscreteDP`` ``ddp``: ``from_arrays(ddp.Q, ddp.R, ddp.beta, layout="quantecon")``.

    Parameters
    ----------
    P : array
        The transition probabilities, in the named layout.
    R : array
        The rewards, in the named layout.
    gamma : float
        The discount factor (pymdptoolbox's ``discount``, QuantEcon's ``beta``): in [0, 1), or 1 with
        ``terminal`` states.
    layout : {"mdptoolbox", "quantecon"}
        The layout of ``P`` and ``R`` (:data:`LAYOUTS`).
    rho : array (S,), optional
        The start distribution; uniform by default (neither library has one).
    terminal : array of bool (S,) or state indices, optional
        Terminal states (absorbing, reward 0), as in :class:`pgbook.MDP`.

    Returns
    -------
    MDP

    Raises
    ------
    TypeError, ValueError
        Naming ``layout`` (not one of :data:`LAYOUTS`), ``P`` or ``R`` and the entry that is wrong in
        the caller's layout: a shape that does not fit it, a negative probability, a row that does not
        sum to 1, QuantEcon's ``-inf`` for an infeasible action, a NaN.

    Examples
    --------
    >>> import numpy as np
    >>> import pgbook
    >>> P = np.array([[[0.5, 0.5], [0.0, 1.0]], [[1.0, 0.0], [1.0, 0.0]]])  # (A, S, S)
    >>> R = np.array([[0.0, 1.0], [1.0, 0.0]])  # (S, A)
    >>> mdp = pgbook.from_arrays(P, R, 0.9, layout="mdptoolbox")
    >>> mdp, mdp.P[0, 1]  # P(. | s = 0, a = 1) = P_toolbox[1, 0, :]
    (MDP(S=2, A=2, gamma=0.9), array([1., 0.]))
    """
    if not isinstance(layout, str):
        raise TypeError(f"layout: expected one of {sorted(LAYOUTS)}, got {type(layout).__name__}")
    if layout not in LAYOUTS:
        raise ValueError(f"layout: {layout!r} is not a layout pgbook reads; choose one of {sorted(LAYOUTS)}")
    if layout == "mdptoolbox":
        P_sas, r = _toolbox(P, R)
    else:
        P_sas, r = _quantecon(P, R)
    return MDP(P_sas, r, gamma, rho, terminal=terminal)


def _toolbox(P, R) -> tuple[np.ndarray, np.ndarray]:
    """pymdptoolbox's P: (A, S, S) (or A matrices) and R: (S,), (S, A) or (A, S, S), checked in their own layout."""
    if isinstance(P, Sequence) and not isinstance(P, (str, bytes)) and len(P) and all(
            hasattr(m, "toarray") for m in P):
        P = [m.toarray() for m in P]  # scipy sparse matrices, one per action
    P = validate.array(P, "P", ndim=3)
    A, S, S2 = P.shape
    if S != S2 or A == 0 or S == 0:
        hint = " (is it pgbook's or QuantEcon's (S, A, S)? then layout='quantecon')" if P.shape[0] == P.shape[2] else ""
        raise ValueError(f"P: layout 'mdptoolbox' holds P[a, s, s'], shape (A, S, S) with A, S >= 1, got "
                         f"{P.shape}{hint}")
    _probabilities(P, "mdptoolbox", "P[a, s, s'] = Pr(s' | s, a)")
    if hasattr(R, "toarray") or (isinstance(R, Sequence) and len(R) and all(hasattr(m, "toarray") for m in R)):
        R = R.toarray() if hasattr(R, "toarray") else [m.toarray() for m in R]
    R = validate.array(R, "R")
    if R.shape == (S,):
        r = np.repeat(R[:, None], A, axis=1)
    elif R.shape == (S, A):
        r = R
    elif R.shape == (A, S, S):
        r = np.einsum("ast,ast->sa", P, R)
    else:
        raise ValueError(f"R: layout 'mdptoolbox' takes shape (S,) = ({S},), (S, A) = ({S}, {A}) or "
                         f"(A, S, S) = ({A}, {S}, {S}), got {R.shape}")
    return np.transpose(P, (1, 0, 2)), r


def _quantecon(Q, R) -> tuple[np.ndarray, np.ndarray]:
    """QuantEcon's product form Q: (S, A, S), R: (S, A), checked in its own layout."""
    if hasattr(Q, "toarray"):
        Q = Q.toarray()
    if np.ndim(_raw(Q)) == 2:
        raise ValueError(f"P: layout 'quantecon' takes the product form Q: (S, A, S), got a 2-d array "
                         f"{_raw(Q).shape}: a DiscreteDP built from state-action pairs; pass "
                         "ddp.to_product_form().Q and .R")
    Q = validate.array(Q, "P", ndim=3)
    S, A, S2 = Q.shape
    if S != S2 or A == 0 or S == 0:
        raise ValueError(f"P: layout 'quantecon' holds Q[s, a, s'], shape (S, A, S) with A, S >= 1, got {Q.shape}")
    _probabilities(Q, "quantecon", "Q[s, a, s'] = Pr(s' | s, a)")
    R_raw = _raw(R)
    if R_raw.dtype.kind == "f" and R_raw.shape == (S, A) and np.isneginf(R_raw).any():
        s, a = np.argwhere(np.isneginf(R_raw))[0]
        raise ValueError(f"R: R[{s}, {a}] = -inf, QuantEcon's mark of an action infeasible in a state; "
                         "pgbook's MDPs let every action be taken in every state: give it a finite reward "
                         "(e.g. below every feasible one) and a transition")
    r = validate.array(R, "R")
    if r.shape != (S, A):
        raise ValueError(f"R: layout 'quantecon' takes shape (S, A) = ({S}, {A}), got {r.shape}")
    return Q, r


def _raw(x) -> np.ndarray:
    """``x`` as numpy sees it, for a look at its shape before it is checked (an empty array if it is no array)."""
    try:
        return np.asarray(x)
    except (TypeError, ValueError):
        return np.empty(0)


def _probabilities(P: np.ndarray, layout: str, entry: str) -> None:
    """Every row of ``P`` is a distribution; the message names the entry in the caller's own indices."""
    try:
        validate.distribution_rows(P, "P")
    except ValueError as e:
        raise ValueError(f"{e} (layout {layout!r}: {entry})") from None


def from_grid(layout, gamma, slip: float = 0.1, *, goal_reward: float = 1.0, pit_reward: float = 0.0,
              step_reward: float = 0.0) -> GridMDP:
    r"""A gridworld from a map typed as text: ``S`` start, ``G`` goal, ``#`` wall, ``X`` pit, ``.`` floor.

    Source: the gridworlds of Sutton and Barto 2018 (Example 3.5) and Gymnasium's FrozenLake, typed as text.

    The map is read row by row (blank lines and the spaces around each row ignored, so an indented
    triple-quoted string works) and built by :func:`pgbook.envs.gridworld`: each non-wall cell is a
    state, the intended move happens with probability ``1 - slip`` and a perpendicular one with
    ``slip/2`` each, moving into a wall or off the grid stays put, ``G`` and ``X`` are terminal, and

    .. math:: r(s, a) = r_G \Pr(s' = G \mid s, a) + r_X \Pr(s' = X \mid s, a) + r_{\text{step}}.

    Episodes start uniformly on the ``S`` cells; a map must have at least one.

    Parameters
    ----------
    layout : str or sequence of str
        The map: one string with a row per line, or the rows.
    gamma : float
        In [0, 1] (1: undiscounted, the goal and pits end the episode).
    slip : float
        The probability of slipping sideways, in [0, 1].
    goal_reward, pit_reward, step_reward : float
        The rewards for entering ``G``, entering ``X``, and every step (1, 0, 0 by default: rewards in
        [0, 1], as the book's bounds assume).

    Returns
    -------
    GridMDP

    Raises
    ------
    TypeError, ValueError
        Naming ``layout`` (rows of unequal length, an unknown character and where it is, no start
        ``S``, no free cell), ``gamma``, ``slip`` or a reward.

    Examples
    --------
    >>> import pgbook
    >>> grid = pgbook.from_grid('''
    ...     S..#
    ...     .#.G
    ... ''', gamma=0.9)
    >>> grid, grid.layout
    (MDP(S=6, A=4, gamma=0.9, terminal=[5]), ('S..#', '.#.G'))
    """
    if isinstance(layout, str):
        rows = [line.strip() for line in layout.splitlines() if line.strip()]
    elif isinstance(layout, Sequence) and all(isinstance(row, str) for row in layout):
        rows = [row.strip() for row in layout]
    else:
        raise TypeError(f"layout: expected the map as a string (a row per line) or a sequence of row strings, "
                        f"got {type(layout).__name__}")
    if rows and not any("S" in row for row in rows):
        raise ValueError("layout: the map has no start 'S'; mark the cell(s) where episodes begin")
    return gridworld(rows, gamma, slip, goal_reward=goal_reward, pit_reward=pit_reward, step_reward=step_reward)


def rescale_rewards(mdp: MDP) -> MDP:
    r"""The same decision problem with rewards in [0, 1]: :math:`r' = (r - r_{\min})/(r_{\max} - r_{\min})`.

    (An affine change of rewards keeps every policy's ranking: Puterman 1994, section 5.1; AKLM assume rewards in [0, 1].)

    Every reward is moved by the same affine map, the zero reward of a terminal state included, so a
    terminal state becomes an ordinary absorbing state that pays :math:`-r_{\min}/(r_{\max} - r_{\min})`
    every step. Then for *every* policy

    .. math:: V'^\pi = \frac{V^\pi - r_{\min}/(1-\gamma)}{r_{\max} - r_{\min}},

    so the optimal policy, and which of two policies is better, do not change, and the book's bounds,
    which assume rewards in [0, 1], apply. Rescaling the rewards alone, leaving terminal states at 0,
    would change the problem: with a negative reward per step the goal would stop being worth
    reaching. Needs ``gamma < 1`` (with ``gamma = 1`` the constant shift would make every value
    infinite). :math:`r_{\min}, r_{\max}` are taken over all entries of ``r``.

    Parameters
    ----------
    mdp : MDP
        With ``gamma < 1`` and at least two different rewards.

    Returns
    -------
    MDP
        Of the same class (a gridworld stays a gridworld), with no terminal states.

    Examples
    --------
    >>> import numpy as np
    >>> import pgbook
    >>> cliff = pgbook.MDP([[[0.0, 1.0]], [[0.0, 1.0]]], [[-1.0], [0.0]], gamma=0.5, terminal=[1])
    >>> rescaled = pgbook.rescale_rewards(cliff)
    >>> rescaled.r, pgbook.value(rescaled, [[1.0], [1.0]])  # (V - r_min/(1 - gamma)) / (r_max - r_min)
    (array([[0.],
           [1.]]), array([1., 2.]))
    """
    require_mdp(mdp)
    validate.discounted(mdp, "rescale_rewards")  # with gamma = 1 the shift per step makes every value infinite
    lo, hi = float(mdp.r.min()), float(mdp.r.max())
    if hi == lo:
        raise ValueError(f"mdp: every reward is {lo:g}, so every policy is as good as any other; nothing to rescale")
    return mdp.replace(r=(mdp.r - lo) / (hi - lo), terminal=None)
