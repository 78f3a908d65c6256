"""Scheduled reminders (app/notify/reminders.py): each due in the organisation's own time
zone, to the right people, once per (kind, object, day), naming no child, in a fixed number
of statements. Today is Wednesday 10 March 2027 in London (the suite's instant)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert
from sqlmodel import Session

from app.auth.models import Role, User
from app.cohorts.models import SessionStaffing
from app.mail.service import link
from app.mentoring.models import MentorVisit
from app.notify.reminders import run_due
from app.sessions.models import SessionRecord
from tests.notify.conftest import CHILD, assert_no_child_named, at, outbox
from tests.support.builder import NOW, Builder
from tests.support.people import People
from tests.support.queries import CountQueries

WEDNESDAY = dt.date(2027, 3, 10)
TUESDAY = WEDNESDAY - dt.timedelta(days=1)
THURSDAY = WEDNESDAY + dt.timedelta(days=1)


def _turn_off(db: Session, user: User, kind: str) -> None:
    user.notification_email = {**user.notification_email, kind: False}
    db.add(user)
    db.flush()


def _retire(db: Session, user: User) -> None:
    user.active = False
    db.add(user)
    db.flush()


# Session not recorded ---------------------------------------------------------------------


@pytest.fixture
def cohort(build: Builder, people: People) -> int:
    return build.cohort(
        WEDNESDAY - dt.timedelta(weeks=4), name="Monday group", facilitators=[people.facilitator.id]
    )


def test_the_morning_after_a_session_without_a_register_its_facilitator_hears(
    db: Session, build: Builder, people: People, cohort: int
) -> None:
    session = build.session(cohort, 3, TUESDAY)
    child = build.child(first_name=CHILD)
    build.enrol(child, cohort, TUESDAY - dt.timedelta(weeks=3))
    assert run_due(db, at(WEDNESDAY, 7, 59)) == 0
    assert run_due(db, at(WEDNESDAY, 8, 0)) == 1
    (message,) = outbox(db, "session_not_recorded")
    assert (message.user_id, message.to_address) == (
        people.facilitator.id,
        people.facilitator.email,
    )
    assert message.subject == "Register not recorded: Monday group, 9 March 2027"
    assert f"{link(f'/sessions/{session}')}\n" in message.body_text
    assert "(week 3)" in message.body_text
    assert message.dedupe_key == (
        f"session_not_recorded:session:{session}:2027-03-09:user:{people.facilitator.id}"
    )
    assert_no_child_named(db)
    # Once: the next run, and the next day's, find it queued.
    assert run_due(db, at(WEDNESDAY, 8, 5)) == 0
    assert run_due(db, at(THURSDAY, 8, 5)) == 0
    assert len(outbox(db)) == 1


def test_a_recorded_delivered_or_cancelled_session_is_no_reminder(
    db: Session, build: Builder, people: People, cohort: int
) -> None:
    recorded = build.session(cohort, 1, TUESDAY)
    db.execute(
        insert(SessionRecord.__table__).values(  # type: ignore[attr-defined]
            session_id=recorded,
            org_id=build.org_id,
            checklist={},
            recorded_by=people.facilitator.id,
            recorded_at=NOW,
            updated_at=NOW,
        )
    )
    build.session(cohort, 2, TUESDAY - dt.timedelta(days=1), status="delivered")
    build.session(cohort, 3, TUESDAY - dt.timedelta(days=2), status="cancelled")
    build.session(cohort, 4, WEDNESDAY)  # today's: not yet due
    assert run_due(db, at(WEDNESDAY, 12)) == 0


def test_only_sessions_of_the_last_seven_days(db: Session, build: Builder, cohort: int) -> None:
    week_old = build.session(cohort, 1, WEDNESDAY - dt.timedelta(days=7))
    build.session(cohort, 2, WEDNESDAY - dt.timedelta(days=8))
    assert run_due(db, at(WEDNESDAY, 12)) == 1
    assert f"session:{week_old}:" in (outbox(db)[0].dedupe_key or "")


def test_those_named_for_a_session_hear_instead_of_the_cohorts_facilitators(
    db: Session, build: Builder, people: People, cohort: int
) -> None:
    cover = build.user(Role.facilitator, "cover")
    session = build.session(cohort, 1, TUESDAY)
    db.execute(
        insert(SessionStaffing.__table__).values(  # type: ignore[attr-defined]
            session_id=session, user_id=cover.id, org_id=build.org_id
        )
    )
    assert run_due(db, at(WEDNESDAY, 9)) == 1
    assert [m.user_id for m in outbox(db)] == [cover.id]


def test_every_facilitator_of_the_cohort_hears_but_not_one_who_said_no_or_left(
    db: Session, build: Builder, people: People
) -> None:
    second = build.user(Role.facilitator, "second")
    third = build.user(Role.facilitator, "third")
    fourth = build.user(Role.facilitator, "fourth")
    cohort = build.cohort(
        WEDNESDAY - dt.timedelta(weeks=4),
        facilitators=[people.facilitator.id, second.id, third.id, fourth.id],
    )
    build.session(cohort, 1, TUESDAY)
    _turn_off(db, third, "session_not_recorded")
    _retire(db, fourth)
    assert run_due(db, at(WEDNESDAY, 9)) == 2
    assert sorted(m.user_id or 0 for m in outbox(db)) == sorted(
        [people.facilitator.id or 0, second.id or 0]
    )


def test_the_morning_after_is_local_on_the_weekend_the_clocks_go_forward(
    db: Session, build: Builder, cohort: int
) -> None:
    saturday, sunday = dt.date(2027, 3, 27), dt.date(2027, 3, 28)
    build.session(cohort, 1, saturday)
    # 08:00 BST on Sunday 28 March is 07:00 UTC (the clocks went forward at 01:00 UTC).
    assert run_due(db, dt.datetime(2027, 3, 28, 6, 59, tzinfo=dt.UTC)) == 0
    assert run_due(db, dt.datetime(2027, 3, 28, 7, 0, tzinfo=dt.UTC)) == 1
    assert at(sunday, 8).astimezone(dt.UTC).hour == 7


def test_an_organisation_elsewhere_is_reminded_at_its_own_eight_oclock(
    db: Session, build: Builder, people: People, cohort: int
) -> None:
    people.org.timezone = "America/New_York"
    db.add(people.org)
    db.flush()
    build.session(cohort, 1, TUESDAY)
    new_york = ZoneInfo("America/New_York")
    eight = dt.datetime(2027, 3, 10, 8, 0, tzinfo=new_york)
    # 08:00 in London has passed long before; it is 03:00 in New York.
    assert run_due(db, at(WEDNESDAY, 8, 0)) == 0
    assert run_due(db, eight - dt.timedelta(minutes=1)) == 0
    assert run_due(db, eight) == 1


def test_a_fixed_number_of_statements_with_1_or_50_sessions(
    db: Session, build: Builder, people: People, count_queries: CountQueries
) -> None:
    cohort = build.cohort(WEDNESDAY - dt.timedelta(weeks=4), facilitators=[people.facilitator.id])
    build.session(cohort, 1, TUESDAY)
    with count_queries() as one:
        assert run_due(db, at(WEDNESDAY, 10)) == 1
    for n in range(49):
        other = build.cohort(
            WEDNESDAY - dt.timedelta(weeks=4), facilitators=[people.facilitator.id]
        )
        build.session(other, 1, WEDNESDAY - dt.timedelta(days=1 + n % 7))
    with count_queries() as fifty:
        assert run_due(db, at(WEDNESDAY, 10)) == 49
    assert one.count == fifty.count, (one.statements, fifty.statements)
    assert len(outbox(db, "session_not_recorded")) == 50
    with count_queries() as again:
        assert run_due(db, at(WEDNESDAY, 10)) == 0
    assert again.count <= fifty.count


# Visit reminders ------------------------------------------------------------------------


@pytest.fixture
def match(build: Builder, people: People) -> tuple[int, int]:
    """(match id, child id): Zebedee-Unique, mentored by people.mentor."""
    child = build.child(first_name=CHILD, reference="REF-ZU")
    return build.match(child, people.mentor.id or 0, WEDNESDAY - dt.timedelta(weeks=8)), child


def _visit(
    build: Builder, people: People, match: tuple[int, int], day: dt.date, **row: object
) -> int:
    return build.visit(
        match_id=match[0],
        mentor_id=people.mentor.id,
        child_id=match[1],
        date=day,
        start_time=dt.time(15, 30),
        minutes=60,
        status=row.pop("status", "planned"),
        **row,
    )


def test_the_day_before_a_visit_its_mentor_is_reminded_from_nine(
    db: Session, build: Builder, people: People, match: tuple[int, int]
) -> None:
    visit = _visit(build, people, match, THURSDAY)
    _visit(build, people, match, THURSDAY + dt.timedelta(days=1))  # the day after: not yet
    assert run_due(db, at(WEDNESDAY, 8, 59)) == 0
    assert run_due(db, at(WEDNESDAY, 9, 0)) == 1
    (message,) = outbox(db, "visit_reminder")
    assert message.user_id == people.mentor.id
    assert message.subject == "Reminder: your visit tomorrow, Thursday 11 March 2027"
    assert "with your mentee (REF-ZU) tomorrow, 11 March 2027, at 3:30pm" in message.body_text
    assert f"{link(f'/visits/{visit}')}\n" in message.body_text
    assert_no_child_named(db)
    assert run_due(db, at(WEDNESDAY, 21)) == 0


def test_no_reminder_for_a_cancelled_or_completed_visit_or_an_ended_match(
    db: Session, build: Builder, people: People, match: tuple[int, int]
) -> None:
    _visit(build, people, match, THURSDAY, status="cancelled")
    _visit(build, people, match, THURSDAY, status="completed")
    other_child = build.child()
    ended = build.match(
        other_child, people.mentor.id or 0, WEDNESDAY - dt.timedelta(weeks=8), WEDNESDAY
    )
    _visit(build, people, (ended, other_child), THURSDAY)
    assert run_due(db, at(WEDNESDAY, 10)) == 0


def test_a_moved_visit_is_reminded_again_for_its_new_day(
    db: Session, build: Builder, people: People, match: tuple[int, int]
) -> None:
    visit_id = _visit(build, people, match, THURSDAY)
    assert run_due(db, at(WEDNESDAY, 10)) == 1
    visit = db.get(MentorVisit, visit_id)
    assert visit is not None
    visit.date = THURSDAY + dt.timedelta(days=1)
    db.add(visit)
    db.flush()
    assert run_due(db, at(THURSDAY, 10)) == 1
    assert [m.dedupe_key for m in outbox(db, "visit_reminder")] == [
        f"visit_reminder:visit:{visit_id}:2027-03-11:user:{people.mentor.id}",
        f"visit_reminder:visit:{visit_id}:2027-03-12:user:{people.mentor.id}",
    ]


def test_a_mentor_who_said_no_or_left_gets_no_visit_reminder(
    db: Session, build: Builder, people: People, match: tuple[int, int]
) -> None:
    _visit(build, people, match, THURSDAY)
    _turn_off(db, people.mentor, "visit_reminder")
    assert run_due(db, at(WEDNESDAY, 10)) == 0
    people.mentor.notification_email = {}
    _retire(db, people.mentor)
    assert run_due(db, at(WEDNESDAY, 10)) == 0
    people.mentor.active = True
    db.add(people.mentor)
    db.flush()
    assert run_due(db, at(WEDNESDAY, 10)) == 1


# DBS checks running out ----------------------------------------------------------------------


def test_a_dbs_check_60_and_14_days_before_it_runs_out(
    db: Session, build: Builder, people: People
) -> None:
    mentor = build.user(Role.mentor, "dbs")
    # Three years (the default renewal) from 9 May 2024: runs out on 9 May 2027, 60 days on.
    build.profile(mentor.id or 0, dt.date(2024, 5, 9))
    assert run_due(db, at(WEDNESDAY - dt.timedelta(days=1), 12)) == 0  # 61 days
    assert run_due(db, at(WEDNESDAY, 0, 1)) == 2
    messages = outbox(db, "dbs_expiring")
    assert [m.user_id for m in messages] == [mentor.id, people.lead.id]  # not the admin
    own, lead = messages
    assert own.subject == "Your DBS check runs out on 9 May 2027"
    assert "in 60 days" in own.body_text
    assert lead.subject == "Dbs's DBS check runs out on 9 May 2027"
    assert f"{link(f'/mentors/{mentor.id}')}\n" in lead.body_text
    # Every day in between: nothing more.
    for days in range(1, 46):
        run_due(db, at(WEDNESDAY + dt.timedelta(days=days), 12))  # (Monday digests too)
        assert len(outbox(db, "dbs_expiring")) == 2
    # 14 days before: once more, to each.
    assert run_due(db, at(dt.date(2027, 4, 25), 12)) == 2
    assert run_due(db, at(dt.date(2027, 4, 27), 12)) == 0
    assert [m.dedupe_key for m in outbox(db, "dbs_expiring")][2:] == [
        f"dbs_expiring:mentor:{mentor.id}:14:2027-05-09:user:{mentor.id}",
        f"dbs_expiring:mentor:{mentor.id}:14:2027-05-09:user:{people.lead.id}",
    ]
    # Run out: nothing.
    assert run_due(db, at(dt.date(2027, 5, 9), 12)) == 0


def test_a_first_run_inside_14_days_sends_the_nearer_warning_only(
    db: Session, build: Builder, people: People
) -> None:
    mentor = build.user(Role.mentor, "late")
    build.profile(mentor.id or 0, dt.date(2024, 3, 20))  # runs out in 10 days
    _turn_off(db, people.lead, "dbs_expiring")
    assert run_due(db, at(WEDNESDAY, 12)) == 1
    (message,) = outbox(db)
    assert (message.user_id, message.dedupe_key) == (
        mentor.id,
        f"dbs_expiring:mentor:{mentor.id}:14:2027-03-20:user:{mentor.id}",
    )


def test_no_dbs_warning_for_a_mentor_who_left(db: Session, build: Builder) -> None:
    mentor = build.user(Role.mentor, "gone")
    build.profile(mentor.id or 0, dt.date(2024, 4, 1))
    _retire(db, mentor)
    assert run_due(db, at(WEDNESDAY, 12)) == 0


# The Monday digest ---------------------------------------------------------------------------

MONDAY = dt.date(2027, 3, 15)


def test_the_monday_digest_counts_the_open_flags_for_each_lead(
    db: Session, build: Builder, people: People
) -> None:
    mentor = build.user(Role.mentor, "digest")
    build.profile(mentor.id or 0, dt.date(2024, 4, 1))  # runs out within 60 days: a flag
    run_due(db, at(WEDNESDAY, 12))  # the DBS warnings themselves
    before = len(outbox(db))
    assert run_due(db, at(MONDAY - dt.timedelta(days=1), 23)) == 0  # Sunday
    assert run_due(db, at(MONDAY, 6, 59)) == 0
    assert run_due(db, at(MONDAY, 7, 0)) == 1
    (digest,) = outbox(db, "weekly_digest")
    assert digest.user_id == people.lead.id  # the organisation has a lead: not the admin
    assert digest.subject.startswith("This week in Org A: ")
    assert "- DBS checks running out: 1" in digest.body_text
    assert f"{link('/fidelity')}\n" in digest.body_text
    assert run_due(db, at(MONDAY, 12)) == 0
    assert run_due(db, at(MONDAY + dt.timedelta(days=1), 7)) == 0  # Tuesday
    assert len(outbox(db)) == before + 1
    # Organisation B has no flag: its lead gets no digest.
    assert people.other_lead.id not in [m.user_id for m in outbox(db)]


def test_no_digest_without_flags_and_none_for_a_lead_who_said_no(
    db: Session, build: Builder, people: People, count_queries: CountQueries
) -> None:
    assert run_due(db, at(MONDAY, 8)) == 0
    # Known quiet: the flags are not read again that Monday.
    with count_queries() as quiet:
        run_due(db, at(MONDAY, 9))
    assert quiet.count < 10, quiet.statements
    mentor = build.user(Role.mentor, "flagged")
    build.profile(mentor.id or 0, dt.date(2024, 4, 1))
    _turn_off(db, people.lead, "weekly_digest")
    # The DBS warnings to the mentor and the lead; no digest.
    assert run_due(db, at(MONDAY + dt.timedelta(weeks=1), 8)) == 2
    assert outbox(db, "weekly_digest") == []
