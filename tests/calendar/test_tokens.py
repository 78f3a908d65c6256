"""Calendar feed addresses are kept only as digests (like session and API tokens): the
database holds no address, an address is shown once, re-issuing it stops the old one, and
the migration hashed the addresses already given out so that they keep working."""

from __future__ import annotations

import uuid

from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session, select

from app.auth import service as auth
from app.auth.models import Role
from app.auth.security import token_digest
from app.calendar import service as feeds
from app.calendar.models import CalendarFeed
from app.db import create_db_engine
from tests.support.databases import DatabaseFactory, alembic_config_for
from tests.support.people import PASSWORD, People, Signed

BEFORE_HASHING = "49508261f0d1"


def _token(url: str) -> str:
    return url.rsplit("/", 1)[1].removesuffix(".ics")


def test_the_database_holds_no_address_and_a_reissue_stops_the_old(
    signed: Signed, people: People, db: Session, client: TestClient
) -> None:
    api = signed.api(people.facilitator)
    old = api.get("/api/v1/me/calendar").json()["url"]
    again = api.get("/api/v1/me/calendar").json()
    assert again["url"] is None
    assert "Re-issue it to see a new link" in again["detail"]
    new = api.post("/api/v1/me/calendar/rotate").json()["url"]
    rows = db.exec(select(CalendarFeed)).all()
    assert [row.token_hash for row in rows] == [token_digest(_token(new))]
    for row in rows:
        for column in ("token_hash", "user_id", "org_id"):
            value = str(getattr(row, column))
            assert _token(old) not in value
            assert _token(new) not in value
    assert client.get(old.split("testserver", 1)[1]).status_code == 404
    assert client.get(new.split("testserver", 1)[1]).status_code == 200


def test_the_page_shows_a_new_address_once(signed: Signed, people: People) -> None:
    pages = signed.pages(people.mentor)
    pages.get("/account/calendar")
    posted = pages.post("/account/calendar/rotate", data={"csrf_token": pages.csrf_token})
    assert posted.status_code == 303
    assert "HttpOnly" in posted.headers["set-cookie"]
    assert "Path=/account/calendar" in posted.headers["set-cookie"]
    shown = pages.get(posted.headers["location"])
    assert 'id="feed-url"' in shown.text
    assert "The old one has stopped working" in shown.text
    # Once shown, the address is gone from the browser and the page.
    reloaded = pages.get(posted.headers["location"])
    assert 'id="feed-url"' not in reloaded.text
    assert "re-issue to see a new link" in reloaded.text
    assert "The old one has stopped working" not in reloaded.text


def test_a_stale_handed_address_is_not_shown(signed: Signed, people: People) -> None:
    pages = signed.pages(people.lead)
    pages.get("/account/calendar")
    pages.cookies.set("tandem_new_calendar", "x" * 43, path="/account/calendar")
    page = pages.get("/account/calendar?rotated=1")
    assert 'id="feed-url"' not in page.text
    assert "x" * 43 not in page.text


def test_the_migration_hashes_the_addresses_given_out(databases: DatabaseFactory) -> None:
    url = databases.new(f"calendar_hash_{uuid.uuid4().hex[:6]}")
    config = alembic_config_for(url)
    command.upgrade(config, "head")
    engine = create_db_engine(url)
    try:
        with Session(engine) as db:
            org, _ = auth.get_or_create_organisation(db, "Org C")
            user = auth.create_user(
                db,
                actor=None,
                org_id=org.id or 0,
                email="facilitator@org-c.example.org",
                name="Fran",
                role=Role.facilitator,
                password=PASSWORD,
            )
            feeds.issue(db, user=user)
            db.commit()
            user_id = user.id
        # Back to plain addresses (a downgrade gives everyone a new one): the one in use.
        command.downgrade(config, BEFORE_HASHING)
        with engine.connect() as conn:
            (plain,) = conn.execute(
                text("SELECT token FROM calendar_feed WHERE user_id = :u"), {"u": user_id}
            ).one()
        command.upgrade(config, "head")
        with engine.connect() as conn:
            (stored,) = conn.execute(
                text("SELECT token_hash FROM calendar_feed WHERE user_id = :u"), {"u": user_id}
            ).one()
        assert stored == token_digest(plain) != plain
        with Session(engine) as db:
            found = feeds.user_for_token(db, plain)
            assert found is not None
            assert found.id == user_id
    finally:
        engine.dispose()
