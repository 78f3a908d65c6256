"""A code works once even when the same code arrives in parallel requests: against a real
server, each request on its own connection (tests/support/served.py)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx2 as httpx
import pyotp
import pytest

from tests.support.databases import DatabaseFactory
from tests.support.served import DEMO_LOGINS, DEMO_PASSWORD, Served, serve

TOKEN = "/api/v1/auth/token"


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[DatabaseFactory]:
    (tmp_path / "db").mkdir()
    factory = DatabaseFactory(tmp_path / "db")
    yield factory
    factory.drop_all()


def server_now(server: Served) -> datetime:
    response = httpx.get(f"{server.base_url}/healthz", timeout=30)
    return parsedate_to_datetime(response.headers["date"]).astimezone(UTC)


def test_the_same_code_in_parallel_signs_in_once(fresh: DatabaseFactory, tmp_path: Path) -> None:
    env = {"TANDEM_ADDRESS_MAX_FAILURES": "10000", "TANDEM_LOGIN_MAX_FAILURES": "100"}
    with serve(fresh, tmp_path, env=env) as server, server.client("mentor") as api:
        secret = api.post("/api/v1/me/mfa").json()["secret"]
        totp = pyotp.TOTP(secret)
        confirm = api.post("/api/v1/me/mfa/confirm", json={"code": totp.at(server_now(server))})
        assert confirm.status_code == 204, confirm.text
        # The next step's code (the current one was used to confirm), sent 8 times at once.
        code = totp.at(server_now(server).timestamp() + 30)
        start = threading.Barrier(8)
        login = {"username": DEMO_LOGINS["mentor"], "password": DEMO_PASSWORD, "otp": code}

        def one(_: int) -> httpx.Response:
            with httpx.Client(base_url=server.base_url, timeout=30) as client:
                start.wait()
                return client.post(TOKEN, data=login)

        with ThreadPoolExecutor(max_workers=8) as pool:
            responses = list(pool.map(one, range(8)))
        codes = Counter(r.status_code for r in responses)
        assert codes == {200: 1, 401: 7}, (codes, server.output()[-3000:])
        for refused in (r for r in responses if r.status_code == 401):
            assert refused.json()["mfa_required"] is True
