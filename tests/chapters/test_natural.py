"""Chapter 5 (book/npg/natural.md): every check on the page, and every number its prose states.

Each check of the page has a twin here (``tests/chapters/twins.py``) that recomputes the claim
without the page's code path -- values, advantages and visitations by numpy's dense solves, the
Fisher matrix as an explicit sum over states and actions, gradients by the policy gradient theorem
written out, least squares by ``np.linalg.lstsq`` -- and feeds it to the page's own check. The same
check must reject the claim a careless reader would make: a KL without its half, equally steep
directions, a plain step that is invariant too, any minimiser for the minimum-norm one, a dropped
1/(1 - gamma) in a step or in a rate. Two former ✔ lines (Q and A give the same compatible weights;
the plain step's 2 eta p(1 - p) on the bandit) are kept as ``Moved`` entries. The last tests cover the
numbers the prose states. (TRPO, PPO
and CPI are chapter 7's, tests/chapters/test_trust_regions.py.)
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

import pgbook
from chapters.twins import Moved, twin
from pgbook import envs
from pgbook.theory import surrogates
import oracle

GRID = envs.gridworld(("...G", ".#.X", "S..."))
S, A, GAMMA = GRID.S, GRID.A, GRID.gamma
THETA_R = np.random.default_rng(4).standard_normal((S, A))  # the page's random policy


# --- independent computations ------------------------------------------------------------------


def softmax(theta):
    z = np.exp(theta - theta.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def solve(pi, rho=None):
    """V, Q, the advantage and the normalised visitation d_rho by numpy's dense solves."""
    return oracle.evaluate(GRID.P, GRID.r, GAMMA, pi, GRID.rho if rho is None else rho)


def V_rho(pi, rho=None):
    rho = GRID.rho if rho is None else rho
    return solve(pi, rho)[0] @ rho


def scores(pi):
    """grad log pi(a|s) of the tabular softmax, flattened: [s, a, s'*A + a'] = 1[s = s'](1[a = a'] - pi(a'|s))."""
    score = np.zeros((S, A, S, A))
    for s in range(S):
        score[s, :, s, :] = np.eye(A) - pi[s]
    return score.reshape(S, A, S * A)


def fisher_by_sums(pi, rho=None):
    d = solve(pi, rho)[3]
    score = scores(pi)
    return np.einsum("s,sa,sai,saj->ij", d, pi, score, score)


def pg_theorem(pi, rho=None):
    """The gradient (1/(1 - gamma)) sum_s d(s) sum_a pi(a|s) A(s, a) grad log pi(a|s), written out: (S*A,)."""
    _, _, adv, d = solve(pi, rho)
    return np.einsum("s,sa,sa,sai->i", d, pi, adv, scores(pi)) / (1 - GAMMA)


def weighted_lstsq(X, y, weights):
    """The minimum-norm minimiser of sum_i weights_i (X_i w - y_i)^2 (numpy's SVD least squares)."""
    root = np.sqrt(weights)
    return np.linalg.lstsq(X * root[:, None], y * root, rcond=None)[0]


def mean_kl(pi_old, pi_new):
    d = solve(pi_old)[3]
    return d @ np.sum(pi_old * np.log(pi_old / pi_new), axis=1)


def step_for_kl(theta, direction, delta):
    """Bisection for the step size whose mean KL is delta (the mean KL grows along the line)."""
    lo, hi = 0.0, 1.0
    while mean_kl(softmax(theta), softmax(theta + hi * direction)) < delta:
        hi *= 2
    for _ in range(80):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if mean_kl(softmax(theta), softmax(theta + mid * direction)) < delta else (lo, mid)
    return hi


def loglinear_case():
    rng = np.random.default_rng(0)
    phi = rng.standard_normal((S, A, 8))
    return phi, 0.5 * rng.standard_normal(8)


# --- the page's checks and their wrong twins (tests/chapters/twins.py), in the order of the page ---


@twin("natural/kl-is-half-fisher-form",
      wrong={"kl-is-the-fisher-form-without-a-half": dict(half=1.0),
             "kl-is-half-the-euclidean-length": dict(metric="euclidean")})
def kl_is_half_fisher_form(page, half=0.5, metric="fisher"):
    """The mean KL of steps t F+g at the uniform policy (visitation by a dense solve, KL summed by hand)
    against half * Delta' F Delta with F summed state by state; the relative error's log-log slope
    against |Delta|. Careless: KL = Delta'F Delta (no half) or KL = |Delta|^2 / 2, whose relative errors do
    not shrink (slope 0)."""
    pi = np.full((S, A), 1 / A)
    F = fisher_by_sums(pi)
    u = np.linalg.pinv(F, rcond=1e-10) @ pg_theorem(pi)
    steps = np.geomspace(1e-3, 1e-1, 10)[:, None] * u
    kl = np.array([mean_kl(pi, softmax(D.reshape(S, A))) for D in steps])
    metric_matrix = F if metric == "fisher" else np.eye(S * A)
    model = half * np.einsum("ni,ij,nj->n", steps, metric_matrix, steps)
    page.exponent(np.linalg.norm(steps, axis=1), np.abs(kl / model - 1), 1.0)


@twin("natural/equal-kl-first-order-ratio",
      wrong={"equally-steep": dict(claimed="one"), "equal-euclidean-length": dict(measure="length")})
def equal_kl_first_order_ratio(page, measure="kl", claimed="first-order"):
    """The ratio of the gains of the natural direction (A centred per state)/(1 - gamma) and the plain one
    d pi A/(1 - gamma), both from dense solves, at mean KL 1e-6 found by bisection, against
    sqrt(g'F+g g'Fg)/g'g from the Fisher matrix summed state by state; careless: the two directions
    are equally steep (ratio 1), or compared at equal Euclidean length."""
    pi = np.full((S, A), 1 / A)
    theta = np.zeros((S, A))
    _, _, adv, d = solve(pi)
    plain = d[:, None] * pi * adv / (1 - GAMMA)
    natural = (adv - adv.mean(axis=1, keepdims=True)) / (1 - GAMMA)
    step_n = step_for_kl(theta, natural, 1e-6) * natural
    step_p = (step_for_kl(theta, plain, 1e-6) * plain if measure == "kl"
              else np.linalg.norm(step_n) * plain / np.linalg.norm(plain))
    ratio = (V_rho(softmax(step_n)) - V_rho(pi)) / (V_rho(softmax(step_p)) - V_rho(pi))
    F, g = fisher_by_sums(pi), pg_theorem(pi)
    first_order = np.sqrt((g @ np.linalg.pinv(F, rcond=1e-10) @ g) * (g @ F @ g)) / (g @ g)
    page.close(ratio, first_order if claimed == "first-order" else 1.0)


def coordinates_matrix():
    """The page's M of theta = M phi (seed 3): the identity plus a random matrix of norm about 1."""
    n = S * A
    return np.eye(n) + 0.5 * np.random.default_rng(3).standard_normal((n, n)) / np.sqrt(n)


@twin("natural/npg-step-is-invariant",
      wrong={"plain-gradient-step": dict(method="plain"), "phi-step-not-mapped-back": dict(map_back=False)})
def npg_step_is_invariant(page, method="natural", map_back=True):
    """The next policy of one step (eta = 1) at the uniform policy taken in phi coordinates -- gradient
    M'g (PG theorem written out), Fisher M'FM (summed state by state), the minimum-norm solve by numpy's
    lstsq -- against the step in theta; careless: the plain gradient step is invariant too, or the
    phi step read as a theta step without multiplying by M."""
    pi = np.full((S, A), 1 / A)
    F, g, M = fisher_by_sums(pi), pg_theorem(pi), coordinates_matrix()
    nxt = []
    for matrix in (np.eye(S * A), M):
        if method == "natural":
            step = np.linalg.lstsq(matrix.T @ F @ matrix, matrix.T @ g, rcond=1e-10)[0]
        else:
            step = matrix.T @ g
        nxt.append(softmax(((matrix @ step) if map_back else step).reshape(S, A)))
    page.close(nxt[1], nxt[0])


@functools.cache
def min_norm_weights():
    """The compatible regression at the random policy by numpy's least squares on the scores."""
    pi = softmax(THETA_R)
    _, _, adv, d = solve(pi)
    return weighted_lstsq(scores(pi).reshape(S * A, S * A), adv.ravel(), (d[:, None] * pi).ravel()).reshape(S, A)


@twin("natural/compatible-weights-are-advantages-plus-constant",
      wrong={"weights-are-the-gradient": dict(claimed="gradient"),
             "weights-are-advantages-over-horizon": dict(claimed="A/(1-gamma)")})
def compatible_weights_are_advantages_plus_constant(page, claimed="A"):
    """The spread within each state of w* - (the claimed weights); careless: the weights are the plain
    gradient d pi A/(1 - gamma), or A/(1 - gamma)."""
    pi = softmax(THETA_R)
    _, _, adv, d = solve(pi)
    target = {"A": adv, "gradient": d[:, None] * pi * adv / (1 - GAMMA), "A/(1-gamma)": adv / (1 - GAMMA)}[claimed]
    diff = min_norm_weights() - target
    page.close(diff.max(axis=1) - diff.min(axis=1), 0.0)


@twin("natural/natural-gradient-is-min-norm-fit",
      wrong={"any-minimiser": dict(weights="A"), "without-one-over-one-minus-gamma": dict(scale=1.0)})
def natural_gradient_is_min_norm_fit(page, weights="min-norm", scale=1 / (1 - GAMMA)):
    """pinv of the Fisher matrix summed by hand times the gradient by the PG theorem written out, against
    the least-squares minimum-norm weights; careless: any minimiser (A itself), or w* without 1/(1 - gamma)."""
    pi = softmax(THETA_R)
    natural = np.linalg.pinv(fisher_by_sums(pi), rcond=1e-10) @ pg_theorem(pi)
    w = min_norm_weights() if weights == "min-norm" else solve(pi)[2]
    page.close(natural, scale * w.ravel())


@twin("natural/poor-fit-gives-exact-gradient", wrong={"raw-features": dict(features="raw")})
def poor_fit_gives_exact_gradient(page, features="scores"):
    """The gradient (1/(1 - gamma)) E[score * fitted A], the fit by numpy's least squares, against the PG
    theorem with the true advantages; careless: fit the advantages on the raw features phi."""
    phi, theta = loglinear_case()
    pi = softmax(phi @ theta)
    _, _, adv, d = solve(pi)
    score = phi - np.einsum("sa,sak->sk", pi, phi)[:, None, :]
    X = score if features == "scores" else phi
    weights = d[:, None] * pi
    w = weighted_lstsq(X.reshape(-1, 8), adv.ravel(), weights.ravel())
    from_fit = np.einsum("sa,sak->k", weights * (X @ w), score) / (1 - GAMMA)
    page.close(from_fit, np.einsum("sa,sak->k", weights * adv, score) / (1 - GAMMA))


#: Former ✔ lines, kept as tests (see chapters.twins.Moved): the page shows the twelve its argument needs.
moved = Moved("natural")


@moved("compatible-fit-q-same-weights", "close", "regressing Q instead of A on the scores gives the same weights",
       tol=1e-9, wrong={"raw-features-for-q": dict(features="raw")})
def compatible_fit_q_same_weights(page, features="scores"):
    """Least squares of Q and of A on the scores; careless: Q on the raw features phi."""
    phi, theta = loglinear_case()
    pi = softmax(phi @ theta)
    _, Q, adv, d = solve(pi)
    score = phi - np.einsum("sa,sak->sk", pi, phi)[:, None, :]
    weights = (d[:, None] * pi).ravel()
    w_A = weighted_lstsq(score.reshape(-1, 8), adv.ravel(), weights)
    w_Q = weighted_lstsq((score if features == "scores" else phi).reshape(-1, 8), Q.ravel(), weights)
    page.close(w_Q, w_A)


@twin("natural/npg-is-soft-policy-iteration",
      wrong={"step-without-horizon": dict(scale=1.0), "plain-gradient-step": dict(step="gradient")})
def npg_is_soft_policy_iteration(page, scale=1 / (1 - GAMMA), step="advantage"):
    """pinv(F) grad at the random policy theta_r (Fisher by sums, PG theorem written out) against
    eta A/(1 - gamma); careless: eta A, or the plain gradient step."""
    pi = softmax(THETA_R)
    natural = (np.linalg.pinv(fisher_by_sums(pi), rcond=1e-10) @ pg_theorem(pi)).reshape(S, A)
    claimed = scale * solve(pi)[2] if step == "advantage" else pg_theorem(pi).reshape(S, A)
    diff = natural - claimed
    page.close(diff.max(axis=1) - diff.min(axis=1), 0.0)


@twin("natural/npg-ignores-start-distribution", wrong={"plain-gradient": dict(method="gradient")})
def npg_ignores_start_distribution(page, method="natural"):
    """The next policy from the random policy theta_r, with rho = start and rho = uniform over the cells
    (Fisher by sums, PG theorem); careless: the plain gradient step, which weighs states by d_rho,
    ignores rho too."""
    pi = softmax(THETA_R)
    nxt = []
    for rho in (GRID.rho, np.full(S, 1 / S)):
        g = pg_theorem(pi, rho)
        step = np.linalg.pinv(fisher_by_sums(pi, rho), rcond=1e-10) @ g if method == "natural" else g
        nxt.append(softmax(THETA_R + step.reshape(S, A)))
    page.close(nxt[0], nxt[1])


@twin("natural/large-step-approaches-policy-iteration-at-rate",
      wrong={"rate-without-one-over-one-minus-gamma": dict(scale=1.0), "rate-set-by-the-start-states-gap": dict(which="start")})
def large_step_approaches_policy_iteration_at_rate(page, scale=1 / (1 - GAMMA), which="min"):
    """max_s of the mass softmax(eta A/(1 - gamma)) leaves off argmax_a Q (dense solve), eta from 200 to 1000,
    against exp(eta * gap * scale), gap the smallest margin between the two best advantages of a
    non-terminal state; careless: the rate exp(-eta gap) without 1/(1 - gamma), or the start state's margin."""
    _, Q, adv, _ = solve(np.full((S, A), 1 / A))
    live = ~GRID.terminal
    greedy = np.eye(A)[Q.argmax(axis=1)]
    top_two = np.sort(adv, axis=1)[:, -2:]
    margins = top_two[:, 1] - top_two[:, 0]
    gap = margins[live].min() if which == "min" else margins[np.argmax(GRID.rho)]
    etas = np.linspace(200, 1000, 9)
    off = [(softmax(eta * adv / (1 - GAMMA)) * (1 - greedy))[live].sum(axis=1).max() for eta in etas]
    page.exponent(np.exp(etas * gap * scale), off, -1.0)


@twin("natural/npg-nonlinear-coordinates-first-order",
      wrong={"plain-step": dict(method="plain"), "phi-step-not-mapped-through-h": dict(through_h=False)})
def npg_nonlinear_coordinates_first_order(page, method="natural", through_h=True):
    """At the random policy, the step in phi (theta = sinh phi; gradient J'g by the PG theorem written out,
    Fisher J'FJ summed by hand, lstsq) mapped through sinh, against the step in theta: their gap as a
    share of the step, against eta. Careless: the plain step is invariant to first order too, or the
    phi step is read as a theta step."""
    pi = softmax(THETA_R)
    F, g = fisher_by_sums(pi), pg_theorem(pi)
    phi0 = np.arcsinh(THETA_R).ravel()
    J = np.diag(np.cosh(phi0))
    etas = np.geomspace(1e-4, 1e-2, 5)
    shares = []
    for eta in etas:
        if method == "natural":
            dphi = eta * np.linalg.lstsq(J.T @ F @ J, J.T @ g, rcond=1e-10)[0]
            dtheta = eta * np.linalg.lstsq(F, g, rcond=1e-10)[0]
        else:
            dphi, dtheta = eta * J.T @ g, eta * g
        new = np.sinh(phi0 + dphi) if through_h else THETA_R.ravel() + dphi
        direct = softmax((THETA_R.ravel() + dtheta).reshape(S, A))
        shares.append(np.abs(softmax(new.reshape(S, A)) - direct).max() / np.abs(direct - pi).max())
    page.exponent(etas, shares, 1.0)


BANDIT_PS = np.array([0.5, 1e-2, 1e-4])


def bandit_widening(p):
    """The logit gap's widening per unit step on the bandit (1, 0) at pi = (p, 1 - p), by hand:
    g = p(1 - p)(1, -1), F = p(1 - p)[[1, -1], [-1, 1]]; returns (plain, natural)."""
    g = p * (1 - p) * np.array([1.0, -1.0])
    F = p * (1 - p) * np.array([[1.0, -1.0], [-1.0, 1.0]])
    natural = np.linalg.pinv(F) @ g
    return g[0] - g[1], natural[0] - natural[1]


@moved("bandit-plain-step-vanishes-at-corner", "close",
       "on the two-armed bandit the plain step widens the logit gap by 2ηp(1−p)",
       tol=1e-12, wrong={"without-the-factor-two": dict(factor=1.0)})
def bandit_plain_step_vanishes_at_corner(page, factor=2.0):
    page.close([bandit_widening(p)[0] for p in BANDIT_PS], factor * BANDIT_PS * (1 - BANDIT_PS))


test_former_check = moved.test()


@twin("natural/bandit-npg-step-constant", wrong={"npg-shrinks-like-the-plain-step": dict(claimed="plain")})
def bandit_npg_step_constant(page, claimed="constant"):
    expected = 1.0 if claimed == "constant" else 2 * BANDIT_PS * (1 - BANDIT_PS)
    page.close([bandit_widening(p)[1] for p in BANDIT_PS], expected)


def test_fisher_rank_is_S_times_A_minus_one():
    """The prose's "rank |S|(|A| - 1) when every state is visited": the Fisher matrix summed state by
    state at the uniform policy, and pgbook's, have rank 33 (terminal states included), not S*A."""
    for F in (fisher_by_sums(np.full((S, A), 1 / A)), pgbook.fisher(GRID, np.zeros((S, A)))):
        singular = np.linalg.svd(F, compute_uv=False)
        assert int((singular > 1e-10 * singular[0]).sum()) == S * (A - 1) == 33


# --- the numbers in the prose ---------------------------------------------------------------------


def test_the_numbers_the_prose_states():
    pi = np.full((S, A), 1 / A)
    assert f"{V_rho(pi):.2f}" == "0.05"  # "its value from the start is 0.05"
    V_star = np.zeros(S)
    for _ in range(2000):
        V_star = (GRID.r + GAMMA * GRID.P @ V_star).max(axis=1)
    assert f"{V_star @ GRID.rho:.2f}" == "0.61"  # "against 0.61 for the optimal policy"
    theta = np.zeros((S, A))
    grad = pgbook.softmax_gradient(GRID, theta)
    natural = (np.linalg.pinv(pgbook.fisher(GRID, theta), rcond=1e-10) @ grad.ravel()).reshape(S, A)
    assert f"{mean_kl(pi, softmax(natural)):.2f}" == "0.12"  # "a mean KL divergence of 0.12"
    assert f"{mean_kl(pi, softmax(grad)):.0e}" == "2e-05"  # "the plain step by 2e-5"
    gains = {delta: [V_rho(softmax(surrogates.kl_step_size(GRID, theta, u, delta) * u)) - V_rho(pi)
                     for u in (grad, natural)] for delta in (1e-4, 1e-2, 1e-1)}
    assert f"{gains[1e-4][1] / gains[1e-4][0]:.1f}" == "1.5" and f"{gains[1e-2][1] / gains[1e-2][0]:.1f}" == "1.3"
    assert gains[1e-1][0] > gains[1e-1][1]  # "at delta = 0.1 ... the plain step gains more"
    length = surrogates.kl_step_size(GRID, theta, natural, 1e-2) * np.linalg.norm(natural)
    same = [V_rho(softmax(length * u / np.linalg.norm(u))) - V_rho(pi) for u in (grad, natural)]
    assert f"{same[0]:.2f}" == "0.14" and f"{same[1]:.3f}" == "0.087"
    kl_same = [mean_kl(pi, softmax(length * u / np.linalg.norm(u))) for u in (grad, natural)]
    assert f"{kl_same[0]:.3f}" == "0.032" and round(kl_same[0] / kl_same[1]) == 3  # "about three times the KL, 0.032"
    d = solve(pi)[-1]
    share = [(d @ (u**2).sum(axis=1)) / (u**2).sum() for u in (grad, natural)]
    assert share[0] > 2 * share[1]  # "it puts its length where d_rho(s) is largest"


def test_the_invariance_numbers():
    """'The plain step's two next policies differ by almost half as much as the step moved the policy.'"""
    theta, M = np.zeros((S, A)), coordinates_matrix()
    plain = [softmax(pgbook.reparameterised_step(GRID, theta, m, 1.0, natural=False)) for m in (np.eye(S * A), M)]
    moved, gap = np.abs(plain[0] - 1 / A).max(), np.abs(plain[1] - plain[0]).max()
    assert 0.4 < gap / moved < 0.5


def test_the_compatible_fit_numbers():
    """'the fit misses most of the advantages' (98%); at the random policy w* differs from A."""
    phi, theta = loglinear_case()
    pi = softmax(phi @ theta)
    _, _, adv, d = solve(pi)
    score = phi - np.einsum("sa,sak->sk", pi, phi)[:, None, :]
    weights = d[:, None] * pi
    w = weighted_lstsq(score.reshape(-1, 8), adv.ravel(), weights.ravel())
    assert f"{np.sum(weights * (adv - score @ w) ** 2) / np.sum(weights * adv**2):.2f}" == "0.98"
    pi_r = softmax(THETA_R)
    mean_A = solve(pi_r)[2].mean(axis=1)
    assert np.abs(min_norm_weights() - solve(pi_r)[2]).max() == pytest.approx(np.abs(mean_A).max())
    assert np.abs(mean_A).max() > 0.03  # "the identity fails by max_s |A_bar_s|/(1 - gamma)", 0.4 here


@twin("natural/pi-step-is-optimal",
      wrong={"eta-10-step-is-optimal": dict(eta=10.0), "myopic-greedy-is-optimal": dict(greedy_on="r")})
def pi_step_is_optimal(page, eta=None, greedy_on="advantage"):
    """V of the greedy step from the uniform policy (dense solve) against V* by value iteration by
    hand (20,000 sweeps of the Bellman optimality backup); careless: the NPG step at eta = 10, which
    the figure shows near the greedy one, is optimal too, or greedy on the reward alone is."""
    _, _, adv, _ = solve(np.full((S, A), 1 / A))
    if eta is not None:
        pi = softmax(eta * adv / (1 - GAMMA))
    else:
        pi = np.eye(A)[(adv if greedy_on == "advantage" else GRID.r).argmax(axis=1)]
    V = np.zeros(S)
    for _ in range(20_000):
        V = (GRID.r + GAMMA * GRID.P @ V).max(axis=1)
    page.close(solve(pi)[0], V)


def test_the_huge_step_numbers():
    """The slider: up to eta = 0.01 the policy barely moves, at eta = 0.1 by up to 0.14; at eta = 10 most cells put more than 0.9 on the greedy action; from eta = 100 on the
    step is policy iteration to two decimals, and its value is the greedy step's 0.61."""
    _, Q, adv, _ = solve(np.full((S, A), 1 / A))
    live = ~GRID.terminal
    greedy = np.eye(A)[Q.argmax(axis=1)]
    gaps = np.sort(Q, axis=1)
    assert (gaps[live, -1] - gaps[live, -2]).min() > 1e-3  # the argmax is unique where it matters
    uniform = np.full((S, A), 1 / A)
    moved = [np.abs(softmax(eta * adv / (1 - GAMMA)) - uniform).max() for eta in (0.01, 0.1)]
    assert f"{moved[0]:.3f}" == "0.013" and f"{moved[1]:.2f}" == "0.14"  # "no probability by more than 0.013", "by up to 0.14"
    on_greedy = np.sum(softmax(10 * adv / (1 - GAMMA)) * greedy, axis=1)[live]
    assert (on_greedy > 0.9).mean() > 0.5
    assert np.abs(softmax(100 * adv / (1 - GAMMA)) - greedy)[live].max() < 5e-3
    assert f"{V_rho(greedy):.2f}" == "0.61"


def test_npg_leaves_the_states_rho_never_reaches_alone():
    """Lemma 5.1 holds in the states d_rho reaches; in the others the pseudo-inverse step is zero."""
    P = np.zeros((3, 2, 3))
    P[0, :, 1] = 1.0  # 0 -> 1 whatever the action
    P[1, 0, 1] = P[1, 1, 0] = 1.0
    P[2, 0, 2] = P[2, 1, 0] = 1.0  # state 2 is never entered from 0 or 1
    mdp = pgbook.MDP(P, np.random.default_rng(8).random((3, 2)), 0.9, rho=[1.0, 0.0, 0.0])
    theta = np.random.default_rng(9).standard_normal((3, 2))
    step = (np.linalg.pinv(pgbook.fisher(mdp, theta), rcond=1e-10)
            @ pgbook.softmax_gradient(mdp, theta).ravel()).reshape(3, 2)
    adv = pgbook.advantage(mdp, pgbook.softmax(theta))
    assert np.abs(step[2]).max() < 1e-12 and np.abs(adv[2]).max() > 0.1
    assert np.ptp(step[:2] - adv[:2] / (1 - 0.9), axis=1).max() < 1e-10


def test_the_fisher_figure_and_rate_numbers():
    """'largest at the start, 0.31, and more than ten times smaller in the free cells around the goal and the pit';
    '3/16 on the diagonal and -1/16 off it'; 'still 0.44 at eta = 10: in the start cell and the cell to its
    right ... the four advantages all lie within 0.02 of each other'."""
    pi = np.full((S, A), 1 / A)
    _, _, adv, d = solve(pi)
    start = int(np.argmax(GRID.rho))
    assert np.argmax(d) == start and f"{d[start]:.2f}" == "0.31"
    cell = {tuple(c): s for s, c in enumerate(GRID.cells)}
    next_to_goal = [cell[0, 2], cell[1, 2], cell[2, 3]]  # the free cells beside the goal and the pit
    assert (d[next_to_goal] < d[start] / 10).all()
    block = pgbook.fisher(GRID, np.zeros((S, A)))[start * A:(start + 1) * A, start * A:(start + 1) * A]
    assert np.allclose(block / d[start], np.eye(A) / 4 - 1 / 16)
    greedy = np.eye(A)[adv.argmax(axis=1)]
    live = np.flatnonzero(~GRID.terminal)
    off = (softmax(10 * adv / (1 - GAMMA)) * (1 - greedy)).sum(axis=1)
    assert f"{off[live].max():.2f}" == "0.44"
    right_of_start = cell[2, 1]
    assert set(live[np.argsort(off[live])[-2:]]) == {start, right_of_start}
    assert np.ptp(adv[start]) < 0.02 and np.ptp(adv[right_of_start]) < 0.02


def test_the_lemma_checks_are_not_trivial_at_the_random_policy():
    """At theta_r the pseudo-inverse step and the closed form differ (by a per-state constant of size
    max |w* - A| / (1 - gamma) > 0.1), and the two start distributions give different gradients: by up
    to 0.03, more than the largest entry, 0.02, of the start cell's."""
    pi = softmax(THETA_R)
    natural = (np.linalg.pinv(fisher_by_sums(pi), rcond=1e-10) @ pg_theorem(pi)).reshape(S, A)
    assert np.abs(natural - solve(pi)[2] / (1 - GAMMA)).max() > 0.1
    start, cells = pg_theorem(pi), pg_theorem(pi, np.full(S, 1 / S))
    assert f"{np.abs(start - cells).max():.2f}" == "0.03"  # "differ by up to 0.03"
    assert f"{np.abs(start).max():.2f}" == "0.02"  # "more than the largest entry, 0.02, of the start cell's"
    assert np.abs(start - cells).max() > np.abs(start).max()
