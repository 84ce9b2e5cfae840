r"""Exploration on the chain: how often random episodes see a reward, and when the vanishing-gradient
proposition starts to speak.

On the chain MDP of :func:`pgbook.envs.chain` a random policy reaches the only reward after about
:math:`4.5 \cdot 3^H` steps (:func:`pgbook.highprec.chain_hitting_time`), so a batch of sampled
episodes usually contains no reward at all, and every sample-based gradient estimate built from it is
exactly zero (AKLM Remark 4.1). The functions here compute that probability exactly, read hitting
times off sampled episodes, and evaluate the admissible range of AKLM Proposition 4.1.
"""

from __future__ import annotations

import math

import numpy as np

from . import _validate as validate
from .mdp import MDP, require_mdp


def reward_free_probability(mdp: MDP, pi, horizon: int, rho=None) -> np.ndarray:
    r"""The probability that an episode collects no reward in its first L steps, for L = 0..horizon.

    .. math:: q_L = \Pr^\pi_\rho\big(r(s_t, a_t) = 0 \text{ for all } t < L\big) = \sum_s m_L(s), \qquad
              m_0 = \rho, \quad m_{t+1}(s') = \sum_{s, a} m_t(s)\, \pi(a|s)\, \mathbb 1[r(s, a) = 0]\, P(s'|s, a),

    the forward recursion of the walk killed at its first rewarding step. A batch of n independent
    episodes of length L then sees no reward at all with probability :math:`q_L^n`, and every
    REINFORCE-type estimate from it is exactly zero (AKLM Remark 4.1). The rewards of pgbook's
    sampler are the deterministic :math:`r(s_t, a_t)`, so "a reward is seen" means
    :math:`r(s_t, a_t) > 0` for some :math:`t < L`.

    mdp: MDP with rewards >= 0; pi: (S, A) a stochastic policy; horizon: int >= 0; rho: ``None``
    (the MDP's start distribution), a state index or a distribution (S,). Returns q: (horizon + 1,),
    non-increasing, ``q[0] = 1``.
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

    states: (n, horizon) integer array, e.g. ``pgbook.sample_episodes(...).states``; target: a state
    index >= 0. Returns T: (n,) int64. On the chain, ``target = H + 1`` gives the hitting times of
    the goal whose mean :func:`pgbook.highprec.chain_hitting_time` computes exactly.
    """
    states = np.asarray(states)
    if states.ndim != 2 or states.dtype.kind not in "iu":
        raise ValueError(f"states: expected a 2-d integer array (n, horizon), got {states.dtype} with shape {states.shape}")
    target = validate.nonnegative_int(target, "target")
    hit = states == target
    return np.where(hit.any(axis=1), hit.argmax(axis=1), -1).astype(np.int64)


def admissible_order(H) -> float:
    r"""The largest derivative order covered by AKLM Proposition 4.1 (= AJKS Prop. 12.1) at horizon H.

    .. math:: k_{\max}(H) = \frac{H}{40 \log(2H)} - 1 \qquad (\text{natural log}),

    the proposition bounds :math:`\|\nabla^k_\theta V^{\pi_\theta}(s_0)\| \le (1/3)^{H/4}` for every
    integer :math:`0 \le k \le k_{\max}(H)`. H: a real >= 1. Returns k_max (negative: no order is
    covered).
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
    branch of the Lambert W function. k: int >= 0 (k = 0 is the value itself). Returns H_k.
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

