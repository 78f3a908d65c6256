"""Issue 19's pages walked in Chromium as their users walk them, on a tablet: an admin sets up
a "Befriending" programme (a band whose fewest hours are above its most first) and changes it;
a lead reads each programme's dashboard from home and through the picker, matches an
Independent Visitor (without the child's agreement first) and a child outside a programme's
ages (without a reason first); Mo, a mentor who is an Independent Visitor too, reads his week
by programme; a visitor-only volunteer logs a visit; a facilitator's home is as it was. Every
page is reached by clicking from the navigation, has no axe violation (WCAG 2.2 A/AA and best
practice), shows where the keyboard's focus is, and logs no JavaScript error. Screenshots go
to var/screenshots/programmes/ for a person to look at.

On a server of its own: the walks add a programme and two matches, and log a visit."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import served_demo
from tests.support.browser import (
    DEMO_PASSWORD,
    SCREENSHOTS,
    TABLET,
    BrowserPage,
    assert_accessible,
    assert_focus_visible,
)
from tests.support.clock import Clock

pytestmark = pytest.mark.e2e

SHOTS = SCREENSHOTS / "programmes"
FHF = "Fostering Healthy Futures (FHF-PT)"
IV = "Independent Visitors"
# An Independent Visitor only (app/demo/story.py), not one of tests/support/browser.py's logins.
VISITOR = "visitor1@demo.tandem.example.org"


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with served_demo(tmp_path_factory.mktemp("browser-programmes"), worker=False) as url:
        yield url


def _shot(page: Page, name: str, show: Locator | None = None) -> None:
    """What a tablet shows: the top of the page, or the part around `show`."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    if show is not None:
        show.evaluate("(el) => el.scrollIntoView({block: 'start'})")
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def _check(page: Page, name: str, *, show: Locator | None = None) -> None:
    assert_accessible(page)
    _shot(page, name, show)
    assert_focus_visible(page, tabs=80)


def _home(pages: BrowserPage, role: str) -> Page:
    page = pages.new(TABLET, role=role)
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    return page


def _menu(page: Page, name: str) -> None:
    menu = page.get_by_role("navigation", name="Menu")
    menu.get_by_role("link", name=name, exact=True).click()
    expect(menu.locator('[aria-current="page"]')).to_have_text(name)


def _no_errors(js_errors: list[str], *statuses: int) -> None:
    """No JavaScript error; Chromium logs the error status of a refused form's page itself
    (422): those of `statuses` are expected."""
    expected = [f"status of {status}" for status in statuses]
    left = [e for e in js_errors if not any(s in e for s in expected)]
    assert left == [], "JavaScript errors:\n" + "\n".join(left)


def _fill_date(page: Page, legend: str, day: dt.date) -> None:
    group = page.get_by_role("group", name=legend)
    group.get_by_label("Day").fill(str(day.day))
    group.get_by_label("Month").fill(str(day.month))
    group.get_by_label("Year").fill(str(day.year))


def _error_summary_leads_to(page: Page, field_id: str, words: str | re.Pattern[str]) -> None:
    """The refused form: "Error: " in the title, the summary focused, naming the problem, and
    its link moving the focus to the field."""
    expect(page).to_have_title(re.compile("^Error: "))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    link = summary.get_by_role("link", name=words)
    expect(link).to_have_attribute("href", f"#{field_id}")
    link.click()
    expect(page.locator(f"#{field_id}")).to_be_focused()
    expect(page.locator(f"#{field_id}-error")).to_contain_text(words)


def test_an_admin_sets_up_a_befriending_programme(pages: BrowserPage, js_errors: list[str]) -> None:
    page = _home(pages, "admin")
    _menu(page, "Programmes")
    expect(page.get_by_role("heading", level=1)).to_have_text("Programmes")
    table = page.get_by_role("table")
    fhf = table.get_by_role("row").filter(has=page.get_by_role("link", name=re.compile("^Fost")))
    expect(fhf).to_contain_text("Skills group with mentoring")
    expect(fhf).to_contain_text("2\u20134 hours a week")
    expect(fhf).to_contain_text("9 to 11")
    iv = table.get_by_role("row").filter(has=page.get_by_role("link", name=re.compile(f"^{IV}")))
    expect(iv).to_contain_text("Independent Visitor")
    expect(iv).to_contain_text("1\u20138 hours a month")
    expect(iv).to_contain_text("5 to 17")
    expect(iv).to_contain_text("24 months")
    _check(page, "admin-list")

    page.get_by_role("button", name="Set up a programme").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up a programme")
    # Nothing is filled in for the admin: no kind chosen, no band.
    expect(page.get_by_role("group", name="Kind of programme").get_by_role("radio")).to_have_count(
        4
    )
    for radio in page.get_by_role("group", name="Kind of programme").get_by_role("radio").all():
        expect(radio).not_to_be_checked()
    expect(page.get_by_label("Fewest hours")).to_have_value("")
    _check(page, "admin-new")

    page.get_by_label("Name", exact=True).fill("Befriending")
    page.get_by_role("group", name="Kind of programme").get_by_label("Befriending").check()
    page.get_by_label("Most matches for one mentor").fill("3")
    page.get_by_role("group", name="Visits counted").get_by_label("By the month").check()
    page.get_by_label("Fewest hours").fill("6")
    page.get_by_label("Most hours (optional)").fill("2")
    page.get_by_label("Youngest age").fill("8")
    page.get_by_label("Oldest age").fill("16")
    page.get_by_label("Expected length of a match in months (optional)").fill("12")
    page.get_by_role("button", name="Set up programme").click()
    _error_summary_leads_to(page, "band_max_hours", "The most hours (2) must not be below")
    _check(page, "admin-new-error")
    # What was typed is kept.
    expect(page.get_by_label("Name", exact=True)).to_have_value("Befriending")
    expect(page.get_by_label("Fewest hours")).to_have_value("6")

    page.get_by_label("Most hours (optional)").fill("8")
    page.get_by_role("button", name="Set up programme").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Programmes")
    expect(page.get_by_role("alert")).to_contain_text("Befriending is set up.")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=re.compile("^Befr")))
    expect(row).to_contain_text("6\u20138 hours a month")
    expect(row).to_contain_text("8 to 16")
    expect(row).to_contain_text("12 months")
    _check(page, "admin-saved")

    row.get_by_role("link", name=re.compile("^Befriending")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Befriending")
    # The kind never changes: it is a caption, not a field.
    expect(page.get_by_role("group", name="Kind of programme")).to_have_count(0)
    expect(page.get_by_label("Oldest age")).to_have_value("16")
    _check(page, "admin-edit")
    page.get_by_label("Oldest age").fill("17")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("alert")).to_contain_text("Befriending is saved.")
    expect(row).to_contain_text("8 to 17")
    _check(page, "admin-edited")
    _no_errors(js_errors, 422)


def test_a_lead_reads_each_programmes_dashboard(pages: BrowserPage, js_errors: list[str]) -> None:
    page = _home(pages, "lead")
    listed = page.get_by_role("heading", name="Programmes", exact=True).locator(
        "xpath=following-sibling::ul[1]"
    )
    expect(listed.get_by_role("link", name=re.compile(re.escape(FHF)))).to_be_visible()
    expect(listed.get_by_role("link", name=re.compile(f"^{IV}"))).to_have_attribute(
        "href", re.compile(r"^/fidelity\?programme_id=\d+$")
    )
    _check(page, "lead-home", show=page.get_by_role("heading", name="Programmes", exact=True))

    listed.get_by_role("link", name=re.compile(f"^{IV}")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Fidelity")
    picker = page.get_by_role("navigation", name="Programmes")
    expect(picker.get_by_role("link", name="All programmes")).to_be_visible()
    expect(picker.get_by_role("link", name=FHF)).to_be_visible()
    expect(picker.get_by_role("link", name=IV)).to_have_count(0)  # where you are
    expect(picker).to_contain_text(IV)
    main = page.locator("main")
    expect(main).to_contain_text(
        "Independent Visitors: visits of 1 to 8 hours a month; matches expected to last 24 months."
    )
    cards = page.locator("#figures").locator("xpath=following-sibling::*[1]")
    for label in (
        "Visit hours per match a month",
        "Months with a visit",
        "Months in the hours band",
        "Match length (median)",
        "Matches reaching the expected length",
        "Matches ended early",
    ):
        expect(cards.get_by_text(label, exact=True)).to_be_visible()
    expect(cards).to_contain_text(re.compile(r"\d+(\.\d)? hours? a month"))
    expect(cards).to_contain_text(re.compile(r"\d+ days"))
    expect(cards).to_contain_text("(young person: 1)")  # Tomasz ended his, at his request
    # No group figures, no weekly ones, no cohorts, charts or mentors' weekly table.
    for absent in (
        "Sessions delivered",
        "Attendance",
        "Core content delivered",
        "Practice tasks completed",
        "Weeks with a visit",
        "Mentoring hours per match",
    ):
        expect(cards.get_by_text(absent, exact=True)).to_have_count(0)
    for section in ("#dosage", "#trends", "#cohorts", "#mentors"):
        expect(page.locator(section)).to_have_count(0)
    expect(main).to_contain_text(
        "Some figures are not shown for this programme. This programme has no groups. "
        "This programme's visit band is per month."
    )
    _check(page, "lead-iv-dashboard", show=page.locator("#figures"))

    page.get_by_text("What the figures mean").click()
    help_ = page.locator("#definitions")
    expect(help_.get_by_text("Months with a visit", exact=True)).to_be_visible()
    expect(help_).to_contain_text("Match-months with at least one completed visit")
    expect(help_).to_contain_text("Weekly figures count only matches of programmes")
    _check(page, "lead-iv-help", show=help_)

    picker.get_by_role("link", name=FHF).click()
    expect(page).to_have_url(re.compile(r"programme_id=\d+"))
    expect(main).to_contain_text(f"{FHF}: visits of 2 to 4 hours a week")
    for label in ("Sessions delivered", "Attendance", "Mentoring hours per match"):
        expect(cards.get_by_text(label, exact=True)).to_be_visible()
    expect(cards.get_by_text("Visit hours per match a month", exact=True)).to_have_count(0)
    expect(cards).to_contain_text("Trials: 92%")
    for section in ("#dosage", "#trends", "#cohorts", "#mentors"):
        expect(page.locator(section)).to_be_visible()
    expect(page.locator("#mentors").locator("xpath=following-sibling::*[1]")).to_contain_text(
        "the band is 2.0 to 4.0 hours a week"
    )
    _check(page, "lead-fhf-dashboard", show=page.locator("#figures"))

    picker.get_by_role("link", name="All programmes").click()
    tables = page.locator("#programmes")
    expect(tables).to_be_visible()
    expect(page.get_by_role("region", name=FHF)).to_contain_text("(visits of 2 to 4 hours a week)")
    expect(page.get_by_role("region", name=IV)).to_contain_text("(visits of 1 to 8 hours a month)")
    _check(page, "lead-all-programmes", show=tables)
    _no_errors(js_errors)


def test_a_lead_matches_an_independent_visitor_with_the_childs_agreement(
    pages: BrowserPage, js_errors: list[str], clock: Clock
) -> None:
    page = _home(pages, "lead")
    _menu(page, "Children")
    page.get_by_role("link", name="DEMO-07", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("DEMO-07")
    page.get_by_role("link", name="Find a mentor for Grace").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Find a mentor for Grace")
    expect(page.get_by_text("Choose the programme to match Grace in.")).to_be_visible()
    expect(page.get_by_role("heading", name="Suggested mentors")).to_have_count(0)
    _check(page, "match-choose-programme")

    page.get_by_label("Programme", exact=True).select_option(label=IV)
    page.get_by_role("button", name="Show mentors for this programme").click()
    expect(page.get_by_label("Programme", exact=True)).to_have_value(re.compile(r"^\d+$"))
    expect(page.get_by_role("heading", name="Suggested mentors")).to_be_visible()
    expect(page.get_by_role("heading", name="Grace's wishes")).to_be_visible()
    expect(
        page.get_by_text("An Independent Visitor is only for a child who wants one")
    ).to_be_visible()
    _check(page, "match-iv-suggestions", show=page.get_by_role("heading", name="Suggested mentors"))

    page.get_by_label("Put on the shortlist: Tasha Mentor").check()
    page.get_by_label("Put on the shortlist: Nadia Mentor").check()
    page.get_by_role("button", name="Make a printable shortlist").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Hello Grace! Who would you like as your visitor?"
    )
    expect(page.get_by_text(re.compile("spends time with you every month"))).to_be_visible()
    expect(page.locator("main").get_by_role("heading", level=2)).to_have_text(["Tasha", "Nadia"])
    expect(page.get_by_text(re.compile(r"\d+% match"))).to_have_count(0)  # never scores
    _check(page, "match-iv-shortlist")
    page.get_by_role("link", name="Back to find a mentor").click()
    expect(page.get_by_role("heading", name="Grace's wishes")).to_be_visible()

    start = clock.today + dt.timedelta(days=5)
    page.get_by_role("group", name="Who will mentor Grace?").get_by_label("Tasha Mentor").check()
    _fill_date(page, "Start date", start)
    page.get_by_role("button", name="Match mentor").click()
    _error_summary_leads_to(page, "child_agreed_on", "Give the date the child said they want")
    _check(page, "match-iv-no-agreement")

    _fill_date(page, "When did Grace say they want this?", clock.today - dt.timedelta(days=9))
    page.get_by_label("How did they say so?").fill("Asked her social worker at her review.")
    page.get_by_role("button", name="Match mentor").click()
    expect(page).to_have_url(re.compile(r"/matches/\d+"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Grace and Tasha Mentor")
    expect(page.get_by_role("alert")).to_contain_text("The match has been made.")
    about = page.locator(".govuk-summary-list").first
    expect(about).to_contain_text(IV)
    expect(about).to_contain_text("Asked her social worker at her review.")
    _check(page, "match-iv-saved")
    _no_errors(js_errors, 422)


def test_a_child_outside_the_ages_is_matched_only_with_a_reason(
    pages: BrowserPage, js_errors: list[str], clock: Clock
) -> None:
    page = _home(pages, "lead")
    _menu(page, "Children")
    page.get_by_role("link", name="IV-05", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("IV-05")
    expect(page.get_by_text(re.compile(f"^{IV}: matched with Carmen Visitor"))).to_be_visible()
    page.get_by_role("link", name="Find a mentor in another programme for Hollie").click()
    page.get_by_label("Programme", exact=True).select_option(label=FHF)
    page.get_by_role("button", name="Show mentors for this programme").click()
    age = page.get_by_role("heading", name="Age", exact=True)
    expect(age).to_be_visible()
    expect(
        page.get_by_text(re.compile(rf"^Hollie is \d+, outside {re.escape(FHF)}'s ages"))
    ).to_be_visible()
    # FHF-PT asks nothing about the child's wishes.
    expect(page.get_by_role("heading", name="Hollie's wishes")).to_have_count(0)
    _check(page, "age-form", show=age)

    page.get_by_role("group", name="Who will mentor Hollie?").get_by_label("Jo Mentor").check()
    _fill_date(page, "Start date", clock.today + dt.timedelta(days=5))
    page.get_by_role("button", name="Match mentor").click()
    _error_summary_leads_to(
        page, "age_override", re.compile(rf"outside {re.escape(FHF)}'s ages \(9 to 11\)")
    )
    expect(page.get_by_label("Why match Hollie outside the programme's ages?")).to_be_focused()
    _check(page, "age-error", show=page.locator(".govuk-error-summary"))

    page.get_by_label("Why match Hollie outside the programme's ages?").fill(
        "Her brother is in the Monday group; she joins him and the panel agreed."
    )
    page.get_by_role("button", name="Match mentor").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hollie and Jo Mentor")
    expect(page.get_by_role("alert")).to_contain_text("The match has been made.")
    about = page.locator(".govuk-summary-list").first
    expect(about).to_contain_text(FHF)
    expect(about).to_contain_text("Her brother is in the Monday group")
    _check(page, "age-saved")
    _no_errors(js_errors, 422)


def test_a_mentor_in_both_programmes_reads_his_week_by_programme(
    pages: BrowserPage, js_errors: list[str]
) -> None:
    page = _home(pages, "mentor")
    expect(page.get_by_role("heading", level=1)).to_have_text("My week")
    programmes = page.locator("main h2.tandem-programme-heading")
    expect(programmes).to_have_text([FHF, IV])
    ben = page.get_by_role("region", name="Ben", exact=True)
    expect(ben.get_by_text("Last group session")).to_be_visible()
    expect(ben.get_by_text("What to practise")).to_be_visible()
    jamal = page.get_by_role("region", name="Jamal", exact=True)
    line = re.compile(
        r"^Last visit \d{1,2} \w+ · next visit \d{1,2} \w+ · [\d.]+ hours? this month "
        r"\(at least 1 hour a month, at most 8\)"
    )
    expect(jamal.get_by_text(line)).to_be_visible()
    expect(jamal.get_by_text("Last group session")).to_have_count(0)
    expect(jamal.get_by_text("What to practise")).to_have_count(0)
    expect(jamal.get_by_role("link", name="Set a monthly visit slot for Jamal")).to_be_visible()
    # Each under its programme's heading: the nearest one above it.
    heading = "xpath=preceding-sibling::h2[1]"
    expect(ben.locator(heading)).to_have_text(FHF)
    expect(jamal.locator(heading)).to_have_text(IV)
    _check(page, "mentor-week-fhf")
    _shot(page, "mentor-week-iv", page.get_by_role("heading", name=IV, exact=True))
    _no_errors(js_errors)


def test_a_visitor_logs_a_visit_without_practice_tasks(
    pages: BrowserPage, js_errors: list[str], clock: Clock
) -> None:
    page = pages.new(TABLET, role=None)
    page.goto("/login")
    page.get_by_label("Email address").fill(VISITOR)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My week")
    # One programme: no programme headings and no group blocks.
    expect(page.locator("main h2.tandem-programme-heading")).to_have_count(0)
    expect(page.get_by_text("Last group session")).to_have_count(0)
    expect(page.get_by_text("What to practise")).to_have_count(0)
    callum = page.get_by_role("region", name="Callum", exact=True)
    expect(
        callum.get_by_text(re.compile(r"hours? this month \(at least 1 hour a month"))
    ).to_be_visible()
    _check(page, "visitor-week")

    callum.get_by_role("button", name="Log a visit with Callum").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log a visit")
    expect(page.get_by_role("heading", name="Practice tasks")).to_have_count(0)
    expect(page.get_by_text("has no practice tasks open")).to_have_count(0)
    _check(page, "visitor-log")

    day = clock.today - dt.timedelta(days=1)
    _fill_date(page, "Date of the visit", day)
    page.get_by_label("Start time").fill("11:00")
    page.get_by_label("2 hours", exact=True).check()
    page.get_by_label("Completed").check()
    page.get_by_label("What you did (optional)").fill("The museum, then lunch by the river.")
    page.get_by_role("button", name="Log the visit").click()
    expect(page.get_by_role("alert")).to_contain_text("Visit logged")
    callum = page.get_by_role("region", name="Callum", exact=True)
    expect(callum.get_by_text(re.compile(rf"^Last visit {day.day} "))).to_be_visible()
    expect(
        callum.get_by_role("link", name=re.compile(rf" {day.day} \w+, 11am to 1pm$"))
    ).to_be_visible()
    _check(page, "visitor-logged")
    _no_errors(js_errors)


def test_a_facilitator_in_one_programme_sees_no_programmes(
    pages: BrowserPage, js_errors: list[str]
) -> None:
    page = _home(pages, "facilitator")
    expect(page.get_by_role("heading", level=1)).to_have_text("My sessions")
    expect(page.get_by_text(re.compile(r"^Monday group, week \d+")).first).to_be_visible()
    expect(page.get_by_role("heading", name="Programmes")).to_have_count(0)
    main = page.locator("main")
    expect(main).not_to_contain_text(FHF)
    expect(main).not_to_contain_text(IV)
    _check(page, "facilitator-home")
    _no_errors(js_errors)
