"""The outcomes report: for each measure x informant x scale, over the children in scope (the
organisation's, or those enrolled in one cohort) with both a baseline and an end assessment
completed by `as_of`, the paired figures of app/outcomes/report/stats.py; the same for each
follow-up paired with baseline; each split by dosage (app/fidelity child_dosage against the
organisation's threshold); and the completion of each timepoint.

A fixed number of queries whatever the number of children: the organisation (and the
cohort), the measures, the assessments in scope, and the children's dosage.

Hooks the other parts of issue 17 fill: `due_list` (assessments due and not done, from the
assessments sub-package's due_assessments) and `event_rates` (from the events sub-package);
both return [] until wired in."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session, col

from app.auth.models import Role, User
from app.cohorts.models import Enrolment
from app.exceptions import Forbidden, Invalid
from app.fidelity.service import Scope, child_dosage, scope_for
from app.outcomes import scoring
from app.outcomes.models import Assessment, Measure, Timepoint
from app.outcomes.report import stats
from app.outcomes.report.schemas import (
    Cell,
    Completion,
    Dosage,
    Due,
    EventRate,
    FollowUp,
    MeasureRow,
    OutcomesReport,
)
from app.outcomes.schemas import MeasureFile
from app.outcomes.service import measures as latest_measures

FOLLOW_UPS = (Timepoint.follow_up_6m, Timepoint.follow_up_12m)
Pair = tuple[float, float]  # (baseline, later)


# Hooks for the other parts of issue 17 --------------------------------------------------------


def due_list(db: Session, scope: Scope, measure_keys: Sequence[str]) -> list[Due]:
    """HOOK: the assessments due and not yet done in scope (API.md `due`). Returns [] until
    the assessments sub-package's due_assessments(...) is wired in here."""
    return []


def event_rates(db: Session, scope: Scope) -> list[EventRate]:
    """HOOK: life-event rates before and during/after the programme (API.md `events`).
    Returns [] until the events sub-package's event_rates(...) is wired in here."""
    return []


# Figures ------------------------------------------------------------------------------------


def cell(definition: MeasureFile, scale: str, informant: str, pairs: Sequence[Pair]) -> Cell:
    """The figures of one group's (baseline, later) pairs; all null (suppressed) under five."""
    n = len(pairs)
    if stats.suppressed(n):
        return Cell(
            n_paired=None,
            suppressed=True,
            baseline_mean=None,
            end_mean=None,
            mean_change=None,
            ci_low=None,
            ci_high=None,
            improved=None,
            no_reliable_change=None,
            deteriorated=None,
            high_at_baseline=None,
            left_high_share=None,
        )
    changes = {"improved": 0, "no_reliable_change": 0, "deteriorated": 0}
    high = left = 0
    for before, after in pairs:
        change = scoring.reliable_change(definition, scale, informant, before, after)
        if change is not None:
            changes[change] += 1
        start = scoring.band(definition, scale, informant, before)
        if start is not None and start.high:
            high += 1
            end = scoring.band(definition, scale, informant, after)
            left += end is None or not end.high
    interval = stats.paired_ci([after - before for before, after in pairs])
    assert interval is not None  # n >= 5
    baseline_mean = stats.mean([before for before, _ in pairs])
    end_mean = stats.mean([after for _, after in pairs])
    has_norms = informant in next(s for s in definition.scales if s.key == scale).norms
    return Cell(
        n_paired=n,
        suppressed=False,
        baseline_mean=baseline_mean,
        end_mean=end_mean,
        mean_change=stats.mean([after - before for before, after in pairs]),
        ci_low=interval.low,
        ci_high=interval.high,
        improved=changes["improved"] if has_norms else None,
        no_reliable_change=changes["no_reliable_change"] if has_norms else None,
        deteriorated=changes["deteriorated"] if has_norms else None,
        high_at_baseline=high if has_norms else None,
        left_high_share=left / high if has_norms and not stats.suppressed(high) else None,
    )


def by_dosage(
    definition: MeasureFile,
    scale: str,
    informant: str,
    pairs: dict[int, Pair],
    met: set[int],
) -> Dosage:
    """The cells of the children who met the dosage threshold and of those below it. When
    only one of them is suppressed, both are: the other and the whole would give it away."""
    met_pairs = [pair for child, pair in sorted(pairs.items()) if child in met]
    below_pairs = [pair for child, pair in sorted(pairs.items()) if child not in met]
    if stats.suppressed(len(met_pairs)) != stats.suppressed(len(below_pairs)):
        met_pairs, below_pairs = [], []
    return Dosage(
        met=cell(definition, scale, informant, met_pairs),
        below=cell(definition, scale, informant, below_pairs),
    )


@dataclass(frozen=True)
class Rows:
    """The assessments in scope: {(measure, informant, timepoint): {child: scores}}."""

    scores: dict[tuple[str, str, Timepoint], dict[int, dict[str, float]]]
    assessed: dict[tuple[str, Timepoint], set[int]]


def _assessments(db: Session, scope: Scope, measure: str | None) -> Rows:
    a = Assessment
    query = select(
        col(a.child_id), col(a.measure_key), col(a.informant), col(a.timepoint), col(a.scores)
    ).where(col(a.org_id) == scope.org_id, col(a.completed_on) <= scope.as_of)
    if measure is not None:
        query = query.where(col(a.measure_key) == measure)
    if scope.cohort_ids is not None:
        enrolled = select(col(Enrolment.child_id)).where(
            col(Enrolment.org_id) == scope.org_id, col(Enrolment.cohort_id).in_(scope.cohort_ids)
        )
        query = query.where(col(a.child_id).in_(enrolled))
    scores: dict[tuple[str, str, Timepoint], dict[int, dict[str, float]]] = defaultdict(dict)
    assessed: dict[tuple[str, Timepoint], set[int]] = defaultdict(set)
    for child_id, key, informant, timepoint, values in db.execute(query):
        scores[(key, informant, Timepoint(timepoint))][child_id] = values
        assessed[(key, Timepoint(timepoint))].add(child_id)
    return Rows(scores, assessed)


def dosage_met(db: Session, scope: Scope) -> set[int]:
    """The children whose lessons attended over lessons delivered while enrolled (summed over
    their cohorts in scope) reach the organisation's threshold by as_of. A child with no
    lesson delivered has not met it."""
    delivered: dict[int, int] = defaultdict(int)
    attended: dict[int, int] = defaultdict(int)
    for row in child_dosage(db, scope):
        delivered[row.child_id] += row.lessons_delivered
        attended[row.child_id] += row.lessons_attended
    return {c for c, n in delivered.items() if n > 0 and attended[c] / n >= scope.threshold}


def _pairs(rows: Rows, key: str, informant: str, scale: str, later: Timepoint) -> dict[int, Pair]:
    before = rows.scores.get((key, informant, Timepoint.baseline), {})
    after = rows.scores.get((key, informant, later), {})
    return {
        child: (float(before[child][scale]), float(after[child][scale]))
        for child in sorted(before.keys() & after.keys())
        if scale in before[child] and scale in after[child]
    }


def _row(
    row: Measure, definition: MeasureFile, informant: str, scale_key: str, rows: Rows, met: set[int]
) -> MeasureRow:
    scale = next(s for s in definition.scales if s.key == scale_key)
    end = _pairs(rows, row.key, informant, scale_key, Timepoint.end)
    follow_ups = {}
    for timepoint in FOLLOW_UPS:
        later = _pairs(rows, row.key, informant, scale_key, timepoint)
        figures = cell(definition, scale_key, informant, list(later.values()))
        follow_ups[timepoint.value] = FollowUp(
            **figures.model_dump(),
            by_dosage=by_dosage(definition, scale_key, informant, later, met),
        )
    figures = cell(definition, scale_key, informant, list(end.values()))
    return MeasureRow(
        **figures.model_dump(),
        measure=row.key,
        measure_name=definition.name,
        informant=informant,
        informant_name=definition.informants[informant],
        scale=scale_key,
        scale_name=scale.name,
        higher_is=scale.higher_is,
        by_dosage=by_dosage(definition, scale_key, informant, end, met),
        follow_ups=follow_ups,
    )


def outcomes(
    db: Session,
    *,
    actor: User,
    as_of: dt.date,
    cohort_id: int | None = None,
    measure: str | None = None,
) -> OutcomesReport:
    """The report (lead and admin; anyone else 403; another organisation's cohort 404; an
    unknown measure 422)."""
    if actor.role not in (Role.lead, Role.admin):
        raise Forbidden("The outcomes report is for programme leads.")
    scope = scope_for(db, actor=actor, as_of=as_of, cohort_id=cohort_id)
    found = latest_measures(db)
    if measure is not None:
        found = [(row, definition) for row, definition in found if row.key == measure]
        if not found:
            problem = {"loc": ["query", "measure"], "msg": "There is no such measure"}
            raise Invalid(f"There is no measure {measure!r}.", [{**problem, "type": "value_error"}])
    rows = _assessments(db, scope, measure)
    met = dosage_met(db, scope)
    out = [
        _row(row, definition, informant, scale.key, rows, met)
        for row, definition in found
        for informant in definition.informants
        for scale in definition.scales
    ]
    due = due_list(db, scope, [row.key for row, _ in found])
    outstanding: dict[tuple[str, Timepoint], int] = defaultdict(int)
    for item in due:
        if item.child_id not in rows.assessed.get((item.measure, item.timepoint), set()):
            outstanding[(item.measure, item.timepoint)] += 1
    completion = []
    for row, definition in found:
        for timepoint in definition.timepoints:
            assessed = len(rows.assessed.get((row.key, timepoint), set()))
            completion.append(
                Completion(
                    measure=row.key,
                    timepoint=timepoint,
                    assessed=assessed,
                    due=assessed + outstanding[(row.key, timepoint)],
                )
            )
    return OutcomesReport(
        as_of=as_of,
        cohort_id=cohort_id,
        dosage_threshold=scope.threshold,
        measures=out,
        events=event_rates(db, scope),
        due=due,
        completion=completion,
    )
