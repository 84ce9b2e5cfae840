r"""Visible numerical checks for the book's pages.

Every claim a chapter makes is followed by a line such as

    ✔ the theorem's gradient matches finite differences: agrees to within 3.1e-11 (tolerance 1e-08)

produced by one of the functions below. A failed check raises ``AssertionError``, so a chapter whose
claim is false does not execute, and the book does not build. In HTML each line is a
``<div class="pgbook-check">`` carrying ``data-error`` and ``data-tol``, so the book's tests can
re-read every check from the built pages.

Claims are plain language; they may contain inline math as ``\(...\)`` where words will not do.
"""

from __future__ import annotations

import html

import numpy as np

from . import _validate as validate


class Check:
    """One checked claim: ``error <= tol`` must hold; ``detail`` says what was measured."""

    def __init__(self, claim: str, error: float, tol: float, detail: str):
        self.claim, self.error, self.tol, self.detail = claim, float(error), float(tol), detail
        self.passed = bool(np.isfinite(self.error) and self.error <= self.tol)

    def __repr__(self) -> str:
        return f"{'✔' if self.passed else '✘'} {self.claim}: {self.detail}"

    def _repr_html_(self) -> str:
        mark = "✔" if self.passed else "✘"
        return (
            f'<div class="pgbook-check" data-passed="{str(self.passed).lower()}" '
            f'data-error="{self.error:.6g}" data-tol="{self.tol:.6g}">'
            f"{mark} {html.escape(self.claim)}: {html.escape(self.detail)}</div>"
        )


def _show(c: Check) -> None:
    try:
        from IPython.display import display
    except ImportError:
        print(repr(c))
    else:
        display(c)
    if not c.passed:
        raise AssertionError(repr(c))


def _number(x: float) -> str:
    """A number as a reader reads it: 0.12, 3.1e-11, 1e+03."""
    return f"{x:.2g}"


def close(claim: str, computed, expected, tol: float = 1e-10) -> None:
    r"""Check ``max |computed - expected| <= tol`` and show it.

    computed, expected: arrays of the same shape (or broadcastable), or numbers. The line reads
    "agrees to within 3.1e-11 (tolerance 1e-08)", or "agrees exactly" when the error is zero.
    """
    tol = validate.positive_real(tol, "tol")
    a = validate.array(computed, "computed")
    b = validate.array(expected, "expected")
    try:
        err = float(np.max(np.abs(a - b))) if a.size or b.size else 0.0
    except ValueError:
        raise ValueError(f"computed and expected: shapes {a.shape} and {b.shape} do not broadcast") from None
    if err == 0.0:
        detail = f"agrees exactly (tolerance {tol:.0e})"
    elif err <= tol:
        detail = f"agrees to within {_number(err)} (tolerance {tol:.0e})"
    else:
        detail = f"off by {_number(err)}, more than the tolerance {tol:.0e}"
    _show(Check(claim, err, tol, detail))


def bound(claim: str, lhs, rhs) -> None:
    r"""Check the inequality ``lhs <= rhs`` (elementwise) and show the smallest margin ``rhs - lhs``.

    The line reads "holds with margin 0.12"; "holds, with equality in places (margin 0)" when the
    smallest margin is zero; "fails by 0.03" otherwise.
    """
    a = validate.array(lhs, "lhs")
    b = validate.array(rhs, "rhs")
    try:
        margin = float(np.min(b - a))
    except ValueError:
        raise ValueError(f"lhs and rhs: shapes {a.shape} and {b.shape} do not broadcast") from None
    if margin > 0:
        detail = f"holds with margin {_number(margin)}"
    elif margin == 0:
        detail = "holds, with equality in places (margin 0)"
    else:
        detail = f"fails by {_number(-margin)}"
    _show(Check(claim, max(-margin, 0.0), 0.0, detail))


def zscore(claim: str, mean, stderr, expected, max_z: float = 4.0) -> None:
    r"""Check a Monte Carlo estimate: :math:`\max_i |\bar x_i - x_i| / \mathrm{se}_i \le` ``max_z``.

    mean, stderr, expected: arrays of the same shape; entries with zero standard error must match
    exactly. The line reads "within 0.99 standard errors (limit 4)"; for several entries "all 4
    within 1.3 standard errors (limit 4)".
    """
    max_z = validate.positive_real(max_z, "max_z")
    m = validate.array(mean, "mean")
    se = validate.array(stderr, "stderr")
    e = validate.array(expected, "expected")
    if (se < 0).any():
        raise ValueError("stderr: must be >= 0")
    try:
        diff = np.abs(m - e)
        se = np.broadcast_to(se, diff.shape)
    except ValueError:
        raise ValueError(f"mean, stderr and expected: shapes {m.shape}, {se.shape} and {e.shape} do not broadcast") from None
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, diff / np.where(se > 0, se, 1.0), np.where(diff > 0, np.inf, 0.0))
    zmax = float(np.max(z)) if z.size else 0.0
    where = "within" if z.size == 1 else f"all {z.size} within"
    if zmax <= max_z:
        detail = f"{where} {zmax:.2g} standard errors (limit {max_z:g})"
    else:
        detail = f"{zmax:.2g} standard errors away, more than the limit {max_z:g}"
    _show(Check(claim, zmax, max_z, detail))
