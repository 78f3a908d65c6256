"""The outcomes pages' browser tests: the browser fixtures of tests/e2e/conftest.py, with a
server of their own whose demo organisation has the real measures loaded (`tandem outcomes
load` before `tandem demo`, as `make run` does), so the demo's children have assessments,
assessments due and life events. A fresh SQLite database, whatever TANDEM_DATABASE_URL
names, like the other browser tests."""

from __future__ import annotations

import os
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from tests.e2e.conftest import (  # noqa: F401  (fixtures, shared with the other browser tests)
    _run_cli,
    _server_output,
    _stop,
    _tandem,
    browser,
    js_errors,
    page,
    pages,
    playwright_instance,
)
from tests.support.browser import DEMO_PASSWORD, ROOT
from tests.support.served import free_port


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The browser tests' one xdist group (as tests/e2e/conftest.py makes it), also when this
    folder runs alone."""
    for item in items:
        if item.get_closest_marker("e2e") is not None and not any(
            m.name == "xdist_group" for m in item.iter_markers()
        ):
            item.add_marker(pytest.mark.xdist_group("e2e"))


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a running `tandem serve`: migrated, the curriculum, the measures and
    the demo loaded."""
    tmp = tmp_path_factory.mktemp("browser-outcomes")
    env = {
        **os.environ,
        "TANDEM_DATABASE_URL": f"sqlite:///{tmp / 'outcomes.db'}",
        "TANDEM_WORKERS": "1",  # uvicorn's worker processes would not share the clock
        "PYTHONUNBUFFERED": "1",
    }
    _run_cli(["db", "upgrade"], env)
    _run_cli(["curriculum", "load"], env)
    _run_cli(["outcomes", "load"], env)
    _run_cli(["demo"], {**env, "TANDEM_DEMO_PASSWORD": DEMO_PASSWORD})
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = tmp / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            _tandem(["serve", "--host", "127.0.0.1", "--port", str(port), "--no-worker"]),
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 30
    while True:
        if proc.poll() is not None:
            pytest.fail(f"`tandem serve` exited:\n{_server_output(proc, log)}", pytrace=False)
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as response:
                if response.status == 200:
                    break
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            pytest.fail(
                f"`tandem serve` did not start:\n{_server_output(proc, log)}", pytrace=False
            )
        time.sleep(0.1)
    try:
        yield base_url
    finally:
        _stop(proc)
