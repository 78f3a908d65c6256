from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth import sso
from app.auth.models import SsoConfig
from app.config import get_settings
from tests.sso.provider import CLIENT_ID, CLIENT_SECRET, Provider
from tests.support.auth import browser
from tests.support.people import People

ConfigureSso = Callable[..., SsoConfig]


@pytest.fixture(autouse=True)
def _sso_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Links and the redirect URI point at the TestClient's host; no cached discovery
    document outlives a test."""
    monkeypatch.setenv("TANDEM_BASE_URL", "http://testserver")
    get_settings.cache_clear()
    sso.clear_cache()
    yield
    sso.clear_cache()


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> Callable[[dict[str, str]], None]:
    """`secrets({"1": "..."})`: TANDEM_SSO_CLIENT_SECRETS for this test."""

    def put(values: dict[str, str]) -> None:
        monkeypatch.setenv("TANDEM_SSO_CLIENT_SECRETS", json.dumps(values))
        get_settings.cache_clear()

    return put


@pytest.fixture
def configure_sso(
    db: Session, people: People, secrets: Callable[[dict[str, str]], None]
) -> ConfigureSso:
    """Organisation A's single sign-on through `issuer`, with the client secret in the
    environment (stored directly: the settings' own rules are tested through the API)."""

    def configure(
        issuer: str, *, trust_provider_emails: bool = False, trust_provider_mfa: bool = False
    ) -> SsoConfig:
        secrets({str(people.org.id): CLIENT_SECRET})
        config = SsoConfig(
            org_id=people.org.id or 0,
            enabled=True,
            issuer=issuer,
            client_id=CLIENT_ID,
            domains=["org-a.example.org"],
            updated_at=datetime.now(UTC),
            trust_provider_emails=trust_provider_emails,
            trust_provider_mfa=trust_provider_mfa,
        )
        db.add(config)
        db.commit()
        return config

    return configure


@pytest.fixture(scope="module")
def provider_process() -> Iterator[Provider]:
    provider = Provider()
    provider.start()
    yield provider
    provider.stop()


@pytest.fixture
def provider(provider_process: Provider) -> Provider:
    """The module's provider, its clock at this test's."""
    provider_process.set_clock()
    return provider_process


@pytest.fixture
def anon(app: FastAPI) -> Iterator[TestClient]:
    with browser(app) as client:
        yield client
