r"""Exact policy gradients, and the regularised objectives of the convergence chapters.

Every gradient here is the policy gradient theorem (Agarwal, Kakade, Lee and Mahajan 2021, Eqs.
(5)-(7) and (10)) evaluated exactly, from one LU factorisation of :math:`I - \gamma P_\pi`
(:func:`pgbook.evaluate`). The weight :math:`\frac{1}{1-\gamma} d^\pi_\rho(s)` is the unnormalised
discounted occupancy :math:`\nu(s) = \sum_t \gamma^t \Pr^\pi(s_t = s \mid s_0 \sim \rho)`, which is
also the right weight (expected visit counts) for an episodic MDP with :math:`\gamma = 1`, as in
Sutton and Barto's corridor (2018, section 13.2).

Conventions: ``theta: (S, A)`` tabular softmax parameters; ``phi: (S, A, dim)`` log-linear features
with ``theta: (dim,)``; ``pi: (S, A)`` a direct policy; ``rho`` is ``None`` (the MDP's start
distribution), a state index or a distribution ``(S,)``.

The entropy-regularised objective is defined once, by the reward :math:`r - \tau\log\pi` (zero on
terminal states), computed by one numba kernel that :func:`soft_value`,
:func:`entropy_regularized_gradient` and the runs :func:`pgbook.algorithms.entropy_pg` and
:func:`pgbook.algorithms.entropy_npg` all evaluate.
"""

from __future__ import annotations

import numpy as np

from . import _evaluation
from . import _validate as validate
from . import _inner
from .mdp import MDP, require_mdp


def softmax_gradient(mdp: MDP, theta, rho=None) -> np.ndarray:
    r"""The exact gradient of :math:`V^{\pi_\theta}(\rho)` for the tabular softmax policy.

    .. math:: \frac{\partial V^{\pi_\theta}(\rho)}{\partial \theta_{s,a}}
              = \frac{1}{1-\gamma}\, d^{\pi_\theta}_\rho(s)\, \pi_\theta(a|s)\, A^{\pi_\theta}(s, a)

    (Agarwal, Kakade, Lee and Mahajan 2021, Eq. (10) and Lemma C.1; Agarwal, Jiang, Kakade and Sun,
    AJKS Lemma 12.2; the slides drop the :math:`1/(1-\gamma)`). Each row sums to 0.

    Parameters
    ----------
    mdp : MDP
    theta : array (S, A)
        Softmax logits.
    rho : None, int or array (S,), optional
        The start distribution of the objective (see :func:`pgbook.visitation`).

    Returns
    -------
    grad : array (S, A)
        :math:`\nabla_\theta V^{\pi_\theta}(\rho)`.

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> mdp = pgbook.envs.three_state()  # 3 states in a row, gamma = 0.9, rho = (0.5, 0.3, 0.2)
    >>> theta = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.0]])
    >>> g = pgbook.softmax_gradient(mdp, theta)
    >>> print(np.round(g, 4))
    [[-0.0486  0.0486]
     [-0.2756  0.2756]
     [-0.8525  0.8525]]
    >>> pi, ev = pgbook.softmax(theta), pgbook.evaluate(mdp, pgbook.softmax(theta))
    >>> bool(np.allclose(g, ev.d[:, None] * pi * ev.adv / (1 - mdp.gamma)))  # d pi A / (1 - gamma)
    True
    >>> print(np.round(pgbook.softmax_gradient(mdp, theta, rho=2), 4))  # from state 2 only
    [[-0.0308  0.0308]
     [-0.2926  0.2926]
     [-1.2769  1.2769]]
    """
    _, pi, rho = _inner.softmax_args(mdp, theta, rho)
    return _softmax_gradient(mdp, pi, rho)


def _softmax_gradient(mdp: MDP, pi: np.ndarray, rho: np.ndarray) -> np.ndarray:
    ev = _inner.evaluate(mdp, pi, rho)
    return ev.occupancy[:, None] * pi * ev.adv


def centred_features(phi, pi) -> np.ndarray:
    r"""The score of a log-linear policy: centred features.

    .. math:: \nabla_\theta \log \pi_\theta(a|s) = \bar\phi_{s,a}
              = \phi_{s,a} - \mathbb E_{a' \sim \pi(\cdot|s)}\, \phi_{s,a'}

    (Agarwal, Kakade, Lee and Mahajan 2021, section 6.1.1.)

    Parameters
    ----------
    phi : array (S, A, dim)
    pi : array (S, A)
        The policy :math:`\pi_\theta` itself.

    Returns
    -------
    phi_bar : array (S, A, dim)

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> pi = pgbook.softmax([[1.0, 0.0], [0.0, 1.0], [0.5, 0.0]])
    >>> phi = np.array([[[0.0, 1.0], [1.0, 0.0]]] * 3)  # phi(s, left) = (0, 1), phi(s, right) = (1, 0)
    >>> phi_bar = pgbook.centred_features(phi, pi)
    >>> print(np.round(phi_bar[:, 1], 4))  # (1 - pi(right|s), -pi(left|s))
    [[ 0.7311 -0.7311]
     [ 0.2689 -0.2689]
     [ 0.6225 -0.6225]]
    >>> bool(np.allclose(np.einsum("sa,sak->sk", pi, phi_bar), 0.0))  # E_{a ~ pi} phi_bar = 0
    True
    """
    phi = validate.array(phi, "phi", ndim=3)
    pi = validate.array(pi, "pi", shape=phi.shape[:2])
    validate.distribution_rows(pi, "pi")
    return _inner.centred(phi, pi)


def loglinear_gradient(mdp: MDP, theta, phi, rho=None) -> np.ndarray:
    r"""The exact gradient of :math:`V^{\pi_\theta}(\rho)` for a log-linear policy.

    .. math:: \nabla_\theta V^{\pi_\theta}(\rho) = \frac{1}{1-\gamma}
              \mathbb E_{s \sim d^{\pi_\theta}_\rho}\, \mathbb E_{a \sim \pi_\theta(\cdot|s)}
              \big[\bar\phi_{s,a}\, A^{\pi_\theta}(s, a)\big],
              \qquad \bar\phi_{s,a} = \phi_{s,a} - \mathbb E_{a' \sim \pi_\theta} \phi_{s,a'}

    (Agarwal, Kakade, Lee and Mahajan 2021, section 6.1.1 with Eq. (6)).

    Parameters
    ----------
    mdp : MDP
    theta : array (dim,)
    phi : array (S, A, dim)
        Features.
    rho : None, int or array (S,), optional

    Returns
    -------
    grad : array (dim,)

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> mdp = pgbook.envs.three_state()  # 3 states in a row, gamma = 0.9, rho = (0.5, 0.3, 0.2)
    >>> phi = np.array([[[0.0, 0.0], [1.0, s]] for s in range(3)])  # phi(s, right) = (1, s), phi(s, left) = 0
    >>> theta = np.array([0.5, -0.5])
    >>> g = pgbook.loglinear_gradient(mdp, theta, phi)
    >>> f = lambda th: mdp.rho @ pgbook.value(mdp, pgbook.loglinear(th, phi))
    >>> fd = [(f(theta + e) - f(theta - e)) / 2e-6 for e in 1e-6 * np.eye(2)]  # finite differences
    >>> print(np.round(g, 4), bool(np.allclose(g, fd, atol=1e-6)))
    [1.1128 1.8834] True
    """
    pi, phi_bar, ev = _inner.loglinear_evaluation(mdp, theta, phi, rho)
    return np.einsum("sa,sak->k", ev.occupancy[:, None] * pi * ev.adv, phi_bar)


def direct_gradient(mdp: MDP, pi, rho=None) -> np.ndarray:
    r"""The exact gradient of :math:`V^\pi(\rho)` in the direct parameterisation :math:`\theta_{s,a} = \pi(a|s)`.

    .. math:: \frac{\partial V^\pi(\rho)}{\partial \pi(a|s)} = \frac{1}{1-\gamma}\, d^\pi_\rho(s)\, Q^\pi(s, a)

    (Agarwal, Kakade, Lee and Mahajan 2021, Eq. (7)). The advantage form
    :math:`d(s) A(s, a)/(1-\gamma)` is **not** valid here: it needs :math:`\sum_a \nabla \pi(a|s) = 0`,
    which softmax policies have and the coordinates :math:`\pi(a|s)` do not (ibid., footnote 2). The
    two differ by :math:`d(s) V(s)/(1-\gamma)` in every action, which only vanishes along directions
    that stay in the simplex.

    Parameters
    ----------
    mdp : MDP
    pi : array (S, A)
        A stochastic policy.
    rho : None, int or array (S,), optional

    Returns
    -------
    grad : array (S, A)
        :math:`\nabla_\pi V^\pi(\rho)`.

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> mdp = pgbook.envs.three_state()  # 3 states in a row, gamma = 0.9, rho = (0.5, 0.3, 0.2)
    >>> pi = [[0.5, 0.5], [0.25, 0.75], [0.0, 1.0]]
    >>> g = pgbook.direct_gradient(mdp, pi)
    >>> print(np.round(g, 4))
    [[ 9.0625 10.7258]
     [ 5.6634  8.6472]
     [52.5732 74.1874]]
    >>> ev = pgbook.evaluate(mdp, pi)
    >>> bool(np.allclose(g, ev.d[:, None] * ev.Q / (1 - mdp.gamma)))  # d Q / (1 - gamma), not d A / (1 - gamma)
    True
    """
    require_mdp(mdp)
    pi = validate.policy(mdp, pi)
    rho = validate.start(mdp, rho)
    ev = _inner.evaluate(mdp, pi, rho)
    return ev.occupancy[:, None] * ev.Q


def _soft_evaluation(mdp: MDP, logpi: np.ndarray, pi: np.ndarray, tau: float, rho: np.ndarray) -> _inner.Evaluation:
    r"""The evaluation under the soft reward :math:`r - \tau\log\pi`: V is :math:`\tilde V`, adv is :math:`\tilde A`."""
    r_tau = np.empty((mdp.S, mdp.A))
    _evaluation.soft_reward(mdp.r, logpi, tau, mdp.terminal, r_tau)
    return _inner.evaluate(mdp, pi, rho, r_tau)


def soft_value(mdp: MDP, pi, tau: float) -> np.ndarray:
    r"""The entropy-regularised value.

    .. math:: \tilde V^\pi(s) = \mathbb E\Big[\sum_{t \ge 0} \gamma^t \big(r(s_t, a_t)
              - \tau \log \pi(a_t|s_t)\big) \,\Big|\, s_0 = s\Big]
              = \big((I - \gamma P_\pi)^{-1} (r_\pi + \tau \mathcal H_\pi)\big)(s),

    with :math:`\mathcal H_\pi(s) = -\sum_a \pi(a|s) \log \pi(a|s)` (:math:`0 \log 0 = 0`)
    (Mei, Xiao, Szepesvari and Schuurmans 2020, Eq. (12); Cen, Cheng, Chen, Wei and Chi 2022,
    Eq. (5)). Terminal states earn no entropy: the episode is over there.

    Parameters
    ----------
    mdp : MDP
    pi : array (S, A)
        A stochastic policy.
    tau : float
        The regularisation weight, >= 0.

    Returns
    -------
    V_tilde : array (S,)

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> mdp = pgbook.envs.three_state()  # 3 states in a row, gamma = 0.9, rho = (0.5, 0.3, 0.2)
    >>> theta = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.0]])
    >>> pi = pgbook.softmax(theta)
    >>> V = pgbook.soft_value(mdp, pi, tau=0.5)
    >>> print(np.round(V, 4), np.round(pgbook.soft_value(mdp, pi, tau=0.0), 4))  # tau = 0: pgbook.value
    [4.1496 4.4117 4.8173] [1.1577 1.378  1.7412]
    >>> H = -(pi * np.log(pi)).sum(axis=1)  # the entropy of pi(.|s)
    >>> P_pi, r_pi = pgbook.policy_matrices(mdp, pi)
    >>> bool(np.allclose(V, np.linalg.solve(np.eye(3) - mdp.gamma * P_pi, r_pi + 0.5 * H)))
    True
    """
    require_mdp(mdp)
    pi = validate.policy(mdp, pi)
    tau = validate.positive_real(tau, "tau", allow_zero=True)
    return _soft_evaluation(mdp, _evaluation.finite_log(pi), pi, tau, mdp.rho).V


def entropy_regularized_gradient(mdp: MDP, theta, tau: float, rho=None) -> np.ndarray:
    r"""The exact gradient of the entropy-regularised value :math:`\tilde V^{\pi_\theta}(\rho)` (softmax).

    .. math:: \frac{\partial \tilde V^{\pi_\theta}(\rho)}{\partial \theta_{s,a}}
              = \frac{1}{1-\gamma}\, d^{\pi_\theta}_\rho(s)\, \pi_\theta(a|s)\, \tilde A(s, a),
              \qquad \tilde A(s, a) = \tilde Q(s, a) - \tau \log \pi_\theta(a|s) - \tilde V(s),

    with :math:`\tilde Q = r + \gamma P \tilde V` and :math:`\tilde V` of :func:`soft_value`
    (Mei, Xiao, Szepesvari and Schuurmans 2020, Lemma 10). On terminal states it is 0.

    Parameters
    ----------
    mdp : MDP
    theta : array (S, A)
        Softmax logits.
    tau : float
        The regularisation weight, >= 0.
    rho : None, int or array (S,), optional

    Returns
    -------
    grad : array (S, A)

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> mdp = pgbook.envs.three_state()  # 3 states in a row, gamma = 0.9, rho = (0.5, 0.3, 0.2)
    >>> theta = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.0]])
    >>> g = pgbook.entropy_regularized_gradient(mdp, theta, tau=0.5)
    >>> print(np.round(g, 4))
    [[-0.488   0.488 ]
     [-0.0167  0.0167]
     [-1.0377  1.0377]]
    >>> f = lambda th: mdp.rho @ pgbook.soft_value(mdp, pgbook.softmax(th), tau=0.5)
    >>> fd = [(f(theta + e) - f(theta - e)) / 2e-6 for e in 1e-6 * np.eye(6).reshape(6, 3, 2)]
    >>> bool(np.allclose(g.ravel(), fd, atol=1e-6))  # finite differences of the soft value
    True
    """
    logpi, pi, rho = _inner.softmax_args(mdp, theta, rho)
    tau = validate.positive_real(tau, "tau", allow_zero=True)
    ev = _soft_evaluation(mdp, logpi, pi, tau, rho)
    return ev.occupancy[:, None] * pi * ev.adv


def log_barrier_objective(mdp: MDP, theta, lam: float, rho=None) -> float:
    r"""The log-barrier regularised objective.

    .. math:: L_\lambda(\theta) = V^{\pi_\theta}(\rho) + \frac{\lambda}{SA} \sum_{s,a} \log \pi_\theta(a|s) + \lambda \log A
              = V^{\pi_\theta}(\rho) - \lambda\, \mathbb E_{s \sim \mathrm{Unif}_S}
              \big[\mathrm{KL}(\mathrm{Unif}_A, \pi_\theta(\cdot|s))\big]

    (Agarwal, Kakade, Lee and Mahajan 2021, section 5.2, Eq. (12) and Theorem 5.2; AKLM drop the
    constant :math:`\lambda\log A`). At most :math:`V^{\pi_\theta}(\rho)`, equal at the uniform policy.

    Parameters
    ----------
    mdp : MDP
    theta : array (S, A)
    lam : float
        The regularisation weight, >= 0.
    rho : None, int or array (S,), optional

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> mdp = pgbook.envs.three_state()  # 3 states in a row, gamma = 0.9, rho = (0.5, 0.3, 0.2)
    >>> theta = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.0]])
    >>> pi = pgbook.softmax(theta)
    >>> kl = np.mean(np.sum(0.5 * np.log(0.5 / pi), axis=1))  # mean over s of KL(Unif_A, pi(.|s))
    >>> V_rho = pgbook.evaluate(mdp, pi).V_rho
    >>> round(pgbook.log_barrier_objective(mdp, theta, lam=0.5), 4), round(float(V_rho - 0.5 * kl), 4), round(V_rho, 4)
    (1.2953, 1.2953, 1.3405)
    """
    logpi, pi, rho = _inner.softmax_args(mdp, theta, rho)
    lam = validate.positive_real(lam, "lam", allow_zero=True)
    return _inner.evaluate(mdp, pi, rho).V_rho + lam / pi.size * float(logpi.sum()) + lam * float(np.log(mdp.A))


def log_barrier_gradient(mdp: MDP, theta, lam: float, rho=None) -> np.ndarray:
    r"""The exact gradient of :func:`log_barrier_objective`.

    .. math:: \frac{\partial L_\lambda(\theta)}{\partial \theta_{s,a}}
              = \frac{1}{1-\gamma}\, d^{\pi_\theta}_\rho(s)\, \pi_\theta(a|s)\, A^{\pi_\theta}(s, a)
              + \frac{\lambda}{SA}\big(1 - A\, \pi_\theta(a|s)\big)

    (Agarwal, Kakade, Lee and Mahajan 2021, section 5.2 and Lemma D.4).

    Parameters
    ----------
    mdp : MDP
    theta : array (S, A)
    lam : float
        >= 0.
    rho : None, int or array (S,), optional

    Returns
    -------
    grad : array (S, A)

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> mdp = pgbook.envs.three_state()  # 3 states in a row, gamma = 0.9, rho = (0.5, 0.3, 0.2)
    >>> theta = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.0]])
    >>> g = pgbook.log_barrier_gradient(mdp, theta, lam=0.5)
    >>> print(np.round(g, 4))  # softmax_gradient + lam / (S A) (1 - A pi)
    [[-0.0871  0.0871]
     [-0.2371  0.2371]
     [-0.8729  0.8729]]
    >>> f = lambda th: pgbook.log_barrier_objective(mdp, th, lam=0.5)
    >>> fd = [(f(theta + e) - f(theta - e)) / 2e-6 for e in 1e-6 * np.eye(6).reshape(6, 3, 2)]
    >>> bool(np.allclose(g.ravel(), fd, atol=1e-6))  # finite differences of the objective
    True
    """
    _, pi, rho = _inner.softmax_args(mdp, theta, rho)
    lam = validate.positive_real(lam, "lam", allow_zero=True)
    return _softmax_gradient(mdp, pi, rho) + lam / pi.size * (1.0 - mdp.A * pi)
