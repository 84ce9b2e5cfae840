import pytest

from pgbook.viz import table


def test_html_escapes_cells_and_keeps_numbers_on_one_line():
    page = table(["method", "gap"], [["PG <exact>", "-4e-01"]])._repr_html_()
    assert "PG &lt;exact&gt;" in page
    number = page[page.index("-4e-01") - 80:page.index("-4e-01")]
    assert "white-space:nowrap" in number and "text-align:right" in number
    assert 'class="table pgbook-table"' in page


def test_bad_input_names_the_argument():
    with pytest.raises(TypeError, match="header"):
        table([], [])
    with pytest.raises(TypeError, match=r"rows\[0\].*format the numbers"):
        table(["method", "gap"], [["PG", 0.5]])
    with pytest.raises(ValueError, match=r"rows\[1\] has 3 cells; header has 2"):
        table(["method", "gap"], [["PG", "1"], ["NPG", "2", "3"]])
