"""The fidelity report's JSON (API.md, "Fidelity")."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints


class EarlyEndings(BaseModel):
    total: int = Field(description="Matches ended by as_of before their expected length")
    by: dict[str, int] = Field(
        description="The same by who ended them (the match's ended_by; not_given when none)"
    )


class Metrics(BaseModel):
    """Exact shares in [0, 1] (hours for mentoring_hours_per_week and _per_month); null when
    the denominator is 0 or the figure does not apply. Definitions: DESIGN.md, "Fidelity"
    and "Second-wave definitions"; each match is judged by its own programme's band (weekly
    figures over weekly-band matches, monthly figures over monthly-band ones)."""

    delivery_rate: float | None
    attendance_rate: float | None
    core_coverage_rate: float | None
    two_facilitator_rate: float | None
    mentoring_hours_per_week: float | None
    weeks_with_visit_rate: float | None
    weeks_in_band_rate: float | None
    practice_completion_rate: float | None
    retention_rate: float | None
    mentoring_hours_per_month: float | None = Field(
        None, description="Completed visit hours per match-month (monthly-band matches)"
    )
    months_with_visit_rate: float | None = Field(
        None, description="Match-months with at least one completed visit"
    )
    months_in_band_rate: float | None = Field(
        None, description="Match-months whose completed hours lie in the programme's band"
    )
    match_length_median_days: float | None = Field(
        None,
        description="Median length in days of the matches started by as_of: end date (or "
        "as_of, while running) minus start date",
    )
    reached_expected_rate: float | None = Field(
        None,
        description="Matches ended by as_of that lasted their programme's expected length "
        "(end date on or after start date + N calendar months, the day clamped to the "
        "month's end), out of matches ended by as_of in programmes with an expected length",
    )
    early_endings: EarlyEndings | None = Field(
        None, description="Ended matches shorter than expected; null for open-ended programmes"
    )


class VisitBandOut(BaseModel):
    per: str = Field(description="week or month")
    min_hours: float
    max_hours: float


class ProgrammeFigures(BaseModel):
    id: int
    name: str
    kind: str
    has_groups: bool
    visit_band: VisitBandOut
    match_length_months: int | None
    metrics: Metrics
    not_applicable: dict[str, str] = Field(
        default_factory=dict,
        description="The figures that do not apply to the programme (null), with the reason",
    )


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
    mentoring_hours_per_month: float | None = None
    months_with_visit_rate: float | None = None
    months_in_band_rate: float | None = None


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
        description="The past kinds: session_not_recorded, one_facilitator, assessment_missed, "
        "match_ended_early"
    )
    cohort_id: Id | None = None
    child_id: Id | None = Field(None, description="Required for assessment_missed")
    session_id: Id | None = Field(
        None, description="Required for session_not_recorded and one_facilitator"
    )
    mentor_id: Id | None = None
    match_id: Id | None = Field(None, description="Required for match_ended_early")
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
        description="Hours of completed mentoring visits in the full weeks (or, for a "
        "monthly band, months) of each match: what mentoring_hours_per_week and _per_month "
        "are worked out from"
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
    mentoring_band: tuple[float, float] = Field(
        description="The weekly band (hours) the weekly figures use: the programme's, or for "
        "the organisation its first weekly programme's"
    )
    cohorts: list[CohortFigures]
    children: list[ChildFigures]
    mentors: list[MentorFigures]
    flags: list[FlagOut]
    counts: Counts | None = None
    programme_id: int | None = None
    programme: ProgrammeFigures | None = Field(
        None, description="With programme_id: the programme and its figures (as `metrics`)"
    )
    programmes: list[ProgrammeFigures] | None = Field(
        None,
        description="Without programme_id or cohort_id, when the organisation has more than "
        "one programme: each programme and its figures",
    )
    not_applicable: dict[str, str] = Field(
        default_factory=dict,
        description="With programme_id: the figures that do not apply to its kind (null in "
        "`metrics`), with the reason",
    )
    acknowledged: list[AcknowledgedFlag] = Field(
        default_factory=list,
        description="Past flags a lead has acknowledged, with who, when and the note",
    )
