"""The tests' one reference for exact policy evaluation: plain dense numpy solves.

It shares no code with :mod:`pgbook.exact` (one LU factorisation in numba kernels, the
occupancy by a transposed solve of the same factors): here every quantity is its textbook formula
and one ``np.linalg.solve``. Tests that check pgbook against an independent computation use it;
tests that need another *method* (a series, Bellman backups, sampling) write that method out.

The arguments are plain arrays in pgbook's layout, ``P: (S, A, S)``, ``r: (S, A)``, ``pi: (S, A)``,
so that the reference does not go through :class:`pgbook.MDP` either; ``pi`` may be any matrix
(the direct parameterisation differentiates off the simplex).
"""

from __future__ import annotations

import numpy as np


def chain(P, r, pi):
    """The policy's Markov chain: ``P_pi(s, s') = sum_a pi(a|s) P(s'|s, a)`` and ``r_pi(s) = sum_a pi(a|s) r(s, a)``."""
    return np.einsum("sa,sat->st", pi, P), np.sum(pi * r, axis=1)


def value(P, r, gamma, pi, terminal=None):
    """``V^pi = (I - gamma P_pi)^{-1} r_pi``; with gamma = 1, the terminal states' values are 0 and the
    system is solved on the others."""
    P_pi, r_pi = chain(P, r, pi)
    if terminal is not None and gamma == 1.0:
        live = ~np.asarray(terminal)
        V = np.zeros(len(P))
        V[live] = np.linalg.solve(np.eye(live.sum()) - P_pi[np.ix_(live, live)], r_pi[live])
        return V
    return np.linalg.solve(np.eye(len(P)) - gamma * P_pi, r_pi)


def q_value(P, r, gamma, pi):
    """``Q^pi(s, a) = r(s, a) + gamma sum_s' P(s'|s, a) V^pi(s')``."""
    return r + gamma * P @ value(P, r, gamma, pi)


def occupancy(P, gamma, pi, start):
    """The unnormalised discounted occupancy ``start^T (I - gamma P_pi)^{-1}``."""
    P_pi = np.einsum("sa,sat->st", pi, P)
    return np.linalg.solve((np.eye(len(P)) - gamma * P_pi).T, start)


def visitation(P, gamma, pi, start):
    """The normalised discounted visitation ``d^pi_start = (1 - gamma) start^T (I - gamma P_pi)^{-1}``, gamma < 1."""
    return (1 - gamma) * occupancy(P, gamma, pi, start)


def evaluate(P, r, gamma, pi, rho):
    """``(V, Q, A, d)``: values, action values, advantages and the visitation ``d^pi_rho``."""
    V = value(P, r, gamma, pi)
    Q = r + gamma * P @ V
    return V, Q, Q - V[:, None], visitation(P, gamma, pi, rho)
