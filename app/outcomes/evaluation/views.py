"""The evaluators' file's data dictionary page (lead)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.auth.deps import LeadUser
from app.db import DbSession
from app.outcomes.evaluation import service
from app.web import render

router = APIRouter(include_in_schema=False)


@router.get("/outcomes/evaluation", response_class=HTMLResponse)
def data_dictionary(request: Request, db: DbSession, actor: LeadUser) -> HTMLResponse:
    return render(
        request, "outcomes/evaluation.html", {"columns": service.dictionary(db, actor=actor)}
    )
