"""The loaders of pgbook.loaders: each against the same MDP written out by hand (tests/handbuilt.py),
Gymnasium's against env.step sampling, the array layouts against pymdptoolbox's and QuantEcon's own
models and solvers, and every kind of malformed input against a clear error naming the argument."""

import gymnasium
import numpy as np
import pytest
import scipy.sparse
from gymnasium.envs.toy_text import CliffWalkingEnv, FrozenLakeEnv, TaxiEnv
from hypothesis import given, settings
from hypothesis import strategies as st

import handbuilt as hb
import oracle
import pgbook
from conftest import mdps
from pgbook import MDP, envs, loaders


def same_mdp(mdp, P, r, terminal, rho, gamma):
    assert mdp.P.shape == P.shape
    assert np.allclose(mdp.P, P, rtol=0, atol=1e-15) and np.allclose(mdp.r, r, rtol=0, atol=1e-15)
    assert np.array_equal(mdp.terminal, terminal) and np.allclose(mdp.rho, rho) and mdp.gamma == gamma


# --- Gymnasium ------------------------------------------------------------------------------------


@pytest.mark.parametrize("slippery", [True, False])
def test_frozen_lake_is_the_lake_written_out_by_hand(slippery):
    P, r, terminal, rho = hb.frozen_lake(slippery)
    env = gymnasium.make("FrozenLake-v1", is_slippery=slippery)
    for source in (env, env.unwrapped):
        mdp = loaders.from_gymnasium(source, gamma=0.9)
        same_mdp(mdp, P, r, terminal, rho, 0.9)
        assert isinstance(mdp, envs.GridMDP) and mdp.layout == ("S...", ".X.X", "...X", "X..G")
    table = MDP.from_gym(env.unwrapped.P, 0.9, rho)
    assert np.array_equal(mdp.P, table.P) and np.array_equal(mdp.r, table.r)
    if slippery:  # by id: gymnasium.make's default lake, the slippery one
        assert np.array_equal(loaders.from_gymnasium("FrozenLake-v1", gamma=0.9).P, mdp.P)


def test_cliff_walking_is_the_cliff_written_out_by_hand_in_the_grid_order():
    P, r, terminal, rho = hb.cliff_walking("pgbook")
    mdp = loaders.from_gymnasium("CliffWalking-v1", gamma=0.99)
    same_mdp(mdp, P, r, terminal, rho, 0.99)
    assert mdp.layout[-1] == "SXXXXXXXXXXG" and set("".join(mdp.layout[:-1])) == {"."}
    # Gymnasium's own numbering of the actions, read straight from its table, is the other order
    table = MDP.from_gym(CliffWalkingEnv().P, 0.99, rho)
    P_gym, _, _, _ = hb.cliff_walking("gymnasium")
    assert np.array_equal(table.P, P_gym)
    assert np.array_equal(table.P[:, list(loaders.CLIFF_WALKING_ACTIONS)], mdp.P)


def sampled_frequencies(env, mdp, states, actions, n, seed):
    core = env.unwrapped
    core.reset(seed=seed)
    counts, rewards = np.zeros((len(states), mdp.A, mdp.S)), np.zeros((len(states), mdp.A))
    for k, s in enumerate(states):
        for a, gym_action in enumerate(actions):
            for _ in range(n):
                core.s = s
                s2, reward, *_ = core.step(gym_action)
                counts[k, a, s2] += 1
                rewards[k, a] += reward
    return counts / n, rewards / n


@pytest.mark.parametrize("make, actions, n", [
    (lambda: FrozenLakeEnv(), range(4), 3000),
    (lambda: FrozenLakeEnv(map_name="8x8"), range(4), 600),
    (lambda: CliffWalkingEnv(), loaders.CLIFF_WALKING_ACTIONS, 3),
    (lambda: TaxiEnv(), range(6), 2),
])
def test_gymnasium_tables_match_env_step_sampling(make, actions, n):
    """Next states and rewards sampled with env.step (seeded): within 5 standard errors of the loaded
    P and r; deterministic transitions exactly."""
    env = make()
    mdp = loaders.from_gymnasium(env, gamma=0.95)
    live = np.flatnonzero(~mdp.terminal)
    states = live if len(live) <= 64 else np.random.default_rng(0).choice(live, 64, replace=False)
    freq, reward = sampled_frequencies(env, mdp, states, actions, n, seed=3)
    P = mdp.P[states]
    se = np.sqrt(P * (1 - P) / n)
    assert np.all(np.abs(freq - P) <= 5 * se + 1e-12)
    R_all = np.array([[[rw for _, _, rw, _ in env.unwrapped.P[s][g]] for g in actions] for s in states], dtype=object)
    spread = np.array([[np.ptp(np.asarray(x, float)) for x in row] for row in R_all])
    assert np.all(np.abs(reward - mdp.r[states]) <= 5 * spread / np.sqrt(n) + 1e-12)


def test_taxi_loads_with_its_terminal_states_and_start_distribution():
    env = TaxiEnv()
    mdp = loaders.from_gymnasium(env, gamma=0.99)
    assert (mdp.S, mdp.A) == (500, 6) and not isinstance(mdp, envs.GridMDP)
    assert np.array_equal(mdp.rho, env.initial_state_distrib)
    done = {s2 for s in range(500) for a in range(6) for _, s2, _, d in env.P[s][a] if d}
    assert set(np.flatnonzero(mdp.terminal)) == done


def test_frozen_lake_at_gamma_one_is_episodic():
    mdp = loaders.from_gymnasium("FrozenLake-v1", gamma=1.0)
    P, r, terminal, _ = hb.frozen_lake()
    V, _ = hb.value_iteration(P, r, 1.0, terminal)
    assert np.allclose(pgbook.policy_iteration(mdp)[1], V, atol=1e-9)


# --- arrays: pymdptoolbox and QuantEcon ---------------------------------------------------------


def test_the_forest_in_pymdptoolbox_layout_is_the_forest_written_out_by_hand():
    import mdptoolbox.example
    import mdptoolbox.mdp

    P_tb, R_tb = mdptoolbox.example.forest()
    P, r = hb.forest()
    mdp = loaders.from_arrays(P_tb, R_tb, 0.9, layout="mdptoolbox")
    same_mdp(mdp, P, r, np.zeros(3, bool), np.full(3, 1 / 3), 0.9)
    solver = mdptoolbox.mdp.PolicyIteration(P_tb, R_tb, 0.9)
    solver.run()
    pi_star, V_star = pgbook.policy_iteration(mdp)
    assert np.allclose(V_star, solver.V, atol=1e-10) and tuple(pi_star.argmax(axis=1)) == solver.policy


def test_pymdptoolbox_reward_shapes_and_sparse_matrices_give_the_same_mdp():
    import mdptoolbox.example

    P_tb, R_tb = mdptoolbox.example.rand(5, 3, is_sparse=False)  # R: (A, S, S) per transition
    base = loaders.from_arrays(P_tb, R_tb, 0.8, layout="mdptoolbox")
    r_by_hand = np.einsum("ast,ast->sa", P_tb, R_tb)
    assert np.allclose(base.r, r_by_hand) and np.allclose(base.P, P_tb.transpose(1, 0, 2))
    sparse = loaders.from_arrays([scipy.sparse.csr_matrix(m) for m in P_tb],
                                 [scipy.sparse.csr_matrix(m) for m in R_tb], 0.8, layout="mdptoolbox")
    assert np.allclose(sparse.P, base.P) and np.allclose(sparse.r, base.r)
    per_state = loaders.from_arrays(P_tb, np.arange(5.0), 0.8, layout="mdptoolbox")
    assert np.array_equal(per_state.r, np.repeat(np.arange(5.0)[:, None], 3, axis=1))


def test_quantecon_discrete_dp_loads_and_solves_alike():
    import quantecon

    P, r = hb.forest()
    ddp = quantecon.markov.DiscreteDP(r, P, 0.95)
    mdp = loaders.from_arrays(ddp.Q, ddp.R, ddp.beta, layout="quantecon")
    same_mdp(mdp, P, r, np.zeros(3, bool), np.full(3, 1 / 3), 0.95)
    result = ddp.solve(method="policy_iteration")
    pi_star, V_star = pgbook.policy_iteration(mdp)
    assert np.allclose(V_star, result.v, atol=1e-10) and np.array_equal(pi_star.argmax(axis=1), result.sigma)


@settings(max_examples=25, deadline=None)
@given(mdps(max_S=6, max_A=4))
def test_both_layouts_round_trip_any_mdp(mdp):
    toolbox = loaders.from_arrays(mdp.P.transpose(1, 0, 2), mdp.r, mdp.gamma, layout="mdptoolbox", rho=mdp.rho)
    quantecon = loaders.from_arrays(mdp.P, mdp.r, mdp.gamma, layout="quantecon", rho=mdp.rho)
    for loaded in (toolbox, quantecon):
        assert np.array_equal(loaded.P, mdp.P) and np.array_equal(loaded.r, mdp.r) and np.array_equal(loaded.rho, mdp.rho)
        assert loaded.P.flags.c_contiguous


def test_a_transposed_array_evaluates_at_any_size():
    """MDP keeps C-ordered copies: a transposed P (pymdptoolbox's, made pgbook's by a view) must not
    reach the kernels, which reshape P in place, as a non-contiguous array."""
    mdp = envs.random_mdp(60, 3, seed=1)
    loaded = loaders.from_arrays(np.asarray(mdp.P).transpose(1, 0, 2), mdp.r, mdp.gamma, layout="mdptoolbox")
    assert np.allclose(pgbook.policy_iteration(loaded)[1], pgbook.policy_iteration(mdp)[1])


# --- a typed grid ---------------------------------------------------------------------------------


@pytest.mark.parametrize("slip", [0.0, 0.1, 2 / 3])
def test_a_typed_grid_is_the_grid_written_out_by_hand(slip):
    rows = ["S..#.", ".#..X", "...#G"]
    typed = "\n    " + "\n    ".join(rows) + "\n"
    rewards = dict(goal_reward=2.0, pit_reward=-1.0, step_reward=-0.1)
    P, r, terminal, rho = hb.grid(rows, slip, **rewards)
    for layout in (typed, rows):
        mdp = loaders.from_grid(layout, 0.9, slip, **rewards)
        same_mdp(mdp, P, r, terminal, rho, 0.9)
        assert mdp.layout == tuple(rows)
    default = loaders.from_grid(rows, 0.9, slip)
    assert np.array_equal(default.P, envs.gridworld(rows, 0.9, slip).P) and default.r.min() >= 0


def test_several_starts_share_the_start_distribution():
    mdp = loaders.from_grid("S.S\n..G", 0.9)
    assert np.allclose(mdp.rho, [0.5, 0, 0.5, 0, 0, 0])


# --- rescaling rewards ----------------------------------------------------------------------------


def test_rescaling_moves_every_value_by_the_same_affine_map():
    cliff = loaders.from_gymnasium("CliffWalking-v1", gamma=0.95)
    rescaled = loaders.rescale_rewards(cliff)
    assert isinstance(rescaled, envs.GridMDP) and not rescaled.terminal.any()
    assert (rescaled.r.min(), rescaled.r.max()) == (0.0, 1.0)
    pi = pgbook.policies.softmax(np.random.default_rng(0).standard_normal((cliff.S, cliff.A)))
    P, r, terminal, _ = hb.cliff_walking()
    V = oracle.value(P, r, 0.95, pi)
    V_rescaled = oracle.value(np.asarray(rescaled.P), np.asarray(rescaled.r), 0.95, pi)
    assert np.allclose(V_rescaled, (V + 100 / (1 - 0.95)) / 100, atol=1e-9)


# --- bad input: a clear error naming the argument -----------------------------------------------

P_OK = np.array([[[0.5, 0.5], [0.0, 1.0]], [[1.0, 0.0], [1.0, 0.0]]])  # (A, S, S) = (2, 2, 2)
R_OK = np.zeros((2, 2))
P3 = np.full((2, 3, 3), 1 / 3)  # (A, S, S) = (2, 3, 3)


class NoTable:
    observation_space = gymnasium.spaces.Discrete(2)
    action_space = gymnasium.spaces.Discrete(2)


class NoStart(NoTable):
    P = {s: {a: [(1.0, s, 0.0, False)] for a in range(2)} for s in range(2)}


class ContinuousWithTable(NoStart):
    observation_space = gymnasium.spaces.Box(0, 1, (2,))


class TooManyStates(NoStart):
    observation_space = gymnasium.spaces.Discrete(3)


BAD = [
    # Gymnasium
    (lambda: loaders.from_gymnasium(NoTable(), 0.9), TypeError, r"env: NoTable has no transition table P"),
    (lambda: loaders.from_gymnasium("CartPole-v1", 0.9), TypeError, r"env: CartPoleEnv has no transition table P"),
    (lambda: loaders.from_gymnasium(ContinuousWithTable(), 0.9), TypeError, r"env: its observation_space is not discrete"),
    (lambda: loaders.from_gymnasium(TooManyStates(), 0.9), ValueError, r"env: its table P has 2 states, its observation space 3"),
    (lambda: loaders.from_gymnasium(NoStart(), 0.9), ValueError, r"rho: NoStart has no initial_state_distrib"),
    (lambda: loaders.from_gymnasium(NoStart(), 0.9, rho=[0.5, 0.6]), ValueError, r"rho: must sum to 1"),
    (lambda: loaders.from_gymnasium("FrozenLake-v1", 1.5), ValueError, r"gamma: must lie in \[0, 1\]"),
    (lambda: loaders.from_gymnasium("FrozenLake-v1", None), TypeError, r"gamma: expected a real number"),
    # arrays: the layout
    (lambda: loaders.from_arrays(P_OK, R_OK, 0.9, layout="pymdptoolbox"), ValueError,
     r"layout: 'pymdptoolbox' is not a layout pgbook reads; choose one of \['mdptoolbox', 'quantecon'\]"),
    (lambda: loaders.from_arrays(P_OK, R_OK, 0.9, layout=None), TypeError, r"layout: expected one of"),
    (lambda: loaders.from_arrays(P_OK, R_OK, 0.9), TypeError, r"layout"),
    # arrays: shapes
    (lambda: loaders.from_arrays(P_OK[0], R_OK, 0.9, layout="mdptoolbox"), ValueError, r"P: expected a 3-d array, got shape \(2, 2\)"),
    (lambda: loaders.from_arrays(np.full((3, 2, 3), 1 / 3), R_OK, 0.9, layout="mdptoolbox"), ValueError,
     r"P: layout 'mdptoolbox' holds P\[a, s, s'\], shape \(A, S, S\).*got \(3, 2, 3\).*layout='quantecon'"),
    (lambda: loaders.from_arrays(P3, np.zeros((2, 3)), 0.9, layout="mdptoolbox"), ValueError,
     r"R: layout 'mdptoolbox' takes shape \(S,\) = \(3,\), \(S, A\) = \(3, 2\) or \(A, S, S\) = \(2, 3, 3\), got \(2, 3\)"),
    (lambda: loaders.from_arrays(np.full((2, 3, 3), 1 / 3), R_OK, 0.9, layout="quantecon"), ValueError,
     r"P: layout 'quantecon' holds Q\[s, a, s'\], shape \(S, A, S\).*got \(2, 3, 3\)"),
    (lambda: loaders.from_arrays(np.full((3, 2, 3), 1 / 3), np.zeros((2, 3)), 0.9, layout="quantecon"), ValueError,
     r"R: layout 'quantecon' takes shape \(S, A\) = \(3, 2\), got \(2, 3\)"),
    (lambda: loaders.from_arrays(np.full((3, 3), 1 / 3), R_OK, 0.9, layout="quantecon"), ValueError,
     r"P: layout 'quantecon' takes the product form Q: \(S, A, S\).*to_product_form"),
    # arrays: probabilities
    (lambda: loaders.from_arrays(P_OK * [[[1.0]], [[0.9]]], R_OK, 0.9, layout="mdptoolbox"), ValueError,
     r"P: each row must sum to 1 .*P\[1, 0\]\.sum\(\) = 0\.9 \(layout 'mdptoolbox': P\[a, s, s'\]"),
    (lambda: loaders.from_arrays(np.array([[[1.2, -0.2], [0, 1]], [[1, 0], [1, 0]]]), R_OK, 0.9, layout="mdptoolbox"),
     ValueError, r"P: negative probability -0\.2 at index \(0, 0, 1\) \(layout 'mdptoolbox'"),
    (lambda: loaders.from_arrays(np.array([[[0.5, 0.6], [1, 0]], [[1, 0], [1, 0]]]), R_OK, 0.9, layout="quantecon"),
     ValueError, r"P: each row must sum to 1 .*P\[0, 0\]\.sum\(\) = 1\.1 \(layout 'quantecon': Q\[s, a, s'\]"),
    (lambda: loaders.from_arrays(np.full((2, 2, 2), np.nan), R_OK, 0.9, layout="mdptoolbox"), ValueError,
     r"P: contains NaN or infinite entries"),
    (lambda: loaders.from_arrays("P", R_OK, 0.9, layout="mdptoolbox"), TypeError, r"P: expected an array of numbers"),
    # arrays: rewards
    (lambda: loaders.from_arrays(P_OK, [[0.0, 1.0], [2.0, -np.inf]], 0.9, layout="quantecon"), ValueError,
     r"R: R\[1, 1\] = -inf, QuantEcon's mark of an action infeasible"),
    (lambda: loaders.from_arrays(P_OK, [[0.0, np.nan], [0.0, 0.0]], 0.9, layout="mdptoolbox"), ValueError,
     r"R: contains NaN or infinite entries"),
    (lambda: loaders.from_arrays(P_OK, [["a", "b"], ["c", "d"]], 0.9, layout="mdptoolbox"), TypeError,
     r"R: expected an array of real numbers"),
    (lambda: loaders.from_arrays(P_OK, R_OK, 1.0, layout="mdptoolbox"), ValueError,
     r"gamma: must lie in \[0, 1\) \(gamma = 1 needs terminal states\)"),
    (lambda: loaders.from_arrays(P_OK, R_OK, 0.9, layout="mdptoolbox", rho=[1.0]), ValueError, r"rho: expected shape \(2,\)"),
    # a typed grid
    (lambda: loaders.from_grid("S.?\n..G", 0.9), ValueError,
     r"layout: unknown cell characters \['\?'\] \(the first '\?' in row 0, column 2\); use \. # S G X"),
    (lambda: loaders.from_grid("...\n..G", 0.9), ValueError, r"layout: the map has no start 'S'"),
    (lambda: loaders.from_grid("S..\n.G", 0.9), ValueError, r"layout: rows must be non-empty strings of equal length: row lengths \[3, 2\]"),
    (lambda: loaders.from_grid("", 0.9), ValueError, r"layout: rows must be non-empty strings of equal length: no rows"),
    (lambda: loaders.from_grid(42, 0.9), TypeError, r"layout: expected the map as a string"),
    (lambda: loaders.from_grid(["S.", 3], 0.9), TypeError, r"layout: expected the map as a string"),
    (lambda: loaders.from_grid("S.G", 0.9, slip=1.5), ValueError, r"slip: must lie in \[0, 1\]"),
    (lambda: loaders.from_grid("S.G", 0.9, goal_reward="1"), TypeError, r"goal_reward: expected a real number"),
    (lambda: loaders.from_grid("S.G", 0.9, step_reward=np.inf), ValueError, r"step_reward: must be a finite number"),
    (lambda: loaders.from_grid("S.G", 1.5), ValueError, r"gamma: must lie in \[0, 1\]"),
    # rescaling
    (lambda: loaders.rescale_rewards(loaders.from_grid("S.G", 1.0)), ValueError, r"mdp: gamma must be < 1 for rescale_rewards"),
    (lambda: loaders.rescale_rewards(envs.bandit([0.5, 0.5], gamma=0.5)), ValueError, r"mdp: every reward is 0\.5"),
    (lambda: loaders.rescale_rewards("mdp"), TypeError, r"mdp: expected a pgbook.MDP"),
]


@pytest.mark.parametrize("call, error, message", BAD)
def test_bad_input_names_the_argument(call, error, message):
    with pytest.raises(error, match=message):
        call()


@given(st.text(alphabet=".#SGX?a ", min_size=1, max_size=30))
def test_any_typed_text_loads_or_is_refused_clearly(text):
    try:
        mdp = loaders.from_grid(text, 0.9)
    except (TypeError, ValueError) as e:
        assert str(e).startswith("layout:")
    else:
        assert mdp.rho.sum() == pytest.approx(1.0) and "S" in text
