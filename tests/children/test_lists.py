"""Controlled lists for a child: gender, ethnic group and languages as keys, the person's
own words beside "other", through the API (GET /api/v1/lists, create, update) and the page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlmodel import Session, select

from app.audit.models import AuditEvent
from app.children import lists
from app.children.models import Child
from app.children.schemas import ChildCreate, ChildUpdate
from tests.support.people import PageClient, People, Signed
from tests.support.rows import count_rows

pytestmark = pytest.mark.clock("2027-03-10T10:00")

MakeChild = Callable[..., dict[str, Any]]
CHILD = {
    "reference": "LI-0001",
    "first_name": "Robin",
    "date_of_birth": "2016-03-01",
    "placement_type": "foster",
    "consent_given_by": "Social worker",
    "consent_given_on": "2026-09-01",
}
PAGE = {
    "reference": "LI-0002",
    "first_name": "Sam",
    "date_of_birth-day": "1",
    "date_of_birth-month": "3",
    "date_of_birth-year": "2016",
    "placement_type": "foster",
    "same_ethnicity": "any",
    "consent_given_by": "Social worker",
    "consent_given_on-day": "1",
    "consent_given_on-month": "9",
    "consent_given_on-year": "2026",
}


def post(client: PageClient, url: str, data: dict[str, Any]) -> Any:
    """Post the page's form (checkboxes as lists) with the session's CSRF token."""
    return client.post(url, data={**data, "csrf_token": client.csrf_token})


def _errors(response: Any) -> dict[str, str]:
    body = response.json()
    return {".".join(str(p) for p in e["loc"][1:]): e["msg"] for e in body["errors"]}


# The lists themselves ----------------------------------------------------------------------


def test_the_lists_are_the_census_categories_and_have_the_languages_asked_for() -> None:
    census = [key for _, items in lists.ETHNIC_GROUPS for key, _ in items]
    assert len(census) == 19
    assert [group for group, _ in lists.ETHNIC_GROUPS] == [
        "White",
        "Mixed or Multiple ethnic groups",
        "Asian or Asian British",
        "Black, Black British, Caribbean or African",
        "Other ethnic group",
    ]
    assert set(lists.Ethnicity) == {*census, "prefer_not_to_say"}
    assert lists.ETHNICITY_LABELS["white_british"] == (
        "White: English, Welsh, Scottish, Northern Irish or British"
    )
    assert lists.ETHNICITY_LABELS["other"] == "Other ethnic group: Any other ethnic group"
    assert set(lists.Gender) == set(lists.GENDER_LABELS)
    assert {"prefer_not_to_say", "other"} <= set(lists.Gender)
    assert set(lists.Language) == set(lists.LANGUAGE_LABELS)
    assert lists.LANGUAGE_LABELS["british_sign_language"] == "British Sign Language"
    assert {"english", "polish", "romanian", "panjabi", "urdu", "welsh"} <= set(lists.Language)


def test_get_lists_for_anyone_signed_in(signed: Signed, people: People) -> None:
    answer = signed.api(people.mentor).get("/api/v1/lists")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [e["key"] for e in body["gender"]] == list(lists.GENDER_LABELS)
    assert {
        "key": "other",
        "label": "Prefer to self-describe",
        "group": None,
        "describe": True,
    } in (body["gender"])
    assert [e["key"] for e in body["mentor_gender"]] == [
        "girl_or_woman",
        "boy_or_man",
        "non_binary",
    ]
    white = body["ethnicity"][0]
    assert white == {
        "key": "white_british",
        "label": "English, Welsh, Scottish, Northern Irish or British",
        "group": "White",
        "describe": False,
    }
    assert len(body["ethnicity"]) == 20  # the census's 19 and "prefer not to say"
    assert {"key": "polish", "label": "Polish", "group": None, "describe": False} in (
        body["languages"]
    )
    assert signed.api(people.other_lead).get("/api/v1/lists").json() == body


def test_the_openapi_schema_names_the_keys(lead_api: TestClient) -> None:
    schemas = lead_api.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert schemas["Gender"]["enum"] == list(lists.GENDER_LABELS)
    assert "white_british" in schemas["Ethnicity"]["enum"]
    assert "british_sign_language" in schemas["Language"]["enum"]
    assert "GET /api/v1/lists" in schemas["ChildCreate"]["properties"]["gender"]["description"]


# The API -----------------------------------------------------------------------------------


def test_create_with_keys_and_read_them_back(lead_api: TestClient, db: Session) -> None:
    answer = lead_api.post(
        "/api/v1/children",
        json={
            **CHILD,
            "gender": "non_binary",
            "ethnicity": "white_other",
            "ethnicity_other": "Polish",
            "languages": ["polish", "english"],
            "languages_other": "Kashubian",
            "preferences": {"mentor_gender": "girl_or_woman", "languages": ["polish"]},
        },
    )
    assert answer.status_code == 201, answer.text
    child = answer.json()
    assert (child["gender"], child["gender_other"]) == ("non_binary", None)
    assert (child["ethnicity"], child["ethnicity_other"]) == ("white_other", "Polish")
    assert (child["languages"], child["languages_other"]) == (["polish", "english"], "Kashubian")
    assert child["preferences"]["mentor_gender"] == "girl_or_woman"
    stored = db.get(Child, child["id"])
    assert stored is not None
    assert (stored.gender, stored.ethnicity, stored.languages) == (
        "non_binary",
        "white_other",
        ["polish", "english"],
    )


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"gender": "female"}, "gender", "'girl_or_woman', 'boy_or_man', 'non_binary'"),
        ({"ethnicity": "White British"}, "ethnicity", "'white_british'"),
        ({"languages": ["english", "Klingon"]}, "languages.1", "'british_sign_language'"),
        ({"preferences": {"mentor_gender": "other"}}, "preferences.mentor_gender", "'non_binary'"),
        ({"preferences": {"languages": ["Elvish"]}}, "preferences.languages.0", "'polish'"),
    ],
)
def test_an_unknown_key_is_422_naming_the_allowed_ones(
    lead_api: TestClient, db: Session, change: dict[str, Any], field: str, words: str
) -> None:
    answer = lead_api.post("/api/v1/children", json={**CHILD, **change})
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    errors = _errors(answer)
    assert words in errors[field]
    assert count_rows(db, Child) == 0


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"gender": "other"}, "gender_other", "Describe the gender in gender_other"),
        ({"gender": "other", "gender_other": "  "}, "gender_other", "at least 1 character"),
        (
            {"gender": "girl_or_woman", "gender_other": "Girl"},
            "gender_other",
            "gender_other goes only with the gender keys other",
        ),
        ({"gender_other": "Agender"}, "gender_other", "gender_other goes only with"),
        ({"ethnicity": "other"}, "ethnicity_other", "Describe the ethnicity in ethnicity_other"),
        (
            {"ethnicity": "white_british", "ethnicity_other": "Cornish"},
            "ethnicity_other",
            "asian_other, black_african, black_other, mixed_other, other, white_other",
        ),
        ({"languages_other": "x" * 501}, "languages_other", "at most 500 characters"),
    ],
)
def test_other_needs_its_words_and_words_need_other(
    lead_api: TestClient, db: Session, body: dict[str, Any], field: str, message: str
) -> None:
    answer = lead_api.post("/api/v1/children", json={**CHILD, **body})
    assert answer.status_code == 422, answer.text
    assert message in _errors(answer)[field]
    assert count_rows(db, Child) == 0


def test_other_with_its_words(lead_api: TestClient) -> None:
    answer = lead_api.post(
        "/api/v1/children",
        json={**CHILD, "gender": "other", "gender_other": " Agender ", "ethnicity": "other",
              "ethnicity_other": "Kurdish"},
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    child = answer.json()
    assert (child["gender"], child["gender_other"]) == ("other", "Agender")
    assert (child["ethnicity"], child["ethnicity_other"]) == ("other", "Kurdish")


def test_update_a_key_clears_the_old_words_and_audits_both(
    lead_api: TestClient, make_child: MakeChild, db: Session
) -> None:
    child = make_child(gender="other", gender_other="Agender", ethnicity="black_african",
                       ethnicity_other="Somali")  # fmt: skip
    url = f"/api/v1/children/{child['id']}"
    # Words alone, for a key stored earlier: sent with their key, or refused.
    refused = lead_api.patch(url, json={"gender_other": "Genderfluid"})
    assert refused.status_code == 422
    assert "Send gender_other with gender" in _errors(refused)["gender_other"]
    answer = lead_api.patch(url, json={"gender": "prefer_not_to_say"})
    assert answer.status_code == 200, answer.text
    assert (answer.json()["gender"], answer.json()["gender_other"]) == ("prefer_not_to_say", None)
    # A field not sent stays as it is.
    assert (answer.json()["ethnicity"], answer.json()["ethnicity_other"]) == (
        "black_african",
        "Somali",
    )
    event = db.exec(
        select(AuditEvent).where(
            AuditEvent.entity == "child",
            AuditEvent.entity_id == child["id"],
            AuditEvent.action == "update",
        )
    ).one()
    assert event.changes["gender"] == ["other", "prefer_not_to_say"]
    assert event.changes["gender_other"] == ["Agender", None]


def test_the_schemas_check_words_against_their_key() -> None:
    """The rule as a unit: create, and an update that sends only part of the record."""
    assert ChildUpdate.model_validate({"ethnicity": "asian_other"}).model_fields_set == {
        "ethnicity",
        "ethnicity_other",
    }
    assert ChildUpdate.model_validate({"interests": ["chess"]}).model_fields_set == {"interests"}
    with pytest.raises(ValidationError) as refused:
        ChildCreate.model_validate({**CHILD, "gender": "other", "ethnicity": "other"})
    assert [e["loc"] for e in refused.value.errors()] == [("gender_other",), ("ethnicity_other",)]


# The page ----------------------------------------------------------------------------------


def test_the_form_offers_the_lists_and_works_without_javascript(lead_pages: PageClient) -> None:
    page = lead_pages.get("/children/new")
    assert page.status_code == 200
    html = page.text
    assert 'id="gender" name="gender" type="radio" value="girl_or_woman"' in html
    assert 'value="other" data-reveals="gender-other-conditional"' in html
    # The describe box is in the page for everyone; with GOV.UK Frontend running, the
    # stylesheet hides it until its radio is chosen (.tandem-reveal).
    assert 'class="govuk-radios__conditional tandem-reveal__target" id="gender-other' in html
    assert 'id="gender-other-conditional"' in html
    assert '<input class="govuk-input govuk-input--width-20" id="gender_other"' in html
    assert '<optgroup label="Asian or Asian British">' in html
    assert '<option value="asian_pakistani">Pakistani</option>' in html
    assert 'type="checkbox" value="british_sign_language"' in html
    assert '<label class="govuk-label" for="languages_other">' in html
    assert 'name="mentor_gender" type="radio" value="" checked' in html


def test_register_with_the_lists(lead_pages: PageClient, db: Session) -> None:
    response = post(
        lead_pages,
        "/children",
        {
            **PAGE,
            "gender": "other",
            "gender_other": "Agender",
            "ethnicity": "mixed_other",
            "ethnicity_other": "Mixed Arab and White",
            "languages": ["arabic", "english", "british_sign_language"],
            "languages_other": "Tigre",
            "mentor_gender": "non_binary",
        },
    )
    assert response.status_code == 303, response.text[:800]
    child = db.exec(select(Child).where(Child.reference == "LI-0002")).one()
    assert (child.gender, child.gender_other) == ("other", "Agender")
    assert (child.ethnicity, child.ethnicity_other) == ("mixed_other", "Mixed Arab and White")
    assert child.languages == ["arabic", "english", "british_sign_language"]
    assert child.languages_other == "Tigre"
    assert child.preferences["mentor_gender"] == "non_binary"
    shown = lead_pages.get(f"/children/{child.id}").text
    assert "Prefer to self-describe: Agender" in shown
    assert (
        "Mixed or Multiple ethnic groups: Any other Mixed or Multiple ethnic background: "
        "Mixed Arab and White"
    ) in shown
    assert "Arabic, English, British Sign Language, Tigre" in shown
    assert "Non-binary" in shown
    # The change form shows what is stored, chosen.
    form = lead_pages.get(f"/children/{child.id}/edit").text
    assert 'type="radio" value="other" checked data-reveals="gender-other-conditional"' in form
    assert 'class="govuk-radios__conditional tandem-reveal__target" id="gender-other' in form
    assert '<option value="mixed_other" selected>' in form
    assert 'type="checkbox" value="arabic" checked' in form
    assert 'value="Tigre"' in form


def test_words_left_in_the_hidden_box_are_not_kept(lead_pages: PageClient, db: Session) -> None:
    """Someone typed under "Prefer to self-describe", then chose another answer: the
    hidden box is still posted, and ignored."""
    response = post(
        lead_pages, "/children", {**PAGE, "gender": "boy_or_man", "gender_other": "typed"}
    )
    assert response.status_code == 303, response.text[:800]
    child = db.exec(select(Child).where(Child.reference == "LI-0002")).one()
    assert (child.gender, child.gender_other) == ("boy_or_man", None)


def test_bad_list_answers_are_in_the_error_summary_and_nothing_is_stored(
    lead_pages: PageClient, db: Session
) -> None:
    response = post(
        lead_pages,
        "/children",
        {
            **PAGE,
            "first_name": "",  # another problem, shown with them at once
            "gender": "other",
            "ethnicity": "white_british",
            "ethnicity_other": "Cornish",
            "languages": ["english", "klingon"],
            "mentor_gender": "female",
        },
    )
    assert response.status_code == 422
    html = response.text
    assert "<title>Error: " in html
    expected = [
        ("first_name", "Enter the child&#39;s first name"),
        ("gender_other", "Describe their gender, or choose Prefer not to say"),
        (
            "ethnicity_other",
            "Choose an &#34;Any other&#34; ethnic group to describe it, or clear this box",
        ),
        ("languages", "Choose languages from the list"),
        ("mentor_gender", "Choose the mentor&#39;s gender from the list, or No preference"),
    ]
    places = []
    for field, message in expected:
        link = f'<a href="#{field}">{message}</a>'
        assert link in html, (field, message)
        assert f'id="{field}-error"' in html
        places.append(html.index(link))
    assert places == sorted(places)  # in the order of the page
    # The describe box is open, so the error beside it can be seen.
    assert (
        'class="govuk-radios__conditional tandem-reveal__target tandem-reveal__target--open" '
        'id="gender-other-conditional"'
    ) in html
    assert count_rows(db, Child) == 0


def test_too_many_languages_on_the_page(lead_pages: PageClient, db: Session) -> None:
    eleven = [str(key) for key in list(lists.Language)[:11]]
    response = post(lead_pages, "/children", {**PAGE, "languages": eleven})
    assert response.status_code == 422
    assert '<a href="#languages">Choose up to 10 languages</a>' in response.text
    assert count_rows(db, Child) == 0
