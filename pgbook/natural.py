r"""The Fisher information of a policy and the natural policy gradient (NPG).

.. math:: F_\rho(\theta) = \mathbb E_{s \sim d^{\pi_\theta}_\rho}\, \mathbb E_{a \sim \pi_\theta(\cdot|s)}
          \big[\nabla_\theta \log \pi_\theta(a|s)\, \nabla_\theta \log \pi_\theta(a|s)^\top\big],
          \qquad \theta \leftarrow \theta + \eta\, F_\rho(\theta)^\dagger\, \nabla_\theta V^{\pi_\theta}(\rho)

(Kakade 2001; Agarwal, Kakade, Lee and Mahajan 2021, section 5.3, Eq. (14)). For tabular softmax
policies the NPG step has a closed form (a multiplicative-weights step, AKLM Lemma 5.1), which
:func:`npg_step` uses; the explicit Fisher matrix (:func:`fisher`) is for teaching and tests. For
log-linear policies the NPG direction is a least-squares fit of the advantages on the centred
features (compatible function approximation, :func:`compatible_fit`).
"""

from __future__ import annotations

import numpy as np

from . import _fit
from . import _validate as validate
from . import _inner, gradients
from .mdp import MDP, require_mdp


def fisher(mdp: MDP, theta, rho=None) -> np.ndarray:
    r"""The Fisher information matrix of the tabular softmax policy, ``theta`` flattened row-major.

    .. math:: F_\rho(\theta) = \mathbb E_{s \sim d^{\pi_\theta}_\rho,\, a \sim \pi_\theta}
              \big[\nabla \log \pi_\theta(a|s) \nabla \log \pi_\theta(a|s)^\top\big]
              = \operatorname{blockdiag}_s\, d^{\pi_\theta}_\rho(s)\big(\operatorname{diag}(\pi_s) - \pi_s \pi_s^\top\big)

    (Agarwal, Kakade, Lee and Mahajan 2021, Eq. (14) with the softmax score of Lemma C.1). Entry
    ``F[s*A + a, s*A + b]`` is the block of state s. At full support its rank is :math:`S(A-1)`
    (each block annihilates the constant vector).

    Parameters
    ----------
    mdp : MDP
    theta : array (S, A)
    rho : None, int or array (S,), optional

    Returns
    -------
    F : array (S*A, S*A)

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> mdp = pgbook.envs.three_state()  # 3 states in a row, gamma = 0.9, rho = (0.5, 0.3, 0.2)
    >>> theta = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.0]])
    >>> F, pi, d = pgbook.fisher(mdp, theta), pgbook.softmax(theta), pgbook.visitation(mdp, pgbook.softmax(theta))
    >>> print(np.round(F[2:4, 2:4], 4))  # state 1's block
    [[ 0.06 -0.06]
     [-0.06  0.06]]
    >>> bool(np.allclose(F[2:4, 2:4], d[1] * (np.diag(pi[1]) - np.outer(pi[1], pi[1])))), int(np.linalg.matrix_rank(F))
    (True, 3)
    """
    _, pi, rho = _inner.softmax_args(mdp, theta, rho)
    d = _inner.evaluate(mdp, pi, rho).d
    S, A = pi.shape
    blocks = d[:, None, None] * (pi[:, :, None] * np.eye(A) - pi[:, :, None] * pi[:, None, :])
    F = np.zeros((S, A, S, A))
    F[np.arange(S), :, np.arange(S), :] = blocks
    return F.reshape(S * A, S * A)


def npg_step(mdp: MDP, theta, eta: float) -> np.ndarray:
    r"""One exact natural policy gradient step for the tabular softmax policy (a multiplicative-weights step).

    .. math:: \theta' = \theta + \frac{\eta}{1-\gamma} A^{\pi_\theta}, \qquad
              \pi_{\theta'}(a|s) = \frac{\pi_\theta(a|s) \exp\big(\eta A^{\pi_\theta}(s, a)/(1-\gamma)\big)}{Z(s)}

    (Agarwal, Kakade, Lee and Mahajan 2021, Lemma 5.1; AJKS Lemma 12.6). This equals
    :math:`\theta + \eta F_\rho(\theta)^\dagger \nabla_\theta V^{\pi_\theta}(\rho)` up to a constant in
    each state, which leaves the policy unchanged; it does not depend on :math:`\rho` (AKLM state it
    for the states :math:`\rho` reaches). Needs :math:`\gamma < 1`.

    Parameters
    ----------
    mdp : MDP
        With ``gamma < 1``.
    theta : array (S, A)
    eta : float
        The step size, > 0. A step so large that the new logits leave the float64 range raises
        ``ValueError`` naming ``eta``.

    Returns
    -------
    theta_next : array (S, A)

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> mdp = pgbook.envs.three_state()  # 3 states in a row, gamma = 0.9, rho = (0.5, 0.3, 0.2)
    >>> theta = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.0]])
    >>> theta_next = pgbook.npg_step(mdp, theta, eta=0.5)
    >>> print(np.round(theta_next - theta, 4))  # eta / (1 - gamma) A = 5 A
    [[-0.0789  0.2143]
     [-1.6805  0.6182]
     [-2.5046  4.1294]]
    >>> F, g = pgbook.fisher(mdp, theta), pgbook.softmax_gradient(mdp, theta)
    >>> step = 0.5 * np.linalg.pinv(F) @ g.ravel()  # eta F^+ grad V: the same policy
    >>> bool(np.allclose(pgbook.softmax(theta_next), pgbook.softmax(theta + step.reshape(3, 2))))
    True
    """
    require_mdp(mdp)
    theta = validate.theta(mdp, theta)
    eta = validate.positive_real(eta, "eta")
    validate.discounted(mdp, "npg_step")
    _, pi = _inner.log_softmax(theta)
    with np.errstate(over="ignore", invalid="ignore"):
        theta_next = theta + eta / (1.0 - mdp.gamma) * _inner.evaluate(mdp, pi, mdp.rho).adv
    try:
        return validate.theta(mdp, theta_next, "theta_next")
    except ValueError:
        raise ValueError(f"eta: the step eta = {eta:g} is too large: the next logits leave the float64 range") from None


def loglinear_fisher(mdp: MDP, theta, phi, rho=None) -> np.ndarray:
    r"""The Fisher information matrix of a log-linear policy.

    .. math:: F_\rho(\theta) = \mathbb E_{s \sim d^{\pi_\theta}_\rho,\, a \sim \pi_\theta}
              \big[\bar\phi_{s,a} \bar\phi_{s,a}^\top\big],
              \qquad \bar\phi_{s,a} = \phi_{s,a} - \mathbb E_{a' \sim \pi_\theta} \phi_{s,a'}

    (Agarwal, Kakade, Lee and Mahajan 2021, Eq. (14) and section 6.1.1).

    Parameters
    ----------
    mdp : MDP
    theta : array (dim,)
    phi : array (S, A, dim)
    rho : None, int or array (S,), optional

    Returns
    -------
    F : array (dim, dim)

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> mdp = pgbook.envs.three_state()  # 3 states in a row, gamma = 0.9, rho = (0.5, 0.3, 0.2)
    >>> phi = np.array([[[0.0, 0.0], [1.0, s]] for s in range(3)])  # phi(s, right) = (1, s), phi(s, left) = 0
    >>> theta = np.array([0.5, -0.5])
    >>> F = pgbook.loglinear_fisher(mdp, theta, phi)
    >>> print(np.round(F, 4))
    [[0.2406 0.2022]
     [0.2022 0.3116]]
    >>> from pgbook import features
    >>> F1 = pgbook.loglinear_fisher(mdp, [1.0, 0.0, 0.0, 1.0, 0.5, 0.0], features.one_hot(mdp))
    >>> bool(np.allclose(F1, pgbook.fisher(mdp, [[1.0, 0.0], [0.0, 1.0], [0.5, 0.0]])))  # one-hot: the tabular F
    True
    """
    pi, phi_bar, ev = _inner.loglinear_evaluation(mdp, theta, phi, rho)
    return np.einsum("sa,sai,saj->ij", ev.d[:, None] * pi, phi_bar, phi_bar)


def compatible_fit(mdp: MDP, theta, phi, rho=None, target: str = "A") -> np.ndarray:
    r"""Compatible function approximation: the minimum-norm least-squares fit of the advantages on the scores.

    .. math:: w^\star = \arg\min_w \mathbb E_{s \sim d^{\pi_\theta}_\rho,\, a \sim \pi_\theta}
              \big[(w^\top \bar\phi_{s,a} - A^{\pi_\theta}(s, a))^2\big]
              \quad(\text{minimum } \|w\|_2 \text{ among minimisers}).

    Its normal equations are :math:`F_\rho(\theta) w^\star = \mathbb E[\bar\phi A] =
    (1-\gamma)\nabla_\theta V^{\pi_\theta}(\rho)`, so the NPG direction of a log-linear policy is
    :math:`F^\dagger \nabla V = w^\star/(1-\gamma)` (Agarwal, Kakade, Lee and Mahajan 2021, Eq. (17);
    AJKS Lemmas 13.1-13.2; Sutton, McAllester, Singh and Mansour 2000, Theorem 2; Kakade 2001,
    Theorem 1). For an episodic MDP read :math:`1/(1-\gamma)` as :math:`\sum_s \nu(s)`, the expected
    episode length. ``target="Q"`` regresses on :math:`Q^{\pi_\theta}` instead and gives the same
    :math:`w^\star`, since :math:`\mathbb E_{a \sim \pi} \bar\phi_{s,a} = 0`.

    Parameters
    ----------
    mdp : MDP
    theta : array (dim,)
    phi : array (S, A, dim)
    rho : None, int or array (S,), optional
    target : {"A", "Q"}
        The regression target.

    Returns
    -------
    w : array (dim,)

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> mdp = pgbook.envs.three_state()  # 3 states in a row, gamma = 0.9, rho = (0.5, 0.3, 0.2)
    >>> phi = np.array([[[0.0, 0.0], [1.0, s]] for s in range(3)])  # phi(s, right) = (1, s), phi(s, left) = 0
    >>> theta = np.array([0.5, -0.5])
    >>> w = pgbook.compatible_fit(mdp, theta, phi)
    >>> F, g = pgbook.loglinear_fisher(mdp, theta, phi), pgbook.loglinear_gradient(mdp, theta, phi)
    >>> print(np.round(w, 4), bool(np.allclose(F @ w, (1 - mdp.gamma) * g)))  # F w = (1 - gamma) grad V
    [-0.1001  0.6694] True
    >>> bool(np.allclose(pgbook.compatible_fit(mdp, theta, phi, target="Q"), w))  # regressing on Q: the same w
    True
    """
    if target not in ("A", "Q"):
        raise ValueError(f"target: expected 'A' or 'Q', got {target!r}")
    pi, phi_bar, ev = _inner.loglinear_evaluation(mdp, theta, phi, rho)
    y = ev.adv if target == "A" else ev.Q
    root = np.sqrt(ev.d[:, None] * pi)
    X = (root[:, :, None] * phi_bar).reshape(-1, phi_bar.shape[2])
    return _fit.min_norm_fit(np.ascontiguousarray(X), (root * y).ravel())[0]


def reparameterised_step(mdp: MDP, theta, M, eta: float, natural: bool = True, rho=None) -> np.ndarray:
    r"""One gradient step taken in the coordinates :math:`\varphi` of :math:`\theta = M\varphi`, returned as :math:`\theta`.

    With :math:`g = \nabla_\theta V^{\pi_\theta}(\rho)` and :math:`F = F_\rho(\theta)`, the chain rule
    gives the gradient :math:`M^\top g` and the Fisher matrix :math:`M^\top F M` in :math:`\varphi`
    coordinates, so

    .. math:: \theta' = M\big(\varphi + \eta\,(M^\top F M)^\dagger M^\top g\big) \quad\text{(natural)},
              \qquad \theta' = M\big(\varphi + \eta\, M^\top g\big) = \theta + \eta\, M M^\top g \quad\text{(plain)}.

    The natural step is invariant: :math:`F M \Delta\varphi = g` for any invertible :math:`M`, so
    :math:`M\Delta\varphi` differs from :math:`F^\dagger g` only by a vector of :math:`F`'s null space
    (a constant in each state), and the next policy does not depend on :math:`M`. The plain step
    :math:`\eta M M^\top g` does (Amari 1998; Kakade 2001).

    Parameters
    ----------
    mdp : MDP
    theta : array (S, A)
        The current logits; :math:`\varphi = M^{-1}\theta` (flattened row-major).
    M : array (S*A, S*A)
        An invertible matrix, condition number below 1e8.
    eta : float
        The step size, > 0.
    natural : bool, optional
        The natural step (default) or the plain gradient step, both in :math:`\varphi` coordinates.
    rho : None, int or array (S,), optional

    Returns
    -------
    theta_next : array (S, A)

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> mdp = pgbook.envs.three_state()  # 3 states in a row, gamma = 0.9, rho = (0.5, 0.3, 0.2)
    >>> theta = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.0]])
    >>> M = np.eye(6) + 0.3 * np.random.default_rng(0).standard_normal((6, 6))
    >>> pi_I = pgbook.softmax(pgbook.reparameterised_step(mdp, theta, np.eye(6), 0.5))
    >>> pi_M = pgbook.softmax(pgbook.reparameterised_step(mdp, theta, M, 0.5))
    >>> bool(np.allclose(pi_I, pgbook.softmax(pgbook.npg_step(mdp, theta, 0.5)))), bool(np.allclose(pi_M, pi_I))
    (True, True)
    >>> plain_I = pgbook.softmax(pgbook.reparameterised_step(mdp, theta, np.eye(6), 0.5, natural=False))
    >>> plain_M = pgbook.softmax(pgbook.reparameterised_step(mdp, theta, M, 0.5, natural=False))
    >>> print(round(float(np.abs(plain_M - plain_I).max()), 4))  # the plain step depends on M
    0.0606
    """
    require_mdp(mdp)
    theta = validate.theta(mdp, theta)
    rho = validate.start(mdp, rho)
    n = theta.size
    M = validate.array(M, "M", shape=(n, n))
    condition = np.linalg.cond(M)
    if not condition < 1e8:
        raise ValueError(f"M: expected an invertible, well-conditioned matrix, got condition number {condition:.1e}")
    eta = validate.positive_real(eta, "eta")
    if not isinstance(natural, (bool, np.bool_)):
        raise TypeError(f"natural: expected True or False, got {type(natural).__name__}")
    g_phi = M.T @ gradients.softmax_gradient(mdp, theta, rho).ravel()
    if natural:
        F_phi = M.T @ fisher(mdp, theta, rho) @ M
        # F's null directions come out of the SVD at round-off level, ~1e-18 relative, not 0.
        step_phi = np.linalg.pinv(F_phi, rcond=1e-10, hermitian=True) @ g_phi
    else:
        step_phi = g_phi
    return theta + eta * (M @ step_phi).reshape(theta.shape)
