"""What the worker does each tick, in order: each job is `(db, now) -> object`, run in a
session of its own (app/notify/worker.py): first the reminders whose time has come are
queued (app/notify/reminders.py), then the outbox is sent, so a reminder goes out in the
tick that found it due. Once a day per organisation, retention anonymises the records past
its period (app/records/retention.py `DailyRun`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session

from app.mail.delivery import Delivery
from app.notify.reminders import run_due
from app.records.retention import DailyRun

Job = Callable[[Session, datetime], object]


def default_jobs() -> list[Job]:
    """A fresh list, with a delivery job of its own (its own worker id) and retention's
    daily run (remembering the days it has run in this process)."""
    return [run_due, Delivery(), DailyRun()]
