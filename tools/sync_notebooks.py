"""Regenerate every chapter's ``.ipynb`` from its MyST markdown source (``make notebooks``).

The ``.md`` is the source of truth (Sphinx reads it); the ``.ipynb`` next to it exists so that the
Binder and Colab launch buttons open a real notebook. The generated notebook has the same cells, no
outputs and no execution counts, and stable cell ids so that re-running this changes nothing. Its
markdown is plain Jupyter markdown, with the HTML book's numbers (``plain_markdown.py``), and its
hidden-input cells are collapsed in JupyterLab and Colab.

Also keeps each chapter's first code cell, the setup cell that installs pgbook on Colab, in line with
the book's repository (``bookfiles.repository()``: ``repository.url`` in ``_config.yml``, else the
checkout's GitHub remote ``origin`` and its branch): a missing setup cell is added, a stale one is
rewritten. With no repository, the setup cell fails with a message saying so.

    python tools/sync_notebooks.py          # write what changed
    python tools/sync_notebooks.py --check  # only report; exit 1 if anything is out of date
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import hashlib
import sys

from pathlib import Path

import nbformat

import bookfiles
import citations
import plain_markdown

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def _setup_block(repo: bookfiles.Repository | None) -> str:
    tags = ", ".join(bookfiles.SETUP_TAGS)
    return f"```{{code-cell}} ipython3\n:tags: [{tags}]\n\n{bookfiles.setup_source(repo)}\n```\n\n"


def synced_markdown(page: str, repo: bookfiles.Repository | None) -> str:
    """The chapter's markdown with the setup cell for ``repo`` as its first code cell."""
    text = bookfiles.source(page).read_text(encoding="utf-8")
    code = [c for c in bookfiles.read_chapter(page).cells if c.cell_type == "code"]
    if not code or not bookfiles.is_setup(code[0].source):
        fence = text.find("```{code-cell}")
        if fence < 0:
            raise SystemExit(f"{page}.md: a chapter needs at least one code cell")
        return text[:fence] + _setup_block(repo) + text[fence:]
    if code[0].metadata.get("tags", []) != bookfiles.SETUP_TAGS:
        raise SystemExit(f"{page}.md: the setup cell (first code cell) must be tagged {bookfiles.SETUP_TAGS}")
    return text.replace(code[0].source, bookfiles.setup_source(repo), 1)


def context(page: str) -> plain_markdown.Context:
    """What converting ``page`` needs: its chapter number, the bibliography, the other pages' titles
    and the labels the other chapters define (a reference may point into another chapter)."""
    external: dict[str, plain_markdown.Target] = {}
    defined_in: dict[str, str] = {}
    for chapter in bookfiles.chapters():
        for label, target in _targets(chapter, bookfiles.source(chapter).stat().st_mtime_ns).items():
            if label in defined_in:
                raise plain_markdown.MystError(
                    f"label {label!r} is defined in two chapters, {defined_in[label]}.md and {chapter}.md")
            defined_in[label] = chapter
            if chapter != page:
                external[label] = target
    return dataclasses.replace(_own_context(page), external=external)


@functools.cache
def _targets(page: str, mtime_ns: int) -> dict[str, plain_markdown.Target]:
    """The labels of ``page`` (cached while its source is unchanged: every page's conversion reads them)."""
    return plain_markdown.targets(bookfiles.read_chapter(page), _own_context(page))


def _own_context(page: str) -> plain_markdown.Context:
    config = bookfiles.config()
    refs = {}
    for bib in config.get("bibtex_bibfiles", []):
        refs.update(citations.references(bookfiles.ROOT / bib))
    number = bookfiles.chapter_numbers().get(page)

    def doc_title(target: str) -> str:
        path = Path(target.lstrip("/")) if target.startswith("/") else Path(page).parent / target
        return bookfiles.title(Path(*[p for p in path.parts if p != "."]).with_suffix("").as_posix())

    return plain_markdown.Context(
        prefix=f"{number}." if number else "",
        cite=lambda role, keys: citations.cite(refs, role, keys),
        doc_title=doc_title,
        countertype=((config.get("sphinx") or {}).get("config") or {}).get("prf_realtyp_to_countertyp", {}),
    )


def notebook_text(page: str) -> str:
    """The ``.ipynb`` for the chapter's current markdown: same cells in plain Jupyter markdown, no
    outputs, stable ids."""
    nb = plain_markdown.convert(bookfiles.read_chapter(page), context(page))
    seen: dict[str, int] = {}
    for cell in nb.cells:
        digest = hashlib.sha1(f"{cell.cell_type}\n{cell.source}".encode()).hexdigest()[:8]
        seen[digest] = seen.get(digest, -1) + 1
        cell.id = digest if seen[digest] == 0 else f"{digest}-{seen[digest]}"
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    # Colab knows a cell by its metadata's id, and collapses the headings its notebook metadata lists.
    collapsed = [c for c in nb.cells if c.metadata.get(plain_markdown.COLLAPSED_HEADING)]
    for cell in collapsed:
        cell.metadata["id"] = cell.id
    nb.metadata = nbformat.NotebookNode(
        kernelspec=nb.metadata.get("kernelspec", KERNELSPEC), language_info={"name": "python"},
        colab={"collapsed_sections": [c.id for c in collapsed]},
    )
    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"


def sync(check: bool) -> list[str]:
    """Bring every chapter's setup cell and ``.ipynb`` up to date; return what was (or would be) changed."""
    repo = bookfiles.repository()
    changed = []
    for page in bookfiles.chapters():
        md = bookfiles.source(page)
        text = synced_markdown(page, repo)
        if text != md.read_text(encoding="utf-8"):
            changed.append(f"{page}.md (setup cell)")
            if check:
                changed.append(f"{page}.ipynb")  # its setup cell changes with the .md's
                continue
            md.write_text(text, encoding="utf-8")
        ipynb = bookfiles.notebook(page)
        text = notebook_text(page)
        if not ipynb.exists() or ipynb.read_text(encoding="utf-8") != text:
            changed.append(f"{page}.ipynb")
            if not check:
                ipynb.write_text(text, encoding="utf-8")
    return changed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report what is out of date, change nothing")
    args = parser.parse_args()
    changed = sync(args.check)
    for name in changed:
        print(f"{'out of date' if args.check else 'updated'}: {name}")
    if args.check and changed:
        print("run `make notebooks` and commit the result", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
