"""A real `tandem serve` in a subprocess, for tests that need real concurrency: bursts of
requests from threads, races between processes, and a server killed with SIGKILL.

    from tests.support.served import Served, serve

    @pytest.fixture
    def server(databases, tmp_path) -> Iterator[Served]:
        with serve(databases, tmp_path) as served:
            yield served

The server's database follows the suite's (a fresh SQLite file, or a fresh database on the
PostgreSQL server TANDEM_DATABASE_URL names), migrated, with the curriculum and the demo
organisation loaded (password DEMO_PASSWORD, logins in DEMO_LOGINS). It runs at the test
process's clock (tests/support/clocked.py), in one worker process unless `workers` says
otherwise (more workers run on the real clock: use them only where dates do not matter).
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx2 as httpx

from tests.support.clock import tandem_now

if TYPE_CHECKING:
    from tests.support.databases import DatabaseFactory

ROOT = Path(__file__).resolve().parents[2]
DEMO_PASSWORD = "served demo password 42"
DEMO_LOGINS = {
    "admin": "admin@demo.tandem.example.org",
    "lead": "lead@demo.tandem.example.org",
    "facilitator": "facilitator1@demo.tandem.example.org",
    "mentor": "mentor1@demo.tandem.example.org",
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_tandem(args: list[str], env: Mapping[str, str], timeout: float = 180) -> str:
    """`tandem ARGS` at the test process's clock; its output, or AssertionError with it."""
    result = subprocess.run(
        [*tandem_now(), *args],
        cwd=ROOT,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, (
        f"`tandem {' '.join(args)}` exited with {result.returncode}\n"
        f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"
    )
    return result.stdout


@dataclass
class Served:
    """A running server: its URL, database and process, and ways to stop and start it."""

    base_url: str
    database_url: str
    env: dict[str, str]
    log: Path
    port: int
    workers: int = 1
    # The email worker runs inside `tandem serve` by default; the served tests measure the
    # HTTP side alone unless they ask for it (tests/mail start their own server with it).
    worker: bool = False
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self, timeout: float = 30) -> None:
        assert self.proc is None or self.proc.poll() is not None, "already running"
        args = ["serve", "--host", "127.0.0.1", "--port", str(self.port)]
        args += ["--workers", str(self.workers)]
        if not self.worker:
            args.append("--no-worker")
        # Output goes to a file, not a pipe: a pipe nobody reads fills up and stalls it.
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [*tandem_now(), *args],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: kill() reaches the workers
            )
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"`tandem serve` exited with {self.proc.returncode}:\n{self.output()}"
                )
            try:
                with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"`tandem serve` did not start:\n{self.output()}")
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL the server and its workers (as a power cut would), and wait for them."""
        if self.proc is None:
            return
        with suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def token(self, role: str) -> str:
        """A bearer token for the demo user of `role` (admin, lead, facilitator, mentor)."""
        response = httpx.post(
            f"{self.base_url}/api/v1/auth/token",
            data={"username": DEMO_LOGINS[role], "password": DEMO_PASSWORD},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    def client(self, role: str | None = None, **kwargs: Any) -> httpx.Client:
        """An HTTP client on the server, signed in as the demo user of `role` if given."""
        headers = {"Authorization": f"Bearer {self.token(role)}"} if role else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=60, **kwargs)


# Built once per process and database kind, and copied for each server: migrating and
# loading the demo takes three `tandem` processes (several seconds) every time otherwise.
# Keyed by the factory too: a template lives as long as the factory that made it.
_TEMPLATES: dict[tuple[int, str, str, bool], str] = {}


def _template(databases: DatabaseFactory, env: Mapping[str, str], *, demo: bool) -> str:
    key = (id(databases), databases.backend, dt.date.today().isoformat(), demo)  # demo: dated
    if key not in _TEMPLATES:
        url = databases.new("served_template")
        made = {**env, "TANDEM_DATABASE_URL": url}
        run_tandem(["db", "upgrade"], made)
        run_tandem(["curriculum", "load"], made)
        run_tandem(["outcomes", "load"], made)
        if demo:
            run_tandem(["demo"], made)
        _TEMPLATES[key] = url
    return _TEMPLATES[key]


@contextmanager
def serve(
    databases: DatabaseFactory,
    tmp: Path,
    *,
    workers: int = 1,
    env: Mapping[str, str] | None = None,
    demo: bool = True,
) -> Iterator[Served]:
    """Start a server on a fresh, migrated database (see the module's docstring)."""
    base_env = {
        **os.environ,
        "TANDEM_WORKERS": str(workers),
        "TANDEM_DEMO_PASSWORD": DEMO_PASSWORD,
        "PYTHONUNBUFFERED": "1",
        # The server's worker sends what the tests cause (invitations, reminders) to files
        # of this test's own, never the checkout's var/mail/.
        "TANDEM_MAIL_DIR": str(tmp / "mail"),
        **(env or {}),
    }
    url = databases.copy_of(_template(databases, base_env, demo=demo))
    full_env = {**base_env, "TANDEM_DATABASE_URL": url}
    port = free_port()
    served = Served(
        base_url=f"http://127.0.0.1:{port}",
        database_url=url,
        env=full_env,
        log=tmp / f"server-{port}.log",
        port=port,
        workers=workers,
    )
    served.start()
    try:
        yield served
    finally:
        served.stop()
