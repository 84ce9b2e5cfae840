"""The book's JupyterLab: what Binder's ``postBuild`` and ``make lab`` set up, and the JupyterLab test runs.

    python tools/lab_setup.py CONFIG_DIR

writes into the Jupyter configuration directory ``CONFIG_DIR`` (``jupyter --config-dir`` on Binder):

- ``jupyter_server_config.json``: the server's default URL is the first chapter's ``.ipynb`` twin,
  so that opening Binder (or ``make lab``) without a path lands on a chapter, not on a bare file
  browser; and JupyterLab loads the CSS below (``LabApp.custom_css``). Other settings already in
  the file are kept.
- ``custom/custom.css``: jupyterlab-myst, which renders the twins' markdown there, sets every
  blockquote in italics between quote marks (Tailwind's "prose" style). The twins' theorem boxes
  are blockquotes, and the HTML book sets none of them in italics.

The ``.md`` sources open as text there (JupyterLab's default): jupyterlab-myst renders one page at a
time, so their citations, references to other chapters and numbers could not read as in the book;
the ``.ipynb`` twins carry all of those as text (``plain_markdown.py``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import bookfiles

CSS = """/* pgbook: the twins' boxes are blockquotes; jupyterlab-myst would set them in italics, quoted. */
.jp-MarkdownCell .myst blockquote {
  font-style: normal;
  font-weight: inherit;
  quotes: none;
}
"""


def default_url() -> str:
    """The first chapter's twin, relative to a server whose root is the repository (as on Binder)."""
    return f"/lab/tree/{bookfiles.notebook(bookfiles.chapters()[0]).relative_to(bookfiles.ROOT).as_posix()}"


def setup(config_dir: Path) -> None:
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "custom").mkdir(exist_ok=True)
    (config_dir / "custom" / "custom.css").write_text(CSS, encoding="utf-8")
    path = config_dir / "jupyter_server_config.json"
    config = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    # ServerApp's for a server JupyterHub starts (Binder); LabApp's for `jupyter lab` (make lab), whose
    # own default_url ("/lab") would otherwise replace the server's.
    config.setdefault("ServerApp", {})["default_url"] = default_url()
    config.setdefault("LabApp", {}).update(default_url=default_url(), custom_css=True)
    path.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    setup(Path(argv[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
