"""Checking passwords: signing in, and changing one's own password. Every attempt is
counted, and the count committed, before its password is checked (issue 13): a locked
account and a slowed address hold however many attempts arrive at once."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, func, literal, null, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.models import LoginFailure, User
from app.auth.security import hash_password, password_problem, verify_password
from app.auth.service import now, revoke_all
from app.config import get_settings
from app.db import UTCDateTime
from app.exceptions import Invalid, NotAuthenticated, TooManyRequests
from app.mail import service as mail
from app.mail.kinds import Kind

WRONG_CREDENTIALS = "Email or password is wrong."
ACCOUNT_LOCKED = "This account is locked after too many failed sign-ins. Try again later."
ADDRESS_SLOWED = "Too many failed sign-ins from this address. Wait a few seconds between attempts."


def _seconds_until(moment: datetime) -> int:
    return max(1, math.ceil((moment - now()).total_seconds()))


def authenticate(db: Session, *, email: str, password: str, address: str) -> User:
    """The user, or NotAuthenticated (one message for every wrong combination) or
    TooManyRequests (this account is locked, or this address is trying too often).

    Every attempt is counted, and the count committed, before its password is checked, in
    statements that are each atomic: a parallel burst checks no more passwords than the
    limits allow (issue 13).

    - The account (`reserve_attempt`): one UPDATE ... RETURNING adds the attempt to
      `failed_logins`. The attempt that reaches `login_max_failures` locks the account for
      `lockout_minutes` and is still checked; later ones are refused (429) unchecked until
      the lock ends. The right password sets the count back to 0 and clears any lock.
    - The address (`_reserve_address`): a LoginFailure row is committed, then counted.
      Up to `address_max_failures` failures in `lockout_minutes`, every attempt is
      checked. Over that the address is slowed, never shut out (a council office behind
      one NAT): one attempt per `address_retry_seconds` is checked, so the right password
      signs in and a wrong one is one more failure; an attempt sooner than that after
      another is refused (429 with Retry-After) and its row withdrawn, so refused
      attempts never push the next chance further away. An attempt that signs in, or is
      refused because the account is locked, checks no password and leaves no row.
    """
    reservation = _reserve_address(db, address)
    key = email.strip().lower()
    # No address holds a NUL character (and PostgreSQL cannot compare one): nobody's.
    user = None if "\x00" in key else db.exec(select(User).where(User.email == key)).first()
    attempt = 0
    if user is not None:
        try:
            attempt = reserve_attempt(db, user, locked=ACCOUNT_LOCKED)
        except TooManyRequests:
            _withdraw_address(db, reservation)
            db.commit()
            raise
    ok, new_hash = verify_password(password, user.password_hash if user else None)
    if not ok or user is None or not user.active:
        record_failure(db, user=user, attempt=attempt)
        # The writes a refused request keeps: without them the limits could not count.
        db.commit()
        raise NotAuthenticated(WRONG_CREDENTIALS)
    _withdraw_address(db, reservation)
    if user.mfa_enabled_at is None:
        clear_failures(db, user)
    # else: the attempt stays counted until its second step succeeds (app/auth/mfa.py), so
    # the right password cannot reset the count between guesses at the code.
    if new_hash:
        user.password_hash = new_hash
        db.add(user)
    return user


def _reserve_address(db: Session, address: str) -> int:
    """Write this attempt as a failure of the address and commit it, then count: the id of
    the row (deleted again if the attempt signs in), or TooManyRequests. Two attempts that
    commit their rows before they count cannot both miss the other's row, so no more than
    one attempt per `address_retry_seconds` gets through a slowed address."""
    settings = get_settings()
    stamp = now()
    address = address[:64]
    reservation = LoginFailure(address=address, at=stamp)
    db.add(reservation)
    db.commit()
    assert reservation.id is not None
    window_start = stamp - timedelta(minutes=settings.lockout_minutes)
    failures = db.exec(
        select(func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.address == address, col(LoginFailure.at) > window_start)
    ).one()
    if failures <= settings.address_max_failures:  # this attempt's row included
        return reservation.id
    interval = timedelta(seconds=settings.address_retry_seconds)
    latest: datetime | None = db.exec(
        select(func.max(LoginFailure.at)).where(
            LoginFailure.address == address,
            col(LoginFailure.id) != reservation.id,
            col(LoginFailure.at) > stamp - interval,
        )
    ).one()
    if latest is None:
        return reservation.id
    _withdraw_address(db, reservation.id)
    db.commit()
    raise TooManyRequests(ADDRESS_SLOWED, retry_after=_seconds_until(latest + interval))


def _withdraw_address(db: Session, reservation: int) -> None:
    db.execute(delete(LoginFailure).where(col(LoginFailure.id) == reservation))


def reserve_attempt(db: Session, user: User, *, locked: str) -> int:
    """Add one attempt to the account's count, atomically and committed, before the
    password is checked: the attempt's number (1 to `login_max_failures`), or
    TooManyRequests(`locked`) while the account is locked. A lock that has ended starts
    the count again; the attempt that reaches the limit locks the account."""
    settings = get_settings()
    limit = settings.login_max_failures
    stamp = now()
    count, locked_until = col(User.failed_logins), col(User.locked_until)
    is_locked = locked_until > stamp
    attempt = case(
        # Numbers above the limit mean "refused": the caller cannot see the old values.
        (is_locked, case((count > limit, count + 1), else_=limit + 1)),
        (locked_until <= stamp, 1),
        else_=count + 1,
    )
    until = literal(stamp + timedelta(minutes=settings.lockout_minutes), UTCDateTime())
    row = db.execute(
        update(User)
        .where(col(User.id) == user.id)
        .values(
            failed_logins=attempt,
            locked_until=case((is_locked, locked_until), (attempt >= limit, until), else_=null()),
        )
        .returning(count, locked_until)
        .execution_options(synchronize_session=False)
    ).one()
    db.commit()
    set_committed_value(user, "failed_logins", row[0])
    set_committed_value(user, "locked_until", row[1])
    if row[0] > limit:
        assert row[1] is not None
        raise TooManyRequests(locked, retry_after=_seconds_until(row[1]))
    return int(row[0])


def clear_failures(db: Session, user: User) -> None:
    db.execute(
        update(User)
        .where(col(User.id) == user.id)
        .values(failed_logins=0, locked_until=None)
        .execution_options(synchronize_session=False)
    )
    set_committed_value(user, "failed_logins", 0)
    set_committed_value(user, "locked_until", None)


def record_failure(db: Session, *, user: User | None, attempt: int) -> None:
    """A wrong password (or an unknown or inactive account): the address's row stays; the
    attempt that reached the limit has locked the account, which the audit records."""
    db.execute(delete(LoginFailure).where(col(LoginFailure.at) < now() - timedelta(days=1)))
    if user is not None and attempt >= get_settings().login_max_failures:
        assert user.locked_until is not None
        audit.record(
            db,
            org_id=user.org_id,
            actor=None,
            action="lock",
            entity="user",
            entity_id=user.id,
            changes={"locked_until": [None, user.locked_until.isoformat()]},
        )
        # One email per lock (the key names the lock), committed with the failure.
        mail.send(
            db,
            recipient=user,
            kind=Kind.account_locked,
            context={"locked_until": user.locked_until},
            dedupe_key=f"account_locked:{user.id}:{user.locked_until.isoformat()}",
        )


def change_password(
    db: Session, *, actor: User, current: str, new: str, keep_session_id: int | None
) -> None:
    # Guessing the current password from a session counts like failed sign-ins, counted
    # before the check as they are (see authenticate).
    attempt = reserve_attempt(db, actor, locked="Too many wrong passwords. Try again later.")
    ok, _ = verify_password(current, actor.password_hash)
    if ok:
        clear_failures(db, actor)
    else:
        record_failure(db, user=actor, attempt=attempt)
    # The check's outcome stands even if the new password is refused below.
    db.commit()
    errors: list[dict[str, Any]] = []
    if not ok:
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
    mail.send(
        db,
        recipient=actor,
        kind=Kind.password_changed,
        context={"changed_at": actor.password_changed_at, "by_admin_command": False},
    )
