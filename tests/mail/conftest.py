"""The email tests' fixtures: a real SMTP server and the settings that point at it, or a
folder for mail when there is none."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from sqlalchemy import Engine, delete

from app.config import get_settings
from app.db import create_db_engine
from app.mail import delivery
from app.mail.models import OutboxMessage
from app.notify import worker
from tests.support.databases import DatabaseFactory
from tests.support.smtp import SmtpServer


@pytest.fixture(autouse=True)
def _fresh_loggers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app caches each structlog logger on first use (app/logs.py), after which
    structlog.testing.capture_logs cannot see it: whichever test used the mail loggers first
    would leave the others blind. Each test gets loggers not yet used."""
    for module in (delivery, worker):
        monkeypatch.setattr(module, "log", structlog.get_logger(module.__name__))


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    """A running SMTP server that the settings send to (plain, no sign-in, 2 s timeout)."""
    server = SmtpServer()
    server.start()
    for name, value in server.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("TANDEM_SMTP_TIMEOUT", "2")
    get_settings.cache_clear()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def mail_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No SMTP server: mail is written here."""
    folder = tmp_path / "mail"
    monkeypatch.delenv("TANDEM_SMTP_HOST", raising=False)
    monkeypatch.setenv("TANDEM_MAIL_DIR", str(folder))
    get_settings.cache_clear()
    return folder


@pytest.fixture(scope="module")
def committed_engine(databases: DatabaseFactory) -> Iterator[Engine]:
    """A database of the module's own, for workers, threads and processes that need
    committed data (the `db` fixture's transaction is never committed)."""
    engine = create_db_engine(databases.migrated("mail", curriculum=False))
    yield engine
    engine.dispose()


@pytest.fixture
def committed(committed_engine: Engine) -> Iterator[Engine]:
    """The module's database with an empty outbox, before and after the test."""
    with committed_engine.begin() as connection:
        connection.execute(delete(OutboxMessage))
    yield committed_engine
    with committed_engine.begin() as connection:
        connection.execute(delete(OutboxMessage))
