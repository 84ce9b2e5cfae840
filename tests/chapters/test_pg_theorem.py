"""Chapter 3 (book/gradients/pg_theorem.md): every check on the page, and every number its prose states.

Each check of the page has a twin here (``tests/chapters/twins.py``) that recomputes the claim
without the chapter's code path and feeds it to the page's own check, then feeds the same check the
claim a careless reader (or the tutorial) would make, which it must reject:

- the page's symbolic identities (sympy, for the general 2-state, 2-action MDP) are recomputed at
  random numbers in 40-digit arithmetic (mpmath): values by an mpmath linear solve, derivatives by
  high-precision central differences, which know nothing of the theorem;
- the page's numerical forms are recomputed with plain numpy (Bellman backups, the visitation as a
  series, the score by finite differences of log pi) against central differences of V.
"""

import functools

import mpmath
import numpy as np
import pytest
import sympy as sp

import pgbook
from chapters.twins import twin
from pgbook import envs

# The chapter's random MDP and parameters.
MDP = envs.random_mdp(5, 3, seed=0, gamma=0.9)
GAMMA = MDP.gamma
THETA = np.random.default_rng(1).normal(size=(5, 3))
PHI = np.random.default_rng(2).normal(size=(5, 3, 4))
W0 = np.random.default_rng(3).normal(size=4)
# The figure's two-state MDP.
TWO = pgbook.MDP(np.array([[[0.9, 0.1], [0.2, 0.8]], [[0.1, 0.9], [0.7, 0.3]]]), r=[[0.4, 0.0], [1.0, 0.1]],
                 gamma=0.8)
DPS = 40
#: Below this, a 40-digit difference is zero: differences of V with h = 1e-15 are accurate to about
#: 1e-25 (rounding, 1e-40 / h) and 1e-30 (truncation, h^2); a wrong form is off by 1e-3 or more.
ZERO = 1e-20


# --- independent computations: plain numpy --------------------------------------------------------


def softmax_rows(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def P_of(mdp, pi):
    return np.einsum("sa,sat->st", pi, mdp.P)


def iterated_value(mdp, pi, sweeps=3000):
    """V^pi by Bellman backups, with the rows of pi left free (no linear solve)."""
    P_pi, r_pi = P_of(mdp, pi), (pi * mdp.r).sum(axis=1)
    V = np.zeros(mdp.S)
    for _ in range(sweeps):
        V = r_pi + mdp.gamma * P_pi @ V
    return V


def q_of(mdp, V):
    return mdp.r + mdp.gamma * mdp.P @ V


def series_visitation(mdp, pi, rho, steps=3000):
    P_pi = P_of(mdp, pi)
    p, d = np.asarray(rho, dtype=float), np.zeros(mdp.S)
    for t in range(steps):
        d += (1 - mdp.gamma) * mdp.gamma**t * p
        p = p @ P_pi
    return d


def central(f, x, h=1e-6):
    """Central differences of the scalar f at the array x, the shape of x."""
    x = np.asarray(x, dtype=float)
    out = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = h
        out[i] = (f(x + e) - f(x - e)) / (2 * h)
    return out


@functools.cache
def softmax_case():
    """pi, Q, A, d_rho, the score d log pi(a|s) / d theta_(s', a') (S, A, S, A) and the gradient of
    V(rho) by central differences, for the chapter's random MDP and theta."""
    pi = softmax_rows(THETA)
    V = iterated_value(MDP, pi)
    Q = q_of(MDP, V)
    with mpmath.workdps(DPS):  # the score by 40-digit differences of log pi: exact in float64
        theta = [[mpmath.mpf(x) for x in row] for row in THETA]
        log_pi = mp_gradient(lambda th: [mpmath.log(p) for row in mp_softmax(th) for p in row], theta)
    score = np.array([[[float(x) for x in col] for col in row] for row in log_pi])  # [s', a', (s, a)]
    score = score.transpose(2, 0, 1).reshape(MDP.S, MDP.A, MDP.S, MDP.A)
    grad = central(lambda th: MDP.rho @ iterated_value(MDP, softmax_rows(th), sweeps=400), THETA)
    return pi, Q, Q - V[:, None], series_visitation(MDP, pi, MDP.rho), score, grad


def form(d, pi, W, score, horizon=1 / (1 - GAMMA)):
    return horizon * np.einsum("s,sa,sa,sa...->...", d, pi, W, score)


# --- independent computations: 40-digit arithmetic -------------------------------------------------


def mp_value(P, r, gamma, pi):
    """V = (I - gamma P_pi)^(-1) r_pi in mpmath; P: (S, A, S), r and pi: (S, A) of mpf."""
    S, A = len(r), len(r[0])
    M = mpmath.matrix(S, S)
    b = mpmath.matrix(S, 1)
    for s in range(S):
        b[s] = sum(pi[s][a] * r[s][a] for a in range(A))
        for t in range(S):
            M[s, t] = (1 if s == t else 0) - gamma * sum(pi[s][a] * P[s][a][t] for a in range(A))
    return mpmath.lu_solve(M, b), mpmath.inverse(M)


def entries(column):
    """The entries of an mpmath column matrix, as a list."""
    return [column[i] for i in range(column.rows)]


def mp_softmax(theta):
    out = []
    for row in theta:
        z = [mpmath.exp(x) for x in row]
        out.append([x / sum(z) for x in z])
    return out


def mp_gradient(f, theta, h=mpmath.mpf("1e-15")):
    """Central differences of the vector-valued f (a list of mpf) at theta (nested lists of mpf), at
    40 digits: [i][j] -> list over f's entries. The error, O(h^2) = 1e-30, is far below any tolerance."""
    out = []
    for i in range(len(theta)):
        row = []
        for j in range(len(theta[0])):
            plus = [list(x) for x in theta]
            minus = [list(x) for x in theta]
            plus[i][j] += h
            minus[i][j] -= h
            fp, fm = f(plus), f(minus)
            row.append([(a - b) / (2 * h) for a, b in zip(fp, fm)])
        out.append(row)
    return out


@functools.cache
def mp_instance(seed):
    """A random 2-state, 2-action MDP with gamma in (0.5, 0.95) and random theta, as mpf lists."""
    rng = np.random.default_rng(500 + seed)
    with mpmath.workdps(DPS):
        P = [[[mpmath.mpf(x) for x in row] for row in rng.dirichlet(np.ones(2), size=2)] for _ in range(2)]
        r = [[mpmath.mpf(x) for x in row] for row in rng.random((2, 2))]
        gamma = mpmath.mpf(rng.uniform(0.5, 0.95))
        theta = [[mpmath.mpf(x) for x in row] for row in rng.normal(size=(2, 2))]
    return P, r, gamma, theta


def mp_quantities(seed, direct=False):
    """At one random instance: pi, V, Q, d_{s0 = 0}, and dV(0)/dtheta (by differences), as mpf.

    ``direct``: pi = theta itself (rows not forced to sum to one), as in the direct parameterisation."""
    P, r, gamma, theta = mp_instance(seed)
    with mpmath.workdps(DPS):
        if direct:
            theta = mp_softmax(theta)  # a policy, then each entry moved on its own
        policy = (lambda th: th) if direct else mp_softmax
        pi = policy(theta)
        V, inverse = mp_value(P, r, gamma, pi)
        Q = [[r[s][a] + gamma * sum(P[s][a][t] * V[t] for t in range(2)) for a in range(2)] for s in range(2)]
        d = [(1 - gamma) * inverse[0, s] for s in range(2)]
        grad = mp_gradient(lambda th: [mp_value(P, r, gamma, policy(th))[0][0]], theta)
        grad = [[g[0] for g in row] for row in grad]
    return pi, V, Q, d, gamma, theta, grad


def mp_softmax_score(pi, s, a, s2, a2):
    return (1 if s == s2 else 0) * ((1 if a == a2 else 0) - pi[s][a2])


# --- the page's checks and their wrong twins, in the order of the page ---------------------------


@twin("pg_theorem/closed-form-identity",
      wrong={"no-horizon-factor": dict(horizon_power=0), "unnormalised-visitation": dict(horizon_power=2)})
def closed_form_identity(page, horizon_power=1):
    """(1/(1-gamma)) sum d pi grad log pi Q against the 40-digit derivative of V, on three random 2 x 2
    MDPs; the careless reader drops the 1/(1 - gamma), or keeps it with Sutton's unnormalised d."""
    errors = []
    for seed in range(3):
        pi, V, Q, d, gamma, _, grad = mp_quantities(seed)
        with mpmath.workdps(DPS):
            for i in range(2):
                for j in range(2):
                    closed = sum(d[s] * pi[s][a] * mp_softmax_score(pi, s, a, i, j) * Q[s][a]
                                 for s in range(2) for a in range(2)) / (1 - gamma) ** horizon_power
                    errors.append(float(abs(closed - grad[i][j])))
    page.equal(np.array(errors) < ZERO, True)


@twin("pg_theorem/softmax-form-identity",
      wrong={"tutorial-form-without-horizon-factor": dict(horizon=False), "q-for-a": dict(weights="Q")})
def softmax_form_identity(page, horizon=True, weights="A"):
    """(1/(1-gamma)) d(s) pi(a|s) A(s, a) against the 40-digit derivative of V, on three random 2 x 2
    MDPs with gamma > 0.5; the tutorial's form drops the 1/(1 - gamma); a careless reader puts Q for A."""
    errors = []
    for seed in range(3):
        pi, V, Q, d, gamma, _, grad = mp_quantities(seed)
        with mpmath.workdps(DPS):
            for s in range(2):
                for a in range(2):
                    W = Q[s][a] - (V[s] if weights == "A" else 0)
                    claimed = d[s] * pi[s][a] * W / ((1 - gamma) if horizon else 1)
                    errors.append(float(abs(claimed - grad[s][a])))
    page.equal(np.array(errors) < ZERO, True)


@twin("pg_theorem/direct-forms-identity", wrong={"advantage-form-holds": dict(gap=False)})
def direct_forms_identity(page, gap=True):
    """The direct parameterisation in 40 digits: the Q-form and the A-form plus d V / (1 - gamma)
    against the derivative of V off the simplex; the careless reader uses the A-form as it is."""
    errors = []
    for seed in range(3):
        pi, V, Q, d, gamma, _, grad = mp_quantities(seed, direct=True)
        with mpmath.workdps(DPS):
            for s in range(2):
                for a in range(2):
                    q_form = d[s] * Q[s][a] / (1 - gamma)
                    a_form = d[s] * (Q[s][a] - V[s]) / (1 - gamma) + (d[s] * V[s] / (1 - gamma) if gap else 0)
                    errors += [float(abs(q_form - grad[s][a])), float(abs(a_form - grad[s][a]))]
    page.equal(np.array(errors) < ZERO, True)


@functools.cache
def mp_state_gradients():
    """grad V(s) for every state s of the chapter's random MDP, (S, S, A), by 40-digit differences."""
    with mpmath.workdps(DPS):
        P = [[[mpmath.mpf(x) for x in row] for row in block] for block in MDP.P]
        r = [[mpmath.mpf(x) for x in row] for row in MDP.r]
        theta = [[mpmath.mpf(x) for x in row] for row in THETA]
        grad = mp_gradient(lambda th: entries(mp_value(P, r, mpmath.mpf(GAMMA), mp_softmax(th))[0]), theta)
    return np.array([[[float(g) for g in col] for col in row] for row in grad]).transpose(2, 0, 1)


@twin("pg_theorem/reinforce-whole-return",
      wrong={"own-step-reward-only": dict(whole_return=False), "undiscounted-return": dict(discounted=False),
             "infinite-horizon-gradient": dict(horizon=None)})
def reinforce_whole_return(page, whole_return=True, discounted=True, horizon=6):
    """E[R_L(tau) sum_t grad log pi(a_t|s_t)] by a depth-first walk over the 4096 histories, the score
    in closed form per step, against grad V_6 by complex-step differences of the 6-step value (Bellman
    backups from V_0 = 0). The careless reader weights each step's score by that step's reward alone,
    drops the gamma^t from the return, or takes the whole-return form to be the infinite-horizon
    gradient."""
    mdp = envs.random_mdp(2, 2, seed=4, gamma=0.9)
    theta = np.random.default_rng(5).normal(size=(2, 2))
    pi, gamma, L = softmax_rows(theta), mdp.gamma, 6
    total = np.zeros((2, 2))

    def walk(t, s, prob, ret, score, own):
        for a in range(2):
            p, step = prob * pi[s, a], np.zeros((2, 2))
            step[s] = -pi[s]
            step[s, a] += 1.0
            reward = (gamma**t if discounted else 1.0) * mdp.r[s, a]
            if t == L - 1:
                nonlocal total
                total += p * ((ret + reward) * (score + step) if whole_return else own + reward * step)
                continue
            for s_next in range(2):
                walk(t + 1, s_next, p * mdp.P[s, a, s_next], ret + reward, score + step, own + reward * step)

    for s0 in range(2):
        walk(0, s0, mdp.rho[s0], 0.0, np.zeros((2, 2)), np.zeros((2, 2)))

    def V_L(th, steps):
        e = np.exp(th)
        p = e / e.sum(axis=1, keepdims=True)
        V = np.zeros(2, dtype=complex)
        for _ in range(steps):
            V = (p * (mdp.r + gamma * mdp.P @ V)).sum(axis=1)
        return mdp.rho @ V

    grad = np.zeros((2, 2))
    for i in np.ndindex(2, 2):
        e = np.zeros((2, 2), dtype=complex)
        e[i] = 1e-30j
        grad[i] = V_L(theta + e, horizon or 2000).imag / 1e-30
    page.close(total, grad)


@twin("pg_theorem/unrolling-remainder", wrong={"remainder-off-by-one-step": dict(shift=1),
                                                "remainder-from-the-start": dict(from_start=True)})
def unrolling_remainder(page, shift=0, from_start=False):
    """The partial sums of the trajectory form pushed forward by hand, against gamma^k E[grad V(s_k)]
    with grad V(s) from 40-digit differences; the careless reader discounts the remainder once more,
    or takes it as gamma^k grad V(rho), the gradient from the start rather than from s_k."""
    pi, Q, _, _, score, _ = softmax_case()
    G = mp_state_gradients()
    total = np.einsum("s,sab->ab", MDP.rho, G)
    mu, partial, misses, remainders = MDP.rho.copy(), np.zeros_like(THETA), [], []
    for t in range(300):
        misses.append(total - partial)
        remainders.append(GAMMA ** (t + shift) * np.einsum("s,sab->ab", MDP.rho if from_start else mu, G))
        partial = partial + GAMMA**t * np.einsum("s,sa,sa,satb->tb", mu, pi, Q, score)
        mu = mu @ P_of(MDP, pi)
    page.close(np.array(misses), np.array(remainders))


def trajectory_form(discounted=True):
    """sum_t gamma^t E[Q(s_t, a_t) grad log pi(a_t|s_t)] pushed forward by hand (or without the gamma^t)."""
    pi, Q, _, _, score, _ = softmax_case()
    mu, total = MDP.rho.copy(), np.zeros_like(THETA)
    for t in range(300):
        total += (GAMMA**t if discounted else 1.0) * np.einsum("s,sa,sa,satb->tb", mu, pi, Q, score)
        mu = mu @ P_of(MDP, pi)
    return total


@twin("pg_theorem/softmax-forms-vs-fd",
      wrong={"undiscounted-trajectory-sum": dict(discounted=False),
             "trajectory-form-with-horizon-factor": dict(trajectory_horizon=1 / (1 - GAMMA)),
             "no-horizon-factor": dict(horizon=1.0), "rho-for-d": dict(use_rho=True),
             "tutorial-form-without-horizon-factor": dict(softmax_horizon=1.0),
             "softmax-form-without-pi": dict(with_pi=False), "q-for-a": dict(weights="Q")})
def softmax_forms_vs_fd(page, discounted=True, trajectory_horizon=1.0, horizon=1 / (1 - GAMMA), use_rho=False,
                        softmax_horizon=1 / (1 - GAMMA), with_pi=True, weights="A"):
    """The four softmax forms by hand: the trajectory form as a pushed-forward series, the Q- and A-forms
    with d as a series and Q by Bellman backups, d(s) pi(a|s) A(s, a) / (1 - gamma) entry by entry. The
    careless reader forgets the gamma^t, carries the visitation form's 1/(1 - gamma) over to the
    trajectory form, drops it from the Q- and A-forms (or puts rho for d), drops it from the softmax form
    as the tutorial does, drops the factor pi(a|s), or puts Q for A."""
    pi, Q, adv, d, score, grad = softmax_case()
    weight = MDP.rho if use_rho else d
    forms = [trajectory_horizon * trajectory_form(discounted),
             form(weight, pi, Q, score, horizon), form(weight, pi, adv, score, horizon),
             softmax_horizon * d[:, None] * (pi if with_pi else 1.0) * (adv if weights == "A" else Q)]
    page.close(np.stack(forms), np.stack([grad] * 4))


@twin("pg_theorem/direct-forms-vs-fd", wrong={"advantage-form-holds": dict(gap=False),
                                               "no-horizon-factor": dict(horizon=1.0)})
def direct_forms_vs_fd(page, gap=True, horizon=1 / (1 - GAMMA)):
    """The direct parameterisation off the simplex: V by Bellman backups with free rows; the careless
    reader takes the A-form as it is, or drops the 1/(1 - gamma) of eq-direct."""
    pi = softmax_rows(THETA)
    V = iterated_value(MDP, pi)
    Q, d = q_of(MDP, V), series_visitation(MDP, pi, MDP.rho)
    fd = central(lambda x: MDP.rho @ iterated_value(MDP, x, sweeps=400), pi)
    q_form = horizon * d[:, None] * Q
    a_form = horizon * (d[:, None] * (Q - V[:, None]) + (d * V)[:, None] * gap)
    page.close(np.stack([q_form, a_form]), np.stack([fd, fd]))


@twin("pg_theorem/loglinear-vs-fd", wrong={"raw-features": dict(centred=False),
                                             "no-horizon-factor": dict(horizon=1.0)})
def loglinear_vs_fd(page, centred=True, horizon=1 / (1 - GAMMA)):
    """The Q-form with the score by hand; the careless reader uses the raw features as the score, or
    drops the 1/(1 - gamma)."""
    pi = softmax_rows(PHI @ W0)
    V = iterated_value(MDP, pi)
    score = PHI - np.einsum("sa,sak->sk", pi, PHI)[:, None, :] * centred
    claimed = form(series_visitation(MDP, pi, MDP.rho), pi, q_of(MDP, V), score, horizon)
    fd = central(lambda w: MDP.rho @ iterated_value(MDP, softmax_rows(PHI @ w), sweeps=400), W0)
    page.close(np.stack([claimed, claimed]), np.stack([fd, fd]))


@twin("pg_theorem/recursion-parts",
      wrong={"future-undiscounted": dict(discount=1.0), "next-state-is-the-start": dict(next_state="start")})
def recursion_parts(page, discount=TWO.gamma, next_state="s1"):
    """grad V(0) and grad V(1) on the slice by 40-digit differences; the two parts from them by hand.
    The careless reader drops the gamma of the future part, or reads E[grad V(s_1)] as grad V(s_0)."""
    with mpmath.workdps(DPS):
        P = [[[mpmath.mpf(x) for x in row] for row in block] for block in TWO.P]
        r = [[mpmath.mpf(x) for x in row] for row in TWO.r]
        gamma = mpmath.mpf(TWO.gamma)

        def values(x):  # x = [[theta_00, theta_10]]
            return entries(mp_value(P, r, gamma, mp_softmax([[x[0][0], 0], [x[0][1], 0]]))[0])

        totals, sums = [], []
        for x0 in np.linspace(-2, 2, 3):  # the figure's 21 frames
            for y0 in np.linspace(-3, 3, 7):
                point = [[mpmath.mpf(x0), mpmath.mpf(y0)]]
                G = mp_gradient(values, point)[0]  # G[j][s]: d V(s) / d (theta_00, theta_10)[j]
                pi = mp_softmax([[point[0][0], 0], [point[0][1], 0]])
                V = values(point)
                Q0 = [r[0][a] + gamma * sum(P[0][a][t] * V[t] for t in range(2)) for a in range(2)]
                immediate = [sum(pi[0][a] * Q0[a] * ((1 if a == 0 else 0) - pi[0][0]) for a in range(2)), 0]
                nxt = [pi[0][0] * P[0][0][t] + pi[0][1] * P[0][1][t] for t in range(2)]
                weights = nxt if next_state == "s1" else [1, 0]
                future = [discount * sum(weights[t] * G[j][t] for t in range(2)) for j in range(2)]
                totals.append([float(G[j][0]) for j in range(2)])
                sums.append([float(immediate[j] + future[j]) for j in range(2)])
    page.close(np.array(totals), np.array(sums))


# --- the numbers the prose states ---------------------------------------------------------------


def test_sympy_simplifies_the_hint_to_zero():
    """'sympy confirms the hint for a softmax over three outcomes': sum_x p(x) d log p(x) / d w_j
    simplifies to 0 for each logit (and the unweighted sum of the scores does not)."""
    w = sp.symbols("w_0:3", real=True)
    Z = sum(sp.exp(v) for v in w)
    p = [sp.exp(v) / Z for v in w]
    for w_j in w:
        assert sp.simplify(sum(p[x] * sp.diff(sp.log(p[x]), w_j) for x in range(3))) == 0
        assert sp.simplify(sum(sp.diff(sp.log(p[x]), w_j) for x in range(3))) != 0


def test_the_direct_advantage_form_misses_by_up_to_16():
    """'the advantage form of the direct parameterisation ... is off by d(s) V(s) / (1 - gamma) (up to 16 here)'."""
    pi = softmax_rows(THETA)
    V = iterated_value(MDP, pi)
    gap = series_visitation(MDP, pi, MDP.rho) * V / (1 - GAMMA)
    assert round(gap.max()) == 16


def test_every_other_form_agrees_to_a_few_times_1e_9():
    pi, Q, adv, d, score, grad = softmax_case()
    fd = central(lambda th: MDP.rho @ pgbook.value(MDP, pgbook.softmax(th)), THETA)  # the page's differences
    for claimed in (pgbook.softmax_gradient(MDP, THETA), form(d, pi, Q, score), form(d, pi, adv, score)):
        assert 1e-10 < np.abs(claimed - fd).max() < 1e-8


def test_the_unrolling_figure_reaches_1e_14_under_its_line():
    """'The error shrinks like gamma^k over all K = 300 steps, down to about 1e-14 ... the dots stay under the line'."""
    pi, Q, _, _, score, _ = softmax_case()
    G = mp_state_gradients()
    total = np.einsum("s,sab->ab", MDP.rho, G)
    mu, partial, miss = MDP.rho.copy(), np.zeros_like(THETA), []
    for t in range(300):
        miss.append(np.abs(total - partial).max())
        partial = partial + GAMMA**t * np.einsum("s,sa,sa,satb->tb", mu, pi, Q, score)
        mu = mu @ P_of(MDP, pi)
    line = np.abs(G).max() * GAMMA ** np.arange(300)
    assert (np.array(miss) <= line * (1 + 1e-9)).all()
    assert 1e-15 < miss[-1] < 1e-13


def test_the_tutorial_form_is_one_tenth():
    """'one tenth of the length at gamma = 0.9' (the exercise)."""
    pi, _, adv, d, _, grad = softmax_case()
    np.testing.assert_allclose(d[:, None] * pi * adv / grad, 1 - GAMMA, rtol=1e-6)


def test_the_tutorial_form_stays_away():
    """'the tutorial's form ... keeps its distance to the finite differences at gamma max|grad V| ~ 0.3
    whatever h is' (the exercise): 0.3 to one digit, at a coarse and a fine step."""
    pi, _, adv, d, _, grad = softmax_case()
    assert round(GAMMA * np.abs(grad).max(), 1) == 0.3
    for h in (1e-2, 1e-5):
        fd = central(lambda th: MDP.rho @ iterated_value(MDP, softmax_rows(th), sweeps=400), THETA, h=h)
        assert np.abs(d[:, None] * pi * adv - fd).max() == pytest.approx(GAMMA * np.abs(grad).max(), rel=0.01)


def test_the_slice_and_the_arrows():
    """The immediate part is horizontal (it leaves state 1's parameters alone), and the figure's
    example: at theta_10 = -3 the immediate part points right; raising theta_10 turns it round: 'at
    theta_10 = 1 the point has just crossed the dashed line and the immediate part is barely negative; at 2
    and 3 it is clearly negative'."""
    def immediate(x, y):
        pi = softmax_rows(np.array([[x, 0.0], [y, 0.0]]))
        V = iterated_value(TWO, pi)
        return pi[0, 0] * (q_of(TWO, V)[0, 0] - V[0])  # the theta_00 coordinate
    assert immediate(0.0, -3.0) > 0 and immediate(0.0, 3.0) < 0  # the sliders start at theta_00 = 0
    assert immediate(0.0, 0.0) > 0 > immediate(0.0, 1.0)  # the dashed line lies between the slider's 0 and 1
    barely, clearly = -immediate(0.0, 1.0), -np.array([immediate(0.0, 2.0), immediate(0.0, 3.0)])
    assert barely < 0.005 and clearly.min() > 0.01  # at 1 its bar reads -0.00x; at 2 and 3, -0.0x or more


def test_the_exercise_from_the_performance_difference_lemma():
    """'At every h the lemma reproduces the change of value exactly; ... with an error proportional to h'."""
    pi, _, adv, _, score, grad = softmax_case()
    delta = np.random.default_rng(5).normal(size=THETA.shape)
    directional = (grad * delta).sum()
    errors = []
    for h in (1e-2, 1e-3):
        pi_h = softmax_rows(THETA + h * delta)
        change = MDP.rho @ (iterated_value(MDP, pi_h) - iterated_value(MDP, pi))
        lemma = series_visitation(MDP, pi_h, MDP.rho) @ (pi_h * adv).sum(axis=1) / (1 - GAMMA)
        assert lemma == pytest.approx(change, abs=1e-13)
        errors.append(abs(change / h - directional))
    assert 8 < errors[0] / errors[1] < 12


def test_the_exercise_softmax_is_loglinear_with_one_hot_features():
    """'The two gradients agree to round-off, in all 15 coordinates': the log-linear Q-form with one-hot
    features, centred by hand, against finite differences of V (the softmax form is checked on the page)."""
    pi, Q, _, d, _, grad = softmax_case()
    one_hot = np.eye(MDP.S * MDP.A).reshape(MDP.S, MDP.A, MDP.S * MDP.A)
    centred = one_hot - np.einsum("sa,sak->sk", pi, one_hot)[:, None, :]
    loglinear = form(d, pi, Q, centred).reshape(MDP.S, MDP.A)
    assert np.abs(loglinear - grad).max() < 1e-8
    assert np.abs(loglinear - pgbook.softmax_gradient(MDP, THETA)).max() < 1e-12
    assert np.abs(pgbook.loglinear_gradient(MDP, THETA.ravel(), one_hot).reshape(MDP.S, MDP.A)
                  - pgbook.softmax_gradient(MDP, THETA)).max() < 1e-12


def test_the_exercise_whole_return_is_far_from_the_infinite_horizon_gradient():
    """'the gradient of V itself is further away by the truncation bias, which is large after only six
    steps': the exact 6-step form differs from grad V by more than 1e-2, from grad V_6 by round-off."""
    mdp = envs.random_mdp(2, 2, seed=4, gamma=0.9)
    theta = np.random.default_rng(5).normal(size=(2, 2))
    from pgbook.theory import estimation
    grad_6 = estimation.truncated_softmax_gradient(mdp, theta, 6)
    assert np.abs(grad_6 - pgbook.softmax_gradient(mdp, theta)).max() > 1e-2
