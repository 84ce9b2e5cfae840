r"""The exact path for the chain MDP: values, gradients and hitting times beyond float64.

On the chain of :func:`pgbook.envs.chain` a random policy reaches the rewarding state with
probability about :math:`3^{-H}`, so :math:`V^\pi(s_0)` falls below :math:`10^{-13} V^\star(s_0)` for
:math:`H \ge 30`, where a textbook float64 solve returns noise (AKLM Remark 4.1). Under the direct policy with :math:`\pi(a_1|s_i) = p` the
chain is a birth-death chain: :math:`I - \gamma P_\pi` is tridiagonal, so values and visitation
are :math:`O(H)` eliminations, done here in mpmath (``dps`` significant digits) or exactly in
rational arithmetic.
"""

from __future__ import annotations

import numbers
from fractions import Fraction
from typing import NamedTuple

import mpmath

from . import _validate as validate


class ChainExact(NamedTuple):
    r"""High-precision facts about the chain MDP with horizon H (mpmath numbers).

    Attributes
    ----------
    V_star : mpmath.mpf
        :math:`V^\star(s_0)`.
    V_pi : mpmath.mpf
        :math:`V^\pi(s_0)`.
    grad : list of mpmath.mpf
        The H non-zero entries :math:`\partial V^\pi(s_0)/\partial\theta_{s_i, a_1}`, :math:`i = 1..H`
        (the other 2H free coordinates have zero derivative).
    grad_norm : mpmath.mpf
        :math:`\|\nabla_\theta V^\pi(s_0)\|_2`.
    """

    V_star: mpmath.mpf
    V_pi: mpmath.mpf
    grad: list
    grad_norm: mpmath.mpf


def chain_exact(H: int, theta_a1: float = 0.25, dps: int = 60) -> ChainExact:
    r"""Exact values and gradient at :math:`s_0` of the chain MDP (AKLM Prop. 4.1) in high precision.

    The direct policy plays :math:`\pi(a_1|s_i) = \theta_{a_1}` in every :math:`s_i`,
    :math:`1 \le i \le H` (any split of the rest over :math:`a_2, a_3, a_4` gives the same numbers:
    they all move back), and :math:`a_1` in :math:`s_0, s_{H+1}`; :math:`\gamma = H/(H+1)`. With
    :math:`V = (I - \gamma P_\pi)^{-1} r_\pi` and :math:`\nu^\top = \delta_{s_0}^\top (I - \gamma P_\pi)^{-1}`,

    .. math:: \frac{\partial V^\pi(s_0)}{\partial \theta_{s_i, a_j}} = \nu(s_i)\big(Q(s_i, a_j) - Q(s_i, a_4)\big)
              = \mathbb 1[j = 1]\, \nu(s_i)\, \gamma \big(V(s_{i+1}) - V(s_{i-1})\big).

    :math:`V^\star(s_0)` is the same solve with :math:`\theta_{a_1} = 1` (AKLM Proposition 4.1 and
    Appendix B.2).

    Parameters
    ----------
    H : int
        >= 1, any size (the cost is O(H)).
    theta_a1 : float
        In [0, 1].
    dps : int
        Significant digits, >= 50.

    Returns
    -------
    ChainExact

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> from pgbook import envs, highprec
    >>> facts = highprec.chain_exact(40)
    >>> float(facts.V_star), float(facts.V_pi)  # V^pi(s_0) ~ 5e-18: far below float64 round-off of V*
    (14.897224947912202, 4.870897879865189e-18)
    >>> small, pi = highprec.chain_exact(5, theta_a1=0.5), envs.chain_policy([[0.5, 0.2, 0.2]] * 5)
    >>> g = pgbook.direct_gradient(envs.chain(5), pi)  # where float64 works, the same numbers
    >>> round(float(small.V_pi), 10), round(float(pgbook.value(envs.chain(5), pi)[0]), 10)
    (0.2865509052, 0.2865509052)
    >>> bool(np.allclose([float(x) for x in small.grad], g[1:-1, 0] - g[1:-1, 3])), round(float(small.grad_norm), 6)
    (True, 1.083209)
    """
    H = validate.positive_int(H, "H")
    p = validate.positive_real(theta_a1, "theta_a1", allow_zero=True)
    if p > 1.0:
        raise ValueError(f"theta_a1: a probability must be at most 1, got {p!r}")
    dps = validate.positive_int(dps, "dps")
    if dps < 50:
        raise ValueError(f"dps: the exact path works with at least 50 digits, got {dps}")
    with mpmath.workdps(dps):
        gamma = mpmath.mpf(H) / (H + 1)
        V, nu = _chain_solve(H, mpmath.mpf(p), gamma)
        V_star, _ = _chain_solve(H, mpmath.mpf(1), gamma)
        grad = [nu[i] * gamma * (V[i + 1] - V[i - 1]) for i in range(1, H + 1)]
        norm = mpmath.sqrt(mpmath.fsum(g**2 for g in grad))
        return ChainExact(V_star=+V_star[0], V_pi=+V[0], grad=[+g for g in grad], grad_norm=+norm)


def _chain_solve(H: int, p, gamma) -> tuple[list, list]:
    """V and nu (from s_0) of the chain policy with forward probability p, by tridiagonal elimination."""
    # M = I - gamma P_pi: s_0 -> s_1; s_i -> s_{i+1} w.p. p, s_{i-1} otherwise; s_{H+1} absorbing.
    diag = [1] * (H + 1) + [1 - gamma]
    upper = [-gamma] + [-gamma * p] * H
    lower = [-gamma * (1 - p)] * H + [0]
    V = _tridiagonal_solve(lower, diag, upper, [0] * (H + 1) + [1])
    # M^T swaps the two off-diagonals.
    nu = _tridiagonal_solve(upper, diag, lower, [1] + [0] * (H + 1))
    return V, nu


def _tridiagonal_solve(lower: list, diag: list, upper: list, b: list) -> list:
    r"""Solve :math:`T x = b` with ``T[i, i] = diag[i]``, ``T[i+1, i] = lower[i]``, ``T[i, i+1] = upper[i]``.

    Gaussian elimination without pivoting (the Thomas algorithm), in whatever arithmetic the
    entries carry (mpmath or :class:`fractions.Fraction`). The matrices here are diagonally dominant
    M-matrices, so the pivots stay positive and nothing cancels.
    """
    n = len(diag)
    c = [0] * n  # after elimination, row i reads x[i] + c[i] x[i+1] = y[i]
    y = [0] * n
    for i in range(n):
        pivot, rhs = diag[i], b[i]
        if i > 0:
            pivot -= lower[i - 1] * c[i - 1]
            rhs -= lower[i - 1] * y[i - 1]
        if i < n - 1:
            c[i] = upper[i] / pivot
        y[i] = rhs / pivot
    for i in range(n - 2, -1, -1):
        y[i] -= c[i] * y[i + 1]
    return y


def chain_hitting_time(H: int, forward=Fraction(1, 4)) -> Fraction:
    r"""The exact expected time for a random walk on the chain to reach :math:`s_{H+1}` from :math:`s_0`.

    Each step moves from :math:`s_i` (:math:`1 \le i \le H`) to :math:`s_{i+1}` with probability
    ``forward`` and back otherwise (the uniform policy has forward probability 1/4); :math:`s_0` moves
    to :math:`s_1`. The hitting times solve :math:`T = \mathbf 1 + P_{\text{transient}} T`, solved
    here exactly in rational arithmetic. For the uniform policy the answer is
    :math:`(9 \cdot 3^H - 4H - 7)/2` (a gambler's-ruin computation, checked exactly for H = 2..20 in
    the tests; Thrun 1992 for why undirected exploration takes exponential time).

    Parameters
    ----------
    H : int
        >= 1.
    forward : fractions.Fraction
        A rational probability in (0, 1].

    Returns
    -------
    fractions.Fraction

    Examples
    --------
    >>> from fractions import Fraction
    >>> from pgbook import highprec
    >>> highprec.chain_hitting_time(2)  # (9 * 3^2 - 4 * 2 - 7) / 2
    Fraction(33, 1)
    >>> highprec.chain_hitting_time(3) == (9 * 3**3 - 4 * 3 - 7) / 2, highprec.chain_hitting_time(3, Fraction(1))
    (True, Fraction(4, 1))
    >>> highprec.chain_hitting_time(3, Fraction(1, 2))  # a fair coin: polynomial, not exponential
    Fraction(16, 1)
    """
    H = validate.positive_int(H, "H")
    if isinstance(forward, bool) or not isinstance(forward, numbers.Rational) or not 0 < forward <= 1:
        raise ValueError(f"forward: expected a rational probability in (0, 1] (e.g. Fraction(1, 4)), got {forward!r}")
    p = Fraction(forward)
    # Unknowns T(s_0..s_H); T(s_{H+1}) = 0. Row i: T_i - p T_{i+1} - (1-p) T_{i-1} = 1.
    diag = [Fraction(1)] * (H + 1)
    upper = [Fraction(-1)] + [-p] * (H - 1)
    lower = [p - 1] * H
    return _tridiagonal_solve(lower, diag, upper, [Fraction(1)] * (H + 1))[0]
