"""The home page: a different starting point for each role."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.auth.deps import CurrentUser
from app.curriculum import service as curriculum_service
from app.db import DbSession
from app.web import render

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, db: DbSession, user: CurrentUser) -> HTMLResponse:
    curricula = curriculum_service.latest_curricula(db)
    return render(request, f"home/{user.role.value}.html", {"curricula": curricula})
