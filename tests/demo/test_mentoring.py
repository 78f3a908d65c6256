"""`tandem demo` builds a believable mentoring programme through the services: mentors and
their checks, matches, the group's past sessions recorded, practice tasks with the mentors,
visits planned and recorded, check-ins and an ended match; the same data from the same
date, and nothing changed by a second run.

The command runs in-process (Typer's CliRunner) against a fresh database of its own, with
a fixed "today" (the hidden --today option), so the figures below do not depend on the day
the suite runs; tests/test_cli.py runs the real process on the real date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, col, select
from typer.testing import CliRunner

from app import cli
from app.auth.models import User
from app.children.models import Child
from app.cohorts.models import GroupSession, SessionStatus
from app.db import create_db_engine
from app.demo import story
from app.mail.models import OutboxMessage
from app.mentoring.matching import service as matching
from app.mentoring.models import (
    CheckIn,
    EndReason,
    Match,
    MentorProfile,
    MentorVisit,
    VisitAssignment,
    VisitStatus,
)
from app.mentoring.profiles import service as profiles
from app.mentoring.week import service as weeks
from app.programmes.models import FHF_PT_NAME, Programme
from app.sessions.models import AssignmentStatus, Attendance, PracticeAssignment
from tests.support.databases import DatabaseFactory
from tests.support.demo import PASSWORD, run_demo

DAY = dt.timedelta(days=1)
DEMO_DAY = dt.date(2026, 11, 26)  # a Thursday, twelve weeks into the school year
MENTORS = {email: name for email, name, role in story.DEMO_USERS if role == "mentor"}
MONDAY = {ref for ref, *_ in story.MONDAY.children}  # the first cohort's children (ids 1 to 9)


@dataclass
class Demo:
    url: str
    engine: Engine
    output: str
    seconds: float

    def users(self, db: Session) -> dict[str, User]:
        return {u.email.split("@")[0]: u for u in db.exec(select(User))}


def row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            table.name: conn.execute(sa_select(func.count()).select_from(table)).scalar_one()
            for table in SQLModel.metadata.sorted_tables
        }


@pytest.fixture(scope="module")
def demo(databases: DatabaseFactory) -> Iterator[Demo]:
    url = databases.migrated("demo_mentoring")
    output, seconds = run_demo(url, "--today", DEMO_DAY.isoformat())
    engine = create_db_engine(url)
    yield Demo(url, engine, output, seconds)
    engine.dispose()


@pytest.fixture
def db(demo: Demo) -> Iterator[Session]:
    with Session(demo.engine) as session:
        yield session


@pytest.mark.serial  # builds `demo` and times it: alone
def test_prints_every_login_and_is_fast(demo: Demo) -> None:
    lines = demo.output.splitlines()
    assert lines[0] == "Demo organisation: Tandem demo council"
    assert f"(password: {PASSWORD})" in lines[1]
    logins = [line.split()[:2] for line in lines[2:]]
    assert logins == [[role, email] for email, _name, role in story.DEMO_USERS]
    assert "Tom Mentor  (not ready: references missing)" in demo.output
    assert demo.seconds < 10


def test_mentors_and_their_checks(db: Session, demo: Demo) -> None:
    users = demo.users(db)
    rows = {r.user.email: r for r in profiles.list_mentors(db, actor=users["lead"], today=DEMO_DAY)}
    assert set(rows) == set(MENTORS)
    assert all(r.profile.about and r.profile.interests for r in rows.values())
    assert {r.profile.gender for r in rows.values()} == {"girl_or_woman", "boy_or_man"}
    assert any(r.profile.care_experience for r in rows.values())
    assert any(len(r.profile.languages) > 1 for r in rows.values())
    not_ready = {email: r.readiness.missing for email, r in rows.items() if not r.readiness.ready}
    assert not_ready == {"mentor6@demo.tandem.example.org": ["two references"]}
    expiring = [
        email
        for email, r in rows.items()
        if r.readiness.dbs_expires_on and r.readiness.dbs_expires_on <= DEMO_DAY + 60 * DAY
    ]
    assert expiring == ["mentor3@demo.tandem.example.org"]
    assert rows["mentor3@demo.tandem.example.org"].readiness.ready  # still current
    caseloads = {r.user.name: r.active_matches for r in rows.values()}
    assert caseloads == {
        "Mo Mentor": 3,
        "Maya Mentor": 2,
        "Sam Mentor": 2,
        "Tasha Mentor": 1,
        "Jo Mentor": 0,
        "Tom Mentor": 0,
        # The Wednesday and Thursday groups' mentors: two mentees each, one new match.
        "Aisha Mentor": 2,
        "Gareth Mentor": 2,
        "Nadia Mentor": 2,
        "Leon Mentor": 2,
        "Zara Mentor": 2,
        "Owen Mentor": 2,
        "Bea Mentor": 2,
        "Ioana Mentor": 1,
        # The Independent Visitors (and Mo, who is one too): a caseload in each programme.
        "Hugh Visitor": 1,
        "Pat Visitor": 2,
        "Carmen Visitor": 2,
        "Yusuf Visitor": 1,
    }


def test_matches_leave_two_children_to_suggest_mentors_for(db: Session, demo: Demo) -> None:
    users = demo.users(db)
    everyone = matching.list_matches(db, actor=users["lead"])
    assert len(everyone) == 23 + 8  # and the Independent Visitors', one ended early
    assert sum(m.match.end_date is None for m in everyone) == 22 + 7
    fhf_pt = fhf_pt_id(db)
    matches = [
        m for m in everyone if m.child_reference in MONDAY and m.match.programme_id == fhf_pt
    ]
    active = [m for m in matches if m.match.end_date is None]
    ended = [m for m in matches if m.match.end_date is not None]
    assert len(active) == 7
    assert [(m.child_first_name, m.match.end_reason) for m in ended] == [
        ("Grace", EndReason.child_moved)
    ]
    assert ended[0].match.closure_note
    assert [m.child_first_name for m in matches if m.match.chosen_by_young_person] == ["Femi"]
    assert all(m.match.reasons and m.match.score > 0 for m in everyone)
    children = {c.first_name: c for c in db.exec(select(Child)) if c.reference in MONDAY}
    # An FHF-PT child has an Independent Visitor too: one active match in each programme.
    ellie = {m.match.programme_id for m in everyone if m.child_first_name == "Ellie"}
    assert len(ellie) == 2
    unmatched = set(children) - {m.child_first_name for m in active}
    assert unmatched == {"Grace", "Isla"}
    isla = matching.suggestions(
        db,
        actor=users["lead"],
        child_id=children["Isla"].id or 0,
        today=DEMO_DAY,
        programme_id=fhf_pt,
    )
    names = [s.name for s in isla]
    assert names[0] == "Jo Mentor"
    assert "Tasha Mentor" in names  # and Ioana Mentor, with one mentee of her own
    assert "speaks Polish" in isla[0].reasons
    # The lead's monthly check-ins: all but one active match is up to date.
    overdue = [m.child_first_name for m in active if m.check_in_overdue(DEMO_DAY)]
    assert overdue == ["Dev"]
    assert all(m.last_check_in for m in active)


def fhf_pt_id(db: Session) -> int | None:
    return db.exec(select(Programme.id).where(Programme.name == FHF_PT_NAME)).one()


def test_past_sessions_are_recorded_with_a_few_absences(db: Session) -> None:
    sessions = db.exec(
        select(GroupSession).where(GroupSession.cohort_id == 1).order_by(col(GroupSession.date))
    ).all()
    assert [s.id for s in sorted(sessions, key=lambda s: s.week)] == list(range(1, 31))
    past = [s for s in sessions if s.date < DEMO_DAY]
    assert len(past) == 12
    assert all(s.status == SessionStatus.delivered for s in past)
    assert all(s.status == SessionStatus.scheduled for s in sessions if s.date >= DEMO_DAY)
    ids = {s.id for s in sessions}
    statuses = [a.status.value for a in db.exec(select(Attendance)) if a.session_id in ids]
    assert len(statuses) == 12 * 9
    away = sum(s in ("absent", "excused") for s in statuses)
    assert 3 <= away <= 15
    hamza = db.exec(select(Child).where(Child.first_name == "Hamza")).one()
    last_two = {s.id for s in past[-2:]}
    assert {
        a.status.value
        for a in db.exec(select(Attendance).where(Attendance.child_id == hamza.id))
        if a.session_id in last_two
    } == {"absent"}


def test_practice_tasks_are_with_the_mentors(db: Session) -> None:
    # The group's tasks are with each child's FHF-PT mentor, never their Independent Visitor.
    mentor_of = {
        m.child_id: m.mentor_id
        for m in db.exec(
            select(Match).where(col(Match.end_date).is_(None), Match.programme_id == fhf_pt_id(db))
        )
    }
    assignments = db.exec(select(PracticeAssignment)).all()
    assert len(assignments) > 100
    for a in assignments:
        if a.status != AssignmentStatus.completed:
            assert a.mentor_id == mentor_of.get(a.child_id), a  # unmatched: unassigned
    statuses = {a.status for a in assignments if a.child_id in mentor_of}
    assert statuses == set(AssignmentStatus)
    assert any(a.mentor_id is None for a in assignments)  # the unmatched children's
    assert any(a.kind.value == "catch_up" for a in assignments)


def test_visits_planned_and_recorded(db: Session) -> None:
    """FHF-PT's weekly visits (tests/demo/test_demo_programmes.py: the monthly ones)."""
    fhf_pt = fhf_pt_id(db)
    matches = db.exec(select(Match).where(Match.programme_id == fhf_pt)).all()
    all_visits = db.exec(select(MentorVisit).where(MentorVisit.programme_id == fhf_pt)).all()
    for match in matches:
        own = [v for v in all_visits if v.match_id == match.id]
        done = [v for v in own if v.status == VisitStatus.completed]
        assert done, match
        assert all(v.date < DEMO_DAY and v.summary for v in done)
        planned = [v for v in own if v.status == VisitStatus.planned]
        if match.end_date is None:
            assert match.visit_weekday is not None
            assert planned
            assert all(v.date >= DEMO_DAY for v in planned)
            assert {v.date.isoweekday() for v in own} == {match.visit_weekday}
        else:
            assert not planned
            assert all(v.date <= match.end_date for v in own)
    missed = [v for v in all_visits if v.status == VisitStatus.missed]
    assert [v.child_id for v in missed if v.child_id <= 9] == [8]  # Hamza's, in the Monday group
    assert 3 <= len(missed) <= 30
    assert all(v.summary for v in missed)
    assert db.exec(select(func.count()).select_from(VisitAssignment)).one() > 50
    concerns = [v for v in all_visits if v.safeguarding_concern]
    assert len(concerns) == 1  # Aaliyah's, in the Thursday group; not yet reviewed
    assert concerns[0].concern_reviewed_at is None
    assert concerns[0].status == VisitStatus.completed
    assert concerns[0].summary
    # About 2.5 hours a week on average, as in the trials.
    done_minutes = [v.minutes for v in all_visits if v.status == VisitStatus.completed]
    assert 120 <= sum(done_minutes) / len(done_minutes) <= 180


def test_a_mentor_sees_a_believable_week(db: Session, demo: Demo) -> None:
    week = weeks.mentor_week(db, actor=demo.users(db)["mentor1"], day=DEMO_DAY)
    # Mo's FHF-PT mentees, and the child he is an Independent Visitor for (no group).
    assert [m.first_name for m in week.mentees] == ["Ben", "Femi", "Jamal"]
    jamal = week.mentees.pop()
    assert jamal.last_session is None
    for mentee in week.mentees:
        assert mentee.last_session is not None
        assert mentee.last_session[1] == DEMO_DAY - 3 * DAY  # Monday's group
        assert mentee.assignments  # something to practise
        assert len(mentee.visits) == 1
    ben, femi = week.mentees
    assert [v.status for v in ben.visits] == [VisitStatus.completed]  # on Wednesday
    assert [v.status for v in femi.visits] == [VisitStatus.planned]  # on Saturday


def test_the_same_date_gives_the_same_demo(databases: DatabaseFactory, demo: Demo) -> None:
    url = databases.migrated("demo_again")
    run_demo(url, "--today", DEMO_DAY.isoformat())
    engine = create_db_engine(url)
    try:
        assert row_counts(engine) == row_counts(demo.engine)

        def summaries(e: Engine) -> list[tuple[object, ...]]:
            with e.connect() as conn:
                return [
                    tuple(r)
                    for r in conn.execute(
                        sa_select(
                            col(MentorVisit.date),
                            col(MentorVisit.minutes),
                            col(MentorVisit.summary),
                        ).order_by(col(MentorVisit.id))
                    )
                ]

        assert summaries(engine) == summaries(demo.engine)
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "today",
    [
        dt.date(2026, 9, 3),  # before the group's first Monday
        dt.date(2026, 9, 7),  # the first Monday
        dt.date(2027, 1, 5),  # after the Christmas closure
        dt.date(2027, 7, 15),  # the group is over; mentoring goes on
    ],
)
def test_any_day_of_the_year(databases: DatabaseFactory, today: dt.date) -> None:
    url = databases.migrated(f"demo_{today:%Y%m%d}")
    run_demo(url, "--today", today.isoformat())
    engine = create_db_engine(url)
    try:
        with Session(engine) as db:
            matches = db.exec(select(Match)).all()
            assert len(matches) == 23 + 8
            assert sum(m.end_date is None for m in matches) == 22 + 7
            assert db.exec(select(func.count()).select_from(MentorProfile)).one() == 14 + 4
            planned = db.exec(select(MentorVisit).where(MentorVisit.status == VisitStatus.planned))
            assert {v.match_id for v in planned} == {m.id for m in matches if m.end_date is None}
            assert db.exec(select(func.count()).select_from(CheckIn)).one() >= 0
    finally:
        engine.dispose()


@pytest.mark.serial  # timed: alone, not beside another worker
def test_a_second_run_changes_nothing(demo: Demo) -> None:
    before = row_counts(demo.engine)
    output, seconds = run_demo(demo.url, "--today", DEMO_DAY.isoformat())
    assert output == demo.output
    assert row_counts(demo.engine) == before
    assert seconds < 10


def test_a_bad_date_is_one_line() -> None:
    result = CliRunner().invoke(cli.app, ["demo", "--today", "26/11/2026"])
    assert result.exit_code == 2
    assert "is not a date like 2026-11-26" in result.output


def test_the_story_sends_no_email_about_its_past(db: Session) -> None:
    """Building the demo matches mentors and raises a concern through the services, which
    queue emails; they describe the story's past and are dropped, not sent (the worker's
    reminders about the demo's present are another matter)."""
    assert db.exec(select(func.count()).select_from(OutboxMessage)).one() == 0
