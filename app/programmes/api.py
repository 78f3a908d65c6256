"""JSON API: the organisation's programmes (API.md, "Programmes"). Leads read them (they
choose one for a cohort or a match); admins set them up."""

from __future__ import annotations

from fastapi import APIRouter, status

from app.auth.deps import AdminUser, LeadUser
from app.db import DbSession
from app.errors import problem_responses
from app.programmes import service
from app.programmes.schemas import ProgrammeCreate, ProgrammePublic, ProgrammeUpdate

router = APIRouter(prefix="/programmes", tags=["programmes"], responses=problem_responses(401, 403))


@router.get("", response_model=list[ProgrammePublic], summary="My organisation's programmes")
def list_programmes(
    db: DbSession, actor: LeadUser, include_archived: bool = False
) -> list[ProgrammePublic]:
    return [
        service.public(p)
        for p in service.list_programmes(db, actor.org_id, include_archived=include_archived)
    ]


@router.post(
    "",
    response_model=ProgrammePublic,
    status_code=status.HTTP_201_CREATED,
    summary="Set up a programme (admin)",
    responses=problem_responses(409, 422),
)
def create_programme(db: DbSession, actor: AdminUser, body: ProgrammeCreate) -> ProgrammePublic:
    return service.public(service.create_programme(db, actor=actor, data=body))


@router.get(
    "/{programme_id}",
    response_model=ProgrammePublic,
    summary="One programme",
    responses=problem_responses(404),
)
def get_programme(db: DbSession, actor: LeadUser, programme_id: int) -> ProgrammePublic:
    return service.public(service.get_programme(db, actor.org_id, programme_id))


@router.patch(
    "/{programme_id}",
    response_model=ProgrammePublic,
    summary="Change a programme's settings (admin)",
    responses=problem_responses(404, 409, 422),
)
def update_programme(
    db: DbSession, actor: AdminUser, programme_id: int, body: ProgrammeUpdate
) -> ProgrammePublic:
    return service.public(
        service.update_programme(db, actor=actor, programme_id=programme_id, data=body)
    )
