"""What the home pages show that no one noun owns: the week's sessions across cohorts, and
the first few things that need attention (the fidelity report's flags, not queried again)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, or_, select

from app.auth.models import Role, User
from app.clock import week_of
from app.cohorts.models import Cohort, CohortFacilitator, GroupSession, SessionStatus
from app.fidelity import summary
from app.fidelity.schemas import FlagOut
from app.programmes.models import Programme

ATTENTION_SHOWN = 5
"""How many flags the lead's home shows before "see all"."""


@dataclass(frozen=True)
class WeekSession:
    """One session of the week, as the home page lists it."""

    id: int
    date: dt.date
    start_time: dt.time
    end_time: dt.time
    venue: str
    cohort_id: int
    cohort_name: str
    week: int
    status: SessionStatus

    @property
    def recorded(self) -> bool:
        return self.status == SessionStatus.delivered

    @property
    def cancelled(self) -> bool:
        return self.status == SessionStatus.cancelled


def week_sessions(db: Session, *, actor: User, today: dt.date) -> list[WeekSession]:
    """Every session of the organisation's cohorts from Monday to Sunday of this week
    (recorded, to record, or cancelled), in the order they run. Staff only: a lead or an
    admin sees the whole organisation (one query)."""
    if actor.role not in (Role.lead, Role.admin):
        return []
    monday, sunday = week_of(today)
    rows = db.exec(
        select(GroupSession, Cohort.name)
        .join(Cohort, col(Cohort.id) == col(GroupSession.cohort_id))
        .where(
            GroupSession.org_id == actor.org_id,
            col(GroupSession.date) >= monday,
            col(GroupSession.date) <= sunday,
        )
        .order_by(col(GroupSession.date), col(GroupSession.start_time), col(Cohort.name))
    ).all()
    return [
        WeekSession(
            id=s.id or 0,
            date=s.date,
            start_time=s.start_time,
            end_time=s.end_time,
            venue=s.venue,
            cohort_id=s.cohort_id,
            cohort_name=name,
            week=s.week,
            status=s.status,
        )
        for s, name in rows
    ]


@dataclass(frozen=True)
class Attention:
    """The first flags, most urgent first, and how many there are in all."""

    first: list[FlagOut]
    total: int


def attention(db: Session, *, actor: User, today: dt.date) -> Attention:
    """The fidelity dashboard's flags for this person as of today (the fidelity service's
    own report: the same flags, in the same order, as /fidelity shows)."""
    report = summary.fidelity(db, actor=actor, as_of=today)
    return Attention(first=list(report.flags[:ATTENTION_SHOWN]), total=len(report.flags))


@dataclass(frozen=True)
class ProgrammeGroup:
    """One programme on a facilitator's home: their cohorts in it, and which of the
    sessions listed belong to it (a session they cover in another cohort too)."""

    programme: Programme
    cohorts: list[Cohort]
    session_cohort_ids: frozenset[int]


def by_programme(
    db: Session, *, actor: User, programmes: list[Programme], session_cohort_ids: set[int]
) -> list[ProgrammeGroup]:
    """The facilitator's live cohorts and their sessions' cohorts, grouped under the
    programmes they work in (one query)."""
    mine = select(CohortFacilitator.cohort_id).where(
        CohortFacilitator.org_id == actor.org_id, CohortFacilitator.user_id == actor.id
    )
    rows = db.exec(
        select(Cohort, col(Cohort.id).in_(mine))
        .where(
            Cohort.org_id == actor.org_id,
            or_(
                col(Cohort.id).in_(session_cohort_ids),
                col(Cohort.id).in_(mine) & col(Cohort.archived_at).is_(None),
            ),
        )
        .order_by(col(Cohort.name))
    ).all()
    groups = []
    for programme in programmes:
        in_it = [(c, bool(is_mine)) for c, is_mine in rows if c.programme_id == programme.id]
        groups.append(
            ProgrammeGroup(
                programme=programme,
                cohorts=[c for c, is_mine in in_it if is_mine and c.archived_at is None],
                session_cohort_ids=frozenset(c.id or 0 for c, _ in in_it),
            )
        )
    return groups
