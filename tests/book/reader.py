"""Shared by the reader-client tests (test_colab.py, test_jupyterlab.py): what a chapter's outputs must be."""

import nbformat

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def output_problems(nb: nbformat.NotebookNode) -> list[str]:
    """Errors, stderr and printed warnings in an executed notebook's outputs."""
    problems = []
    for index, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                problems.append(f"cell {index}: {out.ename}: {out.evalue}")
            elif out.output_type == "stream" and out.name == "stderr":
                problems.append(f"cell {index} wrote to stderr: {out.text[:300]}")
            elif out.output_type == "stream" and "Warning" in out.text:
                problems.append(f"cell {index} printed a warning: {out.text[:300]}")
    return problems
