r"""A chapter's MyST markdown as plain Jupyter markdown, for the ``.ipynb`` twin.

Sphinx understands MyST; Jupyter, Colab, VS Code and GitHub's notebook preview render only
CommonMark, a little HTML and MathJax or KaTeX (``$...$``, ``$$...$$``, ``\tag``, ``aligned``). So the
twin's markdown cells are rewritten, keeping the HTML book's numbers. The twin must also read right
where jupyterlab-myst renders it (Binder, ``make lab``), which parses it as MyST again:

- ``prf:*`` boxes (definition, theorem, lemma, ...) and admonitions become a blockquote opening
  with a bold title, "**Theorem 1.3 (Policy improvement).** ..."; a proof opens with "*Proof.*" and
  ends with "∎". Math inside a blockquote, display or inline, is put on one line, because Jupyter
  extracts the TeX before it parses the markdown and would keep the quote's ``>`` markers (a formula
  broken over two lines would show a stray ">"). (jupyterlab-myst sets blockquotes in italics; the
  book's JupyterLab setup, ``tools/lab_setup.py``, undoes that with CSS.)
- An ``exercise`` becomes a heading one level below the section it is in, "### Exercise 1.2
  (Bounds)", followed by its text; its solution (``solution-start`` ... ``solution-end``) becomes
  the cells of a subsection "#### Solution to Exercise 1.2 (Bounds)" whose heading is collapsed
  (JupyterLab's ``jp-MarkdownHeadingCollapsed``, Colab's ``collapsed_sections``), code cells and
  all. Not ``<details>``: jupyterlab-myst turns what an HTML element holds into raw HTML and would
  show its math as TeX. A collapsed section runs up to the next heading of its level, so a solution
  must be followed by an exercise, a heading or the end of the page.
- Every display ``$$ ... $$`` is written ``$$\begin{equation*} ... \end{equation*}$$``: the same
  formula for MathJax and KaTeX, and jupyterlab-myst, which numbers every plain ``$$`` display
  itself, numbers no ``equation*``. ``$$ ... $$ (label)`` also gets ``\tag{1.2}``, its only number;
  ``{eq}`` refers to it as "(1.2)".
- ``{cite}``, ``{cite:p}``, ``{cite:t}``: author-year text linked to the paper (:mod:`citations`).
- ``{prf:ref}``, ``{numref}``, ``{ref}``: "Theorem 1.3", "Exercise 1.2" or a section's title, as
  Sphinx writes them, for a label of this page or of another chapter of the book
  (:attr:`Context.external`); ``{doc}``: the page's title. ``(label)=`` targets and ``%`` comments
  vanish.

Numbers follow Sphinx: one counter per kind (sphinx-proof's ``prf_realtyp_to_countertyp`` can merge
kinds), unnumbered with ``:nonumber:``, prefixed by the chapter's number when ``_toc.yml`` numbers it
("Theorem 1.3", equation "(1.2)"). Anything else written in MyST syntax is an error naming it, so a
new construct is taught here before a chapter can use it; so is a label that no chapter defines.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import nbformat

#: sphinx-proof's directives (``prf:<kind>``) and the word their titles start with.
PROOF_KINDS = {
    kind: kind.title()
    for kind in ("axiom", "theorem", "lemma", "algorithm", "definition", "remark", "conjecture", "corollary",
                 "criterion", "example", "property", "observation", "proposition", "assumption", "notation")
}
ADMONITIONS = {
    kind: kind.title() for kind in ("note", "warning", "tip", "important", "hint", "caution", "attention",
                                    "danger", "error", "seealso", "admonition")
}
ADMONITIONS["seealso"] = "See also"

_DIRECTIVE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|:{3,})\{(?P<name>[^}\s]+)\}[ \t]*(?P<arg>.*?)\s*$")
_PLAIN_FENCE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})")
_OPTION = re.compile(r"^:(?P<key>[\w-]+):(?:[ \t]+(?P<value>.*?))?\s*$")
_ROLE = re.compile(r"\{(?P<name>[\w:-]+)\}`(?P<body>[^`]+)`")
_EXPLICIT = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.S)
_TEX = r"(?P<tex>(?:(?!\$\$).)+?)"  # display TeX: anything up to the next $$
_DISPLAY = re.compile(rf"\$\${_TEX}\$\$", re.S)
#: A display as MyST writes it, with its optional label: ``$$ ... $$ (label)``.
_EQUATION = re.compile(rf"\$\${_TEX}\$\$(?:[ \t]*\((?P<label>[^()\s]+)\))?", re.S)
#: Inline math, $...$ not touching another $ (so never a piece of $$...$$).
_INLINE = re.compile(r"(?<![$\\])\$(?!\$)(?P<tex>[^$]+?)(?<!\\)\$(?!\$)")
_TARGET = re.compile(r"^\((?P<label>[^()\s]+)\)=\s*$")
_HEADING = re.compile(r"^(?P<hashes>#{1,6})\s+(?P<title>.+?)\s*#*\s*$")
_COMMENT = re.compile(r"^%")


@dataclass(frozen=True)
class Target:
    """Something a role can refer to: its kind ("Theorem", "Exercise", "equation", "section")."""

    kind: str
    number: str  # "1.3", or "" when unnumbered
    title: str = ""

    @property
    def name(self) -> str:
        """As ``{prf:ref}`` and ``{numref}`` write it: "Theorem 1.3"."""
        return f"{self.kind} {self.number}".strip()

    @property
    def heading(self) -> str:
        """The box's title: "Theorem 1.3 (Policy improvement)"."""
        return f"{self.name} ({self.title})" if self.title else self.name


@dataclass
class Context:
    """What the conversion of one page needs from the rest of the book."""

    prefix: str = ""  # "1." when the chapter is numbered 1, "" when the book is not numbered
    cite: Callable[[str, str], str] = lambda role, keys: f"({keys})"  # (role, keys) -> text
    doc_title: Callable[[str], str] = lambda path: path  # {doc} target -> the page's title
    countertype: dict[str, str] = field(default_factory=dict)  # sphinx-proof's prf_realtyp_to_countertyp
    external: Mapping[str, Target] = field(default_factory=dict)  # the other chapters' labels (see targets())


@dataclass(frozen=True)
class Cell:
    """A markdown cell of the twin; ``collapsed``: a heading cell whose section starts collapsed."""

    text: str
    collapsed: bool = False


class MystError(ValueError):
    """MyST syntax the converter does not know, or a reference to a label that does not exist."""


@dataclass
class _Directive:
    name: str
    arg: str
    options: dict[str, str]
    body: str


def _parse_directive(lines: list[str], start: int) -> tuple[_Directive, int] | None:
    """The directive opening at ``lines[start]`` and the index after its closing fence."""
    m = _DIRECTIVE.match(lines[start])
    if not m:
        return None
    fence = m["fence"]
    close = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}\s*$")
    end = start + 1
    while end < len(lines) and not close.match(lines[end]):
        end += 1
    if end == len(lines):
        raise MystError(f"{{{m['name']}}} directive opened with {fence} is never closed")
    body = lines[start + 1:end]
    options = {}
    if body and body[0].strip() == "---":  # YAML options block
        if "---" not in body[1:]:
            raise MystError(f"{{{m['name']}}} directive: its options block (---) is never closed")
        stop = body.index("---", 1)
        for line in body[1:stop]:
            key, _, value = line.partition(":")
            options[key.strip()] = value.strip()
        body = body[stop + 1:]
    else:
        while body and (o := _OPTION.match(body[0])):
            options[o["key"]] = o["value"] or ""
            body = body[1:]
    return _Directive(m["name"], m["arg"], options, "\n".join(body).strip("\n")), end + 1


def _one_line(tex: str) -> str:
    return " ".join(line.strip() for line in tex.splitlines()).strip()


def _quote(text: str) -> str:
    """``text`` as a markdown blockquote, its math, display or inline, each on one line (see the module
    docstring)."""
    text = _DISPLAY.sub(lambda m: "$$" + _one_line(m["tex"]) + "$$", text)
    text = _INLINE.sub(lambda m: "$" + _one_line(m["tex"]) + "$", text)
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.split("\n"))


#: Where the converted markdown of one source cell is cut into several cells of the twin; a piece
#: starting with _COLLAPSED is a collapsed heading cell.
_BREAK = "\x00break\x00"
_COLLAPSED = "\x00collapsed\x00"


def _join(parts: list[str]) -> str:
    """Markdown blocks separated by one blank line."""
    return re.sub(r"\n{3,}", "\n\n", "\n\n".join(p.strip("\n") for p in parts if p.strip())).strip()


def _titled(title: str, body: str) -> str:
    """``**title.** body``, the title running into a first paragraph of text."""
    bold = f"**{title}.**"
    if not body:
        return bold
    first = body.lstrip().split("\n", 1)[0]
    if re.match(r"(\$\$|[-*+] |\d+[.)] |#|>|<|\|)", first):
        return f"{bold}\n\n{body}"
    return f"{bold} {body.lstrip()}"


class Converter:
    """Converts the markdown cells of one page, in order (numbers and solutions run across cells)."""

    def __init__(self, context: Context):
        self.context = context
        self.targets: dict[str, Target] = {}

    # --- the two passes: collect the targets, then render with every number known ----------------

    def collect(self, cells: list[str | None]) -> dict[str, Target]:
        """Only the first pass: the page's labels and what they refer to."""
        self._resolve = False
        self._walk(cells)
        return self.targets

    def convert(self, cells: list[str | None]) -> list[list[Cell] | None]:
        """The twin's markdown cells made from each source cell (a source cell may become several,
        or none); ``None`` for a code cell (``None`` in ``cells``)."""
        self.collect(cells)
        self._resolve = True
        return self._walk(cells)

    def _walk(self, cells: list[str | None]) -> list[list[Cell] | None]:
        self.counters: dict[str, int] = {}
        self.level = 1  # the level of the section being read (its heading's number of #)
        self.solution: Target | None = None  # the exercise whose solution is being read
        self.after_solution = 0  # when a solution just ended: its heading's level (its section ends here)
        out = []
        for cell in cells:
            if cell is None:
                self._check_after_solution("a code cell")
                out.append(None)
            else:
                out.append(self._cells(self._blocks(cell)))
        if self.solution is not None:
            raise MystError(f"solution-start {self.solution_label} has no solution-end")
        return out

    @staticmethod
    def _cells(text: str) -> list[Cell]:
        pieces = (piece.strip("\n") for piece in text.split(_BREAK))
        return [Cell(p.removeprefix(_COLLAPSED).strip("\n"), p.startswith(_COLLAPSED)) for p in pieces if p.strip()]

    def _check_after_solution(self, what: str) -> None:
        """A solution is a collapsed section of the twin, which would swallow anything up to the next
        heading of its level: only an exercise or such a heading may follow it."""
        if self.after_solution:
            raise MystError(f"{what} follows the solution to {self.solution_label}: in the notebook the "
                            "solution is a collapsed section, which would hide it. Start it with a heading.")

    def _number(self, counter: str, label: str | None, target_kind: str, title: str, numbered: bool = True) -> Target:
        if numbered:
            self.counters[counter] = self.counters.get(counter, 0) + 1
            number = f"{self.context.prefix}{self.counters[counter]}"
        else:
            number = ""
        target = Target(target_kind, number, title)
        if label and not self._resolve:
            if label in self.targets:
                raise MystError(f"label {label!r} is defined twice")
            self.targets[label] = target
        return target

    # --- block level ----------------------------------------------------------------------------

    def _blocks(self, text: str) -> str:
        """Convert a run of markdown: directives, fenced code, targets, comments and inline text."""
        lines = text.split("\n")
        out: list[str] = []
        plain: list[str] = []

        def flush():
            if "".join(plain).strip():
                out.append(self._inline("\n".join(plain)))
            plain.clear()

        i = 0
        while i < len(lines):
            line = lines[i]
            parsed = _parse_directive(lines, i)
            if parsed:
                flush()
                directive, i = parsed
                if directive.name == "exercise":
                    self.after_solution = 0
                self._check_after_solution(f"{{{directive.name}}}")
                out.append(self._directive(directive))
                continue
            fence = _PLAIN_FENCE.match(line)
            if fence:  # literal code: copied as is
                flush()
                close = re.compile(rf"^ {{0,3}}{re.escape(fence['fence'][0])}{{{len(fence['fence'])},}}\s*$")
                j = i + 1
                while j < len(lines) and not close.match(lines[j]):
                    j += 1
                self._check_after_solution("a code block")
                out.append("\n".join(lines[i:j + 1]))
                i = j + 1
                continue
            target = _TARGET.match(line)
            if target:
                heading = next((h for h in lines[i + 1:] if h.strip()), "")
                h = _HEADING.match(heading)
                if not h:
                    raise MystError(f"target ({target['label']})= must precede a heading")
                if not self._resolve:
                    self.targets[target["label"]] = Target("Section", "", h["title"])
                i += 1
                continue
            if _COMMENT.match(line):
                i += 1
                continue
            heading = _HEADING.match(line)
            if heading:
                self.level = len(heading["hashes"])
                if self.level <= self.after_solution:
                    self.after_solution = 0
            if line.strip():
                self._check_after_solution(f"the text {line.strip()[:40]!r}")
            plain.append(line)
            i += 1
        flush()
        return _join(out)

    def _directive(self, d: _Directive) -> str:
        name, options = d.name, d.options
        if name.startswith("prf:") and name[4:] in PROOF_KINDS:
            kind = name[4:]
            counter = self.context.countertype.get(kind, kind)
            target = self._number(counter, options.get("label"), PROOF_KINDS[kind], self._inline(d.arg),
                                  numbered="nonumber" not in options)
            return _quote(_titled(target.heading, self._blocks(d.body)))
        if name == "prf:proof":
            body = self._blocks(d.body)
            return _quote(f"*Proof.* {body} ∎" if not body.startswith("$$") else f"*Proof.*\n\n{body} ∎")
        if name == "exercise":
            target = self._number("exercise", options.get("label"), "Exercise", self._inline(d.arg),
                                  numbered="nonumber" not in options)
            if self.level_of_solutions > 6:
                raise MystError(f"{target.name} is in a level-{self.level} section: its solution would need "
                                "a heading deeper than ######")
            return _join([_BREAK, f"{'#' * (self.level + 1)} {target.heading}", self._blocks(d.body)])
        if name in ADMONITIONS:
            title = self._inline(d.arg) if name == "admonition" else ADMONITIONS[name]
            body = d.body if name == "admonition" or not d.arg else f"{d.arg}\n{d.body}"
            body = self._blocks(body)
            # jupyterlab-myst typesets no math inside <details>: a dropdown with math stays open.
            if "dropdown" in options.get("class", "").split() and not (_DISPLAY.search(body) or _INLINE.search(body)):
                return f"<details>\n<summary><b>{title}</b></summary>\n\n{body}\n\n</details>"
            return _quote(_titled(title, body))
        if name == "math":
            return self._display(d.body, options.get("label"))
        if name == "solution-start":
            if self.solution is not None:
                raise MystError("solution-start inside another solution")
            self.solution_label = d.arg.strip()
            self.solution = self._lookup(self.solution_label, "solution-start")
            heading = f"{'#' * self.level_of_solutions} Solution to {self.solution.heading}"
            return _join([_BREAK, _COLLAPSED + heading, _BREAK])
        if name == "solution-end":
            if self.solution is None:
                raise MystError("solution-end without solution-start")
            self.solution = None
            self.after_solution = self.level_of_solutions
            return _BREAK
        raise MystError(f"unsupported MyST directive {{{name}}}: teach tools/plain_markdown.py, or avoid it")

    @property
    def level_of_solutions(self) -> int:
        """Solutions are subsections of their exercise, which is a subsection of the current section."""
        return self.level + 2

    # --- inline level ---------------------------------------------------------------------------

    def _inline(self, text: str) -> str:
        text = _EQUATION.sub(self._equation, text)
        return _ROLE.sub(self._role, text)

    def _equation(self, m: re.Match) -> str:
        return self._display(m["tex"], m["label"])

    def _display(self, tex: str, label: str | None) -> str:
        """A display in ``equation*`` (see the module docstring), tagged with its number if labelled."""
        tex = tex.strip()
        if label:
            tex += f"\n\\tag{{{self._number('equation', label, 'equation', '').number}}}"
        return f"$$\n\\begin{{equation*}}\n{tex}\n\\end{{equation*}}\n$$"

    def _lookup(self, label: str, role: str) -> Target:
        if not self._resolve:
            return Target("?", "?")
        if label in self.targets:
            return self.targets[label]
        if label in self.context.external:
            return self.context.external[label]
        raise MystError(f"{{{role}}}`{label}`: no such label in this page or another chapter of the book")

    def _role(self, m: re.Match) -> str:
        name, body = m["name"], m["body"]
        explicit = _EXPLICIT.match(body)
        text, label = (explicit["text"], explicit["target"]) if explicit else (None, body.strip())
        if name in ("cite", "cite:p", "cite:t"):
            return self.context.cite(name, body)
        if name == "math":
            return f"${body}$"
        if name == "doc":
            return text or self.context.doc_title(label)
        if name == "eq":
            return f"({self._lookup(label, name).number})"
        if name in ("prf:ref", "numref"):
            target = self._lookup(label, name)
            if text is None:
                return target.name
            return text.replace("%s", target.number).replace("{number}", target.number).replace(
                "{name}", target.title)
        if name == "ref":
            if text is not None:
                return text
            target = self._lookup(label, name)
            # Quoted, as a title in running text reads (the HTML shows it as a link instead).
            return f"“{target.title}”" if target.kind == "Section" else target.name
        raise MystError(f"unsupported MyST role {{{name}}}: teach tools/plain_markdown.py, or avoid it")


#: JupyterLab's mark of a collapsed heading (Colab's is the notebook's ``colab.collapsed_sections``,
#: which lists cell ids: ``sync_notebooks.py`` writes it once the ids are known).
COLLAPSED_HEADING = "jp-MarkdownHeadingCollapsed"


def targets(nb: nbformat.NotebookNode, context: Context) -> dict[str, Target]:
    """The labels a chapter defines (what another chapter's references to it resolve to)."""
    return Converter(context).collect([c.source if c.cell_type == "markdown" else None for c in nb.cells])


def convert(nb: nbformat.NotebookNode, context: Context) -> nbformat.NotebookNode:
    """The notebook with plain markdown cells and Jupyter's hiding metadata on its code cells.

    Code cells tagged ``hide-input`` or ``remove-input`` show only their output (JupyterLab:
    ``jupyter.source_hidden``; Colab: a form cell); ``hide-output`` collapses the output. Tags are
    kept, so the notebook still builds the same way. A markdown cell may become several (a
    solution's heading is a cell of its own, see the module docstring), or none when it held only a
    ``solution-end`` or a label (JupyterLab would show an empty cell as a blank prompt).
    """
    converter = Converter(context)
    converted = converter.convert([c.source if c.cell_type == "markdown" else None for c in nb.cells])
    cells = []
    for cell, pieces in zip(nb.cells, converted):
        if cell.cell_type == "markdown":
            for piece in pieces:
                metadata = {**cell.metadata, **({COLLAPSED_HEADING: True} if piece.collapsed else {})}
                cells.append(nbformat.v4.new_markdown_cell(piece.text, metadata=metadata))
            continue
        cells.append(cell)
        tags = set(cell.metadata.get("tags", []))
        jupyter = {}
        if tags & {"hide-input", "remove-input"}:
            jupyter["source_hidden"] = True
            cell.metadata["cellView"] = "form"
        if "hide-output" in tags:
            jupyter["outputs_hidden"] = True
        if jupyter:
            cell.metadata["jupyter"] = jupyter
    nb.cells = cells
    return nb
