from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from app.cohorts.models import EnrolmentStatus, SessionStatus
from app.web import Day, Version, WallTime

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Venue = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]


class CohortCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    curriculum_id: Id
    programme_id: Id | None = Field(
        default=None,
        description="The programme it belongs to; optional while the organisation has one.",
    )
    start_date: Day = Field(description="The first session; may be in the past.")
    start_time: WallTime
    duration_minutes: int = Field(default=90, ge=30, le=240)
    venue: Venue
    facilitator_ids: list[Id] = Field(description="Exactly two distinct facilitators.")


class SessionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    cohort_id: int
    week: int
    date: dt.date
    start_time: WallTime
    end_time: WallTime
    venue: str
    status: SessionStatus
    cancel_reason: str | None = None
    version: int
    facilitator_ids: list[int] | None = Field(
        default=None,
        description="Who runs the session: a cover, or who ran it before the cohort's "
        "facilitators changed; otherwise the cohort's facilitators.",
    )


class FacilitatorPublic(BaseModel):
    id: int
    name: str


class EnrolmentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    child_id: int
    cohort_id: int
    start_date: dt.date
    end_date: dt.date | None
    status: EnrolmentStatus
    withdraw_reason: str | None
    eligibility_override: str | None


class CohortPublic(BaseModel):
    id: int
    programme_id: int
    name: str
    curriculum_id: int
    start_date: dt.date
    weekday: int = Field(description="ISO weekday of the group: 1 Monday ... 7 Sunday.")
    start_time: WallTime
    duration_minutes: int
    venue: str
    facilitators: list[FacilitatorPublic]
    active_children: int
    created_at: dt.datetime
    archived_at: dt.datetime | None = Field(
        default=None, description="When a lead archived the cohort; null while it is listed."
    )
    version: int


class CohortDetail(CohortPublic):
    sessions: list[SessionPublic]
    enrolments: list[EnrolmentPublic]
    warnings: list[str]


class CohortChange(BaseModel):
    """A change to a cohort: the name applies to the cohort; the rest to its scheduled
    sessions on or after `from` (default today), and to the lessons planned later."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    version: Version
    name: Name | None = None
    venue: Venue | None = None
    start_time: WallTime | None = None
    duration_minutes: int | None = Field(default=None, ge=30, le=240)
    facilitator_ids: list[Id] | None = Field(
        default=None, description="The cohort's facilitators from `from` on."
    )
    from_: Day | None = Field(
        default=None,
        alias="from",
        description="The first day the change applies to (default today, where the "
        "organisation is); earlier sessions keep their time, venue and facilitators.",
    )


class CohortArchive(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Version | None = None


class ClosureCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: Day
    end_date: Day | None = None
    reason: Reason
    cohort_id: Id | None = None

    @model_validator(mode="after")
    def _range(self) -> ClosureCreate:
        if self.end_date is not None and self.end_date < self.date:
            raise ValueError("end_date must be on or after date")
        if self.end_date is not None and (self.end_date - self.date).days > 366:
            raise ValueError("a closure can last at most a year")
        return self


class ClosurePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    date: dt.date
    end_date: dt.date
    reason: str
    cohort_id: int | None
    cancelled_sessions: int = Field(
        default=0, description="How many scheduled sessions this closure cancelled."
    )


class SessionReschedule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Version
    date: Day | None = None
    start_time: WallTime | None = None
    venue: Venue | None = None
    facilitator_ids: list[Id] | None = Field(
        default=None, description="Who runs this one session (cover); the cohort's own to undo."
    )


class SessionCancel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Version
    reason: Reason


class EnrolmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    child_id: Id
    start_date: Day | None = None
    eligibility_override: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
        | None
    ) = None


class EnrolmentWithdraw(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: Day
    reason: Reason
