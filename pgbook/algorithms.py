r"""Whole optimisation runs with exact gradients, for the book's convergence figures.

Every function here runs one method for ``T`` iterations on a small MDP, evaluating each iterate
exactly, and returns a :class:`Run`: the value :math:`V^{(t)}(\rho)` at *every* iteration, and the
iterates (parameters, policies, values) every ``record_every`` iterations. The loops are numba
kernels (:mod:`pgbook._run_kernels`), so :math:`10^5`--:math:`10^6` iterations on a bandit or a short chain
take about a second.

Common arguments: ``mdp`` (``gamma < 1``, except :func:`policy_iteration_run`); ``T`` the number of
iterations; ``rho`` the start distribution of the objective :math:`V(\rho)` (``None`` = the MDP's, a
state index, or a distribution ``(S,)``); ``record_every`` (default: about 1000 records per run; the
last iterate is always recorded); ``until``: stop early once :math:`V^{(t)}(\rho) \ge` ``until``.

Conventions (AKLM): :math:`d^\pi_\rho` is the normalised discounted visitation and
:math:`\nabla_\theta V` carries the factor :math:`1/(1-\gamma)`.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

import numpy as np

from . import _validate as validate
from ._numba import kernel_array
from ._run_kernels import Method, Model, Result, Schedule, Step, Trace, loglinear_run, tabular_run
from . import _inner
from .mdp import MDP, require_mdp

#: Default number of recorded iterates per run.
RECORDS = 1000


@dataclass(frozen=True, eq=False)
class Run:
    r"""One optimisation run: its value at every iteration and its iterates every few. All arrays are read-only.

    The one way to make a run, for the methods of this module and for the book's own loops
    (``pgbook.theory``): the arguments are checked and the arrays made read-only in place (not
    copied), so that a figure cannot change the run another figure draws.

    Parameters
    ----------
    algorithm : str
        The method's name (its function's name).
    V_rho : array (n+1,)
        :math:`V^{(t)}(\rho)` for t = 0..n (``n = iterations``; ``n = T`` unless ``until`` stopped the
        run early).
    steps : array (K,) of int
        The iteration indices at which iterates were recorded: increasing, from 0 to n (0, k, 2k,
        ..., and n).
    pi : array (K, S, A)
        The policies at those iterations (each row a distribution over actions).
    V : array (K, S)
        Their values.
    theta : array (K, S, A) or (K, dim), or None
        The parameters there: softmax logits (for the mirror methods :math:`\log\pi` up to a
        constant per state) or log-linear parameters; ``None`` for the methods that move ``pi`` itself.
    trace : mapping of str to array (n+1,), optional
        Further per-iteration numbers, named in each function's docstring (the names of
        :class:`pgbook._run_kernels.Trace`, in lower case); entry t belongs to iterate t (e.g. the
        step it takes next). Kept as a read-only mapping.
    params : mapping, optional
        The arguments used. Kept as a read-only mapping.

    Raises
    ------
    TypeError, ValueError
        Naming the argument: a wrong shape, a record outside 0..n, a policy row that is not a
        distribution, a trace of the wrong length.

    Examples
    --------
    >>> import numpy as np
    >>> from pgbook.algorithms import Run
    >>> pi = np.full((2, 1, 2), 0.5)  # two records of a one-state, two-action policy
    >>> run = Run("demo", V_rho=[0.0, 0.5, 1.0], steps=[0, 2], pi=pi, V=[[0.0], [1.0]],
    ...           trace={"step": [0.1, 0.1, 0.0]}, params={"eta": 0.1})
    >>> run, run.iterations, run.V_rho.flags.writeable
    (Run(demo, iterations=2, V_rho: 0 -> 1, 2 recorded), 2, False)
    >>> Run("demo", V_rho=[0.0, 0.5, 1.0], steps=[0, 1], pi=pi, V=[[0.0], [1.0]])
    Traceback (most recent call last):
    ...
    ValueError: steps: expected increasing iterations from 0 to n = 2 (the last iterate is always recorded), got [0, 1]
    """

    algorithm: str
    V_rho: np.ndarray
    steps: np.ndarray
    pi: np.ndarray
    V: np.ndarray
    theta: np.ndarray | None = None
    trace: Mapping[str, np.ndarray] | None = None
    params: Mapping[str, object] | None = None

    def __post_init__(self):
        if not isinstance(self.algorithm, str) or not self.algorithm:
            raise TypeError(f"algorithm: expected the method's name, got {self.algorithm!r}")
        V_rho = validate.array(self.V_rho, "V_rho", ndim=1)
        if V_rho.size == 0:
            raise ValueError("V_rho: expected at least the first iterate's value, got an empty array")
        n = V_rho.size - 1
        steps = np.asarray(self.steps)
        whole = steps.ndim == 1 and steps.size > 0 and steps.dtype.kind in "iuf" and (steps == np.round(steps)).all()
        if not whole or steps[0] != 0 or steps[-1] != n or (np.diff(steps) <= 0).any():
            shown = steps.tolist() if steps.size <= 6 else f"{steps.size} entries"
            raise ValueError(f"steps: expected increasing iterations from 0 to n = {n} (the last iterate is "
                             f"always recorded), got {shown}")
        steps = steps.astype(np.int64, copy=False)
        K = steps.size
        pi = validate.array(self.pi, "pi", shape=(K, None, None))
        validate.distribution_rows(pi, "pi")
        V = validate.array(self.V, "V", shape=(K, pi.shape[1]))
        theta = None
        if self.theta is not None:
            theta = np.asarray(self.theta, dtype=float)
            if theta.ndim < 2 or theta.shape[0] != K:
                raise ValueError(f"theta: expected one parameter array per record, shape ({K}, ...), got {theta.shape}")
        given = {"trace": {} if self.trace is None else self.trace, "params": {} if self.params is None else self.params}
        for field, x in given.items():
            if not isinstance(x, Mapping):
                raise TypeError(f"{field}: expected a mapping, got {type(x).__name__}")
        trace = {}
        for name, x in given["trace"].items():
            trace[name] = np.asarray(x, dtype=float)
            if trace[name].shape != (n + 1,):
                raise ValueError(f"trace: {name!r} expected shape ({n + 1},), one entry per iterate, "
                                 f"got {trace[name].shape}")
        for a in (V_rho, steps, pi, V, theta, *trace.values()):
            if a is not None:
                a.flags.writeable = False
        for field, x in (("V_rho", V_rho), ("steps", steps), ("pi", pi), ("V", V), ("theta", theta),
                         ("trace", MappingProxyType(trace)), ("params", MappingProxyType(dict(given["params"])))):
            object.__setattr__(self, field, x)

    @property
    def iterations(self) -> int:
        """The number of iterations run, n."""
        return self.V_rho.size - 1

    def __repr__(self) -> str:
        return (f"Run({self.algorithm}, iterations={self.iterations}, V_rho: {self.V_rho[0]:.6g} -> "
                f"{self.V_rho[-1]:.6g}, {self.steps.size} recorded)")


def softmax_pg(mdp: MDP, eta, T, *, theta0=None, rho=None, record_every=None, until=None) -> Run:
    r"""Softmax policy gradient ascent with exact gradients.

    .. math:: \theta^{(t+1)} = \theta^{(t)} + \eta \nabla_\theta V^{(t)}(\rho), \qquad
              \frac{\partial V^{\pi_\theta}(\rho)}{\partial\theta_{s,a}}
              = \frac{1}{1-\gamma} d^{\pi_\theta}_\rho(s)\, \pi_\theta(a|s)\, A^{\pi_\theta}(s, a)

    (Agarwal, Kakade, Lee and Mahajan 2021, section 5.1 and Eq. (10); their Theorem 5.1 takes
    :math:`\eta \le (1-\gamma)^3/8`).

    Parameters
    ----------
    mdp : MDP
        With ``gamma < 1``.
    eta : float
        The step size, > 0.
    T : int
        The number of iterations, >= 1.
    theta0 : array (S, A), optional
        The first logits; 0 (the uniform policy) by default.
    rho, record_every, until
        As in the module docstring.

    Returns
    -------
    Run
        ``theta: (K, S, A)``; trace ``grad_norm`` :math:`\|\nabla_\theta V^{(t)}(\rho)\|_2`.

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> from pgbook import algorithms
    >>> mdp = pgbook.envs.three_state()  # 3 states in a row, gamma = 0.9, rho = (0.5, 0.3, 0.2)
    >>> theta0 = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.0]])
    >>> run = algorithms.softmax_pg(mdp, eta=0.5, T=50, theta0=theta0)
    >>> run
    Run(softmax_pg, iterations=50, V_rho: 1.34049 -> 8.43139, 51 recorded)
    >>> grad = pgbook.softmax_gradient(mdp, theta0)
    >>> bool(np.allclose(run.theta[1], theta0 + 0.5 * grad))  # theta + eta grad V
    True
    >>> bool(np.isclose(run.trace["grad_norm"][0], np.linalg.norm(grad)))
    True
    """
    c = _common(mdp, T, rho, record_every, until)
    step = Step(eta=c.positive("eta", eta))
    return _tabular(c, "softmax_pg", Method.SOFTMAX_PG, c.logits0(theta0), step, ("grad_norm",))


def log_barrier_pg(mdp: MDP, eta, T, *, lam, theta0=None, rho=None, record_every=None, until=None) -> Run:
    r"""Gradient ascent on the log-barrier (relative-entropy) regularised objective.

    .. math:: L_\lambda(\theta) = V^{\pi_\theta}(\rho) + \frac{\lambda}{|S||A|}\sum_{s,a}\log\pi_\theta(a|s)
              + \lambda\log|A|, \qquad
              \frac{\partial L_\lambda}{\partial\theta_{s,a}} = \frac{\partial V^{\pi_\theta}(\rho)}{\partial\theta_{s,a}}
              + \frac{\lambda}{|S||A|}\big(1 - |A|\pi_\theta(a|s)\big),

    the objective of :func:`pgbook.log_barrier_objective`,
    :math:`L_\lambda = V - \lambda\,\mathbb E_{s\sim\mathrm{Unif}}\mathrm{KL}(\mathrm{Unif}_A\,\|\,\pi_\theta(\cdot|s))`
    (Agarwal, Kakade, Lee and Mahajan 2021, section 5.2; their Corollary 5.1 takes
    :math:`\eta = 1/\beta_\lambda`, :math:`\beta_\lambda = 8/(1-\gamma)^3 + 2\lambda/|S|` as Lemma D.4
    proves, and Theorem 5.2 needs :math:`\|\nabla L_\lambda\|_2 \le \lambda/(2|S||A|)`).

    Parameters
    ----------
    mdp : MDP
        With ``gamma < 1``.
    eta : float
        The step size, > 0.
    T : int
    lam : float
        The regularisation weight, > 0.
    theta0 : array (S, A), optional
    rho, record_every, until
        As in the module docstring.

    Returns
    -------
    Run
        ``V_rho`` is the unregularised value; traces ``grad_norm`` :math:`\|\nabla L_\lambda\|_2`
        and ``objective`` :math:`L_\lambda(\theta^{(t)})`.

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> from pgbook import algorithms
    >>> mdp = pgbook.envs.three_state()  # 3 states in a row, gamma = 0.9, rho = (0.5, 0.3, 0.2)
    >>> theta0 = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.0]])
    >>> run = algorithms.log_barrier_pg(mdp, eta=0.5, T=50, lam=0.1, theta0=theta0)
    >>> run
    Run(log_barrier_pg, iterations=50, V_rho: 1.34049 -> 8.40589, 51 recorded)
    >>> bool(np.allclose(run.theta[1], theta0 + 0.5 * pgbook.log_barrier_gradient(mdp, theta0, lam=0.1)))
    True
    >>> round(float(run.trace["objective"][0]), 4), round(pgbook.log_barrier_objective(mdp, theta0, lam=0.1), 4)
    (1.3315, 1.3315)
    """
    c = _common(mdp, T, rho, record_every, until)
    step = Step(eta=c.positive("eta", eta), lam=c.positive("lam", lam))
    return _tabular(c, "log_barrier_pg", Method.SOFTMAX_PG, c.logits0(theta0), step, ("grad_norm", "objective"))


def entropy_pg(mdp: MDP, eta, T, *, tau, theta0=None, rho=None, record_every=None, until=None) -> Run:
    r"""Entropy-regularised softmax policy gradient.

    .. math:: \theta^{(t+1)} = \theta^{(t)} + \eta\nabla_\theta \tilde V^{(t)}(\rho), \qquad
              \frac{\partial\tilde V^{\pi_\theta}(\rho)}{\partial\theta_{s,a}}
              = \frac{1}{1-\gamma} d^{\pi_\theta}_\rho(s)\pi_\theta(a|s)\tilde A(s,a),

    the gradient of :func:`pgbook.entropy_regularized_gradient`: :math:`\tilde V` is
    :func:`pgbook.soft_value` (no entropy on terminal states), :math:`\tilde Q = r + \gamma P\tilde V`,
    :math:`\tilde A = \tilde Q - \tau\log\pi - \tilde V`, computed from :math:`\log\pi` directly so it
    stays finite where :math:`\pi` underflows (Mei, Xiao, Szepesvari and Schuurmans 2020, Lemma 10;
    their Theorem 6 takes :math:`\eta = (1-\gamma)^3/(8 + \tau(4 + 8\log|A|))`).

    Parameters
    ----------
    mdp : MDP
        With ``gamma < 1``.
    eta : float
        The step size, > 0.
    T : int
    tau : float
        The entropy weight, > 0.
    theta0 : array (S, A), optional
    rho, record_every, until
        As in the module docstring.

    Returns
    -------
    Run
        ``V_rho`` is the unregularised value; traces ``grad_norm`` and ``objective``
        :math:`\tilde V^{(t)}(\rho)`.

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> from pgbook import algorithms
    >>> mdp = pgbook.envs.three_state()  # 3 states in a row, gamma = 0.9, rho = (0.5, 0.3, 0.2)
    >>> theta0 = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.0]])
    >>> run = algorithms.entropy_pg(mdp, eta=0.5, T=50, tau=0.1, theta0=theta0)
    >>> run
    Run(entropy_pg, iterations=50, V_rho: 1.34049 -> 8.41166, 51 recorded)
    >>> bool(np.allclose(run.theta[1], theta0 + 0.5 * pgbook.entropy_regularized_gradient(mdp, theta0, tau=0.1)))
    True
    >>> V_tau = pgbook.soft_value(mdp, pgbook.softmax(theta0), tau=0.1)
    >>> round(float(run.trace["objective"][0]), 4), round(float(mdp.rho @ V_tau), 4)  # the soft V(rho)
    (1.9447, 1.9447)
    """
    c = _common(mdp, T, rho, record_every, until)
    step = Step(eta=c.positive("eta", eta), tau=c.positive("tau", tau))
    return _tabular(c, "entropy_pg", Method.SOFTMAX_PG, c.logits0(theta0), step, ("grad_norm", "objective"))


def npg(mdp: MDP, eta, T, *, theta0=None, rho=None, record_every=None, until=None) -> Run:
    r"""Natural policy gradient for the softmax policy: a multiplicative-weights step on the advantages.

    .. math:: \theta^{(t+1)} = \theta^{(t)} + \eta F_\rho(\theta^{(t)})^\dagger\nabla_\theta V^{(t)}(\rho)
              \;\equiv\; \theta^{(t)} + \frac{\eta}{1-\gamma} A^{(t)}, \qquad
              \pi^{(t+1)}(a|s) \propto \pi^{(t)}(a|s)\exp\Big(\frac{\eta A^{(t)}(s,a)}{1-\gamma}\Big)

    (Agarwal, Kakade, Lee and Mahajan 2021, Lemma 5.1), computed in log space:
    :math:`\log\pi \leftarrow \log\pi + \frac{\eta}{1-\gamma}(Q - \max_a Q)`, then renormalised. The
    update does not depend on rho (only ``V_rho`` does). Any eta > 0 works: from theta0 = 0,
    :math:`V^\star(\rho) - V^{(T)}(\rho) \le \frac{\log|A|}{\eta T} + \frac{1}{(1-\gamma)^2T}` (ibid.,
    Theorem 5.3).

    Parameters
    ----------
    mdp : MDP
        With ``gamma < 1``.
    eta : float
        The step size, > 0.
    T : int
    theta0 : array (S, A), optional
    rho, record_every, until
        As in the module docstring.

    Returns
    -------
    Run
        ``theta: (K, S, A)``: logits of :math:`\pi^{(t)}` (:math:`\log\pi^{(t)}` up to a constant per
        state); no traces.

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> from pgbook import algorithms
    >>> mdp = pgbook.envs.three_state()  # 3 states in a row, gamma = 0.9, rho = (0.5, 0.3, 0.2)
    >>> theta0 = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.0]])
    >>> run = algorithms.npg(mdp, eta=0.1, T=20, theta0=theta0)
    >>> run
    Run(npg, iterations=20, V_rho: 1.34049 -> 8.48899, 21 recorded)
    >>> bool(np.allclose(run.pi[1], pgbook.softmax(pgbook.npg_step(mdp, theta0, eta=0.1))))  # one NPG step
    True
    >>> algorithms.npg(mdp, eta=0.1, T=100, theta0=theta0, until=7.5).iterations  # stops once V(rho) >= 7.5
    3
    """
    c = _common(mdp, T, rho, record_every, until)
    eta = c.positive("eta", eta)
    return _tabular(c, "npg", Method.MIRROR, c.logits0(theta0), Step(eta=eta / (1.0 - c.mdp.gamma)), ())


def softmax_pg_kl(mdp: MDP, eta, T, *, theta0=None, rho=None, record_every=None, until=None) -> Run:
    r"""Softmax policy gradient with NPG's step length: PG's direction, NPG's mean KL divergence per step.

    .. math:: \theta^{(t+1)} = \theta^{(t)} + c_t \nabla_\theta V^{(t)}(\rho), \qquad
              \bar D\big(\theta^{(t)}, \theta^{(t)} + c_t \nabla_\theta V^{(t)}(\rho)\big)
              = \bar D\Big(\theta^{(t)}, \theta^{(t)} + \frac{\eta}{1-\gamma} A^{(t)}\Big),

    with :math:`\bar D(\theta, \theta') = \mathbb E_{s \sim d^{\pi_\theta}_\rho}
    \mathrm{KL}(\pi_\theta(\cdot|s) \,\|\, \pi_{\theta'}(\cdot|s))`, TRPO's measure of a step (Schulman
    et al. 2015, Eq. (12); :func:`pgbook.theory.surrogates.mean_kl`). The right side is the divergence of
    NPG's step from the same policy (:func:`npg`; AKLM Lemma 5.1), so at every iteration the two
    methods move the policy equally far and differ only in direction. :math:`c_t` is found by
    Newton's method on the convex mean KL along the gradient (:func:`pgbook.theory.surrogates.kl_step_size`
    does the same for one step); it is 0 where NPG's step would not move the policy.

    Parameters
    ----------
    mdp : MDP
        With ``gamma < 1``.
    eta : float
        NPG's step size, > 0, whose step length PG takes.
    T : int
        The number of iterations, >= 1.
    theta0 : array (S, A), optional
        The first logits; 0 (the uniform policy) by default.
    rho, record_every, until
        As in the module docstring.

    Returns
    -------
    Run
        ``theta: (K, S, A)``; traces ``eta``, the step :math:`c_t` taken along the gradient, and
        ``grad_norm``, :math:`\|\nabla_\theta V^{(t)}(\rho)\|_2`.

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> from pgbook import algorithms, envs
    >>> bandit = envs.bandit([1.0, 0.9, 0.1])
    >>> start = np.log([[0.001, 0.998, 0.001]])  # the best arm almost never played
    >>> pg = algorithms.softmax_pg(bandit, 0.3, 500, theta0=start)
    >>> fair = algorithms.softmax_pg_kl(bandit, 0.3, 500, theta0=start)
    >>> print(f"{1 - pg.V_rho[-1]:.2f} {1 - fair.V_rho[-1]:.0e}")  # the gaps to V* = 1
    0.10 9e-08
    >>> round(fair.trace["eta"][0] / 0.3)  # its first step, in multiples of PG's own: that is the missing length
    498
    >>> mdp = envs.three_state()  # 3 states in a row, gamma = 0.9, rho = (0.5, 0.3, 0.2)
    >>> theta0 = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.0]])
    >>> run = algorithms.softmax_pg_kl(mdp, eta=0.5, T=5, theta0=theta0)
    >>> pi0, d = run.pi[0], pgbook.visitation(mdp, run.pi[0])
    >>> kl = lambda q: float(d @ (pi0 * np.log(pi0 / q)).sum(axis=1))  # E_{s ~ d} KL(pi_0(.|s) || q(.|s))
    >>> round(kl(run.pi[1]), 6), round(kl(pgbook.softmax(pgbook.npg_step(mdp, theta0, eta=0.5))), 6)
    (0.971076, 0.971076)
    >>> bool(np.allclose(run.theta[1], theta0 + run.trace["eta"][0] * pgbook.softmax_gradient(mdp, theta0)))
    True
    """
    c = _common(mdp, T, rho, record_every, until)
    eta = c.positive("eta", eta)
    step = Step(eta=eta / (1.0 - c.mdp.gamma))
    return _tabular(c, "softmax_pg_kl", Method.SOFTMAX_PG_KL, c.logits0(theta0), step, ("eta", "grad_norm"))


def entropy_npg(mdp: MDP, eta, T, *, tau, theta0=None, rho=None, record_every=None, until=None) -> Run:
    r"""Entropy-regularised NPG.

    .. math:: \pi^{(t+1)}(a|s) \propto \pi^{(t)}(a|s)^{1-\frac{\eta\tau}{1-\gamma}}
              \exp\Big(\frac{\eta Q^{(t)}_\tau(s,a)}{1-\gamma}\Big), \qquad 0 < \eta \le \frac{1-\gamma}{\tau}

    (Cen, Cheng, Chen, Wei and Chi 2022, Eq. (17)), with the soft values :math:`V^\pi_\tau` of
    :func:`pgbook.soft_value` and :math:`Q^\pi_\tau = r + \gamma P V^\pi_\tau`. On non-terminal states
    this is :math:`\log\pi \leftarrow \log\pi + \frac{\eta}{1-\gamma}(Q_\tau - \tau\log\pi)` up to a
    constant, which is how it is computed; terminal states, which earn no entropy, keep their
    (irrelevant) policy. :math:`\eta = (1-\gamma)/\tau` is soft policy iteration,
    :math:`\pi^{(t+1)} \propto \exp(Q^{(t)}_\tau/\tau)`. Cen et al. Theorem 1:
    :math:`\|Q^\star_\tau - Q^{(t+1)}_\tau\|_\infty \le C_1\gamma(1-\eta\tau)^t`.

    Parameters
    ----------
    mdp : MDP
        With ``gamma < 1``.
    eta : float
        The step size, in :math:`(0, (1-\gamma)/\tau]`.
    T : int
    tau : float
        The entropy weight, > 0.
    theta0 : array (S, A), optional
    rho, record_every, until
        As in the module docstring.

    Returns
    -------
    Run
        ``V_rho`` is the unregularised value; trace ``objective`` :math:`V^{(t)}_\tau(\rho)`;
        ``theta``: logits of :math:`\pi^{(t)}`, as in :func:`npg`.

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> from pgbook import algorithms
    >>> mdp = pgbook.envs.three_state()  # 3 states in a row, gamma = 0.9, rho = (0.5, 0.3, 0.2)
    >>> theta0 = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.0]])
    >>> run = algorithms.entropy_npg(mdp, eta=0.5, T=20, tau=0.2, theta0=theta0)
    >>> run
    Run(entropy_npg, iterations=20, V_rho: 1.34049 -> 8.47365, 21 recorded)
    >>> pi0 = pgbook.softmax(theta0)  # one step: pi_1 ~ pi_0^(1 - eta tau / (1 - gamma)) exp(eta Q_tau / (1 - gamma))
    >>> Q_tau = mdp.r + mdp.gamma * mdp.P @ pgbook.soft_value(mdp, pi0, tau=0.2)
    >>> bool(np.allclose(run.pi[1], pgbook.softmax((1 - 0.5 * 0.2 / 0.1) * np.log(pi0) + 0.5 * Q_tau / 0.1)))
    True
    """
    c = _common(mdp, T, rho, record_every, until)
    eta, tau = c.positive("eta", eta), c.positive("tau", tau)
    if eta * tau > (1.0 - c.mdp.gamma) * (1.0 + 1e-12):
        raise ValueError(f"eta: must satisfy 0 < eta <= (1 - gamma)/tau = {(1.0 - c.mdp.gamma) / tau:.6g}, got {eta:g}")
    # With eta = (1 - gamma)/tau (soft policy iteration) round-off must not push eta_k * tau above 1.
    step = Step(eta=min(eta / (1.0 - c.mdp.gamma), 1.0 / tau), tau=tau)
    return _tabular(c, "entropy_npg", Method.MIRROR, c.logits0(theta0), step, ("objective",))


def pmd_geometric(mdp: MDP, eta0, T, *, theta0=None, rho=None, record_every=None, until=None) -> Run:
    r"""Policy mirror descent with the KL mirror map and geometric step sizes.

    .. math:: \pi_{k+1}(a|s) \propto \pi_k(a|s)\exp\big(\eta_k Q^{\pi_k}(s,a)\big), \qquad
              \eta_k = \eta_0/\gamma^k,

    the reward form of Xiao's (2022) cost-minimising PMD. With a constant step it is :func:`npg`
    with :math:`\eta_{\text{AKLM}} = (1-\gamma)\eta`. Xiao's Theorem 10 gives

    .. math:: V^\star(\rho) - V^{(k)}(\rho) \le (1 - 1/\vartheta_\rho)^k(\delta_0 + D^\star_0/(\gamma\eta_0)),

    with :math:`\vartheta_\rho = \frac{1}{1-\gamma}\|d^{\pi^\star}_\rho/\rho\|_\infty`, and takes
    :math:`\eta_0 = \frac{1-\gamma}{\gamma}D^\star_0` (:math:`D^\star_0 = \log|A|` from uniform).
    :math:`\eta_k` is capped at ``1e200`` (beyond it the step is the greedy step in floating point).

    Parameters
    ----------
    mdp : MDP
        With ``gamma < 1``.
    eta0 : float
        The first step size, > 0.
    T : int
    theta0 : array (S, A), optional
    rho, record_every, until
        As in the module docstring.

    Returns
    -------
    Run
        Trace ``eta`` :math:`\eta_k`; ``theta``: logits of :math:`\pi_k`, as in :func:`npg`.

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> from pgbook import algorithms
    >>> mdp = pgbook.envs.three_state()  # 3 states in a row, gamma = 0.9, rho = (0.5, 0.3, 0.2)
    >>> theta0 = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.0]])
    >>> run = algorithms.pmd_geometric(mdp, eta0=0.1, T=20, theta0=theta0)
    >>> run
    Run(pmd_geometric, iterations=20, V_rho: 1.34049 -> 8.47897, 21 recorded)
    >>> bool(np.allclose(run.trace["eta"][:4], 0.1 / 0.9 ** np.arange(4)))  # eta_k = eta_0 / gamma^k
    True
    >>> pi0 = pgbook.softmax(theta0)
    >>> bool(np.allclose(run.pi[1], pgbook.softmax(np.log(pi0) + 0.1 * pgbook.q_value(mdp, pi0))))  # pi_0 exp(eta_0 Q)
    True
    """
    c = _common(mdp, T, rho, record_every, until)
    growth = math.inf if c.mdp.gamma == 0.0 else 1.0 / c.mdp.gamma
    step = Step(eta=c.positive("eta0", eta0), growth=growth)
    return _tabular(c, "pmd_geometric", Method.MIRROR, c.logits0(theta0), step, ("eta",), step_name="eta0")


def projected_ga(mdp: MDP, eta, T, *, pi0=None, rho=None, record_every=None, until=None) -> Run:
    r"""Projected gradient ascent for the direct parameterisation.

    .. math:: \pi^{(t+1)} = \mathrm{Proj}_{\Delta(\mathcal A)^{|S|}}\big(\pi^{(t)} + \eta\nabla_\pi V^{(t)}(\rho)\big),
              \qquad \frac{\partial V^\pi(\rho)}{\partial\pi(a|s)} = \frac{1}{1-\gamma}d^\pi_\rho(s)Q^\pi(s,a)

    (Agarwal, Kakade, Lee and Mahajan 2021, section 4 and Eq. (7); Euclidean projection of each row
    onto the simplex, :func:`pgbook.project_simplex`). Their Theorem 4.1 uses
    :math:`\eta = (1-\gamma)^3/(2\gamma|A|)`.

    Parameters
    ----------
    mdp : MDP
        With ``gamma < 1``.
    eta : float
        The step size, > 0.
    T : int
    pi0 : array (S, A), optional
        The first policy; uniform by default.
    rho, record_every, until
        As in the module docstring.

    Returns
    -------
    Run
        ``theta`` is None; trace ``grad_norm`` :math:`\|\nabla_\pi V^{(t)}(\rho)\|_2`.

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> from pgbook import algorithms
    >>> mdp = pgbook.envs.three_state()  # 3 states in a row, gamma = 0.9, rho = (0.5, 0.3, 0.2)
    >>> pi0 = np.array([[0.5, 0.5], [0.25, 0.75], [0.0, 1.0]])
    >>> run = algorithms.projected_ga(mdp, eta=0.01, T=50, pi0=pi0)
    >>> run
    Run(projected_ga, iterations=50, V_rho: 7.49763 -> 8.35297, 51 recorded)
    >>> grad = pgbook.direct_gradient(mdp, pi0)
    >>> step = pgbook.project_simplex(pi0 + 0.01 * grad)
    >>> print(np.round(run.pi[1], 4), bool(np.allclose(run.pi[1], step)))
    [[0.4917 0.5083]
     [0.2351 0.7649]
     [0.     1.    ]] True
    >>> bool(np.isclose(run.trace["grad_norm"][0], np.linalg.norm(grad)))
    True
    """
    c = _common(mdp, T, rho, record_every, until)
    step = Step(eta=c.positive("eta", eta))
    return _tabular(c, "projected_ga", Method.PROJECTED, c.policy0(pi0), step, ("grad_norm",))


def cpi(mdp: MDP, T, *, alpha=None, pi0=None, rho=None, record_every=None, until=None) -> Run:
    r"""Conservative policy iteration.

    .. math:: \pi_{t+1} = (1-\alpha_t)\pi_t + \alpha_t\pi'_t, \qquad \pi'_t = \mathrm{greedy}(A^{\pi_t}),
              \qquad \mathbb A_t = \mathbb E_{s\sim d^{\pi_t}_\rho}\max_a A^{\pi_t}(s, a)

    (Kakade and Langford 2002; Agarwal, Jiang, Kakade and Sun, AJKS section 14.1). AJKS's choice
    :math:`\alpha_t = \min\big(1, \mathbb A_t(1-\gamma)^2/(4\gamma)\big)` guarantees
    :math:`V^{\pi_{t+1}}(\rho) - V^{\pi_t}(\rho) \ge \mathbb A_t^2(1-\gamma)/(8\gamma)` (AJKS Theorem
    14.2: :math:`\ge \frac{\alpha}{1-\gamma}(\mathbb A - \frac{2\alpha\gamma}{(1-\gamma)^2})` for any alpha).

    Parameters
    ----------
    mdp : MDP
        With ``gamma < 1``.
    T : int
    alpha : float, optional
        A fixed mixing weight in (0, 1], or ``None`` for AJKS's choice.
    pi0 : array (S, A), optional
        The first policy; uniform by default.
    rho, record_every, until
        As in the module docstring.

    Returns
    -------
    Run
        ``theta`` is None; traces ``alpha`` :math:`\alpha_t` and ``greedy_advantage`` :math:`\mathbb A_t`.

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> from pgbook import algorithms
    >>> mdp = pgbook.envs.three_state()  # 3 states in a row, gamma = 0.9, rho = (0.5, 0.3, 0.2)
    >>> pi0 = np.array([[0.5, 0.5], [0.25, 0.75], [0.0, 1.0]])
    >>> run = algorithms.cpi(mdp, T=20, pi0=pi0)
    >>> run
    Run(cpi, iterations=20, V_rho: 7.49763 -> 7.51121, 21 recorded)
    >>> ev = pgbook.evaluate(mdp, pi0)
    >>> A_greedy = ev.d @ ev.adv.max(axis=1)  # E_{s ~ d} max_a A(s, a)
    >>> alpha = min(1.0, A_greedy * (1 - 0.9) ** 2 / (4 * 0.9))  # AJKS's step
    >>> print(round(alpha, 6), bool(np.allclose(run.pi[1], (1 - alpha) * pi0 + alpha * pgbook.greedy(ev.adv))))
    0.000438 True
    >>> bool(np.allclose(algorithms.cpi(mdp, T=1, pi0=pi0, alpha=0.5).pi[1], 0.5 * pi0 + 0.5 * pgbook.greedy(ev.adv)))
    True
    """
    c = _common(mdp, T, rho, record_every, until)
    c.params["alpha"] = alpha
    if alpha is not None:
        alpha = validate.positive_real(alpha, "alpha")
        if alpha > 1.0:
            raise ValueError(f"alpha: must lie in (0, 1], got {alpha:g}")
    step = Step(alpha=0.0 if alpha is None else alpha)
    return _tabular(c, "cpi", Method.CPI, c.policy0(pi0), step, ("alpha", "greedy_advantage"))


def loglinear_npg(mdp: MDP, phi, eta, T, *, theta0=None, rho=None, record_every=None, until=None) -> Run:
    r"""NPG for log-linear policies via the compatible fit.

    .. math:: \theta^{(t+1)} = \theta^{(t)} + \eta w^{(t)}, \qquad
              w^{(t)} = \arg\min_w \mathbb E_{s\sim d^{(t)}_\rho, a\sim\pi^{(t)}}
              \big[(A^{(t)}(s,a) - w^\top\nabla_\theta\log\pi^{(t)}(a|s))^2\big],

    :math:`\nabla_\theta\log\pi_\theta(a|s) = \phi_{s,a} - \mathbb E_{a'\sim\pi_\theta}\phi_{s,a'}`; the
    minimum-norm exact fit, so :math:`w^{(t)} = (1-\gamma)F_\rho^\dagger\nabla V` (Agarwal, Kakade, Lee
    and Mahajan 2021, section 6.3, Eq. (17) and Lemma 6.2). The step multiplies w, as in their Lemma
    6.2: with one-hot features this is :func:`npg` with :math:`\eta_{\text{npg}} = (1-\gamma)\eta`.

    Parameters
    ----------
    mdp : MDP
        With ``gamma < 1``.
    phi : array (S, A, dim)
        Features.
    eta : float
        The step size, > 0.
    T : int
    theta0 : array (dim,), optional
        0 by default.
    rho, record_every, until
        As in the module docstring.

    Returns
    -------
    Run
        ``theta: (K, dim)``; traces ``w_norm`` :math:`\|w^{(t)}\|_2` and ``fit_loss`` the weighted
        squared residual of the fit.

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> from pgbook import algorithms
    >>> mdp = pgbook.envs.three_state()  # 3 states in a row, gamma = 0.9, rho = (0.5, 0.3, 0.2)
    >>> phi = np.array([[[0.0, 0.0], [1.0, s]] for s in range(3)])  # phi(s, right) = (1, s), phi(s, left) = 0
    >>> run = algorithms.loglinear_npg(mdp, phi, eta=0.5, T=20, theta0=[0.5, -0.5])
    >>> run
    Run(loglinear_npg, iterations=20, V_rho: 1.02819 -> 8.48853, 21 recorded)
    >>> w = pgbook.compatible_fit(mdp, [0.5, -0.5], phi)
    >>> bool(np.allclose(run.theta[1], np.array([0.5, -0.5]) + 0.5 * w))  # theta + eta w
    True
    >>> bool(np.isclose(run.trace["w_norm"][0], np.linalg.norm(w)))
    True
    >>> round(float(run.trace["fit_loss"][0]), 4)  # the advantages are not linear in the centred features
    0.0042
    """
    c = _common(mdp, T, rho, record_every, until)
    return _loglinear(c, "loglinear_npg", phi, theta0, c.positive("eta", eta), None)


def q_npg(mdp: MDP, phi, eta, T, *, nu=None, theta0=None, rho=None, record_every=None, until=None) -> Run:
    r"""Q-NPG for log-linear policies.

    .. math:: \theta^{(t+1)} = \theta^{(t)} + \eta w^{(t)}, \qquad
              w^{(t)} = \arg\min_w \mathbb E_{(s,a)\sim d^{(t)}_\nu}\big[(Q^{(t)}(s,a) - w^\top\phi_{s,a})^2\big],

    features *not* centred, minimum-norm exact fit, and the state-action visitation from the
    exploratory distribution nu

    .. math:: d^{(t)}_\nu(s,a) = (1-\gamma)\sum_t\gamma^t\Pr^{\pi^{(t)}}(s_t=s,a_t=a\mid(s_0,a_0)\sim\nu)

    (Agarwal, Kakade, Lee and Mahajan 2021, section 6.2 and Theorem 6.1). With one-hot features
    this is :func:`npg` with :math:`\eta_{\text{npg}} = (1-\gamma)\eta`.

    Parameters
    ----------
    mdp : MDP
        With ``gamma < 1``.
    phi : array (S, A, dim)
        Features.
    eta : float
        The step size, > 0.
    T : int
    nu : array (S, A), optional
        A distribution over state-action pairs (all entries sum to 1); uniform by default.
    theta0 : array (dim,), optional
        0 by default.
    rho, record_every, until
        As in the module docstring.

    Returns
    -------
    Run
        ``theta: (K, dim)``; traces ``w_norm`` and ``fit_loss`` :math:`L(w^{(t)}; \theta^{(t)}, d^{(t)}_\nu)`.

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> from pgbook import algorithms
    >>> mdp = pgbook.envs.three_state()  # 3 states in a row, gamma = 0.9, rho = (0.5, 0.3, 0.2)
    >>> phi = np.array([[[0.0, 0.0], [1.0, s]] for s in range(3)])  # phi(s, right) = (1, s), phi(s, left) = 0
    >>> run = algorithms.q_npg(mdp, phi, eta=0.5, T=20, theta0=[0.5, -0.5])
    >>> run
    Run(q_npg, iterations=20, V_rho: 1.02819 -> 8.48899, 21 recorded)
    >>> pi0 = pgbook.loglinear([0.5, -0.5], phi)
    >>> nu = np.full((3, 2), 1 / 6)  # (s_0, a_0) ~ nu, then pi: d_nu(s, a) = (1 - g) nu(s, a) + g d_{nu P}(s) pi(a|s)
    >>> d = 0.1 * nu + 0.9 * pgbook.visitation(mdp, pi0, rho=np.einsum("sa,sat->t", nu, mdp.P))[:, None] * pi0
    >>> X, y = (np.sqrt(d)[:, :, None] * phi).reshape(6, 2), (np.sqrt(d) * pgbook.q_value(mdp, pi0)).ravel()
    >>> bool(np.allclose(run.theta[1], np.array([0.5, -0.5]) + 0.5 * np.linalg.lstsq(X, y, rcond=None)[0]))
    True
    >>> from pgbook import features
    >>> q = algorithms.q_npg(mdp, features.one_hot(mdp), eta=0.5, T=20)  # tabular: NPG's eta = (1 - gamma) 0.5
    >>> bool(np.allclose(q.V_rho, algorithms.npg(mdp, eta=0.05, T=20).V_rho))
    True
    """
    c = _common(mdp, T, rho, record_every, until)
    S, A = c.mdp.S, c.mdp.A
    if nu is None:
        nu = np.full((S, A), 1.0 / (S * A))
    else:
        nu = validate.array(nu, "nu", shape=(S, A))
        if (nu < -validate.PROB_TOL).any() or abs(nu.sum() - 1.0) > validate.PROB_TOL:
            raise ValueError(f"nu: must be a distribution over state-action pairs (entries >= 0 summing "
                             f"to 1), got min {nu.min():.3g} and sum {nu.sum():.12g}")
        c.params["nu"] = nu
    return _loglinear(c, "q_npg", phi, theta0, c.positive("eta", eta), kernel_array(nu))


def policy_iteration_run(mdp: MDP, *, pi0=None, rho=None) -> Run:
    r"""Policy iteration as a run: every iterate of :func:`pgbook.policy_iteration`.

    :math:`\pi_{k+1} = \mathrm{greedy}(Q^{\pi_k})` until it stops changing (Howard 1960; Puterman
    1994, section 6.4); ``steps`` = 0..n with :math:`\pi_n` optimal (``n`` improvements). Works for
    episodic ``gamma = 1`` MDPs too.

    Parameters
    ----------
    mdp : MDP
    pi0 : array (S, A), optional
        As in :func:`pgbook.policy_iteration`.
    rho : None, int or array (S,), optional
        The start distribution of ``V_rho``.

    Returns
    -------
    Run
        ``theta`` is None; no traces.

    Examples
    --------
    >>> import numpy as np, pgbook
    >>> from pgbook import algorithms
    >>> mdp = pgbook.envs.three_state()  # 3 states in a row, gamma = 0.9, rho = (0.5, 0.3, 0.2)
    >>> run = algorithms.policy_iteration_run(mdp, pi0=[[1.0, 0.0]] * 3)  # from "left everywhere"
    >>> print(run.pi.argmax(axis=2), np.round(run.V_rho, 4))  # one state switches per iteration
    [[0 0 0]
     [0 0 1]
     [0 1 1]
     [1 1 1]] [0.932  2.77   5.1341 8.489 ]
    """
    require_mdp(mdp)
    rho_v = validate.start(mdp, rho)
    pis, Vs = _inner.policy_iteration(mdp, pi0)
    Vs = np.array(Vs)
    return Run("policy_iteration_run", Vs @ rho_v, np.arange(len(pis)), np.array(pis), Vs,
               params={"pi0": pi0, "rho": rho_v})


class _Common:
    """The checked arguments every gradient run shares, and its parameter record so far."""

    def __init__(self, mdp, T, rho, record_every, until):
        require_mdp(mdp)
        validate.discounted(mdp, "the gradient methods")
        self.mdp = mdp
        T = validate.positive_int(T, "T")
        rho = validate.start(mdp, rho)
        every = max(1, -(-T // RECORDS)) if record_every is None else validate.positive_int(record_every, "record_every")
        if until is not None and (isinstance(until, bool) or not isinstance(until, numbers.Real) or math.isnan(until)):
            raise TypeError(f"until: expected a real number or None, got {until!r}")
        self.model = Model(P=mdp.P, span=mdp.span, r=mdp.r, gamma=mdp.gamma, terminal=mdp.terminal, rho=kernel_array(rho))
        self.schedule = Schedule(T=T, every=every, until=math.inf if until is None else float(until))
        self.params = {"T": T, "rho": rho, "record_every": every, "until": until}

    def positive(self, name: str, x) -> float:
        """A checked step parameter (> 0), recorded in ``params``."""
        self.params[name] = validate.positive_real(x, name)
        return self.params[name]

    def logits0(self, theta0) -> np.ndarray:
        self.params["theta0"] = theta0
        if theta0 is None:
            return np.zeros((self.mdp.S, self.mdp.A))
        return kernel_array(validate.theta(self.mdp, theta0, "theta0"))

    def policy0(self, pi0) -> np.ndarray:
        self.params["pi0"] = pi0
        if pi0 is None:
            return np.full((self.mdp.S, self.mdp.A), 1.0 / self.mdp.A)
        return kernel_array(validate.policy(self.mdp, pi0, "pi0"))


_common = _Common


def _tabular(c: _Common, name: str, method: Method, x0: np.ndarray, step: Step, traces: tuple[str, ...],
             step_name: str = "eta") -> Run:
    with _overflow_detected():
        result = tabular_run(method, c.model, kernel_array(x0), step, c.schedule)
    _require_finite(result, step_name)
    steps, xs, Vs = _records(c, result)
    direct = method in (Method.PROJECTED, Method.CPI)
    pi = xs if direct else _inner.log_softmax(xs)[1]
    return Run(name, result.V_rho, steps, pi, Vs, None if direct else xs, _named(result, traces), c.params)


def _loglinear(c: _Common, name: str, phi, theta0, eta: float, nu_sa) -> Run:
    """A log-linear run: COMPATIBLE_NPG with ``nu_sa = None``, Q_NPG with the distribution ``nu_sa: (S, A)``."""
    phi = validate.features(c.mdp, phi)
    theta0 = np.zeros(phi.shape[2]) if theta0 is None else validate.array(theta0, "theta0", shape=(phi.shape[2],))
    validate.logits(phi @ theta0, "theta0")
    c.params.update(phi=phi, theta0=theta0)
    with _overflow_detected():
        result = loglinear_run(c.model, kernel_array(phi), kernel_array(theta0), eta, nu_sa, c.schedule)
    _require_finite(result, "eta")
    steps, thetas, Vs = _records(c, result)
    pi = _inner.log_softmax(np.einsum("sad,kd->ksa", phi, thetas))[1]
    return Run(name, result.V_rho, steps, pi, Vs, thetas, _named(result, ("w_norm", "fit_loss")), c.params)


def _overflow_detected():
    """The kernels detect an iterate that overflows and stop (see :func:`_require_finite`). numba does
    that silently; with NUMBA_DISABLE_JIT they run on numpy scalars, which would also warn."""
    return np.errstate(over="ignore", invalid="ignore")


def _require_finite(result: Result, step_name: str) -> None:
    if result.overflow:
        raise ValueError(f"{step_name}: the step size is too large: the iterate after step {result.n} leaves the "
                         "float64 range (logits whose spread overflows); take a smaller step")


def _records(c: _Common, result: Result):
    """The records up to step n, with the final iterate added if it fell between records."""
    n = result.n
    steps = np.arange(0, n + 1, c.schedule.every)
    xs, Vs = result.xs[: steps.size], result.Vs[: steps.size]
    if steps[-1] != n:
        steps = np.append(steps, n)
        xs = np.concatenate([xs, result.x[None]])
        Vs = np.concatenate([Vs, result.V[None]])
    return steps, xs, Vs


def _named(result: Result, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    return {name: result.trace[Trace[name.upper()]] for name in names}


