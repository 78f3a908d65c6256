from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from app.children.lists import (
    LANGUAGES_OTHER_MAX,
    OTHER_TEXT_MAX,
    Ethnicity,
    Gender,
    Language,
    MentorGender,
    check_described,
)
from app.children.models import PlacementType
from app.web import Day

Reference = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        min_length=1,
        max_length=40,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9\-_/.]*$",
    ),
]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
OtherText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=OTHER_TEXT_MAX)
]
OtherLanguages = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=LANGUAGES_OTHER_MAX)
]
LISTS = "The keys are listed, with their labels, at GET /api/v1/lists."
GENDER = Field(default=None, description=f"A key of the gender list. {LISTS}")
GENDER_OTHER = Field(
    default=None,
    description="Their own words, with the gender `other` (required then, refused otherwise).",
)
ETHNICITY = Field(
    default=None, description=f"A key of the ethnic group list (ONS Census 2021). {LISTS}"
)
ETHNICITY_OTHER = Field(
    default=None,
    description="Their own words, with an ethnic group `other` (required) or `*_other`.",
)
LANGUAGES_OTHER = Field(
    default=None, description="Languages not in the list, as written: 'Tigrinya, Twi'."
)


class Preferences(BaseModel):
    """What the young person would like in a mentor."""

    model_config = ConfigDict(extra="forbid")

    mentor_gender: MentorGender | None = Field(
        default=None, description=f"A key of the gender list; none: no preference. {LISTS}"
    )
    same_ethnicity: bool | None = None
    languages: list[Language] = Field(default_factory=list, max_length=10)
    notes: str | None = Field(default=None, max_length=500)


class ChildFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    gender: Gender | None = GENDER
    gender_other: OtherText | None = GENDER_OTHER
    ethnicity: Ethnicity | None = ETHNICITY
    ethnicity_other: OtherText | None = ETHNICITY_OTHER
    languages: list[Language] = Field(
        default_factory=list, max_length=10, description=f"Keys of the language list. {LISTS}"
    )
    languages_other: OtherLanguages | None = LANGUAGES_OTHER
    interests: list[Tag] = Field(default_factory=list, max_length=20)
    preferences: Preferences = Field(default_factory=Preferences)

    @model_validator(mode="after")
    def _described(self) -> ChildFields:
        return check_described(self)


class ChildCreate(ChildFields):
    reference: Reference = Field(description="Pseudonymous, unique in the organisation.")
    first_name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)
    ]
    date_of_birth: Day
    placement_type: PlacementType
    consent_given_by: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)
    ]
    consent_given_on: Day


class ChildUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reference: Reference | None = None
    first_name: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)] | None
    ) = None
    date_of_birth: Day | None = None
    placement_type: PlacementType | None = None
    gender: Gender | None = GENDER
    gender_other: OtherText | None = GENDER_OTHER
    ethnicity: Ethnicity | None = ETHNICITY
    ethnicity_other: OtherText | None = ETHNICITY_OTHER
    languages: list[Language] | None = Field(
        default=None, max_length=10, description=f"Keys of the language list. {LISTS}"
    )
    languages_other: OtherLanguages | None = LANGUAGES_OTHER
    interests: list[Tag] | None = Field(default=None, max_length=20)
    preferences: Preferences | None = None
    consent_given_by: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
        | None
    ) = None
    consent_given_on: Day | None = None

    @model_validator(mode="after")
    def _described(self) -> ChildUpdate:
        return check_described(self, partial=True)


class ChildPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    reference: str
    first_name: str
    date_of_birth: date | None = Field(
        description="None once the record is anonymised (only the age at the first session"
        " is kept then)"
    )
    placement_type: PlacementType
    gender: str | None = Field(description="A key of the gender list (GET /api/v1/lists)")
    gender_other: str | None = None
    ethnicity: str | None = Field(description="A key of the ethnic group list")
    ethnicity_other: str | None = None
    languages: list[str] = Field(description="Keys of the language list")
    languages_other: str | None = None
    interests: list[str]
    preferences: dict[str, object]
    consent_given_by: str
    consent_given_on: date
    created_at: datetime
    updated_at: datetime
    legal_hold: bool = Field(
        default=False, description="Kept from retention's anonymisation while true"
    )
    legal_hold_reason: str | None = None
    anonymised_at: datetime | None = Field(
        default=None, description="When retention removed what identifies the child"
    )


class ListEntry(BaseModel):
    key: str = Field(description="What the API takes and returns")
    label: str = Field(description="What people read")
    group: str | None = Field(
        default=None, description="The census's high-level group (ethnic groups only)"
    )
    describe: bool = Field(
        default=False, description="Takes the person's own words in the field's `_other`"
    )


class Lists(BaseModel):
    """The controlled lists of the gender, ethnicity and languages fields."""

    gender: list[ListEntry]
    mentor_gender: list[ListEntry] = Field(description="For preferences.mentor_gender")
    ethnicity: list[ListEntry] = Field(description="ONS Census 2021, England and Wales")
    languages: list[ListEntry]
