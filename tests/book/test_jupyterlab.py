"""Each chapter's .ipynb twin, opened and run in a real JupyterLab in a browser, as on Binder.

The test starts JupyterLab (the reader requirements' version) on a free port with a token, on a copy
of the notebook (so that the run does not touch the committed one), with its own Jupyter
configuration: jupyterlab-myst is switched off, so that the markdown is rendered by JupyterLab's
plain renderer as in Colab, VS Code or GitHub and any MyST left in the twin would show, and the
notebook renders every cell (no windowing). Chromium (Playwright) opens the notebook and runs all
cells; then:

- the rendered markdown holds no MyST (no directive fence, role, ``:label:`` option) and no raw TeX
  (MathJax typeset it), and the boxes carry their numbered titles;
- no output is an error, stderr or a warning, and the chapter produced output;
- moving each interactive figure's slider with the keyboard changes the figure's image.

Screenshots (a box, a solution, the moved slider) are saved under ``_build/screenshots/``. Browser: ``/usr/bin/chromium`` (``PGBOOK_CHROMIUM``
overrides it); as for test_browser.py, a missing browser skips outside CI and fails in CI.
"""

import contextlib
import json
import re
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from bookconf import bookfiles, page_ids
from reader import output_problems
from test_browser import SCREENSHOTS, unavailable
from test_browser import browser  # noqa: F401  (the fixture, shared with the HTML tests)

pytestmark = pytest.mark.notebook

# The first chapter, the one the chapter standard is proven on: a browser run of every chapter would
# add minutes to `make test`. Every chapter runs in Colab's versions (test_colab.py), and every twin
# is checked without a client by test_plain_markdown.py and test_twin_numbers.py.
CHAPTERS = bookfiles.chapters()[:1]
#: What JupyterLab would print literally if the twin still held MyST.
MYST = ["```{", ":::{", "{cite}`", "{cite:t}`", "{cite:p}`", "{prf:ref}`", "{eq}`", "{ref}`", "{numref}`",
        "{doc}`", ":label:", ":class:", "solution-start", "solution-end"]
SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                        "checkForUpdates": False},
}

CELLS_STATE = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const cells = panel.content.widgets;
  const code = cells.filter(c => c.model.type === "code");
  return {
    done: code.length > 0 && code.every(c => c.model.executionCount !== null) &&
          panel.sessionContext.session.kernel.status === "idle",
    running: code.filter(c => c.model.executionCount === null).length,
  };
}"""

MARKDOWN_TEXT = """(selector) => [...document.querySelectorAll(selector)].map(node => {
  const copy = node.cloneNode(true);
  copy.querySelectorAll("mjx-container, code, pre").forEach(e => e.remove());
  return copy.textContent;
})"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def jupyterlab(base: Path, myst: bool):
    """JupyterLab on a copy of the chapters (.ipynb and .md); yields (base URL, token).

    ``myst``: jupyterlab-myst renders the markdown, and .md files open as notebooks (jupytext), as
    ``make lab`` and Binder set it up; otherwise JupyterLab's plain markdown renderer, as in Colab.
    """
    root, config = base / "root", base / "config"
    for page in CHAPTERS:
        for path in (bookfiles.notebook(page), bookfiles.source(page)):
            target = root / path.relative_to(bookfiles.ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)
    settings = dict(SETTINGS)
    if myst:
        settings["@jupyterlab/docmanager-extension/plugin.jupyterlab-settings"] = {
            "autosave": False, "defaultViewers": {"markdown": "Jupytext Notebook", "myst": "Jupytext Notebook"}}
    else:
        (config / "labconfig").mkdir(parents=True)
        (config / "labconfig" / "page_config.json").write_text(
            json.dumps({"disabledExtensions": {"jupyterlab-myst": True}}))
    for name, values in settings.items():
        path = config / "lab" / "user-settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    port, token = free_port(), secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if k != "PGBOOK_STATIC_FIGURES"}  # a reader's kernel
    env.update(JUPYTER_CONFIG_DIR=str(config), JUPYTER_DATA_DIR=str(base / "data"),
               JUPYTER_RUNTIME_DIR=str(base / "runtime"))
    log = open(base / "jupyterlab.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
         f"--ServerApp.root_dir={root}", f"--IdentityProvider.token={token}", "--LabApp.expose_app_in_browser=True",
         "--ServerApp.port_retries=0", *(["--allow-root"] if os.geteuid() == 0 else [])],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=5).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not start:\n{(base / 'jupyterlab.log').read_text()[-3000:]}")
                time.sleep(0.5)
        yield url, token
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    with jupyterlab(tmp_path_factory.mktemp("jupyterlab"), myst=False) as server:
        yield server


@pytest.fixture(scope="module")
def lab_myst(tmp_path_factory):
    with jupyterlab(tmp_path_factory.mktemp("jupyterlab-myst"), myst=True) as server:
        yield server


def open_notebook(page, url: str) -> None:
    """Open a notebook and wait until its kernel is idle."""
    page.goto(url, wait_until="load", timeout=120_000)
    page.wait_for_function("() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
                           " const k = w && w.sessionContext && w.sessionContext.session &&"
                           " w.sessionContext.session.kernel; return k && k.status === 'idle'; }",
                           timeout=120_000)


def figure_images(page) -> list[str]:
    return page.eval_on_selector_all(".jp-OutputArea .widget-image", "imgs => imgs.map(i => i.src)")


@pytest.mark.parametrize("name", CHAPTERS, ids=page_ids(CHAPTERS))
def test_notebook_runs_and_reads_in_jupyterlab(lab, browser, name):
    url, token = lab
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        open_notebook(page, f"{url}/lab/tree/{name}.ipynb?token={token}")
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        page.wait_for_function(f"() => ({CELLS_STATE})().done", timeout=300_000, polling=500)

        notebook = page.evaluate("() => window.jupyterapp.shell.currentWidget.context.model.toJSON()")
        nb = nbformat.from_dict(notebook)
        problems = output_problems(nb)
        assert not problems, f"{name}.ipynb in JupyterLab:\n" + "\n".join(problems)
        assert any(c.get("outputs") for c in nb.cells), "the notebook produced no output"

        page.wait_for_function("() => !document.querySelector('.jp-MarkdownCell .jp-RenderedMarkdown .MathJax_Preview')"
                               " && document.querySelectorAll('.jp-MarkdownCell mjx-container').length > 0",
                               timeout=60_000)
        texts = page.evaluate(MARKDOWN_TEXT, ".jp-MarkdownCell .jp-RenderedMarkdown")
        markdown_cells = sum(c.cell_type == "markdown" for c in nb.cells)
        assert len(texts) == markdown_cells, f"{len(texts)} of {markdown_cells} markdown cells rendered"
        text = "\n".join(texts)
        left = [m for m in MYST if m in text]
        assert not left, f"raw MyST in the rendered notebook: {left}"
        for tex in ("$$", "\\begin{", "\\tag{"):
            assert tex not in text, f"raw TeX {tex!r} in the rendered notebook"
        # Every chapter ends with exercises whose solutions are dropdowns: their numbered titles
        # (with the chapter's number, as in the HTML) must come through the conversion.
        assert re.search(r"Exercise \d+\.\d+", text) and "Solution to Exercise" in text, \
            "numbered box titles missing"

        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        stem = f"jupyterlab__{name.replace('/', '__')}"
        page.query_selector(".jp-MarkdownCell blockquote").scroll_into_view_if_needed()
        page.screenshot(path=SCREENSHOTS / f"{stem}__box.png")
        page.query_selector(".jp-MarkdownCell details").scroll_into_view_if_needed()
        page.screenshot(path=SCREENSHOTS / f"{stem}__solution.png")

        if "viz.interactive(" not in bookfiles.source(name).read_text(encoding="utf-8"):
            return  # the chapter's figures are self-contained HTML (the simplex) or static
        before = figure_images(page)
        assert before, "no interactive figure (ipywidgets image) in the outputs"
        sliders = page.query_selector_all(".jp-OutputArea .widget-slider .noUi-handle, "
                                          ".jp-OutputArea .widget-slider input[type=range]")
        assert sliders, "no slider in the interactive figures"
        for slider in sliders:
            slider.scroll_into_view_if_needed()
            old = figure_images(page)
            slider.focus()
            slider.press("ArrowRight")
            slider.press("ArrowRight")
            page.wait_for_function("old => { const now = [...document.querySelectorAll("
                                   "'.jp-OutputArea .widget-image')].map(i => i.src);"
                                   " return now.some((src, k) => src !== old[k]); }", arg=old, timeout=60_000)
        sliders[0].scroll_into_view_if_needed()
        page.screenshot(path=SCREENSHOTS / f"{stem}__slider.png")
    finally:
        context.close()


@pytest.mark.parametrize("name", CHAPTERS, ids=page_ids(CHAPTERS))
def test_markdown_source_opens_as_a_rendered_notebook(lab_myst, browser, name):
    """``make lab`` and Binder: the chapter's .md opens as a notebook, its MyST rendered by jupyterlab-myst."""
    url, token = lab_myst
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        open_notebook(page, f"{url}/lab/tree/{name}.md?token={token}")
        # Code cells only: jupytext may split the markdown between them differently from the book.
        cells = page.evaluate("() => window.jupyterapp.shell.currentWidget.content.widgets"
                              ".filter(w => w.model.type === 'code').length")
        code = [c for c in bookfiles.read_chapter(name).cells if c.cell_type == "code"]
        assert cells == len(code), "the .md did not open as its notebook"
        page.wait_for_function("() => document.querySelectorAll('.jp-MarkdownCell .myst').length > 0 &&"
                               " document.querySelectorAll('.jp-MarkdownCell mjx-container, .jp-MarkdownCell .katex')"
                               ".length > 0", timeout=60_000)
        text = "\n".join(page.evaluate(MARKDOWN_TEXT, ".jp-MarkdownCell .myst"))
        left = [m for m in ("```{", ":::{", ":label:", ":class:", "{prf:ref}`", "{eq}`") if m in text]
        assert not left, f"raw MyST in the rendered .md: {left}"
        title = bookfiles.source(name).read_text(encoding="utf-8").split("\n# ", 1)[1].split("\n", 1)[0]
        assert title.split(":")[0].strip() in text, f"the chapter's title {title!r} was not rendered"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.query_selector(".jp-MarkdownCell .myst aside, .jp-MarkdownCell .myst .proof, "
                            ".jp-MarkdownCell .myst details, .jp-MarkdownCell .myst h2").scroll_into_view_if_needed()
        page.screenshot(path=SCREENSHOTS / f"jupyterlab-myst__{name.replace('/', '__')}.png")
    finally:
        context.close()
