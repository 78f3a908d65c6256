"""The assessment pages, without JavaScript: choose a measure, fill in the informant, the
timepoint, the date and the scores (ranges shown) or each item's answer; an error summary
for anything wrong; a success banner; corrections; the child's "Outcome measures"."""

from __future__ import annotations

from urllib.parse import unquote

from sqlmodel import Session, select

from app.auth.models import Role
from app.outcomes.models import Assessment
from app.web import NOTICE_COOKIE
from tests.outcomes.conftest import Programme
from tests.support.auth import audit_events
from tests.support.pages import date_fields, post
from tests.support.people import PageClient, People, Signed
from tests.support.rows import count_rows


def new_url(programme: Programme, measure: str = "kids_scores") -> str:
    return f"/children/{programme.child_id}/assessments/new?measure={measure}"


FILLED = {
    "informant": "carer",
    "timepoint": "end",
    **date_fields("completed_on", "2027-03-09"),
    "score-worry": "3",
    "score-mood": "4",
}


def test_choose_a_measure_then_fill_in_the_scores(
    db: Session, lead_pages: PageClient, programme: Programme
) -> None:
    chooser = lead_pages.get(f"/children/{programme.child_id}/assessments/new")
    assert chooser.status_code == 200
    assert '<option value="kids_scores">Kids scores</option>' in chooser.text
    form = lead_pages.get(new_url(programme) + "&timepoint=end")
    assert form.status_code == 200
    html = form.text
    assert 'for="score-worry">Worry</label>' in html
    assert "From 0 to 10" in html
    assert 'name="score-total"' not in html  # worked out by Tandem
    assert "from 8 March 2027 to 19 April 2027" in html  # the end window, shown
    assert '<option value="end" selected>' in html
    saved = post(lead_pages, new_url(programme), FILLED)
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == f"/children/{programme.child_id}#outcomes"
    assert unquote(saved.cookies[NOTICE_COOKIE]) == "Kids scores (end of programme) saved for Ada."
    (row,) = db.exec(select(Assessment)).all()
    assert row.scores == {"worry": 3, "mood": 4, "total": 7}


def test_every_problem_in_the_error_summary_and_nothing_stored(
    db: Session, lead_pages: PageClient, programme: Programme
) -> None:
    bad = {
        **FILLED,
        "informant": "",
        "score-worry": "12",
        "score-mood": "lots",
        **date_fields("completed_on", "2027-02-30"),
    }
    page = post(lead_pages, new_url(programme), bad)
    assert page.status_code == 422
    html = page.text
    assert "There is a problem" in html
    assert '<a href="#informant">Choose who answered</a>' in html
    assert '<a href="#completed_on">The date it was completed must be a real date</a>' in html
    assert '<a href="#score-mood">Enter the Mood score as a number, like 4</a>' in html
    assert 'value="lots"' in html  # what was typed, shown again
    assert count_rows(db, Assessment) == 0
    # Out of range and outside the window: the service's words, beside the fields.
    page = post(
        lead_pages,
        new_url(programme),
        {**FILLED, "score-worry": "12", **date_fields("completed_on", "2027-03-01")},
    )
    assert page.status_code == 422
    assert '<a href="#score-worry">Worry must be from 0 to 10</a>' in page.text
    assert "from 8 March 2027 to 19 April 2027: 1 March 2027 is outside that" in page.text
    assert count_rows(db, Assessment) == 0


def test_a_second_one_is_shown_as_a_problem(lead_pages: PageClient, programme: Programme) -> None:
    assert post(lead_pages, new_url(programme), FILLED).status_code == 303
    again = post(lead_pages, new_url(programme), FILLED)
    assert again.status_code == 422
    assert "correct that one instead" in again.text


def test_an_items_measure_shows_each_item_with_its_answers(
    db: Session, lead_pages: PageClient, programme: Programme
) -> None:
    page = lead_pages.get(new_url(programme, "feel_good"))
    assert "1. I have felt cheerful" in page.text
    assert "Never (0)" in page.text
    assert "All of the time (4)" in page.text
    missing = post(
        lead_pages,
        new_url(programme, "feel_good"),
        {
            "informant": "self",
            "timepoint": "end",
            **date_fields("completed_on", "2027-03-09"),
            "item-cheerful": "4",
            "item-calm": "2",
        },
    )
    assert missing.status_code == 422
    assert '<a href="#item-active">Choose an answer for item 3</a>' in missing.text
    saved = post(
        lead_pages,
        new_url(programme, "feel_good"),
        {
            "informant": "self",
            "timepoint": "end",
            **date_fields("completed_on", "2027-03-09"),
            "item-cheerful": "4",
            "item-calm": "2",
            "item-active": "0",
        },
    )
    assert saved.status_code == 303


def test_an_unknown_measure_asks_again(lead_pages: PageClient, programme: Programme) -> None:
    page = lead_pages.get(new_url(programme, "nope"))
    assert page.status_code == 422
    assert '<a href="#measure">Choose a measure</a>' in page.text


def test_a_correction_page(db: Session, lead_pages: PageClient, programme: Programme) -> None:
    post(lead_pages, new_url(programme), FILLED)
    (row,) = db.exec(select(Assessment)).all()
    edit = lead_pages.get(f"/assessments/{row.id}/edit")
    assert edit.status_code == 200
    assert 'value="3"' in edit.text
    assert 'name="version" value="1"' in edit.text
    fields = {
        "version": "1",
        **date_fields("completed_on", "2027-03-09"),
        "score-worry": "5",
        "score-mood": "4",
    }
    bad = post(lead_pages, f"/assessments/{row.id}/edit", {**fields, "score-worry": "-2"})
    assert bad.status_code == 422
    assert "Worry must be from 0 to 10" in bad.text
    saved = post(lead_pages, f"/assessments/{row.id}/edit", fields)
    assert saved.status_code == 303
    assert "correction" in unquote(saved.cookies[NOTICE_COOKIE])
    db.expire_all()
    assert db.get(Assessment, row.id).scores == {"worry": 5, "mood": 4, "total": 9}  # type: ignore[union-attr]
    assert len(audit_events(db, entity="assessment", action="update")) == 1
    stale = post(lead_pages, f"/assessments/{row.id}/edit", fields)
    assert stale.status_code == 422
    assert "Someone else corrected this assessment" in stale.text


def test_the_childs_page_shows_what_is_due_and_done(
    lead_pages: PageClient, programme: Programme
) -> None:
    post(lead_pages, new_url(programme), FILLED)
    page = lead_pages.get(f"/children/{programme.child_id}")
    html = page.text
    assert 'id="outcomes">Outcome measures' in html
    assert "Overdue" in html
    assert "Not yet due" in html
    assert "Done 9 March 2027 (carer)" in html
    assert (
        f"/children/{programme.child_id}/assessments/new?measure=feel_good&amp;timepoint=end"
        in html
    )
    assert "/edit" in html


def test_who_sees_the_pages(signed: Signed, people: People, programme: Programme) -> None:
    url = new_url(programme)
    assert signed.pages(people.facilitator).get(url).status_code == 200
    stranger = people.add(Role.facilitator, email="other.fac@org-a.example.org")
    assert signed.pages(stranger).get(url).status_code == 404
    assert signed.pages(people.mentor).get(url).status_code == 403
    assert signed.pages(people.other_lead).get(url).status_code == 404
    facilitator_view = signed.pages(people.facilitator).get(f"/children/{programme.child_id}")
    assert "Outcome measures" in facilitator_view.text
