"""The controlled-lists migration (i15_controlled_lists): its mapping of yesterday's free
text, and the upgrade of a database holding it (nothing lost, the unmapped listed)."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import sqlalchemy as sa
from pytest_alembic import MigrationContext

from app.children import lists

ROOT = Path(__file__).resolve().parents[1]
BEFORE = "i15_flag_acknowledgements"
REVISION = "i15_controlled_lists"


def _migration() -> ModuleType:
    path = ROOT / "migrations" / "versions" / "20261130_i15_controlled_lists.py"
    spec = importlib.util.spec_from_file_location("i15_controlled_lists", path)
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


m = _migration()


# The mapping, as a unit ----------------------------------------------------------------------


def test_the_migrations_keys_are_the_lists_keys() -> None:
    """The mapping is frozen in the migration; every key it writes is a key of the lists."""
    assert set(m.GENDERS) <= set(lists.GENDER_LABELS)
    assert set(m.ETHNICITIES) <= set(lists.ETHNICITY_LABELS)
    assert set(m.ETHNICITIES) | {lists.PREFER_NOT_TO_SAY} == set(lists.ETHNICITY_LABELS)
    assert set(m.LANGUAGES) == set(lists.LANGUAGE_LABELS)
    assert set(lists.ETHNICITY_DESCRIBED) == m.ETHNICITY_DESCRIBED
    assert set(lists.MentorGender) == m.MENTOR_GENDERS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("F", ("girl_or_woman", None)),
        ("  female ", ("girl_or_woman", None)),
        ("GIRL", ("girl_or_woman", None)),
        ("Girl or woman", ("girl_or_woman", None)),
        ("girl_or_woman", ("girl_or_woman", None)),  # already a key
        ("m", ("boy_or_man", None)),
        ("Male.", ("boy_or_man", None)),
        ("boy", ("boy_or_man", None)),
        ("Non-binary", ("non_binary", None)),
        ("non binary", ("non_binary", None)),
        ("NB", ("non_binary", None)),
        ("Prefer not to say", ("prefer_not_to_say", None)),
        ("declined", ("prefer_not_to_say", None)),
        ("Unknown", (None, None)),
        ("n/a", (None, None)),
        ("-", (None, None)),
        ("", (None, None)),
        ("   ", (None, None)),
        (None, (None, None)),
        ("Agender", ("other", "Agender")),
        ("  Genderfluid  ", ("other", "Genderfluid")),
        ("w", ("other", "w")),  # not guessed: W could be anything
    ],
)
def test_gender_mapping(text: str | None, expected: tuple[str | None, str | None]) -> None:
    assert m.map_gender(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("White British", ("white_british", None)),
        ("white  british", ("white_british", None)),
        ("WHITE - BRITISH", ("white_british", None)),
        ("White: English, Welsh, Scottish, Northern Irish or British", ("white_british", None)),
        ("White English", ("white_british", None)),
        ("English", ("other", "English")),  # a national identity: not guessed
        ("British", ("other", "British")),
        ("WBRI", ("white_british", None)),  # the DfE's code
        ("Irish", ("white_irish", None)),
        ("Gypsy", ("white_gypsy_or_irish_traveller", None)),
        ("Mixed White & Black Caribbean", ("mixed_white_and_black_caribbean", None)),
        ("White and Asian", ("mixed_white_and_asian", None)),
        ("British Pakistani", ("asian_pakistani", None)),
        ("Indian", ("asian_indian", None)),
        ("Black Caribbean", ("black_caribbean", None)),
        ("African", ("black_african", None)),
        ("Arab", ("arab", None)),
        ("Any other White background", ("white_other", None)),
        ("White other", ("white_other", None)),
        # A described category keeps words that say more than its name.
        ("Black British", ("black_other", "Black British")),
        ("Mixed race", ("mixed_other", "Mixed race")),
        ("Other", ("other", "Other")),
        ("Prefer not to say", ("prefer_not_to_say", None)),
        ("Refused", ("prefer_not_to_say", None)),
        ("Not known", (None, None)),
        ("", (None, None)),
        # Not in the lists: kept as "other" with the words, never guessed.
        ("Kurdish", ("other", "Kurdish")),
        ("White Polish", ("other", "White Polish")),
        (" Black-British Somali ", ("other", "Black-British Somali")),
    ],
)
def test_ethnicity_mapping(text: str | None, expected: tuple[str | None, str | None]) -> None:
    assert m.map_ethnicity(text) == expected


def test_language_mapping_keeps_what_it_cannot_map_and_drops_repeats() -> None:
    assert m.map_languages(
        ["English", " english ", "Punjabi", "Farsi", "BSL", "Twi", "Klingon", "", "  ", "Klingon"]
    ) == (["english", "panjabi", "persian", "british_sign_language", "twi"], ["Klingon"])
    assert m.map_languages(None) == ([], [])
    assert m.map_languages(["unknown", "n/a"]) == ([], [])


def test_a_childs_wishes_are_mapped_and_what_is_not_goes_into_the_notes() -> None:
    values, lost = m.map_person(
        {
            "gender": "F",
            "ethnicity": "Kurdish",
            "languages": ["Kurdish", "Sorani", "Tagalog"],
            "preferences": {
                "mentor_gender": "Prefer not to say",
                "languages": ["Polish", "Elvish"],
                "notes": "Shy at first",
            },
        }
    )
    assert values == {
        "gender": "girl_or_woman",
        "gender_other": None,
        "ethnicity": "other",
        "ethnicity_other": "Kurdish",
        "languages": ["kurdish"],
        "languages_other": "Tagalog",
        "preferences": {
            "languages": ["polish"],
            "notes": "Shy at first\nMentor's gender asked for: Prefer not to say\n"
            "Mentor's languages asked for: Elvish",
        },
    }
    assert lost == [
        ("ethnicity", "Kurdish"),
        ("languages", "Tagalog"),
        ("preferences.mentor_gender", "Prefer not to say"),
        ("preferences.languages", "Elvish"),
    ]


def test_every_mapped_value_passes_the_apis_own_check() -> None:
    """What the upgrade writes is what the API would accept: the keys with their words."""
    from app.children.schemas import ChildFields

    for gender in ("F", "Agender", "prefer not to say", None):
        for ethnicity in ("White British", "Black British", "Kurdish", "Other", None):
            values, _ = m.map_person(
                {"gender": gender, "ethnicity": ethnicity, "languages": ["English", "Twi"]}
            )
            ChildFields.model_validate(values)


# The upgrade, on a database holding free text -------------------------------------------------


def _filler(column: Any) -> Any:
    kind = column["type"]
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, sa.Integer):
        return 1
    if isinstance(kind, sa.Float | sa.Numeric):
        return 0.5
    if isinstance(kind, sa.DateTime):
        return dt.datetime(2026, 9, 1, 9, 0, tzinfo=dt.UTC)
    if isinstance(kind, sa.Date):
        return dt.date(2026, 9, 1)
    if isinstance(kind, sa.JSON):
        return {}
    return "x"


def _insert(engine: sa.Engine, table: str, **values: Any) -> None:
    """A row with the given values and something in every other required column."""
    columns = sa.inspect(engine).get_columns(table)
    row = {
        c["name"]: _filler(c)
        for c in columns
        if not c["nullable"] and c.get("default") is None and c.get("autoincrement") is not True
    }
    row.update(values)
    meta = sa.MetaData()
    target = sa.Table(table, meta, autoload_with=engine)
    with engine.begin() as conn:
        conn.execute(target.insert().values(**row))


def _rows(engine: sa.Engine, table: str, key: str) -> dict[Any, dict[str, Any]]:
    target = sa.Table(table, sa.MetaData(), autoload_with=engine)
    with engine.connect() as conn:
        return {r._mapping[key]: dict(r._mapping) for r in conn.execute(sa.select(target))}


def test_upgrade_maps_free_text_and_keeps_what_it_cannot(
    alembic_runner: MigrationContext, alembic_engine: sa.Engine, capfd: pytest.CaptureFixture[str]
) -> None:
    alembic_runner.migrate_up_to(BEFORE)
    engine = alembic_engine
    _insert(engine, "organisation", id=1, name="Org A", holiday_region="england")
    _insert(engine, "user_account", id=7, org_id=1, email="m@example.org", role="mentor")
    _insert(engine, "user_account", id=8, org_id=1, email="n@example.org", role="mentor")
    children = [
        (1, "CH-1", "Female", "White British", ["English", "Polish"], {"mentor_gender": "F"}),
        (2, "CH-2", "Genderqueer", "Kurdish", ["Kurdish", "Tigrinya", "Tagalog"], {}),
        (3, "CH-3", None, None, [], {"mentor_gender": "anyone kind", "notes": "Likes dogs"}),
    ]
    for id_, ref, gender, ethnicity, languages, prefs in children:
        _insert(
            engine,
            "child",
            id=id_,
            org_id=1,
            reference=ref,
            placement_type="foster",
            gender=gender,
            ethnicity=ethnicity,
            languages=languages,
            interests=[],
            preferences=prefs,
        )
    _insert(engine, "mentor_profile", user_id=7, org_id=1, gender="m", ethnicity="Black British",
            languages=["english", "BSL"], interests=[])  # fmt: skip
    _insert(engine, "mentor_profile", user_id=8, org_id=1, gender="prefer not to say",
            ethnicity="Prefer not to say", languages=[], interests=[])  # fmt: skip
    capfd.readouterr()

    alembic_runner.migrate_up_one()

    kids = _rows(engine, "child", "id")
    assert {k: kids[1][k] for k in ("gender", "gender_other", "ethnicity", "ethnicity_other")} == {
        "gender": "girl_or_woman",
        "gender_other": None,
        "ethnicity": "white_british",
        "ethnicity_other": None,
    }
    assert kids[1]["languages"] == ["english", "polish"]
    assert kids[1]["languages_other"] is None
    assert kids[1]["preferences"] == {"mentor_gender": "girl_or_woman"}
    # What it cannot map is kept, word for word, beside "other".
    assert (kids[2]["gender"], kids[2]["gender_other"]) == ("other", "Genderqueer")
    assert (kids[2]["ethnicity"], kids[2]["ethnicity_other"]) == ("other", "Kurdish")
    assert kids[2]["languages"] == ["kurdish", "tigrinya"]
    assert kids[2]["languages_other"] == "Tagalog"
    assert (kids[3]["gender"], kids[3]["ethnicity"], kids[3]["languages"]) == (None, None, [])
    assert kids[3]["preferences"] == {"notes": "Likes dogs\nMentor's gender asked for: anyone kind"}
    mentors = _rows(engine, "mentor_profile", "user_id")
    assert (mentors[7]["gender"], mentors[7]["ethnicity"]) == ("boy_or_man", "black_other")
    assert mentors[7]["ethnicity_other"] == "Black British"
    assert mentors[7]["languages"] == ["english", "british_sign_language"]
    assert (mentors[8]["gender"], mentors[8]["ethnicity"]) == (
        "prefer_not_to_say",
        "prefer_not_to_say",
    )
    # Listed during the upgrade, so whoever runs it sees what to look at.
    printed = capfd.readouterr().err
    assert "4 value(s) not in the lists" in printed
    for line in (
        "child CH-2: gender 'Genderqueer'",
        "child CH-2: ethnicity 'Kurdish'",
        "child CH-2: languages 'Tagalog'",
        "child CH-3: preferences.mentor_gender 'anyone kind'",
    ):
        assert line in printed, line

    # Down again: the text is back (a key as words), the new columns are gone.
    alembic_runner.migrate_down_one()
    kids = _rows(engine, "child", "id")
    assert "gender_other" not in kids[1]
    assert (kids[1]["gender"], kids[2]["gender"], kids[2]["ethnicity"]) == (
        "girl or woman",
        "Genderqueer",
        "Kurdish",
    )
    assert kids[2]["languages"] == ["kurdish", "tigrinya", "Tagalog"]
