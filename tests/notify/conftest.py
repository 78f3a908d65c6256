"""The reminders' and event emails' fixtures: rows for organisation A built straight
(tests/support/builder.py), and the outbox read back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlmodel import Session, col, select

from app.mail.models import OutboxMessage
from app.notify import reminders
from tests.support.builder import Builder
from tests.support.clock import LONDON
from tests.support.people import People

CHILD = "Zebedee-Unique"  # a first name no email or feed event may ever show


@pytest.fixture
def build(db: Session, people: People, curriculum_id: int) -> Builder:
    return Builder(db, people, curriculum_id)


@pytest.fixture(autouse=True)
def _forget_quiet_mondays() -> Iterator[None]:
    """Each test starts with no Monday known to have no flags (a process-wide memo)."""
    reminders._quiet_mondays.clear()
    yield
    reminders._quiet_mondays.clear()


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A wall-clock time in London."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LONDON)


def outbox(db: Session, kind: str | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(col(OutboxMessage.id))
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    return list(db.exec(query).all())


def assert_no_child_named(db: Session) -> None:
    for message in outbox(db):
        assert CHILD not in message.subject
        assert CHILD not in message.body_text
