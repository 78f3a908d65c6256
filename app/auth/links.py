"""Single-use links that set a password: an invitation (72 hours) for someone added without
one, a reset (1 hour) that an admin sends or the person asks for ("Forgot your
password?"). The email holds a random token; only its SHA-256 is stored (account_link).

- A new link for a purpose ends the older ones of that purpose (their expiry is brought
  forward to now).
- A link works once: using it is one UPDATE ... WHERE used_at IS NULL AND expires_at > now,
  so of two tabs submitting at once one wins and the other is told the link was used.
- Using it sets the password, ends every session and API token of the person, clears the
  failed-sign-in count and lock, ends their other links, is audited and emailed about.
- "Forgot your password?" answers the same whatever the address (the caller says 202 or
  shows one message). Limits: RESET_EMAILS_PER_HOUR per account (over it nothing more is
  sent, the answer is the same) and FORGOT_PER_ADDRESS_PER_HOUR per client address (over it
  TooManyRequests, which tells nothing about any account).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth import service
from app.auth.models import AccountLink, LinkPurpose, Organisation, ResetRequest, Role, User
from app.auth.security import hash_password, new_token, password_problem, token_digest
from app.auth.service import now, revoke_all
from app.exceptions import Conflict, Forbidden, Invalid, TooManyRequests
from app.mail import service as mail
from app.mail.kinds import Kind

LIFETIMES = {LinkPurpose.invitation: timedelta(hours=72), LinkPurpose.reset: timedelta(hours=1)}
RESET_EMAILS_PER_HOUR = 3  # per account, however they were asked for
FORGOT_PER_ADDRESS_PER_HOUR = 10  # "Forgot your password?" requests from one client address
MAX_TOKEN_LENGTH = 200

LINK_UNKNOWN = (
    "This link is not valid. Check that you copied the whole link from the email, or ask "
    "for a new one."
)
LINK_USED = (
    "This link has already been used. Ask for a new one if you still need to set a password."
)
LINK_EXPIRED = (
    "This link has expired or a newer one was sent. Ask for a new one: reset links work for "
    "an hour, invitations for 72 hours."
)
FORGOT_TOO_OFTEN = "Too many requests for reset links from this address. Try again later."


class LinkProblem(Invalid):
    """A link that cannot be used (unknown, used, expired): 422 with the token at fault.
    `reason` lets the page say what to do next."""

    def __init__(self, reason: Literal["unknown", "used", "expired"]) -> None:
        message = {"unknown": LINK_UNKNOWN, "used": LINK_USED, "expired": LINK_EXPIRED}[reason]
        super().__init__(message, [{"loc": ["body", "token"], "msg": message}])
        self.reason = reason


@dataclass(frozen=True)
class Usable:
    """A link that can be used now, and whose it is."""

    link: AccountLink
    user: User

    @property
    def invitation(self) -> bool:
        return self.link.purpose == LinkPurpose.invitation


def invited(user: User) -> bool:
    """Added without a password and has not set one yet."""
    return user.password_hash is None


# Making links ------------------------------------------------------------------------------


def _issue(
    db: Session, *, user: User, purpose: LinkPurpose, sender: User | None
) -> tuple[str, AccountLink]:
    stamp = now()
    db.execute(
        update(AccountLink)
        .where(
            col(AccountLink.user_id) == user.id,
            col(AccountLink.purpose) == purpose,
            col(AccountLink.used_at).is_(None),
            col(AccountLink.expires_at) > stamp,
        )
        .values(expires_at=stamp)
        .execution_options(synchronize_session=False)
    )
    raw = new_token()
    link = AccountLink(
        org_id=user.org_id,
        user_id=user.id or 0,
        purpose=purpose,
        token_hash=token_digest(raw),
        created_at=stamp,
        expires_at=stamp + LIFETIMES[purpose],
        created_by=sender.id if sender else None,
    )
    db.add(link)
    db.flush()
    return raw, link


def link_path(raw: str) -> str:
    return f"/account/reset/{raw}"


def _organisation_name(db: Session, user: User) -> str:
    org = db.get(Organisation, user.org_id)
    return org.name if org else ""


def invite(db: Session, *, actor: User | None, user: User) -> None:
    """Send `user` (who has no password yet) a new invitation; older ones stop working."""
    _send_link(db, user=user, sender=actor, purpose=LinkPurpose.invitation)


# What each kind of link is sent as: its email, its audit action, and the template's name
# for who sent it.
_SENDING = {
    LinkPurpose.invitation: (Kind.invitation, "invite", "inviter"),
    LinkPurpose.reset: (Kind.password_reset, "send_reset", "sender"),
}


def _send_reset(db: Session, *, user: User, sender: User | None) -> None:
    _send_link(db, user=user, sender=sender, purpose=LinkPurpose.reset)


def _send_link(db: Session, *, user: User, sender: User | None, purpose: LinkPurpose) -> None:
    """A new link of this purpose (older ones stop working), its email, and its audit event."""
    kind, action, sent_by = _SENDING[purpose]
    raw, link = _issue(db, user=user, purpose=purpose, sender=sender)
    mail.send(
        db,
        recipient=user,
        kind=kind,
        context={
            sent_by: sender.name if sender else None,
            "organisation": _organisation_name(db, user),
            "path": link_path(raw),
            "expires_at": link.expires_at,
        },
    )
    audit.record(
        db,
        org_id=user.org_id,
        actor=sender,
        action=action,
        entity="user",
        entity_id=user.id,
        changes={"expires_at": link.expires_at.isoformat()},
    )


def add_user(
    db: Session,
    *,
    actor: User,
    email: str,
    name: str,
    role: Role,
    password: str | None = None,
) -> User:
    """An admin adds a user: with a password as before, or (the usual way) without one and
    an invitation goes out to set it."""
    user = service.create_user(
        db,
        actor=actor,
        org_id=actor.org_id,
        email=email,
        name=name,
        role=role,
        password=password,
    )
    if password is None:
        invite(db, actor=actor, user=user)
    return user


def send_reset(db: Session, *, actor: User, user_id: int) -> Literal["invitation", "reset"]:
    """An admin sends a reset link to a user of their organisation (404 for anyone else's);
    someone who never accepted their invitation gets a new invitation instead."""
    if actor.role != Role.admin:
        raise Forbidden("Your role cannot do this.")
    user = service.get_user(db, actor=actor, user_id=user_id)
    if not user.active:
        raise Conflict(
            f"{user.name}'s account is deactivated: reactivate it before sending a link."
        )
    if invited(user):
        invite(db, actor=actor, user=user)
        return "invitation"
    _send_reset(db, user=user, sender=actor)
    return "reset"


def _recent_resets(db: Session, user: User, since: datetime) -> int:
    return int(
        db.exec(
            select(func.count())
            .select_from(AccountLink)
            .where(
                AccountLink.user_id == user.id,
                AccountLink.purpose == LinkPurpose.reset,
                col(AccountLink.created_at) > since,
            )
        ).one()
    )


def forgot(db: Session, *, email: str, address: str) -> None:
    """ "Forgot your password?": a reset link to a known, active account, nothing to anyone
    else; the caller answers the same either way. TooManyRequests only for the address."""
    stamp = now()
    hour_ago = stamp - timedelta(hours=1)
    address = address[:64]
    db.execute(delete(ResetRequest).where(col(ResetRequest.at) < stamp - timedelta(days=1)))
    in_window = list(
        db.exec(
            select(ResetRequest.at)
            .where(ResetRequest.address == address, col(ResetRequest.at) > hour_ago)
            .order_by(col(ResetRequest.at))
        ).all()
    )
    if len(in_window) >= FORGOT_PER_ADDRESS_PER_HOUR:
        db.commit()  # the clean-up above
        wait = in_window[-FORGOT_PER_ADDRESS_PER_HOUR] + timedelta(hours=1) - stamp
        raise TooManyRequests(FORGOT_TOO_OFTEN, retry_after=max(1, math.ceil(wait.total_seconds())))
    db.add(ResetRequest(address=address, at=stamp))
    key = email.strip().lower()
    user = None if "\x00" in key else db.exec(select(User).where(User.email == key)).first()
    if user is None:
        return
    if not user.active:
        audit.record(
            db,
            org_id=user.org_id,
            actor=None,
            action="refuse_reset",
            entity="user",
            entity_id=user.id,
            changes={"reason": "deactivated"},
        )
        return
    if _recent_resets(db, user, hour_ago) >= RESET_EMAILS_PER_HOUR:
        audit.record(
            db,
            org_id=user.org_id,
            actor=None,
            action="refuse_reset",
            entity="user",
            entity_id=user.id,
            changes={"reason": f"more than {RESET_EMAILS_PER_HOUR} in an hour"},
        )
        return
    _send_reset(db, user=user, sender=None)


# Using links -------------------------------------------------------------------------------


def find(db: Session, raw: str) -> Usable:
    """The link `raw` and its person, if it can be used now; LinkProblem otherwise."""
    if not raw or len(raw) > MAX_TOKEN_LENGTH:
        raise LinkProblem("unknown")
    row = db.exec(
        select(AccountLink, User)
        .join(User, col(User.id) == col(AccountLink.user_id))
        .where(AccountLink.token_hash == token_digest(raw))
    ).first()
    if row is None:
        raise LinkProblem("unknown")
    link, user = row
    if link.used_at is not None:
        raise LinkProblem("used")
    if link.expires_at <= now() or not user.active:
        raise LinkProblem("expired")
    return Usable(link=link, user=user)


def use(db: Session, *, raw: str, password: str) -> User:
    """Set the password through the link `raw` (an invitation or a reset). LinkProblem for
    a link that cannot be used, Invalid for a password the rules refuse (the link then
    still works)."""
    found = find(db, raw)
    user = found.user
    problem = password_problem(password, user.email)
    if problem:
        raise Invalid(problem, [{"loc": ["body", "password"], "msg": problem}])
    stamp = now()
    taken = db.execute(
        update(AccountLink)
        .where(
            col(AccountLink.id) == found.link.id,
            col(AccountLink.used_at).is_(None),
            col(AccountLink.expires_at) > stamp,
        )
        .values(used_at=stamp)
        .returning(col(AccountLink.id))
        .execution_options(synchronize_session=False)
    ).first()
    if taken is None:  # another request used it first
        raise LinkProblem("used")
    # The person's other links stop working too: the password is set.
    db.execute(
        update(AccountLink)
        .where(
            col(AccountLink.user_id) == user.id,
            col(AccountLink.used_at).is_(None),
            col(AccountLink.expires_at) > stamp,
        )
        .values(expires_at=stamp)
        .execution_options(synchronize_session=False)
    )
    was_invited = invited(user)
    set_password(db, user=user, password=password, actor=user)
    audit.record(
        db,
        org_id=user.org_id,
        actor=user,
        action="accept_invitation" if found.invitation else "reset_password",
        entity="user",
        entity_id=user.id,
        changes={"password": "set" if was_invited else "changed"},
    )
    return user


def set_password(db: Session, *, user: User, password: str, actor: User | None) -> None:
    """Store a new password (already checked by the caller), end every session and token,
    clear the failed sign-ins and the lock, and tell the person by email."""
    first = invited(user)
    stamp = now()
    user.password_hash = hash_password(password)
    user.password_changed_at = stamp
    user.failed_logins = 0
    user.locked_until = None
    db.add(user)
    db.flush()
    revoke_all(db, user_id=user.id or 0)
    if not first:
        tell_password_changed(db, user=user, by_admin_command=actor is None)


def tell_password_changed(db: Session, *, user: User, by_admin_command: bool = False) -> None:
    mail.send(
        db,
        recipient=user,
        kind=Kind.password_changed,
        context={"changed_at": now(), "by_admin_command": by_admin_command},
    )


def set_password_from_command(db: Session, *, email: str, password: str) -> User:
    """`tandem users set-password`: the operator of the installation sets anyone's password
    (the first admin's, typically). Audited with no actor."""
    key = email.strip().lower()
    user = None if "\x00" in key else db.exec(select(User).where(User.email == key)).first()
    if user is None:
        raise Invalid(
            f"There is no user with the email {key}.", [{"loc": ["email"], "msg": "unknown"}]
        )
    problem = password_problem(password, user.email)
    if problem:
        raise Invalid(problem, [{"loc": ["password"], "msg": problem}])
    was_invited = invited(user)
    stamp = now()
    db.execute(
        update(AccountLink)
        .where(
            col(AccountLink.user_id) == user.id,
            col(AccountLink.used_at).is_(None),
            col(AccountLink.expires_at) > stamp,
        )
        .values(expires_at=stamp)
        .execution_options(synchronize_session=False)
    )
    set_password(db, user=user, password=password, actor=None)
    audit.record(
        db,
        org_id=user.org_id,
        actor=None,
        action="set_password",
        entity="user",
        entity_id=user.id,
        changes={"password": "set" if was_invited else "changed"},
    )
    return user
