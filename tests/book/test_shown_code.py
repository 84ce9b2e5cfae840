"""Shown code runs on its own: a reader who copies a chapter's shown cells from the HTML, in order,
gets no ``NameError`` for a name that only a cell they cannot see defines.

Static (Python's ``ast`` and ``symtable``, nothing executed). A cell is *seen* when it has none of
the tags below. ``hide-input`` counts as unseen, although the HTML keeps its code behind a "Show code"
toggle: the book folds exactly its check and figure plumbing, which the reader is told to skip and
which ``pgbook.checks`` prints as a ✔ line, so a shown cell that needs one of its names breaks the
copy of a reader who skipped it, as the readers who asked for this test did (estimation's ``se_b``).

Also static: a table (``viz.table``) is the last statement of its cell. IPython displays only a
cell's last expression, so a table built earlier in the cell is dropped without an error, as
simplex's table of the fork's first two iterates was until a reader missed it. And no code cell
names one of the book's MyST labels (``eq-…``): in a comment, a ✔ line or a printed line the reader
would see the raw label, not the equation's number.

A name counts as *loaded* by a cell when a top-level statement reads it before the cell binds it,
or when a function, class or lambda of the cell reads it as a global the cell never binds (it runs
later, when the cell's own names exist). A name no cell binds (a builtin, a typo the build would
catch) is not this test's business.
"""

from __future__ import annotations

import ast
import builtins
import re
import symtable
from dataclasses import dataclass

import pytest

from bookconf import bookfiles, page_ids

#: Tags with which the HTML book does not show a cell's code to a reader reading down the page.
UNSEEN_TAGS = frozenset({"remove-cell", "remove-input", "hide-input", "hide-cell"})

CHAPTERS = bookfiles.chapters()


@dataclass(frozen=True)
class Cell:
    source: str
    seen: bool


@dataclass(frozen=True)
class Miss:
    cell: int  # 1-based index among the chapter's code cells
    name: str
    first_line: str  # of the shown cell, to find it in the .md


def _python(source: str) -> str:
    """The cell's Python: IPython's line magics and shell escapes become ``pass`` (same line count)."""
    return "\n".join("pass" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def _bound(node: ast.AST) -> set[str]:
    """Names a top-level statement binds in the notebook's namespace."""
    names = set()
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        names.add(node.name)
    elif isinstance(node, (ast.Import, ast.ImportFrom)):
        for alias in node.names:
            names.add((alias.asname or alias.name).split(".")[0])
    scoped = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
    comprehension_targets = {id(name) for child in ast.walk(node) if isinstance(child, ast.comprehension)
                             for name in ast.walk(child.target)}
    for child in ast.walk(node):
        if child is not node and isinstance(child, scoped):
            continue
        if (isinstance(child, ast.Name) and isinstance(child.ctx, (ast.Store, ast.Del))
                and id(child) not in comprehension_targets):
            names.add(child.id)
        elif isinstance(child, ast.NamedExpr):
            names.add(child.target.id)
    return names


def _globals_read(table: symtable.SymbolTable, module: bool = True, inline: bool = True) -> tuple[set[str], set[str]]:
    """(names a statement's table reads at once, names its nested scopes read as globals, later)."""
    now, later = set(), set()
    for symbol in table.get_symbols():
        if symbol.is_referenced() and (module and not symbol.is_imported() or not module and symbol.is_global()):
            (now if inline else later).add(symbol.get_name())
    for child in table.get_children():
        # A comprehension runs at once; a function, lambda or method runs later.
        runs_now = inline and child.get_name() in {"listcomp", "setcomp", "dictcomp", "genexpr"}
        child_now, child_later = _globals_read(child, module=False, inline=runs_now)
        now |= child_now
        later |= child_later
    return now, later


def free_names(source: str) -> tuple[list[str], set[str]]:
    """The names a cell needs from earlier cells, in first-use order, and the names it binds."""
    tree = ast.parse(_python(source))
    bound: set[str] = set()
    needed: list[str] = []
    later: set[str] = set()
    for statement in tree.body:
        text = ast.unparse(statement)
        now, deferred = _globals_read(symtable.symtable(text, "<cell>", "exec"))
        # An assignment reads before it binds (x = x + 1); a loop, with, def or class binds its names
        # before its body reads them (approximately: a compound statement's own names are never needed).
        simple = isinstance(statement, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr))
        own = set() if simple else _bound(statement)
        for name in sorted(now - bound - own, key=text.find):
            if name not in needed:
                needed.append(name)
        later |= deferred
        bound |= _bound(statement)
    needed += sorted(name for name in later - bound if name not in needed)
    return needed, bound


def unseen_names(cells: list[Cell]) -> list[Miss]:
    """Each name a seen cell needs that no earlier seen cell binds but an unseen cell does."""
    seen_bound: set[str] = set()
    unseen_bound: set[str] = set()
    misses = []
    for index, cell in enumerate(cells, 1):
        needed, bound = free_names(cell.source)
        if cell.seen:
            for name in needed:
                if name not in seen_bound and name in unseen_bound and not hasattr(builtins, name):
                    misses.append(Miss(index, name, cell.source.strip().splitlines()[0]))
            seen_bound |= bound
        else:
            unseen_bound |= bound
    return misses


def chapter_cells(page: str) -> list[Cell]:
    return [Cell(cell.source, not UNSEEN_TAGS & set(cell.metadata.get("tags", [])))
            for cell in bookfiles.read_chapter(page).cells if cell.cell_type == "code"]


@pytest.mark.parametrize("page", CHAPTERS, ids=page_ids(CHAPTERS))
def test_shown_cells_need_no_name_from_an_unseen_cell(page):
    misses = unseen_names(chapter_cells(page))
    assert not misses, f"{page}.md: shown code cells use names defined only in hidden cells:\n" + "\n".join(
        f"  code cell {m.cell} ({m.first_line!r}) uses {m.name!r}" for m in misses)


#: Calls that build a display object, shown only as a cell's last expression.
DISPLAYS = frozenset({"viz.table", "pgbook.viz.table"})


def dropped_displays(source: str) -> list[int]:
    """Lines of the statements that build a display object and are not the cell's last statement."""
    body = ast.parse(_python(source)).body
    return [node.lineno for node in body[:-1] if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
            and ast.unparse(node.value.func) in DISPLAYS]


@pytest.mark.parametrize("page", CHAPTERS, ids=page_ids(CHAPTERS))
def test_every_table_is_its_cells_last_expression(page):
    dropped = [(i, line) for i, cell in enumerate(chapter_cells(page), 1) for line in dropped_displays(cell.source)]
    assert not dropped, f"{page}.md: tables that are not their cell's last expression, never shown: " + ", ".join(
        f"code cell {i}, line {line}" for i, line in dropped)


def test_a_table_before_a_print_is_dropped_and_a_last_one_shown():
    assert dropped_displays('viz.table(["a"], [[1]])\nprint("x")') == [1]
    assert dropped_displays('print("x")\nviz.table(["a"], [[1]])') == []
    assert dropped_displays('display(viz.table(["a"], [[1]]))\nprint("x")') == []


#: A label definition in MyST: ``(label)=``, ``:label: label`` or a display's ``$$ (label)``.
LABEL = re.compile(r"^\((?P<a>[\w-]+)\)=$|^:label: (?P<b>[\w-]+)$|^\$\$ \((?P<c>[\w-]+)\)$", re.M)


def book_labels() -> set[str]:
    return {next(g for g in m.groups() if g) for page in bookfiles.pages()
            for m in LABEL.finditer(bookfiles.source(page).read_text())}


def test_no_code_cell_names_a_label():
    labels = book_labels()
    named = [(page, i, label) for page in CHAPTERS for i, cell in enumerate(chapter_cells(page), 1)
             for label in labels if re.search(rf"(?<![\w-]){re.escape(label)}(?![\w-])", cell.source)]
    assert labels and not named, "code cells that name a MyST label (the reader sees it raw): " + ", ".join(
        f"{page}.md code cell {i}: {label}" for page, i, label in named)


# The analyser itself, on planted cells.

def test_a_name_from_a_hidden_check_cell_is_found():
    cells = [Cell("import numpy as np\nx = np.ones(3)", True),
             Cell("se_b = x.std()\nchecks.close('a', se_b, 1.0)", False),
             Cell("print(x / se_b)", True)]
    assert unseen_names(cells) == [Miss(3, "se_b", "print(x / se_b)")]


def test_a_name_also_bound_by_an_earlier_shown_cell_is_fine():
    cells = [Cell("a = 1", False), Cell("a = 2", True), Cell("print(a)", True)]
    assert unseen_names(cells) == []


def test_a_shown_definition_after_the_use_does_not_count():
    cells = [Cell("a = 1", False), Cell("print(a)", True), Cell("a = 2", True)]
    assert [m.name for m in unseen_names(cells)] == ["a"]


def test_read_before_bound_in_the_same_cell_is_needed():
    assert free_names("a = a + 1\nb = 2\nc = b")[0] == ["a"]


def test_function_bodies_need_only_what_the_cell_never_binds():
    needed, bound = free_names("def f(t):\n    return g(t) + k\ndef g(t):\n    return t\nv = [f(i) for i in r]")
    assert needed == ["r", "k"] and {"f", "g", "v"} <= bound and "i" not in bound


def test_comprehensions_lambdas_and_classes():
    needed, _ = free_names("ys = [q * z for z in zs if z > lo]\nh = lambda u: u + off\n"
                           "class C:\n    w = base\n    def m(self):\n        return other")
    assert set(needed[:3]) == {"zs", "q", "lo"} and set(needed[3:]) == {"base", "off", "other"}


def test_imports_attributes_and_magics():
    needed, bound = free_names("%matplotlib inline\nimport os.path\nfrom a import b as c\nos.sep; c.d; e.f")
    assert needed == ["e"] and {"os", "c"} <= bound


def test_a_builtin_shadowed_only_in_a_hidden_cell_is_not_reported():
    assert unseen_names([Cell("len = 3", False), Cell("print(len([1]))", True)]) == []


def test_hide_input_and_removed_cells_are_unseen_and_tagless_or_output_tags_are_seen():
    assert {"hide-input", "remove-cell", "remove-input"} <= UNSEEN_TAGS
    assert not {"hide-output", "remove-output"} & UNSEEN_TAGS
