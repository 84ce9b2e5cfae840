r"""Policy classes: softmax (tabular), log-linear over features, and the direct parameterisation.

- Softmax: :math:`\pi_\theta(a|s) = e^{\theta_{s,a}} / \sum_{a'} e^{\theta_{s,a'}}`, ``theta: (S, A)``.
- Log-linear: :math:`\pi_\theta(a|s) \propto \exp(\theta^\top \phi_{s,a})`, ``phi: (S, A, d)``, ``theta: (d,)``.
- Direct: :math:`\pi_\theta(a|s) = \theta_{s,a}` with each row in the simplex :math:`\Delta(\mathcal A)`.
"""

from __future__ import annotations

import numpy as np

from . import _validate as check
from .mdp import MDP


def softmax(theta) -> np.ndarray:
    r"""The softmax policy :math:`\pi_\theta(a|s) = e^{\theta_{s,a}} / \sum_{a'} e^{\theta_{s,a'}}`.

    theta: (..., A), any leading shape (``(S, A)`` for a tabular policy, ``(A,)`` for a bandit).
    Returns pi with theta's shape. Stable for logits in the thousands: the row maximum is
    subtracted before exponentiating, so no entry overflows.
    """
    theta = check.array(theta, "theta")
    if theta.ndim == 0 or theta.shape[-1] == 0:
        raise ValueError(f"theta: needs a non-empty last (action) axis, got shape {theta.shape}")
    z = np.exp(theta - theta.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def log_softmax(theta) -> np.ndarray:
    r""":math:`\log \pi_\theta(a|s) = \theta_{s,a} - \log \sum_{a'} e^{\theta_{s,a'}}`, computed stably.

    theta: (..., A). Returns log pi with theta's shape (finite even where pi underflows to 0).
    """
    theta = check.array(theta, "theta")
    if theta.ndim == 0 or theta.shape[-1] == 0:
        raise ValueError(f"theta: needs a non-empty last (action) axis, got shape {theta.shape}")
    m = theta.max(axis=-1, keepdims=True)
    return theta - m - np.log(np.exp(theta - m).sum(axis=-1, keepdims=True))


def uniform(mdp: MDP) -> np.ndarray:
    r"""The uniformly random policy :math:`\pi(a|s) = 1/A`. Returns pi: (S, A)."""
    check.mdp(mdp)
    return np.full((mdp.S, mdp.A), 1.0 / mdp.A)


def greedy(Q) -> np.ndarray:
    r"""The deterministic greedy policy :math:`\pi(s) = \arg\max_a Q(s, a)` as a one-hot (S, A) array.

    Q: (S, A). Ties go to the lowest action index.
    """
    Q = check.array(Q, "Q", ndim=2)
    pi = np.zeros_like(Q)
    pi[np.arange(Q.shape[0]), Q.argmax(axis=1)] = 1.0
    return pi


def loglinear(theta, phi) -> np.ndarray:
    r"""The log-linear policy :math:`\pi_\theta(a|s) = \exp(\theta^\top\phi_{s,a}) / \sum_{a'} \exp(\theta^\top\phi_{s,a'})`.

    theta: (d,); phi: (S, A, d). Returns pi: (S, A). With one-hot features ``phi[s, a] = e_{(s,a)}``
    this is the softmax policy.
    """
    phi = check.array(phi, "phi", ndim=3)
    theta = check.array(theta, "theta", shape=(phi.shape[2],))
    return softmax(phi @ theta)


def project_simplex(x) -> np.ndarray:
    r"""Euclidean projection of each row onto the probability simplex.

    .. math:: \Pi_\Delta(x) = \arg\min_{p \in \Delta} \|p - x\|_2, \qquad
              p_i = \max(x_i - \tau, 0) \text{ with } \tau \text{ such that } \textstyle\sum_i p_i = 1,

    found by sorting (Held, Wolfe and Crowder 1974; Duchi et al. 2008). x: (..., A). Returns the
    projection with x's shape; the direct parameterisation's projected gradient ascent uses it.
    """
    x = check.array(x, "x")
    if x.ndim == 0 or x.shape[-1] == 0:
        raise ValueError(f"x: needs a non-empty last axis, got shape {x.shape}")
    u = -np.sort(-x, axis=-1)
    css = np.cumsum(u, axis=-1) - 1.0
    k = np.arange(1, x.shape[-1] + 1)
    support = u - css / k > 0
    rho = support.shape[-1] - 1 - np.argmax(support[..., ::-1], axis=-1)
    tau = np.take_along_axis(css, rho[..., None], axis=-1) / (rho[..., None] + 1.0)
    return np.maximum(x - tau, 0.0)
