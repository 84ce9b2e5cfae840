"""MDPs written out by hand from their published descriptions, sharing no code with pgbook's loaders.

Each returns plain numpy arrays in pgbook's layout, ``P[s, a, s']`` and ``r[s, a]`` (the expected
reward), with the terminal states and the start distribution: what a loader must produce from the
same source. The tests of the loaders (``tests/test_loaders.py``) and the chapter "Your own MDP"
(``tests/chapters/test_own_mdp.py``) compare against them.
"""

from __future__ import annotations

import numpy as np

#: The book's grid actions (left, down, right, up) as (row, column) moves; FrozenLake's order too.
MOVES = [(0, -1), (1, 0), (0, 1), (-1, 0)]


def frozen_lake(slippery: bool = True):
    """Gymnasium's FrozenLake 4x4 (``FrozenLake-v1``): on the slippery lake the intended move and the two
    moves at right angles to it happen with probability 1/3 each; a move off the lake stays put;
    holes H and the goal G end the episode; entering G pays 1. Starts at S (state 0)."""
    desc = ["SFFF", "FHFH", "FFFH", "HFFG"]
    S = 16
    P, r = np.zeros((S, 4, S)), np.zeros((S, 4))
    terminal = np.array([c in "HG" for row in desc for c in row])
    for s in range(S):
        if terminal[s]:
            P[s, :, s] = 1.0
            continue
        i, j = divmod(s, 4)
        for a in range(4):
            outcomes = [(a - 1) % 4, a, (a + 1) % 4] if slippery else [a]
            for b in outcomes:
                di, dj = MOVES[b]
                i2, j2 = min(max(i + di, 0), 3), min(max(j + dj, 0), 3)
                P[s, a, 4 * i2 + j2] += 1 / len(outcomes)
                r[s, a] += (desc[i2][j2] == "G") / len(outcomes)
    return P, r, terminal, np.eye(S)[0]


def cliff_walking(order: str = "pgbook"):
    """Gymnasium's CliffWalking (``CliffWalking-v1``), 4 x 12: start bottom-left (state 36), goal
    bottom-right (47, terminal), the cliff between them; every step pays -1, and a step into the cliff
    pays -100 and returns to the start. Deterministic moves, off the grid stays put. Actions in the
    book's grid order (left, down, right, up) or, ``order="gymnasium"``, in Gymnasium's (up, right,
    down, left)."""
    rows, cols = 4, 12
    S = rows * cols
    gym_moves = [(-1, 0), (0, 1), (1, 0), (0, -1)]
    moves = MOVES if order == "pgbook" else gym_moves
    P, r = np.zeros((S, 4, S)), np.zeros((S, 4))
    terminal = np.zeros(S, dtype=bool)
    terminal[S - 1] = True
    for s in range(S):
        if terminal[s]:
            P[s, :, s] = 1.0
            continue
        i, j = divmod(s, cols)
        for a, (di, dj) in enumerate(moves):
            i2, j2 = min(max(i + di, 0), rows - 1), min(max(j + dj, 0), cols - 1)
            if i2 == rows - 1 and 0 < j2 < cols - 1:  # the cliff
                P[s, a, 36] = 1.0
                r[s, a] = -100.0
            else:
                P[s, a, cols * i2 + j2] = 1.0
                r[s, a] = -1.0
    return P, r, terminal, np.eye(S)[36]


def grid(rows: list[str], slip: float, goal_reward: float = 1.0, pit_reward: float = 0.0, step_reward: float = 0.0):
    """A typed grid, as the chapter describes it: each non-wall cell a state (row by row); the intended
    move with probability 1 - slip, each perpendicular one with slip/2; into a wall or off the grid
    stays; G and X end the episode; entering G pays goal_reward, X pit_reward, and every step
    step_reward. Starts uniformly on the S cells."""
    cells = [(i, j) for i, row in enumerate(rows) for j, c in enumerate(row) if c != "#"]
    index = {cell: s for s, cell in enumerate(cells)}
    S = len(cells)
    kind = [rows[i][j] for i, j in cells]
    terminal = np.array([k in "GX" for k in kind])
    P, r = np.zeros((S, 4, S)), np.zeros((S, 4))
    for s, (i, j) in enumerate(cells):
        if terminal[s]:
            P[s, :, s] = 1.0
            continue
        for a in range(4):
            for b, p in ((a, 1 - slip), ((a + 1) % 4, slip / 2), ((a + 3) % 4, slip / 2)):
                di, dj = MOVES[b]
                s2 = index.get((i + di, j + dj), s)
                P[s, a, s2] += p
                r[s, a] += p * {"G": goal_reward, "X": pit_reward}.get(kind[s2], 0.0)
            r[s, a] += step_reward
    start = np.array([k == "S" for k in kind], dtype=float)
    return P, r, terminal, start / start.sum()


def forest():
    """pymdptoolbox's forest-management example with its defaults (``mdptoolbox.example.forest()``:
    S = 3, r1 = 4, r2 = 2, p = 0.1), from its description: the state is the forest's age; *wait*
    (action 0) ages it by one (the oldest stays oldest), unless a fire (probability p) burns it back to
    0; *cut* (action 1) sends it to 0. Waiting pays r1 in the oldest state; cutting pays 1 in a middle
    state and r2 in the oldest. In pgbook's layout."""
    p, r1, r2 = 0.1, 4.0, 2.0
    P = np.zeros((3, 2, 3))
    for s in range(3):
        P[s, 0, 0] = p
        P[s, 0, min(s + 1, 2)] += 1 - p
        P[s, 1, 0] = 1.0
    r = np.array([[0.0, 0.0], [0.0, 1.0], [r1, r2]])
    return P, r


def value_iteration(P, r, gamma, terminal=None, sweeps=20000, tol=1e-13):
    """V* and a greedy optimal action per state by plain value iteration (gamma = 1 needs terminal states,
    whose values stay 0)."""
    V = np.zeros(len(P))
    live = np.ones(len(P), dtype=bool) if terminal is None else ~terminal
    for _ in range(sweeps):
        Q = r + gamma * P @ V
        V_next = np.where(live, Q.max(axis=1), 0.0)
        if np.abs(V_next - V).max() < tol:
            V = V_next
            break
        V = V_next
    return V, (r + gamma * P @ V).argmax(axis=1)



