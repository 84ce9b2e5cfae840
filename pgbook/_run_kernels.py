r"""numba loops behind :mod:`pgbook.algorithms` (private: the wrappers there check every argument).

Each iteration evaluates the current policy exactly with the kernels of :mod:`pgbook._evaluation`
(the ones :mod:`pgbook.exact` uses), maps logits to the policy with :mod:`pgbook._policy_kernels`, and takes
one step, so a run of :math:`10^6` iterations on a bandit or a short chain takes about a second.

Softmax-type iterates are kept as logits (:math:`\log\pi` up to a per-state constant), so
probabilities that underflow to 0 keep their information in log space. The entropy-regularised
methods evaluate the soft reward :math:`r_\tau = r - \tau\log\pi` of
:func:`pgbook._evaluation.soft_reward`, the definition :func:`pgbook.soft_value` uses.

The interface: a :class:`Method`, the MDP as a :class:`Model`, the step parameters as a
:class:`Step`, the stopping rule and records as a :class:`Schedule`; the per-iteration numbers come
back as columns of one array, named by :class:`Trace`.
"""

from __future__ import annotations

import math
from enum import IntEnum
from typing import NamedTuple

import numpy as np

from . import _evaluation, _fit, _policy_kernels
from ._numba import njit


class Method(IntEnum):
    """The update a run applies."""

    #: :math:`x \mathrel{+}= \eta[\nu(s)\pi(a|s)\tilde A(s,a) + \frac{\lambda}{SA}(1 - A\pi(a|s))]` on logits.
    SOFTMAX_PG = 0
    #: :math:`x \leftarrow \log\pi + \eta_k(\tilde Q - \max_a \tilde Q)` on logits (KL mirror ascent).
    MIRROR = 1
    #: :math:`x \leftarrow \mathrm{Proj}_\Delta(x + \eta\,\nu(s) Q(s, a))` on the policy.
    PROJECTED = 2
    #: :math:`x \leftarrow (1 - \alpha_t)x + \alpha_t\,\mathrm{greedy}(A)` on the policy.
    CPI = 3
    #: :math:`\theta \mathrel{+}= \eta w`, w the compatible fit of A on centred features.
    COMPATIBLE_NPG = 4
    #: :math:`\theta \mathrel{+}= \eta w`, w the fit of Q on features under the visitation from nu.
    Q_NPG = 5
    #: :math:`x \mathrel{+}= c_t\,\nu(s)\pi(a|s)A(s,a)` on logits, :math:`c_t` giving the mean KL of MIRROR's step.
    SOFTMAX_PG_KL = 6


class Trace(IntEnum):
    """Rows of a run's per-iteration array; each :class:`Method` fills its own."""

    GRAD_NORM = 0  #: SOFTMAX_PG, PROJECTED, SOFTMAX_PG_KL: the 2-norm of the step direction.
    OBJECTIVE = 1  #: SOFTMAX_PG, MIRROR: the (regularised) objective.
    ETA = 2  #: MIRROR: the step size eta_k; SOFTMAX_PG_KL: the step c_t.
    ALPHA = 3  #: CPI: the mixing weight.
    GREEDY_ADVANTAGE = 4  #: CPI: E_{s ~ d} max_a A(s, a).
    W_NORM = 5  #: COMPATIBLE_NPG, Q_NPG: the 2-norm of the fitted w.
    FIT_LOSS = 6  #: COMPATIBLE_NPG, Q_NPG: the weighted squared residual of the fit.


#: The number of :class:`Trace` columns.
N_TRACES = len(Trace)

# numba before 0.61 cannot index an array with an IntEnum member, and Colab ships numba 0.60: the
# kernels index the trace with these plain integers, one per Trace row.
_GRAD_NORM, _OBJECTIVE, _ETA, _ALPHA, _GREEDY_ADVANTAGE, _W_NORM, _FIT_LOSS = (int(k) for k in Trace)


class Model(NamedTuple):
    """The MDP as the kernels read it."""

    P: np.ndarray  #: (S, A, S)
    span: np.ndarray  #: (S, A, 2) int: the next states of each row of P (:attr:`pgbook.MDP.span`)
    r: np.ndarray  #: (S, A)
    gamma: float
    terminal: np.ndarray  #: (S,) bool
    rho: np.ndarray  #: (S,) the start distribution of the objective


class Step(NamedTuple):
    """The step parameters of a run (the defaults switch a feature off)."""

    eta: float = 0.0  #: step size (MIRROR: the first, eta_0)
    growth: float = 1.0  #: MIRROR: eta_{k+1} = min(growth eta_k, ETA_CAP)
    lam: float = 0.0  #: SOFTMAX_PG: log-barrier weight
    tau: float = 0.0  #: SOFTMAX_PG, MIRROR: entropy weight
    alpha: float = 0.0  #: CPI: mixing weight; 0 for the adaptive choice


class Schedule(NamedTuple):
    """When to stop and what to keep."""

    T: int  #: at most T steps
    every: int  #: record the iterate every this many steps
    until: float  #: stop once V(rho) >= until


class Result(NamedTuple):
    """What a run returns."""

    V_rho: np.ndarray  #: (n+1,) V^(t)(rho)
    trace: np.ndarray  #: (N_TRACES, n+1), row :class:`Trace` k the k-th number (rows a method does not fill are 0)
    xs: np.ndarray  #: recorded iterates (K, ...)
    Vs: np.ndarray  #: their values (K, S)
    x: np.ndarray  #: the last iterate
    V: np.ndarray  #: its values (S,)
    n: int  #: steps taken
    overflow: bool  #: the step after iterate n left the float64 range (the run stopped there)


#: Mirror-descent step sizes stop growing here: the step is then already the greedy (policy
#: iteration) step in floating point, and capping keeps every log-probability finite.
ETA_CAP = 1e200


@njit
def _in_range(x, logits):
    """Whether the iterate x: (S, A) is finite and, for logits, every row's spread max - min too."""
    for s in range(x.shape[0]):
        lo, hi = x[s, 0], x[s, 0]
        for a in range(x.shape[1]):
            lo, hi = min(lo, x[s, a]), max(hi, x[s, a])
        if not math.isfinite(hi - lo if logits else hi + lo):
            return False
    return True


@njit
def tabular_run(method, model, x0, step, schedule):
    r"""Run a tabular :class:`Method` from ``x0: (S, A)`` (logits, or the policy for PROJECTED and CPI).

    Returns a :class:`Result`; ``xs: (K, S, A)``.
    """
    P, span, r, gamma, terminal, rho = model
    T, every, until = schedule
    S, A = x0.shape
    logits = method == Method.SOFTMAX_PG or method == Method.MIRROR or method == Method.SOFTMAX_PG_KL
    soft = step.tau > 0.0
    x = x0.copy()
    logpi, pi = np.zeros((S, A)), np.empty((S, A))
    M, piv = np.empty((S, S)), np.empty(S, dtype=np.int32)
    Q, V, nu = np.empty((S, A)), np.empty(S), np.empty(S)
    # The values of the soft reward; without regularisation they are Q and V themselves.
    r_soft = np.empty((S, A))
    Q_soft, V_soft = (np.empty((S, A)), np.empty(S)) if soft else (Q, V)
    row = np.empty((1, A))
    grad, d = np.empty((S, A)), np.empty(S)
    V_rho = np.empty(T + 1)
    trace = np.zeros((N_TRACES, T + 1))
    xs = np.empty((T // every + 1, S, A))
    Vs = np.empty((T // every + 1, S))
    eta_k = min(step.eta, ETA_CAP)
    n = 0
    overflow = False
    for t in range(T + 1):
        n = t
        if logits:
            _policy_kernels.log_softmax(x, logpi, pi)
        else:
            pi[:] = x
        v = _evaluation.evaluate(P, span, pi, r, gamma, terminal, rho, M, piv, V, Q, nu)
        if soft:
            _evaluation.soft_reward(r, logpi, step.tau, terminal, r_soft)
            _evaluation.policy_reward(pi, r_soft, V_soft)
            _evaluation.solve_values(M, piv, V_soft)
            _evaluation.q_from_v(P, span, r_soft, gamma, V_soft, Q_soft)
        v_soft = 0.0
        for s in range(S):
            v_soft += rho[s] * V_soft[s]
        V_rho[t] = v
        if t % every == 0:
            xs[t // every] = x
            Vs[t // every] = V
        go = t < T and v < until
        if method == Method.SOFTMAX_PG:
            barrier = step.lam / (S * A)
            norm2 = 0.0
            log_sum = 0.0
            for s in range(S):
                for a in range(A):
                    g = nu[s] * pi[s, a] * (Q_soft[s, a] - V_soft[s]) + barrier * (1.0 - A * pi[s, a])
                    log_sum += logpi[s, a]
                    norm2 += g * g
                    if go:
                        x[s, a] += step.eta * g
            trace[_GRAD_NORM, t] = np.sqrt(norm2)
            trace[_OBJECTIVE, t] = v_soft + barrier * log_sum + step.lam * np.log(A)
        elif method == Method.MIRROR:
            trace[_ETA, t] = eta_k
            trace[_OBJECTIVE, t] = v_soft
            if go:
                # Cen et al.'s (1 - eta tau) log pi + eta Q_tau is log pi + eta (Q_tau - tau log pi).
                for s in range(S):
                    m = Q_soft[s, 0]
                    for a in range(1, A):
                        m = max(m, Q_soft[s, a])
                    for a in range(A):
                        x[s, a] = logpi[s, a] + eta_k * (Q_soft[s, a] - m)
                eta_k = min(eta_k * step.growth, ETA_CAP)
        elif method == Method.SOFTMAX_PG_KL:
            # PG's direction, scaled so that the step moves the policy as far, in mean KL under the
            # normalised visitation, as NPG's step eta (Q - V) from the same policy would.
            norm2 = 0.0
            for s in range(S):
                d[s] = (1.0 - gamma) * nu[s]
                for a in range(A):
                    grad[s, a] = nu[s] * pi[s, a] * (Q[s, a] - V[s])
                    norm2 += grad[s, a] * grad[s, a]
            target = _policy_kernels.mean_kl_along(logpi, pi, d, Q, step.eta)[0]
            c = _policy_kernels.kl_scale(logpi, pi, d, grad, target, math.inf) if target > 0.0 else 0.0
            c = max(c, 0.0)
            trace[_GRAD_NORM, t] = np.sqrt(norm2)
            trace[_ETA, t] = c
            if go:
                for s in range(S):
                    for a in range(A):
                        x[s, a] += c * grad[s, a]
        elif method == Method.PROJECTED:
            norm2 = 0.0
            for s in range(S):
                for a in range(A):
                    g = nu[s] * Q[s, a]
                    norm2 += g * g
                    row[0, a] = x[s, a] + step.eta * g
                if go:
                    _policy_kernels.project(row, x[s:s + 1])
            trace[_GRAD_NORM, t] = np.sqrt(norm2)
        else:
            gain = 0.0
            for s in range(S):
                gain += (1.0 - gamma) * nu[s] * (np.max(Q[s]) - V[s])
            if step.alpha > 0.0:
                alpha = step.alpha
            elif gamma == 0.0:
                alpha = 1.0
            else:
                alpha = min(1.0, gain * (1.0 - gamma) ** 2 / (4.0 * gamma))
            trace[_ALPHA, t] = alpha
            trace[_GREEDY_ADVANTAGE, t] = gain
            if go:
                for s in range(S):
                    best = np.argmax(Q[s])
                    x[s] *= 1.0 - alpha
                    x[s, best] += alpha
        if not go:
            break
        if not _in_range(x, logits):
            overflow = True
            break
    return Result(V_rho[: n + 1], trace[:, : n + 1], xs, Vs, x, V.copy(), n, overflow)


@njit
def loglinear_run(model, phi, theta0, eta, nu_sa, schedule):
    r"""Run log-linear NPG from ``theta0: (dim,)``; ``phi: (S, A, dim)``.

    ``nu_sa`` is None for :class:`Method` COMPATIBLE_NPG and the distribution ``(S, A)`` of Q_NPG
    (numba compiles one loop for each, with the other's branches removed).

    Each step fits :math:`w = \arg\min_w \sum_{s,a} \omega(s,a) (y(s,a) - w^\top f(s,a))^2`
    (:func:`pgbook._fit.min_norm_fit`) and sets :math:`\theta \leftarrow \theta + \eta w`:

    - COMPATIBLE_NPG: :math:`f = \phi - \mathbb E_{a\sim\pi}\phi` (centred), :math:`y = A^\pi`,
      :math:`\omega(s,a) = d^\pi_\rho(s)\pi(a|s)`;
    - Q_NPG: :math:`f = \phi`, :math:`y = Q^\pi`, :math:`\omega` the state-action visitation from
      :math:`(s_0, a_0) \sim` ``nu_sa: (S, A)``:
      :math:`(1-\gamma)\nu(s,a) + \gamma(1-\gamma)\, \nu_1(s)\pi(a|s)`, :math:`\nu_1` the occupancy from
      :math:`\mu_1(s') = \sum_{s,a}\nu(s,a)P(s'|s,a)`.

    Returns a :class:`Result`; ``xs: (K, dim)``.
    """
    P, span, r, gamma, terminal, rho = model
    T, every, until = schedule
    S, A, dim = phi.shape
    theta = theta0.copy()
    logits, logpi, pi = np.empty((S, A)), np.empty((S, A)), np.empty((S, A))
    M, piv = np.empty((S, S)), np.empty(S, dtype=np.int32)
    Q, V, nu = np.empty((S, A)), np.empty(S), np.empty(S)
    nu1 = np.empty(S)
    X = np.empty((S * A, dim))
    y = np.empty(S * A)
    mu1 = np.zeros(S)
    V_rho = np.empty(T + 1)
    trace = np.zeros((N_TRACES, T + 1))
    thetas = np.empty((T // every + 1, dim))
    Vs = np.empty((T // every + 1, S))
    n = 0
    overflow = False
    if nu_sa is not None:
        for s in range(S):
            for a in range(A):
                for t in range(S):
                    mu1[t] += nu_sa[s, a] * P[s, a, t]
    for t in range(T + 1):
        n = t
        for s in range(S):
            for a in range(A):
                z = 0.0
                for j in range(dim):
                    z += phi[s, a, j] * theta[j]
                logits[s, a] = z
        if not _in_range(logits, True):
            overflow = True
            n = t - 1
            break
        _policy_kernels.log_softmax(logits, logpi, pi)
        v = _evaluation.evaluate(P, span, pi, r, gamma, terminal, rho, M, piv, V, Q, nu)
        V_rho[t] = v
        if t % every == 0:
            thetas[t // every] = theta
            Vs[t // every] = V
        if nu_sa is not None:
            nu1[:] = mu1
            _evaluation.solve_occupancy(M, piv, nu1)
        for s in range(S):
            for a in range(A):
                i = s * A + a
                if nu_sa is None:
                    weight = (1.0 - gamma) * nu[s] * pi[s, a]
                    for j in range(dim):
                        mean = 0.0
                        for b in range(A):
                            mean += pi[s, b] * phi[s, b, j]
                        X[i, j] = phi[s, a, j] - mean
                    y[i] = Q[s, a] - V[s]
                else:
                    weight = (1.0 - gamma) * nu_sa[s, a] + gamma * (1.0 - gamma) * nu1[s] * pi[s, a]
                    X[i] = phi[s, a]
                    y[i] = Q[s, a]
                root = np.sqrt(weight)
                X[i] *= root
                y[i] *= root
        w, loss = _fit.min_norm_fit(X, y)
        trace[_W_NORM, t] = np.sqrt(np.sum(w * w))
        trace[_FIT_LOSS, t] = loss
        if t == T or v >= until:
            break
        theta += eta * w
    return Result(V_rho[: n + 1], trace[:, : n + 1], thetas, Vs, theta, V.copy(), n, overflow)
