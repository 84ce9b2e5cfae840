"""Optimal control and whole optimisation runs against their peers.

- value_iteration (tol 1e-8, span stop + MacQueen-Porteus correction) against a plain sup-norm
  value iteration, QuantEcon's ``DiscreteDP.solve(method="value_iteration")`` and pymdptoolbox's
  ``ValueIteration``; policy_iteration against QuantEcon's and pymdptoolbox's. Dense random MDPs,
  gamma = 0.99, A = 4. Every peer's sup-norm error ``||V - V*||`` stands next to its time (in the
  peer's name), V* from an exact policy-iteration solve.
- whole runs of :mod:`pgbook.algorithms`: a 1e6-iteration bandit PG run and chain PG/NPG runs,
  against a numpy loop over ``pgbook.gradients.softmax_gradient`` (timed on fewer iterations and
  scaled per iteration).

Peers are called with tolerances that promise the same accuracy: QuantEcon's epsilon = tol (its
rule ``||Tv - v|| < tol (1-beta)/(2 beta)``) with max_iter raised from its default 250, which stops
short at gamma = 0.99; pymdptoolbox's epsilon = 2 tol, which makes its span rule stop exactly where
ours does, so the difference is only the missing correction. pymdptoolbox 4.0b3 runs unchanged on
numpy 2 (no shim needed).
"""

from __future__ import annotations

import numpy as np

import pgbook
from pgbook import algorithms, envs, gradients, softmax

from ._harness import Row, best_time

TOL = 1e-8
GAMMA = 0.99


def sup_norm_value_iteration(mdp, tol):
    """The textbook rule: stop once ||V_{k+1} - V_k||_inf <= tol (1 - gamma)/(2 gamma)."""
    P = mdp.P.reshape(mdp.S * mdp.A, mdp.S)
    threshold = tol * (1 - mdp.gamma) / (2 * mdp.gamma)
    V = np.zeros(mdp.S)
    while True:
        V_next = (mdp.r + mdp.gamma * (P @ V).reshape(mdp.S, mdp.A)).max(axis=1)
        if np.abs(V_next - V).max() <= threshold:
            return V_next
        V = V_next


def _peers(mdp):
    import mdptoolbox.mdp
    import quantecon as qe

    ddp = qe.markov.DiscreteDP(np.array(mdp.r), np.array(mdp.P), mdp.gamma)
    P_tb = np.ascontiguousarray(np.transpose(mdp.P, (1, 0, 2)))
    R_tb = np.array(mdp.r)

    def toolbox(cls, **kw):
        def solve():
            solver = cls(P_tb, R_tb, mdp.gamma, **kw)
            solver.run()
            return np.asarray(solver.V)
        return solve

    vi = {
        "sup-norm VI": lambda: sup_norm_value_iteration(mdp, TOL),
        "QuantEcon VI": lambda: ddp.solve(method="value_iteration", epsilon=TOL, max_iter=10**6).v,
        "pymdptoolbox VI": toolbox(mdptoolbox.mdp.ValueIteration, epsilon=2 * TOL, max_iter=10**6),
    }
    pi = {
        "QuantEcon PI": lambda: ddp.solve(method="policy_iteration").v,
        "pymdptoolbox PI": toolbox(mdptoolbox.mdp.PolicyIteration),
    }
    return vi, pi


def _row(case, ours, V_star, peers, target="", speedup=None):
    """A row with every method's error in its label; met = within TOL (and ``speedup`` x the first peer)."""
    t_ours = best_time(ours, repeat=5)
    err_ours = np.abs(ours() - V_star).max()
    timed = {f"{name} [err {np.abs(fn() - V_star).max():.1e}]": best_time(fn, repeat=3) for name, fn in peers.items()}
    row = Row("control", f"{case} [err {err_ours:.1e}]", "s", t_ours, timed, target)
    if target:
        row.met = bool(err_ours <= TOL and (speedup is None or row.ratio(next(iter(row.peers))) >= speedup))
    return row


def control_rows() -> list[Row]:
    rows = []
    for S in (50, 200, 500):
        mdp = envs.random_mdp(S, 4, seed=S, gamma=GAMMA)
        _, V_star = pgbook.policy_iteration(mdp)
        vi, pi = _peers(mdp)
        speedup = 10 if S == 200 else None
        target = f"||V - V*|| <= {TOL:g}" + (f", >= {speedup}x faster than sup-norm VI" if speedup else "")
        rows.append(_row(f"value_iteration S={S} A=4 gamma={GAMMA}", lambda: pgbook.value_iteration(mdp, TOL)[1],
                         V_star, vi, target, speedup))
        rows.append(_row(f"policy_iteration S={S} A=4 gamma={GAMMA}", lambda: pgbook.policy_iteration(mdp)[1],
                         V_star, pi))
    return rows


def _numpy_pg_per_iteration(mdp, eta, n=300):
    """Seconds per iteration of softmax PG as a plain numpy loop over the exact gradient."""
    def loop():
        theta = np.zeros((mdp.S, mdp.A))
        for _ in range(n):
            theta = theta + eta * gradients.softmax_gradient(mdp, theta)
        return softmax(theta)
    return best_time(loop, repeat=3) / n


def run_rows() -> list[Row]:
    rows = []
    cases = [
        ("softmax_pg bandit r=(1, 0.9, 0.1), 1e6 iterations", algorithms.softmax_pg, envs.bandit([1.0, 0.9, 0.1]),
         0.4, 10**6),
        ("softmax_pg chain H=8 (S=10), 1e6 iterations", algorithms.softmax_pg, envs.chain(8), 1.0, 10**6),
        ("npg chain H=10 (S=12), 1e5 iterations", algorithms.npg, envs.chain(10), 0.1, 10**5),
    ]
    for case, fn, mdp, eta, T in cases:
        t = best_time(lambda: fn(mdp, eta, T), repeat=3, min_time=0.0)
        peer = _numpy_pg_per_iteration(mdp, eta) * T
        rows.append(Row("runs", case, "s", t, {"numpy loop of gradients.softmax_gradient (scaled)": peer},
                        "about a second (<= 1.5 s)", t <= 1.5))
    return rows


def rows() -> list[Row]:
    return control_rows() + run_rows()


if __name__ == "__main__":
    from ._harness import report

    print(report(rows()))
