"""The audit trail: API and page, for leads and admins of the organisation only."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.audit.models import AuditEvent
from tests.audit.support import text_of
from tests.support.auth import (
    assert_no_secrets,
    assert_page,
    assert_problem,
    audit_events,
    count,
    csrf_of,
    post_form,
    request_token,
    token_for,
)
from tests.support.people import PASSWORD, PageClient, People, Signed

NEW_PASSWORD = "another long passphrase"


@pytest.fixture
def history(admin_api: TestClient, signed: Signed, client: TestClient, people: People) -> list[str]:
    """Some of everything the audit trail records, in org A and in org B; the secrets used."""
    admin_api.post(
        "/api/v1/users",
        json={
            "email": "nia@org-a.example.org",
            "name": "Nia",
            "role": "mentor",
            "password": "a long enough password",
        },
    )
    admin_api.patch(f"/api/v1/users/{people.mentor.id}", json={"role": "facilitator"})
    for _ in range(5):
        request_token(client, people.facilitator.email, "a wrong password")
    pages = signed.pages(people.mentor)
    post_form(
        pages, "/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    token = token_for(client, people.mentor.email, NEW_PASSWORD)
    signed.api(people.other_admin).patch(
        f"/api/v1/users/{people.other_lead.id}", json={"name": "Renamed in B"}
    )
    return [NEW_PASSWORD, token, csrf_of(pages)]


def test_audit_api(signed: Signed, people: People, db: Session, history: list[str]) -> None:
    response = signed.api(people.admin).get("/api/v1/audit", params={"limit": 500})
    assert response.status_code == 200
    body = response.json()
    items = body["items"]
    own = count(db, AuditEvent, AuditEvent.org_id == people.org.id)
    assert body["total"] == own == len(items)
    assert {i["id"] for i in items} == {e.id for e in audit_events(db, org_id=people.org.id)}
    moments = [(i["at"], i["id"]) for i in items]
    assert moments == sorted(moments, reverse=True)  # newest first
    assert "Renamed in B" not in response.text

    actions = {i["action"] for i in items}
    assert {"create", "update", "lock", "change_password", "sign_in", "issue_token"} <= actions
    update = next(i for i in items if i["action"] == "update")
    assert update["actor_id"] == people.admin.id
    assert update["actor_name"] == people.admin.name
    assert update["stored_changes"] == {"role": ["mentor", "facilitator"]}
    assert update["request_id"]
    lock = next(i for i in items if i["action"] == "lock")
    assert (lock["actor_id"], lock["actor_name"]) == (None, None)
    hashes = [u.password_hash or "" for u in (people.mentor, people.admin)]
    assert_no_secrets([i["stored_changes"] for i in items], *history, *hashes)


def test_filter_and_page(lead_api: TestClient, people: People, history: list[str]) -> None:
    everything = lead_api.get("/api/v1/audit", params={"limit": 500}).json()
    users = lead_api.get("/api/v1/audit", params={"entity": "user", "limit": 500}).json()
    assert users["items"]
    assert {i["entity"] for i in users["items"]} == {"user"}
    assert users["total"] < everything["total"]

    one = lead_api.get("/api/v1/audit", params={"entity": "user", "entity_id": people.mentor.id})
    assert {i["entity_id"] for i in one.json()["items"]} == {people.mentor.id}

    first = lead_api.get("/api/v1/audit", params={"limit": 2}).json()
    second = lead_api.get("/api/v1/audit", params={"limit": 2, "offset": 2}).json()
    assert [i["id"] for i in first["items"] + second["items"]] == [
        i["id"] for i in everything["items"][:4]
    ]
    assert first["total"] == everything["total"]


@pytest.mark.parametrize(
    "params",
    [{"entity": "User"}, {"entity": "x;drop"}, {"limit": 0}, {"limit": 501}, {"offset": -1}],
)
def test_bad_filters(lead_api: TestClient, params: dict[str, str | int]) -> None:
    assert_problem(lead_api.get("/api/v1/audit", params=params), 422)


def test_other_organisation_sees_only_its_own(
    signed: Signed, people: People, history: list[str]
) -> None:
    items = signed.api(people.other_lead).get("/api/v1/audit").json()["items"]
    assert items
    assert "Renamed in B" in str(items)
    assert "nia@org-a.example.org" not in str(items)


@pytest.mark.parametrize("role", ["facilitator", "mentor"])
def test_audit_is_for_leads_and_admins(signed: Signed, people: People, role: str) -> None:
    user = people.by_role(role)
    assert_problem(signed.api(user).get("/api/v1/audit"), 403)
    assert_page(signed.pages(user).get("/audit"), 403)


def test_audit_page(lead_pages: PageClient, people: People, history: list[str]) -> None:
    html = assert_page(
        lead_pages.get("/audit"), 200, "<html", 'id="results"', "Admin of Org A", "System"
    )
    assert "Role: Mentor → changed to Facilitator" in text_of(html)
    assert "Password changed (not shown)" in text_of(html)
    assert '<option value="organisation">Organisation</option>' in html
    for secret in history:
        assert secret not in html


def test_audit_page_filter(lead_pages: PageClient, history: list[str]) -> None:
    html = assert_page(lead_pages.get("/audit", params={"entity": "organisation"}), 200)
    assert "for organisation" in html
    assert '<option value="organisation" selected>' in html
    assert "Create organisation" in html
    assert "Update user" not in html


def test_audit_page_fragment_for_htmx(lead_pages: PageClient, history: list[str]) -> None:
    response = lead_pages.get("/audit", params={"entity": "user"}, headers={"HX-Request": "true"})
    html = assert_page(response, 200, 'id="results"', "for user", "Update user")
    assert "<html" not in html
    assert "<form" not in html
    assert "HX-Request" in response.headers["vary"]
