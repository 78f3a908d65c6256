"""Server-side SVG charts for the fidelity dashboard: no JavaScript and no inline styles.

Each function returns a :class:`Chart`: the SVG (a ``Markup`` string, every label escaped),
a one-sentence summary computed from the data, and the same numbers as table headers and
rows for the "Show the data" table that ``templates/fidelity/_chart.html`` renders.
``svg.py`` holds what every chart shares; ``bars.py`` and ``lines.py`` the chart kinds.

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

from app.fidelity.charts.bars import bar_chart, paired_bar_chart
from app.fidelity.charts.lines import line_chart
from app.fidelity.charts.svg import (
    BAND_FILL,
    BLUE,
    GREEN,
    GRID,
    LABEL_GAP,
    SECONDARY,
    SERIES_COLOURS,
    TEXT,
    WHITE,
    WIDTH,
    Chart,
    chart_id,
    format_value,
    text_width,
)

__all__ = [
    "BAND_FILL",
    "BLUE",
    "GREEN",
    "GRID",
    "LABEL_GAP",
    "SECONDARY",
    "SERIES_COLOURS",
    "TEXT",
    "WHITE",
    "WIDTH",
    "Chart",
    "bar_chart",
    "chart_id",
    "format_value",
    "line_chart",
    "paired_bar_chart",
    "text_width",
]
