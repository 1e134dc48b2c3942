"""A small SVG plotter, standard library only.

Every picture in the book is drawn by the page's own code with nothing but
`chainrule` installed: a `Figure` collects lines, points, reference lines,
notes, a heatmap and its contour, and `Figure.to_svg` writes them out as
one SVG string.
The same string is printed into an HTML page (markdown-exec) or shown by
Jupyter (`_repr_svg_`, and `_repr_html_` so that it is drawn inline). The
same figure always gives the same string: coordinates are rounded to two
decimals and ids are a hash of the drawing. Every adding method returns the
figure, so calls chain.

The site has a light and a dark palette, so the picture follows the theme:
axes, ticks, text, reference lines and notes are drawn in ``currentColor``
(the colour of the surrounding text), and the series colours in `PALETTE`
are mid-tones that read on a white and on a near-black page alike.

Log axes: a value that is zero or negative (or NaN, or infinite) cannot be
placed on a log axis, so such a point is **skipped** and a line breaks
there, as matplotlib does. Only when nothing is left to draw, or a limit,
`hline` or `vline` is not positive, do we raise a `ValueError`.

numpy arrays are welcome as input: we only iterate over them and call
`float` on each element, so this module never imports numpy.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

__all__ = ["PALETTE", "Figure", "ImageGrid", "image_grid"]

# Mid-tone colours: contrast >= 3 against white and against #1e2129.
PALETTE: tuple[str, ...] = (
    "#3b82d6",  # blue
    "#e8710a",  # orange
    "#189a66",  # green
    "#e0457b",  # pink
    "#8f6bd8",  # purple
    "#b08b00",  # olive
    "#0d9cb0",  # teal
)
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"
TICK_FONT = 12
LABEL_FONT = 13
TITLE_FONT = 15
# The smallest a figure may be drawn, as a share of its size: its smallest
# text (TICK_FONT) then stays above 9 px. A page narrower than that (a phone)
# scrolls the figure sideways instead of shrinking it further.
MIN_SCALE = 0.77
SCALES = ("linear", "log")
MARKERS = ("circle", "square", "cross")
ALIGNS = (None, "start", "middle", "end")
_SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
_UID = "__chainrule_uid__"


# ---------------------------------------------------------------- helpers


def _num(value: float) -> str:
    """A coordinate rounded to 2 decimals, without trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _attr(value: object) -> str:
    """Text made safe for an XML attribute value (inside double quotes)."""
    return escape(str(value), {'"': "&quot;"})


def _text_width(text: str, size: float) -> float:
    """A rough width in pixels of `text` in a sans-serif font of `size`."""
    return 0.6 * size * len(text)


def _to_float(value: Any, where: str) -> float:
    """`float(value)`, accepting numpy scalars and objects with a ``.data``."""
    if isinstance(value, str):
        raise TypeError(f"{where}: expected a number, got the string {value!r}")
    try:
        return float(value)
    except TypeError:
        if hasattr(value, "data"):
            return float(value.data)
        raise TypeError(f"{where}: expected a number, got {type(value).__name__}") from None


def _floats(values: Iterable[Any], where: str) -> list[float]:
    """A list of floats from any iterable of numbers (a list, a numpy array)."""
    if isinstance(values, str) or not hasattr(values, "__iter__"):
        got = f"the string {values!r}" if isinstance(values, str) else type(values).__name__
        raise TypeError(f"{where}: expected a sequence of numbers, got {got}")
    return [_to_float(v, where) for v in values]


def _grid_on_rectangle(
    what: str, grid: Iterable[Iterable[Any]], extent: tuple[Any, Any, Any, Any], min_size: int
) -> tuple[list[list[float]], list[float]]:
    """Check a grid of values (equal rows, at least min_size x min_size) and the
    rectangle (x0, x1, y0, y1) it covers; return them as floats."""
    rows = [_floats(row, f"{what} row {i}") for i, row in enumerate(grid)]
    if len(rows) < min_size or len(rows[0]) < min_size:
        raise ValueError(f"{what}: needs a grid of at least {min_size} x {min_size} values"
                         if min_size > 1 else f"{what}: needs a non-empty grid of values")
    for i, row in enumerate(rows):
        if len(row) != len(rows[0]):
            raise ValueError(f"{what}: row 0 has {len(rows[0])} values but row {i} "
                             f"has {len(row)}")
    edges = [_to_float(v, f"{what} extent") for v in extent]
    if not (edges[0] < edges[1] and edges[2] < edges[3]):
        x0, x1, y0, y1 = extent
        raise ValueError(f"{what}: needs x0 < x1 and y0 < y1, got {x0}, {x1}, {y0}, {y1}")
    return rows, edges


def _paired(xs: Iterable[Any], ys: Iterable[Any], kind: str) -> tuple[list[float], list[float]]:
    """Both coordinate lists, checked: same length and not empty."""
    x_list, y_list = _floats(xs, f"{kind} xs"), _floats(ys, f"{kind} ys")
    if len(x_list) != len(y_list):
        raise ValueError(f"{kind}: xs has {len(x_list)} values but ys has {len(y_list)}")
    if not x_list:
        raise ValueError(f"{kind}: needs at least one point, got empty xs and ys")
    return x_list, y_list


def _check_scale(scale: str, axis: str) -> str:
    if scale not in SCALES:
        raise ValueError(f"{axis}scale must be 'linear' or 'log', got {scale!r}")
    return scale


def _drawable(value: float, scale: str) -> bool:
    """Whether `value` has a place on an axis of this scale."""
    return math.isfinite(value) and (scale == "linear" or value > 0)


def _hex_to_rgb(color: str) -> tuple[int, int, int]:
    """``"#rgb"`` or ``"#rrggbb"`` as three ints 0..255."""
    digits = color.lstrip("#")
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    if not color.startswith("#") or len(digits) != 6:
        raise ValueError(f"expected a colour like '#1a2b3c', got {color!r}")
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def _mix(low: str, high: str, t: float) -> str:
    """The colour a fraction `t` (0..1) of the way from `low` to `high`."""
    a, b = _hex_to_rgb(low), _hex_to_rgb(high)
    r, g, bl = (round(ca + (cb - ca) * t) for ca, cb in zip(a, b, strict=True))
    return f"#{r:02x}{g:02x}{bl:02x}"


def _ramp(low: str, high: str, vmin: float, vmax: float, shades: int) -> Callable[[float], str]:
    """A value -> colour function: `shades` steps from `low` (at vmin) to `high`."""
    _hex_to_rgb(low), _hex_to_rgb(high)  # fail early on a bad colour
    span = vmax - vmin or 1.0

    def color(value: float) -> str:
        t = min(max((value - vmin) / span, 0.0), 1.0)
        return _mix(low, high, round(t * shades) / shades)

    return color


def _runs(row: Sequence[str | None]) -> list[tuple[int, int, str]]:
    """Runs of equal colours in a row as ``(start, length, colour)``; None is a gap.

    Neighbouring cells of one colour become one rectangle: a smaller SVG.
    """
    runs: list[tuple[int, int, str]] = []
    for i, color in enumerate(row):
        if color is None:
            continue
        if runs and runs[-1][2] == color and runs[-1][0] + runs[-1][1] == i:
            start, length, _ = runs[-1]
            runs[-1] = (start, length + 1, color)
        else:
            runs.append((i, 1, color))
    return runs


def _svg_document(body: list[str], width: float, height: float, title: str, desc: str) -> str:
    """Wrap drawn elements in a complete, responsive, accessible <svg>.

    It shrinks with the page down to `MIN_SCALE` of its size, no further.

    Ids inside (the title, a clip path) end in a hash of the drawing, so two
    different figures on one page never share an id, and the same figure
    always gives the same string.
    """
    inner = "\n".join(body)
    uid = "cr" + hashlib.sha1(f"{title}\n{desc}\n{inner}".encode()).hexdigest()[:10]
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_num(width)} {_num(height)}" '
        f'width="100%" style="max-width:{_num(width)}px;min-width:{_num(width * MIN_SCALE)}px;'
        f'height:auto" role="img" '
        f'aria-labelledby="{_UID}-title {_UID}-desc" font-family="{_attr(FONT)}">\n'
        f'<title id="{_UID}-title">{escape(title)}</title>\n'
        f'<desc id="{_UID}-desc">{escape(desc)}</desc>\n'
    )
    return (head + inner + "\n</svg>\n").replace(_UID, uid)


def _save(svg: str, path: str | Path) -> Path:
    path = Path(path)
    path.write_text(svg, encoding="utf-8")
    return path


# ---------------------------------------------------------------- ticks


def _nice_step(span: float, target: int) -> float:
    """A step of 1, 2 or 5 times a power of ten giving about `target` ticks."""
    raw = span / max(target, 1)
    magnitude = 10.0 ** math.floor(math.log10(raw))
    for multiple, below in ((1, 1.5), (2, 3.5), (5, 7.5)):
        if raw / magnitude < below:
            return multiple * magnitude
    return 10 * magnitude


def _linear_ticks(lo: float, hi: float, target: int) -> list[float]:
    """Multiples of a nice step that lie between `lo` and `hi` (at least two)."""
    ticks: list[float] = []
    while len(ticks) < 2 and target < 100:
        step = _nice_step(hi - lo, target)
        first = math.ceil(lo / step - 1e-9)
        last = math.floor(hi / step + 1e-9)
        ticks = [round(k * step, 12) for k in range(first, last + 1)]
        target *= 2
    return ticks


def _log_ticks(lo: float, hi: float, max_count: int) -> list[float]:
    """Powers of ten between `lo` and `hi`; only every k-th when there are many.

    We keep the exponents that are multiples of k, so 10⁰ keeps its label.
    A range holding fewer than two decades gets ticks at 1, 2 and 5 times
    each power of ten instead.
    """
    first, last = math.ceil(math.log10(lo) - 1e-9), math.floor(math.log10(hi) + 1e-9)
    if last - first + 1 >= 2:
        every = math.ceil((last - first + 1) / max_count)
        return [10.0**e for e in range(first, last + 1) if e % every == 0]
    mantissas = [m * 10.0**e for e in range(first - 1, last + 1) for m in (1, 2, 5)]
    return [v for v in mantissas if lo * (1 - 1e-9) <= v <= hi * (1 + 1e-9)]


def _minor_log_ticks(lo: float, hi: float) -> list[float]:
    """2, 3, ..., 9 times each power of ten, when the axis spans few decades."""
    first, last = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    if last - first > 8:
        return []
    values = [m * 10.0**e for e in range(first, last) for m in range(2, 10)]
    return [v for v in values if lo <= v <= hi]


def _short_number(value: float) -> str:
    """`value` in the fewest characters: 0.001 -> '0.001', 1e-06 -> '1e-6'."""
    text = f"{value:.6g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text


def _tick_label(value: float, ticks: Sequence[float], scale: str) -> str:
    """The label of one tick: 10⁻⁸ on a log axis, 0.5 or −2 on a linear one."""
    if scale == "log":
        exponent = math.log10(value)
        if abs(exponent - round(exponent)) < 1e-9:
            return "10" + str(round(exponent)).translate(_SUPERSCRIPTS)
        return _short_number(value)
    step = abs(ticks[1] - ticks[0]) if len(ticks) > 1 else 1.0
    biggest = max(abs(t) for t in ticks)
    if biggest >= 1e5 or step < 1e-4:
        text = _short_number(value)
    else:
        decimals = max(0, -math.floor(math.log10(step) + 1e-9))
        text = f"{value:.{decimals}f}"
    text = "0" if text.strip("-0.") == "" else text
    return text.replace("-", "\N{MINUS SIGN}")


# ---------------------------------------------------------------- axes


@dataclass
class _Axis:
    """One axis: its data limits, its scale and the pixels they map to."""

    scale: str
    lo: float
    hi: float
    start: float = 0.0  # pixel of `lo`
    end: float = 1.0  # pixel of `hi`

    def _t(self, value: float) -> float:
        return math.log10(value) if self.scale == "log" else value

    def to_px(self, value: float) -> float:
        """The pixel coordinate of a data value."""
        fraction = (self._t(value) - self._t(self.lo)) / (self._t(self.hi) - self._t(self.lo))
        return self.start + fraction * (self.end - self.start)

    def contains(self, value: float) -> bool:
        return _drawable(value, self.scale) and self.lo <= value <= self.hi

    def ticks(self, target: int) -> list[float]:
        if self.scale == "log":
            return _log_ticks(self.lo, self.hi, max(target, 2))
        return _linear_ticks(self.lo, self.hi, target)

    def labels(self, target: int) -> list[tuple[float, str]]:
        ticks = self.ticks(target)
        return [(t, _tick_label(t, ticks, self.scale)) for t in ticks]


def _auto_limits(values: list[float], tight: list[float], scale: str) -> tuple[float, float]:
    """Limits that show every value: padded by 4% (linear) or out to whole
    decades (log). `tight` values (a heatmap's edges) are shown unpadded, and
    when there are any, nothing is padded, so the heatmap fills the plot.
    """
    values = [v for v in values + tight if _drawable(v, scale)]
    if not values:
        return (1.0, 10.0) if scale == "log" else (0.0, 1.0)
    lo, hi = min(values), max(values)
    if scale == "log":
        lo, hi = 10.0 ** math.floor(math.log10(lo)), 10.0 ** math.ceil(math.log10(hi))
        return (lo, hi * 10) if lo == hi else (lo, hi)
    if lo == hi:
        half = abs(lo) * 0.1 or 0.5
        return lo - half, hi + half
    pad = 0.0 if tight else 0.04 * (hi - lo)
    return lo - pad, hi + pad


def _limits(given: tuple[float, float] | None, values: list[float], tight: list[float],
            scale: str, axis: str) -> tuple[float, float]:
    """The user's limits, checked, or limits computed from the data."""
    if given is None:
        return _auto_limits(values, tight, scale)
    lo, hi = (_to_float(v, f"{axis}lim") for v in given)
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"{axis}lim must be two finite numbers, low < high, got {given!r}")
    if scale == "log" and lo <= 0:
        raise ValueError(f"{axis}lim on a log axis must be positive, got {given!r}")
    return lo, hi


# ---------------------------------------------------------------- things drawn


@dataclass
class _Line:
    xs: list[float]
    ys: list[float]
    label: str | None
    color: str
    dashed: bool
    width: float


@dataclass
class _Scatter:
    xs: list[float]
    ys: list[float]
    label: str | None
    color: str
    size: float
    marker: str


@dataclass
class _RefLine:
    value: float
    vertical: bool
    label: str | None
    color: str
    dashed: bool
    width: float


@dataclass
class _Note:
    x: float
    y: float
    text: str
    color: str
    align: str | None


@dataclass
class _Arrow:
    x: float
    y: float
    dx: float
    dy: float
    label: str | None
    color: str
    width: float


@dataclass
class _Heatmap:
    grid: list[list[float]]
    x0: float
    x1: float
    y0: float
    y1: float
    color_of: Callable[[float], str]
    opacity: float


def _dash(dashed: bool) -> str:
    return ' stroke-dasharray="6 4"' if dashed else ""


def _marker(x: float, y: float, size: float, marker: str, color: str) -> str:
    """One scatter marker centred on pixel (x, y); `size` is its radius."""
    c = _attr(color)
    if marker == "circle":
        return f'<circle cx="{_num(x)}" cy="{_num(y)}" r="{_num(size)}" fill="{c}"/>'
    if marker == "square":
        side = 1.8 * size
        return (f'<rect x="{_num(x - side / 2)}" y="{_num(y - side / 2)}" width="{_num(side)}" '
                f'height="{_num(side)}" fill="{c}"/>')
    s = size
    return (f'<path d="M{_num(x - s)} {_num(y - s)}L{_num(x + s)} {_num(y + s)}'
            f'M{_num(x - s)} {_num(y + s)}L{_num(x + s)} {_num(y - s)}" '
            f'stroke="{c}" stroke-width="{_num(max(1.5, s / 2))}" fill="none"/>')


def _head_length(width: float) -> float:
    """How long an arrow head is for a shaft of this width, in pixels."""
    return 6 + 2.5 * width


def _arrow_head(x: float, y: float, ux: float, uy: float, color: str, width: float) -> str:
    """A filled triangle with its tip at pixel (x, y), pointing along (ux, uy)."""
    length = _head_length(width)
    half = length * 0.45
    bx, by = x - ux * length, y - uy * length
    points = [(x, y), (bx - uy * half, by + ux * half), (bx + uy * half, by - ux * half)]
    text = " ".join(f"{_num(px)},{_num(py)}" for px, py in points)
    return f'<polygon points="{text}" fill="{_attr(color)}"/>'


# ---------------------------------------------------------------- the figure


class Figure:
    """One plot: axes with ticks, and the lines, points and regions added to it.

    ```python
    from chainrule.plot import Figure

    fig = Figure(title="Loss", xlabel="step", ylabel="loss", yscale="log")
    fig.line([0, 1, 2], [1.0, 0.1, 0.01], label="train")
    svg = fig.to_svg()   # a complete <svg> element, as a string
    ```

    Series without a `color` take the next colour of `PALETTE`; reference
    lines and notes default to ``currentColor``. Set ``fig.legend = False``
    to hide the legend, which is drawn above the plot when labels exist.

    ``axes=False`` draws no axis lines, grid or tick labels, and gives their
    margins to the plot: for a diagram (boxes, arrows, notes) whose
    coordinates only place things. Limits, `aspect`, the title, the legend
    and any axis labels work as usual.
    """

    def __init__(
        self,
        width: float = 640,
        height: float = 400,
        title: str = "",
        xlabel: str = "",
        ylabel: str = "",
        xscale: str = "linear",
        yscale: str = "linear",
        xlim: tuple[float, float] | None = None,
        ylim: tuple[float, float] | None = None,
        aspect: str = "auto",
        axes: bool = True,
    ) -> None:
        if width < 160 or height < 120:
            raise ValueError(f"Figure needs width >= 160 and height >= 120, got {width}x{height}")
        if aspect not in ("auto", "equal"):
            raise ValueError(f"aspect must be 'auto' or 'equal', got {aspect!r}")
        if aspect == "equal" and "log" in (xscale, yscale):
            raise ValueError("aspect='equal' needs two linear axes, got a log axis")
        self.aspect = aspect
        self.width, self.height = width, height
        self.title, self.xlabel, self.ylabel = title, xlabel, ylabel
        self.xscale, self.yscale = _check_scale(xscale, "x"), _check_scale(yscale, "y")
        self.xlim, self.ylim = xlim, ylim
        self.axes = axes
        self.legend = True
        self._lines: list[_Line] = []
        self._scatters: list[_Scatter] = []
        self._refs: list[_RefLine] = []
        self._notes: list[_Note] = []
        self._heatmaps: list[_Heatmap] = []
        self._arrows: list[_Arrow] = []
        self._next_color = 0

    # -- adding things ------------------------------------------------

    def _color(self, color: str | None) -> str:
        """The given colour, or the next one of the palette."""
        if color is not None:
            return color
        chosen = PALETTE[self._next_color % len(PALETTE)]
        self._next_color += 1
        return chosen

    def _check_log(self, values: list[float], scale: str, what: str) -> None:
        """Fail when a series has no value that a log axis can show."""
        if scale == "log" and not any(_drawable(v, scale) for v in values):
            raise ValueError(f"{what}: no positive value to draw on a log axis, got {values[:5]}")

    def line(self, xs: Iterable[Any], ys: Iterable[Any], label: str | None = None,
             color: str | None = None, dashed: bool = False, width: float = 2) -> Figure:
        """A line through the points ``(xs[i], ys[i])``, in order."""
        x_list, y_list = _paired(xs, ys, "line")
        self._check_log(x_list, self.xscale, "line xs")
        self._check_log(y_list, self.yscale, "line ys")
        self._lines.append(_Line(x_list, y_list, label, self._color(color), dashed, width))
        return self

    def scatter(self, xs: Iterable[Any], ys: Iterable[Any], label: str | None = None,
                color: str | None = None, size: float = 4, marker: str = "circle") -> Figure:
        """One marker (``"circle"``, ``"square"`` or ``"cross"``) per point."""
        if marker not in MARKERS:
            raise ValueError(f"scatter marker must be one of {MARKERS}, got {marker!r}")
        x_list, y_list = _paired(xs, ys, "scatter")
        self._check_log(x_list, self.xscale, "scatter xs")
        self._check_log(y_list, self.yscale, "scatter ys")
        self._scatters.append(_Scatter(x_list, y_list, label, self._color(color), size, marker))
        return self

    def _ref(self, value: Any, vertical: bool, label: str | None, color: str | None,
             dashed: bool, width: float) -> Figure:
        name, scale = ("vline", self.xscale) if vertical else ("hline", self.yscale)
        number = _to_float(value, name)
        if not _drawable(number, scale):
            raise ValueError(f"{name}: {number!r} cannot be drawn on a {scale} axis")
        self._refs.append(_RefLine(number, vertical, label, color or "currentColor", dashed,
                                   width))
        return self

    def hline(self, y: float, label: str | None = None, color: str | None = None,
              dashed: bool = True, width: float = 1.5) -> Figure:
        """A horizontal line across the plot at height `y` (a target, a bound)."""
        return self._ref(y, False, label, color, dashed, width)

    def vline(self, x: float, label: str | None = None, color: str | None = None,
              dashed: bool = True, width: float = 1.5) -> Figure:
        """A vertical line across the plot at `x`."""
        return self._ref(x, True, label, color, dashed, width)

    def arrow(self, x: float, y: float, dx: float, dy: float, label: str | None = None,
              color: str | None = None, width: float = 2) -> Figure:
        """An arrow from ``(x, y)`` to ``(x + dx, y + dy)``: a step, a gradient.

        Give several arrows one `color` and one `label` to draw a fan of
        directions that has a single legend entry (only the first labelled
        arrow of each label is listed). With ``aspect="equal"`` an arrow's
        angle on the page is its true angle, so a gradient meets the contour
        lines at a right angle.
        """
        numbers = [_to_float(v, f"arrow {name}") for v, name in
                   ((x, "x"), (y, "y"), (dx, "dx"), (dy, "dy"))]
        if not all(math.isfinite(v) for v in numbers):
            raise ValueError(f"arrow: needs finite x, y, dx, dy, got {numbers}")
        if numbers[2] == 0 and numbers[3] == 0:
            raise ValueError(f"arrow at ({numbers[0]}, {numbers[1]}): dx and dy are both 0, "
                             "so it has no direction")
        if "log" in (self.xscale, self.yscale):
            raise ValueError("arrow: arrows need two linear axes")
        self._arrows.append(_Arrow(*numbers, label, self._color(color), width))
        return self

    def annotate(self, x: float, y: float, text: str, color: str | None = None,
                 align: str | None = None) -> Figure:
        """A short note written just above the data point ``(x, y)``.

        `align` says which part of the text sits at the point: ``"start"``
        (the text runs rightwards from it), ``"middle"`` (centred on it) or
        ``"end"`` (the text ends at it). The default, None, chooses
        ``"end"`` in the right 30% of the plot and ``"start"`` elsewhere, so
        a note near the right edge stays inside the figure.
        """
        if align not in ALIGNS:
            raise ValueError(f"annotate align must be one of {ALIGNS}, got {align!r}")
        self._notes.append(_Note(_to_float(x, "annotate x"), _to_float(y, "annotate y"),
                                 str(text), color or "currentColor", align))
        return self

    def heatmap(
        self,
        grid: Iterable[Iterable[Any]],
        x0: float,
        x1: float,
        y0: float,
        y1: float,
        colors: tuple[str, str] | Callable[[float], str] = (PALETTE[0], PALETTE[1]),
        opacity: float = 0.35,
        vmin: float | None = None,
        vmax: float | None = None,
    ) -> Figure:
        """Fill the rectangle [x0, x1] x [y0, y1] with a grid of coloured cells.

        ``grid[i][j]`` colours the cell in row `i` counted up from `y0` and
        column `j` counted right from `x0` (the layout of a meshgrid), so a
        model evaluated at cell centres ``x0 + (j + 0.5) * (x1 - x0) / ncols``
        draws its decision regions. `colors` is ``(low, high)``, two ``#rrggbb``
        colours blended from `vmin` to `vmax` (default: the grid's range) in
        24 shades, or a function from a value to a colour. Heatmaps are drawn
        under everything else.
        """
        rows, edges = _grid_on_rectangle("heatmap", grid, (x0, x1, y0, y1), min_size=1)
        self._heatmaps.append(_Heatmap(rows, *edges, self._heat_colors(rows, colors, vmin, vmax),
                                       opacity))
        return self

    def contour(
        self,
        grid: Iterable[Iterable[Any]],
        x0: float,
        x1: float,
        y0: float,
        y1: float,
        level: float = 0.0,
        label: str | None = None,
        color: str | None = "currentColor",
        dashed: bool = False,
        width: float = 2,
    ) -> Figure:
        """The line where the values of `grid` cross `level`: a decision boundary.

        `grid` and the rectangle are laid out as for `heatmap` (values at cell
        centres), so the same grid gives the regions and the border between
        them. Between two neighbouring centres on opposite sides of `level`
        the crossing is placed by linear interpolation (marching squares);
        the pieces are drawn as one line, broken where they don't join.
        """
        rows, edges = _grid_on_rectangle("contour", grid, (x0, x1, y0, y1), min_size=2)
        level = _to_float(level, "contour level")
        nrows, ncols = len(rows), len(rows[0])

        def centre(i: float, j: float) -> tuple[float, float]:
            return (edges[0] + (j + 0.5) * (edges[1] - edges[0]) / ncols,
                    edges[2] + (i + 0.5) * (edges[3] - edges[2]) / nrows)

        xs: list[float] = []
        ys: list[float] = []
        for i in range(nrows - 1):
            for j in range(ncols - 1):
                # the square's corners, anticlockwise from bottom left
                corners = [(i, j), (i, j + 1), (i + 1, j + 1), (i + 1, j)]
                values = [rows[a][b] - level for a, b in corners]
                if not all(math.isfinite(v) for v in values):
                    continue
                crossings = []
                for k in range(4):
                    (a0, b0), (a1, b1) = corners[k], corners[(k + 1) % 4]
                    v0, v1 = values[k], values[(k + 1) % 4]
                    if (v0 > 0) != (v1 > 0):
                        t = v0 / (v0 - v1)
                        crossings.append(centre(a0 + t * (a1 - a0), b0 + t * (b1 - b0)))
                if len(crossings) == 4 and (sum(values) > 0) != (values[0] > 0):
                    # a saddle whose centre is on the other side from the first corner:
                    # that corner and the opposite one are cut off, not the other two
                    crossings = crossings[1:] + crossings[:1]
                for start in range(0, len(crossings), 2):
                    (xa, ya), (xb, yb) = crossings[start], crossings[start + 1]
                    xs += [xa, xb, math.nan]
                    ys += [ya, yb, math.nan]
        if not xs:
            return self  # the grid never crosses the level: nothing to draw
        return self.line(xs, ys, label=label, color=color, dashed=dashed, width=width)

    @staticmethod
    def _heat_colors(rows: list[list[float]], colors: Any, vmin: float | None,
                     vmax: float | None) -> Callable[[float], str]:
        """The value -> colour function of a heatmap."""
        if callable(colors):
            return colors
        finite = [v for row in rows for v in row if math.isfinite(v)] or [0.0]
        low, high = colors
        return _ramp(low, high, min(finite) if vmin is None else vmin,
                     max(finite) if vmax is None else vmax, shades=24)

    # -- layout -------------------------------------------------------

    def _legend_items(self) -> list[tuple[str, str]]:
        """``(label, swatch svg placed at the origin)`` for each labelled series."""
        items = []
        for ln in self._lines:
            if ln.label:
                items.append((ln.label, self._line_swatch(ln.color, ln.dashed, ln.width)))
        for sc in self._scatters:
            if sc.label:
                items.append((sc.label, _marker(10, 0, min(sc.size, 5), sc.marker, sc.color)))
        for ref in self._refs:
            if ref.label:
                items.append((ref.label, self._line_swatch(ref.color, ref.dashed, ref.width)))
        listed = set()
        for ar in self._arrows:
            if ar.label and ar.label not in listed:
                listed.add(ar.label)
                head = _arrow_head(20, 0, 1.0, 0.0, ar.color, ar.width)
                items.append((ar.label, self._line_swatch(ar.color, False, ar.width) + head))
        return items if self.legend else []

    @staticmethod
    def _line_swatch(color: str, dashed: bool, width: float) -> str:
        return (f'<path d="M0 0H20" stroke="{_attr(color)}" stroke-width="{_num(width)}"'
                f'{_dash(dashed)} fill="none"/>')

    def _legend_room(self) -> float:
        """How wide a legend row may be: the plot's width, about."""
        return self.width - 90

    @staticmethod
    def _legend_rows(items: list[tuple[str, str]], room: float) -> list[list[int]]:
        """Item indices per legend row, wrapping when a row is `room` px wide."""
        rows: list[list[int]] = [[]]
        used = 0.0
        for i, (label, _) in enumerate(items):
            wide = 28 + _text_width(label, LABEL_FONT) + 18
            if rows[-1] and used + wide > room:
                rows.append([])
                used = 0.0
            rows[-1].append(i)
            used += wide
        return rows if items else []

    def _data(self, vertical: bool) -> tuple[list[float], list[float]]:
        """Every x (or y) value drawn, and the heatmap edges, for the limits."""
        values: list[float] = []
        for series in [*self._lines, *self._scatters]:
            values += series.ys if vertical else series.xs
        values += [ref.value for ref in self._refs if ref.vertical != vertical]
        values += [note.y if vertical else note.x for note in self._notes]
        for ar in self._arrows:
            values += [ar.y, ar.y + ar.dy] if vertical else [ar.x, ar.x + ar.dx]
        tight = [e for h in self._heatmaps for e in ((h.y0, h.y1) if vertical else (h.x0, h.x1))]
        return values, tight

    def _layout(self) -> tuple[_Axis, _Axis, float]:
        """Both axes with their pixel ranges, and where the legend starts.

        Margins are just large enough for the title, the legend, the tick
        labels and the axis labels, so nothing is clipped or overlaps.
        """
        xlo, xhi = _limits(self.xlim, *self._data(False), self.xscale, "x")
        ylo, yhi = _limits(self.ylim, *self._data(True), self.yscale, "y")
        xaxis, yaxis, legend_top = self._axes((xlo, xhi), (ylo, yhi))
        if self.aspect == "equal":
            for _ in range(3):  # widening y can widen its tick labels: settle it
                xaxis, yaxis = self._equalize(xaxis, yaxis)
                xaxis, yaxis, legend_top = self._axes((xaxis.lo, xaxis.hi), (yaxis.lo, yaxis.hi))
        return xaxis, yaxis, legend_top

    @staticmethod
    def _equalize(xaxis: _Axis, yaxis: _Axis) -> tuple[_Axis, _Axis]:
        """Widen one axis's limits about its centre so a unit is as long on both."""
        x_per_px = (xaxis.hi - xaxis.lo) / abs(xaxis.end - xaxis.start)
        y_per_px = (yaxis.hi - yaxis.lo) / abs(yaxis.end - yaxis.start)
        axis, per_px = (yaxis, x_per_px) if x_per_px > y_per_px else (xaxis, y_per_px)
        middle, half = (axis.lo + axis.hi) / 2, per_px * abs(axis.end - axis.start) / 2
        axis.lo, axis.hi = middle - half, middle + half
        return xaxis, yaxis

    def _axes(self, xlimits: tuple[float, float], ylimits: tuple[float, float]
              ) -> tuple[_Axis, _Axis, float]:
        """Both axes placed on the canvas for the given data limits."""
        (xlo, xhi), (ylo, yhi) = xlimits, ylimits
        legend_top = 10 + (TITLE_FONT + 12 if self.title else 0)
        legend_rows = len(self._legend_rows(self._legend_items(), self._legend_room()))
        top = max(legend_top + 22 * legend_rows + (6 if legend_rows else 0), 14)
        tick_room = TICK_FONT + 18 if self.axes else 10
        bottom = self.height - (tick_room + (LABEL_FONT + 10 if self.xlabel else 0))
        if bottom - top < 60:
            raise ValueError(f"Figure {self.width}x{self.height} has no room left for the plot "
                             f"under a legend of {len(self._legend_items())} entries: make it "
                             "taller, or the labels shorter, or set fig.legend = False")
        yaxis = _Axis(self.yscale, ylo, yhi, start=bottom, end=top)
        left = 10 + (LABEL_FONT + 10 if self.ylabel else 0) + self._ytick_room(yaxis)
        xaxis = _Axis(self.xscale, xlo, xhi, start=left, end=self.width - 16)
        if not self.axes:
            xaxis.end = self.width - 10
            return xaxis, yaxis, legend_top
        xlabels = xaxis.labels(self._x_target(xaxis))
        if xlabels and xaxis.to_px(xlabels[-1][0]) > self.width - 30:
            overhang = _text_width(xlabels[-1][1], TICK_FONT) / 2 + 4
            xaxis.end = self.width - max(16, overhang)
        return xaxis, yaxis, legend_top

    def _ytick_room(self, yaxis: _Axis) -> float:
        """The width left of the plot for the y tick labels (none without axes)."""
        if not self.axes:
            return 0.0
        ylabels = yaxis.labels(self._y_target(yaxis))
        return max((_text_width(text, TICK_FONT) for _, text in ylabels), default=0) + 10

    @staticmethod
    def _x_target(axis: _Axis) -> int:
        """How many x ticks fit: labels like 10⁻¹² need more room than 0.5."""
        room = 45 if axis.scale == "log" else 90
        return max(3, int(abs(axis.end - axis.start) / room))

    @staticmethod
    def _y_target(axis: _Axis) -> int:
        """How many y ticks fit: a decade per 28 px on a log axis."""
        room = 28 if axis.scale == "log" else 50
        return max(3, int(abs(axis.end - axis.start) / room))

    # -- drawing ------------------------------------------------------

    def _draw_axes(self, xaxis: _Axis, yaxis: _Axis) -> list[str]:
        """Grid lines, the two axis lines, ticks and their labels."""
        x0, x1, y0, y1 = xaxis.start, xaxis.end, yaxis.start, yaxis.end
        out = ['<g class="axes" stroke="currentColor" fill="none">']
        xlabels, ylabels = xaxis.labels(self._x_target(xaxis)), yaxis.labels(self._y_target(yaxis))
        for value, _ in xlabels:
            px = _num(xaxis.to_px(value))
            out.append(f'<path d="M{px} {_num(y1)}V{_num(y0 + 5)}" stroke-opacity="0.15"/>')
        for value, _ in ylabels:
            py = _num(yaxis.to_px(value))
            out.append(f'<path d="M{_num(x0 - 5)} {py}H{_num(x1)}" stroke-opacity="0.15"/>')
        out += self._minor_ticks(xaxis, yaxis)
        out.append(f'<path d="M{_num(x0)} {_num(y1)}V{_num(y0)}H{_num(x1)}" '
                   'stroke-width="1.2" stroke-linecap="square"/>')
        out.append("</g>")
        out.append(f'<g class="ticks" fill="currentColor" font-size="{TICK_FONT}">')
        for value, text in xlabels:
            out.append(f'<text x="{_num(xaxis.to_px(value))}" y="{_num(y0 + 9)}" dy="0.8em" '
                       f'text-anchor="middle">{escape(text)}</text>')
        for value, text in ylabels:
            out.append(f'<text x="{_num(x0 - 9)}" y="{_num(yaxis.to_px(value))}" dy="0.35em" '
                       f'text-anchor="end">{escape(text)}</text>')
        out.append("</g>")
        return out

    @staticmethod
    def _minor_ticks(xaxis: _Axis, yaxis: _Axis) -> list[str]:
        """Short unlabelled ticks at 2..9 times each power of ten on log axes."""
        out = []
        if xaxis.scale == "log":
            for v in _minor_log_ticks(xaxis.lo, xaxis.hi):
                px = _num(xaxis.to_px(v))
                out.append(f'<path d="M{px} {_num(yaxis.start)}v3" stroke-opacity="0.6"/>')
        if yaxis.scale == "log":
            for v in _minor_log_ticks(yaxis.lo, yaxis.hi):
                py = _num(yaxis.to_px(v))
                out.append(f'<path d="M{_num(xaxis.start)} {py}h-3" stroke-opacity="0.6"/>')
        return out

    def _draw_labels(self, xaxis: _Axis, yaxis: _Axis) -> list[str]:
        """The title and the two axis labels."""
        out = ['<g class="labels" fill="currentColor">']
        if self.title:
            out.append(f'<text x="{_num(self.width / 2)}" y="{10 + TITLE_FONT}" '
                       f'font-size="{TITLE_FONT}" font-weight="600" text-anchor="middle" '
                       'class="title">'
                       f'{escape(self.title)}</text>')
        if self.xlabel:
            middle = (xaxis.start + xaxis.end) / 2
            out.append(f'<text x="{_num(middle)}" y="{_num(self.height - 8)}" '
                       f'font-size="{LABEL_FONT}" text-anchor="middle">'
                       f'{escape(self.xlabel)}</text>')
        if self.ylabel:
            middle, x = (yaxis.start + yaxis.end) / 2, 10 + LABEL_FONT
            out.append(f'<text transform="translate({x} {_num(middle)}) rotate(-90)" '
                       f'font-size="{LABEL_FONT}" text-anchor="middle">'
                       f'{escape(self.ylabel)}</text>')
        out.append("</g>")
        return out

    def _draw_heatmap(self, heat: _Heatmap, xaxis: _Axis, yaxis: _Axis) -> list[str]:
        """One rectangle per run of equal colour in each row of the grid."""
        nrows, ncols = len(heat.grid), len(heat.grid[0])
        xs = [heat.x0 + (heat.x1 - heat.x0) * j / ncols for j in range(ncols + 1)]
        ys = [heat.y0 + (heat.y1 - heat.y0) * i / nrows for i in range(nrows + 1)]
        if not all(_drawable(v, xaxis.scale) for v in (xs[0], xs[-1])) or not all(
                _drawable(v, yaxis.scale) for v in (ys[0], ys[-1])):
            raise ValueError("heatmap: its extent must be positive on a log axis")
        out = [f'<g class="heatmap" opacity="{_num(heat.opacity)}" shape-rendering="crispEdges">']
        for i, row in enumerate(heat.grid):
            colors = [heat.color_of(v) if math.isfinite(v) else None for v in row]
            top, bottom = yaxis.to_px(ys[i + 1]), yaxis.to_px(ys[i])
            for start, length, color in _runs(colors):
                left, right = xaxis.to_px(xs[start]), xaxis.to_px(xs[start + length])
                out.append(f'<rect x="{_num(left)}" y="{_num(top)}" width="{_num(right - left)}" '
                           f'height="{_num(bottom - top)}" fill="{_attr(color)}"/>')
        out.append("</g>")
        return out

    @staticmethod
    def _draw_line(line: _Line, xaxis: _Axis, yaxis: _Axis) -> str:
        """One <path> per line; it breaks at points a log axis cannot show."""
        parts, pen_down = [], False
        for x, y in zip(line.xs, line.ys, strict=True):
            if not (_drawable(x, xaxis.scale) and _drawable(y, yaxis.scale)):
                pen_down = False
                continue
            parts.append(f'{"L" if pen_down else "M"}{_num(xaxis.to_px(x))} '
                         f'{_num(yaxis.to_px(y))}')
            pen_down = True
        return (f'<path class="line" d="{"".join(parts)}" fill="none" stroke="{_attr(line.color)}" '
                f'stroke-width="{_num(line.width)}" stroke-linejoin="round" '
                f'stroke-linecap="round"{_dash(line.dashed)}/>')

    @staticmethod
    def _draw_scatter(sc: _Scatter, xaxis: _Axis, yaxis: _Axis) -> list[str]:
        """One marker per point inside the limits."""
        out = ['<g class="scatter">']
        for x, y in zip(sc.xs, sc.ys, strict=True):
            if xaxis.contains(x) and yaxis.contains(y):
                out.append(_marker(xaxis.to_px(x), yaxis.to_px(y), sc.size, sc.marker, sc.color))
        out.append("</g>")
        return out

    @staticmethod
    def _draw_ref(ref: _RefLine, xaxis: _Axis, yaxis: _Axis) -> str:
        """A reference line from one side of the plot to the other."""
        if ref.vertical:
            p = _num(xaxis.to_px(ref.value))
            d = f"M{p} {_num(yaxis.start)}V{_num(yaxis.end)}"
        else:
            p = _num(yaxis.to_px(ref.value))
            d = f"M{_num(xaxis.start)} {p}H{_num(xaxis.end)}"
        return (f'<path class="refline" d="{d}" fill="none" stroke="{_attr(ref.color)}" '
                f'stroke-width="{_num(ref.width)}"{_dash(ref.dashed)}/>')

    @staticmethod
    def _draw_arrow(ar: _Arrow, xaxis: _Axis, yaxis: _Axis) -> str:
        """A shaft and a filled head, the head turned along the shaft on the page."""
        x0, y0 = xaxis.to_px(ar.x), yaxis.to_px(ar.y)
        x1, y1 = xaxis.to_px(ar.x + ar.dx), yaxis.to_px(ar.y + ar.dy)
        length = math.hypot(x1 - x0, y1 - y0) or 1.0
        ux, uy = (x1 - x0) / length, (y1 - y0) / length
        back = min(_head_length(ar.width), length)  # the shaft stops where the head starts
        shaft = (f'<path d="M{_num(x0)} {_num(y0)}L{_num(x1 - ux * back)} {_num(y1 - uy * back)}" '
                 f'stroke="{_attr(ar.color)}" stroke-width="{_num(ar.width)}" fill="none"/>')
        head = _arrow_head(x1, y1, ux, uy, ar.color, ar.width)
        return f'<g class="arrow">{shaft}{head}</g>'

    @staticmethod
    def _draw_note(note: _Note, xaxis: _Axis, yaxis: _Axis) -> str:
        """A note beside its point, aligned by `align` or else by where it is."""
        x, y = xaxis.to_px(note.x), yaxis.to_px(note.y)
        near_right = x > xaxis.start + 0.7 * (xaxis.end - xaxis.start)
        anchor = note.align or ("end" if near_right else "start")
        dx = {"start": 6, "middle": 0, "end": -6}[anchor]
        return (f'<text class="note" x="{_num(x + dx)}" y="{_num(y - 6)}" '
                f'fill="{_attr(note.color)}" font-size="{TICK_FONT}" text-anchor="{anchor}">'
                f"{escape(note.text)}</text>")

    def _draw_legend(self, left: float, top: float) -> list[str]:
        """A row (or a few) of swatches and labels above the plot."""
        items = self._legend_items()
        out = [f'<g class="legend" fill="currentColor" font-size="{LABEL_FONT}">']
        for r, row in enumerate(self._legend_rows(items, self._legend_room())):
            x, y = left, top + 22 * r + 11
            for i in row:
                label, swatch = items[i]
                out.append(f'<g transform="translate({_num(x)} {_num(y)})">{swatch}</g>')
                out.append(f'<text x="{_num(x + 28)}" y="{_num(y)}" dy="0.35em">'
                           f"{escape(label)}</text>")
                x += 28 + _text_width(label, LABEL_FONT) + 18
        out.append("</g>")
        return out

    def _description(self) -> str:
        """A sentence for screen readers: what is plotted against what."""
        labels = [s.label for s in [*self._lines, *self._scatters] if s.label]
        parts = [f"{len(self._lines)} line(s) and {len(self._scatters)} scatter series"]
        if self._arrows:
            parts[0] += f" and {len(self._arrows)} arrow(s)"
        if labels:
            parts.append("labelled " + ", ".join(labels))
        if self.xlabel or self.ylabel:
            parts.append(f"{self.ylabel or 'y'} ({self.yscale} scale) against "
                         f"{self.xlabel or 'x'} ({self.xscale} scale)")
        return "; ".join(parts) + "."

    def to_svg(self) -> str:
        """The whole figure as one ``<svg>`` element, ready to put in a page.

        The same figure always gives the same string, to the character.
        """
        xaxis, yaxis, legend_top = self._layout()
        x0, x1, ytop, ybottom = xaxis.start, xaxis.end, yaxis.end, yaxis.start
        body = [f'<defs><clipPath id="{_UID}-clip"><rect x="{_num(x0)}" y="{_num(ytop)}" '
                f'width="{_num(x1 - x0)}" height="{_num(ybottom - ytop)}"/></clipPath></defs>']
        body += [f'<g clip-path="url(#{_UID}-clip)">']
        for heat in self._heatmaps:
            body += self._draw_heatmap(heat, xaxis, yaxis)
        body += ["</g>"]
        if self.axes:
            body += self._draw_axes(xaxis, yaxis)
        body += [f'<g clip-path="url(#{_UID}-clip)">']
        body += [self._draw_ref(ref, xaxis, yaxis) for ref in self._refs]
        body += [self._draw_line(line, xaxis, yaxis) for line in self._lines]
        body += [self._draw_arrow(ar, xaxis, yaxis) for ar in self._arrows]
        body += ["</g>"]
        for sc in self._scatters:
            body += self._draw_scatter(sc, xaxis, yaxis)
        body += [self._draw_note(note, xaxis, yaxis) for note in self._notes]
        body += self._draw_labels(xaxis, yaxis)
        body += self._draw_legend(x0, legend_top)
        title = self.title or (f"{self.ylabel} against {self.xlabel}".strip() or "Plot")
        return _svg_document(body, self.width, self.height, title, self._description())

    def _repr_svg_(self) -> str:
        """Jupyter shows the figure as a picture."""
        return self.to_svg()

    def _repr_html_(self) -> str:
        """The same SVG, offered as HTML so that Jupyter puts it inline.

        JupyterLab and nbconvert (so mkdocs-jupyter) show an ``image/svg+xml``
        output as an ``<img>``, where ``currentColor`` is always black; HTML
        output is preferred and inline, so the figure follows the theme.
        """
        return self.to_svg()

    def save(self, path: str | Path) -> Path:
        """Write the SVG to `path` (UTF-8) and return the path."""
        return _save(self.to_svg(), path)


# ---------------------------------------------------------------- image grids


def _image_rows(image: Any, index: int) -> list[list[float]]:
    """One image as rows of floats; a flat vector of n*n values is made square."""
    rows = list(image)
    if rows and not hasattr(rows[0], "__iter__"):
        side = math.isqrt(len(rows))
        if side * side != len(rows):
            raise ValueError(f"image_grid: image {index} is flat with {len(rows)} values, "
                             "not a square number; pass it as rows")
        rows = [rows[r * side:(r + 1) * side] for r in range(side)]
    grid = [_floats(row, f"image {index}") for row in rows]
    if not grid or not grid[0] or any(len(row) != len(grid[0]) for row in grid):
        raise ValueError(f"image_grid: image {index} must be a non-empty rectangle of values")
    return grid


def _gray(cmap: str | tuple[str, str]) -> tuple[str, str]:
    """The (low, high) colours of a colour map name or pair."""
    if cmap == "gray":
        return "#000000", "#ffffff"
    if cmap == "gray_r":
        return "#ffffff", "#000000"
    if isinstance(cmap, tuple) and len(cmap) == 2:
        return cmap
    raise ValueError(f"image_grid cmap must be 'gray', 'gray_r' or (low, high), got {cmap!r}")


class ImageGrid:
    """Small images in a grid, each with an optional caption; see `image_grid`."""

    def __init__(self, images: list[list[list[float]]], ncols: int, labels: list[str] | None,
                 cell: float, cmap: str | tuple[str, str], vmin: float, vmax: float,
                 title: str) -> None:
        self.images, self.ncols, self.labels = images, ncols, labels
        self.cell, self.title = cell, title
        self.low, self.high = _gray(cmap)
        self.color_of = _ramp(self.low, self.high, vmin, vmax, shades=255)

    def _column_width(self) -> float:
        widest = max((_text_width(t, TICK_FONT) for t in self.labels or []), default=0)
        return max(self.cell, widest) + 12

    def _pixel_color(self, value: float) -> str | None:
        """A pixel's colour, or None where the background already shows it."""
        color = self.color_of(value) if math.isfinite(value) else self.low
        return None if color == self.low else color

    def _draw_image(self, rows: list[list[float]], x: float, y: float) -> list[str]:
        """An image on its own background (so it reads on any page), framed."""
        pixel = self.cell / max(len(rows), len(rows[0]))
        width, height = pixel * len(rows[0]), pixel * len(rows)
        out = [f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(width)}" height="{_num(height)}" '
               f'fill="{self.low}"/>']
        for r, row in enumerate(rows):
            colors = [self._pixel_color(v) for v in row]
            for start, length, color in _runs(colors):
                out.append(f'<rect x="{_num(x + start * pixel)}" y="{_num(y + r * pixel)}" '
                           f'width="{_num(length * pixel)}" height="{_num(pixel)}" '
                           f'fill="{color}"/>')
        out.append(f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(width)}" '
                   f'height="{_num(height)}" fill="none" stroke="currentColor" '
                   'stroke-opacity="0.35"/>')
        return out

    def to_svg(self) -> str:
        """The grid as one ``<svg>`` element; the same input gives the same string."""
        col_w = self._column_width()
        row_h = self.cell + (TICK_FONT + 10 if self.labels else 0) + 10
        top = 10 + (TITLE_FONT + 12 if self.title else 0)
        nrows = math.ceil(len(self.images) / self.ncols)
        width, height = col_w * min(self.ncols, len(self.images)), top + row_h * nrows
        body = ['<g shape-rendering="crispEdges">']
        captions = [f'<g fill="currentColor" font-size="{TICK_FONT}" text-anchor="middle">']
        for k, rows in enumerate(self.images):
            x, y = col_w * (k % self.ncols), top + row_h * (k // self.ncols)
            body += self._draw_image(rows, x + (col_w - self.cell) / 2, y)
            if self.labels:
                captions.append(f'<text x="{_num(x + col_w / 2)}" y="{_num(y + self.cell + 6)}" '
                                f'dy="0.8em">{escape(self.labels[k])}</text>')
        body += ["</g>", *captions, "</g>"]
        if self.title:
            body.append(f'<text x="{_num(width / 2)}" y="{10 + TITLE_FONT}" fill="currentColor" '
                        f'font-size="{TITLE_FONT}" font-weight="600" text-anchor="middle" '
                        'class="title">'
                        f"{escape(self.title)}</text>")
        desc = f"{len(self.images)} images in {nrows} row(s) of up to {self.ncols}."
        return _svg_document(body, width, height, self.title or "Image grid", desc)

    def _repr_svg_(self) -> str:
        return self.to_svg()

    def _repr_html_(self) -> str:
        """Inline in Jupyter, so captions follow the theme (see `Figure._repr_html_`)."""
        return self.to_svg()

    def save(self, path: str | Path) -> Path:
        """Write the SVG to `path` (UTF-8) and return the path."""
        return _save(self.to_svg(), path)


def image_grid(
    images: Iterable[Any],
    ncols: int = 8,
    labels: Sequence[str] | None = None,
    cell: float = 56,
    cmap: str | tuple[str, str] = "gray",
    vmin: float | None = None,
    vmax: float | None = None,
    title: str = "",
) -> ImageGrid:
    """A grid of small grayscale images, e.g. 8x8 digits with values 0..16.

    Each image is rows of numbers (a list of lists or a 2-D numpy array), or
    a flat vector of n*n numbers (a row of the digits data). Values are
    shaded from `vmin` (default: the smallest over all images) to `vmax`
    with `cmap` ``"gray"`` (low is black), ``"gray_r"`` (low is white) or a
    ``(low, high)`` colour pair. `cell` is the side of each image in pixels,
    `labels` one caption per image (``"pred 3 / true 8"``).
    """
    grids = [_image_rows(image, k) for k, image in enumerate(images)]
    if not grids:
        raise ValueError("image_grid: needs at least one image")
    if not isinstance(ncols, int) or ncols < 1:
        raise ValueError(f"image_grid: ncols must be a positive int, got {ncols!r}")
    if labels is not None:
        labels = [str(label) for label in labels]
        if len(labels) != len(grids):
            raise ValueError(f"image_grid: {len(grids)} images but {len(labels)} labels")
    values = [v for g in grids for row in g for v in row if math.isfinite(v)] or [0.0]
    low = min(values) if vmin is None else vmin
    high = max(values) if vmax is None else vmax
    return ImageGrid(grids, ncols, labels, cell, cmap, low, high, title)
