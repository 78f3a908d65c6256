"""Reading the visit forms: a time as people type it, a visit's length, the visit form's
fields with every problem at once in the order of the page, and the page's own words for
the service's refusals."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from pydantic import ValidationError

from app.exceptions import Invalid
from app.mentoring.models import MentorVisit
from app.mentoring.visits.words import STATUS_LABELS
from app.web import date_fields, field_errors, minutes_human, parse_date_fields

MINUTE_CHOICES = (30, 45, 60, 90, 120, 150, 180, 210, 240)
MINUTES_RANGE = "A visit lasts from 15 minutes to 8 hours (480 minutes)"
# The page's own words for the service's field names.
FIELD_OF = {"duration_minutes": "minutes", "assignment_ids": "form", "match_id": "form"}

_TIME = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?$")


def parse_time(text: str) -> dt.time | None:
    """16:30, 16.30, 4:30pm, 4pm, 9am; None when it is not a time."""
    found = _TIME.match(text.strip().lower().replace(" ", ""))
    if not found:
        return None
    hour, minute, half = int(found[1]), int(found[2] or 0), found[3]
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "pm" else 0)
    elif found[2] is None:
        return None  # "16" alone is not a time
    if hour > 23 or minute > 59:
        return None
    return dt.time(hour, minute)


def read_time(form: dict[str, str], errors: dict[str, str], name: str = "start_time") -> Any:
    text = form.get(name, "").strip()
    if not text:
        errors[name] = "Enter the start time"
        return None
    value = parse_time(text)
    if value is None:
        errors[name] = "Enter a real time, for example 16:30 or 4:30pm"
    return value


def read_minutes(form: dict[str, str], errors: dict[str, str]) -> int | None:
    """The select of common lengths, or the number typed when "Another length" is chosen
    (a number posted as the choice itself is read too)."""
    choice = form.get("minutes", "").strip()
    other = form.get("minutes_other", "").strip()
    field = "minutes"
    if choice in ("", "other"):
        if not other:
            errors["minutes_other" if choice else "minutes"] = (
                "Enter how many minutes the visit lasted"
                if choice
                else "Choose how long the visit lasted"
            )
            return None
        choice, field = other, "minutes_other"
    if not choice.isdigit():
        errors[field] = "Enter the length as a number of minutes, for example 90"
        return None
    minutes = int(choice)
    if not 15 <= minutes <= 480:
        errors[field] = MINUTES_RANGE
        return None
    return minutes


def minutes_values(minutes: int | None) -> dict[str, str]:
    if minutes is None:
        return {"minutes": "", "minutes_other": ""}
    if minutes in MINUTE_CHOICES:
        return {"minutes": str(minutes), "minutes_other": ""}
    return {"minutes": "other", "minutes_other": str(minutes)}


def minute_options() -> list[tuple[str, str]]:
    return [
        ("", "Choose a length"),
        *((str(m), minutes_human(m)) for m in MINUTE_CHOICES),
        ("other", "Another length"),
    ]


def service_errors(exc: Invalid) -> dict[str, str]:
    out: dict[str, str] = {}
    for field, message in field_errors(exc.errors).items():
        out.setdefault(FIELD_OF.get(field, field), message)
    return out or {"form": exc.detail}


def pydantic_errors(exc: ValidationError) -> dict[str, str]:
    out: dict[str, str] = {}
    for error in exc.errors():
        loc = [str(p) for p in error["loc"]]
        field = FIELD_OF.get(loc[0], loc[0]) if loc else "form"
        if field == "minutes":
            message = MINUTES_RANGE
        elif field == "summary":
            message = "What you did must be 2,000 characters or fewer"
        else:
            message = str(error["msg"]).removeprefix("Value error, ")
        out.setdefault(field, message)
    return out


def in_order(errors: dict[str, str], order: list[str]) -> dict[str, str]:
    out = {f: errors[f] for f in order if f in errors}
    out.update({f: m for f, m in errors.items() if f not in out})
    return out


def visit_values(visit: MentorVisit | None, today: dt.date) -> dict[str, Any]:
    if visit is None:
        return {
            "date": date_fields(today),
            "start_time": "",
            **minutes_values(None),
            "status": "completed",
            "summary": "",
            "safeguarding_concern": False,
        }
    status = visit.status.value
    if status == "planned" and visit.date <= today:
        status = "completed"  # recording how it went: most visits happen as planned
    return {
        "date": date_fields(visit.date),
        "start_time": visit.start_time.strftime("%H:%M") if visit.start_time else "",
        **minutes_values(visit.minutes),
        "status": status,
        "summary": visit.summary or "",
        "safeguarding_concern": visit.safeguarding_concern,
    }


def read_visit_form(
    form: dict[str, str], task_ids: list[int]
) -> tuple[dict[str, Any], dict[str, Any], dict[int, str], dict[str, str]]:
    """(values to show again, the API body, task answers, errors)."""
    errors: dict[str, str] = {}
    day, problem = parse_date_fields(form, "date", "date of the visit")
    if problem:
        errors["date"] = problem
    start = read_time(form, errors)
    minutes = read_minutes(form, errors)
    status = form.get("status", "")
    if status not in STATUS_LABELS:
        errors["status"] = "Choose how the visit went"
    summary = form.get("summary", "").strip()
    if len(summary) > 2000:
        errors["summary"] = "What you did must be 2,000 characters or fewer"
    answers = {}
    for task_id in task_ids:
        answer = form.get(f"task-{task_id}", "none")
        answers[task_id] = answer if answer in ("none", "practised", "completed") else "none"
    concern = form.get("safeguarding_concern") == "yes"
    values = {
        "date": {part: form.get(f"date-{part}", "").strip() for part in ("day", "month", "year")},
        "start_time": form.get("start_time", "").strip(),
        "minutes": form.get("minutes", "").strip(),
        "minutes_other": form.get("minutes_other", "").strip(),
        "status": status,
        "summary": summary,
        "safeguarding_concern": concern,
    }
    body = {
        "date": day,
        "start_time": start,
        "duration_minutes": minutes,
        "status": status,
        "summary": summary or None,
        "assignment_ids": sorted(t for t, a in answers.items() if a == "practised"),
        "completed_assignment_ids": sorted(t for t, a in answers.items() if a == "completed"),
        "safeguarding_concern": concern,
    }
    order = ["date", "start_time", "minutes", "minutes_other", "status", "summary"]
    return values, body, answers, in_order(errors, order)


def read_version(form: dict[str, str]) -> int | None:
    raw = form.get("version", "").strip()
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= 2**31 - 1 else None
