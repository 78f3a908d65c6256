"""Writing and reading the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from asgi_correlation_id import correlation_id
from sqlalchemy import column, func, insert, table
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.audit.models import AuditEvent, RecordView
from app.db import after_commit
from app.exceptions import Invalid

_INSERT = insert(AuditEvent.__table__)  # type: ignore[attr-defined]
_LOOKED = insert(RecordView.__table__)  # type: ignore[attr-defined]
# Auth's table of people, named here rather than imported: every domain writes the trail,
# auth too, so the trail imports no domain (CONVENTIONS.md, "import only downwards").
_users = table("user_account", column("id"), column("name"))
SECRET_WORDS = ("password", "token", "hash", "secret")


class Actor(Protocol):
    """Who made a change: a user of the organisation."""

    @property
    def id(self) -> int | None: ...

    @property
    def org_id(self) -> int: ...


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def changes_between(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """{field: [old, new]} for the fields that differ; secrets are named, never shown."""
    out: dict[str, Any] = {}
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if any(word in key for word in SECRET_WORDS):
            out[key] = "changed"
        else:
            out[key] = [_plain(old), _plain(new)]
    return out


def record(
    db: Session,
    *,
    org_id: int,
    actor: Actor | None,
    action: str,
    entity: str,
    entity_id: int | None,
    changes: dict[str, Any] | None = None,
) -> None:
    """Add an event to the caller's transaction: it commits or rolls back with the change.
    A prebuilt INSERT after flushing what the caller has pending (the event may name it)."""
    db.flush()
    db.execute(
        _INSERT,
        {
            "org_id": org_id,
            "actor_id": actor.id if actor else None,
            "at": datetime.now(UTC),
            "action": action,
            "entity": entity,
            "entity_id": entity_id,
            "changes": changes or {},
            "request_id": correlation_id.get(),
        },
    )


def update(
    db: Session,
    obj: Any,
    changes: dict[str, Any],
    *,
    actor: Actor,
    entity: str,
    entity_id: int | None,
) -> dict[str, Any]:
    """Set `changes` on a row and audit the fields that really change ("update"), in the
    caller's transaction; nothing at all when nothing differs. Returns the audited diff."""
    diff = changes_between({key: getattr(obj, key) for key in changes}, changes)
    if not diff:
        return diff
    for key, value in changes.items():
        setattr(obj, key, value)
    if hasattr(obj, "updated_at"):
        obj.updated_at = datetime.now(UTC)
    db.add(obj)
    db.flush()
    record(
        db,
        org_id=actor.org_id,
        actor=actor,
        action="update",
        entity=entity,
        entity_id=entity_id,
        changes=diff,
    )
    return diff


# Who looked at a child's record (UK GDPR accountability) ---------------------------------

# What a person opened, by the `what` that `looked` records, in words.
LOOKED_WORDS = {
    "record": "The child's page",
    "export": "Their whole record (subject access download)",
    "outcomes": "Their outcomes (assessments)",
    "events": "Their life events",
    "audit": "The audit of their record",
    "fidelity": "Their attendance, dosage and mentoring (fidelity)",
}


def looked(db: Session, *, actor: Actor, child_id: int, what: str) -> None:
    """Note that `actor` opened one child's record: their page, their export, their
    outcomes or life events, or the audit of their record (`what`, a key of LOOKED_WORDS).

    Call it once the child has been found for the actor (so a refused or missing child is
    never noted). It costs one INSERT and no SELECT: the row is written in a transaction of
    its own just after the request's commits (app/db.py `after_commit`), so a page that
    only reads stays a read on SQLite, and a request that fails notes nothing. Lists of
    children (the children index, a register, a cohort) are not noted: only opening one
    child's record is."""
    values = {
        "org_id": actor.org_id,
        "child_id": child_id,
        "user_id": actor.id,
        "at": datetime.now(UTC),
        "what": what,
        "request_id": correlation_id.get(),
    }
    after_commit(db, lambda session: session.execute(_LOOKED, values))


_viewers = table("user_account", column("id"), column("name"), column("role"))


@dataclass(frozen=True)
class View:
    """One look at a child's record: who (None once their account has gone), their role,
    when and what."""

    at: datetime
    user_id: int | None
    name: str | None
    role: str | None
    what: str

    @property
    def what_words(self) -> str:
        return LOOKED_WORDS.get(self.what, self.what.replace("_", " ").capitalize())


def list_views(
    db: Session,
    *,
    org_id: int,
    child_id: int,
    since: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[View], int]:
    """Who looked at one child's record, newest first, with their name and role; and how
    many looks there are in all. Two queries, whatever the page's size."""
    where: list[Any] = [RecordView.org_id == org_id, RecordView.child_id == child_id]
    if since is not None:
        where.append(col(RecordView.at) >= since)
    total = db.exec(select(func.count()).select_from(RecordView).where(*where)).one()
    rows = db.execute(
        sa_select(
            col(RecordView.at),
            col(RecordView.user_id),
            _viewers.c.name,
            _viewers.c.role,
            col(RecordView.what),
        )
        .join(_viewers, _viewers.c.id == col(RecordView.user_id), isouter=True)
        .where(*where)
        .order_by(col(RecordView.at).desc(), col(RecordView.id).desc())
        .limit(limit)
        .offset(offset)
    ).all()
    views = [
        View(
            at=at,
            user_id=user_id,
            name=name,
            role=getattr(role, "value", role),
            what=what,
        )
        for at, user_id, name, role, what in rows
    ]
    return views, int(total)


# What the sign-ins view shows (app/auth: a web sign-in and sign-out, an API token issued
# or revoked, an account locked after too many wrong passwords). The changes view leaves
# them out; the API shows every event unless asked for one kind.
SIGN_IN_ACTIONS = (
    "sign_in",
    "sign_out",
    "end_sessions",
    "issue_token",
    "revoke_token",
    "lock",
    "sign_in_refused",
)
LONDON = ZoneInfo("Europe/London")  # the organisation's days, as the pages show them


@dataclass(frozen=True)
class EventFilter:
    """Which events to list: by who made the change, the record, the days (inclusive, the
    organisation's local dates) and the kind ("changes", "sign_ins" or every event)."""

    actor_id: int | None = None
    entity: str | None = None
    entity_id: int | None = None
    start: date | None = None
    end: date | None = None
    kind: str | None = None


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), LONDON).astimezone(UTC)


def _where(org_id: int, flt: EventFilter) -> list[Any]:
    where: list[Any] = [AuditEvent.org_id == org_id]
    if flt.actor_id is not None:
        where.append(AuditEvent.actor_id == flt.actor_id)
    if flt.entity:
        where.append(AuditEvent.entity == flt.entity)
    if flt.entity_id is not None:
        where.append(AuditEvent.entity_id == flt.entity_id)
    if flt.start is not None:
        where.append(col(AuditEvent.at) >= _local_midnight(flt.start))
    if flt.end is not None and flt.end < date.max:
        where.append(col(AuditEvent.at) < _local_midnight(flt.end + timedelta(days=1)))
    if flt.kind == "sign_ins":
        where.append(col(AuditEvent.action).in_(SIGN_IN_ACTIONS))
    elif flt.kind == "changes":
        where.append(col(AuditEvent.action).not_in(SIGN_IN_ACTIONS))
    return where


def list_events(
    db: Session,
    *,
    org_id: int,
    entity: str | None = None,
    entity_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
    where: EventFilter | None = None,
) -> tuple[list[tuple[AuditEvent, str | None]], int]:
    """Newest first, with the actor's name; and the total matching. `where` (when given)
    filters by every field of EventFilter; `entity` and `entity_id` alone are the old way."""
    flt = where or EventFilter(entity=entity, entity_id=entity_id)
    conditions = _where(org_id, flt)
    total = db.exec(select(func.count()).select_from(AuditEvent).where(*conditions)).one()
    rows = db.exec(
        select(AuditEvent, _users.c.name)
        .join(_users, _users.c.id == col(AuditEvent.actor_id), isouter=True)
        .where(*conditions)
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return [(event, name) for event, name in rows], int(total)


def check_filter(db: Session, *, org_id: int, flt: EventFilter) -> None:
    """Invalid (422, naming the field) for a `to` before `from`, a kind of record Tandem
    does not audit, or a person who is not of the organisation."""
    errors: list[dict[str, Any]] = []
    if flt.start is not None and flt.end is not None and flt.end < flt.start:
        errors.append(_problem("to", "The 'to' date must be the same as or after the 'from' date"))
    if flt.entity and flt.entity not in known_entities(db, org_id=org_id):
        errors.append(_problem("entity", f"Tandem keeps no audit of '{flt.entity}' records"))
    if flt.actor_id is not None and flt.actor_id not in dict(actors(db, org_id=org_id)):
        errors.append(_problem("actor_id", "Choose a person of your organisation"))
    if errors:
        raise Invalid(errors[0]["msg"], errors)


def _problem(name: str, message: str) -> dict[str, Any]:
    return {"loc": ["query", name], "msg": message, "type": "value_error"}


def actors(db: Session, *, org_id: int) -> list[tuple[int, str]]:
    """Everyone of the organisation, by name: the "who made the change" choices."""
    users = table("user_account", column("id"), column("name"), column("org_id"))
    rows = db.exec(
        select(users.c.id, users.c.name)
        .where(users.c.org_id == org_id)
        .order_by(users.c.name, users.c.id)
    ).all()
    return [(int(i), str(n)) for i, n in rows]


# The kinds of record the services audit today (grep "entity=" app); any other kind already
# in the organisation's trail is known too, so a new one needs no change here.
AUDITED = (
    "child",
    "closure",
    "cohort",
    "enrolment",
    "flag_acknowledgement",
    "match",
    "mentor_profile",
    "organisation",
    "practice_assignment",
    "session",
    "user",
    "visit",
)


def known_entities(db: Session, *, org_id: int) -> list[str]:
    return sorted(set(AUDITED) | set(entities(db, org_id=org_id)))


# The names behind ids ---------------------------------------------------------------------
# The tables of every domain, named here rather than imported (the trail sits below them
# all): one query per kind of record, whatever the number of events on a page.

_t_child = table("child", column("id"), column("org_id"), column("first_name"), column("reference"))
_t_user = table("user_account", column("id"), column("org_id"), column("name"))
_t_cohort = table("cohort", column("id"), column("org_id"), column("name"))
_t_session = table(
    "group_session", column("id"), column("org_id"), column("cohort_id"), column("date")
)
_t_enrolment = table(
    "enrolment", column("id"), column("org_id"), column("child_id"), column("cohort_id")
)
_t_match = table(
    "mentor_match", column("id"), column("org_id"), column("child_id"), column("mentor_id")
)
_t_visit = table("mentor_visit", column("id"), column("org_id"), column("child_id"), column("date"))
_t_closure = table(
    "closure",
    column("id"),
    column("org_id"),
    column("reason"),
    column("start_date"),
    column("end_date"),
)
_t_org = table("organisation", column("id"), column("name"))
_t_assignment = table(
    "practice_assignment", column("id"), column("org_id"), column("child_id"), column("task_id")
)
_t_task = table("curriculum_practice_task", column("id"), column("title"))
_t_activity = table("curriculum_activity", column("id"), column("title"))
_t_curriculum = table("curriculum", column("id"), column("title"), column("version"))


def _child_cols() -> tuple[Any, Any]:
    return _t_child.c.first_name, _t_child.c.reference


def _lookup(kind: str, ids: list[int], org_id: int) -> Any:
    """The statement that names `ids` of one kind: rows of (id, *parts)."""
    if kind == "child":
        return select(_t_child.c.id, *_child_cols()).where(
            _t_child.c.id.in_(ids), _t_child.c.org_id == org_id
        )
    if kind == "user":
        return select(_t_user.c.id, _t_user.c.name).where(
            _t_user.c.id.in_(ids), _t_user.c.org_id == org_id
        )
    if kind == "cohort":
        return select(_t_cohort.c.id, _t_cohort.c.name).where(
            _t_cohort.c.id.in_(ids), _t_cohort.c.org_id == org_id
        )
    if kind == "session":
        return (
            select(_t_session.c.id, _t_cohort.c.name, _t_session.c.date)
            .join(_t_cohort, _t_cohort.c.id == _t_session.c.cohort_id)
            .where(_t_session.c.id.in_(ids), _t_session.c.org_id == org_id)
        )
    if kind == "enrolment":
        return (
            select(_t_enrolment.c.id, *_child_cols(), _t_cohort.c.name)
            .join(_t_child, _t_child.c.id == _t_enrolment.c.child_id)
            .join(_t_cohort, _t_cohort.c.id == _t_enrolment.c.cohort_id)
            .where(_t_enrolment.c.id.in_(ids), _t_enrolment.c.org_id == org_id)
        )
    if kind == "match":
        return (
            select(_t_match.c.id, *_child_cols(), _t_user.c.name)
            .join(_t_child, _t_child.c.id == _t_match.c.child_id)
            .join(_t_user, _t_user.c.id == _t_match.c.mentor_id)
            .where(_t_match.c.id.in_(ids), _t_match.c.org_id == org_id)
        )
    if kind == "visit":
        return (
            select(_t_visit.c.id, *_child_cols(), _t_visit.c.date)
            .join(_t_child, _t_child.c.id == _t_visit.c.child_id)
            .where(_t_visit.c.id.in_(ids), _t_visit.c.org_id == org_id)
        )
    if kind == "closure":
        return select(
            _t_closure.c.id, _t_closure.c.reason, _t_closure.c.start_date, _t_closure.c.end_date
        ).where(_t_closure.c.id.in_(ids), _t_closure.c.org_id == org_id)
    if kind == "organisation":
        return select(_t_org.c.id, _t_org.c.name).where(_t_org.c.id.in_(ids), _t_org.c.id == org_id)
    if kind == "practice_assignment":
        return (
            select(_t_assignment.c.id, *_child_cols(), _t_task.c.title)
            .join(_t_child, _t_child.c.id == _t_assignment.c.child_id)
            .join(_t_task, _t_task.c.id == _t_assignment.c.task_id)
            .where(_t_assignment.c.id.in_(ids), _t_assignment.c.org_id == org_id)
        )
    if kind == "activity":  # curriculum content, shared by every organisation
        return select(_t_activity.c.id, _t_activity.c.title).where(_t_activity.c.id.in_(ids))
    if kind == "curriculum":
        return select(_t_curriculum.c.id, _t_curriculum.c.title, _t_curriculum.c.version).where(
            _t_curriculum.c.id.in_(ids)
        )
    return None


NAMED_KINDS = (
    "child",
    "user",
    "cohort",
    "session",
    "enrolment",
    "match",
    "visit",
    "closure",
    "organisation",
    "practice_assignment",
    "activity",
    "curriculum",
)


def names(
    db: Session, *, org_id: int, wanted: dict[str, set[int]]
) -> dict[str, dict[int, tuple[Any, ...]]]:
    """{kind: {id: parts}} for the ids wanted: at most one query per kind in NAMED_KINDS
    (a kind with no ids wanted, or not named here, costs nothing). A row that has gone, or
    is another organisation's, is simply missing."""
    found: dict[str, dict[int, tuple[Any, ...]]] = {}
    for kind in NAMED_KINDS:
        ids = sorted(i for i in wanted.get(kind, set()) if isinstance(i, int))
        if not ids:
            continue
        statement = _lookup(kind, ids, org_id)
        found[kind] = {int(row[0]): tuple(row[1:]) for row in db.execute(statement).all()}
    return found


def entities(db: Session, *, org_id: int) -> list[str]:
    return list(
        db.exec(
            select(AuditEvent.entity)
            .where(AuditEvent.org_id == org_id)
            .distinct()
            .order_by(col(AuditEvent.entity))
        ).all()
    )
