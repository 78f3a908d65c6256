"""The lead's mentoring pages: mentors and their checks, suggestions, the printable
shortlist, making a match, check-ins, visit plans, concerns, endings and the home panel.
Forms work without JavaScript; refused input shows an error summary and changes nothing."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.auth.models import Role, User
from app.mentoring.matching import service
from app.mentoring.models import CheckIn, Match, MentorProfile, MentorVisit
from app.mentoring.shared import add_years
from app.web import date_long
from tests.support.mentoring import DAY, WEEK, MakeMentor, Programme, make_match
from tests.support.pages import post
from tests.support.people import PageClient, People, Signed
from tests.support.rows import count_rows


def date_fields(prefix: str, day: dt.date) -> dict[str, str]:
    return {
        f"{prefix}-day": str(day.day),
        f"{prefix}-month": str(day.month),
        f"{prefix}-year": str(day.year),
    }


def profile_form(today: dt.date, **over: str) -> dict[str, Any]:
    return {
        "gender": "girl_or_woman",
        "ethnicity": "white_british",
        "languages": ["english", "polish"],
        "interests": "football, drawing",
        "care_experience": "yes",
        "availability": "Weekday evenings",
        "about": "I love dogs and drawing",
        **date_fields("dbs_checked_on", today - 100 * DAY),
        "barred_list_checked": "yes",
        "references_checked": "yes",
        **date_fields("interviewed_on", today - 90 * DAY),
        **date_fields("training_completed_on", today - 80 * DAY),
        "max_caseload": "2",
        **over,
    }


def text_of(html: str) -> str:
    """The page's words without tags or repeated spaces, for reading sentences."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# Mentors -------------------------------------------------------------------------------------


@pytest.mark.awkward_days
def test_mentors_page_shows_readiness_caseload_and_dbs_expiry(
    lead_pages: PageClient, make_mentor: MakeMentor, today: dt.date
) -> None:
    make_mentor(name="Rita Ready")
    make_mentor(name="Nell Notyet", interviewed_on=None, references_checked=False)
    soon = add_years(today, -3) + 30 * DAY
    make_mentor(name="Sam Soon", dbs_checked_on=soon.isoformat())
    gone = add_years(today, -3) - 5 * DAY
    make_mentor(name="Otto Old", dbs_checked_on=gone.isoformat())
    page = lead_pages.get("/mentors")
    assert page.status_code == 200
    words = text_of(page.text)
    assert "<title>Mentors" in page.text
    assert "Add a mentor profile" in words
    assert words.count("Not ready") == 2  # Nell, and Otto whose check ran out
    assert "Still needs two references, an interview" in words
    assert "Runs out soon" in words
    assert "Run out" in words
    assert f"Runs out {date_long(add_years(soon, 3))}" in words
    assert f"Ran out {date_long(add_years(gone, 3))}" in words
    assert "0 of 2" in words
    assert 'class="tandem-table-scroll"' in page.text


def test_add_a_mentor_profile_through_the_form(
    lead_pages: PageClient, people: People, db: Session, today: dt.date
) -> None:
    new = people.add(Role.mentor, email="amy@org-a.example.org", name="Amy Adams")
    db.commit()
    form = lead_pages.get("/mentors/new")
    assert form.status_code == 200
    assert "Amy Adams" in form.text
    assert 'name="csrf_token"' in form.text
    response = post(lead_pages, "/mentors/new", {"user_id": str(new.id), **profile_form(today)})
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/mentors/{new.id}?added=1"
    profile = db.get(MentorProfile, new.id)
    assert profile is not None
    assert profile.languages == ["english", "polish"]
    assert profile.care_experience
    assert profile.references_checked
    page = lead_pages.get(response.headers["location"])
    assert page.status_code == 200
    assert "Amy Adams's profile has been added" in page.text
    assert "Every safer-recruitment check is done" in page.text
    # Someone with a profile is no longer offered.
    assert "Amy Adams" not in lead_pages.get("/mentors/new").text


@pytest.mark.awkward_days
def test_bad_mentor_form_shows_errors_beside_fields_and_stores_nothing(
    lead_pages: PageClient, people: People, db: Session, today: dt.date
) -> None:
    new = people.add(Role.mentor, email="amy@org-a.example.org", name="Amy Adams")
    db.commit()
    bad = profile_form(
        today,
        **{
            "dbs_checked_on-day": "31",
            "dbs_checked_on-month": "2",
            "interests": "x" * 41,
            "max_caseload": "9",
        },
        **date_fields("interviewed_on", today + 5 * DAY),
    )
    response = post(lead_pages, "/mentors/new", {"user_id": str(new.id), **bad})
    assert response.status_code == 422
    assert "There is a problem" in response.text
    for field in ("dbs_checked_on", "interests", "max_caseload"):
        assert f'href="#{field}"' in response.text, field
    assert "Enter a real date of the DBS check" in response.text
    assert 'type="radio" value="girl_or_woman" checked' in response.text  # what was chosen stays
    assert count_rows(db, MentorProfile) == 0
    # The service's own check (no date in the future), once the rest is right.
    response = post(
        lead_pages,
        "/mentors/new",
        {
            "user_id": str(new.id),
            **profile_form(today, **date_fields("interviewed_on", today + 5 * DAY)),
        },
    )
    assert response.status_code == 422
    assert 'href="#interviewed_on"' in response.text
    assert "Give a date today or earlier" in response.text
    # No person chosen.
    response = post(lead_pages, "/mentors/new", {"user_id": "", **profile_form(today)})
    assert response.status_code == 422
    assert "Choose the person who will mentor" in response.text
    assert count_rows(db, MentorProfile) == 0


def test_a_second_profile_for_the_same_person_is_a_conflict(
    lead_pages: PageClient, make_mentor: MakeMentor, db: Session, today: dt.date
) -> None:
    mentor = make_mentor()
    response = post(
        lead_pages, "/mentors/new", {"user_id": str(mentor["user_id"]), **profile_form(today)}
    )
    assert response.status_code == 409
    assert "already has a mentor profile" in response.text
    assert count_rows(db, MentorProfile) == 1


def test_edit_a_mentor_profile_and_checks(
    lead_pages: PageClient,
    make_mentor: MakeMentor,
    programme: Programme,
    lead_api: TestClient,
    db: Session,
    today: dt.date,
) -> None:
    mentor = make_mentor(name="Rita Ready")
    child = programme.children[0]
    make_match(lead_api, child["id"], mentor["user_id"], today - 7 * DAY)
    make_match(lead_api, programme.children[1]["id"], mentor["user_id"], today - 7 * DAY)
    url = f"/mentors/{mentor['user_id']}"
    page = lead_pages.get(url)
    assert page.status_code == 200
    assert 'href="/matches/' in page.text
    assert child["first_name"] in page.text
    assert "2 of 2" in text_of(page.text)
    form = profile_form(today, interests="chess")
    for part in ("day", "month", "year"):
        form[f"training_completed_on-{part}"] = ""
    response = post(lead_pages, url, form)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"{url}?saved=1"
    profile = db.get(MentorProfile, mentor["user_id"])
    assert profile is not None
    db.refresh(profile)
    assert profile.interests == ["chess"]
    assert profile.training_completed_on is None
    page = lead_pages.get(response.headers["location"])
    assert "Not ready to mentor yet" in page.text
    assert "the mentor training" in page.text
    # Refused: a gender not in the list (the form), a caseload below the mentees (the service).
    response = post(lead_pages, url, {**form, "gender": "x" * 41})
    assert response.status_code == 422
    assert "Choose their gender from the list" in response.text
    response = post(lead_pages, url, {**form, "gender": "boy_or_man", "max_caseload": "1"})
    assert response.status_code == 422
    assert 'href="#max_caseload"' in response.text
    assert "end a match" in response.text
    db.refresh(profile)
    assert (profile.gender, profile.max_caseload) == ("girl_or_woman", 2)


# Suggestions, shortlist, making a match ------------------------------------------------------


def test_match_page_ranks_suggestions_with_reasons_and_makes_a_match(
    lead_pages: PageClient,
    make_mentor: MakeMentor,
    make_child: Callable[..., dict[str, Any]],
    db: Session,
    today: dt.date,
) -> None:
    child = make_child(first_name="Jo", interests=["football", "drawing"])
    best = make_mentor(
        name="Bea Best Surname", interests=["football", "drawing"], about="I like dogs"
    )
    other = make_mentor(name="Ollie Other", interests=["knitting"])
    make_mentor(name="Ned Notready", interviewed_on=None)
    page = lead_pages.get(f"/children/{child['id']}/match")
    assert page.status_code == 200
    words = text_of(page.text)
    assert "Find a mentor for Jo" in words
    assert "Shared interests" in words
    assert "out of 10" in words
    assert words.index("Bea Best Surname") < words.index("Ollie Other")
    assert "shares interests: football, drawing" in words
    assert "Ned Notready" not in words
    assert re.search(r"\d+% match", words)
    assert "Put on the shortlist" in words
    assert f'action="/children/{child["id"]}/shortlist"' in page.text

    # Bad input: no mentor, no date.
    response = post(lead_pages, f"/children/{child['id']}/match", {})
    assert response.status_code == 422
    assert 'href="#mentor_id"' in response.text
    assert 'href="#start_date"' in response.text
    assert count_rows(db, Match) == 0
    # A mentor who is not ready: the service says which check is missing.
    response = post(
        lead_pages,
        f"/children/{child['id']}/match",
        {"mentor_id": "999999", **date_fields("start_date", today)},
    )
    assert response.status_code == 422
    assert count_rows(db, Match) == 0

    response = post(
        lead_pages,
        f"/children/{child['id']}/match",
        {
            "mentor_id": str(best["user_id"]),
            "chosen_by_young_person": "yes",
            **date_fields("start_date", today),
        },
    )
    assert response.status_code == 303, response.text
    match = db.exec(select(Match)).one()
    assert response.headers["location"] == f"/matches/{match.id}"
    assert match.chosen_by_young_person
    assert match.mentor_id == best["user_id"]
    page = lead_pages.get(response.headers["location"])
    assert page.status_code == 200
    words = text_of(page.text)
    assert "The match has been made" in words
    assert "the young person chose this mentor" in words
    # How to reach the mentor, where a "no visit" flag lands.
    mentor_email = db.get_one(User, best["user_id"]).email
    assert f'href="mailto:{mentor_email}"' in page.text
    # Now the child has a mentor: the page shows the match instead of the form.
    page = lead_pages.get(f"/children/{child['id']}/match")
    assert "already matched with" in page.text
    assert f'href="/matches/{match.id}"' in page.text
    assert 'name="mentor_id"' not in page.text
    # A second match for the same child is a conflict, shown on the page.
    response = post(
        lead_pages,
        f"/children/{child['id']}/match",
        {"mentor_id": str(other["user_id"]), **date_fields("start_date", today)},
    )
    assert response.status_code == 409
    assert "already has a mentor" in response.text
    assert count_rows(db, Match) == 1


def test_full_caseload_is_a_conflict_on_the_page(
    lead_pages: PageClient,
    lead_api: TestClient,
    make_mentor: MakeMentor,
    make_child: Callable[..., dict[str, Any]],
    db: Session,
    today: dt.date,
) -> None:
    mentor = make_mentor(max_caseload=1)
    make_match(lead_api, make_child()["id"], mentor["user_id"], today)
    child = make_child()
    response = post(
        lead_pages,
        f"/children/{child['id']}/match",
        {"mentor_id": str(mentor["user_id"]), **date_fields("start_date", today)},
    )
    assert response.status_code == 409
    assert "There is a problem" in response.text
    assert "the most their caseload allows" in response.text
    assert count_rows(db, Match) == 1


def test_printable_shortlist_shows_first_names_and_no_scores(
    lead_pages: PageClient,
    make_mentor: MakeMentor,
    make_child: Callable[..., dict[str, Any]],
    today: dt.date,
) -> None:
    child = make_child(first_name="Jo", interests=["football"])
    a = make_mentor(
        name="Bea Best-Surname",
        interests=["football", "baking"],
        about="I like dogs",
        availability="Saturdays",
    )
    b = make_mentor(name="Ollie Otherly", interests=["knitting"])
    c = make_mentor(name="Cat Cee")
    d = make_mentor(name="Dan Dee")
    unready = make_mentor(name="Ned Notready", interviewed_on=None)
    url = f"/children/{child['id']}/shortlist"
    page = lead_pages.get(url, params={"mentor_id": [a["user_id"], b["user_id"]]})
    assert page.status_code == 200
    words = text_of(page.text)
    assert "Hello Jo!" in words
    assert "Bea" in words
    assert "Ollie" in words
    assert "Best-Surname" not in words
    assert "Otherly" not in words
    assert "football, baking" in words
    assert "I like dogs" in words
    assert "Saturdays" in words
    assert "%" not in words
    assert "score" not in words.lower()
    for too_many in ([a, b, c, d], [unready], []):
        response = lead_pages.get(url, params={"mentor_id": [m["user_id"] for m in too_many]})
        assert response.status_code == 422, too_many
    assert (
        "at most 3"
        in lead_pages.get(url, params={"mentor_id": [m["user_id"] for m in (a, b, c, d)]}).text
    )
    assert "not ready" in lead_pages.get(url, params={"mentor_id": unready["user_id"]}).text
    assert lead_pages.get(url, params={"mentor_id": 999999}).status_code == 422


# Matches -------------------------------------------------------------------------------------


@pytest.mark.awkward_days
def test_matches_page_lists_active_and_ended_with_overdue_check_ins(
    lead_pages: PageClient,
    lead_api: TestClient,
    make_mentor: MakeMentor,
    programme: Programme,
    today: dt.date,
) -> None:
    mentor = make_mentor(name="Rita Ready")
    fresh = make_match(lead_api, programme.children[0]["id"], mentor["user_id"], today)
    old = make_match(lead_api, programme.children[1]["id"], mentor["user_id"], today - 6 * WEEK)
    ended_mentor = make_mentor(name="Eddie Ended")
    gone = make_match(
        lead_api, programme.children[2]["id"], ended_mentor["user_id"], today - 3 * WEEK
    )
    response = lead_api.post(
        f"/api/v1/matches/{gone['id']}/end",
        json={"end_date": today.isoformat(), "reason": "child_moved"},
    )
    assert response.status_code == 200, response.text
    page = lead_pages.get("/matches")
    assert page.status_code == 200
    words = text_of(page.text)
    assert words.count("Check-in overdue") == 1
    assert f"/matches/{fresh['id']}" in page.text
    assert f"/matches/{old['id']}" in page.text
    ended = words[words.index("Ended matches") :]
    assert "Eddie Ended" in ended
    assert "Child moved" in ended
    assert date_long(today - 6 * WEEK) in words


@pytest.mark.awkward_days
def test_match_page_check_ins_plan_concern_and_ending(
    lead_pages: PageClient,
    lead_api: TestClient,
    make_mentor: MakeMentor,
    programme: Programme,
    people: People,
    signed: Signed,
    db: Session,
    today: dt.date,
) -> None:
    mentor = make_mentor(name="Rita Ready")
    child, sibling = programme.children[0], programme.children[1]
    match = make_match(lead_api, child["id"], mentor["user_id"], today - 14 * DAY)
    other = make_match(lead_api, sibling["id"], mentor["user_id"], today - 14 * DAY)
    url = f"/matches/{match['id']}"
    page = lead_pages.get(url)
    assert page.status_code == 200
    words = text_of(page.text)
    assert f"{child['first_name']} and Rita Ready" in words
    assert "Record a check-in" in words
    assert "Plan the weekly visit" in words

    # A check-in with nobody ticked is refused; then recorded.
    response = post(
        lead_pages,
        f"{url}/check-ins",
        {**date_fields("check_in_date", today), "check_in_notes": "Hi"},
    )
    assert response.status_code == 422
    assert 'href="#with_mentor"' in response.text
    assert count_rows(db, CheckIn) == 0
    response = post(
        lead_pages,
        f"{url}/check-ins",
        {
            **date_fields("check_in_date", today),
            "with_mentor": "yes",
            "check_in_notes": "Going well",
        },
    )
    assert response.status_code == 303
    assert count_rows(db, CheckIn) == 1
    assert "Going well" in lead_pages.get(url).text

    # A weekly plan on Saturdays; the same slot for the other mentee then clashes (409).
    until = today + 5 * WEEK
    plan = {
        "weekday": "6",
        "start_time": "10:00",
        "duration_minutes": "120",
        **date_fields("until", until),
    }
    response = post(lead_pages, f"/matches/{other['id']}/visit-plan", plan)
    assert response.status_code == 303, response.text
    planned = count_rows(db, MentorVisit)
    assert planned >= 4
    response = post(lead_pages, f"{url}/visit-plan", plan)
    assert response.status_code == 409
    assert "There is a problem" in response.text
    assert "clashes" in response.text
    assert count_rows(db, MentorVisit) == planned
    response = post(lead_pages, f"{url}/visit-plan", {**plan, "start_time": "13:00"})
    assert response.status_code == 303
    page = lead_pages.get(url)
    assert "Saturdays at 1pm for 2 hours" in text_of(page.text)
    # Bad plan: no day, a length out of range.
    response = post(
        lead_pages, f"{url}/visit-plan", {**plan, "weekday": "", "duration_minutes": "5"}
    )
    assert response.status_code == 422
    assert 'href="#weekday"' in response.text
    assert 'href="#duration_minutes"' in response.text

    # The mentor reports a safeguarding concern; the lead sees it and reviews it.
    mentor_api = signed.api(db.get_one(User, mentor["user_id"]))
    logged = mentor_api.post(
        "/api/v1/visits",
        json={
            "match_id": match["id"],
            "date": (today - 1 * DAY).isoformat(),
            "start_time": "18:00",
            "duration_minutes": 60,
            "status": "completed",
            "safeguarding_concern": True,
        },
    )
    assert logged.status_code == 201, logged.text
    visit_id = logged.json()["id"]
    home = lead_pages.get("/")
    assert "1 safeguarding concern to review" in text_of(home.text)
    assert f'href="/matches/{match["id"]}#visit-{visit_id}"' in home.text
    page = lead_pages.get(url)
    assert "Safeguarding concern raised" in page.text
    assert f'href="/visits/{visit_id}#concern-review"' in page.text  # the review form
    response = post(lead_pages, f"/visits/{visit_id}/concern-reviewed", {})
    assert response.status_code == 303
    visit = db.get(MentorVisit, visit_id)
    assert visit is not None
    assert visit.concern_reviewed_at is not None
    assert "Concern reviewed" in lead_pages.get(url).text
    assert "safeguarding concern to review" not in lead_pages.get("/").text

    # Ending: bad input is refused, then the match ends and becomes read-only.
    response = post(lead_pages, f"{url}/end", {**date_fields("end_date", today), "reason": ""})
    assert response.status_code == 422
    assert 'href="#reason"' in response.text
    response = post(
        lead_pages,
        f"{url}/end",
        {**date_fields("end_date", today), "reason": "other", "ended_by": "carer", "note": ""},
    )
    assert response.status_code == 422
    assert "Say why the match ended" in response.text
    assert db.get_one(Match, match["id"]).end_date is None
    response = post(
        lead_pages,
        f"{url}/end",
        {
            **date_fields("end_date", today),
            "reason": "child_moved",
            "ended_by": "carer",
            "note": "Moved to Leeds",
        },
    )
    assert response.status_code == 303
    page = lead_pages.get(url)
    words = text_of(page.text)
    assert "How the match ended" in words
    assert "Child moved" in words
    assert "Moved to Leeds" in words
    assert "The carer" in words
    assert 'method="post"' not in page.text.split("</header>")[1]  # no forms at all
    response = post(
        lead_pages,
        f"{url}/check-ins",
        {**date_fields("check_in_date", today), "with_mentor": "yes"},
    )
    assert response.status_code == 409
    assert count_rows(db, CheckIn) == 1


# The lead's home and the child page ----------------------------------------------------------


@pytest.mark.awkward_days
def test_lead_home_counts_what_needs_doing(
    lead_pages: PageClient,
    lead_api: TestClient,
    make_mentor: MakeMentor,
    programme: Programme,
    today: dt.date,
) -> None:
    mentor = make_mentor()
    make_mentor(dbs_checked_on=(add_years(today, -3) + 10 * DAY).isoformat())
    make_match(lead_api, programme.children[0]["id"], mentor["user_id"], today - 6 * WEEK)
    home = lead_pages.get("/")
    assert home.status_code == 200
    words = text_of(home.text)
    assert "1 check-in overdue" in words
    assert "1 mentor whose DBS check runs out within 60 days" in words
    assert "3 children in a group without a mentor" in words
    for child in programme.children[1:]:
        assert f'href="/children/{child["id"]}/match"' in home.text
    assert "No safeguarding concerns to review" in words


def test_child_page_links_to_find_a_mentor(
    lead_pages: PageClient, make_child: Callable[..., dict[str, Any]]
) -> None:
    child = make_child()
    page = lead_pages.get(f"/children/{child['id']}")
    assert f'href="/children/{child["id"]}/match"' in page.text


def test_child_page_names_the_current_mentor(
    lead_pages: PageClient,
    signed: Signed,
    people: People,
    lead_api: TestClient,
    make_mentor: MakeMentor,
    make_child: Callable[..., dict[str, Any]],
    today: dt.date,
) -> None:
    child = make_child()
    mentor = make_mentor(name="Rita Ready")
    assert "Rita Ready" not in lead_pages.get(f"/children/{child['id']}").text
    make_match(lead_api, child["id"], mentor["user_id"], today)
    assert "Rita Ready" in lead_pages.get(f"/children/{child['id']}").text


# Who may see the pages -----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["facilitator", "mentor"])
def test_only_leads_and_admins_see_the_mentoring_pages(
    role: str,
    signed: Signed,
    people: People,
    lead_api: TestClient,
    make_mentor: MakeMentor,
    make_child: Callable[..., dict[str, Any]],
    today: dt.date,
) -> None:
    mentor = make_mentor()
    child = make_child()
    match = make_match(lead_api, child["id"], mentor["user_id"], today)
    client = signed.pages(people.by_role(role))
    for url in (
        "/mentors",
        "/mentors/new",
        f"/mentors/{mentor['user_id']}",
        f"/children/{child['id']}/match",
        f"/children/{child['id']}/shortlist?mentor_id={mentor['user_id']}",
        "/matches",
        f"/matches/{match['id']}",
    ):
        assert client.get(url).status_code == 403, url
    assert post(client, f"/matches/{match['id']}/end", {}).status_code == 403


def test_another_organisation_gets_404_and_sees_none_of_our_rows(
    signed: Signed,
    people: People,
    lead_api: TestClient,
    make_mentor: MakeMentor,
    make_child: Callable[..., dict[str, Any]],
    today: dt.date,
) -> None:
    mentor = make_mentor(name="Rita Ready")
    child = make_child()
    match = make_match(lead_api, child["id"], mentor["user_id"], today)
    client = signed.pages(people.other_lead)
    for url in (
        f"/mentors/{mentor['user_id']}",
        f"/children/{child['id']}/match",
        f"/children/{child['id']}/shortlist?mentor_id={mentor['user_id']}",
        f"/matches/{match['id']}",
    ):
        assert client.get(url).status_code == 404, url
    for url, form in (
        (f"/mentors/{mentor['user_id']}", profile_form(today)),
        (f"/children/{child['id']}/match", {"mentor_id": str(mentor["user_id"])}),
        (f"/matches/{match['id']}/check-ins", {"with_mentor": "yes"}),
        (f"/matches/{match['id']}/visit-plan", {"weekday": "1"}),
        (f"/matches/{match['id']}/end", {"reason": "other"}),
    ):
        assert post(client, url, form).status_code == 404, url
    for url in ("/mentors", "/matches", "/"):
        page = client.get(url)
        assert page.status_code == 200
        assert "Rita Ready" not in page.text
        assert "org-a.example.org" not in page.text


def test_forms_need_the_csrf_token(
    lead_pages: PageClient,
    lead_api: TestClient,
    make_mentor: MakeMentor,
    make_child: Callable[..., dict[str, Any]],
    today: dt.date,
    db: Session,
) -> None:
    mentor = make_mentor()
    child = make_child()
    response = lead_pages.post(
        f"/children/{child['id']}/match",
        data={"mentor_id": str(mentor["user_id"]), **date_fields("start_date", today)},
    )
    assert response.status_code == 403
    assert count_rows(db, Match) == 0


# Query counts --------------------------------------------------------------------------------


def _count(lead_pages: PageClient, count_queries: Any, url: str) -> int:
    with count_queries() as counter:
        response = lead_pages.get(url)
    assert response.status_code == 200, response.text
    return int(counter.count)


def test_list_pages_make_the_same_number_of_queries_for_more_mentors_and_matches(
    lead_pages: PageClient,
    lead_api: TestClient,
    make_mentor: MakeMentor,
    make_child: Callable[..., dict[str, Any]],
    count_queries: Any,
    today: dt.date,
) -> None:
    target = make_child(interests=["football"])
    mentor = make_mentor()
    make_match(lead_api, make_child()["id"], mentor["user_id"], today)
    urls = ("/mentors", "/matches", f"/children/{target['id']}/match", "/")
    small = {url: _count(lead_pages, count_queries, url) for url in urls}
    for _ in range(6):
        more = make_mentor(interests=["football"])
        make_match(lead_api, make_child()["id"], more["user_id"], today)
        make_mentor()
    large = {url: _count(lead_pages, count_queries, url) for url in urls}
    assert large == small
    page = lead_pages.get(f"/children/{target['id']}/match")
    assert text_of(page.text).count("Put on the shortlist") == 10  # the top ten only


def test_suggestions_on_the_page_are_the_services(
    lead_pages: PageClient,
    make_mentor: MakeMentor,
    make_child: Callable[..., dict[str, Any]],
    people: People,
    db: Session,
    today: dt.date,
) -> None:
    child = make_child(interests=["chess"])
    make_mentor(name="Chess Player", interests=["chess"])
    make_mentor(name="Someone Else")
    found = service.suggestions(db, actor=people.lead, child_id=child["id"], today=today)
    words = text_of(lead_pages.get(f"/children/{child['id']}/match").text)
    for s in found:
        assert f"{s.name} {round(s.score * 100)}% match" in words
