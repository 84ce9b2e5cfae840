"""Every chapter notebook runs top to bottom in a fresh kernel, as a reader on Binder would run it.

No cell may raise (a failed ``pgbook.checks`` claim raises), write to stderr or print a warning.
"""

import nbformat
import pytest
from nbclient import NotebookClient

from bookconf import bookfiles, page_ids

pytestmark = pytest.mark.notebook

CHAPTERS = bookfiles.chapters()
TIMEOUT = 300  # seconds per cell, as for the book build


@pytest.mark.parametrize("page", CHAPTERS, ids=page_ids(CHAPTERS))
def test_chapter_runs_cleanly_from_a_fresh_kernel(page):
    path = bookfiles.notebook(page)
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=TIMEOUT, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    problems = []
    for index, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                problems.append(f"cell {index}: {out.ename}: {out.evalue}")
            elif out.output_type == "stream" and out.name == "stderr":
                problems.append(f"cell {index} wrote to stderr: {out.text[:300]}")
            elif out.output_type == "stream" and "Warning" in out.text:
                problems.append(f"cell {index} printed a warning: {out.text[:300]}")
    assert not problems, f"{path.name}:\n" + "\n".join(problems)
    assert any(cell.get("outputs") for cell in nb.cells), f"{path.name} produced no output at all"
