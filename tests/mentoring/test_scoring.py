"""Unit tests of the matching score, readiness and the date arithmetic behind them."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import Session

from app.auth.models import DEFAULT_MATCH_WEIGHTS
from app.children.models import Child
from app.mentoring.matching.scoring import ChildNeeds, score
from app.mentoring.matching.service import suggestions
from app.mentoring.profiles.service import dbs_run_out_by, readiness
from app.mentoring.shared import add_months, add_years
from tests.support.fixtures import MakeChild
from tests.support.mentoring import MakeMentor
from tests.support.people import People

WEIGHT_KEYS = sorted(DEFAULT_MATCH_WEIGHTS)


def _child(**fields: Any) -> Child:
    base: dict[str, Any] = {
        "org_id": 1,
        "reference": "X-1",
        "first_name": "Sam",
        "date_of_birth": dt.date(2016, 3, 1),
        "placement_type": "foster",
        "languages": [],
        "interests": [],
        "preferences": {},
    }
    return Child.model_construct(**{**base, **fields})


def _profile(**fields: Any) -> SimpleNamespace:
    base: dict[str, Any] = {
        "dbs_checked_on": dt.date(2025, 1, 10),
        "barred_list_checked": True,
        "references_checked": True,
        "interviewed_on": dt.date(2025, 1, 20),
        "training_completed_on": dt.date(2025, 2, 1),
    }
    return SimpleNamespace(**{**base, **fields})


def _score(needs: ChildNeeds, weights: dict[str, int] | None = None, **mentor: Any) -> Any:
    fields: dict[str, Any] = {
        "gender": None,
        "ethnicity": None,
        "languages": [],
        "interests": [],
        "care_experience": False,
        **mentor,
    }
    return score(needs, weights=weights or {}, **fields)


# add_years and add_months --------------------------------------------------------------------


def test_add_years_keeps_the_day_and_turns_29_february_into_28() -> None:
    assert add_years(dt.date(2024, 2, 29), 3) == dt.date(2027, 2, 28)
    assert add_years(dt.date(2024, 2, 29), 4) == dt.date(2028, 2, 29)
    assert add_years(dt.date(2024, 2, 29), -1) == dt.date(2023, 2, 28)
    assert add_years(dt.date(2023, 11, 26), 3) == dt.date(2026, 11, 26)
    assert add_years(dt.date(2023, 3, 1), -3) == dt.date(2020, 3, 1)


def test_add_months_clamps_to_the_end_of_the_month() -> None:
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2026, 12, 15), 1) == dt.date(2027, 1, 15)
    assert add_months(dt.date(2026, 3, 31), -13) == dt.date(2025, 2, 28)


# Readiness -----------------------------------------------------------------------------------


def test_readiness_names_every_missing_check() -> None:
    nothing = _profile(
        dbs_checked_on=None,
        barred_list_checked=False,
        references_checked=False,
        interviewed_on=None,
        training_completed_on=None,
    )
    result = readiness(nothing, today=dt.date(2026, 11, 26), renewal_years=3)
    assert result.ready is False
    assert result.dbs_expires_on is None
    assert result.missing == [
        "an enhanced DBS check",
        "the barred-list check",
        "two references",
        "an interview",
        "the mentor training",
    ]
    done = readiness(_profile(), today=dt.date(2026, 11, 26), renewal_years=3)
    assert (done.ready, done.missing, done.dbs_expires_on) == (True, [], dt.date(2028, 1, 10))


def test_a_dbs_check_runs_out_on_its_renewal_day() -> None:
    profile = _profile(dbs_checked_on=dt.date(2023, 11, 26))
    day_before = readiness(profile, today=dt.date(2026, 11, 25), renewal_years=3)
    on_the_day = readiness(profile, today=dt.date(2026, 11, 26), renewal_years=3)
    assert day_before.ready is True
    assert on_the_day.ready is False
    assert on_the_day.missing == ["a new DBS check (the last one ran out on 26 November 2026)"]
    assert readiness(profile, today=dt.date(2026, 11, 26), renewal_years=4).ready is True


def test_a_dbs_check_of_29_february() -> None:
    profile = _profile(dbs_checked_on=dt.date(2024, 2, 29))
    assert readiness(profile, today=dt.date(2027, 2, 27), renewal_years=3).ready is True
    assert readiness(profile, today=dt.date(2027, 2, 28), renewal_years=3).ready is False
    assert readiness(profile, today=dt.date(2028, 2, 28), renewal_years=4).ready is True
    assert readiness(profile, today=dt.date(2028, 2, 29), renewal_years=4).ready is False


@given(
    checked=st.dates(dt.date(2015, 1, 1), dt.date(2030, 12, 31)),
    today=st.dates(dt.date(2018, 1, 1), dt.date(2034, 12, 31)),
    years=st.integers(1, 10),
)
def test_the_query_bound_agrees_with_readiness(
    checked: dt.date, today: dt.date, years: int
) -> None:
    """Suggestions filter in SQL by `dbs_checked_on > dbs_run_out_by(...)`; the profile
    page says `readiness`. They must agree on every day, 29 February included."""
    current = readiness(_profile(dbs_checked_on=checked), today=today, renewal_years=years)
    assert (checked > dbs_run_out_by(today, years)) == current.ready


def test_the_29_february_boundary_in_suggestions(
    db: Session,
    people: People,
    make_mentor: MakeMentor,
    make_child: MakeChild,
    lead_api: TestClient,
) -> None:
    mentor = make_mentor(
        dbs_checked_on="2024-02-29", interviewed_on="2024-03-01", training_completed_on="2024-03-02"
    )
    child = make_child()

    def suggested(day: dt.date) -> list[int]:
        found = suggestions(db, actor=people.lead, child_id=child["id"], today=day)
        return [s.mentor_id for s in found]

    assert suggested(dt.date(2027, 2, 27)) == [mentor["user_id"]]
    assert suggested(dt.date(2027, 2, 28)) == []  # the check ran out today
    # A check dated after "today" (a mistyped date) is never current.
    assert suggested(dt.date(2024, 2, 28)) == []


# Scores --------------------------------------------------------------------------------------


def test_a_perfect_match_scores_1_and_says_why() -> None:
    needs = ChildNeeds.of(
        _child(
            ethnicity="mixed_other",
            interests=["art", "music", "chess", "swimming"],
            languages=["urdu"],
            preferences={"mentor_gender": "boy_or_man"},
        )
    )
    value, reasons = _score(
        needs,
        gender="boy_or_man",
        ethnicity="mixed_other",
        languages=["urdu"],
        interests=["Art", "Music", "Chess"],
        care_experience=True,
    )
    assert value == 1.0
    assert reasons == [
        "child asked for a male mentor",
        "same ethnicity (Mixed or Multiple ethnic groups: Any other Mixed or Multiple ethnic "
        "background)",
        "speaks Urdu",
        "shares interests: art, music, chess",
        "mentor has care experience",
    ]


def test_unknown_characteristics_neither_help_nor_harm() -> None:
    blank = ChildNeeds.of(_child())
    # Only care experience can count for a child we know nothing about.
    assert _score(blank, care_experience=True) == (1.0, ["mentor has care experience"])
    assert _score(blank) == (0.0, [])
    no_weights = dict.fromkeys(WEIGHT_KEYS, 0)
    assert _score(blank, no_weights, care_experience=True) == (0.0, [])


def test_the_preferred_languages_replace_the_childs_own() -> None:
    needs = ChildNeeds.of(_child(languages=["english"], preferences={"languages": ["welsh"]}))
    assert _score(needs, languages=["english"])[1] == []
    assert _score(needs, languages=["welsh"])[1] == ["speaks Welsh"]


def test_shared_interests_count_up_to_three() -> None:
    needs = ChildNeeds.of(_child(interests=["a", "b", "c", "d", "e"]))
    weights = {**dict.fromkeys(WEIGHT_KEYS, 0), "interests": 6}
    assert _score(needs, weights, interests=["a"])[0] == round(1 / 3, 3)
    assert _score(needs, weights, interests=["a", "b"])[0] == round(2 / 3, 3)
    assert _score(needs, weights, interests=["a", "b", "c", "d"])[0] == 1.0


def test_weights_change_the_score() -> None:
    needs = ChildNeeds.of(_child(preferences={"mentor_gender": "girl_or_woman"}, interests=["art"]))
    gender_only = {"gender": "girl_or_woman"}
    assert _score(needs, {}, **gender_only)[0] == round(3 / 6, 3)  # default 3 of 3+2+1
    heavy = {"gender": 10, "interests": 0, "care_experience": 0}
    assert _score(needs, heavy, **gender_only)[0] == 1.0
    assert _score(needs, {"gender": 0}, **gender_only) == (0.0, [])


names = st.sampled_from(
    ["girl_or_woman", "boy_or_man", "non_binary", "other", "prefer_not_to_say", "", None]
)
tags = st.lists(st.sampled_from(["art", "Art", "chess", "music", "urdu", "English", " "]))
spoken = st.lists(st.sampled_from(["english", "urdu", "welsh", "british_sign_language"]))
ethnic_groups = st.sampled_from(["white_british", "mixed_other", "other", "prefer_not_to_say"])


@given(
    child_gender=names,
    child_ethnicity=st.one_of(ethnic_groups, st.sampled_from(["", None])),
    child_languages=spoken,
    child_interests=tags,
    mentor_gender=names,
    mentor_ethnicity=st.one_of(ethnic_groups, st.none()),
    mentor_languages=spoken,
    mentor_interests=tags,
    care=st.booleans(),
    weights=st.dictionaries(st.sampled_from(WEIGHT_KEYS), st.integers(0, 10)),
)
def test_the_score_is_always_between_0_and_1(
    child_gender: str | None,
    child_ethnicity: str | None,
    child_languages: list[str],
    child_interests: list[str],
    mentor_gender: str | None,
    mentor_ethnicity: str | None,
    mentor_languages: list[str],
    mentor_interests: list[str],
    care: bool,
    weights: dict[str, int],
) -> None:
    needs = ChildNeeds.of(
        _child(
            ethnicity=child_ethnicity or None,
            languages=child_languages,
            interests=child_interests,
            preferences={"mentor_gender": child_gender} if child_gender else {},
        )
    )
    value, reasons = score(
        needs,
        gender=mentor_gender,
        ethnicity=mentor_ethnicity,
        languages=mentor_languages,
        interests=mentor_interests,
        care_experience=care,
        weights=weights,
    )
    assert 0 <= value <= 1
    assert all(isinstance(r, str) and r for r in reasons)
    if not reasons:
        assert value == 0
