"""Each chapter's .ipynb twin, opened and run in a real JupyterLab in a browser, as on Binder.

The test starts JupyterLab (the reader requirements' version) on a free port with a token, on a copy
of the notebooks (so that the run does not touch the committed ones), with its own Jupyter
configuration, in two set-ups:

- **Binder's**: jupyterlab-myst renders the markdown (Binder installs it from requirements.txt) and
  the book's JupyterLab setup is applied (``tools/lab_setup.py``, run by ``postBuild`` and ``make
  lab``). Every chapter: no MyST left raw, no raw TeX anywhere (solutions included, once their
  collapsed sections are expanded), no math error, each display shows exactly the twin's number
  (its ``\\tag``, the HTML's number: test_twin_numbers.py), none of MyST's own, solutions start
  collapsed, boxes are not in italics. The first chapter, the one the chapter standard is proven
  on, is also run (Run All): no output is an error, stderr or a warning, and moving each
  interactive figure's slider with the keyboard changes the figure's image. (Every chapter is run,
  and every slider moved through the kernel, in Colab's versions, test_colab.py; running all of them
  here too would execute each a third time.) And the server's front page opens the first chapter.
- **plain**: jupyterlab-myst is off, so that the markdown is rendered by JupyterLab's own renderer,
  as in Colab, VS Code or GitHub: every chapter reads with no MyST or TeX left, its solutions
  collapsed.

Each server is loaded once in a browser window, in which each test opens its notebook and closes it
(its kernel shut down) when done; a notebook renders every cell (no windowing). Screenshots (a box,
a solution, a numbered equation, the moved slider) are saved under ``_build/screenshots/``. Browser:
``/usr/bin/chromium`` (``PGBOOK_CHROMIUM`` overrides it); as for test_browser.py, a missing browser
skips outside CI and fails in CI.
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

import lab_setup  # noqa: E402  (tools/, on the path through bookconf)
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
  copy.querySelectorAll("mjx-container, .katex, code, pre").forEach(e => e.remove());
  return copy.textContent;
})"""
#: Every number jupyterlab-myst shows beside a display: KaTeX's \\tag, and MyST's own, which it puts
#: beside the formula (in the display's container, outside KaTeX).
EQUATION_NUMBERS = """() => [...document.querySelectorAll(".jp-MarkdownCell .myst .katex-display")].flatMap(d => {
  const tags = [...d.querySelectorAll(".tag")].map(t => t.textContent.trim());
  const box = d.closest(".group") || d.parentElement;
  const copy = box.cloneNode(true);
  copy.querySelectorAll(".katex-display").forEach(e => e.remove());
  const own = copy.textContent.trim();
  return own ? [...tags, own] : tags;
})"""
#: The solutions' headings, and whether the cells under each are hidden (collapsed).
SOLUTIONS = """() => {
  const cells = window.jupyterapp.shell.currentWidget.content.widgets;
  return cells.flatMap((c, k) => c.model.type === "markdown" && /^#+ Solution to /.test(c.model.sharedModel.source)
    ? [{heading: c.model.sharedModel.source, next_hidden: k + 1 < cells.length && cells[k + 1].isHidden}] : []);
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def jupyterlab(base: Path, myst: bool):
    """JupyterLab on a copy of the chapters' twins, the repository's layout; yields (base URL, token).

    ``myst``: as on Binder, jupyterlab-myst on and the book's JupyterLab setup applied
    (``tools/lab_setup.py``); otherwise JupyterLab's plain markdown renderer, as in Colab.
    """
    root, config = base / "root", base / "config"
    for page in CHAPTERS:
        target = root / bookfiles.notebook(page).relative_to(bookfiles.ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(bookfiles.notebook(page), target)
    if myst:
        lab_setup.setup(config)
    else:
        (config / "labconfig").mkdir(parents=True)
        (config / "labconfig" / "page_config.json").write_text(
            json.dumps({"disabledExtensions": {"jupyterlab-myst": True}}))
    for name, values in SETTINGS.items():
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


#: The JupyterLab window's current notebook is ``path``, and its kernel is up and idle.
KERNEL_IDLE = """path => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.context && w.context.path === path && w.sessionContext && w.sessionContext.session
            && w.sessionContext.session.kernel;
  return k && k.status === "idle"; }"""
#: Close every notebook of the window, its kernel shut down first (unsaved changes dropped: autosave is off).
CLOSE_NOTEBOOKS = """async () => {
  for (const w of [...window.jupyterapp.shell.widgets("main")].filter(w => w.context && w.sessionContext)) {
    await w.sessionContext.shutdown();
    w.context.model.dirty = false;
    w.dispose();
  }
  return true;
}"""


@contextlib.contextmanager
def lab_window(browser, server, where: str = "lab?reset&"):
    """JupyterLab in a browser page of its own, 1280 px wide; its notebooks' kernels are shut down after.

    ``reset`` starts from an empty workspace (JupyterLab would otherwise restore what the last window
    had open); ``where="?"`` is the server's front page.
    """
    url, token = server
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{url}/{where}token={token}", wait_until="load", timeout=120_000)
        page.wait_for_function("() => window.jupyterapp", timeout=120_000)
        page.evaluate("() => window.jupyterapp.restored.then(() => true)")
        yield page
    finally:
        with contextlib.suppress(Exception):
            page.evaluate(CLOSE_NOTEBOOKS)
        context.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory, browser):
    """Binder's JupyterLab, in one window that the module's tests share: loading JupyterLab in a
    browser costs more than opening a notebook in it (and with make test's ``--dist loadgroup``,
    one test worker runs all the tests of a server, ``xdist_group``)."""
    with jupyterlab(tmp_path_factory.mktemp("jupyterlab"), myst=True) as server, lab_window(browser, server) as window:
        yield window


@pytest.fixture(scope="module")
def lab_plain(tmp_path_factory, browser):
    with jupyterlab(tmp_path_factory.mktemp("jupyterlab-plain"), myst=False) as server, \
            lab_window(browser, server) as window:
        yield window


@contextlib.contextmanager
def notebook_page(window, path: str):
    """The notebook ``path`` opened in the JupyterLab ``window``, its kernel idle; closed after, its
    kernel shut down. It is the window's only notebook: the checks query the whole document, so no
    other notebook's cells may be there."""
    assert window.evaluate("() => !document.querySelector('.jp-Notebook')"), "an earlier notebook is still open"
    window.evaluate("path => window.jupyterapp.commands.execute('docmanager:open', {path}).then(() => true)", path)
    try:
        window.wait_for_function(KERNEL_IDLE, arg=path, timeout=120_000)
        yield window
    finally:
        with contextlib.suppress(Exception):
            window.evaluate(CLOSE_NOTEBOOKS)
            window.wait_for_function("() => !document.querySelector('.jp-Notebook')", timeout=60_000)


def assert_typeset(page) -> None:
    """No formula in the markdown cells is a math error (quoted if one is)."""
    errors = page.eval_on_selector_all(".jp-MarkdownCell mjx-merror, .jp-MarkdownCell .katex-error",
                                       "nodes => nodes.map(n => n.getAttribute('data-mjx-error') || n.textContent)")
    assert not errors, f"the math could not be typeset: {errors[:5]}"


def expand_solutions(page) -> list[dict]:
    """Check that every solution starts collapsed, then expand them all; return the solutions."""
    solutions = page.evaluate(SOLUTIONS)
    assert solutions, "no solution heading in the notebook"
    shown = [s["heading"] for s in solutions if not s["next_hidden"]]
    assert not shown, f"solutions not collapsed: {shown}"
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:expand-all-headings')")
    page.wait_for_function(f"() => ({SOLUTIONS})().every(s => !s.next_hidden)", timeout=30_000)
    return solutions


def typeset_markdown(page, selector: str, math: str, cells: int) -> list[str]:
    """The text of the rendered markdown cells once all ``cells`` are rendered (the expanded solutions'
    render after the others) and their math typeset, without math and code."""
    page.wait_for_function("([selector, math, cells]) => !document.querySelector('.jp-MarkdownCell .MathJax_Preview')"
                           " && document.querySelectorAll(`.jp-MarkdownCell ${math}`).length > 0"
                           " && document.querySelectorAll(selector).length >= cells",
                           arg=[selector, math, cells], timeout=60_000)
    assert_typeset(page)
    return page.evaluate(MARKDOWN_TEXT, selector)


def assert_reads(page, name: str, selector: str, math: str) -> str:
    """Every markdown cell rendered, solutions collapsed, no MyST or TeX left: the rendered text."""
    expand_solutions(page)
    markdown_cells = sum(c.cell_type == "markdown" for c in nbformat.read(bookfiles.notebook(name), as_version=4).cells)
    texts = typeset_markdown(page, selector, math, markdown_cells)
    assert len(texts) == markdown_cells, f"{len(texts)} of {markdown_cells} markdown cells rendered"
    text = "\n".join(texts)
    left = [m for m in MYST if m in text]
    assert not left, f"raw MyST in the rendered notebook: {left}"
    for tex in ("$$", "\\begin{", "\\tag{", "\\frac", "_{", "^{"):
        assert tex not in text, f"raw TeX {tex!r} in the rendered notebook"
    # Every chapter ends with exercises and their solutions: their numbered titles (with the
    # chapter's number, as in the HTML) must come through the conversion.
    assert re.search(r"Exercise \d+\.\d+", text) and "Solution to Exercise" in text, "numbered titles missing"
    return text


def screenshot(page, selector: str, path: Path) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # In the page's own script, in one step: JupyterLab re-renders and detaches cells as the notebook
    # scrolls, so an element found by one call may be gone by the next.
    page.evaluate("sel => { const n = [...document.querySelectorAll(sel)].find(n => n.isConnected && n.offsetParent);"
                  " if (n) n.scrollIntoView({block: 'center'}); }", selector)
    page.screenshot(path=path)


def figure_images(page) -> list[str]:
    return page.eval_on_selector_all(".jp-OutputArea .widget-image", "imgs => imgs.map(i => i.src)")


@pytest.mark.xdist_group("jupyterlab-binder")
@pytest.mark.parametrize("name", CHAPTERS, ids=page_ids(CHAPTERS))
def test_notebook_reads_in_binders_jupyterlab(lab, name):
    """jupyterlab-myst renders the twin: math typeset everywhere, one number per display (the
    HTML's), no MyST left, boxes upright."""
    with notebook_page(lab, f"{name}.ipynb") as page:
        assert_reads(page, name, ".jp-MarkdownCell .myst", ".katex")
        markdown = "\n".join(c.source for c in nbformat.read(bookfiles.notebook(name), as_version=4).cells
                             if c.cell_type == "markdown")
        tags = [f"({tag})" for tag in re.findall(r"\\tag\{([^}]*)\}", markdown)]
        numbers = page.evaluate(EQUATION_NUMBERS)
        assert numbers == tags, f"the displays show the numbers {numbers}, the twin's tags are {tags}"
        # (Boxes on screen: a cell being re-rendered holds a detached copy, which has no style.)
        styles = page.eval_on_selector_all(".jp-MarkdownCell .myst blockquote", "nodes => nodes"
                                           ".filter(n => n.isConnected && n.offsetParent !== null)"
                                           ".map(n => getComputedStyle(n).fontStyle)")
        assert styles and set(styles) == {"normal"}, f"boxes set in {set(styles)} (the HTML's are upright)"

        stem = SCREENSHOTS / f"jupyterlab__{name.replace('/', '__')}"
        screenshot(page, ".jp-MarkdownCell .myst blockquote", stem.with_name(stem.name + "__box.png"))
        screenshot(page, ".jp-MarkdownCell .myst .katex-display", stem.with_name(stem.name + "__equation.png"))
        page.evaluate("() => { const cells = window.jupyterapp.shell.currentWidget.content.widgets;"
                      " const k = cells.findIndex(c => /^#+ Solution to /.test(c.model.sharedModel.source));"
                      " cells[k + 1].node.scrollIntoView(); }")
        page.screenshot(path=stem.with_name(stem.name + "__solution.png"))


@pytest.mark.xdist_group("jupyterlab-plain")
@pytest.mark.parametrize("name", CHAPTERS, ids=page_ids(CHAPTERS))
def test_notebook_reads_in_plain_jupyterlab(lab_plain, name):
    """JupyterLab's own markdown renderer (as Colab, VS Code, GitHub): no MyST or TeX left."""
    with notebook_page(lab_plain, f"{name}.ipynb") as page:
        assert_reads(page, name, ".jp-MarkdownCell .jp-RenderedMarkdown", "mjx-container")
        stem = SCREENSHOTS / f"jupyterlab-plain__{name.replace('/', '__')}"
        screenshot(page, ".jp-MarkdownCell blockquote", stem.with_name(stem.name + "__box.png"))


def test_binder_opens_on_the_first_chapter(browser, tmp_path):
    """Binder's front page (no path in the launch URL) is the first chapter's twin, not a file browser.
    (A server of its own: on the shared one, the workspace left by other tests would be restored.)"""
    with jupyterlab(tmp_path, myst=True) as server, lab_window(browser, server, "?") as page:
        page.wait_for_function(KERNEL_IDLE, arg=bookfiles.notebook(CHAPTERS[0]).relative_to(bookfiles.ROOT).as_posix(),
                               timeout=120_000)
        title = bookfiles.title(CHAPTERS[0])
        page.wait_for_function("title => [...document.querySelectorAll('.jp-MarkdownCell h1')]"
                               ".some(h => h.textContent.includes(title))", arg=title, timeout=60_000)


@pytest.mark.xdist_group("jupyterlab-binder")
@pytest.mark.parametrize("name", RUN, ids=page_ids(RUN))
def test_notebook_runs_in_jupyterlab(lab, name):
    """Run All as a reader does: clean outputs, and every slider redraws its figure."""
    with notebook_page(lab, f"{name}.ipynb") as page:
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
