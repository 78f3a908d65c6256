"""The API's shapes for assessments (API.md, "Outcomes")."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from app.outcomes.models import Timepoint

Score = float | int


class AssessmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    measure: str = Field(min_length=1, max_length=64)
    informant: str = Field(min_length=1, max_length=40)
    timepoint: Timepoint
    completed_on: dt.date
    scores: dict[str, float] = Field(default_factory=dict, max_length=50)
    items: dict[str, int] = Field(
        default_factory=dict, max_length=100, description="For a measure entered item by item."
    )


class AssessmentUpdate(BaseModel):
    """A correction: what is sent replaces what was stored; `version` as last read."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1)
    completed_on: dt.date | None = None
    scores: dict[str, float] | None = Field(default=None, max_length=50)
    items: dict[str, int] | None = Field(default=None, max_length=100)


class AssessmentPublic(BaseModel):
    id: int
    child_id: int
    measure: str
    measure_version: int
    informant: str
    timepoint: Timepoint
    completed_on: dt.date
    scores: dict[str, float]
    items: dict[str, int]
    version: int


class DueAssessment(BaseModel):
    child_id: int
    measure: str
    timepoint: Timepoint
    due_from: dt.date
    due_by: dt.date
    overdue: bool
