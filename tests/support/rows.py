"""Reading what the database holds: row counts, audit events, and a cohort's sessions that
still run."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlmodel import Session, SQLModel, func, select

from app.audit.models import AuditEvent


def table(model: type[SQLModel]) -> Table:
    """The model's table, for Core statements that skip the ORM."""
    found: Table = model.__table__  # type: ignore[attr-defined]  # SQLModel's stubs lack it
    return found


def count_rows(db: Session, model: type[SQLModel]) -> int:
    return int(db.exec(select(func.count()).select_from(model)).one())


def live(sessions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A cohort's sessions (as the API shows them) that are not cancelled, in week order."""
    return sorted((s for s in sessions if s["status"] != "cancelled"), key=lambda s: s["week"])


def audit_count(db: Session, action: str | None = None, entity: str | None = None) -> int:
    """Audit events on record, of one action and kind of entity if given."""
    stmt = select(func.count()).select_from(AuditEvent)
    if action is not None:
        stmt = stmt.where(AuditEvent.action == action)
    if entity is not None:
        stmt = stmt.where(AuditEvent.entity == entity)
    return int(db.exec(stmt).one())
