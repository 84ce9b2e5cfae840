"""pgbook's docstrings in the form the API page (book/api.md, Sphinx's napoleon) renders correctly."""

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pgbook

#: A numpydoc section header: a title underlined with dashes.
SECTION = re.compile(r"^(\w[\w ]*)\n-+\n", re.M)


def documented():
    """Every module, class and function defined in pgbook, with its docstring, by qualified name."""
    for info in pkgutil.walk_packages(pgbook.__path__, "pgbook."):
        module = importlib.import_module(info.name)
        yield info.name, module.__doc__ or ""
        for name, obj in vars(module).items():
            if (inspect.isclass(obj) or inspect.isfunction(obj)) and obj.__module__ == info.name:
                yield f"{info.name}.{name}", obj.__doc__ or ""


def sections(doc: str) -> dict[str, str]:
    doc = inspect.cleandoc(doc)
    found = list(SECTION.finditer(doc))
    return {m[1]: doc[m.end():found[k + 1].start() if k + 1 < len(found) else len(doc)]
            for k, m in enumerate(found)}


def test_every_attribute_has_its_own_entry():
    """napoleon (with napoleon_use_ivar, as _config.yml sets it) reads "states, actions : array" in an
    Attributes section as one variable "actions" of type "(states,)", so each attribute gets its own."""
    shared, seen = [], 0
    for name, doc in documented():
        for entry in re.findall(r"^(\S[^\n]*)$", sections(doc).get("Attributes", ""), re.M):
            seen += 1
            if "," in entry.split(" : ")[0]:
                shared.append(f"{name}: {entry}")
    assert seen >= 10  # the MDP's, the sampler's records, ...
    assert not shared, "\n".join(shared)


ROOT = Path(__file__).resolve().parents[1]
API = (ROOT / "book" / "api.md").read_text()
#: A source: a paper (an author and a year, or AKLM / AJKS, the page's abbreviations) or, for what
#: no paper states (a check, a grid of starting points), a "Source:" sentence saying where it comes from.
SOURCE = re.compile(r"\bAKLM\b|\bAJKS\b|[A-Z][a-z]+(?:,| et al\.)? \(?(?:19|20)\d\d\b|\bSource: \S")
#: The tiers whose functions compute the book's mathematics. (pgbook.viz draws; its functions state
#: what they draw and their arguments, and have no paper behind them.)
COMPUTING = ("pgbook.", "pgbook.theory.")


def public_modules() -> list[str]:
    """pgbook and every module or package below it whose dotted name has no part starting with ``_``."""
    names = [info.name for info in pkgutil.walk_packages(pgbook.__path__, "pgbook.")]
    return sorted(n for n in names if not any(part.startswith("_") for part in n.split(".")))


def public_functions():
    """``(module, name, function)`` for every public function defined in a computing module."""
    for module_name in public_modules():
        if module_name.startswith("pgbook.viz") or module_name == "pgbook.precompile":
            continue
        module = importlib.import_module(module_name)
        for name, obj in vars(module).items():
            if not name.startswith("_") and inspect.isfunction(obj) and obj.__module__ == module_name:
                yield module_name, name, obj


def test_the_api_page_documents_every_public_module_and_no_private_one():
    documented = set(re.findall(r"^\.\. automodule:: (\S+)$", API, re.M))
    public = set(public_modules())
    assert len(public) > 40
    assert not public - documented, f"public modules missing from book/api.md: {sorted(public - documented)}"
    assert not documented - public, f"private or unknown modules on book/api.md: {sorted(documented - public)}"


def test_the_api_page_names_each_modules_chapter():
    """Every section of the two computing tiers names the chapter(s) it serves, {doc}`part/chapter`;
    and pgbook.theory's own table names every theory module."""
    sections = re.split(r"^### ", API.split("(api-figures)=")[0], flags=re.M)[1:]
    unnamed = [s.splitlines()[0] for s in sections if "automodule" in s and "{doc}`" not in s.splitlines()[0]
               and not re.search(r"\((?:all|every) chapters?\)|\(Part|\(Binder\)", s.splitlines()[0])]
    assert not unnamed, f"sections of book/api.md that name no chapter: {unnamed}"
    table = pgbook.theory.__doc__
    assert all(f":mod:`pgbook.theory.{m}`" in table for m in pgbook.theory.MODULES)
    assert set(pgbook.theory.MODULES) == {n.rsplit(".", 1)[1] for n in public_modules() if n.startswith("pgbook.theory.")}


def test_every_public_function_has_parameters_returns_and_a_source():
    """numpydoc Parameters and Returns sections and a source citation (a paper, or a "Source:" sentence)."""
    missing = []
    functions = list(public_functions())
    assert len(functions) > 150
    for module_name, name, function in functions:
        doc = function.__doc__ or ""
        found = sections(doc)
        needed = ("Parameters", "Returns") if inspect.signature(function).parameters else ("Returns",)
        lacks = [s for s in needed if s not in found]
        if not SOURCE.search(doc):
            lacks.append("a source")
        if lacks:
            missing.append(f"{module_name}.{name}: lacks {', '.join(lacks)}")
    assert not missing, "\n".join(missing)


def test_a_function_without_a_section_or_a_source_is_caught():
    """The check of the test above, on docstrings written to fail it."""
    ok = "Sum.\n\nParameters\n----------\nx : int\n\nReturns\n-------\nint\n\n(AKLM Lemma 3.2.)"
    assert {"Parameters", "Returns"} <= set(sections(ok)) and SOURCE.search(ok)
    assert "Returns" not in sections(ok.replace("Returns\n-------\n", ""))
    assert not SOURCE.search(ok.replace("(AKLM Lemma 3.2.)", "(see above)"))
    assert SOURCE.search("(Agarwal, Kakade, Lee and Mahajan 2021, section 3)")
    assert SOURCE.search("Source: the book's convention.")
