"""JSON API for a child's whole record (subject access)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app.auth.deps import LeadUser
from app.db import DbSession
from app.errors import problem_responses
from app.records import service
from app.web import PathId

router = APIRouter(prefix="/children", tags=["children"], responses=problem_responses(401))


@router.get(
    "/{child_id}/export",
    summary="Everything held on one child, for a subject access request (lead)",
    responses=problem_responses(403, 404),
)
def export_child(db: DbSession, actor: LeadUser, child_id: PathId) -> dict[str, Any]:
    return service.export_child(db, actor=actor, child_id=child_id)
