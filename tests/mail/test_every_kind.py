"""Every kind of email, end to end (issue 16: "each email's trigger, content and single
delivery through the real SMTP server"): caused the way a person causes it (the API, the
pages, or the clock reaching a reminder's time), sent by the real worker (its default jobs:
the reminders, then the outbox) to a real SMTP server (tests/support/smtp.py), arriving once,
to the right people, with its subject and a link into Tandem, never naming the child; and
nothing more arrives when the worker runs again, now and a day later.

The writes here are real commits, on a database of the test's own (a copy of one migrated
for the module): the worker reads them with its own sessions, as `tandem worker` does. On
SQLite, and on PostgreSQL when TANDEM_DATABASE_URL names a server."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

import app.db
from app.auth.models import User
from app.config import get_settings
from app.db import create_db_engine
from app.mail.kinds import Kind
from app.notify import reminders
from app.notify.worker import Worker
from tests.auth.mfa_support import code_at
from tests.support.auth import change_password, request_token
from tests.support.clock import LONDON, Clock
from tests.support.databases import DatabaseFactory
from tests.support.fixtures import MakeChild
from tests.support.links import FORGOT_URL, NEW_PASSWORD
from tests.support.mentoring import MakeMentor, make_match, mentor_user
from tests.support.people import PASSWORD, People, Signed
from tests.support.smtp import SmtpServer

pytestmark = pytest.mark.slow  # ~7 s on SQLite, ~11 s on PostgreSQL: a database per test

CHILD = "Zebedee-Unique"  # no email may ever name the child
BIRTHDAY = dt.date(2015, 7, 23)  # nor give their date of birth, however written
BIRTHDAY_FORMS = ("2015-07-23", "23 July 2015", "23/07/2015", "July 23, 2015")
BASE_URL = "https://tandem.every-kind.example.org"
WEDNESDAY = dt.date(2027, 3, 10)  # the suite's day


# The world: a database of the test's own, committed -------------------------------------


@pytest.fixture(scope="module")
def template_url(databases: DatabaseFactory) -> str:
    return databases.migrated("every_kind")


@pytest.fixture
def engine(
    databases: DatabaseFactory, template_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Engine]:
    """This module's `engine`: a fresh copy of the migrated database, the process's engine
    too (for any code that asks app.db for it)."""
    engine = create_db_engine(databases.copy_of(template_url))
    monkeypatch.setattr(app.db, "_engine", engine)
    yield engine
    engine.dispose()


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """This module's `db`: its commits are real (the app's requests use it too)."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture(autouse=True)
def _mail_settings(smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Mail goes to the test's SMTP server, links start with BASE_URL (set before the app
    is built, which reads the settings)."""
    monkeypatch.setenv("TANDEM_BASE_URL", BASE_URL)
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def _forget_quiet_mondays() -> Iterator[None]:
    """Each test starts with no Monday known to have no flags (a process-wide memo)."""
    reminders._quiet_mondays.clear()
    yield
    reminders._quiet_mondays.clear()


@dataclass(frozen=True)
class Expect:
    """One email that must arrive: to whom, its subject, and the path of a link on a line
    of its own (BASE_URL + path; for a link with a one-time token, the path before it)."""

    to: str
    subject: str
    path: str
    token: bool = False  # the path is followed by a one-time token

    @property
    def link(self) -> str:
        return f"{BASE_URL}{self.path}"


@dataclass
class World:
    db: Session
    engine: Engine
    people: People
    signed: Signed
    client: TestClient
    lead_api: TestClient
    admin_api: TestClient
    clock: Clock
    child: dict[str, Any]
    mentor: User
    make_mentor: MakeMentor
    smtp: SmtpServer
    cohort_body: dict[str, Any]
    second_facilitator: User
    _match: dict[str, Any] | None = None

    @property
    def reference(self) -> str:
        return str(self.child["reference"])

    def match(self, start: dt.date | None = None) -> dict[str, Any]:
        """The child matched with the mentor (made once, from a week ago)."""
        if self._match is None:
            day = start or self.clock.today - dt.timedelta(days=7)
            self._match = make_match(self.lead_api, self.child["id"], self.mentor.id or 0, day)
        return self._match

    def mentor_api(self) -> TestClient:
        return self.signed.api(self.mentor)

    def tick(self) -> None:
        run(self.engine)

    def at(self, day: dt.date, hour: int, minute: int = 0) -> None:
        """Move the clock to a wall-clock time in London."""
        self.clock.move_to(dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LONDON))


@pytest.fixture
def world(
    db: Session,
    engine: Engine,
    people: People,
    signed: Signed,
    client: TestClient,
    lead_api: TestClient,
    admin_api: TestClient,
    clock: Clock,
    make_child: MakeChild,
    make_mentor: MakeMentor,
    smtp: SmtpServer,
    cohort_body: dict[str, Any],
    second_facilitator: User,
) -> World:
    """Organisation A's people, the child Zebedee-Unique and a ready mentor (not matched)."""
    child = make_child(first_name=CHILD, date_of_birth=BIRTHDAY.isoformat())
    mentor = mentor_user(db, make_mentor(name="Jo Mentor"))
    return World(
        db,
        engine,
        people,
        signed,
        client,
        lead_api,
        admin_api,
        clock,
        child,
        mentor,
        make_mentor,
        smtp,
        cohort_body,
        second_facilitator,
    )


def run(engine: Engine) -> None:
    """One tick of the real worker with its default jobs (reminders due, then the outbox)."""
    results = Worker(engine=engine).tick()
    assert None not in results, "a job of the worker failed"


# How each kind is caused ------------------------------------------------------------------


def _invitation(w: World) -> list[Expect]:
    body = {"email": "nia@org-a.example.org", "name": "Nia New", "role": "mentor"}
    response = w.admin_api.post("/api/v1/users", json=body)
    assert response.status_code == 201, response.text
    return [
        Expect(body["email"], "You are invited to Tandem for Org A", "/account/reset/", token=True)
    ]


def _password_reset(w: World) -> list[Expect]:
    response = w.client.post(FORGOT_URL, json={"email": w.people.lead.email})
    assert response.is_success, response.text
    return [
        Expect(w.people.lead.email, "Reset your Tandem password", "/account/reset/", token=True)
    ]


def _password_changed(w: World) -> list[Expect]:
    response = change_password(w.signed.pages(w.people.lead), PASSWORD, NEW_PASSWORD)
    assert response.status_code == 303, response.text
    return [Expect(w.people.lead.email, "Your Tandem password was changed", "/account/forgot")]


def _account_locked(w: World) -> list[Expect]:
    for n in range(get_settings().login_max_failures + 2):  # the lock, then refusals
        assert request_token(w.client, w.people.lead.email, f"wrong {n}").status_code >= 400
    return [Expect(w.people.lead.email, "Your Tandem account was locked", "/account/forgot")]


def _mfa_changed(w: World) -> list[Expect]:
    api = w.signed.api(w.people.lead)
    begun = api.post("/api/v1/me/mfa")
    assert begun.status_code == 200, begun.text
    code = code_at(begun.json()["secret"])
    assert api.post("/api/v1/me/mfa/confirm", json={"code": code}).status_code == 204
    return [Expect(w.people.lead.email, "Your two-step sign-in was turned on", "/account/security")]


def _safeguarding_concern(w: World) -> list[Expect]:
    match = w.match()
    w.tick()  # the new mentee's email goes first
    response = w.mentor_api().post(
        "/api/v1/visits",
        json={
            "match_id": match["id"],
            "date": (w.clock.today - dt.timedelta(days=1)).isoformat(),
            "start_time": "15:00",
            "duration_minutes": 60,
            "status": "completed",
            "summary": f"{CHILD} (born {BIRTHDAY:%d %B %Y}) said something worrying",
            "safeguarding_concern": True,
        },
    )
    assert response.status_code == 201, response.text
    visit = response.json()
    return [
        Expect(
            w.people.lead.email,
            f"Safeguarding concern raised about {w.reference}",
            f"/visits/{visit['id']}#concern-review",
        )
    ]


def _session_not_recorded(w: World) -> list[Expect]:
    monday = WEDNESDAY + dt.timedelta(days=5)
    response = w.lead_api.post(
        "/api/v1/cohorts", json={**w.cohort_body, "start_date": monday.isoformat()}
    )
    assert response.status_code == 201, response.text
    cohort = response.json()
    enrolled = w.lead_api.post(
        f"/api/v1/cohorts/{cohort['id']}/enrolments",
        json={"child_id": w.child["id"], "start_date": monday.isoformat()},
    )
    assert enrolled.status_code == 201, enrolled.text
    (first,) = [s for s in cohort["sessions"] if s["date"] == monday.isoformat()]
    w.tick()
    w.at(monday + dt.timedelta(days=1), 7, 59)  # the morning after, not yet 08:00
    _nothing_due(w)
    w.at(monday + dt.timedelta(days=1), 8, 0)
    return [
        Expect(
            facilitator.email,
            "Register not recorded: Monday group, 15 March 2027",
            f"/sessions/{first['id']}",
        )
        for facilitator in (w.people.facilitator, w.second_facilitator)
    ]


def _visit_reminder(w: World) -> list[Expect]:
    match = w.match()
    friday = WEDNESDAY + dt.timedelta(days=2)
    response = w.mentor_api().post(
        "/api/v1/visits",
        json={
            "match_id": match["id"],
            "date": friday.isoformat(),
            "start_time": "15:30",
            "duration_minutes": 60,
            "status": "planned",
        },
    )
    assert response.status_code == 201, response.text
    visit = response.json()
    w.tick()
    w.at(friday - dt.timedelta(days=1), 8, 59)  # the day before, not yet 09:00
    _nothing_due(w)
    w.at(friday - dt.timedelta(days=1), 9, 0)
    return [
        Expect(
            w.mentor.email,
            "Reminder: your visit tomorrow, Friday 12 March 2027",
            f"/visits/{visit['id']}",
        )
    ]


def _new_match(w: World) -> list[Expect]:
    w.match()
    return [Expect(w.mentor.email, f"You have a new mentee ({w.reference})", "/mentor")]


def _dbs_expiring(w: World) -> list[Expect]:
    years = w.people.org.dbs_renewal_years
    runs_out = WEDNESDAY + dt.timedelta(days=61)  # tomorrow it is 60 days away
    checked = runs_out.replace(year=runs_out.year - years)
    mentor = mentor_user(w.db, w.make_mentor(name="Dee Bees", dbs_checked_on=checked.isoformat()))
    w.tick()
    _nothing_due(w)
    w.at(WEDNESDAY + dt.timedelta(days=1), 0, 1)
    subject = f"DBS check runs out on {runs_out.day} {runs_out:%B %Y}"
    return [
        Expect(mentor.email, f"Your {subject}", "/account/notifications"),
        Expect(
            w.people.lead.email,
            f"Dee Bees's {subject}",
            f"/mentors/{mentor.id}",
        ),
    ]


def _weekly_digest(w: World) -> list[Expect]:
    expected = _safeguarding_concern(w)  # an open flag: a concern not yet reviewed
    w.tick()
    monday = WEDNESDAY + dt.timedelta(days=5)
    w.at(monday, 6, 59)
    _nothing_due(w)
    w.at(monday, 7, 0)
    assert expected
    return [Expect(w.people.lead.email, "This week in Org A: 1 flag needs attention", "/fidelity")]


def _nothing_due(w: World) -> None:
    mailbox = w.smtp.mailbox
    before = len(mailbox.messages)
    w.tick()
    assert len(mailbox.messages) == before, "a reminder went out before its time"


CASES: dict[Kind, Callable[[World], list[Expect]]] = {
    Kind.invitation: _invitation,
    Kind.password_reset: _password_reset,
    Kind.password_changed: _password_changed,
    Kind.account_locked: _account_locked,
    Kind.mfa_changed: _mfa_changed,
    Kind.safeguarding_concern: _safeguarding_concern,
    Kind.session_not_recorded: _session_not_recorded,
    Kind.visit_reminder: _visit_reminder,
    Kind.new_match: _new_match,
    Kind.dbs_expiring: _dbs_expiring,
    Kind.weekly_digest: _weekly_digest,
}


def test_every_kind_of_email_has_a_case_here() -> None:
    assert set(CASES) == set(Kind)


# What arrives ----------------------------------------------------------------------------


def _text(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def _whole(message: EmailMessage) -> str:
    """Everything a reader could see: the headers, decoded, and the decoded body."""
    headers = "\n".join(f"{name}: {value}" for name, value in message.items())
    return f"{headers}\n{_text(message)}\n{message.as_string()}"


def _names_no_child(messages: list[EmailMessage]) -> None:
    for message in messages:
        whole = _whole(message)
        for secret in (CHILD, *BIRTHDAY_FORMS):
            assert secret not in whole, (message["Subject"], secret)


@pytest.mark.parametrize("kind", list(CASES), ids=str)
def test_each_kind_arrives_once_and_names_no_child(kind: Kind, world: World) -> None:
    mailbox = world.smtp.mailbox
    world.tick()  # whatever setting up the world sent
    expected = CASES[kind](world)
    before = len(mailbox.messages)
    world.tick()
    arrived = mailbox.messages[before:]

    assert sorted((str(m["X-Tandem-Kind"]), str(m["To"])) for m in arrived) == sorted(
        (kind.value, e.to) for e in expected
    )
    envelopes = mailbox.envelopes[before:]
    assert sorted(to for _, tos in envelopes for to in tos) == sorted(e.to for e in expected)
    for want in expected:
        (message,) = [m for m in arrived if m["To"] == want.to]
        assert message["Subject"] == want.subject
        assert f"{BASE_URL}{want.path}" in _text(message)
    _names_no_child(mailbox.messages)  # this kind's, and all the world's others

    # Once: the worker again, now and a day later, sends nothing more.
    world.tick()
    world.clock.shift(dt.timedelta(days=1))
    world.tick()
    assert len(mailbox.messages) == before + len(expected)
