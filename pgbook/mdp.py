r"""The finite Markov decision process :math:`M = (\mathcal S, \mathcal A, P, r, \gamma, \rho)`."""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence

import numpy as np

from . import _validate as check


class MDP:
    r"""A finite MDP with ``S`` states and ``A`` actions.

    Parameters
    ----------
    P : array (S, A, S)
        Transition probabilities, :math:`P[s, a, s'] = \Pr(s_{t+1} = s' \mid s_t = s, a_t = a)`.
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

    The arrays are stored as read-only float64 copies, so an ``MDP`` is validated once and can be
    shared freely; the solvers then only check the policy they are given.
    """

    __slots__ = ("P", "r", "gamma", "rho", "terminal", "S", "A")

    def __init__(self, P, r, gamma, rho=None, *, terminal=None):
        P = check.array(P, "P", ndim=3)
        S, A, S2 = P.shape
        if S == 0 or A == 0 or S2 != S:
            raise ValueError(f"P: expected shape (S, A, S) with S, A >= 1, got {P.shape}")
        check.distribution_rows(P, "P")
        r = check.array(r, "r", shape=(S, A))
        term = _terminal_mask(terminal, S)
        g = check.gamma(gamma, allow_one=bool(term.any()))
        rho = np.full(S, 1.0 / S) if rho is None else check.distribution(rho, "rho", S)
        for s in np.flatnonzero(term):
            if not np.allclose(P[s, :, s], 1.0, rtol=0, atol=check.PROB_TOL) or np.any(r[s] != 0.0):
                raise ValueError(f"terminal: state {s} must be absorbing with zero reward")
        for name, a in (("P", P), ("r", r), ("rho", rho), ("terminal", term)):
            a = np.array(a, copy=True)
            a.flags.writeable = False
            object.__setattr__(self, name, a)
        object.__setattr__(self, "gamma", g)
        object.__setattr__(self, "S", S)
        object.__setattr__(self, "A", A)

    def __setattr__(self, name, value):
        raise AttributeError("MDP is immutable; build a new one with pgbook.MDP(...)")

    def __repr__(self) -> str:
        episodic = f", terminal={np.flatnonzero(self.terminal).tolist()}" if self.terminal.any() else ""
        return f"MDP(S={self.S}, A={self.A}, gamma={self.gamma:g}{episodic})"

    def replace(self, **changes) -> "MDP":
        """A copy with some of ``P, r, gamma, rho, terminal`` replaced, e.g. ``mdp.replace(gamma=0.5)``."""
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

        ``table[s][a]`` is a list of ``(prob, next_state, reward, done)`` tuples, as exposed by
        ``gymnasium.make("FrozenLake-v1").unwrapped.P``. Then

        .. math:: P[s, a, s'] = \sum \text{prob}, \qquad r(s, a) = \sum \text{prob} \cdot \text{reward},

        summing over the tuples with that ``next_state``. A state reached with ``done = True`` is
        terminal: it is made absorbing with zero reward, whatever its own row said.
        """
        if not isinstance(table, (Mapping, Sequence)) or isinstance(table, (str, bytes)):
            raise TypeError(f"table: expected a mapping or sequence P[s][a], got {type(table).__name__}")
        S = len(table)
        if S == 0:
            raise ValueError("table: has no states")
        keys = sorted(table.keys()) if isinstance(table, Mapping) else list(range(S))
        if keys != list(range(S)):
            raise ValueError("table: states must be numbered 0..S-1")
        A = len(table[0])
        P = np.zeros((S, A, S))
        r = np.zeros((S, A))
        terminal = np.zeros(S, dtype=bool)
        for s in range(S):
            row = table[s]
            if len(row) != A:
                raise ValueError(f"table: state {s} has {len(row)} actions, state 0 has {A}")
            for a in range(A):
                for entry in row[a]:
                    if len(entry) != 4:
                        raise ValueError(f"table[{s}][{a}]: entries must be (prob, next_state, reward, done)")
                    prob, nxt, reward, done = entry
                    if not isinstance(nxt, numbers.Integral) or not 0 <= nxt < S:
                        raise ValueError(f"table[{s}][{a}]: next_state {nxt!r} is not a state in [0, {S})")
                    P[s, a, nxt] += prob
                    r[s, a] += prob * reward
                    terminal[nxt] |= bool(done)
        for s in np.flatnonzero(terminal):
            P[s] = 0.0
            P[s, :, s] = 1.0
            r[s] = 0.0
        return cls(P, r, gamma, rho, terminal=terminal)


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
