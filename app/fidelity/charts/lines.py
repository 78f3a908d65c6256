"""Line charts: one line per series, each with its own colour, marker shape and dash
pattern, so that no line is told apart by colour alone."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from app.fidelity.charts.svg import (
    DASHES,
    SERIES_COLOURS,
    SWATCH_WIDTH,
    WHITE,
    Chart,
    LegendItem,
    Number,
    Point,
    Scale,
    Svg,
    Swatch,
    band_swatch,
    checked,
    checked_target,
    fmt_or_none,
    format_value,
    list_words,
    resolve_id,
    target_text,
    unit_caption,
    xy,
)

# ---------------------------------------------------------------------------------------------
# Line chart
# ---------------------------------------------------------------------------------------------


def _marker(shape: int, x: float, y: float, r: float, colour: str) -> str:
    cls = 'class="tc-marker"'
    if shape == 0:
        return f'<circle {cls} cx="{xy(x)}" cy="{xy(y)}" r="{xy(r)}" fill="{colour}"/>'
    if shape == 1:
        return (
            f'<rect {cls} x="{xy(x - r)}" y="{xy(y - r)}" width="{xy(2 * r)}" '
            f'height="{xy(2 * r)}" fill="{colour}"/>'
        )
    if shape == 2:
        return (
            f'<polygon {cls} points="{xy(x)},{xy(y - 1.25 * r)} {xy(x + 1.2 * r)},'
            f'{xy(y + 0.9 * r)} {xy(x - 1.2 * r)},{xy(y + 0.9 * r)}" fill="{colour}"/>'
        )
    if shape == 3:
        d = 1.35 * r
        return (
            f'<polygon {cls} points="{xy(x)},{xy(y - d)} {xy(x + d)},{xy(y)} '
            f'{xy(x)},{xy(y + d)} {xy(x - d)},{xy(y)}" fill="{colour}"/>'
        )
    # A hollow circle: white inside, a thick ring in the series colour.
    return (
        f'<circle {cls} cx="{xy(x)}" cy="{xy(y)}" r="{xy(r * 0.85)}" fill="{WHITE}" '
        f'stroke="{colour}" stroke-width="{xy(max(r * 0.5, 1.5))}"/>'
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
    ident = resolve_id(title, chart_id)
    labels: list[str] = []
    seen: set[str] = set()
    table: dict[str, dict[str, float | None]] = {}
    for name, points in series.items():
        column: dict[str, float | None] = {}
        for label, value in points:
            column[label] = checked(value, label)
            if label not in seen:
                seen.add(label)
                labels.append(label)
        table[name] = column
    band = checked_target(target)
    known = [v for column in table.values() for v in column.values() if v is not None]
    data_max = max([*known, band[1] if band else 0.0], default=0.0)
    scale = Scale.make(data_max, None, percent)
    if description is None:
        description = _describe_lines(table, labels, unit, percent, band)

    styles = {name: _series_style(i) for i, name in enumerate(table)}

    def line_swatch(style: tuple[str, int, str]) -> Swatch:
        colour, shape, dash = style

        def draw(x: float, y: float) -> str:
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            return (
                f'<line x1="{xy(x)}" y1="{xy(y)}" x2="{xy(x + SWATCH_WIDTH)}" y2="{xy(y)}" '
                f'stroke="{colour}" stroke-width="2.5"{dash_attr}/>'
                + _marker(shape, x + SWATCH_WIDTH / 2, y, 5.5, colour)
            )

        return draw

    legend = [LegendItem(line_swatch(styles[name]), name) for name in table]
    if band:
        legend.append(LegendItem(band_swatch, f"Target: {target_text(band, unit, percent)}"))
    svg = Svg(
        ident=ident,
        title=title,
        description=description,
        unit_caption=unit_caption(unit, percent),
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
            path.append(f"{'L' if pen_down else 'M'}{xy(x)} {xy(y)}")
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
            (label, *(fmt_or_none(column.get(label), percent) for column in table.values()))
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
            f"{target_text(band, unit, percent)}"
        )
    if len(table) <= 4:
        last = labels[-1]
        latest = [
            f"{series_name} {fmt(v)}"
            if (v := column.get(last)) is not None
            else f"{series_name} no data"
            for series_name, column in table.items()
        ]
        clauses.append(f"in {last}: {list_words(latest)}")
    return "; ".join(clauses) + "."
