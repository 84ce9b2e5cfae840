r"""Fast trajectory sampling and sampled policy gradients (REINFORCE), in numba.

- :func:`sample_episodes` -- ``n`` episodes :math:`s_0 \sim \rho,\ a_t \sim \pi(\cdot|s_t),\
  s_{t+1} \sim P(\cdot|s_t, a_t)` of a fixed horizon.
- :func:`reinforce_gradient` -- the likelihood-ratio estimate of :math:`\nabla_\theta V^{\pi_\theta}(\rho)`
  for the softmax policy, truncated at a horizon (choose it with :func:`truncation_horizon`).
- :func:`sample_state_action` and :func:`reinforce_gradient_geometric` -- AKLM's sampler
  (Agarwal, Kakade, Lee and Mahajan, Algorithms 1 and 3): geometric stopping, unbiased with no
  truncation at all.

Random numbers: episode ``i`` has its own xoshiro256** stream seeded by SplitMix64 from
``(seed, i)`` (details in :mod:`pgbook._sampling_kernels`), and gradient sums are reduced in fixed
chunks of episodes summed in order. So the same ``seed`` gives bit-identical results for any number
of numba threads (``numba.set_num_threads``), and :func:`reinforce_gradient` sees exactly the episodes
:func:`sample_episodes` returns for the same seed and policy.

Speed: each step costs two alias-table draws (:math:`O(1)` whatever ``S`` and ``A``). The tables of
:math:`P` are built once per MDP (:math:`O(S^2 A)`) and kept for the last few MDPs used; the policy's
tables are rebuilt on every call (:math:`O(SA)`).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from . import _sampling_kernels as kernels
from . import _validate as validate
from ._numba import kernel_array
from .mdp import MDP, require_mdp
from . import _inner


class Episodes(NamedTuple):
    r"""``n`` episodes of length ``horizon``.

    Attributes
    ----------
    states : array (n, horizon) int32
        :math:`s_t` (int32, not int64, halves the memory traffic of the sampler, whose speed is
        bounded by writing these arrays).
    actions : array (n, horizon) int32
        :math:`a_t`.
    rewards : array (n, horizon) float64
        :math:`r(s_t, a_t)`.
    """

    states: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray


class StateActions(NamedTuple):
    r"""``n`` independent draws :math:`(s, a) \sim d^\pi_\rho \times \pi` with an unbiased
    :math:`\hat Q(s, a)`.

    Attributes
    ----------
    states : array (n,) int32
    actions : array (n,) int32
    Q_hat : array (n,) float64
    lengths : array (n,) int64
        The number of state-action pairs each draw visited (both phases), with mean
        :math:`(1 + \gamma)/(1 - \gamma) \le 2/(1-\gamma)`.
    """

    states: np.ndarray
    actions: np.ndarray
    Q_hat: np.ndarray
    lengths: np.ndarray


def truncation_horizon(gamma: float, tol: float = 1e-10) -> int:
    r"""The smallest horizon :math:`L \ge 1` with :math:`\gamma^L \le` ``tol``: how long to make episodes.

    The truncated REINFORCE estimate (:func:`reinforce_gradient`) is an unbiased gradient of the
    truncated value :math:`V_L = \mathbb E \sum_{t<L} \gamma^t r_t`; with rewards in [0, 1] and
    :math:`|\partial \log\pi_\theta(a|s)/\partial\theta_{s',a'}| \le 1`, its bias is at most
    :math:`\sum_{t \ge L} (t+1)\gamma^t = \gamma^L\big(\frac{L+1}{1-\gamma} + \frac{\gamma}{(1-\gamma)^2}\big)`
    per coordinate, and :math:`|V - V_L| \le \gamma^L/(1-\gamma)`. The default ``tol = 1e-10``
    puts that far below any Monte Carlo error: :math:`\gamma = 0.8` gives
    :math:`L = \lceil \log 10^{-10} / \log 0.8 \rceil = 104` and a bias below :math:`6 \times 10^{-8}`.
    The cost grows like :math:`\log(1/\text{tol})/(1-\gamma)` steps per episode (the bias bound
    sums the score bound of AKLM Lemma C.1 over the missing tail).

    Parameters
    ----------
    gamma : float
        In [0, 1).
    tol : float
        > 0.

    Returns
    -------
    L : int

    Examples
    --------
    >>> import pgbook
    >>> L = pgbook.truncation_horizon(0.9, tol=1e-3)  # the smallest L with 0.9^L <= 1e-3
    >>> L, 0.9 ** (L - 1) > 1e-3 >= 0.9 ** L, pgbook.truncation_horizon(0.8)
    (66, True, 104)
    """
    gamma = validate.gamma(gamma)
    tol = validate.positive_real(tol, "tol")
    if tol >= 1.0 or gamma == 0.0:
        return 1
    L = max(1, math.ceil(math.log(tol) / math.log(gamma)))
    while gamma**L > tol:
        L += 1
    while L > 1 and gamma ** (L - 1) <= tol:
        L -= 1
    return L


def sample_episodes(mdp: MDP, pi, n: int, horizon: int, seed: int, rho=None, *, out=None) -> Episodes:
    r"""``n`` independent episodes of the policy ``pi``, each ``horizon`` steps long.

    .. math:: s_0 \sim \rho, \quad a_t \sim \pi(\cdot|s_t), \quad s_{t+1} \sim P(\cdot|s_t, a_t),
              \quad \text{rewards}[i, t] = r(s_t, a_t)

    (the trajectory distribution of AKLM section 2). Episode ``i`` depends only on ``(seed, i)``:
    the first ``m`` episodes of a larger batch are the ``m`` episodes of a smaller one. In an episodic
    MDP an episode that reaches a terminal state stays there with reward 0, as the MDP prescribes.

    Parameters
    ----------
    mdp : MDP
    pi : array (S, A)
        A stochastic policy.
    n, horizon : int
        The number of episodes and their length, >= 1.
    seed : int
        In [0, 2**64).
    rho : None, int or array (S,), optional
        As in :func:`pgbook.visitation`.
    out : tuple of arrays, optional
        ``(states, actions, rewards)`` to fill (C-contiguous, shape (n, horizon), dtypes int32, int32,
        float64). Reusing them across calls saves the page faults of fresh memory, which otherwise
        cost about as much as the sampling itself.

    Returns
    -------
    Episodes
        ``(states, actions, rewards)``, each (n, horizon).

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> mdp = pgbook.envs.three_state()  # 3 states in a row, gamma = 0.9, rho = (0.5, 0.3, 0.2)
    >>> pi = [[0.5, 0.5], [0.25, 0.75], [0.0, 1.0]]
    >>> episodes = pgbook.sample_episodes(mdp, pi, n=4, horizon=6, seed=0)
    >>> print(episodes.states)  # s_0 ~ rho; in state 2 pi plays right, which stays
    [[1 2 2 2 2 2]
     [0 0 1 2 2 2]
     [1 2 2 2 2 2]
     [0 0 0 0 0 1]]
    >>> bool((episodes.rewards == mdp.r[episodes.states, episodes.actions]).all())
    True
    >>> returns = pgbook.sample_episodes(mdp, pi, n=500, horizon=66, seed=0).rewards @ 0.9 ** np.arange(66)
    >>> mean, stderr = float(returns.mean()), float(returns.std() / np.sqrt(500))
    >>> round(mean, 2), round(stderr, 2), round(pgbook.evaluate(mdp, pi).V_rho, 2)  # the mean return estimates V(rho)
    (7.34, 0.1, 7.5)
    >>> five = pgbook.envs.random_mdp(5, 3, seed=0, random_rho=True)  # five outcomes per draw
    >>> u, P_u = pgbook.uniform(five), pgbook.policy_matrices(five, pgbook.uniform(five))[0]
    >>> states = pgbook.sample_episodes(five, u, n=4000, horizon=2, seed=0).states
    >>> print(np.round(np.bincount(states[:, 1], minlength=5) / 4000, 3), np.round(five.rho @ P_u, 3))  # s_1 ~ rho P_pi
    [0.22  0.16  0.261 0.158 0.202] [0.217 0.164 0.254 0.154 0.211]
    """
    require_mdp(mdp)
    pi = validate.policy(mdp, pi)
    n = validate.positive_int(n, "n")
    horizon = validate.positive_int(horizon, "horizon")
    seed = validate.seed(seed)
    rho = validate.start(mdp, rho)
    out = _episode_arrays(out, n, horizon)
    with _wrapping():
        kernels.sample(*_tables(mdp, pi, rho), np.uint64(seed), *out)
    return out


def reinforce_gradient(mdp: MDP, theta, n: int, horizon: int, seed: int, baseline=None, *,
                       rho=None, return_stderr: bool = False):
    r"""REINFORCE: a sampled :math:`\nabla_\theta V^{\pi_\theta}(\rho)` for the softmax policy.

    The average over ``n`` episodes :math:`s_0 \sim \rho` of length :math:`L` = ``horizon`` of

    .. math:: \widehat{\nabla V} = \sum_{t=0}^{L-1} \gamma^t \big(\hat Q(s_t, a_t) - b(s_t)\big)
              \nabla_\theta \log \pi_\theta(a_t|s_t), \qquad
              \hat Q(s_t, a_t) = \sum_{t'=t}^{L-1} \gamma^{t'-t} r(s_{t'}, a_{t'}),

    with

    .. math:: \partial \log\pi_\theta(a|s) / \partial\theta_{s',a'} = 1[s'=s](1[a'=a] - \pi_\theta(a'|s)).

    Its mean is exactly the gradient of the truncated value :math:`V_L(\rho) = \mathbb E\sum_{t<L}\gamma^t r_t`,
    so it estimates

    .. math:: \nabla V^{\pi_\theta}(\rho) = \frac{1}{1-\gamma}\mathbb E_{s\sim d, a\sim\pi}
              [A^{\pi_\theta}(s,a)\nabla\log\pi_\theta(a|s)]

    up to a truncation bias of order
    :math:`L\gamma^L/(1-\gamma)`: take ``horizon = truncation_horizon(gamma)`` (:math:`\gamma^L \le 10^{-10}`,
    see there), or use :func:`reinforce_gradient_geometric`, which has no bias. A baseline ``b`` that
    depends on the state only (e.g. :math:`V^{\pi_\theta}`) keeps the mean and usually cuts the variance.

    (Williams 1992; AJKS Theorem 11.4 and Lemmas 11.7, 11.9.) The episodes are those of
    ``sample_episodes(mdp, softmax(theta), n, horizon, seed, rho)``. For an episodic MDP with
    ``gamma = 1`` the horizon must be long enough for episodes to terminate.

    Parameters
    ----------
    mdp : MDP
    theta : array (S, A)
    n, horizon : int
        >= 1 (n >= 2 with ``return_stderr``).
    seed : int
    baseline : array (S,), optional
    rho : None, int or array (S,), optional
        As in :func:`sample_episodes`.
    return_stderr : bool
        Also return the standard error of each coordinate, :math:`\hat\sigma / \sqrt n`, from the
        same pass.

    Returns
    -------
    grad : array (S, A)
    stderr : array (S, A)
        Only with ``return_stderr=True``.

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> mdp = pgbook.envs.three_state()  # 3 states in a row, gamma = 0.9, rho = (0.5, 0.3, 0.2)
    >>> theta = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.0]])
    >>> g, se = pgbook.reinforce_gradient(mdp, theta, n=500, horizon=66, seed=0, return_stderr=True)
    >>> print(np.round(g, 3))
    [[-0.021  0.021]
     [-0.232  0.232]
     [-0.768  0.768]]
    >>> round(float(np.abs((g - pgbook.softmax_gradient(mdp, theta)) / se).max()), 2)  # at most 4 standard errors
    1.27
    >>> V = pgbook.value(mdp, pgbook.softmax(theta))
    >>> _, se_V = pgbook.reinforce_gradient(mdp, theta, 500, 66, seed=0, baseline=V, return_stderr=True)
    >>> print(np.round(se[:, 1], 3), np.round(se_V[:, 1], 3))  # the baseline V cuts the standard errors
    [0.037 0.037 0.067] [0.016 0.019 0.035]
    """
    pi, b, rho = _gradient_args(mdp, theta, baseline, rho)
    n = validate.positive_int(n, "n")
    horizon = validate.positive_int(horizon, "horizon")
    seed = validate.seed(seed)
    gpow = mdp.gamma ** np.arange(horizon, dtype=np.float64)
    return _gradient(mdp, pi, b, rho, gpow, n, seed, False, return_stderr)


def reinforce_gradient_geometric(mdp: MDP, theta, n: int, seed: int, baseline=None, *, rho=None,
                                 return_stderr: bool = False):
    r"""AKLM's unbiased policy gradient estimate, with geometric stopping instead of a horizon.

    Each of the ``n`` episodes draws :math:`(s, a) \sim d^{\pi_\theta}_\rho \times \pi_\theta` and an
    unbiased :math:`\hat Q(s, a)` with :func:`sample_state_action`; the estimate is the average of

    .. math:: \frac{1}{1-\gamma} \big(\hat Q(s, a) - b(s)\big)\, \nabla_\theta \log\pi_\theta(a|s),

    whose mean is exactly :math:`\nabla_\theta V^{\pi_\theta}(\rho)` (policy gradient theorem, Q form).
    An episode visits :math:`(1+\gamma)/(1-\gamma) \le 2/(1-\gamma)` state-action pairs on average.
    (AKLM Algorithm 3 with the sampler of Algorithm 1.) Needs :math:`\gamma < 1`.

    Parameters
    ----------
    mdp : MDP
        With ``gamma < 1``.
    theta : array (S, A)
    n : int
        >= 1 (n >= 2 with ``return_stderr``).
    seed : int
    baseline : array (S,), optional
    rho : None, int or array (S,), optional
    return_stderr : bool

    Returns
    -------
    grad : array (S, A)
    stderr : array (S, A)
        Only with ``return_stderr=True``.

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> mdp = pgbook.envs.three_state()  # 3 states in a row, gamma = 0.9, rho = (0.5, 0.3, 0.2)
    >>> theta = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.0]])
    >>> g, se = pgbook.reinforce_gradient_geometric(mdp, theta, n=1000, seed=0, return_stderr=True)
    >>> exact = pgbook.softmax_gradient(mdp, theta)
    >>> print(np.round(g[:, 1], 3), np.round(exact[:, 1], 3))
    [0.178 0.105 0.926] [0.049 0.276 0.853]
    >>> round(float(np.abs((g - exact) / se).max()), 2)  # at most 4 standard errors
    1.07
    """
    pi, b, rho = _gradient_args(mdp, theta, baseline, rho)
    validate.discounted(mdp, "geometric stopping")
    n = validate.positive_int(n, "n")
    seed = validate.seed(seed)
    return _gradient(mdp, pi, b, rho, np.ones(1), n, seed, True, return_stderr)


def sample_state_action(mdp: MDP, pi, n: int, seed: int, rho=None) -> StateActions:
    r"""AKLM's sampler (Algorithm 1): ``n`` independent :math:`(s, a, \hat Q)` with
    :math:`(s, a) \sim d^\pi_\rho \times \pi` and :math:`\mathbb E[\hat Q \mid s, a] = Q^\pi(s, a)`.

    Run the chain from :math:`s_0 \sim \rho`; at each time :math:`t = 0, 1, \dots`, before moving on,
    stop with probability :math:`1 - \gamma`: the state where it stops is :math:`T` steps in with
    :math:`\Pr(T = t) = (1-\gamma)\gamma^t`, hence distributed as
    :math:`d^\pi_\rho(s) = (1-\gamma)\sum_t \gamma^t \Pr(s_t = s)`. From there a second rollout, stopped
    the same way, sums the rewards *undiscounted*:
    :math:`\hat Q = \sum_{k=0}^{K} r(s_k, a_k)` with :math:`\Pr(K \ge k) = \gamma^k`, so
    :math:`\mathbb E \hat Q = \sum_k \gamma^k \mathbb E\, r(s_k, a_k) = Q^\pi(s, a)`.

    The mean length is

    .. math:: 1 + 2\gamma/(1-\gamma) = (1+\gamma)/(1-\gamma) \le 2/(1-\gamma)

    (AKLM, the text of Corollary 6.2).

    Parameters
    ----------
    mdp : MDP
        With ``gamma < 1``.
    pi : array (S, A)
    n : int
    seed : int
    rho : None, int or array (S,), optional

    Returns
    -------
    StateActions
        ``(states, actions, Q_hat, lengths)``, each (n,).

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> mdp = pgbook.envs.three_state()  # 3 states in a row, gamma = 0.9, rho = (0.5, 0.3, 0.2)
    >>> pi = [[0.5, 0.5], [0.25, 0.75], [0.0, 1.0]]
    >>> draws = pgbook.sample_state_action(mdp, pi, n=2000, seed=0)
    >>> round(float(draws.lengths.mean()), 2), round((1 + 0.9) / (1 - 0.9), 2)  # (1 + gamma) / (1 - gamma) on average
    (19.03, 19.0)
    >>> print(np.bincount(draws.states, minlength=3) / 2000, np.round(pgbook.visitation(mdp, pi), 4))  # s ~ d
    [0.1635 0.094  0.7425] [0.1578 0.1003 0.7419]
    >>> Q = pgbook.q_value(mdp, pi)
    >>> round(float(draws.Q_hat.mean()), 2), round(float(Q[draws.states, draws.actions].mean()), 2)  # E[Q_hat|s, a] = Q
    (9.28, 9.19)
    """
    require_mdp(mdp)
    pi = validate.policy(mdp, pi)
    validate.discounted(mdp, "geometric stopping")
    n = validate.positive_int(n, "n")
    seed = validate.seed(seed)
    rho = validate.start(mdp, rho)
    out = StateActions(np.empty(n, dtype=np.int32), np.empty(n, dtype=np.int32), np.empty(n),
                       np.empty(n, dtype=np.int64))
    with _wrapping():
        kernels.state_actions(*_tables(mdp, pi, rho), mdp.gamma, np.uint64(seed), *out)
    return out


def _gradient_args(mdp: MDP, theta, baseline, rho):
    """The checked common arguments of the REINFORCE estimators: ``(pi, b, rho)``."""
    require_mdp(mdp)
    theta = validate.theta(mdp, theta)
    b = np.zeros(mdp.S) if baseline is None else validate.array(baseline, "baseline", shape=(mdp.S,))
    return _inner.log_softmax(theta)[1], b, validate.start(mdp, rho)




def _gradient(mdp, pi, b, rho, gpow, n, seed, geometric, return_stderr):
    if return_stderr and n < 2:
        raise ValueError(f"n: a standard error needs at least 2 episodes, got {n}")
    with _wrapping():
        C, W, G2 = kernels.gradient(*_tables(mdp, pi, rho), kernel_array(pi), kernel_array(b), mdp.gamma, kernel_array(gpow),
                                    n, np.uint64(seed), geometric, bool(return_stderr))
    S, A = mdp.S, mdp.A
    grad = (C.reshape(S, A) - W[:, None] * pi) / n
    if not return_stderr:
        return grad
    var = np.maximum(G2.reshape(S, A) / n - grad**2, 0.0) * (n / (n - 1))
    return grad, np.sqrt(var / n)


def _episode_arrays(out, n: int, horizon: int) -> Episodes:
    if out is None:
        return Episodes(np.empty((n, horizon), dtype=np.int32), np.empty((n, horizon), dtype=np.int32),
                        np.empty((n, horizon)))
    if not isinstance(out, (tuple, list)) or len(out) != 3:
        raise TypeError(f"out: expected (states, actions, rewards) arrays, got {type(out).__name__}")
    for name, a, dtype in zip(Episodes._fields, out, (np.int32, np.int32, np.float64)):
        if not (isinstance(a, np.ndarray) and a.dtype == dtype and a.shape == (n, horizon)
                and a.flags.c_contiguous and a.flags.writeable):
            got = f"{a.dtype} array of shape {a.shape}" if isinstance(a, np.ndarray) else type(a).__name__
            raise ValueError(f"out: {name} must be a writable C-contiguous {np.dtype(dtype)} array of shape "
                             f"({n}, {horizon}), got {got}")
    return Episodes(*out)


def _tables(mdp: MDP, pi: np.ndarray, rho: np.ndarray):
    """What every sampling kernel needs: alias tables of rho, pi and P, and the rewards r: (S, A)."""
    return _alias(rho[None, :]), _alias(pi), _transition_tables(mdp), kernel_array(mdp.r)


def _wrapping():
    """The generator's uint64 arithmetic wraps on purpose. numba does that silently; with
    NUMBA_DISABLE_JIT the kernels run on numpy scalars, which would warn about every overflow."""
    return np.errstate(over="ignore")


def _alias(p) -> np.ndarray:
    """Alias tables of the rows of p: (M, K), flattened to (M * K,). Serial: a parallel region costs
    more than these small tables, and much more when another process holds a core."""
    return kernels.alias_tables(kernel_array(p))


@lru_cache(maxsize=4)
def _transition_tables(mdp: MDP) -> np.ndarray:
    """Alias tables of every P(.|s, a), built once per MDP (an MDP is immutable)."""
    return kernels.alias_tables_parallel(kernel_array(mdp.P.reshape(mdp.S * mdp.A, mdp.S)))
