"""Each kind of flag of DESIGN.md ("Fidelity"): it appears with the link to the place to act,
disappears once acted on, and does not appear where it should not."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import Session, SQLModel, col

from app.auth.models import Role
from app.cohorts.models import Enrolment, GroupSession
from app.fidelity import service, summary
from app.mentoring.models import MentorProfile, MentorVisit
from app.sessions.models import Attendance, PracticeAssignment
from tests.support.builder import Builder
from tests.support.clock import Clock
from tests.support.people import People
from tests.support.rows import table

START = dt.date(2026, 9, 7)  # a Monday


def day(n: int) -> dt.date:
    return START + dt.timedelta(days=n)


def raised(db: Session, people: People, as_of: dt.date, kind: str) -> list[dict[str, Any]]:
    report = summary.fidelity(db, actor=people.lead, as_of=as_of)
    return [f.model_dump(exclude_none=True) for f in report.flags if f.kind == kind]


def change(db: Session, model: type[SQLModel], row_id: Any, **values: Any) -> None:
    rows = table(model)
    key = rows.c.id if "id" in rows.c else rows.c.user_id
    db.execute(update(rows).where(key == row_id).values(**values))
    db.flush()


@pytest.fixture
def group(build: Builder, people: People) -> int:
    return build.cohort(START, name="Monday group", facilitators=[people.facilitator.id or 0])


def test_a_session_not_recorded_two_days_after(
    build: Builder, people: People, db: Session, group: int
) -> None:
    session = build.session(group, 1, START)
    build.session(group, 2, day(-7), "cancelled")  # a cancelled one is never "not recorded"
    # Two days after its date: not yet.
    assert raised(db, people, day(2), "session_not_recorded") == []
    (flag,) = raised(db, people, day(3), "session_not_recorded")
    assert flag["href"] == f"/sessions/{session}"
    assert flag["session_id"] == session
    assert flag["cohort_id"] == group
    assert "not recorded" in flag["message"]
    change(db, GroupSession, session, status="delivered")
    assert raised(db, people, day(3), "session_not_recorded") == []


@pytest.mark.awkward_days
def test_flags_are_as_of_today_in_london_by_default(
    build: Builder, people: People, db: Session, lead_api: TestClient, clock: Clock
) -> None:
    """Without as_of, the flags are those of the organisation's today (Europe/London), on
    every awkward day: a session three days ago is overdue, one two days ago not yet."""
    today = clock.today
    group = build.cohort(today - dt.timedelta(weeks=4), facilitators=[people.facilitator.id or 0])
    late = build.session(group, 1, today - dt.timedelta(days=3))
    build.session(group, 2, today - dt.timedelta(days=2))
    build.session(group, 3, today)
    db.commit()
    body = lead_api.get("/api/v1/fidelity").json()
    assert body["as_of"] == today.isoformat()
    overdue = [f for f in body["flags"] if f["kind"] == "session_not_recorded"]
    assert [f["session_id"] for f in overdue] == [late]
    without_nulls = [{k: v for k, v in f.items() if v is not None} for f in overdue]
    assert without_nulls == raised(db, people, today, "session_not_recorded")


def _sessions(build: Builder, cohort: int, n: int) -> list[int]:
    return [build.session(cohort, w + 1, day(7 * w), "delivered") for w in range(n)]


def test_a_child_absent_from_two_sessions_in_a_row(
    build: Builder, people: People, db: Session, group: int
) -> None:
    child, other = build.child(), build.child()
    build.enrol(child, group, START)
    build.enrol(other, group, START)
    s1, s2, s3, s4 = _sessions(build, group, 4)
    build.attendance(
        [
            (s1, child, "present"),
            (s2, child, "absent"),
            (s3, child, "excused"),  # missed, as the service documents ("absent or excused")
            # Not in a row: absent, present, absent.
            (s1, other, "absent"),
            (s2, other, "present"),
            (s3, other, "absent"),
        ]
    )
    (flag,) = raised(db, people, day(14), "absent_twice")
    assert flag["child_id"] == child
    assert flag["cohort_id"] == group
    assert flag["href"] == f"/fidelity/children/{child}"
    # Back at the next session: resolved.
    build.attendance([(s4, child, "late"), (s4, other, "present")])
    assert raised(db, people, day(21), "absent_twice") == []
    # As of before that session the flag was there; correcting the register clears it too.
    db.execute(
        update(table(Attendance))
        .where(col(Attendance.session_id) == s3, col(Attendance.child_id) == child)
        .values(status="present")
    )
    assert raised(db, people, day(14), "absent_twice") == []


def test_a_child_below_the_dosage_threshold(
    build: Builder, people: People, db: Session, group: int
) -> None:
    child, newcomer = build.child(), build.child()
    build.enrol(child, group, START)
    build.enrol(newcomer, group, day(7))  # three lessons only: not yet judged
    sessions = _sessions(build, group, 4)
    build.attendance(
        [(s, child, "present" if i < 2 else "absent") for i, s in enumerate(sessions)]
        + [(s, newcomer, "absent") for s in sessions[1:]]
    )
    (flag,) = raised(db, people, day(21), "below_threshold")
    assert flag["child_id"] == child
    assert flag["cohort_id"] == group
    assert flag["href"] == f"/fidelity/children/{child}"
    assert "2 of 4" in flag["message"]
    # 3 of 4 is 0.75, the threshold itself: not below it.
    db.execute(
        update(table(Attendance))
        .where(col(Attendance.session_id) == sessions[2], col(Attendance.child_id) == child)
        .values(status="present")
    )
    assert raised(db, people, day(21), "below_threshold") == []


def test_a_match_with_no_completed_visit_for_two_full_weeks(
    build: Builder, people: People, db: Session
) -> None:
    mentor = people.mentor.id or 0
    child, newcomer = build.child(), build.child()
    match = build.match(child, mentor, START)
    build.match(newcomer, mentor, day(14))  # started a week before the first of the two
    as_of = day(23)  # Wednesday of the week of 28 Sep; the two full weeks: 14 and 21 Sep
    base = {"match_id": match, "mentor_id": mentor, "child_id": child, "minutes": 60}
    build.visits(
        [
            {**base, "date": day(6), "status": "completed"},  # the Sunday before them
            {**base, "date": day(15), "status": "planned"},  # planned is not a visit
            {**base, "date": day(16), "status": "missed"},
        ]
    )
    (flag,) = raised(db, people, as_of, "no_visit_two_weeks")
    assert flag["href"] == f"/matches/{match}"
    assert flag["child_id"] == child
    assert flag["mentor_id"] == mentor
    build.visits([{**base, "date": day(20), "status": "completed"}])
    assert raised(db, people, as_of, "no_visit_two_weeks") == []


def test_a_mentor_whose_dbs_check_runs_out(build: Builder, people: People, db: Session) -> None:
    as_of = dt.date(2026, 9, 30)
    mentor = people.mentor.id or 0
    gone = build.user(Role.mentor, "gone-mentor").id or 0
    fine = build.user(Role.mentor, "fine-mentor").id or 0
    build.profile(mentor, dt.date(2023, 10, 29))  # runs out on 29 Oct 2026: within 60 days
    build.profile(gone, dt.date(2023, 9, 30))  # ran out on as_of itself
    build.profile(fine, dt.date(2023, 12, 1))  # runs out 1 Dec 2026: 62 days away
    flags = {f["mentor_id"]: f for f in raised(db, people, as_of, "dbs_expiring")}
    assert set(flags) == {mentor, gone}
    assert flags[mentor]["href"] == f"/mentors/{mentor}"
    assert "within 60 days" in flags[mentor]["message"]
    assert "has run out" in flags[gone]["message"]
    change(db, MentorProfile, mentor, dbs_checked_on=dt.date(2026, 9, 1))
    change(db, MentorProfile, gone, dbs_checked_on=dt.date(2026, 9, 1))
    assert raised(db, people, as_of, "dbs_expiring") == []


def test_a_cohort_with_fewer_than_8_active_children(
    build: Builder, people: People, db: Session, group: int
) -> None:
    build.session(group, 1, day(14))  # still running on as_of
    finished = build.cohort(START, name="Finished group")
    build.session(finished, 1, day(0), "delivered")  # over: not flagged, however small
    children = [build.child() for _ in range(8)]
    for child in children[:7]:
        build.enrol(child, group, START)
    withdrawn = build.child()
    build.enrol(withdrawn, group, START, day(3), withdrawn=True)  # not active
    (flag,) = raised(db, people, day(7), "small_cohort")
    assert flag["cohort_id"] == group
    assert flag["href"] == f"/cohorts/{group}"
    assert "7 children" in flag["message"]
    build.enrol(children[7], group, day(7))
    assert raised(db, people, day(7), "small_cohort") == []
    # Withdrawing one again (dated by as_of) brings it back.
    db.execute(
        update(table(Enrolment))
        .where(col(Enrolment.child_id) == children[0])
        .values(status="withdrawn", end_date=day(5))
    )
    assert [f["cohort_id"] for f in raised(db, people, day(7), "small_cohort")] == [group]


def test_a_delivered_session_with_fewer_than_two_facilitators(
    build: Builder, people: People, db: Session, group: int
) -> None:
    session = build.session(group, 1, START, "delivered")
    build.session(group, 2, day(7))  # scheduled: nobody recorded yet, not this flag
    build.present(session, [people.facilitator.id or 0])
    (flag,) = raised(db, people, day(8), "one_facilitator")
    assert flag["session_id"] == session
    assert flag["cohort_id"] == group
    assert flag["href"] == f"/sessions/{session}"
    second = build.user(Role.facilitator, "second-facilitator").id or 0
    build.present(session, [second])
    assert raised(db, people, day(8), "one_facilitator") == []


def test_unassigned_practice_tasks(build: Builder, people: People, db: Session, group: int) -> None:
    child, done, left = build.child(), build.child(), build.child()
    for each in (child, done):
        build.enrol(each, group, START)
    build.enrol(left, group, START, day(1), withdrawn=True)  # left: needs no mentor now
    session = build.session(group, 1, START, "delivered")
    task = build.lessons[1].tasks[0]
    build.assignments(
        [
            (session, child, task, "open", None),
            (session, done, task, "completed", None),  # completed: nothing to act on
            (session, left, task, "open", None),
        ]
    )
    (flag,) = raised(db, people, day(1), "unassigned_practice")
    assert flag["child_id"] == child
    assert flag["cohort_id"] == group
    assert flag["href"] == f"/children/{child}/match"
    db.execute(
        update(table(PracticeAssignment))
        .where(col(PracticeAssignment.child_id) == child)
        .values(mentor_id=people.mentor.id)
    )
    assert raised(db, people, day(1), "unassigned_practice") == []


def test_a_visit_with_a_safeguarding_concern(build: Builder, people: People, db: Session) -> None:
    mentor = people.mentor.id or 0
    child = build.child()
    match = build.match(child, mentor, START)
    base = {"match_id": match, "mentor_id": mentor, "child_id": child, "minutes": 60}
    build.visits([{**base, "date": day(1), "status": "completed"}])  # no concern
    concern = build.visit(**base, date=day(8), status="completed", safeguarding_concern=True)
    assert raised(db, people, day(7), "safeguarding_concern") == []  # not yet happened
    (flag,) = raised(db, people, day(9), "safeguarding_concern")
    assert flag["href"] == f"/visits/{concern}#concern-review"  # the visit's review form
    assert flag["child_id"] == child
    change(
        db,
        MentorVisit,
        concern,
        concern_reviewed_at=dt.datetime(2026, 9, 16, tzinfo=dt.UTC),
        concern_reviewed_by=people.lead.id,
    )
    assert raised(db, people, day(9), "safeguarding_concern") == []


def test_flags_in_the_api_carry_their_links(
    build: Builder, people: People, db: Session, group: int, lead_api: TestClient
) -> None:
    session = build.session(group, 1, START)
    build.session(group, 2, day(21))  # still running on 20 Sep
    db.commit()
    body = lead_api.get("/api/v1/fidelity", params={"as_of": "2026-09-20"}).json()
    kinds = {f["kind"]: f for f in body["flags"]}
    assert kinds["session_not_recorded"]["href"] == f"/sessions/{session}"
    assert kinds["session_not_recorded"]["session_id"] == session
    assert kinds["small_cohort"]["href"] == f"/cohorts/{group}"
    # A facilitator sees their cohorts' flags, but not the organisation's DBS checks.
    build.profile(people.mentor.id or 0, dt.date(2020, 1, 1))
    db.commit()
    lead = summary.fidelity(db, actor=people.lead, as_of=dt.date(2026, 9, 20))
    facilitator = summary.fidelity(db, actor=people.facilitator, as_of=dt.date(2026, 9, 20))
    assert "dbs_expiring" in {f.kind for f in lead.flags}
    assert "dbs_expiring" not in {f.kind for f in facilitator.flags}
    assert "session_not_recorded" in {f.kind for f in facilitator.flags}


def test_a_child_who_has_left_raises_no_dosage_flag(
    build: Builder, people: People, db: Session, group: int
) -> None:
    """Their dosage is still reported (below_threshold stays true in the figures), but
    there is nothing for a lead to act on once the child has been withdrawn."""
    child = build.child()
    build.enrol(child, group, START, day(22), withdrawn=True)
    sessions = _sessions(build, group, 4)
    build.attendance([(s, child, "absent") for s in sessions])
    assert len(raised(db, people, day(21), "below_threshold")) == 1  # still enrolled then
    assert raised(db, people, day(23), "below_threshold") == []
    scope = service.scope_for(db, actor=people.lead, as_of=day(23))
    (figures,) = service.child_dosage(db, scope)
    assert figures.below_threshold
    assert figures.withdrawn
