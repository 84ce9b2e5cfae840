"""Chapter 1 (book/foundations/mdps.md): every check on the page, and every number its prose states.

Each visible check of the chapter has one test here, named after it, that recomputes the claim with
pgbook and compares it with an independent computation: a plain numpy sampler instead of pgbook's,
iterated Bellman backups instead of the linear solve, an absorbing-chain computation, a closed form.
The last tests cover the numbers the prose states and the sanity checks that used to be on the page.
"""

import math

import numpy as np
import pytest
import sympy as sp

import pgbook
from pgbook import envs

GRID = envs.gridworld()
START = int(np.flatnonzero(GRID.rho)[0])
LEFT_OF_GOAL = GRID.cells.index((0, 3))
GOAL = GRID.cells.index((0, 4))
UNIFORM = pgbook.uniform(GRID)
N = 20_000
MAX_Z = 4.0


# --- independent computations ------------------------------------------------------------------


def iterative_value(mdp, pi, sweeps=2000):
    """V^pi by repeated Bellman backups V <- r_pi + gamma P_pi V (not pgbook's linear solve)."""
    r_pi = (pi * mdp.r).sum(axis=1)
    P_pi = np.einsum("sa,sat->st", pi, mdp.P)
    V = np.zeros(mdp.S)
    for _ in range(sweeps):
        V = r_pi + mdp.gamma * P_pi @ V
    return V


def optimal_value(mdp, sweeps=2000):
    """V* by value iteration written out in numpy."""
    V = np.zeros(mdp.S)
    for _ in range(sweeps):
        V = (mdp.r + mdp.gamma * mdp.P @ V).max(axis=1)
    return V


def simulate(mdp, pi, start, n, horizon, seed):
    """Plain numpy episodes, all from state ``start``: rewards (n, horizon) and the final states."""
    rng = np.random.default_rng(seed)
    s = np.full(n, start)
    rewards = np.zeros((n, horizon))
    for t in range(horizon):
        a = (rng.random(n)[:, None] < np.cumsum(pi[s], axis=1)).argmax(axis=1)
        rewards[:, t] = mdp.r[s, a]
        s = (rng.random(n)[:, None] < np.cumsum(mdp.P[s, a], axis=1)).argmax(axis=1)
    return rewards, s


def z(samples, expected):
    return abs(samples.mean() - expected) / (samples.std(ddof=1) / np.sqrt(samples.size))


def policy_iteration_from_left(mdp):
    """The chapter's loop: greedy steps from 'always left' until the policy repeats."""
    pi = np.zeros((mdp.S, mdp.A))
    pi[:, envs.GRID_ACTIONS.index("left")] = 1.0
    policies = [pi]
    while True:
        pi = pgbook.greedy(pgbook.q_value(mdp, pi))
        if np.array_equal(pi, policies[-1]):
            return policies
        policies.append(pi)


# --- the visible checks, in the order of the page ----------------------------------------------


@pytest.mark.slow
def test_the_average_of_sampled_returns_from_s_is_the_value():
    L = pgbook.truncation_horizon(GRID.gamma, 1e-10)
    V_s = iterative_value(GRID, UNIFORM)[LEFT_OF_GOAL]
    discount = GRID.gamma ** np.arange(L)
    _, _, rewards = pgbook.sample_episodes(GRID, UNIFORM, n=N, horizon=L, seed=2,
                                           rho=np.eye(GRID.S)[LEFT_OF_GOAL])
    assert z(rewards @ discount, V_s) <= MAX_Z
    numpy_rewards, _ = simulate(GRID, UNIFORM, LEFT_OF_GOAL, N, L, seed=12)
    assert z(numpy_rewards @ discount, pgbook.value(GRID, UNIFORM)[LEFT_OF_GOAL]) <= MAX_Z


@pytest.mark.slow
def test_sampled_action_values_match_the_exact_solve_for_every_action():
    L = pgbook.truncation_horizon(GRID.gamma, 1e-10)
    V = iterative_value(GRID, UNIFORM)
    Q_backup = GRID.r + GRID.gamma * GRID.P @ V  # one backup of the independent V
    assert np.allclose(pgbook.q_value(GRID, UNIFORM), Q_backup, rtol=0, atol=1e-12)
    s = LEFT_OF_GOAL
    for a in range(GRID.A):
        _, _, rest = pgbook.sample_episodes(GRID, UNIFORM, n=N, horizon=L, seed=10 + a, rho=GRID.P[s, a])
        returns = GRID.r[s, a] + GRID.gamma * rest @ GRID.gamma ** np.arange(L)
        assert z(returns, Q_backup[s, a]) <= MAX_Z


@pytest.mark.slow
def test_the_undiscounted_reward_before_a_random_stop_averages_to_the_value():
    V_s = iterative_value(GRID, UNIFORM)[LEFT_OF_GOAL]
    L = pgbook.truncation_horizon(GRID.gamma, 1e-10)
    _, _, rewards = pgbook.sample_episodes(GRID, UNIFORM, n=N, horizon=L, seed=2,
                                           rho=np.eye(GRID.S)[LEFT_OF_GOAL])
    T = np.random.default_rng(3).geometric(1 - GRID.gamma, size=N)
    assert z(T, 1 / (1 - GRID.gamma)) <= MAX_Z  # the mean length is the effective horizon
    assert z((rewards * (np.arange(L) < T[:, None])).sum(axis=1), V_s) <= MAX_Z
    # The same with stopping drawn step by step inside a plain numpy simulation.
    numpy_rewards, _ = simulate(GRID, UNIFORM, LEFT_OF_GOAL, N, L, seed=13)
    alive = np.cumprod(np.random.default_rng(14).random((N, L)) < GRID.gamma, axis=1)
    kept = np.hstack([np.ones((N, 1)), alive[:, :-1]])  # step t is kept if no stop before it
    assert z((numpy_rewards * kept).sum(axis=1), V_s) <= MAX_Z


def test_the_first_effective_horizon_carries_one_minus_one_over_e():
    gamma = 0.9999
    share = 1 - gamma ** (1 / (1 - gamma))
    assert share == pytest.approx(1 - math.exp(-1), abs=1e-4)
    g = sp.symbols("gamma", positive=True)
    assert sp.simplify(sp.limit(1 - g ** (1 / (1 - g)), g, 1, dir="-") - (1 - sp.exp(-1))) == 0
    # the share of the first T steps is 1 - gamma^T: summing the weights gives the same
    T = round(1 / (1 - gamma))
    weights = gamma ** np.arange(2_000_000)
    assert weights[:T].sum() / weights.sum() == pytest.approx(share, abs=1e-9)


def test_policy_iteration_never_lowers_the_value_of_any_state():
    policies = policy_iteration_from_left(GRID)
    values = np.array([iterative_value(GRID, pi) for pi in policies])
    for pi, V, V_next in zip(policies, values, values[1:]):
        adv = GRID.r + GRID.gamma * GRID.P @ V - V[:, None]
        # the theorem's stronger form: V' >= V + max_a adv(s, a)
        assert (V_next >= V + adv.max(axis=1) - 1e-10).all()
    assert (np.diff(values, axis=0) > 1e-12).any(axis=1).all(), "every step improves some state"
    assert (np.abs(np.diff(values, axis=0)) < 1e-12).any(), "and some values stay equal"


def test_the_last_policy_has_no_positive_advantage_and_is_optimal():
    pi_star = policy_iteration_from_left(GRID)[-1]
    V_star = optimal_value(GRID)
    assert np.allclose(iterative_value(GRID, pi_star), V_star, rtol=0, atol=1e-10)
    assert np.allclose(pgbook.advantage(GRID, pi_star).max(axis=1), 0.0, rtol=0, atol=1e-12)
    # and the theorem's converse on the other side: the uniform policy has a positive advantage
    assert pgbook.advantage(GRID, UNIFORM).max() > 0.4


def test_value_iteration_error_never_exceeds_its_bound():
    V_star = pgbook.value(GRID, policy_iteration_from_left(GRID)[-1])
    V, errors = np.zeros(GRID.S), []
    for _ in range(60):
        errors.append(np.abs(V - V_star).max())
        V = np.array([max(GRID.r[s, a] + GRID.gamma * GRID.P[s, a] @ V for a in range(GRID.A))
                      for s in range(GRID.S)])
    errors = np.array(errors)
    bound = GRID.gamma ** np.arange(60) * errors[0]
    assert (errors[1:] < bound[1:]).all()
    assert (errors[1:12] > 0.7 * bound[1:12]).all(), "close to the bound for a dozen steps, as the page says"
    assert errors[-1] < 1e-14, "and value iteration reaches rounding error within 60 steps"


def test_value_iteration_and_policy_iteration_find_the_same_values():
    _, V_vi = pgbook.value_iteration(GRID, tol=1e-10)
    V_pi = pgbook.value(GRID, policy_iteration_from_left(GRID)[-1])
    assert np.allclose(V_vi, V_pi, rtol=0, atol=1e-10)
    assert np.allclose(V_vi, optimal_value(GRID), rtol=0, atol=1e-10)


@pytest.mark.slow
def test_the_share_of_episodes_of_pi_star_that_end_in_the_goal_is_its_gamma_one_value():
    episodic = envs.gridworld(gamma=1.0)
    pi_star = policy_iteration_from_left(GRID)[-1]
    # Absorption probabilities of the chain: B = (I - P_TT)^{-1} P_T,goal over transient states T.
    P_pi = np.einsum("sa,sat->st", pi_star, episodic.P)
    T = ~episodic.terminal
    absorbed = np.linalg.solve(np.eye(T.sum()) - P_pi[np.ix_(T, T)], P_pi[T][:, GOAL])
    reach = pgbook.value(episodic, pi_star)
    assert reach[T] == pytest.approx(absorbed, abs=1e-12)
    s_end, _, _ = pgbook.sample_episodes(episodic, pi_star, n=N, horizon=200, seed=6)
    assert z((s_end[:, -1] == GOAL).astype(float), absorbed[T[:START].sum()]) <= MAX_Z
    _, numpy_end = simulate(episodic, pi_star, START, N, 200, seed=16)
    assert z((numpy_end == GOAL).astype(float), reach[START]) <= MAX_Z


def open_grid(size):
    free = "." * (size - 1)
    return envs.gridworld([free + "G"] + [free + "."] * (size - 2) + ["S" + free])


@pytest.mark.slow  # minutes on numba's pure-Python path (40 x 40 grids)
@pytest.mark.parametrize("seed", [4, 5])
def test_the_same_experience_visits_a_shrinking_share_of_the_table(seed):
    shares, numpy_shares = [], []
    for size in [5, 10, 20, 40]:
        world = open_grid(size)
        s, a, _ = pgbook.sample_episodes(world, pgbook.uniform(world), n=200, horizon=50, seed=seed)
        shares.append(np.unique(s * world.A + a).size / (world.S * world.A))
        # the same count from a plain numpy walk (actions re-drawn with the same law)
        rng = np.random.default_rng(seed)
        state = np.full(200, int(np.flatnonzero(world.rho)[0]))
        seen = set()
        for _ in range(50):
            action = rng.integers(world.A, size=200)
            seen.update((state * world.A + action).tolist())
            state = (rng.random(200)[:, None] < np.cumsum(world.P[state, action], axis=1)).argmax(axis=1)
        numpy_shares.append(len(seen) / (world.S * world.A))
    assert (np.diff(shares) < 0).all() and (np.diff(numpy_shares) < 0).all()
    assert shares[-1] < 0.15 and numpy_shares[-1] < 0.15
    if seed == 4:  # the page's run: "every entry of the 5 x 5 table but only one in thirteen"
        assert shares[0] == 1.0 and 1 / 14 < shares[-1] < 1 / 12.5


# --- the numbers in the prose, and the page's former sanity checks ------------------------------


def test_the_numbers_the_prose_states():
    V = iterative_value(GRID, UNIFORM)
    assert f"{V[START]:.3f}" == "0.003"  # "its value there is 0.003"
    assert f"{V[LEFT_OF_GOAL]:.2f}" == "0.44"
    adv = pgbook.advantage(GRID, UNIFORM)[LEFT_OF_GOAL]
    right = envs.GRID_ACTIONS.index("right")
    assert adv[right] > 0 and (np.delete(adv, right) < 0).all()  # "only right has a positive advantage"
    policies = policy_iteration_from_left(GRID)
    assert len(policies) - 1 == 6  # "stops after six improvements", "7 of the 4^19 policies"
    assert int((~GRID.terminal).sum()) == 19 and GRID.S == 21  # "21 free cells"
    values = np.array([iterative_value(GRID, pi) for pi in policies])
    first_change = (policies[1] != policies[0]).any(axis=1)
    assert np.flatnonzero(first_change).tolist() == [LEFT_OF_GOAL]  # "at k = 1 only the cell left of the goal"
    assert policies[1][LEFT_OF_GOAL, right] == 1
    assert np.flatnonzero(values[:, START] > 0)[0] == 4  # "reaches the start only at k = 4"
    reach = pgbook.value(envs.gridworld(gamma=1.0), policies[-1])[START]
    assert f"{reach:.3f}" == "0.997"


def test_the_optimal_policy_ends_every_episode():
    """'the chance that an episode is still running after 200 steps is below 1e-80'."""
    episodic = envs.gridworld(gamma=1.0)
    pi_star = policy_iteration_from_left(GRID)[-1]
    P_pi = np.einsum("sa,sat->st", pi_star, episodic.P)
    T = ~episodic.terminal
    running = np.linalg.matrix_power(P_pi[np.ix_(T, T)], 200).sum(axis=1)
    assert running.max() < 1e-80


def test_optimal_values_stay_below_one_and_grow_with_gamma():
    """'the values stay below one'; the slider's reach of the goal grows with gamma."""
    gammas = np.round(np.r_[np.arange(0, 0.95, 0.05), 0.95, 0.97, 0.99], 2)
    reached = []
    for gamma in gammas:
        V_star = optimal_value(envs.gridworld(gamma=gamma), sweeps=3000)
        assert V_star.max() <= 1.0
        reached.append(int((V_star >= 0.01).sum()))
    assert reached[0] == 1 and (np.diff(reached) >= 0).all() and reached[-1] == (~GRID.terminal).sum()


def test_start_transitions_of_the_action_right():
    right = envs.GRID_ACTIONS.index("right")
    row = GRID.P[START, right]
    assert row.sum() == pytest.approx(1.0)
    assert row[GRID.cells.index((4, 1))] == pytest.approx(0.9)  # the intended move
    assert row[START] == pytest.approx(0.05)  # a slip down runs into the edge
    assert row[GRID.cells.index((3, 0))] == pytest.approx(0.05)  # a slip up


def test_exercise_value_bounds():
    rng = np.random.default_rng(5)
    for _ in range(50):
        V = pgbook.value(GRID, rng.dirichlet(np.ones(GRID.A), size=GRID.S))
        assert (V >= 0).all() and (V <= 1 / (1 - GRID.gamma)).all()
    ones = pgbook.MDP(GRID.P, np.ones((GRID.S, GRID.A)), GRID.gamma)
    assert np.allclose(pgbook.value(ones, UNIFORM), 1 / (1 - GRID.gamma), rtol=0, atol=1e-12)


def test_exercise_discount_weights():
    quarter = sp.Rational(1, 4)
    t = sp.symbols("t", integer=True, nonnegative=True)
    assert sp.summation(quarter**t, (t, 0, 1)) / sp.summation(quarter**t, (t, 0, sp.oo)) == sp.Rational(15, 16)
    for gamma, T_page in [(0.9, 66), (0.99, 688)]:
        weights = gamma ** np.arange(100_000)
        T = int(np.argmax(np.cumsum(weights) / weights.sum() >= 0.999)) + 1
        assert T == T_page
