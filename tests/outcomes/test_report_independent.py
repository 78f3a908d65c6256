"""Property: the outcomes report (app/outcomes/report/service.py), over random children with
random scores, agrees with a plain-Python reading of the definitions on the page ("What the
figures mean"), computed a second way from the same numbers:

- paired: a child with both a baseline and the later assessment, on or before as_of;
- mean change: mean of (later - baseline); 95% CI: mean +- t(0.975, n - 1) x sd / sqrt(n),
  sd with n - 1, t from a printed table (not the service's own t);
- reliable change: (later - baseline) / (SD x sqrt(2) x sqrt(1 - r)) beyond 1.96 either way,
  the direction from `higher_is` (the test measure's "difficulties": higher is worse);
- left the high band: of those whose baseline is in the high band (17 to 40), the share
  whose later score is not; shown from 5 children high at baseline;
- dosage: attended / delivered lessons >= the threshold (0.75) is "met";
- suppressed: a cell of fewer than 5 children; and both dosage cells when just one is.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from app.outcomes.models import Timepoint
from app.outcomes.report import service
from tests.outcomes.report_support import add_measure, assess
from tests.support.builder import Builder
from tests.support.people import People

AS_OF = dt.date(2027, 3, 1)
# t(0.975, df) to 4 decimals, from a printed table.
T975 = {
    4: 2.7764,
    5: 2.5706,
    6: 2.4469,
    7: 2.3646,
    8: 2.3060,
    9: 2.2622,
    10: 2.2281,
    11: 2.2010,
    12: 2.1788,
    13: 2.1604,
    14: 2.1448,
    15: 2.1314,
}
SE_DIFF = 5.0 * math.sqrt(2) * math.sqrt(1 - 0.8)


@dataclass(frozen=True)
class Kid:
    baseline: int | None
    end: int | None
    end_late: bool  # the end assessment is dated after as_of
    follow_up: int | None
    lessons_attended: int  # of 4 delivered


kids = st.builds(
    Kid,
    baseline=st.one_of(st.none(), st.integers(0, 40)),
    end=st.one_of(st.none(), st.integers(0, 40)),
    end_late=st.booleans(),
    follow_up=st.one_of(st.none(), st.integers(0, 40)),
    lessons_attended=st.integers(0, 4),
)


def expected(pairs: list[tuple[int, int]]) -> dict[str, object]:
    n = len(pairs)
    if n < 5:
        return {"suppressed": True, "n_paired": None, "mean_change": None}
    diffs = [b - a for a, b in pairs]
    m = sum(diffs) / n
    sd = math.sqrt(sum((d - m) ** 2 for d in diffs) / (n - 1))
    half = T975[n - 1] * sd / math.sqrt(n)
    improved = sum(1 for d in diffs if d / SE_DIFF < -1.96)
    worse = sum(1 for d in diffs if d / SE_DIFF > 1.96)
    high = [(a, b) for a, b in pairs if 17 <= a <= 40]
    left = sum(1 for _, b in high if not 17 <= b <= 40)
    return {
        "suppressed": False,
        "n_paired": n,
        "baseline_mean": sum(a for a, _ in pairs) / n,
        "end_mean": sum(b for _, b in pairs) / n,
        "mean_change": m,
        "ci_low": m - half,
        "ci_high": m + half,
        "improved": improved,
        "deteriorated": worse,
        "no_reliable_change": n - improved - worse,
        "high_at_baseline": len(high),
        "left_high_share": left / len(high) if len(high) >= 5 else None,
    }


def agree(got: dict[str, object], want: dict[str, object]) -> None:
    for key, value in want.items():
        if isinstance(value, float):
            assert got[key] == pytest.approx(value, abs=2e-3), key  # the table's 4 decimals
        else:
            assert got[key] == value, key


@settings(
    max_examples=int(os.environ.get("OUTCOMES_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(children=st.lists(kids, min_size=0, max_size=16))
def test_the_report_agrees_with_the_definitions(
    db: Session, people: People, curriculum_id: int, children: list[Kid]
) -> None:
    nested = db.begin_nested()  # each example's rows vanish with it
    try:
        add_measure(db)
        build = Builder(db, people, curriculum_id)
        cohort = build.cohort(dt.date(2026, 9, 1))
        sessions = [
            build.session(
                cohort, week, dt.date(2026, 9, 7) + dt.timedelta(weeks=week), status="delivered"
            )
            for week in range(1, 5)
        ]
        end_pairs: list[tuple[int, int]] = []
        met_pairs: list[tuple[int, int]] = []
        below_pairs: list[tuple[int, int]] = []
        follow_pairs: list[tuple[int, int]] = []
        for kid in children:
            child = build.child()
            build.enrol(child, cohort, dt.date(2026, 9, 1))
            build.attendance(
                [
                    (s, child, "present" if i < kid.lessons_attended else "absent")
                    for i, s in enumerate(sessions)
                ]
            )
            if kid.baseline is not None:
                assess(
                    db,
                    build.org_id,
                    child,
                    Timepoint.baseline,
                    {"difficulties": kid.baseline, "wellbeing": 5},
                )
            if kid.end is not None:
                day = AS_OF + dt.timedelta(days=1) if kid.end_late else AS_OF
                assess(
                    db,
                    build.org_id,
                    child,
                    Timepoint.end,
                    {"difficulties": kid.end, "wellbeing": 5},
                    completed_on=day,
                )
            if kid.follow_up is not None:
                assess(
                    db,
                    build.org_id,
                    child,
                    Timepoint.follow_up_12m,
                    {"difficulties": kid.follow_up, "wellbeing": 5},
                )
            if kid.baseline is not None and kid.end is not None and not kid.end_late:
                pair = (kid.baseline, kid.end)
                end_pairs.append(pair)
                (met_pairs if kid.lessons_attended / 4 >= 0.75 else below_pairs).append(pair)
            if kid.baseline is not None and kid.follow_up is not None:
                follow_pairs.append((kid.baseline, kid.follow_up))
        body = service.outcomes(db, actor=people.lead, as_of=AS_OF, cohort_id=cohort)
        row = next(
            r for r in body.measures if r.scale == "difficulties" and r.informant == "carer"
        ).model_dump()
        agree(row, expected(end_pairs))
        agree(row["follow_ups"]["follow_up_12m"], expected(follow_pairs))
        if (len(met_pairs) < 5) != (len(below_pairs) < 5):
            met_pairs, below_pairs = [], []
        agree(row["by_dosage"]["met"], expected(met_pairs))
        agree(row["by_dosage"]["below"], expected(below_pairs))
        baseline = {c.timepoint: c.assessed for c in body.completion}[Timepoint.baseline]
        assert baseline == sum(1 for kid in children if kid.baseline is not None)
    finally:
        nested.rollback()
