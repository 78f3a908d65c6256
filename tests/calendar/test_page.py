"""The calendar page: the person's own feed address, and a new one when asked."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.audit.models import AuditEvent
from app.auth.security import token_digest
from app.calendar.models import CalendarFeed
from tests.support.people import People, Signed

URL = re.compile(
    r'id="feed-url" type="text" value="(http://testserver/calendar/[A-Za-z0-9_\-]+\.ics)"'
)


def feed_address(html: str) -> str:
    found = URL.search(html)
    assert found, html[:2000]
    return found.group(1)


@pytest.mark.parametrize("role", ["admin", "lead", "facilitator", "mentor"])
def test_page_shows_the_feed_address(
    signed: Signed, people: People, db: Session, role: str
) -> None:
    user = people.by_role(role)
    client = signed.pages(user)
    page = client.get("/account/calendar")
    assert page.status_code == 200
    url = feed_address(page.text)
    feed = db.get(CalendarFeed, user.id)
    assert feed is not None
    token = url.removeprefix("http://testserver/calendar/").removesuffix(".ics")
    assert feed.token_hash == token_digest(token)  # only its digest is kept
    assert "readonly" in page.text
    assert f'name="csrf_token" value="{client.csrf_token}"' in page.text
    assert "Keep this address private" in page.text
    for app_name in ("Outlook", "Google Calendar", "Apple Calendar"):
        assert app_name in page.text
    # Shown once: afterwards the page says how to get a new one, and the address still works.
    again = client.get("/account/calendar").text
    assert 'id="feed-url"' not in again
    assert "re-issue to see a new link" in again
    assert client.get(url.removeprefix("http://testserver")).status_code == 200


def test_rotate_gives_a_new_address(signed: Signed, people: People, db: Session) -> None:
    client = signed.pages(people.facilitator)
    old = feed_address(client.get("/account/calendar").text)
    response = client.post("/account/calendar/rotate", data={"csrf_token": client.csrf_token})
    assert response.status_code == 303
    assert response.headers["location"] == "/account/calendar?rotated=1"
    page = client.get(response.headers["location"])
    new = feed_address(page.text)
    assert new != old
    assert "govuk-notification-banner--success" in page.text
    assert "The old one has stopped working" in page.text
    assert client.get(old.removeprefix("http://testserver")).status_code == 404
    assert client.get(new.removeprefix("http://testserver")).status_code == 200
    assert db.exec(
        select(AuditEvent).where(
            AuditEvent.action == "rotate_calendar", AuditEvent.actor_id == people.facilitator.id
        )
    ).first()


def test_rotate_needs_the_form_token(signed: Signed, people: People) -> None:
    client = signed.pages(people.mentor)
    old = feed_address(client.get("/account/calendar").text)
    assert client.post("/account/calendar/rotate", data={"csrf_token": "nope"}).status_code == 403
    assert client.get(old.removeprefix("http://testserver")).status_code == 200


def test_page_needs_sign_in(client: TestClient) -> None:
    response = client.get("/account/calendar", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
    posted = client.post("/account/calendar/rotate", follow_redirects=False)
    assert posted.status_code == 303
