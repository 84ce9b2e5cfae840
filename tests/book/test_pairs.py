"""Every chapter (.md, the source) has an in-sync .ipynb (for Binder and Colab) with a setup cell.

The .ipynb is compared with an independent reading of the .md by jupytext: same cells in the same
order, same code and tags, the markdown converted to plain Jupyter markdown (test_plain_markdown.py
tests the conversion, which drops a markdown cell it leaves empty), no outputs, no execution counts. The sync tool itself is exercised on
a small throw-away book.
"""

import json
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest

from bookconf import bookfiles, page_ids, sync_notebooks

import plain_markdown  # noqa: E402  (tools/, on the path through bookconf)

CHAPTERS = bookfiles.chapters()


def test_the_book_has_chapters_and_every_page_has_a_source():
    assert CHAPTERS, "no chapter notebooks listed in _toc.yml"
    for page in bookfiles.pages():
        assert bookfiles.source(page).exists(), f"{page}.md is listed in _toc.yml but missing"


@pytest.mark.parametrize("page", CHAPTERS, ids=page_ids(CHAPTERS))
def test_notebook_matches_its_markdown(page):
    path = bookfiles.notebook(page)
    assert path.exists(), f"{path.name} missing: run `make notebooks`"
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    md = plain_markdown.convert(jupytext.read(bookfiles.source(page), fmt="md:myst"), sync_notebooks.context(page))
    assert [(c.cell_type, c.source) for c in nb.cells] == [(c.cell_type, c.source) for c in md.cells], (
        f"{path.name} is out of date with {page}.md: run `make notebooks`"
    )
    assert [c.metadata.get("tags", []) for c in nb.cells] == [c.metadata.get("tags", []) for c in md.cells]
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: committed outputs"
    assert nb.metadata.kernelspec.name == "python3"
    assert len({c.id for c in nb.cells}) == len(nb.cells)


@pytest.mark.parametrize("page", CHAPTERS, ids=page_ids(CHAPTERS))
def test_first_code_cell_installs_pgbook_from_the_books_repository(page):
    nb = nbformat.read(bookfiles.notebook(page), as_version=4)
    setup = next(c for c in nb.cells if c.cell_type == "code")
    repo = bookfiles.repository()
    lines = [line.strip() for line in setup.source.splitlines() if not line.lstrip().startswith("#")]
    assert lines[:2] == ["try:", "import pgbook"] and lines[2].startswith("except ImportError:")
    if repo is None:  # nothing to install from: the cell must say so
        assert lines[3] == "raise ModuleNotFoundError(" and "origin" in setup.source
    else:
        assert f'%pip install --quiet "pgbook @ git+{repo.url}@{repo.branch}"' in setup.source
        assert lines[3].startswith("%pip install") and lines[4:] == ["import pgbook"]
    assert setup.metadata.get("tags") == ["remove-cell"], "the setup cell must be hidden in the HTML"


def test_the_setup_cell_without_a_repository_fails_with_a_clear_message(tmp_path):
    """Run in a fresh interpreter that cannot import pgbook, as on Colab for a book built with no repository."""
    (tmp_path / "pgbook.py").write_text("raise ImportError('no pgbook here')\n")
    code = bookfiles.setup_source(None)
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          env={"PYTHONPATH": str(tmp_path)})
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("ModuleNotFoundError: pgbook is not installed") and "remote 'origin'" in last
    assert "Traceback" in proc.stderr and "no pgbook here" not in proc.stderr


def git(root, *args):
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


@pytest.fixture
def checkout(tmp_path, monkeypatch):
    """A throw-away git checkout of a book (its _config.yml without repository.url), on branch 'draft'."""
    (tmp_path / "_config.yml").write_text("repository:\n  path_to_book: ''\n  branch: main\n"
                                          "launch_buttons:\n  binderhub_url: https://mybinder.org\n"
                                          "html:\n  use_repository_button: true\n")
    git(tmp_path, "init", "-q", "-b", "draft")
    monkeypatch.setattr(bookfiles, "ROOT", tmp_path)
    return tmp_path


@pytest.mark.parametrize("remote", ["https://github.com/someone/fork.git", "git@github.com:someone/fork.git",
                                    "ssh://git@github.com/someone/fork", "https://github.com/someone/fork/"])
def test_the_repository_is_the_checkouts_github_origin_and_branch(checkout, remote):
    git(checkout, "remote", "add", "origin", remote)
    assert bookfiles.repository() == bookfiles.Repository("https://github.com/someone/fork", "draft")
    config = bookfiles.book_config()
    assert config["repository"]["url"] == "https://github.com/someone/fork" and config["repository"]["branch"] == "draft"
    assert config["launch_buttons"] and config["html"]["use_repository_button"]
    assert 'git+https://github.com/someone/fork@draft"' in bookfiles.setup_source(bookfiles.repository())


@pytest.mark.parametrize("remote", [None, "/srv/git/pgbook.git", "https://gitlab.com/someone/fork.git"])
def test_with_no_github_origin_the_book_has_no_launch_buttons(checkout, remote):
    if remote:
        git(checkout, "remote", "add", "origin", remote)
    assert bookfiles.repository() is None
    config = bookfiles.book_config()
    assert "launch_buttons" not in config and config["repository"]["url"] == ""
    assert config["html"]["use_repository_button"] is False
    assert "raise ModuleNotFoundError" in bookfiles.setup_source(None)


def test_a_configured_url_wins_over_origin_but_the_placeholder_never_does(checkout):
    git(checkout, "remote", "add", "origin", "git@github.com:someone/fork.git")
    config = (checkout / "_config.yml").read_text()
    (checkout / "_config.yml").write_text(config.replace("  path_to_book", f"  url: {bookfiles.PLACEHOLDER_URL}\n  path_to_book"))
    assert bookfiles.repository() == bookfiles.Repository("https://github.com/someone/fork", "draft")
    (checkout / "_config.yml").write_text(config.replace("  path_to_book", "  url: https://github.com/org/book/\n  path_to_book"))
    assert bookfiles.repository() == bookfiles.Repository("https://github.com/org/book", "main")


@pytest.mark.parametrize("page", CHAPTERS, ids=page_ids(CHAPTERS))
def test_launch_notebook_is_in_the_repository(page):
    """The Binder/Colab buttons open ``<page>.ipynb`` in the repository: it must not be git-ignored."""
    path = bookfiles.notebook(page)
    assert path.exists()
    git = subprocess.run(["git", "rev-parse", "--is-inside-work-tree"], cwd=bookfiles.ROOT, capture_output=True)
    if git.returncode == 0:  # in a git checkout (not an unpacked archive), it must not be ignored
        ignored = subprocess.run(["git", "check-ignore", "-q", str(path)], cwd=bookfiles.ROOT)
        assert ignored.returncode == 1, f"{path} is git-ignored, so the launch buttons would not find it"


CHAPTER = """---
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# A chapter

Text with $x^2$.
{setup}
```{{code-cell}} ipython3
x = 1
x
```
"""

OLD_SETUP = """
```{code-cell} ipython3
:tags: [remove-cell]

try:
    import pgbook
except ImportError:
    %pip install --quiet "pgbook @ git+https://example.org/old/repo"
    import pgbook
```
"""


@pytest.fixture
def tiny_book(tmp_path, monkeypatch):
    (tmp_path / "_config.yml").write_text("repository:\n  url: https://example.org/new/repo/\n")
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: book/index\nchapters:\n  - file: book/old\n  - file: book/bare\n"
    )
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "index.md").write_text("# Index\n")
    (tmp_path / "book" / "old.md").write_text(CHAPTER.format(setup=OLD_SETUP))
    (tmp_path / "book" / "bare.md").write_text(CHAPTER.format(setup=""))
    monkeypatch.setattr(bookfiles, "ROOT", tmp_path)
    return tmp_path


def test_sync_rewrites_the_url_adds_missing_setup_cells_and_is_idempotent(tiny_book):
    assert bookfiles.chapters() == ["book/old", "book/bare"]
    assert sync_notebooks.sync(check=True) == [
        "book/old.md (setup cell)", "book/old.ipynb", "book/bare.md (setup cell)", "book/bare.ipynb",
    ]
    assert not (tiny_book / "book" / "old.ipynb").exists()
    sync_notebooks.sync(check=False)
    for name in ("old", "bare"):
        md = (tiny_book / "book" / f"{name}.md").read_text()
        assert md.count('"pgbook @ git+https://example.org/new/repo@main"') == 1 and "old/repo" not in md
        nb = json.loads((tiny_book / "book" / f"{name}.ipynb").read_text())
        sources = ["".join(c["source"]) for c in nb["cells"]]
        assert sources[0] == "# A chapter\n\nText with $x^2$."
        assert "git+https://example.org/new/repo" in sources[1] and sources[2] == "x = 1\nx"
        assert nb["cells"][1]["metadata"]["tags"] == ["remove-cell"]
        assert all(c.get("outputs", []) == [] for c in nb["cells"])
    assert sync_notebooks.sync(check=True) == []
    before = {p: p.read_bytes() for p in (tiny_book / "book").iterdir()}
    assert sync_notebooks.sync(check=False) == []
    assert {p: p.read_bytes() for p in (tiny_book / "book").iterdir()} == before


def test_the_builds_configuration_finds_the_local_extensions():
    """Jupyter Book reads _build/_config.yml and looks for local extensions from its folder."""
    import build_book

    extensions = build_book.build_config()["sphinx"]["local_extensions"]
    assert extensions and all((Path(folder) / f"{name}.py").exists() for name, folder in extensions.items())


def test_the_build_makes_interactive_figures_static():
    """tools/build_book.py sets the variable pgbook.viz.interactive reads (and nothing else does)."""
    import build_book
    from pgbook.viz.interactive import STATIC_ENV

    assert build_book.STATIC_FIGURES == {STATIC_ENV: "1"}
