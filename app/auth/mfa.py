"""Two-step sign-in (issue 16): a TOTP (RFC 6238) code from an authenticator app after the
password, single-use recovery codes for a lost phone, and the organisation's requirement.

- Set-up: `begin_setup` stores a pending secret (shown to its owner only, while setting
  up); `confirm` turns it on once a code from the app matches.
- A code works once: each accepted code's time step is kept (`mfa_last_step`) and only a
  later step is accepted, in one conditional UPDATE, so two requests with the same code
  cannot both pass. One step (30 seconds) of clock drift is allowed each way.
- Recovery codes: ten, each 50 random bits, kept as SHA-256 (they are as random as a
  token); each works once, a new set ends the old one.
- Wrong codes count like wrong passwords (signin.py's `reserve_attempt`): counted, and
  committed, before they are checked; enough of them lock the account.
- The requirement: the roles in `organisation.require_mfa_for` must use it. A person it
  covers without it may still sign in until `mfa_setup_due` (service.note_mfa_requirement,
  `mfa_grace_days` after it first applied to them); after that their API tokens stop
  working and a password sign-in takes them to set-up and nowhere else.
Secrets and codes never reach the audit trail or the logs."""

from __future__ import annotations

import hmac
import re
import secrets
from datetime import datetime, timedelta
from typing import Literal

import pyotp
from sqlalchemy import delete, func, or_, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.models import Organisation, RecoveryCode, Role, SignInChallenge, User
from app.auth.security import hash_password, new_token, token_digest, verify_password
from app.auth.service import end_sessions, get_user, note_mfa_requirement, now
from app.auth.signin import (
    ACCOUNT_LOCKED,
    clear_failures,
    record_failure,
    reserve_attempt,
)
from app.config import get_settings
from app.exceptions import Conflict, Forbidden, Invalid, NotAuthenticated
from app.mail import service as mail
from app.mail.kinds import Kind

STEP_SECONDS = 30
DRIFT_STEPS = 1
RECOVERY_CODES = 10
CHALLENGE_MINUTES = 5

WRONG_CODE = "The code is wrong or has already been used. Enter the latest code from your app."
CODE_NEEDED = "Enter the 6-digit code from your authenticator app, or a recovery code."
SETUP_NEEDED = (
    "Your organisation requires two-step sign-in for your role and your time to set it up "
    "has ended. Sign in to Tandem's website to set it up."
)
CODES_LOCKED = "Too many wrong codes. Try again later."

Requirement = Literal["met", "grace", "overdue"]


# The organisation's requirement ----------------------------------------------------------


def requirement(user: User) -> Requirement:
    """Whether `user` is fine ("met": MFA on, or not required), inside their grace period
    ("grace") or past it ("overdue"). Reads only the user's row."""
    if user.mfa_enabled_at is not None or user.mfa_setup_due is None:
        return "met"
    return "grace" if now() < user.mfa_setup_due else "overdue"


def note_sign_in(db: Session, user: User) -> Requirement:
    """At every sign-in: start (or end) the grace period if the requirement now covers
    them (or no longer does), and say where they stand."""
    org = db.get(Organisation, user.org_id)
    assert org is not None
    before = (user.mfa_required_since, user.mfa_setup_due)
    note_mfa_requirement(org, [user])
    if (user.mfa_required_since, user.mfa_setup_due) != before:
        db.add(user)
    return requirement(user)


# Codes -------------------------------------------------------------------------------------


def _step(at: datetime) -> int:
    return int(at.timestamp()) // STEP_SECONDS


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, interval=STEP_SECONDS)


def code_now(secret: str, at: datetime | None = None) -> str:
    """The code an app shows at `at` (now): for tests and the command line."""
    return _totp(secret).at(at or now())


def _digits(code: str) -> str | None:
    """A TOTP as typed ("123 456", "123-456") as its six digits, else None."""
    plain = re.sub(r"[\s-]", "", code)
    return plain if re.fullmatch(r"\d{6}", plain) else None


def _recovery_plain(code: str) -> str | None:
    """A recovery code as typed ("abcde-fghij", any case) as its ten characters, else None."""
    plain = re.sub(r"[\s-]", "", code).lower()
    return plain if re.fullmatch(r"[a-z2-7]{10}", plain) else None


def _matching_step(secret: str, digits: str) -> int | None:
    totp = _totp(secret)
    current = _step(now())
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), digits):
            return step
    return None


def _use_totp(db: Session, user: User, secret: str, code: str) -> bool:
    """Accept a TOTP once: only a step later than the last accepted, atomically."""
    digits = _digits(code)
    step = _matching_step(secret, digits) if digits else None
    if step is None:
        return False
    taken = db.execute(
        update(User)
        .where(
            col(User.id) == user.id,
            or_(col(User.mfa_last_step).is_(None), col(User.mfa_last_step) < step),
        )
        .values(mfa_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        return False
    set_committed_value(user, "mfa_last_step", step)
    return True


def _use_recovery_code(db: Session, user: User, code: str) -> bool:
    """Accept a recovery code once. Each is kept as an Argon2 hash (50 random bits is less
    than the 112 a plain digest would need, ASVS 5.0 V6.5.2), so the unused ones (ten at
    most) are checked in turn; using the match is one conditional UPDATE, so two requests
    with the same code cannot both use it."""
    plain = _recovery_plain(code)
    if plain is None:
        return False
    unused = db.exec(
        select(RecoveryCode.id, RecoveryCode.code_hash).where(
            RecoveryCode.user_id == user.id, col(RecoveryCode.used_at).is_(None)
        )
    ).all()
    match = next((row_id for row_id, hashed in unused if verify_password(plain, hashed)[0]), None)
    if match is None:
        return False
    used = db.execute(
        update(RecoveryCode)
        .where(col(RecoveryCode.id) == match, col(RecoveryCode.used_at).is_(None))
        .values(used_at=now())
        .execution_options(synchronize_session=False)
    )
    return bool(used.rowcount == 1)  # type: ignore[attr-defined]


def _accept(db: Session, user: User, code: str) -> Literal["totp", "recovery"] | None:
    """Use the code if it is right (a TOTP, else a recovery code): what kind it was."""
    if user.mfa_enabled_at is None or not user.mfa_secret:
        return None
    if _digits(code) is not None:
        return "totp" if _use_totp(db, user, user.mfa_secret, code) else None
    return "recovery" if _use_recovery_code(db, user, code) else None


def _counted(db: Session, user: User, code: str, *, locked: str) -> bool:
    """Check a code as a sign-in attempt: counted and committed first, like a password
    (TooManyRequests while the account is locked); a wrong one is committed as a failure."""
    attempt = reserve_attempt(db, user, locked=locked)
    if _accept(db, user, code):
        clear_failures(db, user)
        return True
    record_failure(db, user=user, attempt=attempt)
    db.commit()
    return False


def _wrong(field: str = "code") -> Invalid:
    return Invalid(WRONG_CODE, [{"loc": ["body", field], "msg": WRONG_CODE}])


def remaining_recovery_codes(db: Session, user: User) -> int:
    return int(
        db.exec(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, col(RecoveryCode.used_at).is_(None))
        ).one()
    )


# Signing in --------------------------------------------------------------------------------


def token_second_factor(db: Session, *, user: User, otp: str | None) -> None:
    """POST /auth/token for someone with MFA on, after the right password: the `otp` form
    field must be a right, unused code. Otherwise 401 with `mfa_required` (the attempt,
    already counted by the password check, stays counted)."""
    if otp and _accept(db, user, otp):
        clear_failures(db, user)
        return
    record_failure(db, user=user, attempt=user.failed_logins)
    db.commit()
    detail = WRONG_CODE if otp else "Two-step sign-in is on: send the code as the field otp."
    raise NotAuthenticated(detail, mfa_required=True)


def second_step(db: Session, *, user: User, code: str) -> None:
    """The sign-in page's second step: NotAuthenticated for a wrong code, TooManyRequests
    (the lock message) once there have been too many."""
    if not _counted(db, user, code, locked=ACCOUNT_LOCKED):
        raise NotAuthenticated(WRONG_CODE)


def start_challenge(
    db: Session, *, user: User, method: str, target: str
) -> tuple[str, SignInChallenge]:
    """A sign-in waiting for its code, for CHALLENGE_MINUTES: (cookie value, row)."""
    stamp = now()
    db.execute(delete(SignInChallenge).where(col(SignInChallenge.expires_at) < stamp))
    raw = new_token()
    challenge = SignInChallenge(
        user_id=user.id or 0,
        token_hash=token_digest(raw),
        csrf_token=new_token(),
        method=method,
        target=target[:2000],
        created_at=stamp,
        expires_at=stamp + timedelta(minutes=CHALLENGE_MINUTES),
    )
    db.add(challenge)
    db.flush()
    return raw, challenge


def find_challenge(db: Session, raw: str | None) -> tuple[SignInChallenge, User] | None:
    if not raw:
        return None
    row = db.exec(
        select(SignInChallenge, User)
        .join(User, col(User.id) == col(SignInChallenge.user_id))
        .where(SignInChallenge.token_hash == token_digest(raw))
    ).first()
    if row is None or now() >= row[0].expires_at or not row[1].active:
        return None
    return row[0], row[1]


def end_challenge(db: Session, challenge: SignInChallenge) -> None:
    db.execute(delete(SignInChallenge).where(col(SignInChallenge.id) == challenge.id))


# Setting it up, turning it off -----------------------------------------------------------


def otpauth_uri(user: User, secret: str) -> str:
    return _totp(secret).provisioning_uri(name=user.email, issuer_name=get_settings().service_name)


def pending_secret(user: User) -> str | None:
    """The secret being set up (not confirmed yet), for its owner's eyes only."""
    return user.mfa_secret if user.mfa_enabled_at is None else None


def _audit(db: Session, *, actor: User, user: User, action: str, what: str) -> None:
    audit.record(
        db,
        org_id=user.org_id,
        actor=actor,
        action=action,
        entity="user",
        entity_id=user.id,
        changes={"two_step_sign_in": what},
    )


def _tell(db: Session, user: User, change: str) -> None:
    mail.send(db, recipient=user, kind=Kind.mfa_changed, context={"change": change})


def begin_setup(db: Session, *, actor: User) -> tuple[str, str]:
    """A new pending secret: (secret, otpauth URI). 409 if MFA is already on."""
    if actor.mfa_enabled_at is not None:
        raise Conflict("Two-step sign-in is already on. Turn it off first to use a new phone.")
    secret = pyotp.random_base32()
    actor.mfa_secret = secret
    actor.mfa_last_step = None
    db.add(actor)
    _audit(db, actor=actor, user=actor, action="mfa_setup", what="set-up started")
    return secret, otpauth_uri(actor, secret)


def confirm(db: Session, *, actor: User, code: str) -> None:
    """Turn MFA on with a code from the app for the pending secret (422 if it is wrong, 409
    if there is nothing to confirm)."""
    if actor.mfa_enabled_at is not None:
        raise Conflict("Two-step sign-in is already on.")
    secret = actor.mfa_secret
    if not secret:
        raise Conflict("Start setting up two-step sign-in first (POST /api/v1/me/mfa).")
    if not _use_totp(db, actor, secret, code):
        raise _wrong()
    actor.mfa_enabled_at = now()
    db.add(actor)
    _audit(db, actor=actor, user=actor, action="mfa_on", what="turned on")
    _tell(db, actor, "turned on")


def new_recovery_codes(db: Session, *, user: User) -> list[str]:
    """Ten new single-use codes (the old set ends): shown once, kept as Argon2 hashes."""
    db.execute(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.id))
    stamp = now()
    codes: list[str] = []
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    for _ in range(RECOVERY_CODES):
        plain = "".join(secrets.choice(alphabet) for _ in range(10))
        codes.append(f"{plain[:5]}-{plain[5:]}")
        db.add(RecoveryCode(user_id=user.id or 0, code_hash=hash_password(plain), created_at=stamp))
    return codes


def renew_recovery_codes(db: Session, *, actor: User, code: str) -> list[str]:
    """A new set of recovery codes, for a right code (a TOTP or a recovery code)."""
    if actor.mfa_enabled_at is None:
        raise Conflict("Two-step sign-in is not on.")
    if not _counted(db, actor, code, locked=CODES_LOCKED):
        raise _wrong()
    codes = new_recovery_codes(db, user=actor)
    _audit(db, actor=actor, user=actor, action="mfa_recovery_codes", what="new recovery codes")
    _tell(db, actor, "given a new set of recovery codes")
    return codes


def _turn_off(db: Session, user: User) -> None:
    user.mfa_secret = None
    user.mfa_enabled_at = None
    user.mfa_last_step = None
    db.add(user)
    db.execute(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.id))


def disable(db: Session, *, actor: User, code: str) -> None:
    """Turn MFA off, for a right code (a TOTP or a recovery code)."""
    if actor.mfa_enabled_at is None:
        raise Conflict("Two-step sign-in is not on.")
    if not _counted(db, actor, code, locked=CODES_LOCKED):
        raise _wrong()
    _turn_off(db, actor)
    _audit(db, actor=actor, user=actor, action="mfa_off", what="turned off")
    _tell(db, actor, "turned off")


def admin_reset(db: Session, *, actor: User, user_id: int) -> User:
    """An admin turns someone's MFA off (a lost phone): they set it up again at their next
    sign-in if their role requires it, and every browser and API token of theirs ends. 409
    if it is not on or being set up."""
    if actor.role != Role.admin:
        raise Forbidden("Only an admin can reset two-step sign-in.")
    user = get_user(db, actor=actor, user_id=user_id)
    if user.mfa_enabled_at is None and not user.mfa_secret:
        raise Conflict(f"{user.name} has not set up two-step sign-in.")
    _turn_off(db, user)
    _audit(db, actor=actor, user=user, action="mfa_reset", what="reset by an admin")
    # A lost phone may be in someone else's hands, signed in: every browser and token ends.
    end_sessions(db, actor=actor, user=user, reason="two-step sign-in reset by an admin")
    _tell(db, user, "reset by your organisation's admin")
    return user
