"""Every run of pgbook.algorithms against the same iteration written with pgbook's public functions.

The runs are numba loops (pgbook._run_kernels); here each step is redone in plain Python from the
recorded iterate with the public exact functions (``value``, ``softmax_gradient``, ``npg_step``,
``soft_value``, ``compatible_fit``, ...), on random MDPs, and the values, the traced gradients and
objectives, and the next iterate must agree to round-off. Mirror methods are compared on the policy
(their logits are defined up to a constant per state).
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import pgbook
from pgbook import _fit
from pgbook import algorithms as al
from pgbook import softmax

from conftest import distributions, mdps, policies, seeds, thetas

SETTINGS = settings(max_examples=25, deadline=None)
STEPS = 4
TOL = dict(rtol=1e-9, atol=1e-10)


def close(a, b) -> bool:
    return np.allclose(a, b, **TOL)


@st.composite
def cases(draw, min_gamma: float = 0.0):
    """(mdp, theta0, rho, eta): a random MDP (gamma < 0.95), logits, a start distribution, a step."""
    mdp = draw(mdps(max_S=5, max_A=4))
    if mdp.gamma < min_gamma:
        mdp = mdp.replace(gamma=min_gamma)
    return mdp, draw(thetas(mdp)), draw(distributions(mdp.S)), draw(st.floats(0.05, 2.0))


def check_values(mdp, run, rho):
    """Every recorded policy's values, and V(rho) at every step, as pgbook.value computes them."""
    for t in range(run.steps.size):
        V = pgbook.value(mdp, run.pi[t])
        assert close(run.V[t], V)
        assert close(run.V_rho[run.steps[t]], rho @ V)


@SETTINGS
@given(case=cases(), lam=st.floats(0.0, 0.5), tau=st.floats(0.0, 0.5))
def test_gradient_ascent_runs(case, lam, tau):
    """softmax_pg, log_barrier_pg, entropy_pg: theta' = theta + eta * (the public gradient)."""
    mdp, theta0, rho, eta = case
    runs = [
        (al.softmax_pg(mdp, eta, STEPS, theta0=theta0, rho=rho, record_every=1),
         lambda th: pgbook.softmax_gradient(mdp, th, rho), None),
        (al.log_barrier_pg(mdp, eta, STEPS, lam=lam + 1e-3, theta0=theta0, rho=rho, record_every=1),
         lambda th: pgbook.log_barrier_gradient(mdp, th, lam + 1e-3, rho),
         lambda th: pgbook.log_barrier_objective(mdp, th, lam + 1e-3, rho)),
        (al.entropy_pg(mdp, eta, STEPS, tau=tau + 1e-3, theta0=theta0, rho=rho, record_every=1),
         lambda th: pgbook.entropy_regularized_gradient(mdp, th, tau + 1e-3, rho),
         lambda th: rho @ pgbook.soft_value(mdp, softmax(th), tau + 1e-3)),
    ]
    for run, gradient, objective in runs:
        check_values(mdp, run, rho)
        for t in range(STEPS):
            g = gradient(run.theta[t])
            assert close(run.trace["grad_norm"][t], np.linalg.norm(g))
            assert close(run.theta[t + 1], run.theta[t] + eta * g)
            if objective is not None:
                assert close(run.trace["objective"][t], objective(run.theta[t]))


@SETTINGS
@given(case=cases(), tau=st.floats(0.01, 1.0))
def test_mirror_runs(case, tau):
    """npg (npg_step), entropy_npg (Cen et al.'s update with soft_value) and pmd_geometric (q_value)."""
    mdp, theta0, rho, eta = case
    gamma = mdp.gamma
    run = al.npg(mdp, eta, STEPS, theta0=theta0, rho=rho, record_every=1)
    check_values(mdp, run, rho)
    for t in range(STEPS):
        assert close(run.pi[t + 1], softmax(pgbook.npg_step(mdp, run.theta[t], eta)))

    eta_tau = min(eta, (1 - gamma) / tau)
    run = al.entropy_npg(mdp, eta_tau, STEPS, tau=tau, theta0=theta0, rho=rho, record_every=1)
    check_values(mdp, run, rho)
    for t in range(STEPS):
        pi = run.pi[t]
        V_tau = pgbook.soft_value(mdp, pi, tau)
        Q_tau = mdp.r + gamma * mdp.P @ V_tau
        step = eta_tau / (1 - gamma)
        expected = softmax((1 - step * tau) * pgbook.log_softmax(run.theta[t]) + step * Q_tau)
        assert close(run.pi[t + 1], expected)
        assert close(run.trace["objective"][t], rho @ V_tau)

    if gamma > 0.05:
        eta0 = eta / 10
        run = al.pmd_geometric(mdp, eta0, STEPS, theta0=theta0, rho=rho, record_every=1)
        check_values(mdp, run, rho)
        for t in range(STEPS):
            eta_t = eta0 / gamma**t
            assert close(run.trace["eta"][t], eta_t)
            assert close(run.pi[t + 1], softmax(run.theta[t] + eta_t * pgbook.q_value(mdp, run.pi[t])))


@SETTINGS
@given(mdp=mdps(max_S=5, max_A=4, min_A=2), data=st.data(), eta=st.floats(0.01, 1.0),
       alpha=st.none() | st.floats(0.05, 1.0))
def test_direct_runs(mdp, data, eta, alpha):
    """projected_ga (project_simplex of a direct_gradient step) and cpi (mixing in greedy(advantage))."""
    pi0, rho = data.draw(policies(mdp)), data.draw(distributions(mdp.S))
    run = al.projected_ga(mdp, eta, STEPS, pi0=pi0, rho=rho, record_every=1)
    check_values(mdp, run, rho)
    for t in range(STEPS):
        g = pgbook.direct_gradient(mdp, run.pi[t], rho)
        assert close(run.trace["grad_norm"][t], np.linalg.norm(g))
        assert close(run.pi[t + 1], pgbook.project_simplex(run.pi[t] + eta * g))

    run = al.cpi(mdp, STEPS, alpha=alpha, pi0=pi0, rho=rho, record_every=1)
    check_values(mdp, run, rho)
    for t in range(STEPS):
        pi = run.pi[t]
        adv = pgbook.advantage(mdp, pi)
        gain = pgbook.visitation(mdp, pi, rho) @ adv.max(axis=1)
        if alpha is not None:
            a = alpha
        else:
            # min(1, gain (1 - gamma)^2 / (4 gamma)), written so that a subnormal gamma cannot overflow.
            step = gain * (1 - mdp.gamma) ** 2
            a = 1.0 if step >= 4 * mdp.gamma else step / (4 * mdp.gamma)
        assert close(run.trace["greedy_advantage"][t], gain)
        assert close(run.trace["alpha"][t], a)
        # greedy() breaks ties towards the lowest action, as the run does; exact ties need equal Q.
        assert close(run.pi[t + 1], (1 - a) * pi + a * pgbook.greedy(pgbook.q_value(mdp, pi)))


@SETTINGS
@given(case=cases(min_gamma=0.1), dim=st.integers(1, 3), seed=seeds)
def test_loglinear_runs(case, dim, seed):
    """loglinear_npg (compatible_fit) and q_npg (the fit of Q under the state-action visitation from nu)."""
    mdp, _, rho, eta = case
    rng = np.random.default_rng(seed)
    phi = rng.standard_normal((mdp.S, mdp.A, dim))
    theta0 = rng.standard_normal(dim)
    run = al.loglinear_npg(mdp, phi, eta, STEPS, theta0=theta0, rho=rho, record_every=1)
    check_values(mdp, run, rho)
    for t in range(STEPS):
        w = pgbook.compatible_fit(mdp, run.theta[t], phi, rho)
        assert close(run.pi[t], pgbook.loglinear(run.theta[t], phi))
        assert close(run.trace["w_norm"][t], np.linalg.norm(w))
        assert close(run.theta[t + 1], run.theta[t] + eta * w)

    nu = rng.dirichlet(np.ones(mdp.S * mdp.A)).reshape(mdp.S, mdp.A)
    run = al.q_npg(mdp, phi, eta, STEPS, nu=nu, theta0=theta0, rho=rho, record_every=1)
    check_values(mdp, run, rho)
    for t in range(STEPS):
        pi = run.pi[t]
        # d_nu(s, a) = (1 - gamma) nu(s, a) + gamma d^pi_{mu1}(s) pi(a|s), mu1 = the law of s_1.
        mu1 = np.einsum("sa,sat->t", nu, mdp.P)
        d_nu = (1 - mdp.gamma) * nu + mdp.gamma * pgbook.visitation(mdp, pi, mu1 / mu1.sum())[:, None] * pi
        root = np.sqrt(d_nu)
        # The minimum-norm fit as a pseudo-inverse, with the runs' cutoff: a rank-deficient fit has
        # many minimisers, and only the minimum-norm one is the documented step.
        X = (root[:, :, None] * phi).reshape(-1, dim)
        w = np.linalg.pinv(X, rcond=_fit.RCOND) @ (root * pgbook.q_value(mdp, pi)).ravel()
        assert close(run.theta[t + 1], run.theta[t] + eta * w)


def test_entropy_objective_is_one_definition_with_terminal_states():
    """The gridworld has terminal states, which earn no entropy: the runs' objective, their first step
    and entropy_npg's limit are those of soft_value and entropy_regularized_gradient."""
    grid = pgbook.envs.gridworld()
    tau, eta = 0.5, 0.05
    theta0 = np.zeros((grid.S, grid.A))
    V_tilde = grid.rho @ pgbook.soft_value(grid, pgbook.uniform(grid), tau)
    assert abs(V_tilde - 6.8235) < 1e-4  # with entropy on the terminal states it would be 6.9349
    run = al.entropy_pg(grid, eta, 1, tau=tau, record_every=1)
    assert close(run.trace["objective"][0], V_tilde)
    assert close(run.theta[1], theta0 + eta * pgbook.entropy_regularized_gradient(grid, theta0, tau))
    limit = al.entropy_npg(grid, (1 - grid.gamma) / tau, 300, tau=tau).theta[-1]
    assert np.abs(pgbook.entropy_regularized_gradient(grid, limit, tau)).max() < 1e-10
