r"""The inner layer: the helpers pgbook's core modules share, below their public functions.

A public function checks its arguments once (:mod:`pgbook._validate`, ``TypeError``/``ValueError``
naming the argument) and then calls these. They check nothing: they trust float64 arrays of the
right shapes, policies whose rows are distributions and a checked :class:`pgbook.MDP`, and on
anything else they can return garbage or crash a numba kernel. The two exceptions say so: the
argument bundles :func:`softmax_args` and :func:`loglinear_evaluation` are the checks that the
softmax and the log-linear functions of several modules share. The numba kernels themselves live in
``_evaluation``, ``_policy_kernels``, ``_run_kernels``, ``_sampling_kernels`` and ``_fit``.

Private: not part of pgbook's API, and absent from the API page.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _evaluation
from . import _policy_kernels
from . import _validate as validate
from ._numba import kernel_array
from .mdp import MDP, require_mdp


class Evaluation(NamedTuple):
    r"""Everything exact policy evaluation gives, from one factorisation.

    Attributes
    ----------
    V : array (S,)
        :math:`V^\pi(s)`.
    Q : array (S, A)
        :math:`Q^\pi(s, a)`.
    adv : array (S, A)
        The advantage :math:`A^\pi(s, a) = Q^\pi(s, a) - V^\pi(s)`.
    d : array (S,)
        The normalised discounted visitation :math:`d^\pi_\rho`.
    occupancy : array (S,)
        The unnormalised discounted occupancy :math:`\sum_t \gamma^t \Pr^\pi(s_t = s \mid s_0 \sim \rho)`,
        which equals :math:`d^\pi_\rho / (1 - \gamma)` when :math:`\gamma < 1` (not the book's
        :math:`\nu`, a start distribution).
    V_rho : float
        :math:`V^\pi(\rho) = \rho^\top V^\pi`.
    """

    V: np.ndarray
    Q: np.ndarray
    adv: np.ndarray
    d: np.ndarray
    occupancy: np.ndarray
    V_rho: float


def factor(mdp: MDP, pi: np.ndarray, r: np.ndarray, name: str = "pi") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The LU factors of ``I - gamma P_pi``, their pivots, and the values for the reward ``r: (S, A)``.

    Checks that the rows of ``pi`` (a kernel array) are distributions and, for gamma = 1, that pi
    terminates (``ValueError`` naming ``name`` otherwise).
    """
    M = np.empty((mdp.S, mdp.S))
    if not _evaluation.form_system(mdp.P, mdp.span, pi, mdp.gamma, mdp.terminal, validate.PROB_TOL, M):
        validate.policy(mdp, pi, name)  # raises, saying which row is wrong and how
    if mdp.gamma == 1.0:
        require_proper(mdp, np.einsum("sa,sat->st", pi, mdp.P) > 0.0, name)
    V = np.empty(mdp.S)
    piv = np.empty(mdp.S, dtype=np.int32)
    _evaluation.factor(M, piv)
    _evaluation.policy_reward(pi, kernel_array(r), V)
    _evaluation.solve_values(M, piv, V)
    return M, piv, V


def occupancy(M: np.ndarray, piv: np.ndarray, rho: np.ndarray) -> np.ndarray:
    nu = np.array(rho, dtype=np.float64)
    _evaluation.solve_occupancy(M, piv, nu)
    return nu


def q_from_v(mdp: MDP, V: np.ndarray, r: np.ndarray | None = None) -> np.ndarray:
    Q = np.empty((mdp.S, mdp.A))
    _evaluation.q_from_v(mdp.P, mdp.span, mdp.r if r is None else kernel_array(r), mdp.gamma, V, Q)
    return Q


def require_proper(mdp: MDP, support: np.ndarray, name: str = "pi") -> None:
    """With gamma = 1, values are finite only if every state can reach a terminal state.

    support: (S, S) boolean, ``support[s, t]`` when the policy can move from s to t.
    """
    reach = mdp.terminal.copy()
    while True:
        grown = reach | support[:, reach].any(axis=1)
        if (grown == reach).all():
            break
        reach = grown
    if not reach.all():
        stuck = np.flatnonzero(~reach).tolist()
        raise ValueError(
            f"{name}: with gamma = 1 the policy must reach a terminal state with probability 1, "
            f"but states {stuck} never terminate"
        )


def normalise(mdp: MDP, nu: np.ndarray) -> np.ndarray:
    if mdp.gamma < 1.0:
        return (1.0 - mdp.gamma) * nu
    return nu / nu.sum()


def evaluation_of(mdp: MDP, M: np.ndarray, piv: np.ndarray, V: np.ndarray, rho: np.ndarray,
                   r: np.ndarray | None = None) -> Evaluation:
    nu = occupancy(M, piv, rho)
    Q = q_from_v(mdp, V, r)
    return Evaluation(V=V, Q=Q, adv=Q - V[:, None], d=normalise(mdp, nu), occupancy=nu, V_rho=float(rho @ V))


def evaluate(mdp: MDP, pi: np.ndarray, rho: np.ndarray, r: np.ndarray | None = None) -> Evaluation:
    """:func:`pgbook.evaluate` on checked arguments; ``r: (S, A)`` replaces the MDP's reward (e.g. :func:`_evaluation.soft_reward`)."""
    pi = kernel_array(pi)
    M, piv, V = factor(mdp, pi, mdp.r if r is None else r)
    return evaluation_of(mdp, M, piv, V, rho, r)


def log_softmax(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(log pi, pi)`` of checked logits ``(..., A)``, both with theta's shape."""
    x = np.ascontiguousarray(theta, dtype=np.float64).reshape(-1, theta.shape[-1])
    logpi, pi = np.empty_like(x), np.empty_like(x)
    # Always a read-only view: numba compiles one specialisation per writeable flag, and a run's
    # frozen iterates would otherwise compile a second one in the middle of a reader's chapter.
    x = x.view()
    x.flags.writeable = False
    _policy_kernels.log_softmax(x, logpi, pi)
    return logpi.reshape(theta.shape), pi.reshape(theta.shape)


def greedy(Q: np.ndarray) -> np.ndarray:
    pi = np.zeros_like(Q)
    pi[np.arange(Q.shape[0]), Q.argmax(axis=1)] = 1.0
    return pi


def loglinear(theta: np.ndarray, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(log pi, pi)`` of checked ``theta: (dim,)`` and ``phi: (S, A, dim)``."""
    with np.errstate(over="ignore", invalid="ignore"):
        logits = phi @ theta
    return log_softmax(validate.logits(logits, "theta", shape=phi.shape[:2]))


def softmax_args(mdp: MDP, theta, rho) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The checked arguments of a softmax function: ``(log pi, pi, rho)``."""
    require_mdp(mdp)
    theta = validate.theta(mdp, theta)
    rho = validate.start(mdp, rho)
    return (*log_softmax(theta), rho)


def centred(phi: np.ndarray, pi: np.ndarray) -> np.ndarray:
    return phi - np.einsum("sa,sak->sk", pi, phi)[:, None, :]


def loglinear_evaluation(mdp: MDP, theta, phi, rho) -> tuple[np.ndarray, np.ndarray, Evaluation]:
    """The checked arguments of a log-linear function, evaluated: ``(pi, phi_bar, evaluation)``."""
    require_mdp(mdp)
    phi = validate.features(mdp, phi)
    theta = validate.array(theta, "theta", shape=(phi.shape[2],))
    rho = validate.start(mdp, rho)
    _, pi = loglinear(theta, phi)
    return pi, centred(phi, pi), evaluate(mdp, pi, rho)


#: Policy iteration switches an action only when another is better by more than this, relative to
#: max |Q|: round-off in the solve is about cond(I - gamma P_pi) * eps ~ 2 eps / (1 - gamma) relative,
#: far below it for gamma < 0.9999, and a real improvement that small changes V by at most
#: 1e-10 max|Q| / (1 - gamma).
TIE = 1e-10


def policy_iteration(mdp: MDP, pi0) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Every iterate of policy iteration: the policies pi_0..pi_n and their values (pi_n is optimal)."""
    require_mdp(mdp)
    if pi0 is None:
        pi = np.full((mdp.S, mdp.A), 1.0 / mdp.A) if mdp.gamma == 1.0 else greedy(q_from_v(mdp, mdp.r.max(axis=1)))
    else:
        pi = validate.policy(mdp, pi0, "pi0")
    pis, Vs = [], []
    while True:
        V, steps = evaluate_with_steps(mdp, pi, first=not pis)
        pis.append(pi)
        Vs.append(V)
        new = improve(mdp, q_from_v(mdp, V), pi, steps)
        if np.array_equal(new, pi):
            return pis, Vs
        pi = new


def evaluate_with_steps(mdp: MDP, pi: np.ndarray, first: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """V^pi, and for gamma = 1 the expected number of steps to termination (the tie-breaker)."""
    try:
        M, piv, V = factor(mdp, pi, mdp.r, "pi0" if first else "pi")
    except ValueError as err:
        if first:
            raise
        raise ValueError(
            "mdp: policy iteration reached a policy that never terminates although it improves on a "
            "terminating one, so a non-terminating loop collects reward and the gamma = 1 values are "
            f"unbounded ({err})"
        ) from None
    if mdp.gamma < 1.0:
        return V, None
    steps = (~mdp.terminal).astype(float)
    _evaluation.solve_values(M, piv, steps)
    return V, steps


def improve(mdp: MDP, Q: np.ndarray, pi: np.ndarray, steps: np.ndarray | None) -> np.ndarray:
    """The greedy policy, keeping the current action wherever it is within the tie tolerance."""
    tie = TIE * np.abs(Q).max()
    candidate = Q >= Q.max(axis=1, keepdims=True) - tie
    if steps is None:
        choice = candidate.argmax(axis=1)
    else:
        choice = np.where(candidate, mdp.P @ steps, np.inf).argmin(axis=1)
    current = pi.argmax(axis=1)
    s = np.arange(mdp.S)
    keep = (pi[s, current] == 1.0) & candidate[s, current]
    new = np.zeros_like(pi)
    new[s, np.where(keep, current, choice)] = 1.0
    return new


# Public as pgbook.exact.Evaluation (and pgbook.Evaluation), where the API page documents it.
Evaluation.__module__ = "pgbook.exact"
