"""The API against its own OpenAPI document: generated requests, no 5xx, responses as documented."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import settings
from hypothesis import strategies as st
from schemathesis import BaseSchema
from schemathesis.config import PositiveDataAcceptanceConfig
from sqlmodel import Session, col, select

from app.auth.service import issue_token
from app.mentoring.models import MentorVisit
from app.sessions.models import PracticeAssignment
from tests.support.mentoring import Programme, make_match, ready_checks, record
from tests.support.people import People

ROLES = ("admin", "lead", "facilitator", "mentor")
# Four roles, each over every operation: about 30 s of one core each (measured), most of it
# schemathesis' boundary cases, whatever the number of examples. 12 examples an operation
# and role; TANDEM_SCHEMATHESIS_EXAMPLES=100 (say) digs deeper, for a nightly or a release.
EXAMPLES = int(os.environ.get("TANDEM_SCHEMATHESIS_EXAMPLES", "12"))
schemathesis_settings = settings(max_examples=EXAMPLES, deadline=None)


@dataclass
class Seeded:
    """Ids of a small running programme, so that generated requests reach real rows: a
    cohort of four with its sessions (one recorded), a mentor (people.mentor) matched with
    one child, with visits planned."""

    ids: dict[str, list[int]] = field(default_factory=dict)


@pytest.fixture
def seeded(
    lead_api: TestClient,
    people: People,
    db: Session,
    programme: Programme,
    curriculum_id: int,
    today: dt.date,
) -> Seeded:
    mentor_id = people.mentor.id or 0
    made = lead_api.post("/api/v1/mentors", json={"user_id": mentor_id, **ready_checks(today)})
    assert made.status_code == 201, made.text
    child_ids = [c["id"] for c in programme.children]
    match = make_match(lead_api, child_ids[0], mentor_id, programme.start)
    sessions = programme.sessions(lead_api)
    past = programme.past_sessions(lead_api, today)
    record(lead_api, past[-1]["id"], people.facilitator.id or 0)
    planned = lead_api.post(
        f"/api/v1/matches/{match['id']}/visit-plan",
        json={"weekday": 4, "start_time": "16:00", "duration_minutes": 60},
    )
    assert planned.status_code == 201, planned.text
    cohort = lead_api.get(f"/api/v1/cohorts/{programme.cohort['id']}").json()
    visit_ids = list(db.exec(select(MentorVisit.id).where(MentorVisit.match_id == match["id"])))
    assignment_ids = list(
        db.exec(
            select(PracticeAssignment.id).where(col(PracticeAssignment.child_id).in_(child_ids))
        )
    )
    return Seeded(
        {
            "user_id": [people.admin.id or 0, people.facilitator.id or 0, mentor_id],
            "child_id": child_ids,
            "cohort_id": [programme.cohort["id"]],
            "session_id": [s["id"] for s in sessions[:3]] + [past[-1]["id"]],
            "enrolment_id": [e["id"] for e in cohort["enrolments"]],
            "curriculum_id": [curriculum_id],
            "mentor_id": [mentor_id],
            "match_id": [match["id"]],
            "visit_id": [v for v in visit_ids if v is not None][:4],
            "assignment_id": [a for a in assignment_ids if a is not None][:4],
        }
    )


def _valid_id(value: Any) -> bool:
    try:
        return 1 <= int(value) <= 2**31 - 1 and str(int(value)) == str(value).strip()
    except (TypeError, ValueError):
        return False


def _towards_real_ids(ids: dict[str, list[int]]) -> Callable[[Any, Any], Any]:
    """A `flatmap_*` hook: half the time, every id parameter names a seeded row."""

    def hook(context: Any, params: dict[str, Any] | None) -> Any:
        real = {k: st.sampled_from(ids[k]) for k in params or {} if ids.get(k)}
        if not params or not real:
            return st.just(params)
        if not all(_valid_id(params[k]) for k in real):
            return st.just(params)  # a negative case, made to be refused: left as it is
        kept = {k: st.just(v) for k, v in params.items() if k not in real}
        return st.one_of(st.just(params), st.fixed_dictionaries({**kept, **real}))

    return hook


@pytest.fixture
def api_schema(app: FastAPI, seeded: Seeded, role: str) -> BaseSchema:
    # `role` here puts each role's run in a test of its own (schemathesis' test takes its
    # fixtures from its schema's fixture).
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    # Every check runs. A request the document allows may still break a rule only the
    # service knows (a date of birth too recent, two facilitators who are the same person):
    # that is the 422 each route documents, so positive-data acceptance counts it as an answer.
    schema.config.checks.positive_data_acceptance = PositiveDataAcceptanceConfig(
        expected_statuses=["2xx", "3xx", "401", "403", "404", "409", "422", "429"]
    )
    towards = _towards_real_ids(seeded.ids)
    schema.hook("flatmap_path_parameters")(towards)
    schema.hook("flatmap_query")(towards)
    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture(params=ROLES)
def role(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def token_for(people: People, db: Session, role: str) -> Callable[[], str]:
    """Issues a new bearer token for the test's role."""

    def issue() -> str:
        raw, _ = issue_token(db, user=people.by_role(role))
        db.commit()
        return raw

    return issue


@pytest.fixture
def bearer(token_for: Callable[[], str]) -> str:
    return token_for()


@pytest.mark.contract
@schema.parametrize()
@schemathesis_settings
def test_api_conforms_to_its_openapi_document(
    case: schemathesis.Case[Any],
    bearer: str,
    token_for: Callable[[], str],
    role: str,
) -> None:
    # Signed in as each role in turn (`role`: a separate test each, for pytest-xdist), so
    # requests reach the handlers; every check schemathesis has, which includes
    # not_a_server_error (no 5xx, ever). Signing out revokes the token it is sent with, so
    # it gets one of its own.
    token = token_for() if case.path.endswith("/auth/logout") else bearer
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"})


def test_openapi_document_describes_the_contract(client: TestClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    paths = document["paths"]
    assert "/api/v1/curricula" in paths
    assert "/api/v1/curricula/{curriculum_id}/weeks" in paths
    assert "/healthz" in paths
    # HTML pages are not part of the API document.
    assert not any(p.startswith("/curriculum") for p in paths)
    weeks = paths["/api/v1/curricula/{curriculum_id}/weeks"]["get"]["responses"]
    for code in ("404", "422"):
        assert "application/problem+json" in weeks[code]["content"], code
    assert "Problem" in document["components"]["schemas"]
    assert "HTTPValidationError" not in document["components"]["schemas"]
