"""The same assessment sent from several tablets at once, and one assessment corrected from
two tabs at once, against a real server (issue 17, "a second baseline: a clear 4xx, nothing
stored"): exactly one is stored (201) or applied (200), every other request is a 409
problem+json, and never a 500 or a second row. On SQLite and on PostgreSQL (the suite's
second run), with the demo organisation's children and the real measures."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from tests.support.clock import Clock
from tests.support.databases import DatabaseFactory
from tests.support.served import Served, serve

THREADS = 8
INFORMANTS = ("carer", "teacher", "self")
CORRECTION_ROUNDS = 5
SDQ_ENTERED = ("emotional", "conduct", "hyperactivity", "peer", "prosocial")


@pytest.fixture
def server(databases: DatabaseFactory, tmp_path: Path) -> Iterator[Served]:
    with serve(databases, tmp_path) as served:
        yield served


def _at_once(
    server: Served, token: str, send: Callable[[httpx.Client, int], httpx.Response]
) -> list[httpx.Response]:
    """THREADS requests, each from its own client and connection, released together."""
    barrier = threading.Barrier(THREADS, timeout=60)
    answers: list[httpx.Response] = []
    lock = threading.Lock()

    def one(n: int) -> None:
        with httpx.Client(
            base_url=server.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60
        ) as client:
            client.get("/healthz")  # the connection is open before the barrier
            barrier.wait()
            answer = send(client, n)
            answer.read()
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(answers) == THREADS, "a request did not finish"
    return answers


def _sdq_due(lead: httpx.Client, today: dt.date) -> dict[str, Any]:
    """An SDQ timepoint of a demo child that nobody has assessed yet, whose window has opened
    (due or overdue)."""
    response = lead.get("/api/v1/outcomes", params={"measure": "sdq", "as_of": today.isoformat()})
    assert response.status_code == 200, response.text
    due = [
        d
        for d in response.json()["due"]
        if d["measure"] == "sdq" and dt.date.fromisoformat(d["due_from"]) <= today
    ]
    assert due, "the demo has no SDQ due"
    return dict(due[0])


def _problem(answer: httpx.Response) -> None:
    assert answer.headers["content-type"].startswith("application/problem+json"), answer.text
    assert answer.json()["status"] == 409


def test_the_same_assessment_sent_at_once_is_stored_once(server: Served, clock: Clock) -> None:
    """A round for each of the SDQ's informants, each a race for a row nobody holds yet."""
    token = server.token("lead")
    with server.client("lead") as lead:
        due = _sdq_due(lead, clock.today)
        child = due["child_id"]
        on = min(clock.today, dt.date.fromisoformat(due["due_by"]))
        for informant in INFORMANTS:
            body = {
                "measure": "sdq",
                "informant": informant,
                "timepoint": due["timepoint"],
                "completed_on": on.isoformat(),
                "scores": dict.fromkeys(SDQ_ENTERED, 3),
            }

            def send(client: httpx.Client, _n: int, body: dict[str, Any] = body) -> httpx.Response:
                return client.post(f"/api/v1/children/{child}/assessments", json=body)

            answers = _at_once(server, token, send)
            statuses = Counter(a.status_code for a in answers)
            assert statuses == {201: 1, 409: THREADS - 1}, (informant, statuses)
            for answer in answers:
                if answer.status_code == 409:
                    _problem(answer)
                    assert "correct that one instead" in answer.json()["detail"]
            stored = [
                a["id"]
                for a in lead.get(f"/api/v1/children/{child}/assessments").json()
                if (a["measure"], a["informant"], a["timepoint"])
                == ("sdq", informant, due["timepoint"])
            ]
            (made,) = (a.json() for a in answers if a.status_code == 201)
            assert stored == [made["id"]], (informant, stored)


def test_one_assessment_corrected_from_two_tabs_at_once_changes_once(
    server: Served, clock: Clock
) -> None:
    """In each round every tab has read the same version and sends its own scores: one
    correction is applied, the others are told someone else came first (409 with the
    version now stored), and what is stored is the winner's."""
    token = server.token("lead")
    with server.client("lead") as lead:
        due = _sdq_due(lead, clock.today)
        child = due["child_id"]
        on = min(clock.today, dt.date.fromisoformat(due["due_by"]))
        made = lead.post(
            f"/api/v1/children/{child}/assessments",
            json={
                "measure": "sdq",
                "informant": "teacher",
                "timepoint": due["timepoint"],
                "completed_on": on.isoformat(),
                "scores": dict.fromkeys(SDQ_ENTERED, 0),
            },
        )
        assert made.status_code == 201, made.text
        assessment = made.json()["id"]

        for version in range(1, CORRECTION_ROUNDS + 1):

            def correct(client: httpx.Client, n: int, version: int = version) -> httpx.Response:
                scores = {**dict.fromkeys(SDQ_ENTERED, version % 2), "emotional": n + 1}
                return client.patch(
                    f"/api/v1/assessments/{assessment}",
                    json={"version": version, "scores": scores},
                )

            answers = _at_once(server, token, correct)
            statuses = Counter(a.status_code for a in answers)
            assert statuses == {200: 1, 409: THREADS - 1}, (version, statuses)
            (winner,) = (a.json() for a in answers if a.status_code == 200)
            assert winner["version"] == version + 1
            for answer in answers:
                if answer.status_code == 409:
                    _problem(answer)
                    assert answer.json()["current_version"] == version + 1
            (stored,) = (
                a
                for a in lead.get(f"/api/v1/children/{child}/assessments").json()
                if a["id"] == assessment
            )
            assert (stored["version"], stored["scores"]) == (version + 1, winner["scores"])
