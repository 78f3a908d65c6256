"""A child's life events (placement moves, permanency, missing episodes, police contact,
school exclusions: what the trials counted from records), and their rates per child-year
before and since a child's first session.

Events are sensitive: only leads and admins record, correct, delete or read them. The audit
trail keeps the kind and the date of each change; the note's text stays in the record (the
trail says only that a note was written, changed or removed), as a concern's note does."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col
from sqlmodel import select as select_rows

from app.audit import service as audit
from app.auth.models import User
from app.auth.service import STAFF_ROLES
from app.children import service as children
from app.children.models import Child
from app.exceptions import Forbidden, Invalid, NotFound
from app.outcomes.assessments.windows import load_anchors
from app.outcomes.events.schemas import NOTE_MAX, EventCreate, EventUpdate
from app.outcomes.models import EventKind, LifeEvent

DAYS_PER_YEAR = 365.25
BEFORE_DAYS = 365  # "the 12 months before the first session"


def _require_lead(actor: User) -> None:
    if actor.role not in STAFF_ROLES:
        raise Forbidden("A child's life events are for programme leads and admins.")


def _problem(field: str, message: str) -> dict[str, Any]:
    return {"loc": ["body", field], "msg": message, "type": "value_error"}


def _check(child: Child, *, day: dt.date, note: str | None, today: dt.date) -> None:
    problems = []
    if day > today:
        problems.append(_problem("date", "The date of the event must be today or earlier"))
    elif child.date_of_birth is not None and day < child.date_of_birth:
        problems.append(
            _problem("date", "The date of the event must be on or after the child's birth")
        )
    if note is not None and len(note) > NOTE_MAX:
        problems.append(_problem("note", f"The note must be {NOTE_MAX:,} characters or fewer"))
    if problems:
        raise Invalid("; ".join(str(p["msg"]) for p in problems), problems)


def _clean(note: str | None) -> str | None:
    note = (note or "").strip()
    return note or None


def child_of(db: Session, *, actor: User, child_id: int) -> Child:
    """The child whose events a lead or admin may see (403 for anyone else, 404 if not theirs)."""
    _require_lead(actor)
    return children.get_child(db, actor=actor, child_id=child_id)


def _child(db: Session, actor: User, child_id: int) -> Child:
    return child_of(db, actor=actor, child_id=child_id)


def list_events(db: Session, *, actor: User, child_id: int) -> list[LifeEvent]:
    """The child's events, latest first (lead, admin)."""
    _child(db, actor, child_id)
    return list(
        db.exec(
            select_rows(LifeEvent)
            .where(col(LifeEvent.org_id) == actor.org_id, col(LifeEvent.child_id) == child_id)
            .order_by(col(LifeEvent.date).desc(), col(LifeEvent.id).desc())
        ).all()
    )


def add_event(
    db: Session, *, actor: User, child_id: int, data: EventCreate, today: dt.date
) -> LifeEvent:
    child = _child(db, actor, child_id)
    children.refuse_if_anonymised(child)
    note = _clean(data.note)
    _check(child, day=data.date, note=note, today=today)
    event = LifeEvent(
        org_id=actor.org_id,
        child_id=child_id,
        kind=data.kind,
        date=data.date,
        note=note,
        created_by=actor.id,
        created_at=dt.datetime.now(dt.UTC),
    )
    db.add(event)
    db.flush()
    audit.record(
        db,
        org_id=actor.org_id,
        actor=actor,
        action="create",
        entity="life_event",
        entity_id=event.id,
        changes={
            "child_id": [None, child_id],
            "kind": [None, data.kind.value],
            "date": [None, data.date.isoformat()],
            **({"note": "written"} if note else {}),
        },
    )
    return event


def get_event(db: Session, *, actor: User, child_id: int, event_id: int) -> LifeEvent:
    _child(db, actor, child_id)
    event = db.get(LifeEvent, event_id)
    if event is None or event.org_id != actor.org_id or event.child_id != child_id:
        raise NotFound(f"There is no life event {event_id}.")
    return event


def update_event(
    db: Session, *, actor: User, child_id: int, event_id: int, data: EventUpdate, today: dt.date
) -> LifeEvent:
    """Correct an event: only the fields given change."""
    event = get_event(db, actor=actor, child_id=child_id, event_id=event_id)
    child = _child(db, actor, child_id)
    children.refuse_if_anonymised(child)
    given = data.model_fields_set
    if "kind" in given and data.kind is None:
        raise Invalid("Choose what happened", [_problem("kind", "Choose what happened")])
    if "date" in given and data.date is None:
        raise Invalid("Enter the date", [_problem("date", "Enter the date of the event")])
    kind = data.kind if data.kind is not None else event.kind
    day = data.date if data.date is not None else event.date
    note = _clean(data.note) if "note" in given else event.note
    _check(child, day=day, note=note, today=today)
    changes: dict[str, Any] = {}
    if kind != event.kind:
        changes["kind"] = [event.kind.value, kind.value]
    if day != event.date:
        changes["date"] = [event.date.isoformat(), day.isoformat()]
    if note != event.note:
        changes["note"] = "changed"
    if changes:
        event.kind, event.date, event.note = kind, day, note
        db.add(event)
        audit.record(
            db,
            org_id=actor.org_id,
            actor=actor,
            action="update",
            entity="life_event",
            entity_id=event.id,
            changes={"child_id": [child_id, child_id], **changes},
        )
    return event


def delete_event(db: Session, *, actor: User, child_id: int, event_id: int) -> LifeEvent:
    """Delete an event recorded in error (the trail keeps its kind and date)."""
    event = get_event(db, actor=actor, child_id=child_id, event_id=event_id)
    children.refuse_if_anonymised(_child(db, actor, child_id))
    audit.record(
        db,
        org_id=actor.org_id,
        actor=actor,
        action="delete",
        entity="life_event",
        entity_id=event.id,
        changes={
            "child_id": [child_id, None],
            "kind": [event.kind.value, None],
            "date": [event.date.isoformat(), None],
            **({"note": "changed"} if event.note else {}),
        },
    )
    db.delete(event)
    db.flush()
    return event


# Before and since the first session -----------------------------------------------------------


def first_sessions(db: Session, *, org_id: int, child_ids: Iterable[int]) -> dict[int, dt.date]:
    """{child id: the date of their first session} for those of `child_ids` who have one:
    the same first session the assessment windows count from (the first session on their
    register in their first enrolment with one; app/outcomes/assessments/windows.py). One
    query."""
    return {
        child_id: anchors.first
        for child_id, anchors in load_anchors(db, org_id=org_id, child_ids=child_ids).items()
    }


@dataclass(frozen=True)
class EventCounts:
    """A child's events before (the 12 months before their first session) and since (from
    the first session to as_of), by kind, with the days each window covers."""

    first_session: dt.date
    days_before: int
    days_since: int
    before: dict[EventKind, int]
    since: dict[EventKind, int]


def event_counts(
    db: Session, *, actor: User, child_ids: Sequence[int], as_of: dt.date
) -> dict[int, EventCounts]:
    """{child id: EventCounts} for those of `child_ids` whose first session (see
    `first_sessions`) is on or before as_of: two queries, whatever their number."""
    _require_lead(actor)
    firsts = {
        child_id: day
        for child_id, day in first_sessions(db, org_id=actor.org_id, child_ids=child_ids).items()
        if day <= as_of
    }
    counted: dict[int, EventCounts] = {
        child_id: EventCounts(day, BEFORE_DAYS, (as_of - day).days + 1, {}, {})
        for child_id, day in firsts.items()
    }
    if not counted:
        return counted
    earliest = min(firsts.values()) - dt.timedelta(days=BEFORE_DAYS)
    rows = db.exec(
        select_rows(col(LifeEvent.child_id), col(LifeEvent.kind), col(LifeEvent.date)).where(
            col(LifeEvent.org_id) == actor.org_id,
            col(LifeEvent.child_id).in_(list(counted)),
            col(LifeEvent.date) >= earliest,
            col(LifeEvent.date) <= as_of,
        )
    )
    for child_id, kind, day in rows:
        first = firsts[child_id]
        kind = EventKind(kind)
        if first - dt.timedelta(days=BEFORE_DAYS) <= day < first:
            counted[child_id].before[kind] = counted[child_id].before.get(kind, 0) + 1
        elif first <= day:
            counted[child_id].since[kind] = counted[child_id].since.get(kind, 0) + 1
    return counted


@dataclass(frozen=True)
class EventRate:
    kind: EventKind
    rate_before: float | None
    rate_during_after: float | None
    child_years_before: float
    child_years_during_after: float


def event_rates(
    db: Session, *, actor: User, child_ids: Sequence[int], as_of: dt.date
) -> list[EventRate]:
    """Events per child-year, by kind (in EventKind's order), before and since the first
    session. Two queries, whatever the number of children.

    Definitions:
    - A child counts when their first session (the first on their register, the one the
      baseline window counts from: `first_sessions`) is on or before as_of. Children
      without one are left out of both windows.
    - Before: events dated in the 365 days before the first session (first - 365 days up to
      the day before the first session); each counted child adds 365 days.
    - During and after: events dated from the first session to as_of, both included; each
      counted child adds (as_of - first session) + 1 days.
    - Child-years = the windows' days summed over the counted children / 365.25; a rate is
      the events in the window / its child-years, None when there are no child-years.
    - Events of another organisation's children, or of children not in child_ids, never
      count; events after as_of are not yet known and do not count.
    """
    counted = event_counts(db, actor=actor, child_ids=child_ids, as_of=as_of)
    years_before = sum(c.days_before for c in counted.values()) / DAYS_PER_YEAR
    years_since = sum(c.days_since for c in counted.values()) / DAYS_PER_YEAR
    before: dict[EventKind, int] = defaultdict(int)
    since: dict[EventKind, int] = defaultdict(int)
    for c in counted.values():
        for kind, n in c.before.items():
            before[kind] += n
        for kind, n in c.since.items():
            since[kind] += n
    return [
        EventRate(
            kind,
            before[kind] / years_before if years_before else None,
            since[kind] / years_since if years_since else None,
            years_before,
            years_since,
        )
        for kind in EventKind
    ]
