r"""A tiny neural policy: a one-hidden-layer network scores each state-action pair.

The tutorial's three policy classes all have the form :math:`\pi_\theta(a|s) \propto \exp(f_\theta(s, a))`
(AKLM section 6; AJKS Examples 11.1-11.3). Here :math:`f_\theta` is a multilayer perceptron over
state-action features :math:`\phi(s, a) \in \mathbb R^{\mathrm{dim}}`:

.. math::

    z(s, a) = W \phi(s, a) + b, \qquad h(s, a) = \tanh z(s, a), \qquad f_\theta(s, a) = w^\top h(s, a),

with ``W: (hidden, dim)``, ``b: (hidden,)`` and ``w: (hidden,)`` (an output bias would cancel in the
softmax). The parameters travel as one flat vector ``theta: (n,)``, ``n = hidden * (dim + 2)``, laid
out as ``W`` (row-major), then ``b``, then ``w`` (:func:`unpack`), so that gradient ascent reads
``theta + eta * grad`` as in the slides.

Gradients are computed by backpropagation, the chain rule run from the output back to the weights:

.. math::

    \frac{\partial f}{\partial w} = h, \qquad
    \delta = w \odot (1 - h^2) = \frac{\partial f}{\partial z}, \qquad
    \frac{\partial f}{\partial b} = \delta, \qquad
    \frac{\partial f}{\partial W} = \delta\, \phi^\top.

With ``activation="linear"`` (:math:`h = z`) the network collapses to the log-linear policy with
:math:`\theta_{\text{lin}} = W^\top w`; with one-hot features it is then the softmax policy. The tests use
both special cases.
"""

from __future__ import annotations

import numpy as np

from .. import _fit
from .. import _validate as validate
from ..exact import advantage, visitation
from ..mdp import MDP, require_mdp
from ..policies import softmax

#: The hidden layer's nonlinearities: ``tanh`` (the default) or ``linear`` (for the special cases).
ACTIVATIONS = ("tanh", "linear")


def size(dim: int, hidden: int) -> int:
    r"""The number of parameters of a network over ``dim`` features with ``hidden`` units.

    (AJKS Example 11.3: a network's parameters as one vector.)

    Parameters
    ----------
    dim, hidden : int
        Feature dimension and number of hidden units, both >= 1.

    Returns
    -------
    int
        ``n = hidden * (dim + 2)``: ``W`` has ``hidden * dim`` entries, ``b`` and ``w`` ``hidden`` each.

    Examples
    --------
    >>> from pgbook.theory import neural
    >>> neural.size(dim=2, hidden=3), neural.size(dim=4, hidden=8)
    (12, 48)
    """
    return validate.positive_int(hidden, "hidden") * (validate.positive_int(dim, "dim") + 2)


def init(dim: int, hidden: int, seed: int, scale: float = 1.0) -> np.ndarray:
    r"""Random initial parameters, seeded.

    .. math:: W_{jk} \sim \mathcal N(0, \mathrm{scale}^2/\mathrm{dim}), \quad b = 0, \quad
              w_j \sim \mathcal N(0, \mathrm{scale}^2/\mathrm{hidden})

    (fan-in scaling, LeCun et al. 1998, so that :math:`f_\theta` is of order ``scale`` whatever
    the sizes).

    Parameters
    ----------
    dim, hidden : int
        Feature dimension and number of hidden units, both >= 1.
    seed : int
        Seed of numpy's ``default_rng``; the same seed gives the same parameters.
    scale : float, default 1.0
        Standard deviation scale, >= 0; ``scale = 0`` gives the uniform policy.

    Returns
    -------
    theta : ndarray, shape (n,)
        ``n = hidden * (dim + 2)``, laid out as in :func:`unpack`.

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> from pgbook.theory import neural
    >>> phi = np.array([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 1.0], [0.5, -1.0]]])  # (S, A, dim) = (2, 2, 2)
    >>> theta = neural.init(dim=2, hidden=3, seed=0)
    >>> theta.shape, theta.round(3)
    ((12,), array([ 0.089, -0.093,  0.453,  0.074, -0.379,  0.256,  0.   ,  0.   ,
            0.   ,  0.753,  0.547, -0.406]))
    >>> bool(np.array_equal(neural.init(2, 3, seed=0, scale=2.0), 2 * theta))
    True
    """
    n = size(dim, hidden)
    rng = np.random.default_rng(validate.seed(seed))
    scale = validate.positive_real(scale, "scale", allow_zero=True)
    theta = np.zeros(n)
    theta[: hidden * dim] = scale / np.sqrt(dim) * rng.standard_normal(hidden * dim)
    theta[hidden * (dim + 1):] = scale / np.sqrt(hidden) * rng.standard_normal(hidden)
    return theta


def unpack(theta, dim: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Split the flat parameters into the network's weights.

    (AJKS Example 11.3; the layout of this module's docstring.)

    Parameters
    ----------
    theta : array_like, shape (n,)
        ``n`` a positive multiple of ``dim + 2``; then ``hidden = n // (dim + 2)``.
    dim : int
        Feature dimension, >= 1.

    Returns
    -------
    W : ndarray, shape (hidden, dim)
        ``theta[:hidden * dim]``, row-major.
    b : ndarray, shape (hidden,)
        The next ``hidden`` entries.
    w : ndarray, shape (hidden,)
        The last ``hidden`` entries.

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> from pgbook.theory import neural
    >>> phi = np.array([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 1.0], [0.5, -1.0]]])  # (S, A, dim) = (2, 2, 2)
    >>> theta = neural.init(dim=2, hidden=3, seed=0)
    >>> W, b, w = neural.unpack(theta, dim=2)
    >>> W.shape, b.shape, w.shape
    ((3, 2), (3,), (3,))
    """
    dim = validate.positive_int(dim, "dim")
    theta = validate.array(theta, "theta", ndim=1)
    if theta.size == 0 or theta.size % (dim + 2):
        raise ValueError(
            f"theta: expected hidden * (dim + 2) = hidden * {dim + 2} entries for dim = {dim}, "
            f"got {theta.size}"
        )
    hidden = theta.size // (dim + 2)
    return (theta[: hidden * dim].reshape(hidden, dim), theta[hidden * dim: hidden * (dim + 1)],
            theta[hidden * (dim + 1):])


def _args(theta, phi, activation: str):
    phi = validate.array(phi, "phi", ndim=3)
    if phi.shape[0] == 0 or phi.shape[1] == 0 or phi.shape[2] == 0:
        raise ValueError(f"phi: expected shape (S, A, dim) with S, A, dim >= 1, got {phi.shape}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation: expected one of {ACTIVATIONS}, got {activation!r}")
    return unpack(theta, phi.shape[2]), phi


def _forward(W, b, w, phi, activation):
    z = phi @ W.T + b
    h = np.tanh(z) if activation == "tanh" else z
    return h, h @ w


def _slope(h, activation):
    r""":math:`\partial h / \partial z`: :math:`1 - \tanh^2 z` or 1."""
    return 1.0 - h * h if activation == "tanh" else np.ones_like(h)


def logits(theta, phi, activation: str = "tanh") -> np.ndarray:
    r"""The network's scores (the policy's logits).

    (AJKS Example 11.3.)

    .. math:: f_\theta(s, a) = w^\top \tanh\big(W \phi(s, a) + b\big)

    Parameters
    ----------
    theta : array_like, shape (n,)
        Flat parameters (:func:`unpack`).
    phi : array_like, shape (S, A, dim)
        State-action features :math:`\phi(s, a)`.
    activation : {"tanh", "linear"}
        The hidden nonlinearity; ``"linear"`` gives the log-linear special case.

    Returns
    -------
    f : ndarray, shape (S, A)

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> from pgbook.theory import neural
    >>> phi = np.array([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 1.0], [0.5, -1.0]]])  # (S, A, dim) = (2, 2, 2)
    >>> theta = neural.init(dim=2, hidden=3, seed=0)
    >>> neural.logits(theta, phi).round(4)
    array([[ 0.4457, -0.1313],
           [ 0.3105,  0.3555]])
    >>> neural.logits(theta, phi, activation="linear").round(4)
    array([[ 0.4684, -0.1337],
           [ 0.3348,  0.3679]])
    """
    (W, b, w), phi = _args(theta, phi, activation)
    return _forward(W, b, w, phi, activation)[1]


def policy(theta, phi, activation: str = "tanh") -> np.ndarray:
    r"""The neural softmax policy (AJKS Example 11.3).

    .. math:: \pi_\theta(a|s) = \frac{e^{f_\theta(s, a)}}{\sum_{a'} e^{f_\theta(s, a')}}

    Parameters
    ----------
    theta : array_like, shape (n,)
    phi : array_like, shape (S, A, dim)
    activation : {"tanh", "linear"}

    Returns
    -------
    pi : ndarray, shape (S, A)
        Rows are probability vectors with every entry > 0 (up to underflow).

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> from pgbook.theory import neural
    >>> phi = np.array([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 1.0], [0.5, -1.0]]])  # (S, A, dim) = (2, 2, 2)
    >>> theta = neural.init(dim=2, hidden=3, seed=0)
    >>> neural.policy(theta, phi).round(4)
    array([[0.6404, 0.3596],
           [0.4888, 0.5112]])
    >>> neural.policy(theta, phi, activation="linear").round(4)
    array([[0.6461, 0.3539],
           [0.4917, 0.5083]])
    """
    return softmax(logits(theta, phi, activation))


def backward(theta, phi, G, activation: str = "tanh") -> np.ndarray:
    r"""Backpropagation: the gradient of a weighted sum of the network's outputs.

    .. math:: L(\theta) &= \sum_{s,a} G(s, a)\, f_\theta(s, a), \qquad
              \nabla_w L = \sum_{s,a} G(s,a)\, h(s,a), \\
              \nabla_b L &= \sum_{s,a} G(s,a)\, \delta(s,a), \qquad
              \nabla_W L = \sum_{s,a} G(s,a)\, \delta(s,a)\, \phi(s,a)^\top,

    with :math:`\delta = w \odot (1 - h^2)`: one forward and one backward pass, whatever the number
    of parameters (Rumelhart, Hinton and Williams 1986).

    Parameters
    ----------
    theta : array_like, shape (n,)
    phi : array_like, shape (S, A, dim)
    G : array_like, shape (S, A)
        The output gradient :math:`\partial L / \partial f_\theta(s, a)`.
    activation : {"tanh", "linear"}

    Returns
    -------
    grad : ndarray, shape (n,)
        :math:`\nabla_\theta L`, laid out like ``theta``.

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> from pgbook.theory import neural
    >>> phi = np.array([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 1.0], [0.5, -1.0]]])  # (S, A, dim) = (2, 2, 2)
    >>> theta = neural.init(dim=2, hidden=3, seed=0)
    >>> G = np.array([[1.0, -1.0], [0.5, 0.0]])  # weights on the outputs f(s, a)
    >>> neural.backward(theta, phi, G).round(4)
    array([ 1.1234, -0.3699,  0.658 , -0.3342, -0.5533,  0.1808,  0.377 ,
            0.1142, -0.1724,  0.1796,  0.5917, -0.6731])
    """
    (W, b, w), phi = _args(theta, phi, activation)
    G = validate.array(G, "G", shape=phi.shape[:2])
    h, _ = _forward(W, b, w, phi, activation)
    delta = (G[..., None] * w) * _slope(h, activation)  # dL/dz: (S, A, hidden)
    grad_W = np.einsum("saj,sak->jk", delta, phi)
    return np.concatenate([grad_W.ravel(), delta.sum(axis=(0, 1)), np.einsum("sa,saj->j", G, h)])


def grad_log_pi(theta, phi, activation: str = "tanh") -> np.ndarray:
    r"""The score of every state-action pair, by backpropagation.

    .. math:: \nabla_\theta \log \pi_\theta(a|s) = \nabla_\theta f_\theta(s, a)
              - \sum_{a'} \pi_\theta(a'|s)\, \nabla_\theta f_\theta(s, a'),

    where each :math:`\nabla_\theta f_\theta(s, a)` is the backward pass of the module docstring run
    for that single output (AJKS Example 11.3). With one-hot features and ``activation="linear"``
    this is the softmax score :math:`\mathbb 1[s = s'](\mathbb 1[a = a'] - \pi_\theta(a'|s))`
    (AKLM Lemma C.1) pulled back through :math:`\theta_{\text{lin}} = W^\top w`.

    Parameters
    ----------
    theta : array_like, shape (n,)
    phi : array_like, shape (S, A, dim)
    activation : {"tanh", "linear"}

    Returns
    -------
    scores : ndarray, shape (S, A, n)
        ``scores[s, a]`` is :math:`\nabla_\theta \log \pi_\theta(a|s)`, laid out like ``theta``;
        :math:`\sum_a \pi_\theta(a|s)\, \mathrm{scores}[s, a] = 0`.

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> from pgbook.theory import neural
    >>> phi = np.array([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 1.0], [0.5, -1.0]]])  # (S, A, dim) = (2, 2, 2)
    >>> theta = neural.init(dim=2, hidden=3, seed=0)
    >>> neural.grad_log_pi(theta, phi)[1, 0].round(4)  # the score of (s, a) = (1, 0)
    array([ 0.1961,  0.7626,  0.0777,  0.4875, -0.1189, -0.3761,  0.0072,
           -0.0589, -0.0332, -0.0723,  0.1697,  0.151 ])
    """
    (W, b, w), phi = _args(theta, phi, activation)
    h, f = _forward(W, b, w, phi, activation)
    delta = w * _slope(h, activation)  # df/dz for each (s, a): (S, A, hidden)
    S, A, _ = phi.shape
    grad_f = np.concatenate(
        [(delta[..., :, None] * phi[..., None, :]).reshape(S, A, -1), delta, h], axis=-1
    )
    pi_theta = softmax(f)
    return grad_f - np.einsum("sa,san->sn", pi_theta, grad_f)[:, None, :]


def gradient(mdp: MDP, theta, phi, rho=None, activation: str = "tanh") -> np.ndarray:
    r"""The exact policy gradient :math:`\nabla_\theta V^{\pi_\theta}(\rho)` of the neural policy.

    .. math:: \nabla_\theta V^{\pi_\theta}(\rho)
              &= \frac{1}{1-\gamma} \mathbb E_{s \sim d^{\pi_\theta}_\rho} \mathbb E_{a \sim \pi_\theta(\cdot|s)}
                \big[A^{\pi_\theta}(s, a)\, \nabla_\theta \log \pi_\theta(a|s)\big] \\
              &= \nabla_\theta \sum_{s,a} G(s, a)\, f_\theta(s, a)\Big|_{G\ \text{fixed}},
              \quad G(s, a) = \frac{d^{\pi_\theta}_\rho(s)\, \pi_\theta(a|s)\, A^{\pi_\theta}(s, a)}{1-\gamma}

    (policy gradient theorem: Sutton et al. 1999, Thm 1; AKLM Eq. (6); AJKS Thm 11.4). The
    centring term of the score drops out because :math:`\sum_a \pi_\theta(a|s) A^{\pi_\theta}(s, a) = 0`,
    so the whole gradient is one :func:`backward` pass with output gradient ``G``.

    Parameters
    ----------
    mdp : MDP
        With ``gamma < 1``.
    theta : array_like, shape (n,)
    phi : array_like, shape (S, A, dim)
    rho : None, int or array_like of shape (S,)
        The start distribution, as in :func:`pgbook.visitation` (default: the MDP's).
    activation : {"tanh", "linear"}

    Returns
    -------
    grad : ndarray, shape (n,)
        :math:`\nabla_\theta V^{\pi_\theta}(\rho)`, laid out like ``theta``.

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> from pgbook.theory import neural
    >>> phi = np.array([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 1.0], [0.5, -1.0]]])  # (S, A, dim) = (2, 2, 2)
    >>> theta = neural.init(dim=2, hidden=3, seed=0)
    >>> mdp = pgbook.envs.two_state(gamma=0.9)
    >>> neural.gradient(mdp, theta, phi).round(4)
    array([ 0.0799,  0.8441,  0.0094,  0.5493, -0.063 , -0.4181,  0.0069,
           -0.0428, -0.036 , -0.0963,  0.1125,  0.2349])
    >>> neural.gradient(mdp, theta, phi, rho=1).round(4)
    array([ 0.1309,  0.9975,  0.0315,  0.6466, -0.0927, -0.4936,  0.0084,
           -0.0565, -0.0427, -0.1095,  0.153 ,  0.2596])
    """
    require_mdp(mdp)
    validate.discounted(mdp, "neural.gradient")
    phi = validate.features(mdp, phi)
    pi_theta = policy(theta, phi, activation)
    d = visitation(mdp, pi_theta, rho)
    G = d[:, None] * pi_theta * advantage(mdp, pi_theta) / (1.0 - mdp.gamma)
    return backward(theta, phi, G, activation)


def compatible_fit(mdp: MDP, theta, phi, rho=None, activation: str = "tanh") -> np.ndarray:
    r"""Compatible function approximation for the network: the advantages fitted on the scores.

    .. math:: w^\star = \arg\min_w \mathbb E_{s \sim d^{\pi_\theta}_\rho,\, a \sim \pi_\theta}
              \big[(A^{\pi_\theta}(s, a) - w^\top\nabla_\theta\log\pi_\theta(a|s))^2\big]
              \quad(\text{minimum } \|w\|_2 \text{ among minimisers}),

    whose normal equations are :math:`F_\rho(\theta)\,w^\star = (1-\gamma)\nabla_\theta V^{\pi_\theta}(\rho)`,
    so :math:`w^\star = (1-\gamma)F_\rho(\theta)^\dagger\nabla_\theta V^{\pi_\theta}(\rho)` is the
    natural gradient step of any smooth class (Kakade 2001, Thm 1; AKLM section 6.3, Eq. (20)). The
    scores are :func:`grad_log_pi`; for log-linear policies this is :func:`pgbook.compatible_fit`.

    Parameters
    ----------
    mdp : MDP
        With ``gamma < 1``.
    theta : array_like, shape (n,)
    phi : array_like, shape (S, A, dim)
    rho : None, int or array_like of shape (S,)
        The start distribution, as in :func:`pgbook.visitation` (default: the MDP's).
    activation : {"tanh", "linear"}

    Returns
    -------
    w : ndarray, shape (n,)

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> from pgbook.theory import neural
    >>> phi = np.array([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 1.0], [0.5, -1.0]]])  # (S, A, dim) = (2, 2, 2)
    >>> theta = neural.init(dim=2, hidden=3, seed=0)
    >>> mdp = pgbook.envs.two_state(gamma=0.9)
    >>> w = neural.compatible_fit(mdp, theta, phi)
    >>> scores = neural.grad_log_pi(theta, phi)  # (S, A, n)
    >>> weights = pgbook.visitation(mdp, neural.policy(theta, phi))[:, None] * neural.policy(theta, phi)
    >>> F = np.einsum("sa,sai,saj->ij", weights, scores, scores)  # the Fisher information
    >>> bool(np.allclose(F @ w, (1 - mdp.gamma) * neural.gradient(mdp, theta, phi)))  # F w = (1 - gamma) grad V
    True
    """
    require_mdp(mdp)
    validate.discounted(mdp, "neural.compatible_fit")
    phi = validate.features(mdp, phi)
    pi_theta = policy(theta, phi, activation)
    scores = grad_log_pi(theta, phi, activation)
    root = np.sqrt(visitation(mdp, pi_theta, rho)[:, None] * pi_theta)
    X = (root[:, :, None] * scores).reshape(-1, scores.shape[2])
    return _fit.min_norm_fit(np.ascontiguousarray(X), (root * advantage(mdp, pi_theta)).ravel())[0]


def npg(mdp: MDP, theta0, phi, eta: float, T: int, activation: str = "tanh") -> np.ndarray:
    r"""Natural policy gradient for the network, each step the compatible fit.

    .. math:: \theta^{(t+1)} = \theta^{(t)} + \eta\,w^{(t)}, \qquad
              w^{(t)} = \text{the compatible fit at } \theta^{(t)} \ (:func:`compatible_fit`),

    that is :math:`\theta^{(t+1)} = \theta^{(t)} + \eta(1-\gamma)F^\dagger\nabla V`, the update whose
    regret AKLM Lemma 6.2 bounds for any :math:`\beta`-smooth class (AKLM section 6.3; AJKS Lemma 13.3).

    Parameters
    ----------
    mdp : MDP
        With ``gamma < 1``; the start distribution is the MDP's.
    theta0 : array_like, shape (n,)
    phi : array_like, shape (S, A, dim)
    eta : float
        Step size, > 0.
    T : int
        Iterations, >= 1.
    activation : {"tanh", "linear"}

    Returns
    -------
    thetas : ndarray, shape (T+1, n)
        Every iterate, ``thetas[0] = theta0``; the steps are ``w = np.diff(thetas, axis=0) / eta``.

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> from pgbook.theory import neural
    >>> walk = pgbook.envs.walk()
    >>> phi = pgbook.features.walk_features(walk, "position")  # (7, 2, 4)
    >>> thetas = neural.npg(walk, neural.init(dim=4, hidden=4, seed=0), phi, 0.5, 20)
    >>> [round(float(pgbook.value(walk, neural.policy(th, phi))[0]), 4) for th in thetas[[0, 10, 20]]]
    [0.4262, 0.6385, 0.7071]
    """
    require_mdp(mdp)
    phi = validate.features(mdp, phi)
    eta = validate.positive_real(eta, "eta")
    T = validate.positive_int(T, "T")
    theta = validate.array(theta0, "theta0", ndim=1)
    unpack(theta, phi.shape[2])
    thetas = np.empty((T + 1, theta.size))
    thetas[0] = theta
    for t in range(T):
        thetas[t + 1] = thetas[t] + eta * compatible_fit(mdp, thetas[t], phi, activation=activation)
    return thetas


def smoothness(theta, phi, activation: str = "tanh", h: float = 1e-5) -> float:
    r"""How curved :math:`\log\pi_\theta` is at ``theta``: the largest Hessian norm over the pairs.

    .. math:: \beta(\theta) = \max_{s,a}\,\big\|\nabla^2_\theta\log\pi_\theta(a|s)\big\|_2,

    the spectral norm of each Hessian, computed by central differences of :func:`grad_log_pi` with
    step ``h`` (symmetrised). AKLM Lemma 6.2 assumes :math:`\log\pi_\theta` is :math:`\beta`-smooth,
    that is :math:`\beta(\theta) \le \beta` for every :math:`\theta` the run meets (AKLM section 6.3,
    Assumption 6.4); a log-linear class has :math:`\beta(\theta) \le B^2` everywhere (Remark 6.7), a
    network has no such global bound.

    Parameters
    ----------
    theta : array_like, shape (n,)
    phi : array_like, shape (S, A, dim)
    activation : {"tanh", "linear"}
    h : float, default 1e-5
        Finite-difference step, > 0.

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> from pgbook.theory import neural
    >>> phi = np.array([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 1.0], [0.5, -1.0]]])  # (S, A, dim) = (2, 2, 2)
    >>> theta = neural.init(dim=2, hidden=3, seed=0)
    >>> round(neural.smoothness(theta, phi), 4), round(neural.smoothness(3 * theta, phi), 4)  # larger weights, more curved
    (1.6855, 6.1841)
    """
    (W, b, w), phi = _args(theta, phi, activation)
    h = validate.positive_real(h, "h")
    theta = np.concatenate([W.ravel(), b, w])
    n = theta.size
    H = np.empty(phi.shape[:2] + (n, n))
    for i in range(n):
        step = np.zeros(n)
        step[i] = h
        H[..., i, :] = (grad_log_pi(theta + step, phi, activation) - grad_log_pi(theta - step, phi, activation)) / (2 * h)
    H = (H + np.swapaxes(H, -1, -2)) / 2
    return float(np.abs(np.linalg.eigvalsh(H)).max())
