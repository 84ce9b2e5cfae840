"""The notation page (book/notation.md): it names the symbols the chapters use, links chapters that
exist, and every pgbook object it names can be imported."""

import importlib
import re
from pathlib import Path

import pytest
import yaml

import pgbook

ROOT = Path(__file__).resolve().parents[1]
PAGE = (ROOT / "book" / "notation.md").read_text()

#: Symbols the chapters use that a reader must be able to look up (Part II's in particular).
SYMBOLS = [r"\mathcal S", r"\mathcal A", r"\gamma", r"\rho", r"\mu", r"\nu", "$L$", "$H$", r"d^\pi_\rho",
           r"F_\rho", r"\ell(w)", r"\mathcal L_{\pi_{\text{old}}}", r"\mathcal L_\lambda", r"\beta", r"\kappa",
           r"\epsilon_{\mathrm{stat}}", r"\epsilon_{\mathrm{bias}}", r"\tau", r"V^\pi_\tau", r"Q^\pi_\tau",
           r"\vartheta_\rho", r"D_\mu", "$c$", r"Z_t", r"\Phi_k", r"\omega", r"\zeta", r"\mathcal H(p)"]


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_the_page_names_the_symbol(symbol):
    assert symbol in PAGE


def test_every_chapter_link_is_a_chapter_of_the_book():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = {c["file"] for part in toc["parts"] for c in part["chapters"]}
    links = set(re.findall(r"\{doc\}`[^<`]*<([^>]+)>`", PAGE))
    assert links and all(f"book/{link}" in files for link in links), sorted(links - {f[5:] for f in files})


def test_every_pgbook_object_named_exists():
    names = set(re.findall(r"`((?:pgbook|algorithms|approximation|envs|estimation|highprec|landscape|npg|"
                           r"softmax_pg|surrogates)\.[a-z_.]+)", PAGE))
    assert names
    for name in sorted(names):
        path = name.split(".")
        tier = "pgbook.theory" if path[0] in pgbook.theory.MODULES else "pgbook"
        obj = pgbook if path[0] == "pgbook" else importlib.import_module(f"{tier}.{path[0]}")
        for part in path[1:]:
            obj = getattr(obj, part)
