"""Browser tests: a real `tandem serve` on a free port, driven by Debian's headless Chromium.

The server always uses a fresh SQLite database of its own, whatever TANDEM_DATABASE_URL the
outer environment names (the rest of the suite may be running against PostgreSQL).

Every `tandem` subprocess runs through tests/support/clocked.py at the test process's current
(travelled) time, so the demo data, the server and the tests share one clock. Under
pytest-xdist every browser test is in one group, so only one worker starts a server.
"""

from __future__ import annotations

import os
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from tests.support.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DEMO_PASSWORD,
    ROOT,
    TABLET,
    BrowserPage,
)
from tests.support.clock import tandem_now
from tests.support.served import free_port


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """One xdist group for the browser tests (with `--dist loadgroup`): one server, one
    Chromium, on one worker."""
    for item in items:
        if item.get_closest_marker("e2e") is not None:
            item.add_marker(pytest.mark.xdist_group("e2e"))


def _tandem(args: list[str]) -> list[str]:
    """`tandem ARGS` at the test process's clock (tests/support/clocked.py)."""
    return [*tandem_now(), *args]


def _run_cli(args: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(
        _tandem(args),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(
            f"`tandem {' '.join(args)}` exited with {result.returncode}\n"
            f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}",
            pytrace=False,
        )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate, give it 10 s, then kill."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _server_output(proc: subprocess.Popen[bytes], log: Path) -> str:
    _stop(proc)
    return log.read_text(errors="replace")


@contextmanager
def served_demo(
    tmp: Path, *, loads: Sequence[Sequence[str]] = (("curriculum", "load"),), worker: bool = True
) -> Iterator[str]:
    """Serve a fresh SQLite database in `tmp` with `tandem serve`: migrated, each of `loads`
    run (`tandem curriculum load`...), then the demo; yields the base URL once /healthz
    answers, and stops the server after."""
    env = {
        **os.environ,
        "TANDEM_DATABASE_URL": f"sqlite:///{tmp / 'served.db'}",
        "TANDEM_WORKERS": "1",  # uvicorn's worker processes would not share the clock
        "PYTHONUNBUFFERED": "1",
    }
    _run_cli(["db", "upgrade"], env)
    for load in loads:
        _run_cli(list(load), env)
    _run_cli(["demo"], {**env, "TANDEM_DEMO_PASSWORD": DEMO_PASSWORD})

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    # Output goes to a file, not a pipe: a pipe nobody reads fills up and stalls the server.
    log = tmp / "server.log"
    serve = ["serve", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            _tandem(serve if worker else [*serve, "--no-worker"]),
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 30
    while True:
        if proc.poll() is not None:
            pytest.fail(
                f"`tandem serve` exited with {proc.returncode} before it was ready:\n"
                f"{_server_output(proc, log)}",
                pytrace=False,
            )
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as response:
                if response.status == 200:
                    break
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            pytest.fail(
                f"`tandem serve` did not answer {base_url}/healthz within 30 s:\n"
                f"{_server_output(proc, log)}",
                pytrace=False,
            )
        time.sleep(0.1)

    try:
        yield base_url
    finally:
        _stop(proc)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a running `tandem serve`, migrated and with the curriculum loaded."""
    with served_demo(tmp_path_factory.mktemp("e2e")) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    """Headless Debian Chromium (Playwright cannot download its own browsers here)."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: run `make browser` to install Debian's chromium "
            "for the browser tests",
            pytrace=False,
        )
    browser = playwright_instance.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def pages(browser: Browser, live_server: str) -> Iterator[BrowserPage]:
    """A page factory, for tests that need a viewport other than the tablet's."""
    factory = BrowserPage(browser, live_server)
    yield factory
    factory.close()


@pytest.fixture
def page(pages: BrowserPage) -> Page:
    """A tablet-sized page (1024x768) in a fresh context; goto() takes paths."""
    return pages.new(TABLET)


@pytest.fixture
def js_errors(pages: BrowserPage) -> list[str]:
    """The console errors and uncaught exceptions seen by this test's pages (a live list)."""
    return pages.errors
