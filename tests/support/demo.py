"""`tandem demo`, run in-process (Typer's CliRunner) against a database of its own."""

from __future__ import annotations

import time

import pytest
from typer.testing import CliRunner

from app import cli
from app.config import get_settings

PASSWORD = "demo password for the tests"


def run_demo(url: str, *args: str) -> tuple[str, float]:
    """`tandem demo ARGS` on the database at `url`: what it printed, and how long it took."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TANDEM_DATABASE_URL", url)
        patch.setenv("TANDEM_DEMO_PASSWORD", PASSWORD)
        get_settings.cache_clear()
        started = time.perf_counter()
        result = CliRunner().invoke(cli.app, ["demo", *args])
        seconds = time.perf_counter() - started
    get_settings.cache_clear()
    assert result.exit_code == 0, f"{result.output}\n{result.exception!r}"
    return result.output, seconds
