"""What every part of the scale seeder shares: the tables it writes and the batch of rows
being built, the ids it assigns, the small records that link one part to the next, and the
run (its random generator, date and curriculum) that each part draws from."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, select

from app.models import metadata

DAY = dt.timedelta(days=1)
WEEK = dt.timedelta(days=7)
REGION = "england"
# Cohorts start on dates spread over this window before as_of (days): about two thirds
# have finished their 30 weeks and a third are part-way through, so that N=1000 gives
# about 30,000 sessions, 250,000 register rows and 600,000 visits.
FIRST_DATE_WINDOW = (-560, -70)

# Tables whose ids are assigned here (to link rows), in insert order; the others get
# their ids from the database.
ID_TABLES = (
    "organisation",
    "programme",
    "user_account",
    "child",
    "cohort",
    "group_session",
    "enrolment",
    "mentor_match",
)
INSERT_ORDER = (
    "organisation",
    "programme",
    "user_account",
    "mentor_profile",
    "child",
    "cohort",
    "cohort_facilitator",
    "enrolment",
    "group_session",
    "mentor_match",
    "attendance",
    "coverage",
    "session_facilitator",
    "session_record",
    "practice_assignment",
    "mentor_visit",
    "assessment",
    "life_event",
    "audit_event",
)


@dataclass(frozen=True)
class Lesson:
    activities: tuple[int, ...]
    tasks: tuple[int, ...]


@dataclass
class Org:
    id: int
    name: str
    lead_id: int
    programme_id: int  # its FHF-PT programme: every cohort, match and visit is in it
    cohorts: int = 0
    # The facilitator pair of the organisation's previous cohort, and its weekday.
    pair: tuple[int, int] | None = None
    weekday: int = 0
    # Its FHF-PT children, and its mentors with the day before which each was created,
    # as drawn: some of them are in the Independent Visitor programme too (visitors.py).
    children: list[Child] = field(default_factory=list)
    mentors: list[tuple[int, dt.date]] = field(default_factory=list)


@dataclass
class Match:
    id: int
    mentor_id: int
    start: dt.date
    end: dt.date | None
    completion: float

    def active_on(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class Child:
    id: int
    start: dt.date
    end: dt.date | None
    attends: float  # how likely they are to come to a session
    # Why they left: (withdraw reason, match end reason, ended by), when withdrawn.
    left: tuple[str, str, str] | None


# A cohort's sessions: id, week, date, status.
Sessions = list[tuple[int, int, dt.date, str]]


@dataclass
class Batch:
    rows: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {name: [] for name in INSERT_ORDER}
    )

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.rows[table].append(row)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.UTC)


def time_of(hhmm: str) -> dt.time:
    return dt.time.fromisoformat(hhmm)


def plus_minutes(start: dt.time, minutes: int) -> dt.time:
    total = start.hour * 60 + start.minute + minutes
    return dt.time(total // 60 % 24, total % 60)


class Ids:
    """The next id of each table whose ids are assigned here."""

    def __init__(self, conn: Connection) -> None:
        self.next: dict[str, int] = {}
        for name in ID_TABLES:
            table = metadata.tables[name]
            current = conn.execute(select(func.max(table.c.id))).scalar()
            self.next[name] = int(current or 0) + 1

    def take(self, name: str) -> int:
        value = self.next[name]
        self.next[name] = value + 1
        return value


@dataclass(kw_only=True)
class Run:
    """One `seed_scale` run: every row is drawn from `rng`, in a fixed order, so the same
    seed and `as_of` give the same rows."""

    rng: random.Random
    as_of: dt.date
    ids: Ids
    curriculum_id: int
    weeks: int
    lessons: dict[int, Lesson]
    password_hash: str
    closed: frozenset[dt.date]
    # The measures loaded (key, version, definition): each child is assessed on each.
    measures: tuple[tuple[str, int, Any], ...] = ()
    seed: int = 0  # the run's, for the generators parts keep of their own
    setup_at: dt.datetime = field(init=False)

    def __post_init__(self) -> None:
        self.setup_at = at(self.as_of + FIRST_DATE_WINDOW[0] * DAY - 30 * DAY, 9)
