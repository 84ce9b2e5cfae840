"""Colab's first run: each chapter's ``.ipynb`` twin from top to bottom in Colab's package versions.

``.venv-colab`` (``requirements-colab.txt``, built by ``make test``) stands for a Colab runtime. Each
chapter runs twice in a fresh kernel that imports ipywidgets at start, as Colab's does: first with
an empty numba cache (a fresh runtime: pgbook's kernels compile), then with that cache filled (the
same runtime again). Whether the kernel said that it was compiling (``pgbook._numba.COMPILING``) is
reported with the cold time.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from pgbook._numba import COMPILING

from ._harness import Row
from ._notebooks import CHAPTERS, bookfiles

VENV = bookfiles.ROOT / ".venv-colab"


def _kernelspec(folder: Path) -> str:
    spec = folder / "kernels" / "pgbook-colab"
    spec.mkdir(parents=True)
    argv = [str(VENV / "bin" / "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}",
            "--IPKernelApp.exec_lines=import ipywidgets"]
    (spec / "kernel.json").write_text(json.dumps(dict(argv=argv, display_name="Colab's versions", language="python")))
    return "pgbook-colab"


def run_chapter(page: str, kernel: str) -> tuple[float, bool]:
    """Seconds to run the chapter from the kernel's start to its last cell; whether it said it compiled."""
    path = bookfiles.notebook(page)
    nb = nbformat.read(path, as_version=4)
    t0 = time.perf_counter()
    NotebookClient(nb, timeout=900, kernel_name=kernel, resources={"metadata": {"path": str(path.parent)}}).execute()
    seconds = time.perf_counter() - t0
    printed = "".join(out.get("text", "") for cell in nb.cells for out in cell.get("outputs", []))
    return seconds, COMPILING in printed


def rows() -> list[Row]:
    if not (VENV / "bin" / "python").exists():
        return [Row("colab", f"skipped: {VENV} missing (make test builds it)", "s", float("nan"))]
    out = []
    saved = {k: os.environ.get(k) for k in ("JUPYTER_PATH", "NUMBA_CACHE_DIR", "PGBOOK_STATIC_FIGURES")}
    with tempfile.TemporaryDirectory() as folder:
        os.environ["JUPYTER_PATH"] = folder
        os.environ.pop("PGBOOK_STATIC_FIGURES", None)  # a reader's kernel
        kernel = _kernelspec(Path(folder))
        try:
            for page in CHAPTERS:
                os.environ["NUMBA_CACHE_DIR"] = str(Path(folder) / f"cache-{page.replace('/', '-')}")
                cold, said = run_chapter(page, kernel)
                warm, _ = run_chapter(page, kernel)
                out.append(Row("colab", f"{page}: Run All on a fresh runtime (numba cache empty; "
                               f"said it compiles: {'yes' if said else 'NO'})", "s", cold,
                               {"cache warm": warm}))
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
    return out
