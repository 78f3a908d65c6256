"""Safeguarding reviews: a lead records what was done about a concern raised in a visit (the
API and the visit page's form); the concern stays open until then; later reviews are
follow-ups; the match and visit pages show the reviews, a mentor only who reviewed and when."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.mentoring.concerns import service as concern_reviews
from app.mentoring.models import ConcernReview, MentorVisit
from tests.support.mentoring import Mentees
from tests.support.pages import post
from tests.support.people import People, Signed
from tests.support.rows import audit_count, count_rows

pytestmark = pytest.mark.usefixtures("evening")

REVIEW = {"action": "referred_to_mash", "note": "Referred to the MASH after a call with the SW."}


def _concern(mentees: Mentees, **more: Any) -> dict[str, Any]:
    """A completed visit three days after the first group, raising a concern."""
    day = mentees.first + dt.timedelta(days=3)
    visit: dict[str, Any] = mentees.visit(
        mentees.amira_match, day, "10:00", "completed", safeguarding_concern=True, **more
    )
    return visit


def _open_concerns(db: Session, people: People) -> list[int]:
    return [row[0] for row in concern_reviews.concerns(db, actor=people.lead)]


def _flag_kinds(api: TestClient) -> list[str]:
    response = api.get("/api/v1/fidelity")
    assert response.status_code == 200, response.text
    return [flag["kind"] for flag in response.json()["flags"]]


def test_the_concern_stays_open_until_a_lead_reviews_it(
    db: Session, people: People, mentees: Mentees
) -> None:
    visit = _concern(mentees)
    url = f"/api/v1/visits/{visit['id']}/concern-review"
    lead = mentees.lead_api
    assert visit["id"] in _open_concerns(db, people)
    assert "safeguarding_concern" in _flag_kinds(lead)

    # The mentor who raised it cannot review it.
    assert mentees.mentor_api.post(url, json=REVIEW).status_code == 403
    assert visit["id"] in _open_concerns(db, people)

    before = audit_count(db, "review_concern")
    response = lead.post(url, json=REVIEW)
    assert response.status_code == 201, response.text
    review = response.json()
    assert review["visit_id"] == visit["id"]
    assert review["reviewed_by"] == people.lead.id
    assert review["reviewed_by_name"] == people.lead.name
    assert review["action"] == "referred_to_mash"
    assert review["note"] == REVIEW["note"]
    assert review["escalated"] is False
    assert review["follow_up"] is False
    assert dt.datetime.fromisoformat(review["reviewed_at"]).tzinfo is not None
    assert audit_count(db, "review_concern") == before + 1

    # The flag clears with the first review, on the dashboard and the home page's list.
    assert visit["id"] not in _open_concerns(db, people)
    assert "safeguarding_concern" not in _flag_kinds(lead)
    db.expire_all()
    stored = db.get_one(MentorVisit, visit["id"])
    assert stored.concern_reviewed_at is not None
    assert stored.concern_reviewed_by == people.lead.id


def test_a_second_review_is_a_follow_up(db: Session, people: People, mentees: Mentees) -> None:
    visit = _concern(mentees)
    url = f"/api/v1/visits/{visit['id']}/concern-review"
    first = mentees.lead_api.post(url, json=REVIEW)
    assert first.status_code == 201, first.text
    db.expire_all()
    reviewed_at = db.get_one(MentorVisit, visit["id"]).concern_reviewed_at
    follow = {"action": "reported_to_police", "note": "The MASH asked us to.", "escalated": True}
    second = mentees.lead_api.post(url, json=follow)
    assert second.status_code == 201, second.text
    assert second.json()["follow_up"] is True
    assert second.json()["escalated"] is True
    # The concern was closed by the first review; a follow-up does not move that.
    db.expire_all()
    assert db.get_one(MentorVisit, visit["id"]).concern_reviewed_at == reviewed_at

    listed = mentees.lead_api.get(f"/api/v1/visits/{visit['id']}/concern-reviews").json()
    assert [r["action"] for r in listed] == ["referred_to_mash", "reported_to_police"]
    assert [r["follow_up"] for r in listed] == [False, True]


def test_a_mentor_sees_who_reviewed_it_and_when_but_not_what_was_decided(
    people: People, mentees: Mentees
) -> None:
    visit = _concern(mentees)
    mentees.lead_api.post(f"/api/v1/visits/{visit['id']}/concern-review", json=REVIEW)
    listed = mentees.mentor_api.get(f"/api/v1/visits/{visit['id']}/concern-reviews")
    assert listed.status_code == 200, listed.text
    (review,) = listed.json()
    assert review["reviewed_by_name"] == people.lead.name
    assert review["reviewed_at"]
    assert review["action"] is None
    assert review["note"] is None
    assert review["escalated"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action": "shrugged", "note": "Nothing"}, "action"),
        ({"note": "No action given"}, "action"),
        ({"action": "other", "note": ""}, "note"),
        ({"action": "other", "note": "   "}, "note"),
        ({"action": "no_further_action"}, "note"),
        ({"action": "other", "note": "x" * 2001}, "note"),
        ({**REVIEW, "escalated": "perhaps"}, "escalated"),
        ({**REVIEW, "reviewed_by": 1}, "reviewed_by"),
    ],
)
def test_bad_reviews_are_refused_and_change_nothing(
    db: Session, people: People, mentees: Mentees, body: dict[str, Any], field: str
) -> None:
    visit = _concern(mentees)
    before = (count_rows(db, ConcernReview), audit_count(db))
    response = mentees.lead_api.post(f"/api/v1/visits/{visit['id']}/concern-review", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in {str(part) for error in response.json()["errors"] for part in error["loc"]}
    assert (count_rows(db, ConcernReview), audit_count(db)) == before
    assert visit["id"] in _open_concerns(db, people)


def test_no_concern_or_not_yours_is_404(
    db: Session, people: People, signed: Signed, mentees: Mentees
) -> None:
    visit = _concern(mentees)
    plain = mentees.visit(
        mentees.amira_match, mentees.first + dt.timedelta(days=4), "10:00", "completed"
    )
    lead = mentees.lead_api
    assert lead.post(f"/api/v1/visits/{plain['id']}/concern-review", json=REVIEW).status_code == 404
    assert lead.get(f"/api/v1/visits/{plain['id']}/concern-reviews").status_code == 404
    assert lead.post("/api/v1/visits/999999/concern-review", json=REVIEW).status_code == 404
    outsider = signed.api(people.other_admin)
    url = f"/api/v1/visits/{visit['id']}/concern-review"
    assert outsider.post(url, json=REVIEW).status_code == 404
    assert outsider.get(f"/api/v1/visits/{visit['id']}/concern-reviews").status_code == 404
    assert count_rows(db, ConcernReview) == 0


def test_the_one_click_review_of_earlier_clients_records_a_minimal_review(
    db: Session, mentees: Mentees
) -> None:
    visit = _concern(mentees)
    url = f"/api/v1/visits/{visit['id']}/concern-reviewed"
    assert mentees.lead_api.post(url).status_code == 200
    assert mentees.lead_api.post(url).status_code == 200  # as before: nothing more
    reviews = db.exec(select(ConcernReview)).all()
    assert [(r.visit_id, r.action.value) for r in reviews] == [(visit["id"], "other")]
    assert reviews[0].note == concern_reviews.LEGACY_NOTE


# Pages ---------------------------------------------------------------------------------------


def test_the_lead_reviews_on_the_visit_page(
    db: Session, people: People, signed: Signed, mentees: Mentees
) -> None:
    visit = _concern(mentees)
    pages = signed.pages(people.lead)
    page = pages.get(f"/visits/{visit['id']}")
    assert page.status_code == 200
    assert f'action="/visits/{visit["id"]}/concern-review"' in page.text
    assert "Not reviewed yet" in page.text
    assert 'id="review_action"' in page.text

    # Nothing chosen or written: every problem at once, in page order, nothing stored.
    bad = post(pages, f"/visits/{visit['id']}/concern-review", {"review_note": " "})
    assert bad.status_code == 422
    summary = bad.text.split("govuk-error-summary__list", 1)[1].split("</ul>", 1)[0]
    links = [part.split('"', 1)[0] for part in summary.split('href="#')[1:]]
    assert links == ["review_action", "review_note", "review_escalated"]
    assert "Choose what was done about the concern" in bad.text
    assert "Say whether the concern was escalated" in bad.text
    assert count_rows(db, ConcernReview) == 0

    form = {
        "review_action": "discussed_with_social_worker",
        "review_note": "Called the social worker; she will visit on Friday.",
        "review_escalated": "no",
    }
    done = post(pages, f"/visits/{visit['id']}/concern-review", form)
    assert done.status_code == 303
    assert done.headers["location"] == f"/visits/{visit['id']}#concern-review"
    after = pages.get(f"/visits/{visit['id']}")
    assert "Your review of the safeguarding concern is recorded." in after.text
    assert "Discussed with the child&#39;s social worker" in after.text
    assert "she will visit on Friday" in after.text
    assert "Add a follow-up" in after.text
    assert audit_count(db, "review_concern") == 1

    # The match page shows it too, in words, with who and when.
    match_page = pages.get(f"/matches/{mentees.amira_match}").text
    assert "Concern reviewed" in match_page
    assert "she will visit on Friday" in match_page
    assert people.lead.name in match_page

    # The mentor sees that it was reviewed and by whom, not the note or the decision.
    mentor_page = signed.pages(people.mentor).get(f"/visits/{visit['id']}").text
    assert f"Reviewed by {people.lead.name}" in mentor_page
    assert "she will visit on Friday" not in mentor_page
    assert "Discussed with the child" not in mentor_page
    assert '/concern-review"' not in mentor_page


def test_only_a_lead_may_post_the_review_form(
    db: Session, people: People, signed: Signed, mentees: Mentees
) -> None:
    visit = _concern(mentees)
    form = {"review_action": "other", "review_note": "Looked", "review_escalated": "no"}
    url = f"/visits/{visit['id']}/concern-review"
    assert post(signed.pages(people.mentor), url, form).status_code == 403
    assert post(signed.pages(people.facilitator), url, form).status_code == 403
    assert post(signed.pages(people.other_admin), url, form).status_code == 404
    too_long = {**form, "review_note": "x" * 2001}
    response = post(signed.pages(people.lead), url, too_long)
    assert response.status_code == 422
    assert "Note must be 2,000 characters or fewer" in response.text
    assert count_rows(db, ConcernReview) == 0


def test_a_retried_review_is_kept_once(db: Session, mentees: Mentees) -> None:
    """A review sent again with the same Idempotency-Key (a tablet that lost the answer) is
    answered with the first one, not kept again as a follow-up."""
    visit = _concern(mentees)
    url = f"/api/v1/visits/{visit['id']}/concern-review"
    key = {"Idempotency-Key": "review-retry-1"}
    first = mentees.lead_api.post(url, json=REVIEW, headers=key)
    again = mentees.lead_api.post(url, json=REVIEW, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    reviews = db.exec(select(ConcernReview).where(ConcernReview.visit_id == visit["id"])).all()
    assert len(reviews) == 1
