"""Whole optimisation runs: each first step against an independent computation, then the theorems of
the tutorial's convergence results (AKLM Theorems 4.1, 5.1-5.3, 6.1, Lemma 5.1;
Mei et al. 2020; Cen et al. 2022; Xiao 2022; AJKS Theorem 14.2) as checks along the runs."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import central_difference

import pgbook
from pgbook import algorithms as al
from pgbook import envs, gradients, natural
from pgbook.policies import greedy, log_softmax, project_simplex, softmax


def v_star(mdp):
    return pgbook.policy_iteration(mdp)[1]


def normalise(log_weights):
    """The policy proportional to exp(log_weights), row-wise."""
    return softmax(log_weights)


def soft_q(mdp, pi, tau):
    """Q_tau^pi = r + gamma P V_tau^pi (Cen et al.)."""
    return mdp.r + mdp.gamma * mdp.P @ gradients.soft_value(mdp, pi, tau)


def soft_optimal(mdp, tau):
    """Q*_tau and log pi*_tau by soft value iteration V <- tau logsumexp((r + gamma P V)/tau)."""
    V = np.zeros(mdp.S)
    for _ in range(2000):
        Q = mdp.r + mdp.gamma * mdp.P @ V
        V = tau * np.log(np.exp((Q - Q.max(axis=1, keepdims=True)) / tau).sum(axis=1)) + Q.max(axis=1)
    Q = mdp.r + mdp.gamma * mdp.P @ V
    return Q, log_softmax(Q / tau)


def state_action_visitation(mdp, pi, nu):
    """d(s, a) = (1 - gamma) nu^T (I - gamma P_sa)^{-1} on the chain of state-action pairs."""
    S, A = pi.shape
    P_sa = (mdp.P[:, :, :, None] * pi[None, None, :, :]).reshape(S * A, S * A)
    return (1 - mdp.gamma) * np.linalg.solve((np.eye(S * A) - mdp.gamma * P_sa).T, nu.ravel()).reshape(S, A)


def weighted_lstsq(weights, features, target):
    root = np.sqrt(weights).ravel()
    X = root[:, None] * features.reshape(-1, features.shape[-1])
    return np.linalg.lstsq(X, root * target.ravel(), rcond=None)[0]


# --- the first step of every run, computed independently -------------------------------------------

M = envs.random_mdp(6, 3, seed=11, gamma=0.8, random_rho=True)
RNG = np.random.default_rng(5)
THETA0 = RNG.normal(size=(6, 3))
PI0 = RNG.dirichlet(np.ones(3), size=6)
PHI = RNG.normal(size=(6, 3, 4))
W0 = RNG.normal(size=4)
NU = RNG.dirichlet(np.ones(18)).reshape(6, 3)


def first_q_npg():
    pi = pgbook.loglinear(W0, PHI)
    w = weighted_lstsq(state_action_visitation(M, pi, NU), PHI, pgbook.q_value(M, pi))
    return pgbook.loglinear(W0 + 0.5 * w, PHI)


def first_cpi(alpha):
    ev = pgbook.evaluate(M, PI0)
    gain = ev.d @ ev.adv.max(axis=1)
    alpha = min(1.0, gain * (1 - M.gamma) ** 2 / (4 * M.gamma)) if alpha is None else alpha
    return (1 - alpha) * PI0 + alpha * greedy(ev.Q)


def first_equal_kl(eta):
    """PG's direction, scaled by brentq on the mean KL of surrogates to that of NPG's step."""
    from scipy.optimize import brentq

    from pgbook.theory import surrogates

    pi, grad = softmax(THETA0), gradients.softmax_gradient(M, THETA0)
    target = surrogates.mean_kl(M, pi, softmax(natural.npg_step(M, THETA0, eta)))
    c = brentq(lambda c: surrogates.mean_kl(M, pi, softmax(THETA0 + c * grad)) - target, 0.0, 1e6, xtol=1e-14)
    return softmax(THETA0 + c * grad)


FIRST_STEPS = {
    "softmax_pg": (lambda: al.softmax_pg(M, 0.3, 1, theta0=THETA0),
                   lambda: softmax(THETA0 + 0.3 * gradients.softmax_gradient(M, THETA0))),
    "log_barrier_pg": (lambda: al.log_barrier_pg(M, 0.3, 1, lam=0.2, theta0=THETA0),
                       lambda: softmax(THETA0 + 0.3 * gradients.log_barrier_gradient(M, THETA0, 0.2))),
    "entropy_pg": (lambda: al.entropy_pg(M, 0.3, 1, tau=0.4, theta0=THETA0),
                   lambda: softmax(THETA0 + 0.3 * gradients.entropy_regularized_gradient(M, THETA0, 0.4))),
    "npg": (lambda: al.npg(M, 0.7, 1, theta0=THETA0), lambda: softmax(natural.npg_step(M, THETA0, 0.7))),
    "softmax_pg_kl": (lambda: al.softmax_pg_kl(M, 0.7, 1, theta0=THETA0), lambda: first_equal_kl(0.7)),
    "entropy_npg": (lambda: al.entropy_npg(M, 0.1, 1, tau=0.5, theta0=THETA0),
                    lambda: normalise((1 - 0.1 * 0.5 / 0.2) * log_softmax(THETA0)
                                      + 0.1 / 0.2 * soft_q(M, softmax(THETA0), 0.5))),
    "pmd_geometric": (lambda: al.pmd_geometric(M, 0.25, 1, theta0=THETA0),
                      lambda: normalise(THETA0 + 0.25 * pgbook.q_value(M, softmax(THETA0)))),
    "projected_ga": (lambda: al.projected_ga(M, 0.05, 1, pi0=PI0),
                     lambda: project_simplex(PI0 + 0.05 * gradients.direct_gradient(M, PI0))),
    "cpi": (lambda: al.cpi(M, 1, pi0=PI0), lambda: first_cpi(None)),
    "cpi_fixed_alpha": (lambda: al.cpi(M, 1, alpha=0.3, pi0=PI0), lambda: first_cpi(0.3)),
    "loglinear_npg": (lambda: al.loglinear_npg(M, PHI, 0.5, 1, theta0=W0),
                      lambda: pgbook.loglinear(W0 + 0.5 * natural.compatible_fit(M, W0, PHI), PHI)),
    "q_npg": (lambda: al.q_npg(M, PHI, 0.5, 1, nu=NU, theta0=W0), first_q_npg),
}


@pytest.mark.parametrize("name", FIRST_STEPS)
def test_first_step_matches_an_independent_computation(name):
    run_fn, expected_fn = FIRST_STEPS[name]
    run = run_fn()
    expected = expected_fn()
    assert run.steps.tolist() == [0, 1] and run.iterations == 1
    assert np.abs(run.pi[1] - expected).max() <= 1e-10
    assert abs(run.V_rho[1] - pgbook.evaluate(M, expected).V_rho) <= 1e-10
    assert np.abs(run.V[1] - pgbook.value(M, expected)).max() <= 1e-10


def test_softmax_pg_step_is_the_finite_difference_gradient():
    run = al.softmax_pg(M, 0.3, 1, theta0=THETA0)
    fd = central_difference(lambda th: pgbook.evaluate(M, softmax(th)).V_rho, THETA0)
    assert np.abs(run.theta[1] - THETA0 - 0.3 * fd).max() <= 1e-8
    assert abs(run.trace["grad_norm"][0] - np.linalg.norm(fd)) <= 1e-8


def test_regularised_objectives_and_their_finite_difference_gradients():
    lam, tau = 0.2, 0.4
    barrier = al.log_barrier_pg(M, 0.3, 1, lam=lam, theta0=THETA0)

    def L(th):
        return pgbook.evaluate(M, softmax(th)).V_rho + lam / th.size * log_softmax(th).sum() + lam * np.log(3)

    assert abs(barrier.trace["objective"][0] - L(THETA0)) <= 1e-12
    assert np.abs(barrier.theta[1] - THETA0 - 0.3 * central_difference(L, THETA0)).max() <= 1e-8
    entropy = al.entropy_pg(M, 0.3, 1, tau=tau, theta0=THETA0)

    def soft(th):
        return M.rho @ gradients.soft_value(M, softmax(th), tau)

    assert abs(entropy.trace["objective"][0] - soft(THETA0)) <= 1e-12
    assert np.abs(entropy.theta[1] - THETA0 - 0.3 * central_difference(soft, THETA0)).max() <= 1e-8


def test_pmd_step_sizes_grow_geometrically():
    run = al.pmd_geometric(M, 0.25, 2, theta0=THETA0)
    pi1 = normalise(THETA0 + 0.25 * pgbook.q_value(M, softmax(THETA0)))
    pi2 = normalise(np.log(pi1) + 0.25 / M.gamma * pgbook.q_value(M, pi1))
    assert np.abs(run.pi[2] - pi2).max() <= 1e-10
    assert np.allclose(run.trace["eta"], 0.25 / M.gamma ** np.arange(3), rtol=1e-14, atol=0)


# --- what a run records ----------------------------------------------------------------------------


def test_records_values_and_early_stop():
    run = al.npg(M, 0.2, 25, record_every=10, rho=2)
    assert run.steps.tolist() == [0, 10, 20, 25] and run.V_rho.shape == (26,)
    assert run.pi.shape == (4, 6, 3) and run.V.shape == (4, 6) and run.theta.shape == (4, 6, 3)
    for k, t in enumerate(run.steps):
        assert np.abs(run.V[k] - pgbook.value(M, run.pi[k])).max() <= 1e-12
        assert run.V_rho[t] == run.V[k, 2]
    assert run.params["eta"] == 0.2 and run.params["T"] == 25 and run.params["record_every"] == 10
    target = (run.V_rho[3] + run.V_rho[4]) / 2
    stopped = al.npg(M, 0.2, 25, record_every=10, rho=2, until=target)
    assert stopped.iterations == 4 and stopped.steps.tolist() == [0, 4]
    assert np.array_equal(stopped.V_rho, run.V_rho[:5])
    with pytest.raises(ValueError, match="read-only"):
        run.V_rho[0] = 0.0
    assert "npg" in repr(run) and "iterations=25" in repr(run)
    default = al.softmax_pg(envs.bandit([1.0, 0.5]), 0.4, 2500)
    assert default.steps[1] == 3 and default.steps[-1] == 2500


# --- D1: softmax PG improves every state's value for small steps -----------------------------------


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("which", ["thm_5_1", "lemma_c_2"])
def test_d1_softmax_pg_pointwise_monotone(seed, which):
    mdp = envs.random_mdp(5, 3, seed=seed, gamma=0.8, random_rho=True)
    eta = (1 - mdp.gamma) ** 3 / 8 if which == "thm_5_1" else (1 - mdp.gamma) ** 2 / 5
    run = al.softmax_pg(mdp, eta, 300, theta0=2 * np.random.default_rng(seed).normal(size=(5, 3)), record_every=1)
    assert np.diff(run.V, axis=0).min() >= -1e-13
    assert run.V_rho[-1] > run.V_rho[0]


# --- D2: the bandit rate t * gap -> 1/(2 eta), and the gravity well ---------------------------------


def test_d2_two_armed_bandit_rate_short():
    run = al.softmax_pg(envs.bandit([1.0, 0.5]), 0.4, 20000)
    t = np.arange(run.V_rho.size)
    tgap = t * (1.0 - run.V_rho)
    # t * gap falls towards 1/(2 eta) = 1.25 (continuous time: 1 - p ~ 1/(2 eta Delta t)), O(log t / t) above it.
    assert 1.25 <= tgap[-1] <= 1.255
    assert np.all(np.diff(tgap[100:]) <= 0)


def test_d2_gravity_well_plateau_short():
    """theta0 = (0, log 1e4, 0): the optimal arm starts at probability ~1e-4 and the gap sits at 0.1."""
    well = al.softmax_pg(envs.bandit([1.0, 0.9, 0.1]), 0.4, 10**4, theta0=np.array([[0.0, np.log(1e4), 0.0]]))
    assert np.all(np.abs((1.0 - well.V_rho) - 0.1) <= 1.1e-4)
    assert np.all(np.diff(well.V_rho) >= 0)


@pytest.mark.slow
def test_d2_bandit_rates_and_gravity_well_long():
    eta = 0.4
    two = al.softmax_pg(envs.bandit([1.0, 0.5]), eta, 10**6)
    assert abs(10**6 * (1.0 - two.V_rho[-1]) - 1 / (2 * eta)) <= 1e-3
    three = al.softmax_pg(envs.bandit([1.0, 0.9, 0.1]), eta, 10**6, record_every=1)
    gap = 1.0 - three.V_rho
    c = three.pi[1:, 0, 0].min()
    t = np.arange(1, gap.size)
    assert np.all(gap[1:] <= 5 / (c**2 * t))
    assert abs(10**6 * gap[-1] - 1.6667) <= 2e-3
    well = al.softmax_pg(envs.bandit([1.0, 0.9, 0.1]), eta, 10**6, theta0=np.array([[0.0, np.log(1e4), 0.0]]))
    well_gap = 1.0 - well.V_rho
    assert np.all(np.abs(well_gap[: 10**5 + 1] - 0.1) <= 1.1e-4)
    assert well_gap[-1] <= 1e-5


# --- D3: the log-barrier objective's stationary points are near-optimal (AKLM Theorem 5.2) ---------


@pytest.mark.slow
def test_d3_log_barrier_near_stationary_point_is_near_optimal():
    mdp = envs.random_mdp(6, 3, seed=6, gamma=0.8, random_rho=True)
    gamma, S, A, lam = mdp.gamma, mdp.S, mdp.A, 0.1
    pi_opt, V_opt = pgbook.policy_iteration(mdp)
    D = (pgbook.visitation(mdp, pi_opt) / mdp.rho).max()
    eta = 1 / (8 / (1 - gamma) ** 3 + 2 * lam / S)
    run = al.log_barrier_pg(mdp, eta, 400_000, lam=lam, record_every=1000)
    stationary = np.flatnonzero(run.trace["grad_norm"] <= lam / (2 * S * A))
    assert stationary.size > 0
    t = stationary[0]
    assert V_opt @ mdp.rho - run.V_rho[t] <= 2 * lam / (1 - gamma) * D
    assert np.all(np.diff(run.trace["objective"]) >= -1e-12)


# --- D4: NPG's dimension-free rate and pointwise improvement ---------------------------------------


@pytest.mark.parametrize("seed", [*range(3), *(pytest.param(s, marks=pytest.mark.slow) for s in range(3, 20))])
def test_d4_npg_rate_bound_and_improvement_lemma(seed):
    mdp = envs.random_mdp(8, 4, seed=100 + seed, gamma=0.9, random_rho=True)
    V_opt = v_star(mdp)
    for eta in (0.01, 0.1, 1.0, 10.0):
        run = al.npg(mdp, eta, 200, record_every=1)
        T = np.arange(1, 201)
        gap = V_opt @ mdp.rho - run.V_rho[1:]
        assert np.all(gap <= np.log(4) / (eta * T) + 1 / ((1 - mdp.gamma) ** 2 * T))
        # Lemma 5.2, pointwise: V^{t+1}(s) - V^t(s) >= (1 - gamma)/eta log Z_t(s) >= 0.
        for t in (0, 1, 5, 50):
            A = pgbook.advantage(mdp, run.pi[t])
            logZ = np.log((run.pi[t] * np.exp(eta * A / (1 - mdp.gamma))).sum(axis=1))
            assert np.all(run.V[t + 1] - run.V[t] >= (1 - mdp.gamma) / eta * logZ - 1e-11)
            assert logZ.min() >= -1e-11
        assert np.diff(run.V, axis=0).min() >= -1e-12


def test_b3_large_step_npg_is_policy_iteration():
    mdp = envs.random_mdp(8, 4, seed=3, gamma=0.9)
    Q = pgbook.q_value(mdp, pgbook.uniform(mdp))
    top2 = np.sort(Q, axis=1)[:, -2:]
    assert (top2[:, 1] - top2[:, 0]).min() > 1e-3  # the argmax is unique: the limit is one-hot
    pi_pi = al.policy_iteration_run(mdp, pi0=pgbook.uniform(mdp)).pi[1]
    errors = [np.abs(al.npg(mdp, eta, 1).pi[1] - pi_pi).max() for eta in (1.0, 10.0, 100.0, 1e4)]
    assert errors[-1] <= 1e-12 and np.all(np.diff(errors) < 0)


# --- D6: entropy-regularised NPG (Cen et al. Theorem 1) and the sandwich bound ---------------------


@pytest.mark.parametrize("tau", [0.05, 0.2, 1.0])
def test_d6_entropy_npg_linear_rate(tau):
    mdp = envs.random_mdp(8, 4, seed=21, gamma=0.9)
    gamma = mdp.gamma
    Q_opt, log_pi_opt = soft_optimal(mdp, tau)
    theta0 = np.random.default_rng(1).normal(size=(8, 4))
    pi0 = softmax(theta0)
    for fraction in (0.1, 0.5, 1.0):
        eta = fraction * (1 - gamma) / tau
        run = al.entropy_npg(mdp, eta, 60, tau=tau, theta0=theta0, record_every=1)
        C1 = np.abs(Q_opt - soft_q(mdp, pi0, tau)).max() + 2 * tau * (1 - eta * tau / (1 - gamma)) * np.abs(
            log_pi_opt - np.log(pi0)).max()
        for t in range(60):
            pi_next = run.pi[t + 1]
            rate = (1 - eta * tau) ** t
            assert np.abs(Q_opt - soft_q(mdp, pi_next, tau)).max() <= C1 * gamma * rate + 1e-10
            assert np.abs(log_pi_opt - np.log(pi_next)).max() <= 2 * C1 / tau * rate + 1e-9
    # Sandwich (Cen et al. (12)): V* - tau log|A|/(1 - gamma) <= V^{pi*_tau} <= V*.
    V_opt, V_tau = v_star(mdp) @ mdp.rho, pgbook.evaluate(mdp, np.exp(log_pi_opt)).V_rho
    assert V_opt - tau * np.log(4) / (1 - gamma) <= V_tau <= V_opt + 1e-12


def test_soft_policy_iteration_bandit_converges_in_one_step():
    """Cen et al. Prop. 1: gamma = 0 and eta = 1/tau give pi* propto exp(r/tau) after one step."""
    bandit = envs.bandit([1.0, 0.9, 0.1])
    run = al.entropy_npg(bandit, 1 / 0.1, 1, tau=0.1)
    assert np.abs(run.pi[1, 0] - softmax(np.array([1.0, 0.9, 0.1]) / 0.1)).max() <= 1e-12


# --- D7: PMD with geometric steps (Xiao 2022, Theorem 10) -------------------------------------------


def test_d7_pmd_geometric_linear_rate():
    mdp = envs.random_mdp(8, 4, seed=7, gamma=0.9)
    gamma = mdp.gamma
    pi_opt, V_opt = pgbook.policy_iteration(mdp)
    d_opt = pgbook.visitation(mdp, pi_opt)
    vartheta = (d_opt / mdp.rho).max() / (1 - gamma)
    D0 = np.log(4)
    eta0 = (1 - gamma) / gamma * D0
    run = al.pmd_geometric(mdp, eta0, 150)
    gap = V_opt @ mdp.rho - run.V_rho
    k = np.arange(151)
    bound = (1 - 1 / vartheta) ** k * (gap[0] + D0 / (gamma * eta0))
    assert np.all(gap <= bound + 1e-12)
    assert gap[60] <= 1e-10
    constant = al.npg(mdp, (1 - gamma) * eta0, 60)
    assert V_opt @ mdp.rho - constant.V_rho[60] > 1e3 * gap[60]


# --- B7: CPI's improvement bound -------------------------------------------------------------------


@pytest.mark.parametrize("alpha", [0.01, 0.05, 0.2, None])
def test_b7_cpi_improvement_lower_bound(alpha):
    mdp = envs.random_mdp(7, 3, seed=8, gamma=0.9, random_rho=True)
    gamma = mdp.gamma
    run = al.cpi(mdp, 50, alpha=alpha, record_every=1)
    for t in range(50):
        ev = pgbook.evaluate(mdp, run.pi[t])
        gain = ev.d @ ev.adv.max(axis=1)
        a = run.trace["alpha"][t]
        assert abs(run.trace["greedy_advantage"][t] - gain) <= 1e-12
        assert run.V_rho[t + 1] - run.V_rho[t] >= a / (1 - gamma) * (gain - 2 * a * gamma / (1 - gamma) ** 2) - 1e-12
        if alpha is None:
            assert run.V_rho[t + 1] - run.V_rho[t] >= gain**2 * (1 - gamma) / (8 * gamma) - 1e-12
        d_next = pgbook.visitation(mdp, run.pi[t + 1])
        assert np.abs(d_next - ev.d).sum() <= 2 * a * gamma / (1 - gamma) + 1e-12


# --- C2: projected gradient ascent on the simplex ---------------------------------------------------


def test_c2_projected_ga_ascent_and_bound():
    mdp = envs.random_mdp(6, 3, seed=2, gamma=0.8)
    gamma, S, A = mdp.gamma, mdp.S, mdp.A
    pi_opt, V_opt = pgbook.policy_iteration(mdp)
    D = (pgbook.visitation(mdp, pi_opt) / mdp.rho).max()
    eta = (1 - gamma) ** 3 / (2 * gamma * A)
    run = al.projected_ga(mdp, eta, 2000)
    gap = V_opt @ mdp.rho - run.V_rho
    # eta = 1/beta on a beta-smooth objective: every step ascends.
    assert np.diff(run.V_rho).min() >= -1e-13
    for T in (100, 500, 2000):
        assert gap[: T + 1].min() <= np.sqrt(64 * gamma * S * A * D**2 / ((1 - gamma) ** 6 * T))
    assert gap[-1] < gap[0] / 2


# --- C3 companion: plateau lengths on the chain -----------------------------------------------------


def plateau(fn, H, eta_of_gamma):
    chain = envs.chain(H)
    target = 0.9 * v_star(chain)[0]
    run = fn(chain, eta_of_gamma(chain.gamma), 10**6, until=target)
    assert run.V_rho[-1] >= target
    return run.iterations


@pytest.mark.slow
def test_c3_plateau_npg_linear_softmax_pg_geometric():
    Hs = range(2, 10)
    n_npg = [plateau(al.npg, H, lambda g: (1 - g) ** 2 * np.log(4)) for H in Hs]
    n_pg = [plateau(al.softmax_pg, H, lambda g: 1.0) for H in Hs]
    increments = np.diff(n_npg)
    assert increments.min() >= 1 and increments.max() <= 6  # about 3.5 more iterations per unit of H
    ratios = np.array(n_pg[1:]) / np.array(n_pg[:-1])
    assert ratios[-3:].min() >= 1.8  # softmax PG roughly doubles per unit of H
    assert n_pg[-1] > 40 * n_npg[-1]


def test_c3_plateau_small():
    n_npg = [plateau(al.npg, H, lambda g: (1 - g) ** 2 * np.log(4)) for H in (2, 4, 6)]
    n_pg = [plateau(al.softmax_pg, H, lambda g: 1.0) for H in (2, 4, 6)]
    assert n_npg[2] - n_npg[1] <= 2 * (n_npg[1] - n_npg[0]) and n_npg[2] < 2.5 * n_npg[0]
    assert n_pg[2] / n_pg[1] > n_pg[1] / n_pg[0] > 1.4


# --- E1(a): Q-NPG and log-linear NPG with one-hot features are NPG ----------------------------------


def test_e1a_one_hot_features_reduce_to_tabular_npg():
    mdp = envs.random_mdp(5, 3, seed=4, gamma=0.85, random_rho=True)
    one_hot = np.eye(15).reshape(5, 3, 15)
    eta = 0.7
    tabular = al.npg(mdp, (1 - mdp.gamma) * eta, 40, record_every=1)
    for fn in (al.q_npg, al.loglinear_npg):
        run = fn(mdp, one_hot, eta, 40, record_every=1)
        assert np.abs(run.pi - tabular.pi).max() <= 1e-9
        assert np.abs(run.V_rho - tabular.V_rho).max() <= 1e-9
    fit = al.q_npg(mdp, one_hot, eta, 1)
    assert fit.trace["fit_loss"][0] <= 1e-20  # epsilon_bias = 0 for one-hot features


# --- bad inputs -------------------------------------------------------------------------------------

B = envs.bandit([1.0, 0.5])
EPISODIC = envs.short_corridor()


@pytest.mark.parametrize(
    "fn, kwargs, exc, match",
    [
        (al.softmax_pg, {"mdp": "x"}, TypeError, "mdp: expected a pgbook.MDP"),
        (al.softmax_pg, {"mdp": EPISODIC}, ValueError, "mdp: gamma must be < 1 for the gradient methods"),
        (al.softmax_pg, {"eta": 0.0}, ValueError, "eta: must be a finite number > 0"),
        (al.softmax_pg, {"eta": -1.0}, ValueError, "eta: must be a finite number > 0"),
        (al.softmax_pg, {"eta": np.inf}, ValueError, "eta: must be a finite number > 0"),
        (al.softmax_pg, {"eta": "0.1"}, TypeError, "eta: expected a real number"),
        (al.softmax_pg, {"T": 0}, ValueError, "T: must be a positive integer"),
        (al.softmax_pg, {"T": 10.0}, TypeError, "T: expected a positive integer"),
        (al.softmax_pg, {"T": True}, TypeError, "T: expected a positive integer"),
        (al.softmax_pg, {"record_every": 0}, ValueError, "record_every: must be a positive integer"),
        (al.softmax_pg, {"until": "high"}, TypeError, "until: expected a real number or None"),
        (al.softmax_pg, {"until": np.nan}, TypeError, "until: expected a real number or None"),
        (al.softmax_pg, {"theta0": np.zeros((1, 3))}, ValueError, r"theta0: expected shape \(1, 2\)"),
        (al.softmax_pg, {"theta0": [[np.nan, 0.0]]}, ValueError, "theta0: contains NaN"),
        (al.softmax_pg, {"rho": 3}, ValueError, r"rho: state index must lie in \[0, 1\)"),
        (al.log_barrier_pg, {"lam": 0.0}, ValueError, "lam: must be a finite number > 0"),
        (al.log_barrier_pg, {}, TypeError, "lam"),
        (al.entropy_pg, {"tau": -0.1}, ValueError, "tau: must be a finite number > 0"),
        (al.entropy_npg, {"tau": 0.5, "eta": 2.5}, ValueError, r"eta: must satisfy 0 < eta <= \(1 - gamma\)/tau = 2"),
        (al.entropy_npg, {"tau": 0.0}, ValueError, "tau: must be a finite number > 0"),
        (al.pmd_geometric, {"eta0": 0.0, "eta": None}, ValueError, "eta0: must be a finite number > 0"),
        (al.projected_ga, {"pi0": [[0.7, 0.7]]}, ValueError, "pi0: each row must sum to 1"),
        (al.projected_ga, {"pi0": [[1.2, -0.2]]}, ValueError, "pi0: negative probability"),
        (al.cpi, {"alpha": 1.5, "eta": None}, ValueError, r"alpha: must lie in \(0, 1\]"),
        (al.cpi, {"alpha": 0.0, "eta": None}, ValueError, "alpha: must be a finite number > 0"),
        (al.cpi, {"pi0": np.ones((2, 2)) / 2, "eta": None}, ValueError, r"pi0: expected shape \(1, 2\)"),
        (al.loglinear_npg, {"phi": np.ones((1, 2))}, ValueError, "phi: expected a 3-d array"),
        (al.loglinear_npg, {"phi": np.ones((2, 2, 3))}, ValueError, r"phi: expected shape \(1, 2, \*\)"),
        (al.loglinear_npg, {"phi": np.ones((1, 2, 3)), "theta0": np.zeros(2)}, ValueError,
         r"theta0: expected shape \(3,?\)"),
        (al.q_npg, {"phi": np.ones((1, 2, 3)), "nu": [[0.5, 0.6]]}, ValueError, "nu: must be a distribution over state-action pairs"),
        (al.q_npg, {"phi": np.ones((1, 2, 3)), "nu": [0.5, 0.5]}, ValueError, "nu: expected a 2-d array"),
        (al.policy_iteration_run, {"mdp": 3, "eta": None, "T": None}, TypeError, "mdp: expected a pgbook.MDP"),
        (al.policy_iteration_run, {"rho": [0.5], "eta": None, "T": None}, ValueError, "rho: must sum to 1"),
    ],
)
def test_bad_inputs(fn, kwargs, exc, match):
    kwargs = {"mdp": B, "eta": 0.1, "T": 5, **kwargs}
    kwargs = {k: v for k, v in kwargs.items() if v is not None or k in ("until",)}
    if fn is al.pmd_geometric:
        kwargs.setdefault("eta0", 0.1)
    with pytest.raises(exc, match=match):
        fn(**kwargs)


def _run_parts(**changes):
    """A valid run of 2 iterations with 2 records (0 and 2) on one state and two actions, changed as asked."""
    parts = {"algorithm": "demo", "V_rho": [0.0, 0.5, 1.0], "steps": [0, 2], "pi": np.full((2, 1, 2), 0.5),
             "V": [[0.0], [1.0]], "theta": np.zeros((2, 1, 2)), "trace": {"step": [0.1, 0.1, 0.0]},
             "params": {"eta": 0.1}}
    return {**parts, **changes}


@pytest.mark.parametrize(
    "changes, exc, match",
    [
        ({"algorithm": ""}, TypeError, "algorithm: expected the method's name"),
        ({"V_rho": []}, ValueError, "V_rho: expected at least the first iterate's value"),
        ({"V_rho": [0.0, np.nan, 1.0]}, ValueError, "V_rho: contains NaN"),
        ({"steps": [0, 1]}, ValueError, r"steps: expected increasing iterations from 0 to n = 2"),
        ({"steps": [1, 2]}, ValueError, "steps: expected increasing iterations"),
        ({"steps": [0, 0.5, 2], "pi": np.full((3, 1, 2), 0.5)}, ValueError, "steps: expected increasing iterations"),
        ({"steps": [0, 2, 2], "pi": np.full((3, 1, 2), 0.5)}, ValueError, "steps: expected increasing iterations"),
        ({"pi": np.full((3, 1, 2), 0.5)}, ValueError, r"pi: expected shape \(2, \*, \*\)"),
        ({"pi": np.full((2, 1, 2), 0.6)}, ValueError, "pi: each row must sum to 1"),
        ({"V": [[0.0, 1.0]]}, ValueError, r"V: expected shape \(2, 1\)"),
        ({"theta": np.zeros(2)}, ValueError, r"theta: expected one parameter array per record, shape \(2, ...\)"),
        ({"trace": {"step": [0.1, 0.1]}}, ValueError, r"trace: 'step' expected shape \(3,\)"),
        ({"trace": [0.1, 0.1, 0.0]}, TypeError, "trace: expected a mapping"),
        ({"params": [("eta", 0.1)]}, TypeError, "params: expected a mapping, got list"),
    ],
)
def test_run_checks_its_arguments(changes, exc, match):
    with pytest.raises(exc, match=match):
        al.Run(**_run_parts(**changes))


def test_run_is_read_only_and_keeps_its_arrays():
    theta = np.zeros((2, 1, 2))
    run = al.Run(**_run_parts(theta=theta))
    assert run.theta is theta and not theta.flags.writeable  # frozen in place, not copied
    assert all(not a.flags.writeable for a in (run.V_rho, run.steps, run.pi, run.V, run.trace["step"]))
    with pytest.raises(TypeError):
        run.trace["step"] = np.zeros(3)
    with pytest.raises(TypeError):
        run.params["eta"] = 1.0
    assert run.iterations == 2 and al.Run("demo", [1.0], [0], np.full((1, 1, 2), 0.5), [[1.0]]).theta is None


def kl_mp(theta, theta_next, d):
    """E_{s ~ d} KL(pi_theta || pi_theta_next) in 50-digit arithmetic, from the float logits."""
    import mpmath

    with mpmath.workdps(50):
        total = mpmath.mpf(0)
        for s, weight in enumerate(d):
            a = [mpmath.mpf(float(x)) for x in theta[s]]
            b = [mpmath.mpf(float(x)) for x in theta_next[s]]
            za, zb = mpmath.log(sum(mpmath.exp(x) for x in a)), mpmath.log(sum(mpmath.exp(x) for x in b))
            total += weight * sum(mpmath.exp(x - za) * ((x - za) - (y - zb)) for x, y in zip(a, b))
        return float(total)


@pytest.mark.parametrize("seed", [0, 1])
def test_softmax_pg_kl_moves_as_far_as_npg_along_the_gradient(seed):
    """Every step is along the gradient and has NPG's mean KL, down to divergences of 1e-25 (50 digits)."""
    mdp = envs.random_mdp(4, 3, seed=seed, gamma=0.8)
    theta0 = 3 * np.random.default_rng(seed).normal(size=(4, 3))
    run = al.softmax_pg_kl(mdp, 0.6, 400, theta0=theta0, record_every=1)
    checked = 0
    for t in range(run.iterations):
        theta = run.theta[t]
        pi = softmax(theta)
        d = pgbook.visitation(mdp, pi)
        grad = gradients.softmax_gradient(mdp, theta)
        c = run.trace["eta"][t]
        assert np.abs(run.theta[t + 1] - theta - c * grad).max() <= 1e-9 * max(1.0, np.abs(theta).max())
        target = kl_mp(theta, natural.npg_step(mdp, theta, 0.6), d)
        if target > 1e-25:
            assert abs(kl_mp(theta, theta + c * grad, d) / target - 1) < 1e-8
            checked += 1
    assert checked > 100 and run.V_rho[-1] > v_star(mdp) @ mdp.rho - 1e-6


def test_softmax_pg_kl_escapes_the_corner_where_pg_waits():
    """Near the second-best corner of the bandit PG's own step is hundreds of times too short."""
    bandit, theta0 = envs.bandit([1.0, 0.9, 0.1]), np.log([[0.001, 0.998, 0.001]])
    fair = al.softmax_pg_kl(bandit, 0.3, 1000, theta0=theta0, until=0.95)
    npg_run = al.npg(bandit, 0.3, 1000, theta0=theta0, until=0.95)
    assert 0.8 < fair.iterations / npg_run.iterations < 1.0
    assert al.softmax_pg(bandit, 0.3, 1000, theta0=theta0).V_rho[-1] < 0.91
    assert fair.trace["eta"][0] > 400 * 0.3


@pytest.mark.parametrize("H", [20, 25, 30])
def test_runs_resolve_the_chains_tiny_values(H):
    # V(s0) of the uniform policy is ~3^-H, far below round-off relative to V*: only a solve that
    # never swaps rows keeps it (np.linalg.solve, which pivots on I - gamma P_pi, is 7% off at H = 30).
    mdp = envs.chain(H)
    run = al.softmax_pg(mdp, 1.0, 1, record_every=1)
    V = pgbook.value(mdp, pgbook.uniform(mdp))
    assert abs(run.V_rho[0] / V[0] - 1) < 1e-10
    step = run.theta[1] - run.theta[0]
    grad = gradients.softmax_gradient(mdp, np.zeros((mdp.S, mdp.A)))
    assert np.linalg.norm(step - grad) < 1e-10 * np.linalg.norm(grad)
