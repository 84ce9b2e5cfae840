r"""Visible numerical checks for the book's pages.

Every claim a chapter makes is followed by a line such as

    ✔ gradient from the theorem vs finite differences: max error 3.1e-11 (tolerance 1e-08)

produced by one of the functions below. A failed check raises ``AssertionError``, so a chapter whose
claim is false does not execute, and the book does not build. In HTML each line is a
``<div class="pgbook-check">`` carrying ``data-error`` and ``data-tol``, so the book's tests can
re-read every check from the built pages.

Claims may contain inline math as ``\(...\)``.
"""

from __future__ import annotations

import html

import numpy as np

from . import _validate as check


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


def close(claim: str, computed, expected, tol: float = 1e-10) -> None:
    r"""Check ``max |computed - expected| <= tol`` and show it.

    computed, expected: arrays of the same shape (or broadcastable), or numbers.
    """
    tol = check.positive_real(tol, "tol")
    a = check.array(computed, "computed")
    b = check.array(expected, "expected")
    try:
        err = float(np.max(np.abs(a - b))) if a.size or b.size else 0.0
    except ValueError:
        raise ValueError(f"computed and expected: shapes {a.shape} and {b.shape} do not broadcast") from None
    _show(Check(claim, err, tol, f"max error {err:.2g} (tolerance {tol:.0e})"))


def bound(claim: str, lhs, rhs) -> None:
    r"""Check the inequality ``lhs <= rhs`` (elementwise) and show the smallest slack ``rhs - lhs``."""
    a = check.array(lhs, "lhs")
    b = check.array(rhs, "rhs")
    slack = float(np.min(b - a))
    _show(Check(claim, max(-slack, 0.0), 0.0, f"holds with slack {slack:.3g}" if slack >= 0 else f"violated by {-slack:.3g}"))


def zscore(claim: str, mean, stderr, expected, max_z: float = 4.0) -> None:
    r"""Check a Monte Carlo estimate: :math:`\max_i |\bar x_i - x_i| / \mathrm{se}_i \le` ``max_z``.

    mean, stderr, expected: arrays of the same shape; entries with zero standard error must match
    exactly.
    """
    m = check.array(mean, "mean")
    se = check.array(stderr, "stderr")
    e = check.array(expected, "expected")
    if (se < 0).any():
        raise ValueError("stderr: must be >= 0")
    diff = np.abs(m - e)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, diff / np.where(se > 0, se, 1.0), np.where(diff > 0, np.inf, 0.0))
    zmax = float(np.max(z)) if z.size else 0.0
    _show(Check(claim, zmax, max_z, f"max |z| = {zmax:.2f} over {z.size} entries (limit {max_z:g})"))
