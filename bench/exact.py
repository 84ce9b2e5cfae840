"""Exact policy evaluation: ``pgbook.value`` against numpy's form-and-solve and QuantEcon.

Dense random MDPs (``random_mdp``), A = 4, gamma = 0.99, a random stochastic policy. The MDP is
built before timing (its P is validated once there); every timed call of ``value`` checks pi.

Peers:
- numpy: ``P_pi = einsum``, ``r_pi = einsum``, ``np.linalg.solve(I - gamma P_pi, r_pi)`` -- the
  textbook form, with no checks at all;
- quantecon: ``DiscreteDP(R, Q, beta).evaluate_policy(sigma)``, which only takes deterministic
  policies, so it evaluates the argmax of the same pi (same matrix sizes, same solve).
"""

from __future__ import annotations

import numpy as np
import quantecon

from pgbook import envs, exact, softmax

from ._harness import Row, best_time

GAMMA = 0.99
A = 4
#: S -> the most pgbook may take, as a multiple of numpy's time.
TARGETS = {50: 2.0, 200: 1.15, 500: 1.15, 1000: 1.15}


def _numpy_value(P, r, gamma, pi):
    P_pi = np.einsum("sa,sat->st", pi, P)
    r_pi = np.einsum("sa,sa->s", pi, r)
    return np.linalg.solve(np.eye(P.shape[0]) - gamma * P_pi, r_pi)


def rows() -> list[Row]:
    out = []
    for S, limit in TARGETS.items():
        mdp = envs.random_mdp(S, A, seed=S, gamma=GAMMA)
        pi = softmax(np.random.default_rng(S).standard_normal((S, A)))
        P, r = np.array(mdp.P), np.array(mdp.r)
        ddp = quantecon.markov.DiscreteDP(r, P, GAMMA)
        sigma = pi.argmax(axis=1)
        assert np.allclose(exact.value(mdp, pi), _numpy_value(P, r, GAMMA, pi), rtol=1e-10, atol=0)
        ours = best_time(lambda: exact.value(mdp, pi))
        peers = {
            "numpy": best_time(lambda: _numpy_value(P, r, GAMMA, pi)),
            "quantecon": best_time(lambda: ddp.evaluate_policy(sigma)),
        }
        out.append(Row(
            group="exact",
            case=f"value, S={S}, A={A}, gamma={GAMMA}",
            unit="s",
            ours=ours,
            peers=peers,
            target=f"<= {limit:g}x numpy's time",
            met=ours <= limit * peers["numpy"],
        ))
    return out
