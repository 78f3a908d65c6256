"""Importing closures (term dates) from a file through the API: a header row skipped, every
bad row at once, overlaps refused, what the replan does to each cohort, a warning for a
cohort pushed past the school year, and a dry run that answers the same and adds nothing."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import func
from sqlmodel import Session, col, select

from app.cohorts.closure_import import school_year_end
from app.cohorts.models import Closure, GroupSession, SessionStatus
from tests.support.people import People, Signed
from tests.support.rows import audit_count, count_rows

pytestmark = pytest.mark.clock("2026-09-01T10:00")

URL = "/api/v1/closures/import"
TERMS = (
    "start_date,end_date,reason\r\n"
    "2026-10-26,2026-10-30,October half term\r\n"
    "15/02/2027,19/02/2027,February half term\r\n"
)


def post(client: TestClient, text: str | bytes, *, dry_run: bool = False) -> Any:
    data = text.encode() if isinstance(text, str) else text
    return client.post(
        URL,
        params={"dry_run": "true"} if dry_run else {},
        files={"file": ("terms.csv", data, "text/csv")},
    )


def sessions(db: Session, cohort_id: int) -> list[tuple[dt.date, str]]:
    db.expire_all()
    rows = db.exec(
        select(col(GroupSession.date), col(GroupSession.status))
        .where(GroupSession.cohort_id == cohort_id)
        .order_by(col(GroupSession.week), col(GroupSession.id))
    ).all()
    return [(day, str(status)) for day, status in rows]


def last_live(db: Session, cohort_id: int) -> dt.date:
    return db.exec(
        select(func.max(GroupSession.date)).where(
            GroupSession.cohort_id == cohort_id, GroupSession.status != SessionStatus.cancelled
        )
    ).one()


def test_dry_run_says_what_the_import_does_and_adds_nothing(
    lead_api: TestClient, db: Session, cohort: dict[str, Any]
) -> None:
    before = sessions(db, cohort["id"])
    preview = post(lead_api, TERMS, dry_run=True)
    assert preview.status_code == 200, preview.text
    assert sessions(db, cohort["id"]) == before
    assert count_rows(db, Closure) == 0
    assert audit_count(db, entity="closure") == 0
    done = post(lead_api, TERMS)
    assert done.status_code == 200, done.text
    assert done.json() == {**preview.json(), "dry_run": False}
    body = done.json()
    assert body["created"] == 2
    assert body["errors"] == []
    # Monday 26 October and Monday 15 February are lost; the lessons move on two weeks.
    assert body["affected"] == [
        {
            "cohort_id": cohort["id"],
            "cancelled": 2,
            "new_last_date": last_live(db, cohort["id"]).isoformat(),
        }
    ]
    live_before = max(day for day, status in before if status != "cancelled")
    assert last_live(db, cohort["id"]) > live_before
    assert count_rows(db, Closure) == 2
    assert audit_count(db, entity="closure") == 2


def test_every_bad_row_is_reported_and_nothing_is_added(
    lead_api: TestClient, db: Session, cohort: dict[str, Any]
) -> None:
    assert post(lead_api, "2026-12-21,2027-01-01,Christmas\r\n").status_code == 200
    before = sessions(db, cohort["id"])
    bad = (
        "start_date,end_date,reason\r\n"
        "2026-10-26,2026-10-30,October half term\r\n"
        "2027-02-15,not a date,February\r\n"
        "2027-04-09,2027-04-01,Easter\r\n"
        "2027-05-31,2027-06-04,\r\n"
        "2026-12-31,2027-01-04,New year\r\n"
        "2026-10-30,2026-11-02,Inset day\r\n"
        "2027-03-01,2028-03-31,Too long\r\n"
    )
    answer = post(lead_api, bad)
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    errors = answer.json()["errors"]
    assert [(e["row"], e["column"]) for e in errors] == [
        (3, "end_date"),
        (4, "end_date"),
        (5, "reason"),
        (6, "start_date"),
        (7, "start_date"),
        (8, "end_date"),
    ]
    msgs = {e["row"]: e["msg"] for e in errors}
    assert msgs[4] == "The last day must be on or after the first day"
    assert msgs[6] == ("This overlaps the closure Christmas (21 December 2026 to 1 January 2027)")
    assert msgs[7] == "This overlaps row 2"
    assert msgs[8] == "A closure can last at most a year"
    assert count_rows(db, Closure) == 1
    assert sessions(db, cohort["id"]) == before


def test_a_file_without_a_header_is_read_from_its_first_row(
    lead_api: TestClient, cohort: dict[str, Any]
) -> None:
    answer = post(lead_api, "2026-10-26,2026-10-30,Half term, autumn\r\n", dry_run=True)
    assert answer.status_code == 200, answer.text
    assert answer.json()["created"] == 1
    assert answer.json()["affected"][0]["cancelled"] == 1


def test_a_closure_that_cancels_nothing_affects_no_cohort(
    lead_api: TestClient, cohort: dict[str, Any]
) -> None:
    answer = post(lead_api, "2026-10-27,2026-10-30,Not a Monday\r\n")
    assert answer.status_code == 200
    assert answer.json()["affected"] == []
    assert answer.json()["warnings"] == []


def test_a_cohort_pushed_past_the_school_year_is_warned_about(
    lead_api: TestClient, db: Session, cohort: dict[str, Any]
) -> None:
    answer = post(lead_api, "2027-01-04,2027-06-30,Building works\r\n", dry_run=True)
    assert answer.status_code == 200, answer.text
    new_last = dt.date.fromisoformat(answer.json()["affected"][0]["new_last_date"])
    assert new_last > dt.date(2027, 7, 31)
    assert answer.json()["warnings"] == [
        f"Monday group would now end on {new_last:%-d %B %Y}, after the school year ends "
        "on 31 July 2027"
    ]
    assert count_rows(db, Closure) == 0


def test_the_school_year_ends_on_31_july() -> None:
    assert school_year_end(dt.date(2026, 9, 7)) == dt.date(2027, 7, 31)
    assert school_year_end(dt.date(2027, 7, 31)) == dt.date(2027, 7, 31)
    assert school_year_end(dt.date(2027, 8, 1)) == dt.date(2028, 7, 31)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "empty"),
        (b"start_date,end_date,reason\r\n", "no closures"),
        (b"\x00\xff\xfe binary", "UTF-8"),
        (b"PK\x03\x04 broken", "Excel workbook"),
    ],
)
def test_malformed_files_are_a_clear_422(
    lead_api: TestClient, db: Session, content: bytes, words: str
) -> None:
    answer = post(lead_api, content)
    assert answer.status_code == 422, answer.text
    assert words in answer.json()["detail"]
    assert count_rows(db, Closure) == 0


def test_too_many_rows_is_refused(lead_api: TestClient, db: Session) -> None:
    lines = "".join(f"2027-01-{d:02d},2027-01-{d:02d},Day {d}\r\n" for d in range(1, 29))
    answer = post(lead_api, lines * 8)
    assert answer.status_code == 422
    assert answer.json()["detail"] == "Import at most 200 closures at a time: split the file"
    assert count_rows(db, Closure) == 0


def test_only_leads_and_admins_import(signed: Signed, people: People, db: Session) -> None:
    for role in ("facilitator", "mentor"):
        assert post(signed.api(getattr(people, role)), TERMS).status_code == 403
    assert post(signed.api(people.admin), TERMS, dry_run=True).status_code == 200
    assert count_rows(db, Closure) == 0


def test_an_excel_workbook_of_term_dates(
    lead_api: TestClient, db: Session, cohort: dict[str, Any]
) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["First day", "Last day", "Reason"])
    sheet.append([dt.datetime(2026, 10, 26), dt.date(2026, 10, 30), "October half term"])
    out = io.BytesIO()
    book.save(out)
    answer = lead_api.post(
        URL, files={"file": ("terms.xlsx", out.getvalue(), "application/octet-stream")}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["created"] == 1
    closure = db.exec(select(Closure)).one()
    assert (closure.start_date, closure.end_date) == (dt.date(2026, 10, 26), dt.date(2026, 10, 30))
