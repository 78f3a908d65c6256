"""The forms of the sign-in, password and admin pages (app/forms.py's toolkit)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, create_model

from app.auth.models import DEFAULT_MATCH_WEIGHTS, HolidayRegion, Organisation, Role
from app.auth.schemas import WEIGHT_LABELS
from app.forms import (
    Choice,
    Form,
    Msg,
    OptionalSecret,
    OptionalText,
    Secret,
    Text,
    Tick,
    WholeNumber,
)

ROLE_OPTIONS = [
    (Role.facilitator.value, "Facilitator"),
    (Role.mentor.value, "Mentor"),
    (Role.lead.value, "Programme lead"),
    (Role.admin.value, "Admin"),
]
REGION_OPTIONS = [
    ("england", "England"),
    ("scotland", "Scotland"),
    ("wales", "Wales"),
    ("northern-ireland", "Northern Ireland"),
]


def _same_words(message: str) -> Msg:
    """One message for every problem with a field."""
    return Msg(empty=message, invalid=message, too_long=message)


CHOOSE_ROLE = _same_words("Choose a role")
PERSONS_NAME = Msg(empty="Enter the person's name")


class SignInForm(Form):
    email: Annotated[Text, Msg(empty="Enter your email address"), Field(title="Email address")]
    password: Annotated[Secret, Msg(empty="Enter your password"), Field(title="Password")]
    next: OptionalText = None  # where to go once signed in (a path on this site only)


class PasswordForm(Form):
    # Both go to the service as typed, blank or not: a blank current password is a wrong one,
    # and counts towards the lock like any other (signin.change_password judges both).
    current_password: Annotated[OptionalSecret, Field(title="Current password")] = None
    new_password: Annotated[OptionalSecret, Field(title="New password")] = None


class NewUserForm(Form):
    name: Annotated[Text, PERSONS_NAME, Field(title="Full name", max_length=200)]
    email: Annotated[Text, Field(title="Email address", max_length=254)]
    role: Annotated[Choice[Role], CHOOSE_ROLE, Field(title="Role")]
    # Its rules (length, not the email address) are the service's, as for the API.
    password: Annotated[Secret, Field(title="First password")]


class UserForm(Form):
    name: Annotated[Text, PERSONS_NAME, Field(title="Full name", max_length=200)]
    role: Annotated[Choice[Role], CHOOSE_ROLE, Field(title="Role")]
    active: Annotated[
        Literal["yes", "no"],
        _same_words("Choose whether the account is active"),
        Field(title="Can this person sign in?"),
    ]


# Organisation settings -----------------------------------------------------------------------

CHECKS = "Give at most 10 checks, one a line, each up to 120 characters"


def _lines(value: object) -> object:
    if isinstance(value, str):
        return [line.strip() for line in value.splitlines() if line.strip()]
    return value


def weight_field(key: str) -> str:
    """The form field of a matching weight: weight-gender, weight-interests..."""
    return f"weight-{key}"


class OrganisationFields(Form):
    holiday_region: Annotated[
        Choice[HolidayRegion],
        _same_words("Choose where your bank holidays come from"),
        Field(title="Bank holidays"),
    ]
    dosage_threshold: Annotated[
        float,
        _same_words("Enter a share from 0 to 1, like 0.75"),
        Field(title="Dosage threshold", ge=0, le=1),
    ]
    dbs_renewal_years: Annotated[
        WholeNumber,
        _same_words("Enter a whole number of years from 1 to 10"),
        Field(title="DBS check renewal, in years", ge=1, le=10),
    ]
    mentoring_hours_min: Annotated[
        WholeNumber,
        _same_words("Enter whole hours from 0 to 40"),
        Field(title="Fewest mentoring hours a week", ge=0, le=40),
    ]
    mentoring_hours_max: Annotated[
        WholeNumber,
        _same_words("Enter whole hours from 0 to 40"),
        Field(title="Most mentoring hours a week", ge=0, le=40),
    ]
    # One check a line; a blank textarea (or none posted) leaves the list empty.
    session_checklist: Annotated[
        list[Annotated[str, Field(max_length=120)]],
        BeforeValidator(_lines),
        _same_words(CHECKS),
        Field(title="After each session, facilitators tick", max_length=10),
    ] = Field(default_factory=list)

    def changes(self) -> dict[str, Any]:
        """The settings as the service takes them (the API's `OrganisationUpdate` names)."""
        changes = self.model_dump(include=set(OrganisationFields.model_fields))
        changes["match_weights"] = {key: getattr(self, weight_field(key)) for key in WEIGHT_LABELS}
        return changes

    @classmethod
    def stored(cls, org: Organisation) -> dict[str, Any]:
        """The organisation's settings as the form shows them."""
        weights = {**DEFAULT_MATCH_WEIGHTS, **(org.match_weights or {})}
        return cls.initial(
            holiday_region=org.holiday_region,
            dosage_threshold=org.dosage_threshold,
            dbs_renewal_years=org.dbs_renewal_years,
            mentoring_hours_min=org.mentoring_hours_min,
            mentoring_hours_max=org.mentoring_hours_max,
            session_checklist="\n".join(org.session_checklist),
            **{weight_field(key): weights.get(key, 0) for key in WEIGHT_LABELS},
        )


def _weight(label: str) -> Any:
    message = f"Enter a whole number from 0 to 10 for {label.lower()}"
    return (Annotated[WholeNumber, _same_words(message), Field(title=label, ge=0, le=10)], ...)


# One whole number from 0 to 10 per characteristic, after the other settings on the page.
OrganisationForm = create_model(
    "OrganisationForm",
    __base__=OrganisationFields,
    **{weight_field(key): _weight(label) for key, label in WEIGHT_LABELS.items()},
)


# Single sign-on ------------------------------------------------------------------------------


class SsoStartForm(Form):
    email: Annotated[
        Text,
        Msg(empty="Enter your work email address"),
        Field(title="Work email address", max_length=254),
    ]
    next: OptionalText = None  # where to go once signed in (a path on this site only)


class SsoSettingsForm(Form):
    enabled: Annotated[
        Literal["yes", "no"],
        _same_words("Choose whether people can sign in with single sign-on"),
        Field(title="Can people sign in with single sign-on?"),
    ]
    # Blank or not, these go to the service, whose rules (and words) the API shares.
    issuer: Annotated[OptionalText, Field(title="Issuer URL", max_length=500)] = None
    client_id: Annotated[OptionalText, Field(title="Client ID", max_length=255)] = None
    domains: Annotated[OptionalText, Field(title="Email domains", max_length=5000)] = None
    button_label: Annotated[OptionalText, Field(title="Button label", max_length=80)] = None
    trust_provider_emails: Tick = False
