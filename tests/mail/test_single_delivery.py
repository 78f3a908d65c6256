"""Each message is sent once, whatever happens to the workers: two workers racing (threads,
and `tandem worker` processes) over 100 messages; a worker killed (SIGKILL) while the mail
server hangs in DATA, then started again; `tandem worker --once` and SIGTERM. On SQLite and,
with TANDEM_DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.mail import delivery
from app.mail.models import OutboxMessage, OutboxStatus
from app.notify.worker import Worker
from tests.support.cli import tandem
from tests.support.clock import Clock, tandem_now
from tests.support.databases import ROOT
from tests.support.smtp import SmtpServer, free_port, make_message

pytestmark = pytest.mark.slow

MESSAGES = 100


def _queue(engine: Engine, count: int) -> list[str]:
    """`count` messages queued now; their Message-IDs."""
    stamp = datetime.now(UTC)
    with Session(engine, expire_on_commit=False) as db:
        rows = [
            OutboxMessage(
                kind="visit_reminder",
                to_address=f"mentor{n}@example.org",
                subject=f"Your visit {n}",
                body_text=f"See https://tandem.example.org/visits/{n}\n",
                next_attempt_at=stamp,
                created_at=stamp,
            )
            for n in range(count)
        ]
        db.add_all(rows)
        db.commit()
        return [delivery.message_id(row) for row in rows]


def _rows(engine: Engine) -> list[OutboxMessage]:
    with Session(engine) as db:
        return list(db.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all())


def _env(engine: Engine, smtp: SmtpServer) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")}
    environ.update(smtp.env)
    environ["TANDEM_DATABASE_URL"] = engine.url.render_as_string(hide_password=False)
    environ["TANDEM_WORKER_POLL_SECONDS"] = "0.2"
    return environ


def _each_once(smtp: SmtpServer, expected: list[str]) -> None:
    counts = Counter(smtp.mailbox.message_ids())
    assert sorted(counts) == sorted(expected)
    assert [mid for mid, n in counts.items() if n > 1] == []


def test_two_worker_threads_send_each_message_once(committed: Engine, smtp: SmtpServer) -> None:
    expected = _queue(committed, MESSAGES)
    workers = [Worker(engine=committed) for _ in range(2)]
    start = threading.Barrier(len(workers))
    errors: list[BaseException] = []
    outcomes: list[object] = []

    def run(worker: Worker) -> None:
        try:
            start.wait(10)
            outcomes.extend(worker.tick())
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert errors == []
    assert sum(getattr(outcome, "sent", 0) for outcome in outcomes) == MESSAGES
    _each_once(smtp, expected)
    rows = _rows(committed)
    assert {row.status for row in rows} == {OutboxStatus.sent}
    assert {row.attempts for row in rows} == {1}


def test_two_worker_processes_send_each_message_once(committed: Engine, smtp: SmtpServer) -> None:
    expected = _queue(committed, MESSAGES)
    env = _env(committed, smtp)

    processes = [
        subprocess.Popen(
            [*tandem_now(), "worker", "--once"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=120)[0] for process in processes]

    assert [process.returncode for process in processes] == [0, 0], outputs
    _each_once(smtp, expected)
    assert {row.status for row in _rows(committed)} == {OutboxStatus.sent}


def test_a_worker_killed_while_sending_sends_once_after_restart(
    committed: Engine, smtp: SmtpServer, clock: Clock
) -> None:
    (expected,) = _queue(committed, 1)
    env = _env(committed, smtp)
    smtp.mailbox.mode = "hang"
    worker = subprocess.Popen(
        [*tandem_now(), "worker"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert smtp.mailbox.in_data.wait(60), "the worker never reached DATA"
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(30)
    (row,) = _rows(committed)
    assert (row.status, row.attempts) == (OutboxStatus.sending, 0)
    assert row.claimed_by
    assert row.claimed_until
    # The server never accepted it (the client died in DATA); now it would.
    smtp.mailbox.release.set()
    smtp.mailbox.mode = "accept"

    # Started again before the lease has passed: it leaves the message alone.
    early = tandem("worker", "--once", clocked=True, **_env(committed, smtp))
    assert early.returncode == 0, early.stderr
    assert smtp.mailbox.messages == []

    clock.shift(delivery.lease() + timedelta(seconds=5))
    later = tandem("worker", "--once", clocked=True, **_env(committed, smtp))
    assert later.returncode == 0, later.stderr
    again = tandem("worker", "--once", clocked=True, **_env(committed, smtp))
    assert again.returncode == 0, again.stderr

    _each_once(smtp, [expected])
    (row,) = _rows(committed)
    assert (row.status, row.attempts, row.claimed_by) == (OutboxStatus.sent, 1, None)


def test_tandem_worker_once_writes_mail_without_a_server(committed: Engine, tmp_path: Path) -> None:
    with Session(committed) as db:
        message = make_message(db)
    folder = tmp_path / "outbox-files"

    result = tandem(
        "worker",
        "--once",
        clocked=True,
        TANDEM_DATABASE_URL=committed.url.render_as_string(hide_password=False),
        TANDEM_MAIL_DIR=str(folder),
    )

    assert result.returncode == 0, result.stderr
    (path,) = folder.glob("*.eml")
    assert path.name.endswith(f"-{message.id}.eml")
    assert "mail_written" in result.stdout + result.stderr
    assert "person1@example.org" not in result.stdout + result.stderr
    assert [row.status for row in _rows(committed)] == [OutboxStatus.sent]


def test_tandem_worker_stops_cleanly_on_sigterm(committed: Engine, smtp: SmtpServer) -> None:
    worker = subprocess.Popen(
        [*tandem_now(), "worker"],
        env=_env(committed, smtp),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert worker.stdout is not None
        for line in worker.stdout:  # wait until it has started
            if "worker_started" in line:
                break
        _queue(committed, 1)
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, output
    assert "worker_stopped" in output


def test_tandem_worker_reports_a_bad_database_url_in_one_line() -> None:
    bad = tandem("worker", "--once", database_url="mysql://nowhere/db")
    assert bad.returncode == 2
    assert bad.stderr.strip().startswith("error: unsupported database")


@pytest.mark.parametrize("worker", [True, False], ids=["serve", "serve --no-worker"])
def test_tandem_serve_sends_mail_unless_told_not_to(
    committed: Engine, tmp_path: Path, worker: bool
) -> None:
    with Session(committed) as db:
        make_message(db)
    folder = tmp_path / "served-mail"
    environ = {k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")}
    environ.update(
        TANDEM_DATABASE_URL=committed.url.render_as_string(hide_password=False),
        TANDEM_MAIL_DIR=str(folder),
        TANDEM_WORKER_POLL_SECONDS="0.2",
    )
    args = ["serve", "--host", "127.0.0.1", "--port", str(free_port())]
    server = subprocess.Popen(
        [*tandem_now(), *args, *([] if worker else ["--no-worker"])],
        env=environ,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert server.stdout is not None
        for line in server.stdout:  # the app has started (its lifespan ran)
            if "Application startup complete" in line or "startup" in line.lower():
                break
        deadline = time.monotonic() + 15
        while worker and time.monotonic() < deadline and not list(folder.glob("*.eml")):
            time.sleep(0.1)
        if not worker:
            time.sleep(1.5)  # several polls' worth: a worker would have sent it by now
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=30)
    statuses = [row.status for row in _rows(committed)]
    if worker:
        assert len(list(folder.glob("*.eml"))) == 1
        assert statuses == [OutboxStatus.sent]
    else:
        assert not folder.exists()
        assert statuses == [OutboxStatus.queued]
