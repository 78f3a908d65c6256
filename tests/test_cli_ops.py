"""Issue 20: the commands an operator runs: `tandem --version`, `tandem db current` (is the
schema the latest?) and `tandem users list` (who can sign in; no secrets)."""

from __future__ import annotations

from importlib.metadata import version

import pytest

from app.cli import sign_in_url
from app.config import get_settings
from tests.support.cli import tandem
from tests.support.databases import DatabaseFactory

PASSWORD = "a long enough password 1234"


def test_version() -> None:
    done = tandem("--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"tandem {version('tandem')}"


@pytest.mark.slow
def test_db_current_says_whether_the_schema_is_the_latest(databases: DatabaseFactory) -> None:
    url = databases.new("db_current")
    empty = tandem("db", "current", database_url=url)
    assert empty.returncode == 1
    assert "has no schema yet: run `tandem db upgrade`" in empty.stderr

    assert tandem("db", "upgrade", "i18_retention_indexes", database_url=url).returncode == 0
    behind = tandem("db", "current", database_url=url)
    assert behind.returncode == 1
    assert "is at i18_retention_indexes; the latest is" in behind.stderr

    assert tandem("db", "upgrade", database_url=url).returncode == 0
    latest = tandem("db", "current", database_url=url)
    assert latest.returncode == 0, latest.stderr
    assert latest.stdout.rstrip().endswith("(the latest)")
    assert "password" not in latest.stdout


@pytest.mark.slow
def test_users_list(databases: DatabaseFactory) -> None:
    url = databases.new("users_list")
    assert tandem("db", "upgrade", database_url=url).returncode == 0
    people = [
        ("Org A", "admin", "ada@a.example.org", "Ada Admin"),
        ("Org A", "mentor", "mo@a.example.org", "Mo Mentor"),
        ("Org B", "lead", "lee@b.example.org", "Lee Lead"),
    ]
    for org, role, email, name in people:
        added = tandem(
            "users", "add", "--org", org, "--email", email, "--name", name, "--role", role,
            database_url=url, TANDEM_PASSWORD=PASSWORD, TANDEM_PASSWORD_HASH_FAST="true",
        )  # fmt: skip
        assert added.returncode == 0, added.stderr

    everyone = tandem("users", "list", database_url=url)
    assert everyone.returncode == 0, everyone.stderr
    assert [line.split("\t") for line in everyone.stdout.splitlines()] == [
        list(person) for person in people
    ]
    assert "$" not in everyone.stdout  # no password hash, ever

    only_b = tandem("users", "list", "--org", "Org B", database_url=url)
    assert only_b.stdout.splitlines() == ["Org B\tlead\tlee@b.example.org\tLee Lead"]

    unknown = tandem("users", "list", "--org", "Org C", database_url=url)
    assert unknown.returncode == 1
    assert "no organisation called 'Org C'" in unknown.stderr


@pytest.mark.parametrize(
    ("env", "url"),
    [
        ({}, "http://127.0.0.1:8000/login"),
        ({"TANDEM_PORT": "9001"}, "http://127.0.0.1:9001/login"),
        ({"PORT": "9002", "TANDEM_HOST": "0.0.0.0"}, "http://127.0.0.1:9002/login"),
        ({"TANDEM_HOST": "::", "TANDEM_PORT": "9003"}, "http://127.0.0.1:9003/login"),
        ({"TANDEM_HOST": "::1"}, "http://[::1]:8000/login"),
        (
            {"TANDEM_BASE_URL": "https://tandem.example.gov.uk/"},
            "https://tandem.example.gov.uk/login",
        ),
    ],
)
def test_the_printed_sign_in_address_is_where_tandem_listens(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], url: str
) -> None:
    for name in ("TANDEM_HOST", "TANDEM_PORT", "PORT", "TANDEM_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        assert sign_in_url() == url
    finally:
        get_settings.cache_clear()
