r"""The published convergence rates of the natural policy gradient, as functions to plot against runs.

Three results, all in the AKLM conventions (rewards in [0, 1], values maximised, NPG step size
:math:`\eta` multiplying :math:`A/(1-\gamma)` in the logits):

- :func:`npg_bound`: AKLM Thm 5.3, the dimension-free :math:`O(1/T)` bound of unregularised NPG.
- :func:`soft_optimal`, :func:`soft_q`, :func:`cen_bounds`: the entropy-regularised optimum and
  Cen et al.'s linear rate :math:`(1-\eta\tau)^t` (Cen, Cheng, Chen, Wei and Chi 2022, Thm 1).
- :func:`xiao_mismatch`, :func:`geometric_bound`: Xiao's linear rate of policy mirror descent with
  geometrically growing steps (Xiao 2022, Thm 10), converted from costs to rewards.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _validate as validate
from .control import policy_iteration
from .exact import visitation
from .gradients import soft_value
from .landscape import mismatch
from .mdp import MDP, require_mdp
from .policies import log_softmax, softmax

#: Soft policy iteration stops when an iteration changes Q by at most this, relative to max |Q|.
SOFT_PI_RTOL = 1e-13
#: ... or after this many iterations (it converges at least as fast as gamma^k, locally quadratically).
SOFT_PI_MAX = 10_000


def npg_bound(T, eta, A: int, gamma: float) -> np.ndarray:
    r"""AKLM's bound on the sub-optimality of NPG after T steps from the uniform policy.

    .. math:: V^\star(\rho) - V^{(T)}(\rho) \le \frac{\log|A|}{\eta T} + \frac{1}{(1-\gamma)^2 T}

    for every :math:`\rho`, every :math:`\eta > 0` and :math:`\theta^{(0)} = 0`, rewards in [0, 1]
    (AKLM Theorem 5.3; AJKS Theorem 12.7). T: a positive number or array (T,) of them; eta > 0;
    A: the number of actions; gamma in [0, 1). Returns the bound with the shape of T.
    """
    T = validate.array(T, "T")
    if np.any(T <= 0):
        raise ValueError("T: every number of steps must be positive")
    eta = validate.positive_real(eta, "eta")
    A = validate.positive_int(A, "A")
    gamma = _discount(gamma)
    return np.log(A) / (eta * T) + 1.0 / ((1.0 - gamma) ** 2 * T)


@dataclass(frozen=True)
class SoftOptimum:
    r"""The optimum of the entropy-regularised MDP: ``Q: (S, A)``, ``V: (S,)``, ``pi: (S, A)``."""

    Q: np.ndarray
    V: np.ndarray
    pi: np.ndarray


def soft_optimal(mdp: MDP, tau: float) -> SoftOptimum:
    r"""The optimal soft values and policy of the entropy-regularised MDP, by soft policy iteration.

    .. math:: Q^\star_\tau = r + \gamma P V^\star_\tau, \qquad
              V^\star_\tau(s) = \tau\log\sum_a \exp\big(Q^\star_\tau(s,a)/\tau\big), \qquad
              \pi^\star_\tau(a|s) = \exp\big((Q^\star_\tau(s,a) - V^\star_\tau(s))/\tau\big)

    (Cen et al. 2022, section 2; Haarnoja et al. 2017), computed by soft policy iteration with exact
    evaluation, :math:`\pi_{k+1} \propto \exp(Q^{\pi_k}_\tau/\tau)` (Cen et al. Thm 1 with
    :math:`\eta = (1-\gamma)/\tau`: a :math:`\gamma`-contraction, locally quadratic, Thm 3), from the
    uniform policy, until an iteration changes Q by at most ``SOFT_PI_RTOL`` times :math:`\max|Q|`:
    the result satisfies the soft Bellman equation to round-off. Terminal states earn no entropy,
    as in :func:`pgbook.soft_value`. Needs gamma < 1; tau > 0.
    """
    require_mdp(mdp)
    _discount(mdp.gamma)
    tau = validate.positive_real(tau, "tau")
    pi = np.full((mdp.S, mdp.A), 1.0 / mdp.A)
    Q = soft_q(mdp, pi, tau)
    for _ in range(SOFT_PI_MAX):
        pi = softmax(Q / tau)
        Q_next = soft_q(mdp, pi, tau)
        change = np.abs(Q_next - Q).max()
        Q = Q_next
        if change <= SOFT_PI_RTOL * max(1.0, np.abs(Q).max()):
            break
    pi = softmax(Q / tau)
    top = Q.max(axis=1)
    V = top + tau * np.log(np.exp((Q - top[:, None]) / tau).sum(axis=1))
    V[mdp.terminal] = 0.0
    return SoftOptimum(Q, V, pi)


def soft_q(mdp: MDP, pi, tau: float) -> np.ndarray:
    r"""The soft action values of a policy: :math:`Q^\pi_\tau = r + \gamma P V^\pi_\tau`.

    :math:`V^\pi_\tau` is :func:`pgbook.soft_value` (the value of the reward
    :math:`r - \tau\log\pi`; Cen et al. 2022, Eq. (6)). pi: (S, A); tau >= 0. Returns Q_tau: (S, A).
    """
    V = soft_value(mdp, pi, tau)
    return mdp.r + mdp.gamma * mdp.P @ V


def cen_bounds(mdp: MDP, eta: float, tau: float, t, pi0) -> tuple[np.ndarray, np.ndarray]:
    r"""Cen et al.'s linear-rate bounds for entropy-regularised NPG, for the iterate t + 1.

    .. math:: \|Q^\star_\tau - Q^{(t+1)}_\tau\|_\infty \le C_1\gamma(1-\eta\tau)^t, \qquad
              \|\log\pi^\star_\tau - \log\pi^{(t+1)}\|_\infty \le 2C_1\tau^{-1}(1-\eta\tau)^t,

    .. math:: C_1 = \|Q^\star_\tau - Q^{(0)}_\tau\|_\infty
              + 2\tau\Big(1 - \frac{\eta\tau}{1-\gamma}\Big)\|\log\pi^\star_\tau - \log\pi^{(0)}\|_\infty

    for :math:`0 < \eta \le (1-\gamma)/\tau` (Cen, Cheng, Chen, Wei and Chi 2022, Theorem 1; the
    update is :func:`pgbook.algorithms.entropy_npg`). mdp: gamma < 1; t: integer or array (n,) of
    integers >= 0; pi0: (S, A) the initial policy, every entry > 0. Returns (Q_bound, log_pi_bound),
    each with the shape of t.
    """
    require_mdp(mdp)
    gamma = _discount(mdp.gamma)
    eta = validate.positive_real(eta, "eta")
    tau = validate.positive_real(tau, "tau")
    if eta * tau > (1.0 - gamma) * (1.0 + 1e-12):
        raise ValueError(f"eta: must satisfy eta <= (1 - gamma)/tau = {(1.0 - gamma) / tau:.6g}, got {eta:g}")
    t = validate.array(t, "t")
    if np.any(t < 0) or np.any(t != np.round(t)):
        raise ValueError("t: expected integers >= 0")
    pi0 = validate.policy(mdp, pi0, "pi0")
    if np.any(pi0 <= 0):
        raise ValueError("pi0: every entry must be positive (the bound involves log pi0)")
    star = soft_optimal(mdp, tau)
    shrink = max(0.0, 1.0 - eta * tau / (1.0 - gamma))
    C1 = (np.abs(star.Q - soft_q(mdp, pi0, tau)).max()
          + 2.0 * tau * shrink * np.abs(log_softmax(star.Q / tau) - np.log(pi0)).max())
    rate = (1.0 - min(eta * tau, 1.0)) ** t
    return C1 * gamma * rate, 2.0 * C1 / tau * rate


def xiao_mismatch(mdp: MDP, rho=None) -> float:
    r"""Xiao's distribution mismatch :math:`\vartheta_\rho = \frac{1}{1-\gamma}\big\|d^{\pi^\star}_\rho/\rho\big\|_\infty`.

    AKLM's coefficient (:func:`pgbook.landscape.mismatch`) of :math:`d^{\pi^\star}_\rho` against
    :math:`\rho` itself, divided by :math:`1-\gamma`; :math:`\pi^\star` is the optimal policy from
    :func:`pgbook.policy_iteration`. Since :math:`d^{\pi^\star}_\rho \ge (1-\gamma)\rho`,
    :math:`\vartheta_\rho \ge 1/(1-\gamma)`, with equality when :math:`\rho` is stationary under
    :math:`\pi^\star` (Xiao 2022, section 4.2).
    rho: None (the MDP's), a state or (S,), with every entry > 0. Needs gamma < 1.
    """
    require_mdp(mdp)
    gamma = _discount(mdp.gamma)
    rho = validate.start(mdp, rho)
    if np.any(rho <= 0):
        raise ValueError("rho: every state must have positive probability (the coefficient divides by rho)")
    pi_star, _ = policy_iteration(mdp)
    return mismatch(visitation(mdp, pi_star, rho), rho) / (1.0 - gamma)


def geometric_bound(k, vartheta: float, delta0: float, D0: float, eta0: float, gamma: float) -> np.ndarray:
    r"""Xiao's bound for policy mirror descent with steps :math:`\eta_k = \eta_0/\gamma^k`, in rewards.

    .. math:: V^\star(\rho) - V^{(k)}(\rho) \le \Big(1 - \frac{1}{\vartheta_\rho}\Big)^k
              \Big(\delta_0 + \frac{D^\star_0}{\gamma\,\eta_0}\Big)

    with :math:`\delta_0 = V^\star(\rho) - V^{(0)}(\rho)`,
    :math:`D^\star_0 = \mathbb E_{s\sim d^{\pi^\star}_\rho}\mathrm{KL}(\pi^\star(\cdot|s)\,\|\,\pi_0(\cdot|s))`
    (:math:`\log|A|` from the uniform policy) and :math:`\vartheta_\rho` from :func:`xiao_mismatch` (Xiao
    2022, Theorem 10, stated there for costs; the step :math:`\eta_k` multiplies :math:`Q` in the
    update :math:`\pi_{k+1} \propto \pi_k e^{\eta_k Q^{\pi_k}}`, i.e. AKLM's :math:`\eta = (1-\gamma)\eta_k`).
    k: integer or array (n,) of integers >= 0; vartheta >= 1; delta0, D0 >= 0; eta0 > 0; gamma in (0, 1).
    Returns the bound with the shape of k.
    """
    k = validate.array(k, "k")
    if np.any(k < 0) or np.any(k != np.round(k)):
        raise ValueError("k: expected integers >= 0")
    vartheta = validate.positive_real(vartheta, "vartheta")
    if vartheta < 1.0:
        raise ValueError(f"vartheta: must be at least 1, got {vartheta:g}")
    delta0 = validate.positive_real(delta0, "delta0", allow_zero=True)
    D0 = validate.positive_real(D0, "D0", allow_zero=True)
    eta0 = validate.positive_real(eta0, "eta0")
    gamma = _discount(gamma)
    if gamma == 0.0:
        raise ValueError("gamma: must be positive (the bound divides by gamma)")
    return (1.0 - 1.0 / vartheta) ** k * (delta0 + D0 / (gamma * eta0))


def _discount(gamma) -> float:
    gamma = validate.positive_real(gamma, "gamma", allow_zero=True)
    if gamma >= 1.0:
        raise ValueError(f"gamma: the rates need gamma < 1, got {gamma:g}")
    return gamma
