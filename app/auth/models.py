"""Organisations (tenants), users, and the credentials people and clients hold."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Index
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


DEFAULT_SESSION_CHECKLIST = (
    "Last week's practice was reviewed",
    "Every child had a turn",
    "The meal was shared",
    "The session started and ended on time",
)

# How much each shared characteristic counts when suggesting mentors for a child.
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
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class User(SQLModel, table=True):
    __tablename__ = "user_account"
    __table_args__ = (Index(None, "org_id", "role"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    email: str = Field(max_length=254, unique=True)  # stored lower-cased
    name: str = Field(max_length=200)
    role: Role = Field(sa_column=Column(str_enum(Role, "role"), nullable=False))
    password_hash: str = Field(max_length=255)
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


__all__ = [
    "ApiToken",
    "HolidayRegion",
    "LoginFailure",
    "Organisation",
    "Role",
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
