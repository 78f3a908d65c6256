"""`tandem users add` and `tandem demo`, run as real processes against a SQLite file.

Each process costs about two seconds, so the fixture runs them all once, in parallel where
they touch different database files, and the tests read the results."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import create_engine
from sqlmodel import Session, SQLModel, select

from app.auth.models import Organisation, User
from app.auth.security import verify_password
from app.demo.story import IV_MENTORS
from tests.support.databases import ROOT

TANDEM = str(Path(sys.executable).parent / "tandem")
PASSWORD = "a long enough password"
DEMO_PASSWORDS = ("first-demo-password", "second-demo-password")
ADD = ["users", "add", "--email", "a@x.example.org", "--name", "A", "--role", "admin"]
NEW_ORG = ["--org", "New Org"]

M = TypeVar("M", bound=SQLModel)
Results = dict[str, subprocess.CompletedProcess[str]]


def start(db: Path, args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")}
    environ |= {"TANDEM_DATABASE_URL": f"sqlite:///{db}", "TANDEM_PASSWORD_HASH_FAST": "true"}
    return subprocess.Popen(
        [TANDEM, *args],
        cwd=ROOT,
        env=environ | env,
        stdin=subprocess.DEVNULL,  # no terminal to ask for a password on
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_together(runs: dict[str, tuple[Path, list[str], dict[str, str]]]) -> Results:
    """Start every command, then wait for them all (no two share a database file)."""
    started = {name: (start(*how), how[1]) for name, how in runs.items()}
    results: Results = {}
    for name, (process, args) in started.items():
        out, err = process.communicate(timeout=120)
        results[name] = subprocess.CompletedProcess(args, process.returncode, out, err)
    return results


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> tuple[Results, dict[str, Path]]:
    tmp = tmp_path_factory.mktemp("cli_users")
    dbs = {name: tmp / f"{name}.db" for name in ("users", "weak", "demo")}
    password = {"TANDEM_PASSWORD": PASSWORD}
    results = run_together(
        {
            "upgrade": (dbs["users"], ["db", "upgrade"], {}),
            "unknown_role": (tmp / "none.db", [*ADD[:-1], "owner", *NEW_ORG], password),
            "no_password": (tmp / "none.db", [*ADD, *NEW_ORG], {}),
        }
    )
    assert results["upgrade"].returncode == 0, results["upgrade"].stderr
    for name in ("weak", "demo"):
        shutil.copyfile(dbs["users"], dbs[name])
    demo = {"TANDEM_DEMO_PASSWORD": DEMO_PASSWORDS[0]}
    results |= run_together(
        {
            "added": (dbs["users"], [*ADD, *NEW_ORG], password),
            "weak": (dbs["weak"], [*ADD, "--org", "Weak Org"], {"TANDEM_PASSWORD": "short"}),
            "demo": (dbs["demo"], ["demo"], demo),
        }
    )
    results |= run_together(
        {
            "again": (dbs["users"], [*ADD, *NEW_ORG], password),
            "demo_again": (dbs["demo"], ["demo"], {"TANDEM_DEMO_PASSWORD": DEMO_PASSWORDS[1]}),
        }
    )
    return results, dbs


def rows(db: Path, model: type[M]) -> list[M]:
    engine = create_engine(f"sqlite:///{db}")
    with Session(engine) as session:
        found = list(session.exec(select(model)).all())
    engine.dispose()
    return found


def assert_one_line_error(result: subprocess.CompletedProcess[str], code: int, says: str) -> None:
    assert result.returncode == code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert says in lines[0]
    assert "Traceback" not in result.stderr


def test_users_add_creates_the_organisation_and_the_user(
    cli: tuple[Results, dict[str, Path]],
) -> None:
    results, dbs = cli
    added = results["added"]
    assert added.returncode == 0, added.stderr
    assert added.stdout.splitlines() == [
        "organisation 'New Org' created",
        "user a@x.example.org (admin) added to 'New Org'",
    ]
    (org,) = rows(dbs["users"], Organisation)
    (user,) = rows(dbs["users"], User)
    assert (user.email, user.name, user.role.value, user.org_id) == (
        "a@x.example.org",
        "A",
        "admin",
        org.id,
    )
    assert org.name == "New Org"
    assert verify_password(PASSWORD, user.password_hash)[0]


def test_users_add_twice_is_refused(cli: tuple[Results, dict[str, Path]]) -> None:
    results, dbs = cli
    assert_one_line_error(
        results["again"], 1, "A user with the email a@x.example.org already exists."
    )
    assert results["again"].stdout == ""
    assert len(rows(dbs["users"], User)) == 1


def test_users_add_weak_password(cli: tuple[Results, dict[str, Path]]) -> None:
    results, dbs = cli
    assert_one_line_error(results["weak"], 1, "Password must be at least 12 characters")
    assert rows(dbs["weak"], Organisation) == []  # nothing was kept, not even the organisation
    assert rows(dbs["weak"], User) == []


def test_users_add_unknown_role(cli: tuple[Results, dict[str, Path]]) -> None:
    assert_one_line_error(
        cli[0]["unknown_role"],
        2,
        "unknown role 'owner': use one of admin, lead, facilitator, mentor",
    )


def test_users_add_without_a_password_or_a_terminal(cli: tuple[Results, dict[str, Path]]) -> None:
    assert_one_line_error(cli[0]["no_password"], 2, "set TANDEM_PASSWORD")


def test_demo_prints_every_login_and_can_run_again(cli: tuple[Results, dict[str, Path]]) -> None:
    results, dbs = cli
    for name, password in zip(("demo", "demo_again"), DEMO_PASSWORDS, strict=True):
        result = results[name]
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        assert lines[0] == "Demo organisation: Tandem demo council"
        assert f"(password: {password})" in lines[1]
        logins = [line.split() for line in lines[2:]]
        assert len(logins) == 22 + len(IV_MENTORS)
        assert [login[0] for login in logins] == [
            "admin",
            "lead",
            *["facilitator"] * 6,  # two for each of the three cohorts
            *["mentor"] * 14,
            *["mentor"] * len(IV_MENTORS),  # the Independent Visitors
        ]
        assert all(login[1].endswith("@demo.tandem.example.org") for login in logins)
    users = rows(dbs["demo"], User)
    assert len(users) == 22 + len(IV_MENTORS)
    assert all(verify_password(DEMO_PASSWORDS[1], u.password_hash)[0] for u in users)
    assert [o.name for o in rows(dbs["demo"], Organisation)] == ["Tandem demo council"]
