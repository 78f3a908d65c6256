"""GET /api/v1/outcomes: the outcomes report as JSON (API.md "Outcomes")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.auth.deps import LeadUser, Today
from app.db import DbSession
from app.errors import problem_responses
from app.outcomes.report import service
from app.outcomes.report.schemas import OutcomesReport
from app.web import Day

router = APIRouter(tags=["outcomes"], responses=problem_responses(401, 403, 404, 422))
AsOf = Annotated[
    Day | None, Query(description="The last day counted (YYYY-MM-DD); today by default")
]
CohortId = Annotated[int | None, Query(ge=1, le=2**31 - 1, description="One cohort only")]
MeasureKey = Annotated[str | None, Query(max_length=64, description="One measure only, by its key")]


@router.get(
    "/outcomes",
    response_model=OutcomesReport,
    summary="Outcomes: change from baseline per measure, informant and scale (lead)",
)
def outcomes(
    db: DbSession,
    actor: LeadUser,
    today: Today,
    as_of: AsOf = None,
    cohort_id: CohortId = None,
    measure: MeasureKey = None,
) -> OutcomesReport:
    return service.outcomes(
        db, actor=actor, as_of=as_of or today, cohort_id=cohort_id, measure=measure
    )
