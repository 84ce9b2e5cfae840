r"""Figures for the book: the house style, gridworld pictures, discount weights, interactive figures.

Importing this package applies the book's figure style (:mod:`pgbook.viz.style`): readable font
sizes at the displayed size, the colour-blind-safe Okabe–Ito palette, opaque white backgrounds
(the book's dark mode makes transparent figures unreadable), and, in IPython, inline figures as
PNGs at twice the displayed resolution. Every chapter gets this look by importing ``pgbook.viz``.
"""

from . import style
from .style import PALETTE, STYLE

style.apply()

from .discount import plot_discount_weights  # noqa: E402  (after the style)
from .grid import plot_grid  # noqa: E402
from .interactive import Interactive, Slider, interactive  # noqa: E402
from .table import table  # noqa: E402

__all__ = ["PALETTE", "STYLE", "plot_grid", "plot_discount_weights", "Interactive", "Slider", "interactive", "table"]
