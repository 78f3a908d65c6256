"""Accounts, sign-in, sessions and tokens. Every function takes the acting user and
enforces tenancy and permissions itself, so the API and the pages get them for free."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.models import ApiToken, LoginFailure, Organisation, Role, User, WebSession
from app.auth.security import (
    hash_password,
    new_token,
    password_problem,
    token_digest,
    verify_password,
)
from app.config import get_settings
from app.exceptions import Conflict, Forbidden, Invalid, NotAuthenticated, NotFound, TooManyRequests

WRONG_CREDENTIALS = "Email or password is wrong."
STAFF_ROLES = (Role.admin, Role.lead)


def require_staff(actor: User) -> None:
    """Programme leads and admins run the programme; other roles are refused (403)."""
    if actor.role not in STAFF_ROLES:
        raise Forbidden("Only a programme lead can do this.")


def now() -> datetime:
    return datetime.now(UTC)


def normalise_email(raw: str) -> str:
    """Lower-cased, validated syntax (no DNS look-up). Raises Invalid."""
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise Invalid(
            "Enter an email address in the correct format, like name@example.org",
            [{"loc": ["body", "email"], "msg": str(exc)}],
        ) from None


# Organisations ----------------------------------------------------------------------------


def get_or_create_organisation(db: Session, name: str) -> tuple[Organisation, bool]:
    name = name.strip()
    if not name:
        raise Invalid("Give the organisation a name", [{"loc": ["org"], "msg": "empty"}])
    found = db.exec(select(Organisation).where(Organisation.name == name)).first()
    if found:
        return found, False
    org = Organisation(name=name, created_at=now())
    db.add(org)
    db.flush()
    assert org.id is not None
    audit.record(
        db,
        org_id=org.id,
        actor=None,
        action="create",
        entity="organisation",
        entity_id=org.id,
        changes={"name": [None, name]},
    )
    return org, True


# Users ------------------------------------------------------------------------------------


def _require(actor: User, *roles: Role) -> None:
    if actor.role not in roles:
        raise Forbidden("Your role cannot do this.")


def get_user(db: Session, *, actor: User, user_id: int) -> User:
    """A user of the actor's organisation (404 for anyone else's)."""
    user = db.get(User, user_id)
    if user is None or user.org_id != actor.org_id:
        raise NotFound(f"There is no user {user_id}.")
    return user


def list_users(db: Session, *, actor: User) -> list[User]:
    _require(actor, Role.admin)
    return list(
        db.exec(
            select(User)
            .where(User.org_id == actor.org_id)
            .order_by(col(User.active).desc(), col(User.name))
        ).all()
    )


def create_user(
    db: Session,
    *,
    actor: User | None,
    org_id: int,
    email: str,
    name: str,
    role: Role,
    password: str,
) -> User:
    """`actor` None is the command line (bootstrap); otherwise an admin of `org_id`."""
    if actor is not None:
        _require(actor, Role.admin)
        org_id = actor.org_id
    errors: list[dict[str, Any]] = []
    try:
        email = normalise_email(email)
    except Invalid as exc:
        errors += exc.errors
    name = name.strip()
    if not name:
        errors.append({"loc": ["body", "name"], "msg": "Enter the person's name"})
    problem = password_problem(password, email)
    if problem:
        errors.append({"loc": ["body", "password"], "msg": problem})
    if errors:
        raise Invalid("; ".join(str(e["msg"]) for e in errors), errors)
    if db.exec(select(User.id).where(User.email == email)).first() is not None:
        raise Conflict(f"A user with the email {email} already exists.")
    stamp = now()
    user = User(
        org_id=org_id,
        email=email,
        name=name,
        role=role,
        password_hash=hash_password(password),
        created_at=stamp,
        password_changed_at=stamp,
    )
    db.add(user)
    try:
        with db.begin_nested():
            db.flush()
    except IntegrityError:  # a concurrent insert of the same email
        raise Conflict(f"A user with the email {email} already exists.") from None
    assert user.id is not None
    audit.record(
        db,
        org_id=org_id,
        actor=actor,
        action="create",
        entity="user",
        entity_id=user.id,
        changes={"email": [None, email], "name": [None, name], "role": [None, role.value]},
    )
    return user


def _active_admins(db: Session, org_id: int) -> int:
    return int(
        db.exec(
            select(func.count())
            .select_from(User)
            .where(User.org_id == org_id, User.role == Role.admin, col(User.active).is_(True))
        ).one()
    )


def update_user(
    db: Session,
    *,
    actor: User,
    user_id: int,
    name: str | None = None,
    role: Role | None = None,
    active: bool | None = None,
) -> User:
    _require(actor, Role.admin)
    user = get_user(db, actor=actor, user_id=user_id)
    new_name = user.name if name is None else name.strip()
    new_role = user.role if role is None else role
    new_active = user.active if active is None else active
    if not new_name:
        raise Invalid(
            "Enter the person's name",
            [{"loc": ["body", "name"], "msg": "Enter the person's name"}],
        )
    losing_admin = (
        user.role == Role.admin and user.active and (new_role != Role.admin or not new_active)
    )
    # Counted before anything changes (an autoflush would count the change itself).
    if losing_admin and _active_admins(db, actor.org_id) <= 1:
        raise Conflict("The organisation must keep at least one active admin.")
    before = {"name": user.name, "role": user.role, "active": user.active}
    after = {"name": new_name, "role": new_role, "active": new_active}
    user.name, user.role, user.active = new_name, new_role, new_active
    changes = audit.changes_between(before, after)
    if not changes:
        return user
    if before["active"] and not user.active:
        revoke_all(db, user_id=user_id)
    db.add(user)
    audit.record(
        db,
        org_id=actor.org_id,
        actor=actor,
        action="update",
        entity="user",
        entity_id=user.id,
        changes=changes,
    )
    return user


def revoke_all(db: Session, *, user_id: int, keep_session_id: int | None = None) -> None:
    stamp = now()
    sessions = update(WebSession).where(
        col(WebSession.user_id) == user_id, col(WebSession.revoked_at).is_(None)
    )
    if keep_session_id is not None:
        sessions = sessions.where(col(WebSession.id) != keep_session_id)
    db.execute(sessions.values(revoked_at=stamp))
    db.execute(
        update(ApiToken)
        .where(col(ApiToken.user_id) == user_id, col(ApiToken.revoked_at).is_(None))
        .values(revoked_at=stamp)
    )


def change_password(
    db: Session, *, actor: User, current: str, new: str, keep_session_id: int | None
) -> None:
    if actor.locked_until is not None and actor.locked_until > now():
        raise TooManyRequests(
            "Too many wrong passwords. Try again later.",
            retry_after=_seconds_until(actor.locked_until),
        )
    ok, _ = verify_password(current, actor.password_hash)
    errors: list[dict[str, Any]] = []
    if not ok:
        # Guessing the current password from a session counts like failed sign-ins.
        _count_failure(db, actor)
        db.commit()
        errors.append(
            {"loc": ["body", "current_password"], "msg": "Your current password is wrong"}
        )
    problem = password_problem(new, actor.email)
    if problem:
        errors.append({"loc": ["body", "new_password"], "msg": problem})
    elif new == current:
        errors.append(
            {"loc": ["body", "new_password"], "msg": "Choose a password you are not using now"}
        )
    if errors:
        raise Invalid("; ".join(str(e["msg"]) for e in errors), errors)
    actor.password_hash = hash_password(new)
    actor.password_changed_at = now()
    db.add(actor)
    revoke_all(db, user_id=actor.id or 0, keep_session_id=keep_session_id)
    audit.record(
        db,
        org_id=actor.org_id,
        actor=actor,
        action="change_password",
        entity="user",
        entity_id=actor.id,
        changes={"password": "changed"},
    )


# Signing in -------------------------------------------------------------------------------


def _seconds_until(moment: datetime) -> int:
    return max(1, math.ceil((moment - now()).total_seconds()))


def authenticate(db: Session, *, email: str, password: str, address: str) -> User:
    """The user, or NotAuthenticated (one message for every wrong combination) or
    TooManyRequests (this account is locked, or this address has failed too often)."""
    settings = get_settings()
    window_start = now() - timedelta(minutes=settings.lockout_minutes)
    failures_here = db.exec(
        select(func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.address == address, col(LoginFailure.at) > window_start)
    ).one()
    if failures_here >= settings.address_max_failures:
        raise TooManyRequests(
            "Too many failed sign-ins from this address. Try again later.",
            retry_after=settings.lockout_minutes * 60,
        )
    key = email.strip().lower()
    # No address holds a NUL character (and PostgreSQL cannot compare one): nobody's.
    user = None if "\x00" in key else db.exec(select(User).where(User.email == key)).first()
    if user is not None and user.locked_until is not None and user.locked_until > now():
        raise TooManyRequests(
            "This account is locked after too many failed sign-ins. Try again later.",
            retry_after=_seconds_until(user.locked_until),
        )
    ok, new_hash = verify_password(password, user.password_hash if user else None)
    if not ok or user is None or not user.active:
        _record_failure(db, user=user, address=address)
        # The one write a refused request keeps: without it the lockout could not count.
        db.commit()
        raise NotAuthenticated(WRONG_CREDENTIALS)
    if new_hash:
        user.password_hash = new_hash
    user.failed_logins = 0
    user.locked_until = None
    db.add(user)
    return user


def _record_failure(db: Session, *, user: User | None, address: str) -> None:
    stamp = now()
    db.add(LoginFailure(address=address[:64], at=stamp))
    db.execute(delete(LoginFailure).where(col(LoginFailure.at) < stamp - timedelta(days=1)))
    if user is not None:
        _count_failure(db, user)


def _count_failure(db: Session, user: User) -> None:
    settings = get_settings()
    stamp = now()
    user.failed_logins += 1
    if user.failed_logins >= settings.login_max_failures:
        user.locked_until = stamp + timedelta(minutes=settings.lockout_minutes)
        user.failed_logins = 0
        audit.record(
            db,
            org_id=user.org_id,
            actor=None,
            action="lock",
            entity="user",
            entity_id=user.id,
            changes={"locked_until": [None, user.locked_until.isoformat()]},
        )
    db.add(user)


@dataclass(frozen=True)
class Principal:
    user: User
    via: Literal["session", "token"]
    session: WebSession | None = None


def start_session(db: Session, *, user: User) -> tuple[str, WebSession]:
    settings = get_settings()
    raw = new_token()
    stamp = now()
    session = WebSession(
        org_id=user.org_id,
        user_id=user.id or 0,
        token_hash=token_digest(raw),
        csrf_token=new_token(),
        created_at=stamp,
        last_seen_at=stamp,
        expires_at=stamp + timedelta(hours=settings.session_absolute_hours),
    )
    db.add(session)
    audit.record(
        db, org_id=user.org_id, actor=user, action="sign_in", entity="user", entity_id=user.id
    )
    return raw, session


def end_session(db: Session, *, session: WebSession, user: User) -> None:
    session.revoked_at = now()
    db.add(session)
    audit.record(
        db, org_id=user.org_id, actor=user, action="sign_out", entity="user", entity_id=user.id
    )


def resolve_session(db: Session, raw: str) -> Principal | None:
    settings = get_settings()
    row = db.exec(
        select(WebSession, User)
        .join(User, col(User.id) == col(WebSession.user_id))
        .where(WebSession.token_hash == token_digest(raw))
    ).first()
    if row is None:
        return None
    session, user = row
    stamp = now()
    idle_limit = session.last_seen_at + timedelta(minutes=settings.session_idle_minutes)
    if session.revoked_at or stamp >= session.expires_at or stamp >= idle_limit or not user.active:
        return None
    if stamp - session.last_seen_at > timedelta(minutes=1):  # not a write on every request
        session.last_seen_at = stamp
        db.add(session)
    return Principal(user=user, via="session", session=session)


def issue_token(db: Session, *, user: User) -> tuple[str, ApiToken]:
    raw = new_token()
    stamp = now()
    token = ApiToken(
        org_id=user.org_id,
        user_id=user.id or 0,
        token_hash=token_digest(raw),
        created_at=stamp,
        expires_at=stamp + timedelta(hours=get_settings().token_hours),
    )
    db.add(token)
    audit.record(
        db, org_id=user.org_id, actor=user, action="issue_token", entity="user", entity_id=user.id
    )
    return raw, token


def resolve_token(db: Session, raw: str) -> Principal | None:
    row = db.exec(
        select(ApiToken, User)
        .join(User, col(User.id) == col(ApiToken.user_id))
        .where(ApiToken.token_hash == token_digest(raw))
    ).first()
    if row is None:
        return None
    token, user = row
    if token.revoked_at or now() >= token.expires_at or not user.active:
        return None
    return Principal(user=user, via="token")


def revoke_token(db: Session, *, raw: str, user: User) -> None:
    db.execute(
        update(ApiToken)
        .where(col(ApiToken.token_hash) == token_digest(raw), col(ApiToken.user_id) == user.id)
        .values(revoked_at=now())
    )
    audit.record(
        db, org_id=user.org_id, actor=user, action="revoke_token", entity="user", entity_id=user.id
    )


def public_user(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "org_id": user.org_id,
        "active": user.active,
    }


def update_organisation(db: Session, *, actor: User, changes: dict[str, Any]) -> Organisation:
    """Settings of the actor's own organisation (admin). A new holiday region applies to
    cohorts planned, and lessons moved, from now on."""
    _require(actor, Role.admin)
    org = db.get(Organisation, actor.org_id)
    assert org is not None
    low = changes.get("mentoring_hours_min", org.mentoring_hours_min)
    high = changes.get("mentoring_hours_max", org.mentoring_hours_max)
    if low > high:
        raise Invalid(
            "The lowest weekly mentoring hours cannot be above the highest",
            [{"loc": ["body", "mentoring_hours_min"], "msg": "must not be above the highest"}],
        )
    if changes.get("match_weights") is not None:
        # A partial set of weights changes only those named: the rest keep theirs.
        changes = {**changes, "match_weights": {**org.match_weights, **changes["match_weights"]}}
    audit.update(db, org, changes, actor=actor, entity="organisation", entity_id=org.id)
    return org
