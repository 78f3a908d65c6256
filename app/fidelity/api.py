"""JSON and CSV exports of the fidelity figures."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from app.auth.deps import CurrentUser, LeadUser, Today
from app.db import DbSession
from app.errors import problem_responses
from app.fidelity import summary
from app.fidelity.schemas import AcknowledgementIn, AcknowledgementOut, FidelityReport
from app.web import Day

router = APIRouter(tags=["fidelity"], responses=problem_responses(401, 403, 404, 422))
AsOf = Annotated[
    Day | None,
    Query(description="The last day counted (YYYY-MM-DD); today by default"),
]
CohortId = Annotated[int | None, Query(ge=1, le=2**31 - 1, description="One cohort only")]
ProgrammeId = Annotated[
    int | None,
    Query(
        ge=1,
        le=2**31 - 1,
        description="One programme only: the figures that apply to its kind (no group "
        "figures without groups)",
    ),
]


@router.get(
    "/fidelity",
    response_model=FidelityReport,
    summary="Fidelity figures, per cohort, child and mentor, with flags (lead; facilitator: own)",
)
def fidelity(
    db: DbSession,
    actor: CurrentUser,
    today: Today,
    as_of: AsOf = None,
    cohort_id: CohortId = None,
    programme_id: ProgrammeId = None,
) -> FidelityReport:
    return summary.fidelity(
        db, actor=actor, as_of=as_of or today, cohort_id=cohort_id, programme_id=programme_id
    )


@router.get(
    "/fidelity.csv",
    response_class=Response,
    summary="The same per cohort and per child as CSV, with pseudonymous references",
    responses={200: {"content": {"text/csv": {}}}},
)
def fidelity_csv(
    db: DbSession,
    actor: CurrentUser,
    today: Today,
    as_of: AsOf = None,
    cohort_id: CohortId = None,
    programme_id: ProgrammeId = None,
) -> Response:
    day = as_of or today
    report = summary.fidelity(
        db, actor=actor, as_of=day, cohort_id=cohort_id, programme_id=programme_id
    )
    return Response(
        summary.as_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="fidelity-{day}.csv"'},
    )


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get(
    "/fidelity.xlsx",
    response_class=Response,
    summary="The same tables as a workbook: a sheet of cohorts, a sheet of children",
    responses={200: {"content": {XLSX: {}}}},
)
def fidelity_xlsx(
    db: DbSession,
    actor: CurrentUser,
    today: Today,
    as_of: AsOf = None,
    cohort_id: CohortId = None,
    programme_id: ProgrammeId = None,
) -> Response:
    day = as_of or today
    report = summary.fidelity(
        db, actor=actor, as_of=day, cohort_id=cohort_id, programme_id=programme_id
    )
    return Response(
        summary.as_xlsx(report),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="fidelity-{day}.xlsx"'},
    )


@router.post(
    "/flags/acknowledgements",
    response_model=AcknowledgementOut,
    status_code=201,
    summary="Acknowledge a past flag with a note (lead): it leaves `flags` for `acknowledged`",
    responses=problem_responses(409),
)
def acknowledge_flag(
    db: DbSession, actor: LeadUser, today: Today, body: AcknowledgementIn
) -> AcknowledgementOut:
    return summary.acknowledge(db, actor=actor, today=today, body=body)
