"""Writing and reading the audit trail."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from enum import Enum
from typing import Any, Protocol

from asgi_correlation_id import correlation_id
from sqlalchemy import column, func, insert, table
from sqlmodel import Session, col, select

from app.audit.models import AuditEvent

_INSERT = insert(AuditEvent.__table__)  # type: ignore[attr-defined]
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


def list_events(
    db: Session,
    *,
    org_id: int,
    entity: str | None = None,
    entity_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[tuple[AuditEvent, str | None]], int]:
    """Newest first, with the actor's name; and the total matching."""
    where = [AuditEvent.org_id == org_id]
    if entity:
        where.append(AuditEvent.entity == entity)
    if entity_id is not None:
        where.append(AuditEvent.entity_id == entity_id)
    total = db.exec(select(func.count()).select_from(AuditEvent).where(*where)).one()
    rows = db.exec(
        select(AuditEvent, _users.c.name)
        .join(_users, _users.c.id == col(AuditEvent.actor_id), isouter=True)
        .where(*where)
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return [(event, name) for event, name in rows], int(total)


def entities(db: Session, *, org_id: int) -> list[str]:
    return list(
        db.exec(
            select(AuditEvent.entity)
            .where(AuditEvent.org_id == org_id)
            .distinct()
            .order_by(col(AuditEvent.entity))
        ).all()
    )
