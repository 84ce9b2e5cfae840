"""pgbook.viz.softmax_pg.plot_gaps: what it draws (data, log-axis filtering, styles) and its validation."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from pgbook.viz.softmax_pg import COLORS, plot_gaps  # noqa: E402


def axes():
    return Figure().add_subplot()


def test_draws_each_curve_and_its_bound_dashed_in_the_same_colour():
    ax = axes()
    t = np.arange(1, 11.0)
    lines = plot_gaps(ax, {"a": (t, 1 / t), "b": (t, 2 / t)}, {"bound a": (t, 5 / t)})
    assert [line.get_label() for line in lines] == ["a", "b"]
    assert np.array_equal(lines[0].get_xdata(), t) and np.allclose(lines[1].get_ydata(), 2 / t)
    dashed = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert len(dashed) == 1 and dashed[0].get_color() == COLORS[0] == lines[0].get_color()
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"


def test_log_axes_drop_non_positive_points_and_linear_axes_keep_them():
    t = np.arange(0, 5.0)
    y = np.array([1.0, 0.5, 0.0, 0.25, -1.0])
    (line,) = plot_gaps(axes(), {"g": (t, y)})
    assert np.array_equal(line.get_xdata(), [1.0, 3.0])
    (line,) = plot_gaps(axes(), {"g": (t, y)}, logx=False, logy=False)
    assert np.array_equal(line.get_ydata(), y)


@pytest.mark.parametrize("args, error, match", [
    (("not axes", {"a": ([1], [1])}), TypeError, "ax"),
    ((None, {}), ValueError, "curves"),
    ((None, {"a": ([1, 2], [1])}), ValueError, "curves"),
    ((None, {"a": ([1], [1])}, [1]), TypeError, "bounds"),
])
def test_validation(args, error, match):
    args = (axes(),) + args[1:] if args[0] is None else args
    with pytest.raises(error, match=match):
        plot_gaps(*args)


def test_plot_scaling_draws_points_and_the_fitted_power_law():
    from pgbook.viz.softmax_pg import plot_scaling

    ax = axes()
    x = np.array([1.0, 10.0, 100.0])
    b = plot_scaling(ax, x, 3 / x, label="data", xlabel="x", ylabel="y")
    assert b == pytest.approx(-1.0)
    points, fit = ax.get_lines()
    assert np.array_equal(points.get_xdata(), x) and fit.get_linestyle() == ":"
    assert np.allclose(fit.get_ydata(), 3 / np.array([1.0, 100.0]))
    assert fit.get_label() == "fitted slope -1.00" and points.get_color() == COLORS[0]
    # the fitted line on top of the hollow markers, in a colour that stands out from theirs
    assert points.get_markerfacecolor() == "none" and fit.get_zorder() > points.get_zorder()
    assert fit.get_color() not in COLORS
    plot_scaling(ax, x, x**0.5, label="second")
    assert ax.get_lines()[2].get_color() == COLORS[1] and ax.get_lines()[3].get_linestyle() == "-."
    assert ax.get_xlabel() == "x"
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"


@pytest.mark.parametrize("args, error, match", [
    (("not axes", [1, 2], [1, 2]), TypeError, "ax"), ((None, [1, 2], [1]), ValueError, "y"),
    ((None, [1, 2], [1, -1]), ValueError, "positive"),
])
def test_plot_scaling_validation(args, error, match):
    from pgbook.viz.softmax_pg import plot_scaling

    args = (axes(),) + args[1:] if args[0] is None else args
    with pytest.raises(error, match=match):
        plot_scaling(*args, label="a")
