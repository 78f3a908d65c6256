"""Test database set-up: migrated by Alembic once, each test inside a rolled-back transaction.

TANDEM_DATABASE_URL chooses the server: unset, a temporary SQLite file; a PostgreSQL URL,
and the suite creates fresh databases of its own on that server and drops them at the end,
so it never touches the data in the database named.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL
from sqlmodel import Session

from app.curriculum.service import load_path
from app.db import create_db_engine, get_db, get_engine, parse_database_url
from app.main import create_app

ROOT = Path(__file__).resolve().parent.parent
CURRICULUM = ROOT / "curriculum"


def _given_url() -> str | None:
    return os.environ.get("TANDEM_DATABASE_URL") or None


class DatabaseFactory:
    """Makes throwaway databases: SQLite files, or databases on the given PostgreSQL server."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.base = _given_url()
        self.created: list[URL] = []

    @property
    def backend(self) -> str:
        return parse_database_url(self.base).get_backend_name() if self.base else "sqlite"

    def new(self, label: str) -> str:
        if self.backend == "sqlite":
            return f"sqlite:///{self.tmp / f'{label}.db'}"
        assert self.base is not None
        server = parse_database_url(self.base)
        name = f"{server.database or 'tandem'}_{label}_{uuid.uuid4().hex[:8]}"
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = server.set(database=name)
        self.created.append(url)
        return url.render_as_string(hide_password=False)

    def drop_all(self) -> None:
        if not self.created:
            return
        assert self.base is not None
        admin = create_engine(parse_database_url(self.base), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for url in self.created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseFactory]:
    factory = DatabaseFactory(tmp_path_factory.mktemp("db"))
    yield factory
    factory.drop_all()


def alembic_config_for(url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["database_url"] = url
    config.attributes["skip_logging_config"] = True
    return config


@pytest.fixture(scope="session")
def database_url(databases: DatabaseFactory) -> str:
    """The suite's database, migrated to head and holding the repo's curriculum."""
    url = databases.new("app")
    command.upgrade(alembic_config_for(url), "head")
    engine = create_db_engine(url)
    with Session(engine) as session:
        load_path(session, CURRICULUM)
        session.commit()
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[object]:
    with engine.connect() as conn:
        transaction = conn.begin()
        yield conn
        transaction.rollback()


@pytest.fixture
def db(connection: object) -> Iterator[Session]:
    """A session whose commits are savepoints inside the test's transaction."""
    with Session(
        bind=connection,  # type: ignore[arg-type]
        join_transaction_mode="create_savepoint",
        expire_on_commit=False,
    ) as session:
        yield session


@pytest.fixture
def app(db: Session, engine: Engine) -> FastAPI:
    application = create_app()

    def _test_db() -> Iterator[Session]:
        # The app's own rule (commit on success, roll back on error), on the test's session.
        try:
            yield db
            db.commit()
        except BaseException:
            db.rollback()
            raise

    application.dependency_overrides[get_db] = _test_db
    application.dependency_overrides[get_engine] = lambda: engine
    return application


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def curriculum_id(db: Session) -> int:
    from app.curriculum.service import latest_curricula

    (curriculum,) = latest_curricula(db)
    assert curriculum.id is not None
    return curriculum.id


# pytest-alembic: its own empty database, upgraded and downgraded step by step.
@pytest.fixture
def alembic_config() -> Config:
    return alembic_config_for("sqlite://")


@pytest.fixture
def alembic_engine(databases: DatabaseFactory) -> Iterator[Engine]:
    engine = create_db_engine(databases.new(f"migrations_{uuid.uuid4().hex[:6]}"))
    yield engine
    engine.dispose()


class _Counter:
    def __init__(self) -> None:
        self.count = 0
        self.statements: list[str] = []


@pytest.fixture
def count_queries(engine: Engine):  # type: ignore[no-untyped-def]
    """`with count_queries() as c:` counts the SQL statements sent while inside."""
    from contextlib import contextmanager

    from sqlalchemy import event

    @contextmanager
    def counting():  # type: ignore[no-untyped-def]
        counter = _Counter()

        def before(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
                counter.count += 1
                counter.statements.append(statement)

        event.listen(engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", before)

    return counting


@pytest.fixture
def curriculum_copy(tmp_path: Path) -> Path:
    """An editable copy of the repo's curriculum folder (curriculum/tandem-skills)."""
    target = tmp_path / "curriculum" / "tandem-skills"
    shutil.copytree(CURRICULUM / "tandem-skills", target)
    return target
