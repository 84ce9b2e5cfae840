"""Every chapter ran cleanly top to bottom when the book was built.

The build (``make book``, ``tools/build_book.py``) executes each chapter once, in a fresh kernel with
the chapter's folder as working directory, through Jupyter Book's cache, and keeps the executed
notebook in ``_build/jupyter_execute/``; these checks read that notebook rather than executing the
chapter a second time. No cell may raise (a failed ``pgbook.checks`` claim raises), write to stderr or
print a warning, and the chapter must produce output. (The build itself already fails on an exception
or on stderr output, ``_config.yml``'s ``execute`` section; this is the second line of defence, and
the one that catches printed warnings.) The reader's own path, the ``.ipynb`` twin in a live kernel
with its widgets, is run by test_jupyterlab.py and test_colab.py.
"""

import nbformat
import pytest

from bookconf import bookfiles, built_html, page_ids
from reader import output_problems

from pgbook._numba import COMPILING

pytestmark = pytest.mark.book

CHAPTERS = bookfiles.chapters()
EXECUTED = bookfiles.ROOT / "_build" / "jupyter_execute"


@pytest.mark.parametrize("page", CHAPTERS, ids=page_ids(CHAPTERS))
def test_chapter_ran_cleanly_from_a_fresh_kernel(page):
    built_html()
    path = EXECUTED / f"{page}.ipynb"
    assert path.exists(), f"{path} missing: the build did not execute {page}.md"
    nb = nbformat.read(path, as_version=4)
    source = bookfiles.read_chapter(page)
    assert [c.source for c in nb.cells if c.cell_type == "code"] == [
        c.source for c in source.cells if c.cell_type == "code"], f"{path.name} is not the current {page}.md"
    problems = output_problems(nb)
    assert not problems, f"{path.name}:\n" + "\n".join(problems)
    assert any(cell.get("outputs") for cell in nb.cells), f"{path.name} produced no output at all"
    # The build precompiles every kernel first: the reader of the HTML never sees the line a
    # compiling kernel prints in a notebook.
    printed = [out.text for cell in nb.cells for out in cell.get("outputs", []) if out.output_type == "stream"]
    assert not any(COMPILING in text for text in printed), f"{path.name}: a kernel compiled while the book was built"
