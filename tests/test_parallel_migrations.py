"""Issue 20: replicas starting together. Five `tandem db upgrade` processes at once on a new
database (PostgreSQL in CI's second run, SQLite in the first): every one succeeds, the schema
is at head once, and Alembic finds nothing left to migrate. Before the lock, three replicas
failed their migrations two times in three (UniqueViolation)."""

from __future__ import annotations

import os
import subprocess
import time

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import text

from app.db import create_db_engine
from tests.support.cli import TANDEM
from tests.support.databases import ROOT, DatabaseFactory, alembic_config_for

PROCESSES = 5


@pytest.mark.slow
@pytest.mark.xdist_group("migration")
def test_five_processes_migrate_one_database_at_once(databases: DatabaseFactory) -> None:
    url = databases.new("parallel_upgrade")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")}
    env["TANDEM_DATABASE_URL"] = url
    started = time.monotonic()
    running = [
        subprocess.Popen(
            [TANDEM, "db", "upgrade"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    outcomes = [(p.wait(timeout=300), *p.communicate()) for p in running]
    took = time.monotonic() - started
    failed = [(code, err[-2000:]) for code, _out, err in outcomes if code != 0]
    assert failed == [], failed
    assert all("is at head" in out for _code, out, _err in outcomes)

    config = alembic_config_for(url)
    head = ScriptDirectory.from_config(config).get_current_head()
    engine = create_db_engine(url)
    try:
        with engine.connect() as conn:
            versions = conn.execute(text("SELECT version_num FROM alembic_version")).all()
    finally:
        engine.dispose()
    assert versions == [(head,)]  # one row: migrated once, not once per process
    command.check(config)  # the models and the schema agree: nothing left half-done
    print(f"{PROCESSES} processes migrated a new database in {took:.1f} s")  # noqa: T201
