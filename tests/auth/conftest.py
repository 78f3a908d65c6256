from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.config import get_settings
from tests.support.auth import Setting, browser


@pytest.fixture
def anon(app: FastAPI) -> Iterator[TestClient]:
    """An anonymous browser: redirects are returned, not followed."""
    with browser(app) as client:
        yield client


@pytest.fixture
def setting(monkeypatch: pytest.MonkeyPatch) -> Setting:
    """`setting("ADDRESS_MAX_FAILURES", "3")`: change a TANDEM_ setting for this test."""

    def change(name: str, value: str) -> None:
        monkeypatch.setenv(f"TANDEM_{name}", value)
        get_settings.cache_clear()

    return change
