r"""numba kernels for whole optimisation runs on small MDPs (private: use :mod:`pgbook.algorithms`).

Each iteration evaluates the current policy exactly (one LU factorisation of
:math:`I - \gamma P_\pi`, with the transitions stored as sparse rows by :func:`transitions`) and
takes one step, so a run of :math:`10^6` iterations on a bandit or a short chain takes about a second.
Nothing here checks its arguments: the wrappers in :mod:`pgbook.algorithms` do.

Softmax-type iterates are kept as logits (log-probabilities up to a per-state constant) and turned
into policies with the row maximum subtracted, so probabilities that underflow to 0 keep their
information in log space (math.md section 5.2).
"""

from __future__ import annotations

import numpy as np

from ._numba import njit

#: Kinds of tabular run, chosen by the wrappers.
SOFTMAX_PG, MIRROR, PROJECTED, CPI = 0, 1, 2, 3
#: Kinds of log-linear run.
COMPATIBLE_NPG, Q_NPG = 0, 1

#: Mirror-descent step sizes stop growing here: the step is then already the greedy (policy
#: iteration) step in floating point, and capping keeps every log-probability finite.
ETA_CAP = 1e200

#: Relative singular-value cutoff of the least-squares fits (the minimum-norm solution, as with a
#: pseudo-inverse; exact rank deficiency of centred features shows up at round-off level).
RCOND = 1e-10


def transitions(P: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``P: (S, A, S)`` as padded sparse rows: ``P[s, a, nxt[s, a, k]] = prob[s, a, k]``, ``k < K``.

    K is the largest number of next states of any (s, a), so deterministic MDPs (the chain, bandits)
    cost O(S A) per evaluation instead of O(S^2 A); padding entries have probability 0.
    """
    S, A, _ = P.shape
    K = max(int((P != 0.0).sum(axis=2).max()), 1)
    order = np.argsort(P == 0.0, axis=2, kind="stable")[:, :, :K]
    return np.ascontiguousarray(order, dtype=np.int64), np.take_along_axis(P, order, axis=2).copy()


@njit
def _log_softmax(x, logpi, pi):
    """Row-wise log-softmax of logits ``x: (S, A)`` into ``logpi`` and softmax into ``pi``."""
    S, A = x.shape
    for s in range(S):
        m = x[s, 0]
        for a in range(1, A):
            m = max(m, x[s, a])
        total = 0.0
        for a in range(A):
            pi[s, a] = np.exp(x[s, a] - m)
            total += pi[s, a]
        lse = m + np.log(total)
        for a in range(A):
            pi[s, a] /= total
            logpi[s, a] = x[s, a] - lse


@njit
def _lu_factor(M, piv):
    """LU factorisation with partial pivoting of ``M: (S, S)`` in place (``piv`` the row swaps).

    Hand-written because a LAPACK call from numba copies its input and allocates: for the small
    systems here that overhead, not the arithmetic, would set the speed of a run.
    """
    S = M.shape[0]
    for k in range(S):
        p = k
        for i in range(k + 1, S):
            if abs(M[i, k]) > abs(M[p, k]):
                p = i
        piv[k] = p
        if p != k:
            for j in range(S):
                M[k, j], M[p, j] = M[p, j], M[k, j]
        for i in range(k + 1, S):
            M[i, k] /= M[k, k]
            f = M[i, k]
            if f != 0.0:
                for j in range(k + 1, S):
                    M[i, j] -= f * M[k, j]


@njit
def _lu_solve(LU, piv, b):
    """Solve ``M x = b`` in place from :func:`_lu_factor`'s output."""
    S = LU.shape[0]
    for k in range(S):
        b[k], b[piv[k]] = b[piv[k]], b[k]
    for i in range(S):
        for j in range(i):
            b[i] -= LU[i, j] * b[j]
    for i in range(S - 1, -1, -1):
        for j in range(i + 1, S):
            b[i] -= LU[i, j] * b[j]
        b[i] /= LU[i, i]


@njit
def _lu_solve_transpose(LU, piv, c):
    """Solve ``M^T y = c`` in place: ``M = P^T L U``, so ``U^T L^T (P y) = c``."""
    S = LU.shape[0]
    for i in range(S):
        for j in range(i):
            c[i] -= LU[j, i] * c[j]
        c[i] /= LU[i, i]
    for i in range(S - 1, -1, -1):
        for j in range(i + 1, S):
            c[i] -= LU[j, i] * c[j]
    for k in range(S - 1, -1, -1):
        c[k], c[piv[k]] = c[piv[k]], c[k]


@njit
def _evaluate(nxt, prob, r, gamma, pi, soft, bonus, rho, M, piv, Q, Qb, V, Vb, nu):
    r"""Exact evaluation of ``pi``, into the preallocated arrays.

    Solves :math:`M V = r_\pi`, :math:`M V_b = r_\pi + b` (``b = bonus``, e.g. the entropy reward;
    only if ``soft``) and :math:`M^\top \nu = \rho` with :math:`M = I - \gamma P_\pi`. Fills
    ``Q = r + gamma P V`` and ``Qb = r + gamma P V_b``. ``nu`` is the unnormalised occupancy
    :math:`d^\pi_\rho / (1 - \gamma)`.

    The array ``M`` receives :math:`M^\top` and keeps its LU factors for further solves (solve with
    :math:`M^\top` by :func:`_lu_solve`, with :math:`M` by :func:`_lu_solve_transpose`). Factoring
    :math:`M^\top`, which is column diagonally dominant, means partial pivoting never swaps rows: as
    in :mod:`pgbook.exact`, this keeps tiny values accurate (the chain's :math:`V^\pi(s_0) \sim 3^{-H}`),
    where pivoting on :math:`M` itself loses them (10% off at H = 30).
    """
    S, A = pi.shape
    M[:, :] = 0.0
    for s in range(S):
        M[s, s] = 1.0
    for s in range(S):
        r_pi = 0.0
        for a in range(A):
            p = pi[s, a]
            if p != 0.0:
                r_pi += p * r[s, a]
                for k in range(nxt.shape[2]):
                    M[nxt[s, a, k], s] -= gamma * p * prob[s, a, k]
        V[s] = r_pi
        if soft:
            Vb[s] = r_pi + bonus[s]
        nu[s] = rho[s]
    _lu_factor(M, piv)
    _lu_solve_transpose(M, piv, V)
    _lu_solve(M, piv, nu)
    _q_from_v(nxt, prob, r, gamma, V, Q)
    if soft:
        _lu_solve_transpose(M, piv, Vb)
        _q_from_v(nxt, prob, r, gamma, Vb, Qb)


@njit
def _q_from_v(nxt, prob, r, gamma, V, Q):
    S, A = r.shape
    for s in range(S):
        for a in range(A):
            q = 0.0
            for k in range(nxt.shape[2]):
                q += prob[s, a, k] * V[nxt[s, a, k]]
            Q[s, a] = r[s, a] + gamma * q


@njit
def _project_row(x, out):
    """Euclidean projection of ``x: (A,)`` onto the simplex (sort-based), written to ``out``."""
    A = x.size
    u = -np.sort(-x)
    css = 0.0
    tau = 0.0
    for k in range(A):
        css += u[k]
        t = (css - 1.0) / (k + 1)
        if u[k] - t > 0.0:
            tau = t
    for a in range(A):
        out[a] = max(x[a] - tau, 0.0)


@njit
def _workspace(S, A):
    """Arrays for one evaluation: log pi, pi, the LU of M (S, S) and its pivots, Q, V, nu."""
    return (np.zeros((S, A)), np.empty((S, A)), np.empty((S, S)), np.empty(S, dtype=np.int64),
            np.empty((S, A)), np.empty(S), np.empty(S))


@njit
def _record(t, every, x, V, xs, Vs):
    if t % every == 0:
        xs[t // every] = x
        Vs[t // every] = V


@njit
def tabular_run(kind, nxt, prob, r, gamma, rho, x0, eta, growth, lam, tau, alpha, T, every, until):
    r"""Run ``T`` iterations of one tabular method from ``x0: (S, A)``.

    ``x`` is the logits for ``SOFTMAX_PG`` and ``MIRROR``, the policy itself for ``PROJECTED`` and
    ``CPI``. Updates (``nu`` the occupancy, ``d = (1 - gamma) nu``):

    - SOFTMAX_PG: :math:`x \mathrel{+}= \eta [\nu(s)\pi(a|s)\tilde A(s,a) + \frac{\lambda}{SA}(1 - A\pi(a|s))]`,
      :math:`\tilde A = Q_\tau - \tau\log\pi - V_\tau` (``tau = 0``: the advantage).
    - MIRROR: :math:`x \leftarrow (1 - \eta_k\tau)\log\pi + \eta_k (Q_\tau - \max_a Q_\tau)`,
      :math:`\eta_{k+1} = \min(\eta_k \cdot \text{growth}, \text{ETA\_CAP})`.
    - PROJECTED: :math:`x \leftarrow \mathrm{Proj}_\Delta(x + \eta\,\nu(s) Q(s, a))`.
    - CPI: :math:`x \leftarrow (1 - \alpha_t) x + \alpha_t\,\mathrm{greedy}(A)`, :math:`\alpha_t = \alpha`
      or, for ``alpha <= 0``, :math:`\min(1, \mathbb A_t (1-\gamma)^2 / (4\gamma))`.

    Stops after ``T`` steps or once :math:`V(\rho) \ge` ``until``. Returns
    ``(V_rho, aux, xs, Vs, x, V, n)``: ``V_rho: (n+1,)``, ``aux: (n+1, 2)`` (per kind: gradient norm
    and objective; step size and objective; gradient norm and value; alpha and :math:`\mathbb A`),
    iterates and values recorded every ``every`` steps, the final iterate and its values, and ``n``
    the number of steps taken.
    """
    S, A = x0.shape
    soft = tau > 0.0
    x = x0.copy()
    logpi, pi, M, piv, Q, V, nu = _workspace(S, A)
    Qb = np.empty((S, A))
    Vb = np.empty(S)
    bonus = np.zeros(S)
    # The soft values drive the regularised methods; without regularisation they are Q and V.
    Qs, Vsoft = (Qb, Vb) if soft else (Q, V)
    row = np.empty(A)
    greedy = np.zeros(S, dtype=np.int64)
    V_rho = np.empty(T + 1)
    aux = np.zeros((T + 1, 2))
    xs = np.empty((T // every + 1, S, A))
    Vs = np.empty((T // every + 1, S))
    eta_k = eta
    n = 0
    for t in range(T + 1):
        n = t
        if kind == SOFTMAX_PG or kind == MIRROR:
            _log_softmax(x, logpi, pi)
        else:
            pi[:] = x
        if soft:
            for s in range(S):
                h = 0.0
                for a in range(A):
                    h -= pi[s, a] * logpi[s, a]
                bonus[s] = tau * h
        _evaluate(nxt, prob, r, gamma, pi, soft, bonus, rho, M, piv, Q, Qb, V, Vb, nu)
        v = 0.0
        vs = 0.0
        for s in range(S):
            v += rho[s] * V[s]
            vs += rho[s] * Vsoft[s]
        V_rho[t] = v
        _record(t, every, x, V, xs, Vs)
        go = t < T and v < until
        if kind == SOFTMAX_PG:
            norm2 = 0.0
            barrier = 0.0
            for s in range(S):
                for a in range(A):
                    g = nu[s] * pi[s, a] * (Qs[s, a] - tau * logpi[s, a] - Vsoft[s])
                    g += lam / (S * A) * (1.0 - A * pi[s, a])
                    barrier += logpi[s, a]
                    norm2 += g * g
                    if go:
                        x[s, a] += eta * g
            aux[t, 0] = np.sqrt(norm2)
            aux[t, 1] = vs + lam / (S * A) * barrier + lam * np.log(A)
        elif kind == MIRROR:
            aux[t, 0] = eta_k
            aux[t, 1] = vs
            if go:
                keep = 1.0 - eta_k * tau
                for s in range(S):
                    m = Qs[s, 0]
                    for a in range(1, A):
                        m = max(m, Qs[s, a])
                    for a in range(A):
                        x[s, a] = keep * logpi[s, a] + eta_k * (Qs[s, a] - m)
                eta_k = min(eta_k * growth, ETA_CAP)
        elif kind == PROJECTED:
            norm2 = 0.0
            for s in range(S):
                for a in range(A):
                    g = nu[s] * Q[s, a]
                    norm2 += g * g
                    row[a] = x[s, a] + eta * g
                if go:
                    _project_row(row, x[s])
            aux[t, 0] = np.sqrt(norm2)
            aux[t, 1] = v
        else:
            gain = 0.0
            for s in range(S):
                best = 0
                for a in range(1, A):
                    if Q[s, a] > Q[s, best]:
                        best = a
                greedy[s] = best
                gain += (1.0 - gamma) * nu[s] * (Q[s, best] - V[s])
            if alpha > 0.0:
                step = alpha
            elif gamma == 0.0:
                step = 1.0
            else:
                step = min(1.0, gain * (1.0 - gamma) ** 2 / (4.0 * gamma))
            aux[t, 0] = step
            aux[t, 1] = gain
            if go:
                for s in range(S):
                    x[s] *= 1.0 - step
                    x[s, greedy[s]] += step
        if not go:
            break
    return V_rho[: n + 1], aux[: n + 1], xs, Vs, x, V.copy(), n


@njit
def loglinear_run(kind, nxt, prob, r, gamma, rho, phi, theta0, eta, nu_sa, T, every, until):
    r"""Run ``T`` iterations of log-linear NPG from ``theta0: (d,)``; ``phi: (S, A, d)``.

    Each step fits :math:`w = \arg\min_w \sum_{s,a} \omega(s,a) (y(s,a) - w^\top f(s,a))^2`
    (minimum-norm least squares) and sets :math:`\theta \leftarrow \theta + \eta w`:

    - COMPATIBLE_NPG: :math:`f = \phi - \mathbb E_{a\sim\pi}\phi` (centred), :math:`y = A^\pi`,
      :math:`\omega(s,a) = d^\pi_\rho(s)\pi(a|s)`;
    - Q_NPG: :math:`f = \phi`, :math:`y = Q^\pi`, :math:`\omega` the state-action visitation from
      :math:`(s_0, a_0) \sim \nu`: :math:`(1-\gamma)\nu(s,a) + \gamma\, d^\pi_{\mu_1}(s)\pi(a|s)`
      with :math:`\mu_1(s') = \sum_{s,a}\nu(s,a)P(s'|s,a)`.

    Returns ``(V_rho, aux, thetas, Vs, theta, V, n)`` as :func:`tabular_run`; ``aux`` holds
    :math:`\|w\|_2` and the fit's weighted loss.
    """
    S, A, d = phi.shape
    theta = theta0.copy()
    logits = np.empty((S, A))
    logpi, pi, M, piv, Q, V, nu = _workspace(S, A)
    nu1 = np.empty(S)
    X = np.empty((S * A, d))
    y = np.empty(S * A)
    mu1 = np.zeros(S)
    V_rho = np.empty(T + 1)
    aux = np.zeros((T + 1, 2))
    thetas = np.empty((T // every + 1, d))
    Vs = np.empty((T // every + 1, S))
    n = 0
    if kind == Q_NPG:
        for s in range(S):
            for a in range(A):
                for k in range(nxt.shape[2]):
                    mu1[nxt[s, a, k]] += nu_sa[s, a] * prob[s, a, k]
    for t in range(T + 1):
        n = t
        for s in range(S):
            for a in range(A):
                z = 0.0
                for j in range(d):
                    z += phi[s, a, j] * theta[j]
                logits[s, a] = z
        _log_softmax(logits, logpi, pi)
        _evaluate(nxt, prob, r, gamma, pi, False, nu, rho, M, piv, Q, Q, V, V, nu)
        v = 0.0
        for s in range(S):
            v += rho[s] * V[s]
        V_rho[t] = v
        _record(t, every, theta, V, thetas, Vs)
        if kind == Q_NPG:
            nu1[:] = mu1
            _lu_solve(M, piv, nu1)
        for s in range(S):
            for a in range(A):
                i = s * A + a
                if kind == COMPATIBLE_NPG:
                    weight = (1.0 - gamma) * nu[s] * pi[s, a]
                    for j in range(d):
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
        w = np.linalg.lstsq(X, y, rcond=RCOND)[0]
        resid = y - X @ w
        aux[t, 0] = np.sqrt(np.sum(w * w))
        aux[t, 1] = np.sum(resid * resid)
        if t == T or v >= until:
            break
        theta += eta * w
    return V_rho[: n + 1], aux[: n + 1], thetas, Vs, theta, V.copy(), n
