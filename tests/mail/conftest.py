"""The email tests' fixtures: a real SMTP server and the settings that point at it, or a
folder for mail when there is none."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.config import get_settings
from tests.support.smtp import SmtpServer


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
