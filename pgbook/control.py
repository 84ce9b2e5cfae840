r"""Optimal control: policy iteration and value iteration.

Both return :math:`(\pi^\star, V^\star)`: a deterministic optimal policy as a one-hot ``(S, A)``
array and the optimal values ``(S,)``, the fixed point of the Bellman optimality operator

.. math:: (\mathcal T V)(s) = \max_a \Big[r(s, a) + \gamma \sum_{s'} P(s'|s, a) V(s')\Big].
"""

from __future__ import annotations

import numpy as np

from . import _validate as validate
from . import _inner
from .mdp import MDP, require_mdp

def policy_iteration(mdp: MDP, pi0=None) -> tuple[np.ndarray, np.ndarray]:
    r"""Howard's policy iteration with exact evaluation.

    .. math::

        V_k = (I - \gamma P_{\pi_k})^{-1} r_{\pi_k}, \qquad
        \pi_{k+1}(s) \in \arg\max_a \Big[r(s, a) + \gamma \sum_{s'} P(s'|s, a) V_k(s')\Big],

    stopping when :math:`\pi_{k+1} = \pi_k` (Howard 1960; Puterman 1994, section 6.4).

    Ties: a state keeps its current action unless another is better by more than
    ``TIE * max|Q|``, ``TIE = 1e-10`` (so round-off cannot make it cycle); at the stop
    :math:`\max_a A^{\pi}(s, a) \le` ``TIE * max|Q|`` for every s, hence
    :math:`\|V^\star - V^\pi\|_\infty \le` ``TIE * max|Q|`` :math:`/(1-\gamma)`.

    Episodic MDPs (``gamma = 1``, terminal states) are supported when pi0 reaches a terminal state
    from every state. Among tied actions the one with the fewest expected steps to termination
    under the current policy is chosen, which keeps every iterate terminating; an iterate that
    still loops forever means a non-terminating loop collects reward, so the values are unbounded,
    and this raises ``ValueError``. :func:`pgbook.algorithms.policy_iteration` returns every
    iterate (the run behind "policy iteration stops after a few iterations").

    Parameters
    ----------
    mdp : MDP
    pi0 : array (S, A), optional
        A starting policy; by default the greedy policy after two steps of value iteration from 0,
        i.e. greedy with respect to :math:`r + \gamma P \max_a r` (as QuantEcon starts), or for an
        episodic MDP the uniform policy (a myopic policy may never terminate).

    Returns
    -------
    pi_star : array (S, A)
        One-hot.
    V_star : array (S,)

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> mdp = pgbook.envs.three_state()  # 3 states in a row, gamma = 0.9, rho = (0.5, 0.3, 0.2)
    >>> pi_star, V_star = pgbook.policy_iteration(mdp, pi0=[[1.0, 0.0]] * 3)  # from "left everywhere"
    >>> print(pi_star.argmax(axis=1), np.round(V_star, 4))  # right everywhere, to the reward of 1
    [1 1 1] [ 7.7097  8.7805 10.    ]
    >>> bool(np.allclose(V_star, (mdp.r + mdp.gamma * mdp.P @ V_star).max(axis=1)))  # V* = T V*
    True
    >>> print(pgbook.policy_iteration(mdp.replace(gamma=0.3))[0].argmax(axis=1))  # short-sighted: 0.1 now, in state 0
    [0 1 1]
    >>> pgbook.policy_iteration(pgbook.envs.short_corridor())[1]  # episodic: 3 steps from S_1 through the switch
    array([-3., -2., -1.,  0.])
    """
    pis, Vs = _inner.policy_iteration(mdp, pi0)
    return pis[-1], Vs[-1]


def value_iteration(mdp: MDP, tol: float = 1e-8, *, V0=None) -> tuple[np.ndarray, np.ndarray]:
    r"""Value iteration with a span stopping rule and bound-corrected values.

    Iterates :math:`V_{k+1} = \mathcal T V_k` from ``V0`` (default 0). With
    :math:`\Delta_k = V_{k+1} - V_k` and :math:`c = \gamma / (1 - \gamma)`, the MacQueen--Porteus
    bounds

    .. math:: V_{k+1} + c \min_s \Delta_k(s) \;\le\; V^\star \;\le\; V_{k+1} + c \max_s \Delta_k(s)

    hold componentwise (MacQueen 1966, *J. Math. Anal. Appl.* 14:38--43; Porteus 1971, *Management
    Science* 18:7--11; Puterman 1994, *Markov Decision Processes*, section 6.6.3). Proof: since
    :math:`\mathcal T` is monotone and :math:`\mathcal T(V + c\mathbf 1) = \mathcal T V + \gamma c \mathbf 1`,
    :math:`V_{k+1} \ge V_k + \min\Delta_k` gives

    .. math:: \mathcal T^n V_{k+1} \ge V_{k+1} + (\gamma + \dots + \gamma^n)\min\Delta_k;

    let :math:`n \to \infty` (the upper bound likewise). So it stops at the first k with
    :math:`\tfrac c2 \operatorname{span}(\Delta_k) \le` ``tol`` and returns the midpoint

    .. math:: \hat V = V_{k+1} + \frac c2 \Big(\max_s \Delta_k(s) + \min_s \Delta_k(s)\Big),
              \qquad \|\hat V - V^\star\|_\infty \le \frac c2 \operatorname{span}(\Delta_k) \le \mathrm{tol}.

    The span contracts at least like :math:`\gamma^k` and usually much faster, so this stops long
    before the sup-norm rule :math:`\|\Delta_k\|_\infty \le \mathrm{tol}(1-\gamma)/(2\gamma)`; stopping
    on the span *without* the correction (as pymdptoolbox's ``ValueIteration`` does) leaves
    :math:`V_{k+1}` off by about :math:`c \cdot \mathrm{mean}(\Delta_k)`.

    The policy: pi_star (S, A) is greedy with respect to :math:`V_k` (the backup that produced
    :math:`V_{k+1}`). The same argument applied to :math:`\mathcal T_\pi` gives
    :math:`V^{\pi} \ge V_{k+1} + c\min\Delta_k`, so
    :math:`\|V^\star - V^{\pi}\|_\infty \le c \operatorname{span}(\Delta_k) \le 2\,\mathrm{tol}`: the
    policy is 2 tol-optimal (optimal whenever the optimality gaps of the MDP exceed 2 tol).

    In floating point the bounds hold up to round-off, about
    :math:`\epsilon_{\text{mach}}\max|r|/(1-\gamma)^2`; a smaller tol is refused (``ValueError``).
    Above it the span, which contracts at least like :math:`\gamma^k`, always reaches tol.

    Parameters
    ----------
    mdp : MDP
        With ``gamma < 1``.
    tol : float
        > 0: the guaranteed sup-norm error of ``V_star``.
    V0 : array (S,), optional
        A starting guess; 0 by default.

    Returns
    -------
    pi_star : array (S, A)
        One-hot, 2 tol-optimal.
    V_star : array (S,)

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> mdp = pgbook.envs.three_state()  # 3 states in a row, gamma = 0.9, rho = (0.5, 0.3, 0.2)
    >>> V_star = pgbook.policy_iteration(mdp)[1]
    >>> pi, V = pgbook.value_iteration(mdp, tol=0.5)  # four backups, then the midpoint of the bounds
    >>> print(pi.argmax(axis=1), np.round(V, 4), bool(np.abs(V - V_star).max() <= 0.5))
    [1 1 1] [7.2714 8.3144 9.5326] True
    >>> pi, V = pgbook.value_iteration(mdp, tol=1e-6)
    >>> print(np.round(V, 4), bool(np.abs(V - V_star).max() <= 1e-6))
    [ 7.7097  8.7805 10.    ] True
    """
    pi, V, _ = _value_iteration(mdp, tol, V0)
    return pi, V


def _value_iteration(mdp: MDP, tol, V0) -> tuple[np.ndarray, np.ndarray, int]:
    """:func:`value_iteration`, also returning the number of Bellman backups."""
    require_mdp(mdp)
    tol = validate.positive_real(tol, "tol")
    validate.discounted(mdp, "value_iteration (policy_iteration solves a gamma = 1 MDP)")
    V = np.zeros(mdp.S) if V0 is None else validate.array(V0, "V0", shape=(mdp.S,))
    gamma = mdp.gamma
    c = gamma / (1.0 - gamma)
    # Each backup rounds at eps |V|, and errors accumulate over ~1/(1 - gamma) backups.
    floor = np.finfo(float).eps * np.abs(mdp.r).max() / (1.0 - gamma) ** 2
    if tol < floor:
        raise ValueError(
            f"tol: {tol:g} is below the float64 round-off of value iteration on this MDP "
            f"(eps max|r| / (1 - gamma)^2 = {floor:.3g})"
        )
    P = mdp.P.reshape(mdp.S * mdp.A, mdp.S)
    k = 0
    while True:
        Q = mdp.r + gamma * (P @ V).reshape(mdp.S, mdp.A)
        V_next = Q.max(axis=1)
        diff = V_next - V
        lo, hi = diff.min(), diff.max()
        k += 1
        if c * (hi - lo) / 2.0 <= tol:
            return _inner.greedy(Q), V_next + c * (hi + lo) / 2.0, k
        V = V_next

