"""GET /api/v1/outcomes (API.md "Outcomes"): the fixed fields, and a few more the page uses.
A cell of fewer than five children has every figure null and `suppressed` true."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from app.outcomes.models import EventKind, Timepoint


class Cell(BaseModel):
    """The figures of one group of children with both assessments of a comparison."""

    n_paired: int | None = Field(description="Children with both assessments; null if < 5")
    suppressed: bool = Field(description="Fewer than five children: no figure is shown")
    baseline_mean: float | None
    end_mean: float | None = Field(description="The later timepoint's mean")
    mean_change: float | None
    ci_low: float | None = Field(description="95% confidence interval of the mean change")
    ci_high: float | None
    improved: int | None
    no_reliable_change: int | None
    deteriorated: int | None
    high_at_baseline: int | None = Field(description="Children in a high band at baseline")
    left_high_share: float | None = Field(
        description="Of those high at baseline, the share out of the high bands at the end"
    )


class Dosage(BaseModel):
    met: Cell
    below: Cell


class FollowUp(Cell):
    by_dosage: Dosage


class MeasureRow(Cell):
    measure: str
    measure_name: str
    informant: str
    informant_name: str
    scale: str
    scale_name: str
    higher_is: Literal["better", "worse"]
    by_dosage: Dosage
    follow_ups: dict[str, FollowUp] = Field(
        description="follow_up_6m and follow_up_12m, each paired with baseline"
    )


class EventRate(BaseModel):
    kind: EventKind
    rate_before: float | None
    rate_during_after: float | None


class Due(BaseModel):
    child_id: int
    measure: str
    timepoint: Timepoint
    due_from: dt.date
    due_by: dt.date


class Completion(BaseModel):
    measure: str
    timepoint: Timepoint
    assessed: int = Field(description="Children in scope assessed at this timepoint by as_of")
    due: int = Field(description="Assessed, plus those due and not yet assessed")


class OutcomesReport(BaseModel):
    as_of: dt.date
    cohort_id: int | None
    dosage_threshold: float
    measures: list[MeasureRow]
    events: list[EventRate]
    due: list[Due]
    completion: list[Completion]
