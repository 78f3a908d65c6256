"""`tandem demo` runs an Independent Visitor service beside the FHF-PT groups (issue 19): its
volunteers (and an FHF-PT mentor who is one too), children from 8 to 17 (and an FHF-PT
child who has a visitor too), each child's agreement recorded, a year of monthly visits and
one match that ended early.

The command runs in-process against a fresh database of its own, as of a fixed day."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator

import pytest
from sqlmodel import Session, col, select

from app.audit.models import AuditEvent
from app.auth.models import User
from app.children.models import Child
from app.cohorts.models import Enrolment
from app.db import create_db_engine
from app.demo import story
from app.mentoring.models import EndedBy, Match, MentorVisit, VisitStatus
from app.mentoring.shared import add_months
from app.programmes.models import BandPer, Programme, ProgrammeKind
from tests.support.databases import DatabaseFactory
from tests.support.demo import run_demo

DAY = dt.date(2027, 3, 10)  # a Wednesday in the spring term


def age(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


@pytest.fixture(scope="module")
def built(databases: DatabaseFactory) -> Iterator[tuple[Session, str]]:
    url = databases.migrated("demo_programmes")
    output, _seconds = run_demo(url, "--today", DAY.isoformat())
    engine = create_db_engine(url)
    with Session(engine) as db:
        yield db, output
    engine.dispose()


def visitors(db: Session) -> Programme:
    return db.exec(select(Programme).where(Programme.name == story.IV_PROGRAMME)).one()


def iv_matches(db: Session) -> list[Match]:
    programme = visitors(db)
    return list(
        db.exec(select(Match).where(Match.programme_id == programme.id).order_by(col(Match.id)))
    )


def test_two_programmes(built: tuple[Session, str]) -> None:
    db, _ = built
    kinds = [(p.kind, p.band_per) for p in db.exec(select(Programme).order_by(col(Programme.id)))]
    assert kinds == [
        (ProgrammeKind.group_and_mentoring, BandPer.week),
        (ProgrammeKind.independent_visitor, BandPer.month),
    ]
    iv = visitors(db)
    assert (iv.band_min_hours, iv.band_max_hours) == (1, 8)
    assert (iv.age_min, iv.age_max, iv.caseload_max, iv.match_length_months) == (5, 17, 2, 24)
    # Made through the service, by the admin: in the audit trail.
    admin = db.exec(select(User).where(User.email == story.DEMO_USERS[0][0])).one()
    event = db.exec(
        select(AuditEvent).where(AuditEvent.entity == "programme", AuditEvent.entity_id == iv.id)
    ).one()
    assert (event.action, event.actor_id) == ("create", admin.id)


def test_the_children_are_8_to_17_and_each_wanted_a_visitor(built: tuple[Session, str]) -> None:
    db, _ = built
    iv = visitors(db)
    matches = iv_matches(db)
    children = {c.id: c for c in db.exec(select(Child))}
    ages = []
    for match in matches:
        born = children[match.child_id].date_of_birth
        assert born is not None
        ages.append(age(born, DAY))
        assert iv.age_min <= age(born, match.start_date) <= iv.age_max
        assert match.child_agreed_on is not None
        assert match.child_agreed_on <= match.start_date
        assert match.child_agreed_how
        assert match.age_override is None
    assert len(matches) == 8
    assert min(ages) == 8
    assert max(ages) == 17
    assert len({children[m.child_id].first_name for m in matches}) == 8


def test_a_year_of_monthly_visits(built: tuple[Session, str]) -> None:
    db, _ = built
    visits = db.exec(select(MentorVisit).where(MentorVisit.programme_id == visitors(db).id)).all()
    for match in iv_matches(db):
        own = [v for v in visits if v.match_id == match.id]
        done = [v for v in own if v.status == VisitStatus.completed]
        assert all(
            v.date < DAY and v.summary and v.date >= match.start_date
            for v in own
            if v.status != VisitStatus.planned
        )
        months = Counter((v.date.year, v.date.month) for v in done)
        assert max(months.values()) == 1  # one a month (a called-off one rebooked)
        last = match.end_date or DAY
        whole = sum(
            1 for n in range(1, 13) if match.start_date <= add_months(last, -n).replace(day=1)
        )
        assert len(months) >= whole - 2, match  # hardly a month without one
        planned = [v for v in own if v.status == VisitStatus.planned]
        if match.end_date is None:
            assert len(planned) == 1
            assert DAY <= planned[0].date < add_months(DAY, 2)
        else:
            assert not planned
            assert all(v.date <= match.end_date for v in own)
    # The oldest matches began almost a year ago.
    assert min(m.start_date for m in iv_matches(db)) <= DAY - 355 * dt.timedelta(days=1)
    missed = [v for v in visits if v.status == VisitStatus.missed]
    called_off = [v for v in visits if v.status == VisitStatus.cancelled]
    assert missed
    assert all(v.summary for v in missed)
    assert called_off
    assert all(v.called_off_by and v.cancel_reason for v in called_off)
    completed = [v for v in visits if v.status == VisitStatus.completed]
    assert len(completed) >= 50
    assert 120 <= sum(v.minutes for v in completed) / len(completed) <= 210


def test_exactly_one_early_ending(built: tuple[Session, str]) -> None:
    db, _ = built
    ended = [m for m in iv_matches(db) if m.end_date is not None]
    assert len(ended) == 1
    (match,) = ended
    assert match.end_date is not None
    assert match.end_date < add_months(match.start_date, story.IV_MATCH_MONTHS)  # early
    assert match.ended_by == EndedBy.young_person
    assert match.end_reason
    assert match.closure_note


def test_a_volunteer_and_a_child_in_both_programmes(built: tuple[Session, str]) -> None:
    db, _ = built
    active = db.exec(select(Match).where(col(Match.end_date).is_(None))).all()
    programmes_of_mentor: dict[int, set[int]] = {}
    programmes_of_child: dict[int, set[int]] = {}
    for m in active:
        programmes_of_mentor.setdefault(m.mentor_id, set()).add(m.programme_id)
        programmes_of_child.setdefault(m.child_id, set()).add(m.programme_id)
    both_mentors = [u for u, p in programmes_of_mentor.items() if len(p) == 2]
    both_children = [c for c, p in programmes_of_child.items() if len(p) == 2]
    mo = db.exec(select(User).where(User.email == story.IV_SHARED_MENTOR)).one()
    ellie = db.exec(select(Child).where(Child.reference == story.IV_SHARED_CHILD)).one()
    assert both_mentors == [mo.id]
    assert both_children == [ellie.id]
    assert db.exec(select(Enrolment).where(Enrolment.child_id == ellie.id)).one()
    # Her two volunteers' visits never clash: no two on the same day at the same time.
    slots = [
        (v.date, v.start_time)
        for v in db.exec(select(MentorVisit).where(MentorVisit.child_id == ellie.id))
        if v.status == VisitStatus.completed
    ]
    assert len(slots) == len(set(slots))


def test_the_visitors_logins_are_printed(built: tuple[Session, str]) -> None:
    _, output = built
    for email, name, role in story.DEMO_USERS:
        if email.startswith("visitor"):
            line = next(line for line in output.splitlines() if email in line)
            assert line.split()[:2] == [role, email]
            assert name in line
            assert "Independent Visitor" in line
    assert "Mo Mentor  (also an Independent Visitor)" in output
