"""pgbook.theory.guarantees: each iteration count against its theorem's own bound evaluated at that count,
and against the count solved by sympy (or, for Xiao's, bisection) from the bound written out by hand; D from the visitation's series;
bad input refused by name."""

import functools

import numpy as np
import pytest
import scipy.optimize
import sympy

from pgbook import envs
from pgbook.theory import guarantees, landscape, npg
import oracle

GRID = envs.gridworld()
RHO = np.full(GRID.S, 1 / GRID.S)
EPS = 0.05


def d_star_series(mdp, rho, terms=2000):
    """D = max d^pi*_rho / rho, with V* by value iteration and d by its series (no pgbook solver)."""
    V = np.zeros(mdp.S)
    for _ in range(3000):
        V = (mdp.r + mdp.gamma * mdp.P @ V).max(axis=1)
    pi = np.eye(mdp.A)[(mdp.r + mdp.gamma * mdp.P @ V).argmax(axis=1)]
    P_pi = np.einsum("sa,sat->st", pi, mdp.P)
    d, x = np.zeros(mdp.S), rho.copy()
    for t in range(terms):
        d += (1 - mdp.gamma) * mdp.gamma**t * x
        x = x @ P_pi
    return np.max(d / rho)


@pytest.mark.parametrize("gamma", [0.5, 0.9])
def test_each_count_against_an_independent_computation(gamma):
    mdp = envs.gridworld(gamma=gamma)
    S, A = mdp.S, mdp.A
    counts = guarantees.iterations(mdp, EPS, RHO)
    assert list(counts) == list(guarantees.ROWS)
    D = d_star_series(mdp, RHO)
    # R1: AKLM Thm 4.1's bound evaluated at its count is eps
    assert float(landscape.pga_bound(mdp, counts["R1"], D)) == pytest.approx(EPS, rel=1e-9)
    # R6: AKLM Thm 5.3's bound at eta = (1-gamma)^2 log|A| evaluated at its count is eps
    eta = (1 - gamma) ** 2 * np.log(A)
    assert float(npg.npg_bound(counts["R6"], eta, A, gamma)) == pytest.approx(EPS, rel=1e-12)
    # R8: the root of Xiao's bound (1 - 1/theta)^T 2/(1-gamma) = eps, by bisection, lies in
    # [(theta-1)/theta, 1] times the count, since -log(1 - 1/theta) lies in [1/theta, 1/(theta-1)]
    theta = D / (1 - gamma)
    root = scipy.optimize.brentq(lambda T: (1 - 1 / theta) ** T * 2 / (1 - gamma) - EPS, 0, 1e6, xtol=1e-9)
    assert (theta - 1) / theta * counts["R8"] <= root <= counts["R8"]
    for row, expr in solved().items():
        value = float(expr.subs(dict(zip(sympy.symbols("gamma S A D epsilon", positive=True), (gamma, S, A, D, EPS)))))
        assert counts[row] == pytest.approx(value, rel=1e-8), row


@functools.cache
def solved():
    """T solved by sympy from AKLM Thm 4.1, Cor 5.1 (corrected constant) and Thm 5.3 at eta = (1-gamma)^2 log|A|."""
    T = sympy.Symbol("T", positive=True)
    g, s, a, d, e = sympy.symbols("gamma S A D epsilon", positive=True)
    return {
        "R1": sympy.solve(sympy.sqrt(64 * g * s * a * d**2 / ((1 - g) ** 6 * T)) - e, T)[0],
        "R4": sympy.solve(sympy.sqrt(320 * s**2 * a**2 * d**2 / ((1 - g) ** 6 * T)) - e, T)[0],
        "R6": sympy.solve(sympy.log(a) / ((1 - g) ** 2 * sympy.log(a) * T) + 1 / ((1 - g) ** 2 * T) - e, T)[0],
    }


def test_the_counts_grow_as_their_theorems_say():
    """Halving eps: R1 and R4 by 4, R6 by 2, R8 by an added theta log 2."""
    half, full = guarantees.iterations(GRID, EPS / 2, RHO), guarantees.iterations(GRID, EPS, RHO)
    assert half["R1"] / full["R1"] == pytest.approx(4) and half["R4"] / full["R4"] == pytest.approx(4)
    assert half["R6"] / full["R6"] == pytest.approx(2)
    theta = d_star_series(GRID, RHO) / (1 - GRID.gamma)
    assert half["R8"] - full["R8"] == pytest.approx(theta * np.log(2), rel=1e-9)


def test_bad_input_is_refused_by_name():
    with pytest.raises(ValueError, match="eps"):
        guarantees.iterations(GRID, 0.0, RHO)
    with pytest.raises(ValueError, match="rho"):
        guarantees.iterations(GRID, EPS, np.r_[0.0, np.full(GRID.S - 1, 1 / (GRID.S - 1))])
    with pytest.raises(TypeError):
        guarantees.iterations("gridworld", EPS)
