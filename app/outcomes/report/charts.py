"""The outcomes page's charts, drawn as the fidelity charts are (app/fidelity/charts: no
JavaScript, no inline styles, a title and a one-sentence summary, the same numbers as a data
table): a before/after slope chart of the mean of each scale (the fidelity line chart over
the timepoints), and reliable-change bars, one stacked bar per scale."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup

from app.fidelity.charts import TEXT, WHITE, WIDTH, Chart, chart_id, format_value, line_chart
from app.fidelity.charts.svg import esc, xy

IMPROVED = "#00703c"  # GOV.UK green, 6.3:1 on white; white text on it 6.3:1
NO_CHANGE = "#505a5f"  # dark grey, 7.0:1
DETERIORATED = "#d4351c"  # GOV.UK red, 4.5:1 on white; also hatched (not colour alone)
BAR = 30.0
ROW = 56.0
LABEL = 22.0


def slope_chart(title: str, series: dict[str, list[tuple[str, float | None]]]) -> Chart:
    """Means per scale at each timepoint: one line per scale, each with its own marker and
    dash; a scale without a reportable figure at a timepoint leaves a gap."""
    return line_chart(
        title,
        series,
        unit="mean score",
        x_label="Timepoint",
        description=_slope_summary(series),
    )


def _slope_summary(series: dict[str, list[tuple[str, float | None]]]) -> str:
    words = []
    for name, points in series.items():
        values = dict(points)
        before, after = values.get("Baseline"), values.get("End")
        if before is not None and after is not None:
            words.append(f"{name} {format_value(before)} to {format_value(after)}")
    if not words:
        return "Too few children have both a baseline and an end assessment to report."
    return "Mean score at baseline and at the end: " + "; ".join(words) + "."


Counts = tuple[str, int, int, int]  # scale name, improved, no reliable change, deteriorated


def reliable_change_chart(title: str, rows: Sequence[Counts]) -> Chart:
    """One horizontal bar per scale, split into the shares of children who improved
    reliably (solid green), did not change reliably (solid grey) and deteriorated reliably
    (red, hatched); each segment wide enough says its count in white."""
    ident = chart_id(title)
    hatch = f"{ident}-hatch"
    defs = (
        f'<pattern id="{hatch}" width="8" height="8" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="8" height="8" fill="{DETERIORATED}"/>'
        f'<line x1="0" y1="0" x2="0" y2="8" stroke="{WHITE}" stroke-width="3"/></pattern>'
    )
    kinds = (
        ("Improved", IMPROVED),
        ("No reliable change", NO_CHANGE),
        ("Deteriorated", f"url(#{hatch})"),
    )
    parts: list[str] = []
    x = 0.0
    for name, fill in kinds:  # the legend
        parts.append(
            f'<rect x="{xy(x)}" y="4" width="18" height="18" fill="{fill}" stroke="{TEXT}"/>'
            f'<text x="{xy(x + 24)}" y="13" dy="0.35em" fill="{TEXT}">{esc(name)}</text>'
        )
        x += 24 + len(name) * 9 + 18
    top = 36.0
    for index, (scale, improved, same, worse) in enumerate(rows):
        y = top + index * ROW
        parts.append(f'<text x="0" y="{xy(y + 14)}" fill="{TEXT}">{esc(scale)}</text>')
        total = improved + same + worse
        left = 0.0
        for (_name, fill), count in zip(kinds, (improved, same, worse), strict=True):
            if total == 0 or count == 0:
                continue
            width = WIDTH * count / total
            parts.append(
                f'<rect x="{xy(left)}" y="{xy(y + LABEL)}" width="{xy(width)}" '
                f'height="{xy(BAR)}" fill="{fill}"/>'
            )
            if width >= 28:
                parts.append(
                    f'<text x="{xy(left + width / 2)}" y="{xy(y + LABEL + BAR / 2)}" '
                    f'dy="0.35em" text-anchor="middle" fill="{WHITE}" '
                    f'font-weight="bold">{count}</text>'
                )
            left += width
    height = top + max(len(rows), 1) * ROW
    if not rows:
        parts.append(
            f'<text x="{xy(WIDTH / 2)}" y="{xy(top + 20)}" text-anchor="middle" '
            f'fill="{TEXT}">Too few children to report</text>'
        )
    description = _change_summary(rows)
    svg = Markup(  # noqa: S704 - every piece of text is escaped (esc) or a number
        f'<svg xmlns="http://www.w3.org/2000/svg" class="tandem-chart__svg" '
        f'viewBox="0 0 {xy(WIDTH)} {xy(height)}" width="100%" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" font-family="system-ui, sans-serif" '
        f'font-size="17"><title id="{ident}-title">{esc(title)}</title>'
        f'<desc id="{ident}-desc">{esc(description)}</desc><defs>{defs}</defs>'
        + "".join(parts)
        + "</svg>"
    )
    return Chart(
        id=ident,
        title=title,
        description=description,
        svg=svg,
        headers=("Scale", "Improved", "No reliable change", "Deteriorated"),
        rows=tuple((s, str(a), str(b), str(c)) for s, a, b, c in rows),
        caption=f"{title}: children by reliable change (Jacobson-Truax)",
    )


def _change_summary(rows: Sequence[Counts]) -> str:
    if not rows:
        return "Too few children have both a baseline and an end assessment to report."
    parts = [f"{s}: {a} improved, {b} no reliable change, {c} deteriorated" for s, a, b, c in rows]
    return "; ".join(parts) + "."
