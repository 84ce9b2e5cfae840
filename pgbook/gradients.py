r"""Exact policy gradients, and the regularised objectives of the convergence chapters.

Every gradient here is the policy gradient theorem (AKLM Eqs. (5)-(7) and (10)) evaluated exactly,
from one LU factorisation of :math:`I - \gamma P_\pi` (:func:`pgbook.exact.evaluate`). The weight
:math:`\frac{1}{1-\gamma} d^\pi_\rho(s)` is the unnormalised discounted occupancy
:math:`\nu(s) = \sum_t \gamma^t \Pr^\pi(s_t = s \mid s_0 \sim \rho)`, which is also the right weight
(expected visit counts) for an episodic MDP with :math:`\gamma = 1`, as in Sutton and Barto's corridor.

Conventions: ``theta: (S, A)`` tabular softmax parameters; ``phi: (S, A, d)`` log-linear features
with ``theta: (d,)``; ``pi: (S, A)`` a direct policy; ``rho`` is ``None`` (the MDP's start
distribution), a state index or a distribution ``(S,)``.
"""

from __future__ import annotations

import numpy as np

from . import _validate as check
from .exact import _evaluate
from .mdp import MDP
from .policies import log_softmax, loglinear, softmax


def softmax_gradient(mdp: MDP, theta, rho=None) -> np.ndarray:
    r"""The exact gradient of :math:`V^{\pi_\theta}(\rho)` for the tabular softmax policy.

    .. math:: \frac{\partial V^{\pi_\theta}(\rho)}{\partial \theta_{s,a}}
              = \frac{1}{1-\gamma}\, d^{\pi_\theta}_\rho(s)\, \pi_\theta(a|s)\, A^{\pi_\theta}(s, a)

    (AKLM Eq. (10), AJKS Lemma 12.2; the slides drop the :math:`1/(1-\gamma)`). Each row sums to 0.
    theta: (S, A). Returns dV/dtheta: (S, A).
    """
    theta = check.theta(mdp, theta)
    rho = check.start(mdp, rho)
    return _softmax_gradient(mdp, softmax(theta), rho)


def _softmax_gradient(mdp: MDP, pi: np.ndarray, rho: np.ndarray) -> np.ndarray:
    ev = _evaluate(mdp, pi, rho)
    return ev.nu[:, None] * pi * ev.A


def centred_features(phi, pi) -> np.ndarray:
    r"""The score of a log-linear policy: centred features.

    .. math:: \nabla_\theta \log \pi_\theta(a|s) = \bar\phi_{s,a}
              = \phi_{s,a} - \mathbb E_{a' \sim \pi(\cdot|s)}\, \phi_{s,a'}

    phi: (S, A, d); pi: (S, A) (the policy :math:`\pi_\theta` itself). Returns phi_bar: (S, A, d).
    """
    phi = check.array(phi, "phi", ndim=3)
    pi = check.array(pi, "pi", shape=phi.shape[:2])
    check.distribution_rows(pi, "pi")
    return _centred(phi, pi)


def _centred(phi: np.ndarray, pi: np.ndarray) -> np.ndarray:
    return phi - np.einsum("sa,sak->sk", pi, phi)[:, None, :]


def loglinear_gradient(mdp: MDP, theta, phi, rho=None) -> np.ndarray:
    r"""The exact gradient of :math:`V^{\pi_\theta}(\rho)` for a log-linear policy.

    .. math:: \nabla_\theta V^{\pi_\theta}(\rho) = \frac{1}{1-\gamma}
              \mathbb E_{s \sim d^{\pi_\theta}_\rho}\, \mathbb E_{a \sim \pi_\theta(\cdot|s)}
              \big[\bar\phi_{s,a}\, A^{\pi_\theta}(s, a)\big],
              \qquad \bar\phi_{s,a} = \phi_{s,a} - \mathbb E_{a' \sim \pi_\theta} \phi_{s,a'}

    (AKLM Sec. 6.1.1). theta: (d,); phi: (S, A, d). Returns dV/dtheta: (d,).
    """
    phi = check.features(mdp, phi)
    theta = check.array(theta, "theta", shape=(phi.shape[2],))
    rho = check.start(mdp, rho)
    pi = loglinear(theta, phi)
    ev = _evaluate(mdp, pi, rho)
    return np.einsum("sa,sak->k", ev.nu[:, None] * pi * ev.A, _centred(phi, pi))


def direct_gradient(mdp: MDP, pi, rho=None) -> np.ndarray:
    r"""The exact gradient of :math:`V^\pi(\rho)` in the direct parameterisation :math:`\theta_{s,a} = \pi(a|s)`.

    .. math:: \frac{\partial V^\pi(\rho)}{\partial \pi(a|s)} = \frac{1}{1-\gamma}\, d^\pi_\rho(s)\, Q^\pi(s, a)

    (AKLM Eq. (7)). The advantage form :math:`d(s) A(s, a)/(1-\gamma)` is **not** valid here: it
    needs :math:`\sum_a \nabla \pi(a|s) = 0`, which softmax policies have and the coordinates
    :math:`\pi(a|s)` do not (AKLM footnote 2). The two differ by :math:`d(s) V(s)/(1-\gamma)` in every
    action, which only vanishes along directions that stay in the simplex.
    pi: (S, A) a stochastic policy. Returns dV/dpi: (S, A).
    """
    pi = check.policy(mdp, pi)
    rho = check.start(mdp, rho)
    ev = _evaluate(mdp, pi, rho)
    return ev.nu[:, None] * ev.Q


def _soft_reward(mdp: MDP, log_pi: np.ndarray, tau: float) -> np.ndarray:
    r""":math:`r - \tau \log\pi`; zero on terminal states, where the episode (and its entropy) is over."""
    r_tau = mdp.r - tau * log_pi
    r_tau[mdp.terminal] = 0.0
    return r_tau


def soft_value(mdp: MDP, pi, tau: float) -> np.ndarray:
    r"""The entropy-regularised value (Mei et al. 2020; Cen et al. 2022).

    .. math:: \tilde V^\pi(s) = \mathbb E\Big[\sum_{t \ge 0} \gamma^t \big(r(s_t, a_t)
              - \tau \log \pi(a_t|s_t)\big) \,\Big|\, s_0 = s\Big]
              = \big((I - \gamma P_\pi)^{-1} (r_\pi + \tau \mathcal H_\pi)\big)(s),

    with :math:`\mathcal H_\pi(s) = -\sum_a \pi(a|s) \log \pi(a|s)` (:math:`0 \log 0 = 0`).
    Terminal states earn no entropy. pi: (S, A); tau >= 0. Returns V_tilde: (S,).
    """
    pi = check.policy(mdp, pi)
    tau = check.positive_real(tau, "tau", allow_zero=True)
    # Actions with pi = 0 carry no weight; a finite stand-in for their log keeps the solve clean.
    log_pi = np.log(pi, out=np.zeros_like(pi), where=pi > 0)
    return _evaluate(mdp, pi, mdp.rho, r=_soft_reward(mdp, log_pi, tau)).V


def entropy_regularized_gradient(mdp: MDP, theta, tau: float, rho=None) -> np.ndarray:
    r"""The exact gradient of the entropy-regularised value :math:`\tilde V^{\pi_\theta}(\rho)` (softmax).

    .. math:: \frac{\partial \tilde V^{\pi_\theta}(\rho)}{\partial \theta_{s,a}}
              = \frac{1}{1-\gamma}\, d^{\pi_\theta}_\rho(s)\, \pi_\theta(a|s)\, \tilde A(s, a),
              \qquad \tilde A(s, a) = \tilde Q(s, a) - \tau \log \pi_\theta(a|s) - \tilde V(s),

    with :math:`\tilde Q = r + \gamma P \tilde V` (Mei et al. 2020, Eq. (18) and Lemma 10).
    theta: (S, A); tau >= 0. Returns dV_tilde/dtheta: (S, A).
    """
    theta = check.theta(mdp, theta)
    tau = check.positive_real(tau, "tau", allow_zero=True)
    rho = check.start(mdp, rho)
    pi = softmax(theta)
    # Evaluating with the reward r - tau log pi gives V = V_tilde and A = Q_tilde - tau log pi - V_tilde.
    ev = _evaluate(mdp, pi, rho, r=_soft_reward(mdp, log_softmax(theta), tau))
    return ev.nu[:, None] * pi * ev.A


def log_barrier_objective(mdp: MDP, theta, lam: float, rho=None) -> float:
    r"""The log-barrier regularised objective of AKLM Sec. 5.2 (Theorem 5.2).

    .. math:: L_\lambda(\theta) = V^{\pi_\theta}(\rho) + \frac{\lambda}{SA} \sum_{s,a} \log \pi_\theta(a|s) + \lambda \log A
              = V^{\pi_\theta}(\rho) - \lambda\, \mathbb E_{s \sim \mathrm{Unif}_S}
              \big[\mathrm{KL}(\mathrm{Unif}_A, \pi_\theta(\cdot|s))\big].

    theta: (S, A); lam >= 0. Returns a float, :math:`\le V^{\pi_\theta}(\rho)`, equal at the uniform policy.
    """
    theta = check.theta(mdp, theta)
    lam = check.positive_real(lam, "lam", allow_zero=True)
    rho = check.start(mdp, rho)
    ev = _evaluate(mdp, softmax(theta), rho)
    return ev.V_rho + lam / theta.size * float(log_softmax(theta).sum()) + lam * np.log(mdp.A)


def log_barrier_gradient(mdp: MDP, theta, lam: float, rho=None) -> np.ndarray:
    r"""The exact gradient of :func:`log_barrier_objective`.

    .. math:: \frac{\partial L_\lambda(\theta)}{\partial \theta_{s,a}}
              = \frac{1}{1-\gamma}\, d^{\pi_\theta}_\rho(s)\, \pi_\theta(a|s)\, A^{\pi_\theta}(s, a)
              + \frac{\lambda}{SA}\big(1 - A\, \pi_\theta(a|s)\big).

    theta: (S, A); lam >= 0. Returns dL/dtheta: (S, A).
    """
    theta = check.theta(mdp, theta)
    lam = check.positive_real(lam, "lam", allow_zero=True)
    rho = check.start(mdp, rho)
    pi = softmax(theta)
    return _softmax_gradient(mdp, pi, rho) + lam / theta.size * (1.0 - mdp.A * pi)
