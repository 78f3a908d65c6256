"""The cohort pages' forms: a new cohort, changing or archiving one, enrolling and
withdrawing a child, moving, covering or cancelling one session, a closure, and a CSV file
of closures."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field, ValidationError
from starlette.datastructures import UploadFile

from app.cohorts.closure_import import parse_day
from app.cohorts.schemas import ClosureCreate, CohortChange, CohortCreate, EnrolmentCreate
from app.forms import (
    Checkboxes,
    DateInput,
    Form,
    Msg,
    OptionalDateInput,
    OptionalText,
    OptionalTimeOfDay,
    OptionalWholeNumber,
    PageVersion,
    Text,
    TimeOfDay,
    WholeNumber,
)

MAX_ID = 2**31 - 1  # what the integer id columns hold
MAX_ENROL_AT_ONCE = 60  # a cohort is 8 to 10 children; a few cohorts' worth at most
REASON_TOO_LONG = "The reason must be 200 characters or fewer"


class CohortForm(Form):
    name: Annotated[
        Text, Msg(empty="Enter a name for the cohort"), Field(title="Name", max_length=120)
    ]
    curriculum_id: Annotated[
        WholeNumber,
        Msg(empty="Choose a curriculum", invalid="Choose a curriculum"),
        Field(title="Curriculum", ge=1, le=MAX_ID),
    ]
    start_date: Annotated[DateInput, Field(title="Date of the first session")]
    start_time: Annotated[TimeOfDay, Field(title="Start time")]
    duration_minutes: Annotated[
        WholeNumber,
        Msg(invalid="Enter a length from 30 to 240 minutes"),
        Field(title="Length in minutes", ge=30, le=240),
    ]
    venue: Annotated[Text, Field(title="Venue", max_length=200)]
    facilitator_1: Annotated[
        WholeNumber,
        Msg(empty="Choose the first facilitator", invalid="Choose the first facilitator"),
        Field(title="First facilitator", ge=1, le=MAX_ID),
    ]
    facilitator_2: Annotated[
        WholeNumber,
        Msg(empty="Choose the second facilitator", invalid="Choose the second facilitator"),
        Field(title="Second facilitator", ge=1, le=MAX_ID),
    ]
    # Shown only when the organisation runs more than one programme with groups; without it
    # the service puts the cohort in the only one.
    programme_id: Annotated[
        OptionalWholeNumber,
        Msg(invalid="Choose the programme from the list"),
        Field(title="Programme", ge=1, le=MAX_ID),
    ] = None

    def to_create(self) -> CohortCreate:
        # The same facilitator twice is the service's to refuse (the API's rule, one message).
        return CohortCreate(
            programme_id=self.programme_id,
            name=self.name,
            curriculum_id=self.curriculum_id,
            start_date=self.start_date,
            start_time=self.start_time,
            duration_minutes=self.duration_minutes,
            venue=self.venue,
            facilitator_ids=[self.facilitator_1, self.facilitator_2],
        )


class CohortChangeForm(Form):
    """Every field shows what is stored; the changes apply from the date in three boxes."""

    version: PageVersion
    name: Annotated[
        Text, Msg(empty="Enter a name for the cohort"), Field(title="Name", max_length=120)
    ]
    venue: Annotated[Text, Msg(empty="Enter the venue"), Field(title="Venue", max_length=200)]
    start_time: Annotated[TimeOfDay, Field(title="Start time")]
    duration_minutes: Annotated[
        WholeNumber,
        Msg(invalid="Enter a length from 30 to 240 minutes"),
        Field(title="Length in minutes", ge=30, le=240),
    ]
    facilitator_1: Annotated[
        WholeNumber,
        Msg(empty="Choose the first facilitator", invalid="Choose the first facilitator"),
        Field(title="First facilitator", ge=1, le=MAX_ID),
    ]
    facilitator_2: Annotated[
        WholeNumber,
        Msg(empty="Choose the second facilitator", invalid="Choose the second facilitator"),
        Field(title="Second facilitator", ge=1, le=MAX_ID),
    ]
    from_date: Annotated[DateInput, Field(title="Date the changes start")]

    def to_change(self) -> CohortChange:
        return CohortChange(
            version=self.version,
            name=self.name,
            venue=self.venue,
            start_time=self.start_time,
            duration_minutes=self.duration_minutes,
            facilitator_ids=[self.facilitator_1, self.facilitator_2],
            from_=self.from_date,
        )


CHANGE_RENAME = {"facilitator_ids": "facilitator_1", "from": "from_date"}


class ArchiveForm(Form):
    version: PageVersion


def _ids(values: list[str]) -> list[str]:
    """Each ticked box is a child's id (a page out of date or a hand-made post otherwise)."""
    if not all(v.isdigit() and 1 <= int(v) <= MAX_ID for v in values):
        raise ValueError("not an id")
    return list(dict.fromkeys(values))


class EnrolForm(Form):
    """One child or several at once (a box ticked for each), from the same date: a new
    cohort's children are enrolled in one save, all or none."""

    child_id: Annotated[
        Checkboxes,
        AfterValidator(_ids),
        Msg(empty="Choose a child to enrol", invalid="Choose a child to enrol"),
        Field(title="Children", max_length=MAX_ENROL_AT_ONCE),
    ]
    start_date: Annotated[OptionalDateInput, Field(title="Start date")] = None
    eligibility_override: Annotated[
        OptionalText, Field(title="Reason to enrol outside the age range", max_length=500)
    ] = None

    def to_create(self) -> list[EnrolmentCreate]:
        return [
            EnrolmentCreate(
                child_id=int(child_id),
                start_date=self.start_date,
                eligibility_override=self.eligibility_override,
            )
            for child_id in self.child_id
        ]


class WithdrawForm(Form):
    date: Annotated[DateInput, Field(title="Date the child left")]
    reason: Annotated[
        Text,
        Msg(empty="Enter the reason the child left", too_long=REASON_TOO_LONG),
        Field(title="Reason", max_length=200),
    ]


class RescheduleForm(Form):
    """Every field may stay as it is: a blank one keeps the session's own. The two
    facilitators are who runs this session (a cover); the cohort's own undo a cover."""

    version: PageVersion
    date: Annotated[OptionalDateInput, Field(title="Date")] = None
    start_time: Annotated[OptionalTimeOfDay, Field(title="Start time")] = None
    venue: Annotated[OptionalText, Field(title="Venue", max_length=200)] = None
    facilitator_1: Annotated[
        OptionalWholeNumber,
        Msg(invalid="Choose the first facilitator for this session"),
        Field(title="First facilitator for this session", ge=1, le=MAX_ID),
    ] = None
    facilitator_2: Annotated[
        OptionalWholeNumber,
        Msg(invalid="Choose the second facilitator for this session"),
        Field(title="Second facilitator for this session", ge=1, le=MAX_ID),
    ] = None

    def problems(self) -> Iterable[tuple[str, str]]:
        if self.facilitator_1 is None and self.facilitator_2 is not None:
            yield "facilitator_1", "Choose the first facilitator for this session"
        elif self.facilitator_2 is None and self.facilitator_1 is not None:
            yield "facilitator_2", "Choose the second facilitator for this session"

    def cover(self) -> list[int] | None:
        if self.facilitator_1 is None or self.facilitator_2 is None:
            return None
        return [self.facilitator_1, self.facilitator_2]


class CancelForm(Form):
    version: PageVersion
    reason: Annotated[
        Text,
        Msg(empty="Enter why the session is cancelled", too_long=REASON_TOO_LONG),
        Field(title="Reason", max_length=200),
    ]


class ClosureForm(Form):
    start: Annotated[DateInput, Field(title="First day of the closure")]
    end: Annotated[OptionalDateInput, Field(title="Last day")] = None
    reason: Annotated[
        Text,
        Msg(empty="Enter the reason, like October half term", too_long=REASON_TOO_LONG),
        Field(title="Reason", max_length=200),
    ]
    cohort_id: Annotated[
        OptionalWholeNumber,
        Msg(invalid="Choose a cohort from the list"),
        Field(title="Cohort", ge=1, le=MAX_ID),
    ] = None

    def problems(self) -> Iterable[tuple[str, str]]:
        if self.end is not None and self.end < self.start:
            yield "end", "The last day must be on or after the first day"
        elif self.end is not None and (self.end - self.start).days > 366:
            yield "end", "A closure can last at most a year"

    def to_create(self) -> ClosureCreate:
        return ClosureCreate(
            date=self.start, end_date=self.end, reason=self.reason, cohort_id=self.cohort_id
        )


# A CSV file of closures --------------------------------------------------------------------

MAX_CSV_BYTES = 100_000
NO_FILE = "Choose a CSV file of term dates"


def _parse_day(text: str) -> dt.date:
    day = parse_day(text)  # the same dates the closures import reads
    if day is None:
        raise ValueError(text.strip())
    return day


def parse_closures_csv(text: str) -> list[ClosureCreate]:
    """Rows of start_date, end_date, reason; a header row is allowed. Raises ValueError
    naming the first bad line."""
    out = []
    for number, record in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not record or not "".join(record).strip():
            continue
        if number == 1 and record[0].strip().lower() in ("start_date", "start", "date", "from"):
            continue
        if len(record) < 3:
            raise ValueError(f"Line {number}: give a start date, an end date and a reason")
        try:
            start, end = _parse_day(record[0]), _parse_day(record[1])
        except ValueError as exc:
            raise ValueError(
                f"Line {number}: {exc} is not a date (use 2026-10-26 or 26/10/2026)"
            ) from None
        try:
            out.append(ClosureCreate(date=start, end_date=end, reason=",".join(record[2:]).strip()))
        except ValidationError:
            raise ValueError(
                f"Line {number}: the end date must be on or after the start date, "
                "and the reason 1 to 200 characters"
            ) from None
    if not out:
        raise ValueError("The file has no closures in it")
    if len(out) > 200:
        raise ValueError("Import at most 200 closures at a time")
    return out


def _closures_in(value: object) -> object:
    """The uploaded file (or its bytes) as closures, every row checked; the first problem
    found is the field's message."""
    if isinstance(value, UploadFile):
        # Read no more than one byte past the limit, whatever was sent (the view is sync, so
        # reading the spooled file blocks nothing).
        value = value.file.read(MAX_CSV_BYTES + 1)
    if not isinstance(value, bytes) or not value:
        raise ValueError(NO_FILE)
    if len(value) > MAX_CSV_BYTES:
        raise ValueError("The file must be smaller than 100 KB")
    try:
        text = value.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError("The file must be a CSV saved as UTF-8") from None
    return parse_closures_csv(text)


class ClosuresFileForm(Form):
    """A CSV of term dates: start_date, end_date, reason (YYYY-MM-DD or DD/MM/YYYY). Nothing
    is added unless every row is good."""

    file: Annotated[
        list[ClosureCreate],
        BeforeValidator(_closures_in),
        Msg(empty=NO_FILE),
        Field(title="CSV file of term dates"),
    ]
