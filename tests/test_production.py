"""Issue 20: production settings that mean something, and the client's real address behind
a proxy.

TANDEM_ENVIRONMENT=production refuses to start with SQLite (unless TANDEM_ALLOW_SQLITE) or
without secure cookies, from `tandem serve` and from the app factory alike. Only the
proxies in TANDEM_TRUSTED_PROXIES are believed about the client's address: before, uvicorn
believed X-Forwarded-For from any local client, so an address slowed for failed sign-ins
could free itself by changing the header."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import httpx2 as httpx
import pytest

from app.config import Settings, get_settings, production_problems
from app.main import create_app
from tests.support.cli import TANDEM, tandem
from tests.support.databases import DatabaseFactory
from tests.support.served import free_port, serve

PG = "postgresql://tandem@db.example.org/tandem"


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.parametrize(
    ("given", "problems"),
    [
        ({"environment": "development", "database_url": "sqlite:///x.db"}, []),
        ({"environment": "test"}, []),
        (
            {"database_url": "sqlite:///x.db"},
            ["TANDEM_DATABASE_URL is SQLite", "TANDEM_SECURE_COOKIES is not true"],
        ),
        ({"database_url": "sqlite:///x.db", "allow_sqlite": True, "secure_cookies": True}, []),
        ({"database_url": PG}, ["TANDEM_SECURE_COOKIES is not true"]),
        ({"database_url": PG, "secure_cookies": True}, []),
    ],
)
def test_what_production_refuses(given: dict[str, object], problems: list[str]) -> None:
    settings = Settings.model_validate({"environment": "production", **given})
    found = production_problems(settings)
    assert [p.split(":")[0] for p in found] == problems


def test_the_app_will_not_start_in_production_with_sqlite(
    monkeypatch: pytest.MonkeyPatch, fresh_settings: None
) -> None:
    monkeypatch.setenv("TANDEM_ENVIRONMENT", "production")
    monkeypatch.setenv("TANDEM_DATABASE_URL", "sqlite:///nowhere.db")
    monkeypatch.setenv("TANDEM_SECURE_COOKIES", "true")
    with pytest.raises(RuntimeError, match="TANDEM_ALLOW_SQLITE"):
        create_app()
    monkeypatch.setenv("TANDEM_ALLOW_SQLITE", "true")
    get_settings.cache_clear()
    assert create_app().title == "Tandem"


def test_tandem_serve_refuses_and_says_why() -> None:
    done = tandem(
        "serve",
        database_url="sqlite:///nowhere.db",
        TANDEM_ENVIRONMENT="production",
        TANDEM_PORT="1",  # never reached: it stops before listening
    )
    assert done.returncode == 2
    assert "TANDEM_DATABASE_URL is SQLite" in done.stderr
    assert "TANDEM_SECURE_COOKIES is not true" in done.stderr
    assert "not starting: TANDEM_ENVIRONMENT is production" in done.stderr


def _sign_in_failures(base_url: str, attempts: int) -> list[int]:
    """Wrong passwords, each claiming another client address in X-Forwarded-For."""
    return [
        httpx.post(
            f"{base_url}/api/v1/auth/token",
            data={"username": f"nobody{n}@example.org", "password": "wrong"},
            headers={"X-Forwarded-For": f"203.0.113.{n + 1}"},
            timeout=30,
        ).status_code
        for n in range(attempts)
    ]


@pytest.mark.slow
@pytest.mark.parametrize("trusted", ["", "127.0.0.1"], ids=["no-proxy-trusted", "local-proxy"])
def test_only_a_trusted_proxy_names_the_client(
    databases: DatabaseFactory, tmp_path: Path, trusted: str
) -> None:
    env = {
        "TANDEM_ADDRESS_MAX_FAILURES": "2",
        "TANDEM_ADDRESS_RETRY_SECONDS": "3600",
        "TANDEM_TRUSTED_PROXIES": trusted,
    }
    with serve(databases, tmp_path, env=env, demo=False) as served:
        statuses = _sign_in_failures(served.base_url, 5)
    if trusted:
        # Five clients behind the proxy, one failure each: none is slowed.
        assert statuses == [401] * 5
    else:
        # One client (this machine), whatever the header says: slowed after two failures.
        assert statuses == [401, 401, 429, 429, 429]


def test_port_from_the_platform(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TANDEM_PORT", raising=False)
    monkeypatch.setenv("PORT", "9123")
    assert Settings().port == 9123
    monkeypatch.setenv("TANDEM_PORT", "9000")  # Tandem's own setting wins
    assert Settings().port == 9000
    monkeypatch.setenv("PORT", "not a port")
    monkeypatch.delenv("TANDEM_PORT")
    with pytest.raises(ValueError, match="port"):
        Settings()


def _workers_of(master: int) -> list[int]:
    """The server processes uvicorn started for `master` (Linux: read from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
            if int(fields[1]) == master and b"spawn_main" in cmdline:
                found.append(int(stat.parent.name))
    return found


@pytest.mark.slow
def test_killing_the_master_leaves_no_worker_on_the_port(
    databases: DatabaseFactory, tmp_path: Path
) -> None:
    """`tandem serve` with two worker processes; the master is killed with SIGKILL (it can
    stop nobody): the workers notice and stop, and the port is free again."""
    url = databases.new("orphans")
    assert tandem("db", "upgrade", database_url=url).returncode == 0
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")}
    env |= {"TANDEM_DATABASE_URL": url, "TANDEM_WORKERS": "2"}
    log = (tmp_path / "server.log").open("wb")
    master = subprocess.Popen(
        [TANDEM, "serve", "--no-worker", "--port", str(port)], env=env, stdout=log, stderr=log
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            time.sleep(0.3)
        else:
            pytest.fail("the server did not start: " + (tmp_path / "server.log").read_text())
        workers = _workers_of(master.pid)
        assert len(workers) == 2
        master.send_signal(signal.SIGKILL)
        master.wait(timeout=10)
        deadline = time.monotonic() + 20
        while any(Path(f"/proc/{pid}").exists() for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert [pid for pid in workers if Path(f"/proc/{pid}").exists()] == []
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0  # nobody listens any more
    finally:
        if master.poll() is None:
            master.kill()
        log.close()
