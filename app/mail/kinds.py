"""What Tandem emails people about: each kind, who it is for, and whether they may turn it
off (README "Email"). A person's choices are kept on their account
(`user_account.notification_email`, {kind: bool}); a kind they have not chosen follows its
default here."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    invitation = "invitation"
    password_reset = "password_reset"  # noqa: S105 - a kind of email, not a password
    password_changed = "password_changed"  # noqa: S105
    account_locked = "account_locked"
    mfa_changed = "mfa_changed"
    safeguarding_concern = "safeguarding_concern"
    session_not_recorded = "session_not_recorded"
    visit_reminder = "visit_reminder"
    new_match = "new_match"
    dbs_expiring = "dbs_expiring"
    weekly_digest = "weekly_digest"


@dataclass(frozen=True)
class KindInfo:
    label: str
    hint: str
    roles: tuple[str, ...]  # who it can reach (the settings page shows only these)
    default: bool = True
    always: bool = False  # sent because the person (or their admin) asked: no setting


ALL_ROLES = ("admin", "lead", "facilitator", "mentor")
STAFF = ("admin", "lead")

KINDS: dict[Kind, KindInfo] = {
    Kind.invitation: KindInfo(
        "Invitation to Tandem", "The link to set your first password.", ALL_ROLES, always=True
    ),
    Kind.password_reset: KindInfo(
        "Password reset link", "Sent only when a reset is asked for.", ALL_ROLES, always=True
    ),
    Kind.password_changed: KindInfo(
        "Your password was changed", "So you know if it was not you.", ALL_ROLES
    ),
    Kind.account_locked: KindInfo(
        "Your account was locked", "After too many wrong passwords.", ALL_ROLES
    ),
    Kind.mfa_changed: KindInfo(
        "Two-step sign-in turned on or off", "So you know if it was not you.", ALL_ROLES
    ),
    Kind.safeguarding_concern: KindInfo(
        "A safeguarding concern is raised", "At once, from a mentor's visit.", STAFF
    ),
    Kind.session_not_recorded: KindInfo(
        "A session of yours was not recorded",
        "The morning after a session with no register.",
        ("facilitator",),
    ),
    Kind.visit_reminder: KindInfo(
        "Tomorrow's visits", "The day before each planned visit.", ("mentor",)
    ),
    Kind.new_match: KindInfo("A new mentee", "When you are matched with a child.", ("mentor",)),
    Kind.dbs_expiring: KindInfo(
        "A DBS check is running out", "60 and 14 days before it does.", ("lead", "mentor")
    ),
    Kind.weekly_digest: KindInfo(
        "Monday's digest of flags", "What needs attention this week.", STAFF
    ),
}
