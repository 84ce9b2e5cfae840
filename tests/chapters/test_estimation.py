"""Chapter 4 (book/gradients/estimation.md): every check on the page, and every number its prose states.

Each check of the page has a twin here (``tests/chapters/twins.py``) that recomputes the claim
without the page's code path and feeds it to the page's own check: episodes from a plain numpy
sampler, with the estimator accumulated *forward* in time (each reward times the scores of the
actions before it; the page sums rewards to go backwards, pgbook in numba); values by a dense numpy
solve; gradients by central differences of that value; truncated values by iterated backups; and
AKLM's geometric sampler written out with numpy's geometric draws. The same check must reject the
claim a careless reader would make: the tutorial's gradient without 1/(1 - gamma), an estimator
without its gamma^t, a baseline that depends on the action, a wrong exponent. The last tests cover
the numbers the prose states and the checks that used to be on the page (the episodes' mean length
of AKLM's sampler and the baseline's variance-reduction factor on fresh episodes are ``Moved`` entries).
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
from conftest import central_difference

import pgbook
from chapters.twins import Moved, twin
from pgbook import checks, envs
from pgbook.theory import estimation

MDP = envs.random_mdp(4, 3, seed=1, gamma=0.8)
S, A, GAMMA = MDP.S, MDP.A, MDP.gamma
THETA = np.random.default_rng(101).normal(size=(S, A))
H = math.ceil(math.log(1e-10) / math.log(GAMMA))  # gamma^H <= 1e-10: 104 steps
N = 100_000  # episodes of the twins' samplers (the page uses 200,000 or 20,000)
LOGITS = np.arange(-6.0, -0.99, 1.0)  # the small-pi sweep where pi(a*|s) is small


# --- independent computations ------------------------------------------------------------------


def softmax(theta):
    z = np.exp(theta - theta.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def solve(pi):
    """V, Q and the normalised visitation d_rho of pi by numpy's dense solves (not pgbook's LU path)."""
    P_pi = np.einsum("sa,sat->st", pi, MDP.P)
    M = np.eye(S) - GAMMA * P_pi
    V = np.linalg.solve(M, (pi * MDP.r).sum(axis=1))
    d = (1 - GAMMA) * np.linalg.solve(M.T, MDP.rho)
    return V, MDP.r + GAMMA * MDP.P @ V, d


def truncated_value(pi, horizon):
    """V_H = sum_{t<H} gamma^t P_pi^t r_pi by H backups V_k = r_pi + gamma P_pi V_{k-1}."""
    P_pi = np.einsum("sa,sat->st", pi, MDP.P)
    r_pi = (pi * MDP.r).sum(axis=1)
    V = np.zeros(S)
    for _ in range(horizon):
        V = r_pi + GAMMA * P_pi @ V
    return V


SMALL_PI_STATE, SMALL_PI_ACTION = np.unravel_index(
    np.argmax(solve(softmax(THETA))[1] - solve(softmax(THETA))[0][:, None]), (S, A))


def theta_at(logit):
    """The page's theta, or with the logit of the small-pi pair (s, a*) set to ``logit``."""
    theta = THETA.copy()
    if logit is not None:
        theta[SMALL_PI_STATE, SMALL_PI_ACTION] = logit
    return theta


@functools.cache
def fd_gradient(horizon=None, logit=None):
    """Central differences of V(rho), or of V_H(rho) for a horizon, at theta_at(logit)."""
    def value(th):
        pi = softmax(th)
        return MDP.rho @ (solve(pi)[0] if horizon is None else truncated_value(pi, horizon))
    return central_difference(value, theta_at(logit))


@functools.cache
def fd_truncation_bias(horizon):
    """max_{s,a} |d(V - V_H)(rho)/d theta_{s,a}| by central differences of the tail V - V_H itself."""
    def tail(th):
        pi = softmax(th)
        return MDP.rho @ (solve(pi)[0] - truncated_value(pi, horizon))
    return np.abs(central_difference(tail, THETA)).max()


def draw(rng, probs):
    """One index per row of ``probs`` (n, k) by inverting the cumulative sums."""
    cdf = np.cumsum(probs, axis=1)
    cdf[:, -1] = 1.0
    return (rng.random(len(cdf))[:, None] < cdf).argmax(axis=1)


@functools.cache
def forward_estimates(n, horizon, seed, logit=None):
    """Per-episode REINFORCE estimates (n, S, A) from a plain numpy sampler, by kind of estimator.

    Summing over t' >= t is done forward: the reward at step t multiplies the scores of the actions
    at steps <= t, so ``to_go`` = sum_t gamma^t r_t z_t with z_t the running sum of scores. Also
    ``baseline_V`` (minus gamma^t V(s_t) score_t), the careless ``baseline_Q`` (an action-dependent
    baseline Q(s_t, a_t)) and ``no_gamma_t`` (sum_t Q_hat_t score_t, without gamma^t), the
    ``whole`` return times every score, and the discounted and undiscounted ``returns``.
    """
    theta = theta_at(logit)
    pi = softmax(theta)
    V, Q, _ = solve(pi)
    rng = np.random.default_rng(seed)
    rows = np.arange(n)
    s = draw(rng, np.broadcast_to(MDP.rho, (n, S)))
    z, z_discounted = np.zeros((n, S, A)), np.zeros((n, S, A))
    to_go, base_V, base_Q, no_gamma = (np.zeros((n, S, A)) for _ in range(4))
    R, R_undiscounted = np.zeros(n), np.zeros(n)
    for t in range(horizon):
        a = draw(rng, pi[s])
        r = MDP.r[s, a]
        score = np.zeros((n, S, A))
        score[rows, s] = -pi[s]
        score[rows, s, a] += 1.0
        z += score
        z_discounted = GAMMA * z_discounted + score  # sum_{t' <= t} gamma^(t - t') score_t'
        to_go += GAMMA**t * r[:, None, None] * z
        base_V -= GAMMA**t * V[s][:, None, None] * score
        base_Q -= GAMMA**t * Q[s, a][:, None, None] * score
        no_gamma += r[:, None, None] * z_discounted
        R += GAMMA**t * r
        R_undiscounted += r
        s = draw(rng, MDP.P[s, a])
    return {"to_go": to_go, "baseline_V": to_go + base_V, "baseline_Q": to_go + base_Q,
            "no_gamma_t": no_gamma, "whole": R[:, None, None] * z,
            "whole_undiscounted": R_undiscounted[:, None, None] * z, "returns": R,
            "undiscounted_returns": R_undiscounted}


def mean_se(x):
    return x.mean(axis=0), x.std(axis=0, ddof=1) / np.sqrt(len(x))


@functools.cache
def geometric_episodes(n, seed):
    """AKLM's sampler by hand: s_T with Pr(T = t) = (1 - gamma) gamma^t, a ~ pi(s_T), then K + 1 more
    pairs with Pr(K >= k) = gamma^k; the undiscounted and (careless) discounted sums of their rewards."""
    pi = softmax(THETA)
    rng = np.random.default_rng(seed)
    s = draw(rng, np.broadcast_to(MDP.rho, (n, S)))
    T = rng.geometric(1 - GAMMA, size=n) - 1
    for t in range(T.max()):
        go = np.flatnonzero(T > t)
        s[go] = draw(rng, MDP.P[s[go], draw(rng, pi[s[go]])])
    a = draw(rng, pi[s])
    K = rng.geometric(1 - GAMMA, size=n) - 1
    Q_hat, Q_discounted = MDP.r[s, a].copy(), MDP.r[s, a].copy()
    s_k, a_k = s.copy(), a.copy()
    for k in range(1, K.max() + 1):
        go = np.flatnonzero(K >= k)
        s_k[go] = draw(rng, MDP.P[s_k[go], a_k[go]])
        a_k[go] = draw(rng, pi[s_k[go]])
        Q_hat[go] += MDP.r[s_k[go], a_k[go]]
        Q_discounted[go] += GAMMA**k * MDP.r[s_k[go], a_k[go]]
    return s, a, Q_hat, Q_discounted, T + K + 1


# --- the page's checks and their wrong twins (tests/chapters/twins.py), in the order of the page ---

#: Former ✔ lines, kept as tests (see chapters.twins.Moved): the page shows the twelve its argument needs.
moved = Moved("estimation")


@twin("estimation/sampled-return-is-value",
      wrong={"undiscounted-returns": dict(discounted=False), "normalised-value": dict(scale=1 - GAMMA)})
def sampled_return_is_value(page, discounted=True, scale=1.0):
    """Returns of the numpy sampler against V(rho) by a dense solve; careless: rewards summed without
    the discount, or the value normalised by (1 - gamma) as Kakade and Langford do."""
    ep = forward_estimates(20_000, H, seed=11)
    G = ep["returns"] if discounted else ep["undiscounted_returns"]
    page.zscore(*mean_se(G), scale * MDP.rho @ solve(softmax(THETA))[0])


@twin("estimation/reinforce-mean-is-gradient",
      wrong={"tutorial-gradient-without-horizon": dict(scale=1 - GAMMA),
             "estimator-without-gamma-t": dict(kind="no_gamma_t")})
def reinforce_mean_is_gradient(page, scale=1.0, kind="to_go"):
    """The forward estimator's mean against finite differences of V; careless: the tutorial's gradient
    d pi A without 1/(1 - gamma), or weighting step t by Q_hat without gamma^t."""
    page.zscore(*mean_se(forward_estimates(N, H, seed=12)[kind]), scale * fd_gradient())


@twin("estimation/error-rate-root-n", wrong={"rate-one-over-n": dict(exponent=-1.0)})
def error_rate_root_n(page, exponent=-0.5):
    """Batch means of the numpy sampler's estimates against finite differences; careless: the error of
    an average falls like 1/n, as for deterministic terms."""
    per_episode = forward_estimates(20_000, H, seed=13)["to_go"]
    ns = np.array([10, 20, 50, 100, 200, 500, 1000, 2000])
    rms = [np.sqrt(((per_episode.reshape(-1, m, S, A).mean(axis=1) - fd_gradient()) ** 2).sum(axis=(1, 2)).mean())
           for m in ns]
    page.exponent(ns, rms, exponent)


@twin("estimation/baseline-keeps-mean",
      wrong={"action-dependent-baseline": dict(kind="baseline_Q"),
             "tutorial-gradient-without-horizon": dict(scale=1 - GAMMA)})
def baseline_keeps_mean(page, kind="baseline_V", scale=1.0):
    """With b = V by a dense solve, against finite differences; careless: a baseline that depends on
    the action, b(s, a) = Q(s, a), which removes the signal itself."""
    page.zscore(*mean_se(forward_estimates(N, H, seed=12)[kind]), scale * fd_gradient())


@moved("baseline-cuts-variance", "close",
       "the variance-reduction factor on 200,000 fresh episodes (total standard error without b = V "
       "over with it) matches the first 20,000 episodes' (√ of their variance ratio)", tol=0.2,
       wrong={"variance-ratio-not-its-root": dict(power=1.0), "ninety-nine-percent": dict(removed=0.99)})
def baseline_cuts_variance(page, power=0.5, removed=None):
    """Two independent runs of the numpy sampler: the error bars of one (standard errors added in
    squares, without and with b = V) against the variance ratio of the other, to the power 1/2;
    careless: error bars narrowing by the variance ratio itself, or a claim of 99% removed (ratio 100).
    (A former ✔ line: two samples agreeing can only catch a sampling accident on the page; the page
    prints the factor and states the variance removed, which test_the_numbers_the_prose_states pins.)"""
    bars = {k: mean_se(v)[1] for k, v in forward_estimates(40_000, H, seed=14).items() if k in ("to_go", "baseline_V")}
    ep = forward_estimates(20_000, H, seed=15)
    ratio = ep["to_go"].var(axis=0, ddof=1).sum() / ep["baseline_V"].var(axis=0, ddof=1).sum()
    if removed is not None:
        ratio = 1 / (1 - removed)
    page.close(np.sqrt((bars["to_go"] ** 2).sum() / (bars["baseline_V"] ** 2).sum()), ratio**power)


@twin("estimation/truncation-bias-rate",
      wrong={"gamma-to-the-2h": dict(exponent=2.0), "gamma-to-the-h-over-2": dict(exponent=0.5)})
def truncation_bias_rate(page, exponent=1.0):
    """The bias by central differences of the tail V - V_H (iterated backups), against gamma^H."""
    horizons = np.arange(1, 61)
    page.exponent(GAMMA**horizons, [fd_truncation_bias(h) for h in horizons], exponent)


STAY_THETA = 8.0  # the page's logit of "stay" in envs.stay_or_leave: p = pi(stay | start) = 0.9997


def stay_bias_closed_form(horizon, gamma=0.9, logit=STAY_THETA):
    """max_a |d(V - V_H)(start)/d theta_{start,a}| on stay_or_leave, in closed form: the tail is
    f(p) = gamma^H p^(H+1) / (1 - gamma p), and dp/d theta_{start,a} = +-p(1 - p)."""
    p = 1 / (1 + math.exp(-logit))
    df = gamma**horizon * ((horizon + 1) * p**horizon / (1 - gamma * p) + gamma * p ** (horizon + 1) / (1 - gamma * p) ** 2)
    return p * (1 - p) * df


@moved("truncation-bias-factor-l", "exponent",
       "on stay_or_leave the exact truncation bias falls like γ^L (1 + L(1 − γ)), the bound's shape "
       "(for L from 1 to 60)", tol=0.05,
       wrong={"no-factor-l": dict(factor_L=False), "factor-l-without-the-one": dict(one=False)})
def truncation_bias_factor_L(page, factor_L=True, one=True):
    """The bias on stay_or_leave in closed form against the bound's shape gamma^H (1 + H(1 - gamma));
    careless: the bias falls like gamma^H alone (the random MDP's rate), or like H gamma^H. (A former
    ✔ line: the page now checks the bound itself on this instance, which implies its shape.)"""
    horizons = np.arange(1, 61)
    shape = 0.9**horizons * ((1.0 if one else 0.0) + (horizons * 0.1 if factor_L else 0.0))
    page.exponent(shape, [stay_bias_closed_form(h) for h in horizons], 1.0)


@twin("estimation/truncation-bound-tight-on-stay-or-leave",
      wrong={"no-factor-l": dict(factor_L=False), "no-last-term": dict(last=False),
             "one-power-of-the-horizon": dict(power=1)})
def truncation_bound_tight_on_stay_or_leave(page, factor_L=True, last=True, power=2):
    """The bound gamma^H (1 + H(1 - gamma)) / (4 (1 - gamma)^2), written out, times 4p(1 - p), over the
    bias on stay_or_leave in closed form, against 1. Careless: the bound without its factor L (the
    score terms), without its last term gamma^L E[grad V(s_L)], or with 1/(1 - gamma) once, not twice."""
    horizons = np.arange(1, 61)
    gamma, p = 0.9, 1 / (1 + math.exp(-STAY_THETA))
    bound = gamma**horizons * ((1.0 if last else 0.0) + (horizons * (1 - gamma) if factor_L else 0.0))
    bound = bound / (4 * (1 - gamma) ** power)
    page.close(bound * 4 * p * (1 - p) / np.array([stay_bias_closed_form(h) for h in horizons]), 1.0)


@twin("estimation/short-episodes-truncated-gradient", wrong={"untruncated-gradient": dict(horizon=None)})
def short_episodes_truncated_gradient(page, horizon=5):
    """Five-step episodes of the numpy sampler (baseline V) against finite differences of V_5 by
    backups; careless: they estimate the gradient of V."""
    page.zscore(*mean_se(forward_estimates(N, 5, seed=15)["baseline_V"]), fd_gradient(horizon))


@twin("estimation/small-pi-gradient-scales-with-pi",
      wrong={"no-factor-pi": dict(exponent=0.0), "square-root-of-pi": dict(exponent=0.5)})
def small_pi_gradient_scales_with_pi(page, exponent=1.0):
    """Finite-difference gradients on theta(s, a*) as its logit falls, against pi(a*|s); careless: the
    gradient does not carry the factor pi (as the NPG step does not), or only its square root."""
    pis = [softmax(theta_at(x))[SMALL_PI_STATE, SMALL_PI_ACTION] for x in LOGITS]
    grads = [fd_gradient(logit=x)[SMALL_PI_STATE, SMALL_PI_ACTION] for x in LOGITS]
    page.exponent(pis, grads, exponent)


@twin("estimation/small-pi-relative-error",
      wrong={"one-over-pi": dict(exponent=-1.0), "independent-of-pi": dict(exponent=0.0)})
def small_pi_relative_error(page, exponent=-0.5):
    """Standard errors of the numpy sampler (baseline V, 20,000 episodes per logit) over |finite
    differences|; careless: the relative error grows like 1/pi, or not at all."""
    pis, rel = [], []
    for x in LOGITS:
        _, se = mean_se(forward_estimates(20_000, H, seed=16, logit=x)["baseline_V"])
        pis.append(softmax(theta_at(x))[SMALL_PI_STATE, SMALL_PI_ACTION])
        rel.append(se[SMALL_PI_STATE, SMALL_PI_ACTION] / abs(fd_gradient(logit=x)[SMALL_PI_STATE, SMALL_PI_ACTION]))
    page.exponent(pis, rel, exponent)


@twin("estimation/geometric-q-hat", wrong={"discounted-q-hat": dict(discounted=True)})
def geometric_q_hat(page, discounted=False):
    """Q_hat of the sampler by hand, grouped by (s, a), against Q by a dense solve; careless: discount
    the rewards as well as stopping at random (which counts gamma twice)."""
    s, a, Q_hat, Q_discounted, _ = geometric_episodes(N, seed=17)
    x = Q_discounted if discounted else Q_hat
    pair = s * A + a
    means = np.array([x[pair == k].mean() for k in range(S * A)])
    ses = np.array([x[pair == k].std(ddof=1) / np.sqrt((pair == k).sum()) for k in range(S * A)])
    page.zscore(means, ses, solve(softmax(THETA))[1].ravel())


@moved("geometric-length", "zscore",
       "(3): an episode of the geometric sampler has (1 + γ)/(1 - γ) pairs on average", tol=4.0,
       wrong={"two-horizons": dict(pairs=2 / (1 - GAMMA)), "one-horizon": dict(pairs=1 / (1 - GAMMA))})
def geometric_length(page, pairs=(1 + GAMMA) / (1 - GAMMA)):
    """The lengths of the episodes of the sampler by hand; careless: take the bound 2/(1 - gamma), or one
    effective horizon 1/(1 - gamma), as the mean length."""
    *_, lengths = geometric_episodes(N, seed=17)
    length_mean, length_se = mean_se(lengths.astype(float))
    page.zscore(length_mean, length_se, pairs)


test_former_check = moved.test()


@twin("estimation/geometric-gradient-unbiased", wrong={"without-one-over-one-minus-gamma": dict(scale=1 - GAMMA)})
def geometric_gradient_unbiased(page, scale=1.0):
    """(Q_hat - V(s)) score / (1 - gamma) from the sampler by hand, against finite differences;
    careless: drop the 1/(1 - gamma). (A discounted Q_hat is caught by the Q_hat check: here its bias
    hides in the noise of 100,000 single-pair estimates.)"""
    s, a, Q_hat, _, _ = geometric_episodes(N, seed=17)
    pi = softmax(THETA)
    V = solve(pi)[0]
    score = np.zeros((len(s), S, A))
    score[np.arange(len(s)), s] = -pi[s]
    score[np.arange(len(s)), s, a] += 1.0
    weight = scale * (Q_hat - V[s]) / (1 - GAMMA)
    page.zscore(*mean_se(weight[:, None, None] * score), fd_gradient())


@pytest.mark.parametrize("factor", [None, 100.0, 1 / (1 - GAMMA) ** 2], ids=["right", "hundredfold", "horizon-squared"])
def test_rewards_to_go_cut_variance(factor):
    """Exercise 4.2's ratio of 38 is no sampling accident (a test, no longer on the page): the
    whole-return over the reward-to-go variance from two independent runs of the numpy sampler (one
    forward pass each) agree to within 1; careless: a hundredfold ratio, or 1/(1 - gamma)^2 = 25."""
    ratios = [ep["whole"].var(axis=0, ddof=1).sum() / ep["to_go"].var(axis=0, ddof=1).sum()
              for ep in (forward_estimates(20_000, H, seed=18), forward_estimates(20_000, H, seed=19))]
    claim = ratios[1] if factor is None else factor
    if factor is None:
        checks.close("the ratio is the estimators'", ratios[0], claim, tol=1.0, id="estimation/rewards-to-go")
    else:
        with pytest.raises(checks.CheckFailed):
            checks.close("the ratio is the estimators'", ratios[0], claim, tol=1.0, id="estimation/rewards-to-go")


# --- the numbers in the prose, and the page's former library checks -----------------------------


@pytest.fixture(scope="module")
def page():
    """The page's own computations (pgbook), for the numbers its prose states."""
    pi = pgbook.softmax(THETA)
    V = pgbook.value(MDP, pi)
    grad = pgbook.softmax_gradient(MDP, THETA)
    episodes = pgbook.sample_episodes(MDP, pi, n=20_000, horizon=H, seed=1)
    _, se = pgbook.reinforce_gradient(MDP, THETA, 200_000, H, seed=2, return_stderr=True)
    _, se_b = pgbook.reinforce_gradient(MDP, THETA, 200_000, H, seed=2, baseline=V, return_stderr=True)
    return dict(pi=pi, V=V, grad=grad, episodes=episodes, se=se, se_b=se_b)


def per_episode(episodes, baseline=None, theta=THETA):
    """The page's reinforce_per_episode by another route: every visit's weight gathered per
    (episode, state, action) with one bincount, then the score's -pi(.|s) applied per row."""
    states, actions, rewards = episodes
    n, horizon = rewards.shape
    pi = pgbook.softmax(theta)
    b = np.zeros(S) if baseline is None else baseline
    discount = GAMMA ** np.arange(horizon)
    later = np.cumsum((rewards * discount)[:, ::-1], axis=1)[:, ::-1]
    c = later - discount * b[states]
    where = (np.arange(n)[:, None] * S + states) * A + actions
    C = np.bincount(where.ravel(), c.ravel(), minlength=n * S * A).reshape(n, S, A)
    return C - C.sum(axis=2, keepdims=True) * pi


def test_the_numbers_the_prose_states(page):
    assert H == pgbook.truncation_horizon(GAMMA) == 104
    returns = page["episodes"].rewards @ GAMMA ** np.arange(H)
    z = abs(returns.mean() - MDP.rho @ page["V"]) / (returns.std(ddof=1) / np.sqrt(len(returns)))
    assert z < 1.5  # "within about one standard error"
    plain = per_episode(page["episodes"])
    based = per_episode(page["episodes"], baseline=page["V"])
    ratio = based.var(axis=0, ddof=1).sum() / plain.var(axis=0, ddof=1).sum()
    assert f"{1 - ratio:.0%}" == "97%"  # "the baseline removes about 97% of the variance"
    assert abs(np.sqrt(plain.var(axis=0, ddof=1).sum()) - 3.5) < 0.1  # "sqrt(tr Sigma) is about 3.5"
    assert 0.004 < 2 * page["se"].mean() < 0.006  # "the bars are about +-0.005"
    assert f"{np.median(np.abs(page['grad'])):.2f}" == "0.07"  # "against a typical coordinate of 0.07"
    assert f"{np.abs(page['grad']).max():.2f}" == "0.14"  # "gradient entries of at most 0.14"
    s_top, a_top = np.unravel_index(np.abs(page["grad"]).argmax(), (S, A))
    spread = plain[:, s_top, a_top].std() / based[:, s_top, a_top].std()
    assert round(spread) == 5 and f"{page['grad'][s_top, a_top]:.2f}" == "0.14"  # "five times wider", "0.14"
    assert f"{np.sqrt(1 / ratio):.1f}" == "6.2"  # "the square root of the variance ratio, about 6.2"
    total = np.sqrt((page["se"] ** 2).sum() / (page["se_b"] ** 2).sum())
    assert f"{total:.1f}" == "6.2"  # "the total standard error is 6.2 times smaller"
    by_coordinate = page["se"] / page["se_b"]
    assert by_coordinate.min() < 6.2 < by_coordinate.max()  # "one coordinate at a time the factor varies around 6.2"
    mean = plain.mean(axis=0)  # the table of the mean of the 20,000 estimates
    np.testing.assert_allclose(mean.sum(axis=1), 0.0, atol=1e-12)  # "each row adds up to zero"
    assert (np.sign(mean) == np.sign(page["grad"])).all()  # "every entry already has the sign of the exact gradient"
    assert f"{np.abs(mean - page['grad']).max():.2f}" == "0.01"  # "within about 0.01 of it"


def test_the_relative_error_rises_again_near_pi_one():
    """"Past logit 2 ... the advantage vanishes like 1 - pi (A/(1 - pi) stays near 0.7 while 1 - pi falls
    from 0.53 to 0.13), while the standard error stays between 0.0013 and 0.0014": the page's sweep at
    logits 2, 3, 4 (same seed), the advantage from a dense solve rather than pgbook.advantage."""
    pi0 = pgbook.softmax(THETA)
    s, a_star = np.unravel_index(pgbook.advantage(MDP, pi0).argmax(), (S, A))
    one_minus_pi, per_gap, se, grad = [], [], [], []
    for x in (2.0, 3.0, 4.0):
        th = THETA.copy()
        th[s, a_star] = x
        pi = pgbook.softmax(th)
        V, Q, d = solve(pi)
        _, se_x = pgbook.reinforce_gradient(MDP, th, 20_000, H, seed=5, baseline=V, return_stderr=True)
        one_minus_pi.append(1 - pi[s, a_star])
        per_gap.append((Q[s, a_star] - V[s]) / (1 - pi[s, a_star]))
        se.append(se_x[s, a_star])
        grad.append(d[s] * pi[s, a_star] * (Q[s, a_star] - V[s]) / (1 - GAMMA))
    assert f"{one_minus_pi[0]:.2f}" == "0.53" and f"{one_minus_pi[-1]:.2f}" == "0.13"
    assert all(f"{g:.1f}" == "0.7" for g in per_gap)
    assert all(0.00125 <= e < 0.00145 for e in se)
    rel = np.array(se) / np.array(grad)
    assert rel[-1] > rel[0]  # the relative error rises again


def test_the_truncation_numbers():
    grad = pgbook.softmax_gradient(MDP, THETA)
    bias = np.array([np.abs(grad - estimation.truncated_softmax_gradient(MDP, THETA, h)).max()
                     for h in range(1, 61)])
    loose = np.array([estimation.truncation_bias_bound(GAMMA, h) for h in range(1, 61)]) / bias
    assert 45 < loose.min() < 55 and 520 < loose.max() < 620  # "about 50 to 570 times the bias"
    assert f"{estimation.truncation_bias_bound(GAMMA, H):.1e}" == "1.1e-08"  # "a bias of at most 1.1e-8"
    _, se = pgbook.reinforce_gradient(MDP, THETA, 200_000, H, seed=2, return_stderr=True)
    assert estimation.truncation_bias_bound(GAMMA, H) < 1e-4 * se.min()  # "a ten-thousandth"
    V = pgbook.value(MDP, pgbook.softmax(THETA))
    g5, se5 = pgbook.reinforce_gradient(MDP, THETA, 200_000, horizon=5, seed=4, baseline=V, return_stderr=True)
    assert 10 <= (np.abs(g5 - grad) / se5).max() < 100  # "a z-score in the tens"


def test_the_stay_or_leave_numbers():
    """"slope 0.73 against gamma^L, 1.19 against L gamma^L"; "p = 0.9997"; the bound loose by nearly 1/(4p(1-p))."""
    horizons = np.arange(1, 61)
    bias = np.array([stay_bias_closed_form(h) for h in horizons])
    assert f"{pgbook.checks.loglog_slope(0.9**horizons, bias):.2f}" == "0.73"
    assert f"{pgbook.checks.loglog_slope(horizons * 0.9**horizons, bias):.2f}" == "1.19"
    p = 1 / (1 + math.exp(-STAY_THETA))
    assert f"{p:.4f}" == "0.9997"
    loose = np.array([estimation.truncation_bias_bound(0.9, h) for h in horizons]) / bias
    assert np.all(np.abs(loose * 4 * p * (1 - p) - 1) < 0.03)


def test_the_small_pi_numbers():
    """'the advantage rises to about 0.7', 'probability 3e-4', '800 times smaller than at its peak',
    'a relative error of about a third', 'a factor e per unit of logit'."""
    adv, grad, pis, rel = [], [], [], []
    for x in np.arange(-6.0, 4.01, 1.0):
        th = theta_at(x)
        p = pgbook.softmax(th)
        adv.append(pgbook.advantage(MDP, p)[SMALL_PI_STATE, SMALL_PI_ACTION])
        g = pgbook.softmax_gradient(MDP, th)
        grad.append(g[SMALL_PI_STATE, SMALL_PI_ACTION])
        pis.append(p[SMALL_PI_STATE, SMALL_PI_ACTION])
        _, se = pgbook.reinforce_gradient(MDP, th, 20_000, H, seed=5, baseline=pgbook.value(MDP, p),
                                          return_stderr=True)
        rel.append(se[SMALL_PI_STATE, SMALL_PI_ACTION] / abs(grad[-1]))
    assert f"{adv[0]:.1f}" == "0.7" and f"{pis[0]:.0e}" == "3e-04"
    assert 800 < max(grad) / grad[0] < 900
    assert 0.28 < rel[0] < 0.38
    assert np.allclose(np.diff(np.log(pis[:5])), 1.0, atol=0.05)
    # "The slider opens at theta(s, a*) = 1, the grid point nearest the running example's 0.71"
    assert f"{THETA[SMALL_PI_STATE, SMALL_PI_ACTION]:.2f}" == "0.71"


def test_the_geometric_sampler_numbers():
    V = pgbook.value(MDP, pgbook.softmax(THETA))
    _, se_g = pgbook.reinforce_gradient_geometric(MDP, THETA, 200_000, seed=6, baseline=V, return_stderr=True)
    _, se_b = pgbook.reinforce_gradient(MDP, THETA, 200_000, H, seed=2, baseline=V, return_stderr=True)
    pairs = (1 + GAMMA) / (1 - GAMMA)
    assert round(pairs) == 9 and 11 < H / pairs < 12  # "9 pairs", "more than eleven times shorter"
    # "about 25 times more sampled steps for the same accuracy": variance per episode times pairs per episode
    variance_ratio = (se_g**2).sum() / (se_b**2).sum()
    assert round(variance_ratio, -1) == 290 and f"{H / pairs:.1f}" == "11.6"  # "about 290 times", "11.6 times shorter"
    steps_ratio = variance_ratio * pairs / H
    assert round(steps_ratio) == 25


def test_numpy_estimator_is_the_numba_sampler():
    """The page's numpy estimator and pgbook.reinforce_gradient agree on the same episodes."""
    episodes = pgbook.sample_episodes(MDP, pgbook.softmax(THETA), n=300, horizon=H, seed=1)
    np.testing.assert_allclose(per_episode(episodes).mean(axis=0),
                               pgbook.reinforce_gradient(MDP, THETA, n=300, horizon=H, seed=1), atol=1e-12)


def test_the_truncation_bias_is_within_its_bound():
    """The (loose) bound of the proposition holds at every horizon, by finite differences."""
    for h in (1, 2, 5, 10, 20, 40, 60):
        assert fd_truncation_bias(h) <= estimation.truncation_bias_bound(GAMMA, h)


def test_whole_return_weighting_is_unbiased():
    """The exercise's estimator weights every step by the whole return: its mean is the gradient too."""
    page_zscore_max = 4.0
    mean, se = mean_se(forward_estimates(N, H, seed=19)["whole"])
    assert (np.abs(mean - fd_gradient()) / se).max() <= page_zscore_max


def test_the_exercise_numbers():
    """'the whole return is 38 times noisier'; 'about 1/2 per step' of reward."""
    ep = forward_estimates(20_000, H, seed=18)
    assert 37 < ep["whole"].var(axis=0, ddof=1).sum() / ep["to_go"].var(axis=0, ddof=1).sum() < 39
    episodes = pgbook.sample_episodes(MDP, pgbook.softmax(THETA), n=20_000, horizon=H, seed=1)
    assert 0.4 < episodes.rewards.mean() < 0.6


def test_the_finite_difference_exercise_numbers(page):
    """'77 times smaller' with independent samples, the product of sharing (sqrt(SA) = 3.5) and noise per
    episode (22), 'most of the gap'; the factors' formula is the independent runs' measured standard error;
    with common random numbers (the same seed at theta +- h e) 'about sixfold' less noise, and REINFORCE
    'still more than ten times as precise' (13)."""
    m, h = 20_000, 0.1
    returns = page["episodes"].rewards @ GAMMA ** np.arange(H)
    fd_se = np.sqrt(2 * returns.var(ddof=1) / m) / (2 * h)
    based = per_episode(page["episodes"], baseline=page["V"])
    reinforce_se = np.sqrt(based.var(axis=0, ddof=1) / (2 * S * A * m)).max()
    sharing = math.sqrt(S * A)
    noise = (returns.std(ddof=1) / h) / (reinforce_se * math.sqrt(2 * S * A * m))
    assert f"{sharing:.1f}" == "3.5" and round(noise) == 22 and noise > 5 * sharing
    assert math.isclose(sharing * noise, fd_se / reinforce_se)
    s_top, a_top = np.unravel_index(np.abs(page["grad"]).argmax(), (S, A))
    e = np.zeros((S, A))
    e[s_top, a_top] = h
    up, down = (pgbook.sample_episodes(MDP, pgbook.softmax(THETA + sign * e), n=m, horizon=H, seed=3).rewards
                @ GAMMA ** np.arange(H) for sign in (1, -1))
    crn_se = np.std(up - down, ddof=1) / np.sqrt(m) / (2 * h)
    # the formula sqrt(2 Var R / m) / (2h) is what independent runs at theta + h e and theta - h e give
    down_independent = (pgbook.sample_episodes(MDP, pgbook.softmax(THETA - e), n=m, horizon=H, seed=4).rewards
                        @ GAMMA ** np.arange(H))
    measured = np.sqrt((up.var(ddof=1) + down_independent.var(ddof=1)) / m) / (2 * h)
    assert abs(measured / fd_se - 1) < 0.05
    assert round(fd_se / reinforce_se) == 77
    assert round(fd_se / crn_se) == 6 and round(crn_se / reinforce_se) == 13


def test_the_small_pi_figure_numbers():
    """'At logit 1 the pair is taken 130,000 times ... At logit -6 it is taken 169 times, in only 168
    episodes ... the band of +-2 standard errors is still +-66% wide': the page's episodes (seed 5),
    counted by hand."""
    pi0 = pgbook.softmax(THETA)
    s, a_star = np.unravel_index(pgbook.advantage(MDP, pi0).argmax(), (S, A))
    counts = {}
    for x in (-6.0, 1.0):
        th = THETA.copy()
        th[s, a_star] = x
        p = pgbook.softmax(th)
        eps = pgbook.sample_episodes(MDP, p, n=20_000, horizon=H, seed=5)
        took = (eps.states == s) & (eps.actions == a_star)
        counts[x] = (took.sum(), took.any(axis=1).sum())
        if x == -6.0:  # "the mean stays near zero for thousands of episodes, then climbs in a few jumps"
            one = per_episode(eps, baseline=pgbook.value(MDP, p), theta=th)[:, s, a_star]
            ratio = np.cumsum(one) / np.arange(1, one.size + 1) / pgbook.softmax_gradient(MDP, th)[s, a_star]
            assert np.abs(ratio[99:3000]).max() < 0.3 and abs(ratio[-1] - 1) < 0.2
        _, se = pgbook.reinforce_gradient(MDP, th, 20_000, H, seed=5, baseline=pgbook.value(MDP, p),
                                          return_stderr=True)
        counts[x, "band"] = 2 * se[s, a_star] / abs(pgbook.softmax_gradient(MDP, th)[s, a_star])
    assert round(counts[1.0][0], -4) == 130_000 and counts[-6.0] == (169, 168)  # "taken 169 times, in only 168 episodes"
    assert f"{counts[-6.0, 'band']:.0%}" == "66%"
