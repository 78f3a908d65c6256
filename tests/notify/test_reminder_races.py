"""Two workers finding the same reminders due at once queue each of them once (issue 16,
point 5), on committed data in a database of the test's own: SQLite, or PostgreSQL when
TANDEM_DATABASE_URL names a server. Each worker is a thread with its own connection, as a
worker process would have, writing as the worker does (app.db.WRITE_OPTION)."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.auth.models import Role
from app.curriculum.service import latest_curricula
from app.db import WRITE_OPTION, create_db_engine
from app.mail.models import OutboxMessage
from app.notify import reminders
from tests.notify.conftest import at
from tests.support.builder import Builder
from tests.support.databases import DatabaseFactory
from tests.support.people import People

pytestmark = pytest.mark.slow

WORKERS = 2
SESSIONS = 20
WEDNESDAY = dt.date(2027, 3, 10)


def _race(engine: Engine, now: dt.datetime) -> list[int]:
    """run_due from WORKERS threads at once, each committing: what each queued."""
    start = threading.Barrier(WORKERS)
    counts: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with Session(engine) as db:
                start.wait(timeout=30)
                db.connection(execution_options={WRITE_OPTION: True})
                counts.append(reminders.run_due(db, now))
                db.commit()
        except BaseException as exc:  # reported below, with the thread's own error
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert len(counts) == WORKERS
    return counts


def test_two_workers_racing_queue_each_reminder_once(databases: DatabaseFactory) -> None:
    url = databases.migrated("notify_race")
    engine = create_db_engine(url)
    try:
        with Session(engine, expire_on_commit=False) as db:
            people = People(db)
            (curriculum,) = latest_curricula(db)
            build = Builder(db, people, curriculum.id or 0)
            second = build.user(Role.facilitator, "second")
            for n in range(SESSIONS):
                cohort = build.cohort(
                    WEDNESDAY - dt.timedelta(weeks=4),
                    facilitators=[people.facilitator.id, second.id],
                )
                build.session(cohort, 1, WEDNESDAY - dt.timedelta(days=1 + n % 7))
            mentor = build.user(Role.mentor, "racer")
            build.profile(mentor.id or 0, dt.date(2024, 4, 1))
            db.commit()
        expected = SESSIONS * 2 + 2  # two facilitators a session; the DBS warning to two

        for round_ in range(3):
            counts = _race(engine, at(WEDNESDAY, 10) + dt.timedelta(minutes=round_))
            # The first round queues everything once between the two; later rounds nothing.
            assert sum(counts) == (expected if round_ == 0 else 0), counts

        with Session(engine) as db:
            keys = Counter(db.exec(select(OutboxMessage.dedupe_key)).all())
            assert len(keys) == expected
            assert set(keys.values()) == {1}
            assert db.exec(select(col(OutboxMessage.kind)).distinct()).all()
    finally:
        engine.dispose()
