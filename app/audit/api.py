"""The audit trail, for leads and admins."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from app.audit import service
from app.auth.deps import LeadUser
from app.db import DbSession
from app.errors import problem_responses

router = APIRouter(tags=["audit"])


class AuditEventPublic(BaseModel):
    id: int
    at: datetime
    actor_id: int | None
    actor_name: str | None
    action: str
    entity: str
    entity_id: int | None
    changes: dict[str, Any]
    request_id: str | None


class AuditPage(BaseModel):
    items: list[AuditEventPublic]
    total: int


@router.get(
    "/audit",
    response_model=AuditPage,
    summary="Who changed what, newest first (lead, admin)",
    responses=problem_responses(401, 403),
)
def list_audit(
    db: DbSession,
    user: LeadUser,
    entity: str | None = Query(default=None, max_length=64, pattern=r"^[a-z_]+$"),
    entity_id: int | None = Query(default=None, ge=1, le=2**31 - 1),
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0, le=10_000_000),
) -> AuditPage:
    rows, total = service.list_events(
        db, org_id=user.org_id, entity=entity, entity_id=entity_id, limit=limit, offset=offset
    )
    items = [
        AuditEventPublic(
            id=e.id or 0,
            at=e.at,
            actor_id=e.actor_id,
            actor_name=name,
            action=e.action,
            entity=e.entity,
            entity_id=e.entity_id,
            changes=e.changes,
            request_id=e.request_id,
        )
        for e, name in rows
    ]
    return AuditPage(items=items, total=total)
