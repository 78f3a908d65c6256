"""Helpers for the two-step sign-in tests: turning MFA on for a person, and codes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
from sqlmodel import Session, col, select

from app.auth import mfa
from app.auth.models import User
from app.mail.models import OutboxMessage

STEP = timedelta(seconds=30)


def code_at(secret: str, at: datetime | None = None) -> str:
    return pyotp.TOTP(secret).at(at or datetime.now(UTC))


def turn_on(db: Session, user: User) -> tuple[str, list[str]]:
    """MFA on for `user` as set-up would leave it: (secret, recovery codes). The code used to
    confirm is the previous step's, so the current one is still unused."""
    secret, _ = mfa.begin_setup(db, actor=user)
    mfa.confirm(db, actor=user, code=code_at(secret, datetime.now(UTC) - STEP))
    codes = mfa.new_recovery_codes(db, user=user)
    db.commit()
    return secret, codes


def mails(db: Session, user: User, kind: str = "mfa_changed") -> list[OutboxMessage]:
    db.expire_all()
    query = select(OutboxMessage).where(
        OutboxMessage.user_id == user.id, OutboxMessage.kind == kind
    )
    return list(db.exec(query.order_by(col(OutboxMessage.id))).all())
