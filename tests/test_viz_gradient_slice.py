"""pgbook.viz.gradient_slice: the landscape drawn once, frames that only add the arrow and the bars, bad input."""

import io

import numpy as np
import pytest
from PIL import Image

from pgbook import viz
from pgbook.viz.gradient_slice import BAR_LENGTH, SLICE_RECT, GradientSlice

GRID = np.linspace(-2, 2, 21)
V = np.add.outer(GRID**2, -GRID)  # V[i, j] at (GRID[j], GRID[i])
LABELS = ["total", "immediate", "future"]


def make(**kw):
    return GradientSlice(GRID, GRID, V, LABELS, coordinates=("dx", "dy"), figsize=(5, 6), dpi=80, **kw)


def test_frames_differ_only_by_their_arrow_and_bars():
    landscape = make(xlabel="x", ylabel="y", title="t")
    assert landscape.background.shape == (960, 800, 3)  # drawn at twice dpi, like the frames

    def draw(fig, x):
        p = np.array([x, 0.0])
        landscape.draw(fig, p, (0.5, 0.25 * x), {"immediate": (0.5, 0.0), "future": (0.0, 0.25 * x)})

    figure = viz.interactive(draw, figsize=(5, 6), dpi=80, x=viz.Slider("x", [-1.0, 1.0]))
    a, b = (np.asarray(Image.open(io.BytesIO(figure.render((i,)))).convert("RGB")) for i in range(2))
    assert a.shape == b.shape == landscape.background.shape
    changed = np.any(a != b, axis=2)
    assert 0 < changed.mean() < 0.05  # the arrow, the point and the bars moved; contour lines and text did not
    assert np.any(a != landscape.background)


def test_a_small_part_keeps_its_own_bar():
    """The tutorial's recursion: a part a hundred times smaller than the other still shows, with its value."""
    from matplotlib.figure import Figure

    landscape = make()
    fig = Figure(figsize=(5, 6), dpi=80)
    landscape.draw(fig, (0.0, 0.0), (0.505, 1.0), {"immediate": (0.005, 0.0), "future": (0.5, 1.0)})
    bars = fig.axes[-1]
    widths = sorted(abs(p.get_width()) for p in bars.patches if p.get_width() != 0)
    assert widths[0] == pytest.approx(BAR_LENGTH * 0.005)
    assert "+0.005" in [t.get_text() for t in bars.texts]


def test_the_sign_change_is_drawn_once_where_the_quantity_is_zero():
    """The dashed line sits in the background, where the quantity changes sign (here the line x = 0.5),
    and its name in the legend."""
    plain = make()
    marked = make(sign_change=np.add.outer(0 * GRID, GRID - 0.5), sign_change_label="zero")
    changed = np.any(plain.background != marked.background, axis=2)
    assert 0 < changed.mean() < 0.05
    left, bottom, width, height = SLICE_RECT[0] * 800, SLICE_RECT[1] * 960, SLICE_RECT[2] * 800, SLICE_RECT[3] * 960
    middle = round(960 - bottom - height / 2)  # the slice's middle rows (a dash may skip one)
    x_pixel = np.median(np.flatnonzero(changed[middle - 20:middle + 20, : round(left + width)].any(axis=0)))
    side = min(width, height)  # the slice's square axes, centred in its box
    centre = left + width / 2
    assert changed[round(960 - bottom):, :].any()  # the legend's entry for the line, under the slice
    assert abs(x_pixel - (centre + side * 0.5 / 4)) < 6


def test_bad_input():
    with pytest.raises(ValueError, match="V: expected shape"):
        GradientSlice(GRID, GRID, V[:, :-1], LABELS)
    with pytest.raises(ValueError, match="x: expected at least 2 increasing values"):
        GradientSlice(GRID[::-1], GRID, V, LABELS)
    with pytest.raises(TypeError, match="labels"):
        GradientSlice(GRID, GRID, V, "total")
    with pytest.raises(ValueError, match="labels: expected the total and 1 to"):
        GradientSlice(GRID, GRID, V, list("abcdef"))
    with pytest.raises(TypeError, match="coordinates"):
        GradientSlice(GRID, GRID, V, LABELS, coordinates="xy")
    with pytest.raises(ValueError, match="sign_change: expected shape"):
        GradientSlice(GRID, GRID, V, LABELS, sign_change=V[:-1])
    with pytest.raises(ValueError, match="sign_change: its sign does not change"):
        GradientSlice(GRID, GRID, V, LABELS, sign_change=1 + V - V.min())
    landscape = make()
    from matplotlib.figure import Figure

    with pytest.raises(ValueError, match="parts: unknown labels"):
        landscape.draw(Figure(figsize=(5, 6), dpi=80), (0, 0), (1, 1), {"other": (1, 1)})
    with pytest.raises(ValueError, match=r"fig: expected figsize \(5.0, 6.0\)"):
        landscape.draw(Figure(figsize=(6, 3), dpi=80), (0, 0), (1, 1), {})
    with pytest.raises(ValueError, match="parts\\['future'\\]: expected shape"):
        landscape.draw(Figure(figsize=(5, 6), dpi=80), (0, 0), (1, 1), {"future": (1, 1, 1)})
    with pytest.raises(TypeError, match="parts"):
        landscape.draw(Figure(figsize=(5, 6), dpi=80), (0, 0), (1, 1), [(1, 1)])
