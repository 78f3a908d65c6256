"""Today and now, in the organisation's own timezone."""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlmodel import Session

from app.hooks import Hook


class Member(Protocol):
    """Someone of an organisation (a user)."""

    @property
    def org_id(self) -> int: ...


ORGANISATIONS: Hook[type[Any]] = Hook("the organisations' table", "app.auth.service")
"""Where each organisation's row, with its `timezone`, is kept: auth's table, a domain above
this module, which may not import it (app/hooks.py)."""


def zone_for(db: Session, user: Member) -> ZoneInfo:
    org = db.get(ORGANISATIONS(), user.org_id)
    return ZoneInfo(org.timezone if org else "Europe/London")


def now_for(db: Session, user: Member) -> dt.datetime:
    """The current time where the user's organisation is (timezone-aware)."""
    return dt.datetime.now(zone_for(db, user))


def today_for(db: Session, user: Member) -> dt.date:
    return now_for(db, user).date()


def local_datetime(day: dt.date, at: dt.time, zone: dt.tzinfo) -> dt.datetime:
    """A wall-clock date and time in a zone (the earlier of an hour that happens twice)."""
    return dt.datetime.combine(day, at, tzinfo=zone)


def week_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """The Monday and the Sunday of the week holding `day`: weeks run Monday to Sunday."""
    monday = day - dt.timedelta(days=day.weekday())
    return monday, monday + dt.timedelta(days=6)


def time_words(value: dt.time | dt.datetime) -> str:
    """A time as people read it: 4:30pm, 5pm, midday (GOV.UK style)."""
    if value.hour == 12 and value.minute == 0:
        return "midday"
    hour = value.hour % 12 or 12
    suffix = "am" if value.hour < 12 else "pm"
    return f"{hour}{suffix}" if value.minute == 0 else f"{hour}:{value.minute:02d}{suffix}"
