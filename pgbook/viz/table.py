"""Small tables of computed values, rendered alike in the HTML book, JupyterLab and Colab.

The book's Markdown outputs are CommonMark, which has no tables, and pandas is not a dependency, so a
chapter that prints a handful of rows shows them with :func:`table`.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

__all__ = ["Table", "table"]


class Table:
    """Rows of strings shown as an HTML table (``_repr_html_``) and as aligned text (``repr``)."""

    def __init__(self, header: tuple[str, ...], rows: tuple[tuple[str, ...], ...]):
        self.header, self.rows = header, rows

    def __repr__(self) -> str:
        lines = (self.header, *self.rows)
        widths = [max(len(line[k]) for line in lines) for k in range(len(self.header))]
        return "\n".join("  ".join(text.ljust(w) if k == 0 else text.rjust(w)
                                   for k, (text, w) in enumerate(zip(line, widths))).rstrip()
                         for line in lines)

    def _repr_html_(self) -> str:
        head = "".join(_cell("th", text, k) for k, text in enumerate(self.header))
        body = "".join("<tr>" + "".join(_cell("td", text, k) for k, text in enumerate(row)) + "</tr>"
                       for row in self.rows)
        return f'<table class="table pgbook-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> Table:
    """A small table: a name in the first column, then numbers, as the chapter formatted them.

    Numbers are right-aligned and never broken across lines (a phone would split ``4e-01`` after its
    minus); the padding is narrow, so that four columns fit a 390 px phone. The theme's dark mode
    leaves tables of class ``pgbook-table`` on the page's own background.

    Parameters
    ----------
    header : sequence of str, length C
        The column titles.
    rows : sequence of sequences of str, each of length C
        The cells, already formatted.

    Returns
    -------
    Table
        Displays as HTML in a notebook and in the book, as aligned text in a terminal.

    Examples
    --------
    >>> from pgbook.viz import table
    >>> table(["method", "gap"], [["PG", "3.1e-02"], ["NPG", "4e-09"]])
    method      gap
    PG      3.1e-02
    NPG       4e-09
    >>> table(["method", "gap"], [["PG"]])
    Traceback (most recent call last):
    ...
    ValueError: rows[0] has 1 cells; header has 2
    """
    header = tuple(header)
    if not header or not all(isinstance(text, str) for text in header):
        raise TypeError(f"header must be a non-empty sequence of str, got {header!r}")
    cells = []
    for i, row in enumerate(rows):
        row = tuple(row)
        if len(row) != len(header):
            raise ValueError(f"rows[{i}] has {len(row)} cells; header has {len(header)}")
        if not all(isinstance(text, str) for text in row):
            raise TypeError(f"rows[{i}] must hold str cells (format the numbers first), got {row!r}")
        cells.append(row)
    return Table(header, tuple(cells))


def _cell(tag: str, text: str, k: int) -> str:
    style = "padding:0.4em 0.4em;text-align:" + ("left" if k == 0 else "right")
    style += ";white-space:nowrap" * (tag == "td" and k > 0)
    return f'<{tag} style="{style}">{html.escape(text)}</{tag}>'
