"""Bar charts: one bar per label (`bar_chart`), or a hatched and a solid bar per label
(`paired_bar_chart`), each with the sentence that sums its numbers up."""

from __future__ import annotations

from collections.abc import Sequence

from app.fidelity.charts.svg import (
    BLUE,
    FONT,
    SWATCH_WIDTH,
    TEXT,
    WHITE,
    Chart,
    Layout,
    LegendItem,
    Number,
    Point,
    Scale,
    Svg,
    band_swatch,
    checked,
    checked_target,
    esc,
    fmt_or_none,
    format_value,
    list_words,
    plural,
    resolve_id,
    target_text,
    text_width,
    unit_caption,
    xy,
)


def _solid_swatch(x: float, y: float) -> str:
    width = xy(SWATCH_WIDTH)
    return f'<rect x="{xy(x)}" y="{xy(y - 8)}" width="{width}" height="16" fill="{BLUE}"/>'


def _above_swatch(x: float, y: float) -> str:
    return _above_marker(x + SWATCH_WIDTH / 2, y + 5)


def _above_marker(cx: float, base_y: float) -> str:
    """An upward triangle whose base sits at ``base_y``: "this value is above the scale"."""
    return (
        f'<polygon class="tc-above" points="{xy(cx - 6)},{xy(base_y)} {xy(cx + 6)},{xy(base_y)} '
        f'{xy(cx)},{xy(base_y - 10)}" fill="{TEXT}"/>'
    )


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
    ident = resolve_id(title, chart_id)
    values = [(label, checked(value, label)) for label, value in points]
    band = checked_target(target)
    top = checked(max_value, "max_value")
    if top is None and percent:
        top = 100.0
    known = [v for _, v in values if v is not None]
    data_max = max([*known, band[1] if band else 0.0], default=0.0)
    scale = Scale.make(data_max, top, percent)
    clipped = [(label, v) for label, v in values if v is not None and v > scale.top]

    if description is None:
        description = _describe_bars(values, unit, percent, band, clipped, x_label)
    legend: list[LegendItem] = []
    if band:
        legend.append(LegendItem(band_swatch, f"Target: {target_text(band, unit, percent)}"))
    if clipped:
        legend.append(LegendItem(_above_swatch, "Above the scale"))
    svg = Svg(
        ident=ident,
        title=title,
        description=description,
        unit_caption=unit_caption(unit, percent),
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
            f'<rect class="tc-bar" x="{xy(x)}" y="{xy(y)}" width="{xy(bar_width)}" '
            f'height="{xy(lay.bottom - y)}" fill="{BLUE}"/>'
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
        rows=tuple((label, fmt_or_none(value, percent)) for label, value in values),
        caption=title,
    )


def _value_label(lay: Layout, index: int, bar_top: float, text: str) -> str:
    """The value above its bar, or inside the top of a bar too tall to have room above."""
    if bar_top - lay.top >= FONT + 6:
        y, fill = bar_top - 6, TEXT
    else:
        y, fill = bar_top + FONT + 2, WHITE  # white on blue: 5.2:1
    return (
        f'<text class="tc-value" x="{xy(lay.cx(index))}" y="{xy(y)}" text-anchor="middle" '
        f'fill="{fill}">{esc(text)}</text>'
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
        return f"There is no data yet for any of the {len(values)} {plural(x_label, 2)}."

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
            f"{inside} of {len(known)} {plural(x_label, len(known))} "
            f"{'was' if len(known) == 1 else 'were'} within the target of "
            f"{target_text(band, unit, percent)}"
        )
    if clipped:
        shown = [f"{label} ({fmt(v)})" for label, v in clipped[:3]]
        more = len(clipped) - len(shown)
        if more:
            shown.append(f"{more} more")
        verb = "is" if len(clipped) == 1 else "are"
        clauses.append(f"{list_words(shown)} {verb} above the chart's scale")
    missing = len(values) - len(known)
    if missing:
        clauses.append(f"{missing} {plural(x_label, missing)} had no data")
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
    ident = resolve_id(title, chart_id)
    pairs: list[tuple[str, float, float]] = []
    for label, first, second in points:
        a, b = checked(first, label), checked(second, label)
        if a is None or b is None:
            raise ValueError(f"{label!r}: both {series[0]} and {series[1]} need a number")
        pairs.append((label, a, b))
    data_max = max((max(a, b) for _, a, b in pairs), default=0.0)
    scale = Scale.make(data_max, None, False)
    hatch = f"{ident}-hatch"
    defs = (
        f'<pattern id="{hatch}" width="7" height="7" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="7" height="7" fill="{WHITE}"/>'
        f'<line x1="1.5" y1="0" x2="1.5" y2="7" stroke="{BLUE}" stroke-width="3"/></pattern>'
    )

    def hatched_swatch(x: float, y: float) -> str:
        return (
            f'<rect x="{xy(x + 1)}" y="{xy(y - 7)}" width="{xy(SWATCH_WIDTH - 2)}" height="14" '
            f'fill="url(#{hatch})" stroke="{BLUE}" stroke-width="2"/>'
        )

    if description is None:
        description = _describe_pairs(pairs, series, x_label)
    svg = Svg(
        ident=ident,
        title=title,
        description=description,
        unit_caption=None,
        legend=[
            LegendItem(hatched_swatch, series[0]),
            LegendItem(_solid_swatch, series[1]),
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
            f'<rect class="tc-bar tc-first" x="{xy(x + inset)}" y="{xy(y + inset)}" '
            f'width="{xy(bar_width - 2 * inset)}" height="{xy(max(lay.bottom - y - inset, 0))}" '
            f'fill="url(#{hatch})" stroke="{BLUE}" stroke-width="{xy(2 * inset)}"/>'
        )
        y = min(lay.y(second), lay.bottom - 2)
        svg.marks.append(
            f'<rect class="tc-bar tc-second" x="{xy(x + bar_width + gap)}" y="{xy(y)}" '
            f'width="{xy(bar_width)}" height="{xy(lay.bottom - y)}" fill="{BLUE}"/>'
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
        f"Across {count} {plural(x_label, count)}, {format_value(second_total)} "
        f"{second_name} against {format_value(first_total)} {first_name}"
    )
    if first_total > 0:
        share = format_value(second_total / first_total * 100, percent=True)
        sentence += f" ({share})"
    short = [label for label, a, b in pairs if b < a]
    if not short:
        sentence += f"; none fell short of {first_name}"
    elif len(short) <= 3:
        sentence += f"; {len(short)} fell short: {list_words(short)}"
    else:
        sentence += f"; {len(short)} of {count} fell short"
    return sentence + "."
