"""The fidelity pages: the dashboard, the drill-downs for a cohort, a child and a mentor, the
printable report, and the flag count in the navigation."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth.models import Role, User
from app.fidelity import flags, summary, views
from app.fidelity.words import LABELS
from tests.support.builder import Builder
from tests.support.clock import Clock
from tests.support.people import People, Signed

BASE = dt.date(2026, 1, 5)  # a Monday: week 1 of every test cohort
AS_OF = dt.date(2026, 3, 4)  # a Wednesday, 8 weeks and 2 days later
Q = f"as_of={AS_OF.isoformat()}"


@pytest.fixture(autouse=True)
def _no_cached_counts() -> Iterator[None]:
    views.clear_flag_counts()
    yield
    views.clear_flag_counts()


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@dataclass
class World:
    cohorts: list[int] = field(default_factory=list)
    children: list[int] = field(default_factory=list)
    mentors: list[int] = field(default_factory=list)
    other_facilitator: User | None = None


def make_programme(
    build: Builder,
    people: People,
    *,
    cohorts: int = 1,
    children: int = 3,
    sessions: int = 6,
    prefix: str = "",
) -> World:
    """`cohorts` weekly groups from BASE with `sessions` delivered lessons each; the first run
    by people.facilitator, the rest by another facilitator. The first child of each cohort
    misses every lesson but the first (below the threshold); every child has a mentor who
    visits most weeks."""
    world = World()
    other = build.user(Role.facilitator, f"{prefix}otherfacilitator")
    world.other_facilitator = other
    for n in range(cohorts):
        runner = people.facilitator.id if n == 0 else other.id
        cohort = build.cohort(BASE, name=f"{prefix}Group {chr(65 + n)}", facilitators=(runner,))
        world.cohorts.append(cohort)
        kids = []
        for k in range(children):
            child = build.child(first_name=f"{prefix}Kid{n}x{k}", reference=f"{prefix}REF-{n}-{k}")
            build.enrol(child, cohort, BASE)
            kids.append(child)
        world.children += kids
        for week in range(1, sessions + 1):
            day = BASE + dt.timedelta(weeks=week - 1)
            sid = build.session(cohort, week, day, "delivered")
            build.attendance(
                [
                    (sid, c, "absent" if i == 0 and week > 1 else "present")
                    for i, c in enumerate(kids)
                ]
            )
            core = build.lessons[week].core
            build.coverage(
                [(sid, a, "delivered") for a in core[:-1]] + [(sid, core[-1], "partial")]
            )
            build.present(sid, [runner, people.lead.id] if week % 2 else [runner])
        # One session past its date and not recorded (a flag).
        build.session(cohort, sessions + 1, BASE + dt.timedelta(weeks=sessions), "scheduled")
        for k, child in enumerate(kids):
            mentor = build.user(Role.mentor, f"{prefix}mentor{n}x{k}")
            build.profile(mentor.id or 0, dt.date(2025, 9, 1))
            world.mentors.append(mentor.id or 0)
            match = build.match(child, mentor.id or 0, BASE)
            build.visits(
                [
                    {
                        "match_id": match,
                        "mentor_id": mentor.id,
                        "child_id": child,
                        "date": BASE + dt.timedelta(weeks=w, days=5),
                        "minutes": 150,
                        "status": "completed",
                    }
                    for w in range(0, 7, 1 if k else 2)
                ]
            )
    build.db.commit()
    return world


@pytest.fixture
def small(build: Builder, people: People) -> World:
    return make_programme(build, people)


@pytest.fixture
def lead(signed: Signed, people: People) -> TestClient:
    return signed.pages(people.lead)


@pytest.fixture
def facilitator(signed: Signed, people: People) -> TestClient:
    return signed.pages(people.facilitator)


# The dashboard -------------------------------------------------------------------------------


def test_the_dashboard_shows_every_figure_beside_the_trials(lead: TestClient, small: World) -> None:
    page = lead.get(f"/fidelity?{Q}")
    assert page.status_code == 200, page.text
    html, words = page.text, text_of(page.text)
    assert '<h1 class="govuk-heading-xl">Fidelity</h1>' in html
    assert "up to 4 March 2026" in words
    for label in LABELS.values():
        assert label in words
    assert "Trials: 92%" in words
    assert "Trials: 99%" in words
    assert "Trials: 2.5 hours a week" in words
    # Attendance: 3 children x 6 lessons, one absent from 5 of them: 13 of 18.
    assert "72%" in words
    assert "Below the trials" in words
    # Core content: every core activity but one partly delivered: a tag in words.
    assert re.search(r"(Close to|Below) the trials", words)
    # The three charts, each with its data table.
    for title in (
        "Attendance by week",
        "Sessions planned and delivered by week",
        "Mentoring hours per match by week",
    ):
        assert f">{title}<" in html
    assert html.count("Show the data") == 3
    # The cohort, flags, children below the threshold, mentors and the exports.
    assert f'href="/fidelity/cohorts/{small.cohorts[0]}?{Q}"' in html
    assert "Sessions not recorded" in words
    assert "Children below the dosage threshold" in words
    assert f'href="/fidelity/children/{small.children[0]}?{Q}"' in html
    assert f'href="/fidelity/mentors/{small.mentors[0]}?{Q}"' in html
    assert f'href="/api/v1/fidelity.csv?{Q}"' in html
    assert f'href="/api/v1/fidelity?{Q}"' in html
    assert f'href="/fidelity/report?{Q}"' in html
    assert "<caption" in html
    assert 'scope="col"' in html
    assert not re.search(r"\sstyle\s*=", html)
    assert "<script>" not in html


def test_the_flags_are_grouped_by_kind_most_urgent_first_and_link_to_the_place_to_act(
    lead: TestClient, small: World
) -> None:
    html = lead.get(f"/fidelity?{Q}").text
    flags_part = html[html.index('id="flags"') : html.index('id="dosage"')]
    kinds = re.findall(r'tandem-flag-heading">([^<]+?) <strong', flags_part)
    order = [label for label in flags.KINDS.values() if label in kinds]
    assert kinds == order
    assert "Sessions not recorded" in kinds
    assert re.search(
        r'href="/sessions/\d+">Group A: week 7 on 16 February 2026 is not recorded', html
    )
    assert re.search(r'href="/fidelity/children/\d+">REF-0-0 attended 1 of 6 lessons', html)
    # What needs attention comes first, above the figures.
    assert html.index('id="flags"') < html.index('id="dosage"') < html.index('id="figures"')


def test_a_date_typed_in_the_form_sets_the_figures(lead: TestClient, small: World) -> None:
    page = lead.get("/fidelity?as_of-day=12&as_of-month=1&as_of-year=2026")
    assert page.status_code == 200
    assert "up to 12 January 2026" in text_of(page.text)
    assert 'name="as_of-day" type="text" inputmode="numeric" value="12"' in page.text


@pytest.mark.parametrize(
    "query",
    [
        "as_of=2026-02-30",
        "as_of=yesterday",
        "as_of=0001-01-01",
        "as_of=9999-12-31",
        "as_of-day=31&as_of-month=2&as_of-year=2026",
        "as_of-day=1&as_of-year=2026",
    ],
)
@pytest.mark.parametrize("path", ["/fidelity", "/fidelity/report", "/fidelity/cohorts/{cohort}"])
def test_a_bad_date_shows_today_with_an_error(
    lead: TestClient, small: World, query: str, path: str, clock: Clock
) -> None:
    page = lead.get(path.format(cohort=small.cohorts[0]) + "?" + query)
    assert page.status_code == 422
    assert "There is a problem" in page.text
    assert 'href="#as_of"' in page.text
    assert "<title>Error:" in page.text
    today = clock.today
    assert f"up to {today.day} {today:%B %Y}" in text_of(
        page.text
    ) or "up to and including" in text_of(page.text)


def _cohort_order(html: str) -> list[str]:
    table = html[html.index('id="cohorts"') :]  # the table of cohorts, after the flags
    return re.findall(
        r'<th scope="row" class="govuk-table__header">'
        r'<a class="govuk-link" href="/fidelity/cohorts/\d+\?[^"]*">([^<]+)</a>',
        table,
    )


def test_the_cohorts_sort_by_any_column_on_the_server(
    build: Builder, people: People, lead: TestClient
) -> None:
    make_programme(build, people, cohorts=3)
    # Group C's lessons: everyone at the first, so attendance is the same; sort by name.
    html = lead.get(f"/fidelity?{Q}&sort=name&dir=desc").text
    assert _cohort_order(html) == ["Group C", "Group B", "Group A"]
    assert 'aria-sort="descending"' in html
    assert html.count("aria-sort=") == 1
    # The sorted header links to the other direction; the others to ascending.
    assert f'href="/fidelity?{Q}&amp;sort=name&amp;dir=asc#cohorts"' in html
    assert f'href="/fidelity?{Q}&amp;sort=attendance_rate&amp;dir=asc#cohorts"' in html
    ascending = lead.get(f"/fidelity?{Q}&sort=name&dir=asc").text
    assert _cohort_order(ascending) == ["Group A", "Group B", "Group C"]
    assert 'aria-sort="ascending"' in ascending
    by_metric = lead.get(f"/fidelity?{Q}&sort=attendance_rate&dir=desc")
    assert by_metric.status_code == 200
    assert 'aria-sort="descending"' in by_metric.text
    unknown = lead.get(f"/fidelity?{Q}&sort=__class__&dir=sideways")
    assert unknown.status_code == 200
    assert "aria-sort" not in unknown.text
    assert _cohort_order(unknown.text) == ["Group A", "Group B", "Group C"]


def test_sorting_puts_cohorts_with_no_figure_last(
    build: Builder, people: People, lead: TestClient
) -> None:
    make_programme(build, people, cohorts=2)
    build.cohort(BASE + dt.timedelta(weeks=20), name="Group Later")
    build.db.commit()
    for direction in ("asc", "desc"):
        html = lead.get(f"/fidelity?{Q}&sort=attendance_rate&dir={direction}").text
        assert _cohort_order(html)[-1] == "Group Later"


def test_the_dashboard_with_no_programme_yet(lead: TestClient) -> None:
    page = lead.get(f"/fidelity?{Q}")
    assert page.status_code == 200
    words = text_of(page.text)
    assert "No data yet" in words
    assert "There are no cohorts yet." in words
    assert "Nothing needs attention." in words


# Access --------------------------------------------------------------------------------------


def test_a_mentor_may_not_see_the_figures(signed: Signed, people: People, small: World) -> None:
    pages = signed.pages(people.mentor)
    for url in (
        "/fidelity",
        f"/fidelity/cohorts/{small.cohorts[0]}",
        f"/fidelity/children/{small.children[0]}",
        f"/fidelity/mentors/{small.mentors[0]}",
        "/fidelity/report",
        "/fidelity/flag-count",
    ):
        assert pages.get(url).status_code == 403, url
    assert 'href="/fidelity"' not in pages.get("/curriculum").text


def test_a_facilitator_sees_only_their_own_cohorts(
    build: Builder, people: People, facilitator: TestClient
) -> None:
    world = make_programme(build, people, cohorts=2)
    mine, theirs = world.cohorts
    html = facilitator.get(f"/fidelity?{Q}").text
    assert "Group A" in html
    assert "Group B" not in html
    assert "REF-1-" not in html
    assert 'id="mentors"' not in html  # mentors are for leads
    assert facilitator.get(f"/fidelity/cohorts/{mine}?{Q}").status_code == 200
    assert facilitator.get(f"/fidelity/cohorts/{theirs}?{Q}").status_code == 404
    assert facilitator.get(f"/fidelity/children/{world.children[0]}?{Q}").status_code == 200
    assert facilitator.get(f"/fidelity/children/{world.children[-1]}?{Q}").status_code == 404
    assert facilitator.get(f"/fidelity/mentors/{world.mentors[0]}?{Q}").status_code == 404
    assert facilitator.get(f"/fidelity/report?cohort_id={theirs}").status_code == 404
    report = facilitator.get(f"/fidelity/report?{Q}").text
    assert "Group A" in report
    assert "Group B" not in report


def test_another_organisation_finds_nothing(signed: Signed, people: People, small: World) -> None:
    pages = signed.pages(people.other_lead)
    for url in (
        f"/fidelity/cohorts/{small.cohorts[0]}",
        f"/fidelity/children/{small.children[0]}",
        f"/fidelity/mentors/{small.mentors[0]}",
        f"/fidelity/report?cohort_id={small.cohorts[0]}",
    ):
        assert pages.get(url).status_code == 404, url
    html = pages.get(f"/fidelity?{Q}").text
    assert "Group A" not in html
    assert "REF-0-0" not in html


def test_anonymous_people_are_sent_to_sign_in(client: TestClient, small: World) -> None:
    for url in ("/fidelity", f"/fidelity/cohorts/{small.cohorts[0]}", "/fidelity/report"):
        response = client.get(url, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login")


@pytest.mark.parametrize("cohort_id", ["abc", "0", "-1", "99999999999", "2147483647"])
def test_a_report_for_a_cohort_that_is_not_there_is_404(
    lead: TestClient, small: World, cohort_id: str
) -> None:
    assert lead.get(f"/fidelity/report?cohort_id={cohort_id}").status_code == 404


# The drill-downs -----------------------------------------------------------------------------


def test_the_cohort_page_goes_week_by_week(lead: TestClient, small: World, people: People) -> None:
    cohort = small.cohorts[0]
    page = lead.get(f"/fidelity/cohorts/{cohort}?{Q}")
    assert page.status_code == 200
    html, words = page.text, text_of(page.text)
    assert ">Attendance at each session<" in html
    assert ">Core content delivered at each session<" in html
    assert "Wk 1" in html
    assert "Wk 6" in html
    assert "5 January 2026" in words
    assert "Week 1:" in words  # the lesson's title
    assert "Delivered" in words
    assert "Not recorded" in words  # week 7, past its date
    assert "2 of 3 (67%)" in words
    assert f"{people.facilitator.name} and {people.lead.name}" in words
    assert "Only one" in words
    assert "Not observed" in words
    assert f'href="/fidelity/children/{small.children[0]}?{Q}"' in html
    assert f'href="/cohorts/{cohort}"' in html
    assert f'href="/fidelity?{Q}"' in html
    assert "Trials: 92%" in words


def test_the_child_page(lead: TestClient, small: World) -> None:
    child = small.children[0]
    page = lead.get(f"/fidelity/children/{child}?{Q}")
    assert page.status_code == 200
    html, words = page.text, text_of(page.text)
    assert "Kid0x0" in words
    assert "REF-0-0" in words
    assert "1 of 6 delivered while enrolled: 17%" in words
    assert "Below the 75% threshold" in words
    assert "Catch-ups" in words
    assert words.count("Absent") == 5
    assert ">Mentoring hours by week<" in html
    assert "Target: 2 to 4 hours" in html
    assert f'href="/children/{child}"' in html


def test_the_mentor_page_shows_hours_per_mentee_against_the_band(
    lead: TestClient, small: World
) -> None:
    page = lead.get(f"/fidelity/mentors/{small.mentors[1]}?{Q}")
    assert page.status_code == 200
    html, words = page.text, text_of(page.text)
    assert ">Mentoring hours per mentee by week<" in html
    assert "Kid0x1" in words
    # Seven weekly visits of 2.5 hours over the 8 full weeks before as_of.
    assert "2.2 hours a week" in words
    assert "Target: 2 to 4 hours" in html
    assert f'href="/fidelity/children/{small.children[1]}?{Q}"' in html


def test_an_unknown_child_or_mentor_is_404(lead: TestClient, small: World, people: People) -> None:
    assert lead.get("/fidelity/children/999999").status_code == 404
    assert lead.get("/fidelity/mentors/999999").status_code == 404
    # A lead is not a mentor.
    assert lead.get(f"/fidelity/mentors/{people.lead.id}").status_code == 404


# The printable report ------------------------------------------------------------------------


def test_the_report_names_no_child_and_no_flag_message(lead: TestClient, small: World) -> None:
    page = lead.get(f"/fidelity/report?{Q}")
    assert page.status_code == 200
    html, words = page.text, text_of(page.text)
    assert "Fidelity report" in words
    assert "Org A" in words
    assert "4 March 2026" in words
    assert "REF-0-0" in words
    assert "Kid0x" not in html  # references only
    assert "is not recorded" not in words  # counts, not messages
    assert "Sessions not recorded 1" in words
    assert "What the figures mean" in words
    assert "Group A" in words
    one = lead.get(f"/fidelity/report?cohort_id={small.cohorts[0]}&{Q}")
    assert one.status_code == 200
    assert "Fidelity report: Group A" in text_of(one.text)
    assert 'name="cohort_id" value="' in one.text


def test_the_stylesheets_print_the_report_without_navigation(client: TestClient) -> None:
    css = client.get("/static/css/fidelity.css").text
    assert "@media print" in css
    assert ".govuk-service-navigation" in css
    assert "break-inside: avoid" in css
    assert client.get("/static/css/charts.css").status_code == 200


# The flag count in the navigation ------------------------------------------------------------


def test_the_navigation_counts_the_flags_without_querying_on_every_page(
    lead: TestClient, small: World, count_queries: Callable[..., Any], db: Session
) -> None:
    # Nothing cached: the page leaves htmx a placeholder and runs no flag query.
    html = lead.get("/curriculum").text
    assert 'href="/fidelity"' in html
    assert 'hx-get="/fidelity/flag-count"' in html
    fragment = lead.get("/fidelity/flag-count", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    count = int(re.findall(r">(\d+)<span", fragment.text)[0])
    assert count > 0
    assert "flags</span>" in fragment.text
    # Cached: every page shows it, with no extra query.
    db.expire_all()
    with count_queries() as cached:
        html = lead.get("/curriculum").text
    views.clear_flag_counts()
    db.expire_all()
    with count_queries() as placeholder:
        lead.get("/curriculum")
    assert cached.count == placeholder.count
    assert f'{count}<span class="govuk-visually-hidden"> flags</span>' in html
    assert "Fidelity" in text_of(html)


def test_the_dashboard_caches_the_count_it_shows(
    lead: TestClient, small: World, clock: Clock
) -> None:
    today = clock.today.isoformat()
    lead.get(f"/fidelity?as_of={today}")
    html = lead.get("/curriculum").text
    assert 'hx-get="/fidelity/flag-count"' not in html
    assert "flags</span>" in html or "flag</span>" in html


def test_a_facilitators_count_is_their_own(
    build: Builder, people: People, facilitator: TestClient, lead: TestClient
) -> None:
    make_programme(build, people, cohorts=2)
    mine = lead.get("/fidelity/flag-count").text
    theirs = facilitator.get("/fidelity/flag-count").text
    assert int(re.findall(r">(\d+)<span", mine)[0]) > int(re.findall(r">(\d+)<span", theirs)[0])


def test_a_failing_count_shows_no_count(
    lead: TestClient, small: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> int:
        raise RuntimeError("boom")

    monkeypatch.setattr(summary, "flag_count", broken)
    response = lead.get("/fidelity/flag-count")
    assert response.status_code == 200
    assert response.text == ""
    monkeypatch.setattr(views, "cached_flag_count", broken)
    page = lead.get("/curriculum")
    assert page.status_code == 200
    assert 'href="/fidelity"' in page.text


# Query counts --------------------------------------------------------------------------------


def _counts(
    pages: TestClient, count_queries: Callable[..., Any], db: Session, urls: list[str]
) -> dict[str, int]:
    out = {}
    for url in urls:
        db.expire_all()  # as in production, where every request starts with an empty session
        with count_queries() as counted:
            response = pages.get(url)
        assert response.status_code == 200, (url, response.text[:500])
        out[url] = counted.count
    return out


def test_every_page_runs_the_same_queries_for_a_small_and_a_larger_programme(
    build: Builder,
    people: People,
    signed: Signed,
    count_queries: Callable[..., Any],
    db: Session,
) -> None:
    lead = signed.pages(people.lead)
    small = make_programme(build, people, cohorts=1, children=2, sessions=3)

    def urls(world: World) -> list[str]:
        return [
            f"/fidelity?{Q}",
            f"/fidelity?{Q}&sort=attendance_rate&dir=desc",
            f"/fidelity/cohorts/{world.cohorts[0]}?{Q}",
            f"/fidelity/children/{world.children[1]}?{Q}",
            f"/fidelity/mentors/{world.mentors[1]}?{Q}",
            f"/fidelity/report?{Q}",
        ]

    few = _counts(lead, count_queries, db, urls(small))
    views.clear_flag_counts()
    larger = make_programme(build, people, cohorts=3, children=6, sessions=8, prefix="big")
    # The larger programme's first mentor also mentors a second child.
    extra = build.child(first_name="Extra", reference="big-EXTRA")
    build.enrol(extra, larger.cohorts[0], BASE)
    build.match(extra, larger.mentors[0], BASE)
    build.db.commit()
    many = _counts(lead, count_queries, db, urls(larger))
    assert list(few.values()) == list(many.values()), (few, many)
    # 31 for the dashboard, 33 for a cohort, 10 for a child, 6 for a mentor, 30 for the
    # report (with sign-in; the outcome assessments' flags are 4 of them): a fixed number,
    # however large the programme.
    assert max(few.values()) <= 40, few
