r"""Exact policy evaluation, the one implementation (private numba kernels: nothing here checks).

:mod:`pgbook.exact` (and through it every public function) and the optimisation loops of
:mod:`pgbook._run_kernels` evaluate policies with these kernels and nothing else. For a policy
:math:`\pi` and a reward table :math:`r` (the MDP's, or the entropy-regularised :func:`soft_reward`)

.. math::

    M = I - \gamma P_\pi, \qquad V = M^{-1} r_\pi, \qquad
    \nu^\top = \rho^\top M^{-1}, \qquad Q = r + \gamma P V,

where :math:`\nu(s) = \sum_t \gamma^t \Pr(s_t = s \mid s_0 \sim \rho)` is the unnormalised discounted
occupancy (:math:`d^\pi_\rho = (1 - \gamma)\nu`; Agarwal, Kakade, Lee and Mahajan 2021, section 3).

Accuracy. :func:`form_system` stores :math:`M` row-major, which LAPACK, being column-major, reads
as :math:`N = M^\top`; :func:`factor` factors :math:`N`. :math:`M` is row diagonally dominant
(:math:`\sum_{t} \gamma P_\pi(s, t) \le \gamma < 1`), so :math:`N` is column diagonally dominant and
partial pivoting never swaps rows: every multiplier is at most 1 and the small entries keep their
relative accuracy. On the chain MDP (:func:`pgbook.envs.chain`) this keeps
:math:`V^\pi(s_0) \approx 3^{-H}` to 1e-14 relative at every H up to 30, where
``np.linalg.solve(M, r_pi)`` (which pivots on :math:`M` itself) is already 7% off at H = 30.

Speed. Below :data:`LAPACK_MIN` states the factorisation is a numba loop that skips zero entries
(the sparse systems of the chain or a gridworld cost :math:`O(S^2)`, and a loop of :math:`10^6`
evaluations pays no call overhead); from there on it is LAPACK's blocked ``dgetrf``, called from
numba through scipy's Cython LAPACK without a copy. Both write LAPACK's storage (unit lower
:math:`L` and :math:`U` of :math:`N = P L U`, 0-based row swaps), and the triangular solves are
shared. scipy's LAPACK, not numpy's, because the two ship separate OpenBLAS thread pools and the
idle pool of one still spins while the other works (a 4 ms stall per evaluation at S = 500).
"""

from __future__ import annotations

import ctypes
import math

import llvmlite.binding
import numba
import numpy as np
from numba.extending import get_cython_function_address

from ._numba import njit

#: From this many states on, :func:`factor` calls LAPACK's blocked dgetrf (measured crossover).
LAPACK_MIN = 48

_DGETRF = get_cython_function_address("scipy.linalg.cython_lapack", "dgetrf")
if numba.config.DISABLE_JIT:
    _dgetrf = ctypes.CFUNCTYPE(None, *[ctypes.c_void_p] * 6)(_DGETRF)
else:
    # Declared by symbol name, not as a ctypes pointer, so that the kernels calling it can be cached.
    llvmlite.binding.add_symbol("pgbook_dgetrf", _DGETRF)
    _dgetrf = numba.types.ExternalFunction("pgbook_dgetrf", numba.types.void(*[numba.types.uintp] * 6))


@njit
def form_system(P, pi, gamma, terminal, tol, M):
    r"""Fill ``M = I - gamma P_pi`` ``(S, S)`` for ``P: (S, A, S)``; False if ``pi: (S, A)`` is no policy.

    A row of ``pi`` must be finite, at least ``-tol`` and sum to 1 within ``tol``: checking it here,
    in the pass that reads it anyway, keeps small evaluations as fast as the solve itself (the
    caller turns False into the error message of :func:`pgbook._validate.policy`). With
    ``gamma = 1`` (an episodic MDP) the rows and columns of the ``terminal: (S,)`` states are
    replaced by the identity, so their values are 0 (their rewards are 0 in every MDP).
    """
    S, A = pi.shape
    ok = True
    for s in range(S):
        for t in range(S):
            M[s, t] = 0.0
        total = 0.0
        for a in range(A):
            w = pi[s, a]
            if not math.isfinite(w) or w < -tol:
                ok = False
            total += w
            if w != 0.0:
                c = -gamma * w
                for t in range(S):
                    M[s, t] += c * P[s, a, t]
        if abs(total - 1.0) > tol:
            ok = False
        M[s, s] += 1.0
    if gamma == 1.0:
        for s in range(S):
            if terminal[s]:
                for t in range(S):
                    M[s, t] = 0.0
                    M[t, s] = 0.0
                M[s, s] = 1.0
    return ok


@njit
def policy_reward(pi, r, out):
    r"""Fill ``out: (S,)`` with :math:`r_\pi(s) = \sum_a \pi(a|s) r(s, a)`."""
    S, A = pi.shape
    for s in range(S):
        total = 0.0
        for a in range(A):
            if pi[s, a] != 0.0:
                total += pi[s, a] * r[s, a]
        out[s] = total


@njit
def factor(M, piv):
    r"""LU factors of :math:`N = M^\top` in place, ``M: (S, S)`` as :func:`form_system` left it.

    Afterwards ``M`` holds LAPACK's factors of the column-major :math:`N`
    (:math:`N_{ij}` is ``M[j, i]``) and ``piv: (S,)`` int32 the 0-based row swaps.
    """
    S = M.shape[0]
    if S >= LAPACK_MIN:
        # dgetrf(m, n, a, lda, ipiv, info), every argument by address.
        ints = np.array([S, 0], dtype=np.int32)
        n, info = ints.ctypes.data, ints[1:].ctypes.data
        _dgetrf(n, n, M.ctypes.data, n, piv.ctypes.data, info)
        for k in range(S):
            piv[k] -= 1
        return
    for k in range(S):
        # Column k of N is row k of M.
        p = k
        for i in range(k + 1, S):
            if abs(M[k, i]) > abs(M[k, p]):
                p = i
        piv[k] = p
        if p != k:
            for j in range(S):
                M[j, k], M[j, p] = M[j, p], M[j, k]
        inv = 1.0 / M[k, k]
        for i in range(k + 1, S):
            M[k, i] *= inv
        for j in range(k + 1, S):
            u = M[j, k]
            if u != 0.0:
                for i in range(k + 1, S):
                    M[j, i] -= M[k, i] * u


@njit
def solve_values(LU, piv, b):
    r"""Solve :math:`M x = b` (the values :math:`V = M^{-1} r_\pi`) in place, from :func:`factor`.

    :math:`M = N^\top = U^\top L^\top P^\top`: forward with :math:`U^\top`, back with :math:`L^\top`,
    then undo the swaps.
    """
    S = LU.shape[0]
    for i in range(S):
        x = b[i]
        for j in range(i):
            x -= LU[i, j] * b[j]
        b[i] = x / LU[i, i]
    for i in range(S - 2, -1, -1):
        x = b[i]
        for j in range(i + 1, S):
            x -= LU[i, j] * b[j]
        b[i] = x
    for k in range(S - 1, -1, -1):
        p = piv[k]
        b[k], b[p] = b[p], b[k]


@njit
def solve_occupancy(LU, piv, b):
    r"""Solve :math:`M^\top x = b` (the occupancy :math:`\nu = M^{-\top}\rho`) in place, from :func:`factor`.

    :math:`M^\top = N = P L U`: swap, forward with :math:`L`, back with :math:`U`.
    """
    S = LU.shape[0]
    for k in range(S):
        p = piv[k]
        b[k], b[p] = b[p], b[k]
    for j in range(S):
        x = b[j]
        if x != 0.0:
            for i in range(j + 1, S):
                b[i] -= LU[j, i] * x
    for j in range(S - 1, -1, -1):
        b[j] /= LU[j, j]
        x = b[j]
        if x != 0.0:
            for i in range(j):
                b[i] -= LU[j, i] * x


@njit
def q_from_v(P, r, gamma, V, Q):
    r"""Fill ``Q(s, a) = r(s, a) + gamma sum_s' P(s'|s, a) V(s')``; ``P: (S, A, S)``, ``r, Q: (S, A)``."""
    S, A = r.shape
    for s in range(S):
        for a in range(A):
            q = 0.0
            for t in range(S):
                q += P[s, a, t] * V[t]
            Q[s, a] = r[s, a] + gamma * q


@njit
def soft_reward(r, logpi, tau, terminal, out):
    r"""The entropy-regularised reward :math:`r_\tau(s, a) = r(s, a) - \tau \log\pi(a|s)`, into ``out``.

    Zero on ``terminal`` states, where the episode, and with it the entropy, is over. Its values
    :math:`V = M^{-1} r_{\tau,\pi}` are the soft values :math:`\tilde V^\pi` of Mei, Xiao, Szepesvari
    and Schuurmans (2020, Eq. (12)), since :math:`\sum_a \pi(a|s)(-\log\pi(a|s)) = \mathcal H(\pi(\cdot|s))`.
    ``logpi`` must be finite where ``pi`` is 0 (any value: it is weighted by 0).
    """
    S, A = r.shape
    for s in range(S):
        for a in range(A):
            out[s, a] = 0.0 if terminal[s] else r[s, a] - tau * logpi[s, a]


@njit
def evaluate(P, pi, r, gamma, terminal, rho, M, piv, V, Q, nu):
    r"""Everything at once, into preallocated arrays: ``V: (S,)``, ``Q: (S, A)`` and ``nu: (S,)``.

    ``M: (S, S)`` and ``piv: (S,)`` int32 receive the LU factors, for further solves with
    :func:`solve_values` or :func:`solve_occupancy`. ``pi`` must be a policy (it is not checked).
    Returns :math:`V(\rho) = \rho^\top V`.
    """
    form_system(P, pi, gamma, terminal, math.inf, M)
    factor(M, piv)
    policy_reward(pi, r, V)
    solve_values(M, piv, V)
    nu[:] = rho
    solve_occupancy(M, piv, nu)
    q_from_v(P, r, gamma, V, Q)
    v = 0.0
    for s in range(V.size):
        v += rho[s] * V[s]
    return v


def finite_log(pi: np.ndarray) -> np.ndarray:
    """``log pi`` with 0 where ``pi`` is 0 (weighted by 0 wherever it is used)."""
    return np.log(pi, out=np.zeros_like(pi), where=pi > 0)

