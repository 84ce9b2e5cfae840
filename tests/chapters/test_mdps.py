"""Chapter 1 (book/foundations/mdps.md): every check on the page, and every number its prose states.

Each check of the page has a twin here (``tests/chapters/twins.py``) that recomputes the claim
without pgbook's code path -- a plain numpy sampler instead of pgbook's, iterated Bellman backups
instead of the linear solve, policy and value iteration by hand, an absorbing-chain computation, a
weight-by-weight sum -- feeds it to the page's own check, and feeds the same check the claim a
careless reader would make, which it must reject. The last tests cover the numbers the prose states
and the sanity checks that used to be on the page.
"""

import functools
import math
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

import pgbook
from chapters.twins import Moved, twin
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
    """Policy iteration by hand from 'always left' (values by Bellman backups), until no action has a
    positive advantage; ties keep the lowest action, as the chapter's greedy step does."""
    pi = np.zeros((mdp.S, mdp.A))
    pi[:, envs.GRID_ACTIONS.index("left")] = 1.0
    policies = [pi]
    while True:
        V = iterative_value(mdp, pi)
        adv = mdp.r + mdp.gamma * mdp.P @ V - V[:, None]
        if adv.max() <= 1e-12:
            return policies
        pi = np.eye(mdp.A)[adv.argmax(axis=1)]
        policies.append(pi)


# --- the page's checks and their wrong twins (tests/chapters/twins.py), in the order of the page ---


@functools.cache
def sampled_from_s(seed, n=N):
    L = pgbook.truncation_horizon(GRID.gamma, 1e-10)
    rewards, _ = simulate(GRID, UNIFORM, LEFT_OF_GOAL, n, L, seed)
    return rewards, GRID.gamma ** np.arange(L)


@twin("mdps/sampled-returns", wrong={"undiscounted-returns": dict(discounted=False)})
def sampled_returns(page, discounted=True):
    """Returns of a plain numpy sampler against V by Bellman backups; the careless reader sums the
    rewards without the discount."""
    rewards, discount = sampled_from_s(seed=12)
    G = rewards @ discount if discounted else rewards.sum(axis=1)
    page.zscore(G.mean(), G.std(ddof=1) / np.sqrt(N), iterative_value(GRID, UNIFORM)[LEFT_OF_GOAL])


@functools.cache
def sampled_action_values_by_hand():
    """Take a, then follow pi, sampled by hand from the cell left of the goal: means and standard errors."""
    L = pgbook.truncation_horizon(GRID.gamma, 1e-10)
    s, mean, se = LEFT_OF_GOAL, [], []
    rng = np.random.default_rng(20)
    for a in range(GRID.A):
        first = (rng.random(N)[:, None] < np.cumsum(GRID.P[s, a])).argmax(axis=1)
        rest = np.zeros(N)
        for s1 in np.unique(first):
            rows = first == s1
            rewards, _ = simulate(GRID, UNIFORM, s1, int(rows.sum()), L, seed=30 + 4 * a + int(s1))
            rest[rows] = rewards @ GRID.gamma ** np.arange(L)
        G = GRID.r[s, a] + GRID.gamma * rest
        mean.append(G.mean()), se.append(G.std(ddof=1) / np.sqrt(N))
    return np.array(mean), np.array(se)


@twin("mdps/sampled-action-values", wrong={"undiscounted-next-value": dict(gamma_next=1.0)})
def sampled_action_values(page, gamma_next=GRID.gamma):
    """Sampled Q(s, a) against one backup r + gamma P V of the independent V (the careless backup drops
    the discount of the next state's value)."""
    V = iterative_value(GRID, UNIFORM)
    page.zscore(*sampled_action_values_by_hand(), GRID.r[LEFT_OF_GOAL] + gamma_next * GRID.P[LEFT_OF_GOAL] @ V)


#: Former ✔ lines, kept as tests (see chapters.twins.Moved).
moved = Moved("mdps")


@moved("effective-horizon-share", "close",
       "the share of the weight carried by the first 1/(1 - γ) steps, summed one by one, against the "
       "formula 1 - γ^(1/(1 - γ)) (γ = 0.9, 0.99, 0.999)", tol=1e-9,
       wrong={"the-limit-already": dict(claim="limit"), "one-over-e": dict(claim="rest"),
              "gamma-over-one-minus-gamma-steps": dict(claim="one-step-fewer"),
              "one-over-gamma-steps": dict(claim="one-over-gamma")})
def effective_horizon_share(page, claim="formula"):
    """The share of the first 1/(1 - gamma) weights at gamma = 0.9, 0.99, 0.999, summed weight by weight
    in exact rational arithmetic over the series' total, against 1 - gamma^(1/(1 - gamma)); careless:
    the share is already 1 - 1/e, or it is the rest gamma^(1/(1 - gamma)), or the first gamma/(1 - gamma)
    steps, or the first 1/gamma steps, carry 1 - gamma^(1/(1 - gamma))."""
    shares, claimed = [], []
    for gamma in (Fraction(9, 10), Fraction(99, 100), Fraction(999, 1000)):
        steps = int(1 / (1 - gamma))
        if claim == "one-step-fewer":
            steps -= 1
        if claim == "one-over-gamma":
            steps = math.ceil(1 / gamma)
        shares.append(float(sum(gamma**t for t in range(steps)) * (1 - gamma)))  # the total is 1/(1 - gamma)
        claimed.append({"limit": 1 - math.exp(-1), "rest": float(gamma) ** (1 / (1 - float(gamma)))}.get(
            claim, 1 - float(gamma) ** (1 / (1 - float(gamma)))))
    page.close(shares, claimed)


@moved("effective-horizon", "zscore",
       "the average number of steps kept before 20,000 random stops against the effective horizon "
       "1/(1 − γ) = 10", tol=4.0,
       wrong={"one-over-gamma": dict(claim="one-over-gamma"),
              "the-stopping-time-mean": dict(claim="stopping-time")})
def effective_horizon(page, claim="horizon"):
    """Steps kept before a random stop, drawn coin by coin in plain numpy (stop after each step with
    probability 1 - gamma; not numpy's geometric sampler), against the effective horizon 1/(1 - gamma);
    careless: the horizon 1/gamma, or the mean gamma/(1 - gamma) of the stopping time T = N - 1."""
    stops = np.random.default_rng(15).random((N, 400)) < 1 - GRID.gamma  # gamma^400 < 1e-18: every run stops
    kept = stops.argmax(axis=1) + 1  # steps 0, ..., N - 1 kept, N the step after which it stops, plus one
    claimed = {"horizon": 1 / (1 - GRID.gamma), "one-over-gamma": 1 / GRID.gamma,
               "stopping-time": GRID.gamma / (1 - GRID.gamma)}[claim]
    page.zscore(kept.mean(), kept.std(ddof=1) / np.sqrt(N), claimed)


test_former_check = moved.test()


@twin("mdps/random-stop", wrong={"stop-with-probability-gamma": dict(stop=GRID.gamma),
                                  "the-stopping-step-counts-too": dict(lag=2)})
def random_stop(page, stop=1 - GRID.gamma, lag=1):
    """Stops drawn step by step inside a plain numpy simulation; the careless reader stops with
    probability gamma, or also counts the reward of the step after which it stops (Pr(kept) = gamma^(t-1))."""
    rewards, _ = sampled_from_s(seed=13)
    alive = np.cumprod(np.random.default_rng(14).random(rewards.shape) >= stop, axis=1)
    kept = np.hstack([np.ones((N, lag)), alive[:, :-lag]])  # step t is kept if no stop before it
    R = (rewards * kept).sum(axis=1)
    page.zscore(R.mean(), R.std(ddof=1) / np.sqrt(N), iterative_value(GRID, UNIFORM)[LEFT_OF_GOAL])


@twin("mdps/policy-improvement", wrong={"advantage-over-horizon": dict(scale=1 / (1 - GRID.gamma)),
                                       "every-value-rises": dict(margin=1e-9, everywhere=True)})
def policy_improvement(page, scale=1.0, margin=0.0, everywhere=False):
    """V' >= V + max_a A(s, a) where max_a A(s, a) > 0, along policy iteration by hand (values by
    Bellman backups); the careless reader multiplies the advantage by the effective horizon, or
    expects every state's value to rise at every step, also where no action has a positive advantage."""
    policies = policy_iteration_from_left(GRID)
    values = np.array([iterative_value(GRID, pi) for pi in policies])
    largest = np.array([(GRID.r + GRID.gamma * GRID.P @ V - V[:, None]).max(axis=1) for V in values])[:-1]
    kept = np.ones(largest.shape, dtype=bool) if everywhere else largest > 1e-12
    page.bound((values[:-1] + scale * largest + margin)[kept], values[1:][kept])


@twin("mdps/value-iteration-rate", wrong={"gamma-squared": dict(power=2), "one-step-ahead": dict(shift=1)})
def value_iteration_rate(page, power=1, shift=0):
    """Value iteration state by state against V* of the independent policy iteration; the careless
    reader claims the rate gamma^(2k), or gamma^(k+1)."""
    V_star = iterative_value(GRID, policy_iteration_from_left(GRID)[-1])
    V, errors = np.zeros(GRID.S), []
    for _ in range(60):
        errors.append(np.abs(V - V_star).max())
        V = np.array([max(GRID.r[s, a] + GRID.gamma * GRID.P[s, a] @ V for a in range(GRID.A))
                      for s in range(GRID.S)])
    k = np.arange(60)
    page.bound(np.array(errors)[1:], (GRID.gamma ** (power * k + shift) * errors[0])[1:])


def spectral_radius_by_power_iteration(M, steps=3000):
    """The spectral radius of a non-negative matrix M by the power method (not an eigenvalue solver)."""
    x = np.ones(M.shape[0])
    for _ in range(steps):
        y = M @ x
        x = y / np.abs(y).max()
    return float(np.abs(M @ x).max() / np.abs(x).max())


@twin("mdps/value-iteration-late-rate", wrong={"the-rate-is-gamma": dict(claim="gamma"),
                                                "the-chain-without-discount": dict(claim="undiscounted")})
def value_iteration_late_rate(page, claim="discounted"):
    """The error of value iteration written out state by state, its shrink per iteration from k = 30 to
    40, against the spectral radius of gamma P_pi* on the non-terminal states by the power method;
    careless: value iteration converges at the rate gamma of its contraction, or at the spectral
    radius of P_pi* itself, forgetting the discount."""
    pi_star = policy_iteration_from_left(GRID)[-1]
    V_star = iterative_value(GRID, pi_star)
    V, errors = np.zeros(GRID.S), []
    for _ in range(41):
        errors.append(np.abs(V - V_star).max())
        V = np.array([max(GRID.r[s, a] + GRID.gamma * GRID.P[s, a] @ V for a in range(GRID.A))
                      for s in range(GRID.S)])
    live = ~GRID.terminal
    P_live = np.einsum("sa,sat->st", pi_star, GRID.P)[np.ix_(live, live)]
    radius = spectral_radius_by_power_iteration(P_live)
    claimed = {"discounted": GRID.gamma * radius, "gamma": GRID.gamma, "undiscounted": radius}[claim]
    page.close((errors[40] / errors[30]) ** (1 / 10), claimed)


@twin("mdps/policy-iteration-optimal", wrong={"effective-horizon-sweeps": dict(sweeps=10),
                                             "one-improvement-earlier": dict(last=-2)})
def policy_iteration_optimal(page, sweeps=2000, last=-1):
    """Policy iteration's last policy against value iteration by hand; the careless reader stops value
    iteration after the effective horizon, 1/(1 - gamma) = 10 sweeps, or takes the policy of the
    iteration before the last (already optimal at the start, not everywhere)."""
    page.close(iterative_value(GRID, policy_iteration_from_left(GRID)[last]), optimal_value(GRID, sweeps))


# --- the episodic case (the page's "where does the optimal policy lead?"): formerly two ✔ ----------


def z_distance(share, n, exact):
    """How many standard errors a sampled share of n episodes lies from its exact value."""
    return abs(share - exact) / np.sqrt(share * (1 - share) / n)


@pytest.mark.parametrize("claim", ["right", "one-step-early", "the-uniform-policy"])
def test_episodes_of_pi_star_end(claim):
    """pgbook's episodes of pi* from S (the page's sampler) and plain numpy episodes, the share still
    running after 10 steps, against the mass P_pi*^10 leaves off G and X (a matrix power) and S's
    distribution pushed forward step by step on the whole chain; careless: the mass one step
    earlier, or the uniform policy's mass, which both samples must reject."""
    episodic = envs.gridworld(gamma=1.0)
    pi_star = policy_iteration_from_left(GRID)[-1]
    live = ~episodic.terminal
    P_star = np.einsum("sa,sat->st", pi_star, episodic.P)
    start = np.flatnonzero(live) == START
    by_power = np.linalg.matrix_power(P_star[np.ix_(live, live)], 10)[start].sum()
    pi = UNIFORM if claim == "the-uniform-policy" else pi_star
    p = np.eye(episodic.S)[START]
    for _ in range(9 if claim == "one-step-early" else 10):
        p = p @ np.einsum("sa,sat->st", pi, episodic.P)
    claimed = p[live].sum()
    if claim == "right":
        assert abs(claimed - by_power) < 1e-12
    s_end, _, _ = pgbook.sample_episodes(episodic, pi_star, n=N, horizon=200, seed=6)
    _, end = simulate(episodic, pi_star, START, N, 10, seed=17)
    for share in (live[s_end[:, 10]].mean(), live[end].mean()):
        assert (z_distance(share, N, claimed) <= MAX_Z) == (claim == "right"), (claim, share, claimed)
    assert np.linalg.matrix_power(P_star[np.ix_(live, live)], 200)[start].sum() < 1e-60  # every episode ends


@twin("mdps/episodic-reach", wrong={"discounted-value": dict(discounted=True)})
def episodic_reach(page, discounted=False):
    """Plain numpy episodes of pi* with gamma = 1: the share that ends in the goal, against the goal's
    absorption probability by a linear solve over the transient states; careless: the discounted
    value of pi* (gamma = 0.9) read as the chance of reaching the goal."""
    episodic = envs.gridworld(gamma=1.0)
    pi_star = policy_iteration_from_left(GRID)[-1]
    P_pi = np.einsum("sa,sat->st", pi_star, episodic.P)
    T = ~episodic.terminal
    absorbed = np.linalg.solve(np.eye(T.sum()) - P_pi[np.ix_(T, T)], P_pi[T][:, GOAL])[T[:START].sum()]
    claimed = iterative_value(GRID, pi_star)[START] if discounted else absorbed
    _, end = simulate(episodic, pi_star, START, N, 200, seed=16)
    share = (end == GOAL).mean()
    page.zscore(share, math.sqrt(share * (1 - share) / N), claimed)


@pytest.mark.parametrize("claim", ["right", "discounted-value"])
def test_episodes_of_pi_star_end_in_the_goal(claim):
    """pgbook's episodes of pi* (the page's sampler) and plain numpy episodes end in the goal as often
    as the page's undiscounted value says, pgbook.value with gamma = 1, which is also the absorption
    probability of the goal (a linear solve over the transient states); careless: the discounted
    value."""
    episodic = envs.gridworld(gamma=1.0)
    pi_star = policy_iteration_from_left(GRID)[-1]
    P_pi = np.einsum("sa,sat->st", pi_star, episodic.P)
    T = ~episodic.terminal
    absorbed = np.linalg.solve(np.eye(T.sum()) - P_pi[np.ix_(T, T)], P_pi[T][:, GOAL])[T[:START].sum()]
    reach = pgbook.value(episodic, pi_star)[START]
    assert abs(reach - absorbed) < 1e-12
    assert f"{reach:.3f}" == "0.997"  # "reaches the goal from S with probability 0.997"
    claimed = reach if claim == "right" else iterative_value(GRID, pi_star)[START]
    s_end, _, _ = pgbook.sample_episodes(episodic, pi_star, n=N, horizon=200, seed=6)
    _, end = simulate(episodic, pi_star, START, N, 200, seed=16)
    for share in ((s_end[:, -1] == GOAL).mean(), (end == GOAL).mean()):
        assert (z_distance(share, N, claimed) <= MAX_Z) == (claim == "right"), (claim, share, claimed)


def open_grid(size):
    free = "." * (size - 1)
    return envs.gridworld([free + "G"] + [free + "."] * (size - 2) + ["S" + free])


# --- the numbers in the prose, and the page's former sanity checks ------------------------------


def test_the_numbers_the_prose_states():
    V = iterative_value(GRID, UNIFORM)
    assert f"{V[START]:.3f}" == "0.003"  # "its value there is 0.003"
    assert f"{V[LEFT_OF_GOAL]:.2f}" == "0.44"
    # "up mostly bumps into the edge and stays at s, so its value, 0.418, is close to V(s) = 0.442;
    # left and down move away from the goal and are worth about half as much"
    Q = GRID.r + GRID.gamma * GRID.P @ V
    up, left, down = (envs.GRID_ACTIONS.index(a) for a in ("up", "left", "down"))
    assert GRID.P[LEFT_OF_GOAL, up, LEFT_OF_GOAL] == pytest.approx(0.9)
    assert f"{Q[LEFT_OF_GOAL, up]:.3f}" == "0.418" and f"{V[LEFT_OF_GOAL]:.3f}" == "0.442"
    assert all(0.4 < Q[LEFT_OF_GOAL, a] / V[LEFT_OF_GOAL] < 0.6 for a in (left, down))
    for a in (left, down):  # they move away: the intended cell is further from the goal
        assert GRID.P[LEFT_OF_GOAL, a, LEFT_OF_GOAL] < 0.5
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
    # "the 17 steps and states with a positive advantage"; "at the closest, the new value exceeds the old
    # one plus the advantage by only 0.05%", the excess being gamma P_pi' (V' - V) (eq-value-difference)
    largest = np.array([(GRID.r + GRID.gamma * GRID.P @ V - V[:, None]).max(axis=1) for V in values])[:-1]
    gains = largest > 1e-12
    assert gains.sum() == 17
    ratio = values[1:][gains] / (values[:-1] + largest)[gains]
    assert f"{ratio.min() - 1:.2%}" == "0.05%"
    excess = np.array([GRID.gamma * np.einsum("sa,sat,t->s", new, GRID.P, V_new - V_old)
                       for new, V_new, V_old in zip(policies[1:], values[1:], values[:-1])])
    assert np.allclose(excess, values[1:] - values[:-1] - largest, atol=1e-12)


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
    for gamma, steps_page in [(0.9, 66), (0.99, 688)]:
        weights = gamma ** np.arange(100_000)
        steps = int(np.argmax(np.cumsum(weights) / weights.sum() >= 0.999)) + 1
        assert steps == steps_page


def vi_iterates(n):
    V, out = np.zeros(GRID.S), []
    for _ in range(n):
        out.append(V)
        V = (GRID.r + GRID.gamma * GRID.P @ V).max(axis=1)
    return out


def test_the_numbers_of_value_iteration_coverage_and_the_first_walk():
    """'stays just under the bound for the first dozen iterations, then falls much faster, down to
    rounding errors after about 45 iterations'; 'every entry of the 5 x 5 table but only 7% of
    the 40 x 40 one (479 of its 6,396 entries)'; 'started anywhere they still miss 29%'; 'a table with 10^75 entries'; the first walk ends in the goal."""
    V_star = optimal_value(GRID)
    V, errors = np.zeros(GRID.S), []
    for _ in range(60):
        errors.append(np.abs(V - V_star).max())
        V = (GRID.r + GRID.gamma * GRID.P @ V).max(axis=1)
    ratio = np.array(errors) / (GRID.gamma ** np.arange(60) * errors[0])
    assert (ratio[:12] > 0.85).all() and ratio[12] < 0.7  # just under the bound for a dozen iterations
    assert errors[40] > 1e-14 and max(errors[45:]) < 1e-15  # rounding errors after about 45
    assert errors[45] < 1e-10 * GRID.gamma**45 * errors[0]  # "more than ten orders of magnitude below the bound"
    pi_star = policy_iteration_from_left(GRID)[-1]
    greedy = [(np.eye(GRID.A)[(GRID.r + GRID.gamma * GRID.P @ V_k).argmax(axis=1)] == pi_star).all()
              for V_k in vi_iterates(60)]
    assert greedy[11:] == [True] * 49 and not greedy[10]  # "from iteration 11 on"
    live = ~GRID.terminal
    radius = spectral_radius_by_power_iteration(np.einsum("sa,sat->st", pi_star, GRID.P)[np.ix_(live, live)])
    assert f"{GRID.gamma * radius:.2f}" == "0.32" and f"{radius:.2f}" == "0.35"  # "about 0.32", "about 0.35"
    assert f"{(errors[40] / errors[30]) ** 0.1:.2f}" == "0.32"
    covered = []
    for size in [5, 10, 20, 40]:
        world = open_grid(size)
        visits, moves, _ = pgbook.sample_episodes(world, pgbook.uniform(world), n=200, horizon=50, seed=4)
        live = ~world.terminal[visits]
        covered.append(np.unique((visits * world.A + moves)[live]).size / ((~world.terminal).sum() * world.A))
        assert live.sum() <= 200 * 50
    assert covered[0] == 1.0 and f"{covered[-1]:.0%}" == "7%"  # 'only 7% of the 40 x 40 one'
    assert round(covered[-1] * 6396) == 479 and (~open_grid(40).terminal).sum() * 4 == 6396  # '479 of its 6,396'
    world = open_grid(40)  # 'started anywhere they still miss 29%', 'the 21% that 10,000 entries drawn at random would miss'
    anywhere = world.replace(rho=~world.terminal / (~world.terminal).sum())
    visits, moves, _ = pgbook.sample_episodes(anywhere, pgbook.uniform(anywhere), n=200, horizon=50, seed=4)
    live = ~world.terminal[visits]
    entries = (~world.terminal).sum() * world.A
    assert f"{1 - np.unique((visits * world.A + moves)[live]).size / entries:.0%}" == "29%"
    assert live.sum() == 10_000 and f"{np.exp(-live.sum() / entries):.0%}" == "21%"
    assert f"{math.sqrt(50):.0f}" == "7"
    assert 10 ** (2 * 24 + 7) * 10**20 == 10**75
    assert (V_star[GRID.terminal] == 0).all() and V_star[LEFT_OF_GOAL] > 0.95  # "G and X show 0.00"; "close to 1"
    states, _, _ = pgbook.sample_episodes(GRID, UNIFORM, n=1, horizon=40, seed=3)
    assert states[0, -1] == GOAL  # "by luck, along the top row into the goal"


def test_the_sampled_walk_is_credited_expected_rewards():
    """Section 1.3's sentence: the printed rewards are r(s, a), the chance of entering G, so the walk of
    seed 3 is credited a fraction each time it moves next to the goal and its total is no whole number."""
    states, actions, rewards = pgbook.sample_episodes(GRID, UNIFORM, n=1, horizon=40, seed=3)
    by_hand = GRID.P[states[0], actions[0], GOAL] * (states[0] != GOAL)
    assert np.allclose(rewards[0], by_hand)
    fractions = rewards[0][(rewards[0] > 0) & (rewards[0] < 1)]
    assert fractions.size and not math.isclose(rewards[0].sum(), round(rewards[0].sum()))


def test_the_reward_is_the_chance_of_entering_the_goal():
    """Section 1.2: r(s, a) is the probability that the move ends in G: 0.9 for right from the cell left
    of G, 0.05 for up or down there, and 0 for every other move."""
    entering = np.einsum("sat,t->sa", GRID.P, np.eye(GRID.S)[GOAL]) * ~GRID.terminal[:, None]
    assert np.allclose(GRID.r, entering)
    expected = np.zeros((GRID.S, GRID.A))
    for name, p in (("right", 0.9), ("up", 0.05), ("down", 0.05)):
        expected[LEFT_OF_GOAL, envs.GRID_ACTIONS.index(name)] = p
    assert np.allclose(GRID.r, expected)
