"""The book's figure defaults (pgbook.viz.style) and the readability of its gridworld pictures.

What a reader needs, measured on rendered figures: 2x inline PNGs in IPython, fonts no smaller
than the book's footnotes at the displayed size, colours that stay distinct under colour-vision
deficiencies, walls that cannot be mistaken for values near zero, cell numbers with enough contrast.
"""

import base64
import io
import itertools

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import Normalize, to_rgb  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.patches import FancyArrowPatch  # noqa: E402
from PIL import Image  # noqa: E402

import pgbook  # noqa: E402
from pgbook import envs, viz  # noqa: E402
from pgbook.viz import grid as vgrid  # noqa: E402
from pgbook.viz import style  # noqa: E402

TEXT_SIZES = ["font.size", "axes.titlesize", "axes.labelsize", "xtick.labelsize", "ytick.labelsize",
              "legend.fontsize", "figure.titlesize"]

# Machado, Oliveira and Fernandes (2009), severity 1.0, on linear RGB.
CVD = {
    "protanopia": np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "tritanopia": np.array([[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                            [0.004733, 0.691367, 0.303900]]),
}


def linear(rgb):
    c = np.asarray(rgb, dtype=float)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


@pytest.fixture
def fig():
    f = plt.figure(figsize=(4.5, 4.5))
    yield f
    plt.close(f)


def render(figure) -> np.ndarray:
    buf = io.BytesIO()
    figure.savefig(buf, format="png", dpi=100)
    return np.asarray(Image.open(buf).convert("RGB"), dtype=float) / 255


def test_importing_viz_applies_the_style():
    for key, value in style.STYLE.items():
        assert matplotlib.rcParams[key] == value, key
    assert [c["color"] for c in matplotlib.rcParams["axes.prop_cycle"]] == list(style.PALETTE.values())


def test_every_default_text_is_at_least_footnote_size():
    for key in TEXT_SIZES:
        assert float(matplotlib.rcParams[key]) >= style.MIN_FONT_SIZE, key
    # A column-wide figure is shown at about 100 px per inch: footnotes (about 13 px) need 9.4 pt.
    assert style.MIN_FONT_SIZE * 100 / 72 >= 13


def test_line_colours_stay_distinct_under_colour_vision_deficiencies():
    first = [to_rgb(c) for c in list(style.PALETTE.values())[:5]]
    for name, matrix in CVD.items():
        seen = [matrix @ linear(c) for c in first]
        closest = min(np.linalg.norm(a - b) for a, b in itertools.combinations(seen, 2))
        assert closest > 0.1, name
    # matplotlib's old default cycle fails this (blue and purple merge for a protanope), so the test can fail
    tab = [to_rgb(c) for c in ["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple"]]
    seen = [CVD["protanopia"] @ linear(c) for c in tab]
    assert min(np.linalg.norm(a - b) for a, b in itertools.combinations(seen, 2)) < 0.1


def test_inline_figures_in_ipython_are_twice_their_displayed_size():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        style.apply()
        figure = plt.figure(figsize=(style.FIGURE_WIDTH, 3.0))
        figure.add_subplot().plot([0, 1], [0, 1])
        data, metadata = shell.display_formatter.format(figure)
        plt.close(figure)
        png = base64.b64decode(data["image/png"]) if isinstance(data["image/png"], str) else data["image/png"]
        image = Image.open(io.BytesIO(png))
        shown = metadata["image/png"]
        assert abs(image.width - style.INLINE_SCALE * shown["width"]) <= 1
        assert abs(image.height - style.INLINE_SCALE * shown["height"]) <= 1
        assert shown["width"] >= 0.9 * style.FIGURE_WIDTH * matplotlib.rcParams["figure.dpi"]
        # The setting survives the inline backend's own activation, which resets the formats.
        from matplotlib_inline.config import InlineBackend

        assert InlineBackend.instance().figure_formats == {"retina"}
    finally:
        InteractiveShell.clear_instance()


def test_alt_text_reads_the_figures_titles_axes_and_legends():
    figure, (top, bottom) = plt.subplots(2, 1)
    figure.suptitle("two runs")
    top.plot([0, 1], [0, 1], label="uniform start")
    top.plot([0, 1], [1, 0], label=r"$\eta = 2$")
    top.set(title=r"gap, $\gamma = 0.9$", xlabel="iteration t", ylabel=r"$V^\star - V$")
    top.legend()
    bottom.set(xlabel="D")
    figure.legend(handles=top.lines[:1], labels=["measured"])
    try:
        assert style.alt_text(figure) == ("Figure: two runs. gap, γ = 0.9: V^* - V against iteration t "
                                         "(legend: uniform start; η = 2). D. Legend: measured.")
    finally:
        plt.close(figure)
    diagram, ax = plt.subplots()
    ax.axis("off")
    ax.text(0.2, 0.5, "start s₀\nstay")
    ax.text(0.8, 0.5, "goal")
    assert style.alt_text(diagram) == "Figure: start s₀ stay; goal."
    plt.close(diagram)
    blank = plt.figure()
    assert style.alt_text(blank) == "Figure."
    plt.close(blank)
    with pytest.raises(TypeError, match="fig"):
        style.alt_text("figure.png")


def test_alt_text_keeps_the_grouping_of_a_long_exponent():
    figure, ax = plt.subplots()
    ax.set(xlabel="H", ylabel=r"$(1/3)^{H/4}$, $\gamma^{k}$ and $V^{(T)}$")
    try:
        assert style.alt_text(figure) == "Figure: (1/3)^(H/4), γ^k and V^(T) against H."
    finally:
        plt.close(figure)


def test_inline_figures_in_ipython_carry_their_alt_text():
    """matplotlib-inline's display of a figure sends :func:`alt_text` in the PNG's metadata, next to
    its size (the book's build puts it on the image; without it the alt is the image's file name)."""
    pytest.importorskip("matplotlib_inline")
    from IPython.core.interactiveshell import InteractiveShell
    from matplotlib_inline import backend_inline

    shell = InteractiveShell.instance()
    try:
        style.apply()
        style.apply()  # idempotent: the metadata is wrapped once
        figure = plt.figure(figsize=(style.FIGURE_WIDTH, 3.0))
        figure.add_subplot().set(title="a value", xlabel="t", ylabel="V")
        data, metadata = shell.display_formatter.format(figure)
        from IPython.core.display_functions import _merge

        _merge(metadata, backend_inline._fetch_figure_metadata(figure))
        plt.close(figure)
        assert metadata["image/png"]["alt"] == "Figure: a value: V against t."
        assert {"width", "height"} <= set(metadata["image/png"])
        assert backend_inline._fetch_figure_metadata.adds_alt_text
        assert not getattr(backend_inline._fetch_figure_metadata.__closure__[0].cell_contents, "adds_alt_text", False)
    finally:
        InteractiveShell.clear_instance()


def test_walls_cannot_be_mistaken_for_values_near_zero(fig):
    mdp = envs.gridworld()
    ax = fig.add_subplot()
    viz.plot_grid(ax, mdp, np.zeros(mdp.S), annotate=False, vmin=0, vmax=1)
    pixels = render(fig)
    box = ax.get_window_extent()
    rows, cols = mdp.shape

    def cell(i, j):
        x0 = box.x0 + (j + 0.2) * box.width / cols
        x1 = box.x0 + (j + 0.8) * box.width / cols
        y0 = fig.bbox.height - box.y1 + (i + 0.2) * box.height / rows
        y1 = fig.bbox.height - box.y1 + (i + 0.8) * box.height / rows
        return pixels[int(y0):int(y1), int(x0):int(x1)].reshape(-1, 3)

    wall = cell(1, 1)
    zero = cell(2, 0)
    assert mdp.layout[1][1] == "#" and mdp.layout[2][0] == "."
    # the hatching makes a wall textured; a cell of value zero is one flat colour
    assert wall.std(axis=0).max() > 0.1 and zero.std(axis=0).max() < 0.01
    assert np.linalg.norm(wall.mean(axis=0) - zero.mean(axis=0)) > 0.5


def test_cell_numbers_contrast_with_their_cell_and_are_large_enough(fig):
    mdp = envs.gridworld()
    ax = fig.add_subplot()
    values = np.linspace(0, 1, mdp.S)
    image = viz.plot_grid(ax, mdp, values)
    norm, cmap = Normalize(*image.get_clim()), image.get_cmap()
    numbers = {t.get_text(): t for t in ax.texts if t.get_text() not in vgrid.MARK_COLOURS}
    assert len(numbers) == (~mdp.terminal).sum()  # (terminal cells are drawn neutral, with no number)
    for v in values[~mdp.terminal]:
        text = numbers[f"{v:.2f}"]
        assert vgrid.contrast_ratio(text.get_color(), cmap(norm(v))) >= 4.5
        assert text.get_fontsize() >= style.MIN_FONT_SIZE


def test_contrast_ratio_against_the_wcag_reference_values():
    assert vgrid.contrast_ratio("black", "white") == pytest.approx(21.0)
    assert vgrid.contrast_ratio("#777777", "white") == pytest.approx(4.48, abs=0.01)
    assert vgrid.text_colour("#440154") == "white" and vgrid.text_colour("#fde725") == "black"


def test_numbers_grow_with_the_cells_but_never_below_the_minimum():
    mdp = envs.gridworld()
    sizes = []
    for width in (2.0, 7.0):
        f = plt.figure(figsize=(width, width))
        ax = f.add_subplot()
        viz.plot_grid(ax, mdp, np.zeros(mdp.S))
        sizes.append(min(t.get_fontsize() for t in ax.texts))
        plt.close(f)
    assert sizes[0] == style.MIN_FONT_SIZE and sizes[1] > sizes[0]


def test_an_episode_shows_where_it_starts_where_it_ends_and_which_way_it_went(fig):
    mdp = envs.gridworld()
    ax = fig.add_subplot()
    cells = [(4, 0), (4, 1), (4, 1), (3, 2) if mdp.layout[3][2] != "#" else (4, 2), (4, 2)]
    episode = [mdp.cells.index(c) for c in cells]
    viz.plot_grid(ax, mdp, episode=episode)
    start, end = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert np.allclose(start.get_offsets()[0], [0, 4], atol=0.14)  # (x, y) = (column, row)
    assert np.allclose(end.get_offsets()[0], [2, 4], atol=0.14)
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    moves = sum(a != b for a, b in zip(episode, episode[1:]))
    assert len(arrows) == moves
    (x0, y0), (x1, y1) = arrows[0]._posA_posB  # matplotlib keeps no public getter for these
    assert x1 > x0 + 0.05 and abs(y1 - y0) < 0.2, "the first arrow points right, from (4, 0) to (4, 1)"


def test_highlighted_cells_are_outlined(fig):
    mdp = envs.gridworld()
    ax = fig.add_subplot()
    before = len(ax.patches)
    marked = np.zeros(mdp.S, dtype=bool)
    marked[[0, 5]] = True
    viz.plot_grid(ax, mdp, np.zeros(mdp.S), highlight=marked)
    outlines = [p for p in ax.patches[before:] if p.get_edgecolor()[:3] == to_rgb(style.PALETTE["orange"])]
    assert len(outlines) == 2


def test_discount_weights_mark_the_effective_horizon(fig):
    ax = fig.add_subplot()
    viz.plot_discount_weights(ax, 0.9, steps=50)
    coloured, grey = ax.patches  # the first H steps, then the rest
    assert coloured.get_facecolor()[:3] == to_rgb(style.PALETTE["blue"])
    heights, edges, _ = coloured.get_data()
    assert heights[:3] == pytest.approx([1.0, 0.9, 0.81]) and len(heights) == 10  # steps t < H = 10
    assert edges[0] == -0.5 and edges[-1] == 9.5
    rest, rest_edges, _ = grey.get_data()
    assert len(rest) == 41 and rest[0] == pytest.approx(0.9**10) and rest_edges[-1] == 50.5
    (line,) = ax.lines
    assert line.get_xdata()[0] == pytest.approx(10.0)
    # The legend names the three, above the axes (off the bars), and gives H.
    legend = ax.get_legend()
    texts = [t.get_text() for t in legend.get_texts()]
    assert len(texts) == 3 and "10.0 steps" in texts[2]
    fig.canvas.draw()
    box = legend.get_window_extent().transformed(ax.transAxes.inverted())
    assert box.y0 >= 0.99, "the legend sits above the axes, not over the bars"
    # Frames of a slider over gamma line up: the same limits for every gamma.
    other = fig.add_subplot(2, 1, 2)
    viz.plot_discount_weights(other, 0.99, steps=50)
    assert other.get_xlim() == ax.get_xlim() and other.get_ylim() == ax.get_ylim()


def test_an_episode_ends_where_it_first_enters_a_terminal_state_with_the_badges_clear_of_it(fig):
    """The end mark is the first terminal state entered (the absorbed steps after it are not drawn), and
    the S and G badges sit in their cells' corners, not under the path's start and end marks."""
    mdp = envs.gridworld()
    ax = fig.add_subplot()
    goal, left_of_goal = mdp.cells.index((0, 4)), mdp.cells.index((0, 3))
    start = int(np.flatnonzero(mdp.rho)[0])
    viz.plot_grid(ax, mdp, episode=[start, left_of_goal, goal, goal, goal])
    _, end = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert np.allclose(end.get_offsets()[0], [4, 0], atol=0.14)
    assert len(ax.lines[0].get_xdata()) == 3, "the path stops where the episode ended"
    badges = {t.get_text(): t.get_position() for t in ax.texts}
    for kind, (row, col) in (("G", (0, 4)), ("S", mdp.cells[start])):
        x, y = badges[kind]
        assert x < col - 0.3 and y < row - 0.3, f"the {kind} badge is in its cell's top-left corner"


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda ax: viz.plot_discount_weights(ax, 1.0), ValueError, "gamma"),
        (lambda ax: viz.plot_discount_weights(ax, 0.5, steps=0), ValueError, "steps"),
        (lambda ax: viz.plot_grid(ax, envs.gridworld(), highlight=[True]), ValueError, "highlight"),
        (lambda ax: viz.plot_grid(ax, envs.gridworld(), episode=[0, 99]), ValueError, "episode"),
        (lambda ax: viz.plot_grid(ax, envs.gridworld(), episode=[]), ValueError, "episode"),
        (lambda ax: viz.plot_grid(ax, envs.gridworld(), np.zeros(21), fmt=2), TypeError, "fmt"),
    ],
)
def test_bad_input_names_the_argument(fig, call, error, words):
    with pytest.raises(error, match=words):
        call(fig.add_subplot())


def test_a_policy_and_values_together_keep_the_marks_off_the_arrows(fig):
    mdp = envs.gridworld()
    ax = fig.add_subplot()
    viz.plot_grid(ax, mdp, np.zeros(mdp.S), pi=pgbook.greedy(pgbook.q_value(mdp, pgbook.uniform(mdp))))
    (start,) = [t for t in ax.texts if t.get_text() == "S"]
    i, j = mdp.cells[int(np.flatnonzero(mdp.rho)[0])]
    x, y = start.get_position()
    assert x < j - 0.2 and y < i - 0.2  # in the top-left corner, away from the centred arrow
