"""Today, in the organisation's own timezone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlmodel import Session

from app.auth.models import Organisation, User


def today_for(db: Session, user: User) -> dt.date:
    org = db.get(Organisation, user.org_id)
    zone = ZoneInfo(org.timezone if org else "Europe/London")
    return dt.datetime.now(zone).date()
