"""The outbox: every email Tandem sends is first a row here, written in the same
transaction as the change that causes it, then sent by a worker (app/notify/worker.py)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime, str_enum


class OutboxStatus(StrEnum):
    queued = "queued"  # waiting for its next attempt (next_attempt_at)
    sending = "sending"  # taken by a worker until claimed_until
    sent = "sent"
    failed = "failed"  # gave up after the last retry; kept for the admin to see


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox_message"
    __table_args__ = (
        Index(None, "status", "next_attempt_at"),
        Index(None, "org_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    org_id: int | None = Field(default=None, foreign_key="organisation.id")
    user_id: int | None = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
    kind: str = Field(max_length=40)
    to_address: str = Field(max_length=254)
    subject: str = Field(max_length=200)
    body_text: str = Field(sa_column=Column(Text, nullable=False))
    # At most one message for a (kind, object, day): reminders sent by two workers, or a
    # trigger that runs twice, find the key taken and add nothing.
    dedupe_key: str | None = Field(default=None, max_length=200, unique=True)
    status: OutboxStatus = Field(
        default=OutboxStatus.queued,
        sa_column=Column(str_enum(OutboxStatus, "outbox_status"), nullable=False),
    )
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    claimed_by: str | None = Field(default=None, max_length=100)
    claimed_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


__all__ = ["OutboxMessage", "OutboxStatus"]
