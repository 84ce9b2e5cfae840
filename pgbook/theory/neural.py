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

from .. import _validate as validate
from ..exact import advantage, visitation
from ..mdp import MDP, require_mdp
from ..policies import softmax

#: The hidden layer's nonlinearities: ``tanh`` (the default) or ``linear`` (for the special cases).
ACTIVATIONS = ("tanh", "linear")


def size(dim: int, hidden: int) -> int:
    r"""The number of parameters of a network over ``dim`` features with ``hidden`` units.

    Parameters
    ----------
    dim, hidden : int
        Feature dimension and number of hidden units, both >= 1.

    Returns
    -------
    int
        ``n = hidden * (dim + 2)``: ``W`` has ``hidden * dim`` entries, ``b`` and ``w`` ``hidden`` each.
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
    """
    require_mdp(mdp)
    validate.discounted(mdp, "neural.gradient")
    phi = validate.features(mdp, phi)
    pi_theta = policy(theta, phi, activation)
    d = visitation(mdp, pi_theta, rho)
    G = d[:, None] * pi_theta * advantage(mdp, pi_theta) / (1.0 - mdp.gamma)
    return backward(theta, phi, G, activation)
