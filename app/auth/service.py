"""Organisations, accounts, sessions and tokens (checking a password, and counting the
wrong ones, is signin.py's). Every function takes the acting user and enforces tenancy and
permissions itself, so the API and the pages get them for free."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import Date, and_, column, func, or_, table, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.models import ApiToken, Organisation, Role, User, WebSession
from app.auth.security import (
    hash_password,
    new_token,
    password_problem,
    token_digest,
)
from app.clock import ORGANISATIONS, today_for
from app.config import get_settings
from app.db import after_commit as db_after_commit
from app.exceptions import Conflict, Forbidden, Invalid, NotFound
from app.hooks import Hook

ORGANISATIONS.set(Organisation)  # the clock reads each organisation's timezone from it

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


# What every new organisation is given by later domains (its first programme: app/programmes).
organisation_created: Hook[Callable[[Session, Organisation], object]] = Hook(
    "organisation_created", "app.programmes.service"
)


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
    organisation_created()(db, org)
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
    password: str | None,
) -> User:
    """`actor` None is the command line (bootstrap); otherwise an admin of `org_id`.
    Without a password the account has none (no password signs it in) until one is set by
    an invitation link (app/auth/links.py) or `tandem users set-password`."""
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
    problem = None if password is None else password_problem(password, email)
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
        password_hash=None if password is None else hash_password(password),
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
    if (user.active and not new_active) or new_role != user.role:
        refusal = _open_commitments(db, user=user)
        if refusal:
            raise Conflict(refusal)
    before = {"name": user.name, "role": user.role, "active": user.active}
    after = {"name": new_name, "role": new_role, "active": new_active}
    user.name, user.role, user.active = new_name, new_role, new_active
    changes = audit.changes_between(before, after)
    if not changes:
        return user
    if before["active"] and not user.active:
        revoke_all(db, user_id=user_id)
    if "role" in changes:
        org = db.get(Organisation, user.org_id)
        assert org is not None
        note_mfa_requirement(org, [user])
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


# The tables of domains above auth, named here rather than imported: auth imports no
# domain above it (CONVENTIONS.md, "import only downwards").
_match = table(
    "mentor_match",
    column("org_id"),
    column("mentor_id"),
    column("child_id"),
    column("end_date", Date),
)
_child = table("child", column("id"), column("first_name"))
_cohort = table("cohort", column("id"), column("org_id"), column("name"))
_cohort_facilitator = table("cohort_facilitator", column("cohort_id"), column("user_id"))
_session_staffing = table("session_staffing", column("session_id"), column("user_id"))
_group_session = table(
    "group_session", column("id"), column("cohort_id"), column("date", Date), column("status")
)


def _open_commitments(db: Session, *, user: User) -> str | None:
    """Why `user` cannot be deactivated or given another role yet, or None: the open
    matches they mentor (not ended) and the sessions to come that they run (scheduled,
    today or later in the organisation's timezone: their cohorts' sessions, less those
    named for others, plus those they cover or run before a change of facilitators), by
    cohort. Two grouped queries, whatever the numbers."""
    today = today_for(db, user)
    children = list(
        db.execute(
            sa_select(_child.c.first_name)
            .join_from(_match, _child, _child.c.id == _match.c.child_id)
            .where(
                _match.c.org_id == user.org_id,
                _match.c.mentor_id == user.id,
                _match.c.end_date.is_(None),
            )
            .order_by(_child.c.first_name)
        ).scalars()
    )
    # Who runs a session: those named for it (a cover, or the facilitators before a change
    # of facilitators from a date), else the cohort's own (app/cohorts/service.py).
    named = sa_select(_session_staffing.c.session_id).where(
        _session_staffing.c.session_id == _group_session.c.id
    )
    named_here = named.where(_session_staffing.c.user_id == user.id)
    theirs = sa_select(_cohort_facilitator.c.cohort_id).where(
        _cohort_facilitator.c.cohort_id == _cohort.c.id, _cohort_facilitator.c.user_id == user.id
    )
    cohorts = db.execute(
        sa_select(_cohort.c.name, func.count(_group_session.c.id))
        .join_from(_cohort, _group_session, _group_session.c.cohort_id == _cohort.c.id)
        .where(
            _cohort.c.org_id == user.org_id,
            _group_session.c.date >= today,
            _group_session.c.status == "scheduled",
            or_(named_here.exists(), and_(~named.exists(), theirs.exists())),
        )
        .group_by(_cohort.c.id, _cohort.c.name)
        .order_by(_cohort.c.name)
    ).all()
    held: list[str] = []
    moves: list[str] = []
    if children:
        n = len(children)
        held.append(f"has {_plural(n, 'open match', 'open matches')} ({', '.join(children)})")
        moves.append("end the match" if n == 1 else "end the matches")
    if cohorts:
        groups = [f"{name} ({_plural(count, 'session')} to come)" for name, count in cohorts]
        held.append(f"facilitates {_and(groups)}")
        whose = "the cohort's" if len(cohorts) == 1 else "the cohorts'"
        moves.append(f"change {whose} facilitators")
    if not held:
        return None
    return f"{user.name} still {_and(held)}: {_and(moves)} first."


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


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


# Sessions and tokens ---------------------------------------------------------------------


@dataclass(frozen=True)
class Principal:
    user: User
    via: Literal["session", "token"]
    session: WebSession | None = None


def start_session(db: Session, *, user: User, method: str = "password") -> tuple[str, WebSession]:
    """A signed-in browser for `user`; the audit event says how they signed in."""
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
        method=method,
    )
    db.add(session)
    audit.record(
        db,
        org_id=user.org_id,
        actor=user,
        action="sign_in",
        entity="user",
        entity_id=user.id,
        changes={"method": [None, method]},
    )
    return raw, session


def end_session(db: Session, *, session: WebSession, user: User) -> None:
    session.revoked_at = now()
    db.add(session)
    audit.record(
        db, org_id=user.org_id, actor=user, action="sign_out", entity="user", entity_id=user.id
    )


def session_owner(db: Session, raw: str | None) -> int | None:
    """Whose sign-in this cookie was, ended or not (None for an unknown or absent one)."""
    if not raw:
        return None
    return db.exec(
        select(WebSession.user_id).where(WebSession.token_hash == token_digest(raw))
    ).first()


def csrf_owner(db: Session, csrf_token: str) -> int | None:
    """Whose sign-in a page's form token came from, ended or not."""
    return db.exec(select(WebSession.user_id).where(WebSession.csrf_token == csrf_token)).first()


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
        session_id = session.id
        db_after_commit(
            db,
            lambda s: s.execute(
                update(WebSession)
                .where(col(WebSession.id) == session_id, col(WebSession.last_seen_at) < stamp)
                .values(last_seen_at=stamp)
            ),
        )
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


def update_organisation(db: Session, *, actor: User, changes: dict[str, Any]) -> Organisation:
    """Settings of the actor's own organisation (admin). A new holiday region applies to
    cohorts planned, and lessons moved, from now on."""
    _require(actor, Role.admin)
    org = db.get(Organisation, actor.org_id)
    assert org is not None
    low = changes.get("mentoring_hours_min", org.mentoring_hours_min)
    high = changes.get("mentoring_hours_max", org.mentoring_hours_max)
    if low > high:
        message = "The lowest weekly mentoring hours cannot be above the highest"
        raise Invalid(message, [{"loc": ["body", "mentoring_hours_min"], "msg": message}])
    if changes.get("require_mfa_for") is not None:
        # Stored in the order of the roles, each once.
        chosen = {Role(r) for r in changes["require_mfa_for"]}
        changes = {**changes, "require_mfa_for": [r.value for r in Role if r in chosen]}
    if changes.get("match_weights") is not None:
        # A partial set of weights changes only those named: the rest keep theirs.
        changes = {**changes, "match_weights": {**org.match_weights, **changes["match_weights"]}}
    audit.update(db, org, changes, actor=actor, entity="organisation", entity_id=org.id)
    if "mentoring_hours_min" in changes or "mentoring_hours_max" in changes:
        _follow_weekly_band(db, actor, org)
    if "require_mfa_for" in changes or "mfa_grace_days" in changes:
        members = list(db.exec(select(User).where(User.org_id == org.id)).all())
        note_mfa_requirement(org, members)
        db.add_all(members)
    return org


# The organisation's weekly band is its group-and-mentoring programmes' (issue 19): a new one
# is theirs too, audited on each. Other programmes keep the band set on their own page.
_PROGRAMME = table(
    "programme",
    column("id"),
    column("org_id"),
    column("kind"),
    column("band_per"),
    column("band_min_hours"),
    column("band_max_hours"),
    column("version"),
)


def _follow_weekly_band(db: Session, actor: User, org: Organisation) -> None:
    p = _PROGRAMME.c
    weekly_groups = (
        p.org_id == org.id,
        p.kind == "group_and_mentoring",
        p.band_per == "week",
    )
    before = db.execute(
        sa_select(p.id, p.band_min_hours, p.band_max_hours).where(*weekly_groups)
    ).all()
    new = (float(org.mentoring_hours_min), float(org.mentoring_hours_max))
    changed = [row for row in before if (row.band_min_hours, row.band_max_hours) != new]
    if not changed:
        return
    db.execute(
        update(_PROGRAMME)
        .where(p.id.in_([row.id for row in changed]))
        .values(band_min_hours=new[0], band_max_hours=new[1], version=p.version + 1)
    )
    for row in changed:
        audit.record(
            db,
            org_id=org.id or 0,
            actor=actor,
            action="update",
            entity="programme",
            entity_id=row.id,
            changes={
                "visit_band": [
                    {
                        "per": "week",
                        "min_hours": row.band_min_hours,
                        "max_hours": row.band_max_hours,
                    },
                    {"per": "week", "min_hours": new[0], "max_hours": new[1]},
                ]
            },
        )


# Two-step sign-in: who the organisation's requirement covers (app/auth/mfa.py) --------------


def mfa_covers(org: Organisation, user: User) -> bool:
    return user.role.value in (org.require_mfa_for or [])


def note_mfa_requirement(org: Organisation, users: list[User]) -> None:
    """Record when the organisation's requirement first applied to each person it covers
    (their grace period starts then) and when that grace ends; forget both for those it no
    longer covers. Called at every sign-in and whenever the setting or a role changes."""
    stamp = now()
    for user in users:
        if mfa_covers(org, user):
            since = user.mfa_required_since or stamp
            due = since + timedelta(days=org.mfa_grace_days)
            if (user.mfa_required_since, user.mfa_setup_due) != (since, due):
                user.mfa_required_since, user.mfa_setup_due = since, due
        elif user.mfa_required_since is not None or user.mfa_setup_due is not None:
            user.mfa_required_since, user.mfa_setup_due = None, None


# Ending someone's sessions and tokens, audited (app/auth/devices.py) -------------------------


def end_sessions(
    db: Session,
    *,
    actor: User,
    user: User,
    keep_session_id: int | None = None,
    keep_token_id: int | None = None,
    only_session_id: int | None = None,
    only_token_id: int | None = None,
    reason: str,
) -> tuple[list[int], list[int]]:
    """End `user`'s signed-in browsers and API tokens that have not ended yet, but those
    kept (or only the one named): (session ids, token ids) ended. One audit event names
    them (ids only, never a token); nothing ended writes none."""
    stamp = now()
    only = only_session_id is not None or only_token_id is not None
    sessions = select(WebSession.id).where(
        WebSession.user_id == user.id, col(WebSession.revoked_at).is_(None)
    )
    if keep_session_id is not None:
        sessions = sessions.where(WebSession.id != keep_session_id)
    if only:
        sessions = sessions.where(WebSession.id == only_session_id)
    tokens = select(ApiToken.id).where(
        ApiToken.user_id == user.id, col(ApiToken.revoked_at).is_(None)
    )
    if keep_token_id is not None:
        tokens = tokens.where(ApiToken.id != keep_token_id)
    if only:
        tokens = tokens.where(ApiToken.id == only_token_id)
    session_ids = [i for i in db.exec(sessions).all() if i is not None]
    token_ids = [i for i in db.exec(tokens).all() if i is not None]
    if session_ids:
        db.execute(
            update(WebSession)
            .where(col(WebSession.id).in_(session_ids))
            .values(revoked_at=stamp)
            .execution_options(synchronize_session="fetch")
        )
    if token_ids:
        db.execute(
            update(ApiToken)
            .where(col(ApiToken.id).in_(token_ids))
            .values(revoked_at=stamp)
            .execution_options(synchronize_session="fetch")
        )
    if session_ids or token_ids:
        audit.record(
            db,
            org_id=user.org_id,
            actor=actor,
            action="end_sessions",
            entity="user",
            entity_id=user.id,
            changes={"sessions": session_ids, "tokens": token_ids, "reason": reason},
        )
    return session_ids, token_ids
