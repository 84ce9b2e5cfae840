r"""Interactive figures that work with a kernel and without one.

``interactive(draw, gamma=Slider("γ", np.linspace(0, 0.95, 20)))`` returns an object that displays

- in a live kernel (JupyterLab, Binder, Colab, VS Code) as an ipywidgets control: moving a slider
  calls ``draw`` again and shows the new figure;
- in the static HTML book, where no kernel runs, as pre-rendered frames, one per point of the grid
  of slider values, with an ``<input type="range">`` per parameter, labelled ``γ = 0.90``, and a
  few lines of inline JavaScript that swap the image and its alt text.

In both the sliders come first and the image right under them, so that on a phone, where a tall
figure fills the screen, the control sits next to the panel it drives (the book's style sheet also
keeps the sliders of a static figure in view while its frame scrolls past). Each frame's alt text
is the figure's own words at that point (:func:`pgbook.viz.style.alt_text`: its titles, axes and
legend), or the ``alt`` given to :func:`interactive`, followed by what the sliders change.

Which one ``_repr_mimebundle_`` gives is decided by the environment variable
:data:`STATIC_ENV` (``PGBOOK_STATIC_FIGURES``): ``tools/build_book.py`` sets it to ``1`` while the book's
chapters are executed, and then the figure is the frames (``text/html``); anywhere else, such as a
reader's kernel, it is the widget view alone, so a reader never waits for frames nobody will see and
a saved notebook stays small. The widget view is written out by hand rather than taken from the
widget's own display method, which differs between ipywidgets 7 (Colab ships 7.7) and 8.

Frames and the live image are PNGs drawn at twice the figure's ``dpi`` and shown at its 1x size, so
that they stay sharp on high-density screens, on an opaque white background (the book's dark mode
makes transparent figures unreadable); frames are palette-quantised to keep the page light.

Live, drawing one image costs 0.1-0.3 s (matplotlib's layout and rasterising at 2x), more than the
100 ms a slider move may take. So once the figure is shown, a background thread draws every other
point of the grid, nearest to the slider's position first, and keeps each image: a move then only
sends a kept image. The thread draws only once the kernel has run no cell for ``QUIET`` seconds
(IPython's ``pre_run_cell`` and ``post_run_cell`` events), so it never slows a "Run All", whose
cells follow each other within milliseconds; it is a daemon (it ends with the
kernel), ends when every image is drawn, and never prints (every frame of a chapter was drawn
without a warning when the book was built). One image is drawn at a time, of all the figures
(matplotlib's caches are shared between threads), so a move to a point not drawn yet waits for at
most the image in progress.
"""

from __future__ import annotations

import base64
import html
import inspect
import io
import itertools
import json
import math
import numbers
import os
import threading
import time
from collections.abc import Callable

import numpy as np
from matplotlib.figure import Figure
from PIL import Image

from .. import _validate as validate
from .style import alt_text

#: Upper bound on the number of pre-rendered frames of one figure (the product of the slider sizes).
MAX_FRAMES = 256
#: Set to "1" while the book is built: figures then display as pre-rendered frames, not as a widget.
STATIC_ENV = "PGBOOK_STATIC_FIGURES"
#: Pixels drawn per CSS pixel shown (2: sharp on high-density screens).
PIXEL_RATIO = 2
#: The ipywidgets view format both ipywidgets 7 and 8 emit (its protocol version 2.0).
_WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

_SCRIPT = """(function (root) {
  var data = JSON.parse(root.querySelector("script.pgbook-interactive-data").textContent);
  var img = root.querySelector("img.pgbook-interactive-frame");
  var inputs = root.querySelectorAll("input.pgbook-interactive-input");
  var values = root.querySelectorAll("output.pgbook-interactive-value");
  function update() {
    var index = 0;
    for (var k = 0; k < inputs.length; k++) {
      var i = parseInt(inputs[k].value, 10);
      index = index * data.labels[k].length + i;
      values[k].textContent = data.labels[k][i];
    }
    img.src = "data:image/png;base64," + data.frames[index];
    img.alt = data.alts[index];
  }
  for (var k = 0; k < inputs.length; k++) inputs[k].addEventListener("input", update);
})(document.currentScript.parentElement);"""


class Slider:
    r"""One parameter of an interactive figure: a label and the values it takes.

    label: the parameter's name as the reader sees it (e.g. ``"γ"``); values: (n,) with n >= 2
    distinct finite numbers (integers stay integers); fmt: format of a value in the label
    (``"{:.2f}"`` shows ``γ = 0.90``), distinct values must give distinct labels; initial: the value
    shown first (one of ``values``; default the first).
    """

    def __init__(self, label: str, values, fmt: str = "{:.2f}", initial=None):
        if not isinstance(label, str) or not label.strip():
            raise ValueError(f"label: expected a non-empty string, got {label!r}")
        if not isinstance(fmt, str):
            raise TypeError(f"fmt: expected a format string such as '{{:.2f}}', got {type(fmt).__name__}")
        a = validate.array(values, "values", ndim=1)
        if a.size < 2:
            raise ValueError(f"values: need at least 2 values, got {a.size}")
        if np.unique(a).size != a.size:
            raise ValueError("values: contains repeated values")
        integral = np.asarray(values).dtype.kind in "iu"
        self.label = label.strip()
        self.values = tuple(int(v) for v in a) if integral else tuple(float(v) for v in a)
        try:
            self.labels = tuple(fmt.format(v) for v in self.values)
        except (ValueError, TypeError, IndexError, KeyError) as e:
            raise ValueError(f"fmt: {fmt!r} cannot format the value {self.values[0]!r} ({e})") from None
        if len(set(self.labels)) != len(self.labels):
            seen = {}
            for v, text in zip(self.values, self.labels):
                if text in seen:
                    raise ValueError(
                        f"fmt: {fmt!r} gives the same label {text!r} to {seen[text]!r} and {v!r}; "
                        "use more digits"
                    )
                seen[text] = v
        self.fmt = fmt
        if initial is None:
            self.index = 0
        else:
            if isinstance(initial, bool) or not isinstance(initial, numbers.Real):
                raise TypeError(f"initial: expected one of the values, got {type(initial).__name__}")
            hits = np.flatnonzero(np.isclose(a, float(initial), rtol=1e-12, atol=1e-12))
            if hits.size == 0:
                raise ValueError(f"initial: {initial!r} is not one of the values")
            self.index = int(hits[0])

    def __len__(self) -> int:
        return len(self.values)

    def __repr__(self) -> str:
        return f"Slider({self.label!r}, {len(self)} values from {self.labels[0]} to {self.labels[-1]})"


class Interactive:
    """An interactive figure; build it with :func:`interactive`."""

    def __init__(self, draw: Callable, figsize: tuple[float, float], dpi: int, sliders: dict[str, Slider],
                 alt: str | None = None):
        self.draw, self.figsize, self.dpi, self.sliders, self.alt = draw, figsize, dpi, sliders, alt
        self.shape = tuple(len(s) for s in sliders.values())
        self._frames: tuple[bytes, ...] | None = None
        self._alts: tuple[str, ...] | None = None
        self._widget = None

    @property
    def n_frames(self) -> int:
        return math.prod(self.shape)

    def params(self, index: tuple[int, ...]) -> dict:
        """The keyword arguments of ``draw`` at the grid point ``index`` (one index per slider)."""
        return {name: s.values[i] for (name, s), i in zip(self.sliders.items(), index)}

    @property
    def initial(self) -> tuple[int, ...]:
        return tuple(s.index for s in self.sliders.values())

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the figure as shown, in CSS pixels; the PNGs have ``PIXEL_RATIO`` times more."""
        return round(self.figsize[0] * self.dpi), round(self.figsize[1] * self.dpi)

    def render(self, index: tuple[int, ...], *, quantize: bool = False) -> bytes:
        """The figure at grid point ``index`` as PNG bytes at ``PIXEL_RATIO`` x ``dpi`` (palette-quantised
        when ``quantize``)."""
        return self._render(index, quantize)[0]

    def _controls_say(self) -> str:
        names = " and ".join(s.label for s in self.sliders.values())
        return f"The slider{'s' if len(self.sliders) > 1 else ''} above it change{'' if len(self.sliders) > 1 else 's'} {names}."

    def _render(self, index: tuple[int, ...], quantize: bool) -> tuple[bytes, str]:
        """:meth:`render`'s PNG, and the frame's alt text (the ``alt`` given, or the figure's own words)."""
        fig = Figure(figsize=self.figsize, dpi=self.dpi, facecolor="white", layout="constrained")
        self.draw(fig, **self.params(index))
        alt = f"{self.alt or alt_text(fig)} {self._controls_say()}"
        buf = io.BytesIO()
        # zlib's fastest level: a quarter of the encoding time for a third more bytes, on a local link.
        fig.savefig(buf, format="png", dpi=PIXEL_RATIO * self.dpi, facecolor="white", metadata={"Software": None},
                    pil_kwargs={"compress_level": 1})
        if not quantize:
            return buf.getvalue(), alt
        image = Image.open(buf).convert("RGB")
        small = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        out = io.BytesIO()
        small.save(out, format="PNG", optimize=True)
        return out.getvalue(), alt

    @property
    def frames(self) -> tuple[bytes, ...]:
        """Every frame, in row-major order over the sliders (the last slider varies fastest)."""
        if self._frames is None:
            drawn = [self._render(index, True) for index in itertools.product(*map(range, self.shape))]
            self._frames = tuple(png for png, _ in drawn)
            self._alts = tuple(alt for _, alt in drawn)
        return self._frames

    @property
    def alts(self) -> tuple[str, ...]:
        """Every frame's alt text, in the order of :attr:`frames`."""
        if self._alts is None:
            self.frames  # noqa: B018  (drawing the frames records their alt texts)
        return self._alts

    def html(self) -> str:
        """The kernel-free rendering: frames, one range input per slider, an inline script."""
        frames = [base64.b64encode(f).decode("ascii") for f in self.frames]
        initial = self.initial
        first = int(np.ravel_multi_index(initial, self.shape))
        width, height = self.size
        controls = []
        for (name, s), i in zip(self.sliders.items(), initial):
            label = html.escape(s.label)
            controls.append(
                '<label class="pgbook-interactive-control" style="display:flex;align-items:center;gap:0.6em">'
                f'<span class="pgbook-interactive-label" style="min-width:7em;font-variant-numeric:tabular-nums">'
                f'<span class="pgbook-interactive-name">{label}</span> = '
                f'<output class="pgbook-interactive-value">{html.escape(s.labels[i])}</output></span>'
                f'<input class="pgbook-interactive-input" type="range" min="0" max="{len(s) - 1}" step="1" '
                f'value="{i}" data-name="{html.escape(name)}" aria-label="{label}" style="flex:1;max-width:24em">'
                "</label>"
            )
        data = json.dumps({"labels": [list(s.labels) for s in self.sliders.values()], "frames": frames,
                           "alts": list(self.alts)})
        data = data.replace("<", "\\u003c")  # no tag, and no end of the script, inside the JSON
        return (
            f'<div class="pgbook-interactive" data-shape="{",".join(map(str, self.shape))}" style="margin:0.5em 0">'
            # the sliders right above the frame they drive (on a phone a tall frame fills the screen)
            f'<div class="pgbook-interactive-controls">{"".join(controls)}</div>'
            # the frame in a box of its own, so that on a phone it scrolls sideways and the sliders stay put
            '<div class="pgbook-interactive-view">'
            f'<img class="pgbook-interactive-frame" src="data:image/png;base64,{frames[first]}" width="{width}" '
            f'height="{height}" alt="{html.escape(self.alts[first])}" '
            'style="max-width:100%;height:auto;background:#fff"></div>'
            f'<script type="application/json" class="pgbook-interactive-data">{data}</script>'
            f"<script>{_SCRIPT}</script></div>"
        )

    @property
    def widget(self):
        """The live rendering: an ipywidgets box whose sliders redraw the figure by calling ``draw``."""
        if self._widget is None:
            import ipywidgets as w

            controls = [
                w.SelectionSlider(
                    options=[(text, i) for i, text in enumerate(s.labels)], value=s.index,
                    description=s.label, continuous_update=False, style={"description_width": "initial"},
                    layout=w.Layout(width="min(100%, 32em)"),
                )
                for s in self.sliders.values()
            ]
            self._live = _LiveFrames(self)
            image = w.Image(value=self._live.get(self.initial), format="png", width=str(self.size[0]),
                            layout=w.Layout(max_width="100%", height="auto"))

            def redraw(change=None):
                image.value = self._live.get(tuple(c.value for c in controls))

            for c in controls:
                c.observe(redraw, names="value")
            self._widget = w.VBox([*controls, image])
        return self._widget

    def _repr_mimebundle_(self, include=None, exclude=None):
        if os.environ.get(STATIC_ENV) == "1":
            return {"text/plain": repr(self), "text/html": self.html()}
        view = {"version_major": 2, "version_minor": 0, "model_id": self.widget.model_id}
        self._live.fill()
        return {"text/plain": repr(self), _WIDGET_VIEW: view}

    def __repr__(self) -> str:
        sliders = ", ".join(f"{s.label}: {len(s)} values" for s in self.sliders.values())
        return f"<interactive figure ({sliders}; {self.n_frames} frames)>"


#: Held while a live image is drawn (see the module docstring).
_drawing = threading.Lock()
#: Set while the kernel runs no cell: the background drawing waits for it (see the module docstring).
_kernel_idle = threading.Event()
_kernel_idle.set()
_idle_since = [0.0]  # time.monotonic() when the last cell ended
_focus: list[_LiveFrames | None] = [None]  # the figure the reader moved last
#: Seconds with no cell running before the background drawing starts an image.
QUIET = 0.25
_watching = False


def _cell_ended(*info) -> None:
    _idle_since[0] = time.monotonic()
    _kernel_idle.set()


def _watch_the_kernel() -> None:
    """Follow IPython's cell execution with ``_kernel_idle`` (once; outside IPython it stays set)."""
    global _watching
    if _watching:
        return
    _watching = True
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None:
        shell.events.register("pre_run_cell", lambda *info: _kernel_idle.clear())
        shell.events.register("post_run_cell", _cell_ended)
        # Displayed by a cell, which is running now: the first image waits for its end.
        _kernel_idle.clear()


class _LiveFrames:
    """The live widget's images by grid point, drawn on demand or in the background, and kept.

    The background draws, of the figure the reader moved last (the others wait), the missing point
    nearest to the sliders' position, on a tie ahead in the direction of the last move and along the
    slider it moved: where the next move goes.
    """

    def __init__(self, figure: Interactive):
        self.figure = figure
        self.grid = list(itertools.product(*map(range, figure.shape)))
        self.png: dict[tuple[int, ...], bytes] = {}
        self.position = figure.initial
        self.step = (0,) * len(figure.shape)  # the last move's direction, per slider
        self.thread: threading.Thread | None = None

    def get(self, index: tuple[int, ...]) -> bytes:
        if index != self.position:
            self.step = tuple((b > a) - (b < a) for a, b in zip(self.position, index))
            self.position = index
        _focus[0] = self
        with _drawing:
            if index not in self.png:
                self.png[index] = self.figure.render(index)
            return self.png[index]

    @property
    def complete(self) -> bool:
        return len(self.png) == len(self.grid)

    def fill(self) -> None:
        """Start drawing every other grid point in the background (once)."""
        if self.thread is None:
            _watch_the_kernel()
            self.thread = threading.Thread(target=self._fill, name="pgbook-interactive-frames", daemon=True)
            self.thread.start()

    def _next(self) -> tuple[int, ...]:
        here, step = self.position, self.step

        def order(point):
            behind = any(s and (a - h) * s < 0 for a, h, s in zip(point, here, step))
            across = any(a != h for a, h, s in zip(point, here, step) if not s) and any(step)
            return sum(abs(a - h) for a, h in zip(point, here)), behind, across

        return min((i for i in self.grid if i not in self.png), key=order)

    def _fill(self) -> None:
        while not self.complete:
            _kernel_idle.wait()
            quiet = time.monotonic() - _idle_since[0]
            focus = _focus[0]
            if quiet < QUIET or (focus is not None and focus is not self and not focus.complete):
                time.sleep(max(QUIET - quiet, 0.05))
                continue
            with _drawing:
                point = self._next()
                try:
                    self.png[point] = self.figure.render(point)
                except Exception:  # noqa: BLE001  (a move there draws it again and shows the error)
                    return


def interactive(draw: Callable, *, figsize=(6.4, 4.0), dpi: int = 100, alt: str | None = None,
                **sliders: Slider) -> Interactive:
    r"""An interactive figure: ``draw(fig, **params)`` draws onto a fresh matplotlib ``Figure``.

    The figure has a white background and constrained layout (call ``fig.set_layout_engine("none")``
    in ``draw`` to place axes by hand with ``fig.add_axes``); every frame has the same size.

    draw: called as ``draw(fig, name=value, ...)``, one keyword per slider; figsize: (width, height)
    in inches; dpi: CSS pixels per inch as shown (the PNGs are drawn at ``PIXEL_RATIO`` times that);
    alt: the figure's text alternative, for readers who cannot see it (default: each frame's titles,
    axes and legend, :func:`pgbook.viz.style.alt_text`); sliders: ``name=Slider(...)``, one or more.
    The static book holds one frame per point of the grid of values (at most ``MAX_FRAMES``).

    Example: ``interactive(draw, gamma=Slider("γ", np.linspace(0, 0.95, 20), fmt="{:.2f}"))``.
    """
    if not callable(draw):
        raise TypeError(f"draw: expected a function draw(fig, **params), got {type(draw).__name__}")
    if not sliders:
        raise ValueError("sliders: give at least one, e.g. gamma=Slider('γ', values)")
    for name, s in sliders.items():
        if not isinstance(s, Slider):
            raise TypeError(f"{name}: expected a Slider, got {type(s).__name__}")
    size = validate.array(figsize, "figsize", shape=(2,))
    if (size <= 0).any():
        raise ValueError(f"figsize: width and height must be positive, got {tuple(size)}")
    dpi = validate.positive_int(dpi, "dpi")
    if alt is not None and (not isinstance(alt, str) or not alt.strip()):
        raise ValueError(f"alt: expected a non-empty string describing the figure, got {alt!r}")
    n_frames = math.prod(len(s) for s in sliders.values())
    if n_frames > MAX_FRAMES:
        raise ValueError(f"sliders: {n_frames} frames (the product of the slider sizes) exceed {MAX_FRAMES}")
    try:
        inspect.signature(draw).bind(None, **sliders)
    except TypeError as e:
        raise TypeError(f"draw: cannot be called as draw(fig, {', '.join(f'{k}=...' for k in sliders)}): {e}") from None
    except ValueError:  # a builtin without a signature: let the first call tell
        pass
    return Interactive(draw, (float(size[0]), float(size[1])), dpi, dict(sliders), None if alt is None else alt.strip())
