"""Figures you can trust: a register records what happened, never an assumption (issue 12).

Each point of the issue through the API and through the page: the register starts empty,
at least one facilitator, nothing recorded before the session starts, denominators that
follow dates (back-dated withdrawals, children who joined after the save), a 409 that shows
the winner's save, and fields left out of a re-send that keep their stored value."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.audit.models import AuditEvent
from app.cohorts.models import GroupSession
from app.sessions.models import Attendance, Coverage, SessionRecord
from tests.support.clock import Clock
from tests.support.fixtures import MakeChild
from tests.support.pages import post
from tests.support.people import People, Signed
from tests.support.sessions import full_record, page_form

LONDON = ZoneInfo("Europe/London")


def stored_rows(db: Session, session_id: int) -> tuple[int, int, int]:
    db.expire_all()
    attendance = db.exec(select(Attendance).where(Attendance.session_id == session_id)).all()
    coverage = db.exec(select(Coverage).where(Coverage.session_id == session_id)).all()
    session = db.get(GroupSession, session_id)
    assert session is not None
    return len(attendance), len(coverage), session.version


def register_part(html: str) -> str:
    """The register and coverage fieldsets of the session page (not the observation form)."""
    return html.split('id="register"')[1].split("Facilitators present")[0]


def summary_links(html: str) -> list[str]:
    summary = html.split('class="govuk-error-summary"')[1].split("</ul>")[0]
    return re.findall(r'href="#([^"]+)"', summary)


# 1. The register starts empty --------------------------------------------------------------


def test_the_page_starts_with_no_answer_and_only_the_saver_ticked(
    signed: Signed, people: People, first_session: dict[str, Any]
) -> None:
    url = f"/sessions/{first_session['id']}"
    as_facilitator = signed.pages(people.facilitator).get(url).text
    assert " checked" not in register_part(as_facilitator)  # GOV.UK radios start unselected
    # The facilitator saving is pre-ticked as present; their co-facilitator is not.
    ticked = re.findall(r'id="facilitator-(\d+)"[^>]*checked', as_facilitator)
    assert ticked == [str(people.facilitator.id)]
    # A lead is not a facilitator of the cohort: nobody is pre-ticked.
    as_lead = signed.pages(people.lead).get(url).text
    assert re.findall(r'id="facilitator-(\d+)"[^>]*checked', as_lead) == []
    assert " checked" not in register_part(as_lead)


def test_saving_an_empty_register_names_every_missing_answer_and_changes_nothing(
    signed: Signed, people: People, first_session: dict[str, Any], db: Session
) -> None:
    pages = signed.pages(people.facilitator)
    sid = first_session["id"]
    before = stored_rows(db, sid)
    response = post(pages, f"/sessions/{sid}/record", {"version": "1"})
    assert response.status_code == 422
    links = summary_links(response.text)
    children = [f"attendance-{c['child_id']}" for c in first_session["roster"]]
    activities = [f"coverage-{a['id']}" for a in first_session["lesson"]["activities"]]
    # Every child, every activity and the facilitators, in page order.
    assert links[: len(children) + len(activities)] == children + activities
    assert links[-1].startswith("facilitator-")
    assert "Tick at least one facilitator who ran the session" in response.text
    for child in first_session["roster"]:
        assert f"Choose whether {child['first_name']} was there" in response.text
    assert stored_rows(db, sid) == before == (0, 0, 1)


def test_the_api_refuses_a_register_with_a_child_or_an_activity_missing(
    lead_api: TestClient, people: People, first_session: dict[str, Any], db: Session
) -> None:
    sid = first_session["id"]
    body = full_record(first_session, [people.facilitator.id])
    missing_child = {**body, "attendance": body["attendance"][1:]}
    missing_activity = {**body, "coverage": body["coverage"][1:]}
    for bad in (missing_child, missing_activity):
        response = lead_api.put(f"/api/v1/sessions/{sid}/record", json=bad)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["errors"]
    first = first_session["roster"][0]
    detail = lead_api.put(f"/api/v1/sessions/{sid}/record", json=missing_child).json()
    assert f"Give an attendance for {first['first_name']}" in str(detail["errors"])
    assert stored_rows(db, sid) == (0, 0, 1)


def test_the_session_api_assumes_nothing_before_the_first_save(
    lead_api: TestClient, first_session: dict[str, Any]
) -> None:
    detail = lead_api.get(f"/api/v1/sessions/{first_session['id']}").json()
    assert detail["attendance"] is None
    assert detail["coverage"] is None
    assert {c["status"] for c in detail["roster"]} == {None}


# 2. At least one facilitator present ------------------------------------------------------


def test_at_least_one_facilitator_present(
    lead_api: TestClient,
    signed: Signed,
    people: People,
    first_session: dict[str, Any],
    db: Session,
) -> None:
    sid = first_session["id"]
    response = lead_api.put(f"/api/v1/sessions/{sid}/record", json=full_record(first_session, []))
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "loc": ["body", "facilitators_present"],
            "msg": "Tick at least one facilitator who ran the session",
        }
    ]
    pages = signed.pages(people.facilitator)
    form = page_form(first_session, people.facilitator.id)
    del form[f"facilitator-{people.facilitator.id}"]
    page = post(pages, f"/sessions/{sid}/record", form)
    assert page.status_code == 422
    assert "Tick at least one facilitator who ran the session" in page.text
    assert 'id="facilitators-error"' in page.text
    assert stored_rows(db, sid) == (0, 0, 1)


# 3. Nothing is recorded before it happens -------------------------------------------------


def test_a_session_is_recorded_only_once_it_has_started(
    lead_api: TestClient,
    signed: Signed,
    people: People,
    first_session: dict[str, Any],
    clock: Clock,
    db: Session,
) -> None:
    sid = first_session["id"]
    day = dt.date.fromisoformat(first_session["date"])
    clock.move_to(dt.datetime.combine(day, dt.time(15, 59), tzinfo=LONDON))  # starts at 16:00
    body = full_record(first_session, [people.facilitator.id])
    early = lead_api.put(f"/api/v1/sessions/{sid}/record", json=body)
    assert early.status_code == 422
    assert "record it once it has started" in early.json()["errors"][0]["msg"]
    pages = signed.pages(people.facilitator)
    assert "You can record it once it has started" in pages.get(f"/sessions/{sid}").text
    page = post(pages, f"/sessions/{sid}/record", page_form(first_session, people.facilitator.id))
    assert page.status_code == 422
    assert "record it once it has started" in page.text
    assert stored_rows(db, sid) == (0, 0, 1)

    clock.move_to(dt.datetime.combine(day, dt.time(16, 0), tzinfo=LONDON))
    assert lead_api.put(f"/api/v1/sessions/{sid}/record", json=body).status_code == 200


# 4. Denominators follow dates, not re-saves ------------------------------------------------


def _record_weeks(
    lead_api: TestClient, people: People, cohort: dict[str, Any], weeks: int
) -> list[dict[str, Any]]:
    done = []
    for s in cohort["sessions"][:weeks]:
        session = lead_api.get(f"/api/v1/sessions/{s['id']}").json()
        response = lead_api.put(
            f"/api/v1/sessions/{s['id']}/record",
            json=full_record(session, [people.facilitator.id]),
        )
        assert response.status_code == 200, response.text
        done.append(response.json())
    return done


def test_a_backdated_withdrawal_leaves_every_later_register_at_once(
    lead_api: TestClient,
    people: People,
    cohort: dict[str, Any],
    enrolled: list[dict[str, Any]],
    db: Session,
) -> None:
    recorded = _record_weeks(lead_api, people, cohort, 3)
    leaver = enrolled[0]
    before = lead_api.get(f"/api/v1/fidelity?cohort_id={cohort['id']}").json()
    assert before["metrics"]["attendance_rate"] == 1.0
    enrolment_id = _enrolment_id(db, leaver["id"])
    withdrawn = lead_api.post(
        f"/api/v1/enrolments/{enrolment_id}/withdraw",
        json={"date": recorded[0]["date"], "reason": "Moved placement"},
    )
    assert withdrawn.status_code == 200, withdrawn.text
    # Nothing re-saved: the later registers no longer hold the child.
    for later in recorded[1:]:
        detail = lead_api.get(f"/api/v1/sessions/{later['id']}").json()
        assert leaver["id"] not in [c["child_id"] for c in detail["roster"]]
        assert leaver["id"] not in [a["child_id"] for a in detail["attendance"]]
        assert len(detail["attendance"]) == 9
    first = lead_api.get(f"/api/v1/sessions/{recorded[0]['id']}").json()
    assert leaver["id"] in [a["child_id"] for a in first["attendance"]]
    after = lead_api.get(f"/api/v1/fidelity?cohort_id={cohort['id']}").json()
    child = next(c for c in after["children"] if c["child_id"] == leaver["id"])
    assert (child["lessons_delivered"], child["lessons_attended"]) == (1, 1)
    # The cohort's register rows: 10 + 9 + 9.
    rows = db.exec(select(Attendance)).all()
    assert len(rows) == 30  # the rows are kept as history; they count nowhere
    csv = lead_api.get(f"/api/v1/fidelity.csv?cohort_id={cohort['id']}").text
    assert csv.count(leaver["reference"]) == 1


def _enrolment_id(db: Session, child_id: int) -> int:
    from app.cohorts.models import Enrolment

    enrolment = db.exec(select(Enrolment).where(Enrolment.child_id == child_id)).one()
    assert enrolment.id is not None
    return enrolment.id


def test_a_child_who_joined_after_the_save_is_not_recorded_and_counts_nowhere(
    lead_api: TestClient,
    signed: Signed,
    people: People,
    cohort: dict[str, Any],
    enrolled: list[dict[str, Any]],
    make_child: MakeChild,
    db: Session,
) -> None:
    recorded = _record_weeks(lead_api, people, cohort, 4)
    # Nine children now, so the tenth place is free for the late joiner.
    lead_api.post(
        f"/api/v1/enrolments/{_enrolment_id(db, enrolled[9]['id'])}/withdraw",
        json={"date": cohort["start_date"], "reason": "Never came"},
    )
    before = lead_api.get(f"/api/v1/fidelity?cohort_id={cohort['id']}").json()["metrics"]
    late = make_child(first_name="Zara")
    response = lead_api.post(
        f"/api/v1/cohorts/{cohort['id']}/enrolments",
        json={"child_id": late["id"], "start_date": cohort["start_date"]},
    )
    assert response.status_code == 201, response.text
    first = lead_api.get(f"/api/v1/sessions/{recorded[0]['id']}").json()
    zara = next(c for c in first["roster"] if c["child_id"] == late["id"])
    assert zara["status"] is None  # never shown as present
    assert late["id"] not in [a["child_id"] for a in first["attendance"]]
    after = lead_api.get(f"/api/v1/fidelity?cohort_id={cohort['id']}").json()
    assert after["metrics"]["attendance_rate"] == before["attendance_rate"]
    row = next(c for c in after["children"] if c["child_id"] == late["id"])
    assert (row["lessons_delivered"], row["lessons_attended"], row["dosage"]) == (0, 0, None)

    # The page says so, and a correction may leave the late joiner unanswered.
    pages = signed.pages(people.facilitator)
    html = pages.get(f"/sessions/{recorded[0]['id']}").text
    assert "Not recorded (joined later)" in html
    assert not re.search(rf'name="attendance-{late["id"]}"[^>]*checked', html)
    form = page_form(first, people.facilitator.id)
    del form[f"attendance-{late['id']}"]
    form[f"attendance-{first['roster'][0]['child_id']}"] = "late"
    saved = post(pages, f"/sessions/{recorded[0]['id']}/record", form)
    assert saved.status_code == 303, saved.text
    # Through the API too; and once given, the answer counts.
    again = lead_api.get(f"/api/v1/sessions/{recorded[0]['id']}").json()
    body = {
        "version": again["version"],
        "facilitators_present": [people.facilitator.id],
        "attendance": [*again["attendance"], {"child_id": late["id"], "status": "absent"}],
        "coverage": again["coverage"],
    }
    assert lead_api.put(f"/api/v1/sessions/{again['id']}/record", json=body).status_code == 200
    row = next(
        c
        for c in lead_api.get(f"/api/v1/fidelity?cohort_id={cohort['id']}").json()["children"]
        if c["child_id"] == late["id"]
    )
    assert (row["lessons_delivered"], row["lessons_attended"]) == (1, 0)


# 5. Conflicts show the truth ---------------------------------------------------------------


def test_a_stale_save_gets_the_winners_state_version_and_name(
    signed: Signed, people: People, first_session: dict[str, Any], db: Session
) -> None:
    sid = first_session["id"]
    winner, loser = signed.api(people.facilitator), signed.api(people.lead)
    mine = full_record(first_session, [people.facilitator.id], absent=2, notes="Winner")
    assert winner.put(f"/api/v1/sessions/{sid}/record", json=mine).status_code == 200
    theirs = full_record(first_session, [people.facilitator.id], absent=0, notes="Loser")
    response = loser.put(f"/api/v1/sessions/{sid}/record", json=theirs)
    assert response.status_code == 409
    problem = response.json()
    assert problem["current_version"] == 2
    assert problem["current"]["notes"] == "Winner"
    assert problem["current"]["attendance"] == sorted(
        [{**a, "note": None} for a in mine["attendance"]], key=lambda a: a["child_id"]
    )
    assert problem["saved_by"] == people.facilitator.name
    assert problem["saved_at"]
    db.expire_all()
    record = db.get(SessionRecord, sid)
    assert record is not None
    assert record.notes == "Winner"


def test_the_page_names_who_saved_first_and_when(
    signed: Signed, people: People, first_session: dict[str, Any], clock: Clock
) -> None:
    day = dt.date.fromisoformat(first_session["date"])
    clock.move_to(dt.datetime.combine(day, dt.time(16, 52), tzinfo=LONDON))
    first, second = signed.pages(people.facilitator), signed.pages(people.lead)
    url = f"/sessions/{first_session['id']}/record"
    assert post(first, url, page_form(first_session, people.facilitator.id)).status_code == 303
    child = first_session["roster"][0]
    stale = post(
        second,
        url,
        page_form(
            first_session, people.facilitator.id, **{f"attendance-{child['child_id']}": "absent"}
        ),
    )
    assert stale.status_code == 409
    assert f"Saved by {people.facilitator.name} at 4:52pm" in stale.text
    assert "Saved by the other person: <strong>Present</strong>" in stale.text


# 6. A re-send that leaves out checklist or notes keeps them ----------------------------------


def test_a_resend_without_checklist_or_notes_keeps_them(
    lead_api: TestClient, people: People, first_session: dict[str, Any], db: Session
) -> None:
    sid = first_session["id"]
    url = f"/api/v1/sessions/{sid}/record"
    body = full_record(first_session, [people.facilitator.id])
    assert lead_api.put(url, json=body).status_code == 200
    events = len(db.exec(select(AuditEvent)).all())
    resend = {k: v for k, v in body.items() if k not in ("checklist", "notes")}
    response = lead_api.put(url, json={**resend, "version": 2})
    assert response.status_code == 200
    detail = response.json()
    assert detail["version"] == 2  # nothing changed, so no new version
    assert detail["notes"] == "A good group."
    assert detail["checklist"] == {"Every child had a turn": True}
    assert len(db.exec(select(AuditEvent)).all()) == events
    # A correction that leaves them out changes the register and still keeps them.
    corrected = full_record(first_session, [people.facilitator.id], absent=1, version=2)
    del corrected["notes"], corrected["checklist"]
    detail = lead_api.put(url, json=corrected).json()
    assert (detail["version"], detail["notes"]) == (3, "A good group.")
    assert detail["checklist"] == {"Every child had a turn": True}
    # Sent empty, they are cleared.
    cleared = lead_api.put(url, json={**corrected, "version": 3, "notes": None, "checklist": {}})
    assert (cleared.json()["notes"], cleared.json()["checklist"]) == (None, {})
