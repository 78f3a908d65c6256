"""A lead imports a CSV of children in a browser: one bad row is shown by row and column,
fixed in the file, the file checked again, confirmed, and the banner says what was added."""

from __future__ import annotations

import pytest
from playwright.sync_api import FilePayload, expect

from tests.support.browser import TABLET, BrowserPage, assert_accessible

pytestmark = pytest.mark.e2e

HEADER = "reference,first_name,date_of_birth,placement_type,consent_given_by,consent_given_on"
GOOD = "E2E-IMPORT-1,Robin,2016-03-21,foster,Social worker,2026-09-01"
BAD = "E2E-IMPORT-2,,2016-05-02,foster,Social worker,2026-09-01"
FIXED = "E2E-IMPORT-2,Sasha,2016-05-02,foster,Social worker,2026-09-01"


def _file(*rows: str) -> FilePayload:
    body = "\r\n".join([HEADER, *rows]) + "\r\n"
    return {"name": "children.csv", "mimeType": "text/csv", "buffer": body.encode()}


def test_a_lead_imports_children_fixing_a_bad_row(pages: BrowserPage) -> None:
    page = pages.new(TABLET, role="lead")
    page.goto("/children")
    page.get_by_role("button", name="Import children").click()
    expect(page.locator("h1")).to_have_text("Import children")

    page.get_by_label("Upload a file").set_input_files(_file(GOOD, BAD))
    page.get_by_role("button", name="Check the file").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Row 3, first_name: Enter the first name")
    expect(page.locator("#problems")).to_contain_text("1 problem in the file")
    expect(page.get_by_role("button", name="Add 2 children")).to_have_count(0)
    assert_accessible(page)

    page.get_by_label("Upload a file").set_input_files(_file(GOOD, FIXED))
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator("#preview")).to_contain_text("This will add 2 children")
    expect(page.locator("table")).to_contain_text("E2E-IMPORT-2")
    assert_accessible(page)

    page.get_by_role("button", name="Add 2 children").click()
    expect(page).to_have_url(f"{pages.base_url}/children")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("2 children added.")
    expect(page.get_by_role("link", name="E2E-IMPORT-2")).to_be_visible()
