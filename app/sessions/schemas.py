from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.cohorts.schemas import SessionPublic
from app.sessions.models import AttendanceStatus, CoverageStatus
from app.web import Version

Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


class AttendanceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    child_id: Id
    status: AttendanceStatus
    note: Note | None = None


class CoverageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    activity_id: Id
    status: CoverageStatus
    note: Note | None = None


class RecordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Version
    facilitators_present: list[Id] = Field(max_length=10)
    attendance: list[AttendanceIn] = Field(max_length=100)
    coverage: list[CoverageIn] = Field(max_length=20)
    # Left out of the body, notes and checklist keep what is stored (a client that does not
    # know them must not wipe them); sent as null (or empty), they are cleared.
    notes: Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)] | None = None
    checklist: dict[Annotated[str, StringConstraints(max_length=200)], bool] | None = Field(
        default=None, max_length=20
    )


class ActivityOut(BaseModel):
    id: int
    key: str
    title: str
    minutes: int
    core: bool
    guidance: str


class TaskOut(BaseModel):
    id: int
    key: str
    title: str
    description: str


class Lesson(BaseModel):
    week: int
    title: str
    summary: str
    activities: list[ActivityOut]
    practice_tasks: list[TaskOut]


class RosterChild(BaseModel):
    child_id: int
    first_name: str
    reference: str
    # Once the session is recorded: what the register says, or null for a child who joined
    # after the save (never an assumed value). Always null before the first save.
    status: AttendanceStatus | None = None


class AttendanceOut(BaseModel):
    child_id: int
    status: AttendanceStatus
    note: str | None


class CoverageOut(BaseModel):
    activity_id: int
    status: CoverageStatus
    note: str | None


class ObservationOut(BaseModel):
    observer_id: int
    adherence: int
    quality: int
    comments: str | None
    observed_at: dt.datetime


class SessionDetail(SessionPublic):
    cohort_name: str
    lesson: Lesson
    roster: list[RosterChild]
    attendance: list[AttendanceOut] | None = None
    coverage: list[CoverageOut] | None = None
    facilitators_present: list[int] | None = None
    notes: str | None = None
    checklist: dict[str, bool] | None = None
    checklist_items: list[str]
    recorded_at: dt.datetime | None = None
    # Who saved the register last, and when (the first save or the latest correction).
    saved_by: str | None = None
    saved_at: dt.datetime | None = None
    observations: list[ObservationOut] = Field(default_factory=list)


class ObservationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    adherence: int = Field(ge=1, le=5)
    quality: int = Field(ge=1, le=5)
    comments: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = (
        None
    )
