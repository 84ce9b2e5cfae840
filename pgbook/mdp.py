r"""The finite Markov decision process :math:`M = (\mathcal S, \mathcal A, P, r, \gamma, \rho)`.

(Puterman 1994, chapter 2; Agarwal, Kakade, Lee and Mahajan 2021, section 2.) :func:`require_mdp` is
the check every public function makes of its ``mdp`` argument.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence

import numpy as np

from . import _validate as validate


class MDP:
    r"""A finite MDP with ``S`` states and ``A`` actions.

    The arrays are stored as read-only float64 copies, so an ``MDP`` is validated once and can be
    shared freely; the solvers then only check the policy they are given.

    Parameters
    ----------
    P : array (S, A, S)
        Transition probabilities,

        .. math:: P[s, a, s'] = \Pr(s_{t+1} = s' \mid s_t = s, a_t = a).

        Every row ``P[s, a]`` sums to 1 (within ``1e-8``).
    r : array (S, A)
        Expected reward :math:`r(s, a)`. The book's bounds assume :math:`r \in [0, 1]`.
    gamma : float
        Discount factor :math:`\gamma \in [0, 1)`. ``gamma = 1`` is allowed only for an episodic MDP
        (``terminal`` given), where values are finite for policies that terminate with probability 1.
    rho : array (S,), optional
        Start distribution :math:`\rho`; uniform when omitted.
    terminal : array of bool (S,) or sequence of state indices, optional
        Terminal states. Each must be absorbing with zero reward.

    Attributes
    ----------
    P : array (S, A, S)
        As given, read-only.
    r : array (S, A)
        As given, read-only.
    gamma : float
    rho : array (S,)
        As given, or uniform; read-only.
    terminal : array of bool (S,)
    S : int
        The number of states.
    A : int
        The number of actions.
    span : int array (S, A, 2)
        Where each row of ``P`` can be nonzero: :math:`P(s'|s, a) = 0` unless
        ``span[s, a, 0] <= s' < span[s, a, 1]``. The evaluation loops visit only these next states,
        so a banded MDP (a chain, a gridworld) evaluates in time proportional to its band.

    Examples
    --------
    >>> import pgbook
    >>> mdp = pgbook.MDP(P=[[[0.0, 1.0]], [[0.0, 1.0]]], r=[[1.0], [0.0]], gamma=0.9, terminal=[1])
    >>> mdp, mdp.S, mdp.A, mdp.rho  # rho uniform when omitted
    (MDP(S=2, A=1, gamma=0.9, terminal=[1]), 2, 1, array([0.5, 0.5]))
    >>> mdp.span.tolist()  # P(s'|s, a) = 0 unless span[s, a, 0] <= s' < span[s, a, 1]
    [[[1, 2]], [[1, 2]]]
    >>> mdp.replace(gamma=0.5).gamma, pgbook.value(mdp, [[1.0], [1.0]])  # reward 1, then the terminal state
    (0.5, array([1., 0.]))
    """

    __slots__ = ("P", "r", "gamma", "rho", "terminal", "S", "A", "span")

    def __init__(self, P, r, gamma, rho=None, *, terminal=None):
        P = validate.array(P, "P", ndim=3)
        S, A, S2 = P.shape
        if S == 0 or A == 0 or S2 != S:
            raise ValueError(f"P: expected shape (S, A, S) with S, A >= 1, got {P.shape}")
        validate.distribution_rows(P, "P")
        r = validate.array(r, "r", shape=(S, A))
        term = _terminal_mask(terminal, S)
        g = validate.gamma(gamma, allow_one=bool(term.any()))
        rho = np.full(S, 1.0 / S) if rho is None else validate.distribution(rho, "rho", S)
        for s in np.flatnonzero(term):
            if not np.allclose(P[s, :, s], 1.0, rtol=0, atol=validate.PROB_TOL) or np.any(r[s] != 0.0):
                raise ValueError(f"terminal: state {s} must be absorbing with zero reward")
        for name, a in (("P", P), ("r", r), ("rho", rho), ("terminal", term)):
            # C order whatever the caller's (a transposed P, say): the kernels reshape P in place.
            a = np.array(a, copy=True, order="C")
            a.flags.writeable = False
            object.__setattr__(self, name, a)
        object.__setattr__(self, "gamma", g)
        object.__setattr__(self, "S", S)
        object.__setattr__(self, "A", A)
        # Every row sums to 1, so it has a first and a last nonzero entry.
        nonzero = P != 0.0
        span = np.stack([nonzero.argmax(axis=2), S - nonzero[:, :, ::-1].argmax(axis=2)], axis=2)
        span.flags.writeable = False
        object.__setattr__(self, "span", span)

    def __setattr__(self, name, value):
        raise AttributeError("MDP is immutable; build a new one with pgbook.MDP(...)")

    def __repr__(self) -> str:
        episodic = f", terminal={np.flatnonzero(self.terminal).tolist()}" if self.terminal.any() else ""
        return f"MDP(S={self.S}, A={self.A}, gamma={self.gamma:g}{episodic})"

    def replace(self, **changes) -> "MDP":
        """A copy with some of ``P, r, gamma, rho, terminal`` replaced, e.g. ``mdp.replace(gamma=0.5)``.

        Parameters
        ----------
        **changes
            New values for some of ``P, r, gamma, rho, terminal``, checked as in :class:`MDP`.

        Returns
        -------
        MDP
            Of the same class (a gridworld stays a gridworld).
        """
        unknown = set(changes) - {"P", "r", "gamma", "rho", "terminal"}
        if unknown:
            raise TypeError(f"replace: unknown field(s) {sorted(unknown)}")
        fields = {k: getattr(self, k) for k in ("P", "r", "gamma", "rho", "terminal")}
        fields.update(changes)
        fresh = MDP(fields["P"], fields["r"], fields["gamma"], fields["rho"], terminal=fields["terminal"])
        if type(self) is MDP:
            return fresh
        # A subclass (e.g. a gridworld) keeps its extra attributes, such as the layout to draw it.
        out = object.__new__(type(self))
        for cls in type(self).__mro__:
            for name in getattr(cls, "__slots__", ()):
                object.__setattr__(out, name, getattr(fresh if cls is MDP else self, name))
        return out

    @classmethod
    def from_gym(cls, table, gamma, rho=None) -> "MDP":
        r"""Build an MDP from a Gymnasium toy-text transition table.

        .. math:: P[s, a, s'] = \sum_{k:\ \text{next}_k = s'} \text{prob}_k, \qquad
                  r(s, a) = \sum_k \text{prob}_k\, \text{reward}_k,

        summing over the tuples ``table[s][a][k] = (prob_k, next_k, reward_k, done_k)`` (the layout of
        ``gymnasium.make("FrozenLake-v1").unwrapped.P``; Towers et al. 2024, *Gymnasium*). A state
        reached with ``done = True`` is terminal: it is made absorbing with zero reward, whatever its
        own row said, so its entropy and values are 0 everywhere in pgbook.

        Parameters
        ----------
        table : mapping or sequence
            ``table[s][a]``: a list of ``(prob, next_state, reward, done)`` tuples for every state
            ``s = 0..S-1`` and every action ``a = 0..A-1``.
        gamma : float
            The discount factor, in [0, 1] (1 only if some state is terminal).
        rho : array (S,), optional
            The start distribution; uniform by default.

        Returns
        -------
        MDP

        Raises
        ------
        TypeError, ValueError
            Naming the entry ``table[s][a][k]`` that is malformed: a missing action, an entry that
            is not a 4-tuple, a probability or reward that is not a real number, a next state out of
            range, or probabilities that do not sum to 1.

        Examples
        --------
        >>> table = {0: {0: [(0.5, 0, 0.0, False), (0.5, 1, 1.0, True)]}, 1: {0: [(1.0, 1, 0.0, True)]}}
        >>> mdp = MDP.from_gym(table, gamma=0.9)
        >>> mdp, mdp.P[0, 0], float(mdp.r[0, 0])  # r(0, 0) = 0.5 * 0.0 + 0.5 * 1.0
        (MDP(S=2, A=1, gamma=0.9, terminal=[1]), array([0.5, 0.5]), 0.5)
        """
        S = len(_entries(table, "table"))
        if S == 0:
            raise ValueError("table: has no states")
        A = len(_entries(table[0], "table[0]"))
        if A == 0:
            raise ValueError("table[0]: has no actions")
        P = np.zeros((S, A, S))
        r = np.zeros((S, A))
        terminal = np.zeros(S, dtype=bool)
        for s in range(S):
            row = _entries(table[s], f"table[{s}]")
            if len(row) != A:
                raise ValueError(f"table[{s}]: has {len(row)} actions, table[0] has {A}")
            for a in range(A):
                outcomes = row[a]
                if isinstance(outcomes, (str, bytes)) or not isinstance(outcomes, Sequence):
                    raise TypeError(f"table[{s}][{a}]: expected a list of (prob, next_state, reward, done) "
                                    f"tuples, got {type(outcomes).__name__}")
                for k, entry in enumerate(outcomes):
                    where = f"table[{s}][{a}][{k}]"
                    if isinstance(entry, (str, bytes)) or not isinstance(entry, Sequence) or len(entry) != 4:
                        raise TypeError(f"{where}: expected a (prob, next_state, reward, done) tuple, got {entry!r}")
                    prob, nxt, reward, done = entry
                    for field, x in (("prob", prob), ("reward", reward)):
                        if isinstance(x, bool) or not isinstance(x, numbers.Real) or not np.isfinite(x):
                            raise TypeError(f"{where}: {field} must be a finite real number, got {x!r}")
                    if not 0.0 <= prob <= 1.0:
                        raise ValueError(f"{where}: prob must lie in [0, 1], got {prob!r}")
                    if isinstance(nxt, bool) or not isinstance(nxt, numbers.Integral) or not 0 <= nxt < S:
                        raise ValueError(f"{where}: next_state {nxt!r} is not a state in [0, {S})")
                    if not isinstance(done, (bool, np.bool_)):
                        raise TypeError(f"{where}: done must be a bool, got {done!r}")
                    P[s, a, nxt] += prob
                    r[s, a] += prob * reward
                    terminal[nxt] |= bool(done)
        for s in np.flatnonzero(terminal):
            P[s] = 0.0
            P[s, :, s] = 1.0
            r[s] = 0.0
        total = P.sum(axis=2)
        bad = np.argwhere(np.abs(total - 1.0) > validate.PROB_TOL)
        if bad.size:
            s, a = bad[0]
            raise ValueError(f"table[{s}][{a}]: probabilities sum to {total[s, a]:.12g}, not 1")
        return cls(P, r, gamma, rho, terminal=terminal)


def require_mdp(m, name: str = "mdp") -> "MDP":
    """The MDP argument of a public function: a :class:`MDP`, or ``TypeError`` naming ``name``.

    Source: pgbook's argument checks (:mod:`pgbook._validate`): bad input names the argument.

    Parameters
    ----------
    m : object
    name : str
        The argument's name in the message.

    Returns
    -------
    MDP
        ``m`` itself.

    Examples
    --------
    >>> import pgbook
    >>> from pgbook.mdp import require_mdp
    >>> require_mdp(pgbook.envs.three_state()) is not None
    True
    >>> require_mdp("FrozenLake-v1", "env")
    Traceback (most recent call last):
        ...
    TypeError: env: expected a pgbook.MDP, got str
    """
    if not isinstance(m, MDP):
        raise TypeError(f"{name}: expected a pgbook.MDP, got {type(m).__name__}")
    return m


def _entries(x, name: str):
    """``x`` as a sequence indexed 0..n-1: a sequence, or a mapping whose keys are exactly 0..n-1."""
    if isinstance(x, Mapping):
        keys = list(x.keys())
        if any(isinstance(k, bool) or not isinstance(k, numbers.Integral) for k in keys) or sorted(keys) != list(
                range(len(keys))):
            raise ValueError(f"{name}: keys must be numbered 0..{len(keys) - 1}, got {keys!r}")
        return [x[i] for i in range(len(x))]
    if isinstance(x, (str, bytes)) or not isinstance(x, Sequence):
        raise TypeError(f"{name}: expected a mapping or sequence, got {type(x).__name__}")
    return x


def _terminal_mask(terminal, S: int) -> np.ndarray:
    if terminal is None:
        return np.zeros(S, dtype=bool)
    t = np.asarray(terminal)
    if t.dtype == bool:
        if t.shape != (S,):
            raise ValueError(f"terminal: a boolean mask must have shape ({S},), got {t.shape}")
        return t.copy()
    if t.size and not np.issubdtype(t.dtype, np.integer):
        raise TypeError(f"terminal: expected a boolean mask or state indices, got dtype {t.dtype}")
    mask = np.zeros(S, dtype=bool)
    idx = t.astype(np.int64).ravel()
    if idx.size and (idx.min() < 0 or idx.max() >= S):
        raise ValueError(f"terminal: state indices must lie in [0, {S}), got {idx.tolist()}")
    mask[idx] = True
    return mask
