"""What a funder reads (issue 15, point 8): the CSV and XLSX downloads (a byte-order mark,
formula cells made inert, references only), the counts beside the rates, and the printable
report with its counts, charts, split cohort tables and A4 print stylesheet. And the
drill-downs linking to each other with first names beside references (point 10)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session

from app.fidelity import summary
from tests.support.builder import Builder
from tests.support.people import People, Signed

pytestmark = pytest.mark.clock("2026-10-05T10:00")

START = dt.date(2026, 9, 7)  # a Monday
AS_OF = "2026-10-04"
EVIL = '=HYPERLINK("http://evil.example","Click")'
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Programme:
    cohort: int
    children: list[int]
    mentor: int
    match: int


@pytest.fixture
def programme(build: Builder, people: People, db: Session) -> Programme:
    """A cohort named like a formula, four weekly sessions delivered (two facilitators),
    two children (Ben and -Ann, whose reference starts with a minus), and a mentor for Ben
    with two completed visits of 90 minutes."""
    second = build.user(people.facilitator.role, "second")
    cohort = build.cohort(START, name=EVIL, facilitators=[people.facilitator.id or 0])
    ben = build.child("Ben", "DEMO-02")
    ann = build.child("Ann", "-DEMO-03")
    for child in (ben, ann):
        build.enrol(child, cohort, START)
    rows = []
    for week in range(4):
        session = build.session(cohort, week + 1, START + dt.timedelta(weeks=week), "delivered")
        build.present(session, [people.facilitator.id or 0, second.id or 0])
        rows += [(session, ben, "present"), (session, ann, "absent" if week else "present")]
    build.attendance(rows)
    mentor = people.mentor.id or 0
    match = build.match(ben, mentor, START)
    base = {"match_id": match, "mentor_id": mentor, "child_id": ben, "minutes": 90}
    build.visits(
        [
            {**base, "date": START + dt.timedelta(days=2), "status": "completed"},
            {**base, "date": START + dt.timedelta(days=9), "status": "completed"},
        ]
    )
    db.commit()
    return Programme(cohort, [ben, ann], mentor, match)


def test_the_csv_has_a_bom_and_inert_formulas(lead_api: TestClient, programme: Programme) -> None:
    response = lead_api.get("/api/v1/fidelity.csv", params={"as_of": AS_OF})
    assert response.status_code == 200
    raw = response.content
    assert raw.startswith("\ufeff".encode())
    text = raw.decode("utf-8").removeprefix("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:5] == ["as_of", "level", "cohort_id", "cohort", "child_reference"]
    assert len(rows[0]) == 18  # the column set is unchanged
    cohort_row = next(r for r in rows if r[1] == "cohort")
    assert cohort_row[3] == "'" + EVIL  # inert: a spreadsheet shows it as text
    children = {r[4] for r in rows if r[1] == "child"}
    assert children == {"DEMO-02", "'-DEMO-03"}
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert "Ben" not in text
    assert "Ann" not in text


def test_the_xlsx_has_a_sheet_per_table(lead_api: TestClient, programme: Programme) -> None:
    response = lead_api.get("/api/v1/fidelity.xlsx", params={"as_of": AS_OF})
    assert response.status_code == 200
    assert response.headers["content-type"] == XLSX
    assert "fidelity-2026-10-04.xlsx" in response.headers["content-disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Cohorts", "Children"]
    cohorts, children = book["Cohorts"], book["Children"]
    for sheet in (cohorts, children):
        assert sheet.freeze_panes == "A2"
        assert all(cell.font.b for cell in sheet[1])
    header = [c.value for c in cohorts[1]]
    assert header[:4] == ["as_of", "cohort_id", "cohort", "start_date"]
    (row,) = [[c.value for c in r] for r in cohorts.iter_rows(min_row=2)]
    assert row[2] == "'" + EVIL
    assert row[1] == programme.cohort
    assert row[header.index("delivery_rate")] == 1  # a number, not text
    child_header = [c.value for c in children[1]]
    refs = {r[child_header.index("child_reference")].value for r in children.iter_rows(min_row=2)}
    assert refs == {"DEMO-02", "'-DEMO-03"}
    every = [c.value for sheet in (cohorts, children) for r in sheet.iter_rows() for c in r]
    assert "Ben" not in every
    assert "Ann" not in every
    assert not any(isinstance(v, str) and v.startswith(("=", "+", "-", "@")) for v in every)


def test_the_xlsx_has_the_csvs_access(signed: Signed, people: People, programme: Programme) -> None:
    assert signed.api(people.mentor).get("/api/v1/fidelity.xlsx").status_code == 403
    other = signed.api(people.other_lead).get(
        "/api/v1/fidelity.xlsx", params={"cohort_id": programme.cohort}
    )
    assert other.status_code == 404
    bad = signed.api(people.lead).get("/api/v1/fidelity.xlsx", params={"as_of": "4/10/2026"})
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")


def test_the_counts_beside_the_rates(
    lead_api: TestClient, programme: Programme, db: Session, people: People
) -> None:
    counts = lead_api.get("/api/v1/fidelity", params={"as_of": AS_OF}).json()["counts"]
    assert counts == {
        "children_served": 2,
        "sessions_delivered": 4,
        "mentoring_hours": 3.0,
        "mentors_active": 1,
    }
    # The same numbers as the rest of the report counts from.
    report = summary.fidelity(db, actor=people.lead, as_of=dt.date(2026, 10, 4))
    assert report.counts is not None
    assert report.counts.children_served == len({c.child_id for c in report.children})
    assert report.counts.mentors_active == len(report.mentors)
    # Before anything happened, nothing to count.
    before = lead_api.get("/api/v1/fidelity", params={"as_of": "2026-09-01"}).json()
    assert before["counts"] == {
        "children_served": 0,
        "sessions_delivered": 0,
        "mentoring_hours": 0.0,
        "mentors_active": 0,
    }


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_report_gives_counts_charts_and_fits_a4(lead_pages: Any, programme: Programme) -> None:
    response = lead_pages.get(f"/fidelity/report?as_of={AS_OF}")
    assert response.status_code == 200
    html = response.text
    text = text_of(html)
    for label, value in (
        ("Children served", "2"),
        ("Sessions delivered", "4"),
        ("Mentoring hours", "3"),
        ("Mentors active", "1"),
    ):
        assert re.search(rf"{label} {value} ", text), label
    # Each count's meaning is in the glossary too.
    assert text.count("Children enrolled in a cohort on or before the date") == 2
    assert html.count("<svg") == 3  # the three charts of the last 12 weeks
    # The cohort figures come as two tables so each fits the page upright.
    assert 'aria-label="Group sessions per cohort"' in html
    assert 'aria-label="Mentoring per cohort (hours a week)"' in html
    assert '<link rel="stylesheet" href="/static/css/print.css">' in html
    assert f'href="/api/v1/fidelity.xlsx?as_of={AS_OF}"' in html
    assert f'href="/api/v1/fidelity.csv?as_of={AS_OF}"' in html
    assert "Ben" not in text  # the report keeps references only
    css = lead_pages.get("/static/css/print.css")
    assert css.status_code == 200
    assert "size: A4 portrait" in css.text


def test_the_dashboard_links_both_downloads(lead_pages: Any, programme: Programme) -> None:
    html = lead_pages.get(f"/fidelity?as_of={AS_OF}").text
    assert f'href="/api/v1/fidelity.xlsx?as_of={AS_OF}" download' in html
    assert f'href="/api/v1/fidelity.csv?as_of={AS_OF}" download' in html


def test_the_drilldowns_link_to_each_other(lead_pages: Any, programme: Programme) -> None:
    ben, _ann = programme.children
    q = f"?as_of={AS_OF}"
    child = lead_pages.get(f"/fidelity/children/{ben}{q}").text
    assert f'href="/fidelity/cohorts/{programme.cohort}{q}"' in child
    assert f'href="/fidelity/mentors/{programme.mentor}{q}"' in child
    assert f'href="/matches/{programme.match}"' in child
    assert re.search(r'href="/sessions/\d+">Register', child)  # to correct a mark
    cohort = lead_pages.get(f"/fidelity/cohorts/{programme.cohort}{q}").text
    assert f'href="/fidelity/children/{ben}{q}">Ben (DEMO-02)</a>' in cohort
    mentor = lead_pages.get(f"/fidelity/mentors/{programme.mentor}{q}").text
    assert 'href="mailto:mentor@org-a.example.org"' in mentor  # to get in touch
    assert f'href="/fidelity/children/{ben}{q}">Ben (DEMO-02)</a>' in mentor
    dashboard = lead_pages.get(f"/fidelity{q}").text
    assert "Ann (-DEMO-03)</a>" in dashboard  # below the threshold, by first name too
    # Wide tables scroll in a focusable, named region.
    assert re.search(
        r'class="tandem-table-scroll" role="region" aria-label="Cohorts" tabindex="0"', dashboard
    )


def test_a_facilitator_sees_no_mentor_link(
    signed: Signed, people: People, programme: Programme
) -> None:
    ben = programme.children[0]
    html = signed.pages(people.facilitator).get(f"/fidelity/children/{ben}?as_of={AS_OF}").text
    assert f'href="/fidelity/cohorts/{programme.cohort}?as_of={AS_OF}"' in html
    assert "/fidelity/mentors/" not in html
