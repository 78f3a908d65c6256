"""The "no visit for two full weeks" flag says what happened: the date of the match's last
completed visit (as of the report's date), or that there has been none since the match
began. The same words in the API, on the dashboard, for a lead and for a facilitator of the
child's cohort."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import pytest
from sqlmodel import Session

from app.fidelity import summary, views
from tests.support.builder import Builder
from tests.support.people import People, Signed

START = dt.date(2026, 9, 7)  # a Monday
AS_OF = START + dt.timedelta(days=23)  # Wednesday 30 September; the two full weeks: 14-27 Sep
KIND = "no_visit_two_weeks"


def day(n: int) -> dt.date:
    return START + dt.timedelta(days=n)


@pytest.fixture(autouse=True)
def _no_cached_counts() -> Any:
    views.clear_flag_counts()
    yield
    views.clear_flag_counts()


class Matches:
    def __init__(self, build: Builder, people: People) -> None:
        mentor = people.mentor.id or 0
        self.mentor_name = people.mentor.name
        self.cohort = build.cohort(START, name="Monday group", facilitators=[people.facilitator.id])
        self.other_cohort = build.cohort(START, name="Other group")
        self.visited = build.child(reference="FLAG-A")  # visited once, early on
        self.never = build.child(reference="FLAG-B")  # never visited
        self.lately = build.child(reference="FLAG-C")  # visited again this week
        build.enrol(self.visited, self.cohort, START)
        build.enrol(self.never, self.other_cohort, START)
        build.enrol(self.lately, self.cohort, START)
        self.visited_match = build.match(self.visited, mentor, START)
        self.never_match = build.match(self.never, mentor, day(7))  # the first day of the two
        self.lately_match = build.match(self.lately, mentor, START)

        def visit(match: int, child: int, on: dt.date, status: str) -> dict[str, Any]:
            return {
                "match_id": match,
                "mentor_id": mentor,
                "child_id": child,
                "date": on,
                "minutes": 60,
                "status": status,
            }

        build.visits(
            [
                visit(self.visited_match, self.visited, day(1), "completed"),
                visit(self.visited_match, self.visited, day(3), "completed"),  # the last one
                visit(self.visited_match, self.visited, day(15), "planned"),  # not a visit
                visit(self.visited_match, self.visited, day(16), "missed"),
                visit(self.visited_match, self.visited, day(17), "cancelled"),
                # After the report's date: it does not exist yet for it.
                visit(self.visited_match, self.visited, day(24), "completed"),
                visit(self.never_match, self.never, day(9), "missed"),
                visit(self.lately_match, self.lately, day(2), "completed"),
                visit(self.lately_match, self.lately, day(22), "completed"),  # this Tuesday
            ]
        )

    @property
    def expected(self) -> dict[int, str]:
        return {
            self.visited: f"{self.mentor_name} has not visited FLAG-A since 10 September 2026",
            self.never: f"{self.mentor_name} has had no completed visit with FLAG-B"
            " since the match began on 14 September 2026",
        }


@pytest.fixture
def matches(build: Builder, people: People) -> Matches:
    return Matches(build, people)


def _flags(report: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {f["child_id"]: f for f in report["flags"] if f["kind"] == KIND}


def test_the_flag_gives_the_last_visit_or_says_there_was_none(
    db: Session, people: People, matches: Matches
) -> None:
    report = summary.fidelity(db, actor=people.lead, as_of=AS_OF)
    flags = {f.child_id: f for f in report.flags if f.kind == KIND}
    assert {child: f.message for child, f in flags.items()} == matches.expected
    assert flags[matches.visited].href == f"/matches/{matches.visited_match}"
    assert flags[matches.never].href == f"/matches/{matches.never_match}"
    # The window's first day is not a visit date: it is never in the message.
    assert all(
        "14 September" not in f.message for f in flags.values() if f.child_id != matches.never
    )


def test_a_completed_visit_this_week_clears_the_flag(
    db: Session, people: People, matches: Matches, build: Builder
) -> None:
    """A visit since the two weeks ended has acted on it; as of the day before it, the
    flag was there and named the visit before."""
    before = summary.fidelity(db, actor=people.lead, as_of=day(21))
    lately = [f for f in before.flags if f.kind == KIND and f.child_id == matches.lately]
    assert [f.message for f in lately] == [
        f"{matches.mentor_name} has not visited FLAG-C since 9 September 2026"
    ]
    after = summary.fidelity(db, actor=people.lead, as_of=AS_OF)
    assert matches.lately not in {f.child_id for f in after.flags if f.kind == KIND}
    # And a first visit clears a match that never had one.
    build.visit(
        match_id=matches.never_match,
        mentor_id=people.mentor.id,
        child_id=matches.never,
        date=day(14),
        minutes=90,
        status="completed",
    )
    again = summary.fidelity(db, actor=people.lead, as_of=AS_OF)
    assert {f.child_id for f in again.flags if f.kind == KIND} == {matches.visited}


def test_the_api_says_the_same_for_each_reader(
    signed: Signed, people: People, matches: Matches
) -> None:
    lead = signed.api(people.lead).get(f"/api/v1/fidelity?as_of={AS_OF}")
    assert lead.status_code == 200, lead.text
    assert {c: f["message"] for c, f in _flags(lead.json()).items()} == matches.expected
    # A facilitator sees only flags they can act on (registers and attendance): mentoring
    # is a lead's, so none of these, even for their own cohort's children.
    mine = signed.api(people.facilitator).get(f"/api/v1/fidelity?as_of={AS_OF}")
    assert mine.status_code == 200, mine.text
    assert _flags(mine.json()) == {}
    # A mentor has no fidelity report; another organisation sees none of these.
    assert signed.api(people.mentor).get(f"/api/v1/fidelity?as_of={AS_OF}").status_code == 403
    theirs = signed.api(people.other_lead).get(f"/api/v1/fidelity?as_of={AS_OF}")
    assert _flags(theirs.json()) == {}


def test_a_bad_date_is_refused_and_says_what_to_give(signed: Signed, people: People) -> None:
    response = signed.api(people.lead).get("/api/v1/fidelity?as_of=30/09/2026")
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"][-1] == "as_of"
    page = signed.pages(people.lead).get("/fidelity?as_of=30/09/2026")
    assert page.status_code == 422
    assert "There is a problem" in page.text


def test_the_dashboard_shows_the_same_words(
    signed: Signed, people: People, matches: Matches
) -> None:
    page = signed.pages(people.lead).get(f"/fidelity?as_of={AS_OF}")
    assert page.status_code == 200
    text = html.unescape(page.text)
    for message in matches.expected.values():
        assert message in text, message
    assert f'href="/matches/{matches.visited_match}">' in page.text
    assert "since 14 September 2026</a>" not in text  # the window's start, as it used to say
    facilitator = html.unescape(
        signed.pages(people.facilitator).get(f"/fidelity?as_of={AS_OF}").text
    )
    assert matches.expected[matches.visited] not in facilitator  # mentoring is a lead's
    assert "FLAG-B" not in facilitator
