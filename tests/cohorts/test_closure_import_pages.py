"""The closures page's import: upload -> preview of what the replan does (sessions cancelled,
each cohort's new last date, a school-year warning) -> confirm -> banner; every bad row
shown; nothing added before the confirm."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

import pytest
from sqlmodel import Session

from app.cohorts.models import Closure
from app.web import NOTICE_COOKIE
from tests.cohorts.test_closure_import_api import TERMS, last_live, sessions
from tests.support.people import PageClient, People, Signed
from tests.support.rows import count_rows

pytestmark = pytest.mark.clock("2026-09-01T10:00")


def upload(client: PageClient, text: str) -> Any:
    return client.post(
        "/closures/import/preview",
        data={"csrf_token": client.csrf_token},
        files={"file": ("terms.csv", text.encode(), "text/csv")},
    )


def confirm(client: PageClient, hidden: str) -> Any:
    return client.post(
        "/closures/import/confirm",
        data={"csrf_token": client.csrf_token, "content": hidden},
        files={"unused": ("", b"", "application/octet-stream")},
    )


def hidden_content(html: str) -> str:
    found = re.search(r'name="content" value="([^"]*)"', html)
    assert found, html[:3000]
    return found.group(1)


def test_the_page_offers_the_import(lead_pages: PageClient) -> None:
    page = lead_pages.get("/closures")
    assert 'action="/closures/import/preview"' in page.text
    assert 'enctype="multipart/form-data"' in page.text


def test_preview_shows_the_effect_then_confirm_adds(
    lead_pages: PageClient, db: Session, cohort: dict[str, Any]
) -> None:
    before = sessions(db, cohort["id"])
    preview = upload(lead_pages, TERMS)
    assert preview.status_code == 200, preview.text[:2000]
    html = preview.text
    assert "This will add 2 closures: it cancels 2 sessions in 1 cohort." in html
    assert '<td class="govuk-table__cell">Monday group</td>' in html
    assert "26 October 2026" in html
    assert sessions(db, cohort["id"]) == before  # nothing yet
    assert count_rows(db, Closure) == 0
    done = confirm(lead_pages, hidden_content(html))
    assert done.status_code == 303
    assert done.headers["location"] == "/closures"
    assert unquote(done.cookies[NOTICE_COOKIE]) == (
        "2 closures added: cancels 2 sessions in 1 cohort."
    )
    assert count_rows(db, Closure) == 2
    new_last = last_live(db, cohort["id"])
    assert f"{new_last.day} {new_last:%B %Y}" in html  # the preview named the new last date
    assert "2 closures added" in lead_pages.get("/closures").text


def test_a_cohort_pushed_past_july_is_warned_about(
    lead_pages: PageClient, cohort: dict[str, Any]
) -> None:
    preview = upload(lead_pages, "2027-01-04,2027-06-30,Building works\r\n")
    assert preview.status_code == 200
    assert "govuk-warning-text" in preview.text
    assert "after the school year ends on 31 July 2027" in preview.text


def test_every_bad_row_is_listed_and_nothing_is_added(
    lead_pages: PageClient, db: Session, cohort: dict[str, Any]
) -> None:
    bad = (
        "2026-10-26,2026-10-30,Half term\r\n2027-02-15,soon,February\r\n2027-04-01,2027-03-01,\r\n"
    )
    page = upload(lead_pages, bad)
    assert page.status_code == 422
    html = page.text
    assert "<title>Error: " in html
    assert '<a href="#import-row-0">Row 2, end date: Enter the last day as' in html
    assert '<a href="#import-row-1">Row 3, reason: Enter the reason' in html
    assert 'id="import-row-1"' in html
    assert 'name="content"' not in html
    assert count_rows(db, Closure) == 0


def test_no_file_and_a_lost_upload_are_shown_by_the_file_input(lead_pages: PageClient) -> None:
    empty = lead_pages.post("/closures/import/preview", data={"csrf_token": lead_pages.csrf_token})
    assert empty.status_code == 422
    assert '<a href="#file">Choose a CSV or Excel file of term dates</a>' in empty.text
    lost = confirm(lead_pages, "%%%")
    assert lost.status_code == 422
    assert '<a href="#file">The upload was lost: choose the file again</a>' in lost.text


@pytest.mark.parametrize("role", ["facilitator", "mentor"])
def test_only_leads_and_admins(signed: Signed, people: People, db: Session, role: str) -> None:
    pages = signed.pages(getattr(people, role))
    assert upload(pages, TERMS).status_code == 403
    assert count_rows(db, Closure) == 0
