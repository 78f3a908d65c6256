"""Who changed what, when: written in the same transaction as the change."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (
        Index(None, "org_id", "at"),
        Index(None, "org_id", "entity", "entity_id"),
        Index(None, "org_id", "actor_id", "at"),  # the trail's "who made the change" filter
    )

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id")
    actor_id: int | None = Field(default=None, foreign_key="user_account.id")
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    action: str = Field(max_length=64)
    entity: str = Field(max_length=64)
    entity_id: int | None = None
    changes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    request_id: str | None = Field(default=None, max_length=64)


class RecordView(SQLModel, table=True):
    """Who looked at a child's record, and when (UK GDPR accountability): written when a
    person opens the child's page, their export, their outcomes or their audit page."""

    __tablename__ = "record_view"
    __table_args__ = (
        Index(None, "org_id", "child_id", "at"),
        Index(None, "org_id", "at"),  # retention's clean-up of old rows
    )

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id")
    child_id: int = Field(foreign_key="child.id")
    user_id: int | None = Field(default=None, foreign_key="user_account.id")
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    # What was looked at: "record", "export", "outcomes", "audit" (app/audit/service.py).
    what: str = Field(max_length=32)
    request_id: str | None = Field(default=None, max_length=64)
