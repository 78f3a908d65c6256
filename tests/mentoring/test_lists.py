"""Controlled lists for a mentor (the API and the profile page) and in matching: keys are
compared, and "prefer not to say", "other" or no answer is no information, never a match."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth.models import Role
from app.children.models import Child
from app.mentoring.matching.scoring import ChildNeeds, score
from app.mentoring.models import MentorProfile
from tests.support.fixtures import MakeChild
from tests.support.mentoring import DAY, MakeMentor, ready_checks
from tests.support.people import PageClient, People
from tests.support.rows import count_rows

pytestmark = pytest.mark.clock("2027-03-10T10:00")

ONLY = {"gender": 3, "ethnicity": 2, "languages": 2, "interests": 0, "care_experience": 0}


def _errors(response: Any) -> dict[str, str]:
    return {".".join(str(p) for p in e["loc"][1:]): e["msg"] for e in response.json()["errors"]}


# The API -----------------------------------------------------------------------------------


def test_a_mentor_with_keys_and_words(make_mentor: MakeMentor, lead_api: TestClient) -> None:
    mentor = make_mentor(
        gender="other",
        gender_other="Genderfluid",
        ethnicity="asian_other",
        ethnicity_other="Sri Lankan Tamil",
        languages=["tamil", "english"],
        languages_other="Sinhala",
    )
    assert (mentor["gender"], mentor["gender_other"]) == ("other", "Genderfluid")
    assert (mentor["ethnicity"], mentor["ethnicity_other"]) == ("asian_other", "Sri Lankan Tamil")
    assert (mentor["languages"], mentor["languages_other"]) == (["tamil", "english"], "Sinhala")
    # A new key clears the words kept for the one before; what is not sent stays.
    url = f"/api/v1/mentors/{mentor['user_id']}"
    changed = lead_api.patch(url, json={"gender": "non_binary"})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["gender"], changed.json()["gender_other"]) == ("non_binary", None)
    assert changed.json()["ethnicity_other"] == "Sri Lankan Tamil"


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"gender": "Female"}, "gender", "'girl_or_woman'"),
        ({"ethnicity": "white british"}, "ethnicity", "'white_british'"),
        ({"languages": ["English"]}, "languages.0", "'english'"),
        ({"gender": "other"}, "gender_other", "Describe the gender in gender_other"),
        ({"ethnicity": "arab", "ethnicity_other": "Iraqi"}, "ethnicity_other", "goes only with"),
    ],
)
def test_a_mentor_with_a_bad_answer_is_422(
    lead_api: TestClient,
    people: People,
    db: Session,
    today: dt.date,
    body: dict[str, Any],
    field: str,
    words: str,
) -> None:
    user = people.add(Role.mentor, email="new.mentor@org-a.example.org", name="New Mentor")
    db.commit()
    answer = lead_api.post(
        "/api/v1/mentors", json={"user_id": user.id, **ready_checks(today), **body}
    )
    assert answer.status_code == 422, answer.text
    assert words in _errors(answer)[field]
    assert count_rows(db, MentorProfile) == 0


# The profile page --------------------------------------------------------------------------


def _page_form(today: dt.date, **over: Any) -> dict[str, Any]:
    checked = today - 100 * DAY
    return {
        "dbs_checked_on-day": str(checked.day),
        "dbs_checked_on-month": str(checked.month),
        "dbs_checked_on-year": str(checked.year),
        "barred_list_checked": "yes",
        "references_checked": "yes",
        "max_caseload": "2",
        **over,
    }


def test_the_profile_form_takes_the_lists(
    lead_pages: PageClient, people: People, db: Session, today: dt.date
) -> None:
    user = people.add(Role.mentor, email="amy@org-a.example.org", name="Amy Adams")
    db.commit()
    page = lead_pages.get("/mentors/new").text
    assert 'value="other" data-reveals="gender-other-conditional"' in page
    assert '<optgroup label="Other ethnic group">' in page
    assert 'type="checkbox" value="british_sign_language"' in page
    form = _page_form(
        today,
        user_id=str(user.id),
        gender="girl_or_woman",
        ethnicity="black_african",
        ethnicity_other="Ghanaian",
        languages=["english", "twi"],
        languages_other="Ga",
    )
    response = lead_pages.post("/mentors/new", data={**form, "csrf_token": lead_pages.csrf_token})
    assert response.status_code == 303, response.text[:800]
    profile = db.get(MentorProfile, user.id)
    assert profile is not None
    assert (profile.gender, profile.ethnicity, profile.ethnicity_other) == (
        "girl_or_woman",
        "black_african",
        "Ghanaian",
    )
    assert (profile.languages, profile.languages_other) == (["english", "twi"], "Ga")
    shown = lead_pages.get(f"/mentors/{user.id}").text
    assert 'type="radio" value="girl_or_woman" checked' in shown
    assert '<option value="black_african" selected>' in shown
    assert 'type="checkbox" value="twi" checked' in shown


def test_the_profile_form_refuses_other_without_words(
    lead_pages: PageClient, people: People, db: Session, today: dt.date
) -> None:
    user = people.add(Role.mentor, email="amy@org-a.example.org", name="Amy Adams")
    db.commit()
    form = _page_form(today, user_id=str(user.id), gender="other", ethnicity="other",
                      languages=["polish", "nonsense"])  # fmt: skip
    response = lead_pages.post("/mentors/new", data={**form, "csrf_token": lead_pages.csrf_token})
    assert response.status_code == 422
    html = response.text
    for field, message in (
        ("gender_other", "Describe their gender, or choose Prefer not to say"),
        ("ethnicity_other", "Describe their ethnic group, or choose Prefer not to say"),
        ("languages", "Choose languages from the list"),
    ):
        assert f'<a href="#{field}">{message}</a>' in html, field
        assert f'id="{field}-error"' in html
    assert 'type="checkbox" value="polish" checked' in html  # what was chosen stays
    assert count_rows(db, MentorProfile) == 0


# Matching ----------------------------------------------------------------------------------


def _child(**fields: Any) -> Child:
    base: dict[str, Any] = {"languages": [], "interests": [], "preferences": {}}
    return Child.model_construct(**{**base, **fields})


def _score(needs: ChildNeeds, **mentor: Any) -> tuple[float, list[str]]:
    fields: dict[str, Any] = {
        "gender": None,
        "ethnicity": None,
        "languages": [],
        "interests": [],
        "care_experience": False,
        **mentor,
    }
    return score(needs, weights=ONLY, **fields)


def test_the_same_key_is_a_match() -> None:
    needs = ChildNeeds.of(
        _child(ethnicity="black_caribbean", languages=["english", "british_sign_language"],
               preferences={"mentor_gender": "non_binary"})
    )  # fmt: skip
    value, reasons = _score(
        needs, gender="non_binary", ethnicity="black_caribbean", languages=["british_sign_language"]
    )
    assert value == 1.0
    assert reasons == [
        "child asked for a non-binary mentor",
        "same ethnicity (Black, Black British, Caribbean or African: Caribbean)",
        "speaks British Sign Language",
    ]


@pytest.mark.parametrize("answer", ["prefer_not_to_say", "other", None])
def test_no_information_is_never_a_match(answer: str | None) -> None:
    """Both sides "prefer not to say" (or "other", or blank) share nothing: the child's
    characteristic does not count at all, so it neither helps nor harms a mentor."""
    needs = ChildNeeds.of(
        _child(ethnicity=answer, preferences={"mentor_gender": answer} if answer else {})
    )
    assert (needs.gender, needs.ethnicity) == (None, None)
    assert _score(needs, gender=answer, ethnicity=answer) == (0.0, [])
    # A child who did answer is not matched by a mentor who preferred not to say.
    known = ChildNeeds.of(
        _child(ethnicity="white_british", preferences={"mentor_gender": "girl_or_woman"})
    )
    assert _score(known, gender=answer, ethnicity=answer) == (0.0, [])
    assert _score(known, gender="girl_or_woman", ethnicity="white_british")[0] == 1.0


def test_suggestions_ignore_prefer_not_to_say(
    lead_api: TestClient, make_child: MakeChild, make_mentor: MakeMentor
) -> None:
    child = make_child(
        ethnicity="prefer_not_to_say",
        languages=["urdu"],
        preferences={"same_ethnicity": True},
    )
    silent = make_mentor(name="Silent", gender="prefer_not_to_say", ethnicity="prefer_not_to_say")
    speaker = make_mentor(name="Speaker", ethnicity="asian_pakistani", languages=["urdu"])
    found = lead_api.get(f"/api/v1/children/{child['id']}/mentor-suggestions").json()
    by_id = {s["mentor_id"]: s for s in found}
    assert by_id[silent["user_id"]]["reasons"] == []
    assert by_id[silent["user_id"]]["score"] == 0.0
    # The default weights: languages 2 and care experience 1 count for this child, the
    # ethnicity they kept to themselves does not (counted, it would be 2 of 5, not 2 of 3).
    assert by_id[speaker["user_id"]]["reasons"] == ["speaks Urdu"]
    assert by_id[speaker["user_id"]]["score"] == round(2 / 3, 3)
