"""The calendar page: a person's secret feed address, and a new one on request."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.auth.deps import CurrentUser
from app.calendar import service
from app.calendar.api import feed_url
from app.db import DbSession
from app.web import render

router = APIRouter(include_in_schema=False)


@router.get("/account/calendar", response_class=HTMLResponse)
def calendar_page(
    request: Request,
    db: DbSession,
    user: CurrentUser,
    rotated: int | None = Query(default=None),
) -> HTMLResponse:
    feed = service.feed_for(db, user=user)
    return render(
        request,
        "calendar/index.html",
        {"url": feed_url(request, feed.token), "rotated": bool(rotated)},
    )


@router.post("/account/calendar/rotate")
def rotate_calendar(db: DbSession, user: CurrentUser) -> Response:
    service.rotate(db, user=user)
    return RedirectResponse("/account/calendar?rotated=1", status_code=303)
