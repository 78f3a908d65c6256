"""Errors: RFC 9457 problem+json for the API, pages for people, never a stack trace."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from app.exceptions import Conflict, Invalid
from tests.support.people import People, Signed


class Echo(BaseModel):
    name: str
    count: int


def _add_test_routes(app: FastAPI) -> None:
    @app.post("/api/v1/_test/echo")
    def echo(body: Echo) -> Echo:
        return body

    @app.get("/api/v1/_test/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    @app.get("/_test/boom")
    def boom_page() -> None:
        raise RuntimeError("secret internals")

    @app.get("/api/v1/_test/conflict")
    def conflict() -> None:
        raise Conflict("Someone else saved first.", current_version=3)

    @app.get("/api/v1/_test/invalid")
    def invalid() -> None:
        raise Invalid("Dates are wrong.", [{"loc": ["body", "date"], "msg": "in the future"}])


def test_malformed_json_body_is_a_clear_422(app: FastAPI, client: TestClient) -> None:
    _add_test_routes(app)
    response = client.post(
        "/api/v1/_test/echo",
        content=b'{"name": "x", ',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["detail"] == "The request body is not valid JSON."
    assert body["errors"][0]["type"] == "json_invalid"


def test_validation_errors_are_listed_per_field(app: FastAPI, client: TestClient) -> None:
    _add_test_routes(app)
    response = client.post("/api/v1/_test/echo", json={"count": "many"})
    assert response.status_code == 422
    locs = {tuple(e["loc"]) for e in response.json()["errors"]}
    assert locs == {("body", "name"), ("body", "count")}


def test_unhandled_error_is_a_500_problem_without_internals(app: FastAPI) -> None:
    _add_test_routes(app)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/v1/_test/boom")
        assert response.status_code == 500
        assert response.headers["content-type"] == "application/problem+json"
        assert "secret internals" not in response.text
        assert "Traceback" not in response.text
        page = client.get("/_test/boom")
        assert page.status_code == 500
        assert page.headers["content-type"].startswith("text/html")
        assert "Sorry, there is a problem with the service" in page.text
        assert "secret internals" not in page.text


def test_domain_errors_map_to_status_codes(app: FastAPI, client: TestClient) -> None:
    _add_test_routes(app)
    conflict = client.get("/api/v1/_test/conflict")
    assert conflict.status_code == 409
    assert conflict.json()["current_version"] == 3
    invalid = client.get("/api/v1/_test/invalid")
    assert invalid.status_code == 422
    assert invalid.json()["errors"] == [{"loc": ["body", "date"], "msg": "in the future"}]


def test_unknown_api_route_and_method(client: TestClient) -> None:
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["detail"] == "There is nothing at this address."
    wrong_method = client.delete("/api/v1/curricula")
    assert wrong_method.status_code == 405
    assert wrong_method.headers["content-type"] == "application/problem+json"


def test_unknown_page_is_a_404_page(client: TestClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Page not found" in response.text


def test_request_id_is_returned_and_reused(client: TestClient) -> None:
    generated = client.get("/healthz").headers["x-request-id"]
    assert len(generated) == 32
    given = "0123456789abcdef0123456789abcdef"
    assert client.get("/healthz", headers={"X-Request-ID": given}).headers["x-request-id"] == given


def test_every_form_carries_the_sessions_csrf_token(signed: Signed, people: People) -> None:
    """Forms must work without JavaScript: the hidden field holds the real token."""
    import re

    admin = signed.pages(people.admin)
    for path in ("/admin/users/new", f"/admin/users/{people.mentor.id}", "/account/password", "/"):
        html = admin.get(path).text
        tokens = re.findall(r'name="csrf_token" value="([^"]*)"', html)
        assert tokens, path
        assert set(tokens) == {admin.csrf_token}, path


def test_a_nul_character_is_refused_not_a_500(client: TestClient, people: People) -> None:
    """PostgreSQL cannot store or compare NUL in text; SQLite can. Either way a clear 4xx:
    the sign-in simply fails (no address holds a NUL), on both."""
    response = client.post("/api/v1/auth/token", data={"username": "\x00", "password": "x"})
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_a_database_data_error_that_is_not_about_nul_stays_a_500(app: FastAPI) -> None:
    from sqlalchemy.exc import DataError

    @app.get("/api/v1/_test/data")
    def data_error() -> None:
        raise DataError("SELECT 1", {}, Exception("numeric field overflow"))

    response = TestClient(app, raise_server_exceptions=False).get("/api/v1/_test/data")
    assert response.status_code == 500
    assert "overflow" not in response.text
