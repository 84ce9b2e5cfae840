"""pgbook.viz.gradient_slice: the landscape drawn once, frames that only add arrows, bad input."""

import io

import numpy as np
import pytest
from PIL import Image

from pgbook import viz
from pgbook.viz.gradient_slice import GradientSlice

GRID = np.linspace(-2, 2, 21)
V = np.add.outer(GRID**2, -GRID)  # V[i, j] at (GRID[j], GRID[i])
LABELS = ["total", "immediate", "future"]


def make(**kw):
    return GradientSlice(GRID, GRID, V, LABELS, figsize=(5, 3), dpi=80, **kw)


def test_frames_differ_only_by_their_arrows():
    landscape = make(xlabel="x", ylabel="y", title="t")
    assert landscape.background.shape == (480, 800, 3)  # drawn at twice dpi, like the frames

    def draw(fig, x):
        p = np.array([x, 0.0])
        landscape.draw(fig, p, {"total": [p, (0.5, 0.25)], "future": [p + 0.5, (0.0, -0.25)]}, note=f"x = {x}")

    figure = viz.interactive(draw, figsize=(5, 3), dpi=80, x=viz.Slider("x", [-1.0, 1.0]))
    a, b = (np.asarray(Image.open(io.BytesIO(figure.render((i,)))).convert("RGB")) for i in range(2))
    assert a.shape == b.shape == landscape.background.shape
    changed = np.any(a != b, axis=2)
    assert 0 < changed.mean() < 0.05  # the arrows and the point moved; contour lines, text and legend did not
    assert np.any(a != landscape.background)


def test_bad_input():
    with pytest.raises(ValueError, match="V: expected shape"):
        GradientSlice(GRID, GRID, V[:, :-1], LABELS)
    with pytest.raises(ValueError, match="x: expected at least 2 increasing values"):
        GradientSlice(GRID[::-1], GRID, V, LABELS)
    with pytest.raises(TypeError, match="labels"):
        GradientSlice(GRID, GRID, V, "total")
    with pytest.raises(ValueError, match="labels: at most"):
        GradientSlice(GRID, GRID, V, list("abcdef"))
    landscape = make()
    from matplotlib.figure import Figure

    with pytest.raises(ValueError, match="arrows: unknown labels"):
        landscape.draw(Figure(figsize=(5, 3), dpi=80), (0, 0), {"other": [(0, 0), (1, 1)]})
    with pytest.raises(ValueError, match=r"fig: expected figsize \(5.0, 3.0\)"):
        landscape.draw(Figure(figsize=(6, 3), dpi=80), (0, 0), {"total": [(0, 0), (1, 1)]})
    with pytest.raises(ValueError, match="arrows\\['total'\\]: expected a 2-d array"):
        landscape.draw(Figure(figsize=(5, 3), dpi=80), (0, 0), {"total": (1, 1)})
    with pytest.raises(TypeError, match="note"):
        landscape.draw(Figure(figsize=(5, 3), dpi=80), (0, 0), {}, note=1)
