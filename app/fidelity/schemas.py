"""The fidelity report's JSON (API.md, "Fidelity")."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints


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
    href: str = Field(
        description="The page where a lead acts on it. An assessment_due or assessment_missed "
        "flag's link carries its measure and timepoint in the query "
        "(?measure=sdq&timepoint=end)"
    )
    cohort_id: int | None = None
    child_id: int | None = None
    session_id: int | None = None
    mentor_id: int | None = None
    match_id: int | None = None
    acknowledgeable: bool = Field(
        False,
        description="Its cause is over (a session on a day that has passed, an assessment "
        "window that has closed): a lead may acknowledge it with a note "
        "(POST /flags/acknowledgements)",
    )


class AcknowledgedFlag(FlagOut):
    acknowledged_by: str = Field(description="The name of the lead who acknowledged it")
    acknowledged_at: dt.datetime
    note: str


Id = Annotated[int, Field(ge=1, le=2**31 - 1)]


class AcknowledgementIn(BaseModel):
    """Which flag (its kind and the ids it carries in `flags`) and why it needs no action."""

    kind: str = Field(
        description="The past kinds: session_not_recorded, one_facilitator, assessment_missed"
    )
    cohort_id: Id | None = None
    child_id: Id | None = Field(None, description="Required for assessment_missed")
    session_id: Id | None = Field(
        None, description="Required for session_not_recorded and one_facilitator"
    )
    mentor_id: Id | None = None
    measure: str | None = Field(
        None,
        max_length=64,
        description="Required for assessment_missed: the measure in the flag's href",
    )
    timepoint: str | None = Field(
        None,
        max_length=20,
        description="Required for assessment_missed: the timepoint in the flag's href",
    )
    note: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]


class AcknowledgementOut(BaseModel):
    id: int
    kind: str
    cohort_id: int | None
    session_id: int | None
    message: str
    note: str
    acknowledged_by: str
    acknowledged_at: dt.datetime
    on_date: dt.date = Field(description="Flags as of this day onwards leave it out")


class Counts(BaseModel):
    """Numbers a funder reads beside the rates, up to and including as_of, in the scope."""

    children_served: int = Field(
        description="Children enrolled in a cohort (withdrawn or not) on or before as_of"
    )
    sessions_delivered: int = Field(description="Group sessions recorded as delivered")
    mentoring_hours: float = Field(
        description="Hours of completed mentoring visits in the full weeks of each match: "
        "what mentoring_hours_per_week is worked out from"
    )
    mentors_active: int = Field(
        description="Mentors with a match or a practice task in the scope up to as_of (the "
        "rows of `mentors`)"
    )


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
    counts: Counts | None = None
    acknowledged: list[AcknowledgedFlag] = Field(
        default_factory=list,
        description="Past flags a lead has acknowledged, with who, when and the note",
    )
