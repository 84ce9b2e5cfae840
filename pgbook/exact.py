r"""Exact policy evaluation: values, action values, advantages and visitation measures.

For a stochastic policy :math:`\pi` write :math:`P_\pi(s, s') = \sum_a \pi(a|s) P(s'|s, a)` and
:math:`r_\pi(s) = \sum_a \pi(a|s) r(s, a)`. Everything here comes from one LU factorisation of
:math:`I - \gamma P_\pi` (numba kernels, which the optimisation runs of :mod:`pgbook.algorithms`
use too):

.. math::

    V^\pi = (I - \gamma P_\pi)^{-1} r_\pi, \qquad
    d^{\pi\top}_\rho = (1 - \gamma)\, \rho^\top (I - \gamma P_\pi)^{-1}

(Agarwal, Kakade, Lee and Mahajan 2021, section 3; Puterman 1994, Theorem 6.1.1). Episodic MDPs
(``gamma = 1`` with terminal states) use the same formulas restricted to the non-terminal states;
there :math:`d^\pi_\rho` is the expected number of visits normalised to sum to 1.
"""

from __future__ import annotations


import numpy as np

from . import _inner
from ._inner import Evaluation
from . import _validate as validate
from ._numba import kernel_array
from .mdp import MDP, require_mdp


def policy_matrices(mdp: MDP, pi) -> tuple[np.ndarray, np.ndarray]:
    r"""The Markov chain of a policy: its transition matrix and expected reward.

    .. math:: P_\pi(s, s') = \sum_a \pi(a|s) P(s'|s, a), \qquad r_\pi(s) = \sum_a \pi(a|s)\, r(s, a)

    (Puterman 1994, section 2.1.2).

    Parameters
    ----------
    mdp : MDP
    pi : array (S, A)
        A stochastic policy: each row a distribution over actions.

    Returns
    -------
    P_pi : array (S, S)
    r_pi : array (S,)

    Examples
    --------
    >>> import pgbook
    >>> mdp = pgbook.envs.bandit([1.0, 0.0])
    >>> P_pi, r_pi = pgbook.policy_matrices(mdp, [[0.25, 0.75]])
    >>> P_pi, r_pi
    (array([[1.]]), array([0.25]))
    """
    require_mdp(mdp)
    pi = validate.policy(mdp, pi)
    return np.einsum("sa,sat->st", pi, mdp.P), np.einsum("sa,sa->s", pi, mdp.r)


def value(mdp: MDP, pi) -> np.ndarray:
    r"""State values :math:`V^\pi = (I - \gamma P_\pi)^{-1} r_\pi`.

    The Bellman equation :math:`V^\pi = r_\pi + \gamma P_\pi V^\pi` solved exactly (Puterman 1994,
    Theorem 6.1.1; Agarwal, Kakade, Lee and Mahajan 2021, section 3).

    Parameters
    ----------
    mdp : MDP
    pi : array (S, A)
        A stochastic policy. With ``gamma = 1`` it must reach a terminal state from every state.

    Returns
    -------
    V : array (S,)

    Examples
    --------
    >>> import pgbook
    >>> mdp = pgbook.envs.bandit([1.0, 0.0], gamma=0.5)
    >>> pgbook.value(mdp, [[0.5, 0.5]])  # 0.5 / (1 - 0.5)
    array([1.])
    """
    require_mdp(mdp)
    _, _, V = _inner.factor(mdp, _policy(mdp, pi), mdp.r)
    return V


def q_value(mdp: MDP, pi) -> np.ndarray:
    r"""Action values :math:`Q^\pi(s, a) = r(s, a) + \gamma \sum_{s'} P(s'|s, a) V^\pi(s')`.

    (Agarwal, Kakade, Lee and Mahajan 2021, section 3.)

    Parameters
    ----------
    mdp : MDP
    pi : array (S, A)
        A stochastic policy.

    Returns
    -------
    Q : array (S, A)

    Examples
    --------
    >>> import pgbook
    >>> mdp = pgbook.envs.bandit([1.0, 0.0], gamma=0.5)
    >>> pgbook.q_value(mdp, [[0.5, 0.5]])  # r + 0.5 V
    array([[1.5, 0.5]])
    """
    require_mdp(mdp)
    _, _, V = _inner.factor(mdp, _policy(mdp, pi), mdp.r)
    return _inner.q_from_v(mdp, V)


def advantage(mdp: MDP, pi) -> np.ndarray:
    r"""Advantages :math:`A^\pi(s, a) = Q^\pi(s, a) - V^\pi(s)`.

    Note :math:`\sum_a \pi(a|s) A^\pi(s, a) = 0` (Agarwal, Kakade, Lee and Mahajan 2021, section 3).

    Parameters
    ----------
    mdp : MDP
    pi : array (S, A)
        A stochastic policy.

    Returns
    -------
    adv : array (S, A)

    Examples
    --------
    >>> import pgbook
    >>> mdp = pgbook.envs.bandit([1.0, 0.0], gamma=0.5)
    >>> pgbook.advantage(mdp, [[0.5, 0.5]])
    array([[ 0.5, -0.5]])
    """
    require_mdp(mdp)
    _, _, V = _inner.factor(mdp, _policy(mdp, pi), mdp.r)
    return _inner.q_from_v(mdp, V) - V[:, None]


def visitation(mdp: MDP, pi, rho=None) -> np.ndarray:
    r"""The normalised discounted state visitation :math:`d^\pi_\rho`.

    .. math:: d^\pi_\rho(s) = (1 - \gamma) \sum_{t \ge 0} \gamma^t \Pr^\pi(s_t = s \mid s_0 \sim \rho),
              \qquad d^{\pi\top}_\rho = (1 - \gamma)\, \rho^\top (I - \gamma P_\pi)^{-1}

    (Agarwal, Kakade, Lee and Mahajan 2021, section 3). It is a probability vector with
    :math:`d^\pi_\rho \ge (1 - \gamma)\rho`. For an episodic MDP (gamma = 1) it is the expected
    number of visits to each non-terminal state, normalised to sum to 1.

    Parameters
    ----------
    mdp : MDP
    pi : array (S, A)
        A stochastic policy.
    rho : None, int or array (S,), optional
        ``None`` (the MDP's start distribution), a state index ``s0`` (then this is
        :math:`d^\pi_{s_0}`) or a distribution.

    Returns
    -------
    d : array (S,)

    Examples
    --------
    >>> import pgbook
    >>> mdp = pgbook.MDP([[[0.0, 1.0]], [[0.0, 1.0]]], [[0.0], [0.0]], gamma=0.5)
    >>> pgbook.visitation(mdp, [[1.0], [1.0]], rho=0)  # (1 - 0.5) (1, 0.5 + 0.25 + ...)
    array([0.5, 0.5])
    """
    require_mdp(mdp)
    pi = _policy(mdp, pi)
    rho = validate.start(mdp, rho)
    M, piv, _ = _inner.factor(mdp, pi, mdp.r)
    return _inner.normalise(mdp, _inner.occupancy(M, piv, rho))


def evaluate(mdp: MDP, pi, rho=None) -> Evaluation:
    r"""Exact evaluation of ``pi``: :math:`V, Q, A, d, \nu` and :math:`V^\pi(\rho)` from one LU factorisation.

    (Agarwal, Kakade, Lee and Mahajan 2021, section 3; Puterman 1994, Theorem 6.1.1.)

    The formulas of :func:`value`, :func:`q_value`, :func:`advantage` and :func:`visitation`.

    Parameters
    ----------
    mdp : MDP
    pi : array (S, A)
        A stochastic policy.
    rho : None, int or array (S,), optional
        As in :func:`visitation`.

    Returns
    -------
    Evaluation
        Fields ``V, Q, adv, d, nu, V_rho``.

    Examples
    --------
    >>> import pgbook
    >>> ev = pgbook.evaluate(pgbook.envs.bandit([1.0, 0.0], gamma=0.5), [[0.5, 0.5]])
    >>> ev.V_rho, ev.adv
    (1.0, array([[ 0.5, -0.5]]))
    """
    require_mdp(mdp)
    pi = _policy(mdp, pi)
    rho = validate.start(mdp, rho)
    M, piv, V = _inner.factor(mdp, pi, mdp.r)
    return _inner.evaluation_of(mdp, M, piv, V, rho)


def _policy(mdp: MDP, pi, name: str = "pi") -> np.ndarray:
    """``pi`` as a kernel array of shape (S, A); :func:`_factor` checks that its rows are distributions."""
    if not (type(pi) is np.ndarray and pi.dtype == np.float64 and pi.shape == (mdp.S, mdp.A)):
        pi = validate.array(pi, name, shape=(mdp.S, mdp.A))
    return kernel_array(pi)

