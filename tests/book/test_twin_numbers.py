"""The .ipynb twin numbers its boxes and equations as the built HTML book does.

tools/plain_markdown.py computes the numbers itself, for references into other chapters too (Sphinx's rules: a counter per kind, the chapter's
number as prefix when _toc.yml numbers chapters); here they are compared with what Sphinx actually
wrote into each chapter's page, so a change of numbering (a new part, ``numbered``, a merged counter)
cannot make the notebook disagree with the book.
"""

import json
import re

import pytest
from bs4 import BeautifulSoup

from bookconf import bookfiles, built_html, page_ids

pytestmark = pytest.mark.book

CHAPTERS = bookfiles.chapters()
BOX = re.compile(r"^(?:Definition|Theorem|Lemma|Proposition|Corollary|Remark|Exercise|Axiom|Conjecture|Criterion|"
                 r"Example|Property|Observation|Assumption|Notation|Algorithm)\b")

TITLE = re.compile(r"^>\s*\*\*(.+?)\.\*\*|^#{2,6} (.+)$", re.M)


def normalise(title: str) -> str:
    return re.sub(r"\s+", " ", title.replace("’", "'")).strip()


@pytest.mark.parametrize("page", CHAPTERS, ids=page_ids(CHAPTERS))
def test_twin_numbers_match_the_html(page):
    html = BeautifulSoup((built_html() / f"{page}.html").read_text(encoding="utf-8"), "html.parser")
    boxes = [normalise(p.get_text(" ", strip=True)) for p in html.select("p.admonition-title")]
    boxes = [b for b in boxes if BOX.match(b)]
    equations = [e.get_text(strip=True).rstrip("#").strip("()") for e in html.select("span.eqno")]

    nb = json.loads(bookfiles.notebook(page).read_text(encoding="utf-8"))
    markdown = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    # A box is a blockquote opening with its bold title; an exercise is a heading (its solution's
    # heading, "Solution to Exercise 1.2", does not match BOX).
    titles = [normalise(box or heading) for box, heading in TITLE.findall(markdown) if BOX.match(box or heading)]
    tags = re.findall(r"\\tag\{([^}]*)\}", markdown)
    assert titles == boxes, f"{page}.ipynb boxes {titles} but the HTML has {boxes}"
    assert tags == equations, f"{page}.ipynb equation numbers {tags} but the HTML has {equations}"
    assert boxes, f"{page}: no numbered box found in the HTML (has the page's markup changed?)"
