"""Each chapter's .ipynb twin, opened and run in a real JupyterLab in a browser, as on Binder.

The test starts JupyterLab (the reader requirements' version) on a free port with a token, on a copy
of the notebooks (so that the run does not touch the committed ones), with its own Jupyter
configuration: jupyterlab-myst is switched off, so that the markdown is rendered by JupyterLab's
plain renderer as in Colab, VS Code or GitHub and any MyST left in the twin would show, and the
notebook renders every cell (no windowing). Chromium (Playwright) opens each chapter's notebook:

- every chapter: the rendered markdown holds no MyST (no directive fence, role, ``:label:`` option),
  no raw TeX and no MathJax error (MathJax typeset it all), and the boxes carry their numbered titles;
- the first chapter, the one the chapter standard is proven on, is also run (Run All): no output is
  an error, stderr or a warning, and moving each interactive figure's slider with the keyboard
  changes the figure's image. Every chapter is run, and every slider moved through the kernel, in
  Colab's versions (test_colab.py); running all of them here too would execute each a third time;
- every chapter's .md opens as a notebook with jupyterlab-myst rendering its MyST (``make lab``).

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

CHAPTERS = bookfiles.chapters()
#: The chapters also run in the browser (see the module docstring).
RUN = CHAPTERS[:1]
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


@contextlib.contextmanager
def notebook_page(browser, server, path: str):
    """A browser page with the notebook ``path`` open and its kernel idle; the kernel is shut down after.

    ``reset`` starts from an empty workspace: JupyterLab would otherwise first restore the notebook the
    previous test had open, and its cells would be the ones counted.
    """
    url, token = server
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{url}/lab/tree/{path}?reset&token={token}", wait_until="load", timeout=120_000)
        page.wait_for_function("path => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
                               " const k = w && w.context && w.context.path === path && w.sessionContext &&"
                               " w.sessionContext.session && w.sessionContext.session.kernel;"
                               " return k && k.status === 'idle'; }", arg=path, timeout=120_000)
        yield page
    finally:
        with contextlib.suppress(Exception):
            page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")
        context.close()


def assert_typeset(page) -> None:
    """No formula in the markdown cells is a MathJax error (quoted if one is)."""
    errors = page.eval_on_selector_all(".jp-MarkdownCell mjx-merror",
                                       "nodes => nodes.map(n => n.getAttribute('data-mjx-error') || n.textContent)")
    assert not errors, f"MathJax could not typeset: {errors[:5]}"


def typeset_markdown(page, selector: str) -> list[str]:
    """The text of the rendered markdown cells once MathJax has typeset them, without math and code."""
    page.wait_for_function("() => !document.querySelector('.jp-MarkdownCell .MathJax_Preview')"
                           " && document.querySelectorAll('.jp-MarkdownCell mjx-container').length > 0",
                           timeout=60_000)
    assert_typeset(page)
    return page.evaluate(MARKDOWN_TEXT, selector)


def figure_images(page) -> list[str]:
    return page.eval_on_selector_all(".jp-OutputArea .widget-image", "imgs => imgs.map(i => i.src)")


@pytest.mark.parametrize("name", CHAPTERS, ids=page_ids(CHAPTERS))
def test_notebook_reads_in_jupyterlab(lab, browser, name):
    """The twin's markdown, as JupyterLab's plain renderer shows it: no MyST or TeX left, numbered boxes."""
    with notebook_page(browser, lab, f"{name}.ipynb") as page:
        texts = typeset_markdown(page, ".jp-MarkdownCell .jp-RenderedMarkdown")
        markdown_cells = sum(c.cell_type == "markdown" for c in nbformat.read(bookfiles.notebook(name), as_version=4).cells)
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


@pytest.mark.parametrize("name", RUN, ids=page_ids(RUN))
def test_notebook_runs_in_jupyterlab(lab, browser, name):
    """Run All as a reader does: clean outputs, and every slider redraws its figure."""
    with notebook_page(browser, lab, f"{name}.ipynb") as page:
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        page.wait_for_function(f"() => ({CELLS_STATE})().done", timeout=300_000, polling=500)

        notebook = page.evaluate("() => window.jupyterapp.shell.currentWidget.context.model.toJSON()")
        nb = nbformat.from_dict(notebook)
        problems = output_problems(nb)
        assert not problems, f"{name}.ipynb in JupyterLab:\n" + "\n".join(problems)
        assert any(c.get("outputs") for c in nb.cells), "the notebook produced no output"

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
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        sliders[0].scroll_into_view_if_needed()
        page.screenshot(path=SCREENSHOTS / f"jupyterlab__{name.replace('/', '__')}__slider.png")


@pytest.mark.parametrize("name", CHAPTERS, ids=page_ids(CHAPTERS))
def test_markdown_source_opens_as_a_rendered_notebook(lab_myst, browser, name):
    """``make lab`` and Binder: the chapter's .md opens as a notebook, its MyST rendered by jupyterlab-myst."""
    with notebook_page(browser, lab_myst, f"{name}.md") as page:
        # Code cells only: jupytext may split the markdown between them differently from the book.
        cells = page.evaluate("() => window.jupyterapp.shell.currentWidget.content.widgets"
                              ".filter(w => w.model.type === 'code').length")
        code = [c for c in bookfiles.read_chapter(name).cells if c.cell_type == "code"]
        assert cells == len(code), "the .md did not open as its notebook"
        page.wait_for_function("() => document.querySelectorAll('.jp-MarkdownCell .myst').length > 0 &&"
                               " document.querySelectorAll('.jp-MarkdownCell mjx-container, .jp-MarkdownCell .katex')"
                               ".length > 0", timeout=60_000)
        assert_typeset(page)
        text = "\n".join(page.evaluate(MARKDOWN_TEXT, ".jp-MarkdownCell .myst"))
        left = [m for m in ("```{", ":::{", ":label:", ":class:", "{prf:ref}`", "{eq}`") if m in text]
        assert not left, f"raw MyST in the rendered .md: {left}"
        title = bookfiles.source(name).read_text(encoding="utf-8").split("\n# ", 1)[1].split("\n", 1)[0]
        assert title.split(":")[0].strip() in text, f"the chapter's title {title!r} was not rendered"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.query_selector(".jp-MarkdownCell .myst aside, .jp-MarkdownCell .myst .proof, "
                            ".jp-MarkdownCell .myst details, .jp-MarkdownCell .myst h2").scroll_into_view_if_needed()
        page.screenshot(path=SCREENSHOTS / f"jupyterlab-myst__{name.replace('/', '__')}.png")
