"""The matching weights: an admin sets one whole number 0-10 per characteristic in the
organisation settings (page or API); bad input is refused and changes nothing; changes are
audited, and the lead's match page shows them."""

from __future__ import annotations

from sqlmodel import Session

from app.auth.models import DEFAULT_MATCH_WEIGHTS, Organisation
from tests.support.clock import Clock
from tests.support.people import PageClient, People, Signed
from tests.support.rows import audit_count

KEYS = ("gender", "ethnicity", "languages", "interests", "care_experience")


def settings_form(client: PageClient, **weights: str) -> dict[str, str]:
    form = {
        "csrf_token": client.csrf_token,
        "holiday_region": "england",
        "dosage_threshold": "0.75",
        "dbs_renewal_years": "3",
        "mentoring_hours_min": "2",
        "mentoring_hours_max": "4",
        "session_checklist": "",
    }
    form.update({f"weight-{k}": str(DEFAULT_MATCH_WEIGHTS[k]) for k in KEYS})
    form.update({f"weight-{k}": v for k, v in weights.items()})
    return form


def weights_of(db: Session, people: People) -> dict[str, int]:
    org = db.get(Organisation, people.org.id)
    assert org is not None
    db.refresh(org)
    return dict(org.match_weights)


def test_settings_page_shows_and_saves_the_weights_with_an_audit_event(
    signed: Signed, people: People, db: Session
) -> None:
    admin = signed.pages(people.admin)
    page = admin.get("/admin/organisation")
    assert page.status_code == 200
    assert 'id="match-weights"' in page.text
    assert "Shared interests" in page.text
    assert 'name="weight-gender" type="text" value="3"' in page.text
    before = audit_count(db, "update", "organisation")
    response = admin.post(
        "/admin/organisation", data=settings_form(admin, interests="8", care_experience="0")
    )
    assert response.status_code == 303, response.text
    assert weights_of(db, people) == {**DEFAULT_MATCH_WEIGHTS, "interests": 8, "care_experience": 0}
    assert audit_count(db, "update", "organisation") == before + 1
    assert 'name="weight-interests" type="text" value="8"' in admin.get("/admin/organisation").text


def test_bad_weights_are_refused_beside_their_fields_and_change_nothing(
    signed: Signed, people: People, db: Session
) -> None:
    admin = signed.pages(people.admin)
    before = audit_count(db)
    for bad in ("11", "-1", "two", "", "2.5"):
        response = admin.post("/admin/organisation", data=settings_form(admin, gender=bad))
        assert response.status_code == 422, bad
        assert 'href="#weight-gender"' in response.text
        assert "Enter a whole number from 0 to 10" in response.text
    assert weights_of(db, people) == DEFAULT_MATCH_WEIGHTS
    assert audit_count(db) == before


def test_only_an_admin_changes_the_weights(signed: Signed, people: People, db: Session) -> None:
    lead = signed.pages(people.lead)
    response = lead.post("/admin/organisation", data=settings_form(lead, gender="9"))
    assert response.status_code == 403
    assert (
        signed.api(people.lead)
        .patch("/api/v1/organisation", json={"match_weights": {"gender": 9}})
        .status_code
        == 403
    )
    assert weights_of(db, people) == DEFAULT_MATCH_WEIGHTS


def test_api_validates_weights_and_merges_a_partial_change(
    signed: Signed, people: People, db: Session
) -> None:
    api = signed.api(people.admin)
    for bad in (
        {"colour": 3},
        {"gender": 11},
        {"gender": -1},
        {"gender": "3"},
        {"gender": 2.5},
        {"gender": True},
        [3],
    ):
        response = api.patch("/api/v1/organisation", json={"match_weights": bad})
        assert response.status_code == 422, bad
        assert response.headers["content-type"].startswith("application/problem+json")
    assert weights_of(db, people) == DEFAULT_MATCH_WEIGHTS
    response = api.patch("/api/v1/organisation", json={"match_weights": {"languages": 7}})
    assert response.status_code == 200, response.text
    assert response.json()["match_weights"] == {**DEFAULT_MATCH_WEIGHTS, "languages": 7}
    assert weights_of(db, people) == {**DEFAULT_MATCH_WEIGHTS, "languages": 7}
    assert api.get("/api/v1/organisation").json()["match_weights"]["languages"] == 7


def test_match_page_shows_the_weights_and_a_link_to_change_them_for_admins(
    signed: Signed, people: People, db: Session, clock: Clock
) -> None:
    from app.children import service as children
    from app.children.schemas import ChildCreate

    api = signed.api(people.admin)
    assert (
        api.patch("/api/v1/organisation", json={"match_weights": {"interests": 9}}).status_code
        == 200
    )
    child = children.create_child(
        db,
        actor=people.lead,
        data=ChildCreate(
            reference="W-1",
            first_name="Jo",
            date_of_birth="2016-03-01",
            placement_type="foster",
            consent_given_by="Social worker",
            consent_given_on="2026-09-01",
        ),
        today=clock.today,
    )
    db.commit()
    admin_page = signed.pages(people.admin).get(f"/children/{child.id}/match")
    assert admin_page.status_code == 200
    assert "9 out of 10" in admin_page.text
    assert 'href="/admin/organisation#match-weights"' in admin_page.text
    lead_page = signed.pages(people.lead).get(f"/children/{child.id}/match")
    assert "9 out of 10" in lead_page.text
    assert 'href="/admin/organisation#match-weights"' not in lead_page.text


def test_a_settings_form_without_the_weights_leaves_them_as_they_are(
    signed: Signed, people: People, db: Session
) -> None:
    api = signed.api(people.admin)
    assert (
        api.patch("/api/v1/organisation", json={"match_weights": {"gender": 6}}).status_code == 200
    )
    admin = signed.pages(people.admin)
    form = {k: v for k, v in settings_form(admin).items() if not k.startswith("weight-")}
    response = admin.post("/admin/organisation", data={**form, "dbs_renewal_years": "4"})
    assert response.status_code == 303, response.text
    assert weights_of(db, people) == {**DEFAULT_MATCH_WEIGHTS, "gender": 6}
