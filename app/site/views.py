"""The home page: a different starting point for each role."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.auth.deps import CurrentUser, Today
from app.auth.models import Role
from app.curriculum import service as curriculum_service
from app.db import DbSession
from app.mentoring.overview.service import mentoring_panel
from app.outcomes.assessments import due as outcomes_due
from app.programmes import service as programmes_service
from app.sessions import service as sessions_service
from app.site import service
from app.web import render

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, db: DbSession, user: CurrentUser, today: Today) -> Response:
    if user.role == Role.mentor:
        return RedirectResponse("/mentor", status_code=303)  # the mentor's week
    curricula = curriculum_service.latest_curricula(db)
    # The programmes this person works in: named on their home only when there are several
    # (a one-programme organisation sees the page it always did).
    programmes = programmes_service.programmes_of(db, user)
    several = len(programmes) > 1
    context: dict[str, Any] = {
        "curricula": curricula,
        "programmes": programmes if several else [],
    }
    if user.role == Role.facilitator:
        sessions = sessions_service.my_sessions(db, actor=user)
        context["sessions"] = sessions
        if several:
            context["by_programme"] = service.by_programme(
                db,
                actor=user,
                programmes=programmes,
                session_cohort_ids={s.cohort_id for s, _, _ in sessions},
            )
    if user.role == Role.lead:
        context["mentoring"] = mentoring_panel(db, user)
        context["week"] = service.week_sessions(db, actor=user, today=today)
        context["attention"] = service.attention(db, actor=user, today=today)
        context["today"] = today
        context["outcomes_due"] = outcomes_due.home_panel(db, actor=user, as_of=today)
    return render(request, f"home/{user.role.value}.html", context)
