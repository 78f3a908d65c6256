"""The same visit sent by several clients at once, to a real server (issue 13): one is
stored, the others are refused as overlapping, so a mentor's hours are never counted twice.
On SQLite and on PostgreSQL (the suite's second run)."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import httpx2 as httpx

from tests.support.clock import Clock
from tests.support.databases import DatabaseFactory
from tests.support.served import Served, serve

THREADS = 8
ROUNDS = 10


def _send_at_once(server: Served, token: str, body: dict[str, Any]) -> list[int]:
    """THREADS posts of `body`, released together; their status codes."""
    barrier = threading.Barrier(THREADS, timeout=60)
    statuses: list[int] = []
    lock = threading.Lock()

    def post() -> None:
        with httpx.Client(
            base_url=server.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60
        ) as client:
            barrier.wait()
            status = client.post("/api/v1/visits", json=body).status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=post) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(statuses) == THREADS, "a request did not finish"
    return statuses


def test_the_same_visit_sent_at_once_is_stored_once(
    databases: DatabaseFactory, tmp_path: Path, clock: Clock
) -> None:
    with serve(databases, tmp_path) as server:
        token = server.token("mentor")
        with server.client("mentor") as mentor:
            matches = mentor.get("/api/v1/matches", params={"active": "true"}).json()
            assert matches, "the demo mentor has an active match"
            match = min(matches, key=lambda m: m["start_date"])
            outcomes: list[Counter[int]] = []
            stored_counts: list[int] = []
            for n in range(ROUNDS):
                day = clock.today - dt.timedelta(days=3 + n)
                assert day >= dt.date.fromisoformat(match["start_date"])
                body = {
                    "match_id": match["id"],
                    "date": day.isoformat(),
                    # Early in the morning: never during a group session or a demo visit.
                    "start_time": "07:05",
                    "duration_minutes": 45,
                    "status": "completed",
                    "summary": "Walked to the park.",
                }
                statuses = Counter(_send_at_once(server, token, body))
                outcomes.append(statuses)
                stored = mentor.get(
                    "/api/v1/visits",
                    params={
                        "match_id": match["id"],
                        "from": day.isoformat(),
                        "to": day.isoformat(),
                    },
                ).json()
                stored_counts.append(sum(v["start_time"] == "07:05:00" for v in stored))
            assert stored_counts == [1] * ROUNDS, (stored_counts, outcomes)
            for n, statuses in enumerate(outcomes):
                assert statuses[201] == 1, (n, statuses)
                assert set(statuses) <= {201, 409, 422}, (n, statuses)
