"""The `tandem` command, run as a user runs it: a real process, its output and exit code."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from app.curriculum.models import Curriculum
from tests.support.cli import tandem
from tests.support.databases import CURRICULUM
from tests.support.files import edit


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["db"],
        ["db", "upgrade"],
        ["curriculum"],
        ["curriculum", "validate"],
        ["curriculum", "load"],
        ["serve"],
    ],
)
def test_help_for_every_command(command: list[str]) -> None:
    result = tandem(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("mysql://root@localhost/x", "unsupported database 'mysql'"),
        ("not a url", "is not a database URL"),
        ("postgresql+asyncpg://u@h/db", "unsupported PostgreSQL driver"),
        ("postgresql://postgres@127.0.0.1:1/nowhere", "cannot use the database"),
    ],
)
def test_bad_database_url_is_one_line_and_exit_2(url: str, says: str) -> None:
    result = tandem("db", "upgrade", database_url=url)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert says in lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", [["serve"], ["curriculum", "load"]])
def test_other_commands_refuse_a_bad_url(command: list[str]) -> None:
    result = tandem(*command, database_url="mysql://x")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: unsupported database 'mysql' in TANDEM_DATABASE_URL: use sqlite:/// or postgresql://"
    )


def test_bad_setting_is_one_line_and_exit_2() -> None:
    result = tandem("db", "upgrade", TANDEM_PORT="eighty")
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error: setting TANDEM_PORT:")
    assert "Traceback" not in result.stderr


def test_validate_good_and_bad(tmp_path: Path, curriculum_copy: Path) -> None:
    good = tandem("curriculum", "validate", str(CURRICULUM))
    assert good.returncode == 0, good.stderr
    assert "tandem-skills: 30 weeks, valid" in good.stdout

    edit(curriculum_copy / "weeks" / "week-02.yaml", "minutes: ", "minutes: -", 1)
    bad = tandem("curriculum", "validate", str(curriculum_copy))
    assert bad.returncode == 1
    assert "week-02.yaml:" in bad.stderr
    assert "must be a positive whole number" in bad.stderr
    assert "1 problem; nothing was loaded." in bad.stderr
    assert "Traceback" not in bad.stderr


def test_upgrade_then_load_then_load_again(tmp_path: Path, curriculum_copy: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    upgraded = tandem("db", "upgrade", database_url=url)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "is at head" in upgraded.stdout

    first = tandem("curriculum", "load", database_url=url)
    assert first.returncode == 0, first.stderr
    assert "tandem-skills: loaded as version 1" in first.stdout
    again = tandem("curriculum", "load", database_url=url)
    assert "tandem-skills: unchanged, still version 1" in again.stdout

    # A bad file: refused with its location, and the database is unchanged.
    edit(curriculum_copy / "weeks" / "week-05.yaml", "title: ", "title: Changed ", 1)
    edit(curriculum_copy / "weeks" / "week-06.yaml", "core: true", "core: maybe", 1)
    refused = tandem("curriculum", "load", str(curriculum_copy), database_url=url)
    assert refused.returncode == 1
    assert "week-06.yaml:" in refused.stderr
    assert "must be true or false" in refused.stderr
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Curriculum)).scalar_one() == 1

    # Fixed, it becomes version 2.
    edit(curriculum_copy / "weeks" / "week-06.yaml", "core: maybe", "core: true", 1)
    loaded = tandem("curriculum", "load", str(curriculum_copy), database_url=url)
    assert "tandem-skills: loaded as version 2" in loaded.stdout
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Curriculum)).scalar_one() == 2
    engine.dispose()


def test_demo_on_todays_date_twice(tmp_path: Path) -> None:
    """The demo as `make run` runs it, on today's date (the suite's clock: test_demo.py
    covers other days): every login printed, mentoring data built once, and a second run
    leaves every table as it was."""
    from sqlmodel import SQLModel

    from app.demo.story import DEMO_USERS, IV_MATCHES, IV_MENTORS

    url = f"sqlite:///{tmp_path / 'demo.db'}"
    for args in (["db", "upgrade"], ["curriculum", "load"]):
        done = tandem(*args, database_url=url)
        assert done.returncode == 0, done.stderr
    env = {"TANDEM_DEMO_PASSWORD": "a walk in the demo 1234", "TANDEM_PASSWORD_HASH_FAST": "true"}
    engine = create_engine(url)

    def counts() -> dict[str, int]:
        with engine.connect() as conn:
            return {
                t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in SQLModel.metadata.sorted_tables
            }

    first = tandem("demo", database_url=url, clocked=True, **env)
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert lines[0] == "Demo organisation: Tandem demo council"
    assert "(password: a walk in the demo 1234)" in lines[1]
    assert [line.split()[:2] for line in lines[2:]] == [[r, e] for e, _n, r in DEMO_USERS]
    built = counts()
    assert built["cohort"] == 3
    assert built["programme"] == 2  # FHF-PT and the Independent Visitor service
    assert built["mentor_profile"] == 14 + len(IV_MENTORS)
    assert built["mentor_match"] == 23 + len(IV_MATCHES)
    assert built["mentor_visit"] > 0

    again = tandem("demo", database_url=url, clocked=True, **env)
    assert again.returncode == 0, again.stderr
    assert again.stdout == first.stdout
    assert counts() == built
    engine.dispose()
