"""The organisation's privacy notice (UK GDPR articles 13 and 14): plain text an admin
writes, shown to everyone of the organisation at /privacy and linked from every page."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.models import Organisation, Role, User
from app.exceptions import Forbidden, Invalid

NOTICE_MAX = 20_000
FIELD = "privacy_notice"
TOO_LONG = f"The privacy notice must be {NOTICE_MAX:,} characters or fewer"
NUL = "The privacy notice cannot contain the NUL character"


@dataclass(frozen=True)
class Notice:
    """What /privacy shows a signed-in person: their organisation's notice (None: not
    written yet) and, for that case, whom to ask (the organisation's admins)."""

    organisation: str
    text: str | None
    admins: list[str]

    @property
    def paragraphs(self) -> list[str]:
        return paragraphs(self.text)


def paragraphs(text: str | None) -> list[str]:
    """The notice's paragraphs: split at blank lines, each one's lines kept as typed."""
    if not text:
        return []
    return [p.strip() for p in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n")) if p.strip()]


def notice_for(db: Session, *, user: User, org: Organisation) -> Notice:
    """The user's organisation's notice; the admins' names only when there is none (one
    query then, none otherwise)."""
    admins: list[str] = []
    if not org.privacy_notice:
        admins = list(
            db.exec(
                select(User.name)
                .where(User.org_id == org.id, User.role == Role.admin, col(User.active))
                .order_by(col(User.name))
            ).all()
        )
    return Notice(organisation=org.name, text=org.privacy_notice, admins=admins)


def clean(text: str | None) -> str | None:
    """The notice as stored: line endings as \\n, spaces trimmed at either end; blank is
    None (no notice). Invalid (422, on `privacy_notice`) when too long or holding NUL."""
    if text is None:
        return None
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if "\x00" in text:
        raise Invalid(NUL, [{"loc": ["body", "text"], "msg": NUL, "type": "value_error"}])
    if len(text) > NOTICE_MAX:
        raise Invalid(TOO_LONG, [{"loc": ["body", "text"], "msg": TOO_LONG, "type": "too_long"}])
    return text or None


def set_notice(db: Session, *, actor: User, org: Organisation, text: str | None) -> Organisation:
    """Write (or, with blank text, remove) the organisation's notice: admins only. The audit
    keeps the old and new lengths, not the text (it is public, and long)."""
    if actor.role != Role.admin:
        raise Forbidden("Only an admin can change the privacy notice.")
    if org.id != actor.org_id:  # the request's own organisation, always
        raise Forbidden("Only an admin of the organisation can change its privacy notice.")
    new = clean(text)
    old = org.privacy_notice
    if new == old:
        return org
    org.privacy_notice = new
    db.add(org)
    audit.record(
        db,
        org_id=actor.org_id,
        actor=actor,
        action="update",
        entity="organisation",
        entity_id=org.id,
        changes={"privacy_notice_length": [len(old or ""), len(new or "")]},
    )
    return org
