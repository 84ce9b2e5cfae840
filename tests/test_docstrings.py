"""pgbook's docstrings in the form the API page (book/api.md, Sphinx's napoleon) renders correctly."""

import importlib
import inspect
import pkgutil
import re

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
