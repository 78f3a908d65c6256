"""Calendar feed addresses (API) and the feeds themselves."""

from __future__ import annotations

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel

from app.auth.deps import CurrentUser
from app.calendar import service
from app.db import DbSession
from app.errors import problem_responses
from app.exceptions import NotFound

router = APIRouter(tags=["calendar"], responses=problem_responses(401))
feeds = APIRouter(include_in_schema=False)


class CalendarUrl(BaseModel):
    url: str


def feed_url(request: Request, token: str) -> str:
    return str(request.base_url).rstrip("/") + f"/calendar/{token}.ics"


@router.get("/me/calendar", response_model=CalendarUrl, summary="My secret calendar feed address")
def my_calendar(request: Request, db: DbSession, user: CurrentUser) -> CalendarUrl:
    return CalendarUrl(url=feed_url(request, service.feed_for(db, user=user).token))


@router.post(
    "/me/calendar/rotate",
    response_model=CalendarUrl,
    summary="A new calendar feed address; the old one stops working",
    responses=problem_responses(403),
)
def rotate_calendar(request: Request, db: DbSession, user: CurrentUser) -> CalendarUrl:
    return CalendarUrl(url=feed_url(request, service.rotate(db, user=user).token))


@feeds.get("/calendar/{token}.ics")
def calendar_feed(
    db: DbSession, token: str = Path(min_length=20, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")
) -> Response:
    user = service.user_for_token(db, token)
    if user is None:
        raise NotFound("There is no calendar at this address.")
    return Response(
        service.render_feed(db, user=user),
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'inline; filename="tandem.ics"'},
    )
