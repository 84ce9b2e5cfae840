"""The neural policy (pgbook.theory.neural): backpropagated scores and policy gradients against finite
differences, and the network's special cases, the log-linear and softmax policies."""

import numpy as np
import pytest
from conftest import central_difference, mdps, seeds
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import pgbook
from pgbook import envs, features
from pgbook.theory import neural

SETTINGS = settings(max_examples=30, deadline=None)


def random_case(seed, S=5, A=3, dim=4, hidden=6, scale=1.5):
    rng = np.random.default_rng(seed)
    phi = rng.standard_normal((S, A, dim))
    theta = neural.init(dim, hidden, seed=seed, scale=scale)
    theta = theta + 0.3 * rng.standard_normal(theta.size)  # non-zero b too
    return theta, phi


def loop_logits(theta, phi, activation="tanh"):
    """f(s, a) one pair at a time, straight from the definition: an independent forward pass."""
    dim = phi.shape[2]
    hidden = theta.size // (dim + 2)
    W = theta[: hidden * dim].reshape(hidden, dim)
    b = theta[hidden * dim: hidden * (dim + 1)]
    w = theta[hidden * (dim + 1):]
    act = np.tanh if activation == "tanh" else (lambda z: z)
    return np.array([[w @ act(W @ phi[s, a] + b) for a in range(phi.shape[1])] for s in range(phi.shape[0])])


@SETTINGS
@given(seed=seeds, activation=st.sampled_from(neural.ACTIVATIONS))
def test_forward_pass_matches_the_definition(seed, activation):
    theta, phi = random_case(seed)
    f = neural.logits(theta, phi, activation)
    assert np.allclose(f, loop_logits(theta, phi, activation), rtol=0, atol=1e-13)
    pi = neural.policy(theta, phi, activation)
    expected = np.exp(f) / np.exp(f).sum(axis=1, keepdims=True)
    assert np.allclose(pi, expected, rtol=0, atol=1e-14)


@SETTINGS
@given(seed=seeds, activation=st.sampled_from(neural.ACTIVATIONS))
def test_score_matches_finite_differences(seed, activation):
    theta, phi = random_case(seed)
    scores = neural.grad_log_pi(theta, phi, activation)
    assert scores.shape == phi.shape[:2] + theta.shape
    for s in range(phi.shape[0]):
        for a in range(phi.shape[1]):
            fd = central_difference(lambda th: np.log(loop_pi(th, phi, activation)[s, a]), theta)
            assert np.allclose(scores[s, a], fd, rtol=0, atol=1e-8)


def loop_pi(theta, phi, activation):
    f = loop_logits(theta, phi, activation)
    e = np.exp(f - f.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@SETTINGS
@given(seed=seeds, activation=st.sampled_from(neural.ACTIVATIONS))
def test_backward_is_the_gradient_of_the_weighted_scores(seed, activation):
    theta, phi = random_case(seed)
    G = np.random.default_rng(seed + 1).standard_normal(phi.shape[:2])
    grad = neural.backward(theta, phi, G, activation)
    fd = central_difference(lambda th: float((G * loop_logits(th, phi, activation)).sum()), theta)
    # Central differences lose about eps * |f| / h to round-off, so the tolerance scales with the entries.
    assert np.allclose(grad, fd, rtol=1e-7, atol=1e-7)


@SETTINGS
@given(mdp=mdps(max_S=5, max_A=4, min_A=2), seed=seeds)
def test_policy_gradient_matches_finite_differences_of_the_value(mdp, seed):
    rng = np.random.default_rng(seed)
    phi = rng.standard_normal((mdp.S, mdp.A, 3))
    theta = neural.init(3, 4, seed=seed, scale=2.0)
    rho = rng.dirichlet(np.ones(mdp.S))
    grad = neural.gradient(mdp, theta, phi, rho=rho)
    fd = central_difference(lambda th: rho @ pgbook.value(mdp, loop_pi(th, phi, "tanh")), theta)
    assert np.allclose(grad, fd, rtol=0, atol=1e-7)


def test_policy_gradient_on_the_gridworld_equals_the_q_form():
    """A second formula: (1/(1-gamma)) E_{d, pi}[Q grad log pi], with the scores from grad_log_pi."""
    grid = envs.gridworld()
    phi = features.position_move(grid)
    theta = neural.init(4, 8, seed=3)
    pi = neural.policy(theta, phi)
    d = pgbook.visitation(grid, pi)
    weights = d[:, None] * pi * pgbook.q_value(grid, pi) / (1 - grid.gamma)
    q_form = np.einsum("sa,san->n", weights, neural.grad_log_pi(theta, phi))
    assert np.allclose(neural.gradient(grid, theta, phi), q_form, rtol=0, atol=1e-14)


@SETTINGS
@given(mdp=mdps(max_S=5, max_A=4, min_A=2), seed=seeds)
def test_linear_network_is_the_log_linear_policy(mdp, seed):
    rng = np.random.default_rng(seed)
    dim = 3
    phi = rng.standard_normal((mdp.S, mdp.A, dim))
    theta = neural.init(dim, 5, seed=seed, scale=1.0)
    W, b, w = neural.unpack(theta, dim)
    theta_lin = W.T @ w
    assert np.allclose(neural.policy(theta, phi, "linear"), pgbook.loglinear(theta_lin, phi), rtol=0, atol=1e-14)
    # The chain rule through theta_lin = W^T w: dV/dw = W dV/dtheta_lin.
    g_lin = pgbook.loglinear_gradient(mdp, theta_lin, phi)
    g_w = neural.gradient(mdp, theta, phi, activation="linear")[-w.size:]
    assert np.allclose(g_w, W @ g_lin, rtol=0, atol=1e-12)


def test_linear_network_on_one_hot_features_is_the_softmax_policy():
    mdp = envs.random_mdp(4, 3, seed=0)
    phi = features.one_hot(mdp)
    theta = neural.init(phi.shape[2], 2, seed=1, scale=3.0)
    W, b, w = neural.unpack(theta, phi.shape[2])
    logits = (W.T @ w).reshape(mdp.S, mdp.A)
    assert np.allclose(neural.policy(theta, phi, "linear"), pgbook.softmax(logits), rtol=0, atol=1e-14)
    # The softmax score 1[s = s'](1[a = a'] - pi(a'|s)), pulled back through theta_lin = W^T w.
    pi = pgbook.softmax(logits)
    scores = neural.grad_log_pi(theta, phi, "linear")[:, :, -w.size:]
    eye = np.eye(mdp.A)
    for s in range(mdp.S):
        for a in range(mdp.A):
            softmax_score = np.zeros((mdp.S, mdp.A))
            softmax_score[s] = eye[a] - pi[s]
            assert np.allclose(scores[s, a], W @ softmax_score.ravel(), rtol=0, atol=1e-13)
    # ... and the policy gradient: dV/dw = W vec(dV/dtheta_softmax).
    g_w = neural.gradient(mdp, theta, phi, activation="linear")[-w.size:]
    assert np.allclose(g_w, W @ pgbook.softmax_gradient(mdp, logits).ravel(), rtol=0, atol=1e-12)


def test_init_is_seeded_and_scaled():
    a, b = neural.init(4, 8, seed=5), neural.init(4, 8, seed=5)
    assert np.array_equal(a, b) and a.size == neural.size(4, 8) == 48
    assert not np.array_equal(a, neural.init(4, 8, seed=6))
    W, b_, w = neural.unpack(a, 4)
    assert W.shape == (8, 4) and b_.shape == (8,) and w.shape == (8,)
    assert np.all(b_ == 0)
    assert np.all(neural.init(4, 8, seed=5, scale=0.0) == 0)
    # Zero parameters give the uniform policy.
    phi = np.random.default_rng(0).standard_normal((3, 5, 4))
    assert np.allclose(neural.policy(np.zeros(48), phi), 0.2, rtol=0, atol=1e-15)


def test_unpack_lays_out_W_then_b_then_w():
    theta = np.arange(12.0)
    W, b, w = neural.unpack(theta, 2)  # hidden = 3
    assert np.array_equal(W, [[0, 1], [2, 3], [4, 5]])
    assert np.array_equal(b, [6, 7, 8]) and np.array_equal(w, [9, 10, 11])


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda phi: neural.policy(np.zeros(7), phi), "theta: expected hidden"),
        (lambda phi: neural.policy(np.zeros((2, 6)), phi), "theta: expected a 1-d"),
        (lambda phi: neural.policy(np.zeros(6), phi[0]), "phi: expected a 3-d"),
        (lambda phi: neural.policy(np.zeros(6), phi, activation="relu"), "activation"),
        (lambda phi: neural.policy(np.full(6, np.nan), phi), "theta: contains NaN"),
        (lambda phi: neural.backward(np.zeros(6), phi, np.zeros((3, 3))), "G: expected shape"),
        (lambda phi: neural.init(0, 3, seed=0), "dim"),
        (lambda phi: neural.init(4, 3, seed=-1), "seed"),
        (lambda phi: neural.init(4, 3, seed=0, scale=-1.0), "scale"),
        (lambda phi: neural.policy(np.zeros(6), np.zeros((3, 0, 4))), "phi: expected shape"),
    ],
)
def test_bad_input_names_the_argument(call, match):
    phi = np.zeros((3, 2, 4))
    with pytest.raises((ValueError, TypeError), match=match):
        call(phi)


def test_gradient_checks_the_mdp_and_features():
    grid = envs.gridworld()
    phi = features.position_move(grid)
    with pytest.raises(ValueError, match="phi"):
        neural.gradient(grid, np.zeros(6), phi[:3])
    with pytest.raises(ValueError, match="gamma"):
        neural.gradient(envs.gridworld(gamma=1.0), np.zeros(6), phi)
    with pytest.raises(TypeError, match="mdp"):
        neural.gradient("grid", np.zeros(6), phi)


@SETTINGS
@given(mdp=mdps(max_S=5, max_A=4, min_A=2), seed=seeds)
def test_compatible_fit_solves_the_fisher_normal_equations(mdp, seed):
    """F w = (1 - gamma) grad V with F the Fisher information built from finite-difference scores."""
    rng = np.random.default_rng(seed)
    phi = rng.standard_normal((mdp.S, mdp.A, 2))
    theta = neural.init(2, 3, seed=seed)
    w = neural.compatible_fit(mdp, theta, phi)
    # a nearly singular Fisher matrix gives a huge w, and the finite-difference scores' error (~1e-10)
    # times |w| would exceed the tolerance: the identity is checked where differences resolve it
    assume(np.abs(w).max() < 1e3)
    pi = neural.policy(theta, phi)
    scores = np.stack([central_difference(lambda th: np.log(neural.policy(th, phi))[s, a], theta)
                       for s in range(mdp.S) for a in range(mdp.A)]).reshape(mdp.S, mdp.A, -1)
    weights = pgbook.visitation(mdp, pi)[:, None] * pi
    F = np.einsum("sa,sai,saj->ij", weights, scores, scores)
    grad = central_difference(lambda th: mdp.rho @ pgbook.value(mdp, neural.policy(th, phi)), theta)
    assert np.allclose(F @ w, (1 - mdp.gamma) * grad, rtol=0, atol=1e-6)


def test_npg_steps_are_the_compatible_fits_and_improve_the_walk():
    walk = envs.walk()
    phi = features.walk_features(walk, "position")
    theta0 = neural.init(4, 4, seed=2)
    thetas = neural.npg(walk, theta0, phi, 0.3, 5)
    assert thetas.shape == (6, neural.size(4, 4)) and np.array_equal(thetas[0], theta0)
    for t in range(5):
        assert np.allclose(thetas[t + 1], thetas[t] + 0.3 * neural.compatible_fit(walk, thetas[t], phi), rtol=0, atol=1e-14)
    V = [pgbook.value(walk, neural.policy(th, phi))[0] for th in thetas]
    assert np.all(np.diff(V) > 0)


def test_smoothness_is_the_largest_hessian_norm_of_log_pi():
    """Against the Hessians from second differences of log pi itself."""
    theta, phi = random_case(3, S=3, A=2, dim=2, hidden=2)
    h, n = 1e-4, theta.size
    I = np.eye(n) * h

    def log_pi(th):
        return np.log(neural.policy(th, phi))

    H = np.empty((3, 2, n, n))
    for i in range(n):
        for j in range(n):
            H[..., i, j] = (log_pi(theta + I[i] + I[j]) - log_pi(theta + I[i] - I[j]) - log_pi(theta - I[i] + I[j])
                            + log_pi(theta - I[i] - I[j])) / (4 * h * h)
    assert neural.smoothness(theta, phi) == pytest.approx(np.abs(np.linalg.eigvalsh(H)).max(), rel=1e-5)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda walk, phi: neural.npg(walk, np.zeros(24), phi, 0.0, 5), "eta"),
        (lambda walk, phi: neural.npg(walk, np.zeros(24), phi, 0.1, 0), "T"),
        (lambda walk, phi: neural.npg(walk, np.zeros(23), phi, 0.1, 5), "theta"),
        (lambda walk, phi: neural.compatible_fit(walk, np.zeros(24), phi[:3]), "phi"),
        (lambda walk, phi: neural.smoothness(np.zeros(24), phi, h=0.0), "h"),
    ],
)
def test_npg_and_smoothness_reject_bad_input(call, match):
    walk = envs.walk()
    with pytest.raises((ValueError, TypeError), match=match):
        call(walk, features.walk_features(walk, "position"))


def test_compatible_fit_is_the_minimum_norm_minimiser():
    """Two copies of one hidden unit make a direction that changes no output; the minimum-norm fit splits the
    step evenly between the copies, and so has no component along it."""
    mdp = envs.random_mdp(3, 2, seed=4)
    rng = np.random.default_rng(4)
    phi = rng.standard_normal((3, 2, 2))
    W, b, w = neural.unpack(neural.init(2, 2, seed=4), 2)
    W[1], b[1], w[1] = W[0], b[0], w[0]  # unit 1 copies unit 0
    fit = neural.compatible_fit(mdp, np.concatenate([W.ravel(), b, w]), phi)
    Wf, bf, wf = neural.unpack(fit, 2)
    assert np.allclose(Wf[0], Wf[1], rtol=0, atol=1e-10) and np.allclose(wf[0], wf[1], rtol=0, atol=1e-10)
    assert np.isclose(bf[0], bf[1], rtol=0, atol=1e-10)
