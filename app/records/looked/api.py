"""JSON API: who looked at a child's record (lead, admin)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from app.auth.deps import LeadUser, Today
from app.db import DbSession
from app.errors import problem_responses
from app.records.looked import service
from app.web import Day, PathId

router = APIRouter(prefix="/children", tags=["children"], responses=problem_responses(401))


class ViewPublic(BaseModel):
    at: datetime
    user_id: int | None = Field(description="Null once the person's account has gone.")
    name: str | None
    role: str | None
    what: str = Field(description="record, export, outcomes, events or audit")
    what_words: str = Field(description="What they opened, in words.")


class ViewsPage(BaseModel):
    since: str = Field(description="The first day counted (the organisation's date).")
    items: list[ViewPublic]
    total: int


@router.get(
    "/{child_id}/views",
    response_model=ViewsPage,
    summary="Who looked at a child's record, newest first (lead, admin)",
    description=(
        "Every opening of the child's page, their outcomes or life events, the download of "
        "their whole record or the audit of it, from `since` (default: a year before today)."
    ),
    responses=problem_responses(403, 404, 422),
)
def child_views(
    db: DbSession,
    actor: LeadUser,
    today: Today,
    child_id: PathId,
    since: Annotated[Day | None, Query(description="First day (organisation's date)")] = None,
    limit: int = Query(default=service.PAGE_SIZE, ge=1, le=500),
    offset: int = Query(default=0, ge=0, le=10_000_000),
) -> ViewsPage:
    looks = service.child_views(
        db, actor=actor, child_id=child_id, today=today, since=since, limit=limit, offset=offset
    )
    return ViewsPage(
        since=looks.since.isoformat(),
        items=[
            ViewPublic(
                at=v.at,
                user_id=v.user_id,
                name=v.name,
                role=v.role,
                what=v.what,
                what_words=v.what_words,
            )
            for v in looks.views
        ],
        total=looks.total,
    )
