"""Shared benchmark plumbing: a migrated database, timing rounds, statement counting, and
one request through the whole app timed against its own SQL replayed bare."""

from __future__ import annotations

import datetime as dt
import os
import resource
import statistics
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient
from sqlalchemy import Engine, Table, create_engine, event, text
from sqlmodel import Session, SQLModel

from app.curriculum.service import load_path
from app.db import create_db_engine, get_db, parse_database_url
from app.demo.scale import ScaleResult, seed_scale
from app.main import create_app

ROOT = Path(__file__).resolve().parent.parent


def table(model: type[SQLModel]) -> Table:
    """The model's table, for the Core statements of a baseline or a bulk insert."""
    found: Table = model.__table__  # type: ignore[attr-defined]  # SQLModel's stubs lack it
    return found


@dataclass
class Result:
    name: str
    n: int
    goal: float
    real_seconds: float
    baseline_seconds: float
    queries: int
    database: str
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.real_seconds / self.baseline_seconds

    def as_json(self) -> dict[str, object]:
        return {
            "ratio": round(self.ratio, 2),
            "goal": self.goal,
            "queries": self.queries,
            "n": self.n,
            "database": self.database,
            "real_median_s": round(self.real_seconds, 6),
            "baseline_median_s": round(self.baseline_seconds, 6),
            **self.extra,
        }


@contextmanager
def _scratch_url(server: str | None, tmp: Path) -> Iterator[str]:
    """A throwaway SQLite file, or a new database on the PostgreSQL server (dropped after)."""
    if server is None:
        yield f"sqlite:///{tmp / 'bench.db'}"
        return
    base = parse_database_url(server)
    name = f"{base.database or 'tandem'}_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def migrated_database(server: str | None = None) -> Iterator[Engine]:
    """A fresh database at head: a temporary SQLite file, or (given a PostgreSQL URL) a
    new database on that server, dropped afterwards."""
    with tempfile.TemporaryDirectory() as tmp, _scratch_url(server, Path(tmp)) as url:
        config = Config(str(ROOT / "alembic.ini"))
        config.set_main_option("script_location", str(ROOT / "migrations"))
        config.attributes["database_url"] = url
        config.attributes["skip_logging_config"] = True
        command.upgrade(config, "head")
        engine = create_db_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()


def backend(engine: Engine) -> str:
    return parse_database_url(engine.url.render_as_string(hide_password=False)).get_backend_name()


def median_time(fn: Callable[[], object], *, rounds: int, repeat: int) -> float:
    """Median over `rounds` of the time to call fn `repeat` times."""
    fn()  # warm caches (compiled SQL, templates) before timing
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(repeat):
            fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


Statement = tuple[str, Any]  # the SQL the driver was given, and its parameters


def capture_statements(engine: Engine, fn: Callable[[], object]) -> list[Statement]:
    """Every statement fn sent to the driver, with its parameters, in order."""
    captured: list[Statement] = []

    def before(_conn: object, _cursor: object, statement: str, parameters: Any, *_: object) -> None:
        captured.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", before)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return captured


def count_statements(engine: Engine, fn: Callable[[], object]) -> int:
    return len(capture_statements(engine, fn))


def replay(engine: Engine, statements: list[Statement]) -> None:
    """The bare baseline: the very statements, with their parameters, on the driver's own
    connection and cursor, every row fetched; rolled back."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for statement, parameters in statements:
            cursor.execute(statement, parameters)
            if cursor.description is not None:
                cursor.fetchall()
        raw.rollback()
    finally:
        raw.close()


def api_client(engine: Engine) -> TestClient:
    """The whole app (middleware, auth, routers), its sessions on this engine."""
    app = create_app()

    def _db() -> Any:
        with Session(engine, expire_on_commit=False) as db:
            try:
                yield db
                db.commit()
            except BaseException:
                db.rollback()
                raise

    app.dependency_overrides[get_db] = _db
    return TestClient(app)


def bearer(client: TestClient, email: str, password: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", data={"username": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


SCALE_AS_OF = dt.date(2026, 11, 26)
SCALE_PASSWORD = "bench scale password"


@dataclass(frozen=True)
class Scaled:
    """Two organisations of `tandem seed-scale` data: `big` of `cohorts` cohorts, `small` of 10."""

    cohorts: int
    big: ScaleResult
    small: ScaleResult


def seed_organisations(engine: Engine) -> Scaled:
    """The curriculum, then N cohorts (TANDEM_BENCH_COHORTS, 1,000 by default: about 10,000
    children) in one organisation and 10 in a second, as of SCALE_AS_OF."""
    cohorts = int(os.environ.get("TANDEM_BENCH_COHORTS", "1000"))
    with Session(engine) as db:
        load_path(db, ROOT / "curriculum")
        db.commit()
    big = seed_scale(engine, cohorts=cohorts, seed=1, as_of=SCALE_AS_OF, password=SCALE_PASSWORD)
    small = seed_scale(engine, cohorts=10, seed=2, as_of=SCALE_AS_OF, password=SCALE_PASSWORD)
    return Scaled(cohorts, big, small)


def request_against_sql(
    engine: Engine,
    scaled: Scaled,
    *,
    name: str,
    goal: float,
    path: str,
    rounds: int,
    extra: dict[str, object],
) -> Result:
    """GET `path` (as of SCALE_AS_OF) through the whole app as the big organisation's lead,
    against the statements that request ran replayed bare (`replay`); rounds alternate the
    two, so a change in the machine's load falls on both, and the medians are compared.
    Also: the statement count as the small organisation's lead (they must be equal), the
    Python peak memory of one request and the process's largest resident size."""
    client = api_client(engine)
    url = f"{path}?as_of={SCALE_AS_OF.isoformat()}"
    auth = bearer(client, scaled.big.lead_emails[0], SCALE_PASSWORD)
    small_auth = bearer(client, scaled.small.lead_emails[0], SCALE_PASSWORD)

    def real(headers: dict[str, str] = auth) -> None:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.text

    statements = capture_statements(engine, real)
    small_statements = capture_statements(engine, lambda: real(small_auth))
    real()
    replay(engine, statements)  # both warm (compiled SQL, caches) before timing
    base_times, real_times = [], []
    for _ in range(max(3, rounds // 3)):
        start = time.perf_counter()
        replay(engine, statements)
        base_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        real()
        real_times.append(time.perf_counter() - start)
    tracemalloc.start()
    real()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return Result(
        name,
        scaled.cohorts,
        goal,
        statistics.median(real_times),
        statistics.median(base_times),
        len(statements),
        backend(engine),
        extra={
            "statements_at_10_cohorts": len(small_statements),
            "real_rounds_s": [round(t, 3) for t in real_times],
            "baseline_rounds_s": [round(t, 3) for t in base_times],
            "python_peak_mb_during_request": round(peak / 2**20, 1),
            "process_max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "seed_seconds": round(scaled.big.seconds, 1),
            **extra,
        },
    )
