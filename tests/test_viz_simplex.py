"""pgbook.viz.simplex: the figure's data decode to the sweep, and its HTML is self-contained."""

import base64
import json
import re
import zlib

import numpy as np
import pytest
from bs4 import BeautifulSoup

from pgbook import envs
from pgbook.theory import simplex
from pgbook.viz import simplex as simplex_viz


@pytest.fixture(scope="module")
def fork_sweep():
    return simplex.sweep([envs.fork(0.4), envs.fork(0.9)], [0.3, 3.0], simplex.simplex_grid(4), 200, records=16,
                         methods=("pg", "npg", "pg_kl"))


@pytest.fixture(scope="module")
def fork_steps():
    """PG at step sizes of its own, on the fork sweep's discounts, starts and records."""
    return simplex.sweep([envs.fork(0.4), envs.fork(0.9)], [10.0, 100.0], simplex.simplex_grid(4), 200,
                         records=16, methods=("pg",))


def decode(data):
    """What the figure's script does: inflate, then undo the differences along t (mod 2^16)."""
    raw = np.frombuffer(zlib.decompress(base64.b64decode(data["payload"])), dtype="<u2").astype(np.int64)
    K = len(data["steps"])
    return (np.cumsum(raw.reshape(-1, K), axis=1) % 65536) / 65535.0


def test_the_payload_decodes_to_the_sweep(fork_sweep, fork_steps):
    fig = simplex_viz.figure(fork_sweep, ["safe", "explore", "quit"], name="fork", pg_steps=fork_steps)
    data = fig.data()
    planes = decode(data)
    G, N, K, P = fork_sweep.gammas.size, fork_sweep.starts.shape[0], fork_sweep.steps.size, simplex_viz.PLANES
    roles = {"npg": (fork_sweep, 1), "pg": (fork_sweep, 0), "pg_kl": (fork_sweep, 2), "pg_big": (fork_steps, 0)}
    assert [b["role"] for b in data["blocks"]] == list(roles) and data["pg_etas"] == [0.3, 3.0, 10.0, 100.0]
    lo, hi = simplex_viz.LOG_GAP_MIN, simplex_viz.LOG_GAP_MAX
    box = simplex_viz.LOGIT_BOX
    for block in data["blocks"]:
        sw, m = roles[block["role"]]
        E = sw.etas.size
        mine = planes[block["first"] * P:(block["first"] + G * E * N) * P].reshape(G, E, N, P, K)
        # 1/4096 of a side for positions, 1/1024 of the 12 decades of the gap axis, 1/2048 of the logit box.
        np.testing.assert_allclose(mine[..., 0, :], sw.pi[:, :, m, ..., 0], atol=16 / 65535)
        np.testing.assert_allclose(mine[..., 1, :], sw.pi[:, :, m, ..., 2], atol=16 / 65535)
        log_gap = np.clip(np.log10(np.maximum(sw.gap[:, :, m], 10.0**lo)), lo, hi)
        np.testing.assert_allclose(lo + (hi - lo) * mine[..., 2, :], log_gap, atol=(hi - lo) * 32 / 65535 + 1e-12)
        # The logits' plane: x = theta_2 + theta_0/2, y = sqrt(3)/2 theta_0 of the centred logits, clipped to the box.
        theta = sw.theta[:, :, m]
        xy = np.clip(np.stack([theta[..., 2] + theta[..., 0] / 2, np.sqrt(3) / 2 * theta[..., 0]]), -box, box)
        np.testing.assert_allclose(-box + 2 * box * mine[..., 3, :], xy[0], atol=2 * box * 16 / 65535 + 1e-12)
        np.testing.assert_allclose(-box + 2 * box * mine[..., 4, :], xy[1], atol=2 * box * 16 / 65535 + 1e-12)
    assert planes.shape[0] == (3 * 2 + 2) * G * N * P
    assert data["steps"] == fork_sweep.steps.tolist() and data["best"] == [0, 1]


def test_html_is_self_contained_with_its_controls(fork_sweep, fork_steps):
    fig = simplex_viz.figure(fork_sweep, ["safe", "explore", "quit"], name="fork", presets=[("centre", [1 / 3] * 3)],
                             eta=3.0, gamma=0.9, start=[0.9, 0.05, 0.05], pg_steps=fork_steps, mode="kl", t=50)
    doc = BeautifulSoup(fig._repr_html_(), "html.parser")
    root = doc.select_one("div.pgbook-simplex")
    assert root["id"] == "pgbook-simplex-fork" and root.select_one("svg.pgs-left") and root.select_one("svg.pgs-right")
    assert "then ▶" in root.select_one("p.pgs-hint").get_text()  # the figure says what to do
    inputs = root.select("input.pgs-input")
    assert [i["data-param"] for i in inputs] == ["e", "g", "pe"]
    assert [i["value"] for i in inputs] == ["1", "1", "1"] and [i["max"] for i in inputs] == ["1", "1", "3"]
    assert [o.get_text() for o in root.select(".pgs-controls output")] == ["3", "0.90", "3"]
    modes = {r["value"]: r.has_attr("checked") for r in root.select("input.pgs-radio[name$='-mode']")}
    views = {r["value"]: r.has_attr("checked") for r in root.select("input.pgs-radio[name$='-view']")}
    assert modes == {"same": False, "kl": True, "own": False} and views == {"simplex": True, "logits": False}
    scrub = root.select_one("input.pgs-scrub")
    data = json.loads(root.select_one("script.pgbook-simplex-data").string)
    assert int(scrub["max"]) == len(data["steps"]) - 1 and data["steps"][int(scrub["value"])] == 49  # the record nearest 50
    assert root.select_one("button.pgs-play")
    start = np.array(data["starts"][data["initial"]["n"]])
    assert np.abs(start - [0.9, 0.05, 0.05]).max() < 0.1
    (button,) = root.select("button.pgs-preset")
    nearest = np.argmin(((fork_sweep.starts - 1 / 3) ** 2).sum(axis=1))
    assert int(button["data-start"]) == nearest
    assert not doc.select("[src]") and not re.search(r"https?://(?!www\.w3\.org/2000/svg)", str(doc))
    assert root["id"] in root.select("script")[-1].string
    assert data["share"] is False  # the address is the page's, not a notebook's: only the built book writes it


def test_one_discount_and_two_methods_have_no_gamma_slider_and_no_modes():
    sw = simplex.sweep([envs.bandit([1.0, 0.9, 0.1])], [0.3, 1.0], simplex.simplex_grid(2), 20, records=8)
    html = simplex_viz.figure(sw, ["a", "b", "c"], name="bandit").html()
    assert html.count('class="pgs-input"') == 1 and 'data-param="e"' in html and "-mode" not in html


def test_json_cannot_close_its_script_tag(fork_sweep):
    html = simplex_viz.figure(fork_sweep, ["</script>", "b", "c"], name="fork").html()
    data = BeautifulSoup(html, "html.parser").select_one("script.pgbook-simplex-data").string
    assert "</script" not in data and json.loads(data)["actions"][0] == "</script>"


def test_figure_rejects_bad_input(fork_sweep, fork_steps):
    abc = ["a", "b", "c"]
    with pytest.raises(TypeError, match="sweep"):
        simplex_viz.figure("not a sweep", abc, name="x")
    with pytest.raises(ValueError, match="actions"):
        simplex_viz.figure(fork_sweep, ["a", "b"], name="x")
    with pytest.raises(ValueError, match="name"):
        simplex_viz.figure(fork_sweep, abc, name="Not a slug")
    with pytest.raises(ValueError, match="eta"):
        simplex_viz.figure(fork_sweep, abc, name="x", eta=0.5)
    with pytest.raises(ValueError, match="gamma"):
        simplex_viz.figure(fork_sweep, abc, name="x", gamma=0.5)
    with pytest.raises(ValueError, match="start"):
        simplex_viz.figure(fork_sweep, abc, name="x", start=[0.5, 0.5])
    with pytest.raises(ValueError, match="mode"):
        simplex_viz.figure(fork_sweep, abc, name="x", mode="own")  # no pg_steps: no step size of its own
    with pytest.raises(ValueError, match="view"):
        simplex_viz.figure(fork_sweep, abc, name="x", view="theta")
    with pytest.raises(ValueError, match="t"):
        simplex_viz.figure(fork_sweep, abc, name="x", t=-1)
    other = simplex.sweep([envs.fork(0.4), envs.fork(0.9)], [10.0], simplex.simplex_grid(3), 200, records=16)
    with pytest.raises(ValueError, match="pg_steps"):
        simplex_viz.figure(fork_sweep, abc, name="x", pg_steps=other)
    with pytest.raises(TypeError, match="pg_steps"):
        simplex_viz.figure(fork_sweep, abc, name="x", pg_steps="big")
