"""The calendar page: a person's secret feed address, shown once when it is made, and a new
one on request."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.auth.deps import CurrentUser
from app.calendar import service
from app.config import get_settings
from app.db import DbSession
from app.web import render

router = APIRouter(include_in_schema=False)

PAGE = "/account/calendar"
# Only a digest of the address is kept, so a new address is handed from the post to the
# page that shows it in a short-lived cookie for this page alone, deleted once shown.
NEW_ADDRESS_COOKIE = "tandem_new_calendar"
NEW_ADDRESS_SECONDS = 300


@router.get(PAGE, response_class=HTMLResponse)
def calendar_page(
    request: Request,
    db: DbSession,
    user: CurrentUser,
    rotated: int | None = Query(default=None),
) -> HTMLResponse:
    raw = service.first_address(db, user=user)
    handed = request.cookies.get(NEW_ADDRESS_COOKIE)
    fresh = raw is None and handed is not None and service.is_current(db, user=user, token=handed)
    if fresh:
        raw = handed
    response = render(
        request,
        "calendar/index.html",
        {
            "url": service.feed_url(str(request.base_url), raw) if raw else None,
            "rotated": bool(rotated) and fresh,
        },
    )
    if handed is not None:
        response.delete_cookie(NEW_ADDRESS_COOKIE, path=PAGE)
    return response


@router.post(f"{PAGE}/rotate")
def rotate_calendar(db: DbSession, user: CurrentUser) -> Response:
    raw = service.rotate(db, user=user)
    response = RedirectResponse(f"{PAGE}?rotated=1", status_code=303)
    response.set_cookie(
        NEW_ADDRESS_COOKIE,
        raw,
        max_age=NEW_ADDRESS_SECONDS,
        path=PAGE,
        httponly=True,
        secure=get_settings().secure_cookies,
        samesite="strict",
    )
    return response
