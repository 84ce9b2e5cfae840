r"""The constants and bounds of the convergence theory of softmax policy gradient, as functions.

Each function evaluates one published quantity exactly on a small MDP, so that a chapter or a test
can put a bound next to a run of :mod:`pgbook.algorithms`:

- smoothness: :func:`smoothness` (AKLM Lemma D.4) and :func:`hessian` (finite differences of the
  exact gradient, to measure the curvature the constant bounds);
- the non-uniform Łojasiewicz inequality and the :math:`O(1/t)` rate of Mei et al. (2020):
  :func:`nl_coefficient`, :func:`mei_rate_bound`, :func:`bandit_tgap_limit`;
- log-barrier regularisation (AKLM Thm 5.2, Cor 5.1): :func:`log_barrier_bound`,
  :func:`log_barrier_tolerance`, :func:`log_barrier_iterations`, and at an exact stationary point
  :func:`log_barrier_maximiser`, :func:`log_barrier_stationary_gap`;
- entropy regularisation (Mei et al. 2020, Thm 6): :func:`mei_entropy_bound`, the per-step
  contraction its proof promises, :func:`mei_entropy_contraction`, and the rate the run actually
  settles on, :func:`entropy_pg_rate`;
- the ingredients they share: :func:`optimal_actions`, :func:`optimal_mismatch`.

The optimum of the entropy-regularised objective is :func:`pgbook.theory.npg.soft_optimal`.

Conventions (AKLM): ``rho`` the distribution the gap is measured under, ``mu`` the one the gradient
is taken under (each ``None`` = the MDP's start distribution, a state index, or ``(S,)``);
:math:`d^\pi_\rho` the normalised discounted visitation; rewards in [0, 1] for every bound.
"""

from __future__ import annotations

import numpy as np

from scipy.optimize import minimize

from .. import _validate as validate
from ..control import policy_iteration
from ..exact import visitation
from ..gradients import entropy_regularized_gradient, log_barrier_gradient, log_barrier_objective, softmax_gradient
from .landscape import mismatch
from ..mdp import MDP, require_mdp
from .npg import soft_optimal
from ..policies import softmax

__all__ = [
    "smoothness", "hessian", "optimal_actions", "optimal_mismatch", "nl_coefficient", "mei_rate_bound",
    "bandit_tgap_limit", "log_barrier_bound", "log_barrier_tolerance", "log_barrier_iterations",
    "log_barrier_maximiser", "log_barrier_stationary_gap", "mei_entropy_bound", "mei_entropy_contraction",
    "entropy_pg_rate",
]


def _rewards_in_unit_interval(mdp: MDP) -> None:
    if mdp.r.min() < 0.0 or mdp.r.max() > 1.0:
        raise ValueError(f"mdp: the bound assumes rewards in [0, 1], got [{mdp.r.min():g}, {mdp.r.max():g}]")


def smoothness(gamma, lam=0.0, S=None) -> float:
    r"""The smoothness constant of the (log-barrier regularised) softmax objective.

    .. math:: \beta_\lambda = \frac{8}{(1-\gamma)^3} + \frac{2\lambda}{|S|}

    (AKLM Lemma D.4; :math:`\lambda = 0` is the unregularised :math:`V^{\pi_\theta}(\mu)`, also
    Mei et al. 2020 Lemma 7). AKLM Cor 5.1 and AJKS Cor 12.5 print :math:`8\gamma/(1-\gamma)^3`;
    Lemma D.4 proves :math:`8/(1-\gamma)^3`, used here. Rewards in [0, 1].

    Parameters
    ----------
    gamma : float
        In [0, 1).
    lam : float
        The log barrier's weight, >= 0.
    S : int, optional
        The number of states, needed when lam > 0.

    Returns
    -------
    float

    Examples
    --------
    >>> from pgbook.theory import softmax_pg
    >>> round(softmax_pg.smoothness(0.9), 6), round(softmax_pg.smoothness(0.9, lam=1.0, S=3), 6), round(softmax_pg.smoothness(0.5), 6)
    (8000.0, 8000.666667, 64.0)
    """
    gamma = validate.gamma(gamma)
    lam = validate.positive_real(lam, "lam", allow_zero=True)
    beta = 8.0 / (1.0 - gamma) ** 3
    if lam > 0.0:
        if S is None:
            raise ValueError("S: the number of states is needed when lam > 0")
        beta += 2.0 * lam / validate.positive_int(S, "S")
    return beta


def hessian(mdp: MDP, theta, rho=None, h: float = 1e-5, tau: float = 0.0) -> np.ndarray:
    r"""The Hessian of :math:`\theta \mapsto V^{\pi_\theta}(\rho)` (softmax), by central differences of the exact gradient.

    .. math:: H_{:, j} \approx \frac{\nabla_\theta V(\theta + h e_j) - \nabla_\theta V(\theta - h e_j)}{2h},
              \qquad H \leftarrow \tfrac12 (H + H^\top),

    with :func:`pgbook.softmax_gradient` (AKLM Eq. (10)); error :math:`O(h^2)`. Its largest
    eigenvalue magnitude is the local curvature that AKLM Lemma D.4 bounds by :func:`smoothness`.
    With ``tau > 0`` it is the Hessian of the entropy-regularised value :math:`\tilde V^{\pi_\theta}(\rho)`
    instead (its gradient :func:`pgbook.entropy_regularized_gradient`, Mei et al. 2020 Lemma 10).

    Parameters
    ----------
    mdp : MDP
        With gamma < 1 and rewards in [0, 1].
    theta : array (S, A)
    rho : None, int or array (S,)
        The start distribution (the MDP's by default).
    h : float
        The difference step, > 0.
    tau : float
        The entropy weight, >= 0.

    Returns
    -------
    H : ndarray (S*A, S*A)
        Indexed like ``theta.ravel()``.

    Examples
    --------
    >>> import pgbook
    >>> from pgbook.theory import softmax_pg
    >>> mdp = pgbook.envs.random_mdp(3, 2, seed=0, gamma=0.9)
    >>> theta = [[0.5, -0.5], [1.0, 0.0], [0.0, 0.3]]
    >>> softmax_pg.hessian(mdp, theta)[:2, :2].round(4), softmax_pg.hessian(mdp, theta, tau=0.5)[:2, :2].round(4)
    (array([[ 0.0355, -0.0355],
           [-0.0355,  0.0355]]), array([[-0.2787,  0.2787],
           [ 0.2787, -0.2787]]))
    >>> import pgbook
    >>> H = hessian(pgbook.envs.bandit([1.0, 0.0]), [[0.0, 0.0]])  # V = sigmoid(x1 - x2)
    >>> bool(abs(H).max() < 1e-9)  # flat at x1 = x2: the sigmoid's inflection point
    True
    """
    theta = validate.theta(mdp, theta)
    h = validate.positive_real(h, "h")
    tau = validate.positive_real(tau, "tau", allow_zero=True)

    def gradient(th):
        return entropy_regularized_gradient(mdp, th, tau, rho) if tau > 0 else softmax_gradient(mdp, th, rho)

    n = theta.size
    H = np.empty((n, n))
    for j in range(n):
        e = np.zeros(n)
        e[j] = h
        e = e.reshape(theta.shape)
        H[:, j] = (gradient(theta + e) - gradient(theta - e)).ravel() / (2 * h)
    return 0.5 * (H + H.T)


def optimal_actions(mdp: MDP) -> np.ndarray:
    r"""An optimal deterministic policy's actions :math:`a^\star(s)`, from :func:`pgbook.policy_iteration`.

    Ties go to the policy iteration's choice (any optimal policy serves the bounds below; AKLM
    section 5, Mei et al. 2020).

    Parameters
    ----------
    mdp : MDP
        With gamma < 1 and rewards in [0, 1].

    Returns
    -------
    a_star : ndarray (S,) of int

    Examples
    --------
    >>> import pgbook
    >>> from pgbook.theory import softmax_pg
    >>> mdp = pgbook.envs.random_mdp(3, 2, seed=0, gamma=0.9)
    >>> theta = [[0.5, -0.5], [1.0, 0.0], [0.0, 0.3]]
    >>> softmax_pg.optimal_actions(mdp), softmax_pg.optimal_actions(mdp.replace(gamma=0.1))
    (array([1, 0, 0]), array([1, 1, 0]))
    """
    pi_star, _ = policy_iteration(mdp)
    return pi_star.argmax(axis=1)


def optimal_mismatch(mdp: MDP, mu=None, rho=None) -> float:
    r"""The distribution mismatch coefficient of an optimal policy's visitation (AKLM Def. 3.1).

    .. math:: \Big\|\frac{d^{\pi^\star}_\rho}{\mu}\Big\|_\infty = \max_s \frac{d^{\pi^\star}_\rho(s)}{\mu(s)}

    :func:`pgbook.theory.landscape.mismatch` of :math:`d^{\pi^\star}_\rho`, with :math:`\pi^\star` from
    :func:`pgbook.policy_iteration`: the constant of AKLM Thm 5.2 and Mei et al. 2020 Thm 4.

    Parameters
    ----------
    mdp : MDP
        With gamma < 1 and rewards in [0, 1].
    mu : None, int or array (S,)
        The start distribution of the ascent, positive on every state (the MDP's by default).
    rho : None, int or array (S,)
        The distribution :math:`d^{\pi^\star}_\rho` starts from (the MDP's by default).

    Returns
    -------
    float
        At least 1 (a ratio of two distributions).

    Examples
    --------
    >>> import pgbook
    >>> from pgbook.theory import softmax_pg
    >>> mdp = pgbook.envs.random_mdp(3, 2, seed=0, gamma=0.9)
    >>> theta = [[0.5, -0.5], [1.0, 0.0], [0.0, 0.3]]
    >>> round(softmax_pg.optimal_mismatch(mdp), 4), round(softmax_pg.optimal_mismatch(mdp, mu=[0.6, 0.3, 0.1]), 4)
    (1.2624, 4.208)
    """
    require_mdp(mdp)
    validate.discounted(mdp, "the convergence bounds")
    mu = validate.start(mdp, mu)
    if (mu <= 0.0).any():
        raise ValueError("mu: must be positive on every state (the mismatch divides by it)")
    pi_star, _ = policy_iteration(mdp)
    return mismatch(visitation(mdp, pi_star, rho), mu)


def nl_coefficient(mdp: MDP, theta, mu=None, rho=None) -> float:
    r"""The coefficient of the non-uniform Łojasiewicz inequality (Mei et al. 2020, Lemma 8).

    .. math:: \Big\|\frac{\partial V^{\pi_\theta}(\mu)}{\partial\theta}\Big\|_2 \ge C(\theta)\,
              \big[V^\star(\rho) - V^{\pi_\theta}(\rho)\big], \qquad
              C(\theta) = \frac{1}{\sqrt{|S|}}
              \Big\|\frac{d^{\pi^\star}_\rho}{d^{\pi_\theta}_\mu}\Big\|_\infty^{-1}
              \min_s \pi_\theta(a^\star(s)|s).

    "Non-uniform": :math:`C(\theta)` depends on how much weight :math:`\pi_\theta` puts on the optimal
    actions, and vanishes as it goes to 0.

    Parameters
    ----------
    mdp : MDP
        With gamma < 1 and rewards in [0, 1].
    theta : array (S, A)
    mu : None, int or array (S,)
        The start distribution of the ascent, positive on every state (the MDP's by default).
    rho : None, int or array (S,)
        The distribution :math:`d^{\pi^\star}_\rho` starts from (the MDP's by default).

    Returns
    -------
    float
        :math:`C(\theta)`, in [0, 1].

    Examples
    --------
    >>> import pgbook
    >>> from pgbook.theory import softmax_pg
    >>> mdp = pgbook.envs.random_mdp(3, 2, seed=0, gamma=0.9)
    >>> theta = [[0.5, -0.5], [1.0, 0.0], [0.0, 0.3]]
    >>> round(softmax_pg.nl_coefficient(mdp, theta), 6), round(softmax_pg.nl_coefficient(mdp, [[3.0, -3.0], [1.0, 0.0], [0.0, 0.3]]), 6)
    (0.092127, 0.000607)
    """
    require_mdp(mdp)
    validate.discounted(mdp, "the convergence bounds")
    theta = validate.theta(mdp, theta)
    mu = validate.start(mdp, mu)
    if (mu <= 0.0).any():
        raise ValueError("mu: must be positive on every state")
    pi_star, _ = policy_iteration(mdp)
    a_star = pi_star.argmax(axis=1)
    pi = softmax(theta)
    ratio = (visitation(mdp, pi_star, rho) / visitation(mdp, pi, mu)).max()
    return float(pi[np.arange(mdp.S), a_star].min() / (np.sqrt(mdp.S) * ratio))


def mei_rate_bound(mdp: MDP, t, c, mu=None) -> np.ndarray:
    r"""The :math:`O(1/t)` bound of softmax PG with exact gradients (Mei et al. 2020, Theorem 4).

    With :math:`\eta = (1-\gamma)^3/8`, :math:`\mu > 0`, for every :math:`\rho` and :math:`t \ge 1`,

    .. math:: V^\star(\rho) - V^{\pi_{\theta_t}}(\rho) \le \frac{16|S|}{c^2(1-\gamma)^6\,t}
              \Big\|\frac{d^{\pi^\star}_\mu}{\mu}\Big\|_\infty^2 \Big\|\frac1\mu\Big\|_\infty,
              \qquad c = \inf_{t \ge 1}\min_s \pi_{\theta_t}(a^\star(s)|s) > 0.

    c is not known in advance (Mei et al. Lemma 9 only shows it is positive): measure it along the
    run.

    Parameters
    ----------
    mdp : MDP
        With gamma < 1 and rewards in [0, 1].
    t : int or array
        Iterations, >= 1.
    c : float
        In (0, 1].
    mu : None, int or array (S,)
        The start distribution of the ascent, positive on every state (the MDP's by default).

    Returns
    -------
    ndarray
        The bound, shaped like t.

    Examples
    --------
    >>> import pgbook
    >>> from pgbook.theory import softmax_pg
    >>> mdp = pgbook.envs.random_mdp(3, 2, seed=0, gamma=0.9)
    >>> theta = [[0.5, -0.5], [1.0, 0.0], [0.0, 0.3]]
    >>> softmax_pg.mei_rate_bound(mdp, [10, 1000], c=0.5).round(2), softmax_pg.mei_rate_bound(mdp, [10, 1000], c=0.1).round(2)
    (array([91793028.9 ,   917930.29]), array([2.29482572e+09, 2.29482572e+07]))
    """
    require_mdp(mdp)
    gamma = validate.discounted(mdp, "the convergence bounds")
    _rewards_in_unit_interval(mdp)
    t = validate.array(t, "t")
    if (t < 1).any():
        raise ValueError(f"t: the bound holds for t >= 1, got min {t.min():g}")
    c = validate.positive_real(c, "c")
    if c > 1.0:
        raise ValueError(f"c: a probability, must lie in (0, 1], got {c:g}")
    mu_v = validate.start(mdp, mu)
    D = optimal_mismatch(mdp, mu_v, mu_v)
    return 16 * mdp.S * D**2 / (c**2 * (1 - gamma) ** 6 * t * mu_v.min())


def bandit_tgap_limit(A, eta) -> float:
    r"""The limit of :math:`t\cdot(r^\star - \pi_{\theta_t}^\top r)` for softmax PG on a bandit.

    .. math:: \lim_{t\to\infty} t\,\big(r^\star - \pi_{\theta_t}^\top r\big) = \frac{|A| - 1}{|A|\,\eta}

    for a bandit with a unique best arm, rewards in [0, 1], any start, and a step eta small enough
    for convergence (derived in the book from the continuous-time limit of the update: each
    suboptimal arm's probability decays like :math:`k_a/t` with :math:`\eta(k_a\Delta_a + \sum_b k_b\Delta_b) = 1`;
    for two arms :math:`1/(2\eta)`). It does not depend on the reward gaps: the :math:`\Theta(1/t)`
    rate of Mei et al. 2020 (Thm 2 and their lower bound) with its constant.

    Parameters
    ----------
    A : int
        The number of arms, >= 2.
    eta : float
        The step size, > 0.

    Returns
    -------
    float

    Examples
    --------
    >>> from pgbook.theory import softmax_pg
    >>> softmax_pg.bandit_tgap_limit(2, 0.5), softmax_pg.bandit_tgap_limit(3, 0.5), softmax_pg.bandit_tgap_limit(3, 2.0)
    (1.0, 1.3333333333333333, 0.3333333333333333)
    """
    A = validate.positive_int(A, "A")
    if A < 2:
        raise ValueError(f"A: needs at least two arms, got {A}")
    eta = validate.positive_real(eta, "eta")
    return (A - 1) / (A * eta)


def log_barrier_tolerance(mdp: MDP, lam) -> float:
    r"""The gradient-norm threshold of AKLM Theorem 5.2: :math:`\epsilon_{opt} = \lambda/(2|S||A|)`.


    Parameters
    ----------
    mdp : MDP
        With gamma < 1 and rewards in [0, 1].
    lam : float
        The log barrier's weight, > 0.

    Returns
    -------
    float

    Examples
    --------
    >>> import pgbook
    >>> from pgbook.theory import softmax_pg
    >>> mdp = pgbook.envs.random_mdp(3, 2, seed=0, gamma=0.9)
    >>> theta = [[0.5, -0.5], [1.0, 0.0], [0.0, 0.3]]
    >>> softmax_pg.log_barrier_tolerance(mdp, 0.1), softmax_pg.log_barrier_tolerance(mdp, 0.3)
    (0.008333333333333333, 0.024999999999999998)
    """
    require_mdp(mdp)
    lam = validate.positive_real(lam, "lam")
    return lam / (2 * mdp.S * mdp.A)


def log_barrier_bound(mdp: MDP, lam, mu=None, rho=None) -> float:
    r"""The suboptimality bound of a near-stationary point of the log-barrier objective (AKLM Thm 5.2).

    If :math:`\|\nabla_\theta L_\lambda(\theta)\|_2 \le \lambda/(2|S||A|)`, then

    .. math:: V^\star(\rho) - V^{\pi_\theta}(\rho) \le \frac{2\lambda}{1-\gamma}
              \Big\|\frac{d^{\pi^\star}_\rho}{\mu}\Big\|_\infty

    (AKLM Theorem 5.2, AJKS Thm 12.4), with :math:`L_\lambda` of :func:`pgbook.log_barrier_objective`
    taken under ``mu``.

    Parameters
    ----------
    mdp : MDP
        With gamma < 1 and rewards in [0, 1].
    lam : float
        The log barrier's weight, > 0.
    mu : None, int or array (S,)
        The start distribution of the ascent, positive on every state (the MDP's by default).
    rho : None, int or array (S,)
        The distribution :math:`d^{\pi^\star}_\rho` starts from (the MDP's by default).

    Returns
    -------
    float

    Examples
    --------
    >>> import pgbook
    >>> from pgbook.theory import softmax_pg
    >>> mdp = pgbook.envs.random_mdp(3, 2, seed=0, gamma=0.9)
    >>> theta = [[0.5, -0.5], [1.0, 0.0], [0.0, 0.3]]
    >>> round(softmax_pg.log_barrier_bound(mdp, 0.1), 4), round(softmax_pg.log_barrier_bound(mdp, 0.01), 4)
    (2.5248, 0.2525)
    """
    require_mdp(mdp)
    gamma = validate.discounted(mdp, "the convergence bounds")
    _rewards_in_unit_interval(mdp)
    lam = validate.positive_real(lam, "lam")
    return 2 * lam / (1 - gamma) * optimal_mismatch(mdp, mu, rho)


def log_barrier_iterations(mdp: MDP, eps, mu=None, rho=None) -> float:
    r"""The iteration count of AKLM Corollary 5.1 (corrected constant, uniform start).

    With :math:`\theta^{(0)} = 0` (uniform policy), :math:`\lambda = \frac{\epsilon(1-\gamma)}{2D}`,
    :math:`D = \|d^{\pi^\star}_\rho/\mu\|_\infty`, :math:`\eta = 1/\beta_\lambda` (:func:`smoothness`),
    gradient ascent on :math:`L_\lambda` has :math:`\min_{t < T} V^\star(\rho) - V^{(t)}(\rho) \le \epsilon` once

    .. math:: T \ge \frac{320\,|S|^2|A|^2}{(1-\gamma)^6\epsilon^2}\,D^2.


    Parameters
    ----------
    mdp : MDP
        With gamma < 1 and rewards in [0, 1].
    eps : float
        The target gap, > 0.
    mu : None, int or array (S,)
        The start distribution of the ascent, positive on every state (the MDP's by default).
    rho : None, int or array (S,)
        The distribution :math:`d^{\pi^\star}_\rho` starts from (the MDP's by default).

    Returns
    -------
    T : float

    Examples
    --------
    >>> import pgbook
    >>> from pgbook.theory import softmax_pg
    >>> mdp = pgbook.envs.random_mdp(3, 2, seed=0, gamma=0.9)
    >>> theta = [[0.5, -0.5], [1.0, 0.0], [0.0, 0.3]]
    >>> f"{softmax_pg.log_barrier_iterations(mdp, 0.1):.4g}", f"{softmax_pg.log_barrier_iterations(mdp, 0.01):.4g}"
    ('1.836e+12', '1.836e+14')
    """
    require_mdp(mdp)
    gamma = validate.discounted(mdp, "the convergence bounds")
    eps = validate.positive_real(eps, "eps")
    D = optimal_mismatch(mdp, mu, rho)
    return 320 * mdp.S**2 * mdp.A**2 * D**2 / ((1 - gamma) ** 6 * eps**2)


def log_barrier_maximiser(mdp: MDP, lam, mu=None) -> np.ndarray:
    r"""A maximiser of the log-barrier objective :math:`L_\lambda(\theta)`, to a gradient norm of about 1e-9.

    .. math:: \theta_\lambda \in \arg\max_\theta\; V^{\pi_\theta}(\mu)
              + \frac{\lambda}{|S||A|}\sum_{s,a}\log\pi_\theta(a|s) + \lambda\log|A|

    (AKLM section 5.2; :func:`pgbook.log_barrier_objective`), by BFGS (scipy) from the uniform
    policy with the exact gradient :func:`pgbook.log_barrier_gradient`. The barrier keeps every
    probability positive, so the maximum is attained; a stationary point is all that AKLM Thm 5.2
    needs.

    Parameters
    ----------
    mdp : MDP
        With gamma < 1 and rewards in [0, 1].
    lam : float
        The log barrier's weight, > 0.
    mu : None, int or array (S,)
        The distribution the objective is taken under (the MDP's by default).

    Returns
    -------
    theta : ndarray (S, A)

    Examples
    --------
    >>> import pgbook
    >>> from pgbook.theory import softmax_pg
    >>> mdp = pgbook.envs.random_mdp(3, 2, seed=0, gamma=0.9)
    >>> pgbook.softmax(softmax_pg.log_barrier_maximiser(mdp, 0.1)).round(3)
    array([[0.023, 0.977],
           [0.869, 0.131],
           [0.985, 0.015]])
    >>> pgbook.softmax(softmax_pg.log_barrier_maximiser(mdp, 1.0)).round(3)
    array([[0.176, 0.824],
           [0.58 , 0.42 ],
           [0.85 , 0.15 ]])
    >>> import pgbook
    >>> th = log_barrier_maximiser(pgbook.envs.bandit([1.0, 0.0]), 0.1)
    >>> bool(np.linalg.norm(pgbook.log_barrier_gradient(pgbook.envs.bandit([1.0, 0.0]), th, 0.1)) < 1e-8)
    True
    """
    require_mdp(mdp)
    lam = validate.positive_real(lam, "lam")
    shape = (mdp.S, mdp.A)

    def negative(x):
        th = x.reshape(shape)
        return -log_barrier_objective(mdp, th, lam, mu), -log_barrier_gradient(mdp, th, lam, mu).ravel()

    # gtol below the round-off of the gradient: BFGS stops on its own at ~1e-9, which is what we want.
    result = minimize(negative, np.zeros(mdp.S * mdp.A), jac=True, method="BFGS",
                      options={"gtol": 1e-12, "maxiter": 10_000})
    return result.x.reshape(shape)


def log_barrier_stationary_gap(mdp: MDP, theta, lam, mu=None, rho=None) -> float:
    r"""The exact sub-optimality of a stationary point of the log-barrier objective (derived here).

    At a point where :math:`\nabla_\theta L_\lambda(\theta) = 0` (gradient under :math:`\mu`),

    .. math:: V^\star(\rho) - V^{\pi_\theta}(\rho) = \frac{\lambda}{|S|}\sum_s
              \frac{d^{\pi^\star}_\rho(s)}{d^{\pi_\theta}_\mu(s)}
              \Big(1 - \frac{1}{|A|\,\pi_\theta(a^\star(s)|s)}\Big).

    Setting each coordinate of the gradient to zero gives
    :math:`A^{\pi_\theta}(s, a) = \frac{(1-\gamma)\lambda\,(|A|\pi_\theta(a|s) - 1)}{|S||A|\,d^{\pi_\theta}_\mu(s)\,\pi_\theta(a|s)}`,
    and the performance difference lemma (AKLM Lemma 3.2) with :math:`\pi^\star` sums these at
    :math:`a = a^\star(s)`. This is the step of AKLM's proof of Theorem 5.2 made exact: the proof
    bounds the same advantage by :math:`2\lambda/(|S|\mu(s))` (:func:`log_barrier_bound`). As
    :math:`\lambda \to 0` with :math:`\rho = \mu` it tends to :math:`\lambda(1 - 1/|A|)`.
    Only meaningful at a stationary point (e.g. :func:`log_barrier_maximiser`).

    Parameters
    ----------
    mdp : MDP
        With gamma < 1 and rewards in [0, 1].
    theta : array (S, A)
        A stationary point of the log-barrier objective.
    lam : float
        The log barrier's weight, > 0.
    mu : None, int or array (S,)
        The start distribution of the ascent, positive on every state (the MDP's by default).
    rho : None, int or array (S,)
        The distribution :math:`d^{\pi^\star}_\rho` starts from (the MDP's by default).

    Returns
    -------
    float

    Examples
    --------
    >>> import pgbook
    >>> from pgbook.theory import softmax_pg
    >>> mdp = pgbook.envs.random_mdp(3, 2, seed=0, gamma=0.9)
    >>> [round(softmax_pg.log_barrier_stationary_gap(mdp, softmax_pg.log_barrier_maximiser(mdp, lam), lam), 5) for lam in (0.1, 0.01)]
    [0.04669, 0.00496]
    """
    require_mdp(mdp)
    validate.discounted(mdp, "the convergence bounds")
    theta = validate.theta(mdp, theta)
    lam = validate.positive_real(lam, "lam")
    mu = validate.start(mdp, mu)
    if (mu <= 0.0).any():
        raise ValueError("mu: must be positive on every state")
    pi_star, _ = policy_iteration(mdp)
    pi = softmax(theta)
    ratio = visitation(mdp, pi_star, rho) / visitation(mdp, pi, mu)
    p_star = pi[np.arange(mdp.S), pi_star.argmax(axis=1)]
    return float(lam / mdp.S * (ratio * (1 - 1 / (mdp.A * p_star))).sum())


def mei_entropy_bound(mdp: MDP, t, c, tau, mu=None) -> np.ndarray:
    r"""The linear rate of entropy-regularised softmax PG with its constant (the book's derivation of Mei et al. 2020, Theorem 6).

    (Mei, Xiao, Szepesvári and Schuurmans 2020, Theorem 6.)

    With :math:`\eta = \frac{(1-\gamma)^3}{8 + \tau(4 + 8\log|A|)}`, :math:`\mu > 0`, for :math:`t \ge 1`,

    .. math:: \tilde V^{\pi^\star_\tau}(\rho) - \tilde V^{\pi_{\theta_t}}(\rho) &\le
              \Big\|\frac1\mu\Big\|_\infty \frac{1 + \tau\log|A|}{1-\gamma}
              \exp\Big(-(t-1)\,\frac{(1-\gamma)^4\,\tau\,\min_s\mu(s)\,c^2}
              {(8 + \tau(4 + 8\log|A|))\,|S|\,\|d^{\pi^\star_\tau}_\mu/\mu\|_\infty}\Big), \\
              c &= \inf_{t \ge 1}\min_{s,a}\pi_{\theta_t}(a|s).

    Derived in the book (softmax_pg chapter, the proposition after Theorem 6): the step size and the
    smoothness constant :math:`\beta = (8 + \tau(4 + 8\log|A|))/(1-\gamma)^3` are the paper's (Theorem 6);
    the exponent is what its Lemma 15 (the Łojasiewicz inequality with entropy, exponent 1/2) gives with
    :math:`d^{\pi_\theta}_\mu \ge (1-\gamma)\mu` and a step of :math:`1/\beta`, and the prefactor bounds
    the first soft gap by the range of soft values and passes from :math:`\mu` to :math:`\rho` state by
    state (:math:`\pi^\star_\tau` is optimal in every state, so each state's soft gap is at most the gap
    at :math:`\mu` over :math:`\mu(s)`). c must be measured along the run.

    Parameters
    ----------
    mdp : MDP
        With gamma < 1 and rewards in [0, 1].
    t : int or array
        Iterations, >= 1.
    c : float
        In (0, 1].
    tau : float
        The temperature, > 0.
    mu : None, int or array (S,)
        The start distribution of the ascent, positive on every state (the MDP's by default).

    Returns
    -------
    ndarray
        The bound, shaped like t.

    Examples
    --------
    >>> import pgbook
    >>> from pgbook.theory import softmax_pg
    >>> mdp = pgbook.envs.random_mdp(3, 2, seed=0, gamma=0.9)
    >>> theta = [[0.5, -0.5], [1.0, 0.0], [0.0, 0.3]]
    >>> softmax_pg.mei_entropy_bound(mdp, [10, 1000], c=0.5, tau=0.1).round(3), softmax_pg.mei_entropy_bound(mdp, [10, 1000], c=0.5, tau=1.0).round(3)
    (array([32.079, 32.079]), array([50.794, 50.787]))
    >>> import numpy as np
    >>> bound = softmax_pg.mei_entropy_bound(mdp, [1, 2], c=0.5, tau=1.0)  # the range at t = 1, then e^-zeta per step
    >>> zeta = softmax_pg.mei_entropy_contraction(mdp, c=0.5, tau=1.0)
    >>> (bool(np.isclose(bound[0], (1 + np.log(2)) / (1 - 0.9) / mdp.rho.min(), rtol=1e-12, atol=0)),
    ...  bool(np.isclose(bound[1] / bound[0], np.exp(-zeta), rtol=1e-12, atol=0)))
    (True, True)
    """
    require_mdp(mdp)
    gamma = validate.discounted(mdp, "the convergence bounds")
    _rewards_in_unit_interval(mdp)
    t = validate.array(t, "t")
    if (t < 1).any():
        raise ValueError(f"t: the bound holds for t >= 1, got min {t.min():g}")
    zeta = mei_entropy_contraction(mdp, c, tau, mu)  # validates c, tau and mu
    mu = validate.start(mdp, mu)
    return (1 / mu.min()) * (1 + tau * np.log(mdp.A)) / (1 - gamma) * np.exp(-(t - 1) * zeta)


def mei_entropy_contraction(mdp: MDP, c, tau, mu=None) -> float:
    r"""The fraction :math:`\zeta` of the soft gap that each step of entropy-regularised softmax PG removes, at least.

    With :math:`\eta = \frac{(1-\gamma)^3}{8 + \tau(4 + 8\log|A|)}` and :math:`\mu > 0`, the soft gap at
    :math:`\mu`, :math:`\delta_t = \tilde V^{\pi^\star_\tau}(\mu) - \tilde V^{\pi_{\theta_t}}(\mu)`, satisfies
    :math:`\delta_{t+1} \le (1 - \zeta)\,\delta_t` for every t, with

    .. math:: \zeta = \frac{(1-\gamma)^4\,\tau\,\min_s\mu(s)\,c^2}
              {(8 + \tau(4 + 8\log|A|))\,|S|\,\|d^{\pi^\star_\tau}_\mu/\mu\|_\infty},
              \qquad c \le \min_{s,a}\pi_{\theta_t}(a|s).

    Derived in the book (softmax_pg chapter, the proposition after Theorem 6) from Mei, Xiao, Szepesvári
    and Schuurmans 2020: a step of one over the smoothness constant gains at least
    :math:`\frac{\eta}{2}\|\nabla\tilde V(\mu)\|^2`, and their Lemma 15 with :math:`\rho = \mu` and
    :math:`d^{\pi_\theta}_\mu \ge (1-\gamma)\mu` bounds the squared gradient below by
    :math:`2\zeta\delta_t/\eta`. :func:`mei_entropy_bound` is :math:`e^{-(t-1)\zeta}` times the range.

    Parameters
    ----------
    mdp : MDP
        With gamma < 1 and rewards in [0, 1].
    c : float
        In (0, 1]: a lower bound on every probability of the iterates.
    tau : float
        The temperature, > 0.
    mu : None, int or array (S,)
        The start distribution of the ascent, positive on every state (the MDP's by default).

    Returns
    -------
    zeta : float
        In (0, 1).

    Examples
    --------
    >>> import numpy as np
    >>> import pgbook
    >>> from pgbook.theory import softmax_pg
    >>> mdp = pgbook.envs.random_mdp(3, 2, seed=0, gamma=0.9)
    >>> zeta = softmax_pg.mei_entropy_contraction(mdp, c=0.5, tau=1.0)
    >>> f"{zeta:.3e}", f"{softmax_pg.mei_entropy_contraction(mdp, c=0.25, tau=1.0) / zeta:.3f}"  # c enters squared
    ('1.466e-07', '0.250')
    >>> D = np.max(pgbook.visitation(mdp, pgbook.theory.npg.soft_optimal(mdp, 1.0).pi) / mdp.rho)
    >>> bool(np.isclose(zeta, 0.1**4 * mdp.rho.min() * 0.25 / ((12 + 8 * np.log(2)) * 3 * D), rtol=1e-12, atol=0))
    True
    """
    require_mdp(mdp)
    gamma = validate.discounted(mdp, "the convergence bounds")
    _rewards_in_unit_interval(mdp)
    c = validate.positive_real(c, "c")
    if c > 1.0:
        raise ValueError(f"c: a probability, must lie in (0, 1], got {c:g}")
    tau = validate.positive_real(tau, "tau")
    mu = validate.start(mdp, mu)
    if (mu <= 0.0).any():
        raise ValueError("mu: must be positive on every state")
    D = mismatch(visitation(mdp, soft_optimal(mdp, tau).pi, mu), mu)
    return float((1 - gamma) ** 4 * tau * mu.min() * c**2 / ((8 + tau * (4 + 8 * np.log(mdp.A))) * mdp.S * D))


def entropy_pg_rate(mdp: MDP, tau, eta, mu=None) -> float:
    r"""The factor by which entropy-regularised softmax PG shrinks the soft gap per step, near the optimum.

    Near :math:`\theta^\star_\tau = \log\pi^\star_\tau` the update :math:`\theta \leftarrow \theta + \eta\nabla\tilde V(\mu)`
    is linear: the error moves by :math:`I + \eta H`, with :math:`H` the Hessian of
    :math:`\tilde V^{\pi_\theta}(\mu)` at :math:`\theta^\star_\tau` (:func:`hessian` with ``tau``). Shifting
    a state's logits by a constant changes nothing, and these :math:`|S|` directions are H's zero
    eigenvalues; on the others :math:`H \prec 0`. The slowest direction has the smallest
    :math:`|\lambda|`, and the soft gap, quadratic in the error, shrinks like

    .. math:: q = (1 - \eta\,|\lambda|_{\min})^2 \quad\text{per step.}

    (Derived here; the linear convergence itself is Mei et al. 2020, Theorem 6.) eta must be
    small enough that :math:`\eta|\lambda| < 1` for every eigenvalue.

    Parameters
    ----------
    mdp : MDP
        With gamma < 1 and rewards in [0, 1].
    tau : float
        The temperature, > 0.
    eta : float
        The step size, > 0, with :math:`\eta|\lambda| < 1` for every eigenvalue.
    mu : None, int or array (S,)
        The start distribution of the ascent, positive on every state (the MDP's by default).

    Returns
    -------
    q : float
        In (0, 1).

    Examples
    --------
    >>> import pgbook
    >>> from pgbook.theory import softmax_pg
    >>> mdp = pgbook.envs.random_mdp(3, 2, seed=0, gamma=0.5)
    >>> round(softmax_pg.entropy_pg_rate(mdp, tau=1.0, eta=0.1), 6), round(softmax_pg.entropy_pg_rate(mdp, tau=1.0, eta=0.5), 6)
    (0.940112, 0.719051)
    >>> import pgbook
    >>> q = entropy_pg_rate(pgbook.envs.random_mdp(3, 2, seed=0, gamma=0.5), tau=1.0, eta=0.1)
    >>> bool(0 < q < 1)
    True
    """
    require_mdp(mdp)
    tau = validate.positive_real(tau, "tau")
    eta = validate.positive_real(eta, "eta")
    theta_star = np.log(soft_optimal(mdp, tau).pi)
    magnitudes = np.sort(np.abs(np.linalg.eigvalsh(hessian(mdp, theta_star, mu, tau=tau))))
    slowest, fastest = magnitudes[mdp.S], magnitudes[-1]  # the first S are the per-state shifts
    if eta * fastest >= 1:
        raise ValueError(f"eta: the step must stay below 1/|lambda|_max = {1 / fastest:.3g} for the linear picture")
    return float((1 - eta * slowest) ** 2)
