"""The fidelity report's JSON (API.md, "Fidelity")."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class Metrics(BaseModel):
    """Exact shares in [0, 1] (hours for mentoring_hours_per_week); null when the
    denominator is 0. Definitions: DESIGN.md, "Fidelity"."""

    delivery_rate: float | None
    attendance_rate: float | None
    core_coverage_rate: float | None
    two_facilitator_rate: float | None
    mentoring_hours_per_week: float | None
    weeks_with_visit_rate: float | None
    weeks_in_band_rate: float | None
    practice_completion_rate: float | None
    retention_rate: float | None


class CohortFigures(BaseModel):
    id: int
    name: str
    start_date: dt.date
    metrics: Metrics


class ChildFigures(BaseModel):
    child_id: int
    reference: str = Field(description="Pseudonymous: no names in the report")
    cohort_id: int
    lessons_delivered: int
    lessons_attended: int
    dosage: float | None
    below_threshold: bool
    withdrawn: bool = Field(description="Withdrawn from the cohort by as_of")


class MentorFigures(BaseModel):
    mentor_id: int
    name: str
    mentoring_hours_per_week: float | None
    weeks_with_visit_rate: float | None
    weeks_in_band_rate: float | None
    practice_completion_rate: float | None


class FlagOut(BaseModel):
    kind: str
    message: str
    href: str = Field(description="The page where a lead acts on it")
    cohort_id: int | None = None
    child_id: int | None = None
    session_id: int | None = None
    mentor_id: int | None = None
    match_id: int | None = None


class FidelityReport(BaseModel):
    as_of: dt.date
    cohort_id: int | None
    metrics: Metrics
    benchmarks: dict[str, float] = Field(description="The published FHF-PT trial figures")
    dosage_threshold: float
    mentoring_band: tuple[int, int]
    cohorts: list[CohortFigures]
    children: list[ChildFigures]
    mentors: list[MentorFigures]
    flags: list[FlagOut]
