"""What the book is made of: its configuration, its pages, its chapters and their notebooks.

Shared by the tools (``sync_notebooks.py``, ``build_book.py``) and the book's tests.
A *page* is a document listed in ``_toc.yml``; a *chapter* is a page authored as a MyST markdown
notebook (its front matter has a ``kernelspec``), which has a paired ``.ipynb`` next to it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

import jupytext
import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"

#: The first code cell of every chapter: on Colab (no pgbook installed) it installs pgbook.
SETUP_TEMPLATE = '''try:
    import pgbook
except ImportError:  # e.g. on Colab: install the book's package from its repository
    %pip install --quiet "pgbook @ git+{url}"
    import pgbook'''
#: ``repository.url`` until the book's repository is published: nothing can be installed from it.
PLACEHOLDER_URL = "https://github.com/pgbook/pgbook"
#: The setup cell while the URL is the placeholder: it says so instead of failing inside pip.
PLACEHOLDER_TEMPLATE = '''try:
    import pgbook
except ImportError:  # e.g. on Colab: the book's repository is not published yet
    raise ModuleNotFoundError(
        "pgbook is not installed, and this notebook cannot install it: the book's repository URL, "
        "{url} (repository.url in _config.yml), is still a placeholder. "
        "Install pgbook yourself (pip install <path or URL of the repository>), then run this cell again."
    ) from None'''
SETUP_TAGS = ["remove-cell"]


def config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


def repository_url() -> str:
    return config()["repository"]["url"].rstrip("/")


def pages() -> list[str]:
    """Every document of ``_toc.yml`` (root first), as paths relative to the root without suffix."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    found = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                found.append(entry["file"])
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    walk(toc.get("parts"))
    walk(toc.get("chapters"))
    return [str(Path(p).with_suffix("")) for p in found]


def source(page: str) -> Path:
    """The source file of a page (the ``.md``; Sphinx never reads the paired ``.ipynb``)."""
    return ROOT / f"{page}.md"


class Part(NamedTuple):
    """A part of ``_toc.yml``: its caption (None when the table has no parts), whether Sphinx numbers
    its chapters, and its top-level pages in order."""

    caption: str | None
    numbered: bool
    pages: list[str]


def parts() -> list[Part]:
    """The parts of ``_toc.yml`` in order (``numbered`` on a part, or under ``defaults``); a table of
    contents without parts is one part without a caption. The root page is in none."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    default = bool((toc.get("defaults") or {}).get("numbered"))
    listed = toc.get("parts") or [{"chapters": toc.get("chapters"), "numbered": toc.get("numbered", default)}]
    return [Part(part.get("caption"), bool(part.get("numbered", default)),
                 [str(Path(e["file"]).with_suffix("")) for e in part.get("chapters") or [] if "file" in e])
            for part in listed]


def chapter_numbers() -> dict[str, str]:
    """The number Sphinx gives each top-level chapter of a numbered part: 1, 2, ... in order, running
    on across parts. Unnumbered pages are absent."""
    numbers = {}
    for part in parts():
        for page in part.pages if part.numbered else []:
            numbers[page] = str(len(numbers) + 1)
    return numbers


def title(page: str) -> str:
    """The page's title: the first ``# heading`` of its source."""
    for line in source(page).read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    raise ValueError(f"{page}.md has no '# title' heading")


def front_matter(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    match = re.match(r"---\n(.*?)\n---\n", text, re.S)
    return (yaml.safe_load(match.group(1)) or {}) if match else {}


def chapters() -> list[str]:
    """The pages that are notebooks (and so have a paired ``.ipynb`` and launch buttons)."""
    return [p for p in pages() if source(p).exists() and "kernelspec" in front_matter(source(p))]


def setup_source(url: str) -> str:
    """The setup cell for the repository ``url`` (the placeholder URL gives a cell that explains itself)."""
    return (PLACEHOLDER_TEMPLATE if url == PLACEHOLDER_URL else SETUP_TEMPLATE).format(url=url)


def is_setup(cell_source: str) -> bool:
    """Whether a code cell is a setup cell (of any URL, or of an older template)."""
    return "import pgbook" in cell_source and "except ImportError" in cell_source


def read_chapter(page: str) -> nbformat.NotebookNode:
    return jupytext.read(source(page), fmt="md:myst")


def notebook(page: str) -> Path:
    return ROOT / f"{page}.ipynb"
