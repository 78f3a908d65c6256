"""Sending the outbox: take due messages, send each once, retry what failed with backoff.

A worker claims messages before it sends them: one UPDATE ... RETURNING sets them
`sending`, names the worker and a lease (`claimed_until`), and is committed before any
SMTP conversation starts. PostgreSQL picks the rows with FOR UPDATE SKIP LOCKED; SQLite's
write transactions begin IMMEDIATE (app/db.py), so the UPDATE runs alone. Two workers never
hold the same message, and a message held by a worker that died is taken again once its
lease has passed.

The guarantee: at most one email per outbox row, unless the SMTP server accepted the
message and the worker died before recording so; the Message-ID, derived from the row,
lets a receiving system drop that copy.

This module also answers the admin's outbox page (app/mail/views.py, api.py): counts, the
latest messages (never their bodies, which may hold links with tokens) and "Try again"."""

from __future__ import annotations

import os
import random
import smtplib
import socket
import ssl
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import structlog
from sqlalchemy import Row, and_, func, or_, select, update
from sqlmodel import Session, col

from app.audit.service import record
from app.config import Settings, get_settings
from app.exceptions import Conflict, NotFound
from app.mail.models import OutboxMessage, OutboxStatus

log = structlog.get_logger(__name__)

BATCH = 10  # messages claimed at once: few, so that none waits long under a lease
MAX_PER_TICK = 1000  # a tick ends after this many, so that other jobs get their turn
BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
ERROR_LENGTH = 200

_table = OutboxMessage.__table__  # type: ignore[attr-defined]
_c = _table.c


def lease(settings: Settings | None = None) -> timedelta:
    """How long a claim lasts: 2 minutes, or longer when one SMTP conversation may take
    longer (every call may wait smtp_timeout). Renewed before each message is sent."""
    settings = settings or get_settings()
    return timedelta(seconds=max(120.0, settings.smtp_timeout * 10))


def new_worker_id() -> str:
    """Unique to one worker (a process may run several, one per thread)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


# Claiming ---------------------------------------------------------------------------------


def _due(now: datetime) -> Any:
    return or_(
        and_(_c.status == OutboxStatus.queued, _c.next_attempt_at <= now),
        and_(_c.status == OutboxStatus.sending, _c.claimed_until < now),
    )


def claim(db: Session, *, worker_id: str, now: datetime, limit: int = BATCH) -> list[Row[Any]]:
    """Take up to `limit` due messages for this worker and commit: queued ones whose time
    has come, and ones a dead worker held past its lease. Oldest first. `db` writes (its
    transactions begin IMMEDIATE on SQLite: the worker's sessions are made so)."""
    pick = select(_c.id).where(_due(now)).order_by(_c.next_attempt_at, _c.id).limit(limit)
    if db.get_bind().dialect.name == "postgresql":
        # Locked rows are skipped, not waited for; the pick is a materialised CTE, run
        # once: as an IN (subquery) PostgreSQL may rescan it, skip the rows it has just
        # updated and take the next ones, beyond the limit.
        picked = pick.with_for_update(skip_locked=True).cte("picked").prefix_with("MATERIALIZED")
        which = _c.id == picked.c.id
    else:
        which = _c.id.in_(pick.scalar_subquery())
    statement = (
        update(_table)
        .where(which, _due(now))
        .values(
            status=OutboxStatus.sending,
            claimed_by=worker_id,
            claimed_until=now + lease(),
        )
        .returning(
            _c.id,
            _c.kind,
            _c.to_address,
            _c.subject,
            _c.body_text,
            _c.attempts,
            _c.created_at,
        )
    )
    rows = list(db.execute(statement).all())
    db.commit()
    return sorted(rows, key=lambda row: row.id)


def _mine(message_id: int, worker_id: str) -> Any:
    return and_(_c.id == message_id, _c.claimed_by == worker_id, _c.status == OutboxStatus.sending)


def _renew(db: Session, *, message_id: int, worker_id: str) -> bool:
    """Extend this worker's claim before sending; False if another worker took it over."""
    result = db.execute(
        update(_table)
        .where(_mine(message_id, worker_id))
        .values(claimed_until=datetime.now(UTC) + lease())
    )
    db.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


# Sending ----------------------------------------------------------------------------------


class Refused(Exception):
    """The message was not sent: `error` says why, shortly, with no secret in it;
    `permanent` when trying again cannot help (the server refused the recipient)."""

    def __init__(self, error: str, *, permanent: bool = False) -> None:
        super().__init__(error)
        self.error = error[:ERROR_LENGTH]
        self.permanent = permanent


class Message(Protocol):
    """What a claimed row carries (OutboxMessage, or a row claim returned)."""

    @property
    def id(self) -> Any: ...

    @property
    def kind(self) -> str: ...

    @property
    def to_address(self) -> str: ...

    @property
    def subject(self) -> str: ...

    @property
    def body_text(self) -> str: ...

    @property
    def created_at(self) -> datetime: ...


def message_id(row: Message, settings: Settings | None = None) -> str:
    """The same for every attempt at one outbox row, so a copy sent twice is recognisable."""
    settings = settings or get_settings()
    host = urlsplit(settings.base_url).hostname or "localhost"
    stamp = row.created_at.astimezone(UTC).strftime("%Y%m%d%H%M%S")
    return f"<tandem.outbox.{row.id}.{stamp}@{host}>"


def build(row: Message, settings: Settings | None = None) -> EmailMessage:
    settings = settings or get_settings()
    email = EmailMessage()
    email["From"] = settings.mail_from
    email["To"] = row.to_address
    email["Subject"] = row.subject
    email["Date"] = format_datetime(row.created_at.astimezone(UTC))
    email["Message-ID"] = message_id(row, settings)
    email["Auto-Submitted"] = "auto-generated"
    email["X-Tandem-Kind"] = row.kind
    email.set_content(row.body_text, charset="utf-8")
    return email


def _smtp_error(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error
    reply = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"SMTP {exc.smtp_code}: {' '.join(reply.split())}"


def send_smtp(email: EmailMessage, settings: Settings) -> None:
    """One SMTP conversation; Refused on any failure."""
    host, port, timeout = settings.smtp_host or "", settings.smtp_port, settings.smtp_timeout
    try:
        client: smtplib.SMTP
        if settings.smtp_tls == "tls":
            client = smtplib.SMTP_SSL(
                host, port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(host, port, timeout=timeout)
        with client:
            if settings.smtp_tls == "starttls":
                client.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                password = (
                    settings.smtp_password.get_secret_value() if settings.smtp_password else ""
                )
                client.login(settings.smtp_user, password)
            client.send_message(email)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _reply in exc.recipients.values()]
        permanent = bool(codes) and all(500 <= code < 600 for code in codes)
        raise Refused(
            f"recipient refused (SMTP {', '.join(map(str, codes))})", permanent=permanent
        ) from None
    except smtplib.SMTPAuthenticationError as exc:
        raise Refused(f"SMTP {exc.smtp_code}: sign-in to the mail server refused") from None
    except smtplib.SMTPResponseException as exc:
        raise Refused(_smtp_error(exc)) from None
    except TimeoutError:
        raise Refused("timed out talking to the mail server") from None
    except smtplib.SMTPServerDisconnected as exc:
        # smtplib reports a reply that timed out as a closed connection.
        if isinstance(exc.__context__, TimeoutError) or "timed out" in str(exc):
            raise Refused("timed out talking to the mail server") from None
        raise Refused("the mail server closed the connection") from None
    except smtplib.SMTPException as exc:
        raise Refused(f"SMTP error: {type(exc).__name__}") from None
    except ssl.SSLError as exc:
        raise Refused(f"TLS error: {exc.reason or type(exc).__name__}") from None
    except OSError as exc:
        raise Refused(
            f"cannot reach the mail server: {exc.strerror or type(exc).__name__}"
        ) from None


def write_file(row: Message, email: EmailMessage, directory: Path) -> Path:
    """Without an SMTP server: <mail_dir>/<created>-<id>.eml, written whole (a temporary
    file renamed into place); a second attempt replaces the first rather than adding one."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = row.created_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = directory / f"{stamp}-{row.id}.eml"
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".outbox-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(email.as_bytes())
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def send_one(row: Message, settings: Settings | None = None) -> None:
    """Send (or, without smtp_host, write) one message; Refused when it did not go."""
    settings = settings or get_settings()
    try:
        email = build(row, settings)
    except (ValueError, TypeError) as exc:  # a header with a line break, say: never sendable
        raise Refused(
            f"cannot be sent as it stands: {type(exc).__name__}", permanent=True
        ) from None
    if not settings.smtp_host:
        try:
            path = write_file(row, email, settings.mail_dir)
        except OSError as exc:
            raise Refused(f"cannot write to the mail folder: {exc.strerror or exc}") from None
        log.info("mail_written", outbox_id=row.id, kind=row.kind, file=path.name)
        return
    send_smtp(email, settings)
    log.info("mail_sent", outbox_id=row.id, kind=row.kind)


# Recording the outcome --------------------------------------------------------------------


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failure: 30 s, 1 min, 2, 4 ... at most an hour,
    each spread by up to a fifth either way so that retries do not arrive together."""
    base: timedelta = min(BACKOFF_FIRST * 2 ** max(attempts - 1, 0), BACKOFF_CAP)
    return timedelta(seconds=base.total_seconds() * random.uniform(0.8, 1.2))  # noqa: S311 - jitter, not a secret


def _mark_sent(db: Session, *, message_id: int, worker_id: str) -> bool:
    now = datetime.now(UTC)
    result = db.execute(
        update(_table)
        .where(_mine(message_id, worker_id))
        .values(
            status=OutboxStatus.sent,
            sent_at=now,
            claimed_by=None,
            claimed_until=None,
            attempts=_c.attempts + 1,
            last_error=None,
        )
    )
    db.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _mark_failed(
    db: Session, *, row: Row[Any], worker_id: str, refused: Refused, max_attempts: int
) -> OutboxStatus:
    attempts = row.attempts + 1
    final = refused.permanent or attempts >= max_attempts
    status = OutboxStatus.failed if final else OutboxStatus.queued
    values: dict[str, Any] = {
        "status": status,
        "attempts": attempts,
        "last_error": refused.error,
        "claimed_by": None,
        "claimed_until": None,
    }
    if not final:
        values["next_attempt_at"] = datetime.now(UTC) + backoff(attempts)
    db.execute(update(_table).where(_mine(row.id, worker_id)).values(**values))
    db.commit()
    return status


@dataclass
class Delivered:
    """What one round of delivery did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    lost_claims: int = 0  # messages another worker took over (a lease that ran out)

    @property
    def total(self) -> int:
        return self.sent + self.retrying + self.failed + self.lost_claims


def deliver_due(
    db: Session, *, worker_id: str, now: datetime | None = None, limit: int = MAX_PER_TICK
) -> Delivered:
    """Claim and send every due message, a few at a time, up to `limit` in all. Each
    outcome is committed as soon as it is known."""
    settings = get_settings()
    outcome = Delivered()
    start = now or datetime.now(UTC)
    while outcome.total < limit:
        rows = claim(db, worker_id=worker_id, now=start, limit=min(BATCH, limit - outcome.total))
        if not rows:
            break
        for row in rows:
            if not _renew(db, message_id=row.id, worker_id=worker_id):
                outcome.lost_claims += 1
                continue
            try:
                try:
                    send_one(row, settings)
                except Refused:
                    raise
                except Exception as exc:  # a fault of ours: counted as an attempt, not looped on
                    log.exception("mail_send_error", outbox_id=row.id, kind=row.kind)
                    raise Refused(f"unexpected error: {type(exc).__name__}") from None
            except Refused as refused:
                status = _mark_failed(
                    db,
                    row=row,
                    worker_id=worker_id,
                    refused=refused,
                    max_attempts=settings.mail_max_attempts,
                )
                log.warning(
                    "mail_not_sent",
                    outbox_id=row.id,
                    kind=row.kind,
                    error=refused.error,
                    status=status.value,
                    attempts=row.attempts + 1,
                )
                if status is OutboxStatus.failed:
                    outcome.failed += 1
                else:
                    outcome.retrying += 1
                continue
            if _mark_sent(db, message_id=row.id, worker_id=worker_id):
                outcome.sent += 1
            else:
                log.warning("mail_claim_lost_after_sending", outbox_id=row.id, kind=row.kind)
                outcome.lost_claims += 1
    return outcome


class Delivery:
    """The worker's delivery job, `(db, now) -> Delivered`, with a worker id of its own."""

    def __init__(self, worker_id: str | None = None) -> None:
        self.worker_id = worker_id or new_worker_id()

    def __call__(self, db: Session, now: datetime) -> Delivered:
        return deliver_due(db, worker_id=self.worker_id, now=now)


# The admin's view of the outbox -------------------------------------------------------------


class Admin(Protocol):
    @property
    def id(self) -> int | None: ...

    @property
    def org_id(self) -> int: ...


RECENT = timedelta(days=7)


@dataclass(frozen=True)
class Summary:
    queued: int  # waiting or being sent, however old
    sent: int  # in the last 7 days
    failed: int  # in the last 7 days
    messages: Sequence[OutboxMessage]


def summary(db: Session, *, actor: Admin, limit: int = 50) -> Summary:
    """The organisation's outbox: counts and the latest `limit` messages."""
    since = datetime.now(UTC) - RECENT
    mine = col(OutboxMessage.org_id) == actor.org_id
    rows = db.execute(
        select(_c.status, func.count())
        .where(
            mine,
            or_(
                col(OutboxMessage.status).in_([OutboxStatus.queued, OutboxStatus.sending]),
                col(OutboxMessage.created_at) >= since,
            ),
        )
        .group_by(_c.status)
    ).all()
    counts: dict[Any, int] = {status: count for status, count in rows}  # noqa: C416
    messages = db.scalars(
        select(OutboxMessage)
        .where(mine)
        .order_by(col(OutboxMessage.created_at).desc(), col(OutboxMessage.id).desc())
        .limit(limit)
    ).all()
    return Summary(
        queued=counts.get(OutboxStatus.queued, 0) + counts.get(OutboxStatus.sending, 0),
        sent=counts.get(OutboxStatus.sent, 0),
        failed=counts.get(OutboxStatus.failed, 0),
        messages=list(messages),
    )


def retry(db: Session, *, actor: Admin, message_id: int) -> OutboxMessage:
    """Queue a failed message again, now, with a fresh count of attempts (audited)."""
    message = db.get(OutboxMessage, message_id)
    if message is None or message.org_id != actor.org_id:
        raise NotFound("No such message.")
    if message.status is not OutboxStatus.failed:
        raise Conflict(
            f"Only a failed message can be tried again; this one is {message.status.value}."
        )
    before = {"status": message.status.value, "attempts": message.attempts}
    message.status = OutboxStatus.queued
    message.attempts = 0
    message.next_attempt_at = datetime.now(UTC)
    message.claimed_by = None
    message.claimed_until = None
    db.add(message)
    record(
        db,
        org_id=actor.org_id,
        actor=actor,
        action="retry",
        entity="email",
        entity_id=message.id,
        changes={
            "status": [before["status"], OutboxStatus.queued.value],
            "attempts": [before["attempts"], 0],
        },
    )
    return message
