r"""Symbolic tabular MDPs with sympy: the policy gradient theorem derived, not just stated.

Two layers, both small enough to print:

- **Unknown functions of one parameter** :math:`\theta` (any one coordinate of the parameter
  vector): :math:`\pi_\theta(a|s)`, :math:`Q^{\pi_\theta}(s, a)`, :math:`V^{\pi_\theta}(s)`. On them
  sympy carries out the tutorial's general derivation (Sutton et al. 1999; AKLM Sec. 3; AJKS
  Thm 11.4): :func:`bellman_v` writes :math:`V(s) = \sum_a \pi(a|s) Q(s, a)`, ``sympy.diff`` applies
  the product rule, :func:`log_trick` writes :math:`\nabla\pi = \pi\nabla\log\pi` and
  :func:`expand_q` differentiates

  .. math:: Q(s, a) = r(s, a) + \gamma \sum_{s'} P(s'|s, a) V(s').

  :func:`instantiate` then puts a concrete policy in, so that each step can be checked.
- **A concrete symbolic MDP** (:func:`tabular_mdp`: symbolic :math:`P`, :math:`r`, :math:`\gamma`)
  and policy (:func:`softmax_formula` of symbolic :math:`\theta`, or any matrix of expressions): values by
  the Bellman solve (:func:`value_formula`), :func:`q_value_formula`, :func:`advantage_formula`, :func:`visitation_formula`, the
  score :math:`\nabla_\theta \log \pi_\theta` (:func:`score`) and the theorem's gradient
  (:func:`gradient_formula`), all exact rational functions that can be compared with sympy's own derivative
  of :math:`V(\theta)` (:func:`residual`).

Indices start at 0 like pgbook's arrays: ``P[s, a, s2]``, ``r[s, a]``, ``theta[s, a]``;
:meth:`SymbolicMDP.numbers` maps the symbols to the numbers of a :class:`pgbook.MDP`, so that every
symbolic result can be evaluated and compared with pgbook's numerical functions.
"""

from __future__ import annotations

import numbers

import numpy as np
import sympy as sp
from sympy.printing.latex import LatexPrinter

from .. import _validate as validate
from ..mdp import MDP, require_mdp

#: The parameter of the unknown functions: any one coordinate :math:`\theta_i` of :math:`\theta`.
THETA = sp.Symbol("theta", real=True)

#: Largest symbolic MDP: the Bellman solve's determinant has about (S A)^S terms.
MAX_STATES, MAX_ACTIONS = 3, 4


# ---------------------------------------------------------------------------------------------
# Unknown functions of theta, for the general derivation


class _Unknown(sp.Function):
    """An unknown smooth function of ``THETA``; integer state/action arguments come first."""

    @classmethod
    def eval(cls, *args):
        return None

    def _eval_derivative(self, x):
        if x in self.args[-1].free_symbols:
            return sp.Derivative(self, x)
        return sp.S.Zero


class Pi(_Unknown):
    r""":math:`\pi_\theta(a \mid s)`, as ``Pi(a, s, THETA)``."""

    nargs = 3

    def _latex(self, printer):
        a, s, _ = self.args
        return rf"\pi_\theta({printer._print(a)} \mid {printer._print(s)})"


class Qf(_Unknown):
    r""":math:`Q^{\pi_\theta}(s, a)`, as ``Qf(s, a, THETA)``."""

    nargs = 3

    def _latex(self, printer):
        s, a, _ = self.args
        return rf"Q^{{\pi_\theta}}({printer._print(s)}, {printer._print(a)})"


class Vf(_Unknown):
    r""":math:`V^{\pi_\theta}(s)`, as ``Vf(s, THETA)``."""

    nargs = 2

    def _latex(self, printer):
        return rf"V^{{\pi_\theta}}({printer._print(self.args[0])})"


def _state(mdp: "SymbolicMDP", s, name: str = "s") -> int:
    if isinstance(s, bool) or not isinstance(s, numbers.Integral):
        raise TypeError(f"{name}: expected a state index, got {type(s).__name__}")
    if not 0 <= s < mdp.S:
        raise ValueError(f"{name}: state index must lie in [0, {mdp.S}), got {s}")
    return int(s)


def bellman_v(mdp: "SymbolicMDP", s: int = 0) -> sp.Expr:
    r"""The first line of the derivation: :math:`V^{\pi_\theta}(s) = \sum_a \pi_\theta(a|s)\, Q^{\pi_\theta}(s, a)`.

    (AKLM Sec. 2; Sutton, McAllester, Singh and Mansour 1999, the first line of the proof of Theorem 1.)

    Parameters
    ----------
    mdp : SymbolicMDP
        Supplies the numbers of states and actions.
    s : int
        The state, :math:`s_0` in the tutorial.

    Returns
    -------
    sympy.Expr
        The sum over actions, in the unknown functions :class:`Pi` and :class:`Qf` of :data:`THETA`.

    Examples
    --------
    >>> from pgbook.theory import symbolic
    >>> symbolic.bellman_v(symbolic.tabular_mdp(2, 2), s=1)
    pi*Qf(1, 0, theta) + pi*Qf(1, 1, theta)
    """
    _check_mdp(mdp)
    s = _state(mdp, s)
    return sp.Add(*(Pi(a, s, THETA) * Qf(s, a, THETA) for a in range(mdp.A)))


def log_trick(expr: sp.Expr) -> sp.Expr:
    r"""Rewrite every :math:`\nabla\pi_\theta(a|s)` as :math:`\pi_\theta(a|s)\,\nabla\log\pi_\theta(a|s)`.

    The likelihood-ratio identity (Williams 1992; Glynn 1990): it turns a sum against
    :math:`\nabla\pi` into an expectation under :math:`\pi`. The derivative of the logarithm is
    left unevaluated so that it prints as the score.

    Parameters
    ----------
    expr : sympy.Expr
        An expression in the unknown functions of :data:`THETA` (e.g. a derivative of :func:`bellman_v`).

    Returns
    -------
    sympy.Expr

    Examples
    --------
    >>> import sympy as sp
    >>> from pgbook.theory import symbolic
    >>> step = sp.diff(symbolic.bellman_v(symbolic.tabular_mdp(1, 2)), symbolic.THETA)
    >>> symbolic.latex(symbolic.log_trick(step)).count(r"\log")
    2
    """
    expr = _expr(expr, "expr")
    return expr.replace(
        lambda e: isinstance(e, sp.Derivative) and isinstance(e.expr, Pi),
        lambda e: e.expr * sp.Derivative(sp.log(e.expr), *e.variables),
    )


def expand_q(expr: sp.Expr, mdp: "SymbolicMDP") -> sp.Expr:
    r"""Replace every :math:`\nabla Q^{\pi_\theta}(s, a)` by :math:`\nabla\big[r(s, a) + \gamma \sum_{s'} P(s'|s, a) V^{\pi_\theta}(s')\big]`.

    The reward and the dynamics do not depend on :math:`\theta`, so this is
    :math:`\gamma \sum_{s'} P(s'|s, a)\, \nabla V^{\pi_\theta}(s')`: the Bellman equation for
    :math:`Q` (AKLM Sec. 2), differentiated by sympy.

    Parameters
    ----------
    expr : sympy.Expr
        An expression in the unknown functions of :data:`THETA`.
    mdp : SymbolicMDP

    Returns
    -------
    sympy.Expr

    Examples
    --------
    >>> import sympy as sp
    >>> from pgbook.theory import symbolic
    >>> M = symbolic.tabular_mdp(2, 2)
    >>> step = symbolic.expand_q(sp.diff(symbolic.bellman_v(M), symbolic.THETA), M)
    >>> sorted(str(s) for s in step.free_symbols)
    ['P_0,0,0', 'P_0,1,0', 'gamma', 'theta']
    """
    expr = _expr(expr, "expr")
    _check_mdp(mdp)

    def bellman(e):
        s, a, th = e.expr.args
        q = mdp.r[int(s), int(a)] + mdp.gamma * sum(mdp.P[int(s), int(a), t] * Vf(t, th) for t in range(mdp.S))
        return sp.diff(q, *e.variables)

    return expr.replace(lambda e: isinstance(e, sp.Derivative) and isinstance(e.expr, Qf), bellman)


def instantiate(expr: sp.Expr, mdp: "SymbolicMDP", pi, coordinate: sp.Symbol) -> sp.Expr:
    r"""Put a concrete policy into an expression in the unknown functions, and evaluate it.

    :math:`\pi_\theta(a|s)` becomes ``pi[s, a]``; :math:`V` and :math:`Q` become the policy's
    exact values (:func:`value_formula`, :func:`q_value_formula`); :data:`THETA` becomes ``coordinate`` (one
    parameter, e.g. ``theta[0, 1]``) and every derivative is carried out.

    Parameters
    ----------
    expr : sympy.Expr
        An expression from :func:`bellman_v`, :func:`log_trick` or :func:`expand_q`.
    mdp : SymbolicMDP
    pi : sympy.Matrix (S, A)
        The policy as expressions in the parameters (e.g. :func:`softmax_formula` of :func:`parameters`).
    coordinate : sympy.Symbol
        The parameter that :data:`THETA` stands for.

    Returns
    -------
    sympy.Expr
        The expression with the policy's exact values in place of the unknown functions (the
        derivation's lines then hold as identities: AKLM Eq. (5)).

    Examples
    --------
    >>> import pgbook
    >>> from pgbook.theory import symbolic
    >>> M, theta = symbolic.tabular_mdp(2, 2), symbolic.parameters(2, 2)
    >>> pi = symbolic.softmax_formula(theta)
    >>> mdp = pgbook.envs.random_mdp(2, 2, seed=0, gamma=0.9)
    >>> at = {**M.numbers(mdp), **dict(zip(theta, [0.5, -0.5, 1.0, 0.0]))}  # theta non-uniform
    >>> line = symbolic.bellman_v(M, 0)  # V(0) = sum_a pi(a|0) Q(0, a)
    >>> value = symbolic.instantiate(line, M, pi, theta[0, 0])
    >>> float(symbolic.substitute(value, at).round(4)), float(pgbook.value(mdp, pgbook.softmax([[0.5, -0.5], [1.0, 0.0]]))[0].round(4))
    (6.3142, 6.3142)
    """
    expr = _expr(expr, "expr")
    pi = _policy(mdp, pi)
    if not isinstance(coordinate, sp.Symbol):
        raise TypeError(f"coordinate: expected a sympy Symbol (one parameter), got {type(coordinate).__name__}")
    V = value_formula(mdp, pi)
    Q = q_value_formula(mdp, pi, V)
    concrete = expr.subs(THETA, coordinate)
    concrete = concrete.replace(Pi, lambda a, s, _: pi[int(s), int(a)])
    concrete = concrete.replace(Qf, lambda s, a, _: Q[int(s), int(a)])
    concrete = concrete.replace(Vf, lambda s, _: V[int(s)])
    return concrete.doit()


# ---------------------------------------------------------------------------------------------
# A concrete symbolic MDP


class SymbolicMDP:
    r"""A tabular MDP with symbolic :math:`P`, :math:`r` and :math:`\gamma` (build it with :func:`tabular_mdp`).

    Attributes
    ----------
    P : sympy.Array (S, A, S)
        :math:`P(s'|s, a)`: symbols ``P_s,a,s'`` for :math:`s' < S - 1`; the last entry of each row
        is one minus the others, so that every row sums to 1 identically.
    r : sympy.ImmutableMatrix (S, A)
        Symbols ``r_s,a``.
    gamma : sympy.Symbol
        The discount :math:`\gamma`.
    S : int
        The number of states.
    A : int
        The number of actions.
    """

    __slots__ = ("P", "r", "gamma", "S", "A")

    def __init__(self, S: int, A: int):
        P = [[[sp.Symbol(f"P_{s},{a},{t}", nonnegative=True) for t in range(S - 1)] for a in range(A)]
             for s in range(S)]
        rows = [[[*p, 1 - sum(p)] for p in row] for row in P]
        self.P = sp.ImmutableDenseNDimArray(rows, (S, A, S))
        self.r = sp.ImmutableMatrix(S, A, lambda s, a: sp.Symbol(f"r_{s},{a}", real=True))
        self.gamma = sp.Symbol("gamma", positive=True)
        self.S, self.A = S, A

    def P_a(self, a: int) -> sp.ImmutableMatrix:
        r"""The transition matrix of action ``a``: :math:`P_a[s, s'] = P(s'|s, a)`, shape (S, S)."""
        if isinstance(a, bool) or not isinstance(a, numbers.Integral):
            raise TypeError(f"a: expected an action index, got {type(a).__name__}")
        if not 0 <= a < self.A:
            raise ValueError(f"a: action index must lie in [0, {self.A}), got {a}")
        return sp.ImmutableMatrix(self.S, self.S, lambda s, t: self.P[s, a, t])

    @property
    def symbols(self) -> list[sp.Symbol]:
        """Every symbol of the MDP, in a fixed order: P, then r, then gamma."""
        P = [self.P[s, a, t] for s in range(self.S) for a in range(self.A) for t in range(self.S - 1)]
        return [*P, *self.r, self.gamma]

    def numbers(self, mdp: MDP) -> dict:
        """The substitution ``{symbol: number}`` that turns this MDP into ``mdp`` (same S and A)."""
        require_mdp(mdp)
        if (mdp.S, mdp.A) != (self.S, self.A):
            raise ValueError(f"mdp: expected S = {self.S}, A = {self.A}, got S = {mdp.S}, A = {mdp.A}")
        subs = {self.P[s, a, t]: float(mdp.P[s, a, t])
                for s in range(self.S) for a in range(self.A) for t in range(self.S - 1)}
        subs.update({self.r[s, a]: float(mdp.r[s, a]) for s in range(self.S) for a in range(self.A)})
        subs[self.gamma] = float(mdp.gamma)
        return subs

    def _repr_latex_(self) -> str:
        blocks = [rf"P_{{{a}}} = {sp.latex(self.P_a(a))}" for a in range(self.A)]
        blocks.append(rf"r = {sp.latex(self.r)}")
        return r"$\displaystyle " + r",\quad ".join(blocks) + "$"

    def __repr__(self) -> str:
        return f"SymbolicMDP(S={self.S}, A={self.A})"


def tabular_mdp(S: int = 2, A: int = 2) -> SymbolicMDP:
    r"""A symbolic tabular MDP: :math:`P(s'|s, a)`, :math:`r(s, a)` and :math:`\gamma` are sympy symbols.

    (The tabular MDP of AKLM Sec. 2, every entry a symbol.)

    Parameters
    ----------
    S, A : int
        Numbers of states (at most ``MAX_STATES``) and actions (at most ``MAX_ACTIONS``): the exact
        Bellman solve grows quickly with S.

    Returns
    -------
    SymbolicMDP

    Examples
    --------
    >>> from pgbook.theory import symbolic
    >>> M = symbolic.tabular_mdp(2, 2)
    >>> M.r, len(M.symbols)
    (Matrix([
    [r_0,0, r_0,1],
    [r_1,0, r_1,1]]), 9)
    """
    S = validate.positive_int(S, "S")
    A = validate.positive_int(A, "A")
    if S > MAX_STATES:
        raise ValueError(f"S: at most {MAX_STATES} states for a symbolic solve, got {S}")
    if A > MAX_ACTIONS:
        raise ValueError(f"A: at most {MAX_ACTIONS} actions for a symbolic solve, got {A}")
    return SymbolicMDP(S, A)


def parameters(S: int, A: int, name: str = "theta") -> sp.ImmutableMatrix:
    r"""Tabular parameters :math:`\theta_{s,a}` as real symbols, shape (S, A) (AKLM Sec. 2, Eq. (3)).

    Parameters
    ----------
    S, A : int
    name : str
        The symbols' name, subscripted ``name_{s,a}``.

    Returns
    -------
    sympy.ImmutableMatrix (S, A)

    Examples
    --------
    >>> from pgbook.theory import symbolic
    >>> symbolic.parameters(2, 2)
    Matrix([
    [theta_0,0, theta_0,1],
    [theta_1,0, theta_1,1]])
    """
    S = validate.positive_int(S, "S")
    A = validate.positive_int(A, "A")
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"name: expected a symbol name such as 'theta', got {name!r}")
    return sp.ImmutableMatrix(S, A, lambda s, a: sp.Symbol(f"{name}_{s},{a}", real=True))


def softmax_formula(theta) -> sp.ImmutableMatrix:
    r"""The softmax policy :math:`\pi_\theta(a|s) = e^{\theta_{s,a}} / \sum_{a'} e^{\theta_{s,a'}}`.

    (AKLM Sec. 2, Eq. (3).)

    Parameters
    ----------
    theta : sympy.Matrix (S, A)

    Returns
    -------
    pi : sympy.ImmutableMatrix (S, A)

    Examples
    --------
    >>> import pgbook
    >>> from pgbook.theory import symbolic
    >>> M, theta = symbolic.tabular_mdp(2, 2), symbolic.parameters(2, 2)
    >>> pi = symbolic.softmax_formula(theta)
    >>> mdp = pgbook.envs.random_mdp(2, 2, seed=0, gamma=0.9)
    >>> at = {**M.numbers(mdp), **dict(zip(theta, [0.5, -0.5, 1.0, 0.0]))}  # theta non-uniform
    >>> symbolic.substitute(pi, at).round(4)
    array([[0.7311, 0.2689],
           [0.7311, 0.2689]])
    """
    theta = _matrix(theta, "theta")
    Z = [sum(sp.exp(theta[s, b]) for b in range(theta.cols)) for s in range(theta.rows)]
    return sp.ImmutableMatrix(theta.rows, theta.cols, lambda s, a: sp.exp(theta[s, a]) / Z[s])


def policy_matrices_formula(mdp: SymbolicMDP, pi) -> tuple[sp.ImmutableMatrix, sp.ImmutableMatrix]:
    r"""The policy's Markov chain: :math:`P_\pi(s, s') = \sum_a \pi(a|s) P(s'|s, a)` and :math:`r_\pi(s) = \sum_a \pi(a|s) r(s, a)`.

    (Puterman 1994, section 2.1.2; :func:`pgbook.policy_matrices` in floats.)

    Parameters
    ----------
    mdp : SymbolicMDP
    pi : sympy.Matrix (S, A)

    Returns
    -------
    P_pi : sympy.ImmutableMatrix (S, S)
    r_pi : sympy.ImmutableMatrix (S, 1)

    Examples
    --------
    >>> import pgbook
    >>> from pgbook.theory import symbolic
    >>> M, theta = symbolic.tabular_mdp(2, 2), symbolic.parameters(2, 2)
    >>> pi = symbolic.softmax_formula(theta)
    >>> mdp = pgbook.envs.random_mdp(2, 2, seed=0, gamma=0.9)
    >>> at = {**M.numbers(mdp), **dict(zip(theta, [0.5, -0.5, 1.0, 0.0]))}  # theta non-uniform
    >>> P_pi, r_pi = symbolic.policy_matrices_formula(M, pi)
    >>> symbolic.substitute(r_pi, at).ravel().round(4), pgbook.policy_matrices(mdp, symbolic.substitute(pi, at))[1].round(4)
    (array([0.6489, 0.5972]), array([0.6489, 0.5972]))
    """
    pi = _policy(mdp, pi)
    P_pi = sp.ImmutableMatrix(mdp.S, mdp.S, lambda s, t: sum(pi[s, a] * mdp.P[s, a, t] for a in range(mdp.A)))
    r_pi = sp.ImmutableMatrix(mdp.S, 1, lambda s, _: sum(pi[s, a] * mdp.r[s, a] for a in range(mdp.A)))
    return P_pi, r_pi


def _bellman(mdp: SymbolicMDP, pi):
    r"""Cramer's rule for :math:`(I - \gamma P_\pi) V = r_\pi`, with each row s scaled by the common
    denominator :math:`c_s` of :math:`\pi(\cdot|s)` (the softmax's normaliser) so that the system is
    polynomial: returns (adjugate, determinant, c) of the scaled matrix and the scaled :math:`r_\pi`.
    Polynomial entries keep the later cancellations fast (seconds, not minutes)."""
    P_pi, r_pi = policy_matrices_formula(mdp, pi)
    c = [sp.lcm([sp.fraction(sp.together(pi[s, a]))[1] for a in range(mdp.A)]) for s in range(mdp.S)]
    M = sp.Matrix(mdp.S, mdp.S, lambda s, t: sp.expand(sp.cancel(c[s] * (sp.KroneckerDelta(s, t) - mdp.gamma * P_pi[s, t]))))
    b = sp.Matrix(mdp.S, 1, lambda s, _: sp.expand(sp.cancel(c[s] * r_pi[s])))
    return M.adjugate().applyfunc(sp.expand), sp.expand(M.det()), c, b


def value_formula(mdp: SymbolicMDP, pi) -> sp.ImmutableMatrix:
    r"""State values :math:`V^\pi = (I - \gamma P_\pi)^{-1} r_\pi`, exactly (AKLM Sec. 2; Bellman consistency).

    Parameters
    ----------
    mdp : SymbolicMDP
    pi : sympy Matrix (S, A)
        A policy as expressions (numbers, symbols, :func:`softmax_formula` of :func:`parameters`). Rows need
        not sum to 1 identically: the direct parameterisation is evaluated off the simplex by the
        same formula.

    Returns
    -------
    sympy.ImmutableMatrix (S, 1)
        Each entry a quotient of polynomials with a common denominator.

    Examples
    --------
    >>> import pgbook
    >>> from pgbook.theory import symbolic
    >>> M, theta = symbolic.tabular_mdp(2, 2), symbolic.parameters(2, 2)
    >>> pi = symbolic.softmax_formula(theta)
    >>> mdp = pgbook.envs.random_mdp(2, 2, seed=0, gamma=0.9)
    >>> at = {**M.numbers(mdp), **dict(zip(theta, [0.5, -0.5, 1.0, 0.0]))}  # theta non-uniform
    >>> symbolic.substitute(symbolic.value_formula(M, pi), at).ravel().round(4)
    array([6.3142, 6.2483])
    >>> pgbook.value(mdp, pgbook.softmax([[0.5, -0.5], [1.0, 0.0]])).round(4)
    array([6.3142, 6.2483])
    """
    adj, det, _, b = _bellman(mdp, pi)
    N = (adj * b).applyfunc(sp.expand)
    return sp.ImmutableMatrix(mdp.S, 1, lambda s, _: N[s] / det)


def q_value_formula(mdp: SymbolicMDP, pi, V=None) -> sp.ImmutableMatrix:
    r"""Action values :math:`Q^\pi` of a policy, shape (S, A),

    .. math:: Q^\pi(s, a) = r(s, a) + \gamma \sum_{s'} P(s'|s, a) V^\pi(s').

    (AKLM Sec. 2: the Bellman equation for Q.)

    Parameters
    ----------
    mdp : SymbolicMDP
    pi : sympy.Matrix (S, A)
    V : sympy.Matrix (S, 1), optional
        The values of ``pi`` if already computed (:func:`value_formula`), else computed here.

    Returns
    -------
    Q : sympy.ImmutableMatrix (S, A)

    Examples
    --------
    >>> import pgbook
    >>> from pgbook.theory import symbolic
    >>> M, theta = symbolic.tabular_mdp(2, 2), symbolic.parameters(2, 2)
    >>> pi = symbolic.softmax_formula(theta)
    >>> mdp = pgbook.envs.random_mdp(2, 2, seed=0, gamma=0.9)
    >>> at = {**M.numbers(mdp), **dict(zip(theta, [0.5, -0.5, 1.0, 0.0]))}  # theta non-uniform
    >>> symbolic.substitute(symbolic.q_value_formula(M, pi), at).round(4)
    array([[6.2088, 6.6008],
           [6.4673, 5.6532]])
    """
    pi = _policy(mdp, pi)
    V = value_formula(mdp, pi) if V is None else _matrix(V, "V", shape=(mdp.S, 1))
    return sp.ImmutableMatrix(
        mdp.S, mdp.A, lambda s, a: mdp.r[s, a] + mdp.gamma * sum(mdp.P[s, a, t] * V[t] for t in range(mdp.S))
    )


def advantage_formula(mdp: SymbolicMDP, pi) -> sp.ImmutableMatrix:
    r"""Advantages :math:`A^\pi(s, a) = Q^\pi(s, a) - V^\pi(s)`, shape (S, A) (AKLM Sec. 2).

    Parameters
    ----------
    mdp : SymbolicMDP
    pi : sympy.Matrix (S, A)

    Returns
    -------
    A : sympy.ImmutableMatrix (S, A)

    Examples
    --------
    >>> import pgbook
    >>> from pgbook.theory import symbolic
    >>> M, theta = symbolic.tabular_mdp(2, 2), symbolic.parameters(2, 2)
    >>> pi = symbolic.softmax_formula(theta)
    >>> mdp = pgbook.envs.random_mdp(2, 2, seed=0, gamma=0.9)
    >>> at = {**M.numbers(mdp), **dict(zip(theta, [0.5, -0.5, 1.0, 0.0]))}  # theta non-uniform
    >>> symbolic.substitute(symbolic.advantage_formula(M, pi), at).round(4)
    array([[-0.1054,  0.2866],
           [ 0.219 , -0.5952]])
    """
    pi = _policy(mdp, pi)
    V = value_formula(mdp, pi)
    Q = q_value_formula(mdp, pi, V)
    return sp.ImmutableMatrix(mdp.S, mdp.A, lambda s, a: Q[s, a] - V[s])


def visitation_formula(mdp: SymbolicMDP, pi, s0: int = 0) -> sp.ImmutableMatrix:
    r"""The discounted state visitation :math:`d^\pi_{s_0}(s) = (1 - \gamma) \sum_t \gamma^t \Pr^\pi(s_t = s \mid s_0)`.

    In matrix form :math:`d^{\pi\top}_{s_0} = (1 - \gamma)\, e_{s_0}^\top (I - \gamma P_\pi)^{-1}`
    (AKLM Sec. 2).

    Parameters
    ----------
    mdp : SymbolicMDP
    pi : sympy.Matrix (S, A)
    s0 : int
        The start state.

    Returns
    -------
    d : sympy.ImmutableMatrix (S, 1)

    Examples
    --------
    >>> import pgbook
    >>> from pgbook.theory import symbolic
    >>> M, theta = symbolic.tabular_mdp(2, 2), symbolic.parameters(2, 2)
    >>> pi = symbolic.softmax_formula(theta)
    >>> mdp = pgbook.envs.random_mdp(2, 2, seed=0, gamma=0.9)
    >>> at = {**M.numbers(mdp), **dict(zip(theta, [0.5, -0.5, 1.0, 0.0]))}  # theta non-uniform
    >>> symbolic.substitute(symbolic.visitation_formula(M, pi, s0=1), at).ravel().round(4)
    array([0.5348, 0.4652])
    """
    _check_mdp(mdp)
    s0 = _state(mdp, s0, "s0")
    adj, det, c, _ = _bellman(mdp, pi)
    # (I - gamma P_pi)^{-1} = M^{-1} diag(c) for the row-scaled M.
    return sp.ImmutableMatrix(mdp.S, 1, lambda s, _: (1 - mdp.gamma) * adj[s0, s] * c[s] / det)


def score(pi, theta) -> sp.ImmutableDenseNDimArray:
    r"""The score :math:`\nabla_\theta \log \pi_\theta(a|s)` of a policy, entry by entry.

    (Williams 1992; AKLM Sec. 2 for the softmax's score.)

    Parameters
    ----------
    pi : sympy Matrix (S, A)
        The policy as expressions in the parameters.
    theta : sympy Matrix of symbols, any shape
        The parameters.

    Returns
    -------
    sympy.Array (S, A, *theta.shape)
        ``score[s, a, i, j]``, simplified:

        .. math:: \partial \log \pi_\theta(a|s) / \partial \theta_{i,j}
                  = (\partial \pi_\theta(a|s) / \partial \theta_{i,j}) / \pi_\theta(a|s).

    Examples
    --------
    >>> import pgbook
    >>> from pgbook.theory import symbolic
    >>> M, theta = symbolic.tabular_mdp(2, 2), symbolic.parameters(2, 2)
    >>> pi = symbolic.softmax_formula(theta)
    >>> mdp = pgbook.envs.random_mdp(2, 2, seed=0, gamma=0.9)
    >>> at = {**M.numbers(mdp), **dict(zip(theta, [0.5, -0.5, 1.0, 0.0]))}  # theta non-uniform
    >>> g = symbolic.score(pi, theta)
    >>> symbolic.substitute(g[0, 0, 0, 0], at).round(4), symbolic.substitute(g[0, 0, 0, 0], {**at, theta[0, 0]: 2.0}).round(4)
    (np.float64(0.2689), np.float64(0.0759))
    """
    pi = _matrix(pi, "pi")
    theta = _parameters(theta)
    rows = [[[[sp.cancel(sp.diff(pi[s, a], theta[i, j]) / pi[s, a]) for j in range(theta.cols)]
              for i in range(theta.rows)] for a in range(pi.cols)] for s in range(pi.rows)]
    return sp.ImmutableDenseNDimArray(rows, (pi.rows, pi.cols, theta.rows, theta.cols))


def gradient_formula(mdp: SymbolicMDP, pi, theta, s0: int = 0, weights=None) -> sp.ImmutableMatrix:
    r"""The policy gradient theorem, evaluated symbolically.

    .. math:: \nabla_\theta V^{\pi_\theta}(s_0) = \frac{1}{1-\gamma}
              \sum_s d^{\pi_\theta}_{s_0}(s) \sum_a \pi_\theta(a|s)\, \nabla_\theta \log \pi_\theta(a|s)\, Q^{\pi_\theta}(s, a)

    (AKLM Eq. (5); AJKS Thm 11.4; Sutton et al. 1999 Thm 1 with unnormalised visitation).

    Parameters
    ----------
    mdp : SymbolicMDP
    pi : sympy Matrix (S, A)
        The policy as expressions in ``theta``.
    theta : sympy Matrix of symbols
        The parameters; the result has their shape.
    s0 : int
        The start state.
    weights : sympy Matrix (S, A), optional
        What multiplies the score: :math:`Q^{\pi_\theta}` by default (the Q-form); pass
        :func:`advantage_formula` for the A-form.

    Returns
    -------
    sympy.ImmutableMatrix, the shape of ``theta``

    Examples
    --------
    >>> import pgbook
    >>> from pgbook.theory import symbolic
    >>> M, theta = symbolic.tabular_mdp(2, 2), symbolic.parameters(2, 2)
    >>> pi = symbolic.softmax_formula(theta)
    >>> mdp = pgbook.envs.random_mdp(2, 2, seed=0, gamma=0.9)
    >>> at = {**M.numbers(mdp), **dict(zip(theta, [0.5, -0.5, 1.0, 0.0]))}  # theta non-uniform
    >>> symbolic.substitute(symbolic.gradient_formula(M, pi, theta, s0=0), at).round(4)
    array([[-0.5104,  0.5104],
           [ 0.5409, -0.5409]])
    >>> symbolic.substitute(symbolic.gradient_formula(M, pi, theta, s0=1), at).round(4)
    array([[-0.4122,  0.4122],
           [ 0.7447, -0.7447]])
    >>> pgbook.softmax_gradient(mdp, [[0.5, -0.5], [1.0, 0.0]], rho=1).round(4)
    array([[-0.4122,  0.4122],
           [ 0.7447, -0.7447]])
    """
    pi = _policy(mdp, pi)
    theta = _parameters(theta)
    d = visitation_formula(mdp, pi, s0)
    W = q_value_formula(mdp, pi) if weights is None else _matrix(weights, "weights", shape=(mdp.S, mdp.A))
    g = score(pi, theta)
    return sp.ImmutableMatrix(theta.rows, theta.cols, lambda i, j: sum(
        d[s] * pi[s, a] * g[s, a, i, j] * W[s, a] for s in range(mdp.S) for a in range(mdp.A)
    ) / (1 - mdp.gamma))


def derivative(f, theta) -> sp.ImmutableMatrix:
    r"""Sympy's own derivative of the scalar ``f`` with respect to every parameter, the shape of ``theta``.

    Source: sympy's differentiation (Meurer et al. 2017), the reference the policy gradient theorem's
    forms (:func:`gradient_formula`) are checked against.

    Parameters
    ----------
    f : sympy.Expr
    theta : sympy.Matrix of symbols

    Returns
    -------
    sympy.ImmutableMatrix, the shape of ``theta``

    Examples
    --------
    >>> import pgbook
    >>> from pgbook.theory import symbolic
    >>> M, theta = symbolic.tabular_mdp(2, 2), symbolic.parameters(2, 2)
    >>> pi = symbolic.softmax_formula(theta)
    >>> mdp = pgbook.envs.random_mdp(2, 2, seed=0, gamma=0.9)
    >>> at = {**M.numbers(mdp), **dict(zip(theta, [0.5, -0.5, 1.0, 0.0]))}  # theta non-uniform
    >>> V0 = symbolic.value_formula(M, pi)[0]
    >>> symbolic.substitute(symbolic.derivative(V0, theta), at).round(4)
    array([[-0.5104,  0.5104],
           [ 0.5409, -0.5409]])
    >>> symbolic.substitute(symbolic.gradient_formula(M, pi, theta, s0=0), at).round(4)
    array([[-0.5104,  0.5104],
           [ 0.5409, -0.5409]])
    """
    f = _expr(f, "f")
    theta = _parameters(theta)
    return sp.ImmutableMatrix(theta.rows, theta.cols, lambda i, j: sp.diff(f, theta[i, j]))


def simplified(expr):
    r"""Each entry that vanishes identically replaced by an exact ``0``; the others left as they are.

    An entry is brought over one denominator (``sympy.together``) and its numerator expanded: the
    entry is identically zero exactly when that polynomial is. Exponentials are first written as
    powers of positive symbols, :math:`e^{k\theta} = X_\theta^k` for an integer :math:`k` and a
    symbol :math:`\theta`, after splitting :math:`e^{a+b} = e^a e^b`; any other exponential becomes
    a fresh symbol. Forgetting relations can only turn a zero into a non-zero, never the reverse,
    so a 0 here is a proof. (``sympy.cancel`` decides the same, but its gcds take ten times longer
    on these gradients.)

    Source: the zero test of rational functions, as ``sympy.together`` and ``sympy.expand`` decide it
    (Meurer et al. 2017).

    Parameters
    ----------
    expr : sympy.Expr or sympy.Matrix

    Returns
    -------
    The same kind as ``expr``.

    Examples
    --------
    >>> import sympy as sp
    >>> from pgbook.theory import symbolic
    >>> x = sp.Symbol("x", real=True)
    >>> symbolic.simplified(sp.Matrix([[sp.exp(2 * x) - sp.exp(x) ** 2, sp.exp(x) / (1 + sp.exp(x))]]))
    Matrix([[0, exp(x)/(exp(x) + 1)]])
    """
    scalar = not getattr(expr, "is_Matrix", False)
    M = sp.ImmutableMatrix([[_expr(expr, "expr")]]) if scalar else _matrix(expr, "expr")
    polynomial = _without_exp(M)
    out = sp.ImmutableMatrix(M.rows, M.cols, lambda i, j: sp.S.Zero if _vanishes(polynomial[i, j]) else M[i, j])
    return out[0, 0] if scalar else out


def _vanishes(e: sp.Expr) -> bool:
    return sp.expand(sp.fraction(sp.together(e))[0]) == 0


def _without_exp(M: sp.ImmutableMatrix) -> sp.ImmutableMatrix:
    M = M.applyfunc(sp.expand_power_exp)
    bases: dict = {}
    replace = {}
    for e in M.atoms(sp.exp):
        k, x = e.args[0].as_coeff_Mul()
        if k.is_Integer and x.is_Symbol:
            replace[e] = bases.setdefault(x, sp.Dummy(positive=True)) ** k
        else:
            replace[e] = sp.Dummy(positive=True)
    return M.xreplace(replace)


def substitute(expr, subs: dict) -> np.ndarray:
    r"""A symbolic expression or matrix at numbers: ``subs`` maps every free symbol to a number.

    A ValueError names any symbol left over. Source: sympy's ``subs`` and ``evalf`` (Meurer et al. 2017).

    Parameters
    ----------
    expr : sympy.Expr or sympy.Matrix
    subs : dict
        ``{symbol: number}`` for every free symbol.

    Returns
    -------
    ndarray
        Floats, the shape of ``expr`` (``()`` for an expression).

    Examples
    --------
    >>> import pgbook
    >>> from pgbook.theory import symbolic
    >>> M, theta = symbolic.tabular_mdp(2, 2), symbolic.parameters(2, 2)
    >>> pi = symbolic.softmax_formula(theta)
    >>> mdp = pgbook.envs.random_mdp(2, 2, seed=0, gamma=0.9)
    >>> at = {**M.numbers(mdp), **dict(zip(theta, [0.5, -0.5, 1.0, 0.0]))}  # theta non-uniform
    >>> symbolic.substitute(pi[0, 0], at).round(6), symbolic.substitute(pi[0, 0], {**at, theta[0, 0]: 2.0}).round(6)
    (np.float64(0.731059), np.float64(0.924142))
    """
    if not isinstance(subs, dict):
        raise TypeError(f"subs: expected a dict {{symbol: number}}, got {type(subs).__name__}")
    scalar = not getattr(expr, "is_Matrix", False)
    M = sp.ImmutableMatrix([[_expr(expr, "expr")]]) if scalar else _matrix(expr, "expr")
    values = M.subs(subs)
    left = values.free_symbols
    if left:
        raise ValueError(f"subs: no number for {sorted(map(str, left))}")
    out = np.array(values.evalf(), dtype=float).reshape(M.shape)
    return out.reshape(()) if scalar else out


def residual(expr) -> np.ndarray:
    r"""Exact zero test for the checks: 0.0 for each entry that :func:`simplified` reduces to 0, 1.0 otherwise.

    For ``pgbook.checks.equal(claim, residual(lhs - rhs) == 0, True)``. Source: :func:`simplified`'s exact
    zero test (Meurer et al. 2017).

    Parameters
    ----------
    expr : sympy.Expr or sympy.Matrix

    Returns
    -------
    ndarray
        Floats, the shape of ``expr``.

    Examples
    --------
    >>> import pgbook
    >>> from pgbook.theory import symbolic
    >>> M, theta = symbolic.tabular_mdp(2, 2), symbolic.parameters(2, 2)
    >>> pi = symbolic.softmax_formula(theta)
    >>> mdp = pgbook.envs.random_mdp(2, 2, seed=0, gamma=0.9)
    >>> at = {**M.numbers(mdp), **dict(zip(theta, [0.5, -0.5, 1.0, 0.0]))}  # theta non-uniform
    >>> V0 = symbolic.value_formula(M, pi)[0]
    >>> gap = symbolic.gradient_formula(M, pi, theta, s0=0) - symbolic.derivative(V0, theta)
    >>> symbolic.residual(gap), symbolic.residual(gap + theta)
    (array([[0., 0.],
           [0., 0.]]), array([[1., 1.],
           [1., 1.]]))
    """
    scalar = not getattr(expr, "is_Matrix", False)
    M = simplified(expr)
    M = sp.ImmutableMatrix([[M]]) if scalar else M
    out = np.array([0.0 if e == 0 else 1.0 for e in M], dtype=float).reshape(M.shape)
    return out.reshape(()) if scalar else out


# ---------------------------------------------------------------------------------------------
# Printing


class _Printer(LatexPrinter):
    r"""sympy's LaTeX with :math:`\nabla` for derivatives in :data:`THETA`, as in the tutorial."""

    def _print_Derivative(self, expr):
        if expr.variables == (THETA,):
            inner = self._print(expr.expr)
            if isinstance(expr.expr, sp.log):
                inner = rf"\log {self._print(expr.expr.args[0])}"
            return rf"\nabla {inner}"
        return super()._print_Derivative(expr)


def latex(expr) -> str:
    r"""LaTeX for ``expr``, writing derivatives in :data:`THETA` as :math:`\nabla` (AKLM's notation).

    Parameters
    ----------
    expr : sympy.Expr or sympy.Matrix

    Returns
    -------
    str

    Examples
    --------
    >>> import sympy as sp
    >>> from pgbook.theory import symbolic
    >>> symbolic.latex(sp.diff(symbolic.bellman_v(symbolic.tabular_mdp(1, 1)), symbolic.THETA))
    '\\pi_\\theta(0 \\mid 0) \\nabla Q^{\\pi_\\theta}(0, 0) + \\nabla \\pi_\\theta(0 \\mid 0) Q^{\\pi_\\theta}(0, 0)'
    """
    return _Printer({"order": "none"}).doprint(expr)


class Equation:
    r"""A displayed equation ``lhs = rhs``, the right side split over lines of ``per_line`` terms.

    Shows as LaTeX in Jupyter and in the book; ``repr`` gives sympy's plain text.
    """

    def __init__(self, lhs, rhs, per_line: int = 3):
        self.lhs, self.rhs = lhs, rhs
        self.per_line = validate.positive_int(per_line, "per_line")

    def _repr_latex_(self) -> str:
        terms = sp.Add.make_args(self.rhs) if isinstance(self.rhs, sp.Add) else (self.rhs,)
        # As in the tutorial: the terms with the score first, those with the next state's gradient last.
        terms = sorted(terms, key=lambda t: t.has(Vf))
        lines, line = [], []
        for k, t in enumerate(terms):
            text = latex(t)
            if k and not text.startswith("-"):
                text = "+ " + text
            line.append(text)
            if len(line) == self.per_line:
                lines.append(" ".join(line))
                line = []
        if line:
            lines.append(" ".join(line))
        body = r" \\ &\quad ".join(lines)
        return rf"$\displaystyle \begin{{aligned}} {latex(self.lhs)} &= {body} \end{{aligned}}$"

    def __repr__(self) -> str:
        return f"{self.lhs} = {self.rhs}"


# ---------------------------------------------------------------------------------------------
# Validation


def _check_mdp(mdp) -> None:
    if not isinstance(mdp, SymbolicMDP):
        raise TypeError(f"mdp: expected a SymbolicMDP (pgbook.theory.symbolic.tabular_mdp), got {type(mdp).__name__}")


def _expr(e, name: str) -> sp.Expr:
    if not isinstance(e, sp.Basic):
        try:
            return sp.sympify(e, strict=True)
        except (sp.SympifyError, TypeError):
            raise TypeError(f"{name}: expected a sympy expression, got {type(e).__name__}") from None
    return e


def _matrix(m, name: str, shape: tuple | None = None) -> sp.ImmutableMatrix:
    if isinstance(m, (str, bytes)) or m is None:
        raise TypeError(f"{name}: expected a sympy Matrix, got {type(m).__name__}")
    try:
        M = sp.ImmutableMatrix(m)
    except (TypeError, ValueError, sp.SympifyError):
        raise TypeError(f"{name}: expected a sympy Matrix, got {type(m).__name__}") from None
    if M.rows == 0 or M.cols == 0:
        raise ValueError(f"{name}: is empty")
    if shape is not None and M.shape != shape:
        raise ValueError(f"{name}: expected shape {shape}, got {M.shape}")
    return M


def _policy(mdp, pi) -> sp.ImmutableMatrix:
    _check_mdp(mdp)
    return _matrix(pi, "pi", shape=(mdp.S, mdp.A))


def _parameters(theta) -> sp.ImmutableMatrix:
    theta = _matrix(theta, "theta")
    if not all(isinstance(x, sp.Symbol) for x in theta):
        raise ValueError("theta: every entry must be a sympy Symbol (a parameter)")
    if len(set(theta)) != len(theta):
        raise ValueError("theta: contains repeated symbols")
    return theta
