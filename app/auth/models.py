"""Organisations (tenants), users, and the credentials people and clients hold."""

import secrets
from datetime import datetime
from enum import StrEnum
from typing import Literal

from sqlalchemy import JSON, Column, Index, Text, false
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime, str_enum


class Role(StrEnum):
    admin = "admin"
    lead = "lead"
    facilitator = "facilitator"
    mentor = "mentor"


class HolidayRegion(StrEnum):
    england = "england"
    scotland = "scotland"
    wales = "wales"
    northern_ireland = "northern-ireland"


class CalendarChildLabel(StrEnum):
    """What stands for a child in calendar feeds (a feed leaves Tandem: a phone, a shared
    calendar): the child's reference (the default), their initials or their first name."""

    reference = "reference"
    initials = "initials"
    first_name = "first_name"


DEFAULT_SESSION_CHECKLIST = (
    "Last week's practice was reviewed",
    "Every child had a turn",
    "The meal was shared",
    "The session started and ended on time",
)

# How much each shared characteristic counts when suggesting mentors for a child.
# Who must use two-step sign-in unless the organisation says otherwise (issue 16).
DEFAULT_REQUIRE_MFA_FOR = ("admin", "lead")
DEFAULT_MFA_GRACE_DAYS = 14

DEFAULT_MATCH_WEIGHTS = {
    "gender": 3,
    "ethnicity": 2,
    "languages": 2,
    "interests": 2,
    "care_experience": 1,
}


class Organisation(SQLModel, table=True):
    __tablename__ = "organisation"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    timezone: str = Field(default="Europe/London", max_length=64)
    holiday_region: HolidayRegion = Field(
        default=HolidayRegion.england,
        sa_column=Column(str_enum(HolidayRegion, "holiday_region"), nullable=False),
    )
    dosage_threshold: float = Field(default=0.75, ge=0, le=1)
    dbs_renewal_years: int = Field(default=3, ge=1, le=10)
    mentoring_hours_min: int = Field(default=2, ge=0, le=40)
    mentoring_hours_max: int = Field(default=4, ge=0, le=40)
    # The facilitators' process checklist after each session (labels, in order).
    session_checklist: list[str] = Field(
        default_factory=lambda: list(DEFAULT_SESSION_CHECKLIST),
        sa_column=Column(JSON, nullable=False),
    )
    # Matching weights ({characteristic: 0-10}), shown beside every suggestion.
    match_weights: dict[str, int] = Field(
        default_factory=lambda: dict(DEFAULT_MATCH_WEIGHTS),
        sa_column=Column(JSON, nullable=False),
    )
    calendar_child_label: CalendarChildLabel = Field(
        default=CalendarChildLabel.reference,
        sa_column=Column(
            str_enum(CalendarChildLabel, "calendar_child_label"),
            nullable=False,
            server_default=CalendarChildLabel.reference.value,
        ),
    )
    # Two-step sign-in (app/auth/mfa.py): the roles that must use it, and how many days a
    # person it starts to cover may still sign in without it.
    require_mfa_for: list[str] = Field(
        default_factory=lambda: list(DEFAULT_REQUIRE_MFA_FOR),
        sa_column=Column(JSON, nullable=False, server_default='["admin", "lead"]'),
    )
    mfa_grace_days: int = Field(default=DEFAULT_MFA_GRACE_DAYS, ge=0, le=90)
    # Outcomes (app/outcomes): each timepoint's window, in weeks. Baseline: from this many
    # weeks before the child's first session to their second; end: from the cohort's last
    # session to this many weeks after; follow-ups: 6 and 12 months after the last session,
    # give or take this many weeks.
    outcome_baseline_weeks: int = Field(default=6, ge=0, le=26)
    outcome_end_weeks: int = Field(default=6, ge=1, le=26)
    outcome_follow_up_weeks: int = Field(default=6, ge=1, le=13)
    # The key of the evaluators' file's pseudonyms (HMAC-SHA256 of the child's id): random,
    # never shown, so a pseudonym is stable across exports and cannot be reversed.
    pseudonym_key: str = Field(default_factory=lambda: secrets.token_hex(32), max_length=64)
    # Records (app/records): how many years a child's identifiable record is kept after
    # their last involvement before it is anonymised (UK GDPR storage limitation), and the
    # organisation's privacy notice (plain text, shown at /privacy; None: not written yet).
    retention_years_after_last_involvement: int = Field(default=6, ge=1, le=100)
    privacy_notice: str | None = Field(default=None, sa_column=Column(Text()))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class User(SQLModel, table=True):
    __tablename__ = "user_account"
    __table_args__ = (Index(None, "org_id", "role"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    email: str = Field(max_length=254, unique=True)  # stored lower-cased
    name: str = Field(max_length=200)
    role: Role = Field(sa_column=Column(str_enum(Role, "role"), nullable=False))
    # None: no password yet (invited, or added for `tandem users set-password`): no
    # password signs this account in until one is set through a link or the command line.
    password_hash: str | None = Field(default=None, max_length=255)
    active: bool = True
    failed_logins: int = 0
    locked_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    password_changed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    # Which emails this person gets ({kind: bool}, app/mail/kinds.py); a kind not named
    # follows its default.
    notification_email: dict[str, bool] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}")
    )
    # Two-step sign-in (app/auth/mfa.py). The TOTP secret (base32) is pending until a code
    # confirms it (mfa_enabled_at); only its owner ever sees it, while setting it up.
    mfa_secret: str | None = Field(default=None, max_length=64)
    mfa_enabled_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    # The last time step a code was accepted for: a code works once.
    mfa_last_step: int | None = None
    # When the organisation's requirement first applied to them (None: it does not), and
    # the end of their grace period (kept here so no request has to ask the organisation).
    mfa_required_since: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    # When retention replaced their name and email (an ended mentor's or a deactivated
    # account's personal details, app/records/retention.py); None: not anonymised.
    anonymised_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    mfa_setup_due: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))

    @property
    def mfa_enabled(self) -> bool:
        return self.mfa_enabled_at is not None


# How someone proved who they are: a password; single sign-on; single sign-on whose provider
# ran a second factor (its ID token's `amr`, or the organisation's word: app/auth/sso.py).
SignInMethod = Literal["password", "sso", "sso_mfa"]
# The ways in that meet an organisation's two-step requirement without Tandem's own code.
TWO_STEP_METHODS = ("sso_mfa",)


class WebSession(SQLModel, table=True):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "web_session"
    __table_args__ = (Index(None, "org_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id")
    user_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    last_seen_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    # How they signed in (SignInMethod): "password", "sso" or "sso_mfa".
    method: str = Field(default="password", max_length=16)


class ApiToken(SQLModel, table=True):
    """A bearer token for the API, stored as its SHA-256."""

    __tablename__ = "api_token"
    __table_args__ = (Index(None, "org_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id")
    user_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class LoginFailure(SQLModel, table=True):
    """Failed sign-ins by client address, for the per-address limit (kept for a day)."""

    __tablename__ = "login_failure"
    __table_args__ = (Index(None, "address", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    address: str = Field(max_length=64)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class LinkPurpose(StrEnum):
    invitation = "invitation"  # the first password, 72 hours
    reset = "reset"  # a new password, 1 hour


class AccountLink(SQLModel, table=True):
    """A single-use link that sets a password (app/auth/links.py): the email holds a random
    token, only its SHA-256 is stored. A newer link of the same purpose ends the older ones
    (their expires_at is brought forward to when it was made)."""

    __tablename__ = "account_link"
    __table_args__ = (Index(None, "user_id", "purpose", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id")
    user_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE")
    purpose: LinkPurpose = Field(
        sa_column=Column(str_enum(LinkPurpose, "link_purpose"), nullable=False)
    )
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    # The admin who sent it; None when the person asked for it themselves.
    created_by: int | None = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")


class ResetRequest(SQLModel, table=True):
    """ "Forgot your password?" requests by client address, for the per-address limit (rows
    older than a day are deleted as new ones come)."""

    __tablename__ = "reset_request"
    __table_args__ = (Index(None, "address", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    address: str = Field(max_length=64)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class RecoveryCode(SQLModel, table=True):
    """A single-use code for signing in without the phone: only its Argon2 hash is kept."""

    __tablename__ = "recovery_code"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE", index=True)
    code_hash: str = Field(max_length=255)  # Argon2 (app/auth/mfa.py)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class SignInChallenge(SQLModel, table=True):
    """A sign-in waiting for its second step (/login/code): the password (or single sign-on)
    was right; the cookie holds a random token, only its SHA-256 is stored. Short-lived."""

    __tablename__ = "sign_in_challenge"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    csrf_token: str = Field(max_length=64)
    method: str = Field(max_length=16)
    target: str = Field(max_length=2000)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


__all__ = [
    "AccountLink",
    "ApiToken",
    "CalendarChildLabel",
    "HolidayRegion",
    "LinkPurpose",
    "LoginFailure",
    "Organisation",
    "RecoveryCode",
    "ResetRequest",
    "Role",
    "SignInChallenge",
    "User",
    "WebSession",
]


# Single sign-on (app/auth/sso.py) ------------------------------------------------------------

SSO_BUTTON_LABEL = "Sign in with your organisation's account"


class SsoConfig(SQLModel, table=True):
    """An organisation's OpenID Connect provider. Its client secret is never here: it comes
    from the environment (TANDEM_SSO_CLIENT_SECRETS, by organisation id)."""

    __tablename__ = "sso_config"

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", unique=True)
    enabled: bool = False
    issuer: str = Field(max_length=500)
    client_id: str = Field(max_length=255)
    # The email domains whose people sign in through it (lower-cased, without "@").
    domains: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    button_label: str = Field(default=SSO_BUTTON_LABEL, max_length=80)
    # Accept the provider's email addresses without an `email_verified` claim (Microsoft
    # Entra ID sends none): only for a provider that owns every address it issues.
    trust_provider_emails: bool = False
    # Count a sign-in through this provider as two-step (the organisation's requirement met)
    # when its ID token does not say so itself (`amr` with "mfa"): only for a provider that
    # asks everyone for a second factor, such as an Entra ID tenant whose Conditional Access
    # requires MFA for Tandem (Entra's v2 ID tokens carry no `amr`).
    trust_provider_mfa: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class SsoLogin(SQLModel, table=True):
    """A single sign-on under way: one use, for ten minutes, in the browser that began it.
    The `state` sent to the provider and the browser's cookie are stored as SHA-256; the
    PKCE verifier is derived from the cookie, so nothing here can finish a sign-in."""

    __tablename__ = "sso_login"

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    state_hash: str = Field(max_length=64, unique=True)
    browser_hash: str = Field(max_length=64)
    nonce: str = Field(max_length=64)
    target: str = Field(max_length=2000)
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
