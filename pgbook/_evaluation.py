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

Speed. Below :data:`LAPACK_MIN` states everything is a numba loop that pays no call overhead (a
run of :math:`10^6` evaluations of a small MDP takes about a second): the factorisation skips zero
entries, and the passes over :math:`P` visit only each row's ``span`` of possible next states
(:attr:`pgbook.MDP.span`), so banded MDPs such as the chain or a gridworld cost :math:`O(S A w)`
for width :math:`w`, not :math:`O(S^2 A)`. From there on the factorisation, the triangular solves
and :math:`PV` are LAPACK's blocked ``dgetrf``, ``dgetrs`` and BLAS ``dgemv``, called from numba
without a copy. Both paths keep LAPACK's storage (unit lower :math:`L` and :math:`U` of
:math:`N = P L U`, 1-based row swaps). scipy's LAPACK, not numpy's, because the two ship separate
OpenBLAS thread pools and the idle pool of one still spins while the other works (a 4 ms stall
per evaluation at S = 500); numba's ``np.dot`` calls scipy's BLAS too. Every kernel is inlined into
its caller (numba's ``inline="always"``): a call that stays a call costs about 40 ns when the
callee holds a LAPACK branch, most of an evaluation on a bandit.
"""

from __future__ import annotations

import ctypes
import math

import llvmlite.binding
import numba
import numpy as np
from numba.extending import get_cython_function_address

from ._numba import njit

#: From this many states on, the kernels call LAPACK and BLAS instead of their loops (measured
#: crossover of the factorisation; PV and the solves cross over earlier).
LAPACK_MIN = 48


def _lapack(name: str, n_args: int):
    """scipy's Cython LAPACK routine ``name``, callable from the kernels with every argument by address."""
    address = get_cython_function_address("scipy.linalg.cython_lapack", name)
    if numba.config.DISABLE_JIT:
        return ctypes.CFUNCTYPE(None, *[ctypes.c_void_p] * n_args)(address)
    # Declared by symbol name, not as a ctypes pointer, so that the kernels calling it can be cached.
    llvmlite.binding.add_symbol(f"pgbook_{name}", address)
    return numba.types.ExternalFunction(f"pgbook_{name}", numba.types.void(*[numba.types.uintp] * n_args))


_dgetrf = _lapack("dgetrf", 6)
_dgetrs = _lapack("dgetrs", 9)


@njit(inline="always")
def form_system(P, span, pi, gamma, terminal, tol, M):
    r"""Fill ``M = I - gamma P_pi`` ``(S, S)`` for ``P: (S, A, S)``; False if ``pi: (S, A)`` is no policy.

    ``span: (S, A, 2)`` bounds the next states of each row of ``P`` (:attr:`pgbook.MDP.span`).

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
                # Unsigned bounds: numba then drops its negative-index wraparound, and the loop vectorises.
                for t in range(np.uint64(span[s, a, 0]), np.uint64(span[s, a, 1])):
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


@njit(inline="always")
def policy_reward(pi, r, out):
    r"""Fill ``out: (S,)`` with :math:`r_\pi(s) = \sum_a \pi(a|s) r(s, a)`."""
    S, A = pi.shape
    for s in range(S):
        total = 0.0
        for a in range(A):
            if pi[s, a] != 0.0:
                total += pi[s, a] * r[s, a]
        out[s] = total


@njit(inline="always")
def factor(M, piv):
    r"""LU factors of :math:`N = M^\top` in place, ``M: (S, S)`` as :func:`form_system` left it.

    Afterwards ``M`` holds LAPACK's factors of the column-major :math:`N`
    (:math:`N_{ij}` is ``M[j, i]``) and ``piv: (S,)`` int32 LAPACK's 1-based row swaps.
    """
    S = M.shape[0]
    if S >= LAPACK_MIN:
        # dgetrf(m, n, a, lda, ipiv, info), every argument by address.
        ints = np.array([S, 0], dtype=np.int32)
        n, info = ints.ctypes.data, ints[1:].ctypes.data
        _dgetrf(n, n, M.ctypes.data, n, piv.ctypes.data, info)
        return
    for k in range(S):
        # Column k of N is row k of M.
        p = k
        for i in range(k + 1, S):
            if abs(M[k, i]) > abs(M[k, p]):
                p = i
        piv[k] = p + 1
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


@njit(inline="always")
def solve_values(LU, piv, b):
    r"""Solve :math:`M x = b` (the values :math:`V = M^{-1} r_\pi`) in place, from :func:`factor`.

    :math:`M = N^\top = U^\top L^\top P^\top`: forward with :math:`U^\top`, back with :math:`L^\top`,
    then undo the swaps (LAPACK's ``dgetrs`` with ``trans = "T"``).
    """
    S = LU.shape[0]
    if S >= LAPACK_MIN:
        _getrs(LU, piv, b, ord("T"))
        return
    # Column by column, so that the zeros of a sparse right-hand side (a reward in few states) are skipped.
    for j in range(S):
        b[j] /= LU[j, j]
        x = b[j]
        if x != 0.0:
            for i in range(j + 1, S):
                b[i] -= LU[i, j] * x
    for j in range(S - 1, 0, -1):
        x = b[j]
        if x != 0.0:
            for i in range(j):
                b[i] -= LU[i, j] * x
    for k in range(S - 1, -1, -1):
        p = piv[k] - 1
        b[k], b[p] = b[p], b[k]


@njit(inline="always")
def solve_occupancy(LU, piv, b):
    r"""Solve :math:`M^\top x = b` (the occupancy :math:`\nu = M^{-\top}\rho`) in place, from :func:`factor`.

    :math:`M^\top = N = P L U`: swap, forward with :math:`L`, back with :math:`U` (LAPACK's ``dgetrs``
    with ``trans = "N"``).
    """
    S = LU.shape[0]
    if S >= LAPACK_MIN:
        _getrs(LU, piv, b, ord("N"))
        return
    for k in range(S):
        p = piv[k] - 1
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


@njit(inline="always")
def _getrs(LU, piv, b, trans):
    """LAPACK's dgetrs on :func:`factor`'s output, one contiguous right-hand side ``b`` in place."""
    n = LU.shape[0]
    # dgetrs(trans, n, nrhs, a, lda, ipiv, b, ldb, info), every argument by address.
    ints = np.array([n, 1, 0], dtype=np.int32)
    code = np.array([trans], dtype=np.uint8)
    size = ints.ctypes.data
    _dgetrs(code.ctypes.data, size, ints[1:].ctypes.data, LU.ctypes.data, size, piv.ctypes.data, b.ctypes.data,
            size, ints[2:].ctypes.data)


@njit(inline="always")
def q_from_v(P, span, r, gamma, V, Q):
    r"""Fill ``Q(s, a) = r(s, a) + gamma sum_s' P(s'|s, a) V(s')``; ``P: (S, A, S)``, ``r, Q: (S, A)``.

    ``span: (S, A, 2)`` bounds the next states of each row of ``P`` (:attr:`pgbook.MDP.span`).
    """
    S, A = r.shape
    if S >= LAPACK_MIN:
        PV = np.dot(P.reshape((S * A, S)), V)
        for s in range(S):
            for a in range(A):
                Q[s, a] = r[s, a] + gamma * PV[s * A + a]
        return
    for s in range(S):
        for a in range(A):
            q = 0.0
            for t in range(np.uint64(span[s, a, 0]), np.uint64(span[s, a, 1])):
                q += P[s, a, t] * V[t]
            Q[s, a] = r[s, a] + gamma * q


@njit(inline="always")
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


@njit(inline="always")
def evaluate(P, span, pi, r, gamma, terminal, rho, M, piv, V, Q, nu):
    r"""Everything at once, into preallocated arrays: ``V: (S,)``, ``Q: (S, A)`` and ``nu: (S,)``.

    ``M: (S, S)`` and ``piv: (S,)`` int32 receive the LU factors, for further solves with
    :func:`solve_values` or :func:`solve_occupancy`. ``pi`` must be a policy (it is not checked).
    Returns :math:`V(\rho) = \rho^\top V`.
    """
    form_system(P, span, pi, gamma, terminal, math.inf, M)
    factor(M, piv)
    policy_reward(pi, r, V)
    solve_values(M, piv, V)
    nu[:] = rho
    solve_occupancy(M, piv, nu)
    q_from_v(P, span, r, gamma, V, Q)
    v = 0.0
    for s in range(V.size):
        v += rho[s] * V[s]
    return v


def finite_log(pi: np.ndarray) -> np.ndarray:
    """``log pi`` with 0 where ``pi`` is 0 (weighted by 0 wherever it is used)."""
    return np.log(pi, out=np.zeros_like(pi), where=pi > 0)

