"""The approximation chapter's figure shows what it is given, and refuses bad input by name."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from pgbook.viz import approximation as apxviz  # noqa: E402

LAMS = np.array([0.0, 0.5, 1.0])
CURVES = np.array([[np.linspace(0.1, v, 5) for v in (0.2, 0.5, 0.7)], [np.full(5, 0.3)] * 3])
KAPPAS = [[np.inf, 2.0, 1.0], [1.0, 1.0, 1.0]]
BIASES = [[0.1, 0.0, 0.0], [0.08, 0.09, 0.1]]


def test_draws_one_curve_per_feature_map_at_the_chosen_mixture():
    fig = Figure()
    apxviz.draw_coverage(fig, LAMS, CURVES, 0.8, KAPPAS, BIASES, 0.5, ("a", "b"))
    ax = fig.axes[0]
    assert np.allclose(ax.lines[0].get_ydata(), CURVES[0][1])
    assert np.allclose(ax.lines[1].get_ydata(), 0.3)
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts[0].startswith(r"a: $\kappa$ = 2") and "0.5" in ax.get_title()
    fig0 = Figure()
    apxviz.draw_coverage(fig0, LAMS, CURVES, 0.8, KAPPAS, BIASES, 0.0, ("a", "b"))
    assert r"$\kappa$ = $\infty$" in fig0.axes[0].get_legend().get_texts()[0].get_text()


def test_rejects_bad_input():
    with pytest.raises(ValueError, match="omega"):
        apxviz.draw_coverage(Figure(), LAMS, CURVES, 0.8, KAPPAS, BIASES, 0.25, ("a", "b"))
    with pytest.raises(ValueError, match="labels"):
        apxviz.draw_coverage(Figure(), LAMS, CURVES, 0.8, KAPPAS, BIASES, 0.5, ("a",))
    with pytest.raises(ValueError, match="curves"):
        apxviz.draw_coverage(Figure(), LAMS[:2], CURVES, 0.8, KAPPAS, BIASES, 0.5, ("a", "b"))


def test_plot_rate_draws_the_reference_and_the_measured_points():
    fig = Figure()
    ax = fig.add_subplot(1, 1, 1)
    x = np.array([10.0, 100.0, 1000.0])
    apxviz.plot_rate(ax, x, 1 / x, 2 / np.sqrt(x), slope=-1.0, label="gap", reference_label="bound",
                     xlabel="T", ylabel="gap", title="t")
    assert np.allclose(ax.lines[0].get_ydata(), 2 / np.sqrt(x)) and np.allclose(ax.lines[1].get_ydata(), 1 / x)
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts == ["bound", "gap, fitted slope -1.00"] and ax.get_xscale() == "log"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["10", "100", "1,000"]
    ax = Figure().add_subplot(1, 1, 1)
    x = 1600.0 * 2 ** np.arange(6)
    apxviz.plot_rate(ax, x, 1 / x, 2 / np.sqrt(x), slope=-1.0, label="gap", reference_label="bound", xlabel="T",
                     ylabel="gap")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1.6k", "3.2k", "6.4k", "12.8k", "25.6k", "51.2k"]
    with pytest.raises(ValueError, match="positive"):
        apxviz.plot_rate(ax, x, -x, x, slope=1.0, label="a", reference_label="b", xlabel="x", ylabel="y")
    with pytest.raises(ValueError, match="shapes"):
        apxviz.plot_rate(ax, x, x[:2], x, slope=1.0, label="a", reference_label="b", xlabel="x", ylabel="y")


def test_plot_stat_grid_draws_one_line_per_coverage_and_the_ceiling():
    ax = Figure().add_subplot(1, 1, 1)
    gaps = np.array([[0.3, 0.28, 0.25], [0.2, 0.18, 0.1]])
    products = np.array([[3.0, 2.0, 1.0], [0.3, 0.2, 0.1]])
    apxviz.plot_stat_grid(ax, (25, 50, 100), (0.01, 0.1), gaps, products, ceiling=0.337)
    assert np.allclose(ax.lines[0].get_xdata(), products[0]) and np.allclose(ax.lines[1].get_ydata(), gaps[1])
    assert np.allclose(ax.lines[2].get_ydata(), 0.337) and ax.get_xscale() == "log"
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts == [r"$\omega$ = 0.01", r"$\omega$ = 0.1", "uniform policy's gap"]
    assert ax.get_title() == "each line, left to right: N = 100, 50, 25"
    with pytest.raises(ValueError, match="gaps, kappa_eps"):
        apxviz.plot_stat_grid(ax, (25, 50), (0.01, 0.1), gaps, products, ceiling=0.3)
    with pytest.raises(ValueError, match="kappa_eps"):
        apxviz.plot_stat_grid(ax, (25, 50, 100), (0.01, 0.1), gaps, -products, ceiling=0.3)


def test_plot_curvature_draws_both_quantities_and_the_start_line():
    fig = Figure()
    top, bottom = fig.add_subplot(2, 1, 1), fig.add_subplot(2, 1, 2)
    t = np.array([0, 20, 40])
    apxviz.plot_curvature((top, bottom), t, [1.9, 4.0, 6.0], [2.4, 3.0, 4.0], 1.9)
    assert np.allclose(top.lines[0].get_ydata(), [1.9, 4.0, 6.0]) and np.allclose(top.lines[1].get_ydata(), 1.9)
    assert np.allclose(bottom.lines[0].get_ydata(), [2.4, 3.0, 4.0])
    assert "1.9" in top.get_legend().get_texts()[1].get_text()
    with pytest.raises(ValueError, match="shapes"):
        apxviz.plot_curvature((top, bottom), t, [1.0, 2.0], [1.0, 2.0, 3.0], 1.0)


def test_plot_corridor_marks_the_best_p_and_the_tabular_optimum():
    ax = Figure().add_subplot(1, 1, 1)
    ps = np.linspace(0.05, 0.95, 19)
    values = (2 * ps - 4) / (ps * (1 - ps))
    apxviz.plot_corridor(ax, ps, values, p_star=2 - np.sqrt(2), tabular=-3.0, marked=[(0.95, -44.2, "greedy")])
    assert np.allclose(ax.lines[0].get_ydata(), values) and np.allclose(ax.lines[1].get_ydata(), -3.0)
    assert ax.lines[2].get_xdata()[0] == pytest.approx(2 - np.sqrt(2))
    assert ax.lines[2].get_ydata()[0] == pytest.approx(-(6 + 4 * np.sqrt(2)), abs=0.05)
    assert [t.get_text() for t in ax.texts] == ["greedy"]
    with pytest.raises(ValueError, match="ps"):
        apxviz.plot_corridor(ax, np.array([0.0, 0.5]), np.array([-1.0, -12.0]), p_star=0.5, tabular=-3.0)
