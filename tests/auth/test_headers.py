"""Security headers on pages and API answers."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.support.auth import Setting, browser, fresh_app
from tests.support.people import People, Signed

HSTS = "Strict-Transport-Security"


def caller(who: str, client: TestClient, people: People, signed: Signed) -> TestClient:
    if who == "pages":
        return signed.pages(people.lead)
    if who == "api":
        return signed.api(people.lead)
    return client


@pytest.mark.parametrize(
    ("who", "path", "status"),
    [
        ("anon", "/login", 200),
        ("pages", "/curriculum", 200),
        ("api", "/api/v1/me", 200),
        ("anon", "/api/v1/me", 401),
        ("anon", "/no-such-page", 404),
    ],
)
def test_security_headers(
    client: TestClient, people: People, signed: Signed, who: str, path: str, status: int
) -> None:
    response = caller(who, client, people, signed).get(path)
    assert response.status_code == status
    headers = response.headers
    csp = headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["x-frame-options"] == "DENY"
    assert headers["cache-control"] == "no-store"
    assert HSTS not in headers


def test_static_files_may_be_cached(client: TestClient) -> None:
    response = client.get("/static/css/tandem.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("cache-control", "")
    assert response.headers["x-content-type-options"] == "nosniff"


def test_hsts_with_secure_cookies(app: FastAPI, setting: Setting) -> None:
    setting("SECURE_COOKIES", "true")
    with browser(fresh_app(app)) as client:
        for path in ("/login", "/api/v1/me", "/static/css/tandem.css"):
            assert client.get(path).headers[HSTS] == "max-age=31536000; includeSubDomains"
