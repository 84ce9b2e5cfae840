"""pgbook.explain: every number of the report against the chapters' own functions (or a plain
recomputation), the verdicts on MDPs whose behaviour is known, the text and the self-contained HTML,
the gallery, and bad input."""

import base64
import functools
import io
import math
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from PIL import Image

import pgbook
from conftest import mdps
from pgbook import algorithms, envs, loaders
from pgbook.theory import landscape, softmax_pg, report
import oracle

# The runs take 2000 iterations: the tests that need them are slow without numba's compiled kernels
# (the NUMBA_DISABLE_JIT pass of make test skips them; test_a_short_run_is_the_chapters_functions_too runs there).
CASES = {
    "frozen lake": lambda: loaders.from_gymnasium("FrozenLake-v1", gamma=0.99),
    "chain": lambda: envs.chain(6),
    "gridworld": lambda: envs.gridworld(gamma=0.99),
    "random": lambda: envs.random_mdp(7, 3, seed=2, gamma=0.9, random_rho=True),
}


@functools.cache
def explained(name, **kwargs):
    mdp = CASES[name]()
    return mdp, pgbook.explain(mdp, **dict(kwargs))


def first_index(gap, fraction):
    for t, g in enumerate(gap):
        if g <= fraction * gap[0]:
            return t
    return None


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_the_numbers_are_the_chapters_functions(name):
    mdp, r = explained(name)
    pi_star, V_star = pgbook.policy_iteration(mdp)
    pi_0 = pgbook.uniform(mdp)
    assert np.array_equal(r.pi_star, pi_star) and np.array_equal(r.V_star, V_star)
    assert np.allclose(r.V_uniform, pgbook.value(mdp, pi_0), rtol=0, atol=1e-13)
    assert np.allclose(r.d_star, pgbook.visitation(mdp, pi_star), rtol=0, atol=1e-14)
    assert np.allclose(r.d_uniform, pgbook.visitation(mdp, pi_0), rtol=0, atol=1e-14)
    assert r.mismatch == landscape.mismatch(r.d_star, mdp.rho)
    live = ~mdp.terminal & (r.d_star > 0)  # the start mismatch leaves out the absorbing states
    assert r.start_mismatch == pytest.approx(np.max(r.d_star[live] / r.d_uniform[live]), rel=1e-12)
    until = float(mdp.rho @ V_star) - 0.01 * r.gap
    pg = algorithms.softmax_pg(mdp, 1.0, 2000, until=until)
    npg = algorithms.npg(mdp, 1.0, 2000, until=until)
    assert np.array_equal(r.pg.V_rho, pg.V_rho) and np.array_equal(r.npg.V_rho, npg.V_rho)
    assert np.allclose(r.gap_pg, mdp.rho @ V_star - pg.V_rho, rtol=0, atol=1e-15)
    for key, gap in (("PG", r.gap_pg), ("NPG", r.gap_npg)):
        assert r.first_tenth[key] == first_index(gap, 0.9) and r.nine_tenths[key] == first_index(gap, 0.1)


def test_a_short_run_is_the_chapters_functions_too():
    mdp = envs.chain(3)
    r = pgbook.explain(mdp, T=40)
    pi_star, V_star = pgbook.policy_iteration(mdp)
    assert np.array_equal(r.V_star, V_star) and np.allclose(r.d_star, pgbook.visitation(mdp, pi_star))
    until = float(mdp.rho @ V_star) - 0.01 * r.gap
    assert np.array_equal(r.pg.V_rho, algorithms.softmax_pg(mdp, 1.0, 40, until=until).V_rho)
    assert r.gap_share.sum() == pytest.approx(1.0, abs=1e-10) and r.first_tenth["PG"] == first_index(r.gap_pg, 0.9)
    assert "<script" not in r.html() and str(r) == r.text()


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_the_gap_splits_over_the_states_by_the_performance_difference_lemma(name):
    """The shares, recomputed by a plain solve of the occupancy, sum to one: V*(rho) - V^pi0(rho)."""
    mdp, r = explained(name)
    occupancy_star = oracle.occupancy(mdp.P, mdp.gamma, r.pi_star, mdp.rho)
    V_0 = r.V_uniform
    adv_0 = mdp.r + mdp.gamma * mdp.P @ V_0 - V_0[:, None]
    terms = occupancy_star * np.sum(r.pi_star * adv_0, axis=1)
    assert np.allclose(r.gap_share * r.gap, terms, rtol=0, atol=1e-10)
    assert terms.sum() == pytest.approx(r.gap, abs=1e-10) and r.gap_share.sum() == pytest.approx(1.0, abs=1e-10)
    keys = r.key_states
    assert len(keys) <= 3 and list(keys) == list(np.argsort(-r.gap_share, kind="stable")[:len(keys)])


@pytest.mark.slow
def test_a_mu_other_than_rho_is_ascended_and_the_gap_measured_at_rho():
    mdp = loaders.from_gymnasium("FrozenLake-v1", gamma=0.99)
    mu = np.full(mdp.S, 1 / mdp.S)
    r = pgbook.explain(mdp, mu=mu, T=300)
    assert r.mismatch == pytest.approx(softmax_pg.optimal_mismatch(mdp, mu=mu), rel=1e-12)
    assert np.allclose(r.d_uniform, pgbook.visitation(mdp, pgbook.uniform(mdp), rho=mu))
    V_star_mu = mu @ r.V_star
    pg = algorithms.softmax_pg(mdp, 1.0, 300, rho=mu, record_every=1, until=V_star_mu - 0.01 * (V_star_mu - mu @ r.V_uniform))
    assert np.allclose(r.gap_pg, mdp.rho @ r.V_star - pg.V @ mdp.rho, rtol=0, atol=1e-14)
    assert np.allclose(pg.V_rho, pg.V @ mu)  # the run ascends V(mu)


def test_the_reports_mismatch_rows_leave_out_the_terminal_state():
    """A three-state walk 0 -> 1 -> goal, written by hand, where the goal would set both coefficients: with
    gamma = 1/2 and rho at state 0, pi* (always forward) has d* = (1/2, 1/4, 1/4). Under mu = (0.6, 0.3, 0.1)
    the coefficient over all states is d*(goal)/mu(goal) = 2.5, over the non-terminal ones 0.5/0.6 = 5/6;
    under a mu that misses only the goal, the first is infinite and the second 1, and the report warns of
    nothing. The rows of the table show the second, and say so."""
    P = np.zeros((3, 2, 3))
    P[0, 0, 0] = P[1, 0, 1] = 1.0  # action 0: stay
    P[0, 1, 1] = P[1, 1, 2] = 1.0  # action 1: forward
    P[2, :, 2] = 1.0  # the goal, absorbing
    r = np.array([[0.0, 0.0], [0.0, 1.0], [0.0, 0.0]])  # 1 on entering the goal
    walk = pgbook.MDP(P, r, 0.5, rho=np.array([1.0, 0.0, 0.0]), terminal=[2])
    mu = np.array([0.6, 0.3, 0.1])
    r_mu = pgbook.explain(walk, mu=mu, T=50)
    assert np.allclose(r_mu.d_star, [0.5, 0.25, 0.25], rtol=0, atol=1e-15)
    assert r_mu.mismatch == pytest.approx(2.5, rel=1e-12) and r_mu.mismatch_live == pytest.approx(5 / 6, rel=1e-12)
    rows = {what: value for what, value, _ in r_mu.summary()}
    shown = [(what, value) for what, value in rows.items() if what.startswith("mismatch coefficient")]
    assert shown == [(shown[0][0], "0.833")] and "over the non-terminal states" in shown[0][0]
    d_0 = oracle.visitation(P, 0.5, np.full((3, 2), 0.5), mu)
    assert r_mu.start_mismatch == pytest.approx(max(r_mu.d_star[s] / d_0[s] for s in (0, 1)), rel=1e-12)
    r_live = pgbook.explain(walk, mu=np.array([0.5, 0.5, 0.0]), T=50)
    assert r_live.mismatch == math.inf and r_live.mismatch_live == pytest.approx(1.0, rel=1e-12)
    assert not any("no weight" in note for note in r_live.notes())
    assert "∞" not in {value for what, value, _ in r_live.summary() if what.startswith("mismatch")}


@pytest.mark.slow
def test_the_mismatch_over_non_terminal_states_leaves_out_only_the_absorbing_ones():
    """Recomputed by a plain loop over the states; FrozenLake's goal sets the coefficient over all
    states, its start cell the one over the states where an action can matter."""
    mdp = loaders.from_gymnasium("FrozenLake-v1", gamma=0.99)
    mu = np.full(mdp.S, 1 / mdp.S)
    r = pgbook.explain(mdp, mu=mu, T=300)
    live = [r.d_star[s] / mu[s] for s in range(mdp.S) if not mdp.terminal[s]]
    assert r.mismatch_live == pytest.approx(max(live), rel=1e-12)
    assert r.mismatch == pytest.approx(r.d_star[15] / mu[15], rel=1e-12) and r.mismatch_live < r.mismatch / 4
    assert explained("frozen lake")[1].mismatch_live == math.inf  # mu = rho misses visited live cells
    chain = explained("chain")[1]
    assert not chain.mdp.terminal.any() and chain.mismatch_live == chain.mismatch


@pytest.mark.slow
def test_the_table_gives_the_gap_each_run_leaves_beside_its_counts():
    """A run can close 90% of the initial gap at once and stall: the last rows say what is left."""
    mdp = loaders.from_gymnasium("CliffWalking-v1", gamma=0.99)
    r = pgbook.explain(mdp)
    rows = {what: value for what, value, _ in r.summary()}
    assert rows["PG (η = 1): iterations to close 10% / 90% of the initial gap V*(ρ) - V^π₀(ρ)"] == "1 / 1"
    last = mdp.rho @ r.V_star - pgbook.value(mdp, r.pg.pi[-1]) @ mdp.rho
    share = last / (mdp.rho @ (r.V_star - pgbook.value(mdp, pgbook.uniform(mdp))))
    assert rows["PG: gap left after T = 2000 iterations (share of the initial gap)"] == f"{last:.3g} ({100 * share:.2g}%)"
    assert any(what.startswith("NPG: gap left after T = ") for what in rows)
    n = r.npg.iterations  # NPG stops first: the runs are compared at its T
    assert n < r.pg.iterations
    npg_last = mdp.rho @ r.V_star - pgbook.value(mdp, r.npg.pi[-1]) @ mdp.rho
    assert (rows[f"gap left by PG / NPG after the same T = {n} iterations (one exact evaluation per iteration each, "
                 "so equal compute)"] == f"{float(r.gap_pg[n]):.3g} / {npg_last:.3g}")
    assert sum(what.startswith("mismatch coefficient") and "over the non-terminal states" in what for what in rows) == 1
    assert "over the non-terminal states" not in str(explained("chain")[1])  # no terminal state: every state


WHERE = re.compile(r"spends (\S+) of its discounted time there, the uniform policy from μ (\S+): (\S+) times less")


def ratio_follows_from_the_shares(sentence: str) -> bool:
    """The "where the gap lies" sentence prints two shares in one unit (%), each to two significant figures,
    and a ratio that the printed shares allow: between the ratios of the ends of their rounding intervals."""
    d_star, d_0, ratio = WHERE.search(sentence).groups()
    if not (d_star.endswith("%") and d_0.endswith("%")):
        return False
    digits = [x[:-1].replace(".", "").lstrip("0") for x in (d_star, d_0)]
    if any(len(d) != 2 for d in digits):
        return False

    def ends(x: str) -> tuple[float, float]:
        value = float(x[:-1])
        half = 0.5 * 10.0 ** (math.floor(math.log10(value)) - 1)  # half a unit of its 2nd significant figure
        return value - half, value + half

    (star_lo, star_hi), (zero_lo, zero_hi) = ends(d_star), ends(d_0)
    return star_lo / zero_hi <= float(ratio) <= star_hi / zero_lo


@pytest.mark.slow
def test_the_ratio_of_visits_follows_from_the_printed_shares():
    """π* spends 3.9% of its time there, the uniform policy 0.11%: 34 times less (3.9/0.11 within rounding), not
    0.1% (which allows anything from 26 to 79) and 34."""
    r = explained("frozen lake")[1]
    sentence = r.diagnosis()[1]
    assert ratio_follows_from_the_shares(sentence), sentence
    keys = r.key_states
    d_star, d_0 = r.d_star[keys].sum(), r.d_uniform[keys].sum()
    old = WHERE.sub(f"spends {d_star:.1%} of its discounted time there, the uniform policy from μ {d_0:.1%}: "
                    f"{d_star / d_0:.3g} times less", sentence)  # the former print: 0.1%, and the ratio of the exact shares
    assert not ratio_follows_from_the_shares(old), old
    assert not ratio_follows_from_the_shares("spends 4.3% of its discounted time there, the uniform policy from μ "
                                             "0.00022: 200 times less")  # two units


@pytest.mark.slow
def test_the_verdicts_on_mdps_whose_behaviour_is_known():
    assert explained("chain")[1].verdict == "plateau"  # the vanishing-gradient chapter's chain
    grid = explained("gridworld")[1]
    assert grid.verdict == "no plateau" and grid.speedup < report.PLATEAU_SPEEDUP
    chain = explained("chain")[1]
    t10, t90 = chain.first_tenth["PG"], chain.nine_tenths["PG"]
    assert chain.speedup == pytest.approx(8 * t10 / (t90 - t10)) and t10 >= report.PLATEAU_MIN
    same_arms = pgbook.explain(envs.bandit([0.5, 0.5], gamma=0.5))
    assert same_arms.verdict == "optimal" and not same_arms.stalled and np.all(same_arms.gap_share == 0)
    stuck = pgbook.explain(envs.chain(10), T=100)
    assert stuck.verdict == "stuck" and stuck.first_tenth["PG"] is None
    short = pgbook.explain(envs.chain(6), T=200)  # 10% at 196, 90% not within 200: the speed-up is unknown
    assert short.verdict == "undetermined" and short.nine_tenths["PG"] is None and short.speedup is None
    early = pgbook.explain(envs.gridworld(gamma=0.99), T=20)  # 10% after 3 iterations: no plateau, whatever follows
    assert early.verdict == "no plateau" and early.nine_tenths["PG"] is None and "still closing" in early.diagnosis()[0]
    # "Where the gap lies" follows the verdict: it never calls PG slowest there when PG has no plateau.
    assert "no plateau at the start (above)" in early.diagnosis()[1] and "plateau above" not in early.diagnosis()[1]
    assert "the plateau above" in explained("chain")[1].diagnosis()[1]
    slow = pgbook.explain(envs.chain(6), T=2000, eta=1.0)
    assert slow.verdict == "plateau"


@pytest.mark.slow
def test_a_stalled_pg_is_located_by_the_lemma_at_its_last_policy():
    cliff = loaders.from_gymnasium("CliffWalking-v1", gamma=0.99)
    r = pgbook.explain(cliff)
    assert r.stalled and r.gap_pg[-1] > 0.9 * r.gap_pg[(r.gap_pg.size - 1) // 2]
    assert r.final_gap_share.sum() == pytest.approx(1.0, abs=1e-8)  # the lemma at pi_T
    assert any(n.startswith("Rewards lie in [-100, 0], not in [0, 1]") for n in r.notes())
    assert not explained("frozen lake")[1].stalled
    middle = (r.gap_pg.size - 1) // 2
    assert f"at iteration {middle}, halfway through the run" in r.diagnosis()[-1]
    assert r.verdict == "no plateau" and "but PG stalls before it has closed the gap (below)" in r.diagnosis()[1]


def test_counts_and_rewards_read_short():
    assert report._iterations(1) == "1 iteration" and report._iterations(2) == "2 iterations"
    r = pgbook.explain(envs.bandit([0.0, 1 / 3], gamma=0.5), T=5)
    assert "expected rewards r(s, a) in [0, 0.333]" in r.text() and "0.333333" not in r.text()
    assert "1 iterations" not in " ".join(r.diagnosis())


@pytest.mark.slow
def test_rescale_analyses_the_rescaled_mdp_and_says_so():
    cliff = loaders.from_gymnasium("CliffWalking-v1", gamma=0.99)
    r = pgbook.explain(cliff, rescale=True, T=50)
    rescaled = loaders.rescale_rewards(cliff)
    assert np.array_equal(r.mdp.r, rescaled.r) and r.rescaled_from == (-100.0, 0.0) and r.rewards == (0.0, 1.0)
    assert np.allclose(r.V_star, (pgbook.policy_iteration(cliff)[1] + 100 / (1 - 0.99)) / 100, atol=1e-9)
    assert any("rescaled from [-100, 0]" in n for n in r.notes())


def test_gamma_one_shows_values_and_visits_and_runs_nothing():
    episodic = loaders.from_gymnasium("FrozenLake-v1", gamma=1.0)
    r = pgbook.explain(episodic)
    assert r.verdict == "not run" and r.pg is None and r.npg is None and r.mismatch is None
    evaluation = pgbook.evaluate(episodic, r.pi_star)
    assert np.allclose(r.occupancy_star, evaluation.occupancy) and r.d_star.sum() == pytest.approx(1.0)
    assert "γ = 1" in r.diagnosis()[0] and f"{evaluation.occupancy.sum():.3g} steps" in r.diagnosis()[0]
    assert r.html().count("data:image/png;base64,") == 1


@settings(max_examples=15, deadline=None)
@given(mdps(max_S=5, max_A=3))
def test_any_small_mdp_is_explained_consistently(mdp):
    r = pgbook.explain(mdp, T=50)
    assert np.allclose(r.V_star, pgbook.policy_iteration(mdp)[1])
    assert r.verdict in ("plateau", "stuck", "no plateau", "undetermined", "optimal")
    if r.verdict != "optimal":
        assert r.gap_share.sum() == pytest.approx(1.0, abs=1e-8)
    assert r.text() and "pgbook.explain" in r.text()


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_npgs_guarantee_is_iterations_promised_against_iterations_needed(name):
    """AKLM Thm 5.3 at eta = (1-gamma)^2 log|A| is 2/((1-gamma)^2 T): the report's T is the first at which
    that falls to a tenth of the gap, and NPG at that step, recounted by hand, needs the report's count,
    no more than promised."""
    mdp, r = explained(name)
    if mdp.r.min() < 0 or mdp.r.max() > 1:
        assert r.r6_promised is None and r.r6_needed is None
        return
    bound = lambda T: 2 / ((1 - mdp.gamma) ** 2 * T)
    assert bound(r.r6_promised) <= 0.1 * r.gap < bound(r.r6_promised - 1)
    eta = (1 - mdp.gamma) ** 2 * math.log(mdp.A)
    theta, t = np.zeros((mdp.S, mdp.A)), 0
    while True:
        pi = np.exp(theta - theta.max(axis=1, keepdims=True))
        pi /= pi.sum(axis=1, keepdims=True)
        V = oracle.value(mdp.P, mdp.r, mdp.gamma, pi)
        if mdp.rho @ (r.V_star - V) <= 0.1 * r.gap:
            break
        theta = theta + eta * (mdp.r + mdp.gamma * mdp.P @ V - V[:, None]) / (1 - mdp.gamma)
        t += 1
    assert r.r6_needed == t <= r.r6_promised
    note = next(n for n in r.notes() if "Thm 5.3" in n and "promises" in n)
    assert f"T = {r.r6_promised:,} iterations" in note and f"needed {t:,}" in note


def test_npgs_guarantee_is_not_reported_outside_its_setting():
    """Rewards outside [0, 1]: no iterations promised."""
    mdp = envs.chain(3)
    r = pgbook.explain(mdp.replace(r=2 * mdp.r), T=40)
    assert r.r6_promised is None and not any("promises" in n for n in r.notes())


# --- text and HTML ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_text_is_the_repr_and_carries_the_numbers():
    mdp, r = explained("frozen lake")
    text = r.text()
    assert str(r) == repr(r) == text
    assert "0.542" in text and "402 / 725" in text and "PG waits on a plateau" in text
    assert "← ↑ ↑ ↑" in text  # pi* drawn on the grid
    assert all(line.startswith("  ") or len(line) <= 110 for line in text.splitlines())


def png_images(html):
    return [Image.open(io.BytesIO(base64.b64decode(b))) for b in re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", html)]


@pytest.mark.slow
def test_the_html_is_self_contained_with_two_sharp_opaque_figures():
    _, r = explained("frozen lake")
    html = r._repr_html_()
    assert "<script" not in html and not re.search(r"(src|href)=['\"]?(https?:)?//", html)
    images = png_images(html)
    shown = [tuple(map(int, m)) for m in re.findall(r"width='(\d+)' height='(\d+)'", html)]
    assert len(images) == len(shown) == 2
    for image, (w, h) in zip(images, shown):
        assert abs(image.size[0] - 2 * w) <= 1 and abs(image.size[1] - 2 * h) <= 1
        assert image.convert("RGB").getpixel((0, 0)) == (255, 255, 255)
    assert shown[0][0] <= 480  # the runs' figure shows whole on a phone
    for paragraph in r.diagnosis():
        assert paragraph.split(":")[0] in html


def test_the_html_sets_math_with_sub_and_superscripts_and_no_tex(monkeypatch):
    """Every symbol of the text (d^π₀_μ, ‖.‖∞, V*(ρ)) is HTML in the report: no caret, underscore or
    dollar is left, and the text still reads as before."""
    monkeypatch.delenv("PGBOOK_STATIC_FIGURES", raising=False)
    r = pgbook.explain(envs.chain(3), T=40)
    page = r.html()
    words = re.sub(r"<style>.*?</style>|<img[^>]*>", "", page, flags=re.S)
    assert not re.search(r"[$^_]|\\[a-z]", re.sub(r"<[^>]+>", "", words)), "TeX-like markup left in the HTML"
    assert "<i>d</i><sup>π<sub>0</sub></sup><sub>μ</sub>(<i>s</i>)/|<i>A</i>|" in page
    assert "‖<i>d</i><sup>π⋆</sup><sub>ρ</sub> / μ‖<sub>∞</sub>" in page
    assert "<i>V</i><sup>⋆</sup>(ρ) − <i>V</i><sup>π<sub>0</sub></sup>(ρ)" in page
    text = r.text()
    assert "d^π₀_μ(s)/|A|" in text and "‖d^π*_ρ / μ‖∞" in text and "(1 - γ)³/8" in text and "$" not in text


def test_chapters_are_links_in_the_book_and_titles_elsewhere(monkeypatch):
    """Rendered for the HTML book (the build sets PGBOOK_STATIC_FIGURES), each chapter is a relative
    link to its page; in a reader's notebook (no such page next to it) its title alone, never a link
    to nowhere; links= points them at any copy of the book."""
    r = pgbook.explain(envs.chain(3), T=40)
    monkeypatch.delenv("PGBOOK_STATIC_FIGURES", raising=False)
    assert "<a " not in r.html() and "<em>The optimisation landscape</em>" in r.html()
    monkeypatch.setenv("PGBOOK_STATIC_FIGURES", "1")
    hrefs = set(re.findall(r"<a href='([^']+)'", r._repr_html_()))
    assert "../convergence/landscape.html" in hrefs and "../foundations/mdps.html" in hrefs
    book = Path(__file__).parents[2] / "book"
    assert hrefs <= {f"../{path}.html" for path, _ in report.CHAPTERS.values()}
    assert all((book / f"{path}.md").exists() for path, _ in report.CHAPTERS.values())
    assert "href='https://example.org/b/convergence/npg.html'" in r.html(links="https://example.org/b/")
    with pytest.raises(TypeError, match="links: expected the address"):
        r.html(links=1)


def test_the_notes_fold_under_a_summary_after_the_numbers_and_the_diagnosis():
    r = pgbook.explain(envs.chain(3), T=40)
    page = r.html()
    folded = re.search(r"<details class='pgbook-report-notes'><summary>Notes: what these numbers assume \((\d)\)"
                       r"</summary><ul>(.*?)</ul></details></div>$", page)
    assert folded and int(folded[1]) == len(r.notes()) == folded[2].count("<li>")
    assert page.index("<dl class='pgbook-report-numbers'>") < page.index("<p>PG") < page.index("<details")
    assert "<table" not in page  # rows that wrap: nothing to scroll sideways on a phone


@pytest.mark.slow
def test_a_plain_mdp_draws_its_visitation_sorted_by_state():
    _, r = explained("random")
    assert len(png_images(r.html())) == 2 and "state " in r.text()


@pytest.mark.slow
def test_the_gallery_switches_between_reports_without_a_kernel():
    reports = {"the lake": explained("frozen lake")[1], "the chain": explained("chain")[1]}
    gallery = report.gallery(reports)
    html = gallery._repr_html_()
    assert "<script" not in html
    radios = re.findall(r"<input type='radio'[^>]*>", html)
    assert len(radios) == 2 and "checked" in radios[0] and "checked" not in radios[1]
    assert html.count("class='pgbook-gallery-panel'") == 2 and html.count("class='pgbook-report'") == 2
    assert "the lake" in repr(gallery) and "the chain" in repr(gallery)


@pytest.mark.slow
def test_the_gallery_says_once_the_notes_every_report_makes():
    """A note every report of a gallery makes is shown once, above the buttons; each report keeps the rest."""
    lake = explained("frozen lake")[1]
    cliff = pgbook.explain(loaders.from_gymnasium("CliffWalking-v1", gamma=0.99), T=50)
    html = report.gallery({"the lake": lake, "the cliff": cliff})._repr_html_()
    shared = [n for n in lake._notes() if n in cliff._notes()]
    assert shared and any(n not in cliff._notes() for n in lake._notes())  # some notes shared, some not
    items = re.findall(r"<li>(.*?)</li>", html)
    for note in lake._notes() + cliff._notes():
        expected = 1 if note in shared else (note in lake._notes()) + (note in cliff._notes())
        assert items.count(report._html(note)) == expected, note
    assert html.index("Notes that hold for every example") < html.index("<input type='radio'")


@pytest.mark.slow
def test_an_infinite_mismatch_comes_with_the_uniform_mus():
    """mu = rho (the start cell) misses states pi* visits: the row below gives the coefficient for a uniform mu,
    over the non-terminal states as the row above (over every state, the absorbing goal would set it)."""
    mdp, r = explained("frozen lake")
    rows = {what: value for what, value, _ in r.summary()}
    (what,) = [w for w in rows if w.startswith("the same for a uniform μ")]
    live = ~mdp.terminal
    assert rows[what] == f"{mdp.S * r.d_star[live].max():.3g}"
    assert rows[what] != f"{mdp.S * r.d_star.max():.3g}"  # over every state: the goal's
    assert not any(w.startswith("the same for a uniform μ") for w in (row[0] for row in explained("random")[1].summary()))  # rho > 0


# --- bad input --------------------------------------------------------------------------------------


@pytest.mark.parametrize("call, error, message", [
    (lambda: pgbook.explain("FrozenLake-v1"), TypeError, r"mdp: expected a pgbook.MDP"),
    (lambda: pgbook.explain(envs.chain(3), eta=0.0), ValueError, r"eta: must be a finite number > 0"),
    (lambda: pgbook.explain(envs.chain(3), T=0), ValueError, r"T: must be a positive integer"),
    (lambda: pgbook.explain(envs.chain(3), T=1.5), TypeError, r"T: expected a positive integer"),
    (lambda: pgbook.explain(envs.chain(3), rescale="yes"), TypeError, r"rescale: expected True or False"),
    (lambda: pgbook.explain(envs.chain(3), mu=[0.5, 0.5]), ValueError, r"rho: expected shape \(5,\)"),
    (lambda: pgbook.explain(envs.chain(3), rho=9), ValueError, r"rho: state index must lie in \[0, 5\)"),
    (lambda: pgbook.explain(envs.gridworld(gamma=1.0), rescale=True), ValueError, r"mdp: gamma must be < 1 for rescale_rewards"),
    (lambda: report.gallery({}), TypeError, r"reports: expected a non-empty mapping"),
    (lambda: report.gallery({"a": 1}), TypeError, r"reports\['a'\]: expected a Report"),
    (lambda: report.gallery({"": explained("chain")[1]}), ValueError, r"reports: every label must be a non-empty string"),
])
def test_bad_input_names_the_argument(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_a_gamma_one_mdp_whose_uniform_policy_never_ends_is_refused_clearly():
    loop = pgbook.MDP([[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [0.0, 1.0]]], [[0.0, 1.0], [0.0, 0.0]], 1.0, [1.0, 0.0],
                      terminal=[1])
    assert math.isclose(pgbook.explain(loop).V_star[0], 1.0)


def test_the_sweep_figure_keeps_its_iteration_axis_and_refuses_an_unknown_value():
    """viz.report.plot_sweep (the corridor's width slider): the runs' axis ends at the same iteration for every
    value shown, so that a longer plateau is seen to be longer; a value with no report is refused by name."""
    from matplotlib.figure import Figure

    from pgbook.viz.report import plot_sweep

    sweep = {h: pgbook.explain(envs.chain(h), T=300) for h in (2, 3)}
    ends = []
    for h in sweep:
        fig = Figure(figsize=(3.5, 7.9))
        plot_sweep(fig, sweep, h, "H")
        ends.append(fig.axes[0].get_xlim()[1])
        assert type(fig.get_layout_engine()).__name__ == "PlaceHolderLayoutEngine" and len(fig.axes) == 2
    assert ends[0] == ends[1] == 1.5 * max(max(r.pg.iterations, r.npg.iterations) for r in sweep.values())
    with pytest.raises(ValueError, match="value"):
        plot_sweep(Figure(), sweep, 4, "H")
