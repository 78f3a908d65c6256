"""Helpers for the invitation and reset link tests: the emails queued in the outbox and the
links in them."""

from __future__ import annotations

import re

from sqlmodel import Session, col, select

from app.config import get_settings
from app.mail.models import OutboxMessage

LINK = re.compile(r"(\S+)/account/reset/([A-Za-z0-9_\-]+)")
NEW_PASSWORD = "a brand new passphrase"
RESET_URL = "/api/v1/auth/reset"
FORGOT_URL = "/api/v1/auth/forgot"


def outbox(db: Session, kind: str | None = None, to: str | None = None) -> list[OutboxMessage]:
    """The queued emails, oldest first."""
    db.expire_all()
    query = select(OutboxMessage).order_by(col(OutboxMessage.id))
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    if to is not None:
        query = query.where(OutboxMessage.to_address == to)
    return list(db.exec(query).all())


def link_token(message: OutboxMessage) -> str:
    """The token of the one set-password link in an email, which must be absolute."""
    found = LINK.findall(message.body_text)
    assert len(found) == 1, message.body_text
    base, token = found[0]
    assert base == get_settings().base_url.rstrip("/")
    return str(token)


def last_token(db: Session, kind: str, to: str) -> str:
    return link_token(outbox(db, kind, to)[-1])
