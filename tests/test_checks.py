"""pgbook.checks: the plain-language check lines, the HTML the book's tests read, vacuous bounds,
failures, bad input."""

import math

import numpy as np
import pytest
from bs4 import BeautifulSoup

from pgbook import checks
from pgbook.checks import Check

ID = "test/a-claim"


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


def test_close_reports_the_largest_difference_in_words(shown):
    checks.close("two ways agree", [1.0, 2.0], [1.0, 2.0 + 3.1e-11], tol=1e-8, id=ID)
    (c,) = shown
    assert c.passed and c.error == pytest.approx(3.1e-11, rel=1e-3) and c.id == ID and c.kind == "close"
    assert repr(c) == "✔ two ways agree: both values, of size up to 2, agree to within 3.1e-11 (allowed 1e-8)"


def test_close_of_one_value_prints_both_numbers(shown):
    checks.close("V(ρ)", 0.7661, 0.76612, tol=1e-3, id=ID)
    assert repr(shown[0]) == "✔ V(ρ): 0.766 against 0.766, a difference of 2e-5 (allowed 0.001)"
    checks.close("exact", 0.25, np.float64(0.25), tol=1e-12, id=ID)
    assert repr(shown[1]) == "✔ exact: both are 0.25, exactly (allowed 1e-12)"


def test_close_says_so_when_there_is_no_difference(shown):
    checks.close("same", np.arange(3.0), np.arange(3.0), tol=1e-12, id=ID)
    assert repr(shown[0]) == "✔ same: all 3 values, of size up to 2, are the same exactly (allowed 1e-12)"
    checks.close("zero", [1e-17, -2e-17], [0.0, 0.0], tol=1e-12, id=ID)
    assert repr(shown[1]) == "✔ zero: both values are within 2e-17 of 0 (allowed 1e-12)"


def test_close_fails_beyond_the_tolerance(shown):
    with pytest.raises(checks.CheckFailed, match="1 against 1.5, off by 0.5, more than the allowed 0.001") as failed:
        checks.close("wrong", 1.0, 1.5, tol=1e-3, id=ID)
    assert failed.value.check is shown[0] and not shown[0].passed


def test_close_refuses_a_quantity_compared_with_itself():
    x = np.ones(3)
    with pytest.raises(ValueError, match="the same object"):
        checks.close("circular", x, x, tol=1e-12, id=ID)


def test_equal_counts_the_entries_that_differ(shown):
    checks.equal("actions", [0, 2, 1], [0, 2, 1], id=ID)
    assert repr(shown[0]) == "✔ actions: both give 0, 2, 1"
    checks.equal("many actions", np.arange(7), np.arange(7), id=ID)
    assert repr(shown[1]) == "✔ many actions: the same in all 7 entries"
    checks.equal("a rank", 33, 33, id=ID)
    assert repr(shown[2]) == "✔ a rank: both are 33"
    with pytest.raises(checks.CheckFailed, match=r"differs in 2 of 3 entries \(entry 1: 2 against 1\)"):
        checks.equal("actions", [0, 2, 1], [0, 1, 2], id=ID)


def test_bound_says_how_much_of_an_upper_bound_is_used(shown):
    checks.bound("values stay below one", [0.2, 0.38], 1.0, cap=5.0, id=ID)
    assert repr(shown[0]) == ("✔ values stay below one: at the closer of 2 points, the measured value, "
                              "0.38, is 38% of the bound, 1")
    assert shown[0].params == {"cap": 5.0}


def test_bound_names_its_two_sides_in_the_readers_words(shown):
    checks.bound("the gap after 200 steps is below the bound", 3.1e-3, 6.4e-2, cap=1.0, id=ID,
                 names=("the gap", "the bound"))
    assert repr(shown[0]) == ("✔ the gap after 200 steps is below the bound: the gap, 0.0031, is 5% of the "
                              "bound, 0.064")
    checks.bound("errors shrink", [0.5, 0.3, 0.2], [1.0, 0.6, 0.21], cap=1.0, id=ID,
                 names=("the error", "γᵏ times the first error"))
    assert repr(shown[1]) == ("✔ errors shrink: at the closest of 3 points, the error, 0.2, is 95% of "
                              "γᵏ times the first error, 0.21")


@pytest.mark.parametrize(("used", "words"), [(0.38, "38%"), (0.04, "4%"), (0.002, "0.2%"), (2e-5, "1/50,000"),
                                             (0.997, "99.7%"), (0.9999, "over 99.9%")])
def test_small_shares_read_as_fractions(shown, used, words):
    checks.bound("loose", used, 1.0, cap=2.0, id=ID)
    assert repr(shown[0]).endswith(f"is {words} of the bound, 1")  # one point: nothing says where


def test_bound_says_how_much_of_a_measured_value_a_lower_bound_reaches(shown):
    checks.bound("gap at least", [0.3, 0.7], [1.0, 0.92], floor=0.0, id=ID)
    assert repr(shown[0]) == ("✔ gap at least: at the closer of 2 points, the measured value, 0.92, "
                              "is 31% above the bound, 0.7")
    checks.bound("far above", 2.0, 77.0, floor=0.0, id=ID, names=("the claim", "the ratio"))
    assert repr(shown[1]) == "✔ far above: the ratio, 77, is 38 times the claim, 2"


def test_bound_with_equality_or_signs_says_so_in_words(shown):
    checks.bound("never decreases", 0.0, [0.0, 0.5], floor=-1.0, id=ID)
    assert repr(shown[0]) == ("✔ never decreases: the measured value equals the bound at 1 of 2 points "
                              "(both 0 there) and is above it elsewhere")
    checks.bound("round-off", -1e-12, [0.1, 0.5], floor=-1.0, id=ID)
    assert repr(shown[1]) == ("✔ round-off: at the closer of 2 points, the measured value, 0.1, is 0.1 "
                              "above the bound, -1e-12")
    checks.bound("a tight bound", [0.5, 0.2], [0.5, 0.4], cap=1.0, id=ID)
    assert repr(shown[2]) == ("✔ a tight bound: the measured value equals the bound at 1 of 2 points "
                              "(both 0.5 there) and is below it elsewhere")
    checks.bound("a tight lower bound", [0.5, 0.2], [0.5, 0.2], floor=0.0, id=ID)
    assert repr(shown[3]) == "✔ a tight lower bound: the measured value equals the bound at both points"
    checks.bound("one point", 0.5, 0.5, cap=1.0, id=ID)
    assert repr(shown[4]) == "✔ one point: the measured value equals the bound, 0.5"


def test_bound_forgives_round_off_only_when_asked(shown):
    checks.bound("equal in exact arithmetic", [1.0 + 4e-16, 0.5], [1.0, 0.7], floor=0.0, tol=1e-12, id=ID)
    assert repr(shown[0]) == ("✔ equal in exact arithmetic: at the worse of 2 points, the bound, 1, "
                              "exceeds the measured value, 1, only by round-off (4.4e-16, allowed 1e-12)")
    assert shown[0].tol == 1e-12
    with pytest.raises(checks.CheckFailed, match="exceeds the measured value, 1, by 4.4e-16"):
        checks.bound("equal in exact arithmetic", [1.0 + 4e-16, 0.5], [1.0, 0.7], floor=0.0, id=ID)
    with pytest.raises(checks.CheckFailed, match="by 0.1, more than the round-off allowed, 1e-12"):
        checks.bound("no", 1.1, 1.0, floor=0.0, tol=1e-12, id=ID)


def test_bound_fails_when_violated(shown):
    with pytest.raises(checks.CheckFailed, match="the measured value, 1.25, exceeds the bound, 1, "
                                                 "by 0.25, at the worst of 2 points"):
        checks.bound("too big", [0.5, 1.25], 1.0, cap=3.0, id=ID)


def test_bound_refuses_a_bound_that_cannot_fail():
    """The issue's example: a best-gap bound of 31.7 where no gap can exceed 5."""
    with pytest.raises(checks.Vacuous, match="'best gap' cannot fail: its bound is at or above 5"):
        checks.bound("best gap", [0.1, 2.0], [31.7, 40.0], cap=5.0, id=ID)
    with pytest.raises(checks.Vacuous, match="at or below 0"):
        checks.bound("a lower bound below every possible value", [-1.0, 0.0], [0.5, 0.3], floor=0.0, id=ID)


def test_bound_that_can_fail_somewhere_is_accepted(shown):
    checks.bound("bound above the cap early, below it late", [0.5, 0.1], [31.7, 0.2], cap=5.0, id=ID)
    assert shown[0].passed


def test_an_infinite_cap_declares_an_unbounded_side(shown):
    checks.bound("log-policy error", [3.0], [10.0], cap=math.inf, id=ID)
    assert shown[0].passed and shown[0].params == {"cap": math.inf}


def test_zscore_one_entry(shown):
    checks.zscore("sampled mean", 1.099, 0.1, 1.0, id=ID)
    assert repr(shown[0]) == ("✔ sampled mean: the sample mean, 1.10 ± 0.10, is 0.99 standard errors from the "
                              "exact value, 1.00 (allowed 4)")


def test_zscore_several_entries(shown):
    checks.zscore("every entry", [1.0, 2.13, 3.0, 3.9], [0.1] * 4, [1.0, 2.0, 3.0, 4.0], id=ID)
    (c,) = shown
    assert repr(c) == ("✔ every entry: all 4 sample means within 1.3 standard errors of the exact values "
                       "(allowed 4); the farthest, 2.13 ± 0.10, against 2.00")
    assert c.error == pytest.approx(1.3)


def test_zscore_fails_far_away_and_on_a_mismatch_without_error(shown):
    with pytest.raises(checks.CheckFailed, match="1.50 ± 0.10, is 5 standard errors from the exact value, 1.00, "
                                                 "more than the allowed 4"):
        checks.zscore("far", 1.5, 0.1, 1.0, id=ID)
    with pytest.raises(checks.CheckFailed, match="inf standard errors"):
        checks.zscore("exact but different", 1.0, 0.0, 2.0, id=ID)
    checks.zscore("exact and equal", 1.0, 0.0, 1.0, id=ID)
    assert shown[-1].passed


def test_exponent_fits_the_log_log_slope_and_rejects_a_wrong_exponent(shown):
    n = np.array([1e2, 1e3, 1e4, 1e5])
    err = 3.0 * n**-0.5 * np.array([1.02, 0.97, 1.01, 0.99])
    checks.exponent("error falls like n^(-1/2)", n, err, -0.5, tol=0.05, id=ID)
    assert shown[0].passed and shown[0].params == {"expected": -0.5}
    assert repr(shown[0]) == ("✔ error falls like n^(-1/2): fitted exponent -0.502, predicted -0.5 "
                              "(allowed ±0.05), over 4 points spanning a factor of 1,000")
    with pytest.raises(checks.CheckFailed, match="off the predicted -1"):
        checks.exponent("error falls like n^(-1)", n, err, -1.0, tol=0.05, id=ID)


def test_loglog_slope_recovers_an_exact_power():
    x = np.array([2.0, 5.0, 11.0, 40.0])
    assert checks.loglog_slope(x, 7.0 * x**2.5) == pytest.approx(2.5, abs=1e-12)


def test_html_carries_the_result_and_the_settings_for_the_book_tests():
    c = Check("test/html", "bound", "a < b & c", error=0.0, tol=0.0, detail="holds", params={"cap": 2.5})
    div = BeautifulSoup(c._repr_html_(), "html.parser").div
    assert div["class"] == ["pgbook-check"]
    assert (div["data-id"], div["data-kind"], div["data-passed"]) == ("test/html", "bound", "true")
    assert float(div["data-error"]) == 0.0 and float(div["data-tol"]) == 0.0 and float(div["data-cap"]) == 2.5
    assert div.get_text() == "✔ a < b & c: holds"
    failed = BeautifulSoup(Check("test/x", "close", "x", 2.0, 1.0, "off")._repr_html_(), "html.parser").div
    assert failed["data-passed"] == "false" and failed.get_text().startswith("✘")


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda: checks.close("c", [1.0, 2.0], [1.0, 2.0, 3.0], tol=1e-9, id=ID), ValueError, "do not broadcast"),
        (lambda: checks.close("c", 1.0, 1.0, tol=-1.0, id=ID), ValueError, "tol"),
        (lambda: checks.close("c", np.nan, 1.0, tol=1e-9, id=ID), ValueError, "computed"),
        (lambda: checks.close("c", 1.0, 1.0, tol=1e-9, id="No Slug"), ValueError, "id"),
        (lambda: checks.close("c", 1.0, 1.0, tol=1e-9, id=3), TypeError, "id"),
        (lambda: checks.close("", 1.0, 1.0, tol=1e-9, id=ID), TypeError, "claim"),
        (lambda: checks.equal("c", [0.5], [0.5], id=ID), TypeError, "integers"),
        (lambda: checks.bound("c", [1.0, 2.0], [1.0, 2.0, 3.0], cap=9.0, id=ID), ValueError, "do not broadcast"),
        (lambda: checks.bound("c", 1.0, 2.0, id=ID), TypeError, "exactly one"),
        (lambda: checks.bound("c", 1.0, 2.0, cap=3.0, floor=0.0, id=ID), TypeError, "exactly one"),
        (lambda: checks.bound("c", 1.0, 2.0, cap=math.nan, id=ID), ValueError, "cap"),
        (lambda: checks.bound("c", 1.0, 2.0, cap="5", id=ID), TypeError, "cap"),
        (lambda: checks.bound("c", [], [], cap=1.0, id=ID), ValueError, "empty"),
        (lambda: checks.bound("c", 1.0, 2.0, cap=3.0, names=("x",), id=ID), TypeError, "names"),
        (lambda: checks.close("c", [], [], tol=1e-9, id=ID), ValueError, "empty"),
        (lambda: checks.equal("c", np.array([], int), np.array([], int), id=ID), ValueError, "empty"),
        (lambda: checks.zscore("c", 1.0, -0.1, 1.0, id=ID), ValueError, "stderr"),
        (lambda: checks.zscore("c", 1.0, 0.1, 1.0, max_z=0, id=ID), ValueError, "max_z"),
        (lambda: checks.zscore("c", [1.0, 2.0], [0.1, 0.1, 0.1], [1.0, 2.0], id=ID), ValueError, "do not broadcast"),
        (lambda: checks.exponent("c", [1.0, 2.0], [1.0, -2.0], 1.0, tol=0.1, id=ID), ValueError, "positive"),
        (lambda: checks.exponent("c", [1.0, 1.0], [1.0, 2.0], 1.0, tol=0.1, id=ID), ValueError, "distinct"),
    ],
)
def test_bad_input_names_the_argument(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_two_entries_read_as_both(shown):
    checks.equal("two horizons", [3, 7], [3, 7], id=ID)
    assert repr(shown[0]) == "✔ two horizons: both give 3, 7"
    checks.equal("two flags", [True, False], [True, False], id=ID)
    assert repr(shown[1]) == "✔ two flags: the same in both entries"
    checks.zscore("two means", [1.0, 2.1], [0.1, 0.1], [1.0, 2.0], id=ID)
    assert repr(shown[2]) == ("✔ two means: both sample means within 1 standard error of the exact values "
                              "(allowed 4); the farthest, 2.10 ± 0.10, against 2.00")



def test_bound_does_not_repeat_a_side_named_by_its_number(shown):
    checks.bound("PG stays far", 0.099, [0.1, 0.2], floor=0.0, names=("0.099", "PG's gap"), id=ID)
    assert repr(shown[0]) == "✔ PG stays far: at the closer of 2 points, PG's gap, 0.1, is 1% above 0.099"
    checks.bound("NPG converged", [0.0, 0.0, 0.0], 1e-9, cap=0.9, names=("NPG's gap", "1e-9"), id=ID)
    assert repr(shown[1]) == "✔ NPG converged: NPG's gap is 0 at all 3 points, below 1e-9"
def test_named_equal_says_what_was_compared(shown):
    checks.equal("an identity", np.array([True] * 4), True, id=ID, names=("sympy's derivative", "the closed form"))
    assert repr(shown[0]) == "✔ an identity: sympy's derivative equals the closed form, entry by entry (all 4)"
    checks.equal("one count", 5, 5, id=ID, names=("the count", "the formula"))
    assert repr(shown[1]) == "✔ one count: the count equals the formula"
    with pytest.raises(checks.CheckFailed):
        checks.equal("a false identity", np.array([True, False]), True, id=ID, names=("a", "b"))
    with pytest.raises(TypeError, match="names"):
        checks.equal("bad names", 1, 1, id=ID, names=("only one",))
