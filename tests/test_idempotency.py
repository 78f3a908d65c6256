"""`Idempotency-Key` on the five creating endpoints (children, enrolments, matches, visits,
check-ins): a retry with the same key and body is answered with the first response and
creates nothing; the same key with another body is 422; keys are the caller's own; they
last 24 hours. Refusals are not kept: a refused request leaves the key free, so a retry
(or a corrected body) runs afresh."""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.auth.models import User
from app.children.models import Child
from app.cohorts.models import Enrolment
from app.idempotency import HEADER, REPLAYED_HEADER, IdempotencyKey
from app.mentoring.models import CheckIn, Match, MentorVisit
from tests.support.clock import Clock
from tests.support.databases import DatabaseFactory
from tests.support.mentoring import DAY, MakeMentor, Programme, make_match, mentor_user
from tests.support.people import People, Signed
from tests.support.rows import count_rows
from tests.support.served import serve


@dataclass
class Case:
    """One endpoint: who posts, three valid bodies (the first, another for the same key,
    one for another person) and the table that grows."""

    path: str
    model: type
    client: TestClient
    other: TestClient  # another person allowed to post here
    user: User
    first: dict[str, Any]
    changed: dict[str, Any]
    for_other: dict[str, Any]


ENDPOINTS = ["children", "enrolments", "matches", "check-ins", "visits"]


def _child_body(reference: str) -> dict[str, Any]:
    return {
        "reference": reference,
        "first_name": "Robin",
        "date_of_birth": "2016-03-01",
        "placement_type": "foster",
        "consent_given_by": "Social worker",
        "consent_given_on": "2026-09-01",
    }


@pytest.fixture
def make_case(
    signed: Signed,
    people: People,
    db: Session,
    lead_api: TestClient,
    programme: Programme,
    make_mentor: MakeMentor,
    make_child: Callable[..., dict[str, Any]],
    clock: Clock,
) -> Callable[[str], Case]:
    day = clock.today
    admin_api = signed.api(people.admin)

    def make(name: str) -> Case:
        if name == "children":
            return Case(
                "/api/v1/children",
                Child,
                lead_api,
                admin_api,
                people.lead,
                _child_body("IK-1"),
                _child_body("IK-2"),
                _child_body("IK-3"),
            )
        if name == "enrolments":
            spare = [make_child()["id"] for _ in range(3)]
            return Case(
                f"/api/v1/cohorts/{programme.cohort['id']}/enrolments",
                Enrolment,
                lead_api,
                admin_api,
                people.lead,
                {"child_id": spare[0]},
                {"child_id": spare[1]},
                {"child_id": spare[2]},
            )
        if name == "matches":
            mentors = [make_mentor()["user_id"], make_mentor()["user_id"]]
            children = [c["id"] for c in programme.children]
            start = day.isoformat()
            return Case(
                "/api/v1/matches",
                Match,
                lead_api,
                admin_api,
                people.lead,
                {"child_id": children[0], "mentor_id": mentors[0], "start_date": start},
                {"child_id": children[1], "mentor_id": mentors[0], "start_date": start},
                {"child_id": children[2], "mentor_id": mentors[1], "start_date": start},
            )
        mentor = make_mentor()
        match = make_match(
            lead_api, programme.children[0]["id"], mentor["user_id"], programme.start
        )
        if name == "check-ins":
            return Case(
                f"/api/v1/matches/{match['id']}/check-ins",
                CheckIn,
                lead_api,
                admin_api,
                people.lead,
                {"date": day.isoformat(), "with_mentor": True},
                {"date": day.isoformat(), "with_child": True},
                {"date": (day - DAY).isoformat(), "with_carer": True},
            )
        assert name == "visits"
        user = mentor_user(db, mentor)

        def visit(on: dt.date, start: str) -> dict[str, Any]:
            return {
                "match_id": match["id"],
                "date": on.isoformat(),
                "start_time": start,
                "duration_minutes": 60,
                "status": "completed",
                "summary": "Baked bread.",
            }

        return Case(
            "/api/v1/visits",
            MentorVisit,
            signed.api(user),
            lead_api,  # the lead may log the mentor's visits too
            user,
            visit(day - 3 * DAY, "10:00"),
            visit(day - 3 * DAY, "12:00"),
            visit(day - 4 * DAY, "10:00"),
        )

    return make


def _key() -> dict[str, str]:
    return {HEADER: str(uuid.uuid4())}


@pytest.mark.parametrize("name", ENDPOINTS)
def test_a_retry_gets_the_first_response_and_creates_nothing(
    make_case: Callable[[str], Case], db: Session, name: str
) -> None:
    case = make_case(name)
    key = _key()
    before = count_rows(db, case.model)
    first = case.client.post(case.path, json=case.first, headers=key)
    assert first.status_code == 201, first.text
    assert REPLAYED_HEADER not in first.headers
    assert count_rows(db, case.model) == before + 1
    again = case.client.post(case.path, json=case.first, headers=key)
    assert again.status_code == 201
    assert again.content == first.content
    assert again.headers["content-type"] == "application/json"
    assert again.headers[REPLAYED_HEADER] == "true"
    # The same body written otherwise (keys in another order, spaces) is the same body.
    reordered = json.dumps(dict(reversed(list(case.first.items()))), indent=2)
    third = case.client.post(
        case.path, content=reordered, headers={**key, "Content-Type": "application/json"}
    )
    assert (third.status_code, third.content) == (201, first.content)
    assert count_rows(db, case.model) == before + 1


@pytest.mark.parametrize("name", ENDPOINTS)
def test_the_same_key_with_another_body_is_refused(
    make_case: Callable[[str], Case], db: Session, name: str
) -> None:
    case = make_case(name)
    key = _key()
    assert case.client.post(case.path, json=case.first, headers=key).status_code == 201
    before = count_rows(db, case.model)
    refused = case.client.post(case.path, json=case.changed, headers=key)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert problem["errors"][0]["loc"] == ["header", HEADER]
    assert "another request body" in problem["detail"]
    assert count_rows(db, case.model) == before
    # With a key of its own, that body is a request like any other.
    assert case.client.post(case.path, json=case.changed, headers=_key()).status_code == 201


@pytest.mark.parametrize("name", ENDPOINTS)
def test_keys_are_each_persons_own(
    make_case: Callable[[str], Case], db: Session, name: str
) -> None:
    case = make_case(name)
    key = _key()
    assert case.client.post(case.path, json=case.first, headers=key).status_code == 201
    before = count_rows(db, case.model)
    theirs = case.other.post(case.path, json=case.for_other, headers=key)
    assert theirs.status_code == 201, theirs.text
    assert REPLAYED_HEADER not in theirs.headers
    assert count_rows(db, case.model) == before + 1


@pytest.mark.parametrize("name", ENDPOINTS)
def test_without_a_key_nothing_is_replayed(
    make_case: Callable[[str], Case], db: Session, name: str
) -> None:
    case = make_case(name)
    before = count_rows(db, case.model)
    first = case.client.post(case.path, json=case.first)
    assert first.status_code == 201, first.text
    assert count_rows(db, case.model) == before + 1
    # The same request again is handled as a new one, as before: a second check-in, or
    # refused as a duplicate elsewhere.
    again = case.client.post(case.path, json=case.first)
    assert REPLAYED_HEADER not in again.headers
    if name == "check-ins":
        assert again.status_code == 201
        assert again.json()["id"] != first.json()["id"]
        assert count_rows(db, case.model) == before + 2
    else:
        assert again.status_code in (409, 422), again.text
        assert count_rows(db, case.model) == before + 1
    assert count_rows(db, IdempotencyKey) == 0


@pytest.mark.parametrize("name", ENDPOINTS)
def test_refusals_are_not_kept(make_case: Callable[[str], Case], db: Session, name: str) -> None:
    case = make_case(name)
    key = _key()
    before = count_rows(db, case.model)
    # Invalid input (422): nothing created, nothing kept, so a corrected body may follow.
    assert case.client.post(case.path, json={}, headers=key).status_code == 422
    assert count_rows(db, IdempotencyKey) == 0
    created = case.client.post(case.path, json=case.first, headers=key)
    assert created.status_code == 201, created.text
    assert count_rows(db, case.model) == before + 1


@pytest.mark.parametrize("name", ENDPOINTS)
def test_after_24_hours_the_key_is_free_again(
    make_case: Callable[[str], Case],
    db: Session,
    signed: Signed,
    clock: Clock,
    name: str,
) -> None:
    case = make_case(name)
    key = _key()
    assert case.client.post(case.path, json=case.first, headers=key).status_code == 201
    clock.shift(dt.timedelta(hours=25))
    again = signed.api(case.user)  # API tokens last 12 hours
    before = count_rows(db, case.model)
    # Another body with the old key is a new request now, not a mismatch.
    created = again.post(case.path, json=case.changed, headers=key)
    assert created.status_code == 201, created.text
    assert REPLAYED_HEADER not in created.headers
    assert count_rows(db, case.model) == before + 1
    # The expired entry was deleted; the new one is the only one left.
    assert count_rows(db, IdempotencyKey) == 1


def test_keys_are_kept_hashed_and_per_endpoint(
    make_case: Callable[[str], Case], db: Session, lead_api: TestClient
) -> None:
    key = {HEADER: "order-4711-child"}
    children = make_case("children")
    assert lead_api.post(children.path, json=children.first, headers=key).status_code == 201
    # The same key on another endpoint is another key.
    check_ins = make_case("check-ins")
    assert lead_api.post(check_ins.path, json=check_ins.first, headers=key).status_code == 201
    rows = db.exec(select(IdempotencyKey)).all()
    assert len(rows) == 2
    for row in rows:
        assert "order-4711" not in row.key_hash
        assert len(row.key_hash) == 64
        assert "Robin" not in row.body_hash
        assert row.status == 201
        assert row.response
    assert {row.path for row in rows} == {children.path, check_ins.path}


def test_a_key_too_long_or_empty_is_refused(lead_api: TestClient, db: Session) -> None:
    for bad in ("x" * 256, ""):
        response = lead_api.post(
            "/api/v1/children", json=_child_body("IK-9"), headers={HEADER: bad}
        )
        assert response.status_code == 422, response.text
    assert count_rows(db, Child) == 0


def test_the_header_is_documented_on_the_creating_operations(client: TestClient) -> None:
    document = client.get("/api/v1/openapi.json").json()
    expected = {
        ("/api/v1/children", "post"),
        ("/api/v1/cohorts/{cohort_id}/enrolments", "post"),
        ("/api/v1/matches", "post"),
        ("/api/v1/matches/{match_id}/check-ins", "post"),
        ("/api/v1/visits", "post"),
        ("/api/v1/visits/{visit_id}/concern-review", "post"),
    }
    documented = {
        (path, method)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if any(
            p.get("in") == "header" and p.get("name") == HEADER
            for p in operation.get("parameters", [])
        )
    }
    assert documented == expected


# Real concurrency: a real server, the same key from several clients at once ---------------

THREADS = 8
ROUNDS = 5


def _post_at_once(base_url: str, headers: dict[str, str], body: dict[str, Any]) -> list[Any]:
    """THREADS posts of a new child, released together: (status, body) of each."""
    barrier = threading.Barrier(THREADS, timeout=60)
    answers: list[tuple[int, bytes]] = []
    lock = threading.Lock()

    def post() -> None:
        with httpx.Client(base_url=base_url, headers=headers, timeout=60) as client:
            barrier.wait()
            response = client.post("/api/v1/children", json=body)
        with lock:
            answers.append((response.status_code, response.content))

    threads = [threading.Thread(target=post) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(answers) == THREADS, "a request did not finish"
    return answers


def test_the_same_key_sent_at_once_creates_once(databases: DatabaseFactory, tmp_path: Path) -> None:
    with serve(databases, tmp_path) as server:
        token = server.token("lead")
        outcomes: list[Counter[int]] = []
        for n in range(ROUNDS):
            headers = {HEADER: f"race-{n}", "Authorization": f"Bearer {token}"}
            answers = _post_at_once(server.base_url, headers, _child_body(f"RACE-{n}"))
            outcomes.append(Counter(status for status, _ in answers))
            assert {status for status, _ in answers} <= {201, 409}, answers
            assert len({content for status, content in answers if status == 201}) == 1
            with server.client("lead") as lead:
                found = lead.get("/api/v1/children", params={"q": f"RACE-{n}"}).json()
            assert [c["reference"] for c in found] == [f"RACE-{n}"], (n, outcomes)
