"""Chapter "Convergence of softmax policy gradient" (book/convergence/softmax_pg.md): every check on the
page, and every number its prose states.

Each check of the page has a twin here (``tests/chapters/twins.py``) that recomputes the claim without
the chapter's code path and feeds it to the page's own check: the stay-or-quit value in closed form
instead of ``softmax_pg.hessian``; a numpy policy-gradient loop with finite-difference gradients of a
plain numpy value instead of the compiled run and ``softmax_gradient``; a pure-Python bandit loop; the
gradient-flow ODE (scipy) for the plateau; the log barrier's maximiser found with a numpy objective;
value iteration for V* and soft value iteration for the soft optimum; second differences of a numpy
soft value for the Hessian. Each twin also feeds the same check the claim a careless reader would make
(a wrong exponent, Mei's 1/c^2, the tutorial's gradient without 1/(1 - gamma), a dropped 1/sqrt|S|, the
two-arm constant on three arms, Theorem 10.3's bound taken as the gap, a reversed KL, the next
chapter's NPG factor 1 - eta tau for PG), which it must reject. Where a twin needs the page's million-step runs it reads their recorded policies, computing
everything it checks from them by its own means.

The last tests cover the numbers the prose states and the sanity checks that are not on the page,
among them three former checks of the page, each with its careless claims: Lemma 10.3's identity on every
recorded policy, the factor two that each entropy step gains over the proof's ascent step, and the curvature's
growth on the stay-or-leave family (a ``Moved`` entry).
"""

import functools
import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import minimize

import pgbook
from chapters.twins import Moved, twin
from pgbook import algorithms, checks, envs
from pgbook.theory import npg, softmax_pg

MDP = envs.random_mdp(6, 3, seed=0, gamma=0.8)
GAMMA = MDP.gamma
ETA = (1 - GAMMA) ** 3 / 8
BANDIT_R = (1.0, 0.9, 0.1)
ETA_BANDIT = 0.4
TAU = 0.3
ETA_TAU = (1 - GAMMA) ** 3 / (8 + TAU * (4 + 8 * np.log(MDP.A)))
LAMS = np.array([0.3, 0.1, 0.03, 0.01, 0.003, 0.001])
ESCAPE_P0 = np.array([1e-2, 3e-3, 1e-3, 3e-4, 1e-4])
FAMILY_GAMMAS = np.array([0.9, 0.95, 0.98, 0.99, 0.995, 0.998])


# --- independent computations ------------------------------------------------------------------


def softmax_np(theta):
    p = np.exp(theta - theta.max(axis=-1, keepdims=True))
    return p / p.sum(axis=-1, keepdims=True)


def P_pi(mdp, pi):
    return np.einsum("sa,sat->st", pi, mdp.P)


def value_np(mdp, pi, reward=None):
    r = (pi * mdp.r).sum(axis=1) if reward is None else reward
    return np.linalg.solve(np.eye(mdp.S) - mdp.gamma * P_pi(mdp, pi), r)


def soft_value_np(mdp, pi, tau):
    """V~^pi: the value of the reward r(s, a) - tau log pi(a|s), by a linear solve."""
    return value_np(mdp, pi, (pi * (mdp.r - tau * np.log(pi))).sum(axis=1))


def visitation_np(mdp, pi, rho):
    return (1 - mdp.gamma) * np.linalg.solve((np.eye(mdp.S) - mdp.gamma * P_pi(mdp, pi)).T, rho)


@functools.cache
def optimum_np():
    """V* and the optimal actions by value iteration."""
    V = np.zeros(MDP.S)
    for _ in range(3000):
        V = (MDP.r + GAMMA * MDP.P @ V).max(axis=1)
    return V, (MDP.r + GAMMA * MDP.P @ V).argmax(axis=1)


@functools.cache
def soft_optimum_np(tau=TAU):
    """Soft value iteration: V~*_tau and pi*_tau."""
    V = np.zeros(MDP.S)
    for _ in range(3000):
        Q = MDP.r + GAMMA * MDP.P @ V
        V = tau * np.log(np.exp(Q / tau).sum(axis=1))
    return V, softmax_np((MDP.r + GAMMA * MDP.P @ V) / tau)


def fd_gradient(f, theta, h=1e-6):
    g = np.zeros(theta.shape)
    for idx in np.ndindex(theta.shape):
        e = np.zeros(theta.shape)
        e[idx] = h
        g[idx] = (f(theta + e) - f(theta - e)) / (2 * h)
    return g


def V_rho_np(theta):
    return value_np(MDP, softmax_np(theta)) @ MDP.rho


@functools.cache
def page_run():
    """The page's million-step run (its recorded policies and parameters are read, nothing else)."""
    return algorithms.softmax_pg(MDP, ETA, 1_000_000)


@functools.cache
def page_entropy_run():
    return algorithms.entropy_pg(MDP, ETA_TAU, 1_000_000, tau=TAU)


def gap_np(pi):
    return optimum_np()[0] @ MDP.rho - value_np(MDP, pi) @ MDP.rho


# --- smoothness --------------------------------------------------------------------------------


def stay_or_leave_curvature(gamma):
    """2 max_x |V''(x)| for V(x) = e^x / (1 + (1 - gamma) e^x), by second differences on a fine grid."""
    h = 1e-4
    x = np.log(1 / (1 - gamma)) + np.linspace(-4, 4, 8001)
    V = lambda x: np.exp(x) / (1 + (1 - gamma) * np.exp(x))  # noqa: E731
    second = (V(x + h) - 2 * V(x) + V(x - h)) / h**2
    return 2 * np.abs(second).max()  # the Hessian in (theta_stay, theta_leave) is V'' [[1, -1], [-1, 1]]


def second_difference_hessian(f, x, h):
    """The Hessian of a scalar f at x (n,) by central second differences of f itself."""
    n = x.size
    E = np.eye(n) * h
    H = np.empty((n, n))
    for i in range(n):
        for j in range(i, n):
            H[i, j] = H[j, i] = (f(x + E[i] + E[j]) - f(x + E[i] - E[j]) - f(x - E[i] + E[j])
                                 + f(x - E[i] - E[j])) / (4 * h * h)
    return H


def soft_curvature_np(mdp, theta, tau, h=1e-4):
    """The largest |eigenvalue| of the Hessian of V~^{pi_theta}(rho), by second differences of the soft
    value itself (plain solves; no gradient code). A terminal state collects nothing, entropy included
    (the book's convention: stay-or-leave's absorbing state is terminal)."""
    theta = np.asarray(theta, float)
    live = np.ones(mdp.S) if mdp.terminal is None else 1.0 - np.asarray(mdp.terminal, float)

    def f(th):
        pi = softmax_np(th.reshape(theta.shape))
        return value_np(mdp, pi, live * (pi * (mdp.r - tau * np.log(pi))).sum(axis=1)) @ mdp.rho

    return np.abs(np.linalg.eigvalsh(second_difference_hessian(f, theta.ravel(), h))).max()


@pytest.mark.parametrize(("power", "holds"), [(3, True), (0, False)], ids=["assumed", "no-horizon-factor"])
def test_entropy_smoothness(power, holds):
    """Assumption 10.1, tested here (no check of the page: beta_tau is a worst case): the soft value's
    curvature by second differences of plain solves, on the page's 20 samples of
    theta and on stay-or-leave; careless: the smoothness constant 8 + tau(4 + 8 log|A|) without the
    horizon factor (1 - gamma)^-3, which the curvature on stay-or-leave outgrows."""
    rng = np.random.default_rng(1)
    sides = [(max(soft_curvature_np(MDP, th, TAU) for th in rng.normal(0, 2, (20, MDP.S, MDP.A))), MDP.gamma, MDP.A)]
    for gamma in (0.9, 0.98, 0.998):
        m = envs.stay_or_leave(gamma)
        xs = np.log(1 / (1 - gamma)) + np.linspace(-4, 4, 41)
        sides.append((max(soft_curvature_np(m, [[x, 0], [0, 0]], TAU, h=1e-3) for x in xs), gamma, 2))
    curvature, gammas, A = (np.array(v) for v in zip(*sides))
    assert np.all(curvature <= (8 + TAU * (4 + 8 * np.log(A))) / (1 - gammas) ** power) == holds


#: Former ✔ lines, kept as tests (see chapters.twins.Moved).
moved = Moved("softmax_pg")


@twin("softmax_pg/curvature-grows-like-horizon",
      wrong={"lemma-exponent-three": dict(power=3.0), "exponent-two": dict(power=2.0)})
def curvature_grows_like_horizon(page, power=1.0):
    """The closed-form value of the stay-or-leave MDP; the careless reader takes Lemma D.4's 1/(1-gamma)^3
    (or the 8/(1-gamma)^2 that passed the old check) for the growth of the curvature."""
    curvature = np.array([stay_or_leave_curvature(g) for g in FAMILY_GAMMAS])
    page.exponent(1 / (1 - FAMILY_GAMMAS), curvature, power)


@functools.cache
def numpy_steps(n=3000, every=10):
    """A numpy PG loop from the uniform policy (advantage formula); at every `every`-th step the gain of
    that step and the finite-difference gradient of a numpy value."""
    theta, gains, grads = np.zeros((MDP.S, MDP.A)), [], []
    for k in range(n):
        pi = softmax_np(theta)
        V = value_np(MDP, pi)
        adv = MDP.r + GAMMA * MDP.P @ V - V[:, None]
        step = ETA * visitation_np(MDP, pi, MDP.rho)[:, None] / (1 - GAMMA) * pi * adv
        if k % every == 0:
            gains.append(V_rho_np(theta + step) - V @ MDP.rho)
            grads.append(fd_gradient(V_rho_np, theta))
        theta = theta + step
    return np.array(gains), np.array(grads)


@twin("softmax_pg/step-gains-eta-gradient-squared", wrong={
    "tutorial-gradient-without-one-over-one-minus-gamma": dict(scale=1 - GAMMA),
    "unnormalised-visitation-and-one-over-one-minus-gamma": dict(scale=1 / (1 - GAMMA))})
def step_gains(page, scale=1.0):
    """Gains of a numpy PG loop against eta ||grad V||^2 with the gradient by finite differences; the
    careless reader's gradient is the tutorial's d pi A (no 1/(1 - gamma)), or has 1/(1 - gamma) twice."""
    gains, grads = numpy_steps()
    page.close(gains / (ETA * np.sum((scale * grads) ** 2, axis=(1, 2))), 1.0)


# --- the non-uniform Łojasiewicz inequality and the 1/t rate -------------------------------------


@functools.cache
def nl_sides():
    """At every 10th recorded iterate: the finite-difference gradient norm, min_s pi(a*|s), the mismatch
    ||d*_rho / d^pi_mu||_inf and the gap, all in numpy."""
    V_star, a_star = optimum_np()
    d_star = visitation_np(MDP, np.eye(MDP.A)[a_star], MDP.rho)
    norms, p_star, mismatch, gaps = [], [], [], []
    for theta in page_run().theta[::10]:
        pi = softmax_np(theta)
        norms.append(np.linalg.norm(fd_gradient(V_rho_np, theta)))
        p_star.append(pi[np.arange(MDP.S), a_star].min())
        mismatch.append((d_star / visitation_np(MDP, pi, MDP.rho)).max())
        gaps.append(gap_np(pi))
    return tuple(map(np.array, (norms, p_star, mismatch, gaps)))


@twin("softmax_pg/nl-inequality-along-run", wrong={
    "without-one-over-sqrt-s": dict(sqrt_S=False), "uniform-lojasiewicz-without-min-pi-star": dict(with_pi=False)})
def nl_inequality(page, sqrt_S=True, with_pi=True):
    """Mei Lemma 8 with every quantity recomputed in numpy; the careless reader drops 1/sqrt|S|, or the
    policy-dependent min_s pi(a*|s) (a uniform Łojasiewicz inequality)."""
    norms, p_star, mismatch, gaps = nl_sides()
    C = (p_star if with_pi else 1.0) / ((np.sqrt(MDP.S) if sqrt_S else 1.0) * mismatch)
    page.bound(C * gaps, norms)


@moved("mdp-gap-falls-like-one-over-t", "exponent",
       "the random MDP's gap V*(ρ) − V(ρ), evaluated exactly at each iterate, falls like 1/t at the end "
       "of the run (t from 3·10⁵ to 10⁶)", tol=0.1,
       wrong={"one-over-sqrt-t": dict(expected=-0.5), "one-over-t-squared": dict(expected=-2.0)})
def mdp_gap_rate(page, expected=-1.0):
    """The gaps of the run's recorded policies from 3e5 to 1e6, evaluated in numpy against value
    iteration's V*; the careless reader expects gradient ascent's generic 1/sqrt(t), or 1/t^2."""
    run = page_run()
    late = run.steps >= 300_000
    page.exponent(run.steps[late], np.array([gap_np(pi) for pi in run.pi[late]]), expected)


@functools.cache
def bandit_loop(T=1_000_000):
    """Softmax PG on the bandit (1, 0.9, 0.1) in pure Python: the gap after every step."""
    r = BANDIT_R
    theta = [0.0, 0.0, 0.0]
    gaps = np.empty(T + 1)
    for t in range(T + 1):
        m = max(theta)
        e = [math.exp(x - m) for x in theta]
        z = e[0] + e[1] + e[2]
        p = [x / z for x in e]
        v = p[0] * r[0] + p[1] * r[1] + p[2] * r[2]
        gaps[t] = r[0] - v
        theta = [theta[a] + ETA_BANDIT * p[a] * (r[a] - v) for a in range(3)]
    return gaps


@twin("softmax_pg/bandit-gap-falls-like-one-over-t", wrong={
    "one-over-sqrt-t": dict(expected=-0.5), "one-over-t-squared": dict(expected=-2.0)})
def bandit_gap_rate(page, expected=-1.0):
    """The pure-Python bandit loop; the careless reader expects 1/sqrt(t), or 1/t^2."""
    t_fit = np.unique(np.geomspace(10_000, 1_000_000, 41).astype(int))
    page.exponent(t_fit, bandit_loop()[t_fit], expected)


@twin("softmax_pg/bandit-t-gap-limit", wrong={
    "two-arm-constant-on-three-arms": dict(arms=2), "one-over-eta": dict(arms=math.inf)})
def bandit_t_gap(page, arms=3):
    """t * gap at 1e6 from the pure-Python loop against (|A| - 1)/(|A| eta); the careless reader uses the
    two-arm limit 1/(2 eta) of the exercise, or 1/eta."""
    limit = 1 / ETA_BANDIT if arms == math.inf else (arms - 1) / (arms * ETA_BANDIT)
    page.close(1_000_000 * bandit_loop()[-1], limit)


def start(p0, arms):
    """The page's starts: (p0, 1 - 2 p0, p0) on three arms, (p0, 1 - p0) on two."""
    return np.array([p0, 1 - 2 * p0, p0] if arms == 3 else [p0, 1 - p0])


@functools.cache
def escape_times(arms=3):
    """T_gap/2 (the first time the gap is half its start) of the gradient flow d theta/ds = pi (r - pi.r),
    divided by eta, from each start of ESCAPE_P0."""
    r = np.array(BANDIT_R[:arms])
    times = []
    for p0 in ESCAPE_P0:
        pi0 = start(p0, arms)
        half = r.max() - (r.max() - pi0 @ r) / 2

        def flow(s, theta):
            p = softmax_np(theta)
            return p * (r - p @ r)

        def escaped(s, theta):
            return softmax_np(theta) @ r - half

        escaped.terminal = True
        sol = solve_ivp(flow, (0, 1e6), np.log(pi0), events=escaped, rtol=1e-10, atol=1e-12, method="LSODA")
        times.append(sol.t_events[0][0] / ETA_BANDIT)
    return np.array(times)


@twin("softmax_pg/two-arm-escape-time", wrong={"no-factor-two": dict(factor=1.0), "three-arms": dict(arms=3)})
def two_arm_escape_time(page, factor=2.0, arms=2):
    """The gradient flow's T_gap/2 (scipy) against the page's closed form (eq-two-arm-escape); careless: the
    escape time 1/(eta Delta pi0), without the 2 of the two logits that move, or the two-armed law read on the
    page's three-armed bandit."""
    p0 = ESCAPE_P0
    closed = (1 / p0 - 1 / (1 - p0) + 2 * np.log((1 - p0) / p0)) / (factor * ETA_BANDIT * 0.1)
    page.close(escape_times(arms) / closed, 1.0)


@twin("softmax_pg/plateau-grows-like-one-over-p0", wrong={
    "mei-bound-one-over-c-squared": dict(expected=-2.0), "one-over-sqrt-p0": dict(expected=-0.5)})
def plateau_rate(page, expected=-1.0):
    """The gradient flow's escape times; the careless reader reads the plateau off Mei's 1/c^2."""
    page.exponent(ESCAPE_P0, escape_times(), expected)


# --- log barrier -------------------------------------------------------------------------------


@functools.cache
def barrier_maximiser_np(lam):
    """The maximiser of L_lambda with a numpy objective and gradient (d pi A/(1-gamma) + lam/(SA)(1 - A pi))."""
    S, A = MDP.S, MDP.A

    def negative(x):
        theta = x.reshape(S, A)
        pi = softmax_np(theta)
        V = value_np(MDP, pi)
        adv = MDP.r + GAMMA * MDP.P @ V - V[:, None]
        L = V @ MDP.rho + lam / (S * A) * np.log(pi).sum() + lam * np.log(A)
        grad = visitation_np(MDP, pi, MDP.rho)[:, None] / (1 - GAMMA) * pi * adv + lam / (S * A) * (1 - A * pi)
        return -L, -grad.ravel()

    res = minimize(negative, np.zeros(S * A), jac=True, method="BFGS", options={"gtol": 1e-12, "maxiter": 10_000})
    return softmax_np(res.x.reshape(S, A))


def barrier_sides(lam, per_state=True):
    """The gap at the maximiser, and (lam/|S|) sum_s (d*_rho/d^pi_mu)(1 - 1/(|A| pi(a*|s))) in numpy."""
    pi = barrier_maximiser_np(lam)
    _, a_star = optimum_np()
    ratio = visitation_np(MDP, np.eye(MDP.A)[a_star], MDP.rho) / visitation_np(MDP, pi, MDP.rho)
    formula = lam / (MDP.S if per_state else 1) * (ratio * (1 - 1 / (MDP.A * pi[np.arange(MDP.S), a_star]))).sum()
    return gap_np(pi), formula


@twin("softmax_pg/barrier-gap-exact-at-stationarity", wrong={
    "gap-equals-theorem-9-3-bound": dict(claim="theorem"), "without-one-over-s": dict(claim="no-per-state")})
def barrier_gap_exact(page, claim="formula"):
    """The maximiser by a numpy BFGS and the formula in numpy; the careless reader takes Theorem 10.3's
    2 lam D/(1 - gamma) for the gap, or drops the 1/|S| of the barrier's weight."""
    gaps, rhs = [], []
    _, a_star = optimum_np()
    D = (visitation_np(MDP, np.eye(MDP.A)[a_star], MDP.rho) / MDP.rho).max()
    for lam in LAMS:
        gap, formula = barrier_sides(lam, per_state=claim != "no-per-state")
        gaps.append(gap)
        rhs.append(2 * lam / (1 - GAMMA) * D if claim == "theorem" else formula)
    page.close(np.array(gaps), np.array(rhs))


@twin("softmax_pg/barrier-bias-linear-in-lambda", wrong={
    "quadratic-in-lambda": dict(expected=2.0), "square-root-of-lambda": dict(expected=0.5)})
def barrier_bias(page, expected=1.0):
    """Gaps at the numpy maximisers; the careless reader expects a bias quadratic in lam, or like sqrt(lam)."""
    page.exponent(LAMS, np.array([barrier_sides(lam)[0] for lam in LAMS]), expected)


# --- entropy regularisation -------------------------------------------------------------------


@functools.cache
def soft_gaps_np():
    """The soft gap of the entropy run's recorded policies, V~*_tau(rho) - V~^pi(rho), by numpy solves."""
    V_tau, _ = soft_optimum_np()
    return np.array([V_tau @ MDP.rho - soft_value_np(MDP, pi, TAU) @ MDP.rho for pi in page_entropy_run().pi])


def soft_gap_kl_sides(scale=1 / (1 - GAMMA), reverse=False, weights="pi"):
    """Mei Lemma 26 with soft value iteration's pi*_tau and numpy solves: the soft gaps and the weighted KL
    sum; the careless reader drops the 1/(1 - gamma), reverses the KL, or weights by the visitation of pi*_tau."""
    _, pi_tau = soft_optimum_np()
    rhs = []
    for pi in page_entropy_run().pi:
        p, q = (pi_tau, pi) if reverse else (pi, pi_tau)
        kl = (p * (np.log(p) - np.log(q))).sum(axis=1)
        d = visitation_np(MDP, pi_tau if weights == "soft-optimal" else pi, MDP.rho)
        rhs.append(scale * d @ (TAU * kl))
    return soft_gaps_np(), np.array(rhs)


SOFT_GAP_KL = "the soft gap is the visitation-weighted KL divergence to the soft-optimal policy (Lemma 10.3)"


def test_the_soft_gap_is_the_weighted_kl_with_the_books_code():
    """The page says the tests compute the soft gap from Lemma 10.3 on every recorded policy and find it equal
    to 1e-10: with the book's soft_value, visitation and soft_optimal, as the page once did."""
    run, soft_star = page_entropy_run(), npg.soft_optimal(MDP, TAU)
    soft_gap = soft_star.V @ MDP.rho - np.array([pgbook.soft_value(MDP, p, TAU) @ MDP.rho for p in run.pi])
    kl = (run.pi * (np.log(run.pi) - np.log(soft_star.pi))).sum(axis=2)
    kl_form = np.array([pgbook.visitation(MDP, p) @ (TAU * k) for p, k in zip(run.pi, kl)]) / (1 - GAMMA)
    checks.close(SOFT_GAP_KL, soft_gap, kl_form, tol=1e-10, id="softmax_pg/soft-gap-is-weighted-kl")


def test_the_soft_gap_is_the_weighted_kl_by_numpy():
    checks.close(SOFT_GAP_KL, *soft_gap_kl_sides(), tol=1e-10, id="softmax_pg/soft-gap-is-weighted-kl")


@pytest.mark.parametrize("wrong", [dict(scale=1.0), dict(reverse=True), dict(weights="soft-optimal")],
                         ids=["without-one-over-one-minus-gamma", "reversed-kl", "visitation-of-pi-star-tau"])
def test_a_careless_lemma_10_3_is_rejected(wrong):
    with pytest.raises(checks.CheckFailed):
        checks.close(SOFT_GAP_KL, *soft_gap_kl_sides(**wrong), tol=1e-10, id="softmax_pg/soft-gap-is-weighted-kl")


@functools.cache
def soft_hessian_np(h=2e-3):
    """The Hessian of theta -> V~^{pi_theta}(rho) at log pi*_tau, by second differences of the numpy soft value."""
    _, pi_tau = soft_optimum_np()
    theta0 = np.log(pi_tau).ravel()
    f = lambda x: soft_value_np(MDP, softmax_np(x.reshape(MDP.S, MDP.A)), TAU) @ MDP.rho  # noqa: E731
    return second_difference_hessian(f, theta0, h)


def soft_ascent_gain_over_half_eta_grad_sq(sides=False):
    """The first 2000 steps of a numpy entropy-PG loop: each step's gain of the soft value over (eta/2) |grad|^2,
    the gradient d(s)/(1 - gamma) pi (A - tau log pi) written out."""
    V_tau, _ = soft_optimum_np()
    theta, gaps, half_eta_grad_sq = np.zeros((MDP.S, MDP.A)), [], []
    for _ in range(2001):
        pi = softmax_np(theta)
        V = soft_value_np(MDP, pi, TAU)
        gaps.append(V_tau @ MDP.rho - V @ MDP.rho)
        adv = MDP.r + GAMMA * MDP.P @ V - TAU * np.log(pi) - V[:, None]
        grad = visitation_np(MDP, pi, MDP.rho)[:, None] / (1 - GAMMA) * pi * adv
        half_eta_grad_sq.append(ETA_TAU / 2 * (grad**2).sum())
        theta = theta + ETA_TAU * grad
    gaps, half_eta_grad_sq = np.array(gaps), np.array(half_eta_grad_sq[:-1])
    ratio = (gaps[:-1] - gaps[1:]) / half_eta_grad_sq
    return (ratio, half_eta_grad_sq) if sides else ratio


def soft_ascent_sides():
    """(gain, (eta/2) |grad|^2) of the first 2000 steps of the numpy entropy-PG loop."""
    ratio, half_eta_grad_sq = soft_ascent_gain_over_half_eta_grad_sq(sides=True)
    return ratio * half_eta_grad_sq, half_eta_grad_sq


ASCENT_STEP = ("every step of entropy-regularised PG gains at least the (η/2)‖∇V_τ(μ)‖² of the proof's "
               "ascent step, at every step of the run while the soft gap is above 10⁻⁸")
SOFT_RANGE = (1 + TAU * np.log(MDP.A)) / (1 - GAMMA)  # the range of soft values: the page's floor


@pytest.mark.parametrize("factor", [1.0, 2.0], ids=["claim", "first-order-gain"])
def test_each_entropy_step_gains_the_proofs_ascent_step(factor):
    """A former check of the page. Each step's gain of the soft value against (eta/2) |grad|^2, the ascent step
    of Proposition 10.1's proof, on the first 2000 steps of a numpy loop; the careless reader promises the
    first-order gain eta |grad|^2 (the 1/2 forgotten), which the steps fall just short of (the value is
    locally concave along the gradient), and must be rejected."""
    gain, half_eta_grad_sq = soft_ascent_sides()
    if factor == 1.0:
        checks.bound(ASCENT_STEP, half_eta_grad_sq, gain, floor=-SOFT_RANGE, id="softmax_pg/entropy-ascent-step")
    else:
        with pytest.raises(checks.CheckFailed):
            checks.bound(ASCENT_STEP, factor * half_eta_grad_sq, gain, floor=-SOFT_RANGE,
                         id="softmax_pg/entropy-ascent-step")


def test_each_entropy_step_gains_about_twice_what_the_proof_counts_on():
    """Each step gains about twice the (eta/2) |grad|^2 Proposition 10.1's proof counts on (no longer on the page), on
    the first 2000 steps (on every step of the page's run: test below)."""
    gain, half_eta_grad_sq = soft_ascent_sides()
    ratio = gain / half_eta_grad_sq
    assert 1.999 < ratio.min() and ratio.max() < 2.0


@twin("softmax_pg/soft-gap-slope-from-hessian", wrong={
    "parameter-error-rate-not-squared": dict(power=1), "theorem-9-2-step-size": dict(eta=ETA),
    "theorem-9-4-rate": dict(rate="theorem")})
def soft_gap_slope(page, power=2, eta=ETA_TAU, rate="hessian"):
    """The slope of log(soft gap) over the second half, against log q with q = (1 - eta |lambda|_min)^2 from a
    second-difference Hessian; the careless reader predicts the rate of the parameter error (no square),
    uses Theorem 10.2's step, or takes the rate of Theorem 10.4 (Proposition 10.1's zeta) for the run's."""
    steps = page_entropy_run().steps
    tail = steps >= 500_000
    slope = np.polyfit(steps[tail], np.log(soft_gaps_np()[tail]), 1)[0]
    if rate == "theorem":
        c = page_entropy_run().pi[1:].min()
        _, pi_tau = soft_optimum_np()
        D = (visitation_np(MDP, pi_tau, MDP.rho) / MDP.rho).max()
        log_q = -(1 - GAMMA) ** 4 * TAU * MDP.rho.min() * c**2 / ((8 + TAU * (4 + 8 * np.log(MDP.A))) * MDP.S * D)
    else:
        slowest = np.sort(np.abs(np.linalg.eigvalsh(soft_hessian_np())))[MDP.S]
        log_q = power * np.log(1 - eta * slowest)
    page.close(slope, log_q)


@twin("softmax_pg/plain-lojasiewicz-exponent", wrong={"entropy-exponent-one-half": dict(expected=0.5)})
def plain_lojasiewicz(page, expected=1.0):
    """Finite-difference gradient norms and numpy gaps at every 10th recorded iterate from 1e5; the careless
    reader gives plain PG the exponent 1/2 that entropy has."""
    run = page_run()
    idx = np.flatnonzero(run.steps >= 100_000)[::10]
    norms = [np.linalg.norm(fd_gradient(V_rho_np, run.theta[k])) for k in idx]
    page.exponent(np.array([gap_np(run.pi[k]) for k in idx]), np.array(norms), expected)


@twin("softmax_pg/entropy-lojasiewicz-exponent", wrong={"plain-exponent-one": dict(expected=1.0)})
def entropy_lojasiewicz(page, expected=0.5):
    """Finite-difference gradients of the numpy soft value and numpy soft gaps from 5e5; the careless reader
    expects the exponent 1 of plain PG."""
    run = page_entropy_run()
    idx = np.flatnonzero(run.steps >= 500_000)[::10]
    f = lambda th: soft_value_np(MDP, softmax_np(th), TAU) @ MDP.rho  # noqa: E731
    norms = [np.linalg.norm(fd_gradient(f, run.theta[k], h=1e-5)) for k in idx]
    page.exponent(soft_gaps_np()[idx], np.array(norms), expected)


# --- the numbers in the prose, and sanity checks that are not on the page -------------------------


def test_values_never_decrease_and_the_most_likely_actions_are_optimal():
    """'the run's most likely actions are the optimal ones'; and, not claimed on the page, AKLM Lemma C.2's
    monotonicity: no state's value decreases between recorded iterates."""
    run = page_run()
    V = np.array([value_np(MDP, pi) for pi in run.pi])
    assert np.allclose(V, run.V, rtol=0, atol=1e-10)
    assert (np.diff(run.V, axis=0) >= 0).all() and (np.diff(run.V_rho) >= 0).all()
    V_star, a_star = optimum_np()
    assert np.array_equal(run.pi[-1].argmax(axis=1), a_star)
    assert (V_star - run.V[-1] < 0.005).all()  # 'the gap falls from 1.75 to 0.004', in every state


def test_the_compiled_run_is_the_numpy_loop():
    """The first 300 iterations of the compiled run against the numpy loop, value by value."""
    theta, V_rho = np.zeros((MDP.S, MDP.A)), []
    for _ in range(300):
        pi = softmax_np(theta)
        V = value_np(MDP, pi)
        V_rho.append(V @ MDP.rho)
        adv = MDP.r + GAMMA * MDP.P @ V - V[:, None]
        theta = theta + ETA * visitation_np(MDP, pi, MDP.rho)[:, None] / (1 - GAMMA) * pi * adv
    assert np.allclose(V_rho, page_run().V_rho[:300], rtol=0, atol=1e-12)


def test_the_numbers_of_the_smoothness_section():
    V_star, _ = optimum_np()
    assert f"{V_star @ MDP.rho:.3f}" == "3.972"  # "about 4, out of a possible 5"
    rng = np.random.default_rng(0)
    curvature = []
    for gamma in (0.5, 0.7, 0.8, 0.9):
        small = envs.random_mdp(3, 3, seed=1, gamma=gamma)
        thetas = rng.normal(0, 2, (30, 3, 3))
        curvature.append(max(np.abs(np.linalg.eigvalsh(softmax_pg.hessian(small, th))).max() for th in thetas))
    assert f"{curvature[-1]:.2f}" == "0.61" and 12_500 < 8000 / curvature[-1] < 13_500  # "one thirteen-thousandth"
    family = np.array([stay_or_leave_curvature(g) for g in FAMILY_GAMMAS])
    assert np.allclose(family * (1 - FAMILY_GAMMAS), 1 / (3 * np.sqrt(3)), rtol=1e-6)  # "0.192", "1/(3 sqrt 3)"
    assert round(family[-1]) == 96 and 8 / (1 - 0.998) ** 3 == pytest.approx(1e9)  # "the bound is 10^9 and the curvature 96"


def test_the_numbers_of_the_rate_sections():
    run = page_run()
    V_star, a_star = optimum_np()
    gap = V_star @ MDP.rho - run.V_rho
    assert f"{gap[0]:.2f}" == "1.75" and f"{gap[-1]:.3f}" == "0.004"
    assert round(gap[200_000] * 200_000, -2) == 4500 and round(gap[-1] * 1e6, -2) == 4100
    c = run.pi[1:, np.arange(MDP.S), a_star].min()
    assert f"{c:.2f}" == "0.35"  # "Its c = 0.35"
    # "the smallest weight over every iterate, 0.3334 just after the first step": every iterate up to 2000
    # (the recorded ones from 1000 on are all above 0.35), "both just above 1/3", "1/c^2 is at most 9"
    early = algorithms.softmax_pg(MDP, ETA, 2000, record_every=1).pi[1:, np.arange(MDP.S), a_star].min(axis=1)
    assert f"{early.min():.4f}" == "0.3334" and early.argmin() == 0 and early.min() > 1 / 3
    assert run.pi[run.steps >= 1000][:, np.arange(MDP.S), a_star].min() > 0.35 and 1 / early.min() ** 2 < 9
    t = np.arange(1, run.V_rho.size)
    ratio = softmax_pg.mei_rate_bound(MDP, t, c) / gap[1:]
    assert 1.5e4 <= ratio.min() < 1.55e4 and 12_000 < t[ratio.argmin()] < 14_000  # "never less than 1.5 x 10^4 ... t = 13 000"
    norms, p_star, mismatch, gaps = nl_sides()
    assert f"{(norms / (p_star / (np.sqrt(MDP.S) * mismatch) * gaps)).min():.1f}" == "1.2"
    # "the mismatch coefficient stays between 1.00 and 1.20 ... without it the inequality would still hold here"
    assert f"{mismatch.min():.2f}" == "1.00" and f"{mismatch.max():.2f}" == "1.20"
    assert (norms >= p_star / np.sqrt(MDP.S) * gaps).all()
    # "without 1/sqrt|S| it would fail at every checked iterate"
    assert (norms < p_star / mismatch * gaps).all()
    # "without min pi it would fail at the start of the run (0.56 at t = 0, 0.94 at t = 10 000, above 1 from then on)"
    no_pi = norms / (gaps / (np.sqrt(MDP.S) * mismatch))
    assert f"{no_pi[0]:.2f}" == "0.56" and f"{no_pi[1]:.2f}" == "0.94" and (no_pi[2:] > 1).all()
    assert f"{1 / np.sqrt(MDP.S):.2f}" == "0.41"
    gaps_b = bandit_loop()
    assert 1e6 * gaps_b[-1] == pytest.approx(5 / 3, abs=5e-4)


def t_half_gap(arms, p0, record_every=None):
    """The page's discrete run from start(p0, arms), stopped at T_gap/2."""
    r = np.array(BANDIT_R[:arms])
    pi0 = start(p0, arms)
    return algorithms.softmax_pg(envs.bandit(list(r)), ETA_BANDIT, 2_000_000, theta0=np.log([pi0]),
                                 until=r.max() - (r.max() - pi0 @ r) / 2, record_every=record_every)


def test_the_plateau_numbers():
    """'the product stays between 1.82 and 1.84', 'a constant 1.83'; on two arms '1.084 at 1e-2, 1.002 at 1e-4';
    'escapes within a few hundred iterations' at 0.1; still stuck at 1e-4 after 4 x 10^5; the flow's escape
    times match the discrete runs to 0.2%."""
    n = np.array([t_half_gap(3, p).V_rho.size - 1 for p in ESCAPE_P0])
    assert np.allclose(n, escape_times(), rtol=2e-3)
    product = n * ETA_BANDIT * 0.1 * ESCAPE_P0
    assert ((1.82 < product) & (product < 1.84)).all() and f"{product.mean():.2f}" == "1.83"
    m = np.array([t_half_gap(2, p).V_rho.size - 1 for p in ESCAPE_P0])
    assert np.allclose(m, escape_times(2), rtol=2e-3)
    two = m * 2 * ETA_BANDIT * 0.1 * ESCAPE_P0
    assert f"{two[0]:.3f}" == "1.084" and f"{two[-1]:.3f}" == "1.002" and np.all(np.diff(two) < 0)  # "tends to 1"
    bandit = envs.bandit(list(BANDIT_R))
    fast = algorithms.softmax_pg(bandit, ETA_BANDIT, 1000, theta0=np.log([[0.1, 0.8, 0.1]]), until=0.95)
    assert fast.V_rho.size - 1 < 1000
    stuck = algorithms.softmax_pg(bandit, ETA_BANDIT, 400_000, theta0=np.log([[1e-4, 1 - 2e-4, 1e-4]]))
    assert 1.0 - stuck.V_rho[-1] > 0.09


def test_the_three_arm_phases():
    """'falls, by 0.6 eta pi_0 per step at the start'; 'to 0.59 pi_0 after 23% of the wait', 'back at its start only
    after 67%', '1.23/(eta Delta pi_0)', 'pi(a_3) almost gone (0.075 pi_0)', '0.61/(eta Delta pi_0)', '1.83 = 1.23 + 0.61';
    the sign change of the log-ratio's step where pi(a_3) = pi(a*)/4 (first order)."""
    p0 = 1e-3
    run = t_half_gap(3, p0, record_every=1)
    pi = run.pi[:, 0]
    log_ratio = np.log(pi[:, 0] / pi[:, 1])
    assert f"{(log_ratio[1] - log_ratio[0]) / (ETA_BANDIT * p0):.1f}" == "-0.6"
    T = run.steps[-1]
    low = pi[:, 0].argmin()
    back = low + np.argmax(pi[low:, 0] >= p0)
    assert f"{pi[low, 0] / p0:.2f}" == "0.59" and f"{low / T:.0%}" == "23%" and f"{back / T:.0%}" == "67%"
    assert f"{pi[back, 2] / p0:.3f}" == "0.075"
    first, rest = back * ETA_BANDIT * 0.1 * p0, (T - back) * ETA_BANDIT * 0.1 * p0
    assert f"{first:.2f}" == "1.23" and f"{rest:.2f}" == "0.61" and abs(first + rest - 1.83) < 0.01
    assert abs(back / T - 2 / 3) < 1 / 60  # the page's sentence: "the worst arm's pull costs two thirds of the wait"
    step = np.diff(log_ratio)
    turn = np.argmax(step > 0)  # the log-ratio starts to rise where 2 Delta pi(a*) = 0.8 pi(a_3), to first order
    assert abs(pi[turn, 2] / pi[turn, 0] - 0.25) < 0.01


def test_the_log_barrier_numbers():
    gap_over_lam = np.array([barrier_sides(lam)[0] for lam in LAMS]) / LAMS
    assert abs(gap_over_lam[-1] - 2 / 3) < 1e-3  # "settles on 2/3"
    bound = softmax_pg.log_barrier_bound(MDP, 1.0)
    assert f"{bound:.1f}" == "12.3" and round(bound / (2 / 3)) == 18  # "12.3", "18 times too large"
    lam = 0.1
    beta = softmax_pg.smoothness(GAMMA, lam, MDP.S)
    run = algorithms.log_barrier_pg(MDP, 1 / beta, 300_000, lam=lam)
    norms = np.array([np.linalg.norm(pgbook.log_barrier_gradient(MDP, th, lam)) for th in run.theta])
    first = run.steps[norms <= lam / (2 * MDP.S * MDP.A)][0]
    assert 1.75e5 <= first < 1.85e5  # "after 1.8 x 10^5 iterations"
    gap = optimum_np()[0] @ MDP.rho - run.V_rho[first]
    assert f"{gap:.2f}" == "0.07" and 16.5 < softmax_pg.log_barrier_bound(MDP, lam) / gap < 18  # "a seventeenth"
    crossing = 8 * beta * (MDP.S * MDP.A) ** 2 / ((1 - GAMMA) * lam**2)  # sqrt(2 beta/((1-gamma) t)) = lam/(2SA)
    assert f"{crossing:.1e}" == "1.3e+09"
    T_cor = softmax_pg.log_barrier_iterations(MDP, softmax_pg.log_barrier_bound(MDP, lam))
    assert f"{T_cor:.1e}" == "1.6e+09" and 8000 < T_cor / first < 9000  # "nearly nine thousand times"
    assert f"{barrier_sides(lam)[0]:.3f}" == "0.065"


def test_the_entropy_numbers():
    q = softmax_pg.entropy_pg_rate(MDP, TAU, ETA_TAU)
    assert f"{1 - q:.1e}" == "2.1e-05"
    steps = page_entropy_run().steps
    tail = steps >= 500_000
    slope = np.polyfit(steps[tail], np.log(soft_gaps_np()[tail]), 1)[0]
    assert abs(slope / np.log(q) - 1) < 1e-3  # "to 0.1%"
    c = page_entropy_run().pi[1:].min()
    assert f"{c:.3f}" == "0.047"
    bound = softmax_pg.mei_entropy_bound(MDP, [1, 1_000_000], c, TAU)
    assert 39 < bound[1] < bound[0] < 41 and 0.0015 < 1 - bound[1] / bound[0] < 0.0025  # "near 40"
    assert f"{(1 + TAU * np.log(MDP.A)) / (1 - GAMMA):.1f}" == "6.6" and bound[1] > 6.6  # "says nothing"
    _, pi_tau = soft_optimum_np()
    bias = optimum_np()[0] @ MDP.rho - value_np(MDP, pi_tau) @ MDP.rho
    assert f"{bias:.2f}" == "0.56" and f"{TAU * np.log(MDP.A) / (1 - GAMMA):.2f}" == "1.65"
    plain = optimum_np()[0] @ MDP.rho - page_entropy_run().V_rho[-1]
    assert plain == pytest.approx(bias, abs=1e-6)  # "stops at its bias"


def test_the_contraction_numbers():
    """Proposition 10.1's proof on the page's run (no longer on the page): every step keeps delta_t+1 <= (1 - zeta)
    delta_t with thousands of times to spare (so no zeta a few thousand times larger is rejected), and the room is
    lost mostly outside the ascent step: each step gains about twice the eta/2 |grad|^2 the proof counts on (steps with a soft gap
    above 1e-8)."""
    run = page_entropy_run()
    delta = soft_optimum_np()[0] @ MDP.rho - run.trace["objective"]
    clear = delta[:-1] > 1e-8
    decrease = (delta[:-1] - delta[1:])[clear]
    zeta = softmax_pg.mei_entropy_contraction(MDP, run.pi[1:].min(), TAU)
    assert 3000 < (decrease / (zeta * delta[:-1][clear])).min() < 10_000
    gain = decrease / (ETA_TAU / 2 * run.trace["grad_norm"][:-1][clear] ** 2)
    assert 1.9 < gain.min() and gain.max() < 2.1


def test_the_hessian_matches_second_differences_of_a_numpy_value():
    """softmax_pg.hessian (used for the curvature and, with tau, for the entropy rate) against second differences."""
    rng = np.random.default_rng(3)
    theta = rng.normal(0, 1, (MDP.S, MDP.A))
    H = softmax_pg.hessian(MDP, theta)
    g = lambda th: fd_gradient(V_rho_np, th, h=1e-5)  # noqa: E731
    e = np.zeros(theta.size)
    e[4] = 1e-4
    column = (g(theta + e.reshape(theta.shape)) - g(theta - e.reshape(theta.shape))).ravel() / 2e-4
    assert np.allclose(H[:, 4], column, atol=1e-5)
    Hs = softmax_pg.hessian(MDP, np.log(soft_optimum_np()[1]), tau=TAU)
    assert np.allclose(Hs, soft_hessian_np(), atol=1e-5)


def test_the_exercise_of_the_log_barrier_gradient():
    theta = np.random.default_rng(1).normal(size=(MDP.S, MDP.A))
    barrier_part = pgbook.log_barrier_gradient(MDP, theta, 1.0) - pgbook.softmax_gradient(MDP, theta)
    assert np.allclose(barrier_part, (1 - MDP.A * softmax_np(theta)) / (MDP.S * MDP.A), atol=1e-12)


def test_the_two_arm_exercise():
    two = algorithms.softmax_pg(envs.bandit([1.0, 0.5]), 0.4, 200_000)
    assert 200_000 * (1.0 - two.V_rho[-1]) == pytest.approx(1.25, abs=1e-3)


def test_the_fitted_slope_of_the_barrier_figure_and_the_soft_optimum():
    """The barrier figure's fitted slope (plot_scaling uses checks.loglog_slope), and npg.soft_optimal
    against soft value iteration."""
    assert checks.loglog_slope(LAMS, np.array([barrier_sides(lam)[0] for lam in LAMS])) == pytest.approx(0.991, abs=1e-3)
    assert npg.soft_optimal(MDP, TAU).pi == pytest.approx(soft_optimum_np()[1], abs=1e-10)


def test_the_numbers_of_the_entropy_smoothness_check():
    rng = np.random.default_rng(1)
    random_curvature = max(soft_curvature_np(MDP, th, TAU) for th in rng.normal(0, 2, (20, MDP.S, MDP.A)))
    beta_tau = (8 + TAU * (4 + 8 * np.log(MDP.A))) / (1 - GAMMA) ** 3
    assert 1000 < beta_tau / random_curvature < 10_000  # "thousands of times below it"
    leave = []
    for gamma in (0.9, 0.98, 0.998):
        xs = np.log(1 / (1 - gamma)) + np.linspace(-4, 4, 41)
        leave.append(max(soft_curvature_np(envs.stay_or_leave(gamma), [[x, 0], [0, 0]], TAU, h=1e-3) for x in xs))
    # "it grows with the horizon, so a constant without the factor (1 - gamma)^-3 would fail there"
    assert np.all(np.diff(leave) > 0) and round(leave[-1]) == 96  # "to about 96 at gamma = 0.998"
    assert round(8 + TAU * (4 + 8 * np.log(2))) == 11 < leave[-1]  # "about 11 ... which its curvature exceeds"


test_former_check = moved.test()
