"""Chapter "Vanishing gradients and exploration" (book/convergence/vanishing.md): every check's wrong
twin, the numbers the prose states, and the plain tests that used to be on the page.

Each check of the page has a twin here (``tests/chapters/twins.py``) that recomputes the claim
without the chapter's code path -- value iteration by hand, the chain's value by eliminating
V(s_{i-1}) = c_i V(s_i) upwards and its gradient by mpmath finite differences of that, or by
reverse-mode differentiation of it for long chains (the chapter uses the adjoint formula of ``highprec``), a dense mpmath solve, sympy's exact solve,
plain numpy random walks, softmax PG, NPG and sampled NPG iterated by hand
-- feeds it to the page's own check, and feeds the same check the claim a careless reader or the
tutorial would make (the printed gamma^(H+2), the proposition's (1/3)^(H/4) taken as the rate, the
tutorial's 2^(-H/2) as a bound, the straight run's 4^-H for the chance of a reward, "NPG escapes" for sampled
NPG), which the check must reject.
"""

import functools
import itertools
import math
from fractions import Fraction

import mpmath
import numba
import numpy as np
import pytest
import sympy as sp

import pgbook
from chapters.twins import Moved, twin
from pgbook import algorithms, checks, envs, highprec
from pgbook.theory import vanishing

MAX_Z = 4.0
UNIFORM = 0.25
EPS = float(np.finfo(float).eps)
H_GRID = np.arange(2, 81, 2)  # the page's horizons for the value and gradient
H_RUNS = np.arange(2, 15)  # the page's horizons for the PG and NPG runs


# --- independent computations ------------------------------------------------------------------


def v_star_series(H):
    """V*(s_0) = sum_{t >= H+1} gamma^t, summed term by term in mpmath."""
    with mpmath.workdps(40):
        gamma = mpmath.mpf(H) / (H + 1)
        return float(mpmath.nsum(lambda t: gamma**t, [H + 1, mpmath.inf]))


def value_by_ratios(H, p):
    """V^pi(s_0) for forward probabilities p (H of them) in the current mpmath precision.

    With V(s_{i-1}) = c_{i-1} V(s_i): c_0 = gamma (s_0 -> s_1), and
    V(s_i) = gamma (p_i V(s_{i+1}) + (1 - p_i) c_{i-1} V(s_i)) gives c_i = gamma p_i / (1 - gamma (1 - p_i) c_{i-1});
    V(s_{H+1}) = 1/(1 - gamma) = H + 1, so V(s_0) = (H + 1) prod_{i=0}^{H} c_i.
    """
    gamma = mpmath.mpf(H) / (H + 1)
    c = gamma
    product = c
    for p_i in p:
        c = gamma * p_i / (1 - gamma * (1 - p_i) * c)
        product *= c
    return (H + 1) * product


def fd_gradient_norm(H, p=UNIFORM):
    """|dV(s_0)/d theta_{s_i, a_1}|_2 by central finite differences of value_by_ratios, in 80 digits."""
    with mpmath.workdps(80):
        p, h = mpmath.mpf(p), mpmath.mpf(10) ** -30
        coords = []
        for i in range(H):
            up = [p] * H
            down = [p] * H
            up[i] += h
            down[i] -= h
            coords.append((value_by_ratios(H, up) - value_by_ratios(H, down)) / (2 * h))
        return float(mpmath.sqrt(mpmath.fsum(g**2 for g in coords)))


@functools.cache
def chain_by_ratios():
    """V(s_0) and |grad V(s_0)|_2 of the uniform policy for the page's horizons, without highprec."""
    with mpmath.workdps(60):
        V = np.array([float(value_by_ratios(int(H), [mpmath.mpf(UNIFORM)] * int(H))) for H in H_GRID])
    return V, np.array([fd_gradient_norm(int(H)) for H in H_GRID])


def dense_mpmath_value(H, p=UNIFORM, dps=60):
    """V^pi(s_0) for forward probability p: a dense mpmath LU solve of (I - gamma P_pi) V = r_pi."""
    with mpmath.workdps(dps):
        gamma = mpmath.mpf(H) / (H + 1)
        p = mpmath.mpf(p)
        n = H + 2
        M = mpmath.eye(n)
        M[0, 1] -= gamma
        for i in range(1, H + 1):
            M[i, i + 1] -= gamma * p
            M[i, i - 1] -= gamma * (1 - p)
        M[H + 1, H + 1] -= gamma
        r = mpmath.matrix([0] * (H + 1) + [1])
        return mpmath.lu_solve(M, r)[0]


def chain_theta_gradient(H, theta):
    """dV(s_0)/dtheta: (H, 3) in float64 from pgbook's direct gradient and the chain rule."""
    mdp = envs.chain(H)
    g = pgbook.direct_gradient(mdp, envs.chain_policy(theta))
    return g[1:-1, :3] - g[1:-1, 3:]


def chain_step(s, a, H):
    """The chain's deterministic move, vectorised: s_0 -> s_1; a_1 forward, else back; s_{H+1} stays."""
    return np.where(s == H + 1, s, np.where((s == 0) | (a == 0), s + 1, s - 1))


def random_walk_hitting_times(H, n, seed):
    """Hitting times of s_{H+1} from s_0 for n walks with forward probability 1/4, in plain numpy."""
    rng = np.random.default_rng(seed)
    s = np.zeros(n, dtype=np.int64)
    T = np.zeros(n, dtype=np.int64)
    active = np.ones(n, dtype=bool)
    while active.any():
        forward = (s == 0) | (rng.random(n) < 0.25)
        s = np.where(active, np.where(forward, s + 1, s - 1), s)
        T += active
        active &= s != H + 1
    return T


def reward_within(H, L):
    """P(an episode of L steps from s_0 under the uniform softmax policy collects a reward): a matrix
    power of the chain with an absorbing 'rewarded' state (a_1 at s_{H+1} moves there)."""
    n = H + 3
    K = np.zeros((n, n))
    K[0, 1] = 1.0
    for i in range(1, H + 1):
        K[i, i + 1], K[i, i - 1] = 0.25, 0.75
    K[H + 1, H + 1], K[H + 1, H + 2] = 0.75, 0.25
    K[H + 2, H + 2] = 1.0
    return np.linalg.matrix_power(K, L)[0, H + 2]


def dense_matrices(mdp, pi):
    P_pi = np.einsum("sa,sat->st", pi, mdp.P)
    return P_pi, np.sum(pi * mdp.r, axis=1)


def target(H):
    return 0.9 * v_star_series(H)


def half(H):
    """V*(s_0)/2: a run's plateau ends when its value first reaches it (the page's Definition)."""
    return v_star_series(H) / 2


PG, NPG, NPG_WITH_VISITATION = 0, 1, 2


@numba.njit
def _iterations_to(H, method, eta, goal, cap):
    """Iterations of a method on the chain with exact gradients until V(s_0) >= goal (at most cap).

    A plain loop, compiled: softmax logits (S, 4); each iteration forms P_pi from the chain's moves,
    solves (I - gamma P_pi) V = r_pi and nu^T (I - gamma P_pi) = e_0^T densely (nu = d_{s_0}/(1 - gamma)),
    and steps: PG by nu(s) pi(a|s) A(s, a) (AKLM Eq. (10)), NPG by A(s, a)/(1 - gamma) (AKLM Lemma 5.1),
    NPG_WITH_VISITATION by nu(s) A(s, a), the natural step with the visitation put back.
    """
    S, A = H + 2, 4
    gamma = H / (H + 1)
    nxt = np.empty((S, A), np.int64)
    for a in range(A):
        nxt[0, a] = 1
        nxt[H + 1, a] = H + 1
        for i in range(1, H + 1):
            nxt[i, a] = i + 1 if a == 0 else i - 1
    r = np.zeros((S, A))
    r[H + 1, 0] = 1.0
    e0 = np.zeros(S)
    e0[0] = 1.0
    theta = np.zeros((S, A))
    for t in range(cap):
        pi = np.empty((S, A))
        for s in range(S):
            top = theta[s].max()
            w = np.exp(theta[s] - top)
            pi[s] = w / w.sum()
        M = np.eye(S)
        r_pi = np.zeros(S)
        for s in range(S):
            for a in range(A):
                M[s, nxt[s, a]] -= gamma * pi[s, a]
                r_pi[s] += pi[s, a] * r[s, a]
        V = np.linalg.solve(M, r_pi)
        if V[0] >= goal:
            return t
        nu = np.linalg.solve(np.ascontiguousarray(M.T), e0)
        for s in range(S):
            for a in range(A):
                adv = r[s, a] + gamma * V[nxt[s, a]] - V[s]
                if method == 0:
                    theta[s, a] += eta * nu[s] * pi[s, a] * adv
                elif method == 1:
                    theta[s, a] += eta * adv / (1 - gamma)
                else:
                    theta[s, a] += eta * nu[s] * adv
    return cap


@functools.cache
def plateau_by_hand(H, method, cap=10**6):
    """The plateau's length T_1/2 of a method on the chain, by hand."""
    return _iterations_to(H, method, 1.0, half(H), cap)


# --- the page's checks and their wrong twins (tests/chapters/twins.py), in the order of the page ---


@twin("vanishing/optimal-value-closed-form", wrong={"printed-gamma-h-plus-2": dict(power=2),
                                                    "reward-from-the-start": dict(power=None)})
def optimal_value_closed_form(page, power=1):
    """V*(s_0) by value iteration by hand against gamma^(H+power)/(1 - gamma); the careless claims:
    AKLM App. B.2's printed gamma^(H+2), and the reward collected from the start, 1/(1 - gamma)."""
    computed, claimed = [], []
    for H in range(1, envs.CHAIN_MAX_H + 1):
        mdp = envs.chain(H)
        V = np.zeros(mdp.S)
        for _ in range(3000):  # gamma <= 30/31: 3000 sweeps reach round-off
            V = np.max(mdp.r + mdp.gamma * mdp.P @ V, axis=1)
        computed.append(V[0])
        g = H / (H + 1)
        claimed.append(1 / (1 - g) if power is None else g ** (H + power) / (1 - g))
    page.close(computed, claimed)


H_LONG = np.array([40, 80, 160, 320, 640, 1280])


def gradient_by_adjoint(H, p=UNIFORM):
    """dV(s_0)/dp_i for i = 1..H (p_i the forward probability of s_i) by reverse-mode differentiation of
    the ratio elimination of value_by_ratios, in the current mpmath precision: O(H), no linear solve.

    log V = log(H+1) + sum_i log c_i with c_i = gamma p_i / (1 - gamma (1 - p_i) c_{i-1}); the adjoint
    a_i = dlogV/dc_i runs backwards, a_i = 1/c_i + a_{i+1} dc_{i+1}/dc_i, and
    dlogV/dp_i = a_i dc_i/dp_i with c_{i-1} held, dc_i/dp_i = gamma (1 - gamma c_{i-1}) / (1 - gamma (1 - p_i) c_{i-1})^2.
    """
    gamma, p = mpmath.mpf(H) / (H + 1), mpmath.mpf(p)
    c = [gamma]
    for _ in range(H):
        c.append(gamma * p / (1 - gamma * (1 - p) * c[-1]))
    V = (H + 1) * mpmath.fprod(c)
    adjoint, grad = 1 / c[H], [None] * H
    for i in range(H, 0, -1):
        denominator = 1 - gamma * (1 - p) * c[i - 1]
        grad[i - 1] = V * adjoint * gamma * (1 - gamma * c[i - 1]) / denominator**2
        adjoint = 1 / c[i - 1] + adjoint * c[i] * gamma * (1 - p) / denominator
    return grad


@functools.cache
def scaled_gradient_norms():
    """3^H |grad V(s_0)|_2 at the uniform policy for H_LONG, by the adjoint of the ratio elimination."""
    with mpmath.workdps(60):
        return np.array([float(mpmath.sqrt(mpmath.fsum(g**2 for g in gradient_by_adjoint(int(H))))
                               * mpmath.power(3, int(H))) for H in H_LONG])


@twin("vanishing/gradient-decay-law", wrong={"proposition-rate": dict(rate=3 ** -0.25),
                                             "tutorial-rate": dict(rate=2 ** -0.5),
                                             "straight-run-rate": dict(rate=1 / 4),
                                             "value-factor": dict(factor="(H+1)^2"),
                                             "l1-norm": dict(factor="H (H+1)^2")})
def gradient_decay_law(page, rate=1 / 3, factor="sqrt(H) (H+1)^2"):
    """|grad V| by reverse-mode differentiation of the ratio elimination, divided by rate^H, against the
    polynomial factor. The careless rates: the proposition's (1/3)^(H/4), the tutorial's 2^(-H/2) and
    the straight run's 4^-H (without H = 1280, where the first two underflow float64); the careless factors:
    the value's own (H+1)^2 (the sqrt(H) of the Euclidean norm dropped), and H (H+1)^2, the sum of the H
    coordinates dV/dp ~ (16/3) H V (the l1 norm)."""
    H = H_LONG.astype(float)
    scaled = scaled_gradient_norms() * (1 / (3 * rate)) ** H  # |grad V| / rate^H
    x = {"sqrt(H) (H+1)^2": np.sqrt(H) * (H + 1) ** 2, "(H+1)^2": (H + 1) ** 2, "H (H+1)^2": H * (H + 1) ** 2}[factor]
    keep = scaled > 0
    page.exponent(x[keep], scaled[keep], 1.0)


@twin("vanishing/uniform-value-bound", wrong={"linear-in-h": dict(power=1), "straight-run-base": dict(base=4.0)})
def uniform_value_bound(page, power=2, base=3.0):
    """V(s_0) by the ratio elimination against (H+1)^power / base^H."""
    V, _ = chain_by_ratios()
    page.bound(V, (H_GRID + 1.0) ** power / base ** H_GRID.astype(float))


moved = Moved("vanishing")


@moved("value-gap-bound", "bound",
       "the uniform policy's gap V*(s₀) − V(s₀) is at least the proposition's (H+1)/8 − (H+1)²/3^H at every H = 2..80",
       floor=0.0, wrong={"optimal-value-without-delay": dict(scale=1.0),
                         "asymptotic-optimal-value": dict(scale=1 / math.e)})
def value_gap_bound(page, scale=1 / 8):
    """V* by the geometric series minus V by the ratio elimination, against scale (H+1) - (H+1)^2/3^H;
    the careless lower bounds take V*(s_0) as 1/(1 - gamma) = H+1, or as its limit (H+1)/e."""
    V, _ = chain_by_ratios()
    gap = np.array([v_star_series(int(H)) for H in H_GRID]) - V
    page.bound(scale * (H_GRID + 1.0) - (H_GRID + 1.0) ** 2 / 3.0 ** H_GRID.astype(float), gap)


def float64_solve_at_h30(solver):
    """The relative errors of a float64 value V(s_0) and gradient norm at H = 30, against a dense mpmath
    solve and mpmath finite differences: pgbook's solve, or a textbook one (np.linalg.solve)."""
    H = 30
    mdp, pi = envs.chain(H), envs.chain_policy(np.full((H, 3), UNIFORM))
    if solver == "pgbook":
        V0 = pgbook.value(mdp, pi)[0]
        grad = np.linalg.norm(chain_theta_gradient(H, np.full((H, 3), UNIFORM))[:, 0])
    else:
        P_pi, r_pi = dense_matrices(mdp, pi)
        M = np.eye(mdp.S) - mdp.gamma * P_pi
        V = np.linalg.solve(M, r_pi)
        nu = np.linalg.solve(M.T, np.eye(mdp.S)[0])
        V0 = V[0]
        grad = np.linalg.norm(nu[1:-1] * mdp.gamma * (V[2:] - V[:-2]))
    return np.abs([V0 / float(dense_mpmath_value(H)) - 1, grad / fd_gradient_norm(H) - 1])


def test_pgbook_float64_solve_is_exact_at_h30_where_a_textbook_solve_is_not():
    """The note 'Numbers below round-off': pgbook.value keeps many digits up to H = 30, where envs.chain
    stops; a textbook float64 solve does not (this was a check on the page before it moved here)."""
    assert float64_solve_at_h30("pgbook").max() < 1e-8
    assert float64_solve_at_h30("textbook").max() > 1e-2


@twin("vanishing/gradient-bound-before-its-range", wrong={"tutorial-headline": dict(bound="2^(-H/2)"),
                                                          "base-three-per-step": dict(bound="3^-H")})
def gradient_bound_before_its_range(page, bound="(1/3)^(H/4)"):
    """Finite-difference gradient norms of the ratio elimination against the proposition's (1/3)^(H/4) on
    H = 2..80; the careless bounds: the tutorial's headline 2^(-H/2) (exceeded at H = 2) and a factor 3
    per step of H with the polynomial factor dropped."""
    _, g = chain_by_ratios()
    H = H_GRID.astype(float)
    rhs = {"(1/3)^(H/4)": (1 / 3) ** (H / 4), "2^(-H/2)": 2.0 ** (-H / 2), "3^-H": 3.0**-H}[bound]
    page.bound(g, rhs)


@twin("vanishing/hitting-time-formula", wrong={"inverse-straight-run-probability": dict(formula="4^H"),
                                               "leading-term-only": dict(formula="4.5 3^H")})
def hitting_time_formula(page, formula="exact"):
    """sympy's exact solve of T = 1 + P_transient T against the formula; the careless claims: one over
    the straight run's probability, 4^H, and the leading term 4.5 * 3^H alone."""
    computed, claimed = [], []
    for H in range(1, 21):
        n = H + 1
        M = sp.eye(n)
        M[0, 1] -= 1
        for i in range(1, H + 1):
            M[i, i - 1] -= sp.Rational(3, 4)
            if i + 1 <= H:
                M[i, i + 1] -= sp.Rational(1, 4)
        T = M.LUsolve(sp.ones(n, 1))[0]
        assert T.q == 1
        computed.append(int(T))
        claimed.append({"exact": (9 * 3**H - 4 * H - 7) // 2, "4^H": 4**H, "4.5 3^H": 9 * 3**H // 2}[formula])
    page.equal(computed, claimed)


SIMULATED_HITTING_TIMES = ("the mean hitting time of simulated walks matches the exact (9 · 3^H − 4H − 7)/2 "
                           "at H = 1, 2, 3")
HITTING_MEANS = {"exact": lambda H: (9 * 3**H - 4 * H - 7) / 2, "4^H": lambda H: 4.0**H,
                 "(H+1)^2": lambda H: (H + 1.0) ** 2}


@pytest.mark.parametrize("formula", ["exact", "4^H", "(H+1)^2"],
                         ids=["claim", "inverse-straight-run-probability", "fair-coin-walk"])
def test_simulated_hitting_times(formula):
    """A former check of the page ('a simulation measures the same mean'): plain numpy walks against the
    claimed mean, through the check the page had (max z 4); the careless means, 4^H and the fair coin's
    (H+1)^2, must be rejected."""
    means, ses = [], []
    for H in (1, 2, 3):
        T = random_walk_hitting_times(H, 4000, seed=H)
        means.append(T.mean())
        ses.append(T.std(ddof=1) / math.sqrt(T.size))
    claimed = [HITTING_MEANS[formula](H) for H in (1, 2, 3)]
    check = functools.partial(checks.zscore, SIMULATED_HITTING_TIMES, means, ses, claimed,
                              id="vanishing/simulated-hitting-times")
    if formula == "exact":
        check()
    else:
        with pytest.raises(checks.CheckFailed):
            check()


def test_the_pages_simulated_walks_measure_the_exact_mean():
    """The page's own simulation (pgbook.sample_episodes, 1000 walks per H, seed H): every walk arrives, and its
    mean is within 4 standard errors of the exact hitting time."""
    means, ses, exact = [], [], []
    for H in (1, 2, 3):
        mdp, pi = envs.chain(H), envs.chain_policy(np.full((H, 3), 0.25))
        horizon = 40 * int(highprec.chain_hitting_time(H))
        T = vanishing.first_visits(pgbook.sample_episodes(mdp, pi, n=1000, horizon=horizon, seed=H).states,
                                   target=H + 1)
        assert (T >= 0).all()
        means.append(T.mean())
        ses.append(T.std() / np.sqrt(T.size))
        exact.append(float(highprec.chain_hitting_time(H)))
    checks.zscore(SIMULATED_HITTING_TIMES, means, ses, exact, id="vanishing/simulated-hitting-times")


@functools.cache
def sampled_batches(H, batches=300, n=100, seed=None):
    """Whether each of ``batches`` batches of n uniform episodes of 10(H+1) steps sees a reward (numpy)."""
    L = 10 * (H + 1)
    rng = np.random.default_rng(H if seed is None else seed)
    s = np.zeros(batches * n, dtype=np.int64)
    seen = np.zeros(batches * n, dtype=bool)
    for _ in range(L):
        a = rng.integers(0, 4, size=s.size)
        seen |= (s == H + 1) & (a == 0)
        s = chain_step(s, a, H)
    return seen.reshape(batches, n).any(axis=1)


@twin("vanishing/batch-reward-share", wrong={"straight-run-probability": dict(episode="straight"),
                                             "batch-read-as-one-episode": dict(episode="batch-of-one")})
def batch_reward_share(page, episode="exact"):
    """Plain numpy batches against 1 - q^n, q from a matrix power; the careless probabilities: an
    episode sees the reward only on the straight run (4^-H), and a batch sees as much as one episode."""
    means, ses, claimed = [], [], []
    for H in (6, 8):
        share = sampled_batches(H)
        p = {"exact": reward_within(H, 10 * (H + 1)), "straight": 4.0**-H,
             "batch-of-one": reward_within(H, 10 * (H + 1))}[episode]
        means.append(share.mean())
        ses.append(share.std() / math.sqrt(share.size))
        claimed.append(p if episode == "batch-of-one" else 1 - (1 - p) ** 100)
    page.zscore(means, ses, claimed)


@twin("vanishing/pg-plateau-law", wrong={"base-2": dict(base=2.0), "base-4": dict(base=4.0),
                                         "proposition-rate": dict(base=3**0.25),
                                         "polynomial-factor-dropped": dict(power=0),
                                         "value-law-alone": dict(power=2)})
def pg_plateau_law(page, base=3.0, power=3):
    """Softmax PG's plateau by hand over H = 8..14, where the law holds; the careless laws: a wrong base,
    the proposition's (1/3)^(H/4) read as the plateau's rate, 3^H without the factor H^-3, and 3^H/H^2,
    the inverse of the value law (H+1)^2 3^-H without the factor H of |g_0|^2."""
    H = H_RUNS[H_RUNS >= 8].astype(float)
    T = [plateau_by_hand(int(h), PG) for h in H]
    page.exponent(base**H / H**power, T, 1.0)


def softmax_chain_value(H, theta):
    """V(s_0) of the softmax policy with logits theta (S, 4) on the chain, by a dense numpy solve."""
    m = envs.chain(H)
    pi = np.exp(theta - theta.max(axis=1, keepdims=True))
    pi /= pi.sum(axis=1, keepdims=True)
    P_pi = np.einsum("sa,sat->st", pi, m.P)
    return np.linalg.solve(np.eye(m.S) - m.gamma * P_pi, (pi * m.r).sum(axis=1))[0]


def log_value_gradient(H, h=1e-5):
    """grad log V(s_0) at the uniform softmax policy on the chain, by central differences of a dense solve."""
    V_0 = softmax_chain_value(H, np.zeros((H + 2, 4)))
    g = np.zeros((H + 2, 4))
    for idx in np.ndindex(H + 2, 4):
        e = np.zeros((H + 2, 4))
        e[idx] = h
        g[idx] = (softmax_chain_value(H, e) - softmax_chain_value(H, -e)) / (2 * h * V_0)
    return g


@twin("vanishing/inverse-value-rate", wrong={"crude-eta-h": dict(law="H"), "naive-four-thirds": dict(law="4H/3")})
def inverse_value_rate(page, law="gradient"):
    """1/V's fall per iteration until V first doubles (the plateau's first half), from PG's compiled loop
    by hand, against |grad log V|^2 at the uniform policy by central differences of a dense solve; the
    careless laws: eta H (forward entries of one, backward logits forgotten), and 4H/3."""
    ratios = []
    for H in range(8, 15):
        V_0 = softmax_chain_value(H, np.zeros((H + 2, 4)))
        t = _iterations_to(H, PG, 1.0, 2 * V_0, 10**6)
        g_sq = (log_value_gradient(H) ** 2).sum()
        rate = {"gradient": g_sq, "H": H, "4H/3": 4 * H / 3}[law]
        ratios.append((1 / V_0 - 1 / (2 * V_0)) / t / rate)
    page.close(ratios, 1.0)


@twin("vanishing/npg-count-flat", wrong={"visitation-weighted-step": dict(method="visitation"),
                                         "second-term-dropped": dict(second_term=0)})
def npg_count_flat(page, method="npg", second_term=1):
    """NPG's plateau by hand against AKLM Thm 5.3's guarantee (log 4 / eta + (H+1)^2) / (V*/2); the
    careless claims: NPG's step keeps the visitation d(s) of the ordinary gradient, and the guarantee
    without its second term 1/((1-gamma)^2 T)."""
    T = [plateau_by_hand(int(H), NPG_WITH_VISITATION if method == "visitation" else NPG, cap=3000)
         for H in H_RUNS]
    guarantee = [(math.log(4) + second_term * (H + 1) ** 2) / half(int(H)) for H in H_RUNS]
    page.bound(np.array(T), np.array(guarantee))


H_PLATEAU = np.arange(4, 13)  # the horizons of the page's plateau figure


def pg_from_start_by_hand(H, mu, goal, cap):
    """Softmax PG on V(mu) with eta = 1 by hand in numpy, dense solves as in _iterations_to; the
    first t with V(s_0) >= goal (at most cap)."""
    S, gamma = H + 2, H / (H + 1)
    nxt = np.array([[1] * 4] + [[i + 1, i - 1, i - 1, i - 1] for i in range(1, H + 1)] + [[H + 1] * 4])
    r = np.zeros((S, 4))
    r[H + 1, 0] = 1.0
    theta = np.zeros((S, 4))
    for t in range(cap):
        pi = np.exp(theta - theta.max(axis=1, keepdims=True))
        pi /= pi.sum(axis=1, keepdims=True)
        P_pi = np.zeros((S, S))
        np.add.at(P_pi, (np.repeat(np.arange(S), 4), nxt.ravel()), pi.ravel())
        M = np.eye(S) - gamma * P_pi
        V = np.linalg.solve(M, (pi * r).sum(axis=1))
        if V[0] >= goal:
            return t
        nu = np.linalg.solve(M.T, mu)  # d_mu / (1 - gamma)
        theta += nu[:, None] * pi * (r + gamma * V[nxt] - V[:, None])
    return cap


@twin("vanishing/covering-start-no-plateau",
      wrong={"covering-start-at-s0": dict(start="s0"), "grows-like-3-to-the-h": dict(start="3^H")})
def covering_start_no_plateau(page, start="uniform"):
    """PG on V(mu) by hand with mu uniform over the chain's states, its T_1/2 (from V(s_0), at most 100)
    at every H = 2..14 of the page, and the least-squares slope of T_1/2 against H by the normal
    equations, against 3 per step of H; the careless claims: PG's start distribution does not matter
    (mu at s_0 alone, whose plateau lasts thousands of iterations at the larger H), or the covering
    start's T_1/2 grows like 3^H too (15 at H = 2, times 3 per step, counted at most 100 as on the page)."""
    H = H_RUNS.astype(float)
    if start == "3^H":
        T = np.minimum(15.0 * 3.0 ** (H - 2), 100.0)
    else:
        T = []
        for h in H_RUNS:
            S = int(h) + 2
            mu = np.full(S, 1 / S) if start == "uniform" else np.eye(S)[0]
            T.append(pg_from_start_by_hand(int(h), mu, half(int(h)), 100))
        T = np.array(T, dtype=float)
    slope = np.sum((H - H.mean()) * (T - T.mean())) / np.sum((H - H.mean()) ** 2)
    page.bound(slope, 3.0)


@functools.cache
def sampled_npg_stuck_by_hand(H=8, n=20, L=90, T=10, runs=400, seed=7):
    """Sampled NPG by hand, all runs at once: per run, batches of n uniform episodes; Q-hat, V-hat and
    A-hat = Q-hat - V-hat from the returns to go; a run leaves the uniform policy at its first batch
    with a non-zero A-hat. Returns whether each run was still at the uniform policy after T iterations."""
    rng = np.random.default_rng(seed)
    gamma, S, A = H / (H + 1), H + 2, 4
    stuck = np.ones(runs, dtype=bool)
    for _ in range(T):
        active = np.flatnonzero(stuck)
        walkers = active.size * n
        s = np.zeros(walkers, dtype=np.int64)
        states, actions, rewards = (np.empty((walkers, L), dtype=np.int64) for _ in range(3))
        for t in range(L):
            a = rng.integers(0, A, size=walkers)
            states[:, t], actions[:, t], rewards[:, t] = s, a, (s == H + 1) & (a == 0)
            s = chain_step(s, a, H)
        G = np.zeros((walkers, L + 1))
        for t in range(L - 1, -1, -1):
            G[:, t] = rewards[:, t] + gamma * G[:, t + 1]
        run = np.repeat(np.arange(active.size), n)[:, None] * np.ones(L, dtype=np.int64)
        pair = ((run * S + states) * A + actions).ravel()
        weight = np.tile(gamma ** np.arange(L), walkers)  # the visits weighted as the discounted visitation
        visits = np.bincount(pair, weights=weight, minlength=active.size * S * A).reshape(-1, S, A)
        Q_sum = np.bincount(pair, weights=weight * G[:, :L].ravel(), minlength=active.size * S * A).reshape(-1, S, A)
        Q_hat = Q_sum / np.where(visits > 0, visits, 1.0)
        state_visits = visits.sum(axis=2)
        V_hat = Q_sum.sum(axis=2) / np.where(state_visits > 0, state_visits, 1.0)
        A_hat = np.where(visits > 0, Q_hat - V_hat[:, :, None], 0.0)
        stuck[active[(A_hat != 0).any(axis=(1, 2))]] = False
    return stuck


@twin("vanishing/sampled-npg-stuck", wrong={"npg-escapes": dict(claim="escapes"),
                                            "straight-run-probability": dict(claim="straight")})
def sampled_npg_stuck(page, claim="exact"):
    """Sampled NPG by hand against q^(nT), q from a matrix power; the careless claims: sampled NPG
    escapes like exact NPG (no run stays), and an episode sees the reward only on the straight run."""
    H, n, L, T = 8, 20, 90, 10
    stuck = sampled_npg_stuck_by_hand(H, n, L, T)
    p_episode = {"exact": reward_within(H, L), "straight": 4.0**-H, "escapes": 1.0}[claim]
    share = stuck.mean()
    page.zscore(share, math.sqrt(share * (1 - share) / stuck.size), (1 - p_episode) ** (n * T))


# --- the numbers in the prose -------------------------------------------------------------------


def test_the_numbers_of_the_chain_and_the_proposition():
    assert f"{v_star_series(6):.4f}" == "2.3794"
    # "(1 - 1/(H+1))^(H+1) >= 1/4, with equality at H = 1"; "V*(s_0) ~ (H+1)/e"
    assert v_star_series(1) == pytest.approx(0.5)
    assert abs(v_star_series(80) / (81 / math.e) - 1) < 0.01
    V, g = chain_by_ratios()
    i80 = list(H_GRID).index(80)
    assert 25 < v_star_series(80) < 35 and 1e-36 < V[i80] < 1e-34 and 1e-35 < g[i80] < 1e-33  # "about 30", "order 1e-35"
    assert f"{g[i80] / (1 / 3) ** 20:.0e}" == "2e-25"  # "2 10^-25 times its bound"
    share = V / ((H_GRID + 1.0) ** 2 / 3.0**H_GRID)
    assert 0.03 < share.min() and share.max() < 0.10  # "the value is 3-10% of it"
    below = [(H + 1) ** 2 / 3**H < v_star_series(H) for H in range(1, 81)]
    assert below.index(True) == 2 and all(below[2:])  # "the bound is below it from H = 3 on"
    gap_ratio = (v_star_series(80) - V[i80]) / (81 / 8 - 81**2 / 3.0**80)
    assert gap_ratio == pytest.approx(8 / math.e, rel=0.02)  # "loose by a factor of about 8/e"


def test_the_asymptotic_laws_of_value_and_gradient():
    e = highprec.chain_exact(1000)
    assert f"{float(e.V_pi * mpmath.power(3, 1000) / 1001**2):.4f}" == "0.0303"
    assert f"{2 / (9 * math.e**2):.4f}" == "0.0301"
    assert f"{float(e.grad_norm / (mpmath.sqrt(1000) * e.V_pi)):.2f}" == "5.32"
    # The gambler's-ruin step of the estimate, exactly: from s_1, P(reach s_{H+1} before s_0) = 2/(3^(H+1) - 1).
    for H in (3, 7):
        p = [sp.Rational(1, 4)] * H
        # first-step equations u_i = p u_{i+1} + (1 - p) u_{i-1}, u_0 = 0, u_{H+1} = 1
        u = sp.symbols(f"u1:{H + 1}")
        full = (0, *u, 1)
        sol = sp.solve([full[i] - p[i - 1] * full[i + 1] - (1 - p[i - 1]) * full[i - 1] for i in range(1, H + 1)], u)
        assert sol[u[0]] == sp.Rational(2, 3 ** (H + 1) - 1)


def test_the_numbers_of_the_roundoff_section():
    rows = {}
    for h in (10, 20, 25, 30):
        m, pi = envs.chain(h), envs.chain_policy(np.full((h, 3), UNIFORM))
        P_pi, r_pi = pgbook.policy_matrices(m, pi)
        V_exact = float(highprec.chain_exact(h).V_pi)
        textbook = abs(np.linalg.solve(np.eye(m.S) - m.gamma * P_pi, r_pi)[0] / V_exact - 1)
        rows[h] = (V_exact, EPS * (h + 1) / V_exact, textbook, abs(pgbook.value(m, pi)[0] / V_exact - 1))
    assert f"{rows[30][0]:.1e}" == "1.7e-13"
    assert [f"{rows[h][2]:.0e}" for h in (10, 20, 25)] == ["2e-13", "2e-07", "2e-04"]
    assert 0.065 < rows[30][2] < 0.075  # "7%"
    assert all(rows[h][3] < 1e-14 for h in rows)  # "a few 1e-15"
    assert all(0.5 < rows[h][2] / rows[h][1] < 2 for h in (25, 30))  # "of the size of the estimate"
    assert all(rows[h][2] < rows[h][1] for h in (10, 20))  # "below it before"
    below = lambda x: next(h for h in itertools.count(20) if x(highprec.chain_exact(h)) < EPS * (h + 1))  # noqa: E731
    assert below(lambda e: e.V_pi) == 33 and below(lambda e: e.grad_norm) == 37


def test_the_numbers_of_the_admissible_range():
    assert vanishing.first_admissible_horizon(0) == 249
    assert vanishing.first_admissible_horizon(1) == 562
    for base, first in ((2, 384), (10, 91)):
        assert next(H for H in itertools.count(1) if H / (40 * math.log(2 * H, base)) - 1 >= 0) == first


def test_the_numbers_of_the_exploration_sections():
    assert 15e9 < 4.5 * 3**20 < 16e9  # "over fifteen billion at H = 20"
    m = envs.chain(10)
    P_pi, _ = pgbook.policy_matrices(m, pgbook.uniform(m))
    assert np.linalg.matrix_power(P_pi, 11)[0, 11] == pytest.approx(4.0**-10, rel=1e-12)
    p = 1 - vanishing.reward_free_probability(m, pgbook.uniform(m), 110)[-1]
    assert 340 < p / 4.0**-10 < 360 and round(1 / p, -3) == 3000  # "about 350 times", "once in three thousand"
    assert f"{(1 - p) ** 100:.2f}" == "0.97"


@pytest.mark.slow  # compiled loops; minutes on numba's pure-Python path
def test_the_numbers_of_the_pg_and_npg_runs():
    T_pg = np.array([plateau_by_hand(int(H), PG) for H in H_RUNS])
    T_npg = np.array([plateau_by_hand(int(H), NPG) for H in H_RUNS])
    assert 28 <= T_pg[0] <= 35 and T_pg[-1] > 100_000  # "about thirty ... over a hundred thousand"
    assert set(T_npg.tolist()) == {2, 3}  # "two or three iterations at every H"
    guarantee = np.array([(math.log(4) + (H + 1) ** 2) / half(int(H)) for H in H_RUNS])
    assert (T_pg > guarantee).all()  # "longer than NPG's guarantee at every H"
    assert round(guarantee[-1] / T_npg[-1], -1) == 30  # "some thirty times fewer"
    # The uniform softmax policy plays a1 at s_{H+1} a quarter of the time: a quarter of highprec's value.
    V0 = np.array([float(highprec.chain_exact(int(H)).V_pi) / 4 for H in H_RUNS])
    assert V0 == pytest.approx([pgbook.value(envs.chain(int(H)), pgbook.uniform(envs.chain(int(H))))[0] for H in H_RUNS],
                               rel=1e-12)
    g0 = [log_value_gradient(int(H)) for H in H_RUNS]  # grad log V at the uniform policy, (S, 4) each
    forward = np.concatenate([g[1:-1, 0] for g in g0])
    assert 0.68 <= forward.min() and forward.max() <= 0.93  # "between 0.68 (at the ends of the chain) and 0.93"
    assert all(abs(g[-1, 0] - 0.75) < 1e-3 for g in g0)  # "the one of s_{H+1} is 3/4" (a float64 solve: ~1e-8 relative)
    g0_sq = np.array([(g**2).sum() for g in g0])
    assert f"{(g0_sq / H_RUNS).min():.2f}" == "0.97" and f"{(g0_sq / H_RUNS).max():.2f}" == "1.09"
    law = T_pg * g0_sq * V0
    # "1.6 at H = 2 ... and falls steadily to 1.03 at H = 14"
    assert f"{law[0]:.1f}" == "1.6" and f"{law[-1]:.2f}" == "1.03" and (np.diff(law[H_RUNS >= 3]) < 0).all()
    # "From H = 8 on it is within 12% of one" (and not before: 1.15 at H = 7)
    assert (np.abs(law[H_RUNS >= 8] - 1) < 0.12).all() and law[H_RUNS == 7][0] > 1.12
    crude = T_pg * H_RUNS * V0
    # "The cruder 1/(eta H V_0) crosses the measured plateau at H = 11 and is already over 5% too long at H = 14"
    assert crude[H_RUNS == 10][0] > 1 > crude[H_RUNS == 12][0] and 0.05 < 1 / crude[-1] - 1 < 0.06
    # "that step waits over a thousand iterations at H = 10, far past NPG's guarantee"
    assert plateau_by_hand(10, NPG_WITH_VISITATION, cap=3000) > 1000
    # "with the step eta A NPG still leaves the plateau within four to six iterations"
    plain = [algorithms.npg(envs.chain(int(H)), 1 - H / (H + 1), 10**4, until=half(int(H))).iterations for H in H_RUNS]
    assert set(plain) == {4, 5, 6}
    # "putting the visitation back brings the plateau back": the count grows geometrically again
    with_d = np.array([plateau_by_hand(H, NPG_WITH_VISITATION, cap=3000) for H in range(4, 11)])
    assert (with_d[1:] / with_d[:-1] > 1.4).all() and with_d[-1] > 1000


@pytest.mark.slow  # compiled loops; minutes on numba's pure-Python path
def test_the_numbers_of_the_plateau_figure():
    """'NPG in two or three iterations, the covering start in under thirty'; PG's plateau 'about 800 iterations at
    H = 8, 4,000 at H = 10 and 22,000 at H = 12', 'then climbs from half the optimum to 90% of it in about
    twenty'; 'each step of H multiplies the wait by about 3 (H/(H+1))^3'."""
    T = {int(h): plateau_by_hand(int(h), PG) for h in H_PLATEAU}
    assert [round(T[h], -2) for h in (8, 10)] == [800, 4000] and round(T[12], -3) == 22_000
    for h in (8, 10, 12):
        climb = _iterations_to(h, PG, 1.0, target(h), 10**5) - T[h]
        assert 15 <= climb <= 25, (h, climb)
    assert {plateau_by_hand(int(h), NPG) for h in H_PLATEAU} == {2, 3}
    ratios = np.array([T[h + 1] / T[h] for h in range(9, 12)])
    assert np.allclose(ratios, 3 * (np.arange(9, 12) / np.arange(10, 13)) ** 3, rtol=0.05)


@pytest.mark.slow  # sampled runs; slow on numba's pure-Python path
def test_the_numbers_of_the_sampled_runs():
    m = envs.chain(8)
    V_star = v_star_series(8)
    q = vanishing.reward_free_probability(m, pgbook.uniform(m), 90)[-1]
    assert f"{1 - q**20:.3f}" == "0.049"
    npg_hat = vanishing.sampled_npg(m, 1.0, 40, n=20, horizon=90, seed=0)
    pg_hat = vanishing.sampled_pg(m, 1.0, 40, n=20, horizon=90, seed=0)
    for run in (npg_hat, pg_hat):  # "stay exactly at the uniform policy for the first eighteen iterations"
        assert np.flatnonzero(run.trace["step"])[0] == 18
        assert (run.pi[:19] == 0.25).all()
    assert npg_hat.V_rho[-1] > 0.9 * V_star and pg_hat.V_rho[-1] < 1e-3 * V_star
    moves = np.flatnonzero(npg_hat.trace["step"])
    assert round(npg_hat.V_rho[19] / npg_hat.V_rho[18]) == 14 and moves[1] == 25  # "fourteen-fold", "iteration 25"
    assert np.argmax(npg_hat.V_rho >= 0.9 * V_star) - moves[1] == 3  # "within three iterations"
    assert round(pg_hat.V_rho[-1] / pg_hat.V_rho[0] - 1, 4) == 0.0002  # "two parts in ten thousand"
    exact = algorithms.npg(m, 1.0, 40, record_every=1)
    assert np.argmax(exact.V_rho >= 0.9 * V_star) == 3


@pytest.mark.slow  # sampled runs; slow on numba's pure-Python path
def test_exercise_exploratory_start():
    m = envs.chain(8)
    for seed in (1, 2, 3):  # "it does not wait", "within a dozen iterations"
        run = vanishing.sampled_npg(m, 1.0, 20, n=20, horizon=90, seed=seed, rho=np.full(m.S, 1 / m.S))
        assert run.trace["step"][0] > 0
        assert 0 < np.argmax(run.V[:, 0] >= 0.9 * v_star_series(8)) <= 12


def test_exercise_fair_walk_and_episode_counts():
    for h in (5, 10, 20):
        assert highprec.chain_hitting_time(h, forward=Fraction(1, 2)) == (h + 1) ** 2
    counts = []
    for h in (10, 14):
        m = envs.chain(h)
        q = vanishing.reward_free_probability(m, pgbook.uniform(m), 10 * (h + 1))[-1]
        counts.append(int(np.ceil(np.log(2) / -np.log(q))))
    assert counts == [2045, 122214] and 2.5 < (counts[1] / counts[0]) ** (1 / 4) < 3.2  # "roughly three per state"


def test_the_reference_numbers_of_the_chain():
    """shared/reference/math.md, C3's table (V*, V^pi, |grad V|, both bounds) and C4's hitting times."""
    table = {5: (2.0094, 9.628e-3, 9.04e-2, 2.53e-1, 1.48e-1), 10: (3.8554, 1.0106e-4, 1.454e-3, 6.42e-2, 2.05e-3),
             20: (7.5378, 5.0789e-9, 1.101e-7, 4.12e-3, 1.26e-7), 30: (None, 1.7222e-13, 4.701e-12, 2.64e-4, 4.67e-12),
             40: (14.8972, 4.8709e-18, 1.559e-16, 1.69e-5, 1.38e-16), 80: (29.6133, 1.4506e-36, 6.729e-35, 2.87e-10, 4.44e-35)}
    for H, (v_star, v_pi, grad, grad_bound, value_bound) in table.items():
        e = highprec.chain_exact(H)
        if v_star is not None:
            assert float(e.V_star) == pytest.approx(v_star, abs=1e-4)
        assert float(e.V_pi) == pytest.approx(v_pi, rel=1e-4)
        assert float(e.grad_norm) == pytest.approx(grad, rel=1e-3)
        assert (1 / 3) ** (H / 4) == pytest.approx(grad_bound, rel=1e-2)
        assert (H + 1) ** 2 / 3**H == pytest.approx(value_bound, rel=1e-2)
    assert [int(highprec.chain_hitting_time(H)) for H in (2, 4, 6, 8, 10)] == [33, 353, 3265, 29505, 265697]


# --- plain tests that used to be checks, or back the page's statements ---------------------------


def test_the_proposition_holds_inside_its_region():
    # On the edge (the uniform policy, theta_{s,a1} = 1/4) for the page's horizons ...
    _, g = chain_by_ratios()
    assert (g <= (1 / 3) ** (H_GRID / 4)).all()
    # ... strictly inside, in mpmath ...
    for H in (40, 80, 200):
        inside = highprec.chain_exact(H, theta_a1=0.2499)
        assert inside.grad_norm <= (mpmath.mpf(1) / 3) ** (mpmath.mpf(H) / 4)
        assert inside.V_pi <= mpmath.mpf(H + 1) ** 2 / mpmath.mpf(3) ** H
    # ... and at random policies of the region (theta_{s,a1} < 1/4), in float64.
    rng = np.random.default_rng(0)
    for H in range(2, envs.CHAIN_MAX_H + 1, 4):
        for _ in range(20):
            theta = rng.dirichlet(np.ones(4), size=H)[:, :3]
            theta[:, 0] = rng.uniform(0.0, 0.25, size=H)
            theta[:, 1:] *= (1 - theta[:, :1]) / theta.sum(axis=1, keepdims=True).clip(1e-12) * 0.99
            assert np.linalg.norm(chain_theta_gradient(H, theta)) <= (1 / 3) ** (H / 4)


def test_highprec_agrees_with_the_ratio_elimination_and_finite_differences():
    V, g = chain_by_ratios()
    for H, v, n in zip(H_GRID, V, g):
        exact = highprec.chain_exact(int(H))
        assert float(exact.V_pi) == pytest.approx(v, rel=1e-12)
        assert float(exact.grad_norm) == pytest.approx(n, rel=1e-12)
    assert abs(dense_mpmath_value(20) / highprec.chain_exact(20).V_pi - 1) < mpmath.mpf(10) ** -40


def test_the_adjoint_gradient_agrees_with_finite_differences_and_highprec():
    for H in (4, 12, 30):
        with mpmath.workdps(60):
            adjoint = float(mpmath.sqrt(mpmath.fsum(g**2 for g in gradient_by_adjoint(H))))
        assert adjoint == pytest.approx(fd_gradient_norm(H), rel=1e-12)
    for H, scaled in zip(H_LONG, scaled_gradient_norms()):
        assert float(highprec.chain_exact(int(H)).grad_norm * mpmath.power(3, int(H))) == pytest.approx(scaled, rel=1e-12)


def test_the_numbers_of_the_polynomial_factor():
    """'|grad V| divided by (H+1)^2, by (H+1)^3 or by sqrt(H) (H+1)^2 has the same slope -1 to within 0.02';
    'against H the fitted exponent is 2.46'."""
    _, g = chain_by_ratios()
    H = H_GRID.astype(float)
    for scaled in (g / (H + 1) ** 2, g / (H + 1) ** 3, g / (np.sqrt(H) * (H + 1) ** 2)):
        assert abs(pgbook.checks.loglog_slope(3.0**H, scaled) + 1) < 0.02
    assert f"{pgbook.checks.loglog_slope(H_LONG, scaled_gradient_norms()):.2f}" == "2.46"


def test_only_the_forward_action_has_a_derivative():
    g = chain_theta_gradient(30, np.full((30, 3), UNIFORM))
    assert np.abs(g[:, 1:]).max() == 0.0


@pytest.mark.slow
@pytest.mark.parametrize("H", [1, 2, 3])
def test_pgbooks_sampler_hits_the_goal_after_the_exact_expected_time(H):
    expected = (9 * 3**H - 4 * H - 7) / 2
    mdp = envs.chain(H)
    episodes = pgbook.sample_episodes(mdp, envs.chain_policy(np.full((H, 3), UNIFORM)), n=1000,
                                      horizon=40 * int(expected), seed=100 + H)
    T = vanishing.first_visits(episodes.states, target=H + 1)
    assert (T >= 0).all()
    assert abs(T.mean() - expected) / (T.std() / math.sqrt(T.size)) <= MAX_Z


@pytest.mark.slow  # sampled runs; slow on numba's pure-Python path
def test_the_sampled_runs_wait_for_a_rewarded_batch():
    # Both sampled methods move exactly at the batches that see a reward, while at the uniform policy.
    m = envs.chain(8)
    for run in (vanishing.sampled_npg(m, 1.0, 25, n=20, horizon=90, seed=0),
                vanishing.sampled_pg(m, 1.0, 25, n=20, horizon=90, seed=0)):
        first = np.flatnonzero(run.trace["step"])[0]
        seeds = np.random.SeedSequence(0).generate_state(25, dtype=np.uint64)
        seen = [pgbook.sample_episodes(m, pgbook.uniform(m), 20, 90, int(seeds[t])).rewards.any() for t in range(first + 1)]
        assert not any(seen[:-1]) and seen[-1]


def test_the_uniform_policys_bellman_equations_as_the_page_states_them():
    """'V(s_0) = gamma V(s_1), V(s_i) = gamma (V(s_{i+1})/4 + 3 V(s_{i-1})/4), V(s_{H+1}) = H + 1', and
    'Q(s_i, a_1) = gamma V(s_{i+1}), Q(s_i, a_4) = gamma V(s_{i-1})', against pgbook's solve."""
    H = 6
    gamma = H / (H + 1)
    M, b = np.eye(H + 2), np.zeros(H + 2)
    M[0, 1] -= gamma
    for i in range(1, H + 1):
        M[i, i + 1] -= gamma / 4
        M[i, i - 1] -= 3 * gamma / 4
    b[H + 1] = H + 1
    V = np.linalg.solve(M, b)
    mdp, pi = envs.chain(H), envs.chain_policy(np.full((H, 3), UNIFORM))
    assert V == pytest.approx(pgbook.value(mdp, pi), rel=1e-12)
    Q = pgbook.q_value(mdp, pi)
    assert Q[1:-1, 0] == pytest.approx(gamma * V[2:], rel=1e-12)
    assert Q[1:-1, 3] == pytest.approx(gamma * V[:-2], rel=1e-12)


def test_the_covering_start_numbers():
    """'it grows by one or two iterations per step of H, from 15 at H = 2 to 30 at H = 14'."""
    T = [pg_from_start_by_hand(int(h), np.full(int(h) + 2, 1 / (int(h) + 2)), half(int(h)), 100) for h in H_RUNS]
    assert T[0] == 15 and T[-1] == 30
    assert set(np.diff(T)) <= {1, 2}


def test_the_gambler_s_ruin_probability_of_the_proof_sketch():
    """'reaches s_{H+1} before returning with probability at most 2/(3^{H+1} - 1)' (the proof sketch and "How
    fast, exactly"): from s_1, forward with probability 1/4, absorbed at s_0 and s_{H+1}, by an exact solve."""
    for H in range(1, 9):
        # u_i = P(reach s_{H+1} before s_0 | s_i): u_i = u_{i+1}/4 + 3 u_{i-1}/4, u_0 = 0, u_{H+1} = 1
        A = [[Fraction(0)] * H for _ in range(H)]
        b = [Fraction(0)] * H
        for i in range(H):
            A[i][i] = Fraction(1)
            if i > 0:
                A[i][i - 1] = -Fraction(3, 4)
            if i < H - 1:
                A[i][i + 1] = -Fraction(1, 4)
            else:
                b[i] = Fraction(1, 4)
        u = sp.Matrix(A).LUsolve(sp.Matrix(b))
        assert u[0] == sp.Rational(2, 3 ** (H + 1) - 1)


test_former_check = moved.test()
