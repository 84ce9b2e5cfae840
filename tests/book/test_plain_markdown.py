"""The .ipynb twin's markdown is plain Jupyter markdown (tools/plain_markdown.py, tools/citations.py).

Each MyST construct a chapter may use is converted on a small page and compared with the markdown a
reader should get, numbers included; a chapter-numbered context checks the "1." prefixes. The
committed twins are then searched for any MyST syntax left over.
"""

import collections
import json
import re
import textwrap

import jupytext
import nbformat
import pytest

from bookconf import bookfiles, page_ids

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


def convert(*cells, prefix="1.", refs=None):
    return pm.Converter(context(refs, prefix)).convert(list(cells))


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
    merged = pm.Converter(pm.Context(countertype={"lemma": "theorem"})).convert([page])[0]
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
    (out,) = convert(page)
    assert out == textwrap.dedent("""\
        > **Note.** The slides write $\\gamma^t$.

        > **Warning.** Careful here.
        > Second line.

        <details>
        <summary><b>Tip</b></summary>

        Hidden hint.

        </details>

        > **Important.**
        >
        > $$x = 1$$

        > **Exercise 1.1 (Bounds).** Show it.

        Exercise 1.1 and Exercise 1.1.""")


# --- solutions -----------------------------------------------------------------------------------


def test_solutions_become_details_and_their_code_is_announced_and_collapsed():
    cells = [
        "```{exercise} Sum\n:label: ex-sum\n\nAdd.\n```\n\n````{solution-start} ex-sum\n:class: dropdown\n````\n\n"
        "It is $2$.",
        None,
        "More words.",
        None,
        "````{solution-end}\n````\n\nAfter.",
        "````{solution-start} ex-sum\n:class: dropdown\n````",
        None,
        "````{solution-end}\n````",
    ]
    out = convert(*cells)
    assert out[0] == textwrap.dedent("""\
        > **Exercise 1.1 (Sum).** Add.

        <details>
        <summary><b>Solution to Exercise 1.1 (Sum)</b></summary>

        It is $2$.

        </details>

        *Solution to Exercise 1.1 (Sum), code*: the next cell, collapsed (click it to expand).""")
    assert out[1] == out[3] == out[6] == "solution"
    assert out[2].startswith("<details>\n<summary><b>Solution to Exercise 1.1 (Sum)</b> (continued)</summary>\n\n"
                             "More words.\n\n</details>\n\n*Solution to Exercise 1.1 (Sum), code*")
    assert out[4] == "After."
    assert out[5] == "*Solution to Exercise 1.1 (Sum), code*: the next cell, collapsed (click it to expand)."
    assert out[7] == ""


@pytest.mark.parametrize(("cells", "words"), [
    (["````{solution-start} ex-x\n````\n````{solution-end}\n````"], "no such label"),
    (["```{exercise} A\n:label: a\n\nx\n```\n````{solution-start} a\n````"], "no solution-end"),
    (["````{solution-end}\n````"], "without solution-start"),
    (["```{figure} a.png\n```"], r"\{figure\}"),
    (["{term}`MDP`"], r"\{term\}"),
    (["{eq}`nowhere`"], "nowhere"),
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
        As (1.2) shows, and $$a$$ inline stays.

        $$
        V = r + \\gamma P V
        \\tag{1.1}
        $$

        $$
        \\begin{aligned}
        x &= 1
        \\end{aligned}
        \\tag{1.2}
        $$

        > **Theorem 1.1 (T).**
        >
        > $$y = 2 \\tag{1.3}$$

        $$
        z
        \\tag{1.4}
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


def test_convert_hides_check_code_and_solution_code():
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
    assert meta[0] == {}
    assert meta[1] == {"tags": ["hide-input"], "jupyter": {"source_hidden": True}, "cellView": "form"}
    assert meta[2] == {"tags": ["hide-output"], "jupyter": {"outputs_hidden": True}}
    assert meta[4] == {"jupyter": {"source_hidden": True}, "cellView": "form"}
    assert nb.cells[3].source.startswith("> **Exercise 1.**")
    # The last cell held only the solution's end, which the code cell before it already closed: it
    # would be a blank markdown cell, so it is dropped.
    assert [c.cell_type for c in nb.cells] == ["code", "code", "code", "markdown", "code"]


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
    """The TeX of every formula in the markdown cells, without spaces, line breaks and \\tag{...}."""
    found = collections.Counter()
    for cell in cells:
        if cell["cell_type"] == "markdown":
            for display, inline in MATH.findall("".join(cell["source"])):
                found[re.sub(r"\s+", "", re.sub(r"\\tag\{[^}]*\}", "", display or inline))] += 1
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
