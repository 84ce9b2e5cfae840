r"""Function approximation and distribution shift: the terms of the Q-NPG and NPG bounds, computed exactly.

For a log-linear policy :math:`\pi_\theta(a|s) \propto \exp(\theta^\top\phi_{s,a})` the natural gradient
methods replace :math:`Q^{(t)}` (or :math:`A^{(t)}`) by a least-squares fit on the features. How good the
result is depends on three numbers (AKLM section 6, Thm 6.1; AJKS Thm 13.6):

- :math:`\epsilon_{\mathrm{stat}}`, the excess risk of the fit the algorithm used over the best fit;
- :math:`\epsilon_{\mathrm{bias}}`, the *transfer error*: the loss of the best fit (made under the
  exploratory visitation :math:`d^{(t)}_\nu`) measured under :math:`d^\star = d^{\pi^\star}_\rho \times
  \mathrm{Unif}_{\mathcal A}`, the pairs a comparator policy :math:`\pi^\star` visits;
- :math:`\kappa`, the relative condition number of the feature covariances under :math:`d^\star` and
  under :math:`\nu`: infinite when :math:`\nu` misses a feature direction that :math:`d^\star` uses.

On a small MDP all of them are exact linear algebra; this module computes them for a run of
:func:`pgbook.algorithms.q_npg` or :func:`pgbook.algorithms.loglinear_npg` recorded at every iteration,
together with the published bounds, and the closed form of Sutton and Barto's short corridor. The
chapter's walk to a goal and its features are :func:`pgbook.envs.walk` and
:func:`pgbook.features.walk_features`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .. import _fit
from .. import _validate as validate
from ..algorithms import Run
from ..control import policy_iteration
from ..exact import advantage, q_value, value, visitation
from ..gradients import centred_features
from ..mdp import MDP, require_mdp
from ..policies import loglinear
from .. import _inner
from . import neural

def state_action_visitation(mdp: MDP, pi, nu) -> np.ndarray:
    r"""The normalised state-action visitation from a start pair :math:`(s_0, a_0) \sim \nu`.

    .. math:: d^\pi_\nu(s, a) = (1-\gamma)\sum_{t\ge0}\gamma^t\Pr^\pi(s_t = s, a_t = a \mid (s_0, a_0) \sim \nu)
              = (1-\gamma)\,\nu(s, a) + \gamma\, d^\pi_{\mu_1}(s)\,\pi(a|s),

    with :math:`\mu_1(s') = \sum_{s,a}\nu(s,a)P(s'|s,a)` the law of :math:`s_1` (AKLM section 6.2).

    Parameters
    ----------
    mdp : MDP
        ``gamma < 1``.
    pi : array_like, shape (S, A)
    nu : array_like, shape (S, A)
        A distribution over state-action pairs.

    Returns
    -------
    d : ndarray, shape (S, A)
        Sums to 1.

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> from pgbook import algorithms, envs, features
    >>> from pgbook.theory import approximation
    >>> walk = envs.walk(n=5, goal=2, gamma=0.9)
    >>> phi = features.walk_features(walk, "position")
    >>> pi = pgbook.softmax([[0.5, -0.5], [1.0, 0.0], [0.0, 0.0], [0.0, 0.3], [-1.0, 1.0]])
    >>> nu = np.full((5, 2), 0.1)
    >>> approximation.state_action_visitation(walk, pi, nu).round(3)
    array([[0.092, 0.04 ],
           [0.04 , 0.021],
           [0.308, 0.308],
           [0.023, 0.027],
           [0.024, 0.116]])
    >>> approximation.state_action_visitation(walk, pi, np.eye(10)[0].reshape(5, 2)).round(3)[0]
    array([0.403, 0.111])
    """
    pi, nu = _policy_and_pairs(mdp, pi, nu, "nu")
    mu1 = np.einsum("sa,sat->t", nu, mdp.P)
    return (1.0 - mdp.gamma) * nu + mdp.gamma * visitation(mdp, pi, mu1)[:, None] * pi


def q_fit(Q, phi, weights) -> np.ndarray:
    r"""The minimum-norm weighted least-squares fit of :math:`Q` on the features (not centred).

    .. math:: w_\star \in \arg\min_w L(w; \upsilon), \qquad
              L(w; \upsilon) = \sum_{s,a}\upsilon(s,a)\big(Q(s,a) - w^\top\phi_{s,a}\big)^2

    (the regression of Q-NPG, AKLM Eq. (19)). Minimum :math:`\|w\|_2` among the minimisers, as
    :func:`pgbook.algorithms.q_npg` uses.

    Parameters
    ----------
    Q : array_like, shape (S, A)
    phi : array_like, shape (S, A, dim)
    weights : array_like, shape (S, A)
        Non-negative weights :math:`\upsilon`.

    Returns
    -------
    w : ndarray, shape (dim,)

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> from pgbook import algorithms, envs, features
    >>> from pgbook.theory import approximation
    >>> walk = envs.walk(n=5, goal=2, gamma=0.9)
    >>> phi = features.walk_features(walk, "position")
    >>> pi = pgbook.uniform(walk)
    >>> Q = pgbook.q_value(walk, pi)
    >>> approximation.q_fit(Q, phi, np.full((5, 2), 0.1)).round(4)
    array([ 0.7194,  0.1082,  0.7194, -0.1082])
    >>> approximation.q_fit(Q, phi, np.eye(10)[:2].sum(axis=0).reshape(5, 2) + 0.01).round(4)
    array([ 0.7135,  0.1176,  0.6708, -0.0304])
    """
    Q, phi, weights = _regression(Q, phi, weights)
    root = np.sqrt(weights)
    X = (root[:, :, None] * phi).reshape(-1, phi.shape[2])
    return _fit.min_norm_fit(np.ascontiguousarray(X), (root * Q).ravel())[0]


def q_loss(w, Q, phi, weights) -> float:
    r"""The weighted squared error :math:`L(w; \upsilon)`,

    .. math:: L(w; \upsilon) = \sum_{s,a}\upsilon(s,a)(Q(s,a) - w^\top\phi_{s,a})^2.

    (The regression loss of Q-NPG: AKLM section 6.2, Eq. (18); AJKS section 13.)

    Parameters
    ----------
    w : array_like, shape (dim,)
    Q : array_like, shape (S, A)
    phi : array_like, shape (S, A, dim)
    weights : array_like, shape (S, A)

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> from pgbook import algorithms, envs, features
    >>> from pgbook.theory import approximation
    >>> walk = envs.walk(n=5, goal=2, gamma=0.9)
    >>> phi = features.walk_features(walk, "position")
    >>> Q = pgbook.q_value(walk, pgbook.uniform(walk))
    >>> weights = np.full((5, 2), 0.1)
    >>> w = approximation.q_fit(Q, phi, weights)
    >>> round(approximation.q_loss(w, Q, phi, weights), 6), round(approximation.q_loss(np.zeros(4), Q, phi, weights), 6)
    (0.010503, 0.430414)
    """
    Q, phi, weights = _regression(Q, phi, weights)
    w = validate.array(w, "w", shape=(phi.shape[2],))
    return float(np.sum(weights * (Q - phi @ w) ** 2))


def sampled_fit_excess_risk(Q, phi, weights, N, *, n_fits, seed) -> np.ndarray:
    r"""Excess risks of least-squares fits of :math:`Q` on ``N`` pairs drawn from ``weights``.

    Each fit draws :math:`(s_i, a_i) \overset{\text{iid}}{\sim} \upsilon` (``weights``, normalised),
    :math:`i = 1..N`, fits

    .. math:: \hat w = \arg\min_w \sum_i (Q(s_i, a_i) - w^\top\phi_{s_i,a_i})^2

    (minimum norm, as :func:`q_npg_sampled` does) and returns

    .. math:: L(\hat w; \upsilon) - L(w_\star; \upsilon) = (\hat w - w_\star)^\top\Sigma_\upsilon(\hat w - w_\star),

    the statistical error :math:`\epsilon_{\mathrm{stat}}` of AKLM Assumption 6.1 for one regression
    (:math:`w_\star` = :func:`q_fit`). Its mean falls like :math:`1/N`, with the constant of
    :func:`excess_risk_constant`.

    Parameters
    ----------
    Q : array_like, shape (S, A)
    phi : array_like, shape (S, A, dim)
    weights : array_like, shape (S, A)
        Non-negative, not all 0.
    N, n_fits : int
        Pairs per fit and number of fits, >= 1.
    seed : int
        Seed of numpy's ``default_rng``.

    Returns
    -------
    excess : ndarray, shape (n_fits,)

    Examples
    --------
    >>> phi = np.array([[[1.0], [0.0]], [[0.0], [1.0]]])  # two states, one feature per action
    >>> Q, weights = np.array([[1.0, 0.0], [0.0, 2.0]]), np.full((2, 2), 0.25)
    >>> float(sampled_fit_excess_risk(Q, phi, weights, 1000, n_fits=3, seed=0).max()) < 0.01
    True
    """
    Q, phi, weights = _regression(Q, phi, weights)
    N, n_fits = validate.positive_int(N, "N"), validate.positive_int(n_fits, "n_fits")
    p = weights.ravel() / _positive_total(weights)
    X, y = phi.reshape(p.size, -1), Q.ravel()
    best = q_loss(q_fit(Q, phi, weights), Q, phi, p.reshape(Q.shape))
    rng = np.random.default_rng(validate.seed(seed))
    excess = np.empty(n_fits)
    for k, counts in enumerate(rng.multinomial(N, p, size=n_fits)):
        # N rows with c copies of a pair fit like one row weighted by sqrt(c).
        root = np.sqrt(counts)
        w = _fit.min_norm_fit(np.ascontiguousarray(root[:, None] * X), root * y)[0]
        excess[k] = float(np.sum(p * (y - X @ w) ** 2)) - best
    return excess


def excess_risk_constant(Q, phi, weights) -> float:
    r"""The limit of :math:`N` times the mean excess risk of a least-squares fit on :math:`N` sampled pairs.

    (The least-squares excess risk, Hsu, Kakade and Zhang 2014; its role in AKLM Theorem 6.1 as :math:`\epsilon_{\mathrm{stat}}`.)

    .. math:: N\,\mathbb E\big[L(\hat w_N; \upsilon) - L(w_\star; \upsilon)\big]
              \;\to\; \operatorname{tr}\big(\Sigma_\upsilon^\dagger\Omega\big), \qquad
              \Omega = \mathbb E_\upsilon\big[e(s,a)^2\phi_{s,a}\phi_{s,a}^\top\big], \quad
              e = Q - w_\star^\top\phi,

    from :math:`\sqrt N(\hat w_N - w_\star) \to \mathcal N(0, \Sigma^{-1}\Omega\Sigma^{-1})`, the
    "sandwich" covariance of least squares (the central limit theorem applied to the normal equations,
    :math:`\mathbb E_\upsilon[e\,\phi] = 0`), which needs no correctly specified model.
    When the features cannot fit :math:`Q`, the residual :math:`e` plays the role of noise although the
    targets are exact; a constant residual variance :math:`\sigma^2` would give the textbook
    :math:`\sigma^2\dim`.

    Parameters
    ----------
    Q : array_like, shape (S, A)
    phi : array_like, shape (S, A, dim)
    weights : array_like, shape (S, A)
        Non-negative, not all 0 (normalised here).

    Returns
    -------
    float

    Examples
    --------
    >>> phi = np.ones((2, 1, 1))  # fitting a constant to the values 0 and 2, equally likely
    >>> excess_risk_constant(np.array([[0.0], [2.0]]), phi, np.full((2, 1), 0.5))
    1.0
    """
    Q, phi, weights = _regression(Q, phi, weights)
    p = weights / _positive_total(weights)
    e = Q - phi @ q_fit(Q, phi, p)
    sigma = np.einsum("sa,sai,saj->ij", p, phi, phi)
    omega = np.einsum("sa,sai,saj->ij", p * e * e, phi, phi)
    return float(np.trace(np.linalg.pinv(sigma, rcond=_fit.RCOND, hermitian=True) @ omega))


def relative_condition_number(phi, d_star, nu) -> float:
    r"""The relative condition number of the feature covariance under ``d_star`` with respect to ``nu``.

    .. math:: \kappa = \sup_{w}\frac{w^\top\Sigma_{d^\star}w}{w^\top\Sigma_\nu w}, \qquad
              \Sigma_\upsilon = \mathbb E_{(s,a)\sim\upsilon}\big[\phi_{s,a}\phi_{s,a}^\top\big]

    (AKLM Assumption 6.2; AJKS Assumption 13.5): :math:`+\infty` if some direction with
    :math:`w^\top\Sigma_{d^\star}w > 0` has :math:`w^\top\Sigma_\nu w = 0`, otherwise the largest
    generalised eigenvalue of the pair on the range of :math:`\Sigma_\nu` (0/0 directions do not count).

    Parameters
    ----------
    phi : array_like, shape (S, A, dim)
    d_star, nu : array_like, shape (S, A)
        Distributions over state-action pairs.

    Returns
    -------
    float
        :math:`\kappa \ge 0`, possibly ``inf``.

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> from pgbook import algorithms, envs, features
    >>> from pgbook.theory import approximation
    >>> walk = envs.walk(n=5, goal=2, gamma=0.9)
    >>> phi = features.walk_features(walk, "position")
    >>> d_star = np.zeros((5, 2)); d_star[:2] = 0.25
    >>> round(approximation.relative_condition_number(phi, d_star, np.full((5, 2), 0.1)), 4)
    2.4359
    >>> nu = np.zeros((5, 2)); nu[3:] = 0.25  # misses what the comparator visits
    >>> round(approximation.relative_condition_number(phi, d_star, nu), 4)
    37.9737
    """
    phi = validate.array(phi, "phi", ndim=3)
    shape = phi.shape[:2]
    d_star = validate.array(d_star, "d_star", shape=shape)
    nu = validate.array(nu, "nu", shape=shape)
    for name, x in (("d_star", d_star), ("nu", nu)):
        validate.distribution_rows(x.ravel(), name)
    sigma_star = np.einsum("sa,sai,saj->ij", d_star, phi, phi)
    sigma_nu = np.einsum("sa,sai,saj->ij", nu, phi, phi)
    lam, U = np.linalg.eigh(sigma_nu)
    tol = 1e-12 * max(lam.max(), np.abs(sigma_star).max(), 1e-300)
    keep = lam > tol
    null = U[:, ~keep]
    if null.size and np.linalg.norm(null.T @ sigma_star @ null, 2) > tol:
        return math.inf
    root_inv = U[:, keep] / np.sqrt(lam[keep])
    return float(np.linalg.eigvalsh(root_inv.T @ sigma_star @ root_inv).max())


@dataclass(frozen=True)
class QNPGTerms:
    r"""The terms of AKLM Thm 6.1 for one Q-NPG run (see :func:`q_npg_terms`).

    ``W_run``: the largest :math:`\|w^{(t)}\|` of the run (at most ``W``);
    ``gap``: :math:`\min_{t<T}\{V^{\pi^\star}(\rho) - V^{(t)}(\rho)\}`; ``bound``: the theorem's
    right-hand side; ``optimisation``, ``statistical``, ``transfer``: its three summands.
    ``eps_approx`` :math:`= \max_{t<T} L(w^{(t)}_\star; d^{(t)})` and ``mismatch``
    :math:`= \|d^\star/\nu\|_\infty` are the two factors of AKLM Corollary 6.1,
    :math:`\epsilon_{\mathrm{bias}} \le \|d^\star/\nu\|_\infty\,\epsilon_{\mathrm{approx}}/(1-\gamma)`.
    """

    eps_stat: float
    eps_bias: float
    kappa: float
    B: float
    W: float
    W_run: float
    T: int
    gap: float
    optimisation: float
    statistical: float
    transfer: float
    eps_approx: float
    mismatch: float

    @property
    def bound(self) -> float:
        """The right-hand side of AKLM Thm 6.1: the sum of the three terms."""
        return self.optimisation + self.statistical + self.transfer


def q_npg_bound(*, B, W, T, A, gamma, kappa, eps_stat, eps_bias) -> tuple[float, float, float]:
    r"""The three terms of the Q-NPG bound (AKLM Thm 6.1; AJKS Thm 13.6).

    .. math:: \mathbb E\Big[\min_{t<T}\{V^{\pi^\star}(\rho) - V^{(t)}(\rho)\}\Big]
              \le \frac{BW}{1-\gamma}\sqrt{\frac{2\log|A|}{T}}
              + \sqrt{\frac{4|A|\kappa\,\epsilon_{\mathrm{stat}}}{(1-\gamma)^3}}
              + \frac{\sqrt{4|A|\epsilon_{\mathrm{bias}}}}{1-\gamma},

    for :math:`\theta^{(0)} = 0`, :math:`\|\phi_{s,a}\| \le B`, :math:`\|w^{(t)}\| \le W`,
    :math:`\eta = \sqrt{2\log|A|/(B^2W^2T)}` and rewards in [0, 1].

    Parameters
    ----------
    B, W : float
        Bounds on the feature and weight norms, >= 0.
    T, A : int
        Number of iterations and of actions, >= 1.
    gamma : float
        In [0, 1).
    kappa, eps_stat, eps_bias : float
        >= 0; ``kappa`` may be ``inf`` (then the statistical term is ``inf`` unless ``eps_stat = 0``).

    Returns
    -------
    (optimisation, statistical, transfer) : tuple of float

    Examples
    --------
    >>> from pgbook.theory import approximation
    >>> [round(x, 4) for x in approximation.q_npg_bound(B=1.0, W=2.0, T=100, A=2, gamma=0.9, kappa=3.0, eps_stat=0.01, eps_bias=0.05)]
    [2.3548, 15.4919, 6.3246]
    >>> [round(x, 4) for x in approximation.q_npg_bound(B=1.0, W=2.0, T=1000, A=2, gamma=0.9, kappa=3.0, eps_stat=0.01, eps_bias=0.05)]
    [0.7447, 15.4919, 6.3246]
    """
    B = validate.positive_real(B, "B", allow_zero=True)
    W = validate.positive_real(W, "W", allow_zero=True)
    T = validate.positive_int(T, "T")
    A = validate.positive_int(A, "A")
    gamma = validate.gamma(gamma)
    eps_stat = validate.positive_real(eps_stat, "eps_stat", allow_zero=True)
    eps_bias = validate.positive_real(eps_bias, "eps_bias", allow_zero=True)
    kappa = float(kappa)
    if math.isnan(kappa) or kappa < 0:
        raise ValueError(f"kappa: must be >= 0 (or inf), got {kappa}")
    optimisation = B * W / (1.0 - gamma) * math.sqrt(2.0 * math.log(A) / T)
    statistical = 0.0 if eps_stat == 0.0 else math.sqrt(4.0 * A * kappa * eps_stat / (1.0 - gamma) ** 3)
    transfer = math.sqrt(4.0 * A * eps_bias) / (1.0 - gamma)
    return optimisation, statistical, transfer


def q_npg_eta(B, W, T, A) -> float:
    r"""The step size of AKLM Thm 6.1, :math:`\eta = \sqrt{2\log|A|/(B^2W^2T)}`.

    Parameters
    ----------
    B, W : float
        > 0.
    T, A : int
        >= 1; ``A >= 2``.

    Returns
    -------
    float

    Examples
    --------
    >>> from pgbook.theory import approximation
    >>> round(approximation.q_npg_eta(1.0, 2.0, 100, 2), 6), round(approximation.q_npg_eta(1.0, 2.0, 1000, 4), 6)
    (0.058871, 0.026328)
    """
    B, W = validate.positive_real(B, "B"), validate.positive_real(W, "W")
    T, A = validate.positive_int(T, "T"), validate.positive_int(A, "A")
    if A < 2:
        raise ValueError(f"A: needs at least 2 actions, got {A}")
    return math.sqrt(2.0 * math.log(A) / (B * B * W * W * T))


def q_npg_terms(mdp: MDP, run, W, pi_star=None) -> QNPGTerms:
    r"""Every term of AKLM Thm 6.1, computed exactly for a :func:`pgbook.algorithms.q_npg` run.

    The run must be recorded at every iteration (``record_every=1``) from :math:`\theta^{(0)} = 0`; its
    steps give :math:`w^{(t)} = (\theta^{(t+1)} - \theta^{(t)})/\eta`. Then, with
    :math:`d^{(t)} = d^{\pi^{(t)}}_\nu` (:func:`state_action_visitation`),
    :math:`d^\star = d^{\pi^\star}_\rho \times \mathrm{Unif}_{\mathcal A}` and
    :math:`w^{(t)}_\star` the best fit under :math:`d^{(t)}` (:func:`q_fit`),

    .. math:: \epsilon_{\mathrm{stat}} = \max_{t<T} L(w^{(t)}; d^{(t)}) - L(w^{(t)}_\star; d^{(t)}), \qquad
              \epsilon_{\mathrm{bias}} = \max_{t<T} L(w^{(t)}_\star; d^\star), \qquad
              \kappa = \sup_w \frac{w^\top\Sigma_{d^\star}w}{w^\top\Sigma_\nu w},

    :math:`B = \max\|\phi_{s,a}\|` (AKLM Assumptions 6.1-6.2, with the expectations exact since every
    fit is deterministic), and the factors of AKLM Corollary 6.1, :math:`\epsilon_{\mathrm{approx}} =
    \max_{t<T} L(w^{(t)}_\star; d^{(t)})` and :math:`\|d^\star/\nu\|_\infty`. The run's step must be the theorem's, ``eta = q_npg_eta(B, W, T, A)``, and
    every :math:`\|w^{(t)}\| \le W`.

    Parameters
    ----------
    mdp : MDP
        The run's MDP (rewards in [0, 1] for the bound to apply).
    run : Run
        From :func:`pgbook.algorithms.q_npg` with ``record_every=1``, or :func:`q_npg_sampled`.
    W : float
        The weight bound the step size was chosen for, > 0.
    pi_star : array_like, shape (S, A), optional
        The comparator; default an optimal policy (:func:`pgbook.policy_iteration`).

    Returns
    -------
    QNPGTerms

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> from pgbook import algorithms, envs, features
    >>> from pgbook.theory import approximation
    >>> walk = envs.walk(n=5, goal=2, gamma=0.9)
    >>> phi = features.walk_features(walk, "position")
    >>> eta = approximation.q_npg_eta(float(np.linalg.norm(phi, axis=2).max()), 5.0, 30, 2)
    >>> run = algorithms.q_npg(walk, phi, eta, 30, record_every=1)
    >>> terms = approximation.q_npg_terms(walk, run, W=5.0)
    >>> round(terms.gap, 4), round(terms.eps_bias, 4), round(terms.kappa, 4)
    (0.2035, 0.0027, 0.5443)
    """
    phi, nu, rho, eta, thetas = _run_parts(mdp, run, ("q_npg", "q_npg_sampled"))
    pi_star = policy_iteration(mdp)[0] if pi_star is None else validate.policy(mdp, pi_star, "pi_star")
    d_star = visitation(mdp, pi_star, rho)[:, None] / mdp.A * np.ones(mdp.A)
    T = thetas.shape[0] - 1
    W = validate.positive_real(W, "W")
    B = float(np.linalg.norm(phi, axis=2).max())
    if not math.isclose(eta, q_npg_eta(B, W, T, mdp.A), rel_tol=1e-12):
        raise ValueError(f"run: its eta = {eta:.6g} is not the theorem's step for W = {W:g}, "
                         f"q_npg_eta(B, W, T, A) = {q_npg_eta(B, W, T, mdp.A):.6g}")
    eps_stat = eps_bias = eps_approx = W_run = 0.0
    for t in range(T):
        pi = run.pi[t]
        Q = q_value(mdp, pi)
        d_t = state_action_visitation(mdp, pi, nu)
        w_best = q_fit(Q, phi, d_t)
        w_run = (thetas[t + 1] - thetas[t]) / eta
        W_run = max(W_run, float(np.linalg.norm(w_run)))
        best = q_loss(w_best, Q, phi, d_t)
        eps_stat = max(eps_stat, q_loss(w_run, Q, phi, d_t) - best)
        eps_approx = max(eps_approx, best)
        eps_bias = max(eps_bias, q_loss(w_best, Q, phi, d_star))
    if W_run > W * (1.0 + 1e-12):
        raise ValueError(f"W: the run's largest step ||w|| = {W_run:.6g} exceeds W = {W:g}")
    kappa = relative_condition_number(phi, d_star, nu)
    covered = nu > 0
    mismatch = float((d_star[covered] / nu[covered]).max()) if (d_star[~covered] == 0).all() else math.inf
    V_star = float(np.sum(rho * value(mdp, pi_star)))
    gap = V_star - float(run.V_rho[:T].max())
    terms = q_npg_bound(B=B, W=W, T=T, A=mdp.A, gamma=mdp.gamma, kappa=kappa, eps_stat=max(eps_stat, 0.0),
                        eps_bias=eps_bias)
    return QNPGTerms(max(eps_stat, 0.0), eps_bias, kappa, B, W, W_run, T, gap, *terms, eps_approx, mismatch)


def q_npg_sampled(mdp: MDP, phi, eta, T, *, N, seed, nu=None) -> Run:
    r"""Q-NPG whose regressions are fitted on ``N`` sampled state-action pairs (AKLM section 6.2, Cor 6.2).

    .. math:: w^{(t)} = \arg\min_w \frac1N\sum_{i=1}^N\big(Q^{(t)}(s_i, a_i) - w^\top\phi_{s_i,a_i}\big)^2,
              \qquad (s_i, a_i) \overset{\text{iid}}{\sim} d^{(t)}_\nu, \qquad
              \theta^{(t+1)} = \theta^{(t)} + \eta w^{(t)}

    (minimum-norm least squares; the targets are the exact :math:`Q^{(t)}`, so the only error is the
    finite sample: :math:`\epsilon_{\mathrm{stat}} > 0` whenever the features cannot fit
    :math:`Q^{(t)}` exactly). From :math:`\theta^{(0)} = 0`, every iterate recorded, as
    :func:`q_npg_terms` needs; :math:`\rho` is the MDP's.

    Parameters
    ----------
    mdp : MDP
        ``gamma < 1``.
    phi : array_like, shape (S, A, dim)
    eta : float
        > 0.
    T, N : int
        Iterations and samples per regression, >= 1.
    seed : int
        Seed of numpy's ``default_rng``.
    nu : array_like, shape (S, A), optional
        The exploratory distribution (default uniform).

    Returns
    -------
    Run
        ``algorithm = "q_npg_sampled"``; ``V_rho: (T+1,)``, ``steps = 0..T``, ``pi: (T+1, S, A)``,
        ``V: (T+1, S)``, ``theta: (T+1, dim)``; no trace.

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> from pgbook import algorithms, envs, features
    >>> from pgbook.theory import approximation
    >>> walk = envs.walk(n=5, goal=2, gamma=0.9)
    >>> phi = features.walk_features(walk, "position")
    >>> run = approximation.q_npg_sampled(walk, phi, 0.5, 20, N=200, seed=0)
    >>> run.V_rho[[0, 10, 20]].round(4)
    array([0.6475, 0.7447, 0.7862])
    >>> approximation.q_npg_sampled(walk, phi, 0.5, 20, N=200, seed=1).V_rho[[0, 10, 20]].round(4)
    array([0.6475, 0.7286, 0.7773])
    """
    require_mdp(mdp)
    validate.discounted(mdp, "q_npg_terms")
    phi = validate.features(mdp, phi)
    eta = validate.positive_real(eta, "eta")
    T, N = validate.positive_int(T, "T"), validate.positive_int(N, "N")
    rng = np.random.default_rng(validate.seed(seed))
    nu = np.full((mdp.S, mdp.A), 1.0 / (mdp.S * mdp.A)) if nu is None else nu
    thetas = np.zeros((T + 1, phi.shape[2]))
    pis, Vs = np.empty((T + 1, mdp.S, mdp.A)), np.empty((T + 1, mdp.S))
    for t in range(T + 1):
        pis[t] = loglinear(thetas[t], phi)
        Vs[t] = value(mdp, pis[t])
        if t == T:
            break
        d_t = state_action_visitation(mdp, pis[t], nu)
        p = np.maximum(d_t.ravel(), 0.0)
        pairs = rng.choice(mdp.S * mdp.A, size=N, p=p / p.sum())
        X = phi.reshape(mdp.S * mdp.A, -1)[pairs]
        w = _fit.min_norm_fit(X, q_value(mdp, pis[t]).ravel()[pairs])[0]
        thetas[t + 1] = thetas[t] + eta * w
    params = {"phi": phi, "nu": np.asarray(nu, dtype=float), "rho": mdp.rho, "eta": eta, "T": T, "N": N,
              "seed": seed}
    return Run("q_npg_sampled", Vs @ mdp.rho, np.arange(T + 1), pis, Vs, thetas, params=params)


@dataclass(frozen=True)
class SampledTerms:
    r"""Sampled Q-NPG at one exploratory distribution and one sample size, over seeds (see :func:`sampled_terms`).

    ``runs``, ``terms``: each seed's run and its :class:`QNPGTerms`; ``kappa``: the relative condition
    number (the same for every seed); ``eps_stat``: the seeds' mean of :math:`\epsilon_{\mathrm{stat}}`
    (each the largest excess risk of a run's fits); ``final_gap``:
    :math:`V^{\pi^\star}(\rho) - \mathbb E[V^{(T)}(\rho)]`, the seeds' mean; ``bound``: AKLM Thm 6.1's
    right-hand side with that :math:`\kappa` and mean :math:`\epsilon_{\mathrm{stat}}`.
    """

    runs: tuple
    terms: tuple
    kappa: float
    eps_stat: float
    final_gap: float
    bound: float


def sampled_terms(mdp: MDP, phi, eta, T, *, N, seeds, W, nu=None) -> SampledTerms:
    r"""Run :func:`q_npg_sampled` once per seed and average the terms of AKLM Thm 6.1 over the seeds.

    The theorem bounds an expectation over the samples,

    .. math:: \mathbb E\big[V^{\pi^\star}(\rho) - V^{(t)}(\rho)\big] \le \frac{BW}{1-\gamma}\sqrt{\frac{2\log|A|}{T}}
              + \sqrt{\frac{4|A|\,\kappa\,\mathbb E[\epsilon_{\mathrm{stat}}]}{(1-\gamma)^3}}
              + \frac{\sqrt{4|A|\,\epsilon_{\mathrm{bias}}}}{1-\gamma}

    for the best :math:`t < T`, so this returns the seeds' means of the final gap and of
    :math:`\epsilon_{\mathrm{stat}}` (:func:`q_npg_terms`, comparator an optimal policy), with the
    bound evaluated at the means.

    Parameters
    ----------
    mdp : MDP
        ``gamma < 1``, rewards in [0, 1].
    phi : array_like, shape (S, A, dim)
    eta : float
        The theorem's step for ``W``, ``q_npg_eta(B, W, T, A)``.
    T, N : int
        Iterations and sampled pairs per regression, >= 1.
    seeds : iterable of int
        One run per seed; at least one.
    W : float
        The weight bound the step was chosen for, > 0.
    nu : array_like, shape (S, A), optional
        The exploratory distribution (default uniform).

    Returns
    -------
    SampledTerms

    Examples
    --------
    >>> import numpy as np
    >>> from pgbook import envs, features
    >>> from pgbook.theory import approximation
    >>> walk = envs.walk(n=5, goal=2, gamma=0.9)
    >>> phi = features.walk_features(walk, "tabular")
    >>> eta = approximation.q_npg_eta(1.0, 3.0, 30, 2)
    >>> few, many = (approximation.sampled_terms(walk, phi, eta, 30, N=N, seeds=range(4), W=3.0) for N in (10, 200))
    >>> round(few.eps_stat, 4), round(many.eps_stat, 4)  # fewer pairs, larger excess risk
    (0.1408, 0.0028)
    >>> round(few.final_gap, 4), round(many.final_gap, 4), round(few.bound, 1)
    (0.213, 0.148, 32.4)
    >>> approximation.sampled_terms(walk, phi, eta, 30, N=10, seeds=[], W=3.0)
    Traceback (most recent call last):
    ...
    ValueError: seeds: needs at least one seed, got none
    """
    seeds = [validate.seed(s) for s in seeds]
    if not seeds:
        raise ValueError("seeds: needs at least one seed, got none")
    runs = tuple(q_npg_sampled(mdp, phi, eta, T, N=N, seed=s, nu=nu) for s in seeds)
    terms = tuple(q_npg_terms(mdp, run, W) for run in runs)
    kappa = terms[0].kappa
    eps_stat = float(np.mean([t.eps_stat for t in terms]))
    V_star = float(np.sum(mdp.rho * value(mdp, policy_iteration(mdp)[0])))
    final_gap = V_star - float(np.mean([run.V_rho[-1] for run in runs]))
    first = terms[0]
    bound = sum(q_npg_bound(B=first.B, W=W, T=first.T, A=mdp.A, gamma=mdp.gamma, kappa=kappa, eps_stat=eps_stat,
                            eps_bias=max(t.eps_bias for t in terms)))
    return SampledTerms(runs, terms, kappa, eps_stat, final_gap, float(bound))


def logit_steps(mdp: MDP, run) -> tuple[np.ndarray, np.ndarray]:
    r"""Each step's change of every logit in a Q-NPG run, and the change an exact fit would make.

    .. math:: \Delta_t(s, a) = \big(\theta^{(t+1)} - \theta^{(t)}\big)\cdot\phi_{s,a} = \eta\,w^{(t)}\cdot\phi_{s,a},
              \qquad F_t(s, a) = \eta\,Q^{(t)}(s, a).

    With one-hot features and exact targets, the minimum-norm fit on sampled pairs returns
    :math:`Q^{(t)}(s,a)` at each pair drawn and 0 at each pair missed, so every :math:`\Delta_t(s,a)`
    is :math:`F_t(s,a)` or 0, and :math:`F_t - \Delta_t` is what the misses took away (AKLM section 6.2).

    Parameters
    ----------
    mdp : MDP
        The run's MDP.
    run : Run
        From :func:`q_npg_sampled` or :func:`pgbook.algorithms.q_npg` with ``record_every=1``.

    Returns
    -------
    steps, full : ndarray, shape (T, S, A)
        :math:`\Delta_t(s,a)` and :math:`F_t(s,a)` for :math:`t < T`.

    Examples
    --------
    >>> import numpy as np
    >>> from pgbook import envs, features
    >>> from pgbook.theory import approximation
    >>> walk = envs.walk(n=5, goal=2, gamma=0.9)
    >>> phi = features.walk_features(walk, "tabular")
    >>> run = approximation.q_npg_sampled(walk, phi, 0.5, 3, N=4, seed=0)
    >>> steps, full = approximation.logit_steps(walk, run)
    >>> steps.shape, bool(np.all(np.isclose(steps, 0) | np.isclose(steps, full)))  # all or nothing
    ((3, 5, 2), True)
    >>> approximation.logit_steps(walk, "a run")
    Traceback (most recent call last):
    ...
    ValueError: run: expected a run of q_npg_sampled or q_npg, got 'a run'
    """
    phi, _, _, eta, thetas = _run_parts(mdp, run, ("q_npg_sampled", "q_npg"))
    steps = np.einsum("sak,tk->tsa", phi, np.diff(thetas, axis=0))
    full = eta * np.array([q_value(mdp, pi) for pi in np.asarray(run.pi)[:-1]])
    return steps, full


@dataclass(frozen=True)
class RegretTerms:
    r"""The terms of the NPG regret lemma (AKLM Lemma 6.2) for one run (see :func:`npg_regret_terms`).

    ``gap``: :math:`\min_{t<T}\{V^{\tilde\pi}(\rho) - V^{(t)}(\rho)\}`; ``bound`` the lemma's
    right-hand side with :math:`W` the run's largest :math:`\|w^{(t)}\|`. Per iteration:
    ``gaps: (T,)`` :math:`V^{\tilde\pi}(\rho) - V^{(t)}(\rho)`; ``err: (T,)`` :math:`\mathrm{err}_t`;
    ``potential: (T+1,)`` :math:`\Phi_t`; ``curvature: (T, S)`` :math:`c_t(s)`; ``w_norm: (T,)``
    :math:`\|w^{(t)}\|`; ``weights: (S,)`` the comparator's visitation :math:`d^{\tilde\pi}_\rho`;
    ``err_loss: (T,)`` the compatible fit's loss where the comparator goes,

    .. math:: \mathbb E_{s\sim d^{\tilde\pi}_\rho,\,a\sim\tilde\pi}\big[(A^{(t)}(s,a) - w^{(t)}\cdot\nabla_\theta\log\pi^{(t)}(a|s))^2\big],

    whose square root bounds :math:`|\mathrm{err}_t|` by Jensen (AKLM Thm 6.2's step, with constant 1).
    """

    beta: float
    W: float
    eta: float
    T: int
    err: np.ndarray
    gap: float
    bound: float
    gaps: np.ndarray
    potential: np.ndarray
    curvature: np.ndarray
    w_norm: np.ndarray
    weights: np.ndarray
    err_loss: np.ndarray


def npg_regret_terms(mdp: MDP, run, pi_tilde=None) -> RegretTerms:
    r"""The NPG regret lemma for a smooth policy class, computed for a log-linear run (AKLM Lemma 6.2).

    If :math:`\log\pi_\theta(a|s)` is :math:`\beta`-smooth in :math:`\theta`, :math:`\pi^{(0)}` is
    uniform and :math:`\theta^{(t+1)} = \theta^{(t)} + \eta w^{(t)}` with :math:`\|w^{(t)}\| \le W`, then

    .. math:: \min_{t<T}\{V^{\tilde\pi}(\rho) - V^{(t)}(\rho)\}
              &\le \frac{1}{1-\gamma}\Big(\frac{\log|A|}{\eta T} + \frac{\eta\beta W^2}{2}
              + \frac1T\sum_{t<T}\mathrm{err}_t\Big), \\
              \mathrm{err}_t &= \mathbb E_{s\sim d^{\tilde\pi}_\rho,\,a\sim\tilde\pi}
              \big[A^{(t)}(s,a) - w^{(t)}\cdot\nabla_\theta\log\pi^{(t)}(a|s)\big].

    For log-linear policies :math:`\beta = B^2` with :math:`B = \max\|\phi_{s,a}\|` (AKLM Remark 6.7).
    The proof rests on an identity, exact for any sequence :math:`w^{(t)}`: with the potential
    :math:`\Phi_t = \mathbb E_{s\sim d^{\tilde\pi}_\rho}\mathrm{KL}(\tilde\pi_s\,\|\,\pi^{(t)}_s)` and the
    curvature term

    .. math:: c_t(s) = \log\mathbb E_{a\sim\pi^{(t)}}e^{\eta w^{(t)}\cdot\phi_{s,a}}
              - \eta\,\mathbb E_{a\sim\pi^{(t)}}w^{(t)}\cdot\phi_{s,a},

    .. math:: (1-\gamma)\big(V^{\tilde\pi}(\rho) - V^{(t)}(\rho)\big)
              = \frac{\Phi_t - \Phi_{t+1}}{\eta}
              + \frac1\eta\,\mathbb E_{s\sim d^{\tilde\pi}_\rho}c_t(s) + \mathrm{err}_t

    by the performance difference lemma and

    .. math:: \log\pi^{(t+1)} - \log\pi^{(t)} = \eta w^{(t)}\cdot \phi - \log\mathbb E_{\pi^{(t)}}e^{\eta w^{(t)}\cdot\phi};

    the lemma follows from
    :math:`\Phi_0 \le \log|A|`, :math:`\Phi_T \ge 0` and
    :math:`0 \le c_t(s) \le \eta^2\beta\|w^{(t)}\|^2/2`. The run must come from
    :func:`pgbook.algorithms.loglinear_npg`, :func:`pgbook.algorithms.q_npg` or :func:`q_npg_sampled`,
    recorded at every iteration (``record_every=1``) from :math:`\theta^{(0)} = 0`.

    Parameters
    ----------
    mdp : MDP
    run : Run
    pi_tilde : array_like, shape (S, A), optional
        The comparator; default an optimal policy.

    Returns
    -------
    RegretTerms

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> from pgbook import algorithms, envs, features
    >>> from pgbook.theory import approximation
    >>> walk = envs.walk(n=5, goal=2, gamma=0.9)
    >>> phi = features.walk_features(walk, "position")
    >>> run = algorithms.loglinear_npg(walk, phi, 0.5, 30, record_every=1)
    >>> terms = approximation.npg_regret_terms(walk, run)
    >>> round(terms.gap, 4), round(terms.bound, 4)
    (0.0265, np.float64(1.7874))
    """
    phi, _, rho, eta, thetas = _run_parts(mdp, run, ("loglinear_npg", "q_npg", "q_npg_sampled"))
    pi_tilde = policy_iteration(mdp)[0] if pi_tilde is None else validate.policy(mdp, pi_tilde, "pi_tilde")
    d_tilde = visitation(mdp, pi_tilde, rho)
    weight = d_tilde[:, None] * pi_tilde
    T = thetas.shape[0] - 1
    err, err_loss, w_norm = np.empty(T), np.empty(T), np.empty(T)
    potential, curvature = np.empty(T + 1), np.empty((T, mdp.S))
    support = pi_tilde > 0
    for t in range(T + 1):
        # log pi from the logits, not log(pi): a probability that underflows to 0 keeps its log.
        log_pi, pi = _inner.loglinear(thetas[t], phi)
        potential[t] = np.sum(weight[support] * (np.log(pi_tilde[support]) - log_pi[support]))
        if t == T:
            break
        w = (thetas[t + 1] - thetas[t]) / eta
        w_norm[t] = np.linalg.norm(w)
        residual = advantage(mdp, pi) - centred_features(phi, pi) @ w
        err[t] = np.sum(weight * residual)
        err_loss[t] = np.sum(weight * residual**2)
        score = eta * (phi @ w)
        y = score - np.sum(pi * score, axis=1, keepdims=True)
        # c = log E exp(y) with E y = 0, summed as E[expm1(y) - y] >= 0 term by term: no cancellation,
        # and no negative round-off where Jensen says c >= 0.
        curvature[t] = np.log1p(np.sum(pi * (np.expm1(y) - y), axis=1))
    beta = float(np.linalg.norm(phi, axis=2).max()) ** 2
    W = float(w_norm.max())
    gaps = float(np.sum(rho * value(mdp, pi_tilde))) - np.asarray(run.V_rho[:T], dtype=float)
    bound = (math.log(mdp.A) / (eta * T) + eta * beta * W * W / 2.0 + err.mean()) / (1.0 - mdp.gamma)
    for a in (err, gaps, potential, curvature, w_norm, d_tilde, err_loss):
        a.flags.writeable = False
    return RegretTerms(beta, W, eta, T, err, float(gaps.min()), bound, gaps, potential, curvature, w_norm,
                       d_tilde, err_loss)


def loglinear_hessian_norm(theta, phi) -> float:
    r"""How curved a log-linear class is at ``theta``: the largest Hessian norm of :math:`\log\pi_\theta` over the pairs.

    .. math:: \nabla^2_\theta\log\pi_\theta(a|s) = -\mathrm{Cov}_{a'\sim\pi_\theta(\cdot|s)}[\phi_{s,a'}], \qquad
              \max_{s,a}\big\|\nabla^2_\theta\log\pi_\theta(a|s)\big\| = \max_s\lambda_{\max}\big(\mathrm{Cov}_{\pi_\theta(\cdot|s)}\phi_{s,\cdot}\big),

    the same for every action of a state; at most (AKLM Remark 6.7 has :math:`B^2`)

    .. math:: \beta_\phi = \max_s\max_{a,b}\|\phi_{s,a} - \phi_{s,b}\|^2/4 \le B^2.

    Parameters
    ----------
    theta : array_like, shape (dim,)
    phi : array_like, shape (S, A, dim)

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> from pgbook.theory import approximation
    >>> phi = np.array([[[1.0, 0.0], [0.0, 1.0]]])  # one state, two orthogonal unit features: B^2 = 1
    >>> approximation.loglinear_hessian_norm(np.zeros(2), phi)  # uniform: Var = |phi_a - phi_b|^2 / 4
    0.5
    >>> round(approximation.loglinear_hessian_norm(np.array([3.0, 0.0]), phi), 4)  # nearly deterministic
    0.0904
    >>> approximation.loglinear_hessian_norm(np.zeros(3), phi)
    Traceback (most recent call last):
    ...
    ValueError: theta: expected shape (2,), got (3,)
    """
    phi = validate.array(phi, "phi", ndim=3)
    theta = validate.array(theta, "theta", shape=(phi.shape[2],))
    pi = loglinear(theta, phi)
    centred = phi - np.einsum("sa,sak->sk", pi, phi)[:, None, :]
    return float(np.linalg.eigvalsh(np.einsum("sa,sak,sal->skl", pi, centred, centred))[:, -1].max())


@dataclass(frozen=True)
class NetworkTerms:
    r"""The terms of the NPG regret identity for a run of :func:`pgbook.theory.neural.npg` (see :func:`network_regret_terms`).

    Per iteration: ``V_rho: (T+1,)`` :math:`V^{(t)}(\rho)`; ``gaps: (T,)`` :math:`V^{\tilde\pi}(\rho) - V^{(t)}(\rho)`;
    ``potential: (T+1,)`` :math:`\Phi_t`; ``err: (T,)`` :math:`\mathrm{err}_t`; ``remainder: (T, S, A)``
    :math:`r_t(s,a)`; ``fit_loss: (T,)`` the compatible fit's loss where it is made, under
    :math:`d^{(t)}_\rho \times \pi^{(t)}`; ``beta_needed: (T,)`` the least :math:`\beta` with
    :math:`r_t(s,a) \le \beta\eta^2\|w^{(t)}\|^2/2` on every pair; ``weights: (S, A)`` the comparator's pairs
    :math:`d^{\tilde\pi}_\rho(s)\tilde\pi(a|s)`.
    """

    eta: float
    V_rho: np.ndarray
    gaps: np.ndarray
    potential: np.ndarray
    err: np.ndarray
    remainder: np.ndarray
    fit_loss: np.ndarray
    beta_needed: np.ndarray
    weights: np.ndarray


def network_regret_terms(mdp: MDP, thetas, phi, eta, pi_tilde=None, activation: str = "tanh") -> NetworkTerms:
    r"""The NPG regret identity, term by term, along a network's NPG run (AKLM Lemma 6.2's proof).

    With :math:`w^{(t)} = (\theta^{(t+1)} - \theta^{(t)})/\eta`, the score
    :math:`g_t = \nabla_\theta\log\pi^{(t)}` (:func:`pgbook.theory.neural.grad_log_pi`) and the remainder of
    the first-order change of :math:`\log\pi`,

    .. math:: r_t(s,a) = \eta\,w^{(t)}\cdot g_t(s,a) - \big(\log\pi^{(t+1)}(a|s) - \log\pi^{(t)}(a|s)\big),

    the performance difference lemma gives, exactly, for every class and every :math:`t`,

    .. math:: (1-\gamma)\big(V^{\tilde\pi}(\rho) - V^{(t)}(\rho)\big)
              = \frac{\Phi_t - \Phi_{t+1}}{\eta} + \mathrm{err}_t
              + \frac1\eta\,\mathbb E_{s\sim d^{\tilde\pi}_\rho,\,a\sim\tilde\pi}\,r_t(s,a),

    with :math:`\Phi_t = \mathbb E_{s\sim d^{\tilde\pi}_\rho}\mathrm{KL}(\tilde\pi_s\,\|\,\pi^{(t)}_s)` and
    :math:`\mathrm{err}_t = \mathbb E_{d^{\tilde\pi}_\rho\times\tilde\pi}[A^{(t)} - w^{(t)}\cdot g_t]`.
    Smoothness enters the lemma only as :math:`r_t \le \beta\eta^2\|w^{(t)}\|^2/2`.

    Parameters
    ----------
    mdp : MDP
        ``gamma < 1``; the start distribution is the MDP's.
    thetas : array_like, shape (T+1, n)
        The iterates, as :func:`pgbook.theory.neural.npg` returns them; T >= 1.
    phi : array_like, shape (S, A, dim)
    eta : float
        The run's step, > 0.
    pi_tilde : array_like, shape (S, A), optional
        The comparator; default an optimal policy (:func:`pgbook.policy_iteration`).
    activation : {"tanh", "linear"}

    Returns
    -------
    NetworkTerms

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> from pgbook.theory import approximation, neural
    >>> walk = pgbook.envs.walk()
    >>> phi = pgbook.features.walk_features(walk, "position")
    >>> thetas = neural.npg(walk, neural.init(dim=4, hidden=4, seed=0), phi, 0.5, 20)
    >>> nn = approximation.network_regret_terms(walk, thetas, phi, 0.5)
    >>> lhs = (1 - walk.gamma) * nn.gaps
    >>> rhs = -np.diff(nn.potential) / 0.5 + nn.err + np.einsum("sa,tsa->t", nn.weights, nn.remainder) / 0.5
    >>> bool(np.allclose(lhs, rhs, atol=1e-10)), float(nn.fit_loss.max()) < 1e-12
    (True, True)
    >>> approximation.network_regret_terms(walk, thetas[:1], phi, 0.5)
    Traceback (most recent call last):
    ...
    ValueError: thetas: needs at least two iterates, got 1
    """
    require_mdp(mdp)
    validate.discounted(mdp, "network_regret_terms")
    phi = validate.features(mdp, phi)
    eta = validate.positive_real(eta, "eta")
    thetas = validate.array(thetas, "thetas", ndim=2)
    if thetas.shape[0] < 2:
        raise ValueError(f"thetas: needs at least two iterates, got {thetas.shape[0]}")
    pi_tilde = policy_iteration(mdp)[0] if pi_tilde is None else validate.policy(mdp, pi_tilde, "pi_tilde")
    weights = visitation(mdp, pi_tilde, mdp.rho)[:, None] * pi_tilde
    f = np.array([neural.logits(theta, phi, activation) for theta in thetas])  # (T+1, S, A)
    top = f.max(axis=2, keepdims=True)
    log_pi = f - top - np.log(np.exp(f - top).sum(axis=2, keepdims=True))
    pis = np.exp(log_pi)
    V_rho = np.array([float(mdp.rho @ value(mdp, pi)) for pi in pis])
    w = np.diff(thetas, axis=0) / eta
    scores = np.array([neural.grad_log_pi(theta, phi, activation) for theta in thetas[:-1]])  # (T, S, A, n)
    first_order = np.einsum("tsan,tn->tsa", scores, w)
    residual = np.array([advantage(mdp, pi) for pi in pis[:-1]]) - first_order
    remainder = eta * first_order - np.diff(log_pi, axis=0)
    support = pi_tilde > 0
    potential = np.array([np.sum(weights[support] * (np.log(pi_tilde[support]) - lp[support])) for lp in log_pi])
    on_policy = np.array([visitation(mdp, pi, mdp.rho)[:, None] * pi for pi in pis[:-1]])
    beta_needed = 2 * remainder.max(axis=(1, 2)) / (eta**2 * np.sum(w**2, axis=1))
    V_tilde = float(mdp.rho @ value(mdp, pi_tilde))
    return NetworkTerms(eta, V_rho, V_tilde - V_rho[:-1], potential, np.einsum("sa,tsa->t", weights, residual),
                        remainder, np.einsum("tsa,tsa->t", on_policy, residual**2), beta_needed, weights)


def corridor_value(p) -> np.ndarray:
    r"""The value of the start state of Sutton and Barto's short corridor when every state plays right w.p. ``p``.

    .. math:: v_p(S_1) = \frac{2p - 4}{p(1 - p)}, \qquad 0 < p < 1,

    maximised at :math:`p^\star = 2 - \sqrt2` with :math:`v_{p^\star}(S_1) = -(6 + 4\sqrt2)`
    (Sutton and Barto 2018, Example 13.1 and Exercise 13.1). Derived from the three Bellman equations
    :math:`v_1 = -1 + p v_2 + (1-p)v_1`, :math:`v_2 = -1 + p v_1 + (1-p) v_3`, :math:`v_3 = -1 + (1-p) v_2`.

    Parameters
    ----------
    p : float or array_like
        Probabilities of *right*, strictly between 0 and 1.

    Returns
    -------
    ndarray
        Same shape as ``p``.

    Examples
    --------
    >>> import numpy as np
    >>> from pgbook.theory import approximation
    >>> approximation.corridor_value([0.5, 2 - np.sqrt(2), 0.9]).round(4)  # -12 for a fair coin; the best
    array([-12.    , -11.6569, -24.4444])
    """
    p = validate.array(p, "p")
    if ((p <= 0) | (p >= 1)).any():
        raise ValueError("p: every probability of right must lie strictly between 0 and 1")
    return (2.0 * p - 4.0) / (p * (1.0 - p))


def _policy_and_pairs(mdp, pi, nu, name):
    require_mdp(mdp)
    validate.discounted(mdp, "npg_regret_terms")
    pi = validate.policy(mdp, pi)
    nu = validate.array(nu, name, shape=(mdp.S, mdp.A))
    validate.distribution_rows(nu.ravel(), name)
    return pi, nu


def _regression(Q, phi, weights):
    phi = validate.array(phi, "phi", ndim=3)
    Q = validate.array(Q, "Q", shape=phi.shape[:2])
    weights = validate.array(weights, "weights", shape=phi.shape[:2])
    if (weights < 0).any():
        raise ValueError(f"weights: must be >= 0, got min {weights.min():.3g}")
    return Q, phi, weights


def _positive_total(weights) -> float:
    total = float(weights.sum())
    if total <= 0:
        raise ValueError("weights: must not all be 0")
    return total


def _run_parts(mdp, run, algorithm):
    require_mdp(mdp)
    names = (algorithm,) if isinstance(algorithm, str) else algorithm
    if getattr(run, "algorithm", None) not in names:
        raise ValueError(f"run: expected a run of {' or '.join(names)}, got {getattr(run, 'algorithm', run)!r}")
    steps = np.asarray(run.steps)
    if steps.size < 2 or not np.array_equal(steps, np.arange(steps.size)):
        raise ValueError("run: must be recorded at every iteration (record_every=1)")
    thetas = np.asarray(run.theta)
    if np.any(thetas[0] != 0):
        raise ValueError("run: the bounds assume theta0 = 0 (the uniform policy)")
    phi = np.asarray(run.params["phi"])
    if phi.shape[:2] != (mdp.S, mdp.A):
        raise ValueError(f"run: its features have shape {phi.shape}, not (S, A, dim) for this MDP")
    nu = run.params.get("nu", np.full((mdp.S, mdp.A), 1.0 / (mdp.S * mdp.A)))
    return phi, np.asarray(nu), np.asarray(run.params["rho"]), float(run.params["eta"]), thetas
