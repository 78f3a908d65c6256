"""Who looked at a child's record in the last year (UK GDPR accountability), for leads and
admins. The looks are noted by `app.audit.service.looked` wherever a child's record is opened;
this reads them back for one child, after checking the child is the actor's to see."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from app.audit import service as audit
from app.audit.service import View
from app.auth.models import User
from app.auth.service import require_staff
from app.children import service as children
from app.children.models import Child
from app.clock import zone_for
from app.exceptions import Invalid

PAGE_SIZE = 50


def year_before(day: dt.date) -> dt.date:
    """The same date a year earlier (28 February for a 29 February)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


@dataclass(frozen=True)
class Looks:
    child: Child
    since: dt.date
    views: list[View]
    total: int


def child_views(
    db: Session,
    *,
    actor: User,
    child_id: int,
    today: dt.date,
    since: dt.date | None = None,
    limit: int = PAGE_SIZE,
    offset: int = 0,
) -> Looks:
    """Who opened the child's record from `since` (the organisation's date; a year before
    today unless given), newest first: a lead or admin (403 otherwise), a child of their own
    organisation (404 otherwise). Three queries: the child, the count, the page."""
    require_staff(actor)
    child = children.get_child(db, actor=actor, child_id=child_id)
    start = year_before(today) if since is None else since
    if start > today:
        message = "The 'since' date must be today or earlier"
        raise Invalid(message, [_problem(message)])
    # The start of that day where the organisation is (its row is the request's already).
    moment = dt.datetime.combine(start, dt.time(), zone_for(db, actor)).astimezone(dt.UTC)
    views, total = audit.list_views(
        db, org_id=actor.org_id, child_id=child_id, since=moment, limit=limit, offset=offset
    )
    return Looks(child=child, since=start, views=views, total=total)


def _problem(message: str) -> dict[str, Any]:
    return {"loc": ["query", "since"], "msg": message, "type": "value_error"}
