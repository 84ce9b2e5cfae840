"""Citations as a reader of a plain notebook sees them: "(Agarwal et al., 2021)", linked to the paper.

The HTML book renders ``{cite}`` roles with sphinxcontrib-bibtex; a notebook opened in Jupyter, Colab,
VS Code or GitHub has no bibliography, so each citation becomes author-year text linked to the
reference's URL (its ``url`` field, else its DOI, else its arXiv id, else a ``\\url{...}`` in its
note). The roles, as in sphinxcontrib-bibtex:

- ``{cite}`` and ``{cite:p}``: parenthetical, "(Howard, 1960; Bellman, 1957)";
- ``{cite:t}``: textual, "Howard (1960)".
"""

from __future__ import annotations

import codecs
import functools
import re
from dataclasses import dataclass
from pathlib import Path

import latexcodec  # noqa: F401  (registers the "ulatex" codec)
import pybtex.database

_URL_IN_NOTE = re.compile(r"\\url\{([^}]*)\}")


def _plain(latex: str) -> str:
    """BibTeX text without its LaTeX: accents decoded, protective braces dropped."""
    return re.sub(r"\s+", " ", codecs.decode(latex, "ulatex").replace("{", "").replace("}", "")).strip()


@dataclass(frozen=True)
class Reference:
    key: str
    authors: str  # "Howard", "Sutton and Barto", "Agarwal et al."
    year: str
    url: str | None

    def link(self, text: str) -> str:
        return f"[{text}]({self.url})" if self.url else text


def _authors(entry) -> str:
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    last = [_plain(" ".join(p.prelast_names + p.last_names)) for p in people]
    if not last:
        return _plain(entry.fields.get("organization", entry.fields.get("title", "Anonymous")))
    if len(last) == 1:
        return last[0]
    if len(last) == 2:
        return f"{last[0]} and {last[1]}"
    return f"{last[0]} et al."


def _url(fields) -> str | None:
    if fields.get("url"):
        return fields["url"]
    if fields.get("doi"):
        return "https://doi.org/" + fields["doi"].removeprefix("https://doi.org/")
    if fields.get("eprint") and fields.get("archiveprefix", "arXiv").lower() == "arxiv":
        return "https://arxiv.org/abs/" + fields["eprint"]
    found = _URL_IN_NOTE.search(fields.get("note", "") + fields.get("howpublished", ""))
    return found.group(1) if found else None


@functools.cache
def _load(path: Path, mtime: float) -> dict[str, Reference]:
    database = pybtex.database.parse_file(str(path))
    return {
        key: Reference(key, _authors(entry), _plain(entry.fields.get("year", "n.d.")), _url(entry.fields))
        for key, entry in database.entries.items()
    }


def references(path: Path) -> dict[str, Reference]:
    """Every entry of a ``.bib`` file, by key (re-read when the file changes)."""
    return _load(path, path.stat().st_mtime)


def cite(refs: dict[str, Reference], role: str, keys: str) -> str:
    """The text of ``{role}`keys```: ``role`` is ``cite``, ``cite:p`` or ``cite:t``; ``keys`` comma-separated."""
    found = []
    for key in (k.strip() for k in keys.split(",")):
        if key not in refs:
            raise ValueError(f"{{{role}}}`{keys}`: no entry {key!r} in the bibliography")
        found.append(refs[key])
    if role == "cite:t":
        return ", ".join(r.link(f"{r.authors} ({r.year})") for r in found)
    if role in ("cite", "cite:p"):
        return "(" + "; ".join(r.link(f"{r.authors}, {r.year}") for r in found) + ")"
    raise ValueError(f"{{{role}}}: unsupported citation role (use cite, cite:p or cite:t)")
