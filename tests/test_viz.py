"""Interactive figures (pgbook.viz.interactive): validation, frames, the static HTML, the live widget.

The figures drawn here paint the whole canvas in a grey level equal to the parameter
(matplotlib's ``color="0.25"``), so the pixels of each frame say which parameter value drew it,
independently of the helper's bookkeeping.
"""

import base64
import io
import itertools
import json
import re
import sys
from html.parser import HTMLParser

import matplotlib
import numpy as np
import pytest
from matplotlib.patches import Rectangle
from PIL import Image

from pgbook.viz import STYLE, Slider, interactive
from pgbook.viz.interactive import MAX_FRAMES, PIXEL_RATIO, STATIC_ENV

DPI = 20  # tiny frames keep these tests fast


def grey(fig, level):
    fig.set_layout_engine("none")  # axes placed by hand (the frames' figures use constrained layout)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    ax.add_patch(Rectangle((0, 0), 1, 1, color=f"{level:.4f}"))


def centre(png: bytes) -> tuple:
    image = Image.open(io.BytesIO(png)).convert("RGBA")
    return image.getpixel((image.width // 2, image.height // 2))


def corner(png: bytes) -> tuple:
    return Image.open(io.BytesIO(png)).convert("RGBA").getpixel((0, 0))


class Parts(HTMLParser):
    """Collects the tags, attributes and text of the static rendering."""

    def __init__(self, text):
        super().__init__()
        self.tags, self.text, self.scripts, self._in_script = [], [], [], False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append([dict(attrs), ""])

    def handle_endtag(self, tag):
        self._in_script = False if tag == "script" else self._in_script

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1][1] += data
        else:
            self.text.append(data)

    def find(self, tag):
        return [attrs for t, attrs in self.tags if t == tag]


# --- Slider ------------------------------------------------------------------------------------


def test_slider_keeps_values_labels_and_initial():
    s = Slider("γ", np.linspace(0, 0.95, 20), initial=0.9)
    assert len(s) == 20 and s.values[18] == pytest.approx(0.9)
    assert s.labels[18] == "0.90" and s.index == 18
    assert all(isinstance(v, float) for v in s.values)


def test_slider_integer_values_stay_integers():
    s = Slider("H", [1, 2, 4, 8], fmt="{:d}")
    assert s.values == (1, 2, 4, 8) and all(type(v) is int for v in s.values)
    assert s.labels == ("1", "2", "4", "8") and s.index == 0


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        (dict(label="", values=[0, 1]), ValueError, "label"),
        (dict(label=3, values=[0, 1]), ValueError, "label"),
        (dict(label="x", values=[0.5]), ValueError, "at least 2"),
        (dict(label="x", values=[0, np.nan]), ValueError, "NaN"),
        (dict(label="x", values=[0, np.inf]), ValueError, "infinite"),
        (dict(label="x", values=[[0, 1], [2, 3]]), ValueError, "1-d"),
        (dict(label="x", values=[0.1, 0.2, 0.1]), ValueError, "repeated"),
        (dict(label="x", values="abc"), TypeError, "values"),
        (dict(label="x", values=[0.5, 1.5], fmt="{:d}"), ValueError, "fmt"),
        (dict(label="x", values=[0.11, 0.12], fmt="{:.1f}"), ValueError, "same label"),
        (dict(label="x", values=[0, 1], fmt=2), TypeError, "fmt"),
        (dict(label="x", values=[0.0, 0.5], initial=0.3), ValueError, "initial"),
        (dict(label="x", values=[0.0, 1.0], initial=True), TypeError, "initial"),
    ],
)
def test_slider_rejects_bad_input(kwargs, error, words):
    with pytest.raises(error, match=words):
        Slider(**kwargs)


# --- interactive(): validation -----------------------------------------------------------------


def two_values():
    return Slider("x", [0.0, 1.0])


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "words"),
    [
        (("not callable",), dict(x=two_values()), TypeError, "draw"),
        ((grey,), {}, ValueError, "at least one"),
        ((grey,), dict(level=[0.0, 1.0]), TypeError, "level: expected a Slider"),
        ((grey,), dict(level=two_values(), figsize=(0, 2)), ValueError, "figsize"),
        ((grey,), dict(level=two_values(), figsize=(1, 2, 3)), ValueError, "figsize"),
        ((grey,), dict(level=two_values(), dpi=0), ValueError, "dpi"),
        ((grey,), dict(level=two_values(), dpi=50.5), TypeError, "dpi"),
        ((grey,), dict(gamma=two_values()), TypeError, r"draw\(fig, gamma=...\)"),
    ],
)
def test_interactive_rejects_bad_input(args, kwargs, error, words):
    with pytest.raises(error, match=words):
        interactive(*args, **kwargs)


def test_interactive_refuses_too_many_frames():
    def draw(fig, a, b):
        pass

    n = int(np.sqrt(MAX_FRAMES)) + 1
    with pytest.raises(ValueError, match="exceed"):
        interactive(draw, a=Slider("a", np.arange(n)), b=Slider("b", np.arange(n)))


# --- frames ------------------------------------------------------------------------------------


def test_frames_cover_the_grid_in_row_major_order():
    calls = []

    def draw(fig, a, b):
        calls.append((a, b))
        grey(fig, (a + b) / 10)

    a, b = Slider("a", [0, 1, 2], fmt="{:d}"), Slider("b", [0.0, 0.5, 1.0, 1.5])
    fig = interactive(draw, figsize=(1, 1), dpi=DPI, a=a, b=b)
    frames = fig.frames
    assert fig.n_frames == len(frames) == 12 and fig.shape == (3, 4)
    assert calls == list(itertools.product(a.values, b.values))
    for (va, vb), png in zip(calls, frames):
        assert centre(png)[0] == pytest.approx(255 * (va + vb) / 10, abs=1.5)


def test_frames_are_opaque_white_pngs_at_twice_the_shown_size():
    def draw(fig, level):
        fig.add_subplot().plot([0, 1], [0, level])

    fig = interactive(draw, figsize=(2.0, 1.5), dpi=DPI, level=Slider("level", [0.2, 0.8]))
    assert PIXEL_RATIO == 2 and fig.size == (40, 30)
    for png in fig.frames:
        image = Image.open(io.BytesIO(png))
        assert image.format == "PNG" and image.size == (80, 60)
        assert corner(png) == (255, 255, 255, 255)
    assert fig.frames[0] != fig.frames[1]
    (img,) = Parts(fig.html()).find("img")
    assert (img["width"], img["height"]) == ("40", "30")  # shown at 1x: 2 pixels per CSS pixel


def test_figure_style_is_opaque_white():
    for key, value in STYLE.items():
        assert matplotlib.rcParams[key] == value
    fig = matplotlib.figure.Figure(figsize=(1, 1), dpi=DPI)
    fig.add_subplot().plot([0, 1])
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    assert corner(buf.getvalue()) == (255, 255, 255, 255)


# --- the static HTML ---------------------------------------------------------------------------


def test_html_has_a_labelled_range_input_per_slider_and_the_initial_frame():
    def draw(fig, gamma, k):
        grey(fig, gamma * k / 3)

    gamma = Slider("γ", np.linspace(0, 0.95, 20), initial=0.9)
    k = Slider("k", [1, 2, 3], fmt="{:d}", initial=2)
    fig = interactive(draw, figsize=(1, 1), dpi=DPI, gamma=gamma, k=k)
    page = Parts(fig.html())

    inputs = page.find("input")
    assert [(i["type"], i["min"], i["max"], i["value"], i["data-name"]) for i in inputs] == [
        ("range", "0", "19", "18", "gamma"),
        ("range", "0", "2", "1", "k"),
    ]
    text = re.sub(r"\s+", " ", "".join(page.text))
    assert "γ = 0.90" in text and "k = 2" in text

    (img,) = page.find("img")
    shown = base64.b64decode(img["src"].removeprefix("data:image/png;base64,"))
    assert centre(shown)[0] == pytest.approx(255 * 0.9 * 2 / 3, abs=1.5)

    (data_attrs, data), (code_attrs, code) = page.scripts
    assert data_attrs["type"] == "application/json" and "src" not in code_attrs
    data = json.loads(data)
    assert data["labels"] == [list(gamma.labels), list(k.labels)]
    assert [base64.b64decode(f) for f in data["frames"]] == list(fig.frames)
    # The inline script's index: row-major over the inputs (index = index * n_k + i_k).
    for i, j in [(0, 0), (5, 2), (19, 1)]:
        png = base64.b64decode(data["frames"][i * 3 + j])
        assert centre(png)[0] == pytest.approx(255 * gamma.values[i] * k.values[j] / 3, abs=1.5)
    assert "addEventListener(\"input\"" in code


def test_html_puts_the_sliders_above_the_frame_and_an_alt_text_on_each_frame():
    """The sliders come before the image they drive (on a phone a tall frame fills the screen), and
    each frame's alt text is its own figure's words (the title that the slider changes), swapped
    with the frame; an ``alt`` given replaces the figure's words."""

    def draw(fig, gamma):
        fig.add_subplot().set(title=f"discount γ = {gamma:.1f}", xlabel="state", ylabel="value")

    fig = interactive(draw, figsize=(1, 1), dpi=DPI, gamma=Slider("γ", [0.5, 0.9], fmt="{:.1f}", initial=0.9))
    page = Parts(fig.html())
    tags = [t for t, _ in page.tags]
    assert tags.index("input") < tags.index("img")
    (img,) = page.find("img")
    assert img["alt"] == "Figure: discount γ = 0.9: value against state. The slider above it changes γ."
    data = json.loads(page.scripts[0][1])
    assert data["alts"] == [a.replace("0.9", "0.5") for a in [img["alt"]]] + [img["alt"]]
    assert "img.alt = data.alts[index]" in page.scripts[1][1]
    given = interactive(draw, figsize=(1, 1), dpi=DPI, alt="The value of each state.",
                        gamma=Slider("γ", [0.5, 0.9]))
    assert Parts(given.html()).find("img")[0]["alt"] == "The value of each state. The slider above it changes γ."
    with pytest.raises(ValueError, match="alt"):
        interactive(draw, figsize=(1, 1), dpi=DPI, alt=" ", gamma=Slider("γ", [0.5, 0.9]))


def test_html_loads_nothing_from_outside_and_escapes_labels():
    fig = interactive(grey, figsize=(1, 1), dpi=DPI, level=Slider("<b>&", [0.1, 0.2]))
    html = fig.html()
    assert not re.search(r"(src|href)=\"(https?:)?//", html)
    assert "&lt;b&gt;&amp;</span> = <output" in html and "<b>&" not in html


# --- the live widget ---------------------------------------------------------------------------


def test_widget_redraws_when_the_slider_moves():
    calls = []

    def draw(fig, level):
        calls.append(level)
        grey(fig, level)

    fig = interactive(draw, figsize=(1, 1), dpi=DPI, level=Slider("level", [0.2, 0.5, 0.8], initial=0.5))
    box = fig.widget
    (slider, image) = box.children
    assert slider.description == "level" and slider.value == 1
    assert [label for label, _ in slider.options] == ["0.20", "0.50", "0.80"]
    assert centre(image.value)[0] == pytest.approx(255 * 0.5, abs=1.5)
    before = image.value
    calls.clear()
    slider.value = 2
    assert calls == [0.8]
    assert image.value != before
    assert centre(image.value)[0] == pytest.approx(255 * 0.8, abs=1.5)
    slider.value = 1  # back to a value already drawn: its image is kept, draw is not called again
    assert calls == [0.8] and image.value == before


def test_a_live_kernel_gets_the_widget_alone_and_renders_no_frames(monkeypatch):
    monkeypatch.delenv(STATIC_ENV, raising=False)
    calls = []

    def draw(fig, level):
        calls.append(level)
        grey(fig, level)

    fig = interactive(draw, figsize=(1, 1), dpi=DPI, level=Slider("level", [0.2, 0.4, 0.6]))
    fig.widget
    assert calls == [0.2]  # the widget's first image, no frames
    bundle = fig._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "application/vnd.jupyter.widget-view+json"}
    assert bundle["application/vnd.jupyter.widget-view+json"] == {
        "version_major": 2, "version_minor": 0, "model_id": fig.widget.model_id}
    assert bundle["text/plain"] == "<interactive figure (level: 3 values; 3 frames)>"
    (_, image) = fig.widget.children
    assert image.width == "20" and Image.open(io.BytesIO(image.value)).size == (40, 40)
    # Once shown, the other slider values are drawn in the background, nearest first, each once;
    # a move then finds its image drawn.
    fig._live.thread.join(timeout=60)
    assert calls == [0.2, 0.4, 0.6]
    (slider, _) = fig.widget.children
    slider.value = 2
    assert calls == [0.2, 0.4, 0.6] and centre(image.value)[0] == pytest.approx(255 * 0.6, abs=1.5)


def test_the_background_drawing_waits_while_the_kernel_runs_a_cell(monkeypatch):
    """In a kernel it draws only between cells, so that it never slows a Run All."""
    module = sys.modules["pgbook.viz.interactive"]  # (pgbook.viz.interactive is also the function's name)
    monkeypatch.delenv(STATIC_ENV, raising=False)
    calls = []
    fig = interactive(lambda f, level: (calls.append(level), grey(f, level)), figsize=(1, 1), dpi=DPI,
                      level=Slider("level", [0.2, 0.4, 0.6]))
    monkeypatch.setattr(module, "_watching", True)  # no IPython here: the test plays the kernel
    module._kernel_idle.clear()  # a cell is running
    try:
        fig._repr_mimebundle_()
        fig._live.thread.join(timeout=0.5)
        assert fig._live.thread.is_alive() and calls == [0.2]
    finally:
        module._cell_ended()
    # ... and only once no cell has run for QUIET seconds (a Run All's next cell follows at once).
    fig._live.thread.join(timeout=module.QUIET / 3)
    assert calls == [0.2]
    fig._live.thread.join(timeout=60)
    assert calls == [0.2, 0.4, 0.6]


def test_the_book_build_gets_the_static_html_alone(monkeypatch):
    monkeypatch.setenv(STATIC_ENV, "1")
    fig = interactive(grey, figsize=(1, 1), dpi=DPI, level=Slider("level", [0.2, 0.4]))
    bundle = fig._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html"}
    assert bundle["text/html"] == fig.html() and bundle["text/html"].startswith('<div class="pgbook-interactive"')
    assert fig._widget is None  # no widget, no comm: nothing for a kernel-less page to show


def test_the_background_draws_where_the_next_move_goes(monkeypatch):
    """Nearest to the slider first, ahead in the direction of the last move on a tie; and the figure
    moved last before any other."""
    monkeypatch.delenv(STATIC_ENV, raising=False)
    fig = interactive(grey, figsize=(1, 1), dpi=DPI, level=Slider("level", [0.1, 0.2, 0.3, 0.4, 0.5], initial=0.3))
    live = fig.widget and fig._live
    assert set(live.png) == {(2,)}
    live.step = (1,)
    assert live._next() == (3,)
    live.step = (-1,)
    assert live._next() == (1,)
    (slider, _) = fig.widget.children
    slider.value = 4  # a move up: the next one is ahead, two up would come before one down
    assert live.position == (4,) and live.step == (1,) and live._next() == (3,)
    two = interactive(lambda f, a, b: grey(f, a), figsize=(1, 1), dpi=DPI,
                      a=Slider("a", [0.1, 0.2, 0.3]), b=Slider("b", [0.1, 0.2, 0.3]))
    two.widget.children[1].value = 1  # b moved up: b's next value before a's neighbours
    assert two._live.step == (0, 1) and two._live._next() == (0, 2)
    other = interactive(grey, figsize=(1, 1), dpi=DPI, level=Slider("level", [0.1, 0.2, 0.3]))
    other.widget.children[0].value = 1  # the reader moves the other figure: it is filled first
    fig._repr_mimebundle_()
    fig._live.thread.join(timeout=0.5)
    assert fig._live.thread.is_alive() and len(fig._live.png) == 2
    other._repr_mimebundle_()
    fig._live.thread.join(timeout=60)
    assert other._live.complete and fig._live.complete
