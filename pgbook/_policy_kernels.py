r"""Maps onto the probability simplex, the one implementation (private numba kernels: nothing here checks).

:func:`pgbook.softmax`, :func:`pgbook.log_softmax` and :func:`pgbook.project_simplex` call these on
the rows of their argument; the optimisation loops of :mod:`pgbook._run_kernels` call them on
every iterate. :func:`mean_kl_along` and :func:`kl_scale` measure a step of softmax logits by the
KL divergence it moves the policy (:func:`pgbook.theory.surrogates.kl_step_size`, and the runs of
:func:`pgbook.algorithms.softmax_pg_kl`).
"""

from __future__ import annotations

import math

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


@njit
def _centre(logpi, pi, direction):
    r""":math:`\sum_a \pi(a)\delta_a` of one state, summed as :math:`\delta_{a^*} + \sum_a \pi(a)(\delta_a - \delta_{a^*})`
    around the likeliest action :math:`a^*`: near a corner of the simplex the differences
    :math:`\delta_a - \bar\delta` the divergence is made of are then exact to round-off, not to
    round-off relative to :math:`\delta` itself."""
    top = 0
    for a in range(1, logpi.size):
        if logpi[a] > logpi[top]:
            top = a
    mean = 0.0
    for a in range(logpi.size):
        mean += pi[a] * (direction[a] - direction[top])
    return direction[top] + mean


@njit
def mean_kl_along(logpi, pi, w, direction, c):
    r"""The mean KL divergence :math:`\sum_s w(s)\,\mathrm{KL}\big(\pi(\cdot|s)\,\|\,\pi_c(\cdot|s)\big)` of a logit step.

    :math:`\pi_c(\cdot|s) \propto \pi(\cdot|s)\, e^{c\,\delta(s,\cdot)}`, ``delta`` = ``direction: (S, A)``,
    ``logpi, pi: (S, A)`` the policy in both forms, ``w: (S,)`` the weights (states with ``w = 0`` are
    skipped), ``c`` the step. Returns the divergence and its derivative in ``c``,
    :math:`\sum_s w(s)\,(\mathbb E_{\pi_c}\delta - \mathbb E_\pi\delta)`. Each state's divergence is
    :math:`\log\big(1 + \sum_a \pi(a|s)\,(e^{u_a} - 1 - u_a)\big)` with
    :math:`u_a = c(\delta_a - \sum_b \pi(b|s)\delta_b)`, so that :math:`\sum_a \pi(a|s) u_a = 0`
    drops out and a divergence of :math:`10^{-30}` keeps its digits (:math:`e^u - 1 - u` by its series
    where :math:`|u| < 0.1`); where some :math:`u_a` is too large for :math:`e^{u_a}`, as a
    log-sum-exp over :math:`\log\pi`, which also keeps the probabilities that underflowed in ``pi``.
    """
    S, A = pi.shape
    total, slope = 0.0, 0.0
    for s in range(S):
        if w[s] <= 0.0:
            continue
        mean = _centre(logpi[s], pi[s], direction[s])
        top = -math.inf
        for a in range(A):
            top = max(top, c * (direction[s, a] - mean))
        if top < 30.0:
            excess, moved = 0.0, 0.0
            for a in range(A):
                u = c * (direction[s, a] - mean)
                if abs(u) < 0.1:
                    term = 1.0  # (e^u - 1 - u) / (u^2 / 2) by Horner's rule; 11 terms reach round-off
                    for k in range(13, 2, -1):
                        term = 1.0 + u / k * term
                    excess += pi[s, a] * 0.5 * u * u * term
                else:
                    excess += pi[s, a] * (math.expm1(u) - u)
                moved += pi[s, a] * (direction[s, a] - mean) * math.expm1(u)
            kl = math.log1p(excess)
            slope += w[s] * moved / (1.0 + excess)
        else:
            m = -math.inf
            for a in range(A):
                m = max(m, logpi[s, a] + c * (direction[s, a] - mean))
            mass, moved = 0.0, 0.0
            for a in range(A):
                e = math.exp(logpi[s, a] + c * (direction[s, a] - mean) - m)
                mass += e
                moved += e * (direction[s, a] - mean)
            kl = m + math.log(mass)
            slope += w[s] * moved / mass
        total += w[s] * max(kl, 0.0)
    return total, slope


@njit
def kl_scale(logpi, pi, w, direction, delta, c_max):
    r"""The step :math:`c > 0` along ``direction`` whose :func:`mean_kl_along` is ``delta`` (> 0); -1 if none up to ``c_max``.

    Along a line each state's divergence is a log-partition function minus a linear function of
    :math:`c`: convex, with its minimum 0 at :math:`c = 0`, so the mean increases for :math:`c > 0`.
    From the quadratic model :math:`\tfrac{c^2}{2}\sum_s w(s)\,\mathrm{Var}_{\pi(\cdot|s)}\delta(s,\cdot)`
    (the Fisher metric), doubled until it overshoots, Newton's method then falls monotonically onto
    the root (a convex increasing function, approached from the right), in a few steps. -1 when the
    direction is constant wherever ``w > 0`` (to float64 precision) or would need a step beyond ``c_max``.
    """
    S, A = pi.shape
    q = 0.0
    for s in range(S):
        if w[s] <= 0.0:
            continue
        mean = _centre(logpi[s], pi[s], direction[s])
        for a in range(A):
            q += 0.5 * w[s] * pi[s, a] * (direction[s, a] - mean) ** 2
    if not q > 0.0:
        return -1.0
    c = min(math.sqrt(delta / q), c_max)
    kl, slope = mean_kl_along(logpi, pi, w, direction, c)
    while kl < delta:
        if c >= c_max:
            return -1.0
        c = min(2.0 * c, c_max)
        kl, slope = mean_kl_along(logpi, pi, w, direction, c)
    for _ in range(100):
        if kl - delta <= 4e-16 * delta or not slope > 0.0:
            break
        step = (kl - delta) / slope
        if step <= 1e-16 * c:
            break
        c -= step
        kl, slope = mean_kl_along(logpi, pi, w, direction, c)
    return c
