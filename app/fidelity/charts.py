"""Server-side SVG charts for the fidelity dashboard: no JavaScript and no inline styles.

Each function returns a :class:`Chart`: the SVG (a ``Markup`` string, every label escaped),
a one-sentence summary computed from the data, and the same numbers as table headers and
rows for the "Show the data" table that ``templates/fidelity/_chart.html`` renders.

Drawing rules (WCAG 2.2 AA):

* Colours only through SVG presentation attributes (``fill``, ``stroke``), which the page's
  ``style-src 'self'`` policy allows; never a ``style`` attribute or ``<style>`` element.
* Text is at least 4.5:1 against white; bars, lines, markers and the target band's edges at
  least 3:1. Gridlines and the band's fill are decoration, the tick labels carry the values.
* Nothing relies on colour alone: the two series of a paired chart are hatched outline versus
  solid fill, each line has its own marker shape and dash pattern, and every chart has a legend
  in words and a data table.
* The SVG has a ``viewBox`` and ``width="100%"`` and no height, so it keeps its proportions on
  any screen. At 480 units wide a 17-unit font renders at 12px or more when the chart is 345px
  wide (a 375px phone less the GOV.UK page margins).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from markupsafe import Markup, escape

__all__ = [
    "Chart",
    "bar_chart",
    "chart_id",
    "format_value",
    "line_chart",
    "paired_bar_chart",
    "text_width",
]

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


def _fmt_or_none(value: float | None, percent: bool) -> str:
    return NO_DATA if value is None else format_value(value, percent=percent)


# Characters XML 1.0 does not allow (C0 controls but tab and newlines, lone surrogates, FFFE/F).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _esc(text: str) -> Markup:
    """Text for the SVG: escaped, and without characters that would make it malformed XML."""
    return escape(_NOT_XML.sub("", text))


def _n(x: float) -> str:
    """A coordinate, to 0.1 of a unit."""
    return f"{x:.1f}"


def _plural(word: str, count: int) -> str:
    word = word.lower()
    if count == 1 or word.endswith("s"):
        return word
    return f"{word}s"


def _list_words(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def chart_id(title: str) -> str:
    """A stable HTML id from the title: a readable slug and a short hash of the whole title."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40].rstrip("-")
    digest = hashlib.sha256(title.encode()).hexdigest()[:6]
    return f"chart-{slug}-{digest}" if slug else f"chart-{digest}"


_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


def _resolve_id(title: str, given: str | None) -> str:
    if given is None:
        return chart_id(title)
    if not _ID.fullmatch(given):
        raise ValueError(f"chart id {given!r} must be a letter then letters, digits, - or _")
    return given


# ---------------------------------------------------------------------------------------------
# Checking input
# ---------------------------------------------------------------------------------------------


def _checked(value: Number | None, label: str) -> float | None:
    if value is None:
        return None
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{label!r}: {value!r} is not a finite number")
    if number < 0:
        raise ValueError(f"{label!r}: {value!r} is negative; charts show counts, hours and rates")
    return number


def _checked_target(target: tuple[Number, Number] | None) -> tuple[float, float] | None:
    if target is None:
        return None
    low, high = (_checked(v, "target") for v in target)
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
class _Scale:
    top: float  # the value at the top of the plot
    ticks: tuple[float, ...]
    tick_labels: tuple[str, ...]

    @classmethod
    def make(cls, data_max: float, max_value: float | None, percent: bool) -> _Scale:
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


class _Layout:
    """Where the plot sits in the viewBox, and how values and slots map onto it."""

    __slots__ = ("_k", "bottom", "count", "height", "left", "scale", "slot", "top", "width")

    def __init__(
        self, *, left: float, top: float, width: float, height: float, count: int, scale: _Scale
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
class _LegendItem:
    swatch: Swatch
    text: str


def _legend_rows(items: Sequence[_LegendItem]) -> list[list[tuple[float, _LegendItem]]]:
    """Flow legend items left to right, wrapping to a new row when one would not fit."""
    rows: list[list[tuple[float, _LegendItem]]] = []
    x = 0.0
    for item in items:
        width = SWATCH_WIDTH + 6 + text_width(item.text)
        if not rows or (x > 0 and x + width > WIDTH):
            rows.append([])
            x = 0.0
        rows[-1].append((x, item))
        x += width + 18
    return rows


def _x_label_positions(labels: Sequence[str], layout: _Layout) -> list[tuple[int, float, float]]:
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


class _Svg:
    """Collects the parts of one chart's SVG."""

    def __init__(
        self,
        *,
        ident: str,
        title: str,
        description: str,
        unit_caption: str | None,
        legend: Sequence[_LegendItem],
        labels: Sequence[str],
        scale: _Scale,
        empty: bool,
        defs: str = "",
    ) -> None:
        legend_rows = _legend_rows(legend)
        top = 0.0
        parts: list[str] = []
        if unit_caption:
            parts.append(
                f'<text x="0" y="{_n(top + ROW / 2)}" dy="0.35em" fill="{TEXT}">'
                f"{_esc(unit_caption)}</text>"
            )
            top += ROW
        for row in legend_rows:
            centre = top + ROW / 2
            for x, item in row:
                parts.append(item.swatch(x, centre))
                parts.append(
                    f'<text x="{_n(x + SWATCH_WIDTH + 6)}" y="{_n(centre)}" dy="0.35em" '
                    f'fill="{TEXT}">{_esc(item.text)}</text>'
                )
            top += ROW
        top += 16  # half a tick label, and room for the "above the scale" markers
        # Absurdly long tick labels may overflow to the left rather than squash the plot.
        left = min(max(text_width(label) for label in scale.tick_labels) + 10, WIDTH * 0.4)
        self.layout = _Layout(
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
            f'<rect x="{_n(lay.left)}" y="{_n(y_high)}" width="{_n(lay.width)}" '
            f'height="{_n(max(y_low - y_high, 0.0))}" fill="{BAND_FILL}"/>'
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
            y = _n(lay.y(value))
            self.marks.append(
                f'<line x1="{_n(lay.left)}" y1="{y}" x2="{_n(right)}" y2="{y}" '
                f'stroke="{GREEN}" stroke-width="2" stroke-dasharray="6 4"/>'
            )

    def render(self) -> Markup:
        lay = self.layout
        right = lay.left + lay.width
        out: list[str] = [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="tandem-chart__svg" '
            f'viewBox="0 0 {_n(WIDTH)} {_n(lay.total_height)}" width="100%" role="img" '
            f'aria-labelledby="{self.ident}-title {self.ident}-desc" '
            f'font-family="system-ui, sans-serif" font-size="{FONT:g}">',
            f'<title id="{self.ident}-title">{_esc(self.title)}</title>',
            f'<desc id="{self.ident}-desc">{_esc(self.description)}</desc>',
        ]
        if self.defs:
            out.append(f"<defs>{self.defs}</defs>")
        out.extend(self.head)
        # Gridlines and y tick labels.
        ticks = zip(lay.scale.ticks, lay.scale.tick_labels, strict=True)
        for tick, label in () if self.empty else ticks:
            y = _n(lay.y(tick))
            if tick > 0:
                out.append(
                    f'<line x1="{_n(lay.left)}" y1="{y}" x2="{_n(right)}" y2="{y}" '
                    f'stroke="{GRID}" stroke-width="1"/>'
                )
            out.append(
                f'<text x="{_n(lay.left - 8)}" y="{y}" dy="0.35em" text-anchor="end" '
                f'fill="{SECONDARY}">{_esc(label)}</text>'
            )
        out.extend(self.marks)
        if self.empty:
            out.append(
                f'<text x="{_n(lay.left + lay.width / 2)}" y="{_n(lay.top + lay.height / 2)}" '
                f'text-anchor="middle" fill="{SECONDARY}">No data yet</text>'
            )
        # The x axis, its tick marks and the labels that fit.
        base = _n(lay.bottom)
        out.append(
            f'<line x1="{_n(lay.left)}" y1="{base}" x2="{_n(right)}" y2="{base}" '
            f'stroke="{SECONDARY}" stroke-width="2"/>'
        )
        label_y = _n(lay.bottom + 24)
        for index, centre, _width in _x_label_positions(self.labels, lay):
            tick_x = _n(lay.cx(index))
            out.append(
                f'<line class="tc-xtick" x1="{tick_x}" y1="{base}" x2="{tick_x}" '
                f'y2="{_n(lay.bottom + 6)}" stroke="{SECONDARY}" stroke-width="1.5"/>'
                f'<text class="tc-xlabel" x="{_n(centre)}" y="{label_y}" text-anchor="middle" '
                f'fill="{TEXT}">{_esc(self.labels[index])}</text>'
            )
        out.append("</svg>")
        return Markup("".join(out))  # noqa: S704 - every piece of text above is escaped


# Legend swatches -----------------------------------------------------------------------------


def _band_swatch(x: float, y: float) -> str:
    return (
        f'<rect x="{_n(x + 1)}" y="{_n(y - 7)}" width="{_n(SWATCH_WIDTH - 2)}" height="14" '
        f'fill="{BAND_FILL}" stroke="{GREEN}" stroke-width="2" stroke-dasharray="6 4"/>'
    )


def _solid_swatch(x: float, y: float) -> str:
    width = _n(SWATCH_WIDTH)
    return f'<rect x="{_n(x)}" y="{_n(y - 8)}" width="{width}" height="16" fill="{BLUE}"/>'


def _above_swatch(x: float, y: float) -> str:
    return _above_marker(x + SWATCH_WIDTH / 2, y + 5)


def _above_marker(cx: float, base_y: float) -> str:
    """An upward triangle whose base sits at ``base_y``: "this value is above the scale"."""
    return (
        f'<polygon class="tc-above" points="{_n(cx - 6)},{_n(base_y)} {_n(cx + 6)},{_n(base_y)} '
        f'{_n(cx)},{_n(base_y - 10)}" fill="{TEXT}"/>'
    )


def _target_text(target: tuple[float, float], unit: str, percent: bool) -> str:
    low, high = (format_value(v, percent=percent) for v in target)
    return f"{low} to {high}" if percent else f"{low} to {high} {unit}"


# ---------------------------------------------------------------------------------------------
# Bar chart
# ---------------------------------------------------------------------------------------------


def bar_chart(
    title: str,
    points: Sequence[Point],
    *,
    unit: str,
    max_value: Number | None = None,
    target: tuple[Number, Number] | None = None,
    percent: bool = False,
    description: str | None = None,
    x_label: str = "Week",
    chart_id: str | None = None,
) -> Chart:
    """Vertical bars, one per label; ``None`` is "no data" and leaves its slot empty.

    ``unit`` names what the numbers measure, in lower case ("hours", "sessions"; with
    ``percent``, the rate: "attendance"). It heads the table's value column and the axis.
    ``max_value`` fixes the top of the scale (100 for percentages unless given); bars above it
    are cut off at the top and marked with a triangle, and the table keeps the real value.
    ``target`` draws a band between two values. Negative or non-finite values raise
    ``ValueError``. ``x_label`` heads the table's first column.
    """
    ident = _resolve_id(title, chart_id)
    values = [(label, _checked(value, label)) for label, value in points]
    band = _checked_target(target)
    top = _checked(max_value, "max_value")
    if top is None and percent:
        top = 100.0
    known = [v for _, v in values if v is not None]
    data_max = max([*known, band[1] if band else 0.0], default=0.0)
    scale = _Scale.make(data_max, top, percent)
    clipped = [(label, v) for label, v in values if v is not None and v > scale.top]

    if description is None:
        description = _describe_bars(values, unit, percent, band, clipped, x_label)
    legend: list[_LegendItem] = []
    if band:
        legend.append(_LegendItem(_band_swatch, f"Target: {_target_text(band, unit, percent)}"))
    if clipped:
        legend.append(_LegendItem(_above_swatch, "Above the scale"))
    svg = _Svg(
        ident=ident,
        title=title,
        description=description,
        unit_caption=_unit_caption(unit, percent),
        legend=legend,
        labels=[label for label, _ in values],
        scale=scale,
        empty=not known,
    )
    lay = svg.layout
    svg.band(band)
    bar_width = min(lay.slot * 0.7, 48.0)
    labels_fit = all(text_width(format_value(v, percent=percent)) + 4 <= lay.slot for v in known)
    for index, (_, value) in enumerate(values):
        if value is None:
            continue
        x = lay.cx(index) - bar_width / 2
        y = min(lay.y(value), lay.bottom - 2)  # zero is a visible stub, unlike "no data"
        svg.marks.append(
            f'<rect class="tc-bar" x="{_n(x)}" y="{_n(y)}" width="{_n(bar_width)}" '
            f'height="{_n(lay.bottom - y)}" fill="{BLUE}"/>'
        )
        if value > scale.top:
            svg.marks.append(_above_marker(lay.cx(index), lay.top - 3))
        if labels_fit:
            svg.marks.append(_value_label(lay, index, y, format_value(value, percent=percent)))
    svg.band_edges(band)
    return Chart(
        id=ident,
        title=title,
        description=description,
        svg=svg.render(),
        headers=(x_label, unit[:1].upper() + unit[1:]),
        rows=tuple((label, _fmt_or_none(value, percent)) for label, value in values),
        caption=title,
    )


def _unit_caption(unit: str, percent: bool) -> str:
    caption = unit[:1].upper() + unit[1:]
    return f"{caption} (%)" if percent else caption


def _value_label(lay: _Layout, index: int, bar_top: float, text: str) -> str:
    """The value above its bar, or inside the top of a bar too tall to have room above."""
    if bar_top - lay.top >= FONT + 6:
        y, fill = bar_top - 6, TEXT
    else:
        y, fill = bar_top + FONT + 2, WHITE  # white on blue: 5.2:1
    return (
        f'<text class="tc-value" x="{_n(lay.cx(index))}" y="{_n(y)}" text-anchor="middle" '
        f'fill="{fill}">{_esc(text)}</text>'
    )


def _describe_bars(
    values: Sequence[tuple[str, float | None]],
    unit: str,
    percent: bool,
    band: tuple[float, float] | None,
    clipped: Sequence[tuple[str, float]],
    x_label: str,
) -> str:
    known = [(label, v) for label, v in values if v is not None]
    if not values:
        return "There is no data yet."
    if not known:
        return f"There is no data yet for any of the {len(values)} {_plural(x_label, 2)}."

    def fmt(v: float) -> str:
        return format_value(v, percent=percent)

    def with_unit(v: float) -> str:
        return fmt(v) if percent else f"{fmt(v)} {unit}"

    name = unit[:1].upper() + unit[1:]
    if len(known) == 1:
        label, value = known[0]
        clauses = [f"Only {label} has data: {with_unit(value)}"]
    else:
        numbers = [v for _, v in known]
        low, high = fmt(min(numbers)), fmt(max(numbers))
        if low == high:
            clauses = [f"Every {x_label.lower()} with data was {with_unit(min(numbers))}"]
        else:
            clauses = [f"{name} ranged from {low} to {high}"]
        latest_label, latest = known[-1]
        clauses.append(f"the latest, {latest_label}, was {fmt(latest)}")
    if band:
        inside = sum(1 for _, v in known if band[0] <= v <= band[1])
        clauses.append(
            f"{inside} of {len(known)} {_plural(x_label, len(known))} "
            f"{'was' if len(known) == 1 else 'were'} within the target of "
            f"{_target_text(band, unit, percent)}"
        )
    if clipped:
        shown = [f"{label} ({fmt(v)})" for label, v in clipped[:3]]
        more = len(clipped) - len(shown)
        if more:
            shown.append(f"{more} more")
        verb = "is" if len(clipped) == 1 else "are"
        clauses.append(f"{_list_words(shown)} {verb} above the chart's scale")
    missing = len(values) - len(known)
    if missing:
        clauses.append(f"{missing} {_plural(x_label, missing)} had no data")
    return "; ".join(clauses) + "."


# ---------------------------------------------------------------------------------------------
# Paired bar chart
# ---------------------------------------------------------------------------------------------


def paired_bar_chart(
    title: str,
    points: Sequence[tuple[str, Number, Number]],
    *,
    series: tuple[str, str] = ("Planned", "Delivered"),
    description: str | None = None,
    x_label: str = "Week",
    chart_id: str | None = None,
) -> Chart:
    """Two bars per label: the first series hatched in outline, the second solid.

    The first series is what was expected (planned) and the second what happened
    (delivered); the summary counts the labels where the second fell short of the first.
    """
    ident = _resolve_id(title, chart_id)
    pairs: list[tuple[str, float, float]] = []
    for label, first, second in points:
        a, b = _checked(first, label), _checked(second, label)
        if a is None or b is None:
            raise ValueError(f"{label!r}: both {series[0]} and {series[1]} need a number")
        pairs.append((label, a, b))
    data_max = max((max(a, b) for _, a, b in pairs), default=0.0)
    scale = _Scale.make(data_max, None, False)
    hatch = f"{ident}-hatch"
    defs = (
        f'<pattern id="{hatch}" width="7" height="7" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="7" height="7" fill="{WHITE}"/>'
        f'<line x1="1.5" y1="0" x2="1.5" y2="7" stroke="{BLUE}" stroke-width="3"/></pattern>'
    )

    def hatched_swatch(x: float, y: float) -> str:
        return (
            f'<rect x="{_n(x + 1)}" y="{_n(y - 7)}" width="{_n(SWATCH_WIDTH - 2)}" height="14" '
            f'fill="url(#{hatch})" stroke="{BLUE}" stroke-width="2"/>'
        )

    if description is None:
        description = _describe_pairs(pairs, series, x_label)
    svg = _Svg(
        ident=ident,
        title=title,
        description=description,
        unit_caption=None,
        legend=[
            _LegendItem(hatched_swatch, series[0]),
            _LegendItem(_solid_swatch, series[1]),
        ],
        labels=[label for label, _, _ in pairs],
        scale=scale,
        empty=not pairs,
        defs=defs,
    )
    lay = svg.layout
    group = min(lay.slot * 0.8, 64.0)
    gap = min(2.0, group * 0.1)
    bar_width = (group - gap) / 2
    for index, (_, first, second) in enumerate(pairs):
        x = lay.cx(index) - group / 2
        # The outline is drawn inside the bar's box so that the two bars never touch.
        y = min(lay.y(first), lay.bottom - 2)
        inset = min(1.0, bar_width / 4)
        svg.marks.append(
            f'<rect class="tc-bar tc-first" x="{_n(x + inset)}" y="{_n(y + inset)}" '
            f'width="{_n(bar_width - 2 * inset)}" height="{_n(max(lay.bottom - y - inset, 0))}" '
            f'fill="url(#{hatch})" stroke="{BLUE}" stroke-width="{_n(2 * inset)}"/>'
        )
        y = min(lay.y(second), lay.bottom - 2)
        svg.marks.append(
            f'<rect class="tc-bar tc-second" x="{_n(x + bar_width + gap)}" y="{_n(y)}" '
            f'width="{_n(bar_width)}" height="{_n(lay.bottom - y)}" fill="{BLUE}"/>'
        )
    return Chart(
        id=ident,
        title=title,
        description=description,
        svg=svg.render(),
        headers=(x_label, series[0], series[1]),
        rows=tuple((label, format_value(a), format_value(b)) for label, a, b in pairs),
        caption=title,
    )


def _describe_pairs(
    pairs: Sequence[tuple[str, float, float]], series: tuple[str, str], x_label: str
) -> str:
    if not pairs:
        return "There is no data yet."
    first_total = sum(a for _, a, _ in pairs)
    second_total = sum(b for _, _, b in pairs)
    first_name, second_name = series[0].lower(), series[1].lower()
    count = len(pairs)
    sentence = (
        f"Across {count} {_plural(x_label, count)}, {format_value(second_total)} "
        f"{second_name} against {format_value(first_total)} {first_name}"
    )
    if first_total > 0:
        share = format_value(second_total / first_total * 100, percent=True)
        sentence += f" ({share})"
    short = [label for label, a, b in pairs if b < a]
    if not short:
        sentence += f"; none fell short of {first_name}"
    elif len(short) <= 3:
        sentence += f"; {len(short)} fell short: {_list_words(short)}"
    else:
        sentence += f"; {len(short)} of {count} fell short"
    return sentence + "."


# ---------------------------------------------------------------------------------------------
# Line chart
# ---------------------------------------------------------------------------------------------


def _marker(shape: int, x: float, y: float, r: float, colour: str) -> str:
    cls = 'class="tc-marker"'
    if shape == 0:
        return f'<circle {cls} cx="{_n(x)}" cy="{_n(y)}" r="{_n(r)}" fill="{colour}"/>'
    if shape == 1:
        return (
            f'<rect {cls} x="{_n(x - r)}" y="{_n(y - r)}" width="{_n(2 * r)}" '
            f'height="{_n(2 * r)}" fill="{colour}"/>'
        )
    if shape == 2:
        return (
            f'<polygon {cls} points="{_n(x)},{_n(y - 1.25 * r)} {_n(x + 1.2 * r)},'
            f'{_n(y + 0.9 * r)} {_n(x - 1.2 * r)},{_n(y + 0.9 * r)}" fill="{colour}"/>'
        )
    if shape == 3:
        d = 1.35 * r
        return (
            f'<polygon {cls} points="{_n(x)},{_n(y - d)} {_n(x + d)},{_n(y)} '
            f'{_n(x)},{_n(y + d)} {_n(x - d)},{_n(y)}" fill="{colour}"/>'
        )
    # A hollow circle: white inside, a thick ring in the series colour.
    return (
        f'<circle {cls} cx="{_n(x)}" cy="{_n(y)}" r="{_n(r * 0.85)}" fill="{WHITE}" '
        f'stroke="{colour}" stroke-width="{_n(max(r * 0.5, 1.5))}"/>'
    )


MARKER_SHAPES = 5  # circle, square, triangle, diamond, ring


def _series_style(index: int) -> tuple[str, int, str]:
    """Colour, marker shape and dash pattern of the index-th line; no two alike for 15 lines."""
    return (
        SERIES_COLOURS[index % len(SERIES_COLOURS)],
        index % MARKER_SHAPES,
        DASHES[index % len(DASHES)],
    )


def line_chart(
    title: str,
    series: Mapping[str, Sequence[Point]],
    *,
    unit: str,
    target: tuple[Number, Number] | None = None,
    percent: bool = False,
    description: str | None = None,
    x_label: str = "Week",
    chart_id: str | None = None,
) -> Chart:
    """One line per series over the union of their labels (in order of first appearance).

    ``None`` or a missing label breaks the line; each point has a marker, whose shape differs
    between series, as does the dash pattern. The scale always fits the data and the target.
    """
    ident = _resolve_id(title, chart_id)
    labels: list[str] = []
    seen: set[str] = set()
    table: dict[str, dict[str, float | None]] = {}
    for name, points in series.items():
        column: dict[str, float | None] = {}
        for label, value in points:
            column[label] = _checked(value, label)
            if label not in seen:
                seen.add(label)
                labels.append(label)
        table[name] = column
    band = _checked_target(target)
    known = [v for column in table.values() for v in column.values() if v is not None]
    data_max = max([*known, band[1] if band else 0.0], default=0.0)
    scale = _Scale.make(data_max, None, percent)
    if description is None:
        description = _describe_lines(table, labels, unit, percent, band)

    styles = {name: _series_style(i) for i, name in enumerate(table)}

    def line_swatch(style: tuple[str, int, str]) -> Swatch:
        colour, shape, dash = style

        def draw(x: float, y: float) -> str:
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            return (
                f'<line x1="{_n(x)}" y1="{_n(y)}" x2="{_n(x + SWATCH_WIDTH)}" y2="{_n(y)}" '
                f'stroke="{colour}" stroke-width="2.5"{dash_attr}/>'
                + _marker(shape, x + SWATCH_WIDTH / 2, y, 5.5, colour)
            )

        return draw

    legend = [_LegendItem(line_swatch(styles[name]), name) for name in table]
    if band:
        legend.append(_LegendItem(_band_swatch, f"Target: {_target_text(band, unit, percent)}"))
    svg = _Svg(
        ident=ident,
        title=title,
        description=description,
        unit_caption=_unit_caption(unit, percent),
        legend=legend,
        labels=labels,
        scale=scale,
        empty=not known,
    )
    lay = svg.layout
    svg.band(band)
    svg.band_edges(band)
    radius = max(3.0, min(5.5, lay.slot * 0.3))
    for name, column in table.items():
        colour, shape, dash = styles[name]
        path: list[str] = []
        markers: list[str] = []
        pen_down = False
        for index, label in enumerate(labels):
            value = column.get(label)
            if value is None:
                pen_down = False
                continue
            x, y = lay.cx(index), lay.y(value)
            path.append(f"{'L' if pen_down else 'M'}{_n(x)} {_n(y)}")
            pen_down = True
            markers.append(_marker(shape, x, y, radius, colour))
        if path:
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            svg.marks.append(
                f'<path class="tc-line" d="{" ".join(path)}" fill="none" stroke="{colour}" '
                f'stroke-width="2.5" stroke-linejoin="round" stroke-linecap="round"{dash_attr}/>'
            )
        svg.marks.extend(markers)
    return Chart(
        id=ident,
        title=title,
        description=description,
        svg=svg.render(),
        headers=(x_label, *table),
        rows=tuple(
            (label, *(_fmt_or_none(column.get(label), percent) for column in table.values()))
            for label in labels
        ),
        caption=f"{title} ({'%' if percent else unit})",
    )


def _describe_lines(
    table: Mapping[str, Mapping[str, float | None]],
    labels: Sequence[str],
    unit: str,
    percent: bool,
    band: tuple[float, float] | None,
) -> str:
    known = [v for column in table.values() for v in column.values() if v is not None]
    if not known:
        return "There is no data yet."

    def fmt(v: float) -> str:
        return format_value(v, percent=percent)

    name = unit[:1].upper() + unit[1:]
    low, high = fmt(min(known)), fmt(max(known))
    if low == high:
        clauses = [f"Every value was {low}" + ("" if percent else f" {unit}")]
    else:
        clauses = [f"{name} ranged from {low} to {high}"]
    if band:
        inside = sum(1 for v in known if band[0] <= v <= band[1])
        clauses.append(
            f"{inside} of {len(known)} values were within the target of "
            f"{_target_text(band, unit, percent)}"
        )
    if len(table) <= 4:
        last = labels[-1]
        latest = [
            f"{series_name} {fmt(v)}"
            if (v := column.get(last)) is not None
            else f"{series_name} no data"
            for series_name, column in table.items()
        ]
        clauses.append(f"in {last}: {_list_words(latest)}")
    return "; ".join(clauses) + "."
