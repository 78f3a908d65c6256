"""A link used from several tabs at once, against a real server with two worker processes,
on the database the suite runs on (SQLite, or PostgreSQL when TANDEM_DATABASE_URL names
one): exactly one request sets the password, the others are told the link was used."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2 as httpx
import pytest
from sqlmodel import Session, select

from app.auth.links import LINK_USED
from app.db import create_db_engine
from app.mail.models import OutboxMessage
from tests.support.databases import DatabaseFactory
from tests.support.links import link_token
from tests.support.served import DEMO_LOGINS, DEMO_PASSWORD, Served, serve

pytestmark = pytest.mark.slow

TABS = 8


@pytest.fixture
def server(databases: DatabaseFactory, tmp_path: Path) -> Iterator[Served]:
    with serve(databases, tmp_path, workers=2) as served:
        yield served


def reset_token(server: Served, email: str) -> str:
    engine = create_db_engine(server.database_url)
    try:
        with Session(engine) as db:
            message = db.exec(
                select(OutboxMessage).where(
                    OutboxMessage.kind == "password_reset", OutboxMessage.to_address == email
                )
            ).one()
            return link_token(message)
    finally:
        engine.dispose()


def test_one_of_many_tabs_at_once_sets_the_password(server: Served) -> None:
    email = DEMO_LOGINS["mentor"]
    with server.client() as client:
        assert client.post("/api/v1/auth/forgot", json={"email": email}).status_code == 202
    token = reset_token(server, email)
    start = threading.Barrier(TABS)

    def tab(n: int) -> httpx.Response:
        with httpx.Client(base_url=server.base_url, timeout=60) as client:
            start.wait()
            return client.post(
                "/api/v1/auth/reset", json={"token": token, "password": f"tab {n} new passphrase"}
            )

    with ThreadPoolExecutor(max_workers=TABS) as pool:
        responses = list(pool.map(tab, range(TABS)))
    codes = Counter(r.status_code for r in responses)
    assert codes == {204: 1, 422: TABS - 1}, (codes, server.output()[-3000:])
    for refused in (r for r in responses if r.status_code == 422):
        assert refused.json()["errors"][0]["msg"] == LINK_USED
    winner = next(n for n, r in enumerate(responses) if r.status_code == 204)
    with server.client() as client:
        new = {"username": email, "password": f"tab {winner} new passphrase"}
        assert client.post("/api/v1/auth/token", data=new).status_code == 200
        loser = {"username": email, "password": f"tab {(winner + 1) % TABS} new passphrase"}
        assert client.post("/api/v1/auth/token", data=loser).status_code == 401
        old = {"username": email, "password": DEMO_PASSWORD}
        assert client.post("/api/v1/auth/token", data=old).status_code == 401
