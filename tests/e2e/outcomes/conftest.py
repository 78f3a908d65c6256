"""The outcomes pages' browser tests: the browser fixtures of tests/e2e/conftest.py (one
Chromium per worker, shared with the other browser tests), with a server of their own whose
demo organisation has the real measures loaded (`tandem outcomes load` before `tandem demo`,
as `make run` does), so the demo's children have assessments, assessments due and life
events. A fresh SQLite database, whatever TANDEM_DATABASE_URL names, like the other browser
tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.conftest import served_demo


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a running `tandem serve` (no email worker): migrated, the curriculum,
    the measures and the demo loaded."""
    loads = (("curriculum", "load"), ("outcomes", "load"))
    with served_demo(tmp_path_factory.mktemp("browser-outcomes"), loads=loads, worker=False) as url:
        yield url
