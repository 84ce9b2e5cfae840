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
    >>> import numpy as np, pgbook
    >>> mdp = pgbook.envs.three_state()  # 3 states in a row, gamma = 0.9, rho = (0.5, 0.3, 0.2)
    >>> pi = [[0.5, 0.5], [0.25, 0.75], [0.0, 1.0]]
    >>> P_pi, r_pi = pgbook.policy_matrices(mdp, pi)
    >>> print(P_pi)  # row 1: left 0.25 to state 0; right stays 0.75 * 0.2, moves on 0.75 * 0.8
    [[0.6  0.4  0.  ]
     [0.25 0.15 0.6 ]
     [0.   0.   1.  ]]
    >>> print(r_pi)  # 0.5 * r(0, left) = 0.5 * 0.1; r(2, right) = 1
    [0.05 0.   1.  ]
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
    >>> import numpy as np, pgbook
    >>> mdp = pgbook.envs.three_state()  # 3 states in a row, gamma = 0.9, rho = (0.5, 0.3, 0.2)
    >>> pi = [[0.5, 0.5], [0.25, 0.75], [0.0, 1.0]]
    >>> V = pgbook.value(mdp, pi)
    >>> print(np.round(V, 4))  # state 2 earns 1 forever: 1 / (1 - 0.9) = 10
    [ 6.2709  7.8739 10.    ]
    >>> P_pi, r_pi = pgbook.policy_matrices(mdp, pi)
    >>> bool(np.allclose(V, r_pi + mdp.gamma * P_pi @ V))  # the Bellman equation
    True
    """
    require_mdp(mdp)
    _, _, V = _inner.factor(mdp, _policy(mdp, pi), mdp.r)
    return V


def q_value(mdp: MDP, pi) -> np.ndarray:
    r"""Action values :math:`Q^\pi` of a policy,

    .. math:: Q^\pi(s, a) = r(s, a) + \gamma \sum_{s'} P(s'|s, a) V^\pi(s').

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
    >>> import numpy as np, pgbook
    >>> mdp = pgbook.envs.three_state()  # 3 states in a row, gamma = 0.9, rho = (0.5, 0.3, 0.2)
    >>> pi = [[0.5, 0.5], [0.25, 0.75], [0.0, 1.0]]
    >>> Q, V = pgbook.q_value(mdp, pi), pgbook.value(mdp, pi)
    >>> print(np.round(Q, 4))
    [[ 5.7438  6.798 ]
     [ 5.6438  8.6173]
     [ 7.0865 10.    ]]
    >>> bool(np.allclose(Q, mdp.r + mdp.gamma * mdp.P @ V)), bool(np.allclose((np.array(pi) * Q).sum(axis=1), V))
    (True, True)
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
    >>> import numpy as np, pgbook
    >>> mdp = pgbook.envs.three_state()  # 3 states in a row, gamma = 0.9, rho = (0.5, 0.3, 0.2)
    >>> pi = [[0.5, 0.5], [0.25, 0.75], [0.0, 1.0]]
    >>> adv = pgbook.advantage(mdp, pi)
    >>> print(np.round(adv, 4))  # Q - V: right is better in states 0 and 1
    [[-0.5271  0.5271]
     [-2.2301  0.7434]
     [-2.9135  0.    ]]
    >>> bool(np.allclose((np.array(pi) * adv).sum(axis=1), 0.0))  # sum_a pi(a|s) A(s, a) = 0
    True
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
    >>> import numpy as np, pgbook
    >>> mdp = pgbook.envs.three_state()  # 3 states in a row, gamma = 0.9, rho = (0.5, 0.3, 0.2)
    >>> pi = [[0.5, 0.5], [0.25, 0.75], [0.0, 1.0]]
    >>> d = pgbook.visitation(mdp, pi)
    >>> print(np.round(d, 4), round(float(d.sum()), 12))
    [0.1578 0.1003 0.7419] 1.0
    >>> P_pi, _ = pgbook.policy_matrices(mdp, pi)
    >>> bool(np.allclose(d, (1 - mdp.gamma) * mdp.rho + mdp.gamma * P_pi.T @ d))  # d' = (1-g) rho' + g d' P_pi
    True
    >>> print(np.round(pgbook.visitation(mdp, pi, rho=1), 4))  # from s_0 = 1: d >= (1 - gamma) e_1
    [0.071  0.1452 0.7838]
    >>> corridor = pgbook.envs.short_corridor()  # episodic: a fair coin visits S_1..S_3 6, 4, 2 times
    >>> print(np.round(pgbook.visitation(corridor, pgbook.uniform(corridor)), 4))
    [0.5    0.3333 0.1667 0.    ]
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
    >>> import numpy as np, pgbook
    >>> mdp = pgbook.envs.three_state()  # 3 states in a row, gamma = 0.9, rho = (0.5, 0.3, 0.2)
    >>> pi = [[0.5, 0.5], [0.25, 0.75], [0.0, 1.0]]
    >>> ev = pgbook.evaluate(mdp, pi)
    >>> round(ev.V_rho, 4), bool(np.isclose(ev.V_rho, mdp.rho @ ev.V)), bool(np.allclose(ev.adv, ev.Q - ev.V[:, None]))
    (7.4976, True, True)
    >>> r_pi = (np.array(pi) * mdp.r).sum(axis=1)  # V(rho) = E_{s ~ d}[r_pi(s)] / (1 - gamma):
    >>> round(float(ev.d @ r_pi) / (1 - mdp.gamma), 4), bool(np.allclose(ev.occupancy, ev.d / (1 - mdp.gamma)))
    (7.4976, True)
    >>> big = pgbook.envs.random_mdp(50, 2, seed=0)  # from 48 states on, LAPACK factors and solves
    >>> ev, (P_pi, r_pi) = pgbook.evaluate(big, pgbook.uniform(big)), pgbook.policy_matrices(big, pgbook.uniform(big))
    >>> bool(np.allclose(ev.V, np.linalg.solve(np.eye(50) - 0.9 * P_pi, r_pi)))
    True
    >>> bool(np.allclose(ev.Q, big.r + 0.9 * big.P @ ev.V))
    True
    >>> bool(np.allclose(ev.d, 0.1 * np.linalg.solve(np.eye(50) - 0.9 * P_pi.T, big.rho)))
    True
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

