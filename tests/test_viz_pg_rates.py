"""pgbook.viz.pg_rates.plot_gaps: what it draws (data, log-axis filtering, styles) and its validation."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from pgbook.viz.pg_rates import COLORS, plot_gaps  # noqa: E402


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
