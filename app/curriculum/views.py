"""Curriculum pages: the weeks of the current programme, and one week in full."""

from __future__ import annotations

from itertools import groupby

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse

from app.auth.deps import CurrentUser
from app.curriculum import service
from app.db import DbSession
from app.web import PathId, render

router = APIRouter(prefix="/curriculum", include_in_schema=False)


@router.get("", response_class=HTMLResponse)
def curriculum_index(request: Request, db: DbSession, user: CurrentUser) -> HTMLResponse:
    programmes = []
    for curriculum in service.latest_curricula(db):
        weeks = service.list_weeks(db, curriculum.id or 0)
        unit_titles = {u["key"]: u["title"] for u in curriculum.units}
        units = [
            {"key": key, "title": unit_titles.get(key, key), "weeks": list(group)}
            for key, group in groupby(weeks, key=lambda w: w.unit)
        ]
        programmes.append({"curriculum": curriculum, "units": units, "week_count": len(weeks)})
    return render(request, "curriculum/index.html", {"programmes": programmes})


@router.get("/{curriculum_id}/weeks/{week}", response_class=HTMLResponse)
def curriculum_week(
    request: Request,
    db: DbSession,
    user: CurrentUser,
    curriculum_id: PathId,
    week: int = Path(ge=1, le=1000),
) -> HTMLResponse:
    found = service.get_week(db, curriculum_id, week)
    curriculum = found.curriculum
    unit_titles = {u["key"]: u["title"] for u in curriculum.units}
    total = curriculum.programme.get("weeks", 30)
    return render(
        request,
        "curriculum/week.html",
        {
            "curriculum": curriculum,
            "week": found,
            "unit_title": unit_titles.get(found.unit, found.unit),
            "total_minutes": sum(a.minutes for a in found.activities),
            "previous_week": week - 1 if week > 1 else None,
            "next_week": week + 1 if week < total else None,
            "total_weeks": total,
        },
    )
