"""JSON API for assessments (API.md, "Outcomes")."""

from __future__ import annotations

from fastapi import APIRouter

from app.audit import service as audit
from app.auth.deps import CurrentUser, Today
from app.db import DbSession
from app.errors import problem_responses
from app.outcomes.assessments import service
from app.outcomes.assessments.schemas import AssessmentCreate, AssessmentPublic, AssessmentUpdate
from app.web import PathId

router = APIRouter(tags=["outcomes"], responses=problem_responses(401, 403, 404))


@router.post(
    "/children/{child_id}/assessments",
    status_code=201,
    response_model=AssessmentPublic,
    summary="Record a child's assessment (lead; facilitator of the child's cohort)",
    description=(
        "422 for an unknown measure, informant or scale, a score out of range, a date in the "
        "future or outside the timepoint's window; 409 for a second assessment of the same "
        "child, measure, informant and timepoint."
    ),
    responses=problem_responses(409, 422),
)
def create_assessment(
    db: DbSession, actor: CurrentUser, today: Today, child_id: PathId, body: AssessmentCreate
) -> AssessmentPublic:
    row = service.create_assessment(db, actor=actor, child_id=child_id, data=body, today=today)
    return service.public(row)


@router.get(
    "/children/{child_id}/assessments",
    response_model=list[AssessmentPublic],
    summary="A child's assessments (lead; facilitator of the child's cohort)",
)
def list_assessments(db: DbSession, actor: CurrentUser, child_id: PathId) -> list[AssessmentPublic]:
    rows = service.list_assessments(db, actor=actor, child_id=child_id)
    audit.looked(db, actor=actor, child_id=child_id, what="outcomes")
    return [service.public(row) for row in rows]


@router.patch(
    "/assessments/{assessment_id}",
    response_model=AssessmentPublic,
    summary="Correct an assessment (lead; facilitator of the child's cohort)",
    description="Send `version` as read: 409 with `current_version` if it has changed since.",
    responses=problem_responses(409, 422),
)
def correct_assessment(
    db: DbSession, actor: CurrentUser, today: Today, assessment_id: PathId, body: AssessmentUpdate
) -> AssessmentPublic:
    row = service.correct_assessment(
        db, actor=actor, assessment_id=assessment_id, data=body, today=today
    )
    return service.public(row)
