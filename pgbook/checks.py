r"""Visible numerical checks for the book's pages: every claim computed, and every check able to fail.

Every claim a chapter makes is followed by a line such as

    ✔ the theorem's gradient matches finite differences: all 12 values, of size up to 0.34, agree to within 3.1e-11 (allowed 1e-8)

produced by one of the functions below:

- :func:`close` -- two computations of the same quantity agree to a tolerance;
- :func:`equal` -- discrete results (actions, counts, orderings) are the same;
- :func:`bound` -- an inequality holds, with the largest (or smallest) value its measured side can
  take on the problem, so that a bound that cannot fail is refused;
- :func:`zscore` -- a Monte Carlo mean lies within a few standard errors of the exact value;
- :func:`exponent` -- a rate's scaling: the fitted log-log slope is the theorem's exponent.

Each check carries a stable ``id``, ``"<chapter>/<slug>"``, unique in the book. The book's tests
feed the *same* check (same kind, tolerance and cap, read back from the built page) a claim a
careless reader would make -- a dropped :math:`1/(1-\gamma)`, a wrong exponent, :math:`\rho` for
:math:`\mu` -- and require it to be rejected (``tests/chapters/twins.py``). A failed check raises
:class:`CheckFailed`, so a chapter whose claim is false does not execute and the book does not build.

In HTML each line is a ``<div class="pgbook-check">`` carrying ``data-id``, ``data-kind``,
``data-passed``, ``data-error`` and ``data-tol`` (and ``data-cap``, ``data-floor`` or
``data-expected``), from which the tests re-read every check of the built pages.

Claims are plain language; they may contain inline math as ``\(...\)`` where words will not do.
After the claim the line says what was compared with what, with the numbers, and how close they
came: the two values, or how many values and their largest difference, against the
tolerance; the two sides of a bound where they come closest; a sample mean ± its standard error
against the exact value; a fitted exponent against the predicted one.

>>> bound("a value lies below 1/(1 - γ)", [0.2, 0.5], 2.0, cap=10.0, id="doc/example",
...       names=("the value", "1/(1 - γ)"))
✔ a value lies below 1/(1 - γ): at the closer of 2 points, the value, 0.5, is 25% of 1/(1 - γ), 2

With ``cap=10.0`` the bound ``10.0`` itself would be refused: no value can exceed it, so the check
could not fail (:class:`Vacuous`).
"""

from __future__ import annotations

import html
import re

import numpy as np

from . import _validate as validate

#: A check id: the chapter's file name, a slash, and a slug of lower-case words joined by hyphens.
ID = re.compile(r"[a-z][a-z0-9_]*/[a-z0-9]+(?:-[a-z0-9]+)*")


class CheckFailed(AssertionError):
    """A shown check whose claim did not hold; ``check`` is the :class:`Check`."""

    def __init__(self, check: Check):
        super().__init__(repr(check))
        self.check = check


class Vacuous(ValueError):
    """A bound that cannot fail on its problem, refused before it is shown."""


class Check:
    """One checked claim: ``error <= tol`` must hold; ``detail`` says in words what was measured.

    ``params`` are the check's own settings (``cap``, ``floor``, ``expected``), written to the HTML
    as ``data-`` attributes next to ``id``, ``kind``, ``error`` and ``tol``.
    """

    def __init__(self, id: str, kind: str, claim: str, error: float, tol: float, detail: str,
                 params: dict | None = None):
        self.id, self.kind, self.claim, self.detail = id, kind, claim, detail
        self.error, self.tol = float(error), float(tol)
        self.params = dict(params or {})
        self.passed = bool(np.isfinite(self.error) and self.error <= self.tol)

    def __repr__(self) -> str:
        return f"{'✔' if self.passed else '✘'} {self.claim}: {self.detail}"

    def _repr_html_(self) -> str:
        data = {"id": self.id, "kind": self.kind, "passed": str(self.passed).lower(),
                "error": f"{self.error:.6g}", "tol": f"{self.tol:.6g}",
                **{k: f"{v:.6g}" for k, v in self.params.items()}}
        attrs = " ".join(f'data-{k}="{html.escape(v)}"' for k, v in data.items())
        return f'<div class="pgbook-check" {attrs}>{html.escape(repr(self))}</div>'


def _show(c: Check) -> None:
    try:
        from IPython.display import display
    except ImportError:
        print(repr(c))
    else:
        display(c)
    if not c.passed:
        raise CheckFailed(c)


def _id(id) -> str:
    if not isinstance(id, str):
        raise TypeError(f"id: expected a string such as 'mdps/value-iteration-rate', got {type(id).__name__}")
    if not ID.fullmatch(id):
        raise ValueError(f"id: {id!r} is not '<chapter>/<slug>' (lower-case words joined by hyphens)")
    return id


def _claim(claim) -> str:
    if not isinstance(claim, str) or not claim.strip():
        raise TypeError(f"claim: expected a non-empty sentence, got {claim!r}")
    return claim


def _pair(a, b, names: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        return tuple(np.broadcast_arrays(a, b))
    except ValueError:
        raise ValueError(f"{names}: shapes {np.shape(a)} and {np.shape(b)} do not broadcast") from None


def _limit(x, name: str) -> float:
    """A cap or floor: a real number, infinite when the measured side has no limit on the problem."""
    if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}: expected a real number, got {type(x).__name__}")
    if np.isnan(x):
        raise ValueError(f"{name}: is NaN")
    return float(x)


def _number(x: float, digits: int = 2) -> str:
    """A number as a reader reads it: 0.12, 3.1e-11, 1,000, 2.5e6 (never "1e+03")."""
    x = float(x)
    if x == 0 or not np.isfinite(x):
        return f"{x:g}"
    rounded = float(f"{x:.{digits}g}")
    if 1e-3 <= abs(rounded) < 1e6:
        if rounded == int(rounded):
            return f"{int(rounded):,}"
        return f"{rounded:.{max(digits - 1 - int(np.floor(np.log10(abs(rounded)))), 0)}f}".rstrip("0").rstrip(".")
    mantissa, power = f"{rounded:.{digits - 1}e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".") if "." in mantissa else mantissa
    return f"{mantissa}e{int(power)}"


def _value(x: float) -> str:
    """A compared value, to three significant digits: 0.0314, 0.766, 12.3."""
    return _number(x, 3)


def _share(x: float) -> str:
    """A fraction as a reader reads it: 38%, 99.7%, 0.4%, 1/20,000 (never a rounded 100% below the bound)."""
    if 0.9995 <= x < 1:
        return "over 99.9%"
    if 0.995 <= x < 1:
        return f"{100 * x:.1f}%"
    if x >= 0.095:
        return f"{x:.0%}"
    if x >= 0.001:
        return f"{100 * x:.1g}%"
    return f"1/{float(f'{1 / x:.2g}'):,.0f}"


def _side(name: str, value: str, comma: bool = False) -> str:
    """A side as the line names it: "the gap, 0.0031" (a side named by its number is not repeated)."""
    if name == value or name.endswith(f" {value}"):
        return name
    return f"{name}, {value}," if comma else f"{name}, {value}"


def _above(k: float) -> str:
    """How far a measured value clears its lower bound, k > 1 times it: "31% above", "38 times"."""
    return f"{_number(k)} times" if k >= 2 else f"{_number(100 * (k - 1))}% above"


def _names(names, defaults: tuple[str, str]) -> tuple[str, str]:
    if names is None:
        return defaults
    if (not isinstance(names, (tuple, list)) or len(names) != 2
            or not all(isinstance(s, str) and s.strip() for s in names)):
        raise TypeError(f"names: expected two non-empty strings (the left side, the right side), got {names!r}")
    return names[0], names[1]


def close(claim: str, computed, expected, *, tol: float, id: str) -> None:
    r"""Check that two computations agree: :math:`\max |\text{computed} - \text{expected}| \le` ``tol``.

    Source: the book's checks (README, "Every ✔ can fail"): each claim, its id and its tolerance on the page.

    ``expected`` must come from another method than ``computed`` (finite differences, a series,
    sampling, sympy, a closed form, a published number): a quantity compared with itself is no check.
    The line gives the two numbers (one value), or how many values were compared and the largest of
    them (an array), and their largest difference against the tolerance.

    Parameters
    ----------
    claim : str
        The claim in plain language.
    computed, expected : array_like
        The two computations; arrays of broadcastable shapes, or numbers.
    tol : float
        The largest absolute difference allowed, > 0.
    id : str
        The check's id, ``"<chapter>/<slug>"``, unique in the book.

    Returns
    -------
    None
        The ✔ line is shown (HTML in a notebook, text elsewhere); a claim that fails raises instead.

    Raises
    ------
    CheckFailed
        When the largest difference exceeds ``tol`` (the line is shown first, with a ✘).

    Examples
    --------
    >>> close("two ways agree", [1.0, 2.0], [1.0, 2.0 + 3.1e-11], tol=1e-8, id="doc/close")
    ✔ two ways agree: both values, of size up to 2, agree to within 3.1e-11 (allowed 1e-8)
    >>> close("the value is 0.766", 0.76600002, 0.766, tol=1e-6, id="doc/close-one")
    ✔ the value is 0.766: 0.766 against 0.766, a difference of 2e-8 (allowed 1e-6)
    """
    claim, id = _claim(claim), _id(id)
    tol = validate.positive_real(tol, "tol")
    if computed is expected:
        raise ValueError("computed and expected: the same object; a check compares two computations")
    a, b = _pair(validate.array(computed, "computed"), validate.array(expected, "expected"), "computed and expected")
    if not a.size:
        raise ValueError("computed and expected: empty; a comparison of nothing is no check")
    err = float(np.max(np.abs(a - b)))
    allowed, e = _number(tol, 1), _number(err)
    if a.size == 1:
        x, y = _value(a.item()), _value(b.item())
        same, within, beyond = (f"both are {y}, exactly", f"{x} against {y}, a difference of {e}",
                                f"{x} against {y}, off by {e}")
    else:
        scale = float(np.max(np.abs(b)))
        every = "both" if a.size == 2 else f"all {a.size:,}"
        if scale:
            what = f"values, of size up to {_value(scale)},"
            same, within, beyond = (f"{every} {what} are the same exactly", f"{every} {what} agree to within {e}",
                                    f"the {a.size:,} {what} differ by up to {e}")
        else:
            same, within, beyond = (f"{every} values are exactly 0", f"{every} values are within {e} of 0",
                                    f"the {a.size:,} values are up to {e} away from 0")
    detail = (f"{same} (allowed {allowed})" if err == 0.0 else f"{within} (allowed {allowed})" if err <= tol
              else f"{beyond}, more than the allowed {allowed}")
    _show(Check(id, "close", claim, err, tol, detail))


def equal(claim: str, computed, expected, *, id: str, names: tuple[str, str] | None = None) -> None:
    """Check that discrete results are the same, entry by entry (actions, counts, orderings).

    Up to six integers are printed; more are counted. With ``names`` the line says what was
    compared with what, "sympy's derivative equals the closed form, entry by entry (all 8)".

    Source: the book's checks (README, "Every ✔ can fail"): each claim, its id and its tolerance on the page.

    Parameters
    ----------
    claim : str
        The claim in plain language.
    computed, expected : array_like
        Integers or booleans of broadcastable shapes.
    id : str
        The check's id, ``"<chapter>/<slug>"``.
    names : (str, str), optional
        What ``computed`` and ``expected`` are, in the reader's words; for a comparison of flags,
        such as sympy's residuals being 0 against ``True``, what each flag compared.

    Returns
    -------
    None
        The ✔ line is shown (HTML in a notebook, text elsewhere); a claim that fails raises instead.

    Examples
    --------
    >>> equal("sympy finds the identity", [True] * 8, True, id="doc/equal-names",
    ...       names=("sympy's derivative", "the closed form"))
    ✔ sympy finds the identity: sympy's derivative equals the closed form, entry by entry (all 8)
    >>> equal("the rank is |S|(|A| - 1)", 33, 33, id="doc/equal-one")
    ✔ the rank is |S|(|A| - 1): both are 33
    >>> equal("the waits follow the formula", [3, 5, 8], [3, 5, 8], id="doc/equal-few")
    ✔ the waits follow the formula: both give 3, 5, 8
    >>> equal("the greedy action is right in every state", [1] * 9, 1, id="doc/equal")
    ✔ the greedy action is right in every state: the same in all 9 entries
    """
    claim, id = _claim(claim), _id(id)
    named = None if names is None else _names(names, ("", ""))
    a, b = (np.asarray(x) for x in (computed, expected))
    for name, x in (("computed", a), ("expected", b)):
        if x.dtype.kind not in "biu":
            raise TypeError(f"{name}: expected integers or booleans, got a {x.dtype} array (use close for numbers)")
    a, b = _pair(a, b, "computed and expected")
    if not a.size:
        raise ValueError("computed and expected: empty; a comparison of nothing is no check")
    differ = int(np.count_nonzero(a != b))
    n = a.size
    if differ:
        i = np.unravel_index(np.argmax(a != b), a.shape)
        where = f" (entry {tuple(int(k) for k in i)}: " if a.ndim > 1 else f" (entry {int(i[0])}: " if a.ndim else " ("
        detail = f"differs in {differ} of {n:,} entries{where}{a[i]} against {b[i]})"
    elif named:
        detail = f"{named[0]} equals {named[1]}" + ("" if n == 1 else f", entry by entry (all {n:,})")
    elif a.dtype.kind in "iu" and n <= 6:
        shown = ", ".join(str(int(v)) for v in a.ravel())
        detail = f"both are {shown}" if n == 1 else f"both give {shown}"
    else:
        detail = "the same" if n == 1 else "the same in both entries" if n == 2 else f"the same in all {n:,} entries"
    _show(Check(id, "equal", claim, differ, 0, detail))


def bound(claim: str, lhs, rhs, *, id: str, cap: float | None = None, floor: float | None = None,
          tol: float = 0.0, names: tuple[str, str] | None = None) -> None:
    r"""Check the inequality ``lhs <= rhs`` (elementwise), refusing a bound that cannot fail.

    Source: the book's checks (README, "Every ✔ can fail"): each claim, its id and its tolerance on the page.

    Give exactly one of:

    - ``cap`` when the measured quantity is on the left (an upper bound, e.g. a gap): the largest
      value ``lhs`` can take on the problem, such as :math:`1/(1-\gamma)` or :math:`V^\star(\rho)`
      for a value gap with rewards in [0, 1]. If ``rhs >= cap`` everywhere the check cannot fail,
      and :class:`Vacuous` is raised.
    - ``floor`` when the measured quantity is on the right (a lower bound): the smallest value
      ``rhs`` can take. If ``lhs <= floor`` everywhere the check cannot fail.

    The line prints the two sides where they come closest, by name, and how much of the larger
    side the smaller one reaches, "the gap, 0.0031, is 5% of the bound, 0.064", or, for a lower bound,
    how far the measured side clears it, "the ratio, 38, is 27% above the claim, 30"; where the signs
    are mixed, how far apart they are; where they meet, that they are equal.

    Parameters
    ----------
    claim : str
        The claim in plain language.
    lhs, rhs : array_like
        The two sides, broadcastable.
    id : str
        The check's id, ``"<chapter>/<slug>"``.
    cap, floor : float
        See above; exactly one. ``math.inf`` (``-math.inf``) declares that the measured side has no
        upper (lower) limit on the problem, such as an error in :math:`\log\pi`.
    tol : float
        Round-off forgiven where the two sides are equal in exact arithmetic (default 0); the line
        then says "up to round-off".
    names : (str, str), optional
        What ``lhs`` and ``rhs`` are, in the reader's words ("the gap", "the bound γᵏ e₀"); by
        default "the measured value" and "the bound" (with ``cap``) or the reverse (with ``floor``).

    Returns
    -------
    None
        The ✔ line is shown (HTML in a notebook, text elsewhere); a claim that fails raises instead.

    Raises
    ------
    Vacuous
        When the bound cannot fail on its problem.
    CheckFailed
        When ``lhs > rhs + tol`` somewhere.

    Examples
    --------
    >>> bound("the gap after 200 steps is below the bound", 0.0031, 0.064, cap=1.0, id="doc/upper",
    ...       names=("the gap", "the bound"))
    ✔ the gap after 200 steps is below the bound: the gap, 0.0031, is 5% of the bound, 0.064
    >>> bound("the gap is at least its lower bound", [0.3, 0.7], [1.0, 0.92], floor=0.0, id="doc/lower")
    ✔ the gap is at least its lower bound: at the closer of 2 points, the measured value, 0.92, is 31% above the bound, 0.7
    >>> bound("values never decrease", -0.0, [0.0, 0.2], floor=-1.0, id="doc/monotone",
    ...       names=("the old value", "the new value"))
    ✔ values never decrease: the new value equals the old value at 1 of 2 points (both 0 there) and is above it elsewhere
    """
    claim, id = _claim(claim), _id(id)
    tol = validate.positive_real(tol, "tol", allow_zero=True)
    if (cap is None) == (floor is None):
        raise TypeError("cap, floor: give exactly one (cap: the largest value lhs can take; floor: the smallest rhs can)")
    a, b = _pair(validate.array(lhs, "lhs"), validate.array(rhs, "rhs"), "lhs and rhs")
    if not a.size:
        raise ValueError("lhs and rhs: empty; a bound checked nowhere is no check")
    left, right = _names(names, ("the measured value", "the bound") if cap is not None
                         else ("the bound", "the measured value"))
    if cap is not None:
        limit = _limit(cap, "cap")
        if np.all(b >= limit):
            raise Vacuous(f"{claim!r} cannot fail: its bound is at or above {limit:g}, the largest value "
                          "the left side can take, everywhere")
        params = {"cap": limit}
    else:
        limit = _limit(floor, "floor")
        if np.all(a <= limit):
            raise Vacuous(f"{claim!r} cannot fail: its bound is at or below {limit:g}, the smallest value "
                          "the right side can take, everywhere")
        params = {"floor": limit}
    a, b = a.ravel(), b.ravel()
    n, room = a.size, b - a
    violation = max(-float(room.min()), 0.0)
    ratios = np.all(a >= 0) and np.all(b > 0) and np.any(a > 0)
    i = int(np.argmax(a / b)) if ratios and violation == 0 else int(np.argmin(room))
    x, y = _value(a[i]), _value(b[i])
    lx, ry = _side(left, x, comma=True), _side(right, y)
    # Over many points the line reads the two sides where they come closest (or, past the bound, where
    # it is worst), in the reader's words; the number of points says over how many it held.
    at = "" if n == 1 else "at the closer of 2 points, " if n == 2 else f"at the closest of {n:,} points, "
    if violation > tol:
        worst = "" if n == 1 else f", at the worst of {n:,} points"
        detail = (f"{lx} exceeds {ry}, by {_number(violation)}{worst}"
                  + (f", more than the round-off allowed, {_number(tol, 1)}" if tol else ""))
    elif violation > 0:
        worst = "" if n == 1 else "at the worse of 2 points, " if n == 2 else f"at the worst of {n:,} points, "
        detail = (f"{worst}{lx} exceeds {ry}, only by round-off "
                  f"({_number(violation)}, allowed {_number(tol, 1)})")
    elif room.min() == 0:
        met = int(np.count_nonzero(room == 0))
        # the measured side comes first: on the left under a cap, on the right above a floor
        first, second, other = (left, right, "below") if cap is not None else (right, left, "above")
        detail = (f"{first} equals {_side(second, y)}" if n == 1
                  else f"{first} equals {second} at " + ("both points" if n == 2 else f"all {n:,} points") if met == n
                  else f"{first} equals {second} at {met:,} of {n:,} points (both {y} there) and is {other} it elsewhere")
    elif cap is None and (ratios or not np.all(a == 0)):
        above = _above(float(b[i] / a[i])) if ratios else f"{_number(float(room[i]))} above"
        detail = f"{at}{_side(right, y, comma=True)} is {above} {_side(left, x)}"
    elif ratios:
        detail = f"{at}{lx} is {_share(float(a[i] / b[i]))} of {ry}"
    elif np.all(a == 0) and np.all(b > 0):
        points = f"all {n:,} points" if n > 2 else "both points" if n == 2 else "the one point"
        detail = f"{left} is 0 at {points}, below {ry}"
    else:
        detail = f"{at}{lx} is {_number(float(room[i]))} below {ry}"
    _show(Check(id, "bound", claim, violation, tol, detail, params))


def _decimals(se: float) -> int:
    """Decimals that show a standard error to two significant digits (at most 8)."""
    return int(min(max(1 - np.floor(np.log10(se)), 0), 8)) if se > 0 else 3


def zscore(claim: str, mean, stderr, expected, *, id: str, max_z: float = 4.0) -> None:
    r"""Check a Monte Carlo estimate: :math:`\max_i |\bar x_i - x_i| / \mathrm{se}_i \le` ``max_z``.

    The line gives the sample mean with its standard error (``±``) and the exact value, for the
    entry farthest from its exact value.

    Source: the book's checks (README, "Every ✔ can fail"): each claim, its id and its tolerance on the page.

    Parameters
    ----------
    claim : str
        The claim in plain language.
    mean, stderr, expected : array_like
        Sample means, their standard errors (>= 0) and the exact values, broadcastable; entries
        with zero standard error must match exactly.
    id : str
        The check's id, ``"<chapter>/<slug>"``.
    max_z : float
        The largest number of standard errors allowed.

    Returns
    -------
    None
        The ✔ line is shown (HTML in a notebook, text elsewhere); a claim that fails raises instead.

    Examples
    --------
    >>> zscore("the sampled mean is the value", 1.099, 0.1, 1.0, id="doc/z")
    ✔ the sampled mean is the value: the sample mean, 1.10 ± 0.10, is 0.99 standard errors from the exact value, 1.00 (allowed 4)
    >>> zscore("every sampled mean is its value", [0.52, 0.31], [0.01, 0.01], [0.5, 0.3], id="doc/zs")
    ✔ every sampled mean is its value: both sample means within 2 standard errors of the exact values (allowed 4); the farthest, 0.520 ± 0.010, against 0.500
    """
    claim, id = _claim(claim), _id(id)
    max_z = validate.positive_real(max_z, "max_z")
    m = validate.array(mean, "mean")
    se = validate.array(stderr, "stderr")
    e = validate.array(expected, "expected")
    if (se < 0).any():
        raise ValueError("stderr: must be >= 0")
    try:
        m, se, e = (x.ravel() for x in np.broadcast_arrays(m, se, e))
    except ValueError:
        raise ValueError(f"mean, stderr and expected: shapes {m.shape}, {se.shape} and {e.shape} do not broadcast") from None
    if not m.size:
        raise ValueError("mean, stderr and expected: empty; a comparison of nothing is no check")
    diff = np.abs(m - e)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, diff / np.where(se > 0, se, 1.0), np.where(diff > 0, np.inf, 0.0))
    i = int(np.argmax(z))
    zmax = float(z[i])
    k = _decimals(float(se[i]))
    sample, exact = f"{m[i]:.{k}f} ± {se[i]:.{k}f}", f"{e[i]:.{k}f}"
    z_words = f"{zmax:.2g} standard error{'' if f'{zmax:.2g}' == '1' else 's'}"
    if m.size == 1:
        detail = f"the sample mean, {sample}, is {z_words} from the exact value, {exact}"
        detail += f" (allowed {max_z:g})" if zmax <= max_z else f", more than the allowed {max_z:g}"
    elif zmax <= max_z:
        where = "both sample means" if m.size == 2 else f"all {m.size:,} sample means"
        detail = (f"{where} within {z_words} of the exact values (allowed {max_z:g}); "
                  f"the farthest, {sample}, against {exact}")
    else:
        detail = (f"the farthest of {m.size:,} sample means, {sample}, is {z_words} from its exact value, "
                  f"{exact}, more than the allowed {max_z:g}")
    _show(Check(id, "zscore", claim, zmax, max_z, detail))


def loglog_slope(x, y) -> float:
    r"""The least-squares slope of :math:`\log y` against :math:`\log x`: the fitted exponent ``b`` of
    :math:`y \approx a x^b`.

    Source: ordinary least squares on the logarithms (Legendre 1805), as for any power law.

    Parameters
    ----------
    x, y : array_like
        Positive numbers, the same shape (at least two distinct ``x``).

    Returns
    -------
    float
        The fitted exponent.

    Examples
    --------
    >>> round(loglog_slope([1, 10, 100], [3.0, 0.3, 0.03]), 12)
    -1.0
    """
    lx = validate.array(x, "x", ndim=1)
    ly = validate.array(y, "y", shape=(lx.size,))
    if (lx <= 0).any() or (ly <= 0).any():
        raise ValueError("x, y: a log-log fit needs positive numbers")
    lx, ly = np.log(lx), np.log(ly)
    if np.ptp(lx) == 0:
        raise ValueError("x: needs at least two distinct values")
    return float(np.polyfit(lx, ly, 1)[0])


def exponent(claim: str, x, y, expected: float, *, tol: float, id: str) -> None:
    r"""Check a rate's scaling: the fitted exponent of :math:`y \approx a x^b` is the predicted one to within ``tol``.

    Source: the book's checks (README, "Every ✔ can fail"): each claim, its id and its tolerance on the page.

    Use it where a published constant is loose but its rate can fail: iterations against
    :math:`1/(1-\gamma)`, :math:`|S|`, :math:`H`, the mismatch coefficient; an error against the
    number of samples. ``tol`` must be small enough that a wrong exponent fails. The line gives
    the fitted slope, the predicted one, and the range of ``x`` it was fitted over.

    Parameters
    ----------
    claim : str
        The claim in plain language.
    x, y : array_like
        Positive numbers, shape (n,).
    expected : float
        The predicted exponent (a theorem's, or an exact analysis of the instance).
    tol : float
        The largest allowed difference between the fitted and the predicted exponent, > 0.
    id : str
        The check's id, ``"<chapter>/<slug>"``.

    Returns
    -------
    None
        The ✔ line is shown (HTML in a notebook, text elsewhere); a claim that fails raises instead.

    Examples
    --------
    >>> exponent("the error falls like n^(-1/2)", [1e2, 1e3, 1e4], [0.1, 0.0316, 0.01], -0.5, tol=0.05, id="doc/rate")
    ✔ the error falls like n^(-1/2): fitted exponent -0.500, predicted -0.5 (allowed ±0.05), over 3 points spanning a factor of 100
    """
    claim, id = _claim(claim), _id(id)
    tol = validate.positive_real(tol, "tol")
    expected = validate.array(expected, "expected", ndim=0).item()
    b = loglog_slope(x, y)
    xs = np.asarray(x, dtype=float)
    err = abs(b - expected)
    # The exponent (the log-log slope) and its prediction lead; what it was fitted over comes last.
    fitted = f"over {xs.size} points spanning a factor of {_number(xs.max() / xs.min())}"
    if err <= tol:
        detail = f"fitted exponent {b:.3f}, predicted {expected:g} (allowed ±{tol:g}), {fitted}"
    else:
        detail = f"fitted exponent {b:.3f}, off the predicted {expected:g} by more than the allowed {tol:g}, {fitted}"
    _show(Check(id, "exponent", claim, err, tol, detail, {"expected": expected}))


__all__ = ["Check", "CheckFailed", "Vacuous", "close", "equal", "bound", "zscore", "exponent", "loglog_slope"]
