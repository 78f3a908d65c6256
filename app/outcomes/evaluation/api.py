"""GET /api/v1/evaluation.csv (lead): the evaluators' file (API.md "Outcomes")."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.auth.deps import LeadUser, Today
from app.db import DbSession
from app.errors import problem_responses
from app.outcomes.evaluation import service

router = APIRouter(tags=["outcomes"], responses=problem_responses(401, 403))


@router.get(
    "/evaluation.csv",
    response_class=Response,
    summary="One pseudonymous row per child for evaluators (lead)",
    description=(
        "No names, references or dates of birth. Every column is described on the page "
        "/outcomes/evaluation (the data dictionary)."
    ),
    responses={200: {"content": {"text/csv": {}}}},
)
def evaluation_csv(db: DbSession, actor: LeadUser, today: Today) -> Response:
    return Response(
        service.evaluation_csv(db, actor=actor, as_of=today),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="evaluation-{today}.csv"',
            "Link": '</outcomes/evaluation>; rel="describedby"',
        },
    )
