"""Changing a cohort through the API: from a date, facilitators handed over, a cover for one
session, archiving (issue 15, point 2). The suite's today is Wednesday 10 March 2027; the
Monday group's sessions still to come are on 15 and 22 March, 5 and 12 April."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar
from sqlmodel import Session, col, select

from app.audit.models import AuditEvent
from app.auth.models import Role, User
from app.cohorts.models import GroupSession, SessionStaffing, SessionStatus
from tests.support.people import People, Signed
from tests.support.rows import count_rows
from tests.support.sessions import full_record

pytestmark = pytest.mark.clock("2027-03-10T10:00")

TO_COME = ["2027-03-15", "2027-03-22", "2027-04-05", "2027-04-12"]


def sessions_of(api: TestClient, cohort_id: int) -> list[dict[str, Any]]:
    response = api.get(f"/api/v1/cohorts/{cohort_id}/sessions")
    assert response.status_code == 200, response.text
    body: list[dict[str, Any]] = response.json()
    return body


def last_event(db: Session, entity: str) -> AuditEvent:
    db.expire_all()
    event = db.exec(
        select(AuditEvent).where(AuditEvent.entity == entity).order_by(col(AuditEvent.id).desc())
    ).first()
    assert event is not None
    return event


@pytest.fixture
def newcomer(people: People) -> User:
    user = people.add(Role.facilitator, email="newcomer@org-a.example.org", name="Nia Newcomer")
    people.db.commit()
    return user


def test_time_venue_and_length_change_from_today_on(
    lead_api: TestClient, cohort: dict[str, Any], db: Session
) -> None:
    response = lead_api.patch(
        f"/api/v1/cohorts/{cohort['id']}",
        json={
            "version": 1,
            "name": "Monday club",
            "venue": "Youth centre",
            "start_time": "15:30",
            "duration_minutes": 60,
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["name"], body["venue"], body["start_time"], body["duration_minutes"]) == (
        "Monday club",
        "Youth centre",
        "15:30:00",
        60,
    )
    assert body["version"] == 2
    changed = [s for s in body["sessions"] if s["venue"] == "Youth centre"]
    assert [s["date"] for s in changed] == TO_COME
    assert all(
        (s["start_time"], s["end_time"], s["version"]) == ("15:30:00", "16:30:00", 2)
        for s in changed
    )
    earlier = [s for s in body["sessions"] if s["date"] < "2027-03-10"]
    assert len(earlier) == 26
    assert all(
        (s["venue"], s["start_time"], s["version"]) == ("Community hall", "16:00:00", 1)
        for s in earlier
    )
    event = last_event(db, "cohort")
    assert event.action == "change"
    assert event.changes["name"] == ["Monday group", "Monday club"]
    assert event.changes["venue"] == ["Community hall", "Youth centre"]
    assert event.changes["start_time"] == ["16:00:00", "15:30:00"]
    assert event.changes["duration_minutes"] == [90, 60]
    assert event.changes["from"] == [None, "2027-03-10"]
    assert "facilitator_ids" not in event.changes


def test_a_session_moved_on_its_own_keeps_what_the_change_leaves_alone(
    lead_api: TestClient, cohort: dict[str, Any]
) -> None:
    moved = by_date(lead_api, cohort["id"], "2027-03-22")
    response = lead_api.patch(
        f"/api/v1/sessions/{moved['id']}", json={"version": 1, "venue": "Room 2"}
    )
    assert response.status_code == 200, response.text
    changed = lead_api.patch(
        f"/api/v1/cohorts/{cohort['id']}", json={"version": 1, "start_time": "15:00"}
    )
    assert changed.status_code == 200, changed.text
    after = by_date(lead_api, cohort["id"], "2027-03-22")
    assert (after["venue"], after["start_time"], after["end_time"], after["version"]) == (
        "Room 2",
        "15:00:00",
        "16:30:00",
        3,
    )


def test_from_a_later_date_leaves_the_sessions_before_it(
    lead_api: TestClient, cohort: dict[str, Any]
) -> None:
    response = lead_api.patch(
        f"/api/v1/cohorts/{cohort['id']}",
        json={"version": 1, "venue": "Youth centre", "from": "2027-04-01"},
    )
    assert response.status_code == 200, response.text
    venues = {s["date"]: s["venue"] for s in response.json()["sessions"]}
    assert [venues[d] for d in TO_COME] == [
        "Community hall",
        "Community hall",
        "Youth centre",
        "Youth centre",
    ]


def test_a_stale_version_is_refused_and_nothing_changes(
    lead_api: TestClient, cohort: dict[str, Any]
) -> None:
    first = lead_api.patch(f"/api/v1/cohorts/{cohort['id']}", json={"version": 1, "name": "A"})
    assert first.status_code == 200, first.text
    stale = lead_api.patch(
        f"/api/v1/cohorts/{cohort['id']}", json={"version": 1, "venue": "Elsewhere"}
    )
    assert stale.status_code == 409
    assert stale.headers["content-type"] == "application/problem+json"
    assert stale.json()["current_version"] == 2
    after = lead_api.get(f"/api/v1/cohorts/{cohort['id']}").json()
    assert after["venue"] == "Community hall"
    assert {s["venue"] for s in after["sessions"]} == {"Community hall"}


def test_facilitators_change_from_a_date_and_the_record_stays_true(
    lead_api: TestClient,
    cohort: dict[str, Any],
    people: People,
    second_facilitator: User,
    newcomer: User,
    signed: Signed,
    db: Session,
) -> None:
    leaver, stayer = people.facilitator, second_facilitator
    response = lead_api.patch(
        f"/api/v1/cohorts/{cohort['id']}",
        json={"version": 1, "facilitator_ids": [newcomer.id, stayer.id], "from": "2027-03-20"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert {f["id"] for f in body["facilitators"]} == {newcomer.id, stayer.id}
    by_date = {s["date"]: set(s["facilitator_ids"]) for s in body["sessions"]}
    assert by_date["2026-09-07"] == {leaver.id, stayer.id}  # who ran it
    assert by_date["2027-03-15"] == {leaver.id, stayer.id}  # before the date: still theirs
    assert by_date["2027-03-22"] == by_date["2027-04-12"] == {newcomer.id, stayer.id}
    event = last_event(db, "cohort")
    assert event.changes["facilitator_ids"] == [
        sorted([leaver.id or 0, stayer.id or 0]),
        sorted([newcomer.id or 0, stayer.id or 0]),
    ]
    # The leaver no longer sees the cohort or its later sessions; the newcomer does.
    gone = signed.api(leaver)
    assert gone.get(f"/api/v1/cohorts/{cohort['id']}").status_code == 404
    assert cohort["id"] not in [c["id"] for c in gone.get("/api/v1/cohorts").json()]
    later = next(s for s in body["sessions"] if s["date"] == "2027-03-22")
    assert gone.get(f"/api/v1/sessions/{later['id']}").status_code == 404
    # ... but still opens the session they run before the date (15 March).
    theirs = next(s for s in body["sessions"] if s["date"] == "2027-03-15")
    assert gone.get(f"/api/v1/sessions/{theirs['id']}").status_code == 200
    joined = signed.api(newcomer)
    assert joined.get(f"/api/v1/cohorts/{cohort['id']}").status_code == 200
    assert joined.get(f"/api/v1/sessions/{later['id']}").status_code == 200


def test_a_mentor_as_facilitator_is_refused_naming_the_field(
    lead_api: TestClient, cohort: dict[str, Any], people: People, db: Session
) -> None:
    response = lead_api.patch(
        f"/api/v1/cohorts/{cohort['id']}",
        json={"version": 1, "facilitator_ids": [people.facilitator.id, people.mentor.id]},
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["loc"] for e in response.json()["errors"]] == [["body", "facilitator_ids"]]
    assert lead_api.get(f"/api/v1/cohorts/{cohort['id']}").json()["version"] == 1
    assert count_rows(db, SessionStaffing) == 0


@pytest.mark.parametrize(
    "body",
    [
        {"version": 1, "duration_minutes": 20},
        {"version": 1, "start_time": "25:00"},
        {"version": 1, "from": "2027-02-30"},
        {"version": 1, "facilitator_ids": [1]},
        {"version": 1, "colour": "red"},
        {"name": "No version"},
    ],
)
def test_bad_input_is_a_clear_422(
    lead_api: TestClient, cohort: dict[str, Any], body: dict[str, Any]
) -> None:
    response = lead_api.patch(f"/api/v1/cohorts/{cohort['id']}", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert lead_api.get(f"/api/v1/cohorts/{cohort['id']}").json()["version"] == 1


def test_a_venue_clash_is_named(
    lead_api: TestClient, cohort: dict[str, Any], people: People, newcomer: User
) -> None:
    other = people.add(Role.facilitator, email="fourth@org-a.example.org", name="Fola Fourth")
    people.db.commit()
    made = lead_api.post(
        "/api/v1/cohorts",
        json={
            "name": "Monday evening",
            "curriculum_id": cohort["curriculum_id"],
            "start_date": "2026-09-07",
            "start_time": "18:00",
            "duration_minutes": 90,
            "venue": "Library",
            "facilitator_ids": [newcomer.id, other.id],
        },
    )
    assert made.status_code == 201, made.text
    response = lead_api.patch(
        f"/api/v1/cohorts/{cohort['id']}",
        json={"version": 1, "venue": "library", "start_time": "17:00"},
    )
    assert response.status_code == 409, response.text
    detail = response.json()["detail"]
    assert "15 March 2027" in detail
    assert "the venue Library is booked for Monday evening (18:00-19:30" in detail
    taken = lead_api.patch(
        f"/api/v1/cohorts/{cohort['id']}",
        json={
            "version": 1,
            "start_time": "18:30",
            "facilitator_ids": [people.facilitator.id, other.id],
            "from": "2027-04-01",
        },
    )
    assert taken.status_code == 409, taken.text
    assert taken.json()["detail"].startswith(
        "Double booking: On 05 April 2027, Fola Fourth facilitates Monday evening (18:00-19:30"
    )
    after = lead_api.get(f"/api/v1/cohorts/{cohort['id']}").json()
    assert (after["venue"], after["start_time"], after["version"]) == (
        "Community hall",
        "16:00:00",
        1,
    )


# A cover for one session -------------------------------------------------------------------


def by_date(api: TestClient, cohort_id: int, day: str) -> dict[str, Any]:
    return next(s for s in sessions_of(api, cohort_id) if s["date"] == day)


def test_a_cover_runs_one_session_and_may_record_it(
    lead_api: TestClient,
    cohort: dict[str, Any],
    people: People,
    second_facilitator: User,
    newcomer: User,
    signed: Signed,
    db: Session,
) -> None:
    last_monday = by_date(lead_api, cohort["id"], "2027-03-08")
    response = lead_api.patch(
        f"/api/v1/sessions/{last_monday['id']}",
        json={"version": 1, "facilitator_ids": [newcomer.id, second_facilitator.id]},
    )
    assert response.status_code == 200, response.text
    assert set(response.json()["facilitator_ids"]) == {newcomer.id, second_facilitator.id}
    assert response.json()["version"] == 2
    event = last_event(db, "session")
    assert event.changes["facilitator_ids"] == [
        sorted([people.facilitator.id or 0, second_facilitator.id or 0]),
        sorted([newcomer.id or 0, second_facilitator.id or 0]),
    ]
    cover = signed.api(newcomer)
    detail = cover.get(f"/api/v1/sessions/{last_monday['id']}")
    assert detail.status_code == 200, detail.text
    recorded = cover.put(
        f"/api/v1/sessions/{last_monday['id']}/record",
        json=full_record(detail.json(), [newcomer.id], checklist={}),
    )
    assert recorded.status_code == 200, recorded.text
    # The session only: not the cohort, nor its other sessions.
    assert cover.get(f"/api/v1/cohorts/{cohort['id']}").status_code == 404
    other = by_date(lead_api, cohort["id"], "2027-03-01")
    assert cover.get(f"/api/v1/sessions/{other['id']}").status_code == 404
    # The cohort's own facilitators still see it; the rest of the cohort is theirs.
    assert (
        signed.api(people.facilitator).get(f"/api/v1/sessions/{last_monday['id']}").status_code
        == 200
    )
    next_one = by_date(lead_api, cohort["id"], "2027-03-15")
    assert set(next_one["facilitator_ids"]) == {people.facilitator.id, second_facilitator.id}


def test_the_cohorts_own_facilitators_undo_a_cover(
    lead_api: TestClient,
    cohort: dict[str, Any],
    people: People,
    second_facilitator: User,
    newcomer: User,
    db: Session,
) -> None:
    session = by_date(lead_api, cohort["id"], "2027-03-15")
    path = f"/api/v1/sessions/{session['id']}"
    covered = lead_api.patch(
        path, json={"version": 1, "facilitator_ids": [newcomer.id, people.facilitator.id]}
    )
    assert covered.status_code == 200, covered.text
    assert count_rows(db, SessionStaffing) == 2
    undone = lead_api.patch(
        path, json={"version": 2, "facilitator_ids": [second_facilitator.id, people.facilitator.id]}
    )
    assert undone.status_code == 200, undone.text
    assert count_rows(db, SessionStaffing) == 0
    stale = lead_api.patch(
        path, json={"version": 2, "facilitator_ids": [newcomer.id, people.facilitator.id]}
    )
    assert stale.status_code == 409


def test_a_cover_who_is_busy_elsewhere_is_named(
    lead_api: TestClient,
    cohort: dict[str, Any],
    people: People,
    second_facilitator: User,
    newcomer: User,
    db: Session,
) -> None:
    other = people.add(Role.facilitator, email="fourth@org-a.example.org", name="Fola Fourth")
    people.db.commit()
    made = lead_api.post(
        "/api/v1/cohorts",
        json={
            "name": "Monday library group",
            "curriculum_id": cohort["curriculum_id"],
            "start_date": "2026-09-07",
            "start_time": "17:00",
            "duration_minutes": 90,
            "venue": "Library",
            "facilitator_ids": [newcomer.id, other.id],
        },
    )
    assert made.status_code == 201, made.text
    session = by_date(lead_api, cohort["id"], "2027-03-15")
    response = lead_api.patch(
        f"/api/v1/sessions/{session['id']}",
        json={"version": 1, "facilitator_ids": [newcomer.id, second_facilitator.id]},
    )
    assert response.status_code == 409, response.text
    assert response.json()["detail"] == (
        "Double booking: On 15 March 2027, Nia Newcomer facilitates Monday library group "
        f"(17:00-18:30, session {by_date(lead_api, made.json()['id'], '2027-03-15')['id']})."
    )
    assert count_rows(db, SessionStaffing) == 0


def test_a_mentor_cannot_cover(
    lead_api: TestClient, cohort: dict[str, Any], people: People, db: Session
) -> None:
    session = by_date(lead_api, cohort["id"], "2027-03-15")
    response = lead_api.patch(
        f"/api/v1/sessions/{session['id']}",
        json={"version": 1, "facilitator_ids": [people.facilitator.id, people.mentor.id]},
    )
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["errors"]] == [["body", "facilitator_ids"]]
    assert by_date(lead_api, cohort["id"], "2027-03-15")["version"] == 1


# Archiving -----------------------------------------------------------------------------------


def test_a_running_cohort_cannot_be_archived(
    lead_api: TestClient, cohort: dict[str, Any], db: Session
) -> None:
    response = lead_api.post(f"/api/v1/cohorts/{cohort['id']}/archive")
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == (
        "Monday group still has 4 sessions to run, the next on 15 March 2027: archive it once "
        "its last session is past, or cancel the sessions left first."
    )
    assert lead_api.get(f"/api/v1/cohorts/{cohort['id']}").json()["archived_at"] is None


def cancel_what_is_left(db: Session, cohort_id: int) -> None:
    """Every session still to come cancelled (as a lead winding a cohort up leaves it)."""
    for session in db.exec(
        select(GroupSession).where(
            GroupSession.cohort_id == cohort_id, col(GroupSession.date) >= dt.date(2027, 3, 10)
        )
    ).all():
        session.status = SessionStatus.cancelled
        session.cancel_reason = "The group ended early"
        db.add(session)
    db.commit()


def test_an_archived_cohort_leaves_the_lists_and_keeps_its_figures(
    lead_api: TestClient, cohort: dict[str, Any], people: People, signed: Signed, db: Session
) -> None:
    cancel_what_is_left(db, cohort["id"])
    path = f"/api/v1/cohorts/{cohort['id']}"
    assert lead_api.post(f"{path}/archive", json={"version": 2}).status_code == 409  # stale
    response = lead_api.post(f"{path}/archive", json={"version": 1})
    assert response.status_code == 200, response.text
    assert response.json()["archived_at"] is not None
    assert response.json()["version"] == 2
    assert last_event(db, "cohort").action == "archive"
    for api in (lead_api, signed.api(people.facilitator)):
        assert cohort["id"] not in [c["id"] for c in api.get("/api/v1/cohorts").json()]
        archived = api.get("/api/v1/cohorts", params={"archived": "true"}).json()
        assert [c["id"] for c in archived] == [cohort["id"]]
        assert api.get(path).status_code == 200
    figures = lead_api.get("/api/v1/fidelity", params={"as_of": "2027-03-10"}).json()
    assert cohort["id"] in [c["id"] for c in figures["cohorts"]]
    again = lead_api.post(f"{path}/archive")
    assert again.status_code == 409
    changed = lead_api.patch(path, json={"version": 2, "name": "Renamed"})
    assert changed.status_code == 409
    assert "archived" in changed.json()["detail"]


@pytest.mark.clock("2027-05-31T10:00")
def test_a_cohort_whose_last_session_is_past_can_be_archived(
    lead_api: TestClient, cohort: dict[str, Any]
) -> None:
    response = lead_api.post(f"/api/v1/cohorts/{cohort['id']}/archive", json={})
    assert response.status_code == 200, response.text


def test_only_a_lead_archives(
    signed: Signed, people: People, cohort: dict[str, Any], db: Session
) -> None:
    cancel_what_is_left(db, cohort["id"])
    response = signed.api(people.facilitator).post(f"/api/v1/cohorts/{cohort['id']}/archive")
    assert response.status_code == 403


# Calendars and the facilitator's home follow who runs each session ---------------------------


def feed_uids(api: TestClient) -> set[str]:
    url = api.get("/api/v1/me/calendar").json()["url"]
    response = api.get(url.split("testserver", 1)[1])
    assert response.status_code == 200, response.text
    return {str(e["uid"]) for e in Calendar.from_ical(response.content).walk("VEVENT")}


def test_calendars_and_home_follow_covers_and_hand_overs(
    lead_api: TestClient,
    cohort: dict[str, Any],
    people: People,
    second_facilitator: User,
    newcomer: User,
    signed: Signed,
) -> None:
    covered = by_date(lead_api, cohort["id"], "2027-03-08")
    response = lead_api.patch(
        f"/api/v1/sessions/{covered['id']}",
        json={"version": 1, "facilitator_ids": [newcomer.id, second_facilitator.id]},
    )
    assert response.status_code == 200, response.text
    handed = lead_api.patch(
        f"/api/v1/cohorts/{cohort['id']}",
        json={"version": 1, "facilitator_ids": [newcomer.id, second_facilitator.id]},
    )
    assert handed.status_code == 200, handed.text
    uid = "group-session-{}@tandem".format
    sessions = handed.json()["sessions"]
    before = [s["id"] for s in sessions if s["date"] < "2027-03-10" and s["id"] != covered["id"]]
    after = [s["id"] for s in sessions if s["date"] >= "2027-03-10"]
    leaver = feed_uids(signed.api(people.facilitator))
    assert {uid(i) for i in before} <= leaver  # the sessions they ran
    assert not {uid(i) for i in after} & leaver  # none after they left
    assert uid(covered["id"]) not in leaver  # nor the one someone covered
    joined = feed_uids(signed.api(newcomer))
    assert {uid(i) for i in after} | {uid(covered["id"])} <= joined
    assert not {uid(i) for i in before} & joined
    # Their home page lists the session they covered (the last fortnight and today).
    home = signed.pages(newcomer).get("/")
    assert home.status_code == 200
    assert f'href="/sessions/{covered["id"]}"' in home.text
    assert f'href="/sessions/{covered["id"]}"' not in signed.pages(people.facilitator).get("/").text


def test_a_closure_leaves_an_archived_cohorts_sessions_alone(
    lead_api: TestClient, cohort: dict[str, Any], db: Session
) -> None:
    # A session left unrecorded last week, then the cohort wound up and archived.
    unrecorded = by_date(lead_api, cohort["id"], "2027-03-08")
    cancel_what_is_left(db, cohort["id"])
    assert lead_api.post(f"/api/v1/cohorts/{cohort['id']}/archive").status_code == 200
    closure = lead_api.post(
        "/api/v1/closures", json={"date": "2027-03-08", "reason": "Found out later"}
    )
    assert closure.status_code == 201, closure.text
    assert closure.json()["cancelled_sessions"] == 0
    after = by_date(lead_api, cohort["id"], "2027-03-08")
    assert (after["status"], after["version"]) == ("scheduled", unrecorded["version"])
    assert len(sessions_of(lead_api, cohort["id"])) == 30


def test_someone_who_still_runs_sessions_cannot_be_deactivated(
    lead_api: TestClient,
    admin_api: TestClient,
    cohort: dict[str, Any],
    people: People,
    second_facilitator: User,
    newcomer: User,
    db: Session,
) -> None:
    """A cover for a session to come, and a facilitator handed over from a later date, still
    run sessions: deactivating them is refused, naming the cohort, as for its own
    facilitators; once the sessions are others', it goes through."""
    coming = by_date(lead_api, cohort["id"], "2027-03-22")
    covered = lead_api.patch(
        f"/api/v1/sessions/{coming['id']}",
        json={"version": 1, "facilitator_ids": [newcomer.id, second_facilitator.id]},
    )
    assert covered.status_code == 200, covered.text
    refused = admin_api.patch(f"/api/v1/users/{newcomer.id}", json={"active": False})
    assert refused.status_code == 409, refused.text
    assert "Monday group (1 session to come)" in refused.json()["detail"]

    # Handed over from 5 April: the leaver still runs 15 March (22 March is the cover's).
    leaver = people.facilitator
    handed = lead_api.patch(
        f"/api/v1/cohorts/{cohort['id']}",
        json={
            "version": 1,
            "facilitator_ids": [newcomer.id, second_facilitator.id],
            "from": "2027-04-05",
        },
    )
    assert handed.status_code == 200, handed.text
    still = admin_api.patch(f"/api/v1/users/{leaver.id}", json={"active": False})
    assert still.status_code == 409, still.text
    assert "Monday group (1 session to come)" in still.json()["detail"]
    db.expire_all()
    assert db.get_one(User, leaver.id).active

    # The newcomer now runs the cohort from 5 April too: three sessions to come.
    more = admin_api.patch(f"/api/v1/users/{newcomer.id}", json={"active": False})
    assert more.status_code == 409
    assert "Monday group (3 sessions to come)" in more.json()["detail"]


def test_a_change_that_changes_nothing_keeps_the_version_and_writes_no_event(
    lead_api: TestClient, cohort: dict[str, Any], db: Session
) -> None:
    before = count_rows(db, AuditEvent)
    same = {"version": 1, "name": cohort["name"], "venue": cohort["venue"]}
    response = lead_api.patch(f"/api/v1/cohorts/{cohort['id']}", json=same)
    assert response.status_code == 200, response.text
    assert response.json()["version"] == 1
    assert count_rows(db, AuditEvent) == before
    # A stale page is still told so, even with nothing to change.
    stale = lead_api.patch(f"/api/v1/cohorts/{cohort['id']}", json={**same, "version": 7})
    assert stale.status_code == 409
    assert stale.json()["current_version"] == 1
