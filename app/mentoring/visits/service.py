"""One-to-one visits: logging one, recording how a planned one went (with the practice tasks
worked on), moving or cancelling it; the clash check and the lock on the mentor that planning shares
(planning.py, which also undoes a cancelling). A concern's reviews: concerns/service.py."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, insert, or_, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.models import Organisation, Role, User
from app.auth.notifications import leads_to_tell
from app.children.models import Child
from app.clock import local_datetime, time_words
from app.cohorts import enrolments
from app.cohorts import service as cohorts
from app.cohorts.models import Cohort, Enrolment, GroupSession, SessionStatus
from app.exceptions import Conflict, Forbidden, Invalid, NotFound
from app.mail import service as mail
from app.mail.kinds import Kind
from app.mentoring.matching.service import get_match, require_active, visible_matches
from app.mentoring.models import Match, MentorVisit, VisitAssignment, VisitStatus
from app.mentoring.profiles.service import claim_mentor
from app.mentoring.schemas import VisitCreate, VisitUpdate
from app.mentoring.shared import invalid
from app.sessions.models import AssignmentStatus, PracticeAssignment

VISITS: Table = MentorVisit.__table__  # type: ignore[attr-defined]
LINKS: Table = VisitAssignment.__table__  # type: ignore[attr-defined]
ASSIGNMENTS: Table = PracticeAssignment.__table__  # type: ignore[attr-defined]


def _minutes(t: dt.time) -> int:
    return t.hour * 60 + t.minute


def end_time(start: dt.time | None, minutes: int) -> dt.time | None:
    return cohorts.end_of(start, minutes) if start is not None else None


def _overlaps(a_start: dt.time, a_minutes: int, b_start: dt.time, b_minutes: int) -> bool:
    a, b = _minutes(a_start), _minutes(b_start)
    return a < b + b_minutes and b < a + a_minutes


def _when(day: dt.date, start: dt.time) -> str:
    return f"{day:%A %-d %B %Y} at {start:%H:%M}"


def lock_mentor(db: Session, match: Match) -> None:
    """Hold the mentor's row for the rest of the transaction before reading their visits,
    so that two writes of the same mentor's visits are serialised and the second sees the
    first: two overlapping visits can never both pass the clash check (issue 13). The
    same lock as a new match takes (SQLite's BEGIN IMMEDIATE serialises writers anyway)."""
    if not claim_mentor(db, match.mentor_id, match.org_id):
        # A mentor without a profile (not made through the API): lock their user row.
        db.execute(sa_select(col(User.id)).where(col(User.id) == match.mentor_id).with_for_update())


# Clashes -------------------------------------------------------------------------------------


@dataclass
class Busy:
    """What a mentor and a child already have on some days: visits and group sessions."""

    visits: list[Any] = field(default_factory=list)  # (id, match_id, date, start, minutes, name)
    sessions: list[Any] = field(default_factory=list)  # (date, start, end, cohort name)

    def clash(
        self, day: dt.date, start: dt.time, minutes: int, *, skip: int | None = None
    ) -> str | None:
        for visit_id, _match, date, v_start, v_minutes, name in self.visits:
            if visit_id == skip or date != day or v_start is None:
                continue
            if _overlaps(start, minutes, v_start, v_minutes):
                end = cohorts.end_of(v_start, v_minutes)
                return (
                    f"{_when(day, start)} overlaps the visit to {name} "
                    f"({v_start:%H:%M} to {end:%H:%M})"
                )
        for date, s_start, s_end, cohort_name in self.sessions:
            if date != day:
                continue
            if _overlaps(start, minutes, s_start, _minutes(s_end) - _minutes(s_start)):
                return (
                    f"{_when(day, start)} overlaps the group session of {cohort_name} "
                    f"({s_start:%H:%M} to {s_end:%H:%M})"
                )
        return None


def busy_between(
    db: Session,
    *,
    org_id: int,
    mentor_id: int,
    child_id: int,
    first: dt.date,
    last: dt.date,
    exclude_planned_of: int | None = None,
) -> Busy:
    """The mentor's visits (not cancelled) and the child's group sessions in the range: two
    queries, whatever the number of weeks."""
    visits = (
        sa_select(
            VISITS.c.id,
            VISITS.c.match_id,
            VISITS.c.date,
            VISITS.c.start_time,
            VISITS.c.minutes,
            col(Child.first_name),
        )
        .join(Child, col(Child.id) == VISITS.c.child_id)
        .where(
            VISITS.c.org_id == org_id,
            VISITS.c.mentor_id == mentor_id,
            VISITS.c.status != VisitStatus.cancelled.value,
            VISITS.c.date.between(first, last),
        )
    )
    if exclude_planned_of is not None:
        visits = visits.where(
            or_(
                VISITS.c.match_id != exclude_planned_of,
                VISITS.c.status != VisitStatus.planned.value,
            )
        )
    sessions = (
        sa_select(
            col(GroupSession.date),
            col(GroupSession.start_time),
            col(GroupSession.end_time),
            col(Cohort.name),
        )
        .join(Cohort, col(Cohort.id) == col(GroupSession.cohort_id))
        .join(Enrolment, col(Enrolment.cohort_id) == col(Cohort.id))
        .where(
            col(GroupSession.org_id) == org_id,
            col(Enrolment.child_id) == child_id,
            col(GroupSession.status) != SessionStatus.cancelled,
            col(GroupSession.date).between(first, last),
            enrolments.expected_children(GroupSession.date),
        )
    )
    return Busy(list(db.execute(visits).all()), list(db.execute(sessions).all()))


# Access --------------------------------------------------------------------------------------


def require_visit_role(actor: User) -> None:
    """Visits are the mentors' and the leads' (403 for other roles, before any lookup)."""
    if actor.role not in (Role.lead, Role.admin, Role.mentor):
        raise Forbidden("Only the match's mentor or a programme lead can do this.")


def require_match_mentor_or_staff(actor: User, match: Match) -> None:
    if actor.role in (Role.lead, Role.admin):
        return
    if actor.role == Role.mentor and actor.id == match.mentor_id:
        return
    raise Forbidden("Only the match's mentor or a programme lead can do this.")


# Recording visits ----------------------------------------------------------------------------


def check_visit(
    db: Session,
    *,
    match: Match,
    day: dt.date,
    start: dt.time | None,
    minutes: int,
    status: VisitStatus,
    now: dt.datetime,
    visit_id: int | None = None,
    tasks: bool = False,
) -> None:
    """`now` is the organisation's local time (timezone-aware). Nothing is recorded before
    it happens: a completed or missed visit only once its end (date, start and minutes) has
    passed; and a completed visit cannot overlap the child's own group session."""
    today = now.date()
    errors: list[dict[str, Any]] = []
    if status == VisitStatus.planned and day < today:
        errors.append({"loc": ["body", "date"], "msg": "A planned visit is dated today or later"})
    elif status == VisitStatus.planned and day == today and start is not None:
        starts = local_datetime(day, start, now.tzinfo or dt.UTC)
        if starts <= now:
            errors.append(
                {
                    "loc": ["body", "start_time"],
                    "msg": f"It is already {time_words(now)}: plan the visit for a later time, "
                    "or record one that has happened as completed or missed",
                }
            )
    # A visit is logged as cancelled on or after its day; a future one is planned, then
    # cancelled (PATCH).
    new_cancelled = visit_id is None and status == VisitStatus.cancelled
    if (status in (VisitStatus.completed, VisitStatus.missed) or new_cancelled) and day > today:
        errors.append(
            {"loc": ["body", "date"], "msg": f"A {status.value} visit cannot be in the future"}
        )
    if status in (VisitStatus.completed, VisitStatus.missed) and day == today:
        if start is None:
            errors.append(
                {
                    "loc": ["body", "start_time"],
                    "msg": f"Give the time today's visit started: a {status.value} visit is "
                    "recorded once it has ended",
                }
            )
        else:
            ends = local_datetime(day, start, now.tzinfo or dt.UTC) + dt.timedelta(minutes=minutes)
            if ends > now:
                errors.append(
                    {
                        "loc": ["body", "start_time"],
                        "msg": f"This visit ends at {time_words(ends)}: record it as "
                        f"{status.value} once it has ended, or plan it for today",
                    }
                )
    if tasks and status != VisitStatus.completed:
        errors.append(
            {
                "loc": ["body", "assignment_ids"],
                "msg": "Practice tasks are marked in a completed visit only",
            }
        )
    if day < match.start_date:
        errors.append({"loc": ["body", "date"], "msg": "The visit is before the match started"})
    if errors:
        raise Invalid(errors[0]["msg"], errors)
    if start is None or status == VisitStatus.cancelled:
        return
    lock_mentor(db, match)
    busy = busy_between(
        db,
        org_id=match.org_id,
        mentor_id=match.mentor_id,
        child_id=match.child_id,
        first=day,
        last=day,
    )
    if status != VisitStatus.completed:
        # A missed or planned visit did not (yet) take the child's time; only a visit that
        # happened cannot have been during the child's own group session.
        busy.sessions = []
    clash = busy.clash(day, start, minutes, skip=visit_id)
    if clash:
        raise invalid(
            "start_time",
            f"This visit overlaps another: {clash}. Check the date and times",
        )


def _work_on(
    db: Session,
    *,
    match: Match,
    visit_id: int,
    practised: list[int],
    completed: list[int],
) -> dict[str, Any]:
    """Link the practice tasks worked on to the visit and move them on: practised, or
    completed (never back from completed). 422 for a task that is not this mentee's."""
    wanted = set(practised) | set(completed)
    if not wanted:
        return {}
    rows = db.execute(
        sa_select(ASSIGNMENTS.c.id, ASSIGNMENTS.c.status).where(
            ASSIGNMENTS.c.id.in_(wanted),
            ASSIGNMENTS.c.org_id == match.org_id,
            ASSIGNMENTS.c.child_id == match.child_id,
        )
    ).all()
    found = {r[0]: r[1] for r in rows}
    unknown = sorted(wanted - set(found))
    if unknown:
        raise invalid(
            "assignment_ids",
            f"Not a practice task of this mentee: {', '.join(map(str, unknown))}",
        )
    already = set(
        db.execute(
            sa_select(LINKS.c.assignment_id).where(
                LINKS.c.visit_id == visit_id, LINKS.c.assignment_id.in_(wanted)
            )
        ).scalars()
    )
    new_links = [
        {"org_id": match.org_id, "visit_id": visit_id, "assignment_id": a}
        for a in sorted(wanted - already)
    ]
    if new_links:
        db.execute(insert(LINKS), new_links)
    now = dt.datetime.now(dt.UTC)
    to_complete = [a for a in completed if found[a] != AssignmentStatus.completed]
    to_practise = [a for a in set(practised) - set(completed) if found[a] == AssignmentStatus.open]
    if to_complete:
        db.execute(
            update(ASSIGNMENTS)
            .where(ASSIGNMENTS.c.id.in_(to_complete))
            .values(status=AssignmentStatus.completed.value, updated_at=now)
        )
    if to_practise:
        db.execute(
            update(ASSIGNMENTS)
            .where(ASSIGNMENTS.c.id.in_(to_practise))
            .values(status=AssignmentStatus.practised.value, updated_at=now)
        )
    return {
        "assignments_completed": [None, sorted(to_complete)],
        "assignments_practised": [None, sorted(to_practise)],
    }


def _concern(db: Session, *, actor: User, visit: MentorVisit) -> None:
    """A safeguarding concern is its own audit event, so the lead's flag has a trail, and
    an email at once to the organisation's leads (queued with the visit: sent iff it is
    saved), naming the child only by reference."""
    audit.record(
        db,
        org_id=actor.org_id,
        actor=actor,
        action="safeguarding_concern",
        entity="visit",
        entity_id=visit.id,
        changes={"child_id": [None, visit.child_id], "date": [None, visit.date.isoformat()]},
    )
    reference = db.exec(select(Child.reference).where(Child.id == visit.child_id)).one()
    org = db.get(Organisation, actor.org_id)
    for lead in leads_to_tell(db, [actor.org_id])[actor.org_id]:
        mail.send(
            db,
            recipient=lead,
            kind=Kind.safeguarding_concern,
            context={
                "reference": reference,
                "visit_id": visit.id,
                "visit_date": visit.date,
                "org_name": org.name if org else "your organisation",
            },
            dedupe_key=f"safeguarding_concern:visit:{visit.id}:user:{lead.id}",
        )


def create_visit(db: Session, *, actor: User, data: VisitCreate, now: dt.datetime) -> MentorVisit:
    require_visit_role(actor)
    try:
        match = get_match(db, actor=actor, match_id=data.match_id)
    except NotFound:
        raise invalid(
            "match_id", f"There is no match {data.match_id} you can log visits for"
        ) from None
    require_match_mentor_or_staff(actor, match)
    require_active(match)
    check_visit(
        db,
        match=match,
        day=data.date,
        start=data.start_time,
        minutes=data.duration_minutes,
        status=data.status,
        now=now,
        tasks=bool(data.assignment_ids or data.completed_assignment_ids),
    )
    now = now.astimezone(dt.UTC)
    visit = MentorVisit(
        org_id=actor.org_id,
        match_id=match.id or 0,
        programme_id=match.programme_id,
        mentor_id=match.mentor_id,
        child_id=match.child_id,
        date=data.date,
        start_time=data.start_time,
        minutes=data.duration_minutes,
        status=data.status,
        summary=data.summary or None,
        safeguarding_concern=data.safeguarding_concern,
        created_by=actor.id or 0,
        created_at=now,
        updated_at=now,
    )
    db.add(visit)
    db.flush()
    worked = _work_on(
        db,
        match=match,
        visit_id=visit.id or 0,
        practised=data.assignment_ids,
        completed=data.completed_assignment_ids,
    )
    audit.record(
        db,
        org_id=actor.org_id,
        actor=actor,
        action="create",
        entity="visit",
        entity_id=visit.id,
        changes=audit.changes_between(
            {},
            data.model_dump(
                mode="json",
                exclude={"assignment_ids", "completed_assignment_ids", "summary"},
            ),
        )
        | worked,
    )
    if visit.safeguarding_concern:
        _concern(db, actor=actor, visit=visit)
    return visit


def visible_visits(actor: User) -> Any:
    """Staff: the organisation's; a mentor: those of their active matches."""
    return col(MentorVisit.match_id).in_(select(Match.id).where(visible_matches(actor)))


def get_visit(db: Session, *, actor: User, visit_id: int) -> MentorVisit:
    visit = db.exec(
        select(MentorVisit).where(
            MentorVisit.id == visit_id,
            MentorVisit.org_id == actor.org_id,
            visible_visits(actor),
        )
    ).first()
    if visit is None:
        raise NotFound(f"There is no visit {visit_id}.")
    return visit


def update_visit(
    db: Session, *, actor: User, visit_id: int, data: VisitUpdate, now: dt.datetime
) -> MentorVisit:
    require_visit_role(actor)
    visit = get_visit(db, actor=actor, visit_id=visit_id)
    match = get_match(db, actor=actor, match_id=visit.match_id)
    require_match_mentor_or_staff(actor, match)
    require_active(match)
    if data.version is not None and data.version != visit.version:
        raise Conflict(
            "Someone else changed this visit first. Reload it and try again.",
            current_version=visit.version,
        )
    changes = data.model_dump(
        exclude_unset=True,
        exclude={"version", "assignment_ids", "completed_assignment_ids"},
    )
    if "duration_minutes" in changes:
        changes["minutes"] = changes.pop("duration_minutes")
    for required in ("date", "minutes", "status", "safeguarding_concern"):
        if required in changes and changes[required] is None:
            del changes[required]
    _called_off(visit, changes)
    if "summary" in changes:
        changes["summary"] = changes["summary"] or None
    after = {
        "date": changes.get("date", visit.date),
        "start": changes.get("start_time", visit.start_time),
        "minutes": changes.get("minutes", visit.minutes),
        "status": VisitStatus(changes.get("status", visit.status)),
    }
    check_visit(
        db,
        match=match,
        day=after["date"],
        start=after["start"],
        minutes=after["minutes"],
        status=after["status"],
        now=now,
        visit_id=visit.id,
        tasks=bool(data.assignment_ids or data.completed_assignment_ids),
    )
    if visit.safeguarding_concern and changes.get("safeguarding_concern") is False:
        raise invalid(
            "safeguarding_concern",
            "A safeguarding concern stays raised until a programme lead has reviewed it",
        )
    before = {key: getattr(visit, key) for key in changes}
    diff = audit.changes_between(before, changes)
    raised = bool(changes.get("safeguarding_concern")) and not visit.safeguarding_concern
    worked = _work_on(
        db,
        match=match,
        visit_id=visit.id or 0,
        practised=data.assignment_ids or [],
        completed=data.completed_assignment_ids or [],
    )
    if diff or worked:
        for key, value in changes.items():
            setattr(visit, key, value)
        visit.version += 1
        visit.updated_at = now.astimezone(dt.UTC)
        db.add(visit)
        db.flush()
        audit.record(
            db,
            org_id=actor.org_id,
            actor=actor,
            action="update",
            entity="visit",
            entity_id=visit.id,
            changes={k: v for k, v in diff.items() if k != "summary"}
            | ({"summary": "changed"} if "summary" in diff else {})
            | worked,
        )
    if raised:
        _concern(db, actor=actor, visit=visit)
    return visit


def _called_off(visit: MentorVisit, changes: dict[str, Any]) -> None:
    """Who called a visit off and why go with cancelling it; a visit no longer cancelled
    drops them."""
    for key in ("called_off_by", "cancel_reason"):
        if key in changes and changes[key] is None:
            del changes[key]
    cancelled = changes.get("status", visit.status) == VisitStatus.cancelled
    if not cancelled and ("called_off_by" in changes or "cancel_reason" in changes):
        key = "called_off_by" if "called_off_by" in changes else "cancel_reason"
        raise invalid(key, "Who called a visit off and why are given when cancelling it")
    if not cancelled and (visit.called_off_by or visit.cancel_reason):
        changes.update(called_off_by=None, cancel_reason=None)


def list_visits(
    db: Session,
    *,
    actor: User,
    match_id: int | None = None,
    first: dt.date | None = None,
    last: dt.date | None = None,
    limit: int = 200,
) -> list[MentorVisit]:
    if match_id is not None:
        get_match(db, actor=actor, match_id=match_id)
    stmt = select(MentorVisit).where(MentorVisit.org_id == actor.org_id, visible_visits(actor))
    if match_id is not None:
        stmt = stmt.where(MentorVisit.match_id == match_id)
    if first is not None:
        stmt = stmt.where(col(MentorVisit.date) >= first)
    if last is not None:
        stmt = stmt.where(col(MentorVisit.date) <= last)
    stmt = stmt.order_by(col(MentorVisit.date), col(MentorVisit.start_time)).limit(limit)
    return list(db.exec(stmt).all())


def links_of(db: Session, visit_ids: list[int]) -> dict[int, list[int]]:
    """{visit id: [assignment ids worked on]}: one query."""
    out: dict[int, list[int]] = {v: [] for v in visit_ids}
    if visit_ids:
        for visit_id, assignment_id in db.execute(
            sa_select(LINKS.c.visit_id, LINKS.c.assignment_id)
            .where(LINKS.c.visit_id.in_(visit_ids))
            .order_by(LINKS.c.assignment_id)
        ):
            out[visit_id].append(assignment_id)
    return out
