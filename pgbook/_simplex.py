r"""Maps onto the probability simplex, the one implementation (private numba kernels: nothing here checks).

:func:`pgbook.softmax`, :func:`pgbook.log_softmax` and :func:`pgbook.project_simplex` call these on
the rows of their argument; the optimisation loops of :mod:`pgbook._run_kernels` call them on
every iterate.
"""

from __future__ import annotations

import numpy as np

from ._numba import njit


@njit
def log_softmax(x, logpi, pi):
    r"""Row-wise :math:`\log\pi = x - \max x - \log\sum e^{x - \max x}` and :math:`\pi = e^{x - \max x} / \sum e^{x - \max x}`.

    ``x, logpi, pi: (n, A)``. The row maximum is subtracted first, so nothing overflows, and
    :math:`\log\pi` stays finite (as long as each row's spread :math:`\max x - \min x` is a finite
    float) where :math:`\pi` underflows to 0.
    """
    n, A = x.shape
    for s in range(n):
        m = x[s, 0]
        for a in range(1, A):
            m = max(m, x[s, a])
        total = 0.0
        for a in range(A):
            pi[s, a] = np.exp(x[s, a] - m)
            total += pi[s, a]
        log_total = np.log(total)
        for a in range(A):
            pi[s, a] /= total
            logpi[s, a] = (x[s, a] - m) - log_total


@njit
def project(x, out):
    r"""Euclidean projection of each row of ``x: (n, A)`` onto the simplex, into ``out``.

    :math:`p_i = \max(x_i - \tau, 0)` with :math:`\tau = (\sum_{i \le k} u_i - 1)/k` for the largest
    k with :math:`u_k > (\sum_{i \le k} u_i - 1)/k`, u the row sorted in decreasing order (Held,
    Wolfe and Crowder 1974; Duchi, Shalev-Shwartz, Singer and Chandra 2008, Fig. 1).
    """
    n, A = x.shape
    for s in range(n):
        u = -np.sort(-x[s])
        css = 0.0
        tau = 0.0
        for k in range(A):
            css += u[k]
            t = (css - 1.0) / (k + 1)
            if u[k] > t:
                tau = t
        for a in range(A):
            out[s, a] = max(x[s, a] - tau, 0.0)
