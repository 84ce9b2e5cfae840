r"""The book's house style for figures: one look for every chapter, applied on import of :mod:`pgbook.viz`.

A figure is shown at 100 px per inch up to the width of the text column (about 690 px at a 1280 px
window, 358 px on a 390 px phone, where a wider figure is scaled down to the column). So a figure
is drawn at most :data:`MAX_FIGURE_WIDTH` inches wide, :data:`FIGURE_WIDTH` by default, and a
figure with more than one panel stacks them when side by side they would not fit: at 5.5 inches a
phone shows the figure at 65% of its size, and its smallest text, :data:`MIN_FONT_SIZE` points
(about 15 px on a desktop), is still 10 px tall there. :data:`STYLE` keeps every text at least that
size; tick labels are the smallest text.

Inline figures in IPython (the book's build, JupyterLab, Binder, Colab) are PNGs at twice the
displayed resolution ("retina": the image carries half its pixel size as its display size), so
they stay crisp on high-density screens and when zoomed.

Every inline figure carries a text alternative, :func:`alt_text`: its titles, what each panel plots
against what, and its legend's entries. IPython sends it in the output's metadata
(``{"image/png": {"alt": ...}}``), and the book's build puts it in the image's ``alt`` (a screen
reader, or a reader whose image did not load, otherwise gets the image's file name).

Colours are colour-blind safe: lines cycle through the Okabe–Ito palette :data:`PALETTE`
(Okabe and Ito, *Color Universal Design*, 2008), and values use ``viridis``, which is perceptually
uniform and readable under the common colour-vision deficiencies. Backgrounds are opaque white,
also when saved, because the book's dark mode would make transparent figures unreadable.
"""

from __future__ import annotations

import re
import warnings

import matplotlib as mpl
from cycler import cycler
from matplotlib.figure import Figure

#: Okabe–Ito colours by name, in the order lines cycle through them.
PALETTE = {
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "green": "#009E73",
    "orange": "#E69F00",
    "purple": "#CC79A7",
    "sky": "#56B4E9",
    "yellow": "#F0E442",
    "black": "#000000",
}

#: Width in inches of a figure of one panel.
FIGURE_WIDTH = 5.0
#: The widest a figure may be drawn, in inches: wider, its text shrinks below 10 px on a phone.
MAX_FIGURE_WIDTH = 5.5
#: The smallest font size, in points, that any text of a figure may have.
MIN_FONT_SIZE = 11.0
#: The colour map for values (e.g. :math:`V^\pi` on a gridworld).
VALUE_CMAP = "viridis"
#: Pixels per displayed pixel of inline figures.
INLINE_SCALE = 2

#: The book's matplotlib settings, applied when :mod:`pgbook.viz` is imported.
STYLE = {
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "savefig.transparent": False,
    "figure.figsize": [FIGURE_WIDTH, 3.4],
    "figure.dpi": 100,
    "figure.constrained_layout.use": True,
    "font.size": 12.0,
    "axes.titlesize": 12.0,
    "axes.labelsize": 12.0,
    "xtick.labelsize": 11.0,
    "ytick.labelsize": 11.0,
    "legend.fontsize": 11.0,
    "legend.title_fontsize": 11.0,
    "figure.titlesize": 12.0,
    "axes.prop_cycle": cycler(color=list(PALETTE.values())),
    "image.cmap": VALUE_CMAP,
    "lines.linewidth": 2.0,
    "lines.markersize": 6.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
}


#: Mathtext commands in titles and labels, as a screen reader should read them.
_TEX_WORDS = {
    r"\gamma": "γ", r"\eta": "η", r"\mu": "μ", r"\rho": "ρ", r"\pi": "π", r"\theta": "θ", r"\lambda": "λ",
    r"\tau": "τ", r"\epsilon": "ε", r"\varepsilon": "ε", r"\Delta": "Δ", r"\nabla": "∇", r"\star": "*",
    r"\infty": "∞", r"\le": "≤", r"\ge": "≥", r"\cdot": "·", r"\|": "‖", r"\,": " ", r"\log": "log",
}


def _plain(text: str) -> str:
    """A title or label without mathtext markup: ``$\\eta = 2$`` reads ``η = 2``."""
    if "$" in text:
        text = re.sub(r"\\(?:mathcal|mathrm|mathbf|operatorname|text)\{([^{}]*)\}", r"\1", text)
        text = re.sub(r"\\[A-Za-z]+|\\.", lambda m: _TEX_WORDS.get(m.group(0), m.group(0)[1:]), text)
        # A script of more than one character keeps its grouping: (1/3)^{H/4} is not (1/3)^H/4.
        text = re.sub(r"([\^_])\{([^{}]{2,})\}",
                      lambda m: m[1] + (m[2] if m[2].startswith("(") and m[2].endswith(")") else f"({m[2]})"), text)
        text = text.replace("$", "").replace("{", "").replace("}", "")
    return " ".join(text.split())


def alt_text(fig: Figure) -> str:
    """A text alternative for ``fig``: what a reader who cannot see it should know it shows.

    It is built from the figure's own words: the figure's title, then for each panel its title,
    "y against x" from its axis labels, and the entries of its legend, then those of the figure's
    own legend, e.g. ``"Figure: softmax policy gradient on the chain, H = 3: V(t) / V* against
    iteration t + 1 (legend: uniform start; bad start)."``. Mathtext is read as text (``$\\gamma$``
    as ``γ``). A panel with none of these is read by the texts drawn on it (a diagram); one with no
    words at all (an inset, a colour bar without a label) adds nothing.
    """
    if not isinstance(fig, Figure):
        raise TypeError(f"fig: expected a matplotlib Figure, got {type(fig).__name__}")

    def entries(legends) -> str:
        texts = (_plain(t.get_text()) for legend in legends if legend is not None for t in legend.get_texts())
        return "; ".join(t for t in texts if t)

    panels = []
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        title = _plain(" ".join(t for t in (ax.get_title("left"), ax.get_title(), ax.get_title("right")) if t))
        x, y = _plain(ax.get_xlabel()), _plain(ax.get_ylabel())
        axes = f"{y} against {x}" if x and y else y or x
        words = ": ".join(w for w in (title, axes) if w)
        legend = entries([ax.get_legend()])
        if legend:
            words = f"{words} (legend: {legend})" if words else f"legend: {legend}"
        if not words:  # a diagram: the words it is drawn with
            words = "; ".join(filter(None, (_plain(t.get_text()) for t in ax.texts if t.get_visible())))
        if words:
            panels.append(words)
    suptitle = getattr(fig, "_suptitle", None)
    head = _plain(suptitle.get_text()) if suptitle is not None else ""
    legend = entries(fig.legends)
    body = ". ".join(filter(None, [head, *panels, legend and f"Legend: {legend}"]))
    return f"Figure: {body}." if body else "Figure."


def apply() -> None:
    """Apply :data:`STYLE` and, in IPython, show inline figures as 2x PNGs with their :func:`alt_text`.

    Idempotent. Outside IPython only the matplotlib settings change.
    """
    mpl.rcParams.update(STYLE)
    _inline_retina()


def _inline_retina() -> None:
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return
    try:
        from IPython.core.pylabtools import select_figure_formats
        from matplotlib_inline.config import InlineBackend
    except ImportError:  # an IPython without the inline backend (no Jupyter kernel)
        return

    # The inline backend re-selects its configured formats when it is first activated (on the first
    # pyplot import), so set the configuration, not only the formatter that is active now.
    config = InlineBackend.instance(parent=shell)
    if config.figure_formats != {"retina"}:
        with warnings.catch_warnings():
            # matplotlib-inline's handler uses a traitlets API that warns when it runs; harmless.
            warnings.simplefilter("ignore", DeprecationWarning)
            config.figure_formats = {"retina"}
    select_figure_formats(shell, {"retina"}, **config.print_figure_kwargs)
    _inline_alt_text()


def _inline_alt_text() -> None:
    """Send each inline figure's :func:`alt_text` in its output's metadata.

    matplotlib-inline shows a figure with ``display(fig, metadata=_fetch_figure_metadata(fig))``, and
    IPython merges that metadata into the PNG's own (its width and height): the one place every
    inline figure passes, whichever formats are selected later. Without that function (another
    backend) figures go out as before, without an alt text.
    """
    try:
        from matplotlib_inline import backend_inline
    except ImportError:
        return
    fetch = getattr(backend_inline, "_fetch_figure_metadata", None)
    if fetch is None or getattr(fetch, "adds_alt_text", False):
        return

    def fetch_with_alt(fig):
        metadata = fetch(fig) or {}
        try:
            alt = alt_text(fig)
        except Exception:  # noqa: BLE001  (a figure must show even if its description fails)
            return metadata or None
        return {**metadata, "image/png": {"alt": alt}}

    fetch_with_alt.adds_alt_text = True
    backend_inline._fetch_figure_metadata = fetch_with_alt
