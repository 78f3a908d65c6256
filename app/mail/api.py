"""The outbox, for admins: what Tandem has emailed their organisation's people, and
trying a failed message again. Never the bodies: they may hold links with tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from app.auth.deps import AdminUser
from app.db import DbSession
from app.errors import problem_responses
from app.mail import delivery
from app.mail.models import OutboxMessage
from app.web import PathId

router = APIRouter(tags=["outbox"])


class OutboxMessagePublic(BaseModel):
    id: int
    kind: str
    to: str
    subject: str
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime | None  # when it is tried again (queued only)
    sent_at: datetime | None


class OutboxCounts(BaseModel):
    queued: int  # waiting to be sent, or being sent
    sent: int  # in the last 7 days
    failed: int  # in the last 7 days


class OutboxPage(BaseModel):
    counts: OutboxCounts
    items: list[OutboxMessagePublic]


def public(message: OutboxMessage) -> OutboxMessagePublic:
    return OutboxMessagePublic(
        id=message.id or 0,
        kind=message.kind,
        to=message.to_address,
        subject=message.subject,
        status=message.status.value,
        attempts=message.attempts,
        last_error=message.last_error,
        created_at=message.created_at,
        next_attempt_at=message.next_attempt_at if message.status == "queued" else None,
        sent_at=message.sent_at,
    )


@router.get(
    "/outbox",
    response_model=OutboxPage,
    responses=problem_responses(401, 403, 422),
)
def list_outbox(
    db: DbSession,
    actor: AdminUser,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> OutboxPage:
    """The organisation's email: counts of the last 7 days and the latest messages."""
    found = delivery.summary(db, actor=actor, limit=limit)
    return OutboxPage(
        counts=OutboxCounts(queued=found.queued, sent=found.sent, failed=found.failed),
        items=[public(message) for message in found.messages],
    )


@router.post(
    "/outbox/{message_id}/retry",
    response_model=OutboxMessagePublic,
    responses=problem_responses(401, 403, 404, 409),
)
def retry_message(db: DbSession, actor: AdminUser, message_id: PathId) -> OutboxMessagePublic:
    """Queue a failed message again (409 unless it failed)."""
    return public(delivery.retry(db, actor=actor, message_id=message_id))
