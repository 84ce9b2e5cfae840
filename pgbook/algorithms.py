r"""Whole optimisation runs with exact gradients, for the book's convergence figures.

Every function here runs one method for ``T`` iterations on a small MDP, evaluating each iterate
exactly, and returns a :class:`Run`: the value :math:`V^{(t)}(\rho)` at *every* iteration, and the
iterates (parameters, policies, values) every ``record_every`` iterations. The loops are numba
kernels (:mod:`pgbook._loops`), so :math:`10^5`--:math:`10^6` iterations on a bandit or a short chain
take about a second.

Common arguments: ``mdp`` (``gamma < 1``, except :func:`policy_iteration`); ``T`` the number of
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

from . import _loops
from . import _validate as check
from .control import _policy_iteration
from .mdp import MDP
from .policies import softmax

#: Default number of recorded iterates per run.
RECORDS = 1000


@dataclass(frozen=True, eq=False)
class Run:
    r"""One optimisation run.

    - ``algorithm``: the function's name; ``params``: the arguments used (read-only mapping).
    - ``V_rho: (n+1,)``: :math:`V^{(t)}(\rho)` for t = 0..n (``n = iterations``; ``n = T`` unless
      ``until`` stopped the run early).
    - ``steps: (K,)``: the iteration indices at which iterates were recorded (0, k, 2k, ..., and n).
    - ``pi: (K, S, A)`` the policies and ``V: (K, S)`` their values at those iterations.
    - ``theta``: the parameters there, ``(K, S, A)`` softmax logits (for the mirror methods
      :math:`\log\pi` up to a constant per state) or ``(K, d)`` (log-linear); ``None`` for the
      methods that move ``pi`` itself.
    - ``trace``: further per-iteration arrays ``(n+1,)``, named in each function's docstring; entry
      t belongs to iterate t (e.g. the step it takes next).

    All arrays are read-only.
    """

    algorithm: str
    V_rho: np.ndarray
    steps: np.ndarray
    pi: np.ndarray
    V: np.ndarray
    theta: np.ndarray | None
    trace: Mapping[str, np.ndarray]
    params: Mapping[str, object]

    @property
    def iterations(self) -> int:
        """The number of iterations run, n."""
        return self.V_rho.size - 1

    def __repr__(self) -> str:
        return (f"Run({self.algorithm}, iterations={self.iterations}, V_rho: {self.V_rho[0]:.6g} -> "
                f"{self.V_rho[-1]:.6g}, {self.steps.size} recorded)")


def softmax_pg(mdp: MDP, eta, T, *, theta0=None, rho=None, record_every=None, until=None) -> Run:
    r"""Softmax policy gradient ascent with exact gradients (AKLM section 5.1).

    .. math:: \theta^{(t+1)} = \theta^{(t)} + \eta \nabla_\theta V^{(t)}(\rho), \qquad
              \frac{\partial V^{\pi_\theta}(\rho)}{\partial\theta_{s,a}}
              = \frac{1}{1-\gamma} d^{\pi_\theta}_\rho(s)\, \pi_\theta(a|s)\, A^{\pi_\theta}(s, a).

    eta > 0 (AKLM Thm 5.1 uses :math:`\eta \le (1-\gamma)^3/8`); theta0: (S, A), default 0 (uniform).
    ``theta: (K, S, A)``; trace ``grad_norm`` :math:`\|\nabla_\theta V^{(t)}(\rho)\|_2`.
    """
    a = _Args(mdp, T, rho, record_every, until, eta=eta)
    return a.tabular("softmax_pg", _loops.SOFTMAX_PG, a.logits(theta0), traces=("grad_norm", None))


def log_barrier_pg(mdp: MDP, eta, T, *, lam, theta0=None, rho=None, record_every=None, until=None) -> Run:
    r"""Gradient ascent on the log-barrier (relative-entropy) regularised objective (AKLM section 5.2).

    .. math:: L_\lambda(\theta) = V^{\pi_\theta}(\rho) + \frac{\lambda}{|S||A|}\sum_{s,a}\log\pi_\theta(a|s)
              + \lambda\log|A|, \qquad
              \frac{\partial L_\lambda}{\partial\theta_{s,a}} = \frac{\partial V^{\pi_\theta}(\rho)}{\partial\theta_{s,a}}
              + \frac{\lambda}{|S||A|}\big(1 - |A|\pi_\theta(a|s)\big).

    (:math:`L_\lambda = V - \lambda\,\mathbb E_{s\sim\mathrm{Unif}}\mathrm{KL}(\mathrm{Unif}_A\,\|\,\pi_\theta(\cdot|s))`.)
    eta > 0, lam > 0 (AKLM Cor 5.1: :math:`\eta = 1/\beta_\lambda`,
    :math:`\beta_\lambda = 8/(1-\gamma)^3 + 2\lambda/|S|`). ``V_rho`` is the unregularised value;
    traces ``grad_norm`` :math:`\|\nabla L_\lambda\|_2` (Thm 5.2 needs it
    :math:`\le \lambda/(2|S||A|)`) and ``objective`` :math:`L_\lambda(\theta^{(t)})`.
    """
    a = _Args(mdp, T, rho, record_every, until, eta=eta, lam=lam)
    return a.tabular("log_barrier_pg", _loops.SOFTMAX_PG, a.logits(theta0), traces=("grad_norm", "objective"))


def entropy_pg(mdp: MDP, eta, T, *, tau, theta0=None, rho=None, record_every=None, until=None) -> Run:
    r"""Entropy-regularised softmax policy gradient (Mei et al. 2020).

    .. math:: \theta^{(t+1)} = \theta^{(t)} + \eta\nabla_\theta \tilde V^{(t)}(\rho), \qquad
              \frac{\partial\tilde V^{\pi_\theta}(\rho)}{\partial\theta_{s,a}}
              = \frac{1}{1-\gamma} d^{\pi_\theta}_\rho(s)\pi_\theta(a|s)\tilde A(s,a),

    with :math:`\tilde V = (I-\gamma P_\pi)^{-1}(r_\pi + \tau\mathcal H(\pi))`,
    :math:`\tilde Q = r + \gamma P\tilde V`, :math:`\tilde A = \tilde Q - \tau\log\pi - \tilde V`
    (computed from :math:`\log\pi` directly, so it stays finite where :math:`\pi` underflows).
    eta > 0, tau > 0 (Mei Thm 6: :math:`\eta = (1-\gamma)^3/(8 + \tau(4 + 8\log|A|))`).
    ``V_rho`` is the unregularised value; traces ``grad_norm`` and ``objective``
    :math:`\tilde V^{(t)}(\rho)`.
    """
    a = _Args(mdp, T, rho, record_every, until, eta=eta, tau=tau)
    return a.tabular("entropy_pg", _loops.SOFTMAX_PG, a.logits(theta0), traces=("grad_norm", "objective"))


def npg(mdp: MDP, eta, T, *, theta0=None, rho=None, record_every=None, until=None) -> Run:
    r"""Natural policy gradient for the softmax policy = soft policy iteration (AKLM Lemma 5.1).

    .. math:: \theta^{(t+1)} = \theta^{(t)} + \eta F_\rho(\theta^{(t)})^\dagger\nabla_\theta V^{(t)}(\rho)
              \;\equiv\; \theta^{(t)} + \frac{\eta}{1-\gamma} A^{(t)}, \qquad
              \pi^{(t+1)}(a|s) \propto \pi^{(t)}(a|s)\exp\Big(\frac{\eta A^{(t)}(s,a)}{1-\gamma}\Big),

    computed in log space: :math:`\log\pi \leftarrow \log\pi + \frac{\eta}{1-\gamma}(Q - \max_a Q)`,
    then renormalised. The update does not depend on rho (only ``V_rho`` does). eta > 0, any size
    (AKLM Thm 5.3: :math:`V^\star(\rho) - V^{(T)}(\rho) \le \frac{\log|A|}{\eta T} + \frac{1}{(1-\gamma)^2T}`
    from theta0 = 0). ``theta: (K, S, A)``: logits of :math:`\pi^{(t)}` (:math:`\log\pi^{(t)}` up to a
    constant per state).
    """
    a = _Args(mdp, T, rho, record_every, until, eta=eta)
    return a.tabular("npg", _loops.MIRROR, a.logits(theta0), eta_k=a.eta / (1.0 - mdp.gamma))


def entropy_npg(mdp: MDP, eta, T, *, tau, theta0=None, rho=None, record_every=None, until=None) -> Run:
    r"""Entropy-regularised NPG (Cen, Cheng, Chen, Wei and Chi 2022).

    .. math:: \pi^{(t+1)}(a|s) \propto \pi^{(t)}(a|s)^{1-\frac{\eta\tau}{1-\gamma}}
              \exp\Big(\frac{\eta Q^{(t)}_\tau(s,a)}{1-\gamma}\Big), \qquad 0 < \eta \le \frac{1-\gamma}{\tau},

    with the soft values :math:`V^\pi_\tau = (I - \gamma P_\pi)^{-1}(r_\pi + \tau\mathcal H(\pi))`,
    :math:`Q^\pi_\tau = r + \gamma P V^\pi_\tau`. :math:`\eta = (1-\gamma)/\tau` is soft policy
    iteration, :math:`\pi^{(t+1)} \propto \exp(Q^{(t)}_\tau/\tau)`. Cen et al. Thm 1:
    :math:`\|Q^\star_\tau - Q^{(t+1)}_\tau\|_\infty \le C_1\gamma(1-\eta\tau)^t`. ``V_rho`` is the
    unregularised value; trace ``objective`` :math:`V^{(t)}_\tau(\rho)`; ``theta``: logits of
    :math:`\pi^{(t)}`, as in :func:`npg`.
    """
    a = _Args(mdp, T, rho, record_every, until, eta=eta, tau=tau)
    if a.eta * a.tau > (1.0 - mdp.gamma) * (1.0 + 1e-12):
        bound = (1.0 - mdp.gamma) / a.tau
        raise ValueError(f"eta: must satisfy 0 < eta <= (1 - gamma)/tau = {bound:.6g}, got {a.eta:g}")
    # With eta = (1 - gamma)/tau (soft policy iteration) round-off must not push eta_k * tau above 1.
    eta_k = min(a.eta / (1.0 - mdp.gamma), 1.0 / a.tau)
    return a.tabular("entropy_npg", _loops.MIRROR, a.logits(theta0), eta_k=eta_k,
                     traces=(None, "objective"))


def pmd_geometric(mdp: MDP, eta0, T, *, theta0=None, rho=None, record_every=None, until=None) -> Run:
    r"""Policy mirror descent with the KL mirror map and geometric step sizes (Xiao 2022, Thm 10).

    .. math:: \pi_{k+1}(a|s) \propto \pi_k(a|s)\exp\big(\eta_k Q^{\pi_k}(s,a)\big), \qquad
              \eta_k = \eta_0/\gamma^k,

    the reward form of Xiao's cost-minimising PMD. With a constant step it is :func:`npg` with
    :math:`\eta_{\text{AKLM}} = (1-\gamma)\eta`. Xiao's Thm 10 gives
    :math:`V^\star(\rho) - V^{(k)}(\rho) \le (1 - 1/\vartheta_\rho)^k(\delta_0 + D^\star_0/(\gamma\eta_0))`,
    :math:`\vartheta_\rho = \frac{1}{1-\gamma}\|d^{\pi^\star}_\rho/\rho\|_\infty`; Xiao takes
    :math:`\eta_0 = \frac{1-\gamma}{\gamma}D^\star_0` (:math:`D^\star_0 = \log|A|` from uniform).
    :math:`\eta_k` is capped at ``1e200`` (beyond it the step is the greedy step in floating point).
    eta0 > 0. Trace ``eta`` :math:`\eta_k`; ``theta``: logits of :math:`\pi_k`, as in :func:`npg`.
    """
    a = _Args(mdp, T, rho, record_every, until, eta0=eta0)
    growth = math.inf if mdp.gamma == 0.0 else 1.0 / mdp.gamma
    return a.tabular("pmd_geometric", _loops.MIRROR, a.logits(theta0), eta_k=a.eta0, growth=growth,
                     traces=("eta", None))


def projected_ga(mdp: MDP, eta, T, *, pi0=None, rho=None, record_every=None, until=None) -> Run:
    r"""Projected gradient ascent for the direct parameterisation (AKLM section 4).

    .. math:: \pi^{(t+1)} = \mathrm{Proj}_{\Delta(\mathcal A)^{|S|}}\big(\pi^{(t)} + \eta\nabla_\pi V^{(t)}(\rho)\big),
              \qquad \frac{\partial V^\pi(\rho)}{\partial\pi(a|s)} = \frac{1}{1-\gamma}d^\pi_\rho(s)Q^\pi(s,a)

    (AKLM Eq. (7); Euclidean projection of each row onto the simplex). AKLM Thm 4.1 uses
    :math:`\eta = (1-\gamma)^3/(2\gamma|A|)`. eta > 0; pi0: (S, A) default uniform.
    ``theta`` is None; trace ``grad_norm`` :math:`\|\nabla_\pi V^{(t)}(\rho)\|_2`.
    """
    a = _Args(mdp, T, rho, record_every, until, eta=eta)
    return a.tabular("projected_ga", _loops.PROJECTED, a.policy(pi0), traces=("grad_norm", None), direct=True)


def cpi(mdp: MDP, T, *, alpha=None, pi0=None, rho=None, record_every=None, until=None) -> Run:
    r"""Conservative policy iteration (Kakade and Langford 2002; AJKS section 14.1).

    .. math:: \pi_{t+1} = (1-\alpha_t)\pi_t + \alpha_t\pi'_t, \qquad \pi'_t = \mathrm{greedy}(A^{\pi_t}),
              \qquad \mathbb A_t = \mathbb E_{s\sim d^{\pi_t}_\rho}\max_a A^{\pi_t}(s, a).

    alpha: a fixed mixing weight in (0, 1], or ``None`` for AJKS's choice
    :math:`\alpha_t = \min\big(1, \mathbb A_t(1-\gamma)^2/(4\gamma)\big)`, which guarantees
    :math:`V^{\pi_{t+1}}(\rho) - V^{\pi_t}(\rho) \ge \mathbb A_t^2(1-\gamma)/(8\gamma)` (Thm 14.2:
    :math:`\ge \frac{\alpha}{1-\gamma}(\mathbb A - \frac{2\alpha\gamma}{(1-\gamma)^2})` for any alpha).
    Traces ``alpha`` :math:`\alpha_t` and ``greedy_advantage`` :math:`\mathbb A_t`.
    """
    a = _Args(mdp, T, rho, record_every, until)
    if alpha is not None:
        alpha = check.positive_real(alpha, "alpha")
        if alpha > 1.0:
            raise ValueError(f"alpha: must lie in (0, 1], got {alpha:g}")
    a.params["alpha"] = alpha
    alpha = 0.0 if alpha is None else alpha
    return a.tabular("cpi", _loops.CPI, a.policy(pi0), alpha=alpha, traces=("alpha", "greedy_advantage"), direct=True)


def loglinear_npg(mdp: MDP, phi, eta, T, *, theta0=None, rho=None, record_every=None, until=None) -> Run:
    r"""NPG for log-linear policies via the compatible fit (AKLM section 6.3; math.md E2).

    .. math:: \theta^{(t+1)} = \theta^{(t)} + \eta w^{(t)}, \qquad
              w^{(t)} = \arg\min_w \mathbb E_{s\sim d^{(t)}_\rho, a\sim\pi^{(t)}}
              \big[(A^{(t)}(s,a) - w^\top\nabla_\theta\log\pi^{(t)}(a|s))^2\big],

    :math:`\nabla_\theta\log\pi_\theta(a|s) = \phi_{s,a} - \mathbb E_{a'\sim\pi_\theta}\phi_{s,a'}`;
    the minimum-norm exact fit, so :math:`w^{(t)} = (1-\gamma)F_\rho^\dagger\nabla V` (B1). Note the
    step multiplies w, as in AKLM's Lemma 6.2: with one-hot features this is :func:`npg` with
    :math:`\eta_{\text{npg}} = (1-\gamma)\eta`. phi: (S, A, d); eta > 0; theta0: (d,) default 0.
    ``theta: (K, d)``; traces ``w_norm`` :math:`\|w^{(t)}\|_2` and ``fit_loss`` the weighted
    squared residual of the fit.
    """
    a = _Args(mdp, T, rho, record_every, until, eta=eta)
    return a.loglinear("loglinear_npg", _loops.COMPATIBLE_NPG, phi, theta0, np.zeros((mdp.S, mdp.A)))


def q_npg(mdp: MDP, phi, eta, T, *, nu=None, theta0=None, rho=None, record_every=None, until=None) -> Run:
    r"""Q-NPG for log-linear policies (AKLM section 6.2, Thm 6.1; math.md E1).

    .. math:: \theta^{(t+1)} = \theta^{(t)} + \eta w^{(t)}, \qquad
              w^{(t)} = \arg\min_w \mathbb E_{(s,a)\sim d^{(t)}_\nu}\big[(Q^{(t)}(s,a) - w^\top\phi_{s,a})^2\big],

    features *not* centred, :math:`d^{(t)}_\nu(s,a) = (1-\gamma)\sum_t\gamma^t\Pr^{\pi^{(t)}}(s_t=s,a_t=a\mid(s_0,a_0)\sim\nu)`
    the state-action visitation from the exploratory distribution nu (minimum-norm exact fit). With
    one-hot features this is :func:`npg` with :math:`\eta_{\text{npg}} = (1-\gamma)\eta`.
    phi: (S, A, d); eta > 0; nu: (S, A) a distribution over state-action pairs (default uniform);
    theta0: (d,) default 0. ``theta: (K, d)``; traces ``w_norm`` and ``fit_loss``
    :math:`L(w^{(t)}; \theta^{(t)}, d^{(t)}_\nu)`.
    """
    a = _Args(mdp, T, rho, record_every, until, eta=eta)
    if nu is None:
        nu = np.full((mdp.S, mdp.A), 1.0 / (mdp.S * mdp.A))
    else:
        nu = check.array(nu, "nu", shape=(mdp.S, mdp.A))
        check.distribution_rows(nu.ravel(), "nu")
        a.params["nu"] = nu
    return a.loglinear("q_npg", _loops.Q_NPG, phi, theta0, nu)


def policy_iteration(mdp: MDP, *, pi0=None, rho=None) -> Run:
    r"""Policy iteration as a run: every iterate of :func:`pgbook.policy_iteration`.

    :math:`\pi_{k+1} = \mathrm{greedy}(Q^{\pi_k})` until it stops changing; ``steps`` = 0..n with
    :math:`\pi_n` optimal (``n`` improvements). Works for episodic ``gamma = 1`` MDPs too.
    pi0: (S, A), default as :func:`pgbook.policy_iteration`. ``theta`` is None.
    """
    check.mdp(mdp)
    rho_v = check.start(mdp, rho)
    pis, Vs = _policy_iteration(mdp, pi0)
    Vs = np.array(Vs)
    return _run("policy_iteration", Vs @ rho_v, np.arange(len(pis)), np.array(pis), Vs, None, {},
                {"pi0": pi0, "rho": rho_v})


class _Args:
    """The validated common arguments of a run, and the two ways to launch the kernels."""

    def __init__(self, mdp, T, rho, record_every, until, **reals):
        check.mdp(mdp)
        if mdp.gamma == 1.0:
            raise ValueError("mdp: the gradient methods need gamma < 1 (their steps scale with 1/(1-gamma))")
        self.mdp = mdp
        self.T = check.positive_int(T, "T")
        self.rho = check.start(mdp, rho)
        if record_every is None:
            self.every = max(1, -(-self.T // RECORDS))
        else:
            self.every = check.positive_int(record_every, "record_every")
        if until is not None and (isinstance(until, bool) or not isinstance(until, numbers.Real) or math.isnan(until)):
            raise TypeError(f"until: expected a real number or None, got {until!r}")
        self.until = math.inf if until is None else float(until)
        self.params = {"T": self.T, "rho": self.rho, "record_every": self.every, "until": until}
        for name, value in reals.items():
            self.params[name] = check.positive_real(value, name)
            setattr(self, name, self.params[name])

    def logits(self, theta0) -> np.ndarray:
        self.params["theta0"] = theta0
        if theta0 is None:
            return np.zeros((self.mdp.S, self.mdp.A))
        return check.theta(self.mdp, theta0, "theta0")

    def policy(self, pi0) -> np.ndarray:
        self.params["pi0"] = pi0
        if pi0 is None:
            return np.full((self.mdp.S, self.mdp.A), 1.0 / self.mdp.A)
        pi0 = check.array(pi0, "pi0", shape=(self.mdp.S, self.mdp.A))
        check.distribution_rows(pi0, "pi0")
        # The kernels need exact rows in the simplex; distribution_rows allows 1e-8 slack.
        pi0 = np.maximum(pi0, 0.0)
        return pi0 / pi0.sum(axis=1, keepdims=True)

    def tabular(self, name, kind, x0, *, eta_k=None, growth=1.0, alpha=0.0, traces=(None, None), direct=False) -> Run:
        m = self.mdp
        eta = getattr(self, "eta", 0.0) if eta_k is None else eta_k
        V_rho, aux, xs, Vs, x, V, n = _loops.tabular_run(
            kind, *_loops.transitions(m.P), _c(m.r), m.gamma, _c(self.rho), _c(x0), eta, growth,
            getattr(self, "lam", 0.0), getattr(self, "tau", 0.0), alpha, self.T, self.every, self.until)
        steps, xs, Vs = self._records(xs, Vs, x, V, n)
        pi = xs if direct else softmax(xs)
        return _run(name, V_rho, steps, pi, Vs, None if direct else xs, _named(aux, traces), self.params)

    def loglinear(self, name, kind, phi, theta0, nu) -> Run:
        m = self.mdp
        phi = check.features(m, phi)
        theta0 = np.zeros(phi.shape[2]) if theta0 is None else check.array(theta0, "theta0", shape=(phi.shape[2],))
        self.params.update(phi=phi, theta0=theta0)
        V_rho, aux, thetas, Vs, theta, V, n = _loops.loglinear_run(
            kind, *_loops.transitions(m.P), _c(m.r), m.gamma, _c(self.rho), _c(phi), _c(theta0), self.eta, _c(nu),
            self.T, self.every, self.until)
        steps, thetas, Vs = self._records(thetas, Vs, theta, V, n)
        pi = softmax(np.einsum("sad,kd->ksa", phi, thetas))
        return _run(name, V_rho, steps, pi, Vs, thetas, _named(aux, ("w_norm", "fit_loss")), self.params)

    def _records(self, xs, Vs, x, V, n):
        """Keep the records up to step n, and add the final iterate if it fell between records."""
        steps = np.arange(0, n + 1, self.every)
        xs, Vs = xs[: steps.size], Vs[: steps.size]
        if steps[-1] != n:
            steps = np.append(steps, n)
            xs = np.concatenate([xs, x[None]])
            Vs = np.concatenate([Vs, V[None]])
        return steps, xs, Vs


def _c(a) -> np.ndarray:
    """A writable C-ordered float64 copy, so that every call hits the same compiled kernel."""
    return np.array(a, dtype=np.float64, order="C")


def _named(aux: np.ndarray, names) -> dict[str, np.ndarray]:
    return {name: aux[:, i] for i, name in enumerate(names) if name is not None}


def _run(name, V_rho, steps, pi, V, theta, trace, params) -> Run:
    arrays = [V_rho, steps, pi, V, theta, *trace.values()]
    for a in arrays:
        if a is not None:
            a.flags.writeable = False
    return Run(name, V_rho, steps, pi, V, theta, MappingProxyType(dict(trace)), MappingProxyType(dict(params)))
