"""The printable fidelity report on A4 paper, upright (issue 15, point 8): printed by Chromium
with the demo's programme, nothing is wider than the page less its margins, so no column is
cut off."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.browser import BrowserPage

pytestmark = pytest.mark.e2e

MM = 96 / 25.4  # CSS pixels per millimetre
A4_WIDTH_MM = 210
MARGIN_MM = 12  # app/static/css/print.css, @page


def test_the_report_fits_a4_portrait(pages: BrowserPage) -> None:
    printable = int((A4_WIDTH_MM - 2 * MARGIN_MM) * MM)  # 186 mm: about 703 CSS pixels
    page = pages.new({"width": printable, "height": 1000})
    page.goto("/fidelity/report")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Fidelity report")
    expect(page.get_by_text("Children served").first).to_be_visible()

    pdf = page.pdf(format="A4", prefer_css_page_size=True, print_background=True)
    assert pdf.startswith(b"%PDF")

    page.emulate_media(media="print")
    widths = page.evaluate(
        """() => [...document.querySelectorAll('.tandem-report table, .tandem-report svg')]
             .map(el => Math.ceil(Math.max(el.scrollWidth, el.getBoundingClientRect().width)))"""
    )
    assert len(widths) >= 5  # the headline figures, two cohort tables, dosage, flags; charts
    assert max(widths) <= printable, (max(widths), printable)
    # Nothing inside a scroll box is hidden: on paper there is nothing to scroll.
    hidden = page.evaluate(
        """() => [...document.querySelectorAll('.tandem-report .tandem-table-scroll')]
             .filter(el => el.scrollWidth > el.clientWidth + 1).length"""
    )
    assert hidden == 0
    expect(page.locator(".govuk-service-navigation")).to_be_hidden()
    expect(page.locator(".tandem-fidelity-date")).to_be_hidden()
