from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

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
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


class Preferences(BaseModel):
    """What the young person would like in a mentor."""

    model_config = ConfigDict(extra="forbid")

    mentor_gender: str | None = Field(default=None, max_length=40)
    same_ethnicity: bool | None = None
    languages: list[Tag] = Field(default_factory=list, max_length=10)
    notes: str | None = Field(default=None, max_length=500)


class ChildFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    gender: ShortText | None = None
    ethnicity: ShortText | None = None
    languages: list[Tag] = Field(default_factory=list, max_length=10)
    interests: list[Tag] = Field(default_factory=list, max_length=20)
    preferences: Preferences = Field(default_factory=Preferences)


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
    gender: ShortText | None = None
    ethnicity: ShortText | None = None
    languages: list[Tag] | None = Field(default=None, max_length=10)
    interests: list[Tag] | None = Field(default=None, max_length=20)
    preferences: Preferences | None = None
    consent_given_by: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
        | None
    ) = None
    consent_given_on: Day | None = None


class ChildPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    reference: str
    first_name: str
    date_of_birth: date
    placement_type: PlacementType
    gender: str | None
    ethnicity: str | None
    languages: list[str]
    interests: list[str]
    preferences: dict[str, object]
    consent_given_by: str
    consent_given_on: date
    created_at: datetime
    updated_at: datetime
