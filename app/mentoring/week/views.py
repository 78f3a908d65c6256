"""The mentor's week page, "my mentees" across programmes: each mentee's last group and what
they missed of it and the practice tasks to work on (a programme with groups), or the last
and next visit and the month's hours (a programme without); the week's visits and where
the hours stand. Mentees are grouped by programme only for a mentor in more than one. Phone
first; it calls the same service functions as the JSON API (app/mentoring/api.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

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
from app.programmes.models import BandPer
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


def short_day(day: dt.date, today: dt.date) -> str:
    """ "3 November", with the year only when it is not this year's."""
    text = f"{day.day} {day:%B}"
    return text if day.year == today.year else f"{text} {day.year}"


def hours_words(hours: float) -> str:
    return f"{hours:g} hour{'' if hours == 1 else 's'}"


def band_words(band: weeks.Band) -> str:
    """ "at least 1 hour a month, at most 8": the band as a mentor reads it."""
    per = "a month" if band.per == BandPer.month else "a week"
    if band.low <= 0:
        return f"at most {hours_words(band.high)} {per}"
    if band.low == band.high:
        return f"{hours_words(band.low)} {per}"
    return f"at least {hours_words(band.low)} {per}, at most {band.high:g}"


def visits_line(m: weeks.Mentee, today: dt.date) -> str:
    """A mentee in a programme without groups, in one line: "Last visit 3 November · next
    visit 1 December · 2.5 hours this month (at least 1 hour a month)"."""
    parts = [
        f"Last visit {short_day(m.last_visit.date, today)}"
        + (" (missed)" if m.last_visit.status == VisitStatus.missed else "")
        if m.last_visit
        else "No visit recorded yet",
        f"next visit {short_day(m.next_visit.date, today)}" if m.next_visit else "no visit planned",
    ]
    if m.monthly:
        hours = round(m.month_minutes_completed / 60, 2)
        parts.append(f"{hours_words(hours)} this month ({band_words(m.band)})")
    return " · ".join(parts)


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
    now = now_for(db, actor)
    week = weeks.mentor_week(db, actor=actor, day=day, now=now)
    restorable: set[int] = set()
    mentees: list[dict[str, Any]] = []
    for m in week.mentees:
        tag = TARGET_TAGS[m.target(week, today)]
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
                "slot": slot_text(m.match, monthly=m.monthly),
                "planned_visits": sum(1 for v in m.visits if v.status == VisitStatus.planned),
                "groups": m.programme.has_groups,
                "monthly": m.monthly,
                "band": (f"{m.band.low:g}", f"{m.band.high:g}"),
                "visits_line": None if m.programme.has_groups else visits_line(m, today),
            }
        )
    # Grouped by programme only for a mentor in more than one: one programme, no difference.
    by_programme = []
    if len(week.programmes) > 1:
        by_programme = [
            (p, [item for item, m in zip(mentees, week.mentees, strict=True) if m.programme == p])
            for p in week.programmes
        ]
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
            "by_programme": by_programme,
            "errors": errors,
            "banner": banner,
            "kinds": AssignmentKind,
            "practised": AssignmentStatus.practised,
            "restorable": restorable,
        },
        status_code=422 if errors else 200,
    )
