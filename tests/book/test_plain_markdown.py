"""The .ipynb twin's markdown is plain Jupyter markdown (tools/plain_markdown.py, tools/citations.py).

Each MyST construct a chapter may use is converted on a small page and compared with the markdown a
reader should get, numbers included; a chapter-numbered context checks the "1." prefixes. The
committed twins are then searched for any MyST syntax left over.
"""

import collections
import dataclasses
import json
import re
import textwrap

import jupytext
import nbformat
import pytest

from bookconf import bookfiles, page_ids, sync_notebooks

import test_pairs

import citations  # noqa: E402  (tools/, on the path through bookconf)
import plain_markdown as pm  # noqa: E402

BIB = textwrap.dedent(r"""
    @article{agarwal2021theory,
      author = {Agarwal, Alekh and Kakade, Sham M. and Lee, Jason D. and Mahajan, Gaurav},
      title = {On the Theory of Policy Gradient Methods}, year = {2021},
      eprint = {1908.00261}, archiveprefix = {arXiv}, url = {http://jmlr.org/papers/v22/19-736.html}}
    @book{sutton2018,
      author = {Sutton, Richard S. and Barto, Andrew G.}, title = {RL}, year = {2018}}
    @article{kakade2002natural,
      author = {Kakade, Sham M.}, title = {A Natural Policy Gradient}, year = {2002}, doi = {10.5555/2980539}}
    @misc{williams1992, author = {Williams, Ronald J.}, title = {Simple}, year = {1992}, eprint = {9999.0001}}
    @misc{slides, author = {Erd{\H o}s, P{\'a}l}, title = {Slides}, year = {2020},
      note = {Slides, \url{https://example.org/slides.pdf}}}
""")


@pytest.fixture
def refs(tmp_path):
    path = tmp_path / "refs.bib"
    path.write_text(BIB, encoding="utf-8")
    return citations.references(path)


def context(refs=None, prefix="1."):
    return pm.Context(prefix=prefix, cite=(lambda role, keys: citations.cite(refs, role, keys)) if refs else
                      pm.Context().cite, doc_title={"../notation": "Notation"}.get)


def convert(*cells, prefix="1.", refs=None, external=None):
    """The twin's cells made from ``cells`` (markdown, or None for a code cell): the text of each
    markdown cell, None for each code cell."""
    ctx = dataclasses.replace(context(refs, prefix), external=external or {})
    out = []
    for pieces in pm.Converter(ctx).convert(list(cells)):
        out.extend([None] if pieces is None else [p.text for p in pieces])
    return out


# --- citations -----------------------------------------------------------------------------------


def test_citations_are_author_year_links(refs):
    assert citations.cite(refs, "cite", "agarwal2021theory") == (
        "([Agarwal et al., 2021](http://jmlr.org/papers/v22/19-736.html))")
    assert citations.cite(refs, "cite:p", "sutton2018, kakade2002natural") == (
        "(Sutton and Barto, 2018; [Kakade, 2002](https://doi.org/10.5555/2980539))")
    assert citations.cite(refs, "cite:t", "williams1992") == "[Williams (1992)](https://arxiv.org/abs/9999.0001)"
    assert citations.cite(refs, "cite:t", "slides") == "[Erdős (2020)](https://example.org/slides.pdf)"


def test_unknown_citation_key_or_role_is_an_error(refs):
    with pytest.raises(ValueError, match="nobody"):
        citations.cite(refs, "cite", "sutton2018,nobody")
    with pytest.raises(ValueError, match="cite:ps"):
        citations.cite(refs, "cite:ps", "sutton2018")


def test_the_books_bibliography_reads_and_every_entry_has_authors_and_year():
    refs = citations.references(bookfiles.ROOT / "references.bib")
    assert refs and all(r.authors and r.year.isdigit() for r in refs.values())


# --- boxes ---------------------------------------------------------------------------------------


def test_proof_boxes_are_numbered_per_kind_with_the_chapter_prefix():
    page = textwrap.dedent("""\
        ```{prf:definition} MDP
        :label: def-mdp

        A tuple $M$.
        ```

        ```{prf:theorem} Policy improvement
        :label: thm-pi

        If $\\pi'$ is greedy, it is no worse.
        ```

        ```{prf:proof}
        By the lemma.
        ```

        ```{prf:lemma}
        Unnamed.
        ```

        ```{prf:theorem} Second
        :nonumber:

        Not numbered.
        ```

        ```{prf:definition} Value
        :label: def-value

        - a list first
        ```

        See {prf:ref}`thm-pi`, {prf:ref}`def-value`, {prf:ref}`the first one <def-mdp>`, {numref}`Thm. %s <thm-pi>`.""")
    (out,) = convert(page)
    assert out == textwrap.dedent("""\
        > **Definition 1.1 (MDP).** A tuple $M$.

        > **Theorem 1.1 (Policy improvement).** If $\\pi'$ is greedy, it is no worse.

        > *Proof.* By the lemma. ∎

        > **Lemma 1.1.** Unnamed.

        > **Theorem (Second).** Not numbered.

        > **Definition 1.2 (Value).**
        >
        > - a list first

        See Theorem 1.1, Definition 1.2, the first one, Thm. 1.1.""")


def test_unnumbered_book_and_merged_counters():
    page = "```{prf:lemma} A\n:label: a\n\nx\n```\n\n```{prf:theorem} B\n:label: b\n\ny\n```\n\n{prf:ref}`b`"
    plain = convert(page, prefix="")[0]
    assert "**Lemma 1 (A).**" in plain and "**Theorem 1 (B).**" in plain and plain.endswith("Theorem 1")
    (merged,) = pm.Converter(pm.Context(countertype={"lemma": "theorem"})).convert([page])[0]
    merged = merged.text
    assert "**Theorem 2 (B).**" in merged and merged.endswith("Theorem 2")


def test_admonitions_and_exercises():
    page = textwrap.dedent("""\
        ```{note}
        The slides write $\\gamma^t$.
        ```

        :::{warning} Careful here.
        Second line.
        :::

        ````{tip}
        :class: dropdown
        Hidden hint.
        ````

        ```{important}
        $$
        x = 1
        $$
        ```

        ```{exercise} Bounds
        :label: ex-b

        Show it.
        ```

        {ref}`ex-b` and {numref}`ex-b`.""")
    boxes, exercise = convert(page)
    assert boxes == textwrap.dedent("""\
        > **Note.** The slides write $\\gamma^t$.

        > **Warning.** Careful here.
        > Second line.

        <details>
        <summary><b>Tip</b></summary>

        Hidden hint.

        </details>

        > **Important.**
        >
        > $$\\begin{equation*} x = 1 \\end{equation*}$$""")
    # An exercise is a heading one level below its section (here the page's title level).
    assert exercise == "## Exercise 1.1 (Bounds)\n\nShow it.\n\nExercise 1.1 and Exercise 1.1."


def test_a_dropdown_admonition_with_math_stays_open():
    """jupyterlab-myst shows what an HTML element holds as raw HTML: its TeX would not be typeset."""
    assert convert("```{tip}\n:class: dropdown\nNo math.\n```")[0].startswith("<details>")
    assert convert("```{tip}\n:class: dropdown\nWith $x$.\n```")[0] == "> **Tip.** With $x$."


# --- solutions -----------------------------------------------------------------------------------


def test_solutions_become_collapsed_sections_below_their_exercise():
    cells = [
        "## Exercises\n\n```{exercise} Sum\n:label: ex-sum\n\nAdd.\n```\n\n````{solution-start} ex-sum\n"
        ":class: dropdown\n````\n\nIt is $2$.",
        None,
        "More words.",
        None,
        "````{solution-end}\n````\n\n```{exercise}\n:label: ex-two\n\nAgain.\n```",
        "````{solution-start} ex-two\n:class: dropdown\n````",
        None,
        "````{solution-end}\n````",
        "### A later section\n\nText.",
    ]
    out = pm.Converter(context()).convert(cells)
    texts = [None if pieces is None else [(p.text, p.collapsed) for p in pieces] for pieces in out]
    assert texts == [
        [("## Exercises", False), ("### Exercise 1.1 (Sum)\n\nAdd.", False),
         ("#### Solution to Exercise 1.1 (Sum)", True), ("It is $2$.", False)],
        None,
        [("More words.", False)],
        None,
        [("### Exercise 1.2\n\nAgain.", False)],
        [("#### Solution to Exercise 1.2", True)],
        None,
        [],
        [("### A later section\n\nText.", False)],
    ]


@pytest.mark.parametrize("after", ["Text after it.", None, "```{note}\nA box.\n```", "##### A subsection"])
def test_only_a_heading_or_an_exercise_may_follow_a_solution(after):
    """The solution is a collapsed section: anything else after it would be hidden with it."""
    cells = ["## Exercises\n\n```{exercise}\n:label: e\nQ\n```\n````{solution-start} e\n````\nA.\n"
             "````{solution-end}\n````", after]
    with pytest.raises(pm.MystError, match="follows the solution to e:"):
        convert(*cells)
    assert convert(cells[0], "#### The solution's level ends it")[-1] == "#### The solution's level ends it"


def test_an_exercise_deep_in_the_sections_is_an_error():
    with pytest.raises(pm.MystError, match="deeper than"):
        convert("##### Deep\n\n```{exercise}\nQ\n```")


@pytest.mark.parametrize(("cells", "words"), [
    (["````{solution-start} ex-x\n````\n````{solution-end}\n````"], "no such label"),
    (["```{exercise} A\n:label: a\n\nx\n```\n````{solution-start} a\n````"], "no solution-end"),
    (["````{solution-end}\n````"], "without solution-start"),
    (["```{figure} a.png\n```"], r"\{figure\}"),
    (["{term}`MDP`"], r"\{term\}"),
    (["{eq}`nowhere`"], "no such label in this page or another chapter"),
    (["{prf:ref}`nowhere`"], "nowhere"),
    (["```{note}\nnever closed"], "never closed"),
    (["```{prf:lemma}\n:label: a\nx\n```\n```{prf:lemma}\n:label: a\ny\n```"], "twice"),
])
def test_unknown_syntax_and_missing_labels_are_errors(cells, words):
    with pytest.raises(pm.MystError, match=words):
        convert(*cells)


# --- equations, roles, targets -------------------------------------------------------------------


def test_labelled_equations_get_tags_and_eq_refs_their_numbers():
    page = textwrap.dedent("""\
        As {eq}`eq-b` shows, and $$a$$ inline stays.

        $$
        V = r + \\gamma P V
        $$ (eq-a)

        $$
        \\begin{aligned}
        x &= 1
        \\end{aligned}
        $$ (eq-b)

        ```{prf:theorem} T
        $$ y = 2 $$ (eq-c)
        ```

        ```{math}
        :label: eq-d
        z
        ```

        {eq}`eq-a`, {eq}`eq-c`, {eq}`eq-d`; {math}`q^2`.""")
    (out,) = convert(page)
    assert out == textwrap.dedent("""\
        As (1.2) shows, and $$
        \\begin{equation*}
        a
        \\end{equation*}
        $$ inline stays.

        $$
        \\begin{equation*}
        V = r + \\gamma P V
        \\tag{1.1}
        \\end{equation*}
        $$

        $$
        \\begin{equation*}
        \\begin{aligned}
        x &= 1
        \\end{aligned}
        \\tag{1.2}
        \\end{equation*}
        $$

        > **Theorem 1.1 (T).**
        >
        > $$\\begin{equation*} y = 2 \\tag{1.3} \\end{equation*}$$

        $$
        \\begin{equation*}
        z
        \\tag{1.4}
        \\end{equation*}
        $$

        (1.1), (1.3), (1.4); $q^2$.""")


def test_targets_comments_doc_and_ref_to_sections(refs):
    page = textwrap.dedent("""\
        % a MyST comment
        (sec-values)=
        ## Values and advantages

        Back to {ref}`sec-values`, {ref}`this section <sec-values>`, {doc}`../notation` and
        {doc}`the notation <../notation>`; {cite:t}`sutton2018`.

        ```python
        {cite}`not a role inside code`
        ```""")
    (out,) = convert(page, refs=refs)
    assert out == textwrap.dedent("""\
        ## Values and advantages

        Back to “Values and advantages”, this section, Notation and
        the notation; Sutton and Barto (2018).

        ```python
        {cite}`not a role inside code`
        ```""")


# --- notebook level ------------------------------------------------------------------------------


def test_convert_hides_check_code_and_collapses_solutions():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell("checks.close(...)", metadata={"tags": ["hide-input"]}),
        nbformat.v4.new_code_cell("print(1)", metadata={"tags": ["hide-output"]}),
        nbformat.v4.new_markdown_cell("```{exercise}\n:label: e\nQ\n```\n````{solution-start} e\n````"),
        nbformat.v4.new_code_cell("answer()"),
        nbformat.v4.new_markdown_cell("````{solution-end}\n````"),
    ])
    pm.convert(nb, pm.Context())
    meta = [c.metadata for c in nb.cells]
    assert meta[:3] == [{}, {"tags": ["hide-input"], "jupyter": {"source_hidden": True}, "cellView": "form"},
                        {"tags": ["hide-output"], "jupyter": {"outputs_hidden": True}}]
    # The exercise and its solution's heading are two cells; the heading starts collapsed, hiding the
    # solution's code below it. The last cell held only the solution's end: it would be a blank
    # markdown cell, so it is dropped.
    assert [c.source for c in nb.cells[3:5]] == ["## Exercise 1\n\nQ", "### Solution to Exercise 1"]
    assert meta[3:] == [{}, {pm.COLLAPSED_HEADING: True}, {}]
    assert [c.cell_type for c in nb.cells] == ["code", "code", "code", "markdown", "markdown", "code"]


def test_references_to_another_chapter_resolve_with_its_numbers():
    other = pm.targets(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        "```{prf:lemma} Performance difference\n:label: lem-pd\n\nx\n```\n\n$$ a $$ (eq-pd)\n\n"
        "(sec-far)=\n## A far section")]), pm.Context(prefix="3."))
    (out,) = convert("{prf:ref}`lem-pd`, {prf:ref}`the lemma <lem-pd>`, {eq}`eq-pd`, {ref}`sec-far`.",
                     external=other)
    assert out == "Lemma 3.1, the lemma, (3.1), “A far section”."
    with pytest.raises(pm.MystError, match="lem-nowhere"):
        convert("{prf:ref}`lem-nowhere`", external=other)


def test_the_book_resolves_labels_across_chapters_and_rejects_a_label_defined_twice(tiny_book_pages):
    first, second = tiny_book_pages
    text = sync_notebooks.notebook_text(second)
    assert "see Theorem 1.1 (1.1)" in text
    bookfiles.source(second).write_text(bookfiles.source(second).read_text() +
                                        "\n```{prf:lemma}\n:label: thm-far\nDup.\n```\n")
    with pytest.raises(pm.MystError, match="defined in two chapters"):
        sync_notebooks.notebook_text(first)


@pytest.fixture
def tiny_book_pages(tmp_path, monkeypatch):
    (tmp_path / "_config.yml").write_text("repository:\n  path_to_book: ''\n")
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: book/index\nparts:\n  - caption: A\n    numbered: true\n"
                                       "    chapters:\n      - file: book/one\n      - file: book/two\n")
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "index.md").write_text("# Index\n")
    chapter = test_pairs.CHAPTER.format(setup="")
    (tmp_path / "book" / "one.md").write_text(chapter + "\n```{prf:theorem} Far\n:label: thm-far\n\nx\n```\n\n$$ b $$ (eq-far)\n")
    (tmp_path / "book" / "two.md").write_text(chapter + "\nsee {prf:ref}`thm-far` {eq}`eq-far`\n")
    monkeypatch.setattr(bookfiles, "ROOT", tmp_path)
    return ["book/one", "book/two"]


#: What Jupyter would show literally: directive fences, roles, options, equation labels, targets.
MYST = re.compile(r"```\{|:::\{|\{[\w:-]+\}`|^\s*>?\s*:(label|class|nonumber|tags):|\$\$\s*\([\w-]+\)|^\([\w-]+\)=",
                  re.M)
CHAPTERS = bookfiles.chapters()


@pytest.mark.parametrize("page", CHAPTERS, ids=page_ids(CHAPTERS))
def test_no_myst_syntax_left_in_the_twin(page):
    nb = json.loads(bookfiles.notebook(page).read_text(encoding="utf-8"))
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "markdown":
            text = "".join(cell["source"])
            found = MYST.search(text)
            assert not found, f"{page}.ipynb cell {index}: MyST left: {text[max(0, found.start() - 40):found.end() + 40]!r}"


#: A formula, display or inline (its TeX in group 1 or 2).
MATH = re.compile(r"\$\$(.+?)\$\$|\$([^$]+)\$", re.S)


def formulas(cells) -> collections.Counter:
    """The TeX of every formula in the markdown cells, without spaces, line breaks, \\tag{...} and the
    twin's ``equation*`` around every display."""
    found = collections.Counter()
    for cell in cells:
        if cell["cell_type"] == "markdown":
            for display, inline in MATH.findall("".join(cell["source"])):
                tex = re.sub(r"\\tag\{[^}]*\}|\\(begin|end)\{equation\*\}", "", display or inline)
                found[re.sub(r"\s+", "", tex)] += 1
    return found


@pytest.mark.parametrize("page", CHAPTERS, ids=page_ids(CHAPTERS))
def test_every_formula_reaches_the_twin_unchanged(page):
    """The twin's formulas are the chapter's, one for one. Jupyter reads the TeX before the markdown,
    so a formula broken over lines of a blockquote would keep the quote's ">" (a stray ">=" in a proof)."""
    source = formulas(jupytext.read(bookfiles.source(page), fmt="md:myst").cells)
    twin = formulas(json.loads(bookfiles.notebook(page).read_text(encoding="utf-8"))["cells"])
    assert sum(source.values()) > 50
    assert twin == source, f"only in the .md: {list((source - twin).items())[:3]}; only in the twin: {list((twin - source).items())[:3]}"


def test_inline_math_in_a_box_goes_on_one_line():
    page = "```{prf:proof}\nSo $a\n= b$ and $c$.\n```"
    (out,) = convert(page)
    assert out == "> *Proof.* So $a = b$ and $c$. ∎"


def test_the_myst_pattern_finds_what_the_chapters_are_written_in():
    text = bookfiles.source(CHAPTERS[0]).read_text(encoding="utf-8")
    assert len(MYST.findall(text)) >= 5


def test_yaml_options_block():
    page = "```{prf:theorem} Y\n---\nlabel: thm-y\n---\nBody.\n```\n\n{prf:ref}`thm-y`"
    assert convert(page)[0] == "> **Theorem 1.1 (Y).** Body.\n\nTheorem 1.1"
    with pytest.raises(pm.MystError, match="never closed"):
        convert("```{prf:theorem} Y\n---\nlabel: thm-y\nBody.\n```")
