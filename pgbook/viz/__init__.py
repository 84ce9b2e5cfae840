r"""Figures for the book: gridworld pictures and interactive figures.

Importing this package applies the book's matplotlib style, :data:`STYLE`: opaque white figure
and axes backgrounds, also when saving, because the book's dark mode makes transparent figures
unreadable.
"""

import matplotlib as _mpl

#: The book's matplotlib settings, applied once when :mod:`pgbook.viz` is imported.
STYLE = {
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "savefig.transparent": False,
}
_mpl.rcParams.update(STYLE)

from .grid import plot_grid  # noqa: E402  (after the style)
from .interactive import Interactive, Slider, interactive  # noqa: E402

__all__ = ["STYLE", "plot_grid", "Interactive", "Slider", "interactive"]
