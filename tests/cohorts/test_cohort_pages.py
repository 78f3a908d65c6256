"""Cohort, session and closure pages: forms with error summaries, no JavaScript needed."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth.models import User
from app.cohorts.models import Closure, Cohort, Enrolment, GroupSession
from tests.support.fixtures import MakeChild
from tests.support.pages import date_fields, post
from tests.support.people import PageClient, People, Signed
from tests.support.queries import CountQueries
from tests.support.rows import count_rows


def cohort_form(
    people: People, second_id: int | None, curriculum_id: int, **over: str
) -> dict[str, str]:
    return {
        "name": "Monday group",
        "curriculum_id": str(curriculum_id),
        **date_fields("start_date", "2026-09-07"),
        "start_time": "16:00",
        "duration_minutes": "90",
        "venue": "Hall",
        "facilitator_1": str(people.facilitator.id),
        "facilitator_2": str(second_id),
        **over,
    }


def test_create_cohort_through_the_form(
    lead_pages: PageClient,
    people: People,
    second_facilitator: User,
    curriculum_id: int,
    db: Session,
) -> None:
    form = lead_pages.get("/cohorts/new")
    assert form.status_code == 200
    assert "Second Facilitator" in form.text
    response = post(
        lead_pages, "/cohorts", cohort_form(people, second_facilitator.id, curriculum_id)
    )
    assert response.status_code == 303
    page = lead_pages.get(response.headers["location"])
    assert page.status_code == 200
    assert "Monday 12 April 2027" in page.text  # the 30th lesson, after two bank holidays
    assert (
        page.text.count('class="govuk-tag govuk-tag--blue">Planned')
        + page.text.count("Not recorded")
        == 30
    )
    assert "Only 0 active children" in page.text


def test_bad_cohort_form_shows_errors_beside_fields(
    lead_pages: PageClient,
    people: People,
    second_facilitator: User,
    curriculum_id: int,
    db: Session,
) -> None:
    bad = cohort_form(
        people,
        second_facilitator.id,
        curriculum_id,
        **{
            "start_date-day": "31",
            "start_date-month": "2",
            "start_time": "25:99",
            "duration_minutes": "500",
            "venue": "",
            "facilitator_2": str(people.facilitator.id),
        },
    )
    response = post(lead_pages, "/cohorts", bad)
    assert response.status_code == 422
    html = response.text
    assert "There is a problem" in html
    for field in ("start_date", "start_time", "duration_minutes", "venue"):
        assert f'href="#{field}"' in html, field
    assert "Enter a real date" in html
    assert (count_rows(db, Cohort), count_rows(db, GroupSession)) == (0, 0)
    same_twice = post(
        lead_pages, "/cohorts", cohort_form(people, people.facilitator.id, curriculum_id)
    )
    assert same_twice.status_code == 422
    assert "Choose exactly 2 different facilitators" in same_twice.text


def test_cohort_page_query_count_does_not_grow(
    signed: Signed,
    people: People,
    cohort: dict[str, Any],
    make_child: MakeChild,
    lead_api: TestClient,
    count_queries: CountQueries,
    db: Session,
) -> None:
    pages = signed.pages(people.lead)
    url = f"/cohorts/{cohort['id']}"
    db.expire_all()  # as in production, where every request starts with an empty session
    with count_queries() as few:
        assert pages.get(url).status_code == 200
    for _ in range(8):
        child = make_child()
        lead_api.post(
            f"/api/v1/cohorts/{cohort['id']}/enrolments",
            json={"child_id": child["id"], "start_date": "2026-09-07"},
        )
    lead_api.post(
        "/api/v1/closures",
        json={"date": "2026-10-26", "end_date": "2026-10-30", "reason": "Half term"},
    )
    db.expire_all()
    with count_queries() as many:
        page = pages.get(url)
    assert page.status_code == 200
    assert "Child8" in page.text
    # 12: one for the organisation's programmes (named on the page only when it runs several).
    assert many.count == few.count == 12, [s[:60] for s in few.statements + many.statements]


def test_enrol_and_withdraw_through_the_pages(
    lead_pages: PageClient,
    cohort: dict[str, Any],
    make_child: MakeChild,
) -> None:
    child = make_child(first_name="Priya")
    url = f"/cohorts/{cohort['id']}"
    missing = post(lead_pages, f"{url}/enrolments", {"child_id": ""})
    assert missing.status_code == 422
    assert "Choose a child to enrol" in missing.text
    young = make_child(first_name="Tiny", date_of_birth="2019-01-01")
    refused = post(lead_pages, f"{url}/enrolments", {"child_id": str(young["id"])})
    assert refused.status_code == 422
    assert 'href="#eligibility_override"' in refused.text
    ok = post(
        lead_pages,
        f"{url}/enrolments",
        {"child_id": str(child["id"]), **date_fields("start_date", "2026-09-07")},
    )
    assert ok.status_code == 303
    page = lead_pages.get(url).text
    assert "Priya" in page
    enrolment_id = page.split("/enrolments/")[1].split("/withdraw")[0]
    bad = post(
        lead_pages,
        f"/enrolments/{enrolment_id}/withdraw",
        {**date_fields("date", "2026-09-01"), "reason": ""},
    )
    assert bad.status_code == 422
    assert "Enter the reason the child left" in bad.text
    done = post(
        lead_pages,
        f"/enrolments/{enrolment_id}/withdraw",
        {**date_fields("date", "2026-10-01"), "reason": "Moved"},
    )
    assert done.status_code == 303
    assert "Left 1 October 2026" in lead_pages.get(url).text


def test_several_children_are_enrolled_in_one_save_all_or_none(
    lead_pages: PageClient,
    cohort: dict[str, Any],
    make_child: MakeChild,
    db: Session,
) -> None:
    url = f"/cohorts/{cohort['id']}"
    form = lead_pages.get(url).text
    names = ("Ada", "Ben", "Cai")
    kids = [make_child(first_name=name) for name in names]
    form = lead_pages.get(url).text
    assert 'type="checkbox" value="{}"'.format(kids[0]["id"]) in form
    young = make_child(first_name="Tiny", date_of_birth="2019-01-01")
    before = count_rows(db, Enrolment)
    # One child outside the age range: nobody is enrolled, and the others stay ticked.
    refused = post(
        lead_pages,
        f"{url}/enrolments",
        {
            "child_id": [str(k["id"]) for k in (*kids, young)],
            **date_fields("start_date", "2026-09-07"),
        },
    )
    assert refused.status_code == 422
    assert 'href="#eligibility_override"' in refused.text
    assert f'value="{kids[1]["id"]}" checked' in refused.text
    assert count_rows(db, Enrolment) == before
    # A box that is not a child's id: the page was out of date or hand-made.
    odd = post(lead_pages, f"{url}/enrolments", {"child_id": [str(kids[0]["id"]), "x"]})
    assert odd.status_code == 422
    assert "Choose a child to enrol" in odd.text
    assert count_rows(db, Enrolment) == before
    ok = post(
        lead_pages,
        f"{url}/enrolments",
        {"child_id": [str(k["id"]) for k in kids], **date_fields("start_date", "2026-09-07")},
    )
    assert ok.status_code == 303
    assert count_rows(db, Enrolment) == before + 3
    page = lead_pages.get(ok.headers["location"]).text
    assert "3 children enrolled: Ada (" in page
    for name in names:
        assert name in page


def test_change_and_cancel_a_session_through_the_pages(
    lead_pages: PageClient, cohort: dict[str, Any]
) -> None:
    session = cohort["sessions"][2]
    form = lead_pages.get(f"/sessions/{session['id']}/change")
    assert form.status_code == 200
    stale = post(
        lead_pages, f"/sessions/{session['id']}/reschedule", {"version": "7", "venue": "Room 2"}
    )
    assert stale.status_code == 409
    assert "Someone else changed this session first" in stale.text
    bad = post(
        lead_pages, f"/sessions/{session['id']}/reschedule", {"version": "1", "start_time": "noon"}
    )
    assert bad.status_code == 422
    moved = post(
        lead_pages, f"/sessions/{session['id']}/reschedule", {"version": "1", "venue": "Room 2"}
    )
    assert moved.status_code == 303
    no_reason = post(
        lead_pages, f"/sessions/{session['id']}/cancel", {"version": "2", "reason": ""}
    )
    assert no_reason.status_code == 422
    cancelled = post(
        lead_pages, f"/sessions/{session['id']}/cancel", {"version": "2", "reason": "Snow"}
    )
    assert cancelled.status_code == 303
    page = lead_pages.get(f"/cohorts/{cohort['id']}").text
    assert "Cancelled" in page
    assert "Snow" in page


def test_closures_form_and_csv_import(
    lead_pages: PageClient, cohort: dict[str, Any], db: Session
) -> None:
    assert lead_pages.get("/closures").status_code == 200
    backwards = post(
        lead_pages,
        "/closures",
        {
            **date_fields("start", "2026-10-30"),
            **date_fields("end", "2026-10-26"),
            "reason": "Half term",
        },
    )
    assert backwards.status_code == 422
    assert "The last day must be on or after the first day" in backwards.text
    assert count_rows(db, Closure) == 0
    added = post(
        lead_pages,
        "/closures",
        {
            **date_fields("start", "2026-10-26"),
            **date_fields("end", "2026-10-30"),
            "reason": "Half term",
        },
    )
    assert added.status_code == 303
    csv_bad = (
        "start_date,end_date,reason\n2026-12-21,2027-01-01,Christmas\n"
        "2027-02-15,not a date,February\n"
    )
    refused = lead_pages.post(
        "/closures/import",
        data={"csrf_token": lead_pages.csrf_token},
        files={"file": ("terms.csv", csv_bad.encode(), "text/csv")},
    )
    assert refused.status_code == 422
    assert "Line 3: not a date is not a date" in refused.text
    assert count_rows(db, Closure) == 1  # nothing from the bad file
    csv_good = (
        "2026-12-21,2027-01-01,Christmas holidays\n15/02/2027,19/02/2027,February half term\n"
    )
    imported = lead_pages.post(
        "/closures/import",
        data={"csrf_token": lead_pages.csrf_token},
        files={"file": ("terms.csv", csv_good.encode(), "text/csv")},
    )
    assert imported.status_code == 303
    assert imported.headers["location"] == "/closures?added=2"
    assert count_rows(db, Closure) == 3
    assert "Christmas holidays" in lead_pages.get("/closures?added=2").text
