"""Queueing email: `send` renders a message and adds it to the outbox in the caller's
transaction, so it goes out if, and only if, the change that caused it commits. The
worker (app/notify/worker.py) sends it.

Emails name no child (README "Email"): templates get references, "your mentee" and links
into Tandem, never a child's name; tests/mail checks every template."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.config import get_settings
from app.mail.kinds import KINDS, Kind
from app.mail.models import OutboxMessage
from app.web import TEMPLATES_DIR, date_long, date_weekday, datetime_long, time_12h


class Recipient(Protocol):
    """Someone Tandem writes to: a user (auth's table, which this module may not import)."""

    @property
    def id(self) -> int | None: ...

    @property
    def org_id(self) -> int: ...

    @property
    def email(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def active(self) -> bool: ...

    @property
    def notification_email(self) -> dict[str, bool]: ...


_env = Environment(
    loader=FileSystemLoader(str(TEMPLATES_DIR / "email")),
    autoescape=False,  # noqa: S701 - plain-text email, never HTML
    undefined=StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters.update(
    date_long=date_long,
    date_weekday=date_weekday,
    time_12h=time_12h,
    datetime_long=datetime_long,
)


def link(path: str) -> str:
    """An absolute link into Tandem (TANDEM_BASE_URL + a path of the site)."""
    return get_settings().base_url.rstrip("/") + path


def wants(recipient: Recipient, kind: Kind) -> bool:
    """Whether this person gets this kind of email (their choice, else the default)."""
    info = KINDS[kind]
    if info.always:
        return True
    return bool((recipient.notification_email or {}).get(kind.value, info.default))


def preferences(recipient: Recipient) -> dict[str, bool]:
    """Every kind and whether this person gets it: GET /api/v1/me/notifications."""
    return {kind.value: wants(recipient, kind) for kind in KINDS}


def render(kind: Kind, context: dict[str, Any]) -> tuple[str, str]:
    """(subject, body) from app/templates/email/<kind>.txt: the template sets `subject`."""
    template = _env.get_template(f"{kind.value}.txt")
    full = {"link": link, "service_name": get_settings().service_name, **context}
    module = template.make_module(full)
    subject = " ".join(str(getattr(module, "subject", "")).split())
    return subject or KINDS[kind].label, str(module).strip() + "\n"


def send(
    db: Session,
    *,
    recipient: Recipient,
    kind: Kind,
    context: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
    to_address: str | None = None,
) -> OutboxMessage | None:
    """Queue one email to `recipient` in the caller's transaction: the message, or None
    when they have turned this kind off, are inactive (but for an invitation or a reset,
    which an admin or they asked for), or `dedupe_key` was used before (a reminder that two
    workers both found due is queued once).

    `context` is the template's; `recipient` is in it as `recipient`."""
    if not wants(recipient, kind):
        return None
    if not recipient.active and kind not in (Kind.invitation, Kind.password_reset):
        return None
    if (
        dedupe_key is not None
        and db.exec(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)).first()
    ):
        return None
    subject, body = render(kind, {"recipient": recipient, **(context or {})})
    stamp = datetime.now(UTC)
    message = OutboxMessage(
        org_id=recipient.org_id,
        user_id=recipient.id,
        kind=kind.value,
        to_address=to_address or recipient.email,
        subject=subject[:200],
        body_text=body,
        dedupe_key=dedupe_key,
        next_attempt_at=stamp,
        created_at=stamp,
    )
    db.add(message)
    try:
        with db.begin_nested():
            db.flush()
    except IntegrityError:  # another worker queued the same (kind, object, day) first
        return None
    return message
