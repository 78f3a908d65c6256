"""The admin's view of the outbox: /admin/email and GET /api/v1/outbox (counts of the last
7 days, the latest messages without their bodies) and "Try again" for a failed message,
audited. Only admins, and only their own organisation's email."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.audit.models import AuditEvent
from app.mail.models import OutboxMessage, OutboxStatus
from tests.support.pages import post
from tests.support.people import PageClient, People, Signed
from tests.support.smtp import make_message


def _outbox(db: Session, people: People) -> dict[str, OutboxMessage]:
    org = people.org.id
    now = datetime.now(UTC)
    return {
        "queued": make_message(db, n=1, org_id=org),
        "sent": make_message(
            db, n=2, org_id=org, status=OutboxStatus.sent, attempts=1, sent_at=now
        ),
        "failed": make_message(
            db,
            n=3,
            org_id=org,
            status=OutboxStatus.failed,
            attempts=8,
            last_error="SMTP 451: 4.3.0 Mailbox busy",
        ),
        "old": make_message(
            db,
            n=4,
            org_id=org,
            status=OutboxStatus.sent,
            created_at=now - timedelta(days=8),
            next_attempt_at=now - timedelta(days=8),
        ),
        "other": make_message(db, n=5, org_id=people.other_org.id, to_address="b@org-b.example"),
    }


def test_the_api_lists_counts_and_messages_without_bodies(
    db: Session, people: People, admin_api: TestClient
) -> None:
    box = _outbox(db, people)

    answer = admin_api.get("/api/v1/outbox")

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["counts"] == {"queued": 1, "sent": 1, "failed": 1}
    ids = [item["id"] for item in body["items"]]
    assert set(ids) == {box[k].id for k in ("queued", "sent", "failed", "old")}
    failed = next(item for item in body["items"] if item["id"] == box["failed"].id)
    assert failed["status"] == "failed"
    assert failed["attempts"] == 8
    assert failed["last_error"] == "SMTP 451: 4.3.0 Mailbox busy"
    assert failed["to"] == "person3@example.org"
    assert failed["kind"] == "password_reset"
    assert "secret-" not in answer.text  # bodies hold links with tokens
    assert "body" not in failed
    assert "b@org-b.example" not in answer.text


def test_the_api_refuses_a_limit_out_of_range(admin_api: TestClient) -> None:
    assert admin_api.get("/api/v1/outbox?limit=0").status_code == 422
    assert admin_api.get("/api/v1/outbox?limit=abc").status_code == 422
    assert admin_api.get("/api/v1/outbox?limit=501").status_code == 422


def test_other_roles_cannot_see_the_outbox(db: Session, people: People, signed: Signed) -> None:
    for user in (people.lead, people.facilitator, people.mentor):
        assert signed.api(user).get("/api/v1/outbox").status_code == 403
        assert signed.pages(user).get("/admin/email").status_code == 403


def test_a_failed_message_can_be_tried_again_through_the_api(
    db: Session, people: People, admin_api: TestClient
) -> None:
    box = _outbox(db, people)

    answer = admin_api.post(f"/api/v1/outbox/{box['failed'].id}/retry")

    assert answer.status_code == 200, answer.text
    assert (answer.json()["status"], answer.json()["attempts"]) == ("queued", 0)
    db.expire_all()
    row = db.get(OutboxMessage, box["failed"].id)
    assert row is not None
    assert (row.status, row.attempts) == (OutboxStatus.queued, 0)
    assert row.next_attempt_at <= datetime.now(UTC)
    (event,) = db.exec(
        select(AuditEvent).where(AuditEvent.entity == "email", AuditEvent.action == "retry")
    ).all()
    assert (event.entity_id, event.actor_id) == (row.id, people.admin.id)
    assert event.changes == {"status": ["failed", "queued"], "attempts": [8, 0]}


def test_only_a_failed_message_of_ones_own_organisation_can_be_tried_again(
    db: Session, people: People, admin_api: TestClient, signed: Signed
) -> None:
    box = _outbox(db, people)

    sent = admin_api.post(f"/api/v1/outbox/{box['sent'].id}/retry")
    queued = admin_api.post(f"/api/v1/outbox/{box['queued'].id}/retry")
    other = admin_api.post(f"/api/v1/outbox/{box['other'].id}/retry")
    missing = admin_api.post("/api/v1/outbox/999999/retry")
    foreign = signed.api(people.other_admin).post(f"/api/v1/outbox/{box['failed'].id}/retry")

    assert [r.status_code for r in (sent, queued, other, missing, foreign)] == [
        409,
        409,
        404,
        404,
        404,
    ]
    assert sent.headers["content-type"] == "application/problem+json"
    assert "failed" in sent.json()["detail"]
    db.expire_all()
    assert db.get(OutboxMessage, box["sent"].id).status == OutboxStatus.sent  # type: ignore[union-attr]
    assert db.get(OutboxMessage, box["failed"].id).status == OutboxStatus.failed  # type: ignore[union-attr]
    assert db.exec(select(AuditEvent).where(col(AuditEvent.entity) == "email")).all() == []


def test_the_page_shows_counts_messages_and_try_again(
    db: Session, people: People, admin_pages: PageClient
) -> None:
    box = _outbox(db, people)

    page = admin_pages.get("/admin/email")

    assert page.status_code == 200
    text = html.unescape(page.text)
    assert '<dd class="govuk-summary-list__value" id="count-sent">1</dd>' in text
    assert '<dd class="govuk-summary-list__value" id="count-failed">1</dd>' in text
    assert "SMTP 451: 4.3.0 Mailbox busy" in text
    assert "Password reset link" in text  # the kind, in words
    assert "person3@example.org" in text
    assert "secret-" not in text
    assert "b@org-b.example" not in text
    assert text.count("Try again") == 1  # only the failed message
    assert f'action="/admin/email/{box["failed"].id}/retry"' in text
    assert 'name="csrf_token"' in text
    assert 'href="/admin/email"' in text  # in the admin's navigation


def test_trying_again_from_the_page_says_so(
    db: Session, people: People, admin_pages: PageClient
) -> None:
    box = _outbox(db, people)

    answer = post(admin_pages, f"/admin/email/{box['failed'].id}/retry", {})

    assert answer.status_code == 303
    assert answer.headers["location"] == "/admin/email"
    page = admin_pages.get("/admin/email")
    assert "will be sent again" in html.unescape(page.text)
    db.expire_all()
    assert db.get(OutboxMessage, box["failed"].id).status == OutboxStatus.queued  # type: ignore[union-attr]


def test_trying_again_from_the_page_needs_the_form_token(
    db: Session, people: People, admin_pages: PageClient
) -> None:
    box = _outbox(db, people)

    answer = admin_pages.post(f"/admin/email/{box['failed'].id}/retry", data={})

    assert answer.status_code == 403
    db.expire_all()
    assert db.get(OutboxMessage, box["failed"].id).status == OutboxStatus.failed  # type: ignore[union-attr]


def test_the_users_page_links_to_the_email_page(admin_pages: PageClient) -> None:
    page = admin_pages.get("/admin/users")
    assert 'href="/admin/email"' in page.text.split("<main", 1)[1]


def test_an_empty_outbox_says_so(admin_pages: PageClient) -> None:
    page = admin_pages.get("/admin/email")
    assert page.status_code == 200
    assert "has not emailed anyone in your organisation yet" in html.unescape(page.text)
