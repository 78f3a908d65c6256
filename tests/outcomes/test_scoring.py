"""Scoring (app/outcomes/scoring.py) against the repo's SDQ and WHO-5: hand-worked examples,
and hypothesis against a plain reading of the definitions."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.exceptions import Invalid
from app.outcomes.measures.source import read_measure
from app.outcomes.schemas import MeasureFile
from app.outcomes.scoring import band, reliable_change, score
from tests.support.databases import OUTCOMES

SDQ = read_measure(OUTCOMES / "sdq.yaml")
WHO5 = read_measure(OUTCOMES / "who5.yaml")
ENTERED = ("emotional", "conduct", "hyperactivity", "peer", "prosocial")
ITEMS = ("cheerful", "calm", "active", "rested", "interest")


def fields(caught: pytest.ExceptionInfo[Invalid]) -> list[str]:
    return [".".join(str(p) for p in e["loc"][1:]) for e in caught.value.errors]


# score -----------------------------------------------------------------------------------


def test_sdq_total_is_the_sum_of_the_four_difficulty_scales() -> None:
    out = score(
        SDQ,
        "carer",
        scores={"emotional": 4, "conduct": 3, "hyperactivity": 7, "peer": 2, "prosocial": 9},
    )
    assert out == {
        "emotional": 4,
        "conduct": 3,
        "hyperactivity": 7,
        "peer": 2,
        "prosocial": 9,
        "total_difficulties": 16,  # 4 + 3 + 7 + 2; prosocial is not a difficulty
    }


def test_who5_is_the_sum_of_the_answers_times_four() -> None:
    answers = {"cheerful": 3, "calm": 2, "active": 4, "rested": 1, "interest": 5}
    assert score(WHO5, "self", items=answers) == {"wellbeing": 60}  # (3+2+4+1+5) x 4


def test_every_problem_is_reported_at_once_with_its_field() -> None:
    sent: dict[str, Any] = {"emotional": 11, "conduct": -1, "peer": "3", "prosocial": True}
    with pytest.raises(Invalid) as caught:
        score(SDQ, "parent", scores={**sent, "mood": 2})
    assert fields(caught) == [
        "informant",
        "scores.mood",
        "scores.emotional",
        "scores.conduct",
        "scores.hyperactivity",
        "scores.peer",
        "scores.prosocial",
    ]
    messages = [e["msg"] for e in caught.value.errors]
    assert messages[0] == "Choose who answered: carer, teacher, self"
    assert "Emotional symptoms must be from 0 to 10" in messages
    assert "Enter the Hyperactivity and inattention score" in messages
    assert "Enter Peer relationship problems as a number" in messages
    assert caught.value.status_code == 422


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, "4", None, [4], {"v": 4}])
def test_an_sdq_score_that_is_not_a_finite_number_is_invalid(bad: Any) -> None:
    scores: dict[str, Any] = {"emotional": bad, "conduct": 1, "hyperactivity": 1, "peer": 1}
    scores["prosocial"] = 5
    with pytest.raises(Invalid) as caught:
        score(SDQ, "teacher", scores=scores)
    assert fields(caught) == ["scores.emotional"]


@pytest.mark.parametrize("bad", [6, -1, 2.5, 2.0, "2", True, None])
def test_a_who5_answer_out_of_range_or_not_whole_is_invalid(bad: Any) -> None:
    answers: dict[str, Any] = dict.fromkeys(ITEMS, 3)
    answers["calm"] = bad
    with pytest.raises(Invalid) as caught:
        score(WHO5, "self", items=answers)
    assert fields(caught) == ["items.calm"]


def test_an_unknown_or_missing_item_is_invalid() -> None:
    with pytest.raises(Invalid) as caught:
        score(WHO5, "self", items={"cheerful": 1, "happy": 2})
    assert fields(caught) == [
        "items.happy",
        "items.calm",
        "items.active",
        "items.rested",
        "items.interest",
    ]
    assert caught.value.errors[1]["msg"] == "Answer item 2"


def test_a_derived_score_cannot_be_entered() -> None:
    with pytest.raises(Invalid) as caught:
        score(SDQ, "self", scores={**dict.fromkeys(ENTERED, 1), "total_difficulties": 4})
    assert fields(caught) == ["scores.total_difficulties"]


@given(
    informant=st.sampled_from(["carer", "teacher", "self"]),
    values=st.tuples(*(st.integers(0, 10) for _ in ENTERED)),
)
def test_sdq_scoring_matches_the_definition(informant: str, values: tuple[int, ...]) -> None:
    entered = dict(zip(ENTERED, values, strict=True))
    out = score(SDQ, informant, scores=entered)
    assert {k: out[k] for k in ENTERED} == entered
    assert out["total_difficulties"] == sum(values[:4])
    assert 0 <= out["total_difficulties"] <= 40


@given(
    values=st.tuples(*(st.integers(0, 10) for _ in ENTERED)),
    wrong=st.sampled_from(ENTERED),
    value=st.one_of(st.integers(max_value=-1), st.integers(min_value=11), st.floats(10.001, 1e9)),
)
def test_any_sdq_score_out_of_range_is_refused(
    values: tuple[int, ...], wrong: str, value: float
) -> None:
    entered: dict[str, float] = dict(zip(ENTERED, values, strict=True))
    entered[wrong] = value
    with pytest.raises(Invalid) as caught:
        score(SDQ, "carer", scores=entered)
    assert fields(caught) == [f"scores.{wrong}"]


@given(answers=st.tuples(*(st.integers(0, 5) for _ in ITEMS)))
def test_who5_scoring_matches_the_definition(answers: tuple[int, ...]) -> None:
    out = score(WHO5, "self", items=dict(zip(ITEMS, answers, strict=True)))
    assert out == {"wellbeing": 4 * sum(answers)}
    assert out["wellbeing"] % 4 == 0
    assert 0 <= out["wellbeing"] <= 100


# band ------------------------------------------------------------------------------------

# sdqinfo.org, "Scoring the SDQ": the first score of the "high" band (the "low" band for
# prosocial, counting down), by informant.
HIGH_FROM = {
    "carer": {"emotional": 5, "conduct": 4, "hyperactivity": 8, "peer": 4, "total": 17},
    "teacher": {"emotional": 5, "conduct": 4, "hyperactivity": 8, "peer": 5, "total": 16},
    "self": {"emotional": 6, "conduct": 5, "hyperactivity": 7, "peer": 4, "total": 18},
}
PROSOCIAL_LOW_FROM = {"carer": 6, "teacher": 4, "self": 5}


@pytest.mark.parametrize(
    ("informant", "scale", "value", "name"),
    [
        ("carer", "total_difficulties", 13, "Close to average"),
        ("carer", "total_difficulties", 14, "Slightly raised"),
        ("carer", "total_difficulties", 17, "High"),
        ("carer", "total_difficulties", 20, "Very high"),
        ("teacher", "total_difficulties", 19, "Very high"),
        ("self", "emotional", 6, "High"),
        ("self", "prosocial", 4, "Very low"),
        ("teacher", "prosocial", 5, "Slightly lowered"),
    ],
)
def test_band_by_hand(informant: str, scale: str, value: float, name: str) -> None:
    found = band(SDQ, scale, informant, value)
    assert found is not None
    assert found.name == name


@given(
    informant=st.sampled_from(["carer", "teacher", "self"]),
    scale=st.sampled_from(["emotional", "conduct", "hyperactivity", "peer", "total"]),
    data=st.data(),
)
def test_every_whole_score_has_one_band_high_from_the_published_cut_off(
    informant: str, scale: str, data: st.DataObject
) -> None:
    key = "total_difficulties" if scale == "total" else scale
    top = 40 if scale == "total" else 10
    value = data.draw(st.integers(0, top))
    found = band(SDQ, key, informant, value)
    assert found is not None
    assert found.high == (value >= HIGH_FROM[informant][scale])


@given(informant=st.sampled_from(["carer", "teacher", "self"]), value=st.integers(0, 10))
def test_prosocial_is_high_need_when_low(informant: str, value: int) -> None:
    found = band(SDQ, "prosocial", informant, value)
    assert found is not None
    assert found.high == (value <= PROSOCIAL_LOW_FROM[informant])


def test_who5_poor_wellbeing_is_50_or_below() -> None:
    assert [band(WHO5, "wellbeing", "self", v).high for v in (0, 48, 50, 52, 100)] == [  # type: ignore[union-attr]
        True,
        True,
        True,
        False,
        False,
    ]


def test_no_band_for_an_informant_without_norms() -> None:
    assert band(SDQ, "emotional", "grandparent", 3) is None


# reliable change -------------------------------------------------------------------------


def test_reliable_change_by_hand() -> None:
    # Carer total difficulties: SD 5.8, alpha 0.82. SEdiff = 5.8 x sqrt(2) x sqrt(0.18)
    # = 3.4799..., so a change needs to be beyond 1.96 x 3.48 = 6.82 points.
    assert reliable_change(SDQ, "total_difficulties", "carer", 20, 13) == "improved"  # -7
    assert reliable_change(SDQ, "total_difficulties", "carer", 20, 14) == "no_reliable_change"
    assert reliable_change(SDQ, "total_difficulties", "carer", 10, 17) == "deteriorated"
    # Prosocial, higher is better: teacher SD 2.4, alpha 0.84: SEdiff 1.3576, cut 2.66.
    assert reliable_change(SDQ, "prosocial", "teacher", 3, 6) == "improved"
    assert reliable_change(SDQ, "prosocial", "teacher", 6, 3) == "deteriorated"
    assert reliable_change(SDQ, "prosocial", "teacher", 6, 4) == "no_reliable_change"


def test_no_reliable_change_without_an_sd_or_norms() -> None:
    assert reliable_change(WHO5, "wellbeing", "self", 20, 80) is None  # no published SD
    assert reliable_change(SDQ, "emotional", "grandparent", 0, 10) is None


def _plain_rci(m: MeasureFile, scale: str, informant: str, before: float, after: float) -> str:
    (s,) = [x for x in m.scales if x.key == scale]
    norms = s.norms[informant]
    assert norms.sd is not None
    assert norms.reliability is not None
    sem = norms.sd * math.sqrt(1 - norms.reliability)
    index = (after - before) / math.sqrt(2 * sem**2)
    if -1.96 <= index <= 1.96:
        return "no_reliable_change"
    got_higher = index > 0
    return "improved" if got_higher == (s.higher_is == "better") else "deteriorated"


@given(
    informant=st.sampled_from(["carer", "teacher", "self"]),
    scale=st.sampled_from([*ENTERED, "total_difficulties"]),
    data=st.data(),
)
def test_reliable_change_matches_jacobson_truax(
    informant: str, scale: str, data: st.DataObject
) -> None:
    top = 40 if scale == "total_difficulties" else 10
    before, after = data.draw(st.integers(0, top)), data.draw(st.integers(0, top))
    expected = _plain_rci(SDQ, scale, informant, before, after)
    assert reliable_change(SDQ, scale, informant, before, after) == expected
    if before == after:
        assert expected == "no_reliable_change"
