"""`tandem users add --no-password` then `tandem users set-password`: the first admin of a
new installation, run as real processes against a SQLite file (issue 16, point 1)."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlmodel import Session

from app.audit.models import AuditEvent
from app.auth.models import ApiToken, User
from app.auth.security import verify_password
from app.mail.models import OutboxMessage
from tests.auth.test_cli_users import TANDEM, assert_one_line_error, rows
from tests.support.databases import ROOT

pytestmark = pytest.mark.slow

EMAIL = "first@x.example.org"
FIRST = "the first admin passphrase"
SECOND = "a second admin passphrase"


def run(db: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")}
    environ |= {"TANDEM_DATABASE_URL": f"sqlite:///{db}", "TANDEM_PASSWORD_HASH_FAST": "true"}
    return subprocess.run(
        [TANDEM, *args],
        cwd=ROOT,
        env=environ,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def add_token(db: Path, user_id: int) -> None:
    engine = create_engine(f"sqlite:///{db}")
    stamp = datetime.now(UTC)
    with Session(engine) as session:
        user = session.get(User, user_id)
        assert user is not None
        session.add(
            ApiToken(
                org_id=user.org_id,
                user_id=user_id,
                token_hash="0" * 64,
                created_at=stamp,
                expires_at=stamp + timedelta(hours=1),
            )
        )
        session.commit()
    engine.dispose()


def test_the_first_admin_of_a_new_installation(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    assert run(db, "db", "upgrade").returncode == 0
    added = run(
        db,
        "users",
        "add",
        "--email",
        EMAIL,
        "--name",
        "First",
        "--role",
        "admin",
        "--org",
        "New Org",
        "--no-password",
    )
    assert added.returncode == 0, added.stderr
    assert f"set one with `tandem users set-password {EMAIL}`" in added.stdout
    (user,) = rows(db, User)
    assert user.password_hash is None

    # No way to be asked: a clear error, nothing set.
    no_terminal = run(db, "users", "set-password", EMAIL)
    assert_one_line_error(no_terminal, 2, "use --password-stdin")
    weak = run(db, "users", "set-password", EMAIL, "--password-stdin", stdin="qwerty123456\n")
    assert_one_line_error(weak, 1, "list of common passwords")
    unknown = run(db, "users", "set-password", "who@x.example.org", "--password-stdin", stdin=FIRST)
    assert_one_line_error(unknown, 1, "There is no user with the email who@x.example.org.")
    assert rows(db, User)[0].password_hash is None

    first = run(db, "users", "set-password", EMAIL.upper(), "--password-stdin", stdin=FIRST + "\n")
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == (
        f"password set for {EMAIL}; their sessions and API tokens have ended"
    )
    (user,) = rows(db, User)
    assert verify_password(FIRST, user.password_hash)[0]
    assert rows(db, OutboxMessage) == []  # a first password: nothing to warn about

    assert user.id is not None
    add_token(db, user.id)
    second = run(db, "users", "set-password", EMAIL, "--password-stdin", stdin=SECOND)
    assert second.returncode == 0, second.stderr
    (user,) = rows(db, User)
    assert verify_password(SECOND, user.password_hash)[0]
    (token,) = rows(db, ApiToken)
    assert token.revoked_at is not None
    (message,) = rows(db, OutboxMessage)
    assert (message.kind, message.to_address) == ("password_changed", EMAIL)
    assert "by the administrator of this installation" in message.body_text
    events = [e for e in rows(db, AuditEvent) if e.action == "set_password"]
    assert [(e.actor_id, e.changes) for e in events] == [
        (None, {"password": "set"}),
        (None, {"password": "changed"}),
    ]
    for event in rows(db, AuditEvent):
        assert FIRST not in str(event.changes)
        assert SECOND not in str(event.changes)
