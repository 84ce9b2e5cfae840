"""The estimation figures draw what they are given, and refuse inconsistent input by name."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from pgbook.viz import estimation as ve  # noqa: E402


def test_estimates_show_every_coordinate(ax):
    exact = np.arange(6.0).reshape(2, 3)
    ve.plot_estimates(ax, exact, exact + 0.1, np.full((2, 3), 0.05))
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["0,0", "0,1", "0,2", "1,0", "1,1", "1,2"]
    np.testing.assert_array_equal(ax.collections[0].get_offsets()[:, 1], exact.ravel())


def test_estimates_refuse_bad_input(ax):
    with pytest.raises(ValueError, match="mean"):
        ve.plot_estimates(ax, np.zeros(3), np.zeros(4), np.zeros(3))
    with pytest.raises(ValueError, match="stderr"):
        ve.plot_estimates(ax, np.zeros(3), np.zeros(3), -np.ones(3))
    with pytest.raises(ValueError, match="labels"):
        ve.plot_estimates(ax, np.zeros(3), np.zeros(3), np.zeros(3), labels=["a"])


def test_error_rate_draws_the_prediction_on_log_axes(ax):
    n = np.array([10.0, 100.0, 1000.0])
    ve.plot_error_rate(ax, n, 2.0 / np.sqrt(n), 2.0)
    assert ax.get_xscale() == ax.get_yscale() == "log"
    line = ax.lines[0]
    np.testing.assert_allclose(line.get_ydata(), 2.0 / np.sqrt(line.get_xdata()))
    with pytest.raises(ValueError, match="rms"):
        ve.plot_error_rate(ax, n, np.ones(2), 1.0)
    with pytest.raises(ValueError, match="positive"):
        ve.plot_error_rate(ax, n, np.zeros(3), 1.0)


def test_histograms_share_bins_and_mark_the_mean(ax):
    rng = np.random.default_rng(0)
    ve.plot_sample_histograms(ax, {"a": rng.normal(size=500), "b": 3 * rng.normal(size=500)}, 0.0)
    assert ax.lines[0].get_xdata()[0] == 0.0
    with pytest.raises(ValueError, match="samples"):
        ve.plot_sample_histograms(ax, {}, 0.0)


def test_truncation_bias_reference_line_has_slope_gamma(ax):
    H = np.arange(1, 11)
    ve.plot_truncation_bias(ax, H, 0.5**H, 2 * 0.5**H, 0.5)
    ref = ax.lines[2].get_ydata()
    np.testing.assert_allclose(ref[1:] / ref[:-1], 0.5)
    with pytest.raises(ValueError, match="bound"):
        ve.plot_truncation_bias(ax, H, 0.5**H, np.ones(3), 0.5)


def test_small_pi_marks_the_current_logit():
    x = np.arange(-4.0, 2.01, 1.0)
    p = np.exp(x) / (np.exp(x) + 2)
    fig = Figure()
    ve.plot_small_pi(fig, x, p, 0.7 * (1 - p), 0.7 * p * (1 - p), 0.01 / np.sqrt(p), current=-1.0)
    left, right = fig.axes
    assert left.lines[-1].get_xdata()[0] == -1.0  # the vertical marker
    assert "π = " + f"{p[3]:.4f}" in left.get_title()
    with pytest.raises(ValueError, match="current"):
        ve.plot_small_pi(Figure(), x, p, p, p, p, current=0.5)
    with pytest.raises(ValueError, match="grad"):
        ve.plot_small_pi(Figure(), x, p, p, -p, p, current=-1.0)
