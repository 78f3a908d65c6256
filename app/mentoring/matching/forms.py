"""The lead's matching forms: making a match (the young person's own choice counts), and
the match page's check-in, weekly visit plan and ending."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated, Any

from pydantic import Field

from app.forms import (
    Choice,
    DateInput,
    Form,
    Msg,
    OptionalDateInput,
    OptionalText,
    OptionalWholeNumber,
    Tick,
    TimeOfDay,
    WholeNumber,
)
from app.mentoring.models import EndedBy, EndReason
from app.mentoring.schemas import CheckInCreate, MatchCreate, MatchEnd, VisitPlanIn

MAX_ID = 2**31 - 1  # what the integer id columns hold
CHOOSE_MENTOR = "Choose a mentor"
CHOOSE_PROGRAMME = "Choose a programme"
WHO = "Say who the check-in was with: the mentor, the child or the carer"
WEEKDAY = "Choose the day of the week"
LENGTH = "Enter a length from 15 to 480 minutes"
WHY = "Choose why the match ended"
WHO_ENDED = "Choose who ended the match"


class MatchForm(Form):
    mentor_id: Annotated[
        WholeNumber,
        Msg(empty=CHOOSE_MENTOR, invalid=CHOOSE_MENTOR),
        Field(title="Mentor", ge=1, le=MAX_ID),
    ]
    start_date: Annotated[DateInput, Field(title="Start date")]
    chosen_by_young_person: Annotated[Tick, Field(title="Chosen by the young person")] = False
    # Shown only where they apply (the programme's kind, the child's age): a one-programme
    # FHF-PT organisation sees the form as before.
    child_agreed_on: Annotated[
        OptionalDateInput, Field(title="When the child said they want this")
    ] = None
    child_agreed_how: Annotated[
        OptionalText,
        Msg(too_long="How they said so must be 500 characters or fewer"),
        Field(title="How they said so", max_length=500),
    ] = None
    age_override: Annotated[
        OptionalText,
        Msg(too_long="The reason must be 500 characters or fewer"),
        Field(title="Why match them outside the programme's ages", max_length=500),
    ] = None
    programme_id: Annotated[
        OptionalWholeNumber,
        Msg(invalid=CHOOSE_PROGRAMME),
        Field(title="Programme", ge=1, le=MAX_ID),
    ] = None

    def to_create(self, child_id: int) -> MatchCreate:
        return MatchCreate(
            child_id=child_id,
            mentor_id=self.mentor_id,
            start_date=self.start_date,
            chosen_by_young_person=self.chosen_by_young_person,
            programme_id=self.programme_id,
            age_override=self.age_override or None,
            child_agreed_on=self.child_agreed_on,
            child_agreed_how=self.child_agreed_how or None,
        )


class CheckInForm(Form):
    check_in_date: Annotated[DateInput, Field(title="Date of the check-in")]
    with_mentor: Annotated[Tick, Field(title="The mentor")] = False
    with_child: Annotated[Tick, Field(title="The child")] = False
    with_carer: Annotated[Tick, Field(title="The carer")] = False
    check_in_notes: Annotated[
        OptionalText,
        Msg(too_long="Notes must be 2000 characters or fewer"),
        Field(title="Notes", max_length=2000),
    ] = None

    @classmethod
    def typed_problems(cls, values: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
        # Named beside the first box: the summary's link focuses it.
        if not any(values.get(who) == "yes" for who in ("with_mentor", "with_child", "with_carer")):
            yield "with_mentor", WHO

    def to_create(self) -> CheckInCreate:
        return CheckInCreate(
            date=self.check_in_date,
            with_mentor=self.with_mentor,
            with_child=self.with_child,
            with_carer=self.with_carer,
            notes=self.check_in_notes,
        )


# The service's names for the fields of each form, where they differ.
CHECK_IN_FIELDS = {"date": "check_in_date", "notes": "check_in_notes"}


class VisitPlanForm(Form):
    """The lead's weekly visit plan for a match (the mentor's is visits' SlotForm): the same
    rule for times as every other page."""

    weekday: Annotated[
        WholeNumber, Msg(empty=WEEKDAY, invalid=WEEKDAY), Field(title="Day of the week", ge=1, le=7)
    ]
    start_time: Annotated[TimeOfDay, Field(title="Start time")]
    duration_minutes: Annotated[
        WholeNumber,
        Msg(empty=LENGTH, invalid=LENGTH),
        Field(title="Length in minutes", ge=15, le=480),
    ]
    until: Annotated[OptionalDateInput, Field(title="End date")] = None

    def to_plan(self) -> VisitPlanIn:
        return VisitPlanIn(
            weekday=self.weekday,
            start_time=self.start_time,
            duration_minutes=self.duration_minutes,
            until=self.until,
        )


PLAN_FIELDS = {"from": "until", "from_date": "until"}


class EndForm(Form):
    end_date: Annotated[DateInput, Field(title="End date")]
    reason: Annotated[Choice[EndReason], Msg(empty=WHY, invalid=WHY), Field(title="Reason")]
    ended_by: Annotated[
        Choice[EndedBy], Msg(empty=WHO_ENDED, invalid=WHO_ENDED), Field(title="Who ended it")
    ]
    note: Annotated[
        OptionalText,
        Msg(too_long="The closure note must be 2000 characters or fewer"),
        Field(title="Closure note", max_length=2000),
    ] = None

    def to_end(self) -> MatchEnd:
        return MatchEnd(
            end_date=self.end_date, reason=self.reason, ended_by=self.ended_by, note=self.note
        )
