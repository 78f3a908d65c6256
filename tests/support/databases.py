"""Throwaway databases for the suite: SQLite files, or databases of their own on the
PostgreSQL server TANDEM_DATABASE_URL names; an Alembic configuration for any of them."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL
from sqlmodel import Session

from app.curriculum.service import load_path
from app.db import create_db_engine, parse_database_url
from app.outcomes.measures.service import load_path as load_measures

ROOT = Path(__file__).resolve().parents[2]
CURRICULUM = ROOT / "curriculum"
OUTCOMES = ROOT / "outcomes"


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
            return f"sqlite:///{self.tmp / f'{label}_{uuid.uuid4().hex[:8]}.db'}"
        assert self.base is not None
        server = parse_database_url(self.base)
        return self._create(f"{server.database or 'tandem'}_{label}_{uuid.uuid4().hex[:8]}")

    def migrated(self, label: str, *, curriculum: bool = True) -> str:
        """A new database upgraded to Alembic's head, holding the repo's curriculum unless
        told not to."""
        url = self.new(label)
        command.upgrade(alembic_config_for(url), "head")
        if curriculum:
            engine = create_db_engine(url)
            with Session(engine) as db:
                load_path(db, CURRICULUM)
                load_measures(db, OUTCOMES)
                db.commit()
            engine.dispose()
        return url

    def copy_of(self, template: str) -> str:
        """A new database holding what `template` (one of this factory's) holds: a file
        copy on SQLite; CREATE DATABASE ... TEMPLATE on PostgreSQL, which needs nobody
        connected to the template."""
        source = parse_database_url(template)
        if self.backend == "sqlite":
            copy = Path(str(source.database)).with_name(f"copy_{uuid.uuid4().hex[:8]}.db")
            shutil.copyfile(str(source.database), copy)
            return f"sqlite:///{copy}"
        name = f"{source.database}_{uuid.uuid4().hex[:8]}"
        return self._create(name, template=str(source.database))

    def _create(self, name: str, *, template: str | None = None) -> str:
        assert self.base is not None
        server = parse_database_url(self.base)
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        like = f' TEMPLATE "{template}"' if template else ""
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"{like}'))
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


def alembic_config_for(url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["database_url"] = url
    config.attributes["skip_logging_config"] = True
    return config
