"""JSON API for children."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from app.auth.deps import CurrentUser, LeadUser, Today
from app.children import service
from app.children.schemas import ChildCreate, ChildPublic, ChildUpdate
from app.db import DbSession
from app.errors import problem_responses
from app.idempotency import Idempotent
from app.web import PathId

router = APIRouter(prefix="/children", tags=["children"], responses=problem_responses(401))


@router.post(
    "",
    status_code=201,
    response_model=ChildPublic,
    summary="Register a child (lead)",
    responses=problem_responses(403, 409, 422),
)
def create_child(
    db: DbSession, actor: LeadUser, today: Today, body: ChildCreate, once: Idempotent
) -> ChildPublic | Response:
    if (replay := once.replay()) is not None:
        return replay
    child = service.create_child(db, actor=actor, data=body, today=today)
    return once.keep(ChildPublic.model_validate(child))


@router.get(
    "",
    response_model=list[ChildPublic],
    summary="Children I may see; search by reference or first name",
)
def list_children(
    db: DbSession, actor: CurrentUser, q: str | None = Query(default=None, max_length=60)
) -> list[ChildPublic]:
    return [ChildPublic.model_validate(c) for c in service.list_children(db, actor=actor, q=q)]


@router.get(
    "/{child_id}", response_model=ChildPublic, summary="One child", responses=problem_responses(404)
)
def get_child(db: DbSession, actor: CurrentUser, child_id: PathId) -> ChildPublic:
    return ChildPublic.model_validate(service.get_child(db, actor=actor, child_id=child_id))


@router.patch(
    "/{child_id}",
    response_model=ChildPublic,
    summary="Correct a child's record (lead)",
    responses=problem_responses(403, 404, 409, 422),
)
def update_child(
    db: DbSession, actor: LeadUser, today: Today, body: ChildUpdate, child_id: PathId
) -> ChildPublic:
    child = service.update_child(db, actor=actor, child_id=child_id, data=body, today=today)
    return ChildPublic.model_validate(child)
