r"""Policy gradient and natural policy gradient on the probability simplex, from many starts at once.

The book's centerpiece figure draws the path of the policy :math:`\pi^{(t)}(\cdot|s)` of one state
on the simplex :math:`\Delta(\mathcal A)` of a 3-action problem, for softmax policy gradient (PG)

.. math:: \theta^{(t+1)}_{s,a} = \theta^{(t)}_{s,a} + \frac{\eta}{1-\gamma}\, d^{(t)}_\rho(s)\,
          \pi^{(t)}(a|s)\, A^{(t)}(s, a)

(AKLM Eq. (10)) and for the natural policy gradient (NPG), which for softmax policies is the
multiplicative-weights update

.. math:: \theta^{(t+1)}_{s,a} = \theta^{(t)}_{s,a} + \frac{\eta}{1-\gamma} A^{(t)}(s, a), \qquad
          \pi^{(t+1)}(a|s) = \frac{\pi^{(t)}(a|s)\exp\big(\eta A^{(t)}(s,a)/(1-\gamma)\big)}{Z_t(s)}

(AKLM Lemma 5.1; AJKS Lemma 12.6), and for PG with NPG's step length (``"pg_kl"``: PG's direction,
scaled at every iteration to move the policy by the mean KL divergence NPG's step would,
:func:`pgbook.algorithms.softmax_pg_kl`), from every point of a grid of starting policies. Each start
is one exact run of :mod:`pgbook.algorithms` (:func:`pgbook.algorithms.softmax_pg`,
:func:`pgbook.algorithms.npg`, :func:`pgbook.algorithms.softmax_pg_kl`), kept at log-spaced
iterations so that both the first steps and the long plateaus are on record.

Also here: :func:`kl_mirror_step`, the KL-proximal step that NPG takes in each state (Xiao 2022,
Sec. 3); the chapter's small MDP is :func:`pgbook.envs.fork`. Coordinates: :func:`to_plane` maps a point
of the 3-action simplex to the plane (action 0 at the top, 1 bottom left, 2 bottom right).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _validate as validate
from .. import algorithms
from ..mdp import MDP, require_mdp
from ..policies import softmax

#: The methods :func:`runs` knows: softmax PG, NPG, and PG with NPG's KL divergence per step.
METHODS = ("pg", "npg", "pg_kl")
_RUNS = {"pg": algorithms.softmax_pg, "npg": algorithms.npg, "pg_kl": algorithms.softmax_pg_kl}

@dataclass(frozen=True, eq=False)
class Trajectories:
    r"""The iterates of one method from N starts, recorded at the same K iterations.

    - ``method``: one of ``METHODS``; ``eta``: the step size; ``T``: the number of iterations.
    - ``steps: (K,)``: the recorded iterations, ``0 = steps[0] < ... < steps[-1] = T``.
    - ``pi: (N, K, S, A)``: the policies :math:`\pi^{(t)}` there.
    - ``theta: (N, K, S, A)``: their logits, centred in each state
      (:math:`\theta_{s,a} - \frac1{|\mathcal A|}\sum_b \theta_{s,b}`: the shift common to all actions,
      which leaves the policy unchanged, removed).
    - ``V_rho: (N, K)``: their values :math:`V^{(t)}(\rho)`.
    """

    method: str
    eta: float
    T: int
    steps: np.ndarray
    pi: np.ndarray
    theta: np.ndarray
    V_rho: np.ndarray


def runs(mdp: MDP, eta, T, *, theta0, method: str, rho=None, records: int = 64) -> Trajectories:
    r"""Run softmax PG, NPG or PG with NPG's step length, with exact gradients, from N starting parameters.

    PG: :math:`\theta \leftarrow \theta + \eta\,\nabla_\theta V^{\pi_\theta}(\rho)`, with
    :math:`\partial V/\partial\theta_{s,a} = \frac{1}{1-\gamma}d^{\pi_\theta}_\rho(s)\pi_\theta(a|s)A^{\pi_\theta}(s,a)`
    (AKLM Eq. (10)). NPG: :math:`\theta \leftarrow \theta + \frac{\eta}{1-\gamma}A^{\pi_\theta}`
    (AKLM Lemma 5.1), which does not depend on :math:`\rho`. PG with NPG's step length
    (``"pg_kl"``): :math:`\theta \leftarrow \theta + c_t\nabla_\theta V^{\pi_\theta}(\rho)`, with
    :math:`c_t` such that the step moves the policy by the mean KL divergence NPG's would
    (:func:`pgbook.algorithms.softmax_pg_kl`). Each start is one run of
    :func:`pgbook.algorithms.softmax_pg`, :func:`pgbook.algorithms.npg` or
    :func:`pgbook.algorithms.softmax_pg_kl` (numba kernels, about a millisecond per thousand
    iterations on a 3-state MDP), kept at the log-spaced iterations of :func:`record_steps`.

    Parameters
    ----------
    mdp : MDP
        With ``gamma < 1``.
    eta : float
        Step size, > 0.
    T : int
        Number of iterations, >= 1.
    theta0 : array (N, S, A)
        The starting logits, one set per run (see :func:`start_logits`).
    method : {"pg", "npg", "pg_kl"}
    rho : None, int or array (S,)
        The start distribution of :math:`V(\rho)` (and of PG's gradient); default the MDP's.
    records : int
        At most this many recorded iterations (>= 2), log-spaced from 0 to T.

    Returns
    -------
    Trajectories
        ``pi: (N, K, S, A)``, ``theta: (N, K, S, A)`` and ``V_rho: (N, K)`` at ``steps: (K,)``.

    Examples
    --------
    >>> import pgbook
    >>> from pgbook.theory import simplex
    >>> fork = pgbook.envs.fork(0.9)
    >>> theta0 = simplex.start_logits(fork, 0, [[0.6, 0.2, 0.2]])
    >>> tr = simplex.runs(fork, 1.0, 100, theta0=theta0, method="npg", records=4)
    >>> tr.steps, tr.V_rho.round(4)
    (array([  0,   1,  10, 100]), array([[0.36  , 0.5162, 0.9   , 0.9   ]]))
    >>> simplex.runs(fork, 1.0, 100, theta0=theta0, method="pg", records=4).V_rho.round(4)
    array([[0.36  , 0.3744, 0.4476, 0.828 ]])
    """
    require_mdp(mdp)
    if method not in METHODS:
        raise ValueError(f"method: expected one of {METHODS}, got {method!r}")
    theta = validate.array(theta0, "theta0", shape=(None, mdp.S, mdp.A))
    if theta.shape[0] == 0:
        raise ValueError("theta0: needs at least one start (shape (N, S, A) with N >= 1)")
    eta = validate.positive_real(eta, "eta")
    T = validate.positive_int(T, "T")
    steps = record_steps(T, records)
    pis = np.empty((theta.shape[0], steps.size, mdp.S, mdp.A))
    thetas = np.empty_like(pis)
    V_rho = np.empty((theta.shape[0], steps.size))
    for n, th in enumerate(theta):
        r = _RUNS[method](mdp, eta, T, theta0=th, rho=rho, record_every=1)
        pis[n], thetas[n], V_rho[n] = r.pi[steps], r.theta[steps], r.V_rho[steps]
    thetas -= thetas.mean(axis=-1, keepdims=True)
    for a in (steps, pis, thetas, V_rho):
        a.flags.writeable = False
    return Trajectories(method, eta, T, steps, pis, thetas, V_rho)


def record_steps(T, records: int = 64) -> np.ndarray:
    """The iterations a run records: 0, then about log-spaced integers up to T (all of them while they are
    dense), with each power of ten in place of the step nearest to it (the simplex figure marks them).

    Source: the book's simplex figure (:mod:`pgbook.viz.simplex`), which must show both the first steps
    and the long plateaus of softmax PG (AKLM section 5; Mei et al. 2020).

    Parameters
    ----------
    T : int
        The number of iterations, >= 1.
    records : int
        The most iterations returned, >= 2.

    Returns
    -------
    steps : ndarray (K,) of int
        ``K <= records``, strictly increasing, ``steps[0] = 0`` and ``steps[-1] = T``.

    Examples
    --------
    >>> from pgbook.theory import simplex
    >>> simplex.record_steps(1000, records=12)
    array([   0,    1,    2,    4,   10,   16,   32,   63,  100,  251,  501,
           1000])
    >>> simplex.record_steps(1000, records=6)
    array([   0,    1,   10,   32,  100, 1000])
    >>> simplex.record_steps(5, records=6), simplex.record_steps(30, records=5)
    (array([0, 1, 2, 3, 4, 5]), array([ 0,  1,  3, 10, 30]))
    """
    T = validate.positive_int(T, "T")
    records = validate.positive_int(records, "records")
    if records < 2:
        raise ValueError(f"records: need at least 2 (the start and the end), got {records}")
    if T + 1 <= records:
        return np.arange(T + 1)
    # Grow the log-spaced grid until rounding to integers leaves exactly `records` distinct steps.
    n = records
    while True:
        grid = np.unique(np.round(np.geomspace(1, T, n - 1)).astype(np.int64))
        if grid.size >= records - 1:
            steps = np.concatenate([[0], grid[: records - 2], [T]]).astype(np.int64)
            break
        n += records - 1 - grid.size
    for power in 10 ** np.arange(1, int(np.log10(T)) + 1):
        i = 1 + int(np.argmin(np.abs(np.log(steps[1:-1] / power)))) if steps.size > 2 else 0
        if 0 < i < steps.size - 1 and steps[i - 1] < power < steps[i + 1]:
            steps[i] = power
    return steps


def start_logits(mdp: MDP, state: int, pi_s) -> np.ndarray:
    r"""Starting logits that put ``pi_s`` in one state and the uniform policy in all the others.

    :math:`\theta_{s,\cdot} = \log \pi_s` at ``state`` and :math:`\theta_{s',\cdot} = 0` elsewhere.
    Source: the starts of the simplex figure; :math:`\theta = \log\pi` is the softmax's inverse
    (AKLM section 2).

    Parameters
    ----------
    mdp : MDP
    state : int
        The state whose policy is set.
    pi_s : array (N, A)
        Distributions with positive entries, one per start.

    Returns
    -------
    theta0 : ndarray (N, S, A)

    Examples
    --------
    >>> import pgbook
    >>> from pgbook.theory import simplex
    >>> theta0 = simplex.start_logits(pgbook.envs.fork(0.9), 0, [[0.2, 0.3, 0.5]])
    >>> pgbook.softmax(theta0[0]).round(4)
    array([[0.2   , 0.3   , 0.5   ],
           [0.3333, 0.3333, 0.3333],
           [0.3333, 0.3333, 0.3333]])
    """
    require_mdp(mdp)
    if isinstance(state, bool) or not isinstance(state, (int, np.integer)) or not 0 <= state < mdp.S:
        raise ValueError(f"state: expected a state index in 0..{mdp.S - 1}, got {state!r}")
    pi_s = validate.array(pi_s, "pi_s", shape=(None, mdp.A))
    validate.distribution_rows(pi_s, "pi_s")
    if (pi_s <= 0).any():
        raise ValueError("pi_s: a softmax policy needs every probability > 0 (the simplex's inside)")
    theta0 = np.zeros((pi_s.shape[0], mdp.S, mdp.A))
    theta0[:, state] = np.log(pi_s)
    return theta0


def simplex_grid(n, margin: float = 1e-3) -> np.ndarray:
    r"""Starting points on the 3-action simplex: a triangular grid pulled a little inside.

    The points :math:`(1 - 3m)\,(i, j, k)/n + m` for integers :math:`i + j + k = n`, with the margin
    :math:`m` = ``margin``: the corners of the grid are the policies that play one action with
    probability :math:`1 - 2m` (softmax policies cannot start on the boundary itself).
    Source: the starts of the simplex figure, a regular grid of the triangle.

    Parameters
    ----------
    n : int
        The grid's divisions per side, >= 1.
    margin : float
        In (0, 1/3).

    Returns
    -------
    pi : ndarray ((n+1)(n+2)/2, 3)
        Ordered by i, then j.

    Examples
    --------
    >>> from pgbook.theory import simplex
    >>> simplex.simplex_grid(2, margin=0.01)
    array([[0.01 , 0.01 , 0.98 ],
           [0.01 , 0.495, 0.495],
           [0.01 , 0.98 , 0.01 ],
           [0.495, 0.01 , 0.495],
           [0.495, 0.495, 0.01 ],
           [0.98 , 0.01 , 0.01 ]])
    """
    n = validate.positive_int(n, "n")
    margin = validate.positive_real(margin, "margin")
    if margin >= 1.0 / 3.0:
        raise ValueError(f"margin: must be below 1/3, got {margin:g}")
    ijk = np.array([(i, j, n - i - j) for i in range(n + 1) for j in range(n + 1 - i)], dtype=float)
    return (1.0 - 3.0 * margin) * ijk / n + margin


def to_plane(pi) -> np.ndarray:
    r"""Planar coordinates of points of the 3-action simplex (an equilateral triangle of side 1).

    Action 0 is the top corner :math:`(\tfrac12, \tfrac{\sqrt3}{2})`, action 1 the bottom left
    :math:`(0, 0)`, action 2 the bottom right :math:`(1, 0)`:
    :math:`x = \pi_2 + \pi_0/2`, :math:`y = \tfrac{\sqrt 3}{2}\pi_0`. Source: the barycentric
    coordinates of the triangle (Möbius 1827), as the simplex figure draws them.

    Parameters
    ----------
    pi : array (..., 3)

    Returns
    -------
    xy : ndarray (..., 2)

    Examples
    --------
    >>> from pgbook.theory import simplex
    >>> simplex.to_plane([[1.0, 0.0, 0.0], [0.2, 0.3, 0.5]]).round(4)
    array([[0.5   , 0.866 ],
           [0.6   , 0.1732]])
    """
    pi = validate.array(pi, "pi")
    if pi.ndim == 0 or pi.shape[-1] != 3:
        raise ValueError(f"pi: expected points of the 3-action simplex, shape (..., 3), got {pi.shape}")
    return np.stack([pi[..., 2] + 0.5 * pi[..., 0], np.sqrt(3.0) / 2.0 * pi[..., 0]], axis=-1)


def kl_mirror_step(pi, g, eta) -> np.ndarray:
    r"""One step of mirror ascent on the simplex with the KL divergence (multiplicative weights).

    .. math:: \pi' = \arg\max_{p \in \Delta(\mathcal A)} \Big\{\eta\,\langle g, p\rangle
              - \mathrm{KL}(p\,\|\,\pi)\Big\} = \frac{\pi \odot e^{\eta g}}{\sum_a \pi(a) e^{\eta g(a)}}

    (Xiao 2022, Sec. 3, the KL case of policy mirror descent written for rewards; Even-Dar, Kakade and
    Mansour 2009). With :math:`g = A^\pi(s,\cdot)` and step :math:`\eta/(1-\gamma)` it is NPG's update
    in state s (AKLM Lemma 5.1).

    Parameters
    ----------
    pi : array (..., A)
        Distributions with positive entries.
    g : array (..., A)
        The ascent direction.
    eta : float
        The step size, > 0.

    Returns
    -------
    ndarray (..., A)

    Examples
    --------
    >>> from pgbook.theory import simplex
    >>> simplex.kl_mirror_step([0.2, 0.3, 0.5], [1.0, 0.0, -0.5], eta=0.5).round(4)
    array([0.3236, 0.2944, 0.3821])
    >>> simplex.kl_mirror_step([0.2, 0.3, 0.5], [1.0, 0.0, -0.5], eta=2.0).round(4)
    array([0.7533, 0.1529, 0.0938])
    """
    pi = validate.array(pi, "pi")
    if pi.ndim == 0:
        raise ValueError("pi: expected a distribution over actions, shape (..., A)")
    validate.distribution_rows(pi, "pi")
    if (pi <= 0).any():
        raise ValueError("pi: needs every probability > 0")
    g = validate.array(g, "g")
    if g.shape != pi.shape:
        raise ValueError(f"g: expected the shape of pi, {pi.shape}, got {g.shape}")
    eta = validate.positive_real(eta, "eta")
    return softmax(np.log(pi) + eta * g)


@dataclass(frozen=True, eq=False)
class Sweep:
    r"""Several methods from every start, for several discounts and step sizes: the data of the simplex figure.

    - ``gammas: (G,)`` the discounts of the MDPs, ``etas: (E,)`` the step sizes, ``T`` the iterations.
    - ``methods``: M names from ``METHODS``, in the order of the method axis below.
    - ``state``: the state whose simplex is drawn; ``starts: (N, 3)`` its starting policies (every
      other state starts uniform).
    - ``steps: (K,)``: the recorded iterations (:func:`record_steps`).
    - ``pi: (G, E, M, N, K, 3)``: :math:`\pi^{(t)}(\cdot|\text{state})`.
    - ``theta: (G, E, M, N, K, 3)``: the logits of ``state``, centred (see :class:`Trajectories`).
    - ``gap: (G, E, M, N, K)``: the suboptimality :math:`V^\star(\rho) - V^{(t)}(\rho)`.
    - ``best: (G,)``: the optimal action in ``state`` (the first, if several).
    """

    gammas: np.ndarray
    etas: np.ndarray
    T: int
    methods: tuple
    state: int
    starts: np.ndarray
    steps: np.ndarray
    pi: np.ndarray
    theta: np.ndarray
    gap: np.ndarray
    best: np.ndarray


def sweep(mdps, etas, starts, T, *, state: int = 0, records: int = 64, methods=("pg", "npg")) -> Sweep:
    r"""Run each method (:func:`runs`) on each MDP, with each step size, from each start.

    mdps: a sequence of G MDPs with 3 actions and distinct ``gamma < 1`` (e.g. one MDP at several
    discounts); etas: (E,) positive step sizes; starts: (N, 3) policies of ``state`` (inside the
    simplex, e.g. :func:`simplex_grid`); T >= 1 iterations; methods: distinct names from ``METHODS``.
    The suboptimality uses :math:`V^\star` from :func:`pgbook.policy_iteration`. Source: the data of
    the simplex figure (PG: AKLM Eq. (10); NPG: AKLM Lemma 5.1).

    Parameters
    ----------
    mdps : sequence of MDP
        G MDPs with 3 actions and distinct ``gamma < 1`` (e.g. one MDP at several discounts).
    etas : array (E,)
        Step sizes, > 0.
    starts : array (N, 3)
        Policies of ``state``, inside the simplex (e.g. :func:`simplex_grid`).
    T : int
        Iterations, >= 1.
    state : int
        The state whose policy is drawn.
    records : int
        The most iterations kept (:func:`record_steps`).
    methods : sequence of str
        Distinct names from ``METHODS``.

    Returns
    -------
    Sweep

    Examples
    --------
    >>> import pgbook
    >>> from pgbook.theory import simplex
    >>> sw = simplex.sweep([pgbook.envs.fork(0.9)], [0.5, 5.0], [[0.2, 0.3, 0.5]], 50, records=4)
    >>> sw.steps, sw.pi.shape
    (array([ 0,  1, 10, 50]), (1, 2, 2, 1, 4, 3))
    >>> sw.gap[0, :, :, 0, -1].round(4)  # gamma = 0.9, eta in (0.5, 5), (PG, NPG), the last record
    array([[0.1575, 0.    ],
           [0.0059, 0.    ]])
    """
    from ..control import policy_iteration

    mdps = list(mdps)
    if not mdps:
        raise ValueError("mdps: give at least one MDP")
    for m in mdps:
        require_mdp(m)
        if m.A != 3:
            raise ValueError(f"mdps: the simplex figure needs 3 actions, got an MDP with A = {m.A}")
    gammas = np.array([m.gamma for m in mdps])
    if np.unique(gammas).size != gammas.size:
        raise ValueError(f"mdps: their discounts must be distinct, got {gammas.tolist()}")
    etas = validate.array(etas, "etas", ndim=1)
    if etas.size == 0 or (etas <= 0).any():
        raise ValueError(f"etas: expected one or more positive step sizes, got {etas.tolist()}")
    starts = validate.array(starts, "starts", shape=(None, 3))
    if isinstance(methods, str) or not methods or len(set(methods)) != len(methods) or not set(methods) <= set(METHODS):
        raise ValueError(f"methods: expected distinct names from {METHODS}, got {methods!r}")
    methods = tuple(methods)
    steps = record_steps(T, records)
    G, E, M, N, K = len(mdps), etas.size, len(methods), starts.shape[0], steps.size
    pi = np.empty((G, E, M, N, K, 3))
    theta = np.empty((G, E, M, N, K, 3))
    gap = np.empty((G, E, M, N, K))
    best = np.empty(G, dtype=np.int64)
    for g, m in enumerate(mdps):
        theta0 = start_logits(m, state, starts)
        pi_star, V_star = policy_iteration(m)
        best[g] = int(np.argmax(pi_star[state]))
        for e, eta in enumerate(etas):
            for i, method in enumerate(methods):
                tr = runs(m, eta, T, theta0=theta0, method=method, records=records)
                pi[g, e, i] = tr.pi[:, :, state]
                theta[g, e, i] = tr.theta[:, :, state]
                gap[g, e, i] = V_star @ m.rho - tr.V_rho
    return Sweep(gammas, etas, int(T), methods, state, starts, steps, pi, theta, gap, best)
