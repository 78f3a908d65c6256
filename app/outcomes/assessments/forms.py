"""The assessment page's form: its fields depend on the measure (a box per scale for one
entered as scores, radio buttons per item for one entered item by item), so it is read here
from the posted fields rather than declared as a fixed `Form`."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.forms import DATE_PARTS, Errors
from app.outcomes.models import Timepoint
from app.outcomes.schemas import MeasureFile

TIMEPOINT_CHOICES = [
    (Timepoint.baseline.value, "Baseline"),
    (Timepoint.end.value, "End of programme"),
    (Timepoint.follow_up_6m.value, "6-month follow-up"),
    (Timepoint.follow_up_12m.value, "12-month follow-up"),
]


def score_field(key: str) -> str:
    return f"score-{key}"


def item_field(key: str) -> str:
    return f"item-{key}"


def field_order(definition: MeasureFile) -> list[str]:
    return [
        "informant",
        "timepoint",
        "completed_on",
        *(score_field(s.key) for s in definition.scales if s.derived == "entered"),
        *(item_field(i.key) for i in definition.items),
    ]


def rename(definition: MeasureFile) -> dict[str, str]:
    """The service's field names (scores.KEY, items.KEY) as the page's."""
    out = {f"scores.{s.key}": score_field(s.key) for s in definition.scales}
    out.update({f"items.{i.key}": item_field(i.key) for i in definition.items})
    return out


@dataclass
class AssessmentEntry:
    """What was posted: the values to show again, the errors, and the parsed body."""

    values: dict[str, Any]
    errors: Errors
    body: dict[str, Any] = field(default_factory=dict)


def _date(parts: Mapping[str, str]) -> tuple[dt.date | None, str | None]:
    if not any(parts.values()):
        return None, "Enter the date it was completed"
    missing = [part for part in DATE_PARTS if not parts[part]]
    if missing:
        return None, f"The date it was completed must include a {' and '.join(missing)}"
    if not all(text.isdigit() for text in parts.values()) or len(parts["year"]) != 4:
        return None, "The date it was completed must be a real date"
    try:
        return dt.date(int(parts["year"]), int(parts["month"]), int(parts["day"])), None
    except ValueError:
        return None, "The date it was completed must be a real date"


def read_entry(
    posted: Mapping[str, Any], definition: MeasureFile, *, correction: bool = False
) -> AssessmentEntry:
    """Every problem with the posted form at once, in the order of the page; the body for
    the service (AssessmentCreate's, or AssessmentUpdate's for a correction) when none."""
    errors = Errors(field_order(definition))

    def text(name: str) -> str:
        value = posted.get(name)
        return value.strip() if isinstance(value, str) else ""

    values: dict[str, Any] = {
        "informant": text("informant"),
        "timepoint": text("timepoint"),
        "completed_on": {part: text(f"completed_on-{part}") for part in DATE_PARTS},
    }
    body: dict[str, Any] = {}
    if not correction:
        if values["informant"] not in definition.informants:
            errors.add("informant", "Choose who answered")
        if values["timepoint"] not in {t.value for t in definition.timepoints}:
            errors.add("timepoint", "Choose the timepoint")
        body.update(informant=values["informant"], timepoint=values["timepoint"])
    day, problem = _date(values["completed_on"])
    if problem:
        errors.add("completed_on", problem)
    body["completed_on"] = day
    if definition.entry == "scores":
        scores: dict[str, float] = {}
        for scale in definition.scales:
            if scale.derived != "entered":
                continue
            name = score_field(scale.key)
            raw = values[name] = text(name)
            if not raw:
                errors.add(name, f"Enter the {scale.name} score")
                continue
            try:
                number = float(raw)
            except ValueError:
                number = math.nan
            if not math.isfinite(number):
                errors.add(name, f"Enter the {scale.name} score as a number, like 4")
            else:
                scores[scale.key] = number
        body["scores"] = scores
    else:
        items: dict[str, int] = {}
        for number, item in enumerate(definition.items, start=1):
            name = item_field(item.key)
            raw = values[name] = text(name)
            if not raw.lstrip("-").isdigit():
                errors.add(name, f"Choose an answer for item {number}")
            else:
                items[item.key] = int(raw)
        body["items"] = items
    return AssessmentEntry(values=values, errors=errors, body=body)


def initial_values(
    definition: MeasureFile,
    *,
    informant: str = "",
    timepoint: str = "",
    completed_on: dt.date | None = None,
    scores: Mapping[str, float] | None = None,
    items: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "informant": informant,
        "timepoint": timepoint,
        "completed_on": (
            {"day": completed_on.day, "month": completed_on.month, "year": completed_on.year}
            if completed_on
            else {}
        ),
    }
    for scale in definition.scales:
        if scale.derived == "entered" and scores and scale.key in scores:
            values[score_field(scale.key)] = f"{scores[scale.key]:g}"
    for item in definition.items:
        if items and item.key in items:
            values[item_field(item.key)] = str(items[item.key])
    return values
