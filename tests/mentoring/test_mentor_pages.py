"""The mentor's pages: my week on a phone, logging a visit in under a minute, recording,
moving and cancelling planned visits, and the weekly slot. No JavaScript needed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import Session, col, func, select

from app.audit.models import AuditEvent
from app.auth.models import Role, User
from app.cohorts.schedule import ClosedDays
from app.mentoring.models import MentorVisit
from app.sessions.models import PracticeAssignment
from tests.support.mentoring import Mentees, date_form, earlier_today, record, visit_form
from tests.support.pages import post
from tests.support.people import People, Signed

WEEK = dt.timedelta(weeks=1)
BAND = "2\u20134 hours"  # the target band, with an en dash

# Visits are logged as completed today: late in the day, once they have ended.
pytestmark = pytest.mark.usefixtures("evening")


def day_text(day: dt.date) -> str:
    """ "Monday 7 September", as the week page names a day (the year follows if not this one)."""
    return f"{day:%A} {day.day} {day:%B}"


def count_visits(db: Session) -> int:
    return int(db.exec(select(func.count()).select_from(MentorVisit)).one())


# My week ------------------------------------------------------------------------------------


@pytest.mark.awkward_days
def test_week_shows_each_mentee_with_their_group_and_tasks(
    db: Session, people: People, signed: Signed, mentees: Mentees
) -> None:
    pages = signed.pages(people.mentor)
    day = mentees.first + dt.timedelta(days=3)  # Thursday after the first session
    mentees.visit(mentees.amira_match, day, "10:00", "completed", minutes=90)
    html = pages.get(f"/mentor?date={day.isoformat()}").text
    assert '<h1 class="govuk-heading-xl">My week</h1>' in html
    assert day_text(mentees.first) in html
    assert day_text(mentees.first + dt.timedelta(days=6)) in html
    assert html.index("Amira") < html.index("Ben")  # by first name
    amira, ben = html.split('id="mentee-')[1:3]
    assert "Was there" in amira
    assert "Missed it" not in amira
    assert "Missed it" in ben
    assert "Catch up on:" in ben
    assert "Catch-up" in ben
    assert "Catch-up" not in amira
    assert "What to practise" in amira
    tasks = mentees.mentor_api.get(f"/api/v1/assignments?child_id={mentees.amira['id']}").json()
    assert tasks
    for task in tasks:
        assert task["task"]["title"] in amira
        assert task["task"]["description"].replace("'", "&#39;") in amira
    # Hours against the band, as text.
    assert f"1.5 of {BAND}" in amira
    assert "Below target" in amira
    assert f"0 of {BAND}" in ben
    assert f'href="/visits/new?match_id={mentees.amira_match}"' in amira
    assert f'href="/mentor/matches/{mentees.amira_match}/plan"' in amira
    assert "No visits this week yet." in ben
    # Week navigation.
    assert f'href="/mentor?date={mentees.first - WEEK}"' in html
    assert f'href="/mentor?date={mentees.first + WEEK}"' in html


@pytest.mark.awkward_days
def test_week_before_any_session_and_without_mentees(
    db: Session, people: People, signed: Signed, mentees: Mentees
) -> None:
    before = mentees.first - dt.timedelta(days=6)  # Tuesday of the week before
    html = signed.pages(people.mentor).get(f"/mentor?date={before}").text
    assert "No group session has been recorded for Amira yet." in html
    lonely = people.add(Role.mentor, email="lonely@org-a.example.org")
    db.commit()
    html = signed.pages(lonely).get("/mentor").text
    assert "You have no mentees yet" in html
    assert "Log a visit" not in html


@pytest.mark.awkward_days
def test_planned_visits_have_record_move_and_cancel(
    people: People, signed: Signed, mentees: Mentees
) -> None:
    day = mentees.today + dt.timedelta(days=1)
    planned = mentees.visit(mentees.amira_match, day, "15:00", "planned")
    html = signed.pages(people.mentor).get(f"/mentor?date={day.isoformat()}").text
    assert f'href="/visits/{planned["id"]}"' in html
    assert f'href="/visits/{planned["id"]}/move"' in html
    assert f'href="/visits/{planned["id"]}/cancel"' in html
    assert 'name="csrf_token"' in html
    assert "Record how it went" in html
    assert "Planned" in html


@pytest.mark.awkward_days
def test_older_open_tasks_fold_away_behind_the_latest_groups(
    db: Session, people: People, signed: Signed, mentees: Mentees
) -> None:
    week1 = len(mentees.tasks(db, mentees.amira))
    record(mentees.lead_api, mentees.cohort["sessions"][1]["id"], people.facilitator.id or 0)
    second_week = mentees.first + dt.timedelta(days=9)  # Wednesday of the second week
    html = signed.pages(people.mentor).get(f"/mentor?date={second_week}").text
    amira = html.split('id="mentee-')[1]
    assert f"Earlier tasks still open ({week1})" in amira
    assert amira.index("From week 2") < amira.index("Earlier tasks") < amira.index("From week 1")
    form = signed.pages(people.mentor).get(f"/visits/new?match_id={mentees.amira_match}").text
    assert f"Earlier tasks still open ({week1})" in form


@pytest.mark.parametrize("bad", ["tomorrow", "2026-13-01", "0001-01-01", "9999-12-31", "x" * 30])
def test_a_bad_date_shows_this_week_with_a_message(
    people: People, signed: Signed, mentees: Mentees, bad: str
) -> None:
    response = signed.pages(people.mentor).get("/mentor", params={"date": bad})
    assert response.status_code == 422
    assert "There is a problem" in response.text
    assert "This week is shown instead" in response.text
    assert "Amira" in response.text


def test_the_week_runs_a_fixed_number_of_queries(
    db: Session,
    people: People,
    signed: Signed,
    mentees: Mentees,
    count_queries: Callable[..., Any],
) -> None:
    pages = signed.pages(people.mentor)
    monday = mentees.first + WEEK
    url = f"/mentor?date={monday.isoformat()}"
    mentees.visit(mentees.amira_match, monday, "10:00", "completed")
    pages.get(url)
    with count_queries() as small:
        assert pages.get(url).status_code == 200
    # More visits, more practice tasks (week 2 recorded), a catch-up.
    for offset in range(1, 6):
        day = monday + dt.timedelta(days=offset)
        mentees.visit(mentees.amira_match, day, "10:00", "completed")
        mentees.visit(mentees.ben_match, day, "13:00", "completed")
    record(
        mentees.lead_api,
        mentees.cohort["sessions"][1]["id"],
        people.facilitator.id or 0,
        absent={mentees.amira["id"]},
    )
    with count_queries() as large:
        html = pages.get(url).text
    assert html.count('class="tandem-visit"') == 11
    assert small.count == large.count, (small.count, large.count)


# Logging a visit ----------------------------------------------------------------------------


@pytest.mark.awkward_days
def test_the_form_is_phone_first_and_needs_no_javascript(
    people: People, signed: Signed, mentees: Mentees
) -> None:
    html = signed.pages(people.mentor).get(f"/visits/new?match_id={mentees.amira_match}").text
    assert '<h1 class="govuk-heading-xl">Log a visit</h1>' in html
    assert 'name="csrf_token"' in html
    t = mentees.today
    assert f'name="date-day" type="text" inputmode="numeric" value="{t.day}"' in html
    assert 'type="time"' in html
    assert 'name="minutes"' in html
    assert 'inputmode="numeric"' in html
    for value in ("completed", "missed", "cancelled", "planned"):
        assert f'name="status" type="radio" value="{value}"' in html
    assert 'value="completed" aria-describedby="status-hint" checked' in html
    assert "Also tell your lead today, by phone, as your safeguarding training says" in html
    for label in ("Not this time", "Practised", "Completed"):
        assert label in html


@pytest.mark.awkward_days
def test_log_a_completed_visit_with_tasks_practised_and_completed(
    db: Session, people: People, signed: Signed, mentees: Mentees
) -> None:
    pages = signed.pages(people.mentor)
    first, second = mentees.tasks(db, mentees.amira)[:2]
    day = mentees.today - dt.timedelta(days=1)
    response = post(
        pages,
        f"/visits/new?match_id={mentees.amira_match}",
        visit_form(
            mentees, day, **{f"task-{first.id}": "practised", f"task-{second.id}": "completed"}
        ),
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/mentor?date={day.isoformat()}&saved=logged"
    db.expire_all()
    assert db.get_one(PracticeAssignment, first.id).status.value == "practised"
    assert db.get_one(PracticeAssignment, second.id).status.value == "completed"
    visit = db.exec(select(MentorVisit)).one()
    assert (visit.minutes, visit.status.value, visit.date) == (90, "completed", day)
    week = pages.get(response.headers["location"]).text
    assert "Visit logged" in week
    assert "Completed" in week
    assert f"1.5 of {BAND}" in week


def test_another_length_is_read_from_the_number_box(
    db: Session, people: People, signed: Signed, mentees: Mentees
) -> None:
    pages = signed.pages(people.mentor)
    form = visit_form(mentees, mentees.today, minutes="other", minutes_other="75")
    assert post(pages, "/visits/new", form).status_code == 303
    assert db.exec(select(MentorVisit.minutes)).one() == 75


def test_a_safeguarding_concern_is_its_own_audit_event(
    db: Session, people: People, signed: Signed, mentees: Mentees
) -> None:
    pages = signed.pages(people.mentor)
    form = visit_form(mentees, mentees.today, safeguarding_concern="yes")
    response = post(pages, "/visits/new", form)
    assert response.status_code == 303, response.text
    visit = db.exec(select(MentorVisit)).one()
    assert visit.safeguarding_concern is True
    event = db.exec(
        select(AuditEvent).where(
            AuditEvent.action == "safeguarding_concern", AuditEvent.entity_id == visit.id
        )
    ).one()
    assert event.entity == "visit"


@pytest.mark.parametrize(
    ("over", "field", "message"),
    [
        ({"days": "-3"}, "date", "cannot be in the future"),
        (
            {"minutes": "other", "minutes_other": "10"},
            "minutes_other",
            "from 15 minutes to 8 hours",
        ),
        ({"minutes": "10"}, "minutes", "from 15 minutes to 8 hours"),
        ({"minutes": "other", "minutes_other": ""}, "minutes_other", "Enter how many minutes"),
        ({"start_time": "25:00"}, "start_time", "Enter a real time"),
        ({"start_time": ""}, "start_time", "Enter the start time"),
        ({"status": ""}, "status", "Choose how the visit went"),
        ({"date-month": "13"}, "date", "Enter a real date of the visit"),
        ({"status": "planned", "days": "2"}, "date", "A planned visit is dated today or later"),
        ({"summary": "x" * 2001}, "summary", "2,000 characters or fewer"),
    ],
)
def test_bad_input_is_shown_beside_the_field_and_nothing_is_stored(
    db: Session,
    people: People,
    signed: Signed,
    mentees: Mentees,
    over: dict[str, str],
    field: str,
    message: str,
) -> None:
    pages = signed.pages(people.mentor)
    days_ago = int(over.pop("days", "0"))
    form = visit_form(mentees, mentees.today - dt.timedelta(days=days_ago), **over)
    tasks = mentees.tasks(db, mentees.amira)
    form[f"task-{tasks[0].id}"] = "completed"
    response = post(pages, "/visits/new", form)
    assert response.status_code == 422, response.text
    assert "There is a problem" in response.text
    assert f'href="#{field}"' in response.text
    assert f'id="{field}-error"' in response.text
    assert message in response.text
    assert count_visits(db) == 0
    db.expire_all()
    assert db.get_one(PracticeAssignment, tasks[0].id).status.value == "open"
    # What was typed is kept.
    if field != "summary":
        assert "Went to the park" in response.text


@pytest.mark.awkward_days
def test_a_visit_overlapping_another_is_refused(
    db: Session, people: People, signed: Signed, mentees: Mentees
) -> None:
    day = mentees.today - dt.timedelta(days=1)
    mentees.visit(mentees.ben_match, day, "10:30", "completed")
    response = post(signed.pages(people.mentor), "/visits/new", visit_form(mentees, day))
    assert response.status_code == 422
    assert 'href="#start_time"' in response.text
    assert "overlaps the visit to Ben" in response.text
    assert count_visits(db) == 1


# Recording, cancelling and moving planned visits --------------------------------------------


def test_record_how_a_planned_visit_went(
    db: Session, people: People, signed: Signed, mentees: Mentees
) -> None:
    pages = signed.pages(people.mentor)
    planned = mentees.visit(mentees.amira_match, mentees.today, "17:00", "planned")
    page = pages.get(f"/visits/{planned['id']}").text
    assert "Record how the visit went" in page
    assert 'value="17:00"' in page
    assert 'value="60" checked' in page
    assert (
        'value="completed" aria-describedby="status-hint" checked' in page
    )  # most visits happen as planned
    task = mentees.tasks(db, mentees.amira)[0]
    form = visit_form(
        mentees,
        mentees.today,
        start_time="17:00",
        minutes="120",
        version=str(planned["version"]),
        **{f"task-{task.id}": "practised"},
    )
    response = post(pages, f"/visits/{planned['id']}", form)
    assert response.status_code == 303, response.text
    assert "saved=recorded" in response.headers["location"]
    db.expire_all()
    visit = db.get(MentorVisit, planned["id"])
    assert visit is not None
    assert (visit.status.value, visit.minutes, visit.version) == ("completed", 120, 2)
    assert db.get_one(PracticeAssignment, task.id).status.value == "practised"
    # The page now shows it as practised on this visit.
    again = pages.get(f"/visits/{planned['id']}").text
    assert (
        f'id="task-{task.id}-practised" name="task-{task.id}" type="radio" '
        'value="practised" checked' in again
    )


def test_a_stale_version_is_refused_with_a_message_to_reload(
    db: Session, people: People, signed: Signed, mentees: Mentees
) -> None:
    pages = signed.pages(people.mentor)
    planned = mentees.visit(mentees.amira_match, mentees.today, "17:00", "planned")
    with earlier_today(mentees.clock, 9):  # moved while it was still to come
        changed = mentees.mentor_api.patch(
            f"/api/v1/visits/{planned['id']}", json={"version": 1, "start_time": "18:00"}
        )
    assert changed.status_code == 200, changed.text
    form = visit_form(mentees, mentees.today, start_time="17:00", version="1")
    response = post(pages, f"/visits/{planned['id']}", form)
    assert response.status_code == 409
    assert "Reload" in response.text
    assert 'name="version" value="2"' in response.text
    db.expire_all()
    assert db.get_one(MentorVisit, planned["id"]).status.value == "planned"


@pytest.mark.awkward_days
def test_cancel_asks_who_and_why(
    db: Session, people: People, signed: Signed, mentees: Mentees
) -> None:
    pages = signed.pages(people.mentor)
    day = mentees.today + dt.timedelta(days=2)
    planned = mentees.visit(mentees.amira_match, day, "15:00", "planned")
    why = {"called_off_by": "carer", "cancel_reason": "Family visit"}
    response = post(pages, f"/visits/{planned['id']}/cancel", {"version": "1", **why})
    assert response.status_code == 303
    assert response.headers["location"] == f"/mentor?date={day.isoformat()}&saved=cancelled"
    db.expire_all()
    assert db.get_one(MentorVisit, planned["id"]).status.value == "cancelled"
    # A visit that is no longer planned cannot be cancelled again.
    again = post(pages, f"/visits/{planned['id']}/cancel", {"version": "2", **why})
    assert again.status_code == 409
    # Without the CSRF token, nothing happens.
    other = mentees.visit(mentees.amira_match, day, "18:00", "planned")
    assert pages.post(f"/visits/{other['id']}/cancel", data={"version": "1"}).status_code == 403


@pytest.mark.awkward_days
def test_move_a_planned_visit_and_a_clash_is_explained(
    db: Session, people: People, signed: Signed, mentees: Mentees
) -> None:
    pages = signed.pages(people.mentor)
    day = mentees.today + dt.timedelta(days=3)
    mentees.visit(mentees.ben_match, day, "10:00", "planned", minutes=120)
    planned = mentees.visit(mentees.amira_match, day, "14:00", "planned")
    form_page = pages.get(f"/visits/{planned['id']}/move").text
    assert "Move the visit" in form_page
    assert 'value="14:00"' in form_page
    clash = post(
        pages,
        f"/visits/{planned['id']}/move",
        {**date_form("date", day), "start_time": "11:00", "version": "1"},
    )
    assert clash.status_code == 422
    assert "overlaps the visit to Ben" in clash.text
    assert 'href="#start_time"' in clash.text
    db.expire_all()
    assert db.get_one(MentorVisit, planned["id"]).start_time == dt.time(14)
    past = post(
        pages,
        f"/visits/{planned['id']}/move",
        {**date_form("date", mentees.today - dt.timedelta(days=1)), "start_time": "11:00"},
    )
    assert past.status_code == 422
    assert "today or later" in past.text
    later = day + dt.timedelta(days=1)
    moved = post(
        pages,
        f"/visits/{planned['id']}/move",
        {**date_form("date", later), "start_time": "4:30pm", "version": "1"},
    )
    assert moved.status_code == 303, moved.text
    assert moved.headers["location"] == f"/mentor?date={later.isoformat()}&saved=moved"
    db.expire_all()
    visit = db.get(MentorVisit, planned["id"])
    assert visit is not None
    assert (visit.date, visit.start_time) == (later, dt.time(16, 30))


# The weekly slot ----------------------------------------------------------------------------


@pytest.mark.awkward_days
def test_plan_a_weekly_slot_and_a_clash_names_it(
    db: Session, people: People, signed: Signed, mentees: Mentees
) -> None:
    pages = signed.pages(people.mentor)
    # Four weeks from today: four Saturdays, less any bank holiday (Boxing Day, say).
    until = mentees.today + dt.timedelta(days=27)
    saturdays = [
        day
        for day in (mentees.today + dt.timedelta(days=n) for n in range(28))
        if day.isoweekday() == 6
    ]
    assert len(saturdays) == 4
    n = len([day for day in saturdays if day not in ClosedDays("england")])
    assert n >= 3  # no four weeks of England have two Saturday bank holidays
    url = f"/mentor/matches/{mentees.amira_match}/plan"
    assert "Weekly visit slot" in pages.get(url).text
    form = {"weekday": "6", "start_time": "10:00", "minutes": "120", **date_form("until", until)}
    response = post(pages, url, form)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/mentor?planned={n}"
    assert f"{n} visits planned" in pages.get(f"/mentor?planned={n}").text
    assert count_visits(db) == n
    planned = set(db.exec(select(col(MentorVisit.date))).all())
    assert planned == {day for day in saturdays if day not in ClosedDays("england")}
    assert "Saturdays at 10am for 2 hours" in pages.get("/mentor").text
    # Ben's slot on the same Saturday morning clashes with Amira's visits.
    clash = post(
        pages, f"/mentor/matches/{mentees.ben_match}/plan", {**form, "start_time": "11:00"}
    )
    assert clash.status_code == 409
    assert "overlaps the visit to Amira" in clash.text
    assert count_visits(db) == n
    bad = post(pages, url, {"weekday": "8", "start_time": "", "minutes": ""})
    assert bad.status_code == 422
    for field in ("weekday", "start_time", "minutes"):
        assert f'href="#{field}"' in bad.text


# Who may see what ---------------------------------------------------------------------------


def test_facilitators_are_refused_and_other_mentors_see_nothing(
    db: Session, people: People, signed: Signed, mentees: Mentees
) -> None:
    planned = mentees.visit(mentees.amira_match, mentees.today, "17:00", "planned")
    facilitator = signed.pages(people.facilitator)
    for url in (
        "/mentor",
        "/visits/new",
        f"/visits/new?match_id={mentees.amira_match}",
        f"/visits/{planned['id']}",
        f"/visits/{planned['id']}/move",
        f"/mentor/matches/{mentees.amira_match}/plan",
    ):
        assert facilitator.get(url).status_code == 403, url
    assert post(facilitator, f"/visits/{planned['id']}/cancel", {}).status_code == 403

    other: User = people.add(Role.mentor, email="other.mentor@org-a.example.org")
    db.commit()
    stranger = signed.pages(other)
    for url in (
        f"/visits/new?match_id={mentees.amira_match}",
        f"/visits/{planned['id']}",
        f"/visits/{planned['id']}/move",
        f"/mentor/matches/{mentees.amira_match}/plan",
    ):
        assert stranger.get(url).status_code == 404, url
    assert post(stranger, f"/visits/{planned['id']}/cancel", {}).status_code == 404
    form = visit_form(mentees, mentees.today)
    assert post(stranger, "/visits/new", form).status_code == 404

    outsider = signed.pages(people.other_admin)
    assert outsider.get(f"/visits/{planned['id']}").status_code == 404
    assert post(outsider, "/visits/new", form).status_code == 404
    assert post(outsider, f"/visits/{planned['id']}/move", {}).status_code == 404
    assert outsider.get("/mentor").status_code == 403  # not a mentor
    assert count_visits(db) == 1


def test_a_lead_may_open_and_record_a_visit(
    db: Session, people: People, signed: Signed, mentees: Mentees
) -> None:
    planned = mentees.visit(mentees.amira_match, mentees.today, "17:00", "planned")
    lead = signed.pages(people.lead)
    assert lead.get(f"/visits/{planned['id']}").status_code == 200
    form = visit_form(mentees, mentees.today, start_time="17:00", version="1")
    response = post(lead, f"/visits/{planned['id']}", form)
    assert response.status_code == 303
    assert response.headers["location"] == f"/visits/{planned['id']}?saved=recorded"
    assert "Visit recorded" in lead.get(response.headers["location"]).text
    chooser = lead.get("/visits/new").text
    assert "Who was the visit with?" in chooser
    assert "Amira" in chooser


def test_a_mentor_with_two_mentees_chooses_who_the_visit_was_with(
    people: People, signed: Signed, mentees: Mentees
) -> None:
    html = signed.pages(people.mentor).get("/visits/new").text
    assert f'href="/visits/new?match_id={mentees.amira_match}"' in html
    assert f'href="/visits/new?match_id={mentees.ben_match}"' in html
