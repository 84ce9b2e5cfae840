"""pgbook.viz.landscape: the slice figure draws what it is given, and rejects bad shapes."""

import numpy as np
import pytest
from matplotlib.figure import Figure

from pgbook.viz.landscape import plot_slice


def test_plot_slice_draws_the_diagonal_and_its_chord():
    x = np.linspace(-1, 1, 5)
    values = np.outer(x**2, np.ones(5)) / 2  # values[j, i] = y_j^2 / 2
    fig = Figure()
    plot_slice(fig, x, x, values, xlabel="x", ylabel="y")
    ax_c, ax_d = fig.axes[0], fig.axes[1]
    lines = {line.get_label(): line for line in ax_d.get_lines()}
    np.testing.assert_allclose(lines["V / V* on the diagonal"].get_ydata(), x**2 / 2)
    np.testing.assert_allclose(lines["chord"].get_ydata(), np.full(5, 0.5))
    assert ax_c.get_xlabel() == "x"
    assert ax_c.get_position().y0 > ax_d.get_position().y1  # stacked, for a phone


def test_plot_slice_on_a_log_scale_shows_the_depth_of_a_flat_region():
    x = np.linspace(-1, 1, 5)
    values = 10.0 ** np.outer(np.linspace(-20, 0, 5), np.ones(5))
    fig = Figure()
    plot_slice(fig, x, x, values, xlabel="x", ylabel="y", log_floor=-12)
    colour_bar = fig.axes[-1]
    assert "log" in colour_bar.get_ylabel()
    assert min(colour_bar.get_ylim()) == -12  # values below 1e-12 share the lowest band


def test_plot_slice_validation():
    x = np.linspace(0, 1, 4)
    with pytest.raises(ValueError, match="y:"):
        plot_slice(Figure(), x, x[:3], np.zeros((4, 4)), xlabel="x", ylabel="y")
    with pytest.raises(ValueError, match="values"):
        plot_slice(Figure(), x, x, np.zeros((3, 4)), xlabel="x", ylabel="y")
    with pytest.raises(ValueError, match="log_floor"):
        plot_slice(Figure(), x, x, np.zeros((4, 4)), xlabel="x", ylabel="y", log_floor=2)
