r"""Policy classes: softmax (tabular), log-linear over features, and the direct parameterisation.

- Softmax: :math:`\pi_\theta(a|s) = e^{\theta_{s,a}} / \sum_{a'} e^{\theta_{s,a'}}`, ``theta: (S, A)``.
- Log-linear: :math:`\pi_\theta(a|s) \propto \exp(\theta^\top \phi_{s,a})`, ``phi: (S, A, dim)``,
  ``theta: (dim,)``.
- Direct: :math:`\pi_\theta(a|s) = \theta_{s,a}` with each row in the simplex :math:`\Delta(\mathcal A)`.

(Agarwal, Kakade, Lee and Mahajan 2021, section 2.) The maps onto the simplex are the kernels of
:mod:`pgbook._policy_kernels`, which the optimisation runs of :mod:`pgbook.algorithms` use too.
"""

from __future__ import annotations

import numpy as np

from . import _inner
from . import _policy_kernels
from . import _validate as validate
from .mdp import MDP, require_mdp


def softmax(theta) -> np.ndarray:
    r"""The softmax policy :math:`\pi_\theta(a|s) = e^{\theta_{s,a}} / \sum_{a'} e^{\theta_{s,a'}}`.

    (Agarwal, Kakade, Lee and Mahajan 2021, Eq. (3).) Stable for logits of any size: the row maximum
    is subtracted before exponentiating, so no entry overflows.

    Parameters
    ----------
    theta : array (..., A)
        Logits, any leading shape (``(S, A)`` for a tabular policy, ``(A,)`` for a bandit). The
        entries of a row must differ by less than the float64 range.

    Returns
    -------
    pi : array, theta's shape

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> theta = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.0]])
    >>> pi = pgbook.softmax(theta)
    >>> print(np.round(pi, 4))  # e / (e + 1) = 0.7311
    [[0.7311 0.2689]
     [0.2689 0.7311]
     [0.6225 0.3775]]
    >>> bool(np.allclose(pgbook.softmax(theta + [[7.0], [-3.0], [0.0]]), pi))  # a constant per state changes nothing
    True
    >>> pgbook.softmax([0.0, np.log(3.0)])  # one state: (1, 3) / 4
    array([0.25, 0.75])
    """
    return _inner.log_softmax(validate.logits(theta))[1]


def log_softmax(theta) -> np.ndarray:
    r""":math:`\log \pi_\theta(a|s) = \theta_{s,a} - \log \sum_{a'} e^{\theta_{s,a'}}`, computed stably.

    (Softmax policies: Agarwal, Kakade, Lee and Mahajan 2021, section 2; the log-sum-exp shift: Blanchard, Higham and Higham 2021.)

    Finite even where :math:`\pi_\theta` underflows to 0 (the log-sum-exp trick: the row maximum is
    subtracted first).

    Parameters
    ----------
    theta : array (..., A)
        Logits, as in :func:`softmax`.

    Returns
    -------
    log_pi : array, theta's shape

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> theta = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.0]])
    >>> log_pi = pgbook.log_softmax(theta)
    >>> print(np.round(log_pi, 4), bool(np.allclose(np.exp(log_pi), pgbook.softmax(theta))))
    [[-0.3133 -1.3133]
     [-1.3133 -0.3133]
     [-0.4741 -0.9741]] True
    >>> pgbook.log_softmax([[0.0, -1000.0], [-1000.0, 0.0]])  # pi(a|s) = e^-1000: log pi stays finite
    array([[    0., -1000.],
           [-1000.,     0.]])
    """
    return _inner.log_softmax(validate.logits(theta))[0]


def uniform(mdp: MDP) -> np.ndarray:
    r"""The uniformly random policy :math:`\pi(a|s) = 1/A`.

    (The starting policy of AKLM's analyses, Agarwal, Kakade, Lee and Mahajan 2021, section 5.)

    Parameters
    ----------
    mdp : MDP

    Returns
    -------
    pi : array (S, A)

    Examples
    --------
    >>> import pgbook
    >>> pgbook.uniform(pgbook.envs.three_state())
    array([[0.5, 0.5],
           [0.5, 0.5],
           [0.5, 0.5]])
    """
    require_mdp(mdp)
    return np.full((mdp.S, mdp.A), 1.0 / mdp.A)


def greedy(Q) -> np.ndarray:
    r"""The deterministic greedy policy :math:`\pi(s) = \arg\max_a Q(s, a)` as a one-hot array.

    Ties go to the lowest action index (Puterman 1994, section 6.4: policy improvement).

    Parameters
    ----------
    Q : array (S, A)
        Action values, with at least one action.

    Returns
    -------
    pi : array (S, A)
        One-hot rows.

    Examples
    --------
    >>> import pgbook
    >>> pgbook.greedy([[0.0, 1.0], [2.0, 2.0], [0.5, -1.0]])  # a tie goes to action 0
    array([[0., 1.],
           [1., 0.],
           [1., 0.]])
    """
    Q = validate.array(Q, "Q", ndim=2)
    if Q.shape[1] == 0:
        raise ValueError(f"Q: needs at least one action (shape (S, A) with A >= 1), got {Q.shape}")
    return _inner.greedy(Q)


def loglinear(theta, phi) -> np.ndarray:
    r"""The log-linear policy :math:`\pi_\theta`,

    .. math:: \pi_\theta(a|s) = \exp(\theta^\top\phi_{s,a}) / \sum_{a'} \exp(\theta^\top\phi_{s,a'}).

    (Agarwal, Kakade, Lee and Mahajan 2021, section 6.1.1.) With one-hot features
    ``phi[s, a] = e_{(s,a)}`` this is the softmax policy.

    Parameters
    ----------
    theta : array (dim,)
    phi : array (S, A, dim)
        Features :math:`\phi_{s,a}`.

    Returns
    -------
    pi : array (S, A)

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> phi = np.array([[[0.0, 0.0], [1.0, s]] for s in range(3)])  # phi(s, right) = (1, s), phi(s, left) = 0
    >>> pi = pgbook.loglinear([0.5, -0.5], phi)
    >>> print(np.round(pi, 4))  # pi(right|s) = 1 / (1 + exp(-(0.5 - 0.5 s)))
    [[0.3775 0.6225]
     [0.5    0.5   ]
     [0.6225 0.3775]]
    >>> bool(np.allclose(pi, pgbook.softmax(phi @ [0.5, -0.5])))  # the softmax of theta^T phi(s, .)
    True
    """
    phi = validate.array(phi, "phi", ndim=3)
    if phi.shape[2] == 0:
        raise ValueError("phi: needs at least one feature (shape (S, A, dim) with dim >= 1)")
    theta = validate.array(theta, "theta", shape=(phi.shape[2],))
    return _inner.loglinear(theta, phi)[1]


def project_simplex(x) -> np.ndarray:
    r"""Euclidean projection of each row onto the probability simplex.

    .. math:: \Pi_\Delta(x) = \arg\min_{p \in \Delta} \|p - x\|_2, \qquad
              p_i = \max(x_i - \tau, 0) \text{ with } \tau \text{ such that } \textstyle\sum_i p_i = 1,

    found by sorting (Held, Wolfe and Crowder 1974; Duchi, Shalev-Shwartz, Singer and Chandra 2008,
    Fig. 1). The direct parameterisation's projected gradient ascent uses it (Agarwal, Kakade, Lee
    and Mahajan 2021, section 4).

    Parameters
    ----------
    x : array (..., A)

    Returns
    -------
    p : array, x's shape
        Each row on the simplex.

    Examples
    --------
    >>> import pgbook
    >>> print(pgbook.project_simplex([[0.5, 1.5, -1.0], [0.2, 0.3, 0.1]]).round(4))  # row 2: each + (1 - 0.6) / 3
    [[0.     1.     0.    ]
     [0.3333 0.4333 0.2333]]
    """
    x = validate.array(x, "x")
    if x.ndim == 0 or x.shape[-1] == 0:
        raise ValueError(f"x: needs a non-empty last axis, got shape {x.shape}")
    flat = np.ascontiguousarray(x).reshape(-1, x.shape[-1])
    out = np.empty_like(flat)
    _policy_kernels.project(flat, out)
    return out.reshape(x.shape)
