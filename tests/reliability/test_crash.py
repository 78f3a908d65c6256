"""A power cut in the middle of a burst of writes (issue 13, point 9): the server is killed
with SIGKILL while six threads create children (as the lead) and log visits with their
practice tasks (as a mentor); restarted on the same database, every write it acknowledged
with a 2xx is there whole, nothing is there twice, and a write left unanswered by the kill is
either there whole or not at all. On the database the suite runs on (SQLite by default,
PostgreSQL when TANDEM_DATABASE_URL names one)."""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from tests.support.clock import Clock
from tests.support.databases import DatabaseFactory
from tests.support.served import Served, serve

log = logging.getLogger(__name__)  # the counts: pytest --log-cli-level=INFO

THREADS_PER_KIND = 3  # three creating children, three logging visits
KILL_AFTER = 40  # acknowledged writes before the kill
BURST_LIMIT_S = 10.0  # the kill comes at this point at the latest
VISIT_MINUTES = 45


@pytest.fixture
def server(databases: DatabaseFactory, tmp_path: Path) -> Iterator[Served]:
    with serve(databases, tmp_path) as served:
        yield served


@dataclass
class Ledger:
    """What was sent, and what the server acknowledged, across the writing threads."""

    acknowledged: list[tuple[str, int, dict[str, Any]]] = field(default_factory=list)
    unanswered: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    refused: Counter[int] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)
    enough: threading.Event = field(default_factory=threading.Event)

    def ack(self, kind: str, created: int, body: dict[str, Any]) -> None:
        with self.lock:
            self.acknowledged.append((kind, created, body))
            if len(self.acknowledged) >= KILL_AFTER:
                self.enough.set()


def child_bodies() -> Iterator[dict[str, Any]]:
    for n in itertools.count(1):
        yield {
            "reference": f"CRASH-{n:04d}",
            "first_name": f"Crash{n}",
            "date_of_birth": "2016-03-01",
            "placement_type": ["foster", "kinship", "residential", "other"][n % 4],
            "consent_given_by": f"Social worker {n}",
            "consent_given_on": "2026-09-01",
            "gender": "girl_or_woman" if n % 2 else "boy_or_man",
            "languages": ["english"],
            "languages_other": f"Language {n}",
            "interests": ["football", f"interest {n}"],
        }


def visit_bodies(mentor: httpx.Client, today: dt.date, limit: int = 400) -> list[dict[str, Any]]:
    """Completed visits on past days, one slot each, clear of the mentor's other visits
    and of the group sessions (which start at 16:00), with the mentee's practice tasks."""
    matches = [m for m in mentor.get("/api/v1/matches").json() if m["active"]]
    assert matches, "the demo mentor has no active match"
    busy: dict[str, list[tuple[int, int]]] = {}
    for visit in mentor.get("/api/v1/visits").json():
        if visit["status"] != "cancelled" and visit["start_time"]:
            start = _minutes(visit["start_time"])
            busy.setdefault(visit["date"], []).append((start, start + visit["minutes"]))
    assignments = mentor.get("/api/v1/assignments").json()
    bodies: list[dict[str, Any]] = []
    for back in range(1, 120):
        day = today - dt.timedelta(days=back)
        open_matches = [m for m in matches if dt.date.fromisoformat(m["start_date"]) <= day]
        for hour in range(7, 15):
            start, end = hour * 60, hour * 60 + VISIT_MINUTES
            taken = any(s < end and start < e for s, e in busy.get(day.isoformat(), []))
            if not open_matches or taken or len(bodies) >= limit:
                continue
            match = open_matches[len(bodies) % len(open_matches)]
            tasks = [
                a["id"]
                for a in assignments
                if a["child_id"] == match["child_id"]
                and dt.date.fromisoformat(a["session_date"]) <= day
            ]
            bodies.append(
                {
                    "match_id": match["id"],
                    "date": day.isoformat(),
                    "start_time": f"{hour:02d}:00",
                    "duration_minutes": VISIT_MINUTES,
                    "status": "completed",
                    "summary": f"Crash-test visit {len(bodies) + 1}",
                    "assignment_ids": tasks[:3],
                }
            )
    return bodies


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")[:2]
    return int(hours) * 60 + int(minutes)


def write_until_killed(
    server: Served,
    token: str,
    path: str,
    kind: str,
    bodies: Iterator[dict[str, Any]],
    bodies_lock: threading.Lock,
    ledger: Ledger,
) -> None:
    """Send one body after another until the server stops answering."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=30) as client:
        while True:
            with bodies_lock:
                body = next(bodies, None)
            if body is None:
                return
            try:
                response = client.post(path, json=body)
            except httpx.TransportError:
                with ledger.lock:
                    ledger.unanswered.append((kind, body))
                return
            if 200 <= response.status_code < 300:
                ledger.ack(kind, response.json()["id"], body)
            else:
                with ledger.lock:
                    ledger.refused[response.status_code] += 1


def key(body: dict[str, Any]) -> str:
    """What tells one write from another: a child's reference, a visit's summary."""
    return str(body.get("reference") or body["summary"])


def stored_child(found: dict[str, Any], sent: dict[str, Any]) -> dict[str, Any]:
    return {key: found[key] for key in sent}


def stored_visit(found: dict[str, Any]) -> dict[str, Any]:
    return {
        "match_id": found["match_id"],
        "date": found["date"],
        "start_time": found["start_time"][:5],
        "duration_minutes": found["minutes"],
        "status": found["status"],
        "summary": found["summary"],
        "assignment_ids": sorted(found["assignment_ids"]),
    }


def sent_visit(body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "assignment_ids": sorted(body["assignment_ids"])}


def test_sigkill_mid_burst_loses_no_acknowledged_write(server: Served, clock: Clock) -> None:
    began = time.monotonic()
    lead_token, mentor_token = server.token("lead"), server.token("mentor")
    with server.client("mentor") as mentor:
        visits = iter(visit_bodies(mentor, clock.today))
    children = child_bodies()
    ledger = Ledger()
    locks = {"child": threading.Lock(), "visit": threading.Lock()}
    jobs: list[Callable[[], None]] = []
    for _ in range(THREADS_PER_KIND):
        jobs.append(
            lambda: write_until_killed(
                server, lead_token, "/api/v1/children", "child", children, locks["child"], ledger
            )
        )
        jobs.append(
            lambda: write_until_killed(
                server, mentor_token, "/api/v1/visits", "visit", visits, locks["visit"], ledger
            )
        )

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        running = [pool.submit(job) for job in jobs]
        ledger.enough.wait(timeout=BURST_LIMIT_S)
        server.kill()  # SIGKILL, mid-burst: the threads have requests in flight
        for future in running:
            future.result(timeout=30)

    kinds = Counter(kind for kind, _, _ in ledger.acknowledged)
    assert kinds["child"] > 0, (kinds, ledger.refused, server.output()[-3000:])
    assert kinds["visit"] > 0, (kinds, ledger.refused, server.output()[-3000:])
    assert not ledger.refused, (ledger.refused, server.output()[-3000:])

    server.start()
    with server.client("lead") as lead, server.client("mentor") as mentor:
        # Every acknowledged write is there, whole.
        lost: list[tuple[str, int]] = []
        for kind, created, body in ledger.acknowledged:
            if kind == "child":
                response = lead.get(f"/api/v1/children/{created}")
                if response.status_code != 200 or stored_child(response.json(), body) != body:
                    lost.append((kind, created))
            else:
                response = lead.get(f"/api/v1/visits/{created}")
                if response.status_code != 200 or stored_visit(response.json()) != sent_visit(body):
                    lost.append((kind, created))
        assert not lost, (lost, len(ledger.acknowledged))

        # Nothing is there twice; what the kill left unanswered is there whole or not at all.
        stored_children = [
            c for c in lead.get("/api/v1/children").json() if c["reference"].startswith("CRASH-")
        ]
        references = Counter(c["reference"] for c in stored_children)
        assert max(references.values()) == 1, references.most_common(3)
        by_reference = {c["reference"]: c for c in stored_children}
        stored_visits = [
            v
            for v in mentor.get("/api/v1/visits").json()
            if (v["summary"] or "").startswith("Crash-test visit")
        ]
        summaries = Counter(v["summary"] for v in stored_visits)
        assert max(summaries.values()) == 1, summaries.most_common(3)
        by_summary = {v["summary"]: v for v in stored_visits}
        for kind, body in ledger.unanswered:
            if kind == "child" and body["reference"] in by_reference:
                assert stored_child(by_reference[body["reference"]], body) == body
            if kind == "visit" and body["summary"] in by_summary:
                assert stored_visit(by_summary[body["summary"]]) == sent_visit(body)
        stored_keys = set(by_reference) | set(by_summary)
        sent_keys = {key(body) for _, _, body in ledger.acknowledged}
        sent_keys |= {key(body) for _, body in ledger.unanswered}
        assert stored_keys <= sent_keys, stored_keys - sent_keys  # nothing never sent

        # And the restarted server takes writes again.
        again = lead.post("/api/v1/children", json=next(children))
        assert again.status_code == 201, again.text

    unanswered_stored = sum(1 for _, body in ledger.unanswered if key(body) in stored_keys)
    log.info(
        f"{server.database_url.split(':')[0]}: {len(ledger.acknowledged)} writes acknowledged"
        f" ({kinds['child']} children, {kinds['visit']} visits), all found whole after SIGKILL;"
        f" {len(ledger.unanswered)} in flight at the kill, {unanswered_stored} of them stored;"
        f" {time.monotonic() - began:.1f} s"
    )
    assert time.monotonic() - began < 30
