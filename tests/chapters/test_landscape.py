"""Chapter 7 (book/convergence/landscape.md): every check on the page, and every number its prose states.

Each check of the page has a twin here (``tests/chapters/twins.py``) that recomputes the claim
without pgbook's code path -- values by a plain numpy solve or by Bellman backups, gradients by
finite differences or in closed form, softmax PG, NPG and projected gradient ascent written out in
numpy, the MDPs of the chapter built by hand -- feeds it to the page's own check, and feeds the same
check the claim a careless reader would make, which it must reject. The last tests cover the numbers
the prose states.
"""

import functools
import math
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

import pgbook
from chapters.twins import Moved, twin
from pgbook import algorithms, envs
from pgbook.theory import landscape
import oracle

CHAIN3 = envs.chain(3)


# --- independent computations ------------------------------------------------------------------


def solve_value(P, r, gamma, pi):
    """V^pi by a plain dense solve of (I - gamma P_pi) V = r_pi, independent of pgbook.exact."""
    return oracle.value(P, r, gamma, pi)


def backup_value(P, r, gamma, pi, sweeps=3000):
    """V^pi by repeated Bellman backups (no linear solve at all)."""
    P_pi = np.einsum("sa,sat->st", pi, P)
    r_pi = np.sum(pi * r, axis=1)
    V = np.zeros(len(P))
    for _ in range(sweeps):
        V = r_pi + gamma * P_pi @ V
    return V


def visitation(P, gamma, pi, start):
    """d^pi_start = (1 - gamma) start^T (I - gamma P_pi)^{-1}, by a plain solve."""
    return oracle.visitation(P, gamma, pi, start)


def softmax(theta):
    z = np.exp(theta - theta.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def optimal(mdp, sweeps=3000):
    """V* and a greedy optimal policy by value iteration written out in numpy."""
    V = np.zeros(mdp.S)
    for _ in range(sweeps):
        V = (mdp.r + mdp.gamma * mdp.P @ V).max(axis=1)
    Q = mdp.r + mdp.gamma * mdp.P @ V
    return V, np.eye(mdp.A)[Q.argmax(axis=1)]


def logistic_problem():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 5))
    y = np.sign(X @ rng.normal(size=5) + rng.normal(size=200))
    return X, y


def chain3_value(theta):
    return solve_value(CHAIN3.P, CHAIN3.r, CHAIN3.gamma, softmax(theta))[0]


def midpoint_gaps_by_hand(f, a, b):
    return np.array([(f(x) + f(z)) / 2 - f((x + z) / 2) for x, z in zip(a, b)])


# --- the page's checks and their wrong twins, in the order of the page --------------------------


def test_logistic_loss_passes_the_midpoint_test_and_the_value_does_not():
    """The page's opening contrast (no check line: convexity of the logistic loss is a known fact, not
    the chapter's claim): midpoint gaps of -L on 500 fresh pairs by hand never exceed round-off, while
    the chain's softmax value fails the same test on some pairs."""
    X, y = logistic_problem()
    rng = np.random.default_rng(11)
    w1, w2 = rng.normal(0, 3, size=(2, 500, 5))
    neg_loss = lambda w: -np.mean(np.log1p(np.exp(-y * (X @ w))))  # noqa: E731
    assert midpoint_gaps_by_hand(neg_loss, w1, w2).max() <= 1e-12
    t1, t2 = rng.normal(0, 3, size=(2, 500, CHAIN3.S, CHAIN3.A))
    assert midpoint_gaps_by_hand(chain3_value, t1, t2).max() > 1e-6


CHAIN2 = envs.chain(2)


def chain2_policy(p1, p2):
    """Right with probability p in s1 and s2, left otherwise; s0 and the goal play a_1 (by hand)."""
    pi = np.zeros((4, 4))
    pi[0, 0] = pi[3, 0] = 1.0
    pi[1, [0, 3]] = p1, 1 - p1
    pi[2, [0, 3]] = p2, 1 - p2
    return pi


moved = Moved("landscape")


@moved("midpoint-value-closed-form", "close",
       "the midpoint policy's value from a linear solve equals the closed form, 1/3 (below the chord's 4/9)",
       tol=1e-12, wrong={"chord": dict(expected=Fraction(4, 9))})
def midpoint_value(page, expected=None):
    """V(s0) of the midpoint policy by Bellman backups against 8 p1 p2 / (4 p1 p2 + 5) in exact
    fractions; the careless reader expects the chord's value, as for a concave function. (A former ✔
    line: a sanity check of the library, which the page now states in a sentence.)"""
    half = Fraction(1, 2)
    closed_form = 8 * half * half / (4 * half * half + 5)
    assert closed_form == Fraction(1, 3)
    V = backup_value(CHAIN2.P, CHAIN2.r, CHAIN2.gamma, chain2_policy(0.5, 0.5))[0]
    page.close(V, float(closed_form if expected is None else expected))


@twin("landscape/softmax-pairs-violate-concavity", wrong={"as-benign-as-logistic": dict(objective="logistic")})
def softmax_pairs(page, objective="rl"):
    """The largest midpoint violation over 2000 fresh pairs of logits, values by a plain solve; the
    careless reader expects the RL value to be as benign as the (concave) logistic objective."""
    rng = np.random.default_rng(12)
    if objective == "rl":
        a, b = rng.normal(0, 3, size=(2, 2000, CHAIN3.S, CHAIN3.A))
        gaps = midpoint_gaps_by_hand(chain3_value, a, b)
    else:
        X, y = logistic_problem()
        a, b = rng.normal(0, 3, size=(2, 2000, 5))
        gaps = midpoint_gaps_by_hand(lambda w: -np.mean(np.log1p(np.exp(-y * (X @ w)))), a, b)
    page.bound(0.3 * optimal(CHAIN3)[0][0], gaps.max())


def chain3_start(logit):
    theta = np.zeros((CHAIN3.S, CHAIN3.A))
    theta[:, 0] = logit
    return theta


def fd_gradient(f, theta, h=1e-6):
    g = np.zeros_like(theta)
    for idx in np.ndindex(theta.shape):
        e = np.zeros_like(theta)
        e[idx] = h
        g[idx] = (f(theta + e) - f(theta - e)) / (2 * h)
    return g


@twin("landscape/bad-start-gradient-flat",
      wrong={"natural-gradient-as-flat": dict(geometry="natural"), "softmax-factor-only": dict(exponent=0.25)})
def bad_start_gradient(page, geometry="euclidean", exponent=1.0):
    """The gradient by finite differences of a plain solve, against the value, logit -1 to -3; careless:
    the natural gradient (the advantage over 1 - gamma, by hand) is as flat, or the gradient shrinks
    only like pi(a1|s), the softmax's own factor (V falls like pi(a1|s)^4 here: exponent 1/4)."""
    values, norms = [], []
    for logit in (-1.0, -1.5, -2.0, -2.5, -3.0):
        theta = chain3_start(logit)
        pi = softmax(theta)
        V = solve_value(CHAIN3.P, CHAIN3.r, CHAIN3.gamma, pi)
        values.append(V[0])
        if geometry == "euclidean":
            norms.append(np.linalg.norm(fd_gradient(chain3_value, theta)))
        else:
            adv = CHAIN3.r + CHAIN3.gamma * CHAIN3.P @ V - V[:, None]
            norms.append(np.linalg.norm(adv / (1 - CHAIN3.gamma)))
    page.exponent(values, norms, exponent)


def iterations_to(theta, target, method, eta=2.0, T=30_000):
    """Plain numpy softmax PG (AKLM Eq. (10)) or NPG (AKLM Lemma 5.1): iterations until V(s0) >= target."""
    m = CHAIN3
    for t in range(T + 1):
        pi = softmax(theta)
        V = solve_value(m.P, m.r, m.gamma, pi)
        if V[0] >= target:
            return t
        adv = m.r + m.gamma * m.P @ V - V[:, None]
        if method == "pg":
            d = visitation(m.P, m.gamma, pi, m.rho)
            theta = theta + eta * d[:, None] * pi * adv / (1 - m.gamma)
        else:
            theta = theta + eta * adv / (1 - m.gamma)
    return T


@functools.cache
def plateau_counts(method):
    """T_1/2 (the first iteration with V(s0) >= V*(s0)/2) from the uniform and the bad start."""
    target = 0.5 * optimal(CHAIN3)[0][0]
    return tuple(iterations_to(chain3_start(logit), target, method) for logit in (0.0, -2.0))


def random_setting():
    mdp = envs.random_mdp(6, 3, seed=0, gamma=0.8, random_rho=True)
    V_star, pi_star = optimal(mdp)
    return mdp, np.full(mdp.S, 1 / mdp.S), pi_star, V_star


@functools.cache
def domination_terms(n=600, seed=4):
    """Gap at rho, stationarity gap of V(mu) (advantage form), and the mismatch coefficients, at n
    random policies shrunk towards pi*, all by plain numpy solves."""
    mdp, mu, pi_star, V_star = random_setting()
    rho, gamma = mdp.rho, mdp.gamma
    d_star = visitation(mdp.P, gamma, pi_star, rho)
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n):
        w = rng.random()
        pi = w * rng.dirichlet(np.ones(mdp.A), size=mdp.S) + (1 - w) * pi_star
        V = solve_value(mdp.P, mdp.r, gamma, pi)
        adv = mdp.r + gamma * mdp.P @ V - V[:, None]
        d = visitation(mdp.P, gamma, pi, mu)
        step = d @ adv.max(axis=1) / (1 - gamma)
        rows.append(((V_star - V) @ rho, step, np.max(d_star / d), np.max(d_star / mu)))
    return np.array(rows).T


@twin("landscape/gradient-domination", wrong={"without-mismatch": dict(mismatch=False)})
def gradient_domination(page, mismatch=True):
    """The gap against the middle of AKLM Lemma 4.1, by plain solves; the careless reader bounds the gap
    by the stationarity gap alone."""
    gap, step, to_visitation, _ = domination_terms()
    page.bound(gap, to_visitation * step if mismatch else step)


def stay_or_leave_by_hand(gamma=0.9):
    """Stay (reward 1, stay) or leave (reward 0, to an absorbing end that pays nothing), built by hand."""
    P = np.zeros((2, 2, 2))
    P[0, 0, 0] = P[0, 1, 1] = P[1, :, 1] = 1.0
    return P, np.array([[1.0, 0.0], [0.0, 0.0]]), gamma


@twin("landscape/horizon-factor-tight",
      wrong={"factor-dropped": dict(horizon=False), "mismatch-dropped": dict(mismatch=False)})
def horizon_factor_tight(page, horizon=True, mismatch=True):
    """The gap of always leaving against ||d*/mu|| G / (1 - gamma), every term by plain solves of the MDP
    built by hand; the careless reader drops the 1/(1 - gamma) (d^pi_mu taken for mu), or bounds the
    gap by the stationarity gap alone (the middle bound without its mismatch coefficient)."""
    P, r, gamma = stay_or_leave_by_hand()
    rho, mu = np.array([1.0, 0.0]), np.full(2, 0.5)
    stay, leave = np.array([[1.0, 0.0], [1.0, 0.0]]), np.array([[0.0, 1.0], [1.0, 0.0]])
    gap = rho @ (backup_value(P, r, gamma, stay) - solve_value(P, r, gamma, leave))
    V = solve_value(P, r, gamma, leave)
    G = visitation(P, gamma, leave, mu) @ (r + gamma * P @ V - V[:, None]).max(axis=1) / (1 - gamma)
    D = np.max(visitation(P, gamma, stay, rho) / mu)
    page.close(gap, (D / ((1 - gamma) if horizon else 1.0)) * G if mismatch else G)


def detour_by_hand(gamma=0.9, safe=0.5):
    P = np.zeros((2, 2, 2))
    P[0, 0, 0] = 1.0  # safe: stay
    P[0, 1, 1] = 1.0  # risky: go to s1
    P[1, :, 1] = 1.0  # s1: both stay
    r = np.array([[safe, 0.0], [1.0, 0.0]])
    return P, r, gamma


@twin("landscape/detour-local-maximum",
      wrong={"trap-is-optimal": dict(good_max=1.0), "uniform-start-distribution": dict(start=(0.5, 0.5))})
def detour_local_maximum(page, good_max=0.55, start=(1.0, 0.0)):
    """Values of 2000 random policies with pi(good|s1) <= 0.55, by a plain solve of the detour built by
    hand, against the trap's; the careless reader takes the trap for the optimum (every y), or
    believes it is also a local maximum of V(mu) for a mu that covers s1."""
    P, r, gamma = detour_by_hand()
    rng = np.random.default_rng(13)
    x, y = rng.random(2000), good_max * rng.random(2000)
    start = np.array(start)
    values = [start @ solve_value(P, r, gamma, np.array([[1 - a, a], [b, 1 - b]])) for a, b in zip(x, y)]
    trap = start @ solve_value(P, r, gamma, np.array([[1.0, 0.0], [0.0, 1.0]]))
    page.bound(np.array(values), trap)


@twin("landscape/smoothness-constant", wrong={"horizon-squared": dict(power=2)})
def smoothness_constant(page, power=3):
    """The rate of change of the gradient in closed form (sympy: dV/dpi(stay) = 1/(1 - gamma p)^2 on the
    stay-or-leave MDP), at the page's distances from the corner; the careless reader's beta has
    (1 - gamma)^2."""
    p, g = sp.symbols("p gamma", positive=True)
    V = p / (1 - g * p)  # value of staying with probability p (Bellman equation solved by hand)
    dV = sp.lambdify((p, g), sp.diff(V, p))
    gamma, rates = 0.9, []
    for delta in np.geomspace(1e-6, 0.5, 25):
        rates.append(abs(dV(1 - delta, gamma) - dV(1.0, gamma)) / (math.sqrt(2) * delta))
    page.bound(max(rates), 2 * gamma * 2 / (1 - gamma) ** power)


@twin("landscape/smoothness-horizon-exponent", wrong={"horizon-squared": dict(expected=-2.0)})
def smoothness_horizon_exponent(page, expected=-3.0):
    """The fastest change of the gradient at gamma = 0.5, 0.9, 0.99 in closed form (sympy, as above),
    over gamma, against 1 - gamma; the careless reader's beta has (1 - gamma)^(-2)."""
    p, g = sp.symbols("p gamma", positive=True)
    dV = sp.lambdify((p, g), sp.diff(p / (1 - g * p), p))
    gammas = np.array([0.5, 0.9, 0.99])
    fastest = np.array([max(abs(dV(1 - delta, gamma) - dV(1.0, gamma)) / (math.sqrt(2) * delta)
                            for delta in np.geomspace(1e-6, 0.5, 25)) for gamma in gammas])
    page.exponent(1 - gammas, fastest / gammas, expected)


DS = 2.0 ** np.arange(1, 10)
EPS, GAMMA_RS = 0.1, 0.9


@functools.cache
def rare_state_counts_by_hand():
    """Projected gradient ascent on the rare-state family written out in numpy, all D at once: values by
    batched solves, the direct gradient d(s) Q(s, a) / (1 - gamma), the simplex projection by sorting.
    Returns the first t with gap at s0 <= EPS, per D."""
    gamma, A = GAMMA_RS, 2
    P = np.zeros((2, 2, 2))
    P[0, :, 0] = P[1, :, 1] = 1.0
    r = np.array([[1.0, 0.0], [0.0, 0.0]])
    eta = (1 - gamma) ** 3 / (2 * gamma * A)
    mu = np.stack([1 / DS, 1 - 1 / DS], axis=1)  # (n, S)
    pi = np.full((DS.size, 2, 2), 0.5)
    found = np.full(DS.size, -1)
    for t in range(200_000):
        P_pi = np.einsum("nsa,sat->nst", pi, P)
        M = np.eye(2) - gamma * P_pi
        V = np.linalg.solve(M, np.sum(pi * r, axis=2)[..., None])[..., 0]
        newly = (found < 0) & (1 / (1 - gamma) - V[:, 0] <= EPS)
        found[newly] = t
        if (found >= 0).all():
            return found
        d = (1 - gamma) * np.linalg.solve(np.transpose(M, (0, 2, 1)), mu[..., None])[..., 0]
        Q = r + gamma * np.einsum("sat,nt->nsa", P, V)
        x = pi + eta * d[..., None] * Q / (1 - gamma)
        u = -np.sort(-x, axis=2)
        css = np.cumsum(u, axis=2) - 1
        k = np.arange(1, A + 1)
        rho_idx = (u - css / k > 0).sum(axis=2)
        tau = np.take_along_axis(css, rho_idx[..., None] - 1, axis=2)[..., 0] / rho_idx
        pi = np.maximum(x - tau[..., None], 0)
    raise AssertionError("projected gradient ascent did not reach the gap")


@twin("landscape/rare-state-iterations-exact",
      wrong={"theorem-count": dict(count="theorem"), "softmax-step-size": dict(count="softmax-eta")})
def rare_state_exact(page, count="exact"):
    """Counts of numpy projected gradient ascent against the formula evaluated by hand; the careless
    reader takes Theorem 4.1's count for the count, or the step (1 - gamma)^3 / 8 of softmax PG."""
    gamma = GAMMA_RS
    if count == "exact":
        formula = np.ceil((0.5 - (1 - gamma) * EPS) * 8 * gamma * DS / (1 - gamma) ** 2)
    elif count == "theorem":
        formula = np.ceil(64 * gamma * 2 * 2 * DS**2 / ((1 - gamma) ** 6 * EPS**2))
    else:  # each step raises pi(good) by eta / (2 (1 - gamma) D) with eta = (1 - gamma)^3 / 8
        formula = np.ceil((0.5 - (1 - gamma) * EPS) * 2 * (1 - gamma) * DS / ((1 - gamma) ** 3 / 8))
    page.equal(rare_state_counts_by_hand(), formula.astype(np.int64))


@moved("iterations-scale-with-mismatch", "exponent",
       "on the rare-state family, the iterations to reach gap 0.1 grow like the mismatch coefficient D, "
       "not like D²", tol=0.05,
       wrong={"theorem-exponent": dict(expected=2.0), "square-root": dict(expected=0.5)})
def iterations_scale(page, expected=1.0):
    """The log-log slope of the numpy counts against D; the careless reader expects Theorem 4.1's D^2
    (or a square root). (A former ✔ line: it could not fail once the page's exact count, linear in D,
    passes; the page folds it into that line.)"""
    page.exponent(DS, rare_state_counts_by_hand(), expected)


# --- the numbers in the prose --------------------------------------------------------------------


@functools.cache
def chapter_random_draws():
    """The chapter's own random draws, in its order (one generator, seed 0): the share of softmax pairs
    that violate concavity, the largest gap, and the gradient-domination terms at its 1000 policies."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 5))
    rng.normal(size=5), rng.normal(size=200)
    rng.normal(0, 3, size=(2, 2000, 5))
    theta1, theta2 = rng.normal(0, 3, size=(2, 2000, CHAIN3.S, CHAIN3.A))
    gaps = midpoint_gaps_by_hand(chain3_value, theta1, theta2)
    mdp, mu, pi_star, V_star = random_setting()
    d_star = visitation(mdp.P, mdp.gamma, pi_star, mdp.rho)
    terms = []
    for _ in range(1000):
        w = rng.random()
        pi = w * rng.dirichlet(np.ones(mdp.A), size=mdp.S) + (1 - w) * pi_star
        V = solve_value(mdp.P, mdp.r, mdp.gamma, pi)
        adv = mdp.r + mdp.gamma * mdp.P @ V - V[:, None]
        d = visitation(mdp.P, mdp.gamma, pi, mu)
        step = d @ adv.max(axis=1) / (1 - mdp.gamma)
        terms.append(((V_star - V) @ mdp.rho, np.max(d_star / d) * step,
                      np.max(d_star / mu) / (1 - mdp.gamma) * step, np.max(d_star / d)))
    assert X.shape == (200, 5)
    return gaps, np.array(terms).T


def test_the_numbers_of_the_non_concavity_sections():
    gaps, _ = chapter_random_draws()
    share = (gaps > 1e-12).mean()
    assert 0.35 < share < 0.45  # "about two pairs in five"
    V_star = optimal(CHAIN3)[0][0]
    assert gaps.max() > V_star / 3  # "the worst by a third of the optimal value"
    # the H = 2 chain: V(right) = 8/9, V(left) = 0; at the corner p = 0 the gradient is zero and the
    # Hessian indefinite (eigenvalues +-8/5), yet the corner is the minimum of V over the square
    p1, p2 = sp.symbols("p1 p2")
    V = 8 * p1 * p2 / (4 * p1 * p2 + 5)
    for a, b in [(0.3, 0.7), (0.9, 0.2)]:
        assert backup_value(CHAIN2.P, CHAIN2.r, CHAIN2.gamma, chain2_policy(a, b))[0] == pytest.approx(
            float(V.subs({p1: a, p2: b})), abs=1e-12)
    corner = {p1: 0, p2: 0}
    assert sp.hessian(V, (p1, p2)).subs(corner).eigenvals() == {sp.Rational(8, 5): 1, -sp.Rational(8, 5): 1}
    assert [sp.diff(V, p).subs(corner) for p in (p1, p2)] == [0, 0]
    grid = np.linspace(0, 1, 21)
    assert min(float(V.subs({p1: a, p2: b})) for a in grid for b in grid) == 0.0


def slice_grid(H, n=31):
    """V/V* on the chapter's slice of the chain of length H, by plain numpy solves (V* from value iteration)."""
    xs = np.linspace(-6, 6, n)
    mdp = envs.chain(H)
    V_star = optimal(mdp)[0][0]
    V = np.empty((n, n))
    for i, x in enumerate(xs):
        for j, y in enumerate(xs):
            theta = np.zeros((mdp.S, mdp.A))
            theta[1, 0], theta[2:, 0] = x, y
            V[j, i] = solve_value(mdp.P, mdp.r, mdp.gamma, softmax(theta))[0]
    return V / V_star


@pytest.mark.slow
def test_the_slice_dips_below_its_chord_and_its_plateau_deepens_with_the_length():
    """'below its chord ... by more than a third of V* at its lowest, for every H of the slider';
    'at the centre ... V/V* falls from 0.08 at H = 1 to 5e-5 at H = 8, and the part of the square
    where it is below 1e-6 grows from a single corner point at H = 1 to almost half'."""
    grids = {H: slice_grid(H) for H in (1, 2, 3, 4, 6, 8)}
    for V in grids.values():
        assert np.max(np.linspace(V[0, 0], V[-1, -1], len(V)) - np.diag(V)) > 1 / 3
    centre = {H: V[15, 15] for H, V in grids.items()}
    assert f"{centre[1]:.2f}" == "0.08" and f"{centre[8]:.0e}" == "5e-05"
    deep = np.array([(V < 1e-6).mean() for V in grids.values()])
    assert np.argwhere(grids[1] < 1e-6).tolist() == [[0, 0]] and (np.diff(deep) > 0).all() and 0.4 < deep[-1] < 0.5


@pytest.mark.slow
def test_the_numbers_of_the_flat_region():
    uniform, bad = plateau_counts("pg")
    assert (uniform, bad) == (23, 10174)  # T_1/2: "a few dozen", "thousands"
    assert 400 < bad / uniform < 500  # "over four hundred times as long"
    assert plateau_counts("npg") == (2, 3)  # "in 3 iterations from the bad start and 2 from the uniform one"
    V_bad = solve_value(CHAIN3.P, CHAIN3.r, CHAIN3.gamma, softmax(chain3_start(-2.0)))[0]
    assert f"{V_bad:.1e}" == "1.0e-05" and f"{optimal(CHAIN3)[0][0]:.2f}" == "1.27"  # "the value is 1e-5 ... V* = 1.27"
    assert 1e-6 < V_bad / optimal(CHAIN3)[0][0] < 1e-5  # "(under 1e-5 of the optimum)"
    g = [np.linalg.norm(fd_gradient(chain3_value, chain3_start(x))) for x in (-2.0, 0.0)]
    assert 1e-5 < g[0] < 1e-4 and 500 < g[1] / g[0] < 1000  # "1e-5 too, almost a thousand times smaller"
    ends = [(np.linalg.norm(fd_gradient(chain3_value, chain3_start(x))), chain3_value(chain3_start(x))) for x in (-1.0, -3.0)]
    assert [f"{grad / V:.1f}" for grad, V in ends] == ["2.1", "2.3"]  # "moves only from 2.1 to 2.3"
    assert 1900 < ends[0][1] / ends[1][1] < 2200  # "while the value falls by a factor of 2000"
    # "the natural gradient ... is about as long at the bad start as at the uniform one"
    nat = []
    for x in (-2.0, 0.0):
        pi = softmax(chain3_start(x))
        V = solve_value(CHAIN3.P, CHAIN3.r, CHAIN3.gamma, pi)
        nat.append(np.linalg.norm(CHAIN3.r + CHAIN3.gamma * CHAIN3.P @ V - V[:, None]))
    assert 0.8 < nat[0] / nat[1] < 1.0


def test_the_numbers_of_gradient_domination():
    _, (gap, middle, right, to_visitation) = chapter_random_draws()
    assert 1.35 < 1 / (gap / middle).min() < 1.45  # "within a factor of about 1.4"
    assert 4.5 < np.median(right / middle) < 5.5  # "about five times larger"
    assert f"{(gap / (right * (1 - 0.8))).max():.0%}" == "91%"  # "the gap reaches at most 91% of" D G


def test_the_numbers_of_stay_or_leave():
    """'The gap, 10, equals the right bound ... without its factor 1/(1 - gamma) the bound would say 1,
    and without its mismatch coefficient 0.5'."""
    P, r, gamma = stay_or_leave_by_hand()
    leave = np.array([[0.0, 1.0], [1.0, 0.0]])
    assert np.array_equal(envs.stay_or_leave(gamma).P, P) and np.array_equal(envs.stay_or_leave(gamma).r, r)
    V = solve_value(P, r, gamma, leave)
    G = visitation(P, gamma, leave, np.full(2, 0.5)) @ (r + gamma * P @ V - V[:, None]).max(axis=1) / (1 - gamma)
    assert G == pytest.approx(0.5) and 2 * G == pytest.approx(1.0)
    assert solve_value(P, r, gamma, np.array([[1.0, 0.0], [1.0, 0.0]]))[0] - V[0] == pytest.approx(10.0)


def test_the_numbers_of_the_detour():
    P, r, gamma = detour_by_hand()
    trap = np.array([[1.0, 0.0], [0.0, 1.0]])
    V_trap = solve_value(P, r, gamma, trap)
    assert V_trap[0] == pytest.approx(5.0) and backup_value(P, r, gamma, np.array([[0.0, 1.0], [1.0, 0.0]]))[0] == pytest.approx(9.0)
    detour = envs.detour(0.9, 0.5)
    assert np.array_equal(detour.P, P) and np.array_equal(detour.r, r)
    # stationarity gaps 0 (rho = s0) and 5 (mu uniform), by finite differences of the value
    for start, expected in ((np.array([1.0, 0.0]), 0.0), (np.full(2, 0.5), 5.0)):
        g = np.zeros((2, 2))
        for s in range(2):
            for a in range(2):
                e = np.zeros((2, 2))
                e[s, a] = 1e-6
                g[s, a] = (start @ solve_value(P, r, gamma, trap + e) - start @ solve_value(P, r, gamma, trap - e)) / 2e-6
        assert np.sum(g.max(axis=1) - np.sum(trap * g, axis=1)) == pytest.approx(expected, abs=1e-6)
    # "||d*/mu|| = 1.8" with mu uniform: d* = (1 - gamma, gamma) from s0
    d_star = visitation(P, gamma, np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([1.0, 0.0]))
    assert np.max(d_star / 0.5) == pytest.approx(1.8)


def test_projected_gradient_ascent_from_the_trap():
    """'never moves' from s0; 'reaches the optimum' with mu uniform (within 0.01 after 13514 steps)."""
    detour = envs.detour()
    trap = np.array([[1.0, 0.0], [0.0, 1.0]])
    eta = landscape.pga_step_size(detour)
    stuck = algorithms.projected_ga(detour, eta, 20_000, pi0=trap, rho=0, record_every=1)
    assert np.abs(stuck.pi - trap).max() == 0.0
    escape = algorithms.projected_ga(detour, eta, 20_000, pi0=trap, rho=np.full(2, 0.5), record_every=1)
    assert int(np.argmax(escape.V[:, 0] >= 9.0 - 0.01)) == 13514
    assert escape.V[-1, 0] == pytest.approx(9.0, abs=1e-9)


def test_the_chain_plateau_is_a_stationary_point_of_v_s0():
    """'the policy that always moves left has stationarity gap 0 ... of value 0 against 8/9'."""
    left = chain2_policy(0.0, 0.0)
    V = solve_value(CHAIN2.P, CHAIN2.r, CHAIN2.gamma, left)
    adv = CHAIN2.r + CHAIN2.gamma * CHAIN2.P @ V - V[:, None]
    d = visitation(CHAIN2.P, CHAIN2.gamma, left, CHAIN2.rho)
    assert d @ adv.max(axis=1) == pytest.approx(0.0, abs=1e-15) and V[0] == 0.0
    assert landscape.stationarity(CHAIN2, left, 0) == pytest.approx(0.0, abs=1e-15)
    assert optimal(CHAIN2)[0][0] == pytest.approx(8 / 9)


def test_the_numbers_of_the_smoothness_section():
    """'up to sqrt(2) 0.9 / 0.1^3, about 1270, 35% of beta = 3600'."""
    leave = envs.stay_or_leave(0.9)
    assert landscape.direct_smoothness(leave) == pytest.approx(3600.0)
    assert math.sqrt(2) * 0.9 / 0.1**3 == pytest.approx(1272.8, abs=0.1)
    stay = np.array([[1.0, 0.0], [1.0, 0.0]])
    pi = stay + 1e-6 * np.array([[-1.0, 1.0], [0.0, 0.0]])
    rate = np.linalg.norm(pgbook.direct_gradient(leave, pi) - pgbook.direct_gradient(leave, stay)) / np.linalg.norm(pi - stay)
    assert rate == pytest.approx(math.sqrt(2) * 0.9 / 0.1**3, rel=1e-4)
    assert f"{rate / 3600:.0%}" == "35%"


@pytest.mark.slow
def test_the_numbers_of_the_projected_gradient_ascent_run():
    mdp, mu, pi_star, V_star = random_setting()
    eta = landscape.pga_step_size(mdp)
    assert f"{eta:.4f}" == "0.0017"
    run = algorithms.projected_ga(mdp, eta, 20_000, rho=mu, record_every=1)
    gap = (V_star - run.V) @ mdp.rho
    assert (gap[:101] > 0.85 * gap[0]).all()  # "stays near its start for a hundred iterations"
    assert 5500 < np.argmax(gap < 1e-3) < 6500  # "falls below 1e-3 after about six thousand"
    assert abs(gap[-1]) < 1e-9  # "then drops to machine precision"
    D = np.max(visitation(mdp.P, mdp.gamma, pi_star, mdp.rho) / mu)
    bound = lambda T: math.sqrt(64 * 0.8 * 6 * 3 * D**2 / (0.2**6 * T))  # noqa: E731
    assert round(bound(20_000)) == 32 and 6 < bound(20_000) / 5 < 7  # "still 32, six times 5"
    T5 = 64 * 0.8 * 6 * 3 * D**2 / (0.2**6 * 25)
    assert f"{T5:.0e}" == "8e+05"  # "reaches 5 only after 8 x 10^5 iterations"
    for scale, expected in ((10, 612), (100, 62)):  # the exercise: larger steps converge faster
        fast = algorithms.projected_ga(mdp, scale * eta, 2000, rho=mu, record_every=1)
        assert np.argmax((V_star - fast.V) @ mdp.rho < 1e-3) == expected


def test_the_numbers_of_the_scaling_experiment():
    counts = rare_state_counts_by_hand()
    assert np.array_equal(counts, landscape.rare_state_iterations(DS, GAMMA_RS, EPS))
    ratio = 64 * 0.9 * 4 * DS**2 / (0.1**6 * EPS**2) / counts
    assert f"{ratio[0]:.0e}" == "1e+08" and f"{ratio[-1]:.0e}" == "3e+10"  # "1e8 ... 3 x 1e10 times"
    assert f"{pgbook.checks.loglog_slope(DS, counts):.2f}" == "1.00"
    # the figure, relative to D = 2: "the measured count grows about 256-fold, the theorem's 256^2 = 65,536-fold"
    assert counts[-1] / counts[0] == pytest.approx(256, rel=0.01)
    assert DS[-1] ** 2 / DS[0] ** 2 == 65_536
    # "grows like (1 - gamma)^-2 here": the formula's exponent in 1/(1 - gamma) tends to 2
    H = np.array([1e3, 1e4])
    T = landscape.rare_state_iterations(10.0, 1 - 1 / H[0], 0.1), landscape.rare_state_iterations(10.0, 1 - 1 / H[1], 0.1)
    assert math.log(T[1] / T[0]) / math.log(10) == pytest.approx(2.0, abs=0.01)


def test_on_the_rare_state_family_the_lemma_is_tight_in_d_and_loose_by_one_over_one_minus_gamma():
    """"the gap at s0 is exactly D times the stationarity gap ... the lemma's bound is 1/(1 - gamma) = 10
    times the gap, for every policy and every D": the stationarity gap by hand, sum_s d(s) max_a A(s, a)
    / (1 - gamma), with a plain solve for d and Bellman backups for V; the careless reader's tight
    1/(1 - gamma) (ratio 1) fails."""
    mdp = envs.rare_state(GAMMA_RS)
    V_star = optimal(mdp)[0][0]
    for p_good in (0.1, 0.5, 0.9, 0.99):
        pi = np.array([[p_good, 1 - p_good], [0.5, 0.5]])
        V = backup_value(mdp.P, mdp.r, mdp.gamma, pi)
        A = mdp.r + mdp.gamma * mdp.P @ V - V[:, None]
        for D in DS:
            mu = np.array([1 / D, 1 - 1 / D])
            G = visitation(mdp.P, mdp.gamma, pi, mu) @ A.max(axis=1) / (1 - mdp.gamma)
            gap = V_star - V[0]
            assert gap == pytest.approx(D * G, rel=1e-9)  # the lemma's D: tight
            ratio = D * G / (1 - mdp.gamma) / gap
            assert ratio == pytest.approx(1 / (1 - GAMMA_RS), rel=1e-9) and f"{ratio:.1f}" == "10.0"
            assert ratio != pytest.approx(1.0, rel=0.5)  # a tight 1/(1 - gamma) would give 1


test_former_check = moved.test()
