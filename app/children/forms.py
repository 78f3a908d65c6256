"""The page fields a child's form and a mentor's profile share: who they are, in the
controlled lists' terms (app/children/lists.py), each with its words for a bad answer."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from app.children import lists
from app.children.lists import Ethnicity, Gender
from app.forms import Checkboxes, Choice, Msg, OptionalText

GenderField = Annotated[
    Choice[Gender] | None, Field(title="Gender"), Msg(invalid=lists.CHOOSE_GENDER)
]
GenderOtherField = Annotated[
    OptionalText, Field(title="Their gender, in their words", max_length=lists.OTHER_TEXT_MAX)
]
EthnicityField = Annotated[
    Choice[Ethnicity] | None, Field(title="Ethnic group"), Msg(invalid=lists.CHOOSE_ETHNICITY)
]
EthnicityOtherField = Annotated[
    OptionalText,
    Field(title="Their ethnic group, in their words", max_length=lists.OTHER_TEXT_MAX),
]
LanguagesField = Annotated[Checkboxes, Field(title="Languages", default_factory=list)]
LanguagesOtherField = Annotated[
    OptionalText, Field(title="Other languages", max_length=lists.LANGUAGES_OTHER_MAX)
]
InterestsField = Annotated[OptionalText, Field(title="Interests")]
