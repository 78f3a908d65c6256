from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from app.auth.models import HolidayRegion, Role


class TokenPublic(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_at: datetime


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
    password: str = Field(min_length=1, max_length=1024)


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
