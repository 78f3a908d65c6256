"""Shared benchmark plumbing: a migrated database, timing rounds, statement counting."""

from __future__ import annotations

import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, Table, create_engine, event, text
from sqlmodel import SQLModel

from app.db import create_db_engine, parse_database_url

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


def count_statements(engine: Engine, fn: Callable[[], object]) -> int:
    count = 0

    def before(*_args: object) -> None:
        nonlocal count
        count += 1

    event.listen(engine, "before_cursor_execute", before)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return count
