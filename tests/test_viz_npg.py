"""The NPG convergence chapter's figures draw what they are given, and refuse bad input by name."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402

from pgbook.viz import npg as ratesviz  # noqa: E402


def test_gap_bands_draw_one_panel_per_setting_with_median_and_bound():
    T = np.arange(1, 11)
    gaps = np.vstack([1 / T, 2 / T, 3 / T])
    fig = Figure()
    axes = ratesviz.plot_gap_bands(fig, T, {"a": gaps, "b": 2 * gaps, "c": gaps}, {"a": 5 / T, "b": 6 / T, "c": 7 / T})
    assert len(axes) == 3 and [ax.get_title() for ax in axes] == ["a", "b", "c"]
    assert not fig.axes[3].axison  # the empty fourth panel of the 2 x 2 grid is hidden
    median = [line for line in axes[1].get_lines() if line.get_label() == "median"][0]
    np.testing.assert_allclose(median.get_ydata(), 4 / T)
    assert any(np.allclose(line.get_ydata(), 6 / T) for line in axes[1].get_lines())
    assert axes[0].get_xscale() == axes[0].get_yscale() == "log"


def test_gap_lines_floor_zero_gaps_and_say_which_line_is_the_bound(ax):
    t = np.arange(5.0)
    ratesviz.plot_gap_lines(ax, t, {"g": np.zeros(5)}, {"g": np.ones(5)}, ylabel="gap")
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), ratesviz.FLOOR)
    assert "its bound (dashed)" in [text.get_text() for text in ax.get_legend().get_texts()]


def test_scaling_plot_shows_the_fitted_slope(ax):
    x = np.array([10.0, 20.0, 40.0])
    ratesviz.plot_scaling(ax, x, 3 * x**2, xlabel="H", ylabel="T", bound=20 * x**2, bound_label="theorem")
    labels = [l.get_label() for l in ax.get_lines()]
    assert "fitted slope 2.00" in labels and "theorem" in labels
    fitted = ax.get_lines()[1]
    np.testing.assert_allclose(fitted.get_ydata(), 3 * x**2, rtol=1e-12)
    assert ax.get_xscale() == ax.get_yscale() == "log"


def test_draw_eta_tau_makes_two_panels():
    fig = Figure(figsize=(7, 3))
    t = np.arange(1, 6)
    g = 1.0 / t
    ratesviz.draw_eta_tau(fig, t, g, 2 * g, g, 2 * g, g, 0.5, eta=1.0, eta_used=0.5, tau=0.2, spi=True)
    assert len(fig.axes) == 2
    assert "soft PI" in fig.axes[1].get_title()
    top, bottom = fig.axes
    assert top.get_position().y0 > bottom.get_position().y1  # stacked, for a phone
    # The bottom panel's one bound is the soft-Q gap's, not the unregularised gap's (drawn beside it).
    assert "soft-Q bound" in [text.get_text() for text in bottom.get_legend().get_texts()]


def test_draw_eta_tau_keeps_its_legends_inside_the_figure():
    """At the chapter's size each legend lies below its panel (beside them, they squeezed the curves
    on a phone) and inside the PNG (one was cut off); the top panel shows AKLM's bound from t = 1."""
    fig = Figure(figsize=(5, 6.6))
    t = np.arange(1, 101)
    g = 1.0 / t
    ratesviz.draw_eta_tau(fig, t, g, 2 * g, g, 2 * g, g, 0.1, eta=1.0, eta_used=0.5, tau=0.1, spi=True)
    renderer = FigureCanvasAgg(fig).get_renderer()
    for ax in fig.axes:
        legend = ax.get_legend().get_window_extent(renderer)
        assert 0 <= legend.x0 and legend.x1 <= fig.bbox.width and legend.y0 >= 0
        assert legend.y1 <= ax.get_window_extent(renderer).y0  # below the curves, not beside them
    assert fig.axes[0].get_ylim()[1] >= 100  # the bound's 1/(1-γ)² at t = 1, γ = 0.9


def test_bad_input_is_refused_by_name(ax):
    T = np.arange(1, 4)
    with pytest.raises(ValueError, match="^gaps"):
        ratesviz.plot_gap_bands(Figure(), T, {"a": np.ones((2, 5))}, {"a": np.ones(3)})
    with pytest.raises(ValueError, match="^gaps, bounds"):
        ratesviz.plot_gap_bands(Figure(), T, {"a": np.ones((2, 3))}, {"b": np.ones(3)})
    with pytest.raises(ValueError, match="^outside"):
        ratesviz.plot_gap_lines(ax, T, {"a": np.ones(3)}, {}, ylabel="", outside="left")
    with pytest.raises(ValueError, match="^bounds"):
        ratesviz.plot_gap_lines(ax, T, {"a": np.ones(3)}, {"b": np.ones(3)}, ylabel="")
    with pytest.raises(ValueError, match="^y"):
        ratesviz.plot_scaling(ax, T, np.ones(2), xlabel="", ylabel="")
    with pytest.raises(ValueError, match="^bound"):
        ratesviz.plot_scaling(ax, T, np.ones(3), xlabel="", ylabel="", bound=np.ones(2))
