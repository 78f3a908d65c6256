from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StringConstraints

from app.auth.models import CalendarChildLabel, HolidayRegion, Role


class TokenPublic(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_at: datetime
    mfa_setup_required: bool | None = Field(
        default=None,
        description="True while the organisation asks this person to set up two-step "
        "sign-in (their grace period): after it, sign-in is refused until they do; "
        "absent otherwise",
    )


class MePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    name: str
    role: Role
    org_id: int


class UserPublic(MePublic):
    active: bool
    created_at: datetime


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=254)
    name: str = Field(min_length=1, max_length=200)
    role: Role
    password: str | None = Field(
        default=None,
        min_length=1,
        max_length=1024,
        description="Leave out to send the person an invitation email to set their own "
        "(a single-use link, valid 72 hours)",
    )


class ForgotRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=1, max_length=254)


class ResetRequestBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=200, description="From the emailed link")
    password: str = Field(min_length=1, max_length=1024)


class LinkSent(BaseModel):
    sent: Literal["invitation", "reset"] = Field(
        description="What was emailed: a reset link, or a new invitation for someone who has "
        "not accepted theirs"
    )


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    role: Role | None = None
    active: bool | None = None


class OrganisationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    timezone: str
    holiday_region: HolidayRegion
    dosage_threshold: float
    dbs_renewal_years: int
    mentoring_hours_min: int
    mentoring_hours_max: int
    session_checklist: list[str]
    match_weights: dict[str, int] = Field(
        description="How much each characteristic counts when suggesting mentors, 0 to 10"
    )
    calendar_child_label: CalendarChildLabel = Field(
        description="What stands for a child in calendar feeds: reference, initials or first name"
    )
    require_mfa_for: list[Role] = Field(
        default_factory=list, description="The roles that must use two-step sign-in"
    )
    mfa_grace_days: int = Field(
        default=14, description="Days a person may sign in without it once it applies to them"
    )
    outcome_baseline_weeks: int = Field(
        default=6, description="Baseline assessments open this many weeks before the first session"
    )
    outcome_end_weeks: int = Field(
        default=6, description="End assessments close this many weeks after the last session"
    )
    outcome_follow_up_weeks: int = Field(
        default=6, description="Follow-ups at 6 and 12 months may be this many weeks early or late"
    )
    retention_years_after_last_involvement: int = Field(
        default=6,
        description="A child's identifiable record is kept this many years after their last "
        "involvement, then anonymised (app/records/retention.py)",
    )


MatchCharacteristic = Literal["gender", "ethnicity", "languages", "interests", "care_experience"]
# What each characteristic is called on the pages: the settings page and the match page.
WEIGHT_LABELS: dict[str, str] = {
    "gender": "Gender the young person asked for",
    "ethnicity": "Shared ethnicity",
    "languages": "A shared language",
    "interests": "Shared interests",
    "care_experience": "Mentor has care experience",
}
MatchWeight = Annotated[StrictInt, Field(ge=0, le=10)]


class OrganisationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    holiday_region: HolidayRegion | None = None
    # Strict: JSON true or false is not a number (pydantic would read false as 0).
    dosage_threshold: float | None = Field(default=None, ge=0, le=1, strict=True)
    dbs_renewal_years: StrictInt | None = Field(default=None, ge=1, le=10)
    mentoring_hours_min: StrictInt | None = Field(default=None, ge=0, le=40)
    mentoring_hours_max: StrictInt | None = Field(default=None, ge=0, le=40)
    session_checklist: (
        list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]]
        | None
    ) = Field(default=None, max_length=10)
    match_weights: dict[MatchCharacteristic, MatchWeight] | None = Field(
        default=None,
        description="How much each characteristic counts when suggesting mentors (0 to 10); "
        "characteristics left out keep their weight",
    )
    calendar_child_label: CalendarChildLabel | None = Field(
        default=None,
        description="What stands for a child in calendar feeds (default reference)",
    )
    require_mfa_for: list[Role] | None = Field(
        default=None, max_length=4, description="The roles that must use two-step sign-in"
    )
    mfa_grace_days: StrictInt | None = Field(
        default=None,
        ge=0,
        le=90,
        description="Days (0 to 90) a person may still sign in without two-step sign-in once "
        "the requirement applies to them",
    )
    outcome_baseline_weeks: StrictInt | None = Field(
        default=None, ge=0, le=26, description="Weeks (0 to 26) before the first session"
    )
    outcome_end_weeks: StrictInt | None = Field(
        default=None, ge=1, le=26, description="Weeks (1 to 26) after the last session"
    )
    outcome_follow_up_weeks: StrictInt | None = Field(
        default=None, ge=1, le=13, description="Weeks (1 to 13) either side of 6 and 12 months"
    )
    retention_years_after_last_involvement: StrictInt | None = Field(
        default=None,
        ge=1,
        le=100,
        description="Years (1 to 100) a child's record is kept after their last involvement",
    )


# Each person's email choices (GET/PUT /api/v1/me/notifications) -----------------------------


class NotificationsPublic(BaseModel):
    email: dict[str, bool] = Field(description="Every kind of email and whether I get it")


class NotificationsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # A value that is not true or false is refused here; an unknown kind, or turning off a
    # kind that is always sent, by the service (app/auth/notifications.py): 422 either way.
    email: dict[str, StrictBool] = Field(
        description="Kinds to change ({kind: true or false}); kinds left out keep their value"
    )


class MfaSetupPublic(BaseModel):
    secret: str = Field(description="The TOTP secret (base32), for typing into an app")
    otpauth_uri: str = Field(description="The same as an otpauth:// address, for a QR code")


class MfaStatusPublic(BaseModel):
    enabled: bool = Field(description="Two-step sign-in is on")
    pending: bool = Field(description="Set-up has started but no code has confirmed it yet")
    recovery_codes_left: int
    required: bool = Field(description="The organisation requires it for this person's role")
    setup_due: datetime | None = Field(
        default=None, description="While it is required and off: when the grace period ends"
    )


class MfaCode(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(
        min_length=1,
        max_length=64,
        description="A 6-digit code from the authenticator app (or, where allowed, a "
        "recovery code)",
    )


class RecoveryCodesPublic(BaseModel):
    codes: list[str] = Field(description="The new single-use recovery codes, shown this once")


# Single sign-on (app/auth/sso.py) ------------------------------------------------------------


class SsoSettingsPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    enabled: bool
    issuer: str
    client_id: str
    domains: list[str] = Field(description="The email domains whose people sign in through it")
    button_label: str
    trust_provider_emails: bool = Field(
        description="Accept the provider's addresses without email_verified (Entra ID)"
    )
    trust_provider_mfa: bool = Field(
        description="Count its sign-ins as two-step without `amr` (Conditional Access MFA)"
    )
    client_secret_set: bool = Field(
        description="Whether TANDEM_SSO_CLIENT_SECRETS holds this organisation's secret"
    )
    redirect_uri: str = Field(description="The address to register with the provider")


class SsoSettingsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool
    issuer: str = Field(max_length=500, description="https://... (the provider's issuer)")
    client_id: str = Field(max_length=255)
    domains: list[Annotated[str, Field(max_length=253)]] = Field(max_length=20)
    button_label: str | None = Field(default=None, max_length=80)
    trust_provider_emails: bool = False
    trust_provider_mfa: bool = False


# Signed-in browsers and API tokens (app/auth/devices.py) -------------------------------------


class SignedInPublic(BaseModel):
    """A browser signed in as me, or one of my API tokens (never the token itself)."""

    model_config = ConfigDict(from_attributes=True)

    id: int = Field(description="The session's id (kind browser) or the token's (kind token)")
    kind: Literal["browser", "token"]
    method: Literal["password", "sso", "sso_mfa"] = Field(
        description="How it was signed in (sso_mfa: single sign-on, the provider's two steps)"
    )
    created_at: datetime
    last_seen_at: datetime | None = Field(description="Last request (browsers only)")
    expires_at: datetime = Field(description="When it ends unless used (browsers) or at all")
    current: bool = Field(description="The one this request came with")


class EndOthersBody(BaseModel):
    """Proof of who I am, again: my current password, or (without a password) a code from
    my authenticator app or a recovery code. Without either (single sign-on only), a
    browser signed in within the last ten minutes may send {}."""

    model_config = ConfigDict(extra="forbid")

    password: str | None = Field(default=None, max_length=1024)
    code: str | None = Field(default=None, max_length=64)
