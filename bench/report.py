"""``pgbook.explain``: the book's analysis of a 100-state MDP, against the target of one second.

- cases: a typed 10 x 10 grid (gamma = 0.95, the goal in the far corner, so that PG runs its whole
  budget of 2000 iterations) and a dense random MDP (S = 100, A = 4, gamma = 0.99);
- peer: the same analysis called function by function, its PG and NPG runs as numpy loops over
  ``pgbook.softmax_gradient`` and ``pgbook.npg_step`` for as many iterations as explain's runs took;
- the HTML rendering (two figures) on its own row: it runs only when a notebook displays the report.
"""

from __future__ import annotations

import numpy as np

import pgbook
from pgbook import envs

from ._harness import Row, best_time

GRID = ["S" + "." * 9, *["." * 10] * 4, "...##.....", *["." * 10] * 3, "." * 9 + "G"]


def by_hand(mdp, pg_iterations: int, npg_iterations: int):
    """explain's numbers, one public function at a time, the runs as numpy loops."""
    pi_star, V_star = pgbook.policy_iteration(mdp)
    pi_0 = pgbook.uniform(mdp)
    at_start = pgbook.evaluate(mdp, pi_0)
    star = pgbook.evaluate(mdp, pi_star)
    shares = star.occupancy * np.sum(pi_star * at_start.adv, axis=1)
    theta = np.zeros((mdp.S, mdp.A))
    for _ in range(pg_iterations):
        theta = theta + pgbook.softmax_gradient(mdp, theta)
    logits = np.zeros((mdp.S, mdp.A))
    for _ in range(npg_iterations):
        logits = pgbook.npg_step(mdp, logits, 1.0)
    return V_star, shares, theta, logits


def rows() -> list[Row]:
    cases = [
        ("typed 10 x 10 grid (S = 98), gamma = 0.95", pgbook.from_grid(GRID, gamma=0.95)),
        ("dense random MDP S = 100, A = 4, gamma = 0.99", envs.random_mdp(100, 4, seed=0, gamma=0.99)),
    ]
    out = []
    for case, mdp in cases:
        report = pgbook.explain(mdp)
        t = best_time(lambda: pgbook.explain(mdp), repeat=3, min_time=0.0)
        n_pg, n_npg = report.pg.iterations, report.npg.iterations
        peer = best_time(lambda: by_hand(mdp, n_pg, n_npg), repeat=3, min_time=0.0)
        out.append(Row("report", f"explain, {case} (PG {n_pg}, NPG {n_npg} iterations)", "s", t,
                       {"the same by hand: numpy loops of softmax_gradient and npg_step": peer}, "<= 1 s", t <= 1.0))
        out.append(Row("report", "  its HTML: two figures, rendered when a notebook shows it", "s",
                       best_time(report.html, repeat=3, min_time=0.0)))
    return out


if __name__ == "__main__":
    from ._harness import report as table

    print(table(rows()))
