"""Bursts against a real server (issue 13, points 1, 2 and 5): no freeze, no 500, no false
409, and /healthz answering throughout; on the database the suite runs on (SQLite by
default, PostgreSQL when TANDEM_DATABASE_URL names one).

Before the request gate (app/db.py request_slot), about 55 simultaneous signed-in requests
on one worker stalled every request, /healthz included, for 30 s and then answered 500
(the pool's timeout); on SQLite, ten to thirty people saving at once got 500 "database is
locked" and false 409s."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from tests.support.clock import Clock
from tests.support.databases import DatabaseFactory
from tests.support.served import Served, serve


@pytest.fixture
def server(databases: DatabaseFactory, tmp_path: Path) -> Iterator[Served]:
    # A small gate makes the old failure certain: 5 connections for 200 requests.
    with serve(
        databases, tmp_path, env={"TANDEM_DB_POOL_SIZE": "5", "TANDEM_DB_POOL_OVERFLOW": "2"}
    ) as served:
        yield served


@pytest.mark.serial  # /healthz is timed: alone, not beside another worker
def test_200_simultaneous_signed_in_requests_all_complete_and_health_answers(
    server: Served,
) -> None:
    token = server.token("lead")
    headers = {"Authorization": f"Bearer {token}"}
    paths = ["/api/v1/me", "/api/v1/fidelity", "/api/v1/cohorts", "/api/v1/children"]
    start = threading.Barrier(201)
    health: list[float] = []
    done = threading.Event()

    def one(n: int) -> int:
        with httpx.Client(base_url=server.base_url, headers=headers, timeout=60) as client:
            start.wait()
            return client.get(paths[n % len(paths)]).status_code

    def watch_health() -> None:
        with httpx.Client(base_url=server.base_url, timeout=10) as client:
            start.wait()
            while not done.is_set():
                began = time.monotonic()
                assert client.get("/healthz").status_code == 200
                health.append(time.monotonic() - began)
                time.sleep(0.05)

    with ThreadPoolExecutor(max_workers=201) as pool:
        watcher = pool.submit(watch_health)
        statuses = list(pool.map(one, range(200)))
        done.set()
        watcher.result()
    assert Counter(statuses) == {200: 200}, (Counter(statuses), server.output()[-3000:])
    assert health, "the health check never answered"
    assert max(health) < 1.0, health


def _past_sessions(lead: httpx.Client, today: dt.date) -> list[dict[str, Any]]:
    sessions: list[dict[str, Any]] = []
    for cohort in lead.get("/api/v1/cohorts").json():
        for s in lead.get(f"/api/v1/cohorts/{cohort['id']}/sessions").json():
            if s["status"] != "cancelled" and dt.date.fromisoformat(s["date"]) < today:
                sessions.append(s)
    return sessions


def _record_body(session: dict[str, Any], version: int, facilitator: int) -> dict[str, Any]:
    return {
        "version": version,
        "facilitators_present": [facilitator],
        "attendance": [{"child_id": c["child_id"], "status": "present"} for c in session["roster"]],
        "coverage": [
            {"activity_id": a["id"], "status": "delivered"} for a in session["lesson"]["activities"]
        ],
    }


def test_thirty_people_saving_at_once_get_no_500_and_no_false_409(
    server: Served, clock: Clock
) -> None:
    """Thirty threads: registers saved over each other (a 409 must mean that another save
    really came first: its current_version is past the version sent), visits logged, and
    pages read, all at once."""
    lead = server.client("lead")
    sessions = _past_sessions(lead, clock.today)[:6]
    assert len(sessions) == 6
    details = [lead.get(f"/api/v1/sessions/{s['id']}").json() for s in sessions]
    facilitators = {
        d["id"]: lead.get(f"/api/v1/cohorts/{d['cohort_id']}").json()["facilitators"][0]["id"]
        for d in details
    }
    token = server.token("lead")
    headers = {"Authorization": f"Bearer {token}"}
    start = threading.Barrier(30)
    outcomes: list[tuple[str, int, Any]] = []
    lock = threading.Lock()

    def saver(n: int) -> None:
        detail = details[n % len(details)]
        with httpx.Client(base_url=server.base_url, headers=headers, timeout=60) as client:
            start.wait()
            for i in range(3):
                current = client.get(f"/api/v1/sessions/{detail['id']}").json()
                body = _record_body(current, current["version"], facilitators[detail["id"]])
                body["notes"] = f"saved by thread {n}, {i}"  # each save a real change
                response = client.put(f"/api/v1/sessions/{detail['id']}/record", json=body)
                with lock:
                    outcomes.append(("save", response.status_code, (body, response.json())))

    def reader(n: int) -> None:
        with httpx.Client(base_url=server.base_url, headers=headers, timeout=60) as client:
            start.wait()
            for path in ("/api/v1/fidelity", "/api/v1/cohorts", "/api/v1/me"):
                response = client.get(path)
                with lock:
                    outcomes.append(("read", response.status_code, path))

    with ThreadPoolExecutor(max_workers=30) as pool:
        futures = [pool.submit(saver if n < 20 else reader, n) for n in range(30)]
        for future in futures:
            future.result()

    statuses = Counter((kind, status) for kind, status, _ in outcomes)
    assert not [o for o in outcomes if o[1] >= 500], (statuses, server.output()[-3000:])
    for _kind, status, (body, answer) in (o for o in outcomes if o[0] == "save"):
        assert status in (200, 409), (status, answer)
        if status == 409:
            # True: the stored version had moved past the one this save was based on.
            assert answer["current_version"] > body["version"], answer
    # No lost update: each session's version counts every acknowledged save once.
    saved = Counter(
        body_answer[1]["id"]
        for kind, status, body_answer in outcomes
        if status == 200
        if kind == "save"
    )
    for detail in details:
        final = lead.get(f"/api/v1/sessions/{detail['id']}").json()
        assert final["version"] == detail["version"] + saved[detail["id"]], (
            final["version"],
            detail["version"],
            saved[detail["id"]],
        )
