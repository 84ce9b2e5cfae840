"""The last chapter (book/approximation/summary.md): its own checks, and the integrity of its table.

The chapter's checks run pgbook.algorithms' compiled loops; the tests below iterate the same
updates by hand in numpy (soft policy iteration, mirror descent with growing steps, projected
gradient ascent), with V* from value iteration instead of policy iteration and the visitation from
its series instead of the linear solve.

The table tests parse the page: every row R0, R1, ... must link to a chapter of _toc.yml and name
a check that is on that chapter's page and a test that exists. Rows linking to a chapter that has
not been merged yet carry the form ``Chapter: title (book/x/y)<!-- link: ../x/y -->``; such a
chapter must then be absent from _toc.yml, so that merging it without switching the link on to
``{doc}`` fails here.
"""

import ast
import functools
import re
from pathlib import Path

import jupytext
import numpy as np
import pytest
import yaml

import pgbook
from pgbook import envs

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "book" / "approximation" / "summary.md"
EPS = 0.05

GRID = envs.gridworld()
S, A, GAMMA = GRID.S, GRID.A, GRID.gamma
RHO = np.full(S, 1 / S)


# --- independent computations ------------------------------------------------------------------


def optimal():
    """V* by value iteration (the chapter uses policy iteration) and a greedy optimal policy."""
    V = np.zeros(S)
    for _ in range(3000):
        V = (GRID.r + GAMMA * GRID.P @ V).max(axis=1)
    Q = GRID.r + GAMMA * GRID.P @ V
    pi = np.eye(A)[Q.argmax(axis=1)]
    return V, pi


def value(pi):
    P_pi = np.einsum("sa,sat->st", pi, GRID.P)
    return np.linalg.solve(np.eye(S) - GAMMA * P_pi, (pi * GRID.r).sum(axis=1))


def q_value(pi):
    return GRID.r + GAMMA * GRID.P @ value(pi)


def visitation_series(pi, terms=600):
    """d_rho = (1 - gamma) sum_t gamma^t rho P_pi^t, summed term by term."""
    P_pi = np.einsum("sa,sat->st", pi, GRID.P)
    d, x = np.zeros(S), RHO.copy()
    for t in range(terms):
        d += (1 - GAMMA) * GAMMA**t * x
        x = x @ P_pi
    return d


V_STAR, PI_STAR = optimal()
V_STAR_RHO = RHO @ V_STAR
D = np.max(visitation_series(PI_STAR) / RHO)
THETA_RHO = D / (1 - GAMMA)
ETA_NPG = (1 - GAMMA) ** 2 * np.log(A)
ETA0_PMD = (1 - GAMMA) / GAMMA * np.log(A)


def mirror_values(step_size, T):
    """V^{pi_k}: (T+1, S) for pi_{k+1} = pi_k exp(eta_k Q^{pi_k}) / Z from the uniform policy."""
    log_pi = np.full((S, A), -np.log(A))
    values = []
    for k in range(T + 1):
        pi = np.exp(log_pi)
        values.append(value(pi))
        log_pi = log_pi + step_size(k) * q_value(pi)
        log_pi -= log_pi.max(axis=1, keepdims=True)
        log_pi -= np.log(np.exp(log_pi).sum(axis=1, keepdims=True))
    return np.array(values)


def mirror_gaps(step_size, T):
    return V_STAR_RHO - mirror_values(step_size, T) @ RHO


def npg_gaps(T):
    # AKLM's NPG with step eta is soft policy iteration with step eta / (1 - gamma) on Q.
    return mirror_gaps(lambda k: ETA_NPG / (1 - GAMMA), T)


def pmd_gaps(T):
    return mirror_gaps(lambda k: ETA0_PMD / GAMMA**k, T)


def first_within(gaps):
    return int(np.flatnonzero(gaps <= EPS)[0])


# --- the chapter's checks ----------------------------------------------------------------------


def test_gridworld_npg_gap_below_aklm_bound():
    gaps = npg_gaps(400)
    T = np.arange(1, gaps.size)
    bound = np.log(A) / (ETA_NPG * T) + 1 / ((1 - GAMMA) ** 2 * T)
    assert np.all(gaps[1:] <= bound)


def test_gridworld_geometric_pmd_below_xiao_bound():
    gaps = pmd_gaps(40)
    k = np.arange(gaps.size)
    assert np.all(gaps <= (1 - 1 / THETA_RHO) ** k * 2 / (1 - GAMMA))


PGA_GUARANTEE = 64 * GAMMA * S * A * D**2 / ((1 - GAMMA) ** 6 * EPS**2)


@functools.cache
def pga_gaps():
    """Projected gradient ascent on the direct parameters (AKLM Eq. (7)) by hand, until gap <= EPS."""
    eta = (1 - GAMMA) ** 3 / (2 * GAMMA * A)
    pi = np.full((S, A), 1 / A)
    gaps = []
    for _ in range(400_000):
        P_pi = np.einsum("sa,sat->st", pi, GRID.P)
        V = np.linalg.solve(np.eye(S) - GAMMA * P_pi, (pi * GRID.r).sum(axis=1))
        gaps.append(V_STAR_RHO - RHO @ V)
        if gaps[-1] <= EPS:
            return np.array(gaps)
        d = (1 - GAMMA) * np.linalg.solve((np.eye(S) - GAMMA * P_pi).T, RHO)
        grad = d[:, None] * (GRID.r + GAMMA * GRID.P @ V) / (1 - GAMMA)
        pi = pgbook.project_simplex(pi + eta * grad)
    raise AssertionError("projected gradient ascent did not reach the target in 400 000 iterations")


@pytest.mark.slow
def test_each_method_reaches_the_target_within_its_guarantee():
    assert first_within(npg_gaps(400)) <= 2 / ((1 - GAMMA) ** 2 * EPS)
    assert first_within(pmd_gaps(60)) <= THETA_RHO * np.log(2 / ((1 - GAMMA) * EPS))
    assert pga_gaps().size - 1 <= PGA_GUARANTEE


@pytest.mark.slow
def test_gridworld_pga_best_gap_below_theorem_bound():
    best = np.minimum.accumulate(pga_gaps())
    T = np.arange(1, best.size)
    assert np.all(best[1:] <= np.sqrt(PGA_GUARANTEE * EPS**2 / T))


def test_gridworld_npg_never_lowers_a_state_value():
    V = mirror_values(lambda k: ETA_NPG / (1 - GAMMA), 400)
    assert np.diff(V, axis=0).min() >= -1e-12


def test_the_numbers_the_prose_states():
    assert round(D, 1) == 9.7
    assert round(THETA_RHO, 1) == 97.3
    assert round(V_STAR_RHO, 3) == 0.462
    npg = npg_gaps(400)
    T = np.arange(1, npg.size)
    npg_ratio = np.max(npg[1:] / (np.log(A) / (ETA_NPG * T) + 1 / ((1 - GAMMA) ** 2 * T)))
    assert npg_ratio <= 0.1  # "never more than a tenth of its bound"
    pmd = pmd_gaps(40)
    k = np.arange(pmd.size)
    assert round(np.max(pmd / ((1 - 1 / THETA_RHO) ** k * 2 / (1 - GAMMA))), 2) == 0.02  # "about 2%"
    guarantees = np.array([
        64 * GAMMA * S * A * D**2 / ((1 - GAMMA) ** 6 * EPS**2),
        320 * S**2 * A**2 * D**2 / ((1 - GAMMA) ** 6 * EPS**2),
        2 / ((1 - GAMMA) ** 2 * EPS),
        THETA_RHO * np.log(2 / ((1 - GAMMA) * EPS)),
    ])
    assert int(np.log10(guarantees.max() / guarantees.min())) == 14  # "fourteen orders"
    decades = np.log10(guarantees[2:] / [first_within(npg), first_within(pmd)])
    assert 1 <= decades.min() < 2  # "one to nine decades" (nine: projected GA, in the chapter)


# --- the table: every row points at a chapter, a check on its page, and a test -----------------

ROW = re.compile(r"^\| \*\*(R\d+)\*\* \|.*\| ([^|]+) \|$")
CHECK = re.compile(r'^- \*\*(R\d+)\*\* ✔ (?:"(.+)"|\(.+\)) — `(tests/chapters/test_(\w+)\.py)(?:::(\w+))?`$')
DOC = re.compile(r"\{doc\}`(?:[^`<]*<([^>`]+)>|([^`<>]+))`")
PENDING = re.compile(r"Chapter: [^(|]+ \((book/[\w/]+)\)<!-- link: ([\w./]+) -->")
HERE = re.compile(r"\{ref\}`[^`]*<sec-sum-[\w-]+>`")


def resolve(target):
    """A {doc} target relative to book/approximation/ as a repository path without suffix."""
    return (PAGE.parent / target).resolve().relative_to(ROOT).as_posix()


def toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return {chapter["file"] for part in toc["parts"] for chapter in part["chapters"]}


def page_lines():
    return PAGE.read_text().splitlines()


def table_rows():
    rows = {}
    for line in page_lines():
        m = ROW.match(line)
        if m:
            cell = m.group(2)
            live = {resolve(a or b) for a, b in DOC.findall(cell)}
            if HERE.search(cell):
                live.add("book/approximation/summary")
            pending = {path for path, _ in PENDING.findall(cell)}
            for path, target in PENDING.findall(cell):
                assert resolve(target) == path, f"{m.group(1)}: link target {target} is not {path}"
            rows[m.group(1)] = (live, pending)
    return rows


def check_lines():
    return [CHECK.match(line) for line in page_lines() if re.match(r"- \*\*R\d+\*\* ", line)]


def check_claims(chapter):
    """The claims of every checks.close / bound / zscore call in the chapter's code cells."""
    notebook = jupytext.read(ROOT / f"{chapter}.md")
    claims = set()
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        python = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        for node in ast.walk(ast.parse(python)):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "checks"
                    and isinstance(node.args[0], ast.Constant)):
                claims.add(node.args[0].value)
    return claims


def functions_in(path):
    tree = ast.parse((ROOT / path).read_text())
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}


def test_every_row_links_a_chapter_and_has_a_check():
    rows = table_rows()
    assert list(rows) == [f"R{i}" for i in range(len(rows))] and len(rows) >= 12
    lines = check_lines()
    assert all(lines), "a check line does not read - **Rn** ✔ \"claim\" — `tests/chapters/test_x.py::test_y`"
    checked = {m.group(1) for m in lines}
    assert checked == set(rows), f"rows without a check: {sorted(set(rows) - checked)}"
    for label, (live, pending) in rows.items():
        assert live or pending, f"{label} links no chapter"


def test_live_links_point_at_chapters_in_the_toc_and_their_checks_exist():
    rows, toc = table_rows(), toc_files()
    verified = 0
    for m in check_lines():
        label, claim, test_file, stem, test_name = m.groups()
        live, pending = rows[label]
        for chapter in live:
            assert chapter in toc, f"{label}: {chapter} is not in _toc.yml"
        chapter = next((c for c in live | pending if c.endswith("/" + stem)), None)
        assert chapter is not None, f"{label}: {test_file} belongs to no chapter the row links"
        if chapter in pending:
            continue  # not merged yet: test_pending_links_are_not_yet_in_the_toc holds the merger to it
        assert claim is not None and test_name is not None, f"{label}: name the check and its test"
        assert claim in check_claims(chapter), f"{label}: no check reads {claim!r} in {chapter}.md"
        assert test_name in functions_in(test_file), f"{label}: no {test_name} in {test_file}"
        verified += 1
    assert verified >= 6


def test_pending_links_are_not_yet_in_the_toc():
    toc = toc_files()
    pending = set().union(*(p for _, p in table_rows().values()))
    pending |= {path for line in page_lines() for path, _ in PENDING.findall(line)}
    merged = sorted(pending & toc)
    assert not merged, f"switch these links on to {{doc}} (they are in _toc.yml now): {merged}"


def test_every_doc_link_on_the_page_is_in_the_toc():
    toc = toc_files()
    targets = {resolve(a or b) for line in page_lines() for a, b in DOC.findall(line)}
    assert targets and targets <= toc, sorted(targets - toc)
