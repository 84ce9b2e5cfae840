"""Argument checks shared by every public function.

Each check raises ``TypeError`` (wrong kind of object) or ``ValueError`` (right kind, bad value)
with a message that names the argument and says what is wrong, so that bad input never reaches a
numba kernel or produces silent garbage. Public functions check their arguments once, here, and
then call private helpers that check nothing.

This module knows nothing of :class:`pgbook.MDP` (which uses it): the checks that take an MDP
``m`` read only ``m.S``, ``m.A`` and ``m.rho``, and the caller has checked ``m`` itself first
(:func:`pgbook.mdp.require_mdp`).
"""

from __future__ import annotations

import numbers

import numpy as np

#: Tolerance on probability rows: ``|sum - 1| <= PROB_TOL`` and entries ``>= -PROB_TOL``.
PROB_TOL = 1e-8


def array(x, name: str, *, ndim: int | None = None, shape: tuple | None = None) -> np.ndarray:
    """Return ``x`` as a finite float64 array, checking its dimension or shape.

    ``shape`` may contain ``None`` for a free axis.
    """
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name}: expected an array of numbers, got {type(x).__name__}")
    try:
        raw = np.asarray(x)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: expected an array of numbers, got {type(x).__name__}") from None
    # Complex numbers would lose their imaginary part, and strings such as "0.1" would be parsed.
    if raw.dtype.kind not in "biufO" or (raw.dtype.kind == "O" and any(
            isinstance(v, (str, bytes, complex)) for v in raw.ravel())):
        raise TypeError(f"{name}: expected an array of real numbers, got a {raw.dtype} array")
    try:
        a = raw.astype(np.float64, copy=False)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: expected an array of real numbers, got {type(x).__name__}") from None
    if shape is not None:
        ndim = len(shape)
    if ndim is not None and a.ndim != ndim:
        raise ValueError(f"{name}: expected a {ndim}-d array, got shape {a.shape}")
    if shape is not None and any(want is not None and got != want for got, want in zip(a.shape, shape)):
        want = "(" + ", ".join("*" if w is None else str(w) for w in shape) + ("," if len(shape) == 1 else "") + ")"
        raise ValueError(f"{name}: expected shape {want}, got {a.shape}")
    if a.size and not np.isfinite(a).all():
        raise ValueError(f"{name}: contains NaN or infinite entries")
    return a


def distribution_rows(a: np.ndarray, name: str, tol: float = PROB_TOL) -> None:
    """Check that every slice ``a[..., :]`` is a probability vector (within ``tol``)."""
    if a.shape[-1] == 0:
        raise ValueError(f"{name}: the last axis is empty")
    if (a < -tol).any():
        idx = np.unravel_index(np.argmin(a), a.shape)
        raise ValueError(f"{name}: negative probability {a[idx]:.3g} at index {tuple(int(i) for i in idx)}")
    err = np.abs(a.sum(axis=-1) - 1.0)
    if (err > tol).any():
        idx = np.unravel_index(np.argmax(err), err.shape)
        where = f"{name}[{', '.join(str(int(i)) for i in idx)}]" if idx else name
        what = "must sum to 1" if a.ndim == 1 else "each row must sum to 1"
        raise ValueError(f"{name}: {what} (within {tol:g}); {where}.sum() = {a[idx].sum():.12g}")


def distribution(x, name: str, size: int) -> np.ndarray:
    """A probability vector of length ``size``."""
    a = array(x, name, shape=(size,))
    distribution_rows(a, name)
    return a


def gamma(g, *, allow_one: bool = False) -> float:
    """The discount factor: a real number in [0, 1) (or [0, 1] for episodic MDPs)."""
    if isinstance(g, bool) or not isinstance(g, numbers.Real):
        raise TypeError(f"gamma: expected a real number, got {type(g).__name__}")
    g = float(g)
    if not np.isfinite(g) or g < 0.0 or g > 1.0 or (g == 1.0 and not allow_one):
        allowed = "[0, 1]" if allow_one else "[0, 1) (gamma = 1 needs terminal states)"
        raise ValueError(f"gamma: must lie in {allowed}, got {g!r}")
    return g


def discounted(m, who: str) -> float:
    """``m.gamma``, checked to be below 1: the one check of every formula that needs a discount.

    ``who`` names what needs it (a function, a family of bounds) in the message.
    """
    if m.gamma >= 1.0:
        raise ValueError(f"mdp: gamma must be < 1 for {who}, got gamma = {m.gamma:g} "
                         "(a discounted copy: mdp.replace(gamma=0.99))")
    return m.gamma


def positive_int(n, name: str) -> int:
    """A strictly positive integer (numpy integers accepted, bools and floats refused)."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"{name}: expected a positive integer, got {type(n).__name__}")
    if n <= 0:
        raise ValueError(f"{name}: must be a positive integer, got {n}")
    return int(n)


def nonnegative_int(n, name: str) -> int:
    """An integer >= 0."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"{name}: expected a non-negative integer, got {type(n).__name__}")
    if n < 0:
        raise ValueError(f"{name}: must be >= 0, got {n}")
    return int(n)


def seed(s) -> int:
    """A seed: an integer in [0, 2**64)."""
    if isinstance(s, bool) or not isinstance(s, numbers.Integral):
        raise TypeError(f"seed: expected an integer, got {type(s).__name__}")
    if not 0 <= s < 2**64:
        raise ValueError(f"seed: must lie in [0, 2**64), got {s}")
    return int(s)


def real(x, name: str) -> float:
    """A finite real number (bools refused)."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name}: expected a real number, got {type(x).__name__}")
    x = float(x)
    if not np.isfinite(x):
        raise ValueError(f"{name}: must be a finite number, got {x!r}")
    return x


def positive_real(x, name: str, *, allow_zero: bool = False) -> float:
    """A finite real number > 0 (or >= 0)."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name}: expected a real number, got {type(x).__name__}")
    x = float(x)
    if not np.isfinite(x) or x < 0 or (x == 0 and not allow_zero):
        raise ValueError(f"{name}: must be a finite number {'>=' if allow_zero else '>'} 0, got {x!r}")
    return x


def policy(m, pi, name: str = "pi") -> np.ndarray:
    """A stochastic policy ``pi: (S, A)`` for the MDP ``m``: rows are distributions over actions."""
    a = array(pi, name, shape=(m.S, m.A))
    distribution_rows(a, name)
    return a


def logits(th, name: str = "theta", shape: tuple | None = None) -> np.ndarray:
    """Softmax logits ``(..., A)``: a non-empty last axis whose spread ``max - min`` is a finite float.

    A wider spread would make :math:`\\log\\pi` overflow to :math:`-\\infty` (and gradients NaN).
    """
    a = array(th, name, shape=shape)
    if a.ndim == 0 or a.shape[-1] == 0:
        raise ValueError(f"{name}: needs a non-empty last (action) axis, got shape {a.shape}")
    with np.errstate(over="ignore"):
        spread = a.max(axis=-1) - a.min(axis=-1)
    if not np.isfinite(spread).all():
        raise ValueError(f"{name}: the entries of a row differ by more than the float64 range "
                         f"(max - min overflows), so log pi would be -inf")
    return a


def theta(m, th, name: str = "theta") -> np.ndarray:
    """Tabular softmax parameters ``theta: (S, A)`` for the MDP ``m`` (see :func:`logits`)."""
    return logits(th, name, shape=(m.S, m.A))


def features(m, phi) -> np.ndarray:
    """Log-linear features ``phi: (S, A, dim)`` for the MDP ``m``, with ``dim >= 1``."""
    a = array(phi, "phi", shape=(m.S, m.A, None))
    if a.shape[2] == 0:
        raise ValueError("phi: needs at least one feature (shape (S, A, dim) with dim >= 1)")
    return a


def probability(x, name: str) -> float:
    """A real number in [0, 1]."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name}: expected a real number in [0, 1], got {type(x).__name__}")
    x = float(x)
    if not 0.0 <= x <= 1.0:
        raise ValueError(f"{name}: must lie in [0, 1], got {x!r}")
    return x


def start(m, rho) -> np.ndarray:
    """A start distribution: ``None`` (the MDP's rho), a state index, or a distribution ``(S,)``."""
    if rho is None:
        return m.rho
    if isinstance(rho, numbers.Integral) and not isinstance(rho, bool):
        if not 0 <= rho < m.S:
            raise ValueError(f"rho: state index must lie in [0, {m.S}), got {rho}")
        e = np.zeros(m.S)
        e[rho] = 1.0
        return e
    return distribution(rho, "rho", m.S)
