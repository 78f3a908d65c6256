"""The controlled lists matching compares: gender, ethnic group and languages, as data.

Children and mentors both use them (app/mentoring imports this module: children sit below
mentoring in the domain order), so a child's "girl_or_woman" and a mentor's are one value.
The API takes and returns the KEYS (`white_british`, `polish`), never the labels: a key
stays the same when a label's wording changes. `GET /api/v1/lists` returns every key with
its label.

Sources (checked when the lists were written):
- Ethnic group: the 19 tick-box categories of the Census 2021 ethnic group question in
  England and Wales, under its 5 high-level groups (ONS, dataset TS021 "Ethnic group",
  https://www.ons.gov.uk/datasets/TS021: "Respondents could choose one out of 19 tick-box
  response categories, including write-in response options"). The "Any other ..."
  categories take a write-in, as the census's do.
- Gender: the GOV.UK Design System's "Gender or sex" pattern
  (https://design-system.service.gov.uk/patterns/gender-or-sex/: ask for gender, not sex,
  unless the service needs biological data; let people describe it themselves), with the
  words the ONS uses in its Census 2021 gender identity outputs for people who describe
  themselves another way; "Girl or woman" and "Boy or man" because most people described
  are children.
- Languages: the most common main languages in England in Census 2021 (ONS, "Language,
  England and Wales: Census 2021", dataset TS024 "Main language (detailed)": English, then
  Polish, Romanian, Panjabi, Urdu, Portuguese, Spanish, Arabic, Bengali, Gujarati, ...,
  with the West African languages the programme's areas asked for, Yoruba and Twi), named
  as in ISO 639-1, plus British Sign Language (which has no ISO 639-1 code).

Gender and ethnic group each have "prefer not to say" and an "other" whose words are kept
beside the key (`gender_other`, `ethnicity_other`); languages not in the list are kept as
written in `languages_other` ("Tigrinya, Twi"). "Prefer not to say" and no answer tell
matching nothing: never a match.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

OTHER = "other"
PREFER_NOT_TO_SAY = "prefer_not_to_say"
OTHER_TEXT_MAX = 80  # gender_other, ethnicity_other
MAX_LANGUAGES = 10
LANGUAGES_OTHER_MAX = 500  # languages_other: "Tigrinya, Twi" (ten of the old 40-character tags)


class Gender(StrEnum):
    girl_or_woman = "girl_or_woman"
    boy_or_man = "boy_or_man"
    non_binary = "non_binary"
    other = OTHER
    prefer_not_to_say = PREFER_NOT_TO_SAY


GENDER_LABELS: dict[str, str] = {
    Gender.girl_or_woman: "Girl or woman",
    Gender.boy_or_man: "Boy or man",
    Gender.non_binary: "Non-binary",
    Gender.other: "Prefer to self-describe",
    Gender.prefer_not_to_say: "Prefer not to say",
}


class MentorGender(StrEnum):
    """The mentor gender a child may ask for (no answer: no preference)."""

    girl_or_woman = "girl_or_woman"
    boy_or_man = "boy_or_man"
    non_binary = "non_binary"


# How a reason says the mentor gender a child asked for: "child asked for a female mentor".
MENTOR_GENDER_WORDS: dict[str, str] = {
    MentorGender.girl_or_woman: "female",
    MentorGender.boy_or_man: "male",
    MentorGender.non_binary: "non-binary",
}


class Ethnicity(StrEnum):
    white_british = "white_british"
    white_irish = "white_irish"
    white_gypsy_or_irish_traveller = "white_gypsy_or_irish_traveller"
    white_roma = "white_roma"
    white_other = "white_other"
    mixed_white_and_black_caribbean = "mixed_white_and_black_caribbean"
    mixed_white_and_black_african = "mixed_white_and_black_african"
    mixed_white_and_asian = "mixed_white_and_asian"
    mixed_other = "mixed_other"
    asian_indian = "asian_indian"
    asian_pakistani = "asian_pakistani"
    asian_bangladeshi = "asian_bangladeshi"
    asian_chinese = "asian_chinese"
    asian_other = "asian_other"
    black_caribbean = "black_caribbean"
    black_african = "black_african"
    black_other = "black_other"
    arab = "arab"
    other = OTHER
    prefer_not_to_say = PREFER_NOT_TO_SAY


# The census's five high-level groups, each with its categories in the census's order.
ETHNIC_GROUPS: list[tuple[str, list[tuple[str, str]]]] = [
    (
        "White",
        [
            (Ethnicity.white_british, "English, Welsh, Scottish, Northern Irish or British"),
            (Ethnicity.white_irish, "Irish"),
            (Ethnicity.white_gypsy_or_irish_traveller, "Gypsy or Irish Traveller"),
            (Ethnicity.white_roma, "Roma"),
            (Ethnicity.white_other, "Any other White background"),
        ],
    ),
    (
        "Mixed or Multiple ethnic groups",
        [
            (Ethnicity.mixed_white_and_black_caribbean, "White and Black Caribbean"),
            (Ethnicity.mixed_white_and_black_african, "White and Black African"),
            (Ethnicity.mixed_white_and_asian, "White and Asian"),
            (Ethnicity.mixed_other, "Any other Mixed or Multiple ethnic background"),
        ],
    ),
    (
        "Asian or Asian British",
        [
            (Ethnicity.asian_indian, "Indian"),
            (Ethnicity.asian_pakistani, "Pakistani"),
            (Ethnicity.asian_bangladeshi, "Bangladeshi"),
            (Ethnicity.asian_chinese, "Chinese"),
            (Ethnicity.asian_other, "Any other Asian background"),
        ],
    ),
    (
        "Black, Black British, Caribbean or African",
        [
            (Ethnicity.black_caribbean, "Caribbean"),
            (Ethnicity.black_african, "African"),
            (Ethnicity.black_other, "Any other Black, Black British, or Caribbean background"),
        ],
    ),
    (
        "Other ethnic group",
        [
            (Ethnicity.arab, "Arab"),
            (Ethnicity.other, "Any other ethnic group"),
        ],
    ),
]

ETHNICITY_LABELS: dict[str, str] = {
    key: f"{group}: {label}" for group, items in ETHNIC_GROUPS for key, label in items
} | {Ethnicity.prefer_not_to_say: "Prefer not to say"}

# The categories the census gives a write-in: their words may be kept in ethnicity_other.
ETHNICITY_DESCRIBED = frozenset(
    {
        Ethnicity.white_other,
        Ethnicity.black_african,  # the census's "African background, write in"
        Ethnicity.mixed_other,
        Ethnicity.asian_other,
        Ethnicity.black_other,
        Ethnicity.other,
    }
)
GENDER_DESCRIBED = frozenset({Gender.other})


class Language(StrEnum):
    english = "english"
    polish = "polish"
    romanian = "romanian"
    panjabi = "panjabi"
    urdu = "urdu"
    portuguese = "portuguese"
    spanish = "spanish"
    arabic = "arabic"
    bengali = "bengali"
    gujarati = "gujarati"
    italian = "italian"
    french = "french"
    chinese = "chinese"
    tamil = "tamil"
    lithuanian = "lithuanian"
    bulgarian = "bulgarian"
    turkish = "turkish"
    persian = "persian"
    hungarian = "hungarian"
    somali = "somali"
    russian = "russian"
    greek = "greek"
    german = "german"
    pashto = "pashto"
    kurdish = "kurdish"
    tigrinya = "tigrinya"
    albanian = "albanian"
    hindi = "hindi"
    yoruba = "yoruba"
    twi = "twi"
    welsh = "welsh"
    british_sign_language = "british_sign_language"


LANGUAGE_LABELS: dict[str, str] = {
    Language.english: "English",
    Language.polish: "Polish",
    Language.romanian: "Romanian",
    Language.panjabi: "Panjabi (Punjabi)",
    Language.urdu: "Urdu",
    Language.portuguese: "Portuguese",
    Language.spanish: "Spanish",
    Language.arabic: "Arabic",
    Language.bengali: "Bengali (Bangla, Sylheti)",
    Language.gujarati: "Gujarati",
    Language.italian: "Italian",
    Language.french: "French",
    Language.chinese: "Chinese (Cantonese, Mandarin)",
    Language.tamil: "Tamil",
    Language.lithuanian: "Lithuanian",
    Language.bulgarian: "Bulgarian",
    Language.turkish: "Turkish",
    Language.persian: "Persian (Farsi, Dari)",
    Language.hungarian: "Hungarian",
    Language.somali: "Somali",
    Language.russian: "Russian",
    Language.greek: "Greek",
    Language.german: "German",
    Language.pashto: "Pashto",
    Language.kurdish: "Kurdish",
    Language.tigrinya: "Tigrinya",
    Language.albanian: "Albanian",
    Language.hindi: "Hindi",
    Language.yoruba: "Yoruba",
    Language.twi: "Twi (Akan)",
    Language.welsh: "Welsh",
    Language.british_sign_language: "British Sign Language",
}

# Keys that say nothing about the person: never a reason two people match.
CHOOSE_GENDER = "Choose their gender from the list"
CHOOSE_ETHNICITY = "Choose their ethnic group from the list"
CHOOSE_MENTOR_GENDER = "Choose the mentor's gender from the list, or No preference"

NO_INFORMATION = frozenset({PREFER_NOT_TO_SAY})


@dataclass(frozen=True)
class ListItem:
    key: str
    label: str
    group: str | None = None
    describe: bool = False  # its words may be kept in the list's "_other" field


def gender_items() -> list[ListItem]:
    return [ListItem(k, v, describe=k in GENDER_DESCRIBED) for k, v in GENDER_LABELS.items()]


def ethnicity_items() -> list[ListItem]:
    items = [
        ListItem(key, label, group=group, describe=key in ETHNICITY_DESCRIBED)
        for group, entries in ETHNIC_GROUPS
        for key, label in entries
    ]
    return [*items, ListItem(PREFER_NOT_TO_SAY, "Prefer not to say")]


def language_items() -> list[ListItem]:
    return [ListItem(k, v) for k, v in LANGUAGE_LABELS.items()]


def label(labels: dict[str, str], key: str | None, other: str | None = None) -> str | None:
    """A stored key as people read it, with its own words when it has them."""
    if not key:
        return None
    name = labels.get(key, key)
    return f"{name}: {other}" if other else name


def language_names(keys: Iterable[str], other: str | None = None) -> list[str]:
    """Languages as people read them, then those not in the list, as written."""
    names = [LANGUAGE_LABELS.get(key, key) for key in keys]
    names.extend(split_other(other))
    return names


def split_other(text: str | None) -> list[str]:
    """languages_other as its items: "Tigrinya, Twi" -> ["Tigrinya", "Twi"]."""
    return [item.strip() for item in (text or "").split(",") if item.strip()]


def informative(key: str | None) -> str | None:
    """The key when it tells matching something; None for no answer or "prefer not to
    say" (no information, never a match)."""
    return None if not key or key in NO_INFORMATION else key


# Checking a body: a key's own words go with the keys that take them ------------------------

DESCRIBED: dict[str, tuple[str, frozenset[str]]] = {
    # field: (the field holding its words, the keys that take words)
    "gender": ("gender_other", GENDER_DESCRIBED),
    "ethnicity": ("ethnicity_other", ETHNICITY_DESCRIBED),
}
M = TypeVar("M", bound=BaseModel)


def check_described(model: M, *, partial: bool = False) -> M:
    """The words kept beside a key (`gender_other`) belong to the keys that take them: "other"
    needs them, "girl_or_woman" has none. `partial` (an update): the words are sent with
    their key, and a key sent alone clears the words kept for the one before.

    Raises pydantic's ValidationError located at the words' field (for the 422)."""
    sent = model.model_fields_set
    problems: list[InitErrorDetails] = []

    def refuse(loc: str, kind: str, message: str, value: object) -> None:
        problems.append(
            InitErrorDetails(type=PydanticCustomError(kind, message), loc=(loc,), input=value)
        )

    for field, (words_field, described) in DESCRIBED.items():
        key, words = getattr(model, field), getattr(model, words_field)
        if partial and words_field in sent and field not in sent:
            refuse(words_field, "other_without_key", f"Send {words_field} with {field}", words)
        elif words and key not in described:
            allowed = ", ".join(sorted(described))
            refuse(
                words_field,
                "other_not_allowed",
                f"{words_field} goes only with the {field} keys {allowed}",
                words,
            )
        elif key == OTHER and not words:
            refuse(
                words_field,
                "other_missing",
                f"Describe the {field} in {words_field}, or choose {PREFER_NOT_TO_SAY}",
                words,
            )
        elif partial and field in sent and words_field not in sent:
            model.model_fields_set.add(words_field)  # a new key clears the old words
    if problems:
        raise ValidationError.from_exception_data(type(model).__name__, problems)
    return model


def mentor_gender_items() -> list[ListItem]:
    return [ListItem(k, GENDER_LABELS[k]) for k in MentorGender]


def as_dict() -> dict[str, list[ListItem]]:
    """Every list, as GET /api/v1/lists returns it."""
    return {
        "gender": gender_items(),
        "mentor_gender": mentor_gender_items(),
        "ethnicity": ethnicity_items(),
        "languages": language_items(),
    }


def form_choices() -> dict[str, Any]:
    """The lists as page forms show them (app/templates/children/_fields.html)."""
    return {
        "genders": [(k, v, k in GENDER_DESCRIBED) for k, v in GENDER_LABELS.items()],
        "mentor_genders": [("", "No preference")] + [(k, GENDER_LABELS[k]) for k in MentorGender],
        "ethnic_groups": [
            *((group, [(str(k), v) for k, v in items]) for group, items in ETHNIC_GROUPS),
            (None, [(PREFER_NOT_TO_SAY, "Prefer not to say")]),
        ],
        "languages": [(str(k), v) for k, v in LANGUAGE_LABELS.items()],
    }


def form_problems(values: Mapping[str, Any], who: str = "their") -> Iterable[tuple[str, str]]:
    """What a page form's list fields can get wrong, in the page's words, from what was typed
    (so they show with every other problem at once)."""
    gender, ethnicity = values.get("gender") or None, values.get("ethnicity") or None
    ethnicity_other = values.get("ethnicity_other") or None
    languages = values.get("languages") or []
    if gender == OTHER and not values.get("gender_other"):
        yield "gender_other", f"Describe {who} gender, or choose Prefer not to say"
    if ethnicity == OTHER and not ethnicity_other:
        yield "ethnicity_other", f"Describe {who} ethnic group, or choose Prefer not to say"
    elif ethnicity_other and ethnicity not in ETHNICITY_DESCRIBED:
        yield (
            "ethnicity_other",
            'Choose an "Any other" ethnic group to describe it, or clear this box',
        )
    if any(item not in LANGUAGE_LABELS for item in languages):
        yield "languages", "Choose languages from the list"
    elif len(languages) > MAX_LANGUAGES:
        yield "languages", f"Choose up to {MAX_LANGUAGES} languages"


class Described(Protocol):
    """A child or a mentor's profile: what the lists describe."""

    gender: str | None
    gender_other: str | None
    ethnicity: str | None
    ethnicity_other: str | None
    languages: list[str]
    languages_other: str | None


def shown(person: Described) -> dict[str, Any]:
    """A child's or a mentor's list fields as people read them, for a record page."""
    prefs: dict[str, Any] = getattr(person, "preferences", None) or {}
    wanted = prefs.get("mentor_gender")
    return {
        "gender": label(GENDER_LABELS, person.gender, person.gender_other),
        "ethnicity": label(ETHNICITY_LABELS, person.ethnicity, person.ethnicity_other),
        "languages": ", ".join(language_names(person.languages, person.languages_other)),
        "mentor_gender": GENDER_LABELS.get(wanted, wanted) if wanted else "No preference",
        "mentor_languages": ", ".join(language_names(prefs.get("languages") or ())),
    }
