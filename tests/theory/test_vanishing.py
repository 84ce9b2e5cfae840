"""pgbook.theory.vanishing against independent computations: brute-force enumeration of trajectories,
the exact rational hitting time, a linear scan and the Lambert W closed form."""

import itertools
import math

import numpy as np
import pytest
from scipy.special import lambertw

import pgbook
from pgbook import envs, highprec
from pgbook.theory import vanishing
import oracle


def enumerate_reward_free(mdp, pi, L, rho):
    """P(no reward in the first L steps) by summing over every trajectory (tiny MDPs only)."""
    total = 0.0
    for s0 in range(mdp.S):
        for path in itertools.product(range(mdp.S), range(mdp.A), repeat=L):
            p, s = rho[s0], s0
            for k in range(L):
                s_next, a = path[2 * k], path[2 * k + 1]
                p *= pi[s, a] * (mdp.r[s, a] == 0) * mdp.P[s, a, s_next]
                s = s_next
            total += p
    return total


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_reward_free_probability_matches_enumeration(seed):
    rng = np.random.default_rng(seed)
    base = envs.random_mdp(3, 2, seed=seed)
    r = (rng.random((3, 2)) < 0.4).astype(float)
    mdp = pgbook.MDP(base.P, r, 0.9)
    pi = rng.dirichlet(np.ones(2), size=3)
    rho = rng.dirichlet(np.ones(3))
    q = vanishing.reward_free_probability(mdp, pi, 3, rho=rho)
    for L in range(4):
        assert q[L] == pytest.approx(enumerate_reward_free(mdp, pi, L, rho), abs=1e-13)


@pytest.mark.parametrize("H", [1, 3, 5])
def test_reward_free_tail_sums_to_the_exact_hitting_time(H):
    # With a1 played at s_{H+1}, a reward is first seen when the walk first reaches s_{H+1}, so
    # sum_{L >= 1} P(no reward in L steps) = E[T] (the rational solve of highprec).
    mdp = envs.chain(H)
    T = float(highprec.chain_hitting_time(H))
    # The tail P(T > L) decays like exp(-L / E[T]): 40 mean times leave less than 1e-15 of it.
    q = vanishing.reward_free_probability(mdp, envs.chain_policy(np.full((H, 3), 0.25)), 40 * int(T))
    assert q[1:].sum() == pytest.approx(T, rel=1e-9)
    assert q[0] == 1.0 and (np.diff(q) <= 1e-15).all()


def test_reward_free_probability_validates():
    mdp = envs.chain(2)
    pi = pgbook.uniform(mdp)
    with pytest.raises(ValueError, match="horizon"):
        vanishing.reward_free_probability(mdp, pi, -1)
    with pytest.raises(TypeError, match="horizon"):
        vanishing.reward_free_probability(mdp, pi, 2.5)
    with pytest.raises(ValueError, match="pi"):
        vanishing.reward_free_probability(mdp, np.ones((mdp.S, mdp.A)), 3)
    negative = pgbook.MDP(mdp.P, -mdp.r, mdp.gamma)
    with pytest.raises(ValueError, match="rewards"):
        vanishing.reward_free_probability(negative, pi, 3)
    with pytest.raises(TypeError, match="mdp"):
        vanishing.reward_free_probability("chain", pi, 3)


def test_first_visits():
    states = np.array([[0, 1, 2, 3, 3], [0, 1, 0, 1, 0], [3, 0, 0, 0, 0]], dtype=np.int32)
    assert vanishing.first_visits(states, 3).tolist() == [3, -1, 0]
    with pytest.raises(ValueError, match="states"):
        vanishing.first_visits(states.astype(float), 3)
    with pytest.raises(ValueError, match="states"):
        vanishing.first_visits(states[0], 3)
    with pytest.raises(ValueError, match="target"):
        vanishing.first_visits(states, -1)


def test_admissible_order_formula_and_validation():
    for H in (1, 7.5, 100, 1000):
        assert vanishing.admissible_order(H) == pytest.approx(H / (40 * math.log(2 * H)) - 1, rel=1e-15)
    with pytest.raises(ValueError, match="H"):
        vanishing.admissible_order(0.5)
    with pytest.raises(TypeError, match="H"):
        vanishing.admissible_order("10")


@pytest.mark.parametrize("k", [0, 1, 2, 5])
def test_first_admissible_horizon_against_a_scan_and_lambert_w(k):
    scan = next(H for H in itertools.count(1) if H / (40 * math.log(2 * H)) - 1 >= k)
    closed = math.ceil(-40 * (k + 1) * lambertw(-1 / (80 * (k + 1)), -1).real)
    assert vanishing.first_admissible_horizon(k) == scan == closed


def test_first_admissible_horizon_validates():
    with pytest.raises(ValueError, match="k"):
        vanishing.first_admissible_horizon(-1)
    with pytest.raises(TypeError, match="k"):
        vanishing.first_admissible_horizon(1.0)


# --- sampled runs ---------------------------------------------------------------------------------


def _exact_npg_step(mdp, pi, eta):
    """One NPG step (multiplicative weights) from pi, with A from a dense numpy solve."""
    A = oracle.evaluate(mdp.P, mdp.r, mdp.gamma, pi, mdp.rho)[2]
    new = pi * np.exp(eta * A / (1 - mdp.gamma))
    return new / new.sum(axis=1, keepdims=True)


@pytest.mark.slow
def test_sampled_npg_with_many_episodes_takes_the_exact_step():
    mdp = envs.random_mdp(4, 3, seed=3, gamma=0.7)
    eta, L = 0.5, pgbook.truncation_horizon(0.7)
    run = vanishing.sampled_npg(mdp, eta, 1, n=40_000, horizon=L, seed=1, rho=np.full(4, 0.25))
    assert run.pi[1] == pytest.approx(_exact_npg_step(mdp, run.pi[0], eta), abs=0.01)
    assert run.pi[0] == pytest.approx(np.full((4, 3), 1 / 3))


@pytest.mark.slow
def test_sampled_pg_with_many_episodes_takes_the_exact_step():
    mdp = envs.random_mdp(4, 3, seed=4, gamma=0.7)
    rho = np.full(4, 0.25)
    run = vanishing.sampled_pg(mdp, 2.0, 1, n=40_000, horizon=pgbook.truncation_horizon(0.7), seed=2, rho=rho)
    exact = 2.0 * pgbook.softmax_gradient(mdp, np.zeros((4, 3)), rho=rho)
    assert run.theta[1] == pytest.approx(exact, abs=0.02)
    assert run.V_rho[0] == pytest.approx(pgbook.value(mdp, pgbook.uniform(mdp)) @ rho)


@pytest.mark.parametrize("sampled", [vanishing.sampled_npg, vanishing.sampled_pg])
def test_sampled_runs_stay_exactly_put_on_reward_free_batches(sampled):
    # H = 10, batches of 5 episodes of 20 steps: s_11 is out of reach, no batch can see a reward.
    run = sampled(envs.chain(10), 1.0, 4, n=5, horizon=20, seed=0)
    assert (run.trace["step"] == 0).all() and (run.pi == 0.25).all()
    assert (run.V_rho == run.V_rho[0]).all() and run.steps.tolist() == [0, 1, 2, 3, 4]
    assert run.algorithm == sampled.__name__ and run.params["n"] == 5


@pytest.mark.parametrize("sampled", [vanishing.sampled_npg, vanishing.sampled_pg])
def test_sampled_runs_are_reproducible_and_validate(sampled):
    mdp = envs.chain(2)
    a = sampled(mdp, 1.0, 3, n=10, horizon=20, seed=5)
    b = sampled(mdp, 1.0, 3, n=10, horizon=20, seed=5)
    assert np.array_equal(a.pi, b.pi) and np.array_equal(a.V_rho, b.V_rho)
    with pytest.raises(ValueError, match="eta"):
        sampled(mdp, 0.0, 3, n=10, horizon=20, seed=5)
    with pytest.raises(ValueError, match="n"):
        sampled(mdp, 1.0, 3, n=0, horizon=20, seed=5)
    with pytest.raises(ValueError, match="horizon"):
        sampled(mdp, 1.0, 3, n=10, horizon=0, seed=5)
    with pytest.raises(TypeError, match="seed"):
        sampled(mdp, 1.0, 3, n=10, horizon=20, seed=1.5)
    with pytest.raises(TypeError, match="mdp"):
        sampled("chain", 1.0, 3, n=10, horizon=20, seed=5)
    with pytest.raises(ValueError, match="gamma"):
        sampled(pgbook.MDP(mdp.P, mdp.r, 1.0), 1.0, 3, n=10, horizon=20, seed=5)
    with pytest.raises(ValueError, match="rewards"):
        sampled(pgbook.MDP(mdp.P, -mdp.r, mdp.gamma), 1.0, 3, n=10, horizon=20, seed=5)
