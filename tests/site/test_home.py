"""The home pages and the navigation: what each role starts from."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.web import NAV_BY_ROLE, child_name
from tests.support.clock import Clock
from tests.support.mentoring import Programme, record
from tests.support.people import PageClient, People, Signed


def nav_links(html: str) -> list[str]:
    nav = html.split('id="navigation"', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'class="govuk-service-navigation__link" href="([^"]+)"', nav)


@pytest.mark.parametrize(
    ("role", "wanted"),
    [
        ("lead", ["/cohorts", "/children", "/closures", "/audit", "/fidelity", "/matches"]),
        ("admin", ["/cohorts", "/children", "/closures", "/audit", "/admin/users"]),
        ("facilitator", ["/cohorts", "/fidelity", "/curriculum"]),
    ],
)
def test_the_navigation_reaches_each_roles_pages(
    signed: Signed, people: People, role: str, wanted: list[str]
) -> None:
    pages = signed.pages(people.by_role(role))
    home = pages.get("/")
    assert home.status_code == 200
    links = nav_links(home.text)
    assert links == [href for href, _ in NAV_BY_ROLE[role]]
    for href in wanted:
        assert href in links
        # Every page in the navigation opens for the role it is shown to.
        assert pages.get(href).status_code == 200, href


def test_the_current_page_is_marked_in_the_navigation(lead_pages: PageClient) -> None:
    page = lead_pages.get("/closures")
    assert re.search(r'href="/closures" aria-current="page"', page.text)
    assert 'href="/cohorts" aria-current' not in page.text


def test_child_name_puts_the_first_name_beside_the_reference() -> None:
    assert child_name({"first_name": "Ben", "reference": "DEMO-02"}) == "Ben (DEMO-02)"

    class Row:
        first_name = " Amira "
        reference = "LA-1"

    assert child_name(Row()) == "Amira (LA-1)"
    assert child_name({"first_name": "", "reference": "LA-2"}) == "LA-2"
    assert child_name({"first_name": None, "reference": None}) == ""


def _week_rows(html: str) -> str:
    return html.split('id="this-week"', 1)[1].split("</table>", 1)[0]


@pytest.mark.clock("2027-03-10T10:00")
def test_the_leads_home_lists_this_weeks_sessions_with_a_link_to_each_register(
    lead_pages: PageClient, lead_api: TestClient, programme: Programme, clock: Clock
) -> None:
    monday = clock.today - dt.timedelta(days=clock.today.weekday())
    this_week = [s for s in programme.sessions(lead_api) if s["date"] == monday.isoformat()]
    assert len(this_week) == 1
    session = this_week[0]
    page = lead_pages.get("/")
    assert page.status_code == 200
    rows = _week_rows(page.text)
    assert "Monday 8 March 2027" in rows
    assert "4pm to 5:30pm" in rows
    assert "Community hall" in rows
    assert "Monday group</a>, week 9" in rows
    assert f'href="/sessions/{session["id"]}"' in rows
    assert "To record" in rows
    # Last week's session is not this week's.
    assert "1 March 2027" not in rows
    assert 'href="/cohorts/new"' in page.text
    assert "Create a cohort" in page.text


@pytest.mark.clock("2027-03-10T10:00")
def test_a_recorded_session_shows_as_recorded(
    lead_pages: PageClient,
    lead_api: TestClient,
    programme: Programme,
    people: People,
    clock: Clock,
) -> None:
    monday = clock.today - dt.timedelta(days=clock.today.weekday())
    session = next(s for s in programme.sessions(lead_api) if s["date"] == monday.isoformat())
    record(lead_api, session["id"], people.facilitator.id or 0)
    rows = _week_rows(lead_pages.get("/").text)
    assert "Recorded" in rows
    assert "To record" not in rows


@pytest.mark.clock("2027-03-10T10:00")
def test_the_leads_home_shows_the_dashboards_flags_first(
    lead_pages: PageClient, lead_api: TestClient, programme: Programme
) -> None:
    report: dict[str, Any] = lead_api.get("/api/v1/fidelity").json()
    assert report["flags"], "the programme has unrecorded sessions"
    page = lead_pages.get("/").text
    attention = page.split('id="attention"', 1)[1].split('id="this-week"', 1)[0]
    shown = re.findall(r'<li><a class="govuk-link" href="([^"]+)">', attention)
    assert shown == [f["href"] for f in report["flags"][:5]]
    assert f"See all {len(report['flags'])} things" in attention
    assert 'href="/fidelity#flags"' in attention


def test_a_lead_with_nothing_this_week_is_told_so(lead_pages: PageClient) -> None:
    page = lead_pages.get("/").text
    assert "There are no sessions this week." in page
    assert "Nothing needs attention." in page


def test_the_facilitators_sessions_show_time_and_venue(
    signed: Signed, people: People, programme: Programme
) -> None:
    page = signed.pages(people.facilitator).get("/").text
    assert "4pm to 5:30pm at Community hall" in page
