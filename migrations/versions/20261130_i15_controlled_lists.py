"""Issue 15: controlled lists: gender, ethnic group and languages as keys, free text kept

Children and mentor profiles held gender, ethnicity and languages as free text; matching
compared the words. They now hold keys of the lists in app/children/lists.py, with the
person's own words beside them (gender_other, ethnicity_other, languages_other).

Upgrade maps today's text where it can (case, spaces and punctuation ignored; common
synonyms such as "F", "female", "girl" -> girl_or_woman, "white british" or the DfE code
WBRI -> white_british, "Punjabi" -> panjabi). What it cannot map is not lost: it becomes
the key `other` with the text as its words (languages: `languages_other`; a child's
preferences: a line in the preferences' notes). Each value it could not map is printed
during the upgrade (stderr) and stays findable afterwards: every such value is held in an
"_other" column or the notes (README.md, "Controlled lists", has the query).

The mapping is frozen here, not imported from app/: a migration must do the same thing
whenever it runs. tests/test_migration_lists.py checks that its keys are the lists' keys.

Downgrade writes text back (a key's words, else the key with spaces: "white british") and
drops the new columns.

Revision ID: i15_controlled_lists
Revises: i15_flag_acknowledgements
Create Date: 2026-11-30 22:00:00
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "i15_controlled_lists"
down_revision: str | Sequence[str] | None = "i15_flag_acknowledgements"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OTHER = "other"
NOTHING = ""  # maps to no answer: the text said nothing ("unknown", "n/a")

_NO_ANSWER = ["unknown", "not known", "n/a", "na", "none", "-", "?", "nobt", "not obtained"]
_PREFER_NOT = [
    "prefer not to say",
    "rather not say",
    "not stated",
    "declined",
    "refused",
    "information refused",
    "refu",
    "pnts",
]

GENDERS: dict[str, list[str]] = {
    "girl_or_woman": [
        "girl or woman",
        "female",
        "f",
        "girl",
        "woman",
        "fem",
        "trans girl",
        "trans woman",
        "transgender girl",
        "transgender woman",
    ],
    "boy_or_man": [
        "boy or man",
        "male",
        "m",
        "boy",
        "man",
        "trans boy",
        "trans man",
        "transgender boy",
        "transgender man",
    ],
    "non_binary": ["non binary", "nonbinary", "nb", "enby"],
    "prefer_not_to_say": _PREFER_NOT,
}

# The census's words ("White: English, Welsh, Scottish, Northern Irish or British"), the
# DfE's ethnicity codes (WBRI ...) used in children's social care returns, common phrasings.
ETHNICITIES: dict[str, list[str]] = {
    "white_british": [
        "white english welsh scottish northern irish or british",
        "english welsh scottish northern irish or british",
        "white british",
        "british white",
        "white uk",
        "white english",
        "white welsh",
        "white scottish",
        # Not "British" or "English" alone: a national identity, not an ethnic group (a
        # Black British child may have written it), so it is kept as words to review.
        "wbri",
    ],
    "white_irish": ["white irish", "irish", "wiri"],
    "white_gypsy_or_irish_traveller": [
        "white gypsy or irish traveller",
        "gypsy or irish traveller",
        "gypsy",
        "irish traveller",
        "traveller",
        "traveller of irish heritage",
        "wirt",
    ],
    "white_roma": ["white roma", "roma"],
    "white_other": [
        "white any other white background",
        "any other white background",
        "white other",
        "other white",
        "woth",
    ],
    "mixed_white_and_black_caribbean": [
        "mixed or multiple ethnic groups white and black caribbean",
        "mixed white and black caribbean",
        "white and black caribbean",
        "mixed white black caribbean",
        "mwbc",
    ],
    "mixed_white_and_black_african": [
        "mixed or multiple ethnic groups white and black african",
        "mixed white and black african",
        "white and black african",
        "mixed white black african",
        "mwba",
    ],
    "mixed_white_and_asian": [
        "mixed or multiple ethnic groups white and asian",
        "mixed white and asian",
        "white and asian",
        "mixed white asian",
        "mwas",
    ],
    "mixed_other": [
        "mixed or multiple ethnic groups any other mixed or multiple ethnic background",
        "any other mixed or multiple ethnic background",
        "any other mixed background",
        "mixed other",
        "other mixed",
        "mixed",
        "mixed race",
        "moth",
    ],
    "asian_indian": [
        "asian or asian british indian",
        "asian indian",
        "indian",
        "british indian",
        "aind",
    ],
    "asian_pakistani": [
        "asian or asian british pakistani",
        "asian pakistani",
        "pakistani",
        "british pakistani",
        "apkn",
    ],
    "asian_bangladeshi": [
        "asian or asian british bangladeshi",
        "asian bangladeshi",
        "bangladeshi",
        "british bangladeshi",
        "aban",
    ],
    "asian_chinese": [
        "asian or asian british chinese",
        "asian chinese",
        "chinese",
        "british chinese",
        "chne",
    ],
    "asian_other": [
        "asian or asian british any other asian background",
        "any other asian background",
        "asian other",
        "other asian",
        "asian",
        "aoth",
    ],
    "black_caribbean": [
        "black black british caribbean or african caribbean",
        "black caribbean",
        "caribbean",
        "black british caribbean",
        "bcrb",
    ],
    "black_african": [
        "black black british caribbean or african african",
        "black african",
        "african",
        "black british african",
        "bafr",
    ],
    "black_other": [
        "black black british caribbean or african any other black black british or "
        "caribbean background",
        "any other black black british or caribbean background",
        "any other black background",
        "black other",
        "other black",
        "black",
        "black british",
        "both",
    ],
    "arab": ["other ethnic group arab", "arab", "british arab"],
    "other": [
        "other ethnic group any other ethnic group",
        "any other ethnic group",
        "other ethnic group",
        "other",
        "ooth",
    ],
    "prefer_not_to_say": _PREFER_NOT,
}

# Keys whose text is kept as their words even when mapped ("Any other White background":
# the census asks them to write it in), unless the text is no more than the key's name.
ETHNICITY_DESCRIBED = {
    "white_other",
    "black_african",
    "mixed_other",
    "asian_other",
    "black_other",
    "other",
}
GENDER_DESCRIBED = {"other"}

LANGUAGES: dict[str, list[str]] = {
    "english": ["english", "en", "eng"],
    "polish": ["polish", "pl", "polski"],
    "romanian": ["romanian", "ro"],
    "panjabi": ["panjabi", "punjabi", "panjabi punjabi", "pa"],
    "urdu": ["urdu", "ur"],
    "portuguese": ["portuguese", "pt"],
    "spanish": ["spanish", "es", "castilian"],
    "arabic": ["arabic", "ar"],
    "bengali": ["bengali", "bangla", "sylheti", "bengali bangla sylheti", "bn"],
    "gujarati": ["gujarati", "gu"],
    "italian": ["italian", "it"],
    "french": ["french", "fr"],
    "chinese": ["chinese", "mandarin", "cantonese", "chinese cantonese mandarin", "zh"],
    "tamil": ["tamil", "ta"],
    "lithuanian": ["lithuanian", "lt"],
    "bulgarian": ["bulgarian", "bg"],
    "turkish": ["turkish", "tr"],
    "persian": ["persian", "farsi", "dari", "persian farsi dari", "fa"],
    "hungarian": ["hungarian", "hu"],
    "somali": ["somali", "so"],
    "russian": ["russian", "ru"],
    "greek": ["greek", "el"],
    "german": ["german", "de"],
    "pashto": ["pashto", "pashtu", "ps"],
    "kurdish": ["kurdish", "sorani", "kurmanji", "ku"],
    "tigrinya": ["tigrinya", "ti"],
    "albanian": ["albanian", "sq"],
    "hindi": ["hindi", "hi"],
    "yoruba": ["yoruba", "yo"],
    "twi": ["twi", "akan", "twi akan", "tw"],
    "welsh": ["welsh", "cymraeg", "cy"],
    "british_sign_language": ["british sign language", "bsl", "sign language"],
}

MENTOR_GENDERS = {"girl_or_woman", "boy_or_man", "non_binary"}


def normalise(text: str) -> str:
    """Lower case, "&" as "and", punctuation as spaces, one space between words."""
    folded = text.casefold().replace("&", " and ")
    return " ".join(re.sub(r"[^\w?]+|_", " ", folded).split()) or ("-" if text.strip() else "")


def _index(lists: dict[str, list[str]], blank: Iterable[str] = ()) -> dict[str, str]:
    found = {normalise(key): key for key in lists}
    for key, words in lists.items():
        found.update({normalise(word): key for word in words})
    found.update({normalise(word): NOTHING for word in blank})
    return found


_GENDER = _index(GENDERS, _NO_ANSWER)
_ETHNICITY = _index(ETHNICITIES, _NO_ANSWER)
_LANGUAGE = _index(LANGUAGES, _NO_ANSWER)
# The plain names of the described keys: their text adds nothing, so no words are kept.
_PLAIN = {normalise(key) for key in ETHNICITIES} | {
    normalise(word)
    for key in ETHNICITY_DESCRIBED
    for word in ETHNICITIES[key]
    if word not in ("black british", "asian", "black", "mixed", "mixed race")
}


def map_gender(text: str | None) -> tuple[str | None, str | None]:
    """(key, words): "F" -> ("girl_or_woman", None); "Agender" -> ("other", "Agender")."""
    if text is None or not text.strip():
        return None, None
    key = _GENDER.get(normalise(text))
    if key is None:
        return OTHER, text.strip()
    return key or None, None


def map_ethnicity(text: str | None) -> tuple[str | None, str | None]:
    """(key, words): "white british" -> ("white_british", None); "White European" ->
    ("other", "White European"), "Black British" -> ("black_other", "Black British")."""
    if text is None or not text.strip():
        return None, None
    plain = normalise(text)
    key = _ETHNICITY.get(plain)
    if key is None:
        return OTHER, text.strip()
    if key in ETHNICITY_DESCRIBED and (key == OTHER or plain not in _PLAIN):
        return key, text.strip()
    return key or None, None


def map_languages(items: Iterable[Any] | None) -> tuple[list[str], list[str]]:
    """(keys, unmapped as written): ["English", "punjabi", "Twi"] -> (["english",
    "panjabi"], ["Twi"]). Repeats are dropped; order is kept."""
    keys: list[str] = []
    unmapped: list[str] = []
    for item in items or ():
        text = str(item).strip()
        if not text:
            continue
        key = _LANGUAGE.get(normalise(text))
        if key is None:
            if text not in unmapped:
                unmapped.append(text)
        elif key and key not in keys:
            keys.append(key)
    return keys, unmapped


def map_mentor_gender(text: str | None) -> tuple[str | None, str | None]:
    """A child's wish for a mentor's gender: (key, unmapped text)."""
    key, words = map_gender(text)
    if key is None or key in MENTOR_GENDERS:
        return key, None
    return None, (words or str(text).strip())


def map_person(row: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The new values of one child's or mentor's row, and the (field, text) not mapped."""
    gender, gender_other = map_gender(row.get("gender"))
    ethnicity, ethnicity_other = map_ethnicity(row.get("ethnicity"))
    languages, unmapped_languages = map_languages(row.get("languages"))
    values: dict[str, Any] = {
        "gender": gender,
        "gender_other": gender_other,
        "ethnicity": ethnicity,
        "ethnicity_other": ethnicity_other,
        "languages": languages,
        "languages_other": ", ".join(unmapped_languages) or None,
    }
    lost: list[tuple[str, str]] = []
    if gender == OTHER and gender_other:
        lost.append(("gender", gender_other))
    if ethnicity == OTHER and ethnicity_other and normalise(ethnicity_other) not in _PLAIN:
        lost.append(("ethnicity", ethnicity_other))
    lost.extend(("languages", text) for text in unmapped_languages)
    if "preferences" in row:
        prefs = dict(row.get("preferences") or {})
        notes: list[str] = []
        if prefs.get("mentor_gender") is not None:
            wanted, unmapped = map_mentor_gender(str(prefs["mentor_gender"]))
            if wanted:
                prefs["mentor_gender"] = wanted
            else:
                prefs.pop("mentor_gender")
            if unmapped:
                notes.append(f"Mentor's gender asked for: {unmapped}")
                lost.append(("preferences.mentor_gender", unmapped))
        if "languages" in prefs:
            wanted_languages, unmapped_wanted = map_languages(prefs.get("languages"))
            prefs["languages"] = wanted_languages
            if unmapped_wanted:
                notes.append("Mentor's languages asked for: " + ", ".join(unmapped_wanted))
                lost.extend(("preferences.languages", text) for text in unmapped_wanted)
        if notes:
            prefs["notes"] = "\n".join([*([prefs["notes"]] if prefs.get("notes") else []), *notes])
        values["preferences"] = prefs
    return values, lost


def _text_of(key: str | None, words: str | None) -> str | None:
    return words or (key.replace("_", " ") if key else None)


# The tables as this revision sees them ------------------------------------------------------

_NEW_COLUMNS = (("gender_other", 80), ("ethnicity_other", 80), ("languages_other", 500))


def _table(name: str, key: str, *extra: str) -> sa.TableClause:
    columns = [sa.column(key, sa.Integer())]
    columns += [sa.column(c, sa.String()) for c in ("gender", "ethnicity", *extra)]
    columns += [sa.column(c, sa.String()) for c, _ in _NEW_COLUMNS]
    columns.append(sa.column("languages", sa.JSON()))
    if name == "child":
        columns.append(sa.column("preferences", sa.JSON()))
    return sa.table(name, *columns)


_PEOPLE = (
    ("child", _table("child", "id", "reference"), "id", "reference"),
    ("mentor_profile", _table("mentor_profile", "user_id"), "user_id", "user_id"),
)


def upgrade() -> None:
    for name, *_ in _PEOPLE:
        with op.batch_alter_table(name, schema=None) as batch_op:
            for column, length in _NEW_COLUMNS:
                batch_op.add_column(
                    sa.Column(
                        column, sqlmodel.sql.sqltypes.AutoString(length=length), nullable=True
                    )
                )
    bind = op.get_bind()
    unmapped: list[str] = []
    for name, table, key, label in _PEOPLE:
        fields = ["gender", "ethnicity", "languages"] + (["preferences"] if name == "child" else [])
        columns = [table.c[key], table.c[label], *(table.c[f] for f in fields)]
        rows = bind.execute(sa.select(*dict.fromkeys(columns)).order_by(table.c[key])).all()
        for row in rows:
            stored = dict(row._mapping)
            values, lost = map_person(stored)
            changed = {f: v for f, v in values.items() if stored.get(f) != v}
            if changed:
                bind.execute(table.update().where(table.c[key] == stored[key]).values(**changed))
            unmapped.extend(f"{name} {stored[label]}: {field} {text!r}" for field, text in lost)
    if unmapped:
        lines = [
            f"i15_controlled_lists: {len(unmapped)} value(s) not in the lists, kept as "
            "'other' with their words (README.md, Controlled lists, finds them later):",
            *(f"  {line}" for line in unmapped),
        ]
        sys.stderr.write("\n".join(lines) + "\n")


def downgrade() -> None:
    bind = op.get_bind()
    for name, table, key, _label in _PEOPLE:
        fields = ["gender", "ethnicity", "languages"] + (["preferences"] if name == "child" else [])
        news = [c for c, _ in _NEW_COLUMNS]
        rows = bind.execute(sa.select(table.c[key], *(table.c[f] for f in fields + news))).all()
        for row in rows:
            stored = dict(row._mapping)
            values: dict[str, Any] = {
                "gender": _text_of(stored["gender"], stored["gender_other"]),
                "ethnicity": _text_of(stored["ethnicity"], stored["ethnicity_other"]),
                "languages": [_text_of(k, None) for k in stored["languages"] or ()]
                + [t.strip() for t in (stored["languages_other"] or "").split(",") if t.strip()],
            }
            if name == "child":
                prefs = dict(stored["preferences"] or {})
                if prefs.get("mentor_gender"):
                    prefs["mentor_gender"] = _text_of(prefs["mentor_gender"], None)
                if prefs.get("languages"):
                    prefs["languages"] = [_text_of(k, None) for k in prefs["languages"]]
                values["preferences"] = prefs
            bind.execute(table.update().where(table.c[key] == stored[key]).values(**values))
        with op.batch_alter_table(name, schema=None) as batch_op:
            for column, _length in reversed(_NEW_COLUMNS):
                batch_op.drop_column(column)
