"""The forms of the sign-in, password and admin pages (app/forms.py's toolkit)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, create_model

from app.auth.models import (
    DEFAULT_MATCH_WEIGHTS,
    CalendarChildLabel,
    HolidayRegion,
    Organisation,
    Role,
)
from app.auth.schemas import WEIGHT_LABELS
from app.forms import (
    Checkboxes,
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
CHILD_LABEL_OPTIONS = [
    (CalendarChildLabel.reference.value, "Their reference", "For example CH-0042. Safest."),
    (CalendarChildLabel.initials.value, "Their initials", "For example A. for Amira."),
    (
        CalendarChildLabel.first_name.value,
        "Their first name",
        "Anyone who sees the calendar sees it, on a phone or a shared calendar.",
    ),
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


class NotificationsForm(Form):
    """The emails a person gets: a box per kind their role can get, ticked for "on"."""

    email: Annotated[Checkboxes, Field(title="Emails I get", max_length=20)] = Field(
        default_factory=list
    )


class NewUserForm(Form):
    name: Annotated[Text, PERSONS_NAME, Field(title="Full name", max_length=200)]
    email: Annotated[Text, Field(title="Email address", max_length=254)]
    role: Annotated[Choice[Role], CHOOSE_ROLE, Field(title="Role")]
    # Blank (the usual way): an invitation email lets them choose their own. Typed: its
    # rules (length, not the email address, not a common password) are the service's.
    password: Annotated[OptionalSecret, Field(title="First password (optional)")] = None


class ForgotForm(Form):
    email: Annotated[
        Text, Msg(empty="Enter your email address"), Field(title="Email address", max_length=254)
    ]


class NewPasswordForm(Form):
    password: Annotated[Secret, Msg(empty="Enter a new password"), Field(title="New password")]


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

    # Calendar feeds: what stands for a child in each event (the "Calendar feeds" fieldset).
    calendar_child_label: Annotated[
        Choice[CalendarChildLabel],
        _same_words("Choose what stands for a child in calendar feeds"),
        Field(title="In calendar feeds, show each child as"),
    ]

    # When assessments may be taken (the "Outcomes" fieldset; app/outcomes/assessments).
    outcome_baseline_weeks: Annotated[
        WholeNumber,
        _same_words("Enter whole weeks from 0 to 26 before the first session"),
        Field(title="Baseline opens, weeks before the first session", ge=0, le=26),
    ]
    outcome_end_weeks: Annotated[
        WholeNumber,
        _same_words("Enter whole weeks from 1 to 26 after the last session"),
        Field(title="End closes, weeks after the last session", ge=1, le=26),
    ]
    outcome_follow_up_weeks: Annotated[
        WholeNumber,
        _same_words("Enter whole weeks from 1 to 13 for the follow-ups"),
        Field(title="Follow-ups, weeks early or late", ge=1, le=13),
    ]

    # How long a child's record is kept (the "Records" fieldset; app/records/retention.py).
    retention_years_after_last_involvement: Annotated[
        WholeNumber,
        _same_words("Enter whole years from 1 to 100 after the last involvement"),
        Field(title="Keep a child's record, years after their last involvement", ge=1, le=100),
    ]

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
            calendar_child_label=org.calendar_child_label,
            outcome_baseline_weeks=org.outcome_baseline_weeks,
            outcome_end_weeks=org.outcome_end_weeks,
            outcome_follow_up_weeks=org.outcome_follow_up_weeks,
            retention_years_after_last_involvement=org.retention_years_after_last_involvement,
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


# Two-step sign-in ----------------------------------------------------------------------------

ENTER_CODE = "Enter the 6-digit code from your authenticator app"
MFA_ROLE_OPTIONS = [
    (Role.admin.value, "Admins"),
    (Role.lead.value, "Programme leads"),
    (Role.facilitator.value, "Facilitators"),
    (Role.mentor.value, "Mentors"),
]


class CodeForm(Form):
    """The second step of signing in: a code from the app, or a recovery code."""

    code: Annotated[Text, _same_words("Enter the code"), Field(title="Code", max_length=64)]


class SetupCodeForm(Form):
    code: Annotated[Text, _same_words(ENTER_CODE), Field(title="Code", max_length=64)]


class RenewCodesForm(Form):
    renew_code: Annotated[
        Text, _same_words("Enter a code from your app or a recovery code"), Field(max_length=64)
    ]


class TurnOffForm(Form):
    off_code: Annotated[
        Text, _same_words("Enter a code from your app or a recovery code"), Field(max_length=64)
    ]


class MfaSettingsForm(Form):
    """The organisation's requirement (its own form on the settings page)."""

    require_mfa_for: Annotated[Checkboxes, Field(title="Who must use two-step sign-in")] = Field(
        default_factory=list
    )
    mfa_grace_days: Annotated[
        WholeNumber,
        _same_words("Enter a whole number of days from 0 to 90"),
        Field(title="Days to set it up", ge=0, le=90),
    ]

    def problems(self) -> Iterable[tuple[str, str]]:
        known = {value for value, _ in MFA_ROLE_OPTIONS}
        if any(role not in known for role in self.require_mfa_for):
            yield "require_mfa_for", "Choose roles from the list"

    @classmethod
    def stored(cls, org: Organisation) -> dict[str, Any]:
        return cls.initial(
            require_mfa_for=list(org.require_mfa_for), mfa_grace_days=org.mfa_grace_days
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
    trust_provider_mfa: Tick = False


class EndOthersForm(Form):
    """ "Sign out everywhere else": the current password, or (without one) a code. Either goes
    to the service as typed: a blank one is a missing one (devices.end_others judges)."""

    password: Annotated[OptionalSecret, Field(title="Your password")] = None
    code: Annotated[OptionalText, Field(title="Code", max_length=64)] = None
