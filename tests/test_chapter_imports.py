"""The chapters import pgbook by one rule (README, "Adding a chapter"): modules under their own names,
a figure module as ``<name>_viz``, nothing else renamed and no name imported bare from a module."""

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted(p for p in (ROOT / "book").glob("*/*.md"))
IMPORT = re.compile(r"^(?:from (pgbook[\w.]*) import ([^\n#]+)|import (pgbook[\w.]*)(?: as (\w+))?)", re.M)


def problems(text: str) -> list[str]:
    found = []
    for m in IMPORT.finditer(text):
        package, names, module, alias = m.groups()
        if module:
            if module != "pgbook" or alias:
                found.append(m[0])
            continue
        for item in (n.strip() for n in names.strip("() ").split(",") if n.strip()):
            name, _, alias = (part.strip() for part in item.partition(" as "))
            target = f"{package}.{name}"
            try:
                importlib.import_module(target)
            except ImportError:
                found.append(f"{m[0]} (imports {name} bare: use it qualified)")
                continue
            if alias and not (package == "pgbook.viz" and alias == f"{name}_viz"):
                found.append(f"{m[0]} (alias {alias}: only a figure module is renamed, to {name}_viz)")
    return found


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_chapter_imports_follow_the_rule(chapter):
    assert not problems(chapter.read_text())


def test_the_rule_refuses_what_it_should():
    assert not problems("import pgbook\nfrom pgbook import checks, envs, viz\nfrom pgbook.theory import landscape, npg\n"
                        "from pgbook.viz import landscape as landscape_viz\n")
    assert problems("from pgbook.theory import approximation as apx\n")
    assert problems("from pgbook.viz import natural as npgviz\n")
    assert problems("from pgbook.viz.landscape import COLORS, plot_slice\n")
    assert problems("import pgbook as pg\n")
