"""Calendar feed addresses (API) and the feeds themselves."""

from __future__ import annotations

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, Field

from app.auth.deps import CurrentUser
from app.calendar import service
from app.db import DbSession
from app.errors import problem_responses
from app.exceptions import NotFound

router = APIRouter(tags=["calendar"], responses=problem_responses(401))
feeds = APIRouter(include_in_schema=False)


class CalendarUrl(BaseModel):
    url: str | None = Field(
        description="The secret address: given once, when it is made. Afterwards null: "
        "POST /api/v1/me/calendar/rotate for a new one (the old one stops working)."
    )
    detail: str | None = None


SHOWN_ONCE = (
    "Your calendar address was shown when it was made and cannot be shown again. "
    "Re-issue it to see a new link (the old one stops working)."
)


@router.get(
    "/me/calendar",
    response_model=CalendarUrl,
    summary="My secret calendar feed address: the first time only",
)
def my_calendar(request: Request, db: DbSession, user: CurrentUser) -> CalendarUrl:
    raw = service.first_address(db, user=user)
    if raw is None:
        return CalendarUrl(url=None, detail=SHOWN_ONCE)
    return CalendarUrl(url=service.feed_url(str(request.base_url), raw))


@router.post(
    "/me/calendar/rotate",
    response_model=CalendarUrl,
    summary="A new calendar feed address; the old one stops working",
    responses=problem_responses(403),
)
def rotate_calendar(request: Request, db: DbSession, user: CurrentUser) -> CalendarUrl:
    return CalendarUrl(url=service.feed_url(str(request.base_url), service.rotate(db, user=user)))


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
