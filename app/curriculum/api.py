"""JSON API for curricula."""

from __future__ import annotations

from fastapi import APIRouter, Path

from app.auth.deps import CurrentUser
from app.curriculum import service
from app.curriculum.schemas import CurriculumPublic, WeekPublic
from app.db import DbSession
from app.errors import problem_responses

router = APIRouter(prefix="/curricula", tags=["curriculum"], responses=problem_responses(401))

CurriculumId = Path(ge=1, le=2**31 - 1, description="The curriculum version's id.")


@router.get("", response_model=list[CurriculumPublic], summary="Every curriculum version")
def list_curricula(db: DbSession, user: CurrentUser) -> list[CurriculumPublic]:
    return [
        CurriculumPublic(
            id=s.curriculum.id or 0,
            slug=s.curriculum.slug,
            version=s.curriculum.version,
            title=s.curriculum.title,
            weeks=s.weeks,
            description=s.curriculum.description,
            loaded_at=s.curriculum.loaded_at,
            latest=s.latest,
        )
        for s in service.list_curricula(db)
    ]


@router.get(
    "/{curriculum_id}/weeks",
    response_model=list[WeekPublic],
    summary="The weeks of one curriculum version, with activities and practice tasks",
    responses=problem_responses(404),
)
def list_weeks(
    db: DbSession, user: CurrentUser, curriculum_id: int = CurriculumId
) -> list[WeekPublic]:
    return service.week_contents(db, curriculum_id)
