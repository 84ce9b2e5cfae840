"""pgbook.viz.simplex: the figure's data decode to the sweep, and its HTML is self-contained."""

import base64
import json
import re
import zlib

import numpy as np
import pytest
from bs4 import BeautifulSoup

from pgbook import envs, simplex
from pgbook.viz import simplex as simplex_viz


@pytest.fixture(scope="module")
def fork_sweep():
    return simplex.sweep([simplex.fork(0.4), simplex.fork(0.9)], [0.3, 3.0], simplex.simplex_grid(4), 200, records=16)


def decode(data):
    """What the figure's script does: inflate, then undo the differences along t (mod 2^16)."""
    raw = np.frombuffer(zlib.decompress(base64.b64decode(data["payload"])), dtype="<u2").astype(np.int64)
    K = len(data["steps"])
    return (np.cumsum(raw.reshape(-1, K), axis=1) % 65536) / 65535.0


def test_the_payload_decodes_to_the_sweep(fork_sweep):
    fig = simplex_viz.figure(fork_sweep, ["safe", "explore", "quit"])
    data = fig.data()
    planes = decode(data).reshape((3, *fork_sweep.gap.shape))
    # 1/4096 of a side for positions, 1/1024 of the 12 decades of the gap axis.
    np.testing.assert_allclose(planes[0], fork_sweep.pi[..., 0], atol=16 / 65535)
    np.testing.assert_allclose(planes[1], fork_sweep.pi[..., 2], atol=16 / 65535)
    lo, hi = simplex_viz.LOG_GAP_MIN, simplex_viz.LOG_GAP_MAX
    log_gap = np.clip(np.log10(np.maximum(fork_sweep.gap, 10.0**lo)), lo, hi)
    np.testing.assert_allclose(lo + (hi - lo) * planes[2], log_gap, atol=(hi - lo) * 32 / 65535 + 1e-12)
    assert data["steps"] == fork_sweep.steps.tolist() and data["best"] == [0, 1]


def test_html_is_self_contained_with_its_controls(fork_sweep):
    fig = simplex_viz.figure(fork_sweep, ["safe", "explore", "quit"], presets=[("centre", [1 / 3] * 3)],
                             eta=3.0, gamma=0.9, start=[0.9, 0.05, 0.05])
    doc = BeautifulSoup(fig._repr_html_(), "html.parser")
    root = doc.select_one("div.pgbook-simplex")
    assert root["id"].startswith("pgbook-simplex-") and len(doc.select("svg")) == 1
    inputs = root.select("input.pgs-input")
    assert [i["data-param"] for i in inputs] == ["e", "g"]
    assert [i["value"] for i in inputs] == ["1", "1"] and [i["max"] for i in inputs] == ["1", "1"]
    assert [o.get_text() for o in root.select("output")] == ["3", "0.90"]
    data = json.loads(root.select_one("script.pgbook-simplex-data").string)
    start = np.array(data["starts"][data["initial"][2]])
    assert np.abs(start - [0.9, 0.05, 0.05]).max() < 0.1
    (button,) = root.select("button.pgs-preset")
    nearest = np.argmin(((fork_sweep.starts - 1 / 3) ** 2).sum(axis=1))
    assert int(button["data-start"]) == nearest
    assert not doc.select("[src]") and not re.search(r"https?://(?!www\.w3\.org/2000/svg)", str(doc))
    assert root["id"] in root.select("script")[-1].string


def test_one_discount_has_no_gamma_slider():
    sw = simplex.sweep([envs.bandit([1.0, 0.9, 0.1])], [0.3, 1.0], simplex.simplex_grid(2), 20, records=8)
    html = simplex_viz.figure(sw, ["a", "b", "c"]).html()
    assert html.count('class="pgs-input"') == 1 and 'data-param="e"' in html


def test_json_cannot_close_its_script_tag(fork_sweep):
    html = simplex_viz.figure(fork_sweep, ["</script>", "b", "c"]).html()
    data = BeautifulSoup(html, "html.parser").select_one("script.pgbook-simplex-data").string
    assert "</script" not in data and json.loads(data)["actions"][0] == "</script>"


def test_figure_rejects_bad_input(fork_sweep):
    with pytest.raises(TypeError, match="sweep"):
        simplex_viz.figure("not a sweep", ["a", "b", "c"])
    with pytest.raises(ValueError, match="actions"):
        simplex_viz.figure(fork_sweep, ["a", "b"])
    with pytest.raises(ValueError, match="eta"):
        simplex_viz.figure(fork_sweep, ["a", "b", "c"], eta=0.5)
    with pytest.raises(ValueError, match="gamma"):
        simplex_viz.figure(fork_sweep, ["a", "b", "c"], gamma=0.5)
    with pytest.raises(ValueError, match="start"):
        simplex_viz.figure(fork_sweep, ["a", "b", "c"], start=[0.5, 0.5])
