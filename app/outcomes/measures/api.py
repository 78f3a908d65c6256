"""JSON API for the measures (API.md "Outcomes")."""

from __future__ import annotations

from fastapi import APIRouter

from app.auth.deps import CurrentUser
from app.db import DbSession
from app.errors import problem_responses
from app.outcomes import service
from app.outcomes.schemas import MeasurePublic, ScalePublic

router = APIRouter(prefix="/measures", tags=["outcomes"], responses=problem_responses(401))


@router.get("", response_model=list[MeasurePublic], summary="The outcome measures")
def list_measures(db: DbSession, user: CurrentUser) -> list[MeasurePublic]:
    return [
        MeasurePublic(
            key=definition.key,
            name=row.name,
            informants=list(definition.informants),
            scales=[
                ScalePublic(key=s.key, name=s.name, min=s.min, max=s.max, higher_is=s.higher_is)
                for s in definition.scales
            ],
            timepoints=list(definition.timepoints),
        )
        for row, definition in service.measures(db)
    ]
