"""Single sign-on and the organisation's two-step requirement (ASVS 5.0 V6.8.4): a sign-in
through the provider meets it only when the provider says a second factor was used (the ID
token's `amr`, RFC 8176) or the organisation vouches for its provider (trust_provider_mfa);
otherwise it counts as one factor, as a password does. The flows run against the real
provider (panva's oidc-provider), whose development sign-in sends no `amr`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.auth import service as auth_service
from app.auth.models import WebSession
from app.auth.sso import provider_asserts_mfa
from tests.sso.conftest import ConfigureSso
from tests.sso.provider import Provider
from tests.sso.test_flow import back_from_provider, finish
from tests.support.auth import audit_events, save
from tests.support.people import People


@pytest.mark.parametrize(
    ("amr", "two_step"),
    [
        (None, False),
        ([], False),
        (["pwd"], False),
        ("pwd", False),
        (["otp"], False),  # a code alone is still one factor
        (["pwd", "pin"], False),  # two things known are one kind of factor
        (["mfa"], True),
        (["pwd", "mfa"], True),  # Entra ID's v1 tokens
        (["PWD", "OTP"], True),
        (["pwd", "hwk"], True),
        (["face", "swk"], True),
        ([["mfa"]], False),  # not a list of strings
        ({"mfa": True}, False),
        (42, False),
    ],
)
def test_which_amr_values_count_as_two_step(amr: Any, two_step: bool) -> None:
    claims: dict[str, Any] = {"sub": "x"} if amr is None else {"sub": "x", "amr": amr}
    assert provider_asserts_mfa(claims) is two_step


def _overdue(db: Session, people: People) -> None:
    stamp = auth_service.now() - timedelta(days=30)
    save(db, people.lead, mfa_required_since=stamp, mfa_setup_due=stamp + timedelta(days=14))


@pytest.mark.slow
@pytest.mark.xdist_group("sso-provider")
def test_a_provider_that_does_not_say_counts_as_one_factor(
    anon: TestClient, provider: Provider, configure_sso: ConfigureSso, db: Session, people: People
) -> None:
    configure_sso(provider.issuer)
    _overdue(db, people)
    response = finish(anon, back_from_provider(anon, provider, "lead", "lead@org-a.example.org"))
    assert response.status_code == 303
    assert response.headers["location"] == "/account/security"
    assert anon.get("/children").headers["location"] == "/account/security"
    session = db.exec(select(WebSession).where(WebSession.user_id == people.lead.id)).one()
    assert session.method == "sso"


@pytest.mark.slow
@pytest.mark.xdist_group("sso-provider")
def test_a_provider_the_organisation_vouches_for_meets_the_requirement(
    anon: TestClient, provider: Provider, configure_sso: ConfigureSso, db: Session, people: People
) -> None:
    configure_sso(provider.issuer, trust_provider_mfa=True)
    _overdue(db, people)
    response = finish(anon, back_from_provider(anon, provider, "lead", "lead@org-a.example.org"))
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert anon.get("/children").status_code == 200
    session = db.exec(select(WebSession).where(WebSession.user_id == people.lead.id)).one()
    assert session.method == "sso_mfa"


def test_the_setting_is_saved_and_shown(admin_api: TestClient) -> None:
    body = {
        "enabled": False,
        "issuer": "https://login.example.org/tenant/v2.0",
        "client_id": "tandem",
        "domains": ["org-a.example.org"],
        "trust_provider_mfa": True,
    }
    response = admin_api.put("/api/v1/organisation/sso", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["trust_provider_mfa"] is True
    assert admin_api.get("/api/v1/organisation/sso").json()["trust_provider_mfa"] is True
    body.pop("trust_provider_mfa")
    assert (
        admin_api.put("/api/v1/organisation/sso", json=body).json()["trust_provider_mfa"] is False
    )


@pytest.mark.slow
@pytest.mark.xdist_group("sso-provider")
def test_a_locked_account_is_refused_through_single_sign_on_too(
    anon: TestClient, provider: Provider, configure_sso: ConfigureSso, db: Session, people: People
) -> None:
    """A lock after wrong passwords holds whatever the way in, until it ends."""
    configure_sso(provider.issuer)
    save(db, people.lead, locked_until=auth_service.now() + timedelta(minutes=10))
    response = finish(anon, back_from_provider(anon, provider, "lead", "lead@org-a.example.org"))
    assert response.headers["location"] == "/login?sso=locked"
    assert "This account is locked" in anon.get("/login?sso=locked").text
    assert db.exec(select(WebSession).where(WebSession.user_id == people.lead.id)).first() is None
    assert audit_events(db, entity_id=people.lead.id)[-1].changes["reason"] == [
        None,
        "account locked",
    ]
