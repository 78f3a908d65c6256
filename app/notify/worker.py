"""The background worker: every `worker_poll_seconds`, send the due email, then run each
other job (app/notify/jobs.py). `tandem worker` runs one in its own process; `tandem serve`
runs one in a thread of each server process unless told `--no-worker`. Several at once are
safe: a message is claimed atomically before it is sent (app/mail/delivery.py)."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from types import FrameType
from typing import Any

import structlog
from sqlalchemy import Engine
from sqlmodel import Session

from app.config import get_settings
from app.db import WRITE_OPTION, get_engine
from app.notify.jobs import Job, default_jobs

log = structlog.get_logger(__name__)

# Set by `tandem serve` (unless --no-worker) for the server processes it starts: the app's
# lifespan then runs a worker thread beside the requests.
SERVE_WORKER_ENV = "TANDEM_SERVE_WORKER"


def _name(job: Job) -> str:
    return getattr(job, "__name__", type(job).__name__)


class Worker:
    """Runs `jobs` every `poll_seconds` until stopped (`stop()`, or SIGTERM/SIGINT when
    `run` is called from the main thread). Each job of each tick has a session of its own;
    an exception in one is logged and the worker carries on."""

    def __init__(
        self,
        *,
        jobs: Sequence[Job] | None = None,
        engine: Engine | Callable[[], Engine] = get_engine,
        poll_seconds: float | None = None,
    ) -> None:
        self.jobs: list[Job] = list(jobs) if jobs is not None else default_jobs()
        self._engine = engine
        self.poll_seconds = poll_seconds or get_settings().worker_poll_seconds
        self.stopping = threading.Event()
        self.ticks = 0

    @property
    def engine(self) -> Engine:
        return self._engine if isinstance(self._engine, Engine) else self._engine()

    def tick(self) -> list[object]:
        """Run every job once, now; what each returned (None for one that failed)."""
        results: list[object] = []
        for job in self.jobs:
            now = datetime.now(UTC)
            with Session(
                self.engine, expire_on_commit=False, execution_options={WRITE_OPTION: True}
            ) as db:
                try:
                    result = job(db, now)
                    db.commit()
                except Exception:
                    db.rollback()
                    log.exception("worker_job_failed", job=_name(job))
                    result = None
            results.append(result)
        self.ticks += 1
        return results

    def run(self, *, once: bool = False) -> None:
        """Tick until stopped (once: a single tick). From the main thread, SIGTERM and
        SIGINT stop it after the job in hand."""
        restore = (
            self._handle_signals() if threading.current_thread() is threading.main_thread() else []
        )
        log.info("worker_started", pid=os.getpid(), jobs=[_name(job) for job in self.jobs])
        try:
            while not self.stopping.is_set():
                self.tick()
                if once:
                    break
                self.stopping.wait(self.poll_seconds)
        finally:
            for signum, previous in restore:
                signal.signal(signum, previous)
            log.info("worker_stopped", pid=os.getpid(), ticks=self.ticks)

    def stop(self) -> None:
        self.stopping.set()

    def start_thread(self) -> threading.Thread:
        """Run in a daemon thread (the server's): `stop()` then join it to end it."""
        thread = threading.Thread(target=self.run, name="tandem-worker", daemon=True)
        thread.start()
        return thread

    def _handle_signals(self) -> Iterable[tuple[int, Any]]:
        def on_signal(signum: int, _frame: FrameType | None) -> None:
            log.info("worker_stopping", signal=signal.Signals(signum).name)
            self.stop()

        previous: list[tuple[int, Any]] = []
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous.append((signum, signal.signal(signum, on_signal)))
        return previous
