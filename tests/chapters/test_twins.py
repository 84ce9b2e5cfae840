"""Every ✔ line of the book can fail: each check has a wrong twin that the same check rejects.

The chapters' check calls are read from their sources (``checks.<kind>(..., id="<chapter>/<slug>")``
with a literal id); the twins are registered in ``test_<chapter>.py`` (see ``twins.py``).

- Without the built book: no page shows more than twelve checks; every check call has a well-formed
  literal id, unique in the book and
  prefixed with its chapter's file name, and a registered twin with at least one wrong claim; no
  twin is left without its check.
- On the built book (``make book``): the checks on the pages are exactly those of the sources, and
  ``test_twin`` reads each check as the executed chapter showed it (``_build/jupyter_execute``) and runs, for every id, the claim (it must pass) and each wrong claim (the page's own
  check must reject it). A check with no twin gives a failing ``<id>-wrong-missing`` case.
"""

from __future__ import annotations

import functools
import importlib
import sys
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup

from pgbook import checks
from chapters.twins import TWINS, page_check, source_checks

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "book"))
from bookconf import bookfiles, built_html  # noqa: E402

EXECUTED = bookfiles.ROOT / "_build" / "jupyter_execute"


SOURCES = source_checks(bookfiles.chapters())
SOURCE_IDS = [i for calls in SOURCES.values() for i, _ in calls if i]
for _page in SOURCES:
    importlib.import_module(f"chapters.test_{Path(_page).name}")


def test_every_check_has_a_literal_id_of_its_chapter_unique_in_the_book():
    problems = []
    for page, calls in SOURCES.items():
        stem = Path(page).name
        for literal, line in calls:
            if literal is None:
                problems.append(f"{page}: a check call without a literal id= (cell line {line})")
            elif not checks.ID.fullmatch(literal) or literal.split("/")[0] != stem:
                problems.append(f"{page}: id {literal!r} is not '{stem}/<slug>'")
    repeated = sorted({i for i in SOURCE_IDS if SOURCE_IDS.count(i) > 1})
    assert not problems and not repeated, "\n".join(problems + [f"id used twice: {i}" for i in repeated])


#: The house rule: a page shows the checks its argument needs, at most twelve; a former ✔ line becomes a
#: test (``chapters.twins.Moved``).
MAX_CHECKS_PER_PAGE = 12


def test_no_page_shows_more_than_twelve_checks():
    crowded = {page: len(calls) for page, calls in SOURCES.items() if len(calls) > MAX_CHECKS_PER_PAGE}
    assert not crowded, f"pages with more than {MAX_CHECKS_PER_PAGE} ✔ lines (move some to Moved tests): {crowded}"


def test_every_check_has_a_twin_and_every_twin_a_check():
    missing = sorted(set(SOURCE_IDS) - set(TWINS))
    orphans = sorted(set(TWINS) - set(SOURCE_IDS))
    assert not missing, f"checks with no wrong twin in tests/chapters: {missing}"
    assert not orphans, f"twins whose check is on no page: {orphans}"


CASES = [(i, "right") for i in SOURCE_IDS] + [
    (i, name) for i in SOURCE_IDS for name in (TWINS[i].wrong if i in TWINS else ["missing"])]
#: A chapter's cases run in one worker (make test uses --dist loadgroup), so its twins share their cached runs.
PARAMS = [pytest.param(i, c, id=f"{i}-right" if c == "right" else f"{i}-wrong-{c}",
                       marks=pytest.mark.xdist_group(i.split("/")[0])) for i, c in CASES]


def executed_checks(page: str) -> list:
    """The ``div.pgbook-check`` lines of a chapter's executed notebook (``_build/jupyter_execute``, written
    by ``make book``, or by ``tools/run_chapter.py`` while a chapter is being written)."""
    path = EXECUTED / f"{page}.ipynb"
    if not path.exists():
        pytest.fail(f"{path} missing: run `make book` (or tools/run_chapter.py {page})")
    nb = nbformat.read(path, as_version=4)
    html = "".join(out.get("data", {}).get("text/html", "") for cell in nb.cells for out in cell.get("outputs", []))
    return BeautifulSoup(html, "html.parser").select("div.pgbook-check")


PAGE_OF = {Path(page).name: page for page in SOURCES}


@functools.cache
def shown_checks(chapter: str) -> dict:
    """The check lines the executed chapter showed, by id."""
    return {div["data-id"]: div for div in executed_checks(PAGE_OF[chapter]) if div.has_attr("data-id")}


@pytest.mark.book
def test_the_built_pages_show_exactly_the_sources_checks():
    """In the built HTML every check line has an id, no id is shown twice, and the ids are the sources'."""
    html, shown = built_html(), []
    for page in bookfiles.chapters():
        doc = BeautifulSoup((html / f"{page}.html").read_text(encoding="utf-8"), "html.parser")
        for div in doc.select("div.pgbook-check"):
            assert div.has_attr("data-id"), f"{page}: a check line without an id: {div.get_text()[:120]!r}"
            shown.append(div["data-id"])
    assert sorted(shown) == sorted(SOURCE_IDS)


@pytest.mark.book
@pytest.mark.parametrize("check_id, case", PARAMS)
def test_twin(monkeypatch, check_id, case):
    """The chapter's claim passes the page's check; each wrong claim is rejected by it."""
    if check_id not in TWINS:
        pytest.fail(f"{check_id}: no wrong twin registered in tests/chapters/test_*.py")
    shown_on_page = shown_checks(check_id.split("/")[0])
    assert check_id in shown_on_page, f"{check_id}: not in the executed chapter (rebuild the book)"
    page, t = page_check(shown_on_page[check_id]), TWINS[check_id]
    shown = []
    real_show = checks._show

    def record(c):
        shown.append(c)
        real_show(c)

    monkeypatch.setattr(checks, "_show", record)
    if case == "right":
        t.recompute(page)
        assert shown and all(c.id == check_id and c.passed for c in shown), shown
        if page.kind == "exponent":
            assert [c.params["expected"] for c in shown] == [page.expected] * len(shown), (
                f"{check_id}: the twin's claim predicts another exponent than the page's, {page.expected:g}")
        return
    with pytest.raises((checks.CheckFailed, checks.Vacuous)) as rejected:
        t.recompute(page, **t.wrong[case])
    if isinstance(rejected.value, checks.CheckFailed):
        assert rejected.value.check.id == check_id
