"""The MDP container: Gymnasium import, and the messages every public function gives for bad input."""

from fractions import Fraction

import gymnasium
import numpy as np
import pytest
from conftest import mdps
from hypothesis import given

import pgbook
from pgbook import MDP, envs, exact, gradients, highprec, natural, policies

# --- MDP.from_gym on FrozenLake -------------------------------------------------------------------


def _evaluate_gym_table(table, pi, gamma, sweeps=20000):
    """Iterative evaluation straight from the Gymnasium table: V(s) = sum_a pi(a|s) sum over the
    (prob, next, reward, done) tuples of prob (reward + gamma (1 - done) V(next))."""
    V = np.zeros(len(table))
    for _ in range(sweeps):
        V_next = np.array([
            sum(pi[s, a] * sum(p * (rew + gamma * (not done) * V[nxt]) for p, nxt, rew, done in table[s][a])
                for a in range(len(table[s])))
            for s in range(len(table))
        ])
        if np.abs(V_next - V).max() < 1e-13:
            return V_next
        V = V_next
    raise AssertionError("iterative evaluation did not converge")


@pytest.mark.parametrize("map_name, slippery", [("4x4", True), ("4x4", False), ("8x8", True)])
@pytest.mark.parametrize("gamma", [0.9, 1.0])
def test_from_gym_frozen_lake(map_name, slippery, gamma):
    table = gymnasium.make("FrozenLake-v1", map_name=map_name, is_slippery=slippery).unwrapped.P
    mdp = MDP.from_gym(table, gamma)
    desc = "".join(gymnasium.make("FrozenLake-v1", map_name=map_name).unwrapped.desc.ravel().astype(str))
    assert mdp.terminal.tolist() == [c in "HG" for c in desc]
    pi = policies.softmax(np.random.default_rng(0).standard_normal((mdp.S, mdp.A)))
    V = exact.value(mdp, pi)
    assert np.allclose(V, _evaluate_gym_table(table, pi, gamma), rtol=0, atol=1e-10)
    goal = desc.index("G")
    # FrozenLake pays 1 on reaching the goal: r(s, a) = P(goal | s, a) off the terminal states.
    live = ~mdp.terminal
    assert np.allclose(mdp.r[live], mdp.P[live][:, :, goal], rtol=0, atol=1e-15) and mdp.r.max() > 0


@given(mdps(max_S=8))
def test_span_bounds_every_row_of_P(mdp):
    """MDP.span, the range of next states the evaluation loops visit, against P entry by entry: every
    nonzero lies inside it, and both of its ends are nonzero (so it is the tightest such range)."""
    for s in range(mdp.S):
        for a in range(mdp.A):
            lo, hi = mdp.span[s, a]
            nonzero = [t for t in range(mdp.S) if mdp.P[s, a, t] != 0.0]
            assert (lo, hi) == (nonzero[0], nonzero[-1] + 1)


def test_mdp_is_read_only_and_replace_validates():
    mdp = envs.random_mdp(3, 2, seed=0)
    with pytest.raises(AttributeError, match="immutable"):
        mdp.gamma = 0.5
    with pytest.raises(ValueError, match="read-only"):
        mdp.P[0, 0, 0] = 1.0
    with pytest.raises(ValueError, match="read-only"):
        mdp.span[0, 0, 0] = 1
    assert mdp.replace(gamma=0.5).gamma == 0.5 and np.array_equal(mdp.replace(gamma=0.5).P, mdp.P)


# --- The table of bad inputs ----------------------------------------------------------------------

M = envs.random_mdp(3, 2, seed=0)
PI = np.full((3, 2), 0.5)
TH = np.zeros((3, 2))
PHI = np.ones((3, 2, 2))
P_OK = np.full((2, 1, 2), 0.5)
NOT_TERMINAL = np.array([[[0.0, 1.0]], [[0.0, 1.0]]])
STAY_LEFT = np.tile([0.0, 1.0], (4, 1))
BAD_PI = {
    "wrong shape": (np.full((2, 2), 0.5), ValueError, r"pi: expected shape \(3, 2\), got \(2, 2\)"),
    "row sum": (np.full((3, 2), 0.6), ValueError, r"pi: each row must sum to 1 .*pi\[0\]\.sum\(\) = 1\.2"),
    "negative": ([[1.5, -0.5]] * 3, ValueError, r"pi: negative probability -0\.5 at index \(0, 1\)"),
    "nan": ([[np.nan, 1.0]] * 3, ValueError, r"pi: contains NaN or infinite entries"),
    "text": ("uniform", TypeError, r"pi: expected an array of numbers, got str"),
}

CASES = [
    # MDP
    (MDP, dict(P=np.ones((2, 1, 3)) / 3, r=np.zeros((2, 1)), gamma=0.9), ValueError, r"P: expected shape \(S, A, S\)"),
    (MDP, dict(P=np.full((2, 1, 2), 0.6), r=np.zeros((2, 1)), gamma=0.9), ValueError, r"P: each row must sum to 1"),
    (MDP, dict(P=[[[1.5, -0.5]], [[0.5, 0.5]]], r=np.zeros((2, 1)), gamma=0.9), ValueError, r"P: negative probability"),
    (MDP, dict(P=P_OK, r=[[np.nan], [0.0]], gamma=0.9), ValueError, r"r: contains NaN"),
    (MDP, dict(P=P_OK, r=np.zeros((2, 2)), gamma=0.9), ValueError, r"r: expected shape \(2, 1\)"),
    (MDP, dict(P=P_OK, r=np.zeros((2, 1)), gamma=1.0), ValueError, r"gamma: must lie in \[0, 1\) \(gamma = 1 needs terminal"),
    (MDP, dict(P=P_OK, r=np.zeros((2, 1)), gamma="0.9"), TypeError, r"gamma: expected a real number, got str"),
    (MDP, dict(P=P_OK, r=np.zeros((2, 1)), gamma=0.9, rho=[0.7, 0.7]), ValueError, r"rho: must sum to 1"),
    (MDP, dict(P=P_OK, r=np.zeros((2, 1)), gamma=0.9, terminal=[0]), ValueError, r"terminal: state 0 must be absorbing"),
    (MDP, dict(P=NOT_TERMINAL, r=np.zeros((2, 1)), gamma=0.9, terminal=[2]), ValueError, r"terminal: state indices must lie in \[0, 2\)"),
    (MDP.from_gym, dict(table="FrozenLake", gamma=0.9), TypeError, r"table: expected a mapping or sequence"),
    (MDP.from_gym, dict(table={0: {0: [(1.0, 5, 0.0, False)]}}, gamma=0.9), ValueError, r"table\[0\]\[0\]\[0\]: next_state 5 is not a state"),
    (M.replace, dict(beta=0.5), TypeError, r"replace: unknown field\(s\) \['beta'\]"),
    # exact
    (exact.value, dict(mdp="mdp", pi=PI), TypeError, r"mdp: expected a pgbook\.MDP, got str"),
    *[(f, dict(mdp=M, pi=bad), exc, msg) for f in (exact.value, exact.q_value, exact.advantage, exact.policy_matrices,
                                                   exact.evaluate, exact.visitation) for bad, exc, msg in BAD_PI.values()],
    (exact.value, dict(mdp=envs.short_corridor(), pi=STAY_LEFT), ValueError, r"pi: with gamma = 1 .* states \[0, 1, 2\] never terminate"),
    (exact.visitation, dict(mdp=M, pi=PI, rho=3), ValueError, r"rho: state index must lie in \[0, 3\), got 3"),
    (exact.evaluate, dict(mdp=M, pi=PI, rho=[0.5, 0.5]), ValueError, r"rho: expected shape \(3,?\), got \(2,\)"),
    (exact.evaluate, dict(mdp=M, pi=PI, rho=[0.5, 0.6, -0.1]), ValueError, r"rho: negative probability"),
    # policies
    (policies.softmax, dict(theta="logits"), TypeError, r"theta: expected an array of numbers"),
    (policies.softmax, dict(theta=1.0), ValueError, r"theta: needs a non-empty last \(action\) axis"),
    (policies.softmax, dict(theta=[0.0, np.inf]), ValueError, r"theta: contains NaN or infinite"),
    (policies.log_softmax, dict(theta=[]), ValueError, r"theta: needs a non-empty last \(action\) axis"),
    (policies.uniform, dict(mdp=None), TypeError, r"mdp: expected a pgbook\.MDP, got NoneType"),
    (policies.greedy, dict(Q=np.ones(3)), ValueError, r"Q: expected a 2-d array, got shape \(3,\)"),
    (policies.loglinear, dict(theta=np.zeros(3), phi=PHI), ValueError, r"theta: expected shape \(2,?\), got \(3,\)"),
    (policies.loglinear, dict(theta=np.zeros(2), phi=np.ones((3, 2))), ValueError, r"phi: expected a 3-d array"),
    (policies.project_simplex, dict(x=2.0), ValueError, r"x: needs a non-empty last axis"),
    # envs
    (envs.gridworld, dict(layout="S..G"), TypeError, r"layout: expected a sequence of row strings"),
    (envs.gridworld, dict(layout=["S.", "..G"]), ValueError, r"layout: rows must be non-empty strings of equal length"),
    (envs.gridworld, dict(layout=["S.Z"]), ValueError, r"layout: unknown cell characters \['Z'\]"),
    (envs.gridworld, dict(layout=["##"]), ValueError, r"layout: has no free cells"),
    (envs.gridworld, dict(slip=1.5), ValueError, r"slip: must lie in \[0, 1\], got 1\.5"),
    (envs.gridworld, dict(gamma=2.0), ValueError, r"gamma: must lie in \[0, 1\]"),
    (envs.gridworld().grid, dict(x=np.zeros(3)), ValueError, r"x: expected shape \(21,?\), got \(3,\)"),
    (envs.random_mdp, dict(S=0, A=2, seed=0), ValueError, r"S: must be a positive integer, got 0"),
    (envs.random_mdp, dict(S=2, A=2.5, seed=0), TypeError, r"A: expected a positive integer, got float"),
    (envs.random_mdp, dict(S=2, A=2, seed=-1), ValueError, r"seed: must lie in \[0, 2\*\*64\)"),
    (envs.random_mdp, dict(S=2, A=2, seed=1.5), TypeError, r"seed: expected an integer, got float"),
    (envs.random_mdp, dict(S=2, A=2, seed=0, random_rho="random"), TypeError, r"random_rho: expected True or False"),
    (envs.random_mdp, dict(S=3, A=2, seed=0, branching=4), ValueError, r"branching: must be at most S = 3, got 4"),
    (envs.bandit, dict(rewards=[]), ValueError, r"rewards: needs at least one arm"),
    (envs.bandit, dict(rewards=[[1.0]]), ValueError, r"rewards: expected a 1-d array"),
    (envs.chain, dict(H=0), ValueError, r"H: must be a positive integer, got 0"),
    (envs.chain, dict(H=2.0), TypeError, r"H: expected a positive integer, got float"),
    (envs.chain, dict(H=35), ValueError, r"H: chain\(35\) is beyond float64 .*pgbook\.highprec\.chain_exact\(H\)"),
    (envs.chain_policy, dict(theta=np.full((2, 3), 0.4)), ValueError, r"theta: each row must sum to at most 1"),
    (envs.chain_policy, dict(theta=[[0.5, -0.1, 0.1]]), ValueError, r"theta: probabilities must be >= 0"),
    (envs.chain_policy, dict(theta=np.zeros((2, 2))), ValueError, r"theta: expected shape \(\*, 3\), got \(2, 2\)"),
    (envs.chain_policy, dict(theta=np.zeros((0, 3))), ValueError, r"theta: needs one row per chain state"),
    (envs.two_state, dict(gamma=1.0), ValueError, r"gamma: must lie in \[0, 1\)"),
    (envs.three_state, dict(gamma=1.0), ValueError, r"gamma: must lie in \[0, 1\)"),
    (envs.two_state, dict(rho=[1.0, 1.0]), ValueError, r"rho: must sum to 1"),
    # gradients
    (gradients.softmax_gradient, dict(mdp="mdp", theta=TH), TypeError, r"mdp: expected a pgbook\.MDP"),
    (gradients.softmax_gradient, dict(mdp=M, theta=np.zeros((2, 3))), ValueError, r"theta: expected shape \(3, 2\)"),
    (gradients.softmax_gradient, dict(mdp=M, theta=TH, rho=-1), ValueError, r"rho: state index must lie in \[0, 3\)"),
    (gradients.loglinear_gradient, dict(mdp=M, theta=np.zeros(2), phi=np.ones((3, 3, 2))), ValueError, r"phi: expected shape \(3, 2, \*\)"),
    (gradients.loglinear_gradient, dict(mdp=M, theta=np.zeros(0), phi=np.ones((3, 2, 0))), ValueError, r"phi: needs at least one feature"),
    (gradients.loglinear_gradient, dict(mdp=M, theta=np.zeros(3), phi=PHI), ValueError, r"theta: expected shape \(2,?\), got \(3,\)"),
    *[(gradients.direct_gradient, dict(mdp=M, pi=bad), exc, msg) for bad, exc, msg in BAD_PI.values()],
    *[(gradients.soft_value, dict(mdp=M, pi=bad, tau=0.1), exc, msg) for bad, exc, msg in BAD_PI.values()],
    (gradients.soft_value, dict(mdp=M, pi=PI, tau=-0.1), ValueError, r"tau: must be a finite number >= 0"),
    (gradients.soft_value, dict(mdp=M, pi=PI, tau=np.nan), ValueError, r"tau: must be a finite number >= 0"),
    (gradients.entropy_regularized_gradient, dict(mdp=M, theta=TH, tau="0.1"), TypeError, r"tau: expected a real number"),
    (gradients.entropy_regularized_gradient, dict(mdp=M, theta=[[0.0, np.nan]] * 3, tau=0.1), ValueError, r"theta: contains NaN"),
    (gradients.log_barrier_objective, dict(mdp=M, theta=TH, lam=-1.0), ValueError, r"lam: must be a finite number >= 0"),
    (gradients.log_barrier_gradient, dict(mdp=M, theta=TH, lam=np.inf), ValueError, r"lam: must be a finite number >= 0"),
    (gradients.log_barrier_gradient, dict(mdp=M, theta=np.zeros(6), lam=0.1), ValueError, r"theta: expected a 2-d array"),
    (gradients.centred_features, dict(phi=PHI, pi=np.full((3, 3), 1 / 3)), ValueError, r"pi: expected shape \(3, 2\)"),
    (gradients.centred_features, dict(phi=PHI, pi=np.full((3, 2), 0.6)), ValueError, r"pi: each row must sum to 1"),
    # natural
    (natural.fisher, dict(mdp=M, theta=np.zeros((3, 3))), ValueError, r"theta: expected shape \(3, 2\)"),
    (natural.fisher, dict(mdp=M, theta=TH, rho=[1.0, 0.0]), ValueError, r"rho: expected shape \(3,?\), got \(2,\)"),
    (natural.npg_step, dict(mdp=M, theta=TH, eta=0.0), ValueError, r"eta: must be a finite number > 0, got 0\.0"),
    (natural.npg_step, dict(mdp=envs.short_corridor(), theta=np.zeros((4, 2)), eta=1.0), ValueError, r"mdp: gamma must be < 1 for npg_step"),
    (natural.loglinear_fisher, dict(mdp=M, theta=np.zeros(2), phi=np.ones((2, 2, 2))), ValueError, r"phi: expected shape \(3, 2, \*\)"),
    (natural.compatible_fit, dict(mdp=M, theta=np.zeros(2), phi=PHI, target="V"), ValueError, r"target: expected 'A' or 'Q', got 'V'"),
    (natural.compatible_fit, dict(mdp="mdp", theta=np.zeros(2), phi=PHI), TypeError, r"mdp: expected a pgbook\.MDP"),
    # highprec
    (highprec.chain_exact, dict(H=0), ValueError, r"H: must be a positive integer"),
    (highprec.chain_exact, dict(H=5, theta_a1=1.5), ValueError, r"theta_a1: a probability must be at most 1, got 1\.5"),
    (highprec.chain_exact, dict(H=5, theta_a1=-0.1), ValueError, r"theta_a1: must be a finite number >= 0"),
    (highprec.chain_exact, dict(H=5, dps=20), ValueError, r"dps: the exact path works with at least 50 digits, got 20"),
    (highprec.chain_exact, dict(H=5, dps=60.0), TypeError, r"dps: expected a positive integer, got float"),
    (highprec.chain_hitting_time, dict(H=-2), ValueError, r"H: must be a positive integer"),
    (highprec.chain_hitting_time, dict(H=3, forward=0.25), ValueError, r"forward: expected a rational probability in \(0, 1\]"),
    (highprec.chain_hitting_time, dict(H=3, forward=Fraction(0)), ValueError, r"forward: expected a rational probability"),
]


@pytest.mark.parametrize("f, kwargs, exception, message", CASES,
                         ids=[f"{c[0].__qualname__}-{i}" for i, c in enumerate(CASES)])
def test_bad_input_is_refused_with_a_message(f, kwargs, exception, message):
    with pytest.raises(exception, match=message):
        f(**kwargs)


# The bad inputs of issue 7: each is refused with an error that names the argument.
BAD_INPUTS = [
    (lambda: pgbook.log_softmax([1e308, -1e308]), ValueError, r"theta: the entries of a row differ by more than"),
    (lambda: pgbook.softmax_gradient(envs.bandit([1.0, 0.0]), [[1e308, -1e308]]), ValueError, r"theta: the entries"),
    (lambda: pgbook.value(envs.bandit([1.0, 0.0]), np.array([[0.5 + 1j, 0.5]])), TypeError,
     r"pi: expected an array of real numbers, got a complex128 array"),
    (lambda: pgbook.softmax(np.array([1.0 + 2j, 0.0])), TypeError, r"theta: expected an array of real numbers"),
    (lambda: MDP(np.ones((1, 1, 1)), [["0.5"]], 0.9), TypeError, r"r: expected an array of real numbers"),
    (lambda: MDP.from_gym({0: {0: [(1.0, 0, 0.0, False)], 2: [(1.0, 0, 0.0, False)]}}, 0.9), ValueError,
     r"table\[0\]: keys must be numbered 0..1"),
    (lambda: MDP.from_gym([[[(1.0, 0, 0.0, False)], [(1.0, 0, 0.0, False)]], [[(1.0, 0, 0.0, False)]]], 0.9),
     ValueError, r"table\[1\]: has 1 actions, table\[0\] has 2"),
    (lambda: MDP.from_gym({0: {0: [1.0]}}, 0.9), TypeError, r"table\[0\]\[0\]\[0\]: expected a \(prob, next_state"),
    (lambda: MDP.from_gym({0: {0: 1.0}}, 0.9), TypeError, r"table\[0\]\[0\]: expected a list of"),
    (lambda: MDP.from_gym({0: {0: [("1.0", 0, 0.0, False)]}}, 0.9), TypeError,
     r"table\[0\]\[0\]\[0\]: prob must be a finite real number, got '1.0'"),
    (lambda: MDP.from_gym({0: {0: [(0.5, 0, 0.0, False)]}}, 0.9), ValueError,
     r"table\[0\]\[0\]: probabilities sum to 0.5, not 1"),
    (lambda: pgbook.greedy(np.zeros((2, 0))), ValueError, r"Q: needs at least one action"),
    (lambda: envs.gridworld(slip="0.1"), TypeError, r"slip: expected a real number"),
    (lambda: envs.gridworld(gamma="0.9"), TypeError, r"gamma: expected a real number"),
    (lambda: envs.gridworld(layout=[1, 2]), TypeError, r"layout: expected a sequence of row strings"),
    (lambda: envs.random_mdp(3, 2, seed=0, gamma="0.9"), TypeError, r"gamma: expected a real number"),
    (lambda: envs.bandit(["1", "0"]), TypeError, r"rewards: expected an array of real numbers"),
    (lambda: envs.chain("5"), TypeError, r"H: expected a positive integer"),
    (lambda: pgbook.npg_step(envs.bandit([1.0, 0.0], gamma=0.5), [[0.0, 0.0]], 1e308), ValueError,
     r"eta: the step eta = 1e\+308 is too large"),
    (lambda: pgbook.algorithms.softmax_pg(envs.bandit([100.0, 0.0]), 1e308, 10), ValueError,
     r"eta: the step size is too large: the iterate after step 0 leaves the float64 range"),
    (lambda: pgbook.algorithms.projected_ga(envs.bandit([1.0, 0.0]), 1e308 * 10, 10), ValueError,
     r"eta: must be a finite number > 0"),
    (lambda: pgbook.algorithms.loglinear_npg(envs.bandit([100.0, 0.0]), np.array([[[1.0], [0.0]]]), 1e308, 10),
     ValueError, r"eta: the step size is too large"),
]


@pytest.mark.parametrize("call, exception, message", BAD_INPUTS, ids=[str(i) for i in range(len(BAD_INPUTS))])
def test_issue_7_bad_inputs_name_the_argument(call, exception, message):
    with pytest.raises(exception, match=message):
        call()


def test_mirror_steps_of_any_size_stay_finite():
    """A huge NPG step is policy iteration in floating point (the step is capped at ETA_CAP), not inf."""
    run = pgbook.algorithms.npg(envs.chain(3), 1e307, 5, record_every=1)
    assert np.isfinite(run.theta).all()
    # s_0's actions all tie (they all lead to s_1); elsewhere the argmax is unique.
    assert np.array_equal(run.pi[1][1:], pgbook.greedy(pgbook.q_value(envs.chain(3), run.pi[0]))[1:])
