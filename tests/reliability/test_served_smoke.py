"""The served-instance helper itself: a real server starts, answers, and restarts after
SIGKILL with what it acknowledged."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import DatabaseFactory
from tests.support.served import serve


def test_a_served_instance_answers_and_survives_sigkill(
    databases: DatabaseFactory, tmp_path: Path
) -> None:
    with serve(databases, tmp_path) as server:
        with server.client("lead") as lead:
            assert lead.get("/api/v1/me").json()["role"] == "lead"
        server.kill()
        server.start()
        with server.client("lead") as lead:
            assert lead.get("/api/v1/me").status_code == 200
