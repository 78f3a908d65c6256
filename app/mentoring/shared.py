"""What every mentoring noun uses: a refusal naming one field, the organisation's row, and
a date some years or months on."""

from __future__ import annotations

import calendar
import datetime as dt

from sqlmodel import Session

from app.auth.models import Organisation
from app.exceptions import Invalid


def invalid(field: str, message: str) -> Invalid:
    return Invalid(message, [{"loc": ["body", field], "msg": message}])


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day `years` later (29 February becomes 28 February)."""
    year = day.year + years
    return day.replace(year=year, day=min(day.day, calendar.monthrange(year, day.month)[1]))


def add_months(day: dt.date, months: int) -> dt.date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def organisation(db: Session, org_id: int) -> Organisation:
    org = db.get(Organisation, org_id)
    assert org is not None
    return org
