"""JSON API for a child's whole record: subject access, retention's legal hold, and erasing
a record made in error."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from app.auth.deps import AdminUser, LeadUser
from app.children.schemas import ChildPublic
from app.db import DbSession
from app.errors import problem_responses
from app.records import erasure, retention, service
from app.records.schemas import EraseRequest, LegalHoldIn
from app.web import PathId

router = APIRouter(prefix="/children", tags=["children"], responses=problem_responses(401))


@router.get(
    "/{child_id}/export",
    summary="Everything held on one child, for a subject access request (lead)",
    responses=problem_responses(403, 404),
)
def export_child(db: DbSession, actor: LeadUser, child_id: PathId) -> dict[str, Any]:
    return service.export_child(db, actor=actor, child_id=child_id)


@router.put(
    "/{child_id}/legal-hold",
    response_model=ChildPublic,
    summary="Keep the child's record from retention's anonymisation, with a reason (lead)",
    responses=problem_responses(403, 404, 409, 422),
)
def place_legal_hold(
    db: DbSession, actor: LeadUser, child_id: PathId, body: LegalHoldIn
) -> ChildPublic:
    child = retention.place_legal_hold(db, actor=actor, child_id=child_id, reason=body.reason)
    return ChildPublic.model_validate(child)


@router.delete(
    "/{child_id}/legal-hold",
    response_model=ChildPublic,
    summary="Lift the legal hold: retention applies to the record again (lead)",
    responses=problem_responses(403, 404),
)
def lift_legal_hold(db: DbSession, actor: LeadUser, child_id: PathId) -> ChildPublic:
    child = retention.lift_legal_hold(db, actor=actor, child_id=child_id)
    return ChildPublic.model_validate(child)


@router.post(
    "/{child_id}/erase",
    status_code=204,
    response_class=Response,
    summary="Erase a child's record made in error (admin); 409 once it has been used",
    responses=problem_responses(403, 404, 409, 422),
)
def erase_child(db: DbSession, actor: AdminUser, child_id: PathId, body: EraseRequest) -> Response:
    erasure.erase_child(db, actor=actor, child_id=child_id, reason=body.reason)
    return Response(status_code=204)
