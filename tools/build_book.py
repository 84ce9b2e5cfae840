"""Build the HTML book with warnings as errors (what ``make book`` runs).

Chapters are executed through Jupyter Book's cache, which is keyed on the notebooks' code cells
only: a change in ``pgbook/`` (or in the installed packages) would otherwise publish outputs computed
by the old code. So the build is also keyed on a hash of ``pgbook/``, ``pyproject.toml``,
``requirements.txt``, the installed versions of the distributions the book is built with
(``requirements.txt`` and what it requires, recursively) and the book's own Sphinx extension
(``book/_ext/``, which Sphinx does not track, but for its ``static/`` files, which change no output and
are copied into the HTML after each build); when it changes, the execution cache, the doctrees and
the HTML are cleared and every chapter is executed again. The key is recorded only after a successful
build. What only the tests or the PDF install (``requirements-dev.txt``,
``requirements-pdf.txt``) is not in the key: ``make book`` then ``make pdf`` or ``make test`` executes
each chapter once.

Chapters are executed with ``PGBOOK_STATIC_FIGURES=1`` in their environment: ``pgbook.viz.interactive``
figures then render their frames for the kernel-free pages (in a reader's kernel they are widgets only).

Before the chapters run, ``python -m pgbook.precompile`` fills numba's cache, so that no chapter
compiles a kernel (and none prints pgbook's "compiling" line into the book).

Jupyter Book reads ``_build/_config.yml``, which is ``_config.yml`` with the book's repository filled
in (``bookfiles.book_config()``: from ``origin``, or no launch buttons at all).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
import nbformat
import yaml

import bookfiles
import sync_notebooks

BUILD = bookfiles.ROOT / "_build"
KEY = BUILD / ".pgbook-execution-key"
STYLE = bookfiles.ROOT / "book" / "_ext" / "static"
#: The configuration the build reads (see the module docstring).
CONFIG = BUILD / "_config.yml"
#: Read by pgbook.viz.interactive (its STATIC_ENV): "1" makes interactive figures pre-render their frames.
STATIC_FIGURES = {"PGBOOK_STATIC_FIGURES": "1"}
#: Everything under _build/ that can hold executed outputs.
EXECUTED = (".jupyter_cache", ".doctrees", "html", "jupyter_execute")


def book_distributions() -> list[str]:
    """``name==version`` of each installed distribution the book is built with: the lines of
    ``requirements.txt`` (``-e .`` is pgbook) and, recursively, what they require, extras included."""
    todo = []
    for line in (bookfiles.ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line in ("-e .", "."):
            pyproject = tomllib.loads((bookfiles.ROOT / "pyproject.toml").read_text(encoding="utf-8"))
            todo.append((pyproject["project"]["name"], ""))
        elif line.startswith("-"):
            raise ValueError(f"requirements.txt: {line!r} is not a requirement the execution key can follow")
        elif line:
            req = Requirement(line)
            todo += [(req.name, extra) for extra in ["", *req.extras]]
    found, seen = {}, set()
    while todo:
        name, extra = todo.pop()
        if (canonicalize_name(name), extra) in seen:
            continue
        seen.add((canonicalize_name(name), extra))
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:  # required only on another platform or Python
            continue
        found[canonicalize_name(name)] = f"{dist.metadata['Name']}=={dist.version}"
        for spec in dist.requires or []:
            req = Requirement(spec)
            if req.marker is None or req.marker.evaluate({"extra": extra}):
                todo += [(req.name, e) for e in ["", *req.extras]]
    return sorted(found.values())


def execution_key() -> str:
    """A hash of everything the built pages depend on besides the sources Sphinx tracks itself."""
    h = hashlib.sha256()
    # book/_ext/static/ (CSS, JavaScript) is copied to every build by Sphinx and changes no output.
    files = sorted(p for folder in ("pgbook", "book/_ext") for p in (bookfiles.ROOT / folder).rglob("*")
                   if p.is_file() and "__pycache__" not in p.parts and STYLE not in p.parents)
    for path in [*files, bookfiles.ROOT / "pyproject.toml", bookfiles.ROOT / "requirements.txt"]:
        h.update(path.relative_to(bookfiles.ROOT).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    h.update("\n".join(book_distributions()).encode())
    return h.hexdigest()


def build_config() -> dict:
    """``bookfiles.book_config()`` with the local Sphinx extensions' folders absolute: Jupyter Book
    resolves them from the configuration file's folder, which is ``_build/`` here."""
    config = bookfiles.book_config()
    extensions = (config.get("sphinx") or {}).get("local_extensions") or {}
    for name, folder in extensions.items():
        extensions[name] = str((bookfiles.ROOT / folder).resolve())
    return config


def fill_cached_outputs() -> list[str]:
    """Write the cached outputs into ``_build/jupyter_execute/<page>.ipynb`` where the build left none.

    myst-nb 1.4, taking a chapter's outputs from the execution cache (its code unchanged, its text
    changed), merges them into a copy of the notebook but writes the original, without outputs; the
    pages are right, but the tests read the executed notebooks. Returns the pages filled in.
    """
    from jupyter_cache import get_cache

    cache, filled = get_cache(BUILD / ".jupyter_cache"), []
    for path in sorted((BUILD / "jupyter_execute").rglob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        if any(cell.get("outputs") for cell in notebook.cells):
            continue
        try:
            _, merged = cache.merge_match_into_notebook(notebook)
        except KeyError:  # not a cached notebook (no code, or executed afresh)
            continue
        nbformat.write(merged, path)
        filled.append(path.relative_to(BUILD / "jupyter_execute").with_suffix("").as_posix())
    return filled


def main() -> int:
    for name in sync_notebooks.sync(check=False):
        print(f"updated {name} (commit it)")
    key = execution_key()
    if not KEY.exists() or KEY.read_text() != key:
        print("first build, or pgbook/, the packages or book/_ext/ changed: executing every chapter afresh")
        for name in EXECUTED:
            shutil.rmtree(BUILD / name, ignore_errors=True)
        KEY.unlink(missing_ok=True)
    subprocess.run([sys.executable, "-m", "pgbook.precompile"], check=True, cwd=bookfiles.ROOT)
    BUILD.mkdir(exist_ok=True)
    CONFIG.write_text(yaml.safe_dump(build_config(), sort_keys=False), encoding="utf-8")
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    command = [str(jupyter_book), "build", str(bookfiles.ROOT), "--builder", "html", "--config", str(CONFIG),
               "--warningiserror", "--keep-going"]
    if subprocess.run(command, env={**os.environ, **STATIC_FIGURES}, cwd=bookfiles.ROOT).returncode != 0:
        print("the book did not build (see the messages above)", file=sys.stderr)
        return 1
    fill_cached_outputs()
    # Sphinx copies static files only when some page is out of date: a changed style alone would not land.
    shutil.copytree(STYLE, bookfiles.HTML / "_static", dirs_exist_ok=True)
    KEY.write_text(key)
    print(f"\nThe book: {bookfiles.HTML / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
