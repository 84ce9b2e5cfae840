"""Trajectory sampling and sampled policy gradients (pgbook.sampling) against exact quantities.

Statistical checks use fixed seeds and per-coordinate z-scores, |z| <= Z_MAX over all coordinates; a
wrong reward, an off-by-one in time, a transposed table or a missing factor gives |z| in the tens.
Each statistical test runs at a small size in the fast set (also in the pure-Python pass) and, in the
slow set, at 10^5 episodes of a random 5 x 3 MDP with gamma = 0.8 (the experiment behind AJKS
Lemma 11.7, the unbiasedness of REINFORCE).
"""

from __future__ import annotations

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pgbook
from pgbook import _sampling_kernels as kernels
from pgbook import sampling
from pgbook._numba import kernel_array
from pgbook.envs import gridworld, random_mdp

from conftest import central_difference

Z_MAX = 4.5

#: (gamma, number of episodes): fast enough for NUMBA_DISABLE_JIT, and the slow set's experiment.
SIZES = [
    pytest.param(0.5, 3_000, id="fast"),
    pytest.param(0.8, 100_000, id="A7", marks=pytest.mark.slow),
]


def mdp_theta(gamma, seed=11, random_rho=False):
    """A random 5 x 3 MDP and random softmax parameters."""
    mdp = random_mdp(5, 3, seed, gamma=gamma, random_rho=random_rho)
    theta = np.random.default_rng(seed + 1).normal(scale=1.0, size=(5, 3))
    return mdp, theta


def finite_difference_gradient(mdp, theta, rho=None):
    """Central differences of V^{pi_theta}(rho) computed by pgbook.value (independent of the theorem)."""
    rho = mdp.rho if rho is None else rho
    return central_difference(lambda th: rho @ pgbook.value(mdp, pgbook.softmax(th)), theta, h=1e-5)


def assert_z(mean, stderr, expected, what, z_max=Z_MAX):
    mean, stderr, expected = np.broadcast_arrays(mean, stderr, expected)
    exact = stderr == 0
    assert np.array_equal(mean[exact], expected[exact]), f"{what}: zero-variance entries differ"
    z = np.abs(mean[~exact] - expected[~exact]) / stderr[~exact]
    assert z.max() <= z_max, f"{what}: max |z| = {z.max():.2f} > {z_max}"


def assert_multinomial(counts, total, p, what):
    """counts ~ Multinomial(total, p) (per coordinate: Binomial), zero-probability cells never hit."""
    counts, total, p = np.broadcast_arrays(np.asarray(counts, float), np.asarray(total, float), p)
    assert (counts[p == 0] == 0).all(), f"{what}: an outcome of probability 0 was drawn"
    live = (p > 0) & (p < 1) & (total > 0)
    se = np.sqrt(total[live] * p[live] * (1 - p[live]))
    assert_z(counts[live], se, total[live] * p[live], what)


def per_episode_visitation(states, gamma, S):
    """X[i, s] = (1 - gamma) sum_t gamma^t 1[s_t = s] for each episode i."""
    n, L = states.shape
    w = np.broadcast_to((1 - gamma) * gamma ** np.arange(L), (n, L))
    idx = np.arange(n)[:, None] * S + states
    return np.bincount(idx.ravel(), weights=w.ravel(), minlength=n * S).reshape(n, S)


def reinforce_by_hand(episodes, pi, gamma, b):
    """Per-episode REINFORCE estimates from sampled episodes, in plain numpy: (n, S, A)."""
    states, actions, rewards = episodes
    n, L = states.shape
    S, A = pi.shape
    disc = rewards * gamma ** np.arange(L)
    # gamma^t Q_hat(s_t, a_t) = sum_{t' >= t} gamma^t' r_t'
    tail = np.cumsum(disc[:, ::-1], axis=1)[:, ::-1]
    w = tail - gamma ** np.arange(L) * b[states]
    g = np.zeros((n, S, A))
    rows = np.broadcast_to(np.arange(n)[:, None], (n, L))
    np.add.at(g, (rows, states, actions), w)
    W = np.zeros((n, S))
    np.add.at(W, (rows, states), w)
    return g - W[:, :, None] * pi


# --- the generator and the alias tables -------------------------------------------------------------


def test_splitmix64_and_xoshiro256starstar_match_reference_vectors():
    # SplitMix64 from seed 1234567 (Rosetta Code) and xoshiro256** from state (1, 2, 3, 4)
    # (the reference implementation's values, as in rand_xoshiro).
    with np.errstate(over="ignore"):
        mixed = [int(kernels._mix(np.uint64(1234567) + np.uint64(k) * kernels._GOLDEN)) for k in range(1, 6)]
        state = [np.uint64(v) for v in (1, 2, 3, 4)]
        outputs = []
        for _ in range(10):
            x, *state = kernels._next(*state)
            state = [np.uint64(v) for v in state]
            outputs.append(int(x))
    assert mixed == [6457827717110365317, 3203168211198807973, 9817491932198370423, 4593380528125082431,
                     16408922859458223821]
    assert outputs == [11520, 0, 1509978240, 1215971899390074240, 1216172134540287360, 607988272756665600,
                       16172922978634559625, 8476171486693032832, 10595114339597558777, 2904607092377533576]


def alias_law(table, K):
    """The exact law of one alias draw: column j (prob 1/K) keeps j w.p. T_j / 2^32, else its alias."""
    T = (table >> np.uint64(32)).astype(float) / 2.0**32
    alias = (table & np.uint64(0xFFFFFFFF)).astype(np.int64)
    law = np.zeros(K)
    np.add.at(law, np.arange(K), T / K)
    np.add.at(law, alias, (1 - T) / K)
    return law


@settings(max_examples=40, deadline=None)
@given(K=st.integers(1, 40), zeros=st.integers(0, 5), seed=st.integers(0, 2**32 - 1))
def test_alias_tables_reproduce_the_distribution(K, zeros, seed):
    rng = np.random.default_rng(seed)
    p = rng.random(K) ** 3
    p[rng.permutation(K)[: min(zeros, K - 1)]] = 0.0
    p /= p.sum()
    table = kernels.alias_tables(kernel_array(p[None, :]))
    law = alias_law(table, K)
    assert np.abs(law - p).max() <= 2.0**-31
    assert (law[p == 0] == 0).all()


# --- sample_episodes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("gamma, n", SIZES)
def test_empirical_visitation_matches_d(gamma, n):
    mdp, theta = mdp_theta(gamma, random_rho=True)
    pi = pgbook.softmax(theta)
    L = sampling.truncation_horizon(gamma)
    for rho in (None, 2, np.array([0.5, 0.0, 0.0, 0.25, 0.25])):
        ep = sampling.sample_episodes(mdp, pi, n, L, seed=3, rho=rho)
        X = per_episode_visitation(ep.states, gamma, mdp.S)
        # truncation leaves out gamma^L <= 1e-10 of the mass: far below the standard error
        assert_z(X.mean(0), X.std(0, ddof=1) / np.sqrt(n), pgbook.visitation(mdp, pi, rho), f"d, rho={rho}")


@pytest.mark.parametrize("gamma, n", SIZES)
def test_start_states_actions_transitions_and_rewards(gamma, n):
    mdp = random_mdp(5, 3, 4, gamma=gamma, random_rho=True, branching=3)
    pi = pgbook.softmax(np.random.default_rng(5).normal(size=(5, 3)))
    pi[1] = [0.0, 0.3, 0.7]  # an action that must never be drawn
    ep = sampling.sample_episodes(mdp, pi, n, 20, seed=8)
    S, A = mdp.S, mdp.A
    assert ep.states.dtype == np.int32 and ep.actions.dtype == np.int32 and ep.rewards.dtype == np.float64
    assert_multinomial(np.bincount(ep.states[:, 0], minlength=S), n, mdp.rho, "s_0 ~ rho")
    first = np.zeros((S, A))
    np.add.at(first, (ep.states[:, 0], ep.actions[:, 0]), 1)
    assert_multinomial(first, first.sum(1, keepdims=True), pi, "a_0 ~ pi(.|s_0)")
    every = np.zeros((S, A))
    np.add.at(every, (ep.states, ep.actions), 1)
    assert_multinomial(every, every.sum(1, keepdims=True), pi, "a_t ~ pi(.|s_t)")
    moves = np.zeros((S, A, S))
    np.add.at(moves, (ep.states[:, :-1], ep.actions[:, :-1], ep.states[:, 1:]), 1)
    assert_multinomial(moves, moves.sum(2, keepdims=True), mdp.P, "s_t+1 ~ P(.|s_t, a_t)")
    assert np.array_equal(ep.rewards, mdp.r[ep.states, ep.actions])


def test_terminal_states_absorb_with_zero_reward():
    mdp = gridworld(gamma=1.0)
    pi = pgbook.uniform(mdp)
    n, L = 400, 40
    ep = sampling.sample_episodes(mdp, pi, n, L, seed=0)
    term = mdp.terminal[ep.states]
    ended = np.maximum.accumulate(term, axis=1)
    P_pi, _ = pgbook.policy_matrices(mdp, pi)
    p_end = mdp.rho @ np.linalg.matrix_power(P_pi, L - 1) @ mdp.terminal
    assert_multinomial(ended[:, -1].sum(), n, p_end, "Pr(terminal by t = L-1)")
    assert np.array_equal(term, ended)  # once terminal, always terminal ...
    assert (np.diff(ep.states, axis=1)[ended[:, :-1]] == 0).all()  # ... in the same state
    assert (ep.rewards[term] == 0).all()
    assert np.array_equal(ep.rewards, mdp.r[ep.states, ep.actions])


@settings(max_examples=25, deadline=None)
@given(S=st.integers(1, 6), A=st.integers(1, 4), branching=st.integers(1, 6), seed=st.integers(0, 2**64 - 1),
       n=st.integers(1, 40), horizon=st.integers(1, 12))
def test_samples_stay_on_the_support(S, A, branching, seed, n, horizon):
    mdp = random_mdp(S, A, seed % 2**32, branching=min(branching, S), random_rho=True)
    pi = np.random.default_rng(seed % 7).random((S, A)) * (np.arange(A) != (seed % A))
    pi = np.where(pi.sum(1, keepdims=True) > 0, pi, 1.0)
    pi /= pi.sum(1, keepdims=True)
    ep = sampling.sample_episodes(mdp, pi, n, horizon, seed)
    assert ep.states.shape == ep.actions.shape == ep.rewards.shape == (n, horizon)
    assert ((0 <= ep.states) & (ep.states < S)).all() and ((0 <= ep.actions) & (ep.actions < A)).all()
    assert (pi[ep.states, ep.actions] > 0).all()
    assert (mdp.P[ep.states[:, :-1], ep.actions[:, :-1], ep.states[:, 1:]] > 0).all()
    assert np.array_equal(ep.rewards, mdp.r[ep.states, ep.actions])


def test_start_state_index_and_out_arrays():
    mdp, theta = mdp_theta(0.8)
    pi = pgbook.softmax(theta)
    ep = sampling.sample_episodes(mdp, pi, 50, 7, seed=1, rho=3)
    assert (ep.states[:, 0] == 3).all()
    out = (np.full((50, 7), -1, np.int32), np.full((50, 7), -1, np.int32), np.full((50, 7), np.nan))
    again = sampling.sample_episodes(mdp, pi, 50, 7, seed=1, rho=3, out=out)
    assert all(a is b for a, b in zip(again, out))
    for a, b in zip(again, ep):
        assert np.array_equal(a, b)


# --- REINFORCE ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def a7():
    """The A7 MDP at both sizes' discounts, with exact gradients by finite differences."""
    cases = {}
    for gamma in (0.5, 0.8):
        mdp, theta = mdp_theta(gamma)
        pi = pgbook.softmax(theta)
        ev = pgbook.evaluate(mdp, pi)
        grad = finite_difference_gradient(mdp, theta)
        # the theorem (A5) and the finite differences agree, so either is the reference
        assert np.abs(grad - ev.occupancy[:, None] * pi * ev.adv).max() < 1e-7
        cases[gamma] = mdp, theta, ev, grad
    return cases


@pytest.mark.parametrize("gamma, n", SIZES)
def test_reinforce_is_unbiased_and_baseline_cuts_variance(a7, gamma, n):
    mdp, theta, ev, exact = a7[gamma]
    L = sampling.truncation_horizon(gamma)
    assert mdp.gamma**L <= 1e-10 < mdp.gamma ** (L - 1)
    g, se = sampling.reinforce_gradient(mdp, theta, n, L, seed=21, return_stderr=True)
    assert_z(g, se, exact, "REINFORCE")
    g_b, se_b = sampling.reinforce_gradient(mdp, theta, n, L, seed=22, baseline=ev.V, return_stderr=True)
    assert_z(g_b, se_b, exact, "REINFORCE with baseline V")
    # the raw estimator carries r >= 0 times sum_t grad log pi, noise that V removes (about 1% of the raw variance)
    assert (se_b**2).sum() < 0.1 * (se**2).sum()


@pytest.mark.parametrize("n", [pytest.param(3_000, id="fast"), pytest.param(100_000, id="A7", marks=pytest.mark.slow)])
def test_short_horizon_estimates_the_truncated_value_and_the_bias_bound_holds(a7, n):
    gamma, L = 0.8, 2
    mdp, theta, _, exact = a7[gamma]

    def V_L(th):
        P_pi, r_pi = pgbook.policy_matrices(mdp, pgbook.softmax(th))
        return mdp.rho @ sum(np.linalg.matrix_power(gamma * P_pi, t) @ r_pi for t in range(L))

    grad_L = central_difference(V_L, theta, h=1e-5)
    g, se = sampling.reinforce_gradient(mdp, theta, n, L, seed=23, return_stderr=True)
    assert_z(g, se, grad_L, "REINFORCE with L = 2 vs grad V_L")
    assert np.abs(g - exact).max() / se.max() > 2 * Z_MAX  # ... and visibly not grad V
    bound = gamma**L * ((L + 1) / (1 - gamma) + gamma / (1 - gamma) ** 2)
    assert np.abs(exact - grad_L).max() <= bound


@pytest.mark.slow
def test_reinforce_on_an_episodic_gridworld_from_one_start():
    mdp = gridworld(gamma=0.9)
    theta = np.random.default_rng(2).normal(size=(mdp.S, mdp.A))
    s0 = mdp.S - 1
    exact = finite_difference_gradient(mdp, theta, rho=np.eye(mdp.S)[s0])
    g, se = sampling.reinforce_gradient(mdp, theta, 100_000, sampling.truncation_horizon(0.9), seed=5,
                                        rho=s0, return_stderr=True)
    assert_z(g, se, exact, "REINFORCE on the gridworld")


@pytest.mark.parametrize("baseline", [None, "V"])
def test_reinforce_equals_its_formula_on_the_sampled_episodes(a7, baseline):
    mdp, theta, ev, _ = a7[0.8]
    b = np.zeros(mdp.S) if baseline is None else ev.V
    pi = pgbook.softmax(theta)
    n, L = 600, 25  # several reduction chunks, a horizon with visible truncation
    ep = sampling.sample_episodes(mdp, pi, n, L, seed=9)
    per_episode = reinforce_by_hand(ep, pi, mdp.gamma, b)
    g, se = sampling.reinforce_gradient(mdp, theta, n, L, seed=9, baseline=None if baseline is None else b,
                                        return_stderr=True)
    np.testing.assert_allclose(g, per_episode.mean(0), rtol=0, atol=1e-12)
    np.testing.assert_allclose(se, per_episode.std(0, ddof=1) / np.sqrt(n), rtol=1e-7, atol=1e-12)
    assert np.array_equal(sampling.reinforce_gradient(mdp, theta, n, L, seed=9, baseline=b), g)


# --- AKLM's geometric sampler ------------------------------------------------------------------------


@pytest.mark.parametrize("gamma, n", SIZES)
def test_geometric_sampler_law_q_hat_and_length(a7, gamma, n):
    mdp, theta, ev, _ = a7[gamma]
    pi = pgbook.softmax(theta)
    sa = sampling.sample_state_action(mdp, pi, 2 * n, seed=31)
    counts = np.zeros((mdp.S, mdp.A))
    np.add.at(counts, (sa.states, sa.actions), 1)
    assert_multinomial(counts, 2 * n, ev.d[:, None] * pi, "(s, a) ~ d x pi")
    sums = np.zeros((mdp.S, mdp.A))
    squares = np.zeros((mdp.S, mdp.A))
    np.add.at(sums, (sa.states, sa.actions), sa.Q_hat)
    np.add.at(squares, (sa.states, sa.actions), sa.Q_hat**2)
    seen = counts >= 30
    mean = sums[seen] / counts[seen]
    sd = np.sqrt((squares[seen] / counts[seen] - mean**2) * counts[seen] / (counts[seen] - 1))
    assert_z(mean, sd / np.sqrt(counts[seen]), ev.Q[seen], "E[Q_hat | s, a] = Q")
    # length = 1 + T + K with T, K independent Geometric(1 - gamma) counts of continuations
    expected = (1 + gamma) / (1 - gamma)
    assert_z(sa.lengths.mean(), np.sqrt(2 * gamma / (1 - gamma) ** 2 / (2 * n)), expected, "mean length")
    assert expected <= 2 / (1 - gamma)


@pytest.mark.parametrize("gamma, n", SIZES)
def test_geometric_gradient_is_unbiased(a7, gamma, n):
    mdp, theta, ev, exact = a7[gamma]
    for seed, baseline in ((41, None), (42, ev.V)):
        g, se = sampling.reinforce_gradient_geometric(mdp, theta, n, seed, baseline, return_stderr=True)
        assert_z(g, se, exact, f"geometric estimator, baseline {baseline is not None}")


def test_geometric_gradient_equals_its_formula_on_the_sampled_pairs(a7):
    mdp, theta, ev, _ = a7[0.8]
    pi = pgbook.softmax(theta)
    n = 700
    sa = sampling.sample_state_action(mdp, pi, n, seed=4)
    w = (sa.Q_hat - ev.V[sa.states]) / (1 - mdp.gamma)
    per_episode = np.zeros((n, mdp.S, mdp.A))
    per_episode[np.arange(n), sa.states] = -w[:, None] * pi[sa.states]
    per_episode[np.arange(n), sa.states, sa.actions] += w
    g, se = sampling.reinforce_gradient_geometric(mdp, theta, n, 4, ev.V, return_stderr=True)
    np.testing.assert_allclose(g, per_episode.mean(0), rtol=0, atol=1e-12)
    np.testing.assert_allclose(se, per_episode.std(0, ddof=1) / np.sqrt(n), rtol=1e-7, atol=1e-12)


# --- horizon, reproducibility ------------------------------------------------------------------------


@pytest.mark.parametrize("gamma, tol, L", [(0.8, 1e-10, 104), (0.5, 1e-10, 34), (0.0, 1e-10, 1), (0.9, 0.5, 7),
                                           (0.99, 1e-10, 2292), (0.3, 2.0, 1)])
def test_truncation_horizon(gamma, tol, L):
    assert sampling.truncation_horizon(gamma, tol) == L
    assert gamma**L <= tol and (L == 1 or gamma ** (L - 1) > tol)


def run_all(seed, n=1000):
    """Every sampler on the A7 MDP; n spans several lockstep blocks and gradient chunks, with remainders."""
    mdp, theta = mdp_theta(0.8)
    pi = pgbook.softmax(theta)
    V = pgbook.value(mdp, pi)
    return [
        *sampling.sample_episodes(mdp, pi, n + 9, 12, seed),
        *sampling.reinforce_gradient(mdp, theta, n + 3, 12, seed, V, return_stderr=True),
        *sampling.reinforce_gradient_geometric(mdp, theta, n, seed, return_stderr=True),
        *sampling.sample_state_action(mdp, pi, n, seed),
    ]


def test_same_seed_same_numbers_and_different_seeds_differ():
    a, b, c = run_all(123), run_all(123), run_all(124)
    for x, y, z in zip(a, b, c):
        assert np.array_equal(x, y)
        assert not np.array_equal(x, z)


def test_results_do_not_depend_on_the_number_of_threads():
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = run_all(7)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = run_all(7)
    finally:
        numba.set_num_threads(before)
    for x, y in zip(one, two):
        assert np.array_equal(x, y)


def test_an_episode_depends_only_on_seed_and_index():
    mdp, theta = mdp_theta(0.8)
    pi = pgbook.softmax(theta)
    big = sampling.sample_episodes(mdp, pi, 40, 9, seed=2**64 - 1)
    small = sampling.sample_episodes(mdp, pi, 17, 9, seed=2**64 - 1)
    for x, y in zip(big, small):
        assert np.array_equal(x[:17], y)


# --- bad input ---------------------------------------------------------------------------------------

MDP, THETA = mdp_theta(0.8)
PI = pgbook.softmax(THETA)
EPISODIC = gridworld(gamma=1.0)
READ_ONLY = np.zeros((3, 4), np.int32)
READ_ONLY.flags.writeable = False
GOOD = {
    "sample_episodes": dict(mdp=MDP, pi=PI, n=3, horizon=4, seed=0),
    "reinforce_gradient": dict(mdp=MDP, theta=THETA, n=3, horizon=4, seed=0),
    "reinforce_gradient_geometric": dict(mdp=MDP, theta=THETA, n=3, seed=0),
    "sample_state_action": dict(mdp=MDP, pi=PI, n=3, seed=0),
}
BAD = [
    ("sample_episodes", dict(mdp=PI), TypeError, "mdp: expected a pgbook.MDP"),
    ("sample_episodes", dict(pi=PI[:4]), ValueError, r"pi: expected shape \(5, 3\)"),
    ("sample_episodes", dict(pi=PI * 1.1), ValueError, "pi: each row must sum to 1"),
    ("sample_episodes", dict(pi=np.where(PI == PI.max(), np.nan, PI)), ValueError, "pi: contains NaN"),
    ("sample_episodes", dict(pi="uniform"), TypeError, "pi: expected an array"),
    ("sample_episodes", dict(n=0), ValueError, "n: must be a positive integer"),
    ("sample_episodes", dict(n=2.0), TypeError, "n: expected a positive integer"),
    ("sample_episodes", dict(n=True), TypeError, "n: expected a positive integer"),
    ("sample_episodes", dict(horizon=-1), ValueError, "horizon: must be a positive integer"),
    ("sample_episodes", dict(horizon=None), TypeError, "horizon: expected a positive integer"),
    ("sample_episodes", dict(seed=-1), ValueError, r"seed: must lie in \[0, 2\*\*64\)"),
    ("sample_episodes", dict(seed=2**64), ValueError, r"seed: must lie in \[0, 2\*\*64\)"),
    ("sample_episodes", dict(seed=1.5), TypeError, "seed: expected an integer"),
    ("sample_episodes", dict(seed="0"), TypeError, "seed: expected an integer"),
    ("sample_episodes", dict(rho=5), ValueError, r"rho: state index must lie in \[0, 5\)"),
    ("sample_episodes", dict(rho=np.ones(4) / 4), ValueError, r"rho: expected shape \(5,?\)"),
    ("sample_episodes", dict(rho=np.ones(5)), ValueError, "rho: must sum to 1"),
    ("sample_episodes", dict(out=np.zeros((3, 4))), TypeError,
     r"out: expected \(states, actions, rewards\) arrays, got ndarray"),
    ("sample_episodes", dict(out=(np.zeros((3, 4), np.int64),) * 3), ValueError,
     r"out: states must be a writable C-contiguous int32 array of shape \(3, 4\), got int64"),
    ("sample_episodes", dict(out=(np.zeros((3, 4), np.int32), np.zeros((3, 4), np.int32), np.zeros((4, 3)))),
     ValueError, "out: rewards must be"),
    ("sample_episodes", dict(out=(np.zeros((3, 4), np.int32), np.zeros((4, 3), np.int32).T, np.zeros((3, 4)))),
     ValueError, "out: actions must be"),
    ("sample_episodes", dict(out=(READ_ONLY, READ_ONLY, np.zeros((3, 4)))), ValueError,
     "out: states must be a writable"),
    ("reinforce_gradient", dict(mdp="mdp"), TypeError, "mdp: expected a pgbook.MDP"),
    ("reinforce_gradient", dict(theta=THETA.T), ValueError, r"theta: expected shape \(5, 3\)"),
    ("reinforce_gradient", dict(theta=THETA * np.inf), ValueError, "theta: contains NaN or infinite"),
    ("reinforce_gradient", dict(baseline=np.zeros(3)), ValueError, r"baseline: expected shape \(5,?\)"),
    ("reinforce_gradient", dict(baseline=np.full(5, np.nan)), ValueError, "baseline: contains NaN"),
    ("reinforce_gradient", dict(baseline="V"), TypeError, "baseline: expected an array"),
    ("reinforce_gradient", dict(horizon=0), ValueError, "horizon: must be a positive integer"),
    ("reinforce_gradient", dict(n=1, return_stderr=True), ValueError, "n: a standard error needs at least 2"),
    ("reinforce_gradient", dict(seed=np.float64(3)), TypeError, "seed: expected an integer"),
    ("reinforce_gradient", dict(rho=-1), ValueError, "rho: state index"),
    ("reinforce_gradient_geometric", dict(mdp=EPISODIC, theta=np.zeros((EPISODIC.S, 4))), ValueError,
     "mdp: gamma must be < 1 for geometric stopping"),
    ("reinforce_gradient_geometric", dict(n=-3), ValueError, "n: must be a positive integer"),
    ("reinforce_gradient_geometric", dict(baseline=[1, 2]), ValueError, r"baseline: expected shape \(5,?\)"),
    ("reinforce_gradient_geometric", dict(theta=None), TypeError, "theta: expected an array"),
    ("sample_state_action", dict(mdp=EPISODIC, pi=pgbook.uniform(EPISODIC)), ValueError, "mdp: gamma must be < 1 for geometric stopping"),
    ("sample_state_action", dict(pi=-PI), ValueError, "pi: negative probability"),
    ("sample_state_action", dict(seed=[1]), TypeError, "seed: expected an integer"),
]


@pytest.mark.parametrize("function, change, error, message", BAD,
                         ids=[f"{f}-{i}" for i, (f, *_) in enumerate(BAD)])
def test_bad_arguments_are_refused(function, change, error, message):
    with pytest.raises(error, match=message):
        getattr(sampling, function)(**{**GOOD[function], **change})


@pytest.mark.parametrize("gamma, tol, error, message", [
    (1.0, 1e-10, ValueError, r"gamma: must lie in \[0, 1\)"),
    (0.9, 0.0, ValueError, "tol: must be a finite number > 0"),
    (0.9, "small", TypeError, "tol: expected a real number"),
])
def test_truncation_horizon_refuses(gamma, tol, error, message):
    with pytest.raises(error, match=message):
        sampling.truncation_horizon(gamma, tol)


def _arrays(result):
    return [np.asarray(x) for x in result] if isinstance(result, tuple) else [np.asarray(result)]


def test_good_arguments_pass():
    """The arguments BAD varies one at a time are accepted, and give finite results, the same again for
    the same seed (so each BAD case fails for the argument it names)."""
    for function, kwargs in GOOD.items():
        first, again = (_arrays(getattr(sampling, function)(**kwargs)) for _ in range(2))
        assert first and len(first) == len(again), function
        for a, b in zip(first, again):
            assert np.all(np.isfinite(a)) and np.array_equal(a, b), function
