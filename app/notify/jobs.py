"""What the worker does each tick, in order: each job is `(db, now) -> object`, run in a
session of its own (app/notify/worker.py). Reminders (app/notify/reminders.py) join the list
here when they are wired in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session

from app.mail.delivery import Delivery

Job = Callable[[Session, datetime], object]


def default_jobs() -> list[Job]:
    """A fresh list, with a delivery job of its own (its own worker id): for now, sending
    the outbox is all there is."""
    return [Delivery()]
