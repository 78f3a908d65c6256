"""The mentor's week tells the whole story: what the group skipped or did partly (with each
activity's guidance), the facilitator's note about the mentor's own mentee (never another
child's), tasks from an earlier mentor folded apart, newest first; cancelling a planned
visit says who called it off and why, and can be undone while its time has not passed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.mentoring.models import MentorVisit
from tests.support.clock import Clock
from tests.support.mentoring import MakeMentor, Mentees, earlier_today, mentor_user, visit_form
from tests.support.pages import post
from tests.support.people import People, Signed
from tests.support.rows import audit_count

pytestmark = pytest.mark.usefixtures("evening")

AMIRA_NOTE = "Amira led the role play and asked to do it again"
BEN_NOTE = "Ben was off sick: his carer phoned"


def _record_second_session(mentees: Mentees, facilitator_id: int) -> dict[str, Any]:
    """The cohort's second session: the first activity skipped, the second done partly,
    a note about each child."""
    api = mentees.lead_api
    session: dict[str, Any] = api.get(
        f"/api/v1/sessions/{mentees.cohort['sessions'][1]['id']}"
    ).json()
    activities = session["lesson"]["activities"]
    notes = {mentees.amira["id"]: AMIRA_NOTE, mentees.ben["id"]: BEN_NOTE}
    statuses = {mentees.amira["id"]: "present", mentees.ben["id"]: "absent"}
    coverage = [
        {
            "activity_id": a["id"],
            "status": "skipped" if i == 0 else "partial" if i == 1 else "delivered",
            **({"note": "Ran out of time"} if i < 2 else {}),
        }
        for i, a in enumerate(activities)
    ]
    body = {
        "version": session["version"],
        "facilitators_present": [facilitator_id],
        "attendance": [
            {
                "child_id": c["child_id"],
                "status": statuses[c["child_id"]],
                "note": notes[c["child_id"]],
            }
            for c in session["roster"]
        ],
        "coverage": coverage,
    }
    response = api.put(f"/api/v1/sessions/{session['id']}/record", json=body)
    assert response.status_code == 200, response.text
    return session


def _week(api: TestClient, day: dt.date) -> dict[int, dict[str, Any]]:
    response = api.get(f"/api/v1/mentors/me/week?date={day.isoformat()}")
    assert response.status_code == 200, response.text
    return {m["child_id"]: m for m in response.json()["mentees"]}


def test_the_week_shows_what_the_group_left_out_and_the_note_about_each_mentee(
    people: People, signed: Signed, mentees: Mentees
) -> None:
    session = _record_second_session(mentees, people.facilitator.id or 0)
    activities = session["lesson"]["activities"]
    day = dt.date.fromisoformat(session["date"]) + dt.timedelta(days=2)
    week = _week(mentees.mentor_api, day)
    amira, ben = week[mentees.amira["id"]], week[mentees.ben["id"]]
    for mentee, note in ((amira, AMIRA_NOTE), (ben, BEN_NOTE)):
        last = mentee["last_session"]
        assert last["session_id"] == session["id"]
        assert last["skipped_activities"] == [activities[0]["title"]]
        assert last["partial_activities"] == [activities[1]["title"]]
        assert last["note_about_mentee"] == note

    html = signed.pages(people.mentor).get(f"/mentor?date={day.isoformat()}").text
    amira_html, ben_html = html.split('id="mentee-')[1:3]
    assert AMIRA_NOTE in amira_html
    assert BEN_NOTE not in amira_html  # never another child's note
    assert BEN_NOTE in ben_html
    assert AMIRA_NOTE not in ben_html
    assert "The group did not do:" in amira_html
    assert "The group did only part of:" in amira_html
    curriculum_id = mentees.cohort["curriculum_id"]
    anchor = f"/curriculum/{curriculum_id}/weeks/{session['week']}#activity-{activities[0]['key']}"
    assert anchor in amira_html
    assert "<details" in amira_html
    # Ben missed it: each core activity to catch up on opens to its guidance.
    core = [a for a in activities if a["core"]]
    assert "Catch up on:" in ben_html
    assert core
    readable = ben_html.replace("&#39;", "'").replace("&quot;", '"').replace("&amp;", "&")
    for activity in core:
        assert f'/weeks/{session["week"]}#activity-{activity["key"]}"' in ben_html
        assert activity["guidance"]
        assert activity["guidance"][:40] in readable


def test_tasks_from_an_earlier_mentor_fold_away_newest_first(
    db: Session,
    people: People,
    signed: Signed,
    mentees: Mentees,
    make_mentor: MakeMentor,
) -> None:
    lead = mentees.lead_api
    sessions = mentees.cohort["sessions"]
    _record_second_session(mentees, people.facilitator.id or 0)
    # Amira's first mentor leaves; a new one starts on the day of the third session.
    third = dt.date.fromisoformat(sessions[2]["date"])
    ended = lead.post(
        f"/api/v1/matches/{mentees.amira_match}/end",
        json={"end_date": (third - dt.timedelta(days=1)).isoformat(), "reason": "mentor_left"},
    )
    assert ended.status_code == 200, ended.text
    newcomer = make_mentor(name="Nia Newcomer")
    made = lead.post(
        "/api/v1/matches",
        json={
            "child_id": mentees.amira["id"],
            "mentor_id": newcomer["user_id"],
            "start_date": third.isoformat(),
        },
    )
    assert made.status_code == 201, made.text
    new_api = signed.api(mentor_user(db, newcomer))
    week = _week(new_api, third + dt.timedelta(days=1))
    amira = week[mentees.amira["id"]]
    by_id = {a["id"]: a for a in amira["assignments"]}
    inherited = amira["inherited_assignment_ids"]
    assert inherited
    dates = [by_id[i]["session_date"] for i in inherited]
    assert dates == sorted(dates, reverse=True)  # newest first
    assert set(dates) == {sessions[0]["date"], sessions[1]["date"]}

    html = (
        signed.pages(mentor_user(db, newcomer))
        .get(f"/mentor?date={(third + dt.timedelta(days=1)).isoformat()}")
        .text
    )
    assert f"From earlier mentors ({len(inherited)})" in html


def test_cancelling_on_the_page_asks_who_and_why_and_can_be_undone(
    db: Session, people: People, signed: Signed, mentees: Mentees
) -> None:
    pages = signed.pages(people.mentor)
    day = mentees.today + dt.timedelta(days=2)
    planned = mentees.visit(mentees.amira_match, day, "15:00", "planned")
    week = pages.get(f"/mentor?date={day.isoformat()}").text
    assert f'href="/visits/{planned["id"]}/cancel"' in week

    form_page = pages.get(f"/visits/{planned['id']}/cancel")
    assert form_page.status_code == 200
    assert 'name="called_off_by"' in form_page.text
    assert 'id="cancel_reason"' in form_page.text

    # Neither who nor why: both problems, in page order; the visit stays planned.
    events = audit_count(db)
    bad = post(pages, f"/visits/{planned['id']}/cancel", {"version": "1", "cancel_reason": ""})
    assert bad.status_code == 422
    assert bad.text.index('href="#called_off_by"') < bad.text.index('href="#cancel_reason"')
    assert "Choose who called the visit off" in bad.text
    db.expire_all()
    assert db.get_one(MentorVisit, planned["id"]).status.value == "planned"
    assert audit_count(db) == events

    why = {"version": "1", "called_off_by": "school", "cancel_reason": "School trip to York"}
    done = post(pages, f"/visits/{planned['id']}/cancel", why)
    assert done.status_code == 303
    db.expire_all()
    stored = db.get_one(MentorVisit, planned["id"])
    assert (stored.status.value, stored.called_off_by, stored.cancel_reason) == (
        "cancelled",
        "school",
        "School trip to York",
    )
    week = pages.get(f"/mentor?date={day.isoformat()}&saved=cancelled").text
    assert "Visit cancelled" in week
    assert "Called off by the school: School trip to York" in week
    assert f'action="/visits/{planned["id"]}/restore"' in week

    undone = post(pages, f"/visits/{planned['id']}/restore", {"version": str(stored.version)})
    assert undone.status_code == 303
    assert "saved=restored" in undone.headers["location"]
    db.expire_all()
    again = db.get_one(MentorVisit, planned["id"])
    assert (again.status.value, again.called_off_by, again.cancel_reason) == ("planned", None, None)
    assert audit_count(db, "restore", "visit") == 1
    assert "Visit planned again" in pages.get(undone.headers["location"]).text

    # A stale page cannot undo twice.
    stale = post(pages, f"/visits/{planned['id']}/restore", {"version": str(stored.version)})
    assert stale.status_code == 409


def test_cancel_and_undo_through_the_api(db: Session, mentees: Mentees, clock: Clock) -> None:
    api = mentees.mentor_api
    day = mentees.today + dt.timedelta(days=3)
    planned = mentees.visit(mentees.amira_match, day, "15:00", "planned")
    url = f"/api/v1/visits/{planned['id']}"

    # Who and why belong to cancelling.
    wrong = api.patch(url, json={"version": 1, "cancel_reason": "Ill"})
    assert wrong.status_code == 422
    long = api.patch(url, json={"version": 1, "status": "cancelled", "cancel_reason": "x" * 201})
    assert long.status_code == 422
    cancelled = api.patch(
        url,
        json={
            "version": 1,
            "status": "cancelled",
            "called_off_by": "carer",
            "cancel_reason": "Ill",
        },
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["called_off_by"] == "carer"
    assert cancelled.json()["cancel_reason"] == "Ill"
    # Without a reason (earlier clients): still cancelled.
    other = mentees.visit(mentees.amira_match, day, "18:00", "planned")
    plain = api.patch(f"/api/v1/visits/{other['id']}", json={"status": "cancelled"})
    assert plain.status_code == 200
    assert plain.json()["cancel_reason"] is None

    assert api.post(f"{url}/restore", json={"version": 1}).status_code == 409  # stale
    assert api.post(f"{url}/restore", json={}).status_code == 422
    restored = api.post(f"{url}/restore", json={"version": 2})
    assert restored.status_code == 200, restored.text
    assert restored.json()["status"] == "planned"
    assert restored.json()["called_off_by"] is None
    assert api.post(f"{url}/restore", json={"version": 3}).status_code == 409  # not cancelled


def test_a_cancelled_visit_whose_time_has_passed_stays_cancelled(
    db: Session, people: People, signed: Signed, mentees: Mentees, clock: Clock
) -> None:
    with earlier_today(clock, 9):
        planned = mentees.visit(mentees.amira_match, mentees.today, "18:00", "planned")
        cancelled = mentees.mentor_api.patch(
            f"/api/v1/visits/{planned['id']}",
            json={"status": "cancelled", "called_off_by": "child", "cancel_reason": "Tired"},
        )
        assert cancelled.status_code == 200, cancelled.text
        week = signed.pages(people.mentor).get("/mentor").text
        assert f'action="/visits/{planned["id"]}/restore"' in week
    # It is 23:45 now: 18:00 has passed.
    week = signed.pages(people.mentor).get("/mentor").text
    assert "Called off by the young person: Tired" in week
    assert f'action="/visits/{planned["id"]}/restore"' not in week
    refused = mentees.mentor_api.post(
        f"/api/v1/visits/{planned['id']}/restore", json={"version": 2}
    )
    assert refused.status_code == 409
    assert "has passed" in refused.json()["detail"]
    db.expire_all()
    assert db.get_one(MentorVisit, planned["id"]).status.value == "cancelled"


def test_only_the_mentor_or_a_lead_may_undo(
    people: People, signed: Signed, mentees: Mentees
) -> None:
    day = mentees.today + dt.timedelta(days=2)
    planned = mentees.visit(mentees.amira_match, day, "15:00", "planned")
    mentees.mentor_api.patch(f"/api/v1/visits/{planned['id']}", json={"status": "cancelled"})
    url = f"/api/v1/visits/{planned['id']}/restore"
    assert signed.api(people.facilitator).post(url, json={"version": 2}).status_code == 403
    assert signed.api(people.other_admin).post(url, json={"version": 2}).status_code == 404
    assert mentees.lead_api.post(url, json={"version": 2}).status_code == 200


def test_the_record_form_sends_a_planned_visit_to_the_cancel_page(
    db: Session, people: People, signed: Signed, mentees: Mentees
) -> None:
    pages = signed.pages(people.mentor)
    day = mentees.today + dt.timedelta(days=2)
    planned = mentees.visit(mentees.amira_match, day, "15:00", "planned")
    page = pages.get(f"/visits/{planned['id']}").text
    assert f'href="/visits/{planned["id"]}/cancel"' in page
    form = visit_form(mentees, day, start_time="15:00", status="cancelled", version="1")
    response = post(pages, f"/visits/{planned['id']}", form)
    assert response.status_code == 422
    assert 'href="#status"' in response.text
    assert "it asks who called it off and why" in response.text
    db.expire_all()
    assert db.get_one(MentorVisit, planned["id"]).status.value == "planned"
