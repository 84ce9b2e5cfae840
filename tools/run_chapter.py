"""Execute chapters as the book build does, without building the book: the loop for writing one.

    .venv/bin/python tools/run_chapter.py book/convergence/landscape [book/npg/natural ...]

Each chapter runs top to bottom in a fresh kernel with its folder as working directory, as
``make book`` runs it (without pre-rendering the frames of interactive figures, which only the HTML
needs). Its check lines are printed; an error, stderr output or a printed warning fails it. The
executed notebook is written to ``_build/jupyter_execute/<page>.ipynb``, where the book's tests read
it, so that, for example, ``pytest tests/chapters/test_twins.py -m book -k landscape`` then runs that
chapter's wrong twins. ``make book`` overwrites it with the build's own execution.
"""

from __future__ import annotations

import re
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

import bookfiles

EXECUTED = bookfiles.ROOT / "_build" / "jupyter_execute"
CHECK = re.compile(r'<div class="pgbook-check"[^>]*>(.*?)</div>', re.S)


def run(page: str) -> bool:
    """Execute one chapter; print its checks and problems; return whether it ran cleanly."""
    nb = bookfiles.read_chapter(page)
    started = time.perf_counter()
    client = NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(bookfiles.source(page).parent)}})
    failed = None
    try:
        client.execute()
    except CellExecutionError as error:
        # The message may end in blank lines, and an empty string would read as "no problem".
        lines = [line for line in str(error).splitlines() if line.strip()]
        failed = lines[-1] if lines else "an error"
    out = EXECUTED / f"{page}.ipynb"
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out)
    problems = [failed] if failed else []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            for line in CHECK.findall(output.get("data", {}).get("text/html", "")):
                print("  " + line.replace("&#x27;", "'").replace("&quot;", '"').replace("&amp;", "&"))
            if output.output_type == "stream" and (output.name == "stderr" or "Warning" in output.text):
                problems.append(f"{output.name}: {output.text.strip()[:300]}")
            # An error raised after the cell (matplotlib drawing a figure that cannot be drawn) is an
            # error output without failing the cell.
            if output.output_type == "error":
                problems.append(f"{output.ename}: {output.evalue[:300]}")
    verdict = "FAILED: " + "; ".join(problems) if problems else "ran cleanly"
    print(f"{page}: {verdict} in {time.perf_counter() - started:.1f} s (executed notebook: {out})")
    return not problems


def main(pages: list[str]) -> int:
    known = bookfiles.chapters()
    unknown = [p for p in pages if p.removesuffix(".md") not in known]
    if not pages or unknown:
        print(f"usage: run_chapter.py PAGE ...; chapters: {' '.join(known)}", file=sys.stderr)
        return 2
    results = [run(p.removesuffix(".md")) for p in pages]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
