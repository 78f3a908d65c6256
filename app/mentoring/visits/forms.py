"""The visit pages' forms: logging a visit or recording how a planned one went (with the
mentee's practice tasks), moving or cancelling a planned one, and a match's weekly slot.

A visit's length is a select of common lengths, or "Another length" and the number typed in
the box beside it: only the one chosen is read (`LengthChosen`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any, ClassVar, Self, TypeVar

from pydantic import BeforeValidator, Field, create_model, model_validator

from app.forms import (
    FORM,
    OUT_OF_DATE,
    Choice,
    DateInput,
    Form,
    Msg,
    OptionalDateInput,
    OptionalText,
    OptionalWholeNumber,
    PageVersion,
    Submission,
    Text,
    Tick,
    TimeOfDay,
    WholeNumber,
)
from app.mentoring.models import CalledOffBy, MentorVisit, VisitStatus
from app.mentoring.schemas import VisitCreate, VisitPlanIn, VisitUpdate
from app.web import minutes_human

MINUTE_CHOICES = (30, 45, 60, 90, 120, 150, 180, 210, 240)
MINUTES_RANGE = "A visit lasts from 15 minutes to 8 hours (480 minutes)"
LENGTH = Msg(
    invalid="Enter the length as a number of minutes, for example 90", out_of_range=MINUTES_RANGE
)
HOW = "Choose how the visit went"
WEEKDAY = "Choose the day of the week"
ANSWERS = ("none", "practised", "completed")
TASKS_MAX = 50  # as the API's lists of practice tasks

# The page's own names for the service's fields.
FIELD_OF = {"duration_minutes": "minutes", "assignment_ids": FORM, "match_id": FORM}


# The length of a visit -----------------------------------------------------------------------


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


ChosenLength = Annotated[OptionalWholeNumber, LENGTH, Field(title="How long", ge=15, le=480)]
"""The select: one of MINUTE_CHOICES (a number posted as the choice itself is read too)."""

TypedLength = Annotated[
    OptionalWholeNumber, LENGTH, Field(title="Another length, in minutes", ge=15, le=480)
]
"""The box, read when "Another length" is chosen (or no length at all)."""


class LengthChosen(Form):
    """A form with a visit's length. Each form declares `minutes` (ChosenLength) and
    `minutes_other` (TypedLength) itself, where its page has them (fields run in page
    order)."""

    @model_validator(mode="before")
    @classmethod
    def _read_the_one_chosen(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            data = dict(data)
            if data.get("minutes") in (None, "other"):
                data.pop("minutes", None)
            else:
                data.pop("minutes_other", None)  # a length chosen: the box is not read
        return data

    @classmethod
    def typed_problems(cls, values: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
        choice, other = values.get("minutes"), values.get("minutes_other")
        if choice == "other" and not other:
            yield "minutes_other", "Enter how many minutes the visit lasted"
        elif not choice and not other:
            yield "minutes", "Choose how long the visit lasted"

    def length(self) -> int:
        chosen = self.model_dump(include={"minutes", "minutes_other"})
        minutes = chosen.get("minutes")
        return int(minutes if minutes is not None else chosen["minutes_other"])


# Logging a visit, or recording a planned one -------------------------------------------------


def _answer(value: object) -> object:
    # An answer the page does not offer is "not this time", as the page shows it.
    return value if value in ANSWERS else "none"


TaskAnswer = Annotated[str, BeforeValidator(_answer)]


class VisitForm(LengthChosen):
    """The visit form; `with_tasks` adds one answer for each practice task on the page."""

    task_ids: ClassVar[tuple[int, ...]] = ()

    date: Annotated[DateInput, Field(title="Date of the visit")]
    start_time: Annotated[TimeOfDay, Field(title="Start time")]
    minutes: ChosenLength = None
    minutes_other: TypedLength = None
    status: Annotated[Choice[VisitStatus], Msg(empty=HOW, invalid=HOW), Field(title="Status")]
    summary: Annotated[
        OptionalText,
        Msg(too_long="What you did must be 2,000 characters or fewer"),
        Field(title="What you did", max_length=2000),
    ] = None
    safeguarding_concern: Annotated[Tick, Field(title="A safeguarding concern")] = False

    @classmethod
    def answers_of(cls, values: Mapping[str, Any]) -> dict[int, str]:
        """Each task's answer as typed (to show the form again)."""
        return {t: str(_answer(values.get(f"task-{t}"))) for t in cls.task_ids}

    def answers(self) -> dict[int, str]:
        return {t: getattr(self, f"task-{t}") for t in self.task_ids}

    def _tasks(self, answer: str) -> list[int]:
        return sorted(t for t, a in self.answers().items() if a == answer)

    def problems(self) -> Iterable[tuple[str, str]]:
        if any(len(self._tasks(a)) > TASKS_MAX for a in ("practised", "completed")):
            yield FORM, f"Mark at most {TASKS_MAX} practice tasks at a time"

    def body(self) -> dict[str, Any]:
        """The API's fields of the visit."""
        return {
            "date": self.date,
            "start_time": self.start_time,
            "duration_minutes": self.length(),
            "status": self.status,
            "summary": self.summary,
            "assignment_ids": self._tasks("practised"),
            "completed_assignment_ids": self._tasks("completed"),
        }

    def to_create(self, match_id: int) -> VisitCreate:
        return VisitCreate(
            match_id=match_id, safeguarding_concern=self.safeguarding_concern, **self.body()
        )


class RecordVisitForm(VisitForm):
    """How a planned (or recorded) visit went, saved over the version the page showed."""

    version: PageVersion

    @classmethod
    def read(cls, posted: Mapping[str, Any]) -> Submission[Self]:
        submission = super().read(posted)
        if submission.errors.get(FORM) == OUT_OF_DATE:
            submission.status_code = 409  # as when someone else saved first: reload
        return submission

    def to_update(self) -> VisitUpdate:
        # A concern is never withdrawn from this page (only a lead's review clears it).
        concern = {"safeguarding_concern": True} if self.safeguarding_concern else {}
        return VisitUpdate(version=self.version, **self.body(), **concern)


V = TypeVar("V", bound=VisitForm)


def with_tasks(form: type[V], task_ids: Sequence[int]) -> type[V]:
    """The visit form of a page showing these practice tasks: one answer each."""
    fields: dict[str, Any] = {f"task-{t}": (TaskAnswer, "none") for t in task_ids}
    built = create_model(form.__name__, __base__=form, **fields)
    built.task_ids = tuple(task_ids)
    return built


def visit_values(visit: MentorVisit | None, today: dt.date) -> dict[str, Any]:
    """The visit form showing the stored visit; a new one is dated today, and completed
    (a choice, not a fact: most visits are logged once they have happened)."""
    if visit is None:
        return {
            **VisitForm.initial(date=today, status=VisitStatus.completed),
            **minutes_values(None),
        }
    status = visit.status
    if status == VisitStatus.planned and visit.date <= today:
        status = VisitStatus.completed  # recording how it went: most visits happen as planned
    return {
        **VisitForm.initial(
            date=visit.date,
            start_time=visit.start_time,
            status=status,
            summary=visit.summary,
            safeguarding_concern=visit.safeguarding_concern,
        ),
        **minutes_values(visit.minutes),
    }


class MatchOfVisit(Form):
    """The match a visit is logged for, when the form names it (a hidden field)."""

    match_id: Annotated[OptionalWholeNumber, Field(title="Match", ge=1, le=2**31 - 1)] = None


# Moving or cancelling a planned visit --------------------------------------------------------


def _version_or_none(value: object) -> object:
    if isinstance(value, str) and value.isdigit() and 1 <= int(value) <= 2**31 - 2:
        return int(value)
    return None


ShownVersion = Annotated[int | None, BeforeValidator(_version_or_none)]
"""The version the page showed, if it sent one it could have (else the stored one counts)."""


class MoveForm(Form):
    version: ShownVersion = None
    date: Annotated[DateInput, Field(title="New date")]
    start_time: Annotated[TimeOfDay, Field(title="Start time")]

    def to_update(self, stored_version: int) -> VisitUpdate:
        return VisitUpdate(
            version=self.version or stored_version, date=self.date, start_time=self.start_time
        )


class CancelForm(Form):
    """Cancelling a planned visit: who called it off and why (both asked on the page)."""

    version: ShownVersion = None
    called_off_by: Annotated[
        Choice[CalledOffBy],
        Msg(empty="Choose who called the visit off"),
        Field(title="Who called it off"),
    ]
    cancel_reason: Annotated[
        Text,
        Msg(empty="Say why the visit was called off, for example: ill, a school trip"),
        Field(title="Why it was called off", max_length=200),
    ]

    def to_update(self, stored_version: int) -> VisitUpdate:
        return VisitUpdate(
            version=self.version or stored_version,
            status=VisitStatus.cancelled,
            called_off_by=self.called_off_by,
            cancel_reason=self.cancel_reason,
        )


class RestoreForm(Form):
    version: PageVersion


# A match's weekly slot -------------------------------------------------------------------------


class SlotForm(LengthChosen):
    """The mentor's weekly visit slot (the lead's is matching's VisitPlanForm)."""

    weekday: Annotated[
        WholeNumber, Msg(empty=WEEKDAY, invalid=WEEKDAY), Field(title="Day of the week", ge=1, le=7)
    ]
    start_time: Annotated[TimeOfDay, Field(title="Start time")]
    minutes: ChosenLength = None
    minutes_other: TypedLength = None
    until: Annotated[OptionalDateInput, Field(title="Last date")] = None

    def to_plan(self) -> VisitPlanIn:
        return VisitPlanIn(
            weekday=self.weekday,
            start_time=self.start_time,
            duration_minutes=self.length(),
            until=self.until,
        )
