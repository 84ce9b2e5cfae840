"""pgbook.checks: the plain-language check lines, the HTML the book's tests read, failures, bad input."""

import re

import numpy as np
import pytest
from bs4 import BeautifulSoup

from pgbook import checks
from pgbook.checks import Check


@pytest.fixture
def shown(monkeypatch):
    """Every Check the functions display, in order."""
    seen = []
    real = checks._show

    def record(c):
        seen.append(c)
        real(c)

    monkeypatch.setattr(checks, "_show", record)
    return seen


def test_close_reports_the_largest_error_in_words(shown):
    checks.close("two ways agree", [1.0, 2.0], [1.0, 2.0 + 3.1e-11], tol=1e-8)
    (c,) = shown
    assert c.passed and c.error == pytest.approx(3.1e-11, rel=1e-3)
    assert repr(c) == "✔ two ways agree: agrees to within 3.1e-11 (tolerance 1e-08)"


def test_close_says_exactly_for_a_zero_error(shown):
    checks.close("same", np.arange(3.0), np.arange(3.0), tol=1e-12)
    assert repr(shown[0]) == "✔ same: agrees exactly (tolerance 1e-12)"


def test_close_fails_beyond_the_tolerance(shown):
    with pytest.raises(AssertionError, match="off by 0.5, more than the tolerance 1e-03"):
        checks.close("wrong", 1.0, 1.5, tol=1e-3)


def test_bound_reports_the_margin(shown):
    checks.bound("values stay below one", [0.2, 0.88], 1.0)
    assert repr(shown[0]) == "✔ values stay below one: holds with margin 0.12"


def test_bound_with_equality_says_so_honestly(shown):
    checks.bound("never decreases", [0.0, 0.5], [0.0, 0.7])
    (c,) = shown
    assert c.passed and repr(c) == "✔ never decreases: holds, with equality in places (margin 0)"
    assert "slack" not in repr(c)


def test_bound_fails_when_violated(shown):
    with pytest.raises(AssertionError, match="fails by 0.25"):
        checks.bound("too big", [0.5, 1.25], 1.0)


def test_zscore_one_entry(shown):
    checks.zscore("sampled mean", 1.099, 0.1, 1.0)
    assert repr(shown[0]) == "✔ sampled mean: within 0.99 standard errors (limit 4)"


def test_zscore_several_entries(shown):
    checks.zscore("every entry", [1.0, 2.13, 3.0, 3.9], [0.1] * 4, [1.0, 2.0, 3.0, 4.0])
    (c,) = shown
    assert repr(c) == "✔ every entry: all 4 within 1.3 standard errors (limit 4)"
    assert c.error == pytest.approx(1.3)


def test_zscore_fails_far_away_and_on_a_mismatch_without_error(shown):
    with pytest.raises(AssertionError, match="5 standard errors away, more than the limit 4"):
        checks.zscore("far", 1.5, 0.1, 1.0)
    with pytest.raises(AssertionError, match="inf standard errors"):
        checks.zscore("exact but different", 1.0, 0.0, 2.0)
    checks.zscore("exact and equal", 1.0, 0.0, 1.0)
    assert shown[-1].passed


def test_html_carries_the_result_for_the_book_tests():
    c = Check("a < b & c", error=0.0, tol=1e-12, detail="agrees exactly (tolerance 1e-12)")
    div = BeautifulSoup(c._repr_html_(), "html.parser").div
    assert div["class"] == ["pgbook-check"]
    assert div["data-passed"] == "true" and float(div["data-error"]) == 0.0 and float(div["data-tol"]) == 1e-12
    assert div.get_text() == "✔ a < b & c: agrees exactly (tolerance 1e-12)"
    failed = BeautifulSoup(Check("x", 2.0, 1.0, "off")._repr_html_(), "html.parser").div
    assert failed["data-passed"] == "false" and failed.get_text().startswith("✘")


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda: checks.close("c", [1.0, 2.0], [1.0, 2.0, 3.0]), ValueError, "do not broadcast"),
        (lambda: checks.close("c", 1.0, 1.0, tol=-1.0), ValueError, "tol"),
        (lambda: checks.close("c", np.nan, 1.0), ValueError, "computed"),
        (lambda: checks.bound("c", [1.0, 2.0], [1.0, 2.0, 3.0]), ValueError, "do not broadcast"),
        (lambda: checks.zscore("c", 1.0, -0.1, 1.0), ValueError, "stderr"),
        (lambda: checks.zscore("c", 1.0, 0.1, 1.0, max_z=0), ValueError, "max_z"),
        (lambda: checks.zscore("c", [1.0, 2.0], [0.1, 0.1, 0.1], [1.0, 2.0]), ValueError, "do not broadcast"),
    ],
)
def test_bad_input_names_the_argument(call, error, words):
    with pytest.raises(error, match=words):
        call()
