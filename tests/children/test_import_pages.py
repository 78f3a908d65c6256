"""The "Import children" pages: upload, preview (every bad row, or how many would be added),
confirm without JavaScript, the success banner; bad files shown beside the file input."""

from __future__ import annotations

import base64
import re
from typing import Any
from urllib.parse import unquote

import pytest
from sqlmodel import Session, select

from app.children.models import Child
from app.web import NOTICE_COOKIE
from tests.children.test_import_api import csv_of, row
from tests.support.people import PageClient, People, Signed
from tests.support.rows import audit_count, count_rows

pytestmark = pytest.mark.clock("2027-03-10T10:00")


def upload(client: PageClient, content: bytes, name: str = "children.csv") -> Any:
    return client.post(
        "/children/import",
        data={"csrf_token": client.csrf_token},
        files={"file": (name, content, "text/csv")},
    )


def confirm(client: PageClient, hidden: str) -> Any:
    return client.post(
        "/children/import/confirm",
        data={"csrf_token": client.csrf_token, "content": hidden},
        files={"unused": ("", b"", "application/octet-stream")},
    )


def hidden_content(html: str) -> str:
    found = re.search(r'name="content" value="([^"]*)"', html)
    assert found, html[:2000]
    return found.group(1)


def test_the_children_list_links_to_the_import(lead_pages: PageClient) -> None:
    page = lead_pages.get("/children")
    assert 'href="/children/import"' in page.text
    form = lead_pages.get("/children/import")
    assert form.status_code == 200
    assert '<h1 class="govuk-heading-xl">Import children</h1>' in form.text
    assert 'type="file"' in form.text
    assert 'enctype="multipart/form-data"' in form.text
    assert "reference, first_name, date_of_birth" in form.text


def test_upload_preview_confirm_and_banner(lead_pages: PageClient, db: Session) -> None:
    preview = upload(lead_pages, csv_of(row(1), row(2), row(3)))
    assert preview.status_code == 200, preview.text[:1000]
    assert "This will add 3 children" in preview.text
    assert "IM-0002" in preview.text
    assert count_rows(db, Child) == 0  # a preview adds nothing
    done = confirm(lead_pages, hidden_content(preview.text))
    assert done.status_code == 303
    assert done.headers["location"] == "/children"
    assert unquote(done.cookies[NOTICE_COOKIE]) == "3 children added."
    assert count_rows(db, Child) == 3
    assert audit_count(db, entity="child") == 3
    listed = lead_pages.get("/children")
    assert "3 children added." in listed.text


def test_every_bad_row_is_shown_and_nothing_added(lead_pages: PageClient, db: Session) -> None:
    page = upload(lead_pages, csv_of(row(1), row(2, first_name=""), row(3, date_of_birth="x")))
    assert page.status_code == 422
    html = page.text
    assert "<title>Error: " in html
    assert '<a href="#row-0">Row 3, first_name: Enter the first name</a>' in html
    assert '<a href="#row-1">Row 4, date_of_birth: Enter the date of birth as YYYY-MM-DD' in html
    assert 'id="row-0"' in html
    assert 'id="row-1"' in html
    assert "2 problems in the file" in html
    assert 'name="content"' not in html  # nothing to confirm
    assert count_rows(db, Child) == 0


def test_no_file_or_a_bad_file_is_shown_beside_the_input(lead_pages: PageClient) -> None:
    empty = lead_pages.post("/children/import", data={"csrf_token": lead_pages.csrf_token})
    assert empty.status_code == 422
    assert '<a href="#file">Choose a CSV or Excel file of children</a>' in empty.text
    assert 'id="file-error"' in empty.text
    garbage = upload(lead_pages, b"\xff\xfe\x00garbage")
    assert garbage.status_code == 422
    assert '<a href="#file">The file must be a CSV saved as UTF-8' in garbage.text


def test_a_confirm_that_lost_its_file_changes_nothing(lead_pages: PageClient, db: Session) -> None:
    answer = confirm(lead_pages, "not base64!")
    assert answer.status_code == 422
    assert '<a href="#file">The upload was lost: choose the file again</a>' in answer.text
    assert count_rows(db, Child) == 0


def test_the_confirm_checks_the_file_again(lead_pages: PageClient, db: Session) -> None:
    preview = upload(lead_pages, csv_of(row(1)))
    hidden = hidden_content(preview.text)
    assert confirm(lead_pages, hidden).status_code == 303
    # Confirmed twice (a second tab, the back button): the references are now taken.
    again = confirm(lead_pages, hidden)
    assert again.status_code == 422
    assert "Row 2, reference: A child with the reference IM-0001 exists" in again.text
    assert count_rows(db, Child) == 1


def test_a_tampered_confirm_is_checked_like_an_upload(lead_pages: PageClient, db: Session) -> None:
    forged = base64.b64encode(csv_of(row(1, placement_type="castle"))).decode()
    answer = confirm(lead_pages, forged)
    assert answer.status_code == 422
    assert count_rows(db, Child) == 0


def test_the_template_is_the_header_row(lead_pages: PageClient) -> None:
    answer = lead_pages.get("/children/import/template.csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    text = answer.content.decode("utf-8")
    assert text.startswith("\ufeffreference,first_name,date_of_birth,placement_type,")
    assert text.count("\r\n") == 1
    assert "preferences.same_ethnicity" in text


def test_the_template_imports_once_filled(lead_pages: PageClient, db: Session) -> None:
    header = lead_pages.get("/children/import/template.csv").content.decode("utf-8-sig").strip()
    columns = header.split(",")
    values = {
        "reference": "T-1",
        "first_name": "Tam",
        "date_of_birth": "2015-01-01",
        "placement_type": "other",
        "consent_given_by": "Carer",
        "consent_given_on": "2026-10-01",
    }
    line = ",".join(values.get(c, "") for c in columns)
    preview = upload(lead_pages, f"{header}\r\n{line}\r\n".encode())
    assert "This will add 1 child<" in preview.text, preview.text[:2000]
    db.expire_all()
    assert db.exec(select(Child)).all() == []


@pytest.mark.parametrize("role", ["facilitator", "mentor"])
def test_only_leads_and_admins_import(
    signed: Signed, people: People, db: Session, role: str
) -> None:
    pages = signed.pages(getattr(people, role))
    assert pages.get("/children/import").status_code == 403
    assert upload(pages, csv_of(row(1))).status_code == 403
    assert 'href="/children/import"' not in pages.get("/children").text
    assert count_rows(db, Child) == 0
