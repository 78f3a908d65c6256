"""Helpers shared by the sign-in, people and audit tests."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response
from markupsafe import escape
from sqlalchemy import func
from sqlmodel import Session, SQLModel, col, select

from app.audit.models import AuditEvent
from app.auth.models import ApiToken, User, WebSession
from app.auth.security import token_digest
from app.main import create_app
from tests.support.people import PASSWORD, PageClient

TOKEN_URL = "/api/v1/auth/token"
WRONG = "Email or password is wrong."
PROBLEM = "application/problem+json"

Setting = Callable[[str, str], None]  # the `setting` fixture: setting("NAME", "value")


# API ------------------------------------------------------------------------------------


def request_token(client: TestClient, email: str, password: str = PASSWORD) -> Response:
    return client.post(TOKEN_URL, data={"username": email, "password": password})


def token_for(client: TestClient, email: str, password: str = PASSWORD) -> str:
    response = request_token(client, email, password)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def me_status(client: TestClient, token: str) -> int:
    return client.get("/api/v1/me", headers=bearer(token)).status_code


def assert_problem(response: Response, status: int, detail: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["title"]
    if detail is not None:
        assert body["detail"] == detail
    return body


def error_fields(body: dict[str, Any]) -> dict[str, str]:
    """{last part of loc: msg} from a 422 problem."""
    return {str(e["loc"][-1]): e["msg"] for e in body["errors"]}


# Pages ----------------------------------------------------------------------------------


def browser(app: FastAPI, base_url: str = "http://testserver") -> TestClient:
    """An anonymous browser that shows redirects instead of following them."""
    return TestClient(app, base_url=base_url, follow_redirects=False)


def fresh_app(app: FastAPI) -> FastAPI:
    """A new application on the test's database, built after a setting was changed."""
    new = create_app()
    new.dependency_overrides.update(app.dependency_overrides)
    return new


def hidden_csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]*)"', html)
    assert match, "no csrf_token field on the page"
    return match.group(1)


def sign_in(
    client: TestClient, email: str, password: str = PASSWORD, next: str | None = None
) -> Response:
    """Fill in and send the sign-in form, as a browser does."""
    page = client.get("/login")
    assert page.status_code == 200
    form = {"email": email, "password": password, "csrf_token": hidden_csrf(page.text)}
    if next is not None:
        form["next"] = next
    return client.post("/login", data=form)


def csrf_of(client: PageClient) -> str:
    """The CSRF token of a `signed.pages(...)` client's session."""
    return client.csrf_token


def csrf_header(client: PageClient) -> dict[str, str]:
    return {"X-CSRF-Token": csrf_of(client)}


def post_form(client: PageClient, url: str, data: dict[str, str], csrf: bool = True) -> Response:
    """A form post from a signed-in page client, with its CSRF token unless told not to."""
    if csrf:
        data = {**data, "csrf_token": csrf_of(client)}
    return client.post(url, data=data)


PASSWORD_URL = "/account/password"


def change_password(pages: PageClient, current: str, new: str, csrf: bool = True) -> Response:
    """Send the change-your-password form (/account/password)."""
    return post_form(
        pages, PASSWORD_URL, {"current_password": current, "new_password": new}, csrf=csrf
    )


def set_cookies(response: Response) -> dict[str, str]:
    """{cookie name: its whole Set-Cookie header} for a response."""
    return {h.split("=", 1)[0]: h for h in response.headers.get_list("set-cookie")}


def cookie_attributes(header: str) -> set[str]:
    return {part.strip().lower() for part in header.split(";")[1:]}


def assert_redirect(response: Response, location: str) -> None:
    assert response.status_code == 303, response.text
    assert response.headers["location"] == location


def assert_to_sign_in(client: TestClient, path: str = "/curriculum") -> None:
    """Not (or no longer) signed in: sent to the sign-in page, to come back afterwards."""
    assert_redirect(client.get(path), f"/login?next={quote(path, safe='')}")


def assert_page(response: Response, status: int, *texts: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    for text in texts:
        assert text in response.text, f"{text!r} not on the page"
    return response.text


def assert_error_summary(response: Response, status: int, field: str, message: str) -> str:
    """A GOV.UK error summary linking to the field, and the message by the field too."""
    html = assert_page(response, status, "There is a problem")
    assert f'<a href="#{field}">' in html
    assert str(escape(message)) in html
    assert f'id="{field}-error"' in html
    return html


# Database -------------------------------------------------------------------------------


def count(db: Session, model: type[SQLModel], *where: Any) -> int:
    return int(db.exec(select(func.count()).select_from(model).where(*where)).one())


def reload(db: Session, row: SQLModel) -> Any:
    """The row as the database holds it now."""
    db.expire_all()
    db.refresh(row)
    return row


def user_by_email(db: Session, email: str) -> User | None:
    db.expire_all()
    return db.exec(select(User).where(User.email == email)).first()


def api_token_row(db: Session, raw: str) -> ApiToken:
    return db.exec(select(ApiToken).where(ApiToken.token_hash == token_digest(raw))).one()


def web_session_of(db: Session, user: User) -> WebSession:
    """The user's newest browser session."""
    query = select(WebSession).where(WebSession.user_id == user.id)
    return db.exec(query.order_by(col(WebSession.id).desc()).limit(1)).one()


def save(db: Session, row: SQLModel, **values: Any) -> None:
    for name, value in values.items():
        setattr(row, name, value)
    db.add(row)
    db.commit()


def audit_events(db: Session, **where: Any) -> list[AuditEvent]:
    db.expire_all()
    query = select(AuditEvent).order_by(col(AuditEvent.id))
    for name, value in where.items():
        query = query.where(getattr(AuditEvent, name) == value)
    return list(db.exec(query).all())


def assert_no_secrets(changes: list[dict[str, Any]], *secrets: str) -> None:
    """No password, hash or token text in any audit change."""
    text = json.dumps(changes)
    for secret in (*secrets, PASSWORD, "$argon2"):
        assert secret not in text
