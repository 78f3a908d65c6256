"""Retention's run (anonymising 10% of the children) at seed-scale size, against the bare
statements that do the same, in the same run.

Setup (bench/harness.py `seed_organisations`): `tandem seed-scale` data for N cohorts
(TANDEM_BENCH_COHORTS, 1,000 by default: about 10,000 children, their registers, visits,
assessments and events, spread over about two years) in one organisation and 10 cohorts in a
second, as of SCALE_AS_OF. Time then moves on, as it does for a council: the run's day is
the first day on which the tenth of the children whose involvement ended earliest are past
the organisation's (default, six-year) retention period, and the people past retention that
day go too. Nobody is moved, shifted or made up: the children due are the real oldest, and
only a handful of them (LEGAL_HOLDS) are on legal hold.
The real path is `app.records.retention.run` in a session (the selection with its NOT
EXISTS per kind of involvement, the last involvements, the anchors for the age at the first
session, the audit scrub, every UPDATE and the audit events), rolled back after each round.
The baseline replays the very statements that run sent (captured with their parameters,
executemany kept as such) on the driver connection, fetching every row, rolled back. Rounds
alternate the two; the medians are compared (goal: within 3 times).
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from typing import Any

from sqlalchemy import Engine, event, update
from sqlmodel import Session, col, select

from app.auth.models import Organisation
from app.children.models import Child
from app.records import retention
from bench.harness import Result, backend, seed_organisations

NAME = "retention"
GOAL = 3.0
SHARE = 10  # one child in SHARE is past retention on the run's day
LEGAL_HOLDS = 5

Captured = tuple[str, Any, bool]  # statement, parameters, executemany


def _prepare(engine: Engine, org_id: int) -> dt.date:
    """The run's day: the first on which the earliest-ended tenth are past retention; a
    handful of them on legal hold."""
    with Session(engine) as db:
        org = db.get(Organisation, org_id)
        assert org is not None
        years = org.retention_years_after_last_involvement
        ids = [i for i in db.exec(select(col(Child.id)).where(Child.org_id == org_id)).all() if i]
        lasts = sorted(
            retention.last_involvement(db, org_id=org_id, child_ids=ids).items(),
            key=lambda item: (item[1], item[0]),
        )
        tenth = lasts[len(lasts) // SHARE - 1][1]
        held = [child_id for child_id, _last in lasts[: len(lasts) // SHARE]][::97][:LEGAL_HOLDS]
        db.execute(
            update(Child)
            .where(col(Child.id).in_(held))
            .values(legal_hold=True, legal_hold_reason="Benchmark: a claim")
        )
        db.commit()
    return retention.add_years(tenth, years) + dt.timedelta(days=1)


def _real(engine: Engine, org_name: str, day: dt.date) -> tuple[int, int]:
    with Session(engine, expire_on_commit=False) as db:
        outcomes = retention.run(db, now=dt.datetime.now(dt.UTC), day=day, org_name=org_name)
        db.flush()
        db.rollback()
    return len(outcomes[0].children), len(outcomes[0].users)


def _capture(engine: Engine, fn: Any) -> list[Captured]:
    captured: list[Captured] = []

    def before(
        _conn: object, _cursor: object, statement: str, parameters: Any, _ctx: object, many: bool
    ) -> None:
        captured.append((statement, parameters, many))

    event.listen(engine, "before_cursor_execute", before)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return captured


def _replay(engine: Engine, statements: list[Captured]) -> None:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for statement, parameters, many in statements:
            if many:
                cursor.executemany(statement, parameters)
            else:
                cursor.execute(statement, parameters)
                if cursor.description is not None:
                    cursor.fetchall()
        raw.rollback()
    finally:
        raw.close()


def run(engine: Engine, *, rounds: int) -> Result:
    scaled = seed_organisations(engine)
    org_id, org_name = scaled.big.organisations[0]
    with Session(engine) as db:
        children = len(db.exec(select(col(Child.id)).where(Child.org_id == org_id)).all())
    day = _prepare(engine, org_id)
    statements = _capture(engine, lambda: _real(engine, org_name, day))
    anonymised, users = _real(engine, org_name, day)  # warm
    _replay(engine, statements)
    base_times, real_times = [], []
    for _ in range(max(3, rounds // 3)):
        start = time.perf_counter()
        _replay(engine, statements)
        base_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        _real(engine, org_name, day)
        real_times.append(time.perf_counter() - start)
    return Result(
        NAME,
        scaled.cohorts,
        GOAL,
        statistics.median(real_times),
        statistics.median(base_times),
        len(statements),
        backend(engine),
        extra={
            "children": children,
            "anonymised": anonymised,
            "users_anonymised": users,
            "legal_holds": LEGAL_HOLDS,
            "day": day.isoformat(),
            "real_rounds_s": [round(t, 3) for t in real_times],
            "baseline_rounds_s": [round(t, 3) for t in base_times],
            "seed_seconds": round(scaled.big.seconds, 1),
        },
    )
