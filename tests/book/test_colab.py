"""The chapters' .ipynb twins run in Colab's package versions, and their sliders redraw the figure.

``make test`` builds ``.venv-colab/`` from ``requirements-colab.txt`` (ipywidgets 7.7.1, ipykernel
6.17, Colab's numpy, matplotlib, numba ...) and installs pgbook on top as the setup cell does on
Colab, letting pip keep what is already satisfied. Here a kernel of that environment, which imports
ipywidgets at start as Colab's does, runs each chapter's ``.ipynb`` from top to bottom. Then, in the
same kernel, each interactive figure's slider is moved, and the kernel must send the front end a new
image for the figure (the widget protocol's ``update`` message, the same in ipywidgets 7 and 8).
"""

import hashlib
import json
import re

import pytest

from bookconf import bookfiles, page_ids
from reader import WIDGET_VIEW, output_problems

from live_kernel import after_run_all  # noqa: E402  (tools/, on the path through bookconf)

pytestmark = pytest.mark.notebook

CHAPTERS = bookfiles.chapters()
VENV = bookfiles.ROOT / ".venv-colab"
PINS = dict(re.findall(r"^([\w.-]+)==(\S+)", (bookfiles.ROOT / "requirements-colab.txt").read_text(), re.M))

#: Run in the kernel after the chapter: the versions it runs with, and every interactive figure shown.
INSPECT = """
import hashlib, importlib.metadata, json, sys
from pgbook.viz.interactive import Interactive
_figures = [v for v in Out.values() if isinstance(v, Interactive)]
print(json.dumps(dict(
    versions={name: importlib.metadata.version(name) for name in %r},
    figures=[dict(box=f.widget.model_id, image=f.widget.children[-1].model_id,
                  sliders=[(c.model_id, c.index, len(c.options)) for c in f.widget.children[:-1]],
                  image_sha=hashlib.sha1(f.widget.children[-1].value).hexdigest()) for f in _figures],
)))
"""


@pytest.fixture
def colab_kernel(tmp_path, monkeypatch):
    """A kernelspec for .venv-colab's Python that imports ipywidgets at start, as Colab's kernel does."""
    python = VENV / "bin" / "python"
    if not python.exists():
        pytest.fail(f"{python} missing: `make test` creates it (requirements-colab.txt)")
    spec = tmp_path / "kernels" / "pgbook-colab"
    spec.mkdir(parents=True)
    argv = [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}",
            "--IPKernelApp.exec_lines=import ipywidgets"]
    (spec / "kernel.json").write_text(json.dumps(dict(argv=argv, display_name="Colab's versions", language="python")))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    monkeypatch.delenv("PGBOOK_STATIC_FIGURES", raising=False)  # a reader's kernel, not the book build
    return "pgbook-colab"


def run(kc, code: str, timeout: float = 120) -> tuple[str, list[dict]]:
    """Execute ``code``; return what it printed and every iopub message it caused."""
    msg_id = kc.execute(code)
    messages, printed = [], ""
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        messages.append(msg)
        kind, content = msg["msg_type"], msg["content"]
        if kind == "error":
            raise AssertionError(f"{content['ename']}: {content['evalue']}")
        if kind == "stream":
            printed += content["text"]
        if kind == "status" and content["execution_state"] == "idle":
            return printed, messages


@pytest.mark.parametrize("page", CHAPTERS, ids=page_ids(CHAPTERS))
def test_chapter_runs_in_colabs_versions_and_its_sliders_redraw(page, colab_kernel):
    path = bookfiles.notebook(page)
    with after_run_all(path, colab_kernel) as (nb, kc):  # one kernel: the notebook's cells, then the slider moves
        problems = output_problems(nb)
        assert not problems, f"{path.name} in Colab's versions:\n" + "\n".join(problems)

        printed, _ = run(kc, INSPECT % sorted(PINS))
        state = json.loads(printed.strip().splitlines()[-1])
        assert state["versions"] == PINS, "the Colab environment is not Colab's (or installing pgbook upgraded it)"

        views = [out.data[WIDGET_VIEW]["model_id"] for cell in nb.cells for out in cell.get("outputs", [])
                 if out.output_type in ("display_data", "execute_result") and WIDGET_VIEW in out.get("data", {})]
        assert views == [f["box"] for f in state["figures"]], "each interactive figure shows as a widget"
        if "viz.interactive(" in bookfiles.source(page).read_text(encoding="utf-8"):
            assert views, "the chapter's interactive figures did not show as widgets"
        for cell in nb.cells:
            for out in cell.get("outputs", []):
                if WIDGET_VIEW in out.get("data", {}):
                    assert "text/html" not in out.data, "a reader's kernel must not render the static frames"

        for i, figure in enumerate(state["figures"]):
            for j, (model_id, index, n) in enumerate(figure["sliders"]):
                _, messages = run(kc, f"_figures[{i}].widget.children[{j}].index = {(index + 1) % n}")
                images = [m for m in messages if m["msg_type"] == "comm_msg"
                          and m["content"]["comm_id"] == figure["image"]
                          and m["content"]["data"].get("method") == "update" and m["buffers"]]
                assert images, f"moving slider {model_id} sent no new image to the front end"
                sha = hashlib.sha1(images[-1]["buffers"][-1]).hexdigest()
                assert sha != figure["image_sha"], "the image sent after moving the slider is the old one"
                figure["image_sha"] = sha
