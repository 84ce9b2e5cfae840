r"""The minimum-norm least-squares fit, the one implementation (a private numba kernel: it checks nothing).

Compatible function approximation (:func:`pgbook.compatible_fit`, :func:`pgbook.algorithms.loglinear_npg`)
and Q-NPG (:func:`pgbook.theory.approximation.q_fit`, :func:`pgbook.algorithms.q_npg` and its sampled
version) all solve

.. math:: w^\star = \arg\min_w \|X w - y\|_2 \quad(\text{minimum } \|w\|_2 \text{ among minimisers}),

with the weights :math:`\sqrt{\omega(s, a)}` already multiplied into the rows of ``X`` and ``y``
(Agarwal, Kakade, Lee and Mahajan 2021, Eqs. (17) and (19)). The fits are often rank-deficient
exactly (centred features lose one direction per state), and then round-off decides which
minimiser an unregularised solver returns; with one solver and one cutoff, :data:`RCOND`, the
public functions and the run loops return the same :math:`w`.
"""

from __future__ import annotations

import numpy as np

from ._numba import njit

#: Singular values below this fraction of the largest count as zero: exact rank deficiency shows up
#: near 1e-16 relative, far below it, and a direction that weak is noise in the fit either way.
RCOND = 1e-10


@njit
def min_norm_fit(X, y):
    r"""The minimum-norm least-squares solution ``w: (dim,)`` of ``X: (n, dim)``, ``y: (n,)``.

    Returns ``(w, loss)`` with ``loss`` :math:`= \|X w - y\|_2^2`.
    """
    w = np.linalg.lstsq(X, y, rcond=RCOND)[0]
    resid = y - X @ w
    return w, np.sum(resid * resid)
