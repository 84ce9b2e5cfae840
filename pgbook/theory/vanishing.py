r"""Exploration on the chain: how often random episodes see a reward, what sampled methods do when they
see none, and when the vanishing-gradient proposition starts to speak.

On the chain MDP of :func:`pgbook.envs.chain` a random policy reaches the only reward after about
:math:`4.5 \cdot 3^H` steps (:func:`pgbook.highprec.chain_hitting_time`), so a batch of sampled
episodes usually contains no reward at all, and every sample-based gradient estimate built from it is
exactly zero (AKLM Remark 4.1). The functions here compute that probability exactly, read hitting
times off sampled episodes, run policy gradient and natural policy gradient on sampled episodes
(:func:`sampled_pg`, :func:`sampled_npg`), and evaluate the admissible range of AKLM Proposition 4.1.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _validate as validate
from ..algorithms import Run
from ..exact import value
from ..mdp import MDP, require_mdp
from .. import _inner
from ..sampling import reinforce_gradient, sample_episodes


def reward_free_probability(mdp: MDP, pi, horizon: int, rho=None) -> np.ndarray:
    r"""The probability that an episode collects no reward in its first L steps, for L = 0..horizon.

    .. math:: q_L &= \Pr^\pi_\rho\big(r(s_t, a_t) = 0 \text{ for all } t < L\big) = \sum_s m_L(s), \\
              m_0 &= \rho, \quad m_{t+1}(s') = \sum_{s, a} m_t(s)\, \pi(a|s)\, \mathbb 1[r(s, a) = 0]\, P(s'|s, a),

    the forward recursion of the walk killed at its first rewarding step. A batch of n independent
    episodes of length L then sees no reward at all with probability :math:`q_L^n`, and every
    REINFORCE-type estimate from it is exactly zero (AKLM Remark 4.1). The rewards of pgbook's
    sampler are the deterministic :math:`r(s_t, a_t)`, so "a reward is seen" means
    :math:`r(s_t, a_t) > 0` for some :math:`t < L`.

    Parameters
    ----------
    mdp : MDP
        With rewards >= 0.
    pi : array (S, A)
        A stochastic policy.
    horizon : int
        The longest L, >= 0.
    rho : None, int or array (S,)
        The start distribution: the MDP's by default, a state, or a distribution.

    Returns
    -------
    q : ndarray (horizon + 1,)
        Non-increasing, ``q[0] = 1``.

    Examples
    --------
    >>> import pgbook
    >>> from pgbook.theory import vanishing
    >>> chain = pgbook.envs.chain(4)  # the reward waits at the end of the chain
    >>> forward = pgbook.softmax([[1.0, 0.0, 0.0, 0.0]] * chain.S)  # a_1, forward, with probability 0.48
    >>> vanishing.reward_free_probability(chain, forward, 8).round(4)
    array([1.    , 1.    , 1.    , 1.    , 1.    , 1.    , 0.9757, 0.963 ,
           0.9254])
    >>> float(vanishing.reward_free_probability(chain, pgbook.uniform(chain), 8)[-1].round(4))
    0.9965
    """
    require_mdp(mdp)
    pi = validate.policy(mdp, pi)
    horizon = validate.nonnegative_int(horizon, "horizon")
    if (mdp.r < 0).any():
        raise ValueError(f"mdp: rewards must be >= 0 to count 'a reward is seen', got min {mdp.r.min():.3g}")
    m = validate.start(mdp, rho).copy()
    # K[s, s'] = sum over the reward-free actions a of pi(a|s) P(s'|s, a).
    K = np.einsum("sa,sat->st", pi * (mdp.r == 0), mdp.P)
    q = np.empty(horizon + 1)
    q[0] = m.sum()
    for L in range(1, horizon + 1):
        m = m @ K
        q[L] = m.sum()
    return q


def first_visits(states, target: int) -> np.ndarray:
    r"""The first time each sampled episode is in state ``target``, or -1 if it never is.

    .. math:: T_i = \min\{t : s^{(i)}_t = \text{target}\}.

    On the chain, ``target = H + 1`` gives the hitting times of the goal whose mean
    :func:`pgbook.highprec.chain_hitting_time` computes exactly (Thrun 1992: undirected exploration
    takes exponential time).

    Parameters
    ----------
    states : array (n, horizon) of int
        Sampled states, e.g. ``pgbook.sample_episodes(...).states``.
    target : int
        A state index, >= 0.

    Returns
    -------
    T : ndarray (n,) of int64

    Examples
    --------
    >>> from pgbook.theory import vanishing
    >>> vanishing.first_visits([[0, 1, 2, 2], [0, 0, 1, 0], [0, 1, 0, 1]], target=2)
    array([ 2, -1, -1])
    """
    states = np.asarray(states)
    if states.ndim != 2 or states.dtype.kind not in "iu":
        raise ValueError(f"states: expected a 2-d integer array (n, horizon), got {states.dtype} with shape {states.shape}")
    target = validate.nonnegative_int(target, "target")
    hit = states == target
    return np.where(hit.any(axis=1), hit.argmax(axis=1), -1).astype(np.int64)


def sampled_pg(mdp: MDP, eta, T, *, n: int, horizon: int, seed: int, rho=None) -> Run:
    r"""Softmax policy gradient ascent on REINFORCE estimates: each iteration samples a fresh batch.

    .. math:: \theta^{(t+1)} = \theta^{(t)} + \eta\, \widehat{\nabla V}^{(t)}(\rho),

    where :math:`\widehat{\nabla V}^{(t)}` is :func:`pgbook.reinforce_gradient` of ``n`` episodes of
    length ``horizon`` from :math:`\rho` under :math:`\pi^{(t)}` (Williams 1992; AJKS Lemma 11.7). From
    :math:`\theta^{(0)} = 0`, the uniform policy. A batch in which no episode collects a reward gives the
    estimate 0, and the step leaves :math:`\theta` exactly where it was (AKLM Remark 4.1).

    Parameters
    ----------
    mdp : MDP
        With ``gamma < 1`` and rewards >= 0.
    eta : float
        The step size, > 0.
    T, n, horizon : int
        Iterations, episodes per batch and their length, >= 1.
    seed : int
        In [0, 2**64); iteration t uses its own seed drawn from it.
    rho : None, int or array (S,), optional
        The start distribution of the episodes and of ``V_rho`` (default: the MDP's).

    Returns
    -------
    Run
        ``algorithm = "sampled_pg"``; every iterate recorded (``steps = 0..T``), ``theta: (T+1, S, A)``
        the logits; trace ``step``: :math:`\|\theta^{(t+1)} - \theta^{(t)}\|_2` (0 for the last iterate).

    Examples
    --------
    >>> from pgbook import envs
    >>> from pgbook.theory import vanishing
    >>> run = vanishing.sampled_pg(envs.chain(8), 1.0, 3, n=5, horizon=90, seed=0)
    >>> run.trace["step"].tolist()  # no batch saw a reward: the policy never moved
    [0.0, 0.0, 0.0, 0.0]
    >>> chain = envs.chain(3)  # short enough for a batch to see the reward
    >>> vanishing.sampled_pg(chain, 1.0, 20, n=8, horizon=12, seed=0).V_rho[[0, 10, 20]].round(4)
    array([0.012 , 0.0147, 0.0199])
    >>> vanishing.sampled_pg(chain, 3.0, 20, n=8, horizon=12, seed=1).V_rho[[0, 10, 20]].round(4)
    array([0.012 , 0.013 , 0.0848])
    """
    require_mdp(mdp)

    def step(theta, pi, seed_t):
        return theta + eta * reinforce_gradient(mdp, theta, n, horizon, seed_t, rho=rho)

    return _sampled_run("sampled_pg", step, mdp, np.zeros((mdp.S, mdp.A)), eta, T, n, horizon, seed, rho)


def sampled_npg(mdp: MDP, eta, T, *, n: int, horizon: int, seed: int, rho=None) -> Run:
    r"""Natural policy gradient (multiplicative weights) on advantages estimated from sampled episodes.

    Each iteration samples ``n`` episodes of length :math:`L` = ``horizon`` from :math:`\rho` under
    :math:`\pi^{(t)}` (:func:`pgbook.sample_episodes`), estimates

    .. math:: \hat Q(s, a) = \frac{\sum_{i,t:\, (s_{i,t}, a_{i,t}) = (s, a)} \gamma^t G_{i,t}}
                                   {\sum_{i,t:\, (s_{i,t}, a_{i,t}) = (s, a)} \gamma^t}, \qquad
              G_{i,t} = \sum_{t'=t}^{L-1} \gamma^{t'-t} r(s_{i,t'}, a_{i,t'}),

    the returns that follow the visits of :math:`(s, a)`, averaged with the discounted visitation's
    weights :math:`\gamma^t` (so the visits near the horizon, whose returns are cut short, count little,
    and the truncation bias is of order :math:`\gamma^L/(1-\gamma)`); :math:`\hat V(s)` is the same average
    over the visits of :math:`s`, and :math:`\hat A(s, a) = \hat Q(s, a) - \hat V(s)` (0 for pairs never
    visited). It then takes the NPG step of AKLM Lemma 5.1 with :math:`\hat A` in place of :math:`A^{(t)}`:

    .. math:: \pi^{(t+1)}(a|s) \propto \pi^{(t)}(a|s) \exp\Big(\frac{\eta \hat A(s, a)}{1-\gamma}\Big).

    From the uniform policy. A batch in which no episode collects a reward has every
    :math:`G_{i,t} = 0`, hence :math:`\hat A = 0`, and the step leaves the policy exactly where it was:
    with sampled advantages NPG waits for a reward like sampled policy gradient does (AKLM Remark 4.1).
    Choose the horizon as for :func:`pgbook.reinforce_gradient` (:func:`pgbook.truncation_horizon`).

    Parameters
    ----------
    mdp : MDP
        With ``gamma < 1`` and rewards >= 0.
    eta : float
        The step size, > 0.
    T, n, horizon : int
        Iterations, episodes per batch and their length, >= 1.
    seed : int
        In [0, 2**64); iteration t uses its own seed drawn from it.
    rho : None, int or array (S,), optional
        The start distribution of the episodes and of ``V_rho`` (default: the MDP's).

    Returns
    -------
    Run
        ``algorithm = "sampled_npg"``; every iterate recorded (``steps = 0..T``), ``theta: (T+1, S, A)``
        :math:`\log\pi^{(t)}`; trace ``step``: :math:`\|\log\pi^{(t+1)} - \log\pi^{(t)}\|_2` (0 for the
        last iterate).

    Examples
    --------
    >>> from pgbook import envs
    >>> from pgbook.theory import vanishing
    >>> run = vanishing.sampled_npg(envs.chain(2), 1.0, 2, n=50, horizon=30, seed=0)
    >>> bool(run.trace["step"][0] > 0), bool(run.V_rho[-1] > run.V_rho[0])  # the batches saw rewards
    (True, True)

    Examples
    --------
    >>> from pgbook import envs
    >>> from pgbook.theory import vanishing
    >>> chain = envs.chain(3)
    >>> vanishing.sampled_npg(chain, 1.0, 20, n=8, horizon=12, seed=0).V_rho[[0, 10, 20]].round(4)
    array([0.012 , 1.2153, 1.2525])
    >>> vanishing.sampled_npg(chain, 0.3, 20, n=8, horizon=12, seed=1).V_rho[[0, 10, 20]].round(4)
    array([0.012 , 0.7626, 1.2274])
    """
    require_mdp(mdp)
    S, A = mdp.S, mdp.A
    states = actions = rewards = None
    discount = mdp.gamma ** np.arange(validate.positive_int(horizon, "horizon"), dtype=np.float64)

    def step(logpi, pi, seed_t):
        nonlocal states, actions, rewards
        states, actions, rewards = sample_episodes(mdp, pi, n, horizon, seed_t, rho, out=(states, actions, rewards)
                                                   if states is not None else None)
        if not rewards.any():  # every return is 0, so is every estimated advantage: the step is the identity
            return logpi
        G = np.empty_like(rewards)
        G[:, -1] = rewards[:, -1]
        for t in range(horizon - 2, -1, -1):  # returns to go, backwards
            G[:, t] = rewards[:, t] + mdp.gamma * G[:, t + 1]
        pair = (states.astype(np.int64) * A + actions).ravel()
        weight = np.broadcast_to(discount, G.shape).ravel()
        visits = np.bincount(pair, weights=weight, minlength=S * A).reshape(S, A)
        Q_sum = np.bincount(pair, weights=weight * G.ravel(), minlength=S * A).reshape(S, A)
        seen = visits > 0
        Q_hat = np.where(seen, Q_sum / np.where(seen, visits, 1.0), 0.0)
        state_visits = visits.sum(axis=1)
        V_hat = Q_sum.sum(axis=1) / np.where(state_visits > 0, state_visits, 1.0)
        A_hat = np.where(seen, Q_hat - V_hat[:, None], 0.0)
        if not A_hat.any():  # renormalising would add round-off to a step that is exactly zero
            return logpi
        return _inner.log_softmax(logpi + eta / (1.0 - mdp.gamma) * A_hat)[0]

    return _sampled_run("sampled_npg", step, mdp, np.log(np.full((mdp.S, mdp.A), 1.0 / mdp.A)), eta, T, n, horizon,
                        seed, rho)


def _sampled_run(name: str, step, mdp: MDP, x0: np.ndarray, eta, T, n, horizon, seed, rho) -> Run:
    """Run ``x <- step(x, pi, seed_t)`` from the logits ``x0`` (the uniform policy) for T iterations,
    evaluating every iterate exactly; ``mdp`` is already checked to be an MDP."""
    validate.discounted(mdp, name)
    if (mdp.r < 0).any():
        raise ValueError(f"mdp: rewards must be >= 0, got min {mdp.r.min():.3g}")
    eta = validate.positive_real(eta, "eta")
    T, n = validate.positive_int(T, "T"), validate.positive_int(n, "n")
    horizon = validate.positive_int(horizon, "horizon")
    seed = validate.seed(seed)
    rho_v = validate.start(mdp, rho)
    seeds = np.random.SeedSequence(seed).generate_state(T, dtype=np.uint64)
    thetas = np.empty((T + 1, mdp.S, mdp.A))
    thetas[0] = x0
    pis, Vs = np.empty_like(thetas), np.empty((T + 1, mdp.S))
    steps = np.zeros(T + 1)
    for t in range(T + 1):
        pis[t] = _inner.log_softmax(thetas[t])[1]
        Vs[t] = value(mdp, pis[t])
        if t < T:
            thetas[t + 1] = step(thetas[t], pis[t], int(seeds[t]))
            steps[t] = np.linalg.norm(thetas[t + 1] - thetas[t])
    params = {"eta": eta, "T": T, "n": n, "horizon": horizon, "seed": seed, "rho": rho_v}
    return Run(name, Vs @ rho_v, np.arange(T + 1), pis, Vs, thetas, {"step": steps}, params)


def admissible_order(H) -> float:
    r"""The largest derivative order covered by AKLM Proposition 4.1 (= AJKS Prop. 12.1) at horizon H.

    .. math:: k_{\max}(H) = \frac{H}{40 \log(2H)} - 1 \qquad (\text{natural log}),

    the proposition bounds :math:`\|\nabla^k_\theta V^{\pi_\theta}(s_0)\| \le (1/3)^{H/4}` for every
    integer :math:`0 \le k \le k_{\max}(H)`.

    Parameters
    ----------
    H : float
        The chain's horizon, >= 1.

    Returns
    -------
    float
        :math:`k_{\max}(H)`; negative when no order is covered.

    Examples
    --------
    >>> from pgbook.theory import vanishing
    >>> [round(vanishing.admissible_order(H), 3) for H in (100, 1000, 10_000)]
    [-0.528, 2.289, 24.244]
    """
    H = validate.positive_real(H, "H")
    if H < 1:
        raise ValueError(f"H: the chain has horizon H >= 1, got {H!r}")
    return H / (40.0 * math.log(2.0 * H)) - 1.0


def first_admissible_horizon(k: int) -> int:
    r"""The smallest integer horizon H at which AKLM Proposition 4.1 covers the order-k derivatives.

    .. math:: H_k = \min\{H \in \mathbb N : k_{\max}(H) \ge k\}, \qquad
              k_{\max}(H) = \frac{H}{40\log(2H)} - 1,

    found by bisection (:math:`k_{\max}` increases for :math:`H \ge e/2`). In closed form
    :math:`H_k = \lceil -40(k+1)\, W_{-1}\big(-\tfrac{1}{80(k+1)}\big) \rceil` with :math:`W_{-1}` the lower
    branch of the Lambert W function (AKLM Proposition 4.1).

    Parameters
    ----------
    k : int
        The derivative order, >= 0 (k = 0 is the value itself).

    Returns
    -------
    int
        :math:`H_k`.

    Examples
    --------
    >>> from pgbook.theory import vanishing
    >>> vanishing.first_admissible_horizon(0), vanishing.first_admissible_horizon(1)
    (249, 562)
    """
    k = validate.nonnegative_int(k, "k")
    lo, hi = 1, 2
    while admissible_order(hi) < k:
        lo, hi = hi, 2 * hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if admissible_order(mid) >= k:
            hi = mid
        else:
            lo = mid
    return hi

