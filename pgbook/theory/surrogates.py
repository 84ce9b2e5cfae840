r"""Local models of the value around a policy: the surrogates behind TRPO, PPO and CPI.

All three methods improve a policy :math:`\pi_{\text{old}}` by maximising a *surrogate* built from
its own advantage :math:`A^{\pi_{\text{old}}}` and visitation :math:`d^{\pi_{\text{old}}}_\rho`, which
matches :math:`V^\pi(\rho)` to first order at :math:`\pi = \pi_{\text{old}}`, and by keeping the new
policy close to the old one, so that the surrogate stays a good model:

- TRPO (Schulman et al. 2015): a KL trust region, and a lower bound on the true value
  (:func:`surrogate`, :func:`mean_kl`, :func:`trpo_lower_bound`, the exact constrained step
  :func:`trpo_step` and whole runs of it, :func:`trpo_run`, and :func:`kl_step_size` to compare
  directions at equal KL);
- PPO (Schulman et al. 2017): a clipped importance ratio (:func:`ppo_clip_objective`,
  :func:`ppo_clip_gradient`, whole runs :func:`ppo_run`);
- CPI (Kakade and Langford 2002): a mixture with the greedy policy and its guaranteed improvement
  (:func:`greedy_advantage`, :func:`cpi_alpha`, :func:`cpi_improvement_bound`; the iteration is
  :func:`pgbook.algorithms.cpi`).

Everything is exact (no sampling) and in the AKLM convention: :math:`d^\pi_\rho` is the *normalised*
discounted visitation and the value carries :math:`\frac{1}{1-\gamma}`. TRPO's unnormalised
:math:`\rho_\pi` is :math:`d^\pi_\rho/(1-\gamma)`. All functions need :math:`\gamma < 1`.
Shapes: ``pi_old, pi: (S, A)`` policies; ``theta_old, theta: (S, A)`` tabular softmax parameters;
``rho`` is ``None`` (the MDP's start distribution), a state index or a distribution ``(S,)``.
"""

from __future__ import annotations

import numpy as np

from .. import _policy_kernels
from .. import _validate as validate
from ..algorithms import Run
from .._numba import kernel_array
from ..exact import advantage, value, visitation
from ..mdp import MDP, require_mdp
from ..policies import log_softmax, softmax


def kl(p, q) -> np.ndarray:
    r"""The KL divergence between two policies in every state.

    .. math:: \mathrm{KL}\big(p(\cdot|s)\,\|\,q(\cdot|s)\big) = \sum_a p(a|s) \log\frac{p(a|s)}{q(a|s)},
              \qquad 0 \log\tfrac{0}{q} = 0,

    infinite where :math:`q(a|s) = 0 < p(a|s)` (Kullback and Leibler 1951).

    Parameters
    ----------
    p, q : array (S, A)
        Stochastic rows.

    Returns
    -------
    ndarray (S,)
        >= 0.

    Examples
    --------
    >>> from pgbook.theory import surrogates
    >>> surrogates.kl([[0.5, 0.5], [0.9, 0.1]], [[0.25, 0.75], [0.5, 0.5]]).round(4)
    array([0.1438, 0.3681])
    """
    p, q = _pair(p, q, "p", "q")
    with np.errstate(divide="ignore"):
        ratio = np.divide(p, q, out=np.ones_like(p), where=p > 0)  # p > 0 = q gives inf
        terms = np.where(p > 0, p * np.log(ratio), 0.0)
    # The sum is >= 0 mathematically; round-off can leave -1e-17.
    return np.maximum(terms.sum(axis=1), 0.0)


def total_variation(p, q) -> np.ndarray:
    r"""The total variation distance between two policies in every state.

    .. math:: D_{TV}\big(p(\cdot|s), q(\cdot|s)\big) = \tfrac12 \sum_a |p(a|s) - q(a|s)|
              = \max\Big(\sum_{a \ne b} \big(p(a|s) - q(a|s)\big)^+,\ \sum_{a \ne b} \big(q(a|s) - p(a|s)\big)^+\Big)

    for any action :math:`b`, as both rows sum to 1. With :math:`b` the row's largest entry, the
    distance of a policy to its greedy policy is its mass off the greedy action, to full relative
    precision however close to 1 :math:`\pi(a^\star|s)` is (never :math:`1 - \pi(a^\star|s)` by subtraction).

    (The distance of TRPO's first bound: Schulman, Levine, Abbeel, Jordan and Moritz 2015, Theorem 1.)

    Parameters
    ----------
    p, q : array (S, A)
        Stochastic rows.

    Returns
    -------
    ndarray (S,)
        In [0, 1].

    Examples
    --------
    >>> import pgbook
    >>> from pgbook.theory import surrogates
    >>> surrogates.total_variation([[0.5, 0.5], [0.9, 0.1]], [[0.25, 0.75], [0.5, 0.5]])
    array([0.25, 0.4 ])
    >>> pi = pgbook.softmax([[40.0, 0.0, 0.0]])  # pi(a*) rounds to 1; the other two are 4.2e-18 each
    >>> surrogates.total_variation(pi, [[1.0, 0.0, 0.0]]), 2 * pi[0, 1]
    (array([8.49670851e-18]), np.float64(8.496708510583178e-18))
    """
    p, q = _pair(p, q, "p", "q")
    # Both rows sum to 1, so for any action b, D_TV = max(sum_{a != b} (p - q)^+, sum_{a != b} (q - p)^+)
    # (the term at b belongs to one side only). With b the row's largest entry, neither sum takes
    # p(b) - q(b), which cancels near a point mass (1 - pi(a*) by subtraction loses every digit once
    # pi(a*) rounds to 1); the other entries' differences are exact.
    others = np.arange(p.shape[1]) != np.argmax(np.maximum(p, q), axis=1)[:, None]
    diff = np.where(others, p - q, 0.0)
    return np.maximum(np.maximum(diff, 0.0).sum(axis=1), np.maximum(-diff, 0.0).sum(axis=1))


def mean_kl(mdp: MDP, pi_old, pi, rho=None, *, reverse: bool = False) -> float:
    r"""The average KL divergence of TRPO's trust region, weighted by the old policy's visitation.

    .. math:: \bar D_{KL}(\pi_{\text{old}}, \pi) = \mathbb E_{s \sim d^{\pi_{\text{old}}}_\rho}
              \mathrm{KL}\big(\pi_{\text{old}}(\cdot|s)\,\|\,\pi(\cdot|s)\big)

    (Schulman et al. 2015, Eq. (12), with the normalised visitation). ``reverse=True`` gives
    :math:`\mathbb E_{s \sim d^{\pi_{\text{old}}}_\rho}\mathrm{KL}(\pi(\cdot|s)\,\|\,\pi_{\text{old}}(\cdot|s))`,
    the direction the tutorial's slide writes; both have the Fisher matrix
    :math:`F_\rho(\theta_{\text{old}})` as their Hessian at :math:`\pi = \pi_{\text{old}}`
    (AJKS Claim 14.5).

    Parameters
    ----------
    mdp : MDP
        With gamma < 1.
    pi_old, pi : array (S, A)
        Policies.
    rho : None, int or array (S,)
        The start distribution: the MDP's by default, a state, or a distribution.
    reverse : bool
        :math:`\mathrm{KL}(\pi \| \pi_{\text{old}})` instead.

    Returns
    -------
    float
        >= 0.

    Examples
    --------
    >>> import pgbook
    >>> from pgbook.theory import surrogates
    >>> mdp = pgbook.envs.random_mdp(3, 2, seed=0, gamma=0.9)
    >>> theta_old = [[0.5, -0.5], [1.0, 0.0], [0.0, 0.3]]
    >>> theta = [[0.2, 0.0], [1.5, 0.0], [0.0, -0.4]]
    >>> pi_old, pi = pgbook.softmax(theta_old), pgbook.softmax(theta)
    >>> round(surrogates.mean_kl(mdp, pi_old, pi), 6), round(surrogates.mean_kl(mdp, pi_old, pi, reverse=True), 6)
    (0.05076, 0.052153)
    """
    pi_old, pi = _policies(mdp, pi_old, pi)
    d = visitation(mdp, pi_old, rho)
    per_state = kl(pi, pi_old) if reverse else kl(pi_old, pi)
    return float(np.sum(d * per_state, where=d > 0))


def kl_step_size(mdp: MDP, theta, direction, delta: float, rho=None) -> float:
    r"""The step size along ``direction`` that moves the softmax policy by a mean KL divergence ``delta``.

    .. math:: \eta > 0 \quad\text{with}\quad \bar D_{KL}(\theta, \theta + \eta\Delta)
              = \mathbb E_{s \sim d^{\pi_\theta}_\rho}
              \mathrm{KL}\big(\pi_\theta(\cdot|s)\,\|\,\pi_{\theta+\eta\Delta}(\cdot|s)\big) = \delta,

    TRPO's measure of a step (Schulman et al. 2015, Eq. (12); :func:`mean_kl`). Along a line each
    state's divergence is a log-partition function minus a linear function of :math:`\eta`: convex,
    with its minimum 0 at :math:`\eta = 0`. So the mean KL increases for :math:`\eta > 0`, and
    Newton's method from the right finds :math:`\eta` (:func:`pgbook._policy_kernels.kl_scale`, which
    :func:`pgbook.algorithms.softmax_pg_kl` takes at every iteration); steps of different directions
    can then be compared at equal KL.
    A direction that is constant in every state :math:`\rho` reaches does not move the policy, and
    raises ``ValueError``.

    Parameters
    ----------
    mdp : MDP
        With gamma < 1.
    theta, direction : array (S, A)
    delta : float
        The mean KL to move by, > 0.
    rho : None, int or array (S,)
        The start distribution: the MDP's by default, a state, or a distribution.

    Returns
    -------
    eta : float
        > 0.

    Examples
    --------
    >>> import pgbook
    >>> bandit = pgbook.envs.bandit([1.0, 0.0])
    >>> eta = pgbook.theory.surrogates.kl_step_size(bandit, [[0.0, 0.0]], [[1.0, -1.0]], delta=0.01)
    >>> round(eta, 4)  # about sqrt(2 delta / (D^T F D)) = sqrt(0.02)
    0.1417
    """
    require_mdp(mdp)
    validate.discounted(mdp, "the surrogates")
    theta = validate.theta(mdp, theta)
    direction = validate.array(direction, "direction", shape=theta.shape)
    delta = validate.positive_real(delta, "delta")
    log_pi, pi = log_softmax(theta), softmax(theta)
    d = visitation(mdp, pi, rho)
    eta = _policy_kernels.kl_scale(kernel_array(log_pi), kernel_array(pi), kernel_array(d), kernel_array(direction),
                            delta, 1e12)
    if eta < 0:
        raise ValueError(f"direction: no step along it moves the policy by a mean KL of {delta:g} "
                         "(it is constant, or nearly, in every state rho reaches)")
    return float(eta)


def surrogate(mdp: MDP, pi_old, pi, rho=None) -> float:
    r"""TRPO's local approximation to the value of ``pi``, built from ``pi_old``'s advantage and visitation.

    .. math:: L_{\pi_{\text{old}}}(\pi) = V^{\pi_{\text{old}}}(\rho) + \frac{1}{1-\gamma}
              \mathbb E_{s \sim d^{\pi_{\text{old}}}_\rho} \sum_a \pi(a|s)\, A^{\pi_{\text{old}}}(s, a)

    (Schulman et al. 2015, Eq. (3); Kakade and Langford 2002). The performance difference lemma gives
    :math:`V^\pi(\rho)` by the same formula with :math:`d^{\pi}_\rho` in place of
    :math:`d^{\pi_{\text{old}}}_\rho`, so :math:`L` and :math:`V` agree at :math:`\pi_{\text{old}}` and so
    do their gradients (for any parameterisation).

    Parameters
    ----------
    mdp : MDP
        With gamma < 1.
    pi_old, pi : array (S, A)
    rho : None, int or array (S,)
        The start distribution: the MDP's by default, a state, or a distribution.

    Returns
    -------
    float

    Examples
    --------
    >>> import pgbook
    >>> from pgbook.theory import surrogates
    >>> mdp = pgbook.envs.random_mdp(3, 2, seed=0, gamma=0.9)
    >>> theta_old = [[0.5, -0.5], [1.0, 0.0], [0.0, 0.3]]
    >>> theta = [[0.2, 0.0], [1.5, 0.0], [0.0, -0.4]]
    >>> pi_old, pi = pgbook.softmax(theta_old), pgbook.softmax(theta)
    >>> round(surrogates.surrogate(mdp, pi_old, pi), 6), round(float(pgbook.value(mdp, pi) @ mdp.rho), 6)
    (3.422603, 3.424332)
    """
    pi_old, pi = _policies(mdp, pi_old, pi)
    V_rho, d, adv = _old(mdp, pi_old, rho)
    return float(V_rho + d @ np.einsum("sa,sa->s", pi, adv) / (1.0 - mdp.gamma))


def trpo_lower_bound(mdp: MDP, pi_old, pi, rho=None, *, divergence: str = "tv") -> float:
    r"""The lower bound on :math:`V^\pi(\rho)` of TRPO's monotonic-improvement theorem.

    .. math:: V^\pi(\rho) \ge L_{\pi_{\text{old}}}(\pi) - \frac{4\epsilon\gamma}{(1-\gamma)^2}\,\alpha^2,
              \qquad \alpha = \max_s D_{TV}\big(\pi_{\text{old}}(\cdot|s), \pi(\cdot|s)\big),
              \quad \epsilon = \max_{s,a} |A^{\pi_{\text{old}}}(s, a)|

    (Schulman et al. 2015, Theorem 1; :math:`L` is :func:`surrogate`). ``divergence="kl"`` gives the
    weaker form with :math:`\alpha^2` replaced by

    .. math:: D^{\max}_{KL} = \max_s \mathrm{KL}(\pi_{\text{old}}(\cdot|s)\,\|\,\pi(\cdot|s)) \ge \alpha^2

    (their Eq. (9)). The maxima
    run over every state, reachable or not.

    Parameters
    ----------
    mdp : MDP
        With gamma < 1.
    pi_old, pi : array (S, A)
    rho : None, int or array (S,)
        The start distribution: the MDP's by default, a state, or a distribution.
    divergence : {"tv", "kl"}
        The distance of the penalty.

    Returns
    -------
    float

    Examples
    --------
    >>> import pgbook
    >>> from pgbook.theory import surrogates
    >>> mdp = pgbook.envs.random_mdp(3, 2, seed=0, gamma=0.9)
    >>> theta_old = [[0.5, -0.5], [1.0, 0.0], [0.0, 0.3]]
    >>> theta = [[0.2, 0.0], [1.5, 0.0], [0.0, -0.4]]
    >>> pi_old, pi = pgbook.softmax(theta_old), pgbook.softmax(theta)
    >>> round(surrogates.trpo_lower_bound(mdp, pi_old, pi), 4), round(surrogates.trpo_lower_bound(mdp, pi_old, pi, divergence="kl"), 4)
    (1.2428, -1.2051)
    """
    if divergence not in ("tv", "kl"):
        raise ValueError(f"divergence: expected 'tv' or 'kl', got {divergence!r}")
    pi_old, pi = _policies(mdp, pi_old, pi)
    V_rho, d, adv = _old(mdp, pi_old, rho)
    L = V_rho + d @ np.einsum("sa,sa->s", pi, adv) / (1.0 - mdp.gamma)
    epsilon = np.abs(adv).max()
    gap = total_variation(pi_old, pi).max() ** 2 if divergence == "tv" else kl(pi_old, pi).max()
    return float(L - 4.0 * epsilon * mdp.gamma / (1.0 - mdp.gamma) ** 2 * gap)


def trpo_step(mdp: MDP, theta_old, delta: float, rho=None) -> np.ndarray:
    r"""TRPO's step solved exactly: the best surrogate value inside the KL trust region.

    .. math:: \theta^\star = \arg\max_\theta L_{\theta_{\text{old}}}(\theta)
              \quad\text{subject to}\quad \bar D_{KL}(\theta_{\text{old}}, \theta) \le \delta

    for the tabular softmax policy (Schulman et al. 2015, Eq. (12); :func:`surrogate`, :func:`mean_kl`),
    in closed form up to two bisections: the surrogate is linear in :math:`\pi` and the mean KL convex,
    so the maximiser is the Lagrangian's stationary point

    .. math:: \pi(a|s) = \lambda\pi_{\text{old}}(a|s) / (\mu_s - A(s,a)/(1-\gamma)),

    with :math:`\mu_s` normalising each row and the multiplier
    :math:`\lambda` making the constraint active (:math:`d = d^{\pi_{\text{old}}}_\rho` weighs both
    terms alike, so it cancels state by state). To first
    order in :math:`\delta` the step is the natural gradient step with step size
    :math:`\sqrt{2\delta/(g^\top F^\dagger g)}` (AJKS section 14.2). Parameters of states that
    :math:`\rho` never reaches do not move.

    Parameters
    ----------
    mdp : MDP
        With gamma < 1.
    theta_old : array (S, A)
    delta : float
        The trust region's radius in mean KL, > 0.
    rho : None, int or array (S,)
        The start distribution: the MDP's by default, a state, or a distribution.

    Returns
    -------
    theta : ndarray (S, A)

    Examples
    --------
    >>> import pgbook
    >>> from pgbook.theory import surrogates
    >>> mdp = pgbook.envs.random_mdp(3, 2, seed=0, gamma=0.9)
    >>> theta_old = [[0.5, -0.5], [1.0, 0.0], [0.0, 0.3]]
    >>> theta = [[0.2, 0.0], [1.5, 0.0], [0.0, -0.4]]
    >>> pi_old, pi = pgbook.softmax(theta_old), pgbook.softmax(theta)
    >>> surrogates.trpo_step(mdp, theta_old, delta=0.01).round(4)
    array([[ 0.2926, -0.2926],
           [ 1.0219, -0.0219],
           [ 0.1519,  0.1481]])
    >>> surrogates.trpo_step(mdp, theta_old, delta=0.1).round(4)
    array([[-0.1441,  0.1441],
           [ 1.0683, -0.0683],
           [ 0.451 , -0.151 ]])
    """
    require_mdp(mdp)
    validate.discounted(mdp, "the surrogates")
    theta_old = validate.theta(mdp, theta_old, "theta_old")
    delta = validate.positive_real(delta, "delta")
    log_pi_old = log_softmax(theta_old)
    pi_old = np.exp(log_pi_old)
    _, d, adv = _old(mdp, pi_old, rho)
    g = adv / (1.0 - mdp.gamma)
    gap = g.max(axis=1, keepdims=True) - g  # >= 0, exactly 0 at a row's best action

    def log_maximiser(lam):
        # Stationarity of L - lam * KL over each simplex: pi(a|s) = lam pi_old(a|s) / (mu_s - g(s, a)),
        # with mu_s = max_a g + lam x_s, x_s in (0, 1], making the row sum to one (bisection on x_s; the
        # sum falls in x_s). Writing mu_s - g as gap + lam x keeps the best action's denominator exact
        # when lam is small next to g (mu_s - g would round to 0 there).
        lo, hi = np.zeros_like(gap[:, :1]), np.ones_like(gap[:, :1])
        for _ in range(100):
            mid = (lo + hi) / 2
            over = (lam * pi_old / (gap + lam * mid)).sum(axis=1, keepdims=True) > 1
            lo, hi = np.where(over, mid, lo), np.where(over, hi, mid)
        log_pi = log_pi_old - np.log(gap + lam * hi)
        return log_pi - np.logaddexp.reduce(log_pi, axis=1, keepdims=True)

    def kl(lam):
        return float(d @ np.einsum("sa,sa->s", pi_old, log_pi_old - log_maximiser(lam)))

    # The KL falls from its greedy value to 0 as the multiplier lam grows: bisect on log(lam), within
    # e^(+-300), where lam * x neither overflows nor underflows.
    lo, hi = -1.0, 1.0
    while kl(np.exp(hi)) > delta and hi < 300:
        hi += 2.0
    while kl(np.exp(lo)) < delta and lo > -300:
        lo -= 2.0
    for _ in range(100):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if kl(np.exp(mid)) > delta else (lo, mid)
    log_pi = log_maximiser(np.exp(hi))
    # Same row means as theta_old (the softmax ignores them), and states rho never reaches stay put.
    theta = log_pi - log_pi.mean(axis=1, keepdims=True) + theta_old.mean(axis=1, keepdims=True)
    return np.where(d[:, None] > 0, theta, theta_old)


def trpo_run(mdp: MDP, delta: float, T, *, linearised: bool = False, theta0=None, rho=None):
    r"""TRPO for ``T`` iterations with exact evaluation: each iteration one trust-region step of size ``delta``.

    .. math:: \theta_{t+1} = \arg\max_\theta L_{\theta_t}(\theta)
              \quad\text{subject to}\quad \bar D_{KL}(\theta_t, \theta) \le \delta

    solved exactly by :func:`trpo_step` (Schulman et al. 2015, Eq. (12)). With ``linearised=True``,
    the step of its linear-quadratic model instead: the natural gradient step with the step size
    that makes :math:`\frac12\Delta^\top F\Delta = \delta` (AJKS section 14.2, Claim 14.5),

    .. math:: \theta_{t+1} = \theta_t + \eta_t F^\dagger g_t = \theta_t + \frac{\eta_t}{1-\gamma}A^{(t)},
              \qquad \eta_t = \sqrt{\frac{2\delta}{g_t^\top F^\dagger g_t}}, \qquad
              g_t^\top F^\dagger g_t = \frac{1}{(1-\gamma)^2}
              \mathbb E_{s \sim d^{(t)}_\rho,\, a \sim \pi^{(t)}} A^{(t)}(s, a)^2,

    (:func:`pgbook.npg_step`); its mean KL is :math:`\delta` only to second order. A policy whose
    advantages vanish wherever :math:`\rho` leads stays put.

    Parameters
    ----------
    mdp : MDP
        With gamma < 1.
    delta : float
        The trust region's radius in mean KL, > 0.
    T : int
        The number of iterations, >= 1.
    linearised : bool
        The natural gradient step of the linearised problem instead of the exact one.
    theta0 : array (S, A), optional
        The first softmax parameters; 0 (the uniform policy) by default.
    rho : None, int or array (S,)
        The start distribution: the MDP's by default, a state, or a distribution.

    Returns
    -------
    pgbook.algorithms.Run
        Every iterate recorded: ``theta: (T+1, S, A)``, ``pi``, ``V``, ``V_rho``; no traces. Its
        ``algorithm`` is ``"trpo_run"``, or ``"trpo_run_linearised"``.

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> from pgbook.theory import surrogates
    >>> mdp = pgbook.envs.three_state()  # 3 states in a row, gamma = 0.9, rho = (0.5, 0.3, 0.2)
    >>> theta0 = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.0]])
    >>> run = surrogates.trpo_run(mdp, 0.01, T=5, theta0=theta0)
    >>> run
    Run(trpo_run, iterations=5, V_rho: 1.34049 -> 5.46168, 6 recorded)
    >>> [round(surrogates.mean_kl(mdp, p, q), 6) for p, q in zip(run.pi[:-1], run.pi[1:])]  # delta each
    [0.01, 0.01, 0.01, 0.01, 0.01]
    >>> npg = surrogates.trpo_run(mdp, 0.01, T=5, theta0=theta0, linearised=True)
    >>> npg
    Run(trpo_run_linearised, iterations=5, V_rho: 1.34049 -> 5.38619, 6 recorded)
    >>> [round(surrogates.mean_kl(mdp, p, q), 4) for p, q in zip(npg.pi[:-1], npg.pi[1:])]  # delta to 2nd order
    [0.0103, 0.0099, 0.0096, 0.0094, 0.0093]
    """
    require_mdp(mdp)
    validate.discounted(mdp, "the surrogates")
    delta = validate.positive_real(delta, "delta")
    T = validate.positive_int(T, "T")
    if not isinstance(linearised, (bool, np.bool_)):
        raise TypeError(f"linearised: expected True or False, got {linearised!r}")
    theta = np.zeros((mdp.S, mdp.A)) if theta0 is None else validate.theta(mdp, theta0, "theta0")
    start = validate.start(mdp, rho)
    thetas = [theta]
    for _ in range(T):
        if linearised:
            pi = softmax(theta)
            _, d, adv = _old(mdp, pi, start)
            gFg = d @ np.einsum("sa,sa->s", pi, adv**2) / (1.0 - mdp.gamma) ** 2
            eta = np.sqrt(2.0 * delta / gFg) if gFg > 0 else 0.0
            theta = theta + eta / (1.0 - mdp.gamma) * adv
        else:
            theta = trpo_step(mdp, theta, delta, start)
        thetas.append(theta)
    params = {"delta": delta, "T": T, "linearised": bool(linearised), "theta0": theta0, "rho": start}
    name = "trpo_run_linearised" if linearised else "trpo_run"
    return _whole_run(mdp, name, np.array(thetas), start, params)


def ppo_run(mdp: MDP, T, *, lr: float, epochs=10, epsilon: float = 0.2, theta0=None, rho=None):
    r"""PPO for ``T`` iterations with exact evaluation: each iteration ``epochs`` steps of gradient ascent on :math:`L^{\mathrm{CLIP}}`.

    .. math:: \theta^{(t)}_0 = \theta_t, \qquad
              \theta^{(t)}_{k+1} = \theta^{(t)}_k + \mathrm{lr}\,\nabla_\theta L^{\mathrm{CLIP}}_{\theta_t}(\theta^{(t)}_k),
              \qquad \theta_{t+1} = \theta^{(t)}_{\text{epochs}}

    (Schulman et al. 2017, Algorithm 1, with the sampled minibatches and Adam replaced by the exact
    gradient :func:`ppo_clip_gradient` and a fixed step ``lr``; :math:`L^{\mathrm{CLIP}}` is
    :func:`ppo_clip_objective` around the iteration's first policy). The first epoch is a policy
    gradient step of size ``lr``; later ones stop pushing a ratio that has left
    :math:`[1-\epsilon, 1+\epsilon]` in the direction its advantage favours.

    Parameters
    ----------
    mdp : MDP
        With gamma < 1.
    T : int
        The number of iterations, >= 1.
    lr : float
        The step size of each epoch, > 0.
    epochs : int
        Gradient steps per iteration, >= 1.
    epsilon : float
        The clip range, in (0, 1).
    theta0 : array (S, A), optional
        The first softmax parameters; 0 (the uniform policy) by default.
    rho : None, int or array (S,)
        The start distribution: the MDP's by default, a state, or a distribution.

    Returns
    -------
    pgbook.algorithms.Run
        Every iterate recorded: ``theta: (T+1, S, A)``, ``pi``, ``V``, ``V_rho``; no traces.

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> from pgbook.theory import surrogates
    >>> mdp = pgbook.envs.three_state()  # 3 states in a row, gamma = 0.9, rho = (0.5, 0.3, 0.2)
    >>> theta0 = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.0]])
    >>> run = surrogates.ppo_run(mdp, 3, lr=0.1, epochs=4, theta0=theta0)
    >>> run
    Run(ppo_run, iterations=3, V_rho: 1.34049 -> 4.07595, 4 recorded)
    >>> one_epoch = surrogates.ppo_run(mdp, 1, lr=0.1, epochs=1, theta0=theta0)  # = a policy gradient step
    >>> bool(np.allclose(one_epoch.theta[1], theta0 + 0.1 * pgbook.softmax_gradient(mdp, theta0)))
    True
    """
    require_mdp(mdp)
    validate.discounted(mdp, "the surrogates")
    T = validate.positive_int(T, "T")
    lr = validate.positive_real(lr, "lr")
    epochs = validate.positive_int(epochs, "epochs")
    theta = np.zeros((mdp.S, mdp.A)) if theta0 is None else validate.theta(mdp, theta0, "theta0")
    start = validate.start(mdp, rho)
    thetas = [theta]
    for _ in range(T):
        new = theta
        for _ in range(epochs):
            new = new + lr * ppo_clip_gradient(mdp, theta, new, epsilon, start)
        theta = new
        thetas.append(theta)
    params = {"T": T, "lr": lr, "epochs": epochs, "epsilon": epsilon, "theta0": theta0, "rho": start}
    return _whole_run(mdp, "ppo_run", np.array(thetas), start, params)


def ppo_clip_objective(mdp: MDP, theta_old, theta, epsilon: float = 0.2, rho=None) -> float:
    r"""PPO's clipped surrogate, computed exactly for tabular softmax policies, on the value's scale.

    .. math:: L^{\mathrm{CLIP}}(\theta) = V^{\pi_{\text{old}}}(\rho) + \frac{1}{1-\gamma}
              \mathbb E_{s \sim d^{\pi_{\text{old}}}_\rho,\, a \sim \pi_{\text{old}}}
              \Big[\min\big(r_\theta(s,a) A(s,a),\ \mathrm{clip}(r_\theta(s,a), 1-\epsilon, 1+\epsilon) A(s,a)\big)\Big],

    with :math:`r_\theta = \pi_\theta(a|s)/\pi_{\text{old}}(a|s)` and :math:`A = A^{\pi_{\text{old}}}`
    (Schulman et al. 2017, Eq. (7), whose empirical average over time steps is replaced here by the
    exact expectation; the constant and the factor :math:`\frac{1}{1-\gamma}` put it on the scale of
    :math:`V` and of :func:`surrogate`). Since :math:`\min(rA, \mathrm{clip}(r)A) \le rA`,
    :math:`L^{\mathrm{CLIP}} \le L_{\pi_{\text{old}}}(\pi_\theta)`, with equality while every ratio stays in
    :math:`[1-\epsilon, 1+\epsilon]`.

    Parameters
    ----------
    mdp : MDP
        With gamma < 1.
    theta_old, theta : array (S, A)
    epsilon : float
        The clip range, in (0, 1).
    rho : None, int or array (S,)
        The start distribution: the MDP's by default, a state, or a distribution.

    Returns
    -------
    float

    Examples
    --------
    >>> import pgbook
    >>> from pgbook.theory import surrogates
    >>> mdp = pgbook.envs.random_mdp(3, 2, seed=0, gamma=0.9)
    >>> theta_old = [[0.5, -0.5], [1.0, 0.0], [0.0, 0.3]]
    >>> theta = [[0.2, 0.0], [1.5, 0.0], [0.0, -0.4]]
    >>> pi_old, pi = pgbook.softmax(theta_old), pgbook.softmax(theta)
    >>> round(surrogates.ppo_clip_objective(mdp, theta_old, theta, epsilon=0.2), 6)
    3.280896
    >>> round(surrogates.ppo_clip_objective(mdp, theta_old, theta, epsilon=0.05), 6)
    3.181678
    """
    pi_old, pi, epsilon, (V_rho, d, adv) = _ppo_parts(mdp, theta_old, theta, epsilon, rho)
    ratio = pi / pi_old
    # min(r A, clip(r) A) = r A - max(0, (r - clip(r)) A), and pi_old r A = pi A: written this way the
    # objective is the surrogate minus a penalty >= 0, so it stays below it in floating point too.
    penalty = np.maximum(0.0, (ratio - np.clip(ratio, 1.0 - epsilon, 1.0 + epsilon)) * adv)
    per_state = np.einsum("sa,sa->s", pi, adv) - np.einsum("sa,sa->s", pi_old, penalty)
    return float(V_rho + d @ per_state / (1.0 - mdp.gamma))


def ppo_clip_gradient(mdp: MDP, theta_old, theta, epsilon: float = 0.2, rho=None) -> np.ndarray:
    r"""The gradient of :func:`ppo_clip_objective` with respect to the softmax parameters ``theta``.

    .. math:: \frac{\partial L^{\mathrm{CLIP}}}{\partial \theta_{s,b}} &= \frac{d^{\pi_{\text{old}}}_\rho(s)}{1-\gamma}
              \Big(\pi_\theta(b|s)\, g(s,b) - \pi_\theta(b|s) \sum_a \pi_\theta(a|s)\, g(s,a)\Big), \\
              g &= A \cdot \mathbf 1\big[r_\theta A \le \mathrm{clip}(r_\theta, 1-\epsilon, 1+\epsilon) A\big],

    since :math:`\pi_{\text{old}}\nabla r_\theta = \nabla\pi_\theta` and a clipped term is constant in
    :math:`\theta` (on a tie the unclipped branch is taken). At :math:`\theta = \theta_{\text{old}}`
    every ratio is 1, nothing is clipped and this is the policy gradient
    :math:`\nabla_\theta V^{\pi_\theta}(\rho)` of :func:`pgbook.softmax_gradient` (AKLM Eq. (10)).

    Parameters
    ----------
    mdp : MDP
        With gamma < 1.
    theta_old, theta : array (S, A)
    epsilon : float
        The clip range, in (0, 1).
    rho : None, int or array (S,)
        The start distribution: the MDP's by default, a state, or a distribution.

    Returns
    -------
    ndarray (S, A)
        :math:`\partial L^{\text{clip}}/\partial\theta`.

    Examples
    --------
    >>> import pgbook
    >>> from pgbook.theory import surrogates
    >>> mdp = pgbook.envs.random_mdp(3, 2, seed=0, gamma=0.9)
    >>> theta_old = [[0.5, -0.5], [1.0, 0.0], [0.0, 0.3]]
    >>> theta = [[0.2, 0.0], [1.5, 0.0], [0.0, -0.4]]
    >>> pi_old, pi = pgbook.softmax(theta_old), pgbook.softmax(theta)
    >>> surrogates.ppo_clip_gradient(mdp, theta_old, theta, epsilon=0.2).round(4)
    array([[ 0.    ,  0.    ],
           [ 0.0041, -0.0041],
           [ 0.    ,  0.    ]])
    >>> surrogates.ppo_clip_gradient(mdp, theta_old, theta, epsilon=0.05).round(4)
    array([[0., 0.],
           [0., 0.],
           [0., 0.]])
    """
    pi_old, pi, epsilon, (_, d, adv) = _ppo_parts(mdp, theta_old, theta, epsilon, rho)
    ratio = pi / pi_old
    g = np.where(ratio * adv <= np.clip(ratio, 1.0 - epsilon, 1.0 + epsilon) * adv, adv, 0.0)
    inner = pi * g
    return d[:, None] * (inner - pi * inner.sum(axis=1, keepdims=True)) / (1.0 - mdp.gamma)


def greedy_advantage(mdp: MDP, pi, rho=None) -> float:
    r"""CPI's measure of how much a greedy step could gain: the expected best advantage.

    .. math:: \mathbb A = \mathbb E_{s \sim d^{\pi}_\rho} \max_a A^{\pi}(s, a) \;\ge 0

    (AJKS section 14.1, with :math:`\pi'` the greedy policy; Kakade and Langford 2002).
    :math:`\mathbb A = 0` exactly when no state that :math:`\rho` reaches can be improved.

    Parameters
    ----------
    mdp : MDP
    pi : array (S, A)
    rho : None, int or array (S,)
        The start distribution: the MDP's by default, a state, or a distribution.

    Returns
    -------
    float
        >= 0.

    Examples
    --------
    >>> import pgbook
    >>> from pgbook.theory import surrogates
    >>> mdp = pgbook.envs.random_mdp(3, 2, seed=0, gamma=0.9)
    >>> pi = pgbook.softmax([[0.5, -0.5], [1.0, 0.0], [0.0, 0.3]])
    >>> round(surrogates.greedy_advantage(mdp, pi), 6), round(surrogates.greedy_advantage(mdp, pi, rho=2), 6)
    (0.10384, 0.104521)
    """
    require_mdp(mdp)
    validate.discounted(mdp, "the surrogates")
    pi = validate.policy(mdp, pi)
    # max_a A >= sum_a pi A = 0 in every state; round-off can leave -1e-17.
    return max(0.0, float(visitation(mdp, pi, rho) @ advantage(mdp, pi).max(axis=1)))


def cpi_improvement_bound(mdp: MDP, pi, alpha: float, rho=None) -> float:
    r"""The guaranteed improvement of one conservative policy iteration step.

    .. math:: V^{\pi_{\text{new}}}(\rho) - V^{\pi}(\rho) \ge \frac{\alpha}{1-\gamma}
              \Big(\mathbb A - \frac{2\alpha\gamma}{(1-\gamma)^2}\Big),
              \qquad \pi_{\text{new}} = (1-\alpha)\pi + \alpha\,\mathrm{greedy}(A^\pi),

    with :math:`\mathbb A` from :func:`greedy_advantage` (AJKS Theorem 14.2; rewards in [0, 1]).
    :math:`\alpha = \mathbb A(1-\gamma)^2/(4\gamma)` maximises it, at :math:`\mathbb A^2(1-\gamma)/(8\gamma)`.

    Parameters
    ----------
    mdp : MDP
        With gamma < 1.
    pi : array (S, A)
    alpha : float
        The mixing weight, in (0, 1].
    rho : None, int or array (S,)
        The start distribution: the MDP's by default, a state, or a distribution.

    Returns
    -------
    float
        Negative when alpha is too large to guarantee anything.

    Examples
    --------
    >>> import pgbook
    >>> from pgbook.theory import surrogates
    >>> mdp = pgbook.envs.random_mdp(3, 2, seed=0, gamma=0.9)
    >>> pi = pgbook.softmax([[0.5, -0.5], [1.0, 0.0], [0.0, 0.3]])
    >>> [round(surrogates.cpi_improvement_bound(mdp, pi, alpha), 8) for alpha in (1e-4, 1e-3, 0.1)]
    [8.584e-05, -0.0007616, -17.89616011]
    """
    alpha = validate.positive_real(alpha, "alpha")
    if alpha > 1.0:
        raise ValueError(f"alpha: must lie in (0, 1], got {alpha:g}")
    gain = greedy_advantage(mdp, pi, rho)
    gamma = mdp.gamma
    return alpha / (1.0 - gamma) * (gain - 2.0 * alpha * gamma / (1.0 - gamma) ** 2)


def cpi_alpha(mdp: MDP, pi, rho=None) -> float:
    r"""The mixing weight that maximises CPI's guaranteed improvement (:func:`cpi_improvement_bound`).

    .. math:: \alpha = \min\Big(1, \frac{\mathbb A(1-\gamma)^2}{4\gamma}\Big), \qquad
              V^{\pi_{\text{new}}}(\rho) - V^{\pi}(\rho) \ge \frac{\mathbb A^2(1-\gamma)}{8\gamma}
              \ \text{(when the min is not 1)}

    (AJKS Theorem 14.2; the choice :func:`pgbook.algorithms.cpi` makes with ``alpha=None``).

    Parameters
    ----------
    mdp : MDP
        With 0 < gamma < 1.
    pi : array (S, A)
    rho : None, int or array (S,)
        The start distribution: the MDP's by default, a state, or a distribution.

    Returns
    -------
    float
        In [0, 1]; 0 when no greedy step gains.

    Examples
    --------
    >>> import pgbook
    >>> from pgbook.theory import surrogates
    >>> mdp = pgbook.envs.random_mdp(3, 2, seed=0, gamma=0.9)
    >>> pi = pgbook.softmax([[0.5, -0.5], [1.0, 0.0], [0.0, 0.3]])
    >>> round(surrogates.cpi_alpha(mdp, pi), 8), round(surrogates.cpi_alpha(mdp.replace(gamma=0.5), pi), 8)
    (0.00028844, 0.0096328)
    """
    gain = greedy_advantage(mdp, pi, rho)
    if mdp.gamma == 0.0:
        return 1.0
    return min(1.0, gain * (1.0 - mdp.gamma) ** 2 / (4.0 * mdp.gamma))


def _whole_run(mdp: MDP, name: str, thetas: np.ndarray, rho: np.ndarray, params: dict):
    """A :class:`pgbook.algorithms.Run` recording every iterate ``thetas: (T+1, S, A)``, evaluated exactly."""
    pi = np.array([softmax(theta) for theta in thetas])
    V = np.array([value(mdp, p) for p in pi])
    return Run(name, V @ rho, np.arange(len(thetas)), pi, V, thetas, params=params)


def _pair(p, q, name_p: str, name_q: str) -> tuple[np.ndarray, np.ndarray]:
    p = validate.array(p, name_p, ndim=2)
    q = validate.array(q, name_q, shape=p.shape)
    validate.distribution_rows(p, name_p)
    validate.distribution_rows(q, name_q)
    return p, q


def _policies(mdp: MDP, pi_old, pi) -> tuple[np.ndarray, np.ndarray]:
    require_mdp(mdp)
    validate.discounted(mdp, "the surrogates")
    return validate.policy(mdp, pi_old, "pi_old"), validate.policy(mdp, pi, "pi")


def _ppo_parts(mdp: MDP, theta_old, theta, epsilon, rho):
    require_mdp(mdp)
    validate.discounted(mdp, "the surrogates")
    theta_old = validate.theta(mdp, theta_old, "theta_old")
    theta = validate.theta(mdp, theta, "theta")
    epsilon = validate.positive_real(epsilon, "epsilon")
    if epsilon >= 1.0:
        raise ValueError(f"epsilon: the clip range must lie in (0, 1), got {epsilon:g}")
    pi_old = softmax(theta_old)
    return pi_old, softmax(theta), epsilon, _old(mdp, pi_old, rho)


def _old(mdp: MDP, pi_old: np.ndarray, rho) -> tuple[float, np.ndarray, np.ndarray]:
    """What every surrogate needs of the old policy: V(rho), its visitation d: (S,) and advantage adv: (S, A)."""
    rho = validate.start(mdp, rho)
    return float(value(mdp, pi_old) @ rho), visitation(mdp, pi_old, rho), advantage(mdp, pi_old)
