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
    """The same day `months` calendar months later (or earlier), the day clamped to the end of
    a shorter month: 31 January + 1 month is 28 (or 29) February."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def organisation(db: Session, org_id: int) -> Organisation:
    org = db.get(Organisation, org_id)
    assert org is not None
    return org


def reached_expected(start: dt.date, end: dt.date, months: int) -> bool:
    """Whether a match from `start` to `end` lasted its programme's expected length of
    `months` (issue 19; DESIGN.md "Match length"). The one definition: the fidelity figures
    count early endings in SQL by the same rule.

    A match reaches its expected length when its end date is on or after the day `months`
    calendar months after its start date, that day being the start's day of the month
    clamped to the last day of the target month: started 31 August with 6 months expected,
    it reaches them on 28 February (29 in a leap year); started 15 March, on 15 September.
    Ending the day before is early."""
    return end >= add_months(start, months)


def ended_early(start: dt.date, end: dt.date | None, months: int | None) -> bool | None:
    """True for an ended match shorter than expected, False for one that reached it; None
    while the match is active or when the programme is open-ended (no ending is early)."""
    if end is None or months is None:
        return None
    return not reached_expected(start, end, months)
