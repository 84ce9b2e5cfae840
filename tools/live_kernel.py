"""A chapter's notebook run top to bottom in a fresh kernel that stays up for more: what a reader
does before moving a slider. Used by the Colab test (tests/book/test_colab.py) and the slider
benchmark (bench/sliders.py)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import nbformat
from nbclient import NotebookClient


@contextlib.contextmanager
def after_run_all(path: Path, kernel_name: str, timeout: float = 600) -> Iterator[tuple[nbformat.NotebookNode, object]]:
    """Run the notebook at ``path`` (in its folder) in a new kernel; yield the executed notebook and a
    blocking client of that kernel, still running; the kernel is shut down after."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name=kernel_name,
                            resources={"metadata": {"path": str(path.parent)}})
    client.reset_execution_trackers()
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        kc = client.km.blocking_client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=60)
            yield nb, kc
        finally:
            kc.stop_channels()
