"""The API against its own OpenAPI document: generated requests, no 5xx, responses as documented."""

from __future__ import annotations

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import settings

schemathesis_settings = settings(max_examples=60, deadline=None)


@pytest.fixture
def api_schema(app: FastAPI):  # type: ignore[no-untyped-def]
    return schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture
def admin_token(people, db) -> str:  # type: ignore[no-untyped-def]
    from app.auth.service import issue_token

    raw, _ = issue_token(db, user=people.admin)
    db.commit()
    return raw


@schema.parametrize()
@schemathesis_settings
def test_api_conforms_to_its_openapi_document(case, admin_token: str) -> None:  # type: ignore[no-untyped-def]
    # Signed in as an admin, so requests reach the handlers; every check schemathesis has,
    # which includes not_a_server_error (no 5xx, ever).
    case.call_and_validate(headers={"Authorization": f"Bearer {admin_token}"})


def test_openapi_document_describes_the_contract(client: TestClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    paths = document["paths"]
    assert "/api/v1/curricula" in paths
    assert "/api/v1/curricula/{curriculum_id}/weeks" in paths
    assert "/healthz" in paths
    # HTML pages are not part of the API document.
    assert not any(p.startswith("/curriculum") for p in paths)
    weeks = paths["/api/v1/curricula/{curriculum_id}/weeks"]["get"]["responses"]
    for code in ("404", "422"):
        assert "application/problem+json" in weeks[code]["content"], code
    assert "Problem" in document["components"]["schemas"]
    assert "HTTPValidationError" not in document["components"]["schemas"]
