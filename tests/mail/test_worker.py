"""The worker (app/notify/worker.py): each tick sends the due email and runs the other jobs,
each in a session of its own; a job that fails is logged and the worker carries on; it
stops when asked. `tandem serve` runs one in a thread unless `--no-worker`."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from structlog.testing import capture_logs
from typer.testing import CliRunner

import app.db
from app.cli import app as cli
from app.mail.delivery import Delivery
from app.mail.models import OutboxMessage, OutboxStatus
from app.main import create_app
from app.notify.jobs import default_jobs
from app.notify.reminders import run_due
from app.notify.worker import SERVE_WORKER_ENV, Worker
from tests.support.smtp import SmtpServer, make_message


def _wait_for(condition: Callable[[], bool], seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def _statuses(engine: Engine) -> list[OutboxStatus]:
    with Session(engine) as db:
        rows = db.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all()
        return [row.status for row in rows]


def test_the_default_jobs_queue_the_reminders_then_deliver_with_a_worker_id_of_their_own() -> None:
    first, second = default_jobs(), default_jobs()

    assert first[0] is run_due
    assert isinstance(first[1], Delivery)
    assert isinstance(second[1], Delivery)
    assert first[1].worker_id != second[1].worker_id


def test_a_tick_sends_the_due_mail(committed: Engine, smtp: SmtpServer) -> None:
    with Session(committed) as db:
        make_message(db)

    queued, outcome, anonymised = Worker(engine=committed).tick()

    assert queued == 0  # no reminder is due in an empty organisation
    assert getattr(outcome, "sent", None) == 1
    assert anonymised == 0  # retention's daily run: nobody is past the period
    assert len(smtp.mailbox.messages) == 1
    assert _statuses(committed) == [OutboxStatus.sent]


def test_a_job_that_fails_is_logged_and_the_others_still_run(committed: Engine) -> None:
    seen: list[tuple[Session, datetime]] = []

    def broken(db: Session, now: datetime) -> object:
        db.add(make_unsaved())
        db.flush()  # written, then undone with the failed job
        raise RuntimeError("reminders went wrong")

    def fine(db: Session, now: datetime) -> object:
        seen.append((db, now))
        return "done"

    worker = Worker(engine=committed, jobs=[broken, fine])

    with capture_logs() as logs:
        assert worker.tick() == [None, "done"]
        assert worker.tick() == [None, "done"]
    failed = [entry for entry in logs if entry["event"] == "worker_job_failed"]
    assert [entry["job"] for entry in failed] == ["broken", "broken"]
    assert all(entry["exc_info"] for entry in failed)
    assert seen[0][0] is not seen[1][0]  # a session of its own each time
    assert _statuses(committed) == []  # the failed job's work was rolled back


def make_unsaved() -> OutboxMessage:
    stamp = datetime.now().astimezone()
    return OutboxMessage(
        kind="invitation",
        to_address="x@example.org",
        subject="s",
        body_text="b",
        next_attempt_at=stamp,
        created_at=stamp,
    )


def test_run_once_ticks_once() -> None:
    calls: list[datetime] = []
    worker = Worker(jobs=[lambda db, now: calls.append(now)], engine=lambda: _unused())

    worker.run(once=True)

    assert (len(calls), worker.ticks) == (1, 1)


def _unused() -> Engine:
    from sqlalchemy import create_engine

    return create_engine("sqlite://")


def test_the_worker_ticks_until_stopped(committed: Engine) -> None:
    worker = Worker(engine=committed, jobs=[lambda db, now: None], poll_seconds=0.01)
    thread = worker.start_thread()
    try:
        assert _wait_for(lambda: worker.ticks >= 3)
    finally:
        worker.stop()
        thread.join(5)
    assert not thread.is_alive()


def _worker_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "tandem-worker" and t.is_alive()]


def test_the_server_runs_a_worker_thread_when_serve_asks(
    committed: Engine, mail_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi.testclient import TestClient

    with Session(committed) as db:
        make_message(db)
    monkeypatch.setenv(SERVE_WORKER_ENV, "1")
    monkeypatch.setattr(app.db, "_engine", committed)

    with TestClient(create_app()):
        assert len(_worker_threads()) == 1
        assert _wait_for(lambda: _statuses(committed) == [OutboxStatus.sent])
        assert len(list(mail_dir.glob("*.eml"))) == 1

    assert _wait_for(lambda: not _worker_threads(), 5)


def test_without_serve_asking_the_server_runs_no_worker(
    committed: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi.testclient import TestClient

    monkeypatch.setenv(SERVE_WORKER_ENV, "0")
    monkeypatch.setattr(app.db, "_engine", committed)
    with TestClient(create_app()):
        assert _worker_threads() == []


@pytest.mark.parametrize(("args", "expected"), [([], "1"), (["--no-worker"], "0")])
def test_serve_asks_for_a_worker_unless_told_not_to(
    args: list[str], expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    monkeypatch.setenv(SERVE_WORKER_ENV, "unset")  # restored after the test
    started: list[dict[str, object]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: started.append(kw))

    result = CliRunner().invoke(cli, ["serve", *args])

    assert result.exit_code == 0, result.output
    assert len(started) == 1
    import os

    assert os.environ[SERVE_WORKER_ENV] == expected
