"""The programmes' JSON shapes (API.md, "Programmes")."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from app.programmes.models import BandPer, ProgrammeKind

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]


class VisitBand(BaseModel):
    model_config = ConfigDict(extra="forbid")

    per: BandPer = Field(description="`week` or `month`: the period the hours are counted in.")
    min_hours: float = Field(ge=0, le=200, description="The fewest hours in band, inclusive.")
    max_hours: float = Field(ge=0, le=200, description="The most hours in band, inclusive.")

    @model_validator(mode="after")
    def _ordered(self) -> VisitBand:
        if self.min_hours > self.max_hours:
            raise ValueError(
                f"min_hours ({self.min_hours:g}) is above max_hours ({self.max_hours:g}): "
                "give the lower figure first"
            )
        if self.max_hours == 0:
            raise ValueError("max_hours must be above 0")
        return self


class ProgrammeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    kind: ProgrammeKind
    curriculum_id: Id | None = None
    caseload_max: int = Field(ge=1, le=10, description="Active matches one mentor may have in it.")
    visit_band: VisitBand
    age_min: int = Field(ge=0, le=25)
    age_max: int = Field(ge=0, le=25)
    match_length_months: int | None = Field(
        default=None, ge=1, le=240, description="Expected length of a match; null: open-ended."
    )

    @model_validator(mode="after")
    def _ages(self) -> ProgrammeCreate:
        if self.age_min > self.age_max:
            raise ValueError(f"age_min ({self.age_min}) is above age_max ({self.age_max})")
        return self


class ProgrammeUpdate(BaseModel):
    """Every field but the kind may change (a programme's cohorts or matches fix its kind)."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1)
    name: Name | None = None
    curriculum_id: Id | None = None
    caseload_max: int | None = Field(default=None, ge=1, le=10)
    visit_band: VisitBand | None = None
    age_min: int | None = Field(default=None, ge=0, le=25)
    age_max: int | None = Field(default=None, ge=0, le=25)
    match_length_months: int | None = Field(default=None, ge=1, le=240)


class ProgrammePublic(BaseModel):
    id: int
    name: str
    kind: ProgrammeKind
    has_groups: bool
    curriculum_id: int | None
    caseload_max: int
    visit_band: VisitBand
    age_min: int
    age_max: int
    match_length_months: int | None
    archived_at: dt.datetime | None = None
    version: int
