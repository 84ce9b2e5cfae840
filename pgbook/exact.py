r"""Exact policy evaluation: values, action values, advantages and visitation measures.

For a stochastic policy :math:`\pi` write :math:`P_\pi(s, s') = \sum_a \pi(a|s) P(s'|s, a)` and
:math:`r_\pi(s) = \sum_a \pi(a|s) r(s, a)`. Everything here comes from one LU factorisation of
:math:`I - \gamma P_\pi`:

.. math::

    V^\pi = (I - \gamma P_\pi)^{-1} r_\pi, \qquad
    d^{\pi\top}_\rho = (1 - \gamma)\, \rho^\top (I - \gamma P_\pi)^{-1}.

Episodic MDPs (``gamma = 1`` with terminal states) use the same formulas restricted to the
non-terminal states; there :math:`d^\pi_\rho` is the expected number of visits normalised to sum to 1.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import scipy.linalg

from . import _validate as check
from .mdp import MDP


class Evaluation(NamedTuple):
    r"""Everything exact policy evaluation gives, from one factorisation.

    V: (S,), Q: (S, A), A: (S, A), d: (S,) the normalised visitation :math:`d^\pi_\rho`, and
    nu: (S,) the unnormalised discounted occupancy :math:`\nu = \sum_t \gamma^t \Pr(s_t = s)`, which
    equals :math:`d^\pi_\rho / (1 - \gamma)` when :math:`\gamma < 1`. ``V_rho`` is :math:`V^\pi(\rho)`.
    """

    V: np.ndarray
    Q: np.ndarray
    A: np.ndarray
    d: np.ndarray
    nu: np.ndarray
    V_rho: float


def policy_matrices(mdp: MDP, pi) -> tuple[np.ndarray, np.ndarray]:
    r"""The Markov chain of a policy: :math:`P_\pi` ``(S, S)`` and :math:`r_\pi` ``(S,)``.

    .. math:: P_\pi(s, s') = \sum_a \pi(a|s) P(s'|s, a), \qquad r_\pi(s) = \sum_a \pi(a|s)\, r(s, a).
    """
    pi = check.policy(mdp, pi)
    return _policy_matrices(mdp, pi)


def _policy_matrices(mdp: MDP, pi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    P_pi = np.einsum("sa,sat->st", pi, mdp.P)
    r_pi = np.einsum("sa,sa->s", pi, mdp.r)
    return P_pi, r_pi


def _system(mdp: MDP, pi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The matrix ``I - gamma P_pi`` and ``r_pi``; terminal rows and columns cut for gamma = 1."""
    P_pi, r_pi = _policy_matrices(mdp, pi)
    if mdp.gamma == 1.0:
        _require_proper(mdp, P_pi)
        P_pi[mdp.terminal, :] = 0.0
        P_pi[:, mdp.terminal] = 0.0
    M = np.eye(mdp.S) - mdp.gamma * P_pi
    return M, r_pi


def _require_proper(mdp: MDP, P_pi: np.ndarray) -> None:
    """With gamma = 1, values are finite only if every state can reach a terminal state."""
    reach = mdp.terminal.copy()
    support = P_pi > 0
    while True:
        grown = reach | support[:, reach].any(axis=1)
        if (grown == reach).all():
            break
        reach = grown
    if not reach.all():
        stuck = np.flatnonzero(~reach).tolist()
        raise ValueError(
            f"pi: with gamma = 1 the policy must reach a terminal state with probability 1, "
            f"but states {stuck} never terminate"
        )


def value(mdp: MDP, pi) -> np.ndarray:
    r"""State values :math:`V^\pi = (I - \gamma P_\pi)^{-1} r_\pi`.

    mdp: MDP; pi: (S, A) a stochastic policy. Returns V: (S,).
    """
    pi = check.policy(mdp, pi)
    M, r_pi = _system(mdp, pi)
    return np.linalg.solve(M, r_pi)


def q_value(mdp: MDP, pi) -> np.ndarray:
    r"""Action values :math:`Q^\pi(s, a) = r(s, a) + \gamma \sum_{s'} P(s'|s, a) V^\pi(s')`.

    mdp: MDP; pi: (S, A). Returns Q: (S, A).
    """
    V = value(mdp, pi)
    return _q_from_v(mdp, V)


def _q_from_v(mdp: MDP, V: np.ndarray) -> np.ndarray:
    return mdp.r + mdp.gamma * (mdp.P @ V)


def advantage(mdp: MDP, pi) -> np.ndarray:
    r"""Advantages :math:`A^\pi(s, a) = Q^\pi(s, a) - V^\pi(s)`.

    mdp: MDP; pi: (S, A). Returns A: (S, A); note :math:`\sum_a \pi(a|s) A^\pi(s, a) = 0`.
    """
    V = value(mdp, pi)
    return _q_from_v(mdp, V) - V[:, None]


def visitation(mdp: MDP, pi, rho=None) -> np.ndarray:
    r"""The normalised discounted state visitation :math:`d^\pi_\rho`.

    .. math:: d^\pi_\rho(s) = (1 - \gamma) \sum_{t \ge 0} \gamma^t \Pr^\pi(s_t = s \mid s_0 \sim \rho),
              \qquad d^{\pi\top}_\rho = (1 - \gamma)\, \rho^\top (I - \gamma P_\pi)^{-1}.

    mdp: MDP; pi: (S, A); rho: ``None`` (the MDP's start distribution), a state index ``s0`` (then
    this is :math:`d^\pi_{s_0}`) or a distribution (S,). Returns d: (S,), a probability vector with
    :math:`d^\pi_\rho \ge (1 - \gamma)\rho`. For an episodic MDP (gamma = 1) it is the expected
    number of visits to each non-terminal state, normalised to sum to 1.
    """
    pi = check.policy(mdp, pi)
    rho = check.start(mdp, rho)
    M, _ = _system(mdp, pi)
    nu = np.linalg.solve(M.T, rho)
    return _normalise(mdp, nu)


def _normalise(mdp: MDP, nu: np.ndarray) -> np.ndarray:
    if mdp.gamma < 1.0:
        return (1.0 - mdp.gamma) * nu
    return nu / nu.sum()


def evaluate(mdp: MDP, pi, rho=None) -> Evaluation:
    r"""Exact evaluation of ``pi``: V, Q, A, d, nu and :math:`V^\pi(\rho)` from one LU factorisation.

    mdp: MDP; pi: (S, A); rho as in :func:`visitation`. See :class:`Evaluation` for the shapes.
    """
    pi = check.policy(mdp, pi)
    rho = check.start(mdp, rho)
    return _evaluate(mdp, pi, rho)


def _evaluate(mdp: MDP, pi: np.ndarray, rho: np.ndarray) -> Evaluation:
    """:func:`evaluate` without the argument checks, for callers that have already made them."""
    M, r_pi = _system(mdp, pi)
    lu = scipy.linalg.lu_factor(M, check_finite=False)
    V = scipy.linalg.lu_solve(lu, r_pi, check_finite=False)
    nu = scipy.linalg.lu_solve(lu, rho, trans=1, check_finite=False)
    Q = _q_from_v(mdp, V)
    return Evaluation(V=V, Q=Q, A=Q - V[:, None], d=_normalise(mdp, nu), nu=nu, V_rho=float(rho @ V))
