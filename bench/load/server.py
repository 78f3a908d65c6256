"""A served Tandem for the load scenario: a fresh database (a SQLite file, or a new database
on the PostgreSQL server TANDEM_DATABASE_URL names, dropped afterwards), migrated, with the
curriculum and the demo organisation loaded, and `tandem serve` with N workers on it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TANDEM = [sys.executable, "-c", "from app.cli import main; main()"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def backend_of(url: str | None) -> str:
    return "postgresql" if url and url.startswith("postgres") else "sqlite"


@contextmanager
def fresh_database(server: str | None, tmp: Path) -> Iterator[str]:
    """A new SQLite file under `tmp`, or a new database on the PostgreSQL server `server`."""
    if backend_of(server) == "sqlite":
        yield f"sqlite:///{tmp / 'load.db'}"
        return
    from sqlalchemy import create_engine, text

    from app.db import parse_database_url

    assert server is not None
    base = parse_database_url(server)
    name = f"{base.database or 'tandem'}_load_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run_tandem(args: list[str], env: dict[str, str], timeout: float = 300) -> str:
    result = subprocess.run(
        [*TANDEM, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"`tandem {' '.join(args)}` exited with {result.returncode}:\n"
            f"{result.stdout}\n{result.stderr}"
        )
    return result.stdout


@dataclass
class Server:
    base_url: str
    log: Path
    proc: subprocess.Popen[bytes]

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        with suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


@contextmanager
def served(database_url: str, tmp: Path, *, workers: int, password: str) -> Iterator[Server]:
    """Migrate, load the curriculum and the demo, then serve; stopped on leaving."""
    env = {
        **os.environ,
        "TANDEM_DATABASE_URL": database_url,
        "TANDEM_DEMO_PASSWORD": password,
        "TANDEM_WORKERS": str(workers),
        "PYTHONUNBUFFERED": "1",
    }
    run_tandem(["db", "upgrade"], env)
    run_tandem(["curriculum", "load"], env)
    run_tandem(["demo"], env)
    port = free_port()
    log = tmp / "server.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [
                *TANDEM,
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(workers),
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() reaches the workers
        )
    server = Server(base_url=f"http://127.0.0.1:{port}", log=log, proc=proc)
    try:
        wait_until_up(server, timeout=60)
        yield server
    finally:
        server.stop()


def wait_until_up(server: Server, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if server.proc.poll() is not None:
            raise RuntimeError(f"`tandem serve` exited:\n{server.output()}")
        try:
            with urllib.request.urlopen(f"{server.base_url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"`tandem serve` did not start:\n{server.output()}")
        time.sleep(0.2)
