"""Sending the outbox (app/mail/delivery.py) to a real SMTP server: once, with the right
headers, only after the caller commits; retried with backoff when refused or unreachable;
failed after the last attempt; written to files without a server; and a message a dead
worker held is sent once its lease has passed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select
from structlog.testing import capture_logs

from app.config import get_settings
from app.mail import delivery
from app.mail import service as mail
from app.mail.kinds import Kind
from app.mail.models import OutboxMessage, OutboxStatus
from tests.support.clock import Clock
from tests.support.people import People
from tests.support.smtp import SmtpServer, make_message


def _render(kind: Kind, context: dict[str, object]) -> tuple[str, str]:
    # The kinds' templates belong to the parts of the issue that send them.
    return "Reset your Tandem password", "Choose a new password: https://t.example/r/abc\n"


def _row(db: Session, message_id: int | None) -> OutboxMessage:
    db.expire_all()
    row = db.get(OutboxMessage, message_id)
    assert row is not None
    return row


def test_a_message_is_delivered_once_with_its_headers(
    db: Session, people: People, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mail, "render", _render)
    queued = mail.send(db, recipient=people.mentor, kind=Kind.password_reset)
    assert queued is not None
    db.commit()

    outcome = delivery.deliver_due(db, worker_id="w1")
    again = delivery.deliver_due(db, worker_id="w1")

    assert (outcome.sent, again.total) == (1, 0)
    (message,) = smtp.mailbox.messages
    assert smtp.mailbox.envelopes == [("tandem@example.org", [people.mentor.email])]
    assert message["From"] == "Tandem <tandem@example.org>"
    assert message["To"] == people.mentor.email
    assert message["Subject"] == "Reset your Tandem password"
    assert message["Message-ID"] == delivery.message_id(queued)
    assert message["Message-ID"].startswith(f"<tandem.outbox.{queued.id}.")
    assert message["Date"].datetime == queued.created_at.replace(microsecond=0)
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    assert message.get_content().replace("\r\n", "\n") == (
        "Choose a new password: https://t.example/r/abc\n"
    )
    row = _row(db, queued.id)
    assert (row.status, row.attempts, row.claimed_by, row.last_error) == (
        OutboxStatus.sent,
        1,
        None,
        None,
    )
    assert row.sent_at is not None


def test_nothing_is_sent_for_a_change_that_rolls_back(
    db: Session, people: People, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mail, "render", _render)
    change = db.begin_nested()
    assert mail.send(db, recipient=people.mentor, kind=Kind.password_reset) is not None
    change.rollback()

    assert delivery.deliver_due(db, worker_id="w1").total == 0
    assert db.exec(select(OutboxMessage)).all() == []
    assert smtp.mailbox.messages == []


def test_a_refused_message_is_tried_again_later_then_delivered(
    db: Session, smtp: SmtpServer, clock: Clock
) -> None:
    message = make_message(db)
    smtp.mailbox.mode = "busy"
    before = datetime.now(UTC)

    outcome = delivery.deliver_due(db, worker_id="w1")

    row = _row(db, message.id)
    assert (outcome.retrying, row.status, row.attempts) == (1, OutboxStatus.queued, 1)
    assert row.last_error == "SMTP 451: 4.3.0 Mailbox busy, try again later"
    wait = row.next_attempt_at - before
    assert timedelta(seconds=24) <= wait <= timedelta(seconds=37)
    assert row.claimed_by is None
    # Not due yet: nothing is tried before its time.
    smtp.mailbox.mode = "accept"
    assert delivery.deliver_due(db, worker_id="w1").total == 0

    clock.shift(timedelta(seconds=40))
    assert delivery.deliver_due(db, worker_id="w1").sent == 1
    assert len(smtp.mailbox.messages) == 1
    row = _row(db, message.id)
    assert (row.status, row.attempts, row.last_error) == (OutboxStatus.sent, 2, None)


def test_a_server_that_is_down_is_tried_again_when_it_is_back(
    db: Session, smtp: SmtpServer, clock: Clock
) -> None:
    message = make_message(db)
    smtp.stop()

    assert delivery.deliver_due(db, worker_id="w1").retrying == 1
    row = _row(db, message.id)
    assert row.status == OutboxStatus.queued
    assert row.last_error is not None
    assert row.last_error.startswith("cannot reach the mail server")

    clock.shift(timedelta(minutes=1))
    assert delivery.deliver_due(db, worker_id="w1").retrying == 1  # still down
    assert _row(db, message.id).attempts == 2

    smtp.start()
    clock.shift(timedelta(minutes=2))
    assert delivery.deliver_due(db, worker_id="w1").sent == 1
    assert smtp.mailbox.message_ids() == [delivery.message_id(message)]


def test_a_server_that_hangs_is_given_up_on_after_the_timeout(
    db: Session, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TANDEM_SMTP_TIMEOUT", "0.5")
    get_settings.cache_clear()
    message = make_message(db)
    smtp.mailbox.mode = "hang"

    assert delivery.deliver_due(db, worker_id="w1").retrying == 1

    row = _row(db, message.id)
    assert (row.status, row.last_error) == (
        OutboxStatus.queued,
        "timed out talking to the mail server",
    )


def test_backoff_doubles_from_30_seconds_to_at_most_an_hour() -> None:
    for attempts, base in [(1, 30), (2, 60), (3, 120), (4, 240), (8, 3600), (20, 3600)]:
        waits = [delivery.backoff(attempts).total_seconds() for _ in range(50)]
        assert all(base * 0.8 <= wait <= base * 1.2 for wait in waits), attempts
        assert len(set(waits)) > 1  # jittered: retries of many messages do not bunch


def test_a_message_fails_after_the_last_attempt(
    db: Session, smtp: SmtpServer, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TANDEM_MAIL_MAX_ATTEMPTS", "3")
    get_settings.cache_clear()
    message = make_message(db)
    smtp.mailbox.mode = "busy"

    outcomes = []
    for _ in range(3):
        outcomes.append(delivery.deliver_due(db, worker_id="w1"))
        clock.shift(timedelta(hours=2))

    assert [(o.retrying, o.failed) for o in outcomes] == [(1, 0), (1, 0), (0, 1)]
    row = _row(db, message.id)
    assert (row.status, row.attempts) == (OutboxStatus.failed, 3)
    assert "451" in (row.last_error or "")
    smtp.mailbox.mode = "accept"
    assert delivery.deliver_due(db, worker_id="w1").total == 0
    assert smtp.mailbox.messages == []


def test_a_recipient_the_server_refuses_fails_at_once(db: Session, smtp: SmtpServer) -> None:
    message = make_message(db)
    smtp.mailbox.mode = "refuse"

    assert delivery.deliver_due(db, worker_id="w1").failed == 1

    row = _row(db, message.id)
    assert (row.status, row.attempts, row.last_error) == (
        OutboxStatus.failed,
        1,
        "recipient refused (SMTP 550)",
    )


def test_the_error_kept_holds_no_password(
    db: Session, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TANDEM_SMTP_USER", "tandem")
    monkeypatch.setenv("TANDEM_SMTP_PASSWORD", "hunter2-very-secret")
    get_settings.cache_clear()
    message = make_message(db)

    assert delivery.deliver_due(db, worker_id="w1").retrying == 1  # this server has no AUTH

    error = _row(db, message.id).last_error or ""
    assert error
    assert "hunter2" not in error
    assert "tandem" not in error


def test_without_a_server_mail_is_written_to_files(db: Session, mail_dir: Path) -> None:
    message = make_message(
        db, body_text="Hello \N{EURO SIGN} caf\N{LATIN SMALL LETTER E WITH ACUTE}\n"
    )

    with capture_logs() as logs:
        assert delivery.deliver_due(db, worker_id="w1").sent == 1

    stamp = message.created_at.strftime("%Y%m%dT%H%M%SZ")
    (path,) = mail_dir.iterdir()
    assert path.name == f"{stamp}-{message.id}.eml"
    written = path.read_bytes()
    assert b"Message-ID: " + delivery.message_id(message).encode() in written
    assert b"To: person1@example.org" in written
    # A second attempt at the same row (a worker that died before recording it) replaces
    # the file: one file, never two.
    row = _row(db, message.id)
    row.status = OutboxStatus.queued
    db.add(row)
    db.commit()
    assert delivery.deliver_due(db, worker_id="w2").sent == 1
    assert [p.name for p in mail_dir.iterdir()] == [path.name]
    (logged,) = logs
    assert logged == {
        "event": "mail_written",
        "log_level": "info",
        "outbox_id": message.id,
        "kind": "password_reset",
        "file": path.name,
    }


def test_a_message_held_by_a_dead_worker_is_sent_after_its_lease(
    db: Session, smtp: SmtpServer, clock: Clock
) -> None:
    message = make_message(db)
    # The dead worker took it, committed, and died before sending.
    (taken,) = delivery.claim(db, worker_id="dead", now=datetime.now(UTC))
    assert taken.id == message.id

    # Another worker leaves it alone while the lease lasts.
    assert delivery.deliver_due(db, worker_id="alive").total == 0
    assert _row(db, message.id).claimed_by == "dead"

    clock.shift(delivery.lease() + timedelta(seconds=1))
    assert delivery.deliver_due(db, worker_id="alive").sent == 1
    assert delivery.deliver_due(db, worker_id="alive").total == 0
    assert smtp.mailbox.message_ids() == [delivery.message_id(message)]
    # Were the dead worker to come back, it could not record the message as its own.
    assert not delivery._mark_sent(db, message_id=message.id or 0, worker_id="dead")


def test_two_claims_never_take_the_same_message(db: Session) -> None:
    for n in range(5):
        make_message(db, n=n)
    now = datetime.now(UTC)

    first = delivery.claim(db, worker_id="a", now=now, limit=3)
    second = delivery.claim(db, worker_id="b", now=now, limit=3)
    third = delivery.claim(db, worker_id="c", now=now, limit=3)

    assert (len(first), len(second), len(third)) == (3, 2, 0)
    assert not {row.id for row in first} & {row.id for row in second}


def test_a_message_queued_for_later_is_not_taken(db: Session) -> None:
    make_message(db, next_attempt_at=datetime.now(UTC) + timedelta(minutes=5))
    sent = make_message(db, n=2, status=OutboxStatus.sent)
    failed = make_message(db, n=3, status=OutboxStatus.failed)

    assert delivery.claim(db, worker_id="a", now=datetime.now(UTC)) == []
    assert _row(db, sent.id).claimed_by is None
    assert _row(db, failed.id).claimed_by is None


@pytest.mark.parametrize(
    ("tls", "error"),
    [
        ("starttls", "SMTP error: SMTPNotSupportedError"),  # this server offers no STARTTLS
        ("tls", "TLS error: WRONG_VERSION_NUMBER"),  # it speaks plain SMTP, not TLS
    ],
)
def test_a_tls_mode_the_server_does_not_speak_sends_nothing_in_clear(
    db: Session, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch, tls: str, error: str
) -> None:
    monkeypatch.setenv("TANDEM_SMTP_TLS", tls)
    get_settings.cache_clear()
    message = make_message(db)

    assert delivery.deliver_due(db, worker_id="w1").retrying == 1

    assert _row(db, message.id).last_error == error
    assert smtp.mailbox.messages == []


def test_a_message_that_cannot_be_built_fails_and_is_not_sent(
    db: Session, smtp: SmtpServer
) -> None:
    message = make_message(db, to_address="a@example.org\nBcc: everyone@example.org")

    assert delivery.deliver_due(db, worker_id="w1").failed == 1

    row = _row(db, message.id)
    assert (row.status, row.last_error) == (
        OutboxStatus.failed,
        "cannot be sent as it stands: ValueError",
    )
    assert smtp.mailbox.messages == []


def test_an_unexpected_error_counts_as_an_attempt(
    db: Session, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    message = make_message(db)

    def broken(*args: object) -> None:
        raise KeyError("surprise")

    monkeypatch.setattr(delivery, "send_smtp", broken)
    assert delivery.deliver_due(db, worker_id="w1").retrying == 1

    row = _row(db, message.id)
    assert (row.status, row.attempts, row.claimed_by) == (OutboxStatus.queued, 1, None)
    assert row.last_error == "unexpected error: KeyError"
