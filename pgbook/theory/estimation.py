r"""What a truncated REINFORCE estimate estimates, exactly: the truncated value, its gradient, and
how far that gradient can be from the true one.

:func:`pgbook.reinforce_gradient` with horizon :math:`H` averages

.. math:: \widehat{\nabla V}_H = \sum_{t=0}^{H-1} \gamma^t \hat Q_H(s_t, a_t)\, \nabla_\theta \log\pi_\theta(a_t|s_t),
          \qquad \hat Q_H(s_t, a_t) = \sum_{t'=t}^{H-1} \gamma^{t'-t} r(s_{t'}, a_{t'}),

whose mean is the gradient of the truncated value :math:`V_H(\rho) = \mathbb E \sum_{t<H} \gamma^t r_t`,
not of :math:`V^{\pi_\theta}(\rho)`. This module computes both exactly and bounds their difference:

- :func:`truncated_value` -- :math:`V_H = \sum_{t<H} \gamma^t P_\pi^t r_\pi`;
- :func:`truncated_softmax_gradient` -- :math:`\nabla_\theta V_H(\rho)` for the softmax policy, the
  exact mean of the truncated estimator;
- :func:`truncation_bias_bound` -- a bound of order :math:`\gamma^H` on
  :math:`|\partial V/\partial\theta_{s,a} - \partial V_H/\partial\theta_{s,a}|`.

Sources: the likelihood-ratio estimator is Glynn (1990) and Williams (1992, REINFORCE); its
unbiasedness is AJKS Lemma 11.7. The finite-horizon gradient and the bound are derived in the book's
chapter *Estimating the gradient* (the bound uses AKLM Eq. (10) for the tail).
"""

from __future__ import annotations

import numpy as np

from .. import _validate as validate
from ..mdp import MDP, require_mdp
from ..policies import softmax


def truncated_value(mdp: MDP, pi, horizon: int) -> np.ndarray:
    r"""The value of ``pi`` over the first ``horizon`` steps only.

    .. math:: V_H(s) = \mathbb E\Big[\sum_{t=0}^{H-1} \gamma^t r(s_t, a_t) \,\Big|\, s_0 = s\Big]
              = \sum_{t=0}^{H-1} \gamma^t \big(P_\pi^t r_\pi\big)(s),

    computed by the recursion :math:`V_0 = 0`, :math:`V_k = r_\pi + \gamma P_\pi V_{k-1}`. It differs
    from :math:`V^\pi` by :math:`\gamma^H P_\pi^H V^\pi`, at most :math:`\gamma^H/(1-\gamma)` for rewards
    in [0, 1].

    (AJKS section 11.2: the horizon-H problem that REINFORCE estimates.)

    Parameters
    ----------
    mdp : MDP
    pi : array (S, A)
        A stochastic policy.
    horizon : int
        The number of steps H, >= 1.

    Returns
    -------
    V_H : ndarray (S,)

    Examples
    --------
    >>> import pgbook
    >>> from pgbook.theory import estimation
    >>> mdp = pgbook.envs.random_mdp(3, 2, seed=0, gamma=0.9)
    >>> pi = pgbook.softmax([[0.5, -0.5], [1.0, 0.0], [0.0, 0.3]])
    >>> estimation.truncated_value(mdp, pi, 5).round(4)
    array([1.2753, 0.9918, 1.6813])
    >>> bool((pgbook.value(mdp, pi) - estimation.truncated_value(mdp, pi, 50)).max() < 0.9**50 / 0.1)
    True
    """
    pi = validate.policy(require_mdp(mdp), pi)
    horizon = validate.positive_int(horizon, "horizon")
    _, V = _truncated_tables(mdp, pi, horizon)
    return V[horizon]


def truncated_softmax_gradient(mdp: MDP, theta, horizon: int, rho=None) -> np.ndarray:
    r"""The exact gradient of the truncated value :math:`V_H(\rho)` for the tabular softmax policy.

    .. math:: \frac{\partial V_H(\rho)}{\partial \theta_{s,a}}
              = \sum_{t=0}^{H-1} \gamma^t \Pr(s_t = s)\, \pi_\theta(a|s)
                \big(Q_{H-t}(s, a) - V_{H-t}(s)\big),

    with :math:`s_0 \sim \rho`, the :math:`k`-step values :math:`V_0 = 0`,
    :math:`Q_k = r + \gamma P V_{k-1}`, :math:`V_k(s) = \sum_a \pi_\theta(a|s) Q_k(s, a)`. This is the
    mean of :func:`pgbook.reinforce_gradient` with ``horizon = H`` (AJKS Lemma 11.7 applied to the
    H-step problem), and it tends to :func:`pgbook.softmax_gradient` (AKLM Eq. (10)) as
    :math:`H \to \infty`, within :func:`truncation_bias_bound`.

    Cost :math:`O(H S^2 A)`.

    Parameters
    ----------
    mdp : MDP
    theta : array (S, A)
    horizon : int
        The number of steps H, >= 1.
    rho : None, int or array (S,)
        The start distribution: the MDP's by default, a state, or a distribution.

    Returns
    -------
    grad : ndarray (S, A)
        :math:`\partial V_H(\rho) / \partial\theta`; each row sums to 0.

    Examples
    --------
    >>> import pgbook
    >>> from pgbook.theory import estimation
    >>> mdp = pgbook.envs.random_mdp(3, 2, seed=0, gamma=0.9)
    >>> theta = [[0.5, -0.5], [1.0, 0.0], [0.0, 0.3]]
    >>> estimation.truncated_softmax_gradient(mdp, theta, 3).round(4)
    array([[-0.0388,  0.0388],
           [-0.0034,  0.0034],
           [ 0.0277, -0.0277]])
    >>> bias = pgbook.softmax_gradient(mdp, theta) - estimation.truncated_softmax_gradient(mdp, theta, 30)
    >>> bool(abs(bias).max() <= estimation.truncation_bias_bound(0.9, 30))
    True
    """
    theta = validate.theta(require_mdp(mdp), theta)
    horizon = validate.positive_int(horizon, "horizon")
    rho = validate.start(mdp, rho)
    pi = softmax(theta)
    Q, V = _truncated_tables(mdp, pi, horizon)
    P_pi = np.einsum("sa,sat->st", pi, mdp.P)
    grad = np.zeros((mdp.S, mdp.A))
    p_t = rho.copy()  # Pr(s_t = .)
    for t in range(horizon):
        k = horizon - t
        grad += mdp.gamma**t * p_t[:, None] * pi * (Q[k] - V[k][:, None])
        p_t = p_t @ P_pi
    return grad


def truncation_bias_bound(gamma: float, horizon: int) -> float:
    r"""A bound on the truncation bias of REINFORCE, per coordinate, for rewards in [0, 1].

    .. math:: \Big|\frac{\partial V^{\pi_\theta}(\rho)}{\partial\theta_{s,a}}
              - \frac{\partial V_H(\rho)}{\partial\theta_{s,a}}\Big|
              \le \gamma^H\, \frac{1 + H(1-\gamma)}{4(1-\gamma)^2}

    for the tabular softmax policy, every :math:`\theta`, :math:`\rho` and :math:`(s, a)`. Proof:
    :math:`V(\rho) - V_H(\rho) = \gamma^H\, \mathbb E[V^{\pi_\theta}(s_H)]`, whose gradient is

    .. math:: \gamma^H\big(\sum_{t<H}\mathbb E[(V(s_H) - c)\,\partial\log\pi_\theta(a_t|s_t)]
              + \mathbb E[\partial V(s_H)]\big)

    for any constant :math:`c` (the score has mean zero). With
    :math:`c = 1/(2(1-\gamma))`, :math:`|V - c| \le 1/(2(1-\gamma))` and

    .. math:: \mathbb E|\partial\log\pi_\theta(a_t|s_t)/\partial\theta_{s,a}| \le 2\pi(1-\pi) \le 1/2,

    each of the H terms is at most :math:`1/(4(1-\gamma))`; by AKLM Eq. (10),

    .. math:: |\partial V(s')/\partial\theta_{s,a}| = d^{\pi}_{s'}(s)\,\pi(a|s)|A(s,a)|/(1-\gamma)
              \le 1/(4(1-\gamma)^2),

    since

    .. math:: \pi(a|s)|A(s,a)| \le \pi(a|s)(1-\pi(a|s))\,(\max_b Q - \min_b Q).

    Source: the proof above, from AKLM Eq. (10) and the score's zero mean (AJKS Lemma 11.7).

    Parameters
    ----------
    gamma : float
        In [0, 1).
    horizon : int
        The number of steps H, >= 1.

    Returns
    -------
    float

    Examples
    --------
    >>> from pgbook.theory import estimation
    >>> round(estimation.truncation_bias_bound(0.9, 10), 4), round(estimation.truncation_bias_bound(0.9, 50), 6)
    (17.4339, 0.773066)
    """
    gamma = validate.gamma(gamma)
    horizon = validate.positive_int(horizon, "horizon")
    return gamma**horizon * (1.0 + horizon * (1.0 - gamma)) / (4.0 * (1.0 - gamma) ** 2)


def _truncated_tables(mdp: MDP, pi: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """The k-step action values Q[k]: (S, A) and values V[k]: (S,) for k = 0..horizon (Q[0] = V[0] = 0)."""
    Q = np.zeros((horizon + 1, mdp.S, mdp.A))
    V = np.zeros((horizon + 1, mdp.S))
    for k in range(1, horizon + 1):
        Q[k] = mdp.r + mdp.gamma * mdp.P @ V[k - 1]
        V[k] = (pi * Q[k]).sum(axis=1)
    return Q, V
