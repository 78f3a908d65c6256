"""A synthetic national-scale data set, for benchmarking the fidelity dashboard.

`seed_scale` adds one organisation (or a few) with N cohorts: facilitators, a lead,
mentors with ready profiles, about ten children a cohort with their enrolments, the 30
lessons planned on weekly slots (cancelled occurrences re-planned a week later, as the
planner does), registers, coverage, facilitators present, session records, practice
assignments, matches and about two mentor visits a week for each match, and each child's
assessments on the measures loaded and a few life events (outcomes.py); then a second
programme, Independent Visitors, beside FHF-PT in each organisation (visitors.py).

Rows are built in Python from one seeded random generator (the same seed and `as_of`
give the same rows) and written with Core `INSERT` executemany in chunks, one
transaction per batch of cohorts; ids that link rows are assigned here, from the
table's current maximum, so the database may already hold data. No ORM objects and no
audit event per row: one `seed_scale` audit event per organisation.

The rows are drawn in parts, each from the same generator in a fixed order: people.py
(organisations, leads, facilitators, mentors), cohorts.py (a cohort, its sessions and
children), matches.py (mentoring and visits) and registers.py (what each delivered
session recorded); rows.py holds what they share, vocabulary.py what they draw from.
The Independent Visitor rows come last, from a generator of their own (visitors.py), so
a seed's FHF-PT rows are the same as before that programme was added.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import holidays
from sqlalchemy import Connection, Engine, Table, insert, select, text

from app.auth.security import hash_password
from app.cohorts.schedule import REGION_CODES
from app.curriculum.service import latest_curricula
from app.demo.scale.cohorts import cohort
from app.demo.scale.people import organisation
from app.demo.scale.rows import ID_TABLES, INSERT_ORDER, REGION, Batch, Ids, Lesson, Run
from app.demo.scale.visitors import generator, visitors
from app.models import metadata
from app.outcomes.schemas import MeasureFile
from app.outcomes.service import measures as latest_measures

CHUNK = 10_000  # rows a statement (executemany)
COHORTS_PER_TRANSACTION = 25


class NoCurriculum(Exception):
    """The database holds no curriculum: `tandem curriculum load` first."""


@dataclass
class ScaleResult:
    organisations: list[tuple[int, str]]
    lead_emails: list[str]
    counts: dict[str, int]
    seconds: float
    as_of: dt.date
    cohorts: int

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


def _closed_days(region: str, around: dt.date) -> frozenset[dt.date]:
    years = range(around.year - 3, around.year + 4)
    return frozenset(holidays.country_holidays("GB", subdiv=REGION_CODES[region], years=years))


def _stratified(rng: random.Random, n: int) -> list[float]:
    """n positions in [0, 1), one in each n-th, shuffled: every small run still has
    finished, part-way and (usually) future cohorts."""
    positions = [(i + rng.random()) / n for i in range(n)]
    rng.shuffle(positions)
    return positions


def _write(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    statement = insert(table)
    for start in range(0, len(rows), CHUNK):
        conn.execute(statement, list(rows[start : start + CHUNK]))


def _load_curriculum(conn: Connection) -> tuple[int, int, dict[int, Lesson]]:
    from sqlmodel import Session

    with Session(bind=conn) as db:
        curricula = latest_curricula(db)
        if not curricula:
            raise NoCurriculum("no curriculum is loaded: run `tandem curriculum load` first")
        chosen = curricula[0]
        curriculum_id, weeks = chosen.id or 0, int(chosen.programme.get("weeks", 30))
    week_t = metadata.tables["curriculum_week"]
    activity_t = metadata.tables["curriculum_activity"]
    task_t = metadata.tables["curriculum_practice_task"]
    activities: dict[int, list[int]] = {}
    tasks: dict[int, list[int]] = {}
    for week, activity_id in conn.execute(
        select(week_t.c.week, activity_t.c.id)
        .join(activity_t, activity_t.c.week_id == week_t.c.id)
        .where(week_t.c.curriculum_id == curriculum_id)
        .order_by(week_t.c.week, activity_t.c.position)
    ):
        activities.setdefault(week, []).append(activity_id)
    for week, task_id in conn.execute(
        select(week_t.c.week, task_t.c.id)
        .join(task_t, task_t.c.week_id == week_t.c.id)
        .where(week_t.c.curriculum_id == curriculum_id)
        .order_by(week_t.c.week, task_t.c.position)
    ):
        tasks.setdefault(week, []).append(task_id)
    lessons = {
        week: Lesson(tuple(activities.get(week, ())), tuple(tasks.get(week, ())))
        for week in range(1, weeks + 1)
    }
    return curriculum_id, weeks, lessons


def _load_measures(conn: Connection) -> tuple[tuple[str, int, MeasureFile], ...]:
    """The latest version of each measure loaded (none: the children get no assessments)."""
    from sqlmodel import Session

    with Session(bind=conn) as db:
        return tuple((row.key, row.version, found) for row, found in latest_measures(db))


def _org_names(conn: Connection, cohorts: int, organisations: int) -> list[str]:
    """'Scale test N' (or 'Scale test N, k of K'), with ' (run 2)' and so on when a
    previous run on this database took the name."""
    org_t = metadata.tables["organisation"]
    taken = set(
        conn.execute(select(org_t.c.name).where(org_t.c.name.like("Scale test %"))).scalars()
    )
    base = f"Scale test {cohorts}"
    wanted = (
        [base]
        if organisations == 1
        else [f"{base}, {k} of {organisations}" for k in range(1, organisations + 1)]
    )
    run = 1
    while True:
        suffix = "" if run == 1 else f" (run {run})"
        names = [name + suffix for name in wanted]
        if not taken.intersection(names):
            return names
        run += 1


def _batches(n: int, size: int) -> Iterator[range]:
    for start in range(0, n, size):
        yield range(start, min(start + size, n))


def seed_scale(
    engine: Engine,
    *,
    cohorts: int,
    seed: int = 1,
    organisations: int = 1,
    as_of: dt.date | None = None,
    password: str,
    progress: Callable[[int, int], None] | None = None,
) -> ScaleResult:
    """Add `organisations` organisations sharing `cohorts` cohorts, with everything a
    fidelity dashboard reads. `progress(cohorts_done, rows_written)` after each batch."""
    if cohorts < 1:
        raise ValueError("cohorts must be at least 1")
    if not 1 <= organisations <= cohorts:
        raise ValueError("organisations must be between 1 and the number of cohorts")
    started = time.perf_counter()
    as_of = as_of or dt.datetime.now(dt.UTC).date()
    rng = random.Random(seed)  # noqa: S311 (synthetic data, not secrets)
    postgres = engine.dialect.name == "postgresql"
    counts = dict.fromkeys(INSERT_ORDER, 0)

    def flush(conn: Connection, batch: Batch) -> None:
        for name in INSERT_ORDER:
            rows = batch.rows[name]
            if rows:
                _write(conn, metadata.tables[name], rows)
                counts[name] += len(rows)
        if postgres:
            for name in ID_TABLES:
                if batch.rows[name]:
                    conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608
                            f"(SELECT max(id) FROM {name}))"
                        )
                    )

    with engine.begin() as conn:
        curriculum_id, weeks, lessons = _load_curriculum(conn)
        ids = Ids(conn)
        names = _org_names(conn, cohorts, organisations)
        run = Run(
            rng=rng,
            as_of=as_of,
            ids=ids,
            curriculum_id=curriculum_id,
            weeks=weeks,
            lessons=lessons,
            password_hash=hash_password(password),
            closed=_closed_days(REGION, as_of),
            measures=_load_measures(conn),
            seed=seed,
        )
        batch = Batch()
        orgs = [organisation(run, batch, name) for name in names]
        flush(conn, batch)

    positions = _stratified(rng, cohorts)
    done = 0
    if progress:
        progress(done, sum(counts.values()))
    for numbers in _batches(cohorts, COHORTS_PER_TRANSACTION):
        batch = Batch()
        for number in numbers:
            cohort(run, batch, orgs[number % organisations], number + 1, positions[number])
        with engine.begin() as conn:
            flush(conn, batch)
        done += len(numbers)
        if progress:
            progress(done, sum(counts.values()))

    # Then each organisation's Independent Visitor programme, from a generator of its own.
    batch = Batch()
    visiting = dataclasses.replace(run, rng=generator(run))
    for org in orgs:
        visitors(visiting, batch, org)
    with engine.begin() as conn:
        flush(conn, batch)

    with engine.begin() as conn:
        audit_rows = Batch()
        for org in orgs:
            audit_rows.add(
                "audit_event",
                {
                    "org_id": org.id,
                    "actor_id": None,
                    "at": dt.datetime.now(dt.UTC),
                    "action": "seed_scale",
                    "entity": "organisation",
                    "entity_id": org.id,
                    "changes": {
                        "cohorts": org.cohorts,
                        "seed": seed,
                        "as_of": as_of.isoformat(),
                        "rows": dict(counts),
                    },
                    "request_id": None,
                },
            )
        flush(conn, audit_rows)
    # Fresh statistics for the planner, as after any bulk load: without them PostgreSQL
    # plans the dashboard's grouped joins for empty tables (minutes instead of a second).
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    return ScaleResult(
        organisations=[(org.id, org.name) for org in orgs],
        lead_emails=[f"lead{org.lead_id}@scale{org.id}.tandem.example.org" for org in orgs],
        counts=counts,
        seconds=time.perf_counter() - started,
        as_of=as_of,
        cohorts=cohorts,
    )
