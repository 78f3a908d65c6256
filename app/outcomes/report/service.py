"""The outcomes report: for each measure x informant x scale, over the children in scope (the
organisation's, or those enrolled in one cohort) with both a baseline and an end assessment
completed by `as_of`, the paired figures of app/outcomes/report/stats.py; the same for each
follow-up paired with baseline; each split by dosage (app/fidelity child_dosage against the
organisation's threshold); and the completion of each timepoint.

A fixed number of queries whatever the number of children: the organisation (and the
cohort), the measures, the assessments in scope (paired, and counted per timepoint), and the
children's dosage.

Beside them, the readings of the other parts of issue 17, with their own fixed queries:
`due_list` (assessments due and not done, the assessments sub-package's due_assessments)
and `event_rates` (the events sub-package's)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, func, select
from sqlalchemy.sql.base import ReadOnlyColumnCollection
from sqlmodel import Session, col

from app.auth.models import Role, User
from app.cohorts.models import Enrolment
from app.exceptions import Forbidden, Invalid
from app.fidelity.service import Scope, child_dosage, scope_for
from app.outcomes import scoring
from app.outcomes.assessments.due import due_assessments
from app.outcomes.events import service as life_events
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
from app.outcomes.schemas import MeasureFile, Norms
from app.outcomes.service import measures as latest_measures

FOLLOW_UPS = (Timepoint.follow_up_6m, Timepoint.follow_up_12m)
Pair = tuple[float, float]  # (baseline, later)


# The other parts of issue 17 ---------------------------------------------------------------


def due_list(
    db: Session, *, actor: User, scope: Scope, cohort_id: int | None, measure_keys: Sequence[str]
) -> list[Due]:
    """The assessments due and not yet done in scope (API.md `due`): the assessments
    sub-package's reading (app/outcomes/assessments/due.py), for the measures reported."""
    keys = set(measure_keys)
    return [
        Due(
            child_id=item.child_id,
            measure=item.measure,
            timepoint=item.timepoint,
            due_from=item.due_from,
            due_by=item.due_by,
        )
        for item in due_assessments(db, actor=actor, cohort_id=cohort_id, as_of=scope.as_of)
        if item.measure in keys
    ]


def event_rates(db: Session, *, actor: User, scope: Scope) -> list[EventRate]:
    """Life events per child-year before the first session and since (API.md `events`), for
    the children enrolled in scope (app/outcomes/events/service.py defines both). Fewer than
    MIN_CELL children: every rate is withheld (None), as every other figure is."""
    child_ids = list(
        db.execute(
            select(col(Enrolment.child_id))
            .where(col(Enrolment.org_id) == scope.org_id, scope.cohorts(col(Enrolment.cohort_id)))
            .distinct()
        ).scalars()
    )
    rates = life_events.event_rates(db, actor=actor, child_ids=child_ids, as_of=scope.as_of)
    few = len(child_ids) < stats.MIN_CELL
    return [
        EventRate(
            kind=rate.kind,
            rate_before=None if few else rate.rate_before,
            rate_during_after=None if few else rate.rate_during_after,
        )
        for rate in rates
    ]


# Figures ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Obs:
    """One child's pair: the scores, their reliable change, and the high band."""

    before: float
    after: float
    change: scoring.Change | None  # None: the scale has no norms for the informant
    high: bool  # in a high band at baseline
    left: bool  # ... and in none at the later timepoint


def observe(
    definition: MeasureFile, scale: str, informant: str, pairs: dict[int, Pair]
) -> dict[int, Obs]:
    """Each child's pair, classified once (scoring.reliable_change and scoring.band)."""
    out = {}
    seen: dict[Pair, Obs] = {}  # scores repeat (whole numbers): classify each pair once
    for child, pair in pairs.items():
        found = seen.get(pair)
        if found is None:
            before, after = pair
            start = scoring.band(definition, scale, informant, before)
            high = start is not None and start.high
            end = scoring.band(definition, scale, informant, after) if high else None
            found = seen[pair] = Obs(
                before,
                after,
                scoring.reliable_change(definition, scale, informant, before, after),
                high,
                high and (end is None or not end.high),
            )
        out[child] = found
    return out


SUPPRESSED = Cell(
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


@dataclass(frozen=True)
class Published:
    """What the measure publishes for a scale and informant: an SD and reliability (reliable
    change can be counted) and a high band (leaving it can be counted). Without one, its
    figures are null, never zero: nobody can be counted as reliably changed on a scale
    with no published SD."""

    reliable_change: bool
    high_band: bool

    @classmethod
    def of(cls, norms: Norms | None) -> Published:
        if norms is None:
            return cls(False, False)
        return cls(
            norms.sd is not None and norms.reliability is not None,
            any(band.high for band in norms.bands),
        )


def cell(observations: Sequence[Obs], published: Published) -> Cell:
    """The figures of one group's pairs; all null (suppressed) under five children."""
    n = len(observations)
    if stats.suppressed(n):
        return SUPPRESSED
    changes = {"improved": 0, "no_reliable_change": 0, "deteriorated": 0}
    for o in observations:
        if o.change is not None:
            changes[o.change] += 1
    high = sum(o.high for o in observations)
    left = sum(o.left for o in observations)
    differences = [o.after - o.before for o in observations]
    interval = stats.paired_ci(differences)
    assert interval is not None  # n >= 5
    return Cell(
        n_paired=n,
        suppressed=False,
        baseline_mean=stats.mean([o.before for o in observations]),
        end_mean=stats.mean([o.after for o in observations]),
        mean_change=stats.mean(differences),
        ci_low=interval.low,
        ci_high=interval.high,
        improved=changes["improved"] if published.reliable_change else None,
        no_reliable_change=changes["no_reliable_change"] if published.reliable_change else None,
        deteriorated=changes["deteriorated"] if published.reliable_change else None,
        high_at_baseline=high if published.high_band else None,
        left_high_share=(
            left / high if published.high_band and not stats.suppressed(high) else None
        ),
    )


def by_dosage(observations: dict[int, Obs], met: set[int], published: Published) -> Dosage:
    """The cells of the children who met the dosage threshold and of those below it. When
    only one of them is suppressed, both are: the other and the whole would give it away."""
    met_obs = [o for child, o in observations.items() if child in met]
    below_obs = [o for child, o in observations.items() if child not in met]
    if stats.suppressed(len(met_obs)) != stats.suppressed(len(below_obs)):
        met_obs, below_obs = [], []
    return Dosage(met=cell(met_obs, published), below=cell(below_obs, published))


ASSESSMENTS: Table = Assessment.__table__  # type: ignore[attr-defined]  # SQLModel's stubs


def _in_scope(a: ReadOnlyColumnCollection[str, Any], scope: Scope) -> list[ColumnElement[bool]]:
    """The assessments (of table or alias `a`) of children in scope completed by as_of."""
    conditions = [a.org_id == scope.org_id, a.completed_on <= scope.as_of]
    if scope.cohort_ids is not None:
        enrolled = select(col(Enrolment.child_id)).where(
            col(Enrolment.org_id) == scope.org_id, col(Enrolment.cohort_id).in_(scope.cohort_ids)
        )
        conditions.append(a.child_id.in_(enrolled))
    return conditions


@dataclass(frozen=True)
class Rows:
    """The assessments in scope: each child's (baseline, later) scores by (measure,
    informant, scale, later timepoint), and how many children were assessed at each
    (measure, timepoint) by any informant."""

    pairs: dict[tuple[str, str, str, Timepoint], dict[int, Pair]]
    assessed: dict[tuple[str, Timepoint], int]


def _assessments(
    db: Session, scope: Scope, measure: str | None, found: Sequence[tuple[Measure, MeasureFile]]
) -> Rows:
    """Two queries. The pairs: each later assessment joined to the same child's baseline from
    the same informant (one of each at most: the unique key), with every reported scale's
    score taken out of the JSON by the database, so Python decodes no JSON and pairs nothing.
    A scale missing from either assessment is NULL there, and that child is not paired on it."""
    keys = sorted({scale.key for _, definition in found for scale in definition.scales})
    slot = {key: i for i, key in enumerate(keys)}
    scales = {row.key: [(s.key, slot[s.key]) for s in d.scales] for row, d in found}
    b, later = ASSESSMENTS.alias("baseline"), ASSESSMENTS.alias("later")
    stmt = (
        select(
            later.c.child_id,
            later.c.measure_key,
            later.c.informant,
            later.c.timepoint,
            *(b.c.scores[key].as_float() for key in keys),
            *(later.c.scores[key].as_float() for key in keys),
        )
        .select_from(
            b.join(
                later,
                and_(
                    later.c.org_id == b.c.org_id,
                    later.c.child_id == b.c.child_id,
                    later.c.measure_key == b.c.measure_key,
                    later.c.informant == b.c.informant,
                ),
            )
        )
        .where(
            *_in_scope(b.c, scope),
            b.c.timepoint == Timepoint.baseline.value,
            later.c.timepoint != Timepoint.baseline.value,
            later.c.completed_on <= scope.as_of,
        )
    )
    counts = (
        select(
            ASSESSMENTS.c.measure_key,
            ASSESSMENTS.c.timepoint,
            func.count(ASSESSMENTS.c.child_id.distinct()),
        )
        .where(*_in_scope(ASSESSMENTS.c, scope))
        .group_by(ASSESSMENTS.c.measure_key, ASSESSMENTS.c.timepoint)
    )
    if measure is not None:
        stmt = stmt.where(b.c.measure_key == measure)
        counts = counts.where(ASSESSMENTS.c.measure_key == measure)
    n = len(keys)
    pairs: dict[tuple[str, str, str, Timepoint], dict[int, Pair]] = defaultdict(dict)
    for child_id, key, informant, timepoint, *values in db.execute(stmt):
        for scale, i in scales.get(key, ()):
            before, after = values[i], values[n + i]
            if before is not None and after is not None:
                pairs[(key, informant, scale, timepoint)][child_id] = (float(before), float(after))
    assessed = {(key, Timepoint(tp)): int(c) for key, tp, c in db.execute(counts)}
    return Rows(pairs, assessed)


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


def _row(
    row: Measure, definition: MeasureFile, informant: str, scale_key: str, rows: Rows, met: set[int]
) -> MeasureRow:
    scale = next(s for s in definition.scales if s.key == scale_key)
    published = Published.of(scale.norms.get(informant))
    follow_ups = {}
    for timepoint in FOLLOW_UPS:
        later = rows.pairs.get((row.key, informant, scale_key, timepoint), {})
        found = observe(definition, scale_key, informant, later)
        follow_ups[timepoint.value] = FollowUp(
            **cell(list(found.values()), published).model_dump(),
            by_dosage=by_dosage(found, met, published),
        )
    end = observe(
        definition,
        scale_key,
        informant,
        rows.pairs.get((row.key, informant, scale_key, Timepoint.end), {}),
    )
    return MeasureRow(
        **cell(list(end.values()), published).model_dump(),
        measure=row.key,
        measure_name=definition.name,
        informant=informant,
        informant_name=definition.informants[informant],
        scale=scale_key,
        scale_name=scale.name,
        higher_is=scale.higher_is,
        by_dosage=by_dosage(end, met, published),
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
    rows = _assessments(db, scope, measure, found)
    met = dosage_met(db, scope)
    out = [
        _row(row, definition, informant, scale.key, rows, met)
        for row, definition in found
        for informant in definition.informants
        for scale in definition.scales
    ]
    due = due_list(
        db,
        actor=actor,
        scope=scope,
        cohort_id=cohort_id,
        measure_keys=[row.key for row, _ in found],
    )
    # Due means no assessment on record at all (due_assessments), so none of these children
    # is among those assessed: the two add up.
    outstanding: dict[tuple[str, Timepoint], int] = defaultdict(int)
    for item in due:
        outstanding[(item.measure, item.timepoint)] += 1
    completion = []
    for row, definition in found:
        for timepoint in definition.timepoints:
            assessed = rows.assessed.get((row.key, timepoint), 0)
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
        events=event_rates(db, actor=actor, scope=scope),
        due=due,
        completion=completion,
    )
