"""Today and now, in the organisation's own timezone."""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlmodel import Session


class Member(Protocol):
    """Someone of an organisation (a user)."""

    @property
    def org_id(self) -> int: ...


# The organisation's table is auth's, a domain above this module, which may not import it:
# auth registers its model here when it is imported (app/auth/service.py).
_organisations: list[type[Any]] = []


def organisations_are(model: type[Any]) -> None:
    """Where each organisation's row, with its `timezone`, is kept."""
    _organisations[:] = [model]


def zone_for(db: Session, user: Member) -> ZoneInfo:
    if not _organisations:
        raise RuntimeError("app.auth has not registered the organisations' table")
    org = db.get(_organisations[0], user.org_id)
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
