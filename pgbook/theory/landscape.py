r"""The optimisation landscape of :math:`V^{\pi_\theta}(\rho)`: non-concavity, gradient domination, and
the guarantee of projected gradient ascent for the direct parameterisation.

- :func:`midpoint_gaps` -- how far a function is from concave (or convex) between pairs of points;
- :func:`mismatch` -- the distribution mismatch coefficient :math:`\|d/\mu\|_\infty` (AKLM Def. 3.1);
- :func:`stationarity` -- the first-order stationarity gap
  :math:`\max_{\bar\pi}(\bar\pi - \pi)^\top\nabla_\pi V^\pi(\mu)` of gradient domination (AKLM Lemma 4.1);
- :func:`direct_smoothness` -- the smoothness constant of :math:`\pi \mapsto V^\pi(\mu)` (AKLM Lemma D.3);
- :func:`pga_step_size`, :func:`pga_bound` and :func:`pga_iterations_bound` -- the step size and the
  guarantee of AKLM Theorem 4.1;
- :func:`rare_state_iterations` -- the exact iteration count of projected gradient ascent on the
  family :func:`pgbook.envs.rare_state`.

The chapter's small MDPs are built in :mod:`pgbook.envs` (:func:`~pgbook.envs.detour`,
:func:`~pgbook.envs.stay_or_leave`, :func:`~pgbook.envs.rare_state`).

Source: Agarwal, Kakade, Lee and Mahajan (2021), *On the Theory of Policy Gradient Methods:
Optimality, Approximation, and Distribution Shift*, JMLR 22(98) (AKLM), sections 3 and 4.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .. import _validate as validate
from ..gradients import direct_gradient
from ..mdp import MDP, require_mdp

def midpoint_gaps(f: Callable, theta1, theta2) -> np.ndarray:
    r"""Midpoint-concavity gaps of ``f`` over pairs of points.

    .. math:: g_i = \frac{f(\theta_1^{(i)}) + f(\theta_2^{(i)})}{2} - f\Big(\frac{\theta_1^{(i)} + \theta_2^{(i)}}{2}\Big).

    A concave ``f`` has :math:`g_i \le 0` for every pair, so a single :math:`g_i > 0` proves that
    ``f`` is not concave (a convex ``f`` has :math:`g_i \ge 0`: apply this to ``-f`` to test
    convexity). AKLM Lemma 3.1 states that :math:`\theta \mapsto V^{\pi_\theta}(s)` is not concave.

    Compare against a tolerance of a few ulps of the values of ``f`` before counting, since round-off
    alone gives gaps of that size.

    Parameters
    ----------
    f : callable
        A function of one parameter array, returning a real number.
    theta1, theta2 : array (n, ...)
        The n pairs, of equal shapes.

    Returns
    -------
    g : ndarray (n,)

    Examples
    --------
    >>> import pgbook
    >>> from pgbook.theory import landscape
    >>> mdp = pgbook.envs.random_mdp(3, 2, seed=0, gamma=0.9)
    >>> V = lambda theta: pgbook.value(mdp, pgbook.softmax(theta)) @ mdp.rho
    >>> theta1 = [[[3.0, -3.0], [0.0, 0.0], [0.0, 0.0]], [[0.5, -0.5], [1.0, 0.0], [0.0, 0.3]]]
    >>> theta2 = [[[-3.0, 3.0], [0.0, 0.0], [0.0, 0.0]], [[0.0, 0.0], [0.0, 1.0], [2.0, 0.0]]]
    >>> landscape.midpoint_gaps(V, theta1, theta2).round(4)
    array([-0.1311, -0.0111])
    """
    if not callable(f):
        raise TypeError(f"f: expected a function of one parameter array, got {type(f).__name__}")
    theta1 = validate.array(theta1, "theta1")
    theta2 = validate.array(theta2, "theta2")
    if theta1.ndim == 0 or theta1.shape[0] == 0:
        raise ValueError(f"theta1: expected (n, ...) with n >= 1 pairs, got shape {theta1.shape}")
    if theta1.shape != theta2.shape:
        raise ValueError(f"theta2: shape {theta2.shape} differs from theta1's {theta1.shape}")
    gaps = np.empty(theta1.shape[0])
    for i, (a, b) in enumerate(zip(theta1, theta2)):
        values = [float(f(x)) for x in (a, b, (a + b) / 2)]
        if not all(math.isfinite(v) for v in values):
            raise ValueError(f"f: returned a non-finite value at pair {i}")
        gaps[i] = (values[0] + values[1]) / 2 - values[2]
    return gaps


def mismatch(d, mu) -> float:
    r"""The distribution mismatch coefficient of ``d`` with respect to ``mu``.

    .. math:: \Big\|\frac{d}{\mu}\Big\|_\infty = \max_s \frac{d(s)}{\mu(s)}

    (AKLM Definition 3.1, with :math:`d = d^{\pi^\star}_\rho` in Theorem 4.1 and
    :math:`d = d^{\pi^\star}_\rho`, :math:`\mu = d^\pi_\mu` in Lemma 4.1; Kakade and Langford 2002).
    At least 1, since both are distributions; infinite if ``mu`` misses a state that ``d`` visits.

    Parameters
    ----------
    d, mu : array (S,)
        Probability distributions.

    Returns
    -------
    float

    Examples
    --------
    >>> from pgbook.theory import landscape
    >>> landscape.mismatch([0.7, 0.2, 0.1], [0.5, 0.25, 0.25]), landscape.mismatch([0.5, 0.5, 0.0], [1.0, 0.0, 0.0])
    (1.4, inf)
    """
    d = validate.array(d, "d", ndim=1)
    mu = validate.array(mu, "mu", ndim=1)
    if d.shape != mu.shape:
        raise ValueError(f"mu: shape {mu.shape} differs from d's {d.shape}")
    for name, x in (("d", d), ("mu", mu)):
        if (x < 0).any() or abs(x.sum() - 1.0) > validate.PROB_TOL:
            raise ValueError(f"{name}: expected a probability distribution (non-negative, sum 1), "
                             f"got min {x.min():.3g} and sum {x.sum():.12g}")
    support = d > 0
    if (mu[support] == 0).any():
        return math.inf
    return float(np.max(d[support] / mu[support]))


def stationarity(mdp: MDP, pi, mu=None) -> float:
    r"""The first-order stationarity gap of the direct parameterisation.

    .. math:: \max_{\bar\pi}\,(\bar\pi - \pi)^\top \nabla_\pi V^\pi(\mu)
              = \sum_s \Big[\max_a g(s, a) - \sum_a \pi(a|s)\, g(s, a)\Big]
              = \frac{1}{1-\gamma}\sum_s d^\pi_\mu(s)\max_a A^\pi(s, a),

    with :math:`g = \nabla_\pi V^\pi(\mu)`, :math:`g(s, a) = d^\pi_\mu(s) Q^\pi(s, a)/(1-\gamma)`
    (:func:`pgbook.direct_gradient`): the maximum over :math:`\bar\pi` in the product of simplices is
    attained by putting, in each state, all mass on the largest entry of the gradient. It is zero
    exactly at first-order stationary points, and AKLM Lemma 4.1 (gradient domination) bounds the
    optimality gap by it.

    Parameters
    ----------
    mdp : MDP
    pi : array (S, A)
        A policy.
    mu : None, int or array (S,)
        The start distribution: the MDP's by default, a state, or a distribution.

    Returns
    -------
    float
        >= 0.

    Examples
    --------
    >>> import pgbook
    >>> from pgbook.theory import landscape
    >>> mdp = pgbook.envs.random_mdp(3, 2, seed=0, gamma=0.9)
    >>> pi = pgbook.softmax([[0.5, -0.5], [1.0, 0.0], [0.0, 0.3]])
    >>> round(landscape.stationarity(mdp, pi), 4), round(landscape.stationarity(mdp, pi, mu=2), 4)
    (1.0384, 1.0452)
    >>> landscape.stationarity(mdp, pgbook.policy_iteration(mdp)[0])  # zero at the optimum
    0.0
    """
    g = direct_gradient(mdp, pi, mu)
    pi = np.asarray(pi, dtype=float)
    return float(np.sum(g.max(axis=1) - np.sum(pi * g, axis=1)))


def direct_smoothness(mdp: MDP) -> float:
    r"""The smoothness constant of the value in the direct parameterisation (AKLM Lemma D.3).

    .. math:: \beta = \frac{2\gamma|\mathcal A|}{(1-\gamma)^3}:
              \quad \|\nabla_\pi V^{\pi}(\mu) - \nabla_\pi V^{\pi'}(\mu)\|_2 \le \beta\, \|\pi - \pi'\|_2

    for all policies :math:`\pi, \pi'` and every start distribution :math:`\mu` (rewards in [0, 1]).
    Needs :math:`0 < \gamma < 1`.

    Parameters
    ----------
    mdp : MDP

    Returns
    -------
    float

    Examples
    --------
    >>> from pgbook import envs
    >>> from pgbook.theory import landscape
    >>> round(landscape.direct_smoothness(envs.random_mdp(6, 3, seed=0, gamma=0.8)), 6)
    600.0
    """
    require_mdp(mdp)
    gamma = _discount(mdp)
    return 2 * gamma * mdp.A / (1 - gamma) ** 3


def pga_step_size(mdp: MDP) -> float:
    r"""The step size of AKLM Theorem 4.1 for projected gradient ascent on the direct parameterisation.

    .. math:: \eta = \frac{1}{\beta} = \frac{(1-\gamma)^3}{2\gamma|\mathcal A|},

    where :math:`\beta` is the smoothness constant of :math:`\pi \mapsto V^\pi(\mu)`
    (:func:`direct_smoothness`, AKLM Lemma D.3).

    Parameters
    ----------
    mdp : MDP
        With :math:`0 < \gamma < 1`.

    Returns
    -------
    float

    Examples
    --------
    >>> import pgbook
    >>> from pgbook.theory import landscape
    >>> landscape.pga_step_size(pgbook.envs.random_mdp(3, 2, seed=0, gamma=0.9))  # 0.1^3 / (2 * 0.9 * 2)
    0.0002777777777777776
    """
    return 1.0 / direct_smoothness(mdp)


def pga_bound(mdp: MDP, T, D: float) -> np.ndarray:
    r"""The guarantee of projected gradient ascent (AKLM Theorem 4.1, with :math:`t \le T`).

    With :math:`\eta` of :func:`pga_step_size`, every :math:`\epsilon` with
    :math:`T > \frac{64\gamma|\mathcal S||\mathcal A|}{(1-\gamma)^6\epsilon^2}D^2` satisfies
    :math:`\min_{t \le T}\{V^\star(\rho) - V^{(t)}(\rho)\} \le \epsilon`; letting :math:`\epsilon`
    decrease to its limit,

    .. math:: \min_{t \le T}\{V^\star(\rho) - V^{(t)}(\rho)\} \le \epsilon(T)
              = \sqrt{\frac{64\gamma|\mathcal S||\mathcal A|\, D^2}{(1-\gamma)^6\, T}},
              \qquad D = \Big\|\frac{d^{\pi^\star}_\rho}{\mu}\Big\|_\infty,

    for the ascent on :math:`V^\pi(\mu)` (rewards in [0, 1]).

    Parameters
    ----------
    mdp : MDP
        With :math:`0 < \gamma < 1`.
    T : int or array
        Iteration counts, >= 1.
    D : float
        The mismatch coefficient (:func:`mismatch`), >= 1.

    Returns
    -------
    epsilon : ndarray
        Shaped like T.

    Examples
    --------
    >>> import pgbook
    >>> from pgbook.theory import landscape
    >>> mdp = pgbook.envs.random_mdp(3, 2, seed=0, gamma=0.9)
    >>> landscape.pga_bound(mdp, [1e6, 4e6], 2.0).round(1)
    array([37.2, 18.6])
    """
    require_mdp(mdp)
    gamma = _discount(mdp)
    T = validate.array(T, "T")
    if (T < 1).any():
        raise ValueError(f"T: iteration counts must be >= 1, got min {T.min():.3g}")
    D = validate.positive_real(D, "D")
    if D < 1 or not math.isfinite(D):
        raise ValueError(f"D: a mismatch coefficient is finite and at least 1, got {D!r}")
    return np.sqrt(64 * gamma * mdp.S * mdp.A * D**2 / ((1 - gamma) ** 6 * T))


def pga_iterations_bound(mdp: MDP, eps, D: float) -> np.ndarray:
    r"""The iteration count of AKLM Theorem 4.1: projected gradient ascent is :math:`\epsilon`-optimal within

    .. math:: T(\epsilon) = \frac{64\gamma|\mathcal S||\mathcal A|}{(1-\gamma)^6\epsilon^2}\, D^2,
              \qquad D = \Big\|\frac{d^{\pi^\star}_\rho}{\mu}\Big\|_\infty,

    iterations (the theorem asks for :math:`T > T(\epsilon)`; it is :func:`pga_bound` solved for T).

    Parameters
    ----------
    mdp : MDP
        With :math:`0 < \gamma < 1`.
    eps : float or array
        Gaps, > 0.
    D : float or array
        Mismatch coefficients, >= 1 (broadcast with eps).

    Returns
    -------
    T : ndarray
        Shaped like the broadcast of eps and D.

    Examples
    --------
    >>> from pgbook import envs
    >>> from pgbook.theory import landscape
    >>> mdp = envs.random_mdp(6, 3, seed=0, gamma=0.8)
    >>> float(landscape.pga_bound(mdp, landscape.pga_iterations_bound(mdp, 0.5, 2.0), 2.0))
    0.5
    """
    require_mdp(mdp)
    gamma = _discount(mdp)
    eps = validate.array(eps, "eps")
    if (eps <= 0).any():
        raise ValueError(f"eps: gaps must be > 0, got min {eps.min():.3g}")
    D = validate.array(D, "D")
    if (D < 1).any() or not np.isfinite(D).all():
        raise ValueError("D: mismatch coefficients are finite and at least 1")
    return 64 * gamma * mdp.S * mdp.A * D**2 / ((1 - gamma) ** 6 * eps**2)


def rare_state_iterations(D, gamma: float, eps: float) -> np.ndarray:
    r"""The exact iteration count of projected gradient ascent on :func:`pgbook.envs.rare_state`.

    Ascend :math:`V^\pi(\mu)`, :math:`\mu = (1/D, 1 - 1/D)`, from the uniform policy with the step
    :math:`\eta = (1-\gamma)^3/(2\gamma|\mathcal A|)` of AKLM Theorem 4.1 (:func:`pga_step_size`,
    :math:`|\mathcal A| = 2`). In state 0 the gradient row is :math:`\frac{1}{1-\gamma}d^\pi_\mu(0)Q^\pi(0, \cdot)`
    with :math:`d^\pi_\mu(0) = 1/D` and :math:`Q^\pi(0, 0) - Q^\pi(0, 1) = 1`, so each projected step raises
    :math:`\pi(0|0)` by exactly :math:`\eta/(2(1-\gamma)D)`, until it reaches 1. The gap at
    :math:`\rho = \delta_0` is :math:`(1 - \pi(0|0))/(1-\gamma)`, so it first falls to ``eps`` after

    .. math:: T(\epsilon) = \Big\lceil \big(\tfrac12 - (1-\gamma)\epsilon\big)\frac{2(1-\gamma)D}{\eta} \Big\rceil
              = \Big\lceil \big(\tfrac12 - (1-\gamma)\epsilon\big)\frac{8\gamma D}{(1-\gamma)^2} \Big\rceil

    iterations: linear in the mismatch coefficient D, where Theorem 4.1 allows :math:`D^2`, and
    :math:`(1-\gamma)^{-2}` where it allows :math:`(1-\gamma)^{-6}`.

    Parameters
    ----------
    D : float or array
        Mismatch coefficients, >= 1 (:math:`\mu(0) = 1/D`).
    gamma : float
        In (0, 1).
    eps : float
        The target gap, with :math:`0 < (1-\gamma)\epsilon < 1/2` (the uniform policy's gap is
        :math:`1/(2(1-\gamma))`).

    Returns
    -------
    T : int array, shaped like D

    Examples
    --------
    >>> from pgbook.theory import landscape
    >>> landscape.rare_state_iterations([2.0, 7.0], gamma=0.9, eps=0.1)
    array([ 706, 2470])
    """
    D = validate.array(D, "D")
    if (D < 1).any() or not np.isfinite(D).all():
        raise ValueError("D: mismatch coefficients are finite and at least 1")
    gamma = validate.gamma(gamma)
    if gamma == 0.0:
        raise ValueError("gamma: must lie in (0, 1)")
    eps = validate.positive_real(eps, "eps")
    if (1 - gamma) * eps >= 0.5:
        raise ValueError(f"eps: the uniform policy's gap is already 1/(2(1 - gamma)) = {0.5 / (1 - gamma):g}; got {eps:g}")
    return np.ceil((0.5 - (1 - gamma) * eps) * 8 * gamma * D / (1 - gamma) ** 2).astype(np.int64)


def _discount(mdp: MDP) -> float:
    gamma = validate.discounted(mdp, "AKLM Theorem 4.1")
    if gamma == 0.0:
        raise ValueError("mdp: AKLM Theorem 4.1 needs gamma > 0 (its step size divides by gamma), got gamma = 0")
    return gamma
