r"""The published convergence rates of the natural policy gradient, and the steps of their proofs.

All in the AKLM conventions (rewards in [0, 1], values maximised, NPG step size :math:`\eta`
multiplying :math:`A/(1-\gamma)` in the logits):

- :func:`npg_bound`, :func:`log_partition`: AKLM Thm 5.3, the dimension-free :math:`O(1/T)` bound
  of unregularised NPG, and the normaliser :math:`\log Z_t` its proof (Lemma 5.2) rests on.
- :func:`soft_optimal`, :func:`soft_q`, :func:`cen_bounds`: the entropy-regularised optimum and
  Cen et al.'s linear rate :math:`(1-\eta\tau)^t` (Cen, Cheng, Chen, Wei and Chi 2022, Thm 1).
- :func:`xiao_mismatch`, :func:`geometric_bound`, :func:`pmd_recursion`: Xiao's linear rate of
  policy mirror descent with geometrically growing steps (Xiao 2022, Thm 10) and the one-step
  inequality it iterates (his Proposition 9), converted from costs to rewards.
- :func:`stationary`: the stationary distribution of a policy, the weighting of Lan's (2023)
  analysis of policy mirror descent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _validate as validate
from ..control import policy_iteration
from ..exact import advantage, value, visitation
from ..gradients import soft_value
from .landscape import mismatch
from ..mdp import MDP, require_mdp
from ..policies import log_softmax, softmax
from .surrogates import kl

#: Soft policy iteration stops when an iteration changes Q by at most this, relative to :math:`\max|Q|`.
SOFT_PI_RTOL = 1e-13
#: ... or after this many iterations (it converges at least as fast as gamma^k, locally quadratically).
SOFT_PI_MAX = 10_000


def npg_bound(T, eta, A: int, gamma: float) -> np.ndarray:
    r"""AKLM's bound on the sub-optimality of NPG after T steps from the uniform policy.

    .. math:: V^\star(\rho) - V^{(T)}(\rho) \le \frac{\log|A|}{\eta T} + \frac{1}{(1-\gamma)^2 T}

    for every :math:`\rho`, every :math:`\eta > 0` and :math:`\theta^{(0)} = 0`, rewards in [0, 1]
    (AKLM Theorem 5.3; AJKS Theorem 12.7).

    Parameters
    ----------
    T : float or array
        Iteration counts, > 0.
    eta : float
        The step size, > 0.
    A : int
        The number of actions.
    gamma : float
        In [0, 1).

    Returns
    -------
    ndarray
        The bound, shaped like T.

    Examples
    --------
    >>> from pgbook.theory import npg
    >>> npg.npg_bound([10, 100], eta=1.0, A=3, gamma=0.9).round(4), npg.npg_bound(100, eta=10.0, A=3, gamma=0.9).round(4)
    (array([10.1099,  1.011 ]), np.float64(1.0011))
    """
    T = validate.array(T, "T")
    if np.any(T <= 0):
        raise ValueError("T: every number of steps must be positive")
    eta = validate.positive_real(eta, "eta")
    A = validate.positive_int(A, "A")
    gamma = validate.gamma(gamma)
    return np.log(A) / (eta * T) + 1.0 / ((1.0 - gamma) ** 2 * T)


def log_partition(mdp: MDP, pi, eta: float) -> np.ndarray:
    r"""The log-normaliser of one NPG step in every state.

    .. math:: \log Z_t(s) = \log \sum_a \pi^{(t)}(a|s)\,
              \exp\Big(\frac{\eta\,A^{(t)}(s,a)}{1-\gamma}\Big) \ \ge\ 0

    (AKLM Lemma 5.1 writes the step :math:`\pi^{(t+1)} = \pi^{(t)}e^{\eta A^{(t)}/(1-\gamma)}/Z_t`;
    their Lemma 5.2 bounds the improvement below by :math:`\frac{1-\gamma}{\eta}\mathbb E_{s\sim\mu}\log Z_t(s)`,
    AJKS Lemma 12.8). It is non-negative by Jensen's inequality, since advantages average to 0
    under their own policy.

    Parameters
    ----------
    mdp : MDP
        With gamma < 1.
    pi : array (S, A)
        The current policy.
    eta : float
        The step size, > 0.

    Returns
    -------
    ndarray (S,)

    Examples
    --------
    >>> from pgbook import envs
    >>> from pgbook.theory import npg
    >>> mdp = envs.bandit([1.0, 0.0], gamma=0.5)  # advantages +-1/2 under the uniform policy
    >>> z = npg.log_partition(mdp, [[0.5, 0.5]], eta=0.5)
    >>> bool(np.isclose(z[0], np.log(np.cosh(0.5))))
    True
    """
    require_mdp(mdp)
    gamma = validate.discounted(mdp, "the NPG bounds")
    eta = validate.positive_real(eta, "eta")
    pi = validate.policy(mdp, pi)
    x = eta * advantage(mdp, pi) / (1.0 - gamma)
    # log sum_a pi e^x, shifted by the largest exponent among the actions pi plays (no overflow).
    top = np.max(np.where(pi > 0, x, -np.inf), axis=1, keepdims=True)
    return top[:, 0] + np.log(np.sum(pi * np.exp(np.where(pi > 0, x - top, 0.0)), axis=1))


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
    as in :func:`pgbook.soft_value`.

    Parameters
    ----------
    mdp : MDP
        With gamma < 1.
    tau : float
        The temperature, > 0.

    Returns
    -------
    SoftOptimum
        ``Q: (S, A)``, ``V: (S,)`` and ``pi: (S, A)``, with :math:`\pi^\star_\tau \propto \exp(Q^\star_\tau/\tau)`.

    Examples
    --------
    >>> import pgbook
    >>> from pgbook.theory import npg
    >>> mdp = pgbook.envs.random_mdp(3, 2, seed=0, gamma=0.9)
    >>> pi = pgbook.softmax([[0.5, -0.5], [1.0, 0.0], [0.0, 0.3]])
    >>> star = npg.soft_optimal(mdp, tau=0.1)
    >>> star.V.round(4), star.pi.round(4)
    (array([4.4411, 4.0395, 4.8225]), array([[0.0978, 0.9022],
           [0.5761, 0.4239],
           [0.9244, 0.0756]]))
    >>> npg.soft_optimal(mdp, tau=1.0).pi.round(4)  # hotter: closer to uniform
    array([[0.4446, 0.5554],
           [0.5057, 0.4943],
           [0.5561, 0.4439]])
    """
    require_mdp(mdp)
    validate.discounted(mdp, "the NPG bounds")
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
    :math:`r - \tau\log\pi`; Cen et al. 2022, Eq. (6)).

    Parameters
    ----------
    mdp : MDP
    pi : array (S, A)
    tau : float
        The temperature, >= 0.

    Returns
    -------
    Q_tau : ndarray (S, A)

    Examples
    --------
    >>> import pgbook
    >>> from pgbook.theory import npg
    >>> mdp = pgbook.envs.random_mdp(3, 2, seed=0, gamma=0.9)
    >>> pi = pgbook.softmax([[0.5, -0.5], [1.0, 0.0], [0.0, 0.3]])
    >>> npg.soft_q(mdp, pi, tau=0.5).round(4)
    array([[5.7551, 6.0345],
           [5.5612, 5.5165],
           [6.3643, 6.1626]])
    >>> bool((npg.soft_q(mdp, pi, tau=0.0) == pgbook.q_value(mdp, pi)).all())
    False
    """
    V = soft_value(mdp, pi, tau)
    return mdp.r + mdp.gamma * mdp.P @ V


def cen_bounds(mdp: MDP, eta: float, tau: float, t, pi0) -> tuple[np.ndarray, np.ndarray]:
    r"""Cen et al.'s linear-rate bounds for entropy-regularised NPG, for the iterate t + 1.

    .. math:: \|Q^\star_\tau - Q^{(t+1)}_\tau\|_\infty \le C_1\gamma(1-\eta\tau)^t, \qquad
              \|\log\pi^\star_\tau - \log\pi^{(t+1)}\|_\infty \le 2C_1\tau^{-1}(1-\eta\tau)^t,

    .. math:: C_1 = \|Q^\star_\tau - Q^{(0)}_\tau\|_\infty
              + 2\tau\Big(1 - \frac{\eta\tau}{1-\gamma}\Big)\|\log\pi^\star_\tau - \log\pi^{(0)}\|_\infty

    for :math:`0 < \eta \le (1-\gamma)/\tau` (Cen, Cheng, Chen, Wei and Chi 2022, Theorem 1, its display
    as recalled, not re-read in the paper; the update is :func:`pgbook.algorithms.entropy_npg`).

    Parameters
    ----------
    mdp : MDP
        With gamma < 1.
    eta : float
        The step size, in :math:`(0, (1-\gamma)/\tau]`.
    tau : float
        The temperature, > 0.
    t : int or array (n,)
        Iterations, >= 0.
    pi0 : array (S, A)
        The initial policy, every entry > 0.

    Returns
    -------
    Q_bound, log_pi_bound : ndarray
        Each shaped like t.

    Examples
    --------
    >>> import pgbook
    >>> from pgbook.theory import npg
    >>> mdp = pgbook.envs.random_mdp(3, 2, seed=0, gamma=0.9)
    >>> pi = pgbook.softmax([[0.5, -0.5], [1.0, 0.0], [0.0, 0.3]])
    >>> Q_bound, log_pi_bound = npg.cen_bounds(mdp, eta=0.05, tau=0.5, t=[0, 10, 100], pi0=pi)
    >>> Q_bound.round(4), log_pi_bound.round(4)
    (array([1.1765, 0.9133, 0.0936]), array([5.2288, 4.0593, 0.4158]))
    >>> npg.cen_bounds(mdp, eta=0.2, tau=0.5, t=[0, 10, 100], pi0=pi)[0].round(4)  # eta = (1 - gamma)/tau: fastest
    array([0.6244, 0.2177, 0.    ])
    """
    require_mdp(mdp)
    gamma = validate.discounted(mdp, "the NPG bounds")
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

    AKLM's coefficient (:func:`pgbook.theory.landscape.mismatch`) of :math:`d^{\pi^\star}_\rho` against
    :math:`\rho` itself, divided by :math:`1-\gamma`; :math:`\pi^\star` is the optimal policy from
    :func:`pgbook.policy_iteration`. Since :math:`d^{\pi^\star}_\rho \ge (1-\gamma)\rho`,
    :math:`\vartheta_\rho \ge 1/(1-\gamma)`, with equality when :math:`\rho` is stationary under
    :math:`\pi^\star` (Xiao 2022, section 4.2).

    Parameters
    ----------
    mdp : MDP
        With gamma < 1.
    rho : None, int or array (S,)
        The start distribution (the MDP's by default), every entry > 0.

    Returns
    -------
    float

    Examples
    --------
    >>> import pgbook
    >>> from pgbook.theory import npg
    >>> mdp = pgbook.envs.random_mdp(3, 2, seed=0, gamma=0.9)
    >>> pi = pgbook.softmax([[0.5, -0.5], [1.0, 0.0], [0.0, 0.3]])
    >>> round(npg.xiao_mismatch(mdp), 4), round(npg.xiao_mismatch(mdp, rho=[0.6, 0.3, 0.1]), 4)
    (12.6239, 39.7824)
    """
    require_mdp(mdp)
    gamma = validate.discounted(mdp, "the NPG bounds")
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

    Parameters
    ----------
    k : int or array (n,)
        Iterations, >= 0.
    vartheta : float
        The mismatch coefficient of :func:`xiao_mismatch`, >= 1.
    delta0, D0 : float
        The initial gap and KL term, >= 0.
    eta0 : float
        The first step, > 0.
    gamma : float
        In (0, 1).

    Returns
    -------
    ndarray
        The bound, shaped like k.

    Examples
    --------
    >>> from pgbook.theory import npg
    >>> npg.geometric_bound([0, 5, 20], vartheta=2.0, delta0=1.0, D0=0.7, eta0=0.5, gamma=0.9).round(4)
    array([2.5556, 0.0799, 0.    ])
    >>> npg.geometric_bound([0, 5, 20], vartheta=4.0, delta0=1.0, D0=0.7, eta0=0.5, gamma=0.9).round(4)
    array([2.5556, 0.6064, 0.0081])
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
    gamma = validate.gamma(gamma)
    if gamma == 0.0:
        raise ValueError("gamma: must be positive (the bound divides by gamma)")
    return (1.0 - 1.0 / vartheta) ** k * (delta0 + D0 / (gamma * eta0))


def pmd_recursion(mdp: MDP, pis, etas, rho=None) -> tuple[np.ndarray, np.ndarray]:
    r"""Both sides of the one-step inequality of policy mirror descent with the KL divergence.

    For :math:`\pi_{k+1}(a|s) \propto \pi_k(a|s)\,e^{\eta_k Q^{\pi_k}(s,a)}` (Xiao's step, in rewards),

    .. math:: \underbrace{D^\star_k - D^\star_{k+1}}_{\text{progress}} \ \ge\
              \underbrace{(1-\gamma)\,\eta_k\big(\delta_k - \vartheta_{k+1}(\delta_k - \delta_{k+1})\big)}_{\text{guaranteed}}

    with :math:`\delta_k = V^\star(\rho) - V^{\pi_k}(\rho)`,
    :math:`D^\star_k = \mathbb E_{s\sim d^{\pi^\star}_\rho}\mathrm{KL}(\pi^\star(\cdot|s)\,\|\,\pi_k(\cdot|s))` and the
    per-iteration mismatch :math:`\vartheta_{k+1} = \|d^{\pi^\star}_\rho / d^{\pi_{k+1}}_\rho\|_\infty`
    (derived in this book as the inequality behind Xiao 2022, Proposition 9, in rewards rather than
    costs; his Theorem 10 iterates it with
    :math:`\vartheta_{k+1} \le \vartheta_\rho`). It follows from the three-point identity of the KL step,
    the performance difference lemma and :math:`\langle Q^{\pi_k}(s,\cdot), \pi_{k+1} - \pi_k\rangle \ge 0`;
    the only slack is :math:`\mathbb E_{d^{\pi^\star}_\rho}\mathrm{KL}(\pi_{k+1}\|\pi_k)` and the change of
    distribution. :math:`\pi^\star` is :func:`pgbook.policy_iteration`'s.

    Parameters
    ----------
    mdp : MDP
        With gamma < 1.
    pis : array (K+1, S, A)
        The iterates :math:`\pi_0, \dots, \pi_K`, positive wherever :math:`\pi^\star` is.
    etas : array (K,)
        The steps :math:`\eta_0, \dots, \eta_{K-1}` that produced them, each > 0.
    rho : None, int or array (S,), optional
        The start distribution of :math:`V(\rho)` (the MDP's by default).

    Returns
    -------
    progress, guaranteed : array (K,)

    Examples
    --------
    >>> from pgbook import algorithms, envs
    >>> from pgbook.theory import npg
    >>> mdp = envs.random_mdp(4, 2, seed=0)
    >>> run = algorithms.pmd_geometric(mdp, eta0=0.1, T=5, record_every=1)
    >>> progress, guaranteed = npg.pmd_recursion(mdp, run.pi, run.trace["eta"][:5])
    >>> bool(np.all(guaranteed <= progress))
    True
    """
    require_mdp(mdp)
    gamma = validate.discounted(mdp, "the NPG bounds")
    pis = validate.array(pis, "pis", shape=(None, mdp.S, mdp.A))
    if pis.shape[0] < 2:
        raise ValueError("pis: needs at least two iterates")
    for k, pi in enumerate(pis):
        validate.policy(mdp, pi, f"pis[{k}]")
    etas = validate.array(etas, "etas", shape=(pis.shape[0] - 1,))
    if np.any(etas <= 0):
        raise ValueError("etas: every step must be positive")
    rho = validate.start(mdp, rho)
    pi_star, V_star = policy_iteration(mdp)
    d_star = visitation(mdp, pi_star, rho)
    D = np.array([d_star @ kl(pi_star, pi) for pi in pis])
    if not np.all(np.isfinite(D)):
        raise ValueError("pis: an iterate puts no mass on an action of pi* where d* > 0 (the KL is infinite)")
    delta = np.array([(V_star - value(mdp, pi)) @ rho for pi in pis])
    with np.errstate(divide="ignore", invalid="ignore"):
        vartheta = np.array([np.max(np.where(d_star > 0, d_star / visitation(mdp, pi, rho), 0.0)) for pi in pis[1:]])
    guaranteed = (1.0 - gamma) * etas * (delta[:-1] - vartheta * (delta[:-1] - delta[1:]))
    return D[:-1] - D[1:], guaranteed


def stationary(mdp: MDP, pi) -> np.ndarray:
    r"""The stationary distribution :math:`\nu` of the chain a policy induces: :math:`\nu^\top P_\pi = \nu^\top`.

    Started from :math:`\nu`, the chain stays at :math:`\nu`, so :math:`d^\pi_\nu = \nu` and the performance
    difference lemma needs no change of distribution; this is why Lan (2023, section 1) weights the
    objective by the stationary distribution of :math:`\pi^\star`, and why Xiao's mismatch
    :math:`\vartheta_\nu` (:func:`xiao_mismatch`) is the smallest possible, :math:`1/(1-\gamma)`, for
    :math:`\nu` stationary under :math:`\pi^\star`.

    Parameters
    ----------
    mdp : MDP
    pi : array (S, A)

    Returns
    -------
    nu : ndarray (S,)
        A distribution.
    Raises ValueError when the chain has no unique stationary distribution (several closed classes).

    Examples
    --------
    >>> import pgbook
    >>> from pgbook.theory import npg
    >>> mdp = pgbook.MDP([[[0.5, 0.5]], [[0.2, 0.8]]], [[0.0], [1.0]], gamma=0.9)
    >>> npg.stationary(mdp, [[1.0], [1.0]])  # 0.5 nu_1 = 0.2 nu_2
    array([0.28571429, 0.71428571])
    """
    require_mdp(mdp)
    pi = validate.policy(mdp, pi)
    P_pi = np.einsum("sa,sat->st", pi, mdp.P)
    # nu^T (I - P_pi) = 0 has rank S - 1 when nu is unique: replace one equation by sum(nu) = 1.
    M = (np.eye(mdp.S) - P_pi).T
    M[-1] = 1.0
    b = np.zeros(mdp.S)
    b[-1] = 1.0
    try:
        nu = np.linalg.solve(M, b)
    except np.linalg.LinAlgError:
        raise ValueError("pi: its chain has no unique stationary distribution") from None
    if np.any(nu < -1e-12) or not np.allclose(nu @ P_pi, nu, atol=1e-12):
        raise ValueError("pi: its chain has no unique stationary distribution")
    return np.maximum(nu, 0.0)

