"""What every chart shares: the palette and sizes, text measuring and number formatting,
checking the numbers, the scale, the layout, the legend and the x labels, and the SVG
document itself (title, description, gridlines, axes). The chart kinds (bars.py, lines.py)
add their marks to an `Svg`; the drawing rules are in the package's docstring."""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from markupsafe import Markup, escape

# GOV.UK colours. Contrast against white in brackets (tests/fidelity checks them).
TEXT = "#0b0c0c"  # 19.0:1, labels
SECONDARY = "#505a5f"  # 7.0:1, tick labels, axis
GRID = "#b1b4b6"  # decorative gridlines
BLUE = "#1d70b8"  # 5.2:1, bars
GREEN = "#00703c"  # 6.3:1, target band edges
BAND_FILL = "#cce2d8"  # decorative: the band's edges carry it
WHITE = "#ffffff"
# Lines: each also has its own marker shape and dash pattern. Orange (#f47738) is left out:
# it is only 2.6:1 against white.
SERIES_COLOURS = ("#1d70b8", "#d4351c", "#4c2c92", "#0b0c0c", "#912b88")
DASHES = ("", "8 4", "2 4")

WIDTH = 480.0  # viewBox width
FONT = 17.0  # font size in viewBox units: 12.2px when the chart is 345px wide
ROW = 26.0  # height of a legend row
PLOT_HEIGHT = 220.0
RIGHT = 12.0
BOTTOM = 34.0  # room for the x labels
LABEL_GAP = 10.0  # least space between two x labels
NO_DATA = "no data"
MIN_TOP = 0.001  # the smallest scale: tinier numbers are drawn as if zero

Number = float | int
Point = tuple[str, Number | None]


@dataclass(frozen=True, slots=True)
class Chart:
    """A rendered chart and the same numbers as a table."""

    id: str  # HTML id of the figure; the SVG's <title> and <desc> are id-title and id-desc
    title: str
    description: str  # one sentence summarising the data
    svg: Markup
    headers: tuple[str, ...]  # table column headers; the first column holds row headers
    rows: tuple[tuple[str, ...], ...]  # formatted for people: "88%", "2.5", "no data"
    caption: str  # the table's caption

    @property
    def title_id(self) -> str:
        return f"{self.id}-title"

    @property
    def desc_id(self) -> str:
        return f"{self.id}-desc"


# ---------------------------------------------------------------------------------------------
# Formatting and measuring text
# ---------------------------------------------------------------------------------------------

_NARROW = frozenset("iIjlft.,:;'!|()[]/ ")
_WIDE = frozenset("mwMW%@")


def text_width(text: str, size: float = FONT) -> float:
    """A generous estimate of the rendered width of ``text`` in a sans-serif system font."""
    units = 0.0
    for ch in text:
        if ch in _NARROW:
            units += 0.34
        elif ch in _WIDE:
            units += 0.92
        elif ch.isupper():
            units += 0.72
        else:
            units += 0.6
    return units * size


def _rounded(value: float, places: int) -> Decimal:
    # Half up, as people round (87.5% is 88%), from the shortest repr (2.675 is 2.68).
    return Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)


@lru_cache(maxsize=4096)
def format_value(value: float, *, percent: bool = False) -> str:
    """A number for people: percentages whole ("88%"), other numbers to 0.1 ("2.5", "3")."""
    if percent:
        return f"{_rounded(value, 0):,f}%"
    text = f"{_rounded(value, 1):,f}"
    return text[:-2] if text.endswith(".0") else text


def fmt_or_none(value: float | None, percent: bool) -> str:
    return NO_DATA if value is None else format_value(value, percent=percent)


# Characters XML 1.0 does not allow (C0 controls but tab and newlines, lone surrogates, FFFE/F).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def esc(text: str) -> Markup:
    """Text for the SVG: escaped, and without characters that would make it malformed XML."""
    return escape(_NOT_XML.sub("", text))


def xy(x: float) -> str:
    """A coordinate, to 0.1 of a unit."""
    return f"{x:.1f}"


def plural(word: str, count: int) -> str:
    word = word.lower()
    if count == 1 or word.endswith("s"):
        return word
    return f"{word}s"


def list_words(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def chart_id(title: str) -> str:
    """A stable HTML id from the title: a readable slug and a short hash of the whole title."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40].rstrip("-")
    digest = hashlib.sha256(title.encode()).hexdigest()[:6]
    return f"chart-{slug}-{digest}" if slug else f"chart-{digest}"


_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


def resolve_id(title: str, given: str | None) -> str:
    if given is None:
        return chart_id(title)
    if not _ID.fullmatch(given):
        raise ValueError(f"chart id {given!r} must be a letter then letters, digits, - or _")
    return given


# ---------------------------------------------------------------------------------------------
# Checking input
# ---------------------------------------------------------------------------------------------


def checked(value: Number | None, label: str) -> float | None:
    if value is None:
        return None
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{label!r}: {value!r} is not a finite number")
    if number < 0:
        raise ValueError(f"{label!r}: {value!r} is negative; charts show counts, hours and rates")
    return number


def checked_target(target: tuple[Number, Number] | None) -> tuple[float, float] | None:
    if target is None:
        return None
    low, high = (checked(v, "target") for v in target)
    assert low is not None and high is not None  # noqa: PT018 - both came from numbers
    if low > high:
        raise ValueError(f"target {target!r}: the low end is above the high end")
    return low, high


# ---------------------------------------------------------------------------------------------
# Scale, layout and the parts every chart shares
# ---------------------------------------------------------------------------------------------


def _nice_step(top: float) -> float:
    raw = top / 5
    magnitude = 10.0 ** math.floor(math.log10(raw))
    for m in (1, 2, 5):
        if m * magnitude >= raw * (1 - 1e-9):
            return m * magnitude
    return 10 * magnitude


def _places(step: float) -> int:
    for places in range(4):
        scaled = step * 10**places
        if abs(scaled - round(scaled)) < 1e-6:
            return places
    return 4


@dataclass(frozen=True, slots=True)
class Scale:
    top: float  # the value at the top of the plot
    ticks: tuple[float, ...]
    tick_labels: tuple[str, ...]

    @classmethod
    def make(cls, data_max: float, max_value: float | None, percent: bool) -> Scale:
        if max_value is not None and max_value > 0:
            top = max(max_value, MIN_TOP)
            step = _nice_step(top)
        else:
            wanted = max(data_max, MIN_TOP) if data_max > 0 else 1.0
            step = _nice_step(wanted)
            top = math.ceil(wanted / step - 1e-9) * step
        count = int(top / step + 1e-9) + 1
        ticks = tuple(i * step for i in range(count))
        places = _places(step)
        suffix = "%" if percent else ""
        labels = tuple(f"{t:,.{places}f}{suffix}" for t in ticks)
        return cls(top, ticks, labels)


class Layout:
    """Where the plot sits in the viewBox, and how values and slots map onto it."""

    __slots__ = ("_k", "bottom", "count", "height", "left", "scale", "slot", "top", "width")

    def __init__(
        self, *, left: float, top: float, width: float, height: float, count: int, scale: Scale
    ) -> None:
        self.left, self.top, self.width, self.height = left, top, width, height
        self.count = count  # slots along the x axis
        self.scale = scale
        self.bottom = top + height
        self.slot = width / max(count, 1)
        self._k = height / scale.top

    @property
    def total_height(self) -> float:
        return self.bottom + BOTTOM

    def cx(self, index: int) -> float:
        return self.left + (index + 0.5) * self.slot

    def y(self, value: float) -> float:
        """The y coordinate of a value, clipped to the plot."""
        return self.bottom - min(value, self.scale.top) * self._k


Swatch = Callable[[float, float], str]  # draws a legend key centred vertically at (x, y)
SWATCH_WIDTH = 26.0


@dataclass(frozen=True, slots=True)
class LegendItem:
    swatch: Swatch
    text: str


def _legend_rows(items: Sequence[LegendItem]) -> list[list[tuple[float, LegendItem]]]:
    """Flow legend items left to right, wrapping to a new row when one would not fit."""
    rows: list[list[tuple[float, LegendItem]]] = []
    x = 0.0
    for item in items:
        width = SWATCH_WIDTH + 6 + text_width(item.text)
        if not rows or (x > 0 and x + width > WIDTH):
            rows.append([])
            x = 0.0
        rows[-1].append((x, item))
        x += width + 18
    return rows


def _x_label_positions(labels: Sequence[str], layout: Layout) -> list[tuple[int, float, float]]:
    """Which x labels to draw, and where, so that no two overlap.

    Every ``step``-th label is drawn, where ``step`` is the fewest slots the widest label
    needs; labels are nudged inside the viewBox at the ends and dropped if that would make
    them touch their neighbour. Returns (index, centre x, width) for each label drawn.
    """
    if not labels:
        return []
    widths = [text_width(label) for label in labels]
    step = max(1, math.ceil((max(widths) + LABEL_GAP) / layout.slot))
    placed: list[tuple[int, float, float]] = []
    right_edge = -math.inf
    for index in range(0, len(labels), step):
        width = widths[index]
        centre = layout.cx(index)
        centre = max(centre, width / 2)
        centre = min(centre, WIDTH - width / 2)
        if centre - width / 2 < right_edge + LABEL_GAP:
            continue
        placed.append((index, centre, width))
        right_edge = centre + width / 2
    return placed


class Svg:
    """Collects the parts of one chart's SVG."""

    def __init__(
        self,
        *,
        ident: str,
        title: str,
        description: str,
        unit_caption: str | None,
        legend: Sequence[LegendItem],
        labels: Sequence[str],
        scale: Scale,
        empty: bool,
        defs: str = "",
    ) -> None:
        legend_rows = _legend_rows(legend)
        top = 0.0
        parts: list[str] = []
        if unit_caption:
            parts.append(
                f'<text x="0" y="{xy(top + ROW / 2)}" dy="0.35em" fill="{TEXT}">'
                f"{esc(unit_caption)}</text>"
            )
            top += ROW
        for row in legend_rows:
            centre = top + ROW / 2
            for x, item in row:
                parts.append(item.swatch(x, centre))
                parts.append(
                    f'<text x="{xy(x + SWATCH_WIDTH + 6)}" y="{xy(centre)}" dy="0.35em" '
                    f'fill="{TEXT}">{esc(item.text)}</text>'
                )
            top += ROW
        top += 16  # half a tick label, and room for the "above the scale" markers
        # Absurdly long tick labels may overflow to the left rather than squash the plot.
        left = min(max(text_width(label) for label in scale.tick_labels) + 10, WIDTH * 0.4)
        self.layout = Layout(
            left=left,
            top=top,
            width=WIDTH - left - RIGHT,
            height=PLOT_HEIGHT,
            count=len(labels),
            scale=scale,
        )
        self.ident = ident
        self.title = title
        self.description = description
        self.defs = defs
        self.head = parts
        self.labels = labels
        self.empty = empty  # no number at all: no scale, a message instead
        self.marks: list[str] = []

    def band(self, target: tuple[float, float] | None) -> None:
        """The target band: a pale fill behind the marks (drawn first)."""
        if target is None:
            return
        lay = self.layout
        y_high, y_low = lay.y(target[1]), lay.y(target[0])
        self.marks.append(
            f'<rect x="{xy(lay.left)}" y="{xy(y_high)}" width="{xy(lay.width)}" '
            f'height="{xy(max(y_low - y_high, 0.0))}" fill="{BAND_FILL}"/>'
        )

    def band_edges(self, target: tuple[float, float] | None) -> None:
        """The band's dashed edges, on top of the marks so they stay visible."""
        if target is None:
            return
        lay = self.layout
        right = lay.left + lay.width
        for value in target:
            if value > lay.scale.top:
                continue
            y = xy(lay.y(value))
            self.marks.append(
                f'<line x1="{xy(lay.left)}" y1="{y}" x2="{xy(right)}" y2="{y}" '
                f'stroke="{GREEN}" stroke-width="2" stroke-dasharray="6 4"/>'
            )

    def render(self) -> Markup:
        lay = self.layout
        right = lay.left + lay.width
        out: list[str] = [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="tandem-chart__svg" '
            f'viewBox="0 0 {xy(WIDTH)} {xy(lay.total_height)}" width="100%" role="img" '
            f'aria-labelledby="{self.ident}-title {self.ident}-desc" '
            f'font-family="system-ui, sans-serif" font-size="{FONT:g}">',
            f'<title id="{self.ident}-title">{esc(self.title)}</title>',
            f'<desc id="{self.ident}-desc">{esc(self.description)}</desc>',
        ]
        if self.defs:
            out.append(f"<defs>{self.defs}</defs>")
        out.extend(self.head)
        # Gridlines and y tick labels.
        ticks = zip(lay.scale.ticks, lay.scale.tick_labels, strict=True)
        for tick, label in () if self.empty else ticks:
            y = xy(lay.y(tick))
            if tick > 0:
                out.append(
                    f'<line x1="{xy(lay.left)}" y1="{y}" x2="{xy(right)}" y2="{y}" '
                    f'stroke="{GRID}" stroke-width="1"/>'
                )
            out.append(
                f'<text x="{xy(lay.left - 8)}" y="{y}" dy="0.35em" text-anchor="end" '
                f'fill="{SECONDARY}">{esc(label)}</text>'
            )
        out.extend(self.marks)
        if self.empty:
            out.append(
                f'<text x="{xy(lay.left + lay.width / 2)}" y="{xy(lay.top + lay.height / 2)}" '
                f'text-anchor="middle" fill="{SECONDARY}">No data yet</text>'
            )
        # The x axis, its tick marks and the labels that fit.
        base = xy(lay.bottom)
        out.append(
            f'<line x1="{xy(lay.left)}" y1="{base}" x2="{xy(right)}" y2="{base}" '
            f'stroke="{SECONDARY}" stroke-width="2"/>'
        )
        label_y = xy(lay.bottom + 24)
        for index, centre, _width in _x_label_positions(self.labels, lay):
            tick_x = xy(lay.cx(index))
            out.append(
                f'<line class="tc-xtick" x1="{tick_x}" y1="{base}" x2="{tick_x}" '
                f'y2="{xy(lay.bottom + 6)}" stroke="{SECONDARY}" stroke-width="1.5"/>'
                f'<text class="tc-xlabel" x="{xy(centre)}" y="{label_y}" text-anchor="middle" '
                f'fill="{TEXT}">{esc(self.labels[index])}</text>'
            )
        out.append("</svg>")
        return Markup("".join(out))  # noqa: S704 - every piece of text above is escaped


# Legend swatches -----------------------------------------------------------------------------


def band_swatch(x: float, y: float) -> str:
    return (
        f'<rect x="{xy(x + 1)}" y="{xy(y - 7)}" width="{xy(SWATCH_WIDTH - 2)}" height="14" '
        f'fill="{BAND_FILL}" stroke="{GREEN}" stroke-width="2" stroke-dasharray="6 4"/>'
    )


def target_text(target: tuple[float, float], unit: str, percent: bool) -> str:
    low, high = (format_value(v, percent=percent) for v in target)
    return f"{low} to {high}" if percent else f"{low} to {high} {unit}"


def unit_caption(unit: str, percent: bool) -> str:
    caption = unit[:1].upper() + unit[1:]
    return f"{caption} (%)" if percent else caption
