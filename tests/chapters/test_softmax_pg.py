"""Chapter "Convergence of softmax policy gradient" (book/convergence/softmax_pg.md): every check on the page.

One test per visible check, in page order, each recomputing the claim with pgbook and comparing it
with an independent computation: second differences of a plain numpy value instead of
``pg_rates.hessian``, a numpy policy-gradient loop instead of the numba run, finite-difference
gradients, value iteration for V*, the gradient-flow ODE (scipy) for the plateau, the soft
performance-difference identity (Mei et al. Lemma 26) for the soft gap.

The long runs (10^5-10^6 iterations) are marked slow: they need numba's compiled loops.
"""

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import pgbook
from pgbook import algorithms, envs, pg_rates

MDP = envs.random_mdp(6, 3, seed=0, gamma=0.8)
BANDIT = envs.bandit([1.0, 0.9, 0.1])
ETA_BANDIT = 0.4


# --- independent computations ------------------------------------------------------------------


def softmax_np(theta):
    p = np.exp(theta - theta.max(axis=-1, keepdims=True))
    return p / p.sum(axis=-1, keepdims=True)


def value_np(mdp, pi):
    P_pi = np.einsum("sa,sat->st", pi, mdp.P)
    return np.linalg.solve(np.eye(mdp.S) - mdp.gamma * P_pi, (pi * mdp.r).sum(axis=1))


def visitation_np(mdp, pi, rho):
    P_pi = np.einsum("sa,sat->st", pi, mdp.P)
    return (1 - mdp.gamma) * np.linalg.solve((np.eye(mdp.S) - mdp.gamma * P_pi).T, rho)


def V_star_np(mdp, sweeps=3000):
    V = np.zeros(mdp.S)
    for _ in range(sweeps):
        V = (mdp.r + mdp.gamma * mdp.P @ V).max(axis=1)
    return V


def fd_gradient(f, theta, h=1e-6):
    g = np.zeros(theta.shape)
    for idx in np.ndindex(theta.shape):
        e = np.zeros(theta.shape)
        e[idx] = h
        g[idx] = (f(theta + e) - f(theta - e)) / (2 * h)
    return g


def pg_numpy(mdp, eta, T, theta0=None):
    """Softmax PG written out in numpy: the gradient by the advantage formula, evaluated afresh."""
    theta = np.zeros((mdp.S, mdp.A)) if theta0 is None else theta0.copy()
    V_rho = []
    for _ in range(T):
        pi = softmax_np(theta)
        V = value_np(mdp, pi)
        adv = mdp.r + mdp.gamma * mdp.P @ V - V[:, None]
        V_rho.append(V @ mdp.rho)
        theta = theta + eta * visitation_np(mdp, pi, mdp.rho)[:, None] / (1 - mdp.gamma) * pi * adv
    return np.array(V_rho), theta


@pytest.fixture(scope="module")
def pg_run():
    return algorithms.softmax_pg(MDP, (1 - MDP.gamma) ** 3 / 8, 200_000)


# --- the checks --------------------------------------------------------------------------------


def test_hessian_below_smoothness_constant():
    """Largest |eigenvalue| of the Hessian, here from second differences of a numpy value, <= 8/(1-γ)³."""
    rng = np.random.default_rng(0)
    h = 1e-4
    for gamma in (0.5, 0.7, 0.8, 0.9):
        small = envs.random_mdp(3, 3, seed=1, gamma=gamma)

        def f(th):
            return value_np(small, softmax_np(th)) @ small.rho

        for _ in range(8):
            theta = rng.normal(0, 2, (3, 3))
            n = theta.size
            E = np.eye(n).reshape(n, 3, 3) * h
            H = np.array([[(f(theta + E[i] + E[j]) - f(theta + E[i] - E[j]) - f(theta - E[i] + E[j])
                            + f(theta - E[i] - E[j])) / (4 * h * h) for j in range(n)] for i in range(n)])
            assert np.allclose(H, pg_rates.hessian(small, theta), atol=1e-5)
            assert np.abs(np.linalg.eigvalsh((H + H.T) / 2)).max() <= 8 / (1 - gamma) ** 3


@pytest.mark.slow
def test_values_never_decrease(pg_run):
    """Every state's value is non-decreasing along the run (recorded and re-evaluated in numpy)."""
    V = np.array([value_np(MDP, pi) for pi in pg_run.pi])
    assert np.allclose(V, pg_run.V, atol=1e-10)
    assert (np.diff(V, axis=0) >= 0).all()
    # The first 300 iterations, every one, against the numpy loop.
    V_np, _ = pg_numpy(MDP, (1 - MDP.gamma) ** 3 / 8, 300)
    assert np.allclose(V_np, pg_run.V_rho[:300], atol=1e-10)
    assert (np.diff(V_np) >= 0).all()


@pytest.mark.slow
def test_most_likely_actions_are_optimal(pg_run):
    """The final policy's argmax against the greedy policy of value iteration's V*."""
    V_star = V_star_np(MDP)
    a_star = (MDP.r + MDP.gamma * MDP.P @ V_star).argmax(axis=1)
    assert np.array_equal(pg_run.pi[-1].argmax(axis=1), a_star)
    # Every state's gap has shrunk by a factor of more than 50 from the uniform start.
    gaps = V_star - np.array([value_np(MDP, pi) for pi in pg_run.pi[[0, -1]]])
    assert (gaps[1] < gaps[0] / 50).all()


@pytest.mark.slow
def test_nl_inequality_along_the_run(pg_run):
    """Mei et al. Lemma 8 at recorded iterates, the gradient by finite differences of a numpy value."""
    V_star = V_star_np(MDP)
    a_star = (MDP.r + MDP.gamma * MDP.P @ V_star).argmax(axis=1)
    d_star = visitation_np(MDP, np.eye(MDP.A)[a_star], MDP.rho)
    for theta in pg_run.theta[::50]:
        pi = softmax_np(theta)
        grad = fd_gradient(lambda th: value_np(MDP, softmax_np(th)) @ MDP.rho, theta)
        C = pi[np.arange(MDP.S), a_star].min() / (np.sqrt(MDP.S) * (d_star / visitation_np(MDP, pi, MDP.rho)).max())
        assert C == pytest.approx(pg_rates.nl_coefficient(MDP, theta), rel=1e-8)
        assert np.linalg.norm(grad) >= C * (V_star @ MDP.rho - value_np(MDP, pi) @ MDP.rho)


@pytest.mark.slow
def test_gap_below_mei_bound(pg_run):
    """Mei et al. Theorem 4, the bound's constants recomputed in numpy, the gap against value iteration."""
    V_star = V_star_np(MDP)
    a_star = (MDP.r + MDP.gamma * MDP.P @ V_star).argmax(axis=1)
    mu = MDP.rho
    D = (visitation_np(MDP, np.eye(MDP.A)[a_star], mu) / mu).max()
    c = pg_run.pi[1:, np.arange(MDP.S), a_star].min()
    t = np.arange(1, pg_run.V_rho.size)
    bound = 16 * MDP.S * D**2 / (c**2 * (1 - MDP.gamma) ** 6 * t) * (1 / mu).max()
    assert np.allclose(bound, pg_rates.mei_rate_bound(MDP, t, c), rtol=1e-9)
    assert (V_star @ mu - pg_run.V_rho[1:] <= bound).all()


@pytest.mark.slow
def test_t_gap_converges_to_its_constant():
    """t·gap -> (|A| - 1)/(|A| η), the closed form, on three arms and on two (1/(2η))."""
    run = algorithms.softmax_pg(BANDIT, ETA_BANDIT, 1_000_000)
    assert 1e6 * (1.0 - run.V_rho[-1]) == pytest.approx(2 / (3 * ETA_BANDIT), abs=2e-3)
    two = algorithms.softmax_pg(envs.bandit([1.0, 0.5]), ETA_BANDIT, 1_000_000)
    assert 1e6 * (1.0 - two.V_rho[-1]) == pytest.approx(1 / (2 * ETA_BANDIT), abs=2e-3)


@pytest.mark.slow
def test_plateau_length_proportional_to_one_over_p0():
    """The run's escape time against the gradient-flow ODE's, and flow time x p0 constant."""
    r = np.array([1.0, 0.9, 0.1])

    def flow(s, theta):
        p = softmax_np(theta)
        return p * (r - p @ r)

    def escaped(s, theta):
        return softmax_np(theta) @ r - 0.95

    escaped.terminal = True
    scaled = []
    for p0 in (3e-3, 1e-3, 3e-4):
        theta0 = np.log([p0, 1 - 2 * p0, p0])
        sol = solve_ivp(flow, (0, 1e6), theta0, events=escaped, rtol=1e-10, atol=1e-12, method="LSODA")
        t_flow = sol.t_events[0][0] / ETA_BANDIT
        run = algorithms.softmax_pg(BANDIT, ETA_BANDIT, 400_000, theta0=theta0[None], until=0.95)
        n = run.V_rho.size - 1
        assert n == pytest.approx(t_flow, rel=2e-3)
        scaled.append(t_flow * p0)
    scaled = np.array(scaled)
    assert np.abs(scaled / scaled.mean() - 1).max() < 0.01


@pytest.fixture(scope="module")
def barrier_run():
    lam = 0.1
    beta = 8 / (1 - MDP.gamma) ** 3 + 2 * lam / MDP.S
    return lam, algorithms.log_barrier_pg(MDP, 1 / beta, 300_000, lam=lam)


def stationary_iterates(lam, run):
    """Recorded iterates with ||grad L_lambda|| <= lambda/(2SA), the gradient by finite differences."""
    def L(th):
        return value_np(MDP, softmax_np(th)) @ MDP.rho + lam / th.size * np.log(softmax_np(th)).sum() + lam * np.log(MDP.A)

    tol = lam / (2 * MDP.S * MDP.A)
    # Only iterates near the threshold need the (slow) finite differences; the rest are far from it.
    exact = np.array([np.linalg.norm(pgbook.log_barrier_gradient(MDP, th, lam)) for th in run.theta])
    near = np.abs(exact - tol) < 0.2 * tol
    assert near.any()
    for k in np.flatnonzero(near)[::10]:
        assert np.linalg.norm(fd_gradient(L, run.theta[k])) == pytest.approx(exact[k], rel=1e-6)
    return exact <= tol


@pytest.mark.slow
def test_log_barrier_gap_below_theorem_bound(barrier_run):
    lam, run = barrier_run
    ok = stationary_iterates(lam, run)
    assert ok.any()
    V_star = V_star_np(MDP)
    a_star = (MDP.r + MDP.gamma * MDP.P @ V_star).argmax(axis=1)
    D = (visitation_np(MDP, np.eye(MDP.A)[a_star], MDP.rho) / MDP.rho).max()
    gaps = V_star @ MDP.rho - np.array([value_np(MDP, pi) @ MDP.rho for pi in run.pi[ok]])
    assert (gaps <= 2 * lam / (1 - MDP.gamma) * D).all()


@pytest.mark.slow
def test_log_barrier_needs_fewer_iterations_than_corollary(barrier_run):
    lam, run = barrier_run
    ok = stationary_iterates(lam, run)
    V_star = V_star_np(MDP)
    a_star = (MDP.r + MDP.gamma * MDP.P @ V_star).argmax(axis=1)
    D = (visitation_np(MDP, np.eye(MDP.A)[a_star], MDP.rho) / MDP.rho).max()
    eps = 2 * lam / (1 - MDP.gamma) * D
    T_cor = 320 * MDP.S**2 * MDP.A**2 * D**2 / ((1 - MDP.gamma) ** 6 * eps**2)
    assert run.steps[ok][0] <= T_cor
    # Cor 5.1's claim itself: the best gap before T_cor is at most eps.
    assert (V_star @ MDP.rho - run.V_rho).min() <= eps


@pytest.mark.slow
def test_entropy_pg_soft_gap_decays_geometrically():
    """The soft gap by Mei et al. Lemma 26 (KL to a numpy soft-VI optimum) shrinks by >= 1.5 per 20 000 steps."""
    tau = 0.3
    eta = (1 - MDP.gamma) ** 3 / (8 + tau * (4 + 8 * np.log(MDP.A)))
    run = algorithms.entropy_pg(MDP, eta, 200_000, tau=tau)
    V = np.zeros(MDP.S)
    for _ in range(3000):
        Q = MDP.r + MDP.gamma * MDP.P @ V
        V = tau * np.log(np.exp(Q / tau).sum(axis=1))
    pi_tau = softmax_np((MDP.r + MDP.gamma * MDP.P @ V) / tau)
    soft_gap = []
    for pi in run.pi:
        kl = (pi * (np.log(pi) - np.log(pi_tau))).sum(axis=1)
        soft_gap.append(visitation_np(MDP, pi, MDP.rho) @ (tau * kl) / (1 - MDP.gamma))
    soft_gap = np.array(soft_gap)
    direct = V @ MDP.rho - np.array([pgbook.soft_value(MDP, pi, tau) @ MDP.rho for pi in run.pi])
    assert np.allclose(soft_gap, direct, atol=1e-9)
    ratio = soft_gap[100:] / soft_gap[:-100]
    assert (ratio[500:] <= 1 / 1.5).all()
