"""Trajectory sampling and REINFORCE: pgbook (numba, 1 and 2 threads) beside its peers.

Peers, all measured in this run:
- Gymnasium: ``gymnasium.make("FrozenLake-v1")`` stepped in a plain Python loop by a uniformly random
  policy (16 states, 4 actions), resetting when an episode ends -- the usual way to sample an MDP.
- numpy: a lock-step batch sampler written here, vectorised over episodes. Each step draws every
  episode's action and next state by inverse-CDF search: the cumulative rows, shifted by their row
  index, form one sorted array, so one ``searchsorted`` serves all episodes at once.
- For REINFORCE, the same numpy sampler followed by a vectorised estimate (suffix sums and bincount).

Batch sizes are those of use: 10,000 episodes of 100 steps per call (1e6 steps, 16 MB of output,
fresh arrays each call unless the case says ``out=``), and 100,000 REINFORCE episodes (a random 5 x 3 MDP, gamma = 0.8).
"""

from __future__ import annotations

import numba
import numpy as np

import pgbook
from pgbook.envs import random_mdp
from pgbook.sampling import _transition_tables

from ._harness import Row, best_time

N_EPISODES, HORIZON = 10_000, 100
N_REINFORCE = 100_000
GYM_STEPS = 20_000


def _shifted_cdf(p: np.ndarray) -> np.ndarray:
    """Rows' cumulative sums plus the row index, flattened: one sorted array for every row."""
    return (np.cumsum(p, axis=-1) + np.arange(p.shape[0])[:, None]).ravel()


def _pick(shifted: np.ndarray, row: np.ndarray, K: int, rng: np.random.Generator) -> np.ndarray:
    """One draw from each row ``row[i]`` (K outcomes per row) by inverse CDF."""
    k = np.searchsorted(shifted, row + rng.random(row.shape[0]), side="right") - row * K
    return np.minimum(k, K - 1)  # u within rounding of 1 can fall just past its row


def numpy_episodes(mdp, pi, n: int, horizon: int, seed: int):
    """The numpy peer: lock-step batch sampling, the same law as pgbook.sample_episodes."""
    rng = np.random.default_rng(seed)
    S, A = mdp.S, mdp.A
    pi_cdf = _shifted_cdf(pi)
    P_cdf = _shifted_cdf(mdp.P.reshape(S * A, S))
    states = np.empty((n, horizon), dtype=np.int32)
    actions = np.empty((n, horizon), dtype=np.int32)
    s = np.minimum(np.searchsorted(np.cumsum(mdp.rho), rng.random(n), side="right"), S - 1)
    for t in range(horizon):
        a = _pick(pi_cdf, s, A, rng)
        states[:, t] = s
        actions[:, t] = a
        s = _pick(P_cdf, s * A + a, S, rng)
    return states, actions, mdp.r[states, actions]


def numpy_reinforce(mdp, theta, n: int, horizon: int, seed: int) -> np.ndarray:
    """The numpy peer of pgbook.reinforce_gradient (no baseline)."""
    pi = pgbook.softmax(theta)
    states, actions, rewards = numpy_episodes(mdp, pi, n, horizon, seed)
    disc = mdp.gamma ** np.arange(horizon)
    w = np.cumsum((rewards * disc)[:, ::-1], axis=1)[:, ::-1]  # gamma^t Q_hat(s_t, a_t)
    C = np.bincount((states * mdp.A + actions).ravel(), weights=w.ravel(), minlength=mdp.S * mdp.A)
    W = np.bincount(states.ravel(), weights=w.ravel(), minlength=mdp.S)
    return (C.reshape(mdp.S, mdp.A) - W[:, None] * pi) / n


def gymnasium_steps_per_second() -> float:
    import gymnasium

    env = gymnasium.make("FrozenLake-v1")
    actions = np.random.default_rng(0).integers(0, 4, size=GYM_STEPS).tolist()

    def loop():
        env.reset(seed=0)
        for a in actions:
            _, _, terminated, truncated, _ = env.step(a)
            if terminated or truncated:
                env.reset()

    return GYM_STEPS / best_time(loop, repeat=3)


def _at_threads(threads: int, fn) -> float:
    before = numba.get_num_threads()
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    try:
        return best_time(fn)
    finally:
        numba.set_num_threads(before)


def _sampling_row(S: int, A: int, target: float, gym: float | None, reuse: bool = False) -> Row:
    mdp = random_mdp(S, A, 0)
    pi = pgbook.softmax(np.random.default_rng(1).normal(size=(S, A)))
    steps = N_EPISODES * HORIZON
    out = pgbook.sample_episodes(mdp, pi, N_EPISODES, HORIZON, 0) if reuse else None

    def ours():
        pgbook.sample_episodes(mdp, pi, N_EPISODES, HORIZON, 0, out=out)

    rate = {k: steps / _at_threads(k, ours) for k in (1, 2)}
    peers = {"pgbook 1 thread": rate[1]}
    if not reuse:
        peers["numpy lock-step batch"] = steps / best_time(lambda: numpy_episodes(mdp, pi, N_EPISODES, HORIZON, 0),
                                                           repeat=3)
    if gym is not None:
        peers["Gymnasium FrozenLake env.step loop"] = gym
    case = (f"sample_episodes S={S} A={A}, {N_EPISODES} episodes x {HORIZON} steps, "
            f"{'out= reused' if reuse else 'fresh arrays'}, 2 threads")
    return Row("sampling", case, "steps/s", rate[2], peers, f">= {target / 1e6:g} M steps/s on 2 threads",
               rate[2] >= target)


def _reinforce_row() -> list[Row]:
    mdp = random_mdp(64, 4, 0)
    theta = np.random.default_rng(1).normal(size=(64, 4))
    V = pgbook.value(mdp, pgbook.softmax(theta))
    n = N_REINFORCE
    rate = {k: n / _at_threads(k, lambda: pgbook.reinforce_gradient(mdp, theta, n, HORIZON, 0)) for k in (1, 2)}
    numpy_rate = n / best_time(lambda: numpy_reinforce(mdp, theta, n, HORIZON, 0), repeat=3)
    stderr_rate = n / _at_threads(2, lambda: pgbook.reinforce_gradient(mdp, theta, n, HORIZON, 0, V,
                                                                       return_stderr=True))
    geometric_rate = n / _at_threads(2, lambda: pgbook.reinforce_gradient_geometric(mdp, theta, n, 0))
    return [
        Row("sampling", f"reinforce_gradient S=64 A=4, {n} episodes x {HORIZON} steps, 2 threads", "episodes/s",
            rate[2], {"pgbook 1 thread": rate[1], "numpy lock-step batch + bincount": numpy_rate},
            ">= 500 k episodes/s on 2 threads", rate[2] >= 500e3),
        Row("sampling", "  same with baseline V and return_stderr=True", "episodes/s", stderr_rate,
            {"numpy lock-step batch + bincount": numpy_rate}),
        Row("sampling", f"  reinforce_gradient_geometric (gamma 0.9: {(1 + 0.9) / 0.1:g} steps per episode)",
            "episodes/s", geometric_rate),
    ]


def _table_row() -> Row:
    mdp = random_mdp(1000, 10, 0)

    def build():
        _transition_tables.cache_clear()
        _transition_tables(mdp)

    seconds = _at_threads(2, build)
    return Row("sampling", "alias tables of P, S=1000 A=10 (1e7 entries; once per MDP, then cached)", "s", seconds)


def rows() -> list[Row]:
    gym = gymnasium_steps_per_second()
    return [
        _sampling_row(64, 4, 100e6, gym),
        _sampling_row(64, 4, 100e6, None, reuse=True),
        _sampling_row(1000, 10, 20e6, None),
        *_reinforce_row(),
        _table_row(),
    ]
