"""How visits read on the mentor's pages: a day in words, hours as a short number, a match's
weekly slot, each status's label and tag, and the banner after a save."""

from __future__ import annotations

import datetime as dt

from app.mentoring.models import Match, MentorVisit
from app.mentoring.visits import service as visits
from app.web import minutes_human, time_12h

WEEKDAYS = [
    (1, "Monday"),
    (2, "Tuesday"),
    (3, "Wednesday"),
    (4, "Thursday"),
    (5, "Friday"),
    (6, "Saturday"),
    (7, "Sunday"),
]
STATUS_CHOICES = [
    ("completed", "Completed", "You spent the time together"),
    ("missed", "Missed", "You went, but the young person was not there"),
    ("cancelled", "Cancelled", "It did not happen, and was called off in advance"),
    ("planned", "Planned", "For a date today or later"),
]
STATUS_LABELS = {value: label for value, label, _ in STATUS_CHOICES}
STATUS_TAGS = {
    "planned": "govuk-tag--blue",
    "completed": "govuk-tag--green",
    "missed": "govuk-tag--orange",
    "cancelled": "govuk-tag--grey",
}
SAVED = {
    "logged": "Visit logged",
    "recorded": "Visit recorded",
    "cancelled": "Visit cancelled",
    "moved": "Visit moved",
    "restored": "Visit planned again: the cancelling is undone",
}
CALLED_OFF_BY = [
    ("mentor", "The mentor"),
    ("child", "The young person"),
    ("carer", "The carer"),
    ("school", "The school"),
    ("social_worker", "The social worker"),
    ("programme", "The programme (a Tandem lead)"),
]
CALLED_OFF_WORDS = {
    "mentor": "the mentor",
    "child": "the young person",
    "carer": "the carer",
    "school": "the school",
    "social_worker": "the social worker",
    "programme": "the programme",
}


def day_name(day: dt.date | None, today: dt.date | None = None) -> str:
    """ "Monday 16 November", with the year only when it is not this year's."""
    if day is None:
        return ""
    text = f"{day:%A} {day.day} {day:%B}"
    if today is None or day.year != today.year:
        text += f" {day.year}"
    return text


def hours_text(minutes: int) -> str:
    """1.5, 2, 0.25: hours as a short number."""
    hours = round(minutes / 60, 2)
    return f"{hours:g}"


def slot_text(match: Match, *, monthly: bool = False) -> str | None:
    """ "Mondays at 4pm for 1 hour"; a monthly slot (`planning.plan_visits`' rule): "the
    first Monday of each month at 4pm for 1 hour"."""
    if match.visit_weekday is None or match.visit_start_time is None:
        return None
    weekday = WEEKDAYS[match.visit_weekday - 1][1]
    if monthly:
        text = f"the first {weekday} of each month at {time_12h(match.visit_start_time)}"
    else:
        text = f"{weekday}s at {time_12h(match.visit_start_time)}"
    if match.visit_minutes:
        text += f" for {minutes_human(match.visit_minutes)}"
    return text


def visit_when(visit: MentorVisit, today: dt.date | None = None) -> str:
    text = day_name(visit.date, today)
    end = visits.end_time(visit.start_time, visit.minutes)
    if visit.start_time is not None and end is not None:
        text += f", {time_12h(visit.start_time)} to {time_12h(end)}"
    return text


HELPERS = {
    "day_name": day_name,
    "hours_text": hours_text,
    "visit_when": visit_when,
    "status_labels": STATUS_LABELS,
    "status_tags": STATUS_TAGS,
    "called_off_words": CALLED_OFF_WORDS,
}
