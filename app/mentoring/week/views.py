"""The mentor's week page: each mentee's last group and what they missed of it, the practice
tasks to work on, the week's visits and where its hours stand. Phone first; it calls the
same service functions as the JSON API (app/mentoring/api.py)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from app.auth.deps import CurrentUser, Today
from app.auth.models import Role
from app.clock import now_for, week_of
from app.db import DbSession
from app.exceptions import Forbidden
from app.mentoring.models import VisitStatus
from app.mentoring.schemas import WeekTarget
from app.mentoring.visits import planning
from app.mentoring.visits.words import HELPERS, SAVED, hours_text, slot_text
from app.mentoring.week import service as weeks
from app.sessions.models import AssignmentKind, AssignmentStatus
from app.web import render

router = APIRouter(include_in_schema=False)

# The week page accepts dates in this range (prev/next links never overflow a date).
EARLIEST = dt.date(2000, 1, 3)
LATEST = dt.date(2100, 12, 27)

TARGET_TAGS = {
    WeekTarget.on_track: ("On track", "govuk-tag--grey"),
    WeekTarget.on_target: ("On target", "govuk-tag--green"),
    WeekTarget.above_target: ("Above target", "govuk-tag--purple"),
    WeekTarget.below_target: ("Below target", "govuk-tag--yellow"),
}


def band_of(
    completed: int, planned: int, band: tuple[int, int], week_end: dt.date, today: dt.date
) -> tuple[str, str]:
    """The tag's words and colour (`weeks.week_target` says which)."""
    return TARGET_TAGS[
        weeks.week_target(
            completed_minutes=completed,
            planned_minutes=planned,
            band=band,
            week_end=week_end,
            today=today,
        )
    ]


# My week ------------------------------------------------------------------------------------


@router.get("/mentor", response_class=HTMLResponse)
def my_week(
    request: Request,
    db: DbSession,
    actor: CurrentUser,
    today: Today,
    date: str | None = Query(default=None, max_length=40),
    saved: str | None = Query(default=None, max_length=20),
    planned: int | None = Query(default=None, ge=0, le=1000),
) -> HTMLResponse:
    if actor.role != Role.mentor:
        raise Forbidden("My week is for mentors.")
    day, errors = today, {}
    if date:
        try:
            asked = dt.date.fromisoformat(date.strip())
        except ValueError:
            errors["form"] = "That is not a real date. This week is shown instead."
        else:
            if EARLIEST <= asked <= LATEST:
                day = asked
            else:
                errors["form"] = "That date is too far away. This week is shown instead."
    week = weeks.mentor_week(db, actor=actor, day=day)
    now = now_for(db, actor)
    restorable: set[int] = set()
    mentees = []
    for m in week.mentees:
        still_planned = sum(v.minutes for v in m.visits if v.status == VisitStatus.planned)
        tag = band_of(m.minutes_completed, still_planned, week.band, week.end, today)
        tasks = m.own_tasks
        # The latest group's tasks first; older ones still open fold away on a phone, and
        # those an earlier mentor was given fold apart.
        latest = max((row[5] for row in tasks), default=None)
        restorable.update(
            v.id or 0
            for v in m.visits
            if v.status == VisitStatus.cancelled and not planning.has_started(v, now)
        )
        mentees.append(
            {
                "m": m,
                "new_tasks": [row for row in tasks if row[5] == latest],
                "old_tasks": [row for row in tasks if row[5] != latest],
                "inherited": m.inherited,
                "session": m.last_session,
                "missed": m.last_session is not None
                and m.last_session[4] not in ("present", "late"),
                "hours": hours_text(m.minutes_completed),
                "band_label": tag[0],
                "band_tag": tag[1],
                "slot": slot_text(m.match),
                "planned_visits": sum(1 for v in m.visits if v.status == VisitStatus.planned),
            }
        )
    banner = None
    if saved in SAVED:
        banner = SAVED[saved]
    elif planned is not None:
        banner = (
            f"{planned} visit{'s' if planned != 1 else ''} planned. "
            "They are in your week and your calendar feed."
        )
    return render(
        request,
        "mentor/week.html",
        {
            **HELPERS,
            "week": week,
            "mentees": mentees,
            "today": today,
            "this_week": week_of(today)[0] == week.start,
            "previous": (week.start - dt.timedelta(days=7)).isoformat(),
            "next": (week.start + dt.timedelta(days=7)).isoformat(),
            "band": week.band,
            "errors": errors,
            "banner": banner,
            "kinds": AssignmentKind,
            "practised": AssignmentStatus.practised,
            "restorable": restorable,
        },
        status_code=422 if errors else 200,
    )
