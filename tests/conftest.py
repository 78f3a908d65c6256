"""Test database set-up: migrated by Alembic once, each test inside a rolled-back transaction.

TANDEM_DATABASE_URL chooses the server: unset, a temporary SQLite file; a PostgreSQL URL,
and the suite creates fresh databases of its own on that server and drops them at the end,
so it never touches the data in the database named. Each pytest-xdist worker makes its own.

No test reads the real clock: the whole run travels to a fixed instant (tests/support/clock.py;
`--clock` or TANDEM_TEST_CLOCK chooses another), and tests marked `awkward_days` run again
at each awkward instant.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from alembic.config import Config
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine
from sqlmodel import Session

from app.config import get_settings
from app.db import create_db_engine, finish_request, get_db, get_engine
from app.logs import configure_logging
from app.main import create_app
from tests.support.clock import (
    AWKWARD_DAYS,
    DEFAULT_INSTANT,
    ENV_VAR,
    Clock,
    instant_id,
    parse_instant,
    travel,
)
from tests.support.databases import CURRICULUM, DatabaseFactory, alembic_config_for
from tests.support.queries import CountQueries, query_counter

# The fixtures every directory shares: people, children, cohorts, mentors, a programme.
pytest_plugins = ["tests.support.fixtures"]

# Cheap Argon2 parameters for the suite (set before the settings are first read).
os.environ["TANDEM_PASSWORD_HASH_FAST"] = "true"


# The clock ----------------------------------------------------------------------------------

_DEFAULT_INSTANT = pytest.StashKey[dt.datetime]()
_SUITE_TRAVEL = pytest.StashKey[time_machine.travel]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--clock",
        metavar="YYYY-MM-DDTHH:MM",
        default=os.environ.get(ENV_VAR) or None,
        help=(
            "run the suite at this instant (Europe/London time) instead of "
            f"{DEFAULT_INSTANT:%Y-%m-%dT%H:%M}; also ${ENV_VAR}"
        ),
    )
    parser.addoption(
        "--no-awkward-days",
        action="store_true",
        default=os.environ.get("TANDEM_TEST_AWKWARD_DAYS") == "0",
        help="run `awkward_days` tests at the suite's instant only (CI's PostgreSQL pass: "
        "the dates are the same Python on both databases); also $TANDEM_TEST_AWKWARD_DAYS=0",
    )


def pytest_configure(config: pytest.Config) -> None:
    given = config.getoption("--clock")
    try:
        instant = parse_instant(given) if given else DEFAULT_INSTANT
    except ValueError as exc:
        raise pytest.UsageError(f"--clock: {exc}") from None
    config.stash[_DEFAULT_INSTANT] = instant
    # From collection to the end of the session (session fixtures, module constants included);
    # each test then travels again, to its own instant.
    suite_travel = travel(instant)
    suite_travel.start()
    config.stash[_SUITE_TRAVEL] = suite_travel


def pytest_unconfigure(config: pytest.Config) -> None:
    suite_travel = config.stash.get(_SUITE_TRAVEL, None)
    if suite_travel is not None:
        suite_travel.stop()


def pytest_report_header(config: pytest.Config) -> str:
    instant = config.stash[_DEFAULT_INSTANT]
    return f"clock: {instant:%Y-%m-%dT%H:%M %Z} (--clock or ${ENV_VAR} to change)"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test marked `awkward_days` runs at the default instant and at each awkward one."""
    if metafunc.definition.get_closest_marker("awkward_days") is None:
        return
    default = metafunc.config.stash[_DEFAULT_INSTANT]
    instants = {instant_id(default): default}
    for name, instant in AWKWARD_DAYS.items():
        if not metafunc.config.getoption("--no-awkward-days"):
            instants.setdefault(name, instant)
    metafunc.parametrize("clock_instant", list(instants.values()), ids=list(instants))


@pytest.fixture
def clock_instant(request: pytest.FixtureRequest) -> dt.datetime:
    """Where the test's clock starts: the suite's instant, the one of a `clock` marker (a
    test written around fixed dates), or each awkward one (`awkward_days`, parametrised)."""
    marker = request.node.get_closest_marker("clock")
    if marker is not None:
        return parse_instant(marker.args[0])
    return request.config.stash[_DEFAULT_INSTANT]


@pytest.fixture(autouse=True)
def clock(clock_instant: dt.datetime) -> Iterator[Clock]:
    """Every test starts at its instant, with time passing from there; `clock.now`,
    `clock.today` (Europe/London), `clock.move_to(...)` and `clock.shift(...)`."""
    with travel(clock_instant) as traveller:
        yield Clock(traveller)


# Parallel runs (pytest-xdist) --------------------------------------------------------------

_SLOW_FIRST = (
    # The longest single tests and groups start first, so that no worker is left with one
    # of them at the end (--dist loadgroup hands out work in collection order).
    "tests/test_openapi.py",
    "tests/e2e/",
    "tests/fidelity/test_independent_check.py",
    "tests/demo/test_mentoring.py",
    "tests/demo/test_dashboard.py",
    "tests/fidelity/test_scale_queries.py",
    "tests/test_cli.py",
)


# Modules marked `slow` (`make unit` leaves them out; `make test` and CI run them): they
# start `tandem` processes or servers, race real threads against the clock, or build a demo,
# scale data or hundreds of generated examples. Seconds each, where most tests take tens of
# milliseconds.
_SLOW = (
    "tests/test_cli.py",
    "tests/auth/test_cli_users.py",
    "tests/auth/test_lockout_races.py",
    "tests/demo/",
    "tests/reliability/",
    "tests/fidelity/test_record_sequences.py",
    "tests/fidelity/test_independent_check.py",
    "tests/fidelity/test_scale_queries.py",
    "tests/mentoring/test_visit_races.py",
    "tests/cohorts/test_replan_properties.py",
)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::")[0]
        return next((n for n, p in enumerate(_SLOW_FIRST) if path.startswith(p)), len(_SLOW_FIRST))

    items.sort(key=rank)
    for item in items:
        if item.nodeid.split("::")[0].startswith(_SLOW):
            item.add_marker(pytest.mark.slow)
        if item.get_closest_marker("e2e") is not None:
            continue  # one group of their own (tests/e2e/conftest.py)
        # A module whose module-scoped fixtures build a lot (a demo, seed-scale data) runs on
        # one worker, so that they are built once.
        info = getattr(item, "_fixtureinfo", None)
        defs = info.name2fixturedefs.values() if info is not None else ()
        if any(d and d[-1].scope in ("module", "package", "class") for d in defs):
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))


def _serial_lock_path(config: pytest.Config) -> Path | None:
    """A lock file all the workers of this run share (None when the run is not parallel)."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return None
    # pytest keeps its temporary directories' factory private to Config.
    basetemp: Path = config._tmp_path_factory.getbasetemp()  # type: ignore[attr-defined]
    return basetemp.parent / "serial.lock"  # beside every worker's own basetemp


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Tests marked `serial` (timing-sensitive) run while no other worker runs a test: their
    set-up (module fixtures included), call and teardown.

    A readers-writer lock across the xdist workers: every test holds the lock shared, a
    `serial` test exclusively. A turnstile in front keeps a waiting `serial` test from being
    starved by the other workers' tests, which follow one another without a gap."""
    path = _serial_lock_path(item.config)
    if path is None:
        return (yield)
    import fcntl

    exclusive = item.get_closest_marker("serial") is not None
    with open(path, "a+b") as lock, open(path.with_suffix(".turnstile"), "a+b") as turnstile:
        fcntl.flock(turnstile, fcntl.LOCK_EX)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        finally:
            if not exclusive:
                fcntl.flock(turnstile, fcntl.LOCK_UN)
        try:
            return (yield)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
            if exclusive:
                fcntl.flock(turnstile, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseFactory]:
    factory = DatabaseFactory(tmp_path_factory.mktemp("db"))
    yield factory
    factory.drop_all()


@pytest.fixture(scope="session")
def database_url(databases: DatabaseFactory) -> str:
    """The suite's database, migrated to head and holding the repo's curriculum."""
    return databases.migrated("app")


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn:
        transaction = conn.begin()
        yield conn
        transaction.rollback()


@pytest.fixture
def db(connection: Connection) -> Iterator[Session]:
    """A session whose commits are savepoints inside the test's transaction."""
    with Session(
        bind=connection,
        join_transaction_mode="create_savepoint",
        expire_on_commit=False,
    ) as session:
        yield session


_APPS: dict[str, FastAPI] = {}


@pytest.fixture
def app(db: Session, engine: Engine) -> FastAPI:
    """The application, on the test's session. Building one takes ~60 ms (FastAPI analyses
    every route), more than most tests, so a worker builds one per distinct settings and
    hands it to each test afresh: new dependency overrides, logging configured again, and
    the middleware stack (which reads settings) rebuilt at the first request."""
    settings = get_settings()
    key = settings.model_dump_json()
    application = _APPS.get(key)
    if application is None:
        application = _APPS[key] = create_app()
    else:
        configure_logging(settings)
        application.dependency_overrides.clear()
        application.middleware_stack = None

    def _test_db() -> Iterator[Session]:
        # The app's own rule (commit on success, roll back on error), on the test's session.
        try:
            yield db
            finish_request(db)
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


@pytest.fixture
def count_queries(engine: Engine) -> CountQueries:
    """`with count_queries() as c:` counts the SQL statements sent while inside."""
    return query_counter(engine)


@pytest.fixture
def curriculum_copy(tmp_path: Path) -> Path:
    """An editable copy of the repo's curriculum folder (curriculum/tandem-skills)."""
    target = tmp_path / "curriculum" / "tandem-skills"
    shutil.copytree(CURRICULUM / "tandem-skills", target)
    return target


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
