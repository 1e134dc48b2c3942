"""Tests of `chainrule.plot`, the standard-library SVG plotter."""

from __future__ import annotations

import math
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from chainrule.plot import PALETTE, Figure, ImageGrid, image_grid

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    """The SVG as an XML tree (fails the test if it is not well-formed)."""
    return ET.fromstring(svg)


def find_all(root: ET.Element, tag: str) -> list[ET.Element]:
    return list(root.iter(SVG + tag))


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in find_all(root, "text")]


def loss_figure() -> Figure:
    fig = Figure(title="Loss", xlabel="step", ylabel="loss", yscale="log")
    steps = list(range(50))
    fig.line(steps, [10.0 ** (-s / 4) for s in steps], label="train")
    fig.line(steps, [10.0 ** (-s / 8) for s in steps], label="test", dashed=True)
    return fig


# ------------------------------------------------------------ the document


def test_svg_is_a_complete_accessible_document() -> None:
    root = parse(loss_figure().to_svg())
    assert root.tag == SVG + "svg"
    assert root.get("role") == "img"
    assert root.get("viewBox") == "0 0 640 400"
    assert root.get("width") == "100%"
    title = root.find(SVG + "title")
    assert title is not None and title.text == "Loss"
    assert title.get("id") in (root.get("aria-labelledby") or "").split()
    assert "train" in (root.find(SVG + "desc").text or "")


@pytest.mark.parametrize("make", [loss_figure, lambda: image_grid([[[0.0, 1.0], [1.0, 0.0]]] * 3,
                                                                 labels=["a", "b", "c"])])
def test_a_figure_stops_shrinking_before_its_text_is_under_9_px(make) -> None:  # type: ignore[no-untyped-def]
    """On a phone the page is narrower than the figure: it shrinks only down
    to a min-width at which its smallest text is still 9 px, then scrolls."""
    root = parse(make().to_svg())
    width = float(root.get("viewBox").split()[2])
    style = dict(part.split(":") for part in root.get("style").split(";"))
    smallest = min(float(t.get("font-size")) for t in root.iter()
                   if t.get("font-size") is not None)
    scale = float(style["min-width"].removesuffix("px")) / width
    assert style["max-width"] == f"{width:g}px"
    assert 9 <= smallest * scale < 10


def test_title_and_axis_labels_are_drawn() -> None:
    drawn = texts(parse(loss_figure().to_svg()))
    for label in ("Loss", "step", "loss", "train", "test"):
        assert label in drawn


def test_one_path_per_line_and_one_circle_per_point() -> None:
    fig = Figure()
    fig.line([0, 1, 2], [0, 1, 4], label="a")
    fig.line([0, 1, 2], [0, 2, 3])
    fig.scatter([0, 1, 2, 3], [1, 1, 2, 3], label="points")
    root = parse(fig.to_svg())
    lines = [p for p in find_all(root, "path") if p.get("class") == "line"]
    assert len(lines) == 2
    assert lines[0].get("d", "").count("L") == 2
    scatter = [g for g in find_all(root, "g") if g.get("class") == "scatter"]
    assert len(find_all(scatter[0], "circle")) == 4


@pytest.mark.parametrize(("marker", "tag"), [("circle", "circle"), ("square", "rect"),
                                             ("cross", "path")])
def test_markers(marker: str, tag: str) -> None:
    fig = Figure().scatter([1, 2, 3], [1, 2, 3], marker=marker)
    scatter = [g for g in find_all(parse(fig.to_svg()), "g") if g.get("class") == "scatter"]
    assert len(find_all(scatter[0], tag)) == 3


def test_theme_colours_are_current_color_and_series_use_the_palette() -> None:
    fig = Figure(title="t", xlabel="x")
    fig.line([0, 1], [0, 1]).line([0, 1], [1, 0]).hline(0.5).annotate(0.5, 0.5, "note")
    svg = fig.to_svg()
    root = parse(svg)
    lines = [p for p in find_all(root, "path") if p.get("class") == "line"]
    assert [p.get("stroke") for p in lines] == [PALETTE[0], PALETTE[1]]
    ref = [p for p in find_all(root, "path") if p.get("class") == "refline"]
    assert ref[0].get("stroke") == "currentColor"
    for group in find_all(root, "g"):
        if group.get("class") in ("axes", "ticks", "labels"):
            assert "currentColor" in (group.get("stroke"), group.get("fill"))
    assert "#000" not in svg.replace(PALETTE[0], "")  # no hard-coded black


def relative_luminance(color: str) -> float:
    def channel(v: int) -> float:
        c = v / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(int(color[i:i + 2], 16)) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@pytest.mark.parametrize("color", PALETTE)
@pytest.mark.parametrize("background", ["#ffffff", "#1e2129"])
def test_palette_reads_on_light_and_dark_pages(color: str, background: str) -> None:
    a, b = sorted([relative_luminance(color), relative_luminance(background)], reverse=True)
    assert (a + 0.05) / (b + 0.05) >= 3.0  # WCAG contrast for graphics


def test_same_input_gives_the_same_string() -> None:
    assert loss_figure().to_svg() == loss_figure().to_svg()
    assert loss_figure()._repr_svg_() == loss_figure().to_svg()


def test_jupyter_gets_the_svg_as_html_too() -> None:
    # JupyterLab and nbconvert show image/svg+xml as an <img> (currentColor is
    # black there); the HTML representation is preferred and drawn inline.
    assert loss_figure()._repr_html_() == loss_figure().to_svg()
    grid = image_grid([[[0, 1], [1, 0]]])
    assert grid._repr_html_() == grid._repr_svg_() == grid.to_svg()


def test_coordinates_are_rounded_to_two_decimals() -> None:
    fig = Figure().line([0, 1 / 3, 2 / 3], [1 / 7, 2 / 7, 3 / 7])
    d = [p for p in find_all(parse(fig.to_svg()), "path") if p.get("class") == "line"][0].get("d")
    for number in d.replace("M", " ").replace("L", " ").split():
        assert len(number.partition(".")[2]) <= 2


def test_different_figures_get_different_ids() -> None:
    a, b = Figure().line([0, 1], [0, 1]), Figure().line([0, 1], [1, 0])
    id_a, id_b = (parse(f.to_svg()).find(SVG + "title").get("id") for f in (a, b))
    assert id_a != id_b


def test_text_is_escaped() -> None:
    nasty = 'a < b & "c" > d'
    fig = Figure(title=nasty, xlabel="<x>", ylabel="&y")
    fig.line([0, 1], [0, 1], label="<script>alert(1)</script>")
    fig.annotate(0.5, 0.5, "1 < 2")
    svg = fig.to_svg()
    assert "<script>" not in svg
    drawn = texts(parse(svg))
    for text in (nasty, "<x>", "&y", "<script>alert(1)</script>", "1 < 2"):
        assert text in drawn


def test_save_writes_the_svg(tmp_path) -> None:
    fig = loss_figure()
    path = fig.save(tmp_path / "loss.svg")
    assert path.read_text(encoding="utf-8") == fig.to_svg()


# ------------------------------------------------------------ axes and ticks


def tick_labels(svg: str, axis: str = "xy") -> list[str]:
    """The tick labels of the x axis (centred), the y axis (right-aligned) or both."""
    root = parse(svg)
    group = [g for g in find_all(root, "g") if g.get("class") == "ticks"][0]
    anchors = {"x": ["middle"], "y": ["end"], "xy": ["middle", "end"]}[axis]
    return [t.text or "" for t in find_all(group, "text") if t.get("text-anchor") in anchors]


def test_log_axis_ticks_are_decades() -> None:
    fig = Figure(yscale="log", height=500)
    fig.line(range(13), [10.0 ** -k for k in range(13)])
    labels = tick_labels(fig.to_svg(), "y")
    for exponent in ("⁰", "⁻⁴", "⁻⁸", "⁻¹²"):
        assert "10" + exponent in labels


def test_log_axis_with_many_decades_labels_every_few() -> None:
    fig = Figure(xscale="log", width=320)
    fig.line([1e-30, 1e30], [0, 1])
    decade_labels = [t for t in tick_labels(fig.to_svg()) if t.startswith("10")]
    assert 2 <= len(decade_labels) <= 8


def test_log_axis_inside_one_decade_still_has_ticks() -> None:
    fig = Figure(yscale="log", ylim=(2, 8)).line([0, 1], [3, 7])
    labels = tick_labels(fig.to_svg())
    assert "2" in labels and "5" in labels


def test_linear_ticks_step_by_one_two_or_five() -> None:
    fig = Figure().line([0, 10], [-3, 3])
    assert tick_labels(fig.to_svg(), "x") == ["0", "2", "4", "6", "8", "10"]
    assert tick_labels(fig.to_svg(), "y")[:2] == ["\N{MINUS SIGN}3", "\N{MINUS SIGN}2"]


def test_a_single_point_gets_a_sensible_range() -> None:
    labels = tick_labels(Figure().scatter([3], [0]).to_svg())
    assert len(labels) >= 4


def test_empty_figure_still_draws_axes() -> None:
    root = parse(Figure(title="nothing yet").to_svg())
    assert "nothing yet" in texts(root)


def test_without_axes_there_is_no_axis_grid_or_tick_label() -> None:
    def boxes(axes: bool) -> Figure:
        fig = Figure(width=300, height=200, xlim=(0, 3), ylim=(0, 2), title="boxes", axes=axes)
        return fig.heatmap([[0.0]], 0, 1, 0, 1).annotate(0, 1, "a box")

    plain, with_axes = boxes(False), boxes(True)
    root = parse(plain.to_svg())
    assert not {"axes", "ticks"} & {g.get("class") for g in find_all(root, "g")}
    assert sorted(texts(root)) == ["a box", "boxes"]
    assert {"axes", "ticks"} <= {g.get("class") for g in find_all(parse(with_axes.to_svg()), "g")}
    # the room the ticks took goes to the plot: the box is drawn bigger
    plain_box, axes_box = heat_rects(plain)[0], heat_rects(with_axes)[0]
    assert float(plain_box.get("width")) > float(axes_box.get("width"))
    assert float(plain_box.get("height")) > float(axes_box.get("height"))


def test_limits_are_respected_and_points_outside_are_left_out() -> None:
    fig = Figure(xlim=(0, 1), ylim=(0, 1)).scatter([0.5, 2.0], [0.5, 0.5])
    assert len(find_all(parse(fig.to_svg()), "circle")) == 1


# ------------------------------------------------------------ log axes and bad values


def test_non_positive_values_on_a_log_axis_are_skipped_and_break_the_line() -> None:
    fig = Figure(yscale="log").line([0, 1, 2, 3, 4], [1.0, 0.1, 0.0, 0.01, -1.0])
    fig.scatter([0, 1, 2], [1.0, 0.0, 0.1])
    root = parse(fig.to_svg())
    d = [p for p in find_all(root, "path") if p.get("class") == "line"][0].get("d")
    assert d.count("M") == 2 and d.count("L") == 1  # (1, 0.1) then (3, 0.01) alone
    assert len(find_all(root, "circle")) == 2


def test_nan_and_inf_are_skipped_like_on_a_log_axis() -> None:
    fig = Figure().line([0, 1, 2, 3], [1.0, math.nan, 2.0, math.inf])
    d = [p for p in find_all(parse(fig.to_svg()), "path") if p.get("class") == "line"][0]
    assert d.get("d").count("M") == 2


def test_a_series_with_nothing_positive_on_a_log_axis_raises() -> None:
    with pytest.raises(ValueError, match="no positive value"):
        Figure(yscale="log").line([0, 1], [0.0, -1.0])


@pytest.mark.parametrize("kwargs", [{"ylim": (0, 1)}, {"ylim": (-1, 1)}])
def test_non_positive_log_limits_raise(kwargs: dict) -> None:
    fig = Figure(yscale="log", **kwargs).line([0, 1], [1, 2])
    with pytest.raises(ValueError, match="positive"):
        fig.to_svg()


def test_hline_at_zero_on_a_log_axis_raises() -> None:
    with pytest.raises(ValueError, match="hline: 0.0 cannot be drawn on a log axis"):
        Figure(yscale="log").hline(0)


def test_mismatched_lengths_name_both_lengths() -> None:
    with pytest.raises(ValueError, match="xs has 3 values but ys has 2"):
        Figure().line([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="scatter: xs has 1 values but ys has 4"):
        Figure().scatter([1], [1, 2, 3, 4])


def test_empty_data_raises() -> None:
    with pytest.raises(ValueError, match="at least one point"):
        Figure().line([], [])
    with pytest.raises(ValueError, match="at least one point"):
        Figure().scatter(np.array([]), np.array([]))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda f: f.line("abc", [1, 2, 3]), "line xs: .* got the string 'abc'"),
        (lambda f: f.line([1, None], [1, 2]), "NoneType"),
        (lambda f: f.scatter([1], [1], marker="star"), "marker"),
    ],
)
def test_bad_values_name_the_culprit(call, message: str) -> None:
    with pytest.raises((TypeError, ValueError), match=message):
        call(Figure())


def test_bad_settings_raise() -> None:
    with pytest.raises(ValueError, match="xscale"):
        Figure(xscale="symlog")
    with pytest.raises(ValueError, match="xlim"):
        Figure(xlim=(1, 0)).to_svg()


# ------------------------------------------------------------ numpy and other inputs


def test_numpy_arrays_work() -> None:
    xs = np.linspace(0, 1, 11)
    fig = Figure().line(xs, xs**2).scatter(xs, np.float32(2) * xs)
    fig.hline(np.float64(0.5))
    root = parse(fig.to_svg())
    assert len(find_all(root, "circle")) == 11


def test_objects_with_a_data_attribute_work() -> None:
    class Boxed:
        def __init__(self, data: float) -> None:
            self.data = data

    fig = Figure().line([0, 1], [Boxed(1.0), Boxed(2.0)])
    assert "line" in fig.to_svg()


def test_importing_plot_does_not_import_numpy() -> None:
    code = "import sys, chainrule.plot; print('numpy' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "False"


# ------------------------------------------------------------ legend, notes, heatmap


def test_legend_only_when_labels_exist_and_can_be_turned_off() -> None:
    def legend(fig: Figure) -> list[str]:
        groups = [g for g in find_all(parse(fig.to_svg()), "g") if g.get("class") == "legend"]
        return [t.text or "" for t in find_all(groups[0], "text")]

    assert legend(Figure().line([0, 1], [0, 1])) == []
    fig = Figure().line([0, 1], [0, 1], label="a").scatter([0], [0], label="b").vline(0.5, "c")
    assert legend(fig) == ["a", "b", "c"]
    fig.legend = False
    assert legend(fig) == []


def test_many_legend_entries_wrap_onto_rows() -> None:
    fig = Figure(width=320, height=240)
    for k in range(8):
        fig.line([0, 1], [0, k], label=f"k = {k}")
    root = parse(fig.to_svg())
    legend = [g for g in find_all(root, "g") if g.get("class") == "legend"][0]
    rows = {t.get("y") for t in find_all(legend, "text")}
    assert 2 <= len(rows) <= 4
    clip = find_all(root, "clipPath")[0][0]
    assert float(clip.get("height")) > 80


def test_a_legend_too_big_for_the_figure_raises() -> None:
    fig = Figure(width=320, height=200)
    for k in range(12):
        fig.line([0, 1], [0, k], label=f"a long label for series number {k}")
    with pytest.raises(ValueError, match="legend of 12 entries"):
        fig.to_svg()


def test_annotation_near_the_right_edge_is_anchored_at_its_end() -> None:
    fig = Figure().line([0, 10], [0, 10]).annotate(1, 1, "left").annotate(9.5, 9, "right")
    notes = {t.text: t for t in find_all(parse(fig.to_svg()), "text") if t.get("class") == "note"}
    assert notes["left"].get("text-anchor") == "start"
    assert notes["right"].get("text-anchor") == "end"


def test_annotation_align_overrides_the_automatic_choice() -> None:
    fig = Figure(xlim=(0, 10), ylim=(0, 10))
    fig.annotate(9.5, 9, "start", align="start").annotate(1, 1, "end", align="end")
    fig.annotate(5, 5, "middle", align="middle").annotate(9.5, 1, "auto", align=None)
    notes = {t.text: t for t in find_all(parse(fig.to_svg()), "text") if t.get("class") == "note"}
    assert {text: t.get("text-anchor") for text, t in notes.items()} == {
        "start": "start", "end": "end", "middle": "middle", "auto": "end"}
    # the text starts just right of its point, ends just left of it, or is centred on it
    xaxis, _, _ = fig._layout()
    assert float(notes["start"].get("x")) == pytest.approx(xaxis.to_px(9.5) + 6, abs=0.01)
    assert float(notes["end"].get("x")) == pytest.approx(xaxis.to_px(1) - 6, abs=0.01)
    assert float(notes["middle"].get("x")) == pytest.approx(xaxis.to_px(5), abs=0.01)
    with pytest.raises(ValueError, match="align must be one of"):
        Figure().annotate(0, 0, "x", align="left")


def heat_rects(fig: Figure) -> list[ET.Element]:
    groups = [g for g in find_all(parse(fig.to_svg()), "g") if g.get("class") == "heatmap"]
    return find_all(groups[0], "rect")


def test_heatmap_draws_regions_under_the_points() -> None:
    grid = [[-1, -1, 1, 1], [-1, 1, 1, 1]]
    fig = Figure().heatmap(grid, 0, 4, 0, 2, colors=("#0000ff", "#ff0000"))
    fig.scatter([1, 3], [1, 1])
    svg = fig.to_svg()
    rects = heat_rects(fig)
    # runs of one colour merge: row 0 is two runs, row 1 is two runs
    assert len(rects) == 4
    assert {r.get("fill") for r in rects} == {"#0000ff", "#ff0000"}
    assert svg.index('class="heatmap"') < svg.index('class="scatter"')
    # the heatmap fills the plot: its limits are the axis limits
    clip = find_all(parse(svg), "clipPath")[0][0]
    xs = [float(r.get("x")) for r in rects]
    assert min(xs) == pytest.approx(float(clip.get("x")), abs=0.01)


def test_heatmap_row_zero_is_at_the_bottom() -> None:
    fig = Figure().heatmap([[0.0], [1.0]], 0, 1, 0, 1, colors=("#000000", "#ffffff"))
    rects = {r.get("fill"): float(r.get("y")) for r in heat_rects(fig)}
    assert rects["#000000"] > rects["#ffffff"]  # SVG y grows downwards


def test_heatmap_accepts_a_colour_function_and_numpy() -> None:
    grid = np.array([[0.2, 0.8], [0.6, 0.4]])
    fig = Figure().heatmap(grid, -1, 1, -1, 1, colors=lambda v: "red" if v > 0.5 else "blue",
                           opacity=0.5)
    assert [r.get("fill") for r in heat_rects(fig)] == ["blue", "red", "red", "blue"]


def test_heatmap_bad_input() -> None:
    with pytest.raises(ValueError, match="row 0 has 2 values but row 1 has 1"):
        Figure().heatmap([[1, 2], [3]], 0, 1, 0, 1)
    with pytest.raises(ValueError, match="x0 < x1"):
        Figure().heatmap([[1]], 1, 0, 0, 1)
    with pytest.raises(ValueError, match="colour"):
        Figure().heatmap([[1]], 0, 1, 0, 1, colors=("red", "blue"))


def contour_pieces(fig: Figure) -> list[list[tuple[float, float]]]:
    """The contour's pieces, in data coordinates, as lists of points."""
    line = fig._lines[-1]
    pieces: list[list[tuple[float, float]]] = [[]]
    for x, y in zip(line.xs, line.ys, strict=True):
        if math.isnan(x):
            pieces.append([])
        else:
            pieces[-1].append((x, y))
    return [piece for piece in pieces if piece]


def test_contour_of_a_plane_is_the_straight_line_where_it_is_zero() -> None:
    cells, lo, hi = 10, -1.0, 1.0
    centres = [lo + (k + 0.5) * (hi - lo) / cells for k in range(cells)]
    grid = [[x - 0.5 * y - 0.1 for x in centres] for y in centres]  # zero on x = 0.5 y + 0.1
    fig = Figure().contour(grid, lo, hi, lo, hi, label="boundary")
    pieces = contour_pieces(fig)
    assert len(pieces) >= cells - 1  # at least one piece per row of squares
    for piece in pieces:
        assert len(piece) == 2
        for x, y in piece:
            assert x == pytest.approx(0.5 * y + 0.1)  # linear interpolation is exact here
    svg = fig.to_svg()
    assert "boundary" in texts(parse(svg))  # in the legend
    paths = [p for p in find_all(parse(svg), "path") if p.get("class") == "line"]
    assert paths[0].get("stroke") == "currentColor" and paths[0].get("d").count("M") == len(pieces)


def test_contour_at_another_level_and_a_closed_curve() -> None:
    cells = 20
    centres = [-1 + (k + 0.5) * 2 / cells for k in range(cells)]
    grid = [[x * x + y * y for x in centres] for y in centres]
    pieces = contour_pieces(Figure().contour(grid, -1, 1, -1, 1, level=0.25))
    points = [point for piece in pieces for point in piece]
    assert len(pieces) > 8
    # every crossing is close to the circle of radius 0.5 (interpolation is linear)
    assert all(abs(math.hypot(x, y) - 0.5) < 0.02 for x, y in points)


def cut_off_corners(pieces: list[list[tuple[float, float]]]) -> set[tuple[float, float]]:
    """For each piece of a one-square contour, the corner (cell centre) it cuts off."""
    corners = [(0.5, 0.5), (1.5, 0.5), (1.5, 1.5), (0.5, 1.5)]
    nearest = set()
    for (xa, ya), (xb, yb) in pieces:
        mx, my = (xa + xb) / 2, (ya + yb) / 2
        nearest.add(min(corners, key=lambda c: math.hypot(c[0] - mx, c[1] - my)))
    return nearest


def test_contour_saddle_joins_the_corners_on_the_centres_side() -> None:
    # bottom left 1, bottom right -1, top left -1, top right 3: the mean 0.5 is positive,
    # so the positive corners are joined through the middle and the negative ones cut off
    pieces = contour_pieces(Figure().contour([[1.0, -1.0], [-1.0, 3.0]], 0, 2, 0, 2))
    assert len(pieces) == 2
    assert cut_off_corners(pieces) == {(1.5, 0.5), (0.5, 1.5)}
    # with a negative mean, the positive corners are cut off instead
    pieces = contour_pieces(Figure().contour([[1.0, -3.0], [-3.0, 2.0]], 0, 2, 0, 2))
    assert cut_off_corners(pieces) == {(0.5, 0.5), (1.5, 1.5)}


def test_contour_that_never_crosses_draws_nothing_and_bad_input_raises() -> None:
    fig = Figure().contour([[1, 2], [3, 4]], 0, 1, 0, 1)
    assert fig._lines == []
    with pytest.raises(ValueError, match="at least 2 x 2"):
        Figure().contour([[1, 2]], 0, 1, 0, 1)
    with pytest.raises(ValueError, match="row 0 has 2 values but row 1 has 1"):
        Figure().contour([[1, 2], [3]], 0, 1, 0, 1)
    with pytest.raises(ValueError, match="x0 < x1"):
        Figure().contour([[1, 2], [3, 4]], 1, 0, 0, 1)


# ------------------------------------------------------------ image grids


def digits(n: int) -> np.ndarray:
    return np.arange(n * 64).reshape(n, 64) % 17


def test_image_grid_draws_each_image_on_its_own_background() -> None:
    images = [[[0, 16], [16, 0]], [[8, 8], [8, 8]], [[0, 0], [0, 0]]]
    grid = image_grid(images, ncols=2, labels=["pred 3 / true 8", "a", "b"], cell=20)
    assert isinstance(grid, ImageGrid)
    root = parse(grid.to_svg())
    rects = find_all(root, "rect")
    backgrounds = [r for r in rects if r.get("width") == "20" and r.get("fill") == "#000000"]
    assert len(backgrounds) == 3
    assert "pred 3 / true 8" in texts(root)
    assert grid._repr_svg_() == grid.to_svg()


def test_image_grid_accepts_flat_digit_rows_and_is_deterministic() -> None:
    a = image_grid(digits(5), ncols=3, cmap="gray_r").to_svg()
    assert a == image_grid(digits(5), ncols=3, cmap="gray_r").to_svg()
    root = parse(a)
    assert root.get("viewBox").startswith("0 0 ")
    assert any(r.get("fill") == "#ffffff" for r in find_all(root, "rect"))


def test_image_grid_captions_do_not_overlap() -> None:
    labels = ["a rather long caption"] * 4
    root = parse(image_grid(digits(4), ncols=4, labels=labels, cell=16).to_svg())
    xs = sorted(float(t.get("x")) for t in find_all(root, "text"))
    gap = xs[1] - xs[0]
    assert gap > 0.6 * 12 * len(labels[0])


def test_image_grid_bad_input() -> None:
    with pytest.raises(ValueError, match="2 images but 1 labels"):
        image_grid(digits(2), labels=["x"])
    with pytest.raises(ValueError, match="not a square number"):
        image_grid([[1, 2, 3]])
    with pytest.raises(ValueError, match="at least one image"):
        image_grid([])
    with pytest.raises(ValueError, match="cmap"):
        image_grid(digits(1), cmap="viridis")


# ------------------------------------------------------------ arrows and equal aspect


def arrows(fig: Figure) -> list[ET.Element]:
    return [g for g in find_all(parse(fig.to_svg()), "g") if g.get("class") == "arrow"]


def test_an_arrow_is_a_shaft_and_a_head_at_its_tip() -> None:
    fig = Figure(xlim=(0, 10), ylim=(0, 10)).arrow(1, 1, 4, 0, label="step")
    (group,) = arrows(fig)
    shaft, head = group[0], group[1]
    xaxis, yaxis, _ = fig._layout()
    tip = f"{xaxis.to_px(5):.2f}".rstrip("0").rstrip(".")
    assert head.tag == SVG + "polygon" and head.get("points").startswith(tip + ",")
    # the shaft runs left to right and stops short of the tip, under the head
    start, end = shaft.get("d")[1:].split("L")
    assert float(start.split()[0]) < float(end.split()[0]) < xaxis.to_px(5)
    assert "step" in texts(parse(fig.to_svg()))


def test_a_fan_of_arrows_with_one_label_has_one_legend_entry() -> None:
    fig = Figure()
    for k in range(6):
        fig.arrow(0, 0, math.cos(k), math.sin(k), label="random", color="#888888")
    fig.arrow(0, 0, 1, 1, label="gradient")
    legend = [g for g in find_all(parse(fig.to_svg()), "g") if g.get("class") == "legend"][0]
    assert [t.text for t in find_all(legend, "text")] == ["random", "gradient"]
    assert len(arrows(fig)) == 7


def test_arrows_widen_the_automatic_limits() -> None:
    fig = Figure().scatter([0], [0]).arrow(0, 0, 10, -5)
    xaxis, yaxis, _ = fig._layout()
    assert xaxis.hi >= 10 and yaxis.lo <= -5


def test_arrow_bad_input_names_the_problem() -> None:
    with pytest.raises(ValueError, match="no direction"):
        Figure().arrow(1, 2, 0, 0)
    with pytest.raises(ValueError, match="finite"):
        Figure().arrow(0, 0, math.nan, 1)
    with pytest.raises(TypeError, match="arrow dx"):
        Figure().arrow(0, 0, "1", 1)
    with pytest.raises(ValueError, match="linear axes"):
        Figure(yscale="log").arrow(1, 1, 1, 1)


@pytest.mark.parametrize(("xlim", "ylim"), [((-1, 5), (-6, 0)), ((0, 1), (0, 100)),
                                            ((0, 100), (0, 1))])
def test_equal_aspect_makes_a_unit_as_long_on_both_axes(xlim, ylim) -> None:
    fig = Figure(width=520, height=480, xlim=xlim, ylim=ylim, aspect="equal")
    fig.to_svg()
    xaxis, yaxis, _ = fig._layout()
    x_per_px = (xaxis.hi - xaxis.lo) / (xaxis.end - xaxis.start)
    y_per_px = (yaxis.hi - yaxis.lo) / (yaxis.start - yaxis.end)
    assert x_per_px == pytest.approx(y_per_px, rel=1e-9)
    # the requested region is still all shown
    assert xaxis.lo <= xlim[0] and xaxis.hi >= xlim[1]
    assert yaxis.lo <= ylim[0] + 1e-9 and yaxis.hi >= ylim[1] - 1e-9


def test_equal_aspect_bad_settings() -> None:
    with pytest.raises(ValueError, match="aspect must be"):
        Figure(aspect="square")
    with pytest.raises(ValueError, match="two linear axes"):
        Figure(aspect="equal", yscale="log")
