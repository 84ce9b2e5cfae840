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

Colours are colour-blind safe: lines cycle through the Okabe–Ito palette :data:`PALETTE`
(Okabe and Ito, *Color Universal Design*, 2008), and values use ``viridis``, which is perceptually
uniform and readable under the common colour-vision deficiencies. Backgrounds are opaque white,
also when saved, because the book's dark mode would make transparent figures unreadable.
"""

from __future__ import annotations

import warnings

import matplotlib as mpl
from cycler import cycler

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


def apply() -> None:
    """Apply :data:`STYLE` and, in IPython, show inline figures as 2x PNGs.

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
