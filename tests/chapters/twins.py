"""Wrong twins: every ✔ line of the book must be able to fail.

A chapter's check line (``pgbook.checks``) carries an id, ``"<chapter>/<slug>"``. For each id,
``tests/chapters/test_<chapter>.py`` registers a *twin*: a function that recomputes the claim's two
sides by another method than the chapter (finite differences, plain numpy loops, a series,
sampling, sympy, a closed form) and hands them to the *page's own check*::

    @twin("mdps/value-iteration-rate", wrong={"rate-gamma-squared": dict(power=2)})
    def value_iteration_rate(page, power=1):
        errors = ...                                    # value iteration by hand
        page.bound(errors[1:], GAMMA ** (power * k[1:]) * errors[0])

``page`` is the check as the built book shows it (its kind, tolerance, cap or floor are read back
from the executed chapter), so the twin tests the check the reader sees, not a stricter copy; for an
``exponent`` check, the claim's exponent must be the page's. The function's
keyword defaults are the chapter's claim; each entry of ``wrong`` names a claim a careless reader or
the slides would make (a dropped 1/(1 - gamma), a wrong exponent, rho for mu, a term deleted) and the
keywords that make it. ``tests/chapters/test_twins.py`` runs the claim, which must pass, and every
wrong claim, which the same check must reject.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import jupytext
import pytest

from pgbook import checks

#: The check functions whose calls carry an id.
KINDS = {"close", "equal", "bound", "zscore", "exponent"}
MAGIC = re.compile(r"^\s*[%!].*$", re.M)


@dataclass(frozen=True)
class Twin:
    id: str
    recompute: Callable
    wrong: dict


#: Every registered twin, by check id.
TWINS: dict[str, Twin] = {}


def twin(check_id: str, *, wrong: dict[str, dict]):
    """Register the decorated function as the twin of ``check_id``; ``wrong`` maps a slug naming each
    careless claim to the keywords that make it."""
    if not checks.ID.fullmatch(check_id):
        raise ValueError(f"{check_id!r}: not a check id '<chapter>/<slug>'")
    if not wrong:
        raise ValueError(f"{check_id}: a twin needs at least one wrong claim")
    for name in wrong:
        if not checks.ID.fullmatch(f"x/{name}"):
            raise ValueError(f"{check_id}: wrong claim {name!r} is not a slug")

    def register(f):
        if check_id in TWINS:
            raise ValueError(f"{check_id}: two twins")
        TWINS[check_id] = Twin(check_id, f, dict(wrong))
        return f

    return register


@dataclass(frozen=True)
class Page:
    """A check as the built page shows it; its methods run the same check on a twin's numbers."""

    id: str
    kind: str
    claim: str
    tol: float
    cap: float | None = None
    floor: float | None = None
    expected: float | None = None

    def _kind(self, kind: str) -> None:
        if kind != self.kind:
            raise TypeError(f"{self.id}: the page's check is {self.kind!r}, the twin called {kind!r}")

    def close(self, computed, expected) -> None:
        self._kind("close")
        checks.close(self.claim, computed, expected, tol=self.tol, id=self.id)

    def equal(self, computed, expected) -> None:
        self._kind("equal")
        checks.equal(self.claim, computed, expected, id=self.id)

    def bound(self, lhs, rhs) -> None:
        self._kind("bound")
        checks.bound(self.claim, lhs, rhs, cap=self.cap, floor=self.floor, tol=self.tol, id=self.id)

    def zscore(self, mean, stderr, expected) -> None:
        self._kind("zscore")
        checks.zscore(self.claim, mean, stderr, expected, max_z=self.tol, id=self.id)

    def exponent(self, x, y, expected) -> None:
        self._kind("exponent")
        checks.exponent(self.claim, x, y, expected, tol=self.tol, id=self.id)


def page_check(div) -> Page:
    """The :class:`Page` of a built ``div.pgbook-check``."""
    claim = div.get_text().strip()[1:].strip().rsplit(": ", 1)[0]
    number = lambda key: float(div[f"data-{key}"]) if div.has_attr(f"data-{key}") else None  # noqa: E731
    return Page(div["data-id"], div["data-kind"], claim, number("tol"), number("cap"), number("floor"),
                number("expected"))



def source_checks(pages: list[str], root: Path = Path(__file__).resolve().parents[2]) -> dict:
    """For each chapter page (a path without suffix, e.g. ``book/foundations/mdps``), its check calls
    in order, read from the code cells of its ``.md``: ``(literal id or None, line in the cell)``."""
    found = {}
    for page in pages:
        calls = []
        for cell in jupytext.read(root / f"{page}.md", fmt="md:myst").cells:
            if cell.cell_type != "code":
                continue
            for node in ast.walk(ast.parse(MAGIC.sub("", cell.source))):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and isinstance(node.func.value, ast.Name) and node.func.value.id == "checks"
                        and node.func.attr in KINDS):
                    given = [k.value for k in node.keywords if k.arg == "id"]
                    literal = given[0].value if given and isinstance(given[0], ast.Constant) else None
                    calls.append((literal, node.lineno))
        found[page] = calls
    return found


class Moved:
    """Former ✔ lines of one chapter, kept as tests: a result the page no longer shows (it shows the
    checks its argument needs) still runs, like a twin, through a check of the kind, tolerance, cap or
    floor its line had, and each careless claim must fail it.

    Register a recomputation with ``@moved(name, kind, claim, wrong=..., tol=...)`` (the claim defaults
    to the docstring's first clause), then collect the test with ``test_former_check = moved.test()``
    after the last registration.
    """

    def __init__(self, chapter: str):
        self.chapter = chapter
        self.entries: dict[str, tuple[Callable, Page, dict]] = {}

    def __call__(self, name: str, kind: str, claim: str | None = None, *, wrong: dict[str, dict],
                 tol: float = 0.0, cap: float | None = None, floor: float | None = None):
        def register(f):
            text = claim if claim is not None else f.__doc__.split(";")[0].strip()
            self.entries[name] = (f, Page(f"{self.chapter}/{name}", kind, text, tol, cap, floor), wrong)
            return f
        return register

    def test(self):
        entries = self.entries

        @pytest.mark.parametrize("name, claim", [(name, claim) for name, (_, _, wrong) in entries.items()
                                                 for claim in ("right", *wrong)])
        def test_former_check(name, claim):
            """A result the page no longer shows as a ✔ line: its recomputation passes the check it had,
            and each careless claim fails it."""
            recompute, page, wrong = entries[name]
            if claim == "right":
                recompute(page)
            else:
                with pytest.raises(checks.CheckFailed):
                    recompute(page, **wrong[claim])

        return test_former_check
