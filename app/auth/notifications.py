"""Each person's email choices (README "Email"): which kinds of email they get. Kept on their
account (`user_account.notification_email`, {kind: bool}); a kind they never chose follows
its default (app/mail/kinds.py). The kinds that are always sent (an invitation, a reset
link: sent because someone asked) cannot be turned off."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.models import Role, User
from app.exceptions import Invalid
from app.mail.kinds import KINDS, Kind
from app.mail.service import preferences


@dataclass(frozen=True)
class Choice:
    """One kind of email as the settings page shows it to a person."""

    kind: Kind
    label: str
    hint: str
    always: bool
    on: bool


def choices_for(user: User) -> list[Choice]:
    """The kinds that concern the person's role, in the order of app/mail/kinds.py."""
    now = preferences(user)
    return [
        Choice(kind, info.label, info.hint, info.always, now[kind.value])
        for kind, info in KINDS.items()
        if user.role.value in info.roles
    ]


def set_preferences(db: Session, *, actor: User, changes: dict[str, bool]) -> dict[str, bool]:
    """Change some of the actor's own choices (kinds not named keep theirs) and audit what
    changed. 422, changing nothing, for an unknown kind or an always-sent kind turned off."""
    problems: dict[str, str] = {}
    for key, value in changes.items():
        if key not in Kind.__members__:
            problems[key] = f"There is no kind of email called {key!r}"
        elif KINDS[Kind(key)].always and value is not True:
            problems[key] = f"{KINDS[Kind(key)].label} is always sent: it cannot be turned off"
    if problems:
        raise Invalid(
            "; ".join(problems.values()),
            [{"loc": ["body", "email", key], "msg": msg} for key, msg in problems.items()],
        )
    # An always-sent kind is never stored: it has no setting. audit.update writes nothing
    # when nothing differs.
    wanted = {k: v for k, v in changes.items() if not KINDS[Kind(k)].always}
    new = {**(actor.notification_email or {}), **wanted}
    audit.update(
        db, actor, {"notification_email": new}, actor=actor, entity="user", entity_id=actor.id
    )
    return preferences(actor)


def leads_to_tell(db: Session, org_ids: Iterable[int]) -> dict[int, list[User]]:
    """Who hears of an organisation's safeguarding concerns, DBS checks running out and
    flags: its active programme leads; its active admins only while it has no active lead
    (someone must hear of a concern). One query, whatever the number of organisations."""
    wanted = sorted(set(org_ids))
    found: dict[int, list[User]] = {org_id: [] for org_id in wanted}
    if not wanted:
        return found
    rows = db.exec(
        select(User)
        .where(
            col(User.org_id).in_(wanted),
            col(User.active).is_(True),
            col(User.role).in_([Role.lead, Role.admin]),
        )
        .order_by(col(User.id))
    ).all()
    for org_id in wanted:
        staff = [u for u in rows if u.org_id == org_id]
        leads = [u for u in staff if u.role == Role.lead]
        found[org_id] = leads or staff
    return found
