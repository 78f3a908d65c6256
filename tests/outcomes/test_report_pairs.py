"""The report pairs baseline with later assessments in SQL and takes each scale's score out
of the JSON column there (app/outcomes/report/service.py `_assessments`): the scores it
works with are exactly the ones stored, a scale missing from one side pairs nothing, and
a child assessed by two informants counts once in the completion."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from app.outcomes.models import Timepoint
from app.outcomes.report import service, stats
from tests.outcomes.report_support import add_measure, assess
from tests.support.builder import Builder
from tests.support.people import People

AS_OF = dt.date(2027, 3, 1)

# Scores as a form could send them: any float in the scale's range, awkward decimals too.
score = st.one_of(
    st.floats(0, 40, allow_nan=False, allow_infinity=False),
    st.decimals(0, 40, places=3).map(float),
    st.sampled_from([0.1, 16.7, 33.333333333333336, 39.99999999999999, 5e-324, 1e-7]),
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(pairs=st.lists(st.tuples(score, score), min_size=5, max_size=8))
def test_the_scores_paired_are_exactly_those_stored(
    db: Session, people: People, curriculum_id: int, pairs: list[tuple[float, float]]
) -> None:
    nested = db.begin_nested()  # each example's rows vanish with it
    try:
        add_measure(db)
        build = Builder(db, people, curriculum_id)
        for before, after in pairs:
            child = build.child()
            assess(db, build.org_id, child, Timepoint.baseline, {"difficulties": before})
            assess(db, build.org_id, child, Timepoint.end, {"difficulties": after})
        body = service.outcomes(db, actor=people.lead, as_of=AS_OF)
        got = next(r for r in body.measures if r.scale == "difficulties" and r.informant == "carer")
        differences = [after - before for before, after in pairs]
        interval = stats.paired_ci(differences)
        assert interval is not None
        assert got.n_paired == len(pairs)
        assert got.baseline_mean == stats.mean([before for before, _ in pairs])
        assert got.end_mean == stats.mean([after for _, after in pairs])
        assert got.mean_change == stats.mean(differences)
        assert (got.ci_low, got.ci_high) == (interval.low, interval.high)
    finally:
        nested.rollback()


def test_a_scale_missing_from_one_side_is_not_paired(
    db: Session, people: People, curriculum_id: int
) -> None:
    add_measure(db)
    build = Builder(db, people, curriculum_id)
    for value in range(5):
        child = build.child()
        assess(db, build.org_id, child, Timepoint.baseline, {"difficulties": 20, "wellbeing": 50})
        assess(
            db, build.org_id, child, Timepoint.end, {"difficulties": 10 + value, "wellbeing": 60}
        )
    lacking = build.child()  # its end has no wellbeing, its follow-up no difficulties
    assess(db, build.org_id, lacking, Timepoint.baseline, {"difficulties": 30, "wellbeing": 40})
    assess(db, build.org_id, lacking, Timepoint.end, {"difficulties": 20})
    assess(db, build.org_id, lacking, Timepoint.follow_up_6m, {"wellbeing": 70})
    body = service.outcomes(db, actor=people.lead, as_of=AS_OF)
    rows = {r.scale: r for r in body.measures if r.informant == "carer"}
    assert rows["difficulties"].n_paired == 6
    assert rows["difficulties"].baseline_mean == stats.mean([20] * 5 + [30])
    assert rows["wellbeing"].n_paired == 5
    assert rows["wellbeing"].mean_change == 10
    assert rows["difficulties"].follow_ups["follow_up_6m"].suppressed
    assert rows["wellbeing"].follow_ups["follow_up_6m"].suppressed  # one child, kept back


def test_completion_counts_children_not_assessments(
    db: Session, people: People, curriculum_id: int
) -> None:
    add_measure(db)
    build = Builder(db, people, curriculum_id)
    both, carer_only, late = build.child(), build.child(), build.child()
    for informant in ("carer", "child"):
        assess(db, build.org_id, both, Timepoint.baseline, {"difficulties": 9}, informant=informant)
        assess(db, build.org_id, both, Timepoint.end, {"difficulties": 8}, informant=informant)
    assess(db, build.org_id, carer_only, Timepoint.baseline, {"difficulties": 9})
    after = AS_OF + dt.timedelta(days=1)
    assess(db, build.org_id, late, Timepoint.baseline, {"difficulties": 9}, completed_on=after)
    body = service.outcomes(db, actor=people.lead, as_of=AS_OF)
    assessed = {c.timepoint: c.assessed for c in body.completion}
    assert assessed == {
        Timepoint.baseline: 2,
        Timepoint.end: 1,
        Timepoint.follow_up_6m: 0,
        Timepoint.follow_up_12m: 0,
    }
