"""The programme pages, the cohort form's programme picker and the home pages: no JavaScript
needed, every problem beside its field, and a one-programme organisation sees no difference."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.auth.models import User
from app.cohorts.models import Cohort
from app.programmes import service
from app.programmes.models import Programme
from tests.cohorts.test_cohort_pages import cohort_form
from tests.programmes.conftest import GROUPS, MakeProgramme
from tests.support.auth import assert_error_summary, assert_page, audit_events, count
from tests.support.pages import post
from tests.support.people import PageClient, People, Signed
from tests.support.queries import CountQueries

NEW_FORM = {
    "name": "Befriending",
    "kind": "befriending",
    "caseload_max": "3",
    "band_per": "month",
    "band_min_hours": "2",
    "band_max_hours": "6",
    "age_min": "8",
    "age_max": "17",
    "match_length_months": "12",
}


def _edit_form(p: dict[str, Any], **over: str) -> dict[str, str]:
    band = p["visit_band"]
    return {
        "version": str(p["version"]),
        "name": p["name"],
        "caseload_max": str(p["caseload_max"]),
        "band_per": band["per"],
        "band_min_hours": f"{band['min_hours']:g}",
        "band_max_hours": f"{band['max_hours']:g}",
        "age_min": str(p["age_min"]),
        "age_max": str(p["age_max"]),
        "match_length_months": str(p["match_length_months"] or ""),
        **over,
    }


def test_the_list_says_each_programme_in_words(
    admin_pages: PageClient, make_programme: MakeProgramme
) -> None:
    make_programme()
    html = assert_page(admin_pages.get("/admin/programmes"), 200, "Set up a programme")
    assert "Fostering Healthy Futures (FHF-PT)" in html
    assert "Skills group with mentoring" in html
    assert "2\u20134 hours a week" in html
    assert "9 to 11" in html
    assert "6 months" in html
    assert "Independent Visitor" in html
    assert "at least 1 hour a month" in html
    assert "5 to 17" in html
    assert "open-ended" in html


def test_a_lead_reads_the_list_but_cannot_change_it(lead_pages: PageClient) -> None:
    html = assert_page(lead_pages.get("/admin/programmes"), 200, "Fostering Healthy Futures")
    assert "Set up a programme" not in html
    assert 'href="/admin/programmes/' not in html
    assert lead_pages.get("/admin/programmes/new").status_code == 403


def test_an_admin_sets_up_a_programme_and_is_told(admin_pages: PageClient, db: Session) -> None:
    form = assert_page(admin_pages.get("/admin/programmes/new"), 200, "Independent Visitor")
    # Nothing chosen for them: no kind ticked, no figure filled in.
    assert "checked" not in form
    assert not re.search(r'id="age_min"[^>]*value="\d', form)
    response = post(admin_pages, "/admin/programmes", NEW_FORM)
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/programmes"
    html = assert_page(admin_pages.get("/admin/programmes"), 200, "Befriending is set up.")
    assert "2\u20136 hours a month" in html
    assert "12 months" in html
    assert count(db, Programme, Programme.name == "Befriending") == 1


def test_a_blank_most_hours_is_no_upper_limit(admin_pages: PageClient, db: Session) -> None:
    response = post(
        admin_pages,
        "/admin/programmes",
        {
            **NEW_FORM,
            "name": "IV",
            "kind": "independent_visitor",
            "band_max_hours": "",
            "band_min_hours": "1",
            "match_length_months": "",
        },
    )
    assert response.status_code == 303
    db.expire_all()
    iv = db.exec(select(Programme).where(Programme.name == "IV")).one()
    assert (iv.band_min_hours, iv.band_max_hours, iv.match_length_months) == (1.0, 200.0, None)


@pytest.mark.parametrize(
    ("over", "field", "message"),
    [
        (
            {"band_min_hours": "6", "band_max_hours": "2"},
            "band_max_hours",
            "The most hours (2) must not be below the fewest (6)",
        ),
        (
            {"age_min": "12", "age_max": "9"},
            "age_max",
            "The oldest age (9) must not be below the youngest (12)",
        ),
        (
            {"name": "Fostering Healthy Futures (FHF-PT)"},
            "name",
            "A programme called Fostering Healthy Futures (FHF-PT) already exists.",
        ),
        ({"curriculum_id": "999999"}, "curriculum_id", "There is no curriculum 999999"),
        ({"kind": ""}, "kind", "Choose the kind of programme"),
        ({"band_min_hours": "two"}, "band_min_hours", "Enter a number of hours from 0 to 200"),
        (
            {"caseload_max": "11"},
            "caseload_max",
            "Most matches for one mentor must be between 1 and 10",
        ),
    ],
)
def test_bad_input_on_the_new_form_is_shown_beside_its_field_and_nothing_is_saved(
    admin_pages: PageClient, db: Session, over: dict[str, str], field: str, message: str
) -> None:
    before = count(db, Programme)
    events = len(audit_events(db, entity="programme"))
    response = post(admin_pages, "/admin/programmes", {**NEW_FORM, **over})
    status = 409 if field == "name" else 422
    html = assert_error_summary(response, status, field, message)
    assert 'value="Befriending"' in html or field == "name"  # what was typed comes back
    assert count(db, Programme) == before
    assert len(audit_events(db, entity="programme")) == events


def test_an_admin_changes_a_programme_and_is_told(
    admin_pages: PageClient, admin_api: TestClient, make_programme: MakeProgramme
) -> None:
    iv = make_programme()
    form = assert_page(admin_pages.get(f"/admin/programmes/{iv['id']}"), 200, "keeps the kind")
    assert 'name="kind"' not in form
    assert 'id="band_max_hours" name="band_max_hours" type="text" value=""' in form  # no limit
    response = post(
        admin_pages, f"/admin/programmes/{iv['id']}", _edit_form(iv, age_min="8", band_max_hours="")
    )
    assert response.status_code == 303
    assert_page(admin_pages.get("/admin/programmes"), 200, "Independent Visitors is saved.")
    stored = admin_api.get(f"/api/v1/programmes/{iv['id']}").json()
    assert (stored["age_min"], stored["version"]) == (8, 2)
    assert stored["visit_band"]["max_hours"] == 200


def test_a_stale_save_shows_what_the_other_person_saved_and_loses_nothing(
    admin_pages: PageClient, admin_api: TestClient, db: Session, make_programme: MakeProgramme
) -> None:
    iv = make_programme()
    other = admin_api.patch(f"/api/v1/programmes/{iv['id']}", json={"version": 1, "age_min": 6})
    assert other.status_code == 200
    events = len(audit_events(db, entity="programme"))
    response = post(admin_pages, f"/admin/programmes/{iv['id']}", _edit_form(iv, age_min="10"))
    html = assert_page(
        response, 409, "Someone else saved this programme while you were changing it"
    )
    assert 'name="version" value="2"' in html
    assert re.search(r'id="age_min" name="age_min" type="text" value="6"', html)
    stored = admin_api.get(f"/api/v1/programmes/{iv['id']}").json()
    assert (stored["age_min"], stored["version"]) == (6, 2)
    assert len(audit_events(db, entity="programme")) == events


def test_the_admin_navigation_reaches_the_programmes(admin_pages: PageClient) -> None:
    html = admin_pages.get("/").text
    assert 'href="/admin/programmes"' in html


# The cohort form ----------------------------------------------------------------------------


def test_with_one_programme_the_cohort_form_has_no_picker_and_works_as_before(
    lead_pages: PageClient,
    people: People,
    second_facilitator: User,
    curriculum_id: int,
    db: Session,
) -> None:
    form = lead_pages.get("/cohorts/new").text
    assert "programme_id" not in form
    response = post(
        lead_pages, "/cohorts", cohort_form(people, second_facilitator.id, curriculum_id)
    )
    assert response.status_code == 303
    page = lead_pages.get(response.headers["location"]).text
    assert "Programme:" not in page
    assert "Programme" not in lead_pages.get("/cohorts").text.split("<table", 1)[1]


def test_beside_a_service_without_groups_the_cohort_form_has_no_picker_either(
    lead_pages: PageClient,
    people: People,
    second_facilitator: User,
    curriculum_id: int,
    make_programme: MakeProgramme,
    db: Session,
) -> None:
    make_programme()  # Independent Visitors: no groups
    assert "programme_id" not in lead_pages.get("/cohorts/new").text
    response = post(
        lead_pages, "/cohorts", cohort_form(people, second_facilitator.id, curriculum_id)
    )
    assert response.status_code == 303
    db.expire_all()
    cohort = db.exec(select(Cohort)).one()
    programme = db.get(Programme, cohort.programme_id)
    assert programme is not None
    assert programme.kind == "group_and_mentoring"
    # Two programmes: the cohort's is named on its page and in the list.
    assert (
        "Programme: Fostering Healthy Futures (FHF-PT)"
        in lead_pages.get(f"/cohorts/{cohort.id}").text
    )


def test_with_two_group_programmes_the_cohort_form_asks_which(
    lead_pages: PageClient,
    people: People,
    second_facilitator: User,
    curriculum_id: int,
    make_programme: MakeProgramme,
    db: Session,
) -> None:
    thursdays = make_programme(GROUPS)
    make_programme()
    form = lead_pages.get("/cohorts/new").text
    picker = form.split('id="programme_id"', 1)[1].split("</select>", 1)[0]
    assert "FHF-PT Thursdays" in picker
    assert "Independent Visitors" not in picker  # only programmes with groups
    unchosen = post(
        lead_pages, "/cohorts", cohort_form(people, second_facilitator.id, curriculum_id)
    )
    assert_error_summary(unchosen, 422, "programme_id", "Choose a programme")
    assert count(db, Cohort) == 0
    chosen = post(
        lead_pages,
        "/cohorts",
        cohort_form(
            people, second_facilitator.id, curriculum_id, programme_id=str(thursdays["id"])
        ),
    )
    assert chosen.status_code == 303
    db.expire_all()
    assert db.exec(select(Cohort)).one().programme_id == thursdays["id"]
    listing = lead_pages.get("/cohorts").text
    assert '<th scope="col" class="govuk-table__header">Programme</th>' in listing
    assert "FHF-PT Thursdays" in listing


def test_a_cohort_in_a_programme_without_groups_is_refused_through_the_api(
    lead_api: TestClient, cohort_body: dict[str, Any], make_programme: MakeProgramme, db: Session
) -> None:
    iv = make_programme()
    response = lead_api.post("/api/v1/cohorts", json={**cohort_body, "programme_id": iv["id"]})
    assert response.status_code == 422
    assert "programme_id" in str(response.json()["errors"])
    make_programme(GROUPS)
    unnamed = lead_api.post("/api/v1/cohorts", json=cohort_body)
    assert unnamed.status_code == 422
    assert "programme_id" in str(unnamed.json()["errors"])
    assert count(db, Cohort) == 0


def test_a_cohort_cannot_follow_a_curriculum_without_group_weeks(
    lead_api: TestClient,
    lead_pages: PageClient,
    cohort_body: dict[str, Any],
    guide_id: int,
    db: Session,
) -> None:
    response = lead_api.post("/api/v1/cohorts", json={**cohort_body, "curriculum_id": guide_id})
    assert response.status_code == 422
    assert "no group weeks" in str(response.json())
    assert count(db, Cohort) == 0
    assert "Befriending guide" not in lead_pages.get("/cohorts/new").text


# Home pages ---------------------------------------------------------------------------------


PROGRAMME_WORDS = ("programme_id", "Programmes</h2>", "Fostering Healthy Futures", "FHF-PT")


@pytest.mark.parametrize("role", ["admin", "lead", "facilitator"])
def test_a_one_programme_home_has_no_programme_words(
    signed: Signed, people: People, role: str
) -> None:
    html = signed.pages(people.by_role(role)).get("/").text
    main = html.split('id="main-content"', 1)[1]
    for word in PROGRAMME_WORDS:
        assert word not in main, word


@pytest.mark.parametrize("role", ["admin", "lead"])
def test_with_several_programmes_the_home_links_each_dashboard(
    signed: Signed, people: People, role: str, make_programme: MakeProgramme, admin_api: TestClient
) -> None:
    iv = make_programme()
    fhf = admin_api.get("/api/v1/programmes").json()[0]
    html = signed.pages(people.by_role(role)).get("/").text
    assert f'href="/fidelity?programme_id={fhf["id"]}"' in html
    assert f'href="/fidelity?programme_id={iv["id"]}"' in html


def test_programmes_of_follows_who_works_where(
    db: Session,
    people: People,
    make_programme: MakeProgramme,
    cohort: dict[str, Any],
    count_queries: CountQueries,
) -> None:
    iv = make_programme()
    fhf_id = cohort["programme_id"]

    def ids(user: User) -> list[int | None]:
        return [p.id for p in service.programmes_of(db, user)]

    assert ids(people.admin) == [fhf_id, iv["id"]]
    assert ids(people.lead) == [fhf_id, iv["id"]]
    assert ids(people.facilitator) == [fhf_id]
    assert ids(people.mentor) == []
    assert ids(people.other_admin) != [fhf_id, iv["id"]]
    with count_queries() as counted:
        service.programmes_of(db, people.facilitator)
    assert counted.count == 1


def test_the_facilitators_home_groups_their_cohorts_by_programme(
    signed: Signed,
    people: People,
    make_programme: MakeProgramme,
    cohort: dict[str, Any],
    admin_api: TestClient,
    lead_api: TestClient,
    cohort_body: dict[str, Any],
) -> None:
    thursdays = make_programme(GROUPS)
    second = lead_api.post(
        "/api/v1/cohorts",
        json={
            **cohort_body,
            "name": "Thursday group",
            "programme_id": thursdays["id"],
            "start_date": "2026-09-10",
            "venue": "Library",
        },
    )
    assert second.status_code == 201, second.text
    html = signed.pages(people.facilitator).get("/").text
    main = html.split('id="main-content"', 1)[1]
    first_heading = main.index("Fostering Healthy Futures (FHF-PT)</h2>")
    second_heading = main.index("FHF-PT Thursdays</h2>")
    assert first_heading < main.index(f'href="/cohorts/{cohort["id"]}"') < second_heading
    assert main.index(f'href="/cohorts/{second.json()["id"]}"') > second_heading
