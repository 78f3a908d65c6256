"""`GET /api/v1/evaluation.csv` sends the same number of SQL statements for 2 children as for
12, when every child has what fills a row: a register at every delivered session, practice
tasks, a mentor match with visits, an assessment from every informant at every timepoint,
and life events before and since the first session. The request is counted whole, signing
in included, through the API as an evaluator's download would be."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.csvout import BOM
from app.outcomes.models import EventKind, Timepoint
from app.outcomes.schemas import MeasureFile
from tests.outcomes.events_data import assessment, event
from tests.support.builder import Builder
from tests.support.people import People
from tests.support.queries import CountQueries

# A finished programme: 10 Mondays from 1 September 2025, so that by the suite's clock
# (10 March 2027) even the 12-month follow-up (November 2026) is on record.
FIRST = dt.date(2025, 9, 1)
WEEKS = 10
LAST = FIRST + dt.timedelta(weeks=WEEKS - 1)
ON = {
    Timepoint.baseline: FIRST,
    Timepoint.end: LAST + dt.timedelta(days=7),
    Timepoint.follow_up_6m: dt.date(2026, 5, 4),
    Timepoint.follow_up_12m: dt.date(2026, 11, 2),
}
SMALL, LARGE = 2, 12
# Kids scores: 3 scales x 2 informants x 4 timepoints; feel good: 1 x 1 x 2.
SCORE_COLUMNS = 3 * 2 * 4 + 1 * 1 * 2


class Programme:
    """One cohort, its sessions (all delivered) and its children, each given a full row."""

    def __init__(self, build: Builder, people: People, definitions: list[MeasureFile]) -> None:
        self.build = build
        self.people = people
        self.definitions = definitions
        self.cohort = build.cohort(FIRST, facilitators=[people.facilitator.id])
        self.sessions = [
            (
                week + 1,
                build.session(
                    self.cohort, week + 1, FIRST + dt.timedelta(weeks=week), status="delivered"
                ),
            )
            for week in range(WEEKS)
        ]
        self.children = 0

    def add_child(self) -> None:
        build, org = self.build, self.build.org_id
        n = self.children
        self.children += 1
        child = build.child(f"Child{n}")
        build.enrol(child, self.cohort, FIRST - dt.timedelta(days=7))
        build.attendance(
            [(s, child, "absent" if week == 3 else "present") for week, s in self.sessions]
        )
        build.assignments(
            [
                (s, child, task, "completed" if week % 2 else "open", self.people.mentor.id)
                for week, s in self.sessions
                for task in build.lessons[week].tasks
            ]
        )
        match = build.match(child, self.people.mentor.id or 0, FIRST, LAST + dt.timedelta(weeks=8))
        build.visits(
            [
                {
                    "match_id": match,
                    "mentor_id": self.people.mentor.id,
                    "child_id": child,
                    "date": FIRST + dt.timedelta(weeks=week, days=2),
                    "minutes": 120 + 15 * (week % 3),
                    "status": "completed",
                }
                for week in range(12)
            ]
        )
        for definition in self.definitions:
            for informant in definition.informants:
                for timepoint in definition.timepoints:
                    entered = [s for s in definition.scales if s.derived == "entered"]
                    scores: dict[str, float] = {s.key: s.min + (n % 3) for s in entered}
                    for derived in definition.scales:
                        if derived.derived != "entered":
                            scores[derived.key] = derived.min + 1
                    assessment(
                        self.build.db,
                        org_id=org,
                        child_id=child,
                        measure=definition.key,
                        informant=informant,
                        timepoint=timepoint,
                        on=ON[timepoint],
                        scores=scores,
                    )
        for kind, day in (
            (EventKind.placement_move, FIRST - dt.timedelta(days=90)),
            (EventKind.missing_episode, FIRST - dt.timedelta(days=30)),
            (EventKind.placement_move, FIRST + dt.timedelta(days=60)),
            (EventKind.reunification, dt.date(2026, 6, 1)),
        ):
            event(self.build.db, org_id=org, child_id=child, kind=kind, day=day)


def _rows(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text[:500]
    return list(csv.DictReader(io.StringIO(response.text.removeprefix(BOM))))


def test_the_evaluators_file_sends_as_many_statements_for_12_children_as_for_2(
    db: Session,
    people: People,
    build: Builder,
    measures: tuple[MeasureFile, MeasureFile],
    lead_api: TestClient,
    count_queries: CountQueries,
) -> None:
    programme = Programme(build, people, list(measures))
    counts: dict[int, int] = {}
    statements: dict[int, list[str]] = {}
    for size in (SMALL, LARGE):
        while programme.children < size:
            programme.add_child()
        db.commit()
        db.expire_all()
        with count_queries() as counter:
            response = lead_api.get("/api/v1/evaluation.csv")
        rows = _rows(response)
        assert len(rows) == size
        counts[size], statements[size] = counter.count, counter.statements
        # Every part of a row was read: nothing blank that the data above fills.
        for row in rows:
            assert row["lessons_delivered"] == str(WEEKS)
            assert row["lessons_attended"] == str(WEEKS - 1)
            assert row["practice_completion"] not in ("", "0", "0.0")
            assert float(row["mentoring_hours_per_week"]) > 0
            assert int(row["match_weeks"]) > 0
            scored = [name for name in row if name.startswith(("kids_scores_", "feel_good_"))]
            assert len(scored) == SCORE_COLUMNS
            assert [name for name in scored if row[name] == ""] == []
            assert row["events_before_placement_move"] == "1"
            assert row["events_since_placement_move"] == "1"
            assert row["events_since_reunification"] == "1"
    assert counts[SMALL] == counts[LARGE], "\n\n".join(
        f"{size} children, {counts[size]} statements:\n" + "\n---\n".join(statements[size])
        for size in (SMALL, LARGE)
    )
