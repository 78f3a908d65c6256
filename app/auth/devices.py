"""The browsers a person is signed in on, and their API tokens (issue 16, ASVS 5.0 V7.4.3,
V7.4.5, V7.5.2): they see them and end any of them; ending all but the one in use asks
for a factor again (the current password, or a code from the authenticator app for
someone without a password); an admin ends all of a person's. Every ending is audited by
id (service.end_sessions); no token or hash ever leaves this module."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlmodel import Session, col, select

from app.auth import mfa
from app.auth.models import ApiToken, Role, User, WebSession
from app.auth.security import token_digest, verify_password
from app.auth.service import end_sessions, get_user, now
from app.auth.signin import clear_failures, record_failure, reserve_attempt
from app.config import get_settings
from app.exceptions import Forbidden, Invalid, NotFound

# Someone with neither a password nor two-step sign-in (single sign-on only) proves who they
# are by having signed in this recently in the browser they use.
RECENT_SIGN_IN_MINUTES = 10

WRONG_PASSWORD = "Your password is wrong"  # noqa: S105 - a message
ENTER_PASSWORD = "Enter your password"  # noqa: S105 - a message
ENTER_CODE = "Enter the 6-digit code from your authenticator app, or a recovery code"
SIGN_IN_AGAIN = (
    "Sign out and sign in again with single sign-on, then sign out everywhere else "
    f"within {RECENT_SIGN_IN_MINUTES} minutes"
)
LOCKED = "Too many wrong attempts. Try again later."

Kind = Literal["browser", "token"]
Proof = Literal["password", "code", "recent"]


@dataclass(frozen=True)
class SignedIn:
    """One signed-in browser or API token, as its owner sees it."""

    id: int
    kind: Kind
    method: str  # "password", "sso" or "sso_mfa"; tokens are always issued for a password
    created_at: datetime
    last_seen_at: datetime | None  # tokens keep no record of use
    expires_at: datetime  # the earlier of its absolute and idle limits
    current: bool


def current_token_id(db: Session, raw: str | None) -> int | None:
    if not raw:
        return None
    return db.exec(select(ApiToken.id).where(ApiToken.token_hash == token_digest(raw))).first()


def list_signed_in(
    db: Session,
    *,
    actor: User,
    current_session_id: int | None = None,
    current_token_id: int | None = None,
) -> list[SignedIn]:
    """`actor`'s browsers still signed in (newest activity first), then their API tokens
    still valid (newest first)."""
    stamp = now()
    idle = timedelta(minutes=get_settings().session_idle_minutes)
    out: list[SignedIn] = []
    sessions = db.exec(
        select(WebSession)
        .where(
            WebSession.user_id == actor.id,
            col(WebSession.revoked_at).is_(None),
            col(WebSession.expires_at) > stamp,
            col(WebSession.last_seen_at) > stamp - idle,
        )
        .order_by(col(WebSession.last_seen_at).desc(), col(WebSession.id).desc())
    ).all()
    for s in sessions:
        assert s.id is not None
        out.append(
            SignedIn(
                id=s.id,
                kind="browser",
                method=s.method if s.method in ("sso", "sso_mfa") else "password",
                created_at=s.created_at,
                last_seen_at=s.last_seen_at,
                expires_at=min(s.expires_at, s.last_seen_at + idle),
                current=s.id == current_session_id,
            )
        )
    tokens = db.exec(
        select(ApiToken)
        .where(
            ApiToken.user_id == actor.id,
            col(ApiToken.revoked_at).is_(None),
            col(ApiToken.expires_at) > stamp,
        )
        .order_by(col(ApiToken.created_at).desc(), col(ApiToken.id).desc())
    ).all()
    for t in tokens:
        assert t.id is not None
        out.append(
            SignedIn(
                id=t.id,
                kind="token",
                method="password",
                created_at=t.created_at,
                last_seen_at=None,
                expires_at=t.expires_at,
                current=t.id == current_token_id,
            )
        )
    return out


def end_one(db: Session, *, actor: User, kind: Kind, item_id: int) -> None:
    """End one of `actor`'s own browsers or tokens (404 for anyone else's, or one already
    ended)."""
    row: WebSession | ApiToken | None = (
        db.get(WebSession, item_id) if kind == "browser" else db.get(ApiToken, item_id)
    )
    what = "signed-in browser" if kind == "browser" else "API token"
    if (
        row is None
        or row.user_id != actor.id
        or row.revoked_at is not None
        or row.expires_at <= now()
    ):
        raise NotFound(f"No such {what} of yours.")
    if kind == "browser":
        end_sessions(db, actor=actor, user=actor, only_session_id=item_id, reason="signed out")
    else:
        end_sessions(db, actor=actor, user=actor, only_token_id=item_id, reason="signed out")


def proof_needed(user: User) -> Proof:
    """What `end_others` asks `user` for: their password if they have one, else a code if
    two-step sign-in is on, else a recent sign-in."""
    if user.password_hash:
        return "password"
    return "code" if user.mfa_enabled_at is not None else "recent"


def _reauthenticate(
    db: Session,
    *,
    user: User,
    session: WebSession | None,
    password: str | None,
    code: str | None,
) -> None:
    """One factor again, counted like a sign-in (committed before the check; too many
    lock the account: TooManyRequests). Invalid names the field at fault."""
    if password and user.password_hash:
        attempt = reserve_attempt(db, user, locked=LOCKED)
        ok, _ = verify_password(password, user.password_hash)
        if ok:
            clear_failures(db, user)
            return
        record_failure(db, user=user, attempt=attempt)
        db.commit()
        raise Invalid(WRONG_PASSWORD, [{"loc": ["body", "password"], "msg": WRONG_PASSWORD}])
    if code and user.mfa_enabled_at is not None:
        if mfa._counted(db, user, code, locked=LOCKED):
            return
        raise Invalid(mfa.WRONG_CODE, [{"loc": ["body", "code"], "msg": mfa.WRONG_CODE}])
    needed = proof_needed(user)
    if needed == "recent":
        recent = now() - timedelta(minutes=RECENT_SIGN_IN_MINUTES)
        if session is not None and session.created_at > recent:
            return
        raise Invalid(SIGN_IN_AGAIN, [{"loc": ["body", "password"], "msg": SIGN_IN_AGAIN}])
    field, message = ("password", ENTER_PASSWORD) if needed == "password" else ("code", ENTER_CODE)
    raise Invalid(message, [{"loc": ["body", field], "msg": message}])


def end_others(
    db: Session,
    *,
    actor: User,
    session: WebSession | None,
    token_id: int | None,
    password: str | None,
    code: str | None,
) -> tuple[list[int], list[int]]:
    """End every browser and token of `actor`'s but the one this request came with, once
    they have proved who they are again: (session ids, token ids) ended."""
    _reauthenticate(db, user=actor, session=session, password=password, code=code)
    return end_sessions(
        db,
        actor=actor,
        user=actor,
        keep_session_id=session.id if session is not None else None,
        keep_token_id=token_id,
        reason="signed out everywhere else",
    )


def sign_out_everywhere(db: Session, *, actor: User, user_id: int) -> User:
    """An admin ends every browser and token of a person of their organisation (404 for
    another organisation's)."""
    if actor.role != Role.admin:
        raise Forbidden("Only an admin can sign someone out.")
    user = get_user(db, actor=actor, user_id=user_id)
    end_sessions(db, actor=actor, user=user, reason="signed out by an admin")
    return user
