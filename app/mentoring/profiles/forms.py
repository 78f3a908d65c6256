"""The mentor profile's form, as the lead adds or changes it: about the mentor, then the
safer-recruitment checks with their dates, then the caseload."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated, Any

from pydantic import Field

from app.children import lists
from app.children.forms import (
    EthnicityField,
    EthnicityOtherField,
    GenderField,
    GenderOtherField,
    InterestsField,
    LanguagesField,
    LanguagesOtherField,
)
from app.forms import (
    DateInput,
    Form,
    Msg,
    OptionalDateInput,
    OptionalText,
    Tick,
    WholeNumber,
)
from app.mentoring.models import MentorProfile
from app.mentoring.schemas import MentorCreate, MentorUpdate

MAX_ID = 2**31 - 1  # what the integer id columns hold
CASELOAD = "Choose a caseload from 1 to 4 children"
CHOOSE_PERSON = "Choose the person who will mentor"
LISTS = {"interests": 20}  # the most of each, as the API's


def split_list(text: str | None) -> list[str]:
    return [item.strip() for item in (text or "").split(",") if item.strip()]


class MentorForm(Form):
    """The profile and its checks, in the order of the page."""

    gender: GenderField = None
    gender_other: GenderOtherField = None
    ethnicity: EthnicityField = None
    ethnicity_other: EthnicityOtherField = None
    languages: LanguagesField
    languages_other: LanguagesOtherField = None
    interests: InterestsField = None
    care_experience: Annotated[Tick, Field(title="They have been in care themselves")] = False
    availability: Annotated[OptionalText, Field(title="Availability", max_length=200)] = None
    about: Annotated[
        OptionalText,
        Msg(too_long="The line for the young person must be 200 characters or fewer"),
        Field(title="A line about them", max_length=200),
    ] = None
    dbs_checked_on: Annotated[DateInput, Field(title="Date of the DBS check")]
    barred_list_checked: Annotated[Tick, Field(title="Barred-list check")] = False
    references_checked: Annotated[Tick, Field(title="References")] = False
    interviewed_on: Annotated[OptionalDateInput, Field(title="Interview date")] = None
    training_completed_on: Annotated[
        OptionalDateInput, Field(title="Date the training was completed")
    ] = None
    # Left blank, the programme's model of two.
    max_caseload: Annotated[
        WholeNumber, Msg(empty=CASELOAD, invalid=CASELOAD), Field(title="Caseload", ge=1, le=4)
    ] = 2

    @classmethod
    def typed_problems(cls, values: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
        yield from lists.form_problems(values)
        for name, most in LISTS.items():
            items = split_list(values.get(name))
            if len(items) > most or any(len(item) > 40 for item in items):
                yield name, f"List up to {most} {name}, each 40 characters or fewer"

    @classmethod
    def stored(cls, profile: MentorProfile) -> dict[str, Any]:
        """The form showing the stored profile."""
        stored = {name: getattr(profile, name) for name in MentorForm.model_fields}
        for name in LISTS:
            stored[name] = ", ".join(stored[name])
        return cls.initial(**stored)

    def profile(self) -> dict[str, Any]:
        """Every field as the API's body has it: a blank field is cleared."""
        described = self.gender in lists.GENDER_DESCRIBED
        return {
            **self.model_dump(exclude={"user_id", "interests"}),
            # The box under "Prefer to self-describe" counts only with it (hidden otherwise).
            "gender_other": self.gender_other if described else None,
            "interests": split_list(self.interests),
        }

    def to_update(self) -> MentorUpdate:
        return MentorUpdate(**self.profile())


class NewMentorForm(MentorForm):
    """A profile for someone with the mentor role who has none yet: who, first."""

    user_id: Annotated[
        WholeNumber,
        Msg(empty=CHOOSE_PERSON, invalid=CHOOSE_PERSON),
        Field(title="Who is the mentor?", ge=1, le=MAX_ID),
    ]

    @classmethod
    def field_order(cls) -> list[str]:
        return ["user_id", *MentorForm.field_order()]

    def to_create(self) -> MentorCreate:
        return MentorCreate(user_id=self.user_id, **self.profile())
